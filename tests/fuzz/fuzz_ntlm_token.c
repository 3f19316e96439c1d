/* fuzz_ntlm_token: the NTLM reader dpsim runs on a client's Negotiate
 * token before GSSAPI sees it (simulator/negotiate.c,
 * negotiate_token_user): the user name of an AUTHENTICATE message, bare
 * or inside SPNEGO, for log lines and the journal.
 *
 * An input is the decoded token. Contracts beyond the sanitizers: the
 * name is NUL-terminated within the room given, valid UTF-8 without
 * control characters (it goes into log lines), empty exactly when the
 * call says false; a smaller room never yields a longer name, and the
 * name it yields is the same one or none. Seeds:
 * tests/fuzz/corpus/ntlm_token/. */
#include "fuzz_common.h"
#include "negotiate.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* Whether s is UTF-8 without C0 controls or DEL. */
static bool clean_utf8(const unsigned char *s)
{
	while (*s) {
		unsigned c = *s, n = c < 0x80 ? 0 : c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : 1;
		if (c < 0x20 || c == 0x7F || (c >= 0x80 && c < 0xC2) || c > 0xF4)
			return false;
		s++;
		for (unsigned i = 0; i < n; i++, s++)
			if ((*s & 0xC0) != 0x80)
				return false;
	}
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char big[256], small[16];

	memset(big, 'x', sizeof(big));
	bool ok = negotiate_token_user(data, size, big, sizeof(big));
	size_t n = strnlen(big, sizeof(big));
	FUZZ_CHECK(n < sizeof(big));
	FUZZ_CHECK(ok == (n > 0));
	FUZZ_CHECK(clean_utf8((const unsigned char *)big));

	bool ok2 = negotiate_token_user(data, size, small, sizeof(small));
	size_t n2 = strnlen(small, sizeof(small));
	FUZZ_CHECK(n2 < sizeof(small));
	FUZZ_CHECK(ok2 == (n2 > 0));
	FUZZ_CHECK(!ok2 || (ok && strcmp(small, big) == 0));
	return 0;
}
