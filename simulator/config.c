#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dpsim_version.h"
#include "num.h"

enum opt_kind { OPT_STRING, OPT_UINT, OPT_MULTI, OPT_LOGLEVEL, OPT_LOGFORMAT,
		OPT_SEED, OPT_DURABILITY, OPT_HELP, OPT_VERSION,
		OPT_HASH_PASSWORD, OPT_FLAG };

/* One row per option: parsing, --help and config_describe() all read it,
 * so an option cannot be documented but unparsed or the reverse. */
struct option_def {
	const char *name;
	const char *arg;	/* argument placeholder for --help */
	enum opt_kind kind;
	size_t offset;		/* into struct config */
	unsigned min, max;	/* OPT_UINT range */
	const char *help;
	/* The default, as a user would write it, and the only place it is
	 * written: config_parse() applies it with apply() before argv, so a
	 * default is parsed exactly as a value given on the command line;
	 * --help shows it. NULL: the field stays zero. A repeatable option
	 * (none given) and --seed (drawn by main) have no default value:
	 * theirs only says so (has_default_value()). */
	const char *deflt;
};

#define OFF(f) offsetof(struct config, f)

/* Compared by address: --tls-listen given (even with this value) is not
 * the default. WinRM's HTTPS port. */
static const char default_tls_listen[] = "127.0.0.1:5986";

