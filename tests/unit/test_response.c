/* Unit tests for wsman/response.c (client-side response parser) and
 * wsman/build.c (client request builders). The samples under data/ are the
 * real WinRM responses described in docs/wsman-protocol.md plus
 * dpsim-shaped ones;
 * the builders are checked by feeding their output to the server's own
 * request parser. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>

#include "build.h"
#include "buf.h"
#include "request.h"
#include "response.h"

#define DATA SOURCE_ROOT "/tests/unit/data/"

#define NS_WMI_PS1 "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_PS1/"
#define NAL01 "[\"Display=\\\\dp01.contoso.com\\\"]MSWNET:[\"SMS_SITE=PS1\"]\\\\dp01.contoso.com\\"

static char *load(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	long n;
	char *s;

	snprintf(path, sizeof(path), DATA "%s", name);
	f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return s;
}

static struct wsman_response *parse_file(const char *name)
{
	struct wsman_response *r = NULL;
	char err[128];
	size_t len;
	char *body = load(name, &len);
	int ret = wsman_response_parse(body, len, 0, &r, err, sizeof(err));

	if (ret)
		fprintf(stderr, "%s: %s\n", name, err);
	assert_int_equal(ret, 0);
	assert_non_null(r);
	free(body);
	return r;
}

static struct wsman_response *parse_str(const char *s)
{
	struct wsman_response *r = NULL;
	char err[128];
	int ret = wsman_response_parse(s, strlen(s), 0, &r, err, sizeof(err));

	if (ret)
		fprintf(stderr, "inline: %s\n", err);
	assert_int_equal(ret, 0);
	return r;
}

/* ---- instances -------------------------------------------------------- */

static void test_get_instance(void **state)
{
	struct wsman_response *r = parse_file("response_get.xml");
	const struct wsman_object *o;
	const struct wsman_prop *p;

	(void)state;
	assert_int_equal(wsman_response_kind(r), WSMAN_RESP_GET);
	assert_string_equal(wsman_response_action(r),
		"http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse");
	assert_string_equal(wsman_response_message_id(r),
			    "uuid:594DBB49-6BFE-4E16-AB35-82B0F8DE6B4D");
	assert_string_equal(wsman_response_relates_to(r),
			    "uuid:19BB0C7B-013F-4BED-A95B-765900F5D92A");
	assert_null(wsman_response_fault(r));
	assert_null(wsman_response_fault_ext(r));
	assert_null(wsman_response_output(r));
	assert_int_equal(wsman_response_object_count(r), 1);
	o = wsman_response_object(r, 0);
	assert_null(wsman_response_object(r, 1));
	assert_string_equal(o->class_name, "SMS_DistributionPointInfo");
	assert_string_equal(o->class_uri, NS_WMI_PS1 "SMS_DistributionPointInfo");
	assert_false(o->epr);
	/* IPAddress twice is one array property. */
	assert_int_equal(o->nprops, 11);
	assert_string_equal(wsman_object_text(o, "BitsEnabled"), "true");
	p = wsman_object_prop(o, "Description");
	assert_non_null(p);
	assert_true(p->nil);
	assert_int_equal(p->nvalues, 0);
	assert_null(wsman_object_text(o, "Description"));
	p = wsman_object_prop(o, "IPAddress");
	assert_int_equal(p->nvalues, 2);
	assert_string_equal(p->values[0], "10.0.0.5");
	assert_string_equal(p->values[1], "fe80::5");
	assert_string_equal(wsman_object_text(o, "LastChange"),
			    "2014-04-03T14:45:50.46875+08:00");
	/* Names are case-insensitive, as WMI's are. */
	assert_string_equal(wsman_object_text(o, "maintenancemode"), "1");
	assert_string_equal(wsman_object_text(o, "NALPath"), NAL01);
	p = wsman_object_prop(o, "ShareName");
	assert_false(p->nil);
	assert_int_equal(p->nvalues, 1);
	assert_string_equal(p->values[0], "");
	assert_string_equal(wsman_object_text(o, "SiteName"),
			    "Lab & <Primary>");
	assert_null(wsman_object_prop(o, "NoSuchProperty"));
	wsman_response_free(r);
}

