/* dpctl capture: reads a site through libdpclient (WS-Man or the
 * AdminService, dpsim or a real SMS Provider) and writes a dpsim fixture
 * of it (fixtures/fixture.xsd) with libxml2's xmlTextWriter.
 *
 * What is read, in this order (docs/configmgr-domain.md names the
 * classes; the README's "Making the lab look like your site" says what a
 * capture keeps and what it cannot):
 *   1. the site code (dpc_discover_site) and its SMS Provider machine
 *      (SMS_ProviderLocation.Machine);
 *   2. every SMS_DistributionPointInfo, ordered by ID: name, NAL path,
 *      kind (from IsPullDP, IsPXE, InternetFacing), maintenance mode,
 *      description and every other documented property that has a value;
 *   3. with pull DPs, GetChainedPullDPs of each DP, from which the pull
 *      DPs' direct sources are rebuilt (the transitive reduction of the
 *      chains);
 *   4. SMS_BoundaryGroup and SMS_BoundaryGroupSiteSystems, the boundary
 *      groups and the DPs in each;
 *   5. the classes the bundled lab declares (SMS_SystemResourceList,
 *      SMS_SCI_SysResUse, SMS_DistributionPointGroup, SMS_DPGroupMembers),
 *      with the properties and types the lab declares them with.
 * SMS_DistributionPointInfo and SMS_ProviderLocation must be there; a
 * site without one of the classes of 4 and 5 (dpsim serves no boundary
 * group class, a generated lab declares no class) is captured without
 * it, with a line on stderr saying so.
 *
 * Nothing is written until everything has been read and checked: the
 * document is built in memory, then written to standard output, or to a
 * temporary file next to -o FILE that is renamed over it, so a failed
 * capture never leaves a finished-looking file.
 */
#include "dpctl.h"

#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/xmlwriter.h>

#define FIXTURE_NS "urn:dpsim:fixture:1"
#define HR_INVALID_CLASS 0x80041010u
#define MSG_SIZE 512

const struct dpctl_opt dpctl_capture_opts[] = {
	{ "output", 'o', "FILE",
	  "write the fixture to FILE (default: standard output)", OPT_OUTPUT },
	{ "anonymise", 0, NULL,
	  "replace server and domain names (dp0001.example.test ...)",
	  OPT_ANONYMISE },
	{ "dp", 0, "PATTERN",
	  "only DPs whose name matches the glob (repeatable)", OPT_DP },
	{ "lab-password", 0, "PW",
	  "add user lab (Full Administrator) with this password, hashed",
	  OPT_LAB_PASSWORD },
	{ NULL, 0, NULL, NULL, 0 },
};

const char dpctl_capture_help[] =
	"Reads the site's distribution points (every documented\n"
	"SMS_DistributionPointInfo property, kind, maintenance mode), pull-DP\n"
	"sources (GetChainedPullDPs), boundary groups and the classes the\n"
	"bundled lab declares, and writes a dpsim fixture that dpsim serves\n"
	"the same way (fixtures/fixture.xsd). --anonymise replaces server and\n"
	"domain names everywhere by a fixed mapping (DPs dp0001.example.test\n"
	"in ID order, other servers srv0001.example.test); --dp keeps only the\n"
	"matching DPs (glob on the name or the short name, any case) and the\n"
	"rows about them. No user is written unless --lab-password gives one;\n"
	"its password is stored as a yescrypt hash. Nothing is written when the\n"
	"capture fails; -o FILE is replaced only once the whole fixture is\n"
	"ready. See dpctl(1).\n";

/* ---- what the fixture can say --------------------------------------- */

/* The documented SMS_DistributionPointInfo properties dpsim serves, and
 * whether a fixture <property> may set one: the others are the <dp>'s
 * attributes or the site's (simulator/catalog.c, dpinfo_fixed). */
enum dp_prop_use { DPP_PROPERTY, DPP_OWN };
static const struct {
	const char *name;
	enum dp_prop_use use;
} dpinfo_props[] = {
	{ "AddressScheduleEnabled", DPP_PROPERTY }, { "BindExcept", DPP_PROPERTY },
	{ "BindPolicy", DPP_PROPERTY }, { "BitsEnabled", DPP_PROPERTY },
	{ "CertificateType", DPP_PROPERTY }, { "Communication", DPP_PROPERTY },
	{ "Description", DPP_OWN }, { "DPFlags", DPP_PROPERTY },
	{ "Drive", DPP_PROPERTY }, { "GroupCount", DPP_PROPERTY },
	{ "HasRelationship", DPP_PROPERTY }, { "HealthCheckEnabled", DPP_PROPERTY },
	{ "HealthCheckPriority", DPP_PROPERTY },
	{ "HealthCheckSchedule", DPP_PROPERTY }, { "ID", DPP_OWN },
	{ "IdentityGUID", DPP_PROPERTY }, { "InternetFacing", DPP_PROPERTY },
	{ "IsActive", DPP_PROPERTY }, { "IsMulticast", DPP_PROPERTY },
	{ "IsPeerDP", DPP_PROPERTY }, { "IsProtected", DPP_PROPERTY },
	{ "IsPullDP", DPP_PROPERTY }, { "IsPXE", DPP_PROPERTY },
	{ "MaintenanceMode", DPP_OWN }, { "NALPath", DPP_OWN },
	{ "Name", DPP_OWN }, { "OperatingSystem", DPP_PROPERTY },
	{ "PreStagingAllowed", DPP_PROPERTY }, { "Priority", DPP_PROPERTY },
	{ "PXEPassword", DPP_PROPERTY }, { "RateLimitsEnabled", DPP_PROPERTY },
	{ "Region", DPP_PROPERTY }, { "ResourceType", DPP_OWN },
	{ "ResponseDelay", DPP_PROPERTY }, { "ServerName", DPP_OWN },
	{ "ServiceType", DPP_PROPERTY }, { "ShareName", DPP_PROPERTY },
	{ "SiteCode", DPP_OWN }, { "SiteName", DPP_OWN },
	{ "SupportUnknownMachines", DPP_PROPERTY },
	{ "TransferRate", DPP_PROPERTY }, { "UdaSetting", DPP_PROPERTY },
};
#define N_DPINFO (sizeof(dpinfo_props) / sizeof(dpinfo_props[0]))

/* Whether dpsim gives a DP of this kind a value for property name when
 * the fixture says nothing (simulator/catalog.c, kind_template): a
 * captured null there is a value a fixture cannot express, since a
 * <property> always holds a value. */
