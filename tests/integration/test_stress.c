/* dpsim while its model changes under the calls: 32 clients call
 * (Invoke, Get, Enumerate pulled to the end over WS-Man, an out-of-scope
 * Invoke, dashboard mode changes and views) while the main thread
 * removes site PS1 and adds it back from fixtures/lab.xml, replaces its
 * fault rules, resets it and restores a snapshot, round after round.
 *
 * Calls in flight then hold pointers into a site that is freed at any
 * moment; under the sanitizer build (the test command runs the
 * integration suite there) any use of one after the lock aborts dpsim,
 * which this test sees as failed calls and a non-zero exit. dpsim logs at
 * info level so that the log lines written after a call (which name the
 * DP) run too.
 *
 * Bounded in count: a fixed number of chaos rounds, and the clients stop
 * when they are done (or after a step cap). Every answer is checked for
 * content: only the outcomes listed in check_* are accepted (a call on
 * the site while it is gone, the fault rules' own effects). Then a quiet
 * phase checks the bookkeeping exactly: every acknowledged call has its
 * journal row, and each DP's mode is its last journaled change. */
#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <libxml/parser.h>

#include "harness.h"

static struct dpsim_proc the_proc;
/* Its stderr, read as it comes; the teardown prints it when the test
 * failed (a sanitizer's report is there). */
static struct dpsim_log *the_log;

#define CLIENTS 32
#define NDPS 6			/* the lab's DPs at PS1 */
#define DPINFO_URI WMI_NS "/SMS_DistributionPointInfo"
#define ACT_ENUM "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
#define ACT_PULL "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull"
#define ACT_GET "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
#define CYCLES_PER_ROUND 8
#define CODE_XPATH "/s:Envelope/s:Body/s:Fault/s:Detail/f:WSManFault/@Code"

/* HRESULTs as the faults carry them (decimal). */
#define HR_FAILED "2147749889"		/* 0x80041001: the Invoke rule's */
#define HR_NOT_FOUND "2147749890"	/* 0x80041002 */
#define HR_PROVIDER_FAILURE "2147749892" /* 0x80041004: the Get rule's */
#define HR_INVALID_NAMESPACE "2147749902" /* 0x8004100E: PS1 is gone */

/* The rules put on PS1 each round (and saved in the snapshot): Gets
 * fail with a provider failure, Invokes answer ReturnValue 0x80041001,
 * each a quarter of the time. */
#define RULES "[{\"operation\": \"get\", \"effect\": \"fault\", \"hresult\": " \
	"\"0x80041004\", \"probability\": 0.25}, {\"operation\": \"invoke\", " \
	"\"effect\": \"return\", \"hresult\": \"0x80041001\", " \
	"\"probability\": 0.25}]"

static const char *const dp_fqdn[NDPS] = {
	"DP01.contoso.com", "DP02.contoso.com", "PULLDP01.contoso.com",
	"PXE01.contoso.com", "DP03.branch.contoso.com", "CLOUDDP01.cloudapp.net",
};

/* A sanitizer build (dpsim is built the same way as this test) is
 * several times slower; a few rounds catch a use after the lock there
 * (the unfixed set_dp_mode aborted within the first two seconds). */
#if defined(__SANITIZE_ADDRESS__)
#define ROUNDS 8
#else
#define ROUNDS 16
#endif

static void dp_nal(int k, char *out, size_t size)
{
	snprintf(out, size, "[\"Display=\\\\%s\\\"]MSWNET:[\"SMS_SITE=PS1\"]\\\\%s\\",
		 dp_fqdn[k], dp_fqdn[k]);
}

/* ---- one client ---------------------------------------------------------------- */

struct client {
	pthread_t th;
	int id;
	char base[128];		/* http://127.0.0.1:PORT */
	pthread_barrier_t *start;
	atomic_bool *chaos_done;
	int max_steps;
	CURL *c;
	unsigned seq;

	/* Results, read by the main thread after the join. */
	long steps;
	long acked;		/* calls answered with a result (any) */
	long ok;		/* of them, successes */
	long gone;		/* refused because PS1 was not served */
	long injected;		/* the fault rules' effects */
	struct harness_errors err;	/* anything else that was not success */
};

/* One request on the client's connection; the body (malloc'd) or NULL
 * on a transport error (counted). No cmocka asserts on client threads. */
