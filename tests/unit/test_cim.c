/* Unit tests for wsman/cim.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cim.h"

/* Canonicalises text as t and checks the result. */
static void ok(enum cim_type t, const char *text, const char *want)
{
	const char *why = NULL;
	char *out = NULL;
	int r = cim_value_canonical(t, text, &out, &why);

	if (r)
		fail_msg("%s \"%s\" refused: %s", cim_type_name(t), text,
			 why ? why : "(no reason)");
	assert_non_null(out);
	assert_string_equal(out, want);
	free(out);
}

/* Checks text is refused as t with the given reason. */
static void bad(enum cim_type t, const char *text, const char *want_why)
{
	const char *why = NULL;
	char *out = (char *)"untouched";
	int r = cim_value_canonical(t, text, &out, &why);

	if (!r)
		fail_msg("%s \"%s\" accepted as \"%s\"", cim_type_name(t),
			 text, out);
	assert_int_equal(r, -EINVAL);
	assert_null(out);
	assert_non_null(why);
	assert_string_equal(why, want_why);
}

static void test_type_names(void **state)
{
	static const char *names[] = {
		"string", "boolean", "uint8", "sint8", "uint16", "sint16",
		"uint32", "sint32", "uint64", "sint64", "real32", "real64",
		"datetime", "char16",
	};
	enum cim_type t;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_string_equal(cim_type_name((enum cim_type)i), names[i]);
		assert_int_equal(cim_type_parse(names[i], &t), 0);
		assert_int_equal(t, (enum cim_type)i);
	}
	assert_int_equal(cim_type_parse("UInt32", &t), 0);
	assert_int_equal(t, CIM_UINT32);
	assert_int_equal(cim_type_parse("DateTime", &t), 0);
	assert_int_equal(t, CIM_DATETIME);
	assert_int_equal(cim_type_parse("int32", &t), -EINVAL);
	assert_int_equal(cim_type_parse("", &t), -EINVAL);
	assert_int_equal(cim_type_parse("uint32 ", &t), -EINVAL);
	assert_int_equal(cim_type_parse(NULL, &t), -EINVAL);
}

static void test_type_predicates(void **state)
{
	assert_true(cim_type_is_integer(CIM_UINT8));
	assert_true(cim_type_is_integer(CIM_SINT64));
	assert_false(cim_type_is_integer(CIM_REAL32));
	assert_false(cim_type_is_integer(CIM_BOOLEAN));
	assert_false(cim_type_is_integer(CIM_CHAR16));
	assert_true(cim_type_is_signed(CIM_SINT8));
	assert_true(cim_type_is_signed(CIM_SINT32));
	assert_false(cim_type_is_signed(CIM_UINT32));
	assert_false(cim_type_is_signed(CIM_STRING));
	assert_false(cim_type_is_signed(CIM_REAL64));
	assert_true(cim_type_is_real(CIM_REAL32));
	assert_true(cim_type_is_real(CIM_REAL64));
	assert_false(cim_type_is_real(CIM_UINT64));
}

static void test_canon_integer_ranges(void **state)
{
	ok(CIM_UINT8, "0", "0");
	ok(CIM_UINT8, "255", "255");
	bad(CIM_UINT8, "256", "out of range for uint8");
	ok(CIM_SINT8, "-128", "-128");
	ok(CIM_SINT8, "127", "127");
	bad(CIM_SINT8, "128", "out of range for sint8");
	bad(CIM_SINT8, "-129", "out of range for sint8");
	ok(CIM_UINT16, "65535", "65535");
	bad(CIM_UINT16, "65536", "out of range for uint16");
	ok(CIM_SINT16, "-32768", "-32768");
	bad(CIM_SINT16, "32768", "out of range for sint16");
	ok(CIM_UINT32, "4294967295", "4294967295");
	bad(CIM_UINT32, "4294967296", "out of range for uint32");
	ok(CIM_SINT32, "-2147483648", "-2147483648");
	bad(CIM_SINT32, "2147483648", "out of range for sint32");
	bad(CIM_SINT32, "-2147483649", "out of range for sint32");
	ok(CIM_UINT64, "18446744073709551615", "18446744073709551615");
	bad(CIM_UINT64, "18446744073709551616", "out of range for uint64");
	bad(CIM_UINT64, "99999999999999999999999", "out of range for uint64");
	ok(CIM_SINT64, "-9223372036854775808", "-9223372036854775808");
	ok(CIM_SINT64, "9223372036854775807", "9223372036854775807");
	bad(CIM_SINT64, "9223372036854775808", "out of range for sint64");
	bad(CIM_SINT64, "-9223372036854775809", "out of range for sint64");
	/* Negative values are out of range for unsigned types. */
	bad(CIM_UINT32, "-1", "out of range for uint32");
}