static void test_enumerate_optimized(void **state)
{
	struct wsman_response *r = parse_file("response_enumerate_optimized.xml");
	const struct wsman_object *o;

	(void)state;
	assert_int_equal(wsman_response_kind(r), WSMAN_RESP_ENUMERATE);
	assert_true(wsman_response_end_of_sequence(r));
	assert_null(wsman_response_context(r));
	assert_int_equal(wsman_response_object_count(r), 2);
	o = wsman_response_object(r, 0);
	assert_string_equal(wsman_object_text(o, "Name"), "dp01.contoso.com");
	assert_string_equal(wsman_object_text(o, "MaintenanceMode"), "0");
	assert_string_equal(wsman_object_text(o, "NALPath"), NAL01);
	o = wsman_response_object(r, 1);
	assert_string_equal(wsman_object_text(o, "Name"), "dp02.contoso.com");
	assert_string_equal(wsman_object_text(o, "MaintenanceMode"), "1");
	assert_string_equal(wsman_response_relates_to(r),
			    "uuid:0e3011f8-98a1-450b-9142-103d20d32e11");
	wsman_response_free(r);
}

static void test_enumerate_context(void **state)
{
	struct wsman_response *r = parse_file("response_enumerate_context.xml");

	(void)state;
	assert_int_equal(wsman_response_kind(r), WSMAN_RESP_ENUMERATE);
	assert_false(wsman_response_end_of_sequence(r));
	assert_string_equal(wsman_response_context(r),
			    "uuid:CD02E6BD-8C14-4B5F-9C2A-6C1C4E0D7A11");
	assert_int_equal(wsman_response_object_count(r), 0);
	wsman_response_free(r);
}

static void test_pull_last(void **state)
{
	struct wsman_response *r = parse_file("response_pull_last.xml");
	const struct wsman_object *o;

	(void)state;
	assert_int_equal(wsman_response_kind(r), WSMAN_RESP_PULL);
	assert_true(wsman_response_end_of_sequence(r));
	assert_null(wsman_response_context(r));
	assert_int_equal(wsman_response_object_count(r), 1);
	o = wsman_response_object(r, 0);
	assert_string_equal(o->class_name, "SMS_ProviderLocation");
	assert_string_equal(wsman_object_text(o, "SiteCode"), "PS1");
	assert_string_equal(wsman_object_text(o, "ProviderForLocalSite"),
			    "true");
	assert_string_equal(wsman_object_text(o, "NamespacePath"),
			    "\\\\cm01.contoso.com\\root\\sms\\site_PS1");
	wsman_response_free(r);
}

static void test_pull_more(void **state)
{
	struct wsman_response *r = parse_file("response_pull_more.xml");

	(void)state;
	assert_int_equal(wsman_response_kind(r), WSMAN_RESP_PULL);
	assert_false(wsman_response_end_of_sequence(r));
	assert_string_equal(wsman_response_context(r),
			    "uuid:378D7614-0000-4000-8000-000000000007");
	assert_int_equal(wsman_response_object_count(r), 1);
	assert_string_equal(wsman_response_object(r, 0)->class_name,
			    "__Namespace");
	assert_string_equal(wsman_object_text(wsman_response_object(r, 0),
					      "Name"), "site_PS1");
	wsman_response_free(r);
}

static void test_enumerate_epr(void **state)
{
	struct wsman_response *r = parse_file("response_enumerate_epr.xml");
	const struct wsman_object *o;

	(void)state;
	assert_int_equal(wsman_response_object_count(r), 2);
	assert_true(wsman_response_end_of_sequence(r));
	o = wsman_response_object(r, 0);
	assert_true(o->epr);
	assert_string_equal(o->class_name, "SMS_DistributionPointInfo");
	assert_string_equal(o->class_uri, NS_WMI_PS1 "SMS_DistributionPointInfo");
	assert_int_equal(o->nprops, 3);
	assert_string_equal(wsman_object_text(o, "NALPath"), NAL01);
	assert_string_equal(wsman_object_text(o, "ResourceType"),
			    "Windows NT Server");
	/* Object-and-EPR: the object is what counts. */
	o = wsman_response_object(r, 1);
	assert_false(o->epr);
	assert_int_equal(o->nprops, 1);
	assert_string_equal(wsman_object_text(o, "Name"), "dp02.contoso.com");
	wsman_response_free(r);
}

/* ---- faults ----------------------------------------------------------- */

