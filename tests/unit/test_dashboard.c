/* Unit tests for simulator/dashboard.c: the page and its assets, and the
 * JSON API answered through dashboard_handle() over a provider on the
 * bundled lab and an in-memory store: who is signed in, the view (DPs,
 * boundary groups with offered/withheld DPs, the feed, fault rules), a
 * maintenance change journaled as protocol "dashboard" under the
 * caller's role and the fault rules, and the reset. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <libxml/parser.h>

#include "dashboard.h"
#include "fixture.h"
#include "hresult.h"
#include "log.h"
#include "provider.h"
#include "store.h"
#include "store_testing.h"

#define DP01_NAL "[\"Display=\\\\DP01.contoso.com\\\"]MSWNET:[\"SMS_SITE=PS1\"]\\\\DP01.contoso.com\\"
#define DP01_NAL_JSON "[\\\"Display=\\\\\\\\DP01.contoso.com\\\\\\\"]MSWNET:[\\\"SMS_SITE=PS1\\\"]\\\\\\\\DP01.contoso.com\\\\"

/* "Basic " + base64 of user:password */
#define AUTH_LAB "Basic bGFiOmxhYg=="
#define AUTH_ANALYST "Basic YW5hbHlzdDphbmFseXN0"
#define AUTH_INFRA "Basic aW5mcmE6aW5mcmE="
#define AUTH_WRONG "Basic bGFiOm5vcGU="
#define AUTH_BRANCH "Basic YnJhbmNoOmJyYW5jaA=="	/* branch:branch */

struct env {
	struct fixture *fx;
	struct store *st;
	struct provider *p;
	struct dashboard *d;
};

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct dashboard_options o = { .version = "9.9" };
	size_t len;
	const char *lab = fixture_bundled_lab(&len);
	char err[512];

	if (!e || fixture_load_memory("lab", lab, len, &e->fx, err, sizeof(err)) ||
	    store_open(":memory:", &e->st, err, sizeof(err)) ||
	    provider_new(e->fx, e->st, &e->p, err, sizeof(err)))
		return -1;
	e->d = dashboard_new(&o);
	if (!e->d)
		return -1;
	dashboard_set_ready(e->d, e->fx, e->p);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	dashboard_free(e->d);
	provider_free(e->p);
	store_free(e->st);
	fixture_free(e->fx);
	free(e);
	return 0;
}

/* The answer to method target (query split as the HTTP front does); the
 * JSON in *out when out is not NULL (decref it), the raw response in *raw
 * when raw is not NULL (free its body). */
static int call_raw(struct dashboard *d, const char *method, const char *target,
		    const char *body, const char *ct, const char *auth,
		    json_t **out, struct front_answer *raw)
{
	struct front_arg args[8];
	struct front_answer rs;
	char path[256], query[256] = "";
	size_t nargs = 0;
	char *q;

	snprintf(path, sizeof(path), "%s", target);
	q = strchr(path, '?');
	if (q) {
		*q = '\0';
		snprintf(query, sizeof(query), "%s", q + 1);
		for (char *save = NULL, *kv = strtok_r(query, "&", &save); kv;
		     kv = strtok_r(NULL, "&", &save)) {
			char *eq = strchr(kv, '=');

			if (eq)
				*eq = '\0';
			args[nargs++] = (struct front_arg){ kv, eq ? eq + 1 : NULL };
		}
	}
	struct front_request rq = {
		.method = method, .path = path, .args = args, .nargs = nargs,
		.body = body ? body : "", .len = body ? strlen(body) : 0,
		.authorization = auth, .content_type = ct,
	};
	dashboard_handle(d, &rq, &rs);
	assert_non_null(rs.body);
	assert_int_equal(strlen(rs.body), rs.len);
	if (out) {
		json_error_t je;

		assert_string_equal(rs.content_type, "application/json");
		*out = json_loads(rs.body, 0, &je);
		if (!*out)
			fail_msg("not JSON (%s): %s", je.text, rs.body);
	}
	if (raw)
		*raw = rs;
	else
		free(rs.body);
	return rs.status;
}

static int call(struct env *e, const char *method, const char *target,
		const char *body, const char *auth, json_t **out)
{
	return call_raw(e->d, method, target, body,
			body ? "application/json" : NULL, auth, out, NULL);
}

