#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "completion.h"
#include "config.h"
#include "conn_guard.h"
#include "log.h"
#include "num.h"
#include "origin.h"
#include "ratelimit.h"
#include "tls.h"
#include "vocab.h"

/* MHD clears its per-connection pool on every request; at the default
 * 32 KiB that memset dominated a small request (docs/architecture.md,
 * Measured choices). */
#define CONNECTION_MEMORY 8192
/* How long shutdown waits for the requests under way to be answered: a
 * safety net, they take milliseconds (a request still being read is
 * bounded by --read-timeout, which may be longer). */
#define DRAIN_MS 10000
/* Refusals a flood could repeat are logged at most once a minute. */
#define LOG_PERIOD_MS 60000

/* A connection suspended until a fault rule's wait is over. (One waiting
 * for a completion is on no list: whoever fires it resumes it.) */
struct waiter {
	struct MHD_Connection *conn;
	int64_t due_ms;		/* CLOCK_MONOTONIC */
	struct waiter *next;
};

/* Resumes suspended connections when they are due. Suspending and
 * resuming both happen under lock, so a connection is never suspended
 * after the waker stopped (MHD must not stop with one suspended). */
struct waker {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_cond_t drained;	/* held reached 0 */
	struct waiter *list;	/* by due time */
	unsigned held;		/* requests ever deferred, not completed */
	bool stopping;
	bool running;
};

/* One listening socket and the MHD daemon serving it; the callbacks'
 * closure, so each request knows the listener it came in on. */
struct listener {
	struct http_server *server;
	struct MHD_Daemon *mhd;
	int fd;			/* -1: not open; MHD closes it once started */
	uint16_t port;
	char url[300];		/* "" when not served */
	const char *scheme;	/* "http" or "https" */
	bool loopback;		/* bound to a loopback address only */
};

/* Kinds of refusal logged at most once a minute each. */
enum refusal { REFUSE_HOST, REFUSE_ORIGIN, REFUSE_TYPE, REFUSE_BODY, REFUSE_MHD,
	       REFUSAL_KINDS };

struct http_server {
	struct listener plain;	/* HTTP */
	struct listener secure;	/* HTTPS */
	struct http_options opt;
	struct waker waker;
	struct conn_guard *guard;
	/* Refusals a flood repeats: one line a minute of each kind. */
	struct ratelimit *log_refusals[REFUSAL_KINDS];
};

/* Per-request state, from the first callback to the completion notice. */
struct http_request {
	const struct front *front;
	void *state;		/* the front end's, from admit(); NULL when
				 * the answer was decided from the headers */
	struct front_answer early;	/* that answer, sent once the body
					 * has been read and dropped */
	int64_t start_ms;	/* the first callback, for the debug line */
	struct buf body;
	bool over_limit;	/* the body grew past --max-body: the rest
				 * is read and dropped */
	bool handling;		/* the whole request was read */
	bool held;		/* counted in waker.held */
};

/* The request of a connection the guard ended before its request line
 * was seen (see conn_guard_reading): never served. */
static char ended_by_guard;

/* Every answer goes out through here, with the headers all of them
 * carry. */
