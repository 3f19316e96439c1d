/* Every fault subcode of docs/wsman-protocol.md (Fault subcodes) that dpsim
 * raises, each
 * from the request that triggers it, against a real dpsim: the HTTP status
 * (500), the SOAP Code and Subcode, the fault's a:Action, the WSManFault
 * Code, the fault detail where WS-Management defines one, and for provider
 * errors the MSFT_WmiError error_Code and CIMStatusCode. Also: requests
 * that must NOT fault (UTF-16 with a BOM, tolerated headers), and the
 * answers to a Get of a fragment next to its faults.
 *
 * Codes without a recorded WinRM value follow the Windows SDK's wsman
 * error table (ERROR_WSMAN_*), which names the subcode each one goes with.
 * Tests that dpsim failed when they were written say so ("dpsim bug").
 */
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
#define ACT_WSMAN_FAULT "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"
#define ACT_ADDR_FAULT "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault"
#define DPINFO_URI WMI_NS "/SMS_DistributionPointInfo"
#define DIALECT_WQL "http://schemas.microsoft.com/wbem/wsman/1/WQL"
#define DIALECT_CQL "http://schemas.dmtf.org/wbem/cql/1/dsp0202.pdf"
#define NOPE_NAL "[\"Display=\\\\NOPE.contoso.com\\\"]MSWNET:[\"SMS_SITE=PS1\"]\\\\NOPE.contoso.com\\"

/* WSManFault Codes (Windows SDK wsman error table, decimal). */
#define ERROR_WSMAN_UNEXPECTED_SELECTORS	2150858843u	/* 0x8033805B, recorded */
#define ERROR_WSMAN_INVALID_RESOURCE_URI	2150858811u	/* 0x8033803B */
#define ERROR_WSMAN_DIFFERENT_CIM_SELECTOR	2150859067u	/* 0x8033813B */
#define ERROR_WSMAN_INVALID_ACTIONURI		2150858753u	/* 0x80338001 */
#define ERROR_WSMAN_SCHEMA_VALIDATION_ERROR	2150858817u	/* 0x80338041 */
#define ERROR_WSMAN_INVALID_ENUM_CONTEXT	2150858779u	/* 0x8033801B */
#define ERROR_WSMAN_FILTER_DIALECT_UNAVAILABLE	2150858777u	/* 0x80338019 */
#define ERROR_WSMAN_ENCODING_LIMIT		2150858805u	/* 0x80338035 */
#define ERROR_WSMAN_INVALID_MESSAGE_INFORMATION_HEADER 2150858767u /* 0x8033800F */
#define ERROR_WSMAN_MESSAGE_INFORMATION_HEADER_REQUIRED 2150858769u /* 0x80338011 */
#define ERROR_WSMAN_UNSUPPORTED_ADDRESSING_MODE	2150858870u	/* 0x80338076 */
#define ERROR_WSMAN_INVALID_TIMEOUT_HEADER	2150858881u	/* 0x80338081 */
#define ERROR_WSMAN_MUSTUNDERSTAND_ON_LOCALE_UNSUPPORTED 2150858887u /* 0x80338087 */
#define ERROR_WSMAN_FRAGMENT_TRANSFER_NOT_SUPPORTED 2150858871u	/* 0x80338077 */
#define ERROR_WSMAN_FRAGMENT_DIALECT_REQUESTED_UNAVAILABLE 2150858896u /* 0x80338090 */
#define ERROR_WSMAN_INVALID_FRAGMENT_PATH	2150858899u	/* 0x80338093 */

/* Provider HRESULTs. */
#define WBEM_E_NOT_FOUND		0x80041002u
#define WBEM_E_ACCESS_DENIED		0x80041003u
#define WBEM_E_TYPE_MISMATCH		0x80041005u
#define WBEM_E_INVALID_PARAMETER	0x80041008u
#define WBEM_E_INVALID_NAMESPACE	0x8004100Eu
#define WBEM_E_INVALID_CLASS		0x80041010u
#define WBEM_E_INVALID_QUERY		0x80041017u
#define WBEM_E_INVALID_METHOD		0x8004102Eu
#define WBEM_E_INVALID_METHOD_PARAMETERS 0x8004102Fu

#define DETAIL(x) "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/" x

/* What a fault must carry. NULL / 0 fields are not checked. */
struct want {
	const char *code;	/* s:Sender, s:Receiver, s:MustUnderstand */
	const char *subcode;	/* NULL: there must be no Subcode */
	const char *action;
	uint32_t wsman_code;	/* f:WSManFault/@Code */
	uint32_t error_code;	/* MSFT_WmiError/error_Code (provider errors) */
	unsigned cim_status;	/* MSFT_WmiError/CIMStatusCode */
	const char *detail;	/* w:FaultDetail */
	const char *reason_has;	/* a substring of s:Reason/s:Text */
};

/* A request body limit of 2 KiB, for the --max-body fault. */
static int start_small_body(void **state)
{
	static const char *const extra[] = { "--max-body", "2", NULL };
	return harness_start_with(state, extra);
}

static struct http_reply post_ct(struct dpsim_proc *p, const char *user, const char *ct,
				 const char *body, size_t len)
{
	struct http_reply r;
	assert_int_equal(http_post(p->url, user, user, ct, body, len, &r), 0);
	return r;
}

static struct http_reply post_as(struct dpsim_proc *p, const char *user, const char *body)
{
	return post_ct(p, user, NULL, body, strlen(body));
}

static struct http_reply post(struct dpsim_proc *p, const char *body)
{
	return post_as(p, "lab", body);
}

/* The MessageID of an envelope() request, for RelatesTo. */
static char *message_id_of(const char *env)
{
	const char *s = strstr(env, "<a:MessageID>"), *e;
	assert_non_null(s);
	s += strlen("<a:MessageID>");
	e = strstr(s, "</a:MessageID>");
	assert_non_null(e);
	return strndup(s, (size_t)(e - s));
}

static void expect_text(const char *xml, const char *expr, const char *want, const char *what)
{
	char *v = xpath_text(xml, expr);
	if (!v || strcmp(v, want) != 0) {
		/* cmocka cuts long messages: the response goes first, whole. */
		fprintf(stderr, "--- response ---\n%s\n----------------\n", xml);
		fail_msg("%s: got '%s', want '%s'", what, v ? v : "(absent)", want);
	}
	free(v);
}

static void expect_number(const char *xml, const char *expr, uint32_t want, const char *what)
{
	char buf[16];
	snprintf(buf, sizeof(buf), "%u", want);
	expect_text(xml, expr, buf, what);
}

/* Checks r against w; relates_to (may be NULL) is the request MessageID. */
static void check_fault(const struct http_reply *r, const struct want *w, const char *relates_to)
{
	if (r->status != 500) {
		fprintf(stderr, "--- response ---\n%s\n----------------\n", r->body);
		fail_msg("HTTP status %ld, want 500", r->status);
	}
	assert_non_null(strstr(r->content_type, "application/soap+xml"));
	expect_text(r->body, "/s:Envelope/s:Body/s:Fault/s:Code/s:Value", w->code, "Code");
	if (w->subcode)
		expect_text(r->body, "/s:Envelope/s:Body/s:Fault/s:Code/s:Subcode/s:Value",
			    w->subcode, "Subcode");
	else
		assert_int_equal(xpath_count(r->body, "//s:Fault/s:Code/s:Subcode"), 0);
	expect_text(r->body, "/s:Envelope/s:Header/a:Action", w->action, "fault Action");
	if (relates_to)
		expect_text(r->body, "/s:Envelope/s:Header/a:RelatesTo", relates_to, "RelatesTo");
	char *reason = xpath_text(r->body, "/s:Envelope/s:Body/s:Fault/s:Reason/s:Text");
	assert_non_null(reason);
	assert_true(strlen(reason) > 10);
	if (w->reason_has && !strstr(reason, w->reason_has))
		fail_msg("Reason '%s' does not mention '%s'", reason, w->reason_has);
	free(reason);
	if (w->wsman_code)
		expect_number(r->body, "/s:Envelope/s:Body/s:Fault/s:Detail/f:WSManFault/@Code",
			      w->wsman_code, "WSManFault Code");
	if (w->error_code) {
		expect_number(r->body, "//s:Detail/*[local-name()='MSFT_WmiError']"
			      "/*[local-name()='error_Code']", w->error_code, "error_Code");
		expect_text(r->body, "//s:Detail/*[local-name()='MSFT_WmiError']"
			    "/*[local-name()='error_Type']", "HRESULT", "error_Type");
		char msgid[32];
		snprintf(msgid, sizeof(msgid), "HRESULT 0x%08x", w->error_code);
		expect_text(r->body, "//s:Detail/*[local-name()='MSFT_WmiError']"
			    "/*[local-name()='MessageID']", msgid, "MessageID");
	}
	if (w->cim_status)
		expect_number(r->body, "//s:Detail/*[local-name()='MSFT_WmiError']"
			      "/*[local-name()='CIMStatusCode']", w->cim_status, "CIMStatusCode");
	if (w->detail)
		expect_text(r->body, "/s:Envelope/s:Body/s:Fault/s:Detail/w:FaultDetail",
			    w->detail, "FaultDetail");
}

