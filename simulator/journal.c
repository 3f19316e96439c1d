/* journal: bound, filters and the one-word outcome of a row. See
 * journal.h. */
#include "journal.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "hresult.h"
#include "log.h"
#include "num.h"

struct journal {
	struct store *st;
	int64_t max;
};

struct journal *journal_new(struct store *st, int64_t max)
{
	struct journal *j = calloc(1, sizeof(*j));

	if (!j)
		return NULL;
	j->st = st;
	j->max = max > 0 ? max : 0;
	store_set_journal_max(st, j->max);
	return j;
}

void journal_free(struct journal *j)
{
	free(j);
}

int64_t journal_max(const struct journal *j)
{
	return j->max;
}

int journal_record(struct journal *j, struct journal_entry *e)
{
	int rc = store_journal_add(j->st, e);

	journal_failed(e, rc);
	return rc;
}

void journal_failed(const struct journal_entry *e, int rc)
{
	/* A full disk fails every call: the store logs that once a minute. */
	if (rc && rc != -ENOSPC)
		log_error("could not journal a %s call of %s",
			  e->operation ? e->operation : "provider",
			  e->class_name ? e->class_name : "?");
}

/* ---- filters ------------------------------------------------------------- */

void journal_filter_init(struct journal_filter *jf)
{
	memset(jf, 0, sizeof(*jf));
}

void journal_filter_free(struct journal_filter *jf)
{
	for (size_t i = 0; i < jf->nowned; i++)
		free(jf->owned[i]);
	journal_filter_init(jf);
}

/* Keeps s (malloc'd) for the filter's life in place of old, the value it
 * replaces (a filter given twice: the last one counts, and repeating it
 * must not fill owned); NULL (s freed) when full. */
static const char *keep(struct journal_filter *jf, const char *old, char *s)
{
	if (!s)
		return NULL;
	for (size_t i = 0; old && i < jf->nowned; i++) {
		if (jf->owned[i] == old) {
			free(jf->owned[i]);
			jf->owned[i] = s;
			return s;
		}
	}
	if (jf->nowned == sizeof(jf->owned) / sizeof(jf->owned[0])) {
		free(s);
		return NULL;
	}
	jf->owned[jf->nowned++] = s;
	return s;
}

char *journal_glob_to_like(const char *glob)
{
	char *out = malloc(strlen(glob) * 2 + 1), *o = out;

	if (!out)
		return NULL;
	for (const char *g = glob; *g; g++) {
		switch (*g) {
		case '*':
			*o++ = '%';
			break;
		case '?':
			*o++ = '_';
			break;
		case '%':
		case '_':
		case '!':
			*o++ = '!';
			*o++ = *g;
			break;
		default:
			*o++ = *g;
		}
	}
	*o = '\0';
	return out;
}

/* A whole number of 0 or more (times, ids): num's strict digits. */
static int parse_i64(const char *s, int64_t *out)
{
	uint64_t v;

	if (num_parse_dec(s, INT64_MAX, &v))
		return -EINVAL;
	*out = (int64_t)v;
	return 0;
}

