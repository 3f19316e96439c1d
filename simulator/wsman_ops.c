#include "wsman_ops.h"

#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>

#include "build.h"
#include "fragment.h"
#include "hresult.h"
#include "log.h"
#include "negotiate.h"
#include "ratelimit.h"
#include "reply.h"
#include "request.h"
#include "resource.h"
#include "seal.h"
#include "vocab.h"
#include "wql.h"

#define PRODUCT_VERSION "OS: 0.0.0 SP: 0.0 Stack: 3.0"
/* Room kept for the envelope around the items of a batch: header, open
 * and closing tags (a response header is about 700 bytes). */
#define ENVELOPE_OVERHEAD 1536
#define MIN_ENVELOPE 8192

/* An open enumeration: the provider's cursor (provider.h) and what each
 * Pull needs to write its items. No instance is held between Pulls:
 * each builds the ones it returns (docs/wsman-protocol.md, Enumeration
 * contexts). */
struct enum_ctx {
	char id[48];
	char user[128];
	struct provider_cursor *cur;
	struct wql_query *q;		/* the condition the cursor borrows */
	struct wsman_kv *sel;		/* a SelectorFilter's selectors: the
					 * cursor's keep filter */
	size_t nsel;
	enum wsman_enum_mode mode;
	enum wsman_uri_form form;
	char ns[256];
	char **select;
	size_t nselect;
	time_t last_used;	/* for expiry */
	uint64_t use_seq;	/* for least recently used: seconds tie */
};

/* Evictions of one user's contexts not logged yet: one line per user
 * per minute says how many went (a user opening contexts in a loop
 * would otherwise log a line each). */
struct evict_note {
	char user[128];
	unsigned pending;	/* evicted since the last line */
	time_t logged;		/* when the last line was written */
};

#define EVICT_LOG_EVERY_S 60

struct wsman_ops {
	/* Each thread's wsman_parser (parser contexts are reused, one per
	 * worker); freed when the thread ends. */
	pthread_key_t parser_key;
	bool parser_key_ok;
	struct provider *p;		/* set once by wsman_ops_set_ready() */
	struct wsman_ops_limits lim;
	pthread_mutex_t ready_lock;	/* guards p and auth.fx until ready,
					 * neg until settled */
	bool ready;
	/* Negotiate's acceptor is being made (wsman_ops_negotiate_pending):
	 * a request that needs to know whether there is one waits on
	 * neg_settled (negotiator). */
	bool neg_pending;
	pthread_cond_t neg_settled;
	struct auth_policy auth;	/* Basic, and WinRM's anonymous Identify */
	struct negotiate *neg;		/* Negotiate sign-in; NULL: Basic only */
	bool allow_unencrypted;		/* Negotiate over HTTP without sealing */
	struct ratelimit *log_401;	/* refused credentials, once a minute */
	struct ratelimit *log_nthash;	/* NTLM for a user without an NT hash */
	struct front front;		/* wsman_ops_front() */
	pthread_mutex_t lock;		/* guards ctxs and notes */
	struct enum_ctx **ctxs;
	size_t nctxs;
	struct evict_note *notes;
	size_t nnotes;
	uint64_t use_seq;	/* last one given out */
};

/* Everything one request needs while it is handled. */
struct op_call {
	struct wsman_ops *o;
	const struct caller *who;
	const struct wsman_request *req;
	struct buf *out;
	char msgid[48];
	uint32_t max_env;
	struct provider_call *pc;
	struct wsman_ops_answer *ans;
	/* The journal already says how this request ended: the provider
	 * journaled its call, and its answer is the one sent. */
	bool journaled;
	/* The last fault sent, for the journal row of a refusal. */
	uint32_t fault_code;
	char fault_reason[256];
};

/* An op's status when the fault rules took over the answer (c->ans). */
#define ST_INTERCEPTED (-1)

/* Random bytes for UUIDs, drawn from the kernel a block at a time: a
 * getrandom per UUID was two system calls of about twenty per Invoke.
 * Per thread, so no lock; the bytes are the kernel's CSPRNG output
 * either way (enumeration contexts are named by these). 256 bytes is
 * what getrandom always returns whole once its pool is initialised. */
#define UUID_POOL 256

static void new_uuid(char out[WSMAN_UUID_SIZE])
{
	static _Thread_local unsigned char pool[UUID_POOL];
	static _Thread_local size_t used = UUID_POOL;
	unsigned char *r;

	if (used == sizeof(pool) &&
	    getrandom(pool, sizeof(pool), 0) == (ssize_t)sizeof(pool))
		used = 0;
	if (used == sizeof(pool)) {
		/* getrandom does not fail on Linux once its pool is
		 * initialised; the clock rather than abort. */
		unsigned char t[16] = { 0 };
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(t, &ts, sizeof(ts) < sizeof(t) ? sizeof(ts) : sizeof(t));
		wsman_format_uuid(t, out);
		return;
	}
	r = pool + used;
	used += 16;
	wsman_format_uuid(r, out);
	memset(r, 0, 16);	/* each byte used once, and not kept */
}

static void enum_ctx_free(struct enum_ctx *c)
{
	if (!c)
		return;
	provider_cursor_free(c->cur);	/* before what it borrows */
	wql_query_free(c->q);
	for (size_t i = 0; i < c->nsel; i++) {
		free(c->sel[i].name);
		free(c->sel[i].value);
	}
	free(c->sel);
	for (size_t i = 0; i < c->nselect; i++)
		free(c->select[i]);
	free(c->select);
	free(c);
}

static void thread_parser_free(void *ps)
{
	wsman_parser_free(ps);
}

/* The calling thread's parser, made at its first request; NULL (a
 * context per parse) when it cannot be. */
static struct wsman_parser *thread_parser(struct wsman_ops *o)
{
	struct wsman_parser *ps;

	if (!o->parser_key_ok)
		return NULL;
	ps = pthread_getspecific(o->parser_key);
	if (!ps && (ps = wsman_parser_new()) &&
	    pthread_setspecific(o->parser_key, ps)) {
		wsman_parser_free(ps);
		ps = NULL;
	}
	return ps;
}

struct wsman_ops *wsman_ops_new(const struct wsman_ops_limits *limits)
{
	struct wsman_ops *o = calloc(1, sizeof(*o));
	if (!o)
		return NULL;
	o->lim = *limits;
	o->auth.schemes = AUTH_SCHEME_BASIC | AUTH_SCHEME_ANONYMOUS_IDENTIFY;
	o->log_401 = ratelimit_new(60000);
	o->log_nthash = ratelimit_new(60000);
	if (!o->log_401 || !o->log_nthash) {
		ratelimit_free(o->log_401);
		ratelimit_free(o->log_nthash);
		free(o);
		return NULL;
	}
	pthread_mutex_init(&o->ready_lock, NULL);
	pthread_cond_init(&o->neg_settled, NULL);
	if (!o->lim.max_contexts)
		o->lim.max_contexts = 1024;
	if (!o->lim.max_contexts_per_user ||
	    o->lim.max_contexts_per_user > o->lim.max_contexts)
		o->lim.max_contexts_per_user = o->lim.max_contexts;
	if (!o->lim.context_idle_s)
		o->lim.context_idle_s = 60;
	if (!o->lim.max_envelope)
		o->lim.max_envelope = 512000;
	pthread_mutex_init(&o->lock, NULL);
	o->parser_key_ok = pthread_key_create(&o->parser_key, thread_parser_free) == 0;
	return o;
}

void wsman_ops_free(struct wsman_ops *o)
{
	if (!o)
		return;
	/* What the rate limit held back is said once more, at the end. */
	for (size_t i = 0; i < o->nnotes; i++)
		if (o->notes[i].pending)
			log_warn("enumeration contexts: %u more of user %s's dropped "
				 "since the last line", o->notes[i].pending,
				 o->notes[i].user);
	free(o->notes);
	for (size_t i = 0; i < o->nctxs; i++)
		enum_ctx_free(o->ctxs[i]);
	free(o->ctxs);
	if (o->parser_key_ok) {
		/* The other threads' went with them (MHD's workers are
		 * joined before this); this thread's is still here. */
		wsman_parser_free(pthread_getspecific(o->parser_key));
		pthread_key_delete(o->parser_key);
	}
	pthread_mutex_destroy(&o->lock);
	pthread_mutex_destroy(&o->ready_lock);
	pthread_cond_destroy(&o->neg_settled);
	ratelimit_free(o->log_401);
	ratelimit_free(o->log_nthash);
	free(o);
}

void wsman_ops_set_ready(struct wsman_ops *o, const struct fixture *fx,
			 struct provider *p)
{
	pthread_mutex_lock(&o->ready_lock);
	o->p = p;
	o->auth.fx = fx;
	o->ready = true;
	pthread_mutex_unlock(&o->ready_lock);
}

void wsman_ops_negotiate_pending(struct wsman_ops *o)
{
	pthread_mutex_lock(&o->ready_lock);
	o->neg_pending = true;
	pthread_mutex_unlock(&o->ready_lock);
}

void wsman_ops_set_negotiate(struct wsman_ops *o, struct negotiate *neg,
			     bool allow_unencrypted)
{
	pthread_mutex_lock(&o->ready_lock);
	o->neg = neg;
	o->allow_unencrypted = allow_unencrypted;
	o->neg_pending = false;
	pthread_cond_broadcast(&o->neg_settled);
	pthread_mutex_unlock(&o->ready_lock);
}

/* The Negotiate acceptor, or NULL when sign-in is Basic only; waits
 * while it is being made. Every request calls this before it reads
 * o->neg or o->allow_unencrypted, which never change afterwards. */
static struct negotiate *negotiator(struct wsman_ops *o)
{
	struct negotiate *neg;

	pthread_mutex_lock(&o->ready_lock);
	while (o->neg_pending)
		pthread_cond_wait(&o->neg_settled, &o->ready_lock);
	neg = o->neg;
	pthread_mutex_unlock(&o->ready_lock);
	return neg;
}