static void test_canon_integer_syntax(void **state)
{
	ok(CIM_SINT32, "+5", "5");
	ok(CIM_UINT32, "+5", "5");
	ok(CIM_UINT32, "007", "7");
	ok(CIM_SINT32, "-007", "-7");
	ok(CIM_SINT32, "-0", "0");
	ok(CIM_UINT8, "000000000000000000000000255", "255");
	bad(CIM_UINT32, "", "empty value");
	bad(CIM_UINT32, " 5", "not a decimal integer");
	bad(CIM_UINT32, "5 ", "not a decimal integer");
	bad(CIM_UINT32, "0x10", "not a decimal integer");
	bad(CIM_UINT32, "1e3", "not a decimal integer");
	bad(CIM_UINT32, "1.0", "not a decimal integer");
	bad(CIM_UINT32, "-", "not a decimal integer");
	bad(CIM_UINT32, "+", "not a decimal integer");
	bad(CIM_SINT32, "--1", "not a decimal integer");
	bad(CIM_UINT32, "one", "not a decimal integer");
}

static void test_canon_boolean(void **state)
{
	ok(CIM_BOOLEAN, "true", "true");
	ok(CIM_BOOLEAN, "TRUE", "true");
	ok(CIM_BOOLEAN, "True", "true");
	ok(CIM_BOOLEAN, "1", "true");
	ok(CIM_BOOLEAN, "false", "false");
	ok(CIM_BOOLEAN, "FaLsE", "false");
	ok(CIM_BOOLEAN, "0", "false");
	bad(CIM_BOOLEAN, "yes", "not a boolean (true/false/1/0)");
	bad(CIM_BOOLEAN, "2", "not a boolean (true/false/1/0)");
	bad(CIM_BOOLEAN, " true", "not a boolean (true/false/1/0)");
	bad(CIM_BOOLEAN, "", "empty value");
}

static void test_canon_real(void **state)
{
	ok(CIM_REAL64, "0.1", "0.1");
	ok(CIM_REAL64, "3", "3");
	ok(CIM_REAL64, "-2.5", "-2.5");
	ok(CIM_REAL64, "+2.5", "2.5");
	ok(CIM_REAL64, "1e3", "1000");
	ok(CIM_REAL64, "1.5E-7", "1.5e-07");
	/* Needs all 17 digits to round-trip. */
	ok(CIM_REAL64, "0.30000000000000004", "0.30000000000000004");
	ok(CIM_REAL64, "1.7976931348623157e308", "1.7976931348623157e+308");
	ok(CIM_REAL32, "0.1", "0.1");
	ok(CIM_REAL32, "3.4028234e38", "3.4028235e+38");
	ok(CIM_REAL32, "16777217", "16777216");	/* float precision */
	bad(CIM_REAL32, "1e39", "out of range for real32");
	bad(CIM_REAL64, "1e999", "out of range for real64");
	bad(CIM_REAL64, "-1e999", "out of range for real64");
	bad(CIM_REAL64, "nan", "not a decimal number");
	bad(CIM_REAL64, "inf", "not a decimal number");
	bad(CIM_REAL64, "0x1p3", "not a decimal number");
	bad(CIM_REAL64, " 1", "not a decimal number");
	bad(CIM_REAL64, "1e", "not a decimal number");
	bad(CIM_REAL64, "1.2.3", "not a decimal number");
	bad(CIM_REAL64, ".", "not a decimal number");
	bad(CIM_REAL64, "", "empty value");
}

