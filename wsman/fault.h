/* fault: a SOAP fault as dpsim sends it and as dpclient reads it back.
 *
 * One struct for both directions so the writer (wsman/reply.h) and the
 * response parser (wsman/response.h) cannot drift apart.
 */
#ifndef DPSIM_WSMAN_FAULT_H
#define DPSIM_WSMAN_FAULT_H

#include <stdbool.h>
#include <stdint.h>

/* Subcodes dpsim raises (docs/wsman-protocol.md, Fault subcodes). */
enum wsman_subcode {
	WSMAN_SUB_NONE,			/* s:MustUnderstand: Code only */
	WSMAN_SUB_INTERNAL_ERROR,	/* w:InternalError (Receiver) */
	WSMAN_SUB_ACCESS_DENIED,	/* w:AccessDenied (Sender) */
	WSMAN_SUB_INVALID_SELECTORS,	/* w:InvalidSelectors (Sender) */
	WSMAN_SUB_DESTINATION_UNREACHABLE, /* a:DestinationUnreachable (Sender) */
	WSMAN_SUB_ACTION_NOT_SUPPORTED,	/* a:ActionNotSupported (Sender) */
	WSMAN_SUB_SCHEMA_VALIDATION,	/* w:SchemaValidationError (Sender) */
	WSMAN_SUB_INVALID_ENUM_CONTEXT,	/* n:InvalidEnumerationContext (Receiver) */
	WSMAN_SUB_CANNOT_PROCESS_FILTER, /* n:CannotProcessFilter (Sender) */
	WSMAN_SUB_FILTER_DIALECT_UNAVAILABLE, /* n:FilterDialectRequestedUnavailable (Sender) */
	WSMAN_SUB_TIMED_OUT,		/* w:TimedOut (Receiver) */
	WSMAN_SUB_ENCODING_LIMIT,	/* w:EncodingLimit (Sender) */
	WSMAN_SUB_INVALID_PARAMETER,	/* w:InvalidParameter (Sender) */
	WSMAN_SUB_MUST_UNDERSTAND,	/* s:MustUnderstand (Code, no subcode) */
	WSMAN_SUB_UNSUPPORTED_FEATURE,	/* w:UnsupportedFeature (Sender) */
	WSMAN_SUB_INVALID_HEADER,	/* a:InvalidMessageInformationHeader (Sender) */
	WSMAN_SUB_HEADER_REQUIRED,	/* a:MessageInformationHeaderRequired (Sender) */
	WSMAN_SUB_FRAGMENT_FILTER,	/* w:CannotProcessFilter (Sender): a fragment
					 * expression; not n:CannotProcessFilter */
	WSMAN_SUB_FRAGMENT_DIALECT,	/* w:FragmentDialectNotSupported (Receiver) */
	WSMAN_SUB_UNKNOWN,		/* parse side: a subcode dpsim does not name */
};

/* WinRM's own codes for the WSManFault Code attribute. */
#define WSMAN_CODE_INVALID_SELECTORS	2150858843u	/* 0x8033805B */
#define WSMAN_CODE_INVALID_RESOURCE_URI	2150858811u	/* 0x8033803B */
#define WSMAN_CODE_INVALID_ACTIONURI	2150858753u	/* 0x80338001 */
#define WSMAN_CODE_SCHEMA_VALIDATION	2150858817u	/* 0x80338041 */
#define WSMAN_CODE_INVALID_ENUM_CONTEXT	2150858779u	/* 0x8033801B */
#define WSMAN_CODE_FILTER_DIALECT_UNAVAILABLE 2150858777u /* 0x80338019 */
#define WSMAN_CODE_CANNOT_PROCESS_FILTER 2150858778u	/* 0x8033801A */
#define WSMAN_CODE_TIMED_OUT		2150858793u	/* 0x80338029 */
#define WSMAN_CODE_ENCODING_LIMIT	2150858805u	/* 0x80338035 */
#define WSMAN_CODE_WMI_ENUM_WQL_URI	2150859003u	/* 0x803380FB */
#define WSMAN_CODE_ACCESS_DENIED	5u
#define WSMAN_CODE_INVALID_HEADER	2150858767u	/* 0x8033800F */
#define WSMAN_CODE_HEADER_REQUIRED	2150858769u	/* 0x80338011 */
#define WSMAN_CODE_ADDRESSING_MODE	2150858870u	/* 0x80338076 */
#define WSMAN_CODE_FRAGMENT_NOT_SUPPORTED 2150858871u	/* 0x80338077 */
#define WSMAN_CODE_INVALID_TIMEOUT	2150858881u	/* 0x80338081 */
#define WSMAN_CODE_LOCALE_MUST_UNDERSTAND 2150858887u	/* 0x80338087 */
#define WSMAN_CODE_FRAGMENT_DIALECT	2150858896u	/* 0x80338090 */
#define WSMAN_CODE_INVALID_FRAGMENT_PATH 2150858899u	/* 0x80338093 */
#define WSMAN_CODE_FRAGMENT_PATH_BLANK	2150859017u	/* 0x80338109 */

