/* Unit tests for simulator/predicate: every node kind over instances of
 * every CIM type, three-valued logic, arrays and any() with its item
 * bindings, check and bind, the sort order, and the index hook (terms and
 * their keys). LIKE's pattern language is tested at length in test_wql. */
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
#include "predicate.h"

enum { A = 1, B = 2, C = 4, ALL = 7, NONE = 0 };

struct fixture {
	struct cim_class *cls;
	struct cim_instance *in[3];
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
		{ "Name", CIM_STRING, CIM_PROP_KEY },
		{ "Mode", CIM_UINT32, 0 },
		{ "Pull", CIM_BOOLEAN, 0 },
		{ "Tags", CIM_STRING, CIM_PROP_ARRAY },
		{ "Ports", CIM_UINT32, CIM_PROP_ARRAY },
		{ "Ratio", CIM_REAL64, 0 },
		{ "Seen", CIM_DATETIME, 0 },
		{ "Note", CIM_STRING, 0 },
		{ "Offset", CIM_SINT8, 0 },
	};
	struct fixture *f = calloc(1, sizeof(*f));
	struct cim_instance *i;

	assert_non_null(f);
	f->cls = cim_class_new("root/test", "Test_Thing");
	assert_non_null(f->cls);
	for (size_t k = 0; k < sizeof(props) / sizeof(props[0]); k++)
		assert_int_equal(cim_class_add_property(f->cls, props[k].name,
							props[k].type,
							props[k].flags),
				 (int)k);
	for (size_t k = 0; k < 3; k++)
		assert_non_null(f->in[k] = cim_instance_new(f->cls));

	i = f->in[0];	/* A */
	set(i, "Name", "DP01.contoso.com");
	set(i, "Mode", "0");
	set(i, "Pull", "false");
	append(i, "Tags", "alpha");
	append(i, "Tags", "Beta");
	append(i, "Ports", "80");
	append(i, "Ports", "443");
	set(i, "Ratio", "1.5");
	set(i, "Seen", "2024-05-01T10:00:00Z");
	set(i, "Note", "O'Brien");
	set(i, "Offset", "-5");

	i = f->in[1];	/* B */
	set(i, "Name", "pulldp01.CONTOSO.com");
	set(i, "Mode", "1");
	set(i, "Pull", "true");
	append(i, "Tags", "gamma");
	append(i, "Ports", "8080");
	set(i, "Ratio", "-2000");
	set(i, "Seen", "2024-06-01T00:00:00Z");
	set(i, "Offset", "7");

	i = f->in[2];	/* C: mostly NULL */
	set(i, "Name", "CLOUD.cloudapp.net");
	set(i, "Mode", "0");

	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	for (size_t k = 0; k < 3; k++)
		cim_instance_free(f->in[k]);
	cim_class_free(f->cls);
	free(f);
	return 0;
}

/* Which of A, B, C p matches; p is freed. */
static unsigned sel(struct fixture *f, struct predicate *p)
{
	unsigned m = 0;

	assert_non_null(p);
	for (size_t k = 0; k < 3; k++)
		if (predicate_match(p, f->in[k]))
			m |= 1u << k;
	predicate_free(p);
	return m;
}

static struct predicate_operand prop(const char *name)
{
	return (struct predicate_operand){ .prop = name };
}

static struct predicate_operand item(const char *name)
{
	return (struct predicate_operand){ .prop = name, .item = true };
}

static struct predicate *cmp(const char *name, enum predicate_op op,
			     enum predicate_lit k, const char *text)
{
	struct predicate_operand o = prop(name);

	return predicate_compare(&o, op, k, text);
}

static struct predicate *icmp(const char *name, enum predicate_op op,
			      enum predicate_lit k, const char *text)
{
	struct predicate_operand o = item(name);

	return predicate_compare(&o, op, k, text);
}

static struct predicate *strfn(const char *name, enum predicate_strfn fn,
			       const char *text)
{
	struct predicate_operand o = prop(name);

	return predicate_string(&o, fn, text);
}

