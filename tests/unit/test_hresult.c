/* Unit tests for wsman/hresult.c and wsman/fault.c. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "fault.h"
#include "hresult.h"

struct expect {
	const char *name;
	uint32_t code;
	enum wsman_subcode subcode;
	uint16_t cim_status;
};

#define SUB_INT WSMAN_SUB_INTERNAL_ERROR

/* docs/configmgr-domain.md (Errors) plus the generic COM codes. */
static const struct expect expected[] = {
	{ "WBEM_E_FAILED", 0x80041001u, SUB_INT, 1 },
	{ "WBEM_E_NOT_FOUND", 0x80041002u, SUB_INT, 6 },
	{ "WBEM_E_ACCESS_DENIED", 0x80041003u, WSMAN_SUB_ACCESS_DENIED, 2 },
	{ "WBEM_E_PROVIDER_FAILURE", 0x80041004u, SUB_INT, 1 },
	{ "WBEM_E_TYPE_MISMATCH", 0x80041005u, SUB_INT, 13 },
	{ "WBEM_E_OUT_OF_MEMORY", 0x80041006u, SUB_INT, 1 },
	{ "WBEM_E_INVALID_CONTEXT", 0x80041007u, SUB_INT, 1 },
	{ "WBEM_E_INVALID_PARAMETER", 0x80041008u, SUB_INT, 4 },
	{ "WBEM_E_NOT_AVAILABLE", 0x80041009u, SUB_INT, 1 },
	{ "WBEM_E_CRITICAL_ERROR", 0x8004100Au, SUB_INT, 1 },
	{ "WBEM_E_NOT_SUPPORTED", 0x8004100Cu, SUB_INT, 7 },
	{ "WBEM_E_INVALID_NAMESPACE", 0x8004100Eu,
	  WSMAN_SUB_DESTINATION_UNREACHABLE, 3 },
	{ "WBEM_E_INVALID_OBJECT", 0x8004100Fu, SUB_INT, 1 },
	{ "WBEM_E_INVALID_CLASS", 0x80041010u,
	  WSMAN_SUB_DESTINATION_UNREACHABLE, 5 },
	{ "WBEM_E_PROVIDER_NOT_FOUND", 0x80041011u, SUB_INT, 1 },
	{ "WBEM_E_INVALID_PROVIDER_REGISTRATION", 0x80041012u, SUB_INT, 1 },
	{ "WBEM_E_PROVIDER_LOAD_FAILURE", 0x80041013u, SUB_INT, 1 },
	{ "WBEM_E_INITIALIZATION_FAILURE", 0x80041014u, SUB_INT, 1 },
	{ "WBEM_E_TRANSPORT_FAILURE", 0x80041015u, SUB_INT, 1 },
	{ "WBEM_E_INVALID_OPERATION", 0x80041016u, SUB_INT, 1 },
	{ "WBEM_E_INVALID_QUERY", 0x80041017u, SUB_INT, 15 },
	{ "WBEM_E_INVALID_QUERY_TYPE", 0x80041018u, SUB_INT, 1 },
	{ "WBEM_E_ALREADY_EXISTS", 0x80041019u, SUB_INT, 11 },
	{ "WBEM_E_INVALID_SYNTAX", 0x80041021u, SUB_INT, 1 },
	{ "WBEM_E_READ_ONLY", 0x80041023u, SUB_INT, 1 },
	{ "WBEM_E_PROVIDER_NOT_CAPABLE", 0x80041024u, SUB_INT, 1 },
	{ "WBEM_E_ILLEGAL_NULL", 0x80041028u, SUB_INT, 1 },
	{ "WBEM_E_INVALID_CIM_TYPE", 0x8004102Du, SUB_INT, 1 },
	{ "WBEM_E_INVALID_METHOD", 0x8004102Eu, SUB_INT, 17 },
	{ "WBEM_E_INVALID_METHOD_PARAMETERS", 0x8004102Fu, SUB_INT, 4 },
	{ "WBEM_E_INVALID_PROPERTY", 0x80041031u, SUB_INT, 1 },
	{ "WBEM_E_CALL_CANCELLED", 0x80041032u, SUB_INT, 1 },
	{ "WBEM_E_INVALID_OBJECT_PATH", 0x8004103Au, SUB_INT, 1 },
	{ "E_ACCESSDENIED", 0x80070005u, WSMAN_SUB_ACCESS_DENIED, 2 },
	{ "E_INVALIDARG", 0x80070057u, SUB_INT, 4 },
	{ "E_FAIL", 0x80004005u, SUB_INT, 1 },
	{ "E_OUTOFMEMORY", 0x8007000Eu, SUB_INT, 1 },
	{ "ERROR_DISK_FULL", 0x80070070u, SUB_INT, 1 },
};

