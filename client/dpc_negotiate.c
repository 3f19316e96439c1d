/* dpc_negotiate: the NTLM initiator and the exchange of WinRM's Negotiate
 * authentication with sealed bodies (see dpc_negotiate.h). */
#include "dpc_negotiate.h"
#include "dpc_error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gssapi/gssapi_ntlmssp.h>
#include <nettle/base64.h>

#include "gsslib.h"
#include "seal.h"
#include "sealed.h"
#include "vocab.h"

/* An NTLM message is a few hundred bytes; a CHALLENGE with a long target
 * information list stays well under this. Anything bigger is not one. */
#define MAX_TOKEN 8192

#define SCHEME "Negotiate"

static gss_OID_desc ntlm_oid = { GSS_NTLMSSP_OID_LENGTH,
				 (void *)GSS_NTLMSSP_OID_STRING };

enum state {
	ST_IDLE,	/* no context */
	ST_NEGOTIATE,	/* NEGOTIATE sent, the challenge awaited */
	ST_AUTHENTICATE,/* AUTHENTICATE and the first sealed body sent */
	ST_READY,	/* a context, no request outstanding */
	ST_SEALED,	/* a sealed body sent on an established context */
};

struct dpcn {
	const struct gsslib *lib;	/* GSSAPI's calls */
	char *user;
	char *password;
	char *host;
	char *endpoint;
	gss_cred_id_t cred;
	gss_name_t target;
	char spn[300];		/* the target as NTLM names it, "HTTP/host" */
	gss_ctx_id_t ctx;
	enum state state;
	bool want_fresh;
	unsigned restarts;	/* exchanges begun again in this call */
	unsigned acquisitions;
	unsigned handshakes;
	/* The call's envelope, borrowed. */
	const char *type;
	const void *plain;
	size_t plain_len;
	char *authorization;	/* "Negotiate <base64>" of the last token */
	struct buf wire;	/* the last sealed body */
};

/* ---- small helpers ----------------------------------------------------- */

static char *dup_or_empty(const char *s)
{
	return strdup(s ? s : "");
}

static void wipe_free(char *s)
{
	if (s) {
		explicit_bzero(s, strlen(s));
		free(s);
	}
}

/* GSSAPI's words for a failure: the mechanism's own message when it has
 * one (gss-ntlmssp says what it disliked), else the generic one. */
static void gss_words(const struct gsslib *g, OM_uint32 major,
		      OM_uint32 minor, char *out, size_t size)
{
	OM_uint32 min2 = 0, more = 0;
	gss_buffer_desc msg = GSS_C_EMPTY_BUFFER;

	snprintf(out, size, "GSSAPI major 0x%08x", (unsigned)major);
	if (minor &&
	    !GSS_ERROR(g->gss_display_status(&min2, minor, GSS_C_MECH_CODE,
					  &ntlm_oid, &more, &msg)) &&
	    msg.length) {
		snprintf(out, size, "%.*s", (int)msg.length,
			 (const char *)msg.value);
		g->gss_release_buffer(&min2, &msg);
		return;
	}
	g->gss_release_buffer(&min2, &msg);
	more = 0;
	if (!GSS_ERROR(g->gss_display_status(&min2, major, GSS_C_GSS_CODE,
					  GSS_C_NO_OID, &more, &msg)) &&
	    msg.length)
		snprintf(out, size, "%.*s", (int)msg.length,
			 (const char *)msg.value);
	g->gss_release_buffer(&min2, &msg);
}

static void drop_context(struct dpcn *s)
{
	OM_uint32 minor;

	if (s->ctx != GSS_C_NO_CONTEXT)
		s->lib->gss_delete_sec_context(&minor, &s->ctx, GSS_C_NO_BUFFER);
	s->ctx = GSS_C_NO_CONTEXT;
	s->state = ST_IDLE;
}

/* "Negotiate " and token in base64 into s->authorization. */
static int set_authorization(struct dpcn *s, const gss_buffer_desc *tok)
{
	size_t b64 = BASE64_ENCODE_RAW_LENGTH(tok->length);
	char *h = malloc(sizeof(SCHEME) + b64 + 1);

	if (!h)
		return -ENOMEM;
	memcpy(h, SCHEME " ", sizeof(SCHEME));
	base64_encode_raw(h + sizeof(SCHEME), tok->length, tok->value);
	h[sizeof(SCHEME) + b64] = '\0';
	free(s->authorization);
	s->authorization = h;
	return 0;
}

