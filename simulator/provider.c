#include "provider.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "hresult.h"
#include "log.h"
#include "resource.h"

/* SMS_DistributionPointInfo as documented (configmgr-domain.md §1.1), in
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

/* SMS_DistributionPoint is the package-to-DP association (§1.2); dpsim
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

enum class_kind {
	CLASS_STATIC,		/* fixed instances built at start */
	CLASS_DPINFO,		/* SMS_DistributionPointInfo of a site */
	CLASS_DP,		/* SMS_DistributionPoint of a site (no instances) */
};

struct dp_entry {
	struct cim_instance *inst;	/* template; MaintenanceMode unset */
	const char *nalpath;		/* points into inst */
	uint32_t mode;			/* committed mode, guarded by lock */
};

struct site {
	const struct fixture_site *fx;
	struct dp_entry *dps;		/* sorted by NAL path, ignoring case */
	size_t ndps;
};

struct class_entry {
	struct cim_class *cls;
	enum class_kind kind;
	struct site *site;		/* DPINFO / DP */
	struct instance_list statics;	/* STATIC */
};

struct provider {
	const struct fixture *fx;
	struct store *st;
	pthread_rwlock_t lock;		/* guards dp_entry.mode */
	struct class_entry **classes;	/* each allocated on its own, so
					 * pointers to entries stay valid */
	size_t nclasses;
	struct site *sites;
	size_t nsites;
	int mode_idx;			/* MaintenanceMode in the DP class */
};

void instance_list_free(struct instance_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++)
		cim_instance_free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->count = 0;
}

static int list_push(struct instance_list *l, struct cim_instance *inst)
{
	struct cim_instance **n = realloc(l->items, (l->count + 1) * sizeof(*n));
	if (!n) {
		cim_instance_free(inst);
		return -ENOMEM;
	}
	l->items = n;
	l->items[l->count++] = inst;
	return 0;
}

static int64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- building the model ------------------------------------------------ */

static struct class_entry *add_class(struct provider *p, const char *ns,
				     const char *name, enum class_kind kind)
{
	struct class_entry **n = realloc(p->classes, (p->nclasses + 1) * sizeof(*n));
	if (!n)
		return NULL;
	p->classes = n;
	struct class_entry *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->cls = cim_class_new(ns, name);
	if (!e->cls) {
		free(e);
		return NULL;
	}
	e->kind = kind;
	p->classes[p->nclasses++] = e;
	return e;
}

static int add_props(struct cim_class *c, const struct prop_def *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (cim_class_add_property(c, t[i].name, t[i].type, t[i].flags) < 0)
			return -ENOMEM;
	return 0;
}

#define ADD_PROPS(c, table) add_props((c), (table), sizeof(table) / sizeof((table)[0]))

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
static void value_reason(enum cim_type t, const char *why, char *out, size_t size)
{
	static const unsigned long long umax[] = {
		[CIM_UINT8] = UINT8_MAX, [CIM_UINT16] = UINT16_MAX,
		[CIM_UINT32] = UINT32_MAX, [CIM_UINT64] = UINT64_MAX,
	};

	if (!why)
		why = "invalid";
	if (t == CIM_BOOLEAN)
		snprintf(out, size, "use true, false, 1 or 0");
	else if (cim_type_is_integer(t) && !cim_type_is_signed(t))
		snprintf(out, size, "%s; use a whole number from 0 to %llu", why, umax[t]);
	else
		snprintf(out, size, "%s", why);
}

/* Checks one fixture <property> against the class and converts its value
 * to canonical text (*canon, malloc'd). The fixture keeps the text as
 * written; XML layout around a typed value ("<property> true </property>")
 * is not part of it, while a string keeps every character. 0, -EINVAL
 * with "FILE:LINE: ..." in err, or -ENOMEM. */