static void test_fault_invalid_selectors(void **state)
{
	struct wsman_response *r =
		parse_file("response_fault_invalid_selectors.xml");
	const struct wsman_fault *f = wsman_response_fault(r);
	const struct wsman_fault_ext *e = wsman_response_fault_ext(r);

	(void)state;
	assert_int_equal(wsman_response_kind(r), WSMAN_RESP_FAULT);
	assert_string_equal(wsman_response_action(r),
			    "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault");
	assert_string_equal(wsman_response_relates_to(r),
			    "uuid:877294B2-1E0C-4A59-9D5E-1C9A2B3C4D5E");
	assert_non_null(f);
	assert_int_equal(f->subcode, WSMAN_SUB_INVALID_SELECTORS);
	assert_int_equal(f->code, 2150858843u);
	assert_string_equal(f->reason,
		"The WS-Management service cannot process the request because "
		"the request contained invalid selectors for the resource.");
	assert_string_equal(f->detail, "UnexpectedSelectors");
	assert_null(f->not_understood);
	assert_false(f->wmi_error);
	assert_null(f->sms);
	assert_string_equal(e->code_local, "Sender");
	assert_string_equal(e->subcode_qname, "w:InvalidSelectors");
	assert_string_equal(e->subcode_ns,
			    "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd");
	assert_string_equal(e->subcode_local, "InvalidSelectors");
	assert_string_equal(e->detail_uri,
		"http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/"
		"UnexpectedSelectors");
	assert_true(e->has_wsman_code);
	assert_int_equal(e->wsman_code, 2150858843u);
	assert_string_equal(e->machine, "127.0.0.1");
	assert_string_equal(e->provider, "Shell provider");
	assert_string_equal(e->wsman_message,
		"The WS-Management service cannot process the request because "
		"the request contained invalid selectors for the resource.");
	assert_false(e->has_wmi_error);
	assert_false(e->has_error_code);
	assert_false(e->has_sms);
	assert_int_equal(wsman_response_object_count(r), 0);
	wsman_response_free(r);
}

static void test_fault_wmi_error(void **state)
{
	struct wsman_response *r = parse_file("response_fault_wmierror.xml");
	const struct wsman_fault *f = wsman_response_fault(r);
	const struct wsman_fault_ext *e = wsman_response_fault_ext(r);

	(void)state;
	assert_int_equal(f->subcode, WSMAN_SUB_INTERNAL_ERROR);
	assert_string_equal(e->code_local, "Receiver");
	/* No WSManFault: the code is the CIM error's error_Code. */
	assert_false(e->has_wsman_code);
	assert_int_equal(f->code, 2150859174u);
	assert_string_equal(f->reason, "Reason text.");
	assert_null(f->detail);
	assert_true(f->wmi_error);
	assert_int_equal(f->cim_status, 27);
	assert_true(e->has_wmi_error);
	assert_true(e->has_error_code);
	assert_int_equal(e->error_code, 2150859174u);
	assert_true(e->has_cim_status);
	assert_string_equal(e->wmi_message, "WMI Message.");
	assert_string_equal(e->wmi_message_id, "HRESULT 0x803381a6");
	assert_string_equal(e->error_type, "HRESULT");
	assert_string_equal(e->windows_error_message, "Windows Error message.");
	assert_null(f->sms);
	wsman_response_free(r);
}

static void test_fault_extended_status(void **state)
{
	struct wsman_response *r =
		parse_file("response_fault_extended_status.xml");
	const struct wsman_fault *f = wsman_response_fault(r);
	const struct wsman_fault_ext *e = wsman_response_fault_ext(r);

	(void)state;
	assert_int_equal(f->subcode, WSMAN_SUB_INTERNAL_ERROR);
	assert_int_equal(f->code, 2150859010u);
	assert_false(f->wmi_error);
	assert_string_equal(e->machine, "servername");
	assert_string_equal(e->provider, "WMI Provider");
	assert_string_equal(e->wsman_message,
		"The WS-Management service cannot process the request. The WMI "
		"service reported that the WMI provider could not perform the "
		"requested operation.");
	assert_non_null(f->sms);
	assert_true(e->has_sms);
	assert_string_equal(e->sms_class, "__ExtendedStatus");
	assert_string_equal(f->sms->description, "WDM specific return code: 4200");
	assert_string_equal(f->sms->operation, "ExecQuery");
	assert_string_equal(f->sms->parameter_info,
			    "select * from MSFC_FCAdapterHBAAttributes");
	assert_string_equal(f->sms->provider_name, "WinMgmt");
	assert_int_equal(f->sms->error_code, 0);
	assert_false(e->has_status_code);	/* xsi:nil */
	wsman_response_free(r);
}

static void test_fault_sms(void **state)
{
	struct wsman_response *r = parse_file("response_fault_sms.xml");
	const struct wsman_fault *f = wsman_response_fault(r);
	const struct wsman_fault_ext *e = wsman_response_fault_ext(r);

	(void)state;
	assert_int_equal(f->subcode, WSMAN_SUB_INTERNAL_ERROR);
	assert_int_equal(f->code, 0x80041002u);
	assert_string_equal(f->reason, "Object cannot be found.");
	assert_true(f->wmi_error);
	assert_int_equal(f->cim_status, 6);
	assert_int_equal(e->wsman_code, 0x80041002u);
	assert_string_equal(e->machine, "cm01.contoso.com");
	assert_string_equal(e->wsman_message, "Object cannot be found.");
	assert_string_equal(e->wmi_message_id, "HRESULT 0x80041002");
	assert_non_null(f->sms);
	assert_string_equal(e->sms_class, "SMS_ExtendedStatus");
	assert_int_equal(f->sms->error_code, 1078462229u);
	assert_string_equal(f->sms->operation, "ExecMethod");
	assert_string_equal(f->sms->parameter_info, "SMS_DistributionPointInfo");
	assert_string_equal(f->sms->provider_name, "SMS Provider");
	assert_string_equal(f->sms->description,
			    "No distribution point has NAL path "
			    "[\"Display=\\\\dp99.contoso.com\\\"]MSWNET:"
			    "[\"SMS_SITE=PS1\"]\\\\dp99.contoso.com\\");
	assert_true(e->has_status_code);
	assert_int_equal(e->status_code, 2147749890u);
	wsman_response_free(r);
}

