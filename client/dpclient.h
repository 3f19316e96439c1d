/* libdpclient: put Configuration Manager distribution points into and out
 * of maintenance mode over WS-Management or the AdminService (REST),
 * against dpsim or a real SMS Provider.
 *
 * The model is the one real scripts use (docs/configmgr-domain.md, What
 * real scripts send): find the
 * site code (SMS_ProviderLocation, else __Namespace under root/sms), find
 * the DP in SMS_DistributionPointInfo with a WQL query, read its
 * MaintenanceMode, call the static method
 * SMS_DistributionPointInfo.SetDPMaintenanceMode(NALPath, Mode).
 *
 * Conventions
 *  - Every call returns an enum dpc_code (DPC_OK = 0) and, when err is not
 *    NULL, fills *err: on success it is cleared, on failure it says what
 *    happened (code, HRESULT and its name, the provider's message, HTTP
 *    status, libcurl's message, SMS_ExtendedStatus fields). struct
 *    dpc_error holds no pointers to free: it is a plain value.
 *  - Result structs (struct dpc_dp, struct dpc_instance, ...) are filled by
 *    the library, owned by the caller afterwards and released with their
 *    _clear / _free function. On failure they are left empty (all zero), so
 *    clearing them is always safe.
 *  - Strings passed in are copied or used only during the call.
 *  - Retries are a property of each call. A failure where nothing ran
 *    (connection refused, HTTP 503) is retried for every call, up to
 *    dpc_options.retries times. After a w:TimedOut fault the provider may
 *    have run the request: it is retried only for idempotent calls, the
 *    reads (Identify, discovery, queries, Get, GetChainedPullDPs: every
 *    call but dpc_invoke of another method) and SetDPMaintenanceMode,
 *    whose second run sets the mode it already has. Over the AdminService
 *    an HTTP 504 (a gateway's, or dpsim's timeout effect) counts as
 *    w:TimedOut. Any other method of dpc_invoke is sent once, on a connection of
 *    its own so that libcurl does not silently send it again when a
 *    reused connection closes without an answer; the caller gets
 *    DPC_E_TRANSPORT and cannot know whether the method ran. A connection
 *    lost after the request went out, a timeout of the HTTP request
 *    itself and a provider's answer are retried for no call.
 *  - A struct dpc_client is not thread-safe; use one per thread. The library
 *    has no global state of its own: the program calls dpc_global_init()
 *    once before any other thread exists (it calls curl_global_init() and
 *    xmlInitParser()), and dpc_global_cleanup() at exit.
 */
#ifndef DPCLIENT_H
#define DPCLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* DPC_VERSION: the library's version as a string ("1.2.3"), generated
 * from the project version in meson.build. */
#include "dpc_version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ----------------------------------------------------------- */

enum dpc_code {
	DPC_OK = 0,
	DPC_E_USAGE,	 /* a bad argument or option (nothing was sent) */
	DPC_E_NOMEM,	 /* out of memory */
	DPC_E_TRANSPORT, /* no usable HTTP answer: refused, unreachable,
			  * TLS, timeout, an unexpected HTTP status, a
			  * 503 still there after the retries, or
			  * w:TimedOut (retried only by idempotent calls) */
	DPC_E_AUTH,	 /* HTTP 401 or 403: wrong credentials or scheme
			  * (AdminService: a 403 with the provider's
			  * HRESULT is DPC_E_PROVIDER) */
	DPC_E_PROTOCOL,	 /* an answer that is not the expected WS-Man (or
			  * OData) */
	DPC_E_PROVIDER,	 /* the provider said no: a SOAP fault, an OData
			  * error, or a method's non-zero ReturnValue */
	DPC_E_NOT_FOUND, /* a lookup (DP, site) found nothing, or found
			  * more than one DP for a short name */
};

/* One sentence for code, e.g. "the provider refused the request". Never
 * NULL; static storage. */
const char *dpc_strerror(enum dpc_code code);
/* The enumerator's name, "DPC_E_PROVIDER"; static storage. */
const char *dpc_code_name(enum dpc_code code);

