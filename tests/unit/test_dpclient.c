/* libdpclient without a server: error codes and their texts, error
 * formatting, option validation, argument checks that fail before anything
 * is sent, WQL quoting and the result structs' accessors and clear
 * functions.
 *
 * Calls that could reach the network use a client whose endpoint is
 * 127.0.0.1 port 1 with no retries: if one of them sends after all, it
 * fails with DPC_E_TRANSPORT instead of the DPC_E_USAGE asserted, and the
 * test says so. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dpclient.h"

#define NOWHERE "http://127.0.0.1:1/wsman"

/* Stands for "not written yet" in an out pointer; never dereferenced. */
static char sentinel;
#define UNSET ((struct dpc_client *)(void *)&sentinel)
#define DP01_NAL "[\"Display=\\\\DP01.contoso.com\\\"]MSWNET:" \
		 "[\"SMS_SITE=PS1\"]\\\\DP01.contoso.com\\"

/* An error struct full of junk, to see that calls clear or fill it. */
static void dirty(struct dpc_error *err)
{
	memset(err, 0x5a, sizeof(*err));
	err->message[sizeof(err->message) - 1] = '\0';
	err->hresult_name = "junk";
}

static struct dpc_client *offline_client(const char *site)
{
	struct dpc_options o;
	struct dpc_client *c = NULL;
	struct dpc_error err;

	dpc_options_init(&o);
	o.endpoint = NOWHERE;
	o.site_code = site;
	o.retries = 0;
	o.connect_timeout_ms = 1000;
	assert_int_equal(dpc_client_new(&o, &c, &err), DPC_OK);
	assert_non_null(c);
	return c;
}

/* ---- error codes ------------------------------------------------------ */

static void strerror_and_name_of_every_code(void **state)
{
	static const struct {
		enum dpc_code code;
		const char *name, *text;
	} want[] = {
		{ DPC_OK, "DPC_OK", "success" },
		{ DPC_E_USAGE, "DPC_E_USAGE", "invalid argument" },
		{ DPC_E_NOMEM, "DPC_E_NOMEM", "out of memory" },
		{ DPC_E_TRANSPORT, "DPC_E_TRANSPORT",
		  "the endpoint could not be reached" },
		{ DPC_E_AUTH, "DPC_E_AUTH", "authentication failed" },
		{ DPC_E_PROTOCOL, "DPC_E_PROTOCOL",
		  "the answer was not the expected WS-Management" },
		{ DPC_E_PROVIDER, "DPC_E_PROVIDER",
		  "the provider refused the request" },
		{ DPC_E_NOT_FOUND, "DPC_E_NOT_FOUND", "not found" },
	};
	size_t n = sizeof(want) / sizeof(want[0]);

	/* The table covers the whole enum: the last code is the last row. */
	assert_int_equal(want[n - 1].code, DPC_E_NOT_FOUND);
	for (size_t i = 0; i < n; i++) {
		assert_string_equal(dpc_strerror(want[i].code), want[i].text);
		assert_string_equal(dpc_code_name(want[i].code), want[i].name);
		/* Each text is distinct: a message identifies its code. */
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(dpc_strerror(want[i].code),
						dpc_strerror(want[j].code));
	}
}

static void strerror_of_unknown_codes(void **state)
{
	assert_string_equal(dpc_strerror((enum dpc_code)(DPC_E_NOT_FOUND + 1)),
			    "unknown error");
	assert_string_equal(dpc_strerror((enum dpc_code)-1), "unknown error");
	assert_string_equal(dpc_code_name((enum dpc_code)1000),
			    "DPC_E_UNKNOWN");
	assert_string_equal(dpc_code_name((enum dpc_code)-1), "DPC_E_UNKNOWN");
}

