/* Unit tests for client/dpc_negotiate.c: libdpclient's NTLM exchange
 * with sealed bodies, driven without a socket against an in-process
 * acceptor (MIT GSSAPI with gss-ntlmssp, the account in a key file) that
 * answers as a WinRM with AllowUnencrypted=false does: 401 with the
 * challenge to the NEGOTIATE message, the AUTHENTICATE message and the
 * first sealed envelope in one request, sealed answers, and 401 to a
 * request on a connection that has no context. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_ntlmssp.h>
#include <nettle/base64.h>

#include "dpc_negotiate.h"
#include "seal.h"
#include "sealed.h"
#include "vocab.h"

#define ENDPOINT "http://dpsimhost:5985/wsman"
#define UTF8 WSMAN_SOAP_CONTENT_TYPE

static const char ENVELOPE[] =
	"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">"
	"<s:Body>SetDPMaintenanceMode</s:Body></s:Envelope>";

static gss_OID_desc ntlm_oid = { GSS_NTLMSSP_OID_LENGTH,
				 (void *)GSS_NTLMSSP_OID_STRING };

/* The server: its credential, and the context of the one connection. */
struct server {
	char dir[64];
	char keyfile[96];
	gss_cred_id_t cred;
	gss_ctx_id_t ctx;
	bool complete;
	char who[128];		/* the client's name, once authenticated */
	struct buf got;		/* the last envelope unsealed */
	/* The answer it made, lent to the client as struct dpcn_answer. */
	long status;
	char www[1024];
	const char *ctype;
	struct buf body;
	/* What the test does to the next answer. */
	bool tamper, clear, wrong_length, fault;
	unsigned answers;
};

static struct server *server_new(void)
{
	struct server *s = calloc(1, sizeof(*s));
	assert_non_null(s);
	snprintf(s->dir, sizeof s->dir, "/tmp/test_dpc_negotiate.XXXXXX");
	assert_non_null(mkdtemp(s->dir));
	snprintf(s->keyfile, sizeof s->keyfile, "%s/users", s->dir);
	FILE *f = fopen(s->keyfile, "w");
	assert_non_null(f);
	fputs("LAB:lab:Passw0rd!\n", f);
	fclose(f);

	OM_uint32 minor;
	gss_OID_set_desc mechs = { 1, &ntlm_oid };
	gss_buffer_desc tname = { strlen("HTTP@dpsimhost"),
				  (void *)"HTTP@dpsimhost" };
	gss_name_t target = GSS_C_NO_NAME;
	assert_false(GSS_ERROR(gss_import_name(
		&minor, &tname, GSS_C_NT_HOSTBASED_SERVICE, &target)));
	gss_key_value_element_desc kv = { GSS_NTLMSSP_CS_KEYFILE, s->keyfile };
	gss_key_value_set_desc store = { 1, &kv };
	assert_false(GSS_ERROR(gss_acquire_cred_from(
		&minor, target, GSS_C_INDEFINITE, &mechs, GSS_C_ACCEPT,
		&store, &s->cred, NULL, NULL)));
	gss_release_name(&minor, &target);
	s->ctx = GSS_C_NO_CONTEXT;
	buf_init(&s->got, 0);
	buf_init(&s->body, 0);
	return s;
}

/* A new TCP connection: no context on it. */
static void server_new_connection(struct server *s)
{
	OM_uint32 minor;
	if (s->ctx != GSS_C_NO_CONTEXT)
		gss_delete_sec_context(&minor, &s->ctx, GSS_C_NO_BUFFER);
	s->ctx = GSS_C_NO_CONTEXT;
	s->complete = false;
}

static void server_free(struct server *s)
{
	OM_uint32 minor;
	server_new_connection(s);
	gss_release_cred(&minor, &s->cred);
	buf_free(&s->got);
	buf_free(&s->body);
	unlink(s->keyfile);
	rmdir(s->dir);
	free(s);
}

