/* The control plane end to end against a real dpsim: fault rules with
 * each effect and match field, after/times/probability with a fixed seed
 * repeated across runs, the journal with its filters and bound, reset,
 * snapshots, sites used in parallel, readiness, the admin token, and the
 * same through `dpctl sim`. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <libxml/parser.h>

#include "dpclient.h"
#include "harness.h"

#define WMI_BASE "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_"
#define ACT_ENUM "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
#define CURLE_GOT_NOTHING_CODE 52

/* ---- helpers --------------------------------------------------------------- */

static int start(void **state)
{
	static const char *const args[] = { "--seed", "7", NULL };

	return harness_start_with(state, args);
}

/* A control request; asserts the status and returns the JSON answer. */
static json_t *api_auth(struct dpsim_proc *p, const char *method, const char *path,
			const char *body, const char *token, long want)
{
	char url[512], auth[160];
	const char *headers[3] = { "Content-Type: application/json", NULL, NULL };
	struct http_reply r;
	json_t *j;

	if (token) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", token);
		headers[1] = auth;
	}
	dpsim_base(p, url, sizeof(url));
	snprintf(url + strlen(url), sizeof(url) - strlen(url), "/_dpsim/%s", path);
	assert_int_equal(http_request(method, url, headers, body,
				      body ? strlen(body) : 0, &r), 0);
	if (r.status != want)
		fail_msg("%s %s: HTTP %ld, wanted %ld: %s", method, path, r.status,
			 want, r.body);
	assert_non_null(strstr(r.content_type, "application/json"));
	j = json_loads(r.body, 0, NULL);
	if (!j)
		fail_msg("%s %s: not JSON: %s", method, path, r.body);
	http_reply_free(&r);
	return j;
}

static json_t *api(struct dpsim_proc *p, const char *method, const char *path,
		   const char *body, long want)
{
	return api_auth(p, method, path, body, NULL, want);
}

static void api_ok(struct dpsim_proc *p, const char *method, const char *path,
		   const char *body, long want)
{
	json_decref(api(p, method, path, body, want));
}

static json_int_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("'%s' is not an integer", key);
	return json_integer_value(v);
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

static int64_t journal_count(struct dpsim_proc *p, const char *query)
{
	char path[512];
	json_t *j;
	int64_t n;

	snprintf(path, sizeof(path), "journal/count%s%s", query ? "?" : "",
		 query ? query : "");
	j = api(p, "GET", path, NULL, 200);
	n = jint(j, "count");
	json_decref(j);
	return n;
}

static char *nal(const char *fqdn, const char *site)
{
	char *s = NULL;

	assert_true(asprintf(&s, "[\"Display=\\\\%s\\\"]MSWNET:[\"SMS_SITE=%s\"]"
			     "\\\\%s\\", fqdn, site, fqdn) > 0);
	return s;
}

/* "Authorization: Basic ..." for user with the password user (as the
 * bundled lab has them). */
static void basic_header(const char *user, char *out, size_t size)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char plain[128];
	size_t n, o;

	n = (size_t)snprintf(plain, sizeof(plain), "%s:%s", user, user);
	o = (size_t)snprintf(out, size, "Authorization: Basic ");
	for (size_t i = 0; i < n && o + 5 < size; i += 3) {
		unsigned v = (unsigned char)plain[i] << 16;

		if (i + 1 < n)
			v |= (unsigned char)plain[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)plain[i + 2];
		out[o++] = b64[(v >> 18) & 63];
		out[o++] = b64[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64[v & 63] : '=';
	}
	out[o] = '\0';
}

/* SetDPMaintenanceMode(NAL of fqdn in site, mode) as user, with the
 * request's OperationTimeout (NULL: the harness's PT20S). */
static struct http_reply invoke_as(struct dpsim_proc *p, const char *user,
				   const char *site, const char *fqdn,
				   const char *mode, const char *timeout)
{
	char uri[256], *body = NULL, *n = nal(fqdn, site), *env;
	struct http_reply r;

	snprintf(uri, sizeof(uri), WMI_BASE "%s/SMS_DistributionPointInfo", site);
	assert_true(asprintf(&body, "<p:SetDPMaintenanceMode_INPUT xmlns:p=\"%s\">"
			     "<p:NALPath>%s</p:NALPath><p:Mode>%s</p:Mode>"
			     "</p:SetDPMaintenanceMode_INPUT>", uri, n, mode) > 0);
	char action[300];
	snprintf(action, sizeof(action), "%s/SetDPMaintenanceMode", uri);
	env = envelope(action, uri, NULL, body);
	if (timeout) {
		char *at = strstr(env, "PT20S");
		char *copy = NULL;

		assert_non_null(at);
		assert_true(asprintf(&copy, "%.*s%s%s", (int)(at - env), env, timeout,
				     at + 5) > 0);
		free(env);
		env = copy;
	}
	char auth[128];
	basic_header(user, auth, sizeof(auth));
	const char *h[] = { "Content-Type: application/soap+xml;charset=UTF-8",
			    auth, NULL };
	/* A drop is an expected outcome here: http_request stays quiet. */
	if (http_request("POST", p->url, h, env, strlen(env), &r))
		r.status = 0;
	free(env);
	free(body);
	free(n);
	return r;
}

static struct http_reply invoke(struct dpsim_proc *p, const char *fqdn,
				const char *mode)
{
	return invoke_as(p, "lab", "PS1", fqdn, mode, NULL);
}

static char *text_at(const char *xml, const char *expr)
{
	return xpath_text(xml, expr);
}

static void assert_return_value(struct http_reply *r, const char *want)
{
	if (r->status != 200)
		fail_msg("HTTP %ld: %s", r->status, r->body);
	char *rv = text_at(r->body, "//*[local-name()='ReturnValue']");
	assert_non_null(rv);
	assert_string_equal(rv, want);
	free(rv);
}

static void assert_error_code(struct http_reply *r, const char *want)
{
	if (r->status != 500)
		fail_msg("HTTP %ld, wanted a fault: %s", r->status, r->body);
	char *code = text_at(r->body, "//*[local-name()='MSFT_WmiError']"
			     "/*[local-name()='error_Code']");
	assert_non_null(code);
	assert_string_equal(code, want);
	free(code);
}

/* A WQL Enumerate of site's DPs as user: the reply. */
static struct http_reply enumerate_as(struct dpsim_proc *p, const char *user,
				      const char *site, const char *cls,
				      const char *where)
{
	char uri[256], *body = NULL, *env;
	struct http_reply r;

	snprintf(uri, sizeof(uri), WMI_BASE "%s/*", site);
	assert_true(asprintf(&body, "<n:Enumerate><w:OptimizeEnumeration/>"
			     "<w:MaxElements>100</w:MaxElements><w:Filter Dialect="
			     "\"http://schemas.microsoft.com/wbem/wsman/1/WQL\">"
			     "SELECT * FROM %s%s%s</w:Filter></n:Enumerate>", cls,
			     where ? " WHERE " : "", where ? where : "") > 0);
	env = envelope(ACT_ENUM, uri, NULL, body);
	memset(&r, 0, sizeof(r));
	if (http_post(p->url, user, user, NULL, env, strlen(env), &r))
		r.status = 0;
	free(env);
	free(body);
	return r;
}

static long mode_of(struct dpsim_proc *p, const char *site, const char *fqdn)
{
	char where[128];

	snprintf(where, sizeof(where), "Name = '%s'", fqdn);
	struct http_reply r = enumerate_as(p, "lab", site,
					   "SMS_DistributionPointInfo", where);
	assert_int_equal(r.status, 200);
	char *m = text_at(r.body, "//*[local-name()='MaintenanceMode']");
	assert_non_null(m);
	long v = strtol(m, NULL, 10);
	free(m);
	http_reply_free(&r);
	return v;
}

