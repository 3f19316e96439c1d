/* Unit tests for client/dpc_odata.c: libdpclient reading the
 * AdminService's answers and writing its requests. The answers are the
 * bytes dpsim sends, recorded in tests/unit/data/adminservice/ (the
 * integration test dpctl_adminservice checks that dpsim still sends
 * them). Built from the source: the dpco_ and dpci_ helpers are internal
 * to the shared library. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "dpc_error.h"
#include "dpc_odata.h"
#include "hresult.h"

#define DPI "SMS_DistributionPointInfo"
#define DP01_NAL "[\"Display=\\\\DP01.contoso.com\\\"]MSWNET:" \
		 "[\"SMS_SITE=PS1\"]\\\\DP01.contoso.com\\"
#define DP02_NAL "[\"Display=\\\\DP02.contoso.com\\\"]MSWNET:" \
		 "[\"SMS_SITE=PS1\"]\\\\DP02.contoso.com\\"
#define PULLDP01_NAL "[\"Display=\\\\PULLDP01.contoso.com\\\"]MSWNET:" \
		     "[\"SMS_SITE=PS1\"]\\\\PULLDP01.contoso.com\\"

/* A recorded answer, whole. */
static char *answer(const char *name, size_t *len)
{
	char path[512];
	FILE *f;
	char *text;
	long n;

	snprintf(path, sizeof(path),
		 SOURCE_ROOT "/tests/unit/data/adminservice/%s", name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	text = malloc((size_t)n + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)n, f), (size_t)n);
	text[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return text;
}

static const struct dpc_property *prop(const struct dpc_instance *inst,
				       const char *name)
{
	for (size_t i = 0; i < inst->nprops; i++)
		if (strcmp(inst->props[i].name, name) == 0)
			return &inst->props[i];
	return NULL;
}

/* Reads a recorded collection; asserts success. */
static void read_file(const char *name, const struct dpco_read *how,
		      struct dpc_instance_list *l)
{
	struct dpc_error err = { 0 };
	size_t len;
	char *body = answer(name, &len);
	char *next = (char *)1;

	memset(l, 0, sizeof(*l));
	if (dpco_read_instances(body, len, how, l, &next, &err))
		fail_msg("%s: %s", name, err.message);
	assert_null(next);
	free(body);
}

/* ---- instances -------------------------------------------------------- */

static void collection_item_as_winrm_gives_it(void **state)
{
	const struct dpco_read how = { .cls = DPI, .ns = "root/sms/site_PS1" };
	struct dpc_instance_list l;
	const struct dpc_instance *dp;

	read_file("dp01.json", &how, &l);
	assert_int_equal(l.count, 1);
	dp = &l.items[0];
	assert_string_equal(dp->class_name, DPI);
	/* The class's 42 properties: no etag, no __ system property. */
	assert_int_equal(dp->nprops, 42);
	for (size_t i = 0; i < dp->nprops; i++) {
		assert_null(strchr(dp->props[i].name, '@'));
		assert_true(strncmp(dp->props[i].name, "__", 2) != 0);
	}
	/* In the answer's order (WMI's, by name), first and last. */
	assert_string_equal(dp->props[0].name, "AddressScheduleEnabled");
	assert_string_equal(dp->props[41].name, "UdaSetting");
	/* Each JSON kind in WS-Man's text. */
	assert_string_equal(dpc_instance_text(dp, "Name"), "DP01.contoso.com");
	assert_string_equal(dpc_instance_text(dp, "NALPath"), DP01_NAL);
	assert_string_equal(dpc_instance_text(dp, "MaintenanceMode"), "0");
	assert_string_equal(dpc_instance_text(dp, "BitsEnabled"), "true");
	assert_string_equal(dpc_instance_text(dp, "IsPullDP"), "false");
	assert_string_equal(dpc_instance_text(dp, "HealthCheckPriority"), "4");
	assert_string_equal(dpc_instance_text(dp, "PXEPassword"), "");
	assert_true(prop(dp, "BindExcept")->null);
	assert_int_equal(prop(dp, "BindExcept")->nvalues, 0);
	assert_null(dpc_instance_text(dp, "BindExcept"));
	assert_int_equal(prop(dp, "Name")->nvalues, 1);
	assert_false(prop(dp, "Name")->null);
	dpc_instance_list_clear(&l);
	assert_int_equal(l.count, 0);
}

