/* fuzz_control: control_handle() on arbitrary requests -- the /_dpsim/ JSON
 * API is reachable by anyone who can reach dpsim on loopback, and parses
 * JSON bodies, query strings, path segments and fixture documents.
 *
 * An input is a small HTTP-like request (seeds in corpus/control/):
 *
 *   METHOD SP PATH[?QUERY] LF        path and query %XX-decoded, as
 *   (NAME: VALUE LF)*                  libmicrohttpd hands them over
 *   [LF]
 *   BODY                               the rest, byte for byte
 *
 * The header lines are optional (the blank line only ends them):
 * Content-Type and Authorization go into the request; "Authorization"
 * sends the request to a second control that has an admin token, and
 * "X-Fuzz-State: starting|stopping" to one that is not ready.
 *
 * Every input starts from the same model: the bundled lab on an in-memory
 * store (snapshots live in memory too, so nothing touches the disk), a
 * few fault rules, journal rows in two sites with some dropped by the
 * bound, and one snapshot "base". A request that changed nothing is
 * checked to have changed nothing; after one that did, the model is put
 * back (and checked to be back), so each input runs alone and state never
 * grows from input to input, which keeps leak detection meaningful.
 *
 * Contracts checked besides crashes (control.h, README "Control API"):
 * the body is one JSON object of rs.len bytes; every 4xx/5xx is
 * {"error": "sentence"} and nothing else (but health's 503, which is its
 * status object); bad input never gets a 5xx -- the only 5xx for any
 * input is 503 from a control that is starting or stopping, as documented;
 * 405 names the methods, 401 only with a token and with the challenge;
 * a request that fails, and any GET, changes nothing; the fault rules as
 * snapshot text read back to the same text.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <strings.h>

#include <jansson.h>

#include "control.h"
#include "fixture.h"
#include "fuzz_common.h"
#include "log.h"
#include "provider.h"
#include "store.h"
#include "store_testing.h"

#define TOKEN "fuzz-token"
#define SEED 7
#define JOURNAL_MAX 4

/* The model every input starts from; the statics are the run's state. */
struct model {
	struct fixture *fx;
	struct store *st;
	struct provider *p;
	struct control *open;		/* no token, ready */
	struct control *tok;		/* admin token, ready */
	struct control *starting;	/* never ready */
	struct control *stopping;	/* ready, then stopping */
	struct faults_state rules;	/* the base rules, ids, generators */
	char *print;			/* fingerprint of the base state */
	int64_t clock;			/* time_ms of the next journal row */
};

static struct model m;

/* ---- the request ---------------------------------------------------------- */

