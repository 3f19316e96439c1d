/* faults: rule list, matching, counters and seeded draws. See faults.h.
 *
 * The generators are splitmix64: one 64-bit word of state per stream,
 * which a snapshot can carry, and plenty for deciding test faults. A
 * stream starts from the seed mixed with a hash of its site code, so
 * streams of different sites are unrelated and a site's sequence does
 * not depend on the others'.
 */
#include "faults.h"
#include "hresult.h"
#include "num.h"

#include <ctype.h>
#include <inttypes.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SITE_MAX 15

struct faults {
	pthread_mutex_t lock;
	struct fault_rule *rules;
	size_t nrules;
	int64_t next_id;
	uint64_t seed;
	struct fault_stream *streams;
	size_t nstreams;
	size_t max_rules;	/* 0: no cap */

	/* Sleepers wait on wake under lock. */
	pthread_cond_t wake;
	bool stopping;
};

static const char *const op_names[] = {
	[FAULT_OP_ANY] = "any",
	[FAULT_OP_GET] = "get",
	[FAULT_OP_ENUMERATE] = "enumerate",
	[FAULT_OP_INVOKE] = "invoke",
};

static const char *const effect_names[] = {
	[FAULT_NONE] = "none",
	[FAULT_RETURN] = "return",
	[FAULT_FAULT] = "fault",
	[FAULT_HTTP] = "http",
	[FAULT_DROP] = "drop",
	[FAULT_TIMEOUT] = "timeout",
	[FAULT_DELAY] = "delay",
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

const char *fault_op_name(enum fault_op op)
{
	return (unsigned)op < ARRAY_SIZE(op_names) ? op_names[op] : "any";
}

int fault_op_parse(const char *s, enum fault_op *out)
{
	for (size_t i = 0; s && i < ARRAY_SIZE(op_names); i++)
		if (strcasecmp(s, op_names[i]) == 0) {
			*out = (enum fault_op)i;
			return 0;
		}
	return -EINVAL;
}

const char *fault_effect_name(enum fault_effect e)
{
	return (unsigned)e < ARRAY_SIZE(effect_names) ? effect_names[e]
						      : "none";
}

int fault_effect_parse(const char *s, enum fault_effect *out)
{
	/* "none" is not something a rule can do. */
	for (size_t i = 1; s && i < ARRAY_SIZE(effect_names); i++)
		if (strcasecmp(s, effect_names[i]) == 0) {
			*out = (enum fault_effect)i;
			return 0;
		}
	return -EINVAL;
}

/* ---- rules --------------------------------------------------------------- */

void fault_rule_init(struct fault_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->mode = -1;
	r->probability = 1.0;
}

/* The string fields of a rule, for copying and freeing them alike. */
static const size_t rule_string_offs[] = {
	offsetof(struct fault_rule, class_glob),
	offsetof(struct fault_rule, method_glob),
	offsetof(struct fault_rule, nalpath_glob),
	offsetof(struct fault_rule, user_glob),
	offsetof(struct fault_rule, protocol_glob),
	offsetof(struct fault_rule, site),
};

#define RULE_NSTRINGS ARRAY_SIZE(rule_string_offs)

static char **rule_string(struct fault_rule *r, size_t i)
{
	return (char **)((char *)r + rule_string_offs[i]);
}


void fault_rule_clear(struct fault_rule *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < RULE_NSTRINGS; i++)
		free(*rule_string(r, i));
	fault_rule_init(r);
}

int fault_rule_copy(struct fault_rule *dst, const struct fault_rule *src)
{
	*dst = *src;
	for (size_t i = 0; i < RULE_NSTRINGS; i++) {
		char **p = rule_string(dst, i);

		if (*p && !(*p = strdup(*p))) {
			for (size_t j = i + 1; j < RULE_NSTRINGS; j++)
				*rule_string(dst, j) = NULL;
			fault_rule_clear(dst);
			return -ENOMEM;
		}
	}
	return 0;
}

void fault_rules_free(struct fault_rule *rules, size_t n)
{
	for (size_t i = 0; rules && i < n; i++)
		fault_rule_clear(&rules[i]);
	free(rules);
}

