/* control: the /_dpsim/ JSON API. See control.h for the routes.
 *
 * Each route is a function from (request, args) to a JSON document and a
 * status. Requests are checked strictly: an unknown query parameter, an
 * unknown field, a value of the wrong type are 400s that name it, so a
 * typo in a test's set-up fails loudly instead of injecting nothing.
 */
#include "control.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fault_json.h"
#include "hresult.h"
#include "auth.h"
#include "json_answer.h"
#include "log.h"
#include "num.h"

#define MAX_SITES_PER_POST 64

enum ctl_state { CTL_STARTING, CTL_READY, CTL_STOPPING };

struct control {
	pthread_mutex_t lock;	/* state and p */
	enum ctl_state state;
	struct provider *p;
	char *token;
	struct auth_policy auth;	/* the token, when there is one */
	const char *version;
	int64_t started_ms;
	unsigned journal_page_max;	/* 0: no cap */
	struct front front;		/* control_front() */
};

/* One request being answered. */
struct ctx {
	struct control *c;
	struct provider *p;
	const struct front_request *rq;
	struct front_answer *rs;
	const char *seg[4];	/* path segments */
	char segbuf[512];
	size_t nseg;
	struct json_answer ans;	/* set by the route */
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct control *control_new(const struct control_options *o)
{
	struct control *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (o->admin_token && !(c->token = strdup(o->admin_token))) {
		free(c);
		return NULL;
	}
	c->auth = (struct auth_policy){
		.admin_token = c->token,
		.schemes = c->token ? AUTH_SCHEME_ADMIN_BEARER : 0,
	};
	pthread_mutex_init(&c->lock, NULL);
	c->version = o->version ? o->version : "0";
	c->journal_page_max = o->journal_page_max;
	c->started_ms = mono_ms();
	return c;
}

void control_free(struct control *c)
{
	if (!c)
		return;
	if (c->token) {
		explicit_bzero(c->token, strlen(c->token));
		free(c->token);
	}
	pthread_mutex_destroy(&c->lock);
	free(c);
}

void control_set_ready(struct control *c, struct provider *p)
{
	pthread_mutex_lock(&c->lock);
	c->p = p;
	c->state = CTL_READY;
	pthread_mutex_unlock(&c->lock);
}

void control_set_stopping(struct control *c)
{
	pthread_mutex_lock(&c->lock);
	c->state = CTL_STOPPING;
	pthread_mutex_unlock(&c->lock);
}

/* ---- answers ----------------------------------------------------------- */

/* Sets the answer; takes the reference to body. Returns status. */
static int answer(struct ctx *x, int status, json_t *body)
{
	return json_answer_set(&x->ans, status, body);
}

static int fail(struct ctx *x, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(struct ctx *x, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	status = json_answer_vfail(&x->ans, status, fmt, ap);
	va_end(ap);
	return status;
}

static int nomem(struct ctx *x)
{
	return fail(x, 500, "out of memory");
}

/* A refusal by one of the caps: the sentence, and the cap and its option
 * as fields a script can read. Logged, so the operator sees which cap a
 * test ran into. */
static int over_cap(struct ctx *x, int status, size_t cap, const char *option,
		    const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int over_cap(struct ctx *x, int status, size_t cap, const char *option,
		    const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warn("control %s /_dpsim%s refused: %s", x->rq->method, x->rq->path, msg);
	json_t *o = json_pack("{s:s, s:I, s:s}", "error", msg, "cap",
			      (json_int_t)cap, "option", option);
	return o ? answer(x, status, o) : nomem(x);
}

static void iso_time(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	gmtime_r(&t, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

/* ---- query arguments ------------------------------------------------------ */

static const char *arg(const struct ctx *x, const char *name)
{
	for (size_t i = 0; i < x->rq->nargs; i++)
		if (strcmp(x->rq->args[i].name, name) == 0)
			return x->rq->args[i].value ? x->rq->args[i].value : "";
	return NULL;
}

/* 400 unless every argument is one of allowed (a NULL-terminated list). */
static int only_args(struct ctx *x, const char *const *allowed)
{
	for (size_t i = 0; i < x->rq->nargs; i++) {
		const char *n = x->rq->args[i].name;
		bool ok = false;
		char list[256] = "";

		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(*a, n) == 0;
		if (ok)
			continue;
		for (const char *const *a = allowed; *a; a++)
			snprintf(list + strlen(list), sizeof(list) - strlen(list),
				 "%s%s", a == allowed ? "" : ", ", *a);
		return fail(x, 400, "parameter '%s' is not accepted here%s%s%s", n,
			    *allowed ? " (accepted: " : "", list,
			    *allowed ? ")" : "");
	}
	return 0;
}

/* The site a ?site= names into *site (NULL without one), spelled as
 * served; for a site that is not served, the code as given, whole (rules
 * may wait for a site). It ends up in rules, answers and snapshots, so it
 * must be what a rule's "site" field may be: not empty, UTF-8. 0, or -1
 * with a 400 answered. */
static int site_arg(struct ctx *x, char canon[16], const char **site)
{
	const char *s = arg(x, "site");
	json_t *t;

	*site = s;
	if (!s)
		return 0;
	if (!*s) {
		fail(x, 400, "parameter 'site' is empty; leave it out for "
		     "every site");
		return -1;
	}
	if (provider_site_lookup(x->p, s, canon) == 0) {
		*site = canon;
		return 0;
	}
	t = json_string(s);
	if (!t) {
		fail(x, 400, "parameter 'site' is not UTF-8 text");
		return -1;
	}
	json_decref(t);
	return 0;
}

/* ---- JSON bodies ---------------------------------------------------------- */

static json_t *parse_body(struct ctx *x, bool *failed)
{
	json_error_t e;
	json_t *v;

	*failed = false;
	if (!x->rq->len) {
		fail(x, 400, "the request needs a JSON body");
		*failed = true;
		return NULL;
	}
	v = json_loadb(x->rq->body, x->rq->len, JSON_REJECT_DUPLICATES |
		      JSON_DECODE_ANY, &e);
	if (!v) {
		fail(x, 400, "malformed JSON at line %d, column %d: %s", e.line,
		     e.column, e.text);
		*failed = true;
	}
	return v;
}

/* The rules list after a change: those with ids first..first+n-1. */
static json_t *added_json(struct faults *f, int64_t first, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++) {
		struct fault_rule r;

		if (faults_get(f, first + (int64_t)i, &r) == 0) {
			json_array_append_new(a, fault_json_rule(&r));
			fault_rule_clear(&r);
		}
	}
	return a;
}

/* ---- routes: health, state, reset ------------------------------------------ */

/* Health is open (readiness probes carry no token), so it says nothing a
 * stranger could use: the fault seed, which predicts every random fault
 * rule's draws, only to a caller that presents the admin token. Without
 * a token the control API is open anyway and /_dpsim/state has it. */
static int route_health(struct ctx *x, enum ctl_state st, bool authorised)
{
	static const char *const none[] = { NULL };
	size_t ndps = 0, nsites;
	json_t *o;

	if (only_args(x, none))
		return x->ans.status;
	if (st == CTL_STARTING)
		return answer(x, 503, json_pack("{s:s, s:b, s:s}", "status", "starting",
						"fixtures_loaded", 0, "version",
						x->c->version));
	if (st == CTL_STOPPING)
		return answer(x, 503, json_pack("{s:s, s:b, s:s}", "status", "stopping",
						"fixtures_loaded", 1, "version",
						x->c->version));
	nsites = provider_site_count(x->p, &ndps);
	o = json_pack("{s:s, s:b, s:s, s:I, s:I, s:I, s:I}",
		"status", "ready", "fixtures_loaded", 1, "version", x->c->version,
		"sites", (json_int_t)nsites, "dps", (json_int_t)ndps,
		"journal_max", (json_int_t)journal_max(provider_journal(x->p)),
		"uptime_ms", (json_int_t)(mono_ms() - x->c->started_ms));
	if (o && authorised &&
	    json_object_set_new(o, "seed", json_integer((json_int_t)
			faults_seed(provider_faults(x->p))))) {
		json_decref(o);
		o = NULL;
	}
	return answer(x, 200, o);
}

static json_t *journal_stats_json(struct provider *p, const char *site)
{
	int64_t rows = 0, dropped = 0;

	journal_stats(provider_journal(p), site, &rows, &dropped);
	return json_pack("{s:I, s:I}", "rows", (json_int_t)rows, "dropped",
			 (json_int_t)dropped);
}

struct site_walk {
	struct provider *p;
	json_t *arr;
	bool detail;
};

static int site_cb(void *ctx, const struct provider_site_view *v)
{
	struct site_walk *w = ctx;
	json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:I}", "code", v->code,
			      "name", v->name, "provider", v->machine,
			      "startup", v->startup, "dp_count", (json_int_t)v->ndps);

	if (!o)
		return -ENOMEM;
	if (w->detail) {
		json_t *dps = json_array();

		for (size_t i = 0; dps && i < v->ndps; i++)
			json_array_append_new(dps, json_pack("{s:s, s:s, s:s, s:I}",
				"name", v->dps[i].name, "nalpath", v->dps[i].nalpath,
				"kind", v->dps[i].kind, "maintenance_mode",
				(json_int_t)v->dps[i].mode));
		json_object_set_new(o, "dps", dps ? dps : json_array());
		json_object_set_new(o, "faults", json_integer((json_int_t)
			faults_count(provider_faults(w->p), v->code)));
		json_object_set_new(o, "journal", journal_stats_json(w->p, v->code));
	}
	return json_array_append_new(w->arr, o) ? -ENOMEM : 0;
}

/* An array of the sites (or the one named code); NULL with an answer. */
static json_t *sites_json(struct ctx *x, const char *code, bool detail)
{
	struct site_walk w = { x->p, json_array(), detail };
	int rc;

	if (!w.arr) {
		nomem(x);
		return NULL;
	}
	rc = provider_foreach_site(x->p, code, site_cb, &w);
	if (rc) {
		json_decref(w.arr);
		if (rc == -ENOENT)
			fail(x, 404, "no site %s is served", code);
		else
			nomem(x);
		return NULL;
	}
	return w.arr;
}

static int snap_name_cb(void *ctx, const struct store_snapshot_info *i)
{
	return json_array_append_new(ctx, json_string(i->name)) ? -ENOMEM : 0;
}

static int route_state(struct ctx *x)
{
	static const char *const ok[] = { "site", NULL };
	char canon[16];
	const char *site;
	json_t *sites, *o;

	if (only_args(x, ok))
		return x->ans.status;
	site = arg(x, "site");
	if (site && provider_site_lookup(x->p, site, canon))
		return fail(x, 404, "no site %s is served", site);
	sites = sites_json(x, site ? canon : NULL, true);
	if (!sites)
		return x->ans.status;
	o = json_pack("{s:s, s:s, s:I, s:I, s:o, s:I, s:o}",
		      "status", "ready", "version", x->c->version,
		      "seed", (json_int_t)faults_seed(provider_faults(x->p)),
		      "journal_max", (json_int_t)journal_max(provider_journal(x->p)),
		      "sites", sites,
		      "faults", (json_int_t)faults_count(provider_faults(x->p),
							 site ? canon : NULL),
		      "journal", journal_stats_json(x->p, site ? canon : NULL));
	if (o && !site) {
		json_t *snaps = json_array();

		if (snaps && provider_snapshot_list(x->p, snap_name_cb, snaps) == 0)
			json_object_set_new(o, "snapshots", snaps);
		else
			json_decref(snaps);
	}
	return o ? answer(x, 200, o) : nomem(x);
}

static int route_reset(struct ctx *x)
{
	static const char *const ok[] = { "site", "seed", NULL };
	const char *site = arg(x, "site"), *seed = arg(x, "seed");
	uint64_t s = 0;
	int rc;

	if (only_args(x, ok))
		return x->ans.status;
	if (seed && site)
		return fail(x, 400, "parameter 'seed' restarts every site's "
			    "generator: it goes with a reset of everything, not "
			    "with 'site'");
	if (seed && num_parse_dec(seed, INT64_MAX, &s))
		return fail(x, 400, "parameter 'seed': '%s' is not a whole number "
			    "from 0 to %" PRId64, seed, INT64_MAX);
	rc = provider_reset(x->p, site);
	if (rc == -ENOENT)
		return fail(x, 404, "no site %s is served", site);
	if (rc)
		return fail(x, 500, "the reset failed: %s", strerror(-rc));
	if (seed)
		faults_reseed(provider_faults(x->p), s);
	return answer(x, 200, json_pack("{s:s, s:I}", "reset", site ? site : "all",
					"seed", (json_int_t)
					faults_seed(provider_faults(x->p))));
}

/* ---- routes: faults ---------------------------------------------------------- */

static int rule_id_arg(struct ctx *x, int64_t *id)
{
	uint64_t v;

	if (num_parse_dec(x->seg[1], INT64_MAX, &v) || v == 0)
		return fail(x, 404, "'%s' is not a fault rule id", x->seg[1]);
	*id = (int64_t)v;
	return 0;
}

static int route_fault(struct ctx *x)
{
	static const char *const none[] = { NULL };
	struct faults *f = provider_faults(x->p);
	struct fault_rule r;
	int64_t id = 0;

	if (only_args(x, none) || rule_id_arg(x, &id))
		return x->ans.status;
	if (!strcmp(x->rq->method, "DELETE")) {
		if (faults_remove(f, id))
			return fail(x, 404, "no fault rule %" PRId64, id);
		return answer(x, 200, json_pack("{s:I}", "deleted", (json_int_t)1));
	}
	int rc = faults_get(f, id, &r);
	if (rc == -ENOENT)
		return fail(x, 404, "no fault rule %" PRId64, id);
	if (rc)
		return nomem(x);
	json_t *o = fault_json_rule(&r);
	fault_rule_clear(&r);
	return o ? answer(x, 200, o) : nomem(x);
}

static int route_faults(struct ctx *x)
{
	static const char *const ok[] = { "site", NULL };
	struct faults *f = provider_faults(x->p);
	const char *m = x->rq->method;
	char canon[16];
	const char *site;

	if (only_args(x, ok) || site_arg(x, canon, &site))
		return x->ans.status;
	if (!strcmp(m, "GET")) {
		struct fault_rule *rules;
		size_t n;

		if (faults_list(f, site, &rules, &n))
			return nomem(x);
		json_t *a = fault_json_rules(rules, n);
		fault_rules_free(rules, n);
		return a ? answer(x, 200, json_pack("{s:o}", "faults", a)) : nomem(x);
	}
	if (!strcmp(m, "DELETE")) {
		size_t n = faults_clear(f, site);
		return answer(x, 200, json_pack("{s:I}", "deleted", (json_int_t)n));
	}

	/* POST adds, PUT replaces. */
	struct fault_rule *rules;
	size_t n;
	bool single, failed;
	int64_t first = 0;
	json_t *body = parse_body(x, &failed);

	if (failed)
		return x->ans.status;
	char err[1024];
	int rc = fault_json_rules_parse(body, site, &rules, &n, &single, err,
					sizeof(err));

	json_decref(body);
	if (rc == -ENOMEM)
		return nomem(x);
	if (rc)
		return fail(x, 400, "%s", err);
	if (!strcmp(m, "PUT") && single) {
		fault_rules_free(rules, n);
		return fail(x, 400, "PUT replaces the whole list: send an array of "
			    "rules (or {\"faults\": [...]})");
	}
	rc = !strcmp(m, "PUT") ? faults_replace(f, site, rules, n, &first)
				   : faults_add(f, rules, n, &first);
	fault_rules_free(rules, n);
	if (rc == -ENOSPC)
		return over_cap(x, 409, faults_max(f), "--max-fault-rules",
				"%s %zu fault rule(s) would pass the cap of %zu "
				"(--max-fault-rules; %zu held now): nothing was "
				"changed", !strcmp(m, "PUT") ? "replacing with"
				: "adding", n, faults_max(f),
				faults_count(f, NULL));
	if (rc)
		return nomem(x);
	json_t *added = added_json(f, first, n);
	if (!added)
		return nomem(x);
	if (single) {
		json_t *one = json_incref(json_array_get(added, 0));

		json_decref(added);
		return answer(x, 201, one);
	}
	return answer(x, !strcmp(m, "PUT") ? 200 : 201,
		      json_pack("{s:o}", "faults", added));
}

/* ---- routes: journal ---------------------------------------------------------- */

static json_t *entry_json(const struct journal_entry *e)
{
	char when[32];
	const char *hname = e->hresult ? hresult_name(e->hresult) : NULL;
	json_t *o = json_object();

	if (!o)
		return NULL;
	iso_time(e->time_ms, when);
	json_object_set_new(o, "id", json_integer(e->id));
	json_object_set_new(o, "time", json_string(when));
	json_object_set_new(o, "time_ms", json_integer(e->time_ms));
	json_object_set_new(o, "user", json_answer_string_or_null(e->user));
	json_object_set_new(o, "protocol", json_answer_string_or_null(e->protocol));
	json_object_set_new(o, "operation", json_answer_string_or_null(e->operation));
	json_object_set_new(o, "site", json_answer_string_or_null(e->site));
	json_object_set_new(o, "class", json_answer_string_or_null(e->class_name));
	json_object_set_new(o, "method", json_answer_string_or_null(e->method));
	json_object_set_new(o, "nalpath", json_answer_string_or_null(e->nalpath));
	json_object_set_new(o, "params", json_answer_string_or_null(e->params));
	json_object_set_new(o, "old_mode", e->old_mode < 0 ? json_null()
			    : json_integer(e->old_mode));
	json_object_set_new(o, "new_mode", e->new_mode < 0 ? json_null()
			    : json_integer(e->new_mode));
	json_object_set_new(o, "result", json_string(journal_result(e)));
	json_object_set_new(o, "hresult", json_answer_hex32(e->hresult));
	json_object_set_new(o, "hresult_name", json_answer_string_or_null(hname));
	json_object_set_new(o, "return_value", e->has_return_value
			    ? json_integer(e->return_value) : json_null());
	json_object_set_new(o, "rule", e->rule_id ? json_integer(e->rule_id)
			    : json_null());
	json_object_set_new(o, "effect", json_answer_string_or_null(e->effect));
	json_object_set_new(o, "http_status", e->http_status
			    ? json_integer(e->http_status) : json_null());
	json_object_set_new(o, "latency_us", json_integer(e->latency_us));
	return o;
}

/* The filter of the request's query arguments; -1 with an answer. */
static int journal_filter(struct ctx *x, struct journal_filter *jf)
{
	char err[512];

	journal_filter_init(jf);
	for (size_t i = 0; i < x->rq->nargs; i++) {
		int rc = journal_filter_set(jf, x->rq->args[i].name,
					    x->rq->args[i].value, err, sizeof(err));
		if (rc) {
			journal_filter_free(jf);
			if (rc == -ENOMEM)
				nomem(x);
			else
				fail(x, 400, "%s", err);
			return -1;
		}
	}
	return 0;
}

struct rows {
	json_t *arr;
	int64_t last;
	int64_t page;		/* rows answered at most; 0: all */
	int64_t n;
	bool more;		/* a row past the page exists */
};

/* row_cb's "stop: the page is full" (not an errno). */
#define ROWS_PAGE_FULL 1

static int row_cb(void *ctx, const struct journal_entry *e)
{
	struct rows *r = ctx;

	if (r->page && r->n == r->page) {
		r->more = true;
		return ROWS_PAGE_FULL;
	}
	r->n++;
	r->last = e->id;
	return json_array_append_new(r->arr, entry_json(e)) ? -ENOMEM : 0;
}

static int route_journal(struct ctx *x, bool count)
{
	struct journal *j = provider_journal(x->p);
	struct journal_filter jf;
	int64_t dropped = 0, n = 0;
	int rc;

	if (!strcmp(x->rq->method, "DELETE")) {
		static const char *const ok[] = { "site", NULL };
		char canon[16];
		const char *site;

		if (only_args(x, ok) || site_arg(x, canon, &site))
			return x->ans.status;
		if (journal_clear(j, site, &n))
			return fail(x, 500, "the journal could not be emptied");
		return answer(x, 200, json_pack("{s:I}", "deleted", (json_int_t)n));
	}
	if (journal_filter(x, &jf))
		return x->ans.status;
	journal_stats(j, jf.f.site, NULL, &dropped);
	if (count) {
		rc = journal_count(j, &jf, &n);
		journal_filter_free(&jf);
		if (rc)
			return fail(x, 500, "the journal could not be read");
		return answer(x, 200, json_pack("{s:I, s:I}", "count", (json_int_t)n,
						"dropped", (json_int_t)dropped));
	}
	/* One page at most: an explicit limit above the cap is a mistake
	 * worth saying; without one the page stops at the cap and says
	 * there is more, so a script that pages with after= gets it all. */
	int64_t cap = x->c->journal_page_max;
	if (cap && jf.f.limit > cap) {
		int64_t asked = jf.f.limit;

		journal_filter_free(&jf);
		return over_cap(x, 400, (size_t)cap, "--journal-page-max",
				"parameter 'limit': %" PRId64 " rows is more than "
				"one page of %" PRId64 " (--journal-page-max); "
				"page with after=last_id", asked, cap);
	}
	struct rows r = { json_array(), 0, 0, 0, false };
	r.page = jf.f.limit ? jf.f.limit : cap;
	if (r.page)
		jf.f.limit = r.page + 1;	/* one more: is there more? */
	rc = r.arr ? journal_query(j, &jf, row_cb, &r) : -ENOMEM;
	journal_filter_free(&jf);
	if (rc == ROWS_PAGE_FULL)
		rc = 0;
	if (rc) {
		json_decref(r.arr);
		return rc == -ENOMEM ? nomem(x)
				     : fail(x, 500, "the journal could not be read");
	}
	return answer(x, 200, json_pack("{s:I, s:I, s:o, s:b, s:o}",
		"returned", (json_int_t)json_array_size(r.arr),
		"dropped", (json_int_t)dropped,
		"last_id", r.last ? json_integer(r.last) : json_null(),
		"more", r.more,
		"entries", r.arr));
}

/* ---- routes: snapshots -------------------------------------------------------- */

static int snap_cb(void *ctx, const struct store_snapshot_info *i)
{
	char when[32];

	iso_time(i->created_ms, when);
	return json_array_append_new(ctx, json_pack("{s:s, s:s, s:I, s:I}",
		"name", i->name, "created", when, "created_ms",
		(json_int_t)i->created_ms, "bytes", (json_int_t)i->bytes))
		? -ENOMEM : 0;
}

static int snapshot_error(struct ctx *x, int rc, const char *name)
{
	switch (rc) {
	case -EINVAL:
		return fail(x, 400, "'%s' is not a snapshot name: 1 to 64 letters, "
			    "digits, '_', '.' or '-', starting with a letter or "
			    "digit", name);
	case -ENOENT:
		return fail(x, 404, "no snapshot %s", name);
	case -EPROTO:
		return fail(x, 409, "snapshot %s was made by another version of "
			    "dpsim's database", name);
	case -ENOMEM:
		return nomem(x);
	}
	return fail(x, 500, "snapshot %s: %s", name, strerror(-rc));
}

static int save_snapshot(struct ctx *x, const char *name)
{
	int rc;

	if (!store_snapshot_name_valid(name))
		return snapshot_error(x, -EINVAL, name);
	rc = provider_snapshot_save(x->p, name);
	if (rc == -ENOSPC)
		return over_cap(x, 409, provider_max_snapshots(x->p),
				"--max-snapshots", "snapshot %s: %zu snapshots "
				"are kept, the cap (--max-snapshots); delete one "
				"or save over one", name,
				provider_max_snapshots(x->p));
	if (rc)
		return snapshot_error(x, rc, name);
	return answer(x, 201, json_pack("{s:s, s:b}", "name", name, "saved", 1));
}

static int restore_snapshot(struct ctx *x, const char *name)
{
	char err[1024] = "";
	int rc;

	if (!store_snapshot_name_valid(name))
		return snapshot_error(x, -EINVAL, name);
	rc = provider_snapshot_restore(x->p, name, err, sizeof(err));
	if (rc == -EINVAL && err[0])
		return fail(x, 500, "snapshot %s: %s", name, err);
	if (rc)
		return snapshot_error(x, rc, name);
	return answer(x, 200, json_pack("{s:s, s:b}", "name", name, "restored", 1));
}

static int route_snapshots(struct ctx *x)
{
	const char *m = x->rq->method;

	if (x->nseg == 1 && !strcmp(m, "GET")) {
		static const char *const none[] = { NULL };
		json_t *a;

		if (only_args(x, none))
			return x->ans.status;
		a = json_array();
		if (!a || provider_snapshot_list(x->p, snap_cb, a)) {
			json_decref(a);
			return fail(x, 500, "the snapshots could not be listed");
		}
		return answer(x, 200, json_pack("{s:o}", "snapshots", a));
	}
	if (x->nseg == 1) {		/* POST: the name in the body or ?name= */
		static const char *const ok[] = { "name", NULL };
		const char *name = arg(x, "name");
		json_t *body = NULL, *v;
		bool failed;

		if (only_args(x, ok))
			return x->ans.status;
		if (!name) {
			body = parse_body(x, &failed);
			if (failed)
				return x->ans.status;
			const char *key;
			json_object_foreach(body, key, v) {
				if (strcmp(key, "name")) {
					int st = fail(x, 400, "field '%s' is not a "
						      "snapshot field (name)", key);
					json_decref(body);
					return st;
				}
			}
			v = json_object_get(body, "name");
			if (!json_is_string(v)) {
				int st = fail(x, 400, "field 'name' %s", !json_is_object(body)
					      ? "is missing: send {\"name\": \"...\"}"
					      : v ? "must be a string" : "is required");
				json_decref(body);
				return st;
			}
			name = json_string_value(v);
		}
		int st = save_snapshot(x, name);
		json_decref(body);
		return st;
	}
	static const char *const none[] = { NULL };
	if (only_args(x, none))
		return x->ans.status;
	if (x->nseg == 3)
		return restore_snapshot(x, x->seg[1]);
	if (!strcmp(m, "POST"))
		return save_snapshot(x, x->seg[1]);
	int rc = provider_snapshot_delete(x->p, x->seg[1]);
	if (rc)
		return snapshot_error(x, rc, x->seg[1]);
	return answer(x, 200, json_pack("{s:s}", "deleted", x->seg[1]));
}

/* ---- routes: sites -------------------------------------------------------------- */

static int add_sites(struct ctx *x)
{
	static const char *const ok[] = { "code", NULL };
	struct provider_site_added added[MAX_SITES_PER_POST];
	const char *ct = x->rq->content_type;
	size_t n = 0, users = 0;
	char err[1024];
	int rc;

	if (only_args(x, ok))
		return x->ans.status;
	if (ct && !strncasecmp(ct, "application/json", 16))
		return fail(x, 415, "POST sites takes a fixture document (XML, as "
			    "for --fixture), not JSON");
	if (!x->rq->len)
		return fail(x, 400, "POST sites takes a fixture document (XML) in "
			    "the body");
	rc = provider_site_add(x->p, "POST /_dpsim/sites", x->rq->body, x->rq->len,
			       arg(x, "code"), added, MAX_SITES_PER_POST, &n,
			       &users, err, sizeof(err));
	if (rc == -EEXIST)
		return fail(x, 409, "%s", err);
	if (rc == -ENOSPC)
		return over_cap(x, 409, strstr(err, "--max-sites") ?
				provider_max_sites(x->p) :
				faults_max(provider_faults(x->p)),
				strstr(err, "--max-sites") ? "--max-sites"
				: "--max-fault-rules", "%s", err);
	if (rc == -EINVAL || rc == -E2BIG)
		return fail(x, 400, "%s", err);
	if (rc == -ENOMEM)
		return nomem(x);
	if (rc)
		return fail(x, 500, "%s", err);
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:I}", "code", added[i].code,
						   "dp_count", (json_int_t)added[i].ndps));
	json_t *o = json_pack("{s:o, s:I}", "sites", a ? a : json_array(),
			      "users_ignored", (json_int_t)users);
	if (o && users)
		json_object_set_new(o, "warning", json_string(
			"users are global: the document's users were not added; "
			"log in as the start-up fixture's users"));
	return o ? answer(x, 201, o) : nomem(x);
}