static bool is_ready(struct wsman_ops *o)
{
	pthread_mutex_lock(&o->ready_lock);
	bool r = o->ready;
	pthread_mutex_unlock(&o->ready_lock);
	return r;
}

size_t wsman_ops_open_contexts(struct wsman_ops *o)
{
	pthread_mutex_lock(&o->lock);
	size_t n = o->nctxs;
	pthread_mutex_unlock(&o->lock);
	return n;
}

/* ---- faults ------------------------------------------------------------ */

static int send_fault(struct op_call *c, const struct wsman_fault *f)
{
	if (c->ans)
		c->ans->fault = wsman_subcode_qname(f->subcode);
	c->fault_code = f->code;
	snprintf(c->fault_reason, sizeof(c->fault_reason), "%s",
		 f->reason ? f->reason : "");
	buf_reset(c->out);
	wsman_reply_fault(c->out, f, c->msgid, c->req ? c->req->message_id : NULL,
			  provider_machine(c->o->p));
	return 500;
}

/* A provider HRESULT as the WMI error fault, with the provider's text. */
static int send_hresult(struct op_call *c, uint32_t hr, const char *msg)
{
	struct wsman_fault f;
	char scratch[128];
	wsman_fault_from_hresult(&f, hr, msg && *msg ? msg : NULL, scratch, sizeof(scratch));
	return send_fault(c, &f);
}

static int send_simple(struct op_call *c, enum wsman_subcode sub, uint32_t code,
		       const char *detail, const char *reason)
{
	struct wsman_fault f = {
		.subcode = sub, .code = code, .reason = reason, .detail = detail,
	};
	return send_fault(c, &f);
}

/* ---- refusals in the journal --------------------------------------------- */

static int64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* The class a resource URI names (its last segment), or NULL. */
static const char *uri_class(const char *uri)
{
	const char *slash = uri ? strrchr(uri, '/') : NULL;

	return slash && slash[1] ? slash + 1 : NULL;
}

/* A request refused before the provider answered it (or whose answer
 * the client never got) becomes a journal row of operation "request",
 * so that GET /_dpsim/journal?result=error says why a client failed
 * (docs/wsman-protocol.md, Refusals). refusal is the fault's subcode or
 * the HTTP status, why the reason the client was given. The row has no
 * site: the journal bounds such rows as one more site. */
static void journal_refusal(struct wsman_ops *o, const char *user,
			    const struct wsman_request *req, unsigned status,
			    const char *refusal, uint32_t code, const char *why,
			    int64_t latency_us)
{
	char status_text[8];

	if (!refusal) {
		snprintf(status_text, sizeof(status_text), "%u", status);
		refusal = status_text;
	}
	struct journal_entry e = {
		.user = user, .protocol = "wsman", .operation = "request",
		.class_name = req ? uri_class(req->resource_uri) : NULL,
		.method = req && req->op == WSMAN_OP_INVOKE ? req->method : NULL,
		.params = why, .old_mode = -1, .new_mode = -1, .hresult = code,
		.latency_us = latency_us, .http_status = status, .refusal = refusal,
	};

	/* A failure to write is logged by the store (rate-limited); the
	 * client's answer does not change for it. */
	(void)journal_record(provider_journal(o->p), &e);
}

/* ---- fault rules ------------------------------------------------------- */

/* The provider call of this request, set up for it. */
static struct provider_call *prov_call(struct op_call *c, const char *query)
{
	c->journaled = true;
	c->pc->who = c->who;
	c->pc->timeout_ms = c->req->operation_timeout_ms;
	c->pc->query = query;
	return c->pc;
}

/* The rules decided the answer: say how in c->ans. */
static int intercepted(struct op_call *c)
{
	const struct provider_call *pc = c->pc;

	if (pc->deferred) {
		c->ans->defer_ms = pc->wait_ms;
		c->ans->wait = pc->wait_on;
		return ST_INTERCEPTED;
	}
	switch (pc->effect) {
	case FAULT_DROP:
		c->ans->drop = true;
		return ST_INTERCEPTED;
	case FAULT_HTTP:
		buf_reset(c->out);
		buf_addf(c->out, "dpsim: HTTP %u injected by fault rule %lld\n",
			 pc->http_status, (long long)pc->rule_id);
		c->ans->content_type = "text/plain; charset=utf-8";
		return (int)pc->http_status;
	case FAULT_TIMEOUT:
	default:
		return send_simple(c, WSMAN_SUB_TIMED_OUT, WSMAN_CODE_TIMED_OUT,
				   NULL, "The WS-Management service cannot "
				   "complete the operation within the time "
				   "specified in OperationTimeout.");
	}
}

/* ---- helpers ----------------------------------------------------------- */

static int resolve(struct op_call *c, struct wsman_resource *res)
{
	struct wsman_fault f;
	if (!c->req->resource_uri)
		return send_simple(c, WSMAN_SUB_DESTINATION_UNREACHABLE,
				   WSMAN_CODE_INVALID_RESOURCE_URI,
				   WSMAN_DETAIL_INVALID_RESOURCE_URI,
				   "The request has no ResourceURI header.");
	if (wsman_resource_parse(c->req->resource_uri,
				 wsman_request_selector(c->req, "__cimnamespace"), res, &f))
		return send_fault(c, &f);
	return 0;
}

/* The class a request names, resolved once for the whole call. */
static const struct provider_class *find_class(struct op_call *c, const char *ns,
					       const char *cls, int *status)
{
	uint32_t hr = 0;
	char msg[384];
	const struct provider_class *k = provider_class(c->o->p, ns, cls, &hr);
	if (!k) {
		if (hr == WBEM_E_INVALID_NAMESPACE)
			snprintf(msg, sizeof(msg), "Namespace %s does not exist here.", ns);
		else
			snprintf(msg, sizeof(msg), "Class %s does not exist in namespace %s.",
				 cls, ns);
		*status = send_hresult(c, hr, msg);
	}
	return k;
}

static void class_uri(struct buf *b, enum wsman_uri_form form, const char *ns,
		      const char *cls)
{
	buf_reset(b);
	wsman_resource_class_uri(b, form, ns, cls);
}

/* Instances fetched from the cursor at a time: enough to fill most
 * envelopes in a few trips, few enough that a Pull holds little more
 * than the items it writes. */
#define FETCH_BATCH 64

/* Writes the next items of e until max items are written or the
 * envelope would pass max_env; *written says how many, *more whether
 * any remain. 0, or the provider's HRESULT with msg (nothing consumed
 * of the batch that failed). */
static uint32_t write_items(struct op_call *c, struct enum_ctx *e, uint32_t max,
			    size_t *written, bool *more, char *msg, size_t msgsize)
{
	struct buf uri;
	uint32_t hr = 0;
	bool stop = false;

	*written = 0;
	*more = false;
	buf_init(&uri, 0);
	while (!stop) {
		/* One past max: whether the enumeration ends here is part
		 * of this answer (EndOfSequence). */
		size_t want = (size_t)max - *written + 1, used = 0, got;
		struct instance_list l;

		if (want > FETCH_BATCH)
			want = FETCH_BATCH;
		hr = provider_cursor_fetch(c->o->p, e->cur, want, &l, msg, msgsize);
		if (hr)
			break;
		for (; used < l.count; used++) {
			const struct cim_instance *inst = l.items[used];
			const struct cim_class *k = cim_instance_class(inst);
			size_t before = buf_len(c->out);

			if (*written == max) {
				*more = stop = true;
				break;
			}
			class_uri(&uri, e->form, cim_class_namespace(k), cim_class_name(k));
			wsman_reply_item(c->out, e->mode, buf_ptr(&uri),
					 e->form == WSMAN_URI_DMTF ? e->ns : NULL, inst,
					 (const char *const *)e->select, e->nselect);
			if (buf_len(c->out) + ENVELOPE_OVERHEAD > c->max_env &&
			    !buf_error(c->out)) {
				buf_truncate(c->out, before);
				*more = stop = true;
				break;
			}
			(*written)++;
		}
		got = l.count;
		provider_cursor_consume(e->cur, used);
		instance_list_free(&l);
		if (got < want)
			stop = true;	/* the cursor is at its end */
	}
	buf_free(&uri);
	return hr;
}

static int envelope_too_small(struct op_call *c)
{
	char reason[200];

	/* The provider's row says the call ran; the client never saw its
	 * answer, which a row of its own says. */
	c->journaled = false;
	snprintf(reason, sizeof(reason), "The response would exceed the MaxEnvelopeSize "
		 "of %u bytes the request allows.", c->max_env);
	return send_simple(c, WSMAN_SUB_ENCODING_LIMIT, WSMAN_CODE_ENCODING_LIMIT,
			   WSMAN_DETAIL_MAX_ENVELOPE_SIZE, reason);
}

/* ---- Identify / Get ---------------------------------------------------- */

static int op_identify(struct op_call *c)
{
	wsman_reply_begin(c->out, NULL, NULL, NULL);
	wsman_reply_identify(c->out, c->who ? PRODUCT_VERSION : NULL);
	wsman_reply_end(c->out);
	return 200;
}

/* The selectors of a Get must name each key once and nothing else
 * (__cimnamespace aside). */