static bool dpsim_fills(const char *name, const char *kind)
{
	static const char *const always[] = {
		"AddressScheduleEnabled", "BindPolicy", "BitsEnabled",
		"CertificateType", "Communication", "DPFlags", "Drive",
		"GroupCount", "HasRelationship", "HealthCheckEnabled",
		"HealthCheckPriority", "InternetFacing", "IsActive",
		"IsMulticast", "IsPeerDP", "IsProtected", "IsPullDP", "IsPXE",
		"PreStagingAllowed", "Priority", "PXEPassword",
		"RateLimitsEnabled", "TransferRate",
	};
	bool pxe = strcmp(kind, "pxe") == 0;

	for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
		if (strcasecmp(name, always[i]) == 0)
			return true;
	if (strcasecmp(name, "OperatingSystem") == 0)
		return strcmp(kind, "cloud") != 0;
	if (strcasecmp(name, "ResponseDelay") == 0 ||
	    strcasecmp(name, "SupportUnknownMachines") == 0 ||
	    strcasecmp(name, "UdaSetting") == 0)
		return pxe;
	return false;
}

/* The classes the bundled lab declares, with its declarations
 * (fixtures/lab.xml). A real site's classes have more properties
 * (SMS_SCI_SysResUse's Props are embedded objects a fixture cannot
 * declare); those are left out, and said so. */
struct cap_prop_def {
	const char *name, *type;
	bool key;
};
#define END_PROPS { NULL, NULL, false }
static const struct cap_prop_def sysreslist_props[] = {
	{ "NALPath", "string", true }, { "ResourceType", "string", true },
	{ "RoleName", "string", true }, { "SiteCode", "string", true },
	{ "InternetEnabled", "boolean", false },
	{ "InternetShared", "boolean", false },
	{ "ServerName", "string", false },
	{ "ServerRemoteName", "string", false },
	{ "SslState", "uint32", false }, END_PROPS,
};
static const struct cap_prop_def sysresuse_props[] = {
	{ "FileType", "uint32", true }, { "ItemName", "string", true },
	{ "ItemType", "string", true }, { "SiteCode", "string", true },
	{ "NALPath", "string", false }, { "NALType", "string", false },
	{ "NetworkOSPath", "string", false }, { "RoleCount", "uint32", false },
	{ "RoleName", "string", false }, { "SslState", "uint32", false },
	{ "Type", "uint32", false }, END_PROPS,
};
static const struct cap_prop_def dpgroup_props[] = {
	{ "GroupID", "string", true }, { "Name", "string", false },
	{ "Description", "string", false },
	{ "MemberCount", "uint32", false }, { "HasMember", "boolean", false },
	{ "HasRelationship", "boolean", false },
	{ "ContentCount", "uint32", false },
	{ "ContentInSync", "boolean", false },
	{ "OutOfSyncContentCount", "uint32", false },
	{ "CollectionCount", "uint32", false },
	{ "SourceSite", "string", false }, { "CreatedBy", "string", false },
	{ "CreatedOn", "datetime", false }, { "ModifiedBy", "string", false },
	{ "ModifiedOn", "datetime", false }, END_PROPS,
};
static const struct cap_prop_def dpgroupmembers_props[] = {
	{ "DPNALPath", "string", true }, { "GroupID", "string", true },
	END_PROPS,
};
static const struct {
	const char *name;
	const struct cap_prop_def *props;
} lab_classes[] = {
	{ "SMS_SystemResourceList", sysreslist_props },
	{ "SMS_SCI_SysResUse", sysresuse_props },
	{ "SMS_DistributionPointGroup", dpgroup_props },
	{ "SMS_DPGroupMembers", dpgroupmembers_props },
};
#define N_LAB_CLASSES (sizeof(lab_classes) / sizeof(lab_classes[0]))

/* Properties of those classes that name a DP by its NAL path: a row
 * about a DP --dp left out is left out too. */
static bool is_dp_ref(const char *prop)
{
	return strcasecmp(prop, "NALPath") == 0 ||
	       strcasecmp(prop, "DPNALPath") == 0 ||
	       strcasecmp(prop, "ServerNALPath") == 0;
}

/* ---- the capture ----------------------------------------------------- */

struct cap_dp {
	const struct dpc_instance *inst;	/* borrowed from cap.dps */
	const char *name, *nal, *kind, *description;
	unsigned mode;
	unsigned long id;
	bool keep;
	size_t *sources;	/* indexes into cap.dp, direct sources */
	size_t nsources;
};

struct cap_bgroup {
	const char *name, *description;	/* borrowed from cap.bg */
	size_t *members;		/* indexes into cap.dp */
	size_t nmembers;
	bool had_members;
};

struct cap_class {
	size_t def;			/* index into lab_classes */
	struct dpc_instance_list list;
	bool *keep;			/* per instance */
};

struct map_entry {
	char *from;			/* lower case */
	char *to;
};

struct cap {
	struct dpctl *d;
	char site[16];
	char *provider;
	char *site_name;
	struct dpc_instance_list dps;
	struct cap_dp *dp;
	size_t ndp;
	bool have_bg;
	struct dpc_instance_list bg, bgss;
	struct cap_bgroup *groups;
	size_t ngroups;
	struct cap_class classes[N_LAB_CLASSES];
	size_t nclasses;
	/* --anonymise: a hash table of names (open addressing) */
	struct map_entry *map;
	size_t mapcap, mapn;
	size_t nhosts;			/* srvNNNN numbering */
	size_t ndomains;
	char msg[MSG_SIZE];		/* the one error line */
	enum dpc_code code;
};

static int fail(struct cap *c, enum dpc_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail(struct cap *c, enum dpc_code code, const char *fmt, ...)
{
	va_list ap;

	if (c->code)
		return -1;
	c->code = code;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	return -1;
}

static int fail_call(struct cap *c, const char *what,
		     const struct dpc_error *err)
{
	char text[MSG_SIZE];

	dpc_error_format(err, text, sizeof(text));
	return fail(c, err->code ? err->code : DPC_E_PROTOCOL,
		    "capture: %s: %s", what, text);
}

static const struct dpc_property *prop_of(const struct dpc_instance *in,
					  const char *name)
{
	for (size_t i = 0; i < in->nprops; i++)
		if (strcasecmp(in->props[i].name, name) == 0)
			return &in->props[i];
	return NULL;
}

/* The first value, "" included; NULL when absent or null. */
static const char *value_of(const struct dpc_instance *in, const char *name)
{
	const struct dpc_property *p = prop_of(in, name);

	if (!p || p->null || !p->nvalues)
		return NULL;
	return p->values[0];
}

/* A query that may name a class the site lacks: 1 when it does (and
 * the capture goes on without it), 0 on success, -1 on failure. */
static int query_optional(struct cap *c, const char *cls,
			  struct dpc_instance_list *out)
{
	char wql[128];
	struct dpc_error err;
	enum dpc_code r;

	snprintf(wql, sizeof(wql), "SELECT * FROM %s", cls);
	r = dpc_query(c->d->client, NULL, wql, out, &err);
	if (r == DPC_OK)
		return 0;
	/* WMI says WBEM_E_INVALID_CLASS; the AdminService's route answers
	 * a class it does not serve with a 404 without an HRESULT. */
	if (err.hresult == HR_INVALID_CLASS ||
	    (dpc_client_protocol(c->d->client) == DPC_PROTOCOL_ADMINSERVICE &&
	     err.http_status == 404 && !err.hresult)) {
		dpctl_warn(c->d, "capture: the site serves no %s; left out",
			   cls);
		return 1;
	}
	return fail_call(c, wql, &err);
}

/* Text a fixture can hold: XML 1.0 characters only. */
static bool xml_text_ok(const char *s)
{
	for (; s && *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 0x20 && ch != '\t' && ch != '\n' && ch != '\r')
			return false;
	}
	return true;
}

