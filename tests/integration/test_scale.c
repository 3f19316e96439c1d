/* Large sites end to end (issue 14, item 5): an enumeration larger than
 * one Pull streams through the provider's cursor and answers what one
 * answer would; values are read when a Pull returns them; contexts
 * expire; a restart with the same fixture skips the seeding, a changed
 * fixture seeds again. Each test starts its own dpsim on a generated
 * fixture of NDPS DPs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"

#define ACT_ENUM "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
#define ACT_PULL "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull"
#define DPINFO_URI WMI_NS "/SMS_DistributionPointInfo"
#define NDPS 300
#define NAME_SIZE 64

/* Writes a fixture of n DPs dp000.contoso.com ... in site PS1 to path:
 * DP i starts in maintenance when i % 3 == 0; extra (may be NULL) is
 * inserted as more <dp> elements. */
static void write_fixture(const char *path, int n, const char *extra)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	      "<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n"
	      "  <users><user name=\"lab\" password=\"lab\" role=\"Full Administrator\"/>"
	      "</users>\n"
	      "  <site code=\"PS1\" name=\"Generated\" provider=\"CM01.contoso.com\">\n", f);
	for (int i = 0; i < n; i++)
		fprintf(f, "    <dp fqdn=\"dp%03d.contoso.com\" kind=\"standard\"%s/>\n", i,
			i % 3 == 0 ? " maintenance=\"1\"" : "");
	if (extra)
		fputs(extra, f);
	fputs("  </site>\n</dpsim-fixture>\n", f);
	assert_int_equal(fclose(f), 0);
}

static void fixture_path(const struct dpsim_proc *p, char *out, size_t size)
{
	snprintf(out, size, "%s/site.xml", p->dir);
}

/* timeout: --enumeration-timeout */
static int start_with(struct dpsim_proc *p, const char *extra_dp, const char *timeout)
{
	char fx[400];
	const char *args[] = { "--fixture", fx, "--db", p->db, "--log-level", "debug",
			       "--enumeration-timeout", timeout, NULL };

	fixture_path(p, fx, sizeof(fx));
	write_fixture(fx, NDPS, extra_dp);
	return dpsim_start(p, args);
}

static int start_on_fixture(struct dpsim_proc *p, const char *extra_dp)
{
	return start_with(p, extra_dp, "60");
}

static int setup(void **state)
{
	int r = harness_prepare(state);

	if (r == 0)
		r = start_on_fixture(*state, NULL);
	return r;
}

static int setup_short_timeout(void **state)
{
	int r = harness_prepare(state);

	if (r == 0)
		r = start_with(*state, NULL, "1");
	return r;
}

static struct http_reply post(struct dpsim_proc *p, const char *env)
{
	struct http_reply r;

	assert_int_equal(http_post(p->url, "lab", "lab", NULL, env, strlen(env), &r), 0);
	return r;
}

static char *context_of(const char *xml)
{
	char *c = xpath_text(xml, "//n:EnumerationContext");

	if (c && !*c) {
		free(c);
		return NULL;
	}
	return c;
}

/* The text of each <prefix:prop> start tag's element in xml, in order,
 * into out (up to max); how many. A scan rather than XPath: an answer of
 * hundreds of items is read once, not once per item. */
static int texts_of(const char *xml, const char *prop, char (*out)[NAME_SIZE], int max)
{
	char pat[64];
	int n = 0;

	snprintf(pat, sizeof(pat), ":%s>", prop);
	for (const char *at = strstr(xml, pat); at; at = strstr(at + 1, pat)) {
		const char *lt = at, *end;

		while (lt > xml && *lt != '<' && *lt != '>' && *lt != ' ')
			lt--;
		if (*lt != '<' || lt[1] == '/')
			continue;	/* a closing tag, or a longer name */
		at += strlen(pat);
		end = strchr(at, '<');
		assert_non_null(end);
		assert_true(n < max);
		snprintf(out[n], NAME_SIZE, "%.*s", (int)(end - at), at);
		n++;
	}
	return n;
}

/* The names and modes an answer's items carry, appended to names/modes
 * from *n on. */