int fault_rule_check(const struct fault_rule *r, char *err, size_t errsize)
{
	if (r->effect == FAULT_NONE || (unsigned)r->effect >= ARRAY_SIZE(effect_names)) {
		snprintf(err, errsize, "field 'effect' is required: one of "
			 "return, fault, http, drop, timeout, delay");
		return -EINVAL;
	}
	if (r->effect == FAULT_RETURN && r->operation != FAULT_OP_ANY &&
	    r->operation != FAULT_OP_INVOKE) {
		snprintf(err, errsize, "field 'effect': 'return' answers a "
			 "method's ReturnValue, so 'operation' must be invoke");
		return -EINVAL;
	}
	if (r->effect == FAULT_FAULT && r->hresult == 0) {
		snprintf(err, errsize, "field 'hresult': a fault needs a "
			 "non-zero HRESULT");
		return -EINVAL;
	}
	if (r->effect == FAULT_HTTP &&
	    (r->http_status < 200 || r->http_status > 599)) {
		snprintf(err, errsize, "field 'http_status': %u is not an HTTP "
			 "status from 200 to 599", r->http_status);
		return -EINVAL;
	}
	if (r->effect == FAULT_DELAY && r->delay_ms == 0) {
		snprintf(err, errsize, "field 'delay_ms': effect 'delay' needs "
			 "a delay of at least 1 ms");
		return -EINVAL;
	}
	if (r->delay_ms > FAULT_MAX_DELAY_MS) {
		snprintf(err, errsize, "field 'delay_ms': %u is more than the "
			 "limit of %u", r->delay_ms, FAULT_MAX_DELAY_MS);
		return -EINVAL;
	}
	if (!(r->probability >= 0.0 && r->probability <= 1.0)) {
		snprintf(err, errsize, "field 'probability': %g is not from 0 "
			 "to 1", r->probability);
		return -EINVAL;
	}
	if (r->times < 0 || r->after < 0) {
		snprintf(err, errsize, "field '%s' cannot be negative",
			 r->times < 0 ? "times" : "after");
		return -EINVAL;
	}
	if (r->mode < -1 || r->mode > UINT32_MAX) {
		snprintf(err, errsize, "field 'mode': %lld is not a uint32",
			 (long long)r->mode);
		return -EINVAL;
	}
	if (r->site && (!*r->site || strlen(r->site) > SITE_MAX)) {
		snprintf(err, errsize, "field 'site': '%s' is not a site code",
			 r->site);
		return -EINVAL;
	}
	return 0;
}

/* ---- rules from text ---------------------------------------------------- */

static int set_glob(char **slot, const char *name, const char *text,
		    char *err, size_t errsize)
{
	if (!*text) {
		snprintf(err, errsize, "field '%s' is empty; leave it out to "
			 "match anything", name);
		return -EINVAL;
	}
	free(*slot);
	*slot = strdup(text);
	return *slot ? 0 : -ENOMEM;
}

static int set_uint(struct fault_rule *r, const char *name, const char *text,
		    char *err, size_t errsize)
{
	static const struct { const char *name; uint64_t max; } nums[] = {
		{ "mode", UINT32_MAX }, { "http_status", 599 },
		{ "delay_ms", FAULT_MAX_DELAY_MS }, { "times", INT64_MAX },
		{ "after", INT64_MAX },
	};
	uint64_t v, max = 0;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(nums) && strcmp(nums[i].name, name); i++)
		;
	if (i == ARRAY_SIZE(nums))
		return -ENOENT;
	max = nums[i].max;
	if (num_parse_dec(text, max, &v)) {
		snprintf(err, errsize, "field '%s' must be a whole number from "
			 "0 to %" PRIu64 ", not '%s'", name, max, text);
		return -EINVAL;
	}
	/* times 0 would read as "no limit": say so instead. */
	if (!strcmp(name, "times") && v == 0) {
		snprintf(err, errsize, "field 'times' must be at least 1; "
			 "leave it out for no limit");
		return -EINVAL;
	}
	if (!strcmp(name, "mode"))
		r->mode = (int64_t)v;
	else if (!strcmp(name, "http_status"))
		r->http_status = (unsigned)v;
	else if (!strcmp(name, "delay_ms"))
		r->delay_ms = (uint32_t)v;
	else if (!strcmp(name, "times"))
		r->times = (int64_t)v;
	else
		r->after = (int64_t)v;
	return 0;
}

