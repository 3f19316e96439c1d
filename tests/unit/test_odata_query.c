/* Unit tests for simulator/odata_query: $filter (every operator, function
 * and literal form, quoting, precedence, null, arrays and any()), its
 * errors with positions and tokens, $select, $orderby, $top, $skip,
 * $count, the option rules (unknown, unsupported, repeated, custom), the
 * limits, and odata_query_apply. */
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
#include "odata_query.h"
#include "predicate.h"

enum { A = 1, B = 2, C = 4, D = 8, ALL = 15, NONE = 0 };
#define NINST 4

struct fixture {
	struct cim_class *cls;
	struct cim_instance *in[NINST];
};

static struct fixture *fx;

static void set(struct cim_instance *i, const char *name, const char *text)
{
	assert_int_equal(cim_instance_set_by_name(i, name, text), 0);
}

static void append(struct cim_instance *i, const char *name, const char *text)
{
	int idx = cim_class_find_property(cim_instance_class(i), name);

	assert_true(idx >= 0);
	assert_int_equal(cim_instance_append(i, (size_t)idx, text), 0);
}

static int setup(void **state)
{
	static const struct {
		const char *name;
		enum cim_type type;
		unsigned flags;
	} props[] = {
		{ "Name", CIM_STRING, CIM_PROP_KEY },	/* 0 */
		{ "MaintenanceMode", CIM_UINT32, 0 },	/* 1 */
		{ "IsPullDP", CIM_BOOLEAN, 0 },		/* 2 */
		{ "Priority", CIM_UINT32, 0 },		/* 3 */
		{ "Description", CIM_STRING, 0 },	/* 4 */
		{ "Tags", CIM_STRING, CIM_PROP_ARRAY },	/* 5 */
		{ "Ports", CIM_UINT32, CIM_PROP_ARRAY },	/* 6 */
		{ "Ratio", CIM_REAL64, 0 },		/* 7 */
		{ "LastSeen", CIM_DATETIME, 0 },	/* 8 */
		{ "Letter", CIM_CHAR16, 0 },		/* 9 */
		{ "Offset", CIM_SINT32, 0 },		/* 10 */
		{ "Flags", CIM_BOOLEAN, CIM_PROP_ARRAY },	/* 11 */
	};
	struct fixture *f = calloc(1, sizeof(*f));
	struct cim_instance *i;

	assert_non_null(f);
	f->cls = cim_class_new("root/test", "Test_DP");
	assert_non_null(f->cls);
	for (size_t k = 0; k < sizeof(props) / sizeof(props[0]); k++)
		assert_int_equal(cim_class_add_property(f->cls, props[k].name,
							props[k].type,
							props[k].flags),
				 (int)k);
	for (size_t k = 0; k < NINST; k++)
		assert_non_null(f->in[k] = cim_instance_new(f->cls));

	i = f->in[0];	/* A */
	set(i, "Name", "DP01.contoso.com");
	set(i, "MaintenanceMode", "0");
	set(i, "IsPullDP", "false");
	set(i, "Priority", "1");
	set(i, "Description", "Main DP");
	append(i, "Tags", "alpha");
	append(i, "Tags", "Beta");
	append(i, "Ports", "80");
	append(i, "Ports", "443");
	set(i, "Ratio", "1.5");
	set(i, "LastSeen", "2024-05-01T10:00:00Z");
	set(i, "Letter", "x");
	set(i, "Offset", "-5");
	append(i, "Flags", "true");

	i = f->in[1];	/* B */
	set(i, "Name", "O'Brien's DP");
	set(i, "MaintenanceMode", "1");
	set(i, "IsPullDP", "true");
	set(i, "Priority", "3");
	append(i, "Tags", "gamma");
	append(i, "Ports", "8080");
	set(i, "Ratio", "-2000");
	set(i, "LastSeen", "2024-06-01T00:00:00Z");
	set(i, "Letter", "Y");
	set(i, "Offset", "7");
	append(i, "Flags", "false");

	i = f->in[2];	/* C */
	set(i, "Name", "PULLDP01.contoso.com");
	set(i, "MaintenanceMode", "0");
	set(i, "IsPullDP", "true");
	set(i, "Priority", "2");
	set(i, "Description", "Pull DP");
	set(i, "Offset", "0");

	i = f->in[3];	/* D */
	set(i, "Name", "CLOUD.cloudapp.net");
	set(i, "MaintenanceMode", "0");
	set(i, "IsPullDP", "false");
	set(i, "Description", "Cloud");
	append(i, "Tags", "beta");
	set(i, "LastSeen", "2023-12-31T23:59:59Z");

	fx = f;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (size_t k = 0; k < NINST; k++)
		cim_instance_free(f->in[k]);
	cim_class_free(f->cls);
	free(f);
	return 0;
}

