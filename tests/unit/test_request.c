/* Tests for wsman/request.c: the golden requests captured from wsl,
 * pywinrm and masterzen/winrm (fixtures/requests/), the other wire forms
 * of docs/wsman-protocol.md (Invoke, What real clients send) and hostile
 * input. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/globals.h>
#include <libxml/parser.h>

#include "request.h"

#define FIXTURES SOURCE_ROOT "/fixtures/requests/"

#define RURI_DP \
	"http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_PS1/" \
	"SMS_DistributionPoint"
#define RURI_ALL \
	"http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_PS1/*"
#define RURI_DPI \
	"http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_PS1/" \
	"SMS_DistributionPointInfo"
#define ACT_GET "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
#define ACT_ENUM "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
#define ACT_PULL "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull"
#define ACT_RELEASE \
	"http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release"
#define WQL "http://schemas.microsoft.com/wbem/wsman/1/WQL"
#define WQL_QUERY "SELECT * FROM SMS_DistributionPointInfo WHERE Name='dp01'"
#define SELFILTER "http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter"
/* The NAL path exactly as every client put it on the wire. */
#define NALPATH \
	"[\"Display=\\\\dp01.contoso.com\\\"]MSWNET:[\"SMS_SITE=PS1\"]" \
	"\\\\dp01.contoso.com\\"

/* ---- helpers ---------------------------------------------------------- */

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *data;
	long n;

	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	data = malloc((size_t)n + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)n, f), (size_t)n);
	data[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return data;
}

static char *read_fixture(const char *name, size_t *len)
{
	char path[512];

	snprintf(path, sizeof(path), FIXTURES "%s.xml", name);
	return read_file(path, len);
}

struct result {
	int rc;
	struct wsman_request *r;
	struct wsman_fault f;
	char reason[512];
};

static void parse_len(struct result *res, const char *body, size_t len,
		      unsigned depth)
{
	memset(res, 0, sizeof(*res));
	res->rc = wsman_request_parse(body, len, depth, &res->r, &res->f,
				      res->reason, sizeof(res->reason));
}

static void parse_str(struct result *res, const char *body)
{
	parse_len(res, body, strlen(body), 0);
}

static struct wsman_request *parse_fixture(const char *name)
{
	struct result res;
	size_t len;
	char *body = read_fixture(name, &len);

	parse_len(&res, body, len, 0);
	free(body);
	if (res.rc != 0)
		fail_msg("%s: rc %d: %s", name, res.rc,
			 res.f.reason ? res.f.reason : "(no reason)");
	assert_non_null(res.r);
	return res.r;
}

static void assert_schema_fault(const struct result *res, const char *needle)
{
	assert_int_equal(res->rc, -EINVAL);
	assert_int_equal(res->f.subcode, WSMAN_SUB_SCHEMA_VALIDATION);
	assert_int_equal(res->f.code, WSMAN_CODE_SCHEMA_VALIDATION);
	assert_non_null(res->f.reason);
	if (strstr(res->f.reason, needle) == NULL)
		fail_msg("reason \"%s\" lacks \"%s\"", res->f.reason, needle);
}

static void release(struct result *res)
{
	wsman_request_free(res->r);
	res->r = NULL;
}

/* An envelope with the usual bindings around the given header and body
 * content; the caller frees it. */
static char *envelope(const char *headers, const char *body)
{
	char *s;

	assert_true(asprintf(&s,
		"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\""
		" xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\""
		" xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\""
		" xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\""
		" xmlns:p=\"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd\""
		" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
		"<s:Header>%s</s:Header><s:Body>%s</s:Body></s:Envelope>",
		headers, body) > 0);
	return s;
}

#define IDENTIFY "<i:Identify xmlns:i=\"http://schemas.dmtf.org/wbem/" \
	"wsman/identity/1/wsmanidentity.xsd\"/>"

/* MessageID and the anonymous ReplyTo every request but Identify needs */
#define REPLY_TO "<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/" \
	"2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>"
#define MID "<a:MessageID>uuid:11111111-2222-3333-4444-555555555555" \
	"</a:MessageID>" REPLY_TO
#define MID_TEXT "uuid:11111111-2222-3333-4444-555555555555"
#define HDR_GET "<a:Action s:mustUnderstand=\"true\">" ACT_GET "</a:Action>" \
	"<w:ResourceURI s:mustUnderstand=\"true\">" RURI_DP \
	"</w:ResourceURI>" MID

static void parse_env(struct result *res, const char *headers,
		      const char *body)
{
	char *s = envelope(headers, body);

	parse_str(res, s);
	free(s);
}

/* ---- golden requests: every capture parses ----------------------------- */

static const struct {
	const char *name;
	enum wsman_op op;
	const char *message_id;	/* NULL: absent */
} golden[] = {
	{ "gowinrm_06_Invoke_SetDPMaintenanceMode", WSMAN_OP_INVOKE,
	  "uuid:00000000-0000-0000-0000-000000000001" },
	{ "gowinrm_07_Enumerate", WSMAN_OP_ENUMERATE,
	  "uuid:00000000-0000-0000-0000-000000000002" },
	{ "gowinrm_08_Pull", WSMAN_OP_PULL,
	  "uuid:00000000-0000-0000-0000-000000000003" },
	{ "gowinrm_09_Get", WSMAN_OP_GET,
	  "uuid:00000000-0000-0000-0000-000000000099" },
	{ "pywinrm_01_Invoke_SetDPMaintenanceMode", WSMAN_OP_INVOKE,
	  "uuid:d7410c22-949e-40b3-b952-de90c8887c16" },
	{ "pywinrm_02_Enumerate", WSMAN_OP_ENUMERATE,
	  "uuid:0e3011f8-98a1-450b-9142-103d20d32e11" },
	{ "pywinrm_03_Pull", WSMAN_OP_PULL,
	  "uuid:a57b2392-48e2-4971-9122-c930944df954" },
	{ "pywinrm_04_Get", WSMAN_OP_GET,
	  "uuid:693f240e-27e9-4327-be2f-c3003655733d" },
	{ "pywinrm_05_Get_noselectors_fault500", WSMAN_OP_GET,
	  "uuid:70aca7e9-df76-49bb-9074-fb2ad8c9191d" },
	{ "pywinrm_06_Get_MSFT_WmiError_fault500", WSMAN_OP_GET,
	  "uuid:f1763897-35b2-41bd-9035-ec6a763fa26f" },
	{ "wsl_01_Identify_emptyMessageID", WSMAN_OP_IDENTIFY, NULL },
	{ "wsl_02_Get_emptyMessageID", WSMAN_OP_GET, "" },
	{ "wsl_03_Enumerate_emptyMessageID", WSMAN_OP_ENUMERATE, "" },
	{ "wsl_04_Pull_emptyMessageID", WSMAN_OP_PULL, "" },
	{ "wsl_05_Invoke_SetDPMaintenanceMode", WSMAN_OP_INVOKE,
	  "c2b383b1-0287-4d12-834d-948309fac017" },
	{ "wsl_06_Enumerate", WSMAN_OP_ENUMERATE,
	  "242b8270-5726-4529-9fc7-03ffc1f6048a" },
	{ "wsl_07_Pull", WSMAN_OP_PULL,
	  "04600271-d987-427a-a843-59c7cee3efd1" },
	{ "wsl_08_Get", WSMAN_OP_GET,
	  "711a8842-9fbd-4a1c-a857-977c039e849c" },
};

