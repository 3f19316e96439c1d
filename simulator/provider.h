/* provider: the SMS Provider dpsim pretends to be, independent of the
 * protocol that carried the call.
 *
 * Namespaces and classes served:
 *   root                 __Namespace (sms)
 *   root/sms             __Namespace (site_<CODE> per site), SMS_ProviderLocation
 *   root/sms/site_<CODE> SMS_DistributionPointInfo, SMS_DistributionPoint
 *                        (static method SetDPMaintenanceMode on both,
 *                        GetChainedPullDPs on SMS_DistributionPointInfo),
 *                        SMS_StatusMessage, SMS_StatMsgInsStrings
 *
 * Every call returns an HRESULT (0 = success) and, on failure, a message
 * that names what was wrong. The DP maintenance mode is kept in the store
 * and mirrored in memory under a lock: a change is visible to readers only
 * once it is committed. A change that sets a DP's mode to another value
 * also writes the site's status message (statmsg.h) in the same
 * transaction; the status message classes read the store.
 *
 * Every Get, Enumerate and Invoke first goes through the fault rules
 * (faults.h) and is then journaled (journal.h), whatever happened: the
 * row names the rule that fired, the HRESULT or ReturnValue, the latency.
 * A call whose row cannot be written is not answered as if it had been:
 * it fails, whatever it would have answered (a read too, and a fault
 * rule's effect too), with HRESULT_DISK_FULL (0x80070070, "There is not
 * enough space on the disk.") when the disk is full, else with
 * WBEM_E_PROVIDER_FAILURE naming the error. A change and its row are
 * one transaction: a change is acknowledged only once both are
 * committed; a read is answered only once its row is committed, and a
 * caller that can defer (provider_call.can_defer) waits for that
 * without a thread, its answer kept in the call meanwhile.
 *
 * Access (auth.h): a call in a site's namespace needs the caller's access
 * at that site, else WBEM_E_ACCESS_DENIED (after the fault rules, and
 * journaled like any refusal). DPs outside the caller's security scopes
 * are hidden: Enumerate and WQL leave them out, Get does not find them
 * (WBEM_E_NOT_FOUND), and SetDPMaintenanceMode on one is WBEM_E_NOT_FOUND
 * with the message a DP that does not exist gets, so the caller learns
 * neither that it exists nor its scopes; status messages about it are
 * hidden the same way (the log says why, for the
 * operator; the journal row has the HRESULT). Changing a mode needs a
 * role with Modify on Site at the DP's site, checked first: without it
 * every DP, in scope or not, is WBEM_E_ACCESS_DENIED. Instances of
 * fixture-declared classes are not scope-filtered (dpsim does not know
 * what they describe), and root/sms discovery lists every site.
 *
 * Sites are namespaces of their own, each with its DPs, fault rules and
 * journal. Sites can be added (from a fixture document) and removed while
 * calls run. The classes of a site code are made once and kept for the
 * provider's life, so a class pointer handed out stays valid; a call on
 * the class of a site that is gone fails with WBEM_E_INVALID_NAMESPACE.
 */
#ifndef DPSIM_PROVIDER_H
#define DPSIM_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "cim.h"
#include "faults.h"
#include "fixture.h"
#include "journal.h"
#include "store.h"
#include "wql.h"

struct provider;
struct predicate;

/* A list of instances a call returns; the caller owns it. */
struct instance_list {
	struct cim_instance **items;
	size_t count;
};
void instance_list_free(struct instance_list *l);

struct provider_options {
	uint64_t seed;		/* of the fault rules' generators */
	int64_t journal_max;	/* journal rows kept per site; 0 = all */
	int64_t statmsg_max;	/* status messages kept per site; 0 = all */
	/* Caps; 0 = none. Each is the option of the same name. */
	size_t max_sites;	/* sites served (--max-sites) */
	size_t max_snapshots;	/* snapshots kept (--max-snapshots) */
	size_t max_fault_rules;	/* rules held (--max-fault-rules) */
};

