/* Unit tests for wsman/num.c: the one strict whole-number parser. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "num.h"

static void test_decimal(void **state)
{
	uint64_t v = 99;

	assert_int_equal(num_parse_dec("0", 10, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(num_parse_dec("7", 10, &v), 0);
	assert_int_equal(v, 7);
	assert_int_equal(num_parse_dec("10", 10, &v), 0);
	assert_int_equal(v, 10);
	/* Leading zeros are still plain digits. */
	assert_int_equal(num_parse_dec("0042", 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(num_parse_dec("65535", 65535, &v), 0);
	assert_int_equal(v, 65535);
}

/* Everything strtoul would have let through, and more. */
static void test_syntax_refused(void **state)
{
	static const char *const bad[] = {
		"", " 1", "1 ", "+1", "-1", "-0", "0x10", "1e3", "1.0", "1,000",
		"12a", "a12", "\t5", "5\n", "１",
	};
	uint64_t v = 1234;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(num_parse_dec(bad[i], UINT64_MAX, &v), -EINVAL);
		assert_int_equal(v, 1234);	/* untouched on failure */
	}
	assert_int_equal(num_parse_dec(NULL, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(num_parse_u64("1", 8, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(num_parse_u64("1", 0, UINT64_MAX, &v), -EINVAL);
	assert_int_equal(v, 1234);
}

static void test_range(void **state)
{
	uint64_t v = 5;

	assert_int_equal(num_parse_dec("65536", 65535, &v), -ERANGE);
	assert_int_equal(num_parse_dec("11", 10, &v), -ERANGE);
	assert_int_equal(v, 5);
	assert_int_equal(num_parse_dec("9223372036854775807", INT64_MAX, &v), 0);
	assert_int_equal(v, (uint64_t)INT64_MAX);
	assert_int_equal(num_parse_dec("9223372036854775808", INT64_MAX, &v),
			 -ERANGE);
	assert_int_equal(num_parse_dec("4294967295", UINT32_MAX, &v), 0);
	assert_int_equal(v, UINT32_MAX);
	assert_int_equal(num_parse_dec("4294967296", UINT32_MAX, &v), -ERANGE);
}

/* Past 64 bits is out of range, never a wrapped value. */
static void test_overflow(void **state)
{
	uint64_t v = 5;

	assert_int_equal(num_parse_dec("18446744073709551615", UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(num_parse_dec("18446744073709551616", UINT64_MAX, &v),
			 -ERANGE);
	assert_int_equal(num_parse_dec("99999999999999999999999", UINT64_MAX, &v),
			 -ERANGE);
	assert_true(v == UINT64_MAX);
	/* A bad character anywhere is a syntax error, even after overflow. */
	assert_int_equal(num_parse_dec("99999999999999999999999x", UINT64_MAX, &v),
			 -EINVAL);
	assert_int_equal(num_parse_u64("10000000000000000", 16, UINT64_MAX, &v),
			 -ERANGE);
}

static void test_hex(void **state)
{
	uint64_t v = 0;

	assert_int_equal(num_parse_u64("80041002", 16, UINT32_MAX, &v), 0);
	assert_int_equal(v, 0x80041002u);
	assert_int_equal(num_parse_u64("deadBEEF", 16, UINT32_MAX, &v), 0);
	assert_int_equal(v, 0xdeadbeefu);
	assert_int_equal(num_parse_u64("ffffffffffffffff", 16, UINT64_MAX, &v), 0);
	assert_true(v == UINT64_MAX);
	assert_int_equal(num_parse_u64("100000000", 16, UINT32_MAX, &v), -ERANGE);
	/* No prefix, no sign: the caller strips "0x" when it takes one. */
	assert_int_equal(num_parse_u64("0x1F", 16, UINT32_MAX, &v), -EINVAL);
	assert_int_equal(num_parse_u64("-1", 16, UINT32_MAX, &v), -EINVAL);
	assert_int_equal(num_parse_u64("1g", 16, UINT32_MAX, &v), -EINVAL);
	/* Hex letters are not decimal digits. */
	assert_int_equal(num_parse_dec("1f", UINT32_MAX, &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decimal),
		cmocka_unit_test(test_syntax_refused),
		cmocka_unit_test(test_range),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_hex),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