/* Sends env as lab and checks the fault, RelatesTo included; frees env. */
static void send_expect(struct dpsim_proc *p, const char *user, char *env, const struct want *w)
{
	char *mid = message_id_of(env);
	struct http_reply r = post_as(p, user, env);
	check_fault(&r, w, mid);
	http_reply_free(&r);
	free(mid);
	free(env);
}

/* ---- w:InvalidSelectors --------------------------------------------------- */

#define KEY_NAL(v) "<w:Selector Name=\"NALPath\">" v "</w:Selector>"
#define KEY_TYPE "<w:Selector Name=\"ResourceType\">Windows NT Server</w:Selector>"
#define KEY_SITE "<w:Selector Name=\"SiteCode\">PS1</w:Selector>"

static const struct want invalid_selectors = {
	.code = "s:Sender", .subcode = "w:InvalidSelectors", .action = ACT_WSMAN_FAULT,
	.wsman_code = ERROR_WSMAN_UNEXPECTED_SELECTORS,
};

static void invalid_selectors_insufficient(void **state)
{
	struct want w = invalid_selectors;
	w.detail = DETAIL("InsufficientSelectors");
	w.reason_has = "NALPath";	/* names the keys it needs */
	send_expect(*state, "lab", envelope(ACT_GET, DPINFO_URI, KEY_SITE, NULL), &w);
	/* __cimnamespace is not a key and does not count as one. */
	send_expect(*state, "lab", envelope(ACT_GET, DPINFO_URI, KEY_TYPE KEY_SITE
		"<w:Selector Name=\"__cimnamespace\">root/sms/site_PS1</w:Selector>", NULL), &w);
}

static void invalid_selectors_unexpected(void **state)
{
	struct want w = invalid_selectors;
	w.detail = DETAIL("UnexpectedSelectors");
	w.reason_has = "Bogus";
	send_expect(*state, "lab", envelope(ACT_GET, DPINFO_URI, KEY_NAL(DP01_NAL) KEY_TYPE
		KEY_SITE "<w:Selector Name=\"Bogus\">1</w:Selector>", NULL), &w);
	/* A property that is not a key is no selector either. */
	w.reason_has = "Name";
	send_expect(*state, "lab", envelope(ACT_GET, DPINFO_URI,
		"<w:Selector Name=\"Name\">DP01.contoso.com</w:Selector>", NULL), &w);
}

static void invalid_selectors_duplicate(void **state)
{
	struct want w = invalid_selectors;
	w.detail = DETAIL("DuplicateSelectors");
	w.reason_has = "SiteCode";
	send_expect(*state, "lab", envelope(ACT_GET, DPINFO_URI, KEY_NAL(DP01_NAL) KEY_TYPE
		KEY_SITE KEY_SITE, NULL), &w);
}

/* Well-formed keys naming no instance: InvalidSelectors/InvalidValue, with
 * WMI's WBEM_E_NOT_FOUND underneath (as test_wsman.c expects). */
static void invalid_selectors_invalid_value(void **state)
{
	struct want w = invalid_selectors;
	w.detail = DETAIL("InvalidValue");
	w.wsman_code = WBEM_E_NOT_FOUND;
	w.error_code = WBEM_E_NOT_FOUND;
	w.cim_status = 6;	/* CIM_ERR_NOT_FOUND */
	send_expect(*state, "lab", envelope(ACT_GET, DPINFO_URI, KEY_NAL(NOPE_NAL) KEY_TYPE
		KEY_SITE, NULL), &w);
	send_expect(*state, "lab", envelope(ACT_GET, DPINFO_URI, KEY_NAL(DP01_NAL)
		"<w:Selector Name=\"ResourceType\">Server</w:Selector>" KEY_SITE, NULL), &w);
}

/* ---- a:DestinationUnreachable --------------------------------------------- */

static void destination_unreachable_bad_uri(void **state)
{
	const struct want w = {
		.code = "s:Sender", .subcode = "a:DestinationUnreachable",
		.action = ACT_ADDR_FAULT, .wsman_code = ERROR_WSMAN_INVALID_RESOURCE_URI,
		.detail = DETAIL("InvalidResourceURI"),
	};
	send_expect(*state, "lab", envelope(ACT_GET,
		"http://schemas.example.com/wbem/wsman/1/wmi/root/sms/site_PS1/SMS_DistributionPointInfo",
		KEY_NAL(DP01_NAL) KEY_TYPE KEY_SITE, NULL), &w);
	/* A namespace that is not under root. */
	send_expect(*state, "lab", envelope(ACT_ENUM,
		"http://schemas.microsoft.com/wbem/wsman/1/wmi/sms/site_PS1/SMS_DistributionPointInfo",
		NULL, "<n:Enumerate/>"), &w);
}

static void destination_unreachable_namespace(void **state)
{
	const struct want w = {
		.code = "s:Sender", .subcode = "a:DestinationUnreachable",
		.action = ACT_ADDR_FAULT, .wsman_code = WBEM_E_INVALID_NAMESPACE,
		.error_code = WBEM_E_INVALID_NAMESPACE, .cim_status = 3,
		.reason_has = "site_XYZ",
	};
	send_expect(*state, "lab", envelope(ACT_ENUM,
		"http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_XYZ/SMS_DistributionPointInfo",
		NULL, "<n:Enumerate/>"), &w);
	/* The DMTF form names it in the selector. */
	send_expect(*state, "lab", envelope(ACT_GET,
		"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/SMS_DistributionPointInfo",
		"<w:Selector Name=\"__cimnamespace\">root/sms/site_XYZ</w:Selector>"
		KEY_NAL(DP01_NAL) KEY_TYPE KEY_SITE, NULL), &w);
}

static void destination_unreachable_class(void **state)
{
	const struct want w = {
		.code = "s:Sender", .subcode = "a:DestinationUnreachable",
		.action = ACT_ADDR_FAULT, .wsman_code = WBEM_E_INVALID_CLASS,
		.error_code = WBEM_E_INVALID_CLASS, .cim_status = 5,
		.reason_has = "SMS_NoSuchClass",
	};
	send_expect(*state, "lab", envelope(ACT_ENUM, WMI_NS "/SMS_NoSuchClass", NULL,
		"<n:Enumerate/>"), &w);
	send_expect(*state, "lab", envelope(ACT_ENUM, WMI_NS "/*", NULL,
		"<n:Enumerate><w:Filter Dialect=\"" DIALECT_WQL "\">SELECT * FROM SMS_NoSuchClass"
		"</w:Filter></n:Enumerate>"), &w);
}

/* A WMI URI with a __cimnamespace naming another namespace (microsoft/omi
 * #398); the same pair with equal namespaces is what the MI client sends. */
static void destination_unreachable_cimnamespace_mismatch(void **state)
{
	struct dpsim_proc *p = *state;
	const struct want w = {
		.code = "s:Sender", .subcode = "a:DestinationUnreachable",
		.action = ACT_ADDR_FAULT, .wsman_code = ERROR_WSMAN_DIFFERENT_CIM_SELECTOR,
		.detail = DETAIL("InvalidResourceURI"),
	};
	const char *body = "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>100</w:MaxElements>"
		"<w:Filter Dialect=\"" DIALECT_WQL "\">SELECT * FROM SMS_DistributionPointInfo"
		"</w:Filter></n:Enumerate>";
	send_expect(p, "lab", envelope(ACT_ENUM, WMI_NS "/*",
		"<w:Selector Name=\"__cimnamespace\">root/sms/site_XYZ</w:Selector>", body), &w);
	send_expect(p, "lab", envelope(ACT_ENUM, WMI_NS "/*",
		"<w:Selector Name=\"__cimnamespace\">root/sms</w:Selector>", body), &w);

	char *env = envelope(ACT_ENUM, WMI_NS "/*",
		"<w:Selector Name=\"__cimnamespace\">ROOT\\SMS\\SITE_PS1</w:Selector>", body);
	struct http_reply r = post(p, env);
	assert_int_equal(r.status, 200);
	assert_true(xpath_count(r.body, "//w:Items/*") >= 5);
	http_reply_free(&r);
	free(env);
}

/* ---- a:ActionNotSupported ------------------------------------------------- */

static void action_not_supported_unknown_action(void **state)
{
	const struct want w = {
		.code = "s:Sender", .subcode = "a:ActionNotSupported",
		.action = ACT_ADDR_FAULT, .wsman_code = ERROR_WSMAN_INVALID_ACTIONURI,
	};
	/* WS-Transfer Delete/Put/Create: dpsim's classes are read-only. */
	send_expect(*state, "lab", envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete",
		DPINFO_URI, KEY_NAL(DP01_NAL) KEY_TYPE KEY_SITE, NULL), &w);
	send_expect(*state, "lab", envelope("http://schemas.xmlsoap.org/ws/2004/09/transfer/Put",
		DPINFO_URI, KEY_NAL(DP01_NAL) KEY_TYPE KEY_SITE, NULL), &w);
	/* An action that belongs to no resource at all. */
	send_expect(*state, "lab", envelope("http://example.com/NotAnAction", DPINFO_URI, NULL,
		NULL), &w);
}