static char *request(struct client *cl, const char *path, const char *user,
		     const char *ct, const char *body, long *status)
{
	struct curl_slist *h = NULL;
	char url[256], ctype[96], *reply = NULL;
	CURLcode cc;

	snprintf(url, sizeof(url), "%s%s", cl->base, path);
	snprintf(ctype, sizeof(ctype), "Content-Type: %s", ct);
	h = curl_slist_append(h, ctype);
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(cl->c, CURLOPT_URL, url);
	curl_easy_setopt(cl->c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(cl->c, CURLOPT_USERNAME, user);
	curl_easy_setopt(cl->c, CURLOPT_PASSWORD, user);	/* the lab's */
	if (body) {
		curl_easy_setopt(cl->c, CURLOPT_HTTPGET, 0L);
		curl_easy_setopt(cl->c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(cl->c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
	} else {
		curl_easy_setopt(cl->c, CURLOPT_HTTPGET, 1L);
	}
	curl_easy_setopt(cl->c, CURLOPT_WRITEDATA, &reply);
	cc = curl_easy_perform(cl->c);
	curl_slist_free_all(h);
	*status = 0;
	curl_easy_getinfo(cl->c, CURLINFO_RESPONSE_CODE, status);
	if (cc != CURLE_OK) {
		harness_error(&cl->err, "%s: %s", path, curl_easy_strerror(cc));
		free(reply);
		return NULL;
	}
	return reply ? reply : strdup("");
}

static char *wsman(struct client *cl, const char *user, const char *action,
		   const char *selectors, const char *body, long *status)
{
	char *env = NULL, *reply;

	if (asprintf(&env,
		"<?xml version=\"1.0\" encoding=\"utf-8\"?>"
		"<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\""
		" xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\""
		" xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\""
		" xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\">"
		"<env:Header><a:To>http://windows-host:5985/wsman</a:To>"
		"<a:ReplyTo><a:Address mustUnderstand=\"true\">"
		"http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
		"</a:Address></a:ReplyTo>"
		"<w:MaxEnvelopeSize mustUnderstand=\"true\">512000</w:MaxEnvelopeSize>"
		"<a:MessageID>uuid:00000000-0000-4000-%04x-%012x</a:MessageID>"
		"<w:OperationTimeout>PT60S</w:OperationTimeout>"
		"<w:ResourceURI mustUnderstand=\"true\">" DPINFO_URI "</w:ResourceURI>"
		"<a:Action mustUnderstand=\"true\">%s</a:Action>%s%s%s"
		"</env:Header><env:Body>%s</env:Body></env:Envelope>",
		cl->id, ++cl->seq, action,
		selectors ? "<w:SelectorSet>" : "", selectors ? selectors : "",
		selectors ? "</w:SelectorSet>" : "", body ? body : "") < 0) {
		harness_error(&cl->err, "out of memory");
		return NULL;
	}
	reply = request(cl, "/wsman", user, "application/soap+xml;charset=UTF-8",
			env, status);
	free(env);
	return reply;
}

/* A WS-Man fault is acceptable when its code is one of the listed
 * HRESULTs; counts it as gone or injected. */
static bool fault_is(struct client *cl, const char *what, long status,
		     const char *r, const char *injected_hr)
{
	char *code = status == 500 ? xpath_text(r, CODE_XPATH) : NULL;
	bool ok = true;

	if (code && strcmp(code, HR_INVALID_NAMESPACE) == 0)
		cl->gone++;
	else if (code && injected_hr && strcmp(code, injected_hr) == 0)
		cl->injected++;
	else
		ok = false;
	if (!ok)
		harness_error(&cl->err, "%s: HTTP %ld %.200s", what, status, r);
	free(code);
	return ok;
}

static void do_invoke(struct client *cl, int k)
{
	char nal[160], body[512];
	long status;
	int mode = (int)(cl->seq & 1);

	dp_nal(k, nal, sizeof(nal));
	snprintf(body, sizeof(body),
		 "<p:SetDPMaintenanceMode_INPUT xmlns:p=\"" DPINFO_URI "\">"
		 "<p:NALPath>%s</p:NALPath><p:Mode>%d</p:Mode>"
		 "</p:SetDPMaintenanceMode_INPUT>", nal, mode);
	char *r = wsman(cl, "lab", DPINFO_URI "/SetDPMaintenanceMode", NULL,
			body, &status);
	if (!r)
		return;
	cl->acked++;
	if (status == 200) {
		char *rv = xpath_text(r, "//*[local-name()='ReturnValue']");

		if (rv && strcmp(rv, "0") == 0)
			cl->ok++;
		else if (rv && strcmp(rv, HR_FAILED) == 0)
			cl->injected++;
		else
			harness_error(&cl->err, "invoke: ReturnValue %s", rv ? rv : "(none)");
		free(rv);
	} else {
		fault_is(cl, "invoke", status, r, NULL);
	}
	free(r);
}

/* branch (Infrastructure Administrator in scope Branch) changing DP01
 * (scope Default): not found, as if DP01 did not exist. */
static void do_out_of_scope(struct client *cl)
{
	char nal[160], body[512];
	long status;

	dp_nal(0, nal, sizeof(nal));
	snprintf(body, sizeof(body),
		 "<p:SetDPMaintenanceMode_INPUT xmlns:p=\"" DPINFO_URI "\">"
		 "<p:NALPath>%s</p:NALPath><p:Mode>1</p:Mode>"
		 "</p:SetDPMaintenanceMode_INPUT>", nal);
	char *r = wsman(cl, "branch", DPINFO_URI "/SetDPMaintenanceMode", NULL,
			body, &status);
	if (!r)
		return;
	cl->acked++;
	if (status == 200) {
		/* The Invoke rule fires before access is checked. */
		char *rv = xpath_text(r, "//*[local-name()='ReturnValue']");

		if (rv && strcmp(rv, HR_FAILED) == 0)
			cl->injected++;
		else
			harness_error(&cl->err, "out of scope: ReturnValue %s",
				     rv ? rv : "(none)");
		free(rv);
	} else {
		char *code = xpath_text(r, CODE_XPATH);

		if (code && strcmp(code, HR_NOT_FOUND) == 0)
			cl->ok++;	/* the expected refusal */
		else if (code && strcmp(code, HR_INVALID_NAMESPACE) == 0)
			cl->gone++;
		else
			harness_error(&cl->err, "out of scope: HTTP %ld %.200s", status, r);
		if (strstr(r, "Default") || strstr(r, "DP01.contoso.com:"))
			harness_error(&cl->err, "out of scope: the fault names the DP's "
				     "scope: %.200s", r);
		free(code);
	}
	free(r);
}

static void do_get(struct client *cl, int k)
{
	char nal[160], sel[400];
	long status;

	dp_nal(k, nal, sizeof(nal));
	snprintf(sel, sizeof(sel),
		 "<w:Selector Name=\"NALPath\">%s</w:Selector>"
		 "<w:Selector Name=\"ResourceType\">Windows NT Server</w:Selector>"
		 "<w:Selector Name=\"SiteCode\">PS1</w:Selector>", nal);
	char *r = wsman(cl, "lab", ACT_GET, sel, NULL, &status);
	if (!r)
		return;
	cl->acked++;
	if (status == 200) {
		char *name = xpath_text(r, "//*[local-name()='Name']");
		char *mode = xpath_text(r, "//*[local-name()='MaintenanceMode']");

		if (name && !strcmp(name, dp_fqdn[k]) && mode &&
		    (!strcmp(mode, "0") || !strcmp(mode, "1")))
			cl->ok++;
		else
			harness_error(&cl->err, "get %s: Name %s, MaintenanceMode %s",
				     dp_fqdn[k], name ? name : "(none)",
				     mode ? mode : "(none)");
		free(name);
		free(mode);
	} else {
		fault_is(cl, "get", status, r, HR_PROVIDER_FAILURE);
	}
	free(r);
}

/* Every DP, two at a time: the context is a snapshot, so the Pulls go on
 * whatever happens to the site meanwhile. */
static void do_enumerate(struct client *cl)
{
	char body[400], *ctx;
	long status;
	int items, pulls = 0;
	char *r = wsman(cl, "lab", ACT_ENUM, NULL,
			"<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>"
			"2</w:MaxElements></n:Enumerate>", &status);

	if (!r)
		return;
	cl->acked++;
	if (status != 200) {
		fault_is(cl, "enumerate", status, r, NULL);
		free(r);
		return;
	}
	items = xpath_count(r, "//n:EnumerateResponse/w:Items/*");
	ctx = xpath_text(r, "//n:EnumerationContext");
	free(r);
	while (ctx && *ctx && pulls++ < NDPS) {
		snprintf(body, sizeof(body), "<n:Pull><n:EnumerationContext>%s"
			 "</n:EnumerationContext><n:MaxElements>2</n:MaxElements>"
			 "</n:Pull>", ctx);
		free(ctx);
		ctx = NULL;
		r = wsman(cl, "lab", ACT_PULL, NULL, body, &status);
		if (!r)
			return;
		if (status != 200) {
			harness_error(&cl->err, "pull: HTTP %ld %.200s", status, r);
			free(r);
			return;
		}
		items += xpath_count(r, "//n:PullResponse/n:Items/*");
		if (xpath_count(r, "//n:PullResponse/n:EndOfSequence") != 1)
			ctx = xpath_text(r, "//n:EnumerationContext");
		free(r);
	}
	free(ctx);
	if (items == NDPS)
		cl->ok++;
	else
		harness_error(&cl->err, "enumerate: %d items, want %d", items, NDPS);
}

static void do_dashboard_mode(struct client *cl, int k)
{
	char nal[160], body[400];
	long status;
	json_t *nal_json;
	char *nal_text;

	dp_nal(k, nal, sizeof(nal));
	nal_json = json_string(nal);
	nal_text = json_dumps(nal_json, JSON_ENCODE_ANY);
	json_decref(nal_json);
	snprintf(body, sizeof(body), "{\"site\": \"PS1\", \"nalpath\": %s, "
		 "\"mode\": %d}", nal_text ? nal_text : "null",
		 (int)(cl->seq & 1));
	free(nal_text);
	cl->seq++;
	char *r = request(cl, "/dashboard/api/mode", "lab", "application/json",
			  body, &status);
	if (!r)
		return;
	cl->acked++;
	json_t *o = json_loads(r, 0, NULL);
	if (status == 200 && json_is_true(json_object_get(o, "ok")))
		cl->ok++;
	else if (status == 200 && json_integer_value(json_object_get(o,
			"return_value")) == 0x80041001)
		cl->injected++;
	else if (status == 404)
		cl->gone++;	/* "no site PS1 is served" */
	else
		harness_error(&cl->err, "dashboard mode: HTTP %ld %.200s", status, r);
	json_decref(o);
	free(r);
}

static void do_dashboard_view(struct client *cl)
{
	long status;
	char *r = request(cl, "/dashboard/api/view?site=PS1", "lab",
			  "application/json", NULL, &status);

	if (!r)
		return;
	cl->acked++;
	json_t *o = json_loads(r, 0, NULL);
	json_t *dps = json_object_get(json_object_get(o, "site"), "dps");

	if (status == 200 && json_array_size(dps) == NDPS)
		cl->ok++;
	else if (status == 404 || (status == 200 && json_is_null(
			json_object_get(o, "site"))))
		cl->gone++;
	else
		harness_error(&cl->err, "dashboard view: HTTP %ld %.200s", status, r);
	json_decref(o);
	free(r);
}

static void step(struct client *cl, long i)
{
	int k = (int)((cl->id + i) % NDPS);

	switch (i % 8) {
	case 0:
	case 2:
	case 5:
		do_invoke(cl, k);
		break;
	case 1:
	case 6:
		do_get(cl, k);
		break;
	case 3:
		do_enumerate(cl);
		break;
	case 4:
		do_dashboard_mode(cl, k);
		break;
	case 7:
		if ((i / 8) % 2)
			do_dashboard_view(cl);
		else
			do_out_of_scope(cl);
		break;
	}
}

static void *client_main(void *arg)
{
	struct client *cl = arg;

	pthread_barrier_wait(cl->start);
	/* At least one round of the mix, then on until the chaos ends. */
	while (cl->steps < cl->max_steps &&
	       (cl->steps < 8 || !atomic_load(cl->chaos_done)))
		step(cl, cl->steps++);
	return NULL;
}

static void client_init(struct client *cl, int id, const struct dpsim_proc *p)
{
	memset(cl, 0, sizeof(*cl));
	cl->id = id;
	dpsim_base(p, cl->base, sizeof(cl->base));
	cl->c = curl_easy_init();
	assert_non_null(cl->c);
	curl_easy_setopt(cl->c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
	curl_easy_setopt(cl->c, CURLOPT_WRITEFUNCTION, harness_curl_append);
	curl_easy_setopt(cl->c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(cl->c, CURLOPT_TIMEOUT, harness_under_wrapper() ? 600L : 60L);
}

static void run_clients(struct client *cls, pthread_barrier_t *start)
{
	for (int i = 0; i < CLIENTS; i++)
		assert_int_equal(pthread_create(&cls[i].th, NULL, client_main,
						&cls[i]), 0);
	pthread_barrier_wait(start);
}

/* Joins the clients; returns the errors, printing the first of each. */
static long join_clients(struct client *cls, long *acked, long *ok)
{
	long errors = 0;

	*acked = *ok = 0;
	for (int i = 0; i < CLIENTS; i++) {
		pthread_join(cls[i].th, NULL);
		errors += cls[i].err.count;
		*acked += cls[i].acked;
		*ok += cls[i].ok;
		if (cls[i].err.count)
			fprintf(stderr, "client %d: %ld errors, first: %s\n", i,
				cls[i].err.count, cls[i].err.first);
	}
	return errors;
}

/* ---- the chaos ------------------------------------------------------------------ */

/* control_call, failing the test (so the teardown shows dpsim's log)
 * rather than aborting when dpsim is gone. */
static json_t *ctl(const struct dpsim_proc *p, const char *method,
		   const char *path, const char *body, long want)
{
	static const char *const hdr[] = { "Content-Type: application/json", NULL };
	char url[600];
	struct http_reply r;
	json_t *j;

	dpsim_base(p, url, sizeof(url));
	snprintf(url + strlen(url), sizeof(url) - strlen(url), "/_dpsim/%s", path);
	if (http_request(method, url, hdr, body, body ? strlen(body) : 0, &r))
		fail_msg("%s %s: transport error %d (did dpsim die?)", method,
			 path, r.curl_code);
	j = json_loads(r.body, 0, NULL);
	if (r.status != want || !j)
		fail_msg("%s %s: HTTP %ld (want %ld): %s", method, path, r.status,
			 want, r.body);
	http_reply_free(&r);
	return j;
}

static void add_ps1(const struct dpsim_proc *p, const char *lab, size_t len)
{
	const char *h[] = { "Content-Type: application/xml", NULL };
	char url[300];
	struct http_reply r;

	dpsim_base(p, url, sizeof(url));
	snprintf(url + strlen(url), sizeof(url) - strlen(url), "/_dpsim/sites");
	assert_int_equal(http_request("POST", url, h, lab, len, &r), 0);
	if (r.status != 201)
		fail_msg("POST sites: %ld %s", r.status, r.body);
	json_t *o = json_loads(r.body, 0, NULL), *s;
	s = json_array_get(json_object_get(o, "sites"), 0);
	assert_string_equal(json_string_value(json_object_get(s, "code")), "PS1");
	assert_int_equal(json_integer_value(json_object_get(s, "dp_count")), NDPS);
	json_decref(o);
	http_reply_free(&r);
}

static void put_rules(const struct dpsim_proc *p)
{
	json_t *o = ctl(p, "PUT", "faults?site=PS1", RULES, 200);

	assert_int_equal(json_array_size(json_object_get(o, "faults")), 2);
	json_decref(o);
}

/* PS1 as GET state shows it: its DP count and rules. */
static void expect_ps1(const struct dpsim_proc *p, size_t dps, size_t rules)
{
	json_t *o = ctl(p, "GET", "state?site=PS1", NULL, 200);
	json_t *s = json_array_get(json_object_get(o, "sites"), 0);

	assert_int_equal(json_array_size(json_object_get(s, "dps")), dps);
	assert_int_equal(json_integer_value(json_object_get(s, "faults")), rules);
	json_decref(o);
}

/* Removes PS1 and adds it back from lab.xml. */
static void cycle_ps1(const struct dpsim_proc *p, const char *lab, size_t len)
{
	json_t *o = ctl(p, "DELETE", "sites/PS1", NULL, 200);

	assert_string_equal(json_string_value(json_object_get(o, "deleted")),
			    "PS1");
	json_decref(o);
	add_ps1(p, lab, len);
}

static void chaos_round(const struct dpsim_proc *p, int round,
			const char *lab, size_t len)
{
	json_t *o;

	/* Most of the rounds is removing and adding: the calls in flight
	 * are most likely caught holding the site then. */
	for (int i = 0; i < CYCLES_PER_ROUND; i++)
		cycle_ps1(p, lab, len);
	o = ctl(p, "DELETE", "sites/PS1", NULL, 200);
	json_decref(o);
	json_decref(ctl(p, "GET", "sites/PS1", NULL, 404));
	add_ps1(p, lab, len);
	/* lab.xml has no rules: the site comes back without any. */
	expect_ps1(p, NDPS, 0);
	put_rules(p);
	if (round % 3 == 1) {
		o = ctl(p, "POST", "snapshots/base/restore", NULL, 200);
		assert_true(json_is_true(json_object_get(o, "restored")));
		json_decref(o);
		expect_ps1(p, NDPS, 2);
	}
	if (round % 4 == 2) {
		json_decref(ctl(p, "POST", "reset?site=PS1", NULL, 200));
		expect_ps1(p, NDPS, 0);		/* run-time rules go */
		put_rules(p);
	}
}

/* ---- the quiet phase's bookkeeping ---------------------------------------------- */

static json_int_t journal_count(const struct dpsim_proc *p, const char *filter)
{
	char path[200];
	json_t *j;
	json_int_t n;

	snprintf(path, sizeof(path), "journal/count%s", filter);
	j = ctl(p, "GET", path, NULL, 200);
	assert_int_equal(json_integer_value(json_object_get(j, "dropped")), 0);
	n = json_integer_value(json_object_get(j, "count"));
	json_decref(j);
	return n;
}

/* Each DP's mode, as GET state and a WS-Man Get show it, is the new mode
 * of its last successful change in the journal. */
static void check_final_modes(const struct dpsim_proc *p)
{
	json_t *rows = ctl(p, "GET", "journal?method=SetDPMaintenanceMode"
				    "&result=ok", NULL, 200);
	json_t *st = ctl(p, "GET", "state?site=PS1", NULL, 200), *v;
	json_t *dps = json_object_get(json_array_get(json_object_get(st, "sites"),
						     0), "dps");
	json_t *entries = json_object_get(rows, "entries");
	size_t i, j;
	int checked = 0;

	assert_int_equal(json_array_size(dps), NDPS);
	json_array_foreach(dps, i, v) {
		const char *nal = json_string_value(json_object_get(v, "nalpath"));
		json_int_t want = -1;
		json_t *e;

		json_array_foreach(entries, j, e)
			if (!strcmp(json_string_value(json_object_get(e, "nalpath")), nal))
				want = json_integer_value(json_object_get(e, "new_mode"));
		if (want < 0)
			continue;	/* not written in the quiet phase */
		assert_int_equal(json_integer_value(json_object_get(v,
				 "maintenance_mode")), want);

		char sel[400];
		struct http_reply r;

		snprintf(sel, sizeof(sel),
			 "<w:Selector Name=\"NALPath\">%s</w:Selector>"
			 "<w:Selector Name=\"ResourceType\">Windows NT Server"
			 "</w:Selector><w:Selector Name=\"SiteCode\">PS1</w:Selector>",
			 nal);
		char *env = envelope(ACT_GET, DPINFO_URI, sel, NULL);
		assert_int_equal(http_post(p->url, "lab", "lab", NULL, env,
					   strlen(env), &r), 0);
		assert_int_equal(r.status, 200);
		char *m = xpath_text(r.body, "//*[local-name()='MaintenanceMode']");
		assert_non_null(m);
		assert_int_equal(strtol(m, NULL, 10), want);
		free(m);
		free(env);
		http_reply_free(&r);
		checked++;
	}
	assert_int_equal(checked, NDPS);	/* every DP was written */
	json_decref(rows);
	json_decref(st);
}

/* ---- the test ------------------------------------------------------------------ */

static void sites_removed_and_restored_under_calls(void **unused)
{
	static struct client cls[CLIENTS];
	struct dpsim_proc *const pp = &the_proc;
	pthread_barrier_t start;
	atomic_bool chaos_done = false;
	bool slow = harness_under_wrapper();
	int rounds = slow ? 3 : ROUNDS;
	int max_steps = slow ? 40 : 4000;
	long acked, ok, gone = 0, injected = 0;
	size_t len;
	char *lab = read_file(SOURCE_ROOT "/fixtures/lab.xml", &len);

	dpsim_prepare(pp);
	const char *args[] = { "--db", pp->db, "--fixture",
			       SOURCE_ROOT "/fixtures/lab.xml",
			       "--log-level", "info", "--seed", "11", NULL };
	assert_int_equal(dpsim_start(pp, args), 0);
	the_log = dpsim_log_start(pp);

	put_rules(pp);
	json_decref(ctl(pp, "POST", "snapshots", "{\"name\": \"base\"}",
				 201));

	/* Phase 1: the chaos, with every client calling throughout. */
	pthread_barrier_init(&start, NULL, CLIENTS + 1);
	for (int i = 0; i < CLIENTS; i++) {
		client_init(&cls[i], i, pp);
		cls[i].start = &start;
		cls[i].chaos_done = &chaos_done;
		cls[i].max_steps = max_steps;
	}
	run_clients(cls, &start);
	for (int r = 0; r < rounds; r++)
		chaos_round(pp, r, lab, len);
	atomic_store(&chaos_done, true);
	long errors = join_clients(cls, &acked, &ok);
	for (int i = 0; i < CLIENTS; i++) {
		gone += cls[i].gone;
		injected += cls[i].injected;
	}
	printf("stress: %d rounds; %ld calls answered: %ld ok, %ld while PS1 was "
	       "gone, %ld by the fault rules\n", rounds, acked, ok, gone, injected);
	assert_int_equal(errors, 0);
	assert_int_equal(acked, ok + gone + injected);
	pthread_barrier_destroy(&start);

	/* Phase 2, quiet: no rules, an empty journal, then every call is
	 * one row and every DP's mode its last row's. */
	json_decref(ctl(pp, "DELETE", "faults", NULL, 200));
	json_decref(ctl(pp, "DELETE", "journal", NULL, 200));
	assert_int_equal(journal_count(pp, ""), 0);
	pthread_barrier_init(&start, NULL, CLIENTS + 1);
	for (int i = 0; i < CLIENTS; i++) {
		curl_easy_cleanup(cls[i].c);
		client_init(&cls[i], i, pp);
		cls[i].start = &start;
		cls[i].chaos_done = &chaos_done;
		cls[i].max_steps = 8;	/* one round of the mix */
	}
	run_clients(cls, &start);
	errors = join_clients(cls, &acked, &ok);
	assert_int_equal(errors, 0);
	assert_int_equal(ok, acked);
	pthread_barrier_destroy(&start);
	/* One round of the mix: three Invokes, two Gets, an Enumerate, a
	 * dashboard change and the out-of-scope Invoke, each one row (the
	 * Pulls read the enumeration already made). */
	assert_int_equal(acked, CLIENTS * 8);
	assert_int_equal(journal_count(pp, ""), acked);
	assert_int_equal(journal_count(pp, "?result=error"), CLIENTS);
	assert_int_equal(journal_count(pp, "?result=WBEM_E_NOT_FOUND"), CLIENTS);
	assert_int_equal(journal_count(pp, "?method=SetDPMaintenanceMode&result=ok"),
			 CLIENTS * 4);
	check_final_modes(pp);

	json_t *h = ctl(pp, "GET", "health", NULL, 200);
	assert_string_equal(json_string_value(json_object_get(h, "status")), "ready");
	json_decref(h);
	for (int i = 0; i < CLIENTS; i++)
		curl_easy_cleanup(cls[i].c);
	free(lab);

	char *text = NULL;
	int st = dpsim_log_stop(the_log, pp, &text);

	the_log = NULL;
	assert_int_equal(st, 0);
	assert_int_equal(count_lines_with(text, "Sanitizer"), 0);
	assert_int_equal(count_lines_with(text, "runtime error"), 0);
	assert_true(count_lines_with(text, "site PS1 removed") >= (size_t)rounds);
	free(text);
	dpsim_cleanup(pp);
}

static int cleanup_proc(void **unused)
{
	if (the_log)		/* the test failed: say what dpsim said */
		dpsim_log_stop(the_log, &the_proc, NULL);
	the_log = NULL;
	if (the_proc.dir[0])
		dpsim_cleanup(&the_proc);
	return 0;
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
	xmlInitParser();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(sites_removed_and_restored_under_calls,
					  cleanup_proc),
	};
	int r = cmocka_run_group_tests_name("stress (integration)", tests, NULL, NULL);
	xmlCleanupParser();
	curl_global_cleanup();
	return r;
}