static enum MHD_Result queue(struct http_server *s, struct MHD_Connection *conn,
			     unsigned status, const char *content_type, bool as_is,
			     struct MHD_Response *r)
{
	if (content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_SERVER, "dpsim");
	/* Text and JSON must never be sniffed into something a browser
	 * runs; an answer a protocol defines to the byte goes as it is. */
	if (content_type && !as_is)
		MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	/* Shutting down: this answer is the connection's last. */
	if (conn_guard_draining(s->guard))
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Queues data (malloc'd, taken over; NULL means out of memory). */
static enum MHD_Result send_buffer(struct http_server *s, struct MHD_Connection *conn,
				   unsigned status, const char *content_type,
				   char *data, size_t len)
{
	if (!data)
		return MHD_NO;
	struct MHD_Response *r = MHD_create_response_from_buffer(len, data,
								 MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(data);
		return MHD_NO;
	}
	return queue(s, conn, status, content_type, false, r);
}

static enum MHD_Result send_text(struct http_server *s, struct MHD_Connection *conn,
				 unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static enum MHD_Result send_text(struct http_server *s, struct MHD_Connection *conn,
				 unsigned status, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MHD_NO;
	return send_buffer(s, conn, status, "text/plain; charset=utf-8", text, (size_t)n);
}

/* A header value echoed in an answer or a log line: printable ASCII
 * without quotes or backslashes, so it needs no escaping in JSON. */
static const char *echo(const char *v, char *out, size_t size)
{
	size_t n = 0;

	if (!v)
		return "(none)";
	for (; *v && n + 4 < size; v++)
		out[n++] = (*v >= 0x20 && *v < 0x7f && *v != '"' && *v != '\\') ? *v : '?';
	if (*v)
		out[n++] = '.', out[n++] = '.', out[n++] = '.';
	out[n] = '\0';
	return out;
}

/* {"error": "..."} for a JSON front end's refusal made here; the
 * message holds no quote or backslash (values in it went through
 * echo()). */
static enum MHD_Result send_json_error(struct http_server *s, struct MHD_Connection *conn,
				       unsigned status, const char *msg)
{
	char *t = NULL;
	int n = asprintf(&t, "{\"error\": \"%s\"}\n", msg);
	if (n < 0)
		return MHD_NO;
	return send_buffer(s, conn, status, "application/json", t, (size_t)n);
}

/* ---- waking delayed requests ------------------------------------------- */

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *waker_main(void *arg)
{
	struct waker *w = arg;

	pthread_mutex_lock(&w->lock);
	while (!w->stopping) {
		if (!w->list) {
			pthread_cond_wait(&w->cond, &w->lock);
			continue;
		}
		int64_t now = mono_ms();
		if (w->list->due_ms <= now) {
			struct waiter *due = w->list;

			w->list = due->next;
			MHD_resume_connection(due->conn);
			free(due);
			continue;
		}
		struct timespec until = {
			.tv_sec = (time_t)(w->list->due_ms / 1000),
			.tv_nsec = (long)(w->list->due_ms % 1000) * 1000000L,
		};
		pthread_cond_timedwait(&w->cond, &w->lock, &until);
	}
	/* Shutting down: every wait ends now. */
	while (w->list) {
		struct waiter *due = w->list;

		w->list = due->next;
		MHD_resume_connection(due->conn);
		free(due);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void waker_init(struct waker *w)
{
	pthread_condattr_t attr;

	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &attr);
	pthread_cond_init(&w->drained, &attr);
	pthread_condattr_destroy(&attr);
}

static int waker_start(struct waker *w)
{
	int rc = pthread_create(&w->thread, NULL, waker_main, w);

	if (rc)
		return -rc;
	w->running = true;
	return 0;
}

static void waker_stop(struct waker *w)
{
	if (!w->running)
		return;
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	w->running = false;
}

/* After MHD has stopped (or never started): nothing can call
 * waker_defer any more. */
static void waker_destroy(struct waker *w)
{
	pthread_cond_destroy(&w->drained);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
}

/* Suspends conn for ms. False when shutting down (or out of memory):
 * then the caller goes on at once. *held says whether the request is
 * already counted in w->held; counted under the lock, before the waker
 * can resume it, so the count never goes below 0. */
static bool waker_defer(struct waker *w, struct MHD_Connection *conn,
			uint32_t ms, bool *held)
{
	struct waiter *n = calloc(1, sizeof(*n)), **at;
	bool ok = false;

	if (!n)
		return false;
	n->conn = conn;
	/* Rounded up: "now" truncated to the millisecond would resume a
	 * request up to 1 ms before its delay is over (mono_ms() is
	 * truncated too when the waker compares, so late is never early). */
	n->due_ms = mono_ms() + 1 + ms;
	pthread_mutex_lock(&w->lock);
	if (!w->stopping) {
		for (at = &w->list; *at && (*at)->due_ms <= n->due_ms; at = &(*at)->next)
			;
		n->next = *at;
		*at = n;
		if (!*held) {
			*held = true;
			w->held++;
		}
		MHD_suspend_connection(conn);
		pthread_cond_signal(&w->cond);
		ok = true;
	}
	pthread_mutex_unlock(&w->lock);
	if (!ok)
		free(n);
	return ok;
}

/* completion_arm's function: the work a connection waited for is over. */
static void resume_conn(void *conn)
{
	MHD_resume_connection(conn);
}

/* Suspends conn until c fires (whoever fires it resumes conn), counted
 * in w->held as waker_defer counts. False when shutting down: then the
 * caller waits for c on its thread. The waker thread plays no part, but
 * its lock orders this against waker_stop, and waker_drain waits for
 * these requests too. */
static bool waker_hold(struct waker *w, struct MHD_Connection *conn,
		       struct completion *c, bool *held)
{
	bool ok = false;

	pthread_mutex_lock(&w->lock);
	if (!w->stopping) {
		if (!*held) {
			*held = true;
			w->held++;
		}
		MHD_suspend_connection(conn);
		/* Fired already: nobody else will resume it. */
		if (!completion_arm(c, resume_conn, conn))
			MHD_resume_connection(conn);
		ok = true;
	}
	pthread_mutex_unlock(&w->lock);
	return ok;
}

static void waker_release(struct waker *w)
{
	pthread_mutex_lock(&w->lock);
	if (--w->held == 0)
		pthread_cond_broadcast(&w->drained);
	pthread_mutex_unlock(&w->lock);
}

/* After waker_stop: waits (at most ms) until every request it resumed
 * has been answered. MHD_stop_daemon would otherwise close a connection
 * whose resumption its worker had not yet picked up, and the client of
 * a held request would get nothing instead of its answer. */
static void waker_drain(struct waker *w, int64_t ms)
{
	int64_t until_ms = mono_ms() + ms;
	struct timespec until = {
		.tv_sec = (time_t)(until_ms / 1000),
		.tv_nsec = (long)(until_ms % 1000) * 1000000L,
	};

	pthread_mutex_lock(&w->lock);
	while (w->held && pthread_cond_timedwait(&w->drained, &w->lock, &until) == 0)
		;
	if (w->held)
		log_warn("shutting down with %u delayed request(s) still unanswered",
			 w->held);
	pthread_mutex_unlock(&w->lock);
}

/* ---- routing -------------------------------------------------------------- */

static const char *header(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

static const char *request_header(const struct front_request *rq, const char *name)
{
	return header(rq->transport, name);
}

/* A connection's own state: its guard entry and the front ends' slot
 * (front.h). */
struct http_conn {
	struct conn_guard_entry *guard;
	struct front_conn_slot slot;
};

static struct http_conn *conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *i =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return i ? i->socket_context : NULL;
}

static struct conn_guard_entry *guard_entry(struct MHD_Connection *conn)
{
	struct http_conn *c = conn_of(conn);
	return c ? c->guard : NULL;
}

/* Logs a refusal that a flood of requests could repeat. */
static void log_refusal(struct http_server *s, struct MHD_Connection *conn,
			enum refusal kind, const char *what)
{
	uint64_t skipped;
	char note[RATELIMIT_NOTE];

	if (ratelimit_pass_now(s->log_refusals[kind], &skipped))
		log_warn("refused a request from %s: %s%s", conn_guard_peer(guard_entry(conn)),
			 what, ratelimit_note(skipped, note));
}

/* The rules of origin.h for a request to front end f. Returns 0 to go
 * on, or the status of the refusal it queued (*ret). A front end that
 * browsers do not use (WS-Man) authenticates every request and is
 * reached by whatever name lab clients use, so only the Origin rule
 * applies to it. */
static unsigned cross_site_check(struct listener *l, struct MHD_Connection *conn,
				 const struct front *f, const char *method,
				 enum MHD_Result *ret)
{
	struct http_server *s = l->server;
	const char *host = header(conn, MHD_HTTP_HEADER_HOST);
	const char *origin = header(conn, "Origin");
	char e1[200], e2[200], msg[600];

	if (f->browser_facing && l->loopback &&
	    !origin_host_allowed(host, s->opt.allow_hosts, s->opt.nallow_hosts)) {
		snprintf(msg, sizeof(msg), "dpsim on a loopback address answers only "
			 "requests for a loopback name, not Host '%s' (a page may be "
			 "rebinding its DNS name to 127.0.0.1); start dpsim with "
			 "--allow-host NAME to serve it by another name",
			 echo(host, e1, sizeof(e1)));
		log_refusal(s, conn, REFUSE_HOST, msg);
		*ret = send_json_error(s, conn, 421, msg);
		return 421;
	}
	if (origin && !origin_is_same(origin, l->scheme, host)) {
		snprintf(msg, sizeof(msg), "cross-origin request from Origin '%s' "
			 "refused: dpsim serves only its own origin %s://%s",
			 echo(origin, e1, sizeof(e1)), l->scheme, echo(host, e2, sizeof(e2)));
		log_refusal(s, conn, REFUSE_ORIGIN, msg);
		*ret = f->browser_facing
			? send_json_error(s, conn, MHD_HTTP_FORBIDDEN, msg)
			: send_text(s, conn, MHD_HTTP_FORBIDDEN, "dpsim: %s\n", msg);
		return MHD_HTTP_FORBIDDEN;
	}
	/* DELETE and the like cannot cross origins without a preflight; a
	 * POST or PUT can, unless its type forbids it. */
	if (f->browser_facing &&
	    (!strcmp(method, "POST") || !strcmp(method, "PUT") || !strcmp(method, "PATCH")) &&
	    origin_simple_content_type(header(conn, MHD_HTTP_HEADER_CONTENT_TYPE))) {
		snprintf(msg, sizeof(msg), "%s needs Content-Type: application/json "
			 "(application/xml for a fixture document), not '%s': a web "
			 "page of another origin can send that one", method,
			 echo(header(conn, MHD_HTTP_HEADER_CONTENT_TYPE), e1, sizeof(e1)));
		log_refusal(s, conn, REFUSE_TYPE, msg);
		*ret = send_json_error(s, conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, msg);
		return MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
	}
	return 0;
}

struct arg_list {
	struct front_arg *args;
	size_t n, cap;
	bool failed;
};

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind,
				   const char *key, const char *value)
{
	struct arg_list *l = cls;

	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct front_arg *a = realloc(l->args, cap * sizeof(*a));
		if (!a) {
			l->failed = true;
			return MHD_NO;
		}
		l->args = a;
		l->cap = cap;
	}
	l->args[l->n++] = (struct front_arg){ key, value };
	return MHD_YES;
}

/* The request as a front end sees it; body set by the caller. args (for
 * serve) are the caller's to free: NULL skips them (admit). 0, or -1
 * when out of memory. */
static int front_request_make(struct listener *l, struct MHD_Connection *conn,
			      const char *url, const char *method,
			      struct arg_list *args, struct front_request *rq)
{
	if (args) {
		MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, args);
		if (args->failed)
			return -1;
	}
	*rq = (struct front_request){
		.method = method, .path = url, .scheme = l->scheme,
		.args = args ? args->args : NULL, .nargs = args ? args->n : 0,
		.content_type = header(conn, MHD_HTTP_HEADER_CONTENT_TYPE),
		.authorization = header(conn, MHD_HTTP_HEADER_AUTHORIZATION),
		.header = request_header, .transport = conn,
		.peer = conn_guard_peer(guard_entry(conn)),
	};
	struct http_conn *hc = conn_of(conn);
	rq->conn = hc ? &hc->slot : NULL;
	return 0;
}

/* Queues a front end's answer (taking its body), with a debug line for
 * the request: what came in, what went out, and what the front end made
 * of it. start_ms: when the request began (0: just now). */
static enum MHD_Result send_answer(struct http_server *s, struct MHD_Connection *conn,
				   const char *method, const char *url,
				   struct front_answer *a, int64_t start_ms)
{
	log_debug("%s %s from %s: %s %d%s%s (%lld ms)", method, url,
		  conn_guard_peer(guard_entry(conn)), a->drop ? "dropped" : "HTTP",
		  a->drop ? 0 : a->status, a->trace[0] ? "; " : "", a->trace,
		  start_ms ? (long long)(mono_ms() - start_ms) : 0LL);
	if (a->drop) {
		free(a->body);
		a->body = NULL;
		free(a->auth_token);
		a->auth_token = NULL;
		return MHD_NO;	/* MHD closes the connection, sending nothing */
	}
	struct MHD_Response *r = MHD_create_response_from_buffer(
		a->len, a->body, a->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(a->body);
		a->body = NULL;
		free(a->auth_token);
		a->auth_token = NULL;
		return MHD_NO;
	}
	a->body = NULL;	/* MHD's now */
	if (a->auth_token) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, a->auth_token);
		free(a->auth_token);
		a->auth_token = NULL;
	}
	if (a->close)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
	if (a->no_store || a->page)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	if (a->page)
		MHD_add_response_header(r, "Content-Security-Policy",
					"default-src 'self'; frame-ancestors 'none'");
	if (a->allow)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, a->allow);
	if (a->challenge)
		MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, a->challenge);
	return queue(s, conn, (unsigned)a->status, a->content_type, a->as_is, r);
}