static const struct option_def options[] = {
	{ "listen", "ADDR:PORT|none", OPT_STRING, OFF(listen), 0, 0,
	  "address to serve WS-Management on over plain HTTP; port 0 picks a "
	  "free port; none serves HTTPS only", "127.0.0.1:5985" },
	{ "port-file", "FILE", OPT_STRING, OFF(port_file), 0, 0,
	  "write the bound HTTP port to FILE once ready (the HTTPS port "
	  "with --listen none)", NULL },
	{ "tls-cert", "FILE", OPT_STRING, OFF(tls_cert), 0, 0,
	  "PEM certificate (server first, then any intermediates): also "
	  "serve HTTPS; needs --tls-key", NULL },
	{ "tls-key", "FILE", OPT_STRING, OFF(tls_key), 0, 0,
	  "unencrypted PEM private key of --tls-cert", NULL },
	{ "tls-listen", "ADDR:PORT", OPT_STRING, OFF(tls_listen), 0, 0,
	  "address to serve HTTPS on; port 0 picks a free port",
	  default_tls_listen },
	{ "tls-port-file", "FILE", OPT_STRING, OFF(tls_port_file), 0, 0,
	  "write the bound HTTPS port to FILE once ready", NULL },
	{ "db", "PATH|:memory:", OPT_STRING, OFF(db), 0, 0,
	  "SQLite database holding DP state, the journal and the status "
	  "messages", "dpsim.db" },
	{ "durability", "normal|full", OPT_DURABILITY, OFF(durability_full), 0, 0,
	  "normal: a committed change survives dpsim crashing, not a power "
	  "cut; full: it survives a power cut too (every commit is synced "
	  "to disk)", "normal" },
	{ "fixture", "FILE", OPT_MULTI, OFF(fixtures), 0, 0,
	  "lab fixture to serve (repeatable)", "the bundled lab" },
	{ "log-level", "LEVEL", OPT_LOGLEVEL, OFF(log_level), 0, 0,
	  "error, warn, info or debug", "info" },
	{ "log-format", "FORMAT", OPT_LOGFORMAT, OFF(log_json), 0, 0,
	  "text or json", "text" },
	/* 2: measured best on 2 cores (docs/architecture.md, Measured choices). */
	{ "threads", "N", OPT_UINT, OFF(threads), 1, 64,
	  "worker threads of each listener (HTTP, HTTPS)", "2" },
	{ "max-body", "KIB", OPT_UINT, OFF(max_body_kib), 1, 65536,
	  "largest request body accepted, in KiB", "512" },
	{ "max-connections", "N", OPT_UINT, OFF(max_connections), 1, 65536,
	  "concurrent connections accepted; near the limit the longest-idle "
	  "kept-alive connection is closed to make room", "1024" },
	{ "max-client-connections", "N", OPT_UINT, OFF(max_client_connections), 1, 65536,
	  "concurrent connections accepted from one client address", "256" },
	{ "connection-timeout", "SECONDS", OPT_UINT, OFF(connection_timeout_s), 1, 86400,
	  "a kept-alive connection that starts no request for this long is "
	  "closed", "120" },
	{ "read-timeout", "SECONDS", OPT_UINT, OFF(read_timeout_s), 1, 3600,
	  "a request (line, headers and body) must arrive whole within this "
	  "time, however slowly it trickles", "30" },
	{ "allow-host", "NAME", OPT_MULTI, OFF(allow_hosts), 0, 0,
	  "on a loopback listener, also serve the control API and dashboard "
	  "to requests for Host NAME (repeatable; loopback names always)", NULL },
	{ "admin-token", "TOKEN", OPT_STRING, OFF(admin_token), 0, 0,
	  "bearer token the control API (/_dpsim/) wants: at least 16 "
	  "printable ASCII characters, no spaces; required when --listen or "
	  "--tls-listen is not a loopback address", NULL },
	{ "seed", "N", OPT_SEED, OFF(seed), 0, 0,
	  "seed of the fault rules' random draws, to repeat a run", "random, logged" },
	{ "journal-max", "N", OPT_UINT, OFF(journal_max), 0, 4000000000u,
	  "journal rows kept per site, oldest dropped first; 0 keeps all",
	  "100000" },
	{ "status-messages-max", "N", OPT_UINT, OFF(status_messages_max), 0,
	  4000000000u,
	  "status messages (40411/40412) kept per site; past it the oldest are "
	  "dropped down to 1/64 below it; 0 keeps all", "10000" },
	{ "max-enumerations", "N", OPT_UINT, OFF(max_enumerations), 1, 1000000,
	  "open WS-Man enumeration contexts kept in total; when full, the user "
	  "holding the most loses their least recently used", "1024" },
	{ "max-enumerations-per-user", "N", OPT_UINT,
	  OFF(max_enumerations_per_user), 1, 1000000,
	  "open enumeration contexts one user may hold; a user at the cap "
	  "loses their own least recently used, never another user's (above "
	  "--max-enumerations: that cap alone)", "256" },
	{ "max-fault-rules", "N", OPT_UINT, OFF(max_fault_rules), 1, 1000000,
	  "fault rules held, all sites together; more are refused (409)",
	  "1000" },
	{ "journal-page-max", "N", OPT_UINT, OFF(journal_page_max), 1, 1000000,
	  "journal rows one GET /_dpsim/journal answers; a larger limit is "
	  "refused (400), without one the page stops there (page on with "
	  "after=)", "10000" },
	{ "max-snapshots", "N", OPT_UINT, OFF(max_snapshots), 1, 100000,
	  "snapshots kept; saving another name is refused (409) until one is "
	  "deleted", "64" },
	{ "max-sites", "N", OPT_UINT, OFF(max_sites), 1, 100000,
	  "sites served (start-up fixtures included); adding more is refused "
	  "(409)", "100" },
	/* 404: what a real site answered (docs/adminservice-api.md, Errors). */
	{ "adminservice-denied", "404|403", OPT_UINT, OFF(adminservice_denied),
	  403, 404, "HTTP status of an access refusal (WBEM_E_ACCESS_DENIED) on "
	  "the AdminService route: 404 with a message starting 'Access denied', "
	  "as a real site answers, or 403", "404" },
	{ "allow-unencrypted", NULL, OPT_FLAG, OFF(allow_unencrypted), 0, 0,
	  "take WS-Man bodies in the clear from clients signed in with "
	  "Negotiate over plain HTTP (WinRM's AllowUnencrypted=true); by "
	  "default they must be sealed, as WinRM wants", NULL },
	{ "hash-password", NULL, OPT_HASH_PASSWORD, 0, 0, 0,
	  "read a password line from standard input, print its hash for a "
	  "fixture's password-hash and its NT hash for nt-hash, and exit", NULL },
	{ "help", NULL, OPT_HELP, 0, 0, 0, "show this help and exit", NULL },
	{ "version", NULL, OPT_VERSION, 0, 0, 0, "show the version and exit", NULL },
};

