/* json_answer: the answer the control API and the dashboard build. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json_answer.h"

/* A later answer replaces an earlier one (and frees it: valgrind). */
static void test_set_replaces(void **state)
{
	struct json_answer a = { 0 };

	(void)state;
	assert_int_equal(json_answer_set(&a, 200, json_pack("{s:i}", "n", 1)), 200);
	assert_int_equal(json_answer_set(&a, 201, json_pack("{s:i}", "n", 2)), 201);
	char *text = json_answer_text(&a, JSON_COMPACT);
	assert_string_equal(text, "{\"n\":2}");
	assert_int_equal(a.status, 201);
	assert_null(a.body);
	free(text);
}

static void test_fail_formats(void **state)
{
	struct json_answer a = { 0 };

	(void)state;
	assert_int_equal(json_answer_fail(&a, 404, "no site %s is served", "XX9"),
			 404);
	char *text = json_answer_text(&a, JSON_COMPACT);
	assert_string_equal(text, "{\"error\":\"no site XX9 is served\"}");
	assert_int_equal(a.status, 404);
	free(text);
}

/* An echoed value that is not UTF-8 still gives its 4xx, the bytes JSON
 * cannot carry shown as '?'. */
static void test_fail_non_utf8(void **state)
{
	struct json_answer a = { 0 };

	(void)state;
	assert_int_equal(json_answer_fail(&a, 400, "no site %s", "A\xff\xfe"), 400);
	char *text = json_answer_text(&a, JSON_COMPACT);
	assert_string_equal(text, "{\"error\":\"no site A??\"}");
	assert_int_equal(a.status, 400);
	free(text);
}

/* No answer at all (a route that ran out of memory) is a 500 that says
 * so. */
static void test_never_set(void **state)
{
	struct json_answer a = { 0 };

	(void)state;
	json_answer_set(&a, 200, NULL);
	char *text = json_answer_text(&a, JSON_COMPACT);
	assert_string_equal(text, "{\"error\":\"out of memory\"}");
	assert_int_equal(a.status, 500);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_replaces),
		cmocka_unit_test(test_fail_formats),
		cmocka_unit_test(test_fail_non_utf8),
		cmocka_unit_test(test_never_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
