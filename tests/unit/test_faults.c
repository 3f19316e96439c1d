/* Unit tests for simulator/faults.c: matching on every field, globs,
 * first-match-wins, after/times/probability sequences, seeded draws that
 * repeat and do not cross sites, counters, replace/remove/clear/reset,
 * export/import, checks of user-written rules, interruptible sleeps. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "faults.h"
#include "hresult.h"

#define NAL01 "[\"Display=\\\\DP01.contoso.com\\\"]MSWNET:[\"SMS_SITE=PS1\"]\\\\DP01.contoso.com\\"
#define NAL02 "[\"Display=\\\\DP02.contoso.com\\\"]MSWNET:[\"SMS_SITE=PS1\"]\\\\DP02.contoso.com\\"

/* SetDPMaintenanceMode(NAL01, 1) by lab over WS-Man in PS1. */
static struct fault_call invoke_call(void)
{
	return (struct fault_call){
		.operation = FAULT_OP_INVOKE,
		.class_name = "SMS_DistributionPointInfo",
		.method = "SetDPMaintenanceMode", .nalpath = NAL01,
		.user = "lab", .protocol = "wsman", .site = "PS1", .mode = 1,
	};
}

static struct fault_rule rule(enum fault_effect e)
{
	struct fault_rule r;

	fault_rule_init(&r);
	r.effect = e;
	r.hresult = WBEM_E_FAILED;
	r.http_status = 503;
	return r;
}

static int64_t add1(struct faults *f, const struct fault_rule *r)
{
	int64_t id = 0;

	assert_int_equal(faults_add(f, r, 1, &id), 0);
	return id;
}

static enum fault_effect decide(struct faults *f, const struct fault_call *c,
				int64_t *rule_id)
{
	struct fault_decision d;

	faults_decide(f, c, &d);
	if (rule_id)
		*rule_id = d.rule_id;
	return d.effect;
}

/* ---- globs ---------------------------------------------------------------- */

