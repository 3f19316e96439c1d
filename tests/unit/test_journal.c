/* Unit tests for simulator/journal.c over an in-memory store: every
 * filter parameter (and the errors that name a bad one), globs turned
 * into LIKE patterns, time parsing, the one-word result of a row, the
 * per-site bound with its drop count, counting under concurrent writers,
 * clearing per site. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hresult.h"
#include "journal.h"
#include "log.h"
#include "store.h"
#include "store_testing.h"

#define NAL01 "[\"Display=\\\\DP01.contoso.com\\\"]MSWNET:[\"SMS_SITE=PS1\"]\\\\DP01.contoso.com\\"
#define NAL02 "[\"Display=\\\\DP02.contoso.com\\\"]MSWNET:[\"SMS_SITE=PS1\"]\\\\DP02.contoso.com\\"
#define T0 1714557600000LL	/* 2024-05-01T10:00:00Z */

struct env {
	struct store *st;
	struct journal *j;
};

static int setup_max(void **state, int64_t max)
{
	struct env *e = calloc(1, sizeof(*e));
	char err[256];

	if (!e || store_open(":memory:", &e->st, err, sizeof(err)))
		return -1;
	e->j = journal_new(e->st, max);
	*state = e;
	return e->j ? 0 : -1;
}

static int setup(void **state)
{
	return setup_max(state, 0);
}

static int teardown(void **state)
{
	struct env *e = *state;

	journal_free(e->j);
	store_free(e->st);
	free(e);
	return 0;
}

/* A varied journal: ten rows, one of each kind a test asks about. */
static void fill(struct journal *j)
{
	struct journal_entry rows[] = {
		{ .user = "lab", .operation = "invoke", .site = "PS1",
		  .class_name = "SMS_DistributionPointInfo",
		  .method = "SetDPMaintenanceMode", .nalpath = NAL01,
		  .has_return_value = true },				/* 1 ok */
		{ .user = "lab", .operation = "invoke", .site = "PS1",
		  .class_name = "SMS_DistributionPointInfo",
		  .method = "SetDPMaintenanceMode", .nalpath = NAL02,
		  .hresult = WBEM_E_FAILED, .rule_id = 1,
		  .effect = "fault" },					/* 2 */
		{ .user = "analyst", .operation = "invoke", .site = "PS1",
		  .class_name = "SMS_DistributionPointInfo",
		  .method = "SetDPMaintenanceMode", .nalpath = NAL02,
		  .hresult = WBEM_E_ACCESS_DENIED },			/* 3 */
		{ .user = "lab", .operation = "invoke", .site = "PS1",
		  .class_name = "SMS_DistributionPointInfo",
		  .method = "SetDPMaintenanceMode", .nalpath = NAL01,
		  .has_return_value = true, .return_value = WBEM_E_ACCESS_DENIED,
		  .rule_id = 2, .effect = "return" },			/* 4 */
		{ .user = "lab", .operation = "enumerate", .site = "PS1",
		  .class_name = "SMS_DistributionPointInfo", .rule_id = 3,
		  .effect = "http", .http_status = 503 },		/* 5 */
		{ .user = "lab", .operation = "enumerate", .site = "PS1",
		  .class_name = "SMS_DistributionPointInfo", .rule_id = 3,
		  .effect = "drop" },					/* 6 */
		{ .user = "lab", .operation = "get", .site = "PS1",
		  .class_name = "SMS_DistributionPointInfo", .nalpath = NAL01,
		  .rule_id = 4, .effect = "timeout",
		  .hresult = 0x80338029u },				/* 7 */
		{ .user = "lab", .operation = "get", .site = "PS1",
		  .class_name = "SMS_DistributionPointInfo", .nalpath = NAL01,
		  .rule_id = 5, .effect = "delay" },			/* 8 ok */
		{ .user = "lab", .operation = "enumerate",
		  .class_name = "SMS_ProviderLocation" },		/* 9 ok */
		{ .user = "other", .operation = "invoke", .site = "T01",
		  .class_name = "SMS_DistributionPointInfo",
		  .method = "SetDPMaintenanceMode", .nalpath = NAL01,
		  .has_return_value = true },				/* 10 ok */
		{ .user = "lab", .operation = "request",
		  .class_name = "SMS_DistributionPointInfo",
		  .refusal = "s:MustUnderstand", .http_status = 500,
		  .hresult = 0x80338000u, .params = "w:Locale" },	/* 11 */
		{ .user = "mallory", .operation = "request", .refusal = "401",
		  .http_status = 401 },					/* 12 */
	};

	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		rows[i].protocol = "wsman";
		rows[i].old_mode = rows[i].new_mode = -1;
		rows[i].time_ms = T0 + (int64_t)i * 1000;
		assert_int_equal(journal_record(j, &rows[i]), 0);
		assert_int_equal(rows[i].id, (int64_t)i + 1);
	}
}

