/* The AdminService's WMI route end to end against a real dpsim: the JSON
 * of classes and keyed instances read back value by value, the method
 * changing a DP's mode (read back, journaled as protocol adminservice),
 * every refusal with its status, message and journal row, the fault
 * rules' effects, the site picked by Host, $metadata checked with libxml2
 * XPath, and the same over HTTPS. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

#include "harness.h"

#define CURLE_GOT_NOTHING_CODE 52
#define EDM "http://docs.oasis-open.org/odata/ns/edm"
#define EDMX "http://docs.oasis-open.org/odata/ns/edmx"

/* ---- helpers --------------------------------------------------------------- */

static const char b64chars[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* "Authorization: Basic ..." for user:pass into out. */
static void basic(const char *user, const char *pass, char *out, size_t size)
{
	char plain[128];
	size_t n = (size_t)snprintf(plain, sizeof(plain), "%s:%s", user, pass);
	size_t o = (size_t)snprintf(out, size, "Authorization: Basic ");

	for (size_t i = 0; i < n && o + 5 < size; i += 3) {
		unsigned v = (unsigned char)plain[i] << 16;

		if (i + 1 < n)
			v |= (unsigned char)plain[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)plain[i + 2];
		out[o++] = b64chars[(v >> 18) & 63];
		out[o++] = b64chars[(v >> 12) & 63];
		out[o++] = i + 1 < n ? b64chars[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? b64chars[v & 63] : '=';
	}
	out[o] = '\0';
}

struct req {
	const char *method;	/* default GET */
	const char *user;	/* default lab; "" for none */
	const char *pass;
	const char *body;	/* POST body */
	const char *ct;		/* Content-Type (default JSON with a body) */
	const char *host;	/* Host header */
	bool https;
};

/* method on http(s)://.../AdminService/wmi/<path>; the reply in *r. */
static void call(struct dpsim_proc *p, const struct req *q, const char *path,
		 struct http_reply *r)
{
	char url[2048], auth[256], ct[160], host[300];
	const char *headers[5] = { "Accept: application/json" };
	size_t nh = 1;

	if (q->https)
		dpsim_tls_base(p, url, sizeof(url));
	else
		dpsim_base(p, url, sizeof(url));
	snprintf(url + strlen(url), sizeof(url) - strlen(url),
		 "/AdminService/wmi/%s", path);
	if (!q->user || *q->user) {
		basic(q->user ? q->user : "lab", q->pass ? q->pass
		      : (q->user ? q->user : "lab"), auth, sizeof(auth));
		headers[nh++] = auth;
	}
	if (q->body || q->ct) {
		snprintf(ct, sizeof(ct), "Content-Type: %s", q->ct ? q->ct
			 : "application/json");
		headers[nh++] = ct;
	}
	if (q->host) {
		snprintf(host, sizeof(host), "Host: %s", q->host);
		headers[nh++] = host;
	}
	if (http_request(q->method ? q->method : (q->body ? "POST" : "GET"), url,
			 headers, q->body, q->body ? strlen(q->body) : 0, r))
		r->status = 0;
}

/* As call(), wanting status and a JSON document (returned). */
static json_t *call_json(struct dpsim_proc *p, const struct req *q,
			 const char *path, long want)
{
	struct http_reply r;
	json_error_t je;
	json_t *j;

	call(p, q, path, &r);
	if (r.status != want)
		fail_msg("%s %s: HTTP %ld, wanted %ld: %s", q->method ? q->method
			 : "GET", path, r.status, want, r.body);
	if (!strstr(r.content_type, "application/json"))
		fail_msg("%s: Content-Type '%s'", path, r.content_type);
	j = json_loads(r.body, 0, &je);
	if (!j)
		fail_msg("%s: not JSON (%s): %s", path, je.text, r.body);
	http_reply_free(&r);
	return j;
}

static json_t *get(struct dpsim_proc *p, const char *path, long want)
{
	const struct req q = { 0 };

	return call_json(p, &q, path, want);
}

static const char *jstr(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_string(v))
		fail_msg("'%s' is not a string", key);
	return json_string_value(v);
}

static json_int_t jint(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v))
		fail_msg("'%s' is not an integer", key);
	return json_integer_value(v);
}

/* The error's message; asserts the OData shape and its code. */
static const char *err_message(json_t *doc, long status)
{
	json_t *e = json_object_get(doc, "error");
	char code[8];

	assert_true(json_is_object(e));
	snprintf(code, sizeof(code), "%ld", status);
	assert_string_equal(jstr(e, "code"), code);
	return jstr(e, "message");
}

/* The HRESULT of a provider error ("0x80041002"). */
static const char *err_hresult(json_t *doc)
{
	json_t *inner = json_object_get(json_object_get(doc, "error"), "innererror");

	assert_true(json_is_object(inner));
	return jstr(inner, "hresult");
}

static void assert_contains(const char *text, const char *part)
{
	if (!strstr(text, part))
		fail_msg("'%s' lacks '%s'", text, part);
}

/* The item of value whose Name is name (as a field script filters). */
static json_t *by_name(json_t *doc, const char *name)
{
	json_t *v = json_object_get(doc, "value"), *item;
	size_t i;

	json_array_foreach(v, i, item)
		if (json_is_string(json_object_get(item, "Name")) &&
		    !strcmp(jstr(item, "Name"), name))
			return item;
	fail_msg("no item named %s", name);
	return NULL;
}