static int route_sites(struct ctx *x)
{
	static const char *const none[] = { NULL };
	const char *m = x->rq->method;

	if (x->nseg == 1 && !strcmp(m, "POST"))
		return add_sites(x);
	if (only_args(x, none))
		return x->ans.status;
	if (x->nseg == 1) {
		json_t *a = sites_json(x, NULL, false);
		return a ? answer(x, 200, json_pack("{s:o}", "sites", a)) : x->ans.status;
	}
	if (!strcmp(m, "GET")) {
		json_t *a = sites_json(x, x->seg[1], true);
		if (!a)
			return x->ans.status;
		json_t *one = json_incref(json_array_get(a, 0));
		json_decref(a);
		return answer(x, 200, one);
	}
	int rc = provider_site_remove(x->p, x->seg[1]);
	if (rc == -ENOENT)
		return fail(x, 404, "no site %s is served", x->seg[1]);
	if (rc)
		return fail(x, 500, "site %s could not be removed", x->seg[1]);
	return answer(x, 200, json_pack("{s:s}", "deleted", x->seg[1]));
}

/* ---- dispatch ------------------------------------------------------------------ */

static int route_index(struct ctx *x)
{
	static const char *const routes[] = {
		"GET health", "POST reset[?site=]", "GET state[?site=]",
		"GET|POST|PUT|DELETE faults[?site=]", "GET|DELETE faults/ID",
		"GET|DELETE journal", "GET journal/count", "GET|POST snapshots",
		"POST snapshots/NAME/restore", "POST|DELETE snapshots/NAME",
		"GET|POST sites", "GET|DELETE sites/CODE",
	};
	json_t *a = json_array();

	for (size_t i = 0; a && i < sizeof(routes) / sizeof(routes[0]); i++)
		json_array_append_new(a, json_string(routes[i]));
	return answer(x, 200, json_pack("{s:s, s:s, s:o}", "service", "dpsim",
					"version", x->c->version, "routes", a));
}