int fault_rule_set(struct fault_rule *r, const char *name, const char *text,
		   char *err, size_t errsize)
{
	struct { const char *name; char **slot; } globs[] = {
		{ "class", &r->class_glob }, { "method", &r->method_glob },
		{ "nalpath", &r->nalpath_glob }, { "user", &r->user_glob },
		{ "protocol", &r->protocol_glob }, { "site", &r->site },
	};
	char *end;

	for (size_t i = 0; i < ARRAY_SIZE(globs); i++)
		if (!strcmp(name, globs[i].name))
			return set_glob(globs[i].slot, name, text, err, errsize);
	if (!strcmp(name, "operation")) {
		if (!fault_op_parse(text, &r->operation) &&
		    r->operation != FAULT_OP_ANY)
			return 0;
		r->operation = FAULT_OP_ANY;
		snprintf(err, errsize, "field 'operation' must be get, "
			 "enumerate or invoke");
		return -EINVAL;
	}
	if (!strcmp(name, "effect")) {
		if (!fault_effect_parse(text, &r->effect))
			return 0;
		snprintf(err, errsize, "field 'effect' must be one of return, "
			 "fault, http, drop, timeout, delay");
		return -EINVAL;
	}
	if (!strcmp(name, "hresult")) {
		if (!hresult_parse(text, &r->hresult))
			return 0;
		snprintf(err, errsize, "field 'hresult' must be an HRESULT: "
			 "hex (\"0x80041001\"), decimal or a name such as "
			 "\"WBEM_E_ACCESS_DENIED\"");
		return -EINVAL;
	}
	if (!strcmp(name, "probability")) {
		errno = 0;
		r->probability = *text ? strtod(text, &end) : -1;
		if (*text && !errno && !*end && r->probability >= 0.0 &&
		    r->probability <= 1.0)
			return 0;
		snprintf(err, errsize, "field 'probability' must be a number "
			 "from 0 to 1, not '%s'", text);
		return -EINVAL;
	}
	return set_uint(r, name, text, err, errsize);
}

int fault_rule_finish(struct fault_rule *r, bool hresult_given,
		      char *err, size_t errsize)
{
	if ((r->effect == FAULT_FAULT || r->effect == FAULT_RETURN) &&
	    !hresult_given)
		r->hresult = WBEM_E_FAILED;
	if (r->effect == FAULT_HTTP && !r->http_status)
		r->http_status = 503;
	return fault_rule_check(r, err, errsize);
}

/* ---- matching ------------------------------------------------------------ */

bool fault_glob_match(const char *glob, const char *text)
{
	const char *star = NULL, *resume = NULL;

	if (!glob)
		return true;
	if (!text)
		return false;
	while (*text) {
		if (*glob == '*') {
			star = ++glob;
			resume = text;
		} else if (*glob && (*glob == '?' ||
			   tolower((unsigned char)*glob) ==
			   tolower((unsigned char)*text))) {
			glob++;
			text++;
		} else if (star) {
			/* Let the last '*' swallow one more character. */
			glob = star;
			text = ++resume;
		} else {
			return false;
		}
	}
	while (*glob == '*')
		glob++;
	return *glob == '\0';
}

static bool rule_matches(const struct fault_rule *r, const struct fault_call *c)
{
	if (r->retired)
		return false;
	if (r->operation != FAULT_OP_ANY && r->operation != c->operation)
		return false;
	/* Only a method has a ReturnValue to answer with. */
	if (r->effect == FAULT_RETURN && c->operation != FAULT_OP_INVOKE)
		return false;
	if (r->site && (!c->site || strcasecmp(r->site, c->site) != 0))
		return false;
	if (r->mode >= 0 && r->mode != c->mode)
		return false;
	return fault_glob_match(r->class_glob, c->class_name) &&
	       fault_glob_match(r->method_glob, c->method) &&
	       fault_glob_match(r->nalpath_glob, c->nalpath) &&
	       fault_glob_match(r->user_glob, c->user) &&
	       fault_glob_match(r->protocol_glob, c->protocol);
}

/* ---- generators ---------------------------------------------------------- */

static uint64_t splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9E3779B97F4A7C15ull);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

static uint64_t stream_start(uint64_t seed, const char *site)
{
	uint64_t h = 1469598103934665603ull;

	for (const char *s = site; *s; s++)
		h = (h ^ (unsigned char)toupper((unsigned char)*s)) *
		    1099511628211ull;
	h ^= seed;
	return splitmix64(&h);
}

