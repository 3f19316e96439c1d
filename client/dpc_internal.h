/* Internal to libdpclient: the client struct, the WS-Man transport
 * (dpc_http.c) and the AdminService calls (dpc_admin.c) that the public
 * calls in dpclient.c use. Errors are dpc_error.h's. Not installed. */
#ifndef DPC_INTERNAL_H
#define DPC_INTERNAL_H

#include <curl/curl.h>

#include "buf.h"
#include "build.h"
#include "dpclient.h"
#include "dpc_odata.h"
#include "response.h"

#define DPC_SITE_MAX 8

struct dpcn;	/* dpc_negotiate.h */

/* A response bigger than this is refused rather than buffered. */
#define DPC_MAX_RESPONSE (64u * 1024 * 1024)

struct dpc_client {
	CURL *curl;
	struct curl_slist *headers;	/* WS-Man's, or the AdminService's */
	struct curl_slist *json_headers; /* the AdminService's with a JSON
					  * body (POST) */
	enum dpc_protocol protocol;	/* WSMAN or ADMINSERVICE, never AUTO */
	char *endpoint;			/* as given (messages name it) */
	char *admin_base;		/* AdminService: "https://h/AdminService",
					 * no trailing slash; else NULL */
	dpc_request_trace_fn request_trace;
	void *request_trace_data;
	char *user;
	char *password;
	char *ca_file;
	enum dpc_auth auth;
	bool insecure;
	unsigned connect_timeout_ms;
	unsigned operation_timeout_ms;
	unsigned retries;
	unsigned retry_delay_ms;
	dpc_trace_fn trace;
	void *trace_data;
	char site[DPC_SITE_MAX + 1];	/* "" until configured or discovered */
	struct buf req;			/* request being sent */
	struct buf body;		/* response being received */
	/* WS-Man over http:// with NTLM: libdpclient signs in itself and
	 * seals every body (dpc_negotiate.h); NULL otherwise, when libcurl
	 * authenticates (Basic, and NTLM or Negotiate over HTTPS). */
	struct dpcn *ntlm;
	struct buf plain;		/* a sealed answer's envelope */
	char curl_err[CURL_ERROR_SIZE];
};

/* What trying a failed request again is worth (dpclient.h, "Retries"). */
enum dpci_retry {
	DPCI_RETRY_NO,		/* the answer will not change */
	DPCI_RETRY_SAFE,	/* nothing ran: refused, HTTP 503 */
	DPCI_RETRY_IF_IDEMPOTENT, /* w:TimedOut, HTTP 504: the provider may
				   * have run it */
};

/* Shared by both transports (dpc_http.c). */

/* A libcurl failure as an error: *retry says whether it may be tried
 * again (only a refused connection). */
enum dpc_code dpci_curl_failed(struct dpc_client *c, CURLcode rc,
			       struct dpc_error *err, enum dpci_retry *retry);
/* HTTP 401 / 403 as DPC_E_AUTH, naming the endpoint, user and scheme. */
enum dpc_code dpci_auth_failed(struct dpc_client *c, long status,
			       struct dpc_error *err);
/* Sleeps *delay_ms, then doubles it (capped at 5 s). */
void dpci_backoff(unsigned *delay_ms);
/* "root/sms/site_<site>" into out, discovering the site first when c
 * has none (dpclient.c). */
enum dpc_code dpci_site_ns(struct dpc_client *c, char *out, size_t size,
			   struct dpc_error *err);
/* Calls the request trace, if any. */
void dpci_trace_request(struct dpc_client *c, const char *method,
			const char *url);

/* Writes one request envelope for head h into b (a wsman_build_*
 * wrapper); returns 0 or a negative errno. */
typedef int (*dpci_build_fn)(struct buf *b, const struct wsman_head *h,
			    const void *arg);

/* Sends the request build() writes, retrying transient failures with
 * back-off, each attempt with a new MessageID. tmpl gives the resource URI
 * and selectors (to, message_id and timeout are filled here).
 * On DPC_OK *resp is a parsed, non-fault response owned by the caller
 * (wsman_response_free); otherwise *resp is NULL and err is filled. */
enum dpc_code dpci_exchange(struct dpc_client *c, const struct wsman_head *tmpl,
			   dpci_build_fn build, const void *arg,
			   struct wsman_response **resp, struct dpc_error *err);
/* The same for a call that must not run twice (a method that may not be
 * idempotent): retried only when nothing can have run (refused, 503),
 * never after w:TimedOut or a connection lost with the request sent, and
 * always on a fresh connection so libcurl cannot resend it silently. */
enum dpc_code dpci_exchange_unsafe(struct dpc_client *c,
				   const struct wsman_head *tmpl,
				   dpci_build_fn build, const void *arg,
				   struct wsman_response **resp,
				   struct dpc_error *err);

/* ---- the AdminService (dpc_admin.c) ------------------------------------
 *
 * The calls of dpclient.h over the AdminService's WMI route; dpclient.c
 * hands a call here when c->protocol is DPC_PROTOCOL_ADMINSERVICE. They
 * take the same arguments and fill err the same way; ns is a namespace
 * with forward slashes ("root/sms/site_PS1"). */

enum dpc_code dpca_identify(struct dpc_client *c, struct dpc_identity *out,
			    struct dpc_error *err);
/* The instances of cls whose prop matches value, read from namespace ns
 * (every instance must say __NAMESPACE ns, else DPC_E_NOT_FOUND). */
enum dpc_code dpca_select(struct dpc_client *c, const char *ns,
			  const char *cls, const char *prop,
			  enum dpci_match match, const char *value,
			  struct dpc_instance_list *out, struct dpc_error *err);
/* One instance of cls by its keys (names and values, nkeys of them). */
enum dpc_code dpca_get(struct dpc_client *c, const char *ns, const char *cls,
		       const char *const *names, const char *const *values,
		       size_t nkeys, struct dpc_instance *out,
		       struct dpc_error *err);
/* WQL read into a class read (dpc_wql.h); ns NULL: the site's, found
 * after the WQL is read. */
enum dpc_code dpca_query(struct dpc_client *c, const char *ns, const char *wql,
			 struct dpc_instance_list *out, struct dpc_error *err);
/* A static method; idempotent: whether it may be sent twice. */
enum dpc_code dpca_invoke(struct dpc_client *c, const char *cls,
			  const char *method, const struct dpc_param *params,
			  size_t nparams, bool idempotent,
			  struct dpc_instance *out, uint32_t *return_value,
			  struct dpc_error *err);

/* libcurl write callback: appends to the struct buf in ud, failing the
 * transfer when the buffer's cap is reached. */
size_t dpci_on_body(char *data, size_t size, size_t n, void *ud);

#endif
