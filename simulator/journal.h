/* journal: the record of every provider call and of every request a
 * front end refused before the provider (operation "request"), and the
 * questions a test asks it ("how many SetDPMaintenanceMode calls for DP02
 * failed?", "why was this client refused?").
 *
 * Rows live in the store; this module owns the policy around them: the
 * per-site bound (--journal-max, oldest rows dropped and counted) and the
 * filters, parsed from NAME=VALUE pairs as the control API receives them:
 *
 *   site      site code (equal, any case)
 *   operation get | enumerate | invoke | request
 *   protocol  "wsman", ...
 *   class, method, user, nalpath   globs: * any run, ? one character,
 *             everything else literal; case-insensitive
 *   result    ok | error | fault | return | http | drop | timeout | delay
 *             or an HRESULT (hex, decimal or a name such as
 *             WBEM_E_ACCESS_DENIED) that the row's HRESULT or ReturnValue
 *             equals ("0" is ok; 401 also finds requests refused with
 *             HTTP 401), or a fault subcode a request was refused with
 *             (s:MustUnderstand; prefix:name, any case)
 *   rule      id of the fault rule that fired
 *   since, until   Unix time in ms, or ISO 8601 UTC (2024-05-01T10:00:00Z,
 *             fractions and +HH:MM offsets accepted); since inclusive,
 *             until exclusive
 *   after     only rows with a larger id (paging)
 *   limit     at most this many rows
 *
 * Thread-safe (the store is).
 */
#ifndef DPSIM_JOURNAL_H
#define DPSIM_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct journal;

/* st is borrowed and must outlive the journal. max: rows kept per site,
 * 0 = unbounded. NULL on allocation failure. */
struct journal *journal_new(struct store *st, int64_t max);
void journal_free(struct journal *j);
int64_t journal_max(const struct journal *j);

/* Appends e (time, id filled in). 0, -ENOSPC (the disk is full; the
 * store logs it, rate-limited) or -EIO (logged). */
int journal_record(struct journal *j, struct journal_entry *e);
/* Says in the log that e's row could not be written (rc, as
 * journal_record returns it; 0 says nothing): for a row written
 * another way, such as a store_write queued by the provider. */
void journal_failed(const struct journal_entry *e, int rc);

/* A filter under construction; owns the strings it keeps. Initialise
 * with JOURNAL_FILTER_INIT or journal_filter_init(). */
struct journal_filter {
	struct store_journal_filter f;
	char *owned[16];
	size_t nowned;
};

void journal_filter_init(struct journal_filter *jf);
void journal_filter_free(struct journal_filter *jf);
/* Applies NAME=VALUE (see above). 0, -ENOENT for a name that is not a
 * filter (err says so), -EINVAL for a value that does not parse (err
 * names the parameter and what it accepts), -ENOMEM. */
int journal_filter_set(struct journal_filter *jf, const char *name,
		       const char *value, char *err, size_t errsize);

/* Rows, oldest first (see store_journal_query). */
int journal_query(struct journal *j, const struct journal_filter *jf,
		  int (*cb)(void *ctx, const struct journal_entry *e),
		  void *ctx);
/* 0 or -EIO. */
int journal_count(struct journal *j, const struct journal_filter *jf,
		  int64_t *count);
/* Rows kept and dropped by the bound, for site or (NULL) all. */
void journal_stats(struct journal *j, const char *site, int64_t *rows,
		   int64_t *dropped);
/* Empties the journal of site (NULL: all). */
int journal_clear(struct journal *j, const char *site, int64_t *deleted);

/* "ok", or the effect name, or "fault" / "return" for a call that
 * failed on its own, or a refused request's subcode or HTTP status: what
 * a row's outcome was, in one word. Borrowed from e. */
const char *journal_result(const struct journal_entry *e);

/* A glob (* and ?) as a LIKE pattern with '!' escaping (malloc'd). */
char *journal_glob_to_like(const char *glob);

/* Parses a time as the since/until filters take it. 0 or -EINVAL. */
int journal_parse_time(const char *s, int64_t *ms);

#endif
