/* ratelimit: say a recurring trouble once per interval, not once per
 * occurrence, and say how many occurrences went unsaid.
 *
 * A full disk fails every request: logging each one would bury the log
 * (and, when the log is on the same disk, make things worse). The caller
 * passes the time, so tests need no clock. Thread-safe.
 */
#ifndef DPSIM_RATELIMIT_H
#define DPSIM_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

struct ratelimit;

/* At most one report per interval_ms. NULL on allocation failure. */
struct ratelimit *ratelimit_new(int64_t interval_ms);
void ratelimit_free(struct ratelimit *r);

/* One occurrence at now_ms (a monotonic clock). True when the caller
 * should report it: the first occurrence, and then the first one at least
 * interval_ms after the last report; *suppressed is then the number of
 * occurrences not reported since that last report. False: count it and
 * say nothing (*suppressed untouched). */
bool ratelimit_pass(struct ratelimit *r, int64_t now_ms, uint64_t *suppressed);

/* Milliseconds of CLOCK_MONOTONIC, for now_ms. */
int64_t ratelimit_now_ms(void);

/* ratelimit_pass() at the current time. */
bool ratelimit_pass_now(struct ratelimit *r, uint64_t *suppressed);

#define RATELIMIT_NOTE 64
/* " (N more since the last such line)" for a report's end, or "" when
 * none were suppressed; written into buf. */
const char *ratelimit_note(uint64_t suppressed, char buf[RATELIMIT_NOTE]);

#endif
