/* fault_json: fault rules <-> JSON. See fault_json.h. */
#include "fault_json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hresult.h"
#include "json_answer.h"
#include "num.h"

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "?";
}

static json_t *glob_or_null(const char *s)
{
	return json_answer_string_or_null(s);
}

json_t *fault_json_rule(const struct fault_rule *r)
{
	const char *hname = hresult_name(r->hresult);
	bool has_hr = r->effect == FAULT_FAULT || r->effect == FAULT_RETURN;
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "id", json_integer(r->id));
	json_object_set_new(o, "operation", r->operation == FAULT_OP_ANY ? json_null()
			    : json_string(fault_op_name(r->operation)));
	json_object_set_new(o, "class", glob_or_null(r->class_glob));
	json_object_set_new(o, "method", glob_or_null(r->method_glob));
	json_object_set_new(o, "nalpath", glob_or_null(r->nalpath_glob));
	json_object_set_new(o, "mode", r->mode < 0 ? json_null() : json_integer(r->mode));
	json_object_set_new(o, "user", glob_or_null(r->user_glob));
	json_object_set_new(o, "protocol", glob_or_null(r->protocol_glob));
	json_object_set_new(o, "site", json_answer_string_or_null(r->site));
	json_object_set_new(o, "effect", json_string(fault_effect_name(r->effect)));
	json_object_set_new(o, "hresult", has_hr ? json_answer_hex32(r->hresult) : json_null());
	json_object_set_new(o, "hresult_name", has_hr && hname ? json_string(hname)
			    : json_null());
	json_object_set_new(o, "http_status", r->effect == FAULT_HTTP
			    ? json_integer(r->http_status) : json_null());
	json_object_set_new(o, "delay_ms", json_integer(r->delay_ms));
	json_object_set_new(o, "times", r->times ? json_integer(r->times) : json_null());
	json_object_set_new(o, "after", json_integer(r->after));
	json_object_set_new(o, "probability", json_real(r->probability));
	json_object_set_new(o, "matched", json_integer(r->matched));
	json_object_set_new(o, "fired", json_integer(r->fired));
	json_object_set_new(o, "retired", json_boolean(r->retired));
	json_object_set_new(o, "from_fixture", json_boolean(r->from_fixture));
	return o;
}

/* The fields of a rule object, for parsing it. internal fields are the
 * counters dpsim keeps: read back from a snapshot, refused from users. */
enum field_kind { F_GLOB, F_OP, F_EFFECT, F_HRESULT, F_UINT, F_PROB, F_FLAG,
		  F_IGNORE };

struct rule_field {
	const char *name;
	enum field_kind kind;
	size_t off;		/* into struct fault_rule */
	size_t size;		/* F_UINT: of the integer there */
	uint64_t max;		/* F_UINT */
	bool internal;
};

#define RF(name, kind, field, max, internal) { name, kind, \
	offsetof(struct fault_rule, field), \
	sizeof(((struct fault_rule *)0)->field), max, internal }

static const struct rule_field rule_fields[] = {
	RF("operation", F_OP, operation, 0, false),
	RF("class", F_GLOB, class_glob, 0, false),
	RF("method", F_GLOB, method_glob, 0, false),
	RF("nalpath", F_GLOB, nalpath_glob, 0, false),
	RF("mode", F_UINT, mode, UINT32_MAX, false),
	RF("user", F_GLOB, user_glob, 0, false),
	RF("protocol", F_GLOB, protocol_glob, 0, false),
	RF("site", F_GLOB, site, 0, false),
	RF("effect", F_EFFECT, effect, 0, false),
	RF("hresult", F_HRESULT, hresult, 0, false),
	RF("http_status", F_UINT, http_status, 599, false),
	RF("delay_ms", F_UINT, delay_ms, FAULT_MAX_DELAY_MS, false),
	RF("times", F_UINT, times, INT64_MAX, false),
	RF("after", F_UINT, after, INT64_MAX, false),
	RF("probability", F_PROB, probability, 0, false),
	RF("id", F_UINT, id, INT64_MAX, true),
	RF("matched", F_UINT, matched, INT64_MAX, true),
	RF("fired", F_UINT, fired, INT64_MAX, true),
	RF("retired", F_FLAG, retired, 0, true),
	RF("from_fixture", F_FLAG, from_fixture, 0, true),
	RF("hresult_name", F_IGNORE, hresult, 0, true),
};

static void store_uint(void *slot, size_t size, uint64_t v)
{
	switch (size) {
	case sizeof(uint32_t): *(uint32_t *)slot = (uint32_t)v; break;
	case sizeof(uint64_t): *(uint64_t *)slot = v; break;
	}
}