static void collection_of_several_and_a_keyed_get(void **state)
{
	const struct dpco_read how = { .cls = DPI, .ns = "root\\SMS\\site_ps1" };
	struct dpc_instance_list l;

	read_file("dp0_prefix.json", &how, &l);
	assert_int_equal(l.count, 3);
	assert_string_equal(dpc_instance_text(&l.items[0], "Name"),
			    "DP01.contoso.com");
	assert_string_equal(dpc_instance_text(&l.items[1], "Name"),
			    "DP02.contoso.com");
	assert_string_equal(dpc_instance_text(&l.items[1], "MaintenanceMode"),
			    "1");
	assert_string_equal(dpc_instance_text(&l.items[2], "Name"),
			    "DP03.branch.contoso.com");
	dpc_instance_list_clear(&l);

	/* A keyed GET answers inside "value" too. */
	read_file("dp02_key.json", &how, &l);
	assert_int_equal(l.count, 1);
	assert_string_equal(dpc_instance_text(&l.items[0], "NALPath"),
			    DP02_NAL);
	assert_string_equal(dpc_instance_text(&l.items[0], "SiteCode"), "PS1");
	dpc_instance_list_clear(&l);

	read_file("provider_location.json", &(const struct dpco_read){
		.cls = "SMS_ProviderLocation", .ns = "root/sms" }, &l);
	assert_int_equal(l.count, 1);
	assert_string_equal(l.items[0].class_name, "SMS_ProviderLocation");
	assert_int_equal(l.items[0].nprops, 4);
	assert_string_equal(dpc_instance_text(&l.items[0],
					      "ProviderForLocalSite"), "true");
	assert_string_equal(dpc_instance_text(&l.items[0], "NamespacePath"),
			    "\\\\CM01.contoso.com\\root\\sms\\site_PS1");
	dpc_instance_list_clear(&l);
}

/* Another namespace than the one asked for: a wrong --site, or a class
 * of another namespace. */
static void namespace_must_be_the_one_asked(void **state)
{
	const struct dpco_read how = { .cls = DPI, .ns = "root/sms/site_ZZ9" };
	struct dpc_instance_list l = { 0 };
	struct dpc_error err = { 0 };
	size_t len;
	char *body = answer("dp01.json", &len);

	assert_int_equal(dpco_read_instances(body, len, &how, &l, NULL, &err),
			 DPC_E_NOT_FOUND);
	assert_string_equal(err.message, DPI " is in namespace "
			    "root\\sms\\site_PS1 on this AdminService, not in "
			    "root\\sms\\site_ZZ9");
	assert_int_equal(err.hresult, 0);
	assert_int_equal(l.count, 0);
	dpc_instance_list_clear(&l);
	free(body);

	body = answer("provider_location.json", &len);
	memset(&err, 0, sizeof(err));
	assert_int_equal(dpco_read_instances(body, len, &(const struct dpco_read){
		.cls = "SMS_ProviderLocation", .ns = "root/sms/site_PS1" },
		&l, NULL, &err), DPC_E_NOT_FOUND);
	assert_string_equal(err.message, "SMS_ProviderLocation is in namespace "
			    "root\\sms on this AdminService, not in "
			    "root\\sms\\site_PS1");
	dpc_instance_list_clear(&l);
	free(body);
}

/* WQL's property list: those properties (any case) and the keys, as WMI
 * answers "SELECT name, MaintenanceMode FROM ...". */
