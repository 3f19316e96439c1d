/* conn_guard: keeps one client from starving the others.
 *
 * The HTTP layer tells the guard about every connection it accepts and
 * every step of each request on it; the guard knows nothing of HTTP
 * itself. It enforces what libmicrohttpd's idle timeout cannot:
 *
 *  - a per-client-address connection limit (a CI run's parallel
 *    workers all come from one loopback address, so the default is
 *    generous; an attacker's thousand sockets still leave room for
 *    everyone else);
 *  - a read deadline: a request (its request line, headers and body)
 *    must arrive within read_timeout_s of the connection opening, or of
 *    its request line on a kept-alive connection, however slowly the
 *    bytes trickle in;
 *  - an absolute idle limit: a kept-alive connection that has not
 *    started its next request within idle_timeout_s of its last answer
 *    is closed even if it sends a byte now and then;
 *  - when the connections in use near max_total, the longest-idle
 *    kept-alive connection is closed to make room.
 *
 * A connection is ended with shutdown(2) on its socket, which makes
 * libmicrohttpd see end of file and close it the normal way (its close
 * notice, conn_guard_close(), always comes before the descriptor is
 * closed, so the guard never touches a reused descriptor). A watchdog
 * thread checks the deadlines four times a second.
 *
 * Thread-safe: every call may come from any libmicrohttpd worker.
 */
#ifndef DPSIM_CONN_GUARD_H
#define DPSIM_CONN_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct conn_guard;
struct conn_guard_entry;

struct conn_guard_limits {
	unsigned max_total;		/* connections in all; idle ones are
					 * reclaimed when 7/8 are in use */
	unsigned max_per_client;	/* connections from one address */
	unsigned read_timeout_s;	/* whole request, see above */
	unsigned idle_timeout_s;	/* between requests, absolute */
};

/* A new guard with its watchdog running; NULL when out of memory or
 * the thread cannot start. Free with conn_guard_free(). */
struct conn_guard *conn_guard_new(const struct conn_guard_limits *lim);
/* Stops the watchdog and frees; every connection must have been closed
 * (conn_guard_close) before. NULL is fine. */
void conn_guard_free(struct conn_guard *g);

enum conn_guard_verdict {
	CONN_GUARD_ADMIT,
	CONN_GUARD_CLIENT_LIMIT,	/* that address holds max_per_client */
	CONN_GUARD_DRAINING,		/* shutting down */
	CONN_GUARD_NOMEM,		/* not tracked: socket already shut */
};

/* A connection was accepted on fd from peer (an IPv4 or IPv6 address;
 * NULL counts as one unknown client). Tracks it (*out, to pass
 * to the calls below and to conn_guard_close) and says whether to serve
 * it. A refusal is logged here; the caller then ends the connection
 * with conn_guard_refuse(). Out of memory, *out is NULL and the socket
 * is already shut down. */
enum conn_guard_verdict conn_guard_open(struct conn_guard *g, int fd,
					const struct sockaddr *peer,
					struct conn_guard_entry **out);
/* Writes why (len bytes, may be NULL) to the socket of e, best effort,
 * and shuts it down. */
void conn_guard_refuse(struct conn_guard *g, struct conn_guard_entry *e,
		       const void *why, size_t len);
/* One line saying why verdict refused a connection, for its client. */
const char *conn_guard_verdict_text(enum conn_guard_verdict v);

/* A request line arrived on e: the read deadline runs. */
bool conn_guard_reading(struct conn_guard *g, struct conn_guard_entry *e);
/* The whole request was read and is about to be answered (perhaps held
 * by a fault rule's delay): no deadline, and the guard never ends it.
 *
 * Both return false when the guard has already ended the connection:
 * libmicrohttpd may have read the request before it saw the end of
 * file, and a request served then could commit a change whose answer
 * can no longer be sent. The caller must drop such a request unserved.
 * Deciding under the guard's lock makes "ended" and "being answered"
 * exclusive. */
bool conn_guard_handling(struct conn_guard *g, struct conn_guard_entry *e);
/* The answer was sent and the connection is kept alive. While draining
 * the connection is closed instead. */
void conn_guard_idle(struct conn_guard *g, struct conn_guard_entry *e);
/* The connection is closing; e is freed. NULL is fine. */
void conn_guard_close(struct conn_guard *g, struct conn_guard_entry *e);

/* Shutdown: refuses new connections, closes those with no request under
 * way, and waits up to ms until every other connection has been
 * answered and closed. False when some were still open at the end. */
bool conn_guard_drain(struct conn_guard *g, unsigned ms);
/* Whether conn_guard_drain() has begun: answers should then say
 * "Connection: close". */
bool conn_guard_draining(struct conn_guard *g);

/* The client address of e as text ("127.0.0.1", "::1"). */
const char *conn_guard_peer(const struct conn_guard_entry *e);

/* Connections open now. */
unsigned conn_guard_count(struct conn_guard *g);

#endif
