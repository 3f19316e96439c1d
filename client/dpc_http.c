/* The libcurl transport of libdpclient: one POST per request, retries for
 * what is worth retrying, and the mapping from HTTP / SOAP outcomes to
 * enum dpc_code. */
#include "dpc_internal.h"
#include "dpc_error.h"
#include "dpc_negotiate.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "fault.h"
#include "hresult.h"
#include "vocab.h"

#define RETRY_DELAY_CAP_MS 5000u

/* ---- authentication schemes ---------------------------------------- */

static const char *const auth_names[] = {
	[DPC_AUTH_BASIC] = "basic",
	[DPC_AUTH_NTLM] = "ntlm",
	[DPC_AUTH_NEGOTIATE] = "negotiate",
};

enum dpc_code dpc_auth_parse(const char *name, enum dpc_auth *out)
{
	for (unsigned i = 0; i < sizeof(auth_names) / sizeof(auth_names[0]);
	     i++)
		if (name && strcasecmp(name, auth_names[i]) == 0) {
			*out = (enum dpc_auth)i;
			return DPC_OK;
		}
	return DPC_E_USAGE;
}

const char *dpc_auth_name(enum dpc_auth auth)
{
	if ((unsigned)auth >= sizeof(auth_names) / sizeof(auth_names[0]))
		return "unknown";
	return auth_names[auth];
}

