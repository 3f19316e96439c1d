/* origin: the checks that keep web pages of other origins away from
 * dpsim's browser-reachable routes.
 *
 * A page a user visits can make their browser send requests to dpsim on
 * loopback. Three rules stop it, each closing one way in:
 *  - an Origin header that is not dpsim's own origin is refused (a
 *    cross-origin fetch, a form post from a modern browser);
 *  - a POST or PUT must carry a Content-Type a browser cannot send
 *    cross-origin without a CORS preflight, which dpsim never grants
 *    (a form post or no-cors fetch sends text/plain, form-urlencoded
 *    or multipart);
 *  - on a loopback listener the Host header must name this machine's
 *    loopback (or a name the user allowed): a DNS-rebinding page reaches
 *    127.0.0.1 under its own name, so its Host header gives it away.
 * Pure string checks: the HTTP layer applies them and answers.
 */
#ifndef DPSIM_ORIGIN_H
#define DPSIM_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>

/* Whether a Host header value ("name", "name:port", "[v6]:port") names
 * a loopback address (127.0.0.0/8, ::1), localhost or a name ending in
 * .localhost, or one of the nallowed names in allowed (compared without
 * case; a port is ignored). An absent or empty host is not allowed. */
bool origin_host_allowed(const char *host, const char *const *allowed,
			 size_t nallowed);

/* Whether an Origin header value is the origin of a request that came
 * to scheme ("http" or "https") with that Host header: same scheme, host
 * and port (a missing port is the scheme's default). "null" never is. */
bool origin_is_same(const char *origin, const char *scheme, const char *host);

/* Whether a Content-Type (NULL: none) is one a browser sends across
 * origins without asking first: none, text/plain,
 * application/x-www-form-urlencoded or multipart/form-data. */
bool origin_simple_content_type(const char *content_type);

#endif