static struct predicate *isnull(const char *name, bool negate)
{
	struct predicate_operand o = prop(name);

	return predicate_null(&o, negate);
}

static struct predicate *like(const char *name, const char *pattern,
			      bool negate)
{
	struct predicate_operand o = prop(name);

	return predicate_like(&o, pattern, negate);
}

/* AND or OR (make) of the n predicates that follow. */
static struct predicate *group(struct predicate *(*make)(void), size_t n, ...)
{
	struct predicate *g = make();
	va_list ap;

	assert_non_null(g);
	va_start(ap, n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(predicate_add(g, va_arg(ap, struct predicate *)),
				 0);
	va_end(ap);
	return g;
}

#define STR PREDICATE_LIT_STRING
#define INT PREDICATE_LIT_INT
#define REAL PREDICATE_LIT_REAL
#define BOOL PREDICATE_LIT_BOOL
#define EQ PREDICATE_EQ
#define NE PREDICATE_NE
#define LT PREDICATE_LT
#define GT PREDICATE_GT
#define LE PREDICATE_LE
#define GE PREDICATE_GE

static void test_compare_strings(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sel(f, cmp("Name", EQ, STR, "dp01.CONTOSO.COM")), A);
	assert_int_equal(sel(f, cmp("name", EQ, STR, "dp01.contoso.com")), A);
	assert_int_equal(sel(f, cmp("Name", NE, STR, "DP01.contoso.com")),
			 B | C);
	/* folded order: "cloud..." < "dp01..." < "pulldp01..." */
	assert_int_equal(sel(f, cmp("Name", LT, STR, "D")), C);
	assert_int_equal(sel(f, cmp("Name", GT, STR, "dp01.contoso.com")), B);
	assert_int_equal(sel(f, cmp("Name", GE, STR, "dp01.contoso.com")),
			 A | B);
	assert_int_equal(sel(f, cmp("Name", LE, STR, "DP01.contoso.com")),
			 A | C);
	assert_int_equal(sel(f, cmp("Note", EQ, STR, "o'brien")), A);
}

static void test_compare_numbers(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sel(f, cmp("Mode", EQ, INT, "1")), B);
	assert_int_equal(sel(f, cmp("Mode", EQ, STR, "1")), B);
	assert_int_equal(sel(f, cmp("Mode", EQ, REAL, "1.0")), B);
	assert_int_equal(sel(f, cmp("Mode", NE, INT, "1")), A | C);
	assert_int_equal(sel(f, cmp("Mode", LT, REAL, "0.5")), A | C);
	assert_int_equal(sel(f, cmp("Mode", GE, INT, "0")), ALL);
	/* does not fit a uint32: false, whatever the operator */
	assert_int_equal(sel(f, cmp("Mode", NE, INT, "-1")), NONE);
	assert_int_equal(sel(f, cmp("Mode", LT, INT, "4294967296")), NONE);
	assert_int_equal(sel(f, cmp("Mode", EQ, STR, "one")), NONE);
	assert_int_equal(sel(f, cmp("Offset", LT, INT, "0")), A);
	assert_int_equal(sel(f, cmp("Offset", GT, INT, "-129")), NONE);
	assert_int_equal(sel(f, cmp("Offset", GT, REAL, "-5.5")), A | B);
	assert_int_equal(sel(f, cmp("Ratio", GT, INT, "0")), A);
	assert_int_equal(sel(f, cmp("Ratio", EQ, REAL, "-2e3")), B);
	assert_int_equal(sel(f, cmp("Ratio", LE, STR, "1.5")), A | B);
}

static void test_compare_booleans_and_datetimes(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sel(f, cmp("Pull", EQ, BOOL, "true")), B);
	assert_int_equal(sel(f, cmp("Pull", EQ, INT, "0")), A);
	assert_int_equal(sel(f, cmp("Pull", EQ, STR, "TRUE")), B);
	assert_int_equal(sel(f, cmp("Pull", LT, BOOL, "true")), A);
	assert_int_equal(sel(f, cmp("Pull", EQ, INT, "2")), NONE);
	assert_int_equal(sel(f, cmp("Seen", GT, STR, "2024-05-15T00:00:00Z")),
			 B);
	/* compared as text: the same instant spelled another way (DMTF,
	 * canonically with microseconds) is not equal */
	assert_int_equal(sel(f, cmp("Seen", EQ, STR,
				    "20240501100000.000000+000")), NONE);
	assert_int_equal(sel(f, cmp("Seen", EQ, STR, "2024-05-01t10:00:00z")),
			 A);
}