static void action_not_supported_unknown_method(void **state)
{
	const struct want w = {
		.code = "s:Sender", .subcode = "a:ActionNotSupported",
		.action = ACT_ADDR_FAULT, .wsman_code = WBEM_E_INVALID_METHOD,
		.error_code = WBEM_E_INVALID_METHOD, .reason_has = "ResetEverything",
	};
	send_expect(*state, "lab", envelope(DPINFO_URI "/ResetEverything", DPINFO_URI, NULL,
		"<p:ResetEverything_INPUT xmlns:p=\"" DPINFO_URI "\"/>"), &w);
}

/* ---- w:SchemaValidationError ---------------------------------------------- */

static const struct want schema_error = {
	.code = "s:Sender", .subcode = "w:SchemaValidationError",
	.action = ACT_WSMAN_FAULT, .wsman_code = ERROR_WSMAN_SCHEMA_VALIDATION_ERROR,
};

static void schema_validation_not_xml(void **state)
{
	struct http_reply r = post(*state, "GET / HTTP/1.0 is not an envelope");
	check_fault(&r, &schema_error, NULL);
	http_reply_free(&r);
	/* Truncated XML. */
	char *env = envelope(ACT_GET, DPINFO_URI, KEY_SITE, NULL);
	env[strlen(env) / 2] = '\0';
	r = post(*state, env);
	check_fault(&r, &schema_error, NULL);
	http_reply_free(&r);
	free(env);
}

static void schema_validation_not_soap12(void **state)
{
	/* SOAP 1.1, as an old client might send it. */
	const char *soap11 =
		"<?xml version=\"1.0\"?><S:Envelope xmlns:S=\"http://schemas.xmlsoap.org/soap/envelope/\""
		" xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\">"
		"<S:Header><a:Action>" ACT_GET "</a:Action><a:MessageID>uuid:11</a:MessageID></S:Header>"
		"<S:Body/></S:Envelope>";
	struct want w = schema_error;
	w.reason_has = "SOAP";
	struct http_reply r = post(*state, soap11);
	check_fault(&r, &w, NULL);
	http_reply_free(&r);
	/* Well-formed XML that is no envelope at all. */
	r = post(*state, "<Envelope><Body/></Envelope>");
	check_fault(&r, &schema_error, NULL);
	http_reply_free(&r);
	/* A SOAP 1.2 envelope without a Body. */
	r = post(*state, "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">"
		 "<s:Header/></s:Envelope>");
	check_fault(&r, &schema_error, NULL);
	http_reply_free(&r);
}

static void schema_validation_dtd(void **state)
{
	/* An internal subset declaring entities (the start of a billion
	 * laughs) and an external one: refused before anything expands. */
	const char *internal =
		"<?xml version=\"1.0\"?><!DOCTYPE s:Envelope [<!ENTITY a \"aaaaaaaaaa\">"
		"<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>"
		"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">"
		"<s:Header/><s:Body>&b;</s:Body></s:Envelope>";
	const char *external =
		"<?xml version=\"1.0\"?><!DOCTYPE s:Envelope SYSTEM \"http://127.0.0.1:9/evil.dtd\">"
		"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">"
		"<s:Header/><s:Body/></s:Envelope>";
	struct want w = schema_error;
	w.reason_has = "DTD";
	struct http_reply r = post(*state, internal);
	check_fault(&r, &w, NULL);
	assert_null(strstr(r.body, "aaaaaaaaaa"));
	http_reply_free(&r);
	r = post(*state, external);
	check_fault(&r, &w, NULL);
	http_reply_free(&r);
}

/* ---- n:InvalidEnumerationContext ------------------------------------------ */

static const struct want bad_context = {
	.code = "s:Receiver", .subcode = "n:InvalidEnumerationContext",
	.action = ACT_WSMAN_FAULT, .wsman_code = ERROR_WSMAN_INVALID_ENUM_CONTEXT,
};

static char *pull_env(const char *ctx, unsigned max)
{
	char *body = NULL;
	assert_true(asprintf(&body, "<n:Pull><n:EnumerationContext>%s</n:EnumerationContext>"
			     "<n:MaxElements>%u</n:MaxElements></n:Pull>", ctx, max) > 0);
	char *env = envelope(ACT_PULL, DPINFO_URI, NULL, body);
	free(body);
	return env;
}

static char *release_env(const char *ctx)
{
	char *body = NULL;
	assert_true(asprintf(&body, "<n:Release><n:EnumerationContext>%s</n:EnumerationContext>"
			     "</n:Release>", ctx) > 0);
	char *env = envelope(ACT_RELEASE, DPINFO_URI, NULL, body);
	free(body);
	return env;
}

/* A plain (unoptimized) enumeration of every DP as user; its context. */
static char *open_context(struct dpsim_proc *p, const char *user)
{
	char *env = envelope(ACT_ENUM, DPINFO_URI, NULL, "<n:Enumerate/>");
	struct http_reply r = post_as(p, user, env);
	free(env);
	assert_int_equal(r.status, 200);
	char *ctx = xpath_text(r.body, "//n:EnumerateResponse/n:EnumerationContext");
	assert_non_null(ctx);
	assert_true(strlen(ctx) > 0);
	http_reply_free(&r);
	return ctx;
}

static void invalid_context_unknown(void **state)
{
	send_expect(*state, "lab", pull_env("uuid:0BADC0DE-0000-4000-8000-000000000000", 10),
		    &bad_context);
	send_expect(*state, "lab", release_env("uuid:0BADC0DE-0000-4000-8000-000000000000"),
		    &bad_context);
	send_expect(*state, "lab", pull_env("", 10), &bad_context);
}

static void invalid_context_released(void **state)
{
	struct dpsim_proc *p = *state;
	char *ctx = open_context(p, "lab");
	char *env = release_env(ctx);
	struct http_reply r = post(p, env);
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	free(env);
	send_expect(p, "lab", pull_env(ctx, 10), &bad_context);
	send_expect(p, "lab", release_env(ctx), &bad_context);
	free(ctx);
}

static void invalid_context_finished(void **state)
{
	struct dpsim_proc *p = *state;
	char *ctx = open_context(p, "lab");
	char *env = pull_env(ctx, 100);
	struct http_reply r = post(p, env);
	assert_int_equal(r.status, 200);
	assert_int_equal(xpath_count(r.body, "//n:PullResponse/n:EndOfSequence"), 1);
	http_reply_free(&r);
	free(env);
	send_expect(p, "lab", pull_env(ctx, 100), &bad_context);
	free(ctx);
}

/* A context belongs to the user who opened it. Another user's Pull is
 * refused, and must not cost the owner the enumeration: the owner's
 * next Pull still gets the items. */
static void invalid_context_other_user(void **state)
{
	struct dpsim_proc *p = *state;
	char *ctx = open_context(p, "lab");
	send_expect(p, "infra", pull_env(ctx, 100), &bad_context);
	send_expect(p, "analyst", release_env(ctx), &bad_context);

	char *env = pull_env(ctx, 100);
	struct http_reply r = post(p, env);
	if (r.status != 200) {
		fprintf(stderr, "--- response ---\n%s\n----------------\n", r.body);
		fail_msg("the owner's Pull after another user's attempt: HTTP %ld", r.status);
	}
	assert_true(xpath_count(r.body, "//n:PullResponse/n:Items/*") >= 5);
	http_reply_free(&r);
	free(env);
	free(ctx);
}

/* ---- n:CannotProcessFilter / n:FilterDialectRequestedUnavailable ---------- */

static char *wql_env(const char *query)
{
	char *body = NULL;
	assert_true(asprintf(&body, "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>100"
			     "</w:MaxElements><w:Filter Dialect=\"" DIALECT_WQL "\">%s</w:Filter>"
			     "</n:Enumerate>", query) > 0);
	char *env = envelope(ACT_ENUM, WMI_NS "/*", NULL, body);
	free(body);
	return env;
}

static const struct want cannot_process = {
	.code = "s:Sender", .subcode = "n:CannotProcessFilter", .action = ACT_WSMAN_FAULT,
	.wsman_code = WBEM_E_INVALID_QUERY, .error_code = WBEM_E_INVALID_QUERY,
};

static void cannot_process_filter_syntax(void **state)
{
	/* "FORM" starts at offset 9: the reason says where and why. */
	struct want w = cannot_process;
	w.reason_has = "position 9";
	send_expect(*state, "lab", wql_env("SELECT * FORM SMS_DistributionPointInfo"), &w);
	w.reason_has = "position";
	send_expect(*state, "lab", wql_env("SELECT * FROM SMS_DistributionPointInfo WHERE "
		"Name = 'unterminated"), &w);
	send_expect(*state, "lab", wql_env("SELECT * FROM SMS_DistributionPointInfo WHERE "
		"(Name = 'a'"), &w);
	send_expect(*state, "lab", wql_env(""), &w);
}