static void b64_decode(const char *in, gss_buffer_desc *out)
{
	struct base64_decode_ctx ctx;
	size_t len = strlen(in), dlen = BASE64_DECODE_LENGTH(len);
	uint8_t *raw = malloc(dlen + 1);
	assert_non_null(raw);
	base64_decode_init(&ctx);
	assert_true(base64_decode_update(&ctx, &dlen, raw, len, in));
	assert_true(base64_decode_final(&ctx));
	out->value = raw;
	out->length = dlen;
}

static void answer_401(struct server *s, const char *www)
{
	s->status = 401;
	snprintf(s->www, sizeof s->www, "%s", www);
	s->ctype = NULL;
}

/* The sealed answer to the envelope in s->got (or the clear one, or a
 * changed one, as the test asked). */
static void answer_sealed(struct server *s)
{
	char msg[128];
	snprintf(msg, sizeof msg, s->fault ? "<fault n=\"%u\"/>"
					   : "<answer n=\"%u\"/>",
		 ++s->answers);
	s->status = s->fault ? 500 : 200;
	s->www[0] = '\0';
	if (s->clear) {
		s->ctype = UTF8;
		assert_int_equal(buf_adds(&s->body, msg), 0);
		return;
	}
	s->ctype = SEALED_CONTENT_TYPE;
	assert_int_equal(seal_body(s->ctx, UTF8, msg, strlen(msg), &s->body),
			 SEAL_OK);
	if (s->tamper)
		s->body.data[buf_len(&s->body) - 30] ^= 0x01;
	if (s->wrong_length) {
		char *at = strstr(s->body.data, "Length=");
		assert_non_null(at);
		at[7] = at[7] == '9' ? '1' : (char)(at[7] + 1);
	}
}

/* The server reads one request, as WinRM does, and answers it. */
static void serve(struct server *s, const struct dpcn_request *req)
{
	OM_uint32 major, minor;
	buf_reset(&s->body);
	buf_reset(&s->got);
	if (req->authorization) {
		assert_true(strncmp(req->authorization, "Negotiate ", 10) == 0);
		gss_buffer_desc in, out = GSS_C_EMPTY_BUFFER;
		gss_name_t src = GSS_C_NO_NAME;
		b64_decode(req->authorization + 10, &in);
		if (s->complete)
			server_new_connection(s);	/* signs in again */
		major = gss_accept_sec_context(&minor, &s->ctx, s->cred, &in,
					       GSS_C_NO_CHANNEL_BINDINGS, &src,
					       NULL, &out, NULL, NULL, NULL);
		free(in.value);
		if (GSS_ERROR(major)) {
			gss_release_buffer(&minor, &out);
			server_new_connection(s);
			answer_401(s, "Negotiate");
			return;
		}
		if (major == GSS_S_CONTINUE_NEEDED) {
			/* The challenge; a NEGOTIATE comes with no body. */
			assert_int_equal(req->len, 0);
			char *b = malloc(BASE64_ENCODE_RAW_LENGTH(out.length) + 1);
			assert_non_null(b);
			base64_encode_raw(b, out.length, out.value);
			b[BASE64_ENCODE_RAW_LENGTH(out.length)] = '\0';
			char www[1024];
			snprintf(www, sizeof www, "Negotiate %s", b);
			free(b);
			gss_release_buffer(&minor, &out);
			answer_401(s, www);
			return;
		}
		gss_release_buffer(&minor, &out);
		gss_buffer_desc dn;
		assert_false(GSS_ERROR(gss_display_name(&minor, src, &dn, NULL)));
		snprintf(s->who, sizeof s->who, "%.*s", (int)dn.length,
			 (char *)dn.value);
		gss_release_buffer(&minor, &dn);
		gss_release_name(&minor, &src);
		s->complete = true;
	}
	if (!s->complete) {
		answer_401(s, "Negotiate, Basic realm=\"WSMAN\"");
		return;
	}
	/* The envelope, sealed in the same request as AUTHENTICATE. */
	assert_string_equal(req->content_type, SEALED_CONTENT_TYPE);
	char type[128];
	assert_int_equal(unseal_body(s->ctx, req->content_type, req->body,
				     req->len, &s->got, type, sizeof type,
				     NULL),
			 SEAL_OK);
	assert_string_equal(type, UTF8);
	answer_sealed(s);
}