static int check_selectors(struct op_call *c, const struct cim_class *k,
			   struct provider_arg *keys, size_t *nkeys)
{
	char reason[384];
	*nkeys = 0;
	for (size_t i = 0; i < c->req->nselectors; i++) {
		const struct wsman_kv *s = &c->req->selectors[i];
		if (strcasecmp(s->name, "__cimnamespace") == 0)
			continue;
		int idx = cim_class_find_property(k, s->name);
		if (idx < 0 || !(cim_class_property(k, (size_t)idx)->flags & CIM_PROP_KEY)) {
			snprintf(reason, sizeof(reason), "Selector '%s' is not a key of %s.",
				 s->name, cim_class_name(k));
			return send_simple(c, WSMAN_SUB_INVALID_SELECTORS, WSMAN_CODE_INVALID_SELECTORS,
					   WSMAN_DETAIL_UNEXPECTED_SELECTORS, reason);
		}
		for (size_t j = 0; j < *nkeys; j++) {
			if (strcasecmp(keys[j].name, s->name) == 0) {
				snprintf(reason, sizeof(reason), "Selector '%s' is given twice.", s->name);
				return send_simple(c, WSMAN_SUB_INVALID_SELECTORS,
						   WSMAN_CODE_INVALID_SELECTORS,
						   WSMAN_DETAIL_DUPLICATE_SELECTORS, reason);
			}
		}
		keys[(*nkeys)++] = (struct provider_arg){ s->name, s->value };
	}
	if (*nkeys != cim_class_key_count(k)) {
		size_t used = (size_t)snprintf(reason, sizeof(reason),
					       "%s is identified by the selectors", cim_class_name(k));
		for (size_t i = 0; i < cim_class_property_count(k) && used < sizeof(reason); i++) {
			const struct cim_property *pr = cim_class_property(k, i);
			if (pr->flags & CIM_PROP_KEY)
				used += (size_t)snprintf(reason + used, sizeof(reason) - used,
							 " %s", pr->name);
		}
		if (used < sizeof(reason))
			snprintf(reason + used, sizeof(reason) - used, "; the request gave %zu.",
				 *nkeys);
		return send_simple(c, WSMAN_SUB_INVALID_SELECTORS, WSMAN_CODE_INVALID_SELECTORS,
				   WSMAN_DETAIL_INSUFFICIENT_SELECTORS, reason);
	}
	return 0;
}

/* The property a fragment names, checked against the class before the
 * provider is asked (MS-WSMV <66>: WinRM refuses what the instance's XML
 * does not hold). Names compare as XPath compares them, with case. */
static int fragment_property(struct op_call *c, const struct cim_class *k,
			     const struct wsman_fragment *fr, size_t *prop)
{
	char reason[640];
	int idx;

	if (fr->cls[0] != '\0' && strcmp(fr->cls, cim_class_name(k)) != 0) {
		snprintf(reason, sizeof(reason), "The fragment starts at the element %s; "
			 "the instance is %s.", fr->cls, cim_class_name(k));
		goto refused;
	}
	idx = cim_class_find_property(k, fr->prop);
	if (idx < 0) {
		snprintf(reason, sizeof(reason), "%s has no property %s.",
			 cim_class_name(k), fr->prop);
		goto refused;
	}
	if (strcmp(cim_class_property(k, (size_t)idx)->name, fr->prop) != 0) {
		snprintf(reason, sizeof(reason), "%s has no property %s; fragment names "
			 "are case-sensitive: %s.", cim_class_name(k), fr->prop,
			 cim_class_property(k, (size_t)idx)->name);
		goto refused;
	}
	*prop = (size_t)idx;
	return 0;
refused:
	return send_simple(c, WSMAN_SUB_FRAGMENT_FILTER, WSMAN_CODE_INVALID_FRAGMENT_PATH,
			   NULL, reason);
}

/* What the instance holds of the property: a position past its elements
 * selects nothing WinRM could answer (<66>), nor does text() across
 * several elements, whose texts would run together. */
static int fragment_selection(struct op_call *c, const struct cim_instance *inst,
			      size_t prop, const struct wsman_fragment *fr)
{
	const struct cim_value *v = cim_instance_get(inst, prop);
	size_t n = v == NULL || v->null ? 1 : v->count;	/* nil: one element */
	const char *name = cim_class_property(cim_instance_class(inst), prop)->name;
	char reason[640];

	if (fr->index > n)
		snprintf(reason, sizeof(reason), "%s[%u]: the instance holds %zu element%s "
			 "of %s.", name, fr->index, n, n == 1 ? "" : "s", name);
	else if (fr->text && !fr->index && n > 1)
		snprintf(reason, sizeof(reason), "%s/text(): %s holds %zu values; select "
			 "one with %s[n]/text().", name, name, n, name);
	else
		return 0;
	return send_simple(c, WSMAN_SUB_FRAGMENT_FILTER, WSMAN_CODE_INVALID_FRAGMENT_PATH,
			   NULL, reason);
}

static int op_get(struct op_call *c)
{
	struct wsman_fragment frag;
	struct wsman_fault f;
	char freason[512];
	size_t prop = 0;

	if (c->req->fragment &&
	    wsman_fragment_parse(c->req->fragment, c->req->fragment_dialect, &frag, &f,
				 freason, sizeof(freason)))
		return send_fault(c, &f);
	struct wsman_resource res;
	int st = resolve(c, &res);
	if (st)
		return st;
	const struct provider_class *pk = find_class(c, res.ns, res.cls, &st);
	if (!pk)
		return st;
	const struct cim_class *k = provider_class_cim(pk);
	if (c->req->fragment && (st = fragment_property(c, k, &frag, &prop)))
		return st;

	struct provider_arg *keys = calloc(c->req->nselectors + 1, sizeof(*keys));
	size_t nkeys;
	if (!keys)
		return send_hresult(c, WBEM_E_OUT_OF_MEMORY, NULL);
	st = check_selectors(c, k, keys, &nkeys);
	if (st) {
		free(keys);
		return st;
	}

	struct cim_instance *inst = NULL;
	char msg[384];
	uint32_t hr = provider_get(c->o->p, prov_call(c, NULL), pk, keys, nkeys,
				   &inst, msg, sizeof(msg));
	free(keys);
	if (provider_call_intercepted(c->pc))
		return intercepted(c);
	if (hr == WBEM_E_NOT_FOUND) {
		/* WinRM reports a Get whose keys match nothing as bad selectors;
		 * the WMI error underneath still carries the HRESULT. */
		char scratch[128];
		wsman_fault_from_hresult(&f, hr, msg, scratch, sizeof(scratch));
		f.subcode = WSMAN_SUB_INVALID_SELECTORS;
		f.detail = WSMAN_DETAIL_INVALID_VALUE;
		return send_fault(c, &f);
	}
	if (hr)
		return send_hresult(c, hr, msg);
	if (c->req->fragment && (st = fragment_selection(c, inst, prop, &frag))) {
		cim_instance_free(inst);
		return st;
	}

	struct buf uri;
	buf_init(&uri, 0);
	class_uri(&uri, res.form, res.ns, cim_class_name(k));
	if (c->req->fragment) {
		wsman_reply_begin_fragment(c->out, WSMAN_ACTION_GET_RESPONSE, c->msgid,
					   c->req->message_id, c->req->fragment);
		wsman_reply_fragment(c->out, buf_ptr(&uri), inst, prop, frag.index, frag.text);
	} else {
		wsman_reply_begin(c->out, WSMAN_ACTION_GET_RESPONSE, c->msgid,
				  c->req->message_id);
		wsman_reply_instance(c->out, buf_ptr(&uri), inst, NULL, 0);
	}
	wsman_reply_end(c->out);
	buf_free(&uri);
	cim_instance_free(inst);
	return 200;
}

/* ---- Enumerate / Pull / Release ---------------------------------------- */

/* A SelectorFilter: every selector names a property whose value must
 * equal (ignoring case) the selector's. The cursor's keep filter. */
static bool selector_keep(void *ctx, const struct cim_instance *inst)
{
	const struct enum_ctx *e = ctx;

	for (size_t j = 0; j < e->nsel; j++) {
		const char *v = cim_instance_text(inst, e->sel[j].name);
		const char *want = e->sel[j].value;

		if (!(v && want && strcasecmp(v, want) == 0))
			return false;
	}
	return true;
}

/* Copies the request's SelectorFilter into e, for selector_keep. 0 or
 * -ENOMEM. */
static int selector_copy(struct op_call *c, struct enum_ctx *e)
{
	const struct wsman_request *r = c->req;

	e->sel = calloc(r->nfilter_selectors + 1, sizeof(*e->sel));
	if (!e->sel)
		return -ENOMEM;
	for (size_t i = 0; i < r->nfilter_selectors; i++, e->nsel++) {
		const struct wsman_kv *kv = &r->filter_selectors[i];

		e->sel[i].name = strdup(kv->name);
		e->sel[i].value = kv->value ? strdup(kv->value) : NULL;
		if (!e->sel[i].name || (kv->value && !e->sel[i].value)) {
			e->nsel++;	/* freed with e */
			return -ENOMEM;
		}
	}
	return 0;
}

/* Every selector of a SelectorFilter must name a property of k. */
static int selector_check(struct op_call *c, const struct cim_class *k)
{
	const struct wsman_request *r = c->req;
	for (size_t i = 0; i < r->nfilter_selectors; i++) {
		if (cim_class_find_property(k, r->filter_selectors[i].name) < 0) {
			char reason[384];
			snprintf(reason, sizeof(reason), "SelectorFilter names '%s', which is not "
				 "a property of %s.", r->filter_selectors[i].name, cim_class_name(k));
			return send_simple(c, WSMAN_SUB_CANNOT_PROCESS_FILTER,
					   WSMAN_CODE_CANNOT_PROCESS_FILTER, NULL, reason);
		}
	}
	return 0;
}

static int wql_fault(struct op_call *c, const char *what, const struct wql_error *e)
{
	char reason[400];
	struct wsman_fault f;
	char scratch[128];
	snprintf(reason, sizeof(reason), "%s at position %zu: %s", what, e->pos, e->message);
	wsman_fault_from_hresult(&f, WBEM_E_INVALID_QUERY, reason, scratch, sizeof(scratch));
	f.subcode = WSMAN_SUB_CANNOT_PROCESS_FILTER;
	return send_fault(c, &f);
}

/* What an Enumerate asked, for the journal: the WQL text, or the
 * SelectorFilter's selectors. */
static const char *query_text(struct op_call *c, const struct wql_query *q)
{
	return q ? c->req->filter_text : NULL;
}

/* Opens the enumeration the request asks for: e's cursor, with the WQL
 * query it borrows. On a fault returns its HTTP status with the fault
 * written; else 0. */
