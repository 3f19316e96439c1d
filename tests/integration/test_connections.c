/* Connections and the HTTP edge: one client cannot starve the others
 * (per-address limit, a read deadline a trickle cannot extend, idle
 * connections reclaimed near the limit), an unauthenticated WS-Man body
 * is never parsed, over-limit bodies get their answer however they are
 * framed, web pages of other origins cannot reach the control API, and
 * SIGTERM under load answers every call it committed.
 *
 * Requests here are written on raw sockets: the tests need to choose
 * the source address (127.0.0.2 is "another client"), trickle bytes,
 * frame bodies by hand and read every header of the answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "harness.h"

/* lab:lab */
#define LAB_AUTH "Authorization: Basic bGFiOmxhYg==\r\n"
#define SOAP_CT "Content-Type: application/soap+xml;charset=UTF-8\r\n"
#define IDENTIFY_BODY \
	"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" " \
	"xmlns:wsmid=\"http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd\">" \
	"<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>"

static int port_of(const struct dpsim_proc *p)
{
	const char *colon = strrchr(p->url, ':');
	return atoi(colon + 1);
}

/* A TCP connection from src (an address of 127.0.0.0/8) to dpsim. */
static int connect_from(const struct dpsim_proc *p, const char *src)
{
	struct sockaddr_in from = { .sin_family = AF_INET };
	struct sockaddr_in to = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port_of(p)) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	inet_pton(AF_INET, src, &from.sin_addr);
	inet_pton(AF_INET, "127.0.0.1", &to.sin_addr);
	assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0);
	return fd;
}

static void send_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = send(fd, data, len, MSG_NOSIGNAL);
		assert_true(n > 0);
		data += n;
		len -= (size_t)n;
	}
}

struct answer {
	int status;		/* 0: the connection ended without one */
	char head[4096];	/* status line and headers */
	char *body;		/* malloc'd, NUL-terminated */
	size_t len;
	bool closed;		/* the server closed after it */
};

static void answer_free(struct answer *a)
{
	free(a->body);
	memset(a, 0, sizeof(*a));
}

/* Reads one HTTP answer (Content-Length framed, as dpsim sends them). */
static void read_answer(int fd, struct answer *a)
{
	char buf[1 << 16];
	size_t have = 0;
	long long deadline = harness_now_ms() + harness_limit_ms();
	char *end = NULL;
	size_t want = 0;

	memset(a, 0, sizeof(*a));
	for (;;) {
		if (end && have >= (size_t)(end + 4 - buf) + want)
			break;
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		long long left = deadline - harness_now_ms();
		assert_true(left > 0);
		if (poll(&pf, 1, (int)left) != 1)
			continue;
		assert_true(have < sizeof(buf) - 1);
		ssize_t n = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
		if (n <= 0) {
			a->closed = true;
			break;
		}
		have += (size_t)n;
		buf[have] = '\0';
		if (!end && (end = strstr(buf, "\r\n\r\n"))) {
			const char *cl = strcasestr(buf, "\r\nContent-Length:");
			want = cl && cl < end ? strtoul(cl + 17, NULL, 10) : 0;
		}
	}
	if (!end)
		return;
	size_t hlen = (size_t)(end - buf);
	assert_true(hlen < sizeof(a->head));
	memcpy(a->head, buf, hlen);
	a->head[hlen] = '\0';
	a->status = atoi(buf + 9);
	a->len = have - hlen - 4;
	a->body = malloc(a->len + 1);
	memcpy(a->body, end + 4, a->len);
	a->body[a->len] = '\0';
}

/* Whether the server ends the connection within ms (reading and
 * dropping whatever it sends first). */
static bool ends_within(int fd, int ms)
{
	long long deadline = harness_now_ms() + ms;
	char c[4096];

	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		long long left = deadline - harness_now_ms();
		if (left <= 0 || poll(&pf, 1, (int)left) != 1)
			return false;
		ssize_t n = recv(fd, c, sizeof(c), MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
			return true;
	}
}

