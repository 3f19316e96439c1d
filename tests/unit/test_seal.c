/* Unit tests for wsman/seal.c: a real NTLM context pair, made in-process
 * by MIT GSSAPI with the gss-ntlmssp mechanism (a client that signs in
 * with a password, a server that finds the account in a key file), seals
 * envelopes both ways; a changed byte, a replay and a wrong Length are
 * refused. */
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

#include "seal.h"

static gss_OID_desc ntlm_oid = { GSS_NTLMSSP_OID_LENGTH,
				 (void *)GSS_NTLMSSP_OID_STRING };

struct pair {
	char dir[64];
	char keyfile[96];
	gss_ctx_id_t client, server;
};

/* The handshake of an HTTP Negotiate exchange, token by token. */
static int setup_pair(void **state)
{
	struct pair *p = calloc(1, sizeof *p);
	assert_non_null(p);
	snprintf(p->dir, sizeof p->dir, "/tmp/test_seal.XXXXXX");
	assert_non_null(mkdtemp(p->dir));
	snprintf(p->keyfile, sizeof p->keyfile, "%s/users", p->dir);
	FILE *f = fopen(p->keyfile, "w");
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

	/* gss-ntlmssp reads a key file only for a credential with a
	 * service name. */
	gss_key_value_element_desc kv = { GSS_NTLMSSP_CS_KEYFILE, p->keyfile };
	gss_key_value_set_desc store = { 1, &kv };
	gss_cred_id_t scred = GSS_C_NO_CREDENTIAL;
	assert_false(GSS_ERROR(gss_acquire_cred_from(
		&minor, target, GSS_C_INDEFINITE, &mechs, GSS_C_ACCEPT,
		&store, &scred, NULL, NULL)));

	gss_buffer_desc uname = { strlen("LAB\\lab"), (void *)"LAB\\lab" };
	gss_name_t user = GSS_C_NO_NAME;
	assert_false(GSS_ERROR(
		gss_import_name(&minor, &uname, GSS_C_NT_USER_NAME, &user)));
	gss_buffer_desc pw = { strlen("Passw0rd!"), (void *)"Passw0rd!" };
	gss_cred_id_t ccred = GSS_C_NO_CREDENTIAL;
	assert_false(GSS_ERROR(gss_acquire_cred_with_password(
		&minor, user, &pw, GSS_C_INDEFINITE, &mechs, GSS_C_INITIATE,
		&ccred, NULL, NULL)));
	p->client = GSS_C_NO_CONTEXT;
	p->server = GSS_C_NO_CONTEXT;
	gss_buffer_desc to_server = GSS_C_EMPTY_BUFFER;
	gss_buffer_desc to_client = GSS_C_EMPTY_BUFFER;
	OM_uint32 cmaj = GSS_S_CONTINUE_NEEDED, smaj = GSS_S_CONTINUE_NEEDED;
	for (int round = 0; round < 4 && (cmaj | smaj) & GSS_S_CONTINUE_NEEDED;
	     round++) {
		cmaj = gss_init_sec_context(
			&minor, ccred, &p->client, target, &ntlm_oid,
			GSS_C_CONF_FLAG | GSS_C_INTEG_FLAG, 0,
			GSS_C_NO_CHANNEL_BINDINGS, &to_client, NULL,
			&to_server, NULL, NULL);
		assert_false(GSS_ERROR(cmaj));
		gss_release_buffer(&minor, &to_client);
		if (to_server.length == 0)
			break;
		smaj = gss_accept_sec_context(
			&minor, &p->server, scred, &to_server,
			GSS_C_NO_CHANNEL_BINDINGS, NULL, NULL, &to_client,
			NULL, NULL, NULL);
		assert_false(GSS_ERROR(smaj));
		gss_release_buffer(&minor, &to_server);
	}
	assert_int_equal(cmaj, GSS_S_COMPLETE);
	assert_int_equal(smaj, GSS_S_COMPLETE);
	gss_release_buffer(&minor, &to_client);
	gss_release_name(&minor, &user);
	gss_release_name(&minor, &target);
	gss_release_cred(&minor, &ccred);
	gss_release_cred(&minor, &scred);
	*state = p;
	return 0;
}

static int teardown_pair(void **state)
{
	struct pair *p = *state;
	OM_uint32 minor;
	gss_delete_sec_context(&minor, &p->client, GSS_C_NO_BUFFER);
	gss_delete_sec_context(&minor, &p->server, GSS_C_NO_BUFFER);
	unlink(p->keyfile);
	rmdir(p->dir);
	free(p);
	return 0;
}

static const char ENVELOPE[] =
	"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">"
	"<s:Body>SetDPMaintenanceMode</s:Body></s:Envelope>";
#define UTF8 "application/soap+xml;charset=UTF-8"

/* One message from one end to the other, as it travels. */
static enum seal_error send_one(gss_ctx_id_t from, gss_ctx_id_t to,
				const char *msg, struct buf *plain,
				char *type)
{
	struct buf wire;
	buf_init(&wire, 0);
	assert_int_equal(seal_body(from, UTF8, msg, strlen(msg), &wire),
			 SEAL_OK);
	enum seal_error e = unseal_body(to, SEALED_CONTENT_TYPE, buf_ptr(&wire),
					buf_len(&wire), plain, type, 128, NULL);
	buf_free(&wire);
	return e;
}

