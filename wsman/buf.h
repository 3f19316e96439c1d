/* buf: a growable byte buffer with a size cap and a sticky failure flag.
 *
 * Writers append freely and check buf_failed() once at the end, which keeps
 * template-style response code linear. The struct is visible so it can live
 * on the stack, but its members are owned by these functions: read them only
 * through buf_ptr()/buf_len().
 */
#ifndef DPSIM_WSMAN_BUF_H
#define DPSIM_WSMAN_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
	size_t cap;
	size_t limit;	/* 0 = unbounded */
	int error;	/* 0, -ENOMEM or -E2BIG; once set, appends are no-ops */
};

/* limit: the most bytes the buffer may ever hold (0 = no limit). */
void buf_init(struct buf *b, size_t limit);
/* Frees the storage; the buffer may be buf_init()ed again. */
void buf_free(struct buf *b);
/* Empties the buffer and clears the error, keeping the allocation. */
void buf_reset(struct buf *b);

/* Each append returns 0, -ENOMEM, or -E2BIG when the limit would be passed;
 * after a failure the buffer keeps failing until buf_reset(). The content
 * is always NUL-terminated (the NUL is not counted in the length). */
int buf_add(struct buf *b, const void *p, size_t n);
int buf_adds(struct buf *b, const char *s);
int buf_addf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int buf_vaddf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Appends s with & < > " ' escaped for XML text and attribute values.
 * Characters XML 1.0 cannot carry (C0 controls but tab/CR/LF) become '?'. */
int buf_add_xml(struct buf *b, const char *s);
int buf_add_xmln(struct buf *b, const char *s, size_t n);

static inline const char *buf_ptr(const struct buf *b) { return b->data ? b->data : ""; }
static inline size_t buf_len(const struct buf *b) { return b->len; }
static inline int buf_error(const struct buf *b) { return b->error; }
/* Cuts the content back to len bytes (len <= buf_len), e.g. to drop an
 * enumeration item that would overflow MaxEnvelopeSize. */
static inline void buf_truncate(struct buf *b, size_t len)
{
	if (b->data && len <= b->len) {
		b->len = len;
		b->data[len] = '\0';
	}
}

/* Hands the storage to the caller (free() it) and re-initialises b with the
 * same limit. Returns NULL if the buffer failed; *len may be NULL. */
char *buf_take(struct buf *b, size_t *len);

#endif
