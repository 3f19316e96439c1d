#include "conn_guard.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "ratelimit.h"

#define TICK_MS 250
#define PEER_BUCKETS 256
#define LOG_PERIOD_MS 60000

enum conn_state {
	ST_NEW,		/* accepted, no request line yet */
	ST_READING,	/* request line seen, request not read whole */
	ST_HANDLING,	/* read whole, being answered */
	ST_IDLE,	/* answered, kept alive */
};

/* Connections from one client address. */
struct peer {
	unsigned char addr[16];	/* IPv4 as ::ffff:a.b.c.d */
	unsigned count;
	struct peer *next;	/* bucket chain */
};

struct conn_guard_entry {
	int fd;
	enum conn_state state;
	int64_t since_ms;	/* entered state */
	int64_t deadline_ms;	/* 0: none */
	bool shut;		/* shutdown(2) already called */
	struct peer *peer;
	char peer_text[INET6_ADDRSTRLEN];
	struct conn_guard_entry *prev, *next;
};

struct conn_guard {
	struct conn_guard_limits lim;
	pthread_mutex_t lock;
	pthread_cond_t cond;		/* watchdog tick, stop, drain progress */
	pthread_t watchdog;
	struct conn_guard_entry *head;	/* every open connection */
	unsigned total;
	struct peer *peers[PEER_BUCKETS];
	bool stopping, draining;
	/* A flood repeats these: one line a minute each. */
	struct ratelimit *log_reclaim, *log_refused, *log_read, *log_idle;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* IPv4 and IPv4-mapped IPv6 count as the same client. */
static void peer_key(const struct sockaddr *sa, unsigned char key[16],
		     char *text, size_t textsize)
{
	memset(key, 0, 16);
	snprintf(text, textsize, "?");
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *a = (const struct sockaddr_in *)sa;
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &a->sin_addr, 4);
		inet_ntop(AF_INET, &a->sin_addr, text, (socklen_t)textsize);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)sa;
		memcpy(key, &a->sin6_addr, 16);
		if (IN6_IS_ADDR_V4MAPPED(&a->sin6_addr))
			inet_ntop(AF_INET, key + 12, text, (socklen_t)textsize);
		else
			inet_ntop(AF_INET6, &a->sin6_addr, text, (socklen_t)textsize);
	}
}

static unsigned bucket_of(const unsigned char key[16])
{
	unsigned h = 2166136261u;	/* FNV-1a */

	for (int i = 0; i < 16; i++)
		h = (h ^ key[i]) * 16777619u;
	return h % PEER_BUCKETS;
}

/* The peer of key, created with count 0 if new; NULL when out of
 * memory. Lock held. */
static struct peer *peer_get(struct conn_guard *g, const unsigned char key[16])
{
	unsigned b = bucket_of(key);

	for (struct peer *p = g->peers[b]; p; p = p->next)
		if (!memcmp(p->addr, key, 16))
			return p;
	struct peer *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	memcpy(p->addr, key, 16);
	p->next = g->peers[b];
	g->peers[b] = p;
	return p;
}

static void peer_put(struct conn_guard *g, struct peer *p)
{
	if (--p->count)
		return;
	for (struct peer **at = &g->peers[bucket_of(p->addr)]; *at; at = &(*at)->next) {
		if (*at == p) {
			*at = p->next;
			free(p);
			return;
		}
	}
}

/* Lock held. */
static void shut(struct conn_guard_entry *e)
{
	if (e->shut)
		return;
	e->shut = true;
	/* The descriptor is still libmicrohttpd's: it sees end of file and
	 * closes the connection itself. */
	shutdown(e->fd, SHUT_RDWR);
}

static void set_state(struct conn_guard *g, struct conn_guard_entry *e,
		      enum conn_state st, int64_t now)
{
	e->state = st;
	e->since_ms = now;
	switch (st) {
	case ST_NEW:
	case ST_READING:
		e->deadline_ms = now + (int64_t)g->lim.read_timeout_s * 1000;
		break;
	case ST_HANDLING:
		e->deadline_ms = 0;
		break;
	case ST_IDLE:
		e->deadline_ms = now + (int64_t)g->lim.idle_timeout_s * 1000;
		break;
	}
}

/* Makes room for a new connection by closing the longest-idle one when
 * 7/8 of max_total are in use. Lock held. */
static void reclaim_idle(struct conn_guard *g)
{
	unsigned high = g->lim.max_total - g->lim.max_total / 8;
	struct conn_guard_entry *oldest = NULL;
	uint64_t skipped;
	char note[RATELIMIT_NOTE];

	if (g->total < high)
		return;
	for (struct conn_guard_entry *e = g->head; e; e = e->next)
		if (e->state == ST_IDLE && !e->shut &&
		    (!oldest || e->since_ms < oldest->since_ms))
			oldest = e;
	if (!oldest)
		return;
	if (ratelimit_pass_now(g->log_reclaim, &skipped))
		log_warn("%u of %u connections in use: closed the longest-idle "
			 "kept-alive connection (from %s) to make room%s",
			 g->total, g->lim.max_total, oldest->peer_text,
			 ratelimit_note(skipped, note));
	shut(oldest);
}