/* ---- the headline ----------------------------------------------------------------- */

/* "Fail twice with 0x80041001, then succeed" is one rule; the third call
 * succeeds and the journal counts three. */
static void fail_twice_then_succeed(void **state)
{
	struct dpsim_proc *p = *state;
	json_t *j;

	j = api(p, "POST", "faults", "{\"method\": \"SetDPMaintenanceMode\", "
		"\"effect\": \"fault\", \"hresult\": \"0x80041001\", \"times\": 2}", 201);
	json_int_t id = jint(j, "id");
	json_decref(j);
	for (int i = 0; i < 3; i++) {
		struct http_reply r = invoke(p, "DP01.contoso.com", "1");

		if (i < 2)
			assert_error_code(&r, "2147749889");
		else
			assert_return_value(&r, "0");
		http_reply_free(&r);
	}
	assert_int_equal(journal_count(p, "method=SetDPMaintenanceMode"), 3);
	assert_int_equal(journal_count(p, "method=SetDPMaintenanceMode&result=ok"), 1);
	assert_int_equal(journal_count(p, "result=0x80041001"), 2);
	char path[64];
	snprintf(path, sizeof(path), "faults/%lld", (long long)id);
	j = api(p, "GET", path, NULL, 200);
	assert_int_equal(jint(j, "fired"), 2);
	assert_int_equal(jint(j, "matched"), 2);
	assert_true(json_is_true(json_object_get(j, "retired")));
	json_decref(j);
	assert_int_equal(mode_of(p, "PS1", "DP01.contoso.com"), 1);
}

/* ---- each effect ------------------------------------------------------------------- */

static void effect_return(void **state)
{
	struct dpsim_proc *p = *state;

	api_ok(p, "POST", "faults", "{\"nalpath\": \"*DP01*\", \"effect\": \"return\", "
	       "\"hresult\": \"WBEM_E_ACCESS_DENIED\"}", 201);
	struct http_reply r = invoke(p, "DP01.contoso.com", "1");
	assert_return_value(&r, "2147749891");
	http_reply_free(&r);
	/* Not applied. */
	assert_int_equal(mode_of(p, "PS1", "DP01.contoso.com"), 0);
	json_t *j = api(p, "GET", "journal?result=return", NULL, 200);
	json_t *row = json_array_get(json_object_get(j, "entries"), 0);
	assert_int_equal(jint(row, "return_value"), 0x80041003);
	assert_true(json_is_null(json_object_get(row, "new_mode")));
	json_decref(j);
}

static void effect_fault_on_get(void **state)
{
	struct dpsim_proc *p = *state;

	api_ok(p, "POST", "faults", "{\"operation\": \"enumerate\", \"effect\": "
	       "\"fault\", \"hresult\": 2147749891}", 201);
	struct http_reply r = enumerate_as(p, "lab", "PS1",
					   "SMS_DistributionPointInfo", NULL);
	assert_error_code(&r, "2147749891");
	char *sub = text_at(r.body, "//s:Subcode/s:Value");
	assert_string_equal(sub, "w:AccessDenied");	/* as the provider's own */
	free(sub);
	http_reply_free(&r);
}

static void effect_http(void **state)
{
	struct dpsim_proc *p = *state;

	api_ok(p, "POST", "faults", "{\"effect\": \"http\", \"http_status\": 503, "
	       "\"times\": 1}", 201);
	struct http_reply r = invoke(p, "DP01.contoso.com", "1");
	assert_int_equal(r.status, 503);
	assert_non_null(strstr(r.content_type, "text/plain"));
	assert_non_null(strstr(r.body, "HTTP 503 injected by fault rule 1"));
	http_reply_free(&r);
	assert_int_equal(mode_of(p, "PS1", "DP01.contoso.com"), 0);
	assert_int_equal(journal_count(p, "result=http"), 1);
}

static void effect_drop(void **state)
{
	struct dpsim_proc *p = *state;

	api_ok(p, "POST", "faults", "{\"effect\": \"drop\", \"times\": 1}", 201);
	struct http_reply r = invoke(p, "DP01.contoso.com", "1");
	assert_int_equal(r.status, 0);
	assert_int_equal(r.curl_code, CURLE_GOT_NOTHING_CODE);
	assert_int_equal(r.len, 0);
	http_reply_free(&r);
	assert_int_equal(journal_count(p, "result=drop"), 1);
	/* The next call is served. */
	r = invoke(p, "DP01.contoso.com", "1");
	assert_return_value(&r, "0");
	http_reply_free(&r);
}

struct pending {
	struct dpsim_proc *p;
	struct http_reply r;
	volatile int done;
	pthread_mutex_t lock;
};

static void *timed_invoke(void *arg)
{
	struct pending *x = arg;

	/* Long enough that the checks below finish inside it even on a
	 * loaded machine (valgrind, ASan): they take milliseconds. */
	x->r = invoke_as(x->p, "lab", "PS1", "DP01.contoso.com", "1", "PT6S");
	pthread_mutex_lock(&x->lock);
	x->done = 1;
	pthread_mutex_unlock(&x->lock);
	return NULL;
}

/* w:TimedOut after the request's OperationTimeout; meanwhile the rest of
 * dpsim, the control API included, answers at once. */
static void effect_timeout(void **state)
{
	struct dpsim_proc *p = *state;
	struct pending x = { .p = p };
	pthread_t t;

	api_ok(p, "POST", "faults", "{\"effect\": \"timeout\", \"operation\": "
	       "\"invoke\", \"times\": 1}", 201);
	pthread_mutex_init(&x.lock, NULL);
	assert_int_equal(pthread_create(&t, NULL, timed_invoke, &x), 0);
	/* Bounded polling until the call is being held (the rule fired). */
	for (int i = 0; i < 400; i++) {
		json_t *j = api(p, "GET", "faults/1", NULL, 200);
		json_int_t fired = jint(j, "fired");

		json_decref(j);
		if (fired)
			break;
		struct timespec ts = { 0, 5000000 };
		nanosleep(&ts, NULL);
	}
	for (int i = 0; i < 3; i++) {
		struct http_reply r = enumerate_as(p, "lab", "PS1",
						   "SMS_DistributionPointInfo", NULL);
		assert_int_equal(r.status, 200);
		http_reply_free(&r);
		api_ok(p, "GET", "health", NULL, 200);
	}
	pthread_mutex_lock(&x.lock);
	int held = !x.done;
	pthread_mutex_unlock(&x.lock);
	assert_true(held);
	assert_int_equal(pthread_join(t, NULL), 0);
	pthread_mutex_destroy(&x.lock);

	assert_int_equal(x.r.status, 500);
	assert_true(x.r.seconds >= 5.9);
	char *sub = text_at(x.r.body, "//s:Subcode/s:Value");
	assert_string_equal(sub, "w:TimedOut");
	free(sub);
	char *code = text_at(x.r.body, "//f:WSManFault/@Code");
	assert_string_equal(code, "2150858793");
	free(code);
	http_reply_free(&x.r);
	assert_int_equal(mode_of(p, "PS1", "DP01.contoso.com"), 0);
	json_t *j = api(p, "GET", "journal?result=timeout", NULL, 200);
	json_t *row = json_array_get(json_object_get(j, "entries"), 0);
	assert_true(jint(row, "latency_us") >= 6000000);
	json_decref(j);
}