static void collect(const char *xml, const char *items, char (*names)[NAME_SIZE],
		    long *modes, int *n)
{
	static char got[NDPS + 8][NAME_SIZE], mode[NDPS + 8][NAME_SIZE];
	int count = xpath_count(xml, items);

	assert_int_equal(texts_of(xml, "Name", got, NDPS + 8), count);
	assert_int_equal(texts_of(xml, "MaintenanceMode", mode, NDPS + 8), count);
	for (int i = 0; i < count; i++) {
		assert_true(*n < NDPS + 8);
		snprintf(names[*n], NAME_SIZE, "%s", got[i]);
		modes[*n] = strtol(mode[i], NULL, 10);
		(*n)++;
	}
}

typedef void (*between_fn)(struct dpsim_proc *p, int pulls);

/* A WQL Enumerate (OptimizeEnumeration, first_max items) and Pulls of
 * pull_max until EndOfSequence, calling between (may be NULL) before
 * each Pull; the items in order into names/modes. Returns how many. Each
 * answer but the last must carry a context and no EndOfSequence; the
 * last EndOfSequence and no context. */
static int enumerate_all(struct dpsim_proc *p, const char *query, unsigned first_max,
			 unsigned pull_max, between_fn between,
			 char (*names)[NAME_SIZE], long *modes)
{
	char *body = NULL, *env, *ctx;
	int n = 0, pulls = 0;

	assert_true(asprintf(&body, "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>%u"
			     "</w:MaxElements><w:Filter Dialect=\"http://schemas.microsoft.com/"
			     "wbem/wsman/1/WQL\">%s</w:Filter></n:Enumerate>", first_max,
			     query) > 0);
	env = envelope(ACT_ENUM, WMI_NS "/*", NULL, body);
	struct http_reply r = post(p, env);
	free(env);
	free(body);
	assert_int_equal(r.status, 200);
	collect(r.body, "//n:EnumerateResponse/w:Items/*", names, modes, &n);
	ctx = context_of(r.body);
	assert_int_equal(xpath_count(r.body, "//n:EnumerateResponse/w:EndOfSequence"),
			 ctx ? 0 : 1);
	assert_true(ctx || n <= (int)first_max);
	http_reply_free(&r);
	while (ctx) {
		if (between)
			between(p, pulls);
		assert_true(asprintf(&body, "<n:Pull><n:EnumerationContext>%s"
				     "</n:EnumerationContext><n:MaxElements>%u</n:MaxElements>"
				     "</n:Pull>", ctx, pull_max) > 0);
		env = envelope(ACT_PULL, DPINFO_URI, NULL, body);
		r = post(p, env);
		assert_int_equal(r.status, 200);
		int before = n;
		collect(r.body, "//n:PullResponse/n:Items/*", names, modes, &n);
		assert_true(n - before <= (int)pull_max);
		free(ctx);
		ctx = context_of(r.body);
		assert_int_equal(xpath_count(r.body, "//n:PullResponse/n:EndOfSequence"),
				 ctx ? 0 : 1);
		/* Short only when the envelope (pywinrm's 153600 bytes) is
		 * full, or at the end. */
		if (ctx)
			assert_true(n - before == (int)pull_max ||
				    (n - before > 0 && strlen(r.body) > 100000));
		http_reply_free(&r);
		free(env);
		free(body);
		assert_true(++pulls <= NDPS);
	}
	return n;
}

static void set_mode(struct dpsim_proc *p, int dp, int mode)
{
	char *body = NULL, *env;

	assert_true(asprintf(&body, "<p:SetDPMaintenanceMode_INPUT xmlns:p=\"%s\">"
			     "<p:NALPath>[\"Display=\\\\dp%03d.contoso.com\\\"]MSWNET:"
			     "[\"SMS_SITE=PS1\"]\\\\dp%03d.contoso.com\\</p:NALPath>"
			     "<p:Mode>%d</p:Mode></p:SetDPMaintenanceMode_INPUT>",
			     DPINFO_URI, dp, dp, mode) > 0);
	env = envelope(DPINFO_URI "/SetDPMaintenanceMode", DPINFO_URI, NULL, body);
	struct http_reply r = post(p, env);
	assert_int_equal(r.status, 200);
	char *rv = xpath_text(r.body, "//*[local-name()='ReturnValue']");
	assert_non_null(rv);
	assert_string_equal(rv, "0");
	free(rv);
	http_reply_free(&r);
	free(env);
	free(body);
}

