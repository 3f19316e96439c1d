/* libdpclient: the public calls (see dpclient.h). This file turns calls
 * into WS-Man requests and responses into result structs, over the
 * transport of dpc_http.c; for a client of the AdminService it hands each
 * call to dpc_admin.c at the point where the protocols part, so that the
 * steps around (site discovery, the DP lookup's fallbacks, results and
 * errors) are one code for both. */
#include "codec.h"
#include "dpc_internal.h"
#include "dpc_error.h"
#include "dpc_negotiate.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


#include "hresult.h"
#include "vocab.h"

#define DEFAULT_ENDPOINT "http://127.0.0.1:5985/wsman"
#define DEFAULT_ADMIN_ENDPOINT "http://127.0.0.1:5985/AdminService"
#define ADMIN_PATH "/AdminService"
#define DPI_CLASS "SMS_DistributionPointInfo"
#define HTTP_GRACE_MS 5000u
#define MAX_PULLS 100000u

static void err_clear(struct dpc_error *err)
{
	if (err)
		memset(err, 0, sizeof(*err));
}

static enum dpc_code nomem(struct dpc_error *err)
{
	return dpci_fail(err, DPC_E_NOMEM, "out of memory");
}

/* ---- library and client ----------------------------------------------- */

enum dpc_code dpc_global_init(void)
{
	wsman_codec_init();
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return DPC_E_TRANSPORT;
	return DPC_OK;
}

void dpc_global_cleanup(void)
{
	curl_global_cleanup();
	wsman_codec_cleanup();
}

void dpc_options_init(struct dpc_options *o)
{
	memset(o, 0, sizeof(*o));
	o->auth = DPC_AUTH_BASIC;
	o->connect_timeout_ms = 5000;
	o->operation_timeout_ms = 60000;
	o->retries = 2;
	o->retry_delay_ms = 200;
}

/* ---- protocols ---------------------------------------------------------- */

static const char *const protocol_names[] = {
	[DPC_PROTOCOL_AUTO] = "auto",
	[DPC_PROTOCOL_WSMAN] = "wsman",
	[DPC_PROTOCOL_ADMINSERVICE] = "adminservice",
};

enum dpc_code dpc_protocol_parse(const char *name, enum dpc_protocol *out)
{
	for (unsigned i = 0;
	     i < sizeof(protocol_names) / sizeof(protocol_names[0]); i++)
		if (name && strcasecmp(name, protocol_names[i]) == 0) {
			*out = (enum dpc_protocol)i;
			return DPC_OK;
		}
	return DPC_E_USAGE;
}

const char *dpc_protocol_name(enum dpc_protocol protocol)
{
	if ((unsigned)protocol >=
	    sizeof(protocol_names) / sizeof(protocol_names[0]))
		return "unknown";
	return protocol_names[protocol];
}

/* Where the path of url starts (its end if it has none), and its length
 * without query or fragment. */
static const char *url_path(const char *url, size_t *len)
{
	const char *p = strstr(url, "://");

	p = p ? p + 3 : url;
	p += strcspn(p, "/?#");
	*len = *p == '/' ? strcspn(p, "?#") : 0;
	return p;
}

/* Whether the path of url ends in /AdminService or /AdminService/. */
static bool admin_path(const char *url)
{
	size_t n, k = sizeof(ADMIN_PATH) - 1;
	const char *p = url_path(url, &n);

	if (n && p[n - 1] == '/')
		n--;
	return n >= k && strncasecmp(p + n - k, ADMIN_PATH, k) == 0;
}

enum dpc_protocol dpc_protocol_of_endpoint(const char *endpoint)
{
	return endpoint && admin_path(endpoint) ? DPC_PROTOCOL_ADMINSERVICE
						: DPC_PROTOCOL_WSMAN;
}

/* The AdminService's base URL for endpoint: scheme://authority, the path
 * when it ends in /AdminService (without a trailing slash), else
 * /AdminService. malloc'd; NULL when out of memory. */
static char *admin_base(const char *endpoint)
{
	size_t n;
	const char *p = url_path(endpoint, &n);
	char *out;

	if (admin_path(endpoint)) {
		if (p[n - 1] == '/')
			n--;
		return strndup(endpoint, (size_t)(p - endpoint) + n);
	}
	if (asprintf(&out, "%.*s" ADMIN_PATH, (int)(p - endpoint),
		     endpoint) < 0)
		return NULL;
	return out;
}

static int dup_opt(char **dst, const char *src)
{
	*dst = NULL;
	if (!src)
		return 0;
	*dst = strdup(src);
	return *dst ? 0 : -ENOMEM;
}

static long curl_auth(enum dpc_auth a)
{
	switch (a) {
	case DPC_AUTH_NTLM:
		return (long)CURLAUTH_NTLM;
	case DPC_AUTH_NEGOTIATE:
		return (long)CURLAUTH_NEGOTIATE;
	case DPC_AUTH_BASIC:
	default:
		/* Basic alone is sent on the first request, as every WinRM
		 * client captured does: no 401 round trip. */
		return (long)CURLAUTH_BASIC;
	}
}

/* The headers of a WS-Man POST. */
static int wsman_headers(struct dpc_client *c)
{
	c->headers = curl_slist_append(NULL,
				       "Content-Type: " WSMAN_SOAP_CONTENT_TYPE);
	if (!c->headers)
		return -ENOMEM;
	/* No 100-continue round trip for larger envelopes. */
	if (!curl_slist_append(c->headers, "Expect:"))
		return -ENOMEM;
	/* Without credentials only Identify can succeed, and WinRM answers
	 * it only when the request says it is meant to be anonymous, as
	 * Test-WSMan's does. */
	if (!c->user && c->auth != DPC_AUTH_NEGOTIATE &&
	    !curl_slist_append(c->headers, "WSMANIDENTIFY: unauthenticated"))
		return -ENOMEM;
	return 0;
}