static void test_three_valued(void **state)
{
	struct fixture *f = *state;

	/* C has no Note, B none either: comparisons on them are UNKNOWN */
	assert_int_equal(sel(f, cmp("Note", NE, STR, "x")), A);
	assert_int_equal(sel(f, predicate_not(cmp("Note", EQ, STR, "x"))), A);
	assert_int_equal(sel(f, predicate_not(predicate_not(
			 cmp("Note", EQ, STR, "O'Brien")))), A);
	/* UNKNOWN OR TRUE is TRUE; UNKNOWN AND TRUE is UNKNOWN */
	assert_int_equal(sel(f, group(predicate_or, 2,
				      cmp("Note", EQ, STR, "x"),
				      cmp("Mode", EQ, INT, "0"))), A | C);
	assert_int_equal(sel(f, group(predicate_and, 2,
				      cmp("Note", NE, STR, "x"),
				      cmp("Mode", EQ, INT, "0"))), A);
	/* NOT (UNKNOWN AND FALSE) is NOT FALSE: TRUE */
	assert_int_equal(sel(f, predicate_not(group(predicate_and, 2,
				      cmp("Note", EQ, STR, "x"),
				      cmp("Mode", EQ, INT, "7")))), ALL);
	assert_int_equal(sel(f, isnull("Note", false)), B | C);
	assert_int_equal(sel(f, isnull("Note", true)), A);
	assert_int_equal(sel(f, isnull("Tags", false)), C);
	assert_int_equal(sel(f, predicate_not(isnull("Ratio", false))), A | B);
	/* a property the class lacks: the leaf is false, not unknown */
	assert_int_equal(sel(f, cmp("Nope", NE, STR, "x")), NONE);
	assert_int_equal(sel(f, predicate_not(cmp("Nope", EQ, STR, "x"))),
			 ALL);
}

static void test_arrays(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sel(f, cmp("Tags", EQ, STR, "BETA")), A);
	/* some item differs: A (alpha) and B (gamma); C has none */
	assert_int_equal(sel(f, cmp("Tags", NE, STR, "beta")), A | B);
	assert_int_equal(sel(f, cmp("Ports", GT, INT, "1000")), B);
	assert_int_equal(sel(f, like("Tags", "%ET%", false)), A);
	assert_int_equal(sel(f, like("Tags", "%ET%", true)), A | B);
	assert_int_equal(sel(f, strfn("Tags", PREDICATE_STARTS_WITH, "g")), B);
}

static void test_string_functions(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sel(f, strfn("Name", PREDICATE_STARTS_WITH, "dp0")),
			 A);
	assert_int_equal(sel(f, strfn("Name", PREDICATE_STARTS_WITH, "")),
			 ALL);
	assert_int_equal(sel(f, strfn("Name", PREDICATE_ENDS_WITH,
				      ".contoso.COM")), A | B);
	assert_int_equal(sel(f, strfn("Name", PREDICATE_CONTAINS, "DP01")),
			 A | B);
	assert_int_equal(sel(f, strfn("Name", PREDICATE_CONTAINS,
				      "cloudapp.net.")), NONE);
	assert_int_equal(sel(f, strfn("Note", PREDICATE_CONTAINS, "'")), A);
	/* on NULL: UNKNOWN, so NOT does not turn it true */
	assert_int_equal(sel(f, predicate_not(strfn("Note",
			 PREDICATE_CONTAINS, "zzz"))), A);
	/* canonical text of other types */
	assert_int_equal(sel(f, strfn("Mode", PREDICATE_STARTS_WITH, "1")), B);
	/* a case transform changes nothing: comparisons fold case */
	{
		struct predicate_operand o = prop("Name");

		o.xform = PREDICATE_CASE_UPPER;
		assert_int_equal(sel(f, predicate_string(&o,
				 PREDICATE_STARTS_WITH, "dp")), A);
		o.xform = PREDICATE_CASE_LOWER;
		assert_int_equal(sel(f, predicate_compare(&o, EQ, STR,
				 "PULLDP01.contoso.com")), B);
	}
}