struct req {
	char *line;		/* the request line, cut into the parts */
	struct front_arg *args;
	size_t nargs;
	char *ctype, *auth, *state;
	char *body;		/* exactly len bytes, no NUL after them */
	size_t len;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* %XX-decodes s in place (a %00 ends the string, as it would in C). */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '%' && hexval(s[1]) >= 0 && hexval(s[2]) >= 0) {
			*o++ = (char)(hexval(s[1]) * 16 + hexval(s[2]));
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static void split_query(struct req *r, char *q)
{
	size_t cap = 1;

	for (char *p = q; *p; p++)
		cap += *p == '&';
	r->args = calloc(cap, sizeof(*r->args));
	if (!r->args)
		abort();
	for (char *save = NULL, *kv = strtok_r(q, "&", &save); kv;
	     kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');

		if (eq) {
			*eq = '\0';
			unescape(eq + 1);
		}
		unescape(kv);
		r->args[r->nargs++] = (struct front_arg){ kv, eq ? eq + 1 : NULL };
	}
}

/* "Name: value" with a name of letters and '-'; NULL otherwise. */
static const char *header_value(const char *line, size_t n, size_t *namelen)
{
	size_t i = 0;

	while (i < n && ((line[i] >= 'A' && line[i] <= 'Z') ||
			 (line[i] >= 'a' && line[i] <= 'z') || line[i] == '-'))
		i++;
	if (i == 0 || i + 1 >= n || line[i] != ':' || line[i + 1] != ' ')
		return NULL;
	*namelen = i;
	return line + i + 2;
}

static char *dup_header(char *old, const char *v, const char *end)
{
	free(old);
	return fuzz_strndup((const uint8_t *)v, (size_t)(end - v));
}

/* Fills rq from the input; the strings live in r until req_free. */
static void req_parse(struct req *r, const uint8_t *data, size_t size,
		      struct front_request *rq)
{
	const char *d = (const char *)data, *end = d + size;
	const char *nl = memchr(d, '\n', size);
	char *sp, *q;

	memset(r, 0, sizeof(*r));
	r->line = fuzz_strndup(data, nl ? (size_t)(nl - d) : size);
	d = nl ? nl + 1 : end;
	while (d < end) {
		const char *e = memchr(d, '\n', (size_t)(end - d));
		const char *v;
		size_t n = e ? (size_t)(e - d) : (size_t)(end - d), nl_len;

		if (n == 0) {		/* the blank line: the body follows */
			d++;
			break;
		}
		v = header_value(d, n, &nl_len);
		if (!v)
			break;		/* not a header: the body starts here */
		if (nl_len == 12 && !strncasecmp(d, "Content-Type", 12))
			r->ctype = dup_header(r->ctype, v, d + n);
		else if (nl_len == 13 && !strncasecmp(d, "Authorization", 13))
			r->auth = dup_header(r->auth, v, d + n);
		else if (nl_len == 12 && !strncasecmp(d, "X-Fuzz-State", 12))
			r->state = dup_header(r->state, v, d + n);
		d += n + (e != NULL);
	}
	r->len = (size_t)(end - d);
	if (r->len) {
		r->body = malloc(r->len);
		if (!r->body)
			abort();
		memcpy(r->body, d, r->len);
	}

	sp = strchr(r->line, ' ');
	if (sp)
		*sp++ = '\0';
	else
		sp = r->line + strlen(r->line);
	q = strchr(sp, '?');
	if (q)
		*q++ = '\0';
	unescape(sp);
	split_query(r, q ? q : sp + strlen(sp));
	*rq = (struct front_request){
		.method = r->line, .path = sp, .args = r->args,
		.nargs = r->nargs, .body = r->body ? r->body : "",
		.len = r->len, .content_type = r->ctype,
		.authorization = r->auth,
	};
}

static void req_free(struct req *r)
{
	free(r->line);
	free(r->args);
	free(r->ctype);
	free(r->auth);
	free(r->state);
	free(r->body);
}

/* ---- calls the target makes itself ------------------------------------- */

/* Answers method path (no query) with body through the open control;
 * the status goes to *status, the body is returned (caller frees). */
static char *call(const char *method, const char *path, const char *body,
		  int *status)
{
	struct front_request rq = {
		.method = method, .path = path, .body = body ? body : "",
		.len = body ? strlen(body) : 0,
		.content_type = "application/json",
	};
	struct front_answer rs;

	control_handle(m.open, &rq, &rs);
	FUZZ_CHECK(rs.body != NULL);
	*status = rs.status;
	return rs.body;
}

static void call_ok(const char *method, const char *path, const char *body,
		    int want)
{
	int st;
	char *b = call(method, path, body, &st);

	if (st != want)
		fprintf(stderr, "%s %s: %d %s\n", method, path, st, b);
	FUZZ_CHECK(st == want);
	free(b);
}

/* The digest of the model: a text with what a test can see of it --
 * sites, DPs and their modes, the fault rules with ids, counters and
 * generators, journal sizes, snapshot names -- and nothing that depends
 * on the clock. Read through the module APIs rather than GET /state:
 * it runs after every input, and JSON under ASan would cost most of the
 * run's time. */
struct digest {
	char *text;
	size_t len, cap;
};

static void dg_add(struct digest *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void dg_add(struct digest *d, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!d->text) {
		d->cap = 4096;
		d->text = malloc(d->cap);
		if (!d->text)
			abort();
	}
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(d->text + d->len, d->cap - d->len, fmt, ap);
		va_end(ap);
		FUZZ_CHECK(n >= 0);
		if ((size_t)n < d->cap - d->len)
			break;
		d->cap = (d->cap + (size_t)n) * 2;
		d->text = realloc(d->text, d->cap);
		if (!d->text)
			abort();
	}
	d->len += (size_t)n;
}

static const char *dg_s(const char *s)
{
	return s ? s : "-";
}

static int dg_site(void *ctx, const struct provider_site_view *v)
{
	struct digest *d = ctx;
	int64_t rows = 0, dropped = 0;

	journal_stats(provider_journal(m.p), v->code, &rows, &dropped);
	dg_add(d, "site %s %s %s %d rules %zu journal %" PRId64 "/%" PRId64
	       "\n", v->code, dg_s(v->name), dg_s(v->machine), v->startup,
	       faults_count(provider_faults(m.p), v->code), rows, dropped);
	for (size_t i = 0; i < v->ndps; i++)
		dg_add(d, " dp %s %s %s %u\n", dg_s(v->dps[i].name),
		       v->dps[i].nalpath, dg_s(v->dps[i].kind), v->dps[i].mode);
	return 0;
}

