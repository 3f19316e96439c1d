/* dpctl end to end: every test starts its own dpsim on port 0 and runs the
 * built dpctl binary against it the way a shell script would (-e URL,
 * credentials in DPCTL_USER / DPCTL_PASSWORD), checking exit codes, the
 * text on stdout and stderr, and the --json documents parsed with jansson.
 * What dpctl claims to have changed is read back over raw WS-Man, not with
 * dpctl itself.
 *
 * The program runs the whole suite over one protocol: WS-Man (no
 * argument: -e http://H:P/wsman), or the AdminService ("adminservice":
 * -e http://H:P/AdminService); meson runs it once each (tests dpctl and
 * dpctl_adminservice). A test asserts the same outputs and exit codes
 * over both; where the protocols themselves differ (the HTTP status of
 * an error, WS-Man's fault subcode, Identify, WQL read by the client,
 * how a timeout shows) it says so with `if (admin)`. The tests at the end
 * run over the AdminService only: the endpoint rule, both protocols
 * against one dpsim with byte-identical output, and the recorded answers
 * of the unit tests still being what dpsim sends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <libxml/parser.h>

#include "harness.h"

extern char **environ;

#define DP03_NAL "[\"Display=\\\\DP03.branch.contoso.com\\\"]MSWNET:" \
		 "[\"SMS_SITE=PS1\"]\\\\DP03.branch.contoso.com\\"
#define MAX_ARGS 32

/* ---- the protocol ------------------------------------------------------ */

/* true: this run drives dpctl over the AdminService (main's argument). */
static bool admin;

/* The endpoint dpctl is given for p: its WS-Man URL, or over the
 * AdminService the same host and port with /AdminService. Static storage,
 * rewritten by each call (a test has one dpsim). */
static const char *ep(const struct dpsim_proc *p)
{
	static char url[160];
	size_t n = strlen(p->url);

	if (!admin)
		return p->url;
	assert_true(n > 6 && strcmp(p->url + n - 6, "/wsman") == 0);
	snprintf(url, sizeof(url), "%.*s/AdminService", (int)(n - 6), p->url);
	return url;
}

/* The path of an endpoint of this run: "/wsman" or "/AdminService". */
#define EP_PATH (admin ? "/AdminService" : "/wsman")

/* ---- running dpctl ---------------------------------------------------- */

struct run {
	int status;
	char *out;
	char *err;
	long long ms;	/* wall time */
};

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

/* Runs dpctl [-e url] args... with DPCTL_USER / DPCTL_PASSWORD set to
 * user / pass (NULL: not set). */
static void run_dpctl(const char *url, const char *user, const char *pass,
		      const char *const *args, struct run *r)
{
	const char *argv[MAX_ARGS + 4];
	char uenv[128], penv[128];
	const char *env[3] = { NULL, NULL, NULL };
	size_t n = 0, e = 0;
	long long t0;

	argv[n++] = DPCTL_BIN;
	if (url) {
		argv[n++] = "-e";
		argv[n++] = url;
	}
	for (; args && *args; args++) {
		assert_true(n < MAX_ARGS + 2);
		argv[n++] = *args;
	}
	argv[n] = NULL;
	if (user) {
		snprintf(uenv, sizeof(uenv), "DPCTL_USER=%s", user);
		env[e++] = uenv;
	}
	if (pass) {
		snprintf(penv, sizeof(penv), "DPCTL_PASSWORD=%s", pass);
		env[e++] = penv;
	}
	t0 = harness_now_ms();
	r->status = run_program(argv, env, &r->out, &r->err);
	r->ms = harness_now_ms() - t0;
}

/* dpctl as `user` (password = user name, as in the lab) against p. */
#define DPCTL_AS(p, user, r, ...)                                          \
	do {                                                                \
		const char *const args_[] = { __VA_ARGS__, NULL };          \
		run_dpctl(ep(p), user, user, args_, r);                     \
	} while (0)
#define DPCTL(p, r, ...) DPCTL_AS(p, "lab", r, __VA_ARGS__)

/* Asserts the exit status, printing what dpctl said when it differs. */
static void expect_status(const struct run *r, int want)
{
	if (r->status != want)
		fprintf(stderr, "dpctl exited %d, wanted %d\n--- stdout\n%s"
			"--- stderr\n%s---\n", r->status, want, r->out, r->err);
	assert_int_equal(r->status, want);
}

static bool contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle)) {
		fprintf(stderr, "expected \"%s\" in:\n%s\n", needle, hay);
		return false;
	}
	return true;
}

/* ---- JSON ------------------------------------------------------------- */

static json_t *parse_json(const char *text)
{
	json_error_t jerr;
	json_t *j = json_loads(text, 0, &jerr);

	if (!j)
		fprintf(stderr, "not JSON (%s, line %d):\n%s\n", jerr.text,
			jerr.line, text);
	assert_non_null(j);
	return j;
}

static const char *jstr(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fprintf(stderr, "\"%s\" is not a string\n", key);
	assert_true(json_is_string(v));
	return json_string_value(v);
}

static json_int_t jint(const json_t *o, const char *key)
{
	const json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fprintf(stderr, "\"%s\" is not an integer\n", key);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

static void jnull(const json_t *o, const char *key)
{
	/* Present and null: the shapes are stable, keys never go missing. */
	assert_non_null(json_object_get(o, key));
	assert_true(json_is_null(json_object_get(o, key)));
}

/* Checks dpctl's error object for a provider's error: a WMI fault over
 * WS-Man (HTTP 500, with a subcode), an OData error over the AdminService
 * (admin_status, the status the HRESULT maps to; no subcode). */
static void expect_fault_json(const json_t *e, const char *hresult,
			      const char *name, long admin_status)
{
	assert_true(json_is_object(e));
	assert_string_equal(jstr(e, "code"), "DPC_E_PROVIDER");
	assert_string_equal(jstr(e, "hresult"), hresult);
	assert_string_equal(jstr(e, "hresult_name"), name);
	assert_true(json_is_false(json_object_get(e, "return_value")));
	assert_int_equal(jint(e, "http_status"), admin ? admin_status : 500);
	assert_true(strlen(jstr(e, "message")) > 0);
	if (admin)
		jnull(e, "subcode");
	else
		assert_true(json_is_string(json_object_get(e, "subcode")));
	jnull(e, "transport");
	assert_non_null(json_object_get(e, "sms_status"));
}

/* ---- reading state back over raw WS-Man -------------------------------- */


/* The lab's modes at first harness_start, read back in one go. */
static void expect_modes(struct dpsim_proc *p, long dp01, long dp02,
			 long pulldp01, long pxe01, long dp03)
{
	assert_int_equal(wsman_read_mode(p, "DP01.contoso.com"), dp01);
	assert_int_equal(wsman_read_mode(p, "DP02.contoso.com"), dp02);
	assert_int_equal(wsman_read_mode(p, "PULLDP01.contoso.com"), pulldp01);
	assert_int_equal(wsman_read_mode(p, "PXE01.contoso.com"), pxe01);
	assert_int_equal(wsman_read_mode(p, "DP03.branch.contoso.com"), dp03);
}

/* ---- the control API, once it exists ----------------------------------- */

/* POSTs a fault rule to /_dpsim/faults; skips the test while dpsim has no
 * control API (404). */
static void add_fault_rule_or_skip(struct dpsim_proc *p, const char *rule)
{
	char url[200];
	size_t n = strlen(p->url);
	struct http_reply r;

	assert_true(n > 6 && strcmp(p->url + n - 6, "/wsman") == 0);
	snprintf(url, sizeof(url), "%.*s/_dpsim/faults", (int)(n - 6), p->url);
	assert_int_equal(http_post(url, NULL, NULL, "application/json", rule,
				   strlen(rule), &r), 0);
	if (r.status == 404) {
		http_reply_free(&r);
		fprintf(stderr, "dpsim has no /_dpsim/faults yet: skipped\n");
		skip();
	}
	if (r.status < 200 || r.status > 299)
		fprintf(stderr, "POST %s: HTTP %ld: %s\n", url, r.status,
			r.body);
	assert_in_range(r.status, 200, 299);
	http_reply_free(&r);
}

/* ---- list / status ---------------------------------------------------- */

static const char *const lab_names[] = {
	/* dpctl list sorts by name, case-insensitively */
	"CLOUDDP01.cloudapp.net", "DP01.contoso.com", "DP02.contoso.com",
	"DP03.branch.contoso.com", "PULLDP01.contoso.com", "PXE01.contoso.com",
};

static void list_table(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;
	char *line, *save = NULL;
	size_t row = 0;

	DPCTL(p, &r, "list");
	expect_status(&r, 0);
	assert_string_equal(r.err, "");
	for (line = strtok_r(r.out, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save), row++) {
		char name[64], mode[8], site[8], nal[256];

		assert_int_equal(sscanf(line, "%63s %7s %7s %255s", name, mode,
					site, nal), 4);
		if (row == 0) {
			assert_string_equal(name, "NAME");
			assert_string_equal(mode, "MODE");
			assert_string_equal(site, "SITE");
			assert_string_equal(nal, "NALPATH");
			continue;
		}
		assert_true(row <= 6);
		assert_string_equal(name, lab_names[row - 1]);
		assert_string_equal(mode, row == 3 ? "on" : "off");
		assert_string_equal(site, "PS1");
		assert_true(strncmp(nal, "[\"Display=\\\\", 12) == 0);
		assert_non_null(strstr(nal, name));
	}
	assert_int_equal(row, 7);
	run_free(&r);
}

static void list_json(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;
	json_t *j, *dps;

	DPCTL(p, &r, "--json", "list");
	expect_status(&r, 0);
	j = parse_json(r.out);
	assert_string_equal(jstr(j, "site"), "PS1");
	dps = json_object_get(j, "dps");
	assert_true(json_is_array(dps));
	assert_int_equal(json_array_size(dps), 6);
	for (size_t i = 0; i < json_array_size(dps); i++) {
		const json_t *dp = json_array_get(dps, i);

		assert_string_equal(jstr(dp, "name"), lab_names[i]);
		assert_string_equal(jstr(dp, "site_code"), "PS1");
		assert_string_equal(jstr(dp, "resource_type"),
				    "Windows NT Server");
		assert_int_equal(jint(dp, "maintenance_mode"),
				 strcmp(lab_names[i], "DP02.contoso.com") == 0);
		assert_non_null(strstr(jstr(dp, "nalpath"), lab_names[i]));
	}
	assert_string_equal(jstr(json_array_get(dps, 1), "nalpath"), DP01_NAL);
	json_decref(j);
	run_free(&r);

	/* Global options may follow the command. */
	DPCTL(p, &r, "list", "--json");
	expect_status(&r, 0);
	j = parse_json(r.out);
	assert_int_equal(json_array_size(json_object_get(j, "dps")), 6);
	json_decref(j);
	run_free(&r);
}

/* Every way of naming a DP finds the same one. */
static void status_by_fqdn_short_name_and_nal_path(void **state)
{
	static const struct {
		const char *spec, *name, *nal;
		int mode;
	} cases[] = {
		{ "DP01.contoso.com", "DP01.contoso.com", DP01_NAL, 0 },
		{ "dp01.CONTOSO.com", "DP01.contoso.com", DP01_NAL, 0 },
		{ "DP01", "DP01.contoso.com", DP01_NAL, 0 },
		{ "dp02", "DP02.contoso.com", DP02_NAL, 1 },
		{ DP01_NAL, "DP01.contoso.com", DP01_NAL, 0 },
		{ DP02_NAL, "DP02.contoso.com", DP02_NAL, 1 },
		{ "\\\\DP01.contoso.com\\", "DP01.contoso.com", DP01_NAL, 0 },
		{ "DP03", "DP03.branch.contoso.com", DP03_NAL, 0 },
	};
	struct dpsim_proc *p = *state;
	struct run r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_t *j;

		DPCTL(p, &r, "--json", "status", cases[i].spec);
		expect_status(&r, 0);
		j = parse_json(r.out);
		assert_string_equal(jstr(j, "name"), cases[i].name);
		assert_string_equal(jstr(j, "nalpath"), cases[i].nal);
		assert_string_equal(jstr(j, "site_code"), "PS1");
		assert_string_equal(jstr(j, "resource_type"),
				    "Windows NT Server");
		assert_int_equal(jint(j, "maintenance_mode"), cases[i].mode);
		assert_int_equal(json_object_size(j), 5);
		json_decref(j);
		run_free(&r);
	}

	DPCTL(p, &r, "status", "DP02");
	expect_status(&r, 0);
	assert_true(contains(r.out, "name:             DP02.contoso.com\n"));
	assert_true(contains(r.out, "maintenance mode: on\n"));
	assert_true(contains(r.out, "site code:        PS1\n"));
	assert_true(contains(r.out, "NAL path:         " DP02_NAL "\n"));
	run_free(&r);
}