/* Builds the classes and instances of fx (borrowed: must outlive the
 * provider) and seeds st with each DP's initial mode unless the store
 * already knows the DP, so state survives a restart. 0, or -errno with a
 * one-line reason in err. provider_new uses seed 0 and no journal bound. */
int provider_new(const struct fixture *fx, struct store *st,
		 struct provider **out, char *err, size_t errsize);
int provider_new_opts(const struct fixture *fx, struct store *st,
		      const struct provider_options *o,
		      struct provider **out, char *err, size_t errsize);
void provider_free(struct provider *p);

/* The rule list and the journal the provider uses; owned by it. */
struct faults *provider_faults(struct provider *p);
struct journal *provider_journal(struct provider *p);

/* Ends every wait a fault rule started (delays, timeouts), now and from
 * now on: for shutting down. */
void provider_shutdown(struct provider *p);

/* The machine name faults carry (the first site's provider). Borrowed. */
const char *provider_machine(const struct provider *p);

/* A class the provider serves, resolved once by name and then handed to
 * the call: valid for the provider's life (a site removed meanwhile makes
 * the call fail with WBEM_E_INVALID_NAMESPACE, never dangle). */
struct provider_class;

/* Class cls of namespace ns (case-insensitive, '\\' or '/'), or NULL
 * with *hresult WBEM_E_INVALID_NAMESPACE or WBEM_E_INVALID_CLASS.
 * Borrowed. */
const struct provider_class *provider_class(struct provider *p, const char *ns,
					    const char *cls, uint32_t *hresult);
/* Its CIM class: name, namespace, properties and keys. Borrowed. */
const struct cim_class *provider_class_cim(const struct provider_class *c);

/* The classes served in namespace ns (case-insensitive, '\\' or '/'), in
 * the order they were made: for a front end that lists what it serves
 * (the AdminService's $metadata). *out is a malloc'd array of *n borrowed
 * handles (the caller frees the array, never the handles); NULL with *n
 * 0 when none is served there. 0 or -ENOMEM. */
int provider_classes(struct provider *p, const char *ns,
		     const struct provider_class ***out, size_t *n);

/* A named argument of a call as text, whatever carried it: a key of a Get
 * or a parameter of a method. The provider converts each once, to the
 * type the method or property declares, and keeps none of them. */
struct provider_arg {
	const char *name;
	const char *value;	/* NULL: given as null */
};

/* One call as the front end describes it, and what the fault rules made
 * of it. Zero-initialise it, fill the first group, and pass the same
 * struct again when the provider defers the call. */
struct provider_call {
	const struct caller *who;
	uint32_t timeout_ms;	/* the request's OperationTimeout; 0: none */
	const char *query;	/* Enumerate: the query text (journal) */
	bool can_defer;		/* the caller can wait without holding a
				 * thread: instead of sleeping for a rule's
				 * delay or for the commit of the call's
				 * journal row (a change's or a read's), the
				 * provider returns with deferred set, and
				 * the caller makes the same call again
				 * after wait_ms or once wait_on fires */

	/* Kept between the two halves of a deferred call. */
	bool decided;
	bool waited;
	struct fault_decision decision;
	int64_t start_us;
	struct store_write *write;	/* a change waiting for its commit */
	const struct provider_class *write_class;
	char *write_nalpath;
	uint32_t write_mode;
	/* A read whose journal row waits for its commit, with its answer
	 * kept until then (the provider's; provider_call_end frees it). */
	struct provider_read *read;

