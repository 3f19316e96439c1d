/* ratelimit: one report per interval. See ratelimit.h. */
#include "ratelimit.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

struct ratelimit {
	pthread_mutex_t lock;
	int64_t interval_ms;
	bool reported;		/* under lock: last_ms is set */
	int64_t last_ms;	/* under lock: time of the last report */
	uint64_t suppressed;	/* under lock: since the last report */
};

struct ratelimit *ratelimit_new(int64_t interval_ms)
{
	struct ratelimit *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	pthread_mutex_init(&r->lock, NULL);
	r->interval_ms = interval_ms;
	return r;
}

void ratelimit_free(struct ratelimit *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	free(r);
}

bool ratelimit_pass(struct ratelimit *r, int64_t now_ms, uint64_t *suppressed)
{
	bool pass;

	pthread_mutex_lock(&r->lock);
	pass = !r->reported || now_ms - r->last_ms >= r->interval_ms;
	if (pass) {
		*suppressed = r->suppressed;
		r->suppressed = 0;
		r->reported = true;
		r->last_ms = now_ms;
	} else {
		r->suppressed++;
	}
	pthread_mutex_unlock(&r->lock);
	return pass;
}

int64_t ratelimit_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool ratelimit_pass_now(struct ratelimit *r, uint64_t *suppressed)
{
	return ratelimit_pass(r, ratelimit_now_ms(), suppressed);
}

const char *ratelimit_note(uint64_t suppressed, char buf[RATELIMIT_NOTE])
{
	if (!suppressed)
		return "";
	snprintf(buf, RATELIMIT_NOTE, " (%" PRIu64 " more since the last such line)",
		 suppressed);
	return buf;
}