#define DPC_MSG_SIZE 512

/* SMS_ExtendedStatus (or WMI's __ExtendedStatus) from a fault. */
struct dpc_sms_status {
	bool present;
	char class_name[32];		/* "SMS_ExtendedStatus" */
	uint32_t error_code;		/* ErrorCode (0 when absent) */
	bool has_status_code;
	uint32_t status_code;		/* StatusCode */
	char description[DPC_MSG_SIZE];
	char operation[64];
	char parameter_info[DPC_MSG_SIZE];
	char provider_name[64];
};

struct dpc_error {
	enum dpc_code code;
	/* The HRESULT: a fault's MSFT_WmiError error_Code, else its
	 * f:WSManFault Code; an OData error's innererror.hresult; or the
	 * non-zero ReturnValue. 0 when none. */
	uint32_t hresult;
	/* "WBEM_E_NOT_FOUND", "ERROR_WSMAN_INVALID_SELECTORS", ...; static
	 * storage, NULL when the code is not in the table. */
	const char *hresult_name;
	/* What went wrong in words: the provider's message (MSFT_WmiError
	 * Message, else the fault reason; an OData error's
	 * innererror.message, else its message), the table's text for a
	 * ReturnValue, or the library's own description. Never empty after a
	 * failure. */
	char message[DPC_MSG_SIZE];
	bool from_return_value;	/* DPC_E_PROVIDER: ReturnValue, not a fault */
	char subcode[64];	/* fault subcode as sent ("w:InternalError");
				 * WS-Man only */
	uint32_t cim_status;	/* MSFT_WmiError CIMStatusCode, 0 when none */
	long http_status;	/* last HTTP status, 0 when there was none */
	char transport[256];	/* libcurl's message, "" when none */
	unsigned attempts;	/* requests sent for the failing call */
	struct dpc_sms_status sms;
};

/* "WBEM_E_NOT_FOUND (0x80041002): Object cannot be found." -- the HRESULT
 * part only when there is one ("0x80041002" alone when it has no name),
 * else the fault subcode ("w:InvalidSelectors: ...") when there is one.
 * Always NUL-terminated. Returns out. */
char *dpc_error_format(const struct dpc_error *err, char *out, size_t size);

/* ---- library and client ----------------------------------------------- */

/* ---- protocols ---------------------------------------------------------
 *
 * A client speaks one of two protocols, and every call below works over
 * both with the same results and the same errors (HRESULT, message, code):
 *   - WS-Management to WinRM (http[s]://host:5985|5986/wsman), the way
 *     PowerShell's CIM cmdlets do;
 *   - the AdminService's WMI route, OData JSON over HTTPS
 *     (https://host/AdminService): GET /wmi/<Class>?$filter=... for reads,
 *     GET /wmi/<Class>(keys) for dpc_get_dp, POST /wmi/<Class>.<Method>
 *     with the parameters as a JSON object for methods.
 * dpc_client_new picks the protocol from the endpoint (DPC_PROTOCOL_AUTO):
 * an endpoint whose path ends in /AdminService or /AdminService/ (in any
 * case) is the AdminService, anything else WS-Man. Each call sends the
 * same provider calls in the same order over both, so a journal of them
 * reads the same. Where the AdminService differs (Identify, WQL, the
 * namespace, timeouts), the call's comment says how. */

enum dpc_protocol {
	DPC_PROTOCOL_AUTO = 0,		/* from the endpoint, as above */
	DPC_PROTOCOL_WSMAN,
	DPC_PROTOCOL_ADMINSERVICE,
};

/* "auto", "wsman", "adminservice" (any case) -> *out. DPC_OK or
 * DPC_E_USAGE. */
enum dpc_code dpc_protocol_parse(const char *name, enum dpc_protocol *out);
/* "auto", "wsman", "adminservice"; static storage. */
const char *dpc_protocol_name(enum dpc_protocol protocol);
/* The protocol DPC_PROTOCOL_AUTO picks for endpoint (NULL: the default
 * endpoint, WS-Man): DPC_PROTOCOL_ADMINSERVICE or DPC_PROTOCOL_WSMAN. */