static void copy(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

/* A fault becomes DPC_E_PROVIDER with everything it said. The message is
 * the provider's own words when there are some. */
static enum dpc_code fail_fault(struct dpc_error *err,
				const struct wsman_response *r)
{
	const struct wsman_fault *f = wsman_response_fault(r);
	const struct wsman_fault_ext *e = wsman_response_fault_ext(r);
	const char *msg = NULL;
	enum dpc_code code = DPC_E_PROVIDER;

	if (!err)
		return f->subcode == WSMAN_SUB_TIMED_OUT ? DPC_E_TRANSPORT
							 : DPC_E_PROVIDER;
	err->hresult = f->code;
	err->hresult_name = f->code ? dpci_hresult_name(f->code) : NULL;
	err->cim_status = f->cim_status;
	copy(err->subcode, sizeof(err->subcode),
	     e->subcode_qname ? e->subcode_qname : e->code_local);
	if (e->wmi_message && *e->wmi_message)
		msg = e->wmi_message;
	else if (f->reason && *f->reason)
		msg = f->reason;
	else if (e->wsman_message && *e->wsman_message)
		msg = e->wsman_message;
	else if (f->code && hresult_lookup(f->code))
		msg = hresult_lookup(f->code)->message;
	if (f->sms) {
		struct dpc_sms_status *s = &err->sms;

		s->present = true;
		copy(s->class_name, sizeof(s->class_name), e->sms_class);
		s->error_code = f->sms->error_code;
		s->has_status_code = e->has_status_code;
		s->status_code = e->status_code;
		copy(s->description, sizeof(s->description),
		     f->sms->description);
		copy(s->operation, sizeof(s->operation), f->sms->operation);
		copy(s->parameter_info, sizeof(s->parameter_info),
		     f->sms->parameter_info);
		copy(s->provider_name, sizeof(s->provider_name),
		     f->sms->provider_name);
	}
	/* w:TimedOut means the server gave up waiting, not that the
	 * provider refused: it is retried, and reported as transport. */
	if (f->subcode == WSMAN_SUB_TIMED_OUT)
		code = DPC_E_TRANSPORT;
	return dpci_fail(err, code, "%s",
			msg ? msg : "The server returned a SOAP fault.");
}

size_t dpci_on_body(char *data, size_t size, size_t n, void *ud)
{
	struct buf *b = ud;

	if (buf_add(b, data, size * n) < 0)
		return 0;	/* makes libcurl fail with CURLE_WRITE_ERROR */
	return size * n;
}

static void new_message_id(char out[WSMAN_UUID_SIZE])
{
	unsigned char rnd[16];
	size_t got = 0;

	while (got < sizeof(rnd)) {
		ssize_t n = getrandom(rnd + got, sizeof(rnd) - got, 0);

		if (n <= 0) {
			/* Uniqueness, not secrecy, is what a MessageID needs:
			 * time and address will do if the kernel says no. */
			struct timespec ts;

			clock_gettime(CLOCK_REALTIME, &ts);
			memcpy(rnd, &ts, sizeof(ts) < 16 ? sizeof(ts) : 16);
			rnd[15] ^= (unsigned char)(uintptr_t)out;
			break;
		}
		got += (size_t)n;
	}
	wsman_format_uuid(rnd, out);
}

static bool is_soap(const char *content_type)
{
	return content_type &&
	       (strncasecmp(content_type, WSMAN_SOAP_MEDIA_TYPE,
			    sizeof(WSMAN_SOAP_MEDIA_TYPE) - 1) == 0 ||
		strncasecmp(content_type, "text/xml", 8) == 0);
}

enum dpc_code dpci_curl_failed(struct dpc_client *c, CURLcode rc,
			       struct dpc_error *err, enum dpci_retry *retry)
{
	const char *why = c->curl_err[0] ? c->curl_err : curl_easy_strerror(rc);

	if (rc == CURLE_WRITE_ERROR && buf_error(&c->body) == -E2BIG)
		return dpci_fail(err, DPC_E_PROTOCOL,
				 "response larger than %u bytes",
				 DPC_MAX_RESPONSE);
	if (rc == CURLE_WRITE_ERROR)
		return dpci_fail(err, DPC_E_NOMEM, "out of memory");
	if (err)
		copy(err->transport, sizeof(err->transport), why);
	/* Refused means nothing was sent: always safe to try again. A
	 * timeout or a connection lost later is not retried: the request
	 * may have been carried out, and the caller asked for that much
	 * patience only once. */
	*retry = rc == CURLE_COULDNT_CONNECT ? DPCI_RETRY_SAFE : DPCI_RETRY_NO;
	return dpci_fail(err, DPC_E_TRANSPORT, "%s: %s", c->endpoint, why);
}

enum dpc_code dpci_auth_failed(struct dpc_client *c, long status,
			       struct dpc_error *err)
{
	return dpci_fail(err, DPC_E_AUTH,
			 "HTTP %ld: %s refused the credentials%s%s (auth %s)",
			 status, c->endpoint, c->user ? " of " : "",
			 c->user ? c->user : "", dpc_auth_name(c->auth));
}

void dpci_trace_request(struct dpc_client *c, const char *method,
			const char *url)
{
	if (c->request_trace)
		c->request_trace(c->request_trace_data, method, url);
}

/* Reads the parsed answer: RelatesTo must be ours, a fault is an error,
 * anything else but a 200 is a protocol error. Frees *resp on failure. */
static enum dpc_code check_answer(long status, const char *id,
				  struct wsman_response **resp,
				  struct dpc_error *err, enum dpci_retry *retry)
{
	const char *rel = wsman_response_relates_to(*resp);
	const struct wsman_fault *f = wsman_response_fault(*resp);
	enum dpc_code code = DPC_OK;

	if (rel && strcasecmp(rel, id) != 0) {
		code = dpci_fail(err, DPC_E_PROTOCOL,
				 "response relates to another request (%s)",
				 rel);
	} else if (f) {
		code = fail_fault(err, *resp);
		/* The server gave up waiting for the provider, which may
		 * still have done the work. */
		if (f->subcode == WSMAN_SUB_TIMED_OUT)
			*retry = DPCI_RETRY_IF_IDEMPOTENT;
	} else if (status != 200) {
		code = dpci_fail(err, DPC_E_PROTOCOL,
				 "HTTP %ld without a SOAP fault", status);
	}
	if (code) {
		wsman_response_free(*resp);
		*resp = NULL;
	}
	return code;
}

/* An answer (status, Content-Type, body) read as the call's: HTTP
 * statuses that say who refused, then the SOAP envelope. */
static enum dpc_code read_answer(struct dpc_client *c, long status,
				 const char *ctype, const char *body,
				 size_t len, const char *id,
				 struct wsman_response **resp,
				 struct dpc_error *err, enum dpci_retry *retry)
{
	char why[160];
	int ret;

	if (status == 401 || status == 403)
		return dpci_auth_failed(c, status, err);
	if (status == 503) {
		/* WinRM (and dpsim) answer 503 before running anything. */
		*retry = DPCI_RETRY_SAFE;
		return dpci_fail(err, DPC_E_TRANSPORT,
				 "HTTP 503: %s is unavailable", c->endpoint);
	}
	if (!len || (status != 200 && !is_soap(ctype)))
		return dpci_fail(err, status == 200 ? DPC_E_PROTOCOL
						    : DPC_E_TRANSPORT,
				 "HTTP %ld from %s with %s", status,
				 c->endpoint, len
				 ? "a body that is not SOAP" : "no body");
	ret = wsman_response_parse(body, len, 0, resp, why, sizeof(why));
	if (ret == -ENOMEM)
		return dpci_fail(err, DPC_E_NOMEM, "out of memory");
	if (ret < 0)
		return dpci_fail(err, DPC_E_PROTOCOL,
				 "HTTP %ld: unreadable response: %s", status,
				 why);
	return check_answer(status, id, resp, err, retry);
}

/* One HTTP exchange. *retry says whether trying again may help, and is
 * safe. */
static enum dpc_code post_once(struct dpc_client *c, const char *id,
			       struct wsman_response **resp,
			       struct dpc_error *err, enum dpci_retry *retry)
{
	long status = 0;
	char *ctype = NULL;
	CURLcode rc;

	*retry = DPCI_RETRY_NO;
	buf_reset(&c->body);
	c->curl_err[0] = '\0';
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, buf_ptr(&c->req));
	curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
			 (curl_off_t)buf_len(&c->req));
	dpci_trace_request(c, "POST", c->endpoint);
	if (c->trace)
		c->trace(c->trace_data, true, 0, buf_ptr(&c->req),
			 buf_len(&c->req));
	rc = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (err)
		err->http_status = status;
	if (rc != CURLE_OK)
		return dpci_curl_failed(c, rc, err, retry);
	if (c->trace)
		c->trace(c->trace_data, false, status, buf_ptr(&c->body),
			 buf_len(&c->body));
	curl_easy_getinfo(c->curl, CURLINFO_CONTENT_TYPE, &ctype);
	return read_answer(c, status, ctype, buf_ptr(&c->body),
			   buf_len(&c->body), id, resp, err, retry);
}