/* The AdminService's: JSON asked for; a POST's body declared JSON, as
 * the service insists (a form type is a 415). */
static int admin_headers(struct dpc_client *c)
{
	c->headers = curl_slist_append(NULL, "Accept: application/json");
	if (!c->headers)
		return -ENOMEM;
	c->json_headers = curl_slist_append(NULL, "Accept: application/json");
	if (!c->json_headers ||
	    !curl_slist_append(c->json_headers,
			       "Content-Type: application/json") ||
	    !curl_slist_append(c->json_headers, "Expect:"))
		return -ENOMEM;
	return 0;
}

/* Whether c signs in with NTLM itself and seals its bodies: WS-Man over
 * plain HTTP with a user and --auth ntlm, or negotiate (which is what
 * Windows' Negotiate falls to against a workgroup host or an address).
 * A real WinRM refuses unsealed NTLM over HTTP (AllowUnencrypted=false),
 * and libcurl's NTLM cannot seal. Over HTTPS libcurl authenticates, and
 * TLS protects the bodies, as WinRM's clients do it there. */
static bool seals(const struct dpc_client *c)
{
	return c->protocol == DPC_PROTOCOL_WSMAN && c->user &&
	       (c->auth == DPC_AUTH_NTLM || c->auth == DPC_AUTH_NEGOTIATE) &&
	       strncasecmp(c->endpoint, "http://", 7) == 0;
}

/* The NTLM session of a sealing client: the host of the endpoint names
 * the service (HTTP@host). */
static enum dpc_code setup_ntlm(struct dpc_client *c, struct dpc_error *err)
{
	CURLU *u = curl_url();
	char *host = NULL;
	enum dpc_code code;

	if (!u)
		return nomem(err);
	if (curl_url_set(u, CURLUPART_URL, c->endpoint, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		curl_url_cleanup(u);
		return dpci_fail(err, DPC_E_USAGE,
				 "endpoint %s: no host name in it",
				 c->endpoint);
	}
	code = dpcn_new(c->user, c->password, host, c->endpoint, &c->ntlm,
			err);
	curl_free(host);
	curl_url_cleanup(u);
	if (code)
		return code;
	/* The context belongs to the connection: one connection, kept. */
	curl_easy_setopt(c->curl, CURLOPT_MAXCONNECTS, 1L);
	curl_easy_setopt(c->curl, CURLOPT_FORBID_REUSE, 0L);
	return DPC_OK;
}

static enum dpc_code setup_curl(struct dpc_client *c, struct dpc_error *err)
{
	bool admin = c->protocol == DPC_PROTOCOL_ADMINSERVICE;
	CURL *h = curl_easy_init();

	if (!h)
		return nomem(err);
	c->curl = h;
	if (admin ? admin_headers(c) : wsman_headers(c))
		return nomem(err);
	curl_easy_setopt(h, CURLOPT_URL, c->endpoint);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, c->headers);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "libdpclient/" DPC_VERSION);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->curl_err);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)c->connect_timeout_ms);
	/* WS-Man: the server's w:OperationTimeout comes first and says so;
	 * a REST request has none, so the wait is the HTTP request's. */
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS,
			 (long)c->operation_timeout_ms +
			 (admin ? 0L : (long)HTTP_GRACE_MS));
	if (seals(c)) {
		enum dpc_code code = setup_ntlm(c, err);

		if (code)
			return code;
	} else if (c->user) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, curl_auth(c->auth));
		curl_easy_setopt(h, CURLOPT_USERNAME, c->user);
		curl_easy_setopt(h, CURLOPT_PASSWORD,
				 c->password ? c->password : "");
	} else if (c->auth == DPC_AUTH_NEGOTIATE) {
		/* Kerberos from the ticket cache needs no name. */
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, curl_auth(c->auth));
		curl_easy_setopt(h, CURLOPT_USERPWD, ":");
	}
	if (c->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	if (c->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	return DPC_OK;
}

enum dpc_code dpc_client_new(const struct dpc_options *o,
			     struct dpc_client **out, struct dpc_error *err)
{
	return dpc_client_new_protocol(o, DPC_PROTOCOL_AUTO, out, err);
}

enum dpc_code dpc_client_new_protocol(const struct dpc_options *o,
				      enum dpc_protocol protocol,
				      struct dpc_client **out,
				      struct dpc_error *err)
{
	struct dpc_options defaults;
	struct dpc_client *c;
	const char *endpoint;
	enum dpc_code code;

	err_clear(err);
	*out = NULL;
	if (!o) {
		dpc_options_init(&defaults);
		o = &defaults;
	}
	if ((unsigned)protocol > DPC_PROTOCOL_ADMINSERVICE)
		return dpci_fail(err, DPC_E_USAGE, "unknown protocol");
	if (protocol == DPC_PROTOCOL_AUTO)
		protocol = dpc_protocol_of_endpoint(o->endpoint);
	if (o->endpoint && strncasecmp(o->endpoint, "http://", 7) != 0 &&
	    strncasecmp(o->endpoint, "https://", 8) != 0)
		return dpci_fail(err, DPC_E_USAGE,
				"endpoint %s is not an http:// or https:// URL",
				o->endpoint);
	if (o->site_code && (strlen(o->site_code) > DPC_SITE_MAX ||
			     !*o->site_code))
		return dpci_fail(err, DPC_E_USAGE, "bad site code '%s'",
				o->site_code);
	if ((unsigned)o->auth > DPC_AUTH_NEGOTIATE)
		return dpci_fail(err, DPC_E_USAGE, "unknown auth scheme");
	c = calloc(1, sizeof(*c));
	if (!c)
		return nomem(err);
	c->protocol = protocol;
	buf_init(&c->req, 0);
	buf_init(&c->body, DPC_MAX_RESPONSE);
	buf_init(&c->plain, DPC_MAX_RESPONSE);
	c->auth = o->auth;
	c->insecure = o->insecure;
	/* 0 means "default" for both timeouts; libcurl would read a connect
	 * timeout of 0 as its own 300 s. */
	c->connect_timeout_ms = o->connect_timeout_ms ? o->connect_timeout_ms : 5000;
	c->operation_timeout_ms = o->operation_timeout_ms
				  ? o->operation_timeout_ms : 60000;
	c->retries = o->retries;
	c->retry_delay_ms = o->retry_delay_ms;
	c->trace = o->trace;
	c->trace_data = o->trace_data;
	if (o->site_code)
		snprintf(c->site, sizeof(c->site), "%s", o->site_code);
	endpoint = o->endpoint ? o->endpoint
			       : protocol == DPC_PROTOCOL_ADMINSERVICE
			       ? DEFAULT_ADMIN_ENDPOINT : DEFAULT_ENDPOINT;
	if (dup_opt(&c->endpoint, endpoint) ||
	    (protocol == DPC_PROTOCOL_ADMINSERVICE &&
	     !(c->admin_base = admin_base(endpoint))) ||
	    dup_opt(&c->user, o->user) || dup_opt(&c->password, o->password) ||
	    dup_opt(&c->ca_file, o->ca_file)) {
		dpc_client_free(c);
		return nomem(err);
	}
	code = setup_curl(c, err);
	if (code) {
		dpc_client_free(c);
		return code;
	}
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &c->body);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, dpci_on_body);
	*out = c;
	return DPC_OK;
}