enum dpc_protocol dpc_protocol_of_endpoint(const char *endpoint);

/* Process-wide set-up of libcurl and libxml2; call once, before threads.
 * Returns DPC_OK or DPC_E_TRANSPORT if libcurl cannot initialise. */
enum dpc_code dpc_global_init(void);
/* The reverse, at exit, after every client is freed. It calls
 * xmlCleanupParser(): do not call it while the program still uses
 * libxml2 elsewhere. */
void dpc_global_cleanup(void);

enum dpc_auth {
	DPC_AUTH_BASIC,		/* sent with the first request */
	DPC_AUTH_NTLM,		/* over https://, libcurl's; over http:// to
				 * WS-Man, libdpclient's own exchange with
				 * every body sealed (MS-WSMV 2.2.9.1), which
				 * a real WinRM wants there: user as
				 * DOMAIN\user, user@domain or user */
	DPC_AUTH_NEGOTIATE,	/* SPNEGO/Kerberos from the caller's ticket
				 * cache (no user; libcurl's, not sealed: a
				 * real WinRM wants HTTPS for it). With a
				 * user over http:// to WS-Man: NTLM sealed,
				 * as DPC_AUTH_NTLM (what Windows' Negotiate
				 * falls back to outside a domain) */
};

/* "basic", "ntlm", "negotiate" (any case) -> *out. DPC_OK or DPC_E_USAGE. */
enum dpc_code dpc_auth_parse(const char *name, enum dpc_auth *out);
/* "basic", "ntlm", "negotiate"; static storage. */
const char *dpc_auth_name(enum dpc_auth auth);

typedef void (*dpc_trace_fn)(void *data, bool outgoing, long http_status,
			     const char *body, size_t len);

struct dpc_options {
	const char *endpoint;		/* http[s]://host:port/wsman, or
					 * https://host/AdminService (see
					 * "protocols"); NULL:
					 * http://127.0.0.1:5985/wsman */
	const char *user;		/* NULL: no credentials */
	const char *password;		/* NULL: "" */
	enum dpc_auth auth;		/* default DPC_AUTH_BASIC */
	const char *ca_file;		/* PEM bundle for HTTPS; NULL: system */
	bool insecure;			/* skip TLS verification (labs only) */
	unsigned connect_timeout_ms;	/* default 5000 */
	unsigned operation_timeout_ms;	/* default 60000: sent as the
					 * w:OperationTimeout; the HTTP
					 * timeout is this plus 5 s. The
					 * AdminService has no such header:
					 * there it is the HTTP timeout */
	const char *site_code;		/* NULL: discovered on first need */
	unsigned retries;		/* extra attempts after a transient
					 * failure (refused, 503; w:TimedOut
					 * for idempotent calls only: see
					 * "Retries" above); default 2 */
	unsigned retry_delay_ms;	/* first back-off, doubled per retry,
					 * capped at 5 s; default 200 */
	dpc_trace_fn trace;		/* if set, sees every request and
					 * response body (debugging) */
	void *trace_data;
};

/* Fills o with the defaults above. */
void dpc_options_init(struct dpc_options *o);

struct dpc_client;

/* Creates a client; every string in o is copied. The libcurl handle is
 * created here and reused by every call, so calls share a connection.
 * Errors: DPC_E_USAGE (endpoint not http:// or https://, site code longer
 * than 8), DPC_E_NOMEM. On success *out is owned by the caller
 * (dpc_client_free); on failure it is NULL. */
enum dpc_code dpc_client_new(const struct dpc_options *o,
			     struct dpc_client **out, struct dpc_error *err);
void dpc_client_free(struct dpc_client *c);

/* dpc_client_new with the protocol given rather than read from the
 * endpoint. DPC_PROTOCOL_WSMAN uses the endpoint as it is.
 * DPC_PROTOCOL_ADMINSERVICE keeps its scheme, host and port and, unless
 * its path already ends in /AdminService, replaces the path with
 * /AdminService (so a .../wsman endpoint will do); NULL is
 * http://127.0.0.1:5985/AdminService. Errors as dpc_client_new, and
 * DPC_E_USAGE for a protocol that is not one of the enum. */