static void test_golden_all(void **state)
{
	for (size_t i = 0; i < sizeof(golden) / sizeof(*golden); i++) {
		struct wsman_request *r = parse_fixture(golden[i].name);

		assert_int_equal(r->op, golden[i].op);
		if (golden[i].message_id == NULL)
			assert_null(r->message_id);
		else
			assert_string_equal(r->message_id,
					    golden[i].message_id);
		if (r->op == WSMAN_OP_IDENTIFY) {
			assert_null(r->action);
			assert_null(r->resource_uri);
		} else {
			assert_non_null(r->action);
			assert_non_null(r->resource_uri);
		}
		wsman_request_free(r);
	}
}

static void assert_dp_invoke(const struct wsman_request *r)
{
	assert_int_equal(r->op, WSMAN_OP_INVOKE);
	assert_string_equal(r->action, RURI_DP "/SetDPMaintenanceMode");
	assert_string_equal(r->resource_uri, RURI_DP);
	assert_string_equal(r->method, "SetDPMaintenanceMode");
	assert_int_equal(r->nparams, 2);
	assert_string_equal(r->params[0].name, "NALPath");
	assert_string_equal(r->params[0].value, NALPATH);
	assert_string_equal(r->params[1].name, "Mode");
	assert_string_equal(r->params[1].value, "1");
	assert_int_equal(r->nselectors, 0);
}

static void test_golden_invoke(void **state)
{
	struct wsman_request *r;

	r = parse_fixture("pywinrm_01_Invoke_SetDPMaintenanceMode");
	assert_dp_invoke(r);
	assert_int_equal(r->max_envelope_size, 153600);
	assert_int_equal(r->operation_timeout_ms, 20000);
	wsman_request_free(r);

	/* Go: m: prefix, newlines between the parameters, PT60S */
	r = parse_fixture("gowinrm_06_Invoke_SetDPMaintenanceMode");
	assert_dp_invoke(r);
	assert_int_equal(r->operation_timeout_ms, 60000);
	wsman_request_free(r);

	/* wsl: bare GUID MessageID, an empty SelectorSet, indentation */
	r = parse_fixture("wsl_05_Invoke_SetDPMaintenanceMode");
	assert_dp_invoke(r);
	assert_int_equal(r->max_envelope_size, 0);
	assert_int_equal(r->operation_timeout_ms, 0);
	wsman_request_free(r);
}

static void test_golden_enumerate(void **state)
{
	static const char *const wql[] = {
		"pywinrm_02_Enumerate", "gowinrm_07_Enumerate",
		"wsl_03_Enumerate_emptyMessageID",
	};
	struct wsman_request *r;

	for (size_t i = 0; i < 3; i++) {
		r = parse_fixture(wql[i]);
		assert_string_equal(r->action, ACT_ENUM);
		assert_string_equal(r->resource_uri, RURI_ALL);
		assert_string_equal(r->filter_dialect, WQL);
		assert_string_equal(r->filter_text, WQL_QUERY);
		assert_int_equal(r->nfilter_selectors, 0);
		assert_int_equal(r->enum_mode, WSMAN_ENUM_OBJECTS);
		/* wsl sends no OptimizeEnumeration without -opti */
		assert_int_equal(r->optimize, i < 2);
		assert_int_equal(r->max_elements, i < 2 ? 32000 : 0);
		assert_null(r->method);
		wsman_request_free(r);
	}

	r = parse_fixture("wsl_06_Enumerate");
	assert_string_equal(r->resource_uri, RURI_DPI);
	assert_true(r->optimize);
	assert_int_equal(r->max_elements, 32000);
	assert_int_equal(r->enum_mode, WSMAN_ENUM_OBJECT_AND_EPR);
	assert_string_equal(r->filter_dialect, SELFILTER);
	assert_null(r->filter_text);
	assert_int_equal(r->nfilter_selectors, 1);
	assert_string_equal(r->filter_selectors[0].name, "Name");
	assert_string_equal(r->filter_selectors[0].value, "dp01");
	wsman_request_free(r);
}

static void test_golden_pull(void **state)
{
	static const struct {
		const char *name, *context, *ruri;
		uint32_t max;
	} pulls[] = {
		{ "pywinrm_03_Pull", "uuid:3AFE1E9B-151D-41CC-832F-7FF164FB7FA1",
		  RURI_ALL, 32000 },
		{ "gowinrm_08_Pull", "uuid:AAAF2755-CAF1-4FB8-9C97-B5776FCD179A",
		  RURI_ALL, 32000 },
		{ "wsl_04_Pull_emptyMessageID",
		  "uuid:C616AE21-3B0B-401B-A97C-76F2B88F3E65", RURI_ALL, 0 },
		{ "wsl_07_Pull", "uuid:01E0FB14-77D4-4055-A28D-D34FDA9CE974",
		  RURI_DPI, 32000 },
	};

	for (size_t i = 0; i < sizeof(pulls) / sizeof(*pulls); i++) {
		struct wsman_request *r = parse_fixture(pulls[i].name);

		assert_string_equal(r->action, ACT_PULL);
		assert_string_equal(r->context, pulls[i].context);
		assert_string_equal(r->resource_uri, pulls[i].ruri);
		assert_int_equal(r->max_elements, pulls[i].max);
		wsman_request_free(r);
	}
}

static void test_golden_get(void **state)
{
	static const char *const both[] = {
		"pywinrm_04_Get", "gowinrm_09_Get", "wsl_02_Get_emptyMessageID",
	};
	struct wsman_request *r;

	for (size_t i = 0; i < 3; i++) {
		r = parse_fixture(both[i]);
		assert_string_equal(r->action, ACT_GET);
		assert_string_equal(r->resource_uri, RURI_DP);
		assert_int_equal(r->nselectors, 2);
		assert_string_equal(r->selectors[0].name, "NALPath");
		assert_string_equal(r->selectors[0].value, NALPATH);
		assert_string_equal(r->selectors[1].name, "SiteCode");
		assert_string_equal(r->selectors[1].value, "PS1");
		assert_string_equal(wsman_request_selector(r, "sitecode"),
				    "PS1");
		assert_string_equal(wsman_request_selector(r, "NALPATH"),
				    NALPATH);
		assert_null(wsman_request_selector(r, "__cimnamespace"));
		wsman_request_free(r);
	}

	r = parse_fixture("pywinrm_05_Get_noselectors_fault500");
	assert_int_equal(r->nselectors, 0);
	assert_null(wsman_request_selector(r, "SiteCode"));
	wsman_request_free(r);

	r = parse_fixture("pywinrm_06_Get_MSFT_WmiError_fault500");
	assert_int_equal(r->nselectors, 1);
	assert_string_equal(wsman_request_selector(r, "SiteCode"), "BAD");
	wsman_request_free(r);

	r = parse_fixture("wsl_08_Get");
	assert_int_equal(r->nselectors, 1);
	assert_string_equal(r->selectors[0].value, "PS1");
	wsman_request_free(r);
}

