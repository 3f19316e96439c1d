/* build: WS-Management request envelopes, as a client sends them.
 *
 * The shape follows what real WinRM clients put on the wire
 * (docs/wsman-protocol.md, Request headers; fixtures/requests/): SOAP 1.2,
 * a:To, w:ResourceURI,
 * a:ReplyTo anonymous, a:Action, w:MaxEnvelopeSize, a:MessageID,
 * w:Locale / p:DataLocale, w:OperationTimeout, then w:SelectorSet; the
 * headers a server must act on carry s:mustUnderstand="true". Every value
 * is XML-escaped. Nothing here does I/O or keeps state: the caller makes
 * the MessageID (wsman_format_uuid) from its own random bytes.
 *
 * Each builder appends one whole envelope to b and returns buf_error(b):
 * 0, -ENOMEM or -E2BIG; -EINVAL when a required argument is missing (b is
 * then left unchanged). Strings are borrowed for the call only.
 */
#ifndef DPSIM_WSMAN_BUILD_H
#define DPSIM_WSMAN_BUILD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "vocab.h"

/* What pywinrm and masterzen/winrm send; WinRM's default limit too. */
#define WSMAN_DEFAULT_MAX_ENVELOPE 153600u

/* A selector or a method parameter. value NULL is written as xsi:nil
 * (parameters only; a selector must have a value). */
struct wsman_pair {
	const char *name;
	const char *value;
};

/* The addressing and WS-Man headers every request but Identify carries. */
struct wsman_head {
	const char *to;			/* the endpoint URL (a:To); required */
	const char *resource_uri;	/* required */
	const char *message_id;		/* "uuid:..."; required */
	uint32_t max_envelope_size;	/* 0: WSMAN_DEFAULT_MAX_ENVELOPE */
	uint32_t operation_timeout_ms;	/* 0: no w:OperationTimeout */
	const char *locale;		/* NULL: "en-US" */
	const struct wsman_pair *selectors;
	size_t nselectors;
};

/* Formats 16 random bytes as "uuid:xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx"
 * (version 4, upper-case hex as WinRM writes it) into out. Returns out. */
char *wsman_format_uuid(const unsigned char bytes[16],
			char out[WSMAN_UUID_SIZE]);

/* Identify: no addressing headers, as wsl and Test-WSMan send it. */
int wsman_build_identify(struct buf *b);

/* WS-Transfer Get of the instance h->selectors name. */
int wsman_build_get(struct buf *b, const struct wsman_head *h);

/* WS-Enumeration Enumerate. dialect/filter: both NULL for a plain class
 * enumeration, or e.g. WSMAN_DIALECT_WQL and the query text (WQL needs
 * the all-classes URI: the namespace path plus a "*" segment). optimize adds
 * w:OptimizeEnumeration and w:MaxElements (max_elements 0: 32000) so the
 * first items come back in the EnumerateResponse itself. */
int wsman_build_enumerate(struct buf *b, const struct wsman_head *h,
			  const char *dialect, const char *filter,
			  bool optimize, uint32_t max_elements);

/* Pull with context (required); max_elements 0: 32000. */
int wsman_build_pull(struct buf *b, const struct wsman_head *h,
		     const char *context, uint32_t max_elements);

/* Release of context (required). */
int wsman_build_release(struct buf *b, const struct wsman_head *h,
			const char *context);

/* Invoke of method (required) on h->resource_uri: Action
 * "<ResourceURI>/<method>", body <p:<method>_INPUT xmlns:p="<ResourceURI>">
 * with one element per parameter in the given order. For a static method
 * h->selectors is empty. */
int wsman_build_invoke(struct buf *b, const struct wsman_head *h,
		       const char *method, const struct wsman_pair *params,
		       size_t nparams);

#endif
