/* sealed: the framing of an encrypted WS-Man body (see sealed.h). */
#include "sealed.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

const char *sealed_strerror(enum sealed_error e)
{
	switch (e) {
	case SEALED_OK:
		return "no error";
	case SEALED_E_MEDIA_TYPE:
		return "the Content-Type is not multipart/encrypted";
	case SEALED_E_PROTOCOL:
		return "the protocol is not " SEALED_PROTOCOL_SPNEGO;
	case SEALED_E_BOUNDARY:
		return "the Content-Type has no usable boundary";
	case SEALED_E_PART:
		return "a part does not open with the boundary";
	case SEALED_E_HEADER:
		return "the encrypted part's headers are not the protocol's "
		       "Content-Type and one OriginalContent";
	case SEALED_E_ORIGINAL:
		return "OriginalContent lacks a type or a numeric Length";
	case SEALED_E_STREAM_TYPE:
		return "the data part is not application/octet-stream";
	case SEALED_E_TRAILER:
		return "the body does not end with the closing boundary";
	case SEALED_E_SIGNATURE:
		return "the signature length runs past the data";
	case SEALED_E_NOMEM:
		return "out of memory";
	}
	return "unknown error";
}

/* A counted piece of text. */
struct span {
	const char *p;
	size_t n;
};

static bool span_is(struct span s, const char *lit)
{
	size_t n = strlen(lit);
	return s.n == n && strncasecmp(s.p, lit, n) == 0;
}