	/* What happened. When deferred is set, or effect is FAULT_HTTP,
	 * FAULT_DROP or FAULT_TIMEOUT, the call's HRESULT means nothing:
	 * the front end answers as the effect says (the call was already
	 * journaled, except when deferred). */
	bool deferred;
	uint32_t wait_ms;
	/* With deferred and wait_ms 0: call again once this fires (a change
	 * or a read's journal row queued for the group commit); NULL
	 * otherwise. */
	struct completion *wait_on;
	enum fault_effect effect;
	unsigned http_status;
	int64_t rule_id;	/* the rule that fired; 0: none */
};

/* The call's state is going away (the front end's release): a change
 * still waiting for its commit is finished first, so that the mode in
 * memory follows the database even when nobody hears the answer, and a
 * read's kept answer is freed. NULL and a call with nothing pending are
 * fine. */
void provider_call_end(struct provider *p, struct provider_call *call);

struct completion;

static inline bool provider_call_intercepted(const struct provider_call *c)
{
	return c->deferred || c->effect == FAULT_HTTP ||
	       c->effect == FAULT_DROP || c->effect == FAULT_TIMEOUT;
}

/* Get by keys: keys must name exactly the class's key properties (the
 * caller checks that and reports selector faults). *out is a copy the
 * caller frees. WBEM_E_NOT_FOUND when no instance has those key values. */
uint32_t provider_get(struct provider *p, struct provider_call *call,
		      const struct provider_class *c, const struct provider_arg *keys,
		      size_t nkeys, struct cim_instance **out,
		      char *msg, size_t msgsize);

/* All instances of c, or those matching q (already checked against c)
 * when q is not NULL. */
uint32_t provider_enumerate(struct provider *p, struct provider_call *call,
			    const struct provider_class *c, const struct wql_query *q,
			    struct instance_list *out, char *msg, size_t msgsize);
/* The same with the condition as a predicate bound to c (predicate.h;
 * NULL: all), whatever query language it came from: the DP index serves
 * both WQL and $filter. */
uint32_t provider_enumerate_where(struct provider *p, struct provider_call *call,
				  const struct provider_class *c,
				  const struct predicate *where,
				  struct instance_list *out, char *msg, size_t msgsize);

/* ---- enumerations read in pieces ------------------------------------------
 *
 * A cursor lets a front end hand out a large enumeration a batch at a
 * time without holding it: WS-Man's Enumerate opens one and each Pull
 * fetches what it returns (docs/wsman-protocol.md, Enumeration
 * contexts). The DPs of a site are walked in the order the site keeps
 * them (NAL path, ignoring case), the order provider_enumerate answers
 * in; the set of DPs is fixed while the site is served, and each fetch
 * builds only the instances it returns, read as they are at that
 * fetch: the condition is tested against the values returned. Other
 * classes (discovery, status messages, fixture-declared ones) are small
 * or bounded and are read whole when the cursor opens. */
struct provider_cursor;

/* Whether an instance stays in the enumeration, beyond the condition (a
 * front end's own filter, e.g. WS-Man's SelectorFilter). */
typedef bool (*provider_keep_fn)(void *ctx, const struct cim_instance *i);

/* Opens an enumeration of c as provider_enumerate_where would answer it:
 * the fault rules, the access check and the journal row happen here,
 * once. where (NULL: all), keep (NULL: all) and keep_ctx are borrowed
 * and must outlive the cursor; when the open was deferred, those of the
 * call made again replace the first ones (the same request, parsed
 * again). On success *out is the caller's (provider_cursor_free). */
uint32_t provider_cursor_open(struct provider *p, struct provider_call *call,
			      const struct provider_class *c,
			      const struct predicate *where,
			      provider_keep_fn keep, void *keep_ctx,
			      struct provider_cursor **out, char *msg, size_t msgsize);
/* Up to max of the next instances into out (the caller's; out is
 * emptied first), without moving the cursor: provider_cursor_consume
 * says how many of them were used. Fewer than max means the rest of
 * the enumeration is in out. 0, or WBEM_E_OUT_OF_MEMORY (msg says so).
 * A cursor keeps the site it walks: when the site is removed or
 * replaced (a reset of everything, a snapshot restored) meanwhile, it
 * goes on over the DPs it started with, their modes as they were when
 * the site stopped being served. */
