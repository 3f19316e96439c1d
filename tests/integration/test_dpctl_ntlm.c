/* dpctl --auth ntlm over plain HTTP against dpsim: libdpclient's own NTLM
 * exchange with every body sealed (client/dpc_negotiate.c), the way a
 * WinRM with AllowUnencrypted=false wants it. dpsim, like that WinRM,
 * refuses Negotiate bodies that are not sealed over HTTP (401), so every
 * call that succeeds here went sealed both ways.
 *
 * Each test starts its own dpsim on port 0 and runs the built dpctl with
 * the credentials in DPCTL_USER / DPCTL_PASSWORD; what dpctl changed is
 * read back over raw WS-Man with Basic, not with dpctl. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"

#define MAX_ARGS 24

struct run {
	int status;
	char *out;
	char *err;
};

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

/* dpctl -e url --auth AUTH args... as user with pass. */
static void run_dpctl(const struct dpsim_proc *p, const char *auth,
		      const char *user, const char *pass,
		      const char *const *args, struct run *r)
{
	const char *argv[MAX_ARGS + 6];
	char uenv[128], penv[128];
	const char *env[] = { uenv, penv, NULL };
	size_t n = 0;

	argv[n++] = DPCTL_BIN;
	argv[n++] = "-e";
	argv[n++] = p->url;
	argv[n++] = "--auth";
	argv[n++] = auth;
	for (; *args; args++) {
		assert_true(n < MAX_ARGS + 5);
		argv[n++] = *args;
	}
	argv[n] = NULL;
	snprintf(uenv, sizeof(uenv), "DPCTL_USER=%s", user);
	snprintf(penv, sizeof(penv), "DPCTL_PASSWORD=%s", pass);
	r->status = run_program(argv, env, &r->out, &r->err);
}

#define NTLM_AS(p, user, pass, r, ...)                                     \
	do {                                                                \
		const char *const args_[] = { __VA_ARGS__, NULL };          \
		run_dpctl(p, "ntlm", user, pass, args_, r);                 \
	} while (0)
#define NTLM(p, r, ...) NTLM_AS(p, "LAB\\lab", "lab", r, __VA_ARGS__)

static void expect_status(const struct run *r, int want)
{
	if (r->status != want)
		fprintf(stderr, "dpctl exited %d, wanted %d\nstdout: %s\n"
			"stderr: %s\n", r->status, want, r->out, r->err);
	assert_int_equal(r->status, want);
}

static bool contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle)) {
		fprintf(stderr, "'%s' not in:\n%s\n", needle, hay);
		return false;
	}
	return true;
}

static json_t *parse_json(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);

	if (!j)
		fprintf(stderr, "not JSON (%s): %s\n", e.text, text);
	assert_non_null(j);
	return j;
}

static const char *jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	assert_true(json_is_string(v));
	return json_string_value(v);
}

static json_int_t jint(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	assert_true(json_is_integer(v));
	return json_integer_value(v);
}


static void add_fault_rule(struct dpsim_proc *p, const char *rule)
{
	char url[200];
	struct http_reply r;

	dpsim_base(p, url, sizeof(url));
	strncat(url, "/_dpsim/faults", sizeof(url) - strlen(url) - 1);
	assert_int_equal(http_post(url, NULL, NULL, "application/json", rule,
				   strlen(rule), &r), 0);
	if (r.status < 200 || r.status > 299)
		fprintf(stderr, "POST %s: HTTP %ld: %s\n", url, r.status,
			r.body);
	assert_in_range(r.status, 200, 299);
	http_reply_free(&r);
}

/* The SetDPMaintenanceMode flow, in the three user-name forms, the mode
 * read back each time; dpsim's debug log shows one NTLM sign-in per dpctl
 * run however many requests it made (the context is kept on the
 * connection), and no refusal. */