const char *conn_guard_verdict_text(enum conn_guard_verdict v)
{
	switch (v) {
	case CONN_GUARD_ADMIT:
		return "admitted";
	case CONN_GUARD_CLIENT_LIMIT:
		return "too many connections from this address "
		       "(--max-client-connections)";
	case CONN_GUARD_DRAINING:
		return "dpsim is shutting down";
	case CONN_GUARD_NOMEM:
		return "dpsim is out of memory";
	}
	return "refused";
}

enum conn_guard_verdict conn_guard_open(struct conn_guard *g, int fd,
					const struct sockaddr *peer,
					struct conn_guard_entry **out)
{
	struct conn_guard_entry *e = calloc(1, sizeof(*e));
	unsigned char key[16];
	enum conn_guard_verdict v = CONN_GUARD_ADMIT;
	uint64_t skipped;
	char note[RATELIMIT_NOTE];

	*out = NULL;
	if (!e) {
		shutdown(fd, SHUT_RDWR);
		log_error("out of memory tracking a new connection: closed it");
		return CONN_GUARD_NOMEM;
	}
	e->fd = fd;
	peer_key(peer, key, e->peer_text, sizeof(e->peer_text));
	pthread_mutex_lock(&g->lock);
	e->peer = peer_get(g, key);
	if (!e->peer) {
		pthread_mutex_unlock(&g->lock);
		free(e);
		shutdown(fd, SHUT_RDWR);
		log_error("out of memory tracking a new connection: closed it");
		return CONN_GUARD_NOMEM;
	}
	e->peer->count++;
	g->total++;
	e->next = g->head;
	if (g->head)
		g->head->prev = e;
	g->head = e;
	set_state(g, e, ST_NEW, mono_ms());
	if (g->draining)
		v = CONN_GUARD_DRAINING;
	else if (e->peer->count > g->lim.max_per_client)
		v = CONN_GUARD_CLIENT_LIMIT;
	else
		reclaim_idle(g);
	if (v == CONN_GUARD_ADMIT)
		;
	else if (v == CONN_GUARD_CLIENT_LIMIT &&
	    ratelimit_pass_now(g->log_refused, &skipped))
		log_warn("refused a connection from %s: it already holds %u, the "
			 "most one address may (--max-client-connections)%s",
			 e->peer_text, g->lim.max_per_client,
			 ratelimit_note(skipped, note));
	pthread_mutex_unlock(&g->lock);
	*out = e;
	return v;
}

void conn_guard_refuse(struct conn_guard *g, struct conn_guard_entry *e,
		       const void *why, size_t len)
{
	if (!e)
		return;
	pthread_mutex_lock(&g->lock);
	/* A fresh socket's send buffer takes a short answer whole; what
	 * does not fit is not worth waiting for. */
	if (why && len && !e->shut)
		(void)send(e->fd, why, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	shut(e);
	pthread_mutex_unlock(&g->lock);
}

bool conn_guard_reading(struct conn_guard *g, struct conn_guard_entry *e)
{
	if (!e)
		return true;
	pthread_mutex_lock(&g->lock);
	bool ok = !e->shut;
	/* The first request's deadline runs from the connection's opening:
	 * a trickled request line must not buy a fresh one. */
	if (e->state != ST_NEW)
		set_state(g, e, ST_READING, mono_ms());
	else
		e->state = ST_READING;
	pthread_mutex_unlock(&g->lock);
	return ok;
}

bool conn_guard_handling(struct conn_guard *g, struct conn_guard_entry *e)
{
	if (!e)
		return true;
	pthread_mutex_lock(&g->lock);
	bool ok = !e->shut;
	if (ok)
		set_state(g, e, ST_HANDLING, mono_ms());
	pthread_mutex_unlock(&g->lock);
	return ok;
}

void conn_guard_idle(struct conn_guard *g, struct conn_guard_entry *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&g->lock);
	set_state(g, e, ST_IDLE, mono_ms());
	if (g->draining)
		shut(e);
	pthread_mutex_unlock(&g->lock);
}

void conn_guard_close(struct conn_guard *g, struct conn_guard_entry *e)
{
	if (!e)
		return;
	pthread_mutex_lock(&g->lock);
	if (e->prev)
		e->prev->next = e->next;
	else
		g->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	peer_put(g, e->peer);
	g->total--;
	if (g->draining)
		pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
	free(e);
}

const char *conn_guard_peer(const struct conn_guard_entry *e)
{
	return e ? e->peer_text : "?";
}

