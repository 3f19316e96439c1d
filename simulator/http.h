/* http: the HTTP and HTTPS front on libmicrohttpd.
 *
 * Up to two listeners, plain HTTP and HTTPS (GnuTLS inside MHD), each its
 * own MHD daemon on its own socket, serve the very same routes with the
 * same handlers, limits and server state. Routes POST /wsman and /wsman/ to wsman_ops after Basic authentication
 * against the fixture's users, /_dpsim/ to the control API, / and
 * /dashboard/ to the lab dashboard, enforces the
 * body size cap before a body is read, and answers everything else with a
 * plain error. The only module that includes microhttpd.h.
 *
 * Every connection is tracked by a conn_guard (per-client limit, read
 * deadline, idle reclaim), and the browser-reachable routes follow the
 * cross-site rules of origin.h. A WS-Man request is authenticated from
 * its headers before its body is read.
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
struct tls_material;

struct http_options {
	const char *listen;		/* "HOST:PORT"; port 0 = ephemeral;
					 * NULL = no plain HTTP */
	const char *tls_listen;		/* HTTPS "HOST:PORT", used with tls */
	const struct tls_material *tls;	/* NULL = no HTTPS; borrowed only
					 * during http_server_start(), which
					 * hands the PEM text to GnuTLS */
	unsigned threads;		/* worker pool size */
	size_t max_body;		/* bytes */
	unsigned max_connections;	/* in all, on each listener */
	unsigned max_client_connections;	/* from one address */
	unsigned connection_timeout_s;	/* idle between requests */
	unsigned read_timeout_s;	/* to read one whole request */
	const char *const *allow_hosts;	/* Host names served on a loopback
					 * listener besides loopback ones */
	size_t nallow_hosts;
	struct control *control;	/* /_dpsim/; NULL: not served */
	struct dashboard *dashboard;	/* / and /dashboard/; NULL: not served */
};

/* Binds, listens and starts serving, on opt->listen and, with opt->tls,
 * on opt->tls_listen (at least one of them). fx, ops and opt->control
 * are borrowed and must outlive the server; fx and ops may be NULL and
 * given later with http_server_attach(). Both sockets are bound before
 * either serves. On failure returns -errno and writes one line naming
 * the address and the cause ("cannot listen on 127.0.0.1:5985: Address
 * already in use", "cannot listen for HTTPS on ...") into err. */
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

/* The addresses actually bound, as URL bases "http://127.0.0.1:40123"
 * and "https://127.0.0.1:40124"; "" (port 0) for a listener not served. */
const char *http_server_url(const struct http_server *s);
uint16_t http_server_port(const struct http_server *s);
const char *http_server_tls_url(const struct http_server *s);
uint16_t http_server_tls_port(const struct http_server *s);

/* Stops accepting on both listeners, closes idle connections, ends the
 * waits of delayed requests (they are answered at once), answers every
 * request already under way (with "Connection: close"), then frees. */
void http_server_stop(struct http_server *s);

#endif
