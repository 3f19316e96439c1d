/* http: the HTTP front on libmicrohttpd.
 *
 * Routes POST /wsman and /wsman/ to wsman_ops after Basic authentication
 * against the fixture's users, /_dpsim/ to the control API, / and
 * /dashboard/ to the lab dashboard, enforces the
 * body size cap before a body is read, and answers everything else with a
 * plain error. The only module that includes microhttpd.h.
 *
 * The server can start before the model is loaded: /wsman answers 503
 * and the control API says it is starting until http_server_attach().
 *
 * A request a fault rule delays is suspended (MHD_suspend_connection) and
 * resumed by a timer thread, so a delay or a timeout holds a connection,
 * never a worker thread: the control API and other calls stay responsive
 * while rules hang requests.
 */
#ifndef DPSIM_HTTP_H
#define DPSIM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control.h"
#include "dashboard.h"
#include "fixture.h"
#include "wsman_ops.h"

struct http_server;

struct http_options {
	const char *listen;		/* "HOST:PORT"; port 0 = ephemeral */
	unsigned threads;		/* worker pool size */
	size_t max_body;		/* bytes */
	unsigned max_connections;
	unsigned connection_timeout_s;
	struct control *control;	/* /_dpsim/; NULL: not served */
	struct dashboard *dashboard;	/* / and /dashboard/; NULL: not served */
};

/* Binds, listens and starts serving. fx, ops and opt->control are
 * borrowed and must outlive the server; fx and ops may be NULL and given
 * later with http_server_attach(). On failure returns -errno and writes
 * one line naming the address and the cause ("cannot listen on
 * 127.0.0.1:5985: Address already in use") into err. */
int http_server_start(const struct http_options *opt, const struct fixture *fx,
		      struct wsman_ops *ops, struct http_server **out,
		      char *err, size_t errsize);

/* Starts serving /wsman with fx and ops (borrowed; must outlive the
 * server). */
void http_server_attach(struct http_server *s, const struct fixture *fx,
			struct wsman_ops *ops);

/* Whether every address HOST:PORT resolves to is a loopback address
 * (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104). False when it does not
 * resolve. */
bool http_listen_is_loopback(const char *listen);

/* The address actually bound, as a URL base "http://127.0.0.1:40123". */
const char *http_server_url(const struct http_server *s);
uint16_t http_server_port(const struct http_server *s);

/* Stops accepting, ends the waits of delayed requests (they are answered
 * at once), lets requests being handled finish, frees. */
void http_server_stop(struct http_server *s);

#endif
