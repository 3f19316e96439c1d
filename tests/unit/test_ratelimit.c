/* Unit tests for ratelimit: one report per interval, with the count of
 * what went unsaid. Times are given, so no test waits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ratelimit.h"

static void test_first_passes_then_counts(void **state)
{
	struct ratelimit *r = ratelimit_new(60000);
	uint64_t n = 77;

	assert_non_null(r);
	assert_true(ratelimit_pass(r, 1000, &n));
	assert_int_equal(n, 0);
	n = 77;
	for (int i = 0; i < 5; i++)
		assert_false(ratelimit_pass(r, 1000 + i * 1000, &n));
	assert_int_equal(n, 77);	/* untouched while suppressed */
	assert_false(ratelimit_pass(r, 60999, &n));
	/* A minute after the last report: pass, with the six unsaid. */
	assert_true(ratelimit_pass(r, 61000, &n));
	assert_int_equal(n, 6);
	/* The count starts again; the next minute runs from this report. */
	assert_false(ratelimit_pass(r, 120999, &n));
	assert_true(ratelimit_pass(r, 121000, &n));
	assert_int_equal(n, 1);
	/* A quiet hour, then one: nothing was suppressed. */
	assert_true(ratelimit_pass(r, 4000000, &n));
	assert_int_equal(n, 0);
	ratelimit_free(r);
}

static void test_clock_and_null(void **state)
{
	int64_t a = ratelimit_now_ms(), b = ratelimit_now_ms();

	assert_true(a > 0);
	assert_true(b >= a);
	ratelimit_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_passes_then_counts),
		cmocka_unit_test(test_clock_and_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