/* One request on a fresh connection from src; the answer in a. */
static void exchange(const struct dpsim_proc *p, const char *src, const char *req,
		     struct answer *a)
{
	int fd = connect_from(p, src);
	send_all(fd, req, strlen(req));
	read_answer(fd, a);
	close(fd);
}

static char *identify_request(const char *extra_headers)
{
	char *r = NULL;
	int n = asprintf(&r, "POST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\n" LAB_AUTH SOAP_CT
			 "%sContent-Length: %zu\r\n\r\n%s", extra_headers,
			 strlen(IDENTIFY_BODY), IDENTIFY_BODY);
	assert_true(n > 0);
	return r;
}

static bool has_header(const struct answer *a, const char *line)
{
	return strcasestr(a->head, line) != NULL;
}

/* ---- one client cannot starve the others ----------------------------------- */

struct trickler {
	pthread_t th;
	int *fds;
	int n;
	atomic_bool stop;
};

/* One byte of a never-ending header every 300 ms on each socket: more
 * often than --connection-timeout, so only the read deadline ends it. */
static void *trickle_main(void *arg)
{
	struct trickler *t = arg;

	while (!atomic_load(&t->stop)) {
		for (int i = 0; i < t->n; i++)
			(void)send(t->fds[i], "x", 1, MSG_NOSIGNAL);
		poll(NULL, 0, 300);
	}
	return NULL;
}

/* One address holds its maximum and trickles; a fifth connection from it
 * is told why and closed, and another client is served meanwhile. The
 * read deadline is long here, so that nothing depends on how fast this
 * machine is; the next test checks the deadline. */
static void client_limit_leaves_room_for_others(void **unused)
{
	struct dpsim_proc p;
	static struct errlog log;
	const char *args[] = { "--max-client-connections", "4", "--read-timeout", "600",
			       NULL };
	int fds[4];
	struct trickler t = { .fds = fds, .n = 4 };
	struct answer a;

	memset(&log, 0, sizeof(log));
	dpsim_prepare(&p);
	assert_int_equal(dpsim_start(&p, args), 0);
	for (int i = 0; i < 4; i++) {
		fds[i] = connect_from(&p, "127.0.0.1");
		send_all(fds[i], "POST /wsman HTTP/1.1\r\nX-Slow: ", 31);
	}
	assert_int_equal(pthread_create(&t.th, NULL, trickle_main, &t), 0);

	int extra = connect_from(&p, "127.0.0.1");
	read_answer(extra, &a);
	assert_int_equal(a.status, 503);
	assert_non_null(strstr(a.body, "too many connections from this address "
			       "(--max-client-connections)"));
	assert_true(a.closed || ends_within(extra, harness_limit_ms()));
	answer_free(&a);
	close(extra);
	assert_true(dpsim_wait_stderr(&p, &log, "refused a connection from 127.0.0.1: "
				      "it already holds 4", harness_limit_ms()));

	char *req = identify_request("");
	exchange(&p, "127.0.0.2", req, &a);
	assert_int_equal(a.status, 200);
	assert_non_null(strstr(a.body, "Microsoft Corporation"));
	answer_free(&a);

	/* Once the trickling connections are gone, the address has its
	 * connections back. */
	atomic_store(&t.stop, true);
	pthread_join(t.th, NULL);
	for (int i = 0; i < 4; i++)
		close(fds[i]);
	long long deadline = harness_now_ms() + harness_limit_ms();
	do {
		exchange(&p, "127.0.0.1", req, &a);
		if (a.status != 200) {
			/* dpsim has not seen all four close yet. */
			answer_free(&a);
			assert_true(harness_now_ms() < deadline);
			poll(NULL, 0, 20);
			continue;
		}
	} while (a.status != 200);
	answer_free(&a);
	free(req);
	assert_int_equal(dpsim_stop(&p), 0);
	dpsim_cleanup(&p);
}

