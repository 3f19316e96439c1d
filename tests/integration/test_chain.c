/* SMS_DistributionPointInfo.GetChainedPullDPs end to end (issue 13, item
 * 5): a real dpsim per test, driven over HTTP with the envelope a WMI
 * client sends, asserting on the bytes of the answer; the empty chain,
 * the faults and their HRESULTs, the journal row, a fault rule, a deeper
 * chain from a site added at run time, and dpctl chain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <libxml/parser.h>

#include "harness.h"

#define DPINFO_URI WMI_NS "/SMS_DistributionPointInfo"
#define DMTF_URI "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
#define CHAIN_ACTION DPINFO_URI "/GetChainedPullDPs"
#define NAL_AT(site, fqdn) "[\"Display=\\\\" fqdn "\\\"]MSWNET:[\"SMS_SITE=" \
			   site "\"]\\\\" fqdn "\\"
#define PULL_NAL NAL_AT("PS1", "PULLDP01.contoso.com")
#define T01_NAL(host) NAL_AT("T01", host ".contoso.com")
/* A NAL path as it stands in XML text: quotes escaped, nothing else. */
#define XML_NAL_AT(site, fqdn) "[&quot;Display=\\\\" fqdn "\\&quot;]MSWNET:" \
			       "[&quot;SMS_SITE=" site "&quot;]\\\\" fqdn "\\"

/* The answer's body for an output of out-parameter elements `outs`, in
 * namespace uri: what follows <s:Body> to the end of the envelope. */
#define OUTPUT(uri, outs, rv) \
	"<s:Body><p:GetChainedPullDPs_OUTPUT xmlns:p=\"" uri "\">" outs \
	"<p:ReturnValue>" rv "</p:ReturnValue></p:GetChainedPullDPs_OUTPUT>" \
	"</s:Body></s:Envelope>"
#define CHAINED(nal) "<p:ChainedDPs>" nal "</p:ChainedDPs>"

/* The <X_INPUT> of GetChainedPullDPs with the given inner XML. */
static char *chain_body(const char *uri, const char *inner)
{
	char *b = NULL;

	assert_true(asprintf(&b, "<p:GetChainedPullDPs_INPUT xmlns:p=\"%s\">%s"
			     "</p:GetChainedPullDPs_INPUT>", uri, inner) > 0);
	return b;
}

/* GetChainedPullDPs with SourceDPNALPath nal (XML-escaped by the caller
 * where needed; NULL: no parameter) as user, WMI URI form. */
static struct http_reply chain_as(struct dpsim_proc *p, const char *user,
				  const char *inner)
{
	char *body = chain_body(DPINFO_URI, inner);
	char *env = envelope(CHAIN_ACTION, DPINFO_URI, NULL, body);
	struct http_reply r;

	assert_int_equal(http_post(p->url, user, user, NULL, env, strlen(env),
				   &r), 0);
	free(body);
	free(env);
	return r;
}

static char *source(const char *nal)
{
	char *s = NULL;

	assert_true(asprintf(&s, "<p:SourceDPNALPath>%s</p:SourceDPNALPath>",
			     nal) > 0);
	return s;
}

static struct http_reply chain_of(struct dpsim_proc *p, const char *user,
				  const char *nal)
{
	char *inner = source(nal);
	struct http_reply r = chain_as(p, user, inner);

	free(inner);
	return r;
}

/* The body ends with want, byte for byte. */
static void assert_body_ends(const struct http_reply *r, const char *want)
{
	size_t n = strlen(want);

	if (r->len < n || memcmp(r->body + r->len - n, want, n) != 0)
		fail_msg("the answer does not end with\n%s\nbut is\n%s", want,
			 r->body);
}

static void assert_xpath(const char *xml, const char *expr, const char *want)
{
	char *got = xpath_text(xml, expr);

	if (!got || strcmp(got, want) != 0)
		fail_msg("%s: \"%s\", want \"%s\"", expr, got ? got : "(none)",
			 want);
	free(got);
}

/* ---- answers ------------------------------------------------------------ */

/* The lab's PULLDP01 copies from DP01: one ChainedDPs element, then
 * ReturnValue, in the request's URI namespace. */
static void chain_answer_bytes(void **state)
{
	struct dpsim_proc *p = *state;
	struct http_reply r = chain_of(p, "lab", DP01_NAL);

	assert_int_equal(r.status, 200);
	assert_string_equal(r.content_type, "application/soap+xml;charset=UTF-8");
	assert_body_ends(&r, OUTPUT(DPINFO_URI,
		CHAINED(XML_NAL_AT("PS1", "PULLDP01.contoso.com")), "0"));
	assert_xpath(r.body, "/s:Envelope/s:Header/a:Action",
		     CHAIN_ACTION "Response");
	assert_xpath(r.body, "//*[local-name()='ChainedDPs']", PULL_NAL);
	http_reply_free(&r);

	/* Lower case, as a script may type it: the same answer. */
	r = chain_of(p, "lab", NAL_AT("PS1", "dp01.CONTOSO.com"));
	assert_int_equal(r.status, 200);
	assert_body_ends(&r, OUTPUT(DPINFO_URI,
		CHAINED(XML_NAL_AT("PS1", "PULLDP01.contoso.com")), "0"));
	http_reply_free(&r);
}