static int set_mode(struct env *e, const char *auth, const char *nal_json,
		    int mode, json_t **out)
{
	char body[512];

	snprintf(body, sizeof(body), "{\"site\": \"PS1\", \"nalpath\": \"%s\", "
		 "\"mode\": %d}", nal_json, mode);
	return call(e, "POST", "/dashboard/api/mode", body, auth, out);
}

static const char *sget(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("field %s is not a string", key);
	return json_string_value(v);
}

static json_t *find_dp(json_t *view, const char *name)
{
	size_t i;
	json_t *dp;

	json_array_foreach(json_object_get(json_object_get(view, "site"), "dps"), i, dp)
		if (!strcmp(sget(dp, "name"), name))
			return dp;
	fail_msg("no DP %s in the view", name);
	return NULL;
}

static json_t *find_group(json_t *view, const char *name)
{
	size_t i;
	json_t *g;

	json_array_foreach(json_object_get(json_object_get(view, "site"),
					   "boundary_groups"), i, g)
		if (!strcmp(sget(g, "name"), name))
			return g;
	fail_msg("no boundary group %s in the view", name);
	return NULL;
}

/* The names in array a, joined by ',' into out. */
static const char *names(json_t *a, char *out, size_t size)
{
	size_t i, n = 0;
	json_t *v;

	out[0] = '\0';
	json_array_foreach(a, i, v)
		n += (size_t)snprintf(out + n, size - n, "%s%s", i ? "," : "",
				      json_string_value(v));
	return out;
}

/* ---- the page ---------------------------------------------------------- */

static void test_page_and_assets(void **state)
{
	struct env *e = *state;
	struct front_answer rs;

	assert_int_equal(call_raw(e->d, "GET", "/", NULL, NULL, NULL, NULL, &rs), 200);
	assert_string_equal(rs.content_type, "text/html; charset=utf-8");
	assert_non_null(strstr(rs.body, "<title>dpsim lab dashboard</title>"));
	assert_non_null(strstr(rs.body, "src=\"/dashboard/app.js\""));
	free(rs.body);

	assert_int_equal(call_raw(e->d, "GET", "/dashboard/app.js", NULL, NULL,
				  NULL, NULL, &rs), 200);
	assert_string_equal(rs.content_type, "text/javascript; charset=utf-8");
	assert_non_null(strstr(rs.body, "/dashboard/api/"));
	free(rs.body);

	assert_int_equal(call_raw(e->d, "HEAD", "/dashboard/style.css", NULL, NULL,
				  NULL, NULL, &rs), 200);
	assert_string_equal(rs.content_type, "text/css; charset=utf-8");
	free(rs.body);

	assert_int_equal(call_raw(e->d, "POST", "/", NULL, NULL, NULL, NULL, &rs), 405);
	assert_string_equal(rs.allow, "GET, HEAD");
	free(rs.body);

	assert_int_equal(call_raw(e->d, "GET", "/dashboard/secret.txt", NULL, NULL,
				  NULL, NULL, &rs), 404);
	assert_non_null(strstr(rs.body, "no dashboard file"));
	free(rs.body);

	assert_true(dashboard_owns_path("/"));
	assert_true(dashboard_owns_path("/index.html"));
	assert_true(dashboard_owns_path("/dashboard"));
	assert_true(dashboard_owns_path("/dashboard/api/view"));
	assert_false(dashboard_owns_path("/wsman"));
	assert_false(dashboard_owns_path("/_dpsim/state"));
	assert_false(dashboard_owns_path("/dashboardx"));
}

static void test_api_routes(void **state)
{
	struct env *e = *state;
	struct front_answer rs;
	json_t *o;

	assert_int_equal(call(e, "GET", "/dashboard/api/nope", NULL, AUTH_LAB, &o), 404);
	assert_non_null(strstr(sget(o, "error"), "/dashboard/api/nope"));
	json_decref(o);
	assert_int_equal(call_raw(e->d, "POST", "/dashboard/api/view", "{}",
				  "application/json", AUTH_LAB, NULL, &rs), 405);
	assert_string_equal(rs.allow, "GET");
	free(rs.body);
	assert_int_equal(call_raw(e->d, "GET", "/dashboard/api/mode", NULL, NULL,
				  AUTH_LAB, NULL, &rs), 405);
	assert_string_equal(rs.allow, "POST");
	free(rs.body);
}