/* fixtures/fixture.xsd, hostName. */
static bool host_name_ok(const char *s)
{
	size_t n = strlen(s), label = 0;

	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i <= n; i++) {
		char ch = s[i];

		if (ch == '.' || ch == '\0') {
			if (label == 0 || label > 63 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		      (ch >= '0' && ch <= '9') || ch == '-'))
			return false;
		if (label == 0 && ch == '-')
			return false;
		label++;
	}
	return true;
}

static bool is_true(const char *v)
{
	return v && strcasecmp(v, "true") == 0;
}

static int cmp_dp_id(const void *a, const void *b)
{
	const struct cap_dp *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static bool dp_selected(const struct dpctl *d, const char *name)
{
	char shortname[256];
	const char *dot = strchr(name, '.');

	if (!d->ndp_patterns)
		return true;
	snprintf(shortname, sizeof(shortname), "%.*s",
		 (int)(dot ? (size_t)(dot - name) : strlen(name)), name);
	for (size_t i = 0; i < d->ndp_patterns; i++)
		if (fnmatch(d->dp_patterns[i], name, FNM_CASEFOLD) == 0 ||
		    fnmatch(d->dp_patterns[i], shortname, FNM_CASEFOLD) == 0)
			return true;
	return false;
}

/* The DP whose NAL path is nal (any case), or -1. Linear: the callers
 * are per row, and a site of thousands of DPs is read in seconds. The
 * chains use their own index (find_by_nal_sorted). */
static long find_dp_nal(const struct cap *c, const char *nal)
{
	for (size_t i = 0; nal && i < c->ndp; i++)
		if (strcasecmp(c->dp[i].nal, nal) == 0)
			return (long)i;
	return -1;
}

/* ---- 1 and 2: the site and its DPs ------------------------------------ */

static int read_site(struct cap *c)
{
	struct dpc_instance_list pl = { 0 };
	struct dpc_error err;
	int r = 0;

	if (c->d->site)
		snprintf(c->site, sizeof(c->site), "%s", c->d->site);
	else if (dpc_discover_site(c->d->client, c->site, sizeof(c->site),
				   &err))
		return fail_call(c, "finding the site code", &err);
	if (dpc_query(c->d->client, "root/sms",
		      "SELECT * FROM SMS_ProviderLocation", &pl, &err))
		return fail_call(c, "SMS_ProviderLocation", &err);
	for (size_t i = 0; i < pl.count && !c->provider; i++) {
		const char *code = value_of(&pl.items[i], "SiteCode");
		const char *m = value_of(&pl.items[i], "Machine");

		if (code && m && strcasecmp(code, c->site) == 0)
			c->provider = strdup(m);
	}
	dpc_instance_list_clear(&pl);
	if (!c->provider)
		return fail(c, DPC_E_NOT_FOUND, "capture: SMS_ProviderLocation "
			    "names no SMS Provider machine for site %s",
			    c->site);
	if (!host_name_ok(c->provider))
		r = fail(c, DPC_E_PROVIDER, "capture: the SMS Provider machine "
			 "'%s' is not a host name a fixture can hold",
			 c->provider);
	return r;
}

static const char *kind_of(const struct dpc_instance *in)
{
	if (is_true(value_of(in, "IsPullDP")))
		return "pull";
	if (is_true(value_of(in, "IsPXE")))
		return "pxe";
	if (is_true(value_of(in, "InternetFacing")) &&
	    !value_of(in, "OperatingSystem"))
		return "cloud";
	return "standard";
}

/* Every property of the DP checked against what a fixture can say about
 * it; the first that cannot be said ends the capture. */
static int check_dp(struct cap *c, const struct cap_dp *dp)
{
	const struct dpc_instance *in = dp->inst;
	const char *v;

	if (!host_name_ok(dp->name))
		return fail(c, DPC_E_PROVIDER, "capture: DP '%s': Name is not "
			    "a host name a fixture can hold", dp->name);
	if (strlen(dp->nal) > 1024 || !xml_text_ok(dp->nal))
		return fail(c, DPC_E_PROVIDER, "capture: DP %s: NALPath: longer "
			    "than 1024 characters or not XML text", dp->name);
	v = value_of(in, "ResourceType");
	if (!v || strcmp(v, "Windows NT Server") != 0)
		return fail(c, DPC_E_PROVIDER, "capture: DP %s: ResourceType "
			    "'%s': dpsim serves every DP as 'Windows NT "
			    "Server'", dp->name, v ? v : "(null)");
	v = value_of(in, "SiteCode");
	if (!v || strcasecmp(v, c->site) != 0)
		return fail(c, DPC_E_PROVIDER, "capture: DP %s: SiteCode '%s' "
			    "is not site %s", dp->name, v ? v : "(null)",
			    c->site);
	v = value_of(in, "ServerName");
	if (v && strcmp(v, dp->name) != 0)
		return fail(c, DPC_E_PROVIDER, "capture: DP %s: ServerName "
			    "'%s': dpsim serves the DP's Name there",
			    dp->name, v);
	v = value_of(in, "SiteName");
	if (v && strcmp(v, c->site_name) != 0)
		return fail(c, DPC_E_PROVIDER, "capture: DP %s: SiteName '%s': "
			    "a fixture gives all DPs of a site its name ('%s')",
			    dp->name, v, c->site_name);
	if (dp->description && !xml_text_ok(dp->description))
		return fail(c, DPC_E_PROVIDER, "capture: DP %s: Description "
			    "holds characters XML cannot", dp->name);
	for (size_t k = 0; k < N_DPINFO; k++) {
		const struct dpc_property *p = prop_of(in, dpinfo_props[k].name);

		if (dpinfo_props[k].use != DPP_PROPERTY)
			continue;
		if ((!p || p->null) && dpsim_fills(dpinfo_props[k].name,
						   dp->kind))
			return fail(c, DPC_E_PROVIDER, "capture: DP %s: %s is "
				    "null, which a fixture cannot say (dpsim "
				    "gives a %s DP a value)", dp->name,
				    dpinfo_props[k].name, dp->kind);
		if (p && !p->null && p->nvalues > 1)
			return fail(c, DPC_E_PROVIDER, "capture: DP %s: %s is an "
				    "array; the class declares a single "
				    "value", dp->name, dpinfo_props[k].name);
		if (p && !p->null && p->nvalues && !xml_text_ok(p->values[0]))
			return fail(c, DPC_E_PROVIDER, "capture: DP %s: %s holds "
				    "characters XML cannot", dp->name,
				    dpinfo_props[k].name);
	}
	return 0;
}

static int read_dps(struct cap *c)
{
	struct dpc_error err;
	char unknown[256] = "";
	size_t kept = 0;

	if (dpc_query(c->d->client, NULL, "SELECT * FROM SMS_DistributionPointInfo",
		      &c->dps, &err))
		return fail_call(c, "SMS_DistributionPointInfo", &err);
	c->dp = calloc(c->dps.count ? c->dps.count : 1, sizeof(*c->dp));
	if (!c->dp)
		return fail(c, DPC_E_NOMEM, "capture: out of memory");
	for (size_t i = 0; i < c->dps.count; i++) {
		const struct dpc_instance *in = &c->dps.items[i];
		struct cap_dp *dp = &c->dp[c->ndp];
		const char *id = value_of(in, "ID"), *mode;
		char *end;

		dp->inst = in;
		dp->name = value_of(in, "Name");
		dp->nal = value_of(in, "NALPath");
		if (!dp->name || !dp->nal)
			return fail(c, DPC_E_PROTOCOL, "capture: an "
				    "SMS_DistributionPointInfo without Name "
				    "or NALPath");
		mode = value_of(in, "MaintenanceMode");
		if (!mode || (strcmp(mode, "0") && strcmp(mode, "1")))
			return fail(c, DPC_E_PROVIDER, "capture: DP %s: "
				    "MaintenanceMode '%s' is not 0 or 1",
				    dp->name, mode ? mode : "(null)");
		dp->mode = mode[0] == '1';
		errno = 0;
		dp->id = id ? strtoul(id, &end, 10) : 0;
		if (!id || errno || *end)
			dp->id = ULONG_MAX;
		dp->kind = kind_of(in);
		dp->description = value_of(in, "Description");
		dp->keep = dp_selected(c->d, dp->name);
		kept += dp->keep;
		c->ndp++;
		/* Properties the class has on the site but dpsim does not
		 * serve, named once. */
		for (size_t k = 0; k < in->nprops && i == 0; k++) {
			bool known = false;

			for (size_t j = 0; j < N_DPINFO && !known; j++)
				known = strcasecmp(in->props[k].name,
						   dpinfo_props[j].name) == 0;
			if (!known && strlen(unknown) + strlen(in->props[k].name)
					      + 3 < sizeof(unknown))
				snprintf(unknown + strlen(unknown),
					 sizeof(unknown) - strlen(unknown),
					 "%s%s", *unknown ? ", " : "",
					 in->props[k].name);
		}
	}
	if (*unknown)
		dpctl_warn(c->d, "capture: SMS_DistributionPointInfo: not "
			   "captured (dpsim does not serve them): %s", unknown);
	qsort(c->dp, c->ndp, sizeof(*c->dp), cmp_dp_id);
	if (c->d->ndp_patterns && !kept)
		return fail(c, DPC_E_NOT_FOUND, "capture: no DP matches --dp");
	c->site_name = NULL;
	for (size_t i = 0; i < c->ndp && !c->site_name; i++)
		if (value_of(c->dp[i].inst, "SiteName"))
			c->site_name = strdup(value_of(c->dp[i].inst,
						       "SiteName"));
	if (!c->site_name)
		c->site_name = strdup(c->site);
	if (!c->site_name)
		return fail(c, DPC_E_NOMEM, "capture: out of memory");
	for (size_t i = 0; i < c->ndp; i++) {
		for (size_t j = 0; j < i; j++)
			if (c->dp[i].keep && c->dp[j].keep &&
			    (strcasecmp(c->dp[i].name, c->dp[j].name) == 0 ||
			     strcasecmp(c->dp[i].nal, c->dp[j].nal) == 0))
				return fail(c, DPC_E_PROVIDER, "capture: DP %s: "
					    "two DPs with that name or NAL path "
					    "(ignoring case)", c->dp[i].name);
		if (c->dp[i].keep && check_dp(c, &c->dp[i]))
			return -1;
	}
	/* dpsim numbers DPs 1, 2, ... in fixture order, which is ID order
	 * here: say so when the site's IDs are otherwise. */
	for (size_t i = 0, n = 0; i < c->ndp; i++) {
		if (!c->dp[i].keep)
			continue;
		if (c->dp[i].id != ++n) {
			dpctl_warn(c->d, "capture: DP IDs are not kept: dpsim "
				   "numbers the DPs 1 to %zu in ID order", kept);
			break;
		}
	}
	return 0;
}

/* ---- 3: pull-DP sources ---------------------------------------------- */

struct nal_ix {
	const char *nal;
	size_t dp;
};

static int cmp_nal_ix(const void *a, const void *b)
{
	return strcasecmp(((const struct nal_ix *)a)->nal,
			  ((const struct nal_ix *)b)->nal);
}

static long find_by_nal_sorted(const struct nal_ix *ix, size_t n,
			       const char *nal)
{
	struct nal_ix key = { nal, 0 };
	const struct nal_ix *f = bsearch(&key, ix, n, sizeof(*ix), cmp_nal_ix);

	return f ? (long)f->dp : -1;
}

/* GetChainedPullDPs answers, for a DP, every pull DP that copies from it
 * directly or through others. A pull DP's direct sources are the DPs
 * whose chain holds it and that reach it through no other DP of their
 * chain (the transitive reduction). A source that is also reached the
 * long way round cannot be told apart and is left out; sources are
 * written in ID order, as their priority is not in the answer. Chains
 * are kept as sorted index arrays, not a DPs x DPs matrix: a site may
 * have tens of thousands of DPs. */
struct chain {
	size_t *dp;		/* indexes into cap.dp, ascending */
	size_t n;
};

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

static bool chain_has(const struct chain *ch, size_t dp)
{
	return ch->n && bsearch(&dp, ch->dp, ch->n, sizeof(size_t), cmp_size);
}

static int add_source(struct cap *c, struct cap_dp *p, size_t a)
{
	size_t *n = realloc(p->sources, (p->nsources + 1) * sizeof(*n));

	if (!n)
		return fail(c, DPC_E_NOMEM, "capture: out of memory");
	p->sources = n;
	p->sources[p->nsources++] = a;
	return 0;
}

static int read_sources(struct cap *c)
{
	struct nal_ix *ix = NULL;
	struct chain *chain = NULL;
	size_t n = c->ndp;
	bool any_pull = false;
	int r = -1;

	for (size_t i = 0; i < n; i++)
		any_pull |= c->dp[i].keep && strcmp(c->dp[i].kind, "pull") == 0;
	if (!any_pull)
		return 0;
	ix = calloc(n, sizeof(*ix));
	chain = calloc(n, sizeof(*chain));
	if (!ix || !chain) {
		fail(c, DPC_E_NOMEM, "capture: out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		ix[i] = (struct nal_ix){ c->dp[i].nal, i };
	qsort(ix, n, sizeof(*ix), cmp_nal_ix);
	for (size_t a = 0; a < n; a++) {
		struct dpc_string_list l;
		struct dpc_error err;

		if (!c->dp[a].keep)
			continue;
		if (dpc_chained_pull_dps(c->d->client, c->dp[a].nal, &l, &err)) {
			char what[300];

			snprintf(what, sizeof(what), "GetChainedPullDPs of %s",
				 c->dp[a].name);
			fail_call(c, what, &err);
			goto out;
		}
		chain[a].dp = calloc(l.count ? l.count : 1, sizeof(size_t));
		if (!chain[a].dp) {
			dpc_string_list_clear(&l);
			fail(c, DPC_E_NOMEM, "capture: out of memory");
			goto out;
		}
		for (size_t k = 0; k < l.count; k++) {
			long p = find_by_nal_sorted(ix, n, l.items[k]);

			if (p < 0) {
				fail(c, DPC_E_PROVIDER, "capture: DP %s: "
				     "GetChainedPullDPs names '%s', which is "
				     "no DP of the site", c->dp[a].name,
				     l.items[k]);
				dpc_string_list_clear(&l);
				goto out;
			}
			if (!c->dp[p].keep || (size_t)p == a)
				continue;
			if (strcmp(c->dp[p].kind, "pull") != 0) {
				fail(c, DPC_E_PROVIDER, "capture: DP %s: it "
				     "copies content from %s, but only a pull "
				     "DP can have a source in a fixture",
				     c->dp[p].name, c->dp[a].name);
				dpc_string_list_clear(&l);
				goto out;
			}
			chain[a].dp[chain[a].n++] = (size_t)p;
		}
		dpc_string_list_clear(&l);
		qsort(chain[a].dp, chain[a].n, sizeof(size_t), cmp_size);
	}
	for (size_t a = 0; a < n; a++) {
		for (size_t k = 0; k < chain[a].n; k++) {
			size_t p = chain[a].dp[k];
			bool direct = true;

			for (size_t j = 0; direct && j < chain[a].n; j++)
				if (j != k && chain_has(&chain[chain[a].dp[j]], p))
					direct = false;
			if (direct && add_source(c, &c->dp[p], a))
				goto out;
		}
	}
	r = 0;
out:
	for (size_t i = 0; chain && i < n; i++)
		free(chain[i].dp);
	free(chain);
	free(ix);
	return r;
}

/* ---- 4: boundary groups ----------------------------------------------- */

static int read_boundary_groups(struct cap *c)
{
	int r = query_optional(c, "SMS_BoundaryGroup", &c->bg);

	if (r)
		return r < 0 ? -1 : 0;
	r = query_optional(c, "SMS_BoundaryGroupSiteSystems", &c->bgss);
	if (r)
		return r < 0 ? -1 : 0;
	c->have_bg = true;
	c->groups = calloc(c->bg.count ? c->bg.count : 1, sizeof(*c->groups));
	if (!c->groups)
		return fail(c, DPC_E_NOMEM, "capture: out of memory");
	for (size_t g = 0; g < c->bg.count; g++) {
		const struct dpc_instance *in = &c->bg.items[g];
		struct cap_bgroup *bg = &c->groups[c->ngroups];
		const char *id = value_of(in, "GroupID");

		bg->name = value_of(in, "Name");
		bg->description = value_of(in, "Description");
		if (!bg->name || !*bg->name || !xml_text_ok(bg->name) ||
		    (bg->description && !xml_text_ok(bg->description)))
			return fail(c, DPC_E_PROVIDER, "capture: boundary group "
				    "%s: a name or description a fixture "
				    "cannot hold", id ? id : "(no GroupID)");
		for (size_t k = 0; k < c->ngroups; k++)
			if (strcasecmp(c->groups[k].name, bg->name) == 0)
				return fail(c, DPC_E_PROVIDER, "capture: two "
					    "boundary groups named '%s' "
					    "(ignoring case)", bg->name);
		bg->members = calloc(c->bgss.count ? c->bgss.count : 1,
				     sizeof(size_t));
		if (!bg->members)
			return fail(c, DPC_E_NOMEM, "capture: out of memory");
		for (size_t s = 0; id && s < c->bgss.count; s++) {
			const struct dpc_instance *m = &c->bgss.items[s];
			const char *mid = value_of(m, "GroupID");
			long dp;
			bool dup = false;

			if (!mid || strcmp(mid, id) != 0)
				continue;
			/* Site systems that are no DP of this site (a
			 * management point, another site's DP) are not
			 * members a fixture knows. */
			dp = find_dp_nal(c, value_of(m, "ServerNALPath"));
			if (dp < 0)
				continue;
			bg->had_members = true;
			for (size_t k = 0; k < bg->nmembers; k++)
				dup |= bg->members[k] == (size_t)dp;
			if (c->dp[dp].keep && !dup)
				bg->members[bg->nmembers++] = (size_t)dp;
		}
		if (c->d->ndp_patterns && bg->had_members && !bg->nmembers) {
			/* only about DPs left out */
			free(bg->members);
			memset(bg, 0, sizeof(*bg));
			continue;
		}
		c->ngroups++;
	}
	return 0;
}

/* ---- 5: the lab's classes ---------------------------------------------- */

static int read_classes(struct cap *c)
{
	for (size_t k = 0; k < N_LAB_CLASSES; k++) {
		struct cap_class *cc = &c->classes[c->nclasses];
		const struct cap_prop_def *defs = lab_classes[k].props;
		char unknown[256] = "";
		int r = query_optional(c, lab_classes[k].name, &cc->list);

		if (r < 0)
			return -1;
		if (r)
			continue;
		cc->def = k;
		c->nclasses++;
		cc->keep = calloc(cc->list.count ? cc->list.count : 1, 1);
		if (!cc->keep)
			return fail(c, DPC_E_NOMEM, "capture: out of memory");
		for (size_t i = 0; i < cc->list.count; i++) {
			const struct dpc_instance *in = &cc->list.items[i];

			cc->keep[i] = 1;
			for (size_t p = 0; p < in->nprops; p++) {
				const struct dpc_property *pp = &in->props[p];
				const struct cap_prop_def *def = NULL;

				for (size_t j = 0; defs[j].name && !def; j++)
					if (strcasecmp(defs[j].name,
						       pp->name) == 0)
						def = &defs[j];
				if (!def) {
					if (i == 0 && strlen(unknown) +
					    strlen(pp->name) + 3 < sizeof(unknown))
						snprintf(unknown + strlen(unknown),
							 sizeof(unknown) - strlen(unknown),
							 "%s%s", *unknown ? ", " : "",
							 pp->name);
					continue;
				}
				if (pp->null || !pp->nvalues) {
					if (def->key)
						return fail(c, DPC_E_PROVIDER,
							    "capture: %s: an "
							    "instance without "
							    "key %s",
							    lab_classes[k].name,
							    def->name);
					continue;
				}
				if (pp->nvalues > 1 || !xml_text_ok(pp->values[0]))
					return fail(c, DPC_E_PROVIDER,
						    "capture: %s: property %s "
						    "'%s': not a single value "
						    "a fixture can hold",
						    lab_classes[k].name,
						    def->name, pp->values[0]);
				if (c->d->ndp_patterns && is_dp_ref(def->name)) {
					long dp = find_dp_nal(c, pp->values[0]);

					if (dp >= 0 && !c->dp[dp].keep)
						cc->keep[i] = 0;
				}
			}
		}
		if (*unknown)
			dpctl_warn(c->d, "capture: %s: not captured (the lab "
				   "does not declare them): %s",
				   lab_classes[k].name, unknown);
	}
	/* DP groups whose every member was left out go too. */
	if (!c->d->ndp_patterns)
		return 0;
	for (size_t g = 0; g < c->nclasses; g++) {
		struct cap_class *grp = &c->classes[g];

		if (strcmp(lab_classes[grp->def].name,
			   "SMS_DistributionPointGroup") != 0)
			continue;
		for (size_t m = 0; m < c->nclasses; m++) {
			struct cap_class *mem = &c->classes[m];

			if (strcmp(lab_classes[mem->def].name,
				   "SMS_DPGroupMembers") != 0)
				continue;
			for (size_t i = 0; i < grp->list.count; i++) {
				const char *id = value_of(&grp->list.items[i],
							  "GroupID");
				bool had = false, has = false;

				for (size_t j = 0; id && j < mem->list.count; j++) {
					const char *mid = value_of(
						&mem->list.items[j], "GroupID");

					if (!mid || strcasecmp(mid, id) != 0)
						continue;
					had = true;
					has |= mem->keep[j];
				}
				if (had && !has)
					grp->keep[i] = 0;
			}
		}
	}
	return 0;
}

/* ---- --anonymise --------------------------------------------------------- */

static bool label_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '-';
}

static size_t hash_lower(const char *s, size_t len)
{
	size_t h = 1469598103934665603ull;

	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];

		h = (h ^ (unsigned char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch))
		    * 1099511628211ull;
	}
	return h;
}

