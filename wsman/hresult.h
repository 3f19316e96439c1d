/* hresult: the one table of provider error codes dpsim knows.
 *
 * Each HRESULT maps to its symbolic name, the SOAP subcode WinRM puts it
 * under, the CIM status code of the MSFT_WmiError detail and the message
 * text. The simulator uses it to build faults; the client uses the same
 * table to name what it got back.
 */
#ifndef DPSIM_WSMAN_HRESULT_H
#define DPSIM_WSMAN_HRESULT_H

#include <stdint.h>

#include "fault.h"

#define WBEM_S_NO_ERROR			0x00000000u
#define WBEM_E_FAILED			0x80041001u
#define WBEM_E_NOT_FOUND		0x80041002u
#define WBEM_E_ACCESS_DENIED		0x80041003u
#define WBEM_E_PROVIDER_FAILURE		0x80041004u
#define WBEM_E_TYPE_MISMATCH		0x80041005u
#define WBEM_E_OUT_OF_MEMORY		0x80041006u
#define WBEM_E_INVALID_PARAMETER	0x80041008u
#define WBEM_E_NOT_SUPPORTED		0x8004100Cu
#define WBEM_E_INVALID_NAMESPACE	0x8004100Eu
#define WBEM_E_INVALID_CLASS		0x80041010u
#define WBEM_E_INVALID_QUERY		0x80041017u
#define WBEM_E_INVALID_METHOD		0x8004102Eu
#define WBEM_E_INVALID_METHOD_PARAMETERS 0x8004102Fu
#define WBEM_E_INVALID_PROPERTY		0x80041031u
/* HRESULT_FROM_WIN32(ERROR_DISK_FULL): what WMI passes on when a
 * provider's write hits a full disk. */
#define HRESULT_DISK_FULL		0x80070070u

struct hresult_info {
	uint32_t code;
	const char *name;		/* "WBEM_E_NOT_FOUND" */
	enum wsman_subcode subcode;	/* where WinRM files it */
	uint16_t cim_status;		/* CIM_ERR_* for MSFT_WmiError */
	const char *message;		/* one sentence, no trailing newline */
};

/* The entry for code, or NULL if the table does not know it. */
const struct hresult_info *hresult_lookup(uint32_t code);
/* The entry whose name equals name (case-insensitive), or NULL. */
const struct hresult_info *hresult_by_name(const char *name);
/* Name of code, or NULL when unknown. */
const char *hresult_name(uint32_t code);

/* Parses "0x80041002", "2147749890" or "WBEM_E_NOT_FOUND" (whole string,
 * surrounding blanks not allowed). 0 or -EINVAL. */
int hresult_parse(const char *text, uint32_t *out);

/* Formats "WBEM_E_NOT_FOUND (0x80041002)", or "0x80041002" alone when the
 * name is unknown, into out (at least 64 bytes). Returns out. */
char *hresult_describe(uint32_t code, char *out, unsigned size);

/* Number of table entries and entry i, for listing and tests. */
unsigned hresult_count(void);
const struct hresult_info *hresult_at(unsigned i);

#endif
