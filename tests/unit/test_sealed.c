/* Unit tests for wsman/sealed.c: the framing of an encrypted WS-Man body
 * (MS-WSMV 2.2.9.1), parsed and built, and every way a body can be off. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sealed.h"

static const unsigned char SIG[16] = {
	0x01, 0x00, 0x00, 0x00, 0xa1, 0xb2, 0xc3, 0xd4,
	0xe5, 0xf6, 0x07, 0x18, 0x00, 0x00, 0x00, 0x00,
};
/* Sealed bytes may hold anything, the boundary's own text, CRLFs and
 * NULs included: the parser must find the end from the end. */
static const char SEALED[] = "\r\n--Encrypted Boundary\r\n\0\xff\x80 x";

static void build(struct buf *b, const char *type, size_t plain_len)
{
	buf_init(b, 0);
	assert_int_equal(sealed_build(b, type, plain_len, SIG, sizeof SIG,
				      SEALED, sizeof SEALED - 1),
			 SEALED_OK);
}

/* What sealed_build() writes is the layout pywinrm, pypsrp and OMI
 * write, byte for byte. */
static void test_build_layout(void **state)
{
	(void)state;
	struct buf b;
	build(&b, "application/soap+xml;charset=UTF-8", 1234);
	const char head[] =
		"--Encrypted Boundary\r\n"
		"\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
		"\tOriginalContent: type=application/soap+xml;charset=UTF-8;"
		"Length=1234\r\n"
		"--Encrypted Boundary\r\n"
		"\tContent-Type: application/octet-stream\r\n"
		"\x10\x00\x00\x00";
	size_t hn = sizeof head - 1;
	assert_true(buf_len(&b) == hn + sizeof SIG + sizeof SEALED - 1 +
					   strlen("--Encrypted Boundary--\r\n"));
	assert_memory_equal(buf_ptr(&b), head, hn);
	assert_memory_equal(buf_ptr(&b) + hn, SIG, sizeof SIG);
	assert_memory_equal(buf_ptr(&b) + hn + sizeof SIG, SEALED,
			    sizeof SEALED - 1);
	assert_string_equal(buf_ptr(&b) + buf_len(&b) - 24,
			    "--Encrypted Boundary--\r\n");
	buf_free(&b);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct buf b;
	build(&b, "application/soap+xml;charset=UTF-16", 77);
	struct sealed_message m;
	assert_int_equal(sealed_parse(SEALED_CONTENT_TYPE, buf_ptr(&b),
				      buf_len(&b), &m),
			 SEALED_OK);
	assert_string_equal(m.original_type,
			    "application/soap+xml;charset=UTF-16");
	assert_int_equal(m.length, 77);
	assert_int_equal(m.signature_len, 16);
	assert_memory_equal(m.signature, SIG, 16);
	assert_int_equal(m.sealed_len, sizeof SEALED - 1);
	assert_memory_equal(m.sealed, SEALED, sizeof SEALED - 1);
	buf_free(&b);
}

/* Variants real clients write: spaces after ';', an unquoted boundary,
 * header names in another case, part headers not indented, no CRLF
 * after the closing delimiter. */
static void test_accepted_variants(void **state)
{
	(void)state;
	static const char body[] =
		"--B1\r\n"
		"content-type: application/HTTP-SPNEGO-session-encrypted\r\n"
		"originalcontent: type=application/soap+xml; charset=UTF-8; "
		"Length=5\r\n"
		"--B1\r\n"
		"  Content-Type: application/octet-stream\r\n"
		"\x02\x00\x00\x00SGdata"
		"--B1--";
	struct sealed_message m;
	assert_int_equal(
		sealed_parse("Multipart/Encrypted; boundary=B1; protocol="
			     "\"application/HTTP-SPNEGO-session-encrypted\"",
			     body, sizeof body - 1, &m),
		SEALED_OK);
	assert_string_equal(m.original_type,
			    "application/soap+xml;charset=UTF-8");
	assert_int_equal(m.length, 5);
	assert_int_equal(m.signature_len, 2);
	assert_memory_equal(m.signature, "SG", 2);
	assert_int_equal(m.sealed_len, 4);
	assert_memory_equal(m.sealed, "data", 4);
}

