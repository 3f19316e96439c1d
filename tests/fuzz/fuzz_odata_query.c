/* fuzz_odata_query: the query options of an AdminService request.
 *
 * An input is the decoded query string, one option a line:
 *
 *   $filter=startswith(Name,'DP') and Tags/any(t: t eq 'x')
 *   $orderby=MaintenanceMode desc,Name
 *   $top=2
 *
 * A line without '=' is an option without a value. The options go to
 * odata_query_parse() against a class with a property of every CIM type
 * (and arrays); what parses is applied to a full, an all-NULL and an
 * array-heavy instance, in every order of the three.
 *
 * Contracts checked beyond the sanitizers: the return codes and *out as
 * the header says; an error's message is one line of valid UTF-8 that
 * starts with "OPTION at position N: " when N is not 0, its token is
 * valid UTF-8, N lies within the option's value (or just past it), and
 * the option is one the input named; a result keeps at most what the
 * filter matched, only input instances, each at most once, in $orderby
 * order, with property indices of the class; and the index hook's
 * promise: every instance the filter keeps satisfies each term whose key
 * can be computed, and no instance is kept when a term's key is -ERANGE.
 * Seeds: tests/fuzz/corpus/odata_query/. */
#include <errno.h>
#include <strings.h>

#include "cim.h"
#include "fuzz_common.h"
#include "odata_query.h"
#include "predicate.h"

#define NAL_DP01 "[\"Display=\\\\DP01.contoso.com\\\"]MSWNET:" \
		 "[\"SMS_SITE=PS1\"]\\\\DP01.contoso.com\\"
#define MAX_OPTS 16

static const struct {
	const char *name;
	enum cim_type type;
	unsigned flags;
} class_props[] = {
	{ "NALPath", CIM_STRING, CIM_PROP_KEY },
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
	{ "Flags", CIM_BOOLEAN, CIM_PROP_ARRAY },
};

/* name, canonical value; a name given twice is an array. */
static const char *const full_values[][2] = {
	{ "NALPath", NAL_DP01 },
	{ "SiteCode", "PS1" },
	{ "Name", "DP01.contoso.com" },
	{ "ServerName", "dp01.CONTOSO.com" },
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
	{ "Flags", "true" },
};

static const char *const sparse_values[][2] = {
	{ "NALPath", "" },
	{ "Name", "%_[^a-z]" },
	{ "MaintenanceMode", "0" },
	{ "Tags", "" },
	{ "Tags", "\xc3\xa9t\xc3\xa9" },
	{ "Ports", "0" },
	{ "Ports", "4294967295" },
	{ "Ports", "8080" },
	{ "Flags", "false" },
	{ "Flags", "true" },
};

#define NINST 3

static struct cim_class *cls;
static struct cim_instance *inst[NINST];

static struct cim_instance *make_instance(const char *const (*values)[2],
					  size_t n)
{
	struct cim_instance *i = cim_instance_new(cls);

	FUZZ_CHECK(i != NULL);
	for (size_t k = 0; k < n; k++) {
		int idx = cim_class_find_property(cls, values[k][0]);

		FUZZ_CHECK(idx >= 0);
		FUZZ_CHECK(cim_instance_append(i, (size_t)idx,
					       values[k][1]) == 0);
	}
	return i;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	size_t n = sizeof(class_props) / sizeof(class_props[0]);

	(void)argc;
	(void)argv;
	cls = cim_class_new("root/sms/site_PS1", "SMS_DistributionPointInfo");
	FUZZ_CHECK(cls != NULL);
	for (size_t i = 0; i < n; i++)
		FUZZ_CHECK(cim_class_add_property(cls, class_props[i].name,
						  class_props[i].type,
						  class_props[i].flags) ==
			   (int)i);
	inst[0] = make_instance(full_values,
				sizeof(full_values) / sizeof(full_values[0]));
	inst[1] = make_instance(NULL, 0);
	inst[2] = make_instance(sparse_values, sizeof(sparse_values) /
				sizeof(sparse_values[0]));
	return 0;
}

