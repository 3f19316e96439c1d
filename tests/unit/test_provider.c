/* Unit tests for simulator/provider.c over the bundled lab and an
 * in-memory store: class lookup, Enumerate (with and without WQL), Get,
 * SetDPMaintenanceMode with its journal and every error it raises, state
 * kept across a restart, and the checks of fixture <property> elements
 * against SMS_DistributionPointInfo (file:line messages).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <sqlite3.h>
#include <unistd.h>
#include <libxml/parser.h>

#include "completion.h"
#include "fixture.h"
#include "hresult.h"
#include "log.h"
#include "provider.h"
#include "store.h"
#include "store_testing.h"
#include "wql.h"

#define FIXTURE_DIR SOURCE_ROOT "/tests/unit/fixtures/"

#define SITE_NS "root/sms/site_PS1"
#define DPINFO "SMS_DistributionPointInfo"
#define SET_MODE "SetDPMaintenanceMode"

/* NAL paths of the bundled lab as C strings. */
#define NAL(fqdn) "[\"Display=\\\\" fqdn "\\\"]MSWNET:[\"SMS_SITE=PS1\"]\\\\" \
		  fqdn "\\"
#define DP01_NAL NAL("DP01.contoso.com")
#define DP02_NAL NAL("DP02.contoso.com")
#define PULL_NAL NAL("PULLDP01.contoso.com")
#define UNKNOWN_NAL NAL("DP99.contoso.com")

#define assert_contains(hay, needle) do { \
		const char *h_ = (hay), *n_ = (needle); \
		if (!h_ || !strstr(h_, n_)) \
			fail_msg("\"%s\" does not contain \"%s\"", \
				 h_ ? h_ : "(null)", n_); \
	} while (0)

static const struct caller admin = { NULL, "lab", "Full Administrator", "wsman" };
static const struct caller infra = {
	NULL, "infra", "Infrastructure Administrator", "wsman"
};
static const struct caller analyst = { NULL, "analyst", "Read-only Analyst",
					 "wsman" };

/* A provider call made by w, with no request behind it. */
#define CALL(w) (&(struct provider_call){ .who = (w) })

struct env {
	struct fixture *fx;
	struct store *st;
	struct provider *p;
};

static struct fixture *load_lab(void)
{
	struct fixture *fx = NULL;
	size_t len = 0;
	const char *xml = fixture_bundled_lab(&len);
	char err[512];

	if (fixture_load_memory("<bundled lab>", xml, len, &fx, err, sizeof(err)))
		fail_msg("bundled lab: %s", err);
	return fx;
}

static struct store *open_store(void)
{
	struct store *st = NULL;
	char err[512];

	if (store_open(":memory:", &st, err, sizeof(err)))
		fail_msg("store_open: %s", err);
	return st;
}

static struct provider *new_provider(struct fixture *fx, struct store *st)
{
	struct provider *p = NULL;
	char err[512] = "";

	if (provider_new(fx, st, &p, err, sizeof(err)))
		fail_msg("provider_new: %s", err);
	assert_non_null(p);
	return p;
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));

	assert_non_null(e);
	e->fx = load_lab();
	e->st = open_store();
	e->p = new_provider(e->fx, e->st);
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

static const struct provider_class *class_of(struct provider *p, const char *ns,
					     const char *cls)
{
	uint32_t hr = 0;
	const struct provider_class *c = provider_class(p, ns, cls, &hr);

	if (!c)
		fail_msg("%s:%s: 0x%08X", ns, cls, hr);
	return c;
}

static void enumerate(struct provider *p, const struct provider_class *c,
		      const struct wql_query *q, struct instance_list *out)
{
	char msg[256] = "";
	uint32_t hr = provider_enumerate(p, CALL(&admin), c, q, out, msg, sizeof(msg));

	if (hr)
		fail_msg("enumerate %s: 0x%08X %s", cim_class_name(provider_class_cim(c)),
			 hr, msg);
}

/* The instance in l whose property name is value (ignoring case). */
static const struct cim_instance *find_by(const struct instance_list *l,
					  const char *name, const char *value)
{
	for (size_t i = 0; i < l->count; i++) {
		const char *v = cim_instance_text(l->items[i], name);
		if (v && strcasecmp(v, value) == 0)
			return l->items[i];
	}
	return NULL;
}

/* The committed MaintenanceMode of a DP as Enumerate reports it. */
static int mode_of(struct provider *p, const char *nalpath)
{
	struct instance_list l;
	const struct cim_instance *i;
	int mode;

	enumerate(p, class_of(p, SITE_NS, DPINFO), NULL, &l);
	i = find_by(&l, "NALPath", nalpath);
	if (!i)
		fail_msg("no DP %s", nalpath);
	mode = atoi(cim_instance_text(i, "MaintenanceMode"));
	instance_list_free(&l);
	return mode;
}

/* ---- journal ---------------------------------------------------------- */

/* A copy of the last journal row. */
struct last_row {
	int64_t count;
	char user[32], protocol[16], operation[16], site[8], cls[64];
	char method[64], nalpath[256], params[512];
	bool has_nalpath;
	int64_t old_mode, new_mode;
	uint32_t hresult;
};

static void copy_text(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "(null)");
}

/* Reads are journaled too; these tests look at the Invoke rows. */
static int keep_last(void *ctx, const struct journal_entry *e)
{
	struct last_row *r = ctx;

	if (!e->operation || strcmp(e->operation, "invoke") != 0)
		return 0;
	r->count++;
	copy_text(r->user, sizeof(r->user), e->user);
	copy_text(r->protocol, sizeof(r->protocol), e->protocol);
	copy_text(r->operation, sizeof(r->operation), e->operation);
	copy_text(r->site, sizeof(r->site), e->site);
	copy_text(r->cls, sizeof(r->cls), e->class_name);
	copy_text(r->method, sizeof(r->method), e->method);
	copy_text(r->nalpath, sizeof(r->nalpath), e->nalpath);
	copy_text(r->params, sizeof(r->params), e->params);
	r->has_nalpath = e->nalpath != NULL;
	r->old_mode = e->old_mode;
	r->new_mode = e->new_mode;
	r->hresult = e->hresult;
	return 0;
}

/* The last Invoke row, and (count) how many there are. */
static struct last_row last_row(struct store *st)
{
	struct last_row r = { 0 };

	assert_int_equal(store_journal_foreach(st, 0, keep_last, &r), 0);
	return r;
}

static int64_t invoke_rows(struct store *st)
{
	return last_row(st).count;
}

/* ---- invoking --------------------------------------------------------- */

static uint32_t set_mode(struct env *e, const struct caller *who,
			 const char *cls, const char *nalpath, const char *mode,
			 char *msg, size_t msgsize)
{
	struct provider_arg params[] = {
		{ (char *)"NALPath", (char *)nalpath },
		{ (char *)"Mode", (char *)mode },
	};
	uint32_t rv = 99;
	uint32_t hr;

	msg[0] = '\0';
	hr = provider_invoke(e->p, CALL(who), class_of(e->p, SITE_NS, cls), SET_MODE,
			     params, 2, &rv, msg, msgsize);
	assert_int_equal(rv, 0);
	return hr;
}

/* ---- provider_class --------------------------------------------------- */

static void test_class_lookup(void **state)
{
	struct env *e = *state;
	static const struct {
		const char *ns, *cls;
		size_t keys;
		const char *key;	/* one of its key properties */
	} served[] = {
		{ "root", "__Namespace", 1, "Name" },
		{ "root/sms", "__Namespace", 1, "Name" },
		{ "root/sms", "SMS_ProviderLocation", 1, "SiteCode" },
		{ SITE_NS, DPINFO, 3, "NALPath" },
		{ SITE_NS, "SMS_DistributionPoint", 3, "ServerNALPath" },
	};
	uint32_t hr;

	for (size_t i = 0; i < sizeof(served) / sizeof(served[0]); i++) {
		const struct cim_class *c = provider_class_cim(class_of(e->p, served[i].ns,
									served[i].cls));
		int k = cim_class_find_property(c, served[i].key);

		assert_string_equal(cim_class_name(c), served[i].cls);
		assert_string_equal(cim_class_namespace(c), served[i].ns);
		assert_int_equal(cim_class_key_count(c), served[i].keys);
		assert_true(k >= 0);
		assert_true(cim_class_property(c, (size_t)k)->flags & CIM_PROP_KEY);
	}
	/* Each (namespace, class) is its own class. */
	assert_ptr_not_equal(class_of(e->p, "root", "__Namespace"),
			     class_of(e->p, "root/sms", "__Namespace"));
	assert_ptr_not_equal(class_of(e->p, SITE_NS, DPINFO),
			     class_of(e->p, SITE_NS, "SMS_DistributionPoint"));

	/* Namespaces and class names ignore case; '\' and '/' are alike. */
	const struct provider_class *info = class_of(e->p, SITE_NS, DPINFO);
	assert_ptr_equal(class_of(e->p, "ROOT\\SMS\\SITE_ps1", DPINFO), info);
	assert_ptr_equal(class_of(e->p, "root\\sms\\site_PS1", DPINFO), info);
	assert_ptr_equal(class_of(e->p, "Root/Sms/Site_Ps1",
				  "sms_distributionpointinfo"), info);
	assert_ptr_equal(class_of(e->p, "ROOT\\sms", "sms_providerlocation"),
			 class_of(e->p, "root/sms", "SMS_ProviderLocation"));
	assert_ptr_equal(class_of(e->p, "ROOT", "__NAMESPACE"),
			 class_of(e->p, "root", "__Namespace"));

	/* Unknown namespace vs known namespace without that class. */
	static const struct {
		const char *ns, *cls;
		uint32_t hr;
	} bad[] = {
		{ "root/sms/site_PS2", DPINFO, WBEM_E_INVALID_NAMESPACE },
		{ "root/cimv2", "Win32_Process", WBEM_E_INVALID_NAMESPACE },
		{ "root/sms/site", DPINFO, WBEM_E_INVALID_NAMESPACE },
		{ "", DPINFO, WBEM_E_INVALID_NAMESPACE },
		{ "root/sms", DPINFO, WBEM_E_INVALID_CLASS },
		{ "root", "SMS_ProviderLocation", WBEM_E_INVALID_CLASS },
		{ SITE_NS, "Win32_Process", WBEM_E_INVALID_CLASS },
		{ "ROOT\\SMS\\SITE_ps1", "SMS_DistributionPointInf",
		  WBEM_E_INVALID_CLASS },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hr = 0;
		assert_null(provider_class(e->p, bad[i].ns, bad[i].cls, &hr));
		if (hr != bad[i].hr)
			fail_msg("%s:%s: 0x%08X, want 0x%08X", bad[i].ns,
				 bad[i].cls, hr, bad[i].hr);
	}
	assert_string_equal(provider_machine(e->p), "CM01.contoso.com");
}

/* ---- Enumerate -------------------------------------------------------- */

static void test_enumerate_dpinfo(void **state)
{
	struct env *e = *state;
	const struct fixture_site *s = &e->fx->sites[0];
	struct instance_list l;

	enumerate(e->p, class_of(e->p, SITE_NS, DPINFO), NULL, &l);
	assert_int_equal(l.count, s->ndps);
	assert_int_equal(l.count, 6);
	for (size_t k = 0; k < s->ndps; k++) {
		const struct fixture_dp *d = &s->dps[k];
		const struct cim_instance *i = find_by(&l, "Name", d->fqdn);
		char *nal = fixture_nalpath(d->fqdn, "PS1");
		char mode[4];

		if (!i)
			fail_msg("no instance for %s", d->fqdn);
		assert_string_equal(cim_class_name(cim_instance_class(i)), DPINFO);
		assert_string_equal(cim_instance_text(i, "Name"), d->fqdn);
		assert_string_equal(cim_instance_text(i, "ServerName"), d->fqdn);
		assert_string_equal(cim_instance_text(i, "NALPath"), nal);
		assert_string_equal(cim_instance_text(i, "ResourceType"),
				    "Windows NT Server");
		assert_string_equal(cim_instance_text(i, "SiteCode"), "PS1");
		assert_string_equal(cim_instance_text(i, "SiteName"), "Contoso Lab");
		assert_string_equal(cim_instance_text(i, "Description"),
				    d->description);
		snprintf(mode, sizeof(mode), "%u", d->maintenance);
		assert_string_equal(cim_instance_text(i, "MaintenanceMode"), mode);
		assert_string_equal(cim_instance_text(i, "IsPullDP"),
				    strcmp(d->kind, "pull") ? "false" : "true");
		assert_string_equal(cim_instance_text(i, "IsPXE"),
				    strcmp(d->kind, "pxe") ? "false" : "true");
		free(nal);
	}
	/* The lab's own values: DP02 in maintenance, one pull DP, PXE01's
	 * and DP03's <property> elements. */
	const struct cim_instance *i = find_by(&l, "Name", "DP02.contoso.com");
	assert_string_equal(cim_instance_text(i, "MaintenanceMode"), "1");
	assert_string_equal(cim_instance_text(i, "NALPath"), DP02_NAL);
	i = find_by(&l, "IsPullDP", "true");
	assert_string_equal(cim_instance_text(i, "Name"), "PULLDP01.contoso.com");
	i = find_by(&l, "Name", "PXE01.contoso.com");
	assert_string_equal(cim_instance_text(i, "IsMulticast"), "true");
	assert_string_equal(cim_instance_text(i, "SupportUnknownMachines"), "true");
	assert_string_equal(cim_instance_text(i, "ResponseDelay"), "0");
	i = find_by(&l, "Name", "DP03.branch.contoso.com");
	assert_string_equal(cim_instance_text(i, "Priority"), "3");
	assert_string_equal(cim_instance_text(i, "RateLimitsEnabled"), "true");
	i = find_by(&l, "Name", "CLOUDDP01.cloudapp.net");
	assert_string_equal(cim_instance_text(i, "InternetFacing"), "true");
	assert_string_equal(cim_instance_text(i, "Communication"), "1");
	assert_null(cim_instance_text(i, "OperatingSystem"));
	/* IDs number the DPs in fixture order; the GUID is stable. */
	i = find_by(&l, "Name", "DP01.contoso.com");
	assert_string_equal(cim_instance_text(i, "ID"), "1");
	assert_int_equal(strlen(cim_instance_text(i, "IdentityGUID")), 36);
	instance_list_free(&l);
	assert_null(l.items);
	assert_int_equal(l.count, 0);

	/* SMS_DistributionPoint: a real class with no instances. */
	enumerate(e->p, class_of(e->p, SITE_NS, "SMS_DistributionPoint"), NULL, &l);
	assert_int_equal(l.count, 0);
	instance_list_free(&l);
}