void dpc_client_free(struct dpc_client *c)
{
	if (!c)
		return;
	if (c->curl)
		curl_easy_cleanup(c->curl);
	dpcn_free(c->ntlm);
	curl_slist_free_all(c->headers);
	curl_slist_free_all(c->json_headers);
	if (c->password) {
		/* Do not leave the secret in freed memory. */
		explicit_bzero(c->password, strlen(c->password));
		free(c->password);
	}
	free(c->endpoint);
	free(c->admin_base);
	free(c->user);
	free(c->ca_file);
	buf_free(&c->req);
	buf_free(&c->body);
	buf_free(&c->plain);
	free(c);
}

const char *dpc_client_site(const struct dpc_client *c)
{
	return c->site[0] ? c->site : NULL;
}

enum dpc_protocol dpc_client_protocol(const struct dpc_client *c)
{
	return c->protocol;
}

void dpc_client_set_request_trace(struct dpc_client *c,
				  dpc_request_trace_fn fn, void *data)
{
	c->request_trace = fn;
	c->request_trace_data = data;
}

static bool admin(const struct dpc_client *c)
{
	return c->protocol == DPC_PROTOCOL_ADMINSERVICE;
}

/* ---- results ---------------------------------------------------------- */

static void prop_clear(struct dpc_property *p)
{
	for (size_t i = 0; i < p->nvalues; i++)
		free(p->values[i]);
	free(p->values);
	free(p->name);
}

void dpc_instance_clear(struct dpc_instance *inst)
{
	if (!inst)
		return;
	for (size_t i = 0; i < inst->nprops; i++)
		prop_clear(&inst->props[i]);
	free(inst->props);
	free(inst->class_name);
	memset(inst, 0, sizeof(*inst));
}

void dpc_instance_list_clear(struct dpc_instance_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		dpc_instance_clear(&list->items[i]);
	free(list->items);
	memset(list, 0, sizeof(*list));
}

const char *dpc_instance_text(const struct dpc_instance *inst,
			      const char *name)
{
	for (size_t i = 0; i < inst->nprops; i++) {
		const struct dpc_property *p = &inst->props[i];

		if (strcasecmp(p->name, name) == 0)
			return p->null || !p->nvalues ? NULL : p->values[0];
	}
	return NULL;
}

void dpc_dp_clear(struct dpc_dp *dp)
{
	if (!dp)
		return;
	free(dp->name);
	free(dp->nal_path);
	free(dp->site_code);
	free(dp->resource_type);
	memset(dp, 0, sizeof(*dp));
	dp->maintenance_mode = -1;
}

void dpc_dp_list_clear(struct dpc_dp_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		dpc_dp_clear(&list->items[i]);
	free(list->items);
	memset(list, 0, sizeof(*list));
}

void dpc_string_list_clear(struct dpc_string_list *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++)
		free(list->items[i]);
	free(list->items);
	memset(list, 0, sizeof(*list));
}

void dpc_identity_clear(struct dpc_identity *id)
{
	if (!id)
		return;
	free(id->protocol_version);
	free(id->product_vendor);
	free(id->product_version);
	memset(id, 0, sizeof(*id));
}

/* Deep copy of a parsed object, which dies with its response. */
static int object_copy(const struct wsman_object *o, struct dpc_instance *out)
{
	memset(out, 0, sizeof(*out));
	out->class_name = strdup(o->class_name ? o->class_name : "");
	out->props = calloc(o->nprops ? o->nprops : 1, sizeof(*out->props));
	if (!out->class_name || !out->props)
		goto fail;
	for (size_t i = 0; i < o->nprops; i++) {
		const struct wsman_prop *s = &o->props[i];
		struct dpc_property *d = &out->props[i];

		out->nprops = i + 1;
		d->null = s->nil;
		d->name = strdup(s->name);
		d->values = calloc(s->nvalues ? s->nvalues : 1,
				   sizeof(*d->values));
		if (!d->name || !d->values)
			goto fail;
		for (size_t j = 0; j < s->nvalues; j++) {
			d->values[j] = strdup(s->values[j]);
			if (!d->values[j])
				goto fail;
			d->nvalues = j + 1;
		}
	}
	return 0;
fail:
	dpc_instance_clear(out);
	return -ENOMEM;
}