static const char *map_find(const struct cap *c, const char *s, size_t len)
{
	if (!c->mapcap)
		return NULL;
	for (size_t i = hash_lower(s, len) & (c->mapcap - 1);; i = (i + 1) & (c->mapcap - 1)) {
		const struct map_entry *e = &c->map[i];

		if (!e->from)
			return NULL;
		if (strlen(e->from) == len && strncasecmp(e->from, s, len) == 0)
			return e->to;
	}
}

/* Adds from -> to unless from is already mapped (the first mapping of a
 * name wins). 0 or -1 (out of memory). */
static int map_add(struct cap *c, const char *from, size_t len,
		   const char *to)
{
	if (map_find(c, from, len))
		return 0;
	if ((c->mapn + 1) * 2 > c->mapcap) {
		size_t ncap = c->mapcap ? c->mapcap * 2 : 256;
		struct map_entry *n = calloc(ncap, sizeof(*n));

		if (!n)
			return -1;
		for (size_t i = 0; i < c->mapcap; i++) {
			struct map_entry *e = &c->map[i];
			size_t j;

			if (!e->from)
				continue;
			for (j = hash_lower(e->from, strlen(e->from)) & (ncap - 1);
			     n[j].from; j = (j + 1) & (ncap - 1))
				;
			n[j] = *e;
		}
		free(c->map);
		c->map = n;
		c->mapcap = ncap;
	}
	size_t j = hash_lower(from, len) & (c->mapcap - 1);

	while (c->map[j].from)
		j = (j + 1) & (c->mapcap - 1);
	c->map[j].from = strndup(from, len);
	c->map[j].to = strdup(to);
	if (!c->map[j].from || !c->map[j].to) {
		free(c->map[j].from);
		free(c->map[j].to);
		c->map[j].from = c->map[j].to = NULL;
		return -1;
	}
	c->mapn++;
	return 0;
}

