/* WS-Management end to end against a real dpsim: every test starts its own
 * dpsim on port 0 with an in-memory database and drives it over HTTP with
 * the requests real clients send. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <libxml/parser.h>

#include "harness.h"

#define ACT_GET "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
#define ACT_ENUM "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
#define ACT_PULL "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull"
#define ACT_RELEASE "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release"
#define DPINFO_URI WMI_NS "/SMS_DistributionPointInfo"
#define DMTF_URI "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
#define LAB_DP_COUNT_MIN 5

/* POSTs as lab/lab and returns the reply. */
static struct http_reply post_as(struct dpsim_proc *p, const char *user, const char *pass,
				 const char *body)
{
	struct http_reply r;
	assert_int_equal(http_post(p->url, user, pass, NULL, body, strlen(body), &r), 0);
	return r;
}

static struct http_reply post(struct dpsim_proc *p, const char *body)
{
	return post_as(p, "lab", "lab", body);
}

static char *invoke_body(const char *uri, const char *nal, const char *mode)
{
	char *b = NULL;
	int n = asprintf(&b, "<p:SetDPMaintenanceMode_INPUT xmlns:p=\"%s\">"
			 "%s%s%s%s%s%s</p:SetDPMaintenanceMode_INPUT>", uri,
			 nal ? "<p:NALPath>" : "", nal ? nal : "", nal ? "</p:NALPath>" : "",
			 mode ? "<p:Mode>" : "", mode ? mode : "", mode ? "</p:Mode>" : "");
	assert_true(n > 0);
	return b;
}

/* Invoke SetDPMaintenanceMode in the WMI URI form as `user`. */
static struct http_reply set_mode_as(struct dpsim_proc *p, const char *user,
				     const char *nal, const char *mode)
{
	char *body = invoke_body(DPINFO_URI, nal, mode);
	char *env = envelope(DPINFO_URI "/SetDPMaintenanceMode", DPINFO_URI, NULL, body);
	struct http_reply r = post_as(p, user, user, env);
	free(body);
	free(env);
	return r;
}

static char *wql_env(const char *query, unsigned max_elements)
{
	char *body = NULL, *env;
	int n = asprintf(&body, "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>%u"
			 "</w:MaxElements><w:Filter Dialect=\"http://schemas.microsoft.com/wbem/"
			 "wsman/1/WQL\">%s</w:Filter></n:Enumerate>", max_elements, query);
	assert_true(n > 0);
	env = envelope(ACT_ENUM, WMI_NS "/*", NULL, body);
	free(body);
	return env;
}

/* MaintenanceMode of the DP named fqdn, read back the way scripts do:
 * a WQL Enumerate on Name. */
static long read_mode(struct dpsim_proc *p, const char *fqdn)
{
	char q[256];
	snprintf(q, sizeof(q), "SELECT * FROM SMS_DistributionPointInfo WHERE Name = '%s'", fqdn);
	char *env = wql_env(q, 100);
	struct http_reply r = post(p, env);
	free(env);
	assert_int_equal(r.status, 200);
	assert_int_equal(xpath_count(r.body, "//w:Items/*[local-name()='SMS_DistributionPointInfo']"), 1);
	char *m = xpath_text(r.body, "//*[local-name()='MaintenanceMode']");
	assert_non_null(m);
	long v = strtol(m, NULL, 10);
	free(m);
	http_reply_free(&r);
	return v;
}

/* Asserts r is a SOAP fault with the given subcode and error_Code. */
static void assert_fault(const struct http_reply *r, const char *subcode, uint32_t hresult)
{
	char want[16];
	assert_int_equal(r->status, 500);
	assert_non_null(strstr(r->content_type, "application/soap+xml"));
	char *sub = xpath_text(r->body, "/s:Envelope/s:Body/s:Fault/s:Code/s:Subcode/s:Value");
	assert_non_null(sub);
	assert_string_equal(sub, subcode);
	free(sub);
	if (!hresult)
		return;
	snprintf(want, sizeof(want), "%u", hresult);
	char *code = xpath_text(r->body, "//*[local-name()='MSFT_WmiError']/*[local-name()='error_Code']");
	assert_non_null(code);
	assert_string_equal(code, want);
	free(code);
	code = xpath_text(r->body, "//f:WSManFault/@Code");
	assert_non_null(code);
	assert_string_equal(code, want);
	free(code);
}

/* ---- transport and authentication ---------------------------------------- */

