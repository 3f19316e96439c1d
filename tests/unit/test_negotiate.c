/* Unit tests for simulator/negotiate.c: an in-process GSSAPI client
 * (gss_init_sec_context with a password, gss-ntlmssp) signs in against
 * the acceptor, with raw NTLM tokens as Windows sends them and with
 * SPNEGO-wrapped ones as GSSAPI clients do; wrong passwords, a user with
 * only a crypt hash, garbage and the key file's life. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_ntlmssp.h>
#include <nettle/base64.h>

#include "buf.h"
#include "fixture.h"
#include "negotiate.h"
#include "seal.h"

static gss_OID_desc ntlm_oid = { GSS_NTLMSSP_OID_LENGTH,
				 (void *)GSS_NTLMSSP_OID_STRING };
static gss_OID_desc spnego_oid = { 6, (void *)"\x2b\x06\x01\x05\x05\x02" };

/* NT hash of "Passw0rd!" (MD4 of its UTF-16LE form). */
#define OPS_NT_HASH "FC525C9683E8FE067095BA2DDC971889"

static struct fixture_user users[] = {
	{ .name = "lab", .password = "lab", .role = "Full Administrator" },
	{ .name = "ops", .password_hash = "$y$j9T$not.checked.here",
	  .nt_hash = OPS_NT_HASH, .role = "Full Administrator" },
	{ .name = "analyst", .password_hash = "$y$j9T$not.checked.here",
	  .role = "Read-only Analyst" },
	{ .name = "bad:name", .password = "x", .role = "Read-only Analyst" },
};
static struct fixture fx = { .source = "test", .users = users, .nusers = 4 };

struct client {
	gss_cred_id_t cred;
	gss_ctx_id_t ctx;
	gss_OID mech;
	gss_name_t target;
};

/* A client of user (DOMAIN\name) with password over mech. */
static void client_new(struct client *c, const char *user, const char *pw,
		       gss_OID mech)
{
	OM_uint32 minor;
	gss_buffer_desc ub = { strlen(user), (void *)user };
	gss_name_t name = GSS_C_NO_NAME;
	assert_false(GSS_ERROR(gss_import_name(&minor, &ub, GSS_C_NT_USER_NAME, &name)));
	gss_OID_set_desc mechs = { 1, mech };
	gss_buffer_desc pb = { strlen(pw), (void *)pw };
	c->cred = GSS_C_NO_CREDENTIAL;
	assert_false(GSS_ERROR(gss_acquire_cred_with_password(
		&minor, name, &pb, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE,
		&c->cred, NULL, NULL)));
	gss_release_name(&minor, &name);
	c->ctx = GSS_C_NO_CONTEXT;
	c->mech = mech;
	gss_buffer_desc tn = { strlen("HTTP@127.0.0.1"), (void *)"HTTP@127.0.0.1" };
	c->target = GSS_C_NO_NAME;
	assert_false(GSS_ERROR(gss_import_name(&minor, &tn, GSS_C_NT_HOSTBASED_SERVICE,
					       &c->target)));
}

static void client_free(struct client *c)
{
	OM_uint32 minor;
	gss_delete_sec_context(&minor, &c->ctx, GSS_C_NO_BUFFER);
	gss_release_cred(&minor, &c->cred);
	gss_release_name(&minor, &c->target);
}

/* The client's next token as an Authorization value, from the server's
 * WWW-Authenticate value (NULL first); NULL when it has nothing to say. */
static char *client_step(struct client *c, const char *challenge)
{
	OM_uint32 minor;
	unsigned char in[8192];
	size_t inlen = 0;
	if (challenge) {
		struct base64_decode_ctx d;
		const char *b = challenge + strlen("Negotiate ");
		base64_decode_init(&d);
		assert_true(base64_decode_update(&d, &inlen, in, strlen(b), b));
		assert_true(base64_decode_final(&d));
		if (getenv("NEG_DEBUG"))
			fprintf(stderr, "decoded %zu bytes from %zu chars\n", inlen, strlen(b));
	}
	gss_buffer_desc ib = { inlen, in }, ob = GSS_C_EMPTY_BUFFER;
	OM_uint32 major = gss_init_sec_context(
		&minor, c->cred, &c->ctx, c->target, c->mech,
		GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG, 0,
		GSS_C_NO_CHANNEL_BINDINGS, challenge ? &ib : GSS_C_NO_BUFFER, NULL,
		&ob, NULL, NULL);
	if (GSS_ERROR(major))
		fail_msg("gss_init_sec_context: major %x minor %d (%s)", major,
			 (int)minor, challenge ? "step 2" : "step 1");
	char *h = NULL;
	if (ob.length) {
		h = malloc(10 + BASE64_ENCODE_RAW_LENGTH(ob.length) + 1);
		memcpy(h, "Negotiate ", 10);
		base64_encode_raw(h + 10, ob.length, ob.value);
		h[10 + BASE64_ENCODE_RAW_LENGTH(ob.length)] = '\0';
	}
	gss_release_buffer(&minor, &ob);
	return h;
}

