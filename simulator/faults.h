/* faults: the fault rules every provider call goes through.
 *
 * An ordered list of rules. A call is matched against each rule in turn;
 * the first rule that fires decides what happens to the call. A rule
 * that matches but does not fire (still inside `after`, or its
 * probability draw said no) lets the call go on to the next rule.
 *
 * Each rule counts the calls it matched and the times it fired; a rule
 * with `times` retires after firing that often and is kept, with its
 * counters, so a test can read them.
 *
 * Probabilities are drawn from seeded generators, one stream per site
 * (calls without a site share one more), each derived from the seed and
 * the site code. So a run is repeatable: the same seed and the same
 * sequence of calls on a site give the same outcomes, whatever other
 * sites do meanwhile. Only rules with 0 < probability < 1 draw.
 *
 * Thread-safe: one mutex guards the rules, counters and generators.
 */
#ifndef DPSIM_FAULTS_H
#define DPSIM_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fault_op {
	FAULT_OP_ANY,
	FAULT_OP_GET,
	FAULT_OP_ENUMERATE,
	FAULT_OP_INVOKE,
};

enum fault_effect {
	FAULT_NONE,		/* no rule fired: the call runs */
	FAULT_RETURN,		/* Invoke only: not applied, ReturnValue =
				 * hresult, a normal answer */
	FAULT_FAULT,		/* the provider error hresult, as the
				 * provider's own errors are raised */
	FAULT_HTTP,		/* a bare HTTP status, short text body */
	FAULT_DROP,		/* connection closed, nothing answered */
	FAULT_TIMEOUT,		/* w:TimedOut after the request's
				 * OperationTimeout */
	FAULT_DELAY,		/* delay_ms, then the call runs */
};

/* Waits are bounded so a rule cannot hold a connection for ever: the
 * timeout effect waits at most as long as WinRM's default MaxTimeoutms. */
#define FAULT_MAX_DELAY_MS	600000u
#define FAULT_MAX_TIMEOUT_MS	60000u
/* Used for the timeout effect when a request names no OperationTimeout. */
#define FAULT_DEFAULT_TIMEOUT_MS 60000u

struct fault_rule {
	int64_t id;		/* assigned when added; ignored on input */

	/* What it matches; NULL, FAULT_OP_ANY or -1 match anything. The
	 * globs compare ignoring ASCII case; '*' is any run of characters,
	 * '?' one character, everything else (\ [ ] included) itself. */
	enum fault_op operation;
	char *class_glob;
	char *method_glob;
	char *nalpath_glob;
	char *user_glob;
	char *protocol_glob;
	char *site;		/* equal ignoring case */
	int64_t mode;		/* the Mode parameter; -1 = any */

	/* What it does. */
	enum fault_effect effect;
	uint32_t hresult;	/* RETURN, FAULT */
	unsigned http_status;	/* HTTP */
	uint32_t delay_ms;	/* before the effect */
	int64_t times;		/* fire at most this often; 0 = no limit */
	int64_t after;		/* let this many matches pass first */
	double probability;	/* 0 never .. 1 always */
	bool from_fixture;	/* a reset keeps it (counters zeroed) */

	/* Counters, kept by the list. */
	int64_t matched;
	int64_t fired;
	bool retired;
};

/* A rule matching anything, firing always: effect FAULT_NONE, mode -1,
 * probability 1. Fill in the rest. */
void fault_rule_init(struct fault_rule *r);
/* Frees the strings and re-initialises r. */
void fault_rule_clear(struct fault_rule *r);
/* Deep copy into dst (not initialised). 0 or -ENOMEM (dst cleared). */
int fault_rule_copy(struct fault_rule *dst, const struct fault_rule *src);
/* Frees an array of n rules and the array. */
void fault_rules_free(struct fault_rule *rules, size_t n);

/* Checks a rule a user wrote. 0, or -EINVAL with a sentence naming the
 * field in err. */
int fault_rule_check(const struct fault_rule *r, char *err, size_t errsize);

/* The one conversion of a rule field from its text form, shared by the
 * control API and fixtures so both accept and refuse the same things.
 * name: operation, class, method, nalpath, mode, user, protocol, site,
 * effect, hresult (hex, decimal or a name such as WBEM_E_ACCESS_DENIED),
 * http_status, delay_ms, times (at least 1), after, probability. 0,
 * -ENOENT (not a field), -EINVAL with a sentence naming the field in err,
 * or -ENOMEM. */
int fault_rule_set(struct fault_rule *r, const char *name, const char *text,
		   char *err, size_t errsize);
/* Once the fields are set: fills the defaults (a fault or return without
 * an HRESULT is WBEM_E_FAILED, http without a status is 503) and runs
 * fault_rule_check(). hresult_given: an hresult field was set. */