static int dg_snapshot(void *ctx, const struct store_snapshot_info *i)
{
	dg_add(ctx, "snapshot %s\n", i->name);
	return 0;
}

static void dg_rule(struct digest *d, const struct fault_rule *r)
{
	dg_add(d, "rule %" PRId64 " %d %s %s %s %s %s %s %" PRId64 " %d %08x "
	       "%u %u %" PRId64 " %" PRId64 " %a %d %" PRId64 " %" PRId64 " %d\n",
	       r->id, r->operation, dg_s(r->class_glob), dg_s(r->method_glob),
	       dg_s(r->nalpath_glob), dg_s(r->user_glob),
	       dg_s(r->protocol_glob), dg_s(r->site), r->mode, r->effect,
	       r->hresult, r->http_status, r->delay_ms, r->times, r->after,
	       r->probability, r->from_fixture, r->matched, r->fired,
	       r->retired);
}

static char *fingerprint(void)
{
	struct digest d = { 0 };
	struct faults_state fs;
	int64_t rows = 0, dropped = 0;

	FUZZ_CHECK(provider_foreach_site(m.p, NULL, dg_site, &d) == 0);
	FUZZ_CHECK(provider_snapshot_list(m.p, dg_snapshot, &d) == 0);
	journal_stats(provider_journal(m.p), NULL, &rows, &dropped);
	dg_add(&d, "journal %" PRId64 "/%" PRId64 " of %" PRId64 "\n", rows,
	       dropped, store_journal_count(m.st));
	FUZZ_CHECK(faults_export(provider_faults(m.p), &fs) == 0);
	dg_add(&d, "faults seed %" PRIu64 " next %" PRId64 "\n", fs.seed,
	       fs.next_id);
	for (size_t i = 0; i < fs.nrules; i++)
		dg_rule(&d, &fs.rules[i]);
	for (size_t i = 0; i < fs.nstreams; i++)
		dg_add(&d, "stream %s %016" PRIx64 "\n", fs.streams[i].site,
		       fs.streams[i].state);
	faults_state_clear(&fs);
	return d.text;
}

static void journal_row(const char *site, const char *op, const char *method,
			uint32_t hresult, int64_t rule, const char *effect,
			unsigned http)
{
	struct journal_entry e = {
		.time_ms = m.clock, .user = "lab", .protocol = "wsman",
		.operation = op, .site = site,
		.class_name = "SMS_DistributionPointInfo", .method = method,
		.nalpath = method ? "[\"Display=\\\\DP01.contoso.com\\\"]"
			   "MSWNET:[\"SMS_SITE=PS1\"]\\\\DP01.contoso.com\\" : NULL,
		.params = method ? "NALPath=... Mode=1" : "SELECT * FROM x",
		.old_mode = method && !hresult ? 0 : -1,
		.new_mode = method && !hresult ? 1 : -1,
		.hresult = hresult, .latency_us = 212, .rule_id = rule,
		.effect = effect, .has_return_value = method != NULL,
		.return_value = 0, .http_status = http,
	};

	m.clock += 1000;
	FUZZ_CHECK(journal_record(provider_journal(m.p), &e) == 0);
}

/* Puts the model back to the base every input starts from. */
static void model_reset(void)
{
	int st;
	char *b = call("GET", "/snapshots", NULL, &st);
	json_t *o = json_loads(b, 0, NULL), *a = json_object_get(o, "snapshots");
	size_t i;
	json_t *v;

	FUZZ_CHECK(st == 200 && json_is_array(a));
	free(b);
	json_array_foreach(a, i, v) {
		char path[128];

		snprintf(path, sizeof(path), "/snapshots/%s",
			 json_string_value(json_object_get(v, "name")));
		call_ok("DELETE", path, NULL, 200);
	}
	json_decref(o);
	FUZZ_CHECK(provider_reset(m.p, NULL) == 0);
	FUZZ_CHECK(faults_import(provider_faults(m.p), &m.rules) == 0);
	m.clock = 1714557600000;
	journal_row("PS1", "invoke", "SetDPMaintenanceMode", 0, 0, NULL, 0);
	journal_row("PS1", "invoke", "SetDPMaintenanceMode", 0x80041001, 1,
		    "fault", 0);
	journal_row("PS1", "get", NULL, 0x80041002, 0, NULL, 0);
	journal_row("PS1", "enumerate", NULL, 0, 2, "http", 503);
	journal_row("PS1", "enumerate", NULL, 0, 3, "delay", 0);
	journal_row("PS1", "invoke", "SetDPMaintenanceMode", 0, 4, "drop", 0);
	journal_row(NULL, "enumerate", NULL, 0, 0, NULL, 0);
	call_ok("POST", "/snapshots", "{\"name\": \"base\"}", 201);
}

