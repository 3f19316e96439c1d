/* http: the HTTP front on libmicrohttpd.
 *
 * Routes POST /wsman and /wsman/ to wsman_ops after Basic authentication
 * against the fixture's users, enforces the body size cap before a body is
 * read, and answers everything else with a plain error. The only module
 * that includes microhttpd.h.
 */
#ifndef DPSIM_HTTP_H
#define DPSIM_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "fixture.h"
#include "wsman_ops.h"

struct http_server;

struct http_options {
	const char *listen;		/* "HOST:PORT"; port 0 = ephemeral */
	unsigned threads;		/* worker pool size */
	size_t max_body;		/* bytes */
	unsigned max_connections;
	unsigned connection_timeout_s;
};

/* Binds, listens and starts serving. fx and ops are borrowed and must
 * outlive the server. On failure returns -errno and writes one line naming
 * the address and the cause ("cannot listen on 127.0.0.1:5985: Address
 * already in use") into err. */
int http_server_start(const struct http_options *opt, const struct fixture *fx,
		      struct wsman_ops *ops, struct http_server **out,
		      char *err, size_t errsize);

/* The address actually bound, as a URL base "http://127.0.0.1:40123". */
const char *http_server_url(const struct http_server *s);
uint16_t http_server_port(const struct http_server *s);

/* Stops accepting, lets requests being handled finish, frees. */
void http_server_stop(struct http_server *s);

#endif