static int find(char (*names)[NAME_SIZE], int n, int dp)
{
	char want[NAME_SIZE];

	snprintf(want, sizeof(want), "dp%03d.contoso.com", dp);
	for (int i = 0; i < n; i++)
		if (strcmp(names[i], want) == 0)
			return i;
	return -1;
}

/* ---- the cursor ------------------------------------------------------ */

/* In pieces of 7 and then 50, the same instances in the same order as
 * answers as large as the envelope allows: every DP once, in NAL path
 * order; with a WHERE too. */
static void pulled_in_pieces_as_one_answer(void **state)
{
	struct dpsim_proc *p = *state;
	static char one[NDPS + 8][NAME_SIZE], pieces[NDPS + 8][NAME_SIZE];
	long one_m[NDPS + 8], pieces_m[NDPS + 8];
	const char *queries[] = {
		"SELECT * FROM SMS_DistributionPointInfo",
		"SELECT * FROM SMS_DistributionPointInfo WHERE MaintenanceMode = 1",
		"SELECT * FROM SMS_DistributionPointInfo WHERE Name LIKE 'dp1%'",
	};
	const int want[] = { NDPS, NDPS / 3, 100 };

	for (size_t q = 0; q < sizeof(queries) / sizeof(queries[0]); q++) {
		int n1 = enumerate_all(p, queries[q], 1000, 1000, NULL, one, one_m);
		int n2 = enumerate_all(p, queries[q], 7, 50, NULL, pieces, pieces_m);

		assert_int_equal(n1, want[q]);
		assert_int_equal(n2, n1);
		for (int i = 0; i < n1; i++) {
			assert_string_equal(pieces[i], one[i]);
			assert_int_equal(pieces_m[i], one_m[i]);
			if (i)
				assert_true(strcmp(one[i - 1], one[i]) < 0);
		}
	}
}

/* Between the first and second Pull: DP 200 (ahead, mode 0) and DP 5
 * (returned already) go into maintenance; DP 252 (ahead, in
 * maintenance) leaves it. */
static void change_modes(struct dpsim_proc *p, int pulls)
{
	if (pulls != 1)
		return;
	set_mode(p, 200, 1);
	set_mode(p, 5, 1);
	set_mode(p, 252, 0);
	set_mode(p, 251, 1);
}

/* A Pull reads the values of what it returns when it returns them, and
 * the WHERE is tested against those values (docs/wsman-protocol.md,
 * Enumeration contexts); a DP already returned is not returned again. */
static void values_are_read_when_pulled(void **state)
{
	struct dpsim_proc *p = *state;
	static char names[NDPS + 8][NAME_SIZE];
	long modes[NDPS + 8];

	int n = enumerate_all(p, "SELECT * FROM SMS_DistributionPointInfo", 10, 20,
			      change_modes, names, modes);
	assert_int_equal(n, NDPS);
	assert_int_equal(modes[find(names, n, 200)], 1);
	assert_int_equal(modes[find(names, n, 252)], 0);
	assert_int_equal(modes[find(names, n, 5)], 0);	/* as it was then */

	/* Put them back: 200, 5 and 251 to 0, 252 to 1. */
	set_mode(p, 200, 0);
	set_mode(p, 5, 0);
	set_mode(p, 251, 0);
	set_mode(p, 252, 1);
	n = enumerate_all(p, "SELECT * FROM SMS_DistributionPointInfo WHERE "
			  "MaintenanceMode = 0", 10, 20, change_modes, names, modes);
	/* 200 and 251 stopped matching before they were reached, 252
	 * came to match; 5 was returned before it changed. */
	assert_true(find(names, n, 200) < 0);
	assert_true(find(names, n, 251) < 0);
	assert_true(find(names, n, 252) >= 0);
	assert_true(find(names, n, 5) >= 0);
	for (int i = 0; i < n; i++)
		assert_int_equal(modes[i], 0);
	/* 200 mode-0 DPs, less 200 and 251, plus 252 */
	assert_int_equal(n, 2 * NDPS / 3 - 2 + 1);
}