static void status_of_unknown_dp(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;
	json_t *j, *e;

	/* DP0 is not a prefix match: the short name means "DP0.%". */
	DPCTL(p, &r, "status", "DP0");
	expect_status(&r, 1);
	assert_string_equal(r.out, "");
	assert_true(contains(r.err, "dpctl: DP0: no distribution point "
			     "matches 'DP0' in site PS1"));
	run_free(&r);

	DPCTL(p, &r, "--json", "status", "nope.contoso.com");
	expect_status(&r, 1);
	j = parse_json(r.out);
	e = json_object_get(j, "error");
	assert_string_equal(jstr(e, "code"), "DPC_E_NOT_FOUND");
	jnull(e, "hresult");
	jnull(e, "hresult_name");
	assert_true(contains(jstr(e, "message"), "nope.contoso.com"));
	json_decref(j);
	run_free(&r);
}

/* ---- maintenance ------------------------------------------------------ */

static void expect_result(const json_t *res, const char *dp, const char *name,
			  int previous, const char *result)
{
	assert_string_equal(jstr(res, "dp"), dp);
	if (name) {
		assert_string_equal(jstr(res, "name"), name);
		assert_true(json_is_string(json_object_get(res, "nalpath")));
		assert_int_equal(jint(res, "previous_mode"), previous);
	} else {
		jnull(res, "name");
		jnull(res, "nalpath");
		jnull(res, "previous_mode");
	}
	assert_string_equal(jstr(res, "result"), result);
	if (strcmp(result, "failed") != 0)
		jnull(res, "error");
}

static void maintenance_several_dps_json(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;
	json_t *j, *res, *e;

	/* One to change, one already on, one unknown, one after it. */
	DPCTL(p, &r, "--json", "maintenance", "on", "DP01", "DP02.contoso.com",
	      "NOPE", "PULLDP01.contoso.com");
	expect_status(&r, 1);
	j = parse_json(r.out);
	assert_int_equal(jint(j, "mode"), 1);
	assert_int_equal(jint(j, "changed"), 2);
	assert_int_equal(jint(j, "unchanged"), 1);
	assert_int_equal(jint(j, "failed"), 1);
	res = json_object_get(j, "results");
	assert_int_equal(json_array_size(res), 4);
	expect_result(json_array_get(res, 0), "DP01", "DP01.contoso.com", 0,
		      "changed");
	expect_result(json_array_get(res, 1), "DP02.contoso.com",
		      "DP02.contoso.com", 1, "unchanged");
	expect_result(json_array_get(res, 2), "NOPE", NULL, 0, "failed");
	expect_result(json_array_get(res, 3), "PULLDP01.contoso.com",
		      "PULLDP01.contoso.com", 0, "changed");
	e = json_object_get(json_array_get(res, 2), "error");
	assert_string_equal(jstr(e, "code"), "DPC_E_NOT_FOUND");
	assert_true(contains(jstr(e, "message"), "'NOPE'"));
	/* The failure is on stderr too, named by what the user typed. */
	assert_true(contains(r.err, "dpctl: NOPE: "));
	json_decref(j);
	run_free(&r);

	/* The DPs after the failed one were still done; others untouched. */
	expect_modes(p, 1, 1, 1, 0, 0);
}

static void maintenance_text_and_skip(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;

	DPCTL(p, &r, "maintenance", "off", DP02_NAL, "DP03", "dp01");
	expect_status(&r, 0);
	assert_string_equal(r.err, "");
	assert_string_equal(r.out,
		"DP02.contoso.com: maintenance off (was on)\n"
		"DP03.branch.contoso.com: maintenance already off, skipped\n"
		"DP01.contoso.com: maintenance already off, skipped\n");
	run_free(&r);
	expect_modes(p, 0, 0, 0, 0, 0);

	DPCTL(p, &r, "maintenance", "ON", "PXE01");
	expect_status(&r, 0);
	assert_string_equal(r.out,
			    "PXE01.contoso.com: maintenance on (was off)\n");
	run_free(&r);
	expect_modes(p, 0, 0, 0, 1, 0);
}

/* ---- invoke ----------------------------------------------------------- */

static void invoke_sets_mode(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;
	json_t *j, *out;

	DPCTL(p, &r, "--json", "invoke", "--nal", DP01_NAL, "--mode", "1");
	expect_status(&r, 0);
	j = parse_json(r.out);
	assert_string_equal(jstr(j, "class"), "SMS_DistributionPointInfo");
	assert_string_equal(jstr(j, "method"), "SetDPMaintenanceMode");
	assert_string_equal(jstr(j, "nalpath"), DP01_NAL);
	assert_int_equal(jint(j, "return_value"), 0);
	jnull(j, "error");
	out = json_object_get(j, "output");
	assert_string_equal(jstr(out, "class"), "SetDPMaintenanceMode_OUTPUT");
	assert_string_equal(jstr(json_object_get(out, "properties"),
				 "ReturnValue"), "0");
	json_decref(j);
	run_free(&r);
	assert_int_equal(wsman_read_mode(p, "DP01.contoso.com"), 1);

	/* Text output; -n / -m are the short forms. */
	DPCTL(p, &r, "invoke", "-n", DP01_NAL, "-m", "0");
	expect_status(&r, 0);
	assert_string_equal(r.out, "SMS_DistributionPointInfo."
			    "SetDPMaintenanceMode: ReturnValue 0\n");
	run_free(&r);
	assert_int_equal(wsman_read_mode(p, "DP01.contoso.com"), 0);

	/* The same mode twice is a success, not a skip: invoke does not
	 * read first. */
	DPCTL(p, &r, "invoke", "--nal", DP02_NAL, "--mode", "on");
	expect_status(&r, 0);
	run_free(&r);
	assert_int_equal(wsman_read_mode(p, "DP02.contoso.com"), 1);
}

/* Any static method with typed parameters; here the provider's natural
 * answer to Mode 2, which the --mode option would not let through. */
static void invoke_generic_method(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;
	json_t *j;

	DPCTL(p, &r, "--json", "invoke", "--class",
	      "SMS_DistributionPointInfo", "--method", "SetDPMaintenanceMode",
	      "--param", "NALPath=" DP03_NAL, "--uint", "Mode=1");
	expect_status(&r, 0);
	run_free(&r);
	assert_int_equal(wsman_read_mode(p, "DP03.branch.contoso.com"), 1);

	DPCTL(p, &r, "--json", "invoke", "-c", "SMS_DistributionPointInfo",
	      "-M", "SetDPMaintenanceMode", "-P", "NALPath=" DP03_NAL,
	      "-U", "Mode=2");
	expect_status(&r, 1);
	j = parse_json(r.out);
	expect_fault_json(json_object_get(j, "error"), "0x80041008",
			  "WBEM_E_INVALID_PARAMETER", 400);
	json_decref(j);
	assert_true(contains(r.err, "WBEM_E_INVALID_PARAMETER (0x80041008)"));
	run_free(&r);
	assert_int_equal(wsman_read_mode(p, "DP03.branch.contoso.com"), 1);
}

/* ---- query ------------------------------------------------------------ */

static void query_wql(void **state)
{
	struct dpsim_proc *p = *state;
	const char *wql = "SELECT * FROM SMS_DistributionPointInfo "
			  "WHERE Name LIKE 'dp0%' AND MaintenanceMode = 0";
	struct run r;
	json_t *j, *items;
	bool seen01 = false, seen03 = false;

	DPCTL(p, &r, "--json", "query", wql);
	expect_status(&r, 0);
	j = parse_json(r.out);
	assert_string_equal(jstr(j, "namespace"), "root/sms/site_PS1");
	assert_string_equal(jstr(j, "query"), wql);
	assert_int_equal(jint(j, "count"), 2);
	items = json_object_get(j, "instances");
	assert_int_equal(json_array_size(items), 2);
	for (size_t i = 0; i < 2; i++) {
		const json_t *inst = json_array_get(items, i);
		const json_t *props = json_object_get(inst, "properties");
		const char *name = jstr(props, "Name");

		assert_string_equal(jstr(inst, "class"),
				    "SMS_DistributionPointInfo");
		assert_string_equal(jstr(props, "MaintenanceMode"), "0");
		assert_string_equal(jstr(props, "SiteCode"), "PS1");
		seen01 |= strcmp(name, "DP01.contoso.com") == 0;
		seen03 |= strcmp(name, "DP03.branch.contoso.com") == 0;
	}
	assert_true(seen01 && seen03);
	json_decref(j);
	run_free(&r);

	/* Another namespace: the discovery class of root/sms. */
	DPCTL(p, &r, "--json", "query", "--namespace", "root\\sms",
	      "SELECT * FROM SMS_ProviderLocation");
	expect_status(&r, 0);
	j = parse_json(r.out);
	assert_string_equal(jstr(j, "namespace"), "root\\sms");
	assert_int_equal(jint(j, "count"), 1);
	items = json_object_get(j, "instances");
	assert_string_equal(jstr(json_object_get(json_array_get(items, 0),
						 "properties"), "SiteCode"),
			    "PS1");
	json_decref(j);
	run_free(&r);

	/* Text: one block per instance, class name first. */
	DPCTL(p, &r, "query", "SELECT Name FROM SMS_DistributionPointInfo "
	      "WHERE MaintenanceMode = 1");
	expect_status(&r, 0);
	assert_true(strncmp(r.out, "SMS_DistributionPointInfo\n", 26) == 0);
	assert_true(contains(r.out, "DP02.contoso.com"));
	assert_null(strstr(r.out, "DP01.contoso.com"));
	run_free(&r);
}

static void query_errors(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;
	json_t *j;

	DPCTL(p, &r, "--json", "query",
	      "SELECT * FORM SMS_DistributionPointInfo");
	if (admin) {
		/* The client reads the WQL, and sends nothing. */
		expect_status(&r, 2);
		j = parse_json(r.out);
		assert_string_equal(jstr(json_object_get(j, "error"), "code"),
				    "DPC_E_USAGE");
		jnull(json_object_get(j, "error"), "hresult");
		jnull(json_object_get(j, "error"), "http_status");
		assert_true(contains(r.err, "dpctl: WQL the AdminService "
				     "cannot run: position 10: expected FROM, "
				     "found 'FORM'\n"));
	} else {
		expect_status(&r, 1);
		j = parse_json(r.out);
		expect_fault_json(json_object_get(j, "error"), "0x80041017",
				  "WBEM_E_INVALID_QUERY", 400);
		assert_true(contains(r.err,
				     "WBEM_E_INVALID_QUERY (0x80041017)"));
	}
	json_decref(j);
	run_free(&r);

	/* An unknown class: WMI's WBEM_E_INVALID_CLASS; the AdminService has
	 * no route for it, a 404 without an HRESULT. */
	DPCTL(p, &r, "query", "SELECT * FROM SMS_Nothing");
	expect_status(&r, 1);
	assert_true(contains(r.err, admin ? "class SMS_Nothing is not served"
				    : "WBEM_E_INVALID_CLASS (0x80041010)"));
	run_free(&r);
}