static void test_not_ready(void **state)
{
	struct dashboard *d = dashboard_new(NULL);
	struct front_answer rs;
	json_t *o;

	(void)state;
	assert_non_null(d);
	assert_int_equal(call_raw(d, "GET", "/dashboard/api/whoami", NULL, NULL,
				  AUTH_LAB, &o, NULL), 503);
	assert_string_equal(sget(o, "error"), "dpsim is starting");
	json_decref(o);
	/* The page loads at once; it retries the API. */
	assert_int_equal(call_raw(d, "GET", "/", NULL, NULL, NULL, NULL, &rs), 200);
	free(rs.body);
	dashboard_set_stopping(d);
	assert_int_equal(call_raw(d, "GET", "/dashboard/api/view", NULL, NULL,
				  AUTH_LAB, &o, NULL), 503);
	assert_string_equal(sget(o, "error"), "dpsim is stopping");
	json_decref(o);
	dashboard_free(d);
}

/* ---- whoami ------------------------------------------------------------ */

static void test_whoami(void **state)
{
	struct env *e = *state;
	json_t *o;

	assert_int_equal(call(e, "GET", "/dashboard/api/whoami", NULL, NULL, &o), 401);
	assert_non_null(strstr(sget(o, "error"), "Basic"));
	json_decref(o);
	assert_int_equal(call(e, "GET", "/dashboard/api/whoami", NULL, AUTH_WRONG, &o), 401);
	assert_string_equal(sget(o, "error"), "wrong user name or password");
	json_decref(o);
	/* The admin token is not a dashboard credential. */
	assert_int_equal(call(e, "GET", "/dashboard/api/whoami", NULL,
			      "Bearer s3cret", &o), 401);
	json_decref(o);

	assert_int_equal(call(e, "GET", "/dashboard/api/whoami", NULL, AUTH_LAB, &o), 200);
	assert_string_equal(sget(o, "user"), "lab");
	assert_string_equal(sget(o, "role"), "Full Administrator");
	assert_true(json_is_true(json_object_get(o, "can_modify")));
	assert_true(json_is_true(json_object_get(o, "can_reset")));
	json_decref(o);

	assert_int_equal(call(e, "GET", "/dashboard/api/whoami", NULL, AUTH_ANALYST, &o), 200);
	assert_string_equal(sget(o, "user"), "analyst");
	assert_string_equal(sget(o, "role"), "Read-only Analyst");
	assert_true(json_is_false(json_object_get(o, "can_modify")));
	assert_true(json_is_false(json_object_get(o, "can_reset")));
	json_decref(o);

	assert_int_equal(call(e, "GET", "/dashboard/api/whoami", NULL, AUTH_INFRA, &o), 200);
	assert_true(json_is_true(json_object_get(o, "can_modify")));
	assert_true(json_is_false(json_object_get(o, "can_reset")));
	json_decref(o);
}

/* ---- view -------------------------------------------------------------- */

