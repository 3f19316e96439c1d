/* Unit tests for client/dpc_error.c: how libdpclient fills a struct
 * dpc_error. Built from the source (the dpci_* helpers are not exported
 * by the shared library). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dpc_error.h"
#include "fault.h"
#include "hresult.h"

static void test_fail(void **state)
{
	struct dpc_error err;

	memset(&err, 0, sizeof(err));
	assert_int_equal(dpci_fail(&err, DPC_E_TRANSPORT, "HTTP %d: %s", 503,
				   "busy"), DPC_E_TRANSPORT);
	assert_int_equal(err.code, DPC_E_TRANSPORT);
	assert_string_equal(err.message, "HTTP 503: busy");
	/* No error to fill: the code still comes back. */
	assert_int_equal(dpci_fail(NULL, DPC_E_NOMEM, "out of memory"),
			 DPC_E_NOMEM);
}

static void test_hresult_name(void **state)
{
	/* The shared table first, then WinRM's own codes. */
	assert_string_equal(dpci_hresult_name(WBEM_E_NOT_FOUND),
			    "WBEM_E_NOT_FOUND");
	assert_string_equal(dpci_hresult_name(WSMAN_CODE_TIMED_OUT),
			    "ERROR_WSMAN_OPERATION_TIMEDOUT");
	assert_string_equal(dpci_hresult_name(WSMAN_CODE_INVALID_SELECTORS),
			    "ERROR_WSMAN_INVALID_SELECTORS");
	assert_null(dpci_hresult_name(0x12345678u));
}

static void test_return_value(void **state)
{
	struct dpc_error err;
	char out[512];

	memset(&err, 0, sizeof(err));
	assert_int_equal(dpci_fail_return_value(&err, WBEM_E_NOT_FOUND,
						"SetDPMaintenanceMode"),
			 DPC_E_PROVIDER);
	assert_int_equal(err.code, DPC_E_PROVIDER);
	assert_true(err.from_return_value);
	assert_int_equal(err.hresult, WBEM_E_NOT_FOUND);
	assert_string_equal(err.hresult_name, "WBEM_E_NOT_FOUND");
	assert_string_equal(err.message, "Object cannot be found.");
	assert_string_equal(dpc_error_format(&err, out, sizeof(out)),
			    "WBEM_E_NOT_FOUND (0x80041002): Object cannot be found.");

	/* A value the table does not know is said as a number. */
	memset(&err, 0, sizeof(err));
	dpci_fail_return_value(&err, 7, "SetDPMaintenanceMode");
	assert_null(err.hresult_name);
	assert_string_equal(err.message,
			    "SetDPMaintenanceMode returned 7 (0x00000007).");
	assert_int_equal(dpci_fail_return_value(NULL, 7, "x"), DPC_E_PROVIDER);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fail),
		cmocka_unit_test(test_hresult_name),
		cmocka_unit_test(test_return_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