/* The server's answer as the transport hands it to the session. */
static struct dpcn_answer answer_of(const struct server *s, bool new_conn)
{
	struct dpcn_answer a = {
		.status = s->status,
		.new_connection = new_conn,
		.www_authenticate = s->www[0] ? s->www : NULL,
		.content_type = s->ctype,
		.body = buf_ptr(&s->body),
		.len = buf_len(&s->body),
	};
	return a;
}

struct fixture {
	struct server *srv;
	struct dpcn *cli;
	struct buf plain;
};

static int setup_user(void **state, const char *user, const char *pw)
{
	struct fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->srv = server_new();
	assert_int_equal(dpcn_new(user, pw, "dpsimhost", ENDPOINT, &f->cli,
				  NULL),
			 DPC_OK);
	buf_init(&f->plain, 0);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_user(state, "LAB\\lab", "Passw0rd!");
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	dpcn_free(f->cli);
	server_free(f->srv);
	buf_free(&f->plain);
	free(f);
	return 0;
}

/* One call: start, then legs until the answer is final. Returns the
 * code; *res the last result. new_conn_first: the first request goes
 * out on a new connection (the server's context is gone). */
static enum dpc_code call(struct fixture *f, bool fresh, bool new_conn_first,
			  struct dpcn_result *res, struct dpc_error *err,
			  unsigned *legs)
{
	struct dpcn_request req;
	enum dpc_code code;
	unsigned n = 0;

	buf_reset(&f->plain);
	memset(err, 0, sizeof(*err));
	code = dpcn_start(f->cli, UTF8, ENVELOPE, strlen(ENVELOPE), fresh,
			  &req, err);
	if (code)
		return code;
	bool new_conn = fresh || new_conn_first;
	for (;;) {
		assert_true(++n < 6);
		if (new_conn)
			server_new_connection(f->srv);
		serve(f->srv, &req);
		struct dpcn_answer a = answer_of(f->srv, new_conn);
		new_conn = false;
		code = dpcn_answer(f->cli, &a, &req, &f->plain, res, err);
		if (code || !res->send)
			break;
	}
	if (legs)
		*legs = n;
	return code;
}

/* Windows' exchange: NEGOTIATE with no body, the 401's challenge,
 * AUTHENTICATE with the first sealed envelope; the answer unsealed. */
static void test_windows_exchange(void **state)
{
	struct fixture *f = *state;
	struct dpcn_request req;
	struct dpcn_result res;
	struct dpc_error err = { 0 };

	assert_int_equal(dpcn_start(f->cli, UTF8, ENVELOPE, strlen(ENVELOPE),
				    false, &req, &err),
			 DPC_OK);
	/* A raw NTLM NEGOTIATE (type 1), not SPNEGO, and no body. */
	assert_non_null(req.authorization);
	gss_buffer_desc tok;
	b64_decode(req.authorization + strlen("Negotiate "), &tok);
	assert_memory_equal(tok.value, "NTLMSSP\0\x01\0\0\0", 12);
	free(tok.value);
	assert_int_equal(req.len, 0);
	assert_string_equal(req.content_type, UTF8);

	server_new_connection(f->srv);
	serve(f->srv, &req);
	assert_int_equal(f->srv->status, 401);
	struct dpcn_answer a = answer_of(f->srv, true);
	assert_int_equal(dpcn_answer(f->cli, &a, &req, &f->plain, &res, &err),
			 DPC_OK);
	assert_true(res.send);
	/* AUTHENTICATE (type 3) and the sealed envelope together. */
	b64_decode(req.authorization + strlen("Negotiate "), &tok);
	assert_memory_equal(tok.value, "NTLMSSP\0\x03\0\0\0", 12);
	free(tok.value);
	assert_string_equal(req.content_type, SEALED_CONTENT_TYPE);
	assert_null(memmem(req.body, req.len, "Envelope", 8));

	serve(f->srv, &req);
	assert_string_equal(buf_ptr(&f->srv->got), ENVELOPE);
	assert_string_equal(f->srv->who, "LAB\\lab");
	a = answer_of(f->srv, false);
	assert_int_equal(dpcn_answer(f->cli, &a, &req, &f->plain, &res, &err),
			 DPC_OK);
	assert_false(res.send);
	assert_true(res.unsealed);
	assert_string_equal(res.type, UTF8);
	assert_string_equal(buf_ptr(&f->plain), "<answer n=\"1\"/>");
	assert_int_equal(dpcn_handshakes(f->cli), 1);
	assert_int_equal(dpcn_acquisitions(f->cli), 1);
}