/* "w:InvalidSelectors"; NULL for NONE/UNKNOWN. */
const char *wsman_subcode_qname(enum wsman_subcode s);
/* True when the SOAP Code is s:Sender, false for s:Receiver. */
bool wsman_subcode_is_sender(enum wsman_subcode s);

/* Detail suffixes under http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/ */
#define WSMAN_DETAIL_INSUFFICIENT_SELECTORS	"InsufficientSelectors"
#define WSMAN_DETAIL_UNEXPECTED_SELECTORS	"UnexpectedSelectors"
#define WSMAN_DETAIL_INVALID_VALUE		"InvalidValue"
#define WSMAN_DETAIL_DUPLICATE_SELECTORS	"DuplicateSelectors"
#define WSMAN_DETAIL_INVALID_RESOURCE_URI	"InvalidResourceURI"
#define WSMAN_DETAIL_MAX_ENVELOPE_SIZE		"MaxEnvelopeSize"
#define WSMAN_DETAIL_SERVICE_ENVELOPE_LIMIT	"ServiceEnvelopeLimit"
#define WSMAN_DETAIL_MINIMUM_ENVELOPE_LIMIT	"MinimumEnvelopeLimit"
#define WSMAN_DETAIL_CHARACTER_SET		"CharacterSet"
#define WSMAN_DETAIL_ACTION_MISMATCH		"ActionMismatch"
#define WSMAN_DETAIL_ADDRESSING_MODE		"AddressingMode"
#define WSMAN_DETAIL_LOCALE			"Locale"
#define WSMAN_DETAIL_DATA_LOCALE		"DataLocale"
#define WSMAN_DETAIL_INVALID_TIMEOUT		"InvalidTimeout"
#define WSMAN_DETAIL_FRAGMENT_LEVEL_ACCESS	"FragmentLevelAccess"

/* SMS_ExtendedStatus fields an SMS Provider error carries
 * (docs/configmgr-domain.md, Errors). */
struct wsman_sms_status {
	const char *description;
	uint32_t error_code;
	const char *operation;
	const char *parameter_info;
	const char *provider_name;
};

/* A fault. Strings are borrowed by the writer; the parser (response.h)
 * makes them point into storage owned by the parsed response. */
struct wsman_fault {
	enum wsman_subcode subcode;
	uint32_t code;		/* WSManFault@Code: the HRESULT or WinRM code */
	const char *reason;	/* s:Reason/s:Text */
	const char *detail;	/* faultDetail suffix (WSMAN_DETAIL_*) or NULL */
	const char *not_understood; /* qname for s:MustUnderstand, or NULL */
	const char *not_understood_ns; /* that header's namespace URI, or NULL */
	bool wmi_error;		/* add an MSFT_WmiError (error_Code = code) */
	uint16_t cim_status;	/* CIMStatusCode when wmi_error */
	const struct wsman_sms_status *sms; /* SMS_ExtendedStatus or NULL */
};

/* Fills f for a provider HRESULT from the hresult table: subcode, code,
 * reason (the table's message, or "The WMI provider returned 0x...." when
 * unknown, formatted into scratch), wmi_error = true. reason_override, if
 * not NULL, replaces the text. scratch must hold at least 96 bytes and live
 * as long as f. */
void wsman_fault_from_hresult(struct wsman_fault *f, uint32_t hresult,
			      const char *reason_override, char *scratch,
			      unsigned scratch_size);

#endif
