/* Unit tests for simulator/wsman_ops.c as a front end (front.h): what it
 * decides from the headers alone (admit), and what it answers for a whole
 * request (serve), against the bundled lab with no socket in between. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "codec.h"
#include "fixture.h"
#include "journal.h"
#include "provider.h"
#include "store.h"
#include "store_testing.h"
#include "negotiate.h"
#include "wsman_ops.h"

#define WMI "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_PS1/"
#define DPINFO_URI WMI "SMS_DistributionPointInfo"
#define DP01_NAL "[\"Display=\\\\DP01.contoso.com\\\"]MSWNET:[\"SMS_SITE=PS1\"]\\\\DP01.contoso.com\\"
#define LAB_BASIC "Basic bGFiOmxhYg=="		/* lab:lab */
#define ANALYST_BASIC "Basic YW5hbHlzdDphbmFseXN0"	/* analyst:analyst */
#define SOAP "application/soap+xml;charset=UTF-8"

#define IDENTIFY "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" " \
	"xmlns:wsmid=\"http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd\">" \
	"<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>"

struct env {
	struct fixture *fx;
	struct store *st;
	struct provider *p;
	struct wsman_ops *o;
	const struct front *f;
};

/* The headers a test request carries besides the two front_request has
 * fields for. */
struct headers {
	const char *name, *value;
};

static const char *lookup(const struct front_request *rq, const char *name)
{
	for (const struct headers *h = rq->transport; h && h->name; h++)
		if (!strcasecmp(h->name, name))
			return h->value;
	return NULL;
}

static struct front_request request(const char *method, const char *ct,
				    const char *authz, const struct headers *extra)
{
	return (struct front_request){
		.method = method, .path = "/wsman", .scheme = "http",
		.content_type = ct, .authorization = authz,
		.header = lookup, .transport = (void *)extra,
	};
}

static int setup(void **state)
{
	struct env *e = calloc(1, sizeof(*e));
	struct wsman_ops_limits lim = { 0 };
	size_t len;
	const char *xml = fixture_bundled_lab(&len);
	char err[512];

	wsman_codec_init();
	if (fixture_load_memory("<bundled lab>", xml, len, &e->fx, err, sizeof(err)) ||
	    store_open(":memory:", &e->st, err, sizeof(err)) ||
	    provider_new(e->fx, e->st, &e->p, err, sizeof(err)))
		fail_msg("%s", err);
	e->o = wsman_ops_new(&lim);
	assert_non_null(e->o);
	e->f = wsman_ops_front(e->o);
	wsman_ops_set_ready(e->o, e->fx, e->p);
	*state = e;
	return 0;
}

static int teardown(void **state)
{
	struct env *e = *state;

	wsman_ops_free(e->o);
	provider_free(e->p);
	store_free(e->st);
	fixture_free(e->fx);
	free(e);
	wsman_codec_cleanup();
	return 0;
}

/* admit() then, when it takes the request, serve() with body. */
static void exchange(struct env *e, struct front_request rq, const char *body,
		     struct front_answer *ans)
{
	bool drain = false;

	memset(ans, 0, sizeof(*ans));
	void *st = e->f->admit(e->f->self, &rq, ans, &drain);
	if (!st)
		return;
	assert_false(drain);
	rq.body = body;
	rq.len = strlen(body);
	e->f->serve(e->f->self, st, &rq, ans);
	e->f->release(e->f->self, st);
}

/* The journal rows of refused requests (operation "request"), oldest
 * first, as "user|refusal|http_status|class|params" lines. */
struct rows {
	char text[8][256];
	size_t n;
};

static int collect(void *ctx, const struct journal_entry *e)
{
	struct rows *r = ctx;

	if (r->n < 8)
		snprintf(r->text[r->n++], sizeof(r->text[0]), "%s|%s|%u|%s|%s",
			 e->user ? e->user : "-", e->refusal ? e->refusal : "-",
			 e->http_status, e->class_name ? e->class_name : "-",
			 e->params ? e->params : "-");
	return 0;
}