static void cannot_process_filter_unknown_property(void **state)
{
	struct want w = cannot_process;
	w.reason_has = "Bogus";
	send_expect(*state, "lab", wql_env("SELECT * FROM SMS_DistributionPointInfo "
		"WHERE Bogus = 1"), &w);
	w.reason_has = "NoSuchProp";
	send_expect(*state, "lab", wql_env("SELECT Name, NoSuchProp FROM "
		"SMS_DistributionPointInfo"), &w);
}

/* This subcode has a WSManFault Code of its own, 0x80338019, not the
 * CannotProcessFilter one (0x8033801A). */
static void filter_dialect_unavailable(void **state)
{
	const struct want w = {
		.code = "s:Sender", .subcode = "n:FilterDialectRequestedUnavailable",
		.action = ACT_WSMAN_FAULT, .wsman_code = ERROR_WSMAN_FILTER_DIALECT_UNAVAILABLE,
		.reason_has = "dsp0202",
	};
	/* CQL: wsl's default dialect. */
	send_expect(*state, "lab", envelope(ACT_ENUM, DPINFO_URI, NULL,
		"<n:Enumerate><w:Filter Dialect=\"" DIALECT_CQL "\">SELECT * FROM "
		"SMS_DistributionPointInfo</w:Filter></n:Enumerate>"), &w);
}

/* ---- w:EncodingLimit ------------------------------------------------------ */

static const struct want encoding_limit = {
	.code = "s:Sender", .subcode = "w:EncodingLimit", .action = ACT_WSMAN_FAULT,
	.wsman_code = ERROR_WSMAN_ENCODING_LIMIT,
};

/* envelope() with its MaxEnvelopeSize (153600) replaced by size. */
static char *with_max_envelope(char *env, unsigned size)
{
	char *at = strstr(env, ">153600<");
	assert_non_null(at);
	char *out = NULL;
	assert_true(asprintf(&out, "%.*s>%u<%s", (int)(at - env), env, size, at + 8) > 0);
	free(env);
	return out;
}

/* A lab whose one DP is bigger than 8 KiB on the wire (its Description
 * alone is 9000 characters), so that a legitimate MaxEnvelopeSize of 8192
 * cannot carry a single instance. */
static int start_big_instance(void **state)
{
	struct dpsim_proc *p = calloc(1, sizeof(*p));
	char path[400];
	dpsim_prepare(p);
	snprintf(path, sizeof(path), "%s/big.xml", p->dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "<?xml version=\"1.0\"?>\n<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">"
		"<users><user name=\"lab\" password=\"lab\" role=\"Full Administrator\"/></users>"
		"<site code=\"PS1\" name=\"Big\" provider=\"CM01.contoso.com\">"
		"<dp fqdn=\"BIG01.contoso.com\" description=\"");
	for (int i = 0; i < 9000; i++)
		fputc('a' + i % 26, f);
	fprintf(f, "\"/></site></dpsim-fixture>\n");
	fclose(f);
	const char *const extra[] = { "--fixture", path, NULL };
	if (dpsim_start(p, extra))
		return -1;
	*state = p;
	return 0;
}

#define BIG01_NAL "[\"Display=\\\\BIG01.contoso.com\\\"]MSWNET:[\"SMS_SITE=PS1\"]\\\\BIG01.contoso.com\\"

/* The answer cannot fit the request's MaxEnvelopeSize. */
static void encoding_limit_max_envelope(void **state)
{
	struct dpsim_proc *p = *state;
	struct want w = encoding_limit;
	w.detail = DETAIL("MaxEnvelopeSize");

	/* Not even one instance fits an optimized enumeration... */
	send_expect(p, "lab", with_max_envelope(envelope(ACT_ENUM, DPINFO_URI, NULL,
		"<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>10</w:MaxElements>"
		"</n:Enumerate>"), 8192), &w);
	/* ... nor a Get ... */
	send_expect(p, "lab", with_max_envelope(envelope(ACT_GET, DPINFO_URI,
		KEY_NAL(BIG01_NAL) KEY_TYPE KEY_SITE, NULL), 8192), &w);
	/* ... nor a Pull, and the context survives it for a retry with room. */
	char *ctx = open_context(p, "lab");
	send_expect(p, "lab", with_max_envelope(pull_env(ctx, 10), 8192), &w);
	char *env = pull_env(ctx, 10);
	struct http_reply r = post(p, env);
	assert_int_equal(r.status, 200);
	assert_int_equal(xpath_count(r.body, "//n:PullResponse/n:Items/*"), 1);
	assert_int_equal(xpath_count(r.body, "//n:PullResponse/n:EndOfSequence"), 1);
	http_reply_free(&r);
	free(env);
	free(ctx);
}

/* MS-WSMV 3.1.4.1.7: a MaxEnvelopeSize under 8192 octets is itself
 * refused with EncodingLimit (WinRM MUST), even when the answer would be
 * small. */
static void encoding_limit_max_envelope_minimum(void **state)
{
	send_expect(*state, "lab", with_max_envelope(envelope(ACT_ENUM,
		"http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/__Namespace", NULL,
		"<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>10</w:MaxElements>"
		"</n:Enumerate>"), 4096), &encoding_limit);
}

/* dpsim started with --max-body 2 (KiB). DSP0226 names the detail for a
 * request over the service's own limit ServiceEnvelopeLimit. */
static void encoding_limit_max_body(void **state)
{
	struct dpsim_proc *p = *state;
	struct want w = encoding_limit;
	w.detail = DETAIL("ServiceEnvelopeLimit");
	char pad[4096];
	memset(pad, 'x', sizeof(pad) - 1);
	pad[sizeof(pad) - 1] = '\0';
	char *body = NULL;
	assert_true(asprintf(&body, "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>10"
			     "</w:MaxElements><w:Filter Dialect=\"" DIALECT_WQL "\">SELECT * FROM "
			     "SMS_DistributionPointInfo WHERE Name = '%s'</w:Filter></n:Enumerate>",
			     pad) > 0);
	char *env = envelope(ACT_ENUM, WMI_NS "/*", NULL, body);
	struct http_reply r = post(p, env);
	check_fault(&r, &w, NULL);
	http_reply_free(&r);
	free(env);
	free(body);

	/* A request under the limit still works. */
	env = envelope(ACT_GET, DPINFO_URI, KEY_NAL(DP01_NAL) KEY_TYPE KEY_SITE, NULL);
	assert_true(strlen(env) < 2048);
	r = post(p, env);
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	free(env);
}

/* A charset dpsim cannot read, in the Content-Type or in the XML
 * declaration. DSP0226's detail for it is CharacterSet. */
static void encoding_limit_charset(void **state)
{
	struct dpsim_proc *p = *state;
	struct want w = encoding_limit;
	w.detail = DETAIL("CharacterSet");
	char *env = envelope(ACT_GET, DPINFO_URI, KEY_NAL(DP01_NAL) KEY_TYPE KEY_SITE, NULL);
	struct http_reply r = post_ct(p, "lab", "application/soap+xml;charset=iso-8859-1",
				      env, strlen(env));
	check_fault(&r, &w, NULL);
	http_reply_free(&r);

	char *latin = NULL;
	const char *decl_end = strstr(env, "?>");
	assert_non_null(decl_end);
	assert_true(asprintf(&latin, "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"%s",
			     decl_end) > 0);
	r = post(p, latin);
	check_fault(&r, &w, NULL);
	http_reply_free(&r);
	free(latin);
	free(env);
}

/* ---- s:MustUnderstand ----------------------------------------------------- */

/* env with extra header XML inserted before </env:Header>; frees env. */
static char *with_header(char *env, const char *hdr)
{
	char *at = strstr(env, "</env:Header>");
	assert_non_null(at);
	char *out = NULL;
	assert_true(asprintf(&out, "%.*s%s%s", (int)(at - env), env, hdr, at) > 0);
	free(env);
	return out;
}

/* SOAP 1.2 §5.4.8: Code s:MustUnderstand with no Subcode, and a
 * NotUnderstood header whose qname resolves to the header refused: the
 * prefix is declared on NotUnderstood itself. */
static void must_understand(void **state)
{
	struct dpsim_proc *p = *state;
	const struct want w = {
		.code = "s:MustUnderstand", .subcode = NULL, .action = ACT_ADDR_FAULT,
	};
	static const char *const marks[] = { "true", "1" };
	for (size_t i = 0; i < 2; i++) {
		char hdr[200];
		snprintf(hdr, sizeof(hdr), "<x:Secret xmlns:x=\"urn:nobody\" "
			 "env:mustUnderstand=\"%s\">1</x:Secret>", marks[i]);
		char *env = with_header(envelope(ACT_GET, DPINFO_URI,
			KEY_NAL(DP01_NAL) KEY_TYPE KEY_SITE, NULL), hdr);
		char *mid = message_id_of(env);
		struct http_reply r = post(p, env);
		check_fault(&r, &w, mid);
		expect_text(r.body, "/s:Envelope/s:Header/s:NotUnderstood/@qname", "x:Secret",
			    "NotUnderstood qname");
		expect_text(r.body, "string(/s:Envelope/s:Header/s:NotUnderstood/namespace::x)",
			    "urn:nobody", "namespace of the NotUnderstood qname's prefix");
		http_reply_free(&r);
		free(mid);
		free(env);
	}
}