static void maintenance_flow(void **state)
{
	struct dpsim_proc *p = *state;
	const char *const args[] = { "--log-level", "debug", NULL };
	struct run r;
	json_t *j;
	char *text = NULL;

	assert_int_equal(dpsim_start(p, args), 0);
	struct dpsim_log *log = dpsim_log_start(p);

	NTLM(p, &r, "maintenance", "on", "DP01");
	expect_status(&r, 0);
	assert_string_equal(r.out,
			    "DP01.contoso.com: maintenance on (was off)\n");
	assert_string_equal(r.err, "");
	run_free(&r);
	assert_int_equal(wsman_read_mode(p, "DP01.contoso.com"), 1);

	NTLM_AS(p, "lab@LAB", "lab", &r, "--json", "status", "DP01");
	expect_status(&r, 0);
	j = parse_json(r.out);
	assert_string_equal(jstr(j, "name"), "DP01.contoso.com");
	assert_int_equal(jint(j, "maintenance_mode"), 1);
	json_decref(j);
	run_free(&r);

	NTLM_AS(p, "lab", "lab", &r, "maintenance", "off", "DP01",
		"DP02.contoso.com");
	expect_status(&r, 0);
	assert_string_equal(r.out,
			    "DP01.contoso.com: maintenance off (was on)\n"
			    "DP02.contoso.com: maintenance off (was on)\n");
	run_free(&r);
	assert_int_equal(wsman_read_mode(p, "DP01.contoso.com"), 0);
	assert_int_equal(wsman_read_mode(p, "DP02.contoso.com"), 0);

	/* negotiate with a user over HTTP is the same sealed NTLM. */
	{
		const char *const st[] = { "status", "DP02", NULL };
		run_dpctl(p, "negotiate", "LAB\\lab", "lab", st, &r);
	}
	expect_status(&r, 0);
	assert_true(contains(r.out, "maintenance mode: off"));
	run_free(&r);

	assert_int_equal(dpsim_log_stop(log, p, &text), 0);
	assert_int_equal(count_lines_with(text, "NTLM signed in "), 4);
	assert_int_equal(count_lines_with(text, "refused"), 0);
	free(text);
}

/* A wrong password, an unknown user: HTTP 401, exit 3, nothing on
 * stdout; --json says DPC_E_AUTH with the status. */
static void wrong_password(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;
	json_t *j, *e;

	NTLM_AS(p, "LAB\\lab", "wrong", &r, "list");
	expect_status(&r, 3);
	assert_string_equal(r.out, "");
	assert_true(contains(r.err, "HTTP 401"));
	assert_true(contains(r.err, "refused the credentials of LAB\\lab "
				    "(auth ntlm)"));
	run_free(&r);

	NTLM_AS(p, "LAB\\nosuchuser", "lab", &r, "--json", "maintenance",
		"on", "DP01");
	expect_status(&r, 3);
	j = parse_json(r.out);
	e = json_object_get(json_array_get(json_object_get(j, "results"), 0),
			    "error");
	if (!e)
		e = json_object_get(j, "error");
	assert_string_equal(jstr(e, "code"), "DPC_E_AUTH");
	assert_int_equal(jint(e, "http_status"), 401);
	json_decref(j);
	run_free(&r);
	assert_int_equal(wsman_read_mode(p, "DP01.contoso.com"), 0);
}

/* A Read-only Analyst signs in (its NT hash is in the fixture) and reads,
 * but may not change: the HRESULT comes back through the sealed channel,
 * from a sealed fault. */
