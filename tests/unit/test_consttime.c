/* Unit tests for simulator/consttime.c: the one secret comparison. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "consttime.h"

static void test_streq(void **state)
{
	assert_true(consttime_streq("s3cret-token", "s3cret-token"));
	assert_true(consttime_streq("", ""));
	assert_false(consttime_streq("s3cret-token", "s3cret-tokeN"));
	assert_false(consttime_streq("s3cret-token", "S3cret-token"));
	/* A prefix or an extension of the secret is not the secret, nor is
	 * the secret repeated (given is read against known repeated). */
	assert_false(consttime_streq("s3cret-token", "s3cret"));
	assert_false(consttime_streq("s3cret-token", "s3cret-token-"));
	assert_false(consttime_streq("ab", "abab"));
	assert_false(consttime_streq("abab", "ab"));
	assert_false(consttime_streq("s3cret-token", ""));
	assert_false(consttime_streq("", "x"));
	/* Bytes above 0x7f compare as bytes. */
	assert_true(consttime_streq("p\xc3\xa4ss", "p\xc3\xa4ss"));
	assert_false(consttime_streq("p\xc3\xa4ss", "p\xc3\xa5ss"));
}

static void test_memeq(void **state)
{
	unsigned char a[32], b[32];

	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = b[i] = (unsigned char)(i * 7);
	assert_true(consttime_memeq(a, b, sizeof(a)));
	assert_true(consttime_memeq(a, b, 0));
	b[31] ^= 0x01;	/* the last byte only */
	assert_false(consttime_memeq(a, b, sizeof(a)));
	assert_true(consttime_memeq(a, b, 31));
	b[31] ^= 0x01;
	b[0] ^= 0x80;	/* the first byte only */
	assert_false(consttime_memeq(a, b, sizeof(a)));
	/* Embedded NULs are data, not an end. */
	assert_false(consttime_memeq("a\0b", "a\0c", 3));
	assert_true(consttime_memeq("a\0b", "a\0b", 3));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_streq),
		cmocka_unit_test(test_memeq),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
