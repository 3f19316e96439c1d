/* Internal to libdpclient: the client struct and the transport
 * (dpc_http.c) that the public calls in dpclient.c use. Errors are
 * dpc_error.h's. Not installed. */
#ifndef DPC_INTERNAL_H
#define DPC_INTERNAL_H

#include <curl/curl.h>

#include "buf.h"
#include "build.h"
#include "dpclient.h"
#include "response.h"

#define DPC_SITE_MAX 8

/* A response bigger than this is refused rather than buffered. */
#define DPC_MAX_RESPONSE (64u * 1024 * 1024)

struct dpc_client {
	CURL *curl;
	struct curl_slist *headers;
	char *endpoint;
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
	char curl_err[CURL_ERROR_SIZE];
};

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

/* libcurl write callback: appends to the struct buf in ud, failing the
 * transfer when the buffer's cap is reached. */
size_t dpci_on_body(char *data, size_t size, size_t n, void *ud);

#endif