/* ---- wait ------------------------------------------------------------- */

static void wait_already_in_mode(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;
	json_t *j;

	DPCTL(p, &r, "--json", "wait", "DP02", "--mode", "1", "--timeout",
	      "60s");
	expect_status(&r, 0);
	/* Far below the timeout: the first read was enough. */
	assert_true(r.ms < 20000);
	j = parse_json(r.out);
	assert_string_equal(jstr(j, "name"), "DP02.contoso.com");
	assert_string_equal(jstr(j, "nalpath"), DP02_NAL);
	assert_int_equal(jint(j, "mode"), 1);
	assert_int_equal(jint(j, "current_mode"), 1);
	assert_true(json_is_true(json_object_get(j, "reached")));
	assert_true(jint(j, "elapsed_ms") < 20000);
	json_decref(j);
	run_free(&r);

	DPCTL(p, &r, "wait", "DP01", "--mode", "off");
	expect_status(&r, 0);
	assert_string_equal(r.out, "DP01.contoso.com: maintenance off\n");
	run_free(&r);
}

static void wait_times_out(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;
	json_t *j;

	DPCTL(p, &r, "--json", "wait", "DP03.branch.contoso.com", "--mode", "1",
	      "--timeout", "1s", "--interval", "200ms");
	expect_status(&r, 1);
	assert_true(r.ms >= 1000);
	assert_true(r.ms < 15000);
	j = parse_json(r.out);
	assert_false(json_is_true(json_object_get(j, "reached")));
	assert_int_equal(jint(j, "current_mode"), 0);
	assert_true(jint(j, "elapsed_ms") >= 1000);
	json_decref(j);
	assert_true(contains(r.err, "maintenance still off after 1000 ms"));
	run_free(&r);

	DPCTL(p, &r, "wait", "NOPE", "--mode", "1", "--timeout", "30s");
	expect_status(&r, 1);
	assert_true(r.ms < 15000);
	assert_true(contains(r.err, "no distribution point matches 'NOPE'"));
	run_free(&r);
}

/* A dpctl running in the background, its stdout and stderr on pipes. */
struct bg {
	pid_t pid;
	int fd[2];		/* stdout, stderr; -1 once at EOF */
	char *text[2];
	size_t len[2];
};