static void identify_without_credentials(void **state)
{
	struct dpsim_proc *p = *state;
	size_t len;
	char *body = read_file(SOURCE_ROOT "/fixtures/requests/wsl_01_Identify_emptyMessageID.xml", &len);
	static const char *const anon[] = {
		"Content-Type: application/soap+xml;charset=utf-8",
		"WSMANIDENTIFY: unauthenticated", NULL,
	};
	struct http_reply r;

	/* Without WinRM's marker of an unauthenticated Identify, Identify
	 * needs credentials like any other request. */
	assert_int_equal(http_post(p->url, NULL, NULL, "application/soap+xml;charset=utf-8",
				   body, len, &r), 0);
	assert_int_equal(r.status, 401);
	assert_string_equal(r.www_authenticate, "Basic realm=\"WSMAN\"");
	http_reply_free(&r);

	assert_int_equal(http_request("POST", p->url, anon, body, len, &r), 0);
	assert_int_equal(r.status, 200);
	char *v = xpath_text(r.body, "//wsmid:IdentifyResponse/wsmid:ProductVendor");
	assert_string_equal(v, "Microsoft Corporation");
	free(v);
	v = xpath_text(r.body, "//wsmid:IdentifyResponse/wsmid:ProtocolVersion");
	assert_string_equal(v, "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd");
	free(v);
	/* No credentials, no OS version (as WinRM). */
	assert_int_equal(xpath_count(r.body, "//wsmid:ProductVersion"), 0);
	http_reply_free(&r);
	free(body);
}

static void operations_need_credentials(void **state)
{
	struct dpsim_proc *p = *state;
	char *env = wql_env("SELECT * FROM SMS_DistributionPointInfo", 10);
	struct http_reply r;

	assert_int_equal(http_post(p->url, NULL, NULL, NULL, env, strlen(env), &r), 0);
	assert_int_equal(r.status, 401);
	/* WinRM with both schemes on: Negotiate first, then Basic. */
	assert_string_equal(r.challenges, "Negotiate | Basic realm=\"WSMAN\"");
	http_reply_free(&r);

	/* Marked as an anonymous Identify but not one: refused once the
	 * body is read, with the same two challenges. */
	static const char *const anon[] = {
		"Content-Type: application/soap+xml;charset=utf-8",
		"WSMANIDENTIFY: unauthenticated", NULL,
	};
	assert_int_equal(http_request("POST", p->url, anon, env, strlen(env), &r), 0);
	assert_int_equal(r.status, 401);
	assert_string_equal(r.challenges, "Negotiate | Basic realm=\"WSMAN\"");
	http_reply_free(&r);

	r = post_as(p, "lab", "wrong", env);
	assert_int_equal(r.status, 401);
	http_reply_free(&r);

	r = post_as(p, "nosuchuser", "lab", env);
	assert_int_equal(r.status, 401);
	http_reply_free(&r);
	free(env);
}

static void http_routing_and_content_type(void **state)
{
	struct dpsim_proc *p = *state;
	struct http_reply r;
	char url[200];

	assert_int_equal(http_get(p->url, &r), 0);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.allow, "POST");
	http_reply_free(&r);

	snprintf(url, sizeof(url), "%s/", p->url);	/* OMI posts to /wsman/ */
	char *env = wql_env("SELECT * FROM SMS_DistributionPointInfo", 10);
	assert_int_equal(http_post(url, "lab", "lab", NULL, env, strlen(env), &r), 0);
	assert_int_equal(r.status, 200);
	http_reply_free(&r);

	assert_int_equal(http_post(p->url, "lab", "lab", "application/json", env, strlen(env), &r), 0);
	assert_int_equal(r.status, 415);
	http_reply_free(&r);

	assert_int_equal(http_post(p->url, "lab", "lab", "application/soap+xml;charset=iso-8859-1",
				   env, strlen(env), &r), 0);
	assert_fault(&r, "w:EncodingLimit", 0);
	http_reply_free(&r);

	snprintf(url, sizeof(url), "%.*s/nothing", (int)(strlen(p->url) - 6), p->url);
	assert_int_equal(http_get(url, &r), 0);
	assert_int_equal(r.status, 404);
	http_reply_free(&r);
	free(env);
}

/* ---- Invoke ---------------------------------------------------------------- */

static void pywinrm_invoke_sets_mode_and_wql_reads_it(void **state)
{
	struct dpsim_proc *p = *state;
	size_t len;
	char *body = read_file(SOURCE_ROOT "/fixtures/requests/pywinrm_01_Invoke_SetDPMaintenanceMode.xml", &len);
	struct http_reply r;

	assert_int_equal(read_mode(p, "DP01.contoso.com"), 0);
	/* The capture names dp01.contoso.com in lower case: NAL paths match
	 * case-insensitively. */
	assert_int_equal(http_post(p->url, "lab", "lab", NULL, body, len, &r), 0);
	assert_int_equal(r.status, 200);
	char *rv = xpath_text(r.body, "//*[local-name()='SetDPMaintenanceMode_OUTPUT']/*[local-name()='ReturnValue']");
	assert_string_equal(rv, "0");
	free(rv);
	char *rel = xpath_text(r.body, "/s:Envelope/s:Header/a:RelatesTo");
	assert_string_equal(rel, "uuid:d7410c22-949e-40b3-b952-de90c8887c16");
	free(rel);
	http_reply_free(&r);
	free(body);

	assert_int_equal(read_mode(p, "DP01.contoso.com"), 1);
	assert_int_equal(read_mode(p, "dp01.CONTOSO.com"), 1);	/* WQL is case-insensitive */
}