static void effect_delay(void **state)
{
	struct dpsim_proc *p = *state;

	api_ok(p, "POST", "faults", "{\"effect\": \"delay\", \"delay_ms\": 400, "
	       "\"method\": \"SetDP*\"}", 201);
	struct http_reply r = invoke(p, "DP01.contoso.com", "1");
	assert_return_value(&r, "0");
	assert_true(r.seconds >= 0.39);
	http_reply_free(&r);
	assert_int_equal(mode_of(p, "PS1", "DP01.contoso.com"), 1);
	/* A delayed fault: the delay, then the fault. */
	api_ok(p, "PUT", "faults", "[{\"effect\": \"fault\", \"delay_ms\": 300, "
	       "\"method\": \"SetDP*\"}]", 200);
	r = invoke(p, "DP01.contoso.com", "0");
	assert_error_code(&r, "2147749889");
	assert_true(r.seconds >= 0.29);
	http_reply_free(&r);
}

/* ---- match fields ------------------------------------------------------------------ */

static void match_fields(void **state)
{
	struct dpsim_proc *p = *state;
	struct http_reply r;

	/* NAL path glob, any case, with Mode: only DP02 going into maintenance. */
	api_ok(p, "PUT", "faults", "[{\"nalpath\": \"*dp02.CONTOSO*\", \"mode\": 1, "
	       "\"effect\": \"fault\", \"hresult\": \"WBEM_E_ACCESS_DENIED\"}]", 200);
	r = invoke(p, "DP02.contoso.com", "1");
	assert_error_code(&r, "2147749891");
	http_reply_free(&r);
	r = invoke(p, "DP02.contoso.com", "0");
	assert_return_value(&r, "0");
	http_reply_free(&r);
	r = invoke(p, "DP01.contoso.com", "1");
	assert_return_value(&r, "0");
	http_reply_free(&r);

	/* User, operation and class. */
	api_ok(p, "PUT", "faults", "[{\"user\": \"INFRA\", \"operation\": \"enumerate\","
	       " \"class\": \"SMS_Distribution*Info\", \"effect\": \"fault\"}]", 200);
	r = enumerate_as(p, "infra", "PS1", "SMS_DistributionPointInfo", NULL);
	assert_error_code(&r, "2147749889");
	http_reply_free(&r);
	r = enumerate_as(p, "lab", "PS1", "SMS_DistributionPointInfo", NULL);
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	r = enumerate_as(p, "infra", "PS1", "SMS_DistributionPoint", NULL);
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	r = invoke_as(p, "infra", "PS1", "DP01.contoso.com", "0", NULL);
	assert_return_value(&r, "0");
	http_reply_free(&r);

	/* Method, and site: PS1's rule does not touch T01. */
	api_ok(p, "PUT", "faults", "[{\"site\": \"PS1\", \"method\": \"SetDP*\", "
	       "\"effect\": \"fault\"}]", 200);
	size_t len;
	char *lab = read_file(SOURCE_ROOT "/fixtures/lab.xml", &len);
	char url[300];
	dpsim_base(p, url, sizeof(url));
	strcat(url, "/_dpsim/sites?code=T01");
	const char *h[] = { "Content-Type: application/xml", NULL };
	assert_int_equal(http_request("POST", url, h, lab, len, &r), 0);
	assert_int_equal(r.status, 201);
	http_reply_free(&r);
	free(lab);
	r = invoke_as(p, "lab", "T01", "DP01.contoso.com", "1", NULL);
	assert_return_value(&r, "0");
	http_reply_free(&r);
	r = invoke(p, "DP01.contoso.com", "1");
	assert_error_code(&r, "2147749889");
	http_reply_free(&r);
}

/* ---- after, times, probability ---------------------------------------------------- */

static void after_and_counters(void **state)
{
	struct dpsim_proc *p = *state;
	const char *want[] = { "0", "0", "F", "0" };

	api_ok(p, "POST", "faults", "{\"method\": \"SetDPMaintenanceMode\", "
	       "\"effect\": \"fault\", \"after\": 2, \"times\": 1}", 201);
	for (int i = 0; i < 4; i++) {
		struct http_reply r = invoke(p, "DP01.contoso.com", i % 2 ? "0" : "1");

		if (*want[i] == 'F')
			assert_error_code(&r, "2147749889");
		else
			assert_return_value(&r, "0");
		http_reply_free(&r);
	}
	json_t *j = api(p, "GET", "faults", NULL, 200);
	json_t *rule = json_array_get(json_object_get(j, "faults"), 0);
	assert_int_equal(jint(rule, "matched"), 3);
	assert_int_equal(jint(rule, "fired"), 1);
	assert_true(json_is_true(json_object_get(rule, "retired")));
	json_decref(j);
	assert_int_equal(journal_count(p, "rule=1"), 1);
}

/* 24 Enumerates against a coin-flip rule: the outcomes as a string. */
static void coin_run(struct dpsim_proc *pp, const char *seed, double p_fire,
		     char out[25], json_int_t *fired)
{
	struct dpsim_proc p = *pp;
	const char *args[] = { "--seed", seed, NULL };
	char rule[256];

	assert_int_equal(dpsim_start(pp, args), 0);
	p = *pp;
	snprintf(rule, sizeof(rule), "{\"operation\": \"enumerate\", \"class\": "
		 "\"SMS_DistributionPointInfo\", \"effect\": \"fault\", "
		 "\"probability\": %g}", p_fire);
	api_ok(&p, "POST", "faults", rule, 201);
	for (int i = 0; i < 24; i++) {
		struct http_reply r = enumerate_as(&p, "lab", "PS1",
						   "SMS_DistributionPointInfo", NULL);
		out[i] = r.status == 500 ? '1' : r.status == 200 ? '0' : '?';
		http_reply_free(&r);
	}
	out[24] = '\0';
	json_t *j = api(&p, "GET", "faults/1", NULL, 200);
	*fired = jint(j, "fired");
	assert_int_equal(jint(j, "matched"), 24);
	json_decref(j);
	assert_int_equal(dpsim_stop(pp), 0);
}

static void seed_repeats_across_runs(void **state)
{
	struct dpsim_proc *p = *state;
	char a[25], b[25], c[25], n[25];
	json_int_t fa, fb, fc, fn;

	coin_run(p, "4242", 0.5, a, &fa);
	coin_run(p, "4242", 0.5, b, &fb);
	coin_run(p, "4243", 0.5, c, &fc);
	assert_string_equal(a, b);
	assert_int_equal(fa, fb);
	assert_string_not_equal(a, c);
	assert_null(strchr(a, '?'));
	/* Probability 0 never fires. */
	coin_run(p, "4242", 0.0, n, &fn);
	assert_string_equal(n, "000000000000000000000000");
	assert_int_equal(fn, 0);
}

/* ---- the rule list as a whole ------------------------------------------------------ */

static void replace_all_atomically(void **state)
{
	struct dpsim_proc *p = *state;
	json_t *j;

	api_ok(p, "POST", "faults", "[{\"effect\": \"drop\", \"method\": \"A\"}, "
	       "{\"effect\": \"drop\", \"method\": \"B\"}]", 201);
	/* A bad second rule: nothing changes. */
	j = api(p, "PUT", "faults", "[{\"effect\": \"http\"}, {\"effect\": \"http\", "
		"\"http_status\": \"503\"}]", 400);
	assert_string_equal(jstr(j, "error"), "rule 1: field 'http_status' must be a "
			    "whole number from 0 to 599, not a string");
	json_decref(j);
	j = api(p, "GET", "faults", NULL, 200);
	json_t *l = json_object_get(j, "faults");
	assert_int_equal(json_array_size(l), 2);
	assert_string_equal(jstr(json_array_get(l, 0), "method"), "A");
	json_decref(j);
	j = api(p, "PUT", "faults", "[{\"effect\": \"http\"}]", 200);
	json_decref(j);
	j = api(p, "GET", "faults", NULL, 200);
	l = json_object_get(j, "faults");
	assert_int_equal(json_array_size(l), 1);
	assert_string_equal(jstr(json_array_get(l, 0), "effect"), "http");
	assert_int_equal(jint(json_array_get(l, 0), "id"), 3);
	json_decref(j);
}

