/* num: strict whole numbers (see num.h). */
#include "num.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

static int digit_value(char c, unsigned base)
{
	unsigned d;

	if (c >= '0' && c <= '9')
		d = (unsigned)(c - '0');
	else if (base == 16 && c >= 'a' && c <= 'f')
		d = (unsigned)(c - 'a' + 10);
	else if (base == 16 && c >= 'A' && c <= 'F')
		d = (unsigned)(c - 'A' + 10);
	else
		return -1;
	return (int)d;
}

int num_parse_u64(const char *s, unsigned base, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	bool over = false;

	if (!s || !*s || (base != 10 && base != 16))
		return -EINVAL;
	/* Every character is checked before the range, so "99999999999x"
	 * is a syntax error, not an overflow. */
	for (; *s; s++) {
		int d = digit_value(*s, base);

		if (d < 0)
			return -EINVAL;
		if (over)
			continue;
		if (v > (UINT64_MAX - (unsigned)d) / base)
			over = true;
		else
			v = v * base + (unsigned)d;
	}
	if (over || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int num_parse_dec(const char *s, uint64_t max, uint64_t *out)
{
	return num_parse_u64(s, 10, max, out);
}