struct run {
	enum negotiate_step last;
	char name[64];
	char why[512];
	char first_token[8];	/* the first bytes the client sent */
};

/* A whole sign-in, as an HTTP connection makes it. */
static struct negotiate_ctx *sign_in(struct negotiate *n, struct client *c,
				     struct run *r)
{
	struct negotiate_ctx *ctx = NULL;
	char *reply = NULL;
	char *auth = client_step(c, NULL);
	assert_non_null(auth);
	unsigned char raw[9];
	struct base64_decode_ctx d;
	size_t rl = 0;
	base64_decode_init(&d);
	base64_decode_update(&d, &rl, raw, 12, auth + 10);
	memcpy(r->first_token, raw, 8);
	for (int round = 0; round < 4; round++) {
		r->last = negotiate_accept(n, &ctx, auth, &reply, r->name, sizeof(r->name),
					   r->why, sizeof(r->why));
		free(auth);
		auth = NULL;
		if (r->last != NEGOTIATE_CONTINUE)
			break;
		assert_non_null(reply);
		if (getenv("NEG_DEBUG"))
			fprintf(stderr, "reply %s\n", reply);
		auth = client_step(c, reply);
		free(reply);
		reply = NULL;
		assert_non_null(auth);
	}
	if (r->last == NEGOTIATE_DONE && reply) {
		/* SPNEGO's last word: the client completes with it. */
		char *none = client_step(c, reply);
		assert_null(none);
	}
	free(reply);
	return ctx;
}

static struct negotiate *acceptor(void)
{
	char err[512];
	struct negotiate *n = negotiate_new(&fx, NULL, err, sizeof(err));
	if (!n)
		fail_msg("negotiate_new: %s", err);
	return n;
}

/* Windows' way: bare NTLM messages; any domain; the context seals. */
static void test_raw_ntlm(void **state)
{
	(void)state;
	struct negotiate *n = acceptor();
	assert_int_equal(negotiate_users(n), 2);	/* lab and ops */
	const char *domains[] = { "LAB\\lab", "DPSIMHOST\\LAB", "lab" };
	for (size_t i = 0; i < 3; i++) {
		struct client c;
		struct run r;
		client_new(&c, domains[i], "lab", &ntlm_oid);
		struct negotiate_ctx *ctx = sign_in(n, &c, &r);
		assert_memory_equal(r.first_token, "NTLMSSP", 8);
		assert_int_equal(r.last, NEGOTIATE_DONE);
		assert_non_null(ctx);
		assert_ptr_equal(negotiate_user(ctx), &users[0]);
		assert_string_equal(r.name, "lab");
		assert_true(negotiate_can_seal(ctx));
		assert_string_equal(negotiate_kind(ctx), "NTLM");

		/* The two ends seal for each other. */
		struct buf wire, plain;
		char type[128];
		buf_init(&wire, 0);
		buf_init(&plain, 0);
		assert_int_equal(seal_body(c.ctx, "application/soap+xml;charset=UTF-8",
					   "<x/>", 4, &wire), SEAL_OK);
		assert_int_equal(unseal_body(negotiate_gss(ctx), SEALED_CONTENT_TYPE,
					     buf_ptr(&wire), buf_len(&wire), &plain,
					     type, sizeof(type), NULL), SEAL_OK);
		assert_memory_equal(buf_ptr(&plain), "<x/>", 4);
		buf_free(&wire);
		buf_free(&plain);
		negotiate_ctx_free(ctx);
		client_free(&c);
	}
	negotiate_free(n);
}

/* A GSSAPI client's way: SPNEGO around NTLM. */
static void test_spnego(void **state)
{
	(void)state;
	struct negotiate *n = acceptor();
	struct client c;
	struct run r;
	client_new(&c, "WORKGROUP\\ops", "Passw0rd!", &spnego_oid);
	struct negotiate_ctx *ctx = sign_in(n, &c, &r);
	assert_int_equal(r.first_token[0], 0x60);	/* GSS framing */
	assert_int_equal(r.last, NEGOTIATE_DONE);
	assert_ptr_equal(negotiate_user(ctx), &users[1]);
	assert_string_equal(negotiate_kind(ctx), "SPNEGO/NTLM");
	assert_true(negotiate_can_seal(ctx));
	negotiate_ctx_free(ctx);
	client_free(&c);
	negotiate_free(n);
}

static void test_wrong_password(void **state)
{
	(void)state;
	struct negotiate *n = acceptor();
	struct client c;
	struct run r;
	client_new(&c, "LAB\\lab", "not-lab", &ntlm_oid);
	struct negotiate_ctx *ctx = sign_in(n, &c, &r);
	assert_null(ctx);
	assert_int_equal(r.last, NEGOTIATE_REFUSED);
	assert_string_equal(r.name, "lab");
	assert_non_null(strstr(r.why, "wrong password or unknown user 'lab'"));
	client_free(&c);

	client_new(&c, "LAB\\nobody", "lab", &ntlm_oid);
	ctx = sign_in(n, &c, &r);
	assert_null(ctx);
	assert_int_equal(r.last, NEGOTIATE_REFUSED);
	assert_non_null(strstr(r.why, "unknown user 'nobody'"));
	client_free(&c);
	negotiate_free(n);
}