/* A request trickled in a byte every 300 ms, faster than
 * --connection-timeout 1 would ever notice, ends at the read deadline:
 * 2 s after its connection opened, never before. */
static void trickled_request_ends_at_its_deadline(void **unused)
{
	struct dpsim_proc p;
	static struct errlog log;
	const char *args[] = { "--read-timeout", "2", "--connection-timeout", "1", NULL };
	int fds[2];
	struct trickler t = { .fds = fds, .n = 2 };

	memset(&log, 0, sizeof(log));
	dpsim_prepare(&p);
	assert_int_equal(dpsim_start(&p, args), 0);
	long long t0 = harness_now_ms();
	for (int i = 0; i < 2; i++) {
		fds[i] = connect_from(&p, "127.0.0.1");
		send_all(fds[i], "POST /wsman HTTP/1.1\r\nX-Slow: ", 31);
	}
	assert_int_equal(pthread_create(&t.th, NULL, trickle_main, &t), 0);
	for (int i = 0; i < 2; i++)
		assert_true(ends_within(fds[i], harness_limit_ms()));
	assert_true(harness_now_ms() - t0 >= 2000);
	atomic_store(&t.stop, true);
	pthread_join(t.th, NULL);
	for (int i = 0; i < 2; i++)
		close(fds[i]);
	assert_true(dpsim_wait_stderr(&p, &log, "did not send a whole request within "
				      "2 s (--read-timeout)", harness_limit_ms()));
	assert_int_equal(dpsim_stop(&p), 0);
	dpsim_cleanup(&p);
}

/* 14 kept-alive connections hold 7/8 of --max-connections 16: each new
 * one closes the longest-idle, so four newcomers are all served where
 * the last two would otherwise be turned away. */
static void idle_connections_make_room(void **unused)
{
	struct dpsim_proc p;
	static struct errlog log;
	const char *args[] = { "--max-connections", "16", NULL };
	char *req = identify_request("");
	int idle[14];
	struct answer a;

	memset(&log, 0, sizeof(log));
	dpsim_prepare(&p);
	assert_int_equal(dpsim_start(&p, args), 0);
	for (int i = 0; i < 14; i++) {
		idle[i] = connect_from(&p, "127.0.0.1");
		send_all(idle[i], req, strlen(req));
		read_answer(idle[i], &a);
		assert_int_equal(a.status, 200);
		assert_false(a.closed);
		answer_free(&a);
		/* Distinct idle times, so "longest idle" is well defined. */
		poll(NULL, 0, 3);
	}
	for (int i = 0; i < 4; i++) {
		exchange(&p, "127.0.0.2", req, &a);
		assert_int_equal(a.status, 200);
		assert_non_null(strstr(a.body, "Microsoft Corporation"));
		answer_free(&a);
	}
	/* The longest idle went first; the newest idle one is still open. */
	assert_true(ends_within(idle[0], harness_limit_ms()));
	assert_false(ends_within(idle[13], 200));
	send_all(idle[13], req, strlen(req));
	read_answer(idle[13], &a);
	assert_int_equal(a.status, 200);
	answer_free(&a);
	assert_true(dpsim_wait_stderr(&p, &log, "closed the longest-idle kept-alive "
				      "connection", harness_limit_ms()));
	for (int i = 0; i < 14; i++)
		close(idle[i]);
	free(req);
	assert_int_equal(dpsim_stop(&p), 0);
	dpsim_cleanup(&p);
}

/* Out of file descriptors: connections are turned away, and the log
 * says so and why, instead of clients just hanging. dpsim inherits a
 * limit of 64 descriptors; this process keeps its own. */