/* ---- the contract of one answer ---------------------------------------- */

/* The path routes to health: its one segment is "health". */
static bool is_health(const struct front_request *rq)
{
	const char *p = rq->path;

	while (*p == '/')
		p++;
	if (strncmp(p, "health", 6))
		return false;
	for (p += 6; *p == '/'; p++)
		;
	return *p == '\0';
}

static void check_answer(const struct front_request *rq,
			 const struct front_answer *rs,
			 const struct control *c)
{
	json_error_t je;
	json_t *o, *err;

	FUZZ_CHECK(rs->body != NULL);
	FUZZ_CHECK(rs->len == strlen(rs->body));
	FUZZ_CHECK(rs->status >= 200 && rs->status <= 599);
	o = json_loadb(rs->body, rs->len, 0, &je);
	if (!o)
		fprintf(stderr, "not JSON (%s): %s\n", je.text, rs->body);
	FUZZ_CHECK(json_is_object(o));
	err = json_object_get(o, "error");
	if (rs->status >= 400 && !(rs->status == 503 && is_health(rq) &&
				   json_object_get(o, "status"))) {
		FUZZ_CHECK(json_is_string(err));
		FUZZ_CHECK(json_string_length(err) > 0);
		FUZZ_CHECK(json_object_size(o) == 1);
	} else {
		FUZZ_CHECK(err == NULL);
	}
	if (rs->status >= 500 && !(rs->status == 503 &&
				   (c == m.starting || c == m.stopping)))
		fprintf(stderr, "%s /_dpsim%s: %s", rq->method, rq->path,
			rs->body);
	FUZZ_CHECK(rs->status < 500 || (rs->status == 503 &&
		   (c == m.starting || c == m.stopping)));
	FUZZ_CHECK((rs->status == 405) == (rs->allow != NULL));
	FUZZ_CHECK((rs->challenge != NULL) == (rs->status == 401));
	FUZZ_CHECK(rs->status != 401 || c == m.tok);
	fuzz_touch(rs->allow);
	json_decref(o);
}

/* The fault rules as a snapshot keeps them read back to the same text. */
static void check_faults_text(void)
{
	struct faults_state fs, back;
	char err[512], *text, *again;

	FUZZ_CHECK(faults_export(provider_faults(m.p), &fs) == 0);
	text = control_faults_text(&fs);
	FUZZ_CHECK(text != NULL);
	err[0] = '\0';
	if (control_faults_parse(text, &back, err, sizeof(err)))
		fprintf(stderr, "snapshot text unreadable (%s): %s\n", err, text);
	FUZZ_CHECK(err[0] == '\0');
	FUZZ_CHECK(back.nrules == fs.nrules);
	for (size_t i = 0; i < fs.nrules; i++) {
		const char *a = fs.rules[i].site, *b = back.rules[i].site;

		FUZZ_CHECK((a == NULL) == (b == NULL));
		FUZZ_CHECK(!a || !strcmp(a, b));
	}
	again = control_faults_text(&back);
	FUZZ_CHECK(again && !strcmp(text, again));
	free(again);
	free(text);
	faults_state_clear(&back);
	faults_state_clear(&fs);
}

/* Where the model is not what it was, for the report. */
static void report_change(const char *now, const struct front_request *rq,
			  int status, bool reset)
{
	size_t i = 0, from;

	while (now[i] && now[i] == m.print[i])
		i++;
	from = i > 300 ? i - 300 : 0;
	fprintf(stderr, "the model is not the base after %d %s /_dpsim%s%s; "
		"from byte %zu it was\n%.600s\n\nand is\n%.600s\n", status,
		rq->method, rq->path, reset ? " and the reset" : "", from,
		m.print + from, now + from);
}