/* Later calls on the connection: sealed, no Authorization, one request
 * each; the credential is acquired once for all. */
static void test_established(void **state)
{
	struct fixture *f = *state;
	struct dpcn_result res;
	struct dpc_error err;
	unsigned legs;

	assert_int_equal(call(f, false, false, &res, &err, &legs), DPC_OK);
	assert_int_equal(legs, 2);
	for (unsigned i = 2; i <= 4; i++) {
		struct dpcn_request req;
		assert_int_equal(dpcn_start(f->cli, UTF8, ENVELOPE,
					    strlen(ENVELOPE), false, &req,
					    &err),
				 DPC_OK);
		assert_null(req.authorization);
		assert_string_equal(req.content_type, SEALED_CONTENT_TYPE);
		serve(f->srv, &req);
		assert_string_equal(buf_ptr(&f->srv->got), ENVELOPE);
		struct dpcn_answer a = answer_of(f->srv, false);
		buf_reset(&f->plain);
		assert_int_equal(dpcn_answer(f->cli, &a, &req, &f->plain,
					     &res, &err),
				 DPC_OK);
		assert_true(res.unsealed);
		char want[32];
		snprintf(want, sizeof want, "<answer n=\"%u\"/>", i);
		assert_string_equal(buf_ptr(&f->plain), want);
	}
	assert_int_equal(dpcn_handshakes(f->cli), 1);
	assert_int_equal(dpcn_acquisitions(f->cli), 1);
}

/* A call that must go on a new connection (a method that may not run
 * twice) signs in again; the credential stays. */
static void test_fresh_connection(void **state)
{
	struct fixture *f = *state;
	struct dpcn_result res;
	struct dpc_error err;
	unsigned legs;

	assert_int_equal(call(f, false, false, &res, &err, &legs), DPC_OK);
	assert_int_equal(call(f, true, false, &res, &err, &legs), DPC_OK);
	assert_int_equal(legs, 2);
	assert_true(res.unsealed);
	assert_string_equal(buf_ptr(&f->plain), "<answer n=\"2\"/>");
	assert_int_equal(dpcn_handshakes(f->cli), 2);
	assert_int_equal(dpcn_acquisitions(f->cli), 1);
}

/* libcurl opened a new connection for a sealed request (the server had
 * closed the idle one): the server answers 401, nothing ran; the
 * session signs in again and sends the envelope once more. */
static void test_new_connection_restarts(void **state)
{
	struct fixture *f = *state;
	struct dpcn_result res;
	struct dpc_error err;
	unsigned legs;

	assert_int_equal(call(f, false, false, &res, &err, &legs), DPC_OK);
	assert_int_equal(call(f, false, true, &res, &err, &legs), DPC_OK);
	assert_int_equal(legs, 3);	/* sealed (401), NEGOTIATE, AUTH */
	assert_true(res.unsealed);
	assert_string_equal(buf_ptr(&f->srv->got), ENVELOPE);
	assert_int_equal(dpcn_handshakes(f->cli), 2);
}

