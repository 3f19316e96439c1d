/* http: the HTTP and HTTPS transport, on libmicrohttpd.
 *
 * Up to two listeners, plain HTTP and HTTPS (GnuTLS inside MHD), each its
 * own MHD daemon on its own socket, serve the same front ends (front.h)
 * with the same limits and state. http.c knows no protocol: it routes a
 * request by its path to the front end that owns it, asks that front end
 * about the request's headers before reading any body (so authentication
 * comes before parsing), enforces the body size cap, and queues the
 * answers the front ends make. The only module that includes
 * microhttpd.h.
 *
 * Every connection is tracked by a conn_guard (per-client limit, read
 * deadline, idle reclaim), and every request follows the cross-site
 * rules of origin.h (the Host and Content-Type rules only for front ends
 * browsers use).
 *
 * An answer a fault rule delays is not held on a worker thread: the
 * connection is suspended (MHD_suspend_connection) and resumed by a
 * timer thread, then the front end is asked again.
 */
#ifndef DPSIM_HTTP_H
#define DPSIM_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "front.h"

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
	/* The front ends, asked in this order which one owns a path;
	 * borrowed, and must outlive the server. */
	const struct front *const *fronts;
	size_t nfronts;
};

/* Binds, listens and starts serving, on opt->listen and, with opt->tls,
 * on opt->tls_listen (at least one of them). Both sockets are bound
 * before either serves. On failure returns -errno and writes one line
 * naming the address and the cause ("cannot listen on 127.0.0.1:5985:
 * Address already in use", "cannot listen for HTTPS on ...") into err. */
int http_server_start(const struct http_options *opt, struct http_server **out,
		      char *err, size_t errsize);

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