enum dpc_code dpc_client_new_protocol(const struct dpc_options *o,
				      enum dpc_protocol protocol,
				      struct dpc_client **out,
				      struct dpc_error *err);

/* The protocol c speaks: DPC_PROTOCOL_WSMAN or DPC_PROTOCOL_ADMINSERVICE. */
enum dpc_protocol dpc_client_protocol(const struct dpc_client *c);

/* Called before each HTTP request of c with its method ("POST", "GET")
 * and URL, for a debugging trace: dpc_options.trace then sees the body
 * (empty for a GET). fn NULL stops it. The strings live for the call. */
typedef void (*dpc_request_trace_fn)(void *data, const char *method,
				     const char *url);
void dpc_client_set_request_trace(struct dpc_client *c,
				  dpc_request_trace_fn fn, void *data);

/* The site code in use: the configured one or the one discovered so far;
 * NULL when neither. Owned by c, valid until the next call on c. */
const char *dpc_client_site(const struct dpc_client *c);

/* ---- results ---------------------------------------------------------- */

/* One property as text (see wsman/cim.h for the text forms). */
struct dpc_property {
	char *name;
	char **values;		/* nvalues items; more than one: an array */
	size_t nvalues;
	bool null;		/* xsi:nil */
};

struct dpc_instance {
	char *class_name;	/* "SMS_DistributionPointInfo" */
	struct dpc_property *props;
	size_t nprops;
};

struct dpc_instance_list {
	struct dpc_instance *items;
	size_t count;
};

/* Frees what the struct holds and zeroes it (the struct itself is the
 * caller's). NULL is allowed. */
void dpc_instance_clear(struct dpc_instance *inst);
void dpc_instance_list_clear(struct dpc_instance_list *list);
/* First value of property name (case-insensitive), or NULL when absent,
 * null or empty. Borrowed from inst. */
const char *dpc_instance_text(const struct dpc_instance *inst,
			      const char *name);

struct dpc_dp {
	char *name;		/* SMS_DistributionPointInfo.Name, the FQDN */
	char *nal_path;		/* the key SetDPMaintenanceMode takes */
	char *site_code;
	char *resource_type;	/* "Windows NT Server" */
	int maintenance_mode;	/* 0, 1, or -1 when absent / not 0 or 1 */
};

struct dpc_dp_list {
	struct dpc_dp *items;
	size_t count;
};

void dpc_dp_clear(struct dpc_dp *dp);
void dpc_dp_list_clear(struct dpc_dp_list *list);

/* A list of strings the library filled (dpc_chained_pull_dps). */
struct dpc_string_list {
	char **items;		/* count malloc'd strings; NULL when empty */
	size_t count;
};

/* Frees every string and the array, and zeroes the struct (the struct
 * itself is the caller's). NULL is allowed. */
void dpc_string_list_clear(struct dpc_string_list *list);

struct dpc_identity {
	char *protocol_version;	/* NULL when the server left it out */
	char *product_vendor;
	char *product_version;	/* WinRM omits it for anonymous callers */
};

void dpc_identity_clear(struct dpc_identity *id);

/* ---- calls ------------------------------------------------------------ */

/* WS-Man Identify. Errors: transport/auth/protocol codes.
 * AdminService: a GET of the service document (/AdminService/wmi/), which
 * needs credentials; protocol_version is "OData " and the OData-Version
 * the service sends, else "OData 4.0" (the answer's @odata.context is
 * OData 4's); product_vendor and product_version are NULL. */
enum dpc_code dpc_identify(struct dpc_client *c, struct dpc_identity *out,
			   struct dpc_error *err);

