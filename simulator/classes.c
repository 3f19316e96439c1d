/* classes: fixture-declared WMI classes as cim classes and instances.
 * See classes.h. */
#include "classes.h"

#include "catalog.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Canonical text of one <value> (*out malloc'd), by the conversion the
 * built-in classes use. */
static int convert(const struct fixture *fx, const struct fixture_class *fc,
		   const struct cim_property *cp, const struct fixture_prop *v,
		   char **out, char *err, size_t errsize)
{
	char what[300];

	snprintf(what, sizeof(what), "class %s, property %s", fc->name,
		 cp->name);
	return catalog_value(cp->type, v->value, fx->source, v->line, what,
			     out, err, errsize);
}

static int build_instance(const struct fixture *fx,
			  const struct fixture_class *fc,
			  const struct cim_class *cls,
			  const struct fixture_instance *fi,
			  struct cim_instance **out, char *err, size_t errsize)
{
	struct cim_instance *inst = cim_instance_new(cls);
	const struct cim_property *cp;
	char *canon;
	size_t k;
	int idx, rc;

	if (!inst)
		return -ENOMEM;
	for (k = 0; k < fi->nprops; k++) {
		const struct fixture_prop *v = &fi->props[k];

		idx = cim_class_find_property(cls, v->name);
		if (idx < 0) {
			snprintf(err, errsize, "%s:%u: class %s has no "
				 "property '%s'", fx->source, v->line,
				 fc->name, v->name);
			rc = -EINVAL;
			goto fail;
		}
		cp = cim_class_property(cls, (size_t)idx);
		rc = convert(fx, fc, cp, v, &canon, err, errsize);
		if (rc)
			goto fail;
		if (cp->flags & CIM_PROP_ARRAY)
			rc = cim_instance_append(inst, (size_t)idx, canon);
		else
			rc = cim_instance_set(inst, (size_t)idx, canon);
		free(canon);
		if (rc)
			goto fail;
	}
	*out = inst;
	return 0;
fail:
	cim_instance_free(inst);
	return rc;
}

static int build_class(const struct fixture *fx,
		       const struct fixture_site *site,
		       const struct fixture_class *fc, struct cim_class **out,
		       char *err, size_t errsize)
{
	struct cim_class *cls;
	enum cim_type t;
	char ns[300];
	size_t k;
	int rc;

	if (fc->ns)
		snprintf(ns, sizeof(ns), "%s", fc->ns);
	else
		snprintf(ns, sizeof(ns), "root/sms/site_%s", site->code);
	cls = cim_class_new(ns, fc->name);
	if (!cls)
		return -ENOMEM;
	for (k = 0; k < fc->nprops; k++) {
		const struct fixture_class_prop *p = &fc->props[k];
		unsigned flags = (p->key ? CIM_PROP_KEY : 0) |
				 (p->array ? CIM_PROP_ARRAY : 0);

		if (cim_type_parse(p->type, &t)) {
			snprintf(err, errsize, "%s:%u: class %s, property %s: "
				 "unknown type '%s'", fx->source, p->line,
				 fc->name, p->name, p->type);
			rc = -EINVAL;
			goto fail;
		}
		rc = cim_class_add_property(cls, p->name, t, flags);
		if (rc == -EEXIST) {
			snprintf(err, errsize, "%s:%u: class %s: property '%s' "
				 "is declared twice", fx->source, p->line,
				 fc->name, p->name);
			rc = -EINVAL;
		}
		if (rc < 0)
			goto fail;
	}
	*out = cls;
	return 0;
fail:
	cim_class_free(cls);
	return rc;
}

int classes_build(const struct fixture *fx, const struct fixture_site *site,
		  const struct fixture_class *fc, struct cim_class **cls_out,
		  struct cim_instance ***insts_out, size_t *ninsts_out,
		  char *err, size_t errsize)
{
	struct cim_class *cls = NULL;
	struct cim_instance **insts = NULL;
	size_t n = 0;
	int rc;

	*cls_out = NULL;
	*insts_out = NULL;
	*ninsts_out = 0;
	if (err && errsize)
		err[0] = '\0';
	else
		errsize = 0;	/* snprintf(NULL, 0, ...) only counts */
	rc = build_class(fx, site, fc, &cls, err, errsize);
	if (rc)
		goto fail;
	if (fc->ninstances &&
	    !(insts = calloc(fc->ninstances, sizeof(*insts)))) {
		rc = -ENOMEM;
		goto fail;
	}
	for (; n < fc->ninstances; n++) {
		rc = build_instance(fx, fc, cls, &fc->instances[n], &insts[n],
				    err, errsize);
		if (rc)
			goto fail;
	}
	*cls_out = cls;
	*insts_out = insts;
	*ninsts_out = n;
	return 0;
fail:
	if (rc == -ENOMEM && errsize)
		snprintf(err, errsize, "%s:%u: out of memory building class "
			 "%s", fx->source, fc->line, fc->name);
	classes_free_instances(insts, n);
	cim_class_free(cls);
	return rc;
}

/* ---- boundary groups --------------------------------------------------- */

