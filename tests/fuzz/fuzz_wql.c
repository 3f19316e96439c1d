/* fuzz_wql: the WQL a client sends in an Enumerate filter.
 *
 * The input up to its first NUL is a query: wql_parse(), then, when it
 * parses, wql_query_check() against an SMS_DistributionPointInfo-like class
 * with a property of every CIM type, and wql_query_match() against a full,
 * an all-NULL and an array-heavy instance. The same text also goes through
 * wql_like() as a pattern, and when the input holds a NUL the two halves
 * are matched against each other ("text\0pattern"). Seeds:
 * tests/fuzz/corpus/wql/. */
#include <errno.h>
#include <strings.h>

#include "cim.h"
#include "fuzz_common.h"
#include "wql.h"

#define NAL_DP01 "[\"Display=\\\\DP01.contoso.com\\\"]MSWNET:" \
		 "[\"SMS_SITE=PS1\"]\\\\DP01.contoso.com\\"

static const struct {
	const char *name;
	enum cim_type type;
	unsigned flags;
} class_props[] = {
	{ "NALPath", CIM_STRING, CIM_PROP_KEY },
	{ "ResourceType", CIM_STRING, CIM_PROP_KEY },
	{ "SiteCode", CIM_STRING, CIM_PROP_KEY },
	{ "Name", CIM_STRING, 0 },
	{ "ServerName", CIM_STRING, 0 },
	{ "Description", CIM_STRING, 0 },
	{ "MaintenanceMode", CIM_UINT32, 0 },
	{ "IsPullDP", CIM_BOOLEAN, 0 },
	{ "Priority", CIM_UINT8, 0 },
	{ "Small", CIM_SINT8, 0 },
	{ "Port", CIM_UINT16, 0 },
	{ "Delta", CIM_SINT16, 0 },
	{ "Offset", CIM_SINT32, 0 },
	{ "Big", CIM_UINT64, 0 },
	{ "Signed", CIM_SINT64, 0 },
	{ "Ratio", CIM_REAL64, 0 },
	{ "Weight", CIM_REAL32, 0 },
	{ "LastSeen", CIM_DATETIME, 0 },
	{ "Letter", CIM_CHAR16, 0 },
	{ "Tags", CIM_STRING, CIM_PROP_ARRAY },
	{ "Ports", CIM_UINT32, CIM_PROP_ARRAY },
};

/* name, canonical value; a name given twice is an array. */
static const char *const full_values[][2] = {
	{ "NALPath", NAL_DP01 },
	{ "ResourceType", "Windows NT Server" },
	{ "SiteCode", "PS1" },
	{ "Name", "DP01.contoso.com" },
	{ "ServerName", "DP01.contoso.com" },
	{ "Description", "O'Brien's \"branch\" \\\\share" },
	{ "MaintenanceMode", "1" },
	{ "IsPullDP", "false" },
	{ "Priority", "255" },
	{ "Small", "-128" },
	{ "Port", "65535" },
	{ "Delta", "-32768" },
	{ "Offset", "-5" },
	{ "Big", "18446744073709551615" },
	{ "Signed", "-9223372036854775808" },
	{ "Ratio", "1.5" },
	{ "Weight", "-0.25" },
	{ "LastSeen", "2024-05-01T10:00:00Z" },
	{ "Letter", "x" },
	{ "Tags", "alpha" },
	{ "Tags", "Beta" },
	{ "Ports", "80" },
	{ "Ports", "443" },
};

static const char *const sparse_values[][2] = {
	{ "NALPath", "" },
	{ "Name", "%_[^a-z]" },
	{ "Tags", "" },
	{ "Ports", "0" },
	{ "Ports", "4294967295" },
	{ "Ports", "8080" },
};

static struct cim_class *make_class(void)
{
	struct cim_class *c = cim_class_new("root/sms/site_PS1",
					    "SMS_DistributionPointInfo");
	size_t n = sizeof(class_props) / sizeof(class_props[0]);

	FUZZ_CHECK(c != NULL);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(cim_class_add_property(c, class_props[i].name,
						  class_props[i].type,
						  class_props[i].flags) ==
			   (int)i);
	return c;
}

static struct cim_instance *make_instance(const struct cim_class *c,
					  const char *const (*values)[2],
					  size_t n)
{
	struct cim_instance *inst = cim_instance_new(c);

	FUZZ_CHECK(inst != NULL);
	for (size_t i = 0; i < n; i++) {
		int idx = cim_class_find_property(c, values[i][0]);

		FUZZ_CHECK(idx >= 0);
		FUZZ_CHECK(cim_instance_append(inst, (size_t)idx,
					       values[i][1]) == 0);
	}
	return inst;
}

static void match_all(const struct wql_query *q)
{
	struct cim_class *c = make_class();
	struct cim_instance *inst[3];
	struct wql_error err;
	size_t n = 3;

	memset(&err, 'x', sizeof(err));
	if (wql_query_check(q, c, &err) != 0) {
		FUZZ_CHECK(memchr(err.message, '\0', sizeof(err.message)));
		fuzz_touch(err.message);
		cim_class_free(c);
		return;
	}
	inst[0] = make_instance(c, full_values,
				sizeof(full_values) / sizeof(full_values[0]));
	inst[1] = make_instance(c, NULL, 0);
	inst[2] = make_instance(c, sparse_values,
				sizeof(sparse_values) /
				sizeof(sparse_values[0]));
	for (size_t i = 0; i < n; i++) {
		(void)wql_query_match(q, inst[i]);
		cim_instance_free(inst[i]);
	}
	cim_class_free(c);
}

static void parse_query(const char *text)
{
	struct wql_query *q = NULL;
	struct wql_error err;
	int rc;

	memset(&err, 'x', sizeof(err));
	rc = wql_parse(text, &q, &err);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc != 0) {
		FUZZ_CHECK(memchr(err.message, '\0', sizeof(err.message)));
		FUZZ_CHECK(err.message[0] != '\0');
		FUZZ_CHECK(err.pos <= strlen(text));
		return;
	}
	FUZZ_CHECK(q != NULL);
	FUZZ_CHECK(wql_query_class(q) != NULL);
	fuzz_touch(wql_query_class(q));
	if (wql_query_select_count(q) > 0) {
		const char *const *sel = wql_query_select(q);

		FUZZ_CHECK(sel != NULL);
		for (size_t i = 0; i < wql_query_select_count(q); i++) {
			FUZZ_CHECK(sel[i] != NULL);
			fuzz_touch(sel[i]);
		}
	}
	/* The provider checks only queries FROM its class; the check and
	 * the match do not look at the class name, so try every query. */
	match_all(q);
	wql_query_free(q);
}

/* No %, _ or [ in p: then LIKE is plain case-insensitive equality. */
static bool is_literal_pattern(const char *p)
{
	return strpbrk(p, "%_[") == NULL;
}

static void like(const char *text, const char *pattern)
{
	bool m = wql_like(text, pattern);

	if (is_literal_pattern(pattern))
		FUZZ_CHECK(m == (strcasecmp(text, pattern) == 0));
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_xml_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strndup(data, size);
	size_t alen = strlen(s);

	parse_query(s);

	FUZZ_CHECK(wql_like(s, "%"));
	like(NAL_DP01, s);
	like(s, s);
	if (alen < size) {
		const char *b = s + alen + 1;

		like(s, b);
		like(b, s);
	}
	free(s);
	return 0;
}