static void error_format_shapes(void **state)
{
	struct dpc_error err;
	char out[256];

	/* A fault with a known HRESULT: name, value and message. */
	memset(&err, 0, sizeof(err));
	err.code = DPC_E_PROVIDER;
	err.hresult = 0x80041002;
	err.hresult_name = "WBEM_E_NOT_FOUND";
	snprintf(err.message, sizeof(err.message), "Object cannot be found.");
	snprintf(err.subcode, sizeof(err.subcode), "w:InternalError");
	assert_ptr_equal(dpc_error_format(&err, out, sizeof(out)), out);
	assert_string_equal(out, "WBEM_E_NOT_FOUND (0x80041002): "
			    "Object cannot be found.");

	/* An HRESULT without a name: the number alone. */
	err.hresult = 0x8004ABCD;
	err.hresult_name = NULL;
	dpc_error_format(&err, out, sizeof(out));
	assert_string_equal(out, "0x8004ABCD: Object cannot be found.");

	/* No HRESULT: the subcode. */
	err.hresult = 0;
	snprintf(err.message, sizeof(err.message), "bad selectors");
	snprintf(err.subcode, sizeof(err.subcode), "w:InvalidSelectors");
	dpc_error_format(&err, out, sizeof(out));
	assert_string_equal(out, "w:InvalidSelectors: bad selectors");

	/* Neither: the message alone. */
	err.subcode[0] = '\0';
	dpc_error_format(&err, out, sizeof(out));
	assert_string_equal(out, "bad selectors");

	/* No message: the code's text. */
	err.message[0] = '\0';
	err.code = DPC_E_AUTH;
	dpc_error_format(&err, out, sizeof(out));
	assert_string_equal(out, "authentication failed");
}

static void error_format_truncates_and_terminates(void **state)
{
	struct dpc_error err;
	char out[16];

	memset(&err, 0, sizeof(err));
	err.code = DPC_E_PROVIDER;
	err.hresult = 0x80041003;
	err.hresult_name = "WBEM_E_ACCESS_DENIED";
	snprintf(err.message, sizeof(err.message), "Access denied.");
	memset(out, 'x', sizeof(out));
	dpc_error_format(&err, out, sizeof(out));
	assert_int_equal(strlen(out), sizeof(out) - 1);
	assert_memory_equal(out, "WBEM_E_ACCESS_D", sizeof(out));

	/* size 0: nothing is written, out is returned. */
	out[0] = '#';
	assert_ptr_equal(dpc_error_format(&err, out, 0), out);
	assert_int_equal(out[0], '#');
}

/* ---- auth and options ------------------------------------------------- */

static void auth_names_round_trip(void **state)
{
	static const struct {
		const char *in;
		enum dpc_auth auth;
		const char *name;
	} ok[] = {
		{ "basic", DPC_AUTH_BASIC, "basic" },
		{ "BASIC", DPC_AUTH_BASIC, "basic" },
		{ "ntlm", DPC_AUTH_NTLM, "ntlm" },
		{ "NTLM", DPC_AUTH_NTLM, "ntlm" },
		{ "negotiate", DPC_AUTH_NEGOTIATE, "negotiate" },
		{ "Negotiate", DPC_AUTH_NEGOTIATE, "negotiate" },
	};
	enum dpc_auth a;

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		a = (enum dpc_auth)99;
		assert_int_equal(dpc_auth_parse(ok[i].in, &a), DPC_OK);
		assert_int_equal(a, ok[i].auth);
		assert_string_equal(dpc_auth_name(a), ok[i].name);
	}
	a = DPC_AUTH_NTLM;
	assert_int_equal(dpc_auth_parse("kerberos", &a), DPC_E_USAGE);
	assert_int_equal(dpc_auth_parse("", &a), DPC_E_USAGE);
	assert_int_equal(dpc_auth_parse("basic ", &a), DPC_E_USAGE);
	assert_int_equal(dpc_auth_parse(NULL, &a), DPC_E_USAGE);
	/* A failed parse leaves the value alone. */
	assert_int_equal(a, DPC_AUTH_NTLM);
	assert_string_equal(dpc_auth_name((enum dpc_auth)42), "unknown");
}

static void options_defaults(void **state)
{
	struct dpc_options o;

	memset(&o, 0x5a, sizeof(o));
	dpc_options_init(&o);
	assert_null(o.endpoint);
	assert_null(o.user);
	assert_null(o.password);
	assert_int_equal(o.auth, DPC_AUTH_BASIC);
	assert_null(o.ca_file);
	assert_false(o.insecure);
	assert_int_equal(o.connect_timeout_ms, 5000);
	assert_int_equal(o.operation_timeout_ms, 60000);
	assert_null(o.site_code);
	assert_int_equal(o.retries, 2);
	assert_int_equal(o.retry_delay_ms, 200);
	assert_null(o.trace);
	assert_null(o.trace_data);
}