/* The domains of host (every suffix of two labels or more after its
 * first label), mapped in the order first seen: the first to
 * example.test, later ones to d2.example.test ...; the label before the
 * top-level domain ("contoso" of contoso.com), which also names the
 * organisation in site names and DOMAIN\user, to example, example2 ... */
static int map_domains(struct cap *c, const char *host)
{
	const char *dot = strchr(host, '.');

	for (; dot; dot = strchr(dot + 1, '.')) {
		const char *dom = dot + 1, *last = strrchr(dom, '.');
		char to[64];

		if (!last)
			break;	/* a top-level domain alone is kept */
		if (!map_find(c, dom, strlen(dom))) {
			c->ndomains++;
			if (c->ndomains == 1)
				snprintf(to, sizeof(to), "example.test");
			else
				snprintf(to, sizeof(to), "d%zu.example.test",
					 c->ndomains);
			if (map_add(c, dom, strlen(dom), to))
				return -1;
		}
		/* The organisation's label: the one before the TLD. */
		if (!strchr(dom, '.') || strchr(dom, '.') != last)
			continue;
		if (!map_find(c, dom, (size_t)(last - dom))) {
			snprintf(to, sizeof(to), c->ndomains == 1 ? "example"
				 : "example%zu", c->ndomains);
			if (map_add(c, dom, (size_t)(last - dom), to))
				return -1;
		}
	}
	return 0;
}

