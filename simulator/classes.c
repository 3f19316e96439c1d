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

void classes_free_instances(struct cim_instance **insts, size_t n)
{
	size_t i;

	if (!insts)
		return;
	for (i = 0; i < n; i++)
		cim_instance_free(insts[i]);
	free(insts);
}