static void test_golden_identify(void **state)
{
	struct wsman_request *r = parse_fixture("wsl_01_Identify_emptyMessageID");

	assert_int_equal(r->op, WSMAN_OP_IDENTIFY);
	assert_null(r->action);
	assert_null(r->message_id);
	assert_int_equal(r->nselectors, 0);
	wsman_request_free(r);
}

/* ---- other wire forms ------------------------------------------------- */

/* The MI client's static invoke (docs/wsman-protocol.md, Invoke, DMTF
 * form): DMTF URI, __cimnamespace,
 * OptionSet with mustUnderstand, no mustUnderstand on Action. */
static void test_invoke_dmtf_form(void **state)
{
	struct result res;

	parse_env(&res,
		"<w:ResourceURI s:mustUnderstand=\"true\">"
		"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
		"SMS_DistributionPoint</w:ResourceURI>"
		"<a:Action>http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
		"SMS_DistributionPoint/SetDPMaintenanceMode</a:Action>"
		"<w:OptionSet s:mustUnderstand=\"true\"/>"
		"<w:SelectorSet><w:Selector Name=\"__cimnamespace\">"
		"root/sms/site_PS1</w:Selector></w:SelectorSet>"
		"<w:OperationTimeout>PT1M30S</w:OperationTimeout>"
		"<w:MaxEnvelopeSize s:mustUnderstand=\"true\">102400"
		"</w:MaxEnvelopeSize>" MID,
		"<q:SetDPMaintenanceMode_INPUT xmlns:q=\"http://schemas.dmtf.org"
		"/wbem/wscim/1/cim-schema/2/SMS_DistributionPoint\">"
		"<q:NALPath>x</q:NALPath><q:Mode>0</q:Mode>"
		"</q:SetDPMaintenanceMode_INPUT>");
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.r->op, WSMAN_OP_INVOKE);
	assert_string_equal(res.r->method, "SetDPMaintenanceMode");
	assert_string_equal(wsman_request_selector(res.r, "__cimnamespace"),
			    "root/sms/site_PS1");
	assert_int_equal(res.r->operation_timeout_ms, 90000);
	assert_int_equal(res.r->max_envelope_size, 102400);
	assert_int_equal(res.r->nparams, 2);
	assert_string_equal(res.r->params[1].value, "0");
	release(&res);
}

static void test_invoke_case_and_generic_forms(void **state)
{
	struct result res;

	/* ResourceURI prefix compared case-insensitively */
	parse_env(&res,
		"<a:Action>http://schemas.microsoft.com/wbem/wsman/1/wmi/ROOT/"
		"SMS/site_ps1/SMS_DistributionPoint/SetDPMaintenanceMode"
		"</a:Action><w:ResourceURI>" RURI_DP "</w:ResourceURI>" MID,
		"<p:SetDPMaintenanceMode_INPUT/>");
	assert_int_equal(res.rc, 0);
	assert_string_equal(res.r->method, "SetDPMaintenanceMode");
	assert_int_equal(res.r->nparams, 0);
	release(&res);

	/* any <something>/<M> when the body is <M>_INPUT */
	parse_env(&res, "<a:Action>urn:example:thing/DoIt</a:Action>" MID,
		  "<x:doit_INPUT xmlns:x=\"urn:x\"><x:A>1</x:A></x:doit_INPUT>");
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.r->op, WSMAN_OP_INVOKE);
	assert_string_equal(res.r->method, "DoIt");
	assert_int_equal(res.r->nparams, 1);
	release(&res);

	/* a method without parameters and without a body element */
	parse_env(&res, "<a:Action>" RURI_DP "/Refresh</a:Action>"
		  "<w:ResourceURI>" RURI_DP "</w:ResourceURI>" MID, "");
	assert_int_equal(res.rc, 0);
	assert_string_equal(res.r->method, "Refresh");
	assert_int_equal(res.r->nparams, 0);
	release(&res);
}

static void test_invoke_nil_and_values(void **state)
{
	struct result res;

	parse_env(&res,
		"<a:Action>" RURI_DP "/M</a:Action>"
		"<w:ResourceURI>" RURI_DP "</w:ResourceURI>" MID,
		"<p:M_INPUT xmlns:p=\"" RURI_DP "\">"
		"<p:A xsi:nil=\"true\"/>"
		"<p:B xsi:type=\"xs:string\" xmlns:xs=\"urn:xs\">t&lt;&amp;&quot;"
		"</p:B>"
		/* OMI binds xsi to the XSD namespace: still nil */
		"<p:C xmlns:xsi=\"http://www.w3.org/2001/XMLSchema\" "
		"xsi:nil=\" 1 \"/>"
		"<p:D xsi:nil=\"false\"></p:D>"
		"<p:E>\n  <cim:Datetime xmlns:cim=\"urn:c\">2024-05-01T10:00:00Z"
		"</cim:Datetime>\n</p:E>"
		"<p:F><![CDATA[a<b]]></p:F>"
		"<p:F> spaced </p:F>"
		"</p:M_INPUT>");
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.r->nparams, 7);
	assert_string_equal(res.r->params[0].name, "A");
	assert_null(res.r->params[0].value);
	assert_string_equal(res.r->params[1].value, "t<&\"");
	assert_null(res.r->params[2].value);
	assert_non_null(res.r->params[3].value);
	assert_string_equal(res.r->params[3].value, "");
	assert_string_equal(res.r->params[4].value, "2024-05-01T10:00:00Z");
	assert_string_equal(res.r->params[5].value, "a<b");
	/* array items keep their order; scalar text is kept verbatim */
	assert_string_equal(res.r->params[6].name, "F");
	assert_string_equal(res.r->params[6].value, " spaced ");
	release(&res);
}

static void test_invoke_mismatch(void **state)
{
	struct result res;

	parse_env(&res, "<a:Action>" RURI_DP "/SetDPMaintenanceMode</a:Action>"
		  "<w:ResourceURI>" RURI_DP "</w:ResourceURI>" MID,
		  "<p:Other_INPUT/>");
	assert_schema_fault(&res, "Other_INPUT");
	/* the MessageID was read: the caller can still echo RelatesTo */
	assert_non_null(res.r);
	assert_string_equal(res.r->message_id, MID_TEXT);
	release(&res);

	parse_env(&res, "<a:Action>" RURI_DP "/M</a:Action>"
		  "<w:ResourceURI>" RURI_DP "</w:ResourceURI>" MID,
		  "<p:M_INPUT/><p:M_INPUT/>");
	assert_schema_fault(&res, "one element");
	release(&res);

	parse_env(&res, "<a:Action>" RURI_DP "/M</a:Action>"
		  "<w:ResourceURI>" RURI_DP "</w:ResourceURI>" MID,
		  "<p:M/>");
	assert_schema_fault(&res, "M_INPUT");
	release(&res);
}

