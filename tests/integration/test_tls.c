/* HTTPS end to end: a throwaway CA and a server certificate for
 * 127.0.0.1/localhost are made with the openssl CLI once per run, in a
 * private temp directory; every test starts its own dpsim with them and
 * talks to it with libcurl (verifying against the CA) or the built dpctl.
 * Bad TLS configurations must each stop dpsim with one line naming the
 * cause before anything is served. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>

#include "harness.h"

#define DPINFO_URI WMI_NS "/SMS_DistributionPointInfo"
#define ACT_GET "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
#define DP01_SELECTORS							\
	"<w:Selector Name=\"NALPath\">" DP01_NAL "</w:Selector>"	\
	"<w:Selector Name=\"ResourceType\">Windows NT Server</w:Selector>" \
	"<w:Selector Name=\"SiteCode\">PS1</w:Selector>"
/* dpctl's exit code for transport, authentication and TLS failures
 * (client/dpctl.h, DPCTL_EXIT_TRANSPORT). */
#define DPCTL_EXIT_TLS 3

/* The throwaway PKI, made once for the whole run. */
struct pki {
	struct dpsim_proc tmp;	/* only for its private directory */
	char ca[400];		/* CA certificate */
	char cert[400];		/* server certificate, signed by the CA */
	char key[400];		/* its key */
	char other_key[400];	/* a key that matches nothing */
	char junk[400];		/* text that is no PEM at all */
	char missing[400];	/* a path that does not exist */
};

static const char *openssl_bin(void)
{
	return access("/usr/bin/openssl", X_OK) == 0 ? "/usr/bin/openssl"
						     : "/usr/local/bin/openssl";
}