struct ids {
	char text[128];
	size_t used;
};

static int id_cb(void *ctx, const struct journal_entry *e)
{
	struct ids *s = ctx;

	s->used += (size_t)snprintf(s->text + s->used, sizeof(s->text) - s->used,
				    "%s%lld", s->used ? "," : "", (long long)e->id);
	return 0;
}

/* The ids the filter "name=value&..." lets through, as "1,2,3"; the count
 * route must agree. */
static const char *query(struct env *e, const char *spec)
{
	static struct ids s;
	struct journal_filter jf;
	char buf[512], err[256];
	int64_t n = -1;
	size_t commas = 0;

	memset(&s, 0, sizeof(s));
	journal_filter_init(&jf);
	snprintf(buf, sizeof(buf), "%s", spec);
	for (char *save = NULL, *kv = strtok_r(buf, "&", &save); kv;
	     kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');

		*eq = '\0';
		if (journal_filter_set(&jf, kv, eq + 1, err, sizeof(err)))
			fail_msg("%s: %s", spec, err);
	}
	assert_int_equal(journal_query(e->j, &jf, id_cb, &s), 0);
	assert_int_equal(journal_count(e->j, &jf, &n), 0);
	for (const char *p = s.text; *p; p++)
		commas += *p == ',';
	assert_int_equal(n, s.used ? (int64_t)commas + 1 : 0);
	journal_filter_free(&jf);
	return s.text;
}

static void test_filters(void **state)
{
	struct env *e = *state;

	fill(e->j);
	assert_string_equal(query(e, ""), "1,2,3,4,5,6,7,8,9,10,11,12");
	assert_string_equal(query(e, "site=ps1"), "1,2,3,4,5,6,7,8");
	assert_string_equal(query(e, "site=T01"), "10");
	assert_string_equal(query(e, "operation=GET"), "7,8");
	assert_string_equal(query(e, "protocol=wsman&operation=enumerate"), "5,6,9");
	assert_string_equal(query(e, "class=sms_provider*"), "9");
	assert_string_equal(query(e, "method=SetDP*&user=lab"), "1,2,4");
	assert_string_equal(query(e, "user=?ab"), "1,2,4,5,6,7,8,9,11");
	assert_string_equal(query(e, "nalpath=*dp02*"), "2,3");
	/* [ and \ are literal in a glob, and _ % ! are not LIKE's. */
	assert_string_equal(query(e, "nalpath=[\"Display=\\\\DP01*"), "1,4,7,8,10");
	assert_string_equal(query(e, "user=l_b"), "");
	assert_string_equal(query(e, "user=%"), "");
	assert_string_equal(query(e, "result=ok"), "1,8,9,10");
	assert_string_equal(query(e, "result=0"), "1,8,9,10");
	assert_string_equal(query(e, "result=error&site=PS1"), "2,3,4,5,6,7");
	assert_string_equal(query(e, "result=WBEM_E_ACCESS_DENIED"), "3,4");
	assert_string_equal(query(e, "result=0x80041001"), "2");
	assert_string_equal(query(e, "result=2147749889"), "2");
	assert_string_equal(query(e, "result=http"), "5");
	assert_string_equal(query(e, "result=DROP"), "6");
	assert_string_equal(query(e, "result=timeout"), "7");
	assert_string_equal(query(e, "result=return"), "4");
	assert_string_equal(query(e, "result=delay"), "8");
	/* Refused requests: by operation, subcode (any case) or status. */
	assert_string_equal(query(e, "operation=request"), "11,12");
	assert_string_equal(query(e, "result=error&operation=request"), "11,12");
	assert_string_equal(query(e, "result=S:mustUnderstand"), "11");
	assert_string_equal(query(e, "result=401"), "12");
	assert_string_equal(query(e, "result=w:MustUnderstand"), "");
	assert_string_equal(query(e, "rule=3"), "5,6");
	assert_string_equal(query(e, "since=1714557605000"), "6,7,8,9,10,11,12");
	assert_string_equal(query(e, "since=2024-05-01T10:00:02Z&until=2024-05-01T10:00:04.000Z"),
			    "3,4");
	assert_string_equal(query(e, "until=2024-05-01T12:00:01+02:00"), "1");
	assert_string_equal(query(e, "after=8"), "9,10,11,12");
	assert_string_equal(query(e, "limit=3"), "1,2,3");
	assert_string_equal(query(e, "after=2&limit=2&site=PS1"), "3,4");
	assert_string_equal(query(e, "site=PS9"), "");
}

