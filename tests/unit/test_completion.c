/* completion: the one-shot signal between the group commit and a
 * suspended connection (completion.h). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "completion.h"

static void count(void *arg)
{
	(*(int *)arg)++;
}

/* Armed first: firing runs the function once, on the firing thread. */
static void test_armed_then_fired(void **state)
{
	struct completion c;
	int calls = 0;

	completion_init(&c);
	assert_false(completion_fired(&c));
	assert_true(completion_arm(&c, count, &calls));
	assert_int_equal(calls, 0);
	completion_fire(&c);
	assert_int_equal(calls, 1);
	assert_true(completion_fired(&c));
}

/* Fired first: arming says so and nothing runs; the armer goes on. */
static void test_fired_then_armed(void **state)
{
	struct completion c;
	int calls = 0;

	completion_init(&c);
	completion_fire(&c);
	assert_true(completion_fired(&c));
	assert_false(completion_arm(&c, count, &calls));
	assert_int_equal(calls, 0);
	completion_wait(&c);	/* returns at once */
}

static void *fire_later(void *arg)
{
	completion_fire(arg);
	return NULL;
}

/* A blocked waiter wakes when another thread fires, whichever is first. */
static void test_wait_across_threads(void **state)
{
	for (int i = 0; i < 200; i++) {
		struct completion c;
		pthread_t t;

		completion_init(&c);
		assert_int_equal(pthread_create(&t, NULL, fire_later, &c), 0);
		completion_wait(&c);
		assert_true(completion_fired(&c));
		pthread_join(t, NULL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_armed_then_fired),
		cmocka_unit_test(test_fired_then_armed),
		cmocka_unit_test(test_wait_across_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
