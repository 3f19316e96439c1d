/* hresult: the provider error table (hresult.h). */
#include "hresult.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "num.h"

/* DMTF CIM_ERR_* status codes used by the table. */
enum {
	CIM_ERR_FAILED = 1,
	CIM_ERR_ACCESS_DENIED = 2,
	CIM_ERR_INVALID_NAMESPACE = 3,
	CIM_ERR_INVALID_PARAMETER = 4,
	CIM_ERR_INVALID_CLASS = 5,
	CIM_ERR_NOT_FOUND = 6,
	CIM_ERR_NOT_SUPPORTED = 7,
	CIM_ERR_ALREADY_EXISTS = 11,
	CIM_ERR_TYPE_MISMATCH = 13,
	CIM_ERR_INVALID_QUERY = 15,
	CIM_ERR_METHOD_NOT_FOUND = 17,
};

#define SUB_INTERNAL	WSMAN_SUB_INTERNAL_ERROR
#define SUB_DENIED	WSMAN_SUB_ACCESS_DENIED
#define SUB_UNREACH	WSMAN_SUB_DESTINATION_UNREACHABLE

/* WBEM codes as listed in docs/configmgr-domain.md (Errors), then the
 * generic COM
 * codes providers also return. WinRM files almost everything a provider
 * says under w:InternalError; only access and "no such namespace/class"
 * get their own subcodes (docs/wsman-protocol.md, WMI error detail). */
static const struct hresult_info hresult_table[] = {
	{ 0x80041001u, "WBEM_E_FAILED", SUB_INTERNAL, CIM_ERR_FAILED,
	  "The call failed." },
	{ 0x80041002u, "WBEM_E_NOT_FOUND", SUB_INTERNAL, CIM_ERR_NOT_FOUND,
	  "Object cannot be found." },
	{ 0x80041003u, "WBEM_E_ACCESS_DENIED", SUB_DENIED,
	  CIM_ERR_ACCESS_DENIED,
	  "The caller does not have permission to perform the operation." },
	{ 0x80041004u, "WBEM_E_PROVIDER_FAILURE", SUB_INTERNAL, CIM_ERR_FAILED,
	  "The provider failed in a way other than those covered by a "
	  "specific error code." },
	{ 0x80041005u, "WBEM_E_TYPE_MISMATCH", SUB_INTERNAL,
	  CIM_ERR_TYPE_MISMATCH,
	  "A value has a type that does not match the expected type." },
	{ 0x80041006u, "WBEM_E_OUT_OF_MEMORY", SUB_INTERNAL, CIM_ERR_FAILED,
	  "There was not enough memory to complete the operation." },
	{ 0x80041007u, "WBEM_E_INVALID_CONTEXT", SUB_INTERNAL, CIM_ERR_FAILED,
	  "The context object passed with the call is not valid." },
	{ 0x80041008u, "WBEM_E_INVALID_PARAMETER", SUB_INTERNAL,
	  CIM_ERR_INVALID_PARAMETER,
	  "One of the parameters to the call is not valid." },
	{ 0x80041009u, "WBEM_E_NOT_AVAILABLE", SUB_INTERNAL, CIM_ERR_FAILED,
	  "The requested resource is currently not available." },
	{ 0x8004100Au, "WBEM_E_CRITICAL_ERROR", SUB_INTERNAL, CIM_ERR_FAILED,
	  "An internal, critical and unexpected error occurred." },
	{ 0x8004100Cu, "WBEM_E_NOT_SUPPORTED", SUB_INTERNAL,
	  CIM_ERR_NOT_SUPPORTED,
	  "The requested feature or operation is not supported." },
	{ 0x8004100Eu, "WBEM_E_INVALID_NAMESPACE", SUB_UNREACH,
	  CIM_ERR_INVALID_NAMESPACE,
	  "The namespace does not exist or is not valid." },
	{ 0x8004100Fu, "WBEM_E_INVALID_OBJECT", SUB_INTERNAL, CIM_ERR_FAILED,
	  "The specified instance is not valid." },
	{ 0x80041010u, "WBEM_E_INVALID_CLASS", SUB_UNREACH,
	  CIM_ERR_INVALID_CLASS,
	  "The specified class does not exist or is not valid." },
	{ 0x80041011u, "WBEM_E_PROVIDER_NOT_FOUND", SUB_INTERNAL,
	  CIM_ERR_FAILED,
	  "The provider referenced by the class registration was not found." },
	{ 0x80041012u, "WBEM_E_INVALID_PROVIDER_REGISTRATION", SUB_INTERNAL,
	  CIM_ERR_FAILED, "The provider is registered incorrectly." },
	{ 0x80041013u, "WBEM_E_PROVIDER_LOAD_FAILURE", SUB_INTERNAL,
	  CIM_ERR_FAILED, "The provider could not be loaded." },
	{ 0x80041014u, "WBEM_E_INITIALIZATION_FAILURE", SUB_INTERNAL,
	  CIM_ERR_FAILED, "A component failed to initialize." },
	{ 0x80041015u, "WBEM_E_TRANSPORT_FAILURE", SUB_INTERNAL,
	  CIM_ERR_FAILED, "A networking error prevented the operation." },
	{ 0x80041016u, "WBEM_E_INVALID_OPERATION", SUB_INTERNAL,
	  CIM_ERR_FAILED,
	  "The operation is not valid for the object it was applied to." },
	{ 0x80041017u, "WBEM_E_INVALID_QUERY", SUB_INTERNAL,
	  CIM_ERR_INVALID_QUERY, "The query is not syntactically valid." },
	{ 0x80041018u, "WBEM_E_INVALID_QUERY_TYPE", SUB_INTERNAL,
	  CIM_ERR_FAILED, "The query language is not supported." },
	{ 0x80041019u, "WBEM_E_ALREADY_EXISTS", SUB_INTERNAL,
	  CIM_ERR_ALREADY_EXISTS,
	  "The object cannot be created because it already exists." },
	{ 0x80041021u, "WBEM_E_INVALID_SYNTAX", SUB_INTERNAL, CIM_ERR_FAILED,
	  "The query or object path has a syntax error." },
	{ 0x80041023u, "WBEM_E_READ_ONLY", SUB_INTERNAL, CIM_ERR_FAILED,
	  "The property is read-only and cannot be changed." },
	{ 0x80041024u, "WBEM_E_PROVIDER_NOT_CAPABLE", SUB_INTERNAL,
	  CIM_ERR_FAILED,
	  "The provider cannot perform the requested operation." },
	{ 0x80041028u, "WBEM_E_ILLEGAL_NULL", SUB_INTERNAL, CIM_ERR_FAILED,
	  "A property that cannot be NULL was given a NULL value." },
	{ 0x8004102Du, "WBEM_E_INVALID_CIM_TYPE", SUB_INTERNAL,
	  CIM_ERR_FAILED, "The CIM type given is not valid." },
	{ 0x8004102Eu, "WBEM_E_INVALID_METHOD", SUB_INTERNAL,
	  CIM_ERR_METHOD_NOT_FOUND,
	  "The requested method is not available." },
	{ 0x8004102Fu, "WBEM_E_INVALID_METHOD_PARAMETERS", SUB_INTERNAL,
	  CIM_ERR_INVALID_PARAMETER,
	  "One or more parameters are missing or not valid for the method." },
	{ 0x80041031u, "WBEM_E_INVALID_PROPERTY", SUB_INTERNAL,
	  CIM_ERR_FAILED, "The property does not exist or is not valid." },
	{ 0x80041032u, "WBEM_E_CALL_CANCELLED", SUB_INTERNAL, CIM_ERR_FAILED,
	  "The call was cancelled before it completed." },
	{ 0x8004103Au, "WBEM_E_INVALID_OBJECT_PATH", SUB_INTERNAL,
	  CIM_ERR_FAILED, "The object path is not valid." },
	{ 0x80070005u, "E_ACCESSDENIED", SUB_DENIED, CIM_ERR_ACCESS_DENIED,
	  "Access is denied." },
	{ 0x80070057u, "E_INVALIDARG", SUB_INTERNAL,
	  CIM_ERR_INVALID_PARAMETER, "One or more arguments are not valid." },
	{ 0x80004005u, "E_FAIL", SUB_INTERNAL, CIM_ERR_FAILED,
	  "Unspecified failure." },
	{ 0x8007000Eu, "E_OUTOFMEMORY", SUB_INTERNAL, CIM_ERR_FAILED,
	  "Not enough memory was available to complete the operation." },
	{ 0x80070070u, "ERROR_DISK_FULL", SUB_INTERNAL, CIM_ERR_FAILED,
	  "There is not enough space on the disk." },
};