/* Runs the WQL text against class cls of ns and writes property prop of
 * each result into out, in the provider's order, joined by ','. */
static void query(struct env *e, const char *ns, const char *cls,
		  const char *text, const char *prop, char *out, size_t size)
{
	const struct provider_class *c = class_of(e->p, ns, cls);
	struct wql_query *q = NULL;
	struct wql_error werr = { 0 };
	struct instance_list l;
	size_t used = 0;

	if (wql_parse(text, &q, &werr))
		fail_msg("%s: %s", text, werr.message);
	if (wql_query_check(q, provider_class_cim(c), &werr))
		fail_msg("%s: %s", text, werr.message);
	enumerate(e->p, c, q, &l);
	out[0] = '\0';
	for (size_t i = 0; i < l.count; i++)
		used += (size_t)snprintf(out + used, size - used, "%s%s",
					 i ? "," : "",
					 cim_instance_text(l.items[i], prop));
	instance_list_free(&l);
	wql_query_free(q);
}

/* The DP index picks candidates; the answer must be the one matching
 * every DP gives, in the same order, whatever the WHERE. */
static void test_index_agrees_with_scan(void **state)
{
	static const char *const wheres[] = {
		"Name = 'DP01.contoso.com'", "Name = 'dp01.CONTOSO.com'",
		"Name = 'nope.contoso.com'", "ServerName LIKE 'pxe%'",
		"Name LIKE 'DP0%'", "Name LIKE 'DP_1%'", "Name LIKE '%contoso%'",
		"Name LIKE 'dp01.contoso.com'",
		"NALPath = '[\"Display=\\\\\\\\DP02.contoso.com\\\\\"]MSWNET:[\"SMS_SITE=PS1\"]\\\\\\\\DP02.contoso.com\\\\'",
		"NALPath LIKE '[\"display=%'", "SiteCode = 'ps1'", "SiteCode = 'XYZ'",
		"SiteCode LIKE 'P%'", "MaintenanceMode = 1", "MaintenanceMode = 0",
		"MaintenanceMode = 2", "MaintenanceMode = 1 AND Name LIKE 'DP%'",
		"Name = 'DP01.contoso.com' OR Name = 'DP02.contoso.com'",
		"NOT Name = 'DP01.contoso.com'", "Name <> 'DP01.contoso.com'",
		"Name = 'DP01.contoso.com' AND MaintenanceMode = 1",
		"IsPullDP = TRUE AND Name LIKE 'PULL%'",
	};
	struct env *e = *state;
	const struct provider_class *c = class_of(e->p, SITE_NS, DPINFO);
	struct instance_list all;

	enumerate(e->p, c, NULL, &all);
	for (size_t w = 0; w < sizeof(wheres) / sizeof(wheres[0]); w++) {
		char text[512], got[1024], want[1024] = "";
		struct wql_query *q = NULL;
		struct wql_error werr = { 0 };
		size_t used = 0;

		snprintf(text, sizeof(text), "SELECT * FROM SMS_DistributionPointInfo "
			 "WHERE %s", wheres[w]);
		if (wql_parse(text, &q, &werr))
			fail_msg("%s: %s", text, werr.message);
		for (size_t i = 0; i < all.count; i++)
			if (wql_query_match(q, all.items[i]))
				used += (size_t)snprintf(want + used, sizeof(want) - used,
							 "%s%s", used ? "," : "",
							 cim_instance_text(all.items[i], "Name"));
		wql_query_free(q);
		query(e, SITE_NS, DPINFO, text, "Name", got, sizeof(got));
		if (strcmp(got, want) != 0)
			fail_msg("%s: index gave '%s', a scan '%s'", wheres[w], got, want);
		if (w == 8)	/* the NAL path: the index finds the DP */
			assert_string_equal(got, "DP02.contoso.com");
	}
	instance_list_free(&all);
}

static void test_enumerate_query(void **state)
{
	struct env *e = *state;
	char got[1024];

	query(e, SITE_NS, DPINFO, "SELECT * FROM SMS_DistributionPointInfo "
	      "WHERE MaintenanceMode = 1", "Name", got, sizeof(got));
	assert_string_equal(got, "DP02.contoso.com");
	query(e, SITE_NS, DPINFO, "select Name from sms_distributionpointinfo "
	      "where IsPullDP = TRUE", "Name", got, sizeof(got));
	assert_string_equal(got, "PULLDP01.contoso.com");
	query(e, SITE_NS, DPINFO, "SELECT * FROM SMS_DistributionPointInfo "
	      "WHERE ServerName = 'pxe01.CONTOSO.com'", "Name", got, sizeof(got));
	assert_string_equal(got, "PXE01.contoso.com");
	query(e, SITE_NS, DPINFO, "SELECT * FROM SMS_DistributionPointInfo "
	      "WHERE NALPath = '[\"Display=\\\\\\\\DP01.contoso.com\\\\\"]"
	      "MSWNET:[\"SMS_SITE=PS1\"]\\\\\\\\DP01.contoso.com\\\\'",
	      "NALPath", got, sizeof(got));
	assert_string_equal(got, DP01_NAL);
	query(e, SITE_NS, DPINFO, "SELECT * FROM SMS_DistributionPointInfo "
	      "WHERE MaintenanceMode = 0 AND SiteCode = 'PS1' AND "
	      "Name LIKE '%.contoso.com' AND NOT IsPXE = TRUE",
	      "Name", got, sizeof(got));
	/* DP01, PULLDP01, DP03.branch in some order: count them. */
	assert_int_equal(strlen(got), strlen("DP01.contoso.com,"
			 "PULLDP01.contoso.com,DP03.branch.contoso.com"));
	assert_contains(got, "DP01.contoso.com");
	assert_contains(got, "PULLDP01.contoso.com");
	assert_contains(got, "DP03.branch.contoso.com");
	query(e, SITE_NS, DPINFO, "SELECT * FROM SMS_DistributionPointInfo "
	      "WHERE SiteCode = 'PS2'", "Name", got, sizeof(got));
	assert_string_equal(got, "");

	/* A change is visible to the next query. */
	assert_int_equal(set_mode(e, &admin, DPINFO, DP01_NAL, "1", got,
				  sizeof(got)), 0);
	query(e, SITE_NS, DPINFO, "SELECT * FROM SMS_DistributionPointInfo "
	      "WHERE MaintenanceMode = 1", "Name", got, sizeof(got));
	assert_int_equal(strlen(got), strlen("DP01.contoso.com,DP02.contoso.com"));
	assert_contains(got, "DP01.contoso.com");
	assert_contains(got, "DP02.contoso.com");

	/* Static classes filter too. */
	query(e, "root/sms", "__Namespace", "SELECT * FROM __Namespace WHERE "
	      "Name = 'SITE_PS1'", "Name", got, sizeof(got));
	assert_string_equal(got, "site_PS1");
	query(e, "root/sms", "__Namespace", "SELECT * FROM __Namespace WHERE "
	      "Name = 'site_PS2'", "Name", got, sizeof(got));
	assert_string_equal(got, "");
}

static void test_discovery_classes(void **state)
{
	struct env *e = *state;
	struct instance_list l;

	enumerate(e->p, class_of(e->p, "root", "__Namespace"), NULL, &l);
	assert_int_equal(l.count, 1);
	assert_string_equal(cim_instance_text(l.items[0], "Name"), "sms");
	instance_list_free(&l);

	enumerate(e->p, class_of(e->p, "root/sms", "__Namespace"), NULL, &l);
	assert_int_equal(l.count, 1);
	assert_string_equal(cim_instance_text(l.items[0], "Name"), "site_PS1");
	instance_list_free(&l);

	enumerate(e->p, class_of(e->p, "root/sms", "SMS_ProviderLocation"), NULL, &l);
	assert_int_equal(l.count, 1);
	assert_string_equal(cim_instance_text(l.items[0], "Machine"),
			    "CM01.contoso.com");
	assert_string_equal(cim_instance_text(l.items[0], "NamespacePath"),
			    "\\\\CM01.contoso.com\\root\\sms\\site_PS1");
	assert_string_equal(cim_instance_text(l.items[0], "ProviderForLocalSite"),
			    "true");
	assert_string_equal(cim_instance_text(l.items[0], "SiteCode"), "PS1");
	instance_list_free(&l);
}

/* ---- Get -------------------------------------------------------------- */

static void test_get(void **state)
{
	struct env *e = *state;
	const struct provider_class *info = class_of(e->p, SITE_NS, DPINFO);
	struct cim_instance *i = (struct cim_instance *)&i;
	char msg[256];
	struct provider_arg keys[] = {
		{ (char *)"NALPath", (char *)DP02_NAL },
		{ (char *)"ResourceType", (char *)"Windows NT Server" },
		{ (char *)"SiteCode", (char *)"PS1" },
	};

	assert_int_equal(provider_get(e->p, CALL(&analyst), info, keys, 3, &i, msg,
				      sizeof(msg)), 0);
	assert_non_null(i);
	assert_string_equal(cim_instance_text(i, "Name"), "DP02.contoso.com");
	assert_string_equal(cim_instance_text(i, "MaintenanceMode"), "1");
	cim_instance_free(i);

	/* Key values compare ignoring case, key order does not matter. */
	struct provider_arg folded[] = {
		{ (char *)"SiteCode", (char *)"ps1" },
		{ (char *)"nalpath", (char *)NAL("pulldp01.CONTOSO.com") },
		{ (char *)"ResourceType", (char *)"WINDOWS NT SERVER" },
	};
	assert_int_equal(provider_get(e->p, CALL(&admin), info, folded, 3, &i, msg,
				      sizeof(msg)), 0);
	assert_string_equal(cim_instance_text(i, "Name"), "PULLDP01.contoso.com");
	assert_string_equal(cim_instance_text(i, "NALPath"), PULL_NAL);
	cim_instance_free(i);

	/* No such DP, or a right NAL path in another site. */
	keys[0].value = (char *)UNKNOWN_NAL;
	i = (struct cim_instance *)&i;
	assert_int_equal(provider_get(e->p, CALL(&admin), info, keys, 3, &i, msg,
				      sizeof(msg)), WBEM_E_NOT_FOUND);
	assert_null(i);
	assert_string_equal(msg, "No SMS_DistributionPointInfo instance has "
			    "the given key values.");
	keys[0].value = (char *)DP02_NAL;
	keys[2].value = (char *)"PS2";
	assert_int_equal(provider_get(e->p, CALL(&admin), info, keys, 3, &i, msg,
				      sizeof(msg)), WBEM_E_NOT_FOUND);
	assert_null(i);

	/* Static classes. */
	struct provider_arg site[] = { { (char *)"SiteCode", (char *)"ps1" } };
	const struct provider_class *loc = class_of(e->p, "root/sms",
					       "SMS_ProviderLocation");
	assert_int_equal(provider_get(e->p, CALL(&admin), loc, site, 1, &i, msg,
				      sizeof(msg)), 0);
	assert_string_equal(cim_instance_text(i, "Machine"), "CM01.contoso.com");
	cim_instance_free(i);
	site[0].value = (char *)"XYZ";
	assert_int_equal(provider_get(e->p, CALL(&admin), loc, site, 1, &i, msg,
				      sizeof(msg)), WBEM_E_NOT_FOUND);
	assert_null(i);
	assert_string_equal(msg, "No SMS_ProviderLocation instance has the "
			    "given key values.");

	/* SMS_DistributionPoint has no instances to find. */
	struct provider_arg dpkeys[] = {
		{ (char *)"PackageID", (char *)"PS100001" },
		{ (char *)"ServerNALPath", (char *)DP01_NAL },
		{ (char *)"SiteCode", (char *)"PS1" },
	};
	assert_int_equal(provider_get(e->p, CALL(&admin),
				      class_of(e->p, SITE_NS, "SMS_DistributionPoint"),
				      dpkeys, 3, &i, msg, sizeof(msg)),
			 WBEM_E_NOT_FOUND);
	assert_null(i);
}

/* ---- SetDPMaintenanceMode: success ------------------------------------- */