static void test_content_type_refused(void **state)
{
	(void)state;
	struct buf b;
	build(&b, "application/soap+xml;charset=UTF-8", 1);
	struct sealed_message m;
	const char *p = buf_ptr(&b);
	size_t n = buf_len(&b);
	assert_int_equal(sealed_parse(NULL, p, n, &m), SEALED_E_MEDIA_TYPE);
	assert_int_equal(sealed_parse("application/soap+xml;charset=UTF-8",
				      p, n, &m),
			 SEALED_E_MEDIA_TYPE);
	assert_int_equal(sealed_parse("multipart/encrypted;boundary=\""
				      "Encrypted Boundary\"",
				      p, n, &m),
			 SEALED_E_PROTOCOL);
	assert_int_equal(
		sealed_parse("multipart/encrypted;protocol=\"application/"
			     "HTTP-Kerberos-session-encrypted\";boundary="
			     "\"Encrypted Boundary\"",
			     p, n, &m),
		SEALED_E_PROTOCOL);
	assert_int_equal(
		sealed_parse("multipart/encrypted;protocol=\"" SEALED_PROTOCOL_SPNEGO
			     "\"",
			     p, n, &m),
		SEALED_E_BOUNDARY);
	assert_int_equal(
		sealed_parse("multipart/encrypted;protocol=\"" SEALED_PROTOCOL_SPNEGO
			     "\";boundary=\"\"",
			     p, n, &m),
		SEALED_E_BOUNDARY);
	/* A boundary other than the body's. */
	assert_int_equal(
		sealed_parse("multipart/encrypted;protocol=\"" SEALED_PROTOCOL_SPNEGO
			     "\";boundary=Other",
			     p, n, &m),
		SEALED_E_PART);
	buf_free(&b);
}