static void wsl_invoke_bare_message_id(void **state)
{
	struct dpsim_proc *p = *state;
	size_t len;
	char *body = read_file(SOURCE_ROOT "/fixtures/requests/wsl_05_Invoke_SetDPMaintenanceMode.xml", &len);
	struct http_reply r;
	assert_int_equal(http_post(p->url, "lab", "lab", "application/soap+xml;charset=utf-8",
				   body, len, &r), 0);
	assert_int_equal(r.status, 200);
	char *rel = xpath_text(r.body, "/s:Envelope/s:Header/a:RelatesTo");
	assert_string_equal(rel, "c2b383b1-0287-4d12-834d-948309fac017");
	free(rel);
	http_reply_free(&r);
	free(body);
	assert_int_equal(read_mode(p, "DP01.contoso.com"), 1);
}

static void dmtf_invoke_with_cimnamespace(void **state)
{
	struct dpsim_proc *p = *state;
	const char *uri = DMTF_URI "SMS_DistributionPoint";
	char *body = invoke_body(uri, DP02_NAL, "0");
	char *env = envelope(DMTF_URI "SMS_DistributionPoint/SetDPMaintenanceMode", uri,
			     "<w:Selector Name=\"__cimnamespace\">root/sms/site_PS1</w:Selector>", body);
	assert_int_equal(read_mode(p, "DP02.contoso.com"), 1);	/* lab: DP02 starts in maintenance */
	struct http_reply r = post(p, env);
	assert_int_equal(r.status, 200);
	char *rv = xpath_text(r.body, "//*[local-name()='ReturnValue']");
	assert_string_equal(rv, "0");
	free(rv);
	/* The _OUTPUT element lives in the request's resource URI namespace. */
	assert_int_equal(xpath_count(r.body, "//*[local-name()='SetDPMaintenanceMode_OUTPUT' and "
				     "namespace-uri()='" DMTF_URI "SMS_DistributionPoint']"), 1);
	http_reply_free(&r);
	free(body);
	free(env);
	assert_int_equal(read_mode(p, "DP02.contoso.com"), 0);
}

static void same_mode_twice_is_success(void **state)
{
	struct dpsim_proc *p = *state;
	for (int i = 0; i < 2; i++) {
		struct http_reply r = set_mode_as(p, "lab", DP01_NAL, "1");
		assert_int_equal(r.status, 200);
		char *rv = xpath_text(r.body, "//*[local-name()='ReturnValue']");
		assert_string_equal(rv, "0");
		free(rv);
		http_reply_free(&r);
	}
	assert_int_equal(read_mode(p, "DP01.contoso.com"), 1);
}

static void invoke_errors_are_faults_with_hresults(void **state)
{
	struct dpsim_proc *p = *state;
	struct http_reply r;

	r = set_mode_as(p, "lab", "[\"Display=\\\\NOPE.contoso.com\\\"]MSWNET:[\"SMS_SITE=PS1\"]\\\\NOPE.contoso.com\\", "1");
	assert_fault(&r, "w:InternalError", 0x80041002);
	char *msg = xpath_text(r.body, "//s:Reason/s:Text");
	assert_non_null(strstr(msg, "NOPE.contoso.com"));
	free(msg);
	/* The SMS Provider's own error object rides along. */
	msg = xpath_text(r.body, "//*[local-name()='SMS_ExtendedStatus']/*[local-name()='ProviderName']");
	assert_string_equal(msg, "SMS Provider");
	free(msg);
	msg = xpath_text(r.body, "//*[local-name()='SMS_ExtendedStatus']/*[local-name()='ParameterInfo']");
	assert_string_equal(msg, "SMS_DistributionPointInfo.SetDPMaintenanceMode");
	free(msg);
	msg = xpath_text(r.body, "//*[local-name()='SMS_ExtendedStatus']/*[local-name()='ErrorCode']");
	assert_string_equal(msg, "2147749890");
	free(msg);
	http_reply_free(&r);

	r = set_mode_as(p, "lab", DP01_NAL, "2");
	assert_fault(&r, "w:InternalError", 0x80041008);
	http_reply_free(&r);

	r = set_mode_as(p, "lab", DP01_NAL, NULL);
	assert_fault(&r, "w:InternalError", 0x8004102F);
	msg = xpath_text(r.body, "//s:Reason/s:Text");
	assert_non_null(strstr(msg, "Mode"));
	free(msg);
	http_reply_free(&r);

	r = set_mode_as(p, "lab", NULL, "1");
	assert_fault(&r, "w:InternalError", 0x8004102F);
	http_reply_free(&r);

	r = set_mode_as(p, "lab", DP01_NAL, "yes");
	assert_fault(&r, "w:InternalError", 0x80041005);
	http_reply_free(&r);

	/* A Read-only Analyst may not change anything. */
	r = set_mode_as(p, "analyst", DP01_NAL, "1");
	assert_fault(&r, "w:AccessDenied", 0x80041003);
	http_reply_free(&r);

	/* None of these changed DP01. */
	assert_int_equal(read_mode(p, "DP01.contoso.com"), 0);
}

