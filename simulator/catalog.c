/* catalog: the classes dpsim has code for. See catalog.h. */
#include "catalog.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* SMS_DistributionPointInfo as documented (docs/configmgr-domain.md,
 * SMS_DistributionPointInfo), in
 * MOF order, plus the undocumented MaintenanceMode that scripts read.
 * MOF types are used where the prose disagrees (Region, ServiceType). */
struct prop_def {
	const char *name;
	enum cim_type type;
	unsigned flags;
};

static const struct prop_def dpinfo_props[] = {
	{ "AddressScheduleEnabled", CIM_BOOLEAN, 0 },
	{ "BindExcept", CIM_STRING, 0 },
	{ "BindPolicy", CIM_BOOLEAN, 0 },
	{ "BitsEnabled", CIM_BOOLEAN, 0 },
	{ "CertificateType", CIM_BOOLEAN, 0 },
	{ "Communication", CIM_UINT32, 0 },
	{ "Description", CIM_STRING, 0 },
	{ "DPFlags", CIM_UINT32, 0 },
	{ "Drive", CIM_STRING, 0 },
	{ "GroupCount", CIM_UINT32, 0 },
	{ "HasRelationship", CIM_BOOLEAN, 0 },
	{ "HealthCheckEnabled", CIM_BOOLEAN, 0 },
	{ "HealthCheckPriority", CIM_UINT32, 0 },
	{ "HealthCheckSchedule", CIM_STRING, 0 },
	{ "ID", CIM_UINT32, 0 },
	{ "IdentityGUID", CIM_STRING, 0 },
	{ "InternetFacing", CIM_BOOLEAN, 0 },
	{ "IsActive", CIM_BOOLEAN, 0 },
	{ "IsMulticast", CIM_BOOLEAN, 0 },
	{ "IsPeerDP", CIM_BOOLEAN, 0 },
	{ "IsProtected", CIM_BOOLEAN, 0 },
	{ "IsPullDP", CIM_BOOLEAN, 0 },
	{ "IsPXE", CIM_BOOLEAN, 0 },
	{ "MaintenanceMode", CIM_UINT32, 0 },
	{ "NALPath", CIM_STRING, CIM_PROP_KEY },
	{ "Name", CIM_STRING, 0 },
	{ "OperatingSystem", CIM_STRING, 0 },
	{ "PreStagingAllowed", CIM_BOOLEAN, 0 },
	{ "Priority", CIM_UINT32, 0 },
	{ "PXEPassword", CIM_STRING, 0 },
	{ "RateLimitsEnabled", CIM_BOOLEAN, 0 },
	{ "Region", CIM_UINT32, 0 },
	{ "ResourceType", CIM_STRING, CIM_PROP_KEY },
	{ "ResponseDelay", CIM_UINT32, 0 },
	{ "ServerName", CIM_STRING, 0 },
	{ "ServiceType", CIM_STRING, 0 },
	{ "ShareName", CIM_STRING, 0 },
	{ "SiteCode", CIM_STRING, CIM_PROP_KEY },
	{ "SiteName", CIM_STRING, 0 },
	{ "SupportUnknownMachines", CIM_BOOLEAN, 0 },
	{ "TransferRate", CIM_UINT32, 0 },
	{ "UdaSetting", CIM_UINT32, 0 },
};

/* SMS_DistributionPoint is the package-to-DP association (docs/configmgr-domain.md,
 * SMS_DistributionPoint); dpsim
 * serves no packages, so it has no instances, but Get and WQL see its real
 * keys and properties, and SetDPMaintenanceMode is reachable through it as
 * the SDK page title has it. */