static void out_of_descriptors_is_logged(void **unused)
{
	struct dpsim_proc p;
	static struct errlog log;
	struct rlimit was, low;
	int fds[120];
	struct answer a;

	/* valgrind keeps a lowered descriptor limit to itself: the dpsim
	 * it starts would never run short. */
	if (harness_under_wrapper())
		skip();
	memset(&log, 0, sizeof(log));
	dpsim_prepare(&p);
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &was), 0);
	low = was;
	low.rlim_cur = 64;
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	int started = dpsim_start(&p, NULL);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &was), 0);
	assert_int_equal(started, 0);

	for (int i = 0; i < 120; i++)
		fds[i] = connect_from(&p, "127.0.0.1");
	assert_true(dpsim_wait_stderr(&p, &log, "turning connections away",
				      harness_limit_ms()));
	assert_non_null(strstr(log.text, "ulimit -n"));
	for (int i = 0; i < 120; i++)
		close(fds[i]);

	/* Once they are gone, dpsim serves again. */
	char *req = identify_request("");
	long long deadline = harness_now_ms() + harness_limit_ms();
	for (;;) {
		int fd = connect_from(&p, "127.0.0.1");
		send_all(fd, req, strlen(req));
		read_answer(fd, &a);
		close(fd);
		if (a.status == 200)
			break;
		answer_free(&a);
		assert_true(harness_now_ms() < deadline);
		poll(NULL, 0, 20);
	}
	assert_non_null(strstr(a.body, "Microsoft Corporation"));
	answer_free(&a);
	free(req);
	assert_int_equal(dpsim_stop(&p), 0);
	dpsim_cleanup(&p);
}

/* ---- bodies ------------------------------------------------------------------ */

static int fault_rule_count(const struct dpsim_proc *p)
{
	json_t *rules = control_call(p, "GET", "faults", NULL, 200);
	json_t *list = json_object_get(rules, "faults");
	assert_true(json_is_array(list));
	int n = (int)json_array_size(list);
	json_decref(rules);
	return n;
}

/* A chunked body past --max-body: the fault (WS-Man) or 413 (control
 * API) with a body naming the limit, after the rest was read. */
static void over_limit_chunked_bodies(void **unused)
{
	struct dpsim_proc p;
	const char *args[] = { "--max-body", "1", NULL };
	char chunk[600];
	struct answer a;
	static const char *const heads[] = {
		"POST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\n" LAB_AUTH SOAP_CT
		"Transfer-Encoding: chunked\r\n\r\n",
		"POST /_dpsim/faults HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
	};

	dpsim_prepare(&p);
	assert_int_equal(dpsim_start(&p, args), 0);
	memset(chunk, ' ', sizeof(chunk));
	for (int k = 0; k < 2; k++) {
		int fd = connect_from(&p, "127.0.0.1");
		send_all(fd, heads[k], strlen(heads[k]));
		for (int i = 0; i < 8; i++) {	/* 4 800 bytes > 1 KiB */
			char size[16];
			snprintf(size, sizeof(size), "%zx\r\n", sizeof(chunk));
			send_all(fd, size, strlen(size));
			send_all(fd, chunk, sizeof(chunk));
			send_all(fd, "\r\n", 2);
		}
		send_all(fd, "0\r\n\r\n", 5);
		read_answer(fd, &a);
		if (k == 0) {
			assert_int_equal(a.status, 500);
			assert_non_null(strstr(a.body, "EncodingLimit"));
			assert_non_null(strstr(a.body, "exceeds the limit of 1024 bytes"));
		} else {
			assert_int_equal(a.status, 413);
			assert_non_null(strstr(a.body, "\"error\": \"the request body exceeds "
					       "the limit of 1024 bytes (--max-body)\""));
		}
		answer_free(&a);
		close(fd);
	}
	assert_int_equal(fault_rule_count(&p), 0);
	assert_int_equal(dpsim_stop(&p), 0);
	dpsim_cleanup(&p);
}

/* Refused from the headers: a body that is not even XML gets the 401,
 * not a parse fault, and the connection stays usable for the retry. */