struct route {
	const char *path;	/* segments, '*' for any one */
	const char *methods;	/* "GET, POST" as in Allow */
	int (*fn)(struct ctx *x);
};

static int r_state(struct ctx *x) { return route_state(x); }
static int r_reset(struct ctx *x) { return route_reset(x); }
static int r_journal(struct ctx *x) { return route_journal(x, false); }
static int r_journal_count(struct ctx *x) { return route_journal(x, true); }

static const struct route routes[] = {
	{ "", "GET", route_index },
	{ "state", "GET", r_state },
	{ "reset", "POST", r_reset },
	{ "faults", "GET, POST, PUT, DELETE", route_faults },
	{ "faults/*", "GET, DELETE", route_fault },
	{ "journal", "GET, DELETE", r_journal },
	{ "journal/count", "GET", r_journal_count },
	{ "snapshots", "GET, POST", route_snapshots },
	{ "snapshots/*", "POST, DELETE", route_snapshots },
	{ "snapshots/*/restore", "POST", route_snapshots },
	{ "sites", "GET, POST", route_sites },
	{ "sites/*", "GET, DELETE", route_sites },
};

static bool path_matches(const struct ctx *x, const char *pattern)
{
	char buf[64];
	size_t n = 0;

	snprintf(buf, sizeof(buf), "%s", pattern);
	if (!*buf)
		return x->nseg == 0;
	for (char *save = NULL, *t = strtok_r(buf, "/", &save); t;
	     t = strtok_r(NULL, "/", &save), n++)
		if (n >= x->nseg || (strcmp(t, "*") && strcmp(t, x->seg[n])))
			return false;
	return n == x->nseg;
}

