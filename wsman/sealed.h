/* sealed: the body of a WS-Man message encrypted under an HTTP
 * authentication's session key (MS-WSMV 2.2.9.1; docs/wsman-protocol.md,
 * Message encryption).
 *
 * A client that authenticated with Negotiate over plain HTTP sends each
 * SOAP envelope as a two-part MIME body:
 *
 *   Content-Type: multipart/encrypted;
 *       protocol="application/HTTP-SPNEGO-session-encrypted";
 *       boundary="Encrypted Boundary"
 *
 *   --Encrypted Boundary\r\n
 *   \tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n
 *   \tOriginalContent: type=application/soap+xml;charset=UTF-8;Length=N\r\n
 *   --Encrypted Boundary\r\n
 *   \tContent-Type: application/octet-stream\r\n
 *   <signature length, uint32 LE><signature><sealed envelope>
 *   --Encrypted Boundary--\r\n
 *
 * and the answer comes back the same way. This module is the framing
 * only: it finds the pieces and puts them together. Sealing and
 * unsealing belong to whoever holds the security context, and so does
 * the check that the unsealed envelope has the declared Length N.
 *
 * No I/O, no globals, no allocation in sealed_parse(); thread-safe.
 */
#ifndef DPSIM_WSMAN_SEALED_H
#define DPSIM_WSMAN_SEALED_H

#include <stddef.h>

#include "buf.h"

/* The protocol of NTLM and SPNEGO-negotiated sessions; the only one
 * dpsim seals with. (Kerberos sessions use
 * "application/HTTP-Kerberos-session-encrypted".) */
#define SEALED_PROTOCOL_SPNEGO "application/HTTP-SPNEGO-session-encrypted"

/* The Content-Type header of a sealed body, as WinRM writes it. */
#define SEALED_CONTENT_TYPE                                               \
	"multipart/encrypted;protocol=\"" SEALED_PROTOCOL_SPNEGO            \
	"\";boundary=\"Encrypted Boundary\""

enum sealed_error {
	SEALED_OK = 0,
	SEALED_E_MEDIA_TYPE,	/* the Content-Type is not multipart/encrypted */
	SEALED_E_PROTOCOL,	/* protocol= missing or not SPNEGO's */
	SEALED_E_BOUNDARY,	/* boundary= missing, empty or too long */
	SEALED_E_PART,		/* a part's opening delimiter is missing */
	SEALED_E_HEADER,	/* the first part's headers are not the
				 * protocol's Content-Type and one
				 * OriginalContent */
	SEALED_E_ORIGINAL,	/* OriginalContent has no type or no Length,
				 * or a Length that is not a number */
	SEALED_E_STREAM_TYPE,	/* the second part is not application/octet-stream */
	SEALED_E_TRAILER,	/* the closing delimiter is missing */
	SEALED_E_SIGNATURE,	/* the signature length runs past the data */
	SEALED_E_NOMEM,		/* sealed_build() ran out of memory or room */
};

/* One line saying what was wrong, for a log line or a fault's detail. */
const char *sealed_strerror(enum sealed_error e);

/* What sealed_parse() found. Pointers borrow from the body parsed. */
struct sealed_message {
	/* OriginalContent's type without its Length, e.g.
	 * "application/soap+xml;charset=UTF-16": the Content-Type of the
	 * envelope once unsealed. */
	char original_type[128];
	size_t length;			/* the envelope's declared Length */
	const unsigned char *signature;	/* 16 bytes for NTLM */
	size_t signature_len;
	const unsigned char *sealed;	/* the sealed envelope */
	size_t sealed_len;
};

/* Splits a sealed body. content_type is the request's Content-Type
 * header (needed for the boundary); body and len its body. Strict in the
 * way WinRM is: one encrypted part, the protocol named in the header and
 * in the part, the closing delimiter at the end (one trailing CRLF
 * allowed). Header names compare without case; the tab or spaces that
 * indent the part headers are optional. */
enum sealed_error sealed_parse(const char *content_type, const void *body,
			       size_t len, struct sealed_message *out);

/* Appends a sealed body to out: original_type (e.g.
 * "application/soap+xml;charset=UTF-8") with Length plain_len, then the
 * signature and the sealed envelope. Send it with SEALED_CONTENT_TYPE.
 * SEALED_OK, or SEALED_E_NOMEM when out fails. */
enum sealed_error sealed_build(struct buf *out, const char *original_type,
			       size_t plain_len, const void *signature,
			       size_t signature_len, const void *sealed,
			       size_t sealed_len);

#endif