/* What must not fault: an unknown header that need not be understood,
 * MS-WSMV headers even marked mustUnderstand, an empty OptionSet marked
 * mustUnderstand (OMI). */
static void must_understand_only_when_required(void **state)
{
	struct dpsim_proc *p = *state;
	static const char *const tolerated[] = {
		"<x:Hint xmlns:x=\"urn:nobody\" env:mustUnderstand=\"false\">1</x:Hint>",
		"<x:Hint xmlns:x=\"urn:nobody\">1</x:Hint>",
		("<p:OperationID env:mustUnderstand=\"true\">uuid:AB000000-0000-4000-8000-000000000001</p:OperationID>"
		 "<p:SequenceId env:mustUnderstand=\"false\">1</p:SequenceId>"),
		"<p:SessionId env:mustUnderstand=\"false\">uuid:AB000000-0000-4000-8000-000000000002</p:SessionId>",
		"<w:OptionSet env:mustUnderstand=\"true\"/>",
		/* MS-WSMV 3.1.4.1.11, 3.1.4.1.15: ignored, even mustUnderstand */
		"<w:RequestEPR env:mustUnderstand=\"true\"/>",
		"<w:RequestTotalItemsCountEstimate env:mustUnderstand=\"true\"/>",
		"<p:ActivityId env:mustUnderstand=\"true\">0C486AD2-0372-0001-C878-480C7203D401</p:ActivityId>",
		"<p:DataLocale xml:lang=\"de-DE\" env:mustUnderstand=\"false\"/>",
	};
	for (size_t i = 0; i < sizeof(tolerated) / sizeof(tolerated[0]); i++) {
		char *env = with_header(envelope(ACT_GET, DPINFO_URI,
			KEY_NAL(DP01_NAL) KEY_TYPE KEY_SITE, NULL), tolerated[i]);
		struct http_reply r = post(p, env);
		if (r.status != 200) {
			fprintf(stderr, "--- response ---\n%s\n----------------\n", r.body);
			fail_msg("header %s: HTTP %ld", tolerated[i], r.status);
		}
		/* MS-WSMV 3.1.4.1.39: without robust connections, never echoed. */
		assert_int_equal(xpath_count(r.body, "/s:Envelope/s:Header/*[local-name()="
					     "'OperationID' or local-name()='SequenceId']"), 0);
		http_reply_free(&r);
		free(env);
	}
}

/* ---- the headers of MS-WSMV 3.1.4.1 ---------------------------------------- */

#define ANON "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
#define REPLY_TO_ANON "<a:ReplyTo><a:Address mustUnderstand=\"true\">" ANON \
	"</a:Address></a:ReplyTo>"
#define LOCALE_HDR "<w:Locale mustUnderstand=\"false\" xml:lang=\"en-US\"/>"

/* env with the first occurrence of old replaced by new; frees env. */
static char *replaced(char *env, const char *old, const char *new)
{
	char *at = strstr(env, old), *out = NULL;
	assert_non_null(at);
	assert_true(asprintf(&out, "%.*s%s%s", (int)(at - env), env, new, at + strlen(old)) > 0);
	free(env);
	return out;
}

/* env with its MessageID replaced by id, or without one (NULL). */
static char *with_message_id(char *env, const char *id)
{
	char *mid = message_id_of(env), *old = NULL, *new = NULL;
	assert_true(asprintf(&old, "<a:MessageID>%s</a:MessageID>", mid) > 0);
	if (id)
		assert_true(asprintf(&new, "<a:MessageID>%s</a:MessageID>", id) > 0);
	env = replaced(env, old, new ? new : "");
	free(new);
	free(old);
	free(mid);
	return env;
}

static char *get_env(void)
{
	return envelope(ACT_GET, DPINFO_URI, KEY_NAL(DP01_NAL) KEY_TYPE KEY_SITE, NULL);
}

/* Sends env and checks the fault; the fault relates to the request's
 * MessageID when it has one, and carries no RelatesTo when it has none. */
static void send_header_case(struct dpsim_proc *p, char *env, const struct want *w)
{
	if (strstr(env, "<a:MessageID>")) {
		send_expect(p, "lab", env, w);
		return;
	}
	struct http_reply r = post(p, env);
	check_fault(&r, w, NULL);
	assert_int_equal(xpath_count(r.body, "/s:Envelope/s:Header/a:RelatesTo"), 0);
	http_reply_free(&r);
	free(env);
}

/* MS-WSMV 3.1.4.1.3 and 3.1.4.1.4: WinRM answers on the request's own
 * connection; without a:ReplyTo it does not answer at all. */
static void headers_reply_to_and_fault_to(void **state)
{
	struct dpsim_proc *p = *state;
	const struct want required = {
		.code = "s:Sender", .subcode = "a:MessageInformationHeaderRequired",
		.action = ACT_ADDR_FAULT,
		.wsman_code = ERROR_WSMAN_MESSAGE_INFORMATION_HEADER_REQUIRED,
		.reason_has = "a:ReplyTo",
	};
	const struct want mode = {
		.code = "s:Sender", .subcode = "w:UnsupportedFeature", .action = ACT_WSMAN_FAULT,
		.wsman_code = ERROR_WSMAN_UNSUPPORTED_ADDRESSING_MODE,
		.detail = DETAIL("AddressingMode"), .reason_has = "http://client.example/back",
	};
	const struct want invalid = {
		.code = "s:Sender", .subcode = "a:InvalidMessageInformationHeader",
		.action = ACT_ADDR_FAULT,
		.wsman_code = ERROR_WSMAN_INVALID_MESSAGE_INFORMATION_HEADER,
		.reason_has = "a:Address",
	};

	send_header_case(p, replaced(get_env(), REPLY_TO_ANON, ""), &required);
	send_header_case(p, replaced(get_env(), ANON, "http://client.example/back"), &mode);
	send_header_case(p, replaced(get_env(), REPLY_TO_ANON, "<a:ReplyTo/>"), &invalid);
	send_header_case(p, with_header(get_env(), "<a:FaultTo><a:Address>"
		"http://client.example/back</a:Address></a:FaultTo>"), &mode);
	send_header_case(p, with_header(get_env(), "<a:FaultTo/>"), &invalid);

	const struct want twice = {
		.code = "s:Sender", .subcode = "a:InvalidMessageInformationHeader",
		.action = ACT_ADDR_FAULT,
		.wsman_code = ERROR_WSMAN_INVALID_MESSAGE_INFORMATION_HEADER,
		.reason_has = "a:ReplyTo",
	};
	send_header_case(p, with_header(get_env(), REPLY_TO_ANON), &twice);

	/* An anonymous FaultTo is what WinRM wants. */
	char *env = with_header(get_env(), "<a:FaultTo><a:Address>" ANON "</a:Address></a:FaultTo>");
	struct http_reply r = post(p, env);
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	free(env);
}

/* MS-WSMV 3.1.4.1.5 and WS-Addressing: every request but Identify names
 * its action and its MessageID (an empty one passes: wsl sends it). */