static bool method_listed(const char *methods, const char *m)
{
	size_t len = strlen(m);

	/* strstr finds "" everywhere: the loop would never advance. */
	if (!len)
		return false;
	for (const char *p = methods; (p = strstr(p, m)); p += len)
		if ((p == methods || p[-1] == ' ') && (p[len] == ',' || !p[len]))
			return true;
	return false;
}

/* Splits the path into segments; false when it has too many. */
static bool split_path(struct ctx *x)
{
	snprintf(x->segbuf, sizeof(x->segbuf), "%s", x->rq->path ? x->rq->path : "");
	for (char *save = NULL, *t = strtok_r(x->segbuf, "/", &save); t;
	     t = strtok_r(NULL, "/", &save)) {
		if (x->nseg == sizeof(x->seg) / sizeof(x->seg[0]))
			return false;
		x->seg[x->nseg++] = t;
	}
	return true;
}

static void dispatch(struct ctx *x, enum ctl_state st)
{
	const struct route *found = NULL;
	const struct fixture_user *unused;
	/* Before any route reads the body. */
	enum auth_outcome who = auth_identify(&x->c->auth, x->rq, &unused);

	if (!split_path(x)) {
		fail(x, 404, "no control route at /_dpsim%s", x->rq->path);
		return;
	}
	if (x->nseg == 1 && !strcmp(x->seg[0], "health")) {
		if (strcmp(x->rq->method, "GET") && strcmp(x->rq->method, "HEAD")) {
			x->rs->allow = "GET";
			fail(x, 405, "/_dpsim/health takes GET");
			return;
		}
		route_health(x, st, x->c->token && who == AUTH_ADMIN);
		return;
	}
	if (!auth_admitted(who)) {
		x->rs->challenge = "Bearer realm=\"dpsim\"";
		fail(x, 401, "the control API needs 'Authorization: Bearer TOKEN' "
		     "with the --admin-token dpsim was started with");
		return;
	}
	if (st != CTL_READY) {
		fail(x, 503, "dpsim is %s", st == CTL_STARTING ? "starting"
							       : "stopping");
		return;
	}
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]) && !found; i++)
		if (path_matches(x, routes[i].path))
			found = &routes[i];
	if (!found) {
		fail(x, 404, "no control route at /_dpsim%s (GET /_dpsim/ lists "
		     "them)", x->rq->path);
		return;
	}
	if (!method_listed(found->methods, x->rq->method)) {
		x->rs->allow = found->methods;
		fail(x, 405, "/_dpsim%s takes %s", x->rq->path, found->methods);
		return;
	}
	found->fn(x);
}

