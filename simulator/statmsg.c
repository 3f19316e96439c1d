/* statmsg: the status messages dpsim writes. See statmsg.h. */
#include "statmsg.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Each is a system call, once per change otherwise; neither changes
 * for the life of the process (dpsim never forks) or of the thread. */
static uint32_t process_id(void)
{
	static _Atomic uint32_t pid;
	uint32_t v = pid;

	if (!v)
		pid = v = (uint32_t)getpid();
	return v;
}

static uint32_t thread_id(void)
{
	static _Thread_local uint32_t tid;

	if (!tid)
		tid = (uint32_t)gettid();
	return tid;
}

void statmsg_for_mode_change(const struct statmsg_change *c,
			     struct status_message *m)
{
	memset(m, 0, sizeof(*m));
	m->site = c->site;
	m->nalpath = c->nalpath;
	m->message_id = c->mode ? STATMSG_DP_MAINTENANCE_ENABLED
				: STATMSG_DP_MAINTENANCE_DISABLED;
	m->severity = STATMSG_SEVERITY_INFORMATIONAL;
	/* The provider writes it on the administrator's behalf: an audit
	 * message, of the provider's own message module. */
	m->message_type = STATMSG_TYPE_AUDIT;
	m->module_name = STATMSG_SMS_PROVIDER;
	m->component = STATMSG_SMS_PROVIDER;
	m->machine = c->machine;
	m->process_id = process_id();
	m->thread_id = thread_id();
	/* A plain report: no error, no transaction, not a client's. */
	m->win32_error = 0;
	m->report_function = 0;
	m->successful_transaction = 0;
	m->transaction = 0;
	m->per_client = 0;
	/* Deprecated in the SDK; a site dpsim serves is its own top. */
	m->top_level_site_code = c->site;
	m->ins[STATMSG_INS_USER] = c->user;
	m->ins[STATMSG_INS_DP] = c->dp;
	m->nins = STATMSG_INS_COUNT;
}

void statmsg_time_text(int64_t ms, char *out, size_t size)
{
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;

	if (ms < 0 || !gmtime_r(&secs, &tm)) {
		snprintf(out, size, "1970-01-01T00:00:00.000000Z");
		return;
	}
	snprintf(out, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03d000Z",
		 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		 tm.tm_min, tm.tm_sec, (int)(ms % 1000));
}

static int set_u32(struct cim_instance *i, const char *name, uint32_t v)
{
	char text[16];

	snprintf(text, sizeof(text), "%" PRIu32, v);
	return cim_instance_set_by_name(i, name, text);
}

static int set_i64(struct cim_instance *i, const char *name, int64_t v)
{
	char text[24];

	snprintf(text, sizeof(text), "%" PRId64, v);
	return cim_instance_set_by_name(i, name, text);
}

struct cim_instance *statmsg_instance(const struct cim_class *c,
				      const struct status_message *m)
{
	struct cim_instance *i = cim_instance_new(c);
	char when[40];
	int r = 0;

	if (!i)
		return NULL;
	statmsg_time_text(m->time_ms, when, sizeof(when));
	r |= cim_instance_set_by_name(i, "Component", m->component);
	r |= cim_instance_set_by_name(i, "MachineName", m->machine);
	r |= set_u32(i, "MessageID", m->message_id);
	r |= set_u32(i, "MessageType", m->message_type);
	r |= cim_instance_set_by_name(i, "ModuleName", m->module_name);
	r |= set_u32(i, "PerClient", m->per_client);
	r |= set_u32(i, "ProcessID", m->process_id);
	r |= set_i64(i, "RecordID", m->record_id);
	r |= set_u32(i, "ReportFunction", m->report_function);
	r |= set_u32(i, "Severity", m->severity);
	r |= cim_instance_set_by_name(i, "SiteCode", m->site);
	r |= set_u32(i, "SuccessfulTransaction", m->successful_transaction);
	r |= set_u32(i, "ThreadID", m->thread_id);
	r |= cim_instance_set_by_name(i, "Time", when);
	r |= cim_instance_set_by_name(i, "TopLevelSiteCode",
				      m->top_level_site_code);
	r |= set_u32(i, "Transaction", m->transaction);
	r |= set_u32(i, "Win32Error", m->win32_error);
	if (r) {
		cim_instance_free(i);
		return NULL;
	}
	return i;
}

struct cim_instance *statmsg_insstr_instance(const struct cim_class *c,
					     const struct status_message *m,
					     size_t idx)
{
	struct cim_instance *i = cim_instance_new(c);
	int r = 0;

	if (!i)
		return NULL;
	r |= set_u32(i, "InsStrIndex", (uint32_t)idx);
	r |= cim_instance_set_by_name(i, "InsStrValue", m->ins[idx]);
	r |= set_i64(i, "RecordID", m->record_id);
	if (r) {
		cim_instance_free(i);
		return NULL;
	}
	return i;
}

/* Insertion string idx of m, or "?" where the message has none. */
static const char *ins(const struct status_message *m, size_t idx)
{
	return idx < m->nins && m->ins[idx] ? m->ins[idx] : "?";
}

void statmsg_text(const struct status_message *m, char *out, size_t size)
{
	size_t used;

	switch (m->message_id) {
	case STATMSG_DP_MAINTENANCE_ENABLED:
	case STATMSG_DP_MAINTENANCE_DISABLED:
		snprintf(out, size, "%s %s maintenance mode on distribution "
			 "point %s.", ins(m, STATMSG_INS_USER),
			 m->message_id == STATMSG_DP_MAINTENANCE_ENABLED ?
			 "enabled" : "disabled", ins(m, STATMSG_INS_DP));
		return;
	}
	snprintf(out, size, "Status message %" PRIu32, m->message_id);
	for (size_t k = 0; k < m->nins; k++) {
		used = strlen(out);
		if (used + 1 >= size)
			break;
		snprintf(out + used, size - used, "%s%s", k ? ", " : ": ",
			 ins(m, k));
	}
}