static void bg_start(struct bg *b, const char *const *argv)
{
	const char *envp[128];
	int out[2], err[2];
	posix_spawn_file_actions_t fa;
	size_t n = 0;

	memset(b, 0, sizeof(*b));
	for (char **e = environ; *e && n < 120; e++)
		envp[n++] = *e;
	envp[n++] = "DPCTL_USER=lab";
	envp[n++] = "DPCTL_PASSWORD=lab";
	envp[n] = NULL;
	/* CLOEXEC: no other child may hold the write ends open, or EOF
	 * would not mean that this dpctl ended. */
	assert_int_equal(pipe2(out, O_CLOEXEC), 0);
	assert_int_equal(pipe2(err, O_CLOEXEC), 0);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	posix_spawn_file_actions_adddup2(&fa, err[1], 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	assert_int_equal(posix_spawn(&b->pid, argv[0], &fa, NULL,
				     (char *const *)argv, (char *const *)envp),
			 0);
	posix_spawn_file_actions_destroy(&fa);
	close(out[1]);
	close(err[1]);
	b->fd[0] = out[0];
	b->fd[1] = err[0];
	for (int i = 0; i < 2; i++) {
		b->text[i] = calloc(1, 1);
		assert_non_null(b->text[i]);
	}
}

/* Reads what is there until stderr contains want (true), both pipes are
 * at EOF (false; want NULL waits for that) or deadline passes (false). */
static bool bg_pump(struct bg *b, long long deadline, const char *want)
{
	while (b->fd[0] >= 0 || b->fd[1] >= 0) {
		struct pollfd pf[2];
		long long left = deadline - harness_now_ms();
		int r;

		if (want && strstr(b->text[1], want))
			return true;
		if (left <= 0)
			return false;
		for (int i = 0; i < 2; i++)
			pf[i] = (struct pollfd){ .fd = b->fd[i],
						 .events = POLLIN };
		r = poll(pf, 2, (int)left);
		if (r < 0 && errno == EINTR)
			continue;
		assert_true(r >= 0);
		for (int i = 0; i < 2; i++) {
			char chunk[4096];
			ssize_t got;

			if (b->fd[i] < 0 ||
			    !(pf[i].revents & (POLLIN | POLLHUP)))
				continue;
			got = read(b->fd[i], chunk, sizeof(chunk));
			if (got < 0 && errno == EINTR)
				continue;
			if (got <= 0) {
				close(b->fd[i]);
				b->fd[i] = -1;
				continue;
			}
			b->text[i] = realloc(b->text[i],
					     b->len[i] + (size_t)got + 1);
			assert_non_null(b->text[i]);
			memcpy(b->text[i] + b->len[i], chunk, (size_t)got);
			b->len[i] += (size_t)got;
			b->text[i][b->len[i]] = '\0';
		}
	}
	return want && strstr(b->text[1], want);
}

/* Waits (bounded) for the end of the output and of the process; returns
 * its exit status. A dpctl that outlives the deadline is killed and the
 * test fails. */
static int bg_finish(struct bg *b, long long deadline)
{
	bool ended;
	int st;

	bg_pump(b, deadline, NULL);
	ended = b->fd[0] < 0 && b->fd[1] < 0;
	if (!ended)
		kill(b->pid, SIGKILL);
	while (waitpid(b->pid, &st, 0) < 0)
		assert_int_equal(errno, EINTR);
	for (int i = 0; i < 2; i++)
		if (b->fd[i] >= 0)
			close(b->fd[i]);
	if (!ended)
		fprintf(stderr, "background dpctl did not end:\n%s\n%s\n",
			b->text[0], b->text[1]);
	assert_true(ended);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void bg_free(struct bg *b)
{
	free(b->text[0]);
	free(b->text[1]);
}

/* dpctl wait sees the DP off, the test turns it on from another process,
 * and the wait ends with success long before its timeout. */
static void wait_sees_a_change(void **state)
{
	struct dpsim_proc *p = *state;
	const char *const argv[] = {
		DPCTL_BIN, "-e", ep(p), "--verbose", "--json", "wait",
		"DP01.contoso.com", "--mode", "1", "--timeout", "60s",
		"--interval", "100ms", NULL,
	};
	/* The mode as each protocol's answer writes it. */
	const char *mode0 = admin ? "\"MaintenanceMode\":0," : "MaintenanceMode>0<";
	const char *mode1 = admin ? "\"MaintenanceMode\":1," : "MaintenanceMode>1<";
	struct bg b;
	struct run r;
	json_t *j;
	long long t0 = harness_now_ms();

	bg_start(&b, argv);
	/* --verbose traces every response: the first one with the DP's
	 * mode 0 in it means the wait has read the old state. */
	if (!bg_pump(&b, t0 + 30000, mode0)) {
		bg_finish(&b, harness_now_ms());
		fail_msg("dpctl wait never read DP01's mode");
	}
	DPCTL(p, &r, "maintenance", "on", "DP01.contoso.com");
	expect_status(&r, 0);
	run_free(&r);
	assert_int_equal(bg_finish(&b, harness_now_ms() + 30000), 0);
	assert_true(harness_now_ms() - t0 < 45000);
	assert_true(contains(b.text[1], mode1));
	j = parse_json(b.text[0]);
	assert_true(json_is_true(json_object_get(j, "reached")));
	assert_int_equal(jint(j, "current_mode"), 1);
	assert_string_equal(jstr(j, "name"), "DP01.contoso.com");
	json_decref(j);
	bg_free(&b);
}

/* ---- identify / site -------------------------------------------------- */

static void identify(void **state)
{
	struct dpsim_proc *p = *state;
	const char *const args[] = { "--json", "identify", NULL };
	struct run r;
	json_t *j;

	DPCTL(p, &r, "--json", "identify");
	expect_status(&r, 0);
	j = parse_json(r.out);
	if (admin) {
		/* The service document says only that it is OData 4. */
		assert_string_equal(jstr(j, "protocol_version"), "OData 4.0");
		jnull(j, "product_vendor");
		jnull(j, "product_version");
		json_decref(j);
		run_free(&r);
		/* It wants credentials, as every AdminService route. */
		run_dpctl(ep(p), NULL, NULL, args, &r);
		expect_status(&r, 3);
		assert_true(contains(r.out, "\"DPC_E_AUTH\""));
		run_free(&r);
		DPCTL(p, &r, "identify");
		expect_status(&r, 0);
		assert_string_equal(r.out, "protocol version: OData 4.0\n"
				    "product vendor:   -\n"
				    "product version:  -\n");
		run_free(&r);
		return;
	}
	assert_string_equal(jstr(j, "protocol_version"),
			    "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd");
	assert_string_equal(jstr(j, "product_vendor"), "Microsoft Corporation");
	assert_true(json_is_string(json_object_get(j, "product_version")));
	json_decref(j);
	run_free(&r);

	/* Identify needs no credentials; WinRM then leaves out the version,
	 * and the key stays, null. */
	run_dpctl(ep(p), NULL, NULL, args, &r);
	expect_status(&r, 0);
	j = parse_json(r.out);
	assert_string_equal(jstr(j, "product_vendor"), "Microsoft Corporation");
	jnull(j, "product_version");
	json_decref(j);
	run_free(&r);

	DPCTL(p, &r, "identify");
	expect_status(&r, 0);
	assert_true(contains(r.out,
			     "product vendor:   Microsoft Corporation\n"));
	run_free(&r);
}

static void site(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;
	json_t *j;

	DPCTL(p, &r, "site");
	expect_status(&r, 0);
	assert_string_equal(r.out, "PS1\n");
	run_free(&r);

	DPCTL(p, &r, "--json", "site");
	expect_status(&r, 0);
	j = parse_json(r.out);
	assert_string_equal(jstr(j, "site"), "PS1");
	assert_int_equal(json_object_size(j), 1);
	json_decref(j);
	run_free(&r);

	/* A given --site skips discovery; a wrong one is the provider's
	 * no. */
	DPCTL(p, &r, "--site", "PS1", "status", "DP01");
	expect_status(&r, 0);
	run_free(&r);
	DPCTL(p, &r, "--site", "ZZ9", "list");
	expect_status(&r, 1);
	/* The AdminService serves its own site: the client sees the
	 * instances come from another namespace. */
	assert_true(contains(r.err, admin
		? "dpctl: SMS_DistributionPointInfo is in namespace "
		  "root\\sms\\site_PS1 on this AdminService, not in "
		  "root\\sms\\site_ZZ9\n"
		: "WBEM_E_INVALID_NAMESPACE (0x8004100E)"));
	run_free(&r);
}

/* A lab of its own: two DPs share a short name, and the site is not PS1. */
static const char twins_fixture[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n"
	"  <users><user name=\"lab\" password=\"lab\""
	" role=\"Full Administrator\"/></users>\n"
	"  <site code=\"XY9\" name=\"Twins\" provider=\"CM09.example.com\">\n"
	"    <dp fqdn=\"EDGE.north.example.com\"/>\n"
	"    <dp fqdn=\"EDGE.south.example.com\" maintenance=\"1\"/>\n"
	"    <dp fqdn=\"EDGE-2.example.com\"/>\n"
	"    <dp fqdn=\"EDGEX.example.com\"/>\n"
	"  </site>\n"
	"</dpsim-fixture>\n";

static int start_twins(void **state)
{
	struct dpsim_proc *p = calloc(1, sizeof(*p));
	char path[400];
	const char *extra[] = { "--fixture", path, NULL };
	FILE *f;

	if (!p)
		return -1;
	dpsim_prepare(p);
	snprintf(path, sizeof(path), "%s/twins.xml", p->dir);
	f = fopen(path, "w");
	if (!f || fputs(twins_fixture, f) < 0 || fclose(f) != 0 ||
	    dpsim_start(p, extra)) {
		dpsim_cleanup(p);
		free(p);
		return -1;
	}
	*state = p;
	return 0;
}

static void ambiguous_short_name_and_other_site(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;
	json_t *j;

	DPCTL(p, &r, "site");
	expect_status(&r, 0);
	assert_string_equal(r.out, "XY9\n");
	run_free(&r);

	DPCTL(p, &r, "status", "EDGE");
	expect_status(&r, 1);
	assert_true(contains(r.err, "'EDGE' matches 2 distribution points"));
	assert_true(contains(r.err, "EDGE.north.example.com"));
	assert_true(contains(r.err, "EDGE.south.example.com"));
	run_free(&r);

	/* An ambiguous name changes nothing; the full name does. */
	DPCTL(p, &r, "--json", "maintenance", "on", "EDGE",
	      "EDGE.north.example.com");
	expect_status(&r, 1);
	j = parse_json(r.out);
	assert_int_equal(jint(j, "failed"), 1);
	assert_int_equal(jint(j, "changed"), 1);
	json_decref(j);
	run_free(&r);

	DPCTL(p, &r, "--json", "list");
	expect_status(&r, 0);
	j = parse_json(r.out);
	assert_string_equal(jstr(j, "site"), "XY9");
	assert_int_equal(json_array_size(json_object_get(j, "dps")), 4);
	for (size_t i = 0; i < 4; i++) {
		const json_t *dp = json_array_get(json_object_get(j, "dps"), i);
		const char *name = jstr(dp, "name");

		assert_int_equal(jint(dp, "maintenance_mode"),
				 strncmp(name, "EDGE.", 5) == 0);
	}
	json_decref(j);
	run_free(&r);
}

/* ---- error shapes ----------------------------------------------------- */

/* The WMI fault shape: the provider's natural answer to an unknown NAL
 * path. */
static void wmi_fault_shape(void **state)
{
	struct dpsim_proc *p = *state;
	const char *nal = "[\"Display=\\\\NOPE.contoso.com\\\"]MSWNET:"
			  "[\"SMS_SITE=PS1\"]\\\\NOPE.contoso.com\\";
	struct run r;
	json_t *j, *e;

	DPCTL(p, &r, "invoke", "--nal", nal, "--mode", "1");
	expect_status(&r, 1);
	assert_string_equal(r.out, "");
	assert_true(contains(r.err, "dpctl: SMS_DistributionPointInfo."
			     "SetDPMaintenanceMode: WBEM_E_NOT_FOUND "
			     "(0x80041002): "));
	assert_true(contains(r.err, "NOPE.contoso.com"));
	run_free(&r);

	DPCTL(p, &r, "--json", "invoke", "--nal", nal, "--mode", "1");
	expect_status(&r, 1);
	j = parse_json(r.out);
	assert_int_equal(json_object_size(j), 1);
	e = json_object_get(j, "error");
	expect_fault_json(e, "0x80041002", "WBEM_E_NOT_FOUND", 404);
	assert_true(contains(jstr(e, "message"), "NOPE.contoso.com"));
	json_decref(j);
	run_free(&r);
	expect_modes(p, 0, 1, 0, 0, 0);
}

/* The non-zero ReturnValue shape, which the provider only gives when a
 * fault rule says so. */
static void return_value_shape(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;
	json_t *j, *res, *e;

	add_fault_rule_or_skip(p, "{\"method\":\"SetDPMaintenanceMode\","
			       "\"effect\":\"return\","
			       "\"hresult\":\"0x80041001\"}");

	DPCTL(p, &r, "maintenance", "on", "DP01");
	expect_status(&r, 1);
	assert_true(contains(r.err, "dpctl: DP01: WBEM_E_FAILED (0x80041001)"));
	run_free(&r);

	DPCTL(p, &r, "--json", "maintenance", "on", "DP01");
	expect_status(&r, 1);
	j = parse_json(r.out);
	res = json_array_get(json_object_get(j, "results"), 0);
	assert_string_equal(jstr(res, "result"), "failed");
	e = json_object_get(res, "error");
	assert_string_equal(jstr(e, "code"), "DPC_E_PROVIDER");
	assert_string_equal(jstr(e, "hresult"), "0x80041001");
	assert_string_equal(jstr(e, "hresult_name"), "WBEM_E_FAILED");
	assert_true(json_is_true(json_object_get(e, "return_value")));
	assert_int_equal(jint(e, "http_status"), 200);
	json_decref(j);
	run_free(&r);

	/* invoke shows the output it got, with the ReturnValue. */
	DPCTL(p, &r, "--json", "invoke", "--nal", DP01_NAL, "--mode", "1");
	expect_status(&r, 1);
	j = parse_json(r.out);
	assert_int_equal(jint(j, "return_value"), 0x80041001);
	assert_string_equal(jstr(json_object_get(j, "error"), "hresult_name"),
			    "WBEM_E_FAILED");
	json_decref(j);
	assert_true(contains(r.err, "WBEM_E_FAILED (0x80041001)"));
	run_free(&r);
	assert_int_equal(wsman_read_mode(p, "DP01.contoso.com"), 0);
}

static void analyst_is_refused(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;
	json_t *j, *e;

	DPCTL_AS(p, "analyst", &r, "maintenance", "off", "DP02");
	expect_status(&r, 1);
	assert_true(contains(r.err, "dpctl: DP02: WBEM_E_ACCESS_DENIED "
			     "(0x80041003): "));
	assert_true(contains(r.err, "analyst"));
	run_free(&r);

	DPCTL_AS(p, "analyst", &r, "--json", "invoke", "--nal", DP02_NAL,
		 "--mode", "0");
	expect_status(&r, 1);
	j = parse_json(r.out);
	e = json_object_get(j, "error");
	/* The AdminService answers an access refusal 404, as a real site
	 * does. */
	expect_fault_json(e, "0x80041003", "WBEM_E_ACCESS_DENIED", 404);
	if (!admin)
		assert_string_equal(jstr(e, "subcode"), "w:AccessDenied");
	json_decref(j);
	run_free(&r);

	/* Reading is allowed; nothing changed. */
	DPCTL_AS(p, "analyst", &r, "--json", "status", "DP02");
	expect_status(&r, 0);
	j = parse_json(r.out);
	assert_int_equal(jint(j, "maintenance_mode"), 1);
	json_decref(j);
	run_free(&r);
	assert_int_equal(wsman_read_mode(p, "DP02.contoso.com"), 1);
}

/* ---- transport and authentication ------------------------------------- */

static void wrong_password_is_exit_3(void **state)
{
	struct dpsim_proc *p = *state;
	const char *const list[] = { "list", NULL };
	const char *const jlist[] = { "--json", "list", NULL };
	const char *const with_p[] = { "-p", "lab", "status", "DP01", NULL };
	struct run r;
	json_t *j, *e;

	run_dpctl(ep(p), "lab", "wrong", list, &r);
	expect_status(&r, 3);
	assert_string_equal(r.out, "");
	assert_true(contains(r.err, "HTTP 401"));
	run_free(&r);

	run_dpctl(ep(p), "nosuchuser", "lab", jlist, &r);
	expect_status(&r, 3);
	j = parse_json(r.out);
	e = json_object_get(j, "error");
	assert_string_equal(jstr(e, "code"), "DPC_E_AUTH");
	assert_int_equal(jint(e, "http_status"), 401);
	json_decref(j);
	run_free(&r);

	/* No credentials at all: the same. */
	run_dpctl(ep(p), NULL, NULL, list, &r);
	expect_status(&r, 3);
	run_free(&r);

	/* -p works (the environment is the better place, but it works). */
	run_dpctl(ep(p), "lab", NULL, with_p, &r);
	expect_status(&r, 0);
	assert_true(contains(r.out, "DP01.contoso.com"));
	run_free(&r);
}

/* --auth ntlm over plain HTTP: WS-Man takes it, sealed (the rest of
 * that is test_dpctl_ntlm.c); dpsim's AdminService route takes Basic
 * only, and libcurl's NTLM there fails as authentication, not as a hang
 * or a provider error. */
static void ntlm_over_each_protocol(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;

	DPCTL(p, &r, "--auth", "ntlm", "list");
	if (admin) {
		expect_status(&r, 3);
		assert_true(contains(r.err, "auth ntlm"));
	} else {
		expect_status(&r, 0);
		assert_true(contains(r.out, "DP01.contoso.com"));
	}
	run_free(&r);
}

/* A TCP port on 127.0.0.1 that was free a moment ago. */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int s = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(s >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(s, (struct sockaddr *)&a, &len), 0);
	close(s);
	return ntohs(a.sin_port);
}

static void unreachable_endpoint_is_exit_3_fast(void **state)
{
	const char *const list[] = { "list", NULL };
	const char *const jstatus[] = { "--json", "status", "DP01", NULL };
	char url[64];
	struct run r;
	json_t *j, *e;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", free_port(),
		 EP_PATH);
	run_dpctl(url, "lab", "lab", list, &r);
	expect_status(&r, 3);
	/* Refused is retried, twice by default, after 200 ms and 400 ms:
	 * fast, but not at once. */
	assert_true(r.ms < 5000);
	assert_true(r.ms >= 600);
	assert_true(contains(r.err, url));
	run_free(&r);

	run_dpctl(url, "lab", "lab", jstatus, &r);
	expect_status(&r, 3);
	assert_true(r.ms < 5000);
	j = parse_json(r.out);
	e = json_object_get(j, "error");
	assert_string_equal(jstr(e, "code"), "DPC_E_TRANSPORT");
	assert_true(strlen(jstr(e, "transport")) > 0);
	jnull(e, "http_status");
	jnull(e, "hresult");
	json_decref(j);
	run_free(&r);
}

/* https:// to a plain-HTTP listener: a TLS failure, reported at once. */
static void tls_to_plain_listener_is_exit_3(void **state)
{
	struct dpsim_proc *p = *state;
	const char *const list[] = { "--insecure", "list", NULL };
	char url[160];
	struct run r;

	assert_true(strncmp(ep(p), "http://", 7) == 0);
	snprintf(url, sizeof(url), "https://%s", ep(p) + 7);
	run_dpctl(url, "lab", "lab", list, &r);
	expect_status(&r, 3);
	assert_true(r.ms < 5000);
	assert_true(contains(r.err, url));
	run_free(&r);
}

/* The enumeration answers 503 once; the retry gets the DP. */
static void dp_appears_after_a_retry(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;
	json_t *j;

	add_fault_rule_or_skip(p, "{\"operation\":\"enumerate\","
			       "\"effect\":\"http\",\"http_status\":503,"
			       "\"times\":1}");
	/* --site: the first enumeration is the DP lookup, not discovery. */
	DPCTL(p, &r, "--site", "PS1", "--verbose", "--json", "status",
	      "DP01.contoso.com");
	expect_status(&r, 0);
	assert_true(contains(r.err, "< HTTP 503"));
	j = parse_json(r.out);
	assert_string_equal(jstr(j, "name"), "DP01.contoso.com");
	assert_int_equal(jint(j, "maintenance_mode"), 0);
	json_decref(j);
	run_free(&r);

	/* Without retries the same blip is a transport failure. */
	add_fault_rule_or_skip(p, "{\"operation\":\"enumerate\","
			       "\"effect\":\"http\",\"http_status\":503,"
			       "\"times\":1}");
	DPCTL(p, &r, "--site", "PS1", "--retries", "0", "status",
	      "DP01.contoso.com");
	expect_status(&r, 3);
	assert_true(contains(r.err, "503"));
	run_free(&r);
}

/* ---- usage and help --------------------------------------------------- */

static void usage_errors_are_exit_2(void **state)
{
	static const char *const cases[][8] = {
		{ NULL },
		{ "bogus", NULL },
		{ "--frobnicate", "list", NULL },
		{ "list", "extra", NULL },
		{ "status", NULL },
		{ "status", "DP01", "DP02", NULL },
		{ "maintenance", "on", NULL },
		{ "maintenance", "sideways", "DP01", NULL },
		{ "invoke", "--nal", DP01_NAL, "--mode", "2", NULL },
		{ "invoke", "--nal", DP01_NAL, NULL },
		{ "invoke", "--mode", "1", NULL },
		{ "invoke", "--nal", NULL },
		{ "query", NULL },
		{ "wait", "DP01", NULL },
		{ "wait", "DP01", "--mode", "maybe", NULL },
		{ "wait", "DP01", "--mode", "1", "--timeout", "soon", NULL },
		{ "--auth", "kerberos", "list", NULL },
		{ "--retries", "x", "list", NULL },
		{ "-e", "ftp://127.0.0.1/wsman", "list", NULL },
	};
	struct dpsim_proc *p = *state;
	struct run r;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		run_dpctl(strcmp(cases[i][0] ? cases[i][0] : "", "-e") == 0
			  ? NULL : ep(p), "lab", "lab", cases[i], &r);
		if (r.status != 2)
			fprintf(stderr, "case %zu (%s %s)\n", i,
				cases[i][0] ? cases[i][0] : "",
				cases[i][0] && cases[i][1] ? cases[i][1] : "");
		expect_status(&r, 2);
		assert_string_equal(r.out, "");
		assert_true(strncmp(r.err, "dpctl: ", 7) == 0);
		run_free(&r);
	}
	/* Nothing was sent that changed anything. */
	expect_modes(p, 0, 1, 0, 0, 0);
}

