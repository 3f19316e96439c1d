/* seal: sealing WS-Man bodies with a GSSAPI context (see seal.h). */
#include "seal.h"

#include <string.h>

#include "gsslib.h"

/* The NTLM signature that opens a gss_wrap() token (MS-NLMP 2.2.2.9). */
#define NTLM_SIGNATURE_LEN 16

const char *seal_strerror(enum seal_error e)
{
	switch (e) {
	case SEAL_OK:
		return "no error";
	case SEAL_E_FRAMING:
		return "the body is not framed as a sealed message";
	case SEAL_E_TAMPERED:
		return "the sealed message does not verify (changed, replayed "
		       "or sealed with another key)";
	case SEAL_E_NOT_SEALED:
		return "the message is signed but not encrypted";
	case SEAL_E_LENGTH:
		return "the unsealed message's length differs from its "
		       "declared Length";
	case SEAL_E_WRAP:
		return "the security context could not seal the message";
	case SEAL_E_NOMEM:
		return "out of memory";
	}
	return "unknown error";
}

enum seal_error seal_body(gss_ctx_id_t ctx, const char *type,
			  const void *plain, size_t len, struct buf *out)
{
	/* Loaded: ctx was made through it. */
	const struct gsslib *g = gsslib_load(NULL, 0);
	OM_uint32 minor = 0;
	int conf = 0;
	gss_buffer_desc in = { len, (void *)plain };
	gss_buffer_desc tok = GSS_C_EMPTY_BUFFER;
	OM_uint32 major = g->gss_wrap(&minor, ctx, 1, GSS_C_QOP_DEFAULT, &in,
				      &conf, &tok);
	if (GSS_ERROR(major))
		return SEAL_E_WRAP;
	enum seal_error e = SEAL_OK;
	if (!conf || tok.length < NTLM_SIGNATURE_LEN) {
		e = SEAL_E_WRAP;
	} else {
		const unsigned char *t = tok.value;
		if (sealed_build(out, type, len, t, NTLM_SIGNATURE_LEN,
				 t + NTLM_SIGNATURE_LEN,
				 tok.length - NTLM_SIGNATURE_LEN) != SEALED_OK)
			e = SEAL_E_NOMEM;
	}
	g->gss_release_buffer(&minor, &tok);
	return e;
}

enum seal_error unseal_body(gss_ctx_id_t ctx, const char *content_type,
			    const void *body, size_t len, struct buf *plain,
			    char *type, size_t typesize,
			    enum sealed_error *framing)
{
	/* Loaded: ctx was made through it. */
	const struct gsslib *g = gsslib_load(NULL, 0);
	struct sealed_message m;
	enum sealed_error fe = sealed_parse(content_type, body, len, &m);
	if (framing)
		*framing = fe;
	if (fe != SEALED_OK)
		return SEAL_E_FRAMING;

	/* The framing keeps the signature and the sealed bytes side by
	 * side, in the order gss_unwrap() takes them. */
	OM_uint32 minor = 0;
	int conf = 0;
	gss_buffer_desc in = { m.signature_len + m.sealed_len,
			       (void *)m.signature };
	gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
	OM_uint32 major = g->gss_unwrap(&minor, ctx, &in, &out, &conf, NULL);
	if (GSS_ERROR(major))
		return SEAL_E_TAMPERED;
	enum seal_error e = SEAL_OK;
	if (!conf)
		e = SEAL_E_NOT_SEALED;
	else if (out.length != m.length)
		e = SEAL_E_LENGTH;
	else if (strlen(m.original_type) >= typesize)
		e = SEAL_E_NOMEM;
	else if (buf_add(plain, out.value, out.length) != 0)
		e = SEAL_E_NOMEM;
	else
		memcpy(type, m.original_type, strlen(m.original_type) + 1);
	g->gss_release_buffer(&minor, &out);
	return e;
}
