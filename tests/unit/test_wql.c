/* Unit tests for simulator/wql: parsing, errors, check, matching, LIKE. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cim.h"
#include "wql.h"

/* The raw NAL path of DP01 as the provider stores it
 * (docs/configmgr-domain.md, NAL paths):
 * ["Display=\\DP01.contoso.com\"]MSWNET:["SMS_SITE=PS1"]\\DP01.contoso.com\ */
#define NAL_DP01 "[\"Display=\\\\DP01.contoso.com\\\"]MSWNET:" \
		 "[\"SMS_SITE=PS1\"]\\\\DP01.contoso.com\\"
#define NAL_DP02 "[\"Display=\\\\dp02.contoso.com\\\"]MSWNET:" \
		 "[\"SMS_SITE=PS1\"]\\\\dp02.contoso.com\\"
#define NAL_DP03 "[\"Display=\\\\DP03.fabrikam.com\\\"]MSWNET:" \
		 "[\"SMS_SITE=PS2\"]\\\\DP03.fabrikam.com\\"

enum { DP1 = 1, DP2 = 2, DP3 = 4, ALL = 7, NONE = 0 };

struct fixture {
	struct cim_class *cls;
	struct cim_instance *dp[3];
};

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
		{ "NALPath", CIM_STRING, CIM_PROP_KEY },
		{ "Name", CIM_STRING, 0 },
		{ "SiteCode", CIM_STRING, CIM_PROP_KEY },
		{ "ResourceType", CIM_STRING, CIM_PROP_KEY },
		{ "MaintenanceMode", CIM_UINT32, 0 },
		{ "IsPullDP", CIM_BOOLEAN, 0 },
		{ "Offset", CIM_SINT32, 0 },
		{ "Ratio", CIM_REAL64, 0 },
		{ "LastSeen", CIM_DATETIME, 0 },
		{ "Tags", CIM_STRING, CIM_PROP_ARRAY },
		{ "Ports", CIM_UINT32, CIM_PROP_ARRAY },
		{ "Description", CIM_STRING, 0 },
		{ "Big", CIM_UINT64, 0 },
		{ "Small", CIM_SINT8, 0 },
		{ "Letter", CIM_CHAR16, 0 },
		{ "Owner", CIM_STRING, 0 },
	};
	struct fixture *f = calloc(1, sizeof(*f));
	struct cim_instance *i;
	size_t k;

	assert_non_null(f);
	f->cls = cim_class_new("root/sms/site_PS1",
			       "SMS_DistributionPointInfo");
	assert_non_null(f->cls);
	for (k = 0; k < sizeof(props) / sizeof(props[0]); k++)
		assert_int_equal(cim_class_add_property(f->cls, props[k].name,
							props[k].type,
							props[k].flags),
				 (int)k);
	for (k = 0; k < 3; k++) {
		f->dp[k] = cim_instance_new(f->cls);
		assert_non_null(f->dp[k]);
		set(f->dp[k], "ResourceType", "Windows NT Server");
	}

	i = f->dp[0];
	set(i, "NALPath", NAL_DP01);
	set(i, "Name", "DP01.contoso.com");
	set(i, "SiteCode", "PS1");
	set(i, "MaintenanceMode", "0");
	set(i, "IsPullDP", "false");
	set(i, "Offset", "-5");
	set(i, "Ratio", "1.5");
	set(i, "LastSeen", "2024-05-01T10:00:00Z");
	append(i, "Tags", "alpha");
	append(i, "Tags", "Beta");
	append(i, "Ports", "80");
	append(i, "Ports", "443");
	set(i, "Big", "18446744073709551615");
	set(i, "Small", "-128");
	set(i, "Letter", "x");
	set(i, "Owner", "O'Brien");

	i = f->dp[1];
	set(i, "NALPath", NAL_DP02);
	set(i, "Name", "dp02.contoso.com");
	set(i, "SiteCode", "PS1");
	set(i, "MaintenanceMode", "1");
	set(i, "IsPullDP", "true");
	set(i, "Offset", "7");
	set(i, "Ratio", "-2000");
	set(i, "LastSeen", "2024-06-01T00:00:00Z");
	append(i, "Ports", "8080");
	set(i, "Description", "Branch office");
	set(i, "Big", "0");
	set(i, "Small", "127");
	set(i, "Letter", "Y");
	set(i, "Owner", "say \"hi\"");

	i = f->dp[2];
	set(i, "NALPath", NAL_DP03);
	set(i, "Name", "DP03.fabrikam.com");
	set(i, "SiteCode", "PS2");
	set(i, "MaintenanceMode", "0");
	append(i, "Tags", "gamma");
	set(i, "Owner", "C:\\temp\\x");

	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	size_t k;

	for (k = 0; k < 3; k++)
		cim_instance_free(f->dp[k]);
	cim_class_free(f->cls);
	free(f);
	return 0;
}

static struct wql_query *parse_ok(const char *text)
{
	struct wql_query *q = NULL;
	struct wql_error err;
	int r = wql_parse(text, &q, &err);

	if (r)
		fail_msg("parse of [%s] failed at %zu: %s", text, err.pos,
			 err.message);
	assert_non_null(q);
	return q;
}

/* Bitmask of the fixture instances matching "SELECT * ... WHERE where". */
static unsigned which(const struct fixture *f, const char *where)
{
	struct wql_query *q;
	struct wql_error err;
	unsigned mask = 0;
	char *text;
	size_t k;
	int r;

	assert_true(asprintf(&text,
			     "SELECT * FROM SMS_DistributionPointInfo WHERE %s",
			     where) > 0);
	q = parse_ok(text);
	r = wql_query_check(q, f->cls, &err);
	if (r)
		fail_msg("check of [%s]: %s", text, err.message);
	for (k = 0; k < 3; k++)
		if (wql_query_match(q, f->dp[k]))
			mask |= 1u << k;
	wql_query_free(q);
	free(text);
	return mask;
}

#define W(where)	which(*state, (where))

/* Asserts a parse error at pos whose message is exactly msg. */
static void parse_err(const char *text, size_t pos, const char *msg)
{
	struct wql_query *q = (struct wql_query *)1;
	struct wql_error err;

	assert_int_equal(wql_parse(text, &q, &err), -EINVAL);
	assert_null(q);
	if (strcmp(err.message, msg) || err.pos != pos)
		fail_msg("[%s]: got %zu \"%s\", want %zu \"%s\"", text,
			 err.pos, err.message, pos, msg);
}

/* Offset of the first occurrence of needle in text. */
static size_t at(const char *text, const char *needle)
{
	const char *p = strstr(text, needle);

	assert_non_null(p);
	return (size_t)(p - text);
}

/* ---- parsing ---------------------------------------------------------- */

static void test_select_star(void **state)
{
	struct wql_query *q =
		parse_ok("SELECT * FROM SMS_DistributionPointInfo");

	(void)state;
	assert_string_equal(wql_query_class(q), "SMS_DistributionPointInfo");
	assert_int_equal(wql_query_select_count(q), 0);
	assert_null(wql_query_select(q));
	wql_query_free(q);
}