static int fixture_prop_value(const struct cim_class *c, const struct fixture *fx,
			      const struct fixture_prop *fp, int *idx_out,
			      char **canon, char *err, size_t errsize)
{
	int idx = cim_class_find_property(c, fp->name);
	const struct cim_property *cp;
	const char *why = NULL, *fixed;
	char *trimmed;
	size_t len;
	int r;

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
	const char *v = fp->value ? fp->value : "";
	if (cp->type != CIM_STRING)
		while (is_xml_space(*v))
			v++;
	len = strlen(v);
	if (cp->type != CIM_STRING)
		while (len > 0 && is_xml_space(v[len - 1]))
			len--;
	trimmed = strndup(v, len);
	if (!trimmed)
		return -ENOMEM;
	r = cim_value_canonical(cp->type, trimmed, canon, &why);
	if (r == -EINVAL) {
		char reason[96];
		value_reason(cp->type, why, reason, sizeof(reason));
		snprintf(err, errsize, "%s:%u: property '%s': '%s' is not a valid %s (%s)",
			 fx->source, fp->line, cp->name, trimmed,
			 cim_type_name(cp->type), reason);
	}
	free(trimmed);
	*idx_out = idx;
	return r;
}

/* Defaults by DP kind, then the fixture's own property values. */
static int build_dp_instance(const struct cim_class *c, const struct fixture *fx,
			     const struct fixture_site *s, const struct fixture_dp *d,
			     unsigned id, struct cim_instance **out,
			     char *err, size_t errsize)
{
	bool pull = strcmp(d->kind, "pull") == 0;
	bool pxe = strcmp(d->kind, "pxe") == 0;
	bool cloud = strcmp(d->kind, "cloud") == 0;
	char idtext[16], guid[40];
	struct cim_instance *i = cim_instance_new(c);
	if (!i)
		goto nomem;

	snprintf(idtext, sizeof(idtext), "%u", id);
	identity_guid(d->fqdn, guid);
	const struct { const char *name, *value; } defaults[] = {
		{ "AddressScheduleEnabled", "false" },
		{ "BindPolicy", "false" },
		{ "BitsEnabled", "true" },
		{ "CertificateType", "false" },
		{ "Communication", cloud ? "1" : "0" },
		{ "Description", d->description },
		{ "DPFlags", "0" },
		{ "Drive", cloud ? "" : "E:" },
		{ "GroupCount", "0" },
		{ "HasRelationship", "false" },
		{ "HealthCheckEnabled", "true" },
		{ "HealthCheckPriority", "4" },
		{ "ID", idtext },
		{ "IdentityGUID", guid },
		{ "InternetFacing", cloud ? "true" : "false" },
		{ "IsActive", pxe ? "true" : "false" },
		{ "IsMulticast", "false" },
		{ "IsPeerDP", "false" },
		{ "IsProtected", "false" },
		{ "IsPullDP", pull ? "true" : "false" },
		{ "IsPXE", pxe ? "true" : "false" },
		{ "NALPath", d->nalpath },
		{ "Name", d->fqdn },
		{ "OperatingSystem", cloud ? NULL : "Microsoft Windows Server 2022 Standard" },
		{ "PreStagingAllowed", "false" },
		{ "Priority", "1" },
		{ "PXEPassword", "" },
		{ "RateLimitsEnabled", "false" },
		{ "ResourceType", "Windows NT Server" },
		{ "ResponseDelay", pxe ? "0" : NULL },
		{ "ServerName", d->fqdn },
		{ "SiteCode", s->code },
		{ "SiteName", s->name },
		{ "SupportUnknownMachines", pxe ? "false" : NULL },
		{ "TransferRate", "0" },
		{ "UdaSetting", pxe ? "0" : NULL },
	};
	for (size_t k = 0; k < sizeof(defaults) / sizeof(defaults[0]); k++)
		if (defaults[k].value &&
		    cim_instance_set_by_name(i, defaults[k].name, defaults[k].value))
			goto nomem;

	for (size_t k = 0; k < d->nprops; k++) {
		char *canon = NULL;
		int idx = -1;
		int r = fixture_prop_value(c, fx, &d->props[k], &idx, &canon,
					   err, errsize);
		if (r == -ENOMEM)
			goto nomem;
		if (r) {
			cim_instance_free(i);
			return r;
		}
		r = cim_instance_set(i, (size_t)idx, canon);
		free(canon);
		if (r)
			goto nomem;
	}
	*out = i;
	return 0;
nomem:
	cim_instance_free(i);
	snprintf(err, errsize, "out of memory building DP %s", d->fqdn);
	return -ENOMEM;
}

static int cmp_dp(const void *a, const void *b)
{
	return strcasecmp(((const struct dp_entry *)a)->nalpath,
			  ((const struct dp_entry *)b)->nalpath);
}

