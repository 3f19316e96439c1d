/* --log-format json keeps every line dpsim writes on stderr a JSON
 * object, even when libxml2 has something to say.
 *
 * libxml2 2.9 reports some errors (an input conversion failure on
 * invalid UTF-16, an encoder error) with no parser context, through the
 * thread's global handler, which writes raw text to stderr. Here dpsim
 * gets malformed envelopes of every kind (not well-formed, an undefined
 * entity, a DTD, nesting too deep, a declared charset it cannot read,
 * invalid UTF-16) and a fixture it cannot read: each fault names its
 * cause, the cause is logged at debug level, and every stderr line parses
 * as a JSON object with a level and a message (jansson).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"

#define ACT_GET "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
#define DPINFO WMI_NS "/SMS_DistributionPointInfo"

/* Every line of text must be a JSON object with string "level" and
 * "msg"; returns the number of lines. */
static size_t expect_json_lines(const char *text)
{
	size_t n = 0;

	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		json_error_t je;
		json_t *j = json_loadb(text, len, 0, &je);

		if (!j || !json_is_object(j) ||
		    !json_is_string(json_object_get(j, "level")) ||
		    !json_is_string(json_object_get(j, "msg")))
			fail_msg("stderr line %zu is not a JSON log object (%s): "
				 "%.*s", n + 1, j ? "fields" : je.text,
				 (int)len, text);
		json_decref(j);
		n++;
		text += len + (nl ? 1 : 0);
	}
	return n;
}

/* Whether some line of text is a JSON object of this level whose msg
 * contains every one of the NULL-terminated parts. */
static bool has_log(const char *text, const char *level, ...)
{
	while (*text) {
		const char *nl = strchr(text, '\n');
		size_t len = nl ? (size_t)(nl - text) : strlen(text);
		json_t *j = json_loadb(text, len, 0, NULL);
		const char *lv = json_string_value(json_object_get(j, "level"));
		const char *msg = json_string_value(json_object_get(j, "msg"));
		bool all = lv && msg && strcmp(lv, level) == 0;
		va_list ap;

		va_start(ap, level);
		for (const char *part; all && (part = va_arg(ap, const char *));)
			all = strstr(msg, part) != NULL;
		va_end(ap);
		json_decref(j);
		if (all)
			return true;
		text += len + (nl ? 1 : 0);
	}
	return false;
}

/* SIGTERM, reap, and everything dpsim wrote on stderr (malloc'd). */
static char *stop_and_read_stderr(struct dpsim_proc *p)
{
	size_t cap = 1 << 16, n = 0;
	char *text = malloc(cap);
	int st;

	assert_non_null(text);
	assert_int_equal(kill(p->pid, SIGTERM), 0);
	while (waitpid(p->pid, &st, 0) < 0)
		assert_int_equal(errno, EINTR);
	p->pid = -1;
	/* dpsim has exited: the pipe holds all it wrote, then EOF. */
	for (;;) {
		if (n + 1 == cap) {
			cap *= 2;
			text = realloc(text, cap);
			assert_non_null(text);
		}
		ssize_t got = read(p->err_fd, text + n, cap - 1 - n);
		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		n += (size_t)got;
	}
	text[n] = '\0';
	close(p->out_fd);
	close(p->err_fd);
	p->out_fd = p->err_fd = -1;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		fail_msg("dpsim ended with status 0x%x; stderr:\n%s", st, text);
	return text;
}

struct bad_envelope {
	const char *what;
	char *body;
	size_t len;
	const char *content_type;	/* NULL: SOAP UTF-8 */
	const char *subcode;
	const char *cause;		/* in the Reason and the log line */
};

/* The UTF-16LE of ASCII text s, appended to out at *n. */
static void put_utf16le(char *out, size_t *n, const char *s)
{
	for (; *s; s++) {
		out[(*n)++] = *s;
		out[(*n)++] = '\0';
	}
}