static void test_select_list(void **state)
{
	struct wql_query *q = parse_ok(
		"  select Name ,NALPath,\tmaintenancemode  from "
		"sms_distributionPointInfo \r\n ");
	const char *const *sel = wql_query_select(q);

	(void)state;
	assert_string_equal(wql_query_class(q), "sms_distributionPointInfo");
	assert_int_equal(wql_query_select_count(q), 3);
	assert_string_equal(sel[0], "Name");
	assert_string_equal(sel[1], "NALPath");
	assert_string_equal(sel[2], "maintenancemode");
	wql_query_free(q);

	q = parse_ok("SELECT * FROM __Namespace");
	assert_string_equal(wql_query_class(q), "__Namespace");
	wql_query_free(q);
}

static void test_keywords_case_insensitive(void **state)
{
	struct wql_query *q = parse_ok(
		"sElEcT * FrOm SMS_DistributionPointInfo wHeRe nAmE LiKe "
		"'dp0%' aNd NoT sitecode iS nUlL oR Mode = tRuE");
	struct wql_query *q2 = parse_ok(
		"SELECT * FROM X WHERE a IS NOT NULL AND b NOT LIKE 'x' "
		"AND c = FALSE AND d = null");

	(void)state;
	assert_string_equal(wql_query_class(q), "SMS_DistributionPointInfo");
	wql_query_free(q);
	wql_query_free(q2);
}

static void test_no_where_matches_all(void **state)
{
	struct fixture *f = *state;
	struct wql_query *q = parse_ok("SELECT * FROM SMS_DistributionPointInfo");
	size_t k;

	for (k = 0; k < 3; k++)
		assert_true(wql_query_match(q, f->dp[k]));
	wql_query_free(q);
}

static void test_syntax_errors(void **state)
{
	const char *t;

	(void)state;
	parse_err("", 0, "expected SELECT at the start of the query but "
		  "found the end of the query");
	parse_err("   ", 3, "expected SELECT at the start of the query but "
		  "found the end of the query");
	parse_err("GET * FROM X", 0, "expected SELECT at the start of the "
		  "query but found 'GET'");
	parse_err("SELECT FROM X", 7, "expected '*' or a property name after "
		  "SELECT but found 'FROM'");
	parse_err("SELECT Name X", 12, "expected FROM after the property list "
		  "but found 'X'");
	parse_err("SELECT * X", 9, "expected FROM after '*' but found 'X'");
	parse_err("SELECT Name, FROM X", 13, "expected a property name after "
		  "',' but found 'FROM'");
	parse_err("SELECT *, Name FROM X", 8, "expected FROM after '*' but "
		  "found ','");
	parse_err("SELECT * FROM", 13, "expected a class name after FROM but "
		  "found the end of the query");
	parse_err("SELECT * FROM 'X'", 14, "expected a class name after FROM "
		  "but found ''X''");
	parse_err("SELECT * FROM X junk", 16, "expected WHERE or the end of the "
		  "query after the class name but found 'junk'");
	parse_err("SELECT * FROM X WHERE", 21, "expected a property name, NOT "
		  "or '(' but found the end of the query");
	parse_err("SELECT * FROM X WHERE AND", 22, "expected a property name, "
		  "NOT or '(' but found 'AND'");

	t = "SELECT * FROM SMS_DistributionPointInfo WHERE Name dp01";
	parse_err(t, at(t, "dp01"), "expected a comparison operator after "
		  "'Name' but found 'dp01'");
	t = "SELECT * FROM X WHERE Name = 'a' OR";
	parse_err(t, strlen(t), "expected a property name, NOT or '(' but "
		  "found the end of the query");
	t = "SELECT * FROM X WHERE a = 1 b";
	parse_err(t, at(t, "b"), "expected AND, OR or the end of the query "
		  "but found 'b'");
	t = "SELECT * FROM X WHERE a = 1)";
	parse_err(t, at(t, ")"), "expected AND, OR or the end of the query "
		  "but found ')'");
	t = "SELECT * FROM X WHERE a = 1;";
	parse_err(t, at(t, ";"), "unexpected character ';'");
	t = "SELECT * FROM X WHERE (a = 1 OR (b = 2)";
	parse_err(t, strlen(t), "expected ')' to close the '(' at offset 22 "
		  "but found the end of the query");
	t = "SELECT * FROM X WHERE a == 1";
	parse_err(t, at(t, "= 1"), "expected a value after '=' but found '='");
	t = "SELECT * FROM X WHERE a <> ";
	parse_err(t, strlen(t), "expected a value after '<>' but found the "
		  "end of the query");
	t = "SELECT * FROM X WHERE Name = dp01";
	parse_err(t, at(t, "dp01"), "expected a value after '=' but found "
		  "'dp01' (quote string values; comparing two properties is "
		  "not supported)");
	t = "SELECT * FROM X WHERE a = 12abc";
	parse_err(t, at(t, "12"), "malformed number '12abc'");
	t = "SELECT * FROM X WHERE a = 1.2.3";
	parse_err(t, at(t, "1.2"), "malformed number '1.2.3'");
	t = "SELECT * FROM X WHERE a = 1e";
	parse_err(t, at(t, "1e"), "malformed number '1e'");
	t = "SELECT * FROM X WHERE a = 'abc";
	parse_err(t, at(t, "'"), "unterminated string literal (missing "
		  "closing ')");
	t = "SELECT * FROM X WHERE a = \"abc'";
	parse_err(t, at(t, "\""), "unterminated string literal (missing "
		  "closing \")");
	/* The final quote is escaped, so the literal never ends. */
	t = "SELECT * FROM X WHERE a = 'abc\\'";
	parse_err(t, at(t, "'"), "unterminated string literal (missing "
		  "closing ')");
	t = "SELECT * FROM X WHERE a < NULL";
	parse_err(t, at(t, "NULL"), "NULL can only be compared with =, <> or "
		  "IS");
	t = "SELECT * FROM X WHERE NULL >= a";
	parse_err(t, at(t, "NULL"), "NULL can only be compared with =, <> or "
		  "IS");
	t = "SELECT * FROM X WHERE a IS 5";
	parse_err(t, at(t, "5"), "expected NULL or NOT NULL after IS but "
		  "found '5'");
	t = "SELECT * FROM X WHERE a IS NOT 'x'";
	parse_err(t, at(t, "'x'"), "expected NULL after IS NOT but found "
		  "''x''");
	t = "SELECT * FROM X WHERE a NOT = 1";
	parse_err(t, at(t, "="), "expected LIKE after NOT but found '='");
	t = "SELECT * FROM X WHERE a LIKE 5";
	parse_err(t, at(t, "5"), "expected a string pattern after LIKE but "
		  "found '5'");
	t = "SELECT * FROM X WHERE 'a' LIKE b";
	parse_err(t, at(t, "LIKE"), "LIKE needs the property on the left");
	t = "SELECT * FROM X WHERE 5 = 6";
	parse_err(t, at(t, "6"), "expected a property name after '=' but "
		  "found '6'");
	t = "SELECT * FROM X WHERE 5 a";
	parse_err(t, at(t, "a"), "expected a comparison operator after '5' "
		  "but found 'a'");
	t = "SELECT * FROM X WHERE a ! 1";
	parse_err(t, at(t, "!"), "unexpected character '!'");
	t = "SELECT * FROM X WHERE a = 1 \xc3\xa9";
	parse_err(t, at(t, "\xc3"), "unexpected byte 0xc3");
	t = "SELECT * FROM X WHERE __this ISA 'SMS_Package'";
	parse_err(t, at(t, "ISA"), "ISA is not supported");
	parse_err("ASSOCIATORS OF {SMS_Site.SiteCode='PS1'}", 0,
		  "ASSOCIATORS OF queries are not supported");
	parse_err("  references of {SMS_Site.SiteCode='PS1'}", 2,
		  "REFERENCES OF queries are not supported");
	t = "SELECT * FROM __InstanceModificationEvent WITHIN 5";
	parse_err(t, at(t, "WITHIN"), "event queries (WITHIN, GROUP, HAVING) "
		  "are not supported");
	t = "SELECT * FROM X WHERE a = 1 GROUP WITHIN 5";
	parse_err(t, at(t, "GROUP"), "event queries (WITHIN, GROUP, HAVING) "
		  "are not supported");
	/* Keywords cannot be property names. */
	t = "SELECT * FROM X WHERE Like = 1";
	parse_err(t, at(t, "Like"), "expected a property name, NOT or '(' but "
		  "found 'Like'");
}