static void select_keeps_the_keys(void **state)
{
	static const char *const sel[] = { "name", "MAINTENANCEMODE" };
	static const char *const nope[] = { "Name", "Nope" };
	const struct dpco_read how = { .cls = DPI, .select = sel, .nselect = 2 };
	struct dpc_instance_list l = { 0 };
	struct dpc_error err = { 0 };
	const struct dpc_instance *dp;
	size_t len;
	char *body;

	read_file("dp01.json", &how, &l);
	dp = &l.items[0];
	assert_int_equal(dp->nprops, 5);
	assert_string_equal(dp->props[0].name, "MaintenanceMode");
	assert_string_equal(dp->props[1].name, "NALPath");
	assert_string_equal(dp->props[2].name, "Name");
	assert_string_equal(dp->props[3].name, "ResourceType");
	assert_string_equal(dp->props[4].name, "SiteCode");
	assert_string_equal(dpc_instance_text(dp, "ResourceType"),
			    "Windows NT Server");
	dpc_instance_list_clear(&l);

	/* A single key (SMS_ProviderLocation.SiteCode="PS1"). */
	read_file("provider_location.json", &(const struct dpco_read){
		.cls = "SMS_ProviderLocation", .select = (const char *[]){
			"Machine" }, .nselect = 1 }, &l);
	assert_int_equal(l.items[0].nprops, 2);
	assert_string_equal(l.items[0].props[0].name, "Machine");
	assert_string_equal(l.items[0].props[1].name, "SiteCode");
	dpc_instance_list_clear(&l);

	body = answer("dp01.json", &len);
	assert_int_equal(dpco_read_instances(body, len, &(const struct dpco_read){
		.cls = DPI, .select = nope, .nselect = 2 }, &l, NULL, &err),
		DPC_E_NOT_FOUND);
	assert_string_equal(err.message, "no property 'Nope' in class " DPI);
	dpc_instance_list_clear(&l);
	free(body);
}

static void shapes_json_can_take(void **state)
{
	static const char doc[] =
		"{\"value\":[{\"__CLASS\":\"C\",\"Obj\":{\"x\":1,\"y\":[true]},"
		"\"Nested\":[[1,2]],\"Reals\":[1.5,2,-0.25],\"Empty\":[],"
		"\"Big\":\"18446744073709551615\",\"Neg\":-7,"
		"\"Utf8\":\"caf\\u00e9\",\"Name@odata.type\":\"#String\","
		"\"Arr\":[\"a\",null]}],"
		"\"@odata.nextLink\":\"http://h/AdminService/wmi/C?$skiptoken=1\"}";
	struct dpc_instance_list l = { 0 };
	struct dpc_error err = { 0 };
	const struct dpc_instance *c;
	char *next = NULL;

	assert_int_equal(dpco_read_instances(doc, strlen(doc),
		&(const struct dpco_read){ .cls = "Asked" }, &l, &next, &err),
		DPC_OK);
	assert_string_equal(next, "http://h/AdminService/wmi/C?$skiptoken=1");
	free(next);
	c = &l.items[0];
	/* The class the item names, over the one asked for. */
	assert_string_equal(c->class_name, "C");
	/* An empty array is left out, as WS-Man writes it; so is the
	 * annotation. */
	assert_null(prop(c, "Empty"));
	assert_null(prop(c, "Name@odata.type"));
	assert_int_equal(c->nprops, 7);
	assert_string_equal(dpc_instance_text(c, "Obj"),
			    "{\"x\":1,\"y\":[true]}");
	assert_int_equal(prop(c, "Nested")->nvalues, 1);
	assert_string_equal(prop(c, "Nested")->values[0], "[1,2]");
	assert_int_equal(prop(c, "Reals")->nvalues, 3);
	assert_string_equal(prop(c, "Reals")->values[0], "1.5");
	assert_string_equal(prop(c, "Reals")->values[1], "2");
	assert_string_equal(prop(c, "Reals")->values[2], "-0.25");
	assert_string_equal(dpc_instance_text(c, "Big"),
			    "18446744073709551615");
	assert_string_equal(dpc_instance_text(c, "Neg"), "-7");
	assert_string_equal(dpc_instance_text(c, "Utf8"), "caf\xc3\xa9");
	/* A null inside an array is JSON's "null" text, not a NULL. */
	assert_int_equal(prop(c, "Arr")->nvalues, 2);
	assert_string_equal(prop(c, "Arr")->values[1], "null");
	dpc_instance_list_clear(&l);

	/* Without the class in the item: the one asked for. */
	assert_int_equal(dpco_read_instances("{\"value\":[{\"A\":1}]}", 19,
		&(const struct dpco_read){ .cls = "Asked" }, &l, NULL, &err),
		DPC_OK);
	assert_string_equal(l.items[0].class_name, "Asked");
	dpc_instance_list_clear(&l);
}

