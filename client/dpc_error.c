/* Errors of libdpclient: enum dpc_code's names and texts, and filling a
 * struct dpc_error (see dpc_error.h). Everything else in the library
 * depends on this unit; it depends on nothing of the library's. */
#include "dpc_error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "fault.h"
#include "hresult.h"

static const struct {
	const char *name;
	const char *text;
} codes[] = {
	[DPC_OK] = { "DPC_OK", "success" },
	[DPC_E_USAGE] = { "DPC_E_USAGE", "invalid argument" },
	[DPC_E_NOMEM] = { "DPC_E_NOMEM", "out of memory" },
	[DPC_E_TRANSPORT] = { "DPC_E_TRANSPORT",
			      "the endpoint could not be reached" },
	[DPC_E_AUTH] = { "DPC_E_AUTH", "authentication failed" },
	[DPC_E_PROTOCOL] = { "DPC_E_PROTOCOL",
			     "the answer was not the expected WS-Management" },
	[DPC_E_PROVIDER] = { "DPC_E_PROVIDER",
			     "the provider refused the request" },
	[DPC_E_NOT_FOUND] = { "DPC_E_NOT_FOUND", "not found" },
};

const char *dpc_strerror(enum dpc_code code)
{
	if ((unsigned)code >= sizeof(codes) / sizeof(codes[0]))
		return "unknown error";
	return codes[code].text;
}

const char *dpc_code_name(enum dpc_code code)
{
	if ((unsigned)code >= sizeof(codes) / sizeof(codes[0]))
		return "DPC_E_UNKNOWN";
	return codes[code].name;
}

char *dpc_error_format(const struct dpc_error *err, char *out, size_t size)
{
	const char *msg = err->message[0] ? err->message
					  : dpc_strerror(err->code);

	if (!size)
		return out;
	if (err->hresult && err->hresult_name)
		snprintf(out, size, "%s (0x%08X): %s", err->hresult_name,
			 (unsigned)err->hresult, msg);
	else if (err->hresult)
		snprintf(out, size, "0x%08X: %s", (unsigned)err->hresult, msg);
	else if (err->subcode[0])
		snprintf(out, size, "%s: %s", err->subcode, msg);
	else
		snprintf(out, size, "%s", msg);
	return out;
}

enum dpc_code dpci_fail(struct dpc_error *err, enum dpc_code code,
		       const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
	return code;
}

/* WinRM's own codes: what a WS-Man (not WMI) fault carries. */
static const struct {
	uint32_t code;
	const char *name;
} winrm_codes[] = {
	{ WSMAN_CODE_INVALID_SELECTORS, "ERROR_WSMAN_INVALID_SELECTORS" },
	{ WSMAN_CODE_INVALID_RESOURCE_URI, "ERROR_WSMAN_INVALID_RESOURCE_URI" },
	{ WSMAN_CODE_INVALID_ACTIONURI, "ERROR_WSMAN_INVALID_ACTIONURI" },
	{ WSMAN_CODE_SCHEMA_VALIDATION, "ERROR_WSMAN_SCHEMA_VALIDATION_ERROR" },
	{ WSMAN_CODE_INVALID_ENUM_CONTEXT,
	  "ERROR_WSMAN_ENUMERATE_INVALID_ENUMERATION_CONTEXT" },
	{ WSMAN_CODE_CANNOT_PROCESS_FILTER,
	  "ERROR_WSMAN_ENUMERATE_CANNOT_PROCESS_FILTER" },
	{ WSMAN_CODE_TIMED_OUT, "ERROR_WSMAN_OPERATION_TIMEDOUT" },
	{ WSMAN_CODE_ENCODING_LIMIT, "ERROR_WSMAN_ENCODING_LIMIT" },
	{ WSMAN_CODE_WMI_ENUM_WQL_URI, "ERROR_WSMAN_INVALID_URI_WMI_ENUM_WQL" },
	{ WSMAN_CODE_ACCESS_DENIED, "ERROR_ACCESS_DENIED" },
};

const char *dpci_hresult_name(uint32_t code)
{
	const char *name = hresult_name(code);

	if (name)
		return name;
	for (size_t i = 0; i < sizeof(winrm_codes) / sizeof(winrm_codes[0]);
	     i++)
		if (winrm_codes[i].code == code)
			return winrm_codes[i].name;
	return NULL;
}

enum dpc_code dpci_fail_return_value(struct dpc_error *err, uint32_t rv,
				    const char *what)
{
	const struct hresult_info *h = hresult_lookup(rv);

	if (!err)
		return DPC_E_PROVIDER;
	err->hresult = rv;
	err->hresult_name = dpci_hresult_name(rv);
	err->from_return_value = true;
	if (h)
		return dpci_fail(err, DPC_E_PROVIDER, "%s", h->message);
	return dpci_fail(err, DPC_E_PROVIDER, "%s returned %u (0x%08X).", what,
			(unsigned)rv, (unsigned)rv);
}