static void test_any(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sel(f, predicate_any("Tags", 0,
			 icmp("Tags", EQ, STR, "beta"))), A);
	assert_int_equal(sel(f, predicate_any("Tags", 0, NULL)), A | B);
	/* over NULL: false, and never UNKNOWN, so NOT any is true */
	assert_int_equal(sel(f, predicate_not(predicate_any("Tags", 0,
			 icmp("Tags", EQ, STR, "beta")))), B | C);
	/* both conditions on the same item, unlike two array leaves */
	assert_int_equal(sel(f, predicate_any("Tags", 0,
			 group(predicate_and, 2,
			       icmp("Tags", EQ, STR, "alpha"),
			       icmp("Tags", EQ, STR, "beta")))), NONE);
	assert_int_equal(sel(f, group(predicate_and, 2,
				      cmp("Tags", EQ, STR, "alpha"),
				      cmp("Tags", EQ, STR, "beta"))), A);
	/* every item differs from "alpha": not any(item eq alpha) */
	assert_int_equal(sel(f, predicate_any("Tags", 0,
			 predicate_not(icmp("Tags", EQ, STR, "alpha")))), A | B);
	/* a body that also looks at the instance */
	assert_int_equal(sel(f, predicate_any("Ports", 0,
			 group(predicate_and, 2,
			       icmp("Ports", GT, INT, "100"),
			       cmp("Mode", EQ, INT, "1")))), B);
	/* nested: an item of Ports above 400 next to an item of Tags that
	 * starts with b */
	{
		struct predicate_operand t = item("Tags");
		struct predicate *inner = predicate_any("Ports", 0,
			group(predicate_and, 2,
			      icmp("Ports", GT, INT, "400"),
			      predicate_string(&t, PREDICATE_STARTS_WITH,
					       "B")));

		assert_int_equal(sel(f, predicate_any("Tags", 0, inner)), A);
	}
	/* an item leaf outside its any: false */
	assert_int_equal(sel(f, icmp("Tags", EQ, STR, "alpha")), NONE);
	/* item null tests: an item is never null */
	{
		struct predicate_operand t = item("Tags");

		assert_int_equal(sel(f, predicate_any("Tags", 0,
				 predicate_null(&t, false))), NONE);
		assert_int_equal(sel(f, predicate_any("Tags", 0,
				 predicate_null(&t, true))), A | B);
	}
}

static void test_like(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(sel(f, like("Name", "dp__.%", false)), A);
	assert_int_equal(sel(f, like("Name", "[cp]%", false)), B | C);
	assert_int_equal(sel(f, like("Name", "%.com", true)), C);
	assert_int_equal(sel(f, like("Note", "%", true)), NONE);
	assert_true(predicate_like_match("100%", "100[%]"));
	assert_false(predicate_like_match("1000", "100[%]"));
	assert_false(predicate_like_match(NULL, "%"));
}

static void test_add_and_free(void **state)
{
	struct fixture *f = *state;
	struct predicate *leaf = cmp("Mode", EQ, INT, "0");
	struct predicate *g = predicate_and();

	/* a leaf takes no children; the child is freed all the same */
	assert_int_equal(predicate_add(leaf, cmp("Mode", EQ, INT, "1")),
			 -EINVAL);
	assert_int_equal(sel(f, leaf), A | C);
	/* an AND of one child is that child */
	assert_int_equal(predicate_add(g, cmp("Mode", EQ, INT, "1")), 0);
	assert_int_equal(sel(f, g), B);
	predicate_free(NULL);
}