static const struct front *front_of(struct http_server *s, const char *url)
{
	for (size_t i = 0; i < s->opt.nfronts; i++)
		if (s->opt.fronts[i]->owns(s->opt.fronts[i]->self, url))
			return s->opt.fronts[i];
	return NULL;
}

/* The declared body length. MHD has refused a malformed header before
 * this runs; one that still does not parse is treated as absent (the cap
 * then applies while the body is read). */
static unsigned long long content_length(struct MHD_Connection *conn, bool *given)
{
	const char *cl = header(conn, MHD_HTTP_HEADER_CONTENT_LENGTH);
	uint64_t v = 0;

	*given = cl && !num_parse_dec(cl, UINT64_MAX, &v);
	return v;
}

/* First callback of a request: route, apply the transport's rules, let
 * the front end decide from the headers, refuse an oversized body
 * before reading it. */
static enum MHD_Result begin_request(struct listener *l, struct MHD_Connection *conn,
				     const char *url, const char *method, void **con_cls)
{
	struct http_server *s = l->server;
	const struct front *f = front_of(s, url);
	struct front_request rq;
	struct front_answer ans = { 0 };
	enum MHD_Result ret;
	bool drain = false, given;

	if (!f)
		return send_text(s, conn, MHD_HTTP_NOT_FOUND,
				 "dpsim: no resource at %s\n", url);
	if (cross_site_check(l, conn, f, method, &ret))
		return ret;
	front_request_make(l, conn, url, method, NULL, &rq);
	void *state = f->admit ? f->admit(f->self, &rq, &ans, &drain) : f->self;
	unsigned long long cl = content_length(conn, &given);
	bool too_large = given && cl > s->opt.max_body;
	if (!state && (!drain || too_large))
		return send_answer(s, conn, method, url, &ans, 0);
	if (state && too_large) {
		ans = (struct front_answer){ 0 };
		f->too_large(f->self, state, s->opt.max_body, &ans);
		if (f->release)
			f->release(f->self, state);
		return send_answer(s, conn, method, url, &ans, 0);
	}
	struct http_request *req = calloc(1, sizeof(*req));
	if (!req) {
		if (state && f->release)
			f->release(f->self, state);
		free(ans.body);
		free(ans.auth_token);
		return MHD_NO;
	}
	req->front = f;
	req->state = state;
	req->start_ms = mono_ms();
	/* Refused from the headers: the body that fits is read and dropped
	 * so the connection stays usable for the retry. */
	req->early = ans;
	buf_init(&req->body, s->opt.max_body);
	*con_cls = req;
	return MHD_YES;
}