static void test_set_mode(void **state)
{
	struct env *e = *state;
	struct last_row r;
	char msg[256];

	assert_int_equal(store_journal_count(e->st), 0);
	assert_int_equal(mode_of(e->p, DP01_NAL), 0);
	assert_int_equal(set_mode(e, &admin, DPINFO, DP01_NAL, "1", msg,
				  sizeof(msg)), 0);
	assert_int_equal(mode_of(e->p, DP01_NAL), 1);
	uint32_t stored = 9;
	assert_int_equal(store_get_mode(e->st, "PS1", DP01_NAL, &stored), 0);
	assert_int_equal(stored, 1);

	r = last_row(e->st);
	assert_int_equal(r.count, 1);
	assert_string_equal(r.user, "lab");
	assert_string_equal(r.protocol, "wsman");
	assert_string_equal(r.operation, "invoke");
	assert_string_equal(r.site, "PS1");
	assert_string_equal(r.cls, DPINFO);
	assert_string_equal(r.method, SET_MODE);
	assert_string_equal(r.nalpath, DP01_NAL);
	assert_string_equal(r.params, "NALPath=" DP01_NAL " Mode=1");
	assert_int_equal(r.old_mode, 0);
	assert_int_equal(r.new_mode, 1);
	assert_int_equal(r.hresult, 0);

	/* The same mode again succeeds and is journaled as 1 -> 1. */
	assert_int_equal(set_mode(e, &admin, DPINFO, DP01_NAL, "1", msg,
				  sizeof(msg)), 0);
	assert_int_equal(mode_of(e->p, DP01_NAL), 1);
	r = last_row(e->st);
	assert_int_equal(r.count, 2);
	assert_int_equal(r.old_mode, 1);
	assert_int_equal(r.new_mode, 1);
	assert_int_equal(r.hresult, 0);

	/* NAL paths ignore case; Infrastructure Administrators may modify;
	 * Mode in another spelling of 0. */
	assert_int_equal(set_mode(e, &infra, DPINFO, NAL("dp01.CONTOSO.COM"),
				  "00", msg, sizeof(msg)), 0);
	assert_int_equal(mode_of(e->p, DP01_NAL), 0);
	r = last_row(e->st);
	assert_int_equal(r.count, 3);
	assert_string_equal(r.user, "infra");
	assert_int_equal(strcasecmp(r.nalpath, DP01_NAL), 0);
	assert_int_equal(r.old_mode, 1);
	assert_int_equal(r.new_mode, 0);
	assert_int_equal(r.hresult, 0);

	/* Through SMS_DistributionPoint, as the SDK page has it. */
	assert_int_equal(set_mode(e, &admin, "SMS_DistributionPoint", DP02_NAL,
				  "0", msg, sizeof(msg)), 0);
	assert_int_equal(mode_of(e->p, DP02_NAL), 0);
	r = last_row(e->st);
	assert_int_equal(r.count, 4);
	assert_string_equal(r.cls, "SMS_DistributionPoint");
	assert_string_equal(r.method, SET_MODE);
	assert_string_equal(r.nalpath, DP02_NAL);
	assert_int_equal(r.old_mode, 1);
	assert_int_equal(r.new_mode, 0);

	/* Parameter names and the method name ignore case; other DPs are
	 * untouched throughout. */
	struct provider_arg params[] = {
		{ (char *)"mode", (char *)"1" },
		{ (char *)"nalpath", (char *)PULL_NAL },
	};
	uint32_t rv = 99;
	assert_int_equal(provider_invoke(e->p, CALL(&admin),
					 class_of(e->p, SITE_NS, DPINFO),
					 "setdpmaintenancemode", params, 2, &rv,
					 msg, sizeof(msg)), 0);
	assert_int_equal(rv, 0);
	assert_int_equal(mode_of(e->p, PULL_NAL), 1);
	r = last_row(e->st);
	assert_string_equal(r.method, SET_MODE);
	assert_int_equal(mode_of(e->p, NAL("PXE01.contoso.com")), 0);
	assert_int_equal(mode_of(e->p, NAL("CLOUDDP01.cloudapp.net")), 0);
}

/* ---- SetDPMaintenanceMode: errors -------------------------------------- */

struct invoke_error {
	const char *what;
	const struct caller *who;
	const char *method;
	struct provider_arg params[3];
	size_t nparams;
	uint32_t hr;
	const char *msg;	/* the whole message */
	const char *journal_nal; /* NULL: the row names no DP */
};

#define P(n, v) { (char *)(n), (char *)(v) }

static const struct invoke_error invoke_errors[] = {
	{ "unknown NAL path", &admin, SET_MODE,
	  { P("NALPath", UNKNOWN_NAL), P("Mode", "1") }, 2, WBEM_E_NOT_FOUND,
	  "No distribution point with NAL path '" UNKNOWN_NAL "' in site PS1.",
	  UNKNOWN_NAL },
	{ "Mode 2", &admin, SET_MODE,
	  { P("NALPath", DP01_NAL), P("Mode", "2") }, 2,
	  WBEM_E_INVALID_PARAMETER,
	  "Mode 2 is not valid: use 1 to enable or 0 to disable maintenance "
	  "mode.", DP01_NAL },
	{ "Mode x", &admin, SET_MODE,
	  { P("NALPath", DP01_NAL), P("Mode", "x") }, 2, WBEM_E_TYPE_MISMATCH,
	  "Mode 'x' is not a uint32 (not a decimal integer).", DP01_NAL },
	{ "Mode out of range", &admin, SET_MODE,
	  { P("NALPath", DP01_NAL), P("Mode", "4294967296") }, 2,
	  WBEM_E_TYPE_MISMATCH,
	  "Mode '4294967296' is not a uint32 (out of range for uint32).",
	  DP01_NAL },
	{ "missing Mode", &admin, SET_MODE,
	  { P("NALPath", DP01_NAL) }, 1, WBEM_E_INVALID_METHOD_PARAMETERS,
	  "Parameter 'Mode' is missing; SetDPMaintenanceMode takes NALPath "
	  "and Mode.", DP01_NAL },
	{ "missing NALPath", &admin, SET_MODE,
	  { P("Mode", "1") }, 1, WBEM_E_INVALID_METHOD_PARAMETERS,
	  "Parameter 'NALPath' is missing; SetDPMaintenanceMode takes NALPath "
	  "and Mode.", NULL },
	{ "no parameters", &admin, SET_MODE,
	  { P("", "") }, 0, WBEM_E_INVALID_METHOD_PARAMETERS,
	  "Parameter 'NALPath' is missing; SetDPMaintenanceMode takes NALPath "
	  "and Mode.", NULL },
	{ "nil Mode", &admin, SET_MODE,
	  { P("NALPath", DP01_NAL), P("Mode", NULL) }, 2,
	  WBEM_E_INVALID_METHOD_PARAMETERS,
	  "Parameter 'Mode' is null; SetDPMaintenanceMode needs a value.",
	  DP01_NAL },
	{ "unknown parameter", &admin, SET_MODE,
	  { P("NALPath", DP01_NAL), P("Mode", "1"), P("Force", "true") }, 3,
	  WBEM_E_INVALID_METHOD_PARAMETERS,
	  "SetDPMaintenanceMode has no parameter 'Force'; it takes NALPath "
	  "and Mode.", DP01_NAL },
	{ "duplicate parameter", &admin, SET_MODE,
	  { P("NALPath", DP01_NAL), P("Mode", "1"), P("mode", "0") }, 3,
	  WBEM_E_INVALID_METHOD_PARAMETERS,
	  "Parameter 'mode' is given twice.", DP01_NAL },
	{ "analyst", &analyst, SET_MODE,
	  { P("NALPath", DP01_NAL), P("Mode", "1") }, 2, WBEM_E_ACCESS_DENIED,
	  "User 'analyst' (Read-only Analyst) lacks Modify permission on the "
	  "Site class needed to change maintenance mode.", DP01_NAL },
};

static void test_set_mode_errors(void **state)
{
	struct env *e = *state;
	const struct provider_class *info = class_of(e->p, SITE_NS, DPINFO);

	for (size_t k = 0; k < sizeof(invoke_errors) / sizeof(invoke_errors[0]); k++) {
		const struct invoke_error *t = &invoke_errors[k];
		int64_t before = invoke_rows(e->st);
		uint32_t rv = 99;
		char msg[512] = "";
		uint32_t hr = provider_invoke(e->p, CALL(t->who), info, t->method,
					      t->params, t->nparams, &rv, msg,
					      sizeof(msg));

		if (hr != t->hr)
			fail_msg("%s: 0x%08X, want 0x%08X (%s)", t->what, hr,
				 t->hr, msg);
		assert_int_equal(rv, 0);
		if (strcmp(msg, t->msg) != 0)
			fail_msg("%s: \"%s\", want \"%s\"", t->what, msg, t->msg);

		/* One journal row for the failed call, no state change. */
		struct last_row r = last_row(e->st);
		assert_int_equal(r.count, before + 1);
		assert_string_equal(r.user, t->who->user);
		assert_string_equal(r.operation, "invoke");
		assert_string_equal(r.site, "PS1");
		assert_string_equal(r.cls, DPINFO);
		assert_string_equal(r.method, SET_MODE);
		assert_int_equal(r.hresult, t->hr);
		assert_int_equal(r.old_mode, -1);
		assert_int_equal(r.new_mode, -1);
		if (t->journal_nal)
			assert_string_equal(r.nalpath, t->journal_nal);
		else
			assert_false(r.has_nalpath);
		assert_int_equal(mode_of(e->p, DP01_NAL), 0);
		assert_int_equal(mode_of(e->p, DP02_NAL), 1);
	}
	/* The parameters are journaled as given, a nil one as (null). */
	uint32_t rv;
	char msg[256];
	struct provider_arg nil[] = { P("NALPath", NULL), P("Mode", "1") };
	assert_int_equal(provider_invoke(e->p, CALL(&admin), info, SET_MODE, nil, 2,
					 &rv, msg, sizeof(msg)),
			 WBEM_E_INVALID_METHOD_PARAMETERS);
	assert_string_equal(msg, "Parameter 'NALPath' is null; "
			    "SetDPMaintenanceMode needs a value.");
	struct last_row r = last_row(e->st);
	assert_string_equal(r.params, "NALPath=(null) Mode=1");
	assert_int_equal(r.hresult, WBEM_E_INVALID_METHOD_PARAMETERS);
	assert_int_equal(mode_of(e->p, DP01_NAL), 0);
}

static void test_unknown_method(void **state)
{
	struct env *e = *state;
	struct provider_arg params[] = { P("NALPath", DP01_NAL), P("Mode", "1") };
	int64_t before = invoke_rows(e->st);
	uint32_t rv = 99;
	char msg[256];

	assert_int_equal(provider_invoke(e->p, CALL(&admin),
					 class_of(e->p, SITE_NS, DPINFO),
					 "Frobnicate", params, 2, &rv, msg,
					 sizeof(msg)), WBEM_E_INVALID_METHOD);
	assert_int_equal(rv, 0);
	assert_string_equal(msg, "Class SMS_DistributionPointInfo has no "
			    "method 'Frobnicate'.");
	/* The discovery classes have no methods at all. */
	assert_int_equal(provider_invoke(e->p, CALL(&admin),
					 class_of(e->p, "root/sms",
						  "SMS_ProviderLocation"),
					 SET_MODE, params, 2, &rv, msg,
					 sizeof(msg)), WBEM_E_INVALID_METHOD);
	assert_string_equal(msg, "Class SMS_ProviderLocation has no method "
			    "'SetDPMaintenanceMode'.");
	/* Both failed calls are journaled with their HRESULT. */
	assert_int_equal(invoke_rows(e->st), before + 2);
	struct last_row r = last_row(e->st);
	assert_int_equal(r.hresult, WBEM_E_INVALID_METHOD);
	assert_int_equal(mode_of(e->p, DP01_NAL), 0);
}

/* ---- restart ---------------------------------------------------------- */

static void test_restart_keeps_state(void **state)
{
	struct env *e = *state;
	char msg[256];

	assert_int_equal(set_mode(e, &admin, DPINFO, DP01_NAL, "1", msg,
				  sizeof(msg)), 0);
	assert_int_equal(set_mode(e, &admin, DPINFO, DP02_NAL, "0", msg,
				  sizeof(msg)), 0);
	int64_t rows = invoke_rows(e->st);

	/* A new provider over the same store: the fixture says DP01=0 and
	 * DP02=1, the store wins. */
	provider_free(e->p);
	e->p = new_provider(e->fx, e->st);
	assert_int_equal(mode_of(e->p, DP01_NAL), 1);
	assert_int_equal(mode_of(e->p, DP02_NAL), 0);
	assert_int_equal(mode_of(e->p, PULL_NAL), 0);
	assert_int_equal(invoke_rows(e->st), rows);

	/* And it keeps working from there. */
	assert_int_equal(set_mode(e, &admin, DPINFO, DP01_NAL, "0", msg,
				  sizeof(msg)), 0);
	struct last_row r = last_row(e->st);
	assert_int_equal(r.old_mode, 1);
	assert_int_equal(r.new_mode, 0);
	assert_int_equal(mode_of(e->p, DP01_NAL), 0);

	/* A fresh store takes the fixture's modes again. */
	struct store *fresh = open_store();
	struct provider *p2 = new_provider(e->fx, fresh);
	assert_int_equal(mode_of(p2, DP01_NAL), 0);
	assert_int_equal(mode_of(p2, DP02_NAL), 1);
	provider_free(p2);
	store_free(fresh);
}

/* ---- fixture <property> checks ----------------------------------------- */

/* A second fixture: property names in any case, lenient values stored
 * canonically, strings kept exactly. */
static void test_fixture_property_values(void **state)
{
	struct fixture *fx = NULL;
	struct store *st = open_store();
	struct provider *p;
	struct instance_list l;
	const struct cim_instance *i;
	char err[512];

	if (fixture_load_file(FIXTURE_DIR "good_branch.xml", &fx, err, sizeof(err)))
		fail_msg("%s", err);
	p = new_provider(fx, st);
	enumerate(p, class_of(p, "root/sms/site_BR1", DPINFO), NULL, &l);
	assert_int_equal(l.count, 2);

	i = find_by(&l, "Name", "BRDP02");
	assert_non_null(i);
	assert_string_equal(cim_instance_text(i, "IsPullDP"), "true");
	assert_string_equal(cim_instance_text(i, "Priority"), "7");
	assert_string_equal(cim_instance_text(i, "IsPXE"), "false");
	assert_string_equal(cim_instance_text(i, "Drive"), "E:\\");
	assert_string_equal(cim_instance_text(i, "MaintenanceMode"), "1");
	assert_string_equal(cim_instance_text(i, "SiteCode"), "BR1");
	assert_string_equal(cim_instance_text(i, "SiteName"), "Branch Site");
	assert_string_equal(cim_instance_text(i, "Description"),
			    "Short name, explicit NAL path");
	assert_string_equal(cim_instance_text(i, "NALPath"),
			    "[\"Display=\\\\BRDP02\\\"]MSWNET:"
			    "[\"SMS_SITE=BR1\"]\\\\BRDP02\\");

	/* No <property>: the defaults of a standard DP. */
	i = find_by(&l, "Name", "BRDP01.branch.contoso.com");
	assert_non_null(i);
	assert_string_equal(cim_instance_text(i, "IsPullDP"), "false");
	assert_string_equal(cim_instance_text(i, "Priority"), "1");
	assert_string_equal(cim_instance_text(i, "Drive"), "E:");
	assert_null(cim_instance_text(i, "Description"));
	instance_list_free(&l);
	provider_free(p);
	store_free(st);
	fixture_free(fx);

	static const char xml[] =
		"<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n"
		"  <site code=\"PS1\" name=\"Lab\" provider=\"CM01\">\n"
		"    <dp fqdn=\"DP01\">\n"
		"      <property name=\"ShareName\"> SMS_DP$ </property>\n"
		"      <property name=\"BITSENABLED\">\n FALSE\n </property>\n"
		"      <property name=\"TransferRate\">4294967295</property>\n"
		"      <property name=\"Region\">12</property>\n"
		"      <property name=\"BindExcept\"></property>\n"
		"    </dp>\n"
		"  </site>\n"
		"</dpsim-fixture>\n";
	if (fixture_load_memory("mem.xml", xml, strlen(xml), &fx, err, sizeof(err)))
		fail_msg("%s", err);
	st = open_store();
	p = new_provider(fx, st);
	enumerate(p, class_of(p, SITE_NS, DPINFO), NULL, &l);
	assert_int_equal(l.count, 1);
	i = l.items[0];
	assert_string_equal(cim_instance_text(i, "ShareName"), " SMS_DP$ ");
	assert_string_equal(cim_instance_text(i, "BitsEnabled"), "false");
	assert_string_equal(cim_instance_text(i, "TransferRate"), "4294967295");
	assert_string_equal(cim_instance_text(i, "Region"), "12");
	assert_string_equal(cim_instance_text(i, "BindExcept"), "");
	instance_list_free(&l);
	provider_free(p);
	store_free(st);
	fixture_free(fx);
}

