#include "json_answer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

void json_answer_to_front(struct json_answer *a, size_t flags, bool newline,
			  struct front_answer *out)
{
	out->body = json_answer_text(a, flags);
	out->status = a->status;
	out->content_type = "application/json";
	out->len = 0;
	if (!out->body)
		return;
	size_t n = strlen(out->body);
	if (newline) {
		char *b = realloc(out->body, n + 2);

		if (b) {
			b[n++] = '\n';
			b[n] = '\0';
			out->body = b;
		}
	}
	out->len = n;
}

json_t *json_answer_string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

json_t *json_answer_hex32(uint32_t v)
{
	char t[16];

	snprintf(t, sizeof(t), "0x%08X", (unsigned)v);
	return json_string(t);
}
