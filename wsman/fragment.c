/* fragment: FragmentTransfer expressions (fragment.h). */
#include "fragment.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "vocab.h"

#define TEXT_FILTER "The WS-Management service cannot process the " \
	"fragment expression of the request."
#define TEXT_DIALECT "The WS-Management service does not support the " \
	"fragment dialect of the request."

static int refuse(struct wsman_fault *f, enum wsman_subcode sub,
		  uint32_t code, const char *fallback, char *buf, size_t size,
		  const char *fmt, ...) __attribute__((format(printf, 7, 8)));

static int refuse(struct wsman_fault *f, enum wsman_subcode sub,
		  uint32_t code, const char *fallback, char *buf, size_t size,
		  const char *fmt, ...)
{
	va_list ap;

	memset(f, 0, sizeof(*f));
	f->subcode = sub;
	f->code = code;
	f->reason = fallback;
	if (buf != NULL && size > 1) {
		va_start(ap, fmt);
		vsnprintf(buf, size, fmt, ap);
		va_end(ap);
		f->reason = buf;
	}
	return -EINVAL;
}

#define bad_path(...) \
	refuse(f, WSMAN_SUB_FRAGMENT_FILTER, WSMAN_CODE_INVALID_FRAGMENT_PATH, \
	       TEXT_FILTER, reason_buf, reason_size, __VA_ARGS__)

/* How much of expr a reason quotes: at most 200 bytes, never ending
 * inside a UTF-8 sequence (the text came through libxml2, so it is
 * valid UTF-8). */
static int shown(const char *expr)
{
	size_t n = strlen(expr);

	if (n <= 200)
		return (int)n;
	n = 200;
	while (n > 0 && ((unsigned char)expr[n] & 0xC0) == 0x80)
		n--;
	return (int)n;
}

static bool name_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool name_char(char c)
{
	return name_start(c) || (c >= '0' && c <= '9') || c == '-' || c == '.';
}

/* One location step [s, e): a name, optionally followed by [n] when
 * predicate_ok. 0, or a description of what is wrong with it. */
static const char *read_step(const char *s, const char *e, bool predicate_ok,
			     char *name, uint32_t *index)
{
	const char *p = s;
	uint64_t n = 0;

	if (p == e)
		return "an empty step";
	if (!name_start(*p))
		return *p == '@' ? "an attribute" : *p == '*' ? "a wildcard" :
		       *p == '.' ? "a relative step (. or ..)" :
		       "a step that is not an element name";
	while (p < e && name_char(*p))
		p++;
	if (p - s > WSMAN_FRAGMENT_NAME_MAX)
		return "a name longer than 256 characters";
	memcpy(name, s, (size_t)(p - s));
	name[p - s] = '\0';
	if (p == e)
		return NULL;
	if (*p == ':')
		return "a prefixed name";
	if (*p != '[' || !predicate_ok)
		return *p == '[' ? "a predicate on a step other than the "
		       "property" : "a character XPath names do not hold";
	for (p++; p < e && *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (uint64_t)(*p - '0');
		if (n > UINT32_MAX)
			return "a position too large";
	}
	if (p + 1 != e || *p != ']' || p[-1] == '[')
		return "a predicate other than a position [n]";
	if (n == 0)
		return "position 0 (positions count from 1)";
	*index = (uint32_t)n;
	return NULL;
}

int wsman_fragment_parse(const char *expr, const char *dialect,
			 struct wsman_fragment *out, struct wsman_fault *f,
			 char *reason_buf, size_t reason_size)
{
	static const char text_fn[] = "/text()";
	const char *end, *slash, *why;
	size_t len = strlen(expr), tl = strlen(text_fn);

	memset(out, 0, sizeof(*out));
	if (dialect != NULL && strcmp(dialect, WSMAN_DIALECT_XPATH) != 0)
		return refuse(f, WSMAN_SUB_FRAGMENT_DIALECT,
			      WSMAN_CODE_FRAGMENT_DIALECT, TEXT_DIALECT,
			      reason_buf, reason_size, "The fragment dialect is "
			      "not XPath (" WSMAN_DIALECT_XPATH "): %.*s",
			      shown(dialect), dialect);
	if (len == 0)
		return refuse(f, WSMAN_SUB_FRAGMENT_FILTER,
			      WSMAN_CODE_FRAGMENT_PATH_BLANK, TEXT_FILTER,
			      reason_buf, reason_size, "The fragment "
			      "expression is empty.");
	/* MS-WSMV <65>: WinRM refuses a path from the document root. */
	if (expr[0] == '/')
		return bad_path("The fragment expression starts with '/': "
				"name the property relative to the instance: "
				"%.*s", shown(expr), expr);
	end = expr + len;
	if (len > tl && strcmp(end - tl, text_fn) == 0) {
		out->text = true;
		end -= tl;
	}
	slash = memchr(expr, '/', (size_t)(end - expr));
	if (slash != NULL && memchr(slash + 1, '/', (size_t)(end - slash - 1)))
		return bad_path("The fragment expression has more steps than "
				"Class/Property: %.*s", shown(expr), expr);
	if (slash != NULL) {
		why = read_step(expr, slash, false, out->cls, &out->index);
		if (why == NULL)
			why = read_step(slash + 1, end, true, out->prop,
					&out->index);
	} else {
		why = read_step(expr, end, true, out->prop, &out->index);
	}
	if (why != NULL)
		return bad_path("The fragment expression holds %s; dpsim "
				"evaluates Property, Property[n] and "
				"Property/text(), optionally after Class/: %.*s",
				why, shown(expr), expr);
	return 0;
}