static void test_error_quotes_are_bounded(void **state)
{
	struct wql_query *q;
	struct wql_error err;
	char text[300];

	(void)state;
	snprintf(text, sizeof(text), "SELECT * FROM X WHERE Name %s",
		 "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		 "aaaaaaaaaaaaaaaaaa\tbbb'");
	assert_int_equal(wql_parse(text, &q, &err), -EINVAL);
	assert_int_equal(err.pos, 27);
	assert_string_equal(err.message, "expected a comparison operator after "
			    "'Name' but found "
			    "''aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'");
	/* Control characters never reach the message. */
	assert_int_equal(wql_parse("SELECT * FROM X WHERE a 'x\ty'", &q, &err),
			 -EINVAL);
	assert_string_equal(err.message, "expected a comparison operator after "
			    "'a' but found ''x?y''");
	/* A NULL err is allowed. */
	assert_int_equal(wql_parse("SELECT", &q, NULL), -EINVAL);
	assert_null(q);
	assert_int_equal(wql_parse(NULL, &q, &err), -EINVAL);
}

static char *repeat(const char *head, const char *unit, size_t n,
		    const char *mid, const char *tail_unit, const char *tail)
{
	size_t len = strlen(head) + n * (strlen(unit) + strlen(tail_unit)) +
		     strlen(mid) + strlen(tail) + 1;
	char *s = malloc(len), *p;
	size_t i;

	assert_non_null(s);
	p = stpcpy(s, head);
	for (i = 0; i < n; i++)
		p = stpcpy(p, unit);
	p = stpcpy(p, mid);
	for (i = 0; i < n; i++)
		p = stpcpy(p, tail_unit);
	stpcpy(p, tail);
	return s;
}

static void test_nesting_limit(void **state)
{
	struct fixture *f = *state;
	struct wql_query *q;
	struct wql_error err;
	char *t;

	t = repeat("SELECT * FROM X WHERE ", "(", 64, "SiteCode = 'PS2'", ")",
		   "");
	q = parse_ok(t);
	assert_false(wql_query_match(q, f->dp[0]));
	assert_true(wql_query_match(q, f->dp[2]));
	wql_query_free(q);
	free(t);

	t = repeat("SELECT * FROM X WHERE ", "(", 65, "a = 1", ")", "");
	assert_int_equal(wql_parse(t, &q, &err), -EINVAL);
	assert_int_equal(err.pos, 22 + 64);
	assert_string_equal(err.message,
			    "condition nested deeper than 64 levels");
	free(t);

	/* 64 NOTs: an even number, so the condition is unchanged. */
	t = repeat("SELECT * FROM X WHERE ", "NOT ", 64, "SiteCode = 'PS2'",
		   "", "");
	q = parse_ok(t);
	assert_false(wql_query_match(q, f->dp[1]));
	assert_true(wql_query_match(q, f->dp[2]));
	wql_query_free(q);
	free(t);

	t = repeat("SELECT * FROM X WHERE ", "NOT (", 33, "a = 1", ")", "");
	assert_int_equal(wql_parse(t, &q, &err), -EINVAL);
	assert_int_equal(err.pos, 22 + 32 * 5);
	assert_string_equal(err.message,
			    "condition nested deeper than 64 levels");
	free(t);

	/* Deep enough to overflow a stack if parsing had no bound. */
	t = repeat("SELECT * FROM X WHERE ", "(", 100000, "a = 1", ")", "");
	assert_int_equal(wql_parse(t, &q, &err), -EINVAL);
	free(t);
}

static void test_long_chains_are_flat(void **state)
{
	struct fixture *f = *state;
	struct wql_query *q;
	char *t;

	/* 4000 ORs: wide nodes, not a 4000-deep tree. */
	t = repeat("SELECT * FROM X WHERE ", "Offset = 99 OR ", 4000,
		   "Offset = 7", "", "");
	q = parse_ok(t);
	assert_false(wql_query_match(q, f->dp[0]));
	assert_true(wql_query_match(q, f->dp[1]));
	assert_false(wql_query_match(q, f->dp[2]));
	wql_query_free(q);
	free(t);

	t = repeat("SELECT * FROM X WHERE ", "SiteCode = 'PS1' AND ", 3000,
		   "Offset > 0", "", "");
	q = parse_ok(t);
	assert_false(wql_query_match(q, f->dp[0]));
	assert_true(wql_query_match(q, f->dp[1]));
	wql_query_free(q);
	free(t);
}

static void test_length_limit(void **state)
{
	struct wql_query *q;
	struct wql_error err;
	const char *head = "SELECT * FROM X WHERE a = 1";
	char *t = malloc(65538);

	(void)state;
	assert_non_null(t);
	/* Exactly 64 KiB (trailing blanks) is accepted... */
	memset(t, ' ', 65536);
	memcpy(t, head, strlen(head));
	t[65536] = '\0';
	q = parse_ok(t);
	wql_query_free(q);
	/* ...one byte more is not. */
	t[65536] = ' ';
	t[65537] = '\0';
	assert_int_equal(wql_parse(t, &q, &err), -EINVAL);
	assert_null(q);
	assert_int_equal(err.pos, 65536);
	assert_string_equal(err.message, "query longer than 65536 bytes");
	free(t);
}

/* ---- check ------------------------------------------------------------ */

static void check_err(const struct fixture *f, const char *text,
		      const char *prop)
{
	struct wql_query *q = parse_ok(text);
	struct wql_error err;
	char want[160];

	assert_int_equal(wql_query_check(q, f->cls, &err), -ENOENT);
	snprintf(want, sizeof(want),
		 "no property '%s' in class SMS_DistributionPointInfo", prop);
	assert_string_equal(err.message, want);
	assert_int_equal(err.pos, at(text, prop));
	wql_query_free(q);
}

static void test_check(void **state)
{
	struct fixture *f = *state;
	struct wql_query *q;
	struct wql_error err;

	q = parse_ok("SELECT nAmE, NALPATH FROM SMS_DistributionPointInfo "
		     "WHERE sitecode = 'PS1' AND (NOT maintenancemode = 1 OR "
		     "tags IS NULL) AND 5 < offset AND name LIKE 'a'");
	assert_int_equal(wql_query_check(q, f->cls, &err), 0);
	wql_query_free(q);

	/* The class name is not check()'s business. */
	q = parse_ok("SELECT * FROM Win32_Process");
	assert_int_equal(wql_query_check(q, f->cls, &err), 0);
	wql_query_free(q);

	check_err(f, "SELECT Name, Foo FROM X", "Foo");
	check_err(f, "SELECT * FROM X WHERE Name = 'x' AND (NOT Bar = 1)",
		  "Bar");
	check_err(f, "SELECT * FROM X WHERE 5 = Baz", "Baz");
	check_err(f, "SELECT * FROM X WHERE Qux IS NULL", "Qux");
	check_err(f, "SELECT * FROM X WHERE Name = NULL OR Quux = NULL",
		  "Quux");
	check_err(f, "SELECT * FROM X WHERE Name LIKE 'a' OR Zap NOT LIKE "
		  "'b'", "Zap");
	/* The first unknown name, select list first. */
	check_err(f, "SELECT Alpha FROM X WHERE Beta = 1", "Alpha");
}

/* ---- matching --------------------------------------------------------- */

static void test_real_filters(void **state)
{
	struct fixture *f = *state;
	struct cim_class *srl;
	struct cim_instance *r1, *r2;
	struct wql_query *q;
	struct wql_error err;

	/* docs/configmgr-domain.md, What real scripts send. */
	assert_int_equal(W("Name = 'DP01.contoso.com'"), DP1);		/* CODY */
	assert_int_equal(W("Name LIKE 'dp01%'"), DP1);			/* CODY */
	assert_int_equal(W("name = 'DP02.CONTOSO.COM'"), DP2);		/* SEAN */
	assert_int_equal(W("SiteCode = 'PS1' and Name = 'dp01.contoso.com'"),
			 DP1);						/* PWET */
	assert_int_equal(W("ResourceType = 'Windows NT Server'"), ALL);	/* GIGO */
	assert_int_equal(W("NALPath like '%\\\\DP01.contoso.com\\\\'"), DP1);
	assert_int_equal(W("NALPath like '%\\\\dp03.FABRIKAM.com\\\\'"), DP3);
	/* docs/configmgr-domain.md (SMS_DistributionPointInfo): a short name
	 * is not the FQDN. */
	assert_int_equal(W("Name='dp01'"), NONE);

	/* GIGO's full -Query text. */
	q = parse_ok("select * from SMS_DistributionPointInfo where "
		     "ResourceType = 'Windows NT Server'");
	assert_string_equal(wql_query_class(q), "SMS_DistributionPointInfo");
	assert_int_equal(wql_query_check(q, f->cls, &err), 0);
	assert_true(wql_query_match(q, f->dp[1]));
	wql_query_free(q);

	/* The SDK's sample query, double-quoted (docs/configmgr-domain.md,
	 * Classes declared by the fixture). */
	srl = cim_class_new("root/sms/site_PS1", "SMS_SystemResourceList");
	assert_non_null(srl);
	assert_int_equal(cim_class_add_property(srl, "RoleName", CIM_STRING,
						CIM_PROP_KEY), 0);
	assert_int_equal(cim_class_add_property(srl, "SiteCode", CIM_STRING,
						CIM_PROP_KEY), 1);
	r1 = cim_instance_new(srl);
	r2 = cim_instance_new(srl);
	assert_int_equal(cim_instance_set(r1, 0, "SMS Distribution Point"), 0);
	assert_int_equal(cim_instance_set(r1, 1, "PS1"), 0);
	assert_int_equal(cim_instance_set(r2, 0, "SMS Site Server"), 0);
	assert_int_equal(cim_instance_set(r2, 1, "PS1"), 0);
	q = parse_ok("SELECT * FROM SMS_SystemResourceList WHERE "
		     "RoleName=\"SMS Distribution Point\" AND SiteCode=\"PS1\"");
	assert_int_equal(wql_query_check(q, srl, &err), 0);
	assert_true(wql_query_match(q, r1));
	assert_false(wql_query_match(q, r2));
	wql_query_free(q);
	q = parse_ok("SELECT * FROM SMS_SystemResourceList WHERE "
		     "RoleName = 'SMS Distribution Point' and SiteCode = 'PS1'");
	assert_true(wql_query_match(q, r1));
	assert_false(wql_query_match(q, r2));
	/* Checked against the DP class, RoleName is unknown. */
	assert_int_equal(wql_query_check(q, f->cls, &err), -ENOENT);
	assert_string_equal(err.message, "no property 'RoleName' in class "
			    "SMS_DistributionPointInfo");
	wql_query_free(q);
	cim_instance_free(r1);
	cim_instance_free(r2);
	cim_class_free(srl);
}

static void test_nal_path_literals(void **state)
{
	struct fixture *f = *state;
	struct cim_instance *near;
	struct wql_query *q;

	/* Fully escaped (docs/configmgr-domain.md, NAL paths); the WQL text is
	 * NALPath = '[\"Display=\\\\DP01.contoso.com\\\"]MSWNET:
	 *            [\"SMS_SITE=PS1\"]\\\\DP01.contoso.com\\' */
	static const char escaped[] =
		"NALPath = '[\\\"Display=\\\\\\\\DP01.contoso.com\\\\\\\"]"
		"MSWNET:[\\\"SMS_SITE=PS1\\\"]\\\\\\\\DP01.contoso.com\\\\'";
	/* Backslashes doubled, quotes raw:
	 * NALPath = '["Display=\\\\DP01.contoso.com\\"]MSWNET:
	 *            ["SMS_SITE=PS1"]\\\\DP01.contoso.com\\' */
	static const char raw_quotes[] =
		"NALPath = '[\"Display=\\\\\\\\DP01.contoso.com\\\\\"]"
		"MSWNET:[\"SMS_SITE=PS1\"]\\\\\\\\DP01.contoso.com\\\\'";
	/* The same in a double-quoted literal, where '"' must be escaped. */
	static const char dq[] =
		"NALPath = \"[\\\"Display=\\\\\\\\DP01.contoso.com\\\\\\\"]"
		"MSWNET:[\\\"SMS_SITE=PS1\\\"]\\\\\\\\DP01.contoso.com\\\\\"";

	/* The C literals above spell exactly the WQL in the comments. */
	/* (the raw path has 4 quotes and 6 backslashes) */
	assert_int_equal(strlen(escaped), strlen("NALPath = ''") + 73 + 4 + 6);
	assert_int_equal(strlen(raw_quotes), strlen("NALPath = ''") + 73 + 6);
	assert_int_equal(strlen(NAL_DP01), 73);

	assert_int_equal(W(escaped), DP1);
	assert_int_equal(W(raw_quotes), DP1);
	assert_int_equal(W(dq), DP1);
	/* Equality is exact up to case: DP01 is neither "<" nor ">". */
	assert_int_equal(W("NALPath < '[\\\"Display=\\\\\\\\DP01.contoso.com"
			   "\\\\\\\"]MSWNET:[\\\"SMS_SITE=PS1\\\"]\\\\\\\\DP01."
			   "contoso.com\\\\'"), NONE);
	assert_int_equal(W("NALPath > '[\"Display=\\\\\\\\DP01.contoso.com"
			   "\\\\\"]MSWNET:[\"SMS_SITE=PS1\"]\\\\\\\\DP01."
			   "contoso.com\\\\'"), DP2 | DP3);
	/* Case-insensitive, as the site DB collation. */
	assert_int_equal(W("NALPath = '[\"Display=\\\\\\\\dp01.CONTOSO.com"
			   "\\\\\"]mswnet:[\"sms_site=ps1\"]\\\\\\\\DP01."
			   "contoso.COM\\\\'"), DP1);

	/* An instance one backslash away ("Display=\DP01") must not match. */
	near = cim_instance_clone(f->dp[0]);
	assert_non_null(near);
	assert_int_equal(cim_instance_set_by_name(near, "NALPath",
			 "[\"Display=\\DP01.contoso.com\\\"]MSWNET:"
			 "[\"SMS_SITE=PS1\"]\\\\DP01.contoso.com\\"), 0);
	q = parse_ok("SELECT * FROM SMS_DistributionPointInfo WHERE "
		     "NALPath = '[\"Display=\\\\\\\\DP01.contoso.com\\\\\"]"
		     "MSWNET:[\"SMS_SITE=PS1\"]\\\\\\\\DP01.contoso.com\\\\'");
	assert_false(wql_query_match(q, near));
	assert_true(wql_query_match(q, f->dp[0]));
	wql_query_free(q);
	/* WQL '["Display=\\DP01.contoso.com\\\"]MSWNET:["SMS_SITE=PS1"]
	 * \\\\DP01.contoso.com\\' is that path with one backslash. */
	q = parse_ok("SELECT * FROM SMS_DistributionPointInfo WHERE "
		     "NALPath = '[\"Display=\\\\DP01.contoso.com\\\\\\\"]MSWNET:"
		     "[\"SMS_SITE=PS1\"]\\\\\\\\DP01.contoso.com\\\\'");
	assert_true(wql_query_match(q, near));
	assert_false(wql_query_match(q, f->dp[0]));
	wql_query_free(q);
	/* The raw path pasted unescaped: its final \' escapes the quote. */
	assert_int_equal(wql_parse("SELECT * FROM X WHERE NALPath = "
				   "'" NAL_DP01 "'", &q, NULL), -EINVAL);
	cim_instance_free(near);

	assert_int_equal(W("NALPath LIKE '[[]\"Display=\\\\\\\\DP0_.%'"),
			 DP1 | DP2 | DP3);
	assert_int_equal(W("NALPath LIKE '%[\"]]MSWNET:[[]\"SMS[_]SITE=PS1%'"),
			 DP1 | DP2);
}

static void test_strings(void **state)
{
	assert_int_equal(W("Name = 'dp01.contoso.com'"), DP1);
	assert_int_equal(W("Name = \"DP01.CONTOSO.COM\""), DP1);
	assert_int_equal(W("Name <> 'dp01.contoso.com'"), DP2 | DP3);
	assert_int_equal(W("Name != 'dp01.contoso.com'"), DP2 | DP3);
	assert_int_equal(W("Name > 'dp01.contoso.com'"), DP2 | DP3);
	assert_int_equal(W("Name >= 'DP01.CONTOSO.COM'"), ALL);
	assert_int_equal(W("Name < 'dp02'"), DP1);
	assert_int_equal(W("Name <= 'DP01.CONTOSO.COM'"), DP1);
	/* Folding is to lower case (as _wcsicmp): 'D' sorts after '_'. */
	assert_int_equal(W("Name > '_'"), ALL);
	assert_int_equal(W("'dp01.contoso.com' = Name"), DP1);
	assert_int_equal(W("'dp02' > Name"), DP1);
	assert_int_equal(W("'dp02' <= Name"), DP2 | DP3);
	/* Numbers and booleans compare as their text. */
	assert_int_equal(W("Owner = 5"), NONE);
	assert_int_equal(W("SiteCode > 1"), ALL);
	/* Escapes and the other quote raw. */
	assert_int_equal(W("Owner = \"O'Brien\""), DP1);
	assert_int_equal(W("Owner = 'O\\'Brien'"), DP1);
	assert_int_equal(W("Owner = \"o\\'brien\""), DP1);
	assert_int_equal(W("Owner = 'say \"hi\"'"), DP2);
	assert_int_equal(W("Owner = 'say \\\"HI\\\"'"), DP2);
	assert_int_equal(W("Owner = \"say \\\"hi\\\"\""), DP2);
	/* A backslash before another character stays. */
	assert_int_equal(W("Owner = 'C:\\temp\\x'"), DP3);
	assert_int_equal(W("Owner = 'C:\\\\temp\\\\X'"), DP3);
	assert_int_equal(W("Owner LIKE 'c:\\temp%'"), DP3);
	assert_int_equal(W("Name = ''"), NONE);
	/* char16 */
	assert_int_equal(W("Letter = 'X'"), DP1);
	assert_int_equal(W("Letter > 'x'"), DP2);
}

static void test_unsigned(void **state)
{
	assert_int_equal(W("MaintenanceMode = 1"), DP2);
	assert_int_equal(W("MaintenanceMode = '1'"), DP2);
	assert_int_equal(W("MaintenanceMode = \"+1\""), DP2);
	assert_int_equal(W("MaintenanceMode = +1"), DP2);
	assert_int_equal(W("MaintenanceMode = 0"), DP1 | DP3);
	assert_int_equal(W("MaintenanceMode = 000"), DP1 | DP3);
	assert_int_equal(W("MaintenanceMode <> 0"), DP2);
	assert_int_equal(W("MaintenanceMode != '0'"), DP2);
	assert_int_equal(W("MaintenanceMode > 0"), DP2);
	assert_int_equal(W("MaintenanceMode >= 0"), ALL);
	assert_int_equal(W("MaintenanceMode < 1"), DP1 | DP3);
	assert_int_equal(W("MaintenanceMode <= 1"), ALL);
	assert_int_equal(W("1 = MaintenanceMode"), DP2);
	assert_int_equal(W("0 < MaintenanceMode"), DP2);
	assert_int_equal(W("1 > MaintenanceMode"), DP1 | DP3);
	assert_int_equal(W("1 <= MaintenanceMode"), DP2);
	assert_int_equal(W("0 >= MaintenanceMode"), DP1 | DP3);
	/* Not convertible to uint32: false whatever the operator. */
	assert_int_equal(W("MaintenanceMode = -1"), NONE);
	assert_int_equal(W("MaintenanceMode <> -1"), NONE);
	assert_int_equal(W("MaintenanceMode > -1"), NONE);
	assert_int_equal(W("MaintenanceMode < 4294967296"), NONE);
	assert_int_equal(W("MaintenanceMode < 4294967295"), ALL);
	assert_int_equal(W("MaintenanceMode = 'abc'"), NONE);
	assert_int_equal(W("MaintenanceMode <> 'abc'"), NONE);
	assert_int_equal(W("MaintenanceMode = ' 1'"), NONE);
	assert_int_equal(W("MaintenanceMode = ''"), NONE);
	assert_int_equal(W("MaintenanceMode = TRUE"), NONE);
	assert_int_equal(W("MaintenanceMode = 99999999999999999999999"), NONE);
	/* ...and a false comparison, unlike a NULL one, negates to true. */
	assert_int_equal(W("NOT MaintenanceMode = 'abc'"), ALL);
	/* Reals against an integer property. */
	assert_int_equal(W("MaintenanceMode = 1.0"), DP2);
	assert_int_equal(W("MaintenanceMode = 1e0"), DP2);
	assert_int_equal(W("MaintenanceMode = '1e0'"), DP2);
	assert_int_equal(W("MaintenanceMode < 0.5"), DP1 | DP3);
	assert_int_equal(W("MaintenanceMode = 0.5"), NONE);
	assert_int_equal(W("MaintenanceMode > -0.5"), NONE);
	/* uint64 at its limits */
	assert_int_equal(W("Big = 18446744073709551615"), DP1);
	assert_int_equal(W("Big > 9223372036854775807"), DP1);
	assert_int_equal(W("Big = 18446744073709551616"), NONE);
	assert_int_equal(W("Big = 1.8446744073709552e19"), NONE);
	assert_int_equal(W("MaintenanceMode < 4294967296.0"), NONE);
	assert_int_equal(W("MaintenanceMode < 4294967295.5"), ALL);
	assert_int_equal(W("Big >= 0"), DP1 | DP2);
	assert_int_equal(W("Big < 1"), DP2);
}

static void test_signed(void **state)
{
	assert_int_equal(W("Offset = -5"), DP1);
	assert_int_equal(W("Offset = '-5'"), DP1);
	assert_int_equal(W("Offset < 0"), DP1);
	assert_int_equal(W("Offset > -6"), DP1 | DP2);
	assert_int_equal(W("Offset >= 7"), DP2);
	assert_int_equal(W("-5 = Offset"), DP1);
	assert_int_equal(W("-6 < Offset"), DP1 | DP2);
	assert_int_equal(W("Offset > -2147483648"), DP1 | DP2);
	assert_int_equal(W("Offset <= -2147483648"), NONE);
	assert_int_equal(W("Offset > -2147483649"), NONE);
	assert_int_equal(W("Offset < 2147483648"), NONE);
	assert_int_equal(W("Offset > -5.5"), DP1 | DP2);
	assert_int_equal(W("Offset < -4.5"), DP1);
	/* sint8 */
	assert_int_equal(W("Small = -128"), DP1);
	assert_int_equal(W("Small < -127"), DP1);
	assert_int_equal(W("Small >= -128"), DP1 | DP2);
	assert_int_equal(W("Small = 127"), DP2);
	assert_int_equal(W("Small < 128"), NONE);
	assert_int_equal(W("Small > -129"), NONE);
	assert_int_equal(W("Small = -0"), NONE);
	assert_int_equal(W("Small > -0"), DP2);
}

static void test_booleans(void **state)
{
	assert_int_equal(W("IsPullDP = TRUE"), DP2);
	assert_int_equal(W("IsPullDP = true"), DP2);
	assert_int_equal(W("IsPullDP = FALSE"), DP1);
	assert_int_equal(W("IsPullDP = 1"), DP2);
	assert_int_equal(W("IsPullDP = 0"), DP1);
	assert_int_equal(W("IsPullDP = 'TRUE'"), DP2);
	assert_int_equal(W("IsPullDP = \"false\""), DP1);
	assert_int_equal(W("IsPullDP = '1'"), DP2);
	assert_int_equal(W("IsPullDP <> TRUE"), DP1);
	assert_int_equal(W("IsPullDP > FALSE"), DP2);
	assert_int_equal(W("IsPullDP <= FALSE"), DP1);
	assert_int_equal(W("TRUE = IsPullDP"), DP2);
	assert_int_equal(W("FALSE < IsPullDP"), DP2);
	/* Not convertible. */
	assert_int_equal(W("IsPullDP = 2"), NONE);
	assert_int_equal(W("IsPullDP = -1"), NONE);
	assert_int_equal(W("IsPullDP = 'yes'"), NONE);
	assert_int_equal(W("IsPullDP = 1.0"), NONE);
	/* dp03 has no value: unknown, for both a test and its negation. */
	assert_int_equal(W("IsPullDP <> TRUE OR IsPullDP = TRUE"), DP1 | DP2);
	assert_int_equal(W("IsPullDP IS NULL"), DP3);
}

static void test_reals(void **state)
{
	assert_int_equal(W("Ratio = 1.5"), DP1);
	assert_int_equal(W("Ratio = 1.50"), DP1);
	assert_int_equal(W("Ratio = .15e1"), DP1);
	assert_int_equal(W("Ratio = '1.5'"), DP1);
	assert_int_equal(W("Ratio = -2e3"), DP2);
	assert_int_equal(W("Ratio = -2000"), DP2);
	assert_int_equal(W("Ratio = -2.0E+3"), DP2);
	assert_int_equal(W("Ratio < 0"), DP2);
	assert_int_equal(W("Ratio >= 1.5"), DP1);
	assert_int_equal(W("Ratio > -.5"), DP1);
	assert_int_equal(W("Ratio <> 1.5"), DP2);
	assert_int_equal(W("1.5 <= Ratio"), DP1);
	assert_int_equal(W("Ratio = 'x'"), NONE);
	assert_int_equal(W("Ratio = 'inf'"), NONE);
	assert_int_equal(W("Ratio < 1e999"), NONE);
}

static void test_datetimes(void **state)
{
	assert_int_equal(W("LastSeen = '2024-05-01t10:00:00z'"), DP1);
	assert_int_equal(W("LastSeen < '2024-06'"), DP1);
	assert_int_equal(W("LastSeen > '2024-05-15'"), DP2);
	assert_int_equal(W("LastSeen >= '2024-05-01T10:00:00Z'"), DP1 | DP2);
	/* A DMTF literal is compared in its canonical ISO form (as raw
	 * text "20240515..." would sort after every "2024-..."). */
	assert_int_equal(W("LastSeen < '20240515000000.000000+000'"), DP1);
	assert_int_equal(W("LastSeen > '20240501000000.000000+000'"),
			 DP1 | DP2);
	assert_int_equal(W("LastSeen IS NULL"), DP3);
}

static void test_arrays(void **state)
{
	/* Any item satisfying the comparison is enough. */
	assert_int_equal(W("Tags = 'beta'"), DP1);
	assert_int_equal(W("Tags = 'ALPHA'"), DP1);
	assert_int_equal(W("Tags <> 'alpha'"), DP1 | DP3);
	assert_int_equal(W("Tags <> 'gamma'"), DP1);
	assert_int_equal(W("Tags LIKE 'g%'"), DP3);
	assert_int_equal(W("Tags NOT LIKE 'alpha'"), DP1 | DP3);
	assert_int_equal(W("Tags IS NULL"), DP2);
	assert_int_equal(W("Tags IS NOT NULL"), DP1 | DP3);
	assert_int_equal(W("Ports = 443"), DP1);
	assert_int_equal(W("Ports > 1000"), DP2);
	assert_int_equal(W("Ports < 100"), DP1);
	assert_int_equal(W("Ports = 80 AND Ports = 443"), DP1);
	assert_int_equal(W("NOT Ports = 80"), DP2);
	assert_int_equal(W("Ports IS NULL"), DP3);
}

static void test_nulls(void **state)
{
	assert_int_equal(W("Description IS NULL"), DP1 | DP3);
	assert_int_equal(W("Description IS NOT NULL"), DP2);
	assert_int_equal(W("Description = NULL"), DP1 | DP3);
	assert_int_equal(W("Description <> NULL"), DP2);
	assert_int_equal(W("Description != null"), DP2);
	assert_int_equal(W("NULL = Description"), DP1 | DP3);
	assert_int_equal(W("NULL <> Description"), DP2);
	assert_int_equal(W("NOT Description IS NULL"), DP2);
	assert_int_equal(W("Description = 'x'"), NONE);
	assert_int_equal(W("Description <> 'x'"), DP2);
	assert_int_equal(W("Description LIKE '%'"), DP2);
	assert_int_equal(W("Description NOT LIKE 'zzz'"), DP2);
	/* Three-valued: NOT UNKNOWN is UNKNOWN, folded to false. */
	assert_int_equal(W("NOT (Description = 'x')"), DP2);
	assert_int_equal(W("NOT Description LIKE 'x%'"), DP2);
	/* UNKNOWN OR TRUE is TRUE; UNKNOWN AND FALSE is FALSE. */
	assert_int_equal(W("NOT (Description = 'x') OR Name LIKE 'DP03%'"),
			 DP2 | DP3);
	assert_int_equal(W("Description = 'x' OR SiteCode = 'PS1'"),
			 DP1 | DP2);
	assert_int_equal(W("NOT (Description = 'x' AND SiteCode = 'PS9')"),
			 ALL);
	assert_int_equal(W("NOT (Description = 'x' AND SiteCode = 'PS1')"),
			 DP2 | DP3);
	assert_int_equal(W("NOT (Description = 'x' OR SiteCode = 'PS2')"),
			 DP2);
	assert_int_equal(W("Offset IS NULL"), DP3);
	assert_int_equal(W("Offset < 100 OR Offset >= 100"), DP1 | DP2);
}

static void test_precedence(void **state)
{
	assert_int_equal(W("SiteCode = 'PS2' OR SiteCode = 'PS1' AND "
			   "MaintenanceMode = 1"), DP2 | DP3);
	assert_int_equal(W("(SiteCode = 'PS2' OR SiteCode = 'PS1') AND "
			   "MaintenanceMode = 1"), DP2);
	assert_int_equal(W("MaintenanceMode = 1 AND SiteCode = 'PS1' OR "
			   "SiteCode = 'PS2'"), DP2 | DP3);
	assert_int_equal(W("MaintenanceMode = 1 AND (SiteCode = 'PS1' OR "
			   "SiteCode = 'PS2')"), DP2);
	assert_int_equal(W("NOT SiteCode = 'PS1' AND MaintenanceMode = 0"),
			 DP3);
	assert_int_equal(W("NOT (SiteCode = 'PS1' AND MaintenanceMode = 0)"),
			 DP2 | DP3);
	assert_int_equal(W("NOT NOT SiteCode = 'PS2'"), DP3);
	assert_int_equal(W("NOT SiteCode = 'PS1' OR NOT MaintenanceMode = 0"),
			 DP2 | DP3);
	assert_int_equal(W("((Name LIKE 'dp0_.%'))and((((Offset>0))))"), DP2);
	assert_int_equal(W("Name NOT LIKE '%contoso%' OR Offset < 0"),
			 DP1 | DP3);
	assert_int_equal(W("NOT Name NOT LIKE 'dp02%'"), DP2);
}

/* ---- LIKE ------------------------------------------------------------- */

static void test_like_basic(void **state)
{
	(void)state;
	assert_true(wql_like("abc", "abc"));
	assert_true(wql_like("abc", "ABC"));
	assert_false(wql_like("abc", "abcd"));
	assert_false(wql_like("abcd", "abc"));
	assert_true(wql_like("", ""));
	assert_false(wql_like("a", ""));
	assert_true(wql_like("", "%"));
	assert_true(wql_like("", "%%%"));
	assert_false(wql_like("", "_"));
	assert_true(wql_like("abc", "a%"));
	assert_true(wql_like("abc", "%C"));
	assert_true(wql_like("abc", "%b%"));
	assert_true(wql_like("ac", "a%%c"));
	assert_true(wql_like("abbbc", "a%c"));
	assert_false(wql_like("abbbd", "a%c"));
	assert_true(wql_like("mississippi", "%iss%ppi"));
	assert_true(wql_like("mississippi", "m%ss%ss%"));
	assert_false(wql_like("mississippi", "m%ss%ss%ss%"));
	assert_true(wql_like("abc", "a_c"));
	assert_false(wql_like("ac", "a_c"));
	assert_true(wql_like("abc", "___"));
	assert_false(wql_like("abc", "____"));
	assert_true(wql_like("abc", "_%_"));
	assert_false(wql_like("a", "_%_"));
	assert_false(wql_like(NULL, "%"));
	assert_false(wql_like("a", NULL));
}

static void test_like_sets(void **state)
{
	(void)state;
	assert_true(wql_like("b", "[abc]"));
	assert_false(wql_like("d", "[abc]"));
	assert_true(wql_like("B", "[abc]"));
	assert_true(wql_like("d", "[^abc]"));
	assert_false(wql_like("a", "[^abc]"));
	assert_false(wql_like("A", "[^abc]"));
	assert_true(wql_like("C", "[a-f]"));
	assert_true(wql_like("c", "[A-F]"));
	assert_false(wql_like("g", "[a-f]"));
	assert_true(wql_like("e", "[a=f]"));	/* WMI's documented spelling */
	assert_false(wql_like("Z", "[^a-z]"));
	assert_true(wql_like("5", "[^a-z]"));
	assert_true(wql_like("y", "[a-cx-z]"));
	assert_false(wql_like("m", "[a-cx-z]"));
	assert_false(wql_like("b", "[z-a]"));
	assert_true(wql_like("-", "[a-]"));
	assert_true(wql_like("-", "[-a]"));
	assert_true(wql_like("=", "[=]"));
	assert_true(wql_like("^", "[a^]"));
	assert_true(wql_like("]", "[]]"));
	assert_false(wql_like("x", "[]]"));
	assert_true(wql_like("x", "[^]]"));
	assert_false(wql_like("]", "[^]]"));
	assert_true(wql_like("]x", "[]x]x"));
	/* Metacharacters taken literally inside a set. */
	assert_true(wql_like("100%", "100[%]"));
	assert_false(wql_like("1000", "100[%]"));
	assert_true(wql_like("a_b", "a[_]b"));
	assert_false(wql_like("axb", "a[_]b"));
	assert_true(wql_like("[x]", "[[]x]"));
	/* A '[' that never closes is an ordinary character. */
	assert_true(wql_like("[", "["));
	assert_true(wql_like("[abc", "[abc"));
	assert_false(wql_like("a", "[abc"));
	assert_true(wql_like("x[^", "x[^"));
	assert_true(wql_like("[]", "[]"));
	assert_true(wql_like("ab[", "%[a]b["));
	/* Sets combine with % and _. */
	assert_true(wql_like("DP01.contoso.com", "dp[0-9][0-9].%"));
	assert_false(wql_like("DPx1.contoso.com", "dp[0-9][0-9].%"));
	assert_true(wql_like("dp02.contoso.com", "%[^.]._%"));
}

static void test_like_utf8_and_bytes(void **state)
{
	(void)state;
	/* "_" is one character, not one byte. */
	assert_true(wql_like("\xc3\xa9", "_"));
	assert_false(wql_like("\xc3\xa9", "__"));
	assert_true(wql_like("a\xe2\x82\xac" "b", "a_b"));
	assert_true(wql_like("\xf0\x9f\x98\x80", "_"));
	assert_true(wql_like("a\xc3\xa9", "a[\xc3\xa9\xc3\xa8]"));
	assert_false(wql_like("\xc3\xa9", "[^\xc3\xa9]"));
	assert_true(wql_like("\xc3\xa9", "[\xc3\xa0-\xc3\xbf]"));
	/* Only ASCII folds: É is not é. */
	assert_false(wql_like("\xc3\x89", "\xc3\xa9"));
	/* Malformed bytes match themselves and count as one character. */
	assert_true(wql_like("\xff", "_"));
	assert_true(wql_like("\xff\xfe", "\xff%"));
	assert_false(wql_like("\xff", "\xfe"));
	assert_false(wql_like("\xc3", "\xc3\xa9"));
	assert_true(wql_like("\xc3" "a", "__"));
}

static void test_like_backslashes(void **state)
{
	(void)state;
	/* Backslash is no escape in a pattern. */
	assert_true(wql_like("\\\\DP01\\", "\\\\%\\"));
	assert_true(wql_like("a\\b", "a\\b"));
	assert_false(wql_like("ab", "a\\b"));
	assert_true(wql_like("c:\\", "%\\"));
	assert_true(wql_like(NAL_DP01, "%\\DP01.contoso.com\\"));
	assert_true(wql_like(NAL_DP01, "%\\dp01.CONTOSO.com\\"));
	assert_false(wql_like(NAL_DP01, "%\\DP02.contoso.com\\"));
	assert_false(wql_like(NAL_DP01, "%\\DP01.contoso.com"));
	assert_true(wql_like(NAL_DP01, "[[]\"Display=\\\\DP01%"));
}

static void test_like_pathological(void **state)
{
	size_t n = 20000, i;
	char *text = malloc(n + 2);
	char *pat;

	(void)state;
	assert_non_null(text);
	memset(text, 'a', n);
	text[n] = '\0';
	/* Exponential with naive backtracking; O(n * m) here. */
	assert_false(wql_like(text, "%a%a%a%a%a%a%a%a%a%a%a%a%b"));
	assert_false(wql_like(text, "%_%_%_%_%_%_%_%_%_%_%[b]"));
	assert_true(wql_like(text, "%a%a%a%a%a%a%a%a%a%a%a%a%"));
	text[n] = 'b';
	text[n + 1] = '\0';
	assert_true(wql_like(text, "%a%a%a%a%a%a%a%a%a%a%a%a%b"));
	assert_true(wql_like(text, "%aaaaaaaaaab"));

	/* A long pattern against a long text: still bounded by n * m. */
	pat = malloc(2 * 1000 + 2);
	assert_non_null(pat);
	for (i = 0; i < 1000; i++) {
		pat[2 * i] = '%';
		pat[2 * i + 1] = 'a';
	}
	strcpy(pat + 2000, "c");
	assert_false(wql_like(text, pat));
	free(pat);
	free(text);
}

/* ---- threads ---------------------------------------------------------- */

struct thread_arg {
	const struct wql_query *q;
	const struct fixture *f;
	unsigned hits;
};

static void *match_loop(void *p)
{
	struct thread_arg *a = p;
	size_t i, k;

	for (i = 0; i < 2000; i++)
		for (k = 0; k < 3; k++)
			a->hits += wql_query_match(a->q, a->f->dp[k]);
	return NULL;
}

static void test_concurrent_match(void **state)
{
	struct fixture *f = *state;
	struct wql_query *q = parse_ok(
		"SELECT * FROM SMS_DistributionPointInfo WHERE "
		"(NALPath LIKE '%\\\\dp0_.contoso.com\\\\' AND Offset > -10) "
		"OR Tags = 'gamma'");
	struct thread_arg args[4];
	pthread_t th[4];
	size_t k;

	for (k = 0; k < 4; k++) {
		args[k] = (struct thread_arg){ .q = q, .f = f };
		assert_int_equal(pthread_create(&th[k], NULL, match_loop,
						&args[k]), 0);
	}
	for (k = 0; k < 4; k++) {
		assert_int_equal(pthread_join(th[k], NULL), 0);
		assert_int_equal(args[k].hits, 2000 * 3);
	}
	wql_query_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_select_star),
		cmocka_unit_test(test_select_list),
		cmocka_unit_test(test_keywords_case_insensitive),
		cmocka_unit_test(test_no_where_matches_all),
		cmocka_unit_test(test_syntax_errors),
		cmocka_unit_test(test_error_quotes_are_bounded),
		cmocka_unit_test(test_nesting_limit),
		cmocka_unit_test(test_long_chains_are_flat),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_real_filters),
		cmocka_unit_test(test_nal_path_literals),
		cmocka_unit_test(test_strings),
		cmocka_unit_test(test_unsigned),
		cmocka_unit_test(test_signed),
		cmocka_unit_test(test_booleans),
		cmocka_unit_test(test_reals),
		cmocka_unit_test(test_datetimes),
		cmocka_unit_test(test_arrays),
		cmocka_unit_test(test_nulls),
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_like_basic),
		cmocka_unit_test(test_like_sets),
		cmocka_unit_test(test_like_utf8_and_bytes),
		cmocka_unit_test(test_like_backslashes),
		cmocka_unit_test(test_like_pathological),
		cmocka_unit_test(test_concurrent_match),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