/* Asks the provider for its site code, ignoring any configured one:
 * SMS_ProviderLocation in root/sms (the ProviderForLocalSite one, else the
 * first), and when that fails with a fault or is empty, the site_XXX child
 * of root/sms (__Namespace). On success site (size >= 9) holds the code,
 * and c uses it from now on if it had none. DPC_E_NOT_FOUND when neither
 * source names a site. The AdminService serves no system class: there
 * SMS_ProviderLocation alone. */
enum dpc_code dpc_discover_site(struct dpc_client *c, char *site,
				size_t size, struct dpc_error *err);

/* Every SMS_DistributionPointInfo of the site, in the provider's order.
 * Pulls until EndOfSequence (AdminService: follows @odata.nextLink).
 * *out is the caller's (dpc_dp_list_clear).
 *
 * The AdminService answers from its own site's namespace, whatever the
 * client's site code: each instance read must say __NAMESPACE
 * root\sms\site_<site>, else the call is DPC_E_NOT_FOUND (a wrong
 * site_code; WS-Man's provider says WBEM_E_INVALID_NAMESPACE). This holds
 * for every read below, dpc_query with its namespace too. */
enum dpc_code dpc_list_dps(struct dpc_client *c, struct dpc_dp_list *out,
			   struct dpc_error *err);

/* Finds one DP by spec, the way scripts do it:
 *   - a NAL path (starts with ["Display=): NALPath = '<spec>';
 *   - otherwise Name = '<spec>' (a leading \\ and trailing \ are
 *     stripped, as from a NetworkOSPath), and when that finds nothing and
 *     spec has no dot, Name LIKE '<spec>.%'.
 * Literals are WQL-escaped. DPC_E_NOT_FOUND when nothing matches, or when
 * the short name matches several DPs (err->message lists them).
 * AdminService: $filter NALPath eq '...', Name eq '...', then
 * startswith(Name,'<spec>.'). */
enum dpc_code dpc_find_dp(struct dpc_client *c, const char *spec,
			  struct dpc_dp *out, struct dpc_error *err);

/* dpc_find_dp, then its MaintenanceMode into *mode (0 or 1).
 * DPC_E_PROTOCOL when the instance has no readable MaintenanceMode. */
enum dpc_code dpc_get_mode(struct dpc_client *c, const char *spec,
			   unsigned *mode, struct dpc_error *err);

/* Reads the DP again by its key (NALPath, ResourceType and SiteCode of
 * key, all required: else DPC_E_USAGE) with one WS-Transfer Get in the
 * site's namespace: what a poll should use once dpc_find_dp has found the
 * DP, instead of a WQL query each time. DPC_E_NOT_FOUND when no instance
 * has that key any more (WBEM_E_NOT_FOUND, which WinRM sends as a
 * w:InvalidSelectors fault; err keeps the fault's details): look it up
 * again with dpc_find_dp. *out is the caller's (dpc_dp_clear); key and
 * out may not be the same struct. AdminService: GET
 * SMS_DistributionPointInfo(NALPath='...',ResourceType='...',SiteCode='...'),
 * whose 404 with WBEM_E_NOT_FOUND is DPC_E_NOT_FOUND the same way. */
enum dpc_code dpc_get_dp(struct dpc_client *c, const struct dpc_dp *key,
			 struct dpc_dp *out, struct dpc_error *err);

/* SMS_DistributionPointInfo.SetDPMaintenanceMode(nal_path, mode), static,
 * WMI-form URI. mode must be 0 or 1 (else DPC_E_USAGE). A fault, or a
 * non-zero ReturnValue (err->hresult = it, err->from_return_value), is
 * DPC_E_PROVIDER. Idempotent: retried after w:TimedOut (see "Retries"). */
enum dpc_code dpc_set_mode(struct dpc_client *c, const char *nal_path,
			   unsigned mode, struct dpc_error *err);

/* SMS_DistributionPointInfo.GetChainedPullDPs(source_nal_path), static,
 * WMI-form URI: the NAL paths of the pull DPs that copy content from the
 * DP, directly or through other pull DPs, in the provider's order (dpsim:
 * breadth first). On DPC_OK *out holds them, owned by the caller
 * (dpc_string_list_clear); count 0 when no pull DP copies from it. A
 * fault (WBEM_E_NOT_FOUND for a NAL path that is not a DP of the site),
 * or a non-zero ReturnValue (err->hresult = it, err->from_return_value;
 * the method returns a sint32, whose negative value is its uint32 bit
 * pattern here), is DPC_E_PROVIDER, and *out is empty. A read, so
 * retried after w:TimedOut (see "Retries"). */
