/* seal: a WS-Man envelope sealed with, and unsealed by, the GSSAPI
 * security context an HTTP Negotiate exchange set up (MS-WSMV 2.2.9.1;
 * docs/wsman-protocol.md, Message encryption).
 *
 * Both ends use it: dpsim for the requests of a client that signed in
 * with Negotiate over HTTP and for its answers, libdpclient for its
 * requests to such a server. The framing is wsman/sealed's; this module
 * adds the session key: gss_wrap() with confidentiality, whose token for
 * NTLM is the 16-byte signature followed by the sealed bytes, which is
 * exactly the order the framing carries them in.
 *
 * The context is the caller's and stays so. A context seals with a
 * sequence number that both ends count, so calls on one context must be
 * made in the order the messages travel, one at a time (the HTTP
 * connection the context belongs to already orders them).
 */
#ifndef DPSIM_WSMAN_SEAL_H
#define DPSIM_WSMAN_SEAL_H

#include <stddef.h>

#include <gssapi/gssapi.h>

#include "buf.h"
#include "sealed.h"

enum seal_error {
	SEAL_OK = 0,
	SEAL_E_FRAMING,		/* the body is not a sealed body: see the
				 * sealed_error unseal() reports */
	SEAL_E_TAMPERED,	/* the signature does not verify: changed
				 * bytes, a replay, or another key */
	SEAL_E_NOT_SEALED,	/* signed but not encrypted */
	SEAL_E_LENGTH,		/* unsealed, the envelope's length is not
				 * OriginalContent's Length */
	SEAL_E_WRAP,		/* the context could not seal */
	SEAL_E_NOMEM,
};

/* One line saying what was wrong. */
const char *seal_strerror(enum seal_error e);

/* Seals plain (len bytes, of Content-Type type, e.g.
 * "application/soap+xml;charset=UTF-8") with ctx and appends the framed
 * body to out; send it with SEALED_CONTENT_TYPE. */
enum seal_error seal_body(gss_ctx_id_t ctx, const char *type,
			  const void *plain, size_t len, struct buf *out);

/* Unseals a request or answer: content_type is its Content-Type header,
 * body and len its body. On SEAL_OK the envelope is appended to plain and
 * its Content-Type (OriginalContent's type without the Length) copied to
 * type (typesize bytes, at least 128). On SEAL_E_FRAMING *framing says
 * what was wrong with the framing (it is SEALED_OK otherwise; framing
 * may be NULL). Nothing is appended to plain unless SEAL_OK. */
enum seal_error unseal_body(gss_ctx_id_t ctx, const char *content_type,
			    const void *body, size_t len, struct buf *plain,
			    char *type, size_t typesize,
			    enum sealed_error *framing);

#endif