static int build_site(struct provider *p, struct site *site,
		      const struct fixture_site *fs, const struct cim_class *dpc,
		      char *err, size_t errsize)
{
	site->fx = fs;
	site->dps = calloc(fs->ndps ? fs->ndps : 1, sizeof(*site->dps));
	if (!site->dps)
		return -ENOMEM;
	for (size_t k = 0; k < fs->ndps; k++) {
		struct dp_entry *e = &site->dps[k];
		int r = build_dp_instance(dpc, p->fx, fs, &fs->dps[k], (unsigned)k + 1,
					  &e->inst, err, errsize);
		if (r)
			return r;
		site->ndps++;
		e->nalpath = cim_instance_text(e->inst, "NALPath");
		e->mode = fs->dps[k].maintenance;
	}
	qsort(site->dps, site->ndps, sizeof(*site->dps), cmp_dp);
	return 0;
}

/* Runs once every site has been built, so a fixture error never leaves a
 * half-seeded database behind. The store keeps the mode across restarts;
 * the fixture's value only seeds a DP the store has not seen. */
static int seed_store(struct provider *p, char *err, size_t errsize)
{
	for (size_t s = 0; s < p->nsites; s++) {
		struct site *site = &p->sites[s];
		for (size_t k = 0; k < site->ndps; k++) {
			struct dp_entry *e = &site->dps[k];
			if (store_seed_dp(p->st, site->fx->code, e->nalpath, e->mode) ||
			    store_get_mode(p->st, site->fx->code, e->nalpath, &e->mode)) {
				snprintf(err, errsize, "cannot seed DP %s of site %s in the database",
					 e->nalpath, site->fx->code);
				return -EIO;
			}
		}
	}
	return 0;
}

static int add_static(struct class_entry *ce, const char *const *values, size_t n)
{
	struct cim_instance *i = cim_instance_new(ce->cls);
	if (!i)
		return -ENOMEM;
	for (size_t k = 0; k < n; k++) {
		if (values[k] && cim_instance_set(i, k, values[k])) {
			cim_instance_free(i);
			return -ENOMEM;
		}
	}
	return list_push(&ce->statics, i);
}

static int build_discovery(struct provider *p)
{
	struct class_entry *root_ns = add_class(p, "root", "__Namespace", CLASS_STATIC);
	if (!root_ns || cim_class_add_property(root_ns->cls, "Name", CIM_STRING, CIM_PROP_KEY) < 0)
		return -ENOMEM;
	const char *sms[] = { "sms" };
	if (add_static(root_ns, sms, 1))
		return -ENOMEM;

	struct class_entry *sms_ns = add_class(p, "root/sms", "__Namespace", CLASS_STATIC);
	if (!sms_ns || cim_class_add_property(sms_ns->cls, "Name", CIM_STRING, CIM_PROP_KEY) < 0)
		return -ENOMEM;
	struct class_entry *loc = add_class(p, "root/sms", "SMS_ProviderLocation", CLASS_STATIC);
	if (!loc ||
	    cim_class_add_property(loc->cls, "Machine", CIM_STRING, 0) < 0 ||
	    cim_class_add_property(loc->cls, "NamespacePath", CIM_STRING, 0) < 0 ||
	    cim_class_add_property(loc->cls, "ProviderForLocalSite", CIM_BOOLEAN, 0) < 0 ||
	    cim_class_add_property(loc->cls, "SiteCode", CIM_STRING, CIM_PROP_KEY) < 0)
		return -ENOMEM;

	for (size_t s = 0; s < p->fx->nsites; s++) {
		const struct fixture_site *fs = &p->fx->sites[s];
		char name[64], path[512];
		snprintf(name, sizeof(name), "site_%s", fs->code);
		snprintf(path, sizeof(path), "\\\\%s\\root\\sms\\site_%s", fs->provider, fs->code);
		const char *nsv[] = { name };
		const char *locv[] = { fs->provider, path, "true", fs->code };
		if (add_static(sms_ns, nsv, 1) || add_static(loc, locv, 4))
			return -ENOMEM;
	}
	return 0;
}

int provider_new(const struct fixture *fx, struct store *st,
		 struct provider **out, char *err, size_t errsize)
{
	struct provider *p = calloc(1, sizeof(*p));
	int r = -ENOMEM;

	*out = NULL;
	if (!p)
		goto fail;
	p->fx = fx;
	p->st = st;
	pthread_rwlock_init(&p->lock, NULL);
	p->sites = calloc(fx->nsites ? fx->nsites : 1, sizeof(*p->sites));
	if (!p->sites || build_discovery(p))
		goto fail;

