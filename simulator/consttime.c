/* consttime: secret comparisons (see consttime.h). */
#include "consttime.h"

#include <string.h>

/* The differences are OR-ed together and looked at once, after the loop:
 * there is no branch on a secret byte for the compiler to turn into an
 * early exit. */
bool consttime_memeq(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	unsigned char diff = 0;

	for (size_t i = 0; i < n; i++)
		diff |= (unsigned char)(x[i] ^ y[i]);
	return diff == 0;
}

bool consttime_streq(const char *known, const char *given)
{
	size_t kl = strlen(known), gl = strlen(given);
	unsigned char diff = (unsigned char)(kl != gl);

	for (size_t i = 0; i < gl; i++)
		diff |= (unsigned char)((unsigned char)given[i] ^
					(unsigned char)known[kl ? i % kl : 0]);
	return diff == 0;
}