static struct span trim(struct span s)
{
	while (s.n && (*s.p == ' ' || *s.p == '\t')) {
		s.p++;
		s.n--;
	}
	while (s.n && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t'))
		s.n--;
	return s;
}

/* Cuts s at the first c: the part before into *head, s keeps the rest
 * (after c). False, with *head the whole of s, when there is no c. */
static bool cut(struct span *s, char c, struct span *head)
{
	const char *at = memchr(s->p, c, s->n);
	if (!at) {
		*head = *s;
		s->p += s->n;
		s->n = 0;
		return false;
	}
	head->p = s->p;
	head->n = (size_t)(at - s->p);
	s->n -= head->n + 1;
	s->p = at + 1;
	return true;
}

/* A parameter's value with its quotes taken off. */
static struct span unquote(struct span v)
{
	v = trim(v);
	if (v.n >= 2 && v.p[0] == '"' && v.p[v.n - 1] == '"') {
		v.p++;
		v.n -= 2;
	}
	return v;
}

/* The boundary of a multipart/encrypted Content-Type whose protocol is
 * SPNEGO's. */
static enum sealed_error read_content_type(const char *ct, struct span *bnd)
{
	if (!ct)
		return SEALED_E_MEDIA_TYPE;
	struct span rest = { ct, strlen(ct) }, item;
	bool more = cut(&rest, ';', &item);
	if (!span_is(trim(item), "multipart/encrypted"))
		return SEALED_E_MEDIA_TYPE;
	bool protocol = false;
	bnd->p = NULL;
	bnd->n = 0;
	while (more) {
		more = cut(&rest, ';', &item);
		struct span name;
		if (!cut(&item, '=', &name))
			continue;
		name = trim(name);
		struct span value = unquote(item);
		if (span_is(name, "protocol")) {
			if (!span_is(value, SEALED_PROTOCOL_SPNEGO))
				return SEALED_E_PROTOCOL;
			protocol = true;
		} else if (span_is(name, "boundary")) {
			*bnd = value;
		}
	}
	if (!protocol)
		return SEALED_E_PROTOCOL;
	/* RFC 2046: 1 to 70 characters. */
	if (bnd->n == 0 || bnd->n > 70)
		return SEALED_E_BOUNDARY;
	return SEALED_OK;
}

/* Consumes "--" boundary CRLF at the front of *s. */
static bool take_delimiter(struct span *s, struct span bnd)
{
	if (s->n < bnd.n + 4 || memcmp(s->p, "--", 2) != 0 ||
	    memcmp(s->p + 2, bnd.p, bnd.n) != 0 ||
	    memcmp(s->p + 2 + bnd.n, "\r\n", 2) != 0)
		return false;
	s->p += bnd.n + 4;
	s->n -= bnd.n + 4;
	return true;
}

/* Consumes one CRLF-terminated line of *s into *line (without CRLF). */
static bool take_line(struct span *s, struct span *line)
{
	for (size_t i = 0; i + 1 < s->n; i++) {
		if (s->p[i] == '\r' && s->p[i + 1] == '\n') {
			line->p = s->p;
			line->n = i;
			s->p += i + 2;
			s->n -= i + 2;
			return true;
		}
	}
	return false;
}

/* A header line "Name: value", indented or not. A control character
 * (a lone CR or LF among them) makes it no header: the type it carries
 * becomes a Content-Type further on. */
static bool header_line(struct span line, struct span *name,
			struct span *value)
{
	for (size_t i = 0; i < line.n; i++) {
		unsigned char c = (unsigned char)line.p[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return false;
	}
	line = trim(line);
	if (!cut(&line, ':', name))
		return false;
	*name = trim(*name);
	*value = trim(line);
	return name->n > 0;
}

/* "type=T;charset=C;Length=N" into out's original_type and length. */
static enum sealed_error read_original(struct span v,
				       struct sealed_message *out)
{
	bool have_type = false, have_length = false;
	size_t used = 0;
	struct span item;
	bool more = true;
	while (more) {
		more = cut(&v, ';', &item);
		struct span name;
		if (!cut(&item, '=', &name))
			return SEALED_E_ORIGINAL;
		name = trim(name);
		item = trim(item);
		if (span_is(name, "Length")) {
			if (have_length || item.n == 0 || item.n > 9)
				return SEALED_E_ORIGINAL;
			size_t n = 0;
			for (size_t i = 0; i < item.n; i++) {
				if (item.p[i] < '0' || item.p[i] > '9')
					return SEALED_E_ORIGINAL;
				n = n * 10 + (size_t)(item.p[i] - '0');
			}
			out->length = n;
			have_length = true;
			continue;
		}
		/* type= opens original_type; every other parameter
		 * (charset=) follows it as ";name=value". */
		bool is_type = span_is(name, "type");
		if (is_type == have_type || item.n == 0)
			return SEALED_E_ORIGINAL;
		int w = is_type ? snprintf(out->original_type + used,
					   sizeof out->original_type - used,
					   "%.*s", (int)item.n, item.p)
				: snprintf(out->original_type + used,
					   sizeof out->original_type - used,
					   ";%.*s=%.*s", (int)name.n, name.p,
					   (int)item.n, item.p);
		if (w < 0 || (size_t)w >= sizeof out->original_type - used)
			return SEALED_E_ORIGINAL;
		used += (size_t)w;
		have_type = true;
	}
	return have_type && have_length ? SEALED_OK : SEALED_E_ORIGINAL;
}

enum sealed_error sealed_parse(const char *content_type, const void *body,
			       size_t len, struct sealed_message *out)
{
	memset(out, 0, sizeof *out);
	struct span bnd;
	enum sealed_error e = read_content_type(content_type, &bnd);
	if (e != SEALED_OK)
		return e;

	struct span s = { body, len };
	if (!take_delimiter(&s, bnd))
		return SEALED_E_PART;

	/* The first part: its headers, up to the second delimiter. */
	bool have_ct = false, have_oc = false;
	for (;;) {
		struct span line, name, value;
		struct span peek = s;
		if (take_delimiter(&peek, bnd)) {
			s = peek;
			break;
		}
		if (!take_line(&s, &line))
			return SEALED_E_PART;
		if (!header_line(line, &name, &value))
			return SEALED_E_HEADER;
		if (span_is(name, "Content-Type") && !have_ct) {
			if (!span_is(value, SEALED_PROTOCOL_SPNEGO))
				return SEALED_E_PROTOCOL;
			have_ct = true;
		} else if (span_is(name, "OriginalContent") && !have_oc) {
			e = read_original(value, out);
			if (e != SEALED_OK)
				return e;
			have_oc = true;
		} else {
			return SEALED_E_HEADER;
		}
	}
	if (!have_ct || !have_oc)
		return SEALED_E_HEADER;

	/* The second part: one header, then the data to the closing
	 * delimiter, which must end the body. */
	struct span line, name, value;
	if (!take_line(&s, &line) || !header_line(line, &name, &value) ||
	    !span_is(name, "Content-Type") ||
	    !span_is(value, "application/octet-stream"))
		return SEALED_E_STREAM_TYPE;

	size_t close_n = bnd.n + 4;	/* "--" boundary "--" */
	if (s.n >= 2 && s.p[s.n - 2] == '\r' && s.p[s.n - 1] == '\n')
		s.n -= 2;
	if (s.n < close_n || memcmp(s.p + s.n - close_n, "--", 2) != 0 ||
	    memcmp(s.p + s.n - close_n + 2, bnd.p, bnd.n) != 0 ||
	    memcmp(s.p + s.n - 2, "--", 2) != 0)
		return SEALED_E_TRAILER;
	s.n -= close_n;

	const unsigned char *d = (const unsigned char *)s.p;
	if (s.n < 4)
		return SEALED_E_SIGNATURE;
	uint32_t siglen = (uint32_t)d[0] | (uint32_t)d[1] << 8 |
			  (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
	if (siglen == 0 || siglen > s.n - 4)
		return SEALED_E_SIGNATURE;
	out->signature = d + 4;
	out->signature_len = siglen;
	out->sealed = d + 4 + siglen;
	out->sealed_len = s.n - 4 - siglen;
	return SEALED_OK;
}

enum sealed_error sealed_build(struct buf *out, const char *original_type,
			       size_t plain_len, const void *signature,
			       size_t signature_len, const void *sealed,
			       size_t sealed_len)
{
	unsigned char le[4] = {
		(unsigned char)(signature_len & 0xff),
		(unsigned char)(signature_len >> 8 & 0xff),
		(unsigned char)(signature_len >> 16 & 0xff),
		(unsigned char)(signature_len >> 24 & 0xff),
	};
	buf_adds(out, "--Encrypted Boundary\r\n"
		      "\tContent-Type: " SEALED_PROTOCOL_SPNEGO "\r\n"
		      "\tOriginalContent: type=");
	buf_addf(out, "%s;Length=%zu\r\n", original_type, plain_len);
	buf_adds(out, "--Encrypted Boundary\r\n"
		      "\tContent-Type: application/octet-stream\r\n");
	buf_add(out, le, sizeof le);
	buf_add(out, signature, signature_len);
	buf_add(out, sealed, sealed_len);
	buf_adds(out, "--Encrypted Boundary--\r\n");
	return buf_error(out) ? SEALED_E_NOMEM : SEALED_OK;
}
