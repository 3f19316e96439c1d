#include "provider.h"

#include "completion.h"

#include <errno.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "catalog.h"
#include "classes.h"
#include "fault_json.h"
#include "hresult.h"
#include "log.h"
#include "num.h"
#include "predicate.h"
#include "statmsg.h"

enum class_kind {
	CLASS_ROOT_NS,		/* root: __Namespace, fixed instances */
	CLASS_SMS_NS,		/* root/sms: __Namespace, one per site */
	CLASS_PROVLOC,		/* root/sms: SMS_ProviderLocation, one per site */
	CLASS_DPINFO,		/* SMS_DistributionPointInfo of a site */
	CLASS_DP,		/* SMS_DistributionPoint of a site (no instances) */
	CLASS_FIXTURE,		/* a class the site's fixture declares, with its
				 * instances as written */
	CLASS_STATMSG,		/* SMS_StatusMessage of a site (the store's) */
	CLASS_STATMSG_INS,	/* SMS_StatMsgInsStrings of a site */
};

#define CODE_SIZE 16

/* A DP keeps no instance: one is made from its fixture entry at each
 * read (catalog_dp_build), so a site of 100 000 DPs costs the fixture's
 * memory and no more. */
struct dp_entry {
	const char *nalpath;		/* fx's */
	const struct fixture_dp *fx;
	unsigned id;			/* its ID property: 1 + its place in
					 * the fixture */
	uint32_t mode;			/* committed mode, guarded by lock */
	/* The store's commit order of that mode (store_write_end), guarded
	 * by lock: a change is mirrored here only when it was committed
	 * after the mode shown (Group commit in docs/architecture.md). */
	uint64_t mode_seq;
};

/* A fixture document added at run time, shared by the sites it made. */
struct site_doc {
	struct fixture *fx;
	unsigned refs;			/* its sites; atomic: a site's last
					 * reference may be a cursor's */
};

struct site {
	const struct fixture_site *fx;	/* in doc, or in the start-up fixture */
	const struct fixture *src;	/* the fixture fx is in */
	struct site_doc *doc;		/* NULL: the start-up fixture's */
	struct catalog_dp_shape *shape;	/* what its DPs' instances share */
	char code[CODE_SIZE];
	struct provider_class *info, *dp;
	struct provider_class *statmsg, *insstr;	/* CLASS_STATMSG(_INS) */
	struct provider_class **declared;	/* CLASS_FIXTURE entries */
	size_t ndeclared;
	struct dp_entry *dps;		/* sorted by NAL path, ignoring case */
	size_t ndps;
	uint32_t *by_name;		/* indices into dps sorted by fqdn
					 * (Name, ServerName), ignoring case */
	unsigned refs;			/* the provider's, while the site is
					 * built or served, and each cursor's
					 * walking it; atomic (site_free) */
};

/* Class entries live as long as the provider: a class pointer handed out
 * never dangles. A site's entries are made when its code is first served
 * and reused when a site of that code comes back. */
struct provider_class {
	struct cim_class *cls;
	enum class_kind kind;
	char code[CODE_SIZE];		/* a site's class: the site code */
	struct site *site;		/* a site's class: the site served,
					 * or NULL once it is gone; under
					 * lock */
	struct instance_list statics;	/* ROOT_NS, FIXTURE */
};

struct provider {
	const struct fixture *fx;
	struct store *st;
	struct faults *faults;
	struct journal *journal;
	/* Guards the classes array, the sites array, provider_class.site and
	 * dp_entry.mode. Lock order: this, then the store's and the fault
	 * list's own locks. */
	pthread_rwlock_t lock;
	struct provider_class **classes;
	size_t nclasses;
	struct site **sites;		/* served, in the order added */
	size_t nsites;
	size_t sites_cap;
	int mode_idx;			/* MaintenanceMode in the DP class */
	size_t max_sites;		/* 0: no cap */
	size_t max_snapshots;		/* 0: no cap */
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

/* ---- classes ------------------------------------------------------------- */

static bool is_statmsg_kind(enum class_kind k)
{
	return k == CLASS_STATMSG || k == CLASS_STATMSG_INS;
}

static bool is_site_kind(enum class_kind k)
{
	return k == CLASS_DPINFO || k == CLASS_DP || k == CLASS_FIXTURE ||
	       is_statmsg_kind(k);
}

static bool is_dp_kind(enum class_kind k)
{
	return k == CLASS_DPINFO || k == CLASS_DP;
}

/* A class's site is written under the write lock, and read under the
 * lock everywhere but enter(), which only asks whether it is served
 * before the call's one trip under the lock: atomic, so that look is
 * not a data race. */
static void site_publish(struct provider_class *e, struct site *s)
{
	__atomic_store_n(&e->site, s, __ATOMIC_RELEASE);
}

static bool site_served(const struct provider_class *e)
{
	return __atomic_load_n(&e->site, __ATOMIC_ACQUIRE) != NULL;
}

/* Registers cls (taken over, freed with the provider; also on failure).
 * Entries are never removed while the provider lives, so pointers to them
 * and to their classes stay valid for requests in flight. */
static struct provider_class *adopt_class(struct provider *p, struct cim_class *cls,
				       enum class_kind kind)
{
	struct provider_class **n = realloc(p->classes, (p->nclasses + 1) * sizeof(*n));
	struct provider_class *e = n ? calloc(1, sizeof(*e)) : NULL;
	if (n)
		p->classes = n;
	if (!e || !cls) {
		free(e);
		cim_class_free(cls);
		return NULL;
	}
	e->cls = cls;
	e->kind = kind;
	p->classes[p->nclasses++] = e;
	return e;
}

static struct provider_class *add_class(struct provider *p, const char *ns,
				     enum catalog_class which, enum class_kind kind)
{
	return adopt_class(p, catalog_class_new(which, ns), kind);
}

/* Serves cls, with its instances insts (n of them, taken over), as a
 * class site s declares. */
static int declare_class(struct provider *p, struct site *s,
			 const struct fixture_site *fs, struct cim_class *cls,
			 struct cim_instance **insts, size_t n)
{
	struct provider_class *e = adopt_class(p, cls, CLASS_FIXTURE);
	if (!e) {
		classes_free_instances(insts, n);
		return -ENOMEM;
	}
	e->statics.items = insts;
	e->statics.count = n;
	snprintf(e->code, sizeof(e->code), "%s", fs->code);
	s->declared[s->ndeclared++] = e;
	return 0;
}

/* The classes site fs declares, each a new entry (a site added again
 * later may declare them differently); instances converted by classes.c
 * with file:line errors. */
static int declared_classes(struct provider *p, struct site *s,
			    const struct fixture *src, const struct fixture_site *fs,
			    char *err, size_t errsize)
{
	s->declared = calloc(fs->nclasses + 2, sizeof(*s->declared));
	if (!s->declared)
		return -ENOMEM;
	for (size_t k = 0; k < fs->nclasses; k++) {
		struct cim_class *cls;
		struct cim_instance **insts;
		size_t n;
		int r = classes_build(src, fs, &fs->classes[k], &cls, &insts, &n, err, errsize);
		if (r)
			return r;
		r = declare_class(p, s, fs, cls, insts, n);
		if (r)
			return r;
	}
	/* The boundary groups as their WMI classes, unless the fixture
	 * declares a class of that name itself. */
	for (int which = 0; which < 2; which++) {
		const char *name = which ? "SMS_BoundaryGroupSiteSystems"
					 : "SMS_BoundaryGroup";
		struct cim_class *cls;
		struct cim_instance **insts;
		size_t n;
		bool declared = false;

		for (size_t k = 0; k < fs->nclasses; k++)
			declared |= strcasecmp(fs->classes[k].name, name) == 0;
		if (declared)
			continue;
		int r = classes_boundary_groups(fs, which, &cls, &insts, &n,
						err, errsize);
		if (r)
			return r;
		r = declare_class(p, s, fs, cls, insts, n);
		if (r)
			return r;
	}
	return 0;
}

/* The DP classes of site code, made the first time the code is served;
 * write lock held (or the provider not shared yet). */
static int site_classes(struct provider *p, const char *code,
			struct provider_class **info, struct provider_class **dp)
{
	char ns[64];

	*info = *dp = NULL;
	for (size_t i = 0; i < p->nclasses; i++) {
		struct provider_class *e = p->classes[i];

		if (!is_dp_kind(e->kind) || strcasecmp(e->code, code) != 0)
			continue;
		if (e->kind == CLASS_DPINFO)
			*info = e;
		else
			*dp = e;
	}
	if (*info && *dp)
		return 0;
	snprintf(ns, sizeof(ns), "root/sms/site_%s", code);
	*info = add_class(p, ns, CATALOG_DP_INFO, CLASS_DPINFO);
	if (!*info)
		return -ENOMEM;
	snprintf((*info)->code, sizeof((*info)->code), "%s", code);
	*dp = add_class(p, ns, CATALOG_DP, CLASS_DP);
	if (!*dp)
		return -ENOMEM;
	snprintf((*dp)->code, sizeof((*dp)->code), "%s", code);
	return 0;
}

/* The status message classes of site code, made the first time the code
 * is served as site_classes() makes the DP classes; write lock held (or
 * the provider not shared yet). */
static int site_statmsg_classes(struct provider *p, const char *code,
				struct provider_class **msg,
				struct provider_class **ins)
{
	char ns[64];