static const struct prop_def dp_props[] = {
	{ "BitsEnabled", CIM_BOOLEAN, 0 },
	{ "IsPeerDP", CIM_BOOLEAN, 0 },
	{ "IsProtected", CIM_BOOLEAN, 0 },
	{ "ISVData", CIM_UINT8, CIM_PROP_ARRAY },
	{ "ISVDataSize", CIM_UINT32, 0 },
	{ "ISVString", CIM_STRING, 0 },
	{ "LastRefreshTime", CIM_DATETIME, 0 },
	{ "ObjectTypeID", CIM_UINT32, 0 },
	{ "PackageID", CIM_STRING, CIM_PROP_KEY },
	{ "PackageType", CIM_UINT32, 0 },
	{ "RefreshNow", CIM_BOOLEAN, 0 },
	{ "ResourceType", CIM_STRING, 0 },
	{ "SecureObjectID", CIM_STRING, 0 },
	{ "ServerNALPath", CIM_STRING, CIM_PROP_KEY },
	{ "SiteCode", CIM_STRING, CIM_PROP_KEY },
	{ "SiteName", CIM_STRING, 0 },
	{ "SourceSite", CIM_STRING, 0 },
	{ "Status", CIM_UINT32, 0 },
};

/* SMS_StatusMessage and SMS_StatMsgInsStrings as the SDK pages list
 * them, all inherited properties included, in their order
 * (docs/configmgr-domain.md, Status messages); statmsg.c fills them. */
static const struct prop_def statmsg_props[] = {
	{ "Component", CIM_STRING, 0 },
	{ "MachineName", CIM_STRING, 0 },
	{ "MessageID", CIM_UINT32, 0 },
	{ "MessageType", CIM_UINT32, 0 },
	{ "ModuleName", CIM_STRING, 0 },
	{ "PerClient", CIM_UINT32, 0 },
	{ "ProcessID", CIM_UINT32, 0 },
	{ "RecordID", CIM_SINT64, CIM_PROP_KEY },
	{ "ReportFunction", CIM_UINT32, 0 },
	{ "Severity", CIM_UINT32, 0 },
	{ "SiteCode", CIM_STRING, 0 },
	{ "SuccessfulTransaction", CIM_UINT32, 0 },
	{ "ThreadID", CIM_UINT32, 0 },
	{ "Time", CIM_DATETIME, 0 },
	{ "TopLevelSiteCode", CIM_STRING, 0 },
	{ "Transaction", CIM_UINT32, 0 },
	{ "Win32Error", CIM_UINT32, 0 },
};

static const struct prop_def insstr_props[] = {
	{ "InsStrIndex", CIM_UINT32, CIM_PROP_KEY },
	{ "InsStrValue", CIM_STRING, 0 },
	{ "RecordID", CIM_SINT64, CIM_PROP_KEY },
};

/* Properties a fixture <property> may not set: they identify the DP, are
 * state, or have their own attribute in the fixture. The reason tells the
 * author where the value comes from instead. */
static const struct {
	const char *name;
	const char *why;
} dpinfo_fixed[] = {
	{ "Description", "use the description attribute of <dp>" },
	{ "ID", "dpsim numbers the DPs of a site in fixture order" },
	{ "MaintenanceMode", "use the maintenance attribute of <dp>" },
	{ "NALPath", "it is a key; use the nalpath attribute of <dp>" },
	{ "Name", "it is the fqdn attribute of <dp>" },
	{ "ResourceType", "it is a key dpsim fills in" },
	{ "ServerName", "it is the fqdn attribute of <dp>" },
	{ "SiteCode", "it is a key; it is the code of the enclosing <site>" },
	{ "SiteName", "it is the name attribute of the enclosing <site>" },
};

static const struct prop_def namespace_props[] = {
	{ "Name", CIM_STRING, CIM_PROP_KEY },
};

/* The order site discovery (provider.c) fills them in. */
static const struct prop_def provloc_props[] = {
	{ "Machine", CIM_STRING, 0 },
	{ "NamespacePath", CIM_STRING, 0 },
	{ "ProviderForLocalSite", CIM_BOOLEAN, 0 },
	{ "SiteCode", CIM_STRING, CIM_PROP_KEY },
};

#define TABLE(t) t, sizeof(t) / sizeof((t)[0])