/* No pull DP copies from the pull DP itself: ReturnValue 0 alone. */
static void chain_empty(void **state)
{
	struct dpsim_proc *p = *state;
	struct http_reply r = chain_of(p, "lab", PULL_NAL);

	assert_int_equal(r.status, 200);
	assert_body_ends(&r, OUTPUT(DPINFO_URI, "", "0"));
	assert_int_equal(xpath_count(r.body, "//*[local-name()='ChainedDPs']"), 0);
	http_reply_free(&r);
}

/* PowerShell's CIM cmdlets: the DMTF URI with __cimnamespace; the
 * output is in the request's namespace; a Read-only Analyst may ask. */
static void chain_dmtf_as_analyst(void **state)
{
	struct dpsim_proc *p = *state;
	const char *uri = DMTF_URI "SMS_DistributionPointInfo";
	char *inner = source(DP01_NAL);
	char *body = chain_body(uri, inner);
	char *env = envelope(DMTF_URI "SMS_DistributionPointInfo/GetChainedPullDPs",
			     uri, "<w:Selector Name=\"__cimnamespace\">"
			     "root/sms/site_PS1</w:Selector>", body);
	struct http_reply r;

	assert_int_equal(http_post(p->url, "analyst", "analyst", NULL, env,
				   strlen(env), &r), 0);
	assert_int_equal(r.status, 200);
	assert_body_ends(&r, OUTPUT(DMTF_URI "SMS_DistributionPointInfo",
		CHAINED(XML_NAL_AT("PS1", "PULLDP01.contoso.com")), "0"));
	http_reply_free(&r);
	free(env);
	free(body);
	free(inner);
}

/* ---- faults ------------------------------------------------------------- */

static void assert_fault(const struct http_reply *r, const char *hresult,
			 const char *reason_part)
{
	assert_int_equal(r->status, 500);
	assert_xpath(r->body, "//f:WSManFault/@Code", hresult);
	assert_xpath(r->body, "//*[local-name()='MSFT_WmiError']"
		     "/*[local-name()='error_Code']", hresult);
	char *reason = xpath_text(r->body, "//s:Reason/s:Text");
	assert_non_null(reason);
	if (!strstr(reason, reason_part))
		fail_msg("reason \"%s\" lacks \"%s\"", reason, reason_part);
	free(reason);
}

/* A NAL path that is not a DP of the site: WBEM_E_NOT_FOUND, with the
 * SMS Provider's extended status naming the method. */
static void chain_not_a_dp(void **state)
{
	struct dpsim_proc *p = *state;
	struct http_reply r = chain_of(p, "lab", NAL_AT("PS1", "DP99.contoso.com"));

	assert_fault(&r, "2147749890", "No distribution point with NAL path");
	assert_xpath(r.body, "//*[local-name()='SMS_ExtendedStatus']"
		     "/*[local-name()='ParameterInfo']",
		     "SMS_DistributionPointInfo.GetChainedPullDPs");
	assert_xpath(r.body, "//*[local-name()='SMS_ExtendedStatus']"
		     "/*[local-name()='ErrorCode']", "2147749890");
	http_reply_free(&r);

	/* A DP out of the caller's scopes is not found either. */
	r = chain_of(p, "branch", DP01_NAL);
	assert_fault(&r, "2147749890", "No distribution point with NAL path");
	http_reply_free(&r);
}