static int list_append(struct dpc_instance_list *l, size_t *cap,
		       const struct wsman_object *o)
{
	if (l->count == *cap) {
		size_t n = *cap ? *cap * 2 : 16;
		struct dpc_instance *p = realloc(l->items, n * sizeof(*p));

		if (!p)
			return -ENOMEM;
		l->items = p;
		*cap = n;
	}
	if (object_copy(o, &l->items[l->count]) < 0)
		return -ENOMEM;
	l->count++;
	return 0;
}

static int mode_of(const char *v)
{
	if (!v)
		return -1;
	if (strcmp(v, "0") == 0 || strcasecmp(v, "false") == 0)
		return 0;
	if (strcmp(v, "1") == 0 || strcasecmp(v, "true") == 0)
		return 1;
	return -1;
}

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int dp_from_instance(const struct dpc_instance *i, struct dpc_dp *dp)
{
	const char *name = dpc_instance_text(i, "Name");
	const char *nal = dpc_instance_text(i, "NALPath");
	const char *site = dpc_instance_text(i, "SiteCode");
	const char *type = dpc_instance_text(i, "ResourceType");

	memset(dp, 0, sizeof(*dp));
	dp->maintenance_mode = mode_of(dpc_instance_text(i, "MaintenanceMode"));
	dp->name = dup_or_null(name);
	dp->nal_path = dup_or_null(nal);
	dp->site_code = dup_or_null(site);
	dp->resource_type = dup_or_null(type);
	if ((name && !dp->name) || (nal && !dp->nal_path) ||
	    (site && !dp->site_code) || (type && !dp->resource_type)) {
		dpc_dp_clear(dp);
		return -ENOMEM;
	}
	return 0;
}

/* ---- requests --------------------------------------------------------- */

/* "root\sms\site_PS1" -> WSMAN_URI_WMI_PREFIX "root/sms/site_PS1/" + cls */
static char *wmi_uri(const char *ns, const char *cls)
{
	struct buf b;

	buf_init(&b, 0);
	buf_adds(&b, WSMAN_URI_WMI_PREFIX);
	for (const char *p = ns; *p; p++)
		buf_add(&b, *p == '\\' ? "/" : p, 1);
	if (buf_len(&b) && buf_ptr(&b)[buf_len(&b) - 1] != '/')
		buf_adds(&b, "/");
	buf_adds(&b, cls);
	return buf_take(&b, NULL);
}

enum dpc_code dpci_site_ns(struct dpc_client *c, char *out, size_t size,
			   struct dpc_error *err)
{
	char site[DPC_SITE_MAX + 1];
	enum dpc_code code;

	if (!c->site[0]) {
		code = dpc_discover_site(c, site, sizeof(site), err);
		if (code)
			return code;
	}
	snprintf(out, size, "root/sms/site_%s", c->site);
	return DPC_OK;
}

struct enum_args {
	const char *dialect;
	const char *filter;
};

static int build_enumerate(struct buf *b, const struct wsman_head *h,
			   const void *arg)
{
	const struct enum_args *a = arg;

	return wsman_build_enumerate(b, h, a->dialect, a->filter, true, 0);
}

static int build_pull(struct buf *b, const struct wsman_head *h,
		      const void *arg)
{
	return wsman_build_pull(b, h, arg, 0);
}

static int build_release(struct buf *b, const struct wsman_head *h,
			 const void *arg)
{
	return wsman_build_release(b, h, arg);
}

static int collect(struct wsman_response *r, struct dpc_instance_list *out,
		   size_t *cap)
{
	for (size_t i = 0; i < wsman_response_object_count(r); i++)
		if (list_append(out, cap, wsman_response_object(r, i)) < 0)
			return -ENOMEM;
	return 0;
}

/* Enumerate (optimized) + Pull until the end. wql NULL: plain class
 * enumeration of uri. */
static enum dpc_code enumerate(struct dpc_client *c, const char *uri,
			       const char *wql, struct dpc_instance_list *out,
			       struct dpc_error *err)
{
	struct wsman_head h = { .resource_uri = uri };
	struct enum_args a = { wql ? WSMAN_DIALECT_WQL : NULL, wql };
	struct wsman_response *r;
	enum dpc_code code;
	size_t cap = 0;
	char *ctx = NULL;
	unsigned pulls = 0;

	code = dpci_exchange(c, &h, build_enumerate, &a, &r, err);
	while (!code) {
		const char *next = wsman_response_context(r);
		enum wsman_response_kind k = wsman_response_kind(r);

		if (k != WSMAN_RESP_ENUMERATE && k != WSMAN_RESP_PULL)
			code = dpci_fail(err, DPC_E_PROTOCOL,
					"expected an enumeration response");
		else if (collect(r, out, &cap) < 0)
			code = nomem(err);
		free(ctx);
		ctx = next ? strdup(next) : NULL;
		if (!code && next && !ctx)
			code = nomem(err);
		wsman_response_free(r);
		if (code || !ctx)
			break;
		if (++pulls > MAX_PULLS) {
			/* A server that never ends: let it drop the context. */
			struct dpc_error ignored;

			if (!dpci_exchange(c, &h, build_release, ctx, &r,
					  &ignored))
				wsman_response_free(r);
			code = dpci_fail(err, DPC_E_PROTOCOL,
					"enumeration did not end after %u pulls",
					MAX_PULLS);
			break;
		}
		code = dpci_exchange(c, &h, build_pull, ctx, &r, err);
	}
	free(ctx);
	if (code)
		dpc_instance_list_clear(out);
	return code;
}