void control_handle(struct control *c, const struct front_request *rq,
		    struct front_answer *rs)
{
	struct ctx x = { .c = c, .rq = rq, .rs = rs };
	enum ctl_state st;

	memset(rs, 0, sizeof(*rs));
	pthread_mutex_lock(&c->lock);
	st = c->state;
	x.p = c->p;
	pthread_mutex_unlock(&c->lock);

	dispatch(&x, st);
	json_answer_to_front(&x.ans, JSON_INDENT(2) | JSON_PRESERVE_ORDER, true, rs);
	rs->no_store = true;
	/* 503 is "starting": polled for, not worth a warning. */
	if (rs->status >= 500 && rs->status != 503)
		log_warn("control %s /_dpsim%s: %d", rq->method, rq->path, rs->status);
	else
		log_debug("control %s /_dpsim%s: %d", rq->method, rq->path, rs->status);
}

/* ---- the front end ------------------------------------------------------------ */

static bool control_owns(void *self, const char *path)
{
	return strcmp(path, "/_dpsim") == 0 || strncmp(path, "/_dpsim/", 8) == 0;
}

/* No admit(): bodies are small JSON (or a fixture document), read
 * whoever sends them, and dispatch() checks the token before a route
 * parses one. */
static void control_serve(void *self, void *state, const struct front_request *rq,
			  struct front_answer *ans)
{
	struct front_request sub = *rq;

	sub.path = rq->path + 7;	/* after "/_dpsim" */
	control_handle(self, &sub, ans);
}

static void control_too_large(void *self, void *state, size_t limit,
				struct front_answer *ans)
{
	struct json_answer a = { 0 };

	json_answer_fail(&a, 413, "the request body exceeds the limit of %zu bytes "
			 "(--max-body)", limit);
	*ans = (struct front_answer){ .no_store = true };
	json_answer_to_front(&a, JSON_INDENT(2) | JSON_PRESERVE_ORDER, true, ans);
}

const struct front *control_front(struct control *c)
{
	c->front = (struct front){
		.name = "control", .browser_facing = true, .self = c,
		.owns = control_owns,
		.serve = control_serve, .too_large = control_too_large,
	};
	return &c->front;
}

/* ---- the fault list as text (snapshots) ---------------------------------------- */

char *control_faults_text(const struct faults_state *fs)
{
	return fault_json_state_text(fs);
}

int control_faults_parse(const char *text, struct faults_state *fs,
			 char *err, size_t errsize)
{
	return fault_json_state_parse(text, fs, err, errsize);
}
