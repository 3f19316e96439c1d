/* dpctl end to end: every test starts its own dpsim on port 0 and runs the
 * built dpctl binary against it the way a shell script would (-e URL,
 * credentials in DPCTL_USER / DPCTL_PASSWORD), checking exit codes, the
 * text on stdout and stderr, and the --json documents parsed with jansson.
 * What dpctl claims to have changed is read back over raw WS-Man, not with
 * dpctl itself. */
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
#define ACT_ENUM "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
#define MAX_ARGS 32

/* ---- fixtures --------------------------------------------------------- */

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
		run_dpctl((p)->url, user, user, args_, r);                  \
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

/* Checks dpctl's error object for a provider's WMI fault. */
static void expect_fault_json(const json_t *e, const char *hresult,
			      const char *name)
{
	assert_true(json_is_object(e));
	assert_string_equal(jstr(e, "code"), "DPC_E_PROVIDER");
	assert_string_equal(jstr(e, "hresult"), hresult);
	assert_string_equal(jstr(e, "hresult_name"), name);
	assert_true(json_is_false(json_object_get(e, "return_value")));
	assert_int_equal(jint(e, "http_status"), 500);
	assert_true(strlen(jstr(e, "message")) > 0);
	assert_true(json_is_string(json_object_get(e, "subcode")));
	jnull(e, "transport");
	assert_non_null(json_object_get(e, "sms_status"));
}

/* ---- reading state back over raw WS-Man -------------------------------- */

static long read_mode(struct dpsim_proc *p, const char *fqdn)
{
	char *body = NULL, *env, *m;
	struct http_reply r;
	long v;

	assert_true(asprintf(&body, "<n:Enumerate><w:OptimizeEnumeration/>"
			     "<w:MaxElements>10</w:MaxElements><w:Filter "
			     "Dialect=\"http://schemas.microsoft.com/wbem/"
			     "wsman/1/WQL\">"
			     "SELECT * FROM SMS_DistributionPointInfo WHERE "
			     "Name = '%s'</w:Filter></n:Enumerate>", fqdn) > 0);
	env = envelope(ACT_ENUM, WMI_NS "/*", NULL, body);
	assert_int_equal(http_post(p->url, "lab", "lab", NULL, env, strlen(env),
				   &r), 0);
	assert_int_equal(r.status, 200);
	assert_int_equal(xpath_count(r.body, "//w:Items/*"), 1);
	m = xpath_text(r.body, "//*[local-name()='MaintenanceMode']");
	assert_non_null(m);
	v = strtol(m, NULL, 10);
	free(m);
	http_reply_free(&r);
	free(env);
	free(body);
	return v;
}

