/* wsman_ops: WS-Management operations on top of the provider.
 *
 * Takes a request body, parses it with the codec, runs Identify, Get,
 * Enumerate (class, WQL, SelectorFilter), Pull, Release or a static method
 * Invoke against the provider, and writes the response envelope. Owns the
 * open enumeration contexts. Thread-safe.
 */
#ifndef DPSIM_WSMAN_OPS_H
#define DPSIM_WSMAN_OPS_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "buf.h"
#include "provider.h"

struct wsman_ops;

struct wsman_ops_limits {
	unsigned max_contexts;		/* open enumerations kept */
	unsigned context_idle_s;	/* an unused context expires after */
	unsigned max_envelope;		/* used when a request names none */
};

/* p is borrowed and must outlive the ops. NULL on allocation failure. */
struct wsman_ops *wsman_ops_new(struct provider *p,
				const struct wsman_ops_limits *limits);
void wsman_ops_free(struct wsman_ops *o);

/* Handles one POST body. who is NULL when the request carried no
 * credentials: only Identify is answered then. Writes the response into
 * out and returns the HTTP status: 200, 500 (SOAP fault in out) or 401
 * (credentials needed; out is empty). */
int wsman_ops_handle(struct wsman_ops *o, const struct caller *who,
		     const char *body, size_t len, struct buf *out);

/* Writes a fault decided outside the envelope (body too large, charset)
 * as a whole response; returns its HTTP status (500). Strings borrowed. */
int wsman_ops_fault(struct wsman_ops *o, enum wsman_subcode sub, uint32_t code,
		    const char *detail, const char *reason, struct buf *out);

/* Number of open enumeration contexts (for tests and health output). */
size_t wsman_ops_open_contexts(struct wsman_ops *o);

#endif