/* The token of the first "Negotiate <token>" challenge among the
 * WWW-Authenticate values (joined with commas: a token has none),
 * borrowed (*len bytes), or NULL. */
static const char *find_token(const char *www, size_t *len)
{
	const char *p = www;

	while (p && *p) {
		p += strspn(p, " \t,");
		if (strncasecmp(p, SCHEME, sizeof(SCHEME) - 1) == 0 &&
		    (p[sizeof(SCHEME) - 1] == ' ' ||
		     p[sizeof(SCHEME) - 1] == '\t')) {
			const char *t = p + sizeof(SCHEME) - 1;

			t += strspn(t, " \t");
			*len = strcspn(t, " \t,\r\n");
			if (*len)
				return t;
		}
		p = strchr(p, ',');
	}
	return NULL;
}

static bool prefix(const char *s, const char *p)
{
	return s && strncasecmp(s, p, strlen(p)) == 0;
}

/* ---- the session ------------------------------------------------------- */

enum dpc_code dpcn_new(const char *user, const char *password,
		       const char *host, const char *endpoint,
		       struct dpcn **out, struct dpc_error *err)
{
	char why[512];
	const struct gsslib *g = gsslib_load(why, sizeof(why));
	struct dpcn *s;

	*out = NULL;
	if (!g)
		return dpci_fail(err, DPC_E_AUTH, "NTLM: %s", why);
	s = calloc(1, sizeof(*s));
	if (!s)
		return dpci_fail(err, DPC_E_NOMEM, "out of memory");
	s->lib = g;
	s->cred = GSS_C_NO_CREDENTIAL;
	s->target = GSS_C_NO_NAME;
	s->ctx = GSS_C_NO_CONTEXT;
	buf_init(&s->wire, 0);
	s->user = dup_or_empty(user);
	s->password = dup_or_empty(password);
	s->host = dup_or_empty(host);
	s->endpoint = dup_or_empty(endpoint);
	if (!s->user || !s->password || !s->host || !s->endpoint) {
		dpcn_free(s);
		return dpci_fail(err, DPC_E_NOMEM, "out of memory");
	}
	*out = s;
	return DPC_OK;
}

void dpcn_free(struct dpcn *s)
{
	OM_uint32 minor;

	if (!s)
		return;
	drop_context(s);
	if (s->cred != GSS_C_NO_CREDENTIAL)
		s->lib->gss_release_cred(&minor, &s->cred);
	if (s->target != GSS_C_NO_NAME)
		s->lib->gss_release_name(&minor, &s->target);
	wipe_free(s->password);
	free(s->user);
	free(s->host);
	free(s->endpoint);
	free(s->authorization);
	buf_free(&s->wire);
	free(s);
}

/* The service the context is for: service@host to GSSAPI, service/host
 * in the NTLM messages (MsvAvTargetName). */
static enum dpc_code set_target(struct dpcn *s, const char *service,
				const char *host, struct dpc_error *err)
{
	OM_uint32 major, minor = 0;
	char tname[sizeof(s->spn)], why[200];
	gss_buffer_desc tbuf;
	gss_name_t t = GSS_C_NO_NAME;

	snprintf(tname, sizeof(tname), "%s@%s", service, host);
	tbuf.length = strlen(tname);
	tbuf.value = tname;
	major = s->lib->gss_import_name(&minor, &tbuf,
					s->lib->nt_hostbased_service, &t);
	if (GSS_ERROR(major)) {
		gss_words(s->lib, major, minor, why, sizeof(why));
		return dpci_fail(err, DPC_E_AUTH,
				 "NTLM: service name %s refused: %s", tname,
				 why);
	}
	if (s->target != GSS_C_NO_NAME)
		s->lib->gss_release_name(&minor, &s->target);
	s->target = t;
	snprintf(s->spn, sizeof(s->spn), "%s/%s", service, host);
	return DPC_OK;
}