/* The lab's modes at first harness_start, read back in one go. */
static void expect_modes(struct dpsim_proc *p, long dp01, long dp02,
			 long pulldp01, long pxe01, long dp03)
{
	assert_int_equal(read_mode(p, "DP01.contoso.com"), dp01);
	assert_int_equal(read_mode(p, "DP02.contoso.com"), dp02);
	assert_int_equal(read_mode(p, "PULLDP01.contoso.com"), pulldp01);
	assert_int_equal(read_mode(p, "PXE01.contoso.com"), pxe01);
	assert_int_equal(read_mode(p, "DP03.branch.contoso.com"), dp03);
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
	assert_int_equal(read_mode(p, "DP01.contoso.com"), 1);

	/* Text output; -n / -m are the short forms. */
	DPCTL(p, &r, "invoke", "-n", DP01_NAL, "-m", "0");
	expect_status(&r, 0);
	assert_string_equal(r.out, "SMS_DistributionPointInfo."
			    "SetDPMaintenanceMode: ReturnValue 0\n");
	run_free(&r);
	assert_int_equal(read_mode(p, "DP01.contoso.com"), 0);

	/* The same mode twice is a success, not a skip: invoke does not
	 * read first. */
	DPCTL(p, &r, "invoke", "--nal", DP02_NAL, "--mode", "on");
	expect_status(&r, 0);
	run_free(&r);
	assert_int_equal(read_mode(p, "DP02.contoso.com"), 1);
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
	assert_int_equal(read_mode(p, "DP03.branch.contoso.com"), 1);

	DPCTL(p, &r, "--json", "invoke", "-c", "SMS_DistributionPointInfo",
	      "-M", "SetDPMaintenanceMode", "-P", "NALPath=" DP03_NAL,
	      "-U", "Mode=2");
	expect_status(&r, 1);
	j = parse_json(r.out);
	expect_fault_json(json_object_get(j, "error"), "0x80041008",
			  "WBEM_E_INVALID_PARAMETER");
	json_decref(j);
	assert_true(contains(r.err, "WBEM_E_INVALID_PARAMETER (0x80041008)"));
	run_free(&r);
	assert_int_equal(read_mode(p, "DP03.branch.contoso.com"), 1);
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
	expect_status(&r, 1);
	j = parse_json(r.out);
	expect_fault_json(json_object_get(j, "error"), "0x80041017",
			  "WBEM_E_INVALID_QUERY");
	json_decref(j);
	assert_true(contains(r.err, "WBEM_E_INVALID_QUERY (0x80041017)"));
	run_free(&r);

	DPCTL(p, &r, "query", "SELECT * FROM SMS_Nothing");
	expect_status(&r, 1);
	assert_true(contains(r.err, "WBEM_E_INVALID_CLASS (0x80041010)"));
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
		DPCTL_BIN, "-e", p->url, "--verbose", "--json", "wait",
		"DP01.contoso.com", "--mode", "1", "--timeout", "60s",
		"--interval", "100ms", NULL,
	};
	struct bg b;
	struct run r;
	json_t *j;
	long long t0 = harness_now_ms();

	bg_start(&b, argv);
	/* --verbose traces every response: the first one with the DP's
	 * mode 0 in it means the wait has read the old state. */
	if (!bg_pump(&b, t0 + 30000, "MaintenanceMode>0<")) {
		bg_finish(&b, harness_now_ms());
		fail_msg("dpctl wait never read DP01's mode");
	}
	DPCTL(p, &r, "maintenance", "on", "DP01.contoso.com");
	expect_status(&r, 0);
	run_free(&r);
	assert_int_equal(bg_finish(&b, harness_now_ms() + 30000), 0);
	assert_true(harness_now_ms() - t0 < 45000);
	assert_true(contains(b.text[1], "MaintenanceMode>1<"));
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
	assert_string_equal(jstr(j, "protocol_version"),
			    "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd");
	assert_string_equal(jstr(j, "product_vendor"), "Microsoft Corporation");
	assert_true(json_is_string(json_object_get(j, "product_version")));
	json_decref(j);
	run_free(&r);

	/* Identify needs no credentials; WinRM then leaves out the version,
	 * and the key stays, null. */
	run_dpctl(p->url, NULL, NULL, args, &r);
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
	assert_true(contains(r.err, "WBEM_E_INVALID_NAMESPACE (0x8004100E)"));
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
	expect_fault_json(e, "0x80041002", "WBEM_E_NOT_FOUND");
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
	assert_int_equal(read_mode(p, "DP01.contoso.com"), 0);
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
	expect_fault_json(e, "0x80041003", "WBEM_E_ACCESS_DENIED");
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
	assert_int_equal(read_mode(p, "DP02.contoso.com"), 1);
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

	run_dpctl(p->url, "lab", "wrong", list, &r);
	expect_status(&r, 3);
	assert_string_equal(r.out, "");
	assert_true(contains(r.err, "HTTP 401"));
	run_free(&r);

	run_dpctl(p->url, "nosuchuser", "lab", jlist, &r);
	expect_status(&r, 3);
	j = parse_json(r.out);
	e = json_object_get(j, "error");
	assert_string_equal(jstr(e, "code"), "DPC_E_AUTH");
	assert_int_equal(jint(e, "http_status"), 401);
	json_decref(j);
	run_free(&r);

	/* No credentials at all: the same. */
	run_dpctl(p->url, NULL, NULL, list, &r);
	expect_status(&r, 3);
	run_free(&r);

	/* -p works (the environment is the better place, but it works). */
	run_dpctl(p->url, "lab", NULL, with_p, &r);
	expect_status(&r, 0);
	assert_true(contains(r.out, "DP01.contoso.com"));
	run_free(&r);
}

/* Schemes dpsim does not offer fail as authentication, not as a hang or
 * a provider error. */
static void other_auth_schemes_against_basic_only(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;

	DPCTL(p, &r, "--auth", "ntlm", "list");
	expect_status(&r, 3);
	assert_true(contains(r.err, "auth ntlm"));
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

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/wsman", free_port());
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

	assert_true(strncmp(p->url, "http://", 7) == 0);
	snprintf(url, sizeof(url), "https://%s", p->url + 7);
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
			  ? NULL : p->url, "lab", "lab", cases[i], &r);
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
		const char *const argv[] = { bin, p->url, "DP02", NULL };

		st = run_program(argv, env, &out, &err);
		assert_int_equal(st, 0);
		assert_string_equal(out,
				    "DP02.contoso.com: maintenance mode on\n");
		free(out);
		free(err);
	}
	{
		const char *const argv[] = { bin, p->url, "NOPE", NULL };

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

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/wsman", free_port());
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

		run_dpctl(e ? NULL : p->url, "lab", "lab", cases[i], &r);
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
		run_dpctl(e ? NULL : p->url, "lab", "lab", argv, &plain);
		expect_status(&plain, 2);
		assert_string_equal(plain.out, "");
		assert_string_equal(plain.err, r.err);
		run_free(&plain);
		run_free(&r);
	}
	expect_modes(p, 0, 1, 0, 0, 0);
}

/* A w:TimedOut (after dpctl's own 2 s OperationTimeout) on a generic
 * method: the server may have run it, so it is sent once. */