enum dpc_code dpc_chained_pull_dps(struct dpc_client *c,
				   const char *source_nal_path,
				   struct dpc_string_list *out,
				   struct dpc_error *err);

/* Runs WQL in namespace ns ("root/sms/site_PS1" or with backslashes;
 * NULL: the site's namespace) through a WQL Enumerate on the all-classes
 * URI, pulling until the end. *out is the caller's.
 *
 * AdminService: the route takes no WQL. The library reads
 * SELECT * | props FROM Class [WHERE condition] itself (client/dpc_wql.h
 * lists the forms: comparisons, IS NULL, LIKE with '%' at either end,
 * AND/OR/NOT), GETs the class with the condition as $filter, and keeps
 * of each instance the selected properties and its keys, as WMI answers
 * such a SELECT (a name that is no property: DPC_E_NOT_FOUND). WQL it
 * cannot translate is DPC_E_USAGE before anything is sent, the message
 * saying where and why. The instances must come from ns (see
 * dpc_list_dps). */
enum dpc_code dpc_query(struct dpc_client *c, const char *ns, const char *wql,
			struct dpc_instance_list *out, struct dpc_error *err);

enum dpc_param_type { DPC_PARAM_STRING, DPC_PARAM_UINT32, DPC_PARAM_NULL };

struct dpc_param {
	const char *name;
	enum dpc_param_type type;
	const char *str;	/* DPC_PARAM_STRING */
	uint32_t u32;		/* DPC_PARAM_UINT32 */
};

/* Invokes static method of class cls in namespace ns (NULL: the site's)
 * with params in order. On DPC_OK or a non-zero ReturnValue, out (if not
 * NULL) receives the _OUTPUT element (out parameters and ReturnValue) and
 * *return_value (if not NULL) the ReturnValue (0 when the method has
 * none). A non-zero ReturnValue is DPC_E_PROVIDER, as in dpc_set_mode.
 * Method and parameter names must be plain XML names (DPC_E_USAGE).
 * Not retried once the provider may have run it (see "Retries"), except
 * SMS_DistributionPointInfo.SetDPMaintenanceMode and GetChainedPullDPs,
 * which are idempotent whichever call sends them.
 * AdminService: POST <Class>.<Method> with the parameters as a JSON
 * object (a string, a number, null), the answer's top-level members as
 * out (class "<method>_OUTPUT", as WinRM names it). The route names no
 * namespace: ns is not sent (NULL still discovers the site first, so
 * both protocols make the same calls). Class and method names are plain
 * names there too. */
enum dpc_code dpc_invoke(struct dpc_client *c, const char *ns,
			 const char *cls, const char *method,
			 const struct dpc_param *params, size_t nparams,
			 struct dpc_instance *out, uint32_t *return_value,
			 struct dpc_error *err);

/* ---- dpsim's control API ------------------------------------------------
 *
 * dpsim (not a real SMS Provider) has a JSON control plane under /_dpsim/
 * for test suites: fault rules, the journal of calls, reset, snapshots,
 * sites. These calls talk to it; their own handle keeps its own
 * connection. Replies are dpsim's JSON text, documented in the README's
 * "Control API" section; the typed helpers read the one number that
 * matters. Errors: a 2xx is DPC_OK; otherwise err->http_status holds the
 * status, err->message dpsim's {"error"} sentence, and the code is
 * DPC_E_USAGE (400, 405, 413, 415: the request was wrong), DPC_E_AUTH
 * (401, 403: --admin-token), DPC_E_NOT_FOUND (404), DPC_E_PROVIDER (409),
 * DPC_E_TRANSPORT (no answer, 503) or DPC_E_PROTOCOL (anything else). */

