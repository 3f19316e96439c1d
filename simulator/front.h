/* front: the seam between the HTTP transport (http.c) and the front ends
 * that speak a protocol over it: WS-Management (wsman_ops.c), the
 * AdminService's REST route (adminservice.c), the control API (control.c)
 * and the lab dashboard (dashboard.c).
 *
 * http.c knows no protocol. It reads requests, applies the transport's
 * rules (connection limits, body size, the cross-site rules of origin.h)
 * and hands each request to the front end that owns its path, twice:
 *
 *   admit()  with the headers, before any of the body is read: the front
 *            end authenticates (auth_identify) and checks what it can,
 *            so a request it refuses never has its body parsed;
 *   serve()  with the whole body, to answer.
 *
 * An answer can ask to be served again later, after a time (a fault
 * rule's delay) or once a completion fires (a change waiting for its
 * group commit; completion.h): http.c then suspends the connection,
 * never a worker thread, and calls serve() again with the same state.
 *
 * Everything in a front_request is borrowed for the call.
 */
#ifndef DPSIM_FRONT_H
#define DPSIM_FRONT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct completion;

/* What a front end keeps for a whole TCP connection: the security
 * context of a Negotiate sign-in, which belongs to the connection, not
 * to one request. http.c keeps one slot per connection, empty at first,
 * hands it to every request made on it (one at a time), and when the
 * connection closes calls release(value) if value is set. The front end
 * that fills it sets both. */
struct front_conn_slot {
	void *value;
	void (*release)(void *value);
};

struct front_arg {
	const char *name;
	const char *value;	/* NULL for "?name" without '=' */
};

struct front_request {
	const char *method;	/* "GET", ... */
	const char *path;	/* the part the front end routes on: after
				 * "/_dpsim" for the control API ("/health"),
				 * the whole path for the others */
	const char *scheme;	/* "http" or "https" */
	const char *peer;	/* the client's address, for log lines */
	const struct front_arg *args;	/* query arguments, decoded */
	size_t nargs;
	const char *body;	/* serve() only */
	size_t len;
	const char *content_type;	/* NULL when none */
	const char *authorization;	/* the header, NULL when none */
	/* Any other header by name (case-insensitive); NULL when absent.
	 * NULL in requests made without a transport (unit tests). */
	const char *(*header)(const struct front_request *rq, const char *name);
	void *transport;	/* http.c's, for header() */
	/* The connection's slot; NULL in requests made without a
	 * transport (unit tests) or when it could not be had. */
	struct front_conn_slot *conn;
};

/* A header of rq, or NULL (also when rq has no header lookup). */
static inline const char *front_header(const struct front_request *rq,
				       const char *name)
{
	return rq->header ? rq->header(rq, name) : NULL;
}

struct front_answer {
	int status;		/* 0 with drop: close, answer nothing */
	char *body;		/* malloc'd; the caller takes it */
	size_t len;
	const char *content_type;	/* static; NULL: no body type */
	const char *allow;	/* with 405: the methods the path takes */
	const char *challenge;	/* WWW-Authenticate value, static */
	/* A WWW-Authenticate value of this answer alone (a Negotiate
	 * token), sent before challenge; malloc'd, the caller frees it. */
	char *auth_token;
	bool close;		/* close the connection after the answer */
	bool page;		/* a page for browsers: CSP and no caching */
	bool no_store;		/* Cache-Control: no-store */
	bool drop;		/* close the connection without answering */
	bool as_is;		/* exactly as the protocol defines it (a
				 * SOAP envelope, as WinRM sends it): none
				 * of the headers added for browsers */
	uint32_t defer_ms;	/* serve() again after this many ms */
	/* Not NULL: serve() again once this fires (completion.h), the
	 * front end's work waiting on something that finishes by itself (a
	 * change waiting for its group commit). */
	struct completion *wait;
	/* What the front end made of the request, for the transport's
	 * debug line: operation, resource, user, fault ("" when nothing
	 * to add). */
	char trace[256];
};

struct front {
	const char *name;	/* "wsman", "adminservice", "control",
				 * "dashboard" */
	/* Browsers reach it (pages, JSON for pages): the Host and
	 * Content-Type rules of origin.h apply, besides the Origin rule
	 * that applies to every front end. */
	bool browser_facing;
	void *self;
	/* Whether the front end answers path. */
	bool (*owns)(void *self, const char *path);
	/* Headers only. Returns the request's state (non-NULL) to have the
	 * body read and serve() called; or NULL with the answer in *ans.
	 * NULL admit: every request's body is read and served, with self
	 * as its state (a front end that checks credentials in serve(),
	 * before it parses anything).
	 * With *drain set, the body (when it fits the limit) is read and
	 * dropped first, so the connection stays usable: a 401 the client
	 * answers with credentials on the same connection. */
	void *(*admit)(void *self, const struct front_request *rq,
		       struct front_answer *ans, bool *drain);
	/* The whole request. Fills *ans (always). */
	void (*serve)(void *self, void *state, const struct front_request *rq,
		      struct front_answer *ans);
	/* The answer to a body that grew past limit bytes; state is
	 * admit()'s, released after this call. */
	void (*too_large)(void *self, void *state, size_t limit,
			  struct front_answer *ans);
	/* The request is over; state from admit() is freed. NULL: nothing
	 * to free. */
	void (*release)(void *self, void *state);
};

#endif