static void client_new_accepts_good_options(void **state)
{
	static const char *const endpoints[] = {
		"http://127.0.0.1:5985/wsman",
		"https://cm01.contoso.com:5986/wsman",
		"HTTPS://CM01:5986/wsman", "Http://[::1]:5985/wsman",
	};
	struct dpc_options o;
	struct dpc_client *c;
	struct dpc_error err;
	char site[] = "PS1";

	/* NULL options: every default, no site yet. */
	dirty(&err);
	c = UNSET;
	assert_int_equal(dpc_client_new(NULL, &c, &err), DPC_OK);
	assert_non_null(c);
	assert_int_equal(err.code, DPC_OK);
	assert_int_equal(err.hresult, 0);
	assert_null(err.hresult_name);
	assert_string_equal(err.message, "");
	assert_null(dpc_client_site(c));
	dpc_client_free(c);

	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
		dpc_options_init(&o);
		o.endpoint = endpoints[i];
		assert_int_equal(dpc_client_new(&o, &c, NULL), DPC_OK);
		dpc_client_free(c);
	}

	/* Every string is copied: the caller's may change afterwards. */
	dpc_options_init(&o);
	o.endpoint = NOWHERE;
	o.user = "lab";
	o.password = "secret";
	o.auth = DPC_AUTH_NEGOTIATE;
	o.ca_file = "/nonexistent/ca.pem";
	o.insecure = true;
	o.site_code = site;
	assert_int_equal(dpc_client_new(&o, &c, &err), DPC_OK);
	site[0] = 'X';
	assert_string_equal(dpc_client_site(c), "PS1");
	dpc_client_free(c);

	/* Eight characters is the longest site code taken. */
	dpc_options_init(&o);
	o.site_code = "ABCDEFGH";
	assert_int_equal(dpc_client_new(&o, &c, &err), DPC_OK);
	assert_string_equal(dpc_client_site(c), "ABCDEFGH");
	dpc_client_free(c);

	dpc_client_free(NULL);
}

static void client_new_rejects_bad_options(void **state)
{
	static const char *const endpoints[] = {
		"ftp://127.0.0.1/wsman", "127.0.0.1:5985/wsman", "",
		"http:/127.0.0.1/wsman", "file:///etc/passwd",
		"httpx://h/wsman",
	};
	struct dpc_options o;
	struct dpc_client *c;
	struct dpc_error err;

	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
		dpc_options_init(&o);
		o.endpoint = endpoints[i];
		c = UNSET;
		dirty(&err);
		assert_int_equal(dpc_client_new(&o, &c, &err), DPC_E_USAGE);
		assert_null(c);
		assert_int_equal(err.code, DPC_E_USAGE);
		assert_non_null(strstr(err.message, endpoints[i]));
		assert_non_null(strstr(err.message, "http"));
	}

	dpc_options_init(&o);
	o.site_code = "ABCDEFGHI";
	c = UNSET;
	assert_int_equal(dpc_client_new(&o, &c, &err), DPC_E_USAGE);
	assert_null(c);
	assert_string_equal(err.message, "bad site code 'ABCDEFGHI'");

	o.site_code = "";
	c = UNSET;
	assert_int_equal(dpc_client_new(&o, &c, &err), DPC_E_USAGE);
	assert_null(c);
	assert_string_equal(err.message, "bad site code ''");

	dpc_options_init(&o);
	o.auth = (enum dpc_auth)3;
	c = UNSET;
	assert_int_equal(dpc_client_new(&o, &c, &err), DPC_E_USAGE);
	assert_null(c);
	assert_string_equal(err.message, "unknown auth scheme");

	/* err may be NULL. */
	o.auth = (enum dpc_auth)-1;
	c = UNSET;
	assert_int_equal(dpc_client_new(&o, &c, NULL), DPC_E_USAGE);
	assert_null(c);
}

/* ---- calls that fail before sending ------------------------------------ */