/* The newest journal rows matching query (control API). */
static json_t *journal(struct dpsim_proc *p, const char *query)
{
	char path[512];
	json_t *j, *e;

	snprintf(path, sizeof(path), "journal?%s", query);
	j = control_call(p, "GET", path, NULL, 200);
	e = json_incref(json_object_get(j, "entries"));
	json_decref(j);
	return e;
}

static json_t *last_row(struct dpsim_proc *p, const char *query)
{
	json_t *rows = journal(p, query);
	size_t n = json_array_size(rows);

	if (!n)
		fail_msg("no journal row for %s", query);
	json_t *row = json_incref(json_array_get(rows, n - 1));
	json_decref(rows);
	return row;
}

/* The three keys of DP fqdn in the URL, percent-encoded as a client does. */
static char *dp_key_path(const char *nal)
{
	char raw[1024], *esc, *out = NULL;
	CURL *c = curl_easy_init();

	snprintf(raw, sizeof(raw), "(NALPath='%s',ResourceType='Windows NT Server',"
		 "SiteCode='PS1')", nal);
	esc = curl_easy_escape(c, raw, 0);
	assert_true(asprintf(&out, "SMS_DistributionPointInfo%s", esc) > 0);
	curl_free(esc);
	curl_easy_cleanup(c);
	return out;
}

static void set_mode(struct dpsim_proc *p, const char *route, const char *nal,
		     int mode, long want, json_t **out)
{
	char *body = NULL;
	json_t *b = json_pack("{s:s, s:i}", "NALPath", nal, "Mode", mode);
	struct req q = { 0 };

	body = json_dumps(b, JSON_COMPACT);
	json_decref(b);
	q.body = body;
	json_t *j = call_json(p, &q, route, want);
	free(body);
	if (out)
		*out = j;
	else
		json_decref(j);
}

static json_int_t mode_of(struct dpsim_proc *p, const char *name)
{
	json_t *doc = get(p, "SMS_DistributionPointInfo", 200);
	json_int_t m = jint(by_name(doc, name), "MaintenanceMode");

	json_decref(doc);
	return m;
}

/* ---- reading ---------------------------------------------------------------- */

static void collection_of_dps(void **state)
{
	struct dpsim_proc *p = *state;
	json_t *doc = get(p, "SMS_DistributionPointInfo", 200);
	char want_ctx[300];

	dpsim_base(p, want_ctx, sizeof(want_ctx));
	strcat(want_ctx, "/AdminService/wmi/$metadata#SMS_DistributionPointInfo");
	assert_string_equal(jstr(doc, "@odata.context"), want_ctx);
	assert_int_equal(json_array_size(json_object_get(doc, "value")), 6);

	json_t *dp01 = by_name(doc, "DP01.contoso.com");
	assert_string_equal(jstr(dp01, "NALPath"), DP01_NAL);
	assert_int_equal(jint(dp01, "MaintenanceMode"), 0);
	assert_int_equal(jint(dp01, "ID"), 1);
	assert_true(json_is_false(json_object_get(dp01, "IsPXE")));
	assert_true(json_is_null(json_object_get(dp01, "ShareName")));
	assert_string_equal(jstr(dp01, "ResourceType"), "Windows NT Server");
	assert_int_equal(jint(by_name(doc, "DP02.contoso.com"), "MaintenanceMode"), 1);
	assert_true(json_is_true(json_object_get(by_name(doc, "PXE01.contoso.com"),
						  "IsPXE")));

	/* The etag and WMI's system properties. */
	assert_string_equal(jstr(dp01, "@odata.etag"),
			    DP01_NAL ";Windows NT Server;PS1");
	assert_int_equal(jint(dp01, "__GENUS"), 2);
	assert_string_equal(jstr(dp01, "__CLASS"), "SMS_DistributionPointInfo");
	assert_string_equal(jstr(dp01, "__SUPERCLASS"), "SMS_BaseClass");
	assert_string_equal(jstr(dp01, "__SERVER"), "CM01");
	assert_string_equal(jstr(dp01, "__NAMESPACE"), "root\\sms\\site_PS1");
	assert_string_equal(jstr(dp01, "__RELPATH"),
		"SMS_DistributionPointInfo.NALPath=\"[\\\"Display=\\\\\\\\DP01.contoso.com"
		"\\\\\\\"]MSWNET:[\\\"SMS_SITE=PS1\\\"]\\\\\\\\DP01.contoso.com\\\\\","
		"ResourceType=\"Windows NT Server\",SiteCode=\"PS1\"");
	assert_true(!strncmp(jstr(dp01, "__PATH"), "\\\\CM01\\root\\sms\\site_PS1:"
			     "SMS_DistributionPointInfo.NALPath=", 55));
	assert_true(json_is_array(json_object_get(dp01, "__DERIVATION")));
	assert_true(json_is_array(json_object_get(dp01, "__LAZYPROPERTIES")));
	json_decref(doc);

	/* Class names in any case; the answer names the class as declared. */
	doc = get(p, "sms_DISTRIBUTIONpointinfo", 200);
	assert_contains(jstr(doc, "@odata.context"), "#SMS_DistributionPointInfo");
	assert_int_equal(json_array_size(json_object_get(doc, "value")), 6);
	json_decref(doc);
}

