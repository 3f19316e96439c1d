/* xml_log: whatever libxml2 reports outside a parse that caught it goes
 * to dpsim's logger, never as a raw line on stderr.
 *
 * Each parse (wsman/request.c, wsman/response.c, fixture.c) catches its
 * own errors (wsman/xmlcatch.h) and hands them back as its reason; this
 * is the net under them, so `--log-format json` keeps every stderr line
 * JSON even if a libxml2 path nobody thought of writes something.
 */
#ifndef DPSIM_XML_LOG_H
#define DPSIM_XML_LOG_H

/* Points libxml2's structured and generic error handlers at the logger
 * (debug level) on the calling thread and as the default of every thread
 * libxml2 meets later (libxml2 2.9 keeps them per thread: an MHD worker
 * would otherwise start with stderr). Call once, after xmlInitParser()
 * and before any thread starts. */
void xml_log_install(void);

#endif