static void test_view_lab(void **state)
{
	struct env *e = *state;
	char buf[512];
	json_t *o, *site, *dp, *g;

	assert_int_equal(call(e, "GET", "/dashboard/api/view", NULL, NULL, &o), 401);
	json_decref(o);
	/* Any role may look. */
	assert_int_equal(call(e, "GET", "/dashboard/api/view", NULL, AUTH_ANALYST, &o), 200);
	assert_string_equal(sget(o, "version"), "9.9");
	assert_int_equal(json_array_size(json_object_get(o, "sites")), 1);
	json_t *s0 = json_array_get(json_object_get(o, "sites"), 0);
	assert_string_equal(sget(s0, "code"), "PS1");
	assert_string_equal(sget(s0, "name"), "Contoso Lab");
	assert_int_equal(json_integer_value(json_object_get(s0, "dp_count")), 6);
	assert_int_equal(json_integer_value(json_object_get(s0, "in_maintenance")), 1);

	site = json_object_get(o, "site");
	assert_string_equal(sget(site, "code"), "PS1");
	assert_int_equal(json_array_size(json_object_get(site, "dps")), 6);
	dp = find_dp(o, "DP02.contoso.com");
	assert_int_equal(json_integer_value(json_object_get(dp, "mode")), 1);
	assert_string_equal(sget(dp, "kind"), "standard");
	assert_non_null(strstr(sget(dp, "description"), "disk replacement"));
	dp = find_dp(o, "PXE01.contoso.com");
	assert_int_equal(json_integer_value(json_object_get(dp, "mode")), 0);
	assert_string_equal(sget(dp, "kind"), "pxe");
	assert_string_equal(sget(find_dp(o, "PULLDP01.contoso.com"), "kind"), "pull");
	dp = find_dp(o, "CLOUDDP01.cloudapp.net");
	assert_string_equal(sget(dp, "kind"), "cloud");
	assert_string_equal(sget(find_dp(o, "DP01.contoso.com"), "nalpath"), DP01_NAL);

	assert_int_equal(json_array_size(json_object_get(site, "boundary_groups")), 3);
	g = find_group(o, "HQ clients");
	assert_string_equal(sget(g, "description"), "Head office LAN and VPN address ranges");
	assert_string_equal(names(json_object_get(g, "offered"), buf, sizeof(buf)),
			    "DP01.contoso.com,PULLDP01.contoso.com,PXE01.contoso.com");
	assert_string_equal(names(json_object_get(g, "withheld"), buf, sizeof(buf)),
			    "DP02.contoso.com");
	g = find_group(o, "Branch office");
	assert_string_equal(names(json_object_get(g, "offered"), buf, sizeof(buf)),
			    "DP03.branch.contoso.com,DP01.contoso.com");
	assert_int_equal(json_array_size(json_object_get(g, "withheld")), 0);

	json_t *j = json_object_get(o, "journal");
	assert_int_equal(json_integer_value(json_object_get(j, "rows")), 0);
	assert_int_equal(json_array_size(json_object_get(j, "entries")), 0);
	assert_int_equal(json_array_size(json_object_get(o, "faults")), 0);
	json_decref(o);

	/* A site by code, any case; an unknown one; a bad parameter. */
	assert_int_equal(call(e, "GET", "/dashboard/api/view?site=ps1", NULL,
			      AUTH_LAB, &o), 200);
	assert_string_equal(sget(json_object_get(o, "site"), "code"), "PS1");
	json_decref(o);
	assert_int_equal(call(e, "GET", "/dashboard/api/view?site=XX9", NULL,
			      AUTH_LAB, &o), 404);
	assert_string_equal(sget(o, "error"), "no site XX9 is served");
	json_decref(o);
	assert_int_equal(call(e, "GET", "/dashboard/api/view?after=x", NULL,
			      AUTH_LAB, &o), 400);
	assert_non_null(strstr(sget(o, "error"), "'after'"));
	json_decref(o);
}

/* The view follows the user's security scopes as WS-Man reads do: the
 * lab's branch user (scope Branch at PS1) sees DP03 alone, in its site's
 * counts and in the boundary groups. */
static void test_view_scoped_user(void **state)
{
	struct env *e = *state;
	char buf[512];
	json_t *o, *site, *g;

	assert_int_equal(call(e, "GET", "/dashboard/api/view", NULL, AUTH_BRANCH,
			      &o), 200);
	json_t *s0 = json_array_get(json_object_get(o, "sites"), 0);
	assert_int_equal(json_integer_value(json_object_get(s0, "dp_count")), 1);
	assert_int_equal(json_integer_value(json_object_get(s0, "in_maintenance")), 0);
	site = json_object_get(o, "site");
	assert_int_equal(json_array_size(json_object_get(site, "dps")), 1);
	assert_non_null(find_dp(o, "DP03.branch.contoso.com"));
	g = find_group(o, "Branch office");
	assert_string_equal(names(json_object_get(g, "offered"), buf, sizeof(buf)),
			    "DP03.branch.contoso.com");
	g = find_group(o, "HQ clients");
	assert_int_equal(json_array_size(json_object_get(g, "offered")), 0);
	assert_int_equal(json_array_size(json_object_get(g, "withheld")), 0);
	json_decref(o);
}

/* Several sites: the view lists them all and details the one asked for
 * (the first by default). A site added at run time has no boundary
 * groups: its fixture document is not kept. */