static void other_classes(void **state)
{
	struct dpsim_proc *p = *state;

	/* root/sms's provider location, served on the site's route. */
	json_t *doc = get(p, "SMS_ProviderLocation", 200);
	json_t *loc = json_array_get(json_object_get(doc, "value"), 0);
	assert_string_equal(jstr(loc, "Machine"), "CM01.contoso.com");
	assert_string_equal(jstr(loc, "SiteCode"), "PS1");
	assert_true(json_is_true(json_object_get(loc, "ProviderForLocalSite")));
	assert_string_equal(jstr(loc, "__NAMESPACE"), "root\\sms");
	json_decref(doc);

	/* A class the fixture declares. */
	doc = get(p, "SMS_DistributionPointGroup", 200);
	assert_true(json_array_size(json_object_get(doc, "value")) > 0);
	json_decref(doc);

	/* The association has no instances: an empty value. */
	doc = get(p, "SMS_DistributionPoint", 200);
	assert_int_equal(json_array_size(json_object_get(doc, "value")), 0);
	json_decref(doc);

	/* The service document lists them. */
	doc = get(p, "", 200);
	json_t *sets = json_object_get(doc, "value"), *s;
	size_t i;
	bool info = false, loc_set = false;
	json_array_foreach(sets, i, s) {
		assert_string_equal(jstr(s, "kind"), "EntitySet");
		info |= !strcmp(jstr(s, "name"), "SMS_DistributionPointInfo");
		loc_set |= !strcmp(jstr(s, "url"), "SMS_ProviderLocation");
	}
	assert_true(info && loc_set);
	assert_contains(jstr(doc, "@odata.context"), "/AdminService/wmi/$metadata");
	json_decref(doc);
}