static void set_mode_checks_arguments(void **state)
{
	struct dpc_client *c = offline_client("PS1");
	struct dpc_error err;

	dirty(&err);
	assert_int_equal(dpc_set_mode(c, DP01_NAL, 2, &err), DPC_E_USAGE);
	assert_int_equal(err.code, DPC_E_USAGE);
	assert_string_equal(err.message, "mode must be 0 or 1, not 2");
	assert_int_equal(err.hresult, 0);
	assert_false(err.from_return_value);
	assert_int_equal(err.http_status, 0);
	assert_int_equal(err.attempts, 0);

	assert_int_equal(dpc_set_mode(c, DP01_NAL, 0xffffffffu, &err),
			 DPC_E_USAGE);
	assert_string_equal(err.message, "mode must be 0 or 1, not 4294967295");

	assert_int_equal(dpc_set_mode(c, NULL, 1, &err), DPC_E_USAGE);
	assert_string_equal(err.message, "no NAL path");
	assert_int_equal(dpc_set_mode(c, "", 1, &err), DPC_E_USAGE);
	assert_string_equal(err.message, "no NAL path");
	assert_int_equal(dpc_set_mode(c, "", 1, NULL), DPC_E_USAGE);
	dpc_client_free(c);
}

/* No NAL path: refused before anything is sent, *out left empty. */
static void chained_pull_dps_checks_arguments(void **state)
{
	struct dpc_client *c = offline_client("PS1");
	struct dpc_string_list l = { (char **)&sentinel, 7 };
	struct dpc_error err;

	dirty(&err);
	assert_int_equal(dpc_chained_pull_dps(c, NULL, &l, &err), DPC_E_USAGE);
	assert_string_equal(err.message, "no NAL path");
	assert_int_equal(err.attempts, 0);
	assert_null(l.items);
	assert_int_equal(l.count, 0);
	assert_int_equal(dpc_chained_pull_dps(c, "", &l, NULL), DPC_E_USAGE);
	/* a NAL path goes out: port 1 refuses it */
	assert_int_equal(dpc_chained_pull_dps(c, DP01_NAL, &l, &err),
			 DPC_E_TRANSPORT);
	assert_null(l.items);
	dpc_client_free(c);
}

static void string_list_clear(void **state)
{
	struct dpc_string_list l = { calloc(2, sizeof(char *)), 2 };

	assert_non_null(l.items);
	l.items[0] = strdup("a");
	l.items[1] = strdup("b");
	dpc_string_list_clear(&l);
	assert_null(l.items);
	assert_int_equal(l.count, 0);
	dpc_string_list_clear(&l);
	dpc_string_list_clear(NULL);
}

static void find_dp_checks_arguments(void **state)
{
	struct dpc_client *c = offline_client("PS1");
	struct dpc_error err;
	struct dpc_dp dp;
	unsigned mode = 7;

	memset(&dp, 0x5a, sizeof(dp));
	assert_int_equal(dpc_find_dp(c, "", &dp, &err), DPC_E_USAGE);
	assert_string_equal(err.message, "no distribution point named");
	/* On failure the result is empty, so clearing it is safe. */
	assert_null(dp.name);
	assert_null(dp.nal_path);
	assert_null(dp.site_code);
	assert_null(dp.resource_type);
	assert_int_equal(dp.maintenance_mode, -1);
	dpc_dp_clear(&dp);

	assert_int_equal(dpc_find_dp(c, NULL, &dp, &err), DPC_E_USAGE);
	/* A NetworkOSPath that is only backslashes names nothing. */
	assert_int_equal(dpc_find_dp(c, "\\\\\\", &dp, &err), DPC_E_USAGE);
	assert_string_equal(err.message, "empty DP name");
	assert_null(dp.name);

	assert_int_equal(dpc_get_mode(c, "", &mode, &err), DPC_E_USAGE);
	assert_int_equal(mode, 7);
	dpc_client_free(c);
}