#define NEXPECTED (sizeof(expected) / sizeof(expected[0]))

static void test_table_entries(void **state)
{
	const struct hresult_info *h;
	size_t i;

	for (i = 0; i < NEXPECTED; i++) {
		h = hresult_lookup(expected[i].code);
		if (!h)
			fail_msg("0x%08X (%s) missing", expected[i].code,
				 expected[i].name);
		assert_string_equal(h->name, expected[i].name);
		assert_int_equal(h->subcode, expected[i].subcode);
		assert_int_equal(h->cim_status, expected[i].cim_status);
		assert_ptr_equal(hresult_by_name(expected[i].name), h);
		assert_string_equal(hresult_name(expected[i].code),
				    expected[i].name);
	}
	assert_int_equal(hresult_count(), NEXPECTED);
}

static void test_header_constants(void **state)
{
	/* The #defines in hresult.h and the table agree. */
	assert_string_equal(hresult_name(WBEM_E_NOT_FOUND), "WBEM_E_NOT_FOUND");
	assert_string_equal(hresult_name(WBEM_E_INVALID_METHOD_PARAMETERS),
			    "WBEM_E_INVALID_METHOD_PARAMETERS");
	assert_string_equal(hresult_name(WBEM_E_INVALID_PROPERTY),
			    "WBEM_E_INVALID_PROPERTY");
	assert_string_equal(hresult_name(WBEM_E_INVALID_QUERY),
			    "WBEM_E_INVALID_QUERY");
	assert_string_equal(hresult_name(HRESULT_DISK_FULL), "ERROR_DISK_FULL");
	assert_null(hresult_name(WBEM_S_NO_ERROR));
}

static void test_table_consistent(void **state)
{
	unsigned i, j, n = hresult_count();

	for (i = 0; i < n; i++) {
		const struct hresult_info *h = hresult_at(i);
		size_t len = strlen(h->message);

		assert_non_null(h);
		/* One sentence: capitalised, ends in '.', no newline. */
		assert_true(len > 5);
		assert_true(h->message[0] >= 'A' && h->message[0] <= 'Z');
		assert_int_equal(h->message[len - 1], '.');
		assert_null(strchr(h->message, '\n'));
		assert_true(h->cim_status >= 1);
		assert_non_null(wsman_subcode_qname(h->subcode));
		for (j = i + 1; j < n; j++) {
			assert_int_not_equal(h->code, hresult_at(j)->code);
			assert_string_not_equal(h->name, hresult_at(j)->name);
		}
	}
	assert_null(hresult_at(n));
}

static void test_messages(void **state)
{
	assert_string_equal(hresult_lookup(WBEM_E_NOT_FOUND)->message,
			    "Object cannot be found.");
	assert_string_equal(
		hresult_lookup(WBEM_E_INVALID_METHOD_PARAMETERS)->message,
		"One or more parameters are missing or not valid for the "
		"method.");
}

static void test_lookup_unknown(void **state)
{
	assert_null(hresult_lookup(0x80041000u));
	assert_null(hresult_lookup(0));
	assert_null(hresult_name(0xDEADBEEFu));
	assert_null(hresult_by_name("WBEM_E_NOPE"));
	assert_null(hresult_by_name(""));
	assert_null(hresult_by_name(NULL));
	assert_ptr_equal(hresult_by_name("wbem_e_not_found"),
			 hresult_lookup(WBEM_E_NOT_FOUND));
}

static void parse_ok(const char *text, uint32_t want)
{
	uint32_t v = 0x12345678u;

	if (hresult_parse(text, &v))
		fail_msg("\"%s\" refused", text);
	assert_int_equal(v, want);
}

static void parse_bad(const char *text)
{
	uint32_t v = 0x12345678u;

	if (!hresult_parse(text, &v))
		fail_msg("\"%s\" accepted as 0x%08X", text, v);
	assert_int_equal(hresult_parse(text, &v), -EINVAL);
	assert_int_equal(v, 0x12345678u);	/* untouched */
}

