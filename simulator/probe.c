#include "probe.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "config.h"
#include "num.h"

/* A hand-written HTTP/1.0 GET rather than libcurl: the probe is one
 * request to a loopback port, and linking libcurl into the daemon would
 * add its dozen shared libraries to every dpsim start-up and to the
 * container image, for a mode used only by health checks. HTTP/1.0 asks
 * for a body that is neither chunked nor kept alive: the answer ends at
 * the connection's end. */

/* The largest answer read: /_dpsim/health is a few hundred bytes. */
#define PROBE_MAX_ANSWER 65536

int probe_url(const char *target, const char *listen, char *url,
	      size_t urlsize, char *why, size_t whysize)
{
	if (strncmp(target, "http://", 7) == 0) {
		snprintf(url, urlsize, "%s", target);
		return 0;
	}
	if (strncmp(target, "https://", 8) == 0) {
		snprintf(why, whysize, "%s: --probe speaks plain HTTP only; "
			 "probe the --listen address", target);
		return -EINVAL;
	}
	if (target[0] != '/') {
		snprintf(why, whysize, "%s is neither an http:// URL nor a path "
			 "starting with /", target);
		return -EINVAL;
	}
	if (!listen) {
		snprintf(why, whysize, "%s: with --listen none there is no plain "
			 "HTTP address to probe", target);
		return -EINVAL;
	}
	char host[256];
	uint16_t port;
	if (config_split_hostport(listen, host, sizeof(host), &port)) {
		snprintf(why, whysize, "%s: --listen '%s' is not ADDR:PORT",
			 target, listen);
		return -EINVAL;
	}
	if (port == 0) {
		snprintf(why, whysize, "%s: --listen %s picks a free port, so "
			 "the probe cannot know it; give the whole URL", target,
			 listen);
		return -EINVAL;
	}
	bool v6 = strchr(host, ':') != NULL;
	const char *h = strcmp(host, "0.0.0.0") == 0 ? "127.0.0.1" :
			strcmp(host, "::") == 0 ? "::1" : host;
	snprintf(url, urlsize, "http://%s%s%s:%u%s", v6 ? "[" : "", h,
		 v6 ? "]" : "", (unsigned)port, target);
	return 0;
}

/* Splits "http://HOST[:PORT]/PATH" into its parts; the Host header is
 * the authority as written. */
static int split_url(const char *url, char *host, size_t hostsize,
		     char *port, size_t portsize, char *authority,
		     size_t authsize, const char **path)
{
	const char *a = url + 7, *slash = strchr(a, '/');
	size_t alen = slash ? (size_t)(slash - a) : strlen(a);
	const char *hs = a, *he, *ps = NULL;

	*path = slash ? slash : "/";
	if (alen == 0 || alen >= authsize)
		return -EINVAL;
	memcpy(authority, a, alen);
	authority[alen] = '\0';
	if (*a == '[') {
		const char *close = memchr(a, ']', alen);
		if (!close)
			return -EINVAL;
		hs = a + 1;
		he = close;
		if (close + 1 < a + alen) {
			if (close[1] != ':')
				return -EINVAL;
			ps = close + 2;
		}
	} else {
		const char *colon = memchr(a, ':', alen);
		he = colon ? colon : a + alen;
		ps = colon ? colon + 1 : NULL;
	}
	size_t hl = (size_t)(he - hs), pl = ps ? (size_t)(a + alen - ps) : 0;
	if (hl == 0 || hl >= hostsize || (ps && (pl == 0 || pl >= portsize)))
		return -EINVAL;
	memcpy(host, hs, hl);
	host[hl] = '\0';
	if (ps) {
		memcpy(port, ps, pl);
		port[pl] = '\0';
		uint64_t p;
		if (num_parse_dec(port, 65535, &p) || p == 0)
			return -EINVAL;
	} else {
		snprintf(port, portsize, "80");
	}
	return 0;
}

static long ms_left(const struct timespec *deadline)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	long ms = (long)(deadline->tv_sec - now.tv_sec) * 1000 +
		  (deadline->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? ms : 0;
}