static void keyed_instances(void **state)
{
	struct dpsim_proc *p = *state;
	json_t *doc = get(p, "SMS_ProviderLocation('PS1')", 200);

	/* Wrapped in value, as clients index it. */
	assert_int_equal(json_array_size(json_object_get(doc, "value")), 1);
	assert_string_equal(jstr(json_array_get(json_object_get(doc, "value"), 0),
				 "SiteCode"), "PS1");
	json_decref(doc);
	doc = get(p, "sms_providerlocation(SITECODE='ps1')", 200);
	assert_int_equal(json_array_size(json_object_get(doc, "value")), 1);
	json_decref(doc);

	char *path = dp_key_path(DP01_NAL);
	doc = get(p, path, 200);
	json_t *dp = json_array_get(json_object_get(doc, "value"), 0);
	assert_string_equal(jstr(dp, "Name"), "DP01.contoso.com");
	assert_int_equal(jint(dp, "MaintenanceMode"), 0);
	json_decref(doc);
	free(path);

	/* Unknown key: 404 with the provider's HRESULT. */
	doc = get(p, "SMS_ProviderLocation('PS9')", 404);
	assert_string_equal(err_hresult(doc), "0x80041002");
	assert_contains(err_message(doc, 404), "WBEM_E_NOT_FOUND");
	json_decref(doc);
	path = dp_key_path("no such DP");
	doc = get(p, path, 404);
	assert_string_equal(err_hresult(doc), "0x80041002");
	json_decref(doc);
	free(path);

	/* Keys that cannot be read: 400 naming what. */
	static const struct { const char *path, *part; } bad[] = {
		{ "SMS_ProviderLocation(PS1)", "in single quotes" },
		{ "SMS_ProviderLocation('PS1", "no closing quote" },
		{ "SMS_ProviderLocation(Machine='x')", "'Machine' is not one of its keys" },
		{ "SMS_ProviderLocation(SiteCode='a',SiteCode='b')", "it has 1 key" },
		{ "SMS_DistributionPointInfo('x')", "it has 3 keys (NALPath, ResourceType, SiteCode)" },
		{ "SMS_ProviderLocation()", "the key list is empty" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		doc = get(p, bad[i].path, 400);
		assert_contains(err_message(doc, 400), bad[i].part);
		json_decref(doc);
	}
}

/* ---- the method ---------------------------------------------------------------- */

static void set_mode_and_read_back(void **state)
{
	struct dpsim_proc *p = *state;
	json_t *ans;

	set_mode(p, "SMS_DistributionPointInfo.SetDPMaintenanceMode", DP01_NAL, 1, 200,
		 &ans);
	assert_int_equal(jint(ans, "ReturnValue"), 0);
	assert_contains(jstr(ans, "@odata.context"),
			"/AdminService/wmi/$metadata#__PARAMETERS");
	json_decref(ans);
	assert_int_equal(mode_of(p, "DP01.contoso.com"), 1);

	/* The provider's journal row, as WS-Man's with its protocol. */
	json_t *row = last_row(p, "protocol=adminservice&operation=invoke");
	assert_string_equal(jstr(row, "user"), "lab");
	assert_string_equal(jstr(row, "method"), "SetDPMaintenanceMode");
	assert_string_equal(jstr(row, "nalpath"), DP01_NAL);
	assert_int_equal(jint(row, "old_mode"), 0);
	assert_int_equal(jint(row, "new_mode"), 1);
	json_decref(row);

	/* The other spellings and class, and the method name in any case. */
	set_mode(p, "SMS_DistributionPoint/AdminService.SetDPMaintenanceMode",
		 DP01_NAL, 0, 200, NULL);
	assert_int_equal(mode_of(p, "DP01.contoso.com"), 0);
	set_mode(p, "SMS_DistributionPointInfo/adminservice.setdpmaintenancemode",
		 DP02_NAL, 0, 200, NULL);
	assert_int_equal(mode_of(p, "DP02.contoso.com"), 0);
}

/* A method with an out parameter: the out-parameters object at the top
 * level, its array typed; a rule's ReturnValue as the method's sint32. */
static void out_parameters(void **state)
{
	struct dpsim_proc *p = *state;
	char body[512];
	struct req q = { .body = body };
	const char *route = "SMS_DistributionPointInfo.GetChainedPullDPs";
	json_t *doc;

	snprintf(body, sizeof(body), "{\"SourceDPNALPath\": \"%s\"}",
		 "[\\\"Display=\\\\\\\\DP01.contoso.com\\\\\\\"]MSWNET:[\\\"SMS_SITE="
		 "PS1\\\"]\\\\\\\\DP01.contoso.com\\\\");
	doc = call_json(p, &q, route, 200);
	assert_int_equal(jint(doc, "ReturnValue"), 0);
	json_t *chain = json_object_get(doc, "ChainedDPs");
	assert_int_equal(json_array_size(chain), 1);
	assert_contains(json_string_value(json_array_get(chain, 0)), "PULLDP01.contoso.com");
	assert_contains(jstr(doc, "@odata.context"), "$metadata#__PARAMETERS");
	json_decref(doc);

	/* An [out] parameter is not taken in. */
	q.body = "{\"ChainedDPs\": []}";
	doc = call_json(p, &q, route, 400);
	assert_contains(err_message(doc, 400), "which takes SourceDPNALPath");
	json_decref(doc);

	json_decref(control_call(p, "POST", "faults", "{\"method\": \"GetChainedPullDPs\", "
				 "\"effect\": \"return\", \"hresult\": \"0x80041002\", "
				 "\"times\": 1}", 201));
	q.body = body;
	doc = call_json(p, &q, route, 200);
	assert_int_equal(jint(doc, "ReturnValue"), -2147217406);
	json_decref(doc);
}

static void method_refusals(void **state)
{
	struct dpsim_proc *p = *state;
	const char *route = "SMS_DistributionPointInfo.SetDPMaintenanceMode";
	json_t *doc;

	/* The provider's answers, with their HRESULT. */
	set_mode(p, route, "no such NAL path", 1, 404, &doc);
	assert_string_equal(err_hresult(doc), "0x80041002");
	json_decref(doc);
	set_mode(p, route, DP01_NAL, 2, 400, &doc);
	assert_string_equal(err_hresult(doc), "0x80041008");
	assert_contains(err_message(doc, 400), "Mode 2 is not valid");
	json_decref(doc);
	struct req q = { .body = "{\"NALPath\": \"x\"}" };
	doc = call_json(p, &q, route, 400);
	assert_string_equal(err_hresult(doc), "0x8004102F");
	json_decref(doc);

	/* Refused before the provider: 400 naming what. */
	static const struct { const char *body, *part; } bad[] = {
		{ "{\"NALPath\": \"x\", \"Mode\": \"1\"}", "'Mode' of SMS_DistributionPointInfo.SetDPMaintenanceMode is a uint32 (Edm.Int64); the value given is a string" },
		{ "{\"NALPath\": \"x\", \"Mode\": 1.5}", "a number with a fraction" },
		{ "{\"NALPath\": \"x\", \"Mode\": -1}", "out of range" },
		{ "{\"NALPath\": 7, \"Mode\": 1}", "'NALPath'" },
		{ "{\"nalpath\": \"x\", \"Mode\": 1}", "'nalpath' in the request body is not a parameter" },
		{ "{\"NALPath\": \"x\", \"Mode\": 1, \"Mode\": 0}", "duplicate" },
		{ "{\"NALPath\": \"x\"", "not valid JSON" },
		{ "[1]", "is an array" },
		{ "", "body is empty" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct req b = { .body = bad[i].body, .ct = "application/json" };

		doc = call_json(p, &b, route, 400);
		assert_contains(err_message(doc, 400), bad[i].part);
		json_decref(doc);
	}
	/* An annotation is not a parameter. */
	q.body = "{\"@odata.type\": \"#AdminService.x\", \"NALPath\": \"" "x" "\", \"Mode\": 1}";
	doc = call_json(p, &q, route, 404);
	assert_string_equal(err_hresult(doc), "0x80041002");
	json_decref(doc);

	/* 415: the body not declared JSON (Windows PowerShell's default). */
	struct req form = { .body = "NALPath=x&Mode=1",
			    .ct = "application/x-www-form-urlencoded" };
	doc = call_json(p, &form, route, 415);
	assert_contains(err_message(doc, 415), "application/x-www-form-urlencoded");
	json_decref(doc);
	/* odata=verbose and a charset are still JSON. */
	struct req verbose = { .body = "{\"NALPath\": \"x\", \"Mode\": 1}",
			       .ct = "application/json; odata=verbose; charset=utf-8" };
	json_decref(call_json(p, &verbose, route, 404));

	/* 405 with Allow. */
	struct http_reply r;
	struct req g = { .method = "GET" };
	call(p, &g, route, &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.allow, "POST");
	http_reply_free(&r);
	struct req post = { .body = "{}" };
	call(p, &post, "SMS_DistributionPointInfo", &r);
	assert_int_equal(r.status, 405);
	assert_string_equal(r.allow, "GET");
	http_reply_free(&r);

	/* Unknown method: 404. */
	q.body = "{}";
	doc = call_json(p, &q, "SMS_DistributionPointInfo.Bogus", 404);
	assert_contains(err_message(doc, 404), "has no method Bogus");
	json_decref(doc);

	/* Each refusal is a journal row of operation request. */
	json_t *row = last_row(p, "protocol=adminservice&operation=request&result=415");
	assert_string_equal(jstr(row, "user"), "lab");
	assert_int_equal(jint(row, "http_status"), 415);
	assert_contains(jstr(row, "params"), "media type");
	json_decref(row);
	row = last_row(p, "protocol=adminservice&operation=request&result=405");
	assert_string_equal(jstr(row, "class"), "SMS_DistributionPointInfo");
	json_decref(row);
}

/* ---- who may ------------------------------------------------------------------ */

static void credentials_and_roles(void **state)
{
	struct dpsim_proc *p = *state;
	struct http_reply r;
	struct req none = { .user = "" };
	json_t *doc;

	call(p, &none, "SMS_DistributionPointInfo", &r);
	assert_int_equal(r.status, 401);
	assert_string_equal(r.www_authenticate, "Basic realm=\"AdminService\"");
	assert_contains(r.body, "\"code\":\"401\"");
	http_reply_free(&r);
	struct req wrong = { .user = "lab", .pass = "nope" };
	doc = call_json(p, &wrong, "SMS_DistributionPointInfo", 401);
	assert_contains(err_message(doc, 401), "wrong user name or password");
	json_decref(doc);
	json_t *row = last_row(p, "protocol=adminservice&result=401");
	assert_string_equal(jstr(row, "user"), "lab");
	assert_string_equal(jstr(row, "operation"), "request");
	json_decref(row);

	/* The analyst reads, and is refused a change as a real site does:
	 * 404, "Access denied". */
	struct req analyst = { .user = "analyst" };
	doc = call_json(p, &analyst, "SMS_DistributionPointInfo", 200);
	json_decref(doc);
	analyst.body = "{\"NALPath\": \"" "x" "\", \"Mode\": 1}";
	char body[512];
	snprintf(body, sizeof(body), "{\"NALPath\": \"%s\", \"Mode\": 1}",
		 "[\\\"Display=\\\\\\\\DP01.contoso.com\\\\\\\"]MSWNET:[\\\"SMS_SITE=PS1"
		 "\\\"]\\\\\\\\DP01.contoso.com\\\\");
	analyst.body = body;
	doc = call_json(p, &analyst, "SMS_DistributionPointInfo.SetDPMaintenanceMode",
			404);
	assert_true(!strncmp(err_message(doc, 404), "Access denied", 13));
	assert_string_equal(err_hresult(doc), "0x80041003");
	json_decref(doc);
	assert_int_equal(mode_of(p, "DP01.contoso.com"), 0);
	row = last_row(p, "protocol=adminservice&operation=invoke&user=analyst");
	assert_string_equal(jstr(row, "hresult"), "0x80041003");
	json_decref(row);

	/* Scopes: branch sees only DP03. */
	struct req branch = { .user = "branch" };
	doc = call_json(p, &branch, "SMS_DistributionPointInfo", 200);
	assert_int_equal(json_array_size(json_object_get(doc, "value")), 1);
	by_name(doc, "DP03.branch.contoso.com");
	json_decref(doc);
}

static int start_403(void **state)
{
	static const char *const args[] = { "--adminservice-denied", "403",
					     NULL };

	return harness_start_with(state, args);
}

static void denied_as_403(void **state)
{
	struct dpsim_proc *p = *state;
	char body[512];
	struct req q = { .user = "analyst", .body = body };

	snprintf(body, sizeof(body), "{\"NALPath\": \"x\", \"Mode\": 0}");
	json_t *doc = call_json(p, &q, "SMS_DistributionPointInfo.SetDPMaintenanceMode",
				403);
	assert_true(!strncmp(err_message(doc, 403), "Access denied", 13));
	assert_string_equal(err_hresult(doc), "0x80041003");
	json_decref(doc);
}

/* ---- routes and options ---------------------------------------------------------- */

static void routes_and_options(void **state)
{
	struct dpsim_proc *p = *state;
	json_t *doc;

	doc = get(p, "SMS_NoSuchClass", 404);
	assert_contains(err_message(doc, 404), "SMS_NoSuchClass is not served");
	json_decref(doc);
	doc = get(p, "__Namespace", 404);
	json_decref(doc);
	doc = get(p, "SMS_DistributionPointInfo/Name", 404);
	json_decref(doc);

	/* Another AdminService route. */
	char url[300];
	struct http_reply r;
	const char *hdr[] = { "Authorization: Basic bGFiOmxhYg==", NULL };
	dpsim_base(p, url, sizeof(url));
	strcat(url, "/AdminService/v1.0/Device");
	assert_int_equal(http_request("GET", url, hdr, NULL, 0, &r), 0);
	assert_int_equal(r.status, 404);
	assert_contains(r.body, "\"code\":\"404\"");
	http_reply_free(&r);

	/* Query options (odata_query.h): filter, order, page, count, select. */
	doc = get(p, "SMS_DistributionPointInfo?$filter=Name%20eq%20'DP01.contoso.com'", 200);
	assert_int_equal(json_array_size(json_object_get(doc, "value")), 1);
	by_name(doc, "DP01.contoso.com");
	json_decref(doc);
	doc = get(p, "SMS_DistributionPointInfo?$filter=startswith(Name,'DP')%20and%20"
		  "MaintenanceMode%20eq%200&$orderby=Name%20desc&$count=true", 200);
	json_t *v = json_object_get(doc, "value");
	assert_int_equal(jint(doc, "@odata.count"), 2);
	assert_int_equal(json_array_size(v), 2);
	assert_string_equal(jstr(json_array_get(v, 0), "Name"), "DP03.branch.contoso.com");
	assert_string_equal(jstr(json_array_get(v, 1), "Name"), "DP01.contoso.com");
	json_decref(doc);
	doc = get(p, "SMS_DistributionPointInfo?$orderby=Name&$skip=1&$top=2&$count=true", 200);
	v = json_object_get(doc, "value");
	assert_int_equal(jint(doc, "@odata.count"), 6);
	assert_int_equal(json_array_size(v), 2);
	assert_string_equal(jstr(json_array_get(v, 0), "Name"), "DP01.contoso.com");
	assert_string_equal(jstr(json_array_get(v, 1), "Name"), "DP02.contoso.com");
	json_decref(doc);
	/* $select: the properties selected and nothing else. */
	doc = get(p, "SMS_DistributionPointInfo?$select=MaintenanceMode,Name&"
		  "$filter=MaintenanceMode%20eq%201", 200);
	v = json_array_get(json_object_get(doc, "value"), 0);
	assert_int_equal(json_array_size(json_object_get(doc, "value")), 1);
	assert_int_equal(json_object_size(v), 2);
	assert_string_equal(jstr(v, "Name"), "DP02.contoso.com");
	assert_int_equal(jint(v, "MaintenanceMode"), 1);
	json_decref(doc);
	doc = get(p, "SMS_ProviderLocation('PS1')?$select=Machine", 200);
	v = json_array_get(json_object_get(doc, "value"), 0);
	assert_int_equal(json_object_size(v), 1);
	assert_string_equal(jstr(v, "Machine"), "CM01.contoso.com");
	json_decref(doc);

	/* A bad option: 400 with the option, position and token. */
	doc = get(p, "SMS_DistributionPointInfo?$filter=Name%20EQ%20'x'", 400);
	assert_contains(err_message(doc, 400), "$filter at position 6");
	json_t *inner = json_object_get(json_object_get(doc, "error"), "innererror");
	assert_string_equal(jstr(inner, "option"), "$filter");
	assert_int_equal(jint(inner, "position"), 6);
	assert_string_equal(jstr(inner, "token"), "EQ");
	json_decref(doc);
	doc = get(p, "SMS_DistributionPointInfo?$expand=x", 400);
	assert_contains(err_message(doc, 400), "$expand");
	json_decref(doc);
	/* One instance takes $select only; the documents take none. */
	doc = get(p, "SMS_ProviderLocation('PS1')?$top=1", 400);
	assert_contains(err_message(doc, 400), "'$top' applies to a collection");
	json_decref(doc);
	doc = get(p, "$metadata?$top=1", 400);
	assert_contains(err_message(doc, 400), "'$top' does not apply to $metadata");
	json_decref(doc);
	/* A custom option (no '$') is ignored. */
	json_decref(get(p, "SMS_DistributionPointInfo?client=me", 200));

	/* The enumeration's journal row shows the options. */
	json_t *erow = last_row(p, "protocol=adminservice&operation=enumerate");
	assert_true(json_is_null(json_object_get(erow, "params")));
	json_decref(erow);
	json_decref(get(p, "SMS_DistributionPointInfo?$top=1&$orderby=Name", 200));
	erow = last_row(p, "protocol=adminservice&operation=enumerate");
	assert_string_equal(jstr(erow, "params"), "$top=1&$orderby=Name");
	json_decref(erow);

	json_t *row = last_row(p, "protocol=adminservice&result=400");
	assert_contains(jstr(row, "params"), "'$top' does not apply to $metadata");
	json_decref(row);
}

/* ---- fault rules ------------------------------------------------------------------ */

static void add_rule(struct dpsim_proc *p, const char *rule)
{
	json_decref(control_call(p, "POST", "faults", rule, 201));
}

static void fault_rules(void **state)
{
	struct dpsim_proc *p = *state;
	const char *route = "SMS_DistributionPointInfo.SetDPMaintenanceMode";
	json_t *doc;

	/* A rule for WS-Man does not fire here. */
	add_rule(p, "{\"protocol\": \"wsman\", \"effect\": \"fault\"}");
	set_mode(p, route, DP01_NAL, 1, 200, NULL);
	json_decref(control_call(p, "DELETE", "faults", NULL, 200));

	add_rule(p, "{\"protocol\": \"adminservice\", \"method\": \"SetDPMaintenanceMode\", "
		 "\"effect\": \"fault\", \"hresult\": \"WBEM_E_PROVIDER_FAILURE\", \"times\": 1}");
	set_mode(p, route, DP01_NAL, 0, 500, &doc);
	assert_string_equal(err_hresult(doc), "0x80041004");
	assert_contains(err_message(doc, 500), "WBEM_E_PROVIDER_FAILURE (0x80041004)");
	json_decref(doc);
	assert_int_equal(mode_of(p, "DP01.contoso.com"), 1);

	add_rule(p, "{\"protocol\": \"adminservice\", \"effect\": \"return\", "
		 "\"hresult\": 5, \"times\": 1}");
	set_mode(p, route, DP01_NAL, 0, 200, &doc);
	assert_int_equal(jint(doc, "ReturnValue"), 5);
	json_decref(doc);

	add_rule(p, "{\"protocol\": \"adminservice\", \"operation\": \"enumerate\", "
		 "\"effect\": \"http\", \"http_status\": 503, \"times\": 1}");
	doc = get(p, "SMS_DistributionPointInfo", 503);
	assert_contains(err_message(doc, 503), "HTTP 503 injected");
	json_decref(doc);

	add_rule(p, "{\"protocol\": \"adminservice\", \"operation\": \"get\", "
		 "\"effect\": \"drop\", \"times\": 1}");
	struct http_reply r;
	struct req q = { 0 };
	call(p, &q, "SMS_ProviderLocation('PS1')", &r);
	assert_int_equal(r.status, 0);
	assert_int_equal(r.curl_code, CURLE_GOT_NOTHING_CODE);
	http_reply_free(&r);

	/* A delay is served after the wait, and journaled. */
	add_rule(p, "{\"protocol\": \"adminservice\", \"effect\": \"delay\", "
		 "\"delay_ms\": 50, \"times\": 1}");
	set_mode(p, route, DP01_NAL, 0, 200, &doc);
	assert_int_equal(jint(doc, "ReturnValue"), 0);
	json_decref(doc);
	assert_int_equal(mode_of(p, "DP01.contoso.com"), 0);
	json_t *row = last_row(p, "protocol=adminservice&result=delay");
	assert_string_equal(jstr(row, "effect"), "delay");
	json_decref(row);
}

/* ---- the site ------------------------------------------------------------------ */

static int start_two_sites(void **state)
{
	static char lab[512], branch[512];
	static const char *args[] = { "--fixture", lab, "--fixture", branch, NULL };

	snprintf(lab, sizeof(lab), "%s/fixtures/lab.xml", SOURCE_ROOT);
	snprintf(branch, sizeof(branch), "%s/tests/unit/fixtures/good_branch.xml",
		 SOURCE_ROOT);
	return harness_start_with(state, args);
}

static const char *site_of(struct dpsim_proc *p, const char *host)
{
	static char code[8];
	struct req q = { .host = host };
	json_t *doc = call_json(p, &q, "SMS_DistributionPointInfo", 200);
	json_t *first = json_array_get(json_object_get(doc, "value"), 0);

	snprintf(code, sizeof(code), "%s", jstr(first, "SiteCode"));
	if (host)
		assert_contains(jstr(doc, "@odata.context"), host);
	json_decref(doc);
	return code;
}

static void site_by_host(void **state)
{
	struct dpsim_proc *p = *state;

	assert_string_equal(site_of(p, NULL), "PS1");	/* 127.0.0.1: the first */
	assert_string_equal(site_of(p, "cm01.contoso.com"), "PS1");
	assert_string_equal(site_of(p, "CMBR.branch.contoso.com"), "BR1");
	assert_string_equal(site_of(p, "cmbr.BRANCH.contoso.com:443"), "BR1");
	assert_string_equal(site_of(p, "elsewhere.example"), "PS1");

	/* The method changes the Host's site. */
	struct req q = { .host = "CMBR.branch.contoso.com",
			 .body = "{\"NALPath\": \"[\\\"Display=\\\\\\\\BRDP02\\\\\\\"]"
				 "MSWNET:[\\\"SMS_SITE=BR1\\\"]\\\\\\\\BRDP02\\\\\", "
				 "\"Mode\": 0}" };
	json_decref(call_json(p, &q, "SMS_DistributionPointInfo.SetDPMaintenanceMode",
			      200));
	json_t *row = last_row(p, "protocol=adminservice&operation=invoke");
	assert_string_equal(jstr(row, "site"), "BR1");
	json_decref(row);
}

/* ---- $metadata ------------------------------------------------------------------ */

static double xcount(xmlXPathContextPtr ctx, const char *expr)
{
	xmlXPathObjectPtr o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
	double n = o && o->type == XPATH_NUMBER ? o->floatval : -1;

	if (n < 0)
		fail_msg("XPath %s is not a count", expr);
	xmlXPathFreeObject(o);
	return n;
}

static void metadata_is_csdl(void **state)
{
	struct dpsim_proc *p = *state;
	struct http_reply r;
	struct req q = { 0 };

	call(p, &q, "$metadata", &r);
	assert_int_equal(r.status, 200);
	assert_contains(r.content_type, "application/xml");
	xmlDocPtr doc = xmlReadMemory(r.body, (int)r.len, "metadata.xml", NULL,
				      XML_PARSE_NONET);
	assert_non_null(doc);	/* well-formed */
	xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
	xmlXPathRegisterNs(ctx, BAD_CAST "edmx", BAD_CAST EDMX);
	xmlXPathRegisterNs(ctx, BAD_CAST "e", BAD_CAST EDM);

	assert_true(xcount(ctx, "count(/edmx:Edmx[@Version='4.0']/edmx:DataServices"
			   "/e:Schema[@Namespace='AdminService'])") == 1);
	const char *dpi = "/edmx:Edmx/edmx:DataServices/e:Schema[@Namespace="
			  "'AdminService']/e:EntityType[@Name='SMS_DistributionPointInfo']";
	char expr[600];
	snprintf(expr, sizeof(expr), "count(%s/e:Key/e:PropertyRef)", dpi);
	assert_true(xcount(ctx, expr) == 3);
	snprintf(expr, sizeof(expr), "count(%s/e:Key/e:PropertyRef[@Name='NALPath'])"
		 " + count(%s/e:Key/e:PropertyRef[@Name='SiteCode'])", dpi, dpi);
	assert_true(xcount(ctx, expr) == 2);
	snprintf(expr, sizeof(expr), "count(%s/e:Property[@Name='MaintenanceMode' and "
		 "@Type='Edm.Int64'])", dpi);
	assert_true(xcount(ctx, expr) == 1);
	snprintf(expr, sizeof(expr), "count(%s/e:Property[@Name='IsPXE' and "
		 "@Type='Edm.Boolean'])", dpi);
	assert_true(xcount(ctx, expr) == 1);
	snprintf(expr, sizeof(expr), "count(%s/e:Property[@Name='NALPath' and "
		 "@Nullable='false'])", dpi);
	assert_true(xcount(ctx, expr) == 1);
	snprintf(expr, sizeof(expr), "count(%s/e:Property[@Name='__PATH'])", dpi);
	assert_true(xcount(ctx, expr) == 1);
	/* Every property key names a property. */
	assert_true(xcount(ctx, "count(//e:EntityType/e:Key/e:PropertyRef[not(@Name = "
			   "../../e:Property/@Name)])") == 0);

	/* The method: a bound action per class, and the action import a
	 * client searches for. */
	assert_true(xcount(ctx, "count(//e:Action[@Name='SetDPMaintenanceMode' and "
			   "@IsBound='true']/e:Parameter[@Name='bindingParameter' and "
			   "@Type='Collection(AdminService.SMS_DistributionPointInfo)'])") == 1);
	assert_true(xcount(ctx, "count(//e:Action[@Name='SetDPMaintenanceMode' and "
			   "@IsBound='true']/e:Parameter[@Name='Mode' and "
			   "@Type='Edm.Int64'])") == 2);
	assert_true(xcount(ctx, "count(//e:EntityContainer/e:ActionImport[@Name="
			   "'SMS_DistributionPointInfo.SetDPMaintenanceMode' and @Action="
			   "'AdminService.SMS_DistributionPointInfo.SetDPMaintenanceMode'])")
		    == 1);
	assert_true(xcount(ctx, "count(/edmx:Edmx/edmx:DataServices/e:Schema[@Namespace="
			   "'AdminService.SMS_DistributionPointInfo']/e:Action[@Name="
			   "'SetDPMaintenanceMode' and not(@IsBound)]/e:Parameter)") == 2);
	/* An entity set per entity type, each of a declared type. */
	assert_true(xcount(ctx, "count(//e:EntityContainer/e:EntitySet)") ==
		    xcount(ctx, "count(//e:EntityType)"));
	assert_true(xcount(ctx, "count(//e:EntitySet[not(substring-after(@EntityType, "
			   "'AdminService.') = //e:EntityType/@Name)])") == 0);
	assert_true(xcount(ctx, "count(//e:EntitySet[@Name='SMS_ProviderLocation'])") == 1);

	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	http_reply_free(&r);
}

/* ---- HTTPS ----------------------------------------------------------------------- */

/* dpsim with a self-signed certificate in its own directory (removed
 * with it), trusted by the test's requests. */
static int start_tls(void **state)
{
	static char cert[400], key[400];
	struct dpsim_proc *p = calloc(1, sizeof(*p));
	char *out = NULL, *err = NULL;

	if (!p)
		return -1;
	dpsim_prepare(p);
	snprintf(cert, sizeof(cert), "%s/cert.pem", p->dir);
	snprintf(key, sizeof(key), "%s/key.pem", p->dir);
	const char *argv[] = { "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
		"ec_paramgen_curve:prime256v1", "-nodes", "-keyout", key, "-out",
		cert, "-days", "2", "-subj", "/CN=localhost", "-addext",
		"subjectAltName=IP:127.0.0.1", NULL };
	argv[0] = access("/usr/bin/openssl", X_OK) == 0 ? "/usr/bin/openssl"
						       : "/usr/local/bin/openssl";
	int st = run_program(argv, NULL, &out, &err);
	if (st)
		fprintf(stderr, "openssl exited %d: %s", st, err);
	free(out);
	free(err);
	static const char *args[] = { "--tls-cert", cert, "--tls-key", key, NULL };
	if (st || dpsim_start(p, args)) {
		dpsim_cleanup(p);
		free(p);
		return -1;
	}
	http_set_ca_file(cert);
	*state = p;
	return 0;
}

static void over_https(void **state)
{
	struct dpsim_proc *p = *state;
	struct req q = { .https = true };
	json_t *doc = call_json(p, &q, "SMS_DistributionPointInfo", 200);

	assert_true(!strncmp(jstr(doc, "@odata.context"), "https://127.0.0.1:", 18));
	assert_int_equal(json_array_size(json_object_get(doc, "value")), 6);
	json_decref(doc);
	set_mode(p, "SMS_DistributionPointInfo.SetDPMaintenanceMode", DP01_NAL, 1,
		 200, NULL);
	q.body = "{\"NALPath\": \"x\", \"Mode\": 1}";
	doc = call_json(p, &q, "SMS_DistributionPointInfo.SetDPMaintenanceMode", 404);
	assert_string_equal(err_hresult(doc), "0x80041002");
	json_decref(doc);
	struct req get1 = { .https = true };
	doc = call_json(p, &get1, "SMS_DistributionPointInfo", 200);
	assert_int_equal(jint(by_name(doc, "DP01.contoso.com"), "MaintenanceMode"), 1);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(collection_of_dps, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(other_classes, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(keyed_instances, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(set_mode_and_read_back, harness_start,
						harness_stop),
		cmocka_unit_test_setup_teardown(out_parameters, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(method_refusals, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(credentials_and_roles, harness_start,
						harness_stop),
		cmocka_unit_test_setup_teardown(denied_as_403, start_403, harness_stop),
		cmocka_unit_test_setup_teardown(routes_and_options, harness_start,
						harness_stop),
		cmocka_unit_test_setup_teardown(fault_rules, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(site_by_host, start_two_sites, harness_stop),
		cmocka_unit_test_setup_teardown(metadata_is_csdl, harness_start, harness_stop),
		cmocka_unit_test_setup_teardown(over_https, start_tls, harness_stop),
	};

	curl_global_init(CURL_GLOBAL_DEFAULT);
	int rc = cmocka_run_group_tests_name("adminservice", tests, NULL, NULL);
	curl_global_cleanup();
	return rc;
}