static void test_canon_datetime_iso(void **state)
{
	ok(CIM_DATETIME, "2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z");
	ok(CIM_DATETIME, "2014-04-03T14:45:50.46875+08:00",
	   "2014-04-03T14:45:50.46875+08:00");
	ok(CIM_DATETIME, "2024-05-01T10:00:00-05:30",
	   "2024-05-01T10:00:00-05:30");
	ok(CIM_DATETIME, "2024-05-01T10:00:00", "2024-05-01T10:00:00");
	ok(CIM_DATETIME, "2024-02-29T23:59:59Z", "2024-02-29T23:59:59Z");
	/* xs:duration, as cim:Interval carries it. */
	ok(CIM_DATETIME, "P0DT0H1M40S", "P0DT0H1M40S");
	ok(CIM_DATETIME, "PT1.5S", "PT1.5S");

	bad(CIM_DATETIME, "2023-02-29T00:00:00Z",
	    "not an ISO 8601 or DMTF datetime");
	bad(CIM_DATETIME, "2024-13-01T10:00:00Z",
	    "not an ISO 8601 or DMTF datetime");
	bad(CIM_DATETIME, "2024-05-01T24:00:00Z",
	    "not an ISO 8601 or DMTF datetime");
	bad(CIM_DATETIME, "2024-05-01 10:00:00Z",
	    "not an ISO 8601 or DMTF datetime");
	bad(CIM_DATETIME, "2024-05-01T10:00:00.Z",
	    "not an ISO 8601 or DMTF datetime");
	bad(CIM_DATETIME, "2024-05-01T10:00:00+0100",
	    "not an ISO 8601 or DMTF datetime");
	bad(CIM_DATETIME, "2024-05-01T10:00:00Zjunk",
	    "not an ISO 8601 or DMTF datetime");
	bad(CIM_DATETIME, "2024-05-01", "not an ISO 8601 or DMTF datetime");
	bad(CIM_DATETIME, "PT", "not an ISO 8601 or DMTF datetime");
	bad(CIM_DATETIME, "P1H", "not an ISO 8601 or DMTF datetime");
	bad(CIM_DATETIME, "yesterday", "not an ISO 8601 or DMTF datetime");
	bad(CIM_DATETIME, "", "empty value");
}

static void test_canon_datetime_dmtf(void **state)
{
	ok(CIM_DATETIME, "20240501100000.000000+060",
	   "2024-05-01T10:00:00.000000+01:00");
	ok(CIM_DATETIME, "20140403144550.468750+480",
	   "2014-04-03T14:45:50.468750+08:00");
	ok(CIM_DATETIME, "20240501100000.123456-330",
	   "2024-05-01T10:00:00.123456-05:30");
	ok(CIM_DATETIME, "20240501100000.000000+000",
	   "2024-05-01T10:00:00.000000Z");
	/* Wildcards have no ISO form: kept as given. */
	ok(CIM_DATETIME, "19900101000000.000000+***",
	   "19900101000000.000000+***");
	ok(CIM_DATETIME, "2024****100000.******+000",
	   "2024****100000.******+000");
	/* Intervals become xs:duration. */
	ok(CIM_DATETIME, "00000001132312.000000:000", "P1DT13H23M12.000000S");

	bad(CIM_DATETIME, "20240230100000.000000+000",
	    "not a valid DMTF datetime");
	bad(CIM_DATETIME, "20240501250000.000000+000",
	    "not a valid DMTF datetime");
	bad(CIM_DATETIME, "20240501100000.000000/060",
	    "not a valid DMTF datetime");
	bad(CIM_DATETIME, "2024050110000a.000000+060",
	    "not a valid DMTF datetime");
	bad(CIM_DATETIME, "20240501100000.000000+900",
	    "not a valid DMTF datetime");
	bad(CIM_DATETIME, "00000001132312.000000:001",
	    "not a valid DMTF datetime");
}