/* The whole request is in: the front end answers, or asks to be called
 * again after a delay. */
static enum MHD_Result serve_request(struct listener *l, struct MHD_Connection *conn,
				     const char *url, const char *method,
				     struct http_request *req)
{
	struct http_server *s = l->server;
	const struct front *f = req->front;
	struct arg_list args = { 0 };
	struct front_request rq;
	struct front_answer ans = { 0 };

	if (front_request_make(l, conn, url, method, &args, &rq)) {
		free(args.args);
		return MHD_NO;
	}
	rq.body = buf_ptr(&req->body);
	rq.len = buf_len(&req->body);
	f->serve(f->self, req->state, &rq, &ans);
	/* Committed already (this worker led the group commit itself, or
	 * its batch was quick): answered at once, without the suspend and
	 * resume, which cost five system calls and a trip through the
	 * event loop. */
	if (ans.wait && completion_fired(ans.wait)) {
		free(ans.body);
		free(ans.auth_token);
		ans = (struct front_answer){ 0 };
		f->serve(f->self, req->state, &rq, &ans);
	}
	if (ans.wait) {
		struct completion *c = ans.wait;

		free(ans.body);
		free(ans.auth_token);
		if (waker_hold(&s->waker, conn, c, &req->held)) {
			free(args.args);
			return MHD_YES;	/* called again once resumed */
		}
		completion_wait(c);
		ans = (struct front_answer){ 0 };
		f->serve(f->self, req->state, &rq, &ans);
	} else if (ans.defer_ms) {
		free(ans.body);
		free(ans.auth_token);
		if (waker_defer(&s->waker, conn, ans.defer_ms, &req->held)) {
			free(args.args);
			return MHD_YES;	/* called again once resumed */
		}
		/* Shutting down: no more waiting. */
		ans = (struct front_answer){ 0 };
		f->serve(f->self, req->state, &rq, &ans);
	}
	free(args.args);
	return send_answer(s, conn, method, url, &ans, req->start_ms);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct listener *l = cls;
	struct http_server *s = l->server;
	struct http_request *req = *con_cls;