static void unknown_method_class_namespace(void **state)
{
	struct dpsim_proc *p = *state;
	struct http_reply r;
	char *body = invoke_body(DPINFO_URI, DP01_NAL, "1");
	char *env;

	env = envelope(DPINFO_URI "/SetDPMaintenanceModeX", DPINFO_URI, NULL,
		       "<p:SetDPMaintenanceModeX_INPUT xmlns:p=\"" DPINFO_URI "\"/>");
	r = post(p, env);
	assert_fault(&r, "a:ActionNotSupported", 0x8004102E);
	char *act = xpath_text(r.body, "/s:Envelope/s:Header/a:Action");
	assert_string_equal(act, "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault");
	free(act);
	http_reply_free(&r);
	free(env);

	env = envelope(WMI_NS "/SMS_NoSuchClass/SetDPMaintenanceMode", WMI_NS "/SMS_NoSuchClass",
		       NULL, body);
	r = post(p, env);
	assert_fault(&r, "a:DestinationUnreachable", 0x80041010);
	http_reply_free(&r);
	free(env);

	const char *bad_ns = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_XYZ/SMS_DistributionPointInfo";
	env = envelope("http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_XYZ/SMS_DistributionPointInfo/SetDPMaintenanceMode",
		       bad_ns, NULL, body);
	r = post(p, env);
	assert_fault(&r, "a:DestinationUnreachable", 0x8004100E);
	http_reply_free(&r);
	free(env);
	free(body);
}

/* ---- Get ----------------------------------------------------------------- */

static void get_by_selectors_both_uri_forms(void **state)
{
	struct dpsim_proc *p = *state;
	const char *keys =
		"<w:Selector Name=\"NALPath\">" "[\"Display=\\\\DP02.contoso.com\\\"]MSWNET:[\"SMS_SITE=PS1\"]\\\\DP02.contoso.com\\" "</w:Selector>"
		"<w:Selector Name=\"ResourceType\">Windows NT Server</w:Selector>"
		"<w:Selector Name=\"SiteCode\">PS1</w:Selector>";
	char *env = envelope(ACT_GET, DPINFO_URI, keys, NULL);
	struct http_reply r = post(p, env);
	assert_int_equal(r.status, 200);
	char *v = xpath_text(r.body, "/s:Envelope/s:Body/*[local-name()='SMS_DistributionPointInfo']/*[local-name()='Name']");
	assert_string_equal(v, "DP02.contoso.com");
	free(v);
	v = xpath_text(r.body, "//*[local-name()='MaintenanceMode']");
	assert_string_equal(v, "1");
	free(v);
	v = xpath_text(r.body, "/s:Envelope/s:Body/*/@xsi:type");
	assert_string_equal(v, "p:SMS_DistributionPointInfo_Type");
	free(v);
	http_reply_free(&r);
	free(env);

	char *sel = NULL;
	assert_true(asprintf(&sel, "<w:Selector Name=\"__cimnamespace\">root\\sms\\site_PS1</w:Selector>%s", keys) > 0);
	env = envelope(ACT_GET, DMTF_URI "SMS_DistributionPointInfo", sel, NULL);
	r = post(p, env);
	assert_int_equal(r.status, 200);
	v = xpath_text(r.body, "//*[local-name()='ServerName']");
	assert_string_equal(v, "DP02.contoso.com");
	free(v);
	http_reply_free(&r);
	free(env);
	free(sel);
}

static void get_selector_faults(void **state)
{
	struct dpsim_proc *p = *state;
	size_t len;
	struct http_reply r;

	/* pywinrm's probe: a Get without selectors. */
	char *body = read_file(SOURCE_ROOT "/fixtures/requests/pywinrm_05_Get_noselectors_fault500.xml", &len);
	assert_int_equal(http_post(p->url, "lab", "lab", NULL, body, len, &r), 0);
	assert_fault(&r, "w:InvalidSelectors", 0);
	char *d = xpath_text(r.body, "//w:FaultDetail");
	assert_string_equal(d, "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/InsufficientSelectors");
	free(d);
	http_reply_free(&r);
	free(body);

	char *env = envelope(ACT_GET, DPINFO_URI,
			     "<w:Selector Name=\"Bogus\">x</w:Selector>", NULL);
	r = post(p, env);
	assert_fault(&r, "w:InvalidSelectors", 0);
	d = xpath_text(r.body, "//w:FaultDetail");
	assert_string_equal(d, "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/UnexpectedSelectors");
	free(d);
	http_reply_free(&r);
	free(env);

	env = envelope(ACT_GET, DPINFO_URI,
		       "<w:Selector Name=\"NALPath\">nothing</w:Selector>"
		       "<w:Selector Name=\"ResourceType\">Windows NT Server</w:Selector>"
		       "<w:Selector Name=\"SiteCode\">PS1</w:Selector>", NULL);
	r = post(p, env);
	assert_fault(&r, "w:InvalidSelectors", 0x80041002);
	http_reply_free(&r);
	free(env);
}