static void broken_collections(void **state)
{
	static const struct {
		const char *body, *message;
	} cases[] = {
		{ "{\"value\":", "unreadable answer: " },
		{ "[]", "expected an OData collection, {\"value\": [...]}" },
		{ "{\"value\":3}", "expected an OData collection, "
		  "{\"value\": [...]}" },
		{ "{\"value\":[{},1]}", "item 1 of the collection is a number, "
		  "not an object" },
		{ "{\"value\":[],\"value\":[]}", "unreadable answer: " },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dpc_instance_list l = { 0 };
		struct dpc_error err = { 0 };

		assert_int_equal(dpco_read_instances(cases[i].body,
			strlen(cases[i].body), &(const struct dpco_read){
				.cls = "C" }, &l, NULL, &err), DPC_E_PROTOCOL);
		assert_int_equal(err.code, DPC_E_PROTOCOL);
		if (strncmp(err.message, cases[i].message,
			    strlen(cases[i].message)) != 0)
			fail_msg("case %zu: %s", i, err.message);
		dpc_instance_list_clear(&l);
	}
}

/* ---- methods ---------------------------------------------------------- */

static void method_answers(void **state)
{
	struct dpc_instance out;
	struct dpc_error err = { 0 };
	uint32_t rv = 7;
	bool has;
	size_t len;
	char *body = answer("set_mode.json", &len);

	assert_int_equal(dpco_read_output(body, len, "SetDPMaintenanceMode",
					  &out, &rv, &has, &err), DPC_OK);
	assert_true(has);
	assert_int_equal(rv, 0);
	/* WinRM's name for the out-parameters object. */
	assert_string_equal(out.class_name, "SetDPMaintenanceMode_OUTPUT");
	assert_int_equal(out.nprops, 1);
	assert_string_equal(dpc_instance_text(&out, "ReturnValue"), "0");
	dpc_instance_clear(&out);
	free(body);

	body = answer("chain.json", &len);
	assert_int_equal(dpco_read_output(body, len, "GetChainedPullDPs", &out,
					  &rv, &has, &err), DPC_OK);
	assert_string_equal(out.props[0].name, "ChainedDPs");
	assert_int_equal(out.props[0].nvalues, 1);
	assert_string_equal(out.props[0].values[0], PULLDP01_NAL);
	assert_string_equal(out.props[1].name, "ReturnValue");
	dpc_instance_clear(&out);
	free(body);

	/* No pull DP: [] is no ChainedDPs, as WS-Man leaves it out. */
	body = answer("chain_empty.json", &len);
	assert_int_equal(dpco_read_output(body, len, "GetChainedPullDPs", &out,
					  &rv, &has, &err), DPC_OK);
	assert_int_equal(out.nprops, 1);
	assert_string_equal(out.props[0].name, "ReturnValue");
	dpc_instance_clear(&out);
	free(body);

	/* A rule's ReturnValue: uint32, and sint32 as its bit pattern. */
	body = answer("return_value.json", &len);
	assert_int_equal(dpco_read_output(body, len, "SetDPMaintenanceMode",
					  NULL, &rv, &has, &err), DPC_OK);
	assert_int_equal(rv, WBEM_E_FAILED);
	free(body);
	body = answer("return_value_sint32.json", &len);
	assert_int_equal(dpco_read_output(body, len, "GetChainedPullDPs", &out,
					  &rv, &has, &err), DPC_OK);
	assert_int_equal(rv, WBEM_E_FAILED);
	assert_true(out.props[0].null);
	assert_string_equal(dpc_instance_text(&out, "ReturnValue"),
			    "-2147217407");
	dpc_instance_clear(&out);
	free(body);
}