struct bad_prop {
	const char *file;	/* under tests/unit/fixtures/ */
	unsigned line;
	const char *msg;	/* the rest of the message after FILE:LINE: */
};

static const struct bad_prop bad_props[] = {
	{ "bad_unknown_property.xml", 6,
	  "property 'IsMultycast' is not a property of "
	  "SMS_DistributionPointInfo" },
	{ "bad_reserved_property.xml", 5,
	  "property 'MaintenanceMode' cannot be set with <property>: use the "
	  "maintenance attribute of <dp>" },
	{ "bad_key_property.xml", 6,
	  "property 'NALPath' cannot be set with <property>: it is a key; use "
	  "the nalpath attribute of <dp>" },
	{ "bad_description_property.xml", 5,
	  "property 'Description' cannot be set with <property>: use the "
	  "description attribute of <dp>" },
	{ "bad_bool_property.xml", 8,
	  "property 'IsMulticast': 'yes' is not a valid boolean (use true, "
	  "false, 1 or 0)" },
	{ "bad_uint_property.xml", 5,
	  "property 'Priority': '4294967296' is not a valid uint32 (out of "
	  "range for uint32; use a whole number from 0 to 4294967295)" },
};

static void check_provider_refuses(struct fixture *fx, const char *where,
				   const char *want)
{
	struct store *st = open_store();
	struct provider *p = (struct provider *)&p;	/* must be reset */
	char err[512] = "", full[1024];

	snprintf(full, sizeof(full), "%s%s", where, want);
	assert_int_equal(provider_new(fx, st, &p, err, sizeof(err)), -EINVAL);
	assert_null(p);
	if (strcmp(err, full) != 0)
		fail_msg("\"%s\", want \"%s\"", err, full);
	/* A refused fixture journals nothing. */
	assert_int_equal(store_journal_count(st), 0);
	store_free(st);
}

static void test_bad_property_files(void **state)
{
	for (size_t k = 0; k < sizeof(bad_props) / sizeof(bad_props[0]); k++) {
		const struct bad_prop *b = &bad_props[k];
		struct fixture *fx = NULL;
		char path[512], where[600], err[512];

		/* The loader accepts them: the provider owns the class. */
		snprintf(path, sizeof(path), "%s%s", FIXTURE_DIR, b->file);
		if (fixture_load_file(path, &fx, err, sizeof(err)))
			fail_msg("%s: %s", b->file, err);
		snprintf(where, sizeof(where), "%s:%u: ", path, b->line);
		check_provider_refuses(fx, where, b->msg);
		fixture_free(fx);
	}
}

/* Each fixed property with its own reason, and more bad values, from one
 * in-memory template: the <property> sits on line 4 of "mem.xml". */
static void test_bad_property_values(void **state)
{
	static const struct {
		const char *name, *value;
		const char *msg;
	} cases[] = {
		{ "Foo", "1",
		  "property 'Foo' is not a property of SMS_DistributionPointInfo" },
		{ "IsPXE", "maybe",
		  "property 'IsPXE': 'maybe' is not a valid boolean (use true, "
		  "false, 1 or 0)" },
		{ "ispxe", "", "property 'IsPXE': '' is not a valid boolean "
		  "(use true, false, 1 or 0)" },
		{ "Priority", "-1", "property 'Priority': '-1' is not a valid "
		  "uint32 (out of range for uint32; use a whole number from 0 "
		  "to 4294967295)" },
		{ "Priority", "1.5", "property 'Priority': '1.5' is not a valid "
		  "uint32 (not a decimal integer; use a whole number from 0 to "
		  "4294967295)" },
		{ "Region", "westeurope", "property 'Region': 'westeurope' is not "
		  "a valid uint32 (not a decimal integer; use a whole number "
		  "from 0 to 4294967295)" },
		{ "description", "x", "property 'Description' cannot be set with "
		  "<property>: use the description attribute of <dp>" },
		{ "ID", "7", "property 'ID' cannot be set with <property>: dpsim "
		  "numbers the DPs of a site in fixture order" },
		{ "Name", "x", "property 'Name' cannot be set with <property>: it "
		  "is the fqdn attribute of <dp>" },
		{ "SERVERNAME", "x", "property 'ServerName' cannot be set with "
		  "<property>: it is the fqdn attribute of <dp>" },
		{ "ResourceType", "x", "property 'ResourceType' cannot be set "
		  "with <property>: it is a key dpsim fills in" },
		{ "SiteCode", "PS2", "property 'SiteCode' cannot be set with "
		  "<property>: it is a key; it is the code of the enclosing "
		  "<site>" },
		{ "SiteName", "x", "property 'SiteName' cannot be set with "
		  "<property>: it is the name attribute of the enclosing <site>" },
		{ "maintenancemode", "0", "property 'MaintenanceMode' cannot be "
		  "set with <property>: use the maintenance attribute of <dp>" },
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct fixture *fx = NULL;
		char xml[1024], err[512];

		snprintf(xml, sizeof(xml),
			 "<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n"
			 "  <site code=\"PS1\" name=\"Lab\" provider=\"CM01\">\n"
			 "    <dp fqdn=\"DP01\">\n"
			 "      <property name=\"%s\">%s</property>\n"
			 "    </dp>\n"
			 "  </site>\n"
			 "</dpsim-fixture>\n", cases[k].name, cases[k].value);
		if (fixture_load_memory("mem.xml", xml, strlen(xml), &fx, err,
					sizeof(err)))
			fail_msg("%s: %s", cases[k].name, err);
		check_provider_refuses(fx, "mem.xml:4: ", cases[k].msg);
		fixture_free(fx);
	}
}

/* With several sites and DPs, the first bad property is the one
 * reported, by its own line. */
static void test_bad_property_in_later_site(void **state)
{
	static const char xml[] =
		"<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n"
		"  <site code=\"PS1\" name=\"Lab\" provider=\"CM01\">\n"
		"    <dp fqdn=\"DP01\">\n"
		"      <property name=\"Priority\">2</property>\n"
		"    </dp>\n"
		"  </site>\n"
		"  <site code=\"PS2\" name=\"Lab 2\" provider=\"CM02\">\n"
		"    <dp fqdn=\"DP01\"/>\n"
		"    <dp fqdn=\"DP02\">\n"
		"      <property name=\"IsPXE\">true</property>\n"
		"      <property name=\"IsPXE2\">true</property>\n"
		"      <property name=\"IsMulticast\">often</property>\n"
		"    </dp>\n"
		"  </site>\n"
		"</dpsim-fixture>\n";
	struct fixture *fx = NULL;
	char err[512];

	if (fixture_load_memory("two.xml", xml, strlen(xml), &fx, err,
				sizeof(err)))
		fail_msg("%s", err);
	check_provider_refuses(fx, "two.xml:11: ", "property 'IsPXE2' is not "
			       "a property of SMS_DistributionPointInfo");
	fixture_free(fx);
}

/* A test with a fresh lab, store and provider in *state. */
#define ENV_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)


/* ---- fault rules through the provider ----------------------------------- */

/* Adds r (and clears it); returns its id. */
static int64_t add_rule(struct provider *p, struct fault_rule *r)
{
	int64_t id = 0;

	assert_int_equal(fault_rule_check(r, NULL, 0), 0);
	assert_int_equal(faults_add(provider_faults(p), r, 1, &id), 0);
	fault_rule_clear(r);
	return id;
}

/* The last journal row of any kind. */
struct any_row {
	int64_t count;
	int64_t rule_id;
	char effect[16], operation[16], result[16];
	uint32_t hresult;
	bool has_rv;
	uint32_t rv;
	unsigned http;
};

static int keep_any(void *ctx, const struct journal_entry *e)
{
	struct any_row *r = ctx;

	r->count++;
	r->rule_id = e->rule_id;
	copy_text(r->effect, sizeof(r->effect), e->effect);
	copy_text(r->operation, sizeof(r->operation), e->operation);
	copy_text(r->result, sizeof(r->result), journal_result(e));
	r->hresult = e->hresult;
	r->has_rv = e->has_return_value;
	r->rv = e->return_value;
	r->http = e->http_status;
	return 0;
}

static struct any_row any_row(struct store *st)
{
	struct any_row r = { 0 };

	assert_int_equal(store_journal_foreach(st, 0, keep_any, &r), 0);
	return r;
}

static uint32_t invoke_set(struct env *e, struct provider_call *call,
			   const char *nal, const char *mode, uint32_t *rv,
			   char *msg, size_t msgsize)
{
	struct provider_arg params[] = {
		{ (char *)"NALPath", (char *)nal },
		{ (char *)"Mode", (char *)mode },
	};

	return provider_invoke(e->p, call, class_of(e->p, SITE_NS, DPINFO),
			       SET_MODE, params, 2, rv, msg, msgsize);
}

static void test_rule_fault_then_succeed(void **state)
{
	struct env *e = *state;
	struct fault_rule r;
	char msg[256];
	uint32_t rv;

	fault_rule_init(&r);
	r.method_glob = strdup("SetDPMaintenanceMode");
	r.effect = FAULT_FAULT;
	r.hresult = WBEM_E_FAILED;
	r.times = 2;
	int64_t id = add_rule(e->p, &r);

	for (int i = 0; i < 3; i++) {
		struct provider_call *c = CALL(&admin);
		uint32_t hr = invoke_set(e, c, DP01_NAL, "1", &rv, msg, sizeof(msg));
		struct any_row row = any_row(e->st);

		assert_false(provider_call_intercepted(c));
		if (i < 2) {
			assert_int_equal(hr, WBEM_E_FAILED);
			assert_contains(msg, "(dpsim fault rule 1)");
			assert_int_equal(c->rule_id, id);
			assert_int_equal(row.rule_id, id);
			assert_string_equal(row.effect, "fault");
			assert_int_equal(row.hresult, WBEM_E_FAILED);
			assert_int_equal(mode_of(e->p, DP01_NAL), 0);
		} else {
			assert_int_equal(hr, 0);
			assert_int_equal(rv, 0);
			assert_int_equal(row.rule_id, 0);
			assert_string_equal(row.result, "ok");
			assert_int_equal(mode_of(e->p, DP01_NAL), 1);
		}
	}
	assert_int_equal(invoke_rows(e->st), 3);
}

static void test_rule_return_does_not_apply(void **state)
{
	struct env *e = *state;
	struct provider_call *c = CALL(&admin);
	struct fault_rule r;
	char msg[256];
	uint32_t rv = 0;

	fault_rule_init(&r);
	r.effect = FAULT_RETURN;
	r.hresult = WBEM_E_ACCESS_DENIED;
	r.nalpath_glob = strdup("*dp01*");
	add_rule(e->p, &r);
	assert_int_equal(invoke_set(e, c, DP01_NAL, "1", &rv, msg, sizeof(msg)), 0);
	assert_int_equal(rv, WBEM_E_ACCESS_DENIED);
	assert_int_equal(mode_of(e->p, DP01_NAL), 0);	/* not applied */
	struct last_row row = last_row(e->st);
	assert_int_equal(row.old_mode, -1);
	struct any_row a = any_row(e->st);
	/* The Invoke row is not the last: mode_of enumerated since. */
	assert_string_equal(a.operation, "enumerate");
	uint32_t stored = 9;
	assert_int_equal(store_get_mode(e->st, "PS1", DP01_NAL, &stored), 0);
	assert_int_equal(stored, 0);
	/* Other DPs are not matched. */
	assert_int_equal(invoke_set(e, CALL(&admin), DP02_NAL, "0", &rv, msg,
				    sizeof(msg)), 0);
	assert_int_equal(rv, 0);
	assert_int_equal(mode_of(e->p, DP02_NAL), 0);
}

/* http, drop and timeout are for the front end: the provider says which,
 * journals the call, and changes nothing. */
static void test_rule_front_end_effects(void **state)
{
	struct env *e = *state;
	static const enum fault_effect effects[] = {
		FAULT_HTTP, FAULT_DROP, FAULT_TIMEOUT,
	};
	char msg[256];
	uint32_t rv;

	for (size_t i = 0; i < 3; i++) {
		struct fault_rule r;
		struct provider_call call = { .who = &admin, .timeout_ms = 5 };

		fault_rule_init(&r);
		r.effect = effects[i];
		r.http_status = 429;
		r.times = 1;
		int64_t id = add_rule(e->p, &r);
		invoke_set(e, &call, DP01_NAL, "1", &rv, msg, sizeof(msg));
		assert_true(provider_call_intercepted(&call));
		assert_false(call.deferred);
		assert_int_equal(call.effect, effects[i]);
		assert_int_equal(call.rule_id, id);
		struct any_row row = any_row(e->st);
		assert_string_equal(row.effect, fault_effect_name(effects[i]));
		assert_string_equal(row.result, fault_effect_name(effects[i]));
		if (effects[i] == FAULT_HTTP) {
			assert_int_equal(call.http_status, 429);
			assert_int_equal(row.http, 429);
		}
		if (effects[i] == FAULT_TIMEOUT)
			assert_int_equal(row.hresult, 0x80338029u);
	}
	assert_int_equal(mode_of(e->p, DP01_NAL), 0);
}