/* Rules added or put with ?site=S carry S (or its served spelling). */
static void check_rule_sites(const struct front_request *rq,
			     const struct front_answer *rs)
{
	const char *site = NULL, *p = rq->path;
	json_t *o, *list, *v;
	size_t i;

	while (*p == '/')
		p++;
	if (strncmp(p, "faults", 6) || strspn(p + 6, "/") != strlen(p + 6) ||
	    (strcmp(rq->method, "POST") && strcmp(rq->method, "PUT")))
		return;
	for (i = 0; i < rq->nargs; i++)
		if (!strcmp(rq->args[i].name, "site") && !site)
			site = rq->args[i].value ? rq->args[i].value : "";
	if (!site)
		return;
	o = json_loadb(rs->body, rs->len, 0, NULL);
	list = json_object_get(o, "faults");
	if (!list)
		list = o;
	if (json_is_object(list)) {
		FUZZ_CHECK(!strcasecmp(json_string_value(json_object_get(
			list, "site")), site));
	} else {
		json_array_foreach(list, i, v)
			FUZZ_CHECK(!strcasecmp(json_string_value(
				json_object_get(v, "site")), site));
	}
	json_decref(o);
}

/* ---- libFuzzer ------------------------------------------------------------- */

static void model_free(void)
{
	control_free(m.open);
	control_free(m.tok);
	control_free(m.starting);
	control_free(m.stopping);
	provider_free(m.p);
	store_free(m.st);
	fixture_free(m.fx);
	faults_state_clear(&m.rules);
	free(m.print);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct control_options open = { .version = "fuzz" };
	struct control_options tok = { .admin_token = TOKEN, .version = "fuzz" };
	struct provider_options po = { .seed = SEED,
				       .journal_max = JOURNAL_MAX };
	size_t len;
	const char *lab = fixture_bundled_lab(&len);
	char err[512];

	(void)argc;
	(void)argv;
	fuzz_xml_init();
	log_threshold = LOG_ERROR;
	if (fixture_load_memory("<bundled lab>", lab, len, &m.fx, err,
				sizeof(err)) ||
	    store_open(":memory:", &m.st, err, sizeof(err)) ||
	    provider_new_opts(m.fx, m.st, &po, &m.p, err, sizeof(err))) {
		fprintf(stderr, "fuzz_control: %s\n", err);
		abort();
	}
	m.open = control_new(&open);
	m.tok = control_new(&tok);
	m.starting = control_new(&open);
	m.stopping = control_new(&open);
	FUZZ_CHECK(m.open && m.tok && m.starting && m.stopping);
	control_set_ready(m.open, m.p);
	control_set_ready(m.tok, m.p);
	control_set_ready(m.stopping, m.p);
	control_set_stopping(m.stopping);

	/* The base rules: one per effect, two of them for one site. */
	call_ok("POST", "/faults", "["
		"{\"method\": \"SetDPMaintenanceMode\", \"effect\": \"fault\","
		" \"hresult\": \"0x80041001\", \"times\": 2},"
		"{\"operation\": \"enumerate\", \"effect\": \"http\","
		" \"http_status\": 503, \"site\": \"PS1\"},"
		"{\"class\": \"SMS_*\", \"effect\": \"delay\", \"delay_ms\": 5,"
		" \"probability\": 0.5, \"site\": \"PS1\"},"
		"{\"nalpath\": \"*DP02*\", \"mode\": 1, \"effect\": \"drop\","
		" \"after\": 1, \"user\": \"lab\", \"protocol\": \"wsman\"},"
		"{\"effect\": \"return\", \"hresult\": \"WBEM_E_NOT_FOUND\","
		" \"operation\": \"invoke\"},"
		"{\"effect\": \"timeout\", \"site\": \"T01\"}]", 201);
	FUZZ_CHECK(faults_export(provider_faults(m.p), &m.rules) == 0);
	model_reset();
	m.print = fingerprint();
	atexit(model_free);
	return 0;
}

static struct control *pick(const struct req *r)
{
	if (r->state && !strcmp(r->state, "starting"))
		return m.starting;
	if (r->state && !strcmp(r->state, "stopping"))
		return m.stopping;
	return r->auth ? m.tok : m.open;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct front_request rq;
	struct front_answer rs;
	struct control *c;
	struct req r;
	bool changes;
	char *now;

	req_parse(&r, data, size, &rq);
	c = pick(&r);
	memset(&rs, 'x', sizeof(rs));
	control_handle(c, &rq, &rs);
	check_answer(&rq, &rs, c);
	if (rs.status < 300)
		check_rule_sites(&rq, &rs);
	free(rs.body);

	/* A GET or HEAD, and a failure, leave the model as it was. */
	changes = rs.status < 300 && strcmp(rq.method, "GET") &&
		  strcmp(rq.method, "HEAD");
	if (changes) {
		check_faults_text();
		model_reset();
	}
	now = fingerprint();
	if (strcmp(now, m.print))
		report_change(now, &rq, rs.status, changes);
	FUZZ_CHECK(!strcmp(now, m.print));
	free(now);
	req_free(&r);
	return 0;
}