static void chain_bad_parameters(void **state)
{
	struct dpsim_proc *p = *state;
	static const struct {
		const char *inner, *reason;
	} cases[] = {
		{ "", "Parameter 'SourceDPNALPath' is missing" },
		{ "<p:SourceDPNALPath xsi:nil=\"true\" xmlns:xsi=\"http://www.w3.org/"
		  "2001/XMLSchema-instance\"/>", "Parameter 'SourceDPNALPath' is null" },
		{ "<p:NALPath>x</p:NALPath>", "has no parameter 'NALPath'" },
		{ "<p:SourceDPNALPath>x</p:SourceDPNALPath>"
		  "<p:SourceDPNALPath>y</p:SourceDPNALPath>", "is given twice" },
		{ "<p:SourceDPNALPath>x</p:SourceDPNALPath>"
		  "<p:ChainedDPs>y</p:ChainedDPs>", "is an [out] parameter" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct http_reply r = chain_as(p, "lab", cases[i].inner);

		assert_fault(&r, "2147749935", cases[i].reason);
		http_reply_free(&r);
	}
}

/* The method is SMS_DistributionPointInfo's alone. */
static void chain_on_dp_class_is_unknown(void **state)
{
	struct dpsim_proc *p = *state;
	const char *uri = WMI_NS "/SMS_DistributionPoint";
	char *inner = source(DP01_NAL);
	char *body = chain_body(uri, inner);
	char *env = envelope(WMI_NS "/SMS_DistributionPoint/GetChainedPullDPs",
			     uri, NULL, body);
	struct http_reply r;

	assert_int_equal(http_post(p->url, "lab", "lab", NULL, env, strlen(env),
				   &r), 0);
	assert_int_equal(r.status, 500);
	assert_xpath(r.body, "//s:Subcode/s:Value", "a:ActionNotSupported");
	assert_xpath(r.body, "//f:WSManFault/@Code", "2147749934");
	http_reply_free(&r);
	free(env);
	free(body);
	free(inner);
}

/* ---- journal and fault rules ------------------------------------------- */

static void chain_journal_and_rules(void **state)
{
	struct dpsim_proc *p = *state;
	struct http_reply r = chain_of(p, "analyst", DP01_NAL);
	json_t *j, *row;

	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	j = control_call(p, "GET", "journal?method=GetChainedPullDPs", NULL, 200);
	assert_int_equal(json_integer_value(json_object_get(j, "returned")), 1);
	row = json_array_get(json_object_get(j, "entries"), 0);
	assert_string_equal(json_string_value(json_object_get(row, "user")),
			    "analyst");
	assert_string_equal(json_string_value(json_object_get(row, "operation")),
			    "invoke");
	assert_string_equal(json_string_value(json_object_get(row, "class")),
			    "SMS_DistributionPointInfo");
	assert_string_equal(json_string_value(json_object_get(row, "nalpath")),
			    DP01_NAL);
	assert_string_equal(json_string_value(json_object_get(row, "params")),
			    "SourceDPNALPath=" DP01_NAL);
	assert_string_equal(json_string_value(json_object_get(row, "result")),
			    "ok");
	assert_int_equal(json_integer_value(json_object_get(row, "return_value")),
			 0);
	json_decref(j);

	/* A rule on the method and the source's NAL path: a ReturnValue,
	 * written as the sint32 the method returns, no ChainedDPs. */
	json_decref(control_call(p, "POST", "faults",
		"{\"method\": \"GetChainedPullDPs\", \"nalpath\": \"*\\\\DP01.contoso.com\\\\\","
		" \"effect\": \"return\", \"hresult\": \"WBEM_E_FAILED\"}", 201));
	r = chain_of(p, "lab", DP01_NAL);
	assert_int_equal(r.status, 200);
	assert_body_ends(&r, OUTPUT(DPINFO_URI,
		"<p:ChainedDPs xsi:nil=\"true\"/>", "-2147217407"));
	http_reply_free(&r);
	/* Another source is not matched. */
	r = chain_of(p, "lab", PULL_NAL);
	assert_body_ends(&r, OUTPUT(DPINFO_URI, "", "0"));
	http_reply_free(&r);
	j = control_call(p, "GET", "journal/count?method=GetChainedPullDPs"
			 "&result=return", NULL, 200);
	assert_int_equal(json_integer_value(json_object_get(j, "count")), 1);
	json_decref(j);
}

/* ---- a deeper chain ---------------------------------------------------- */

/* tests/unit/fixtures/good_chain.xml as site T01. */
static void add_chain_site(struct dpsim_proc *p)
{
	static const char *const hdr[] = { "Content-Type: application/xml", NULL };
	char base[160], url[256];
	size_t len;
	char *xml = read_file(SOURCE_ROOT "/tests/unit/fixtures/good_chain.xml",
			      &len);
	struct http_reply r;

	dpsim_base(p, base, sizeof(base));
	snprintf(url, sizeof(url), "%s/_dpsim/sites?code=T01", base);
	assert_int_equal(http_request("POST", url, hdr, xml, len, &r), 0);
	if (r.status != 201)
		fail_msg("POST sites: %ld %s", r.status, r.body);
	http_reply_free(&r);
	free(xml);
}

/* Breadth first, each level in fixture order: PULL02 and PULL01 copy
 * from DP01; PULL03 from both, PULL07 from PULL01, PULL08 from PULL02;
 * PULL04 from PULL03; PULL06 from PULL04. */
static void chain_deep(void **state)
{
	struct dpsim_proc *p = *state;
	const char *uri = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/"
			  "sms/site_T01/SMS_DistributionPointInfo";
	char *inner = source(T01_NAL("DP01"));
	char *body = chain_body(uri, inner);
	char *env = envelope(
		"http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_T01/"
		"SMS_DistributionPointInfo/GetChainedPullDPs", uri, NULL, body);
	struct http_reply r;

	add_chain_site(p);
	assert_int_equal(http_post(p->url, "lab", "lab", NULL, env, strlen(env),
				   &r), 0);
	assert_int_equal(r.status, 200);
	assert_body_ends(&r, OUTPUT("http://schemas.microsoft.com/wbem/wsman/1/"
		"wmi/root/sms/site_T01/SMS_DistributionPointInfo",
		CHAINED(XML_NAL_AT("T01", "PULL02.contoso.com"))
		CHAINED(XML_NAL_AT("T01", "PULL01.contoso.com"))
		CHAINED(XML_NAL_AT("T01", "PULL03.contoso.com"))
		CHAINED(XML_NAL_AT("T01", "PULL07.contoso.com"))
		CHAINED(XML_NAL_AT("T01", "PULL08.contoso.com"))
		CHAINED(XML_NAL_AT("T01", "PULL04.contoso.com"))
		CHAINED(XML_NAL_AT("T01", "PULL06.contoso.com")), "0"));
	http_reply_free(&r);
	free(env);
	free(body);
	free(inner);
}

/* ---- dpctl chain ----------------------------------------------------------- */

struct run {
	int status;
	char *out, *err;
};

static void dpctl(struct dpsim_proc *p, const char *user, struct run *r,
		  const char *const *args)
{
	const char *argv[16] = { DPCTL_BIN, "-e", p->url };
	char uenv[64], penv[64];
	const char *env[] = { uenv, penv, NULL };
	size_t n = 3;

	for (; *args; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	snprintf(uenv, sizeof(uenv), "DPCTL_USER=%s", user);
	snprintf(penv, sizeof(penv), "DPCTL_PASSWORD=%s", user);
	r->status = run_program(argv, env, &r->out, &r->err);
}

#define DPCTL(p, user, r, ...) do { \
		const char *const a_[] = { __VA_ARGS__, NULL }; \
		dpctl(p, user, r, a_); \
	} while (0)

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
}