uint32_t provider_cursor_fetch(struct provider *p, struct provider_cursor *cur,
			       size_t max, struct instance_list *out,
			       char *msg, size_t msgsize);
/* Moves the cursor past the first n instances of the last fetch. */
void provider_cursor_consume(struct provider_cursor *cur, size_t n);
void provider_cursor_free(struct provider_cursor *cur);

/* What a method call answered (provider_invoke_result). */
struct provider_result {
	/* The ReturnValue's 32 bits: 0 = the method succeeded. A sint32
	 * method's negative value is its two's complement (output has it
	 * as the method declares it). */
	uint32_t return_value;
	/* The method's out-parameters object: an instance of the method's
	 * output class (cim_method_output_class: its out parameters in
	 * declaration order, then ReturnValue). NULL when the call failed
	 * (a non-zero HRESULT) or a fault rule's effect answered it other
	 * than by a ReturnValue, and for a ReturnValue a rule gave to a
	 * method the class does not declare. Owned by the result. */
	struct cim_instance *output;
};
/* Frees what r holds and zeroes it; NULL is fine. */
void provider_result_clear(struct provider_result *r);

/* Runs static method `method` (any case) of class c with params. On
 * success returns 0 and fills *res (provider_result_clear it): its
 * ReturnValue (0 = the method succeeded) and out parameters. A non-zero
 * result is the WMI error the provider raises (the call failed), with the
 * reason in msg, and *res is empty.
 *
 * The methods are those the class declares (catalog.h):
 *   uint32 SetDPMaintenanceMode([in] string NALPath, [in] uint32 Mode)
 *     changes a DP's mode; needs Modify on Site (see Access above).
 *   sint32 GetChainedPullDPs([in] string SourceDPNALPath,
 *                            [out] string ChainedDPs[])
 *     the NAL paths of the pull DPs that copy content from the DP,
 *     directly or through other pull DPs (the fixture's <source>s),
 *     breadth first, each level in fixture order; an empty array when
 *     none does. A read: any role at the site may call it. A source
 *     that is not a DP of the site, or outside the caller's scopes, is
 *     WBEM_E_NOT_FOUND as for SetDPMaintenanceMode; chained DPs outside
 *     the caller's scopes are left out of the answer (the chain is
 *     still followed through them).
 * Any other name is WBEM_E_INVALID_METHOD. A parameter that is missing,
 * null, repeated, unknown or an [out] parameter is
 * WBEM_E_INVALID_METHOD_PARAMETERS. */
uint32_t provider_invoke_result(struct provider *p, struct provider_call *call,
				const struct provider_class *c,
				const char *method,
				const struct provider_arg *params,
				size_t nparams, struct provider_result *res,
				char *msg, size_t msgsize);

/* provider_invoke_result for callers that want only the ReturnValue
 * (*return_value, 0 on failure). */
uint32_t provider_invoke(struct provider *p, struct provider_call *call,
			 const struct provider_class *c, const char *method,
			 const struct provider_arg *params, size_t nparams,
			 uint32_t *return_value, char *msg, size_t msgsize);

/* ---- sites, reset, snapshots (the control API) --------------------------- */

struct provider_site_added {
	char code[16];
	size_t ndps;
};

/* Adds the sites of a fixture document (xml, len bytes; name stands for
 * its file name in messages). code, if not NULL, renames the document's
 * only site (NAL paths built from the old code follow). The new sites
 * start from the document: their DP modes, an empty journal. Users in the
 * document are not added (they are global: the start-up fixture's); their
 * number goes to *users_ignored. Up to max_added entries of added are
 * filled, *nadded says how many sites were added.
 * 0, or with a sentence in err: -EINVAL (an invalid document or code),
 * -EEXIST (a site code is served already), -E2BIG (more sites than
 * max_added), -ENOSPC (the sites would pass max_sites, or their fixture
 * rules max_fault_rules; err names the option), -ENOMEM, -EIO. Nothing
 * is added on failure. */
