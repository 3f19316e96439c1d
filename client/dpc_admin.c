/* The AdminService transport of libdpclient: the calls of dpclient.h as
 * REST requests to the WMI route (docs/adminservice-api.md), over the
 * client's libcurl handle, with the retries of dpclient.h ("Retries").
 * The bodies are read and written by dpc_odata.c, WQL by dpc_wql.c. */
#include "dpc_internal.h"
#include "dpc_error.h"
#include "dpc_wql.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_PAGES 100000u

static enum dpc_code nomem(struct dpc_error *err)
{
	return dpci_fail(err, DPC_E_NOMEM, "out of memory");
}

/* The calls fill an error in any case (the exchange reads it back): a
 * caller's NULL becomes one of their own. */
#define LOCAL_ERR(err)                                                   \
	struct dpc_error local_err_;                                      \
	if (!(err))                                                       \
		(err) = &local_err_

static bool json_type(const char *ct)
{
	return ct && (strncasecmp(ct, "application/json", 16) == 0 ||
		      strncasecmp(ct, "text/json", 9) == 0);
}

/* One HTTP exchange: on DPC_OK c->body holds a 2xx answer's JSON. *retry
 * says whether trying again may help, and is safe. */
static enum dpc_code request_once(struct dpc_client *c, const char *method,
				  const char *url, const char *body,
				  struct dpc_error *err, enum dpci_retry *retry)
{
	long status = 0;
	char *ctype = NULL;
	CURLcode rc;
	enum dpc_code code;

	*retry = DPCI_RETRY_NO;
	buf_reset(&c->body);
	c->curl_err[0] = '\0';
	curl_easy_setopt(c->curl, CURLOPT_URL, url);
	if (body) {
		curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->json_headers);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)strlen(body));
	} else {
		curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
		curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	}
	dpci_trace_request(c, method, url);
	if (c->trace)
		c->trace(c->trace_data, true, 0, body ? body : "",
			 body ? strlen(body) : 0);
	rc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	err->http_status = status;
	if (rc != CURLE_OK)
		return dpci_curl_failed(c, rc, err, retry);
	if (c->trace)
		c->trace(c->trace_data, false, status, buf_ptr(&c->body),
			 buf_len(&c->body));
	if (status == 401)
		return dpci_auth_failed(c, status, err);
	if (status == 503) {
		/* Before anything ran, as over WS-Man. */
		*retry = DPCI_RETRY_SAFE;
		return dpci_fail(err, DPC_E_TRANSPORT,
				 "HTTP 503: %s is unavailable", c->endpoint);
	}
	curl_easy_getinfo(c->curl, CURLINFO_CONTENT_TYPE, &ctype);
	if (status >= 200 && status <= 299) {
		if (!buf_len(&c->body) || !json_type(ctype))
			return dpci_fail(err, DPC_E_PROTOCOL,
					 "HTTP %ld from %s with %s", status,
					 c->endpoint, buf_len(&c->body)
					 ? "a body that is not JSON" : "no body");
		return DPC_OK;
	}
	code = json_type(ctype) ? dpco_read_error(buf_ptr(&c->body),
						  buf_len(&c->body), err)
				: DPC_OK;
	if (status == 504) {
		/* A gateway (or dpsim's timeout effect) gave up waiting for the
		 * provider, which may still have done the work: REST's
		 * w:TimedOut. */
		*retry = DPCI_RETRY_IF_IDEMPOTENT;
		return dpci_fail(err, DPC_E_TRANSPORT, "HTTP 504: %s",
				 code ? err->message : "the gateway timed out");
	}
	/* 403 with the provider's HRESULT is its refusal (dpsim's
	 * --adminservice-denied 403); without, the web server's. */
	if (status == 403 && (!code || !err->hresult)) {
		unsigned attempts = err->attempts;

		memset(err, 0, sizeof(*err));
		err->attempts = attempts;
		err->http_status = status;
		return dpci_auth_failed(c, status, err);
	}
	if (code)
		return code;
	return dpci_fail(err, DPC_E_TRANSPORT,
			 "HTTP %ld from %s with %s", status, c->endpoint,
			 buf_len(&c->body) ? "a body that is not an OData error"
					   : "no body");
}

/* The retry loop (dpclient.h, "Retries"). idempotent: the request may
 * run twice. */