/* Runs openssl with args (NULL-terminated); fails the run if it fails. */
static int openssl(const char *const *args)
{
	const char *argv[32] = { openssl_bin() };
	size_t n = 1;
	char *out, *err;

	for (; *args && n < 31; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	int st = run_program(argv, NULL, &out, &err);
	if (st != 0)
		fprintf(stderr, "openssl %s exited %d:\n%s%s", argv[1], st, out, err);
	free(out);
	free(err);
	return st;
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

/* P-256 keys: quick to make, and quick to handshake with while dpsim
 * runs under valgrind. */
static int make_pki(void **state)
{
	struct pki *k = calloc(1, sizeof(*k));
	char csr[400], ext[400], cakey[400];

	if (!k)
		return -1;
	dpsim_prepare(&k->tmp);
	const char *d = k->tmp.dir;
	snprintf(k->ca, sizeof(k->ca), "%s/ca.pem", d);
	snprintf(cakey, sizeof(cakey), "%s/ca.key", d);
	snprintf(k->cert, sizeof(k->cert), "%s/server.pem", d);
	snprintf(k->key, sizeof(k->key), "%s/server.key", d);
	snprintf(k->other_key, sizeof(k->other_key), "%s/other.key", d);
	snprintf(k->junk, sizeof(k->junk), "%s/junk.pem", d);
	snprintf(k->missing, sizeof(k->missing), "%s/missing.pem", d);
	snprintf(csr, sizeof(csr), "%s/server.csr", d);
	snprintf(ext, sizeof(ext), "%s/server.ext", d);

	write_text(ext, "basicConstraints = critical, CA:FALSE\n"
		   "keyUsage = critical, digitalSignature, keyEncipherment\n"
		   "extendedKeyUsage = serverAuth\n"
		   "subjectAltName = IP:127.0.0.1, DNS:localhost\n");
	write_text(k->junk, "this is not a certificate\n");
	const char *mk_ca[] = { "req", "-x509", "-newkey", "ec", "-pkeyopt",
		"ec_paramgen_curve:prime256v1", "-nodes", "-keyout", cakey,
		"-out", k->ca, "-days", "2", "-subj", "/CN=dpsim test CA", NULL };
	const char *mk_csr[] = { "req", "-new", "-newkey", "ec", "-pkeyopt",
		"ec_paramgen_curve:prime256v1", "-nodes", "-keyout", k->key,
		"-out", csr, "-subj", "/CN=localhost", NULL };
	const char *sign[] = { "x509", "-req", "-in", csr, "-CA", k->ca,
		"-CAkey", cakey, "-set_serial", "2", "-days", "2", "-extfile",
		ext, "-out", k->cert, NULL };
	const char *mk_other[] = { "genpkey", "-algorithm", "EC", "-pkeyopt",
		"ec_paramgen_curve:prime256v1", "-out", k->other_key, NULL };
	if (openssl(mk_ca) || openssl(mk_csr) || openssl(sign) ||
	    openssl(mk_other)) {
		dpsim_cleanup(&k->tmp);
		free(k);
		return -1;
	}
	http_set_ca_file(k->ca);
	*state = k;
	return 0;
}

static int drop_pki(void **state)
{
	struct pki *k = *state;

	http_set_ca_file(NULL);
	dpsim_cleanup(&k->tmp);
	free(k);
	return 0;
}

/* One test's dpsim. The teardown ends it and removes its directory even
 * when an assertion left the test half way. */
struct tcase {
	const struct pki *k;
	struct dpsim_proc p;
};

static int setup_case(void **state)
{
	struct tcase *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	t->k = *state;		/* the group's */
	dpsim_prepare(&t->p);
	*state = t;
	return 0;
}

static int teardown_case(void **state)
{
	struct tcase *t = *state;

	dpsim_cleanup(&t->p);
	free(t);
	return 0;
}

/* ---- helpers ------------------------------------------------------------ */

/* Starts dpsim serving HTTPS with the test certificate, plus extra
 * arguments (at most 10). */
static void start_tls(struct tcase *t, const char *const *extra)
{
	const char *args[16] = { "--tls-cert", t->k->cert, "--tls-key", t->k->key };
	size_t n = 4;

	for (; extra && *extra && n < 15; extra++)
		args[n++] = *extra;
	args[n] = NULL;
	assert_int_equal(dpsim_start(&t->p, args), 0);
}

/* SIGTERM; dpsim must exit 0 (and, under valgrind, clean). */
static void stop(struct tcase *t)
{
	assert_int_equal(dpsim_stop(&t->p), 0);
}

static struct http_reply post(const char *url, const char *env)
{
	struct http_reply r;

	if (http_post(url, "lab", "lab", NULL, env, strlen(env), &r))
		fprintf(stderr, "POST %s failed: curl code %d\n", url, r.curl_code);
	assert_int_equal(r.curl_code, CURLE_OK);
	return r;
}

/* MaintenanceMode of DP01, read with a WS-Transfer Get on url. */
static long get_dp01_mode(const char *url)
{
	char *env = envelope(ACT_GET, DPINFO_URI, DP01_SELECTORS, NULL);
	struct http_reply r = post(url, env);

	free(env);
	assert_int_equal(r.status, 200);
	char *name = xpath_text(r.body, "/s:Envelope/s:Body/*[local-name()="
				"'SMS_DistributionPointInfo']/*[local-name()='Name']");
	assert_non_null(name);
	assert_string_equal(name, "DP01.contoso.com");
	free(name);
	char *m = xpath_text(r.body, "//*[local-name()='MaintenanceMode']");
	assert_non_null(m);
	long v = strtol(m, NULL, 10);
	free(m);
	http_reply_free(&r);
	return v;
}

/* SetDPMaintenanceMode(DP01, mode) on url; returns the ReturnValue. */
static long set_dp01_mode(const char *url, int mode)
{
	char *body = NULL, *env;
	int n = asprintf(&body, "<p:SetDPMaintenanceMode_INPUT xmlns:p=\"%s\">"
			 "<p:NALPath>%s</p:NALPath><p:Mode>%d</p:Mode>"
			 "</p:SetDPMaintenanceMode_INPUT>", DPINFO_URI, DP01_NAL,
			 mode);
	assert_true(n > 0);
	env = envelope(DPINFO_URI "/SetDPMaintenanceMode", DPINFO_URI, NULL, body);
	struct http_reply r = post(url, env);
	free(env);
	free(body);
	assert_int_equal(r.status, 200);
	char *rv = xpath_text(r.body, "//*[local-name()='SetDPMaintenanceMode_OUTPUT']"
			      "/*[local-name()='ReturnValue']");
	assert_non_null(rv);
	long v = strtol(rv, NULL, 10);
	free(rv);
	http_reply_free(&r);
	return v;
}

static json_t *get_json(const char *url)
{
	struct http_reply r;
	json_error_t jerr;

	assert_int_equal(http_get(url, &r), 0);
	assert_int_equal(r.status, 200);
	json_t *j = json_loads(r.body, 0, &jerr);
	if (!j)
		fprintf(stderr, "not JSON (%s):\n%s\n", jerr.text, r.body);
	assert_non_null(j);
	http_reply_free(&r);
	return j;
}

static uint16_t url_port(const char *url)
{
	const char *c = strrchr(url, ':');

	assert_non_null(c);
	return (uint16_t)strtoul(c + 1, NULL, 10);
}

static unsigned read_port_file(const char *path)
{
	char *t = read_file(path, NULL);
	unsigned v = (unsigned)strtoul(t, NULL, 10);

	free(t);
	return v;
}

struct run {
	int status;
	char *out;
	char *err;
};

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

/* dpctl -e url [--cacert ca] args... as lab/lab. */
static void run_dpctl(const char *url, const char *ca,
		      const char *const *args, struct run *r)
{
	const char *argv[32] = { DPCTL_BIN, "-e", url };
	const char *env[] = { "DPCTL_USER=lab", "DPCTL_PASSWORD=lab", NULL };
	size_t n = 3;

	if (ca) {
		argv[n++] = "--cacert";
		argv[n++] = ca;
	}
	for (; *args && n < 31; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	r->status = run_program(argv, env, &r->out, &r->err);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* ---- over HTTPS --------------------------------------------------------- */

/* Get, SetDPMaintenanceMode, Get again and the journal, all over HTTPS
 * verified against the test CA. */
static void invoke_flow_over_https(void **state)
{
	struct tcase *t = *state;
	struct dpsim_proc *p = &t->p;
	char base[160], url[300];

	start_tls(t, NULL);
	assert_int_equal(strncmp(p->tls_url, "https://127.0.0.1:", 18), 0);
	assert_int_equal(get_dp01_mode(p->tls_url), 0);
	assert_int_equal(set_dp01_mode(p->tls_url, 1), 0);
	assert_int_equal(get_dp01_mode(p->tls_url), 1);

	dpsim_tls_base(p, base, sizeof(base));
	snprintf(url, sizeof(url), "%s/_dpsim/journal?method=SetDPMaintenanceMode",
		 base);
	json_t *j = get_json(url);
	json_t *rows = json_object_get(j, "entries");
	assert_int_equal(json_array_size(rows), 1);
	json_t *row = json_array_get(rows, 0);
	assert_string_equal(json_string_value(json_object_get(row, "nalpath")),
			    DP01_NAL);
	assert_string_equal(json_string_value(json_object_get(row, "user")), "lab");
	assert_string_equal(json_string_value(json_object_get(row, "result")), "ok");
	assert_int_equal(json_integer_value(json_object_get(row, "old_mode")), 0);
	assert_int_equal(json_integer_value(json_object_get(row, "new_mode")), 1);
	assert_int_equal(json_integer_value(json_object_get(row, "return_value")), 0);
	json_decref(j);
	stop(t);
}

/* The endpoints dpctl is given for p's HTTPS listener: WS-Man's, and the
 * AdminService's (same host and port) in *admin. */
static void https_endpoints(const struct dpsim_proc *p, char *admin,
			    size_t size)
{
	size_t n = strlen(p->tls_url);

	assert_true(n > 6 && strcmp(p->tls_url + n - 6, "/wsman") == 0);
	snprintf(admin, size, "%.*s/AdminService", (int)(n - 6), p->tls_url);
}

/* dpctl verifies the server with --cacert and carries out the change,
 * over WS-Man and over the AdminService (each turns DP01 on, then the
 * next one finds it so and turns it off). */
static void dpctl_with_cacert(void **state)
{
	struct tcase *t = *state;
	const struct pki *k = t->k;
	struct dpsim_proc *p = &t->p;
	char admin[160];
	struct run r;

	start_tls(t, NULL);
	https_endpoints(p, admin, sizeof(admin));
	for (int i = 0; i < 2; i++) {
		const char *url = i ? admin : p->tls_url;
		const char *inv[] = { "invoke", "--nal", DP01_NAL, "--mode",
				      "1", NULL };
		const char *st[] = { "status", "DP01", NULL };
		const char *off[] = { "maintenance", "off", "DP01", NULL };

		run_dpctl(url, k->ca, inv, &r);
		if (r.status)
			fprintf(stderr, "dpctl: %d\n%s%s", r.status, r.out,
				r.err);
		assert_int_equal(r.status, 0);
		assert_string_equal(r.out, "SMS_DistributionPointInfo."
				    "SetDPMaintenanceMode: ReturnValue 0\n");
		run_free(&r);

		run_dpctl(url, k->ca, st, &r);
		assert_int_equal(r.status, 0);
		assert_non_null(strstr(r.out, "name:             "
				       "DP01.contoso.com\n"));
		assert_non_null(strstr(r.out, "maintenance mode: on\n"));
		run_free(&r);
		/* What dpctl claims, read back without it. */
		assert_int_equal(get_dp01_mode(p->tls_url), 1);

		run_dpctl(url, k->ca, off, &r);
		assert_int_equal(r.status, 0);
		assert_string_equal(r.out, "DP01.contoso.com: maintenance off "
				    "(was on)\n");
		run_free(&r);
		assert_int_equal(get_dp01_mode(p->tls_url), 0);
	}
	stop(t);
}

/* Without the CA, dpctl refuses the server, over either protocol: its
 * TLS exit code and one line that says certificate verification failed.
 * Nothing is changed. */
static void dpctl_without_cacert_refuses(void **state)
{
	struct tcase *t = *state;
	struct dpsim_proc *p = &t->p;
	char admin[160];
	struct run r;

	start_tls(t, NULL);
	https_endpoints(p, admin, sizeof(admin));
	for (int i = 0; i < 2; i++) {
		const char *url = i ? admin : p->tls_url;
		const char *inv[] = { "invoke", "--nal", DP01_NAL, "--mode",
				      "1", NULL };

		run_dpctl(url, NULL, inv, &r);
		assert_int_equal(r.status, DPCTL_EXIT_TLS);
		assert_string_equal(r.out, "");
		assert_int_equal(count_lines(r.err), 1);
		if (!strstr(r.err, "certificate"))
			fail_msg("dpctl's error does not name the certificate: "
				 "%s", r.err);
		assert_non_null(strstr(r.err, url));
		run_free(&r);
	}
	assert_int_equal(get_dp01_mode(p->tls_url), 0);
	stop(t);
}

/* Reads from fd until EOF; false when nothing ends it within ms. */
static bool reaches_eof(int fd, int ms)
{
	char buf[512];

	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int pr = poll(&pf, 1, ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return false;
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return true;	/* EOF or reset: closed either way */
	}
}

/* Connects to 127.0.0.1:port and sends data; returns the socket. */
static int connect_and_send(uint16_t port, const void *data, size_t len)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	return fd;
}

/* Plain HTTP spoken to the HTTPS port is closed at once, without an
 * answer. Handshakes that stall (a TLS record cut short) hold only their
 * connection, never a worker: with more of them open than there are
 * threads, HTTPS is still served. */
static void plain_http_to_https_port(void **state)
{
	struct tcase *t = *state;
	struct dpsim_proc *p = &t->p;
	char url[160];
	struct http_reply r;
	int stalled[4];

	start_tls(t, NULL);
	uint16_t port = url_port(p->tls_url);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/wsman", port);
	char *env = envelope(ACT_GET, DPINFO_URI, DP01_SELECTORS, NULL);
	assert_int_equal(http_post(url, "lab", "lab", NULL, env, strlen(env), &r), -1);
	free(env);
	assert_int_equal(r.status, 0);
	assert_true(r.curl_code == CURLE_GOT_NOTHING || r.curl_code == CURLE_RECV_ERROR);
	http_reply_free(&r);

	static const char req[] = "GET /wsman HTTP/1.1\r\nHost: x\r\n\r\n";
	int fd = connect_and_send(port, req, sizeof(req) - 1);
	/* A generous bound: only a dpsim that waits for more (until the
	 * 120 s idle timeout) fails it. */
	assert_true(reaches_eof(fd, 60000));
	close(fd);

	/* A handshake record header that promises 512 bytes; 1 comes. */
	static const unsigned char cut[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 };
	for (size_t i = 0; i < 4; i++)
		stalled[i] = connect_and_send(port, cut, sizeof(cut));
	assert_int_equal(get_dp01_mode(p->tls_url), 0);
	for (size_t i = 0; i < 4; i++)
		close(stalled[i]);
	assert_int_equal(set_dp01_mode(p->tls_url, 1), 0);
	stop(t);	/* exit 0: it did not crash */
}

/* --listen none: HTTPS alone, the ready line names only it, and both
 * port files name its port. */
static void https_only(void **state)
{
	struct tcase *t = *state;
	const struct pki *k = t->k;
	struct dpsim_proc *p = &t->p;
	char pf[400], tpf[400], want[300];

	snprintf(pf, sizeof(pf), "%s/port", p->dir);
	snprintf(tpf, sizeof(tpf), "%s/tls-port", p->dir);
	const char *args[] = { "--tls-cert", k->cert, "--tls-key", k->key,
		"--listen", "none", "--port-file", pf, "--tls-port-file", tpf, NULL };
	assert_int_equal(dpsim_start(p, args), 0);
	assert_string_equal(p->url, "");
	assert_int_equal(strncmp(p->tls_url, "https://127.0.0.1:", 18), 0);
	snprintf(want, sizeof(want), "dpsim ready %s", p->tls_url);
	assert_string_equal(p->ready, want);
	assert_int_equal(read_port_file(pf), url_port(p->tls_url));
	assert_int_equal(read_port_file(tpf), url_port(p->tls_url));

	assert_int_equal(set_dp01_mode(p->tls_url, 1), 0);
	assert_int_equal(get_dp01_mode(p->tls_url), 1);
	stop(t);
}

/* Both listeners at once, on one state: a change made over HTTPS is read
 * over plain HTTP, and the other way round. */
static void both_listeners_share_state(void **state)
{
	struct tcase *t = *state;
	const struct pki *k = t->k;
	struct dpsim_proc *p = &t->p;
	char pf[400], tpf[400], want[300];

	snprintf(pf, sizeof(pf), "%s/port", p->dir);
	snprintf(tpf, sizeof(tpf), "%s/tls-port", p->dir);
	const char *args[] = { "--tls-cert", k->cert, "--tls-key", k->key,
		"--port-file", pf, "--tls-port-file", tpf, NULL };
	assert_int_equal(dpsim_start(p, args), 0);
	assert_int_equal(strncmp(p->url, "http://127.0.0.1:", 17), 0);
	assert_int_equal(strncmp(p->tls_url, "https://127.0.0.1:", 18), 0);
	snprintf(want, sizeof(want), "dpsim ready %s %s", p->url, p->tls_url);
	assert_string_equal(p->ready, want);
	assert_int_not_equal(url_port(p->url), url_port(p->tls_url));
	assert_int_equal(read_port_file(pf), url_port(p->url));
	assert_int_equal(read_port_file(tpf), url_port(p->tls_url));

	assert_int_equal(set_dp01_mode(p->tls_url, 1), 0);
	assert_int_equal(get_dp01_mode(p->url), 1);
	assert_int_equal(set_dp01_mode(p->url, 0), 0);
	assert_int_equal(get_dp01_mode(p->tls_url), 0);
	stop(t);
}

/* ---- bad configurations ------------------------------------------------- */

/* Runs dpsim (under DPSIM_WRAPPER when set, so the error paths are
 * checked for leaks too) with args; it must exit on its own. */
static int failed_start(const char *const *extra, char **err)
{
	const char *argv[48];
	char wrapper[1024] = "";
	const char *w = getenv("DPSIM_WRAPPER");
	size_t n = 0;
	char *out;

	/* A dpsim that wrongly starts serving is ended, not waited on
	 * forever. */
	argv[n++] = "/usr/bin/timeout";
	argv[n++] = "120";
	if (w && *w) {
		snprintf(wrapper, sizeof(wrapper), "%s", w);
		for (char *t = strtok(wrapper, " "); t && n < 30; t = strtok(NULL, " "))
			argv[n++] = t;
	}
	argv[n++] = DPSIM_BIN;
	argv[n++] = "--db";
	argv[n++] = ":memory:";
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--tls-listen";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--log-level";
	argv[n++] = "warn";
	for (; *extra && n < 47; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	int st = run_program(argv, NULL, &out, err);
	assert_null(strstr(out, "dpsim ready"));
	free(out);
	return st;
}

static void bad_configurations(void **state)
{
	const struct pki *k = *state;
	const struct {
		const char *args[7];
		int status;
		const char *want[2];	/* in stderr */
	} cases[] = {
		{ { "--tls-cert", k->cert }, 2,
		  { "--tls-cert needs --tls-key", NULL } },
		{ { "--tls-key", k->key }, 2,
		  { "--tls-key needs --tls-cert", NULL } },
		{ { "--tls-cert", k->missing, "--tls-key", k->key }, 1,
		  { k->missing, "No such file or directory" } },
		{ { "--tls-cert", k->cert, "--tls-key", k->missing }, 1,
		  { k->missing, "No such file or directory" } },
		{ { "--tls-cert", k->junk, "--tls-key", k->key }, 1,
		  { k->junk, "not a PEM certificate" } },
		{ { "--tls-cert", k->key, "--tls-key", k->key }, 1,
		  { "not a PEM certificate", "it holds a private key" } },
		{ { "--tls-cert", k->cert, "--tls-key", k->junk }, 1,
		  { k->junk, "not a PEM private key" } },
		{ { "--tls-cert", k->cert, "--tls-key", k->other_key }, 1,
		  { k->other_key, "does not match the certificate" } },
		{ { "--listen", "none" }, 2,
		  { "--listen none", "--tls-cert and --tls-key" } },
		/* The control API would be reachable over HTTPS. */
		{ { "--tls-cert", k->cert, "--tls-key", k->key, "--tls-listen",
		    "0.0.0.0:0" }, 2,
		  { "--tls-listen 0.0.0.0:0 is not a loopback", "--admin-token" } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *err = NULL;
		int st = failed_start(cases[i].args, &err);

		if (st != cases[i].status)
			fail_msg("case %zu: exit %d, wanted %d; stderr:\n%s", i, st,
				 cases[i].status, err);
		if (count_lines(err) != 1 || strncmp(err, "dpsim: ", 7) != 0)
			fail_msg("case %zu: not one 'dpsim: ' line:\n%s", i, err);
		for (size_t w = 0; w < 2 && cases[i].want[w]; w++)
			if (!strstr(err, cases[i].want[w]))
				fail_msg("case %zu: '%s' lacks '%s'", i, err,
					 cases[i].want[w]);
		free(err);
	}
}

/* What dpsim wrote on stderr up to now (it writes its start-up log
 * before the ready line, so after dpsim_start() that part is there). */
static void read_stderr(struct dpsim_proc *p, char *out, size_t size)
{
	size_t n = 0;
	ssize_t got;

	while (n + 1 < size && (got = read(p->err_fd, out + n, size - 1 - n)) > 0)
		n += (size_t)got;
	out[n] = '\0';
}

/* Plain HTTP off loopback is served, with a warning that Basic
 * credentials travel in clear and how to avoid it; on loopback, no
 * warning. */
static void plain_http_off_loopback_warns(void **state)
{
	struct tcase *t = *state;
	char err[8192];

	start_tls(t, NULL);
	read_stderr(&t->p, err, sizeof(err));
	assert_null(strstr(err, "in clear"));
	stop(t);

	const char *const exposed[] = { "--listen", "0.0.0.0:0",
					 "--admin-token", "t0ken-t0ken-t0ken", NULL };
	start_tls(t, exposed);
	read_stderr(&t->p, err, sizeof(err));
	if (!strstr(err, "plain HTTP on 0.0.0.0:0 is not a loopback address") ||
	    !strstr(err, "credentials cross the network in clear") ||
	    !strstr(err, "--listen none serves HTTPS alone"))
		fail_msg("no warning about plain HTTP off loopback:\n%s", err);
	stop(t);
}

/* ---- --hash-password ----------------------------------------------------- */

/* printf INPUT | dpsim --hash-password, under DPSIM_WRAPPER when set. */
static int hash_password(const char *input, char **out, char **err)
{
	const char *w = getenv("DPSIM_WRAPPER");
	char cmd[2048];

	snprintf(cmd, sizeof(cmd), "printf '%s' | %s %s --hash-password", input,
		 w && *w ? w : "", DPSIM_BIN);
	const char *argv[] = { "/bin/sh", "-c", cmd, NULL };
	return run_program(argv, NULL, out, err);
}

/* Whether hash (a line, as printed) is crypt(3)'s hash of clear, asked
 * of libxcrypt through python3's crypt module, outside dpsim: 1 yes,
 * 0 no, -1 when that module is not there (Python >= 3.13). */
static int crypt_matches(const char *clear, const char *hash)
{
	char h[256], *out, *err;

	snprintf(h, sizeof(h), "%.*s", (int)strcspn(hash, "\n"), hash);
	const char *argv[] = { "/usr/bin/python3", "-W", "ignore", "-c",
		"import sys\n"
		"try:\n"
		"    import crypt\n"
		"except ImportError:\n"
		"    sys.exit(77)\n"
		"sys.exit(0 if crypt.crypt(sys.argv[1], sys.argv[2]) == sys.argv[2] else 1)\n",
		clear, h, NULL };
	int st = run_program(argv, NULL, &out, &err);
	if (st != 0 && st != 1 && st != 77)
		fail_msg("python3 crypt check exited %d: %s", st, err);
	free(out);
	free(err);
	return st == 77 ? -1 : st == 0;
}

/* The action prints a yescrypt hash of the line (its newline, or a
 * CRLF, not part of it) with a fresh salt each time; an empty line is a
 * one-line usage error. Nothing is served either way. */
static void hash_password_action(void **state)
{
	char *out, *err, *out2, *err2;

	assert_int_equal(hash_password("s3cret\\n", &out, &err), 0);
	assert_string_equal(err, "");
	assert_int_equal(strncmp(out, "$y$", 3), 0);
	/* The crypt hash, then the NT hash (for nt-hash). */
	assert_int_equal(count_lines(out), 2);
	assert_non_null(strstr(out, "\nD4C619CB16D4632B275658316A7E657E\n"));
	assert_null(strstr(out, "s3cret"));
	assert_int_equal(hash_password("s3cret\\r\\n", &out2, &err2), 0);
	assert_int_equal(strncmp(out2, "$y$", 3), 0);
	assert_string_not_equal(out, out2);	/* salted */
	if (crypt_matches("s3cret", out) >= 0) {
		assert_int_equal(crypt_matches("s3cret", out), 1);
		assert_int_equal(crypt_matches("s3cret", out2), 1);
		assert_int_equal(crypt_matches("s3cret\n", out), 0);
	}
	free(out);
	free(err);
	free(out2);
	free(err2);

	const char *empty[] = { "", "\\n" };
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(hash_password(empty[i], &out, &err), 2);
		assert_string_equal(out, "");
		assert_int_equal(count_lines(err), 1);
		assert_non_null(strstr(err, "empty password"));
		free(out);
		free(err);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(invoke_flow_over_https,
						setup_case, teardown_case),
		cmocka_unit_test_setup_teardown(dpctl_with_cacert,
						setup_case, teardown_case),
		cmocka_unit_test_setup_teardown(dpctl_without_cacert_refuses,
						setup_case, teardown_case),
		cmocka_unit_test_setup_teardown(plain_http_to_https_port,
						setup_case, teardown_case),
		cmocka_unit_test_setup_teardown(https_only,
						setup_case, teardown_case),
		cmocka_unit_test_setup_teardown(both_listeners_share_state,
						setup_case, teardown_case),
		cmocka_unit_test_setup_teardown(plain_http_off_loopback_warns,
						setup_case, teardown_case),
		cmocka_unit_test(bad_configurations),
		cmocka_unit_test(hash_password_action),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cmocka_run_group_tests_name("tls", tests, make_pki, drop_pki);
	curl_global_cleanup();
	return rc;
}