static void test_canon_strings(void **state)
{
	ok(CIM_STRING, "", "");
	ok(CIM_STRING, "dp01.contoso.com", "dp01.contoso.com");
	ok(CIM_STRING, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	   "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	bad(CIM_STRING, "\xc3\x28", "not valid UTF-8");
	bad(CIM_STRING, "abc\xff", "not valid UTF-8");
	bad(CIM_STRING, "\xc0\xaf", "not valid UTF-8");	/* overlong '/' */
	bad(CIM_STRING, "\xed\xa0\x80", "not valid UTF-8"); /* surrogate */
	bad(CIM_STRING, "\xf4\x90\x80\x80", "not valid UTF-8"); /* >10FFFF */
	bad(CIM_STRING, "\xe2\x82", "not valid UTF-8");	/* truncated */

	ok(CIM_CHAR16, "a", "a");
	ok(CIM_CHAR16, "\xc3\xa9", "\xc3\xa9");
	bad(CIM_CHAR16, "ab", "not a single character");
	bad(CIM_CHAR16, "", "empty value");
	bad(CIM_CHAR16, "\xc3", "not valid UTF-8");
	bad(CIM_CHAR16, "\xf0\x9f\x98\x80", "outside the range of char16");
}

static void test_canon_misc(void **state)
{
	const char *why = NULL;
	char *out = (char *)"x";

	assert_int_equal(cim_value_canonical(CIM_UINT32, NULL, &out, &why),
			 -EINVAL);
	assert_null(out);
	assert_string_equal(why, "missing value");
	/* why may be NULL. */
	assert_int_equal(cim_value_canonical(CIM_UINT8, "300", &out, NULL),
			 -EINVAL);
	assert_int_equal(cim_value_canonical((enum cim_type)99, "1", &out,
					     &why), -EINVAL);
}

static void test_text_views(void **state)
{
	int64_t i;
	uint64_t u;
	double d;
	bool b;

	assert_int_equal(cim_text_to_i64("-9223372036854775808", &i), 0);
	assert_true(i == INT64_MIN);
	assert_int_equal(cim_text_to_i64("42", &i), 0);
	assert_int_equal(i, 42);
	assert_int_equal(cim_text_to_i64("9223372036854775808", &i), -EINVAL);
	assert_int_equal(cim_text_to_i64("4x", &i), -EINVAL);
	assert_int_equal(cim_text_to_i64("", &i), -EINVAL);

	assert_int_equal(cim_text_to_u64("18446744073709551615", &u), 0);
	assert_true(u == UINT64_MAX);
	assert_int_equal(cim_text_to_u64("-1", &u), -EINVAL);
	assert_int_equal(cim_text_to_u64("18446744073709551616", &u),
			 -EINVAL);

	assert_int_equal(cim_text_to_double("2.5", &d), 0);
	assert_true(d == 2.5);
	assert_int_equal(cim_text_to_double("1e999", &d), -EINVAL);
	assert_int_equal(cim_text_to_double("nan", &d), -EINVAL);
	assert_int_equal(cim_text_to_double("2.5x", &d), -EINVAL);

	assert_int_equal(cim_text_to_bool("TRUE", &b), 0);
	assert_true(b);
	assert_int_equal(cim_text_to_bool("0", &b), 0);
	assert_false(b);
	assert_int_equal(cim_text_to_bool("no", &b), -EINVAL);
}

/* ---- classes and instances ---------------------------------------------- */

static struct cim_class *dp_class(void)
{
	struct cim_class *c = cim_class_new("root\\sms\\site_PS1",
					    "SMS_DistributionPointInfo");

	assert_non_null(c);
	assert_int_equal(cim_class_add_property(c, "NALPath", CIM_STRING,
						CIM_PROP_KEY), 0);
	assert_int_equal(cim_class_add_property(c, "Name", CIM_STRING, 0), 1);
	assert_int_equal(cim_class_add_property(c, "MaintenanceMode",
						CIM_UINT32, 0), 2);
	assert_int_equal(cim_class_add_property(c, "Groups", CIM_STRING,
						CIM_PROP_ARRAY), 3);
	return c;
}

static void test_class(void **state)
{
	struct cim_class *c = dp_class();
	const struct cim_property *p;
	char name[16];
	int i;

	assert_string_equal(cim_class_namespace(c), "root/sms/site_PS1");
	assert_string_equal(cim_class_name(c), "SMS_DistributionPointInfo");
	assert_int_equal(cim_class_property_count(c), 4);
	assert_int_equal(cim_class_key_count(c), 1);
	p = cim_class_property(c, 2);
	assert_string_equal(p->name, "MaintenanceMode");
	assert_int_equal(p->type, CIM_UINT32);
	assert_int_equal(p->flags, 0);
	assert_int_equal(cim_class_property(c, 3)->flags, CIM_PROP_ARRAY);
	assert_null(cim_class_property(c, 4));

	assert_int_equal(cim_class_find_property(c, "nalpath"), 0);
	assert_int_equal(cim_class_find_property(c, "MAINTENANCEMODE"), 2);
	assert_int_equal(cim_class_find_property(c, "Missing"), -1);
	assert_int_equal(cim_class_add_property(c, "NAME", CIM_UINT8, 0),
			 -EEXIST);
	assert_int_equal(cim_class_property_count(c), 4);

	/* Growth beyond the first allocation keeps earlier entries. */
	for (i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "P%d", i);
		assert_int_equal(cim_class_add_property(c, name, CIM_SINT8,
				 i % 2 ? CIM_PROP_KEY : 0), 4 + i);
	}
	assert_int_equal(cim_class_key_count(c), 21);
	assert_string_equal(cim_class_property(c, 0)->name, "NALPath");
	assert_int_equal(cim_class_find_property(c, "p39"), 43);
	cim_class_free(c);
	cim_class_free(NULL);
}