#define HRESULT_COUNT (sizeof(hresult_table) / sizeof(hresult_table[0]))

const struct hresult_info *hresult_lookup(uint32_t code)
{
	size_t i;

	for (i = 0; i < HRESULT_COUNT; i++)
		if (hresult_table[i].code == code)
			return &hresult_table[i];
	return NULL;
}

const struct hresult_info *hresult_by_name(const char *name)
{
	size_t i;

	if (!name)
		return NULL;
	for (i = 0; i < HRESULT_COUNT; i++)
		if (!strcasecmp(hresult_table[i].name, name))
			return &hresult_table[i];
	return NULL;
}

const char *hresult_name(uint32_t code)
{
	const struct hresult_info *h = hresult_lookup(code);

	return h ? h->name : NULL;
}

int hresult_parse(const char *text, uint32_t *out)
{
	const struct hresult_info *h;
	uint64_t v;

	if (!text || !*text)
		return -EINVAL;
	if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
		if (num_parse_u64(text + 2, 16, UINT32_MAX, &v))
			return -EINVAL;
		*out = (uint32_t)v;
		return 0;
	}
	/* Signed decimal is how .NET and PowerShell print an HRESULT
	 * (-2147217406), so take it as the same bit pattern. */
	if (text[0] == '-') {
		if (num_parse_dec(text + 1, (uint64_t)INT32_MAX + 1, &v))
			return -EINVAL;
		*out = (uint32_t)(0u - (uint32_t)v);
		return 0;
	}
	if (text[0] >= '0' && text[0] <= '9') {
		if (num_parse_dec(text, UINT32_MAX, &v))
			return -EINVAL;
		*out = (uint32_t)v;
		return 0;
	}
	h = hresult_by_name(text);
	if (!h)
		return -EINVAL;
	*out = h->code;
	return 0;
}

char *hresult_describe(uint32_t code, char *out, unsigned size)
{
	const char *name = hresult_name(code);

	if (!out || !size)
		return out;
	if (name)
		snprintf(out, size, "%s (0x%08X)", name, (unsigned)code);
	else
		snprintf(out, size, "0x%08X", (unsigned)code);
	return out;
}

unsigned hresult_count(void)
{
	return (unsigned)HRESULT_COUNT;
}

const struct hresult_info *hresult_at(unsigned i)
{
	return i < HRESULT_COUNT ? &hresult_table[i] : NULL;
}
