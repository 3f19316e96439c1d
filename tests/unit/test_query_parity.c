/* WQL and OData's $filter agree: the same selections, written once in
 * each language, run over the bundled lab's instances (every class a
 * site serves), must pick the same instances in the same order. The WQL
 * side goes the way a WS-Man Enumerate does (wql_parse, wql_query_check,
 * provider_enumerate); the $filter side through odata_query_parse and
 * odata_query_apply over the unfiltered enumeration. Each row also says
 * how many instances it picks, so that a row cannot pass by picking
 * nothing on both sides. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fixture.h"
#include "odata_query.h"
#include "provider.h"
#include "store.h"
#include "store_testing.h"
#include "wql.h"

#define SITE_NS "root/sms/site_PS1"

/* A NAL path of the lab, as stored. */
#define NAL(fqdn) "[\"Display=\\\\" fqdn "\\\"]MSWNET:[\"SMS_SITE=PS1\"]\\\\" \
		  fqdn "\\"

static const struct caller admin = { NULL, "lab", "Full Administrator",
				     "wsman" };

/* One selection. When raw is set, "%s" in wql and filter stands for raw
 * as a literal of that language (quoted and escaped by the test), so the
 * two quoting rules are exercised on the same text. */
struct row {
	const char *cls;
	const char *wql;	/* the WHERE clause */
	const char *filter;	/* the $filter */
	size_t count;		/* instances it picks */
	const char *raw;
};

#define DPINFO "SMS_DistributionPointInfo"
#define SRL "SMS_SystemResourceList"
#define SYSRES "SMS_SCI_SysResUse"
#define DPG "SMS_DistributionPointGroup"
#define DPGM "SMS_DPGroupMembers"