int provider_site_add(struct provider *p, const char *name, const char *xml,
		      size_t len, const char *code,
		      struct provider_site_added *added, size_t max_added,
		      size_t *nadded, size_t *users_ignored,
		      char *err, size_t errsize);
/* Removes a site with its DP state, journal and fault rules. 0, -ENOENT,
 * -EIO. */
int provider_site_remove(struct provider *p, const char *code);
/* The code of the site served as code (any case) as the provider spells
 * it, into out (16 bytes). 0 or -ENOENT. */
int provider_site_lookup(struct provider *p, const char *code, char *out);

/* Back to the fixture: a site's DP modes, journal, fault rules and
 * generator (code), or (NULL) everything: sites added at run time go,
 * removed start-up sites come back, the whole journal goes, every rule
 * but the fixture's goes, the generators restart. 0, -ENOENT, -EIO. */
int provider_reset(struct provider *p, const char *code);

struct provider_dp_view {
	const char *name;
	const char *nalpath;
	const char *kind;
	uint32_t mode;
	char *const *scopes;	/* its security scopes (nscopes of them) */
	size_t nscopes;
};

struct provider_site_view {
	const char *code;
	const char *name;
	const char *machine;
	bool startup;		/* from the start-up fixture */
	const struct provider_dp_view *dps;
	size_t ndps;
};

/* Calls cb for the newest status messages of site code (at most newest
 * of them; 0: all), newest first, whoever they are about: a view for
 * the lab's own pages, not a WMI call (neither journaled nor
 * scope-filtered). *kept, when not NULL, gets the number the site keeps.
 * A non-zero return from cb stops and is returned. -ENOMEM, -EIO. */
int provider_foreach_status_message(struct provider *p, const char *code,
				    size_t newest,
				    int (*cb)(void *ctx,
					      const struct status_message *m),
				    void *ctx, int64_t *kept);

/* Calls cb for each site (or only the one named code), in the order
 * they were added, with the model locked for reading: cb must not call
 * the provider. A non-zero return from cb stops and is returned.
 * -ENOENT when code names no site, -ENOMEM. */
int provider_foreach_site(struct provider *p, const char *code,
			  int (*cb)(void *ctx, const struct provider_site_view *v),
			  void *ctx);
size_t provider_site_count(struct provider *p, size_t *ndps);
/* The caps the provider was made with (provider_options). */
size_t provider_max_sites(const struct provider *p);
size_t provider_max_snapshots(const struct provider *p);

/* Saves the whole state as snapshot name: the database (DP modes,
 * journal), the sites (fixture_write_sites) and the fault rules with
 * their counters and generators (fault_json_state_text), taken together
 * under the lock. 0, -EINVAL (name), -ENOSPC (max_snapshots are kept
 * and name is not one of them: saving over one is fine), -ENOMEM,
 * -EIO. */
int provider_snapshot_save(struct provider *p, const char *name);
/* The snapshots saved (see store_snapshot_list), and forgetting one
 * (0, -ENOENT, -EINVAL, -EIO). */
int provider_snapshot_list(struct provider *p,
			   int (*cb)(void *ctx, const struct store_snapshot_info *i),
			   void *ctx);
int provider_snapshot_delete(struct provider *p, const char *name);

/* Puts snapshot name back: database, sites and fault rules. 0, or
 * -ENOENT, -EPROTO, -EINVAL (with err: "'NAME' is not a snapshot name",
 * "its fault rules cannot be read: ...", or what is wrong with its
 * sites), -ENOMEM, -EIO. Nothing changes on failure. */
int provider_snapshot_restore(struct provider *p, const char *name,
			      char *err, size_t errsize);

#endif
