/* adminservice: the AdminService's WMI route. See adminservice.h for the
 * routes and docs/adminservice-api.md for the wire format.
 *
 * A request goes: admit() authenticates from the headers (HTTP Basic,
 * as the other front ends; a 401 drains the body so the client's retry
 * can use the connection); serve() reads the route, picks the site from
 * Host, resolves the class, and makes the one provider call the route
 * stands for (enumerate, get or invoke) with the request's provider_call,
 * which a fault rule's delay may defer: serve() then runs again with the
 * same state, and every step before the call is repeated as it was.
 *
 * CIM values become JSON in wsman/cim_json (the one place that knows the
 * mapping); this file adds what OData and WMI put around them.
 */
#include "adminservice.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth.h"
#include "buf.h"
#include "cim_json.h"
#include "hresult.h"
#include "log.h"
#include "odata_query.h"
#include "ratelimit.h"

#define PREFIX "/AdminService"
#define WMI_ROUTE "/wmi"
#define CHALLENGE "Basic realm=\"AdminService\""
/* What OData answers carry (ASP.NET OData's minimal metadata). */
#define ODATA_JSON "application/json; odata.metadata=minimal; " \
		   "odata.streaming=true; IEEE754Compatible=false; charset=utf-8"
#define XML_TYPE "application/xml; charset=utf-8"
/* The CSDL namespace of the entity types, and the qualifier of a method
 * in ".../<Class>/AdminService.<Method>". */
#define SCHEMA "AdminService"
/* The real SMS classes derive from SMS_BaseClass (docs/adminservice-api.md,
 * System properties). */
#define SMS_BASE "SMS_BaseClass"

struct adminservice {
	pthread_mutex_t lock;	/* ready, p, auth.fx */
	bool ready;
	struct provider *p;
	struct auth_policy auth;
	unsigned denied_status;
	struct ratelimit *log_401;	/* refused credentials: once a minute */
	struct front front;
};

/* One request, from admit() to release(). */
struct as_req {
	struct caller who;
	struct provider_call call;	/* kept across a deferral */
};

struct adminservice *adminservice_new(const struct adminservice_options *o)
{
	struct adminservice *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->log_401 = ratelimit_new(60000);
	if (!a->log_401) {
		free(a);
		return NULL;
	}
	a->auth.schemes = AUTH_SCHEME_BASIC;
	a->denied_status = o && o->denied_status == 403 ? 403 : 404;
	pthread_mutex_init(&a->lock, NULL);
	return a;
}

void adminservice_free(struct adminservice *a)
{
	if (!a)
		return;
	ratelimit_free(a->log_401);
	pthread_mutex_destroy(&a->lock);
	free(a);
}

void adminservice_set_ready(struct adminservice *a, const struct fixture *fx,
			    struct provider *p)
{
	pthread_mutex_lock(&a->lock);
	a->auth.fx = fx;
	a->p = p;
	a->ready = true;
	pthread_mutex_unlock(&a->lock);
}

static struct provider *ready_provider(struct adminservice *a)
{
	pthread_mutex_lock(&a->lock);
	struct provider *p = a->ready ? a->p : NULL;
	pthread_mutex_unlock(&a->lock);
	return p;
}

/* ---- the methods the route serves ------------------------------------- */

/* The static methods of a class are those it declares (catalog.h): its
 * [in] parameters are read from the body, its [out] parameters and
 * ReturnValue answered (cim_method_output_class). */
static const struct cim_method *find_method(const struct cim_class *k,
					    const char *name)
{
	return cim_class_find_method(k, name);
}

/* ---- one request --------------------------------------------------------- */

enum route_kind {
	R_NONE,		/* no route: 404 */
	R_SERVICE,	/* the service document */
	R_METADATA,	/* $metadata */
	R_COLLECTION,	/* <Class> */
	R_ENTITY,	/* <Class>(keys) */
	R_METHOD,	/* <Class>.<Method>, <Class>/AdminService.<Method> */
};

#define MAX_KEYS 16

/* A key of <Class>(...) as written: name NULL for the one-key form. */
struct key_lit {
	char *name;
	char *value;		/* unquoted, '' undoubled */
	bool quoted;
};

struct route {
	enum route_kind kind;
	char cls[128];		/* as the request spells it */
	char method[128];
	struct key_lit keys[MAX_KEYS];
	size_t nkeys;
	char why[300];		/* R_NONE, or a key list that does not
				 * parse (kind R_ENTITY, bad_keys) */
	bool bad_keys;
};

struct ctx {
	struct adminservice *as;
	struct provider *p;
	const struct front_request *rq;
	struct front_answer *ans;
	struct as_req *r;
	int64_t start_us;
	struct route rt;
	char base[320];		/* "https://cm01.contoso.com" */
	char site[16];		/* the site served */
	char machine[256];	/* its provider */
	char ns[64];		/* root/sms/site_<CODE> */
	const char *cls;	/* the class as declared, once resolved */
};

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void route_free(struct route *rt)
{
	for (size_t i = 0; i < rt->nkeys; i++) {
		free(rt->keys[i].name);
		free(rt->keys[i].value);
	}
	rt->nkeys = 0;
}

/* ---- answers ------------------------------------------------------------- */

/* The document as the answer (takes body; NULL: out of memory). */
static int answer_json(struct ctx *x, int status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER)
			  : NULL;

	json_decref(body);
	free(x->ans->body);
	x->ans->body = NULL;
	x->ans->len = 0;
	x->ans->content_type = ODATA_JSON;
	if (!text) {
		static const char oom[] = "{\"error\":{\"code\":\"500\","
					  "\"message\":\"out of memory\"}}";

		text = strdup(oom);
		status = 500;
	}
	x->ans->status = status;
	x->ans->body = text;
	x->ans->len = text ? strlen(text) : 0;
	return status;
}

/* A message JSON can carry: the bytes of a request echoed in it need
 * not be UTF-8, and a bad input's error must not become a 500. */
static json_t *message_json(const char *msg)
{
	json_t *s = json_string(msg);

	if (!s) {
		char *copy = strdup(msg);

		if (!copy)
			return NULL;
		for (char *c = copy; *c; c++)
			if ((unsigned char)*c >= 0x80)
				*c = '?';
		s = json_string(copy);
		free(copy);
	}
	return s;
}

/* {"error": {"code": "<status>", "message": msg[, "innererror": inner]}} */
static json_t *error_doc(int status, const char *msg, json_t *inner)
{
	char code[8];
	json_t *err;

	snprintf(code, sizeof(code), "%d", status);
	err = json_pack("{s:s, s:o}", "code", code, "message", message_json(msg));
	if (err && inner)
		json_object_set_new(err, "innererror", inner);
	else
		json_decref(inner);
	return err ? json_pack("{s:o}", "error", err) : NULL;
}

/* The journal row of a request refused before the provider answered it
 * (operation "request", docs/adminservice-api.md, Refusals). */
static void journal_refusal(struct provider *p, const char *user, const char *cls,
			    const char *method, int status, const char *why,
			    int64_t latency_us)
{
	char status_text[8];

	if (!p)
		return;
	snprintf(status_text, sizeof(status_text), "%d", status);
	struct journal_entry e = {
		.user = user, .protocol = "adminservice", .operation = "request",
		.class_name = cls, .method = method, .params = why,
		.old_mode = -1, .new_mode = -1, .latency_us = latency_us,
		.http_status = (unsigned)status, .refusal = status_text,
	};
	/* A row that cannot be written is logged by the store; the answer
	 * stays what it is. */
	(void)journal_record(provider_journal(p), &e);
}

/* Refuses the request before (or instead of) a provider call: the OData
 * error, a log line at info, a journal row. Returns status. */