static void malformed_requests(void **state)
{
	static const struct {
		const char *method, *path, *body, *msg;
		long status;
	} cases[] = {
		{ "POST", "faults", "{\"effect\": ", "malformed JSON at line 1", 400 },
		{ "POST", "faults", "{\"effect\": \"fault\", \"nal\": \"x\"}",
		  "field 'nal' is not a fault rule field", 400 },
		{ "POST", "faults", "{\"effect\": \"fault\", \"times\": \"2\"}",
		  "field 'times' must be a whole number", 400 },
		{ "POST", "faults", "{\"effect\": \"fault\", \"hresult\": true}",
		  "field 'hresult' must be an HRESULT", 400 },
		{ "GET", "journal?result=often", NULL, "parameter 'result'", 400 },
		{ "GET", "journal?siet=PS1", NULL, "parameter 'siet' is not a journal "
		  "filter", 400 },
		{ "POST", "reset?site=NOP", NULL, "no site NOP is served", 404 },
		{ "GET", "nothing", NULL, "no control route at /_dpsim/nothing", 404 },
		{ "DELETE", "health", NULL, "/_dpsim/health takes GET", 405 },
	};
	struct dpsim_proc *p = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j = api(p, cases[i].method, cases[i].path, cases[i].body,
				cases[i].status);
		const char *e = jstr(j, "error");

		if (!e || strncmp(e, cases[i].msg, strlen(cases[i].msg)))
			fail_msg("%s %s: '%s'", cases[i].method, cases[i].path,
				 e ? e : "(none)");
		json_decref(j);
	}
}

/* ---- journal ------------------------------------------------------------------------ */

static void journal_filters_and_bound(void **state)
{
	struct dpsim_proc *pp = *state;
	const char *args[] = { "--journal-max", "5", NULL };
	json_t *j;

	assert_int_equal(dpsim_start(pp, args), 0);
	struct dpsim_proc p = *pp;
	for (int i = 0; i < 6; i++) {
		struct http_reply r = invoke_as(&p, i % 3 ? "lab" : "analyst", "PS1",
						i % 2 ? "DP02.contoso.com"
						      : "DP01.contoso.com", "1", NULL);
		http_reply_free(&r);
	}
	/* Six calls, five kept: the oldest (analyst, DP01) was dropped. */
	j = api(&p, "GET", "journal/count", NULL, 200);
	assert_int_equal(jint(j, "count"), 5);
	assert_int_equal(jint(j, "dropped"), 1);
	json_decref(j);
	assert_int_equal(journal_count(&p, "user=analyst"), 1);
	assert_int_equal(journal_count(&p, "user=analyst&result=WBEM_E_ACCESS_DENIED"), 1);
	assert_int_equal(journal_count(&p, "nalpath=*DP02*"), 3);
	assert_int_equal(journal_count(&p, "nalpath=*dp02*&user=l?b"), 2);
	assert_int_equal(journal_count(&p, "result=ok"), 4);
	assert_int_equal(journal_count(&p, "since=2020-01-01T00:00:00Z"), 5);
	assert_int_equal(journal_count(&p, "until=2020-01-01T00:00:00Z"), 0);
	j = api(&p, "GET", "journal?limit=2&method=SetDP*", NULL, 200);
	assert_int_equal(jint(j, "returned"), 2);
	assert_int_equal(jint(j, "dropped"), 1);
	json_int_t last = jint(j, "last_id");
	json_decref(j);
	char path[64];
	snprintf(path, sizeof(path), "journal?after=%lld", (long long)last);
	j = api(&p, "GET", path, NULL, 200);
	assert_int_equal(jint(j, "returned"), 3);
	json_decref(j);
	j = api(&p, "GET", "state", NULL, 200);
	assert_int_equal(jint(j, "journal_max"), 5);
	json_decref(j);
	api_ok(&p, "DELETE", "journal", NULL, 200);
	assert_int_equal(journal_count(&p, NULL), 0);
	assert_int_equal(dpsim_stop(pp), 0);
}

/* ---- reset ----------------------------------------------------------------------------- */

static void add_site(struct dpsim_proc *p, const char *code)
{
	size_t len;
	char *lab = read_file(SOURCE_ROOT "/fixtures/lab.xml", &len);
	char url[300];
	const char *h[] = { "Content-Type: application/xml", NULL };
	struct http_reply r;

	dpsim_base(p, url, sizeof(url));
	snprintf(url + strlen(url), sizeof(url) - strlen(url),
		 "/_dpsim/sites?code=%s", code);
	assert_int_equal(http_request("POST", url, h, lab, len, &r), 0);
	if (r.status != 201)
		fail_msg("POST sites: %ld %s", r.status, r.body);
	http_reply_free(&r);
	free(lab);
}

static void reset_all_and_one_site(void **state)
{
	struct dpsim_proc *p = *state;
	struct http_reply r;

	add_site(p, "T05");
	api_ok(p, "POST", "faults?site=PS1", "{\"effect\": \"fault\", \"times\": 1, "
	       "\"method\": \"SetDP*\"}", 201);
	api_ok(p, "POST", "faults?site=T05", "{\"effect\": \"fault\", \"times\": 1, "
	       "\"method\": \"SetDP*\"}", 201);
	r = invoke(p, "DP01.contoso.com", "1");		/* the one-shot fires */
	http_reply_free(&r);
	r = invoke(p, "DP01.contoso.com", "1");
	assert_return_value(&r, "0");
	http_reply_free(&r);
	r = invoke_as(p, "lab", "T05", "DP02.contoso.com", "0", NULL);
	http_reply_free(&r);
	assert_int_equal(mode_of(p, "PS1", "DP01.contoso.com"), 1);

	/* PS1 only: its state, journal and one-shot rule are back. */
	api_ok(p, "POST", "reset?site=PS1", NULL, 200);
	assert_int_equal(mode_of(p, "PS1", "DP01.contoso.com"), 0);
	assert_int_equal(journal_count(p, "site=PS1&method=SetDP*"), 0);
	assert_int_equal(journal_count(p, "site=T05&method=SetDP*"), 1);
	json_t *j = api(p, "GET", "faults", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "faults")), 1);
	json_decref(j);
	r = invoke(p, "DP01.contoso.com", "1");
	assert_return_value(&r, "0");
	http_reply_free(&r);

	/* Everything: back to the start-up fixture, T05 gone. */
	api_ok(p, "POST", "reset", NULL, 200);
	assert_int_equal(mode_of(p, "PS1", "DP01.contoso.com"), 0);
	assert_int_equal(journal_count(p, "method=SetDP*"), 0);
	j = api(p, "GET", "sites", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "sites")), 1);
	json_decref(j);
	j = api(p, "GET", "faults", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "faults")), 0);
	json_decref(j);
}

/* A rule declared in the fixture: there from the start, listed as the
 * fixture's, and back with zeroed counters after a reset. */