	for (size_t s = 0; s < fx->nsites; s++) {
		const struct fixture_site *fs = &fx->sites[s];
		char ns[64];
		snprintf(ns, sizeof(ns), "root/sms/site_%s", fs->code);

		struct class_entry *info = add_class(p, ns, "SMS_DistributionPointInfo", CLASS_DPINFO);
		if (!info || ADD_PROPS(info->cls, dpinfo_props))
			goto fail;
		struct class_entry *dp = add_class(p, ns, "SMS_DistributionPoint", CLASS_DP);
		if (!dp || ADD_PROPS(dp->cls, dp_props))
			goto fail;
		info->site = dp->site = &p->sites[s];
		p->nsites++;
		r = build_site(p, &p->sites[s], fs, info->cls, err, errsize);
		if (r)
			goto fail_msg;
		p->mode_idx = cim_class_find_property(info->cls, "MaintenanceMode");
	}
	r = seed_store(p, err, errsize);
	if (r)
		goto fail_msg;
	*out = p;
	return 0;
fail:
	snprintf(err, errsize, "out of memory building the provider model");
fail_msg:
	provider_free(p);
	return r;
}

void provider_free(struct provider *p)
{
	if (!p)
		return;
	for (size_t s = 0; s < p->nsites; s++) {
		for (size_t k = 0; k < p->sites[s].ndps; k++)
			cim_instance_free(p->sites[s].dps[k].inst);
		free(p->sites[s].dps);
	}
	free(p->sites);
	/* Instances reference their class: free them first. */
	for (size_t c = 0; c < p->nclasses; c++) {
		instance_list_free(&p->classes[c]->statics);
		cim_class_free(p->classes[c]->cls);
		free(p->classes[c]);
	}
	free(p->classes);
	pthread_rwlock_destroy(&p->lock);
	free(p);
}

const char *provider_machine(const struct provider *p)
{
	return p->fx->nsites ? p->fx->sites[0].provider : "localhost";
}

/* ---- lookups ----------------------------------------------------------- */

static struct class_entry *find_entry(struct provider *p, const struct cim_class *c)
{
	for (size_t i = 0; i < p->nclasses; i++)
		if (p->classes[i]->cls == c)
			return p->classes[i];
	return NULL;
}

const struct cim_class *provider_class(struct provider *p, const char *ns,
				       const char *cls, uint32_t *hresult)
{
	bool ns_known = false;
	for (size_t i = 0; i < p->nclasses; i++) {
		if (!wsman_ns_equal(cim_class_namespace(p->classes[i]->cls), ns))
			continue;
		ns_known = true;
		if (strcasecmp(cim_class_name(p->classes[i]->cls), cls) == 0)
			return p->classes[i]->cls;
	}
	*hresult = ns_known ? WBEM_E_INVALID_CLASS : WBEM_E_INVALID_NAMESPACE;
	return NULL;
}

static struct dp_entry *find_dp(struct site *s, const char *nalpath)
{
	struct dp_entry key = { .nalpath = nalpath };
	return bsearch(&key, s->dps, s->ndps, sizeof(*s->dps), cmp_dp);
}

/* A copy of the DP's instance with its committed mode; lock held. */
static struct cim_instance *dp_snapshot(struct provider *p, const struct dp_entry *e)
{
	char mode[4];
	struct cim_instance *i = cim_instance_clone(e->inst);
	snprintf(mode, sizeof(mode), "%u", e->mode);
	if (i && cim_instance_set(i, (size_t)p->mode_idx, mode)) {
		cim_instance_free(i);
		return NULL;
	}
	return i;
}

/* ---- Get / Enumerate --------------------------------------------------- */

static bool keys_match(const struct cim_instance *i, const struct wsman_kv *keys,
		       size_t nkeys)
{
	for (size_t k = 0; k < nkeys; k++) {
		const char *v = cim_instance_text(i, keys[k].name);
		if (!v || !keys[k].value || strcasecmp(v, keys[k].value) != 0)
			return false;
	}
	return true;
}