static void test_view_several_sites(void **state)
{
	struct env *e = *state;
	struct provider_site_added added[2];
	size_t nadded = 0, users = 0, len;
	const char *lab = fixture_bundled_lab(&len);
	char err[256];
	json_t *o, *site;

	assert_int_equal(provider_site_add(e->p, "lab2.xml", lab, len, "LB2", added, 2,
					   &nadded, &users, err, sizeof(err)), 0);
	assert_int_equal(nadded, 1);
	assert_int_equal(call(e, "GET", "/dashboard/api/view", NULL, AUTH_LAB, &o), 200);
	assert_int_equal(json_array_size(json_object_get(o, "sites")), 2);
	assert_string_equal(sget(json_array_get(json_object_get(o, "sites"), 1), "code"), "LB2");
	assert_string_equal(sget(json_object_get(o, "site"), "code"), "PS1");
	json_decref(o);

	assert_int_equal(call(e, "GET", "/dashboard/api/view?site=lb2", NULL, AUTH_LAB, &o), 200);
	site = json_object_get(o, "site");
	assert_string_equal(sget(site, "code"), "LB2");
	assert_int_equal(json_array_size(json_object_get(site, "dps")), 6);
	assert_int_equal(json_array_size(json_object_get(site, "boundary_groups")), 0);
	assert_non_null(strstr(sget(find_dp(o, "DP01.contoso.com"), "nalpath"),
			       "SMS_SITE=LB2"));
	json_decref(o);

	/* A change on one site shows in that site's feed only. */
	char *nal = fixture_nalpath("DP01.contoso.com", "LB2");
	json_t *rq = json_pack("{s:s, s:s, s:i}", "site", "LB2", "nalpath", nal,
			       "mode", 1);
	char *body = json_dumps(rq, 0);

	assert_int_equal(call(e, "POST", "/dashboard/api/mode", body, AUTH_LAB, &o), 200);
	free(body);
	json_decref(rq);
	free(nal);
	assert_true(json_is_true(json_object_get(o, "ok")));
	json_decref(o);
	assert_int_equal(call(e, "GET", "/dashboard/api/view?site=LB2", NULL, AUTH_LAB, &o), 200);
	assert_int_equal(json_array_size(json_object_get(json_object_get(o, "journal"),
							 "entries")), 1);
	assert_int_equal(json_integer_value(json_object_get(find_dp(o, "DP01.contoso.com"),
							    "mode")), 1);
	json_decref(o);
	assert_int_equal(call(e, "GET", "/dashboard/api/view?site=PS1", NULL, AUTH_LAB, &o), 200);
	assert_int_equal(json_array_size(json_object_get(json_object_get(o, "journal"),
							 "entries")), 0);
	assert_int_equal(json_integer_value(json_object_get(find_dp(o, "DP01.contoso.com"),
							    "mode")), 0);
	json_decref(o);
}

/* ---- mode -------------------------------------------------------------- */

static int64_t count_rows(struct env *e, const char *name, const char *value)
{
	struct journal_filter jf;
	char err[256];
	int64_t n = -1;

	journal_filter_init(&jf);
	assert_int_equal(journal_filter_set(&jf, name, value, err, sizeof(err)), 0);
	assert_int_equal(journal_count(provider_journal(e->p), &jf, &n), 0);
	journal_filter_free(&jf);
	return n;
}