static void rules_from_fixture(void **state)
{
	struct dpsim_proc *pp = *state, p;
	const char *args[] = { "--seed", "7", "--fixture", SOURCE_ROOT
		"/tests/unit/fixtures/good_fault_rules.xml", NULL };
	struct http_reply r;
	json_t *j, *rule;

	assert_int_equal(dpsim_start(pp, args), 0);
	p = *pp;
	j = api(&p, "GET", "faults", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "faults")), 2);
	rule = json_array_get(json_object_get(j, "faults"), 0);
	assert_true(json_is_true(json_object_get(rule, "from_fixture")));
	assert_string_equal(jstr(rule, "method"), "SetDPMaintenanceMode");
	assert_string_equal(jstr(rule, "site"), "PS1");
	assert_string_equal(jstr(rule, "hresult"), "0x80041003");
	assert_string_equal(jstr(rule, "hresult_name"), "WBEM_E_ACCESS_DENIED");
	assert_int_equal(jint(rule, "times"), 1);
	json_decref(j);

	r = invoke(&p, "DP01.contoso.com", "1");
	assert_error_code(&r, "2147749891");		/* 0x80041003 */
	http_reply_free(&r);
	r = invoke(&p, "DP01.contoso.com", "1");
	assert_return_value(&r, "0");
	http_reply_free(&r);
	j = api(&p, "GET", "faults/1", NULL, 200);
	assert_int_equal(jint(j, "fired"), 1);
	assert_true(json_is_true(json_object_get(j, "retired")));
	json_decref(j);

	api_ok(&p, "POST", "reset", NULL, 200);
	j = api(&p, "GET", "faults/1", NULL, 200);
	assert_int_equal(jint(j, "fired"), 0);
	assert_true(json_is_true(json_object_get(j, "from_fixture")));
	assert_false(json_is_true(json_object_get(j, "retired")));
	json_decref(j);
	r = invoke(&p, "DP01.contoso.com", "1");
	assert_error_code(&r, "2147749891");
	http_reply_free(&r);
	r = invoke(&p, "DP01.contoso.com", "1");
	assert_return_value(&r, "0");
	http_reply_free(&r);
	assert_int_equal(dpsim_stop(pp), 0);
}

/* ---- snapshots ---------------------------------------------------------------------------- */

static void snapshots_save_restore(void **state)
{
	struct dpsim_proc *pp = *state;
	const char *args[] = { "--db", pp->db, NULL };
	struct http_reply r;
	char path[400];
	struct stat sb;

	assert_int_equal(dpsim_start(pp, args), 0);
	struct dpsim_proc p = *pp;
	add_site(&p, "T07");
	r = invoke(&p, "DP01.contoso.com", "1");
	http_reply_free(&r);
	api_ok(&p, "POST", "faults", "{\"effect\": \"http\", \"times\": 3, "
	       "\"method\": \"Other\"}", 201);
	api_ok(&p, "POST", "snapshots", "{\"name\": \"baseline\"}", 201);
	snprintf(path, sizeof(path), "%s.snapshots/baseline.db", p.db);
	assert_int_equal(stat(path, &sb), 0);
	int64_t rows = journal_count(&p, NULL);

	/* Wreck it. */
	api_ok(&p, "POST", "reset", NULL, 200);
	assert_int_equal(mode_of(&p, "PS1", "DP01.contoso.com"), 0);

	api_ok(&p, "POST", "snapshots/baseline/restore", NULL, 200);
	assert_int_equal(mode_of(&p, "PS1", "DP01.contoso.com"), 1);
	json_t *j = api(&p, "GET", "sites", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "sites")), 2);
	json_decref(j);
	j = api(&p, "GET", "faults", NULL, 200);
	assert_int_equal(jint(json_array_get(json_object_get(j, "faults"), 0), "times"), 3);
	json_decref(j);
	/* The journal as it was, plus the Enumerate mode_of just made. */
	assert_int_equal(journal_count(&p, NULL), rows + 1);
	j = api(&p, "GET", "snapshots", NULL, 200);
	assert_string_equal(jstr(json_array_get(json_object_get(j, "snapshots"), 0),
				 "name"), "baseline");
	json_decref(j);

	/* Snapshots outlive the process. */
	assert_int_equal(dpsim_stop(pp), 0);
	assert_int_equal(dpsim_start(pp, args), 0);
	p = *pp;
	api_ok(&p, "POST", "snapshots/baseline/restore", NULL, 200);
	assert_int_equal(mode_of(&p, "PS1", "DP01.contoso.com"), 1);
	api_ok(&p, "DELETE", "snapshots/baseline", NULL, 200);
	api_ok(&p, "POST", "snapshots/baseline/restore", NULL, 404);
	assert_int_equal(dpsim_stop(pp), 0);
}

/* ---- sites in parallel ---------------------------------------------------------------------- */

#define PARALLEL_CALLS 25

struct worker {
	struct dpsim_proc *p;
	const char *site;
	int ok, faults;
};

static void *work(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < PARALLEL_CALLS; i++) {
		struct http_reply r = invoke_as(w->p, "lab", w->site, "DP01.contoso.com",
						i % 2 ? "0" : "1", NULL);
		if (r.status == 200)
			w->ok++;
		else if (r.status == 500)
			w->faults++;
		http_reply_free(&r);
	}
	return NULL;
}

/* Two tests on two sites of one dpsim, at once: a fault on A is not seen
 * on B, and each site's journal holds its own calls only. */
static void sites_in_parallel(void **state)
{
	struct dpsim_proc *p = *state;
	struct worker w[2] = { { p, "TAA", 0, 0 }, { p, "TBB", 0, 0 } };
	pthread_t t[2];

	add_site(p, "TAA");
	add_site(p, "TBB");
	api_ok(p, "POST", "faults?site=TAA", "{\"effect\": \"fault\", \"nalpath\": "
	       "\"*DP01*\", \"hresult\": \"WBEM_E_NOT_FOUND\"}", 201);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, work, &w[i]), 0);
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(w[0].faults, PARALLEL_CALLS);
	assert_int_equal(w[1].ok, PARALLEL_CALLS);
	assert_int_equal(journal_count(p, "site=TAA"), PARALLEL_CALLS);
	assert_int_equal(journal_count(p, "site=TBB"), PARALLEL_CALLS);
	assert_int_equal(journal_count(p, "site=TBB&result=error"), 0);
	assert_int_equal(journal_count(p, "site=PS1"), 0);
	assert_int_equal(mode_of(p, "TBB", "DP01.contoso.com"), 1);	/* last: 1 */

	/* Removing a site takes its journal and rules along. */
	api_ok(p, "DELETE", "sites/TAA", NULL, 200);
	assert_int_equal(journal_count(p, "site=TAA"), 0);
	json_t *j = api(p, "GET", "faults", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "faults")), 0);
	json_decref(j);
	struct http_reply r = invoke_as(p, "lab", "TAA", "DP01.contoso.com", "1", NULL);
	assert_error_code(&r, "2147749902");	/* WBEM_E_INVALID_NAMESPACE */
	http_reply_free(&r);
}

/* ---- readiness and the token ------------------------------------------------------------------ */

static unsigned free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	close(fd);
	return ntohs(sa.sin_port);
}

/* While the fixture loads (here: until the test writes it into a FIFO),
 * health says 503 "starting"; once the ready line is out, 200. */
static void health_before_and_after_ready(void **state)
{
	struct dpsim_proc *pp = *state;
	char fifo[300], listen_at[64], url[128];
	struct http_reply r;
	int got_starting = 0;

	snprintf(fifo, sizeof(fifo), "%s/lab.fifo", pp->dir);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	unsigned port = free_port();
	snprintf(listen_at, sizeof(listen_at), "127.0.0.1:%u", port);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/_dpsim/health", port);
	const char *args[] = { "--listen", listen_at, "--fixture", fifo, NULL };
	assert_int_equal(dpsim_spawn(pp, args), 0);

	/* Bounded polling: refused until it listens, then 503. */
	for (int i = 0; i < 2000 && !got_starting; i++) {
		if (http_request("GET", url, NULL, NULL, 0, &r) == 0) {
			assert_int_equal(r.status, 503);
			assert_non_null(strstr(r.body, "\"starting\""));
			assert_non_null(strstr(r.body, "\"fixtures_loaded\": false"));
			got_starting = 1;
		} else {
			struct timespec ts = { 0, 10000000 };
			nanosleep(&ts, NULL);
		}
		http_reply_free(&r);
	}
	assert_true(got_starting);
	/* WS-Man is not served yet either. */
	char wsman[128];
	snprintf(wsman, sizeof(wsman), "http://127.0.0.1:%u/wsman", port);
	assert_int_equal(http_request("POST", wsman, NULL, "x", 1, &r), 0);
	assert_int_equal(r.status, 503);
	http_reply_free(&r);

	size_t len;
	char *lab = read_file(SOURCE_ROOT "/fixtures/lab.xml", &len);
	int fd = open(fifo, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, lab, len), (ssize_t)len);
	close(fd);
	free(lab);
	assert_int_equal(dpsim_wait_ready(pp), 0);
	assert_int_equal(http_request("GET", url, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "\"fixtures_loaded\": true"));
	http_reply_free(&r);
	assert_int_equal(dpsim_stop(pp), 0);
}