/* MsvAvTargetName of an NTLM CHALLENGE message (MS-NLMP 2.2.1.2,
 * 2.2.2.1) in ASCII into out: 1, or 0 when the message has none (or
 * one that is not ASCII, or too long), -1 when the message is not a
 * CHALLENGE that can be read (GSSAPI will say so). */
static int challenge_target(const uint8_t *m, size_t len, char *out,
			    size_t size)
{
	size_t tlen, toff, i;

	if (len < 48 || memcmp(m, "NTLMSSP\0\2\0\0\0", 12) != 0)
		return -1;
	tlen = (size_t)m[40] | (size_t)m[41] << 8;
	toff = (size_t)m[44] | (size_t)m[45] << 8 | (size_t)m[46] << 16 |
	       (size_t)m[47] << 24;
	if (toff > len || tlen > len - toff)
		return -1;
	for (i = toff; i + 4 <= toff + tlen;) {
		unsigned id = m[i] | m[i + 1] << 8;
		size_t n = (size_t)m[i + 2] | (size_t)m[i + 3] << 8;

		i += 4;
		if (id == 0 || n > toff + tlen - i)	/* MsvAvEOL */
			return 0;
		if (id == 9) {				/* MsvAvTargetName */
			if (n % 2 || n / 2 >= size)
				return 0;
			for (size_t k = 0; k < n / 2; k++) {
				if (m[i + 2 * k + 1] || m[i + 2 * k] < 0x20 ||
				    m[i + 2 * k] > 0x7e)
					return 0;
				out[k] = (char)m[i + 2 * k];
			}
			out[n / 2] = '\0';
			return 1;
		}
		i += n;
	}
	return 0;
}

/* A new context for s->target, its NEGOTIATE message into *tok (the
 * caller releases it). On failure the context is dropped. */
static enum dpc_code new_context(struct dpcn *s, gss_buffer_t tok,
				 struct dpc_error *err)
{
	OM_uint32 major, minor = 0;
	char why[200];

	drop_context(s);
	major = s->lib->gss_init_sec_context(&minor, s->cred, &s->ctx, s->target,
				     &ntlm_oid,
				     GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG, 0,
				     GSS_C_NO_CHANNEL_BINDINGS,
				     GSS_C_NO_BUFFER, NULL, tok, NULL, NULL);
	if (major != GSS_S_CONTINUE_NEEDED || !tok->length) {
		gss_words(s->lib, major, minor, why, sizeof(why));
		drop_context(s);
		return dpci_fail(err, DPC_E_AUTH,
				 "NTLM: cannot begin the exchange: %s", why);
	}
	return DPC_OK;
}

/* gss-ntlmssp refuses a CHALLENGE whose MsvAvTargetName is not the
 * service the initiator named, and its acceptor (dpsim's, OMI's) names
 * its own configured service there, which a client that reaches it as
 * 127.0.0.1 or under an alias cannot guess. Windows servers send no such
 * name and Windows clients check none, so the client takes the server's:
 * a context begun again for that name (its NEGOTIATE message is not sent:
 * without SPNEGO no MIC covers it, and its flags are the same) reads the
 * challenge. */
static enum dpc_code adopt_target(struct dpcn *s, const char *spn,
				  struct dpc_error *err)
{
	OM_uint32 minor = 0;
	gss_buffer_desc tok = GSS_C_EMPTY_BUFFER;
	const char *slash = strchr(spn, '/');
	char service[64];
	enum dpc_code code;

	if (!slash || slash == spn || !slash[1] ||
	    (size_t)(slash - spn) >= sizeof(service))
		return dpci_fail(err, DPC_E_AUTH,
				 "HTTP 401: %s: the NTLM challenge names the "
				 "service '%s', not %s", s->endpoint, spn,
				 s->spn);
	snprintf(service, sizeof(service), "%.*s", (int)(slash - spn), spn);
	code = set_target(s, service, slash + 1, err);
	if (code)
		return code;
	code = new_context(s, &tok, err);
	s->lib->gss_release_buffer(&minor, &tok);
	if (code)
		return code;
	s->state = ST_NEGOTIATE;
	return DPC_OK;
}