static const struct {
	const char *name;
	const struct prop_def *props;
	size_t nprops;
} classes[] = {
	[CATALOG_NAMESPACE] = { "__Namespace", TABLE(namespace_props) },
	[CATALOG_PROVIDER_LOCATION] = { "SMS_ProviderLocation",
					 TABLE(provloc_props) },
	[CATALOG_DP_INFO] = { "SMS_DistributionPointInfo", TABLE(dpinfo_props) },
	[CATALOG_DP] = { "SMS_DistributionPoint", TABLE(dp_props) },
	[CATALOG_STATUS_MESSAGE] = { "SMS_StatusMessage", TABLE(statmsg_props) },
	[CATALOG_STATMSG_INSSTRINGS] = { "SMS_StatMsgInsStrings",
					 TABLE(insstr_props) },
};

/* The methods dpsim runs, with their MOF signatures
 * (docs/configmgr-domain.md, SetDPMaintenanceMode and GetChainedPullDPs):
 * both static methods of SMS_DistributionPointInfo, and
 * SetDPMaintenanceMode on SMS_DistributionPoint too, where the title of
 * its SDK page puts it. SMS_DistributionPoint's own VerifyPackage and
 * CancelDistribution act on packages, which dpsim does not serve. */
static const struct cim_param set_mode_params[] = {
	{ "NALPath", CIM_STRING, CIM_PARAM_IN },
	{ "Mode", CIM_UINT32, CIM_PARAM_IN },
};

static const struct cim_param chain_params[] = {
	{ "SourceDPNALPath", CIM_STRING, CIM_PARAM_IN },
	{ "ChainedDPs", CIM_STRING, CIM_PARAM_OUT | CIM_PROP_ARRAY },
};

static const struct {
	enum catalog_class cls;
	const char *name;
	enum cim_type ret;
	const struct cim_param *params;
	size_t nparams;
} methods[] = {
	{ CATALOG_DP_INFO, CATALOG_GET_CHAINED_PULL_DPS, CIM_SINT32,
	  TABLE(chain_params) },
	{ CATALOG_DP_INFO, CATALOG_SET_DP_MAINTENANCE_MODE, CIM_UINT32,
	  TABLE(set_mode_params) },
	{ CATALOG_DP, CATALOG_SET_DP_MAINTENANCE_MODE, CIM_UINT32,
	  TABLE(set_mode_params) },
};

struct cim_class *catalog_class_new(enum catalog_class which, const char *ns)
{
	struct cim_class *c = cim_class_new(ns, classes[which].name);

	for (size_t i = 0; c && i < classes[which].nprops; i++) {
		const struct prop_def *d = &classes[which].props[i];

		if (cim_class_add_property(c, d->name, d->type, d->flags) < 0)
			goto fail;
	}
	for (size_t i = 0; c && i < sizeof(methods) / sizeof(methods[0]); i++)
		if (methods[i].cls == which &&
		    cim_class_add_method(c, methods[i].name, methods[i].ret,
					 methods[i].params, methods[i].nparams))
			goto fail;
	return c;
fail:
	cim_class_free(c);
	return NULL;
}

int catalog_prop_index(enum catalog_class which, const char *name)
{
	for (size_t i = 0; i < classes[which].nprops; i++)
		if (strcmp(classes[which].props[i].name, name) == 0)
			return (int)i;
	return -1;
}


/* A stable GUID-looking identity from the FQDN, so a lab shows the same
 * IdentityGUID on every start. */
static void identity_guid(const char *fqdn, char out[40])
{
	uint64_t h1 = 1469598103934665603ull, h2 = 1099511628211ull;
	for (const char *s = fqdn; *s; s++) {
		h1 = (h1 ^ (unsigned char)(*s | 0x20)) * 1099511628211ull;
		h2 = (h2 ^ (unsigned char)(*s | 0x20)) * 14695981039346656037ull;
	}
	snprintf(out, 40, "%08X-%04X-%04X-%04X-%012llX",
		 (unsigned)(h1 >> 32), (unsigned)(h1 >> 16) & 0xffff,
		 (unsigned)h1 & 0xffff, (unsigned)(h2 >> 48),
		 (unsigned long long)(h2 & 0xffffffffffffull));
}