static void test_mode_as_admin(void **state)
{
	struct env *e = *state;
	char buf[512];
	json_t *o, *rows, *last;

	assert_int_equal(set_mode(e, AUTH_LAB, DP01_NAL_JSON, 1, &o), 200);
	assert_true(json_is_true(json_object_get(o, "ok")));
	assert_int_equal(json_integer_value(json_object_get(o, "return_value")), 0);
	assert_int_equal(json_integer_value(json_object_get(o, "mode")), 1);
	json_decref(o);

	/* The provider's state, as WS-Man would read it back. */
	uint32_t mode = 9;
	assert_int_equal(store_get_mode(e->st, "PS1", DP01_NAL, &mode), 0);
	assert_int_equal(mode, 1);

	assert_int_equal(call(e, "GET", "/dashboard/api/view", NULL, AUTH_LAB, &o), 200);
	assert_int_equal(json_integer_value(json_object_get(find_dp(o, "DP01.contoso.com"),
							    "mode")), 1);
	json_t *g = find_group(o, "Branch office");
	assert_string_equal(names(json_object_get(g, "offered"), buf, sizeof(buf)),
			    "DP03.branch.contoso.com");
	assert_string_equal(names(json_object_get(g, "withheld"), buf, sizeof(buf)),
			    "DP01.contoso.com");
	rows = json_object_get(json_object_get(o, "journal"), "entries");
	assert_int_equal(json_array_size(rows), 1);
	last = json_array_get(rows, 0);
	assert_string_equal(sget(last, "user"), "lab");
	assert_string_equal(sget(last, "protocol"), "dashboard");
	assert_string_equal(sget(last, "method"), "SetDPMaintenanceMode");
	assert_string_equal(sget(last, "nalpath"), DP01_NAL);
	assert_string_equal(sget(last, "result"), "ok");
	assert_int_equal(json_integer_value(json_object_get(last, "new_mode")), 1);
	assert_int_equal(json_integer_value(json_object_get(last, "old_mode")), 0);
	json_decref(o);

	assert_int_equal(count_rows(e, "protocol", "dashboard"), 1);
	assert_int_equal(count_rows(e, "protocol", "wsman"), 0);

	/* Same mode twice is a success, as the provider says. */
	assert_int_equal(set_mode(e, AUTH_INFRA, DP01_NAL_JSON, 1, &o), 200);
	assert_true(json_is_true(json_object_get(o, "ok")));
	json_decref(o);
	assert_int_equal(count_rows(e, "user", "infra"), 1);
}

static void test_mode_as_analyst_denied(void **state)
{
	struct env *e = *state;
	json_t *o;

	assert_int_equal(set_mode(e, AUTH_ANALYST, DP01_NAL_JSON, 1, &o), 403);
	assert_string_equal(sget(o, "hresult"), "0x80041003");
	assert_string_equal(sget(o, "hresult_name"), "WBEM_E_ACCESS_DENIED");
	assert_true(json_is_null(json_object_get(o, "rule")));
	json_decref(o);

	uint32_t mode = 9;
	assert_int_equal(store_get_mode(e->st, "PS1", DP01_NAL, &mode), 0);
	assert_int_equal(mode, 0);
	/* Journaled as a failed dashboard call of the analyst. */
	assert_int_equal(count_rows(e, "result", "WBEM_E_ACCESS_DENIED"), 1);
	assert_int_equal(count_rows(e, "user", "analyst"), 1);
	assert_int_equal(count_rows(e, "protocol", "dashboard"), 1);
}

static void test_mode_bad_requests(void **state)
{
	struct env *e = *state;
	json_t *o;

	assert_int_equal(call(e, "POST", "/dashboard/api/mode", "{}", NULL, &o), 401);
	json_decref(o);
	/* Not declared JSON: refused before anything runs. */
	assert_int_equal(call_raw(e->d, "POST", "/dashboard/api/mode",
				  "site=PS1&mode=1", "application/x-www-form-urlencoded",
				  AUTH_LAB, &o, NULL), 415);
	assert_non_null(strstr(sget(o, "error"), "application/json"));
	json_decref(o);
	assert_int_equal(call(e, "POST", "/dashboard/api/mode", "[1]", AUTH_LAB, &o), 400);
	assert_non_null(strstr(sget(o, "error"), "not a JSON object"));
	json_decref(o);
	assert_int_equal(call(e, "POST", "/dashboard/api/mode",
			      "{\"site\": \"PS1\", \"nalpath\": \"x\", \"mode\": 1, "
			      "\"dp\": 1}", AUTH_LAB, &o), 400);
	assert_non_null(strstr(sget(o, "error"), "unknown field 'dp'"));
	json_decref(o);
	assert_int_equal(call(e, "POST", "/dashboard/api/mode",
			      "{\"site\": \"PS1\", \"nalpath\": \"x\", \"mode\": \"1\"}",
			      AUTH_LAB, &o), 400);
	assert_non_null(strstr(sget(o, "error"), "\"mode\" (0 or 1)"));
	json_decref(o);
	assert_int_equal(call(e, "POST", "/dashboard/api/mode",
			      "{\"site\": \"ZZ1\", \"nalpath\": \"x\", \"mode\": 1}",
			      AUTH_LAB, &o), 404);
	assert_string_equal(sget(o, "error"), "no site ZZ1 is served");
	json_decref(o);
	/* The provider judges the values, as for WS-Man. */
	assert_int_equal(set_mode(e, AUTH_LAB, DP01_NAL_JSON, 2, &o), 400);
	assert_string_equal(sget(o, "hresult_name"), "WBEM_E_INVALID_PARAMETER");
	json_decref(o);
	assert_int_equal(set_mode(e, AUTH_LAB, "MSWNET:nothing", 1, &o), 404);
	assert_string_equal(sget(o, "hresult_name"), "WBEM_E_NOT_FOUND");
	json_decref(o);
	assert_int_equal(count_rows(e, "protocol", "dashboard"), 2);
}