/* The stream of site ("" for none), created on first use; lock held.
 * NULL only when out of memory. */
static struct fault_stream *stream_of(struct faults *f, const char *site)
{
	struct fault_stream *n;

	if (!site)
		site = "";
	for (size_t i = 0; i < f->nstreams; i++)
		if (strcasecmp(f->streams[i].site, site) == 0)
			return &f->streams[i];
	n = realloc(f->streams, (f->nstreams + 1) * sizeof(*n));
	if (!n)
		return NULL;
	f->streams = n;
	n = &f->streams[f->nstreams++];
	snprintf(n->site, sizeof(n->site), "%s", site);
	n->state = stream_start(f->seed, n->site);
	return n;
}

/* A uniform draw in [0, 1) from site's stream; lock held. */
static double draw(struct faults *f, const char *site)
{
	struct fault_stream *s = stream_of(f, site);

	if (!s)
		return 1.0;	/* out of memory: the rule does not fire */
	return (double)(splitmix64(&s->state) >> 11) * 0x1.0p-53;
}

/* ---- the list -------------------------------------------------------------- */

struct faults *faults_new(uint64_t seed)
{
	struct faults *f = calloc(1, sizeof(*f));
	pthread_condattr_t attr;

	if (!f)
		return NULL;
	pthread_mutex_init(&f->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&f->wake, &attr);
	pthread_condattr_destroy(&attr);
	f->next_id = 1;
	f->seed = seed;
	return f;
}

void faults_free(struct faults *f)
{
	if (!f)
		return;
	fault_rules_free(f->rules, f->nrules);
	free(f->streams);
	pthread_cond_destroy(&f->wake);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

void faults_set_max(struct faults *f, size_t max)
{
	pthread_mutex_lock(&f->lock);
	f->max_rules = max;
	pthread_mutex_unlock(&f->lock);
}

size_t faults_max(struct faults *f)
{
	pthread_mutex_lock(&f->lock);
	size_t max = f->max_rules;
	pthread_mutex_unlock(&f->lock);
	return max;
}

uint64_t faults_seed(struct faults *f)
{
	pthread_mutex_lock(&f->lock);
	uint64_t s = f->seed;
	pthread_mutex_unlock(&f->lock);
	return s;
}

void faults_reseed(struct faults *f, uint64_t seed)
{
	pthread_mutex_lock(&f->lock);
	f->seed = seed;
	for (size_t i = 0; i < f->nstreams; i++)
		f->streams[i].state = stream_start(seed, f->streams[i].site);
	pthread_mutex_unlock(&f->lock);
}

void faults_decide(struct faults *f, const struct fault_call *c,
		   struct fault_decision *d)
{
	memset(d, 0, sizeof(*d));
	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->nrules; i++) {
		struct fault_rule *r = &f->rules[i];

		if (!rule_matches(r, c))
			continue;
		r->matched++;
		if (r->matched <= r->after || r->probability <= 0.0)
			continue;
		if (r->probability < 1.0 && draw(f, c->site) >= r->probability)
			continue;
		r->fired++;
		if (r->times && r->fired >= r->times)
			r->retired = true;
		d->rule_id = r->id;
		d->effect = r->effect;
		d->hresult = r->hresult;
		d->http_status = r->http_status;
		d->delay_ms = r->delay_ms;
		break;
	}
	pthread_mutex_unlock(&f->lock);
}

/* Copies n rules into a new array with fresh ids from *next and zero
 * counters. NULL (n > 0) when out of memory. */
static struct fault_rule *fresh_copies(const struct fault_rule *rules,
				       size_t n, int64_t *next)
{
	struct fault_rule *c = calloc(n ? n : 1, sizeof(*c));

	if (!c)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		if (fault_rule_copy(&c[i], &rules[i])) {
			fault_rules_free(c, i);
			return NULL;
		}
		c[i].id = (*next)++;
		c[i].matched = c[i].fired = 0;
		c[i].retired = false;
	}
	return c;
}

static bool in_site(const struct fault_rule *r, const char *site)
{
	return !site || (r->site && strcasecmp(r->site, site) == 0);
}