static void test_instance(void **state)
{
	struct cim_class *c = dp_class();
	struct cim_instance *i = cim_instance_new(c);
	const struct cim_value *v;
	size_t k;

	assert_non_null(i);
	assert_ptr_equal(cim_instance_class(i), c);
	for (k = 0; k < 4; k++) {
		v = cim_instance_get(i, k);
		assert_true(v->null);
		assert_int_equal(v->count, 0);
	}
	assert_null(cim_instance_get(i, 4));
	assert_null(cim_instance_text(i, "Name"));

	assert_int_equal(cim_instance_set(i, 1, "dp01"), 0);
	assert_string_equal(cim_instance_text(i, "name"), "dp01");
	v = cim_instance_get(i, 1);
	assert_false(v->null);
	assert_int_equal(v->count, 1);
	assert_string_equal(v->items[0], "dp01");

	/* Replacing and clearing. */
	assert_int_equal(cim_instance_set_by_name(i, "NAME", "dp02"), 0);
	assert_string_equal(cim_instance_text(i, "Name"), "dp02");
	assert_int_equal(cim_instance_set(i, 1, NULL), 0);
	assert_true(cim_instance_get(i, 1)->null);
	assert_null(cim_instance_text(i, "Name"));

	assert_int_equal(cim_instance_set(i, 9, "x"), -EINVAL);
	assert_int_equal(cim_instance_append(i, 9, "x"), -EINVAL);
	assert_int_equal(cim_instance_set_by_name(i, "Nope", "x"), -ENOENT);
	assert_null(cim_instance_text(i, "Nope"));

	/* Arrays: append turns NULL into a list. */
	assert_int_equal(cim_instance_append(i, 3, "g1"), 0);
	assert_int_equal(cim_instance_append(i, 3, "g2"), 0);
	assert_int_equal(cim_instance_append(i, 3, "g3"), 0);
	v = cim_instance_get(i, 3);
	assert_false(v->null);
	assert_int_equal(v->count, 3);
	assert_string_equal(v->items[0], "g1");
	assert_string_equal(v->items[2], "g3");
	assert_string_equal(cim_instance_text(i, "Groups"), "g1");
	/* set replaces the whole list with one item. */
	assert_int_equal(cim_instance_set(i, 3, "only"), 0);
	v = cim_instance_get(i, 3);
	assert_int_equal(v->count, 1);
	assert_string_equal(v->items[0], "only");

	cim_instance_free(i);
	cim_instance_free(NULL);
	cim_class_free(c);
}

static void test_instance_copies_text(void **state)
{
	struct cim_class *c = dp_class();
	struct cim_instance *i = cim_instance_new(c);
	char text[] = "original";

	assert_int_equal(cim_instance_set(i, 0, text), 0);
	text[0] = 'X';
	assert_string_equal(cim_instance_text(i, "NALPath"), "original");
	cim_instance_free(i);
	cim_class_free(c);
}