static void unauthenticated_body_is_not_parsed(void **unused)
{
	struct dpsim_proc p;
	struct answer a;
	static const char junk[] = "this is not XML <<<<";
	char head[400];

	dpsim_prepare(&p);
	assert_int_equal(dpsim_start(&p, NULL), 0);
	int fd = connect_from(&p, "127.0.0.1");
	for (int k = 0; k < 2; k++) {
		/* No credentials, then a wrong password. */
		snprintf(head, sizeof(head), "POST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\n%s"
			 SOAP_CT "Content-Length: %zu\r\n\r\n",
			 k ? "Authorization: Basic bGFiOndyb25n\r\n" : "", strlen(junk));
		send_all(fd, head, strlen(head));
		send_all(fd, junk, strlen(junk));
		read_answer(fd, &a);
		assert_int_equal(a.status, 401);
		assert_true(has_header(&a, "WWW-Authenticate: Basic realm=\"WSMAN\""));
		assert_int_equal(a.len, 0);
		assert_false(a.closed);
		answer_free(&a);
	}
	char *req = identify_request("");
	send_all(fd, req, strlen(req));
	read_answer(fd, &a);
	assert_int_equal(a.status, 200);
	assert_non_null(strstr(a.body, "ProductVersion"));
	answer_free(&a);
	free(req);
	close(fd);

	/* A body larger than --max-body without credentials: 401, unread. */
	snprintf(head, sizeof(head), "POST /wsman HTTP/1.1\r\nHost: 127.0.0.1\r\n"
		 SOAP_CT "Content-Length: 100000000\r\n\r\n");
	exchange(&p, "127.0.0.1", head, &a);
	assert_int_equal(a.status, 401);
	answer_free(&a);
	assert_int_equal(dpsim_stop(&p), 0);
	dpsim_cleanup(&p);
}

/* ---- other origins ----------------------------------------------------------- */

static void control_request(const struct dpsim_proc *p, const char *method,
			    const char *path, const char *headers, const char *body,
			    struct answer *a)
{
	char *req = NULL;
	int n = asprintf(&req, "%s %s HTTP/1.1\r\n%sContent-Length: %zu\r\n\r\n%s",
			 method, path, headers, body ? strlen(body) : 0, body ? body : "");
	assert_true(n > 0);
	exchange(p, "127.0.0.1", req, a);
	free(req);
}