static int run_enumeration(struct op_call *c, const struct wsman_resource *res,
			   struct enum_ctx *ec)
{
	const struct wsman_request *r = c->req;
	const char *cls = res->cls;
	struct wql_query *q = NULL;
	struct wql_error we;
	int st = 0;

	if (r->filter_dialect && strcasecmp(r->filter_dialect, WSMAN_DIALECT_WQL) == 0) {
		int e = wql_parse(r->filter_text ? r->filter_text : "", &q, &we);
		if (e == -ENOMEM)
			return send_hresult(c, WBEM_E_OUT_OF_MEMORY, NULL);
		if (e)
			return wql_fault(c, "WQL syntax error", &we);
		if (strcmp(res->cls, "*") && strcasecmp(res->cls, wql_query_class(q))) {
			char reason[600];
			snprintf(reason, sizeof(reason), "A WQL query must be sent to the "
				 "all-classes resource URI (.../%s/*) or to the URI of the class it "
				 "selects (%s), not to %s.", res->ns, wql_query_class(q), res->cls);
			wql_query_free(q);
			return send_simple(c, WSMAN_SUB_CANNOT_PROCESS_FILTER,
					   WSMAN_CODE_WMI_ENUM_WQL_URI, NULL, reason);
		}
		cls = wql_query_class(q);
	} else if (r->filter_dialect && strcasecmp(r->filter_dialect, WSMAN_DIALECT_SELECTOR) &&
		   strcmp(r->filter_dialect, "")) {
		char reason[600];
		snprintf(reason, sizeof(reason), "Filter dialect %s is not supported; use WQL "
			 "(%s) or SelectorFilter.", r->filter_dialect, WSMAN_DIALECT_WQL);
		return send_simple(c, WSMAN_SUB_FILTER_DIALECT_UNAVAILABLE,
				   WSMAN_CODE_FILTER_DIALECT_UNAVAILABLE, NULL, reason);
	} else if (strcmp(res->cls, "*") == 0) {
		return send_simple(c, WSMAN_SUB_DESTINATION_UNREACHABLE,
				   WSMAN_CODE_INVALID_RESOURCE_URI, WSMAN_DETAIL_INVALID_RESOURCE_URI,
				   "The all-classes resource URI (.../*) needs a WQL filter naming "
				   "the class to enumerate.");
	}

	const struct provider_class *pk = find_class(c, res->ns, cls, &st);
	if (!pk)
		goto out;
	const struct cim_class *k = provider_class_cim(pk);
	if (q && wql_query_check(q, k, &we)) {
		st = wql_fault(c, "WQL query cannot be processed", &we);
		goto out;
	}
	bool selectors = r->filter_dialect &&
			 strcasecmp(r->filter_dialect, WSMAN_DIALECT_SELECTOR) == 0;
	if (selectors && selector_copy(c, ec)) {
		st = send_hresult(c, WBEM_E_OUT_OF_MEMORY, NULL);
		goto out;
	}
	char msg[384];
	uint32_t hr = provider_cursor_open(c->o->p, prov_call(c, query_text(c, q)),
					   pk, q ? wql_query_where(q) : NULL,
					   selectors ? selector_keep : NULL, ec,
					   &ec->cur, msg, sizeof(msg));
	if (provider_call_intercepted(c->pc)) {
		st = intercepted(c);
		goto out;
	}
	if (hr) {
		st = send_hresult(c, hr, msg);
		goto out;
	}
	if (selectors)
		st = selector_check(c, k);
out:
	ec->q = q;	/* freed with e, after its cursor */
	return st;
}

/* Counts an eviction of user's context and logs it unless a line for
 * that user was written in the last minute; lock held. A note no longer
 * needed (nothing pending, logged long ago) is reused, so the table is
 * as long as the users evicted within a minute. */
static void note_eviction(struct wsman_ops *o, const char *user, bool total,
			  time_t now)
{
	struct evict_note *n = NULL, *spare = NULL;

	for (size_t i = 0; i < o->nnotes && !n; i++) {
		struct evict_note *c = &o->notes[i];

		if (strcasecmp(c->user, user) == 0)
			n = c;
		else if (!spare && !c->pending && now - c->logged >= EVICT_LOG_EVERY_S)
			spare = c;
	}
	if (!n && spare) {
		n = spare;
		memset(n, 0, sizeof(*n));
		snprintf(n->user, sizeof(n->user), "%s", user);
	}
	if (!n) {
		struct evict_note *t = realloc(o->notes, (o->nnotes + 1) * sizeof(*t));

		if (!t) {	/* the eviction happens; only its line is lost */
			log_warn("enumeration contexts: dropped one of user %s's", user);
			return;
		}
		o->notes = t;
		n = &o->notes[o->nnotes++];
		memset(n, 0, sizeof(*n));
		snprintf(n->user, sizeof(n->user), "%s", user);
	}
	n->pending++;
	if (n->logged && now - n->logged < EVICT_LOG_EVERY_S)
		return;
	log_warn("enumeration contexts: dropped %u of user %s's least recently "
		 "used since the last line (%s: --max-enumerations-per-user %u, "
		 "--max-enumerations %u); at most one line a minute per user",
		 n->pending, user, total ? "the total was full and the user held "
		 "the most" : "the user was at the cap", o->lim.max_contexts_per_user,
		 o->lim.max_contexts);
	n->pending = 0;
	n->logged = now;
}

/* Index of the least recently used context of user (any user when
 * NULL); -1 when there is none. Lock held. */
static ssize_t lru_of(struct wsman_ops *o, const char *user)
{
	ssize_t lru = -1;

	for (size_t i = 0; i < o->nctxs; i++) {
		if (user && strcasecmp(o->ctxs[i]->user, user) != 0)
			continue;
		if (lru < 0 || o->ctxs[i]->use_seq < o->ctxs[lru]->use_seq)
			lru = (ssize_t)i;
	}
	return lru;
}

static size_t count_of(struct wsman_ops *o, const char *user)
{
	size_t n = 0;

	for (size_t i = 0; i < o->nctxs; i++)
		n += strcasecmp(o->ctxs[i]->user, user) == 0;
	return n;
}

/* The user holding the most contexts; on a tie, the one whose least
 * recently used context is older. Into out (128 bytes); false when out
 * of memory. One pass, over the few users a lab has. Lock held,
 * nctxs > 0. */
static bool heaviest_user(struct wsman_ops *o, char *out)
{
	struct tally { const char *user; size_t n; uint64_t oldest; } *t;
	size_t nt = 0, best = 0;

	t = calloc(o->nctxs, sizeof(*t));
	if (!t)
		return false;
	for (size_t i = 0; i < o->nctxs; i++) {
		const struct enum_ctx *e = o->ctxs[i];
		size_t k = 0;

		while (k < nt && strcasecmp(t[k].user, e->user) != 0)
			k++;
		if (k == nt)
			t[nt++] = (struct tally){ e->user, 0, e->use_seq };
		t[k].n++;
		if (e->use_seq < t[k].oldest)
			t[k].oldest = e->use_seq;
	}
	for (size_t k = 1; k < nt; k++)
		if (t[k].n > t[best].n ||
		    (t[k].n == t[best].n && t[k].oldest < t[best].oldest))
			best = k;
	snprintf(out, 128, "%s", t[best].user);
	free(t);
	return true;
}

static void evict(struct wsman_ops *o, size_t i)
{
	enum_ctx_free(o->ctxs[i]);
	o->ctxs[i] = o->ctxs[--o->nctxs];
}

/* Makes room for one more context of user: drop expired ones, then,
 * per the caps (wsman_ops.h), the least recently used of user or of the
 * heaviest user, so clients that never Release cannot grow memory nor
 * take other users' contexts. Lock held. */
static void make_room(struct wsman_ops *o, const char *user, time_t now)
{
	size_t kept = 0;
	for (size_t i = 0; i < o->nctxs; i++) {
		if (now - o->ctxs[i]->last_used > (time_t)o->lim.context_idle_s)
			enum_ctx_free(o->ctxs[i]);
		else
			o->ctxs[kept++] = o->ctxs[i];
	}
	o->nctxs = kept;
	if (count_of(o, user) >= o->lim.max_contexts_per_user) {
		ssize_t lru = lru_of(o, user);

		if (lru >= 0) {
			evict(o, (size_t)lru);
			note_eviction(o, user, false, now);
		}
	}
	if (o->nctxs >= o->lim.max_contexts && o->nctxs) {
		char victim[128];
		bool found = heaviest_user(o, victim);
		/* Out of memory to tally: the oldest context of anyone, as
		 * before the per-user cap, rather than no room. */
		size_t i = (size_t)lru_of(o, found ? victim : NULL);

		snprintf(victim, sizeof(victim), "%s", o->ctxs[i]->user);
		evict(o, i);
		note_eviction(o, victim, true, now);
	}
}

static int ctx_add(struct wsman_ops *o, struct enum_ctx *e)
{
	time_t now = time(NULL);
	pthread_mutex_lock(&o->lock);
	make_room(o, e->user, now);
	struct enum_ctx **n = realloc(o->ctxs, (o->nctxs + 1) * sizeof(*n));
	if (!n) {
		pthread_mutex_unlock(&o->lock);
		return -ENOMEM;
	}
	o->ctxs = n;
	e->last_used = now;
	e->use_seq = ++o->use_seq;
	o->ctxs[o->nctxs++] = e;
	pthread_mutex_unlock(&o->lock);
	return 0;
}

/* Removes and returns the context named id if it belongs to user and has
 * not expired; the caller puts it back (ctx_add) if items remain. Taking
 * it out makes two concurrent Pulls of one context safe. */
static struct enum_ctx *ctx_take(struct wsman_ops *o, const char *id, const char *user)
{
	struct enum_ctx *found = NULL;
	time_t now = time(NULL);
	pthread_mutex_lock(&o->lock);
	for (size_t i = 0; i < o->nctxs; i++) {
		struct enum_ctx *e = o->ctxs[i];
		if (strcmp(e->id, id) != 0)
			continue;
		/* Another user's Pull must not cost the owner the context. */
		if (strcasecmp(e->user, user) != 0)
			break;
		o->ctxs[i] = o->ctxs[--o->nctxs];
		if (now - e->last_used <= (time_t)o->lim.context_idle_s)
			found = e;
		else
			enum_ctx_free(e);
		break;
	}
	pthread_mutex_unlock(&o->lock);
	return found;
}

