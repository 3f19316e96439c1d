/* Unit tests for client/dpc_wql.c: WQL read into the AdminService's
 * class, $filter and property list, and the WQL it refuses with where
 * and why. Built from the source (internal to libdpclient). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "dpc_wql.h"

#define DPI "SMS_DistributionPointInfo"

static void translations(void **state)
{
	static const struct {
		const char *wql, *cls, *filter;
	} cases[] = {
		{ "SELECT * FROM " DPI, DPI, NULL },
		{ "select * from sms_providerlocation", "sms_providerlocation",
		  NULL },
		{ "SELECT * FROM " DPI " WHERE Name = 'DP01.contoso.com'", DPI,
		  "Name eq 'DP01.contoso.com'" },
		/* dpc_wql_quote's escapes, and double quotes. */
		{ "SELECT * FROM " DPI " WHERE NALPath = '[\\\"Display=\\\\\\\\"
		  "DP01\\\\\\\"]'", DPI, "NALPath eq '[\"Display=\\\\DP01\\\"]'" },
		{ "SELECT * FROM C WHERE A = \"it's\"", "C", "A eq 'it''s'" },
		{ "SELECT * FROM C WHERE A <> 1 AND B != -2.5e3", "C",
		  "A ne 1 and B ne -2.5e3" },
		{ "SELECT * FROM C WHERE A < 1 OR A <= 2 OR A > 3 OR A >= 4", "C",
		  "A lt 1 or A le 2 or A gt 3 or A ge 4" },
		/* The literal first: the operator turned round. */
		{ "SELECT * FROM C WHERE 5 < A AND 'x' = B AND 1 >= C", "C",
		  "A gt 5 and B eq 'x' and C le 1" },
		{ "SELECT * FROM C WHERE A = TRUE AND B = false", "C",
		  "A eq true and B eq false" },
		{ "SELECT * FROM C WHERE A IS NULL OR B IS NOT NULL OR C = NULL",
		  "C", "A eq null or B ne null or C eq null" },
		{ "SELECT * FROM " DPI " WHERE Name LIKE 'dp0%' AND "
		  "MaintenanceMode = 0", DPI,
		  "startswith(Name,'dp0') and MaintenanceMode eq 0" },
		{ "SELECT * FROM C WHERE A LIKE '%.net'", "C",
		  "endswith(A,'.net')" },
		{ "SELECT * FROM C WHERE A LIKE '%%mid%%'", "C",
		  "contains(A,'mid')" },
		{ "SELECT * FROM C WHERE A LIKE 'exact'", "C", "A eq 'exact'" },
		{ "SELECT * FROM C WHERE A LIKE '%'", "C", "A ne null" },
		/* [x] is x itself: what dpclient's short-name lookup sends. */
		{ "SELECT * FROM C WHERE A LIKE '50[%][_]x[[]%'", "C",
		  "startswith(A,'50%_x[')" },
		{ "SELECT * FROM C WHERE A NOT LIKE 'x%'", "C",
		  "not (startswith(A,'x'))" },
		/* Precedence: NOT, then AND, then OR; brackets kept where
		 * OData needs them. */
		{ "SELECT * FROM C WHERE A = 1 OR B = 2 AND C = 3", "C",
		  "A eq 1 or B eq 2 and C eq 3" },
		{ "SELECT * FROM C WHERE (A = 1 OR B = 2) AND C = 3", "C",
		  "(A eq 1 or B eq 2) and C eq 3" },
		{ "SELECT * FROM C WHERE C = 3 AND (A = 1 OR B = 2)", "C",
		  "C eq 3 and (A eq 1 or B eq 2)" },
		{ "SELECT * FROM C WHERE NOT A = 1 AND NOT (B = 2 OR C = 3)",
		  "C", "not (A eq 1) and not (B eq 2 or C eq 3)" },
		{ "SELECT * FROM C WHERE ((A = 1))", "C", "A eq 1" },
		{ "SELECT * FROM C WHERE NOT NOT A = 1", "C",
		  "not (not (A eq 1))" },
		{ "  SELECT\t*\nFROM C\r\nWHERE A=1  ", "C", "A eq 1" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dpcw_query q;
		char why[256];

		if (dpcw_translate(cases[i].wql, &q, why, sizeof(why)))
			fail_msg("case %zu: %s", i, why);
		assert_string_equal(q.cls, cases[i].cls);
		if (cases[i].filter) {
			if (!q.filter || strcmp(q.filter, cases[i].filter))
				fail_msg("case %zu: %s", i,
					 q.filter ? q.filter : "(none)");
		} else {
			assert_null(q.filter);
		}
		assert_null(q.props);
		assert_int_equal(q.nprops, 0);
		dpcw_query_clear(&q);
	}
}