static void headers_action_and_message_id(void **state)
{
	struct dpsim_proc *p = *state;
	const struct want no_action = {
		.code = "s:Sender", .subcode = "a:MessageInformationHeaderRequired",
		.action = ACT_ADDR_FAULT,
		.wsman_code = ERROR_WSMAN_MESSAGE_INFORMATION_HEADER_REQUIRED,
		.reason_has = "a:Action",
	};
	const struct want bad_mid = {
		.code = "s:Sender", .subcode = "a:InvalidMessageInformationHeader",
		.action = ACT_ADDR_FAULT,
		.wsman_code = ERROR_WSMAN_INVALID_MESSAGE_INFORMATION_HEADER,
		.reason_has = "a:MessageID",
	};
	char *hdr = NULL;

	assert_true(asprintf(&hdr, "<a:Action mustUnderstand=\"true\">%s</a:Action>", ACT_GET) > 0);
	send_header_case(p, replaced(get_env(), hdr, ""), &no_action);
	const struct want empty_action = {
		.code = "s:Sender", .subcode = "a:InvalidMessageInformationHeader",
		.action = ACT_ADDR_FAULT,
		.wsman_code = ERROR_WSMAN_INVALID_MESSAGE_INFORMATION_HEADER,
		.reason_has = "a:Action",
	};
	send_header_case(p, replaced(get_env(), hdr, "<a:Action/>"), &empty_action);
	free(hdr);

	send_header_case(p, with_message_id(get_env(), NULL), &bad_mid);
	char long_id[2100];
	memset(long_id, 'x', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	send_header_case(p, with_message_id(get_env(), long_id), &bad_mid);

	char *env = with_message_id(get_env(), "");
	struct http_reply r = post(p, env);
	assert_int_equal(r.status, 200);
	expect_text(r.body, "/s:Envelope/s:Header/a:RelatesTo", "", "empty RelatesTo");
	http_reply_free(&r);
	free(env);
}

/* MS-WSMV 3.1.4.1.6, 3.1.4.1.8, 3.1.4.1.9, 3.1.4.1.12. */
static void headers_locale_timeout_activity(void **state)
{
	struct dpsim_proc *p = *state;
	const struct want locale = {
		.code = "s:Sender", .subcode = "w:UnsupportedFeature", .action = ACT_WSMAN_FAULT,
		.wsman_code = ERROR_WSMAN_MUSTUNDERSTAND_ON_LOCALE_UNSUPPORTED,
		.detail = DETAIL("Locale"), .reason_has = "Locale",
	};
	const struct want data_locale = {
		.code = "s:Sender", .subcode = "w:UnsupportedFeature", .action = ACT_WSMAN_FAULT,
		.wsman_code = ERROR_WSMAN_MUSTUNDERSTAND_ON_LOCALE_UNSUPPORTED,
		.detail = DETAIL("DataLocale"), .reason_has = "DataLocale",
	};
	const struct want no_lang = {
		.code = "s:Sender", .subcode = "w:SchemaValidationError", .action = ACT_WSMAN_FAULT,
		.wsman_code = ERROR_WSMAN_SCHEMA_VALIDATION_ERROR, .reason_has = "xml:lang",
	};
	const struct want timeout = {
		.code = "s:Sender", .subcode = "a:InvalidMessageInformationHeader",
		.action = ACT_WSMAN_FAULT, .wsman_code = ERROR_WSMAN_INVALID_TIMEOUT_HEADER,
		.detail = DETAIL("InvalidTimeout"), .reason_has = "PT5",
	};
	const struct want activity = {
		.code = "s:Sender", .subcode = "a:InvalidMessageInformationHeader",
		.action = ACT_ADDR_FAULT,
		.wsman_code = ERROR_WSMAN_INVALID_MESSAGE_INFORMATION_HEADER,
		.reason_has = "ActivityId",
	};

	send_header_case(p, replaced(get_env(), LOCALE_HDR,
		"<w:Locale mustUnderstand=\"true\" xml:lang=\"en-US\"/>"), &locale);
	send_header_case(p, replaced(get_env(), LOCALE_HDR, "<w:Locale/>"), &no_lang);
	send_header_case(p, with_header(get_env(),
		"<p:DataLocale xml:lang=\"en-US\" env:mustUnderstand=\"true\"/>"), &data_locale);
	send_header_case(p, replaced(get_env(), "PT20S", "PT5"), &timeout);
	const struct want twice = {
		.code = "s:Sender", .subcode = "w:SchemaValidationError", .action = ACT_WSMAN_FAULT,
		.wsman_code = ERROR_WSMAN_SCHEMA_VALIDATION_ERROR, .reason_has = "OperationTimeout",
	};
	send_header_case(p, with_header(get_env(), "<w:OperationTimeout>PT9S</w:OperationTimeout>"),
			 &twice);

	char *act = malloc(2100 + 40);
	assert_non_null(act);
	strcpy(act, "<p:ActivityId>");
	memset(act + strlen(act), 'A', 2049);
	strcpy(act + strlen("<p:ActivityId>") + 2049, "</p:ActivityId>");
	send_header_case(p, with_header(get_env(), act), &activity);
	free(act);
}

/* ---- w:AccessDenied ------------------------------------------------------- */

static char *invoke_env(const char *nal, const char *mode)
{
	char *body = NULL;
	assert_true(asprintf(&body, "<p:SetDPMaintenanceMode_INPUT xmlns:p=\"" DPINFO_URI "\">"
			     "%s%s%s%s%s%s</p:SetDPMaintenanceMode_INPUT>",
			     nal ? "<p:NALPath>" : "", nal ? nal : "", nal ? "</p:NALPath>" : "",
			     mode ? "<p:Mode>" : "", mode ? mode : "", mode ? "</p:Mode>" : "") > 0);
	char *env = envelope(DPINFO_URI "/SetDPMaintenanceMode", DPINFO_URI, NULL, body);
	free(body);
	return env;
}

static void access_denied(void **state)
{
	const struct want w = {
		.code = "s:Sender", .subcode = "w:AccessDenied", .action = ACT_WSMAN_FAULT,
		.wsman_code = WBEM_E_ACCESS_DENIED, .error_code = WBEM_E_ACCESS_DENIED,
		.cim_status = 2, .reason_has = "analyst",
	};
	send_expect(*state, "analyst", invoke_env(DP01_NAL, "1"), &w);
}

/* ---- w:InternalError (provider errors) ------------------------------------ */

static void internal_error(void **state)
{
	struct dpsim_proc *p = *state;
	struct want w = {
		.code = "s:Receiver", .subcode = "w:InternalError", .action = ACT_WSMAN_FAULT,
	};
	static const struct {
		const char *nal, *mode, *mentions;
		uint32_t hr;
		unsigned cim;
	} cases[] = {
		{ NOPE_NAL, "1", "NOPE.contoso.com", WBEM_E_NOT_FOUND, 6 },
		{ DP01_NAL, "2", "Mode", WBEM_E_INVALID_PARAMETER, 4 },
		{ DP01_NAL, "yes", "Mode", WBEM_E_TYPE_MISMATCH, 0 },
		{ DP01_NAL, NULL, "Mode", WBEM_E_INVALID_METHOD_PARAMETERS, 0 },
		{ NULL, "1", "NALPath", WBEM_E_INVALID_METHOD_PARAMETERS, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		w.wsman_code = w.error_code = cases[i].hr;
		w.cim_status = cases[i].cim;
		w.reason_has = cases[i].mentions;
		send_expect(p, "lab", invoke_env(cases[i].nal, cases[i].mode), &w);
	}
}

/* ---- Get of a fragment (MS-WSMV 3.1.4.1.18) -------------------------------- */

#define DMTF_URI "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
#define XFRAG "/s:Envelope/s:Body/w:XmlFragment"

/* A Get of DP02 (in maintenance in the lab) with a FragmentTransfer
 * header holding expr (and attrs on it, e.g. a Dialect). */
static char *fragment_get(const char *uri, const char *sel, const char *expr, const char *attrs)
{
	char *hdr = NULL;
	assert_true(asprintf(&hdr, "<w:FragmentTransfer env:mustUnderstand=\"true\"%s>%s"
			     "</w:FragmentTransfer>", attrs ? attrs : "", expr) > 0);
	char *env = with_header(envelope(ACT_GET, uri, sel, NULL), hdr);
	free(hdr);
	return env;
}

#define DP02_KEYS KEY_NAL(DP02_NAL) KEY_TYPE KEY_SITE

/* `winrm get ... -fragment:MaintenanceMode`: the value in w:XmlFragment,
 * as the property's element in the class's namespace; the header is
 * echoed. The class step, the position [1] and text() work too, and so
 * does the DMTF URI form (Get-WSManInstance -Fragment on a CIM URI). */
static void fragment_get_value(void **state)
{
	struct dpsim_proc *p = *state;
	static const struct {
		const char *uri, *sel, *expr, *ns;
		bool text;
	} cases[] = {
		{ DPINFO_URI, DP02_KEYS, "MaintenanceMode", DPINFO_URI, false },
		{ DPINFO_URI, DP02_KEYS, " SMS_DistributionPointInfo/MaintenanceMode ",
		  DPINFO_URI, false },
		{ DPINFO_URI, DP02_KEYS, "MaintenanceMode[1]", DPINFO_URI, false },
		{ DPINFO_URI, DP02_KEYS, "MaintenanceMode/text()", NULL, true },
		{ DPINFO_URI, DP02_KEYS, "SMS_DistributionPointInfo/MaintenanceMode[1]/text()",
		  NULL, true },
		{ DMTF_URI "SMS_DistributionPointInfo",
		  "<w:Selector Name=\"__cimnamespace\">root/sms/site_PS1</w:Selector>" DP02_KEYS,
		  "MaintenanceMode", DMTF_URI "SMS_DistributionPointInfo", false },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *env = fragment_get(cases[i].uri, cases[i].sel, cases[i].expr, NULL);
		char *mid = message_id_of(env);
		struct http_reply r = post(p, env);
		if (r.status != 200) {
			fprintf(stderr, "--- response ---\n%s\n----------------\n", r.body);
			fail_msg("%s: HTTP %ld", cases[i].expr, r.status);
		}
		expect_text(r.body, "/s:Envelope/s:Header/a:Action", ACT_GET "Response", "Action");
		expect_text(r.body, "/s:Envelope/s:Header/a:RelatesTo", mid, "RelatesTo");
		char *echo = xpath_text(r.body, "/s:Envelope/s:Header/w:FragmentTransfer");
		assert_non_null(strstr(cases[i].expr, echo));
		free(echo);
		assert_int_equal(xpath_count(r.body, "/s:Envelope/s:Header/w:FragmentTransfer"
					     "[@s:mustUnderstand='true']"), 1);
		assert_int_equal(xpath_count(r.body, "/s:Envelope/s:Body/*"), 1);
		if (cases[i].text) {
			assert_int_equal(xpath_count(r.body, XFRAG "/*"), 0);
			expect_text(r.body, XFRAG, "1", "text() fragment");
		} else {
			assert_int_equal(xpath_count(r.body, XFRAG "/*"), 1);
			expect_text(r.body, XFRAG "/*[local-name()='MaintenanceMode']", "1",
				    "MaintenanceMode");
			expect_text(r.body, "namespace-uri(" XFRAG "/*)", cases[i].ns, "namespace");
		}
		http_reply_free(&r);
		free(mid);
		free(env);
	}
}

/* What dpsim cannot evaluate gets WinRM's answer to an expression it
 * cannot evaluate: w:CannotProcessFilter (the wsman one, <65> <66>). */
static void fragment_get_refused(void **state)
{
	struct dpsim_proc *p = *state;
	struct want w = {
		.code = "s:Sender", .subcode = "w:CannotProcessFilter", .action = ACT_WSMAN_FAULT,
		.wsman_code = ERROR_WSMAN_INVALID_FRAGMENT_PATH,
	};
	static const struct {
		const char *expr, *mentions;
	} cases[] = {
		{ "NoSuchProperty", "NoSuchProperty" },			/* not in the class */
		{ "maintenancemode", "case-sensitive" },		/* XPath names have case */
		{ "SMS_DistributionPoint/MaintenanceMode", "SMS_DistributionPoint" },
		{ "MaintenanceMode[2]", "MaintenanceMode[2]" },		/* one element only */
		{ "/SMS_DistributionPointInfo/MaintenanceMode", "'/'" },	/* <65> */
		{ "@xsi:type", "attribute" },
		{ "p:MaintenanceMode", "prefixed" },
		{ "*", "wildcard" },
		{ "MaintenanceMode[Name='x']", "predicate" },
		{ "count(MaintenanceMode)", "character" },
		{ "a/b/c", "more steps" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		w.reason_has = cases[i].mentions;
		send_expect(p, "lab", fragment_get(DPINFO_URI, DP02_KEYS, cases[i].expr, NULL), &w);
	}

	/* An empty expression: WinRM's own code for a blank path. */
	w.wsman_code = 2150859017u;	/* ERROR_WSMAN_INVALID_FRAGMENT_PATH_BLANK */
	w.reason_has = "empty";
	send_expect(p, "lab", fragment_get(DPINFO_URI, DP02_KEYS, "", NULL), &w);

	/* A dialect other than XPath. */
	const struct want dialect = {
		.code = "s:Receiver", .subcode = "w:FragmentDialectNotSupported",
		.action = ACT_WSMAN_FAULT,
		.wsman_code = ERROR_WSMAN_FRAGMENT_DIALECT_REQUESTED_UNAVAILABLE,
		.reason_has = "urn:dialect:other",
	};
	send_expect(p, "lab", fragment_get(DPINFO_URI, DP02_KEYS, "MaintenanceMode",
					   " Dialect=\"urn:dialect:other\""), &dialect);
	/* ... while the XPath dialect named outright is the default. */
	char *env = fragment_get(DPINFO_URI, DP02_KEYS, "MaintenanceMode",
				 " Dialect=\"http://www.w3.org/TR/1999/REC-xpath-19991116\"");
	struct http_reply r = post(p, env);
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	free(env);

	/* MS-WSMV 3.1.4.1.18: the header must be marked mustUnderstand. */
	const struct want not_mu = {
		.code = "s:Sender", .subcode = "a:InvalidMessageInformationHeader",
		.action = ACT_ADDR_FAULT,
		.wsman_code = ERROR_WSMAN_INVALID_MESSAGE_INFORMATION_HEADER,
		.reason_has = "FragmentTransfer",
	};
	send_expect(p, "lab", with_header(envelope(ACT_GET, DPINFO_URI, DP02_KEYS, NULL),
		"<w:FragmentTransfer>MaintenanceMode</w:FragmentTransfer>"), &not_mu);
}

/* WinRM transfers fragments with Get and Put only (<64>): an Enumerate
 * (or Pull, Invoke) with a fragment is refused, not answered whole. */
static void fragment_enumerate_refused(void **state)
{
	const struct want w = {
		.code = "s:Sender", .subcode = "w:UnsupportedFeature", .action = ACT_WSMAN_FAULT,
		.wsman_code = ERROR_WSMAN_FRAGMENT_TRANSFER_NOT_SUPPORTED,
		.detail = DETAIL("FragmentLevelAccess"), .reason_has = "Get only",
	};
	send_expect(*state, "lab", with_header(envelope(ACT_ENUM, DPINFO_URI, NULL,
		"<n:Enumerate><w:OptimizeEnumeration/></n:Enumerate>"),
		"<w:FragmentTransfer env:mustUnderstand=\"true\">MaintenanceMode"
		"</w:FragmentTransfer>"), &w);
	send_expect(*state, "lab", with_header(invoke_env(DP01_NAL, "1"),
		"<w:FragmentTransfer env:mustUnderstand=\"true\">ReturnValue"
		"</w:FragmentTransfer>"), &w);
}

/* A class with an array and a null property, declared in a fixture. */
static int start_array_class(void **state)
{
	struct dpsim_proc *p = calloc(1, sizeof(*p));
	char path[400];
	dpsim_prepare(p);
	snprintf(path, sizeof(path), "%s/tags.xml", p->dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, "<?xml version=\"1.0\"?>\n<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">"
		"<users><user name=\"lab\" password=\"lab\" role=\"Full Administrator\"/></users>"
		"<site code=\"PS1\" name=\"Tags\" provider=\"CM01.contoso.com\">"
		"<dp fqdn=\"DP01.contoso.com\"/>"
		"<class name=\"Lab_Tagged\"><property name=\"Name\" type=\"string\" key=\"true\"/>"
		"<property name=\"Tags\" type=\"string\" array=\"true\"/>"
		"<property name=\"Note\" type=\"string\"/>"
		"<property name=\"Seen\" type=\"datetime\"/>"
		"<instance><value name=\"Name\">a</value><value name=\"Tags\">x &amp; y</value>"
		"<value name=\"Tags\">z</value><value name=\"Seen\">2024-05-01T10:00:00Z</value>"
		"</instance></class></site></dpsim-fixture>\n");
	fclose(f);
	const char *const extra[] = { "--fixture", path, NULL };
	if (dpsim_start(p, extra))
		return -1;
	*state = p;
	return 0;
}

/* Arrays: the property is every element, [n] one of them (from 1), and
 * text() needs [n] when there are several. Null: the nil element, and no
 * text. A datetime's text is its value. */
static void fragment_arrays_and_null(void **state)
{
	struct dpsim_proc *p = *state;
	const char *uri = WMI_NS "/Lab_Tagged", *key = "<w:Selector Name=\"Name\">a</w:Selector>";
	struct http_reply r;
	char *env;

	env = fragment_get(uri, key, "Tags", NULL);
	r = post(p, env);
	assert_int_equal(r.status, 200);
	assert_int_equal(xpath_count(r.body, XFRAG "/*[local-name()='Tags']"), 2);
	expect_text(r.body, XFRAG "/*[2]", "z", "Tags[2]");
	http_reply_free(&r);
	free(env);

	env = fragment_get(uri, key, "Tags[1]/text()", NULL);
	r = post(p, env);
	assert_int_equal(r.status, 200);
	expect_text(r.body, XFRAG, "x & y", "Tags[1]/text()");
	http_reply_free(&r);
	free(env);

	env = fragment_get(uri, key, "Note", NULL);
	r = post(p, env);
	assert_int_equal(r.status, 200);
	assert_int_equal(xpath_count(r.body, XFRAG "/*[local-name()='Note'][@xsi:nil='true']"), 1);
	http_reply_free(&r);
	free(env);

	env = fragment_get(uri, key, "Note/text()", NULL);
	r = post(p, env);
	assert_int_equal(r.status, 200);
	assert_int_equal(xpath_count(r.body, XFRAG "/node()"), 0);
	http_reply_free(&r);
	free(env);

	env = fragment_get(uri, key, "Seen/text()", NULL);
	r = post(p, env);
	assert_int_equal(r.status, 200);
	char *seen = xpath_text(r.body, XFRAG);
	assert_non_null(seen);
	assert_non_null(strstr(seen, "2024-05-01T10:00:00"));
	free(seen);
	http_reply_free(&r);
	free(env);

	struct want w = {
		.code = "s:Sender", .subcode = "w:CannotProcessFilter", .action = ACT_WSMAN_FAULT,
		.wsman_code = ERROR_WSMAN_INVALID_FRAGMENT_PATH, .reason_has = "Tags[n]/text()",
	};
	send_expect(p, "lab", fragment_get(uri, key, "Tags/text()", NULL), &w);
	w.reason_has = "Tags[3]";
	send_expect(p, "lab", fragment_get(uri, key, "Tags[3]", NULL), &w);
}

/* ---- UTF-16 --------------------------------------------------------------- */

/* text as UTF-16 (ASCII in, so one unit per byte) with a BOM. */
static char *utf16(const char *text, bool big_endian, size_t *len)
{
	size_t n = strlen(text);
	unsigned char *out = malloc(2 * n + 2), *o = out;
	assert_non_null(out);
	*o++ = big_endian ? 0xFE : 0xFF;
	*o++ = big_endian ? 0xFF : 0xFE;
	for (size_t i = 0; i < n; i++) {
		assert_true((unsigned char)text[i] < 0x80);
		*o++ = big_endian ? 0 : (unsigned char)text[i];
		*o++ = big_endian ? (unsigned char)text[i] : 0;
	}
	*len = 2 * n + 2;
	return (char *)out;
}

/* env (UTF-8, ASCII, with its encoding="utf-8" declaration) as a
 * UTF-16 request in byte order be, its declaration saying so. */
static char *as_utf16(const char *env, bool be, size_t *len)
{
	const char *decl = strstr(env, "encoding=\"utf-8\"");
	char *env16 = NULL;

	assert_non_null(decl);
	assert_true(asprintf(&env16, "%.*sencoding=\"utf-16\"%s", (int)(decl - env), env,
			     decl + strlen("encoding=\"utf-8\"")) > 0);
	char *body = utf16(env16, be, len);
	free(env16);
	return body;
}

/* The answer to a UTF-16 request: it must say UTF-16, start with the
 * byte-order mark of the request's order, and hold ASCII text only (the
 * lab's data is ASCII); returned as a C string (malloc'd). */
static char *from_utf16(const struct http_reply *r, bool be)
{
	const unsigned char *b = (const unsigned char *)r->body;
	char *out;

	assert_string_equal(r->content_type, "application/soap+xml;charset=UTF-16");
	assert_true(r->len >= 2 && r->len % 2 == 0);
	assert_int_equal(b[0], be ? 0xFE : 0xFF);
	assert_int_equal(b[1], be ? 0xFF : 0xFE);
	out = malloc(r->len / 2);
	assert_non_null(out);
	for (size_t i = 2; i < r->len; i += 2) {
		unsigned hi = be ? b[i] : b[i + 1], lo = be ? b[i + 1] : b[i];

		assert_int_equal(hi, 0);
		assert_true(lo != 0);
		out[i / 2 - 1] = (char)lo;
	}
	out[r->len / 2 - 1] = '\0';
	return out;
}

/* As New-CimSessionOption -Encoding Utf16 sends: accepted, and answered
 * in UTF-16 of the same byte order (with its mark), whatever the answer:
 * an Enumerate, a Pull, a Get, a Get of a fragment, an Invoke, a fault. */
static void utf16_answered_in_utf16(void **state)
{
	struct dpsim_proc *p = *state;
	static const char *const ct = "application/soap+xml;charset=UTF-16";

	for (int be = 0; be < 2; be++) {
		size_t len;
		char *env = wql_env("SELECT * FROM SMS_DistributionPointInfo WHERE Name = 'DP02.contoso.com'");
		char *body = as_utf16(env, be, &len);
		struct http_reply r = post_ct(p, "lab", ct, body, len);
		assert_int_equal(r.status, 200);
		char *text = from_utf16(&r, be);
		assert_int_equal(xpath_count(text, "//w:Items/*"), 1);
		char *v = xpath_text(text, "//w:Items/*/*[local-name()='MaintenanceMode']");
		assert_string_equal(v, "1");
		free(v);
		free(text);
		http_reply_free(&r);
		free(body);
		free(env);

		/* Get */
		env = envelope(ACT_GET, DPINFO_URI, KEY_NAL(DP01_NAL) KEY_TYPE KEY_SITE, NULL);
		body = as_utf16(env, be, &len);
		r = post_ct(p, "lab", ct, body, len);
		assert_int_equal(r.status, 200);
		text = from_utf16(&r, be);
		v = xpath_text(text, "//*[local-name()='Name']");
		assert_string_equal(v, "DP01.contoso.com");
		free(v);
		free(text);
		http_reply_free(&r);
		free(body);
		free(env);

		/* Get of a fragment */
		env = fragment_get(DPINFO_URI, DP02_KEYS, "MaintenanceMode", NULL);
		body = as_utf16(env, be, &len);
		r = post_ct(p, "lab", ct, body, len);
		assert_int_equal(r.status, 200);
		text = from_utf16(&r, be);
		expect_text(text, XFRAG "/*[local-name()='MaintenanceMode']", "1", "UTF-16 fragment");
		expect_text(text, "/s:Envelope/s:Header/w:FragmentTransfer", "MaintenanceMode",
			    "UTF-16 FragmentTransfer");
		free(text);
		http_reply_free(&r);
		free(body);
		free(env);

		/* Enumerate, then Pull */
		env = envelope(ACT_ENUM, DPINFO_URI, NULL, "<n:Enumerate/>");
		body = as_utf16(env, be, &len);
		r = post_ct(p, "lab", ct, body, len);
		assert_int_equal(r.status, 200);
		text = from_utf16(&r, be);
		char *ctx = xpath_text(text, "//n:EnumerateResponse/n:EnumerationContext");
		assert_non_null(ctx);
		free(text);
		http_reply_free(&r);
		free(body);
		free(env);
		env = pull_env(ctx, 2);
		body = as_utf16(env, be, &len);
		r = post_ct(p, "lab", ct, body, len);
		assert_int_equal(r.status, 200);
		text = from_utf16(&r, be);
		assert_int_equal(xpath_count(text, "//n:Items/*"), 2);
		free(text);
		http_reply_free(&r);
		free(body);
		free(env);
		free(ctx);

		/* A fault: Mode 2 is refused, and the refusal is UTF-16 too. */
		env = invoke_env(DP02_NAL, "2");
		body = as_utf16(env, be, &len);
		r = post_ct(p, "lab", ct, body, len);
		assert_int_equal(r.status, 500);
		text = from_utf16(&r, be);
		v = xpath_text(text, "//f:WSManFault/@Code");
		assert_string_equal(v, "2147749896");	/* 0x80041008 WBEM_E_INVALID_PARAMETER */
		free(v);
		free(text);
		http_reply_free(&r);
		free(body);
		free(env);
	}

	/* A change made in UTF-16 is a change, and its answer says so in
	 * UTF-16. */
	char *env = invoke_env(DP02_NAL, "0");
	size_t len;
	char *body = as_utf16(env, false, &len);
	struct http_reply r = post_ct(p, "lab", "application/soap+xml;charset=utf-16", body, len);
	assert_int_equal(r.status, 200);
	char *text = from_utf16(&r, false);
	char *rv = xpath_text(text, "//*[local-name()='ReturnValue']");
	assert_string_equal(rv, "0");
	free(rv);
	free(text);
	http_reply_free(&r);
	free(body);
	free(env);
	/* A UTF-8 request is still answered in UTF-8. */
	env = wql_env("SELECT * FROM SMS_DistributionPointInfo WHERE Name = 'DP02.contoso.com'");
	r = post(p, env);
	assert_string_equal(r.content_type, "application/soap+xml;charset=UTF-8");
	rv = xpath_text(r.body, "//w:Items/*/*[local-name()='MaintenanceMode']");
	assert_string_equal(rv, "0");
	free(rv);
	http_reply_free(&r);
	free(env);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
	xmlInitParser();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(invalid_selectors_insufficient, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(invalid_selectors_unexpected, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(invalid_selectors_duplicate, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(invalid_selectors_invalid_value, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(destination_unreachable_bad_uri, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(destination_unreachable_namespace, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(destination_unreachable_class, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(destination_unreachable_cimnamespace_mismatch, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(action_not_supported_unknown_action, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(action_not_supported_unknown_method, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(schema_validation_not_xml, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(schema_validation_not_soap12, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(schema_validation_dtd, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(invalid_context_unknown, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(invalid_context_released, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(invalid_context_finished, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(invalid_context_other_user, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(cannot_process_filter_syntax, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(cannot_process_filter_unknown_property, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(filter_dialect_unavailable, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(encoding_limit_max_envelope, start_big_instance, harness_stop),
		cmocka_unit_test_setup_teardown(encoding_limit_max_envelope_minimum, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(encoding_limit_max_body, start_small_body, harness_stop),
		cmocka_unit_test_setup_teardown(encoding_limit_charset, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(must_understand, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(must_understand_only_when_required, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(headers_reply_to_and_fault_to, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(headers_action_and_message_id, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(headers_locale_timeout_activity, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(fragment_get_value, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(fragment_get_refused, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(fragment_enumerate_refused, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(fragment_arrays_and_null, start_array_class,
						harness_stop),
		cmocka_unit_test_setup_teardown(access_denied, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(internal_error, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(utf16_answered_in_utf16, harness_start, harness_stop),
	};
	int r = cmocka_run_group_tests_name("faults (integration)", tests, NULL, NULL);
	xmlCleanupParser();
	curl_global_cleanup();
	return r;
}
