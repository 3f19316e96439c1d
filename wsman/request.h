/* request: a WS-Management request envelope parsed into plain data.
 *
 * The parser resolves every element by namespace URI (never by prefix),
 * tolerates what real clients send (docs/wsman-protocol.md, Request
 * headers and What real clients send: unqualified
 * mustUnderstand, any a:To, empty or prefix-less MessageID, empty OptionSet,
 * p:* headers), refuses the headers WinRM refuses, and refuses DTDs,
 * entities and network access. It does no
 * I/O and keeps no global state, so it can be fuzzed directly.
 */
#ifndef DPSIM_WSMAN_REQUEST_H
#define DPSIM_WSMAN_REQUEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fault.h"

enum wsman_op {
	WSMAN_OP_IDENTIFY,
	WSMAN_OP_GET,
	WSMAN_OP_ENUMERATE,
	WSMAN_OP_PULL,
	WSMAN_OP_RELEASE,
	WSMAN_OP_INVOKE,	/* custom action: a method of the resource */
	WSMAN_OP_OTHER,		/* a known standard action dpsim does not serve
				 * (Put, Create, Delete, Subscribe, ...) */
};

enum wsman_enum_mode {
	WSMAN_ENUM_OBJECTS,
	WSMAN_ENUM_EPR,
	WSMAN_ENUM_OBJECT_AND_EPR,
};

/* A name/value pair: a selector or a method parameter. */
struct wsman_kv {
	char *name;
	char *value;	/* text content ("" when empty); NULL when xsi:nil */
};

struct wsman_request {
	enum wsman_op op;
	char *action;		/* NULL for Identify */
	char *message_id;	/* verbatim, possibly ""; NULL when absent */
	char *resource_uri;	/* whitespace-trimmed; NULL when absent */
	uint32_t max_envelope_size;	/* 0 when absent */
	uint32_t operation_timeout_ms;	/* 0 when absent */

	struct wsman_kv *selectors;	/* header SelectorSet, in order */
	size_t nselectors;

	/* w:FragmentTransfer: its expression (trimmed) and Dialect
	 * attribute; NULL when absent (fragment.h parses them). */
	char *fragment;
	char *fragment_dialect;

	/* Enumerate */
	bool optimize;
	uint32_t max_elements;	/* 0 when absent */
	enum wsman_enum_mode enum_mode;
	char *filter_dialect;	/* NULL when no w:Filter */
	char *filter_text;	/* WQL text (text content of w:Filter) */
	struct wsman_kv *filter_selectors;	/* SelectorFilter dialect */
	size_t nfilter_selectors;

	/* Pull / Release */
	char *context;

	/* Invoke: the method name from the Action (after ResourceURI + "/",
	 * or the DMTF .../cim-schema/2/<Class>/<Method> form); parameters are
	 * the children of the body's <Method>_INPUT element, in order. */
	char *method;
	struct wsman_kv *params;
	size_t nparams;
};

/* Parses body (len bytes, UTF-8 or UTF-16 with BOM) into *out.
 *
 * max_depth bounds element nesting (0 = 64). On success returns 0 and
 * *out is owned by the caller (wsman_request_free). On failure returns
 * -EINVAL, fills *fault (subcode, code, reason: static or stored in
 * reason_buf) and sets *out to NULL, except that when the envelope was
 * readable far enough to know its MessageID, *out is still returned so the
 * caller can echo RelatesTo; the caller frees it either way.
 *
 * Faults: w:SchemaValidationError (not XML, not a SOAP 1.2 envelope, a
 * malformed body), s:MustUnderstand (an unknown header with
 * mustUnderstand="true"; fault->not_understood holds its qname),
 * a:ActionNotSupported (no known action and no custom-action form),
 * w:EncodingLimit (a charset dpsim cannot read), and the header faults
 * WinRM raises (docs/wsman-protocol.md, Request headers):
 * a:MessageInformationHeaderRequired, a:InvalidMessageInformationHeader,
 * w:UnsupportedFeature, each with its detail. -ENOMEM on allocation
 * failure (fault not filled). */
int wsman_request_parse(const char *body, size_t len, unsigned max_depth,
			struct wsman_request **out, struct wsman_fault *fault,
			char *reason_buf, size_t reason_size);

/* A libxml2 parser context kept from one request to the next, so that a
 * parse does not build and free one (its dictionary of names included).
 * One thread at a time: a server keeps one per thread. */
struct wsman_parser;
/* NULL when out of memory. */
struct wsman_parser *wsman_parser_new(void);
void wsman_parser_free(struct wsman_parser *ps);

/* wsman_request_parse with ps's context (ps NULL: a context of its own,
 * as wsman_request_parse). */
int wsman_request_parse_with(struct wsman_parser *ps, const char *body,
			     size_t len, unsigned max_depth,
			     struct wsman_request **out, struct wsman_fault *fault,
			     char *reason_buf, size_t reason_size);

void wsman_request_free(struct wsman_request *r);

/* Value of selector name (case-insensitive) or NULL. */
const char *wsman_request_selector(const struct wsman_request *r,
				   const char *name);

#endif