static void test_parse(void **state)
{
	parse_ok("0x80041002", 0x80041002u);
	parse_ok("0X8004102f", 0x8004102Fu);
	parse_ok("0xffffffff", 0xFFFFFFFFu);
	parse_ok("0x0", 0);
	parse_ok("2147749890", 0x80041002u);
	parse_ok("4294967295", 0xFFFFFFFFu);
	parse_ok("0", 0);
	parse_ok("5", 5);
	/* .NET prints HRESULTs as signed int32. */
	parse_ok("-2147217406", 0x80041002u);
	parse_ok("-2147483648", 0x80000000u);
	parse_ok("-1", 0xFFFFFFFFu);
	parse_ok("WBEM_E_NOT_FOUND", 0x80041002u);
	parse_ok("wbem_e_invalid_method", 0x8004102Eu);
	parse_ok("E_ACCESSDENIED", 0x80070005u);

	parse_bad("");
	parse_bad(NULL);
	parse_bad("0x");
	parse_bad("0x100000000");
	parse_bad("0x8004100G");
	parse_bad("4294967296");
	parse_bad("99999999999999999999999");
	parse_bad("-2147483649");
	parse_bad("-");
	parse_bad("+5");
	parse_bad(" 5");
	parse_bad("5 ");
	parse_bad("12abc");
	parse_bad("0x-1");
	parse_bad("WBEM_E_NOPE");
	parse_bad(" WBEM_E_NOT_FOUND");
}

static void test_describe(void **state)
{
	char out[64];
	char small[8];

	assert_ptr_equal(hresult_describe(WBEM_E_NOT_FOUND, out, sizeof(out)),
			 out);
	assert_string_equal(out, "WBEM_E_NOT_FOUND (0x80041002)");
	hresult_describe(0x8004102Fu, out, sizeof(out));
	assert_string_equal(out,
			    "WBEM_E_INVALID_METHOD_PARAMETERS (0x8004102F)");
	hresult_describe(0xDEADBEEFu, out, sizeof(out));
	assert_string_equal(out, "0xDEADBEEF");
	hresult_describe(0, out, sizeof(out));
	assert_string_equal(out, "0x00000000");
	/* Short buffers truncate but stay terminated. */
	hresult_describe(WBEM_E_NOT_FOUND, small, sizeof(small));
	assert_string_equal(small, "WBEM_E_");
}

/* ---- fault.c ---------------------------------------------------------- */

static void test_subcode_qnames(void **state)
{
	static const struct {
		enum wsman_subcode s;
		const char *qname;
		bool sender;
	} want[] = {
		{ WSMAN_SUB_INTERNAL_ERROR, "w:InternalError", false },
		{ WSMAN_SUB_ACCESS_DENIED, "w:AccessDenied", true },
		{ WSMAN_SUB_INVALID_SELECTORS, "w:InvalidSelectors", true },
		{ WSMAN_SUB_DESTINATION_UNREACHABLE,
		  "a:DestinationUnreachable", true },
		{ WSMAN_SUB_ACTION_NOT_SUPPORTED, "a:ActionNotSupported",
		  true },
		{ WSMAN_SUB_SCHEMA_VALIDATION, "w:SchemaValidationError",
		  true },
		{ WSMAN_SUB_INVALID_ENUM_CONTEXT,
		  "n:InvalidEnumerationContext", false },
		{ WSMAN_SUB_CANNOT_PROCESS_FILTER, "n:CannotProcessFilter",
		  true },
		{ WSMAN_SUB_FILTER_DIALECT_UNAVAILABLE,
		  "n:FilterDialectRequestedUnavailable", true },
		{ WSMAN_SUB_TIMED_OUT, "w:TimedOut", false },
		{ WSMAN_SUB_ENCODING_LIMIT, "w:EncodingLimit", true },
		{ WSMAN_SUB_INVALID_PARAMETER, "w:InvalidParameter", true },
		{ WSMAN_SUB_MUST_UNDERSTAND, "s:MustUnderstand", true },
		{ WSMAN_SUB_UNSUPPORTED_FEATURE, "w:UnsupportedFeature",
		  true },
		{ WSMAN_SUB_INVALID_HEADER,
		  "a:InvalidMessageInformationHeader", true },
		{ WSMAN_SUB_HEADER_REQUIRED,
		  "a:MessageInformationHeaderRequired", true },
		{ WSMAN_SUB_FRAGMENT_FILTER, "w:CannotProcessFilter", true },
		{ WSMAN_SUB_FRAGMENT_DIALECT,
		  "w:FragmentDialectNotSupported", false },
	};
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_string_equal(wsman_subcode_qname(want[i].s),
				    want[i].qname);
		assert_int_equal(wsman_subcode_is_sender(want[i].s),
				 want[i].sender);
	}
	assert_null(wsman_subcode_qname(WSMAN_SUB_NONE));
	assert_null(wsman_subcode_qname(WSMAN_SUB_UNKNOWN));
	assert_null(wsman_subcode_qname((enum wsman_subcode)1000));
}