/* Parses name=value pairs (NULL-terminated list of pairs). */
static int parse(struct odata_query **q, struct odata_error *err, ...)
{
	struct odata_option opts[16];
	size_t n = 0;
	va_list ap;

	va_start(ap, err);
	while (n < 16 && (opts[n].name = va_arg(ap, const char *))) {
		opts[n].value = va_arg(ap, const char *);
		n++;
	}
	va_end(ap);
	return odata_query_parse(fx->cls, opts, n, q, err);
}

/* The instances (A..D) that $filter=text keeps. */
static unsigned filter_mask(const char *text)
{
	struct odata_query *q = NULL;
	struct odata_error err;
	struct odata_result r;
	unsigned m = 0;

	if (parse(&q, &err, "$filter", text, NULL))
		fail_msg("$filter=%s: %s", text, err.message);
	assert_int_equal(odata_query_apply(q, fx->in, NINST, &r), 0);
	for (size_t i = 0; i < r.count; i++)
		for (size_t k = 0; k < NINST; k++)
			if (r.items[i] == fx->in[k])
				m |= 1u << k;
	assert_int_equal(r.matched, r.count);
	odata_result_free(&r);
	odata_query_free(q);
	return m;
}

static void test_filter(void **state)
{
	static const struct {
		const char *filter;
		unsigned want;
	} cases[] = {
		/* eq ne gt ge lt le on strings, ignoring case as WQL */
		{ "Name eq 'DP01.contoso.com'", A },
		{ "Name eq 'dp01.CONTOSO.com'", A },
		{ "Name ne 'DP01.contoso.com'", B | C | D },
		{ "Name gt 'D'", A | B | C },
		{ "Name ge 'pulldp01.contoso.com'", C },
		{ "Name lt 'd'", D },
		{ "Name le 'DP01.contoso.com'", A | D },
		/* quoting: '' is one quote */
		{ "Name eq 'O''Brien''s DP'", B },
		{ "contains(Name,'''')", B },
		{ "Name eq ''", NONE },
		/* numbers */
		{ "MaintenanceMode eq 1", B },
		{ "MaintenanceMode eq 1.0", B },
		{ "MaintenanceMode eq 10e-1", B },
		{ "MaintenanceMode ne 1", A | C | D },
		{ "MaintenanceMode gt 0", B },
		{ "MaintenanceMode ge 0", ALL },
		{ "MaintenanceMode lt -1", NONE },
		{ "MaintenanceMode lt 4294967296", NONE },
		{ "Priority le 2", A | C },
		{ "Priority gt 1e0", B | C },
		{ "Offset lt 0", A },
		{ "Offset ge -5", A | B | C },
		{ "Ratio lt 0", B },
		{ "Ratio eq 1.5", A },
		{ "Ratio ge -2000", A | B },
		/* booleans */
		{ "IsPullDP", B | C },
		{ "IsPullDP eq true", B | C },
		{ "IsPullDP eq false", A | D },
		{ "IsPullDP ne true", A | D },
		{ "not IsPullDP", A | D },
		{ "IsPullDP lt true", A | D },
		/* date-times: the offset is needed, the seconds are not */
		{ "LastSeen gt 2024-05-01T10:00:00Z", B },
		{ "LastSeen ge 2024-05-01T10:00Z", A | B },
		{ "LastSeen lt 2024-01-01T00:00:00Z", D },
		{ "LastSeen eq 2024-05-01T10:00:00Z", A },
		/* char16 */
		{ "Letter eq 'X'", A },
		{ "Letter gt 'x'", B },
		/* null */
		{ "Description eq null", B },
		{ "Description ne null", A | C | D },
		{ "null eq Description", B },
		{ "Description ne 'Main DP'", C | D },
		{ "not (Description eq 'Main DP')", C | D },
		{ "not (Description ne null)", B },
		/* string functions */
		{ "startswith(Name,'dp')", A },
		{ "startswith(Name,'DP') eq true", A },
		{ "startswith(Name,'DP') eq false", B | C | D },
		{ "startswith(Name,'DP') ne false", A },
		{ "true eq startswith(Name,'DP')", A },
		{ "not startswith(Name,'DP')", B | C | D },
		{ "endswith(Name,'.CONTOSO.COM')", A | C },
		{ "contains(Name,'dp0')", A | C },
		{ "contains(Description,'DP')", A | C },
		{ "not contains(Description,'DP')", D },
		{ "startswith(Name,'')", ALL },
		{ "tolower(Name) eq 'cloud.cloudapp.net'", D },
		{ "toupper(Name) eq 'cloud.cloudapp.net'", D },
		{ "startswith(tolower(Name),'PULL')", C },
		{ "toupper(tolower(Letter)) eq 'y'", B },
		/* arrays */
		{ "Tags/any(t: t eq 'beta')", A | D },
		{ "Tags/any(t:t eq 'gamma')", B },
		{ "Tags/any(t: t eq 'alpha' and t eq 'beta')", NONE },
		{ "Tags/any(t: t eq 'alpha') and Tags/any(t: t eq 'beta')", A },
		{ "Tags/any(t: startswith(t,'g') or t eq 'alpha')", A | B },
		{ "Tags/any(t: not (t eq 'alpha'))", A | B | D },
		{ "Tags/any()", A | B | D },
		{ "not Tags/any()", C },
		{ "not Tags/any(t: t eq 'beta')", B | C },
		{ "Ports/any(p: p gt 1000)", B },
		{ "Ports/any(p: p gt 100 and MaintenanceMode eq 0)", A },
		{ "Ports/any(p: 443 eq p)", A },
		{ "Flags/any(f: f)", A },
		{ "Flags/any(f: not f)", B },
		{ "Flags/any(f: f eq false)", B },
		{ "Tags/any(t: Ports/any(p: p eq 443) and t eq 'Beta')", A },
		{ "Tags/any(t: t eq null)", NONE },
		{ "Tags/any(t: tolower(t) eq 'BETA')", A | D },
		/* precedence and grouping */
		{ "Name eq 'x' or MaintenanceMode eq 1 and IsPullDP", B },
		{ "Name eq 'CLOUD.cloudapp.net' or MaintenanceMode eq 1 and IsPullDP",
		  B | D },
		{ "(Name eq 'CLOUD.cloudapp.net' or MaintenanceMode eq 1) and IsPullDP",
		  B },
		{ "not IsPullDP and MaintenanceMode eq 0", A | D },
		{ "not (IsPullDP and MaintenanceMode eq 0)", A | B | D },
		{ "not not IsPullDP", B | C },
		{ "1 lt Priority", B | C },
		{ "2 ge Priority", A | C },
		{ "'DP01.contoso.com' eq Name", A },
		{ "Name eq 'DP01.contoso.com' eq true", A },
		{ "(Name eq 'DP01.contoso.com') ne true", B | C | D },
		{ "((((MaintenanceMode eq 1))))", B },
		{ "(Name) eq 'DP01.contoso.com'", A },
		{ " Name  eq\t'DP01.contoso.com' ", A },
		{ "IsPullDP and Priority ge 3 or Offset eq -5", A | B },
		/* WQL's three-valued logic: a comparison with NULL is unknown */
		{ "Priority ne 1", B | C },
		{ "not (Priority eq 1)", B | C },
		{ "Priority eq 1 or not (Priority eq 1)", A | B | C },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned got = filter_mask(cases[i].filter);

		if (got != cases[i].want)
			fail_msg("$filter=%s: matched %#x, expected %#x",
				 cases[i].filter, got, cases[i].want);
	}
}

