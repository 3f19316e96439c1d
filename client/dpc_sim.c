/* libdpclient: dpsim's control API (/_dpsim/, JSON over HTTP). See the
 * "dpsim's control API" part of dpclient.h. */
#include "dpc_internal.h"
#include "dpc_error.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DEFAULT_BASE "http://127.0.0.1:5985"
#define MAX_REPLY (16u * 1024 * 1024)

struct dpc_sim {
	CURL *curl;
	char *base;		/* "http://host:port", no trailing slash */
	char *auth_header;	/* "Authorization: Bearer ..." or NULL */
	char *ca_file;
	bool insecure;
	unsigned timeout_ms;
	struct buf body;
	char curl_err[CURL_ERROR_SIZE];
};

void dpc_sim_options_init(struct dpc_sim_options *o)
{
	memset(o, 0, sizeof(*o));
	o->timeout_ms = 30000;
}

/* scheme://authority of url, without path, query or fragment. */
static char *url_base(const char *url)
{
	const char *auth = strstr(url, "://");
	size_t n;

	if (!auth)
		return NULL;
	auth += 3;
	n = strcspn(auth, "/?#");
	return strndup(url, (size_t)(auth - url) + n);
}

enum dpc_code dpc_sim_new(const struct dpc_sim_options *o, struct dpc_sim **out,
			  struct dpc_error *err)
{
	struct dpc_sim_options defaults;
	const char *ep;
	struct dpc_sim *s;

	if (err)
		memset(err, 0, sizeof(*err));
	*out = NULL;
	if (!o) {
		dpc_sim_options_init(&defaults);
		o = &defaults;
	}
	ep = o->endpoint ? o->endpoint : DEFAULT_BASE;
	if (strncasecmp(ep, "http://", 7) && strncasecmp(ep, "https://", 8))
		return dpci_fail(err, DPC_E_USAGE,
				 "endpoint %s is not an http:// or https:// URL", ep);
	s = calloc(1, sizeof(*s));
	if (!s)
		return dpci_fail(err, DPC_E_NOMEM, "out of memory");
	buf_init(&s->body, MAX_REPLY);
	s->insecure = o->insecure;
	s->timeout_ms = o->timeout_ms ? o->timeout_ms : 30000;
	s->base = url_base(ep);
	s->curl = curl_easy_init();
	if (o->admin_token && asprintf(&s->auth_header, "Authorization: Bearer %s",
				       o->admin_token) < 0)
		s->auth_header = NULL;
	if (o->ca_file)
		s->ca_file = strdup(o->ca_file);
	if (!s->base || !s->curl || (o->admin_token && !s->auth_header) ||
	    (o->ca_file && !s->ca_file)) {
		dpc_sim_free(s);
		return dpci_fail(err, DPC_E_NOMEM, "out of memory");
	}
	*out = s;
	return DPC_OK;
}

void dpc_sim_free(struct dpc_sim *s)
{
	if (!s)
		return;
	if (s->curl)
		curl_easy_cleanup(s->curl);
	if (s->auth_header) {
		explicit_bzero(s->auth_header, strlen(s->auth_header));
		free(s->auth_header);
	}
	free(s->base);
	free(s->ca_file);
	buf_free(&s->body);
	free(s);
}

char *dpc_url_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	char *out = malloc(strlen(s) * 3 + 1), *o = out;

	if (!out)
		return NULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~*", *p)) {
			*o++ = (char)*p;
		} else {
			*o++ = '%';
			*o++ = hex[*p >> 4];
			*o++ = hex[*p & 15];
		}
	}
	*o = '\0';
	return out;
}

/* dpsim's {"error": "..."} sentence of a failed request, else a short
 * description of the body. */
static void error_text(const char *body, size_t len, long status,
		       char *out, size_t size)
{
	json_t *o = json_loadb(body, len, 0, NULL);
	const char *msg = json_string_value(json_object_get(o, "error"));

	if (msg)
		snprintf(out, size, "%s", msg);
	else
		snprintf(out, size, "HTTP %ld from dpsim%s%.*s", status,
			 len ? ": " : "", (int)(len > 200 ? 200 : len), body);
	json_decref(o);
}

static enum dpc_code code_of(long status)
{
	switch (status) {
	case 400:
	case 405:
	case 413:
	case 415:
		return DPC_E_USAGE;
	case 401:
	case 403:
		return DPC_E_AUTH;
	case 404:
		return DPC_E_NOT_FOUND;
	case 409:
		return DPC_E_PROVIDER;
	case 503:
		return DPC_E_TRANSPORT;
	}
	return DPC_E_PROTOCOL;
}