static void test_unknown_action(void **state)
{
	struct result res;

	parse_env(&res, "<a:Action>urn:nobody/knows</a:Action>"
		  "<w:ResourceURI>" RURI_DP "</w:ResourceURI>" MID, "");
	assert_int_equal(res.rc, -EINVAL);
	assert_int_equal(res.f.subcode, WSMAN_SUB_ACTION_NOT_SUPPORTED);
	assert_int_equal(res.f.code, WSMAN_CODE_INVALID_ACTIONURI);
	assert_non_null(strstr(res.f.reason, "urn:nobody/knows"));
	assert_non_null(res.r);
	assert_string_equal(res.r->message_id, MID_TEXT);
	release(&res);

	/* a method segment that is not a name */
	parse_env(&res, "<a:Action>" RURI_DP "/Bad-Name</a:Action>"
		  "<w:ResourceURI>" RURI_DP "</w:ResourceURI>" MID, "");
	assert_int_equal(res.f.subcode, WSMAN_SUB_ACTION_NOT_SUPPORTED);
	release(&res);

	/* no Action, and the body is not Identify; no MessageID either */
	parse_env(&res, "", "<n:Enumerate/>");
	assert_int_equal(res.rc, -EINVAL);
	assert_int_equal(res.f.subcode, WSMAN_SUB_HEADER_REQUIRED);
	assert_int_equal(res.f.code, WSMAN_CODE_HEADER_REQUIRED);
	assert_non_null(strstr(res.f.reason, "no a:Action"));
	assert_null(res.r);
}

static void test_other_standard_actions(void **state)
{
	static const char *const others[] = {
		"http://schemas.xmlsoap.org/ws/2004/09/transfer/Put",
		"http://schemas.xmlsoap.org/ws/2004/09/transfer/Delete",
		"http://schemas.xmlsoap.org/ws/2004/09/transfer/Create",
		"http://schemas.xmlsoap.org/ws/2004/08/eventing/Subscribe",
		"http://schemas.xmlsoap.org/ws/2004/09/enumeration/Renew",
	};
	struct result res;
	char hdr[512];

	for (size_t i = 0; i < sizeof(others) / sizeof(*others); i++) {
		snprintf(hdr, sizeof(hdr), "<a:Action>%s</a:Action>"
			 "<w:ResourceURI>" RURI_DP "</w:ResourceURI>" MID,
			 others[i]);
		parse_env(&res, hdr, "");
		assert_int_equal(res.rc, 0);
		assert_int_equal(res.r->op, WSMAN_OP_OTHER);
		assert_string_equal(res.r->action, others[i]);
		release(&res);
	}
}

static void test_enumerate_variants(void **state)
{
	struct result res;

	parse_env(&res, "<a:Action>" ACT_ENUM "</a:Action>"
		  "<w:ResourceURI> " RURI_DPI "\n</w:ResourceURI>" MID,
		  "<n:Enumerate><w:EnumerationMode>EnumerateEPR"
		  "</w:EnumerationMode><n:Expires>PT10M</n:Expires>"
		  "<b:PolymorphismMode xmlns:b=\"http://schemas.dmtf.org/wbem/"
		  "wsman/1/cimbinding.xsd\">None</b:PolymorphismMode>"
		  "<w:Filter><![CDATA[ SELECT * FROM X WHERE a<'b' ]]>"
		  "</w:Filter></n:Enumerate>");
	assert_int_equal(res.rc, 0);
	/* the ResourceURI is trimmed */
	assert_string_equal(res.r->resource_uri, RURI_DPI);
	assert_int_equal(res.r->enum_mode, WSMAN_ENUM_EPR);
	assert_false(res.r->optimize);
	/* no Dialect means XPath (DSP0226), which the server can refuse */
	assert_string_equal(res.r->filter_dialect,
			    "http://www.w3.org/TR/1999/REC-xpath-19991116");
	assert_string_equal(res.r->filter_text, "SELECT * FROM X WHERE a<'b'");
	release(&res);

	parse_env(&res, "<a:Action>" ACT_ENUM "</a:Action>" MID,
		  "<n:Enumerate><w:EnumerationMode>EnumerateEverything"
		  "</w:EnumerationMode></n:Enumerate>");
	assert_schema_fault(&res, "EnumerateEverything");
	release(&res);

	parse_env(&res, "<a:Action>" ACT_ENUM "</a:Action>" MID,
		  "<n:Enumerate><w:MaxElements>lots</w:MaxElements>"
		  "</n:Enumerate>");
	assert_schema_fault(&res, "lots");
	release(&res);

	parse_env(&res, "<a:Action>" ACT_ENUM "</a:Action>" MID,
		  "<n:Enumerate><w:Filter Dialect=\"" SELFILTER "\">dp01"
		  "</w:Filter></n:Enumerate>");
	assert_schema_fault(&res, "SelectorSet");
	release(&res);

	parse_env(&res, "<a:Action>" ACT_ENUM "</a:Action>" MID, "");
	assert_schema_fault(&res, "n:Enumerate");
	release(&res);
}

static void test_pull_release(void **state)
{
	struct result res;

	parse_env(&res, "<a:Action>" ACT_RELEASE "</a:Action>" MID,
		  "<n:Release><n:EnumerationContext> uuid:X "
		  "</n:EnumerationContext></n:Release>");
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.r->op, WSMAN_OP_RELEASE);
	assert_string_equal(res.r->context, "uuid:X");
	release(&res);

	parse_env(&res, "<a:Action>" ACT_PULL "</a:Action>" MID,
		  "<n:Pull><n:MaxElements>5</n:MaxElements></n:Pull>");
	assert_schema_fault(&res, "EnumerationContext");
	release(&res);
}

static void test_headers_durations(void **state)
{
	static const struct {
		const char *text;
		uint32_t ms;
	} ok[] = {
		{ "PT20S", 20000 }, { "PT60.000S", 60000 }, { "PT1M30S", 90000 },
		{ " PT0.5S ", 500 }, { "P1DT1S", 86401000 },
		{ "PT1H", 3600000 }, { "P100000D", UINT32_MAX },
	};
	static const char *const bad[] = {
		"PT", "P", "20S", "PT1.5M", "-PT5S", "PT5", "PT5S5S", "PTS",
		"PT1S1M",
	};
	struct result res;
	char hdr[512];

	for (size_t i = 0; i < sizeof(ok) / sizeof(*ok); i++) {
		snprintf(hdr, sizeof(hdr), HDR_GET
			 "<w:OperationTimeout>%s</w:OperationTimeout>",
			 ok[i].text);
		parse_env(&res, hdr, "");
		assert_int_equal(res.rc, 0);
		assert_int_equal(res.r->operation_timeout_ms, ok[i].ms);
		release(&res);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		snprintf(hdr, sizeof(hdr), HDR_GET
			 "<w:OperationTimeout>%s</w:OperationTimeout>",
			 bad[i]);
		parse_env(&res, hdr, "");
		assert_int_equal(res.rc, -EINVAL);
		assert_int_equal(res.f.subcode, WSMAN_SUB_INVALID_HEADER);
		assert_int_equal(res.f.code, WSMAN_CODE_INVALID_TIMEOUT);
		assert_string_equal(res.f.detail, WSMAN_DETAIL_INVALID_TIMEOUT);
		assert_non_null(strstr(res.f.reason, "OperationTimeout"));
		assert_non_null(res.r);
		release(&res);
	}

	parse_env(&res, HDR_GET "<w:MaxEnvelopeSize>4294967296"
		  "</w:MaxEnvelopeSize>", "");
	assert_schema_fault(&res, "4294967296");
	release(&res);
}