unsigned conn_guard_count(struct conn_guard *g)
{
	pthread_mutex_lock(&g->lock);
	unsigned n = g->total;
	pthread_mutex_unlock(&g->lock);
	return n;
}

/* Closes the connections past their deadline. Lock held. */
static void expire(struct conn_guard *g, int64_t now)
{
	uint64_t skipped;
	char note[RATELIMIT_NOTE];

	for (struct conn_guard_entry *e = g->head; e; e = e->next) {
		if (e->shut || !e->deadline_ms || now < e->deadline_ms)
			continue;
		if (e->state == ST_IDLE) {
			if (ratelimit_pass_now(g->log_idle, &skipped))
				log_info("closed a kept-alive connection from %s that "
					 "started no request within %u s of its last "
					 "answer (--connection-timeout)%s", e->peer_text,
					 g->lim.idle_timeout_s,
					 ratelimit_note(skipped, note));
		} else if (ratelimit_pass_now(g->log_read, &skipped)) {
			log_warn("closed a connection from %s that did not send a whole "
				 "request within %u s (--read-timeout)%s", e->peer_text,
				 g->lim.read_timeout_s, ratelimit_note(skipped, note));
		}
		shut(e);
	}
}

static void *watchdog_main(void *arg)
{
	struct conn_guard *g = arg;

	pthread_mutex_lock(&g->lock);
	while (!g->stopping) {
		int64_t until_ms = mono_ms() + TICK_MS;
		struct timespec until = {
			.tv_sec = (time_t)(until_ms / 1000),
			.tv_nsec = (long)(until_ms % 1000) * 1000000L,
		};
		pthread_cond_timedwait(&g->cond, &g->lock, &until);
		expire(g, mono_ms());
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

static void free_limits(struct conn_guard *g)
{
	ratelimit_free(g->log_reclaim);
	ratelimit_free(g->log_refused);
	ratelimit_free(g->log_read);
	ratelimit_free(g->log_idle);
}

struct conn_guard *conn_guard_new(const struct conn_guard_limits *lim)
{
	struct conn_guard *g = calloc(1, sizeof(*g));
	pthread_condattr_t attr;

	if (!g)
		return NULL;
	g->lim = *lim;
	g->log_reclaim = ratelimit_new(LOG_PERIOD_MS);
	g->log_refused = ratelimit_new(LOG_PERIOD_MS);
	g->log_read = ratelimit_new(LOG_PERIOD_MS);
	g->log_idle = ratelimit_new(LOG_PERIOD_MS);
	if (!g->log_reclaim || !g->log_refused || !g->log_read || !g->log_idle) {
		free_limits(g);
		free(g);
		return NULL;
	}
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&g->watchdog, NULL, watchdog_main, g)) {
		pthread_cond_destroy(&g->cond);
		pthread_mutex_destroy(&g->lock);
		free_limits(g);
		free(g);
		return NULL;
	}
	return g;
}

bool conn_guard_draining(struct conn_guard *g)
{
	/* Asked for every answer: an atomic look, not the lock. It is set
	 * once, under the lock, and never cleared. */
	return __atomic_load_n(&g->draining, __ATOMIC_ACQUIRE);
}

bool conn_guard_drain(struct conn_guard *g, unsigned ms)
{
	int64_t until_ms = mono_ms() + ms;
	struct timespec until = {
		.tv_sec = (time_t)(until_ms / 1000),
		.tv_nsec = (long)(until_ms % 1000) * 1000000L,
	};

	pthread_mutex_lock(&g->lock);
	__atomic_store_n(&g->draining, true, __ATOMIC_RELEASE);
	/* A connection with no request under way has nothing to answer. A
	 * request whose line has arrived is read and answered. */
	for (struct conn_guard_entry *e = g->head; e; e = e->next)
		if (e->state == ST_NEW || e->state == ST_IDLE)
			shut(e);
	while (g->total && pthread_cond_timedwait(&g->cond, &g->lock, &until) == 0)
		;
	bool done = g->total == 0;
	if (!done)
		log_warn("shutting down with %u connection(s) still open after %u ms",
			 g->total, ms);
	pthread_mutex_unlock(&g->lock);
	return done;
}

void conn_guard_free(struct conn_guard *g)
{
	if (!g)
		return;
	pthread_mutex_lock(&g->lock);
	g->stopping = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
	pthread_join(g->watchdog, NULL);
	/* Connections MHD closed without telling (it always tells; this is
	 * only for an error path before any was accepted). */
	while (g->head) {
		struct conn_guard_entry *e = g->head;
		g->head = e->next;
		free(e);
	}
	for (unsigned b = 0; b < PEER_BUCKETS; b++)
		while (g->peers[b]) {
			struct peer *p = g->peers[b];
			g->peers[b] = p->next;
			free(p);
		}
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
	free_limits(g);
	free(g);
}