/* ---- calls ------------------------------------------------------------ */

static int build_identify(struct buf *b, const struct wsman_head *h,
			  const void *arg)
{
	return wsman_build_identify(b);
}

enum dpc_code dpc_identify(struct dpc_client *c, struct dpc_identity *out,
			   struct dpc_error *err)
{
	struct wsman_head h = { .resource_uri = "" };
	const struct wsman_identity *id;
	struct wsman_response *r;
	enum dpc_code code;

	err_clear(err);
	memset(out, 0, sizeof(*out));
	if (admin(c))
		return dpca_identify(c, out, err);
	code = dpci_exchange(c, &h, build_identify, NULL, &r, err);
	if (code)
		return code;
	id = wsman_response_identity(r);
	if (!id) {
		wsman_response_free(r);
		return dpci_fail(err, DPC_E_PROTOCOL,
				"expected an IdentifyResponse");
	}
	out->protocol_version = dup_or_null(id->protocol_version);
	out->product_vendor = dup_or_null(id->product_vendor);
	out->product_version = dup_or_null(id->product_version);
	if ((id->protocol_version && !out->protocol_version) ||
	    (id->product_vendor && !out->product_vendor) ||
	    (id->product_version && !out->product_version)) {
		dpc_identity_clear(out);
		code = nomem(err);
	}
	wsman_response_free(r);
	return code;
}

static bool site_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n > 0 && n <= DPC_SITE_MAX;
}

static enum dpc_code site_from_provider_location(struct dpc_client *c,
						 const char **site,
						 struct dpc_instance_list *l,
						 struct dpc_error *err)
{
	char *uri = NULL;
	enum dpc_code code;

	if (admin(c)) {
		code = dpca_select(c, "root/sms", "SMS_ProviderLocation", NULL,
				   DPCI_MATCH_ALL, NULL, l, err);
	} else {
		uri = wmi_uri("root/sms", "*");
		if (!uri)
			return nomem(err);
		code = enumerate(c, uri, "SELECT * FROM SMS_ProviderLocation",
				 l, err);
		free(uri);
	}
	if (code)
		return code;
	for (size_t i = 0; i < l->count && !*site; i++) {
		const char *local = dpc_instance_text(&l->items[i],
						      "ProviderForLocalSite");

		if (local && mode_of(local) == 1)
			*site = dpc_instance_text(&l->items[i], "SiteCode");
	}
	if (!*site && l->count)
		*site = dpc_instance_text(&l->items[0], "SiteCode");
	return DPC_OK;
}

static enum dpc_code site_from_namespace(struct dpc_client *c,
					 const char **site,
					 struct dpc_instance_list *l,
					 struct dpc_error *err)
{
	char *uri = wmi_uri("root/sms", "__Namespace");
	enum dpc_code code;

	if (!uri)
		return nomem(err);
	code = enumerate(c, uri, NULL, l, err);
	free(uri);
	if (code)
		return code;
	for (size_t i = 0; i < l->count && !*site; i++) {
		const char *name = dpc_instance_text(&l->items[i], "Name");

		if (name && strncasecmp(name, "site_", 5) == 0)
			*site = name + 5;
	}
	return DPC_OK;
}

enum dpc_code dpc_discover_site(struct dpc_client *c, char *site,
				size_t size, struct dpc_error *err)
{
	struct dpc_instance_list l = { 0 };
	const char *found = NULL;
	enum dpc_code code;

	err_clear(err);
	if (size)
		site[0] = '\0';
	code = site_from_provider_location(c, &found, &l, err);
	/* Only a provider's answer sends us to the fallback; a dead or
	 * unauthorised endpoint will not do better the second time. The
	 * AdminService serves no system class: no fallback there. */
	if (!admin(c) &&
	    (code == DPC_E_PROVIDER || (!code && !site_ok(found)))) {
		dpc_instance_list_clear(&l);
		found = NULL;
		err_clear(err);
		code = site_from_namespace(c, &found, &l, err);
	}
	if (!code && !site_ok(found))
		code = dpci_fail(err, DPC_E_NOT_FOUND,
				"no site found under root/sms (%s)",
				admin(c) ? "SMS_ProviderLocation"
					 : "SMS_ProviderLocation, __Namespace");
	if (!code && strlen(found) >= size)
		code = dpci_fail(err, DPC_E_USAGE, "site buffer too small");
	if (!code) {
		snprintf(site, size, "%s", found);
		if (!c->site[0])
			snprintf(c->site, sizeof(c->site), "%s", found);
	}
	dpc_instance_list_clear(&l);
	return code;
}

static char *like_prefix(const char *s);

/* The WHERE of a lookup over WS-Man, as dpco_match_filter writes its
 * $filter. malloc'd; NULL when out of memory. */
static char *wql_where(const char *prop, enum dpci_match match,
		       const char *value)
{
	char *literal = match == DPCI_MATCH_PREFIX ? like_prefix(value)
						   : dpc_wql_quote(value);
	char *where = NULL;

	if (literal &&
	    asprintf(&where, " WHERE %s %s %s", prop,
		     match == DPCI_MATCH_PREFIX ? "LIKE" : "=", literal) < 0)
		where = NULL;
	free(literal);
	return where;
}

/* The DPs of the site whose prop matches value: a WQL query over WS-Man,
 * a $filter over the AdminService. */