	if (*con_cls == &ended_by_guard)
		return MHD_NO;
	if (!req)
		return begin_request(l, conn, url, method, con_cls);
	if (*upload_data_size) {
		/* A body refused from its headers, or past the cap, is read
		 * and dropped. */
		if (req->state && !req->over_limit &&
		    buf_add(&req->body, upload_data, *upload_data_size)) {
			req->over_limit = true;
			buf_reset(&req->body);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (!req->handling) {
		req->handling = true;
		if (!conn_guard_handling(s->guard, guard_entry(conn)))
			return MHD_NO;	/* ended by the guard: serve nothing */
	}
	if (!req->state)
		return send_answer(s, conn, method, url, &req->early, req->start_ms);
	if (req->over_limit) {
		/* libmicrohttpd cannot answer in the middle of a body, so the
		 * rest was read and dropped; the answer goes out now. */
		char what[160];
		struct front_answer ans = { 0 };

		snprintf(what, sizeof(what), "the request body exceeds the limit of "
			 "%zu bytes (--max-body)", s->opt.max_body);
		log_refusal(s, conn, REFUSE_BODY, what);
		req->front->too_large(req->front->self, req->state, s->opt.max_body,
				      &ans);
		return send_answer(s, conn, method, url, &ans, req->start_ms);
	}
	return serve_request(l, conn, url, method, req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct listener *l = cls;
	struct http_server *s = l->server;
	struct http_request *req = *con_cls;

	if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
		conn_guard_idle(s->guard, guard_entry(conn));
	if (!req || *con_cls == &ended_by_guard)
		return;
	if (req->held)
		waker_release(&s->waker);
	if (req->state && req->front->release)
		req->front->release(req->front->self, req->state);
	free(req->early.body);
	free(req->early.auth_token);
	buf_free(&req->body);
	free(req);
	*con_cls = NULL;
}

/* A request line arrived: its read deadline runs from now. A request
 * that arrives on a connection the guard already ended is not served;
 * the first callback sees the marker. */
static void *on_request_line(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct listener *l = cls;

	if (!conn_guard_reading(l->server->guard, guard_entry(conn)))
		return &ended_by_guard;
	return NULL;
}

static void on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct listener *l = cls;
	struct http_server *s = l->server;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		struct http_conn *c = *socket_context;

		if (c) {
			if (c->slot.value && c->slot.release)
				c->slot.release(c->slot.value);
			conn_guard_close(s->guard, c->guard);
			free(c);
		}
		*socket_context = NULL;
		return;
	}
	struct http_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return;	/* unguarded, as when the guard has no memory */
	const union MHD_ConnectionInfo *fd =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	const union MHD_ConnectionInfo *peer =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	struct conn_guard_entry *e = NULL;
	enum conn_guard_verdict v = conn_guard_open(s->guard, fd->connect_fd,
						    peer ? peer->client_addr : NULL, &e);
	c->guard = e;
	*socket_context = c;
	if (v == CONN_GUARD_ADMIT || v == CONN_GUARD_NOMEM)
		return;
	/* Plain HTTP can say why before closing; TLS has no session yet. */
	char why[300];
	int n = 0;
	if (strcmp(l->scheme, "https")) {
		const char *text = conn_guard_verdict_text(v);
		n = snprintf(why, sizeof(why), "HTTP/1.1 503 Service Unavailable\r\n"
			     "Content-Type: text/plain; charset=utf-8\r\n"
			     "Content-Length: %zu\r\nConnection: close\r\n"
			     "Server: dpsim\r\n\r\ndpsim: %s\n", strlen(text) + 8, text);
	}
	conn_guard_refuse(s->guard, e, why, n > 0 ? (size_t)n : 0);
}

/* libmicrohttpd's own messages are debug detail, except those saying
 * that connections are being turned away for want of a resource (file
 * descriptors, the connection limit): a user must see those. */
static void __attribute__((format(printf, 2, 0)))
on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	struct http_server *s = cls;
	char msg[512];
	uint64_t skipped;
	char note[RATELIMIT_NOTE];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	if (!strstr(msg, "accept") && !strstr(msg, "connection limit") &&
	    !strstr(msg, "resource limit")) {
		log_debug("libmicrohttpd: %s", msg);
		return;
	}
	if (ratelimit_pass_now(s->log_refusals[REFUSE_MHD], &skipped))
		log_warn("turning connections away: libmicrohttpd says \"%s\" (see "
			 "--max-connections and the open-files limit, ulimit -n)%s",
			 msg, ratelimit_note(skipped, note));
}