static void test_headers_tolerated(void **state)
{
	struct result res;

	/* To anything, ReplyTo, Locale, DataLocale, p:* even with mU=true,
	 * mU=false on an unknown header, OptionSet with options */
	parse_env(&res, HDR_GET
		"<a:To s:mustUnderstand=\"true\">HTTP://127.0.0.1:5985/wsman/"
		"</a:To>"
		"<w:Locale xml:lang=\"en-us\" s:mustUnderstand=\"false\"/>"
		"<p:DataLocale xml:lang=\"en-US\" mustUnderstand=\"false\"/>"
		"<p:SessionId s:mustUnderstand=\"false\">uuid:1</p:SessionId>"
		"<p:OperationID s:mustUnderstand=\"true\">uuid:2</p:OperationID>"
		"<p:SequenceID s:mustUnderstand=\"true\">1</p:SequenceID>"
		"<x:Other xmlns:x=\"urn:x\" s:mustUnderstand=\"false\"/>"
		"<x:Other2 xmlns:x=\"urn:x\" mustUnderstand=\"0\"/>"
		"<w:OptionSet s:mustUnderstand=\"true\"><w:Option Name="
		"\"IncludeQualifiers\" Type=\"x:boolean\">true</w:Option>"
		"</w:OptionSet>", "");
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.r->op, WSMAN_OP_GET);
	assert_string_equal(res.r->message_id, MID_TEXT);
	release(&res);

	/* a selector whose value is an EPR: its text, trimmed */
	parse_env(&res, HDR_GET
		"<w:SelectorSet><w:Selector Name=\"Ref\">\n  "
		"<a:EndpointReference><a:Address>addr</a:Address>"
		"</a:EndpointReference>\n</w:Selector>"
		"<w:Selector Name=\"Nil\" xsi:nil=\"true\"/>"
		"<w:Selector Name=\"Esc\">&lt;&amp;&apos;</w:Selector>"
		"</w:SelectorSet>", "");
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.r->nselectors, 3);
	assert_string_equal(res.r->selectors[0].value, "addr");
	assert_null(res.r->selectors[1].value);
	assert_string_equal(res.r->selectors[2].value, "<&'");
	release(&res);

	parse_env(&res, HDR_GET "<w:SelectorSet><w:Selector>x</w:Selector>"
		  "</w:SelectorSet>", "");
	assert_schema_fault(&res, "Name");
	release(&res);

	parse_env(&res, HDR_GET "<a:Action>" ACT_GET "</a:Action>", "");
	assert_int_equal(res.f.subcode, WSMAN_SUB_INVALID_HEADER);
	assert_int_equal(res.f.code, WSMAN_CODE_INVALID_HEADER);
	assert_non_null(strstr(res.f.reason, "a:Action"));
	release(&res);
}

/* MS-WSMV 3.1.4.1: what WinRM refuses in the headers, and that Identify,
 * which carries no addressing headers, is exempt. */
static void test_header_rules(void **state)
{
	static const struct {
		const char *headers;
		enum wsman_subcode sub;
		uint32_t code;
		const char *detail, *mentions;
	} refused[] = {
		{ "<a:Action>" ACT_GET "</a:Action><a:MessageID>m</a:MessageID>",
		  WSMAN_SUB_HEADER_REQUIRED, WSMAN_CODE_HEADER_REQUIRED, NULL,
		  "a:ReplyTo" },
		{ "<a:Action>" ACT_GET "</a:Action>" REPLY_TO,
		  WSMAN_SUB_INVALID_HEADER, WSMAN_CODE_INVALID_HEADER, NULL,
		  "a:MessageID" },
		{ "<a:Action/>" MID, WSMAN_SUB_INVALID_HEADER,
		  WSMAN_CODE_INVALID_HEADER, NULL, "empty" },
		{ HDR_GET "<a:FaultTo><a:Address>urn:elsewhere</a:Address>"
		  "</a:FaultTo>", WSMAN_SUB_UNSUPPORTED_FEATURE,
		  WSMAN_CODE_ADDRESSING_MODE, WSMAN_DETAIL_ADDRESSING_MODE,
		  "urn:elsewhere" },
		{ HDR_GET "<w:Locale xml:lang=\"en-US\" mustUnderstand=\"1\"/>",
		  WSMAN_SUB_UNSUPPORTED_FEATURE,
		  WSMAN_CODE_LOCALE_MUST_UNDERSTAND, WSMAN_DETAIL_LOCALE,
		  "Locale" },
		{ HDR_GET "<p:DataLocale xml:lang=\"en-US\" "
		  "s:mustUnderstand=\"true\"/>", WSMAN_SUB_UNSUPPORTED_FEATURE,
		  WSMAN_CODE_LOCALE_MUST_UNDERSTAND, WSMAN_DETAIL_DATA_LOCALE,
		  "DataLocale" },
		{ HDR_GET "<p:DataLocale xml:lang=\"\"/>",
		  WSMAN_SUB_SCHEMA_VALIDATION, WSMAN_CODE_SCHEMA_VALIDATION,
		  NULL, "xml:lang" },
		{ HDR_GET "<w:FragmentTransfer>Name</w:FragmentTransfer>",
		  WSMAN_SUB_INVALID_HEADER, WSMAN_CODE_INVALID_HEADER, NULL,
		  "FragmentTransfer" },
		{ HDR_GET "<w:MaxEnvelopeSize>9000</w:MaxEnvelopeSize>"
		  "<w:MaxEnvelopeSize>9000</w:MaxEnvelopeSize>",
		  WSMAN_SUB_SCHEMA_VALIDATION, WSMAN_CODE_SCHEMA_VALIDATION,
		  NULL, "MaxEnvelopeSize" },
		{ HDR_GET "<a:To>a</a:To><a:To>b</a:To>",
		  WSMAN_SUB_INVALID_HEADER, WSMAN_CODE_INVALID_HEADER, NULL,
		  "a:To" },
	};
	struct result res;

	for (size_t i = 0; i < sizeof(refused) / sizeof(*refused); i++) {
		parse_env(&res, refused[i].headers, "");
		if (res.rc != -EINVAL || res.f.subcode != refused[i].sub)
			fail_msg("case %zu: rc %d subcode %d: %s", i, res.rc,
				 res.f.subcode, res.f.reason);
		assert_int_equal(res.f.code, refused[i].code);
		if (refused[i].detail)
			assert_string_equal(res.f.detail, refused[i].detail);
		else
			assert_null(res.f.detail);
		assert_non_null(strstr(res.f.reason, refused[i].mentions));
		release(&res);
	}

	/* Identify: no headers at all, or ones that would be refused */
	parse_env(&res, "", IDENTIFY);
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.r->op, WSMAN_OP_IDENTIFY);
	release(&res);
	parse_env(&res, "<w:Locale xml:lang=\"en-US\" s:mustUnderstand=\"true\"/>",
		  IDENTIFY);
	assert_int_equal(res.rc, 0);
	release(&res);

	/* an empty MessageID (wsl) passes and is kept as "" */
	parse_env(&res, "<a:Action>" ACT_GET "</a:Action><a:MessageID/>"
		  REPLY_TO, "");
	assert_int_equal(res.rc, 0);
	assert_string_equal(res.r->message_id, "");
	release(&res);
}