static enum dpc_code exchange(struct dpc_client *c, const char *method,
			      const char *url, const char *body,
			      bool idempotent, struct dpc_error *err)
{
	unsigned delay = c->retry_delay_ms;

	for (unsigned attempt = 0;; attempt++) {
		enum dpci_retry retry;
		enum dpc_code code;

		/* Each attempt reports afresh. */
		memset(err, 0, sizeof(*err));
		err->attempts = attempt + 1;
		/* libcurl sends a request again, once and silently, when a
		 * reused connection closes without an answer: the server may
		 * have run it. A new connection has no such second try. */
		curl_easy_setopt(c->curl, CURLOPT_FRESH_CONNECT,
				 idempotent ? 0L : 1L);
		code = request_once(c, method, url, body, err, &retry);
		curl_easy_setopt(c->curl, CURLOPT_FRESH_CONNECT, 0L);
		if (code == DPC_OK || attempt >= c->retries ||
		    retry == DPCI_RETRY_NO ||
		    (retry == DPCI_RETRY_IF_IDEMPOTENT && !idempotent))
			return code;
		dpci_backoff(&delay);
	}
}

/* base/wmi/<path>[?$filter=<filter, escaped>]; NULL when out of memory. */
static char *wmi_url(struct dpc_client *c, const char *path,
		     const char *filter)
{
	char *esc = filter ? dpc_url_escape(filter) : NULL;
	char *url = NULL;

	if (filter && !esc)
		return NULL;
	if (asprintf(&url, "%s/wmi/%s%s%s", c->admin_base, path,
		     esc ? "?$filter=" : "", esc ? esc : "") < 0)
		url = NULL;
	free(esc);
	return url;
}

/* A nextLink is followed only on the service it came from: libcurl would
 * send the credentials anywhere. */
static bool same_service(const struct dpc_client *c, const char *url)
{
	size_t n = strlen(c->admin_base);

	return strncasecmp(url, c->admin_base, n) == 0 &&
	       (url[n] == '/' || url[n] == '?' || url[n] == '\0');
}

/* GETs url and every page after it into *out. */
static enum dpc_code read_all(struct dpc_client *c, char *url,
			      const struct dpco_read *how,
			      struct dpc_instance_list *out,
			      struct dpc_error *err)
{
	enum dpc_code code = DPC_OK;
	unsigned pages = 0;

	while (url && !code) {
		char *next = NULL;

		code = exchange(c, "GET", url, NULL, true, err);
		if (!code)
			code = dpco_read_instances(buf_ptr(&c->body),
						   buf_len(&c->body), how, out,
						   &next, err);
		free(url);
		url = next;
		if (!code && url && !same_service(c, url))
			code = dpci_fail(err, DPC_E_PROTOCOL,
					 "the answer's @odata.nextLink %.200s "
					 "is not on %s", url, c->admin_base);
		else if (!code && url && ++pages > MAX_PAGES)
			code = dpci_fail(err, DPC_E_PROTOCOL,
					 "the collection did not end after %u "
					 "pages", MAX_PAGES);
	}
	free(url);
	if (code)
		dpc_instance_list_clear(out);
	return code;
}

static enum dpc_code bad_name(const char *what, const char *name,
			      struct dpc_error *err)
{
	return dpci_fail(err, DPC_E_USAGE, "'%s' is not a valid %s name",
			 name ? name : "", what);
}

enum dpc_code dpca_select(struct dpc_client *c, const char *ns,
			  const char *cls, const char *prop,
			  enum dpci_match match, const char *value,
			  struct dpc_instance_list *out, struct dpc_error *err)
{
	struct dpco_read how = { .cls = cls, .ns = ns };
	char *filter = NULL, *url;
	LOCAL_ERR(err);

	memset(out, 0, sizeof(*out));
	if (!dpco_is_name(cls))
		return bad_name("class", cls, err);
	if (match != DPCI_MATCH_ALL && !dpco_is_name(prop))
		return bad_name("property", prop, err);
	filter = dpco_match_filter(prop, match, value);
	if (match != DPCI_MATCH_ALL && !filter)
		return nomem(err);
	url = wmi_url(c, cls, filter);
	free(filter);
	if (!url)
		return nomem(err);
	return read_all(c, url, &how, out, err);
}

enum dpc_code dpca_get(struct dpc_client *c, const char *ns, const char *cls,
		       const char *const *names, const char *const *values,
		       size_t nkeys, struct dpc_instance *out,
		       struct dpc_error *err)
{
	struct dpco_read how = { .cls = cls, .ns = ns };
	struct dpc_instance_list l = { 0 };
	char *keys, *path = NULL, *url;
	enum dpc_code code;
	LOCAL_ERR(err);