/* Every WWW-Authenticate value of the last answer into b, joined with
 * ", " (libcurl lends one header at a time). */
static int www_authenticate(struct dpc_client *c, struct buf *b)
{
	struct curl_header *h;

	for (size_t i = 0;
	     curl_easy_header(c->curl, "WWW-Authenticate", i, CURLH_HEADER,
			      -1, &h) == CURLHE_OK; i++) {
		if ((buf_len(b) && buf_add(b, ", ", 2) < 0) ||
		    buf_add(b, h->value, strlen(h->value)) < 0)
			return -ENOMEM;
		if (i + 1 >= h->amount)
			break;
	}
	return 0;
}

/* The headers of one leg of a sealed exchange. */
static struct curl_slist *sealed_headers(const struct dpcn_request *req)
{
	char line[16384];
	struct curl_slist *l = NULL, *t;

	snprintf(line, sizeof(line), "Content-Type: %s", req->content_type);
	if (!(l = curl_slist_append(NULL, line)))
		return NULL;
	if (!(t = curl_slist_append(l, "Expect:")))
		goto fail;
	if (req->authorization) {
		snprintf(line, sizeof(line), "Authorization: %s",
			 req->authorization);
		if (!(t = curl_slist_append(l, line)))
			goto fail;
	}
	return l;
fail:
	curl_slist_free_all(l);
	return NULL;
}

/* One call over a sealed session (dpc_negotiate.h): the NTLM exchange
 * when the connection has no context yet, then the envelope sealed and
 * the answer unsealed. fresh: the call must go on a new connection. */
static enum dpc_code post_sealed(struct dpc_client *c, const char *id,
				 bool fresh, struct wsman_response **resp,
				 struct dpc_error *err, enum dpci_retry *retry)
{
	struct dpcn_request req;
	struct dpcn_result res;
	struct buf www;
	enum dpc_code code;