/* Other prefixes, and a subcode prefix bound to an unrelated URI: the
 * parser must go by namespace, not by the letters. */
static void test_fault_prefixes(void **state)
{
	static const char *doc =
		"<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\""
		" xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\""
		" xmlns:wsen=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\""
		" xmlns:w=\"urn:not-wsman\">"
		"<env:Header><wsa:RelatesTo> uuid:X </wsa:RelatesTo></env:Header>"
		"<env:Body><env:Fault><env:Code><env:Value>env:Receiver</env:Value>"
		"<env:Subcode><env:Value>wsen:InvalidEnumerationContext</env:Value>"
		"</env:Subcode></env:Code><env:Reason><env:Text xml:lang=\"en-US\">"
		"gone</env:Text></env:Reason></env:Fault></env:Body></env:Envelope>";
	static const char *doc2 =
		"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\""
		" xmlns:w=\"urn:not-wsman\"><s:Body><s:Fault><s:Code>"
		"<s:Value>s:Sender</s:Value><s:Subcode><s:Value>w:InvalidSelectors"
		"</s:Value></s:Subcode></s:Code></s:Fault></s:Body></s:Envelope>";
	struct wsman_response *r = parse_str(doc);
	const struct wsman_fault *f = wsman_response_fault(r);

	(void)state;
	assert_int_equal(f->subcode, WSMAN_SUB_INVALID_ENUM_CONTEXT);
	assert_string_equal(f->reason, "gone");
	assert_int_equal(f->code, 0);
	assert_string_equal(wsman_response_relates_to(r), "uuid:X");
	wsman_response_free(r);

	r = parse_str(doc2);
	f = wsman_response_fault(r);
	assert_int_equal(f->subcode, WSMAN_SUB_UNKNOWN);
	assert_string_equal(wsman_response_fault_ext(r)->subcode_ns,
			    "urn:not-wsman");
	assert_string_equal(f->reason, "");
	wsman_response_free(r);
}

static void test_fault_must_understand(void **state)
{
	static const char *doc =
		"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\""
		" xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\">"
		"<s:Header><a:Action>http://schemas.xmlsoap.org/ws/2004/08/"
		"addressing/fault</a:Action><s:NotUnderstood qname=\"x:Foo\""
		" xmlns:x=\"urn:x\"/></s:Header><s:Body><s:Fault><s:Code>"
		"<s:Value>s:MustUnderstand</s:Value></s:Code><s:Reason>"
		"<s:Text>Header not understood</s:Text></s:Reason></s:Fault>"
		"</s:Body></s:Envelope>";
	struct wsman_response *r = parse_str(doc);
	const struct wsman_fault *f = wsman_response_fault(r);

	(void)state;
	assert_int_equal(f->subcode, WSMAN_SUB_MUST_UNDERSTAND);
	assert_string_equal(f->not_understood, "x:Foo");
	assert_string_equal(wsman_response_fault_ext(r)->code_local,
			    "MustUnderstand");
	assert_null(wsman_response_fault_ext(r)->subcode_qname);
	wsman_response_free(r);
}

/* ---- invoke, identify, release ---------------------------------------- */

static void test_invoke(void **state)
{
	struct wsman_response *r = parse_file("response_invoke.xml");
	const struct wsman_object *o;
	uint32_t rv = 99;

	(void)state;
	assert_int_equal(wsman_response_kind(r), WSMAN_RESP_INVOKE);
	assert_string_equal(wsman_response_method(r), "SetDPMaintenanceMode");
	assert_true(wsman_response_return_value(r, &rv));
	assert_int_equal(rv, 0);
	o = wsman_response_output(r);
	assert_non_null(o);
	assert_string_equal(o->class_name, "SetDPMaintenanceMode_OUTPUT");
	assert_string_equal(o->class_uri, NS_WMI_PS1 "SMS_DistributionPoint");
	assert_int_equal(o->nprops, 1);
	assert_int_equal(wsman_response_object_count(r), 0);
	assert_string_equal(wsman_response_relates_to(r),
			    "uuid:d7410c22-949e-40b3-b952-de90c8887c16");
	wsman_response_free(r);
}