static void query_and_invoke_check_arguments(void **state)
{
	static const struct dpc_param bad_name[] = {
		{ .name = "NAL Path", .type = DPC_PARAM_STRING, .str = "x" },
	};
	struct dpc_client *c = offline_client("PS1");
	struct dpc_instance_list l;
	struct dpc_instance out;
	struct dpc_error err;
	uint32_t rv = 99;

	memset(&l, 0x5a, sizeof(l));
	assert_int_equal(dpc_query(c, NULL, "", &l, &err), DPC_E_USAGE);
	assert_string_equal(err.message, "empty query");
	assert_null(l.items);
	assert_int_equal(l.count, 0);
	assert_int_equal(dpc_query(c, "root/sms", NULL, &l, &err),
			 DPC_E_USAGE);

	memset(&out, 0x5a, sizeof(out));
	assert_int_equal(dpc_invoke(c, NULL, NULL, "SetDPMaintenanceMode",
				    NULL, 0, &out, &rv, &err), DPC_E_USAGE);
	assert_string_equal(err.message, "class and method required");
	assert_null(out.class_name);
	assert_int_equal(out.nprops, 0);
	assert_int_equal(rv, 0);
	assert_int_equal(dpc_invoke(c, NULL, "SMS_DistributionPointInfo", "",
				    NULL, 0, NULL, NULL, &err), DPC_E_USAGE);
	assert_int_equal(dpc_invoke(c, NULL, "SMS_DistributionPointInfo",
				    "SetDPMaintenanceMode", NULL, 2, NULL,
				    NULL, &err), DPC_E_USAGE);

	/* Names that are not XML names are refused before sending. */
	assert_int_equal(dpc_invoke(c, NULL, "SMS_DistributionPointInfo",
				    "Set DPMaintenanceMode", NULL, 0, NULL,
				    NULL, &err), DPC_E_USAGE);
	assert_non_null(strstr(err.message, "'Set DPMaintenanceMode'"));
	assert_int_equal(dpc_invoke(c, "root/sms/site_PS1",
				    "SMS_DistributionPointInfo",
				    "SetDPMaintenanceMode", bad_name, 1, NULL,
				    NULL, &err), DPC_E_USAGE);
	assert_int_equal(err.http_status, 0);
	dpc_client_free(c);
}

/* With no site configured, a call that needs one must go and ask: against
 * a dead endpoint that is a transport error, not a usage error or a crash,
 * and dpc_client_site stays NULL. */
static void discovery_against_nothing_is_transport(void **state)
{
	struct dpc_client *c = offline_client(NULL);
	struct dpc_dp_list l;
	struct dpc_error err;
	char site[16] = "junk";

	assert_int_equal(dpc_discover_site(c, site, sizeof(site), &err),
			 DPC_E_TRANSPORT);
	assert_string_equal(site, "");
	assert_int_equal(err.code, DPC_E_TRANSPORT);
	assert_int_equal(err.attempts, 1);
	assert_int_equal(err.http_status, 0);
	assert_string_not_equal(err.transport, "");
	assert_non_null(strstr(err.message, NOWHERE));
	assert_null(dpc_client_site(c));

	assert_int_equal(dpc_list_dps(c, &l, &err), DPC_E_TRANSPORT);
	assert_null(l.items);
	assert_int_equal(l.count, 0);
	dpc_dp_list_clear(&l);
	dpc_client_free(c);
}

/* Refused is transient: retried as configured, each attempt counted. */
static void refused_is_retried(void **state)
{
	struct dpc_options o;
	struct dpc_client *c;
	struct dpc_identity id;
	struct dpc_error err;

	dpc_options_init(&o);
	o.endpoint = NOWHERE;
	o.retries = 2;
	o.retry_delay_ms = 1;
	assert_int_equal(dpc_client_new(&o, &c, &err), DPC_OK);
	assert_int_equal(dpc_identify(c, &id, &err), DPC_E_TRANSPORT);
	assert_int_equal(err.attempts, 3);
	assert_null(id.product_vendor);
	dpc_client_free(c);
}

/* A generic method is not sent again once it may have run, but a refused
 * connection ran nothing: that is retried for it as for any call. */
static void refused_invoke_is_retried(void **state)
{
	struct dpc_options o;
	struct dpc_client *c;
	struct dpc_error err;
	uint32_t rv = 7;

	dpc_options_init(&o);
	o.endpoint = NOWHERE;
	o.site_code = "PS1";
	o.retries = 2;
	o.retry_delay_ms = 1;
	assert_int_equal(dpc_client_new(&o, &c, &err), DPC_OK);
	assert_int_equal(dpc_invoke(c, NULL, "SMS_Package", "RefreshPkgSource",
				    NULL, 0, NULL, &rv, &err), DPC_E_TRANSPORT);
	assert_int_equal(err.code, DPC_E_TRANSPORT);
	assert_int_equal(err.attempts, 3);
	assert_int_equal(rv, 0);
	dpc_client_free(c);
}