struct error_case {
	const char *option;
	const char *value;
	size_t pos;
	const char *token;
	const char *text;	/* a part of the message */
};

static void check_error(const struct error_case *c)
{
	struct odata_query *q = (struct odata_query *)1;
	struct odata_error err;
	char prefix[96];
	int r;

	memset(&err, 'x', sizeof(err));
	r = parse(&q, &err, c->option, c->value, NULL);
	if (r != -EINVAL)
		fail_msg("%s=%s: returned %d, not -EINVAL", c->option,
			 c->value ? c->value : "(none)", r);
	assert_null(q);
	if (err.pos != c->pos || strcmp(err.token, c->token) ||
	    !strstr(err.message, c->text))
		fail_msg("%s=%s: got position %zu, token '%s', message \"%s\"; "
			 "expected %zu, '%s', \"...%s...\"", c->option,
			 c->value ? c->value : "(none)", err.pos, err.token,
			 err.message, c->pos, c->token, c->text);
	assert_string_equal(err.option, c->option);
	/* the message says where, so that it stands alone in a 400 */
	if (c->pos) {
		snprintf(prefix, sizeof(prefix), "%s at position %zu: ",
			 c->option, c->pos);
		if (strncmp(err.message, prefix, strlen(prefix)))
			fail_msg("\"%s\" does not start with \"%s\"",
				 err.message, prefix);
	}
	assert_null(strchr(err.message, '\n'));
}