static void test_invoke_out_params(void **state)
{
	struct wsman_response *r = parse_file("response_invoke_outparams.xml");
	const struct wsman_object *o = wsman_response_output(r);
	uint32_t rv = 99;

	(void)state;
	assert_string_equal(wsman_response_method(r), "Create");
	assert_int_equal(o->nprops, 2);
	assert_string_equal(o->props[0].name, "ProcessId");
	assert_string_equal(wsman_object_text(o, "ProcessId"), "4321");
	assert_true(wsman_response_return_value(r, &rv));
	assert_int_equal(rv, 0);
	wsman_response_free(r);
}

static void test_invoke_return_values(void **state)
{
#define RV_FMT \
	"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">" \
	"<s:Body><p:M_OUTPUT xmlns:p=\"urn:c\">%s</p:M_OUTPUT></s:Body>" \
	"</s:Envelope>"
	static const struct {
		const char *xml;
		bool ok;
		uint32_t value;
	} cases[] = {
		{ "<p:ReturnValue>2147749890</p:ReturnValue>", true, 0x80041002u },
		/* sint32 methods (GetChainedPullDPs) write negative HRESULTs */
		{ "<p:ReturnValue>-2147217406</p:ReturnValue>", true, 0x80041002u },
		{ "<p:ReturnValue> 7 </p:ReturnValue>", true, 7 },
		{ "<p:ReturnValue>4294967296</p:ReturnValue>", false, 0 },
		{ "<p:ReturnValue>0x1</p:ReturnValue>", false, 0 },
		{ "<p:ReturnValue xmlns:xsi=\"http://www.w3.org/2001/"
		  "XMLSchema-instance\" xsi:nil=\"true\"/>", false, 0 },
		{ "", false, 0 },
	};
	char doc[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct wsman_response *r;
		uint32_t v = 12345;

		snprintf(doc, sizeof(doc), RV_FMT, cases[i].xml);
		r = parse_str(doc);
		assert_int_equal(wsman_response_kind(r), WSMAN_RESP_INVOKE);
		assert_string_equal(wsman_response_method(r), "M");
		assert_int_equal(wsman_response_return_value(r, &v),
				 cases[i].ok);
		if (cases[i].ok)
			assert_int_equal(v, cases[i].value);
		wsman_response_free(r);
	}
}

static void test_identify(void **state)
{
	struct wsman_response *r = parse_file("response_identify.xml");
	const struct wsman_identity *id = wsman_response_identity(r);

	(void)state;
	assert_int_equal(wsman_response_kind(r), WSMAN_RESP_IDENTIFY);
	assert_null(wsman_response_action(r));
	assert_string_equal(id->protocol_version,
			    "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd");
	assert_string_equal(id->product_vendor, "Microsoft Corporation");
	assert_string_equal(id->product_version,
			    "OS: 0.0.0 SP: 0.0 Stack: 3.0");
	wsman_response_free(r);
}

static void test_release(void **state)
{
	static const char *doc =
		"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\""
		" xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\">"
		"<s:Header><a:Action>http://schemas.xmlsoap.org/ws/2004/09/"
		"enumeration/ReleaseResponse</a:Action></s:Header><s:Body/>"
		"</s:Envelope>";
	struct wsman_response *r = parse_str(doc);

	(void)state;
	assert_int_equal(wsman_response_kind(r), WSMAN_RESP_RELEASE);
	assert_null(wsman_response_identity(r));
	assert_null(wsman_response_method(r));
	assert_false(wsman_response_return_value(r, &(uint32_t){ 0 }));
	wsman_response_free(r);
}

/* ---- hostile and broken input ----------------------------------------- */

static void expect_refused(const char *doc, unsigned depth, const char *why)
{
	struct wsman_response *r = (struct wsman_response *)1;
	char err[160];
	int ret = wsman_response_parse(doc, strlen(doc), depth, &r, err,
				       sizeof(err));

	assert_int_equal(ret, -EINVAL);
	assert_null(r);
	assert_true(err[0] != '\0');
	if (!why)
		return;
	if (!strstr(err, why))
		fprintf(stderr, "got error: %s\n", err);
	assert_non_null(strstr(err, why));
}