static void generic_invoke_not_retried_after_timeout(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;
	json_t *j, *e;

	add_fault_rule_or_skip(p, "{\"operation\":\"invoke\","
			       "\"method\":\"CancelDistribution\","
			       "\"effect\":\"timeout\",\"times\":1}");
	journal_clear(p);
	DPCTL(p, &r, "--site", "PS1", "--timeout", "2s", "--json", "invoke",
	      "-c", "SMS_DistributionPointInfo", "-M", "CancelDistribution",
	      "-P", "PackageId=PS100001", "-P", "NALPath=" DP01_NAL);
	expect_status(&r, 3);
	j = parse_json(r.out);
	e = json_object_get(j, "error");
	assert_string_equal(jstr(e, "code"), "DPC_E_TRANSPORT");
	assert_string_equal(jstr(e, "subcode"), "w:TimedOut");
	assert_string_equal(jstr(e, "hresult_name"),
			    "ERROR_WSMAN_OPERATION_TIMEDOUT");
	json_decref(j);
	assert_true(contains(r.err, "ERROR_WSMAN_OPERATION_TIMEDOUT"));
	run_free(&r);
	assert_int_equal(journal_count(p, "method=CancelDistribution"), 1);
	assert_int_equal(journal_count(p, "result=timeout"), 1);
	assert_int_equal(journal_count(p, NULL), 1);
}

/* SetDPMaintenanceMode is idempotent: after the same w:TimedOut it is sent
 * again and succeeds, through invoke and through maintenance alike. */
static void set_mode_retried_after_timeout(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;
	json_t *j;

	add_fault_rule_or_skip(p, "{\"operation\":\"invoke\","
			       "\"method\":\"SetDPMaintenanceMode\","
			       "\"effect\":\"timeout\",\"times\":1}");
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
	assert_int_equal(journal_count(p, "method=SetDPMaintenanceMode"
				       "&result=timeout"), 1);
	assert_int_equal(journal_count(p, "method=SetDPMaintenanceMode"
				       "&result=ok"), 1);
	assert_int_equal(read_mode(p, "DP01.contoso.com"), 1);

	add_fault_rule_or_skip(p, "{\"operation\":\"invoke\","
			       "\"method\":\"SetDPMaintenanceMode\","
			       "\"effect\":\"timeout\",\"times\":1}");
	journal_clear(p);
	DPCTL(p, &r, "--site", "PS1", "--timeout", "2s", "maintenance", "on",
	      "PXE01");
	expect_status(&r, 0);
	assert_string_equal(r.out, "PXE01.contoso.com: maintenance on "
			    "(was off)\n");
	run_free(&r);
	assert_int_equal(journal_count(p, "method=SetDPMaintenanceMode"), 2);
	assert_int_equal(read_mode(p, "PXE01.contoso.com"), 1);
}

/* What may not be retried: a connection lost after the request went out
 * (not even by libcurl's silent resend on a reused connection). What
 * must still be: a 503 before anything ran. */
static void generic_invoke_drop_and_503(void **state)
{
	struct dpsim_proc *p = *state;
	struct run r;

	/* A resend would get past the retired rule to the provider, and be
	 * journaled. */
	add_fault_rule_or_skip(p, "{\"operation\":\"invoke\","
			       "\"method\":\"CancelDistribution\","
			       "\"effect\":\"drop\",\"times\":1}");
	journal_clear(p);
	/* No --site: discovery first, so the invoke reuses a connection. */
	DPCTL(p, &r, "invoke", "-c", "SMS_DistributionPointInfo", "-M",
	      "CancelDistribution", "-P", "PackageId=PS100001");
	expect_status(&r, 3);
	run_free(&r);
	assert_true(journal_count(p, "operation=enumerate") >= 1);
	assert_int_equal(journal_count(p, "method=CancelDistribution"), 1);
	assert_int_equal(journal_count(p, "result=drop"), 1);

	add_fault_rule_or_skip(p, "{\"method\":\"CancelDistribution\","
			       "\"effect\":\"http\",\"http_status\":503,"
			       "\"times\":1}");
	journal_clear(p);
	DPCTL(p, &r, "--site", "PS1", "--json", "invoke", "-c",
	      "SMS_DistributionPointInfo", "-M", "CancelDistribution",
	      "-P", "PackageId=PS100001");
	/* Past the 503, dpsim's answer: the class has no such method. */
	expect_status(&r, 1);
	assert_true(contains(r.err, "WBEM_E_INVALID_METHOD"));
	run_free(&r);
	assert_int_equal(journal_count(p, "method=CancelDistribution"), 2);
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
		DPCTL_BIN, "-e", p->url, "--site", "PS1", "--json", "wait",
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
		DPCTL_BIN, "-e", p->url, "--site", "PS1", "--json", "wait",
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

int main(void)
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
		T(other_auth_schemes_against_basic_only),
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
#undef T
	};
	int ret;

	/* The test decides what dpctl sees; nothing leaks in from the
	 * caller's shell. */
	unsetenv("DPCTL_ENDPOINT");
	unsetenv("DPCTL_USER");
	unsetenv("DPCTL_PASSWORD");
	curl_global_init(CURL_GLOBAL_ALL);
	xmlInitParser();
	ret = cmocka_run_group_tests_name("dpctl (integration)", tests, NULL,
					  NULL);
	xmlCleanupParser();
	curl_global_cleanup();
	return ret;
}