/* A host and its short name to prefix%04zu.example.test and
 * prefix%04zu. */
static int map_host(struct cap *c, const char *host, const char *prefix,
		    size_t n)
{
	char to[64], shortto[32];
	const char *dot = strchr(host, '.');

	if (map_find(c, host, strlen(host)))
		return 0;
	snprintf(shortto, sizeof(shortto), "%s%04zu", prefix, n);
	snprintf(to, sizeof(to), "%s.example.test", shortto);
	if (map_add(c, host, strlen(host), to) ||
	    map_add(c, host, dot ? (size_t)(dot - host) : strlen(host),
		    shortto))
		return -1;
	return map_domains(c, host);
}

/* Hosts named in text as \\HOST (NAL paths, network OS paths). */
static int map_hosts_in(struct cap *c, const char *text)
{
	for (const char *p = text; p && (p = strstr(p, "\\\\")) != NULL;) {
		size_t len = 0;
		char host[256];

		p += 2;
		while (p[len] && (label_char(p[len]) || p[len] == '.'))
			len++;
		while (len && p[len - 1] == '.')
			len--;
		if (!len || len >= sizeof(host))
			continue;
		memcpy(host, p, len);
		host[len] = '\0';
		if (!map_find(c, host, len) &&
		    map_host(c, host, "srv", ++c->nhosts))
			return -1;
		p += len;
	}
	return 0;
}