static void property_list(void **state)
{
	struct dpcw_query q;
	char why[256];

	assert_int_equal(dpcw_translate("SELECT Name, maintenancemode,NALPath "
					"FROM " DPI " WHERE SiteCode = 'PS1'",
					&q, why, sizeof(why)), 0);
	assert_int_equal(q.nprops, 3);
	assert_string_equal(q.props[0], "Name");
	assert_string_equal(q.props[1], "maintenancemode");
	assert_string_equal(q.props[2], "NALPath");
	assert_string_equal(q.filter, "SiteCode eq 'PS1'");
	dpcw_query_clear(&q);
	assert_null(q.cls);
}

/* What is refused, where, and why. */
static void refusals(void **state)
{
	static const struct {
		const char *wql, *why;
	} cases[] = {
		{ "", "position 1: expected SELECT, found the end of the query" },
		{ "SELECT * FORM " DPI, "position 10: expected FROM, found 'FORM'" },
		{ "SELECT FROM C", "position 8: expected * or a property name, "
		  "found 'FROM'" },
		{ "SELECT A, FROM C", "position 11: expected * or a property "
		  "name, found 'FROM'" },
		{ "SELECT * FROM", "position 14: expected a class name after "
		  "FROM, found the end of the query" },
		{ "SELECT * FROM C WHERE", "position 22: expected a property "
		  "name, found the end of the query" },
		{ "SELECT * FROM C WHERE A", "position 24: expected a comparison "
		  "(=, <>, <, <=, >, >=, LIKE, IS NULL), found the end of the "
		  "query" },
		{ "SELECT * FROM C WHERE A = B", "position 27: comparing two "
		  "properties has no OData form" },
		{ "SELECT * FROM C WHERE A = 1 B = 2", "position 29: expected "
		  "AND, OR or the end of the query, found 'B'" },
		{ "SELECT * FROM C X", "position 17: expected WHERE or the end "
		  "of the query, found 'X'" },
		{ "SELECT * FROM C WHERE (A = 1", "position 29: expected ')', "
		  "found the end of the query" },
		{ "SELECT * FROM C WHERE A = 'x", "position 27: a string that "
		  "starts here has no closing '" },
		{ "SELECT * FROM C WHERE A = 0x10", "position 27: hexadecimal "
		  "numbers have no OData form; write the number in decimal" },
		{ "SELECT * FROM C WHERE A = 12abc", "position 27: '12abc' is "
		  "not a number" },
		{ "SELECT * FROM C WHERE A = #", "position 27: unexpected "
		  "character '#'" },
		{ "SELECT * FROM C WHERE A = \x01", "position 27: unexpected "
		  "control character 0x01" },
		/* A message stays one line. */
		{ "SELECT * FROM C 'a\nb'", "position 17: expected WHERE or "
		  "the end of the query, found 'a?b'" },
		{ "SELECT * FROM C WHERE A IS 1", "position 28: expected NULL "
		  "after IS, found '1'" },
		{ "SELECT * FROM C WHERE A NOT = 1", "position 29: expected LIKE "
		  "after NOT, found '='" },
		{ "SELECT * FROM C WHERE A LIKE 1", "position 30: expected a "
		  "pattern in quotes after LIKE, found '1'" },
		{ "SELECT * FROM C WHERE A LIKE 'a_c'", "position 30: LIKE "
		  "pattern: '_' (any one character) has no OData form" },
		{ "SELECT * FROM C WHERE A LIKE 'a%c'", "position 30: LIKE "
		  "pattern: a '%' inside the pattern has no OData form" },
		{ "SELECT * FROM C WHERE A LIKE '[a-c]%'", "position 30: LIKE "
		  "pattern: a set of characters in [] has no OData form" },
		{ "SELECT * FROM C WHERE A LIKE '[^a]'", "position 30: LIKE "
		  "pattern: a set of characters in [] has no OData form" },
		/* A '[' at the end (read past the pattern once). */
		{ "SELECT * FROM C WHERE A LIKE 'a['", "position 30: LIKE "
		  "pattern: a set of characters in [] has no OData form" },
		{ "SELECT * FROM C WHERE A LIKE 'a[b'", "position 30: LIKE "
		  "pattern: a set of characters in [] has no OData form" },
		{ "SELECT * FROM C WHERE 1 = 2", "position 27: expected a "
		  "property name after the operator, found '2'" },
		{ "SELECT * FROM C WHERE 'x' LIKE A", "position 27: expected a "
		  "comparison operator after the literal, found 'LIKE'" },
		{ "SELECT * FROM C WHERE A ISA 'B'", "position 25: ISA has no "
		  "OData form" },
		{ "ASSOCIATORS OF {X.Name='y'}", "position 1: ASSOCIATORS OF "
		  "has no OData form" },
		{ "REFERENCES OF {X}", "position 1: REFERENCES OF has no OData "
		  "form" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dpcw_query q;
		char why[256];

		if (dpcw_translate(cases[i].wql, &q, why, sizeof(why)) !=
		    -EINVAL)
			fail_msg("case %zu (%s) was not refused", i,
				 cases[i].wql);
		if (strncmp(why, cases[i].why, strlen(cases[i].why)))
			fail_msg("case %zu (%s): %s", i, cases[i].wql, why);
		/* Nothing is left to free. */
		assert_null(q.cls);
		assert_null(q.filter);
		assert_null(q.props);
	}
}

/* 64 levels of brackets and NOTs are read; the 65th is refused, not a
 * stack overflow (found by fuzz_odata_answer). */
static void nesting(void **state)
{
	char wql[1024];
	struct dpcw_query q;
	char why[256];
	size_t n;

	for (int depth = 64; depth <= 65; depth++) {
		n = (size_t)snprintf(wql, sizeof(wql), "SELECT * FROM C WHERE ");
		for (int i = 0; i < depth; i++)
			n += (size_t)snprintf(wql + n, sizeof(wql) - n, "%s",
					      i % 2 ? "(" : "NOT ");
		n += (size_t)snprintf(wql + n, sizeof(wql) - n, "A = 1");
		for (int i = 0; i < depth; i++)
			if (i % 2)
				n += (size_t)snprintf(wql + n, sizeof(wql) - n,
						      ")");
		if (depth == 64) {
			assert_int_equal(dpcw_translate(wql, &q, why,
							sizeof(why)), 0);
			assert_true(strncmp(q.filter, "not (not (", 10) == 0);
			dpcw_query_clear(&q);
		} else {
			assert_int_equal(dpcw_translate(wql, &q, why,
							sizeof(why)), -EINVAL);
			assert_non_null(strstr(why, "condition nested deeper "
					       "than 64 levels"));
		}
	}
	/* A deep input far past the bound. */
	memset(wql, '(', sizeof(wql) - 1);
	memcpy(wql, "SELECT * FROM C WHERE ", 22);
	wql[sizeof(wql) - 1] = '\0';
	assert_int_equal(dpcw_translate(wql, &q, why, sizeof(why)), -EINVAL);
}

/* A small buffer for why still ends in a NUL. */
static void short_why(void **state)
{
	struct dpcw_query q;
	char why[8];

	assert_int_equal(dpcw_translate("SELECT * FORM C", &q, why,
					sizeof(why)), -EINVAL);
	assert_string_equal(why, "positio");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(translations),
		cmocka_unit_test(property_list),
		cmocka_unit_test(refusals),
		cmocka_unit_test(nesting),
		cmocka_unit_test(short_why),
	};

	return cmocka_run_group_tests_name("dpc_wql", tests, NULL, NULL);
}