int journal_parse_time(const char *s, int64_t *ms)
{
	struct tm tm;
	const char *p;
	int64_t frac = 0, scale = 1000;
	long off = 0;

	if (parse_i64(s, ms) == 0)
		return 0;
	memset(&tm, 0, sizeof(tm));
	p = s ? strptime(s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
	if (!p)
		return -EINVAL;
	if (*p == '.') {
		/* Milliseconds are all the journal keeps. */
		for (p++; *p >= '0' && *p <= '9'; p++)
			if (scale > 1) {
				scale /= 10;
				frac += (*p - '0') * scale;
			}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':') {
		int h = (p[1] - '0') * 10 + (p[2] - '0');
		int m = (p[4] - '0') * 10 + (p[5] - '0');

		if (h > 23 || m > 59)
			return -EINVAL;
		off = (h * 60L + m) * 60L * (*p == '-' ? -1 : 1);
		p += 6;
	} else {
		return -EINVAL;	/* a time without a zone means nothing here */
	}
	if (*p)
		return -EINVAL;
	*ms = ((int64_t)timegm(&tm) - off) * 1000 + frac;
	return 0;
}

/* A qualified name as refusals are recorded: "w:InvalidSelectors". */
static bool is_subcode(const char *v)
{
	const char *colon = strchr(v, ':');

	if (!colon || colon == v || !colon[1])
		return false;
	for (const char *p = v; *p; p++)
		if (p != colon && !isalnum((unsigned char)*p))
			return false;
	return true;
}

static int set_result(struct journal_filter *jf, const char *v, char *err,
		      size_t errsize)
{
	static const char *const effects[] = {
		"fault", "return", "http", "drop", "timeout", "delay",
	};
	uint32_t code;

	if (!strcasecmp(v, "ok") || !strcasecmp(v, "success")) {
		jf->f.result = STORE_RESULT_OK;
		return 0;
	}
	if (!strcasecmp(v, "error") || !strcasecmp(v, "failed")) {
		jf->f.result = STORE_RESULT_ERROR;
		return 0;
	}
	for (size_t i = 0; i < sizeof(effects) / sizeof(effects[0]); i++)
		if (!strcasecmp(v, effects[i])) {
			jf->f.result = STORE_RESULT_EFFECT;
			jf->f.effect = effects[i];
			return 0;
		}
	if (hresult_parse(v, &code) == 0) {
		jf->f.result = code ? STORE_RESULT_CODE : STORE_RESULT_OK;
		jf->f.code = code;
		return 0;
	}
	if (is_subcode(v)) {
		jf->f.result = STORE_RESULT_REFUSAL;
		jf->f.refusal = keep(jf, jf->f.refusal, strdup(v));
		return jf->f.refusal ? 0 : -ENOMEM;
	}
	snprintf(err, errsize, "parameter 'result': '%s' is not ok, error, an "
		 "effect (fault, return, http, drop, timeout, delay), an "
		 "HRESULT (hex, decimal or a name such as WBEM_E_FAILED) or a "
		 "fault subcode (such as s:MustUnderstand)", v);
	return -EINVAL;
}

int journal_filter_set(struct journal_filter *jf, const char *name,
		       const char *value, char *err, size_t errsize)
{
	static const struct {
		const char *name;
		size_t off;
	} globs[] = {
		{ "class", offsetof(struct store_journal_filter, class_like) },
		{ "method", offsetof(struct store_journal_filter, method_like) },
		{ "user", offsetof(struct store_journal_filter, user_like) },
		{ "nalpath", offsetof(struct store_journal_filter, nalpath_like) },
	};
	static const struct {
		const char *name;
		size_t off;
	} exact[] = {
		{ "site", offsetof(struct store_journal_filter, site) },
		{ "operation", offsetof(struct store_journal_filter, operation) },
		{ "protocol", offsetof(struct store_journal_filter, protocol) },
	};
	static const struct {
		const char *name;
		size_t off;
		bool time;
	} nums[] = {
		{ "rule", offsetof(struct store_journal_filter, rule_id), false },
		{ "after", offsetof(struct store_journal_filter, after_id), false },
		{ "limit", offsetof(struct store_journal_filter, limit), false },
		{ "since", offsetof(struct store_journal_filter, since_ms), true },
		{ "until", offsetof(struct store_journal_filter, until_ms), true },
	};
	char *base = (char *)&jf->f;

	if (!value)
		value = "";
	for (size_t i = 0; i < sizeof(globs) / sizeof(globs[0]); i++) {
		if (strcmp(name, globs[i].name))
			continue;
		const char *like = keep(jf, *(const char **)(base + globs[i].off),
					journal_glob_to_like(value));

		if (!like)
			return -ENOMEM;
		*(const char **)(base + globs[i].off) = like;
		return 0;
	}
	for (size_t i = 0; i < sizeof(exact) / sizeof(exact[0]); i++) {
		if (strcmp(name, exact[i].name))
			continue;
		if (!strcmp(name, "operation") && strcasecmp(value, "get") &&
		    strcasecmp(value, "enumerate") && strcasecmp(value, "invoke") &&
		    strcasecmp(value, "request")) {
			snprintf(err, errsize, "parameter 'operation': '%s' is not "
				 "get, enumerate, invoke or request", value);
			return -EINVAL;
		}
		const char *v = keep(jf, *(const char **)(base + exact[i].off),
				     strdup(value));

		if (!v)
			return -ENOMEM;
		*(const char **)(base + exact[i].off) = v;
		return 0;
	}
	for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
		int64_t *slot = (int64_t *)(base + nums[i].off);

		if (strcmp(name, nums[i].name))
			continue;
		if (nums[i].time ? journal_parse_time(value, slot)
				 : parse_i64(value, slot)) {
			snprintf(err, errsize, "parameter '%s': '%s' is not %s",
				 name, value, nums[i].time
				 ? "a time (Unix milliseconds or ISO 8601 UTC "
				   "such as 2024-05-01T10:00:00Z)"
				 : "a whole number");
			return -EINVAL;
		}
		return 0;
	}
	if (!strcmp(name, "result"))
		return set_result(jf, value, err, errsize);
	snprintf(err, errsize, "parameter '%s' is not a journal filter (site, "
		 "operation, protocol, class, method, user, nalpath, result, "
		 "rule, since, until, after, limit)", name);
	return -ENOENT;
}

/* ---- queries ------------------------------------------------------------- */

int journal_query(struct journal *j, const struct journal_filter *jf,
		  int (*cb)(void *ctx, const struct journal_entry *e),
		  void *ctx)
{
	return store_journal_query(j->st, &jf->f, cb, ctx);
}

int journal_count(struct journal *j, const struct journal_filter *jf,
		  int64_t *count)
{
	return store_journal_count_where(j->st, &jf->f, count);
}

void journal_stats(struct journal *j, const char *site, int64_t *rows,
		   int64_t *dropped)
{
	store_journal_stats(j->st, site, rows, dropped);
}

int journal_clear(struct journal *j, const char *site, int64_t *deleted)
{
	return store_journal_clear(j->st, site, deleted);
}

const char *journal_result(const struct journal_entry *e)
{
	if (e->refusal)
		return e->refusal;
	if (e->effect && strcmp(e->effect, "delay") != 0)
		return e->effect;
	if (e->hresult)
		return "fault";
	if (e->has_return_value && e->return_value)
		return "return";
	return "ok";
}