static void refusal_rows(struct env *e, struct rows *r)
{
	struct journal_filter jf;
	char err[128];

	memset(r, 0, sizeof(*r));
	journal_filter_init(&jf);
	assert_int_equal(journal_filter_set(&jf, "operation", "request", err,
					    sizeof(err)), 0);
	assert_int_equal(journal_query(provider_journal(e->p), &jf, collect, r), 0);
	journal_filter_free(&jf);
}

static void owns_wsman_only(void **state)
{
	struct env *e = *state;

	assert_true(e->f->owns(e->f->self, "/wsman"));
	assert_true(e->f->owns(e->f->self, "/WSMAN/"));
	assert_false(e->f->owns(e->f->self, "/wsman/x"));
	assert_false(e->f->owns(e->f->self, "/_dpsim/health"));
	assert_false(e->f->browser_facing);
}

static void not_ready_is_503(void **state)
{
	struct wsman_ops_limits lim = { 0 };
	struct wsman_ops *o = wsman_ops_new(&lim);
	const struct front *f = wsman_ops_front(o);
	struct front_request rq = request("POST", SOAP, LAB_BASIC, NULL);
	struct front_answer ans = { 0 };
	bool drain = false;

	assert_null(f->admit(f->self, &rq, &ans, &drain));
	assert_int_equal(ans.status, 503);
	assert_non_null(strstr(ans.body, "starting"));
	free(ans.body);
	wsman_ops_free(o);
}

/* Refusals decided before any body is read. */
static void admission(void **state)
{
	struct env *e = *state;
	struct front_answer ans = { 0 };
	bool drain = false;
	struct front_request rq;

	rq = request("GET", NULL, LAB_BASIC, NULL);
	assert_null(e->f->admit(e->f->self, &rq, &ans, &drain));
	assert_int_equal(ans.status, 405);
	assert_string_equal(ans.allow, "POST");
	free(ans.body);

	/* No credentials: 401 with WinRM's challenge and no body; the body
	 * is drained so the retry can use the connection. */
	rq = request("POST", SOAP, NULL, NULL);
	assert_null(e->f->admit(e->f->self, &rq, &ans, &drain));
	assert_int_equal(ans.status, 401);
	assert_string_equal(ans.challenge, "Basic realm=\"WSMAN\"");
	assert_null(ans.body);
	assert_true(drain);

	drain = false;
	rq = request("POST", SOAP, "Basic bGFiOndyb25n", NULL);	/* lab:wrong */
	assert_null(e->f->admit(e->f->self, &rq, &ans, &drain));
	assert_int_equal(ans.status, 401);
	assert_true(drain);

	drain = false;
	rq = request("POST", "text/plain", LAB_BASIC, NULL);
	assert_null(e->f->admit(e->f->self, &rq, &ans, &drain));
	assert_int_equal(ans.status, 415);
	assert_non_null(strstr(ans.body, "'text/plain' is not application/soap+xml"));
	assert_false(drain);
	free(ans.body);

	rq = request("POST", "application/soap+xml;charset=ISO-8859-1", LAB_BASIC, NULL);
	assert_null(e->f->admit(e->f->self, &rq, &ans, &drain));
	assert_int_equal(ans.status, 500);
	assert_true(ans.as_is);
	assert_non_null(strstr(ans.body, "EncodingLimit"));
	assert_non_null(strstr(ans.body, "CharacterSet"));
	free(ans.body);

	/* Each refusal of a request that carried credentials is a journal
	 * row naming the user; the 405 and the bare challenge are not. */
	struct rows r;
	refusal_rows(e, &r);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.text[0], "lab|401|401|-|wrong password or unknown user 'lab'");
	assert_string_equal(r.text[1], "lab|415|415|-|media type 'text/plain' refused");
	assert_string_equal(r.text[2], "lab|w:EncodingLimit|500|-|Only UTF-8 and UTF-16 "
			    "request bodies are supported.");
}

/* Identify without credentials only when marked as WinRM marks it, and
 * then without the OS version; a marked anonymous request for anything
 * else is still refused. */