/* A delay with a front end that can wait: the call comes back deferred
 * and unjournaled, and finishes on the second call without deciding
 * again (the rule fired once). */
static void test_rule_delay_deferred(void **state)
{
	struct env *e = *state;
	struct provider_call call = { .who = &admin, .can_defer = true };
	struct fault_rule r, got;
	char msg[256];
	uint32_t rv;

	fault_rule_init(&r);
	r.effect = FAULT_DELAY;
	r.operation = FAULT_OP_INVOKE;
	r.delay_ms = 1500;
	int64_t id = add_rule(e->p, &r);
	int64_t rows = store_journal_count(e->st);

	invoke_set(e, &call, DP01_NAL, "1", &rv, msg, sizeof(msg));
	assert_true(call.deferred);
	assert_int_equal(call.wait_ms, 1500);
	assert_int_equal(store_journal_count(e->st), rows);
	assert_int_equal(mode_of(e->p, DP01_NAL), 0);
	rows = store_journal_count(e->st);

	assert_int_equal(invoke_set(e, &call, DP01_NAL, "1", &rv, msg, sizeof(msg)), 0);
	assert_false(call.deferred);
	assert_int_equal(rv, 0);
	assert_int_equal(mode_of(e->p, DP01_NAL), 1);
	assert_int_equal(faults_get(provider_faults(e->p), id, &got), 0);
	assert_int_equal(got.fired, 1);
	fault_rule_clear(&got);
	struct last_row row = last_row(e->st);
	assert_int_equal(row.new_mode, 1);
	assert_int_equal(store_journal_count(e->st), rows + 2);

	/* Without deferral the provider sleeps itself (a short delay). */
	fault_rule_init(&r);
	r.effect = FAULT_TIMEOUT;
	r.operation = FAULT_OP_GET;
	add_rule(e->p, &r);
	struct provider_call g = { .who = &admin, .timeout_ms = 10 };
	struct cim_instance *i = NULL;
	struct provider_arg keys[] = {
		{ (char *)"NALPath", (char *)DP01_NAL },
		{ (char *)"ResourceType", (char *)"Windows NT Server" },
		{ (char *)"SiteCode", (char *)"PS1" },
	};
	provider_get(e->p, &g, class_of(e->p, SITE_NS, DPINFO), keys, 3, &i, msg,
		     sizeof(msg));
	assert_null(i);
	assert_int_equal(g.effect, FAULT_TIMEOUT);
	struct any_row a = any_row(e->st);
	assert_string_equal(a.operation, "get");
	assert_string_equal(a.result, "timeout");
}

static void test_reads_are_journaled(void **state)
{
	struct env *e = *state;
	struct instance_list l;
	struct any_row r;

	enumerate(e->p, class_of(e->p, "root/sms", "SMS_ProviderLocation"), NULL, &l);
	instance_list_free(&l);
	r = any_row(e->st);
	assert_int_equal(r.count, 1);
	assert_string_equal(r.operation, "enumerate");
	assert_string_equal(r.result, "ok");
}

/* ---- reads waiting for their journal row ---------------------------------- */

struct held_write {
	struct store *st;
	int rc;
};

static void *held_write_main(void *arg)
{
	struct held_write *h = arg;
	struct journal_entry je = { .protocol = "test", .operation = "request",
				    .old_mode = -1, .new_mode = -1 };

	h->rc = store_journal_add(h->st, &je);
	return NULL;
}

/* A commit under way: a row of its own leads the queue and waits, so
 * that whatever is submitted until release_commits queues behind it. */
static void hold_commits(struct env *e, pthread_t *t, struct held_write *h)
{
	store_testing_hold(e->st);
	h->st = e->st;
	assert_int_equal(pthread_create(t, NULL, held_write_main, h), 0);
	store_testing_wait_held(e->st);
}

static void release_commits(struct env *e, pthread_t t, struct held_write *h)
{
	store_testing_release(e->st);
	pthread_join(t, NULL);
	assert_int_equal(h->rc, 0);
}

static uint32_t get_dp(struct env *e, struct provider_call *call, const char *nal,
		       struct cim_instance **out, char *msg, size_t msgsize)
{
	struct provider_arg keys[] = {
		{ (char *)"NALPath", (char *)nal },
		{ (char *)"ResourceType", (char *)"Windows NT Server" },
		{ (char *)"SiteCode", (char *)"PS1" },
	};

	return provider_get(e->p, call, class_of(e->p, SITE_NS, DPINFO), keys, 3,
			    out, msg, msgsize);
}

/* A read queued behind a commit under way comes back deferred, its row
 * not yet written; made again once the row is committed, it answers
 * what it found, found or not. */
static void test_read_waits_for_its_row(void **state)
{
	struct env *e = *state;
	struct provider_call call = { .who = &admin, .can_defer = true };
	struct cim_instance *i = NULL;
	struct held_write h;
	pthread_t t;
	char msg[256];
	int64_t rows = store_journal_count(e->st);

	hold_commits(e, &t, &h);
	get_dp(e, &call, DP01_NAL, &i, msg, sizeof(msg));
	assert_true(call.deferred);
	assert_int_equal(call.wait_ms, 0);
	assert_non_null(call.wait_on);
	assert_false(completion_fired(call.wait_on));
	assert_null(i);
	assert_int_equal(store_journal_count(e->st), rows);
	release_commits(e, t, &h);
	completion_wait(call.wait_on);

	assert_int_equal(get_dp(e, &call, DP01_NAL, &i, msg, sizeof(msg)), 0);
	assert_false(call.deferred);
	assert_null(call.wait_on);
	assert_null(call.read);
	assert_non_null(i);
	assert_string_equal(cim_instance_text(i, "NALPath"), DP01_NAL);
	cim_instance_free(i);
	assert_int_equal(store_journal_count(e->st), rows + 2);
	struct any_row r = any_row(e->st);
	assert_string_equal(r.operation, "get");
	assert_string_equal(r.result, "ok");

	/* A failure is kept with its message. */
	struct provider_call miss = { .who = &admin, .can_defer = true };
	hold_commits(e, &t, &h);
	get_dp(e, &miss, NAL("NOPE.contoso.com"), &i, msg, sizeof(msg));
	assert_true(miss.deferred);
	release_commits(e, t, &h);
	snprintf(msg, sizeof(msg), "overwritten");
	assert_int_equal(get_dp(e, &miss, NAL("NOPE.contoso.com"), &i, msg,
				sizeof(msg)), WBEM_E_NOT_FOUND);
	assert_null(i);
	assert_string_equal(msg, "No SMS_DistributionPointInfo instance has the "
			    "given key values.");
	r = any_row(e->st);
	assert_int_equal(r.hresult, WBEM_E_NOT_FOUND);

	/* Nothing under way: the caller commits its row itself and is
	 * answered at once. */
	struct provider_call now = { .who = &admin, .can_defer = true };
	assert_int_equal(get_dp(e, &now, DP01_NAL, &i, msg, sizeof(msg)), 0);
	assert_false(now.deferred);
	assert_non_null(i);
	cim_instance_free(i);
}

struct keep_count {
	int seen;
};

static bool keep_counting(void *ctx, const struct cim_instance *i)
{
	((struct keep_count *)ctx)->seen++;
	return i != NULL;
}

/* A cursor kept across the wait takes the filter of the call made again
 * (the first one's is gone with its request); an enumeration nobody
 * comes back for is freed with its call, its row written all the same. */
static void test_read_kept_cursor_and_end(void **state)
{
	struct env *e = *state;
	const struct provider_class *dps = class_of(e->p, SITE_NS, DPINFO);
	struct provider_call call = { .who = &admin, .can_defer = true };
	struct provider_cursor *cur = NULL;
	struct keep_count first = { 0 }, again = { 0 };
	struct instance_list l;
	struct held_write h;
	pthread_t t;
	char msg[256];

	hold_commits(e, &t, &h);
	provider_cursor_open(e->p, &call, dps, NULL, keep_counting, &first, &cur,
			     msg, sizeof(msg));
	assert_true(call.deferred);
	assert_null(cur);
	release_commits(e, t, &h);
	assert_int_equal(provider_cursor_open(e->p, &call, dps, NULL, keep_counting,
					      &again, &cur, msg, sizeof(msg)), 0);
	assert_non_null(cur);
	assert_int_equal(provider_cursor_fetch(e->p, cur, 100, &l, msg,
					       sizeof(msg)), 0);
	assert_true(l.count > 0);
	assert_int_equal(again.seen, (int)l.count);
	assert_int_equal(first.seen, 0);
	instance_list_free(&l);
	provider_cursor_free(cur);

	int64_t rows = store_journal_count(e->st);
	struct provider_call gone = { .who = &admin, .can_defer = true };
	hold_commits(e, &t, &h);
	provider_enumerate_where(e->p, &gone, dps, NULL, &l, msg, sizeof(msg));
	assert_true(gone.deferred);
	assert_int_equal(l.count, 0);
	release_commits(e, t, &h);
	provider_call_end(e->p, &gone);
	assert_null(gone.read);
	assert_int_equal(store_journal_count(e->st), rows + 2);
	assert_string_equal(any_row(e->st).operation, "enumerate");
}

/* The row of a read that waited cannot be written (a trigger another
 * connection added refuses it, as a full disk would): the call made
 * again is told so, not answered as if it had been journaled, and the
 * answer it had is freed. */
static void test_read_unjournaled_after_wait(void **state)
{
	char dir[] = "/tmp/dpsim-provider-XXXXXX", path[64], err[512];
	struct env e = { 0 };
	sqlite3 *db;
	struct provider_call call = { .who = &admin, .can_defer = true };
	struct cim_instance *i = NULL;
	struct held_write h;
	pthread_t t;
	char msg[256];

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/p.db", dir);
	e.fx = load_lab();
	if (store_open(path, &e.st, err, sizeof(err)))
		fail_msg("store_open: %s", err);
	e.p = new_provider(e.fx, e.st);
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TRIGGER no_gets BEFORE INSERT "
				      "ON journal WHEN NEW.operation = 'get' "
				      "BEGIN SELECT RAISE(ABORT, 'no'); END;",
				      NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	hold_commits(&e, &t, &h);
	get_dp(&e, &call, DP01_NAL, &i, msg, sizeof(msg));
	assert_true(call.deferred);
	store_testing_release(e.st);
	pthread_join(t, NULL);
	/* Its batch failed with it: the held row was told too. */
	assert_int_not_equal(h.rc, 0);
	assert_int_equal(get_dp(&e, &call, DP01_NAL, &i, msg, sizeof(msg)),
			 WBEM_E_PROVIDER_FAILURE);
	assert_false(call.deferred);
	assert_null(call.read);
	assert_null(i);
	assert_non_null(strstr(msg, "dpsim could not journal this call"));

	provider_free(e.p);
	store_free(e.st);
	fixture_free(e.fx);
	char f[96];
	const char *const ext[] = { "", "-wal", "-shm", ".lock" };
	for (size_t k = 0; k < sizeof(ext) / sizeof(*ext); k++) {
		snprintf(f, sizeof(f), "%s%s", path, ext[k]);
		unlink(f);
	}
	snprintf(f, sizeof(f), "%s/p.db.snapshots", dir);
	rmdir(f);
	assert_int_equal(rmdir(dir), 0);
}

/* ---- sites ---------------------------------------------------------------- */

static void test_site_add_remove(void **state)
{
	struct env *e = *state;
	struct provider_site_added added[4];
	size_t n = 0, users = 0, len;
	char err[512], canon[16];
	const char *lab = fixture_bundled_lab(&len);
	uint32_t hr = 0, rv;

	/* The lab again, as T01: NAL paths follow the new code. */
	assert_int_equal(provider_site_add(e->p, "t.xml", lab, len, "T01", added, 4,
					   &n, &users, err, sizeof(err)), 0);
	assert_int_equal(n, 1);
	assert_string_equal(added[0].code, "T01");
	assert_int_equal(added[0].ndps, 6);
	assert_int_equal(users, 4);
	assert_int_equal(provider_site_count(e->p, NULL), 2);
	assert_int_equal(provider_site_lookup(e->p, "t01", canon), 0);
	assert_string_equal(canon, "T01");

	const struct provider_class *t01 = class_of(e->p, "root/sms/site_T01", DPINFO);
	struct provider_arg params[] = {
		{ (char *)"NALPath", (char *)NAL("DP01.contoso.com") },
		{ (char *)"Mode", (char *)"1" },
	};
	/* The old code's NAL path is not T01's. */
	assert_int_equal(provider_invoke(e->p, CALL(&admin), t01, SET_MODE, params, 2,
					 &rv, err, sizeof(err)), WBEM_E_NOT_FOUND);
	params[0].value = (char *)"[\"Display=\\\\DP01.contoso.com\\\"]MSWNET:"
		"[\"SMS_SITE=T01\"]\\\\DP01.contoso.com\\";
	assert_int_equal(provider_invoke(e->p, CALL(&admin), t01, SET_MODE, params, 2,
					 &rv, err, sizeof(err)), 0);
	/* PS1 is untouched. */
	assert_int_equal(mode_of(e->p, DP01_NAL), 0);

	/* Discovery lists both. */
	struct instance_list l;
	enumerate(e->p, class_of(e->p, "root/sms", "SMS_ProviderLocation"), NULL, &l);
	assert_int_equal(l.count, 2);
	assert_non_null(find_by(&l, "SiteCode", "T01"));
	instance_list_free(&l);

	/* A code served already. */
	assert_int_equal(provider_site_add(e->p, "t.xml", lab, len, "t01", added, 4,
					   &n, &users, err, sizeof(err)), -EEXIST);
	assert_contains(err, "site t01 is served already");
	assert_int_equal(provider_site_add(e->p, "t.xml", lab, len, "T-1", added, 4,
					   &n, &users, err, sizeof(err)), -EINVAL);
	assert_int_equal(provider_site_add(e->p, "bad.xml", "<x/>", 4, NULL, added, 4,
					   &n, &users, err, sizeof(err)), -EINVAL);
	assert_contains(err, "bad.xml");

	/* Removed: the class pointer stays valid and says so. */
	assert_int_equal(provider_site_remove(e->p, "T01"), 0);
	assert_int_equal(provider_site_remove(e->p, "T01"), -ENOENT);
	assert_int_equal(provider_invoke(e->p, CALL(&admin), t01, SET_MODE, params, 2,
					 &rv, err, sizeof(err)),
			 WBEM_E_INVALID_NAMESPACE);
	assert_null(provider_class(e->p, "root/sms/site_T01", DPINFO, &hr));
	assert_int_equal(hr, WBEM_E_INVALID_NAMESPACE);

	/* Back again: the same class, a fresh site (mode from the fixture). */
	assert_int_equal(provider_site_add(e->p, "t.xml", lab, len, "T01", added, 4,
					   &n, &users, err, sizeof(err)), 0);
	assert_ptr_equal(class_of(e->p, "root/sms/site_T01", DPINFO), t01);
	struct instance_list all;
	enumerate(e->p, t01, NULL, &all);
	const struct cim_instance *dp = find_by(&all, "Name", "DP01.contoso.com");
	assert_string_equal(cim_instance_text(dp, "MaintenanceMode"), "0");
	instance_list_free(&all);
}