/* The AUTHENTICATE leg went out on another connection than the
 * challenge's: the call fails as a transport error that only an
 * idempotent call may try again. */
static void test_lost_during_exchange(void **state)
{
	struct fixture *f = *state;
	struct dpcn_request req;
	struct dpcn_result res;
	struct dpc_error err = { 0 };

	assert_int_equal(dpcn_start(f->cli, UTF8, ENVELOPE, strlen(ENVELOPE),
				    false, &req, &err),
			 DPC_OK);
	serve(f->srv, &req);
	struct dpcn_answer a = answer_of(f->srv, true);
	assert_int_equal(dpcn_answer(f->cli, &a, &req, &f->plain, &res, &err),
			 DPC_OK);
	assert_true(res.send);
	server_new_connection(f->srv);
	serve(f->srv, &req);
	assert_int_equal(f->srv->status, 401);
	a = answer_of(f->srv, true);
	assert_int_equal(dpcn_answer(f->cli, &a, &req, &f->plain, &res, &err),
			 DPC_E_TRANSPORT);
	assert_int_equal(res.retry, DPCI_RETRY_IF_IDEMPOTENT);
	assert_non_null(strstr(err.message, "connection of the NTLM exchange"));
	/* The next call starts over. */
	assert_int_equal(call(f, false, false, &res, &err, NULL), DPC_OK);
	assert_true(res.unsealed);
}

/* A wrong password: the server's 401 to AUTHENTICATE is the call's
 * answer, as it came (the transport reports it as refused credentials);
 * nothing was unsealed on either side. */
static void test_wrong_password(void **state)
{
	struct fixture *f = *state;
	struct dpcn_result res;
	struct dpc_error err;
	unsigned legs;

	dpcn_free(f->cli);
	assert_int_equal(dpcn_new("LAB\\lab", "wrong", "dpsimhost", ENDPOINT,
				  &f->cli, NULL),
			 DPC_OK);
	assert_int_equal(call(f, false, false, &res, &err, &legs), DPC_OK);
	assert_int_equal(legs, 2);
	assert_false(res.unsealed);
	assert_int_equal(f->srv->status, 401);
	assert_int_equal(buf_len(&f->plain), 0);
	assert_int_equal(buf_len(&f->srv->got), 0);
	assert_true(dpcn_wants_fresh(f->cli));
}

/* An answer changed on the way: refused with a message that says so;
 * the context is dropped and the next call signs in on a new
 * connection. */
static void test_tampered_answer(void **state)
{
	struct fixture *f = *state;
	struct dpcn_result res;
	struct dpc_error err;

	f->srv->tamper = true;
	assert_int_equal(call(f, false, false, &res, &err, NULL),
			 DPC_E_PROTOCOL);
	assert_non_null(strstr(err.message, "cannot be unsealed"));
	assert_non_null(strstr(err.message, "does not verify"));
	assert_non_null(strstr(err.message, ENDPOINT));
	assert_null(strchr(err.message, '\n'));
	assert_int_equal(res.retry, DPCI_RETRY_NO);
	assert_int_equal(buf_len(&f->plain), 0);
	assert_true(dpcn_wants_fresh(f->cli));
	f->srv->tamper = false;
	unsigned legs;
	assert_int_equal(call(f, true, false, &res, &err, &legs), DPC_OK);
	assert_int_equal(legs, 2);
	assert_true(res.unsealed);
}

/* An answer whose OriginalContent Length is not the envelope's. */
static void test_wrong_length_answer(void **state)
{
	struct fixture *f = *state;
	struct dpcn_result res;
	struct dpc_error err;

	f->srv->wrong_length = true;
	assert_int_equal(call(f, false, false, &res, &err, NULL),
			 DPC_E_PROTOCOL);
	assert_non_null(strstr(err.message, "declared Length"));
}