/* Removing the site between Pulls does not end the enumeration: the
 * cursor keeps the DPs it started with. */
static void site_removed_between_pulls(struct dpsim_proc *p, int pulls)
{
	if (pulls == 2) {
		json_t *j = control_call(p, "DELETE", "sites/PS1", NULL, 200);
		json_decref(j);
	}
}

static void enumeration_outlives_its_site(void **state)
{
	struct dpsim_proc *p = *state;
	static char names[NDPS + 8][NAME_SIZE];
	long modes[NDPS + 8];

	int n = enumerate_all(p, "SELECT * FROM SMS_DistributionPointInfo", 10, 40,
			      site_removed_between_pulls, names, modes);
	assert_int_equal(n, NDPS);
	for (int i = 0; i < n; i++)
		assert_int_equal(modes[i], i % 3 == 0);
}

/* A context left unused past --enumeration-timeout (1 s here) is gone:
 * its Pull is refused with InvalidEnumerationContext. */
static void unused_context_expires(void **state)
{
	struct dpsim_proc *p = *state;
	char *env = envelope(ACT_ENUM, WMI_NS "/*", NULL,
			     "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>5"
			     "</w:MaxElements><w:Filter Dialect=\"http://schemas.microsoft.com/"
			     "wbem/wsman/1/WQL\">SELECT * FROM SMS_DistributionPointInfo"
			     "</w:Filter></n:Enumerate>");
	struct http_reply r = post(p, env);
	char *ctx, *body = NULL;

	free(env);
	assert_int_equal(r.status, 200);
	ctx = context_of(r.body);
	assert_non_null(ctx);
	http_reply_free(&r);
	assert_true(asprintf(&body, "<n:Pull><n:EnumerationContext>%s</n:EnumerationContext>"
			     "<n:MaxElements>5</n:MaxElements></n:Pull>", ctx) > 0);
	env = envelope(ACT_PULL, DPINFO_URI, NULL, body);
	r = post(p, env);	/* used within the timeout: answered */
	assert_int_equal(r.status, 200);
	assert_int_equal(xpath_count(r.body, "//n:PullResponse/n:Items/*"), 5);
	char *next = context_of(r.body);
	assert_string_equal(next, ctx);
	free(next);
	http_reply_free(&r);

	/* Contexts expire by whole seconds: more than one must pass. */
	struct timespec wait = { .tv_sec = 2, .tv_nsec = 200000000 };
	nanosleep(&wait, NULL);
	r = post(p, env);
	assert_int_equal(r.status, 500);
	char *sub = xpath_text(r.body, "/s:Envelope/s:Body/s:Fault/s:Code/s:Subcode/s:Value");
	assert_non_null(sub);
	assert_string_equal(sub, "n:InvalidEnumerationContext");
	free(sub);
	http_reply_free(&r);
	free(env);
	free(body);
	free(ctx);
}

/* ---- the restart digest ---------------------------------------------- */

/* Whether the last start skipped the schema check (seeding_line). */
static bool schema_skipped;

/* dpsim's seeding line at this start. */
static char *seeding_line(struct dpsim_proc *p)
{
	static struct errlog e;
	char *at, *end;

	memset(&e, 0, sizeof(e));
	assert_true(dpsim_wait_stderr(p, &e, "start-up: ", harness_limit_ms()));
	schema_skipped = strstr(e.text, ": schema check skipped, the database says "
				"this dpsim validated the same document before");
	at = strstr(e.text, "seeding: ");
	assert_non_null(at);
	end = strchr(at, '\n');
	return strndup(at, end ? (size_t)(end - at) : strlen(at));
}

