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
#include <sys/socket.h>
#include <unistd.h>

#include "auth.h"
#include "buf.h"
#include "config.h"
#include "log.h"

#define SOAP_CONTENT_TYPE "application/soap+xml;charset=UTF-8"
/* MHD clears its per-connection pool on every request; at the default
 * 32 KiB that memset dominated a small request (DESIGN.md). */
#define CONNECTION_MEMORY 8192

struct http_server {
	struct MHD_Daemon *mhd;
	int fd;
	uint16_t port;
	char url[300];
	struct http_options opt;
	const struct fixture *fx;
	struct wsman_ops *ops;
};

/* Per-request state, from the first callback to the completion notice. */
struct http_request {
	struct buf body;
	bool answered;		/* a response was queued before the body ended */
};

static enum MHD_Result send_buffer(struct MHD_Connection *conn, unsigned status,
				   const char *content_type, char *data, size_t len)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, data,
								 MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(data);
		return MHD_NO;
	}
	if (content_type)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	MHD_add_response_header(r, MHD_HTTP_HEADER_SERVER, "dpsim");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status,
				 const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static enum MHD_Result send_text(struct MHD_Connection *conn, unsigned status,
				 const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MHD_NO;
	return send_buffer(conn, status, "text/plain; charset=utf-8", text, (size_t)n);
}

static enum MHD_Result send_unauthorized(struct MHD_Connection *conn)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(0, NULL,
								 MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"WSMAN\"");
	MHD_add_response_header(r, MHD_HTTP_HEADER_SERVER, "dpsim");
	enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_UNAUTHORIZED, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_envelope(struct MHD_Connection *conn, unsigned status,
				     struct buf *b)
{
	size_t len;
	char *data = buf_take(b, &len);
	if (!data)
		return MHD_NO;
	return send_buffer(conn, status, SOAP_CONTENT_TYPE, data, len);
}

/* A WS-Man fault decided at the HTTP level (size, charset). */
static enum MHD_Result send_wsman_fault(struct http_server *s, struct MHD_Connection *conn,
					enum wsman_subcode sub, uint32_t code,
					const char *detail, const char *reason)
{
	struct buf b;
	buf_init(&b, 0);
	int status = wsman_ops_fault(s->ops, sub, code, detail, reason, &b);
	enum MHD_Result r = send_envelope(conn, (unsigned)status, &b);
	buf_free(&b);
	return r;
}

static bool is_wsman_path(const char *url)
{
	return strcasecmp(url, "/wsman") == 0 || strcasecmp(url, "/wsman/") == 0;
}

/* Content-Type rules of wsman-protocol.md §1: SOAP or text/xml, charset
 * UTF-8 (any case) or UTF-16. Returns 0 when fine, 415 for a wrong media
 * type, or -1 for an unreadable charset. */
static int check_content_type(const char *ct)
{
	if (!ct)
		return 415;
	if (strncasecmp(ct, "application/soap+xml", 20) && strncasecmp(ct, "text/xml", 8))
		return 415;
	const char *cs = strcasestr(ct, "charset=");
	if (!cs)
		return 0;
	cs += 8;
	if (*cs == '"')
		cs++;
	if (!strncasecmp(cs, "utf-8", 5) || !strncasecmp(cs, "utf8", 4) ||
	    !strncasecmp(cs, "utf-16", 6))
		return 0;
	return -1;
}

/* First callback of a request: route, check headers, refuse an oversized
 * body before reading it. */
static enum MHD_Result begin_request(struct http_server *s, struct MHD_Connection *conn,
				     const char *url, const char *method, void **con_cls)
{
	if (!is_wsman_path(url))
		return send_text(conn, MHD_HTTP_NOT_FOUND,
				 "dpsim: no resource at %s; WS-Management is served at /wsman\n", url);
	if (strcmp(method, MHD_HTTP_METHOD_POST) != 0) {
		char *t = strdup("dpsim: /wsman takes POST with a SOAP envelope\n");
		if (!t)
			return MHD_NO;
		struct MHD_Response *r = MHD_create_response_from_buffer(strlen(t), t,
									 MHD_RESPMEM_MUST_FREE);
		if (!r)
			return MHD_NO;
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST");
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
		enum MHD_Result ret = MHD_queue_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, r);
		MHD_destroy_response(r);
		return ret;
	}
	const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_TYPE);
	int ctr = check_content_type(ct);
	if (ctr == 415)
		return send_text(conn, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE,
				 "dpsim: Content-Type '%s' is not application/soap+xml\n",
				 ct ? ct : "(none)");
	if (ctr < 0)
		return send_wsman_fault(s, conn, WSMAN_SUB_ENCODING_LIMIT, WSMAN_CODE_ENCODING_LIMIT,
					NULL, "Only UTF-8 and UTF-16 request bodies are supported.");

	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > s->opt.max_body) {
		char reason[160];
		snprintf(reason, sizeof(reason), "The request body of %s bytes exceeds the "
			 "limit of %zu bytes.", cl, s->opt.max_body);
		return send_wsman_fault(s, conn, WSMAN_SUB_ENCODING_LIMIT, WSMAN_CODE_ENCODING_LIMIT,
					WSMAN_DETAIL_MAX_ENVELOPE_SIZE, reason);
	}

	struct http_request *req = calloc(1, sizeof(*req));
	if (!req)
		return MHD_NO;
	buf_init(&req->body, s->opt.max_body);
	*con_cls = req;
	return MHD_YES;
}