static void test_must_understand(void **state)
{
	struct result res;

	/* qualified attribute; the MessageID after it is still read */
	parse_env(&res, "<a:Action>" ACT_GET "</a:Action>"
		  "<ext:Extension1 xmlns:ext=\"urn:ext\" "
		  "s:mustUnderstand=\"true\"/>" MID, "");
	assert_int_equal(res.rc, -EINVAL);
	assert_int_equal(res.f.subcode, WSMAN_SUB_MUST_UNDERSTAND);
	assert_string_equal(res.f.not_understood, "ext:Extension1");
	assert_non_null(strstr(res.f.reason, "mustUnderstand"));
	assert_non_null(res.r);
	assert_string_equal(res.r->message_id, MID_TEXT);
	release(&res);

	/* unqualified attribute (pywinrm/Go style), value "1", default ns */
	parse_env(&res, MID "<a:Action>" ACT_GET "</a:Action>"
		  "<Extension2 xmlns=\"urn:ext\" mustUnderstand=\"1\"/>", "");
	assert_int_equal(res.f.subcode, WSMAN_SUB_MUST_UNDERSTAND);
	assert_string_equal(res.f.not_understood, "Extension2");
	release(&res);

	/* a WS-Man header dpsim does not implement */
	parse_env(&res, HDR_GET "<w:Bookmark s:mustUnderstand="
		  "\"true\">b</w:Bookmark>", "");
	assert_int_equal(res.f.subcode, WSMAN_SUB_MUST_UNDERSTAND);
	assert_string_equal(res.f.not_understood, "w:Bookmark");
	release(&res);

	/* mustUnderstand in a foreign namespace is not SOAP's */
	parse_env(&res, HDR_GET "<x:E xmlns:x=\"urn:x\" xmlns:o=\"urn:o\" "
		  "o:mustUnderstand=\"true\"/>", "");
	assert_int_equal(res.rc, 0);
	release(&res);
}

static void test_must_understand_small_buffer(void **state)
{
	struct wsman_request *r;
	struct wsman_fault f;
	char small[16];
	char *s = envelope(MID "<x:Ext xmlns:x=\"urn:x\" "
			   "s:mustUnderstand=\"true\"/>", "");

	/* too small for the sentence: the qname alone is kept */
	assert_int_equal(wsman_request_parse(s, strlen(s), 0, &r, &f, small,
					     sizeof(small)), -EINVAL);
	assert_int_equal(f.subcode, WSMAN_SUB_MUST_UNDERSTAND);
	assert_string_equal(f.not_understood, "x:Ext");
	assert_non_null(f.reason);
	wsman_request_free(r);

	/* no buffer at all: static reason, no qname, no crash */
	assert_int_equal(wsman_request_parse(s, strlen(s), 0, &r, &f, NULL,
					     0), -EINVAL);
	assert_int_equal(f.subcode, WSMAN_SUB_MUST_UNDERSTAND);
	assert_null(f.not_understood);
	assert_non_null(f.reason);
	wsman_request_free(r);
	free(s);
}

/* ---- hostile and broken input ----------------------------------------- */

static void test_billion_laughs(void **state)
{
	static const char bomb[] =
		"<?xml version=\"1.0\"?>"
		"<!DOCTYPE s:Envelope ["
		"<!ENTITY a \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\">"
		"<!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">"
		"<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">"
		"<!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">"
		"<!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\">"
		"<!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">"
		"<!ENTITY g \"&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;\">"
		"<!ENTITY h \"&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;\">"
		"<!ENTITY i \"&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;\">"
		"]>"
		"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\""
		" xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\">"
		"<s:Header><a:Action>" ACT_GET "</a:Action>"
		"<a:MessageID>&i;</a:MessageID></s:Header><s:Body/>"
		"</s:Envelope>";
	struct result res;

	parse_str(&res, bomb);
	assert_schema_fault(&res, "DTD");
	assert_null(res.r);
}

static void test_external_entities(void **state)
{
	static const char *const docs[] = {
		/* external general entity */
		"<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM "
		"\"file:///etc/passwd\">]><s:Envelope xmlns:s=\"http://www.w3."
		"org/2003/05/soap-envelope\"><s:Body>&e;</s:Body></s:Envelope>",
		/* external DTD over the network */
		("<!DOCTYPE s:Envelope SYSTEM \"http://127.0.0.1:9/evil.dtd\">"
		 "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">"
		 "<s:Body/></s:Envelope>"),
		/* parameter entity */
		("<!DOCTYPE x [<!ENTITY % p SYSTEM \"file:///etc/passwd\"> %p;]>"
		 "<x/>"),
	};
	struct result res;

	for (size_t i = 0; i < sizeof(docs) / sizeof(*docs); i++) {
		parse_str(&res, docs[i]);
		assert_schema_fault(&res, "DTD");
		assert_null(strstr(res.f.reason, "root:"));
		assert_null(res.r);
	}

	/* an entity used without any declaration is not well-formed */
	parse_env(&res, HDR_GET, "&e;");
	assert_schema_fault(&res, "not well-formed");
	assert_null(res.r);
}

static char *nested(unsigned levels)
{
	size_t unit = strlen("<x>") + strlen("</x>");
	char *inner = malloc(levels * unit + 1), *p = inner, *s;

	assert_non_null(inner);
	for (unsigned i = 0; i < levels; i++)
		p += sprintf(p, "<x>");
	for (unsigned i = 0; i < levels; i++)
		p += sprintf(p, "</x>");
	*p = '\0';
	s = envelope(HDR_GET, inner);
	free(inner);
	return s;
}

static void test_depth(void **state)
{
	struct result res;
	size_t len;
	char *s = nested(100), *body;

	parse_str(&res, s);
	assert_schema_fault(&res, "deeper than 64");
	assert_null(res.r);	/* refused before any header was read */
	free(s);

	/* far past libxml2's own limit: refused either way */
	s = nested(100000);
	parse_str(&res, s);
	assert_int_equal(res.rc, -EINVAL);
	assert_int_equal(res.f.subcode, WSMAN_SUB_SCHEMA_VALIDATION);
	free(s);

	/* Envelope/Body/_INPUT/NALPath is 4 deep: exactly at the limit */
	body = read_fixture("pywinrm_01_Invoke_SetDPMaintenanceMode", &len);
	parse_len(&res, body, len, 4);
	assert_int_equal(res.rc, 0);
	release(&res);
	parse_len(&res, body, len, 3);
	assert_schema_fault(&res, "deeper than 3");
	free(body);
}