static int bad_context(struct op_call *c)
{
	return send_simple(c, WSMAN_SUB_INVALID_ENUM_CONTEXT, WSMAN_CODE_INVALID_ENUM_CONTEXT,
			   NULL, "The enumeration context is not valid: it was never issued, "
			   "has been released, finished or expired.");
}

static struct enum_ctx *ctx_new(struct op_call *c, const struct wsman_resource *res)
{
	struct enum_ctx *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	new_uuid(e->id);
	snprintf(e->user, sizeof(e->user), "%s", c->who->user);
	e->mode = c->req->enum_mode;
	e->form = res->form;
	snprintf(e->ns, sizeof(e->ns), "%s", res->ns);
	return e;
}

/* The WQL query's property list, for the items written. 0 or -ENOMEM. */
static int ctx_select(struct enum_ctx *e)
{
	size_t ns = e->q ? wql_query_select_count(e->q) : 0;
	if (!ns)
		return 0;
	e->select = calloc(ns, sizeof(*e->select));
	if (!e->select)
		return -ENOMEM;
	for (size_t i = 0; i < ns; i++) {
		e->select[i] = strdup(wql_query_select(e->q)[i]);
		if (!e->select[i])
			return -ENOMEM;
		e->nselect++;
	}
	return 0;
}

static int op_enumerate(struct op_call *c)
{
	struct wsman_resource res;
	int st = resolve(c, &res);
	if (st)
		return st;
	struct enum_ctx *e = ctx_new(c, &res);
	if (!e)
		return send_hresult(c, WBEM_E_OUT_OF_MEMORY, NULL);
	st = run_enumeration(c, &res, e);
	if (st) {
		enum_ctx_free(e);
		return st;
	}
	if (ctx_select(e)) {
		enum_ctx_free(e);
		return send_hresult(c, WBEM_E_OUT_OF_MEMORY, NULL);
	}

	const bool opt = c->req->optimize;
	if (opt) {
		/* The context is only known to be needed after the items are
		 * written, so write them first into a separate buffer. */
		struct buf *saved = c->out, items;
		char msg[384];
		size_t n;
		bool more;
		buf_init(&items, 0);
		c->out = &items;
		uint32_t max = c->req->max_elements ? c->req->max_elements : 1;
		uint32_t hr = write_items(c, e, max, &n, &more, msg, sizeof(msg));
		c->out = saved;
		if (hr) {
			buf_free(&items);
			enum_ctx_free(e);
			return send_hresult(c, hr, msg);
		}
		if (n == 0 && more) {
			buf_free(&items);
			enum_ctx_free(e);
			return envelope_too_small(c);
		}
		wsman_reply_begin(c->out, WSMAN_ACTION_ENUMERATE_RESPONSE, c->msgid,
				  c->req->message_id);
		wsman_reply_enumerate_open(c->out, more ? e->id : NULL, true);
		buf_add(c->out, buf_ptr(&items), buf_len(&items));
		wsman_reply_enumerate_close(c->out, more ? e->id : NULL, true);
		buf_free(&items);
		if (!more) {
			enum_ctx_free(e);
			e = NULL;
		}
	} else {
		wsman_reply_begin(c->out, WSMAN_ACTION_ENUMERATE_RESPONSE, c->msgid,
				  c->req->message_id);
		wsman_reply_enumerate_open(c->out, e->id, false);
		wsman_reply_enumerate_close(c->out, e->id, false);
	}
	wsman_reply_end(c->out);
	if (e && ctx_add(c->o, e)) {
		enum_ctx_free(e);
		return send_hresult(c, WBEM_E_OUT_OF_MEMORY, NULL);
	}
	return 200;
}

static int op_pull(struct op_call *c)
{
	if (!c->req->context)
		return bad_context(c);
	struct enum_ctx *e = ctx_take(c->o, c->req->context, c->who->user);
	if (!e)
		return bad_context(c);

	struct buf *saved = c->out, items;
	char msg[384];
	size_t n;
	bool more;
	buf_init(&items, 0);
	c->out = &items;
	/* Counted against the whole envelope, which adds the header. */
	uint32_t max = c->req->max_elements ? c->req->max_elements : 1;
	uint32_t hr = write_items(c, e, max, &n, &more, msg, sizeof(msg));
	c->out = saved;
	if (hr) {
		/* The enumeration cannot go on (its site is gone): the
		 * context goes with it. */
		buf_free(&items);
		enum_ctx_free(e);
		return send_hresult(c, hr, msg);
	}
	if (n == 0 && more) {
		buf_free(&items);
		/* Keep the context: the client may retry with a larger envelope. */
		if (ctx_add(c->o, e))
			enum_ctx_free(e);
		return envelope_too_small(c);
	}
	wsman_reply_begin(c->out, WSMAN_ACTION_PULL_RESPONSE, c->msgid, c->req->message_id);
	wsman_reply_pull_open(c->out, more ? e->id : NULL);
	buf_add(c->out, buf_ptr(&items), buf_len(&items));
	wsman_reply_pull_close(c->out, more ? e->id : NULL);
	wsman_reply_end(c->out);
	buf_free(&items);
	if (!more)
		enum_ctx_free(e);
	else if (ctx_add(c->o, e)) {
		enum_ctx_free(e);
		return send_hresult(c, WBEM_E_OUT_OF_MEMORY, NULL);
	}
	return 200;
}

static int op_release(struct op_call *c)
{
	struct enum_ctx *e = c->req->context ?
		ctx_take(c->o, c->req->context, c->who->user) : NULL;
	if (!e)
		return bad_context(c);
	enum_ctx_free(e);
	wsman_reply_begin(c->out, WSMAN_ACTION_RELEASE_RESPONSE, c->msgid, c->req->message_id);
	wsman_reply_release(c->out);
	wsman_reply_end(c->out);
	return 200;
}

/* ---- Invoke ------------------------------------------------------------ */

static int op_invoke(struct op_call *c)
{
	struct wsman_resource res;
	int st = resolve(c, &res);
	if (st)
		return st;
	if (strcmp(res.cls, "*") == 0)
		return send_simple(c, WSMAN_SUB_DESTINATION_UNREACHABLE,
				   WSMAN_CODE_INVALID_RESOURCE_URI, WSMAN_DETAIL_INVALID_RESOURCE_URI,
				   "A method is invoked on a class URI, not the all-classes URI.");
	const struct provider_class *pk = find_class(c, res.ns, res.cls, &st);
	if (!pk)
		return st;
	const struct cim_class *k = provider_class_cim(pk);

	/* The parameters as the provider takes them: names and text. */
	struct provider_arg *params = calloc(c->req->nparams + 1, sizeof(*params));
	if (!params)
		return send_hresult(c, WBEM_E_OUT_OF_MEMORY, NULL);
	for (size_t i = 0; i < c->req->nparams; i++)
		params[i] = (struct provider_arg){ c->req->params[i].name,
						   c->req->params[i].value };
	struct provider_result out;
	char msg[1400];
	msg[0] = '\0';
	uint32_t hr = provider_invoke_result(c->o->p, prov_call(c, NULL), pk,
					     c->req->method, params, c->req->nparams,
					     &out, msg, sizeof(msg));
	free(params);
	if (provider_call_intercepted(c->pc))
		return intercepted(c);
	if (hr == WBEM_E_INVALID_METHOD) {
		/* WinRM files an unknown method under ActionNotSupported. */
		struct wsman_fault f;
		char scratch[128];
		wsman_fault_from_hresult(&f, hr, msg, scratch, sizeof(scratch));
		f.subcode = WSMAN_SUB_ACTION_NOT_SUPPORTED;
		return send_fault(c, &f);
	}
	if (hr) {
		/* A method of an SMS class fails in the SMS Provider, which adds
		 * an SMS_ExtendedStatus to the WMI error (docs/configmgr-domain.md,
		 * Errors). */
		struct wsman_fault f;
		char scratch[128], param[512];
		snprintf(param, sizeof(param), "%s.%s", cim_class_name(k), c->req->method);
		struct wsman_sms_status sms = {
			.description = msg, .error_code = hr, .operation = "ExecMethod",
			.parameter_info = param, .provider_name = "SMS Provider",
		};
		wsman_fault_from_hresult(&f, hr, msg, scratch, sizeof(scratch));
		if (strncasecmp(cim_class_name(k), "SMS_", 4) == 0)
			f.sms = &sms;
		return send_fault(c, &f);
	}

	struct buf action;
	buf_init(&action, 0);
	buf_adds(&action, c->req->action);
	buf_adds(&action, "Response");
	wsman_reply_begin(c->out, buf_ptr(&action), c->msgid, c->req->message_id);
	/* The method's out parameters, then ReturnValue as it declares it;
	 * a ReturnValue a rule gave an undeclared method stands alone. */
	if (out.output)
		wsman_reply_invoke_output(c->out, c->req->resource_uri,
					  c->req->method, out.output);
	else
		wsman_reply_invoke(c->out, c->req->resource_uri, c->req->method,
				   out.return_value, NULL, 0);
	wsman_reply_end(c->out);
	buf_free(&action);
	provider_result_clear(&out);
	return 200;
}

int wsman_ops_fault(struct wsman_ops *o, enum wsman_subcode sub, uint32_t code,
		    const char *detail, const char *reason, struct buf *out)
{
	struct op_call c = { .o = o, .out = out };
	new_uuid(c.msgid);
	return send_simple(&c, sub, code, detail, reason);
}

/* ---- dispatch ---------------------------------------------------------- */

/* ---- the request's encoding --------------------------------------------- */

enum body_encoding { BODY_UTF8, BODY_UTF16LE, BODY_UTF16BE };

