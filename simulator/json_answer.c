#include "json_answer.h"

#include <stdio.h>

int json_answer_set(struct json_answer *a, int status, json_t *body)
{
	json_decref(a->body);
	a->body = body;
	a->status = status;
	return status;
}

int json_answer_vfail(struct json_answer *a, int status, const char *fmt,
		      va_list ap)
{
	char msg[1024];
	json_t *body;

	vsnprintf(msg, sizeof(msg), fmt, ap);
	body = json_pack("{s:s}", "error", msg);
	if (!body) {
		/* Not UTF-8 (or cut inside a character): JSON cannot
		 * carry it as it is. */
		for (char *p = msg; *p; p++)
			if ((unsigned char)*p >= 0x80)
				*p = '?';
		body = json_pack("{s:s}", "error", msg);
	}
	return json_answer_set(a, status, body);
}

int json_answer_fail(struct json_answer *a, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	status = json_answer_vfail(a, status, fmt, ap);
	va_end(ap);
	return status;
}

char *json_answer_text(struct json_answer *a, size_t flags)
{
	char *text;

	if (!a->body)
		json_answer_set(a, 500, json_pack("{s:s}", "error",
						  "out of memory"));
	text = a->body ? json_dumps(a->body, flags) : NULL;
	json_decref(a->body);
	a->body = NULL;
	if (!text)
		a->status = 500;
	return text;
}
