/* fuzz_sealed: the framing of an encrypted WS-Man body (wsman/sealed.c),
 * the first thing dpsim reads of a sealed request, before any key is
 * used.
 *
 * An input is a Content-Type header, a newline, then the body:
 *
 *   multipart/encrypted;protocol="...";boundary="Encrypted Boundary"
 *   --Encrypted Boundary\r\n ...
 *
 * Contracts checked beyond the sanitizers: sealed_strerror() names every
 * result; on SEALED_OK the signature and the sealed envelope lie inside
 * the body, one after the other, the signature is not empty, and
 * original_type is a NUL-terminated line; and building those pieces
 * again with sealed_build() parses back to the same pieces (what dpsim
 * reads is what it would write). Seeds: tests/fuzz/corpus/sealed/. */
#include "fuzz_common.h"
#include "sealed.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	if (!nl)
		return 0;
	char *ct = fuzz_strndup(data, (size_t)(nl - data));
	if (!ct)
		return 0;
	const uint8_t *body = nl + 1;
	size_t len = size - (size_t)(body - data);

	struct sealed_message m;
	enum sealed_error e = sealed_parse(ct, body, len, &m);
	FUZZ_CHECK(fuzz_touch(sealed_strerror(e)) > 0);
	if (e == SEALED_OK) {
		FUZZ_CHECK(m.signature_len > 0);
		FUZZ_CHECK(m.signature >= body && m.signature < body + len);
		FUZZ_CHECK(m.sealed == m.signature + m.signature_len);
		FUZZ_CHECK(m.sealed + m.sealed_len <= body + len);
		size_t tn = strnlen(m.original_type, sizeof m.original_type);
		FUZZ_CHECK(tn > 0 && tn < sizeof m.original_type);
		FUZZ_CHECK(!strpbrk(m.original_type, "\r\n"));

		struct buf b;
		buf_init(&b, 0);
		FUZZ_CHECK(sealed_build(&b, m.original_type, m.length,
					m.signature, m.signature_len, m.sealed,
					m.sealed_len) == SEALED_OK);
		struct sealed_message again;
		FUZZ_CHECK(sealed_parse(SEALED_CONTENT_TYPE, buf_ptr(&b),
					buf_len(&b), &again) == SEALED_OK);
		FUZZ_CHECK(strcmp(again.original_type, m.original_type) == 0);
		FUZZ_CHECK(again.length == m.length);
		FUZZ_CHECK(again.signature_len == m.signature_len &&
			   memcmp(again.signature, m.signature,
				  m.signature_len) == 0);
		FUZZ_CHECK(again.sealed_len == m.sealed_len &&
			   memcmp(again.sealed, m.sealed, m.sealed_len) == 0);
		buf_free(&b);
	}
	free(ct);
	return 0;
}
