/* Unit tests for statmsg: the message a maintenance change writes, the
 * SMS_StatusMessage and SMS_StatMsgInsStrings instances a kept message
 * reads as, its Time and the dashboard's sentence. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "catalog.h"
#include "cim.h"
#include "statmsg.h"
#include "wql.h"

#define NS "root/sms/site_PS1"
#define NAL "[\"Display=\\\\DP01.contoso.com\\\"]MSWNET:[\"SMS_SITE=PS1\"]" \
	"\\\\DP01.contoso.com\\"

static const struct statmsg_change enable = {
	.site = "PS1", .machine = "CM01.contoso.com", .user = "lab",
	.dp = "DP01.contoso.com", .nalpath = NAL, .mode = 1,
};

static void test_mode_change_content(void **state)
{
	struct statmsg_change off = enable;
	struct status_message m;

	statmsg_for_mode_change(&enable, &m);
	assert_int_equal(m.message_id, 40411);
	assert_int_equal(m.severity, 0x40000000u);
	assert_int_equal(m.message_type, 768);
	assert_string_equal(m.module_name, "SMS Provider");
	assert_string_equal(m.component, "SMS Provider");
	assert_string_equal(m.machine, "CM01.contoso.com");
	assert_string_equal(m.site, "PS1");
	assert_string_equal(m.top_level_site_code, "PS1");
	assert_string_equal(m.nalpath, NAL);
	assert_int_equal(m.process_id, (uint32_t)getpid());
	assert_int_equal(m.thread_id, (uint32_t)gettid());
	assert_int_equal(m.win32_error, 0);
	assert_int_equal(m.report_function, 0);
	assert_int_equal(m.successful_transaction, 0);
	assert_int_equal(m.transaction, 0);
	assert_int_equal(m.per_client, 0);
	assert_int_equal(m.nins, 2);
	assert_string_equal(m.ins[STATMSG_INS_USER], "lab");
	assert_string_equal(m.ins[STATMSG_INS_DP], "DP01.contoso.com");
	/* Left for the store. */
	assert_int_equal(m.record_id, 0);
	assert_int_equal(m.time_ms, 0);

	off.mode = 0;
	statmsg_for_mode_change(&off, &m);
	assert_int_equal(m.message_id, 40412);
	assert_int_equal(m.severity, STATMSG_SEVERITY_INFORMATIONAL);
}

static void test_time_text(void **state)
{
	char t[40];

	statmsg_time_text(1714557600123LL, t, sizeof(t));
	assert_string_equal(t, "2024-05-01T10:00:00.123000Z");
	statmsg_time_text(0, t, sizeof(t));
	assert_string_equal(t, "1970-01-01T00:00:00.000000Z");
	statmsg_time_text(951782400005LL, t, sizeof(t));	/* leap day */
	assert_string_equal(t, "2000-02-29T00:00:00.005000Z");
	statmsg_time_text(-5, t, sizeof(t));
	assert_string_equal(t, "1970-01-01T00:00:00.000000Z");
	/* What it writes is a datetime as CIM keeps it. */
	char *canon = NULL;
	statmsg_time_text(1714557600123LL, t, sizeof(t));
	assert_int_equal(cim_value_canonical(CIM_DATETIME, t, &canon, NULL), 0);
	assert_string_equal(canon, t);
	free(canon);
}

/* A kept message (as the store returns it) with its values. */
static void kept(struct status_message *m)
{
	statmsg_for_mode_change(&enable, m);
	m->record_id = 42;
	m->time_ms = 1714557600123LL;
	m->process_id = 1234;
	m->thread_id = 5678;
}