static void test_refuses(void **state)
{
	(void)state;
	/* Billion laughs: libxml2's own loop detection or our DTD check,
	 * whichever comes first; refused either way. */
	expect_refused(
		"<?xml version=\"1.0\"?><!DOCTYPE s:Envelope ["
		"<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;\">"
		"<!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;\">]>"
		"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">"
		"<s:Body><x>&c;</x></s:Body></s:Envelope>", 0, NULL);
	expect_refused(
		"<?xml version=\"1.0\"?><!DOCTYPE s:Envelope ["
		"<!ENTITY a \"x\">]>"
		"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">"
		"<s:Body><x>&a;</x></s:Body></s:Envelope>", 0,
		"document type");
	expect_refused(
		"<?xml version=\"1.0\"?><!DOCTYPE s:Envelope SYSTEM "
		"\"http://example.invalid/x.dtd\">"
		"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">"
		"<s:Body/></s:Envelope>", 0, "document type");
	expect_refused(
		"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">"
		"<s:Body><x>&undefined;</x></s:Body></s:Envelope>", 0,
		"not well-formed");
	expect_refused("HTTP/1.1 500 oops", 0, "not well-formed");
	expect_refused("", 0, "not well-formed");
	expect_refused("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/"
		       "soap-envelope\"><s:Body>", 0, "not well-formed");
	/* SOAP 1.1 is not what WinRM speaks. */
	expect_refused("<s:Envelope xmlns:s=\"http://schemas.xmlsoap.org/soap/"
		       "envelope/\"><s:Body/></s:Envelope>", 0, "SOAP 1.2");
	expect_refused("<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/"
		       "soap-envelope\"><s:Header/></s:Envelope>", 0,
		       "without a Body");
}

static char *nested(unsigned levels)
{
	struct buf b;

	buf_init(&b, 0);
	buf_adds(&b, "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/"
		 "soap-envelope\"><s:Body>");
	for (unsigned i = 0; i < levels; i++)
		buf_adds(&b, "<x>");
	for (unsigned i = 0; i < levels; i++)
		buf_adds(&b, "</x>");
	buf_adds(&b, "</s:Body></s:Envelope>");
	assert_int_equal(buf_error(&b), 0);
	return buf_take(&b, NULL);
}

static void test_depth_limit(void **state)
{
	struct wsman_response *r;
	char *doc;

	(void)state;
	/* Envelope + Body + 62 = 64: the default limit, accepted. */
	doc = nested(62);
	assert_int_equal(wsman_response_parse(doc, strlen(doc), 0, &r,
					      NULL, 0), 0);
	assert_int_equal(wsman_response_kind(r), WSMAN_RESP_GET);
	wsman_response_free(r);
	free(doc);

	doc = nested(63);
	expect_refused(doc, 0, "deeper than 64");
	free(doc);

	doc = nested(10);
	expect_refused(doc, 8, "deeper than 8");
	free(doc);
}

static void test_unknown_body(void **state)
{
	static const char *doc =
		"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">"
		"<s:Body>  </s:Body></s:Envelope>";
	struct wsman_response *r = parse_str(doc);

	(void)state;
	assert_int_equal(wsman_response_kind(r), WSMAN_RESP_UNKNOWN);
	assert_int_equal(wsman_response_object_count(r), 0);
	assert_null(wsman_response_context(r));
	assert_null(wsman_response_message_id(r));
	wsman_response_free(r);
	wsman_response_free(NULL);
}

/* ---- builders --------------------------------------------------------- */

static const unsigned char uuid_bytes[16] = {
	0xde, 0xad, 0xbe, 0xef, 0x01, 0x23, 0xff, 0x67,
	0xff, 0xab, 0xcd, 0xef, 0x00, 0x11, 0x22, 0x33,
};

static void test_uuid(void **state)
{
	char id[WSMAN_UUID_SIZE];

	(void)state;
	assert_ptr_equal(wsman_format_uuid(uuid_bytes, id), id);
	assert_string_equal(id, "uuid:DEADBEEF-0123-4F67-BFAB-CDEF00112233");
	assert_int_equal(strlen(id), WSMAN_UUID_SIZE - 1);
}

static struct wsman_request *reparse(struct buf *b)
{
	struct wsman_request *req = NULL;
	struct wsman_fault f;
	char reason[256] = "";
	int ret;

	assert_int_equal(buf_error(b), 0);
	ret = wsman_request_parse(buf_ptr(b), buf_len(b), 0, &req, &f,
				  reason, sizeof(reason));
	if (ret)
		fprintf(stderr, "request parse: %d %s\n%s\n", ret,
			f.reason ? f.reason : "", buf_ptr(b));
	assert_int_equal(ret, 0);
	assert_non_null(req);
	return req;
}

static struct wsman_head head(const char *uri)
{
	struct wsman_head h = {
		.to = "http://127.0.0.1:5985/wsman",
		.resource_uri = uri,
		.message_id = "uuid:DEADBEEF-0123-4F67-BFAB-CDEF00112233",
		.operation_timeout_ms = 60000,
	};
	return h;
}