static bool addr_is_loopback(const struct sockaddr *sa);

/* Binding ourselves gives a precise error for "port in use" and lets port 0
 * be read back before MHD starts. opt names the option in errors; scheme
 * is "http" or "https". */
static int open_listener(struct listener *l, const char *addr, const char *opt,
			 const char *scheme, char *err, size_t errsize)
{
	const char *what = strcmp(scheme, "https") ? "" : " for HTTPS";
	char host[256];
	uint16_t port;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV },
		*ai = NULL;
	char portstr[8];

	if (config_split_hostport(addr, host, sizeof(host), &port)) {
		snprintf(err, errsize, "--%s '%s' is not ADDR:PORT", opt, addr);
		return -EINVAL;
	}
	snprintf(portstr, sizeof(portstr), "%u", port);
	int gr = getaddrinfo(host, portstr, &hints, &ai);
	if (gr) {
		snprintf(err, errsize, "cannot listen%s on %s: %s", what, addr,
			 gai_strerror(gr));
		return -EINVAL;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1, e = 0;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 128)) {
		e = errno;
		snprintf(err, errsize, "cannot listen%s on %s: %s", what, addr,
			 strerror(e));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(ai);
		return -e;
	}

	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char ip[INET6_ADDRSTRLEN] = "?";
	getsockname(fd, (struct sockaddr *)&ss, &sl);
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)&ss;
		inet_ntop(AF_INET6, &a6->sin6_addr, ip, sizeof(ip));
		l->port = ntohs(a6->sin6_port);
		snprintf(l->url, sizeof(l->url), "%s://[%s]:%u", scheme, ip, l->port);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &a4->sin_addr, ip, sizeof(ip));
		l->port = ntohs(a4->sin_port);
		snprintf(l->url, sizeof(l->url), "%s://%s:%u", scheme, ip, l->port);
	}
	freeaddrinfo(ai);
	l->fd = fd;
	l->scheme = scheme;
	l->loopback = addr_is_loopback((struct sockaddr *)&ss);
	return 0;
}