	memset(out, 0, sizeof(*out));
	if (!dpco_is_name(cls))
		return bad_name("class", cls, err);
	for (size_t i = 0; i < nkeys; i++)
		if (!dpco_is_name(names[i]))
			return bad_name("key", names[i], err);
	keys = dpco_key_segment(names, values, nkeys);
	if (!keys || asprintf(&path, "%s%s", cls, keys) < 0) {
		free(keys);
		return nomem(err);
	}
	free(keys);
	url = wmi_url(c, path, NULL);
	free(path);
	if (!url)
		return nomem(err);
	code = read_all(c, url, &how, &l, err);
	if (!code && l.count != 1)
		code = dpci_fail(err, DPC_E_PROTOCOL,
				 "expected one instance in the answer to a "
				 "keyed GET, got %zu", l.count);
	if (!code) {
		*out = l.items[0];
		memset(&l.items[0], 0, sizeof(l.items[0]));
	}
	dpc_instance_list_clear(&l);
	return code;
}

enum dpc_code dpca_query(struct dpc_client *c, const char *ns, const char *wql,
			 struct dpc_instance_list *out, struct dpc_error *err)
{
	struct dpcw_query q;
	struct dpco_read how = { .ns = ns };
	char why[DPC_MSG_SIZE - 64], site[64];
	enum dpc_code code;
	char *url;
	int r;
	LOCAL_ERR(err);

	memset(out, 0, sizeof(*out));
	r = dpcw_translate(wql, &q, why, sizeof(why));
	if (r == -ENOMEM)
		return nomem(err);
	if (r)
		return dpci_fail(err, DPC_E_USAGE,
				 "WQL the AdminService cannot run: %s", why);
	if (!dpco_is_name(q.cls)) {
		code = bad_name("class", q.cls, err);
		dpcw_query_clear(&q);
		return code;
	}
	if (!ns) {
		code = dpci_site_ns(c, site, sizeof(site), err);
		if (code) {
			dpcw_query_clear(&q);
			return code;
		}
		how.ns = site;
	}
	how.cls = q.cls;
	how.select = (const char *const *)q.props;
	how.nselect = q.nprops;
	url = wmi_url(c, q.cls, q.filter);
	code = url ? read_all(c, url, &how, out, err) : nomem(err);
	dpcw_query_clear(&q);
	return code;
}

enum dpc_code dpca_invoke(struct dpc_client *c, const char *cls,
			  const char *method, const struct dpc_param *params,
			  size_t nparams, bool idempotent,
			  struct dpc_instance *out, uint32_t *return_value,
			  struct dpc_error *err)
{
	char *body = NULL, *path = NULL, *url = NULL;
	bool has_rv, names_ok;
	uint32_t rv = 0;
	enum dpc_code code;
	LOCAL_ERR(err);

	if (out)
		memset(out, 0, sizeof(*out));
	/* The names go into the URL and the JSON as they are. */
	names_ok = dpco_is_name(cls) && dpco_is_name(method);
	for (size_t i = 0; names_ok && i < nparams; i++)
		names_ok = dpco_is_name(params[i].name);
	if (!names_ok)
		return dpci_fail(err, DPC_E_USAGE,
				 "'%s' or a parameter name is not a valid "
				 "method/parameter name", method);
	body = dpco_params_body(params, nparams);
	if (!body || asprintf(&path, "%s.%s", cls, method) < 0) {
		free(body);
		return nomem(err);
	}
	url = wmi_url(c, path, NULL);
	free(path);
	if (!url) {
		free(body);
		return nomem(err);
	}
	code = exchange(c, "POST", url, body, idempotent, err);
	free(url);
	free(body);
	if (code)
		return code;
	code = dpco_read_output(buf_ptr(&c->body), buf_len(&c->body), method,
				out, &rv, &has_rv, err);
	if (code)
		return code;
	if (return_value)
		*return_value = rv;
	if (rv)
		return dpci_fail_return_value(err, rv, method);
	return DPC_OK;
}

enum dpc_code dpca_identify(struct dpc_client *c, struct dpc_identity *out,
			    struct dpc_error *err)
{
	struct curl_header *h = NULL;
	const char *version = NULL;
	enum dpc_code code;
	char *url = wmi_url(c, "", NULL);
	LOCAL_ERR(err);

	memset(out, 0, sizeof(*out));
	if (!url)
		return nomem(err);
	code = exchange(c, "GET", url, NULL, true, err);
	free(url);
	if (code)
		return code;
	if (curl_easy_header(c->curl, "OData-Version", 0, CURLH_HEADER, -1,
			     &h) == CURLHE_OK)
		version = h->value;
	return dpco_read_service(buf_ptr(&c->body), buf_len(&c->body), version,
				 out, err);
}
