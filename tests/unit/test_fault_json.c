/* fault_json: rule -> JSON -> rule gives the same rule, for every effect
 * and every match field; the state text round-trips; bad input is refused
 * with the sentences the control API has always answered. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fault_json.h"
#include "hresult.h"

static void assert_str_or_null_equal(const char *a, const char *b)
{
	if (!a || !b)
		assert_ptr_equal(a, b);
	else
		assert_string_equal(a, b);
}

/* Every field, counters included. */
static void assert_rules_equal(const struct fault_rule *a,
			       const struct fault_rule *b)
{
	assert_int_equal(a->id, b->id);
	assert_int_equal(a->operation, b->operation);
	assert_str_or_null_equal(a->class_glob, b->class_glob);
	assert_str_or_null_equal(a->method_glob, b->method_glob);
	assert_str_or_null_equal(a->nalpath_glob, b->nalpath_glob);
	assert_str_or_null_equal(a->user_glob, b->user_glob);
	assert_str_or_null_equal(a->protocol_glob, b->protocol_glob);
	assert_str_or_null_equal(a->site, b->site);
	assert_int_equal(a->mode, b->mode);
	assert_int_equal(a->effect, b->effect);
	assert_int_equal(a->hresult, b->hresult);
	assert_int_equal(a->http_status, b->http_status);
	assert_int_equal(a->delay_ms, b->delay_ms);
	assert_int_equal(a->times, b->times);
	assert_int_equal(a->after, b->after);
	assert_true(a->probability == b->probability);
	assert_int_equal(a->from_fixture, b->from_fixture);
	assert_int_equal(a->matched, b->matched);
	assert_int_equal(a->fired, b->fired);
	assert_int_equal(a->retired, b->retired);
}

/* One rule per effect; between them every match field is set, and left
 * unset, at least once. */
static void make_rules(struct fault_rule r[6])
{
	for (int i = 0; i < 6; i++)
		fault_rule_init(&r[i]);

	r[0].effect = FAULT_RETURN;
	r[0].operation = FAULT_OP_INVOKE;
	r[0].method_glob = strdup("SetDPMaintenanceMode");
	r[0].mode = 1;
	r[0].hresult = 0x80041002;	/* has a name */
	r[0].times = 2;

	r[1].effect = FAULT_FAULT;
	r[1].operation = FAULT_OP_GET;
	r[1].class_glob = strdup("SMS_Distribution*");
	r[1].nalpath_glob = strdup("[\"Display=\\\\DP?.contoso.com\\\"]*");
	r[1].hresult = 0x8004DEAD;	/* has none */
	r[1].site = strdup("PS1");
	r[1].probability = 0.25;

	r[2].effect = FAULT_HTTP;
	r[2].operation = FAULT_OP_ENUMERATE;
	r[2].http_status = 503;
	r[2].user_glob = strdup("CONTOSO\\ops*");
	r[2].after = 3;

	r[3].effect = FAULT_DROP;
	r[3].protocol_glob = strdup("https");
	r[3].mode = 0;
	r[3].delay_ms = 10;

	r[4].effect = FAULT_TIMEOUT;
	r[4].site = strdup("CAS");
	r[4].times = INT64_MAX;

	r[5].effect = FAULT_DELAY;
	r[5].delay_ms = FAULT_MAX_DELAY_MS;
	r[5].class_glob = strdup("*");
	r[5].probability = 0;
}

/* Counters as a list would keep them. */
static void add_counters(struct fault_rule *r, int i)
{
	r->id = 100 + i;
	r->matched = 7 * i;
	r->fired = 3 * i;
	r->retired = i % 2;
	r->from_fixture = i % 3 == 0;
}

static void test_rule_round_trip(void **state)
{
	struct fault_rule in[6];
	char err[512];

	make_rules(in);
	for (int i = 0; i < 6; i++) {
		struct fault_rule out;
		json_t *o;

		add_counters(&in[i], i);
		o = fault_json_rule(&in[i]);
		assert_non_null(o);
		/* dpsim's own objects: everything comes back. */
		if (fault_json_rule_parse(o, &out, true, err, sizeof(err)))
			fail_msg("rule %d: %s", i, err);
		assert_rules_equal(&in[i], &out);
		fault_rule_clear(&out);

		/* As a user would send it back: without what dpsim keeps,
		 * the rule is the same but for those. */
		json_object_del(o, "id");
		json_object_del(o, "matched");
		json_object_del(o, "fired");
		json_object_del(o, "retired");
		json_object_del(o, "from_fixture");
		json_object_del(o, "hresult_name");
		if (fault_json_rule_parse(o, &out, false, err, sizeof(err)))
			fail_msg("rule %d as a user's: %s", i, err);
		out.id = in[i].id;
		out.matched = in[i].matched;
		out.fired = in[i].fired;
		out.retired = in[i].retired;
		out.from_fixture = in[i].from_fixture;
		assert_rules_equal(&in[i], &out);
		fault_rule_clear(&out);
		json_decref(o);
		fault_rule_clear(&in[i]);
	}
}

