/* json_answer: the JSON answer a front end (the control API, the
 * dashboard's API) builds for one request: a status and a document,
 * errors as {"error": "..."}. */
#ifndef DPSIM_JSON_ANSWER_H
#define DPSIM_JSON_ANSWER_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "front.h"

struct json_answer {
	int status;
	json_t *body;		/* owned; NULL until set, or out of memory */
};

/* Replaces the answer, taking the reference to body (NULL: out of
 * memory, which json_answer_text() turns into a 500). Returns status. */
int json_answer_set(struct json_answer *a, int status, json_t *body);

/* {"error": MESSAGE}. A value echoed from the request that JSON cannot
 * carry (not UTF-8) has its bytes over 0x7F shown as '?': a bad input's
 * error must not become a 500. Returns status. */
int json_answer_fail(struct json_answer *a, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int json_answer_vfail(struct json_answer *a, int status, const char *fmt,
		      va_list ap) __attribute__((format(printf, 3, 0)));

/* The answer as text (malloc'd, the caller frees it; jansson dump
 * flags), releasing a->body; a->status becomes 500 when the answer was
 * never set or memory ran out. NULL only when out of memory. */
char *json_answer_text(struct json_answer *a, size_t flags);

/* The answer as a front end hands it to the transport (front.h): the
 * JSON text (followed by a newline with newline, so curl output ends
 * cleanly), its status and content type; releases a->body. Other fields
 * of *out are left as they are. */
void json_answer_to_front(struct json_answer *a, size_t flags, bool newline,
			  struct front_answer *out);

/* Values every JSON front end writes the same way: a string or null; an
 * HRESULT as "0x8004100C". New references (NULL when out of memory). */
json_t *json_answer_string_or_null(const char *s);
json_t *json_answer_hex32(uint32_t v);

#endif