/* Waits for events on fd until the deadline: 0, or -ETIMEDOUT. */
static int wait_fd(int fd, short events, const struct timespec *deadline)
{
	struct pollfd p = { .fd = fd, .events = events };

	for (;;) {
		int r = poll(&p, 1, (int)ms_left(deadline));
		if (r > 0)
			return 0;
		if (r == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

/* A connected non-blocking socket to host:port, or -1 with why. */
static int connect_to(const char *host, const char *port,
		      const struct timespec *deadline, char *why, size_t whysize)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV }, *res = NULL;
	int r = getaddrinfo(host, port, &hints, &res), fd = -1, e = 0;

	if (r) {
		snprintf(why, whysize, "cannot resolve %s: %s", host,
			 gai_strerror(r));
		return -1;
	}
	for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK |
			    SOCK_CLOEXEC, ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		if (e == EINPROGRESS) {
			socklen_t len = sizeof(e);
			int w = wait_fd(fd, POLLOUT, deadline);
			if (w == 0 && getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len) == 0 &&
			    e == 0)
				break;
			if (w)
				e = -w;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		snprintf(why, whysize, "cannot connect to %s port %s: %s", host,
			 port, e == ETIMEDOUT ? "timed out" : strerror(e));
	return fd;
}

/* The answer's status code and the body's "status" member into why; 0 when
 * ready. */
static int judge(const char *ans, size_t len, char *why, size_t whysize)
{
	unsigned code = 0;
	char line[64];
	const char *eol = memchr(ans, '\n', len);
	size_t ll = eol ? (size_t)(eol - ans) : len;

	snprintf(line, sizeof(line), "%.*s", (int)(ll < 63 ? ll : 63), ans);
	if (sscanf(line, "HTTP/1.%*[01] %3u", &code) != 1 || code < 100) {
		snprintf(why, whysize, "the answer is not HTTP (it starts '%.40s')",
			 line);
		return -1;
	}
	const char *body = NULL;
	for (size_t i = 0; i + 3 < len; i++)
		if (memcmp(ans + i, "\r\n\r\n", 4) == 0) {
			body = ans + i + 4;
			break;
		}
	json_t *j = body ? json_loadb(body, len - (size_t)(body - ans), 0, NULL) : NULL;
	const char *status = json_string_value(json_object_get(j, "status"));
	int r = -1;
	if (code >= 200 && code < 300 && status && strcmp(status, "ready") == 0)
		r = 0;
	else if (status)
		snprintf(why, whysize, "HTTP %u, status %s", code, status);
	else
		snprintf(why, whysize, "HTTP %u, and the body is not a JSON "
			 "object with a status (is this dpsim's /_dpsim/health?)",
			 code);
	json_decref(j);
	return r;
}

int probe_get(const char *url, unsigned timeout_ms, char *why, size_t whysize)
{
	char host[256], port[8], authority[300], req[2048];
	const char *path;
	struct timespec deadline;

	if (strncmp(url, "http://", 7) != 0 ||
	    split_url(url, host, sizeof(host), port, sizeof(port), authority,
		      sizeof(authority), &path)) {
		snprintf(why, whysize, "%s is not an http://HOST[:PORT]/PATH URL", url);
		return -1;
	}
	int n = snprintf(req, sizeof(req), "GET %s HTTP/1.0\r\nHost: %s\r\n"
			 "Accept: application/json\r\nUser-Agent: dpsim-probe\r\n\r\n",
			 path, authority);
	if (n < 0 || (size_t)n >= sizeof(req) || strpbrk(path, " \r\n")) {
		snprintf(why, whysize, "%s: the path is too long or holds spaces", url);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000;
	if (deadline.tv_nsec >= 1000000000) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000;
	}
	int fd = connect_to(host, port, &deadline, why, whysize);
	if (fd < 0)
		return -1;

	static char ans[PROBE_MAX_ANSWER];
	size_t sent = 0, got = 0;
	int r = -1, w = 0;
	while (sent < (size_t)n) {
		ssize_t k = send(fd, req + sent, (size_t)n - sent, MSG_NOSIGNAL);
		if (k > 0) {
			sent += (size_t)k;
		} else if (k < 0 && (errno == EAGAIN || errno == EINTR)) {
			if ((w = wait_fd(fd, POLLOUT, &deadline)))
				goto io_error;
		} else {
			w = -errno;
			goto io_error;
		}
	}
	for (;;) {
		ssize_t k = recv(fd, ans + got, sizeof(ans) - 1 - got, 0);
		if (k > 0) {
			got += (size_t)k;
			if (got == sizeof(ans) - 1)
				break;	/* judged on what fits */
		} else if (k == 0) {
			break;
		} else if (errno == EAGAIN || errno == EINTR) {
			if ((w = wait_fd(fd, POLLIN, &deadline)))
				goto io_error;
		} else {
			w = -errno;
			goto io_error;
		}
	}
	close(fd);
	if (got == 0) {
		snprintf(why, whysize, "the connection closed without an answer");
		return -1;
	}
	return judge(ans, got, why, whysize);

io_error:
	snprintf(why, whysize, "no whole answer within %u ms: %s", timeout_ms,
		 w == -ETIMEDOUT ? "timed out" : strerror(-w));
	close(fd);
	return r;
}
