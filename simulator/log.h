/* log: level-gated logging to stderr, text or JSON lines.
 *
 * The macro tests the level before evaluating its arguments, so debug
 * logging on the request path costs one comparison when it is off.
 */
#ifndef DPSIM_LOG_H
#define DPSIM_LOG_H

#include <stdbool.h>

enum log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

extern enum log_level log_threshold;

/* "error" "warn" "info" "debug"; 0 or -EINVAL. */
int log_level_parse(const char *name, enum log_level *out);
const char *log_level_name(enum log_level l);
/* JSON lines instead of text. */
void log_set_json(int on);

void log_write(enum log_level l, const char *file, int line,
	       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

#define log_at(lvl, ...) do { \
		if ((lvl) <= log_threshold) \
			log_write((lvl), __FILE__, __LINE__, __VA_ARGS__); \
	} while (0)
#define log_error(...) log_at(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  log_at(LOG_WARN, __VA_ARGS__)
#define log_info(...)  log_at(LOG_INFO, __VA_ARGS__)
#define log_debug(...) log_at(LOG_DEBUG, __VA_ARGS__)

/* For a message that a flood of bad requests would repeat: at most one
 * line per period, saying how many were left out since. Zero-initialise;
 * usually a static beside the log call:
 *
 *	static struct log_limiter lim;
 *	unsigned skipped;
 *	char note[LOG_SKIPPED_NOTE];
 *	if (log_limiter_pass(&lim, 60000, &skipped))
 *		log_warn("...%s", log_skipped_note(skipped, note));
 */
struct log_limiter {
	long long next_ms;	/* CLOCK_MONOTONIC; 0: never logged */
	unsigned skipped;
};

/* True when the message may be logged now; *skipped is then the number
 * of times it was held back since the last time it went out. */
bool log_limiter_pass(struct log_limiter *l, unsigned period_ms, unsigned *skipped);

#define LOG_SKIPPED_NOTE 64
/* " (N more since the last such line)", or "" when none were skipped;
 * written into buf. */
const char *log_skipped_note(unsigned skipped, char buf[LOG_SKIPPED_NOTE]);

#endif