enum dpc_code dpc_sim_request(struct dpc_sim *s, const char *method,
			      const char *path, const char *content_type,
			      const char *body, size_t len, long *status,
			      char **reply, struct dpc_error *err)
{
	struct curl_slist *h = NULL;
	char *url = NULL, *ct = NULL;
	long st = 0;
	enum dpc_code code = DPC_OK;
	CURLcode rc;

	if (err)
		memset(err, 0, sizeof(*err));
	if (reply)
		*reply = NULL;
	if (status)
		*status = 0;
	if (asprintf(&url, "%s/_dpsim/%s", s->base, path ? path : "") < 0 ||
	    asprintf(&ct, "Content-Type: %s", content_type ? content_type
			   : "application/json") < 0) {
		free(url);
		return dpci_fail(err, DPC_E_NOMEM, "out of memory");
	}
	h = curl_slist_append(h, ct);
	if (h && s->auth_header)
		h = curl_slist_append(h, s->auth_header);
	if (h)
		h = curl_slist_append(h, "Expect:");
	buf_reset(&s->body);
	s->curl_err[0] = '\0';
	curl_easy_reset(s->curl);
	curl_easy_setopt(s->curl, CURLOPT_URL, url);
	curl_easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(s->curl, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(s->curl, CURLOPT_USERAGENT, "libdpclient/" DPC_VERSION);
	curl_easy_setopt(s->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(s->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(s->curl, CURLOPT_ERRORBUFFER, s->curl_err);
	curl_easy_setopt(s->curl, CURLOPT_TIMEOUT_MS, (long)s->timeout_ms);
	curl_easy_setopt(s->curl, CURLOPT_WRITEFUNCTION, dpci_on_body);
	curl_easy_setopt(s->curl, CURLOPT_WRITEDATA, &s->body);
	if (body) {
		curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	} else if (strcmp(method, "GET") && strcmp(method, "DELETE")) {
		curl_easy_setopt(s->curl, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(s->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)0);
	}
	if (s->ca_file)
		curl_easy_setopt(s->curl, CURLOPT_CAINFO, s->ca_file);
	if (s->insecure) {
		curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(s->curl, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	rc = h ? curl_easy_perform(s->curl) : CURLE_OUT_OF_MEMORY;
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &st);
	curl_slist_free_all(h);
	free(ct);
	if (err)
		err->http_status = st;
	if (status)
		*status = st;
	if (rc != CURLE_OK) {
		const char *why = s->curl_err[0] ? s->curl_err : curl_easy_strerror(rc);

		if (err)
			snprintf(err->transport, sizeof(err->transport), "%s", why);
		code = dpci_fail(err, rc == CURLE_OUT_OF_MEMORY ? DPC_E_NOMEM
				 : DPC_E_TRANSPORT, "%s: %s", url, why);
	} else if (st < 200 || st > 299) {
		char msg[DPC_MSG_SIZE];

		error_text(buf_ptr(&s->body), buf_len(&s->body), st, msg, sizeof(msg));
		code = dpci_fail(err, code_of(st), "%s", msg);
	} else if (reply) {
		*reply = strdup(buf_ptr(&s->body));
		if (!*reply)
			code = dpci_fail(err, DPC_E_NOMEM, "out of memory");
	}
	free(url);
	return code;
}

/* A request whose answer is read as JSON (*out: decref it). */
static enum dpc_code request_json(struct dpc_sim *s, const char *method,
				  const char *path, const char *ct,
				  const char *body, size_t len, json_t **out,
				  struct dpc_error *err)
{
	char *reply = NULL;
	enum dpc_code code = dpc_sim_request(s, method, path, ct, body, len, NULL,
					     &reply, err);

	*out = NULL;
	if (code)
		return code;
	*out = json_loads(reply, 0, NULL);
	free(reply);
	if (!*out)
		return dpci_fail(err, DPC_E_PROTOCOL, "dpsim's answer to %s %s is "
				 "not JSON", method, path);
	return DPC_OK;
}

/* path + "?site=CODE" when site is given (malloc'd). */
static char *with_site(const char *path, const char *key, const char *site)
{
	char *esc, *out = NULL;

	if (!site)
		return strdup(path);
	esc = dpc_url_escape(site);
	if (esc && asprintf(&out, "%s?%s=%s", path, key, esc) < 0)
		out = NULL;
	free(esc);
	return out;
}

enum dpc_code dpc_sim_health(struct dpc_sim *s, bool *ready,
			     struct dpc_error *err)
{
	long status = 0;
	enum dpc_code code = dpc_sim_request(s, "GET", "health", NULL, NULL, 0,
					     &status, NULL, err);

	*ready = code == DPC_OK;
	if (code == DPC_E_TRANSPORT && status == 503) {
		if (err)
			memset(err, 0, sizeof(*err));
		return DPC_OK;
	}
	return code;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

enum dpc_code dpc_sim_wait_ready(struct dpc_sim *s, unsigned timeout_ms,
				 struct dpc_error *err)
{
	uint64_t start = mono_ms();
	unsigned pause = 50;

	for (;;) {
		bool ready = false;
		enum dpc_code code = dpc_sim_health(s, &ready, err);
		uint64_t spent = mono_ms() - start;

		if (code == DPC_OK && ready)
			return DPC_OK;
		/* Refused: not listening yet. Anything else is an answer. */
		if (code != DPC_OK && code != DPC_E_TRANSPORT)
			return code;
		if (spent >= timeout_ms)
			return dpci_fail(err, DPC_E_TRANSPORT, "dpsim at %s was not "
					 "ready within %u ms%s%s", s->base, timeout_ms,
					 code ? ": " : "", code && err ? err->transport
								       : "");
		sleep_ms((unsigned)(timeout_ms - spent < pause ? timeout_ms - spent
							       : pause));
		if (pause < 500)
			pause *= 2;
	}
}

enum dpc_code dpc_sim_reset(struct dpc_sim *s, const char *site,
			    struct dpc_error *err)
{
	char *path = with_site("reset", "site", site);
	enum dpc_code code;

	if (!path)
		return dpci_fail(err, DPC_E_NOMEM, "out of memory");
	code = dpc_sim_request(s, "POST", path, NULL, NULL, 0, NULL, NULL, err);
	free(path);
	return code;
}

enum dpc_code dpc_sim_fault_add(struct dpc_sim *s, const char *site,
				const char *rule_json, int64_t *id,
				struct dpc_error *err)
{
	char *path = with_site("faults", "site", site);
	json_t *o = NULL;
	enum dpc_code code;

	if (!path)
		return dpci_fail(err, DPC_E_NOMEM, "out of memory");
	code = request_json(s, "POST", path, NULL, rule_json, strlen(rule_json),
			    &o, err);
	free(path);
	if (!code && id)
		*id = json_integer_value(json_object_get(o, "id"));
	json_decref(o);
	return code;
}

enum dpc_code dpc_sim_fault_clear(struct dpc_sim *s, const char *site,
				  int64_t id, struct dpc_error *err)
{
	char *path = NULL;
	enum dpc_code code;

	if (id > 0) {
		if (asprintf(&path, "faults/%lld", (long long)id) < 0)
			path = NULL;
	} else {
		path = with_site("faults", "site", site);
	}
	if (!path)
		return dpci_fail(err, DPC_E_NOMEM, "out of memory");
	code = dpc_sim_request(s, "DELETE", path, NULL, NULL, 0, NULL, NULL, err);
	free(path);
	return code;
}

enum dpc_code dpc_sim_journal_count(struct dpc_sim *s, const char *query,
				    int64_t *count, struct dpc_error *err)
{
	char *path = NULL;
	json_t *o = NULL;
	enum dpc_code code;

	if (asprintf(&path, "journal/count%s%s", query && *query ? "?" : "",
		     query ? query : "") < 0)
		return dpci_fail(err, DPC_E_NOMEM, "out of memory");
	code = request_json(s, "GET", path, NULL, NULL, 0, &o, err);
	free(path);
	if (!code) {
		json_t *n = json_object_get(o, "count");

		if (!json_is_integer(n))
			code = dpci_fail(err, DPC_E_PROTOCOL, "no count in dpsim's "
					 "answer");
		else
			*count = json_integer_value(n);
	}
	json_decref(o);
	return code;
}

/* POST snapshots/NAME[/restore]. */
static enum dpc_code snapshot(struct dpc_sim *s, const char *name,
			      const char *suffix, struct dpc_error *err)
{
	char *esc = dpc_url_escape(name), *path = NULL;
	enum dpc_code code;

	if (!esc || asprintf(&path, "snapshots/%s%s", esc, suffix) < 0) {
		free(esc);
		return dpci_fail(err, DPC_E_NOMEM, "out of memory");
	}
	free(esc);
	code = dpc_sim_request(s, "POST", path, NULL, NULL, 0, NULL, NULL, err);
	free(path);
	return code;
}

enum dpc_code dpc_sim_snapshot_save(struct dpc_sim *s, const char *name,
				    struct dpc_error *err)
{
	return snapshot(s, name, "", err);
}

enum dpc_code dpc_sim_snapshot_restore(struct dpc_sim *s, const char *name,
				       struct dpc_error *err)
{
	return snapshot(s, name, "/restore", err);
}

enum dpc_code dpc_sim_site_add(struct dpc_sim *s, const char *code,
			       const char *xml, size_t len,
			       struct dpc_error *err)
{
	char *path = with_site("sites", "code", code);
	enum dpc_code rc;

	if (!path)
		return dpci_fail(err, DPC_E_NOMEM, "out of memory");
	rc = dpc_sim_request(s, "POST", path, "application/xml", xml, len, NULL,
			     NULL, err);
	free(path);
	return rc;
}

enum dpc_code dpc_sim_site_remove(struct dpc_sim *s, const char *code,
				  struct dpc_error *err)
{
	char *esc = dpc_url_escape(code), *path = NULL;
	enum dpc_code rc;

	if (!esc || asprintf(&path, "sites/%s", esc) < 0) {
		free(esc);
		return dpci_fail(err, DPC_E_NOMEM, "out of memory");
	}
	free(esc);
	rc = dpc_sim_request(s, "DELETE", path, NULL, NULL, 0, NULL, NULL, err);
	free(path);
	return rc;
}