static void test_filter_errors(void **state)
{
	static const struct error_case cases[] = {
		{ "$filter", "Name EQ 'x'", 6, "EQ",
		  "expected and, or, an operator or the end of $filter but found 'EQ' (OData keywords are lower case: 'eq')" },
		{ "$filter", "name eq 'x'", 1, "name",
		  "no property 'name' in class Test_DP (property names are case-sensitive: 'Name')" },
		{ "$filter", "Nmae eq 'x'", 1, "Nmae",
		  "no property 'Nmae' in class Test_DP" },
		{ "$filter", "MaintenanceMode eq '1'", 20, "'1'",
		  "'MaintenanceMode' (a uint32 property) cannot be compared with '1' (a string); write numbers without quotes" },
		{ "$filter", "Name eq 1", 9, "1",
		  "cannot be compared with '1' (a number); write strings in single quotes" },
		{ "$filter", "IsPullDP eq 1", 13, "1", "write true or false" },
		{ "$filter", "LastSeen gt '2024-05-01T10:00:00Z'", 13,
		  "'2024-05-01T10:00:00Z'", "write a date-time such as" },
		{ "$filter", "Ratio eq true", 10, "true",
		  "'Ratio' (a real64 property) cannot be compared with 'true' (a boolean)" },
		{ "$filter", "Name eq 'abc", 9, "'",
		  "unterminated string literal" },
		{ "$filter", "Name eq 'O'Brien'", 12, "Brien",
		  "but found 'Brien'" },
		{ "$filter", "(Name eq 'x'", 13, "",
		  "expected ')' to close the '(' at position 1 but found the end of $filter" },
		{ "$filter", "Name eq 'x')", 12, ")",
		  "expected and, or, an operator or the end of $filter but found ')'" },
		{ "$filter", "Name eq", 8, "",
		  "expected a property, a value, a function or '(' but found the end of $filter" },
		{ "$filter", "Name eq 'x' and", 16, "", "the end of $filter" },
		{ "$filter", "Name eq 'x' AND IsPullDP", 13, "AND",
		  "(OData keywords are lower case: 'and')" },
		{ "$filter", "Name eq and", 9, "and",
		  "expected a property, a value, a function or '(' but found 'and'" },
		{ "$filter", "Tags eq 'a'", 1, "Tags",
		  "'Tags' (an array of string) cannot be compared as a whole; test its items with Tags/any(x: x eq ...)" },
		{ "$filter", "Tags", 1, "Tags", "test its items with Tags/any" },
		{ "$filter", "Name/any(x: x eq 'a')", 1, "Name",
		  "is not an array; any() needs an array property" },
		{ "$filter", "Tags/all(x: x eq 'a')", 6, "all",
		  "all() is not supported" },
		{ "$filter", "Tags/Length eq 1", 6, "Length",
		  "paths with '/' are not supported" },
		{ "$filter", "Tags/any(t: t/x eq 1)", 15, "x",
		  "paths with '/' are not supported" },
		{ "$filter", "length(Name) eq 3", 1, "length",
		  "the function 'length' is not supported" },
		{ "$filter", "StartsWith(Name,'a')", 1, "StartsWith",
		  "unknown function 'StartsWith' (OData keywords are lower case: 'startswith')" },
		{ "$filter", "frobnicate(Name)", 1, "frobnicate",
		  "unknown function 'frobnicate'" },
		{ "$filter", "substringof('a',Name)", 1, "substringof",
		  "write contains(Property, 'text')" },
		{ "$filter", "startswith(MaintenanceMode,'1')", 12,
		  "MaintenanceMode",
		  "startswith takes a string property, not 'MaintenanceMode' (a uint32 property)" },
		{ "$filter", "startswith('abc',Name)", 12, "'abc'",
		  "startswith takes a string property, not 'abc' (a string)" },
		{ "$filter", "contains(Tags,'a')", 10, "Tags",
		  "contains takes a string property, not 'Tags' (an array of string)" },
		{ "$filter", "startswith(Name, Description)", 18, "Description",
		  "startswith takes a string in single quotes second" },
		{ "$filter", "startswith(Name)", 16, ")",
		  "expected ',' and a second argument but found ')'" },
		{ "$filter", "tolower(Name,'a') eq 'x'", 13, ",",
		  "expected ')' after the arguments but found ','" },
		{ "$filter", "tolower(Priority) eq 1", 9, "Priority",
		  "tolower takes a string property" },
		{ "$filter", "MaintenanceMode in (1,2)", 17, "in",
		  "the operator in is not supported" },
		{ "$filter", "Priority add 1 eq 2", 10, "add",
		  "the operator add is not supported" },
		{ "$filter", "Name eq MaintenanceMode", 6, "eq",
		  "comparing two properties or conditions is not supported" },
		{ "$filter", "'a' eq 'b'", 5, "eq",
		  "compares two constants; one side must be a property" },
		{ "$filter", "Name", 1, "Name",
		  "'Name' (a string property) is not a condition; compare it with a value" },
		{ "$filter", "'abc'", 1, "'abc'",
		  "'abc' (a string) is not a condition" },
		{ "$filter", "null", 1, "null", "null is not a condition" },
		{ "$filter", "not Name eq 'x'", 1, "not",
		  "not applies to Name alone, which is not a condition; put the comparison in parentheses" },
		{ "$filter", "Name gt null", 6, "gt",
		  "null can only be compared with eq or ne, not gt" },
		{ "$filter", "startswith(Name,'a') gt true", 22, "gt",
		  "a condition can only be compared with true or false, using eq or ne" },
		{ "$filter", "startswith(Name,'a') eq null", 22, "eq",
		  "a condition can only be compared with true or false" },
		{ "$filter", "Name eq \"x\"", 9, "\"",
		  "unexpected character '\"' (string literals take single quotes)" },
		{ "$filter", "Name = 'x'", 6, "=",
		  "unexpected character '=' (write eq for =)" },
		{ "$filter", "Name eq @p", 9, "@",
		  "parameter aliases are not supported" },
		{ "$filter", "Priority eq -Offset", 13, "-",
		  "arithmetic is not supported" },
		{ "$filter", "LastSeen eq datetime'2024-05-01T10:00:00Z'", 13,
		  "datetime", "typed literals such as datetime'...' are not supported" },
		{ "$filter", "LastSeen gt 2024-05-01", 13, "2024-05-01",
		  "'2024-05-01' is not a date-time: write the time and the offset too" },
		{ "$filter", "LastSeen gt 2024-05-01T10:00:00", 13,
		  "2024-05-01T10:00:00", "malformed number or date-time" },
		{ "$filter", "LastSeen gt 2024-02-30T10:00Z", 13,
		  "2024-02-30T10:00Z", "'2024-02-30T10:00Z' is not a valid date-time" },
		{ "$filter", "LastSeen gt 2024-05-01T24:00:00+01:00", 13,
		  "2024-05-01T24:00:00+01:00", "is not a valid date-time" },
		{ "$filter", "LastSeen gt 2024-05-01T10:00:00+15:00", 13,
		  "2024-05-01T10:00:00+15:00", "is not a valid date-time" },
		{ "$filter", "Priority eq 1.5e", 13, "1.5e",
		  "malformed number or date-time '1.5e'" },
		{ "$filter", "Priority eq 12abc", 13, "12abc",
		  "malformed number" },
		{ "$filter", "$it eq 'x'", 1, "$it", "'$it' is not supported" },
		{ "$filter", "Tags/any(t: Tags/any(t: t eq 'a'))", 22, "t",
		  "the range variable is already in use by an enclosing any()" },
		{ "$filter", "Tags/any(eq: eq eq 'a')", 10, "eq",
		  "expected a range variable name" },
		{ "$filter", "Tags/any(t t eq 'a')", 12, "t",
		  "expected ':' after the range variable but found 't'" },
		{ "$filter", "Tags/any(t: t eq 'a'", 21, "",
		  "expected ')' to close any(" },
		{ "$filter", "Tags/any(t: t)", 13, "t",
		  "'t' (an item of Tags, a string) is not a condition" },
		{ "$filter", "Tags/any", 9, "", "expected '(' after any" },
		/* positions count characters, not bytes */
		{ "$filter", "Name eq '\xc3\xa9' and Bad eq 1", 17, "Bad",
		  "no property 'Bad'" },
		{ "$filter", "Name eq 'x' \xc3\xa9", 13, "\xc3\xa9",
		  "unexpected character outside a string literal" },
		/* bytes that are not text are shown as '?' */
		{ "$filter", "Name eq 'x'\x01", 12, "?",
		  "unexpected byte 0x01" },
		{ "$filter", "MaintenanceMode eq '\xff'", 20, "'?'",
		  "cannot be compared with '?' (a string)" },
		{ "$filter", "Name eq 'x' \xff", 13, "?", "unexpected byte 0xff" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_error(&cases[i]);
}

static void test_option_errors(void **state)
{
	static const struct error_case cases[] = {
		{ "$select", "Name,Nope", 6, "Nope",
		  "no property 'Nope' in class Test_DP" },
		{ "$select", "Name,,IsPullDP", 6, "", "expected a property name" },
		{ "$select", "Name,", 6, "", "expected a property name" },
		{ "$select", "name", 1, "name", "property names are case-sensitive" },
		{ "$select", "Tags/x", 1, "Tags/x", "paths with '/' are not supported" },
		{ "$select", "tolower(Name)", 1, "tolower(Name)",
		  "expressions are not supported" },
		{ "$select", "Name IsPullDP", 1, "Name IsPullDP",
		  "$select takes property names only" },
		{ "$select", "Name;IsPullDP", 5, ";",
		  "expected a property name, ',' or the end of $select" },
		{ "$orderby", "Name DESC", 6, "DESC",
		  "expected asc, desc, ',' or the end of $orderby (OData keywords are lower case: 'desc')" },
		{ "$orderby", "Name sideways", 6, "sideways",
		  "expected asc, desc, ',' or the end of $orderby" },
		{ "$orderby", "Name desc, Name", 12, "Name",
		  "Name is ordered by twice" },
		{ "$orderby", "Tags", 1, "Tags", "cannot order by Tags: it is an array" },
		{ "$orderby", "Nope desc", 1, "Nope", "no property 'Nope'" },
		{ "$orderby", "tolower(Name)", 1, "tolower(Name)",
		  "expressions are not supported" },
		{ "$top", "-1", 1, "-1", "'-1' is not a whole number of zero or more" },
		{ "$top", "1e3", 1, "1e3", "is not a whole number" },
		{ "$top", " 5", 1, " 5", "is not a whole number" },
		{ "$top", "9223372036854775808", 1, "9223372036854775808",
		  "is larger than 9223372036854775807" },
		{ "$skip", "x", 1, "x", "'x' is not a whole number" },
		{ "$count", "True", 1, "True", "expected true or false but found 'True'" },
		{ "$count", "1", 1, "1", "expected true or false" },
		/* the option as a whole: position 0, the name as token */
		{ "$Filter", "Name eq 'x'", 0, "$Filter",
		  "unknown query option '$Filter' (query option names are lower case: $filter)" },
		{ "$foo", "1", 0, "$foo", "unknown query option '$foo'" },
		{ "$expand", "x", 0, "$expand",
		  "the query option $expand is not supported" },
		{ "$search", "x", 0, "$search", "not supported" },
		{ "$format", "json", 0, "$format", "not supported" },
		{ "$filter", "", 0, "$filter", "the query option $filter has no value" },
		{ "$top", NULL, 0, "$top", "the query option $top has no value" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		check_error(&cases[i]);
}

static void test_repeated_and_custom_options(void **state)
{
	struct odata_query *q = NULL;
	struct odata_error err;
	struct odata_result r;

	(void)state;
	assert_int_equal(parse(&q, &err, "$top", "1", "$top", "2", NULL),
			 -EINVAL);
	assert_null(q);
	assert_int_equal(err.pos, 0);
	assert_string_equal(err.token, "$top");
	assert_string_equal(err.message,
			    "the query option $top is given more than once");
	/* refused before anything is parsed: the bad $filter is not
	 * reported, the repetition is */
	assert_int_equal(parse(&q, &err, "$filter", "bad bad", "$skip", "1",
			       "$skip", "1", NULL), -EINVAL);
	assert_string_equal(err.token, "$skip");
	/* names without '$' are the client's own and ignored */
	assert_int_equal(parse(&q, &err, "api-version", "1.0", "foo", NULL,
			       "filter", "garbage", "$top", "2", NULL), 0);
	assert_int_equal(odata_query_apply(q, fx->in, NINST, &r), 0);
	assert_int_equal(r.count, 2);
	assert_int_equal(r.matched, NINST);
	odata_result_free(&r);
	odata_query_free(q);
	/* a NULL err is allowed */
	assert_int_equal(parse(&q, NULL, "$top", "x", NULL), -EINVAL);
	assert_null(q);
}

/* The Name of each item of r, joined by spaces. */
static void names(const struct odata_result *r, char *buf, size_t n)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->count; i++)
		o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? " " : "",
				      cim_instance_text(r->items[i], "Name"));
}

/* Applies the options to A..D; the names in answer order into buf. */
static void apply(char *buf, size_t n, struct odata_result *out, ...)
{
	struct odata_option opts[8];
	struct odata_query *q = NULL;
	struct odata_error err;
	struct odata_result r;
	size_t k = 0;
	va_list ap;

	va_start(ap, out);
	while (k < 8 && (opts[k].name = va_arg(ap, const char *))) {
		opts[k].value = va_arg(ap, const char *);
		k++;
	}
	va_end(ap);
	if (odata_query_parse(fx->cls, opts, k, &q, &err))
		fail_msg("%s", err.message);
	assert_int_equal(odata_query_apply(q, fx->in, NINST, &r), 0);
	names(&r, buf, n);
	if (out)
		*out = r;
	else
		odata_result_free(&r);
	odata_query_free(q);
}

static void test_orderby(void **state)
{
	char buf[256];

	(void)state;
	apply(buf, sizeof(buf), NULL, NULL);
	assert_string_equal(buf, "DP01.contoso.com O'Brien's DP "
			    "PULLDP01.contoso.com CLOUD.cloudapp.net");
	/* strings ignoring case */
	apply(buf, sizeof(buf), NULL, "$orderby", "Name", NULL);
	assert_string_equal(buf, "CLOUD.cloudapp.net DP01.contoso.com "
			    "O'Brien's DP PULLDP01.contoso.com");
	apply(buf, sizeof(buf), NULL, "$orderby", "Name desc", NULL);
	assert_string_equal(buf, "PULLDP01.contoso.com O'Brien's DP "
			    "DP01.contoso.com CLOUD.cloudapp.net");
	/* stable: equal keys keep their input order */
	apply(buf, sizeof(buf), NULL, "$orderby", "MaintenanceMode", NULL);
	assert_string_equal(buf, "DP01.contoso.com PULLDP01.contoso.com "
			    "CLOUD.cloudapp.net O'Brien's DP");
	apply(buf, sizeof(buf), NULL, "$orderby", "MaintenanceMode desc",
	      NULL);
	assert_string_equal(buf, "O'Brien's DP DP01.contoso.com "
			    "PULLDP01.contoso.com CLOUD.cloudapp.net");
	/* several keys */
	apply(buf, sizeof(buf), NULL, "$orderby",
	      "MaintenanceMode asc, Name desc", NULL);
	assert_string_equal(buf, "PULLDP01.contoso.com DP01.contoso.com "
			    "CLOUD.cloudapp.net O'Brien's DP");
	apply(buf, sizeof(buf), NULL, "$orderby", "IsPullDP,Offset desc", NULL);
	assert_string_equal(buf, "DP01.contoso.com CLOUD.cloudapp.net "
			    "O'Brien's DP PULLDP01.contoso.com");
	/* numbers by value; NULL first ascending, last descending */
	apply(buf, sizeof(buf), NULL, "$orderby", "Priority", NULL);
	assert_string_equal(buf, "CLOUD.cloudapp.net DP01.contoso.com "
			    "PULLDP01.contoso.com O'Brien's DP");
	apply(buf, sizeof(buf), NULL, "$orderby", "Ratio desc", NULL);
	assert_string_equal(buf, "DP01.contoso.com O'Brien's DP "
			    "PULLDP01.contoso.com CLOUD.cloudapp.net");
	apply(buf, sizeof(buf), NULL, "$orderby", "LastSeen", NULL);
	assert_string_equal(buf, "PULLDP01.contoso.com CLOUD.cloudapp.net "
			    "DP01.contoso.com O'Brien's DP");
	/* with a filter */
	apply(buf, sizeof(buf), NULL, "$filter", "MaintenanceMode eq 0",
	      "$orderby", "Description desc", NULL);
	assert_string_equal(buf, "PULLDP01.contoso.com DP01.contoso.com "
			    "CLOUD.cloudapp.net");
}

static void test_paging_and_count(void **state)
{
	struct odata_query *q = NULL;
	struct odata_result r;
	uint64_t top = 0;
	char buf[256];

	(void)state;
	apply(buf, sizeof(buf), &r, "$orderby", "Name", "$skip", "1", "$top",
	      "2", NULL);
	assert_string_equal(buf, "DP01.contoso.com O'Brien's DP");
	assert_int_equal(r.matched, 4);
	odata_result_free(&r);
	/* the order of the options in the query string does not matter */
	apply(buf, sizeof(buf), &r, "$top", "2", "$skip", "1", "$orderby",
	      "Name", NULL);
	assert_string_equal(buf, "DP01.contoso.com O'Brien's DP");
	odata_result_free(&r);
	apply(buf, sizeof(buf), &r, "$filter", "MaintenanceMode eq 0",
	      "$skip", "5", "$count", "true", NULL);
	assert_string_equal(buf, "");
	assert_int_equal(r.count, 0);
	assert_int_equal(r.matched, 3);
	odata_result_free(&r);
	apply(buf, sizeof(buf), &r, "$top", "0", NULL);
	assert_int_equal(r.count, 0);
	assert_int_equal(r.matched, 4);
	odata_result_free(&r);
	apply(buf, sizeof(buf), &r, "$top", "9223372036854775807", "$skip",
	      "0003", NULL);
	assert_string_equal(buf, "CLOUD.cloudapp.net");
	odata_result_free(&r);

	assert_int_equal(parse(&q, NULL, "$count", "true", "$top", "7",
			       "$skip", "2", NULL), 0);
	assert_true(odata_query_count(q));
	assert_true(odata_query_top(q, &top));
	assert_int_equal(top, 7);
	assert_int_equal(odata_query_skip(q), 2);
	assert_null(odata_query_filter(q));
	odata_query_free(q);
	assert_int_equal(parse(&q, NULL, "$count", "false", NULL), 0);
	assert_false(odata_query_count(q));
	assert_false(odata_query_top(q, &top));
	assert_int_equal(odata_query_skip(q), 0);
	odata_query_free(q);
}

/* The property names r says to write, joined by commas. */
static void props(const struct odata_result *r, char *buf, size_t n)
{
	size_t o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < r->nprops; i++)
		o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? "," : "",
				      cim_class_property(fx->cls,
							 r->props[i])->name);
}

