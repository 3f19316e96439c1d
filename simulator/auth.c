#include "auth.h"

#include <string.h>
#include <strings.h>

/* RFC 4648 base64 decode into out (NUL-terminated). Returns the decoded
 * length or -1 on a malformed input or when out is too small. */
static long base64_decode(const char *in, char *out, size_t outsize)
{
	unsigned acc = 0;
	int bits = 0;
	size_t n = 0, pad = 0;

	for (; *in; in++) {
		unsigned char c = (unsigned char)*in;
		int v;
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+')
			v = 62;
		else if (c == '/')
			v = 63;
		else if (c == '=') {
			pad++;
			continue;
		} else
			return -1;
		if (pad)
			return -1;	/* data after padding */
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= outsize)
				return -1;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	if (pad > 2)
		return -1;
	out[n] = '\0';
	return (long)n;
}

/* Compares in time that depends only on the lengths, so a wrong password
 * does not reveal how much of it was right. */
static bool equal_const_time(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = (unsigned char)(la != lb);
	for (size_t i = 0; i < la; i++)
		diff |= (unsigned char)(a[i] ^ b[lb ? i % lb : 0]);
	return diff == 0;
}

const struct fixture_user *auth_basic(const struct fixture *fx,
				      const char *authorization)
{
	char decoded[512];

	if (!authorization || strncasecmp(authorization, "Basic ", 6) != 0)
		return NULL;
	const char *b64 = authorization + 6;
	while (*b64 == ' ')
		b64++;
	long len = base64_decode(b64, decoded, sizeof(decoded));
	if (len < 0 || (size_t)len != strlen(decoded))
		return NULL;	/* malformed, or a NUL inside the credentials */
	char *colon = strchr(decoded, ':');
	if (!colon)
		return NULL;
	*colon = '\0';
	const char *name = decoded, *pass = colon + 1;

	const struct fixture_user *found = NULL;
	for (size_t i = 0; i < fx->nusers; i++) {
		/* User names are case-insensitive, as Windows account names. */
		if (strcasecmp(fx->users[i].name, name) == 0)
			found = &fx->users[i];
	}
	/* Compare against something even for an unknown user, so response
	 * time does not tell which user names exist. */
	bool ok = equal_const_time(pass, found ? found->password : "\x01unknown-user");
	return found && ok ? found : NULL;
}

bool auth_role_can_modify(const char *role)
{
	return role && (strcasecmp(role, "Full Administrator") == 0 ||
			strcasecmp(role, "Infrastructure Administrator") == 0);
}