static void test_check_and_bind(void **state)
{
	struct fixture *f = *state;
	struct predicate_operand o = { .prop = "Missing", .pos = 42 };
	struct predicate *p = group(predicate_and, 3,
				    cmp("mode", EQ, INT, "0"),
				    predicate_any("Tags", 7, NULL),
				    predicate_not(predicate_compare(&o, EQ,
								    STR, "x")));
	struct cim_class *other;
	struct cim_instance *oi;
	size_t pos = 0;

	assert_string_equal(predicate_check(p, f->cls, &pos), "Missing");
	assert_int_equal(pos, 42);
	predicate_free(p);

	p = group(predicate_or, 2, cmp("mode", EQ, INT, "1"),
		  predicate_any("TAGS", 0, icmp("Tags", EQ, STR, "alpha")));
	assert_null(predicate_check(p, f->cls, &pos));
	predicate_bind(p, f->cls);
	/* an instance of another class, with the properties elsewhere:
	 * looked up by name, not by the bound index */
	other = cim_class_new("root/test", "Other");
	assert_non_null(other);
	assert_int_equal(cim_class_add_property(other, "Tags", CIM_STRING,
						CIM_PROP_ARRAY), 0);
	assert_int_equal(cim_class_add_property(other, "Mode", CIM_UINT32, 0),
			 1);
	oi = cim_instance_new(other);
	assert_non_null(oi);
	set(oi, "Mode", "1");
	assert_true(predicate_match(p, oi));
	set(oi, "Mode", "0");
	assert_false(predicate_match(p, oi));
	append(oi, "Tags", "ALPHA");
	assert_true(predicate_match(p, oi));
	cim_instance_free(oi);
	cim_class_free(other);
	assert_int_equal(sel(f, p), A | B);
}

static void test_value_order(void **state)
{
	(void)state;
	assert_true(predicate_value_order(CIM_UINT32, "9", "10") < 0);
	assert_true(predicate_value_order(CIM_SINT32, "-5", "3") < 0);
	assert_true(predicate_value_order(CIM_UINT64, "18446744073709551615",
					  "18446744073709551614") > 0);
	assert_int_equal(predicate_value_order(CIM_UINT8, "7", "7"), 0);
	/* text that is not a number sorts after every number */
	assert_true(predicate_value_order(CIM_UINT32, "x", "4294967295") > 0);
	assert_true(predicate_value_order(CIM_REAL64, "-2000", "1.5") < 0);
	assert_true(predicate_value_order(CIM_REAL64, "1.5", "1.50") != 0);
	assert_true(predicate_value_order(CIM_BOOLEAN, "false", "true") < 0);
	/* strings: folded first, then bytes, so the order is total */
	assert_true(predicate_value_order(CIM_STRING, "apple", "Banana") < 0);
	assert_true(predicate_value_order(CIM_STRING, "B", "b") < 0);
	assert_true(predicate_value_order(CIM_STRING, "b", "B") > 0);
	assert_true(predicate_value_order(CIM_STRING, "_", "a") < 0);
	assert_true(predicate_value_order(CIM_DATETIME,
					  "2024-05-01T10:00:00Z",
					  "2024-06-01T00:00:00Z") < 0);
}

/* The terms of p as "PROP:KIND" joined by spaces; p is freed. */
static void terms_of(struct predicate *p, char *buf, size_t n)
{
	struct predicate_term t[8];
	size_t count = predicate_terms(p, t, 8), o = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < count && i < 8; i++)
		o += (size_t)snprintf(buf + o, n - o, "%s%s:%s", i ? " " : "",
				      t[i].prop,
				      t[i].kind == PREDICATE_TERM_EQUAL ?
				      "eq" : "prefix");
	predicate_free(p);
}