/* A Get needs the DP's whole key; without it nothing is sent. */
static void get_dp_needs_the_key(void **state)
{
	struct dpc_dp key = {
		.nal_path = "[\"Display=\\\\DP01.contoso.com\\\"]MSWNET:"
			    "[\"SMS_SITE=PS1\"]\\\\DP01.contoso.com\\",
		.site_code = "PS1",
		.maintenance_mode = 0,
	};
	struct dpc_options o;
	struct dpc_client *c;
	struct dpc_error err;
	struct dpc_dp out;

	dpc_options_init(&o);
	o.endpoint = NOWHERE;
	o.site_code = "PS1";
	o.retries = 0;
	assert_int_equal(dpc_client_new(&o, &c, &err), DPC_OK);
	assert_int_equal(dpc_get_dp(c, &key, &out, &err), DPC_E_USAGE);
	assert_int_equal(err.attempts, 0);
	assert_non_null(strstr(err.message, "ResourceType"));
	assert_null(out.name);
	assert_int_equal(out.maintenance_mode, -1);
	dpc_dp_clear(&out);

	/* With it, the Get goes out (and here finds nobody listening). */
	key.resource_type = "Windows NT Server";
	assert_int_equal(dpc_get_dp(c, &key, &out, NULL), DPC_E_TRANSPORT);
	assert_int_equal(dpc_get_dp(c, &key, &out, &err), DPC_E_TRANSPORT);
	assert_int_equal(err.attempts, 1);
	dpc_dp_clear(&out);
	dpc_client_free(c);
}

/* ---- WQL quoting ------------------------------------------------------ */