/* ---- Enumerate / Pull / Release ------------------------------------------- */

static char *context_of(const char *xml)
{
	char *c = xpath_text(xml, "//n:EnumerationContext");
	if (c && !*c) {
		free(c);
		return NULL;
	}
	return c;
}

static void optimized_enumeration_in_batches(void **state)
{
	struct dpsim_proc *p = *state;
	char *body = NULL;
	assert_true(asprintf(&body, "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>2"
			     "</w:MaxElements></n:Enumerate>") > 0);
	char *env = envelope(ACT_ENUM, DPINFO_URI, NULL, body);
	struct http_reply r = post(p, env);
	free(env);
	free(body);
	assert_int_equal(r.status, 200);
	assert_int_equal(xpath_count(r.body, "//n:EnumerateResponse/w:Items/*"), 2);
	assert_int_equal(xpath_count(r.body, "//w:EndOfSequence"), 0);
	char *ctx = context_of(r.body);
	assert_non_null(ctx);
	http_reply_free(&r);

	int total = 2, pulls = 0;
	while (ctx) {
		char *pb = NULL;
		assert_true(asprintf(&pb, "<n:Pull><n:EnumerationContext>%s</n:EnumerationContext>"
				     "<n:MaxElements>2</n:MaxElements></n:Pull>", ctx) > 0);
		env = envelope(ACT_PULL, DPINFO_URI, NULL, pb);
		r = post(p, env);
		assert_int_equal(r.status, 200);
		int n = xpath_count(r.body, "//n:PullResponse/n:Items/*");
		assert_true(n >= 1 && n <= 2);
		total += n;
		free(ctx);
		ctx = context_of(r.body);
		/* Never a context together with EndOfSequence (wsl keeps
		 * pulling while it sees one). */
		if (xpath_count(r.body, "//n:PullResponse/n:EndOfSequence") == 1)
			assert_null(ctx);
		else
			assert_non_null(ctx);
		http_reply_free(&r);
		free(env);
		free(pb);
		assert_true(++pulls < 20);
	}
	assert_true(total >= LAB_DP_COUNT_MIN);

	/* The count matches a single-batch enumeration. */
	env = wql_env("SELECT * FROM SMS_DistributionPointInfo", 1000);
	r = post(p, env);
	assert_int_equal(xpath_count(r.body, "//w:Items/*"), total);
	assert_int_equal(xpath_count(r.body, "//n:EnumerateResponse/w:EndOfSequence"), 1);
	http_reply_free(&r);
	free(env);
}

static void plain_enumeration_pull_and_release(void **state)
{
	struct dpsim_proc *p = *state;
	char *env = envelope(ACT_ENUM, DPINFO_URI, NULL, "<n:Enumerate/>");
	struct http_reply r = post(p, env);
	free(env);
	assert_int_equal(r.status, 200);
	assert_int_equal(xpath_count(r.body, "//w:Items"), 0);
	char *ctx = context_of(r.body);
	assert_non_null(ctx);
	http_reply_free(&r);

	char *pb = NULL;
	assert_true(asprintf(&pb, "<n:Release><n:EnumerationContext>%s</n:EnumerationContext>"
			     "</n:Release>", ctx) > 0);
	env = envelope(ACT_RELEASE, DPINFO_URI, NULL, pb);
	r = post(p, env);
	assert_int_equal(r.status, 200);
	char *act = xpath_text(r.body, "/s:Envelope/s:Header/a:Action");
	assert_string_equal(act, "http://schemas.xmlsoap.org/ws/2004/09/enumeration/ReleaseResponse");
	free(act);
	http_reply_free(&r);
	free(env);
	free(pb);

	/* A released context is gone. */
	assert_true(asprintf(&pb, "<n:Pull><n:EnumerationContext>%s</n:EnumerationContext>"
			     "<n:MaxElements>10</n:MaxElements></n:Pull>", ctx) > 0);
	env = envelope(ACT_PULL, DPINFO_URI, NULL, pb);
	r = post(p, env);
	assert_fault(&r, "n:InvalidEnumerationContext", 0);
	http_reply_free(&r);
	free(env);
	free(pb);
	free(ctx);
}

/* ---- enumeration context caps ------------------------------------------ */

/* A plain Enumerate as user (password = user name, as the lab has it but
 * for analyst's); its context, malloc'd. */