static void return_values_that_are_not(void **state)
{
	static const char *const bad[] = {
		"{\"ReturnValue\":\"0\"}", "{\"ReturnValue\":4294967296}",
		"{\"ReturnValue\":-2147483649}", "{\"ReturnValue\":1.0}",
		"{\"ReturnValue\":null}",
	};
	struct dpc_instance out;
	struct dpc_error err = { 0 };
	uint32_t rv;
	bool has;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(dpco_read_output(bad[i], strlen(bad[i]), "M",
						  &out, &rv, &has, &err),
				 DPC_E_PROTOCOL);
		assert_string_equal(err.message, "M returned a ReturnValue that "
				    "is not a number");
		assert_null(out.class_name);
	}
	/* A method without one: success, no ReturnValue. */
	assert_int_equal(dpco_read_output("{\"X\":1}", 7, "M", &out, &rv, &has,
					  &err), DPC_OK);
	assert_false(has);
	assert_int_equal(rv, 0);
	assert_string_equal(out.class_name, "M_OUTPUT");
	dpc_instance_clear(&out);
	assert_int_equal(dpco_read_output("[1]", 3, "M", &out, &rv, &has,
					  &err), DPC_E_PROTOCOL);
	assert_string_equal(err.message, "expected M's out-parameters object");
}

/* ---- errors ----------------------------------------------------------- */

/* Each recorded error: the HRESULT, and the line dpctl prints, which is
 * the one a WMI fault gives over WS-Man. */
static void error_answers(void **state)
{
	static const struct {
		const char *file;
		uint32_t hresult;
		const char *line;
	} cases[] = {
		{ "error_not_found.json", WBEM_E_NOT_FOUND,
		  "WBEM_E_NOT_FOUND (0x80041002): No distribution point with "
		  "NAL path 'nope' in site PS1." },
		/* The provider's reason, not the "Access denied  WMI METHOD"
		 * wrapping of the 404's message. */
		{ "error_access_denied.json", WBEM_E_ACCESS_DENIED,
		  "WBEM_E_ACCESS_DENIED (0x80041003): User 'analyst' (Read-only "
		  "Analyst) lacks Modify permission on the Site class needed "
		  "to change maintenance mode." },
		{ "error_invalid_parameter.json", WBEM_E_INVALID_PARAMETER,
		  "WBEM_E_INVALID_PARAMETER (0x80041008): Mode 2 is not valid: "
		  "use 1 to enable or 0 to disable maintenance mode." },
		{ "error_rule_fault.json", WBEM_E_PROVIDER_FAILURE,
		  "WBEM_E_PROVIDER_FAILURE (0x80041004): The provider failed in "
		  "a way other than those covered by a specific error code. "
		  "(dpsim fault rule 3)" },
		/* No HRESULT: the service's own words. */
		{ "error_no_class.json", 0,
		  "No HTTP resource was found that matches the request URI: "
		  "class SMS_Nothing is not served in namespace "
		  "root\\sms\\site_PS1 (GET /AdminService/wmi/$metadata lists "
		  "the classes)." },
		{ "error_bad_option.json", 0,
		  "The query specified in the URI is not valid: $filter at "
		  "position 6: expected and, or, an operator or the end of "
		  "$filter but found 'EQ' (OData keywords are lower case: "
		  "'eq')." },
		{ "error_401.json", 0, "Authorization has been denied for this "
		  "request: send the credentials of a lab user (HTTP Basic)." },
		{ "error_timeout.json", 0,
		  "HTTP 504 injected by dpsim fault rule 4." },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct dpc_error err = { 0 };
		char line[DPC_MSG_SIZE + 64];
		size_t len;
		char *body = answer(cases[i].file, &len);

		assert_int_equal(dpco_read_error(body, len, &err),
				 DPC_E_PROVIDER);
		assert_int_equal(err.code, DPC_E_PROVIDER);
		assert_int_equal(err.hresult, cases[i].hresult);
		if (cases[i].hresult)
			assert_string_equal(err.hresult_name,
					    hresult_name(cases[i].hresult));
		else
			assert_null(err.hresult_name);
		assert_false(err.from_return_value);
		assert_string_equal(err.subcode, "");
		dpc_error_format(&err, line, sizeof(line));
		if (strcmp(line, cases[i].line))
			fail_msg("%s: %s", cases[i].file, line);
		free(body);
	}
}