static void help_and_version(void **state)
{
	static const char *const commands[] = {
		"list", "status", "maintenance", "invoke", "query", "wait",
		"identify", "site",
	};
	const char *const help[] = { "--help", NULL };
	const char *const version[] = { "--version", NULL };
	struct run r;

	run_dpctl(NULL, NULL, NULL, help, &r);
	expect_status(&r, 0);
	assert_true(contains(r.out, "Usage: dpctl [OPTIONS] COMMAND"));
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		char want[32];

		snprintf(want, sizeof(want), "\n  %s ", commands[i]);
		assert_true(contains(r.out, want));
	}
	run_free(&r);

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const char *const args[] = { commands[i], "--help", NULL };
		const char *const args2[] = { "help", commands[i], NULL };
		char want[64];

		snprintf(want, sizeof(want), "Usage: dpctl [OPTIONS] %s",
			 commands[i]);
		run_dpctl(NULL, NULL, NULL, args, &r);
		expect_status(&r, 0);
		assert_true(contains(r.out, want));
		run_free(&r);
		run_dpctl(NULL, NULL, NULL, args2, &r);
		expect_status(&r, 0);
		assert_true(contains(r.out, want));
		run_free(&r);
	}

	run_dpctl(NULL, NULL, NULL, version, &r);
	expect_status(&r, 0);
	assert_string_equal(r.out, "dpctl " DPSIM_VERSION "\n");
	run_free(&r);
}

/* ---- the example program ---------------------------------------------- */

/* client/examples/status.c, built next to dpctl. */
static void example_status(void **state)
{
	struct dpsim_proc *p = *state;
	char bin[512];
	const char *slash = strrchr(DPCTL_BIN, '/');
	const char *env[] = { "DPCTL_USER=lab", "DPCTL_PASSWORD=lab", NULL };
	char *out, *err;
	int st;

	snprintf(bin, sizeof(bin), "%.*s/example-status",
		 (int)(slash - DPCTL_BIN), DPCTL_BIN);
	if (access(bin, X_OK) != 0) {
		fprintf(stderr, "%s not built: skipped\n", bin);
		skip();
	}
	{
		const char *const argv[] = { bin, ep(p), "DP02", NULL };

		st = run_program(argv, env, &out, &err);
		assert_int_equal(st, 0);
		assert_string_equal(out,
				    "DP02.contoso.com: maintenance mode on\n");
		free(out);
		free(err);
	}
	{
		const char *const argv[] = { bin, ep(p), "NOPE", NULL };

		st = run_program(argv, env, &out, &err);
		assert_int_equal(st, 1);
		assert_string_equal(out, "");
		assert_true(contains(err, "NOPE: not found: "));
		free(out);
		free(err);
	}
}

/* ---- review fixes: wait --timeout 0, -v, --json usage, retries, Get ---- */

/* GET /_dpsim/journal/count?query: how many calls dpsim saw. */
static long long journal_count(struct dpsim_proc *p, const char *query)
{
	char base[160], url[512];
	struct http_reply r;
	json_t *j;
	long long n;

	dpsim_base(p, base, sizeof(base));
	snprintf(url, sizeof(url), "%s/_dpsim/journal/count%s%s", base,
		 query ? "?" : "", query ? query : "");
	assert_int_equal(http_get(url, &r), 0);
	if (r.status != 200)
		fprintf(stderr, "GET %s: HTTP %ld: %s\n", url, r.status, r.body);
	assert_int_equal(r.status, 200);
	j = parse_json(r.body);
	n = jint(j, "count");
	assert_int_equal(jint(j, "dropped"), 0);
	json_decref(j);
	http_reply_free(&r);
	return n;
}

static void journal_clear(struct dpsim_proc *p)
{
	char base[160], url[256];
	struct http_reply r;

	dpsim_base(p, base, sizeof(base));
	snprintf(url, sizeof(url), "%s/_dpsim/journal", base);
	assert_int_equal(http_request("DELETE", url, NULL, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	assert_int_equal(journal_count(p, NULL), 0);
}

/* Sets DP01's mode over raw WS-Man: one Invoke in the journal, nothing
 * else (dpctl would look the DP up first). */
static void raw_set_dp01(struct dpsim_proc *p, int mode)
{
	char *body = NULL, *env;
	struct http_reply r;

	assert_true(asprintf(&body, "<p:SetDPMaintenanceMode_INPUT xmlns:p=\""
			     WMI_NS "/SMS_DistributionPointInfo\"><p:NALPath>"
			     "[\"Display=\\\\DP01.contoso.com\\\"]MSWNET:"
			     "[\"SMS_SITE=PS1\"]\\\\DP01.contoso.com\\"
			     "</p:NALPath><p:Mode>%d</p:Mode>"
			     "</p:SetDPMaintenanceMode_INPUT>", mode) > 0);
	env = envelope(WMI_NS "/SMS_DistributionPointInfo/SetDPMaintenanceMode",
		       WMI_NS "/SMS_DistributionPointInfo", NULL, body);
	assert_int_equal(http_post(p->url, "lab", "lab", NULL, env, strlen(env),
				   &r), 0);
	if (r.status != 200)
		fprintf(stderr, "raw invoke: HTTP %ld: %s\n", r.status, r.body);
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	free(env);
	free(body);
}

/* 0 means "check once": one lookup, no Get, no waiting, and the answer
 * in the exit status. */
static void wait_timeout_zero_checks_once(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;
	json_t *j;

	journal_clear(p);
	/* An FQDN: a short name may take two queries to find. */
	DPCTL(p, &r, "--site", "PS1", "--json", "wait", "DP01.contoso.com",
	      "--mode", "1", "--timeout", "0", "--interval", "100ms");
	expect_status(&r, 1);
	j = parse_json(r.out);
	assert_false(json_is_true(json_object_get(j, "reached")));
	assert_int_equal(jint(j, "current_mode"), 0);
	assert_int_equal(jint(j, "mode"), 1);
	json_decref(j);
	assert_true(contains(r.err, "DP01.contoso.com: maintenance still off "
			     "after 0 ms"));
	run_free(&r);
	/* Exactly one read of the DP: the lookup. */
	assert_int_equal(journal_count(p, NULL), 1);
	assert_int_equal(journal_count(p, "operation=enumerate"), 1);

	DPCTL(p, &r, "wait", "DP02", "--mode", "on", "--timeout", "0s");
	expect_status(&r, 0);
	assert_string_equal(r.out, "DP02.contoso.com: maintenance on\n");
	assert_string_equal(r.err, "");
	run_free(&r);

	/* The meaning is in --help. */
	DPCTL(p, &r, "wait", "--help");
	expect_status(&r, 0);
	assert_true(contains(r.out, "0: check once"));
	run_free(&r);
}

/* -v adds a detail line to every failure, whatever its kind. */
static void verbose_details_for_every_failure(void **state)
{
	struct dpsim_proc *p = *state;
	const char *const list[] = { "-v", "--retries", "1", "list", NULL };
	char url[64];
	struct run r;

	snprintf(url, sizeof(url), "http://127.0.0.1:%d%s", free_port(),
		 EP_PATH);
	run_dpctl(url, "lab", "lab", list, &r);
	expect_status(&r, 3);
	assert_true(contains(r.err, "  DPC_E_TRANSPORT: http status -, "
			     "subcode -, attempts 2\n"));
	assert_true(contains(r.err, "  transport: "));
	run_free(&r);

	/* A provider's fault, and an HTTP refusal, say theirs too. */
	DPCTL(p, &r, "-v", "status", "NOPE");
	expect_status(&r, 1);
	assert_true(contains(r.err, "  DPC_E_NOT_FOUND: http status 200, "
			     "subcode -, attempts 1\n"));
	run_free(&r);
	DPCTL_AS(p, "nobody", &r, "-v", "list");
	expect_status(&r, 3);
	assert_true(contains(r.err, "  DPC_E_AUTH: http status 401, "
			     "subcode -, attempts 1\n"));
	run_free(&r);
}

/* Checks the one-line stderr and the {"error"} object of a usage error. */
static void expect_usage_json(const struct run *r)
{
	json_t *j = parse_json(r->out), *e = json_object_get(j, "error");
	const char *msg;
	const char *nl = strchr(r->err, '\n');

	assert_int_equal(json_object_size(j), 1);
	assert_true(json_is_object(e));
	assert_string_equal(jstr(e, "code"), "DPC_E_USAGE");
	msg = jstr(e, "message");
	assert_true(strlen(msg) > 0);
	/* The same sentence on stderr, one line. */
	assert_true(strncmp(r->err, "dpctl: ", 7) == 0);
	assert_non_null(nl);
	assert_string_equal(nl + 1, "");
	assert_true(contains(r->err, msg));
	jnull(e, "hresult");
	jnull(e, "hresult_name");
	jnull(e, "http_status");
	jnull(e, "transport");
	jnull(e, "subcode");
	jnull(e, "sms_status");
	assert_true(json_is_false(json_object_get(e, "return_value")));
	json_decref(j);
}

static void json_usage_errors(void **state)
{
	static const char *const cases[][9] = {
		{ "--json", NULL },
		{ "--json", "bogus", NULL },
		{ "--frobnicate", "--json", "list", NULL },
		{ "--json", "list", "extra", NULL },
		{ "status", "--json", NULL },
		{ "--json", "maintenance", "sideways", "DP01", NULL },
		{ "--json", "invoke", "--nal", DP01_NAL, "--mode", "2", NULL },
		{ "--json", "invoke", "--mode", "1", NULL },
		{ "--json", "invoke", "--nal", NULL },
		{ "--json", "wait", "DP01", NULL },
		{ "--json", "wait", "DP01", "--mode", "1", "--timeout", "soon",
		  NULL },
		{ "--json", "--auth", "kerberos", "list", NULL },
		{ "--json", "--retries", "x", "list", NULL },
		{ "--json", "--timeout", "0", "list", NULL },
		{ "-e", "ftp://127.0.0.1/wsman", "--json", "list", NULL },
		{ "--json", "sim", "fault", "add", NULL },
		{ "--json", "sim", "nonsense", NULL },
		{ "--json", "sim", "journal", "--limit", "x", NULL },
	};
	struct dpsim_proc *p = *state;
	struct run r, plain;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *argv[9];
		size_t n = 0;
		bool e = strcmp(cases[i][0], "-e") == 0;

		run_dpctl(e ? NULL : ep(p), "lab", "lab", cases[i], &r);
		if (r.status != 2)
			fprintf(stderr, "case %zu (%s %s)\n", i, cases[i][0],
				cases[i][1] ? cases[i][1] : "");
		expect_status(&r, 2);
		expect_usage_json(&r);

		/* Without --json: the same line, the same status, no JSON. */
		for (const char *const *a = cases[i]; *a; a++)
			if (strcmp(*a, "--json") != 0)
				argv[n++] = *a;
		argv[n] = NULL;
		run_dpctl(e ? NULL : ep(p), "lab", "lab", argv, &plain);
		expect_status(&plain, 2);
		assert_string_equal(plain.out, "");
		assert_string_equal(plain.err, r.err);
		run_free(&plain);
		run_free(&r);
	}
	expect_modes(p, 0, 1, 0, 0, 0);
}

/* A method the library does not know to be idempotent, as dpctl invoke
 * arguments after "-c": CancelDistribution over WS-Man (dpsim has no such
 * method, but a fault rule matches the call before the provider looks);
 * over the AdminService, whose route must know the method to take the
 * call, SMS_DistributionPoint.SetDPMaintenanceMode, which the library
 * sends as any method of that class: once. */
#define GENERIC_INVOKE                                                   \
	(admin ? (const char *const[]){ "SMS_DistributionPoint", "-M",    \
		  "SetDPMaintenanceMode", "-P", "NALPath=" DP01_NAL,      \
		  "-U", "Mode=1", NULL }                                  \
	       : (const char *const[]){ "SMS_DistributionPointInfo", "-M", \
		  "CancelDistribution", "-P", "PackageId=PS100001",       \
		  "-P", "NALPath=" DP01_NAL, NULL })
#define GENERIC_METHOD (admin ? "SetDPMaintenanceMode" : "CancelDistribution")
#define GENERIC_CLASS (admin ? "SMS_DistributionPoint" \
			     : "SMS_DistributionPointInfo")