static void test_filter_errors(void **state)
{
	static const struct {
		const char *name, *value;
		int rc;
		const char *msg;
	} cases[] = {
		{ "bogus", "1", -ENOENT, "parameter 'bogus' is not a journal filter" },
		{ "result", "maybe", -EINVAL, "parameter 'result': 'maybe' is not ok, "
		  "error, an effect" },
		{ "since", "yesterday", -EINVAL, "parameter 'since': 'yesterday' is not "
		  "a time" },
		{ "until", "2024-05-01T10:00:00", -EINVAL, "parameter 'until': " },
		{ "limit", "-1", -EINVAL, "parameter 'limit': '-1' is not a whole number" },
		{ "rule", "x", -EINVAL, "parameter 'rule': 'x' is not a whole number" },
		{ "operation", "delete", -EINVAL, "parameter 'operation': 'delete' is "
		  "not get, enumerate, invoke or request" },
		{ "result", "w:", -EINVAL, "parameter 'result': 'w:' is not ok" },
		{ "result", "w:a b", -EINVAL, "parameter 'result': 'w:a b' is not ok" },
	};
	struct journal_filter jf;
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		journal_filter_init(&jf);
		err[0] = '\0';
		assert_int_equal(journal_filter_set(&jf, cases[i].name, cases[i].value,
						    err, sizeof(err)), cases[i].rc);
		if (strncmp(err, cases[i].msg, strlen(cases[i].msg)))
			fail_msg("%s=%s: '%s'", cases[i].name, cases[i].value, err);
		journal_filter_free(&jf);
	}
}

static void test_glob_to_like(void **state)
{
	char *l = journal_glob_to_like("a*b?c_d%e!f[\\");

	assert_string_equal(l, "a%b_c!_d!%e!!f[\\");
	free(l);
}

static void test_parse_time(void **state)
{
	int64_t ms;

	assert_int_equal(journal_parse_time("1714557600123", &ms), 0);
	assert_int_equal(ms, 1714557600123LL);
	assert_int_equal(journal_parse_time("2024-05-01T10:00:00Z", &ms), 0);
	assert_int_equal(ms, T0);
	assert_int_equal(journal_parse_time("2024-05-01T10:00:00.5z", &ms), 0);
	assert_int_equal(ms, T0 + 500);
	assert_int_equal(journal_parse_time("2024-05-01T10:00:00.123456Z", &ms), 0);
	assert_int_equal(ms, T0 + 123);
	assert_int_equal(journal_parse_time("2024-05-01T11:30:00+01:30", &ms), 0);
	assert_int_equal(ms, T0);
	assert_int_equal(journal_parse_time("2024-05-01T08:00:00-02:00", &ms), 0);
	assert_int_equal(ms, T0);
	assert_int_equal(journal_parse_time("2024-05-01", &ms), -EINVAL);
	assert_int_equal(journal_parse_time("2024-05-01T10:00:00+1:00", &ms), -EINVAL);
	assert_int_equal(journal_parse_time("", &ms), -EINVAL);
}

static void test_result_word(void **state)
{
	struct journal_entry e = { 0 };

	assert_string_equal(journal_result(&e), "ok");
	e.effect = "delay";
	assert_string_equal(journal_result(&e), "ok");
	e.hresult = WBEM_E_NOT_FOUND;
	assert_string_equal(journal_result(&e), "fault");
	e.hresult = 0;
	e.has_return_value = true;
	e.return_value = 5;
	assert_string_equal(journal_result(&e), "return");
	e.effect = "drop";
	assert_string_equal(journal_result(&e), "drop");
	e.refusal = "w:InvalidSelectors";
	assert_string_equal(journal_result(&e), "w:InvalidSelectors");
}