/* Not on loopback, the control API needs a token: without one dpsim does
 * not start; with one, requests must carry it (health excepted). Bound
 * to all interfaces only for the moment of the test; the test talks to
 * 127.0.0.1. */
static void admin_token_off_loopback(void **state)
{
	const char *argv[] = { DPSIM_BIN, "--listen", "0.0.0.0:0", "--db", ":memory:",
			       NULL };
	char *out, *err;

	assert_int_equal(run_program(argv, NULL, &out, &err), 2);
	assert_non_null(strstr(err, "--admin-token"));
	assert_null(strstr(out, "dpsim ready"));
	free(out);
	free(err);

	struct dpsim_proc *pp = *state;
	const char *args[] = { "--listen", "0.0.0.0:0", "--admin-token", "t0ken-t0ken-t0ken", NULL };
	assert_int_equal(dpsim_start(pp, args), 0);
	/* The ready line names 0.0.0.0; talk to loopback. */
	char *colon = strrchr(pp->url, ':');
	char fixed[128];
	snprintf(fixed, sizeof(fixed), "http://127.0.0.1%s", colon);
	snprintf(pp->url, sizeof(pp->url), "%s", fixed);
	struct dpsim_proc p = *pp;

	api_ok(&p, "GET", "health", NULL, 200);
	json_t *j = api(&p, "GET", "state", NULL, 401);
	assert_non_null(strstr(jstr(j, "error"), "Authorization: Bearer"));
	json_decref(j);
	json_decref(api_auth(&p, "GET", "state", NULL, "wrong", 401));
	json_decref(api_auth(&p, "GET", "state", NULL, "t0ken-t0ken-t0ken", 200));
	/* WS-Man keeps its own Basic authentication. */
	struct http_reply r = invoke(&p, "DP01.contoso.com", "1");
	assert_return_value(&r, "0");
	http_reply_free(&r);
	assert_int_equal(dpsim_stop(pp), 0);

	/* 127.0.0.0/8 is loopback: no token needed. */
	const char *lo[] = { "--listen", "127.0.0.2:0", NULL };
	if (dpsim_start(pp, lo) == 0) {
		api_ok(pp, "GET", "state", NULL, 200);
		assert_int_equal(dpsim_stop(pp), 0);
	}
}

/* A weak admin token is refused before anything starts: exit 2, one
 * line naming what is wrong, never the token, no ready line. The
 * environment's token is checked the same way. */
static void weak_admin_token_refused(void **state)
{
	static const struct { const char *token; const char *want; } cases[] = {
		{ "", "--admin-token needs a non-empty value" },
		{ "   ", "--admin-token: the token has whitespace at character 1" },
		{ "x", "--admin-token: the token is 1 character long, at least 16" },
		{ "0123456789abcdef\t", "--admin-token: the token has whitespace "
		  "at character 17" },
		{ "0123456789\x01" "abcdef", "--admin-token: the token has a control "
		  "character at character 11" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[] = { DPSIM_BIN, "--listen", "127.0.0.1:0", "--db",
			":memory:", "--admin-token", cases[i].token, NULL };
		char *out, *err;

		assert_int_equal(run_program(argv, NULL, &out, &err), 2);
		assert_string_equal(out, "");
		if (strncmp(err, "dpsim: ", 7) || !strstr(err, cases[i].want))
			fail_msg("case %zu: stderr '%s' lacks '%s'", i, err,
				 cases[i].want);
		/* one line */
		assert_ptr_equal(strchr(err, '\n'), err + strlen(err) - 1);
		free(out);
		free(err);
	}

	const char *argv[] = { DPSIM_BIN, "--listen", "127.0.0.1:0", "--db",
			       ":memory:", NULL };
	const char *env[] = { "DPSIM_ADMIN_TOKEN=short", NULL };
	char *out, *err;
	assert_int_equal(run_program(argv, env, &out, &err), 2);
	assert_string_equal(out, "");
	assert_string_equal(err, "dpsim: DPSIM_ADMIN_TOKEN: the token is 5 "
			    "characters long, at least 16 are needed (e.g. "
			    "`openssl rand -hex 16`)\n");
	free(out);
	free(err);
}

/* The open health route does not show the fault seed (it predicts every
 * random fault rule's draws); the admin token does, and so does state. */
static void health_hides_seed(void **state)
{
	struct dpsim_proc *p = *state;
	static const char token[] = "health-seed-token-0123";
	const char *args[] = { "--seed", "424242", "--admin-token", token, NULL };
	struct http_reply r;
	char url[256];
	json_t *j;

	assert_int_equal(dpsim_start(p, args), 0);
	dpsim_base(p, url, sizeof(url));
	strcat(url, "/_dpsim/health");
	assert_int_equal(http_get(url, &r), 0);
	assert_int_equal(r.status, 200);
	j = json_loads(r.body, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "status")), "ready");
	assert_null(json_object_get(j, "seed"));
	assert_null(strstr(r.body, "424242"));
	json_decref(j);
	http_reply_free(&r);

	json_decref(api_auth(p, "GET", "state", NULL, NULL, 401));
	j = api_auth(p, "GET", "health", NULL, "wrong-token-wrong-token", 200);
	assert_null(json_object_get(j, "seed"));
	json_decref(j);
	j = api_auth(p, "GET", "health", NULL, token, 200);
	assert_int_equal(jint(j, "seed"), 424242);
	json_decref(j);
	j = api_auth(p, "GET", "state", NULL, token, 200);
	assert_int_equal(jint(j, "seed"), 424242);
	json_decref(j);
	assert_int_equal(dpsim_stop(p), 0);

	/* Without a token: still not in health; state (open then) has it. */
	const char *open_args[] = { "--seed", "424242", NULL };
	assert_int_equal(dpsim_start(p, open_args), 0);
	j = api(p, "GET", "health", NULL, 200);
	assert_null(json_object_get(j, "seed"));
	json_decref(j);
	j = api(p, "GET", "state", NULL, 200);
	assert_int_equal(jint(j, "seed"), 424242);
	json_decref(j);
	assert_int_equal(dpsim_stop(p), 0);
}

/* ---- dpctl sim ---------------------------------------------------------------------------------- */