static void anonymous_identify(void **state)
{
	struct env *e = *state;
	static const struct headers anon[] = {
		{ "WSMANIDENTIFY", "unauthenticated" }, { NULL, NULL },
	};
	struct front_answer ans;

	exchange(e, request("POST", SOAP, NULL, anon), IDENTIFY, &ans);
	assert_int_equal(ans.status, 200);
	assert_true(ans.as_is);
	assert_non_null(strstr(ans.body, "Microsoft Corporation"));
	assert_null(strstr(ans.body, "ProductVersion"));
	free(ans.body);

	exchange(e, request("POST", SOAP, LAB_BASIC, NULL), IDENTIFY, &ans);
	assert_int_equal(ans.status, 200);
	assert_non_null(strstr(ans.body, "ProductVersion"));
	free(ans.body);
}

static char *invoke_body(const char *mode)
{
	char *b = NULL;
	int n = asprintf(&b,
		"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\""
		" xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\""
		" xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>"
		"<a:To>http://h:5985/wsman</a:To><a:ReplyTo><a:Address>"
		"http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
		"</a:Address></a:ReplyTo>"
		"<a:MessageID>uuid:00000000-0000-4000-8000-000000000001</a:MessageID>"
		"<w:ResourceURI>" DPINFO_URI "</w:ResourceURI>"
		"<a:Action>" DPINFO_URI "/SetDPMaintenanceMode</a:Action></s:Header>"
		"<s:Body><p:SetDPMaintenanceMode_INPUT xmlns:p=\"" DPINFO_URI "\">"
		"<p:NALPath>%s</p:NALPath><p:Mode>%s</p:Mode>"
		"</p:SetDPMaintenanceMode_INPUT></s:Body></s:Envelope>", DP01_NAL, mode);
	assert_true(n > 0);
	return b;
}

/* The mode DP01 has in the provider, read without WS-Man. */
static unsigned dp01_mode(struct env *e)
{
	uint32_t hr = 0;
	const struct provider_class *c = provider_class(e->p, "root/sms/site_PS1",
							"SMS_DistributionPointInfo", &hr);
	const struct provider_arg key = { "NALPath", DP01_NAL };
	struct caller who = { NULL, "lab", "Full Administrator", "test" };
	struct provider_call call = { .who = &who };
	struct cim_instance *inst = NULL;
	char msg[256];

	assert_non_null(c);
	assert_int_equal(provider_get(e->p, &call, c, &key, 1, &inst, msg, sizeof(msg)), 0);
	unsigned m = (unsigned)strtoul(cim_instance_text(inst, "MaintenanceMode"), NULL, 10);
	cim_instance_free(inst);
	return m;
}

static void invoke_changes_the_mode(void **state)
{
	struct env *e = *state;
	struct front_answer ans;
	char *body = invoke_body("1");

	assert_int_equal(dp01_mode(e), 0);
	exchange(e, request("POST", SOAP, LAB_BASIC, NULL), body, &ans);
	assert_int_equal(ans.status, 200);
	assert_non_null(strstr(ans.body, "ReturnValue>0<"));
	assert_int_equal(dp01_mode(e), 1);
	free(ans.body);

	/* A Read-only Analyst gets the WMI error, and nothing changes. */
	free(body);
	body = invoke_body("0");
	exchange(e, request("POST", SOAP, ANALYST_BASIC, NULL), body, &ans);
	assert_int_equal(ans.status, 500);
	assert_non_null(strstr(ans.body, "2147749891"));	/* 0x80041003 */
	assert_int_equal(dp01_mode(e), 1);
	free(ans.body);

	/* Mode 2 is refused as WMI refuses it. */
	free(body);
	body = invoke_body("2");
	exchange(e, request("POST", SOAP, LAB_BASIC, NULL), body, &ans);
	assert_int_equal(ans.status, 500);
	assert_non_null(strstr(ans.body, "Mode 2 is not valid"));
	assert_int_equal(dp01_mode(e), 1);
	free(ans.body);
	free(body);
}