static int site_view_cb(void *ctx, const struct provider_site_view *v)
{
	char *out = ctx;

	snprintf(out + strlen(out), 256 - strlen(out), "%s%s:%zu:%s",
		 *out ? " " : "", v->code, v->ndps, v->startup ? "s" : "r");
	return 0;
}

static void test_reset(void **state)
{
	struct env *e = *state;
	struct provider_site_added added[1];
	size_t n, len;
	char err[256], msg[256], views[256] = "";
	const char *lab = fixture_bundled_lab(&len);
	struct fault_rule r;

	assert_int_equal(set_mode(e, &admin, DPINFO, DP01_NAL, "1", msg,
				  sizeof(msg)), 0);
	assert_int_equal(provider_site_add(e->p, "t.xml", lab, len, "T02", added, 1,
					   &n, NULL, err, sizeof(err)), 0);
	fault_rule_init(&r);
	r.effect = FAULT_DROP;
	r.site = strdup("PS1");
	add_rule(e->p, &r);

	/* One site: its modes, journal and rules. */
	assert_int_equal(provider_reset(e->p, "ps1"), 0);
	assert_int_equal(faults_count(provider_faults(e->p), NULL), 0);
	assert_int_equal(invoke_rows(e->st), 0);
	assert_int_equal(mode_of(e->p, DP01_NAL), 0);
	assert_int_equal(provider_reset(e->p, "PS9"), -ENOENT);

	/* Everything: run-time sites go, a removed start-up site comes back. */
	assert_int_equal(provider_site_remove(e->p, "PS1"), 0);
	assert_int_equal(provider_foreach_site(e->p, NULL, site_view_cb, views), 0);
	assert_string_equal(views, "T02:6:r");
	assert_int_equal(provider_reset(e->p, NULL), 0);
	views[0] = '\0';
	assert_int_equal(provider_foreach_site(e->p, NULL, site_view_cb, views), 0);
	assert_string_equal(views, "PS1:6:s");
	assert_int_equal(store_journal_count(e->st), 0);
	assert_int_equal(mode_of(e->p, DP02_NAL), 1);
	assert_int_equal(provider_foreach_site(e->p, "T02", site_view_cb, views),
			 -ENOENT);
}

static void test_snapshot(void **state)
{
	struct env *e = *state;
	struct provider_site_added added[1];
	size_t n, len;
	char err[256], msg[256], views[256] = "", *text = NULL;
	const char *lab = fixture_bundled_lab(&len);

	assert_int_equal(set_mode(e, &admin, DPINFO, DP01_NAL, "1", msg,
				  sizeof(msg)), 0);
	assert_int_equal(provider_site_add(e->p, "t.xml", lab, len, "T03", added, 1,
					   &n, NULL, err, sizeof(err)), 0);
	struct fault_rule rule;
	fault_rule_init(&rule);
	rule.effect = FAULT_DROP;
	rule.class_glob = strdup("Snap*");
	assert_int_equal(faults_add(provider_faults(e->p), &rule, 1, NULL), 0);
	fault_rule_clear(&rule);
	assert_int_equal(provider_snapshot_save(e->p, "s1"), 0);
	int64_t rows = store_journal_count(e->st);

	/* The rules are kept as the control API writes them. */
	assert_int_equal(store_snapshot_blob(e->st, "s1", "faults", &text), 0);
	assert_contains(text, "\"class\":\"Snap*\"");
	assert_contains(text, "\"seed\":");
	free(text);

	/* Change it all. */
	assert_int_equal(provider_site_remove(e->p, "T03"), 0);
	assert_int_equal(set_mode(e, &admin, DPINFO, DP01_NAL, "0", msg,
				  sizeof(msg)), 0);
	faults_clear(provider_faults(e->p), NULL);
	assert_int_equal(faults_count(provider_faults(e->p), NULL), 0);

	assert_int_equal(provider_snapshot_restore(e->p, "s1", err,
						   sizeof(err)), 0);
	assert_int_equal(faults_count(provider_faults(e->p), NULL), 1);
	assert_int_equal(provider_foreach_site(e->p, NULL, site_view_cb, views), 0);
	/* PS1 is still the start-up fixture's own site. */
	assert_string_equal(views, "PS1:6:s T03:6:r");
	assert_int_equal(mode_of(e->p, DP01_NAL), 1);
	/* The journal as it was (plus the enumerations since). */
	assert_int_equal(store_journal_count(e->st), rows + 1);
	class_of(e->p, "root/sms/site_T03", DPINFO);
	assert_int_equal(provider_snapshot_restore(e->p, "nope", err,
						   sizeof(err)), -ENOENT);
	assert_int_equal(provider_snapshot_save(e->p, "a/b"), -EINVAL);

	/* No site at all is a state too. */
	assert_int_equal(provider_site_remove(e->p, "T03"), 0);
	assert_int_equal(provider_site_remove(e->p, "PS1"), 0);
	assert_int_equal(provider_snapshot_save(e->p, "empty"), 0);
	assert_int_equal(provider_snapshot_restore(e->p, "s1", err,
						   sizeof(err)), 0);
	assert_int_equal(provider_site_count(e->p, NULL), 2);
	assert_int_equal(provider_snapshot_restore(e->p, "empty", err,
						   sizeof(err)), 0);
	assert_int_equal(provider_site_count(e->p, NULL), 0);
}


static char *read_text(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *b;
	long n;

	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc((size_t)n + 1);
	assert_non_null(b);
	assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	b[n] = '\0';
	*len = (size_t)n;
	return b;
}


/* A site's boundary groups and declared classes travel in a snapshot as
 * the document they came from. */
static void test_snapshot_keeps_groups_and_classes(void **state)
{
	struct env *e = *state;
	struct provider_site_added added[1];
	size_t n, len;
	char err[512], *xml = read_text(FIXTURE_DIR "good_classes.xml", &len),
	     *blob = NULL;

	assert_int_equal(provider_site_add(e->p, "good_classes.xml", xml, len, NULL,
					   added, 1, &n, NULL, err, sizeof(err)), 0);
	free(xml);
	assert_int_equal(provider_snapshot_save(e->p, "g"), 0);
	assert_int_equal(store_snapshot_blob(e->st, "g", "sites", &blob), 0);
	assert_contains(blob, "<boundary-group name=\"Branch clients\" "
			"description=\"Branch LAN\">");
	assert_contains(blob, "<member dp=\"BRDP02.contoso.com\"/>");
	assert_contains(blob, "<class name=\"Lab_Disk\" namespace=\"root\\cimv2\">");
	assert_contains(blob, "<property name=\"Labels\" type=\"string\" key=\"false\" "
			"array=\"true\"/>");
	assert_contains(blob, "<value name=\"FreeGB\"> 12.5 </value>");
	free(blob);
	assert_int_equal(provider_site_remove(e->p, "BR2"), 0);
	assert_int_equal(provider_snapshot_restore(e->p, "g", err, sizeof(err)), 0);
	char canon[16];
	assert_int_equal(provider_site_lookup(e->p, "br2", canon), 0);
	/* Saved again from the restored site: the same document. */
	char *again = NULL;
	assert_int_equal(provider_snapshot_save(e->p, "g2"), 0);
	assert_int_equal(store_snapshot_blob(e->st, "g", "sites", &blob), 0);
	assert_int_equal(store_snapshot_blob(e->st, "g2", "sites", &again), 0);
	assert_string_equal(blob, again);
	free(blob);
	free(again);
}

/* Two sites, two threads, each flipping its own DP01: no crosstalk in
 * state or journal, while a third thread adds and removes a site. */
struct flipper {
	struct provider *p;
	const char *code;
	int changes;
};

#define FLIPS 60


/* ---- security scopes and per-site access --------------------------------- */

#define DP03_NAL NAL("DP03.branch.contoso.com")
#define DP03_T01_NAL "[\"Display=\\\\DP03.branch.contoso.com\\\"]MSWNET:" \
		     "[\"SMS_SITE=T01\"]\\\\DP03.branch.contoso.com\\"

/* The lab's branch user: Infrastructure Administrator at PS1 in scope
 * Branch, where only DP03 is; no access at any other site. */
static struct caller branch_caller(const struct env *e)
{
	const struct fixture_user *u = &e->fx->users[3];

	assert_string_equal(u->name, "branch");
	return (struct caller){ u, u->name, u->role, "wsman" };
}

static void test_scopes_filter_reads(void **state)
{
	struct env *e = *state;
	struct caller br = branch_caller(e);
	const struct provider_class *info = class_of(e->p, SITE_NS, DPINFO);
	struct instance_list l;
	struct cim_instance *i = NULL;
	char msg[512] = "";

	/* Enumerate: only DP03. */
	assert_int_equal(provider_enumerate(e->p, CALL(&br), info, NULL, &l, msg,
					    sizeof(msg)), 0);
	assert_int_equal(l.count, 1);
	assert_string_equal(cim_instance_text(l.items[0], "Name"),
			    "DP03.branch.contoso.com");
	instance_list_free(&l);

	/* WQL that would match every DP still finds only DP03. */
	struct wql_query *q = NULL;
	struct wql_error werr = { 0 };
	assert_int_equal(wql_parse("SELECT * FROM SMS_DistributionPointInfo "
				   "WHERE MaintenanceMode = 0", &q, &werr), 0);
	assert_int_equal(wql_query_check(q, provider_class_cim(info), &werr), 0);
	assert_int_equal(provider_enumerate(e->p, CALL(&br), info, q, &l, msg,
					    sizeof(msg)), 0);
	assert_int_equal(l.count, 1);
	assert_string_equal(cim_instance_text(l.items[0], "NALPath"), DP03_NAL);
	instance_list_free(&l);
	/* An admin with scope All sees the five DPs not in maintenance. */
	assert_int_equal(provider_enumerate(e->p, CALL(&infra), info, q, &l, msg,
					    sizeof(msg)), 0);
	assert_int_equal(l.count, 5);
	instance_list_free(&l);
	wql_query_free(q);

	/* Get: DP03 found, DP01 (scope Default) as if it did not exist. */
	struct provider_arg keys[] = {
		{ (char *)"NALPath", (char *)DP03_NAL },
		{ (char *)"ResourceType", (char *)"Windows NT Server" },
		{ (char *)"SiteCode", (char *)"PS1" },
	};
	assert_int_equal(provider_get(e->p, CALL(&br), info, keys, 3, &i, msg,
				      sizeof(msg)), 0);
	assert_string_equal(cim_instance_text(i, "Name"), "DP03.branch.contoso.com");
	cim_instance_free(i);
	keys[0].value = (char *)DP01_NAL;
	assert_int_equal(provider_get(e->p, CALL(&br), info, keys, 3, &i, msg,
				      sizeof(msg)), WBEM_E_NOT_FOUND);
	assert_null(i);
	assert_string_equal(msg, "No SMS_DistributionPointInfo instance has the "
			    "given key values.");
	struct any_row r = any_row(e->st);
	assert_string_equal(r.operation, "get");
	assert_int_equal(r.hresult, WBEM_E_NOT_FOUND);

	/* Fixture-declared classes are not scope-filtered: every row. */
	assert_int_equal(provider_enumerate(e->p, CALL(&br),
		class_of(e->p, SITE_NS, "SMS_SystemResourceList"), NULL, &l,
		msg, sizeof(msg)), 0);
	assert_int_equal(l.count, 10);
	instance_list_free(&l);
	/* Discovery in root/sms is outside any site: the site is listed. */
	assert_int_equal(provider_enumerate(e->p, CALL(&br),
		class_of(e->p, "root/sms", "SMS_ProviderLocation"), NULL, &l,
		msg, sizeof(msg)), 0);
	assert_int_equal(l.count, 1);
	instance_list_free(&l);
}