static enum dpc_code query_dps(struct dpc_client *c, const char *prop,
			       enum dpci_match match, const char *value,
			       struct dpc_dp_list *out, struct dpc_error *err)
{
	struct dpc_instance_list l = { 0 };
	char ns[64];
	char *wql = NULL, *where = NULL;
	enum dpc_code code;

	memset(out, 0, sizeof(*out));
	code = dpci_site_ns(c, ns, sizeof(ns), err);
	if (code)
		return code;
	if (admin(c)) {
		code = dpca_select(c, ns, DPI_CLASS, prop, match, value, &l,
				   err);
	} else {
		if (match != DPCI_MATCH_ALL &&
		    !(where = wql_where(prop, match, value)))
			return nomem(err);
		if (asprintf(&wql, "SELECT * FROM " DPI_CLASS "%s",
			     where ? where : "") < 0) {
			free(where);
			return nomem(err);
		}
		free(where);
		code = dpc_query(c, ns, wql, &l, err);
		free(wql);
	}
	if (code)
		return code;
	out->items = calloc(l.count ? l.count : 1, sizeof(*out->items));
	if (!out->items) {
		dpc_instance_list_clear(&l);
		return nomem(err);
	}
	for (size_t i = 0; i < l.count; i++) {
		if (dp_from_instance(&l.items[i], &out->items[i]) < 0) {
			dpc_dp_list_clear(out);
			dpc_instance_list_clear(&l);
			return nomem(err);
		}
		out->count = i + 1;
	}
	dpc_instance_list_clear(&l);
	return DPC_OK;
}

enum dpc_code dpc_list_dps(struct dpc_client *c, struct dpc_dp_list *out,
			   struct dpc_error *err)
{
	err_clear(err);
	return query_dps(c, NULL, DPCI_MATCH_ALL, NULL, out, err);
}

char *dpc_wql_quote(const char *s)
{
	struct buf b;

	buf_init(&b, 0);
	buf_adds(&b, "'");
	for (; *s; s++) {
		if (*s == '\\' || *s == '\'' || *s == '"')
			buf_adds(&b, "\\");
		buf_add(&b, s, 1);
	}
	buf_adds(&b, "'");
	return buf_take(&b, NULL);
}

/* 's%' for LIKE: the prefix's own %, _ and [ must match literally. */
static char *like_prefix(const char *s)
{
	struct buf b;
	char *raw, *quoted;

	buf_init(&b, 0);
	for (; *s; s++) {
		if (*s == '%' || *s == '_' || *s == '[') {
			buf_adds(&b, "[");
			buf_add(&b, s, 1);
			buf_adds(&b, "]");
		} else {
			buf_add(&b, s, 1);
		}
	}
	buf_adds(&b, "%");
	raw = buf_take(&b, NULL);
	if (!raw)
		return NULL;
	quoted = dpc_wql_quote(raw);
	free(raw);
	return quoted;
}

static bool is_nal_path(const char *s)
{
	return strncasecmp(s, "[\"Display=", 10) == 0;
}

static enum dpc_code ambiguous(const char *spec, const struct dpc_dp_list *l,
			       struct dpc_error *err)
{
	char names[DPC_MSG_SIZE / 2] = "";
	size_t n = 0;

	for (size_t i = 0; i < l->count && n < sizeof(names); i++)
		n += (size_t)snprintf(names + n, sizeof(names) - n, "%s%s",
				      i ? ", " : "",
				      l->items[i].name ? l->items[i].name : "?");
	return dpci_fail(err, DPC_E_NOT_FOUND,
			"'%s' matches %zu distribution points: %s", spec,
			l->count, names);
}

enum dpc_code dpc_find_dp(struct dpc_client *c, const char *spec,
			  struct dpc_dp *out, struct dpc_error *err)
{
	struct dpc_dp_list l = { 0 };
	enum dpc_code code;
	char *name;
	size_t n;

	err_clear(err);
	memset(out, 0, sizeof(*out));
	out->maintenance_mode = -1;
	if (!spec || !*spec)
		return dpci_fail(err, DPC_E_USAGE, "no distribution point named");
	if (is_nal_path(spec)) {
		code = query_dps(c, "NALPath", DPCI_MATCH_EQ, spec, &l, err);
	} else {
		/* \\DP01.contoso.com\ (a NetworkOSPath) names the host too. */
		while (*spec == '\\')
			spec++;
		/* Room for the '.' of a short name's prefix below. */
		n = strlen(spec);
		name = malloc(n + 2);
		if (!name)
			return nomem(err);
		memcpy(name, spec, n + 1);
		while (n && name[n - 1] == '\\')
			name[--n] = '\0';
		code = n ? query_dps(c, "Name", DPCI_MATCH_EQ, name, &l, err)
			 : dpci_fail(err, DPC_E_USAGE, "empty DP name");
		if (!code && !l.count && !strchr(name, '.')) {
			/* A short name: the FQDNs it starts, "DP01.%". */
			dpc_dp_list_clear(&l);
			name[n] = '.';
			name[n + 1] = '\0';
			code = query_dps(c, "Name", DPCI_MATCH_PREFIX, name,
					 &l, err);
		}
		free(name);
	}
	if (!code && l.count == 0)
		code = dpci_fail(err, DPC_E_NOT_FOUND,
				"no distribution point matches '%s' in site %s",
				spec, c->site);
	else if (!code && l.count > 1)
		code = ambiguous(spec, &l, err);
	if (!code) {
		*out = l.items[0];
		memset(&l.items[0], 0, sizeof(l.items[0]));
	}
	dpc_dp_list_clear(&l);
	return code;
}

