/* dpsim: wires config, fixture, store, provider, WS-Man, the control API
 * and HTTP(S) together, announces readiness, and shuts down cleanly on
 * SIGTERM/SIGINT.
 *
 * The HTTP server starts first, so that while the fixtures load, the
 * control API's health route answers "starting" (503) rather than
 * nothing: a test can poll it from the first moment. */
#include <dirent.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>


#include "adminservice.h"
#include "auth.h"
#include "buf.h"
#include "codec.h"
#include "config.h"
#include "control.h"
#include "dashboard.h"
#include "dblock.h"
#include "dpsim_version.h"
#include "fixture.h"
#include "http.h"
#include "log.h"
#include "negotiate.h"
#include "probe.h"
#include "provider.h"
#include "store.h"
#include "tls.h"
#include "wsman_ops.h"
#include "xml_log.h"

/* A start-up error: one line on stderr, as the log format asks (a JSON
 * reader of dpsim's stderr must not meet a line it cannot parse). */
static void __attribute__((format(printf, 2, 3)))
startup_error(bool json, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (json) {
		log_set_json(1);
		log_error("%s", msg);
	} else {
		fprintf(stderr, "dpsim: %s\n", msg);
	}
}

/* --fixture-dir's files: names ending in .xml, not hidden (a Kubernetes
 * ConfigMap mount keeps its "..data" links there), regular files once
 * links are followed. */
static int is_fixture_name(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return d->d_name[0] != '.' && n > 4 && strcmp(d->d_name + n - 4, ".xml") == 0;
}

/* Adds dir's fixture files, in name order, to paths (n of cap used).
 * names holds what scandir() allocated, for the caller to free. */
