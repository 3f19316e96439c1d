/* harness: a real dpsim per test, and small HTTP/XML helpers to drive it.
 *
 * dpsim_start() runs the built binary on 127.0.0.1 port 0 with its own
 * database and waits for its "dpsim ready" line (no sleeps); the URLs it
 * prints are the ones the test uses: "dpsim ready http://H:P/wsman
 * [https://H:P/wsman]", one per listener served, plain HTTP first.
 */
#ifndef DPSIM_TEST_HARNESS_H
#define DPSIM_TEST_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct dpsim_proc {
	pid_t pid;
	int out_fd;		/* dpsim's stdout */
	int err_fd;		/* dpsim's stderr */
	char url[128];		/* "http://127.0.0.1:PORT/wsman"; "" with
				 * --listen none */
	char tls_url[128];	/* "https://127.0.0.1:PORT/wsman"; "" when
				 * HTTPS is not served */
	char ready[512];	/* the ready line as printed, without '\n' */
	char dir[256];		/* private temp directory */
	char db[320];		/* dir/state.db */
};

/* Makes p->dir and p->db without starting anything. */
void dpsim_prepare(struct dpsim_proc *p);
/* Starts dpsim with --listen 127.0.0.1:0 and the given extra arguments
 * (NULL-terminated; "--db" defaults to ":memory:" unless given; with
 * "--tls-cert", "--tls-listen" defaults to 127.0.0.1:0) and waits up to
 * 10 s for readiness. Returns 0, or -1 when dpsim exited or never
 * became ready (its stderr is printed). */
int dpsim_start(struct dpsim_proc *p, const char *const *extra);
/* dpsim_start in two halves: start dpsim (as dpsim_start does) without
 * waiting, then wait for its ready line. Between them a test can watch
 * start-up. 0 or -1 (as dpsim_start). */
int dpsim_spawn(struct dpsim_proc *p, const char *const *extra);
int dpsim_wait_ready(struct dpsim_proc *p);
/* "http://127.0.0.1:PORT": p->url without "/wsman", for /_dpsim/. */
void dpsim_base(const struct dpsim_proc *p, char *out, size_t size);
/* "https://127.0.0.1:PORT": the same of p->tls_url. */
void dpsim_tls_base(const struct dpsim_proc *p, char *out, size_t size);
/* SIGTERM and wait; returns dpsim's exit status (or 128+signal). */
int dpsim_stop(struct dpsim_proc *p);
/* SIGKILL and wait. */
void dpsim_kill(struct dpsim_proc *p);
/* cmocka set-up and tear-down for one dpsim per test: *state becomes a
 * struct dpsim_proc (calloc'd; the tear-down frees it).
 *   harness_start       started with no extra options
 *   harness_start_with  started with extra (NULL-terminated)
 *   harness_prepare     prepared (its own directory and database path),
 *                       for a test that starts and restarts dpsim itself
 *   harness_stop        SIGTERM, which must end dpsim with status 0
 *   harness_cleanup     killed if still running, even after a failed
 *                       assertion, and its directory removed */
int harness_start(void **state);
int harness_start_with(void **state, const char *const *extra);
int harness_prepare(void **state);
int harness_stop(void **state);
int harness_cleanup(void **state);

/* For a test's worker threads, which must not use cmocka's asserts
 * (they would jump into the main thread's stack): errors are counted and
 * the first one kept, for the main thread to assert on after the join. */