uint32_t provider_get(struct provider *p, const struct caller *who,
		      const struct cim_class *c, const struct wsman_kv *keys,
		      size_t nkeys, struct cim_instance **out,
		      char *msg, size_t msgsize)
{
	struct instance_list all = { 0 };
	uint32_t hr = provider_enumerate(p, who, c, NULL, &all, msg, msgsize);

	*out = NULL;
	if (hr)
		return hr;
	for (size_t i = 0; i < all.count && !*out; i++) {
		if (keys_match(all.items[i], keys, nkeys)) {
			*out = all.items[i];
			all.items[i] = NULL;
		}
	}
	instance_list_free(&all);
	if (!*out) {
		snprintf(msg, msgsize, "No %s instance has the given key values.",
			 cim_class_name(c));
		return WBEM_E_NOT_FOUND;
	}
	return 0;
}

uint32_t provider_enumerate(struct provider *p, const struct caller *who,
			    const struct cim_class *c, const struct wql_query *q,
			    struct instance_list *out, char *msg, size_t msgsize)
{
	struct class_entry *ce = find_entry(p, c);
	int r = 0;

	out->items = NULL;
	out->count = 0;
	if (!ce) {
		snprintf(msg, msgsize, "Class %s is not served here.", cim_class_name(c));
		return WBEM_E_INVALID_CLASS;
	}
	if (ce->kind == CLASS_STATIC) {
		for (size_t i = 0; i < ce->statics.count && !r; i++) {
			if (q && !wql_query_match(q, ce->statics.items[i]))
				continue;
			struct cim_instance *copy = cim_instance_clone(ce->statics.items[i]);
			r = copy ? list_push(out, copy) : -ENOMEM;
		}
	} else if (ce->kind == CLASS_DPINFO) {
		pthread_rwlock_rdlock(&p->lock);
		for (size_t i = 0; i < ce->site->ndps && !r; i++) {
			struct cim_instance *copy = dp_snapshot(p, &ce->site->dps[i]);
			if (!copy) {
				r = -ENOMEM;
			} else if (q && !wql_query_match(q, copy)) {
				cim_instance_free(copy);
			} else {
				r = list_push(out, copy);
			}
		}
		pthread_rwlock_unlock(&p->lock);
	}
	if (r) {
		instance_list_free(out);
		snprintf(msg, msgsize, "Out of memory.");
		return WBEM_E_OUT_OF_MEMORY;
	}
	return 0;
}

/* ---- SetDPMaintenanceMode ---------------------------------------------- */

struct set_mode_args {
	const char *nalpath;
	const char *mode_text;
};

static uint32_t parse_set_mode_args(const struct wsman_kv *params, size_t n,
				    struct set_mode_args *a, uint32_t *mode,
				    char *msg, size_t msgsize)
{
	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < n; i++) {
		const char **slot = NULL;
		if (strcasecmp(params[i].name, "NALPath") == 0)
			slot = &a->nalpath;
		else if (strcasecmp(params[i].name, "Mode") == 0)
			slot = &a->mode_text;
		if (!slot) {
			snprintf(msg, msgsize, "SetDPMaintenanceMode has no parameter '%s'; "
				 "it takes NALPath and Mode.", params[i].name);
			return WBEM_E_INVALID_METHOD_PARAMETERS;
		}
		if (*slot) {
			snprintf(msg, msgsize, "Parameter '%s' is given twice.", params[i].name);
			return WBEM_E_INVALID_METHOD_PARAMETERS;
		}
		*slot = params[i].value ? params[i].value : "";
		if (!params[i].value) {
			snprintf(msg, msgsize, "Parameter '%s' is null; SetDPMaintenanceMode "
				 "needs a value.", params[i].name);
			return WBEM_E_INVALID_METHOD_PARAMETERS;
		}
	}
	if (!a->nalpath || !a->mode_text) {
		snprintf(msg, msgsize, "Parameter '%s' is missing; SetDPMaintenanceMode "
			 "takes NALPath and Mode.", a->nalpath ? "Mode" : "NALPath");
		return WBEM_E_INVALID_METHOD_PARAMETERS;
	}
	char *canon = NULL;
	const char *why = NULL;
	if (cim_value_canonical(CIM_UINT32, a->mode_text, &canon, &why)) {
		snprintf(msg, msgsize, "Mode '%s' is not a uint32 (%s).", a->mode_text,
			 why ? why : "invalid");
		return WBEM_E_TYPE_MISMATCH;
	}
	unsigned long v = strtoul(canon, NULL, 10);
	free(canon);
	if (v > 1) {
		snprintf(msg, msgsize, "Mode %lu is not valid: use 1 to enable or 0 to "
			 "disable maintenance mode.", v);
		return WBEM_E_INVALID_PARAMETER;
	}
	*mode = (uint32_t)v;
	return 0;
}

