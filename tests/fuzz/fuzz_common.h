/* fuzz_common: what every libFuzzer target in tests/fuzz shares.
 *
 * A target is a program main() that libFuzzer provides: it calls
 * LLVMFuzzerInitialize once, then LLVMFuzzerTestOneInput per input. The
 * code under test must never crash, leak or trip a sanitizer on any input;
 * FUZZ_CHECK adds the header contracts (what a caller may rely on) as
 * further crash conditions, so a broken promise is found like a crash.
 */
#ifndef DPSIM_FUZZ_COMMON_H
#define DPSIM_FUZZ_COMMON_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xmlerror.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A broken contract: say which, then abort so libFuzzer saves the input. */
#define FUZZ_CHECK(cond)                                                  \
	do {                                                              \
		if (!(cond)) {                                            \
			fprintf(stderr, "%s:%d: contract broken: %s\n",   \
				__FILE__, __LINE__, #cond);               \
			abort();                                          \
		}                                                         \
	} while (0)

/* Reads every byte of s up to its NUL, so ASan flags a dangling or
 * unterminated string the code under test handed back. */
static inline size_t fuzz_touch(const char *s)
{
	return s ? strlen(s) : 0;
}

static void fuzz_xml_quiet(void *ctx, const char *msg, ...)
{
	(void)ctx;
	(void)msg;
}

/* The program-level libxml2 set-up dpsim's main() does, minus the noise:
 * a parser that falls back to the generic handler would print an error per
 * input and slow the run down to the speed of the terminal. */
static inline void fuzz_xml_init(void)
{
	xmlInitParser();
	xmlSetGenericErrorFunc(NULL, fuzz_xml_quiet);
}

/* data as a NUL-terminated string: inputs may hold NULs, APIs take C
 * strings, so the string ends at the first NUL. Caller frees. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

#endif