/* Why name cannot be set from a fixture, or NULL if it can. */
static const char *fixed_prop_why(const char *name)
{
	for (size_t i = 0; i < sizeof(dpinfo_fixed) / sizeof(dpinfo_fixed[0]); i++)
		if (strcasecmp(name, dpinfo_fixed[i].name) == 0)
			return dpinfo_fixed[i].why;
	return NULL;
}

static bool is_xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Why a fixture value was refused, said so that the author knows what to
 * write instead: cim's reasons name the problem, not the accepted forms. */
static void value_reason(enum cim_type t, const char *why, char *out,
			 size_t size)
{
	static const unsigned long long umax[] = {
		[CIM_UINT8] = UINT8_MAX, [CIM_UINT16] = UINT16_MAX,
		[CIM_UINT32] = UINT32_MAX, [CIM_UINT64] = UINT64_MAX,
	};
	static const long long smin[] = {
		[CIM_SINT8] = INT8_MIN, [CIM_SINT16] = INT16_MIN,
		[CIM_SINT32] = INT32_MIN, [CIM_SINT64] = INT64_MIN,
	};
	static const long long smax[] = {
		[CIM_SINT8] = INT8_MAX, [CIM_SINT16] = INT16_MAX,
		[CIM_SINT32] = INT32_MAX, [CIM_SINT64] = INT64_MAX,
	};

	if (!why)
		why = "invalid";
	if (t == CIM_BOOLEAN)
		snprintf(out, size, "use true, false, 1 or 0");
	else if (cim_type_is_integer(t) && !cim_type_is_signed(t))
		snprintf(out, size, "%s; use a whole number from 0 to %llu",
			 why, umax[t]);
	else if (cim_type_is_integer(t))
		snprintf(out, size, "%s; use a whole number from %lld to "
			 "%lld", why, smin[t], smax[t]);
	else if (t == CIM_DATETIME)
		snprintf(out, size, "%s; use ISO 8601 such as "
			 "2024-05-01T10:00:00Z or DMTF such as "
			 "20240501100000.000000+000", why);
	else
		snprintf(out, size, "%s", why);
}

int catalog_value(enum cim_type t, const char *text, const char *source,
		  unsigned line, const char *what, char **canon,
		  char *err, size_t errsize)
{
	/* A char16 is one character, and a space is one: only types whose
	 * text cannot hold white space lose the layout around it. */
	bool trim = t != CIM_STRING && t != CIM_CHAR16;
	const char *why = NULL;
	char reason[160], *v;
	size_t len;
	int r;

	*canon = NULL;
	if (!text)
		text = "";
	if (trim)
		while (is_xml_space(*text))
			text++;
	len = strlen(text);
	if (trim)
		while (len > 0 && is_xml_space(text[len - 1]))
			len--;
	v = strndup(text, len);
	if (!v)
		return -ENOMEM;
	r = cim_value_canonical(t, v, canon, &why);
	if (r == -EINVAL) {
		value_reason(t, why, reason, sizeof(reason));
		if (err && errsize)
			snprintf(err, errsize, "%s:%u: %s: '%s' is not a valid "
				 "%s (%s)", source, line, what, v,
				 cim_type_name(t), reason);
	}
	free(v);
	return r;
}

/* Checks one fixture <property> against the class and converts its
 * value (*canon, malloc'd). 0, -EINVAL with "FILE:LINE: ..." in err, or
 * -ENOMEM. */