static void test_glob(void **state)
{
	static const struct {
		const char *glob, *text;
		bool match;
	} cases[] = {
		{ "*", "", true },
		{ "*", "anything", true },
		{ "", "", true },
		{ "", "x", false },
		{ "abc", "ABC", true },
		{ "a?c", "abc", true },
		{ "a?c", "ac", false },
		{ "*DP02*", NAL02, true },
		{ "*dp02*", NAL02, true },
		{ "*DP02*", NAL01, false },
		/* [ and \ are themselves, not classes or escapes */
		{ "[\"Display=\\\\DP01*", NAL01, true },
		{ "[ab]", "a", false },
		{ "[ab]", "[ab]", true },
		{ "a*b*c", "aXXbYYc", true },
		{ "a*b*c", "aXXbYY", false },
		{ "*.contoso.com\\", "\\\\dp01.CONTOSO.com\\", true },
		{ "**", "x", true },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		if (fault_glob_match(cases[i].glob, cases[i].text) != cases[i].match)
			fail_msg("glob '%s' vs '%s': expected %s", cases[i].glob,
				 cases[i].text, cases[i].match ? "match" : "no match");
	assert_true(fault_glob_match(NULL, NULL));
	assert_false(fault_glob_match("x", NULL));
}

/* ---- matching --------------------------------------------------------------- */

/* Each field alone: the rule fires for the call it names and not for one
 * that differs in that field only. */
static void test_match_fields(void **state)
{
	struct fault_call base = invoke_call();

	for (int field = 0; field < 8; field++) {
		struct faults *f = faults_new(1);
		struct fault_rule r = rule(FAULT_FAULT);
		struct fault_call other = base;

		switch (field) {
		case 0:
			r.operation = FAULT_OP_INVOKE;
			other.operation = FAULT_OP_GET;
			break;
		case 1:
			r.class_glob = strdup("sms_distributionpoint*");
			other.class_name = "SMS_ProviderLocation";
			break;
		case 2:
			r.method_glob = strdup("SetDP*");
			other.method = "Other";
			break;
		case 3:
			r.nalpath_glob = strdup("*dp01.contoso.com*");
			other.nalpath = NAL02;
			break;
		case 4:
			r.mode = 1;
			other.mode = 0;
			break;
		case 5:
			r.user_glob = strdup("LAB");
			other.user = "analyst";
			break;
		case 6:
			r.site = strdup("ps1");
			other.site = "PS2";
			break;
		case 7:
			r.protocol_glob = strdup("wsman");
			other.protocol = "adminservice";
			break;
		}
		add1(f, &r);
		assert_int_equal(decide(f, &base, NULL), FAULT_FAULT);
		assert_int_equal(decide(f, &other, NULL), FAULT_NONE);
		/* A call without the field never matches a rule naming it. */
		if (field == 3) {
			other.nalpath = NULL;
			assert_int_equal(decide(f, &other, NULL), FAULT_NONE);
		}
		if (field == 6) {
			other.site = NULL;
			assert_int_equal(decide(f, &other, NULL), FAULT_NONE);
		}
		fault_rule_clear(&r);
		faults_free(f);
	}
}

static void test_return_matches_invoke_only(void **state)
{
	struct faults *f = faults_new(1);
	struct fault_rule r = rule(FAULT_RETURN);
	struct fault_call c = invoke_call();
	struct fault_decision d;

	r.hresult = WBEM_E_ACCESS_DENIED;
	add1(f, &r);
	c.operation = FAULT_OP_GET;
	assert_int_equal(decide(f, &c, NULL), FAULT_NONE);
	c.operation = FAULT_OP_INVOKE;
	faults_decide(f, &c, &d);
	assert_int_equal(d.effect, FAULT_RETURN);
	assert_int_equal(d.hresult, WBEM_E_ACCESS_DENIED);
	faults_free(f);
}

static void test_first_match_wins(void **state)
{
	struct faults *f = faults_new(1);
	struct fault_rule a = rule(FAULT_HTTP), b = rule(FAULT_DROP);
	struct fault_call c = invoke_call();
	struct fault_decision d;
	int64_t ida, idb, got;

	a.nalpath_glob = strdup("*DP02*");
	ida = add1(f, &a);
	idb = add1(f, &b);
	assert_int_equal(idb, ida + 1);
	/* DP01: a does not match, b does. */
	assert_int_equal(decide(f, &c, &got), FAULT_DROP);
	assert_int_equal(got, idb);
	/* DP02: a matches first. */
	c.nalpath = NAL02;
	faults_decide(f, &c, &d);
	assert_int_equal(d.effect, FAULT_HTTP);
	assert_int_equal(d.http_status, 503);
	assert_int_equal(d.rule_id, ida);

	struct fault_rule *l;
	size_t n;
	assert_int_equal(faults_list(f, NULL, &l, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(l[0].matched, 1);
	assert_int_equal(l[0].fired, 1);
	assert_int_equal(l[1].matched, 1);	/* b never saw the DP02 call */
	assert_int_equal(l[1].fired, 1);
	fault_rules_free(l, n);
	fault_rule_clear(&a);
	faults_free(f);
}

/* "Fail twice with 0x80041001, then succeed" is one rule. */
static void test_times_then_retired(void **state)
{
	struct faults *f = faults_new(1);
	struct fault_rule r = rule(FAULT_FAULT), got;
	struct fault_call c = invoke_call();
	int64_t id;

	r.times = 2;
	id = add1(f, &r);
	assert_int_equal(decide(f, &c, NULL), FAULT_FAULT);
	assert_int_equal(decide(f, &c, NULL), FAULT_FAULT);
	assert_int_equal(decide(f, &c, NULL), FAULT_NONE);
	assert_int_equal(decide(f, &c, NULL), FAULT_NONE);
	assert_int_equal(faults_get(f, id, &got), 0);
	assert_int_equal(got.fired, 2);
	assert_int_equal(got.matched, 2);	/* retired rules stop matching */
	assert_true(got.retired);
	fault_rule_clear(&got);
	faults_free(f);
}

static void test_after_skips_to_next_rule(void **state)
{
	struct faults *f = faults_new(1);
	struct fault_rule a = rule(FAULT_FAULT), b = rule(FAULT_HTTP), got;
	struct fault_call c = invoke_call();
	int64_t ida, idb, rid;

	a.after = 2;
	a.times = 1;
	ida = add1(f, &a);
	idb = add1(f, &b);
	/* The first two matches of a pass it by: b takes them. */
	assert_int_equal(decide(f, &c, &rid), FAULT_HTTP);
	assert_int_equal(rid, idb);
	assert_int_equal(decide(f, &c, &rid), FAULT_HTTP);
	assert_int_equal(decide(f, &c, &rid), FAULT_FAULT);
	assert_int_equal(rid, ida);
	assert_int_equal(decide(f, &c, &rid), FAULT_HTTP);
	assert_int_equal(faults_get(f, ida, &got), 0);
	assert_int_equal(got.matched, 3);
	assert_int_equal(got.fired, 1);
	assert_true(got.retired);
	fault_rule_clear(&got);
	faults_free(f);
}

/* The outcomes of n calls of site as a bit string. */
static void draws(struct faults *f, const char *site, int n, char *out)
{
	struct fault_call c = invoke_call();

	c.site = site;
	for (int i = 0; i < n; i++)
		out[i] = decide(f, &c, NULL) == FAULT_FAULT ? '1' : '0';
	out[n] = '\0';
}

static struct faults *coin_faults(uint64_t seed, double p)
{
	struct faults *f = faults_new(seed);
	struct fault_rule r = rule(FAULT_FAULT);

	r.probability = p;
	add1(f, &r);
	return f;
}

static void test_probability_repeats_with_seed(void **state)
{
	char a[201], b[201], c[201];
	struct faults *f1 = coin_faults(42, 0.5), *f2 = coin_faults(42, 0.5),
		      *f3 = coin_faults(43, 0.5);
	int ones = 0;

	draws(f1, "PS1", 200, a);
	draws(f2, "PS1", 200, b);
	draws(f3, "PS1", 200, c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	for (int i = 0; i < 200; i++)
		ones += a[i] == '1';
	assert_in_range(ones, 60, 140);	/* a fair coin, roughly */

	/* Reseeding starts the same sequence again. */
	faults_reseed(f1, 42);
	draws(f1, "PS1", 200, b);
	assert_string_equal(a, b);
	faults_free(f1);
	faults_free(f2);
	faults_free(f3);
}

/* Calls on another site do not move a site's sequence. */
static void test_sites_have_own_streams(void **state)
{
	char alone[101], mixed[101], other[51];
	struct faults *f1 = coin_faults(7, 0.3), *f2 = coin_faults(7, 0.3);

	draws(f1, "AAA", 100, alone);
	for (int i = 0; i < 100; i++) {
		draws(f2, "AAA", 1, mixed + i);
		draws(f2, "BBB", 1, other);
	}
	mixed[100] = '\0';
	assert_string_equal(alone, mixed);
	/* Site codes are case-insensitive here too. */
	faults_reseed(f1, 7);
	draws(f1, "aaa", 100, mixed);
	assert_string_equal(alone, mixed);
	faults_free(f1);
	faults_free(f2);
}

static void test_probability_edges(void **state)
{
	char s[101];
	struct faults *never = coin_faults(1, 0.0), *always = coin_faults(1, 1.0);
	struct fault_rule got;

	draws(never, "PS1", 100, s);
	assert_null(strchr(s, '1'));
	assert_int_equal(faults_get(never, 1, &got), 0);
	assert_int_equal(got.matched, 100);
	assert_int_equal(got.fired, 0);
	fault_rule_clear(&got);
	draws(always, "PS1", 100, s);
	assert_null(strchr(s, '0'));
	faults_free(never);
	faults_free(always);
}

/* Only 0 < p < 1 draws: adding a certain rule in front does not shift the
 * random sequence of the rule behind it. */
static void test_certain_rules_do_not_draw(void **state)
{
	struct faults *f1 = coin_faults(9, 0.5), *f2 = faults_new(9);
	struct fault_rule sure = rule(FAULT_HTTP), coin = rule(FAULT_FAULT);
	struct fault_call c = invoke_call(), d2 = invoke_call();
	char a[51], b[51];

	sure.method_glob = strdup("Other");	/* matches only d2 */
	coin.probability = 0.5;
	add1(f2, &sure);
	add1(f2, &coin);
	d2.method = "Other";
	for (int i = 0; i < 50; i++) {
		a[i] = decide(f1, &c, NULL) == FAULT_FAULT ? '1' : '0';
		assert_int_equal(decide(f2, &d2, NULL), FAULT_HTTP);
		b[i] = decide(f2, &c, NULL) == FAULT_FAULT ? '1' : '0';
	}
	a[50] = b[50] = '\0';
	assert_string_equal(a, b);
	fault_rule_clear(&sure);
	faults_free(f1);
	faults_free(f2);
}

static void test_decision_carries_effect_fields(void **state)
{
	struct faults *f = faults_new(1);
	struct fault_rule r = rule(FAULT_TIMEOUT);
	struct fault_call c = invoke_call();
	struct fault_decision d;

	r.delay_ms = 250;
	add1(f, &r);
	faults_decide(f, &c, &d);
	assert_int_equal(d.effect, FAULT_TIMEOUT);
	assert_int_equal(d.delay_ms, 250);
	assert_int_equal(d.rule_id, 1);
	faults_free(f);
}

/* ---- the list ----------------------------------------------------------------- */

static struct fault_rule site_rule(const char *site, enum fault_effect e)
{
	struct fault_rule r = rule(e);

	r.site = site ? strdup(site) : NULL;
	return r;
}

static void ids_of(struct faults *f, const char *site, char *out, size_t size)
{
	struct fault_rule *l;
	size_t n, used = 0;

	assert_int_equal(faults_list(f, site, &l, &n), 0);
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		used += (size_t)snprintf(out + used, size - used, "%s%lld",
					 i ? "," : "", (long long)l[i].id);
	fault_rules_free(l, n);
}

static void test_replace_remove_clear(void **state)
{
	struct faults *f = faults_new(1);
	struct fault_rule r[3] = {
		site_rule("AAA", FAULT_FAULT), site_rule("BBB", FAULT_FAULT),
		site_rule("AAA", FAULT_HTTP),
	};
	struct fault_rule repl[2] = {
		site_rule("AAA", FAULT_DROP), site_rule("AAA", FAULT_DROP),
	};
	char ids[64];
	int64_t first;

	assert_int_equal(faults_add(f, r, 3, &first), 0);
	assert_int_equal(first, 1);
	ids_of(f, NULL, ids, sizeof(ids));
	assert_string_equal(ids, "1,2,3");
	ids_of(f, "aaa", ids, sizeof(ids));
	assert_string_equal(ids, "1,3");
	assert_int_equal(faults_count(f, "AAA"), 2);

	/* AAA's rules go in one step; the new ones take the first's place. */
	assert_int_equal(faults_replace(f, "AAA", repl, 2, &first), 0);
	assert_int_equal(first, 4);
	ids_of(f, NULL, ids, sizeof(ids));
	assert_string_equal(ids, "4,5,2");

	assert_int_equal(faults_remove(f, 5), 0);
	assert_int_equal(faults_remove(f, 5), -ENOENT);
	ids_of(f, NULL, ids, sizeof(ids));
	assert_string_equal(ids, "4,2");

	assert_int_equal(faults_clear(f, "BBB"), 1);
	ids_of(f, NULL, ids, sizeof(ids));
	assert_string_equal(ids, "4");
	/* Replacing everything with nothing. */
	assert_int_equal(faults_replace(f, NULL, NULL, 0, NULL), 0);
	assert_int_equal(faults_count(f, NULL), 0);
	/* Ids are never reused. */
	assert_int_equal(add1(f, &r[0]), 6);
	for (int i = 0; i < 3; i++)
		fault_rule_clear(&r[i]);
	for (int i = 0; i < 2; i++)
		fault_rule_clear(&repl[i]);
	faults_free(f);
}

static void test_reset_keeps_fixture_rules(void **state)
{
	struct faults *f = faults_new(5);
	struct fault_rule fx = site_rule("PS1", FAULT_FAULT),
			  run = site_rule("PS1", FAULT_HTTP),
			  other = site_rule("PS2", FAULT_DROP), got;
	struct fault_call c = invoke_call();
	char before[41], after[41], ids[32];

	fx.from_fixture = true;
	fx.times = 1;
	add1(f, &fx);		/* 1 */
	add1(f, &run);		/* 2 */
	add1(f, &other);	/* 3 */
	assert_int_equal(decide(f, &c, NULL), FAULT_FAULT);
	assert_int_equal(decide(f, &c, NULL), FAULT_HTTP);

	faults_reset(f, "PS1");
	ids_of(f, NULL, ids, sizeof(ids));
	assert_string_equal(ids, "1,3");
	assert_int_equal(faults_get(f, 1, &got), 0);
	assert_int_equal(got.fired, 0);
	assert_false(got.retired);
	fault_rule_clear(&got);
	assert_int_equal(decide(f, &c, NULL), FAULT_FAULT);	/* one-shot again */

	faults_reset(f, NULL);
	ids_of(f, NULL, ids, sizeof(ids));
	assert_string_equal(ids, "1");

	/* Reset restarts the generator too. */
	struct fault_rule coin = site_rule(NULL, FAULT_HTTP);
	coin.probability = 0.5;
	faults_replace(f, NULL, &coin, 1, NULL);
	draws(f, "PS1", 40, before);
	faults_reset(f, "PS1");
	faults_replace(f, NULL, &coin, 1, NULL);
	draws(f, "PS1", 40, after);
	assert_string_equal(before, after);
	fault_rule_clear(&coin);
	fault_rule_clear(&fx);
	fault_rule_clear(&run);
	fault_rule_clear(&other);
	faults_free(f);
}

static void test_export_import(void **state)
{
	struct faults *f = coin_faults(11, 0.5), *g = faults_new(0);
	struct faults_state st;
	char a[61], b[61];

	draws(f, "PS1", 20, a);
	assert_int_equal(faults_export(f, &st), 0);
	assert_int_equal(st.seed, 11);
	assert_int_equal(st.nrules, 1);
	assert_int_equal(st.rules[0].matched, 20);
	assert_int_equal(faults_import(g, &st), 0);
	faults_state_clear(&st);
	/* Both continue the same sequence from where f was. */
	draws(f, "PS1", 60, a);
	draws(g, "PS1", 60, b);
	assert_string_equal(a, b);
	assert_int_equal(faults_seed(g), 11);
	/* New ids carry on after the imported ones. */
	struct fault_rule r = rule(FAULT_DROP);
	assert_int_equal(add1(g, &r), 2);
	faults_free(f);
	faults_free(g);
}

/* ---- checks ------------------------------------------------------------------- */

static void test_check(void **state)
{
	static const struct {
		enum fault_effect effect;
		int field;	/* what to break */
		const char *msg;
	} cases[] = {
		{ FAULT_NONE, 0, "field 'effect' is required" },
		{ FAULT_RETURN, 1, "field 'effect': 'return' answers a method's "
		  "ReturnValue, so 'operation' must be invoke" },
		{ FAULT_FAULT, 2, "field 'hresult': a fault needs a non-zero HRESULT" },
		{ FAULT_HTTP, 3, "field 'http_status': 99 is not an HTTP status from "
		  "200 to 599" },
		{ FAULT_DELAY, 0, "field 'delay_ms': effect 'delay' needs a delay "
		  "of at least 1 ms" },
		{ FAULT_DROP, 4, "field 'delay_ms': 600001 is more than the limit "
		  "of 600000" },
		{ FAULT_DROP, 5, "field 'probability': 1.5 is not from 0 to 1" },
		{ FAULT_DROP, 6, "field 'site': 'TOOLONGSITECODE1' is not a site code" },
	};
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fault_rule r = rule(cases[i].effect);

		switch (cases[i].field) {
		case 1: r.operation = FAULT_OP_GET; break;
		case 2: r.hresult = 0; break;
		case 3: r.http_status = 99; break;
		case 4: r.delay_ms = 600001; break;
		case 5: r.probability = 1.5; break;
		case 6: r.site = strdup("TOOLONGSITECODE1"); break;
		}
		err[0] = '\0';
		assert_int_equal(fault_rule_check(&r, err, sizeof(err)), -EINVAL);
		if (strncmp(err, cases[i].msg, strlen(cases[i].msg)))
			fail_msg("case %zu: '%s'", i, err);
		fault_rule_clear(&r);
	}
	struct fault_rule ok = rule(FAULT_RETURN);
	ok.operation = FAULT_OP_INVOKE;
	assert_int_equal(fault_rule_check(&ok, err, sizeof(err)), 0);
}

static void test_names(void **state)
{
	enum fault_effect e;
	enum fault_op op;

	assert_int_equal(fault_effect_parse("TIMEOUT", &e), 0);
	assert_int_equal(e, FAULT_TIMEOUT);
	assert_int_equal(fault_effect_parse("none", &e), -EINVAL);
	assert_int_equal(fault_effect_parse("bogus", &e), -EINVAL);
	assert_string_equal(fault_effect_name(FAULT_RETURN), "return");
	assert_int_equal(fault_op_parse("Enumerate", &op), 0);
	assert_int_equal(op, FAULT_OP_ENUMERATE);
	assert_string_equal(fault_op_name(FAULT_OP_INVOKE), "invoke");
}

/* ---- sleeping ------------------------------------------------------------------ */

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void *sleeper(void *arg)
{
	return (void *)(intptr_t)faults_sleep(arg, 60000);
}

static void test_sleep_and_shutdown(void **state)
{
	struct faults *f = faults_new(1);
	pthread_t t;
	void *rc;
	int64_t start = mono_ms();

	assert_int_equal(faults_sleep(f, 20), 0);
	assert_true(mono_ms() - start >= 20);
	assert_false(faults_stopping(f));

	assert_int_equal(pthread_create(&t, NULL, sleeper, f), 0);
	faults_shutdown(f);
	assert_int_equal(pthread_join(t, &rc), 0);
	assert_int_equal((int)(intptr_t)rc, -EINTR);
	assert_true(mono_ms() - start < 30000);
	assert_true(faults_stopping(f));
	assert_int_equal(faults_sleep(f, 60000), -EINTR);	/* at once */
	faults_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_match_fields),
		cmocka_unit_test(test_return_matches_invoke_only),
		cmocka_unit_test(test_first_match_wins),
		cmocka_unit_test(test_times_then_retired),
		cmocka_unit_test(test_after_skips_to_next_rule),
		cmocka_unit_test(test_probability_repeats_with_seed),
		cmocka_unit_test(test_sites_have_own_streams),
		cmocka_unit_test(test_probability_edges),
		cmocka_unit_test(test_certain_rules_do_not_draw),
		cmocka_unit_test(test_decision_carries_effect_fields),
		cmocka_unit_test(test_replace_remove_clear),
		cmocka_unit_test(test_reset_keeps_fixture_rules),
		cmocka_unit_test(test_export_import),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_sleep_and_shutdown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