static char *open_enum(struct dpsim_proc *p, const char *user, const char *pass)
{
	char *env = envelope(ACT_ENUM, DPINFO_URI, NULL, "<n:Enumerate/>");
	struct http_reply r = post_as(p, user, pass, env);
	char *ctx;

	free(env);
	assert_int_equal(r.status, 200);
	ctx = context_of(r.body);
	assert_non_null(ctx);
	http_reply_free(&r);
	return ctx;
}

/* Pulls one item of ctx as user: the HTTP status (200, or 500 with the
 * fault checked to be an invalid context). */
static long pull_one(struct dpsim_proc *p, const char *user, const char *pass,
		     const char *ctx)
{
	char *pb = NULL, *env;
	struct http_reply r;
	long st;

	assert_true(asprintf(&pb, "<n:Pull><n:EnumerationContext>%s"
			     "</n:EnumerationContext><n:MaxElements>1"
			     "</n:MaxElements></n:Pull>", ctx) > 0);
	env = envelope(ACT_PULL, DPINFO_URI, NULL, pb);
	r = post_as(p, user, pass, env);
	st = r.status;
	if (st == 200)
		assert_int_equal(xpath_count(r.body, "//n:PullResponse/n:Items/*"), 1);
	else
		assert_fault(&r, "n:InvalidEnumerationContext", 0);
	http_reply_free(&r);
	free(env);
	free(pb);
	return st;
}

#define ANALYST_CONTEXTS 20
#define PER_USER_CAP 8
#define TOTAL_CAP 12

static void enumerations_capped_per_user(void **state)
{
	struct dpsim_proc *p = *state;
	const char *args[] = { "--max-enumerations-per-user", "8",
			       "--max-enumerations", "12", NULL };
	char *lab[4], *an[ANALYST_CONTEXTS], *text = NULL;

	assert_int_equal(dpsim_start(p, args), 0);
	struct dpsim_log *log = dpsim_log_start(p);

	/* lab holds one context while analyst opens 20: analyst's own
	 * oldest go, lab's stays. */
	lab[0] = open_enum(p, "lab", "lab");
	for (int i = 0; i < ANALYST_CONTEXTS; i++)
		an[i] = open_enum(p, "analyst", "analyst");
	assert_int_equal(pull_one(p, "lab", "lab", lab[0]), 200);
	for (int i = 0; i < ANALYST_CONTEXTS; i++)
		assert_int_equal(pull_one(p, "analyst", "analyst", an[i]),
				 i < ANALYST_CONTEXTS - PER_USER_CAP ? 500 : 200);

	/* The total: 8 of analyst's and 4 of lab's fill it; one more
	 * context (infra's) costs the heaviest user, analyst, its least
	 * recently used, never lab's. */
	for (int i = 1; i < 4; i++)
		lab[i] = open_enum(p, "lab", "lab");
	char *in = open_enum(p, "infra", "infra");
	for (int i = 0; i < 4; i++)
		assert_int_equal(pull_one(p, "lab", "lab", lab[i]), 200);
	assert_int_equal(pull_one(p, "infra", "infra", in), 200);
	/* analyst's least recently used was the first of its last 8
	 * (pulled first above). */
	assert_int_equal(pull_one(p, "analyst", "analyst",
				  an[ANALYST_CONTEXTS - PER_USER_CAP]), 500);
	for (int i = ANALYST_CONTEXTS - PER_USER_CAP + 1; i < ANALYST_CONTEXTS; i++)
		assert_int_equal(pull_one(p, "analyst", "analyst", an[i]), 200);

	/* 13 evictions, all analyst's: one line while running (a minute
	 * has not passed), the rest counted in one line at shutdown. */
	assert_int_equal(dpsim_log_stop(log, p, &text), 0);
	assert_int_equal(count_lines_with(text, "enumeration contexts"), 2);
	assert_int_equal(count_lines_with(text, "dropped 1 of user analyst's "
					  "least recently used"), 1);
	assert_int_equal(count_lines_with(text, "12 more of user analyst's "
					  "dropped"), 1);
	assert_int_equal(count_lines_with(text, "user lab"), 0);
	free(text);
	free(in);
	for (int i = 0; i < 4; i++)
		free(lab[i]);
	for (int i = 0; i < ANALYST_CONTEXTS; i++)
		free(an[i]);
	dpsim_cleanup(p);
}

