/* buf: growable byte buffer with a cap and a sticky error (see buf.h). */
#include "buf.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t limit)
{
	b->data = NULL;
	b->len = 0;
	b->cap = 0;
	b->limit = limit;
	b->error = 0;
}

void buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b, b->limit);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->error = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* Makes room for n more bytes plus the terminating NUL. The limit counts
 * content bytes only, so a buffer with limit L may hold exactly L bytes. */
static int buf_reserve(struct buf *b, size_t n)
{
	size_t need, cap;
	char *p;

	if (b->error)
		return b->error;
	if (n > SIZE_MAX - 1 - b->len ||
	    (b->limit && b->len + n > b->limit)) {
		b->error = -E2BIG;
		return b->error;
	}
	need = b->len + n + 1;
	if (need <= b->cap)
		return 0;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	/* Never allocate much past the cap: a limited buffer stays small. */
	if (b->limit && cap > b->limit + 1)
		cap = b->limit + 1 > need ? b->limit + 1 : need;
	p = realloc(b->data, cap);
	if (!p) {
		b->error = -ENOMEM;
		return b->error;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

int buf_add(struct buf *b, const void *p, size_t n)
{
	int r = buf_reserve(b, n);

	if (r)
		return r;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n, r;

	if (b->error)
		return b->error;
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0) {
		/* Only a bad format or wide-char conversion gets here. */
		b->error = -EINVAL;
		return b->error;
	}
	r = buf_reserve(b, (size_t)n);
	if (r)
		return r;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int r;

	va_start(ap, fmt);
	r = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return r;
}

static const char *xml_entity(unsigned char c)
{
	switch (c) {
	case '&': return "&amp;";
	case '<': return "&lt;";
	case '>': return "&gt;";
	case '"': return "&quot;";
	case '\'': return "&apos;";
	default: return NULL;
	}
}

static bool xml_forbidden(unsigned char c)
{
	return c < 0x20 && c != '\t' && c != '\r' && c != '\n';
}

int buf_add_xmln(struct buf *b, const char *s, size_t n)
{
	size_t i, run = 0;
	int r;

	/* Copy unescaped runs in one go: most text has nothing to escape. */
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *ent = xml_entity(c);

		if (!ent && !xml_forbidden(c))
			continue;
		r = buf_add(b, s + run, i - run);
		if (r)
			return r;
		r = ent ? buf_adds(b, ent) : buf_add(b, "?", 1);
		if (r)
			return r;
		run = i + 1;
	}
	return buf_add(b, s + run, n - run);
}

int buf_add_xml(struct buf *b, const char *s)
{
	return buf_add_xmln(b, s, strlen(s));
}

char *buf_take(struct buf *b, size_t *len)
{
	char *p;

	/* An untouched buffer still hands back a real (empty) string. */
	if (!b->error && !b->data && !buf_reserve(b, 0))
		b->data[0] = '\0';
	if (b->error) {
		/* Drop the storage but keep the error so the caller can still
		 * ask buf_error() why; buf_free() afterwards stays harmless. */
		free(b->data);
		b->data = NULL;
		b->len = 0;
		b->cap = 0;
		if (len)
			*len = 0;
		return NULL;
	}
	p = b->data;
	if (len)
		*len = b->len;
	buf_init(b, b->limit);
	return p;
}