static int refuse(struct ctx *x, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int vrefuse(struct ctx *x, int status, json_t *inner, const char *fmt,
		   va_list ap) __attribute__((format(printf, 4, 0)));

/* refuse() with an innererror object (taken). */
static int vrefuse(struct ctx *x, int status, json_t *inner, const char *fmt,
		   va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	log_info("refused an AdminService request from %s (%s): %s %s: %d %s",
		 x->rq->peer ? x->rq->peer : "?", x->r->who.user, x->rq->method,
		 x->rq->path, status, msg);
	journal_refusal(x->p, x->r->who.user,
			x->cls ? x->cls : (x->rt.cls[0] ? x->rt.cls : NULL),
			x->rt.method[0] ? x->rt.method : NULL, status, msg,
			mono_us() - x->start_us);
	snprintf(x->ans->trace, sizeof(x->ans->trace), "refused %d: %.200s",
		 status, msg);
	return answer_json(x, status, error_doc(status, msg, inner));
}

static int refuse(struct ctx *x, int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	status = vrefuse(x, status, NULL, fmt, ap);
	va_end(ap);
	return status;
}

static int refuse_inner(struct ctx *x, int status, json_t *inner,
			const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static int refuse_inner(struct ctx *x, int status, json_t *inner,
			const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	status = vrefuse(x, status, inner, fmt, ap);
	va_end(ap);
	return status;
}

static int refuse_method(struct ctx *x, const char *allow)
{
	x->ans->allow = allow;
	return refuse(x, 405, "The requested resource does not support HTTP "
		      "method '%s'; it takes %s.", x->rq->method, allow);
}

/* The status a provider HRESULT is answered with. */
static int hresult_status(const struct ctx *x, uint32_t hr)
{
	switch (hr) {
	case WBEM_E_ACCESS_DENIED:
		return (int)x->as->denied_status;
	case WBEM_E_NOT_FOUND:
	case WBEM_E_INVALID_NAMESPACE:
	case WBEM_E_INVALID_CLASS:
	case WBEM_E_INVALID_METHOD:
		return 404;
	case WBEM_E_INVALID_PARAMETER:
	case WBEM_E_INVALID_METHOD_PARAMETERS:
	case WBEM_E_TYPE_MISMATCH:
	case WBEM_E_INVALID_QUERY:
		return 400;
	default:
		return 500;
	}
}

/* A provider error (journaled by the provider): the status its HRESULT
 * maps to, the message with the HRESULT, and innererror for a script
 * that wants the HRESULT apart. what: "WMI QUERY: SELECT * FROM X" or
 * "WMI METHOD: X.M", the context an access refusal names. */
static int provider_error(struct ctx *x, uint32_t hr, const char *msg,
			  const char *what)
{
	const char *name = hresult_name(hr);
	char hex[16], text[1400];
	int status = hresult_status(x, hr);

	snprintf(hex, sizeof(hex), "0x%08X", (unsigned)hr);
	if (hr == WBEM_E_ACCESS_DENIED)
		/* A real site's refusal begins so (docs/adminservice-api.md,
		 * Errors); the provider's reason follows. */
		snprintf(text, sizeof(text), "Access denied  %s: %s", what,
			 msg && *msg ? msg : "");
	else
		snprintf(text, sizeof(text), "%s (%s): %s", name ? name : "WMI error",
			 hex, msg && *msg ? msg : "the provider failed");
	json_t *inner = json_pack("{s:s, s:o, s:o, s:o}", "hresult", hex,
				  "hresult_name", name ? json_string(name) : json_null(),
				  "message", message_json(msg ? msg : ""),
				  "rule", x->r->call.rule_id
					  ? json_integer(x->r->call.rule_id) : json_null());
	snprintf(x->ans->trace + strlen(x->ans->trace),
		 sizeof(x->ans->trace) - strlen(x->ans->trace), ", %s %s",
		 name ? name : "", hex);
	return answer_json(x, status, error_doc(status, text, inner));
}

/* A fault rule took the answer over (provider_call_intercepted). */
static int intercepted(struct ctx *x, const char *msg)
{
	const struct provider_call *c = &x->r->call;
	char text[300];
	int status;

	if (c->deferred) {
		x->ans->defer_ms = c->wait_ms;
		x->ans->wait = c->wait_on;
		return 0;
	}
	if (c->effect == FAULT_DROP) {
		x->ans->drop = true;
		return 0;
	}
	if (c->effect == FAULT_HTTP) {
		status = (int)c->http_status;
		snprintf(text, sizeof(text), "HTTP %u injected by dpsim fault rule "
			 "%lld.", c->http_status, (long long)c->rule_id);
	} else {
		/* A REST client has no OperationTimeout to be told about: a
		 * gateway timeout after the wait. */
		status = 504;
		snprintf(text, sizeof(text), "The operation timed out (%s).",
			 msg && *msg ? msg : "dpsim fault rule");
	}
	return answer_json(x, status, error_doc(status, text, NULL));
}

/* ---- the request's site -------------------------------------------------- */

struct site_pick {
	char host[256];		/* the Host name, no port */
	char first[16], first_machine[256];
	char match[16], match_machine[256];
};

static int pick_cb(void *ctx, const struct provider_site_view *v)
{
	struct site_pick *s = ctx;

	if (!s->first[0]) {
		snprintf(s->first, sizeof(s->first), "%s", v->code);
		snprintf(s->first_machine, sizeof(s->first_machine), "%s",
			 v->machine ? v->machine : "");
	}
	if (s->host[0] && v->machine && !strcasecmp(v->machine, s->host)) {
		snprintf(s->match, sizeof(s->match), "%s", v->code);
		snprintf(s->match_machine, sizeof(s->match_machine), "%s", v->machine);
		return 1;
	}
	return 0;
}

/* The host name of a Host header: "[::1]:8080" -> "::1", "a.b:443" -> "a.b". */
static void host_name(const char *host, char *out, size_t size)
{
	const char *end;

	out[0] = '\0';
	if (!host)
		return;
	if (host[0] == '[') {
		end = strchr(host, ']');
		if (end)
			snprintf(out, size, "%.*s", (int)(end - host - 1), host + 1);
		return;
	}
	end = strchr(host, ':');
	snprintf(out, size, "%.*s", end ? (int)(end - host) : (int)strlen(host), host);
}

/* The site whose provider is the Host name, else the first one served.
 * -1 (answered) when no site is served. */
static int pick_site(struct ctx *x)
{
	struct site_pick s = { 0 };
	const char *host = front_header(x->rq, "Host");

	host_name(host, s.host, sizeof(s.host));
	provider_foreach_site(x->p, NULL, pick_cb, &s);
	if (!s.first[0]) {
		refuse(x, 404, "No site is served: the AdminService has no "
		       "namespace to answer from.");
		return -1;
	}
	snprintf(x->site, sizeof(x->site), "%s", s.match[0] ? s.match : s.first);
	snprintf(x->machine, sizeof(x->machine), "%s",
		 s.match[0] ? s.match_machine : s.first_machine);
	snprintf(x->ns, sizeof(x->ns), "root/sms/site_%s", x->site);
	/* The answers name the service as the client reached it. */
	snprintf(x->base, sizeof(x->base), "%s://%s", x->rq->scheme ? x->rq->scheme
		 : "http", host && *host ? host : x->machine);
	return 0;
}

/* ---- routes -------------------------------------------------------------- */

static bool ident_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '_';
}

/* Reads an identifier at *s into out; false when there is none or it is
 * too long. */
static bool read_ident(const char **s, char *out, size_t size)
{
	size_t n = 0;

	while (ident_char((*s)[n]))
		n++;
	if (!n || n >= size)
		return false;
	memcpy(out, *s, n);
	out[n] = '\0';
	*s += n;
	return true;
}

static int key_error(struct route *rt, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int key_error(struct route *rt, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rt->why, sizeof(rt->why), fmt, ap);
	va_end(ap);
	rt->bad_keys = true;
	return -1;
}

/* One key value at *s: 'text' (a quote doubled inside), or a bare
 * literal (a number, true, false) up to ',' or ')'. */
static int read_key_value(const char **s, struct key_lit *k, struct route *rt)
{
	const char *p = *s;
	struct buf b;

	buf_init(&b, 0);
	if (*p == '\'') {
		for (p++;; p++) {
			if (!*p) {
				buf_free(&b);
				return key_error(rt, "a quoted key value has no closing quote");
			}
			if (*p == '\'' && p[1] == '\'') {
				buf_add(&b, "'", 1);
				p++;
				continue;
			}
			if (*p == '\'')
				break;
			buf_add(&b, p, 1);
		}
		p++;
		k->quoted = true;
	} else {
		const char *start = p;

		while (*p && *p != ',' && *p != ')')
			p++;
		if (p == start) {
			buf_free(&b);
			return key_error(rt, "a key value is empty");
		}
		buf_add(&b, start, (size_t)(p - start));
	}
	size_t len;
	k->value = buf_take(&b, &len);
	buf_free(&b);
	*s = p;
	return k->value ? 0 : key_error(rt, "out of memory");
}

/* "(v)" or "(K1=v1,K2=v2)" at *s, up to and past ')'. */
static int read_keys(const char **s, struct route *rt)
{
	const char *p = *s + 1;

	if (*p == ')')
		return key_error(rt, "the key list is empty");
	for (;;) {
		struct key_lit *k;
		const char *q = p;
		char name[128];

		if (rt->nkeys == MAX_KEYS)
			return key_error(rt, "more than %d keys", MAX_KEYS);
		k = &rt->keys[rt->nkeys++];
		if (read_ident(&q, name, sizeof(name)) && *q == '=') {
			k->name = strdup(name);
			if (!k->name)
				return key_error(rt, "out of memory");
			p = q + 1;
		}
		if (read_key_value(&p, k, rt))
			return -1;
		if (*p == ')')
			break;
		if (*p != ',')
			return key_error(rt, "expected ',' or ')' after a key value, "
					 "found '%.20s'", p);
		p++;
	}
	if (rt->nkeys > 1)
		for (size_t i = 0; i < rt->nkeys; i++)
			if (!rt->keys[i].name)
				return key_error(rt, "with several keys each is "
						 "written Name=value");
	*s = p + 1;
	return 0;
}

/* The route of path (rq->path). Fills rt; kind R_NONE with why when no
 * route matches. */
static void parse_route(const char *path, struct route *rt)
{
	const char *p = path + strlen(PREFIX);

	memset(rt, 0, sizeof(*rt));
	if (strncasecmp(p, WMI_ROUTE, strlen(WMI_ROUTE)) ||
	    (p[strlen(WMI_ROUTE)] && p[strlen(WMI_ROUTE)] != '/')) {
		snprintf(rt->why, sizeof(rt->why), "dpsim serves the AdminService's "
			 "WMI route, %s%s/, only", PREFIX, WMI_ROUTE);
		return;
	}
	p += strlen(WMI_ROUTE);
	if (!*p || !strcmp(p, "/")) {
		rt->kind = R_SERVICE;
		return;
	}
	p++;
	if (!strcmp(p, "$metadata")) {
		rt->kind = R_METADATA;
		return;
	}
	if (!read_ident(&p, rt->cls, sizeof(rt->cls))) {
		snprintf(rt->why, sizeof(rt->why), "'%.80s' is not a class name", p);
		return;
	}
	rt->kind = R_COLLECTION;
	if (*p == '(') {
		rt->kind = R_ENTITY;
		if (read_keys(&p, rt))
			return;	/* bad_keys: a 400 once the class is known */
	}
	if (!*p || (!strcmp(p, "/") && rt->kind == R_COLLECTION))
		return;
	if (*p == '.' && rt->kind == R_COLLECTION) {
		p++;
	} else if (*p == '/' && !strncasecmp(p + 1, SCHEMA ".", strlen(SCHEMA) + 1)) {
		p += 1 + strlen(SCHEMA) + 1;
	} else {
		rt->kind = R_NONE;
		snprintf(rt->why, sizeof(rt->why), "dpsim serves classes, keyed "
			 "instances and static methods; not '%.80s'", p);
		return;
	}
	if (!read_ident(&p, rt->method, sizeof(rt->method)) || *p) {
		rt->kind = R_NONE;
		snprintf(rt->why, sizeof(rt->why), "'%.80s' after %s is not a "
			 "method name", p, rt->cls);
		return;
	}
	if (rt->kind == R_ENTITY) {
		/* The methods served are static: bound to the class, not to an
		 * instance. */
		rt->kind = R_NONE;
		snprintf(rt->why, sizeof(rt->why), "%s is a static method: POST it "
			 "to %s%s/%s.%s", rt->method, PREFIX, WMI_ROUTE, rt->cls,
			 rt->method);
		return;
	}
	rt->kind = R_METHOD;
}

/* The class the route names: in the site's namespace, else root/sms's
 * (SMS_ProviderLocation); system classes (__Namespace) are not entity
 * sets. NULL (answered 404) when there is none. */
static const struct provider_class *resolve_class(struct ctx *x)
{
	uint32_t hr = 0;
	const struct provider_class *k = NULL;

	if (strncmp(x->rt.cls, "__", 2)) {
		k = provider_class(x->p, x->ns, x->rt.cls, &hr);
		if (!k)
			k = provider_class(x->p, "root/sms", x->rt.cls, &hr);
	}
	if (!k) {
		refuse(x, 404, "No HTTP resource was found that matches the request "
		       "URI: class %s is not served in namespace root\\sms\\site_%s "
		       "(GET %s%s/$metadata lists the classes).", x->rt.cls,
		       x->site, PREFIX, WMI_ROUTE);
		return NULL;
	}
	x->cls = cim_class_name(provider_class_cim(k));
	return k;
}

/* ---- query options -------------------------------------------------------- */

/* Query options on a route that takes none (the service document,
 * $metadata, a method): any $-option is refused, naming it. An option
 * without '$' is the client's own (an OData custom option), ignored.
 * 0, or the refusal's status (answered). */
static int no_query_options(struct ctx *x, const char *what)
{
	for (size_t i = 0; i < x->rq->nargs; i++) {
		const char *n = x->rq->args[i].name;

		if (n[0] == '$')
			return refuse(x, 400, "The query specified in the URI is not "
				      "valid: query option '%s' does not apply to %s.",
				      n, what);
	}
	return 0;
}

/* The request's query options read against class k (odata_query.h):
 * *q, or a 400 naming the option, the position and the token. 0, or the
 * refusal's status (answered). */
static int read_query(struct ctx *x, const struct cim_class *k,
		      struct odata_query **q)
{
	struct odata_option *opts = calloc(x->rq->nargs + 1, sizeof(*opts));
	struct odata_error err;
	int r;

	*q = NULL;
	if (!opts)
		return refuse(x, 500, "out of memory");
	for (size_t i = 0; i < x->rq->nargs; i++)
		opts[i] = (struct odata_option){ x->rq->args[i].name,
						 x->rq->args[i].value };
	memset(&err, 0, sizeof(err));
	r = odata_query_parse(k, opts, x->rq->nargs, q, &err);
	free(opts);
	if (r == -ENOMEM)
		return refuse(x, 500, "out of memory");
	if (r)
		return refuse_inner(x, 400, json_pack("{s:s, s:I, s:s}", "option",
				    err.option, "position", (json_int_t)err.pos,
				    "token", err.token),
				    "The query specified in the URI is not valid: "
				    "%s.", err.message);
	return 0;
}

/* The value of query option name, NULL when absent. */
static const char *query_arg(const struct ctx *x, const char *name)
{
	for (size_t i = 0; i < x->rq->nargs; i++)
		if (!strcmp(x->rq->args[i].name, name))
			return x->rq->args[i].value ? x->rq->args[i].value : "";
	return NULL;
}

/* ---- instances as JSON ------------------------------------------------------ */

static int cmp_prop_name(const void *a, const void *b)
{
	const struct cim_property *const *pa = a, *const *pb = b;

	return strcasecmp((*pa)->name, (*pb)->name);
}

/* The class's properties by name, as WMI lists them (keys: only the
 * keys). *n of them; NULL when out of memory. */
static const struct cim_property **sorted_props(const struct cim_class *k,
						bool keys, size_t *n)
{
	size_t total = cim_class_property_count(k);
	const struct cim_property **v = calloc(total ? total : 1, sizeof(*v));

	*n = 0;
	if (!v)
		return NULL;
	for (size_t i = 0; i < total; i++) {
		const struct cim_property *pr = cim_class_property(k, i);

		if (!keys || (pr->flags & CIM_PROP_KEY))
			v[(*n)++] = pr;
	}
	qsort(v, *n, sizeof(*v), cmp_prop_name);
	return v;
}

static bool is_textual(enum cim_type t)
{
	return t == CIM_STRING || t == CIM_CHAR16 || t == CIM_DATETIME;
}

/* __RELPATH: Class.K1="v",K2=7 (keys by name, strings quoted with '\\'
 * before '"' and '\\', as WMI writes object paths); and the etag, the key
 * values joined by ';' in the same order, as a real site's etags are. */
static int relpath_and_etag(const struct cim_instance *inst, struct buf *rel,
			    struct buf *etag)
{
	const struct cim_class *k = cim_instance_class(inst);
	size_t n;
	const struct cim_property **keys = sorted_props(k, true, &n);

	if (!keys)
		return -ENOMEM;
	buf_adds(rel, cim_class_name(k));
	if (!n)
		buf_adds(rel, "=@");
	for (size_t i = 0; i < n; i++) {
		int idx = cim_class_find_property(k, keys[i]->name);
		const struct cim_value *v = cim_instance_get(inst, (size_t)idx);
		const char *text = v && !v->null && v->count ? v->items[0] : "";

		buf_addf(rel, "%c%s=", i ? ',' : '.', keys[i]->name);
		buf_adds(etag, i ? ";" : "");
		buf_adds(etag, text);
		if (!is_textual(keys[i]->type)) {
			buf_adds(rel, keys[i]->type == CIM_BOOLEAN
				 ? (!strcmp(text, "true") ? "TRUE" : "FALSE") : text);
			continue;
		}
		buf_add(rel, "\"", 1);
		for (const char *c = text; *c; c++) {
			if (*c == '"' || *c == '\\')
				buf_add(rel, "\\", 1);
			buf_add(rel, c, 1);
		}
		buf_add(rel, "\"", 1);
	}
	free(keys);
	return buf_error(rel) || buf_error(etag) ? -ENOMEM : 0;
}

static bool sms_class(const struct cim_class *k)
{
	return !strncasecmp(cim_class_name(k), "SMS_", 4);
}

/* The namespace as WMI writes it: root\sms\site_PS1. */
static void wmi_namespace(const char *ns, char *out, size_t size)
{
	snprintf(out, size, "%s", ns);
	for (char *c = out; *c; c++)
		if (*c == '/')
			*c = '\\';
}

/* The properties $select names (indices sel[0..nsel)), by name. */
static const struct cim_property **selected_props(const struct cim_class *k,
						  const size_t *sel, size_t nsel)
{
	const struct cim_property **v = calloc(nsel ? nsel : 1, sizeof(*v));

	if (!v)
		return NULL;
	for (size_t i = 0; i < nsel; i++)
		v[i] = cim_class_property(k, sel[i]);
	qsort(v, nsel, sizeof(*v), cmp_prop_name);
	return v;
}

/* The properties of inst in props[0..n) into o. 0 or -ENOMEM. */
static int put_props(json_t *o, const struct cim_instance *inst,
		     const struct cim_property **props, size_t n)
{
	const struct cim_class *k = cim_instance_class(inst);

	for (size_t i = 0; i < n; i++) {
		int idx = cim_class_find_property(k, props[i]->name);
		json_t *v = cim_json_value(props[i]->type,
					   props[i]->flags & CIM_PROP_ARRAY,
					   cim_instance_get(inst, (size_t)idx));

		if (!v || json_object_set_new(o, props[i]->name, v))
			return -ENOMEM;
	}
	return 0;
}

/* An item of a $select answer: the properties selected, nothing else
 * (as a real site answers it: no etag, no system properties). */
static json_t *selected_json(const struct cim_instance *inst, const size_t *sel,
			     size_t nsel)
{
	const struct cim_property **props =
		selected_props(cim_instance_class(inst), sel, nsel);
	json_t *o = json_object();

	if (!props || !o || put_props(o, inst, props, nsel)) {
		json_decref(o);
		o = NULL;
	}
	free(props);
	return o;
}

/* One instance as an item of "value": the etag, the lazy properties a
 * real site names, the properties by name, then WMI's system properties
 * (docs/adminservice-api.md, Instances). NULL when out of memory. */
static json_t *instance_json(const struct ctx *x, const struct cim_instance *inst)
{
	const struct cim_class *k = cim_instance_class(inst);
	struct buf rel, etag, path;
	char ns[128], server[128];
	size_t n;
	const struct cim_property **props = sorted_props(k, false, &n);
	json_t *o = json_object();

	buf_init(&rel, 0);
	buf_init(&etag, 0);
	buf_init(&path, 0);
	if (!props || !o || relpath_and_etag(inst, &rel, &etag))
		goto nomem;
	wmi_namespace(cim_class_namespace(k), ns, sizeof(ns));
	/* __SERVER is the machine's NetBIOS name: the provider's first label. */
	snprintf(server, sizeof(server), "%.*s", (int)strcspn(x->machine, "."),
		 x->machine);
	json_object_set_new(o, "@odata.etag", json_string(buf_ptr(&etag)));
	json_object_set_new(o, "__LAZYPROPERTIES", sms_class(k)
			    ? json_pack("[s]", "__QUALIFIER_SECURITYVERBS")
			    : json_array());
	if (sms_class(k))
		json_object_set_new(o, "__QUALIFIER_SECURITYVERBS", json_null());
	if (put_props(o, inst, props, n))
		goto nomem;
	buf_addf(&path, "\\\\%s\\%s:%s", server, ns, buf_ptr(&rel));
	if (buf_error(&path))
		goto nomem;
	json_t *sys = json_pack("{s:i, s:s, s:o, s:s, s:s, s:I, s:o, s:s, s:s, s:s}",
		"__GENUS", 2, "__CLASS", cim_class_name(k),
		"__SUPERCLASS", sms_class(k) ? json_string(SMS_BASE) : json_null(),
		"__DYNASTY", sms_class(k) ? SMS_BASE : cim_class_name(k),
		"__RELPATH", buf_ptr(&rel),
		"__PROPERTY_COUNT", (json_int_t)cim_class_property_count(k),
		"__DERIVATION", sms_class(k) ? json_pack("[s]", SMS_BASE) : json_array(),
		"__SERVER", server, "__NAMESPACE", ns, "__PATH", buf_ptr(&path));
	if (!sys || json_object_update(o, sys)) {
		json_decref(sys);
		goto nomem;
	}
	json_decref(sys);
	buf_free(&rel);
	buf_free(&etag);
	buf_free(&path);
	free(props);
	return o;
nomem:
	buf_free(&rel);
	buf_free(&etag);
	buf_free(&path);
	free(props);
	json_decref(o);
	return NULL;
}

/* What the answer holds of each instance: everything, or (a $select
 * other than *) the properties selected. */
struct shape {
	const size_t *sel;	/* NULL: everything */
	size_t nsel;
	bool count;		/* $count=true */
	size_t matched;		/* what @odata.count says */
};

/* {"@odata.context": ".../$metadata#<Class>"[, "@odata.count": N],
 * "value": [items]}. */
static int answer_instances(struct ctx *x, const struct cim_class *k,
			    const struct cim_instance *const *items, size_t n,
			    const struct shape *sh)
{
	char ctxurl[512];
	json_t *arr = json_array(), *doc;

	for (size_t i = 0; arr && i < n; i++) {
		json_t *item = sh && sh->sel ? selected_json(items[i], sh->sel, sh->nsel)
					     : instance_json(x, items[i]);

		if (!item || json_array_append_new(arr, item)) {
			json_decref(arr);
			arr = NULL;
		}
	}
	snprintf(ctxurl, sizeof(ctxurl), "%s%s%s/$metadata#%s", x->base, PREFIX,
		 WMI_ROUTE, cim_class_name(k));
	doc = arr ? json_pack("{s:s}", "@odata.context", ctxurl) : NULL;
	if (doc && sh && sh->count)
		json_object_set_new(doc, "@odata.count", json_integer((json_int_t)sh->matched));
	if (doc && json_object_set_new(doc, "value", arr)) {
		json_decref(doc);
		doc = NULL;
	} else if (!doc) {
		json_decref(arr);
	}
	return answer_json(x, 200, doc);
}

/* Whether the request selects properties ($select other than *). */
static bool selects(const struct ctx *x)
{
	const char *sel = query_arg(x, "$select");

	return sel && strcmp(sel, "*");
}

/* ---- GET <Class> ----------------------------------------------------------- */

/* The instances the provider gives, then the query's filter, order,
 * paging and selection (odata_query_apply). The journal row of the
 * enumeration shows the query options. */
static int route_collection(struct ctx *x, const struct provider_class *pk)
{
	const struct cim_class *k = provider_class_cim(pk);
	struct instance_list list = { 0 };
	struct odata_query *q = NULL;
	struct odata_result res = { 0 };
	char msg[512] = "", what[200];
	struct buf qtext;
	int st;

	if ((st = read_query(x, k, &q)))
		return st;
	/* What was asked, for the journal: the options as given. */
	buf_init(&qtext, 4096);
	for (size_t i = 0; i < x->rq->nargs; i++)
		if (x->rq->args[i].name[0] == '$')
			buf_addf(&qtext, "%s%s=%s", buf_len(&qtext) ? "&" : "",
				 x->rq->args[i].name, x->rq->args[i].value
				 ? x->rq->args[i].value : "");
	x->r->call.query = buf_len(&qtext) && !buf_error(&qtext) ? buf_ptr(&qtext) : NULL;
	/* The filter goes to the provider too, so a $filter on Name or
	 * NALPath is answered from the DP index; the query then applies
	 * again, which keeps what it answers in one place. */
	uint32_t hr = provider_enumerate_where(x->p, &x->r->call, pk,
					       odata_query_filter(q), &list, msg,
					       sizeof(msg));
	x->r->call.query = NULL;
	buf_free(&qtext);
	if (provider_call_intercepted(&x->r->call)) {
		st = intercepted(x, msg);
	} else if (hr) {
		snprintf(what, sizeof(what), "WMI QUERY: SELECT * FROM %s",
			 cim_class_name(k));
		st = provider_error(x, hr, msg, what);
	} else if (odata_query_apply(q, list.items, list.count, &res)) {
		st = answer_json(x, 500, NULL);
	} else {
		struct shape sh = { .count = odata_query_count(q), .matched = res.matched };

		if (selects(x)) {
			sh.sel = res.props;
			sh.nsel = res.nprops;
		}
		st = answer_instances(x, k, res.items, res.count, &sh);
	}
	odata_result_free(&res);
	odata_query_free(q);
	instance_list_free(&list);
	return st;
}

/* ---- GET <Class>(keys) --------------------------------------------------- */

/* The keys written in the URL, checked against class k and converted to
 * the model's text: each key once, typed as the property is. 0, or the
 * refusal's status (answered). args[i].value points into canon[i]. */
static int check_keys(struct ctx *x, const struct cim_class *k,
		      struct provider_arg *args, char **canon)
{
	size_t nkeys = cim_class_key_count(k);
	char list[256] = "";
	size_t used = 0;

	for (size_t i = 0; i < cim_class_property_count(k); i++) {
		const struct cim_property *pr = cim_class_property(k, i);

		if ((pr->flags & CIM_PROP_KEY) && used < sizeof(list))
			used += (size_t)snprintf(list + used, sizeof(list) - used,
						 "%s%s", used ? ", " : "", pr->name);
	}
	if (x->rt.bad_keys)
		return refuse(x, 400, "The key in the request URI is not valid for "
			      "%s: %s.", cim_class_name(k), x->rt.why);
	if (x->rt.nkeys != nkeys || (nkeys > 1 && !x->rt.keys[0].name))
		return refuse(x, 400, "The key in the request URI is not valid for "
			      "%s: it has %zu key%s (%s), the URI gives %zu.",
			      cim_class_name(k), nkeys, nkeys == 1 ? "" : "s", list,
			      x->rt.nkeys);
	for (size_t i = 0; i < x->rt.nkeys; i++) {
		const struct key_lit *kl = &x->rt.keys[i];
		int idx = -1;

		if (kl->name)
			idx = cim_class_find_property(k, kl->name);
		else	/* the one key */
			for (size_t j = 0; j < cim_class_property_count(k) && idx < 0; j++)
				if (cim_class_property(k, j)->flags & CIM_PROP_KEY)
					idx = (int)j;
		if (idx < 0 || !(cim_class_property(k, (size_t)idx)->flags & CIM_PROP_KEY))
			return refuse(x, 400, "The key in the request URI is not valid "
				      "for %s: '%s' is not one of its keys (%s).",
				      cim_class_name(k), kl->name, list);
		const struct cim_property *pr = cim_class_property(k, (size_t)idx);
		for (size_t j = 0; j < i; j++)
			if (!strcasecmp(args[j].name, pr->name))
				return refuse(x, 400, "The key in the request URI is not "
					      "valid for %s: key %s is given twice.",
					      cim_class_name(k), pr->name);
		if (is_textual(pr->type) != kl->quoted)
			return refuse(x, 400, "The key in the request URI is not valid "
				      "for %s: %s is %s, so its value is written %s, "
				      "not %s%s%s.", cim_class_name(k), pr->name,
				      cim_json_edm_type(pr->type), is_textual(pr->type)
				      ? "in single quotes" : "without quotes",
				      kl->quoted ? "'" : "", kl->value, kl->quoted ? "'" : "");
		const char *why = NULL;
		int r = cim_value_canonical(pr->type, kl->value, &canon[i], &why);
		if (r == -ENOMEM)
			return refuse(x, 500, "out of memory");
		if (r)
			return refuse(x, 400, "The key in the request URI is not valid "
				      "for %s: %s '%s' is %s.", cim_class_name(k),
				      pr->name, kl->value, why ? why : "not valid");
		args[i] = (struct provider_arg){ pr->name, canon[i] };
	}
	return 0;
}

/* One instance takes $select alone: the other options shape a list. */
static int entity_query(struct ctx *x, const struct cim_class *k,
			struct odata_query **q)
{
	int st;

	for (size_t i = 0; i < x->rq->nargs; i++) {
		const char *n = x->rq->args[i].name;

		if (n[0] == '$' && strcmp(n, "$select"))
			return refuse(x, 400, "The query specified in the URI is not "
				      "valid: query option '%s' applies to a collection, "
				      "not to one instance (which takes $select).", n);
	}
	if ((st = read_query(x, k, q)))
		return st;
	return 0;
}

static int route_entity(struct ctx *x, const struct provider_class *pk)
{
	const struct cim_class *k = provider_class_cim(pk);
	struct provider_arg args[MAX_KEYS];
	char *canon[MAX_KEYS] = { 0 };
	struct cim_instance *inst = NULL;
	char msg[512] = "", what[200];
	int st;

	struct odata_query *q = NULL;

	if (!(st = entity_query(x, k, &q)) && !(st = check_keys(x, k, args, canon))) {
		uint32_t hr = provider_get(x->p, &x->r->call, pk, args, x->rt.nkeys,
					   &inst, msg, sizeof(msg));

		if (provider_call_intercepted(&x->r->call)) {
			st = intercepted(x, msg);
		} else if (hr) {
			snprintf(what, sizeof(what), "WMI QUERY: SELECT * FROM %s",
				 cim_class_name(k));
			st = provider_error(x, hr, msg, what);
		} else {
			/* Wrapped in "value": what clients index (adminservice.h). */
			const struct cim_instance *one = inst;
			struct odata_result res = { 0 };
			struct shape sh = { 0 };

			if (selects(x) && odata_query_apply(q, &inst, 1, &res)) {
				st = answer_json(x, 500, NULL);
			} else {
				sh.sel = selects(x) ? res.props : NULL;
				sh.nsel = res.nprops;
				st = answer_instances(x, k, &one, 1, &sh);
			}
			odata_result_free(&res);
		}
	}
	odata_query_free(q);
	cim_instance_free(inst);
	for (size_t i = 0; i < MAX_KEYS; i++)
		free(canon[i]);
	return st;
}

/* ---- POST <Class>.<Method> -------------------------------------------------- */

static bool json_media_type(const char *ct)
{
	size_t n = strlen("application/json");

	return ct && !strncasecmp(ct, "application/json", n) &&
	       (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* The body's parameters as the provider takes them (names as declared,
 * values in the model's text): the method's [in] parameters, each typed
 * as declared. 0, or the refusal's status (answered). The texts are the
 * caller's to free (texts[0..*n)). */
static int method_args(struct ctx *x, const struct cim_class *k,
		       const struct cim_method *m, json_t *body,
		       struct provider_arg *args, char **texts, size_t *n)
{
	const char *key, *mname = cim_method_name(m), *cname = cim_class_name(k);
	json_t *v;

	*n = 0;
	json_object_foreach(body, key, v) {
		const struct cim_param *pm = NULL;

		/* Annotations (@odata.type, Mode@odata.type) are not
		 * parameters. */
		if (strchr(key, '@'))
			continue;
		for (size_t i = 0; i < cim_method_param_count(m) && !pm; i++)
			if (!strcmp(cim_method_param(m, i)->name, key) &&
			    (cim_method_param(m, i)->flags & CIM_PARAM_IN))
				pm = cim_method_param(m, i);
		if (!pm) {
			char list[256] = "";

			for (size_t i = 0; i < cim_method_param_count(m); i++)
				if (cim_method_param(m, i)->flags & CIM_PARAM_IN)
					snprintf(list + strlen(list), sizeof(list) - strlen(list),
						 "%s%s", list[0] ? ", " : "",
						 cim_method_param(m, i)->name);
			return refuse(x, 400, "The parameter '%s' in the request body "
				      "is not a parameter of %s.%s, which takes %s "
				      "(names are case-sensitive).", key, cname, mname,
				      list[0] ? list : "none");
		}
		args[*n] = (struct provider_arg){ pm->name, NULL };
		if (pm->flags & CIM_PROP_ARRAY)
			return refuse(x, 400, "The parameter '%s' of %s.%s is an array; "
				      "dpsim takes no array parameters.", pm->name, cname,
				      mname);
		if (!json_is_null(v)) {
			const char *why = NULL;
			int r = cim_json_to_text(pm->type, v, &texts[*n], &why);

			if (r == -ENOMEM)
				return refuse(x, 500, "out of memory");
			if (r)
				return refuse(x, 400, "The parameter '%s' of %s.%s is a "
					      "%s (%s); the value given is %s%s%s.",
					      pm->name, cname, mname,
					      cim_type_name(pm->type),
					      cim_json_edm_type(pm->type),
					      cim_json_kind(v), why ? ": " : "",
					      why ? why : "");
			args[*n].value = texts[*n];
		}
		(*n)++;
	}
	return 0;
}

/* {"@odata.context": ".../$metadata#__PARAMETERS", <out parameters>,
 * "ReturnValue": N}: WMI's out-parameters object at the top level. */
static int answer_output(struct ctx *x, const struct cim_method *m,
			 const struct provider_result *res)
{
	char ctxurl[512];
	json_t *doc;

	snprintf(ctxurl, sizeof(ctxurl), "%s%s%s/$metadata#__PARAMETERS", x->base,
		 PREFIX, WMI_ROUTE);
	doc = json_pack("{s:s}", "@odata.context", ctxurl);
	if (doc && res->output) {
		const struct cim_class *oc = cim_instance_class(res->output);

		for (size_t i = 0; i < cim_class_property_count(oc); i++) {
			const struct cim_property *pr = cim_class_property(oc, i);
			json_t *v = cim_json_value(pr->type, pr->flags & CIM_PROP_ARRAY,
						   cim_instance_get(res->output, i));

			if (!v || json_object_set_new(doc, pr->name, v)) {
				json_decref(doc);
				return answer_json(x, 500, NULL);
			}
		}
	} else if (doc) {
		/* No output object (a rule's ReturnValue): the value as the
		 * method's return type reads it. */
		char rv[24];

		if (cim_type_is_signed(cim_method_return_type(m)))
			snprintf(rv, sizeof(rv), "%" PRId32, (int32_t)res->return_value);
		else
			snprintf(rv, sizeof(rv), "%" PRIu32, res->return_value);
		json_object_set_new(doc, "ReturnValue",
				    cim_json_item(cim_method_return_type(m), rv));
	}
	return answer_json(x, 200, doc);
}

static int route_method(struct ctx *x, const struct provider_class *pk)
{
	const struct cim_class *k = provider_class_cim(pk);
	const struct cim_method *m = find_method(k, x->rt.method);
	struct provider_arg args[8];
	char *texts[8] = { 0 };
	struct provider_result res = { 0 };
	size_t n = 0;
	json_error_t je;
	json_t *body = NULL;
	char msg[1400] = "", what[300];
	int st;

	if (!m)
		return refuse(x, 404, "No HTTP resource was found that matches the "
			      "request URI: %s has no method %s%s.", cim_class_name(k),
			      x->rt.method, cim_class_method_count(k) ? ""
			      : " (it has none)");
	snprintf(x->rt.method, sizeof(x->rt.method), "%s", cim_method_name(m));
	if (strcmp(x->rq->method, "POST"))
		return refuse_method(x, "POST");
	if ((st = no_query_options(x, "a method")))
		return st;
	if (!json_media_type(x->rq->content_type))
		return refuse(x, 415, "The request body's media type '%s' is not "
			      "supported: send the parameters as Content-Type: "
			      "application/json.", x->rq->content_type
			      ? x->rq->content_type : "(none)");
	if (!x->rq->len)
		return refuse(x, 400, "The request body is empty: %s.%s takes its "
			      "parameters as a JSON object (e.g. {\"NALPath\": "
			      "\"...\", \"Mode\": 1} for SetDPMaintenanceMode).",
			      cim_class_name(k), cim_method_name(m));
	body = json_loadb(x->rq->body, x->rq->len, JSON_REJECT_DUPLICATES, &je);
	if (!body)
		return refuse(x, 400, "The request body is not valid JSON: %s (line "
			      "%d, column %d).", je.text, je.line, je.column);
	if (!json_is_object(body)) {
		st = refuse(x, 400, "The request body is %s; %s.%s takes its "
			    "parameters as a JSON object.", cim_json_kind(body),
			    cim_class_name(k), cim_method_name(m));
		json_decref(body);
		return st;
	}
	if (json_object_size(body) > sizeof(args) / sizeof(args[0])) {
		st = refuse(x, 400, "The request body has %zu members; %s.%s takes "
			    "%zu parameters.", json_object_size(body), cim_class_name(k),
			    cim_method_name(m), cim_method_param_count(m));
		json_decref(body);
		return st;
	}
	st = method_args(x, k, m, body, args, texts, &n);
	json_decref(body);
	if (!st) {
		uint32_t hr = provider_invoke_result(x->p, &x->r->call, pk,
						     cim_method_name(m), args, n, &res,
						     msg, sizeof(msg));

		if (provider_call_intercepted(&x->r->call)) {
			st = intercepted(x, msg);
		} else if (hr) {
			snprintf(what, sizeof(what), "WMI METHOD: %s.%s", cim_class_name(k),
				 cim_method_name(m));
			st = provider_error(x, hr, msg, what);
		} else {
			st = answer_output(x, m, &res);
		}
	}
	provider_result_clear(&res);
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++)
		free(texts[i]);
	return st;
}

/* ---- the service document and $metadata ------------------------------------ */

/* The classes the route serves: the site's namespace, then root/sms's
 * (without system classes, and without a name the site already has).
 * *out malloc'd (borrowed handles). 0 or -ENOMEM. */
static int served_classes(struct ctx *x, const struct provider_class ***out,
			  size_t *n)
{
	const struct provider_class **site = NULL, **root = NULL, **all;
	size_t ns = 0, nr = 0;

	*out = NULL;
	*n = 0;
	if (provider_classes(x->p, x->ns, &site, &ns) ||
	    provider_classes(x->p, "root/sms", &root, &nr)) {
		free(site);
		return -ENOMEM;
	}
	all = calloc(ns + nr + 1, sizeof(*all));
	if (!all) {
		free(site);
		free(root);
		return -ENOMEM;
	}
	for (size_t i = 0; i < ns; i++)
		all[(*n)++] = site[i];
	for (size_t i = 0; i < nr; i++) {
		const char *name = cim_class_name(provider_class_cim(root[i]));
		bool dup = !strncmp(name, "__", 2);

		for (size_t j = 0; j < ns && !dup; j++)
			dup = !strcasecmp(name, cim_class_name(provider_class_cim(site[j])));
		if (!dup)
			all[(*n)++] = root[i];
	}
	free(site);
	free(root);
	*out = all;
	return 0;
}

static int route_service(struct ctx *x)
{
	const struct provider_class **cls;
	size_t n;
	char ctxurl[512];
	int st;

	if ((st = no_query_options(x, "the service document")))
		return st;
	if (served_classes(x, &cls, &n))
		return answer_json(x, 500, NULL);
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		const char *name = cim_class_name(provider_class_cim(cls[i]));

		json_array_append_new(arr, json_pack("{s:s, s:s, s:s}", "name", name,
						     "kind", "EntitySet", "url", name));
	}
	free(cls);
	snprintf(ctxurl, sizeof(ctxurl), "%s%s%s/$metadata", x->base, PREFIX,
		 WMI_ROUTE);
	return answer_json(x, 200, arr ? json_pack("{s:s, s:o}", "@odata.context",
						    ctxurl, "value", arr) : NULL);
}

/* The system properties a real site's $metadata declares on every
 * entity type, in its order. */
static const struct { const char *name, *type; } system_props[] = {
	{ "__GENUS", "Edm.Int32" }, { "__CLASS", "Edm.String" },
	{ "__SUPERCLASS", "Edm.String" }, { "__DYNASTY", "Edm.String" },
	{ "__RELPATH", "Edm.String" }, { "__PROPERTY_COUNT", "Edm.Int32" },
	{ "__DERIVATION", "Collection(Edm.String)" }, { "__SERVER", "Edm.String" },
	{ "__NAMESPACE", "Edm.String" }, { "__PATH", "Edm.String" },
	{ "__LAZYPROPERTIES", "Collection(Edm.String)" },
	{ "__QUALIFIER_SECURITYVERBS", "Edm.Int32" },
};

static void xml_attr(struct buf *b, const char *name, const char *value)
{
	buf_addf(b, " %s=\"", name);
	buf_add_xml(b, value);
	buf_add(b, "\"", 1);
}

static void csdl_entity_type(struct buf *b, const struct cim_class *k)
{
	size_t n;
	const struct cim_property **keys = sorted_props(k, true, &n);

	buf_adds(b, "<EntityType");
	xml_attr(b, "Name", cim_class_name(k));
	buf_adds(b, "><Key>");
	for (size_t i = 0; keys && i < n; i++) {
		buf_adds(b, "<PropertyRef");
		xml_attr(b, "Name", keys[i]->name);
		buf_adds(b, "/>");
	}
	buf_adds(b, "</Key>");
	free(keys);
	for (size_t i = 0; i < sizeof(system_props) / sizeof(system_props[0]); i++)
		buf_addf(b, "<Property Name=\"%s\" Type=\"%s\"/>", system_props[i].name,
			 system_props[i].type);
	for (size_t i = 0; i < cim_class_property_count(k); i++) {
		const struct cim_property *pr = cim_class_property(k, i);
		char type[64];

		snprintf(type, sizeof(type), pr->flags & CIM_PROP_ARRAY
			 ? "Collection(%s)" : "%s", cim_json_edm_type(pr->type));
		buf_adds(b, "<Property");
		xml_attr(b, "Name", pr->name);
		xml_attr(b, "Type", type);
		if (pr->flags & CIM_PROP_KEY)
			buf_adds(b, " Nullable=\"false\"");
		buf_adds(b, "/>");
	}
	buf_adds(b, "</EntityType>");
}

/* A method's [in] parameters and its return type: WMI's out-parameters
 * object, open (its members differ by method). */
static void csdl_params(struct buf *b, const struct cim_method *m)
{
	for (size_t i = 0; i < cim_method_param_count(m); i++) {
		const struct cim_param *pm = cim_method_param(m, i);
		char type[64];

		if (!(pm->flags & CIM_PARAM_IN))
			continue;
		snprintf(type, sizeof(type), pm->flags & CIM_PROP_ARRAY
			 ? "Collection(%s)" : "%s", cim_json_edm_type(pm->type));
		buf_adds(b, "<Parameter");
		xml_attr(b, "Name", pm->name);
		xml_attr(b, "Type", type);
		buf_adds(b, "/>");
	}
	buf_adds(b, "<ReturnType Type=\"" SCHEMA ".__PARAMETERS\"/>");
}

/* The EDMX document (docs/adminservice-api.md, $metadata). A static
 * method is declared twice, for its two spellings: as an action bound
 * to the class's collection (.../<Class>/AdminService.<Method>), and as
 * an unbound action of schema AdminService.<Class> imported as
 * "<Class>.<Method>", the name a real site's container gives it. */
static int route_metadata(struct ctx *x)
{
	const struct provider_class **cls;
	size_t n, len;
	struct buf b;
	int st;

	if ((st = no_query_options(x, "$metadata")))
		return st;
	if (served_classes(x, &cls, &n))
		return answer_json(x, 500, NULL);
	buf_init(&b, 0);
	buf_adds(&b, "<?xml version=\"1.0\" encoding=\"utf-8\"?>"
		 "<edmx:Edmx Version=\"4.0\" "
		 "xmlns:edmx=\"http://docs.oasis-open.org/odata/ns/edmx\">"
		 "<edmx:DataServices>"
		 "<Schema Namespace=\"" SCHEMA "\" "
		 "xmlns=\"http://docs.oasis-open.org/odata/ns/edm\">");
	for (size_t i = 0; i < n; i++)
		csdl_entity_type(&b, provider_class_cim(cls[i]));
	buf_adds(&b, "<ComplexType Name=\"__PARAMETERS\" OpenType=\"true\"/>");
	for (size_t i = 0; i < n; i++) {
		const struct cim_class *k = provider_class_cim(cls[i]);

		for (size_t j = 0; j < cim_class_method_count(k); j++) {
			const struct cim_method *m = cim_class_method(k, j);

			buf_adds(&b, "<Action");
			xml_attr(&b, "Name", cim_method_name(m));
			buf_adds(&b, " IsBound=\"true\"><Parameter Name=\"bindingParameter\""
				 " Type=\"Collection(" SCHEMA ".");
			buf_add_xml(&b, cim_class_name(k));
			buf_adds(&b, ")\"/>");
			csdl_params(&b, m);
			buf_adds(&b, "</Action>");
		}
	}
	buf_adds(&b, "<EntityContainer Name=\"" SCHEMA "\">");
	for (size_t i = 0; i < n; i++) {
		const char *name = cim_class_name(provider_class_cim(cls[i]));

		buf_adds(&b, "<EntitySet");
		xml_attr(&b, "Name", name);
		buf_adds(&b, " EntityType=\"" SCHEMA ".");
		buf_add_xml(&b, name);
		buf_adds(&b, "\"/>");
	}
	for (size_t i = 0; i < n; i++) {
		const struct cim_class *k = provider_class_cim(cls[i]);
		const char *name = cim_class_name(k);

		for (size_t j = 0; j < cim_class_method_count(k); j++) {
			const char *mname = cim_method_name(cim_class_method(k, j));

			buf_adds(&b, "<ActionImport Name=\"");
			buf_add_xml(&b, name);
			buf_add(&b, ".", 1);
			buf_add_xml(&b, mname);
			buf_adds(&b, "\" Action=\"" SCHEMA ".");
			buf_add_xml(&b, name);
			buf_add(&b, ".", 1);
			buf_add_xml(&b, mname);
			buf_adds(&b, "\"/>");
		}
	}
	buf_adds(&b, "</EntityContainer></Schema>");
	for (size_t i = 0; i < n; i++) {
		const struct cim_class *k = provider_class_cim(cls[i]);
		const char *name = cim_class_name(k);
		bool any = false;

		for (size_t j = 0; j < cim_class_method_count(k); j++) {
			const struct cim_method *m = cim_class_method(k, j);

			if (!any) {
				buf_adds(&b, "<Schema Namespace=\"" SCHEMA ".");
				buf_add_xml(&b, name);
				buf_adds(&b, "\" xmlns=\"http://docs.oasis-open.org/odata/ns/edm\">");
				any = true;
			}
			buf_adds(&b, "<Action");
			xml_attr(&b, "Name", cim_method_name(m));
			buf_adds(&b, ">");
			csdl_params(&b, m);
			buf_adds(&b, "</Action>");
		}
		if (any)
			buf_adds(&b, "</Schema>");
	}
	buf_adds(&b, "</edmx:DataServices></edmx:Edmx>\n");
	free(cls);
	if (buf_error(&b)) {
		buf_free(&b);
		return answer_json(x, 500, NULL);
	}
	free(x->ans->body);
	x->ans->body = buf_take(&b, &len);
	x->ans->len = x->ans->body ? len : 0;
	x->ans->status = 200;
	x->ans->content_type = XML_TYPE;
	buf_free(&b);
	return 200;
}

/* ---- dispatch -------------------------------------------------------------- */

static bool is_get(const char *method)
{
	return !strcmp(method, "GET") || !strcmp(method, "HEAD");
}

static void dispatch(struct ctx *x)
{
	const struct provider_class *pk;
	const char *m = x->rq->method;

	parse_route(x->rq->path, &x->rt);
	snprintf(x->ans->trace, sizeof(x->ans->trace), "%s %s%s%s as %s", m,
		 x->rt.kind == R_SERVICE ? "service document" :
		 x->rt.kind == R_METADATA ? "$metadata" : x->rt.cls,
		 x->rt.method[0] ? "." : "", x->rt.method, x->r->who.user);
	if (x->rt.kind == R_NONE) {
		refuse(x, 404, "No HTTP resource was found that matches the request "
		       "URI '%s': %s.", x->rq->path, x->rt.why);
		return;
	}
	if (pick_site(x))
		return;
	switch (x->rt.kind) {
	case R_SERVICE:
		if (!is_get(m))
			refuse_method(x, "GET");
		else
			route_service(x);
		return;
	case R_METADATA:
		if (!is_get(m))
			refuse_method(x, "GET");
		else
			route_metadata(x);
		return;
	default:
		break;
	}
	if (!(pk = resolve_class(x)))
		return;
	switch (x->rt.kind) {
	case R_COLLECTION:
		if (!is_get(m))
			refuse_method(x, "GET");
		else
			route_collection(x, pk);
		return;
	case R_ENTITY:
		if (!is_get(m))
			refuse_method(x, "GET");
		else
			route_entity(x, pk);
		return;
	case R_METHOD:
		route_method(x, pk);
		return;
	default:
		return;
	}
}

/* ---- the front end ----------------------------------------------------------- */

static bool as_owns(void *self, const char *path)
{
	size_t n = strlen(PREFIX);

	return !strncasecmp(path, PREFIX, n) && (path[n] == '\0' || path[n] == '/');
}

/* A bare OData error for answers made without a request context. */
static void plain_error(struct front_answer *ans, int status, const char *msg)
{
	json_t *doc = error_doc(status, msg, NULL);
	char *text = doc ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;

	json_decref(doc);
	ans->status = text ? status : 500;
	ans->body = text;
	ans->len = text ? strlen(text) : 0;
	ans->content_type = ODATA_JSON;
}

/* The trace of a 401, as WS-Man's: who was tried (never the password),
 * in the debug line and, at most once a minute, at info; wrong
 * credentials are journaled, a request without any (the first step of a
 * challenge-response client such as Windows PowerShell's) is not. */
static void refused_credentials(struct adminservice *a, struct provider *p,
				const struct front_request *rq, enum auth_outcome who,
				struct front_answer *ans)
{
	char name[128] = "", note[RATELIMIT_NOTE];
	uint64_t skipped;

	auth_refusal_reason(who, rq->authorization, name, sizeof(name),
			    ans->trace, sizeof(ans->trace));
	if (ratelimit_pass_now(a->log_401, &skipped))
		log_info("refused an AdminService request from %s: %s (401)%s",
			 rq->peer ? rq->peer : "?", ans->trace,
			 ratelimit_note(skipped, note));
	if (who != AUTH_NO_CREDENTIALS)
		journal_refusal(p, name[0] ? name : NULL, NULL, NULL, 401, ans->trace, 0);
}

static void *as_admit(void *self, const struct front_request *rq,
		      struct front_answer *ans, bool *drain)
{
	struct adminservice *a = self;
	struct provider *p = ready_provider(a);
	const struct fixture_user *u = NULL;

	if (!p) {
		plain_error(ans, 503, "dpsim is starting; try again once it says it "
			    "is ready.");
		return NULL;
	}
	enum auth_outcome who = auth_identify(&a->auth, rq, &u);
	if (!auth_admitted(who) || !u) {
		plain_error(ans, 401, who == AUTH_NO_CREDENTIALS
			    ? "Authorization has been denied for this request: "
			      "send the credentials of a lab user (HTTP Basic)."
			    : "Authorization has been denied for this request: "
			      "wrong user name or password.");
		ans->challenge = CHALLENGE;
		*drain = true;
		refused_credentials(a, p, rq, who, ans);
		return NULL;
	}
	struct as_req *r = calloc(1, sizeof(*r));
	if (!r) {
		plain_error(ans, 500, "out of memory");
		return NULL;
	}
	r->who = (struct caller){ .account = u, .user = u->name, .role = u->role,
				  .protocol = "adminservice" };
	r->call.who = &r->who;
	r->call.can_defer = true;
	return r;
}

static void as_serve(void *self, void *state, const struct front_request *rq,
		     struct front_answer *ans)
{
	struct as_req *r = state;
	struct ctx x = { .as = self, .p = ready_provider(self), .rq = rq,
			 .ans = ans, .r = r, .start_us = mono_us() };

	*ans = (struct front_answer){ 0 };
	snprintf(ans->trace, sizeof(ans->trace), "%s as %s", rq->method, r->who.user);
	if (!x.p) {	/* cannot happen after admit; kept total */
		plain_error(ans, 503, "dpsim is not ready");
		return;
	}
	dispatch(&x);
	route_free(&x.rt);
}

static void as_too_large(void *self, void *state, size_t limit,
			 struct front_answer *ans)
{
	struct adminservice *a = self;
	struct as_req *r = state;
	char msg[160];

	snprintf(msg, sizeof(msg), "The request body exceeds the limit of %zu bytes "
		 "(--max-body).", limit);
	*ans = (struct front_answer){ 0 };
	plain_error(ans, 413, msg);
	snprintf(ans->trace, sizeof(ans->trace), "body over %zu bytes", limit);
	log_info("refused an AdminService request (%s): %s", r->who.user, msg);
	journal_refusal(ready_provider(a), r->who.user, NULL, NULL, 413, msg, 0);
}

static void as_release(void *self, void *state)
{
	struct adminservice *a = self;
	struct as_req *r = state;

	if (r && a->p)
		provider_call_end(a->p, &r->call);
	free(state);
}

const struct front *adminservice_front(struct adminservice *a)
{
	a->front = (struct front){
		.name = "adminservice", .browser_facing = false, .self = a,
		.owns = as_owns, .admit = as_admit, .serve = as_serve,
		.too_large = as_too_large, .release = as_release,
	};
	return &a->front;
}