/* Starts the daemon serving l: plain HTTP, or HTTPS with tls. Both run
 * the same handlers on the same server state and limits. GnuTLS parses
 * the PEM text here; MHD keeps no use for it afterwards. */
static int start_daemon(struct http_server *s, struct listener *l,
			const struct tls_material *tls);

static void listener_close(struct listener *l)
{
	if (l->mhd)
		MHD_stop_daemon(l->mhd);	/* also closes the socket */
	else if (l->fd >= 0)
		close(l->fd);
	l->mhd = NULL;
	l->fd = -1;
}

static void server_free(struct http_server *s)
{
	/* MHD must not stop with a connection suspended: end every wait
	 * first (those requests are then answered at once). */
	waker_stop(&s->waker);
	/* Answer every request already under way before MHD_stop_daemon,
	 * which would close their connections with the answers unsent.
	 * Meanwhile the guard turns new connections away (with a 503 on
	 * plain HTTP). MHD_quiesce_daemon would close the listening socket
	 * instead, but libmicrohttpd 0.9.75 can abort in it when a worker
	 * of its pool took the socket out of its epoll set at the same
	 * time. */
	if (s->guard)
		conn_guard_drain(s->guard, DRAIN_MS);
	waker_drain(&s->waker, DRAIN_MS);
	/* MHD_stop_daemon joins the workers, so a request being handled
	 * finishes (and its change is committed) before we return. */
	listener_close(&s->plain);
	listener_close(&s->secure);
	conn_guard_free(s->guard);
	for (int k = 0; k < REFUSAL_KINDS; k++)
		ratelimit_free(s->log_refusals[k]);
	waker_destroy(&s->waker);
	free(s);
}