/* dpctl PRE... invoke -c TAIL... (TAIL: GENERIC_INVOKE). */
static void run_generic_invoke(struct dpsim_proc *p, const char *const *pre,
			       const char *const *tail, struct run *r)
{
	const char *argv[MAX_ARGS];
	size_t n = 0;

	for (; *pre; pre++)
		argv[n++] = *pre;
	argv[n++] = "invoke";
	argv[n++] = "-c";
	for (; *tail; tail++)
		argv[n++] = *tail;
	argv[n] = NULL;
	run_dpctl(ep(p), "lab", "lab", argv, r);
}

/* A rule on the generic method: "{"...,"method":M,"class":C, rest}". */
static void add_generic_rule(struct dpsim_proc *p, const char *rest)
{
	char rule[300];

	snprintf(rule, sizeof(rule), "{\"operation\":\"invoke\","
		 "\"class\":\"%s\",\"method\":\"%s\",%s}", GENERIC_CLASS,
		 GENERIC_METHOD, rest);
	add_fault_rule_or_skip(p, rule);
}

/* A timeout on a generic method: the server may have run it, so it is
 * sent once. Over WS-Man dpsim answers w:TimedOut after dpctl's own 2 s
 * OperationTimeout; a REST request has no OperationTimeout, so over the
 * AdminService dpctl's own 2 s HTTP timeout ends the wait. */
static void generic_invoke_not_retried_after_timeout(void **state)
{
	static const char *const pre[] = { "--site", "PS1", "--timeout", "2s",
					   "--json", NULL };
	struct dpsim_proc *p = *state;
	char query[80];
	struct run r;
	json_t *j, *e;

	add_generic_rule(p, "\"effect\":\"timeout\",\"times\":1");
	journal_clear(p);
	run_generic_invoke(p, pre, GENERIC_INVOKE,
			   &r);
	expect_status(&r, 3);
	j = parse_json(r.out);
	e = json_object_get(j, "error");
	assert_string_equal(jstr(e, "code"), "DPC_E_TRANSPORT");
	if (admin) {
		jnull(e, "subcode");
		jnull(e, "hresult");
		assert_true(contains(jstr(e, "transport"), "timed out"));
	} else {
		assert_string_equal(jstr(e, "subcode"), "w:TimedOut");
		assert_string_equal(jstr(e, "hresult_name"),
				    "ERROR_WSMAN_OPERATION_TIMEDOUT");
		assert_true(contains(r.err, "ERROR_WSMAN_OPERATION_TIMEDOUT"));
	}
	json_decref(j);
	run_free(&r);
	if (admin) {
		/* dpsim journals the timed-out call when it answers (60 s
		 * on); a second send would have reached the provider by
		 * now, past the retired rule. */
		json_t *rules = control_call(p, "GET", "faults", NULL, 200);
		json_t *rule = json_array_get(json_object_get(rules, "faults"),
					      0);

		assert_int_equal(jint(rule, "fired"), 1);
		assert_int_equal(jint(rule, "matched"), 1);
		json_decref(rules);
		assert_int_equal(journal_count(p, "result=ok"), 0);
		return;
	}
	snprintf(query, sizeof(query), "method=%s", GENERIC_METHOD);
	assert_int_equal(journal_count(p, query), 1);
	assert_int_equal(journal_count(p, "result=timeout"), 1);
	assert_int_equal(journal_count(p, NULL), 1);
}

/* SetDPMaintenanceMode is idempotent: after a w:TimedOut (over the
 * AdminService: an HTTP 504, its REST form) it is sent again and
 * succeeds, through invoke and through maintenance alike. */
static void set_mode_retried_after_timeout(void **state)
{
	const char *rule = admin
		? "{\"operation\":\"invoke\",\"method\":\"SetDPMaintenanceMode\","
		  "\"effect\":\"http\",\"http_status\":504,\"times\":1}"
		: "{\"operation\":\"invoke\",\"method\":\"SetDPMaintenanceMode\","
		  "\"effect\":\"timeout\",\"times\":1}";
	const char *failed = admin ? "method=SetDPMaintenanceMode&result=http"
				   : "method=SetDPMaintenanceMode"
				     "&result=timeout";
	struct dpsim_proc *p = *state;
	struct run r;
	json_t *j;

	add_fault_rule_or_skip(p, rule);
	journal_clear(p);
	DPCTL(p, &r, "--site", "PS1", "--timeout", "2s", "--json", "invoke",
	      "--nal", DP01_NAL, "--mode", "1");
	expect_status(&r, 0);
	j = parse_json(r.out);
	assert_int_equal(jint(j, "return_value"), 0);
	jnull(j, "error");
	json_decref(j);
	run_free(&r);
	assert_int_equal(journal_count(p, "method=SetDPMaintenanceMode"), 2);
	assert_int_equal(journal_count(p, failed), 1);
	assert_int_equal(journal_count(p, "method=SetDPMaintenanceMode"
				       "&result=ok"), 1);
	assert_int_equal(wsman_read_mode(p, "DP01.contoso.com"), 1);

	add_fault_rule_or_skip(p, rule);
	journal_clear(p);
	DPCTL(p, &r, "--site", "PS1", "--timeout", "2s", "maintenance", "on",
	      "PXE01");
	expect_status(&r, 0);
	assert_string_equal(r.out, "PXE01.contoso.com: maintenance on "
			    "(was off)\n");
	run_free(&r);
	assert_int_equal(journal_count(p, "method=SetDPMaintenanceMode"), 2);
	assert_int_equal(wsman_read_mode(p, "PXE01.contoso.com"), 1);
}

/* What may not be retried: a connection lost after the request went out
 * (not even by libcurl's silent resend on a reused connection). What
 * must still be: a 503 before anything ran. */
static void generic_invoke_drop_and_503(void **state)
{
	static const char *const none[] = { NULL };
	static const char *const pre[] = { "--site", "PS1", "--json", NULL };
	struct dpsim_proc *p = *state;
	char query[80];
	struct run r;

	snprintf(query, sizeof(query), "method=%s", GENERIC_METHOD);
	/* A resend would get past the retired rule to the provider, and be
	 * journaled. */
	add_generic_rule(p, "\"effect\":\"drop\",\"times\":1");
	journal_clear(p);
	/* No --site: discovery first, so the invoke reuses a connection. */
	run_generic_invoke(p, none, GENERIC_INVOKE, &r);
	expect_status(&r, 3);
	run_free(&r);
	assert_true(journal_count(p, "operation=enumerate") >= 1);
	assert_int_equal(journal_count(p, query), 1);
	assert_int_equal(journal_count(p, "result=drop"), 1);

	add_generic_rule(p, "\"effect\":\"http\",\"http_status\":503,"
			 "\"times\":1");
	journal_clear(p);
	run_generic_invoke(p, pre, GENERIC_INVOKE, &r);
	if (admin) {
		/* Past the 503, the call. */
		expect_status(&r, 0);
		assert_int_equal(wsman_read_mode(p, "DP01.contoso.com"), 1);
	} else {
		/* Past the 503, dpsim's answer: the class has no such
		 * method. */
		expect_status(&r, 1);
		assert_true(contains(r.err, "WBEM_E_INVALID_METHOD"));
	}
	run_free(&r);
	assert_int_equal(journal_count(p, query), 2);
	assert_int_equal(journal_count(p, "result=http"), 1);
}

/* Pumps bg's output until the journal matches want (a count of query), or
 * fails the test after a generous limit. */
static void bg_until_journal(struct bg *b, struct dpsim_proc *p,
			     const char *query, long long want)
{
	long long deadline = harness_now_ms() + 60000;

	while (journal_count(p, query) < want) {
		if (harness_now_ms() > deadline || b->fd[0] < 0) {
			bg_finish(b, harness_now_ms());
			fail_msg("journal never reached %lld for %s:\n%s",
				 want, query, b->text[1]);
		}
		/* Waits on dpctl's pipes, which also drains them. */
		bg_pump(b, harness_now_ms() + 50, "\x01");
	}
}

/* wait looks the DP up once (one WQL Enumerate), then reads it by its keys
 * (Gets) until it changes. */
static void wait_resolves_once_then_gets(void **state)
{
	struct dpsim_proc *p = *state;
	const char *const argv[] = {
		DPCTL_BIN, "-e", ep(p), "--site", "PS1", "--json", "wait",
		"DP01.contoso.com", "--mode", "1", "--timeout", "120s",
		"--interval", "50ms", NULL,
	};
	struct bg b;
	json_t *j;

	journal_clear(p);
	bg_start(&b, argv);
	bg_until_journal(&b, p, "operation=get", 3);
	raw_set_dp01(p, 1);
	assert_int_equal(bg_finish(&b, harness_now_ms() + 60000), 0);
	j = parse_json(b.text[0]);
	assert_true(json_is_true(json_object_get(j, "reached")));
	assert_int_equal(jint(j, "current_mode"), 1);
	assert_string_equal(jstr(j, "name"), "DP01.contoso.com");
	assert_string_equal(jstr(j, "nalpath"), DP01_NAL);
	json_decref(j);
	bg_free(&b);

	assert_int_equal(journal_count(p, "operation=enumerate"), 1);
	assert_true(journal_count(p, "operation=get") >= 3);
	assert_int_equal(journal_count(p, "operation=get&class="
				       "SMS_DistributionPointInfo&result=ok"),
			 journal_count(p, "operation=get"));
	assert_int_equal(journal_count(p, "operation=invoke"), 1);
	assert_int_equal(journal_count(p, NULL),
			 2 + journal_count(p, "operation=get"));
}