/* One body with one thing wrong each, and what the parser calls it. */
static void test_framing_refused(void **state)
{
	(void)state;
#define B(s) s, sizeof s - 1
	static const struct {
		const char *body;
		size_t len;	/* bodies hold NULs: not strlen() */
		enum sealed_error want;
	} cases[] = {
		{ B(""),
		  SEALED_E_PART },
		{ B("Encrypted Boundary\r\n"),
		  SEALED_E_PART },
		/* No second delimiter. */
		{ B("--Encrypted Boundary\r\n"
		  "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"),
		  SEALED_E_PART },
		/* The first part names another protocol. */
		{ B("--Encrypted Boundary\r\n"
		  "\tContent-Type: application/octet-stream\r\n"
		  "\tOriginalContent: type=a/b;Length=1\r\n"
		  "--Encrypted Boundary\r\n"),
		  SEALED_E_PROTOCOL },
		/* No OriginalContent. */
		{ B("--Encrypted Boundary\r\n"
		  "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
		  "--Encrypted Boundary\r\n"),
		  SEALED_E_HEADER },
		/* A header the protocol does not have. */
		{ B("--Encrypted Boundary\r\n"
		  "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
		  "\tX-Other: 1\r\n"
		  "\tOriginalContent: type=a/b;Length=1\r\n"
		  "--Encrypted Boundary\r\n"),
		  SEALED_E_HEADER },
		/* A lone LF or another control character in a header. */
		{ B("--Encrypted Boundary\r\n"
		  "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
		  "\tOriginalContent: type=a/b\nX-Injected: 1;Length=1\r\n"
		  "--Encrypted Boundary\r\n"),
		  SEALED_E_HEADER },
		{ B("--Encrypted Boundary\r\n"
		  "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
		  "\tOriginalContent: type=a/b\x01;Length=1\r\n"
		  "--Encrypted Boundary\r\n"),
		  SEALED_E_HEADER },
		/* OriginalContent twice. */
		{ B("--Encrypted Boundary\r\n"
		  "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
		  "\tOriginalContent: type=a/b;Length=1\r\n"
		  "\tOriginalContent: type=a/b;Length=1\r\n"
		  "--Encrypted Boundary\r\n"),
		  SEALED_E_HEADER },
		/* Length missing, not a number, negative, too long. */
		{ B("--Encrypted Boundary\r\n"
		  "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
		  "\tOriginalContent: type=a/b;charset=UTF-8\r\n"
		  "--Encrypted Boundary\r\n"),
		  SEALED_E_ORIGINAL },
		{ B("--Encrypted Boundary\r\n"
		  "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
		  "\tOriginalContent: type=a/b;Length=12x\r\n"
		  "--Encrypted Boundary\r\n"),
		  SEALED_E_ORIGINAL },
		{ B("--Encrypted Boundary\r\n"
		  "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
		  "\tOriginalContent: type=a/b;Length=-1\r\n"
		  "--Encrypted Boundary\r\n"),
		  SEALED_E_ORIGINAL },
		{ B("--Encrypted Boundary\r\n"
		  "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
		  "\tOriginalContent: type=a/b;Length=99999999999\r\n"
		  "--Encrypted Boundary\r\n"),
		  SEALED_E_ORIGINAL },
		/* No type. */
		{ B("--Encrypted Boundary\r\n"
		  "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
		  "\tOriginalContent: charset=UTF-8;Length=1\r\n"
		  "--Encrypted Boundary\r\n"),
		  SEALED_E_ORIGINAL },
		/* The data part is not octet-stream. */
		{ B("--Encrypted Boundary\r\n"
		  "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
		  "\tOriginalContent: type=a/b;Length=1\r\n"
		  "--Encrypted Boundary\r\n"
		  "\tContent-Type: text/plain\r\n"
		  "\x01\x00\x00\x00SX--Encrypted Boundary--\r\n"),
		  SEALED_E_STREAM_TYPE },
		/* No closing delimiter, or one that is not at the end. */
		{ B("--Encrypted Boundary\r\n"
		  "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
		  "\tOriginalContent: type=a/b;Length=1\r\n"
		  "--Encrypted Boundary\r\n"
		  "\tContent-Type: application/octet-stream\r\n"
		  "\x01\x00\x00\x00SX"),
		  SEALED_E_TRAILER },
		{ B("--Encrypted Boundary\r\n"
		  "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
		  "\tOriginalContent: type=a/b;Length=1\r\n"
		  "--Encrypted Boundary\r\n"
		  "\tContent-Type: application/octet-stream\r\n"
		  "\x01\x00\x00\x00SX--Encrypted Boundary--\r\nmore"),
		  SEALED_E_TRAILER },
		/* Signature length past the data, zero, data too short. */
		{ B("--Encrypted Boundary\r\n"
		  "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
		  "\tOriginalContent: type=a/b;Length=1\r\n"
		  "--Encrypted Boundary\r\n"
		  "\tContent-Type: application/octet-stream\r\n"
		  "\x10\x00\x00\x00SX--Encrypted Boundary--\r\n"),
		  SEALED_E_SIGNATURE },
		{ B("--Encrypted Boundary\r\n"
		  "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
		  "\tOriginalContent: type=a/b;Length=1\r\n"
		  "--Encrypted Boundary\r\n"
		  "\tContent-Type: application/octet-stream\r\n"
		  "\x00\x00\x00\x00SX--Encrypted Boundary--\r\n"),
		  SEALED_E_SIGNATURE },
		{ B("--Encrypted Boundary\r\n"
		  "\tContent-Type: application/HTTP-SPNEGO-session-encrypted\r\n"
		  "\tOriginalContent: type=a/b;Length=1\r\n"
		  "--Encrypted Boundary\r\n"
		  "\tContent-Type: application/octet-stream\r\n"
		  "\x01\x00--Encrypted Boundary--\r\n"),
		  SEALED_E_SIGNATURE },
	};
#undef B
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct sealed_message m;
		enum sealed_error got =
			sealed_parse(SEALED_CONTENT_TYPE, cases[i].body,
				     cases[i].len, &m);
		if (got != cases[i].want)
			fail_msg("case %zu: got %s, want %s", i,
				 sealed_strerror(got),
				 sealed_strerror(cases[i].want));
	}
}

/* Every error has its own sentence. */
static void test_strerror(void **state)
{
	(void)state;
	for (int e = SEALED_E_MEDIA_TYPE; e <= SEALED_E_NOMEM; e++) {
		const char *s = sealed_strerror((enum sealed_error)e);
		assert_string_not_equal(s, "unknown error");
		for (int f = SEALED_OK; f < e; f++)
			assert_string_not_equal(
				s, sealed_strerror((enum sealed_error)f));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_build_layout),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_accepted_variants),
		cmocka_unit_test(test_content_type_refused),
		cmocka_unit_test(test_framing_refused),
		cmocka_unit_test(test_strerror),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