static void test_build_identify(void **state)
{
	struct wsman_request *req;
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(wsman_build_identify(&b), 0);
	assert_non_null(strstr(buf_ptr(&b), "<wsmid:Identify/>"));
	req = reparse(&b);
	assert_int_equal(req->op, WSMAN_OP_IDENTIFY);
	assert_null(req->action);
	wsman_request_free(req);
	buf_free(&b);
}

static void test_build_get(void **state)
{
	const struct wsman_pair sel[] = {
		{ "NALPath", NAL01 },
		{ "SiteCode", "PS1" },
	};
	struct wsman_head h = head(NS_WMI_PS1 "SMS_DistributionPoint");
	struct wsman_request *req;
	struct buf b;

	(void)state;
	h.selectors = sel;
	h.nselectors = 2;
	h.max_envelope_size = 512000;
	buf_init(&b, 0);
	assert_int_equal(wsman_build_get(&b, &h), 0);
	/* What a server must act on is marked, in the SOAP namespace. */
	assert_non_null(strstr(buf_ptr(&b),
		"<w:ResourceURI s:mustUnderstand=\"true\">"));
	assert_non_null(strstr(buf_ptr(&b),
		"<a:Action s:mustUnderstand=\"true\">http://schemas.xmlsoap.org/"
		"ws/2004/09/transfer/Get</a:Action>"));
	assert_non_null(strstr(buf_ptr(&b),
		"<w:OperationTimeout>PT60.000S</w:OperationTimeout>"));
	assert_non_null(strstr(buf_ptr(&b),
		"<w:Selector Name=\"NALPath\">[&quot;Display=\\\\dp01"));
	req = reparse(&b);
	assert_int_equal(req->op, WSMAN_OP_GET);
	assert_string_equal(req->message_id,
			    "uuid:DEADBEEF-0123-4F67-BFAB-CDEF00112233");
	assert_string_equal(req->resource_uri,
			    NS_WMI_PS1 "SMS_DistributionPoint");
	assert_int_equal(req->max_envelope_size, 512000);
	assert_int_equal(req->operation_timeout_ms, 60000);
	assert_int_equal(req->nselectors, 2);
	assert_string_equal(wsman_request_selector(req, "nalpath"), NAL01);
	assert_string_equal(wsman_request_selector(req, "SiteCode"), "PS1");
	wsman_request_free(req);
	buf_free(&b);
}

static void test_build_enumerate(void **state)
{
	static const char *wql =
		"SELECT * FROM SMS_DistributionPointInfo WHERE Name = "
		"'o\\'brien & <co>'";
	struct wsman_head h = head(NS_WMI_PS1 "*");
	struct wsman_request *req;
	struct buf b;

	(void)state;
	h.operation_timeout_ms = 20500;
	buf_init(&b, 0);
	assert_int_equal(wsman_build_enumerate(&b, &h, WSMAN_DIALECT_WQL, wql,
					       true, 0), 0);
	assert_non_null(strstr(buf_ptr(&b), "PT20.500S"));
	assert_non_null(strstr(buf_ptr(&b),
		"<w:MaxEnvelopeSize s:mustUnderstand=\"true\">153600<"));
	req = reparse(&b);
	assert_int_equal(req->op, WSMAN_OP_ENUMERATE);
	assert_int_equal(req->max_envelope_size, 153600);
	assert_int_equal(req->operation_timeout_ms, 20500);
	assert_true(req->optimize);
	assert_int_equal(req->max_elements, 32000);
	assert_int_equal(req->enum_mode, WSMAN_ENUM_OBJECTS);
	assert_string_equal(req->filter_dialect, WSMAN_DIALECT_WQL);
	assert_string_equal(req->filter_text, wql);
	wsman_request_free(req);

	/* A plain class enumeration: no filter, no optimization. */
	buf_reset(&b);
	h = head(NS_WMI_PS1 "SMS_DistributionPointInfo");
	assert_int_equal(wsman_build_enumerate(&b, &h, NULL, NULL, false, 0), 0);
	assert_null(strstr(buf_ptr(&b), "OptimizeEnumeration"));
	req = reparse(&b);
	assert_false(req->optimize);
	assert_null(req->filter_dialect);
	wsman_request_free(req);

	assert_int_equal(wsman_build_enumerate(&b, &h, WSMAN_DIALECT_WQL, NULL,
					       false, 0), -EINVAL);
	buf_free(&b);
}