static void analyst_refused(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;
	json_t *j, *e;

	NTLM_AS(p, "LAB\\analyst", "analyst", &r, "maintenance", "off",
		"DP02");
	expect_status(&r, 1);
	assert_true(contains(r.err, "dpctl: DP02: WBEM_E_ACCESS_DENIED "
				    "(0x80041003): "));
	assert_true(contains(r.err, "analyst"));
	run_free(&r);

	NTLM_AS(p, "LAB\\analyst", "analyst", &r, "--json", "maintenance",
		"off", "DP02");
	expect_status(&r, 1);
	j = parse_json(r.out);
	e = json_object_get(json_array_get(json_object_get(j, "results"), 0),
			    "error");
	assert_string_equal(jstr(e, "code"), "DPC_E_PROVIDER");
	assert_string_equal(jstr(e, "hresult"), "0x80041003");
	assert_string_equal(jstr(e, "hresult_name"), "WBEM_E_ACCESS_DENIED");
	assert_string_equal(jstr(e, "subcode"), "w:AccessDenied");
	assert_int_equal(jint(e, "http_status"), 500);
	json_decref(j);
	run_free(&r);

	NTLM_AS(p, "LAB\\analyst", "analyst", &r, "status", "DP02");
	expect_status(&r, 0);
	assert_true(contains(r.out, "maintenance mode: on"));
	run_free(&r);
	assert_int_equal(wsman_read_mode(p, "DP02.contoso.com"), 1);
}

/* A fault rule's HRESULT on SetDPMaintenanceMode reaches dpctl whole
 * through the sealed channel; nothing changed. */
static void fault_rule_hresult(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;
	json_t *j, *e;

	add_fault_rule(p, "{\"method\":\"SetDPMaintenanceMode\","
		       "\"effect\":\"fault\",\"hresult\":\"0x80041001\","
		       "\"times\":2}");
	NTLM(p, &r, "maintenance", "on", "DP01");
	expect_status(&r, 1);
	assert_true(contains(r.err, "dpctl: DP01: WBEM_E_FAILED "
				    "(0x80041001): "));
	run_free(&r);

	NTLM(p, &r, "--json", "invoke", "--nal",
	     "[\"Display=\\\\DP01.contoso.com\\\"]MSWNET:[\"SMS_SITE=PS1\"]"
	     "\\\\DP01.contoso.com\\", "--mode", "1");
	expect_status(&r, 1);
	j = parse_json(r.out);
	e = json_object_get(j, "error");
	assert_string_equal(jstr(e, "code"), "DPC_E_PROVIDER");
	assert_string_equal(jstr(e, "hresult"), "0x80041001");
	assert_string_equal(jstr(e, "hresult_name"), "WBEM_E_FAILED");
	assert_int_equal(jint(e, "http_status"), 500);
	json_decref(j);
	run_free(&r);
	assert_int_equal(wsman_read_mode(p, "DP01.contoso.com"), 0);

	/* The rule spent, the same call goes through. */
	NTLM(p, &r, "maintenance", "on", "DP01");
	expect_status(&r, 0);
	run_free(&r);
	assert_int_equal(wsman_read_mode(p, "DP01.contoso.com"), 1);
}

/* ---- a relay that changes sealed answers ------------------------------ */

/* Between dpctl and dpsim, one connection at a time: requests pass as
 * they are; in every answer with a sealed body one bit of the sealed
 * envelope is flipped, as a tampering middlebox would. */
struct relay {
	int listen_fd;
	int port;		/* the relay's */
	int target_port;	/* dpsim's */
	volatile int stop;
	pthread_t thread;
	unsigned tampered;
};

static int port_of(const char *url)
{
	const char *c = strrchr(url, ':');

	assert_non_null(c);
	return (int)strtol(c + 1, NULL, 10);
}

/* Forwards what whole answers buf holds (*len bytes) to fd, changing
 * sealed ones; keeps the rest. -1 when fd is gone. (On the relay's
 * thread: no cmocka asserts.) */
static int pass_answers(struct relay *r, int fd, char *buf, size_t *len)
{
	for (;;) {
		char *end = memmem(buf, *len, "\r\n\r\n", 4);
		size_t head, body = 0, total;
		const char *cl;

		if (!end)
			return 0;
		head = (size_t)(end - buf) + 4;
		buf[head - 1] = '\0';
		cl = strcasestr(buf, "\r\nContent-Length:");
		if (cl)
			body = strtoul(cl + 17, NULL, 10);
		buf[head - 1] = '\n';
		total = head + body;
		if (*len < total)
			return 0;
		if (body > 64 && memmem(buf, head, "multipart/encrypted", 19)) {
			/* inside the sealed envelope, before the closing
			 * delimiter */
			buf[total - 30] ^= 0x01;
			r->tampered++;
		}
		if (write(fd, buf, total) != (ssize_t)total)
			return -1;
		memmove(buf, buf + total, *len - total);
		*len -= total;
	}
}