static void expect(const struct run *r, int status, const char *out)
{
	if (r->status != status || (out && strcmp(r->out, out) != 0))
		fail_msg("dpctl exited %d (want %d)\n--- stdout\n%s--- want\n%s"
			 "--- stderr\n%s", r->status, status, r->out,
			 out ? out : "(any)", r->err);
}

static void dpctl_chain(void **state)
{
	struct dpsim_proc *p = *state;
	json_error_t je;
	struct run r;
	json_t *j;

	/* By short name, FQDN or NAL path: one NAL path a line. */
	DPCTL(p, "lab", &r, "chain", "DP01");
	expect(&r, 0, PULL_NAL "\n");
	run_free(&r);
	DPCTL(p, "analyst", &r, "chain", DP01_NAL);
	expect(&r, 0, PULL_NAL "\n");
	run_free(&r);
	/* Nothing copies from the pull DP: nothing printed, exit 0. */
	DPCTL(p, "lab", &r, "chain", "pulldp01.contoso.com");
	expect(&r, 0, "");
	run_free(&r);

	DPCTL(p, "lab", &r, "--json", "chain", "DP01");
	expect(&r, 0, NULL);
	j = json_loads(r.out, 0, &je);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "name")),
			    "DP01.contoso.com");
	assert_string_equal(json_string_value(json_object_get(j, "nalpath")),
			    DP01_NAL);
	assert_int_equal(json_integer_value(json_object_get(j, "count")), 1);
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(j, "chained_dps"), 0)), PULL_NAL);
	json_decref(j);
	run_free(&r);

	/* A DP that does not exist: exit 1, said on stderr. */
	DPCTL(p, "lab", &r, "chain", "DP99.contoso.com");
	expect(&r, 1, "");
	assert_non_null(strstr(r.err, "DP99.contoso.com"));
	run_free(&r);
	DPCTL(p, "lab", &r, "chain");
	expect(&r, 2, "");
	run_free(&r);

	/* The deeper chain of site T01, in the provider's order. */
	add_chain_site(p);
	DPCTL(p, "lab", &r, "--site", "T01", "chain", "PULL01");
	expect(&r, 0, T01_NAL("PULL03") "\n" T01_NAL("PULL07") "\n"
	       T01_NAL("PULL04") "\n" T01_NAL("PULL06") "\n");
	run_free(&r);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
	xmlInitParser();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(chain_answer_bytes, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(chain_empty, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(chain_dmtf_as_analyst, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(chain_not_a_dp, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(chain_bad_parameters, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(chain_on_dp_class_is_unknown, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(chain_journal_and_rules, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(chain_deep, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(dpctl_chain, harness_start, harness_stop),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	curl_global_cleanup();
	return rc;
}