static void test_select(void **state)
{
	static const struct {
		const char *select;	/* NULL: no $select */
		const char *want;
	} cases[] = {
		{ "Name,MaintenanceMode", "Name,MaintenanceMode" },
		/* class order, whatever the request's */
		{ "MaintenanceMode,Name", "Name,MaintenanceMode" },
		{ " Flags , Name ", "Name,Flags" },
		{ "Name,Name", "Name" },
		{ "Tags", "Tags" },
		{ "*", NULL },
		{ "Name,*", NULL },
	};
	char buf[256], all[512];
	struct odata_result r;

	(void)state;
	apply(buf, sizeof(buf), &r, NULL);
	props(&r, all, sizeof(all));
	assert_string_equal(all, "Name,MaintenanceMode,IsPullDP,Priority,"
			    "Description,Tags,Ports,Ratio,LastSeen,Letter,"
			    "Offset,Flags");
	odata_result_free(&r);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		apply(buf, sizeof(buf), &r, "$select", cases[i].select, NULL);
		props(&r, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].want ? cases[i].want : all);
		assert_int_equal(r.count, NINST);
		odata_result_free(&r);
	}
}

static void test_filter_is_a_bound_predicate(void **state)
{
	struct odata_query *q = NULL;
	struct predicate_term t[4];
	size_t n;
	const struct odata_order *o;

	(void)state;
	assert_int_equal(parse(&q, NULL, "$filter",
			       "Name eq 'DP01.contoso.com' and startswith(Description,'M') and not IsPullDP",
			       "$orderby", "Priority desc,Name", NULL), 0);
	/* what an index (issue 14) would see */
	assert_int_equal(predicate_terms(odata_query_filter(q), t, 4), 2);
	assert_string_equal(t[0].prop, "Name");
	assert_int_equal(t[0].kind, PREDICATE_TERM_EQUAL);
	assert_string_equal(t[1].prop, "Description");
	assert_int_equal(t[1].kind, PREDICATE_TERM_PREFIX);
	o = odata_query_orderby(q, &n);
	assert_int_equal(n, 2);
	assert_int_equal(o[0].prop, 3);
	assert_true(o[0].desc);
	assert_int_equal(o[1].prop, 0);
	assert_false(o[1].desc);
	assert_true(predicate_match(odata_query_filter(q), fx->in[0]));
	assert_false(predicate_match(odata_query_filter(q), fx->in[2]));
	odata_query_free(q);
}