static void errors_that_are_not_odata(void **state)
{
	static const char *const bodies[] = {
		"<html>Bad Gateway</html>", "{\"error\":\"dpsim's control API\"}",
		"[]", "", "{\"message\":\"x\"}",
	};

	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		struct dpc_error err;

		memset(&err, 0x5a, sizeof(err));
		assert_int_equal(dpco_read_error(bodies[i], strlen(bodies[i]),
						 &err), DPC_OK);
		/* Untouched. */
		assert_int_equal(err.http_status, 0x5a5a5a5a5a5a5a5aL);
	}
}

static void error_details(void **state)
{
	struct dpc_error err = { 0 };
	char line[DPC_MSG_SIZE];
	const char *doc;

	/* A numeric HRESULT; no message: the table's text. */
	doc = "{\"error\":{\"code\":\"500\",\"message\":\"\","
	      "\"innererror\":{\"hresult\":2147749890}}}";
	assert_int_equal(dpco_read_error(doc, strlen(doc), &err), DPC_E_PROVIDER);
	assert_string_equal(dpc_error_format(&err, line, sizeof(line)),
			    "WBEM_E_NOT_FOUND (0x80041002): Object cannot be "
			    "found.");
	/* An HRESULT the table does not know. */
	memset(&err, 0, sizeof(err));
	doc = "{\"error\":{\"code\":\"500\",\"message\":\"m\","
	      "\"innererror\":{\"hresult\":\"0x12345678\"}}}";
	assert_int_equal(dpco_read_error(doc, strlen(doc), &err), DPC_E_PROVIDER);
	assert_string_equal(dpc_error_format(&err, line, sizeof(line)),
			    "0x12345678: m");
	/* An hresult that is no number is no HRESULT; nothing at all. */
	memset(&err, 0, sizeof(err));
	doc = "{\"error\":{\"innererror\":{\"hresult\":\"0xZZ\"}}}";
	assert_int_equal(dpco_read_error(doc, strlen(doc), &err), DPC_E_PROVIDER);
	assert_int_equal(err.hresult, 0);
	assert_string_equal(err.message, "The server answered an OData error.");
}

/* ---- the service document ---------------------------------------------- */

static void service_document(void **state)
{
	struct dpc_identity id;
	struct dpc_error err = { 0 };
	size_t len;
	char *body = answer("service.json", &len);

	assert_int_equal(dpco_read_service(body, len, NULL, &id, &err), DPC_OK);
	assert_string_equal(id.protocol_version, "OData 4.0");
	assert_null(id.product_vendor);
	assert_null(id.product_version);
	dpc_identity_clear(&id);
	/* A real site's OData-Version header. */
	assert_int_equal(dpco_read_service(body, len, "4.01", &id, &err),
			 DPC_OK);
	assert_string_equal(id.protocol_version, "OData 4.01");
	dpc_identity_clear(&id);
	free(body);

	body = answer("error_401.json", &len);
	assert_int_equal(dpco_read_service(body, len, NULL, &id, &err),
			 DPC_E_PROTOCOL);
	assert_null(id.protocol_version);
	free(body);
}

/* ---- writing ---------------------------------------------------------- */