static void test_build_pull_release(void **state)
{
	struct wsman_head h = head(NS_WMI_PS1 "*");
	struct wsman_request *req;
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(wsman_build_pull(&b, &h, "uuid:ctx-1", 50), 0);
	req = reparse(&b);
	assert_int_equal(req->op, WSMAN_OP_PULL);
	assert_string_equal(req->context, "uuid:ctx-1");
	wsman_request_free(req);

	buf_reset(&b);
	assert_int_equal(wsman_build_release(&b, &h, "uuid:ctx-1"), 0);
	req = reparse(&b);
	assert_int_equal(req->op, WSMAN_OP_RELEASE);
	assert_string_equal(req->context, "uuid:ctx-1");
	wsman_request_free(req);

	assert_int_equal(wsman_build_pull(&b, &h, NULL, 0), -EINVAL);
	assert_int_equal(wsman_build_release(&b, &h, NULL), -EINVAL);
	buf_free(&b);
}

static void test_build_invoke(void **state)
{
	const struct wsman_pair params[] = {
		{ "NALPath", NAL01 },
		{ "Mode", "1" },
		{ "Comment", NULL },
	};
	struct wsman_head h = head(NS_WMI_PS1 "SMS_DistributionPointInfo");
	struct wsman_request *req;
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(wsman_build_invoke(&b, &h, "SetDPMaintenanceMode",
					    params, 3), 0);
	assert_non_null(strstr(buf_ptr(&b),
		"<p:SetDPMaintenanceMode_INPUT xmlns:p=\"" NS_WMI_PS1
		"SMS_DistributionPointInfo\">"));
	assert_null(strstr(buf_ptr(&b), "SelectorSet"));
	req = reparse(&b);
	assert_int_equal(req->op, WSMAN_OP_INVOKE);
	assert_string_equal(req->action,
		NS_WMI_PS1 "SMS_DistributionPointInfo/SetDPMaintenanceMode");
	assert_string_equal(req->method, "SetDPMaintenanceMode");
	assert_int_equal(req->nparams, 3);
	assert_string_equal(req->params[0].name, "NALPath");
	assert_string_equal(req->params[0].value, NAL01);
	assert_string_equal(req->params[1].name, "Mode");
	assert_string_equal(req->params[1].value, "1");
	assert_string_equal(req->params[2].name, "Comment");
	assert_null(req->params[2].value);
	wsman_request_free(req);
	buf_free(&b);
}

static void test_build_refuses(void **state)
{
	const struct wsman_pair bad_param[] = { { "a><b", "1" } };
	const struct wsman_pair bad_sel[] = { { "Name", NULL } };
	struct wsman_head h = head(NS_WMI_PS1 "SMS_DistributionPointInfo");
	struct buf b;

	(void)state;
	buf_init(&b, 0);
	assert_int_equal(wsman_build_invoke(&b, &h, "Set<x>", NULL, 0),
			 -EINVAL);
	assert_int_equal(wsman_build_invoke(&b, &h, "", NULL, 0), -EINVAL);
	assert_int_equal(wsman_build_invoke(&b, &h, "M", bad_param, 1),
			 -EINVAL);
	h.selectors = bad_sel;
	h.nselectors = 1;
	assert_int_equal(wsman_build_get(&b, &h), -EINVAL);
	h = head(NULL);
	assert_int_equal(wsman_build_get(&b, &h), -EINVAL);
	/* Nothing was written by the refused calls. */
	assert_int_equal(buf_len(&b), 0);

	/* A size-capped buffer reports -E2BIG. */
	buf_free(&b);
	buf_init(&b, 100);
	h = head(NS_WMI_PS1 "x");
	assert_int_equal(wsman_build_get(&b, &h), -E2BIG);
	buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_get_instance),
		cmocka_unit_test(test_enumerate_optimized),
		cmocka_unit_test(test_enumerate_context),
		cmocka_unit_test(test_pull_last),
		cmocka_unit_test(test_pull_more),
		cmocka_unit_test(test_enumerate_epr),
		cmocka_unit_test(test_fault_invalid_selectors),
		cmocka_unit_test(test_fault_wmi_error),
		cmocka_unit_test(test_fault_extended_status),
		cmocka_unit_test(test_fault_sms),
		cmocka_unit_test(test_fault_prefixes),
		cmocka_unit_test(test_fault_must_understand),
		cmocka_unit_test(test_invoke),
		cmocka_unit_test(test_invoke_out_params),
		cmocka_unit_test(test_invoke_return_values),
		cmocka_unit_test(test_identify),
		cmocka_unit_test(test_release),
		cmocka_unit_test(test_refuses),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_unknown_body),
		cmocka_unit_test(test_uuid),
		cmocka_unit_test(test_build_identify),
		cmocka_unit_test(test_build_get),
		cmocka_unit_test(test_build_enumerate),
		cmocka_unit_test(test_build_pull_release),
		cmocka_unit_test(test_build_invoke),
		cmocka_unit_test(test_build_refuses),
	};
	int ret;

	xmlInitParser();
	ret = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return ret;
}
