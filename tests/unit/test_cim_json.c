/* Unit tests for wsman/cim_json.c: each CIM type as OData JSON writes it
 * (the bytes), arrays and nulls, the Edm names, and the strict reading
 * back of parameter values with the reason for each refusal. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "cim_json.h"

/* The JSON text of one item of type t. */
static void item(enum cim_type t, const char *text, const char *want)
{
	json_t *j = cim_json_item(t, text);
	char *s;

	assert_non_null(j);
	s = json_dumps(j, JSON_ENCODE_ANY | JSON_COMPACT);
	if (strcmp(s, want))
		fail_msg("%s '%s' written %s, want %s", cim_type_name(t), text, s, want);
	free(s);
	json_decref(j);
}

static void items_by_type(void **unused)
{
	item(CIM_STRING, "DP01 \"x\"", "\"DP01 \\\"x\\\"\"");
	item(CIM_STRING, "", "\"\"");
	item(CIM_CHAR16, "A", "\"A\"");
	item(CIM_BOOLEAN, "true", "true");
	item(CIM_BOOLEAN, "false", "false");
	item(CIM_UINT8, "255", "255");
	item(CIM_SINT8, "-128", "-128");
	item(CIM_UINT16, "65535", "65535");
	item(CIM_SINT16, "-32768", "-32768");
	item(CIM_UINT32, "4294967295", "4294967295");
	item(CIM_SINT32, "-2147483648", "-2147483648");
	item(CIM_SINT64, "-9223372036854775808", "-9223372036854775808");
	item(CIM_UINT64, "9223372036854775807", "9223372036854775807");
	/* Past Edm.Int64: the digits as a string. */
	item(CIM_UINT64, "18446744073709551615", "\"18446744073709551615\"");
	item(CIM_REAL64, "1.5", "1.5");
	item(CIM_REAL32, "-2", "-2.0");
	item(CIM_DATETIME, "2024-05-01T10:00:00Z", "\"2024-05-01T10:00:00Z\"");
	/* Not canonical for the type (never in the model): a string. */
	item(CIM_UINT32, "many", "\"many\"");
	/* Bytes that are not UTF-8 cost a '?' each, not the answer. */
	item(CIM_STRING, "a\xff" "b", "\"a?b\"");
}

static void values(void **unused)
{
	char *a[] = { "1", "2" }, *one[] = { "x" };
	struct cim_value arr = { .count = 2, .items = a };
	struct cim_value empty = { .count = 0 };
	struct cim_value null = { .null = true };
	struct cim_value scalar = { .count = 1, .items = one };
	json_t *j;
	char *s;

	j = cim_json_value(CIM_UINT32, true, &arr);
	s = json_dumps(j, JSON_COMPACT);
	assert_string_equal(s, "[1,2]");
	free(s);
	json_decref(j);
	j = cim_json_value(CIM_STRING, true, &empty);
	assert_true(json_is_array(j) && json_array_size(j) == 0);
	json_decref(j);
	assert_true(json_is_null(cim_json_value(CIM_STRING, false, &null)));
	assert_true(json_is_null(cim_json_value(CIM_STRING, true, NULL)));
	j = cim_json_value(CIM_STRING, false, &scalar);
	assert_string_equal(json_string_value(j), "x");
	json_decref(j);
}

static void edm_types(void **unused)
{
	assert_string_equal(cim_json_edm_type(CIM_STRING), "Edm.String");
	assert_string_equal(cim_json_edm_type(CIM_CHAR16), "Edm.String");
	assert_string_equal(cim_json_edm_type(CIM_BOOLEAN), "Edm.Boolean");
	assert_string_equal(cim_json_edm_type(CIM_UINT8), "Edm.Byte");
	assert_string_equal(cim_json_edm_type(CIM_SINT8), "Edm.SByte");
	assert_string_equal(cim_json_edm_type(CIM_SINT16), "Edm.Int16");
	assert_string_equal(cim_json_edm_type(CIM_UINT16), "Edm.Int32");
	assert_string_equal(cim_json_edm_type(CIM_SINT32), "Edm.Int32");
	assert_string_equal(cim_json_edm_type(CIM_UINT32), "Edm.Int64");
	assert_string_equal(cim_json_edm_type(CIM_UINT64), "Edm.Int64");
	assert_string_equal(cim_json_edm_type(CIM_REAL32), "Edm.Single");
	assert_string_equal(cim_json_edm_type(CIM_REAL64), "Edm.Double");
	assert_string_equal(cim_json_edm_type(CIM_DATETIME), "Edm.DateTimeOffset");
}

/* Reads JSON text v as type t: want the canonical text, or NULL with the
 * reason containing why. */
static void read_as(enum cim_type t, const char *v, const char *want,
		    const char *why_part)
{
	json_t *j = json_loads(v, JSON_DECODE_ANY, NULL);
	const char *why = NULL;
	char *out = NULL;
	int r;

	assert_non_null(j);
	r = cim_json_to_text(t, j, &out, &why);
	json_decref(j);
	if (want) {
		if (r)
			fail_msg("%s %s refused: %s", cim_type_name(t), v, why);
		assert_string_equal(out, want);
		free(out);
		return;
	}
	assert_int_equal(r, -EINVAL);
	assert_null(out);
	if (!why || !strstr(why, why_part))
		fail_msg("%s %s: reason '%s' lacks '%s'", cim_type_name(t), v,
			 why ? why : "(none)", why_part);
}

static void reading(void **unused)
{
	read_as(CIM_UINT32, "1", "1", NULL);
	read_as(CIM_UINT32, "4294967295", "4294967295", NULL);
	read_as(CIM_UINT32, "4294967296", NULL, "out of range");
	read_as(CIM_UINT32, "-1", NULL, "out of range");
	read_as(CIM_UINT32, "\"1\"", NULL, "not a number");
	read_as(CIM_UINT32, "1.0", NULL, "not a whole number");
	read_as(CIM_UINT32, "true", NULL, "not a number");
	read_as(CIM_UINT32, "null", NULL, "null");
	read_as(CIM_SINT8, "-128", "-128", NULL);
	read_as(CIM_UINT64, "\"18446744073709551615\"", "18446744073709551615", NULL);
	read_as(CIM_UINT64, "\"5\"", NULL, "not a number");
	read_as(CIM_STRING, "\"x\"", "x", NULL);
	read_as(CIM_STRING, "1", NULL, "not a string");
	read_as(CIM_CHAR16, "\"ab\"", NULL, "single character");
	read_as(CIM_BOOLEAN, "false", "false", NULL);
	read_as(CIM_BOOLEAN, "0", NULL, "not a boolean");
	read_as(CIM_REAL64, "2", "2", NULL);
	read_as(CIM_REAL64, "0.25", "0.25", NULL);
	read_as(CIM_REAL32, "1e300", NULL, "range");
	read_as(CIM_DATETIME, "\"2024-05-01T10:00:00Z\"", "2024-05-01T10:00:00Z", NULL);
	read_as(CIM_DATETIME, "\"yesterday\"", NULL, "datetime");
	read_as(CIM_DATETIME, "20240501", NULL, "ISO 8601 string");
	json_t *arr = json_array();
	assert_string_equal(cim_json_kind(arr), "an array");
	json_decref(arr);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(items_by_type),
		cmocka_unit_test(values),
		cmocka_unit_test(edm_types),
		cmocka_unit_test(reading),
	};
	return cmocka_run_group_tests_name("cim_json", tests, NULL, NULL);
}