#define NOPTIONS (sizeof(options) / sizeof(options[0]))

static void print_help(const char *prog)
{
	printf("usage: %s [OPTION]...\n\n"
	       "An offline stand-in for a Configuration Manager SMS Provider:\n"
	       "SetDPMaintenanceMode and SMS_DistributionPointInfo over WS-Management\n"
	       "and the AdminService's REST route (/AdminService/wmi/).\n\n",
	       prog);
	for (size_t i = 0; i < NOPTIONS; i++) {
		char left[64];
		snprintf(left, sizeof(left), "--%s%s%s", options[i].name,
			 options[i].arg ? " " : "", options[i].arg ? options[i].arg : "");
		printf("  %-30s %s", left, options[i].help);
		if (options[i].deflt)
			printf(" [%s]", options[i].deflt);
		putchar('\n');
	}
	printf("\nOn readiness dpsim prints one line with the URL of each listener it\n"
	       "serves, plain HTTP first:\n"
	       "  dpsim ready http://HOST:PORT/wsman [https://HOST:PORT/wsman]\n"
	       "or, with --listen none:\n"
	       "  dpsim ready https://HOST:PORT/wsman\n");
}

static const struct option_def *find_option(const char *name, size_t len)
{
	for (size_t i = 0; i < NOPTIONS; i++)
		if (strlen(options[i].name) == len && strncmp(options[i].name, name, len) == 0)
			return &options[i];
	return NULL;
}

static int apply(struct config *c, const struct option_def *o, char *val,
		 char *err, size_t errsize)
{
	char *base = (char *)c;

	switch (o->kind) {
	case OPT_STRING:
		if (!*val) {
			snprintf(err, errsize, "--%s needs a non-empty value", o->name);
			return -EINVAL;
		}
		*(char **)(base + o->offset) = val;
		return 0;
	case OPT_MULTI: {
		struct config_list *l = (struct config_list *)(base + o->offset);
		if (!*val) {
			snprintf(err, errsize, "--%s needs a non-empty value", o->name);
			return -EINVAL;
		}
		if (l->n == CONFIG_MAX_LIST) {
			snprintf(err, errsize, "--%s given more than %d times",
				 o->name, CONFIG_MAX_LIST);
			return -EINVAL;
		}
		l->v[l->n++] = val;
		return 0;
	}
	case OPT_UINT: {
		uint64_t v;
		if (num_parse_dec(val, o->max, &v) || v < o->min) {
			snprintf(err, errsize, "--%s: '%s' is not a number from %u to %u",
				 o->name, val, o->min, o->max);
			return -EINVAL;
		}
		*(unsigned *)(base + o->offset) = (unsigned)v;
		return 0;
	}
	case OPT_LOGLEVEL:
		if (log_level_parse(val, &c->log_level)) {
			snprintf(err, errsize, "--%s: '%s' is not one of error, warn, info, debug",
				 o->name, val);
			return -EINVAL;
		}
		return 0;
	case OPT_LOGFORMAT:
		if (strcmp(val, "text") && strcmp(val, "json")) {
			snprintf(err, errsize, "--%s: '%s' is not text or json", o->name, val);
			return -EINVAL;
		}
		c->log_json = strcmp(val, "json") == 0;
		return 0;
	case OPT_SEED: {
		uint64_t v;
		if (num_parse_dec(val, INT64_MAX, &v)) {
			snprintf(err, errsize, "--%s: '%s' is not a number from 0 to %lld",
				 o->name, val, (long long)INT64_MAX);
			return -EINVAL;
		}
		c->seed = v;
		c->seed_set = true;
		return 0;
	}
	case OPT_DURABILITY:
		if (strcmp(val, "normal") && strcmp(val, "full")) {
			snprintf(err, errsize, "--%s: '%s' is not normal or full",
				 o->name, val);
			return -EINVAL;
		}
		c->durability_full = strcmp(val, "full") == 0;
		return 0;
	case OPT_HELP:
	case OPT_VERSION:
	case OPT_HASH_PASSWORD:
	case OPT_FLAG:
		break;
	}
	return 0;
}

