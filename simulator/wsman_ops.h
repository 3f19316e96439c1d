/* wsman_ops: WS-Management operations on top of the provider.
 *
 * Takes a request body, parses it with the codec, runs Identify, Get,
 * Enumerate (class, WQL, SelectorFilter), Pull, Release or a static method
 * Invoke against the provider, and writes the response envelope. Owns the
 * open enumeration contexts. Thread-safe.
 *
 * What the fault rules decide reaches the wire here: a WMI fault or a
 * ReturnValue goes into the envelope as the provider's own results do,
 * a timeout becomes w:TimedOut, and a bare HTTP status, a drop or a delay
 * is handed to the HTTP front in struct wsman_ops_answer.
 */
#ifndef DPSIM_WSMAN_OPS_H
#define DPSIM_WSMAN_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "buf.h"
#include "fault.h"
#include "front.h"
#include "provider.h"

struct wsman_ops;

/* Open enumerations are capped per user and in total, so that one user
 * opening contexts without end costs only that user's:
 *   - a user at max_contexts_per_user loses their own least recently
 *     used context, never another user's;
 *   - when the total is at max_contexts, the user holding the most
 *     contexts (ties: the one whose oldest is oldest) loses their least
 *     recently used one, so a light user's context survives a heavy one.
 * Evictions are logged at most once per user per minute, with how many
 * of that user's contexts went since the last line. */
struct wsman_ops_limits {
	unsigned max_contexts;		/* open enumerations kept in total */
	unsigned max_contexts_per_user;	/* of them, by one user */
	unsigned context_idle_s;	/* an unused context expires after */
	unsigned max_envelope;		/* used when a request names none */
};

/* NULL on allocation failure. /wsman answers 503 until
 * wsman_ops_set_ready(). */
struct wsman_ops *wsman_ops_new(const struct wsman_ops_limits *limits);
void wsman_ops_free(struct wsman_ops *o);

/* The model is loaded: serve it. fx (the users) and p are borrowed and
 * must outlive the ops. */
void wsman_ops_set_ready(struct wsman_ops *o, const struct fixture *fx,
			 struct provider *p);

struct negotiate;

/* Negotiate sign-in (NTLM, raw or in SPNEGO) beside Basic: neg is
 * borrowed and must outlive o; NULL turns it off. Over HTTP a Negotiate
 * session's bodies must be sealed (MS-WSMV 2.2.9.1), as WinRM's
 * AllowUnencrypted=false wants, unless allow_unencrypted. Call it once,
 * from any thread: before serving, or after wsman_ops_negotiate_pending
 * while serving, when the requests that need to know wait for it (the
 * acceptor takes several ms to make; main.c makes it beside start-up). */
void wsman_ops_negotiate_pending(struct wsman_ops *o);
void wsman_ops_set_negotiate(struct wsman_ops *o, struct negotiate *neg,
			     bool allow_unencrypted);

/* WS-Management as a front end of the HTTP transport (front.h): owns
 * /wsman. Before a body is read it answers 503 until ready, 405 for
 * anything but POST, 401 (Basic realm="WSMAN", no body; the body is
 * read and dropped so the connection stays usable) unless the request
 * carries a fixture user's credentials or is WinRM's anonymous Identify,
 * 415 for a media type other than SOAP or text/xml, and the
 * w:EncodingLimit fault for a charset other than UTF-8 or UTF-16.
 * Valid while o lives. */
const struct front *wsman_ops_front(struct wsman_ops *o);

/* What to do with a request once wsman_ops_serve() returns. */
struct wsman_ops_answer {
	int status;		/* HTTP status of out */
	const char *content_type; /* of out: SOAP, or text/plain for a
				 * bare status a fault rule injected; NULL
				 * with 401 (out empty) */
	bool drop;		/* a fault rule said: close the connection
				 * without answering */
	uint32_t defer_ms;	/* > 0: nothing to answer yet; call again
				 * with the same body and call state after
				 * this many ms (a fault rule's delay) */
	struct completion *wait; /* not NULL: nothing to answer yet; call
				 * again so once this fires (a change
				 * waiting for its commit) */
	const char *fault;	/* the fault's subcode ("w:AccessDenied"),
				 * NULL when the answer is no fault */
	/* "Invoke SMS_DistributionPointInfo.SetDPMaintenanceMode as lab,
	 * fault w:AccessDenied": the request as a log line sees it. */
	char trace[256];
};

/* Handles one POST body. who is NULL when the request carried no
 * credentials: only Identify is answered then. Writes the response into
 * out and fills *ans: 200, 500 (SOAP fault in out), 401 (credentials
 * needed; out is empty), a status a fault rule injected, a drop, or a
 * deferral.
 *
 * call is the request's provider call state: zeroed once per request and
 * kept while it is deferred (the rules decide once, the wait happens
 * outside, the second call carries the decision out). With call NULL
 * nothing is deferred: a rule's delay is slept through here. Returns
 * ans->status. */
int wsman_ops_serve(struct wsman_ops *o, const struct caller *who,
		    const char *body, size_t len, struct buf *out,
		    struct provider_call *call, struct wsman_ops_answer *ans);

/* wsman_ops_serve without deferral: the HTTP status, 0 for a drop. */
int wsman_ops_handle(struct wsman_ops *o, const struct caller *who,
		     const char *body, size_t len, struct buf *out);

/* Writes a fault decided outside the envelope (body too large, charset)
 * as a whole response; returns its HTTP status (500). Strings borrowed. */
int wsman_ops_fault(struct wsman_ops *o, enum wsman_subcode sub, uint32_t code,
		    const char *detail, const char *reason, struct buf *out);

/* Number of open enumeration contexts (for tests and health output). */
size_t wsman_ops_open_contexts(struct wsman_ops *o);

#endif
