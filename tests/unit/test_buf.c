/* Unit tests for wsman/buf.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"

static void test_empty(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	assert_string_equal(buf_ptr(&b), "");
	assert_int_equal(buf_len(&b), 0);
	assert_int_equal(buf_error(&b), 0);
	assert_int_equal(buf_add(&b, "", 0), 0);
	assert_string_equal(buf_ptr(&b), "");
	buf_free(&b);
	buf_free(&b);	/* a freed buffer may be freed again */
}

static void test_append(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(buf_add(&b, "abcdef", 3), 0);
	assert_int_equal(buf_adds(&b, "-x-"), 0);
	assert_int_equal(buf_addf(&b, "%d/%s/%05.1f", -42, "str", 3.5), 0);
	assert_string_equal(buf_ptr(&b), "abc-x--42/str/003.5");
	assert_int_equal(buf_len(&b), strlen("abc-x--42/str/003.5"));
	/* Embedded NULs are content; the length counts them. */
	assert_int_equal(buf_add(&b, "\0z", 2), 0);
	assert_int_equal(buf_len(&b), 21);
	assert_memory_equal(buf_ptr(&b) + 19, "\0z", 3);
	buf_free(&b);
}

static void test_growth(void **state)
{
	struct buf b;
	char line[16];
	size_t i;

	buf_init(&b, 0);
	for (i = 0; i < 5000; i++)
		assert_int_equal(buf_addf(&b, "%04zu,", i), 0);
	assert_int_equal(buf_len(&b), 5000 * 5);
	for (i = 0; i < 5000; i += 777) {
		snprintf(line, sizeof(line), "%04zu,", i);
		assert_memory_equal(buf_ptr(&b) + i * 5, line, 5);
	}
	assert_int_equal(buf_ptr(&b)[buf_len(&b)], '\0');
	buf_free(&b);
}

static void test_addf_long(void **state)
{
	struct buf b;
	char *big = malloc(3001);

	assert_non_null(big);
	memset(big, 'q', 3000);
	big[3000] = '\0';
	buf_init(&b, 0);
	assert_int_equal(buf_adds(&b, "<"), 0);
	/* Longer than any first allocation: exercises measure-then-write. */
	assert_int_equal(buf_addf(&b, "[%s]%d", big, 7), 0);
	assert_int_equal(buf_len(&b), 1 + 1 + 3000 + 1 + 1);
	assert_memory_equal(buf_ptr(&b), "<[qqq", 5);
	assert_string_equal(buf_ptr(&b) + 3002, "]7");
	buf_free(&b);
	free(big);
}