static void too_large_is_encoding_limit(void **state)
{
	struct env *e = *state;
	struct front_answer ans = { 0 };
	struct front_request rq = request("POST", SOAP, LAB_BASIC, NULL);
	bool drain = false;
	struct rows r;

	void *st = e->f->admit(e->f->self, &rq, &ans, &drain);
	assert_non_null(st);
	e->f->too_large(e->f->self, st, 1024, &ans);
	e->f->release(e->f->self, st);
	assert_int_equal(ans.status, 500);
	assert_true(ans.as_is);
	assert_non_null(strstr(ans.body, "EncodingLimit"));
	assert_non_null(strstr(ans.body, "exceeds the limit of 1024 bytes"));
	free(ans.body);
	refusal_rows(e, &r);
	assert_int_equal(r.n, 1);
	assert_string_equal(r.text[0], "lab|w:EncodingLimit|500|-|The request body "
			    "exceeds the limit of 1024 bytes.");
}

/* Faults raised before the provider are journaled as refusals; a call
 * the provider answered is journaled once, by the provider. */
static void refusals_journaled_once(void **state)
{
	struct env *e = *state;
	struct front_answer ans;
	struct rows r;

	exchange(e, request("POST", SOAP, LAB_BASIC, NULL), "<s:Envelope", &ans);
	assert_int_equal(ans.status, 500);
	free(ans.body);
	exchange(e, request("POST", SOAP, LAB_BASIC, NULL), IDENTIFY, &ans);
	assert_int_equal(ans.status, 200);
	free(ans.body);
	refusal_rows(e, &r);
	assert_int_equal(r.n, 1);
	assert_non_null(strstr(r.text[0], "lab|w:SchemaValidationError|500|-|"));

	char *body = invoke_body("1");
	exchange(e, request("POST", SOAP, LAB_BASIC, NULL), body, &ans);
	free(body);
	assert_int_equal(ans.status, 200);
	free(ans.body);
	refusal_rows(e, &r);
	assert_int_equal(r.n, 1);
}

/* MS-WSMV 3.1.4.1.7: the client's MaxEnvelopeSize cannot raise the
 * service's own limit. With a service limit of 9000 bytes, an optimized
 * Enumerate asking for 1 MB envelopes gets a batch that fits 9000. */
static void max_envelope_capped_by_service(void **state)
{
	struct env *e = *state;
	static const char enumerate[] =
		"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\""
		" xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\""
		" xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\""
		" xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\"><s:Header>"
		"<a:ReplyTo><a:Address>http://schemas.xmlsoap.org/ws/2004/08/addressing/"
		"role/anonymous</a:Address></a:ReplyTo>"
		"<a:MessageID>uuid:00000000-0000-4000-8000-000000000002</a:MessageID>"
		"<w:ResourceURI>" DPINFO_URI "</w:ResourceURI>"
		"<w:MaxEnvelopeSize>1000000</w:MaxEnvelopeSize>"
		"<a:Action>http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
		"</a:Action></s:Header><s:Body><n:Enumerate><w:OptimizeEnumeration/>"
		"<w:MaxElements>100</w:MaxElements></n:Enumerate></s:Body></s:Envelope>";
	struct wsman_ops_limits lim = { .max_envelope = 9000 };
	struct wsman_ops *small = wsman_ops_new(&lim);
	struct caller who = { NULL, "lab", "Full Administrator", "test" };
	struct buf out;
	size_t items = 0;

	assert_non_null(small);
	wsman_ops_set_ready(small, e->fx, e->p);
	buf_init(&out, 0);
	assert_int_equal(wsman_ops_handle(small, &who, enumerate, strlen(enumerate), &out), 200);
	assert_true(buf_len(&out) <= 9000);
	for (const char *at = buf_ptr(&out); (at = strstr(at, "<p:SMS_DistributionPointInfo ")); at++)
		items++;
	assert_true(items >= 1 && items < 6);	/* the lab has 6 DPs */
	assert_null(strstr(buf_ptr(&out), "EndOfSequence"));
	buf_free(&out);
	wsman_ops_free(small);
}

/* With Negotiate on: the 401 offers Negotiate, then Basic (two headers,
 * as WinRM); a sealed body with no sign-in on the connection is 400 and
 * closes it; a Negotiate token on a request without a connection slot
 * cannot sign in. The handshakes themselves are test_negotiate's and the
 * ntlm client scenario's. */