/* Puts copies of rules where the first rule of site was (the end when
 * none), removing site's rules when replace is set. */
static int splice(struct faults *f, const char *site, bool replace,
		  const struct fault_rule *rules, size_t n, int64_t *first_id)
{
	struct fault_rule *copies, *list;
	size_t at = SIZE_MAX, total = 0;
	int64_t next;

	pthread_mutex_lock(&f->lock);
	if (f->max_rules) {
		size_t stay = f->nrules;

		for (size_t i = 0; replace && i < f->nrules; i++)
			stay -= in_site(&f->rules[i], site);
		if (stay + n > f->max_rules) {
			pthread_mutex_unlock(&f->lock);
			return -ENOSPC;
		}
	}
	next = f->next_id;
	copies = fresh_copies(rules, n, &next);
	list = calloc(f->nrules + n + 1, sizeof(*list));
	if (!copies || !list) {
		pthread_mutex_unlock(&f->lock);
		fault_rules_free(copies, n);
		free(list);
		return -ENOMEM;
	}
	for (size_t i = 0; i < f->nrules; i++) {
		if (replace && in_site(&f->rules[i], site)) {
			if (at == SIZE_MAX)
				at = total;
			fault_rule_clear(&f->rules[i]);
			continue;
		}
		list[total++] = f->rules[i];
	}
	if (at == SIZE_MAX)
		at = total;
	memmove(&list[at + n], &list[at], (total - at) * sizeof(*list));
	if (n)
		memcpy(&list[at], copies, n * sizeof(*list));
	free(copies);
	free(f->rules);
	f->rules = list;
	f->nrules = total + n;
	if (first_id)
		*first_id = f->next_id;
	f->next_id = next;
	pthread_mutex_unlock(&f->lock);
	return 0;
}

int faults_add(struct faults *f, const struct fault_rule *rules, size_t n,
	       int64_t *first_id)
{
	return splice(f, NULL, false, rules, n, first_id);
}

int faults_replace(struct faults *f, const char *site,
		   const struct fault_rule *rules, size_t n, int64_t *first_id)
{
	return splice(f, site, true, rules, n, first_id);
}

int faults_remove(struct faults *f, int64_t id)
{
	int rc = -ENOENT;

	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->nrules; i++) {
		if (f->rules[i].id != id)
			continue;
		fault_rule_clear(&f->rules[i]);
		memmove(&f->rules[i], &f->rules[i + 1],
			(f->nrules - i - 1) * sizeof(*f->rules));
		f->nrules--;
		rc = 0;
		break;
	}
	pthread_mutex_unlock(&f->lock);
	return rc;
}

/* Removes the rules of site (the fixture's too when fixture_too), and
 * zeroes the counters of those kept; lock held. */
static size_t remove_where(struct faults *f, const char *site, bool fixture_too)
{
	size_t kept = 0, gone = 0;

	for (size_t i = 0; i < f->nrules; i++) {
		struct fault_rule *r = &f->rules[i];

		if (in_site(r, site) && (fixture_too || !r->from_fixture)) {
			fault_rule_clear(r);
			gone++;
			continue;
		}
		if (in_site(r, site)) {
			r->matched = r->fired = 0;
			r->retired = false;
		}
		f->rules[kept++] = *r;
	}
	f->nrules = kept;
	return gone;
}

size_t faults_clear(struct faults *f, const char *site)
{
	pthread_mutex_lock(&f->lock);
	size_t gone = remove_where(f, site, true);
	pthread_mutex_unlock(&f->lock);
	return gone;
}

void faults_reset(struct faults *f, const char *site)
{
	pthread_mutex_lock(&f->lock);
	remove_where(f, site, false);
	for (size_t i = 0; i < f->nstreams; i++)
		if (!site || strcasecmp(f->streams[i].site, site) == 0)
			f->streams[i].state = stream_start(f->seed,
							   f->streams[i].site);
	pthread_mutex_unlock(&f->lock);
}