/* Sets one field from v. 0, -EINVAL (err names the field), -ENOMEM. */
static int set_field(const struct rule_field *f, struct fault_rule *r,
		     json_t *v, char *err, size_t errsize)
{
	void *slot = (char *)r + f->off;
	const char *s = json_string_value(v);

	/* null is "not given" (what GET answers for an absent field). */
	if (json_is_null(v) && f->kind != F_EFFECT)
		return 0;
	switch (f->kind) {
	case F_GLOB:
	case F_OP:
	case F_EFFECT:
	case F_HRESULT:
		/* The text form is converted where fixtures convert it. */
		if (f->kind == F_HRESULT && json_is_integer(v) &&
		    json_integer_value(v) >= 0 &&
		    json_integer_value(v) <= UINT32_MAX) {
			r->hresult = (uint32_t)json_integer_value(v);
			return 0;
		}
		if (s)
			return fault_rule_set(r, f->name, s, err, errsize);
		if (f->kind == F_GLOB)
			snprintf(err, errsize, "field '%s' must be a string, not %s",
				 f->name, type_name(v));
		else
			fault_rule_set(r, f->name, "", err, errsize);
		return -EINVAL;
	case F_UINT:
		if (!f->internal && json_is_integer(v) &&
		    json_integer_value(v) >= 0) {
			char text[24];

			snprintf(text, sizeof(text), "%" PRId64,
				 (int64_t)json_integer_value(v));
			return fault_rule_set(r, f->name, text, err, errsize);
		}
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    (uint64_t)json_integer_value(v) > f->max) {
			snprintf(err, errsize, "field '%s' must be a whole number from "
				 "0 to %" PRIu64 ", not %s", f->name, f->max,
				 json_is_integer(v) ? "that" : type_name(v));
			return -EINVAL;
		}
		store_uint(slot, f->size, (uint64_t)json_integer_value(v));
		return 0;
	case F_PROB:
		if (!json_is_number(v)) {
			snprintf(err, errsize, "field 'probability' must be a number "
				 "from 0 to 1, not %s", type_name(v));
			return -EINVAL;
		}
		r->probability = json_number_value(v);
		return 0;
	case F_FLAG:
		*(bool *)slot = json_is_true(v);
		return 0;
	case F_IGNORE:
		return 0;
	}
	return 0;
}

static const struct rule_field *find_field(const char *key)
{
	for (size_t i = 0; i < sizeof(rule_fields) / sizeof(rule_fields[0]); i++)
		if (!strcmp(key, rule_fields[i].name))
			return &rule_fields[i];
	return NULL;
}

int fault_json_rule_parse(json_t *o, struct fault_rule *r, bool internal,
			  char *err, size_t errsize)
{
	const char *key;
	json_t *v;
	int rc = 0;

	fault_rule_init(r);
	if (!json_is_object(o)) {
		snprintf(err, errsize, "a fault rule must be an object, not %s",
			 type_name(o));
		return -EINVAL;
	}
	json_object_foreach(o, key, v) {
		const struct rule_field *f = find_field(key);

		if (f && f->internal && !internal) {
			snprintf(err, errsize, "field '%s' is kept by dpsim; leave "
				 "it out", key);
			rc = -EINVAL;
		} else if (!f) {
			snprintf(err, errsize, "field '%s' is not a fault rule field "
				 "(operation, class, method, nalpath, mode, user, "
				 "protocol, site, effect, hresult, http_status, "
				 "delay_ms, times, after, probability)", key);
			rc = -EINVAL;
		} else {
			rc = set_field(f, r, v, err, errsize);
		}
		if (rc)
			break;
	}
	if (rc == -ENOMEM)
		snprintf(err, errsize, "out of memory");
	if (!rc && !json_object_get(o, "effect")) {
		snprintf(err, errsize, "field 'effect' is required: one of return, "
			 "fault, http, drop, timeout, delay");
		rc = -EINVAL;
	}
	v = json_object_get(o, "hresult");
	if (!rc && !internal)
		rc = fault_rule_finish(r, v && !json_is_null(v), err, errsize);
	if (rc)
		fault_rule_clear(r);
	return rc;
}

