/* Tests for wsman/fragment.c: the FragmentTransfer expressions dpsim
 * evaluates (docs/wsman-protocol.md, Get of a fragment) and the faults
 * for the rest. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "fragment.h"

#define XPATH "http://www.w3.org/TR/1999/REC-xpath-19991116"

static void test_accepted(void **state)
{
	static const struct {
		const char *expr, *dialect, *cls, *prop;
		uint32_t index;
		bool text;
	} ok[] = {
		{ "MaintenanceMode", NULL, "", "MaintenanceMode", 0, false },
		{ "MaintenanceMode", XPATH, "", "MaintenanceMode", 0, false },
		{ "MaintenanceMode/text()", NULL, "", "MaintenanceMode", 0, true },
		{ "SMS_DistributionPointInfo/Name", NULL,
		  "SMS_DistributionPointInfo", "Name", 0, false },
		{ "Tags[2]", NULL, "", "Tags", 2, false },
		{ "C/Tags[4294967295]/text()", NULL, "C", "Tags", UINT32_MAX, true },
		{ "_x-1.y", NULL, "", "_x-1.y", 0, false },
	};
	struct wsman_fragment fr;
	struct wsman_fault f;
	char reason[256];

	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		if (wsman_fragment_parse(ok[i].expr, ok[i].dialect, &fr, &f,
					 reason, sizeof(reason)) != 0)
			fail_msg("%s: %s", ok[i].expr, f.reason);
		assert_string_equal(fr.cls, ok[i].cls);
		assert_string_equal(fr.prop, ok[i].prop);
		assert_int_equal(fr.index, ok[i].index);
		assert_int_equal(fr.text, ok[i].text);
	}
}

static void test_refused(void **state)
{
	static const struct {
		const char *expr, *mentions;
	} bad[] = {
		{ "/C/P", "'/'" }, { "//P", "'/'" }, { "@Name", "attribute" },
		{ "*", "wildcard" }, { "..", "relative" }, { ".", "relative" },
		{ "p:P", "prefixed" }, { "P[0]", "position 0" },
		{ "P[]", "predicate" }, { "P[1", "predicate" },
		{ "P[x]", "predicate" }, { "P[1]x", "predicate" },
		{ "P[4294967296]", "too large" }, { "C[1]/P", "other than" },
		{ "a/b/c", "more steps" }, { "P/", "empty step" },
		{ "/text()", "'/'" }, { "text()", "character" },
		{ "P Q", "character" }, { "P/text()/text()", "character" },
		{ "1P", "not an element name" },
	};
	struct wsman_fragment fr;
	struct wsman_fault f;
	char reason[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		assert_int_equal(wsman_fragment_parse(bad[i].expr, NULL, &fr, &f,
						      reason, sizeof(reason)),
				 -EINVAL);
		assert_int_equal(f.subcode, WSMAN_SUB_FRAGMENT_FILTER);
		assert_int_equal(f.code, WSMAN_CODE_INVALID_FRAGMENT_PATH);
		if (strstr(f.reason, bad[i].mentions) == NULL)
			fail_msg("%s: reason \"%s\" lacks \"%s\"", bad[i].expr,
				 f.reason, bad[i].mentions);
	}

	/* blank: its own code */
	assert_int_equal(wsman_fragment_parse("", NULL, &fr, &f, reason,
					      sizeof(reason)), -EINVAL);
	assert_int_equal(f.subcode, WSMAN_SUB_FRAGMENT_FILTER);
	assert_int_equal(f.code, WSMAN_CODE_FRAGMENT_PATH_BLANK);

	/* another dialect, named in the reason */
	assert_int_equal(wsman_fragment_parse("P", "urn:other", &fr, &f, reason,
					      sizeof(reason)), -EINVAL);
	assert_int_equal(f.subcode, WSMAN_SUB_FRAGMENT_DIALECT);
	assert_int_equal(f.code, WSMAN_CODE_FRAGMENT_DIALECT);
	assert_false(wsman_subcode_is_sender(f.subcode));
	assert_non_null(strstr(f.reason, "urn:other"));

	/* no buffer: a static reason */
	assert_int_equal(wsman_fragment_parse("@x", NULL, &fr, &f, NULL, 0),
			 -EINVAL);
	assert_non_null(f.reason);
}

/* A long expression is quoted in part, never cut inside a character. */
static void test_long_reason(void **state)
{
	char expr[600], reason[1024];
	struct wsman_fragment fr;
	struct wsman_fault f;

	expr[0] = '@';
	for (size_t i = 1; i + 2 < sizeof(expr); i += 2)
		memcpy(expr + i, "\xc3\xa9", 2);	/* e acute */
	expr[sizeof(expr) - 1] = '\0';
	assert_int_equal(wsman_fragment_parse(expr, NULL, &fr, &f, reason,
					      sizeof(reason)), -EINVAL);
	const char *q = strchr(f.reason, '@');
	assert_non_null(q);
	assert_true(strlen(q) <= 200);
	assert_int_equal(strlen(q) % 2, 1);	/* '@' and whole pairs */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_long_reason),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
