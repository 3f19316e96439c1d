#include "xml_log.h"

#include <stdarg.h>
#include <stdio.h>

#include <libxml/globals.h>
#include <libxml/xmlerror.h>

#include "log.h"
#include "xmlcatch.h"

/* Debug: the cause a client or fixture author needs is already in the
 * fault or the start-up error; this is for whoever chases libxml2. */
static void log_structured(void *data, xmlErrorPtr e)
{
	char msg[512];

	xml_catch_message(e, msg, sizeof(msg));
	log_debug("libxml2 (domain %d, code %d, line %d): %s",
		  e ? e->domain : 0, e ? e->code : 0, e ? e->line : 0, msg);
}

static void __attribute__((format(printf, 2, 3)))
log_generic(void *ctx, const char *fmt, ...)
{
	char text[512];
	xmlError e = { .level = XML_ERR_ERROR, .message = text };
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	log_structured(NULL, &e);
}

void xml_log_install(void)
{
	xmlThrDefSetStructuredErrorFunc(NULL, log_structured);
	xmlThrDefSetGenericErrorFunc(NULL, log_generic);
	xmlSetStructuredErrorFunc(NULL, log_structured);
	xmlSetGenericErrorFunc(NULL, log_generic);
}