static void test_not_soap(void **state)
{
	struct result res;
	size_t len;
	char *body;

	parse_str(&res, "hello, world");
	assert_schema_fault(&res, "not well-formed XML at line 1");
	assert_null(res.r);

	body = read_fixture("pywinrm_01_Invoke_SetDPMaintenanceMode", &len);
	parse_len(&res, body, len / 2, 0);
	assert_schema_fault(&res, "not well-formed");
	free(body);

	parse_len(&res, "", 0, 0);
	assert_schema_fault(&res, "empty");

	parse_str(&res, "<Envelope xmlns=\"http://schemas.xmlsoap.org/soap/"
		  "envelope/\"><Body/></Envelope>");
	assert_schema_fault(&res, "SOAP 1.1");

	parse_str(&res, "<s:Envelope xmlns:s=\"urn:not-soap\"><s:Body/>"
		  "</s:Envelope>");
	assert_schema_fault(&res, "not a SOAP 1.2 Envelope");

	parse_str(&res, "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/"
		  "soap-envelope\"><s:Header/></s:Envelope>");
	assert_schema_fault(&res, "no Body");

	parse_str(&res, "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/"
		  "soap-envelope\"><s:Body/><s:Body/></s:Envelope>");
	assert_schema_fault(&res, "Body");

	/* invalid UTF-8 */
	parse_str(&res, "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/"
		  "soap-envelope\"><s:Body>\xff\xfe</s:Body></s:Envelope>");
	assert_int_equal(res.f.subcode, WSMAN_SUB_SCHEMA_VALIDATION);
	/* the reason must itself be safe to put in XML */
	for (const char *c = res.f.reason; *c; c++)
		assert_true((unsigned char)*c >= 0x20 &&
			    (unsigned char)*c < 0x80);

	/* no reason buffer: the static text is used */
	{
		struct wsman_request *r;
		struct wsman_fault f;

		assert_int_equal(wsman_request_parse("<x", 2, 0, &r, &f, NULL,
						     0), -EINVAL);
		assert_null(r);
		assert_int_equal(f.subcode, WSMAN_SUB_SCHEMA_VALIDATION);
		assert_non_null(strstr(f.reason, "XML schema"));
	}
}

static void assert_encoding_fault(const struct result *res,
				  const char *needle)
{
	assert_int_equal(res->rc, -EINVAL);
	assert_int_equal(res->f.subcode, WSMAN_SUB_ENCODING_LIMIT);
	assert_int_equal(res->f.code, WSMAN_CODE_ENCODING_LIMIT);
	assert_non_null(strstr(res->f.reason, needle));
	assert_null(res->r);
}

/* dpsim reads UTF-8 and UTF-16, as the OMI server reads UTF-8 only. */
static void test_unsupported_encoding(void **state)
{
	static const char ucs4[] = "\0\0\0<\0\0\0x\0\0\0/\0\0\0>";
	struct result res;

	parse_str(&res, "<?xml version=\"1.0\" encoding=\"x-no-such-charset\"?>"
		  "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/"
		  "soap-envelope\"><s:Body/></s:Envelope>");
	assert_encoding_fault(&res, "x-no-such-charset");

	/* a real charset, but not one dpsim reads */
	parse_str(&res, "<?xml version='1.0' encoding = 'ISO-8859-1' ?>"
		  "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/"
		  "soap-envelope\"><s:Body/></s:Envelope>");
	assert_encoding_fault(&res, "ISO-8859-1");

	parse_len(&res, ucs4, sizeof(ucs4) - 1, 0);
	assert_encoding_fault(&res, "UCS-4");

	/* declared UTF-8 in any case is fine */
	parse_str(&res, "<?xml version=\"1.0\" encoding=\"Utf-8\"?>"
		  "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/"
		  "soap-envelope\"><s:Body><i:Identify xmlns:i=\"http://"
		  "schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd\"/>"
		  "</s:Body></s:Envelope>");
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.r->op, WSMAN_OP_IDENTIFY);
	release(&res);
}

/* The pre-scan that keeps libxml2's pairwise duplicate-attribute check
 * from costing seconds, and that must not miscount real markup. */
static void test_prescan(void **state)
{
	struct result res;
	char *attrs = malloc(20000 * 12), *p = attrs, *hdr;

	assert_non_null(attrs);
	for (int i = 0; i < 20000; i++)
		p += sprintf(p, " a%d=\"\"", i);
	assert_true(asprintf(&hdr, HDR_GET "<x:E xmlns:x=\"urn:x\"%s/>",
			     attrs) > 0);
	parse_env(&res, hdr, "");
	assert_schema_fault(&res, "more than 64 attributes");
	assert_null(res.r);
	free(hdr);

	/* 64 is still fine: xmlns:x and 63 more */
	attrs[0] = '\0';
	p = attrs;
	for (int i = 0; i < 63; i++)
		p += sprintf(p, " a%d=\"\"", i);
	assert_true(asprintf(&hdr, HDR_GET "<x:E xmlns:x=\"urn:x\"%s/>",
			     attrs) > 0);
	parse_env(&res, hdr, "");
	assert_int_equal(res.rc, 0);
	release(&res);
	free(hdr);
	free(attrs);

	/* '=' '>' '/' and the other quote inside values, markup inside
	 * comments, CDATA and PIs: none of it is counted */
	{
		char deep[64 * 3 + 1] = "";

		for (int i = 0; i < 64; i++)
			strcat(deep, "<x>");
		assert_true(asprintf(&hdr, HDR_GET
			"<w:SelectorSet><w:Selector Name=\"a='b'>c/\">"
			"<![CDATA[%s]]></w:Selector>"
			"<w:Selector Name='q\"=/'>v</w:Selector>"
			"</w:SelectorSet><!-- %s --><?pi %s?>",
			deep, deep, deep) > 0);
	}
	parse_env(&res, hdr, "");
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.r->nselectors, 2);
	assert_string_equal(res.r->selectors[0].name, "a='b'>c/");
	assert_int_equal(strlen(res.r->selectors[0].value), 64 * 3);
	assert_string_equal(res.r->selectors[1].name, "q\"=/");
	release(&res);
	free(hdr);
}

static void test_limits(void **state)
{
	struct result res;
	size_t big = 70 * 1024, n = 1100;
	char *value = malloc(big + 1), *hdr, *s, *p;

	/* one value over 64 KiB */
	assert_non_null(value);
	memset(value, 'v', big);
	value[big] = '\0';
	assert_true(asprintf(&hdr, HDR_GET "<w:SelectorSet><w:Selector "
			     "Name=\"k\">%s</w:Selector></w:SelectorSet>",
			     value) > 0);
	parse_env(&res, hdr, "");
	assert_schema_fault(&res, "longer than");
	release(&res);
	free(hdr);
	free(value);

	/* more than 1024 selectors */
	s = malloc(n * 40 + 1);
	assert_non_null(s);
	p = s;
	for (size_t i = 0; i < n; i++)
		p += sprintf(p, "<w:Selector Name=\"k%zu\">v</w:Selector>", i);
	assert_true(asprintf(&hdr, HDR_GET "<w:SelectorSet>%s</w:SelectorSet>",
			     s) > 0);
	parse_env(&res, hdr, "");
	assert_schema_fault(&res, "more than 1024 selectors");
	release(&res);
	free(hdr);
	free(s);
}

/* ---- encodings ---------------------------------------------------------- */