static long mode_of(struct dpsim_proc *p, int dp)
{
	static char names[NDPS + 8][NAME_SIZE];
	long modes[NDPS + 8];
	char q[160];

	snprintf(q, sizeof(q), "SELECT * FROM SMS_DistributionPointInfo WHERE "
		 "Name = 'dp%03d.contoso.com'", dp);
	assert_int_equal(enumerate_all(p, q, 10, 10, NULL, names, modes), 1);
	return modes[0];
}

/* The same fixture: the schema check is skipped and the database is only
 * read back (the debug lines say so), keeping its state; a changed fixture seeds again, its new DP
 * with its fixture mode, the old ones keeping theirs; removed rows (a
 * site removed) make it seed again too. */
static void restart_skips_seeding_of_the_same_fixture(void **state)
{
	struct dpsim_proc *p = *state;
	char *line;

	line = seeding_line(p);
	assert_string_equal(line, "seeding: 300 DPs seeded (new or changed fixture, "
			    "or rows missing)");
	free(line);
	assert_false(schema_skipped);
	set_mode(p, 1, 1);	/* fixture: 0 */
	set_mode(p, 3, 0);	/* fixture: 1 */
	assert_int_equal(dpsim_stop(p), 0);

	assert_int_equal(start_on_fixture(p, NULL), 0);
	line = seeding_line(p);
	assert_string_equal(line, "seeding: 300 DPs read back, not seeded: the database "
			    "was seeded from this fixture (same digest) and holds every DP");
	free(line);
	assert_true(schema_skipped);
	assert_int_equal(mode_of(p, 1), 1);
	assert_int_equal(mode_of(p, 3), 0);
	assert_int_equal(mode_of(p, 6), 1);
	assert_int_equal(dpsim_stop(p), 0);

	/* Changed: one DP more, in maintenance from the start. */
	assert_int_equal(start_on_fixture(p, "    <dp fqdn=\"dp999.contoso.com\" "
					  "kind=\"pull\" maintenance=\"1\"/>\n"), 0);
	line = seeding_line(p);
	assert_string_equal(line, "seeding: 301 DPs seeded (new or changed fixture, "
			    "or rows missing)");
	free(line);
	assert_false(schema_skipped);
	assert_int_equal(mode_of(p, 999), 1);
	assert_int_equal(mode_of(p, 1), 1);
	assert_int_equal(mode_of(p, 3), 0);
	set_mode(p, 999, 0);
	assert_int_equal(dpsim_stop(p), 0);

	/* The changed fixture again: read back, its state kept. */
	assert_int_equal(start_on_fixture(p, "    <dp fqdn=\"dp999.contoso.com\" "
					  "kind=\"pull\" maintenance=\"1\"/>\n"), 0);
	line = seeding_line(p);
	assert_non_null(strstr(line, "301 DPs read back"));
	free(line);
	assert_true(schema_skipped);
	assert_int_equal(mode_of(p, 999), 0);
	assert_int_equal(mode_of(p, 1), 1);

	/* The site removed deletes its rows: the same fixture seeds again,
	 * from the fixture's modes. */
	json_decref(control_call(p, "DELETE", "sites/PS1", NULL, 200));
	assert_int_equal(dpsim_stop(p), 0);
	assert_int_equal(start_on_fixture(p, "    <dp fqdn=\"dp999.contoso.com\" "
					  "kind=\"pull\" maintenance=\"1\"/>\n"), 0);
	line = seeding_line(p);
	assert_non_null(strstr(line, "301 DPs seeded"));
	free(line);
	assert_int_equal(mode_of(p, 999), 1);
	assert_int_equal(mode_of(p, 1), 0);
	assert_int_equal(mode_of(p, 3), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(pulled_in_pieces_as_one_answer, setup,
						harness_cleanup),
		cmocka_unit_test_setup_teardown(values_are_read_when_pulled, setup,
						harness_cleanup),
		cmocka_unit_test_setup_teardown(enumeration_outlives_its_site, setup,
						harness_cleanup),
		cmocka_unit_test_setup_teardown(unused_context_expires,
						setup_short_timeout, harness_cleanup),
		cmocka_unit_test_setup_teardown(restart_skips_seeding_of_the_same_fixture,
						setup, harness_cleanup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