static const struct row rows[] = {
	/* equality and order on strings, ignoring case */
	{ DPINFO, "Name = 'DP01.contoso.com'", "Name eq 'DP01.contoso.com'", 1, NULL },
	{ DPINFO, "Name = 'dp01.CONTOSO.com'", "Name eq 'dp01.CONTOSO.com'", 1, NULL },
	{ DPINFO, "Name <> 'DP01.contoso.com'", "Name ne 'DP01.contoso.com'", 5, NULL },
	{ DPINFO, "'DP01.contoso.com' = Name", "'DP01.contoso.com' eq Name", 1, NULL },
	{ DPINFO, "Name > 'DP02'", "Name gt 'DP02'", 4, NULL },
	{ DPINFO, "Name < 'D'", "Name lt 'D'", 1, NULL },
	{ DPINFO, "Name >= 'pxe01.contoso.com'", "Name ge 'pxe01.contoso.com'", 1, NULL },
	{ DPINFO, "Name <= 'DP03.branch.contoso.com'",
	  "Name le 'DP03.branch.contoso.com'", 4, NULL },
	{ DPINFO, "Drive = ''", "Drive eq ''", 1, NULL },
	/* numbers */
	{ DPINFO, "MaintenanceMode = 1", "MaintenanceMode eq 1", 1, NULL },
	{ DPINFO, "MaintenanceMode = 0", "MaintenanceMode eq 0", 5, NULL },
	{ DPINFO, "MaintenanceMode != 1", "MaintenanceMode ne 1", 5, NULL },
	{ DPINFO, "MaintenanceMode > 0", "MaintenanceMode gt 0", 1, NULL },
	{ DPINFO, "MaintenanceMode >= 0", "MaintenanceMode ge 0", 6, NULL },
	{ DPINFO, "MaintenanceMode < 1", "MaintenanceMode lt 1", 5, NULL },
	{ DPINFO, "MaintenanceMode <= 1", "MaintenanceMode le 1", 6, NULL },
	{ DPINFO, "MaintenanceMode = -1", "MaintenanceMode eq -1", 0, NULL },
	{ DPINFO, "MaintenanceMode < 4294967296",
	  "MaintenanceMode lt 4294967296", 0, NULL },
	{ DPINFO, "Priority > 1", "Priority gt 1", 1, NULL },
	{ DPINFO, "Priority = 1.0", "Priority eq 1.0", 5, NULL },
	{ DPINFO, "Priority < 2.5", "Priority lt 2.5", 5, NULL },
	{ DPINFO, "1 < Priority", "1 lt Priority", 1, NULL },
	{ DPINFO, "ID > 2 AND ID <= 5", "ID gt 2 and ID le 5", 3, NULL },
	{ DPINFO, "Communication = 1", "Communication eq 1", 1, NULL },
	/* booleans */
	{ DPINFO, "IsPullDP = TRUE", "IsPullDP", 1, NULL },
	{ DPINFO, "IsPullDP = TRUE", "IsPullDP eq true", 1, NULL },
	{ DPINFO, "IsPullDP = FALSE", "not IsPullDP", 5, NULL },
	{ DPINFO, "IsPullDP <> TRUE", "IsPullDP ne true", 5, NULL },
	{ DPINFO, "IsPXE = TRUE AND IsMulticast = TRUE", "IsPXE and IsMulticast",
	  1, NULL },
	{ DPINFO, "GroupCount >= 1 AND HasRelationship = TRUE",
	  "GroupCount ge 1 and HasRelationship", 5, NULL },
	/* LIKE and the string functions */
	{ DPINFO, "Name LIKE 'DP%'", "startswith(Name,'DP')", 3, NULL },
	{ DPINFO, "Name LIKE 'dp%'", "startswith(Name,'dp') eq true", 3, NULL },
	{ DPINFO, "Name LIKE '%.contoso.com'", "endswith(Name,'.contoso.com')",
	  5, NULL },
	{ DPINFO, "Name LIKE '%branch%'", "contains(Name,'branch')", 1, NULL },
	{ DPINFO, "NOT Name LIKE 'DP%'", "not startswith(Name,'DP')", 3, NULL },
	{ DPINFO, "Name NOT LIKE '%.contoso.com'",
	  "endswith(Name,'.contoso.com') eq false", 1, NULL },
	{ DPINFO, "IdentityGUID LIKE '79420D36%'",
	  "startswith(IdentityGUID,'79420d36')", 1, NULL },
	{ DPINFO, "Description LIKE \"%DP01%\"", "contains(Description,'DP01')",
	  1, NULL },
	{ DPINFO, "Description LIKE '%maintenance%'",
	  "contains(tolower(Description),'maintenance')", 1, NULL },
	/* precedence and grouping */
	{ DPINFO, "Name LIKE 'PULL%' OR IsPXE = TRUE",
	  "startswith(Name,'PULL') or IsPXE eq true", 2, NULL },
	{ DPINFO, "(Name LIKE 'DP%' OR Name LIKE 'PXE%') AND MaintenanceMode = 0",
	  "(startswith(Name,'DP') or startswith(Name,'PXE')) and MaintenanceMode eq 0",
	  3, NULL },
	{ DPINFO, "Name LIKE 'DP%' OR Name LIKE 'PXE%' AND MaintenanceMode = 1",
	  "startswith(Name,'DP') or startswith(Name,'PXE') and MaintenanceMode eq 1",
	  3, NULL },
	{ DPINFO, "NOT (MaintenanceMode = 1 OR IsPullDP = TRUE)",
	  "not (MaintenanceMode eq 1 or IsPullDP)", 4, NULL },
	{ DPINFO, "NOT NOT IsPXE = TRUE", "not not IsPXE", 1, NULL },
	{ DPINFO, "TransferRate = 0 AND DPFlags = 0 AND Drive = 'E:'",
	  "TransferRate eq 0 and DPFlags eq 0 and Drive eq 'E:'", 5, NULL },
	/* NULL: tests, and three-valued logic */
	{ DPINFO, "OperatingSystem IS NULL", "OperatingSystem eq null", 1, NULL },
	{ DPINFO, "OperatingSystem = NULL", "null eq OperatingSystem", 1, NULL },
	{ DPINFO, "OperatingSystem IS NOT NULL", "OperatingSystem ne null", 5, NULL },
	{ DPINFO, "ResponseDelay IS NOT NULL", "ResponseDelay ne null", 1, NULL },
	{ DPINFO, "OperatingSystem <> 'x'", "OperatingSystem ne 'x'", 5, NULL },
	{ DPINFO, "NOT (OperatingSystem = 'x')", "not (OperatingSystem eq 'x')",
	  5, NULL },
	{ DPINFO, "ResponseDelay = 0 OR MaintenanceMode = 1",
	  "ResponseDelay eq 0 or MaintenanceMode eq 1", 2, NULL },
	{ DPINFO, "NOT (ResponseDelay = 0 AND MaintenanceMode = 1)",
	  "not (ResponseDelay eq 0 and MaintenanceMode eq 1)", 5, NULL },
	{ DPINFO, "NOT (ResponseDelay = 0 OR MaintenanceMode = 7)",
	  "not (ResponseDelay eq 0 or MaintenanceMode eq 7)", 0, NULL },
	/* NAL paths: backslashes and double quotes in a literal */
	{ DPINFO, "NALPath = %s", "NALPath eq %s", 1, NAL("DP02.contoso.com") },
	{ DPINFO, "NALPath <> %s", "NALPath ne %s", 5, NAL("DP02.contoso.com") },
	{ DPINFO, "NALPath LIKE '%DP03.branch.contoso.com%'",
	  "contains(NALPath,'DP03.branch.contoso.com')", 1, NULL },
	{ DPINFO, "NALPath LIKE '%.com\\\\'", "endswith(NALPath,'.com\\')", 5, NULL },
	{ DPINFO, "SiteCode = 'PS1' AND ServerName = 'PXE01.contoso.com'",
	  "SiteCode eq 'PS1' and ServerName eq 'PXE01.contoso.com'", 1, NULL },
	{ DPINFO, "Description = %s", "Description eq %s", 1,
	  "Main datacenter, second server; in maintenance for a disk replacement" },
	{ DPINFO, "Description <> %s", "Description ne %s", 6, "it's a DP" },
	/* the classes a fixture declares */
	{ SRL, "RoleName = 'SMS Distribution Point'",
	  "RoleName eq 'SMS Distribution Point'", 6, NULL },
	{ SRL, "RoleName = 'SMS Distribution Point' AND InternetEnabled = TRUE",
	  "RoleName eq 'SMS Distribution Point' and InternetEnabled", 1, NULL },
	{ SRL, "ServerName LIKE 'CM01%'", "startswith(ServerName,'CM01')", 4, NULL },
	{ SRL, "SslState = 1 OR RoleName LIKE '%Provider'",
	  "SslState eq 1 or endswith(RoleName,'Provider')", 2, NULL },
	{ SYSRES, "NetworkOSPath = %s", "NetworkOSPath eq %s", 1,
	  "\\\\DP01.contoso.com" },
	{ SYSRES, "RoleCount = 2 AND FileType = 2",
	  "RoleCount eq 2 and FileType eq 2", 6, NULL },
	{ SYSRES, "ItemName LIKE '%,SMS Distribution Point'",
	  "endswith(ItemName,',SMS Distribution Point')", 6, NULL },
	{ DPG, "MemberCount > 1", "MemberCount gt 1", 1, NULL },
	{ DPG, "CreatedOn > '2023-09-14T08:13:00Z'",
	  "CreatedOn gt 2023-09-14T08:13:00Z", 2, NULL },
	{ DPG, "ModifiedOn < '2024-01-01T00:00:00Z'",
	  "ModifiedOn lt 2024-01-01T00:00Z", 1, NULL },
	{ DPG, "HasRelationship = FALSE", "not HasRelationship", 1, NULL },
	{ DPG, "CreatedBy = %s", "CreatedBy eq %s", 3, "CONTOSO\\cmadmin" },
	{ DPG, "Name LIKE '%DPs'", "endswith(Name,'DPs')", 1, NULL },
	{ DPGM, "GroupID = '{8A5F2C41-3B7E-4D19-9C60-2E1F7B4A9D01}'",
	  "GroupID eq '{8a5f2c41-3b7e-4d19-9c60-2e1f7b4a9d01}'", 4, NULL },
	{ DPGM, "DPNALPath LIKE '%DP02%'", "contains(DPNALPath,'DP02')", 2, NULL },
};