/* The credential, once per session: gss-ntlmssp keeps about 6 KiB per
 * acquisition that no release gives back. NTLM checks nothing here (the
 * password is only hashed), so a wrong password shows at the server. */
static enum dpc_code acquire(struct dpcn *s, struct dpc_error *err)
{
	OM_uint32 major, minor = 0;
	gss_OID_set_desc mechs = { 1, &ntlm_oid };
	gss_buffer_desc uname = { strlen(s->user), s->user };
	gss_buffer_desc pw = { strlen(s->password), s->password };
	char why[200];
	gss_name_t name = GSS_C_NO_NAME;
	enum dpc_code code;

	if (s->cred != GSS_C_NO_CREDENTIAL)
		return DPC_OK;
	code = set_target(s, "HTTP", s->host, err);
	if (code)
		return code;
	major = s->lib->gss_import_name(&minor, &uname, s->lib->nt_user_name,
					&name);
	if (GSS_ERROR(major)) {
		gss_words(s->lib, major, minor, why, sizeof(why));
		return dpci_fail(err, DPC_E_AUTH,
				 "NTLM: user name '%s' refused: %s", s->user,
				 why);
	}
	major = s->lib->gss_acquire_cred_with_password(&minor, name, &pw,
					       GSS_C_INDEFINITE, &mechs,
					       GSS_C_INITIATE, &s->cred, NULL,
					       NULL);
	s->lib->gss_release_name(&minor, &name);
	if (GSS_ERROR(major)) {
		s->cred = GSS_C_NO_CREDENTIAL;
		gss_words(s->lib, major, minor, why, sizeof(why));
		return dpci_fail(err, DPC_E_AUTH,
				 "NTLM credentials for %s cannot be set up "
				 "(%s): %s", s->user,
				 *s->password ? "is gss-ntlmssp installed?"
					      : "no password given", why);
	}
	s->acquisitions++;
	return DPC_OK;
}

/* A new context and its NEGOTIATE message as the request. */
static enum dpc_code begin(struct dpcn *s, struct dpcn_request *req,
			   struct dpc_error *err)
{
	OM_uint32 minor = 0;
	gss_buffer_desc tok = GSS_C_EMPTY_BUFFER;
	enum dpc_code code = new_context(s, &tok, err);

	if (!code && set_authorization(s, &tok))
		code = dpci_fail(err, DPC_E_NOMEM, "out of memory");
	s->lib->gss_release_buffer(&minor, &tok);
	if (code) {
		drop_context(s);
		return code;
	}
	s->handshakes++;
	s->state = ST_NEGOTIATE;
	/* An empty body: Windows sends its envelope only once it can
	 * seal it. Its Content-Type is the envelope's all the same. */
	req->authorization = s->authorization;
	req->content_type = WSMAN_SOAP_CONTENT_TYPE;
	req->body = "";
	req->len = 0;
	return DPC_OK;
}

/* The call's envelope sealed into s->wire, as the request. */
static enum dpc_code seal(struct dpcn *s, const char *authorization,
			  struct dpcn_request *req, struct dpc_error *err)
{
	enum seal_error e;

	buf_reset(&s->wire);
	e = seal_body(s->ctx, s->type, s->plain, s->plain_len, &s->wire);
	if (e != SEAL_OK) {
		drop_context(s);
		return dpci_fail(err, e == SEAL_E_NOMEM ? DPC_E_NOMEM
							: DPC_E_AUTH,
				 "NTLM: the request cannot be sealed: %s",
				 seal_strerror(e));
	}
	req->authorization = authorization;
	req->content_type = SEALED_CONTENT_TYPE;
	req->body = buf_ptr(&s->wire);
	req->len = buf_len(&s->wire);
	return DPC_OK;
}

enum dpc_code dpcn_start(struct dpcn *s, const char *type, const void *plain,
			 size_t len, bool fresh, struct dpcn_request *req,
			 struct dpc_error *err)
{
	enum dpc_code code = acquire(s, err);

	if (code)
		return code;
	s->type = type;
	s->plain = plain;
	s->plain_len = len;
	s->restarts = 0;
	s->want_fresh = false;
	if (fresh || s->state != ST_READY)
		return begin(s, req, err);
	code = seal(s, NULL, req, err);
	if (!code)
		s->state = ST_SEALED;
	return code;
}

