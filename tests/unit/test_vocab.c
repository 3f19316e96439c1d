/* Unit tests for wsman/vocab.h: the WS-Man vocabulary every part of dpsim
 * takes its strings from. Each value is spelt out here as the
 * specifications and WinRM captures have it (docs/wsman-protocol.md), so a
 * slip in the one definition fails here rather than against a real
 * client. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "build.h"
#include "vocab.h"

static void test_namespaces(void **state)
{
	assert_string_equal(WSMAN_NS_SOAP, "http://www.w3.org/2003/05/soap-envelope");
	assert_string_equal(WSMAN_NS_SOAP11, "http://schemas.xmlsoap.org/soap/envelope/");
	assert_string_equal(WSMAN_NS_ADDR,
			    "http://schemas.xmlsoap.org/ws/2004/08/addressing");
	assert_string_equal(WSMAN_NS_ENUM,
			    "http://schemas.xmlsoap.org/ws/2004/09/enumeration");
	assert_string_equal(WSMAN_NS_XFER,
			    "http://schemas.xmlsoap.org/ws/2004/09/transfer");
	assert_string_equal(WSMAN_NS_EVENT,
			    "http://schemas.xmlsoap.org/ws/2004/08/eventing");
	assert_string_equal(WSMAN_NS_WSMAN,
			    "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd");
	assert_string_equal(WSMAN_NS_MSWSMAN,
			    "http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd");
	assert_string_equal(WSMAN_NS_IDENT,
			    "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd");
	assert_string_equal(WSMAN_NS_CIMBIND,
			    "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd");
	assert_string_equal(WSMAN_NS_CIM, "http://schemas.dmtf.org/wbem/wscim/1/common");
	assert_string_equal(WSMAN_NS_XSI, "http://www.w3.org/2001/XMLSchema-instance");
	assert_string_equal(WSMAN_NS_WSMANFAULT,
			    "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault");
}

static void test_addressing_and_actions(void **state)
{
	assert_string_equal(WSMAN_ADDR_ANONYMOUS,
			    "http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous");
	assert_string_equal(WSMAN_ACTION_GET,
			    "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get");
	assert_string_equal(WSMAN_ACTION_GET_RESPONSE,
			    "http://schemas.xmlsoap.org/ws/2004/09/transfer/GetResponse");
	assert_string_equal(WSMAN_ACTION_ENUMERATE,
			    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate");
	assert_string_equal(WSMAN_ACTION_ENUMERATE_RESPONSE,
			    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/EnumerateResponse");
	assert_string_equal(WSMAN_ACTION_PULL,
			    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Pull");
	assert_string_equal(WSMAN_ACTION_PULL_RESPONSE,
			    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/PullResponse");
	assert_string_equal(WSMAN_ACTION_RELEASE,
			    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Release");
	assert_string_equal(WSMAN_ACTION_RELEASE_RESPONSE,
			    "http://schemas.xmlsoap.org/ws/2004/09/enumeration/ReleaseResponse");
	assert_string_equal(WSMAN_ACTION_WSMAN_FAULT,
			    "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault");
	assert_string_equal(WSMAN_ACTION_ADDRESSING_FAULT,
			    "http://schemas.xmlsoap.org/ws/2004/08/addressing/fault");
	assert_string_equal(WSMAN_FAULT_DETAIL_PREFIX,
			    "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/");
}

static void test_dialects_and_resources(void **state)
{
	assert_string_equal(WSMAN_DIALECT_WQL,
			    "http://schemas.microsoft.com/wbem/wsman/1/WQL");
	assert_string_equal(WSMAN_DIALECT_SELECTOR,
			    "http://schemas.dmtf.org/wbem/wsman/1/wsman/SelectorFilter");
	assert_string_equal(WSMAN_DIALECT_XPATH,
			    "http://www.w3.org/TR/1999/REC-xpath-19991116");
	assert_string_equal(WSMAN_URI_WMI_PREFIX,
			    "http://schemas.microsoft.com/wbem/wsman/1/wmi/");
	assert_string_equal(WSMAN_URI_DMTF_PREFIX,
			    "http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/");
}

static void test_content_type(void **state)
{
	assert_string_equal(WSMAN_SOAP_MEDIA_TYPE, "application/soap+xml");
	assert_string_equal(WSMAN_SOAP_CONTENT_TYPE,
			    "application/soap+xml;charset=UTF-8");
}

/* The MessageID form: both the client's builder and the simulator's
 * own MessageIDs print through WSMAN_UUID_FORMAT. */
static void test_uuid(void **state)
{
	unsigned char b[16];
	char out[WSMAN_UUID_SIZE];

	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = (unsigned char)(0xa0 + i);
	assert_ptr_equal(wsman_format_uuid(b, out), out);
	/* Version 4 in byte 6, the RFC 4122 variant in byte 8, upper case. */
	assert_string_equal(out, "uuid:A0A1A2A3-A4A5-46A7-A8A9-AAABACADAEAF");
	assert_int_equal(strlen(out) + 1, WSMAN_UUID_SIZE);

	memset(b, 0xff, sizeof(b));
	wsman_format_uuid(b, out);
	assert_string_equal(out, "uuid:FFFFFFFF-FFFF-4FFF-BFFF-FFFFFFFFFFFF");

	snprintf(out, sizeof(out), WSMAN_UUID_FORMAT, 0, 1, 2, 3, 4, 5, 6, 7, 8,
		 9, 10, 11, 12, 13, 14, 15);
	assert_string_equal(out, "uuid:00010203-0405-0607-0809-0A0B0C0D0E0F");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_namespaces),
		cmocka_unit_test(test_addressing_and_actions),
		cmocka_unit_test(test_dialects_and_resources),
		cmocka_unit_test(test_content_type),
		cmocka_unit_test(test_uuid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