static void malformed_envelopes_are_logged_as_json(void **state)
{
	struct dpsim_proc p = { 0 };
	const char *const extra[] = { "--log-format", "json", "--log-level",
				      "debug", NULL };
	struct bad_envelope cases[7];
	size_t ncases = 0;
	char *env, *at;

	(void)state;
	assert_int_equal(dpsim_start(&p, extra), 0);

	/* Not well-formed: the Body is never closed. */
	env = envelope(ACT_GET, DPINFO, NULL, NULL);
	at = strstr(env, "</env:Body>");
	memmove(at, at + 11, strlen(at + 11) + 1);
	cases[ncases++] = (struct bad_envelope){ "unclosed element", env,
		strlen(env), NULL, "w:SchemaValidationError",
		"Opening and ending tag mismatch" };

	/* An entity that was never declared. */
	env = envelope(ACT_GET, DPINFO, NULL, "&undeclared;");
	cases[ncases++] = (struct bad_envelope){ "undefined entity", env,
		strlen(env), NULL, "w:SchemaValidationError",
		"Entity 'undeclared' not defined" };

	/* A DTD declaring an entity. */
	char *plain = envelope(ACT_GET, DPINFO, NULL, NULL);
	at = strstr(plain, "<env:Envelope");
	assert_true(asprintf(&env, "%.*s<!DOCTYPE env:Envelope [<!ENTITY e "
			     "\"x\">]>%s", (int)(at - plain), plain, at) > 0);
	free(plain);
	cases[ncases++] = (struct bad_envelope){ "DTD", env, strlen(env), NULL,
		"w:SchemaValidationError", "document type declaration (DTD)" };

	/* Elements nested 200 deep (the limit is 64). */
	char open[200 * 3 + 1] = "", close[200 * 4 + 1] = "";
	for (int i = 0; i < 200; i++) {
		strcat(open, "<x>");
		strcat(close, "</x>");
	}
	char *deep = NULL;
	assert_true(asprintf(&deep, "%s%s", open, close) > 0);
	env = envelope(ACT_GET, DPINFO, NULL, deep);
	free(deep);
	cases[ncases++] = (struct bad_envelope){ "deep nesting", env,
		strlen(env), NULL, "w:SchemaValidationError",
		"deeper than 64 levels" };

	/* A charset dpsim does not read. */
	plain = envelope(ACT_GET, DPINFO, NULL, NULL);
	at = strstr(plain, "utf-8");
	memcpy(at, "latin", 5);		/* encoding="latin" */
	cases[ncases++] = (struct bad_envelope){ "unknown charset", plain,
		strlen(plain), "application/soap+xml;charset=UTF-8",
		"w:EncodingLimit", "latin" };

	/* UTF-16LE with a lone high surrogate: libxml2's input conversion
	 * fails with no parser context, the case that used to be a raw
	 * "encoding error" line on stderr. */
	char *u16 = malloc(4096);
	size_t n = 0;
	assert_non_null(u16);
	u16[n++] = '\xff';
	u16[n++] = '\xfe';
	put_utf16le(u16, &n, "<env:Envelope xmlns:env=\"http://www.w3.org/"
		    "2003/05/soap-envelope\"><env:Body>");
	u16[n++] = '\x00';
	u16[n++] = '\xd8';	/* U+D800 ... */
	put_utf16le(u16, &n, "A");	/* ... not followed by a low one */
	put_utf16le(u16, &n, "</env:Body></env:Envelope>");
	cases[ncases++] = (struct bad_envelope){ "invalid UTF-16", u16, n,
		"application/soap+xml;charset=UTF-16", "w:SchemaValidationError",
		"input conversion failed" };

	for (size_t i = 0; i < ncases; i++) {
		struct http_reply r;

		assert_int_equal(http_post(p.url, "lab", "lab",
					   cases[i].content_type, cases[i].body,
					   cases[i].len, &r), 0);
		if (r.status != 500)
			fail_msg("%s: HTTP %ld, want 500: %.400s", cases[i].what,
				 r.status, r.body);
		/* A UTF-16 request is answered in UTF-16 (LE here, with its
		 * mark): read it back as the ASCII it holds. */
		char *text = r.body;
		if (strstr(r.content_type, "UTF-16")) {
			const unsigned char *b = (const unsigned char *)r.body;
			assert_true(r.len >= 2 && b[0] == 0xFF && b[1] == 0xFE);
			text = calloc(r.len / 2 + 1, 1);
			assert_non_null(text);
			for (size_t k = 2; k + 1 < r.len; k += 2)
				text[k / 2 - 1] = b[k + 1] ? '?' : (char)b[k];
		}
		char *sub = xpath_text(text, "/s:Envelope/s:Body/s:Fault/"
				       "s:Code/s:Subcode/s:Value");
		char *reason = xpath_text(text, "/s:Envelope/s:Body/s:Fault/"
					  "s:Reason/s:Text");
		if (text != r.body)
			free(text);
		if (!sub || strcmp(sub, cases[i].subcode) != 0)
			fail_msg("%s: subcode %s, want %s", cases[i].what,
				 sub ? sub : "(none)", cases[i].subcode);
		if (!reason || !strstr(reason, cases[i].cause))
			fail_msg("%s: Reason '%s' does not name the cause '%s'",
				 cases[i].what, reason ? reason : "(none)",
				 cases[i].cause);
		free(sub);
		free(reason);
		http_reply_free(&r);
	}

	/* Without credentials the client only learns it must sign in, and
	 * the body is never parsed (so no line about its XML). */
	struct http_reply r;
	assert_int_equal(http_post(p.url, NULL, NULL, NULL, "<unclosed>", 10,
				   &r), 0);
	assert_int_equal(r.status, 401);
	http_reply_free(&r);
	/* A wrong password: the trace names the user, never the password. */
	assert_int_equal(http_post(p.url, "lab", "s3cret-wrong", NULL, "<unclosed>",
				   10, &r), 0);
	assert_int_equal(r.status, 401);
	http_reply_free(&r);
	/* A class the site does not have: refused before the provider. */
	env = envelope(ACT_GET, WMI_NS "/SMS_NoSuchClass", NULL, NULL);
	assert_int_equal(http_post(p.url, "lab", "lab", NULL, env, strlen(env), &r), 0);
	assert_int_equal(r.status, 500);
	char *nosuch_sub = xpath_text(r.body, "/s:Envelope/s:Body/s:Fault/s:Code/"
				      "s:Subcode/s:Value");
	assert_non_null(nosuch_sub);
	http_reply_free(&r);
	free(env);

	/* Each refusal is a journal row of operation "request": the user,
	 * the subcode or status as the result, the reason as params. The
	 * request without credentials is not one (a challenge starts every
	 * client's first exchange). */
	json_t *j = control_call(&p, "GET", "journal?result=error", NULL, 200);
	json_t *rows = json_object_get(j, "entries");
	assert_int_equal(json_array_size(rows), ncases + 2);
	for (size_t i = 0; i < ncases; i++) {
		json_t *row = json_array_get(rows, i);
		const char *params = json_string_value(json_object_get(row, "params"));

		assert_string_equal(json_string_value(json_object_get(row, "operation")),
				    "request");
		assert_string_equal(json_string_value(json_object_get(row, "protocol")),
				    "wsman");
		assert_string_equal(json_string_value(json_object_get(row, "user")), "lab");
		assert_string_equal(json_string_value(json_object_get(row, "result")),
				    cases[i].subcode);
		assert_int_equal(json_integer_value(json_object_get(row, "http_status")),
				 500);
		if (!params || !strstr(params, cases[i].cause))
			fail_msg("%s: journal params '%s' do not name '%s'", cases[i].what,
				 params ? params : "(null)", cases[i].cause);
	}
	json_t *row = json_array_get(rows, ncases);
	assert_string_equal(json_string_value(json_object_get(row, "result")), "401");
	assert_string_equal(json_string_value(json_object_get(row, "user")), "lab");
	assert_string_equal(json_string_value(json_object_get(row, "params")),
			    "wrong password or unknown user 'lab'");
	row = json_array_get(rows, ncases + 1);
	assert_string_equal(json_string_value(json_object_get(row, "result")), nosuch_sub);
	assert_string_equal(json_string_value(json_object_get(row, "class")),
			    "SMS_NoSuchClass");
	assert_true(json_is_null(json_object_get(row, "site")));
	json_decref(j);
	/* The same rows by subcode. */
	j = control_call(&p, "GET", "journal/count?result=w:SchemaValidationError",
			 NULL, 200);
	assert_int_equal(json_integer_value(json_object_get(j, "count")), ncases - 1);
	json_decref(j);
	free(nosuch_sub);

	/* dpsim still serves. */
	static const char identify[] =
		"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" "
		"xmlns:wsmid=\"http://schemas.dmtf.org/wbem/wsman/identity/1/"
		"wsmanidentity.xsd\"><s:Header/><s:Body><wsmid:Identify/></s:Body>"
		"</s:Envelope>";
	assert_int_equal(http_post(p.url, "lab", "lab", NULL, identify,
				   strlen(identify), &r), 0);
	assert_int_equal(r.status, 200);
	http_reply_free(&r);

	char *err = stop_and_read_stderr(&p);
	assert_true(expect_json_lines(err) > 0);
	for (size_t i = 0; i < ncases; i++) {
		if (!has_log(err, "info", "request refused", cases[i].cause,
			     (char *)NULL))
			fail_msg("%s: no info line names '%s'; stderr:\n%s",
				 cases[i].what, cases[i].cause, err);
		free(cases[i].body);
	}
	assert_false(has_log(err, "info", "request refused", "anonymous",
			     (char *)NULL));
	/* One debug line per request: what came in, what went out, what
	 * WS-Man made of it. */
	assert_true(has_log(err, "debug", "POST /wsman from 127.0.0.1: HTTP 500",
			    "unparsed envelope as lab, fault w:SchemaValidationError",
			    (char *)NULL));
	assert_true(has_log(err, "debug", "POST /wsman from 127.0.0.1: HTTP 200",
			    "Identify", "as lab", (char *)NULL));
	assert_true(has_log(err, "debug", "POST /wsman from 127.0.0.1: HTTP 401",
			    "no credentials", (char *)NULL));
	assert_true(has_log(err, "debug", "HTTP 401",
			    "wrong password or unknown user 'lab'", (char *)NULL));
	/* A 401 is a refusal worth a line at info too. */
	assert_true(has_log(err, "info", "refused a WS-Man request from 127.0.0.1:",
			    "(401)", (char *)NULL));
	assert_null(strstr(err, "s3cret-wrong"));
	free(err);
	dpsim_cleanup(&p);
}