static int vadd_helper(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int vadd_helper(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return r;
}

static void test_vaddf(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(vadd_helper(&b, "%s=%u", "Mode", 1u), 0);
	assert_string_equal(buf_ptr(&b), "Mode=1");
	buf_free(&b);
}

static void test_limit_sticky(void **state)
{
	struct buf b;

	buf_init(&b, 10);
	assert_int_equal(buf_adds(&b, "0123456789"), 0);	/* exactly 10 */
	assert_int_equal(buf_len(&b), 10);
	assert_int_equal(buf_add(&b, "x", 1), -E2BIG);
	assert_int_equal(buf_error(&b), -E2BIG);
	/* Content stays as it was before the failing append. */
	assert_string_equal(buf_ptr(&b), "0123456789");
	/* Sticky: even an append that would fit now fails. */
	assert_int_equal(buf_add(&b, "", 0), -E2BIG);
	assert_int_equal(buf_addf(&b, "%s", ""), -E2BIG);
	assert_int_equal(buf_add_xml(&b, ""), -E2BIG);
	assert_string_equal(buf_ptr(&b), "0123456789");

	buf_reset(&b);
	assert_int_equal(buf_error(&b), 0);
	assert_int_equal(buf_len(&b), 0);
	assert_string_equal(buf_ptr(&b), "");
	assert_int_equal(buf_adds(&b, "abc"), 0);
	assert_string_equal(buf_ptr(&b), "abc");
	buf_free(&b);
}

static void test_limit_addf(void **state)
{
	struct buf b;

	buf_init(&b, 8);
	assert_int_equal(buf_adds(&b, "ab"), 0);
	/* 7 more bytes would make 9: refused whole, nothing partial. */
	assert_int_equal(buf_addf(&b, "%s", "1234567"), -E2BIG);
	assert_string_equal(buf_ptr(&b), "ab");
	assert_int_equal(buf_len(&b), 2);
	buf_free(&b);

	/* Escaping expands: the limit applies to the escaped text. */
	buf_init(&b, 8);
	assert_int_equal(buf_add_xml(&b, "a&b"), 0);	/* "a&amp;b" = 7 */
	assert_int_equal(buf_add_xml(&b, "<"), -E2BIG);
	assert_string_equal(buf_ptr(&b), "a&amp;b");
	buf_free(&b);
}

static void test_xml_escape(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(buf_add_xml(&b, "a&b<c>d\"e'f"), 0);
	assert_string_equal(buf_ptr(&b),
			    "a&amp;b&lt;c&gt;d&quot;e&apos;f");
	buf_reset(&b);
	assert_int_equal(buf_add_xml(&b, "&&<<"), 0);
	assert_string_equal(buf_ptr(&b), "&amp;&amp;&lt;&lt;");
	buf_reset(&b);
	/* NAL paths carry backslashes and quotes. */
	assert_int_equal(buf_add_xml(&b,
		"[\"Display=\\\\dp01\\\"]MSWNET:[\"SMS_SITE=PS1\"]\\\\dp01\\"),
		0);
	assert_string_equal(buf_ptr(&b),
		"[&quot;Display=\\\\dp01\\&quot;]MSWNET:[&quot;SMS_SITE=PS1"
		"&quot;]\\\\dp01\\");
	buf_free(&b);
}

static void test_xml_controls(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(buf_add_xml(&b, "a\tb\rc\nd\x01" "e\x1f" "f\x7f"),
			 0);
	/* tab/CR/LF survive; other C0 controls become '?'; DEL is legal. */
	assert_string_equal(buf_ptr(&b), "a\tb\rc\nd?e?f\x7f");
	buf_reset(&b);
	/* UTF-8 passes through untouched. */
	assert_int_equal(buf_add_xml(&b, "caf\xc3\xa9 \xe2\x82\xac"), 0);
	assert_string_equal(buf_ptr(&b), "caf\xc3\xa9 \xe2\x82\xac");
	buf_free(&b);
}

static void test_xmln(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(buf_add_xmln(&b, "<ab>cdef", 4), 0);
	assert_string_equal(buf_ptr(&b), "&lt;ab&gt;");
	/* A NUL inside the counted bytes is a control char, not an end. */
	assert_int_equal(buf_add_xmln(&b, "x\0y", 3), 0);
	assert_string_equal(buf_ptr(&b), "&lt;ab&gt;x?y");
	assert_int_equal(buf_add_xmln(&b, "zzz", 0), 0);
	assert_int_equal(buf_len(&b), strlen("&lt;ab&gt;x?y"));
	buf_free(&b);
}

static void test_take(void **state)
{
	struct buf b;
	size_t len = 99;
	char *p;

	buf_init(&b, 100);
	buf_adds(&b, "hello");
	p = buf_take(&b, &len);
	assert_non_null(p);
	assert_string_equal(p, "hello");
	assert_int_equal(len, 5);
	free(p);
	/* b is re-initialised and keeps its limit. */
	assert_int_equal(buf_len(&b), 0);
	assert_string_equal(buf_ptr(&b), "");
	assert_int_equal(b.limit, 100);
	assert_int_equal(buf_adds(&b, "again"), 0);
	assert_string_equal(buf_ptr(&b), "again");
	p = buf_take(&b, NULL);
	assert_string_equal(p, "again");
	free(p);

	/* An untouched buffer yields an empty, freeable string. */
	p = buf_take(&b, &len);
	assert_non_null(p);
	assert_string_equal(p, "");
	assert_int_equal(len, 0);
	free(p);
	buf_free(&b);
}

static void test_take_failed(void **state)
{
	struct buf b;
	size_t len = 99;

	buf_init(&b, 4);
	buf_adds(&b, "abcdef");
	assert_null(buf_take(&b, &len));
	assert_int_equal(len, 0);
	/* The reason survives for the caller. */
	assert_int_equal(buf_error(&b), -E2BIG);
	buf_free(&b);
	assert_int_equal(buf_error(&b), 0);
	assert_int_equal(buf_adds(&b, "ok"), 0);
	assert_string_equal(buf_ptr(&b), "ok");
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_growth),
		cmocka_unit_test(test_addf_long),
		cmocka_unit_test(test_vaddf),
		cmocka_unit_test(test_limit_sticky),
		cmocka_unit_test(test_limit_addf),
		cmocka_unit_test(test_xml_escape),
		cmocka_unit_test(test_xml_controls),
		cmocka_unit_test(test_xmln),
		cmocka_unit_test(test_take),
		cmocka_unit_test(test_take_failed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