static int check_hostport(const char *opt, const char *val, char *err,
			  size_t errsize)
{
	char host[256];
	uint16_t port;

	if (config_split_hostport(val, host, sizeof(host), &port)) {
		snprintf(err, errsize, "--%s: '%s' is not ADDR:PORT", opt, val);
		return -EINVAL;
	}
	return 0;
}

int config_check_admin_token(const char *source, const char *tok, char *err,
			     size_t errsize)
{
	size_t len = strlen(tok), i;

	/* The first offending character is named by position only: the
	 * token is a secret, and this line goes to logs. */
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)tok[i];

		if (c > 0x20 && c < 0x7F)
			continue;
		snprintf(err, errsize, "%s: the token has %s at character %zu; "
			 "use printable ASCII without spaces (e.g. `openssl "
			 "rand -hex 16`)", source,
			 c == ' ' || c == '\t' ? "whitespace" :
			 c < 0x20 || c == 0x7F ? "a control character" :
			 "a non-ASCII byte", i + 1);
		return -EINVAL;
	}
	if (len < CONFIG_ADMIN_TOKEN_MIN) {
		snprintf(err, errsize, "%s: the token is %zu character%s long, "
			 "at least %d are needed (e.g. `openssl rand -hex 16`)",
			 source, len, len == 1 ? "" : "s",
			 CONFIG_ADMIN_TOKEN_MIN);
		return -EINVAL;
	}
	return 0;
}

/* The options that only make sense together. Each mistake is refused
 * rather than guessed at: a lab that asked for HTTPS and silently got
 * plain HTTP would send its credentials in clear. */
static int check(struct config *c, char *err, size_t errsize)
{
	bool tls = c->tls_cert || c->tls_key;

	if (c->admin_token &&
	    config_check_admin_token("--admin-token", c->admin_token, err, errsize))
		return -EINVAL;
	if (strcmp(c->listen, "none") == 0)
		c->listen = NULL;
	else if (check_hostport("listen", c->listen, err, errsize))
		return -EINVAL;
	if (c->tls_cert && !c->tls_key) {
		snprintf(err, errsize, "--tls-cert needs --tls-key (the certificate's "
			 "private key)");
		return -EINVAL;
	}
	if (c->tls_key && !c->tls_cert) {
		snprintf(err, errsize, "--tls-key needs --tls-cert (the certificate "
			 "of that key)");
		return -EINVAL;
	}
	if (!c->listen && !tls) {
		snprintf(err, errsize, "--listen none turns plain HTTP off, so "
			 "--tls-cert and --tls-key are needed to serve anything");
		return -EINVAL;
	}
	if (check_hostport("tls-listen", c->tls_listen, err, errsize))
		return -EINVAL;
	if (!tls && c->tls_listen != default_tls_listen) {
		snprintf(err, errsize, "--tls-listen needs --tls-cert and --tls-key");
		return -EINVAL;
	}
	if (!tls && c->tls_port_file) {
		snprintf(err, errsize, "--tls-port-file needs --tls-cert and --tls-key");
		return -EINVAL;
	}
	return 0;
}

/* Every field zero, then each option's default from the table, applied
 * as if given first on the command line. apply() keeps a string value's
 * pointer and never writes through it, so the table's constant strings
 * serve as values (hence the casts). */
static bool has_default_value(const struct option_def *o)
{
	return o->deflt && o->kind != OPT_MULTI && o->kind != OPT_SEED;
}

static int apply_defaults(struct config *c, char *err, size_t errsize)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < NOPTIONS; i++)
		if (has_default_value(&options[i]) &&
		    apply(c, &options[i], (char *)options[i].deflt, err, errsize))
			return -EINVAL;
	return 0;
}