/* A crypt hash cannot check NTLM: the refusal says so. */
static void test_crypt_only(void **state)
{
	(void)state;
	struct negotiate *n = acceptor();
	struct client c;
	struct run r;
	client_new(&c, "LAB\\analyst", "analyst", &ntlm_oid);
	struct negotiate_ctx *ctx = sign_in(n, &c, &r);
	assert_null(ctx);
	assert_int_equal(r.last, NEGOTIATE_REFUSED);
	assert_string_equal(r.name, "analyst");
	assert_non_null(strstr(r.why, "user 'analyst' has only a password-hash"));
	assert_non_null(strstr(r.why, "nt-hash"));
	client_free(&c);
	negotiate_free(n);
}

static void test_garbage(void **state)
{
	(void)state;
	struct negotiate *n = acceptor();
	const char *bad[] = { "Negotiate !!!!", "Negotiate ", "Basic bGFiOmxhYg==",
			      "Negotiate AAAA", "Negotiate TlRMTVNTUAADAAAA" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct negotiate_ctx *ctx = NULL;
		char *reply = (char *)1, name[64], why[256];
		assert_int_equal(negotiate_accept(n, &ctx, bad[i], &reply, name,
						  sizeof(name), why, sizeof(why)),
				 NEGOTIATE_REFUSED);
		assert_null(ctx);
		assert_null(reply);
		assert_true(why[0]);
	}
	negotiate_free(n);
}

/* The key file: private, smbpasswd lines, gone with the acceptor. */
static void test_keyfile(void **state)
{
	(void)state;
	struct negotiate *n = acceptor();
	char path[512];
	snprintf(path, sizeof(path), "%s", negotiate_keyfile(n));
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char dir[512];
	snprintf(dir, sizeof(dir), "%s", path);
	*strrchr(dir, '/') = '\0';
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);
	FILE *f = fopen(path, "r");
	char text[1024] = "";
	size_t got = fread(text, 1, sizeof(text) - 1, f);
	text[got] = '\0';
	fclose(f);
	assert_non_null(strstr(text, "ops:1000:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:"
				     OPS_NT_HASH ":"));
	assert_null(strstr(text, "analyst"));
	assert_null(strstr(text, "bad:name"));
	assert_null(strstr(text, ":lab:"));	/* no clear password */
	negotiate_free(n);
	assert_int_not_equal(stat(path, &st), 0);
	assert_int_not_equal(stat(dir, &st), 0);
}

/* MS-NLMP 4.2.2.1.2: NTOWFv1("Password"). */
static void test_nt_hash(void **state)
{
	(void)state;
	char h[33];
	assert_true(negotiate_nt_hash("Password", h));
	assert_string_equal(h, "A4F49C406510BDCAB6824EE7C30FD852");
	assert_true(negotiate_nt_hash("Passw0rd!", h));
	assert_string_equal(h, OPS_NT_HASH);
	assert_false(negotiate_nt_hash("\xff\xfe", h));
}

/* The user name of an AUTHENTICATE message, Unicode and OEM, raw and
 * inside other bytes; anything else gives nothing. */
static void test_token_user(void **state)
{
	(void)state;
	unsigned char m[128] = "NTLMSSP";
	char out[32];
	m[8] = 3;
	/* UserNameFields: 6 bytes at offset 72, "l\0a\0b\0". */
	m[36] = 6; m[38] = 6; m[40] = 72;
	m[60] = 1;	/* Unicode */
	memcpy(m + 72, "l\0a\0b\0", 6);
	assert_true(negotiate_token_user(m, 78, out, sizeof(out)));
	assert_string_equal(out, "lab");
	/* Inside a SPNEGO token: found by its signature. */
	unsigned char wrapped[160] = { 0xa1, 0x81, 0x90 };
	memcpy(wrapped + 20, m, 78);
	assert_true(negotiate_token_user(wrapped, 98, out, sizeof(out)));
	assert_string_equal(out, "lab");
	/* OEM: bytes; a control character is replaced. */
	m[60] = 0;
	memcpy(m + 72, "op\ns", 4);
	m[36] = 4;
	assert_true(negotiate_token_user(m, 78, out, sizeof(out)));
	assert_string_equal(out, "op?s");
	/* Past the end; too long for out; not type 3. */
	m[40] = 76;
	assert_false(negotiate_token_user(m, 78, out, sizeof(out)));
	assert_string_equal(out, "");
	m[40] = 72;
	assert_false(negotiate_token_user(m, 78, out, 3));
	m[8] = 1;
	assert_false(negotiate_token_user(m, 78, out, sizeof(out)));
	assert_false(negotiate_token_user(m, 20, out, sizeof(out)));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_raw_ntlm),
		cmocka_unit_test(test_spnego),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_crypt_only),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_keyfile),
		cmocka_unit_test(test_nt_hash),
		cmocka_unit_test(test_token_user),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