struct env {
	struct fixture *fx;
	struct store *st;
	struct provider *p;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	size_t len = 0;
	const char *xml = fixture_bundled_lab(&len);
	char err[512] = "";

	assert_non_null(e);
	if (fixture_load_memory("<bundled lab>", xml, len, &e->fx, err,
				sizeof(err)))
		fail_msg("bundled lab: %s", err);
	if (store_open(":memory:", &e->st, err, sizeof(err)))
		fail_msg("store_open: %s", err);
	if (provider_new(e->fx, e->st, &e->p, err, sizeof(err)))
		fail_msg("provider_new: %s", err);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	provider_free(e->p);
	store_free(e->st);
	fixture_free(e->fx);
	free(e);
	return 0;
}

/* raw as a WQL string literal: '...' with \ and ' escaped. */
static char *wql_literal(const char *raw)
{
	char *out = malloc(strlen(raw) * 2 + 3), *o = out;

	assert_non_null(out);
	*o++ = '\'';
	for (const char *s = raw; *s; s++) {
		if (*s == '\\' || *s == '\'')
			*o++ = '\\';
		*o++ = *s;
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

/* raw as an OData string literal: '...' with ' doubled. */
static char *odata_literal(const char *raw)
{
	char *out = malloc(strlen(raw) * 2 + 3), *o = out;

	assert_non_null(out);
	*o++ = '\'';
	for (const char *s = raw; *s; s++) {
		if (*s == '\'')
			*o++ = '\'';
		*o++ = *s;
	}
	*o++ = '\'';
	*o = '\0';
	return out;
}

/* fmt with its one %s (if any) replaced by lit, as a new string. */
static char *fill(const char *fmt, const char *lit)
{
	size_t n = strlen(fmt) + (lit ? strlen(lit) : 0) + 1;
	char *out = malloc(n);
	const char *at = lit ? strstr(fmt, "%s") : NULL;

	assert_non_null(out);
	if (at)
		snprintf(out, n, "%.*s%s%s", (int)(at - fmt), fmt, lit, at + 2);
	else
		snprintf(out, n, "%s", fmt);
	return out;
}

static bool same_value(const struct cim_value *a, const struct cim_value *b)
{
	bool an = !a || a->null, bn = !b || b->null;

	if (an || bn)
		return an == bn;
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++)
		if (strcmp(a->items[i], b->items[i]))
			return false;
	return true;
}

static bool same_instance(const struct cim_instance *a,
			  const struct cim_instance *b)
{
	const struct cim_class *c = cim_instance_class(a);

	if (c != cim_instance_class(b))
		return false;
	for (size_t i = 0; i < cim_class_property_count(c); i++)
		if (!same_value(cim_instance_get(a, i), cim_instance_get(b, i)))
			return false;
	return true;
}

static void run_row(struct env *e, const struct row *r)
{
	struct provider_call call = { .who = &admin };
	const struct provider_class *pc;
	struct instance_list all = { 0 }, w = { 0 };
	struct wql_query *q = NULL;
	struct odata_query *oq = NULL;
	struct odata_result res;
	struct wql_error we;
	struct odata_error oe;
	struct odata_option opt;
	char *wl = r->raw ? wql_literal(r->raw) : NULL;
	char *ol = r->raw ? odata_literal(r->raw) : NULL;
	char *where = fill(r->wql, wl), *filter = fill(r->filter, ol);
	char text[1024], msg[256];
	uint32_t hr = 0;

	pc = provider_class(e->p, SITE_NS, r->cls, &hr);
	if (!pc)
		fail_msg("%s: 0x%08X", r->cls, hr);
	snprintf(text, sizeof(text), "SELECT * FROM %s WHERE %s", r->cls,
		 where);
	if (wql_parse(text, &q, &we) ||
	    wql_query_check(q, provider_class_cim(pc), &we))
		fail_msg("%s: %s at %zu", text, we.message, we.pos);
	call.query = text;
	hr = provider_enumerate(e->p, &call, pc, q, &w, msg, sizeof(msg));
	assert_int_equal(hr, 0);
	call = (struct provider_call){ .who = &admin };
	hr = provider_enumerate(e->p, &call, pc, NULL, &all, msg, sizeof(msg));
	assert_int_equal(hr, 0);

	opt.name = "$filter";
	opt.value = filter;
	if (odata_query_parse(provider_class_cim(pc), &opt, 1, &oq, &oe))
		fail_msg("$filter=%s: %s", filter, oe.message);
	assert_int_equal(odata_query_apply(oq, all.items, all.count, &res), 0);

	if (w.count != r->count || res.count != r->count)
		fail_msg("%s\n  WQL picks %zu, $filter=%s picks %zu, the row "
			 "says %zu", text, w.count, filter, res.count,
			 r->count);
	for (size_t i = 0; i < w.count; i++)
		if (!same_instance(w.items[i], res.items[i]))
			fail_msg("%s\n  $filter=%s\n  item %zu differs: %s "
				 "against %s", text, filter, i,
				 cim_instance_text(w.items[i], "Name") ?: "?",
				 cim_instance_text(res.items[i], "Name") ?: "?");
	/* and the WQL predicate alone, over the same list, agrees too */
	for (size_t i = 0, k = 0; i < all.count; i++)
		if (wql_query_match(q, all.items[i])) {
			assert_true(k < res.count);
			assert_ptr_equal(all.items[i], res.items[k++]);
		}

	odata_result_free(&res);
	odata_query_free(oq);
	wql_query_free(q);
	instance_list_free(&w);
	instance_list_free(&all);
	free(where);
	free(filter);
	free(wl);
	free(ol);
}

static void test_parity(void **state)
{
	struct env *e = *state;
	size_t n = sizeof(rows) / sizeof(rows[0]), empty = 0;

	assert_true(n >= 40);
	for (size_t i = 0; i < n; i++) {
		run_row(e, &rows[i]);
		empty += rows[i].count == 0;
	}
	/* most rows must select something, or they prove little */
	assert_true(empty * 10 < n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_parity, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