/* The server's challenge answered: AUTHENTICATE, and the envelope sealed
 * with the session key it sets up, in one request (Windows' way: one
 * round trip fewer than an empty authenticated POST first, and nothing
 * the server must keep between them). */
static enum dpc_code authenticate(struct dpcn *s, const struct dpcn_answer *a,
				  struct dpcn_request *req,
				  struct dpcn_result *res, struct dpc_error *err)
{
	size_t len = 0, dlen;
	const char *t = find_token(a->www_authenticate, &len);
	struct base64_decode_ctx b64;
	uint8_t *raw;
	OM_uint32 major, minor = 0, flags = 0;
	gss_buffer_desc in, tok = GSS_C_EMPTY_BUFFER;
	char why[200], spn[sizeof(s->spn)];
	enum dpc_code code = DPC_OK;

	if (!t) {
		drop_context(s);
		return dpci_fail(err, DPC_E_AUTH,
				 "HTTP 401: %s sent no Negotiate challenge "
				 "for NTLM (WWW-Authenticate: %s; auth ntlm "
				 "sealed over HTTP)", s->endpoint,
				 a->www_authenticate ? a->www_authenticate
						     : "none");
	}
	if (len > MAX_TOKEN || !(raw = malloc(BASE64_DECODE_LENGTH(len)))) {
		drop_context(s);
		return dpci_fail(err, len > MAX_TOKEN ? DPC_E_PROTOCOL
						      : DPC_E_NOMEM,
				 "HTTP 401: %s: the Negotiate challenge is "
				 "%s", s->endpoint, len > MAX_TOKEN
				 ? "too long for an NTLM message"
				 : "more than memory allows");
	}
	base64_decode_init(&b64);
	dlen = BASE64_DECODE_LENGTH(len);
	if (!base64_decode_update(&b64, &dlen, raw, len, t) ||
	    !base64_decode_final(&b64)) {
		free(raw);
		drop_context(s);
		return dpci_fail(err, DPC_E_PROTOCOL,
				 "HTTP 401: %s: the Negotiate challenge is "
				 "not base64", s->endpoint);
	}
	if (challenge_target(raw, dlen, spn, sizeof(spn)) == 1 &&
	    strcasecmp(spn, s->spn) != 0 &&
	    (code = adopt_target(s, spn, err)) != DPC_OK) {
		free(raw);
		drop_context(s);
		return code;
	}
	in.length = dlen;
	in.value = raw;
	major = s->lib->gss_init_sec_context(&minor, s->cred, &s->ctx, s->target,
				     &ntlm_oid,
				     GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG, 0,
				     GSS_C_NO_CHANNEL_BINDINGS, &in, NULL,
				     &tok, &flags, NULL);
	free(raw);
	if (GSS_ERROR(major) || major != GSS_S_COMPLETE || !tok.length) {
		gss_words(s->lib, major, minor, why, sizeof(why));
		code = dpci_fail(err, DPC_E_AUTH,
				 "HTTP 401: %s: the NTLM challenge cannot be "
				 "answered: %s", s->endpoint,
				 GSS_ERROR(major) ? why
				 : "the exchange did not end with "
				   "AUTHENTICATE");
	} else if (!(flags & GSS_C_CONF_FLAG)) {
		/* Without sealing the envelope would go in the clear,
		 * which is what the exchange is for avoiding. */
		code = dpci_fail(err, DPC_E_AUTH,
				 "HTTP 401: %s: the NTLM challenge does not "
				 "offer sealing", s->endpoint);
	} else if (set_authorization(s, &tok)) {
		code = dpci_fail(err, DPC_E_NOMEM, "out of memory");
	}
	s->lib->gss_release_buffer(&minor, &tok);
	if (!code)
		code = seal(s, s->authorization, req, err);
	if (code) {
		drop_context(s);
		return code;
	}
	s->state = ST_AUTHENTICATE;
	res->send = true;
	return DPC_OK;
}

/* The answer to a sealed request: unsealed when sealed. */
static enum dpc_code final(struct dpcn *s, const struct dpcn_answer *a,
			   struct buf *plain, struct dpcn_result *res,
			   struct dpc_error *err)
{
	enum sealed_error fe = SEALED_OK;
	enum seal_error e;

