#include "xmlcatch.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <libxml/globals.h>

/* A generic message is printf-style text, possibly one fragment of a
 * line; it goes on as a structured error so the caller has one path. */
static void __attribute__((format(printf, 2, 3)))
on_generic(void *ctx, const char *fmt, ...)
{
	struct xml_catch *c = ctx;
	xmlError e;
	char text[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	memset(&e, 0, sizeof(e));
	e.domain = XML_FROM_NONE;
	e.code = XML_ERR_INTERNAL_ERROR;
	e.level = XML_ERR_ERROR;
	e.message = text;
	c->fn(c->data, &e);
}

void xml_catch_begin(struct xml_catch *c, xmlStructuredErrorFunc fn,
		     void *data)
{
	c->fn = fn;
	c->data = data;
	/* These names are libxml2's accessors of this thread's values. */
	c->saved_serror = xmlStructuredError;
	c->saved_sdata = xmlStructuredErrorContext;
	c->saved_generic = xmlGenericError;
	c->saved_gdata = xmlGenericErrorContext;
	xmlSetStructuredErrorFunc(data, fn);
	xmlSetGenericErrorFunc(c, on_generic);
}

void xml_catch_end(struct xml_catch *c)
{
	xmlSetStructuredErrorFunc(c->saved_sdata, c->saved_serror);
	/* NULL would mean "the default" to xmlSetGenericErrorFunc, which is
	 * also what a NULL saved handler stood for. */
	xmlSetGenericErrorFunc(c->saved_gdata, c->saved_generic);
}

void xml_catch_message(const xmlError *err, char *out, size_t size)
{
	const char *m = err && err->message ? err->message : "unknown error";
	size_t i, n = 0;

	for (i = 0; m[i] != '\0' && n + 1 < size; i++) {
		unsigned char ch = (unsigned char)m[i];

		out[n++] = ch < 0x20 || ch >= 0x7F ? ' ' : (char)ch;
	}
	while (n > 0 && out[n - 1] == ' ')
		n--;
	out[n] = '\0';
}