int fault_rule_finish(struct fault_rule *r, bool hresult_given,
		      char *err, size_t errsize);

/* Names: "get"/"enumerate"/"invoke" and "return"/"fault"/...; NULL or
 * "any"/"none" for the zero values. Parsers return 0 or -EINVAL. */
const char *fault_op_name(enum fault_op op);
int fault_op_parse(const char *s, enum fault_op *out);
const char *fault_effect_name(enum fault_effect e);
int fault_effect_parse(const char *s, enum fault_effect *out);

/* Glob match as rules use it (exposed for the journal and tests). */
bool fault_glob_match(const char *glob, const char *text);

/* One provider call, as the rules see it. Borrowed strings; NULL when the
 * call has no such thing (an Enumerate names no NAL path). */
struct fault_call {
	enum fault_op operation;
	const char *class_name;
	const char *method;
	const char *nalpath;
	const char *user;
	const char *protocol;
	const char *site;
	int64_t mode;		/* -1: none or not a number */
};

struct fault_decision {
	int64_t rule_id;	/* 0: no rule fired */
	enum fault_effect effect;
	uint32_t hresult;
	unsigned http_status;
	uint32_t delay_ms;
};

struct faults;

/* A list with no rules whose generators start from seed. NULL on
 * allocation failure. */
struct faults *faults_new(uint64_t seed);
void faults_free(struct faults *f);

/* The most rules the list holds (0, the default: no cap). Adding or
 * replacing that would pass it is refused with -ENOSPC; a snapshot
 * restored (faults_import) is put back as it was saved. */
void faults_set_max(struct faults *f, size_t max);
size_t faults_max(struct faults *f);

uint64_t faults_seed(struct faults *f);
/* Restarts every generator from seed (and remembers it). */
void faults_reseed(struct faults *f, uint64_t seed);

/* Finds the rule for c, updates the counters and fills d (d->effect
 * FAULT_NONE when no rule fired). */
void faults_decide(struct faults *f, const struct fault_call *c,
		   struct fault_decision *d);

/* Appends copies of n rules at the end of the list, all or none, with
 * new ids and zero counters; the first id goes to *first_id if not NULL
 * (ids are consecutive). 0, -ENOSPC (more than faults_max() rules) or
 * -ENOMEM. The caller checked the rules. */
int faults_add(struct faults *f, const struct fault_rule *rules, size_t n,
	       int64_t *first_id);
/* Replaces, in one step, every rule of site (NULL: every rule) by copies
 * of the n rules, which take the place of the first rule replaced (the
 * end when there was none). Run-time and fixture rules alike. 0,
 * -ENOSPC (more than faults_max() rules) or -ENOMEM (nothing changed). */
int faults_replace(struct faults *f, const char *site,
		   const struct fault_rule *rules, size_t n, int64_t *first_id);
/* 0 or -ENOENT. */
int faults_remove(struct faults *f, int64_t id);
/* Removes the rules of site (NULL: all); returns how many. */
size_t faults_clear(struct faults *f, const char *site);
/* Back to the fixture for site (NULL: all sites and the rules without
 * one): rules added at run time go, fixture rules stay with zeroed
 * counters, and the generator of site (NULL: every one) restarts. */
void faults_reset(struct faults *f, const char *site);

/* Copies of the rules of site (NULL: all), in order, into *out (free with
 * fault_rules_free). 0 or -ENOMEM. */
int faults_list(struct faults *f, const char *site, struct fault_rule **out,
		size_t *n);
/* A copy of rule id. 0, -ENOENT or -ENOMEM. */
int faults_get(struct faults *f, int64_t id, struct fault_rule *out);
/* Number of rules of site (NULL: all). */
size_t faults_count(struct faults *f, const char *site);

/* Everything needed to put the list back exactly: for snapshots. */
struct fault_stream {
	char site[16];		/* "" for calls without a site */
	uint64_t state;
};

struct faults_state {
	struct fault_rule *rules;
	size_t nrules;
	int64_t next_id;
	uint64_t seed;
	struct fault_stream *streams;
	size_t nstreams;
};

/* A copy of the whole state (faults_state_clear frees it). 0 or -ENOMEM. */
int faults_export(struct faults *f, struct faults_state *out);
/* Replaces the whole state with a copy of in. 0 or -ENOMEM (unchanged). */
int faults_import(struct faults *f, const struct faults_state *in);
void faults_state_clear(struct faults_state *s);

/* Waits ms milliseconds, or less once faults_shutdown() was called.
 * Returns 0 after the full wait, -EINTR when cut short. */
int faults_sleep(struct faults *f, uint32_t ms);
/* Ends current and future faults_sleep() waits at once. */
void faults_shutdown(struct faults *f);
bool faults_stopping(struct faults *f);

#endif