static int build_map(struct cap *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->ndp; i++)
		if (c->dp[i].keep && map_host(c, c->dp[i].name, "dp", ++n))
			goto nomem;
	if (!map_find(c, c->provider, strlen(c->provider)) &&
	    map_host(c, c->provider, "srv", ++c->nhosts))
		goto nomem;
	for (size_t i = 0; i < c->ndp; i++)
		if (c->dp[i].keep && map_hosts_in(c, c->dp[i].nal))
			goto nomem;
	for (size_t k = 0; k < c->nclasses; k++) {
		const struct cap_class *cc = &c->classes[k];

		for (size_t i = 0; i < cc->list.count; i++) {
			const struct dpc_instance *in = &cc->list.items[i];

			if (!cc->keep[i])
				continue;
			for (size_t p = 0; p < in->nprops; p++) {
				const struct dpc_property *pp = &in->props[p];
				const char *v = pp->nvalues && !pp->null
						? pp->values[0] : NULL;

				if (!v)
					continue;
				if (map_hosts_in(c, v))
					goto nomem;
				/* A server named without backslashes. */
				if ((strcasecmp(pp->name, "ServerName") == 0 ||
				     strcasecmp(pp->name, "ServerRemoteName") == 0) &&
				    host_name_ok(v) && !map_find(c, v, strlen(v)) &&
				    map_host(c, v, "srv", ++c->nhosts))
					goto nomem;
			}
		}
	}
	return 0;
nomem:
	return fail(c, DPC_E_NOMEM, "capture: out of memory");
}

/* Appends len bytes of src to *out (size *cap, used *o). */
static bool append(char **out, size_t *cap, size_t *o, const char *src,
		   size_t len)
{
	if (*o + len + 1 > *cap) {
		size_t ncap = (*o + len + 1) * 2;
		char *g = realloc(*out, ncap);

		if (!g)
			return false;
		*out = g;
		*cap = ncap;
	}
	memcpy(*out + *o, src, len);
	*o += len;
	(*out)[*o] = '\0';
	return true;
}

/* s with every mapped name replaced, where it stands as a whole name
 * (not inside a longer label), the longest match first; malloc'd, NULL
 * when out of memory. */
static char *anon(const struct cap *c, const char *s)
{
	size_t n = strlen(s), cap = 0, o = 0;
	char *out = NULL;

	if (!append(&out, &cap, &o, "", 0))
		return NULL;
	for (size_t i = 0; i < n;) {
		const char *to = NULL;
		size_t len = 0;

		if (label_char(s[i]) && (i == 0 || !label_char(s[i - 1]))) {
			size_t end = i;

			while (end < n && (label_char(s[end]) || s[end] == '.'))
				end++;
			/* The longest prefix that ends at a label's end. */
			for (size_t e = end; e > i && !to; e--) {
				if ((e < n && label_char(s[e])) || s[e - 1] == '.')
					continue;
				to = map_find(c, s + i, e - i);
				len = e - i;
			}
		}
		if (!(to ? append(&out, &cap, &o, to, strlen(to))
			 : append(&out, &cap, &o, s + i, (len = 1)))) {
			free(out);
			return NULL;
		}
		i += len;
	}
	return out;
}

/* ---- writing ---------------------------------------------------------------- */

struct out {
	struct cap *c;
	xmlTextWriterPtr w;
	bool failed;
};

static void wcheck(struct out *o, int rc)
{
	if (rc < 0)
		o->failed = true;
}

static void start(struct out *o, const char *name)
{
	wcheck(o, xmlTextWriterStartElement(o->w, BAD_CAST name));
}

static void end(struct out *o)
{
	wcheck(o, xmlTextWriterEndElement(o->w));
}

/* An attribute; text (names, descriptions, paths) goes through the
 * mapping with --anonymise. */
static void attr(struct out *o, const char *name, const char *v, bool text)
{
	char *a = NULL;

	if (!v)
		return;
	if (text && o->c->d->anonymise) {
		a = anon(o->c, v);
		if (!a) {
			o->failed = true;
			return;
		}
	}
	wcheck(o, xmlTextWriterWriteAttribute(o->w, BAD_CAST name,
					      BAD_CAST(a ? a : v)));
	free(a);
}

static void element_text(struct out *o, const char *elem, const char *name,
			 const char *v, bool text)
{
	char *a = NULL;

	if (text && o->c->d->anonymise) {
		a = anon(o->c, v);
		if (!a) {
			o->failed = true;
			return;
		}
	}
	start(o, elem);
	attr(o, "name", name, false);
	wcheck(o, xmlTextWriterWriteString(o->w, BAD_CAST(a ? a : v)));
	end(o);
	free(a);
}

static bool is_string_prop(const char *name)
{
	static const char *const strings[] = {
		"BindExcept", "Drive", "HealthCheckSchedule", "IdentityGUID",
		"OperatingSystem", "PXEPassword", "ServiceType", "ShareName",
	};

	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if (strcasecmp(name, strings[i]) == 0)
			return true;
	return false;
}

static void write_dp(struct out *o, const struct cap_dp *dp)
{
	struct cap *c = o->c;
	char canon[1200];

	start(o, "dp");
	attr(o, "fqdn", dp->name, true);
	attr(o, "kind", dp->kind, false);
	attr(o, "maintenance", dp->mode ? "1" : "0", false);
	attr(o, "description", dp->description, true);
	/* The NAL path only when it is not the one dpsim builds. */
	snprintf(canon, sizeof(canon),
		 "[\"Display=\\\\%s\\\"]MSWNET:[\"SMS_SITE=%s\"]\\\\%s\\",
		 dp->name, c->site, dp->name);
	if (strcmp(canon, dp->nal) != 0)
		attr(o, "nalpath", dp->nal, true);
	for (size_t k = 0; k < N_DPINFO; k++) {
		const char *v;

		if (dpinfo_props[k].use != DPP_PROPERTY)
			continue;
		v = value_of(dp->inst, dpinfo_props[k].name);
		if (!v)
			continue;
		element_text(o, "property", dpinfo_props[k].name, v,
			     is_string_prop(dpinfo_props[k].name));
	}
	for (size_t s = 0; s < dp->nsources; s++) {
		start(o, "source");
		attr(o, "dp", c->dp[dp->sources[s]].name, true);
		end(o);
	}
	end(o);
}

static void write_class(struct out *o, const struct cap_class *cc)
{
	const struct cap_prop_def *defs = lab_classes[cc->def].props;

	start(o, "class");
	attr(o, "name", lab_classes[cc->def].name, false);
	for (size_t j = 0; defs[j].name; j++) {
		start(o, "property");
		attr(o, "name", defs[j].name, false);
		attr(o, "type", defs[j].type, false);
		if (defs[j].key)
			attr(o, "key", "true", false);
		end(o);
	}
	for (size_t i = 0; i < cc->list.count; i++) {
		if (!cc->keep[i])
			continue;
		start(o, "instance");
		for (size_t j = 0; defs[j].name; j++) {
			const char *v = value_of(&cc->list.items[i],
						 defs[j].name);

			if (v)
				element_text(o, "value", defs[j].name, v,
					     strcmp(defs[j].type, "string") == 0);
		}
		end(o);
	}
	end(o);
}

/* user lab, Full Administrator, its password hashed with yescrypt as
 * dpsim --hash-password does (simulator/auth.c, auth_password_hash). */
