/* response: the client side of WS-Management -- a response envelope parsed
 * into plain data.
 *
 * This is what dpclient reads back from dpsim or from a real WinRM
 * listener, so it is lenient where real servers differ (prefixes, element
 * order, whitespace, Items in the w: or n: namespace) and strict where the
 * input could hurt: no DTDs, no entities, no network, bounded depth.
 * Every name is resolved by namespace URI, never by prefix.
 *
 * Instances come back without their class: a property is a name, a list of
 * text values (repeated elements are an array) and a nil flag. Values are
 * the element text as sent; a cim:Datetime / cim:Interval wrapper is
 * unwrapped.
 *
 * Ownership: everything an accessor returns -- strings, arrays, structs,
 * the fault -- is owned by the struct wsman_response and stays valid until
 * wsman_response_free(). Nothing is shared between responses, so separate
 * responses may be used from separate threads.
 */
#ifndef DPSIM_WSMAN_RESPONSE_H
#define DPSIM_WSMAN_RESPONSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fault.h"

enum wsman_response_kind {
	WSMAN_RESP_UNKNOWN,	/* a body this parser does not interpret */
	WSMAN_RESP_FAULT,	/* s:Fault */
	WSMAN_RESP_IDENTIFY,	/* wsmid:IdentifyResponse */
	WSMAN_RESP_GET,		/* one instance in the body */
	WSMAN_RESP_ENUMERATE,	/* n:EnumerateResponse */
	WSMAN_RESP_PULL,	/* n:PullResponse */
	WSMAN_RESP_RELEASE,	/* ReleaseResponse action, empty body */
	WSMAN_RESP_INVOKE,	/* <Method>_OUTPUT */
};

/* One property of an instance (or one out parameter of a method). */
struct wsman_prop {
	const char *name;	/* element local name, e.g. "MaintenanceMode" */
	const char **values;	/* nvalues texts; more than one = an array */
	size_t nvalues;
	bool nil;		/* xsi:nil="true"; then nvalues == 0 */
};

/* One instance: a Get body, an enumeration item, or the _OUTPUT element. */
struct wsman_object {
	const char *class_name;	/* element local name ("SMS_DistributionPointInfo");
				 * for an EPR-only item the last segment of its
				 * ResourceURI; "<Method>_OUTPUT" for Invoke */
	const char *class_uri;	/* the element's namespace URI, or the EPR's
				 * ResourceURI; may be "" */
	const struct wsman_prop *props;	/* in document order */
	size_t nprops;
	bool epr;		/* built from an a:EndpointReference: props are
				 * its selectors */
};

/* IdentifyResponse fields; NULL when absent. */
struct wsman_identity {
	const char *protocol_version;
	const char *product_vendor;
	const char *product_version;
};

/* What a fault says beyond struct wsman_fault. Strings are NULL when
 * absent; numbers are valid only when their has_ flag is set. */
struct wsman_fault_ext {
	const char *code_local;		/* "Sender", "Receiver", "MustUnderstand" */
	const char *subcode_qname;	/* as written: "w:InternalError" */
	const char *subcode_ns;		/* resolved namespace URI */
	const char *subcode_local;	/* "InternalError" */
	const char *detail_uri;		/* w:FaultDetail, whole */

	bool has_wsman_code;		/* outer f:WSManFault */
	uint32_t wsman_code;		/* its Code attribute */
	const char *machine;		/* its Machine attribute */
	const char *wsman_message;	/* innermost f:Message text, trimmed */
	const char *provider;		/* f:ProviderFault@provider */

	bool has_wmi_error;		/* a CIM error instance (MSFT_WmiError) */
	bool has_error_code;
	uint32_t error_code;		/* error_Code: the provider's HRESULT */
	bool has_cim_status;
	uint16_t cim_status;		/* CIMStatusCode */
	const char *wmi_message;	/* Message */
	const char *wmi_message_id;	/* MessageID ("HRESULT 0x80041002") */
	const char *error_type;		/* error_Type ("HRESULT") */
	const char *windows_error_message; /* error_WindowsErrorMessage */

