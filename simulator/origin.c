#include "origin.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Splits "name", "name:port" or "[v6]:port" into the host (brackets
 * removed) and the port (def when absent). False when malformed. */
static bool split_host(const char *s, size_t len, char *host, size_t hostsize,
		       unsigned *port, unsigned def)
{
	const char *end = s + len, *colon = NULL, *h = s;
	size_t hlen;

	if (!len)
		return false;
	if (*s == '[') {
		const char *close = memchr(s, ']', len);
		if (!close)
			return false;
		h = s + 1;
		hlen = (size_t)(close - h);
		if (close + 1 < end) {
			if (close[1] != ':')
				return false;
			colon = close + 1;
		}
	} else {
		colon = memchr(s, ':', len);
		hlen = colon ? (size_t)(colon - s) : len;
		/* A bare IPv6 address is not a Host header. */
		if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1)))
			return false;
	}
	if (!hlen || hlen >= hostsize)
		return false;
	memcpy(host, h, hlen);
	host[hlen] = '\0';
	*port = def;
	if (colon) {
		unsigned long p = 0;
		const char *d = colon + 1;
		if (d == end || end - d > 5)
			return false;
		for (; d < end; d++) {
			if (!isdigit((unsigned char)*d))
				return false;
			p = p * 10 + (unsigned)(*d - '0');
		}
		if (p == 0 || p > 65535)
			return false;
		*port = (unsigned)p;
	}
	return true;
}

static bool ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

static bool is_loopback_name(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;

	/* RFC 6761: localhost and names under it are loopback, and
	 * browsers resolve them so without asking DNS. */
	if (!strcasecmp(host, "localhost") || ends_with_ci(host, ".localhost"))
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (inet_pton(AF_INET6, host, &a6) == 1)
		return IN6_IS_ADDR_LOOPBACK(&a6) ||
		       (IN6_IS_ADDR_V4MAPPED(&a6) && a6.s6_addr[12] == 127);
	return false;
}

bool origin_host_allowed(const char *host, const char *const *allowed,
			 size_t nallowed)
{
	char name[256];
	unsigned port;

	if (!host || !split_host(host, strlen(host), name, sizeof(name), &port, 0))
		return false;
	if (is_loopback_name(name))
		return true;
	for (size_t i = 0; i < nallowed; i++)
		if (!strcasecmp(name, allowed[i]))
			return true;
	return false;
}

bool origin_is_same(const char *origin, const char *scheme, const char *host)
{
	char oname[256], hname[256];
	unsigned oport, hport, def = strcmp(scheme, "https") ? 80 : 443;
	size_t slen = strlen(scheme);

	if (!origin || !host)
		return false;
	/* scheme "://" host [":" port], nothing after (RFC 6454). */
	if (strncasecmp(origin, scheme, slen) || strncmp(origin + slen, "://", 3))
		return false;
	origin += slen + 3;
	if (!split_host(origin, strlen(origin), oname, sizeof(oname), &oport, def) ||
	    !split_host(host, strlen(host), hname, sizeof(hname), &hport, def))
		return false;
	return oport == hport && !strcasecmp(oname, hname);
}

bool origin_simple_content_type(const char *ct)
{
	static const char *const simple[] = {
		"text/plain", "application/x-www-form-urlencoded",
		"multipart/form-data",
	};

	if (!ct)
		return true;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	size_t n = strcspn(ct, "; \t");
	if (!n)
		return true;
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
		if (strlen(simple[i]) == n && !strncasecmp(ct, simple[i], n))
			return true;
	return false;
}