static void cross_site_requests_refused(void **unused)
{
	struct dpsim_proc p;
	static struct errlog log;
	const char *args[] = { "--allow-host", "lab.example", NULL };
	static const char rule[] = "{\"method\": \"SetDPMaintenanceMode\", "
				   "\"effect\": \"fault\", \"hresult\": \"0x80041003\"}";
	char own[160], h[600];
	struct answer a;

	memset(&log, 0, sizeof(log));
	dpsim_prepare(&p);
	assert_int_equal(dpsim_start(&p, args), 0);
	snprintf(own, sizeof(own), "127.0.0.1:%d", port_of(&p));

	/* DNS rebinding: a foreign name in Host, on the loopback listener. */
	control_request(&p, "GET", "/_dpsim/state", "Host: evil.example\r\n", NULL, &a);
	assert_int_equal(a.status, 421);
	assert_non_null(strstr(a.body, "not Host 'evil.example'"));
	assert_non_null(strstr(a.body, "--allow-host"));
	assert_true(has_header(&a, "Content-Type: application/json"));
	assert_true(has_header(&a, "X-Content-Type-Options: nosniff"));
	answer_free(&a);
	control_request(&p, "POST", "/_dpsim/faults",
			"Host: evil.example:80\r\nContent-Type: application/json\r\n",
			rule, &a);
	assert_int_equal(a.status, 421);
	answer_free(&a);
	control_request(&p, "GET", "/", "Host: evil.example\r\n", NULL, &a);
	assert_int_equal(a.status, 421);
	answer_free(&a);
	/* A name given with --allow-host, and loopback names, are served. */
	control_request(&p, "GET", "/_dpsim/state", "Host: lab.example:5985\r\n", NULL, &a);
	assert_int_equal(a.status, 200);
	answer_free(&a);
	control_request(&p, "GET", "/_dpsim/state", "Host: localhost\r\n", NULL, &a);
	assert_int_equal(a.status, 200);
	answer_free(&a);
	/* WS-Man authenticates every request: lab clients use any name. */
	char *req = identify_request("");
	char *named = strdup(req);
	memcpy(strstr(named, "Host: 127.0.0.1"), "Host: dpsimhost", 15);
	exchange(&p, "127.0.0.1", named, &a);
	assert_int_equal(a.status, 200);
	answer_free(&a);
	free(named);

	/* A foreign Origin, on the control API and on WS-Man. */
	snprintf(h, sizeof(h), "Host: %s\r\nOrigin: http://evil.example\r\n"
		 "Content-Type: application/json\r\n", own);
	control_request(&p, "POST", "/_dpsim/faults", h, rule, &a);
	assert_int_equal(a.status, 403);
	assert_non_null(strstr(a.body, "cross-origin request from Origin "
			       "'http://evil.example' refused"));
	answer_free(&a);
	snprintf(h, sizeof(h), "Host: %s\r\nOrigin: null\r\n"
		 "Content-Type: application/json\r\n", own);
	control_request(&p, "POST", "/_dpsim/reset", h, "{}", &a);
	assert_int_equal(a.status, 403);
	answer_free(&a);
	char *foreign = identify_request("Origin: http://evil.example\r\n");
	exchange(&p, "127.0.0.1", foreign, &a);
	assert_int_equal(a.status, 403);
	assert_true(has_header(&a, "X-Content-Type-Options: nosniff"));
	answer_free(&a);
	free(foreign);

	/* What a form or a no-cors fetch can send: no type, text/plain,
	 * form-urlencoded, multipart. */
	static const char *const simple[] = {
		"", "Content-Type: text/plain\r\n",
		"Content-Type: application/x-www-form-urlencoded\r\n",
		"Content-Type: multipart/form-data; boundary=x\r\n",
	};
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++) {
		snprintf(h, sizeof(h), "Host: %s\r\n%s", own, simple[i]);
		control_request(&p, "POST", "/_dpsim/faults", h, rule, &a);
		assert_int_equal(a.status, 415);
		assert_non_null(strstr(a.body, "needs Content-Type: application/json"));
		answer_free(&a);
	}
	assert_int_equal(fault_rule_count(&p), 0);
	assert_true(dpsim_wait_stderr(&p, &log, "refused a request from 127.0.0.1: "
				      "dpsim on a loopback address answers only",
				      harness_limit_ms()));

	/* dpsim's own origin is served. */
	snprintf(h, sizeof(h), "Host: %s\r\nOrigin: http://%s\r\n"
		 "Content-Type: application/json\r\n", own, own);
	control_request(&p, "POST", "/_dpsim/faults", h, rule, &a);
	assert_int_equal(a.status, 201);
	answer_free(&a);
	assert_int_equal(fault_rule_count(&p), 1);
	free(req);
	assert_int_equal(dpsim_stop(&p), 0);
	dpsim_cleanup(&p);
}

/* ---- shutdown under load ----------------------------------------------------- */

struct invoker {
	pthread_t th;
	const char *url;
	int dp;
	int acked;		/* answered with ReturnValue 0 */
	int errors;		/* answered otherwise, but for "shutting down" */
};

