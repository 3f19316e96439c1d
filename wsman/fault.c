/* fault: subcode names and provider-error faults (fault.h). */
#include "fault.h"

#include <stdio.h>
#include <string.h>

#include "hresult.h"

struct subcode_info {
	const char *qname;
	bool sender;
};

/* The prefixes are the ones every dpsim envelope declares (w, a, n, s). */
static const struct subcode_info subcodes[] = {
	[WSMAN_SUB_NONE]			= { NULL, true },
	[WSMAN_SUB_INTERNAL_ERROR]		= { "w:InternalError", false },
	[WSMAN_SUB_ACCESS_DENIED]		= { "w:AccessDenied", true },
	[WSMAN_SUB_INVALID_SELECTORS]		= { "w:InvalidSelectors", true },
	[WSMAN_SUB_DESTINATION_UNREACHABLE]	= { "a:DestinationUnreachable",
						    true },
	[WSMAN_SUB_ACTION_NOT_SUPPORTED]	= { "a:ActionNotSupported",
						    true },
	[WSMAN_SUB_SCHEMA_VALIDATION]		= { "w:SchemaValidationError",
						    true },
	[WSMAN_SUB_INVALID_ENUM_CONTEXT]	= { "n:InvalidEnumerationContext",
						    false },
	[WSMAN_SUB_CANNOT_PROCESS_FILTER]	= { "n:CannotProcessFilter",
						    true },
	[WSMAN_SUB_FILTER_DIALECT_UNAVAILABLE]	=
		{ "n:FilterDialectRequestedUnavailable", true },
	[WSMAN_SUB_TIMED_OUT]			= { "w:TimedOut", false },
	[WSMAN_SUB_ENCODING_LIMIT]		= { "w:EncodingLimit", true },
	[WSMAN_SUB_INVALID_PARAMETER]		= { "w:InvalidParameter", true },
	[WSMAN_SUB_MUST_UNDERSTAND]		= { "s:MustUnderstand", true },
	[WSMAN_SUB_UNSUPPORTED_FEATURE]		= { "w:UnsupportedFeature", true },
	[WSMAN_SUB_INVALID_HEADER]		=
		{ "a:InvalidMessageInformationHeader", true },
	[WSMAN_SUB_HEADER_REQUIRED]		=
		{ "a:MessageInformationHeaderRequired", true },
	[WSMAN_SUB_FRAGMENT_FILTER]		= { "w:CannotProcessFilter", true },
	[WSMAN_SUB_FRAGMENT_DIALECT]		=
		{ "w:FragmentDialectNotSupported", false },
	[WSMAN_SUB_UNKNOWN]			= { NULL, true },
};

#define NSUBCODES (sizeof(subcodes) / sizeof(subcodes[0]))

const char *wsman_subcode_qname(enum wsman_subcode s)
{
	return (unsigned)s < NSUBCODES ? subcodes[s].qname : NULL;
}

bool wsman_subcode_is_sender(enum wsman_subcode s)
{
	return (unsigned)s < NSUBCODES ? subcodes[s].sender : true;
}

void wsman_fault_from_hresult(struct wsman_fault *f, uint32_t hresult,
			      const char *reason_override, char *scratch,
			      unsigned scratch_size)
{
	const struct hresult_info *h = hresult_lookup(hresult);

	memset(f, 0, sizeof(*f));
	f->code = hresult;
	f->wmi_error = true;
	f->subcode = h ? h->subcode : WSMAN_SUB_INTERNAL_ERROR;
	f->cim_status = h ? h->cim_status : 1;	/* CIM_ERR_FAILED */
	if (reason_override) {
		f->reason = reason_override;
	} else if (h) {
		f->reason = h->message;
	} else if (scratch && scratch_size) {
		snprintf(scratch, scratch_size,
			 "The WMI provider returned 0x%08X.", (unsigned)hresult);
		f->reason = scratch;
	} else {
		f->reason = "The WMI provider returned an unknown error.";
	}
}