/* Runs dpctl -e BASE ARGS...; returns the status, stdout in *out. */
static int dpctl(struct dpsim_proc *p, char **out, const char *const *args)
{
	const char *argv[40] = { DPCTL_BIN, "-e", p->url };
	size_t n = 3;
	char *err;
	int st;

	for (; *args && n < 39; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	st = run_program(argv, NULL, out, &err);
	if (st > 2)	/* 1 and 2 are outcomes the tests ask for */
		fprintf(stderr, "dpctl said: %s", err);
	free(err);
	return st;
}

#define DPCTL(p, out, ...) dpctl((p), (out), (const char *const[]){ __VA_ARGS__, NULL })

static void dpctl_sim_commands(void **state)
{
	struct dpsim_proc *p = *state;
	char *out;
	json_t *j;

	assert_int_equal(DPCTL(p, &out, "sim", "health", "--wait", "5s"), 0);
	/* No token: the seed is not the open health route's to show. */
	assert_non_null(strstr(out, "ready: 1 site(s), 6 DP(s), journal max"));
	assert_null(strstr(out, "seed"));
	free(out);

	assert_int_equal(DPCTL(p, &out, "sim", "fault", "add", "--method",
			       "SetDPMaintenanceMode", "--effect", "fault", "--hresult",
			       "0x80041001", "--times", "2"), 0);
	assert_string_equal(out, "1\n");
	free(out);
	assert_int_equal(DPCTL(p, &out, "--json", "sim", "fault", "list"), 0);
	j = json_loads(out, 0, NULL);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(
		json_object_get(j, "faults"), 0), "times")), 2);
	json_decref(j);
	free(out);

	for (int i = 0; i < 3; i++) {
		struct http_reply r = invoke(p, "DP01.contoso.com", "1");
		http_reply_free(&r);
	}
	assert_int_equal(DPCTL(p, &out, "sim", "journal", "count", "--method",
			       "SetDPMaintenanceMode", "--expect", "3"), 0);
	assert_string_equal(out, "3\n");
	free(out);
	assert_int_equal(DPCTL(p, &out, "sim", "journal", "count", "--result",
			       "WBEM_E_FAILED", "--expect", "3"), 1);
	assert_string_equal(out, "2\n");
	free(out);
	assert_int_equal(DPCTL(p, &out, "sim", "journal", "--nal",
			       "*DP01.contoso.com*", "--result", "ok"), 0);
	assert_non_null(strstr(out, "SMS_DistributionPointInfo.SetDPMaintenanceMode"));
	free(out);

	assert_int_equal(DPCTL(p, &out, "sim", "snapshot", "save", "t1"), 0);
	free(out);
	assert_int_equal(DPCTL(p, &out, "sim", "reset"), 0);
	assert_string_equal(out, "reset all (fault seed 7)\n");
	free(out);
	assert_int_equal(mode_of(p, "PS1", "DP01.contoso.com"), 0);
	assert_int_equal(DPCTL(p, &out, "sim", "snapshot", "restore", "t1"), 0);
	free(out);
	assert_int_equal(mode_of(p, "PS1", "DP01.contoso.com"), 1);
	assert_int_equal(DPCTL(p, &out, "sim", "restore", "nope"), 1);
	free(out);

	assert_int_equal(DPCTL(p, &out, "sim", "site", "add", "T09",
			       SOURCE_ROOT "/fixtures/lab.xml"), 0);
	assert_non_null(strstr(out, "T09"));
	free(out);
	assert_int_equal(DPCTL(p, &out, "--site", "T09", "sim", "state"), 0);
	assert_non_null(strstr(out, "site T09"));
	assert_null(strstr(out, "site PS1"));
	free(out);
	assert_int_equal(DPCTL(p, &out, "sim", "site", "rm", "T09"), 0);
	free(out);
	assert_int_equal(DPCTL(p, &out, "sim", "site", "rm", "T09"), 1);
	free(out);
	assert_int_equal(DPCTL(p, &out, "sim", "fault", "clear"), 0);
	free(out);
	assert_int_equal(DPCTL(p, &out, "sim", "fault", "add", "--effect", "sideways"),
			 2);
	free(out);
	assert_int_equal(DPCTL(p, &out, "sim", "bogus"), 2);
	free(out);
}


/* ---- libdpclient's control calls ---------------------------------------------------------- */

static void dpclient_sim_calls(void **state)
{
	struct dpsim_proc *p = *state;
	struct dpc_sim_options o;
	struct dpc_sim *s = NULL;
	struct dpc_error err;
	int64_t id = 0, n = -1;
	bool ready = false;
	long status = 0;
	char *reply = NULL;

	dpc_sim_options_init(&o);
	o.endpoint = p->url;		/* the /wsman URL will do */
	assert_int_equal(dpc_sim_new(&o, &s, &err), DPC_OK);
	assert_int_equal(dpc_sim_health(s, &ready, &err), DPC_OK);
	assert_true(ready);
	assert_int_equal(dpc_sim_wait_ready(s, 5000, &err), DPC_OK);

	assert_int_equal(dpc_sim_fault_add(s, "PS1", "{\"method\": \"SetDP*\", "
					   "\"effect\": \"fault\", \"times\": 2}",
					   &id, &err), DPC_OK);
	assert_int_equal(id, 1);
	for (int i = 0; i < 3; i++) {
		struct http_reply r = invoke(p, "DP01.contoso.com", "1");
		http_reply_free(&r);
	}
	assert_int_equal(dpc_sim_journal_count(s, "method=SetDPMaintenanceMode",
					       &n, &err), DPC_OK);
	assert_int_equal(n, 3);
	assert_int_equal(dpc_sim_journal_count(s, NULL, &n, &err), DPC_OK);
	assert_true(n >= 3);

	/* Errors carry dpsim's sentence and map to the usual codes. */
	assert_int_equal(dpc_sim_fault_add(s, NULL, "{\"effect\": \"nope\"}", &id,
					   &err), DPC_E_USAGE);
	assert_int_equal(err.http_status, 400);
	assert_non_null(strstr(err.message, "field 'effect' must be one of"));
	assert_int_equal(dpc_sim_reset(s, "XYZ", &err), DPC_E_NOT_FOUND);
	assert_string_equal(err.message, "no site XYZ is served");
	assert_int_equal(dpc_sim_snapshot_restore(s, "none", &err), DPC_E_NOT_FOUND);

	assert_int_equal(dpc_sim_snapshot_save(s, "c1", &err), DPC_OK);
	assert_int_equal(dpc_sim_reset(s, NULL, &err), DPC_OK);
	assert_int_equal(mode_of(p, "PS1", "DP01.contoso.com"), 0);
	assert_int_equal(dpc_sim_snapshot_restore(s, "c1", &err), DPC_OK);
	assert_int_equal(mode_of(p, "PS1", "DP01.contoso.com"), 1);
	assert_int_equal(dpc_sim_fault_clear(s, NULL, 1, &err), DPC_OK);
	assert_int_equal(dpc_sim_fault_clear(s, NULL, 1, &err), DPC_E_NOT_FOUND);
	assert_int_equal(dpc_sim_fault_clear(s, "PS1", 0, &err), DPC_OK);

	size_t len;
	char *lab = read_file(SOURCE_ROOT "/fixtures/lab.xml", &len);
	assert_int_equal(dpc_sim_site_add(s, "T11", lab, len, &err), DPC_OK);
	assert_int_equal(dpc_sim_site_add(s, "T11", lab, len, &err), DPC_E_PROVIDER);
	assert_int_equal(err.http_status, 409);
	free(lab);
	assert_int_equal(dpc_sim_site_remove(s, "T11", &err), DPC_OK);
	assert_int_equal(dpc_sim_site_remove(s, "T11", &err), DPC_E_NOT_FOUND);

	assert_int_equal(dpc_sim_request(s, "GET", "state?site=PS1", NULL, NULL, 0,
					 &status, &reply, &err), DPC_OK);
	assert_int_equal(status, 200);
	assert_non_null(strstr(reply, "\"code\": \"PS1\""));
	free(reply);

	char *esc = dpc_url_escape("[\"x\\ y&z=1%\"]");
	assert_string_equal(esc, "%5B%22x%5C%20y%26z%3D1%25%22%5D");
	free(esc);
	dpc_sim_free(s);

	/* Nobody there: transport. */
	o.endpoint = "http://127.0.0.1:1";
	assert_int_equal(dpc_sim_new(&o, &s, &err), DPC_OK);
	assert_int_equal(dpc_sim_health(s, &ready, &err), DPC_E_TRANSPORT);
	assert_int_equal(dpc_sim_wait_ready(s, 200, &err), DPC_E_TRANSPORT);
	assert_non_null(strstr(err.message, "was not ready within 200 ms"));
	dpc_sim_free(s);
	o.endpoint = "ftp://x";
	assert_int_equal(dpc_sim_new(&o, &s, &err), DPC_E_USAGE);
}