static void test_winrm_codes(void **state)
{
	/* Checked against the Win32 RemoteManagement constants. */
	assert_int_equal(WSMAN_CODE_INVALID_RESOURCE_URI, 0x8033803Bu);
	assert_int_equal(WSMAN_CODE_INVALID_ACTIONURI, 0x80338001u);
	assert_int_equal(WSMAN_CODE_SCHEMA_VALIDATION, 0x80338041u);
	assert_int_equal(WSMAN_CODE_INVALID_ENUM_CONTEXT, 0x8033801Bu);
	assert_int_equal(WSMAN_CODE_CANNOT_PROCESS_FILTER, 0x8033801Au);
	assert_int_equal(WSMAN_CODE_TIMED_OUT, 0x80338029u);
	assert_int_equal(WSMAN_CODE_ENCODING_LIMIT, 0x80338035u);
	assert_int_equal(WSMAN_CODE_WMI_ENUM_WQL_URI, 0x803380FBu);
	/* What real WinRM sent for w:InvalidSelectors (pypsrp capture). */
	assert_int_equal(WSMAN_CODE_INVALID_SELECTORS, 2150858843u);
}

static void test_fault_known(void **state)
{
	struct wsman_fault f;
	struct wsman_sms_status st = { 0 };
	char scratch[96];

	memset(&f, 0xa5, sizeof(f));	/* everything gets set */
	wsman_fault_from_hresult(&f, WBEM_E_NOT_FOUND, NULL, scratch,
				 sizeof(scratch));
	assert_int_equal(f.subcode, WSMAN_SUB_INTERNAL_ERROR);
	assert_int_equal(f.code, 0x80041002u);
	assert_string_equal(f.reason, "Object cannot be found.");
	assert_true(f.wmi_error);
	assert_int_equal(f.cim_status, 6);
	assert_null(f.detail);
	assert_null(f.not_understood);
	assert_null(f.sms);

	f.sms = &st;
	wsman_fault_from_hresult(&f, WBEM_E_ACCESS_DENIED, NULL, scratch,
				 sizeof(scratch));
	assert_int_equal(f.subcode, WSMAN_SUB_ACCESS_DENIED);
	assert_int_equal(f.cim_status, 2);
	assert_null(f.sms);

	wsman_fault_from_hresult(&f, WBEM_E_INVALID_CLASS, NULL, scratch,
				 sizeof(scratch));
	assert_int_equal(f.subcode, WSMAN_SUB_DESTINATION_UNREACHABLE);
	assert_int_equal(f.cim_status, 5);

	wsman_fault_from_hresult(&f, WBEM_E_INVALID_METHOD_PARAMETERS,
				 "Mode must be 0 or 1.", scratch,
				 sizeof(scratch));
	assert_int_equal(f.subcode, WSMAN_SUB_INTERNAL_ERROR);
	assert_int_equal(f.cim_status, 4);
	assert_string_equal(f.reason, "Mode must be 0 or 1.");
}

static void test_fault_unknown(void **state)
{
	struct wsman_fault f;
	char scratch[96];

	wsman_fault_from_hresult(&f, 0x80041234u, NULL, scratch,
				 sizeof(scratch));
	assert_int_equal(f.subcode, WSMAN_SUB_INTERNAL_ERROR);
	assert_int_equal(f.code, 0x80041234u);
	assert_int_equal(f.cim_status, 1);
	assert_true(f.wmi_error);
	assert_ptr_equal(f.reason, scratch);
	assert_string_equal(f.reason, "The WMI provider returned 0x80041234.");

	wsman_fault_from_hresult(&f, 0x80041234u, "custom", scratch,
				 sizeof(scratch));
	assert_string_equal(f.reason, "custom");
	assert_int_equal(f.cim_status, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_entries),
		cmocka_unit_test(test_header_constants),
		cmocka_unit_test(test_table_consistent),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_lookup_unknown),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_describe),
		cmocka_unit_test(test_subcode_qnames),
		cmocka_unit_test(test_winrm_codes),
		cmocka_unit_test(test_fault_known),
		cmocka_unit_test(test_fault_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