/* The answer's shape: null for what is not set, the HRESULT as hex and
 * by name. */
static void test_rule_json_fields(void **state)
{
	struct fault_rule r[6];
	json_t *a;
	char *text;

	make_rules(r);
	a = fault_json_rules(r, 1);
	assert_non_null(a);
	text = json_dumps(a, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(a);
	assert_non_null(text);
	assert_string_equal(text,
		"[{\"after\":0,\"class\":null,\"delay_ms\":0,"
		"\"effect\":\"return\",\"fired\":0,\"from_fixture\":false,"
		"\"hresult\":\"0x80041002\",\"hresult_name\":"
		"\"WBEM_E_NOT_FOUND\",\"http_status\":null,\"id\":0,"
		"\"matched\":0,\"method\":\"SetDPMaintenanceMode\","
		"\"mode\":1,\"nalpath\":null,\"operation\":\"invoke\","
		"\"probability\":1.0,\"protocol\":null,\"retired\":false,"
		"\"site\":null,\"times\":2,\"user\":null}]");
	free(text);
	for (int i = 0; i < 6; i++)
		fault_rule_clear(&r[i]);
}

static void test_state_round_trip(void **state)
{
	struct fault_rule rules[6];
	struct fault_stream streams[2] = {
		{ .site = "PS1", .state = 0xDEADBEEFCAFEull },
		{ .site = "", .state = UINT64_MAX },
	};
	struct faults_state in = { .rules = rules, .nrules = 6,
				   .next_id = 106, .seed = 42,
				   .streams = streams, .nstreams = 2 }, out;
	char err[256], *text;

	make_rules(rules);
	for (int i = 0; i < 6; i++)
		add_counters(&rules[i], i);
	text = fault_json_state_text(&in);
	assert_non_null(text);
	assert_int_equal(fault_json_state_parse(text, &out, err, sizeof(err)), 0);
	free(text);
	assert_int_equal(out.seed, 42);
	assert_int_equal(out.next_id, 106);
	assert_int_equal(out.nrules, 6);
	for (int i = 0; i < 6; i++)
		assert_rules_equal(&rules[i], &out.rules[i]);
	assert_int_equal(out.nstreams, 2);
	assert_string_equal(out.streams[0].site, "PS1");
	assert_int_equal(out.streams[0].state, 0xDEADBEEFCAFEull);
	assert_string_equal(out.streams[1].site, "");
	assert_int_equal(out.streams[1].state, UINT64_MAX);
	faults_state_clear(&out);
	for (int i = 0; i < 6; i++)
		fault_rule_clear(&rules[i]);
}

static void test_state_refused(void **state)
{
	struct faults_state out;
	char err[256];

	assert_int_equal(fault_json_state_parse("[", &out, err, sizeof(err)),
			 -EINVAL);
	assert_non_null(strstr(err, "malformed JSON: "));
	assert_null(out.rules);
	assert_int_equal(fault_json_state_parse("{\"seed\": 1}", &out, err,
						sizeof(err)), -EINVAL);
	assert_string_equal(err, "seed, next_id, rules and streams expected");
	assert_int_equal(fault_json_state_parse(
		"{\"seed\": 1, \"next_id\": 2, \"rules\": [], "
		"\"streams\": [{\"site\": \"PS1\"}]}", &out, err, sizeof(err)),
		-EINVAL);
	assert_string_equal(err, "stream 0: site and state expected");
	assert_int_equal(out.nrules, 0);
	assert_int_equal(fault_json_state_parse(
		"{\"seed\": 1, \"next_id\": 2, \"rules\": [{\"effect\": "
		"\"drop\", \"bogus\": 1}], \"streams\": []}", &out, err,
		sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "field 'bogus' is not a fault rule field"));
}

/* A user's rule (or body) and the sentence it is refused with. */
static const struct {
	const char *json, *msg;
} bad[] = {
	{ "[1]", "rule 0: a fault rule must be an object, not an integer" },
	{ "{\"effect\": \"drop\", \"id\": 3}",
	  "field 'id' is kept by dpsim; leave it out" },
	{ "{\"effect\": \"drop\", \"fired\": 3}",
	  "field 'fired' is kept by dpsim; leave it out" },
	{ "{\"effect\": \"drop\", \"colour\": \"red\"}",
	  "field 'colour' is not a fault rule field (operation, class, "
	  "method, nalpath, mode, user, protocol, site, effect, hresult, "
	  "http_status, delay_ms, times, after, probability)" },
	{ "{\"class\": \"X\"}", "field 'effect' is required: one of return, "
	  "fault, http, drop, timeout, delay" },
	{ "{\"effect\": null}", "field 'effect' must be one of return, "
	  "fault, http, drop, timeout, delay" },
	{ "{\"effect\": \"drop\", \"class\": 7}",
	  "field 'class' must be a string, not an integer" },
	{ "{\"effect\": \"drop\", \"user\": [\"a\"]}",
	  "field 'user' must be a string, not an array" },
	{ "{\"effect\": \"drop\", \"mode\": -1}",
	  "field 'mode' must be a whole number from 0 to 4294967295, not "
	  "that" },
	{ "{\"effect\": \"drop\", \"times\": \"2\"}",
	  "field 'times' must be a whole number from 0 to "
	  "9223372036854775807, not a string" },
	{ "{\"effect\": \"http\", \"http_status\": 1.5}",
	  "field 'http_status' must be a whole number from 0 to 599, not a "
	  "number" },
	{ "{\"effect\": \"drop\", \"probability\": \"half\"}",
	  "field 'probability' must be a number from 0 to 1, not a string" },
	{ "{\"effect\": \"drop\", \"probability\": 2}",
	  "field 'probability': 2 is not from 0 to 1" },
	{ "{\"effect\": \"return\", \"operation\": \"get\"}",
	  "field 'effect': 'return' answers a method's ReturnValue, so "
	  "'operation' must be invoke" },
	{ "{\"effect\": \"delay\"}", "field 'delay_ms': effect 'delay' needs "
	  "a delay of at least 1 ms" },
	{ "{\"faults\": [], \"x\": 1}",
	  "an object with 'faults' takes no other field" },
	{ "{\"faults\": {}}", "field 'faults' must be an array, not an object" },
	{ "\"drop\"", "the body must be a fault rule (an object) or an array "
	  "of them, not a string" },
	{ "[{\"effect\": \"drop\"}, {\"effect\": \"drop\", \"site\": \"PS2\"}]",
	  "rule 1: field 'site': 'PS2' is not the site of the request "
	  "(?site=PS1)" },
	{ "{\"effect\": true}", NULL },	/* faults.c's own sentence */
};

static void test_refused(void **state)
{
	for (size_t k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		json_t *body = json_loads(bad[k].json, JSON_DECODE_ANY, NULL);
		struct fault_rule *rules = (struct fault_rule *)&rules;
		size_t n = 9;
		bool single;
		char err[1024] = "";

		assert_non_null(body);
		assert_int_equal(fault_json_rules_parse(body, "PS1", &rules,
							&n, &single, err,
							sizeof(err)), -EINVAL);
		assert_null(rules);
		assert_int_equal(n, 0);
		if (bad[k].msg && strcmp(err, bad[k].msg) != 0)
			fail_msg("%s: \"%s\", want \"%s\"", bad[k].json, err,
				 bad[k].msg);
		if (!bad[k].msg)
			assert_non_null(strstr(err, "field 'effect'"));
		json_decref(body);
	}
}

/* The site of the request goes into rules without one. */
static void test_body_site(void **state)
{
	json_t *body = json_loads("{\"faults\": [{\"effect\": \"drop\"}, "
				  "{\"effect\": \"timeout\", \"site\": "
				  "\"ps1\"}]}", 0, NULL);
	struct fault_rule *rules;
	size_t n;
	bool single = true;
	char err[1024];

	assert_int_equal(fault_json_rules_parse(body, "PS1", &rules, &n,
						&single, err, sizeof(err)), 0);
	assert_false(single);
	assert_int_equal(n, 2);
	assert_string_equal(rules[0].site, "PS1");
	assert_string_equal(rules[1].site, "ps1");
	assert_int_equal(rules[1].effect, FAULT_TIMEOUT);
	fault_rules_free(rules, n);
	json_decref(body);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_round_trip),
		cmocka_unit_test(test_rule_json_fields),
		cmocka_unit_test(test_state_round_trip),
		cmocka_unit_test(test_state_refused),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_body_site),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