static void test_scopes_limit_changes(void **state)
{
	struct env *e = *state;
	struct caller br = branch_caller(e);
	char msg[512];
	struct last_row r;

	/* In scope: allowed by the role (Infrastructure Administrator). */
	assert_int_equal(set_mode(e, &br, DPINFO, DP03_NAL, "1", msg, sizeof(msg)), 0);
	assert_int_equal(mode_of(e->p, DP03_NAL), 1);
	r = last_row(e->st);
	assert_string_equal(r.user, "branch");
	assert_int_equal(r.hresult, 0);
	assert_int_equal(r.new_mode, 1);

	/* Out of scope: answered exactly as a DP that does not exist is,
	 * so the caller learns neither the DP's name nor its scopes. */
	char unknown_msg[512];
	assert_int_equal(set_mode(e, &br, DPINFO, UNKNOWN_NAL, "1", unknown_msg,
				  sizeof(unknown_msg)), WBEM_E_NOT_FOUND);
	assert_string_equal(unknown_msg, "No distribution point with NAL path '"
			    UNKNOWN_NAL "' in site PS1.");
	assert_int_equal(set_mode(e, &br, DPINFO, DP01_NAL, "1", msg, sizeof(msg)),
			 WBEM_E_NOT_FOUND);
	assert_string_equal(msg, "No distribution point with NAL path '"
			    DP01_NAL "' in site PS1.");
	assert_null(strstr(msg, "DP01.contoso.com:"));
	assert_null(strstr(msg, "Default"));
	assert_int_equal(mode_of(e->p, DP01_NAL), 0);
	r = last_row(e->st);
	assert_int_equal(r.count, 3);
	assert_string_equal(r.user, "branch");
	assert_string_equal(r.method, SET_MODE);
	assert_string_equal(r.nalpath, DP01_NAL);
	assert_int_equal(r.hresult, WBEM_E_NOT_FOUND);
	assert_int_equal(r.new_mode, -1);
	/* Through SMS_DistributionPoint too. */
	assert_int_equal(set_mode(e, &br, "SMS_DistributionPoint", DP02_NAL, "0",
				  msg, sizeof(msg)), WBEM_E_NOT_FOUND);
	assert_null(strstr(msg, "DP02.contoso.com:"));
	assert_null(strstr(msg, "Default"));
	assert_int_equal(mode_of(e->p, DP02_NAL), 1);

	/* A scoped Read-only Analyst lacks Modify even in scope. */
	struct fixture_access ro = { .site = (char *)"PS1",
				     .role = (char *)"Read-only Analyst",
				     .scopes = e->fx->users[3].access[0].scopes,
				     .nscopes = 1 };
	struct fixture_user reader = { .name = (char *)"reader", .access = &ro,
				       .naccess = 1 };
	struct caller rd = { &reader, "reader", NULL, "wsman" };
	assert_int_equal(set_mode(e, &rd, DPINFO, DP03_NAL, "0", msg, sizeof(msg)),
			 WBEM_E_ACCESS_DENIED);
	assert_string_equal(msg, "User 'reader' (Read-only Analyst) lacks Modify "
			    "permission on the Site class needed to change "
			    "maintenance mode.");
	assert_int_equal(mode_of(e->p, DP03_NAL), 1);
}

static void test_no_access_at_other_site(void **state)
{
	struct env *e = *state;
	struct caller br = branch_caller(e);
	struct provider_site_added added[1];
	size_t n = 0, len;
	char err[512], msg[512];
	const char *lab = fixture_bundled_lab(&len);
	struct instance_list l;
	struct cim_instance *i = (struct cim_instance *)1;
	uint32_t rv = 0;

	/* The lab again as T01: branch has no <access> there. */
	assert_int_equal(provider_site_add(e->p, "t.xml", lab, len, "T01", added, 1,
					   &n, NULL, err, sizeof(err)), 0);
	const struct provider_class *t01 = class_of(e->p, "root/sms/site_T01", DPINFO);
	const char *want = "User 'branch' has no security role at site T01, so "
			   "it may not use namespace root\\sms\\site_T01.";

	assert_int_equal(provider_enumerate(e->p, CALL(&br), t01, NULL, &l, msg,
					    sizeof(msg)), WBEM_E_ACCESS_DENIED);
	assert_string_equal(msg, want);
	assert_int_equal(l.count, 0);
	struct any_row r = any_row(e->st);
	assert_string_equal(r.operation, "enumerate");
	assert_int_equal(r.hresult, WBEM_E_ACCESS_DENIED);

	struct provider_arg keys[] = {
		{ (char *)"NALPath", (char *)DP03_T01_NAL },
		{ (char *)"ResourceType", (char *)"Windows NT Server" },
		{ (char *)"SiteCode", (char *)"T01" },
	};
	assert_int_equal(provider_get(e->p, CALL(&br), t01, keys, 3, &i, msg,
				      sizeof(msg)), WBEM_E_ACCESS_DENIED);
	assert_null(i);
	assert_string_equal(msg, want);

	struct provider_arg params[] = {
		{ (char *)"NALPath", (char *)DP03_T01_NAL },
		{ (char *)"Mode", (char *)"1" },
	};
	assert_int_equal(provider_invoke(e->p, CALL(&br), t01, SET_MODE, params, 2,
					 &rv, msg, sizeof(msg)), WBEM_E_ACCESS_DENIED);
	assert_string_equal(msg, want);
	struct last_row lr = last_row(e->st);
	assert_string_equal(lr.user, "branch");
	assert_string_equal(lr.site, "T01");
	assert_int_equal(lr.hresult, WBEM_E_ACCESS_DENIED);
	/* Fixture classes of the site are refused too; any method. */
	assert_int_equal(provider_enumerate(e->p, CALL(&br),
		class_of(e->p, "root/sms/site_T01", "SMS_DPGroupMembers"), NULL,
		&l, msg, sizeof(msg)), WBEM_E_ACCESS_DENIED);
	assert_int_equal(provider_invoke(e->p, CALL(&br), t01, "Nope", NULL, 0,
					 &rv, msg, sizeof(msg)), WBEM_E_ACCESS_DENIED);

	/* Internal callers (no account) and role-attribute users read it. */
	assert_int_equal(provider_enumerate(e->p, CALL(&analyst), t01, NULL, &l,
					    msg, sizeof(msg)), 0);
	assert_int_equal(l.count, 6);
	instance_list_free(&l);
	const struct fixture_user *a = &e->fx->users[1];
	struct caller an = { a, a->name, a->role, "wsman" };
	assert_int_equal(provider_enumerate(e->p, CALL(&an), t01, NULL, &l,
					    msg, sizeof(msg)), 0);
	assert_int_equal(l.count, 6);
	instance_list_free(&l);
}

/* A snapshot keeps each DP's scopes (they are part of the site). */
static void test_snapshot_keeps_scopes(void **state)
{
	struct env *e = *state;
	struct provider_site_added added[1];
	size_t n, len;
	char err[256], msg[256];
	const char *lab = fixture_bundled_lab(&len);
	struct instance_list l;

	assert_int_equal(provider_site_add(e->p, "t.xml", lab, len, "T02", added, 1,
					   &n, NULL, err, sizeof(err)), 0);
	assert_int_equal(provider_snapshot_save(e->p, "sc"), 0);
	assert_int_equal(provider_snapshot_restore(e->p, "sc", err,
						   sizeof(err)), 0);
	/* T02 came back from the snapshot's XML: its DP03 is in Branch. A
	 * caller with Branch at T02 sees only DP03 there. */
	struct fixture_access at = { .site = (char *)"T02",
				     .role = (char *)"Read-only Analyst",
				     .scopes = e->fx->users[3].access[0].scopes,
				     .nscopes = 1 };
	struct fixture_user u = { .name = (char *)"t2", .access = &at, .naccess = 1 };
	struct caller c = { &u, "t2", NULL, "wsman" };
	assert_int_equal(provider_enumerate(e->p, CALL(&c),
		class_of(e->p, "root/sms/site_T02", DPINFO), NULL, &l, msg,
		sizeof(msg)), 0);
	assert_int_equal(l.count, 1);
	assert_string_equal(cim_instance_text(l.items[0], "Name"),
			    "DP03.branch.contoso.com");
	instance_list_free(&l);
}

static void *flip(void *arg)
{
	struct flipper *f = arg;
	char ns[64], nal[256], msg[256];
	uint32_t hr = 0, rv;

	snprintf(ns, sizeof(ns), "root/sms/site_%s", f->code);
	snprintf(nal, sizeof(nal), "[\"Display=\\\\DP01.contoso.com\\\"]MSWNET:"
		 "[\"SMS_SITE=%s\"]\\\\DP01.contoso.com\\", f->code);
	const struct provider_class *c = provider_class(f->p, ns, DPINFO, &hr);
	for (int i = 0; c && i < FLIPS; i++) {
		struct provider_arg params[] = {
			{ (char *)"NALPath", nal },
			{ (char *)"Mode", (char *)(i % 2 ? "0" : "1") },
		};
		if (provider_invoke(f->p, CALL(&admin), c, SET_MODE, params, 2, &rv,
				    msg, sizeof(msg)) == 0)
			f->changes++;
	}
	return NULL;
}

static void *churn(void *arg)
{
	struct flipper *f = arg;
	size_t len, n;
	const char *lab = fixture_bundled_lab(&len);
	char err[256];
	struct provider_site_added added[1];

	for (int i = 0; i < 20; i++) {
		if (provider_site_add(f->p, "c.xml", lab, len, "ZZZ", added, 1, &n,
				      NULL, err, sizeof(err)) == 0)
			f->changes++;
		provider_site_remove(f->p, "ZZZ");
	}
	return NULL;
}