/* Each site keeps its own newest max rows; the drops are counted. */
static void test_bound_per_site(void **state)
{
	struct env *e = *state;
	struct journal_filter jf;
	int64_t rows, dropped, n;

	for (int i = 0; i < 12; i++) {
		struct journal_entry r = {
			.user = "lab", .operation = "get", .site = i % 3 ? "AAA" : "BBB",
			.old_mode = -1, .new_mode = -1, .latency_us = i,
		};
		assert_int_equal(journal_record(e->j, &r), 0);
	}
	/* AAA got 8 rows and keeps 5; BBB got 4 and keeps them all. */
	journal_stats(e->j, "AAA", &rows, &dropped);
	assert_int_equal(rows, 5);
	assert_int_equal(dropped, 3);
	journal_stats(e->j, "bbb", &rows, &dropped);
	assert_int_equal(rows, 4);
	assert_int_equal(dropped, 0);
	journal_stats(e->j, NULL, &rows, &dropped);
	assert_int_equal(rows, 9);
	assert_int_equal(dropped, 3);
	assert_int_equal(store_journal_count(e->st), 9);

	/* The oldest went: AAA's kept rows are its last five. */
	journal_filter_init(&jf);
	assert_int_equal(journal_filter_set(&jf, "site", "AAA", NULL, 0), 0);
	struct ids s = { .used = 0 };
	assert_int_equal(journal_query(e->j, &jf, id_cb, &s), 0);
	assert_string_equal(s.text, "6,8,9,11,12");
	assert_int_equal(journal_count(e->j, &jf, &n), 0);
	assert_int_equal(n, 5);
	journal_filter_free(&jf);

	/* Clearing a site forgets its rows and its drops, not the others'. */
	assert_int_equal(journal_clear(e->j, "aaa", &n), 0);
	assert_int_equal(n, 5);
	journal_stats(e->j, "AAA", &rows, &dropped);
	assert_int_equal(rows + dropped, 0);
	journal_stats(e->j, NULL, &rows, &dropped);
	assert_int_equal(rows, 4);
	assert_int_equal(dropped, 0);
	assert_int_equal(journal_clear(e->j, NULL, &n), 0);
	assert_int_equal(n, 4);
	assert_int_equal(store_journal_count(e->st), 0);
	assert_int_equal(journal_max(e->j), 5);
}

static int setup5(void **state)
{
	return setup_max(state, 5);
}

#define WRITERS 4
#define WRITES 200

struct writer {
	struct journal *j;
	char site[8];
};

static void *write_rows(void *arg)
{
	struct writer *w = arg;

	for (int i = 0; i < WRITES; i++) {
		struct journal_entry r = {
			.user = "lab", .operation = "invoke", .site = w->site,
			.method = "SetDPMaintenanceMode", .old_mode = -1, .new_mode = -1,
			.hresult = i % 4 ? 0 : WBEM_E_FAILED,
		};
		if (journal_record(w->j, &r))
			return (void *)1;
	}
	return NULL;
}

/* Counts stay exact with writers racing, bound or not. */
static void test_counts_under_concurrency(void **state)
{
	struct env *e = *state;
	struct writer w[WRITERS];
	pthread_t t[WRITERS];
	int64_t rows, dropped;

	for (int i = 0; i < WRITERS; i++) {
		w[i].j = e->j;
		snprintf(w[i].site, sizeof(w[i].site), "S%02d", i % 2);
		assert_int_equal(pthread_create(&t[i], NULL, write_rows, &w[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++) {
		void *rc;

		assert_int_equal(pthread_join(t[i], &rc), 0);
		assert_null(rc);
	}
	for (int s = 0; s < 2; s++) {
		char site[8];

		snprintf(site, sizeof(site), "S%02d", s);
		journal_stats(e->j, site, &rows, &dropped);
		assert_int_equal(rows + dropped, 2 * WRITES);
		if (journal_max(e->j))
			assert_int_equal(rows, journal_max(e->j));
	}
	if (!journal_max(e->j)) {
		struct journal_filter jf;
		int64_t n;

		journal_filter_init(&jf);
		assert_int_equal(journal_filter_set(&jf, "result", "0x80041001", NULL, 0), 0);
		assert_int_equal(journal_count(e->j, &jf, &n), 0);
		assert_int_equal(n, WRITERS * WRITES / 4);
		journal_filter_free(&jf);
	}
}

static int setup50(void **state)
{
	return setup_max(state, 50);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_filters, setup, teardown),
		cmocka_unit_test(test_filter_errors),
		cmocka_unit_test(test_glob_to_like),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_result_word),
		cmocka_unit_test_setup_teardown(test_bound_per_site, setup5, teardown),
		cmocka_unit_test_setup_teardown(test_counts_under_concurrency, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_counts_under_concurrency, setup50,
						teardown),
	};

	log_threshold = LOG_WARN;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