static void test_instance(void **state)
{
	struct cim_class *c = catalog_class_new(CATALOG_STATUS_MESSAGE, NS);
	struct status_message m;
	struct cim_instance *i;
	static const struct { const char *name, *value; } want[] = {
		{ "Component", "SMS Provider" },
		{ "MachineName", "CM01.contoso.com" },
		{ "MessageID", "40411" },
		{ "MessageType", "768" },
		{ "ModuleName", "SMS Provider" },
		{ "PerClient", "0" },
		{ "ProcessID", "1234" },
		{ "RecordID", "42" },
		{ "ReportFunction", "0" },
		{ "Severity", "1073741824" },
		{ "SiteCode", "PS1" },
		{ "SuccessfulTransaction", "0" },
		{ "ThreadID", "5678" },
		{ "Time", "2024-05-01T10:00:00.123000Z" },
		{ "TopLevelSiteCode", "PS1" },
		{ "Transaction", "0" },
		{ "Win32Error", "0" },
	};

	kept(&m);
	i = statmsg_instance(c, &m);
	assert_non_null(i);
	assert_int_equal(cim_class_property_count(c), sizeof(want) / sizeof(want[0]));
	for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
		const char *v = cim_instance_text(i, want[k].name);

		if (!v || strcmp(v, want[k].value))
			fail_msg("%s: '%s', want '%s'", want[k].name,
				 v ? v : "(null)", want[k].value);
	}
	/* A large RecordID is a sint64. */
	cim_instance_free(i);
	m.record_id = 72057594037927936LL;
	i = statmsg_instance(c, &m);
	assert_string_equal(cim_instance_text(i, "RecordID"), "72057594037927936");
	/* What scripts ask. */
	struct wql_query *q = NULL;
	struct wql_error err;
	assert_int_equal(wql_parse("SELECT * FROM SMS_StatusMessage WHERE MessageID = 40411"
				   " AND Severity = 1073741824 AND Time >= "
				   "'20240501000000.000000+000'", &q, &err), 0);
	assert_int_equal(wql_query_check(q, c, &err), 0);
	assert_true(wql_query_match(q, i));
	wql_query_free(q);
	assert_int_equal(wql_parse("SELECT * FROM SMS_StatusMessage WHERE Time > "
				   "'20240501100001.000000+000'", &q, &err), 0);
	assert_false(wql_query_match(q, i));
	wql_query_free(q);
	cim_instance_free(i);
	cim_class_free(c);
}

static void test_insstr_instances(void **state)
{
	struct cim_class *c = catalog_class_new(CATALOG_STATMSG_INSSTRINGS, NS);
	struct status_message m;
	struct cim_instance *i;

	kept(&m);
	i = statmsg_insstr_instance(c, &m, 0);
	assert_non_null(i);
	assert_string_equal(cim_instance_text(i, "InsStrIndex"), "0");
	assert_string_equal(cim_instance_text(i, "InsStrValue"), "lab");
	assert_string_equal(cim_instance_text(i, "RecordID"), "42");
	cim_instance_free(i);
	i = statmsg_insstr_instance(c, &m, 1);
	assert_string_equal(cim_instance_text(i, "InsStrIndex"), "1");
	assert_string_equal(cim_instance_text(i, "InsStrValue"), "DP01.contoso.com");
	cim_instance_free(i);
	cim_class_free(c);
}

static void test_text(void **state)
{
	struct status_message m;
	char t[200];

	kept(&m);
	statmsg_text(&m, t, sizeof(t));
	assert_string_equal(t, "lab enabled maintenance mode on distribution "
			    "point DP01.contoso.com.");
	m.message_id = STATMSG_DP_MAINTENANCE_DISABLED;
	statmsg_text(&m, t, sizeof(t));
	assert_string_equal(t, "lab disabled maintenance mode on distribution "
			    "point DP01.contoso.com.");
	m.nins = 1;	/* a message missing its %2 says so */
	statmsg_text(&m, t, sizeof(t));
	assert_string_equal(t, "lab disabled maintenance mode on distribution "
			    "point ?.");
	m.message_id = 30000;
	m.nins = 2;
	statmsg_text(&m, t, sizeof(t));
	assert_string_equal(t, "Status message 30000: lab, DP01.contoso.com");
	m.nins = 0;
	statmsg_text(&m, t, sizeof(t));
	assert_string_equal(t, "Status message 30000");
	m.nins = 2;
	statmsg_text(&m, t, 20);	/* cut, never past the buffer */
	assert_string_equal(t, "Status message 3000");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_change_content),
		cmocka_unit_test(test_time_text),
		cmocka_unit_test(test_instance),
		cmocka_unit_test(test_insstr_instances),
		cmocka_unit_test(test_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
