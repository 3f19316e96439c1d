/* completion: a one-shot signal. See completion.h. */
#include "completion.h"

#include <pthread.h>

enum { C_IDLE, C_ARMED, C_FIRED };

void completion_init(struct completion *c)
{
	atomic_init(&c->state, C_IDLE);
	c->fn = NULL;
	c->arg = NULL;
}

bool completion_arm(struct completion *c, void (*fn)(void *arg), void *arg)
{
	int idle = C_IDLE;

	c->fn = fn;
	c->arg = arg;
	/* Release: the firing side reads fn and arg after seeing ARMED. */
	return atomic_compare_exchange_strong_explicit(&c->state, &idle, C_ARMED,
						       memory_order_acq_rel,
						       memory_order_acquire);
}

void completion_fire(struct completion *c)
{
	/* Read before the exchange: once FIRED is visible to an unarmed
	 * waiter, c may be gone. While ARMED, the waiter is waiting for fn
	 * and c stays. */
	void (*fn)(void *arg) = NULL;
	void *arg = NULL;

	if (atomic_load_explicit(&c->state, memory_order_acquire) == C_ARMED) {
		fn = c->fn;
		arg = c->arg;
	}
	int was = atomic_exchange_explicit(&c->state, C_FIRED, memory_order_acq_rel);

	if (was == C_ARMED) {
		if (!fn) {	/* armed between the load and the exchange */
			fn = c->fn;
			arg = c->arg;
		}
		fn(arg);
	}
}

bool completion_fired(struct completion *c)
{
	return atomic_load_explicit(&c->state, memory_order_acquire) == C_FIRED;
}

/* completion_wait's armed function: wakes the blocked thread. */
struct blocker {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
};

static void unblock(void *arg)
{
	struct blocker *b = arg;

	pthread_mutex_lock(&b->lock);
	b->done = true;
	pthread_cond_signal(&b->cond);
	pthread_mutex_unlock(&b->lock);
}

void completion_wait(struct completion *c)
{
	struct blocker b = { .done = false };

	if (completion_fired(c))
		return;
	pthread_mutex_init(&b.lock, NULL);
	pthread_cond_init(&b.cond, NULL);
	if (completion_arm(c, unblock, &b)) {
		pthread_mutex_lock(&b.lock);
		while (!b.done)
			pthread_cond_wait(&b.cond, &b.lock);
		pthread_mutex_unlock(&b.lock);
	}
	pthread_cond_destroy(&b.cond);
	pthread_mutex_destroy(&b.lock);
}