static void test_clone_independent(void **state)
{
	struct cim_class *c = dp_class();
	struct cim_instance *a = cim_instance_new(c), *b;
	const struct cim_value *va, *vb;

	assert_int_equal(cim_instance_set(a, 0, "nal"), 0);
	assert_int_equal(cim_instance_set(a, 2, "1"), 0);
	assert_int_equal(cim_instance_append(a, 3, "g1"), 0);
	assert_int_equal(cim_instance_append(a, 3, "g2"), 0);

	b = cim_instance_clone(a);
	assert_non_null(b);
	assert_ptr_equal(cim_instance_class(b), c);
	assert_string_equal(cim_instance_text(b, "NALPath"), "nal");
	assert_string_equal(cim_instance_text(b, "MaintenanceMode"), "1");
	assert_true(cim_instance_get(b, 1)->null);
	va = cim_instance_get(a, 3);
	vb = cim_instance_get(b, 3);
	assert_int_equal(vb->count, 2);
	assert_string_equal(vb->items[1], "g2");
	/* Deep: no storage is shared. */
	assert_ptr_not_equal(va->items, vb->items);
	assert_ptr_not_equal(va->items[0], vb->items[0]);

	/* Changing one leaves the other alone, both ways. */
	assert_int_equal(cim_instance_set(b, 2, "0"), 0);
	assert_int_equal(cim_instance_append(b, 3, "g3"), 0);
	assert_int_equal(cim_instance_set(a, 0, NULL), 0);
	assert_string_equal(cim_instance_text(a, "MaintenanceMode"), "1");
	assert_int_equal(cim_instance_get(a, 3)->count, 2);
	assert_string_equal(cim_instance_text(b, "NALPath"), "nal");
	assert_string_equal(cim_instance_text(b, "MaintenanceMode"), "0");
	assert_int_equal(cim_instance_get(b, 3)->count, 3);

	cim_instance_free(a);
	/* b outlives a. */
	assert_string_equal(cim_instance_get(b, 3)->items[0], "g1");
	cim_instance_free(b);
	cim_class_free(c);
}

static void test_empty_class(void **state)
{
	struct cim_class *c = cim_class_new("root/cimv2", "Empty");
	struct cim_instance *i, *j;

	assert_non_null(c);
	assert_int_equal(cim_class_key_count(c), 0);
	i = cim_instance_new(c);
	assert_non_null(i);
	assert_null(cim_instance_get(i, 0));
	j = cim_instance_clone(i);
	assert_non_null(j);
	cim_instance_free(i);
	cim_instance_free(j);
	cim_class_free(c);
}

/* ---- methods ---------------------------------------------------------- */

static const struct cim_param chain_params[] = {
	{ "SourceDPNALPath", CIM_STRING, CIM_PARAM_IN },
	{ "ChainedDPs", CIM_STRING, CIM_PARAM_OUT | CIM_PROP_ARRAY },
};

/* The declaration as given, looked up without case, and its output class:
 * out parameters in order, then ReturnValue of the return type. */