enum config_result config_parse(struct config *c, int argc, char **argv,
				char *err, size_t errsize)
{
	if (apply_defaults(c, err, errsize))
		return CONFIG_ERROR;
	for (int i = 1; i < argc; i++) {
		char *arg = argv[i];
		if (strncmp(arg, "--", 2) != 0) {
			snprintf(err, errsize, "unexpected argument '%s' (see --help)", arg);
			return CONFIG_ERROR;
		}
		char *name = arg + 2, *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);
		const struct option_def *o = find_option(name, len);
		if (!o) {
			snprintf(err, errsize, "unknown option '--%.*s' (see --help)", (int)len, name);
			return CONFIG_ERROR;
		}
		if (o->kind == OPT_HELP) {
			print_help(argv[0]);
			return CONFIG_EXIT;
		}
		if (o->kind == OPT_VERSION) {
			printf("dpsim %s\n", DPSIM_VERSION);
			return CONFIG_EXIT;
		}
		if (o->kind == OPT_HASH_PASSWORD)
			return CONFIG_HASH_PASSWORD;
		if (o->kind == OPT_FLAG) {
			if (eq) {
				snprintf(err, errsize, "--%s takes no value", o->name);
				return CONFIG_ERROR;
			}
			*(bool *)((char *)c + o->offset) = true;
			continue;
		}
		char *val = eq ? eq + 1 : NULL;
		if (!val) {
			if (i + 1 >= argc) {
				snprintf(err, errsize, "--%s needs a value (%s)", o->name, o->arg);
				return CONFIG_ERROR;
			}
			val = argv[++i];
		}
		if (apply(c, o, val, err, errsize))
			return CONFIG_ERROR;
	}
	return check(c, err, errsize) ? CONFIG_ERROR : CONFIG_OK;
}

void config_describe(const struct config *c, char *out, size_t size)
{
	/* The token is a secret: say whether there is one, never what. The
	 * key file is named, its contents never read here. */
	int n = snprintf(out, size, "--listen %s", c->listen ? c->listen : "none");
	if (c->tls_cert && n > 0 && (size_t)n < size)
		n += snprintf(out + n, size - (size_t)n,
			      " --tls-listen %s --tls-cert %s --tls-key %s",
			      c->tls_listen, c->tls_cert, c->tls_key);
	if (n > 0 && (size_t)n < size)
		n += snprintf(out + n, size - (size_t)n, " --db %s --durability %s"
			 " --threads %u --max-body %u"
			 " --max-connections %u --max-client-connections %u"
			 " --connection-timeout %u --read-timeout %u --log-level %s"
			 " --journal-max %u --status-messages-max %u"
			 " --max-enumerations %u"
			 " --max-enumerations-per-user %u --max-fault-rules %u"
			 " --journal-page-max %u --max-snapshots %u --max-sites %u"
			 " --adminservice-denied %u --seed %llu%s",
			 c->db, c->durability_full ? "full" : "normal",
			 c->threads, c->max_body_kib,
			 c->max_connections, c->max_client_connections,
			 c->connection_timeout_s, c->read_timeout_s,
			 log_level_name(c->log_level), c->journal_max,
			 c->status_messages_max, c->max_enumerations, c->max_enumerations_per_user,
			 c->max_fault_rules, c->journal_page_max, c->max_snapshots,
			 c->max_sites, c->adminservice_denied,
			 (unsigned long long)c->seed,
			 c->admin_token ? " --admin-token (set)" : "");
	for (size_t i = 0; i < c->allow_hosts.n && n > 0 && (size_t)n < size; i++)
		n += snprintf(out + n, size - (size_t)n, " --allow-host %s",
			      c->allow_hosts.v[i]);
	for (size_t i = 0; i < c->fixtures.n && n > 0 && (size_t)n < size; i++)
		n += snprintf(out + n, size - (size_t)n, " --fixture %s", c->fixtures.v[i]);
	if (!c->fixtures.n && n > 0 && (size_t)n < size)
		snprintf(out + n, size - (size_t)n, " (bundled lab fixture)");
}

int config_split_hostport(const char *s, char *host, size_t hostsize, uint16_t *port)
{
	const char *colon;
	size_t hlen;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (!close || close[1] != ':')
			return -EINVAL;
		hlen = (size_t)(close - s - 1);
		s++;
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon)
			return -EINVAL;
		hlen = (size_t)(colon - s);
	}
	if (hlen == 0 || hlen >= hostsize)
		return -EINVAL;
	memcpy(host, s, hlen);
	host[hlen] = '\0';

	uint64_t p;
	if (num_parse_dec(colon + 1, 65535, &p))
		return -EINVAL;
	*port = (uint16_t)p;
	return 0;
}