/* Whether s is valid UTF-8 (no overlong forms, surrogates or code points
 * past U+10FFFF) without control bytes. */
static bool clean_utf8(const char *str)
{
	const unsigned char *s = (const unsigned char *)str;

	while (*s) {
		size_t n = 0;

		if (*s < 0x20 || *s == 0x7F)
			return false;
		if (*s < 0x80) {
			s++;
			continue;
		}
		if (*s >= 0xC2 && *s <= 0xDF)
			n = 2;
		else if (*s >= 0xE0 && *s <= 0xEF)
			n = 3;
		else if (*s >= 0xF0 && *s <= 0xF4)
			n = 4;
		else
			return false;
		for (size_t i = 1; i < n; i++)
			if ((s[i] & 0xC0) != 0x80)
				return false;
		if ((s[0] == 0xE0 && s[1] < 0xA0) ||
		    (s[0] == 0xED && s[1] > 0x9F) ||
		    (s[0] == 0xF0 && s[1] < 0x90) ||
		    (s[0] == 0xF4 && s[1] > 0x8F))
			return false;
		s += n;
	}
	return true;
}

/* Characters (UTF-8 lead bytes and single bytes) in s. */
static size_t chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		if (((unsigned char)*s & 0xC0) != 0x80)
			n++;
	return n;
}

/* Whether shown is name as an error shows it: bytes that are not text
 * as '?', cut with "..." after ODATA_TOKEN_MAX bytes. */
static bool shows(const char *name, const char *shown)
{
	size_t i = 0, j = 0;

	while (shown[j]) {
		if (strcmp(shown + j, "...") == 0 && name[i] &&
		    j >= ODATA_TOKEN_MAX - 3)
			return true;
		if (name[i] && (name[i] == shown[j] || shown[j] == '?')) {
			i++;
			j++;
			continue;
		}
		return false;
	}
	return name[i] == '\0';
}

static void check_error(const struct odata_option *opts, size_t n,
			const struct odata_error *e)
{
	const struct odata_option *named = NULL;
	char prefix[128];

	FUZZ_CHECK(memchr(e->message, '\0', sizeof(e->message)));
	FUZZ_CHECK(memchr(e->token, '\0', sizeof(e->token)));
	FUZZ_CHECK(memchr(e->option, '\0', sizeof(e->option)));
	FUZZ_CHECK(e->message[0] != '\0');
	FUZZ_CHECK(clean_utf8(e->message));
	FUZZ_CHECK(clean_utf8(e->token));
	FUZZ_CHECK(clean_utf8(e->option));
	if (strcmp(e->message, "out of memory") == 0)
		return;
	/* the option is one the input named (clipped like any token) */
	for (size_t i = 0; i < n; i++)
		if (shows(opts[i].name, e->option))
			named = &opts[i];
	FUZZ_CHECK(named != NULL);
	if (e->pos == 0)
		return;
	FUZZ_CHECK(named->value != NULL);
	FUZZ_CHECK(e->pos <= chars(named->value) + 1);
	snprintf(prefix, sizeof(prefix), "%s at position %zu: ", e->option,
		 e->pos);
	FUZZ_CHECK(strncmp(e->message, prefix, strlen(prefix)) == 0);
}

static const char *first_item(const struct cim_instance *i, size_t idx)
{
	const struct cim_value *v = cim_instance_get(i, idx);

	return v && !v->null && v->count ? v->items[0] : NULL;
}