static void *invoker_main(void *arg)
{
	struct invoker *w = arg;
	static const char *const nal[] = { DP01_NAL, DP02_NAL };
	CURL *c = curl_easy_init();
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/soap+xml;charset=UTF-8");

	curl_easy_setopt(c, CURLOPT_URL, w->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_USERPWD, "lab:lab");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	for (int i = 0;; i++) {
		char params[1024], *env;
		FILE *mem;
		char *reply = NULL;
		size_t len = 0;
		long status = 0;

		snprintf(params, sizeof(params),
			 "<p:SetDPMaintenanceMode_INPUT xmlns:p=\"" WMI_NS "/SMS_DistributionPointInfo\">"
			 "<p:NALPath>%s</p:NALPath><p:Mode>%d</p:Mode>"
			 "</p:SetDPMaintenanceMode_INPUT>", nal[w->dp], i % 2);
		env = envelope(WMI_NS "/SMS_DistributionPointInfo/SetDPMaintenanceMode",
			       WMI_NS "/SMS_DistributionPointInfo", NULL, params);
		mem = open_memstream(&reply, &len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, env);
		curl_easy_setopt(c, CURLOPT_WRITEDATA, mem);
		CURLcode rc = curl_easy_perform(c);
		fclose(mem);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
		free(env);
		if (rc != CURLE_OK) {
			free(reply);
			break;	/* dpsim stopped: this call was not answered */
		}
		bool stopping = status == 503 && strstr(reply, "shutting down");
		if (status == 200 && strstr(reply, "ReturnValue>0</"))
			w->acked++;
		else if (!stopping)
			w->errors++;
		free(reply);
		if (stopping)
			break;	/* a new connection, turned away unread */
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return NULL;
}

/* Eight keep-alive clients invoke as fast as they can; SIGTERM lands in
 * the middle. Every call the journal holds was answered with success:
 * none committed and then cut off. */
static void sigterm_answers_every_committed_call(void **unused)
{
	struct dpsim_proc p;
	struct invoker w[8];
	int acked = 0;

	dpsim_prepare(&p);
	const char *args[] = { "--db", p.db, NULL };
	assert_int_equal(dpsim_start(&p, args), 0);
	for (int i = 0; i < 8; i++) {
		w[i] = (struct invoker){ .url = p.url, .dp = i % 2 };
		assert_int_equal(pthread_create(&w[i].th, NULL, invoker_main, &w[i]), 0);
	}
	/* Until the calls are well under way. */
	long long deadline = harness_now_ms() + harness_limit_ms();
	for (;;) {
		json_t *c = control_call(&p, "GET", "journal/count?operation=invoke", NULL, 200);
		json_int_t n = json_integer_value(json_object_get(c, "count"));
		json_decref(c);
		if (n >= 400)
			break;
		assert_true(harness_now_ms() < deadline);
		poll(NULL, 0, 5);
	}
	assert_int_equal(dpsim_stop(&p), 0);
	for (int i = 0; i < 8; i++) {
		pthread_join(w[i].th, NULL);
		assert_int_equal(w[i].errors, 0);
		acked += w[i].acked;
	}

	assert_int_equal(dpsim_start(&p, args), 0);
	json_t *c = control_call(&p, "GET", "journal/count?operation=invoke", NULL, 200);
	json_int_t journaled = json_integer_value(json_object_get(c, "count"));
	json_decref(c);
	printf("%d calls acknowledged before and during the shutdown, %lld journaled\n",
	       acked, (long long)journaled);
	assert_int_equal(journaled, acked);
	assert_int_equal(dpsim_stop(&p), 0);
	dpsim_cleanup(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(client_limit_leaves_room_for_others),
		cmocka_unit_test(trickled_request_ends_at_its_deadline),
		cmocka_unit_test(idle_connections_make_room),
		cmocka_unit_test(out_of_descriptors_is_logged),
		cmocka_unit_test(over_limit_chunked_bodies),
		cmocka_unit_test(unauthenticated_body_is_not_parsed),
		cmocka_unit_test(cross_site_requests_refused),
		cmocka_unit_test(sigterm_answers_every_committed_call),
	};
	curl_global_init(CURL_GLOBAL_ALL);
	return cmocka_run_group_tests_name("connections", tests, NULL, NULL);
}