/* The body shapes the control API takes; see fault_json.h. */
int fault_json_rules_parse(json_t *body, const char *site,
			   struct fault_rule **out, size_t *n, bool *single,
			   char *err, size_t errsize)
{
	json_t *list = body;
	struct fault_rule *rules;
	char one[512];
	size_t count;

	*out = NULL;
	*n = 0;
	*single = json_is_object(body) && !json_object_get(body, "faults");
	if (json_is_object(body) && json_object_get(body, "faults")) {
		if (json_object_size(body) != 1) {
			snprintf(err, errsize, "an object with 'faults' takes no "
				 "other field");
			return -EINVAL;
		}
		list = json_object_get(body, "faults");
		if (!json_is_array(list)) {
			snprintf(err, errsize, "field 'faults' must be an array, "
				 "not %s", type_name(list));
			return -EINVAL;
		}
	}
	count = *single ? 1 : json_array_size(list);
	if (!*single && !json_is_array(list)) {
		snprintf(err, errsize, "the body must be a fault rule (an object) "
			 "or an array of them, not %s", type_name(list));
		return -EINVAL;
	}
	rules = calloc(count ? count : 1, sizeof(*rules));
	if (!rules) {
		snprintf(err, errsize, "out of memory");
		return -ENOMEM;
	}
	for (size_t i = 0; i < count; i++) {
		json_t *o = *single ? list : json_array_get(list, i);
		int rc = fault_json_rule_parse(o, &rules[i], false, one,
					       sizeof(one));

		if (!rc && site) {
			if (rules[i].site && strcasecmp(rules[i].site, site)) {
				snprintf(one, sizeof(one), "field 'site': '%s' is "
					 "not the site of the request (?site=%s)",
					 rules[i].site, site);
				rc = -EINVAL;
			} else if (!rules[i].site &&
				   !(rules[i].site = strdup(site))) {
				rc = -ENOMEM;
			}
		}
		if (rc) {
			/* The rest were zeroed by calloc: freeing all is safe. */
			fault_rules_free(rules, count);
			if (rc == -ENOMEM)
				snprintf(err, errsize, "out of memory");
			else if (*single)
				snprintf(err, errsize, "%s", one);
			else
				snprintf(err, errsize, "rule %zu: %s", i, one);
			return rc;
		}
	}
	*out = rules;
	*n = count;
	return 0;
}

json_t *fault_json_rules(const struct fault_rule *rules, size_t n)
{
	json_t *a = json_array();

	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, fault_json_rule(&rules[i]));
	return a;
}

/* ---- the whole state (snapshots) ---------------------------------------- */

char *fault_json_state_text(const struct faults_state *fs)
{
	json_t *rules = json_array(), *streams = json_array(), *o;
	char *text;

	for (size_t i = 0; rules && i < fs->nrules; i++) {
		json_t *r = fault_json_rule(&fs->rules[i]);

		json_object_set_new(r, "from_fixture",
				    json_boolean(fs->rules[i].from_fixture));
		json_array_append_new(rules, r);
	}
	for (size_t i = 0; streams && i < fs->nstreams; i++) {
		char state[24];

		snprintf(state, sizeof(state), "%016" PRIx64, fs->streams[i].state);
		json_array_append_new(streams, json_pack("{s:s, s:s}", "site",
			fs->streams[i].site, "state", state));
	}
	o = json_pack("{s:I, s:I, s:o, s:o}", "seed", (json_int_t)fs->seed,
		      "next_id", (json_int_t)fs->next_id,
		      "rules", rules ? rules : json_array(),
		      "streams", streams ? streams : json_array());
	text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return text;
}

int fault_json_state_parse(const char *text, struct faults_state *fs,
			   char *err, size_t errsize)
{
	json_error_t je;
	json_t *o = json_loads(text, 0, &je), *rules, *streams;
	int rc = 0;

	memset(fs, 0, sizeof(*fs));
	if (!o) {
		snprintf(err, errsize, "malformed JSON: %s", je.text);
		return -EINVAL;
	}
	rules = json_object_get(o, "rules");
	streams = json_object_get(o, "streams");
	if (!json_is_array(rules) || !json_is_array(streams) ||
	    !json_is_integer(json_object_get(o, "seed")) ||
	    !json_is_integer(json_object_get(o, "next_id"))) {
		snprintf(err, errsize, "seed, next_id, rules and streams expected");
		json_decref(o);
		return -EINVAL;
	}
	fs->seed = (uint64_t)json_integer_value(json_object_get(o, "seed"));
	fs->next_id = json_integer_value(json_object_get(o, "next_id"));
	fs->rules = calloc(json_array_size(rules) + 1, sizeof(*fs->rules));
	fs->streams = calloc(json_array_size(streams) + 1, sizeof(*fs->streams));
	if (!fs->rules || !fs->streams)
		rc = -ENOMEM;
	for (size_t i = 0; !rc && i < json_array_size(rules); i++) {
		rc = fault_json_rule_parse(json_array_get(rules, i), &fs->rules[i], true,
				    err, errsize);
		if (!rc)
			fs->nrules++;
	}
	for (size_t i = 0; !rc && i < json_array_size(streams); i++) {
		json_t *s = json_array_get(streams, i);
		const char *site = json_string_value(json_object_get(s, "site"));
		const char *state = json_string_value(json_object_get(s, "state"));

		uint64_t st;

		if (!site || !state) {
			snprintf(err, errsize, "stream %zu: site and state expected", i);
			rc = -EINVAL;
			break;
		}
		/* A snapshot keeps a generator's state as hex; anything else in
		 * its place was not written by dpsim. */
		if (num_parse_u64(state, 16, UINT64_MAX, &st)) {
			snprintf(err, errsize, "stream %zu: state '%s' is not a hex number",
				 i, state);
			rc = -EINVAL;
			break;
		}
		snprintf(fs->streams[i].site, sizeof(fs->streams[i].site), "%s", site);
		fs->streams[i].state = st;
		fs->nstreams++;
	}
	json_decref(o);
	if (rc)
		faults_state_clear(fs);
	return rc;
}