	*msg = *ins = NULL;
	for (size_t i = 0; i < p->nclasses; i++) {
		struct provider_class *e = p->classes[i];

		if (!is_statmsg_kind(e->kind) || strcasecmp(e->code, code) != 0)
			continue;
		if (e->kind == CLASS_STATMSG)
			*msg = e;
		else
			*ins = e;
	}
	if (*msg && *ins)
		return 0;
	snprintf(ns, sizeof(ns), "root/sms/site_%s", code);
	*msg = add_class(p, ns, CATALOG_STATUS_MESSAGE, CLASS_STATMSG);
	if (!*msg)
		return -ENOMEM;
	snprintf((*msg)->code, sizeof((*msg)->code), "%s", code);
	*ins = add_class(p, ns, CATALOG_STATMSG_INSSTRINGS, CLASS_STATMSG_INS);
	if (!*ins)
		return -ENOMEM;
	snprintf((*ins)->code, sizeof((*ins)->code), "%s", code);
	return 0;
}

static int add_static(struct provider_class *ce, const char *const *values, size_t n)
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

/* root/sms's __Namespace and SMS_ProviderLocation list the sites served
 * when asked, so they follow sites being added and removed. */
static int build_discovery(struct provider *p)
{
	struct provider_class *root_ns = add_class(p, "root", CATALOG_NAMESPACE, CLASS_ROOT_NS);
	if (!root_ns)
		return -ENOMEM;
	const char *sms[] = { "sms" };
	if (add_static(root_ns, sms, 1))
		return -ENOMEM;

	struct provider_class *sms_ns = add_class(p, "root/sms", CATALOG_NAMESPACE, CLASS_SMS_NS);
	struct provider_class *loc = add_class(p, "root/sms", CATALOG_PROVIDER_LOCATION,
					    CLASS_PROVLOC);
	return sms_ns && loc ? 0 : -ENOMEM;
}

/* ---- sites ------------------------------------------------------------- */

static int cmp_dp(const void *a, const void *b)
{
	return strcasecmp(((const struct dp_entry *)a)->nalpath,
			  ((const struct dp_entry *)b)->nalpath);
}

/* qsort_r's context: the site whose dps the indices point into */
static int cmp_name_idx(const void *a, const void *b, void *ctx)
{
	const struct site *s = ctx;

	return strcasecmp(s->dps[*(const uint32_t *)a].fx->fqdn,
			  s->dps[*(const uint32_t *)b].fx->fqdn);
}

/* The Name index of s (its dps sorted already). 0 or -ENOMEM. */
static int index_names(struct site *s)
{
	s->by_name = malloc((s->ndps ? s->ndps : 1) * sizeof(*s->by_name));
	if (!s->by_name)
		return -ENOMEM;
	for (size_t i = 0; i < s->ndps; i++)
		s->by_name[i] = (uint32_t)i;
	qsort_r(s->by_name, s->ndps, sizeof(*s->by_name), cmp_name_idx, s);
	return 0;
}

static void doc_release(struct site_doc *doc)
{
	if (doc && __atomic_sub_fetch(&doc->refs, 1, __ATOMIC_ACQ_REL) == 0) {
		fixture_free(doc->fx);
		free(doc);
	}
}

/* Drops a reference to s: the provider's (a site no longer served, or
 * never served) or a cursor's; the last one frees it. A site is
 * retired, never changed, once it is no longer served, so a cursor
 * walking it needs no lock to keep it (its class entries belong to the
 * provider and outlive it). */
static void site_free(struct site *s)
{
	if (!s || __atomic_sub_fetch(&s->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	catalog_dp_shape_free(s->shape);
	free(s->dps);
	free(s->by_name);
	free(s->declared);	/* the entries belong to the provider */
	doc_release(s->doc);
	free(s);
}

/* A site of fixture site fs (from doc, or the start-up fixture when doc
 * is NULL; src names the file for messages). Not served yet. */
static int build_site(struct provider *p, const struct fixture_site *fs,
		      struct site_doc *doc, const struct fixture *src,
		      struct site **out, char *err, size_t errsize)
{
	struct site *s = calloc(1, sizeof(*s));
	int r = -ENOMEM;

	*out = NULL;
	if (!s)
		goto nomem;
	s->fx = fs;
	s->src = src;
	s->doc = doc;
	if (doc)
		__atomic_add_fetch(&doc->refs, 1, __ATOMIC_ACQ_REL);
	s->refs = 1;
	snprintf(s->code, sizeof(s->code), "%s", fs->code);
	s->dps = calloc(fs->ndps ? fs->ndps : 1, sizeof(*s->dps));
	if (!s->dps || site_classes(p, fs->code, &s->info, &s->dp) ||
	    site_statmsg_classes(p, fs->code, &s->statmsg, &s->insstr) ||
	    catalog_dp_shape_new(s->info->cls, fs, &s->shape))
		goto nomem;
	for (size_t k = 0; k < fs->ndps; k++) {
		struct dp_entry *e = &s->dps[k];

		/* Checked now, so that building it at a read cannot fail
		 * but for memory. */
		r = catalog_dp_check(s->info->cls, src, &fs->dps[k], err, errsize);
		if (r)
			goto fail;
		s->ndps++;
		e->nalpath = fs->dps[k].nalpath;
		e->fx = &fs->dps[k];
		e->id = (unsigned)k + 1;
		e->mode = fs->dps[k].maintenance;
		e->mode_seq = store_reset_seq(p->st);
	}
	qsort(s->dps, s->ndps, sizeof(*s->dps), cmp_dp);
	if (index_names(s))
		goto nomem;
	r = declared_classes(p, s, src, fs, err, errsize);
	if (r == -ENOMEM)
		goto nomem;
	if (r)
		goto fail;
	*out = s;
	return 0;
nomem:
	snprintf(err, errsize, "out of memory building site %s", fs->code);
	r = -ENOMEM;
fail:
	site_free(s);
	return r;
}

/* Index of the site served as code, or -1; lock held. */
static ssize_t find_site(struct provider *p, const char *code)
{
	for (size_t i = 0; i < p->nsites; i++)
		if (strcasecmp(p->sites[i]->code, code) == 0)
			return (ssize_t)i;
	return -1;
}

/* Room for extra more sites, so that activating them cannot fail;
 * write lock held. 0 or -ENOMEM. */
static int reserve_sites(struct provider *p, size_t extra)
{
	struct site **n;

	if (p->nsites + extra <= p->sites_cap)
		return 0;
	n = realloc(p->sites, (p->nsites + extra) * sizeof(*n));
	if (!n)
		return -ENOMEM;
	p->sites = n;
	p->sites_cap = p->nsites + extra;
	return 0;
}

/* Starts serving s; write lock held. Fails only without reserve_sites. */
static int activate(struct provider *p, struct site *s)
{
	if (reserve_sites(p, 1))
		return -ENOMEM;
	p->sites[p->nsites++] = s;
	site_publish(s->info, s);
	site_publish(s->dp, s);
	site_publish(s->statmsg, s);
	site_publish(s->insstr, s);
	for (size_t k = 0; k < s->ndeclared; k++)
		site_publish(s->declared[k], s);
	return 0;
}

/* Stops serving site i and returns it; write lock held. */
static struct site *deactivate(struct provider *p, size_t i)
{
	struct site *s = p->sites[i];

	memmove(&p->sites[i], &p->sites[i + 1],
		(p->nsites - i - 1) * sizeof(*p->sites));
	p->nsites--;
	site_publish(s->info, NULL);
	site_publish(s->dp, NULL);
	site_publish(s->statmsg, NULL);
	site_publish(s->insstr, NULL);
	for (size_t k = 0; k < s->ndeclared; k++)
		site_publish(s->declared[k], NULL);
	return s;
}

/* Modes back to the fixture's, as of the store_reset of s's site just
 * made; write lock held. */
static void reset_modes(struct provider *p, struct site *s)
{
	for (size_t k = 0; k < s->ndps; k++) {
		s->dps[k].mode = s->dps[k].fx->maintenance;
		s->dps[k].mode_seq = store_reset_seq(p->st);
	}
}

/* The fixture's modes of the sites' DPs, for the store (malloc'd;
 * borrowed strings). */
static struct store_seed *site_seeds(struct site *const *sites, size_t n,
				     size_t *count)
{
	size_t total = 0, k = 0;
	struct store_seed *seeds;

	for (size_t i = 0; i < n; i++)
		total += sites[i]->ndps;
	seeds = calloc(total ? total : 1, sizeof(*seeds));
	if (!seeds)
		return NULL;
	for (size_t i = 0; i < n; i++)
		for (size_t d = 0; d < sites[i]->ndps; d++) {
			const struct dp_entry *e = &sites[i]->dps[d];

			seeds[k++] = (struct store_seed){
				.site = sites[i]->code, .nalpath = e->nalpath,
				.mode = e->fx->maintenance,
			};
		}
	*count = total;
	return seeds;
}

/* Runs once every site has been built, so a fixture error never leaves a
 * half-seeded database behind. The store keeps the mode across restarts;
 * the fixture's value only seeds a DP the store has not seen. A database
 * seeded from the same fixture before (its digest) is only read back:
 * the seeds are in the order the store walks (site, then NAL path
 * ignoring case), so that costs one pass. */
static int seed_store(struct provider *p, char *err, size_t errsize)
{
	size_t n, k = 0;
	struct store_seed *seeds = site_seeds(p->sites, p->nsites, &n);
	bool skipped = false;
	int r;

	if (!seeds) {
		snprintf(err, errsize, "out of memory seeding the database");
		return -ENOMEM;
	}
	r = store_seed_from(p->st, seeds, n, p->fx->digest[0] ? p->fx->digest : NULL,
			    &skipped);
	if (!r)
		log_debug("seeding: %zu DPs %s", n, skipped ?
			  "read back, not seeded: the database was seeded from "
			  "this fixture (same digest) and holds every DP" :
			  "seeded (new or changed fixture, or rows missing)");
	if (r) {
		snprintf(err, errsize, "cannot seed the %zu DPs in the "
			 "database: %s", n, strerror(-r));
	} else {
		/* site_seeds lists the DPs site by site, in order */
		for (size_t s = 0; s < p->nsites; s++)
			for (size_t d = 0; d < p->sites[s]->ndps; d++)
				p->sites[s]->dps[d].mode = seeds[k++].mode;
	}
	free(seeds);
	return r;
}

/* Adds the fixture's fault rules of s, all or none, as fixture rules so a
 * reset keeps them. The fixture was checked at load, so only -ENOMEM
 * is expected; err says what failed. */
static int site_fault_rules(struct provider *p, const struct site *s,
			    char *err, size_t errsize)
{
	struct fault_rule *rules;
	size_t n = 0;
	int r = 0;

	if (!s->fx->nrules)
		return 0;
	rules = calloc(s->fx->nrules, sizeof(*rules));
	if (!rules)
		return -ENOMEM;
	for (; n < s->fx->nrules && !r; n++) {
		r = fixture_fault_rule_build(&s->fx->rules[n], s->code,
					     &rules[n], err, errsize);
		rules[n].from_fixture = true;
	}
	if (!r)
		r = faults_add(p->faults, rules, n, NULL);
	if (r == -ENOSPC)
		snprintf(err, errsize, "the %zu fault rule(s) of site %s would "
			 "pass --max-fault-rules %zu (%zu held now)", n, s->code,
			 faults_max(p->faults), faults_count(p->faults, NULL));
	fault_rules_free(rules, n);
	return r;
}

/* ---- life ---------------------------------------------------------------- */

int provider_new(const struct fixture *fx, struct store *st,
		 struct provider **out, char *err, size_t errsize)
{
	struct provider_options o = { .seed = 0, .journal_max = 0 };

	return provider_new_opts(fx, st, &o, out, err, errsize);
}

int provider_new_opts(const struct fixture *fx, struct store *st,
		      const struct provider_options *o,
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
	p->faults = faults_new(o->seed);
	p->journal = journal_new(st, o->journal_max);
	p->max_sites = o->max_sites;
	p->max_snapshots = o->max_snapshots;
	if (!p->faults || !p->journal || build_discovery(p))
		goto fail;
	faults_set_max(p->faults, o->max_fault_rules);
	store_set_statmsg_max(st, o->statmsg_max);
	if (p->max_sites && fx->nsites > p->max_sites) {
		snprintf(err, errsize, "the fixtures have %zu sites, more than "
			 "--max-sites %zu", fx->nsites, p->max_sites);
		r = -ENOSPC;
		goto fail_msg;
	}
	p->mode_idx = catalog_prop_index(CATALOG_DP_INFO, "MaintenanceMode");

	for (size_t s = 0; s < fx->nsites; s++) {
		struct site *site;

		r = build_site(p, &fx->sites[s], NULL, fx, &site, err, errsize);
		if (r)
			goto fail_msg;
		if (activate(p, site)) {
			site_free(site);
			r = -ENOMEM;
			goto fail;
		}
		r = site_fault_rules(p, site, err, errsize);
		if (r)
			goto fail_msg;
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
	for (size_t s = 0; s < p->nsites; s++)
		site_free(p->sites[s]);
	free(p->sites);
	/* Instances reference their class: free them first. */
	for (size_t c = 0; c < p->nclasses; c++) {
		instance_list_free(&p->classes[c]->statics);
		cim_class_free(p->classes[c]->cls);
		free(p->classes[c]);
	}
	free(p->classes);
	faults_free(p->faults);
	journal_free(p->journal);
	pthread_rwlock_destroy(&p->lock);
	free(p);
}

struct faults *provider_faults(struct provider *p)
{
	return p->faults;
}

struct journal *provider_journal(struct provider *p)
{
	return p->journal;
}

void provider_shutdown(struct provider *p)
{
	faults_shutdown(p->faults);
}

const char *provider_machine(const struct provider *p)
{
	return p->fx->nsites ? p->fx->sites[0].provider : "localhost";
}

/* ---- lookups ----------------------------------------------------------- */

/* Lock held. */
const struct provider_class *provider_class(struct provider *p, const char *ns,
					    const char *cls, uint32_t *hresult)
{
	const struct provider_class *found = NULL;
	bool ns_known = false;

	pthread_rwlock_rdlock(&p->lock);
	for (size_t i = 0; i < p->nclasses && !found; i++) {
		struct provider_class *e = p->classes[i];

		if (is_site_kind(e->kind) && !e->site)
			continue;	/* its site is not served */
		if (!cim_namespace_equal(cim_class_namespace(e->cls), ns))
			continue;
		ns_known = true;
		if (strcasecmp(cim_class_name(e->cls), cls) == 0)
			found = e;
	}
	pthread_rwlock_unlock(&p->lock);
	if (!found)
		*hresult = ns_known ? WBEM_E_INVALID_CLASS : WBEM_E_INVALID_NAMESPACE;
	return found;
}

const struct cim_class *provider_class_cim(const struct provider_class *c)
{
	return c->cls;
}

int provider_classes(struct provider *p, const char *ns,
		     const struct provider_class ***out, size_t *n)
{
	const struct provider_class **list = NULL;
	int r = 0;

	*out = NULL;
	*n = 0;
	pthread_rwlock_rdlock(&p->lock);
	for (size_t i = 0; i < p->nclasses; i++) {
		struct provider_class *e = p->classes[i];
		const struct provider_class **grown;

		if (is_site_kind(e->kind) && !e->site)
			continue;	/* its site is not served */
		if (!cim_namespace_equal(cim_class_namespace(e->cls), ns))
			continue;
		grown = realloc(list, (*n + 1) * sizeof(*list));
		if (!grown) {
			r = -ENOMEM;
			break;
		}
		list = grown;
		list[(*n)++] = e;
	}
	pthread_rwlock_unlock(&p->lock);
	if (r) {
		free(list);
		*n = 0;
		return r;
	}
	*out = list;
	return 0;
}

static struct dp_entry *find_dp(struct site *s, const char *nalpath)
{
	struct dp_entry key = { .nalpath = nalpath };
	return bsearch(&key, s->dps, s->ndps, sizeof(*s->dps), cmp_dp);
}

/* The DP's instance with its committed mode, the caller's; lock held.
 * NULL when out of memory (the DP was checked when its site was built). */
static struct cim_instance *dp_snapshot(struct provider *p, const struct site *s,
					const struct dp_entry *e)
{
	char mode[12], err[256];
	struct cim_instance *i;

	if (catalog_dp_build(s->shape, s->src, e->fx, e->id, &i, err, sizeof(err)))
		return NULL;
	snprintf(mode, sizeof(mode), "%u", e->mode);
	if (cim_instance_set(i, (size_t)p->mode_idx, mode)) {
		cim_instance_free(i);
		return NULL;
	}
	return i;
}

/* Adds i to out when where lets it through (NULL: all); takes i. */
static int push_match(struct instance_list *out, struct cim_instance *i,
		      const struct predicate *where)
{
	if (!i)
		return -ENOMEM;
	if (where && !predicate_match(where, i)) {
		cim_instance_free(i);
		return 0;
	}
	return list_push(out, i);
}

/* ---- the DP index ---------------------------------------------------------
 *
 * A WQL query on SMS_DistributionPointInfo is answered from the DPs its
 * WHERE can only match, never by building all of them: predicate_terms()
 * names the conditions every match meets (predicate.h), and the narrowest
 * of these picks the candidates. NALPath uses the order dps is kept in,
 * Name and ServerName the by_name index, each for equality and for a
 * prefix (LIKE 'DP0%', startswith); SiteCode is all or none; and
 * MaintenanceMode = 0 or 1 skips the other DPs without building them.
 * Each candidate is then matched by the whole predicate, so the answer
 * is the one a scan gives, in the same order.
 */

/* Candidates: positions lo..hi-1 of an index (NULL idx: of dps). */
struct dp_range {
	const uint32_t *idx;
	size_t lo, hi;
};

static const char *index_key(const struct site *s, const uint32_t *idx, size_t i)
{
	const struct dp_entry *e = &s->dps[idx ? idx[i] : i];

	return idx ? e->fx->fqdn : e->nalpath;
}

/* The range of the index whose keys equal key (prefix: start with it),
 * ignoring ASCII case as the keys of predicate_term_key are folded. */
static struct dp_range index_range(const struct site *s, const uint32_t *idx,
				   const char *key, bool prefix)
{
	size_t n = strlen(key), lo = 0, hi = s->ndps;
	struct dp_range r = { .idx = idx };

	while (lo < hi) {	/* first position not below key */
		size_t mid = lo + (hi - lo) / 2;

		if (strncasecmp(index_key(s, idx, mid), key, prefix ? n : SIZE_MAX) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	r.lo = lo;
	for (hi = s->ndps; lo < hi;) {	/* first position above key */
		size_t mid = lo + (hi - lo) / 2;

		if (strncasecmp(index_key(s, idx, mid), key, prefix ? n : SIZE_MAX) <= 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	r.hi = lo;
	return r;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* The DPs of s a condition can match, before it is tested: positions
 * lo..hi-1, of picked (indices into dps, ascending: dps order, as a scan
 * answers) or, when picked is NULL, of dps itself; and the
 * MaintenanceMode every match has (-1: either; 2: no DP can match). */
struct dp_plan {
	uint32_t *picked;	/* owned */
	size_t lo, hi;
	int64_t mode;
};

static int plan_dps(const struct site *s, const struct predicate *where,
		    struct dp_plan *plan)
{
	struct predicate_term terms[16];
	size_t nterms = where ? predicate_terms(where, terms, 16) : 0;
	struct dp_range best = { .lo = 0, .hi = s->ndps };

	*plan = (struct dp_plan){ .mode = -1 };
	if (nterms > 16)
		nterms = 16;	/* any of them is enough */
	for (size_t t = 0; t < nterms; t++) {
		const char *prop = terms[t].prop;
		bool prefix = terms[t].kind == PREDICATE_TERM_PREFIX;
		bool name = !strcasecmp(prop, "Name") || !strcasecmp(prop, "ServerName");
		bool mm = !strcasecmp(prop, "MaintenanceMode");
		char *key = NULL;
		int k;

		if (!name && !mm && strcasecmp(prop, "NALPath") &&
		    strcasecmp(prop, "SiteCode"))
			continue;
		k = predicate_term_key(&terms[t], mm ? CIM_UINT32 : CIM_STRING, &key);
		if (k == -ERANGE) {
			best.hi = best.lo;	/* nothing can match */
			break;
		}
		if (k == -ENOMEM)
			return -ENOMEM;
		if (k)
			continue;	/* no key: the term picks nothing */
		if (mm) {
			if (!prefix)
				plan->mode = strcmp(key, "0") == 0 ? 0 :
					     strcmp(key, "1") == 0 ? 1 : 2;
		} else if (!strcasecmp(prop, "SiteCode")) {
			size_t n = strlen(key);
			if (prefix ? strncasecmp(s->code, key, n) : strcasecmp(s->code, key))
				best.hi = best.lo;
		} else {
			struct dp_range c = index_range(s, name ? s->by_name : NULL,
							key, prefix);
			if (c.hi - c.lo < best.hi - best.lo)
				best = c;
		}
		free(key);
	}
	if (plan->mode == 2) {
		best.idx = NULL;
		best.hi = best.lo;	/* MaintenanceMode is 0 or 1 */
	}
	plan->lo = best.lo;
	plan->hi = best.hi;
	if (best.idx) {
		/* Answer in dps order, as a scan would. */
		plan->picked = malloc((best.hi - best.lo + 1) * sizeof(*plan->picked));
		if (!plan->picked)
			return -ENOMEM;
		memcpy(plan->picked, best.idx + best.lo,
		       (best.hi - best.lo) * sizeof(*plan->picked));
		qsort(plan->picked, best.hi - best.lo, sizeof(*plan->picked), cmp_u32);
		plan->hi -= plan->lo;
		plan->lo = 0;
	}
	return 0;
}

/* The candidate at position i of plan, or NULL when the plan's mode or
 * the caller's scopes (acc; NULL: all) leave it out without building
 * it. Out of scope is invisible, as the real provider hides objects: a
 * Get finds nothing. Lock held. */
static const struct dp_entry *plan_at(const struct site *s, const struct dp_plan *plan,
				      size_t i, const struct auth_access *acc)
{
	const struct dp_entry *e = &s->dps[plan->picked ? plan->picked[i] : i];

	if (plan->mode >= 0 && e->mode != (uint32_t)plan->mode)
		return NULL;
	if (acc && !auth_scopes_cover(acc, e->fx->scopes, e->fx->nscopes))
		return NULL;
	return e;
}

/* The DPs of s that where can match, in s->dps order; lock held. */
static int collect_dps(struct provider *p, const struct site *s,
		       const struct predicate *where, const struct auth_access *acc,
		       struct instance_list *out)
{
	struct dp_plan plan;
	int r = plan_dps(s, where, &plan);

	for (size_t i = plan.lo; i < plan.hi && !r; i++) {
		const struct dp_entry *e = plan_at(s, &plan, i, acc);

		if (e)
			r = push_match(out, dp_snapshot(p, s, e), where);
	}
	free(plan.picked);
	return r;
}

/* One instance of ce per site served (root/sms discovery); lock held. */
static struct cim_instance *site_instance(const struct provider_class *ce,
					  const struct site *s)
{
	char name[64], path[512];
	const char *v[4];
	struct cim_instance *i = cim_instance_new(ce->cls);
	size_t n;

	if (!i)
		return NULL;
	snprintf(name, sizeof(name), "site_%s", s->code);
	if (ce->kind == CLASS_SMS_NS) {
		v[0] = name;
		n = 1;
	} else {
		snprintf(path, sizeof(path), "\\\\%s\\root\\sms\\site_%s",
			 s->fx->provider, s->code);
		v[0] = s->fx->provider;
		v[1] = path;
		v[2] = "true";
		v[3] = s->code;
		n = 4;
	}
	for (size_t k = 0; k < n; k++)
		if (cim_instance_set(i, k, v[k])) {
			cim_instance_free(i);
			return NULL;
		}
	return i;
}

/* Walking a site's status messages into instances (collect_statmsg). */
struct statmsg_walk {
	const struct provider_class *ce;
	const struct predicate *where;
	const struct auth_access *acc;
	struct instance_list *out;
};

/* Whether the caller may see a message about the DP at nalpath: as with
 * the DP itself, not when it is outside their scopes. A message about a
 * DP the site no longer has (a restored snapshot's) has no scopes to
 * check: only a caller with scope All sees it. Lock held. */
static bool statmsg_visible(struct site *s, const struct auth_access *acc,
			    const char *nalpath)
{
	const struct dp_entry *e;

	if (!acc || acc->all)
		return true;
	e = nalpath ? find_dp(s, nalpath) : NULL;
	return e && auth_scopes_cover(acc, e->fx->scopes, e->fx->nscopes);
}

static int statmsg_cb(void *ctx, const struct status_message *m)
{
	struct statmsg_walk *w = ctx;
	const struct cim_class *c = w->ce->cls;
	int r = 0;

	if (!statmsg_visible(w->ce->site, w->acc, m->nalpath))
		return 0;
	if (w->ce->kind == CLASS_STATMSG)
		return push_match(w->out, statmsg_instance(c, m), w->where);
	for (size_t i = 0; i < m->nins && !r; i++)
		if (m->ins[i])
			r = push_match(w->out, statmsg_insstr_instance(c, m, i),
				       w->where);
	return r;
}

/* The status messages of ce's site (or only message record_id, when >
 * 0) as instances of ce, through collect()'s filters; lock held, so the
 * site and its DPs stay while the store is read. */
static int collect_statmsg(struct provider *p, const struct provider_class *ce,
			   const struct predicate *where,
			   const struct auth_access *acc, int64_t record_id,
			   struct instance_list *out)
{
	struct statmsg_walk w = { .ce = ce, .where = where, .acc = acc, .out = out };
	struct store_statmsg_filter f = { .site = ce->code,
					  .record_id = record_id };

	if (!ce->site)
		return 0;
	return store_statmsg_query(p->st, &f, statmsg_cb, &w);
}

/* The instances of ce that where lets through (all when NULL) and the
 * caller's security scopes cover (acc; NULL: all); lock held. 0 or
 * -ENOMEM (out emptied); -EIO when the store could not be read.
 * record_id > 0 narrows a status message class to that RecordID (a Get
 * by key need not read every message).
 *
 * Only DPs, and status messages by the DP they name, are scope-filtered:
 * they are the objects dpsim knows the scopes of. Instances of
 * fixture-declared classes are served to anyone with access at the site,
 * whatever they describe. */
static int collect(struct provider *p, const struct provider_class *ce,
		   const struct predicate *where, const struct auth_access *acc,
		   int64_t record_id, struct instance_list *out)
{
	int r = 0;

	out->items = NULL;
	out->count = 0;
	switch (ce->kind) {
	case CLASS_ROOT_NS:
		for (size_t i = 0; i < ce->statics.count && !r; i++)
			r = push_match(out, cim_instance_clone(ce->statics.items[i]), where);
		break;
	case CLASS_SMS_NS:
	case CLASS_PROVLOC:
		for (size_t i = 0; i < p->nsites && !r; i++)
			r = push_match(out, site_instance(ce, p->sites[i]), where);
		break;
	case CLASS_DPINFO:
		if (ce->site)
			r = collect_dps(p, ce->site, where, acc, out);
		break;
	case CLASS_DP:
		break;
	case CLASS_FIXTURE:
		for (size_t i = 0; ce->site && i < ce->statics.count && !r; i++)
			r = push_match(out, cim_instance_clone(ce->statics.items[i]), where);
		break;
	case CLASS_STATMSG:
	case CLASS_STATMSG_INS:
		r = collect_statmsg(p, ce, where, acc, record_id, out);
		break;
	}
	if (r)
		instance_list_free(out);
	return r;
}

/* ---- the shape of every call ------------------------------------------- */

/* Where a call lands: its class and the site code ("" outside a site). */
struct scope {
	const struct provider_class *ce;
	char site[CODE_SIZE];
};

/* Where the call lands, from its class alone: the class and its site
 * code are fixed for the provider's life, so this takes no lock; whether
 * the site is still served is asked again under the lock, where the
 * call reads or changes it. */
static uint32_t enter(const struct provider_class *ce, struct scope *sc,
		      char *msg, size_t msgsize)
{
	sc->ce = ce;
	sc->site[0] = '\0';
	if (!is_site_kind(ce->kind))
		return 0;
	if (!site_served(ce)) {
		snprintf(msg, msgsize, "Namespace %s is no longer served: "
			 "its site was removed.", cim_class_namespace(ce->cls));
		return WBEM_E_INVALID_NAMESPACE;
	}
	snprintf(sc->site, sizeof(sc->site), "%s", ce->code);
	return 0;
}

/* Appends t to out (size bytes, used of them taken), truncating; out
 * stays terminated. */
static void params_add(char *out, size_t size, size_t *used, const char *t)
{
	size_t n = strlen(t);

	if (*used + 1 >= size)
		return;
	if (n > size - 1 - *used)
		n = size - 1 - *used;
	memcpy(out + *used, t, n);
	*used += n;
	out[*used] = '\0';
}

/* "Name=value Name2=value2", truncated to size: the journal's params.
 * Without snprintf: this runs on every call. */
static void params_text(const struct provider_arg *params, size_t n, char *out, size_t size)
{
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < n; i++) {
		if (i)
			params_add(out, size, &used, " ");
		params_add(out, size, &used, params[i].name);
		params_add(out, size, &used, "=");
		params_add(out, size, &used, params[i].value ? params[i].value : "(null)");
	}
}

/* First value of parameter (or key) name, NULL when absent. */
static const char *arg_value(const struct provider_arg *args, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(args[i].name, name) == 0)
			return args[i].value;
	return NULL;
}

/* The NAL path a call is about, for its journal row and the rules'
 * nalpath: the NALPath key or parameter, or GetChainedPullDPs' source. */
static const char *call_nalpath(const char *method,
				const struct provider_arg *args, size_t n)
{
	if (method && strcasecmp(method, CATALOG_GET_CHAINED_PULL_DPS) == 0)
		return arg_value(args, n, "SourceDPNALPath");
	return arg_value(args, n, "NALPath");
}

/* Writes the call's journal row. 0, or -errno when it could not be
 * written (the store or the journal logged why). */
static int record(struct provider *p, struct provider_call *call,
		  struct journal_entry *je)
{
	je->latency_us = now_us() - call->start_us;
	return journal_record(p->journal, je);
}

/* The answer to a call whose journal row could not be written (r from
 * record): every answered call is journaled, or the client is told that
 * it could not be. A full disk is said as Windows says it, not as an
 * I/O error; a read fails like a change, since a test that asks the
 * journal what was called must not be told less than happened. */
static uint32_t unjournaled(int r, char *msg, size_t msgsize)
{
	if (r == -ENOSPC) {
		snprintf(msg, msgsize, "There is not enough space on the disk: "
			 "dpsim could not journal this call, so it answers "
			 "nothing else.");
		return HRESULT_DISK_FULL;
	}
	snprintf(msg, msgsize, "dpsim could not journal this call (%s), so "
		 "it answers nothing else.", strerror(-r));
	return WBEM_E_PROVIDER_FAILURE;
}

/* Journals the call with result hr and returns hr, or when the row could
 * not be written, the failure to journal it (msg replaced). */
static uint32_t record_result(struct provider *p, struct provider_call *call,
			      struct journal_entry *je, uint32_t hr,
			      char *msg, size_t msgsize)
{
	int r;

	je->hresult = hr;
	r = record(p, call, je);
	return r ? unjournaled(r, msg, msgsize) : hr;
}

/* ---- a read waiting for its journal row ----------------------------------
 *
 * A read is answered only once its row is committed, like a change. A
 * caller that can defer does not hold a thread meanwhile: the row goes
 * into the group commit with the changes, the answer is kept in the
 * call (struct provider_read), and the call made again once the commit
 * fires takes it back. So the reads of many connections share one
 * commit, where a worker that waited would hold back every connection
 * it serves (docs/architecture.md, Group commit). */

enum read_kind { READ_INSTANCE, READ_LIST, READ_CURSOR };

/* Where a read's answer is: the caller's out parameter. */
struct read_out {
	enum read_kind kind;
	union {
		struct cim_instance **inst;	/* Get, GetChainedPullDPs */
		struct instance_list *list;	/* Enumerate */
		struct provider_cursor **cur;	/* a cursor opened */
	} to;
};

struct provider_read {
	struct store_write *row;
	uint32_t hr;
	enum read_kind kind;
	union {
		struct cim_instance *inst;
		struct instance_list list;
		struct provider_cursor *cur;
	} u;
	/* For the line a row that could not be written gets (as
	 * journal_record's): borrowed, valid for the provider's life. */
	const char *operation, *class_name;
	char msg[];		/* a failure's message (hr not 0) */
};

/* Swaps the answer k holds with the one in o: a move either way, since
 * the side it goes to is always empty. */
static void read_swap(struct provider_read *k, struct read_out o)
{
	switch (o.kind) {
	case READ_INSTANCE: {
		struct cim_instance *t = k->u.inst;

		k->u.inst = *o.to.inst;
		*o.to.inst = t;
		break;
	}
	case READ_LIST: {
		struct instance_list t = k->u.list;

		k->u.list = *o.to.list;
		*o.to.list = t;
		break;
	}
	case READ_CURSOR: {
		struct provider_cursor *t = k->u.cur;

		k->u.cur = *o.to.cur;
		*o.to.cur = t;
		break;
	}
	}
}

static void read_free(struct provider_read *k)
{
	switch (k->kind) {
	case READ_INSTANCE:
		cim_instance_free(k->u.inst);
		break;
	case READ_LIST:
		instance_list_free(&k->u.list);
		break;
	case READ_CURSOR:
		provider_cursor_free(k->u.cur);
		break;
	}
	free(k);
}

/* The end of a read that answers *hr, its answer in o: its row is
 * queued with the group commit. Returns true when the call is deferred:
 * the answer moved into call->read. False when it is over: *hr is its
 * result, or the failure to journal it (msg replaced, the answer left
 * in o for the caller to free); a caller that cannot defer, or whose
 * row is committed already, waits here. */
static bool read_end(struct provider *p, struct provider_call *call,
		     struct journal_entry *je, uint32_t *hr, struct read_out o,
		     char *msg, size_t msgsize)
{
	struct store_write *w = NULL;
	struct provider_read *k = NULL;
	/* msg means something only with a failure. */
	size_t mlen = *hr ? strlen(msg) + 1 : 0;
	int r;

	if (!call->can_defer) {
		*hr = record_result(p, call, je, *hr, msg, msgsize);
		return false;
	}
	je->hresult = *hr;
	je->latency_us = now_us() - call->start_us;
	r = store_write_new(NULL, NULL, 0, je, NULL, &w);
	if (r == 0) {
		store_write_submit(p->st, w);
		/* Committed already when no batch was under way (this
		 * thread made one of it): nothing to wait for. */
		if (!completion_fired(store_write_completion(w)))
			k = malloc(sizeof(*k) + mlen);
		if (!k)
			r = store_write_end(w, NULL, NULL);
	}
	if (!k) {
		if (r) {
			journal_failed(je, r);
			*hr = unjournaled(r, msg, msgsize);
		}
		return false;
	}
	memset(k, 0, sizeof(*k));
	k->row = w;
	k->hr = *hr;
	k->kind = o.kind;
	read_swap(k, o);
	k->operation = je->operation;
	k->class_name = je->class_name;
	memcpy(k->msg, msg, mlen);
	call->read = k;
	call->deferred = true;
	call->wait_ms = 0;
	call->wait_on = store_write_completion(w);
	snprintf(msg, msgsize, "Waiting for the commit.");
	return true;
}

/* Waits for the kept read's row (at once when it is committed) and
 * takes it off the call; 0 or the failure to write it (logged). */
static int read_row_end(struct provider_call *call)
{
	struct provider_read *k = call->read;
	int r = store_write_end(k->row, NULL, NULL);

	if (r) {
		struct journal_entry je = { .operation = k->operation,
					    .class_name = k->class_name };

		journal_failed(&je, r);
	}
	call->read = NULL;
	call->deferred = false;
	call->wait_on = NULL;
	return r;
}

/* The call made again after read_end deferred it: the kept answer
 * (waiting for its row's commit if it is not over), moved into o, and
 * its result; or the failure to journal it, with o left empty. */
static uint32_t read_resume(struct provider_call *call, struct read_out o,
			    char *msg, size_t msgsize)
{
	struct provider_read *k = call->read;
	uint32_t hr = k->hr;
	int r = read_row_end(call);

	if (r) {
		hr = unjournaled(r, msg, msgsize);
	} else {
		if (hr)
			snprintf(msg, msgsize, "%s", k->msg);
		read_swap(k, o);
	}
	read_free(k);
	return hr;
}

/* The caller's role and security scopes at the call's site: the one
 * place that resolves them. Outside a site's namespace (root, root/sms
 * discovery) every caller reads, with no scope limit. A caller without
 * access at the site gets WBEM_E_ACCESS_DENIED for any call in it; the
 * call journals that as it journals every other refusal. */
static uint32_t site_access(const struct provider_call *call,
			    const struct scope *sc, struct auth_access *acc,
			    char *msg, size_t msgsize)
{
	const struct caller *who = call->who;

	if (!sc->site[0]) {
		memset(acc, 0, sizeof(*acc));
		acc->role = who->role;
		acc->all = true;
		return 0;
	}
	if (auth_access_at(who, sc->site, acc))
		return 0;
	snprintf(msg, msgsize, "User '%s' has no security role at site %s, "
		 "so it may not use namespace root\\sms\\site_%s.",
		 who->user ? who->user : "(anonymous)", sc->site, sc->site);
	return WBEM_E_ACCESS_DENIED;
}

static uint32_t timeout_wait(const struct provider_call *call)
{
	uint32_t ms = call->timeout_ms ? call->timeout_ms : FAULT_DEFAULT_TIMEOUT_MS;

	return ms > FAULT_MAX_TIMEOUT_MS ? FAULT_MAX_TIMEOUT_MS : ms;
}

/* Runs the fault rules for the call (once, however often the call is
 * re-entered), waits or defers the wait, and applies an effect that
 * replaces the call. Returns true when the call ends here: *hr (and for
 * FAULT_RETURN *rv) is its result, the journal row is written unless the
 * call was deferred. False: the call runs, with je carrying the rule. */
static bool apply_rules(struct provider *p, struct provider_call *call,
			const struct fault_call *fc, struct journal_entry *je,
			uint32_t *hr, uint32_t *rv, char *msg, size_t msgsize)
{
	const struct fault_decision *d = &call->decision;
	uint32_t wait;

	if (!call->decided) {
		call->start_us = now_us();
		faults_decide(p->faults, fc, &call->decision);
		call->decided = true;
	}
	call->rule_id = d->rule_id;
	wait = d->delay_ms;
	if (d->effect == FAULT_TIMEOUT)
		wait += timeout_wait(call);
	call->deferred = false;
	if (wait && !call->waited) {
		call->waited = true;
		if (call->can_defer) {
			call->deferred = true;
			call->wait_ms = wait;
			snprintf(msg, msgsize, "Deferred by fault rule %lld.",
				 (long long)d->rule_id);
			*hr = WBEM_E_FAILED;
			return true;
		}
		faults_sleep(p->faults, wait);
	}
	if (!d->rule_id)
		return false;
	je->rule_id = d->rule_id;
	je->effect = fault_effect_name(d->effect);
	if (d->effect == FAULT_NONE || d->effect == FAULT_DELAY)
		return false;
	*hr = WBEM_E_FAILED;
	switch (d->effect) {
	case FAULT_NONE:
	case FAULT_DELAY:
		break;
	case FAULT_HTTP:
		je->http_status = d->http_status;
		snprintf(msg, msgsize, "HTTP %u by fault rule %lld.", d->http_status,
			 (long long)d->rule_id);
		break;
	case FAULT_DROP:
		snprintf(msg, msgsize, "Connection dropped by fault rule %lld.",
			 (long long)d->rule_id);
		break;
	case FAULT_TIMEOUT:
		je->hresult = WSMAN_CODE_TIMED_OUT;
		snprintf(msg, msgsize, "Timed out by fault rule %lld.",
			 (long long)d->rule_id);
		break;
	case FAULT_FAULT: {
		const struct hresult_info *h = hresult_lookup(d->hresult);

		*hr = je->hresult = d->hresult;
		if (h)
			snprintf(msg, msgsize, "%s (dpsim fault rule %lld)", h->message,
				 (long long)d->rule_id);
		else
			snprintf(msg, msgsize, "The provider failed with 0x%08X "
				 "(dpsim fault rule %lld).", d->hresult,
				 (long long)d->rule_id);
		break;
	}
	case FAULT_RETURN:
		*hr = 0;
		*rv = d->hresult;
		je->has_return_value = true;
		je->return_value = d->hresult;
		break;
	}
	call->effect = d->effect;
	call->http_status = d->http_status;
	int r = record(p, call, je);
	if (r) {
		/* Not the rule's answer: the client hears why it is missing
		 * from the journal. */
		*hr = unjournaled(r, msg, msgsize);
		call->effect = FAULT_FAULT;
		call->http_status = 0;
	}
	return true;
}

/* ---- Get / Enumerate --------------------------------------------------- */

static bool keys_match(const struct cim_instance *i, const struct provider_arg *keys,
		       size_t nkeys)
{
	for (size_t k = 0; k < nkeys; k++) {
		const char *v = cim_instance_text(i, keys[k].name);
		if (!v || !keys[k].value || strcasecmp(v, keys[k].value) != 0)
			return false;
	}
	return true;
}

/* The call's site went away after enter(): answered as enter() answers
 * a call on a removed site, rather than as an empty class (a Get would
 * otherwise say "not found" of a DP that was never looked for). Lock
 * held. */
static bool site_gone(const struct scope *sc, char *msg, size_t msgsize)
{
	if (!is_site_kind(sc->ce->kind) || sc->ce->site)
		return false;
	snprintf(msg, msgsize, "Namespace %s is no longer served: its site was "
		 "removed.", cim_class_namespace(sc->ce->cls));
	return true;
}

/* What every call holds between call_begin() and its answer. */
struct call_ctx {
	struct scope sc;
	struct auth_access acc;	/* the caller's, at the call's site */
	struct journal_entry je;	/* the call's row, written once */
	char params[1024];	/* the arguments as the journal shows them */
};

/* The steps every call takes before its own work: where it lands
 * (enter), its journal row, the fault rules (apply_rules) and the
 * caller's access at the site (site_access), each once. opname names the
 * operation in the journal; args (keys or parameters) are shown there,
 * or the call's query when there are none; mode is what a rule's "mode"
 * matches (-1: none). Returns true when the call is over, with its answer
 * in *hr (and *rv), journaled when it should be; false when the call goes
 * on with x filled. */
static bool call_begin(struct provider *p, struct provider_call *call,
		       const struct provider_class *pc, enum fault_op op,
		       const char *opname, const char *method,
		       const struct provider_arg *args, size_t nargs, int64_t mode,
		       struct call_ctx *x, uint32_t *hr, uint32_t *rv,
		       char *msg, size_t msgsize)
{
	*hr = enter(pc, &x->sc, msg, msgsize);
	if (*hr)
		return true;
	params_text(args, nargs, x->params, sizeof(x->params));
	x->je = (struct journal_entry){
		.user = call->who->user, .protocol = call->who->protocol,
		.operation = opname, .site = x->sc.site[0] ? x->sc.site : NULL,
		.class_name = cim_class_name(pc->cls), .method = method,
		.nalpath = call_nalpath(method, args, nargs),
		.params = args ? x->params : call->query,
		.old_mode = -1, .new_mode = -1,
	};
	struct fault_call fc = {
		.operation = op, .class_name = x->je.class_name, .method = method,
		.nalpath = x->je.nalpath, .user = x->je.user,
		.protocol = x->je.protocol, .site = x->je.site, .mode = mode,
	};
	if (apply_rules(p, call, &fc, &x->je, hr, rv, msg, msgsize))
		return true;
	*hr = site_access(call, &x->sc, &x->acc, msg, msgsize);
	if (*hr) {
		*hr = record_result(p, call, &x->je, *hr, msg, msgsize);
		return true;
	}
	return false;
}

/* The error of a collect() that failed with r. */
static uint32_t collect_failed(int r, char *msg, size_t msgsize)
{
	if (r == -ENOMEM) {
		snprintf(msg, msgsize, "Out of memory.");
		return WBEM_E_OUT_OF_MEMORY;
	}
	snprintf(msg, msgsize, "The status messages could not be read from "
		 "the database (%s).", strerror(-r));
	return WBEM_E_PROVIDER_FAILURE;
}

/* A Get of a status message class names its RecordID: the one message
 * to read (0: read all, for a key that is not a number, which then
 * matches nothing). */
static int64_t key_record_id(const struct provider_class *pc,
			     const struct provider_arg *keys, size_t nkeys)
{
	const char *v = is_statmsg_kind(pc->kind) ?
			arg_value(keys, nkeys, "RecordID") : NULL;
	uint64_t id;

	if (!v || num_parse_dec(v, INT64_MAX, &id) || id == 0)
		return 0;
	return (int64_t)id;
}

/* The instance of ce with these key values, or *out NULL; lock held.
 * 0, -ENOMEM or -EIO. A DP is found by its NAL path (a binary search), so a
 * Get costs the same in a site of 100 000 DPs as in the lab; a status
 * message is read alone by its RecordID; other classes are small and
 * searched through. */
static int find_keyed(struct provider *p, const struct provider_class *ce,
		      const struct provider_arg *keys, size_t nkeys,
		      const struct auth_access *acc, struct cim_instance **out)
{
	struct instance_list all = { 0 };
	int r;

	*out = NULL;
	if (ce->kind == CLASS_DPINFO) {
		const char *nal = arg_value(keys, nkeys, "NALPath");
		const struct dp_entry *e = nal && ce->site ? find_dp(ce->site, nal)
							    : NULL;

		/* out of scope is not found, as in collect() */
		if (!e || (acc && !auth_scopes_cover(acc, e->fx->scopes,
							 e->fx->nscopes)))
			return 0;
		if (!(*out = dp_snapshot(p, ce->site, e)))
			return -ENOMEM;
		if (!keys_match(*out, keys, nkeys)) {
			cim_instance_free(*out);
			*out = NULL;
		}
		return 0;
	}
	r = collect(p, ce, NULL, acc, key_record_id(ce, keys, nkeys), &all);
	for (size_t i = 0; !r && i < all.count && !*out; i++) {
		if (keys_match(all.items[i], keys, nkeys)) {
			*out = all.items[i];
			all.items[i] = NULL;
		}
	}
	instance_list_free(&all);
	return r;
}

uint32_t provider_get(struct provider *p, struct provider_call *call,
		      const struct provider_class *pc, const struct provider_arg *keys,
		      size_t nkeys, struct cim_instance **out,
		      char *msg, size_t msgsize)
{
	const struct cim_class *c = pc->cls;
	const struct read_out o = { READ_INSTANCE, .to.inst = out };
	struct call_ctx x;
	uint32_t hr, rv = 0;

	*out = NULL;
	if (call->read) {
		hr = read_resume(call, o, msg, msgsize);
		goto answer;
	}
	if (call_begin(p, call, pc, FAULT_OP_GET, "get", NULL, keys, nkeys, -1, &x,
		       &hr, &rv, msg, msgsize))
		return hr;

	pthread_rwlock_rdlock(&p->lock);
	int r = 0;
	if (site_gone(&x.sc, msg, msgsize))
		hr = WBEM_E_INVALID_NAMESPACE;
	else
		r = find_keyed(p, x.sc.ce, keys, nkeys, &x.acc, out);
	pthread_rwlock_unlock(&p->lock);
	if (r)
		hr = collect_failed(r, msg, msgsize);
	if (!hr && !*out) {
		snprintf(msg, msgsize, "No %s instance has the given key values.",
			 cim_class_name(c));
		hr = WBEM_E_NOT_FOUND;
	}
	read_end(p, call, &x.je, &hr, o, msg, msgsize);
answer:
	if (hr) {
		cim_instance_free(*out);
		*out = NULL;
	}
	return hr;
}

uint32_t provider_enumerate(struct provider *p, struct provider_call *call,
			    const struct provider_class *pc, const struct wql_query *q,
			    struct instance_list *out, char *msg, size_t msgsize)
{
	return provider_enumerate_where(p, call, pc, q ? wql_query_where(q) : NULL,
					out, msg, msgsize);
}

uint32_t provider_enumerate_where(struct provider *p, struct provider_call *call,
				  const struct provider_class *pc,
				  const struct predicate *where,
				  struct instance_list *out, char *msg, size_t msgsize)
{
	const struct read_out o = { READ_LIST, .to.list = out };
	struct call_ctx x;
	uint32_t hr, rv = 0;

	out->items = NULL;
	out->count = 0;
	if (call->read) {
		hr = read_resume(call, o, msg, msgsize);
		goto answer;
	}
	if (call_begin(p, call, pc, FAULT_OP_ENUMERATE, "enumerate", NULL, NULL, 0, -1,
		       &x, &hr, &rv, msg, msgsize))
		return hr;

	pthread_rwlock_rdlock(&p->lock);
	int r = 0;
	if (site_gone(&x.sc, msg, msgsize))
		hr = WBEM_E_INVALID_NAMESPACE;
	else
		r = collect(p, x.sc.ce, where, &x.acc, 0, out);
	pthread_rwlock_unlock(&p->lock);
	if (r)
		hr = collect_failed(r, msg, msgsize);
	read_end(p, call, &x.je, &hr, o, msg, msgsize);
answer:
	if (hr)
		instance_list_free(out);
	return hr;
}

/* ---- cursors ------------------------------------------------------------ */

struct provider_cursor {
	const struct provider_class *ce;
	const struct predicate *where;	/* borrowed */
	provider_keep_fn keep;
	void *keep_ctx;
	struct auth_access acc;		/* borrows the fixture user's scopes */
	struct site *site;		/* a walk of its DPs (a reference,
					 * so removing or replacing the site
					 * does not end it), else NULL */
	struct dp_plan plan;		/* dps: its candidates */
	size_t pos;			/* dps: the next position of plan */
	struct instance_list items;	/* other classes: read at open */
	size_t next;			/* items: the next one */
	size_t *after;			/* the position after each instance
					 * of the last fetch */
	size_t nafter, after_cap;
	size_t scanned;			/* where the last fetch stopped */
};

static bool cursor_keeps(const struct provider_cursor *cur, const struct cim_instance *i)
{
	return (!cur->where || predicate_match(cur->where, i)) &&
	       (!cur->keep || cur->keep(cur->keep_ctx, i));
}

void provider_cursor_free(struct provider_cursor *cur)
{
	if (!cur)
		return;
	free(cur->plan.picked);
	site_free(cur->site);
	instance_list_free(&cur->items);
	free(cur->after);
	free(cur);
}

uint32_t provider_cursor_open(struct provider *p, struct provider_call *call,
			      const struct provider_class *pc,
			      const struct predicate *where,
			      provider_keep_fn keep, void *keep_ctx,
			      struct provider_cursor **out, char *msg, size_t msgsize)
{
	struct provider_cursor *cur = NULL;
	const struct read_out o = { READ_CURSOR, .to.cur = &cur };
	struct call_ctx x;
	uint32_t hr, rv = 0;
	int r = 0;

	*out = NULL;
	if (call->read) {
		hr = read_resume(call, o, msg, msgsize);
		if (cur) {	/* the same request, parsed again */
			cur->where = where;
			cur->keep = keep;
			cur->keep_ctx = keep_ctx;
		}
		goto answer;
	}
	if (call_begin(p, call, pc, FAULT_OP_ENUMERATE, "enumerate", NULL, NULL, 0, -1,
		       &x, &hr, &rv, msg, msgsize))
		return hr;
	cur = calloc(1, sizeof(*cur));
	if (!cur) {
		r = -ENOMEM;
		goto out;
	}
	cur->ce = x.sc.ce;
	cur->where = where;
	cur->keep = keep;
	cur->keep_ctx = keep_ctx;
	cur->acc = x.acc;
	pthread_rwlock_rdlock(&p->lock);
	if (site_gone(&x.sc, msg, msgsize)) {
		hr = WBEM_E_INVALID_NAMESPACE;
	} else if (cur->ce->kind == CLASS_DPINFO) {
		/* Only the candidates are found now; nothing is built. */
		cur->site = cur->ce->site;
		__atomic_add_fetch(&cur->site->refs, 1, __ATOMIC_ACQ_REL);
		r = plan_dps(cur->site, where, &cur->plan);
		cur->pos = cur->plan.lo;
	} else {
		r = collect(p, cur->ce, NULL, &x.acc, 0, &cur->items);
	}
	pthread_rwlock_unlock(&p->lock);
out:
	if (r)
		hr = collect_failed(r, msg, msgsize);
	read_end(p, call, &x.je, &hr, o, msg, msgsize);
answer:
	if (hr)
		provider_cursor_free(cur);
	else
		*out = cur;
	return hr;
}

/* Notes that the instance just added to out ends at position pos. */
static int cursor_note(struct provider_cursor *cur, size_t pos)
{
	if (cur->nafter == cur->after_cap) {
		size_t cap = cur->after_cap ? cur->after_cap * 2 : 16;
		size_t *n = realloc(cur->after, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		cur->after = n;
		cur->after_cap = cap;
	}
	cur->after[cur->nafter++] = pos;
	return 0;
}

/* The next DPs of a walk; lock held, the site the cursor's. */
static int fetch_dps(struct provider *p, struct provider_cursor *cur,
		     const struct site *s, size_t max, struct instance_list *out)
{
	size_t i = cur->pos;
	int r = 0;

	while (i < cur->plan.hi && out->count < max && !r) {
		const struct dp_entry *e = plan_at(s, &cur->plan, i++, &cur->acc);
		struct cim_instance *inst;

		if (!e)
			continue;
		if (!(inst = dp_snapshot(p, s, e)))
			return -ENOMEM;
		if (!cursor_keeps(cur, inst)) {
			cim_instance_free(inst);
			continue;
		}
		r = list_push(out, inst);
		if (!r)
			r = cursor_note(cur, i);
	}
	cur->scanned = i;
	return r;
}

uint32_t provider_cursor_fetch(struct provider *p, struct provider_cursor *cur,
			       size_t max, struct instance_list *out,
			       char *msg, size_t msgsize)
{
	int r = 0;

	out->items = NULL;
	out->count = 0;
	cur->nafter = 0;
	if (!cur->site) {
		size_t i = cur->next;

		for (; i < cur->items.count && out->count < max && !r; i++) {
			const struct cim_instance *it = cur->items.items[i];

			if (!cursor_keeps(cur, it))
				continue;
			r = list_push(out, cim_instance_clone(it));
			if (!r && !out->items[out->count - 1]) {
				out->count--;
				r = -ENOMEM;
			}
			if (!r)
				r = cursor_note(cur, i + 1);
		}
		cur->scanned = i;
	} else {
		/* The lock keeps the modes read whole; a retired site
		 * keeps the modes it had when it stopped being served. */
		pthread_rwlock_rdlock(&p->lock);
		r = fetch_dps(p, cur, cur->site, max, out);
		pthread_rwlock_unlock(&p->lock);
	}
	if (r) {
		instance_list_free(out);
		cur->nafter = 0;
		return collect_failed(r, msg, msgsize);
	}
	return 0;
}

void provider_cursor_consume(struct provider_cursor *cur, size_t n)
{
	size_t to;

	if (n > cur->nafter)
		n = cur->nafter;
	/* All of a fetch that stopped short of its max: what it scanned
	 * past held nothing more, so it is not scanned again. */
	if (n == 0 && cur->nafter)
		return;
	to = n == cur->nafter ? cur->scanned : cur->after[n - 1];
	if (cur->site)
		cur->pos = to;
	else
		cur->next = to;
}

/* ---- SetDPMaintenanceMode ---------------------------------------------- */

/* SetDPMaintenanceMode's parameters, converted once per call: the fault
 * rules match on the mode, the method uses it. */
struct set_mode_args {
	const char *nalpath;
	const char *mode_text;
	int64_t mode;		/* the uint32 given, in range or not; -1 if none */
	uint32_t hresult;	/* 0: both valid; else why not, in msg */
	char msg[384];
};

static uint32_t bad_args(struct set_mode_args *a, uint32_t hr, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static uint32_t bad_args(struct set_mode_args *a, uint32_t hr, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->msg, sizeof(a->msg), fmt, ap);
	va_end(ap);
	return a->hresult = hr;
}

static uint32_t parse_set_mode_args(const struct provider_arg *params, size_t n,
				    struct set_mode_args *a)
{
	memset(a, 0, sizeof(*a));
	a->mode = -1;
	for (size_t i = 0; i < n; i++) {
		const char **slot = NULL;
		if (strcasecmp(params[i].name, "NALPath") == 0)
			slot = &a->nalpath;
		else if (strcasecmp(params[i].name, "Mode") == 0)
			slot = &a->mode_text;
		if (!slot)
			return bad_args(a, WBEM_E_INVALID_METHOD_PARAMETERS,
					"SetDPMaintenanceMode has no parameter '%s'; "
					"it takes NALPath and Mode.", params[i].name);
		if (*slot)
			return bad_args(a, WBEM_E_INVALID_METHOD_PARAMETERS,
					"Parameter '%s' is given twice.", params[i].name);
		*slot = params[i].value ? params[i].value : "";
		if (!params[i].value)
			return bad_args(a, WBEM_E_INVALID_METHOD_PARAMETERS,
					"Parameter '%s' is null; SetDPMaintenanceMode "
					"needs a value.", params[i].name);
	}
	if (!a->nalpath || !a->mode_text)
		return bad_args(a, WBEM_E_INVALID_METHOD_PARAMETERS,
				"Parameter '%s' is missing; SetDPMaintenanceMode "
				"takes NALPath and Mode.", a->nalpath ? "Mode" : "NALPath");
	char *canon = NULL;
	const char *why = NULL;
	if (cim_value_canonical(CIM_UINT32, a->mode_text, &canon, &why))
		return bad_args(a, WBEM_E_TYPE_MISMATCH, "Mode '%s' is not a uint32 (%s).",
				a->mode_text, why ? why : "invalid");
	/* Canonical uint32 text: digits only, in range. */
	uint64_t v = 0;
	num_parse_dec(canon, UINT32_MAX, &v);
	a->mode = (int64_t)v;
	free(canon);
	if (a->mode > 1)
		return bad_args(a, WBEM_E_INVALID_PARAMETER, "Mode %lld is not valid: use "
				"1 to enable or 0 to disable maintenance mode.",
				(long long)a->mode);
	return 0;
}

/* Whether DP e is inside the caller's security scopes (acc). When it is
 * not, the caller is told what it would be told of a DP that does not
 * exist: the real provider hides out-of-scope objects, so the refusal
 * must not confirm the DP, its name or its scopes. The log, which only
 * the lab's operator reads, says the real reason. Lock held. */
static bool dp_in_scope(const struct caller *who, const struct scope *sc,
			const struct auth_access *acc, const struct dp_entry *e)
{
	char mine[256], theirs[256];

	if (auth_scopes_cover(acc, e->fx->scopes, e->fx->nscopes))
		return true;
	auth_scopes_text(acc->scopes, acc->nscopes, mine, sizeof(mine));
	auth_scopes_text(e->fx->scopes, e->fx->nscopes, theirs, sizeof(theirs));
	log_info("%s may not change DP %s of site %s: it is in security scope "
		 "%s, the user's scopes there are %s; answered as not found",
		 who->user, e->fx->fqdn, sc->site, theirs, mine);
	return false;
}

/* je is the call's journal row, already naming the rule that let the
 * call through; acc is the caller's access at the site.
 *
 * Nothing that points into the site may be used once the lock is
 * released: a DELETE /_dpsim/sites/CODE, a reset or a snapshot restore
 * may free it at once. What outlives the lock (the NAL path for the
 * journal and the log) is copied while it is held. */
static uint32_t end_set_mode(struct provider *p, struct provider_call *call,
			     const struct scope *sc, struct journal_entry *je,
			     char *msg, size_t msgsize);

static uint32_t set_dp_mode(struct provider *p, struct provider_call *call,
			    const struct scope *sc, const struct auth_access *acc,
			    const struct set_mode_args *args,
			    struct journal_entry *je, char *msg, size_t msgsize)
{
	const struct caller *who = call->who;
	const struct set_mode_args a = *args;
	uint32_t mode = (uint32_t)a.mode;
	char *nalpath = NULL;
	uint32_t hr = a.hresult;

	if (call->write)	/* called again: the change was queued */
		return end_set_mode(p, call, sc, je, msg, msgsize);
	if (hr)
		snprintf(msg, msgsize, "%s", a.msg);
	je->nalpath = a.nalpath;
	if (!hr && !auth_role_can_modify(acc->role)) {
		snprintf(msg, msgsize, "User '%s' (%s) lacks Modify permission on the "
			 "Site class needed to change maintenance mode.", who->user,
			 acc->role ? acc->role : "no role");
		hr = WBEM_E_ACCESS_DENIED;
	}
	if (hr)
		goto journal;

	pthread_rwlock_wrlock(&p->lock);
	struct site *site = sc->ce->site;	/* may have gone meanwhile */
	struct dp_entry *e = site ? find_dp(site, a.nalpath) : NULL;
	if (e && !dp_in_scope(who, sc, acc, e))
		e = NULL;
	if (!e) {
		pthread_rwlock_unlock(&p->lock);
		if (site)
			snprintf(msg, msgsize, "No distribution point with NAL path "
				 "'%s' in site %s.", a.nalpath, sc->site);
		else
			snprintf(msg, msgsize, "Site %s is no longer served.", sc->site);
		hr = site ? WBEM_E_NOT_FOUND : WBEM_E_INVALID_NAMESPACE;
		goto journal;
	}
	/* The DP's own spelling, not the caller's; a copy, for the log
	 * line after the lock. */
	nalpath = strdup(e->nalpath);
	if (!nalpath) {
		pthread_rwlock_unlock(&p->lock);
		snprintf(msg, msgsize, "Out of memory.");
		hr = WBEM_E_OUT_OF_MEMORY;
		goto journal;
	}
	je->nalpath = nalpath;
	je->has_return_value = true;
	je->return_value = 0;
	je->latency_us = now_us() - call->start_us;
	/* The site's record of who changed what: written with the change,
	 * never without it; a call that leaves the mode as it was changes
	 * nothing and writes none (docs/configmgr-domain.md, Status
	 * messages). */
	struct status_message sm;
	const struct statmsg_change chg = {
		.site = site->code, .machine = site->fx->provider,
		.user = who->user, .dp = e->fx->fqdn, .nalpath = e->nalpath,
		.mode = mode,
	};
	statmsg_for_mode_change(&chg, &sm);
	/* Queued under the lock (sm points into the site), committed
	 * without it: the caller waits for the commit without holding the
	 * lock, or a thread when it can be called again (can_defer). The
	 * store writes sm only if the mode really changes. */
	struct store_write *w;
	int r = store_write_new(site->code, e->nalpath, mode, je, &sm, &w);
	pthread_rwlock_unlock(&p->lock);
	if (r) {
		snprintf(msg, msgsize, "Out of memory.");
		hr = record_result(p, call, je, WBEM_E_OUT_OF_MEMORY, msg, msgsize);
		free(nalpath);
		return hr;
	}
	store_write_submit(p->st, w);
	call->write = w;
	call->write_class = sc->ce;
	call->write_nalpath = nalpath;
	call->write_mode = mode;
	if (call->can_defer && !completion_fired(store_write_completion(w))) {
		call->deferred = true;
		call->wait_ms = 0;
		call->wait_on = store_write_completion(w);
		snprintf(msg, msgsize, "Waiting for the commit.");
		return WBEM_E_FAILED;
	}
	return end_set_mode(p, call, sc, je, msg, msgsize);

journal:
	return record_result(p, call, je, hr, msg, msgsize);
}

/* The second half of a change: once its commit is over (waits for it
 * when it is not), mirrors the committed mode in memory, unless a later
 * commit or a reset already did, and answers. */
static uint32_t end_set_mode(struct provider *p, struct provider_call *call,
			     const struct scope *sc, struct journal_entry *je,
			     char *msg, size_t msgsize)
{
	char *nalpath = call->write_nalpath;
	uint32_t mode = call->write_mode, old = 0, now_mode = 0;
	uint64_t seq = 0;
	uint32_t hr;
	int r = store_write_end(call->write, &old, &seq);

	const struct provider_class *ce = call->write_class;

	call->write = NULL;
	call->write_class = NULL;
	call->write_nalpath = NULL;
	call->wait_on = NULL;
	call->deferred = false;
	pthread_rwlock_wrlock(&p->lock);
	struct site *site = ce->site;	/* may have gone meanwhile */
	struct dp_entry *e = site ? find_dp(site, nalpath) : NULL;
	if (e) {
		now_mode = e->mode;
		if (r == 0 && seq > e->mode_seq) {
			e->mode = mode;
			e->mode_seq = seq;
		}
	}
	pthread_rwlock_unlock(&p->lock);
	if (!sc) {		/* provider_call_end: nobody to answer */
		free(nalpath);
		return 0;
	}
	if (r == -ENOENT) {
		/* The DP's row was gone at the commit: its site was removed
		 * between the queueing and the commit (it may be back by
		 * now). Answered as a call made while it was gone. */
		snprintf(msg, msgsize, "Site %s is no longer served.", sc->site);
		hr = WBEM_E_INVALID_NAMESPACE;
		je->nalpath = nalpath;
		je->has_return_value = false;
		je->return_value = 0;
		hr = record_result(p, call, je, hr, msg, msgsize);
		free(nalpath);
		return hr;
	}
	if (r) {
		je->nalpath = nalpath;
		/* Nothing changed (the row and the change are one
		 * transaction); the refusal gets a row of its own if it can. */
		if (r == -ENOSPC) {
			snprintf(msg, msgsize, "There is not enough space on the "
				 "disk: the change was not saved, so %s stays in "
				 "mode %u.", nalpath, now_mode);
			hr = HRESULT_DISK_FULL;
		} else {
			snprintf(msg, msgsize, "The change could not be saved "
				 "(%s), so %s stays in mode %u.", strerror(-r),
				 nalpath, now_mode);
			log_error("store_set_mode %s %s: %s", sc->site, nalpath,
				  strerror(-r));
			hr = WBEM_E_PROVIDER_FAILURE;
		}
		je->old_mode = now_mode;
		je->new_mode = -1;
		je->has_return_value = false;
		je->hresult = hr;
		/* On a full disk this fails too; the store has said so, and
		 * the client is told the disk is full either way. */
		record(p, call, je);
		free(nalpath);
		return hr;
	}
	log_info("%s set %s mode %u -> %u (%s)", call->who->user, nalpath, old, mode,
		 call->who->protocol);
	free(nalpath);
	return 0;
}

void provider_call_end(struct provider *p, struct provider_call *call)
{
	if (call && call->write)
		end_set_mode(p, call, NULL, NULL, NULL, 0);
	if (call && call->read) {
		/* Nobody will hear the answer; its row is written all the
		 * same, as a change is. */
		struct provider_read *k = call->read;

		read_row_end(call);
		read_free(k);
	}
}

/* ---- GetChainedPullDPs ------------------------------------------------- */

/* GetChainedPullDPs' parameters, checked once per call, before the fault
 * rules (which match on the source's NAL path). */
struct chain_args {
	const char *source;	/* SourceDPNALPath */
	uint32_t hresult;	/* 0: valid; else why not, in msg */
	char msg[384];
};

static uint32_t bad_chain_args(struct chain_args *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static uint32_t bad_chain_args(struct chain_args *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->msg, sizeof(a->msg), fmt, ap);
	va_end(ap);
	return a->hresult = WBEM_E_INVALID_METHOD_PARAMETERS;
}

/* Exactly SourceDPNALPath, once and not null: ChainedDPs is what the
 * method gives back, so a caller sending it has the signature wrong. */
static uint32_t parse_chain_args(const struct cim_method *m,
				 const struct provider_arg *params, size_t n,
				 struct chain_args *a)
{
	const char *name = cim_method_name(m);

	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < n; i++) {
		int k = cim_method_find_param(m, params[i].name);
		const struct cim_param *cp = k < 0 ? NULL : cim_method_param(m, (size_t)k);

		if (!cp)
			return bad_chain_args(a, "%s has no parameter '%s'; it "
					      "takes SourceDPNALPath.", name,
					      params[i].name);
		if (!(cp->flags & CIM_PARAM_IN))
			return bad_chain_args(a, "Parameter '%s' of %s is an "
					      "[out] parameter; the call takes "
					      "SourceDPNALPath only.", cp->name,
					      name);
		if (a->source)
			return bad_chain_args(a, "Parameter '%s' is given twice.",
					      params[i].name);
		a->source = params[i].value ? params[i].value : "";
		if (!params[i].value)
			return bad_chain_args(a, "Parameter '%s' is null; %s "
					      "needs the NAL path of a DP.",
					      params[i].name, name);
	}
	if (!a->source)
		return bad_chain_args(a, "Parameter 'SourceDPNALPath' is "
				      "missing; %s takes SourceDPNALPath.", name);
	return 0;
}

static int cmp_index(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* The NAL paths of the pull DPs chained to DP `from` of site s, breadth
 * first: those that copy from `from`, then those that copy from one of
 * them, and so on, each level in fixture order (the fixture's copied_by
 * lists, a level sorted by index). The fixture refuses loops; seen[]
 * keeps a DP from being listed twice when it copies from two DPs of the
 * chain. DPs outside acc's scopes are followed but not listed, as the
 * provider hides them. Into out's property idx; lock held. O(n log n) in
 * the DPs of the chain. 0 or -ENOMEM. */
static int chain_of(const struct site *s, const struct fixture_dp *from,
		    const struct auth_access *acc, struct cim_instance *out,
		    size_t idx)
{
	const struct fixture_site *fs = s->fx;
	size_t n = fs->ndps, level = 0, end = 1, tail = 1, nlisted = 0;
	size_t *queue = calloc(n ? n : 1, sizeof(*queue));
	bool *seen = calloc(n ? n : 1, sizeof(*seen));
	const char **listed = calloc(n ? n : 1, sizeof(*listed));
	int r = -ENOMEM;

	if (!queue || !seen || !listed)
		goto out;
	queue[0] = (size_t)(from - fs->dps);
	seen[queue[0]] = true;
	/* queue[level..end) is a level; its children go to queue[end..tail). */
	while (level < end) {
		for (size_t q = level; q < end; q++) {
			const struct fixture_dp *d = &fs->dps[queue[q]];

			for (size_t k = 0; k < d->ncopied_by; k++)
				if (!seen[d->copied_by[k]]) {
					seen[d->copied_by[k]] = true;
					queue[tail++] = d->copied_by[k];
				}
		}
		qsort(queue + end, tail - end, sizeof(*queue), cmp_index);
		for (size_t q = end; q < tail; q++) {
			const struct fixture_dp *d = &fs->dps[queue[q]];

			if (auth_scopes_cover(acc, d->scopes, d->nscopes))
				listed[nlisted++] = d->nalpath;
		}
		level = end;
		end = tail;
	}
	r = cim_instance_set_array(out, idx, listed, nlisted);
out:
	free(queue);
	free(seen);
	free(listed);
	return r;
}

/* je is the call's journal row; acc the caller's access at the site. As
 * for set_dp_mode, nothing pointing into the site is used once the lock
 * is released. *out is the method's output on success. */
static uint32_t chained_pull_dps(struct provider *p, struct provider_call *call,
				 const struct scope *sc,
				 const struct auth_access *acc,
				 const struct cim_method *m,
				 const struct chain_args *a,
				 struct journal_entry *je,
				 struct cim_instance **out,
				 char *msg, size_t msgsize)
{
	const struct cim_class *oc = cim_method_output_class(m);
	int idx = cim_class_find_property(oc, "ChainedDPs");
	char *nalpath = NULL;
	uint32_t hr = a->hresult;
	int r;

	*out = NULL;
	je->nalpath = a->source;
	if (hr) {
		snprintf(msg, msgsize, "%s", a->msg);
		goto journal;
	}
	*out = cim_instance_new(oc);
	if (!*out || idx < 0 || cim_method_set_return(m, *out, 0))
		goto nomem;

	pthread_rwlock_rdlock(&p->lock);
	struct site *site = sc->ce->site;	/* may have gone meanwhile */
	struct dp_entry *e = site ? find_dp(site, a->source) : NULL;
	if (e && !auth_scopes_cover(acc, e->fx->scopes, e->fx->nscopes)) {
		char mine[256], theirs[256];

		auth_scopes_text(acc->scopes, acc->nscopes, mine, sizeof(mine));
		auth_scopes_text(e->fx->scopes, e->fx->nscopes, theirs,
				 sizeof(theirs));
		log_info("%s may not see DP %s of site %s: it is in security "
			 "scope %s, the user's scopes there are %s; answered as "
			 "not found", call->who->user, e->fx->fqdn, sc->site,
			 theirs, mine);
		e = NULL;
	}
	if (!e) {
		pthread_rwlock_unlock(&p->lock);
		if (site)
			snprintf(msg, msgsize, "No distribution point with NAL path "
				 "'%s' in site %s.", a->source, sc->site);
		else
			snprintf(msg, msgsize, "Site %s is no longer served.", sc->site);
		hr = site ? WBEM_E_NOT_FOUND : WBEM_E_INVALID_NAMESPACE;
		goto journal;
	}
	/* The DP's own spelling in the journal, as SetDPMaintenanceMode's. */
	nalpath = strdup(e->nalpath);
	r = nalpath ? chain_of(site, e->fx, acc, *out, (size_t)idx) : -ENOMEM;
	pthread_rwlock_unlock(&p->lock);
	if (r)
		goto nomem;
	je->nalpath = nalpath;
	je->has_return_value = true;
	je->return_value = 0;
	goto journal;
nomem:
	snprintf(msg, msgsize, "Out of memory.");
	hr = WBEM_E_OUT_OF_MEMORY;
journal:
	read_end(p, call, je, &hr, (struct read_out){ READ_INSTANCE, .to.inst = out },
		 msg, msgsize);
	free(nalpath);
	if (hr) {
		cim_instance_free(*out);
		*out = NULL;
	}
	return hr;
}

/* ---- Invoke ---------------------------------------------------------------- */

void provider_result_clear(struct provider_result *r)
{
	if (!r)
		return;
	cim_instance_free(r->output);
	memset(r, 0, sizeof(*r));
}

/* The output of m for a call that ended with ReturnValue rv and no out
 * parameters (set: null): a rule's effect, or a method that has none. */
static uint32_t plain_output(const struct cim_method *m, uint32_t rv,
			     struct provider_result *res, char *msg,
			     size_t msgsize)
{
	if (!m)
		return 0;
	res->output = cim_instance_new(cim_method_output_class(m));
	if (res->output && cim_method_set_return(m, res->output, rv) == 0)
		return 0;
	provider_result_clear(res);
	snprintf(msg, msgsize, "Out of memory.");
	return WBEM_E_OUT_OF_MEMORY;
}

uint32_t provider_invoke_result(struct provider *p, struct provider_call *call,
				const struct provider_class *pc,
				const char *method,
				const struct provider_arg *params,
				size_t nparams, struct provider_result *res,
				char *msg, size_t msgsize)
{
	const struct cim_method *m = cim_class_find_method(pc->cls, method);
	const char *name = m ? cim_method_name(m) : "";
	struct set_mode_args args = { .mode = -1 };
	struct chain_args chain;
	struct call_ctx x;
	uint32_t hr;

	memset(res, 0, sizeof(*res));
	if (call->read) {	/* GetChainedPullDPs, its row committed */
		hr = read_resume(call, (struct read_out){ READ_INSTANCE,
							  .to.inst = &res->output },
				 msg, msgsize);
		if (hr)
			provider_result_clear(res);
		return hr;
	}
	bool set_mode = strcmp(name, CATALOG_SET_DP_MAINTENANCE_MODE) == 0;
	bool get_chain = strcmp(name, CATALOG_GET_CHAINED_PULL_DPS) == 0;
	if (set_mode)
		parse_set_mode_args(params, nparams, &args);
	if (get_chain)
		parse_chain_args(m, params, nparams, &chain);
	if (call_begin(p, call, pc, FAULT_OP_INVOKE, "invoke", method, params, nparams,
		       args.mode, &x, &hr, &res->return_value, msg, msgsize)) {
		if (hr || provider_call_intercepted(call))
			res->return_value = 0;
		else if (call->effect == FAULT_RETURN)
			hr = plain_output(m, res->return_value, res, msg, msgsize);
		return hr;
	}
	if (set_mode) {
		x.je.method = name;
		hr = set_dp_mode(p, call, &x.sc, &x.acc, &args, &x.je, msg, msgsize);
		return hr ? hr : plain_output(m, 0, res, msg, msgsize);
	}
	if (get_chain) {
		x.je.method = name;
		return chained_pull_dps(p, call, &x.sc, &x.acc, m, &chain, &x.je,
					&res->output, msg, msgsize);
	}
	snprintf(msg, msgsize, "Class %s has no method '%s'.", cim_class_name(pc->cls),
		 method);
	return record_result(p, call, &x.je, WBEM_E_INVALID_METHOD, msg, msgsize);
}

uint32_t provider_invoke(struct provider *p, struct provider_call *call,
			 const struct provider_class *pc, const char *method,
			 const struct provider_arg *params, size_t nparams,
			 uint32_t *return_value, char *msg, size_t msgsize)
{
	struct provider_result res;
	uint32_t hr = provider_invoke_result(p, call, pc, method, params, nparams,
					     &res, msg, msgsize);

	*return_value = res.return_value;
	provider_result_clear(&res);
	return hr;
}

/* ---- sites at run time --------------------------------------------------- */

static bool valid_code(const char *code)
{
	if (strlen(code) != 3)
		return false;
	for (const char *c = code; *c; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') ||
		      (*c >= '0' && *c <= '9')))
			return false;
	return true;
}

/* Gives the document's only site the code `code`; NAL paths that were
 * built from the old code are built again from the new one. */
static int rename_site(struct fixture *fx, const char *code, char *err,
		       size_t errsize)
{
	struct fixture_site *fs;
	char *newcode;

	if (!valid_code(code)) {
		snprintf(err, errsize, "site code '%s' is not 3 letters or digits",
			 code);
		return -EINVAL;
	}
	if (fx->nsites != 1) {
		snprintf(err, errsize, "a site code renames the document's only "
			 "site, but %s has %zu sites", fx->source, fx->nsites);
		return -EINVAL;
	}
	fs = &fx->sites[0];
	for (size_t k = 0; k < fs->ndps; k++) {
		struct fixture_dp *d = &fs->dps[k];
		char *built = fixture_nalpath(d->fqdn, fs->code);

		if (!built)
			return -ENOMEM;
		if (strcasecmp(built, d->nalpath) == 0) {
			char *again = fixture_nalpath(d->fqdn, code);

			if (!again) {
				free(built);
				return -ENOMEM;
			}
			free(d->nalpath);
			d->nalpath = again;
		}
		free(built);
	}
	newcode = strdup(code);
	if (!newcode)
		return -ENOMEM;
	free(fs->code);
	fs->code = newcode;
	return 0;
}

/* Builds the sites of fx (owned by a new document). On failure frees what
 * it built (write lock held) and the document. */
static int build_doc_sites(struct provider *p, struct fixture *fx,
			   struct site **built, char *err, size_t errsize)
{
	struct site_doc *doc = calloc(1, sizeof(*doc));
	size_t n = 0;
	int r = 0;

	if (!doc) {
		fixture_free(fx);
		snprintf(err, errsize, "out of memory");
		return -ENOMEM;
	}
	doc->fx = fx;
	doc->refs = 1;		/* ours until the sites hold it */
	for (; n < fx->nsites && !r; n++)
		r = build_site(p, &fx->sites[n], doc, fx, &built[n], err, errsize);
	if (r)
		for (size_t i = 0; i < n; i++) {
			site_free(built[i]);
			built[i] = NULL;
		}
	doc_release(doc);
	return r;
}

int provider_site_add(struct provider *p, const char *name, const char *xml,
		      size_t len, const char *code,
		      struct provider_site_added *added, size_t max_added,
		      size_t *nadded, size_t *users_ignored,
		      char *err, size_t errsize)
{
	struct fixture *fx = NULL;
	struct site **built = NULL;
	struct store_seed *seeds = NULL;
	size_t n;
	int r;

	*nadded = 0;
	if (users_ignored)
		*users_ignored = 0;
	r = fixture_load_memory(name, xml, len, &fx, err, errsize);
	if (r)
		return r;
	if (code && (r = rename_site(fx, code, err, errsize))) {
		fixture_free(fx);
		return r;
	}
	n = fx->nsites;
	if (n > max_added) {
		snprintf(err, errsize, "%s has %zu sites; at most %zu can be "
			 "added at once", name, n, max_added);
		fixture_free(fx);
		return -E2BIG;
	}
	if (users_ignored)
		*users_ignored = fx->nusers;
	built = calloc(n ? n : 1, sizeof(*built));
	if (!built) {
		fixture_free(fx);
		return -ENOMEM;
	}

	pthread_rwlock_wrlock(&p->lock);
	for (size_t i = 0; i < n; i++) {
		if (find_site(p, fx->sites[i].code) >= 0) {
			snprintf(err, errsize, "site %s is served already; remove "
				 "it first", fx->sites[i].code);
			r = -EEXIST;
			fixture_free(fx);
			goto out;
		}
	}
	if (p->max_sites && p->nsites + n > p->max_sites) {
		snprintf(err, errsize, "adding %zu site(s) to the %zu served would "
			 "pass --max-sites %zu; remove one first", n, p->nsites,
			 p->max_sites);
		r = -ENOSPC;
		fixture_free(fx);
		goto out;
	}
	r = build_doc_sites(p, fx, built, err, errsize);
	if (r)
		goto out;
	r = reserve_sites(p, n);
	for (size_t i = 0; i < n && !r; i++) {
		size_t ns;

		seeds = site_seeds(&built[i], 1, &ns);
		if (!seeds)
			r = -ENOMEM;
		else if (store_reset(p->st, built[i]->code, seeds, ns))
			r = -EIO;
		else
			reset_modes(p, built[i]);
		free(seeds);
		seeds = NULL;
	}
	for (size_t i = 0; i < n && !r; i++)
		r = site_fault_rules(p, built[i], err, errsize);
	if (r)
		for (size_t i = 0; i < n; i++)
			faults_clear(p->faults, built[i]->code);
	for (size_t i = 0; i < n && !r; i++) {
		activate(p, built[i]);
		snprintf(added[i].code, sizeof(added[i].code), "%s",
			 built[i]->code);
		added[i].ndps = built[i]->ndps;
		built[i] = NULL;
		(*nadded)++;
	}
	if (r == -EIO)
		snprintf(err, errsize, "the database could not be updated");
	else if (r && r != -ENOSPC)	/* ENOSPC: err says which cap */
		snprintf(err, errsize, "out of memory");
	for (size_t i = 0; i < n; i++)
		site_free(built[i]);
out:
	pthread_rwlock_unlock(&p->lock);
	free(seeds);
	free(built);
	if (!r)
		for (size_t i = 0; i < *nadded; i++)
			log_info("site %s added with %zu DP(s) from %s",
				 added[i].code, added[i].ndps, name);
	return r;
}

int provider_site_remove(struct provider *p, const char *code)
{
	struct site *gone = NULL;
	char canon[CODE_SIZE];
	ssize_t i;
	int r = 0;

	pthread_rwlock_wrlock(&p->lock);
	i = find_site(p, code);
	if (i < 0) {
		r = -ENOENT;
	} else if (store_reset(p->st, p->sites[i]->code, NULL, 0)) {
		r = -EIO;
	} else {
		gone = deactivate(p, (size_t)i);
		snprintf(canon, sizeof(canon), "%s", gone->code);
		site_free(gone);
		/* Under the lock: once it is released the code may be served
		 * again, by a site whose rules must stay. */
		faults_clear(p->faults, canon);
	}
	pthread_rwlock_unlock(&p->lock);
	if (gone)
		log_info("site %s removed", canon);
	return r;
}

int provider_site_lookup(struct provider *p, const char *code, char *out)
{
	ssize_t i;

	pthread_rwlock_rdlock(&p->lock);
	i = find_site(p, code);
	if (i >= 0)
		snprintf(out, CODE_SIZE, "%s", p->sites[i]->code);
	pthread_rwlock_unlock(&p->lock);
	return i >= 0 ? 0 : -ENOENT;
}

size_t provider_max_sites(const struct provider *p)
{
	return p->max_sites;
}

size_t provider_max_snapshots(const struct provider *p)
{
	return p->max_snapshots;
}

size_t provider_site_count(struct provider *p, size_t *ndps)
{
	size_t n, d = 0;

	pthread_rwlock_rdlock(&p->lock);
	n = p->nsites;
	for (size_t i = 0; i < n; i++)
		d += p->sites[i]->ndps;
	pthread_rwlock_unlock(&p->lock);
	if (ndps)
		*ndps = d;
	return n;
}

static int reset_one(struct provider *p, const char *code)
{
	struct store_seed *seeds;
	size_t n = 0;
	char canon[CODE_SIZE];
	ssize_t i;
	int r = 0;

	pthread_rwlock_wrlock(&p->lock);
	i = find_site(p, code);
	if (i < 0) {
		pthread_rwlock_unlock(&p->lock);
		return -ENOENT;
	}
	struct site *s = p->sites[i];
	snprintf(canon, sizeof(canon), "%s", s->code);
	seeds = site_seeds(&s, 1, &n);
	if (!seeds)
		r = -ENOMEM;
	else if (store_reset(p->st, s->code, seeds, n))
		r = -EIO;
	else
		reset_modes(p, s);
	/* Under the lock, as in provider_site_remove: the site reset is
	 * the one whose rules go back to the fixture's. */
	if (!r)
		faults_reset(p->faults, canon);
	pthread_rwlock_unlock(&p->lock);
	free(seeds);
	return r;
}

/* Everything back to the start-up fixture. The new set of sites is built
 * before anything changes, so a failure changes nothing. */
static int reset_all(struct provider *p)
{
	const struct fixture *fx = p->fx;
	struct site **next = calloc(fx->nsites + 1, sizeof(*next));
	struct store_seed *seeds = NULL;
	char err[256];
	size_t nseeds = 0, k;
	int r = 0;

	if (!next)
		return -ENOMEM;
	pthread_rwlock_wrlock(&p->lock);
	for (k = 0; k < fx->nsites && !r; k++) {
		ssize_t i = find_site(p, fx->sites[k].code);

		/* A start-up site still served is kept as it is. */
		if (i >= 0 && p->sites[i]->fx == &fx->sites[k])
			next[k] = p->sites[i];
		else
			r = build_site(p, &fx->sites[k], NULL, fx, &next[k], err,
				       sizeof(err));
	}
	if (!r)
		r = reserve_sites(p, fx->nsites);
	if (!r) {
		seeds = site_seeds(next, fx->nsites, &nseeds);
		r = !seeds ? -ENOMEM
			   : store_reset(p->st, NULL, seeds, nseeds) ? -EIO : 0;
	}
	if (r) {
		for (size_t j = 0; j < k; j++)
			if (next[j] && (next[j]->info->site != next[j]))
				site_free(next[j]);
		goto out;
	}
	/* Swap: what is served but not kept goes. */
	while (p->nsites) {
		struct site *s = deactivate(p, p->nsites - 1);
		bool kept = false;

		for (size_t j = 0; j < fx->nsites; j++)
			kept |= next[j] == s;
		if (!kept)
			site_free(s);
	}
	for (k = 0; k < fx->nsites; k++) {
		reset_modes(p, next[k]);
		activate(p, next[k]);	/* reserved: cannot fail */
	}
	/* With the sites, not after: a site added once the lock is
	 * released keeps its rules. */
	faults_reset(p->faults, NULL);
out:
	pthread_rwlock_unlock(&p->lock);
	free(seeds);
	free(next);
	return r;
}

int provider_reset(struct provider *p, const char *code)
{
	int r = code ? reset_one(p, code) : reset_all(p);

	if (!r)
		log_info("reset %s", code ? code : "everything");
	return r;
}

int provider_foreach_status_message(struct provider *p, const char *code,
				    size_t newest,
				    int (*cb)(void *ctx,
					      const struct status_message *m),
				    void *ctx, int64_t *kept)
{
	struct store_statmsg_filter f = {
		.site = code, .limit = (int64_t)newest, .newest_first = true,
	};

	if (kept)
		*kept = store_statmsg_count(p->st, code);
	return store_statmsg_query(p->st, &f, cb, ctx);
}

int provider_foreach_site(struct provider *p, const char *code,
			  int (*cb)(void *ctx, const struct provider_site_view *v),
			  void *ctx)
{
	int r = code ? -ENOENT : 0;

	pthread_rwlock_rdlock(&p->lock);
	for (size_t i = 0; i < p->nsites; i++) {
		struct site *s = p->sites[i];

		if (code && strcasecmp(code, s->code) != 0)
			continue;
		struct provider_dp_view *dps = calloc(s->ndps + 1, sizeof(*dps));
		if (!dps) {
			r = -ENOMEM;
			break;
		}
		for (size_t k = 0; k < s->ndps; k++)
			dps[k] = (struct provider_dp_view){
				.name = s->dps[k].fx->fqdn,
				.nalpath = s->dps[k].nalpath,
				.kind = s->dps[k].fx->kind,
				.mode = s->dps[k].mode,
				.scopes = s->dps[k].fx->scopes,
				.nscopes = s->dps[k].fx->nscopes,
			};
		struct provider_site_view v = {
			.code = s->code, .name = s->fx->name,
			.machine = s->fx->provider, .startup = s->doc == NULL,
			.dps = dps, .ndps = s->ndps,
		};
		r = cb(ctx, &v);
		free(dps);
		if (r)
			break;
	}
	pthread_rwlock_unlock(&p->lock);
	return r;
}

/* ---- snapshots ----------------------------------------------------------- */

/* Every site served, as one fixture document ("" when none); lock held.
 * malloc'd, NULL when out of memory. */
static char *sites_xml(struct provider *p)
{
	const struct fixture_site **fss = calloc(p->nsites + 1, sizeof(*fss));
	char *text;

	if (!fss)
		return NULL;
	for (size_t i = 0; i < p->nsites; i++)
		fss[i] = p->sites[i]->fx;
	text = fixture_write_sites(fss, p->nsites);
	free(fss);
	return text;
}

static void unlock_provider(void *ctx)
{
	struct provider *p = ctx;

	pthread_rwlock_unlock(&p->lock);
}

struct snap_count {
	const char *name;
	size_t n;
	bool exists;
};

static int count_snapshot(void *ctx, const struct store_snapshot_info *i)
{
	struct snap_count *sc = ctx;

	sc->n++;
	sc->exists |= strcmp(i->name, sc->name) == 0;
	return 0;
}

int provider_snapshot_save(struct provider *p, const char *name)
{
	struct store_blob blobs[2] = { { "sites", NULL }, { "faults", NULL } };
	struct faults_state fs;
	int r;

	if (!store_snapshot_name_valid(name))
		return -EINVAL;
	/* The write lock keeps the DP modes and the sites still until the
	 * copy's view of the database is fixed; released then, so calls go
	 * on while a large database is written out. */
	pthread_rwlock_wrlock(&p->lock);
	/* Counted under the write lock, which every save takes: two saves
	 * at once cannot both take the last place. */
	if (p->max_snapshots) {
		struct snap_count sc = { .name = name };

		if (store_snapshot_list(p->st, count_snapshot, &sc) == 0 &&
		    !sc.exists && sc.n >= p->max_snapshots) {
			pthread_rwlock_unlock(&p->lock);
			return -ENOSPC;
		}
	}
	blobs[0].value = sites_xml(p);
	/* The rules with the sites, under the same lock: a site and its
	 * rules come back together. */
	if (faults_export(p->faults, &fs) == 0) {
		blobs[1].value = fault_json_state_text(&fs);
		faults_state_clear(&fs);
	}
	if (blobs[0].value && blobs[1].value) {
		r = store_snapshot_save_notify(p->st, name, blobs, 2,
					       unlock_provider, p);
	} else {
		pthread_rwlock_unlock(&p->lock);
		r = -ENOMEM;
	}
	free((char *)blobs[0].value);
	free((char *)blobs[1].value);
	if (!r)
		log_info("snapshot %s saved", name);
	return r;
}

int provider_snapshot_list(struct provider *p,
			   int (*cb)(void *ctx, const struct store_snapshot_info *i),
			   void *ctx)
{
	return store_snapshot_list(p->st, cb, ctx);
}

int provider_snapshot_delete(struct provider *p, const char *name)
{
	return store_snapshot_delete(p->st, name);
}

/* When a restored site is the start-up fixture's own (same document
 * text), serve it from there again so it still counts as a start-up
 * site; lock held. */
static const struct fixture_site *startup_twin(struct provider *p,
					       const struct fixture_site *fs)
{
	const struct fixture_site *twin = NULL;

	for (size_t k = 0; k < p->fx->nsites && !twin; k++) {
		const struct fixture_site *mine = &p->fx->sites[k];
		char *a, *b;

		if (strcasecmp(mine->code, fs->code) != 0)
			continue;
		a = fixture_write_sites(&fs, 1);
		b = fixture_write_sites(&mine, 1);
		if (a && b && strcmp(a, b) == 0)
			twin = mine;
		free(a);
		free(b);
	}
	return twin;
}

/* The sites of a snapshot, built but not served; lock held. */
static int snapshot_sites(struct provider *p, const char *name,
			  struct site ***out, size_t *nout,
			  char *err, size_t errsize)
{
	struct fixture *fx = NULL;
	struct site **built;
	char *xml = NULL, src[128];
	int r;

	*out = NULL;
	*nout = 0;
	r = store_snapshot_blob(p->st, name, "sites", &xml);
	if (r)
		return r;
	if (!*xml) {		/* saved while no site was served */
		free(xml);
		*out = calloc(1, sizeof(**out));
		return *out ? 0 : -ENOMEM;
	}
	snprintf(src, sizeof(src), "snapshot %s", name);
	r = fixture_load_memory(src, xml, strlen(xml), &fx, err, errsize);
	free(xml);
	if (r)
		return r;
	built = calloc(fx->nsites + 1, sizeof(*built));
	if (!built) {
		fixture_free(fx);
		return -ENOMEM;
	}
	for (size_t i = 0; i < fx->nsites; i++) {
		const struct fixture_site *twin = startup_twin(p, &fx->sites[i]);

		if (!twin)
			continue;
		r = build_site(p, twin, NULL, p->fx, &built[i], err, errsize);
		if (r)
			break;
	}
	*nout = fx->nsites;
	if (!r) {
		/* The rest from the snapshot's own document. */
		struct site **rest = calloc(fx->nsites + 1, sizeof(*rest));
		size_t n = fx->nsites;

		r = rest ? build_doc_sites(p, fx, rest, err, errsize) : -ENOMEM;
		fx = NULL;
		for (size_t i = 0; i < n && !r; i++) {
			if (built[i])
				site_free(rest[i]);
			else
				built[i] = rest[i];
		}
		free(rest);
	}
	if (r) {
		for (size_t i = 0; i < *nout; i++)
			site_free(built[i]);
		free(built);
		fixture_free(fx);
		*nout = 0;
		return r;
	}
	*out = built;
	return 0;
}

int provider_snapshot_restore(struct provider *p, const char *name,
			      char *err, size_t errsize)
{
	struct faults_state fs = { 0 };
	struct site **next = NULL;
	char *text = NULL, why[512];
	size_t n = 0;
	int r;

	if (!store_snapshot_name_valid(name)) {
		snprintf(err, errsize, "'%s' is not a snapshot name", name);
		return -EINVAL;
	}
	r = store_snapshot_blob(p->st, name, "faults", &text);
	if (r)
		return r;
	r = fault_json_state_parse(text, &fs, why, sizeof(why));
	free(text);
	if (r == -EINVAL)
		snprintf(err, errsize, "its fault rules cannot be read: %s", why);
	if (r)
		return r;
	pthread_rwlock_wrlock(&p->lock);
	r = snapshot_sites(p, name, &next, &n, err, errsize);
	if (!r)
		r = reserve_sites(p, n);
	if (!r && (r = store_snapshot_restore(p->st, name)))
		snprintf(err, errsize, "snapshot %s could not be restored", name);
	if (r) {
		for (size_t i = 0; next && i < n; i++)
			site_free(next[i]);
		goto out;
	}
	while (p->nsites)
		site_free(deactivate(p, p->nsites - 1));
	for (size_t i = 0; i < n; i++) {
		struct site *s = next[i];

		for (size_t k = 0; k < s->ndps; k++) {
			if (store_get_mode(p->st, s->code, s->dps[k].nalpath,
					   &s->dps[k].mode))
				log_warn("snapshot %s has no state for %s",
					 name, s->dps[k].nalpath);
			s->dps[k].mode_seq = store_reset_seq(p->st);
		}
		activate(p, s);	/* reserved: cannot fail */
	}
	if (faults_import(p->faults, &fs))
		r = -ENOMEM;
out:
	pthread_rwlock_unlock(&p->lock);
	faults_state_clear(&fs);
	free(next);
	if (!r)
		log_info("snapshot %s restored", name);
	return r;
}