/* ---- caps ------------------------------------------------------------------ */

/* A refusal by a cap: the status, the cap and its option as fields, the
 * option named in the sentence too. */
static void expect_cap(struct dpsim_proc *p, const char *method,
		       const char *path, const char *body, long status,
		       json_int_t cap, const char *option)
{
	json_t *o = api(p, method, path, body, status);

	assert_int_equal(jint(o, "cap"), cap);
	assert_string_equal(jstr(o, "option"), option);
	assert_non_null(strstr(jstr(o, "error"), option));
	json_decref(o);
}

static long post_site(struct dpsim_proc *p, const char *code, char **body)
{
	size_t len;
	char *lab = read_file(SOURCE_ROOT "/fixtures/lab.xml", &len);
	char url[300];
	const char *h[] = { "Content-Type: application/xml", NULL };
	struct http_reply r;
	long st;

	dpsim_base(p, url, sizeof(url));
	snprintf(url + strlen(url), sizeof(url) - strlen(url),
		 "/_dpsim/sites?code=%s", code);
	assert_int_equal(http_request("POST", url, h, lab, len, &r), 0);
	st = r.status;
	*body = strdup(r.body);
	http_reply_free(&r);
	free(lab);
	return st;
}

#define RULE "{\"operation\": \"get\", \"effect\": \"fault\"}"

static void caps_refuse_naming_the_option(void **state)
{
	struct dpsim_proc *p = *state;
	const char *args[] = { "--max-fault-rules", "3", "--journal-page-max", "5",
			       "--max-snapshots", "2", "--max-sites", "2", NULL };
	char *text = NULL, *body = NULL;
	json_t *o;

	assert_int_equal(dpsim_start(p, args), 0);
	struct dpsim_log *log = dpsim_log_start(p);

	/* Fault rules: 4 at once is refused whole; 3 fit; a 4th is
	 * refused; replacing the 3 with 2 is fine. */
	expect_cap(p, "POST", "faults", "[" RULE "," RULE "," RULE "," RULE "]",
		   409, 3, "--max-fault-rules");
	o = api(p, "GET", "faults", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(o, "faults")), 0);
	json_decref(o);
	api_ok(p, "POST", "faults", "[" RULE "," RULE "," RULE "]", 201);
	expect_cap(p, "POST", "faults", RULE, 409, 3, "--max-fault-rules");
	o = api(p, "PUT", "faults", "[" RULE "," RULE "]", 200);
	assert_int_equal(json_array_size(json_object_get(o, "faults")), 2);
	json_decref(o);
	api_ok(p, "DELETE", "faults", NULL, 200);

	/* The journal: 7 rows, pages of 5. */
	for (int i = 0; i < 7; i++) {
		char *env = envelope(ACT_ENUM, WMI_BASE "PS1/SMS_DistributionPointInfo",
				     NULL, "<n:Enumerate/>");
		struct http_reply r;

		assert_int_equal(http_post(p->url, "lab", "lab", NULL, env,
					   strlen(env), &r), 0);
		assert_int_equal(r.status, 200);
		http_reply_free(&r);
		free(env);
	}
	expect_cap(p, "GET", "journal?limit=6", NULL, 400, 5, "--journal-page-max");
	o = api(p, "GET", "journal", NULL, 200);
	assert_int_equal(jint(o, "returned"), 5);
	assert_true(json_is_true(json_object_get(o, "more")));
	json_int_t last = jint(o, "last_id");
	json_decref(o);
	char path[64];
	snprintf(path, sizeof(path), "journal?after=%lld", (long long)last);
	o = api(p, "GET", path, NULL, 200);
	assert_int_equal(jint(o, "returned"), 2);
	assert_true(json_is_false(json_object_get(o, "more")));
	json_decref(o);
	o = api(p, "GET", "journal?limit=2", NULL, 200);
	assert_int_equal(jint(o, "returned"), 2);
	assert_true(json_is_true(json_object_get(o, "more")));
	json_decref(o);
	assert_int_equal(journal_count(p, ""), 7);	/* counting is not a page */

	/* Snapshots: two names; a third is refused, saving over one is
	 * not; after a delete there is room. */
	api_ok(p, "POST", "snapshots", "{\"name\": \"a\"}", 201);
	api_ok(p, "POST", "snapshots", "{\"name\": \"b\"}", 201);
	expect_cap(p, "POST", "snapshots", "{\"name\": \"c\"}", 409, 2,
		   "--max-snapshots");
	api_ok(p, "POST", "snapshots/a", NULL, 201);
	api_ok(p, "DELETE", "snapshots/b", NULL, 200);
	api_ok(p, "POST", "snapshots/c", NULL, 201);

	/* Sites: PS1 and one more. */
	assert_int_equal(post_site(p, "PS2", &body), 201);
	free(body);
	assert_int_equal(post_site(p, "PS3", &body), 409);
	o = json_loads(body, 0, NULL);
	assert_int_equal(jint(o, "cap"), 2);
	assert_string_equal(jstr(o, "option"), "--max-sites");
	assert_non_null(strstr(jstr(o, "error"), "--max-sites"));
	json_decref(o);
	free(body);
	o = api(p, "GET", "sites", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(o, "sites")), 2);
	json_decref(o);
	api_ok(p, "DELETE", "sites/PS2", NULL, 200);
	assert_int_equal(post_site(p, "PS3", &body), 201);
	free(body);

	/* Each refusal is one log line naming its option. */
	assert_int_equal(dpsim_log_stop(log, p, &text), 0);
	assert_int_equal(count_lines_with(text, "refused:"), 5);
	assert_int_equal(count_lines_with(text, "--max-fault-rules"), 2);
	assert_int_equal(count_lines_with(text, "--journal-page-max)"), 1);
	assert_int_equal(count_lines_with(text, "(--max-snapshots)"), 1);
	assert_int_equal(count_lines_with(text, "pass --max-sites 2"), 1);
	free(text);
}

#define T(f) cmocka_unit_test_setup_teardown(f, start, harness_stop)
#define OWN(f) cmocka_unit_test_setup_teardown(f, harness_prepare, harness_cleanup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(fail_twice_then_succeed),
		T(effect_return),
		T(effect_fault_on_get),
		T(effect_http),
		T(effect_drop),
		T(effect_timeout),
		T(effect_delay),
		T(match_fields),
		T(after_and_counters),
		OWN(seed_repeats_across_runs),
		T(replace_all_atomically),
		T(malformed_requests),
		OWN(journal_filters_and_bound),
		T(reset_all_and_one_site),
		OWN(rules_from_fixture),
		OWN(snapshots_save_restore),
		T(sites_in_parallel),
		OWN(health_before_and_after_ready),
		OWN(admin_token_off_loopback),
		OWN(weak_admin_token_refused),
		OWN(health_hides_seed),
		T(dpctl_sim_commands),
		T(dpclient_sim_calls),
		OWN(caps_refuse_naming_the_option),
	};
	int r;

	curl_global_init(CURL_GLOBAL_ALL);
	xmlInitParser();
	r = cmocka_run_group_tests_name("control (integration)", tests, NULL, NULL);
	xmlCleanupParser();
	curl_global_cleanup();
	return r;
}