/* The index hook's promise for the instances r kept. */
static void check_terms(const struct predicate *p,
			const struct odata_result *r)
{
	struct predicate_term t[8];
	size_t n = predicate_terms(p, t, 8);

	for (size_t k = 0; k < n && k < 8; k++) {
		int idx = cim_class_find_property(cls, t[k].prop);
		const struct cim_property *prop;
		char *key = NULL;
		int rc;

		FUZZ_CHECK(idx >= 0);
		prop = cim_class_property(cls, (size_t)idx);
		rc = predicate_term_key(&t[k], prop->type, &key);
		FUZZ_CHECK(rc == 0 || rc == -ERANGE || rc == -EINVAL ||
			   rc == -ENOMEM);
		FUZZ_CHECK((rc == 0) == (key != NULL));
		if (rc == -ERANGE)
			FUZZ_CHECK(r->matched == 0);
		if (rc == 0 && !(prop->flags & CIM_PROP_ARRAY)) {
			size_t klen = strlen(key);

			for (size_t i = 0; i < r->count; i++) {
				const char *v = first_item(r->items[i],
							   (size_t)idx);

				FUZZ_CHECK(v != NULL);
				if (t[k].kind == PREDICATE_TERM_EQUAL)
					FUZZ_CHECK(strcasecmp(v, key) == 0);
				else
					FUZZ_CHECK(strncasecmp(v, key, klen) ==
						   0);
			}
		}
		free(key);
	}
}

static void check_order(const struct odata_query *q,
			const struct odata_result *r)
{
	size_t norder;
	const struct odata_order *o = odata_query_orderby(q, &norder);

	for (size_t i = 1; i < r->count; i++) {
		int c = 0;

		for (size_t k = 0; k < norder && c == 0; k++) {
			const char *a = first_item(r->items[i - 1], o[k].prop);
			const char *b = first_item(r->items[i], o[k].prop);

			if (!a || !b)
				c = (a != NULL) - (b != NULL);
			else
				c = predicate_value_order(
					cim_class_property(cls, o[k].prop)->type,
					a, b);
			if (o[k].desc)
				c = -c;
		}
		FUZZ_CHECK(c <= 0);
	}
}

static void apply(const struct odata_query *q)
{
	static const size_t orders[][NINST] = {
		{ 0, 1, 2 }, { 2, 1, 0 }, { 1, 2, 0 },
	};
	size_t nprops = cim_class_property_count(cls);
	struct cim_instance *in[NINST];
	struct odata_result r;
	uint64_t top = 0;

	for (size_t o = 0; o < sizeof(orders) / sizeof(orders[0]); o++) {
		for (size_t i = 0; i < NINST; i++)
			in[i] = inst[orders[o][i]];
		if (odata_query_apply(q, in, NINST, &r) == -ENOMEM)
			continue;
		FUZZ_CHECK(r.matched <= NINST);
		FUZZ_CHECK(r.count <= r.matched);
		if (odata_query_top(q, &top))
			FUZZ_CHECK(r.count <= top);
		for (size_t i = 0; i < r.count; i++) {
			size_t hits = 0;

			for (size_t k = 0; k < NINST; k++)
				hits += r.items[i] == in[k];
			FUZZ_CHECK(hits == 1);
			for (size_t k = 0; k < i; k++)
				FUZZ_CHECK(r.items[k] != r.items[i]);
		}
		FUZZ_CHECK(r.nprops >= 1 && r.nprops <= nprops);
		for (size_t i = 0; i < r.nprops; i++) {
			FUZZ_CHECK(r.props[i] < nprops);
			if (i)
				FUZZ_CHECK(r.props[i - 1] < r.props[i]);
		}
		check_order(q, &r);
		if (odata_query_filter(q))
			check_terms(odata_query_filter(q), &r);
		odata_result_free(&r);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct odata_option opts[MAX_OPTS];
	struct odata_query *q = (struct odata_query *)&opts;
	struct odata_error err;
	char *s = fuzz_strndup(data, size), *line = s, *eq;
	size_t n = 0;
	int rc;

	/* one option a line: name=value, or a name alone */
	while (line && n < MAX_OPTS) {
		char *next = strchr(line, '\n');

		if (next)
			*next++ = '\0';
		eq = strchr(line, '=');
		if (eq)
			*eq++ = '\0';
		opts[n].name = line;
		opts[n].value = eq;
		n++;
		line = next;
	}
	memset(&err, 'x', sizeof(err));
	rc = odata_query_parse(cls, opts, n, &q, &err);
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc) {
		FUZZ_CHECK(q == NULL);
		check_error(opts, n, &err);
	} else {
		FUZZ_CHECK(q != NULL);
		apply(q);
		odata_query_free(q);
	}
	free(s);
	return 0;
}