struct dpc_sim;

struct dpc_sim_options {
	const char *endpoint;		/* dpsim's URL; only scheme, host and
					 * port count, so the /wsman endpoint
					 * will do. NULL: http://127.0.0.1:5985 */
	const char *admin_token;	/* sent as Authorization: Bearer;
					 * NULL: none */
	const char *ca_file;
	bool insecure;
	unsigned timeout_ms;		/* per request; default 30000 */
};

void dpc_sim_options_init(struct dpc_sim_options *o);
/* Strings in o are copied. DPC_E_USAGE (not an http(s) URL), DPC_E_NOMEM. */
enum dpc_code dpc_sim_new(const struct dpc_sim_options *o, struct dpc_sim **out,
			  struct dpc_error *err);
void dpc_sim_free(struct dpc_sim *s);

/* Any control request: method ("GET", "POST", "PUT", "DELETE"), path
 * under /_dpsim/ with its query already escaped ("journal/count?method=X",
 * see dpc_url_escape), an optional body of content_type (NULL:
 * application/json). On DPC_OK, *reply (if reply is not NULL) is the
 * answer's body, malloc'd: free() it. *status (if not NULL) gets the HTTP
 * status in any case (0 without an answer). */
enum dpc_code dpc_sim_request(struct dpc_sim *s, const char *method,
			      const char *path, const char *content_type,
			      const char *body, size_t len, long *status,
			      char **reply, struct dpc_error *err);

/* GET health: *ready is true on 200, false on 503 (starting or stopping;
 * still DPC_OK). */
enum dpc_code dpc_sim_health(struct dpc_sim *s, bool *ready,
			     struct dpc_error *err);
/* Polls health (every 50 ms, growing to 500 ms) until ready, for at most
 * timeout_ms; refused connections count as not yet. DPC_E_TRANSPORT
 * when time runs out. */
enum dpc_code dpc_sim_wait_ready(struct dpc_sim *s, unsigned timeout_ms,
				 struct dpc_error *err);
/* POST reset, of one site (NULL: everything). */
enum dpc_code dpc_sim_reset(struct dpc_sim *s, const char *site,
			    struct dpc_error *err);
/* POST faults[?site=]: rule_json is one rule object; *id (if not NULL)
 * gets the id dpsim gave it. */
enum dpc_code dpc_sim_fault_add(struct dpc_sim *s, const char *site,
				const char *rule_json, int64_t *id,
				struct dpc_error *err);
/* DELETE faults/ID, or (id 0) DELETE faults[?site=]. */
enum dpc_code dpc_sim_fault_clear(struct dpc_sim *s, const char *site,
				  int64_t id, struct dpc_error *err);
/* GET journal/count?query (query: escaped filters such as
 * "method=SetDPMaintenanceMode&site=PS1", or NULL). */
enum dpc_code dpc_sim_journal_count(struct dpc_sim *s, const char *query,
				    int64_t *count, struct dpc_error *err);
enum dpc_code dpc_sim_snapshot_save(struct dpc_sim *s, const char *name,
				    struct dpc_error *err);
enum dpc_code dpc_sim_snapshot_restore(struct dpc_sim *s, const char *name,
				       struct dpc_error *err);
/* POST sites[?code=]: adds the sites of a fixture document (XML). */
enum dpc_code dpc_sim_site_add(struct dpc_sim *s, const char *code,
			       const char *xml, size_t len,
			       struct dpc_error *err);
enum dpc_code dpc_sim_site_remove(struct dpc_sim *s, const char *code,
				  struct dpc_error *err);

/* s %-escaped for a URL query value (malloc'd; NULL when out of
 * memory). */
char *dpc_url_escape(const char *s);

/* ---- helpers ---------------------------------------------------------- */

/* s as a WQL string literal: in single quotes, with \ ' and " escaped by a
 * backslash (docs/configmgr-domain.md, NAL paths). malloc'd (free it);
 * NULL on
 * allocation failure. */
char *dpc_wql_quote(const char *s);

#ifdef __cplusplus
}
#endif

#endif