/* A SOAP answer in the clear to a sealed request is refused. */
static void test_clear_answer(void **state)
{
	struct fixture *f = *state;
	struct dpcn_result res;
	struct dpc_error err;

	f->srv->clear = true;
	assert_int_equal(call(f, false, false, &res, &err, NULL),
			 DPC_E_PROTOCOL);
	assert_non_null(strstr(err.message, "in the clear"));
	assert_int_equal(buf_len(&f->plain), 0);
}

/* A fault comes sealed like any answer, with its status. */
static void test_sealed_fault(void **state)
{
	struct fixture *f = *state;
	struct dpcn_result res;
	struct dpc_error err;

	f->srv->fault = true;
	assert_int_equal(call(f, false, false, &res, &err, NULL), DPC_OK);
	assert_true(res.unsealed);
	assert_int_equal(f->srv->status, 500);
	assert_string_equal(buf_ptr(&f->plain), "<fault n=\"1\"/>");
}

/* A framing that is not MS-WSMV's: named. */
static void test_bad_framing(void **state)
{
	struct fixture *f = *state;
	struct dpcn_request req;
	struct dpcn_result res;
	struct dpc_error err = { 0 };
	unsigned legs;

	assert_int_equal(call(f, false, false, &res, &err, &legs), DPC_OK);
	assert_int_equal(dpcn_start(f->cli, UTF8, ENVELOPE, strlen(ENVELOPE),
				    false, &req, &err),
			 DPC_OK);
	static const char body[] = "--Encrypted Boundary\r\nnonsense";
	struct dpcn_answer a = { .status = 200,
				 .content_type = SEALED_CONTENT_TYPE,
				 .body = body, .len = sizeof(body) - 1 };
	assert_int_equal(dpcn_answer(f->cli, &a, &req, &f->plain, &res, &err),
			 DPC_E_PROTOCOL);
	assert_non_null(strstr(err.message, "not framed as MS-WSMV says"));
}

/* A 401 that offers Basic only: the message names what was offered. */
static void test_no_negotiate(void **state)
{
	struct fixture *f = *state;
	struct dpcn_request req;
	struct dpcn_result res;
	struct dpc_error err = { 0 };

	assert_int_equal(dpcn_start(f->cli, UTF8, ENVELOPE, strlen(ENVELOPE),
				    false, &req, &err),
			 DPC_OK);
	struct dpcn_answer a = { .status = 401,
				 .new_connection = true,
				 .www_authenticate = "Basic realm=\"WSMAN\"" };
	assert_int_equal(dpcn_answer(f->cli, &a, &req, &f->plain, &res, &err),
			 DPC_E_AUTH);
	assert_non_null(strstr(err.message, "no Negotiate challenge"));
	assert_non_null(strstr(err.message, "Basic realm=\"WSMAN\""));
}

/* The challenge among other schemes, in one header as a proxy joins
 * them: found. Then one that is not base64: refused. */
static void test_challenge_forms(void **state)
{
	struct fixture *f = *state;
	struct dpcn_request req;
	struct dpcn_result res;
	struct dpc_error err = { 0 };

	assert_int_equal(dpcn_start(f->cli, UTF8, ENVELOPE, strlen(ENVELOPE),
				    false, &req, &err),
			 DPC_OK);
	serve(f->srv, &req);
	char joined[1200];
	snprintf(joined, sizeof joined, "Basic realm=\"WSMAN\", %s",
		 f->srv->www);
	struct dpcn_answer a = answer_of(f->srv, true);
	a.www_authenticate = joined;
	assert_int_equal(dpcn_answer(f->cli, &a, &req, &f->plain, &res, &err),
			 DPC_OK);
	assert_true(res.send);
	serve(f->srv, &req);
	assert_string_equal(buf_ptr(&f->srv->got), ENVELOPE);

	assert_int_equal(dpcn_start(f->cli, UTF8, ENVELOPE, strlen(ENVELOPE),
				    true, &req, &err),
			 DPC_OK);
	a = (struct dpcn_answer){ .status = 401, .new_connection = true,
				  .www_authenticate = "Negotiate !!notbase64" };
	assert_int_equal(dpcn_answer(f->cli, &a, &req, &f->plain, &res, &err),
			 DPC_E_PROTOCOL);
	assert_non_null(strstr(err.message, "not base64"));
}

