/* dpc_error: how libdpclient fills a struct dpc_error. Internal (not
 * installed).
 *
 * The public calls (dpclient.c), the transport (dpc_http.c) and the
 * control-API client (dpc_sim.c) all report through these helpers, so
 * they live in a unit of their own that depends on none of them: the
 * others depend on it, and not on each other for their errors. The
 * public dpc_strerror, dpc_code_name and dpc_error_format are defined
 * here too (declared in dpclient.h).
 */
#ifndef DPC_ERROR_H
#define DPC_ERROR_H

#include <stdint.h>

#include "dpclient.h"

/* Sets err->code and a printf-style message (err may be NULL). Returns
 * code, so callers can `return dpci_fail(...)`. */
enum dpc_code dpci_fail(struct dpc_error *err, enum dpc_code code,
		       const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Name of an HRESULT or WinRM code: the shared table first, then WinRM's
 * own ERROR_WSMAN_* codes. NULL when unknown. The name is static. */
const char *dpci_hresult_name(uint32_t code);

/* Fills err for a provider's non-zero ReturnValue of the call what
 * (borrowed for the call). Returns DPC_E_PROVIDER. */
enum dpc_code dpci_fail_return_value(struct dpc_error *err, uint32_t rv,
				    const char *what);

#endif