/* A Get that says "not found" sends wait back to the lookup, once. */
static void wait_re_resolves_after_not_found(void **state)
{
	struct dpsim_proc *p = *state;
	const char *const argv[] = {
		DPCTL_BIN, "-e", ep(p), "--site", "PS1", "--json", "wait",
		"DP01.contoso.com", "--mode", "1", "--timeout", "120s",
		"--interval", "50ms", NULL,
	};
	struct bg b;
	json_t *j;

	add_fault_rule_or_skip(p, "{\"operation\":\"get\",\"effect\":\"fault\","
			       "\"hresult\":\"WBEM_E_NOT_FOUND\",\"times\":1}");
	journal_clear(p);
	bg_start(&b, argv);
	/* The failed Get, the second lookup, then Gets that work. */
	bg_until_journal(&b, p, "operation=get&result=ok", 2);
	raw_set_dp01(p, 1);
	assert_int_equal(bg_finish(&b, harness_now_ms() + 60000), 0);
	j = parse_json(b.text[0]);
	assert_true(json_is_true(json_object_get(j, "reached")));
	json_decref(j);
	bg_free(&b);
	assert_int_equal(journal_count(p, "operation=enumerate"), 2);
	assert_int_equal(journal_count(p, "operation=get&result=fault"), 1);
}

/* ---- the AdminService only ---------------------------------------------- */

/* The protocol follows the endpoint's path; --protocol overrides it; the
 * journal says which protocol each call came over. */
static void endpoint_rule(void **state)
{
	static const char *const status[] = { "--site", "PS1", "status",
					      "DP01.contoso.com", NULL };
	static const char *const forced[] = { "--protocol", "adminservice",
					      "--site", "PS1", "status",
					      "DP01.contoso.com", NULL };
	static const char *const wsman[] = { "--protocol", "WSMAN", "--site",
					     "PS1", "status",
					     "DP01.contoso.com", NULL };
	static const char *const bogus[] = { "--protocol", "rest", "list",
					     NULL };
	struct dpsim_proc *p = *state;
	char base[160], url[200];
	struct run r;

	dpsim_base(p, base, sizeof(base));
	/* The path in any case, with or without a trailing slash. */
	for (size_t i = 0; i < 3; i++) {
		static const char *const paths[] = {
			"/AdminService", "/adminservice/", "/ADMINSERVICE",
		};

		snprintf(url, sizeof(url), "%s%s", base, paths[i]);
		journal_clear(p);
		run_dpctl(url, "lab", "lab", status, &r);
		expect_status(&r, 0);
		assert_true(contains(r.out, "name:             "
				     "DP01.contoso.com\n"));
		run_free(&r);
		assert_int_equal(journal_count(p, "protocol=adminservice"), 1);
		assert_int_equal(journal_count(p, NULL), 1);
	}
	/* --protocol adminservice: the /wsman endpoint's host and port, or
	 * one without a path. */
	for (size_t i = 0; i < 2; i++) {
		journal_clear(p);
		run_dpctl(i ? base : p->url, "lab", "lab", forced, &r);
		expect_status(&r, 0);
		run_free(&r);
		assert_int_equal(journal_count(p, "protocol=adminservice"), 1);
		assert_int_equal(journal_count(p, NULL), 1);
	}
	/* --protocol wsman (any case) and a /wsman endpoint. */
	journal_clear(p);
	run_dpctl(p->url, "lab", "lab", wsman, &r);
	expect_status(&r, 0);
	run_free(&r);
	assert_int_equal(journal_count(p, "protocol=wsman"), 1);
	assert_int_equal(journal_count(p, NULL), 1);
	/* An unknown one is a usage error. */
	run_dpctl(p->url, "lab", "lab", bogus, &r);
	expect_status(&r, 2);
	assert_string_equal(r.err, "dpctl: invalid value for --protocol: "
			    "'rest'\n");
	run_free(&r);
	/* After "sim", --protocol is the journal's filter. */
	{
		static const char *const sim[] = {
			"--json", "sim", "journal", "--protocol",
			"adminservice", NULL,
		};
		json_t *j;

		run_dpctl(p->url, NULL, NULL, sim, &r);
		expect_status(&r, 0);
		j = parse_json(r.out);
		assert_true(json_array_size(json_object_get(j, "entries")) == 0);
		json_decref(j);
		run_free(&r);
	}
}

/* Replaces each occurrence of from in *text by to. */
static void replace_all(char **text, const char *from, const char *to)
{
	char *hit;
	size_t nf = strlen(from), nt = strlen(to);

	while ((hit = strstr(*text, from))) {
		size_t head = (size_t)(hit - *text);
		char *n = malloc(strlen(*text) - nf + nt + 1);

		assert_non_null(n);
		memcpy(n, *text, head);
		memcpy(n + head, to, nt);
		snprintf(n + head + nt, strlen(*text) - head - nf + 1, "%s",
			 hit + nf);
		free(*text);
		*text = n;
	}
}

/* dpctl args as user over WS-Man into *w, over the AdminService into *a,
 * each endpoint written ENDPOINT in the output. */
static void run_both(struct dpsim_proc *p, const char *user,
		     const char *const *args, bool wsman, struct run *r)
{
	const char *url = wsman ? p->url : ep(p);

	run_dpctl(url, user, user, args, r);
	replace_all(&r->out, url, "ENDPOINT");
	replace_all(&r->err, url, "ENDPOINT");
}

static void expect_same(const char *const *args, const struct run *w,
			const struct run *a)
{
	if (w->status != a->status || strcmp(w->out, a->out) ||
	    strcmp(w->err, a->err)) {
		fprintf(stderr, "dpctl");
		for (; *args; args++)
			fprintf(stderr, " %s", *args);
		fprintf(stderr, "\n--- WS-Man: exit %d\n%s---\n%s--- "
			"AdminService: exit %d\n%s---\n%s---\n", w->status,
			w->out, w->err, a->status, a->out, a->err);
	}
	assert_int_equal(w->status, a->status);
	assert_string_equal(w->out, a->out);
	assert_string_equal(w->err, a->err);
}

/* The same command over both protocols: the same exit status, stdout and
 * stderr, byte for byte (but the endpoint). */
static void same_output(struct dpsim_proc *p, const char *user,
			const char *const *args)
{
	struct run w, a;

	run_both(p, user, args, true, &w);
	run_both(p, user, args, false, &a);
	expect_same(args, &w, &a);
	run_free(&w);
	run_free(&a);
}

/* A change and its undoing, over WS-Man, then over the AdminService:
 * each step says the same over both. */
static void same_change(struct dpsim_proc *p, const char *const *change,
			const char *const *undo)
{
	struct run w1, w2, a1, a2;

	run_both(p, "lab", change, true, &w1);
	run_both(p, "lab", undo, true, &w2);
	run_both(p, "lab", change, false, &a1);
	run_both(p, "lab", undo, false, &a2);
	expect_same(change, &w1, &a1);
	expect_same(undo, &w2, &a2);
	run_free(&w1);
	run_free(&w2);
	run_free(&a1);
	run_free(&a2);
}

#define SAME(user, ...)                                                    \
	do {                                                                \
		const char *const args_[] = { __VA_ARGS__, NULL };          \
		same_output(p, user, args_);                                \
	} while (0)
#define LIST(...) ((const char *const[]){ __VA_ARGS__, NULL })

/* One dpsim, both protocols: every command's output, errors included. */
static void same_output_over_both_protocols(void **state)
{
	struct dpsim_proc *p = *state;

	SAME("lab", "list");
	SAME("lab", "--json", "list");
	SAME("lab", "status", "DP01");
	SAME("lab", "--json", "status", "dp02");
	SAME("lab", "--json", "status", DP03_NAL);
	SAME("lab", "status", "\\\\PXE01.contoso.com\\");
	SAME("lab", "status", "DP0");
	SAME("lab", "--json", "status", "nope.contoso.com");
	SAME("lab", "chain", "DP01");
	SAME("lab", "--json", "chain", "PULLDP01");
	SAME("lab", "query", "SELECT * FROM SMS_DistributionPointInfo "
	     "WHERE Name = 'DP02.contoso.com'");
	SAME("lab", "--json", "query", "SELECT name, MaintenanceMode FROM "
	     "SMS_DistributionPointInfo WHERE MaintenanceMode = 1 OR "
	     "(Name LIKE '%.branch.contoso.com' AND NOT IsPullDP = TRUE)");
	SAME("lab", "--json", "query", "--namespace", "root\\sms",
	     "SELECT * FROM SMS_ProviderLocation");
	SAME("lab", "--json", "invoke", "-c", "SMS_DistributionPointInfo",
	     "-M", "GetChainedPullDPs", "-P", "SourceDPNALPath=" DP01_NAL);
	SAME("lab", "site");
	SAME("lab", "--json", "site");
	SAME("lab", "wait", "DP02", "--mode", "1", "--timeout", "0");
	/* (Not --json: elapsed_ms is the clock's.) */
	SAME("lab", "wait", "DP01", "--mode", "on", "--timeout", "0");
	/* Refusals: the provider's, with its HRESULT and message. */
	SAME("analyst", "maintenance", "on", "DP01", "DP02");
	SAME("analyst", "invoke", "--nal", DP01_NAL, "--mode", "1");
	SAME("lab", "invoke", "--nal", "[\"Display=\\\\NOPE\\\"]", "--mode",
	     "1");
	SAME("lab", "invoke", "-c", "SMS_DistributionPointInfo", "-M",
	     "SetDPMaintenanceMode", "-P", "NALPath=" DP01_NAL, "-U", "Mode=2");
	/* Authentication: the endpoint is the only difference. */
	SAME("nobody", "list");
	SAME("nobody", "--json", "status", "DP01");

	/* Changes, and their undoing. */
	same_change(p, LIST("maintenance", "on", "DP01", "DP02", "NOPE"),
		    LIST("maintenance", "off", "DP01"));
	same_change(p, LIST("--json", "invoke", "--nal", DP03_NAL, "--mode",
			    "1"),
		    LIST("--json", "invoke", "--nal", DP03_NAL, "--mode",
			 "0"));
	same_change(p, LIST("--json", "maintenance", "on", "PXE01"),
		    LIST("maintenance", "off", "PXE01"));

	/* A fault rule's HRESULT (the rule fires once per protocol: the
	 * message names it), and a rule's ReturnValue. */
	add_fault_rule_or_skip(p, "{\"method\":\"SetDPMaintenanceMode\","
			       "\"effect\":\"fault\",\"hresult\":"
			       "\"WBEM_E_PROVIDER_FAILURE\",\"times\":2}");
	SAME("lab", "maintenance", "on", "DP01");
	add_fault_rule_or_skip(p, "{\"method\":\"SetDPMaintenanceMode\","
			       "\"effect\":\"return\",\"hresult\":"
			       "\"0x80041001\",\"times\":2}");
	SAME("lab", "--json", "maintenance", "on", "DP03");
	add_fault_rule_or_skip(p, "{\"method\":\"GetChainedPullDPs\","
			       "\"effect\":\"return\",\"hresult\":"
			       "\"WBEM_E_FAILED\",\"times\":2}");
	SAME("lab", "--json", "chain", "DP01");
	add_fault_rule_or_skip(p, "{\"operation\":\"enumerate\","
			       "\"effect\":\"fault\",\"hresult\":"
			       "\"WBEM_E_ACCESS_DENIED\",\"times\":2}");
	SAME("lab", "--site", "PS1", "status", "DP01");
	/* Nothing changed in the end. */
	expect_modes(p, 0, 1, 0, 0, 0);
}

/* dpsim --adminservice-denied 403: the refusal is the provider's all the
 * same, exit 1 with its HRESULT; a 403 without one would be exit 3. */