enum dpc_code dpc_get_mode(struct dpc_client *c, const char *spec,
			   unsigned *mode, struct dpc_error *err)
{
	struct dpc_dp dp;
	enum dpc_code code = dpc_find_dp(c, spec, &dp, err);

	if (code)
		return code;
	if (dp.maintenance_mode < 0)
		code = dpci_fail(err, DPC_E_PROTOCOL,
				"%s has no readable MaintenanceMode",
				dp.name ? dp.name : spec);
	else
		*mode = (unsigned)dp.maintenance_mode;
	dpc_dp_clear(&dp);
	return code;
}

static int build_get(struct buf *b, const struct wsman_head *h,
		     const void *arg)
{
	return wsman_build_get(b, h);
}

/* A Get whose keys match nothing: WBEM_E_NOT_FOUND underneath, which
 * WinRM reports as w:InvalidSelectors. */
static bool get_not_found(const struct dpc_error *err)
{
	return err->code == DPC_E_PROVIDER &&
	       (err->hresult == WBEM_E_NOT_FOUND ||
		strcmp(err->subcode, "w:InvalidSelectors") == 0);
}

enum dpc_code dpc_get_dp(struct dpc_client *c, const struct dpc_dp *key,
			 struct dpc_dp *out, struct dpc_error *err)
{
	const struct wsman_pair sel[3] = {
		{ "NALPath", key->nal_path },
		{ "ResourceType", key->resource_type },
		{ "SiteCode", key->site_code },
	};
	struct wsman_head h = { .selectors = sel, .nselectors = 3 };
	struct dpc_error local = { 0 };
	struct dpc_instance inst;
	struct wsman_response *r;
	enum dpc_code code;
	char ns[64];
	char *uri;

	err_clear(err);
	memset(out, 0, sizeof(*out));
	out->maintenance_mode = -1;
	if (!err)
		err = &local;	/* get_not_found() reads it */
	if (!key->nal_path || !key->resource_type || !key->site_code)
		return dpci_fail(err, DPC_E_USAGE,
				"a DP's key is NALPath, ResourceType and "
				"SiteCode: one is missing");
	code = dpci_site_ns(c, ns, sizeof(ns), err);
	if (code)
		return code;
	if (admin(c)) {
		const char *names[3] = { sel[0].name, sel[1].name, sel[2].name };
		const char *values[3] = { sel[0].value, sel[1].value,
					  sel[2].value };

		code = dpca_get(c, ns, DPI_CLASS, names, values, 3, &inst,
				err);
		if (code) {
			if (get_not_found(err))
				err->code = DPC_E_NOT_FOUND;
			return err->code;
		}
		goto have_instance;
	}
	uri = wmi_uri(ns, DPI_CLASS);
	if (!uri)
		return nomem(err);
	h.resource_uri = uri;
	code = dpci_exchange(c, &h, build_get, NULL, &r, err);
	free(uri);
	if (code) {
		if (get_not_found(err))
			err->code = DPC_E_NOT_FOUND;
		return err->code;
	}
	if (wsman_response_kind(r) != WSMAN_RESP_GET ||
	    wsman_response_object_count(r) != 1) {
		wsman_response_free(r);
		return dpci_fail(err, DPC_E_PROTOCOL,
				"expected one instance in a GetResponse");
	}
	if (object_copy(wsman_response_object(r, 0), &inst) < 0) {
		wsman_response_free(r);
		return nomem(err);
	}
	wsman_response_free(r);
have_instance:
	if (dp_from_instance(&inst, out) < 0)
		code = nomem(err);
	dpc_instance_clear(&inst);
	return code;
}

enum dpc_code dpc_set_mode(struct dpc_client *c, const char *nal_path,
			   unsigned mode, struct dpc_error *err)
{
	struct dpc_param p[2] = {
		{ .name = "NALPath", .type = DPC_PARAM_STRING, .str = nal_path },
		{ .name = "Mode", .type = DPC_PARAM_UINT32, .u32 = mode },
	};

	err_clear(err);
	if (!nal_path || !*nal_path)
		return dpci_fail(err, DPC_E_USAGE, "no NAL path");
	if (mode > 1)
		return dpci_fail(err, DPC_E_USAGE, "mode must be 0 or 1, not %u",
				mode);
	return dpc_invoke(c, NULL, DPI_CLASS, "SetDPMaintenanceMode", p, 2,
			  NULL, NULL, err);
}

enum dpc_code dpc_chained_pull_dps(struct dpc_client *c,
				   const char *source_nal_path,
				   struct dpc_string_list *out,
				   struct dpc_error *err)
{
	struct dpc_param p = {
		.name = "SourceDPNALPath", .type = DPC_PARAM_STRING,
		.str = source_nal_path,
	};
	struct dpc_instance o;
	struct dpc_property *chain = NULL;
	enum dpc_code code;

	err_clear(err);
	memset(out, 0, sizeof(*out));
	if (!source_nal_path || !*source_nal_path)
		return dpci_fail(err, DPC_E_USAGE, "no NAL path");
	code = dpc_invoke(c, NULL, DPI_CLASS, "GetChainedPullDPs", &p, 1, &o,
			  NULL, err);
	if (code) {
		dpc_instance_clear(&o);
		return code;
	}
	/* No ChainedDPs element, or a nil one: no pull DP in the chain. */
	for (size_t i = 0; i < o.nprops && !chain; i++)
		if (strcasecmp(o.props[i].name, "ChainedDPs") == 0)
			chain = &o.props[i];
	if (chain && !chain->null && chain->nvalues) {
		/* Taken over from the instance: the strings are the same. */
		out->items = chain->values;
		out->count = chain->nvalues;
		chain->values = NULL;
		chain->nvalues = 0;
	}
	dpc_instance_clear(&o);
	return DPC_OK;
}