static enum MHD_Result finish_request(struct http_server *s, struct MHD_Connection *conn,
				      struct http_request *req)
{
	const char *authz = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							MHD_HTTP_HEADER_AUTHORIZATION);
	struct caller who = { .protocol = "wsman" };
	const struct fixture_user *u = NULL;
	if (authz) {
		u = auth_basic(s->fx, authz);
		if (!u)
			return send_unauthorized(conn);
		who.user = u->name;
		who.role = u->role;
	}

	struct buf out;
	buf_init(&out, 0);
	int status = wsman_ops_handle(s->ops, u ? &who : NULL, buf_ptr(&req->body),
				      buf_len(&req->body), &out);
	enum MHD_Result r = status == 401 ? send_unauthorized(conn)
					  : send_envelope(conn, (unsigned)status, &out);
	buf_free(&out);
	return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct http_server *s = cls;
	struct http_request *req = *con_cls;

	if (!req)
		return begin_request(s, conn, url, method, con_cls);
	if (req->answered) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (buf_add(&req->body, upload_data, *upload_data_size)) {
			/* A body without Content-Length that grows past the cap:
			 * answer now and let MHD close the connection. */
			char reason[160];
			snprintf(reason, sizeof(reason), "The request body exceeds the limit "
				 "of %zu bytes.", s->opt.max_body);
			req->answered = true;
			*upload_data_size = 0;
			return send_wsman_fault(s, conn, WSMAN_SUB_ENCODING_LIMIT,
						WSMAN_CODE_ENCODING_LIMIT,
						WSMAN_DETAIL_MAX_ENVELOPE_SIZE, reason);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	return finish_request(s, conn, req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct http_request *req = *con_cls;
	if (!req)
		return;
	buf_free(&req->body);
	free(req);
	*con_cls = NULL;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof(msg), fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
		msg[--n] = '\0';
	log_debug("libmicrohttpd: %s", msg);
}

/* Binding ourselves gives a precise error for "port in use" and lets port 0
 * be read back before MHD starts. */
static int open_listener(struct http_server *s, char *err, size_t errsize)
{
	char host[256];
	uint16_t port;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV },
		*ai = NULL;
	char portstr[8];

	if (config_split_hostport(s->opt.listen, host, sizeof(host), &port)) {
		snprintf(err, errsize, "--listen '%s' is not ADDR:PORT", s->opt.listen);
		return -EINVAL;
	}
	snprintf(portstr, sizeof(portstr), "%u", port);
	int gr = getaddrinfo(host, portstr, &hints, &ai);
	if (gr) {
		snprintf(err, errsize, "cannot listen on %s: %s", s->opt.listen, gai_strerror(gr));
		return -EINVAL;
	}
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int one = 1, e = 0;
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 128)) {
		e = errno;
		snprintf(err, errsize, "cannot listen on %s: %s", s->opt.listen, strerror(e));
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
		s->port = ntohs(a6->sin6_port);
		snprintf(s->url, sizeof(s->url), "http://[%s]:%u", ip, s->port);
	} else {
		struct sockaddr_in *a4 = (struct sockaddr_in *)&ss;
		inet_ntop(AF_INET, &a4->sin_addr, ip, sizeof(ip));
		s->port = ntohs(a4->sin_port);
		snprintf(s->url, sizeof(s->url), "http://%s:%u", ip, s->port);
	}
	freeaddrinfo(ai);
	s->fd = fd;
	return 0;
}

int http_server_start(const struct http_options *opt, const struct fixture *fx,
		      struct wsman_ops *ops, struct http_server **out,
		      char *err, size_t errsize)
{
	struct http_server *s = calloc(1, sizeof(*s));
	*out = NULL;
	if (!s) {
		snprintf(err, errsize, "out of memory");
		return -ENOMEM;
	}
	s->opt = *opt;
	s->fx = fx;
	s->ops = ops;
	s->fd = -1;
	int r = open_listener(s, err, errsize);
	if (r) {
		free(s);
		return r;
	}

	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG;
	s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
		MHD_OPTION_LISTEN_SOCKET, s->fd,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)opt->threads,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
		MHD_OPTION_CONNECTION_LIMIT, opt->max_connections,
		MHD_OPTION_CONNECTION_TIMEOUT, opt->connection_timeout_s,
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
		MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, s,
		MHD_OPTION_END);
	if (!s->mhd) {
		snprintf(err, errsize, "cannot start the HTTP server on %s", opt->listen);
		close(s->fd);
		free(s);
		return -EIO;
	}
	*out = s;
	return 0;
}

const char *http_server_url(const struct http_server *s)
{
	return s->url;
}

uint16_t http_server_port(const struct http_server *s)
{
	return s->port;
}

void http_server_stop(struct http_server *s)
{
	if (!s)
		return;
	/* MHD_stop_daemon joins the workers, so a request being handled
	 * finishes (and its change is committed) before we return. */
	MHD_stop_daemon(s->mhd);	/* also closes the listening socket */
	free(s);
}