static void negotiate_admission(void **state)
{
	struct env *e = *state;
	struct front_answer ans = { 0 };
	bool drain = false;
	char err[512];
	struct negotiate *n = negotiate_new(e->fx, NULL, err, sizeof(err));

	if (!n)
		fail_msg("%s", err);
	wsman_ops_set_negotiate(e->o, n, false);
	struct front_request rq = request("POST", SOAP, NULL, NULL);
	assert_null(e->f->admit(e->f->self, &rq, &ans, &drain));
	assert_int_equal(ans.status, 401);
	assert_string_equal(ans.auth_token, "Negotiate");
	assert_string_equal(ans.challenge, "Basic realm=\"WSMAN\"");
	assert_true(drain);
	free(ans.auth_token);

	/* Basic still works, and a sealed body from it is refused. */
	drain = false;
	rq = request("POST", "multipart/encrypted;protocol=\"application/"
		     "HTTP-SPNEGO-session-encrypted\";boundary=\"Encrypted Boundary\"",
		     LAB_BASIC, NULL);
	assert_null(e->f->admit(e->f->self, &rq, &ans, &drain));
	assert_int_equal(ans.status, 400);
	assert_true(ans.close);
	assert_null(ans.body);
	assert_non_null(strstr(ans.trace, "no Negotiate sign-in"));

	rq = request("POST", SOAP, "Negotiate TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAA=",
		     NULL);
	assert_null(e->f->admit(e->f->self, &rq, &ans, &drain));
	assert_int_equal(ans.status, 401);
	assert_non_null(strstr(ans.trace, "without a connection"));
	free(ans.auth_token);

	struct rows r;
	refusal_rows(e, &r);
	assert_int_equal(r.n, 1);
	assert_non_null(strstr(r.text[0], "lab|400|400|-|the body is sealed but no "
			       "Negotiate sign-in"));
	wsman_ops_set_negotiate(e->o, NULL, false);
	negotiate_free(n);
}

struct admit_call {
	struct env *e;
	struct front_answer ans;
};

static void *admit_unsigned(void *arg)
{
	struct admit_call *c = arg;
	struct front_request rq = request("POST", SOAP, NULL, NULL);
	bool drain = false;

	c->e->f->admit(c->e->f->self, &rq, &c->ans, &drain);
	return NULL;
}

/* While the acceptor is being made (main.c makes it beside start-up), a
 * request that must know whether Negotiate is on waits for it instead
 * of answering as if it were off. The sleep only makes it likely that
 * the request comes first; in the other order the answer is the same. */
static void negotiate_pending_waits(void **state)
{
	struct env *e = *state;
	struct admit_call c = { .e = e };
	char err[512];
	pthread_t t;
	struct negotiate *n = negotiate_new(e->fx, NULL, err, sizeof(err));

	if (!n)
		fail_msg("%s", err);
	wsman_ops_negotiate_pending(e->o);
	assert_int_equal(pthread_create(&t, NULL, admit_unsigned, &c), 0);
	usleep(50 * 1000);
	wsman_ops_set_negotiate(e->o, n, false);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(c.ans.status, 401);
	assert_non_null(c.ans.auth_token);
	assert_string_equal(c.ans.auth_token, "Negotiate");
	free(c.ans.auth_token);
	wsman_ops_set_negotiate(e->o, NULL, false);
	negotiate_free(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(owns_wsman_only, setup, teardown),
		cmocka_unit_test_setup_teardown(max_envelope_capped_by_service, setup, teardown),
		cmocka_unit_test(not_ready_is_503),
		cmocka_unit_test_setup_teardown(admission, setup, teardown),
		cmocka_unit_test_setup_teardown(negotiate_admission, setup, teardown),
		cmocka_unit_test_setup_teardown(negotiate_pending_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(anonymous_identify, setup, teardown),
		cmocka_unit_test_setup_teardown(invoke_changes_the_mode, setup, teardown),
		cmocka_unit_test_setup_teardown(too_large_is_encoding_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(refusals_journaled_once, setup, teardown),
	};
	return cmocka_run_group_tests_name("wsman_ops", tests, NULL, NULL);
}