	if (!prefix(a->content_type, "multipart/encrypted")) {
		bool soap = prefix(a->content_type, WSMAN_SOAP_MEDIA_TYPE) ||
			    prefix(a->content_type, "text/xml");

		/* Nothing to unseal: the caller reads it as it came (an
		 * empty 401, a 503, an error page). The server may have
		 * dropped the context; start again on a new connection. */
		drop_context(s);
		s->want_fresh = true;
		if (soap && a->len)
			return dpci_fail(err, DPC_E_PROTOCOL,
					 "HTTP %ld: %s answered a sealed "
					 "request in the clear (a SOAP body, "
					 "not sealed)", a->status,
					 s->endpoint);
		return DPC_OK;
	}
	e = unseal_body(s->ctx, a->content_type, a->body, a->len, plain,
			res->type, sizeof(res->type), &fe);
	if (e != SEAL_OK) {
		/* Its sequence numbers are out of step now. */
		drop_context(s);
		s->want_fresh = true;
		if (e == SEAL_E_NOMEM)
			return dpci_fail(err, DPC_E_NOMEM, "out of memory");
		if (e == SEAL_E_FRAMING)
			return dpci_fail(err, DPC_E_PROTOCOL,
					 "HTTP %ld: %s: the sealed answer is "
					 "not framed as MS-WSMV says: %s",
					 a->status, s->endpoint,
					 sealed_strerror(fe));
		return dpci_fail(err, DPC_E_PROTOCOL,
				 "HTTP %ld: %s: the sealed answer cannot be "
				 "unsealed: %s", a->status, s->endpoint,
				 seal_strerror(e));
	}
	res->unsealed = true;
	s->state = ST_READY;
	return DPC_OK;
}

enum dpc_code dpcn_answer(struct dpcn *s, const struct dpcn_answer *a,
			  struct dpcn_request *req, struct buf *plain,
			  struct dpcn_result *res, struct dpc_error *err)
{
	enum state was = s->state;

	memset(res, 0, sizeof(*res));
	switch (was) {
	case ST_NEGOTIATE:
		if (a->status == 401)
			return authenticate(s, a, req, res, err);
		drop_context(s);
		s->want_fresh = true;
		if (a->status >= 200 && a->status < 300)
			return dpci_fail(err, DPC_E_PROTOCOL,
					 "HTTP %ld: %s answered an NTLM "
					 "NEGOTIATE message without a "
					 "challenge", a->status, s->endpoint);
		/* 403, 503, ...: the caller's to report. */
		return DPC_OK;
	case ST_AUTHENTICATE:
	case ST_SEALED:
		break;
	case ST_IDLE:
	case ST_READY:
	default:
		return dpci_fail(err, DPC_E_PROTOCOL,
				 "NTLM: an answer with no request sent");
	}
	if (a->new_connection) {
		/* The server cannot know the context on this connection, so
		 * it ran nothing on it; but the request may have run on the
		 * old one before libcurl sent it again. */
		drop_context(s);
		if (was == ST_SEALED && s->restarts++ == 0) {
			res->send = true;
			return begin(s, req, err);
		}
		res->retry = DPCI_RETRY_IF_IDEMPOTENT;
		return dpci_fail(err, DPC_E_TRANSPORT,
				 "%s: the connection of the NTLM exchange "
				 "was lost", s->endpoint);
	}
	if (a->status == 401 && was == ST_SEALED && s->restarts++ == 0) {
		/* The server no longer knows the context (it let it go, or
		 * restarted behind a proxy): nothing ran; sign in again. */
		res->send = true;
		return begin(s, req, err);
	}
	return final(s, a, plain, res, err);
}

void dpcn_abandon(struct dpcn *s)
{
	if (s->state != ST_IDLE)
		s->want_fresh = true;
	drop_context(s);
}

bool dpcn_wants_fresh(const struct dpcn *s)
{
	return s->want_fresh;
}

unsigned dpcn_acquisitions(const struct dpcn *s)
{
	return s->acquisitions;
}

unsigned dpcn_handshakes(const struct dpcn *s)
{
	return s->handshakes;
}