enum dpc_code dpc_query(struct dpc_client *c, const char *ns, const char *wql,
			struct dpc_instance_list *out, struct dpc_error *err)
{
	char site[64];
	char *uri;
	enum dpc_code code;

	err_clear(err);
	memset(out, 0, sizeof(*out));
	if (!wql || !*wql)
		return dpci_fail(err, DPC_E_USAGE, "empty query");
	/* It reads the WQL before it asks for the site: a query it cannot
	 * send sends nothing. */
	if (admin(c))
		return dpca_query(c, ns, wql, out, err);
	if (!ns) {
		code = dpci_site_ns(c, site, sizeof(site), err);
		if (code)
			return code;
		ns = site;
	}
	/* WinRM takes WQL only on the all-classes URI. */
	uri = wmi_uri(ns, "*");
	if (!uri)
		return nomem(err);
	code = enumerate(c, uri, wql, out, err);
	free(uri);
	return code;
}

struct invoke_args {
	const char *method;
	const struct wsman_pair *params;
	size_t nparams;
};

static int build_invoke(struct buf *b, const struct wsman_head *h,
			const void *arg)
{
	const struct invoke_args *a = arg;

	return wsman_build_invoke(b, h, a->method, a->params, a->nparams);
}

static enum dpc_code invoke_result(struct wsman_response *r,
				   const char *method,
				   struct dpc_instance *out,
				   uint32_t *return_value,
				   struct dpc_error *err)
{
	const struct wsman_object *o = wsman_response_output(r);
	uint32_t rv = 0;
	bool has_rv;

	if (!o)
		return dpci_fail(err, DPC_E_PROTOCOL, "expected %s_OUTPUT",
				method);
	has_rv = wsman_response_return_value(r, &rv);
	/* SetDPMaintenanceMode's answer is its ReturnValue: without one we
	 * cannot tell success from failure. */
	if (!has_rv && wsman_object_prop(o, "ReturnValue"))
		return dpci_fail(err, DPC_E_PROTOCOL,
				"%s returned a ReturnValue that is not a number",
				method);
	if (out && object_copy(o, out) < 0)
		return nomem(err);
	if (return_value)
		*return_value = rv;
	if (rv)
		return dpci_fail_return_value(err, rv, method);
	return DPC_OK;
}

/* Methods that may run twice with the effect of once (dpclient.h,
 * "Retries"). */
static const struct {
	const char *cls;
	const char *method;
} idempotent_methods[] = {
	/* Setting the mode a DP already has changes nothing. */
	{ DPI_CLASS, "SetDPMaintenanceMode" },
	/* A read. */
	{ DPI_CLASS, "GetChainedPullDPs" },
};

static bool is_idempotent(const char *cls, const char *method)
{
	for (size_t i = 0; i < sizeof(idempotent_methods) /
			       sizeof(idempotent_methods[0]); i++)
		if (strcasecmp(cls, idempotent_methods[i].cls) == 0 &&
		    strcasecmp(method, idempotent_methods[i].method) == 0)
			return true;
	return false;
}

enum dpc_code dpc_invoke(struct dpc_client *c, const char *ns,
			 const char *cls, const char *method,
			 const struct dpc_param *params, size_t nparams,
			 struct dpc_instance *out, uint32_t *return_value,
			 struct dpc_error *err)
{
	struct wsman_pair *pairs = NULL;
	char (*nums)[12] = NULL;
	struct invoke_args a = { method, NULL, nparams };
	struct wsman_head h = { 0 };
	struct wsman_response *r;
	char site[64];
	char *uri = NULL;
	enum dpc_code code;

	err_clear(err);
	if (out)
		memset(out, 0, sizeof(*out));
	if (return_value)
		*return_value = 0;
	if (!cls || !*cls || !method || !*method || (nparams && !params))
		return dpci_fail(err, DPC_E_USAGE, "class and method required");
	if (!ns) {
		/* Over the AdminService too, though its route names no
		 * namespace: both protocols make the same calls. */
		code = dpci_site_ns(c, site, sizeof(site), err);
		if (code)
			return code;
		ns = site;
	}
	if (admin(c))
		return dpca_invoke(c, cls, method, params, nparams,
				   is_idempotent(cls, method), out,
				   return_value, err);
	pairs = calloc(nparams ? nparams : 1, sizeof(*pairs));
	nums = calloc(nparams ? nparams : 1, sizeof(*nums));
	uri = wmi_uri(ns, cls);
	if (!pairs || !nums || !uri) {
		code = nomem(err);
		goto out;
	}
	for (size_t i = 0; i < nparams; i++) {
		pairs[i].name = params[i].name;
		if (params[i].type == DPC_PARAM_UINT32) {
			snprintf(nums[i], sizeof(nums[i]), "%u",
				 (unsigned)params[i].u32);
			pairs[i].value = nums[i];
		} else if (params[i].type == DPC_PARAM_STRING) {
			pairs[i].value = params[i].str ? params[i].str : "";
		}
	}
	a.params = pairs;
	h.resource_uri = uri;
	if (is_idempotent(cls, method))
		code = dpci_exchange(c, &h, build_invoke, &a, &r, err);
	else
		code = dpci_exchange_unsafe(c, &h, build_invoke, &a, &r, err);
	if (code == DPC_E_USAGE)
		code = dpci_fail(err, DPC_E_USAGE,
				"'%s' or a parameter name is not a valid "
				"method/parameter name", method);
	if (code)
		goto out;
	code = invoke_result(r, method, out, return_value, err);
	wsman_response_free(r);
out:
	free(uri);
	free(nums);
	free(pairs);
	return code;
}