static void test_method_declaration(void **state)
{
	static const struct cim_param set_params[] = {
		{ "NALPath", CIM_STRING, CIM_PARAM_IN },
		{ "Mode", CIM_UINT32, CIM_PARAM_IN },
	};
	static const struct cim_param both[] = {
		{ "First", CIM_UINT8, CIM_PARAM_OUT },
		{ "Io", CIM_DATETIME, CIM_PARAM_IN | CIM_PARAM_OUT },
		{ "Last", CIM_BOOLEAN, CIM_PARAM_OUT | CIM_PROP_ARRAY },
	};
	struct cim_class *c = cim_class_new("root\\sms\\site_PS1",
					    "SMS_DistributionPointInfo");
	const struct cim_method *m;
	const struct cim_class *o;
	const struct cim_property *p;

	assert_non_null(c);
	assert_int_equal(cim_class_method_count(c), 0);
	assert_null(cim_class_find_method(c, "GetChainedPullDPs"));
	assert_int_equal(cim_class_add_method(c, "GetChainedPullDPs", CIM_SINT32,
					      chain_params, 2), 0);
	assert_int_equal(cim_class_add_method(c, "SetDPMaintenanceMode",
					      CIM_UINT32, set_params, 2), 0);
	assert_int_equal(cim_class_add_method(c, "Both", CIM_UINT32, both, 3), 0);
	assert_int_equal(cim_class_add_method(c, "NoParams", CIM_UINT32, NULL,
					      0), 0);
	assert_int_equal(cim_class_method_count(c), 4);
	assert_null(cim_class_method(c, 4));

	m = cim_class_find_method(c, "getchainedpulldps");
	assert_ptr_equal(m, cim_class_method(c, 0));
	assert_string_equal(cim_method_name(m), "GetChainedPullDPs");
	assert_int_equal(cim_method_return_type(m), CIM_SINT32);
	assert_int_equal(cim_method_param_count(m), 2);
	assert_string_equal(cim_method_param(m, 1)->name, "ChainedDPs");
	assert_int_equal(cim_method_param(m, 1)->flags,
			 CIM_PARAM_OUT | CIM_PROP_ARRAY);
	assert_null(cim_method_param(m, 2));
	assert_int_equal(cim_method_find_param(m, "sourcedpnalpath"), 0);
	assert_int_equal(cim_method_find_param(m, "ReturnValue"), -1);
	assert_int_equal(cim_method_find_param(m, NULL), -1);

	o = cim_method_output_class(m);
	assert_string_equal(cim_class_name(o), "__PARAMETERS");
	assert_string_equal(cim_class_namespace(o), "root/sms/site_PS1");
	assert_int_equal(cim_class_property_count(o), 2);
	p = cim_class_property(o, 0);
	assert_string_equal(p->name, "ChainedDPs");
	assert_int_equal(p->type, CIM_STRING);
	assert_int_equal(p->flags, CIM_PROP_ARRAY);
	p = cim_class_property(o, 1);
	assert_string_equal(p->name, "ReturnValue");
	assert_int_equal(p->type, CIM_SINT32);

	/* in only: nothing but ReturnValue comes back */
	o = cim_method_output_class(cim_class_find_method(c,
							  "SetDPMaintenanceMode"));
	assert_int_equal(cim_class_property_count(o), 1);
	assert_int_equal(cim_class_property(o, 0)->type, CIM_UINT32);

	/* [in, out] comes back too, in declaration order */
	o = cim_method_output_class(cim_class_find_method(c, "Both"));
	assert_int_equal(cim_class_property_count(o), 4);
	assert_string_equal(cim_class_property(o, 0)->name, "First");
	assert_string_equal(cim_class_property(o, 1)->name, "Io");
	assert_int_equal(cim_class_property(o, 1)->type, CIM_DATETIME);
	assert_string_equal(cim_class_property(o, 2)->name, "Last");
	assert_int_equal(cim_class_property(o, 2)->flags, CIM_PROP_ARRAY);
	assert_string_equal(cim_class_property(o, 3)->name, "ReturnValue");
	cim_class_free(c);
}

static void test_method_refusals(void **state)
{
	static const struct cim_param twice[] = {
		{ "Source", CIM_STRING, CIM_PARAM_IN },
		{ "SOURCE", CIM_STRING, CIM_PARAM_OUT },
	};
	static const struct cim_param rv[] = {
		{ "returnvalue", CIM_UINT32, CIM_PARAM_OUT },
	};
	static const struct cim_param nodir[] = {
		{ "X", CIM_STRING, CIM_PROP_ARRAY },
	};
	static const struct cim_param keyflag[] = {
		{ "X", CIM_STRING, CIM_PARAM_IN | CIM_PROP_KEY },
	};
	static const struct cim_param badtype[] = {
		{ "X", (enum cim_type)99, CIM_PARAM_IN },
	};
	static const struct cim_param noname[] = {
		{ "", CIM_STRING, CIM_PARAM_IN },
	};
	struct cim_class *c = cim_class_new("root", "C");

	assert_non_null(c);
	assert_int_equal(cim_class_add_method(c, "M", CIM_SINT32, chain_params,
					      2), 0);
	assert_int_equal(cim_class_add_method(c, "m", CIM_UINT32, NULL, 0),
			 -EEXIST);
	assert_int_equal(cim_class_add_method(c, "A", CIM_UINT32, twice, 2),
			 -EEXIST);
	assert_int_equal(cim_class_add_method(c, "B", CIM_UINT32, rv, 1),
			 -EEXIST);
	assert_int_equal(cim_class_add_method(c, "C", CIM_UINT32, nodir, 1),
			 -EINVAL);
	assert_int_equal(cim_class_add_method(c, "D", CIM_UINT32, keyflag, 1),
			 -EINVAL);
	assert_int_equal(cim_class_add_method(c, "E", CIM_UINT32, badtype, 1),
			 -EINVAL);
	assert_int_equal(cim_class_add_method(c, "F", CIM_UINT32, noname, 1),
			 -EINVAL);
	assert_int_equal(cim_class_add_method(c, "G", (enum cim_type)99, NULL,
					      0), -EINVAL);
	assert_int_equal(cim_class_add_method(c, "", CIM_UINT32, NULL, 0),
			 -EINVAL);
	assert_int_equal(cim_class_add_method(c, NULL, CIM_UINT32, NULL, 0),
			 -EINVAL);
	assert_int_equal(cim_class_add_method(c, "H", CIM_UINT32, NULL, 1),
			 -EINVAL);
	/* nothing half-added */
	assert_int_equal(cim_class_method_count(c), 1);
	cim_class_free(c);
}