static int fixture_prop_value(const struct cim_class *c, const struct fixture *fx,
			      const struct fixture_prop *fp, int *idx_out,
			      char **canon, char *err, size_t errsize)
{
	int idx = cim_class_find_property(c, fp->name);
	const struct cim_property *cp;
	const char *fixed;
	char what[160];

	*canon = NULL;
	if (idx < 0) {
		snprintf(err, errsize, "%s:%u: property '%s' is not a property of %s",
			 fx->source, fp->line, fp->name, cim_class_name(c));
		return -EINVAL;
	}
	cp = cim_class_property(c, (size_t)idx);
	fixed = fixed_prop_why(cp->name);
	if (fixed) {
		snprintf(err, errsize, "%s:%u: property '%s' cannot be set with "
			 "<property>: %s", fx->source, fp->line, cp->name, fixed);
		return -EINVAL;
	}
	*idx_out = idx;
	snprintf(what, sizeof(what), "property '%s'", cp->name);
	return catalog_value(cp->type, fp->value, fx->source, fp->line, what,
			     canon, err, errsize);
}

/* ---- DP instances -------------------------------------------------------- */

enum dp_kind { KIND_STANDARD, KIND_PULL, KIND_PXE, KIND_CLOUD, KIND_COUNT };

static enum dp_kind kind_of(const char *kind)
{
	if (strcmp(kind, "pull") == 0)
		return KIND_PULL;
	if (strcmp(kind, "pxe") == 0)
		return KIND_PXE;
	if (strcmp(kind, "cloud") == 0)
		return KIND_CLOUD;
	return KIND_STANDARD;	/* the schema allows no other */
}

/* The properties each DP has a value of its own for, in this order. */
enum { DP_DESCRIPTION, DP_ID, DP_GUID, DP_NALPATH, DP_NAME, DP_SERVER, DP_OWN };
static const char *const dp_own_props[DP_OWN] = {
	"Description", "ID", "IdentityGUID", "NALPath", "Name", "ServerName",
};

struct catalog_dp_shape {
	const struct cim_class *cls;
	struct cim_instance *kind[KIND_COUNT];	/* the values a kind gives */
	int own[DP_OWN];			/* indices of dp_own_props */
};

/* The values a DP of kind k at site s has whoever it is. */
static int kind_template(const struct cim_class *c, const struct fixture_site *s,
			 enum dp_kind k, struct cim_instance **out)
{
	bool pull = k == KIND_PULL, pxe = k == KIND_PXE, cloud = k == KIND_CLOUD;
	struct cim_instance *i = cim_instance_new(c);
	const struct { const char *name, *value; } defaults[] = {
		{ "AddressScheduleEnabled", "false" },
		{ "BindPolicy", "false" },
		{ "BitsEnabled", "true" },
		{ "CertificateType", "false" },
		{ "Communication", cloud ? "1" : "0" },
		{ "DPFlags", "0" },
		{ "Drive", cloud ? "" : "E:" },
		{ "GroupCount", "0" },
		{ "HasRelationship", "false" },
		{ "HealthCheckEnabled", "true" },
		{ "HealthCheckPriority", "4" },
		{ "InternetFacing", cloud ? "true" : "false" },
		{ "IsActive", pxe ? "true" : "false" },
		{ "IsMulticast", "false" },
		{ "IsPeerDP", "false" },
		{ "IsProtected", "false" },
		{ "IsPullDP", pull ? "true" : "false" },
		{ "IsPXE", pxe ? "true" : "false" },
		{ "OperatingSystem", cloud ? NULL : "Microsoft Windows Server 2022 Standard" },
		{ "PreStagingAllowed", "false" },
		{ "Priority", "1" },
		{ "PXEPassword", "" },
		{ "RateLimitsEnabled", "false" },
		{ "ResourceType", "Windows NT Server" },
		{ "ResponseDelay", pxe ? "0" : NULL },
		{ "SiteCode", s->code },
		{ "SiteName", s->name },
		{ "SupportUnknownMachines", pxe ? "false" : NULL },
		{ "TransferRate", "0" },
		{ "UdaSetting", pxe ? "0" : NULL },
	};

	*out = NULL;
	if (!i)
		return -ENOMEM;
	for (size_t n = 0; n < sizeof(defaults) / sizeof(defaults[0]); n++)
		if (defaults[n].value &&
		    cim_instance_set_by_name(i, defaults[n].name, defaults[n].value)) {
			cim_instance_free(i);
			return -ENOMEM;
		}
	*out = i;
	return 0;
}