static void method_body(void **state)
{
	const struct dpc_param p[] = {
		{ .name = "NALPath", .type = DPC_PARAM_STRING, .str = DP01_NAL },
		{ .name = "Mode", .type = DPC_PARAM_UINT32, .u32 = 4294967295u },
		{ .name = "Gone", .type = DPC_PARAM_NULL },
		{ .name = "Empty", .type = DPC_PARAM_STRING, .str = NULL },
	};
	char *body = dpco_params_body(p, 4);

	/* The NAL path's quotes and backslashes as JSON escapes them;
	 * the uint32 a number. */
	assert_string_equal(body,
		"{\"NALPath\":\"[\\\"Display=\\\\\\\\DP01.contoso.com"
		"\\\\\\\"]MSWNET:[\\\"SMS_SITE=PS1\\\"]\\\\\\\\DP01.contoso.com"
		"\\\\\",\"Mode\":4294967295,\"Gone\":null,\"Empty\":\"\"}");
	free(body);
	body = dpco_params_body(NULL, 0);
	assert_string_equal(body, "{}");
	free(body);
}

static void url_pieces(void **state)
{
	static const char *const names[] = { "NALPath", "ResourceType",
					     "SiteCode" };
	static const char *const values[] = { DP02_NAL, "Windows NT Server",
					      "O'Brien" };
	struct buf b;
	char *s;

	/* The key part of the path dp02_key.json was recorded with (the
	 * last key aside). */
	s = dpco_key_segment(names, values, 3);
	assert_string_equal(s,
		"(NALPath=%27%5B%22Display%3D%5C%5CDP02.contoso.com%5C%22%5D"
		"MSWNET%3A%5B%22SMS_SITE%3DPS1%22%5D%5C%5CDP02.contoso.com%5C%27,"
		"ResourceType=%27Windows%20NT%20Server%27,"
		"SiteCode=%27O%27%27Brien%27)");
	free(s);

	s = dpco_match_filter("Name", DPCI_MATCH_EQ, "O'Brien");
	assert_string_equal(s, "Name eq 'O''Brien'");
	free(s);
	s = dpco_match_filter("Name", DPCI_MATCH_PREFIX, "DP01.");
	assert_string_equal(s, "startswith(Name,'DP01.')");
	free(s);
	s = dpco_match_filter("NALPath", DPCI_MATCH_EQ, DP01_NAL);
	/* Backslashes are ordinary characters in OData. */
	assert_string_equal(s, "NALPath eq '" DP01_NAL "'");
	free(s);
	assert_null(dpco_match_filter("Name", DPCI_MATCH_ALL, "x"));

	buf_init(&b, 0);
	dpco_add_string(&b, "''");
	dpco_add_string(&b, "");
	assert_string_equal(buf_ptr(&b), "''''''''");
	buf_free(&b);

	assert_true(dpco_is_name("SMS_DistributionPointInfo"));
	assert_true(dpco_is_name("_x9"));
	assert_false(dpco_is_name("9x"));
	assert_false(dpco_is_name("a.b"));
	assert_false(dpco_is_name("a b"));
	assert_false(dpco_is_name(""));
	assert_false(dpco_is_name(NULL));
	assert_false(dpco_is_name("Name'"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(collection_item_as_winrm_gives_it),
		cmocka_unit_test(collection_of_several_and_a_keyed_get),
		cmocka_unit_test(namespace_must_be_the_one_asked),
		cmocka_unit_test(select_keeps_the_keys),
		cmocka_unit_test(shapes_json_can_take),
		cmocka_unit_test(broken_collections),
		cmocka_unit_test(method_answers),
		cmocka_unit_test(return_values_that_are_not),
		cmocka_unit_test(error_answers),
		cmocka_unit_test(errors_that_are_not_odata),
		cmocka_unit_test(error_details),
		cmocka_unit_test(service_document),
		cmocka_unit_test(method_body),
		cmocka_unit_test(url_pieces),
	};

	return cmocka_run_group_tests_name("dpc_odata", tests, NULL, NULL);
}