static void test_terms(void **state)
{
	struct predicate_term t[2];
	struct predicate *p;
	char buf[256];

	(void)state;
	terms_of(cmp("Name", EQ, STR, "DP01.contoso.com"), buf, sizeof(buf));
	assert_string_equal(buf, "Name:eq");
	terms_of(group(predicate_and, 7,
		       cmp("SiteCode", EQ, STR, "PS1"),
		       strfn("NALPath", PREDICATE_STARTS_WITH, "[\"Display"),
		       like("ServerName", "DP%", false),
		       like("Name", "dp01.contoso.com", false),
		       cmp("MaintenanceMode", EQ, INT, "1"),
		       strfn("Name", PREDICATE_ENDS_WITH, ".com"),
		       cmp("Mode", NE, INT, "1")), buf, sizeof(buf));
	assert_string_equal(buf, "SiteCode:eq NALPath:prefix ServerName:prefix "
			    "Name:eq MaintenanceMode:eq");
	/* nothing is necessary under OR, NOT, a negated LIKE, a LIKE that
	 * starts with a wildcard, or in an any body */
	terms_of(group(predicate_or, 2, cmp("Name", EQ, STR, "a"),
		       cmp("Name", EQ, STR, "b")), buf, sizeof(buf));
	assert_string_equal(buf, "");
	terms_of(group(predicate_and, 5,
		       predicate_not(cmp("Name", EQ, STR, "a")),
		       like("Name", "DP%", true),
		       like("Name", "%DP", false),
		       like("Name", "_P", false),
		       predicate_any("Tags", 0, icmp("Tags", EQ, STR, "x"))),
		 buf, sizeof(buf));
	assert_string_equal(buf, "");
	terms_of(group(predicate_and, 2,
		       group(predicate_and, 1, cmp("Name", EQ, STR, "a")),
		       cmp("Mode", EQ, INT, "0")), buf, sizeof(buf));
	assert_string_equal(buf, "Mode:eq");
	/* the count even when out is too small */
	p = group(predicate_and, 3, cmp("A", EQ, STR, "1"),
		  cmp("B", EQ, STR, "2"), cmp("C", EQ, STR, "3"));
	assert_int_equal(predicate_terms(p, NULL, 0), 3);
	assert_int_equal(predicate_terms(p, t, 2), 3);
	assert_string_equal(t[1].prop, "B");
	predicate_free(p);
}

/* The key of the one term of p for type t ("!ERANGE", "!EINVAL"). */
static void key_of(struct predicate *p, enum cim_type t, char *buf, size_t n)
{
	struct predicate_term term;
	char *key = NULL;
	int r;

	assert_int_equal(predicate_terms(p, &term, 1), 1);
	r = predicate_term_key(&term, t, &key);
	if (r == 0)
		snprintf(buf, n, "%s", key);
	else
		snprintf(buf, n, "%s", r == -ERANGE ? "!ERANGE" :
			 r == -EINVAL ? "!EINVAL" : "!other");
	if (r)
		assert_null(key);
	free(key);
	predicate_free(p);
}