static int list_fixture_dir(const char *dir, char ***names, int *nnames,
			    char *err, size_t errsize)
{
	struct dirent **ents = NULL;
	int n = scandir(dir, &ents, is_fixture_name, alphasort);

	if (n < 0) {
		snprintf(err, errsize, "--fixture-dir %s: %s", dir, strerror(errno));
		return -1;
	}
	*names = calloc((size_t)n + 1, sizeof(char *));
	*nnames = 0;
	int r = *names ? 0 : -1;
	if (r)
		snprintf(err, errsize, "out of memory");
	for (int i = 0; i < n; i++) {
		char path[4096];
		struct stat sb;

		snprintf(path, sizeof(path), "%s/%s", dir, ents[i]->d_name);
		free(ents[i]);
		if (r || stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
			continue;
		if (!((*names)[(*nnames)++] = strdup(path))) {
			snprintf(err, errsize, "out of memory");
			r = -1;
		}
	}
	free(ents);
	return r;
}

/* The schema check's result kept in the database between runs: "dpsim
 * VERSION:" and the digests of the fixture documents this version
 * validated. A restart with the same documents skips the check (the
 * document is the same bytes, checked by the same schema); any other
 * document, or another dpsim version, is checked. */
#define VALIDATED_KEY "validated"
#define VALIDATED_PREFIX "dpsim " DPSIM_VERSION ":"

/* The digests validated before, from the store's value (NULL: none). */
static const char *validated_digests(const char *stored)
{
	size_t n = strlen(VALIDATED_PREFIX);

	return stored && strncmp(stored, VALIDATED_PREFIX, n) == 0 ? stored + n : NULL;
}

/* Loads the fixtures; validated (may be NULL) lists digests known good.
 * The digests of the documents read are appended to *digests (malloc'd,
 * space-separated), for the database once dpsim has started. */
static int load_fixtures(const struct config *c, const char *validated,
			 struct fixture **out, char **digests, char *err, size_t errsize)
{
	char **dirfiles = NULL;
	int ndir = 0;
	struct buf d;
	int r = 0;

	if (c->fixture_dir &&
	    list_fixture_dir(c->fixture_dir, &dirfiles, &ndir, err, errsize)) {
		for (int i = 0; i < ndir; i++)
			free(dirfiles[i]);
		free(dirfiles);
		return -1;
	}
	buf_init(&d, 0);
	buf_adds(&d, VALIDATED_PREFIX);
	size_t total = c->fixtures.n + (size_t)ndir;
	*out = NULL;
	if (!total) {
		if (c->fixture_dir)
			log_info("--fixture-dir %s holds no *.xml file: serving "
				 "the bundled lab", c->fixture_dir);
		r = fixture_load_bundled_lab(out, err, errsize);
		if (!r)
			log_debug("fixtures: the bundled lab, without the schema "
				  "check (test_fixture checks it against the schema)");
	}
	for (size_t i = 0; i < total && !r; i++) {
		const char *path = i < c->fixtures.n ? c->fixtures.v[i] :
				   dirfiles[i - c->fixtures.n];
		struct fixture *more = NULL;
		r = fixture_load_file_known(path, validated, i ? &more : out, err,
					    errsize);
		const struct fixture *read = i ? more : *out;
		if (!r && read->schema_skipped)
			log_debug("fixtures: %s: schema check skipped, the database "
				  "says this dpsim validated the same document "
				  "before", path);
		if (!r)
			buf_addf(&d, " %s", read->digest);
		if (!r && i)
			r = fixture_merge(*out, &more, err, errsize);
		fixture_free(more);
	}
	if (!r && buf_error(&d)) {
		snprintf(err, errsize, "out of memory");
		r = -ENOMEM;
	}
	for (int i = 0; i < ndir; i++)
		free(dirfiles[i]);
	free(dirfiles);
	if (r) {
		fixture_free(*out);
		*out = NULL;
		buf_free(&d);
		return r;
	}
	*digests = strndup(buf_ptr(&d), buf_len(&d));	/* NULL: not remembered */
	buf_free(&d);
	return 0;
}

/* The port file is written whole or not at all, so a test polling for it
 * never reads a half-written number. */
static int write_port_file(const char *path, unsigned port, char *err, size_t errsize)
{
	char tmp[4096];
	snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%u\n", port) < 0 || fclose(f) != 0 || rename(tmp, path)) {
		snprintf(err, errsize, "cannot write port file %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* A seed nobody chose; logged, so the run can still be repeated. */
static uint64_t random_seed(void)
{
	uint64_t s = 0;

	if (getrandom(&s, sizeof(s), 0) != (ssize_t)sizeof(s)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		s = (uint64_t)ts.tv_sec * 1000000007u ^ (uint64_t)ts.tv_nsec;
	}
	return s & INT64_MAX;	/* what --seed accepts */
}

/* The terminal's settings while --hash-password has echo off. A static
 * because a signal handler is the one place that needs it: Ctrl-C at the
 * prompt must not leave the user's shell without echo. */
static struct termios echo_tty;

static void restore_echo_and_die(int sig)
{
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &echo_tty);	/* async-signal-safe */
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_fatal_signals(void (*handler)(int))
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		signal(sigs[i], handler);
}

/* --hash-password: one line of standard input (not echoed when it is a
 * terminal) hashed for a fixture's password-hash (first line printed)
 * and nt-hash (second line: what NTLM sign-in checks). Returns the exit
 * status. */
static int hash_password(void)
{
	struct termios old, quiet;
	bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &old) == 0;
	char *line = NULL, *hash = NULL, err[256], nt[33] = "";
	size_t cap = 0;
	int status = 0;

	if (tty) {
		fputs("Password: ", stderr);
		fflush(stderr);
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		echo_tty = old;
		on_fatal_signals(restore_echo_and_die);
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	ssize_t n = getline(&line, &cap, stdin);
	if (tty) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		on_fatal_signals(SIG_DFL);
		fputc('\n', stderr);
	}
	/* The line's end is not part of the password; a CR before it is a
	 * file written on Windows. */
	if (n > 0 && line[n - 1] == '\n')
		line[--n] = '\0';
	if (n > 0 && line[n - 1] == '\r')
		line[--n] = '\0';
	if (n < 0 && ferror(stdin)) {
		fprintf(stderr, "dpsim: --hash-password: cannot read standard input: "
			"%s\n", strerror(errno));
		status = 1;
	} else if (n <= 0) {
		fprintf(stderr, "dpsim: --hash-password: empty password (give it as "
			"one line on standard input)\n");
		status = 2;
	} else if (auth_password_hash(line, &hash, err, sizeof(err))) {
		fprintf(stderr, "dpsim: --hash-password: %s\n", err);
		status = 1;
	} else if (!negotiate_nt_hash(line, nt)) {
		fprintf(stderr, "dpsim: --hash-password: the password is not UTF-8, "
			"so it has no NT hash (NTLM hashes its UTF-16 form)\n");
		status = 1;
	} else if (printf("%s\n%s\n", hash, nt) < 0 || fflush(stdout) != 0) {
		status = 1;
	}
	explicit_bzero(nt, sizeof(nt));
	if (line)
		explicit_bzero(line, cap);
	free(line);
	free(hash);
	return status;
}

/* Milliseconds on the monotonic clock, for the start-up line. */
static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* Whether the admin token is required: a control API reachable from
 * another machine must not be open. */
static const char *exposed_listener(const struct config *c)
{
	if (c->listen && !http_listen_is_loopback(c->listen))
		return "--listen";
	if (c->tls_cert && !http_listen_is_loopback(c->tls_listen))
		return "--tls-listen";
	return NULL;
}

/* The bound on one --probe exchange: a health check's own timeout is
 * usually longer, and a dpsim that cannot answer its health route within
 * this is not healthy. */
#define PROBE_TIMEOUT_MS 5000

/* --probe: 0 when the target answers ready, 1 otherwise with one line on
 * stderr saying why; 2 when the target itself is wrong. */
static int probe(const struct config *c)
{
	char url[2048], why[512];

	if (probe_url(c->probe, c->listen, url, sizeof(url), why, sizeof(why))) {
		fprintf(stderr, "dpsim --probe: %s\n", why);
		return 2;
	}
	if (probe_get(url, PROBE_TIMEOUT_MS, why, sizeof(why))) {
		fprintf(stderr, "dpsim --probe %s: not ready: %s\n", url, why);
		return 1;
	}
	return 0;
}

/* Makes Negotiate's acceptor and hands it to the WS-Man front end, on a
 * thread of its own (see main). Without the NTLM mechanism dpsim still
 * serves Basic, and says why Negotiate is off. */
struct neg_loader {
	pthread_t thread;
	bool started;
	const struct fixture *fx;
	struct wsman_ops *ops;
	bool allow_unencrypted;
	struct negotiate *neg;	/* the result; read after the join */
};

static void *load_negotiate(void *arg)
{
	struct neg_loader *l = arg;
	char err[512];

	l->neg = negotiate_new(l->fx, NULL, err, sizeof(err));
	if (l->neg)
		log_info("Negotiate (NTLM) sign-in for %zu of %zu user(s): those "
			 "with a password or an nt-hash%s", negotiate_users(l->neg),
			 l->fx->nusers, l->allow_unencrypted ? "; unsealed bodies "
			 "taken over HTTP (--allow-unencrypted)" : "");
	else
		log_warn("Negotiate sign-in is off, Basic only: %s", err);
	wsman_ops_set_negotiate(l->ops, l->neg, l->allow_unencrypted);
	return NULL;
}

int main(int argc, char **argv)
{
	struct config cfg;
	char err[2048];
	int status = 1;
	struct fixture *fx = NULL;
	struct store *st = NULL;
	struct provider *prov = NULL;
	struct wsman_ops *ops = NULL;
	struct http_server *srv = NULL;
	struct control *ctl = NULL;
	struct dashboard *dash = NULL;
	struct adminservice *adm = NULL;
	struct tls_material *tls = NULL;
	struct dblock *dbl = NULL;
	struct neg_loader negl = { 0 };
	/* Where start-up time goes, logged at debug: the time before main
	 * (loading the shared libraries) is the rest of exec to ready. */
	double t_main = mono_ms(), t_listen, t_fixtures, t_store, t_provider;
	double t_wired;

	switch (config_parse(&cfg, argc, argv, err, sizeof(err))) {
	case CONFIG_EXIT:
		config_release(&cfg);
		return 0;
	case CONFIG_HASH_PASSWORD:
		config_release(&cfg);
		return hash_password();
	case CONFIG_PROBE:
		status = probe(&cfg);
		config_release(&cfg);
		return status;
	case CONFIG_ERROR:
		/* JSON when --log-format json came before the mistake. */
		startup_error(cfg.log_json, "%s", err);
		config_release(&cfg);
		return 2;
	case CONFIG_OK:
		break;
	}
	log_threshold = cfg.log_level;
	log_set_json(cfg.log_json);
	/* The admin token may come from DPSIM_ADMIN_TOKEN (config reads the
	 * environment), which keeps it out of ps output. */
	const char *exposed = exposed_listener(&cfg);
	if (!cfg.admin_token && exposed) {
		startup_error(cfg.log_json, "%s %s is not a loopback address: the "
			"control API (/_dpsim/) would be open to the network, so "
			"--admin-token TOKEN (or DPSIM_ADMIN_TOKEN) is required",
			exposed, strcmp(exposed, "--listen") ? cfg.tls_listen : cfg.listen);
		config_release(&cfg);
		return 2;
	}
	if (!cfg.seed_set)
		cfg.seed = random_seed();

	/* Block the shutdown signals before any thread starts so only the
	 * sigwait below ever receives them. */
	sigset_t sigs;
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	wsman_codec_init();
	xml_log_install();
	config_describe(&cfg, err, sizeof(err));
	log_info("starting: %s", err);
	if (cfg.listen && !http_listen_is_loopback(cfg.listen))
		log_warn("plain HTTP on %s is not a loopback address: Basic "
			 "credentials cross the network in clear; %s", cfg.listen,
			 cfg.tls_cert ? "--listen none serves HTTPS alone" :
			 "serve HTTPS with --tls-cert and --tls-key (and --listen none)");
	/* First of all: a second dpsim on this database must be told so,
	 * not that the first one's port is taken. The store keeps it. */
	if (strcmp(cfg.db, ":memory:") != 0 &&
	    dblock_new(cfg.db, &dbl, err, sizeof(err)))
		goto fail;
	if (cfg.tls_cert &&
	    tls_material_load(cfg.tls_cert, cfg.tls_key, &tls, err, sizeof(err)))
		goto fail;

	struct control_options copt = {
		.admin_token = cfg.admin_token, .version = DPSIM_VERSION,
		.journal_page_max = cfg.journal_page_max,
	};
	struct dashboard_options dopt = { .version = DPSIM_VERSION };
	struct wsman_ops_limits lim = {
		.max_contexts = cfg.max_enumerations,
		.max_contexts_per_user = cfg.max_enumerations_per_user,
		.context_idle_s = cfg.enumeration_timeout_s,
	};
	ctl = control_new(&copt);
	dash = dashboard_new(&dopt);
	struct adminservice_options aopt = {
		.denied_status = cfg.adminservice_denied,
	};
	ops = wsman_ops_new(&lim);
	adm = adminservice_new(&aopt);
	if (!ctl || !dash || !ops || !adm) {
		snprintf(err, sizeof(err), "out of memory");
		goto fail;
	}
	/* Before anything is served: made below, beside start-up. */
	wsman_ops_negotiate_pending(ops);
	/* Asked in this order which one owns a path; the dashboard owns
	 * "/", so it comes after the others. */
	const struct front *fronts[] = {
		wsman_ops_front(ops), control_front(ctl), adminservice_front(adm),
		dashboard_front(dash),
	};
	struct http_options hopt = {
		.listen = cfg.listen, .tls_listen = cfg.tls_listen, .tls = tls,
		.threads = cfg.threads,
		.max_body = (size_t)cfg.max_body_kib * 1024,
		.max_connections = cfg.max_connections,
		.connection_timeout_s = cfg.connection_timeout_s,
		.max_client_connections = cfg.max_client_connections,
		.read_timeout_s = cfg.read_timeout_s,
		.allow_hosts = (const char *const *)cfg.allow_hosts.v,
		.nallow_hosts = cfg.allow_hosts.n,
		.fronts = fronts,
		.nfronts = sizeof(fronts) / sizeof(fronts[0]),
	};
	t_listen = mono_ms();
	int started = http_server_start(&hopt, &srv, err, sizeof(err));
	/* GnuTLS holds its own parsed copy now: no key text stays in memory. */
	tls_material_free(tls);
	tls = NULL;
	if (started)
		goto fail;

	struct provider_options popt = {
		.seed = cfg.seed, .journal_max = cfg.journal_max,
		.statmsg_max = cfg.status_messages_max,
		.max_sites = cfg.max_sites, .max_snapshots = cfg.max_snapshots,
		.max_fault_rules = cfg.max_fault_rules,
	};
	/* The database first: it remembers which fixture documents were
	 * validated before, so a restart with the same ones skips that. */
	t_store = mono_ms();
	struct store_options sopt = {
		.durability = cfg.durability_full ? STORE_DURABILITY_FULL :
			      STORE_DURABILITY_NORMAL,
		.lock = dbl,
	};
	dbl = NULL;	/* the store's, from the call on */
	if (store_open_opts(cfg.db, &sopt, &st, err, sizeof(err)))
		goto fail;
	char *validated = NULL, *digests = NULL;
	store_seed_state_get(st, VALIDATED_KEY, &validated);	/* none: check */
	t_fixtures = mono_ms();
	int loaded = load_fixtures(&cfg, validated_digests(validated), &fx, &digests,
				   err, sizeof(err));
	free(validated);
	if (loaded)
		goto fail;
	/* Negotiate's acceptor is made beside the rest (MIT GSSAPI and the
	 * NTLM mechanism, which brings OpenSSL: about 9 ms of loading, more
	 * than all the rest of start-up); a WS-Man request that needs it
	 * waits for it. */
	negl = (struct neg_loader){ .fx = fx, .ops = ops,
				    .allow_unencrypted = cfg.allow_unencrypted };
	negl.started = pthread_create(&negl.thread, NULL, load_negotiate,
				      &negl) == 0;
	if (!negl.started)
		load_negotiate(&negl);
	t_provider = mono_ms();
	if (provider_new_opts(fx, st, &popt, &prov, err, sizeof(err))) {
		free(digests);
		goto fail;
	}
	/* Remembered only now that everything in them was accepted. A
	 * failure costs the next start the check, nothing else. */
	if (digests && !fx->schema_skipped)
		store_seed_state_put(st, VALIDATED_KEY, digests);
	free(digests);
	t_wired = mono_ms();
	/* The fixture's XML tree and the seeding are freed by now; give the
	 * pages back rather than keep them for a peak that is over. */
	malloc_trim(0);

	wsman_ops_set_ready(ops, fx, prov);
	control_set_ready(ctl, prov);
	dashboard_set_ready(dash, fx, prov);
	adminservice_set_ready(adm, fx, prov);
	log_info("fault seed %llu", (unsigned long long)cfg.seed);
	/* --port-file names the plain HTTP port, or with --listen none the
	 * one port there is, so a script written for HTTP keeps working. */
	if (cfg.port_file &&
	    write_port_file(cfg.port_file, cfg.listen ? http_server_port(srv) :
			    http_server_tls_port(srv), err, sizeof(err)))
		goto fail;
	if (cfg.tls_port_file &&
	    write_port_file(cfg.tls_port_file, http_server_tls_port(srv), err,
			    sizeof(err)))
		goto fail;

	size_t nd = 0;
	for (size_t i = 0; i < fx->nsites; i++)
		nd += fx->sites[i].ndps;
	log_info("serving %zu site(s), %zu DP(s) from %s; database %s", fx->nsites, nd,
		 fx->source, cfg.db);
	double t_ready = mono_ms();
	/* CPU time too: on a busy machine the wall clock mostly measures
	 * the neighbours. */
	struct timespec cpu;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu);
	log_debug("start-up: %.1f ms from main to ready: options and set-up "
		  "%.1f, listeners %.1f, database %.1f, fixtures (parse, schema, "
		  "passwords) %.1f, provider (model, seeding) %.1f, rest %.1f; "
		  "%.1f ms of CPU",
		  t_ready - t_main, t_listen - t_main, t_store - t_listen,
		  t_fixtures - t_store, t_provider - t_fixtures,
		  t_wired - t_provider, t_ready - t_wired,
		  (double)cpu.tv_sec * 1e3 + (double)cpu.tv_nsec / 1e6);
	/* One line, the URL of each listener served, plain HTTP first. */
	printf("dpsim ready");
	if (cfg.listen)
		printf(" %s/wsman", http_server_url(srv));
	if (cfg.tls_cert)
		printf(" %s/wsman", http_server_tls_url(srv));
	putchar('\n');
	fflush(stdout);

	int sig = 0;
	sigwait(&sigs, &sig);
	log_info("received %s: finishing requests in flight and shutting down",
		 sig == SIGINT ? "SIGINT" : "SIGTERM");
	/* A second signal while we drain means "now": restore the default
	 * action so it ends the process. */
	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	pthread_sigmask(SIG_UNBLOCK, &sigs, NULL);
	control_set_stopping(ctl);
	dashboard_set_stopping(dash);
	status = 0;
	goto out;

fail:
	startup_error(cfg.log_json, "%s", err);
	log_debug("start-up failed");
out:
	/* First: it hands its acceptor to ops, and requests may wait for it. */
	if (negl.started)
		pthread_join(negl.thread, NULL);
	else if (ops)	/* failed before: nobody waits for an acceptor */
		wsman_ops_set_negotiate(ops, NULL, false);
	/* Requests a fault rule holds are answered now, not after their
	 * delay; then the server drains. */
	if (prov)
		provider_shutdown(prov);
	http_server_stop(srv);
	tls_material_free(tls);
	control_free(ctl);
	dashboard_free(dash);
	adminservice_free(adm);
	wsman_ops_free(ops);
	negotiate_free(negl.neg);	/* the key file and its directory go */
	provider_free(prov);
	store_free(st);
	dblock_free(dbl);	/* when start-up failed before the store */
	fixture_free(fx);
	wsman_codec_cleanup();
	if (status == 0)
		log_info("stopped cleanly");
	config_release(&cfg);
	return status;
}