/* A fixture libxml2 cannot decode, or that breaks the schema: dpsim
 * refuses to start with one JSON error line naming FILE:LINE and the
 * cause. */
static void bad_fixture_is_one_json_error(void **state)
{
	struct dpsim_proc p = { 0 };
	static const struct {
		const char *name;
		const char *cause;
	} cases[] = {
		/* no line: libxml2 decodes ahead of the parser, and a wrong
		 * line would mislead */
		{ "utf16.xml", "utf16.xml: not well-formed XML: input "
		  "conversion failed" },
		{ "schema.xml", "schema.xml:3: Element 'bogus'" },
	};
	char path[2][400];
	FILE *f;

	(void)state;
	dpsim_prepare(&p);
	/* Invalid UTF-16 on line 2. */
	snprintf(path[0], sizeof(path[0]), "%s/%s", p.dir, cases[0].name);
	char u16[512];
	size_t n = 0;
	u16[n++] = '\xff';
	u16[n++] = '\xfe';
	put_utf16le(u16, &n, "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\n"
		    "<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">");
	u16[n++] = '\x00';
	u16[n++] = '\xd8';	/* a high surrogate, then no low one */
	put_utf16le(u16, &n, "A</dpsim-fixture>\n");
	f = fopen(path[0], "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(u16, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
	/* Well-formed, but an element the schema does not know. */
	snprintf(path[1], sizeof(path[1]), "%s/%s", p.dir, cases[1].name);
	f = fopen(path[1], "w");
	assert_non_null(f);
	fputs("<?xml version=\"1.0\"?>\n<dpsim-fixture xmlns=\"urn:dpsim:"
	      "fixture:1\">\n  <bogus/>\n</dpsim-fixture>\n", f);
	assert_int_equal(fclose(f), 0);

	for (size_t i = 0; i < 2; i++) {
		const char *const argv[] = { DPSIM_BIN, "--listen", "127.0.0.1:0",
			"--db", ":memory:", "--log-format", "json",
			"--log-level", "debug", "--fixture", path[i], NULL };
		char *out = NULL, *err = NULL;
		int st = run_program(argv, NULL, &out, &err);

		if (st == 0)
			fail_msg("%s: dpsim started", cases[i].name);
		expect_json_lines(err);
		if (!has_log(err, "error", cases[i].cause, (char *)NULL))
			fail_msg("%s: no error line names '%s'; stderr:\n%s",
				 cases[i].name, cases[i].cause, err);
		assert_null(strstr(err, "dpsim: "));
		free(out);
		free(err);
	}
	dpsim_cleanup(&p);
}

/* A mistake on the command line after --log-format json is JSON too. */
static void config_error_after_json_is_json(void **state)
{
	const char *const argv[] = { DPSIM_BIN, "--log-format", "json",
		"--threads", "0", NULL };
	char *out = NULL, *err = NULL;

	(void)state;
	assert_int_equal(run_program(argv, NULL, &out, &err), 2);
	assert_int_equal(expect_json_lines(err), 1);
	assert_true(has_log(err, "error", "--threads", "'0'", (char *)NULL));
	free(out);
	free(err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(malformed_envelopes_are_logged_as_json),
		cmocka_unit_test(bad_fixture_is_one_json_error),
		cmocka_unit_test(config_error_after_json_is_json),
	};
	return cmocka_run_group_tests_name("log_json", tests, NULL, NULL);
}