static void *relay_main(void *arg)
{
	struct relay *r = arg;
	static char buf[1 << 20];

	while (!r->stop) {
		struct pollfd lp = { r->listen_fd, POLLIN, 0 };
		struct sockaddr_in sa = { .sin_family = AF_INET };
		size_t held = 0;
		int c, s;

		if (poll(&lp, 1, 50) <= 0)
			continue;
		c = accept(r->listen_fd, NULL, NULL);
		if (c < 0)
			continue;
		s = socket(AF_INET, SOCK_STREAM, 0);
		sa.sin_port = htons((uint16_t)r->target_port);
		sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			close(c);
			close(s);
			continue;
		}
		for (;;) {
			struct pollfd p[2] = { { c, POLLIN, 0 }, { s, POLLIN, 0 } };
			char tmp[65536];
			ssize_t n;

			if (poll(p, 2, 50) < 0 || r->stop)
				break;
			if (p[0].revents) {
				n = read(c, tmp, sizeof(tmp));
				if (n <= 0 || write(s, tmp, (size_t)n) != n)
					break;
			}
			if (p[1].revents) {
				n = read(s, buf + held, sizeof(buf) - held);
				if (n <= 0)
					break;
				held += (size_t)n;
				if (pass_answers(r, c, buf, &held) < 0)
					break;
			}
		}
		close(c);
		close(s);
	}
	return NULL;
}

static void relay_start(struct relay *r, const struct dpsim_proc *p)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);

	memset(r, 0, sizeof(*r));
	r->target_port = port_of(p->url);
	r->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(r->listen_fd >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(r->listen_fd, (struct sockaddr *)&sa,
			      sizeof(sa)), 0);
	assert_int_equal(listen(r->listen_fd, 4), 0);
	assert_int_equal(getsockname(r->listen_fd, (struct sockaddr *)&sa,
				     &sl), 0);
	r->port = ntohs(sa.sin_port);
	assert_int_equal(pthread_create(&r->thread, NULL, relay_main, r), 0);
}

static void relay_stop(struct relay *r)
{
	r->stop = 1;
	pthread_join(r->thread, NULL);
	close(r->listen_fd);
}

/* An answer changed on the way: exit 3, one line naming it, nothing on
 * stdout; the provider ran the read, nothing else. */
static void tampered_answer(void **state)
{
	struct dpsim_proc *p = *state;
	struct dpsim_proc via = *p;
	struct relay r;
	struct run out;

	relay_start(&r, p);
	snprintf(via.url, sizeof(via.url), "http://127.0.0.1:%d/wsman",
		 r.port);
	NTLM(&via, &out, "--retries", "0", "list");
	relay_stop(&r);
	expect_status(&out, 3);
	assert_string_equal(out.out, "");
	assert_true(contains(out.err, "the sealed answer cannot be unsealed: "
				      "the sealed message does not verify"));
	assert_non_null(strchr(out.err, '\n'));
	assert_int_equal(strchr(out.err, '\n')[1], '\0');
	assert_true(r.tampered >= 1);
	run_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(maintenance_flow,
						harness_prepare,
						harness_cleanup),
		cmocka_unit_test_setup_teardown(wrong_password, harness_start,
						harness_stop),
		cmocka_unit_test_setup_teardown(analyst_refused, harness_start,
						harness_stop),
		cmocka_unit_test_setup_teardown(fault_rule_hresult,
						harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(tampered_answer, harness_start,
						harness_stop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