	*retry = DPCI_RETRY_NO;
	fresh = fresh || dpcn_wants_fresh(c->ntlm);
	code = dpcn_start(c->ntlm, WSMAN_SOAP_CONTENT_TYPE, buf_ptr(&c->req),
			  buf_len(&c->req), fresh, &req, err);
	if (code)
		return code;
	if (c->trace)
		c->trace(c->trace_data, true, 0, buf_ptr(&c->req),
			 buf_len(&c->req));
	buf_init(&www, 65536);
	for (;;) {
		struct curl_slist *h = sealed_headers(&req);
		struct dpcn_answer a = { 0 };
		long status = 0, conns = 0;
		char *ctype = NULL;
		CURLcode rc;

		if (!h) {
			dpcn_abandon(c->ntlm);
			code = dpci_fail(err, DPC_E_NOMEM, "out of memory");
			break;
		}
		buf_reset(&c->body);
		buf_reset(&c->plain);
		buf_reset(&www);
		c->curl_err[0] = '\0';
		curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, req.body);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)req.len);
		/* Only the first leg may open a connection of its own: the
		 * context belongs to the one it opens. */
		curl_easy_setopt(c->curl, CURLOPT_FRESH_CONNECT,
				 fresh ? 1L : 0L);
		fresh = false;
		dpci_trace_request(c, "POST", c->endpoint);
		rc = curl_easy_perform(c->curl);
		curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, c->headers);
		curl_slist_free_all(h);
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
		if (err)
			err->http_status = status;
		if (rc != CURLE_OK) {
			dpcn_abandon(c->ntlm);
			code = dpci_curl_failed(c, rc, err, retry);
			break;
		}
		curl_easy_getinfo(c->curl, CURLINFO_NUM_CONNECTS, &conns);
		curl_easy_getinfo(c->curl, CURLINFO_CONTENT_TYPE, &ctype);
		if (www_authenticate(c, &www)) {
			dpcn_abandon(c->ntlm);
			code = dpci_fail(err, DPC_E_NOMEM, "out of memory");
			break;
		}
		a.status = status;
		a.new_connection = conns > 0;
		a.www_authenticate = buf_len(&www) ? buf_ptr(&www) : NULL;
		a.content_type = ctype;
		a.body = buf_ptr(&c->body);
		a.len = buf_len(&c->body);
		code = dpcn_answer(c->ntlm, &a, &req, &c->plain, &res, err);
		if (code) {
			*retry = res.retry;
			break;
		}
		if (res.send)
			continue;
		if (res.unsealed) {
			if (c->trace)
				c->trace(c->trace_data, false, status,
					 buf_ptr(&c->plain),
					 buf_len(&c->plain));
			code = read_answer(c, status, res.type,
					   buf_ptr(&c->plain),
					   buf_len(&c->plain), id, resp, err,
					   retry);
		} else {
			if (c->trace)
				c->trace(c->trace_data, false, status,
					 buf_ptr(&c->body), buf_len(&c->body));
			code = read_answer(c, status, ctype, buf_ptr(&c->body),
					   buf_len(&c->body), id, resp, err,
					   retry);
		}
		break;
	}
	curl_easy_setopt(c->curl, CURLOPT_FRESH_CONNECT, 0L);
	buf_free(&www);
	return code;
}

void dpci_backoff(unsigned *delay_ms)
{
	unsigned ms = *delay_ms;
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
	*delay_ms = ms * 2 > RETRY_DELAY_CAP_MS ? RETRY_DELAY_CAP_MS : ms * 2;
}

/* The retry loop of both exchanges. idempotent: the call may run twice
 * (a read, or a method whose second run changes nothing). */
static enum dpc_code exchange(struct dpc_client *c,
			      const struct wsman_head *tmpl,
			      dpci_build_fn build, const void *arg,
			      struct wsman_response **resp,
			      struct dpc_error *err, bool idempotent)
{
	unsigned delay = c->retry_delay_ms;

	*resp = NULL;
	for (unsigned attempt = 0;; attempt++) {
		char id[WSMAN_UUID_SIZE];
		struct wsman_head h = *tmpl;
		enum dpc_code code;
		enum dpci_retry retry;
		int ret;

		new_message_id(id);
		h.to = c->endpoint;
		h.message_id = id;
		h.operation_timeout_ms = c->operation_timeout_ms;
		buf_reset(&c->req);
		ret = build(&c->req, &h, arg);
		if (ret == -EINVAL)
			return dpci_fail(err, DPC_E_USAGE,
					"invalid request arguments");
		if (ret < 0)
			return dpci_fail(err, DPC_E_NOMEM,
					"cannot build the request");
		if (err) {
			/* Each attempt reports afresh. */
			unsigned attempts = attempt + 1;

			memset(err, 0, sizeof(*err));
			err->attempts = attempts;
		}
		/* libcurl sends a request again, once and silently, when a
		 * reused connection closes without an answer: the server may
		 * have run it. A new connection has no such second try. */
		if (c->ntlm) {
			code = post_sealed(c, id, !idempotent, resp, err,
					   &retry);
		} else {
			curl_easy_setopt(c->curl, CURLOPT_FRESH_CONNECT,
					 idempotent ? 0L : 1L);
			code = post_once(c, id, resp, err, &retry);
			curl_easy_setopt(c->curl, CURLOPT_FRESH_CONNECT, 0L);
		}
		if (code == DPC_OK || attempt >= c->retries ||
		    retry == DPCI_RETRY_NO ||
		    (retry == DPCI_RETRY_IF_IDEMPOTENT && !idempotent))
			return code;
		dpci_backoff(&delay);
	}
}

enum dpc_code dpci_exchange(struct dpc_client *c, const struct wsman_head *tmpl,
			   dpci_build_fn build, const void *arg,
			   struct wsman_response **resp, struct dpc_error *err)
{
	return exchange(c, tmpl, build, arg, resp, err, true);
}

enum dpc_code dpci_exchange_unsafe(struct dpc_client *c,
				   const struct wsman_head *tmpl,
				   dpci_build_fn build, const void *arg,
				   struct wsman_response **resp,
				   struct dpc_error *err)
{
	return exchange(c, tmpl, build, arg, resp, err, false);
}