/* UTF-8 to UTF-16 (BMP only, which is all the test needs) with a BOM. */
static char *to_utf16_bom(const char *in, size_t len, bool big_endian,
			  bool bom, size_t *out_len)
{
	unsigned char *out = malloc(2 * len + 2), *o = out;
	const unsigned char *u = (const unsigned char *)in;
	size_t i = 0;

	assert_non_null(out);
	if (bom) {
		*o++ = big_endian ? 0xFE : 0xFF;
		*o++ = big_endian ? 0xFF : 0xFE;
	}
	while (i < len) {
		unsigned cp;

		if (u[i] < 0x80) {
			cp = u[i++];
		} else if ((u[i] & 0xE0) == 0xC0) {
			cp = ((u[i] & 0x1Fu) << 6) | (u[i + 1] & 0x3Fu);
			i += 2;
		} else {
			assert_true((u[i] & 0xF0) == 0xE0);
			cp = ((u[i] & 0x0Fu) << 12) |
			     ((u[i + 1] & 0x3Fu) << 6) | (u[i + 2] & 0x3Fu);
			i += 3;
		}
		*o++ = (unsigned char)(big_endian ? cp >> 8 : cp & 0xFF);
		*o++ = (unsigned char)(big_endian ? cp & 0xFF : cp >> 8);
	}
	*out_len = (size_t)(o - out);
	return (char *)out;
}

static char *to_utf16(const char *in, size_t len, bool big_endian,
		      size_t *out_len)
{
	return to_utf16_bom(in, len, big_endian, true, out_len);
}

/* libxml2 raises an input conversion failure (invalid UTF-16) without
 * the parser context, through the thread's global handlers, which write
 * to stderr by default. The parse catches it into the reason, leaves the
 * thread's handlers as they were, and calls neither. */
static int stray_calls;

static void count_stray(void *data, xmlErrorPtr e)
{
	(void)data;
	(void)e;
	stray_calls++;
}

static void __attribute__((format(printf, 2, 3)))
count_generic(void *ctx, const char *fmt, ...)
{
	(void)ctx;
	(void)fmt;
	stray_calls++;
}

static void test_libxml2_errors_caught(void **state)
{
	static const char head[] = "<s:Envelope xmlns:s=\"http://www.w3.org/"
		"2003/05/soap-envelope\"><s:Body>";
	static const char tail[] = "</s:Body></s:Envelope>";
	char body[512];
	size_t n = 0;
	struct result res;

	(void)state;
	body[n++] = '\xff';
	body[n++] = '\xfe';
	for (const char *c = head; *c; c++) {
		body[n++] = *c;
		body[n++] = '\0';
	}
	body[n++] = '\0';
	body[n++] = '\xd8';	/* a high surrogate, then no low one */
	body[n++] = 'A';
	body[n++] = '\0';
	for (const char *c = tail; *c; c++) {
		body[n++] = *c;
		body[n++] = '\0';
	}

	stray_calls = 0;
	xmlSetStructuredErrorFunc(&stray_calls, count_stray);
	xmlSetGenericErrorFunc(&stray_calls, count_generic);
	parse_len(&res, body, n, 0);
	assert_int_equal(res.rc, -EINVAL);
	assert_int_equal(res.f.subcode, WSMAN_SUB_SCHEMA_VALIDATION);
	/* the cause, not what followed it ("Premature end of data") */
	assert_non_null(strstr(res.f.reason, "not well-formed XML: input "
			       "conversion failed due to input error"));
	assert_int_equal(stray_calls, 0);
	assert_ptr_equal(xmlStructuredError, count_stray);
	assert_ptr_equal(xmlStructuredErrorContext, &stray_calls);
	assert_ptr_equal(xmlGenericError, count_generic);
	assert_ptr_equal(xmlGenericErrorContext, &stray_calls);
	xmlSetStructuredErrorFunc(NULL, NULL);
	xmlSetGenericErrorFunc(NULL, NULL);
	wsman_request_free(res.r);
}

static void test_utf16(void **state)
{
	struct result res;
	size_t len, wlen;
	char *body = read_fixture("pywinrm_01_Invoke_SetDPMaintenanceMode",
				  &len);
	char *wide, *s;

	/* the capture as is, declaration still saying utf-8 */
	for (int be = 0; be <= 1; be++) {
		wide = to_utf16(body, len, be, &wlen);
		parse_len(&res, wide, wlen, 0);
		assert_int_equal(res.rc, 0);
		assert_dp_invoke(res.r);
		release(&res);
		free(wide);
	}
	free(body);

	/* non-ASCII text survives the transcoding */
	s = envelope(HDR_GET
		     "<w:SelectorSet><w:Selector Name=\"Name\">"
		     "dp\xc3\xbc\xe2\x82\xac</w:Selector></w:SelectorSet>", "");
	wide = to_utf16(s, strlen(s), false, &wlen);
	parse_len(&res, wide, wlen, 0);
	assert_int_equal(res.rc, 0);
	assert_string_equal(wsman_request_selector(res.r, "Name"),
			    "dp\xc3\xbc\xe2\x82\xac");
	release(&res);
	free(wide);
	free(s);

	/* without a BOM, "<?xml" in UTF-16 is recognised as libxml2 does */
	body = read_fixture("pywinrm_01_Invoke_SetDPMaintenanceMode", &len);
	for (int be = 0; be <= 1; be++) {
		wide = to_utf16_bom(body, len, be, false, &wlen);
		parse_len(&res, wide, wlen, 0);
		assert_int_equal(res.rc, 0);
		assert_dp_invoke(res.r);
		release(&res);
		free(wide);
	}
	free(body);

	/* a UTF-16 document that says so */
	s = envelope(HDR_GET, "");
	{
		char *decl;

		assert_true(asprintf(&decl, "<?xml version=\"1.0\" "
				     "encoding=\"UTF-16\"?>%s", s) > 0);
		wide = to_utf16(decl, strlen(decl), false, &wlen);
		free(decl);
	}
	parse_len(&res, wide, wlen, 0);
	assert_int_equal(res.rc, 0);
	assert_int_equal(res.r->op, WSMAN_OP_GET);
	release(&res);
	free(wide);
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_golden_all),
		cmocka_unit_test(test_golden_invoke),
		cmocka_unit_test(test_golden_enumerate),
		cmocka_unit_test(test_golden_pull),
		cmocka_unit_test(test_golden_get),
		cmocka_unit_test(test_golden_identify),
		cmocka_unit_test(test_invoke_dmtf_form),
		cmocka_unit_test(test_invoke_case_and_generic_forms),
		cmocka_unit_test(test_invoke_nil_and_values),
		cmocka_unit_test(test_invoke_mismatch),
		cmocka_unit_test(test_unknown_action),
		cmocka_unit_test(test_other_standard_actions),
		cmocka_unit_test(test_enumerate_variants),
		cmocka_unit_test(test_pull_release),
		cmocka_unit_test(test_headers_durations),
		cmocka_unit_test(test_headers_tolerated),
		cmocka_unit_test(test_header_rules),
		cmocka_unit_test(test_must_understand),
		cmocka_unit_test(test_must_understand_small_buffer),
		cmocka_unit_test(test_billion_laughs),
		cmocka_unit_test(test_external_entities),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_not_soap),
		cmocka_unit_test(test_unsupported_encoding),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_prescan),
		cmocka_unit_test(test_utf16),
		cmocka_unit_test(test_libxml2_errors_caught),
	};

	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	xmlCleanupParser();
	return rc;
}