static void add_rule(struct env *e, enum fault_effect eff, uint32_t hr,
		     unsigned http)
{
	struct fault_rule r;
	int64_t id;

	fault_rule_init(&r);
	r.operation = FAULT_OP_INVOKE;
	r.method_glob = strdup("SetDPMaintenanceMode");
	r.protocol_glob = strdup("dashboard");
	r.effect = eff;
	r.hresult = hr;
	r.http_status = http;
	r.times = 1;
	assert_int_equal(faults_add(provider_faults(e->p), &r, 1, &id), 0);
	fault_rule_clear(&r);
}

static void test_mode_fault_rules(void **state)
{
	struct env *e = *state;
	json_t *o, *rule, *rows, *row;

	add_rule(e, FAULT_FAULT, WBEM_E_PROVIDER_FAILURE, 0);
	add_rule(e, FAULT_HTTP, 0, 503);
	add_rule(e, FAULT_RETURN, 5, 0);

	assert_int_equal(set_mode(e, AUTH_LAB, DP01_NAL_JSON, 1, &o), 500);
	assert_string_equal(sget(o, "hresult_name"), "WBEM_E_PROVIDER_FAILURE");
	assert_int_equal(json_integer_value(json_object_get(o, "rule")), 1);
	assert_non_null(strstr(sget(o, "error"), "fault rule 1"));
	json_decref(o);

	assert_int_equal(set_mode(e, AUTH_LAB, DP01_NAL_JSON, 1, &o), 503);
	assert_string_equal(sget(o, "effect"), "http");
	assert_int_equal(json_integer_value(json_object_get(o, "rule")), 2);
	json_decref(o);

	assert_int_equal(set_mode(e, AUTH_LAB, DP01_NAL_JSON, 1, &o), 200);
	assert_true(json_is_false(json_object_get(o, "ok")));
	assert_int_equal(json_integer_value(json_object_get(o, "return_value")), 5);
	assert_int_equal(json_integer_value(json_object_get(o, "rule")), 3);
	json_decref(o);

	/* All three retired: the fourth call goes through. */
	assert_int_equal(set_mode(e, AUTH_LAB, DP01_NAL_JSON, 1, &o), 200);
	assert_true(json_is_true(json_object_get(o, "ok")));
	json_decref(o);

	assert_int_equal(call(e, "GET", "/dashboard/api/view", NULL, AUTH_LAB, &o), 200);
	assert_int_equal(json_array_size(json_object_get(o, "faults")), 3);
	rule = json_array_get(json_object_get(o, "faults"), 0);
	assert_int_equal(json_integer_value(json_object_get(rule, "id")), 1);
	assert_string_equal(sget(rule, "effect"), "fault");
	assert_string_equal(sget(rule, "hresult_name"), "WBEM_E_PROVIDER_FAILURE");
	assert_string_equal(sget(rule, "protocol"), "dashboard");
	assert_int_equal(json_integer_value(json_object_get(rule, "fired")), 1);
	assert_true(json_is_true(json_object_get(rule, "retired")));
	rule = json_array_get(json_object_get(o, "faults"), 1);
	assert_int_equal(json_integer_value(json_object_get(rule, "http_status")), 503);

	rows = json_object_get(json_object_get(o, "journal"), "entries");
	assert_int_equal(json_array_size(rows), 4);
	row = json_array_get(rows, 0);
	assert_string_equal(sget(row, "result"), "fault");
	assert_string_equal(sget(row, "effect"), "fault");
	assert_int_equal(json_integer_value(json_object_get(row, "rule")), 1);
	row = json_array_get(rows, 1);
	assert_string_equal(sget(row, "result"), "http");
	assert_int_equal(json_integer_value(json_object_get(row, "http_status")), 503);
	row = json_array_get(rows, 2);
	assert_string_equal(sget(row, "result"), "return");
	assert_int_equal(json_integer_value(json_object_get(row, "return_value")), 5);
	row = json_array_get(rows, 3);
	assert_string_equal(sget(row, "result"), "ok");
	json_decref(o);
}