/* The SDK's properties of each class, in MOF order. */
static const struct {
	const char *name;
	enum cim_type type;
	unsigned flags;
} bg_props[] = {
	{ "CreatedBy", CIM_STRING, 0 }, { "CreatedOn", CIM_DATETIME, 0 },
	{ "DefaultSiteCode", CIM_STRING, 0 }, { "Description", CIM_STRING, 0 },
	{ "GroupID", CIM_UINT32, CIM_PROP_KEY }, { "MemberCount", CIM_UINT32, 0 },
	{ "ModifiedBy", CIM_STRING, 0 }, { "ModifiedOn", CIM_DATETIME, 0 },
	{ "Name", CIM_STRING, 0 }, { "Shared", CIM_BOOLEAN, 0 },
	{ "SiteSystemCount", CIM_UINT32, 0 },
}, bgss_props[] = {
	{ "Flags", CIM_UINT32, 0 }, { "GroupID", CIM_UINT32, CIM_PROP_KEY },
	{ "ServerNALPath", CIM_STRING, CIM_PROP_KEY },
	{ "SiteCode", CIM_STRING, 0 },
};

/* A site's first boundary group is 16777217 (0x1000001), as the group
 * IDs of a new ConfigMgr site start. */
#define BG_FIRST_ID 16777217u

static const struct fixture_dp *site_dp(const struct fixture_site *s,
					const char *fqdn)
{
	for (size_t i = 0; i < s->ndps; i++)
		if (strcasecmp(s->dps[i].fqdn, fqdn) == 0)
			return &s->dps[i];
	return NULL;
}

int classes_boundary_groups(const struct fixture_site *site, int which,
			    struct cim_class **cls_out,
			    struct cim_instance ***insts_out, size_t *ninsts_out,
			    char *err, size_t errsize)
{
	const char *name = which ? "SMS_BoundaryGroupSiteSystems"
				 : "SMS_BoundaryGroup";
	size_t nprops = which ? sizeof(bgss_props) / sizeof(bgss_props[0])
			      : sizeof(bg_props) / sizeof(bg_props[0]);
	size_t total = 0, n = 0;
	struct cim_instance **insts = NULL;
	struct cim_class *cls;
	char ns[64], num[16];

	*cls_out = NULL;
	*insts_out = NULL;
	*ninsts_out = 0;
	snprintf(ns, sizeof(ns), "root/sms/site_%s", site->code);
	cls = cim_class_new(ns, name);
	if (!cls)
		goto nomem;
	for (size_t k = 0; k < nprops; k++) {
		const char *pn = which ? bgss_props[k].name : bg_props[k].name;
		enum cim_type t = which ? bgss_props[k].type : bg_props[k].type;
		unsigned f = which ? bgss_props[k].flags : bg_props[k].flags;

		if (cim_class_add_property(cls, pn, t, f) < 0)
			goto nomem;
	}
	for (size_t g = 0; g < site->ngroups; g++)
		total += which ? site->groups[g].ndps : 1;
	if (total && !(insts = calloc(total, sizeof(*insts))))
		goto nomem;
	for (size_t g = 0; g < site->ngroups; g++) {
		const struct fixture_boundary_group *bg = &site->groups[g];
		char id[16];

		snprintf(id, sizeof(id), "%u", BG_FIRST_ID + (unsigned)g);
		for (size_t m = 0; m < (which ? bg->ndps : 1); m++) {
			struct cim_instance *i = cim_instance_new(cls);
			const struct fixture_dp *dp = which
				? site_dp(site, bg->dp_fqdns[m]) : NULL;

			if (!i)
				goto nomem;
			insts[n++] = i;
			if (cim_instance_set_by_name(i, "GroupID", id))
				goto nomem;
			if (which) {
				/* the loader checked every member is a DP */
				if ((dp && cim_instance_set_by_name(
					     i, "ServerNALPath", dp->nalpath)) ||
				    cim_instance_set_by_name(i, "SiteCode",
							     site->code) ||
				    cim_instance_set_by_name(i, "Flags", "0"))
					goto nomem;
				continue;
			}
			snprintf(num, sizeof(num), "%zu", bg->ndps);
			/* dpsim has no boundaries (address ranges, subnets):
			 * MemberCount, their number, is 0. */
			if (cim_instance_set_by_name(i, "Name", bg->name) ||
			    (bg->description &&
			     cim_instance_set_by_name(i, "Description",
						      bg->description)) ||
			    cim_instance_set_by_name(i, "MemberCount", "0") ||
			    cim_instance_set_by_name(i, "SiteSystemCount", num))
				goto nomem;
		}
	}
	*cls_out = cls;
	*insts_out = insts;
	*ninsts_out = n;
	return 0;
nomem:
	classes_free_instances(insts, n);
	cim_class_free(cls);
	if (err && errsize)
		snprintf(err, errsize, "out of memory building %s of site %s",
			 name, site->code);
	return -ENOMEM;
}

void classes_free_instances(struct cim_instance **insts, size_t n)
{
	size_t i;

	if (!insts)
		return;
	for (i = 0; i < n; i++)
		cim_instance_free(insts[i]);
	free(insts);
}