int faults_list(struct faults *f, const char *site, struct fault_rule **out,
		size_t *n)
{
	struct fault_rule *l;
	size_t k = 0;
	int rc = 0;

	pthread_mutex_lock(&f->lock);
	l = calloc(f->nrules ? f->nrules : 1, sizeof(*l));
	for (size_t i = 0; l && i < f->nrules && !rc; i++)
		if (in_site(&f->rules[i], site) &&
		    !(rc = fault_rule_copy(&l[k], &f->rules[i])))
			k++;
	pthread_mutex_unlock(&f->lock);
	if (!l || rc) {
		fault_rules_free(l, k);
		*out = NULL;
		*n = 0;
		return -ENOMEM;
	}
	*out = l;
	*n = k;
	return 0;
}

int faults_get(struct faults *f, int64_t id, struct fault_rule *out)
{
	int rc = -ENOENT;

	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->nrules; i++)
		if (f->rules[i].id == id) {
			rc = fault_rule_copy(out, &f->rules[i]);
			break;
		}
	pthread_mutex_unlock(&f->lock);
	return rc;
}

size_t faults_count(struct faults *f, const char *site)
{
	size_t n = 0;

	pthread_mutex_lock(&f->lock);
	for (size_t i = 0; i < f->nrules; i++)
		n += in_site(&f->rules[i], site);
	pthread_mutex_unlock(&f->lock);
	return n;
}

/* ---- snapshots ------------------------------------------------------------- */

void faults_state_clear(struct faults_state *s)
{
	fault_rules_free(s->rules, s->nrules);
	free(s->streams);
	memset(s, 0, sizeof(*s));
}

/* Deep copy of a state; 0 or -ENOMEM (dst cleared). */
static int state_copy(struct faults_state *dst, const struct fault_rule *rules,
		      size_t nrules, const struct fault_stream *streams,
		      size_t nstreams)
{
	dst->rules = calloc(nrules ? nrules : 1, sizeof(*dst->rules));
	dst->streams = calloc(nstreams ? nstreams : 1, sizeof(*dst->streams));
	if (!dst->rules || !dst->streams)
		goto fail;
	for (size_t i = 0; i < nrules; i++) {
		if (fault_rule_copy(&dst->rules[i], &rules[i]))
			goto fail;
		dst->nrules++;
	}
	if (nstreams)
		memcpy(dst->streams, streams, nstreams * sizeof(*streams));
	dst->nstreams = nstreams;
	return 0;
fail:
	faults_state_clear(dst);
	return -ENOMEM;
}

int faults_export(struct faults *f, struct faults_state *out)
{
	int rc;

	memset(out, 0, sizeof(*out));
	pthread_mutex_lock(&f->lock);
	rc = state_copy(out, f->rules, f->nrules, f->streams, f->nstreams);
	out->next_id = f->next_id;
	out->seed = f->seed;
	pthread_mutex_unlock(&f->lock);
	return rc;
}

int faults_import(struct faults *f, const struct faults_state *in)
{
	struct faults_state copy = { 0 };
	int64_t next = in->next_id;

	if (state_copy(&copy, in->rules, in->nrules, in->streams, in->nstreams))
		return -ENOMEM;
	/* Never hand out an id a restored rule has. */
	for (size_t i = 0; i < copy.nrules; i++)
		if (copy.rules[i].id >= next)
			next = copy.rules[i].id + 1;
	pthread_mutex_lock(&f->lock);
	fault_rules_free(f->rules, f->nrules);
	free(f->streams);
	f->rules = copy.rules;
	f->nrules = copy.nrules;
	f->streams = copy.streams;
	f->nstreams = copy.nstreams;
	f->next_id = next > 0 ? next : 1;
	f->seed = in->seed;
	pthread_mutex_unlock(&f->lock);
	return 0;
}

/* ---- waiting ---------------------------------------------------------------- */

int faults_sleep(struct faults *f, uint32_t ms)
{
	struct timespec until;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&f->lock);
	while (!f->stopping) {
		if (pthread_cond_timedwait(&f->wake, &f->lock, &until) ==
		    ETIMEDOUT)
			break;
	}
	if (f->stopping)
		rc = -EINTR;
	pthread_mutex_unlock(&f->lock);
	return rc;
}

void faults_shutdown(struct faults *f)
{
	pthread_mutex_lock(&f->lock);
	f->stopping = true;
	pthread_cond_broadcast(&f->wake);
	pthread_mutex_unlock(&f->lock);
}

bool faults_stopping(struct faults *f)
{
	pthread_mutex_lock(&f->lock);
	bool s = f->stopping;
	pthread_mutex_unlock(&f->lock);
	return s;
}