static void test_parallel_sites(void **state)
{
	struct env *e = *state;
	struct provider_site_added added[1];
	size_t n, len;
	char err[256];
	const char *lab = fixture_bundled_lab(&len);
	struct flipper f[3] = {
		{ e->p, "AAA", 0 }, { e->p, "BBB", 0 }, { e->p, "ZZZ", 0 },
	};
	pthread_t t[3];

	for (int i = 0; i < 2; i++)
		assert_int_equal(provider_site_add(e->p, "t.xml", lab, len, f[i].code,
						   added, 1, &n, NULL, err,
						   sizeof(err)), 0);
	assert_int_equal(pthread_create(&t[0], NULL, flip, &f[0]), 0);
	assert_int_equal(pthread_create(&t[1], NULL, flip, &f[1]), 0);
	assert_int_equal(pthread_create(&t[2], NULL, churn, &f[2]), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(f[0].changes, FLIPS);
	assert_int_equal(f[1].changes, FLIPS);
	assert_int_equal(f[2].changes, 20);
	for (int i = 0; i < 2; i++) {
		int64_t rows, dropped;

		journal_stats(provider_journal(e->p), f[i].code, &rows, &dropped);
		assert_int_equal(rows, FLIPS);
	}
	/* PS1 saw none of it. */
	assert_int_equal(invoke_rows(e->st), 2 * FLIPS);
	assert_int_equal(mode_of(e->p, DP01_NAL), 0);
}

/* Resets (of the site and of everything) while calls run: every call
 * still gets an answer, and afterwards memory and the store agree on
 * every DP's mode. */
struct resetter {
	struct provider *p;
	int resets;
};

static void *reset_loop(void *arg)
{
	struct resetter *r = arg;

	for (int i = 0; i < 30; i++)
		if (provider_reset(r->p, i % 2 ? "PS1" : NULL) == 0)
			r->resets++;
	return NULL;
}

static int mode_cb(void *ctx, const struct provider_site_view *v)
{
	struct env *e = ctx;

	for (size_t i = 0; i < v->ndps; i++) {
		uint32_t stored = 9;

		assert_int_equal(store_get_mode(e->st, v->code, v->dps[i].nalpath,
						&stored), 0);
		assert_int_equal(stored, v->dps[i].mode);
	}
	return 0;
}

static void test_reset_mid_run(void **state)
{
	struct env *e = *state;
	struct flipper f[2] = { { e->p, "PS1", 0 }, { e->p, "PS1", 0 } };
	struct resetter r = { e->p, 0 };
	pthread_t t[3];

	assert_int_equal(pthread_create(&t[0], NULL, flip, &f[0]), 0);
	assert_int_equal(pthread_create(&t[1], NULL, flip, &f[1]), 0);
	assert_int_equal(pthread_create(&t[2], NULL, reset_loop, &r), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(r.resets, 30);
	/* The site never went away for long enough to fail a call: a reset
	 * of everything keeps a start-up site that is served. */
	assert_int_equal(f[0].changes + f[1].changes, 2 * FLIPS);
	assert_int_equal(provider_foreach_site(e->p, NULL, mode_cb, e), 0);
}

/* ---- GetChainedPullDPs --------------------------------------------------- */

#define CHAIN "GetChainedPullDPs"
#define CNAL(fqdn) NAL(fqdn ".contoso.com")

/* tests/unit/fixtures/good_chain.xml, in a provider of its own. */
static int setup_chain(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	char err[512];

	assert_non_null(e);
	if (fixture_load_file(FIXTURE_DIR "good_chain.xml", &e->fx, err,
			      sizeof(err)))
		fail_msg("%s", err);
	e->st = open_store();
	e->p = new_provider(e->fx, e->st);
	*state = e;
	return 0;
}

static struct caller chain_user(const struct env *e, size_t i,
				const char *name)
{
	const struct fixture_user *u = &e->fx->users[i];

	assert_string_equal(u->name, name);
	return (struct caller){ u, u->name, u->role, "wsman" };
}

/* GetChainedPullDPs(source) as w, on class cls. */
static uint32_t chain_call(struct env *e, const struct caller *w,
			   const char *cls, const struct provider_arg *params,
			   size_t n, struct provider_result *res, char *msg,
			   size_t msgsize)
{
	return provider_invoke_result(e->p, CALL(w), class_of(e->p, SITE_NS, cls),
				      CHAIN, params, n, res, msg, msgsize);
}

/* Asserts that source's chain, asked by w, is want[0..n) in that order,
 * answered with ReturnValue 0. */
static void expect_chain(struct env *e, const struct caller *w,
			 const char *source, const char *const *want, size_t n)
{
	struct provider_arg arg = { "SourceDPNALPath", source };
	struct provider_result res;
	const struct cim_value *v;
	char msg[512] = "";
	uint32_t hr = chain_call(e, w, DPINFO, &arg, 1, &res, msg, sizeof(msg));

	if (hr)
		fail_msg("%s: 0x%08X %s", source, hr, msg);
	assert_int_equal(res.return_value, 0);
	assert_non_null(res.output);
	const struct cim_class *oc = cim_instance_class(res.output);
	assert_int_equal(cim_class_property_count(oc), 2);
	assert_string_equal(cim_instance_text(res.output, "ReturnValue"), "0");
	v = cim_instance_get(res.output, 0);
	assert_string_equal(cim_class_property(oc, 0)->name, "ChainedDPs");
	/* An empty chain is an empty array, not null. */
	assert_false(v->null);
	if (v->count != n) {
		for (size_t i = 0; i < v->count; i++)
			print_message("  got %s\n", v->items[i]);
		fail_msg("%s: %zu chained DPs, want %zu", source, v->count, n);
	}
	for (size_t i = 0; i < n; i++)
		assert_string_equal(v->items[i], want[i]);
	provider_result_clear(&res);
	assert_null(res.output);
}

/* Transitive, breadth first, each level in fixture order, no DP twice
 * (PULL03 copies from both PULL01 and PULL02). */
static void test_chain_order(void **state)
{
	/* Level 2 is PULL03, PULL07, PULL08 in fixture order, though
	 * PULL08's source (PULL02) comes before PULL07's (PULL01) in
	 * level 1. */
	static const char *const from_dp01[] = {
		CNAL("PULL02"), CNAL("PULL01"), CNAL("PULL03"), CNAL("PULL07"),
		CNAL("PULL08"), CNAL("PULL04"), CNAL("PULL06"),
	};
	static const char *const from_pull01[] = {
		CNAL("PULL03"), CNAL("PULL07"), CNAL("PULL04"), CNAL("PULL06"),
	};
	static const char *const from_dp02[] = { CNAL("PULL05") };
	struct env *e = *state;
	struct caller lab = chain_user(e, 0, "lab");

	expect_chain(e, &lab, CNAL("DP01"), from_dp01, 7);
	expect_chain(e, &lab, CNAL("PULL01"), from_pull01, 4);
	/* A cloud DP as the source. */
	expect_chain(e, &lab, CNAL("DP02"), from_dp02, 1);
	/* The end of a chain, and a pull DP nobody copies from. */
	expect_chain(e, &lab, CNAL("PULL06"), NULL, 0);
	expect_chain(e, &lab, CNAL("PULL05"), NULL, 0);

	/* NAL paths match without case; the journal has the DP's own. */
	expect_chain(e, &lab, NAL("pull01.CONTOSO.com"), from_pull01, 4);
	struct last_row r = last_row(e->st);
	assert_string_equal(r.method, CHAIN);
	assert_string_equal(r.cls, DPINFO);
	assert_string_equal(r.nalpath, CNAL("PULL01"));
	assert_string_equal(r.params, "SourceDPNALPath=" NAL("pull01.CONTOSO.com"));
	assert_int_equal(r.hresult, 0);
	assert_int_equal(r.old_mode, -1);
	assert_int_equal(r.new_mode, -1);
	assert_int_equal(r.count, 6);
	struct any_row a = any_row(e->st);
	assert_true(a.has_rv);
	assert_int_equal(a.rv, 0);
	assert_string_equal(a.result, "ok");
}

/* The bundled lab: PULLDP01 copies from DP01; provider_invoke (the
 * wrapper) gives the ReturnValue alone. */
static void test_chain_lab(void **state)
{
	static const char *const want[] = { PULL_NAL };
	struct env *e = *state;
	struct provider_arg arg = { "SourceDPNALPath", DP01_NAL };
	uint32_t rv = 99;
	char msg[256];

	expect_chain(e, &admin, DP01_NAL, want, 1);
	expect_chain(e, &admin, PULL_NAL, NULL, 0);
	expect_chain(e, &admin, DP02_NAL, NULL, 0);
	assert_int_equal(provider_invoke(e->p, CALL(&admin),
					 class_of(e->p, SITE_NS, DPINFO), "getchainedpulldps",
					 &arg, 1, &rv, msg, sizeof(msg)), 0);
	assert_int_equal(rv, 0);
	assert_string_equal(last_row(e->st).method, CHAIN);
}

/* GetChainedPullDPs is a read: queued behind a commit under way, its
 * output is kept and answered once its row is committed. */
static void test_chain_kept_across_wait(void **state)
{
	struct env *e = *state;
	struct provider_call call = { .who = &admin, .can_defer = true };
	struct provider_arg arg = { "SourceDPNALPath", DP01_NAL };
	const struct provider_class *c = class_of(e->p, SITE_NS, DPINFO);
	struct provider_result res;
	struct held_write h;
	pthread_t t;
	char msg[256];

	hold_commits(e, &t, &h);
	provider_invoke_result(e->p, &call, c, CHAIN, &arg, 1, &res, msg,
			       sizeof(msg));
	assert_true(call.deferred);
	assert_null(res.output);
	release_commits(e, t, &h);
	assert_int_equal(provider_invoke_result(e->p, &call, c, CHAIN, &arg, 1,
						&res, msg, sizeof(msg)), 0);
	assert_false(call.deferred);
	assert_int_equal(res.return_value, 0);
	assert_non_null(res.output);
	const struct cim_value *v = cim_instance_get(res.output, 0);
	assert_int_equal(v->count, 1);
	assert_string_equal(v->items[0], PULL_NAL);
	provider_result_clear(&res);
	assert_string_equal(last_row(e->st).method, CHAIN);
}

/* A read: any role at the site. Scopes hide the source (not found, the
 * message an unknown DP gets) and chained DPs (left out, but followed:
 * PULL06 is reached through PULL04, which br cannot see). */
static void test_chain_access(void **state)
{
	static const char *const all_of_pull03[] = {
		CNAL("PULL04"), CNAL("PULL06"),
	};
	static const char *const br_of_pull03[] = { CNAL("PULL06") };
	struct env *e = *state;
	struct caller ro = chain_user(e, 1, "ro");
	struct caller br = chain_user(e, 2, "br");
	struct caller away = chain_user(e, 3, "away");
	struct provider_arg arg = { "SourceDPNALPath", CNAL("DP01") };
	struct provider_result res;
	char msg[512];

	expect_chain(e, &ro, CNAL("PULL03"), all_of_pull03, 2);
	expect_chain(e, &br, CNAL("PULL03"), br_of_pull03, 1);
	assert_int_equal(chain_call(e, &br, DPINFO, &arg, 1, &res, msg,
				    sizeof(msg)), WBEM_E_NOT_FOUND);
	assert_string_equal(msg, "No distribution point with NAL path '"
			    CNAL("DP01") "' in site PS1.");
	assert_null(res.output);
	assert_int_equal(res.return_value, 0);
	struct last_row r = last_row(e->st);
	assert_string_equal(r.user, "br");
	assert_int_equal(r.hresult, WBEM_E_NOT_FOUND);

	assert_int_equal(chain_call(e, &away, DPINFO, &arg, 1, &res, msg,
				    sizeof(msg)), WBEM_E_ACCESS_DENIED);
	assert_contains(msg, "has no security role at site PS1");
	assert_null(res.output);
}

struct chain_error {
	const char *what;
	const char *cls;
	struct provider_arg params[3];
	size_t n;
	uint32_t hresult;
	const char *msg;
};

static const struct chain_error chain_errors[] = {
	{ "not a DP", DPINFO, { P("SourceDPNALPath", UNKNOWN_NAL) }, 1,
	  WBEM_E_NOT_FOUND,
	  "No distribution point with NAL path '" UNKNOWN_NAL "' in site PS1." },
	{ "empty", DPINFO, { P("SourceDPNALPath", "") }, 1, WBEM_E_NOT_FOUND,
	  "No distribution point with NAL path '' in site PS1." },
	{ "missing", DPINFO, { { 0 } }, 0, WBEM_E_INVALID_METHOD_PARAMETERS,
	  "Parameter 'SourceDPNALPath' is missing; GetChainedPullDPs takes "
	  "SourceDPNALPath." },
	{ "null", DPINFO, { P("SourceDPNALPath", NULL) }, 1,
	  WBEM_E_INVALID_METHOD_PARAMETERS,
	  "Parameter 'SourceDPNALPath' is null; GetChainedPullDPs needs the NAL "
	  "path of a DP." },
	{ "twice", DPINFO, { P("SourceDPNALPath", DP01_NAL),
			     P("sourcedpnalpath", DP01_NAL) }, 2,
	  WBEM_E_INVALID_METHOD_PARAMETERS,
	  "Parameter 'sourcedpnalpath' is given twice." },
	{ "unknown", DPINFO, { P("NALPath", DP01_NAL) }, 1,
	  WBEM_E_INVALID_METHOD_PARAMETERS,
	  "GetChainedPullDPs has no parameter 'NALPath'; it takes "
	  "SourceDPNALPath." },
	{ "out parameter", DPINFO, { P("SourceDPNALPath", DP01_NAL),
				     P("ChainedDPs", PULL_NAL) }, 2,
	  WBEM_E_INVALID_METHOD_PARAMETERS,
	  "Parameter 'ChainedDPs' of GetChainedPullDPs is an [out] parameter; "
	  "the call takes SourceDPNALPath only." },
	/* The SDK puts it on SMS_DistributionPointInfo alone. */
	{ "on SMS_DistributionPoint", "SMS_DistributionPoint",
	  { P("SourceDPNALPath", DP01_NAL) }, 1, WBEM_E_INVALID_METHOD,
	  "Class SMS_DistributionPoint has no method 'GetChainedPullDPs'." },
};

static void test_chain_errors(void **state)
{
	struct env *e = *state;

	for (size_t i = 0; i < sizeof(chain_errors) / sizeof(chain_errors[0]); i++) {
		const struct chain_error *t = &chain_errors[i];
		struct provider_result res;
		int64_t before = invoke_rows(e->st);
		char msg[512] = "";
		uint32_t hr = chain_call(e, &admin, t->cls, t->params, t->n, &res,
					 msg, sizeof(msg));

		if (hr != t->hresult)
			fail_msg("%s: 0x%08X, want 0x%08X (%s)", t->what, hr,
				 t->hresult, msg);
		assert_string_equal(msg, t->msg);
		assert_null(res.output);
		assert_int_equal(res.return_value, 0);
		/* journaled, with its HRESULT */
		assert_int_equal(invoke_rows(e->st), before + 1);
		assert_int_equal(last_row(e->st).hresult, t->hresult);
	}
}

/* Rules see the source as the call's NAL path; a ReturnValue from a rule
 * is the method's sint32 (negative) with ChainedDPs null. */
static void test_chain_rules(void **state)
{
	struct env *e = *state;
	struct provider_arg arg = { "SourceDPNALPath", DP01_NAL };
	struct provider_result res;
	struct fault_rule r;
	char msg[256];

	fault_rule_init(&r);
	r.effect = FAULT_RETURN;
	r.hresult = WBEM_E_FAILED;
	r.method_glob = strdup(CHAIN);
	r.nalpath_glob = strdup("*\\DP01.contoso.com\\");
	int64_t id = add_rule(e->p, &r);

	assert_int_equal(chain_call(e, &admin, DPINFO, &arg, 1, &res, msg,
				    sizeof(msg)), 0);
	assert_int_equal(res.return_value, WBEM_E_FAILED);
	assert_non_null(res.output);
	assert_string_equal(cim_instance_text(res.output, "ReturnValue"),
			    "-2147217407");
	assert_true(cim_instance_get(res.output, 0)->null);
	provider_result_clear(&res);
	struct any_row a = any_row(e->st);
	assert_int_equal(a.rule_id, id);
	assert_string_equal(a.result, "return");

	/* another source: not matched */
	arg.value = DP02_NAL;
	expect_chain(e, &admin, DP02_NAL, NULL, 0);

	/* a fault: the call fails with the rule's HRESULT */
	fault_rule_init(&r);
	r.effect = FAULT_FAULT;
	r.hresult = WBEM_E_ACCESS_DENIED;
	r.method_glob = strdup("getchained*");
	add_rule(e->p, &r);
	assert_int_equal(chain_call(e, &admin, DPINFO, &arg, 1, &res, msg,
				    sizeof(msg)), WBEM_E_ACCESS_DENIED);
	assert_contains(msg, "(dpsim fault rule");
	assert_null(res.output);
}

/* SetDPMaintenanceMode through provider_invoke_result: the output is
 * ReturnValue alone. */
static void test_set_mode_result(void **state)
{
	struct env *e = *state;
	struct provider_arg params[] = { P("NALPath", DP01_NAL), P("Mode", "1") };
	struct provider_result res;
	char msg[256];

	assert_int_equal(provider_invoke_result(e->p, CALL(&admin),
						class_of(e->p, SITE_NS, DPINFO),
						SET_MODE, params, 2, &res, msg,
						sizeof(msg)), 0);
	assert_non_null(res.output);
	assert_int_equal(cim_class_property_count(cim_instance_class(res.output)),
			 1);
	assert_string_equal(cim_instance_text(res.output, "ReturnValue"), "0");
	provider_result_clear(&res);
	assert_int_equal(mode_of(e->p, DP01_NAL), 1);
	provider_result_clear(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		ENV_TEST(test_class_lookup),
		ENV_TEST(test_enumerate_dpinfo),
		ENV_TEST(test_index_agrees_with_scan),
		ENV_TEST(test_enumerate_query),
		ENV_TEST(test_discovery_classes),
		ENV_TEST(test_get),
		ENV_TEST(test_set_mode),
		ENV_TEST(test_set_mode_errors),
		ENV_TEST(test_unknown_method),
		ENV_TEST(test_chain_lab),
		ENV_TEST(test_chain_kept_across_wait),
		ENV_TEST(test_set_mode_result),
		cmocka_unit_test_setup_teardown(test_chain_order, setup_chain,
						teardown),
		cmocka_unit_test_setup_teardown(test_chain_access, setup_chain,
						teardown),
		cmocka_unit_test_setup_teardown(test_chain_errors, setup_chain,
						teardown),
		ENV_TEST(test_chain_rules),
		ENV_TEST(test_restart_keeps_state),
		cmocka_unit_test(test_fixture_property_values),
		cmocka_unit_test(test_bad_property_files),
		cmocka_unit_test(test_bad_property_values),
		cmocka_unit_test(test_bad_property_in_later_site),
		ENV_TEST(test_rule_fault_then_succeed),
		ENV_TEST(test_rule_return_does_not_apply),
		ENV_TEST(test_rule_front_end_effects),
		ENV_TEST(test_rule_delay_deferred),
		ENV_TEST(test_reads_are_journaled),
		ENV_TEST(test_read_waits_for_its_row),
		ENV_TEST(test_read_kept_cursor_and_end),
		cmocka_unit_test(test_read_unjournaled_after_wait),
		ENV_TEST(test_site_add_remove),
		ENV_TEST(test_reset),
		ENV_TEST(test_snapshot),
		ENV_TEST(test_parallel_sites),
		ENV_TEST(test_snapshot_keeps_groups_and_classes),
		ENV_TEST(test_reset_mid_run),
		ENV_TEST(test_scopes_filter_reads),
		ENV_TEST(test_scopes_limit_changes),
		ENV_TEST(test_no_access_at_other_site),
		ENV_TEST(test_snapshot_keeps_scopes),
	};
	int rc;

	/* Successful changes log at info; keep the test output readable. */
	log_threshold = LOG_WARN;
	xmlInitParser();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