static void test_term_keys(void **state)
{
	static const struct {
		enum predicate_lit kind;
		const char *text;
		enum cim_type type;
		const char *key;
	} eq[] = {
		{ STR, "DP01.Contoso.COM", CIM_STRING, "dp01.contoso.com" },
		{ STR, "X", CIM_CHAR16, "x" },
		{ INT, "1", CIM_UINT32, "1" },
		{ STR, "01", CIM_UINT32, "1" },
		{ INT, "-0", CIM_SINT32, "0" },
		{ INT, "-128", CIM_SINT8, "-128" },
		{ INT, "-129", CIM_SINT8, "!ERANGE" },
		{ INT, "-1", CIM_UINT32, "!ERANGE" },
		{ INT, "4294967296", CIM_UINT32, "!ERANGE" },
		{ REAL, "1.0", CIM_UINT32, "1" },
		{ REAL, "-3e0", CIM_SINT16, "-3" },
		{ REAL, "1.5", CIM_UINT32, "!ERANGE" },
		{ REAL, "1e300", CIM_UINT64, "!EINVAL" },
		{ REAL, "300.0", CIM_UINT8, "!ERANGE" },
		{ STR, "one", CIM_UINT32, "!ERANGE" },
		{ BOOL, "true", CIM_BOOLEAN, "true" },
		{ STR, "FALSE", CIM_BOOLEAN, "false" },
		{ INT, "1", CIM_BOOLEAN, "true" },
		{ INT, "2", CIM_BOOLEAN, "!ERANGE" },
		{ REAL, "1.5", CIM_REAL64, "!EINVAL" },
		{ STR, "20240501100000.000000+000", CIM_DATETIME,
		  "2024-05-01t10:00:00.000000z" },
		{ STR, "2024-05-01T10:00:00Z", CIM_DATETIME,
		  "2024-05-01t10:00:00z" },
	};
	char buf[128];

	(void)state;
	for (size_t i = 0; i < sizeof(eq) / sizeof(eq[0]); i++) {
		key_of(cmp("P", EQ, eq[i].kind, eq[i].text), eq[i].type, buf,
		       sizeof(buf));
		if (strcmp(buf, eq[i].key))
			fail_msg("%s as %s: key '%s', expected '%s'",
				 eq[i].text, cim_type_name(eq[i].type), buf,
				 eq[i].key);
	}
	key_of(like("P", "DP0%.com", false), CIM_STRING, buf, sizeof(buf));
	assert_string_equal(buf, "dp0");
	key_of(like("P", "DP01", false), CIM_STRING, buf, sizeof(buf));
	assert_string_equal(buf, "dp01");
	key_of(like("P", "1%", false), CIM_UINT32, buf, sizeof(buf));
	assert_string_equal(buf, "1");
	key_of(strfn("P", PREDICATE_STARTS_WITH, "[\"Display=\\\\DP"),
	       CIM_STRING, buf, sizeof(buf));
	assert_string_equal(buf, "[\"display=\\\\dp");
}

/* What the hook promises, checked on the fixture: an instance whose
 * folded value has the key (or starts with it) is exactly one that
 * matches the term's leaf. */
static void test_term_keys_agree_with_match(void **state)
{
	struct fixture *f = *state;
	struct predicate *leaves[] = {
		cmp("Name", EQ, STR, "PULLDP01.contoso.COM"),
		cmp("Mode", EQ, STR, "0"),
		cmp("Mode", EQ, REAL, "1e0"),
		cmp("Pull", EQ, INT, "1"),
		cmp("Seen", EQ, STR, "2024-06-01T00:00:00Z"),
		strfn("Name", PREDICATE_STARTS_WITH, "Dp"),
		like("Name", "CLOUD%", false),
		like("Mode", "1", false),
	};

	for (size_t i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		struct predicate_term t;
		char *key;

		assert_int_equal(predicate_terms(leaves[i], &t, 1), 1);
		for (size_t k = 0; k < 3; k++) {
			int idx = cim_class_find_property(f->cls, t.prop);
			enum cim_type type = cim_class_property(
				f->cls, (size_t)idx)->type;
			const char *v = cim_instance_text(f->in[k], t.prop);
			bool hit = false;

			assert_int_equal(predicate_term_key(&t, type, &key), 0);
			if (v) {
				size_t n = t.kind == PREDICATE_TERM_EQUAL ?
					   strlen(v) + 1 : strlen(key);
				char *fv = strdup(v);

				assert_non_null(fv);
				for (char *c = fv; *c; c++)
					if (*c >= 'A' && *c <= 'Z')
						*c = (char)(*c + 32);
				hit = strncmp(fv, key, n) == 0;
				free(fv);
			}
			if (hit != predicate_match(leaves[i], f->in[k]))
				fail_msg("term %zu, instance %zu: key '%s' "
					 "says %d, match says %d", i, k, key,
					 hit, !hit);
			free(key);
		}
		predicate_free(leaves[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_compare_strings, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_compare_numbers, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_compare_booleans_and_datetimes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_three_valued, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_arrays, setup, teardown),
		cmocka_unit_test_setup_teardown(test_string_functions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_any, setup, teardown),
		cmocka_unit_test_setup_teardown(test_like, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_and_free, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_check_and_bind, setup,
						teardown),
		cmocka_unit_test(test_value_order),
		cmocka_unit_test(test_terms),
		cmocka_unit_test(test_term_keys),
		cmocka_unit_test_setup_teardown(
			test_term_keys_agree_with_match, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