static void wql_quote(void **state)
{
	static const char *const cases[][2] = {
		{ "DP01.contoso.com", "'DP01.contoso.com'" },
		{ "", "''" },
		{ "O'Brien", "'O\\'Brien'" },
		{ "a\"b", "'a\\\"b'" },
		{ "C:\\dir\\", "'C:\\\\dir\\\\'" },
		{ "50% off_[x]", "'50% off_[x]'" },
		{ DP01_NAL,
		  "'[\\\"Display=\\\\\\\\DP01.contoso.com\\\\\\\"]MSWNET:"
		  "[\\\"SMS_SITE=PS1\\\"]\\\\\\\\DP01.contoso.com\\\\'" },
		{ "x' OR '1'='1", "'x\\' OR \\'1\\'=\\'1'" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *q = dpc_wql_quote(cases[i][0]);

		assert_non_null(q);
		assert_string_equal(q, cases[i][1]);
		free(q);
	}
}

/* ---- result structs --------------------------------------------------- */

static void add_prop(struct dpc_instance *inst, const char *name,
		     const char *const *values, size_t n, bool null)
{
	struct dpc_property *p;

	inst->props = realloc(inst->props,
			      (inst->nprops + 1) * sizeof(*inst->props));
	assert_non_null(inst->props);
	p = &inst->props[inst->nprops++];
	p->name = strdup(name);
	p->values = calloc(n ? n : 1, sizeof(*p->values));
	assert_non_null(p->values);
	for (size_t i = 0; i < n; i++)
		p->values[i] = strdup(values[i]);
	p->nvalues = n;
	p->null = null;
}

static void instance_text_and_clear(void **state)
{
	static const char *const nal[] = { DP01_NAL };
	static const char *const mode[] = { "1" };
	static const char *const arr[] = { "first", "second" };
	static const char *const empty_text[] = { "" };
	struct dpc_instance inst = { 0 };
	struct dpc_instance_list list = { 0 };

	inst.class_name = strdup("SMS_DistributionPointInfo");
	add_prop(&inst, "NALPath", nal, 1, false);
	add_prop(&inst, "MaintenanceMode", mode, 1, false);
	add_prop(&inst, "Description", NULL, 0, true);
	add_prop(&inst, "Groups", arr, 2, false);
	add_prop(&inst, "Empty", NULL, 0, false);
	add_prop(&inst, "Blank", empty_text, 1, false);

	assert_string_equal(dpc_instance_text(&inst, "NALPath"), DP01_NAL);
	/* Property names are case-insensitive, as in CIM. */
	assert_string_equal(dpc_instance_text(&inst, "maintenancemode"), "1");
	assert_string_equal(dpc_instance_text(&inst, "MAINTENANCEMODE"), "1");
	assert_null(dpc_instance_text(&inst, "Description"));
	assert_string_equal(dpc_instance_text(&inst, "Groups"), "first");
	assert_null(dpc_instance_text(&inst, "Empty"));
	assert_null(dpc_instance_text(&inst, "Missing"));
	/* The returned pointer is borrowed from the instance. */
	assert_ptr_equal(dpc_instance_text(&inst, "NALPath"),
			 inst.props[0].values[0]);
	/* One value that is the empty string is a value, not "empty". */
	assert_string_equal(dpc_instance_text(&inst, "Blank"), "");

	list.items = calloc(2, sizeof(*list.items));
	assert_non_null(list.items);
	list.items[0] = inst;
	list.count = 1;
	dpc_instance_list_clear(&list);
	assert_null(list.items);
	assert_int_equal(list.count, 0);

	/* Clearing is always safe: NULL, zeroed, and twice. */
	memset(&inst, 0, sizeof(inst));
	dpc_instance_clear(&inst);
	dpc_instance_clear(&inst);
	dpc_instance_clear(NULL);
	dpc_instance_list_clear(&list);
	dpc_instance_list_clear(NULL);
}

static void dp_and_identity_clear(void **state)
{
	struct dpc_dp_list l = { 0 };
	struct dpc_identity id = { 0 };
	struct dpc_dp dp = { 0 };

	dp.name = strdup("DP01.contoso.com");
	dp.nal_path = strdup(DP01_NAL);
	dp.site_code = strdup("PS1");
	dp.resource_type = strdup("Windows NT Server");
	dp.maintenance_mode = 1;
	dpc_dp_clear(&dp);
	assert_null(dp.name);
	assert_null(dp.nal_path);
	assert_null(dp.site_code);
	assert_null(dp.resource_type);
	/* A cleared DP has no known mode, not mode 0. */
	assert_int_equal(dp.maintenance_mode, -1);
	dpc_dp_clear(&dp);
	dpc_dp_clear(NULL);

	l.items = calloc(2, sizeof(*l.items));
	assert_non_null(l.items);
	l.items[0].name = strdup("a");
	l.items[1].nal_path = strdup("b");
	l.count = 2;
	dpc_dp_list_clear(&l);
	assert_null(l.items);
	assert_int_equal(l.count, 0);
	dpc_dp_list_clear(&l);
	dpc_dp_list_clear(NULL);

	id.protocol_version =
		strdup("http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd");
	id.product_vendor = strdup("Microsoft Corporation");
	dpc_identity_clear(&id);
	assert_null(id.protocol_version);
	assert_null(id.product_vendor);
	assert_null(id.product_version);
	dpc_identity_clear(&id);
	dpc_identity_clear(NULL);
}

static int global_init(void **state)
{
	return dpc_global_init() == DPC_OK ? 0 : -1;
}

static int global_cleanup(void **state)
{
	dpc_global_cleanup();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(strerror_and_name_of_every_code),
		cmocka_unit_test(strerror_of_unknown_codes),
		cmocka_unit_test(error_format_shapes),
		cmocka_unit_test(error_format_truncates_and_terminates),
		cmocka_unit_test(auth_names_round_trip),
		cmocka_unit_test(options_defaults),
		cmocka_unit_test(client_new_accepts_good_options),
		cmocka_unit_test(client_new_rejects_bad_options),
		cmocka_unit_test(set_mode_checks_arguments),
		cmocka_unit_test(find_dp_checks_arguments),
		cmocka_unit_test(chained_pull_dps_checks_arguments),
		cmocka_unit_test(string_list_clear),
		cmocka_unit_test(query_and_invoke_check_arguments),
		cmocka_unit_test(discovery_against_nothing_is_transport),
		cmocka_unit_test(refused_is_retried),
		cmocka_unit_test(refused_invoke_is_retried),
		cmocka_unit_test(get_dp_needs_the_key),
		cmocka_unit_test(wql_quote),
		cmocka_unit_test(instance_text_and_clear),
		cmocka_unit_test(dp_and_identity_clear),
	};

	return cmocka_run_group_tests_name("dpclient", tests, global_init,
					   global_cleanup);
}
