/* log: level-gated logging to stderr, text or JSON lines.
 *
 * The macro tests the level before evaluating its arguments, so debug
 * logging on the request path costs one comparison when it is off.
 */
#ifndef DPSIM_LOG_H
#define DPSIM_LOG_H


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

#endif