/* Other answers to NEGOTIATE: a 503 is the call's answer as it came; a
 * 200 (no challenge asked for) is refused. */
static void test_negotiate_not_challenged(void **state)
{
	struct fixture *f = *state;
	struct dpcn_request req;
	struct dpcn_result res;
	struct dpc_error err = { 0 };

	assert_int_equal(dpcn_start(f->cli, UTF8, ENVELOPE, strlen(ENVELOPE),
				    false, &req, &err),
			 DPC_OK);
	struct dpcn_answer a = { .status = 503, .new_connection = true };
	assert_int_equal(dpcn_answer(f->cli, &a, &req, &f->plain, &res, &err),
			 DPC_OK);
	assert_false(res.send);
	assert_false(res.unsealed);

	assert_int_equal(dpcn_start(f->cli, UTF8, ENVELOPE, strlen(ENVELOPE),
				    false, &req, &err),
			 DPC_OK);
	a.status = 200;
	assert_int_equal(dpcn_answer(f->cli, &a, &req, &f->plain, &res, &err),
			 DPC_E_PROTOCOL);
	assert_non_null(strstr(err.message, "without a challenge"));
}

/* user@domain and a bare user: gss-ntlmssp sends the domain as written
 * (none for a bare user), and the server's key file finds the account. */
static void test_user_at_domain(void **state)
{
	struct fixture *f = *state;
	struct dpcn_result res;
	struct dpc_error err;

	assert_int_equal(call(f, false, false, &res, &err, NULL), DPC_OK);
	assert_true(res.unsealed);
	assert_string_equal(f->srv->who, "LAB\\lab");
}

static int setup_upn(void **state)
{
	return setup_user(state, "lab@LAB", "Passw0rd!");
}

static void test_bare_user(void **state)
{
	struct fixture *f = *state;
	struct dpcn_result res;
	struct dpc_error err;

	assert_int_equal(call(f, false, false, &res, &err, NULL), DPC_OK);
	assert_true(res.unsealed);
	assert_string_equal(buf_ptr(&f->srv->got), ENVELOPE);
}

static int setup_bare(void **state)
{
	return setup_user(state, "lab", "Passw0rd!");
}

/* The client reaches the server as 127.0.0.1, the server's acceptor is
 * HTTP@dpsimhost and names itself so in the challenge (gss-ntlmssp's
 * MsvAvTargetName): the client takes that name, as a Windows client,
 * which checks none, would get through. Later exchanges begin with it. */
static void test_server_names_another_service(void **state)
{
	struct fixture *f = *state;
	struct dpcn_result res;
	struct dpc_error err;
	unsigned legs;

	dpcn_free(f->cli);
	assert_int_equal(dpcn_new("LAB\\lab", "Passw0rd!", "127.0.0.1",
				  ENDPOINT, &f->cli, NULL),
			 DPC_OK);
	assert_int_equal(call(f, false, false, &res, &err, &legs), DPC_OK);
	assert_int_equal(legs, 2);
	assert_true(res.unsealed);
	assert_string_equal(buf_ptr(&f->srv->got), ENVELOPE);
	assert_int_equal(call(f, true, false, &res, &err, &legs), DPC_OK);
	assert_int_equal(legs, 2);
	assert_true(res.unsealed);
	assert_int_equal(dpcn_handshakes(f->cli), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_windows_exchange, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_established, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fresh_connection, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_new_connection_restarts,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_lost_during_exchange,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_password, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tampered_answer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_wrong_length_answer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_clear_answer, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sealed_fault, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_framing, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_negotiate, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_challenge_forms, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_negotiate_not_challenged,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_at_domain, setup_upn,
						teardown),
		cmocka_unit_test_setup_teardown(test_bare_user, setup_bare,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_server_names_another_service, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