static int write_user(struct out *o)
{
	struct crypt_data *cd;
	char *salt, *h;
	int r = 0;

	errno = 0;
	salt = crypt_gensalt_ra("$y$", 0, NULL, 0);
	cd = calloc(1, sizeof(*cd));
	if (!salt || !cd) {
		free(salt);
		free(cd);
		return fail(o->c, DPC_E_NOMEM, "capture: --lab-password: "
			    "cannot make a salt");
	}
	h = crypt_rn(o->c->d->lab_password, salt, cd, sizeof(*cd));
	if (!h || h[0] == '*') {
		r = fail(o->c, DPC_E_USAGE, "capture: --lab-password: libcrypt "
			 "cannot hash it with yescrypt");
	} else {
		start(o, "users");
		start(o, "user");
		attr(o, "name", "lab", false);
		attr(o, "password-hash", h, false);
		attr(o, "role", "Full Administrator", false);
		end(o);
		end(o);
	}
	explicit_bzero(cd, sizeof(*cd));
	free(cd);
	free(salt);
	return r;
}

static int write_doc(struct cap *c, xmlBufferPtr buf)
{
	struct out o = { c, NULL, false };
	char note[200];
	size_t nkept = 0;

	o.w = xmlNewTextWriterMemory(buf, 0);
	if (!o.w)
		return fail(c, DPC_E_NOMEM, "capture: out of memory");
	wcheck(&o, xmlTextWriterSetIndent(o.w, 1));
	wcheck(&o, xmlTextWriterSetIndentString(o.w, BAD_CAST "  "));
	wcheck(&o, xmlTextWriterStartDocument(o.w, NULL, "UTF-8", NULL));
	for (size_t i = 0; i < c->ndp; i++)
		nkept += c->dp[i].keep;
	/* No endpoint and no time: an anonymised capture must not name the
	 * site, and the same site should capture to the same bytes. */
	snprintf(note, sizeof(note), " dpctl %s capture of site %s: %zu DP(s)%s ",
		 DPC_VERSION, c->site, nkept,
		 c->d->anonymise ? ", anonymised" : "");
	wcheck(&o, xmlTextWriterWriteComment(o.w, BAD_CAST note));
	start(&o, "dpsim-fixture");
	attr(&o, "xmlns", FIXTURE_NS, false);
	if (c->d->lab_password && write_user(&o)) {
		xmlFreeTextWriter(o.w);
		return -1;
	}
	start(&o, "site");
	attr(&o, "code", c->site, false);
	attr(&o, "name", c->site_name, true);
	attr(&o, "provider", c->provider, true);
	for (size_t i = 0; i < c->ndp; i++)
		if (c->dp[i].keep)
			write_dp(&o, &c->dp[i]);
	for (size_t g = 0; g < c->ngroups; g++) {
		const struct cap_bgroup *bg = &c->groups[g];

		start(&o, "boundary-group");
		attr(&o, "name", bg->name, true);
		attr(&o, "description", bg->description, true);
		for (size_t m = 0; m < bg->nmembers; m++) {
			start(&o, "member");
			attr(&o, "dp", c->dp[bg->members[m]].name, true);
			end(&o);
		}
		end(&o);
	}
	for (size_t k = 0; k < c->nclasses; k++)
		write_class(&o, &c->classes[k]);
	end(&o);
	end(&o);
	wcheck(&o, xmlTextWriterEndDocument(o.w));
	xmlFreeTextWriter(o.w);	/* flushes into buf */
	if (o.failed)
		return fail(c, DPC_E_NOMEM, "capture: writing the XML failed "
			    "(out of memory)");
	return 0;
}

/* The whole document to path, through a temporary file renamed over it. */
static int save(struct cap *c, const char *path, const void *data, size_t len)
{
	size_t n = strlen(path);
	char *tmp = malloc(n + 16);
	int fd, e = 0;
	const char *p = data;

	if (!tmp)
		return fail(c, DPC_E_NOMEM, "capture: out of memory");
	snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
	fd = mkstemp(tmp);
	if (fd < 0) {
		e = errno;
		free(tmp);
		return fail(c, DPC_E_TRANSPORT, "capture: %s: cannot create a "
			    "temporary file next to it: %s", path, strerror(e));
	}
	while (len && !e) {
		ssize_t w = write(fd, p, len);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			e = w < 0 ? errno : EIO;
		else {
			p += w;
			len -= (size_t)w;
		}
	}
	if (!e && fchmod(fd, 0644) < 0)
		e = errno;
	if (!e && fsync(fd) < 0)
		e = errno;
	if (close(fd) < 0 && !e)
		e = errno;
	if (!e && rename(tmp, path) < 0)
		e = errno;
	if (e) {
		unlink(tmp);
		free(tmp);
		return fail(c, DPC_E_TRANSPORT, "capture: %s: %s", path,
			    strerror(e));
	}
	free(tmp);
	return 0;
}

static void cap_free(struct cap *c)
{
	for (size_t i = 0; i < c->ndp; i++)
		free(c->dp[i].sources);
	free(c->dp);
	dpc_instance_list_clear(&c->dps);
	for (size_t g = 0; g < c->ngroups; g++)
		free(c->groups[g].members);
	/* a group being read when the capture failed */
	if (c->groups && c->ngroups < c->bg.count)
		free(c->groups[c->ngroups].members);
	free(c->groups);
	dpc_instance_list_clear(&c->bg);
	dpc_instance_list_clear(&c->bgss);
	for (size_t k = 0; k < c->nclasses; k++) {
		dpc_instance_list_clear(&c->classes[k].list);
		free(c->classes[k].keep);
	}
	for (size_t i = 0; i < c->mapcap; i++) {
		free(c->map[i].from);
		free(c->map[i].to);
	}
	free(c->map);
	free(c->provider);
	free(c->site_name);
}

int dpctl_cmd_capture(struct dpctl *d, int argc, char **argv)
{
	struct cap c = { .d = d };
	xmlBufferPtr buf = NULL;
	int ret = 0;

	(void)argc;
	(void)argv;
	if (read_site(&c) || read_dps(&c) || read_sources(&c) ||
	    read_boundary_groups(&c) || read_classes(&c))
		goto out;
	if (d->anonymise && build_map(&c))
		goto out;
	buf = xmlBufferCreate();
	if (!buf) {
		fail(&c, DPC_E_NOMEM, "capture: out of memory");
		goto out;
	}
	if (write_doc(&c, buf))
		goto out;
	if (d->output) {
		save(&c, d->output, xmlBufferContent(buf),
		     (size_t)xmlBufferLength(buf));
	} else if (fwrite(xmlBufferContent(buf), 1, (size_t)xmlBufferLength(buf),
			  stdout) != (size_t)xmlBufferLength(buf) ||
		   fflush(stdout) != 0) {
		fail(&c, DPC_E_TRANSPORT, "capture: cannot write standard "
		     "output: %s", strerror(errno));
	}
out:
	if (c.code)
		ret = dpctl_failf(d, c.code, "%s", c.msg);
	if (buf)
		xmlBufferFree(buf);
	cap_free(&c);
	return ret;
}