/* ReturnValue as the return type reads the bits; an array out parameter
 * may be empty without being null. */
static void test_method_output(void **state)
{
	static const char *const two[] = { "a", "b" };
	struct cim_class *c = cim_class_new("root", "C");
	const struct cim_method *m, *u;
	struct cim_instance *o, *other;
	const struct cim_value *v;

	assert_non_null(c);
	assert_int_equal(cim_class_add_method(c, "S", CIM_SINT32, chain_params,
					      2), 0);
	assert_int_equal(cim_class_add_method(c, "U", CIM_UINT32, NULL, 0), 0);
	assert_int_equal(cim_class_add_method(c, "B", CIM_UINT8, NULL, 0), 0);
	m = cim_class_find_method(c, "S");
	u = cim_class_find_method(c, "U");
	o = cim_instance_new(cim_method_output_class(m));
	assert_non_null(o);

	assert_int_equal(cim_method_set_return(m, o, 0x80041001u), 0);
	assert_string_equal(cim_instance_text(o, "ReturnValue"), "-2147217407");
	assert_int_equal(cim_method_set_return(m, o, 0), 0);
	assert_string_equal(cim_instance_text(o, "ReturnValue"), "0");
	/* an instance of another output class is refused */
	assert_int_equal(cim_method_set_return(u, o, 0), -EINVAL);

	other = cim_instance_new(cim_method_output_class(u));
	assert_int_equal(cim_method_set_return(u, other, 0x80041001u), 0);
	assert_string_equal(cim_instance_text(other, "ReturnValue"),
			    "2147749889");
	cim_instance_free(other);
	other = cim_instance_new(cim_method_output_class(
		cim_class_find_method(c, "B")));
	assert_int_equal(cim_method_set_return(cim_class_find_method(c, "B"),
					       other, 256), -ERANGE);
	assert_int_equal(cim_method_set_return(cim_class_find_method(c, "B"),
					       other, 255), 0);
	cim_instance_free(other);

	/* ChainedDPs: null until set, then an empty array, then two items */
	v = cim_instance_get(o, 0);
	assert_true(v->null);
	assert_int_equal(cim_instance_set_array(o, 0, NULL, 0), 0);
	v = cim_instance_get(o, 0);
	assert_false(v->null);
	assert_int_equal(v->count, 0);
	assert_int_equal(cim_instance_set_array(o, 0, two, 2), 0);
	v = cim_instance_get(o, 0);
	assert_int_equal(v->count, 2);
	assert_string_equal(v->items[1], "b");
	assert_ptr_not_equal(v->items[1], two[1]);
	assert_int_equal(cim_instance_set_array(o, 2, two, 2), -EINVAL);
	assert_int_equal(cim_instance_set_array(o, 0, NULL, 1), -EINVAL);
	other = cim_instance_clone(o);
	assert_int_equal(cim_instance_get(other, 0)->count, 2);
	cim_instance_free(other);
	cim_instance_free(o);
	cim_class_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_type_predicates),
		cmocka_unit_test(test_canon_integer_ranges),
		cmocka_unit_test(test_canon_integer_syntax),
		cmocka_unit_test(test_canon_boolean),
		cmocka_unit_test(test_canon_real),
		cmocka_unit_test(test_canon_datetime_iso),
		cmocka_unit_test(test_canon_datetime_dmtf),
		cmocka_unit_test(test_canon_strings),
		cmocka_unit_test(test_canon_misc),
		cmocka_unit_test(test_text_views),
		cmocka_unit_test(test_class),
		cmocka_unit_test(test_instance),
		cmocka_unit_test(test_instance_copies_text),
		cmocka_unit_test(test_clone_independent),
		cmocka_unit_test(test_empty_class),
		cmocka_unit_test(test_method_declaration),
		cmocka_unit_test(test_method_refusals),
		cmocka_unit_test(test_method_output),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