/* The encoding a body is in, found as the parser finds it: a byte-order
 * mark, or the first "<" as one UTF-16 unit. */
static enum body_encoding body_encoding(const char *body, size_t len)
{
	const unsigned char *b = (const unsigned char *)body;

	if (len < 2)
		return BODY_UTF8;
	if ((b[0] == 0xFF && b[1] == 0xFE) || (b[0] == '<' && b[1] == 0))
		return BODY_UTF16LE;
	if ((b[0] == 0xFE && b[1] == 0xFF) || (b[0] == 0 && b[1] == '<'))
		return BODY_UTF16BE;
	return BODY_UTF8;
}

/* Re-encodes the UTF-8 envelope in out as UTF-16 in the byte order enc,
 * with a byte-order mark. 0, or -errno (out unchanged). */
static int answer_in_utf16(struct buf *out, enum body_encoding enc)
{
	iconv_t cd = iconv_open(enc == BODY_UTF16BE ? "UTF-16BE" : "UTF-16LE", "UTF-8");
	size_t inlen = buf_len(out), cap = 2 + 2 * inlen + 4, left = cap - 2;
	char *res, *o, *in = (char *)buf_ptr(out);
	int r = 0;

	if (cd == (iconv_t)-1)
		return -errno;
	res = malloc(cap);
	if (!res) {
		iconv_close(cd);
		return -ENOMEM;
	}
	res[0] = enc == BODY_UTF16BE ? (char)0xFE : (char)0xFF;
	res[1] = enc == BODY_UTF16BE ? (char)0xFF : (char)0xFE;
	o = res + 2;
	if (iconv(cd, &in, &inlen, &o, &left) == (size_t)-1)
		r = -errno;
	iconv_close(cd);
	if (!r) {
		buf_reset(out);
		if (buf_add(out, res, (size_t)(o - res)))
			r = -ENOMEM;
	}
	free(res);
	return r;
}

/* The request in a few words, for the transport's debug line. */
static void trace_request(const struct wsman_request *req, const struct caller *who,
			  struct wsman_ops_answer *ans)
{
	static const char *const ops[] = {
		[WSMAN_OP_IDENTIFY] = "Identify", [WSMAN_OP_GET] = "Get",
		[WSMAN_OP_ENUMERATE] = "Enumerate", [WSMAN_OP_PULL] = "Pull",
		[WSMAN_OP_RELEASE] = "Release", [WSMAN_OP_INVOKE] = "Invoke",
		[WSMAN_OP_OTHER] = "unsupported action",
	};
	const char *res = req ? uri_class(req->resource_uri) : NULL;
	const char *op = req && (unsigned)req->op < sizeof(ops) / sizeof(ops[0]) &&
			 ops[req->op] ? ops[req->op] : "unparsed envelope";

	snprintf(ans->trace, sizeof(ans->trace), "%s%s%s%s%s as %s%s%s", op,
		 res ? " " : "", res ? res : "",
		 req && req->op == WSMAN_OP_INVOKE && req->method ? "." : "",
		 req && req->op == WSMAN_OP_INVOKE && req->method ? req->method : "",
		 who ? who->user : "anonymous", ans->fault ? ", fault " : "",
		 ans->fault ? ans->fault : "");
}

/* wsman_ops_serve; keep, when not NULL, carries the parsed request
 * across a deferral: an answer deferred leaves it there, and the call
 * made again takes it instead of parsing the same body once more (a
 * change waiting for its commit would parse every envelope twice). */
static int serve_kept(struct wsman_ops *o, const struct caller *who,
		      const char *body, size_t len, struct buf *out,
		      struct provider_call *call, struct wsman_request **keep,
		      struct wsman_ops_answer *ans);

int wsman_ops_serve(struct wsman_ops *o, const struct caller *who,
		    const char *body, size_t len, struct buf *out,
		    struct provider_call *call, struct wsman_ops_answer *ans)
{
	return serve_kept(o, who, body, len, out, call, NULL, ans);
}

static int serve_kept(struct wsman_ops *o, const struct caller *who,
		      const char *body, size_t len, struct buf *out,
		      struct provider_call *call, struct wsman_request **keep,
		      struct wsman_ops_answer *ans)
{
	struct provider_call local = { 0 };
	struct op_call c = { .o = o, .who = who, .out = out, .ans = ans,
			     .pc = call ? call : &local };
	struct wsman_request *req = NULL;
	struct wsman_fault f;
	char reason[512];
	int64_t start_us = mono_us();
	const char *why_401 = NULL;
	int st;

	memset(ans, 0, sizeof(*ans));
	c.pc->can_defer = call != NULL;
	new_uuid(c.msgid);
	enum body_encoding enc = body_encoding(body, len);
	int r = 0;

	if (keep && *keep) {	/* parsed whole the first time */
		req = *keep;
		*keep = NULL;
	} else {
		r = wsman_request_parse_with(thread_parser(o), body, len, 0, &req,
					     &f, reason, sizeof(reason));
	}
	c.req = req;
	/* MS-WSMV 3.1.4.1.7: the service's own limit caps the client's. */
	c.max_env = req && req->max_envelope_size &&
		    req->max_envelope_size < o->lim.max_envelope ?
		    req->max_envelope_size : o->lim.max_envelope;
	/* A UTF-16 answer takes two bytes for each of the envelope's ASCII
	 * ones, and no more for anything else: half the limit in UTF-8
	 * keeps it within the limit once re-encoded. */
	if (enc != BODY_UTF8)
		c.max_env /= 2;
	if (r == -ENOMEM) {
		st = send_hresult(&c, WBEM_E_OUT_OF_MEMORY, NULL);
		goto done;
	}
	if (r) {
		/* The trace of the refusal; the client sees the same reason
		 * only when it signed in (below). */
		log_info("request refused before dispatch (%s, %zu bytes): %s",
			  who ? who->user : "anonymous", len,
			  f.reason ? f.reason : "(no reason)");
		/* An anonymous caller learns nothing but that it must log in,
		 * unless it was trying to Identify. */
		st = who || (req && req->op == WSMAN_OP_IDENTIFY) ? send_fault(&c, &f) : 401;
		why_401 = f.reason;
		goto done;
	}
	if (!who && req->op != WSMAN_OP_IDENTIFY) {
		st = 401;
		why_401 = "an anonymous request (WSMANIDENTIFY: unauthenticated) "
			  "may only Identify";
		goto done;
	}
	/* MS-WSMV 3.1.4.1.7: WinRM refuses a MaxEnvelopeSize below 8192. */
	if (req->max_envelope_size && req->max_envelope_size < MIN_ENVELOPE) {
		snprintf(reason, sizeof(reason), "MaxEnvelopeSize %u is below the minimum of "
			 "%u bytes.", req->max_envelope_size, MIN_ENVELOPE);
		st = send_simple(&c, WSMAN_SUB_ENCODING_LIMIT, WSMAN_CODE_ENCODING_LIMIT,
				 WSMAN_DETAIL_MINIMUM_ENVELOPE_LIMIT, reason);
		goto done;
	}

	/* MS-WSMV 3.1.4.1.18: WinRM transfers fragments with Get (and Put,
	 * which dpsim does not serve) only. */
	if (req->fragment && (req->op == WSMAN_OP_ENUMERATE || req->op == WSMAN_OP_PULL ||
			      req->op == WSMAN_OP_RELEASE || req->op == WSMAN_OP_INVOKE)) {
		st = send_simple(&c, WSMAN_SUB_UNSUPPORTED_FEATURE,
				 WSMAN_CODE_FRAGMENT_NOT_SUPPORTED,
				 WSMAN_DETAIL_FRAGMENT_LEVEL_ACCESS,
				 "Fragment transfer (w:FragmentTransfer) is served for "
				 "Get only.");
		goto done;
	}

	switch (req->op) {
	case WSMAN_OP_IDENTIFY: st = op_identify(&c); break;
	case WSMAN_OP_GET: st = op_get(&c); break;
	case WSMAN_OP_ENUMERATE: st = op_enumerate(&c); break;
	case WSMAN_OP_PULL: st = op_pull(&c); break;
	case WSMAN_OP_RELEASE: st = op_release(&c); break;
	case WSMAN_OP_INVOKE: st = op_invoke(&c); break;
	default:
		snprintf(reason, sizeof(reason), "Action %s is not supported by dpsim.",
			 req->action ? req->action : "(none)");
		st = send_simple(&c, WSMAN_SUB_ACTION_NOT_SUPPORTED, WSMAN_CODE_INVALID_ACTIONURI,
				 NULL, reason);
		break;
	}
	if (st == ST_INTERCEPTED) {
		buf_reset(out);
		st = 0;
		goto out;
	}
	if (st == 200 && buf_len(out) > c.max_env)
		st = envelope_too_small(&c);
done:
	if (st == 401)
		buf_reset(out);
	else if (buf_error(out)) {
		log_error("response could not be built (%s)", strerror(-buf_error(out)));
		buf_reset(out);
		ans->content_type = NULL;
		st = send_hresult(&c, WBEM_E_OUT_OF_MEMORY, NULL);
	}
	if (st != 401 && !ans->content_type) {
		ans->content_type = WSMAN_SOAP_CONTENT_TYPE;
		/* Answered in the request's encoding: a client decodes the
		 * answer as it encoded the request. */
		if (enc != BODY_UTF8) {
			int e = answer_in_utf16(out, enc);
			if (e) {
				log_error("the answer could not be encoded as UTF-16 (%s)",
					  strerror(-e));
				buf_reset(out);
				st = send_hresult(&c, WBEM_E_OUT_OF_MEMORY, NULL);
			} else {
				ans->content_type = WSMAN_SOAP_CONTENT_TYPE_UTF16;
			}
		}
	}
	if (st != 200 && !c.journaled)
		journal_refusal(o, who ? who->user : NULL, req, (unsigned)st,
				st == 401 ? "401" : ans->fault,
				st == 401 ? 0 : c.fault_code,
				st == 401 ? why_401 : c.fault_reason,
				mono_us() - start_us);
out:
	ans->status = st;
	/* Only the transport's debug line reads it. */
	if (log_threshold >= LOG_DEBUG)
		trace_request(req, who, ans);
	if (keep && r == 0 && (ans->defer_ms || ans->wait))
		*keep = req;
	else
		wsman_request_free(req);
	return st;
}