int catalog_dp_shape_new(const struct cim_class *c, const struct fixture_site *s,
			 struct catalog_dp_shape **out)
{
	struct catalog_dp_shape *sh = calloc(1, sizeof(*sh));

	*out = NULL;
	if (!sh)
		return -ENOMEM;
	sh->cls = c;
	for (int k = 0; k < DP_OWN; k++)
		sh->own[k] = cim_class_find_property(c, dp_own_props[k]);
	for (int k = 0; k < KIND_COUNT; k++)
		if (kind_template(c, s, (enum dp_kind)k, &sh->kind[k])) {
			catalog_dp_shape_free(sh);
			return -ENOMEM;
		}
	*out = sh;
	return 0;
}

void catalog_dp_shape_free(struct catalog_dp_shape *sh)
{
	if (!sh)
		return;
	for (int k = 0; k < KIND_COUNT; k++)
		cim_instance_free(sh->kind[k]);
	free(sh);
}

/* Sets the fixture's <property> values of d on i (NULL: only checks
 * them). 0, -EINVAL with the file and line in err, or -ENOMEM. */
static int fixture_props(const struct cim_class *c, const struct fixture *fx,
			 const struct fixture_dp *d, struct cim_instance *i,
			 char *err, size_t errsize)
{
	for (size_t k = 0; k < d->nprops; k++) {
		char *canon = NULL;
		int idx = -1;
		int r = fixture_prop_value(c, fx, &d->props[k], &idx, &canon,
					   err, errsize);

		if (!r && i)
			r = cim_instance_set(i, (size_t)idx, canon) ? -ENOMEM : 0;
		free(canon);
		if (r)
			return r;
	}
	return 0;
}

int catalog_dp_check(const struct cim_class *c, const struct fixture *fx,
		     const struct fixture_dp *d, char *err, size_t errsize)
{
	int r = fixture_props(c, fx, d, NULL, err, errsize);

	if (r == -ENOMEM)
		snprintf(err, errsize, "out of memory checking DP %s", d->fqdn);
	return r;
}

int catalog_dp_build(const struct catalog_dp_shape *sh, const struct fixture *fx,
		     const struct fixture_dp *d, unsigned id,
		     struct cim_instance **out, char *err, size_t errsize)
{
	char idtext[16], guid[40];
	struct cim_instance *i = cim_instance_clone(sh->kind[kind_of(d->kind)]);
	const char *own[DP_OWN];
	int r = -ENOMEM;

	*out = NULL;
	if (!i)
		goto fail;
	snprintf(idtext, sizeof(idtext), "%u", id);
	identity_guid(d->fqdn, guid);
	own[DP_DESCRIPTION] = d->description;
	own[DP_ID] = idtext;
	own[DP_GUID] = guid;
	own[DP_NALPATH] = d->nalpath;
	own[DP_NAME] = d->fqdn;
	own[DP_SERVER] = d->fqdn;
	for (int k = 0; k < DP_OWN; k++)
		if (own[k] && cim_instance_set(i, (size_t)sh->own[k], own[k]))
			goto fail;
	r = fixture_props(sh->cls, fx, d, i, err, errsize);
	if (r)
		goto fail;
	*out = i;
	return 0;
fail:
	cim_instance_free(i);
	if (r == -ENOMEM)
		snprintf(err, errsize, "out of memory building DP %s", d->fqdn);
	return r;
}

int catalog_dp_instance(const struct cim_class *c, const struct fixture *fx,
			const struct fixture_site *s, const struct fixture_dp *d,
			unsigned id, struct cim_instance **out,
			char *err, size_t errsize)
{
	struct catalog_dp_shape *sh;
	int r = catalog_dp_shape_new(c, s, &sh);

	*out = NULL;
	if (r) {
		snprintf(err, errsize, "out of memory building DP %s", d->fqdn);
		return r;
	}
	r = catalog_dp_build(sh, fx, d, id, out, err, errsize);
	catalog_dp_shape_free(sh);
	return r;
}