static void wql_discovery_and_filters(void **state)
{
	struct dpsim_proc *p = *state;
	struct http_reply r;
	char *env, *v;

	/* Site discovery as Cody Mathis' script does it: __Namespace in root/sms. */
	char *body = NULL;
	assert_true(asprintf(&body, "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>50"
			     "</w:MaxElements></n:Enumerate>") > 0);
	env = envelope(ACT_ENUM, "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/__Namespace",
		       NULL, body);
	r = post(p, env);
	assert_int_equal(r.status, 200);
	assert_int_equal(xpath_count(r.body, "//w:Items/*"), 1);
	v = xpath_text(r.body, "//*[local-name()='Name']");
	assert_string_equal(v, "site_PS1");
	free(v);
	http_reply_free(&r);
	free(env);
	free(body);

	/* And through SMS_ProviderLocation, with the backslash namespace
	 * spelling and a mixed-case class name. */
	env = envelope(ACT_ENUM, "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/SMS/*", NULL,
		       "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>50</w:MaxElements>"
		       "<w:Filter Dialect=\"http://schemas.microsoft.com/wbem/wsman/1/WQL\">"
		       "select * from sms_providerlocation where ProviderForLocalSite = TRUE"
		       "</w:Filter></n:Enumerate>");
	r = post(p, env);
	assert_int_equal(r.status, 200);
	v = xpath_text(r.body, "//*[local-name()='SiteCode']");
	assert_string_equal(v, "PS1");
	free(v);
	v = xpath_text(r.body, "//*[local-name()='Machine']");
	assert_string_equal(v, "CM01.contoso.com");
	free(v);
	http_reply_free(&r);
	free(env);

	/* Filters real scripts send. */
	static const struct { const char *q; int min, max; } cases[] = {
		{ "SELECT * FROM SMS_DistributionPointInfo WHERE Name = 'DP01.CONTOSO.COM'", 1, 1 },
		{ "SELECT * FROM SMS_DistributionPointInfo WHERE Name LIKE 'dp0%'", 2, 10 },
		{ "SELECT * FROM SMS_DistributionPointInfo WHERE SiteCode = 'PS1' AND Name = 'DP02.contoso.com'", 1, 1 },
		{ "SELECT * FROM SMS_DistributionPointInfo WHERE ResourceType = 'Windows NT Server'", LAB_DP_COUNT_MIN, 100 },
		{ "SELECT * FROM SMS_DistributionPointInfo WHERE Name = 'DP01.contoso.com' OR Name = 'DP02.contoso.com'", 2, 2 },
		{ "SELECT * FROM SMS_DistributionPointInfo WHERE NALPath like '%\\\\DP01.contoso.com\\\\'", 1, 1 },
		{ "SELECT * FROM SMS_DistributionPointInfo WHERE Name = 'nothing.contoso.com'", 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		env = wql_env(cases[i].q, 1000);
		r = post(p, env);
		assert_int_equal(r.status, 200);
		int n = xpath_count(r.body, "//w:Items/*");
		if (n < cases[i].min || n > cases[i].max)
			fail_msg("%s: %d instances", cases[i].q, n);
		http_reply_free(&r);
		free(env);
	}
}

static void wql_errors_are_faults(void **state)
{
	struct dpsim_proc *p = *state;
	struct http_reply r;
	char *env;

	env = wql_env("SELECT * FORM SMS_DistributionPointInfo", 10);
	r = post(p, env);
	assert_fault(&r, "n:CannotProcessFilter", 0x80041017);
	char *why = xpath_text(r.body, "//s:Reason/s:Text");
	assert_non_null(strstr(why, "position"));
	free(why);
	http_reply_free(&r);
	free(env);

	env = wql_env("SELECT * FROM SMS_DistributionPointInfo WHERE Bogus = 1", 10);
	r = post(p, env);
	assert_fault(&r, "n:CannotProcessFilter", 0x80041017);
	why = xpath_text(r.body, "//s:Reason/s:Text");
	assert_non_null(strstr(why, "Bogus"));
	free(why);
	http_reply_free(&r);
	free(env);

	env = wql_env("SELECT * FROM SMS_Nothing", 10);
	r = post(p, env);
	assert_fault(&r, "a:DestinationUnreachable", 0x80041010);
	http_reply_free(&r);
	free(env);
}

static void envelope_errors(void **state)
{
	struct dpsim_proc *p = *state;
	struct http_reply r;

	r = post(p, "this is not xml");
	assert_fault(&r, "w:SchemaValidationError", 0);
	http_reply_free(&r);

	char *env = envelope(ACT_ENUM, DPINFO_URI, "<w:Selector Name=\"x\">y</w:Selector>",
			     "<n:Enumerate/>");
	/* An unknown header that must be understood. */
	char *hdr = strstr(env, "</env:Header>");
	char *bad = NULL;
	assert_true(asprintf(&bad, "%.*s<x:Secret xmlns:x=\"urn:nobody\" env:mustUnderstand=\"true\">1"
			     "</x:Secret>%s", (int)(hdr - env), env, hdr) > 0);
	r = post(p, bad);
	assert_int_equal(r.status, 500);
	char *code = xpath_text(r.body, "/s:Envelope/s:Body/s:Fault/s:Code/s:Value");
	assert_string_equal(code, "s:MustUnderstand");
	free(code);
	http_reply_free(&r);
	free(bad);
	free(env);

	env = envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete", DPINFO_URI, NULL, NULL);
	r = post(p, env);
	assert_fault(&r, "a:ActionNotSupported", 0);
	http_reply_free(&r);
	free(env);
}

/* A class dpsim has no code for, declared in the lab fixture, is served
 * by Get, Enumerate and WQL like the built-in ones. */
static void fixture_declared_class(void **state)
{
	struct dpsim_proc *p = *state;
	struct http_reply r;
	char *env = envelope(ACT_GET, WMI_NS "/SMS_DistributionPointGroup",
			     "<w:Selector Name=\"GroupID\">{D47B0E19-92C3-4A6E-8F51-7C2D6B3E0A03}"
			     "</w:Selector>", NULL);
	r = post(p, env);
	assert_int_equal(r.status, 200);
	char *v = xpath_text(r.body, "/s:Envelope/s:Body/*[local-name()='SMS_DistributionPointGroup']"
			     "/*[local-name()='Name']");
	assert_string_equal(v, "Maintenance");
	free(v);
	/* Datetimes are wrapped as cim:Datetime. */
	assert_int_equal(xpath_count(r.body, "//*[local-name()='CreatedOn']/*[local-name()='Datetime']"), 1);
	http_reply_free(&r);
	free(env);

	env = envelope(ACT_ENUM, WMI_NS "/SMS_DPGroupMembers", NULL,
		       "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>100</w:MaxElements>"
		       "</n:Enumerate>");
	r = post(p, env);
	assert_int_equal(r.status, 200);
	assert_int_equal(xpath_count(r.body, "//w:Items/*[local-name()='SMS_DPGroupMembers']"), 6);
	http_reply_free(&r);
	free(env);

	env = wql_env("SELECT * FROM SMS_DPGroupMembers WHERE DPNALPath LIKE '%\\\\DP02.contoso.com\\\\'", 100);
	r = post(p, env);
	assert_int_equal(r.status, 200);
	assert_int_equal(xpath_count(r.body, "//w:Items/*"), 2);
	http_reply_free(&r);
	free(env);
}

/* Without MIT GSSAPI (here: a file of its name that is no library, found
 * first through LD_LIBRARY_PATH) dpsim serves Basic alone: the challenge
 * offers no Negotiate, Basic calls work, and the log says why. */
static void basic_only_without_gssapi(void **state)
{
	(void)state;
	struct dpsim_proc p;
	char *text = NULL;

	dpsim_prepare(&p);
	/* Only dpsim's environment: the variable goes before the next test. */
	assert_int_equal(setenv("LD_LIBRARY_PATH", GSSLIB_BROKEN_DIR, 1), 0);
	int started = dpsim_start(&p, NULL);
	unsetenv("LD_LIBRARY_PATH");
	assert_int_equal(started, 0);
	struct dpsim_log *log = dpsim_log_start(&p);

	char *env = wql_env("SELECT * FROM SMS_DistributionPointInfo", 10);
	struct http_reply r;
	assert_int_equal(http_post(p.url, NULL, NULL, NULL, env, strlen(env), &r), 0);
	assert_int_equal(r.status, 401);
	assert_string_equal(r.challenges, "Basic realm=\"WSMAN\"");
	http_reply_free(&r);

	r = post(&p, env);
	assert_int_equal(r.status, 200);
	assert_true(xpath_count(r.body, "//w:Items/*") >= LAB_DP_COUNT_MIN);
	http_reply_free(&r);
	free(env);

	assert_int_equal(dpsim_log_stop(log, &p, &text), 0);
	assert_int_equal(count_lines_with(text, "Negotiate sign-in is off, Basic "
					  "only: cannot load MIT GSSAPI "
					  "(libgssapi_krb5.so.2, Debian package "
					  "libgssapi-krb5-2): "), 1);
	free(text);
	dpsim_cleanup(&p);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
	xmlInitParser();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(identify_without_credentials, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(operations_need_credentials, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(http_routing_and_content_type, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(pywinrm_invoke_sets_mode_and_wql_reads_it, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(wsl_invoke_bare_message_id, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(dmtf_invoke_with_cimnamespace, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(same_mode_twice_is_success, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(invoke_errors_are_faults_with_hresults, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(unknown_method_class_namespace, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(get_by_selectors_both_uri_forms, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(get_selector_faults, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(optimized_enumeration_in_batches, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(plain_enumeration_pull_and_release, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(wql_discovery_and_filters, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(wql_errors_are_faults, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(envelope_errors, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(fixture_declared_class, harness_start, harness_stop),
		cmocka_unit_test(basic_only_without_gssapi),
		cmocka_unit_test_setup_teardown(enumerations_capped_per_user,
						harness_prepare, harness_cleanup),
	};
	int r = cmocka_run_group_tests_name("wsman (integration)", tests, NULL, NULL);
	xmlCleanupParser();
	curl_global_cleanup();
	return r;
}