/* The feed carries the newest rows only, oldest first, whatever the
 * journal holds. */
static void test_feed_newest_rows(void **state)
{
	struct env *e = *state;
	json_t *o, *rows;
	int64_t prev = 0;
	size_t i;
	json_t *row;

	for (int k = 0; k < 57; k++) {
		assert_int_equal(set_mode(e, AUTH_LAB, DP01_NAL_JSON, k % 2, &o), 200);
		json_decref(o);
	}
	assert_int_equal(call(e, "GET", "/dashboard/api/view", NULL, AUTH_LAB, &o), 200);
	json_t *j = json_object_get(o, "journal");
	assert_int_equal(json_integer_value(json_object_get(j, "rows")), 57);
	rows = json_object_get(j, "entries");
	assert_int_equal(json_array_size(rows), 40);
	json_array_foreach(rows, i, row) {
		int64_t id = json_integer_value(json_object_get(row, "id"));

		assert_true(id > prev);
		prev = id;
	}
	assert_int_equal(prev, 57);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0),
							    "id")), 18);
	json_decref(o);

	/* Rows after a known id only. */
	assert_int_equal(call(e, "GET", "/dashboard/api/view?after=55", NULL,
			      AUTH_LAB, &o), 200);
	rows = json_object_get(json_object_get(o, "journal"), "entries");
	assert_int_equal(json_array_size(rows), 2);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(rows, 0),
							    "id")), 56);
	json_decref(o);
}

/* ---- reset ------------------------------------------------------------- */

static void test_reset(void **state)
{
	struct env *e = *state;
	json_t *o;
	uint32_t mode = 9;

	assert_int_equal(set_mode(e, AUTH_LAB, DP01_NAL_JSON, 1, &o), 200);
	json_decref(o);
	add_rule(e, FAULT_FAULT, WBEM_E_FAILED, 0);

	assert_int_equal(call(e, "POST", "/dashboard/api/reset", "{}", AUTH_ANALYST, &o), 403);
	assert_string_equal(sget(o, "error"), "resetting the lab needs the Full "
			    "Administrator role; analyst is Read-only Analyst");
	json_decref(o);
	assert_int_equal(call(e, "POST", "/dashboard/api/reset", "{}", AUTH_INFRA, &o), 403);
	json_decref(o);
	assert_int_equal(call_raw(e->d, "POST", "/dashboard/api/reset", "", "text/plain",
				  AUTH_LAB, &o, NULL), 415);
	json_decref(o);
	assert_int_equal(store_get_mode(e->st, "PS1", DP01_NAL, &mode), 0);
	assert_int_equal(mode, 1);

	assert_int_equal(call(e, "POST", "/dashboard/api/reset", "{}", AUTH_LAB, &o), 200);
	assert_string_equal(sget(o, "reset"), "all");
	json_decref(o);
	assert_int_equal(store_get_mode(e->st, "PS1", DP01_NAL, &mode), 0);
	assert_int_equal(mode, 0);
	assert_int_equal(faults_count(provider_faults(e->p), NULL), 0);
	assert_int_equal(call(e, "GET", "/dashboard/api/view", NULL, AUTH_LAB, &o), 200);
	assert_int_equal(json_array_size(json_object_get(json_object_get(o, "journal"),
							 "entries")), 0);
	json_decref(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_page_and_assets, setup, teardown),
		cmocka_unit_test_setup_teardown(test_api_routes, setup, teardown),
		cmocka_unit_test(test_not_ready),
		cmocka_unit_test_setup_teardown(test_whoami, setup, teardown),
		cmocka_unit_test_setup_teardown(test_view_lab, setup, teardown),
		cmocka_unit_test_setup_teardown(test_view_scoped_user, setup, teardown),
		cmocka_unit_test_setup_teardown(test_view_several_sites, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_as_admin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_as_analyst_denied, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_bad_requests, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mode_fault_rules, setup, teardown),
		cmocka_unit_test_setup_teardown(test_feed_newest_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reset, setup, teardown),
	};
	int rc;

	log_threshold = LOG_ERROR;
	xmlInitParser();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