	bool has_sms;			/* SMS_ExtendedStatus or __ExtendedStatus */
	const char *sms_class;		/* which of the two */
	bool has_status_code;
	uint32_t status_code;		/* its StatusCode */
};

struct wsman_response;

/* Parses body (len bytes; UTF-8, or any encoding libxml2 detects from a
 * BOM / XML declaration).
 *
 * max_depth bounds element nesting (0 = 64). Returns 0 and sets *out
 * (free with wsman_response_free), or:
 *   -EINVAL  not well-formed XML, a DTD (internal or external subset), not
 *            a SOAP 1.2 envelope with a Body, nesting deeper than
 *            max_depth, or an unreadable fault / enumeration body;
 *   -E2BIG   len does not fit libxml2's int length;
 *   -ENOMEM  allocation failure.
 * On failure *out is NULL and, if err is not NULL, err receives a one-line
 * reason (always NUL-terminated, truncated to err_size). */
int wsman_response_parse(const char *body, size_t len, unsigned max_depth,
			 struct wsman_response **out, char *err,
			 size_t err_size);

/* Frees r and everything its accessors returned. NULL is allowed. */
void wsman_response_free(struct wsman_response *r);

enum wsman_response_kind wsman_response_kind(const struct wsman_response *r);

/* Addressing headers, trimmed; NULL when absent. */
const char *wsman_response_action(const struct wsman_response *r);
const char *wsman_response_message_id(const struct wsman_response *r);
const char *wsman_response_relates_to(const struct wsman_response *r);

/* The fault, or NULL when the body holds no s:Fault. In the returned
 * struct:
 *   subcode  resolved by namespace URI (WSMAN_SUB_UNKNOWN for a subcode
 *            this codec does not name; WSMAN_SUB_MUST_UNDERSTAND for an
 *            s:MustUnderstand Code; WSMAN_SUB_NONE for no subcode);
 *   code     the provider HRESULT when a CIM error carries error_Code,
 *            otherwise f:WSManFault@Code, otherwise 0;
 *   reason   s:Reason/s:Text, trimmed ("" when absent);
 *   detail   the w:FaultDetail suffix after .../faultDetail/ (or the
 *            whole URI when it has another prefix), NULL when absent;
 *   not_understood  s:NotUnderstood@qname from the header, or NULL;
 *   wmi_error, cim_status  from the CIM error instance;
 *   sms      SMS_ExtendedStatus / __ExtendedStatus fields, or NULL. */
const struct wsman_fault *wsman_response_fault(const struct wsman_response *r);
/* Everything else the fault said; NULL when there is no fault. */
const struct wsman_fault_ext *
wsman_response_fault_ext(const struct wsman_response *r);

/* Identify fields, or NULL when the body is not an IdentifyResponse. */
const struct wsman_identity *
wsman_response_identity(const struct wsman_response *r);

/* Instances: the Get body (one), the items of an Enumerate / Pull
 * response (any number), nothing otherwise. */
size_t wsman_response_object_count(const struct wsman_response *r);
const struct wsman_object *wsman_response_object(const struct wsman_response *r,
						 size_t i);

/* Enumerate / Pull: the EnumerationContext to pull with next, or NULL when
 * there is none (absent, empty, or the sequence ended). */
const char *wsman_response_context(const struct wsman_response *r);
/* True when the response carried EndOfSequence. */
bool wsman_response_end_of_sequence(const struct wsman_response *r);

/* Invoke: the method name taken from <Method>_OUTPUT, or NULL. */
const char *wsman_response_method(const struct wsman_response *r);
/* Invoke: the _OUTPUT element as an object (out parameters and
 * ReturnValue, in document order), or NULL. */
const struct wsman_object *wsman_response_output(const struct wsman_response *r);
/* Invoke: true and *out set when ReturnValue is present and numeric (a
 * negative sint32 is returned as its uint32 bit pattern). */
bool wsman_response_return_value(const struct wsman_response *r,
				 uint32_t *out);

/* Property name (case-insensitive) of o, or NULL. */
const struct wsman_prop *wsman_object_prop(const struct wsman_object *o,
					   const char *name);
/* First value of property name, or NULL when absent, nil or empty. */
const char *wsman_object_text(const struct wsman_object *o, const char *name);

#endif