/* text repeated n times, then mid, then tail n times, as a new string. */
static char *nested(const char *head, size_t n, const char *mid,
		    const char *tail)
{
	size_t hl = strlen(head), ml = strlen(mid), tl = strlen(tail);
	char *s = malloc(hl * n + ml + tl * n + 1), *p = s;

	assert_non_null(s);
	for (size_t i = 0; i < n; i++, p += hl)
		memcpy(p, head, hl);
	memcpy(p, mid, ml);
	p += ml;
	for (size_t i = 0; i < n; i++, p += tl)
		memcpy(p, tail, tl);
	*p = '\0';
	return s;
}

static void test_limits(void **state)
{
	struct odata_query *q = NULL;
	struct odata_error err;
	char *s;
	size_t len;

	(void)state;
	/* 64 levels of anything that nests are fine, 65 are not */
	s = nested("(", 64, "IsPullDP", ")");
	assert_int_equal(filter_mask(s), B | C);
	free(s);
	s = nested("(", 65, "IsPullDP", ")");
	assert_int_equal(parse(&q, &err, "$filter", s, NULL), -EINVAL);
	assert_int_equal(err.pos, 65);
	assert_non_null(strstr(err.message, "nested deeper than 64 levels"));
	free(s);
	s = nested("not ", 64, "IsPullDP", "");
	assert_int_equal(filter_mask(s), B | C);
	free(s);
	s = nested("not ", 65, "IsPullDP", "");
	assert_int_equal(parse(&q, &err, "$filter", s, NULL), -EINVAL);
	assert_int_equal(err.pos, 257);
	free(s);
	s = nested("tolower(", 65, "Name", ") eq 'x'");
	assert_int_equal(parse(&q, &err, "$filter", s, NULL), -EINVAL);
	assert_non_null(strstr(err.message, "nested deeper"));
	free(s);
	/* a long chain is a wide node, not a deep one */
	s = nested("Priority eq 9 or ", 3000, "MaintenanceMode eq 1", "");
	assert_int_equal(filter_mask(s), B);
	free(s);
	/* 64 KiB of value, and not a byte more */
	len = 65536;
	s = malloc(len + 2);
	assert_non_null(s);
	memset(s, ' ', len + 1);
	memcpy(s, "IsPullDP", 8);
	s[len] = '\0';
	assert_int_equal(filter_mask(s), B | C);
	s[len] = ' ';
	s[len + 1] = '\0';
	assert_int_equal(parse(&q, &err, "$filter", s, NULL), -EINVAL);
	assert_int_equal(err.pos, 0);
	assert_string_equal(err.message,
			    "the value of $filter is longer than 65536 bytes");
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_filter_errors),
		cmocka_unit_test(test_option_errors),
		cmocka_unit_test(test_repeated_and_custom_options),
		cmocka_unit_test(test_orderby),
		cmocka_unit_test(test_paging_and_count),
		cmocka_unit_test(test_select),
		cmocka_unit_test(test_filter_is_a_bound_predicate),
		cmocka_unit_test(test_limits),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
