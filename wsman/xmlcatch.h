/* xmlcatch: libxml2's error output held to one parse on one thread.
 *
 * Most libxml2 errors carry their parser context and reach the context's
 * own handler (ctxt->sax->serror). Some do not: an input conversion
 * failure (invalid UTF-16), an I/O or encoder error, a regular
 * expression of a schema, and a few internal notices written with
 * xmlGenericError. libxml2 2.9 (Debian 12 ships 2.9.14; there is no
 * xmlCtxtSetErrorHandler before 2.13) sends those to the calling
 * thread's global handlers, which default to raw lines on stderr -- and
 * every MHD worker thread starts with the default.
 *
 * xml_catch_begin() points both of this thread's handlers at fn for the
 * length of a parse; xml_catch_end() puts back what was there, so a
 * caller's own handlers (dpsim's logger) are left as they were. A
 * generic message reaches fn as an xmlError of level XML_ERR_ERROR,
 * domain XML_FROM_NONE, with no context and the text in message.
 *
 * No I/O, no state but the thread's own handlers, which libxml2 keeps
 * per thread: parses on other threads are unaffected.
 */
#ifndef DPSIM_WSMAN_XMLCATCH_H
#define DPSIM_WSMAN_XMLCATCH_H

#include <libxml/xmlerror.h>

struct xml_catch {
	xmlStructuredErrorFunc fn;
	void *data;
	/* the thread's handlers before begin, restored by end */
	xmlStructuredErrorFunc saved_serror;
	void *saved_sdata;
	xmlGenericErrorFunc saved_generic;
	void *saved_gdata;
};

/* c is the caller's (usually on its stack) and must stay in place until
 * xml_catch_end(c) on the same thread. fn(data, err) gets every error
 * libxml2 raises on this thread meanwhile without a context handler. */
void xml_catch_begin(struct xml_catch *c, xmlStructuredErrorFunc fn,
		     void *data);
void xml_catch_end(struct xml_catch *c);

/* Copies err's message into out (size > 0) as one line of printable
 * ASCII: libxml2's text ends in '\n' and may quote raw input bytes.
 * "unknown error" when there is no message. */
void xml_catch_message(const xmlError *err, char *out, size_t size);

#endif