static void test_both_ways(void **state)
{
	struct pair *p = *state;
	char type[128];
	for (int i = 0; i < 3; i++) {
		struct buf plain;
		buf_init(&plain, 0);
		assert_int_equal(send_one(p->client, p->server, ENVELOPE,
					  &plain, type),
				 SEAL_OK);
		assert_string_equal(buf_ptr(&plain), ENVELOPE);
		assert_string_equal(type, UTF8);
		buf_reset(&plain);
		assert_int_equal(send_one(p->server, p->client, "<answer/>",
					  &plain, type),
				 SEAL_OK);
		assert_string_equal(buf_ptr(&plain), "<answer/>");
		buf_free(&plain);
	}
}

/* What travels is not the envelope, and opens with an NTLM signature
 * (version 1) where the framing says the signature is. */
static void test_wire_is_sealed(void **state)
{
	struct pair *p = *state;
	struct buf wire;
	buf_init(&wire, 0);
	assert_int_equal(seal_body(p->client, UTF8, ENVELOPE,
				   strlen(ENVELOPE), &wire),
			 SEAL_OK);
	assert_null(memmem(buf_ptr(&wire), buf_len(&wire), "Envelope", 8));
	struct sealed_message m;
	assert_int_equal(sealed_parse(SEALED_CONTENT_TYPE, buf_ptr(&wire),
				      buf_len(&wire), &m),
			 SEALED_OK);
	assert_int_equal(m.signature_len, 16);
	assert_memory_equal(m.signature, "\x01\x00\x00\x00", 4);
	assert_int_equal(m.sealed_len, strlen(ENVELOPE));
	assert_int_equal(m.length, strlen(ENVELOPE));
	struct buf plain;
	buf_init(&plain, 0);
	char type[128];
	assert_int_equal(unseal_body(p->server, SEALED_CONTENT_TYPE,
				     buf_ptr(&wire), buf_len(&wire), &plain,
				     type, sizeof type, NULL),
			 SEAL_OK);
	buf_free(&plain);
	buf_free(&wire);
}

/* A changed byte of the sealed envelope: refused, nothing appended. */
static void test_tampered(void **state)
{
	struct pair *p = *state;
	struct buf wire, plain;
	buf_init(&wire, 0);
	buf_init(&plain, 0);
	assert_int_equal(seal_body(p->client, UTF8, ENVELOPE,
				   strlen(ENVELOPE), &wire),
			 SEAL_OK);
	wire.data[buf_len(&wire) - 30] ^= 0x01;
	char type[128];
	assert_int_equal(unseal_body(p->server, SEALED_CONTENT_TYPE,
				     buf_ptr(&wire), buf_len(&wire), &plain,
				     type, sizeof type, NULL),
			 SEAL_E_TAMPERED);
	assert_int_equal(buf_len(&plain), 0);
	buf_free(&plain);
	buf_free(&wire);
}

/* The same message twice: its sequence number is spent. */
static void test_replayed(void **state)
{
	struct pair *p = *state;
	struct buf wire, plain;
	buf_init(&wire, 0);
	buf_init(&plain, 0);
	assert_int_equal(seal_body(p->client, UTF8, ENVELOPE,
				   strlen(ENVELOPE), &wire),
			 SEAL_OK);
	char type[128];
	assert_int_equal(unseal_body(p->server, SEALED_CONTENT_TYPE,
				     buf_ptr(&wire), buf_len(&wire), &plain,
				     type, sizeof type, NULL),
			 SEAL_OK);
	buf_reset(&plain);
	assert_int_equal(unseal_body(p->server, SEALED_CONTENT_TYPE,
				     buf_ptr(&wire), buf_len(&wire), &plain,
				     type, sizeof type, NULL),
			 SEAL_E_TAMPERED);
	assert_int_equal(buf_len(&plain), 0);
	buf_free(&plain);
	buf_free(&wire);
}

/* A body whose OriginalContent claims another Length. */
static void test_wrong_length(void **state)
{
	struct pair *p = *state;
	struct buf wire, plain;
	buf_init(&wire, 0);
	buf_init(&plain, 0);
	assert_int_equal(seal_body(p->client, UTF8, ENVELOPE,
				   strlen(ENVELOPE), &wire),
			 SEAL_OK);
	char want[32];
	snprintf(want, sizeof want, "Length=%zu", strlen(ENVELOPE));
	char *at = strstr(wire.data, want);
	assert_non_null(at);
	at[strlen(want) - 1] = at[strlen(want) - 1] == '0' ? '1' : '0';
	char type[128];
	assert_int_equal(unseal_body(p->server, SEALED_CONTENT_TYPE,
				     buf_ptr(&wire), buf_len(&wire), &plain,
				     type, sizeof type, NULL),
			 SEAL_E_LENGTH);
	assert_int_equal(buf_len(&plain), 0);
	buf_free(&plain);
	buf_free(&wire);
}

/* Framing errors come back as the framing's own. */
static void test_framing(void **state)
{
	struct pair *p = *state;
	struct buf plain;
	buf_init(&plain, 0);
	char type[128];
	enum sealed_error fe = SEALED_OK;
	assert_int_equal(unseal_body(p->server, UTF8, ENVELOPE,
				     strlen(ENVELOPE), &plain, type,
				     sizeof type, &fe),
			 SEAL_E_FRAMING);
	assert_int_equal(fe, SEALED_E_MEDIA_TYPE);
	buf_free(&plain);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_both_ways, setup_pair,
						teardown_pair),
		cmocka_unit_test_setup_teardown(test_wire_is_sealed,
						setup_pair, teardown_pair),
		cmocka_unit_test_setup_teardown(test_tampered, setup_pair,
						teardown_pair),
		cmocka_unit_test_setup_teardown(test_replayed, setup_pair,
						teardown_pair),
		cmocka_unit_test_setup_teardown(test_wrong_length, setup_pair,
						teardown_pair),
		cmocka_unit_test_setup_teardown(test_framing, setup_pair,
						teardown_pair),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