static int start_denied_403(void **state)
{
	static const char *const args[] = { "--adminservice-denied", "403",
					    NULL };

	return harness_start_with(state, args);
}

static void access_refusal_as_403(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;
	json_t *j, *e;

	DPCTL_AS(p, "analyst", &r, "--json", "invoke", "--nal", DP02_NAL,
		 "--mode", "0");
	expect_status(&r, 1);
	j = parse_json(r.out);
	e = json_object_get(j, "error");
	expect_fault_json(e, "0x80041003", "WBEM_E_ACCESS_DENIED", 403);
	assert_true(contains(jstr(e, "message"), "analyst"));
	json_decref(j);
	assert_true(contains(r.err, "dpctl: SMS_DistributionPointInfo."
			     "SetDPMaintenanceMode: WBEM_E_ACCESS_DENIED "
			     "(0x80041003): User 'analyst'"));
	run_free(&r);
}

/* ---- the recorded answers of tests/unit/test_dpc_odata.c ---------------- */

/* Each file of tests/unit/data/adminservice/ and the request that gets
 * it from a fresh dpsim with the bundled lab. The files say
 * http://127.0.0.1:5985 where dpsim says its own port. */
static const struct recorded {
	const char *file;
	const char *rule;	/* fault rule added first, or NULL */
	const char *user;	/* NULL: no credentials */
	const char *path;	/* after /AdminService/wmi/ */
	const char *body;	/* POST's JSON, or NULL: GET */
	long status;
} recorded[] = {
	{ "dp01.json", NULL, "lab", "SMS_DistributionPointInfo?$filter="
	  "Name%20eq%20%27DP01.contoso.com%27", NULL, 200 },
	{ "dp0_prefix.json", NULL, "lab", "SMS_DistributionPointInfo?$filter="
	  "startswith(Name,%27DP0%27)", NULL, 200 },
	{ "dp02_key.json", NULL, "lab", "SMS_DistributionPointInfo(NALPath="
	  "%27%5B%22Display%3D%5C%5CDP02.contoso.com%5C%22%5DMSWNET%3A%5B%22"
	  "SMS_SITE%3DPS1%22%5D%5C%5CDP02.contoso.com%5C%27,ResourceType="
	  "%27Windows%20NT%20Server%27,SiteCode=%27PS1%27)", NULL, 200 },
	{ "provider_location.json", NULL, "lab", "SMS_ProviderLocation", NULL,
	  200 },
	{ "service.json", NULL, "lab", "", NULL, 200 },
	{ "set_mode.json", NULL, "lab", "SMS_DistributionPointInfo."
	  "SetDPMaintenanceMode", "{\"NALPath\":\"" "[\\\"Display=\\\\\\\\DP01"
	  ".contoso.com\\\\\\\"]MSWNET:[\\\"SMS_SITE=PS1\\\"]\\\\\\\\DP01."
	  "contoso.com\\\\\",\"Mode\":0}", 200 },
	{ "chain.json", NULL, "lab", "SMS_DistributionPointInfo."
	  "GetChainedPullDPs", "{\"SourceDPNALPath\":\"" "[\\\"Display=\\\\"
	  "\\\\DP01.contoso.com\\\\\\\"]MSWNET:[\\\"SMS_SITE=PS1\\\"]\\\\\\\\"
	  "DP01.contoso.com\\\\\"}", 200 },
	{ "chain_empty.json", NULL, "lab", "SMS_DistributionPointInfo."
	  "GetChainedPullDPs", "{\"SourceDPNALPath\":\"" "[\\\"Display=\\\\"
	  "\\\\DP02.contoso.com\\\\\\\"]MSWNET:[\\\"SMS_SITE=PS1\\\"]\\\\\\\\"
	  "DP02.contoso.com\\\\\"}", 200 },
	{ "return_value.json", "{\"method\":\"SetDPMaintenanceMode\","
	  "\"effect\":\"return\",\"hresult\":\"0x80041001\",\"times\":1}",
	  "lab", "SMS_DistributionPointInfo.SetDPMaintenanceMode",
	  "{\"NALPath\":\"x\",\"Mode\":1}", 200 },
	{ "return_value_sint32.json", "{\"method\":\"GetChainedPullDPs\","
	  "\"effect\":\"return\",\"hresult\":\"0x80041001\",\"times\":1}",
	  "lab", "SMS_DistributionPointInfo.GetChainedPullDPs",
	  "{\"SourceDPNALPath\":\"x\"}", 200 },
	{ "error_not_found.json", NULL, "lab", "SMS_DistributionPointInfo."
	  "SetDPMaintenanceMode", "{\"NALPath\":\"nope\",\"Mode\":1}", 404 },
	{ "error_access_denied.json", NULL, "analyst",
	  "SMS_DistributionPointInfo.SetDPMaintenanceMode",
	  "{\"NALPath\":\"nope\",\"Mode\":1}", 404 },
	{ "error_invalid_parameter.json", NULL, "lab",
	  "SMS_DistributionPointInfo.SetDPMaintenanceMode",
	  "{\"NALPath\":\"nope\",\"Mode\":2}", 400 },
	{ "error_rule_fault.json", "{\"method\":\"SetDPMaintenanceMode\","
	  "\"effect\":\"fault\",\"hresult\":\"WBEM_E_PROVIDER_FAILURE\","
	  "\"times\":1}", "lab", "SMS_DistributionPointInfo."
	  "SetDPMaintenanceMode", "{\"NALPath\":\"nope\",\"Mode\":1}", 500 },
	{ "error_no_class.json", NULL, "lab", "SMS_Nothing", NULL, 404 },
	{ "error_bad_option.json", NULL, "lab", "SMS_DistributionPointInfo?"
	  "$filter=Name%20EQ%20%27x%27", NULL, 400 },
	{ "error_401.json", NULL, NULL, "SMS_DistributionPointInfo", NULL,
	  401 },
	{ "error_timeout.json", "{\"method\":\"SetDPMaintenanceMode\","
	  "\"effect\":\"http\",\"http_status\":504,\"times\":1}", "lab",
	  "SMS_DistributionPointInfo.SetDPMaintenanceMode",
	  "{\"NALPath\":\"nope\",\"Mode\":1}", 504 },
};

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;
	size_t len = 0;

	if (!f)
		return NULL;
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	len = (size_t)ftell(f);
	rewind(f);
	text = malloc(len + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, len, f), len);
	text[len] = '\0';
	fclose(f);
	return text;
}

/* With DPCTL_RECORD=1 in the environment, (re)writes the files instead. */
static void recorded_answers_are_what_dpsim_sends(void **state)
{
	struct dpsim_proc *p = *state;
	bool record = getenv("DPCTL_RECORD") &&
		      strcmp(getenv("DPCTL_RECORD"), "1") == 0;
	char base[160], url[1024], path[512], host[64];
	size_t n;

	dpsim_base(p, base, sizeof(base));
	n = strlen("http://");
	snprintf(host, sizeof(host), "%s", base + n);
	for (size_t i = 0; i < sizeof(recorded) / sizeof(recorded[0]); i++) {
		const struct recorded *c = &recorded[i];
		const char *auth[2] = { NULL, NULL };
		char hdr[128];
		struct http_reply r;
		char *want;

		if (c->rule)
			add_fault_rule_or_skip(p, c->rule);
		snprintf(url, sizeof(url), "%s/AdminService/wmi/%s", base,
			 c->path);
		if (c->user) {
			snprintf(hdr, sizeof(hdr), "Authorization: Basic %s",
				 strcmp(c->user, "lab") == 0
				 ? "bGFiOmxhYg==" : "YW5hbHlzdDphbmFseXN0");
			auth[0] = hdr;
		}
		if (c->body)
			assert_int_equal(http_post(url, c->user, c->user,
						   "application/json", c->body,
						   strlen(c->body), &r), 0);
		else
			assert_int_equal(http_request("GET", url, auth, NULL,
						      0, &r), 0);
		if (r.status != c->status)
			fprintf(stderr, "%s: HTTP %ld: %s\n", c->file,
				r.status, r.body);
		assert_int_equal(r.status, c->status);
		assert_true(strncmp(r.content_type, "application/json",
				    16) == 0);
		replace_all(&r.body, host, "127.0.0.1:5985");
		snprintf(path, sizeof(path), "%s/tests/unit/data/adminservice/"
			 "%s", SOURCE_ROOT, c->file);
		if (record) {
			FILE *f = fopen(path, "wb");

			assert_non_null(f);
			assert_int_equal(fwrite(r.body, 1, strlen(r.body), f),
					 strlen(r.body));
			assert_int_equal(fclose(f), 0);
		} else {
			want = read_text(path);
			if (!want)
				fail_msg("%s is missing: run with "
					 "DPCTL_RECORD=1", path);
			if (strcmp(want, r.body))
				fprintf(stderr, "%s differs; dpsim says:\n%s\n",
					c->file, r.body);
			assert_string_equal(want, r.body);
			free(want);
		}
		http_reply_free(&r);
	}
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, harness_start, harness_stop)
		T(list_table),
		T(list_json),
		T(status_by_fqdn_short_name_and_nal_path),
		T(status_of_unknown_dp),
		T(maintenance_several_dps_json),
		T(maintenance_text_and_skip),
		T(invoke_sets_mode),
		T(invoke_generic_method),
		T(query_wql),
		T(query_errors),
		T(wait_already_in_mode),
		T(wait_times_out),
		T(wait_sees_a_change),
		T(identify),
		T(site),
		cmocka_unit_test_setup_teardown(
			ambiguous_short_name_and_other_site, start_twins, harness_stop),
		T(wmi_fault_shape),
		T(return_value_shape),
		T(analyst_is_refused),
		T(wrong_password_is_exit_3),
		T(ntlm_over_each_protocol),
		cmocka_unit_test(unreachable_endpoint_is_exit_3_fast),
		T(tls_to_plain_listener_is_exit_3),
		T(dp_appears_after_a_retry),
		T(usage_errors_are_exit_2),
		cmocka_unit_test(help_and_version),
		T(example_status),
		T(wait_timeout_zero_checks_once),
		T(verbose_details_for_every_failure),
		T(json_usage_errors),
		T(generic_invoke_not_retried_after_timeout),
		T(set_mode_retried_after_timeout),
		T(generic_invoke_drop_and_503),
		T(wait_resolves_once_then_gets),
		T(wait_re_resolves_after_not_found),
	};
	const struct CMUnitTest admin_only[] = {
		T(endpoint_rule),
		T(same_output_over_both_protocols),
		cmocka_unit_test_setup_teardown(access_refusal_as_403,
			start_denied_403, harness_stop),
		T(recorded_answers_are_what_dpsim_sends),
#undef T
	};
	int ret;

	if (argc > 2 || (argc == 2 && strcmp(argv[1], "adminservice") != 0)) {
		fprintf(stderr, "usage: %s [adminservice]\n", argv[0]);
		return 2;
	}
	admin = argc == 2;
	/* The test decides what dpctl sees; nothing leaks in from the
	 * caller's shell. */
	unsetenv("DPCTL_ENDPOINT");
	unsetenv("DPCTL_USER");
	unsetenv("DPCTL_PASSWORD");
	curl_global_init(CURL_GLOBAL_ALL);
	xmlInitParser();
	if (admin) {
		ret = cmocka_run_group_tests_name("dpctl over the AdminService "
						  "(integration)", tests, NULL,
						  NULL);
		ret |= cmocka_run_group_tests_name("dpctl: the AdminService's "
						   "own (integration)",
						   admin_only, NULL, NULL);
	} else {
		ret = cmocka_run_group_tests_name("dpctl over WS-Man "
						  "(integration)", tests, NULL,
						  NULL);
	}
	xmlCleanupParser();
	curl_global_cleanup();
	return ret;
}
