/* dpc_odata: the AdminService's OData JSON as libdpclient's structs, and
 * libdpclient's requests as OData. Internal to libdpclient (not
 * installed). No I/O: dpc_admin.c does the HTTP, this unit reads and
 * writes the bodies and URL pieces, so the unit tests can feed it the
 * answers dpsim sends, byte for byte (docs/adminservice-api.md is the
 * wire format).
 *
 * Values become the text forms the WS-Man side gives (wsman/cim.h), with
 * cim_json's rules (wsman/cim_json.h) read by the JSON kind, since an
 * answer does not carry the CIM type: a string as is, true/false, an
 * integer in decimal, a real as "%.17g". An instance read over either
 * protocol is then the same struct dpc_instance:
 *   - annotations (a member whose name holds '@': "@odata.etag") and
 *     WMI's system properties ("__CLASS", "__PATH", ...) are left out, as
 *     WinRM leaves them out; the class name is __CLASS;
 *   - an empty array is left out, as WS-Man writes it (absent);
 *   - an embedded object (a JSON object) becomes its compact JSON text.
 */
#ifndef DPC_ODATA_H
#define DPC_ODATA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "dpclient.h"

/* How a lookup compares a property (dpc_find_dp). */
enum dpci_match {
	DPCI_MATCH_ALL,		/* no condition: every instance */
	DPCI_MATCH_EQ,		/* prop = value (WQL's case rules) */
	DPCI_MATCH_PREFIX,	/* prop starts with value */
};

/* Appends s to b as an OData string literal: in single quotes, a quote
 * inside doubled ('O''Brien'); backslashes are ordinary characters. */
void dpco_add_string(struct buf *b, const char *s);

/* True when s is an OData/WMI identifier ([A-Za-z_][A-Za-z0-9_]*): what
 * a class, method, property or parameter name must be to go into a URL
 * or a $filter unescaped. */
bool dpco_is_name(const char *s);

/* The $filter text of a lookup: "Name eq 'DP01.contoso.com'",
 * "startswith(Name,'DP01.')"; NULL for DPCI_MATCH_ALL. malloc'd (free
 * it); NULL also when out of memory (match != ALL). */
char *dpco_match_filter(const char *prop, enum dpci_match match,
			const char *value);

/* The key part of an instance's URL path, "(K1='v1',K2='v2')": every key
 * named, each value a string literal, percent-encoded as a path needs
 * (the server undoes that before it reads the keys). malloc'd; NULL when
 * out of memory. */
char *dpco_key_segment(const char *const *names, const char *const *values,
		       size_t n);

/* A method's parameters as the JSON object the POST carries:
 * {"NALPath": "...", "Mode": 1}: a string as a JSON string, a uint32 as a
 * number, DPC_PARAM_NULL as null, in order. malloc'd text; NULL when out
 * of memory. */
char *dpco_params_body(const struct dpc_param *params, size_t n);

/* What dpco_read_instances keeps of a collection. */
struct dpco_read {
	const char *cls;	/* the class asked for (a message names it) */
	const char *ns;		/* the namespace asked for ("root/sms/site_PS1",
				 * either slash): each item's __NAMESPACE must
				 * be it, else DPC_E_NOT_FOUND. NULL: not
				 * checked */
	const char *const *select;	/* WQL's property list: keep these
					 * (any case) and the keys named in
					 * __RELPATH, as WMI answers a
					 * SELECT; a name that is no
					 * property of an item is
					 * DPC_E_NOT_FOUND. NULL: all */
	size_t nselect;
};

/* Reads {"value": [item, ...]} (a collection, or a keyed GET's answer)
 * and appends each item to *out as an instance. *next_link (if not NULL)
 * gets @odata.nextLink, malloc'd, or NULL when the answer has none. On
 * failure err says why (DPC_E_PROTOCOL for a body that is not such a
 * document, DPC_E_NOT_FOUND as above, DPC_E_NOMEM); items appended
 * before the failure stay in *out for the caller to clear. */
enum dpc_code dpco_read_instances(const char *body, size_t len,
				  const struct dpco_read *how,
				  struct dpc_instance_list *out,
				  char **next_link, struct dpc_error *err);

/* Reads a method's answer, WMI's out-parameters object at the top level
 * ({"@odata.context": ".../$metadata#__PARAMETERS", "ChainedDPs": [...],
 * "ReturnValue": 0}). out (if not NULL) becomes the instance
 * "<method>_OUTPUT" with every member but the annotations and system
 * properties, the class name WinRM gives the same object. *return_value gets ReturnValue (0
 * when there is none, *has_rv then false): a uint32, or a sint32 whose
 * negative value is taken as its bit pattern. A ReturnValue that is not
 * such a number is DPC_E_PROTOCOL. */
enum dpc_code dpco_read_output(const char *body, size_t len,
			       const char *method, struct dpc_instance *out,
			       uint32_t *return_value, bool *has_rv,
			       struct dpc_error *err);

/* Reads an OData error document, {"error": {"code", "message",
 * "innererror": {"hresult", "message", ...}}}, into err the way a WMI
 * fault is read over WS-Man: hresult (innererror.hresult, "0x80041002"
 * or a number) and its name from the library's table, message the
 * provider's own words (innererror.message, else error.message, else the
 * table's text for the HRESULT). Returns DPC_E_PROVIDER when body is
 * such a document (err filled; err->http_status is the caller's), or
 * DPC_OK when it is not (err untouched). err may not be NULL. */
enum dpc_code dpco_read_error(const char *body, size_t len,
			      struct dpc_error *err);

/* Reads the service document ({"@odata.context": ".../$metadata",
 * "value": [...]}) as what an Identify says: protocol_version "OData "
 * and the OData-Version header's value (odata_version), or "OData 4.0"
 * when the server sent none (@odata.context is OData 4's JSON format);
 * product_vendor and product_version NULL: the AdminService does not say
 * them. DPC_E_PROTOCOL for another document. */
enum dpc_code dpco_read_service(const char *body, size_t len,
				const char *odata_version,
				struct dpc_identity *out, struct dpc_error *err);

#endif