int http_server_start(const struct http_options *opt, struct http_server **out,
		      char *err, size_t errsize)
{
	struct http_server *s = calloc(1, sizeof(*s));
	int r = 0;

	*out = NULL;
	if (!s) {
		snprintf(err, errsize, "out of memory");
		return -ENOMEM;
	}
	s->opt = *opt;
	s->opt.tls = NULL;	/* borrowed for this call only */
	s->plain.fd = s->secure.fd = -1;
	s->plain.server = s->secure.server = s;
	waker_init(&s->waker);
	struct conn_guard_limits lim = {
		.max_total = opt->max_connections,
		.max_per_client = opt->max_client_connections,
		.read_timeout_s = opt->read_timeout_s,
		.idle_timeout_s = opt->connection_timeout_s,
	};
	s->guard = conn_guard_new(&lim);
	bool limits = true;
	for (int k = 0; k < REFUSAL_KINDS; k++)
		limits = (s->log_refusals[k] = ratelimit_new(LOG_PERIOD_MS)) && limits;
	if (!s->guard || !limits) {
		snprintf(err, errsize, "cannot start the HTTP server: out of memory");
		r = -ENOMEM;
	} else if (!opt->listen && !opt->tls) {
		snprintf(err, errsize, "nothing to serve: no HTTP and no HTTPS listener");
		r = -EINVAL;
	}
	if (!r && opt->listen)
		r = open_listener(&s->plain, opt->listen, "listen", "http", err, errsize);
	if (!r && opt->tls)
		r = open_listener(&s->secure, opt->tls_listen, "tls-listen", "https",
				  err, errsize);
	if (!r && (r = waker_start(&s->waker)))
		snprintf(err, errsize, "cannot start the HTTP server: %s", strerror(-r));
	if (!r && opt->listen && (r = start_daemon(s, &s->plain, NULL)))
		snprintf(err, errsize, "cannot start the HTTP server on %s", opt->listen);
	if (!r && opt->tls && (r = start_daemon(s, &s->secure, opt->tls)))
		snprintf(err, errsize, "cannot start the HTTPS server on %s%s",
			 opt->tls_listen, MHD_is_feature_supported(MHD_FEATURE_TLS) ?
			 "" : ": this libmicrohttpd has no TLS support");
	if (r) {
		server_free(s);
		return r;
	}
	*out = s;
	return 0;
}

static int start_daemon(struct http_server *s, struct listener *l,
			const struct tls_material *tls)
{
	const struct http_options *opt = &s->opt;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			 MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
	struct MHD_OptionItem tls_opts[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0,
		  tls ? (void *)tls_material_cert_pem(tls) : NULL },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0,
		  tls ? (void *)tls_material_key_pem(tls) : NULL },
		{ MHD_OPTION_END, 0, NULL },
	};

	if (tls)
		flags |= MHD_USE_TLS;
	/* The logger first: libmicrohttpd prints what comes before it on
	 * stderr itself. */
	l->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, l,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
		MHD_OPTION_LISTEN_SOCKET, l->fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)opt->threads,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
		MHD_OPTION_CONNECTION_LIMIT, opt->max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, opt->connection_timeout_s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, l,
		MHD_OPTION_NOTIFY_CONNECTION, on_connection, l,
		MHD_OPTION_URI_LOG_CALLBACK, on_request_line, l,
		MHD_OPTION_ARRAY, tls ? tls_opts : &tls_opts[2],
		MHD_OPTION_END);
	return l->mhd ? 0 : -EIO;
}

static bool addr_is_loopback(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
		return (ntohl(a->sin_addr.s_addr) >> 24) == 127;
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_LOOPBACK(a))
			return true;
		return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
	}
	return false;
}

bool http_listen_is_loopback(const char *listen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *ai = NULL;
	char host[256];
	uint16_t port;
	bool all = true;

	if (config_split_hostport(listen, host, sizeof(host), &port) ||
	    getaddrinfo(host, NULL, &hints, &ai))
		return false;
	for (struct addrinfo *a = ai; a; a = a->ai_next)
		all = all && addr_is_loopback(a->ai_addr);
	freeaddrinfo(ai);
	return all;
}

const char *http_server_url(const struct http_server *s)
{
	return s->plain.url;
}

uint16_t http_server_port(const struct http_server *s)
{
	return s->plain.port;
}

const char *http_server_tls_url(const struct http_server *s)
{
	return s->secure.url;
}

uint16_t http_server_tls_port(const struct http_server *s)
{
	return s->secure.port;
}

void http_server_stop(struct http_server *s)
{
	if (s)
		server_free(s);
}