struct harness_errors {
	long count;
	char first[320];
};
void harness_error(struct harness_errors *e, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* A libcurl write callback that appends to a malloc'd, NUL-terminated
 * string (ud: char **, NULL at first). */
size_t harness_curl_append(char *ptr, size_t size, size_t nmemb, void *ud);

/* Under valgrind (DPSIM_WRAPPER set): everything is slower. */
bool harness_under_wrapper(void);
/* The bound of a wait that only a hung run reaches, in ms. */
int harness_limit_ms(void);
/* CLOCK_MONOTONIC in ms. */
long long harness_now_ms(void);

/* What a test has read of dpsim's stderr so far. */
struct errlog {
	char text[65536];
	size_t len;
};
/* Reads dpsim's stderr into e until it holds needle (true), or ms pass,
 * or the pipe ends, or e is full (false). */
bool dpsim_wait_stderr(struct dpsim_proc *p, struct errlog *e, const char *needle,
		       int ms);

/* Removes p->dir and its files. */
void dpsim_cleanup(struct dpsim_proc *p);

/* dpsim's stderr read on a thread while it runs, so a test that makes it
 * log a lot (--log-level info under load) neither fills the pipe, which
 * would stall dpsim, nor loses what it said: the text is kept (the last
 * 16 MiB of it). */
struct dpsim_log;
/* Starts reading p's stderr. Aborts the test program on failure. */
struct dpsim_log *dpsim_log_start(struct dpsim_proc *p);
/* dpsim_stop with the log: SIGTERM, read to the end of stderr, wait.
 * Returns dpsim's exit status (as dpsim_stop) and the text kept in *text
 * (malloc'd; NULL to drop it). Frees l. */
int dpsim_log_stop(struct dpsim_log *l, struct dpsim_proc *p, char **text);
/* Lines of text containing needle. */
size_t count_lines_with(const char *text, const char *needle);

/* Runs a program to completion, capturing stdout and stderr (each
 * malloc'd, NUL-terminated; free them). Returns the exit status, or
 * 128+signal. env: extra NAME=VALUE strings (NULL-terminated) or NULL. */
int run_program(const char *const *argv, const char *const *env,
		char **out, char **err);

struct http_reply {
	long status;
	char *body;		/* malloc'd, NUL-terminated */
	size_t len;
	char content_type[128];
	char www_authenticate[128];	/* the last WWW-Authenticate */
	char challenges[256];	/* every WWW-Authenticate, in order, " | " between */
	char allow[64];
	int curl_code;		/* CURLcode of the transfer, 0 = CURLE_OK */
	double seconds;		/* how long the exchange took */
	bool quiet;		/* internal: no message on a transport error */
};

/* The CA certificate file (PEM) that the http_* calls below verify an
 * https:// server with, or NULL for the system's store (the default).
 * Process-wide: set it before starting requests on other threads. */
void http_set_ca_file(const char *path);

/* POSTs body to url with Basic user:pass (user NULL = no credentials)
 * and content type ct (NULL = SOAP UTF-8). Returns 0 or -1 (transport). */
int http_post(const char *url, const char *user, const char *pass,
	      const char *ct, const char *body, size_t len, struct http_reply *r);
int http_get(const char *url, struct http_reply *r);
/* Any method; headers NULL-terminated ("Authorization: Bearer x") or
 * NULL; body NULL for none. Returns 0 or -1 (transport: r->curl_code
 * says what, r->status is 0, r->body ""), printing nothing. */
int http_request(const char *method, const char *url,
		 const char *const *headers, const char *body, size_t len,
		 struct http_reply *r);
void http_reply_free(struct http_reply *r);

/* The control API: method on /_dpsim/path with body (JSON, or NULL)
 * must answer HTTP want with a JSON document, which is returned (the
 * caller json_decref()s it). Anything else ends the test program with a
 * message naming the call, the status and the body. */
struct json_t;
struct json_t *control_call(const struct dpsim_proc *p, const char *method,
			    const char *path, const char *body, long want);

/* A WS-Man request envelope in the shape pywinrm sends (WMI URI form).
 * selectors / body are inner XML (may be NULL). Returns malloc'd text. */
char *envelope(const char *action, const char *resource_uri,
	       const char *selectors, const char *body);

/* The text of the first node matching an XPath 1.0 expression in xml, with
 * prefixes s a w n f wsmid b bound to their WS-Man URIs; malloc'd, or NULL
 * when nothing matches. */
char *xpath_text(const char *xml, const char *expr);
/* Number of nodes matching expr. */
int xpath_count(const char *xml, const char *expr);

/* MaintenanceMode of the DP named fqdn at site PS1, read back the way
 * scripts do (a WQL Enumerate on Name, as lab/lab over Basic). Aborts
 * the test program, naming what it got, unless exactly one DP answers. */
long wsman_read_mode(const struct dpsim_proc *p, const char *fqdn);

/* Reads a whole file (malloc'd, NUL-terminated) or aborts the test. */
char *read_file(const char *path, size_t *len);

#define WMI_NS "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_PS1"
#define DP01_NAL "[\"Display=\\\\DP01.contoso.com\\\"]MSWNET:[\"SMS_SITE=PS1\"]\\\\DP01.contoso.com\\"
#define DP02_NAL "[\"Display=\\\\DP02.contoso.com\\\"]MSWNET:[\"SMS_SITE=PS1\"]\\\\DP02.contoso.com\\"

#endif
