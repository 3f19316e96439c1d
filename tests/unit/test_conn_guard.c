/* conn_guard on socket pairs: the guard shuts down "its" end, and the
 * test reads the other end to see whether the connection was ended. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "conn_guard.h"

struct pair {
	int ours;	/* the server's end, which the guard may shut */
	int peer;	/* the client's end */
	struct conn_guard_entry *e;
};

static struct sockaddr_in addr4(const char *ip)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(40000) };
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static enum conn_guard_verdict open_pair(struct conn_guard *g, struct pair *p,
					 const char *ip)
{
	int sv[2];
	struct sockaddr_in a = addr4(ip);

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	p->ours = sv[0];
	p->peer = sv[1];
	return conn_guard_open(g, p->ours, (struct sockaddr *)&a, &p->e);
}

static void close_pair(struct conn_guard *g, struct pair *p)
{
	conn_guard_close(g, p->e);
	close(p->ours);
	close(p->peer);
}

/* Whether the client's end sees the connection ended within ms. */
static bool ended_within(struct pair *p, int ms)
{
	struct pollfd pf = { .fd = p->peer, .events = POLLIN };
	char c[512];

	while (poll(&pf, 1, ms) == 1) {
		ssize_t n = recv(p->peer, c, sizeof(c), MSG_DONTWAIT);
		if (n == 0)
			return true;
		if (n < 0 && errno != EAGAIN)
			return true;
	}
	return false;
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void per_client_limit(void **unused)
{
	struct conn_guard_limits lim = { .max_total = 100, .max_per_client = 2,
					 .read_timeout_s = 60, .idle_timeout_s = 60 };
	struct conn_guard *g = conn_guard_new(&lim);
	struct pair a[3], other;
	char why[64];

	assert_non_null(g);
	assert_int_equal(open_pair(g, &a[0], "10.0.0.1"), CONN_GUARD_ADMIT);
	assert_int_equal(open_pair(g, &a[1], "10.0.0.1"), CONN_GUARD_ADMIT);
	assert_int_equal(open_pair(g, &a[2], "10.0.0.1"), CONN_GUARD_CLIENT_LIMIT);
	/* Another address is not affected. */
	assert_int_equal(open_pair(g, &other, "10.0.0.2"), CONN_GUARD_ADMIT);
	assert_int_equal(conn_guard_count(g), 4);
	assert_string_equal(conn_guard_peer(a[2].e), "10.0.0.1");

	/* The refused one is told why and ended; the others are not. */
	conn_guard_refuse(g, a[2].e, "go away\n", 8);
	assert_int_equal(recv(a[2].peer, why, sizeof(why), 0), 8);
	assert_true(ended_within(&a[2], 1000));
	assert_false(ended_within(&a[0], 0));
	close_pair(g, &a[2]);

	/* Once one closes, that address may connect again. */
	close_pair(g, &a[1]);
	assert_int_equal(open_pair(g, &a[1], "10.0.0.1"), CONN_GUARD_ADMIT);
	close_pair(g, &a[0]);
	close_pair(g, &a[1]);
	close_pair(g, &other);
	assert_int_equal(conn_guard_count(g), 0);
	conn_guard_free(g);
}

/* A request that trickles in is ended at its deadline, not before, and
 * a request being handled has none. */
static void read_deadline(void **unused)
{
	struct conn_guard_limits lim = { .max_total = 100, .max_per_client = 10,
					 .read_timeout_s = 1, .idle_timeout_s = 60 };
	struct conn_guard *g = conn_guard_new(&lim);
	struct pair slow, busy;
	long long t0 = now_ms();

	assert_int_equal(open_pair(g, &slow, "10.0.0.1"), CONN_GUARD_ADMIT);
	assert_int_equal(open_pair(g, &busy, "10.0.0.1"), CONN_GUARD_ADMIT);
	conn_guard_reading(g, slow.e);
	conn_guard_reading(g, busy.e);
	conn_guard_handling(g, busy.e);
	/* The request line arriving late buys no time: the first request's
	 * deadline runs from the opening. */
	assert_true(ended_within(&slow, 10000));
	assert_true(now_ms() - t0 >= 1000);
	assert_false(ended_within(&busy, 1500));
	close_pair(g, &slow);
	close_pair(g, &busy);
	conn_guard_free(g);
}

static void idle_deadline_is_absolute(void **unused)
{
	struct conn_guard_limits lim = { .max_total = 100, .max_per_client = 10,
					 .read_timeout_s = 60, .idle_timeout_s = 1 };
	struct conn_guard *g = conn_guard_new(&lim);
	struct pair p;
	long long t0;

	assert_int_equal(open_pair(g, &p, "10.0.0.1"), CONN_GUARD_ADMIT);
	conn_guard_reading(g, p.e);
	conn_guard_handling(g, p.e);
	conn_guard_idle(g, p.e);
	t0 = now_ms();
	assert_true(ended_within(&p, 10000));
	assert_true(now_ms() - t0 >= 1000);
	close_pair(g, &p);
	conn_guard_free(g);
}

/* Near max_total the longest-idle connection makes room; busy ones are
 * never taken. */
static void idle_reclaimed_near_limit(void **unused)
{
	struct conn_guard_limits lim = { .max_total = 8, .max_per_client = 8,
					 .read_timeout_s = 60, .idle_timeout_s = 60 };
	struct conn_guard *g = conn_guard_new(&lim);
	struct pair p[8];

	for (int i = 0; i < 6; i++) {
		assert_int_equal(open_pair(g, &p[i], "10.0.0.1"), CONN_GUARD_ADMIT);
		conn_guard_reading(g, p[i].e);
		conn_guard_handling(g, p[i].e);
		if (i == 1 || i == 2)
			conn_guard_idle(g, p[i].e);
		/* Distinct idle times. */
		usleep(2000);
	}
	assert_false(ended_within(&p[1], 0));
	/* The 7th reaches 7/8 of 8: the oldest idle one (p[1]) goes. */
	assert_int_equal(open_pair(g, &p[6], "10.0.0.2"), CONN_GUARD_ADMIT);
	assert_true(ended_within(&p[1], 1000));
	assert_false(ended_within(&p[2], 0));
	assert_false(ended_within(&p[0], 0));
	for (int i = 0; i < 7; i++)
		close_pair(g, &p[i]);
	conn_guard_free(g);
}

/* Draining ends connections with nothing under way at once and waits
 * for the one being answered. */
static void drain(void **unused)
{
	struct conn_guard_limits lim = { .max_total = 100, .max_per_client = 10,
					 .read_timeout_s = 60, .idle_timeout_s = 60 };
	struct conn_guard *g = conn_guard_new(&lim);
	struct pair idle, fresh, busy;

	assert_int_equal(open_pair(g, &idle, "10.0.0.1"), CONN_GUARD_ADMIT);
	assert_int_equal(open_pair(g, &fresh, "10.0.0.1"), CONN_GUARD_ADMIT);
	assert_int_equal(open_pair(g, &busy, "10.0.0.1"), CONN_GUARD_ADMIT);
	conn_guard_reading(g, idle.e);
	conn_guard_handling(g, idle.e);
	conn_guard_idle(g, idle.e);
	conn_guard_reading(g, busy.e);
	conn_guard_handling(g, busy.e);
	assert_false(conn_guard_draining(g));
	/* Nobody closes "busy": the drain gives up after its bound. */
	assert_false(conn_guard_drain(g, 300));
	assert_true(conn_guard_draining(g));
	assert_true(ended_within(&idle, 0));
	assert_true(ended_within(&fresh, 0));
	assert_false(ended_within(&busy, 0));
	/* Answered now: kept alive no longer. */
	conn_guard_idle(g, busy.e);
	assert_true(ended_within(&busy, 1000));
	struct pair late;
	assert_int_equal(open_pair(g, &late, "10.0.0.3"), CONN_GUARD_DRAINING);
	close_pair(g, &late);
	close_pair(g, &idle);
	close_pair(g, &fresh);
	close_pair(g, &busy);
	assert_true(conn_guard_drain(g, 10));
	conn_guard_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(per_client_limit),
		cmocka_unit_test(read_deadline),
		cmocka_unit_test(idle_deadline_is_absolute),
		cmocka_unit_test(idle_reclaimed_near_limit),
		cmocka_unit_test(drain),
	};
	return cmocka_run_group_tests_name("conn_guard", tests, NULL, NULL);
}