static void params_text(const struct wsman_kv *params, size_t n, char *out, size_t size)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++) {
		int w = snprintf(out + used, size - used, "%s%s=%s", i ? " " : "",
				 params[i].name, params[i].value ? params[i].value : "(null)");
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* Records a call that changed nothing; the journal keeps failures too. */
static void journal_failure(struct provider *p, struct journal_entry *je,
			    uint32_t hr, int64_t start)
{
	je->hresult = hr;
	je->latency_us = now_us() - start;
	if (store_journal_add(p->st, je))
		log_error("could not journal a failed %s call", je->method);
}

static uint32_t set_dp_mode(struct provider *p, const struct caller *who,
			    struct class_entry *ce, const char *method,
			    const struct wsman_kv *params, size_t nparams,
			    char *msg, size_t msgsize)
{
	int64_t start = now_us();
	struct set_mode_args a;
	uint32_t mode = 0, old = 0;
	char ptext[1024];
	const char *site = ce->site->fx->code;

	params_text(params, nparams, ptext, sizeof(ptext));
	struct journal_entry je = {
		.user = who->user, .protocol = who->protocol, .operation = "invoke",
		.site = site, .class_name = cim_class_name(ce->cls), .method = method,
		.params = ptext, .old_mode = -1, .new_mode = -1,
	};

	uint32_t hr = parse_set_mode_args(params, nparams, &a, &mode, msg, msgsize);
	je.nalpath = a.nalpath;
	if (!hr && !auth_role_can_modify(who->role)) {
		snprintf(msg, msgsize, "User '%s' (%s) lacks Modify permission on the "
			 "Site class needed to change maintenance mode.", who->user,
			 who->role ? who->role : "no role");
		hr = WBEM_E_ACCESS_DENIED;
	}
	if (hr)
		goto journal;

	pthread_rwlock_wrlock(&p->lock);
	struct dp_entry *e = find_dp(ce->site, a.nalpath);
	if (!e) {
		pthread_rwlock_unlock(&p->lock);
		snprintf(msg, msgsize, "No distribution point with NAL path '%s' in site %s.",
			 a.nalpath, site);
		hr = WBEM_E_NOT_FOUND;
		goto journal;
	}
	je.nalpath = e->nalpath;	/* the DP's own spelling, not the caller's */
	je.latency_us = now_us() - start;
	int r = store_set_mode(p->st, site, e->nalpath, mode, &je, &old);
	if (r == 0)
		e->mode = mode;
	pthread_rwlock_unlock(&p->lock);
	if (r) {
		snprintf(msg, msgsize, "The change could not be saved (%s).", strerror(-r));
		log_error("store_set_mode %s %s: %s", site, a.nalpath, strerror(-r));
		return WBEM_E_PROVIDER_FAILURE;
	}
	log_info("%s set %s mode %u -> %u (%s)", who->user, e->nalpath, old, mode, who->protocol);
	return 0;

journal:
	journal_failure(p, &je, hr, start);
	return hr;
}

uint32_t provider_invoke(struct provider *p, const struct caller *who,
			 const struct cim_class *c, const char *method,
			 const struct wsman_kv *params, size_t nparams,
			 uint32_t *return_value, char *msg, size_t msgsize)
{
	struct class_entry *ce = find_entry(p, c);

	*return_value = 0;
	if (ce && (ce->kind == CLASS_DPINFO || ce->kind == CLASS_DP) &&
	    strcasecmp(method, "SetDPMaintenanceMode") == 0)
		return set_dp_mode(p, who, ce, "SetDPMaintenanceMode", params, nparams,
				   msg, msgsize);
	int64_t start = now_us();
	char ptext[1024];
	params_text(params, nparams, ptext, sizeof(ptext));
	struct journal_entry je = {
		.user = who->user, .protocol = who->protocol, .operation = "invoke",
		.site = ce && ce->site ? ce->site->fx->code : NULL,
		.class_name = cim_class_name(c), .method = method, .params = ptext,
		.old_mode = -1, .new_mode = -1,
	};
	snprintf(msg, msgsize, "Class %s has no method '%s'.", cim_class_name(c), method);
	journal_failure(p, &je, WBEM_E_INVALID_METHOD, start);
	return WBEM_E_INVALID_METHOD;
}