int wsman_ops_handle(struct wsman_ops *o, const struct caller *who,
		     const char *body, size_t len, struct buf *out)
{
	struct wsman_ops_answer ans;

	return wsman_ops_serve(o, who, body, len, out, NULL, &ans);
}

/* ---- the front end ------------------------------------------------------ */

/* One request, from admit() to release(). */
struct wsman_req {
	struct caller who;
	bool anonymous;
	struct provider_call call;	/* kept across a deferral */
	/* Signed in with Negotiate: the connection's context (borrowed
	 * from its slot), and the last token of the handshake for the
	 * answer (SPNEGO's), if any. */
	struct negotiate_ctx *nctx;
	char *reply_token;
	bool sealed;			/* the body is sealed: so is the answer */
	bool unsealed;			/* plain holds it (kept across a deferral) */
	struct buf plain;
	char plain_type[128];
	struct wsman_request *parsed;	/* too (serve_kept) */
};

static bool wsman_owns(void *self, const char *path)
{
	return strcasecmp(path, "/wsman") == 0 || strcasecmp(path, "/wsman/") == 0;
}

/* A text answer (status, printf-style). */
static void text_answer(struct front_answer *ans, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void text_answer(struct front_answer *ans, int status, const char *fmt, ...)
{
	va_list ap;
	char *t = NULL;

	va_start(ap, fmt);
	int n = vasprintf(&t, fmt, ap);
	va_end(ap);
	*ans = (struct front_answer){ .status = status,
				      .content_type = "text/plain; charset=utf-8" };
	if (n >= 0) {
		ans->body = t;
		ans->len = (size_t)n;
	} else {
		ans->status = 500;
	}
}

/* A whole fault envelope as the answer. */
static void fault_answer(struct wsman_ops *o, struct front_answer *ans,
			 enum wsman_subcode sub, uint32_t code, const char *detail,
			 const char *reason)
{
	struct buf b;
	size_t len;

	buf_init(&b, 0);
	int status = wsman_ops_fault(o, sub, code, detail, reason, &b);
	*ans = (struct front_answer){ .status = status,
				      .content_type = WSMAN_SOAP_CONTENT_TYPE, .as_is = true };
	ans->body = buf_take(&b, &len);
	ans->len = ans->body ? len : 0;
	buf_free(&b);
}

/* Content-Type rules of docs/wsman-protocol.md (HTTP framing): SOAP or
 * text/xml, charset UTF-8 (any case) or UTF-16. 0 when fine, 415 for a wrong
 * media type, or -1 for an unreadable charset. */
static int check_content_type(const char *ct)
{
	if (!ct)
		return 415;
	if (strncasecmp(ct, WSMAN_SOAP_MEDIA_TYPE, strlen(WSMAN_SOAP_MEDIA_TYPE)) &&
	    strncasecmp(ct, "text/xml", 8))
		return 415;
	const char *cs = strcasestr(ct, "charset=");
	if (!cs)
		return 0;
	cs += 8;
	if (*cs == '"')
		cs++;
	if (!strncasecmp(cs, "utf-8", 5) || !strncasecmp(cs, "utf8", 4) ||
	    !strncasecmp(cs, "utf-16", 6))
		return 0;
	return -1;
}

/* The trace of a 401: who was tried (never the password), in the debug
 * line of the request and, at most once a minute, at info, so a user
 * finds out why a script is refused. A client that starts every
 * connection without credentials (as an NTLM client will) is not a
 * problem worth more than that. */
static void refused_credentials(struct wsman_ops *o, const struct front_request *rq,
				enum auth_outcome who, struct front_answer *ans)
{
	char name[128] = "";
	uint64_t skipped;
	char note[RATELIMIT_NOTE];

	auth_refusal_reason(who, rq->authorization, name, sizeof(name),
			    ans->trace, sizeof(ans->trace));
	if (ratelimit_pass_now(o->log_401, &skipped))
		log_info("refused a WS-Man request from %s: %s (401)%s",
			 rq->peer ? rq->peer : "?", ans->trace,
			 ratelimit_note(skipped, note));
	/* Credentials that did not fit are journaled; a request without
	 * any is the first step of every challenge-response client (and
	 * what a prober sends), traced in the log only. */
	if (who != AUTH_NO_CREDENTIALS)
		journal_refusal(o, name[0] ? name : NULL, NULL, 401, "401", 0,
				ans->trace, 0);
}

/* The 401 of WinRM with both schemes on: two WWW-Authenticate headers,
 * Negotiate first. */
static void unauthorized(struct wsman_ops *o, struct front_answer *ans)
{
	*ans = (struct front_answer){ .status = 401,
				      .challenge = "Basic realm=\"WSMAN\"" };
	if (negotiator(o))
		ans->auth_token = strdup("Negotiate");
}

/* A sealed body that cannot be read: WinRM answers 400 with no body and
 * closes the connection; the request is journaled and logged. */
static void refuse_sealing(struct wsman_ops *o, const struct front_request *rq,
			   struct front_answer *ans, const char *user, const char *why)
{
	*ans = (struct front_answer){ .status = 400, .close = true };
	snprintf(ans->trace, sizeof(ans->trace), "%s", why);
	log_warn("refused a WS-Man request from %s (user %s): %s (400)",
		 rq->peer ? rq->peer : "?", user ? user : "anonymous", why);
	journal_refusal(o, user, NULL, 400, "400", 0, why, 0);
}

/* One Negotiate step in admit(). True when signed in (*nctx, *reply);
 * false with the answer (401) in *ans. */
static bool negotiate_step(struct wsman_ops *o, const struct front_request *rq,
			   struct front_answer *ans, bool *drain,
			   struct negotiate_ctx **nctx, char **reply)
{
	struct front_conn_slot *slot = rq->conn;
	char name[128], why[512];
	uint64_t skipped;
	char note[RATELIMIT_NOTE];

	*drain = true;
	if (!slot) {
		/* The context must outlive the request: no slot, no sign-in. */
		unauthorized(o, ans);
		snprintf(ans->trace, sizeof(ans->trace), "Negotiate without a "
			 "connection to keep its context on");
		return false;
	}
	struct negotiate_ctx *c = slot->value;
	enum negotiate_step st = negotiate_accept(o->neg, &c, rq->authorization, reply,
						  name, sizeof(name), why, sizeof(why));
	slot->value = c;
	slot->release = negotiate_ctx_free;
	switch (st) {
	case NEGOTIATE_CONTINUE:
		*ans = (struct front_answer){ .status = 401, .auth_token = *reply };
		*reply = NULL;
		snprintf(ans->trace, sizeof(ans->trace), "%s challenge%s%s",
			 negotiate_kind(c), name[0] ? " for " : "", name);
		return false;
	case NEGOTIATE_NO_SECRET:
		/* A fixture mistake, not a prober: its own line, at warn. */
		if (ratelimit_pass_now(o->log_nthash, &skipped))
			log_warn("refused a WS-Man request from %s: %s (401)%s",
				 rq->peer ? rq->peer : "?", why, ratelimit_note(skipped, note));
		unauthorized(o, ans);
		snprintf(ans->trace, sizeof(ans->trace), "%s", why);
		journal_refusal(o, name[0] ? name : NULL, NULL, 401, "401", 0, why, 0);
		return false;
	case NEGOTIATE_REFUSED:
		unauthorized(o, ans);
		snprintf(ans->trace, sizeof(ans->trace), "%s", why);
		if (ratelimit_pass_now(o->log_401, &skipped))
			log_info("refused a WS-Man request from %s: %s (401)%s",
				 rq->peer ? rq->peer : "?", why, ratelimit_note(skipped, note));
		journal_refusal(o, name[0] ? name : NULL, NULL, 401, "401", 0, why, 0);
		return false;
	case NEGOTIATE_DONE:
		break;
	}
	log_debug("%s signed in %s from %s", negotiate_kind(c), name,
		  rq->peer ? rq->peer : "?");
	*nctx = c;
	return true;
}

/* From the headers alone: who is asking (before any of the body is read
 * or parsed), the method, the media type. */
static void *wsman_admit(void *self, const struct front_request *rq,
			 struct front_answer *ans, bool *drain)
{
	struct wsman_ops *o = self;
	const struct fixture_user *u;

	if (!is_ready(o)) {
		text_answer(ans, 503, "dpsim: starting; try again once it says it is ready\n");
		return NULL;
	}
	if (strcmp(rq->method, "POST")) {
		text_answer(ans, 405, "dpsim: /wsman takes POST with a SOAP envelope\n");
		ans->allow = "POST";
		return NULL;
	}
	struct negotiate_ctx *nctx = NULL;
	char *reply = NULL;
	enum auth_outcome who;
	/* Basic need not wait for the acceptor (negotiator). */
	struct negotiate *neg = !rq->authorization ||
					negotiate_is_negotiate(rq->authorization)
				? negotiator(o) : NULL;

	if (neg && negotiate_is_negotiate(rq->authorization)) {
		if (!negotiate_step(o, rq, ans, drain, &nctx, &reply))
			return NULL;
		u = negotiate_user(nctx);
		who = AUTH_USER;
	} else if (neg && !rq->authorization && rq->conn &&
		   negotiate_user(rq->conn->value)) {
		/* Signed in earlier on this connection. */
		nctx = rq->conn->value;
		u = negotiate_user(nctx);
		who = AUTH_USER;
	} else {
		who = auth_identify(&o->auth, rq, &u);
	}
	if (!auth_admitted(who)) {
		/* WinRM's 401 has no body. The client retries with
		 * credentials, on this connection if the body is read. */
		unauthorized(o, ans);
		*drain = true;
		refused_credentials(o, rq, who, ans);
		return NULL;
	}
	const char *user = u ? u->name : NULL;
	bool sealed = rq->content_type &&
		      !strncasecmp(rq->content_type, "multipart/encrypted", 19);
	if (nctx) {
		/* What WinRM does with a Negotiate session: the body sealed
		 * over HTTP (AllowUnencrypted=false), either way over HTTPS;
		 * an empty POST is how pywinrm and pypsrp finish signing in
		 * and is answered 200 with nothing. */
		const char *cl = front_header(rq, "Content-Length");
		bool empty = cl ? !strcmp(cl, "0")
				: !front_header(rq, "Transfer-Encoding");
		if (empty) {
			*ans = (struct front_answer){ .status = 200, .auth_token = reply };
			snprintf(ans->trace, sizeof(ans->trace), "%s sign-in of %s done",
				 negotiate_kind(nctx), user);
			*drain = true;
			return NULL;
		}
		if (sealed && !negotiate_can_seal(nctx)) {
			free(reply);
			refuse_sealing(o, rq, ans, user, "the body is sealed but the client "
				       "did not agree to sealing when it signed in");
			return NULL;
		}
		if (!sealed && !strcmp(rq->scheme, "http") && !o->allow_unencrypted) {
			free(reply);
			unauthorized(o, ans);
			snprintf(ans->trace, sizeof(ans->trace), "user %s signed in with "
				 "%s over HTTP but sent the body unencrypted (WinRM's "
				 "AllowUnencrypted=false; start dpsim with "
				 "--allow-unencrypted to take it)", user,
				 negotiate_kind(nctx));
			log_warn("refused a WS-Man request from %s: %s", rq->peer ? rq->peer : "?",
				 ans->trace);
			journal_refusal(o, user, NULL, 401, "401", 0, ans->trace, 0);
			*drain = true;
			return NULL;
		}
	} else if (sealed) {
		refuse_sealing(o, rq, ans, user, "the body is sealed but no Negotiate "
			       "sign-in on this connection set up a key");
		return NULL;
	}
	int ctr = sealed ? 0 : check_content_type(rq->content_type);
	if (ctr) {
		free(reply);
		reply = NULL;
	}
	if (ctr == 415) {
		text_answer(ans, 415, "dpsim: Content-Type '%s' is not " WSMAN_SOAP_MEDIA_TYPE "\n",
			    rq->content_type ? rq->content_type : "(none)");
		snprintf(ans->trace, sizeof(ans->trace), "media type '%s' refused",
			 rq->content_type ? rq->content_type : "(none)");
		journal_refusal(o, user, NULL, 415, "415", 0, ans->trace, 0);
		return NULL;
	}
	if (ctr < 0) {
		static const char why[] = "Only UTF-8 and UTF-16 request bodies are "
					  "supported.";

		fault_answer(o, ans, WSMAN_SUB_ENCODING_LIMIT, WSMAN_CODE_ENCODING_LIMIT,
			     WSMAN_DETAIL_CHARACTER_SET, why);
		snprintf(ans->trace, sizeof(ans->trace), "charset of '%s' refused, fault %s",
			 rq->content_type, wsman_subcode_qname(WSMAN_SUB_ENCODING_LIMIT));
		journal_refusal(o, user, NULL, (unsigned)ans->status,
				wsman_subcode_qname(WSMAN_SUB_ENCODING_LIMIT),
				WSMAN_CODE_ENCODING_LIMIT, why, 0);
		return NULL;
	}
	struct wsman_req *r = calloc(1, sizeof(*r));
	if (!r) {
		free(reply);
		text_answer(ans, 500, "dpsim: out of memory\n");
		return NULL;
	}
	r->anonymous = who == AUTH_ANONYMOUS;
	r->nctx = nctx;
	r->reply_token = reply;
	r->sealed = sealed;
	buf_init(&r->plain, 0);
	if (u)
		r->who = (struct caller){ .account = u, .user = u->name, .role = u->role,
					  .protocol = "wsman" };
	return r;
}

/* The sealed body of r, unsealed into r->plain once (a deferred request
 * is served again: its key has moved on since). False with the answer
 * in *ans when it does not unseal or its type is not one WS-Man takes;
 * nothing is executed then. */
static bool unseal_request(struct wsman_ops *o, struct wsman_req *r,
			   const struct front_request *rq, struct front_answer *ans)
{
	enum sealed_error fe = SEALED_OK;
	char why[300];

	if (r->unsealed)
		return true;
	enum seal_error e = unseal_body(negotiate_gss(r->nctx), rq->content_type, rq->body,
					rq->len, &r->plain, r->plain_type,
					sizeof(r->plain_type), &fe);
	if (e != SEAL_OK) {
		snprintf(why, sizeof(why), "sealed body refused: %s%s%s", seal_strerror(e),
			 e == SEAL_E_FRAMING ? ": " : "",
			 e == SEAL_E_FRAMING ? sealed_strerror(fe) : "");
		refuse_sealing(o, rq, ans, r->who.user, why);
		return false;
	}
	int ctr = check_content_type(r->plain_type);
	if (ctr) {
		snprintf(why, sizeof(why), "sealed body refused: its type '%s' is not "
			 WSMAN_SOAP_MEDIA_TYPE " in UTF-8 or UTF-16", r->plain_type);
		refuse_sealing(o, rq, ans, r->who.user, why);
		return false;
	}
	r->unsealed = true;
	return true;
}

/* Seals the answer in *ans with the request's context, as the request
 * came (MS-WSMV 2.2.9.1). */
static void seal_answer(struct wsman_req *r, struct front_answer *ans)
{
	struct buf b;
	size_t len;

	buf_init(&b, 0);
	enum seal_error e = seal_body(negotiate_gss(r->nctx),
				      ans->content_type ? ans->content_type
							: "text/plain; charset=utf-8",
				      ans->body, ans->len, &b);
	free(ans->body);
	ans->body = NULL;
	ans->len = 0;
	if (e != SEAL_OK) {
		log_error("the answer could not be sealed: %s", seal_strerror(e));
		buf_free(&b);
		text_answer(ans, 500, "dpsim: the answer could not be sealed\n");
		return;
	}
	ans->body = buf_take(&b, &len);
	ans->len = ans->body ? len : 0;
	ans->content_type = SEALED_CONTENT_TYPE;
	ans->as_is = true;
	buf_free(&b);
	if (!ans->body)
		text_answer(ans, 500, "dpsim: out of memory\n");
}

static void wsman_serve(void *self, void *state, const struct front_request *rq,
			struct front_answer *ans)
{
	struct wsman_ops *o = self;
	struct wsman_req *r = state;
	struct wsman_ops_answer wa;
	struct buf out;
	size_t len;

	const char *body = rq->body;
	size_t blen = rq->len;

	if (r->sealed && !unseal_request(o, r, rq, ans))
		return;
	if (r->sealed) {
		body = (const char *)buf_ptr(&r->plain);
		blen = buf_len(&r->plain);
	}
	buf_init(&out, 0);
	serve_kept(o, r->anonymous ? NULL : &r->who, body, blen, &out,
		   &r->call, &r->parsed, &wa);
	*ans = (struct front_answer){ .status = wa.status, .content_type = wa.content_type,
				      .drop = wa.drop, .defer_ms = wa.defer_ms,
				      .wait = wa.wait };
	_Static_assert(sizeof(ans->trace) == sizeof(wa.trace), "one trace size");
	memcpy(ans->trace, wa.trace, sizeof(ans->trace));
	if (wa.status == 401) {
		unauthorized(o, ans);
		memcpy(ans->trace, wa.trace, sizeof(ans->trace));
	} else if (!wa.drop && !wa.defer_ms && !wa.wait) {
		ans->body = buf_take(&out, &len);
		ans->len = ans->body ? len : 0;
		ans->as_is = wa.content_type && (!strcmp(wa.content_type, WSMAN_SOAP_CONTENT_TYPE) ||
				!strcmp(wa.content_type, WSMAN_SOAP_CONTENT_TYPE_UTF16));
		if (!ans->body)
			text_answer(ans, 500, "dpsim: out of memory\n");
		else if (r->sealed)
			seal_answer(r, ans);
	}
	/* The handshake's last token goes with the answer, unless the
	 * answer is a 401 with a challenge of its own. */
	if (!wa.defer_ms && !wa.wait && !ans->auth_token) {
		ans->auth_token = r->reply_token;
		r->reply_token = NULL;
	}
	buf_free(&out);
}

static void wsman_too_large(void *self, void *state, size_t limit,
			    struct front_answer *ans)
{
	struct wsman_req *r = state;
	const char *sub = wsman_subcode_qname(WSMAN_SUB_ENCODING_LIMIT);
	char reason[160];

	snprintf(reason, sizeof(reason), "The request body exceeds the limit of %zu "
		 "bytes.", limit);
	fault_answer(self, ans, WSMAN_SUB_ENCODING_LIMIT, WSMAN_CODE_ENCODING_LIMIT,
		     WSMAN_DETAIL_SERVICE_ENVELOPE_LIMIT, reason);
	snprintf(ans->trace, sizeof(ans->trace), "body over %zu bytes, fault %s",
		 limit, sub);
	journal_refusal(self, r->anonymous ? NULL : r->who.user, NULL,
			(unsigned)ans->status, sub, WSMAN_CODE_ENCODING_LIMIT, reason, 0);
}

static void wsman_release(void *self, void *state)
{
	struct wsman_ops *o = self;
	struct wsman_req *r = state;

	if (!r)
		return;
	if (o->p)
		provider_call_end(o->p, &r->call);
	wsman_request_free(r->parsed);
	free(r->reply_token);
	buf_free(&r->plain);
	free(r);
}

const struct front *wsman_ops_front(struct wsman_ops *o)
{
	o->front = (struct front){
		.name = "wsman", .browser_facing = false, .self = o,
		.owns = wsman_owns, .admit = wsman_admit, .serve = wsman_serve,
		.too_large = wsman_too_large, .release = wsman_release,
	};
	return &o->front;
}
