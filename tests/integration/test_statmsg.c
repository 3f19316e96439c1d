/* Status messages end to end (issue 13, item 6): a maintenance change
 * over WS-Man (or the dashboard) writes 40411 or 40412, read back over
 * WS-Man as SMS_StatusMessage and SMS_StatMsgInsStrings by Enumerate,
 * WQL and Get, byte for byte; a reset, a site's removal and a snapshot
 * restore take them along; a restart keeps them; the bound trims the
 * oldest; a caller sees none about a DP outside their scopes. Each test
 * starts its own dpsim (harness.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <jansson.h>
#include <libxml/parser.h>

#include "harness.h"

#define ACT_GET "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
#define ACT_ENUM "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
#define DPINFO_URI WMI_NS "/SMS_DistributionPointInfo"
#define STATMSG_URI WMI_NS "/SMS_StatusMessage"
#define INSSTR_URI WMI_NS "/SMS_StatMsgInsStrings"
#define DP03_NAL "[\"Display=\\\\DP03.branch.contoso.com\\\"]MSWNET:" \
	"[\"SMS_SITE=PS1\"]\\\\DP03.branch.contoso.com\\"
#define STATMSG_ITEM "//w:Items/*[local-name()='SMS_StatusMessage']"
#define INSSTR_ITEM "//w:Items/*[local-name()='SMS_StatMsgInsStrings']"

static struct http_reply post_as(struct dpsim_proc *p, const char *user,
				 const char *body)
{
	struct http_reply r;

	assert_int_equal(http_post(p->url, user, user, NULL, body, strlen(body),
				   &r), 0);
	return r;
}

static long long wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* SetDPMaintenanceMode as user (password = user name, as in the lab):
 * the HTTP status, with ReturnValue 0 asserted on 200. */
static long set_mode(struct dpsim_proc *p, const char *user, const char *nal,
		     const char *mode)
{
	char *body = NULL, *env, *rv;
	struct http_reply r;
	long status;

	assert_true(asprintf(&body, "<p:SetDPMaintenanceMode_INPUT xmlns:p=\""
			     DPINFO_URI "\"><p:NALPath>%s</p:NALPath><p:Mode>%s"
			     "</p:Mode></p:SetDPMaintenanceMode_INPUT>", nal,
			     mode) > 0);
	env = envelope(DPINFO_URI "/SetDPMaintenanceMode", DPINFO_URI, NULL,
		       body);
	r = post_as(p, user, env);
	status = r.status;
	if (status == 200) {
		rv = xpath_text(r.body, "//*[local-name()='ReturnValue']");
		assert_non_null(rv);
		assert_string_equal(rv, "0");
		free(rv);
	}
	http_reply_free(&r);
	free(body);
	free(env);
	return status;
}

/* A WQL Enumerate as user, everything in the first answer; the reply
 * (200 asserted) is the caller's to free. */
static struct http_reply wql_as(struct dpsim_proc *p, const char *user,
				const char *query)
{
	char *body = NULL, *env;
	struct http_reply r;

	assert_true(asprintf(&body, "<n:Enumerate><w:OptimizeEnumeration/>"
			     "<w:MaxElements>32000</w:MaxElements><w:Filter "
			     "Dialect=\"http://schemas.microsoft.com/wbem/wsman/"
			     "1/WQL\">%s</w:Filter></n:Enumerate>", query) > 0);
	env = envelope(ACT_ENUM, WMI_NS "/*", NULL, body);
	r = post_as(p, user, env);
	free(body);
	free(env);
	if (r.status != 200)
		fail_msg("WQL %s as %s: HTTP %ld %s", query, user, r.status, r.body);
	assert_non_null(strstr(r.body, "<w:EndOfSequence/>"));
	return r;
}

static int count_as(struct dpsim_proc *p, const char *user, const char *query,
		    const char *item)
{
	struct http_reply r = wql_as(p, user, query);
	int n = xpath_count(r.body, item);

	http_reply_free(&r);
	return n;
}

static int messages(struct dpsim_proc *p)
{
	return count_as(p, "lab", "SELECT * FROM SMS_StatusMessage", STATMSG_ITEM);
}

/* The bytes of one SMS_StatusMessage as dpsim writes a maintenance
 * change, from MessageID to ProcessID and from RecordID to SiteCode (the
 * ThreadID and Time between are checked on their own). */
static void assert_message_bytes(const struct dpsim_proc *p, const char *body,
				 unsigned id, long long record)
{
	char want[1024];

	snprintf(want, sizeof(want),
		 "<p:Component>SMS Provider</p:Component>"
		 "<p:MachineName>CM01.contoso.com</p:MachineName>"
		 "<p:MessageID>%u</p:MessageID>"
		 "<p:MessageType>768</p:MessageType>"
		 "<p:ModuleName>SMS Provider</p:ModuleName>"
		 "<p:PerClient>0</p:PerClient>"
		 "<p:ProcessID>%ld</p:ProcessID>"
		 "<p:RecordID>%lld</p:RecordID>"
		 "<p:ReportFunction>0</p:ReportFunction>"
		 "<p:Severity>1073741824</p:Severity>"
		 "<p:SiteCode>PS1</p:SiteCode>"
		 "<p:SuccessfulTransaction>0</p:SuccessfulTransaction>"
		 "<p:ThreadID>", id, (long)p->pid, record);
	if (!strstr(body, want))
		fail_msg("the answer lacks\n%s\n in\n%s", want, body);
	assert_non_null(strstr(body, "</p:ThreadID><p:Time><cim:Datetime>"));
	assert_non_null(strstr(body, "Z</cim:Datetime></p:Time>"
			       "<p:TopLevelSiteCode>PS1</p:TopLevelSiteCode>"
			       "<p:Transaction>0</p:Transaction>"
			       "<p:Win32Error>0</p:Win32Error>"
			       "</p:SMS_StatusMessage>"));
}

/* The Time of the first message in body, as Unix ms: UTC, milliseconds
 * written as microseconds ("2024-05-01T10:00:00.123000Z"). */
static long long message_time_ms(const char *body)
{
	char *t = xpath_text(body, "//*[local-name()='Time']/*[local-name()='Datetime']");
	struct tm tm = { 0 };
	int ms = -1, us = -1, n = 0;

	assert_non_null(t);
	assert_int_equal(strlen(t), 27);
	assert_int_equal(sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d.%3d%3dZ%n",
				&tm.tm_year, &tm.tm_mon, &tm.tm_mday,
				&tm.tm_hour, &tm.tm_min, &tm.tm_sec, &ms, &us,
				&n), 8);
	assert_int_equal(n, 27);
	assert_int_equal(us, 0);
	free(t);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	return (long long)timegm(&tm) * 1000 + ms;
}

/* ---- what a change writes ------------------------------------------------- */

static void enable_writes_40411_naming_user_and_dp(void **state)
{
	struct dpsim_proc *p = *state;
	long long before, after, when;
	struct http_reply r;
	char *v;

	assert_int_equal(messages(p), 0);
	before = wall_ms();
	assert_int_equal(set_mode(p, "lab", DP01_NAL, "1"), 200);
	after = wall_ms();

	r = wql_as(p, "lab", "SELECT * FROM SMS_StatusMessage WHERE MessageID = 40411");
	assert_int_equal(xpath_count(r.body, STATMSG_ITEM), 1);
	assert_message_bytes(p, r.body, 40411, 1);
	assert_non_null(strstr(r.body, "<p:SMS_StatusMessage xmlns:p=\"" STATMSG_URI
			       "\" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
			       " xmlns:cim=\"http://schemas.dmtf.org/wbem/wscim/1/common\""
			       " xsi:type=\"p:SMS_StatusMessage_Type\">"));
	v = xpath_text(r.body, "//*[local-name()='ThreadID']");
	assert_non_null(v);
	assert_true(strtoul(v, NULL, 10) > 0);
	free(v);
	when = message_time_ms(r.body);
	assert_true(when >= before && when <= after);
	http_reply_free(&r);

	/* %1 the administrator, %2 the DP, in InsStrIndex order. */
	r = wql_as(p, "lab", "SELECT * FROM SMS_StatMsgInsStrings WHERE RecordID = 1");
	assert_int_equal(xpath_count(r.body, INSSTR_ITEM), 2);
	assert_non_null(strstr(r.body, "xsi:type=\"p:SMS_StatMsgInsStrings_Type\">"
			       "<p:InsStrIndex>0</p:InsStrIndex>"
			       "<p:InsStrValue>lab</p:InsStrValue>"
			       "<p:RecordID>1</p:RecordID></p:SMS_StatMsgInsStrings>"));
	assert_non_null(strstr(r.body, "xsi:type=\"p:SMS_StatMsgInsStrings_Type\">"
			       "<p:InsStrIndex>1</p:InsStrIndex>"
			       "<p:InsStrValue>DP01.contoso.com</p:InsStrValue>"
			       "<p:RecordID>1</p:RecordID></p:SMS_StatMsgInsStrings>"));
	assert_true(strstr(r.body, "<p:InsStrIndex>0<") < strstr(r.body, "<p:InsStrIndex>1<"));
	http_reply_free(&r);
}

static void disable_writes_40412(void **state)
{
	struct dpsim_proc *p = *state;
	struct http_reply r;

	/* The lab starts DP02 in maintenance; infra may change it too. */
	assert_int_equal(set_mode(p, "infra", DP02_NAL, "0"), 200);
	assert_int_equal(count_as(p, "lab", "SELECT * FROM SMS_StatusMessage "
				  "WHERE MessageID = 40411", STATMSG_ITEM), 0);
	r = wql_as(p, "lab", "SELECT * FROM SMS_StatusMessage WHERE MessageID = 40412");
	assert_int_equal(xpath_count(r.body, STATMSG_ITEM), 1);
	assert_message_bytes(p, r.body, 40412, 1);
	http_reply_free(&r);
	r = wql_as(p, "lab", "SELECT InsStrValue FROM SMS_StatMsgInsStrings "
		   "WHERE RecordID = 1 AND InsStrIndex = 0");
	assert_int_equal(xpath_count(r.body, INSSTR_ITEM), 1);
	assert_non_null(strstr(r.body, "<p:InsStrValue>infra</p:InsStrValue>"));
	http_reply_free(&r);
	r = wql_as(p, "lab", "SELECT * FROM SMS_StatMsgInsStrings WHERE InsStrValue "
		   "LIKE 'dp02.%'");
	assert_int_equal(xpath_count(r.body, INSSTR_ITEM), 1);
	assert_non_null(strstr(r.body, "<p:InsStrIndex>1</p:InsStrIndex>"
			       "<p:InsStrValue>DP02.contoso.com</p:InsStrValue>"));
	http_reply_free(&r);
}

/* Only a change writes one: the same mode again, a refused call and one
 * a fault rule ended write none; each change gets the next RecordID. */
static void only_changes_write_one(void **state)
{
	struct dpsim_proc *p = *state;

	assert_int_equal(set_mode(p, "lab", DP01_NAL, "1"), 200);
	assert_int_equal(set_mode(p, "lab", DP01_NAL, "1"), 200);
	assert_int_equal(set_mode(p, "lab", DP02_NAL, "1"), 200);	/* already */
	assert_int_equal(set_mode(p, "analyst", DP01_NAL, "0"), 500);
	json_decref(control_call(p, "POST", "faults", "{\"effect\": \"fault\", "
				 "\"hresult\": \"WBEM_E_FAILED\", \"times\": 1, "
				 "\"method\": \"SetDP*\"}", 201));
	assert_int_equal(set_mode(p, "lab", DP01_NAL, "0"), 500);
	assert_int_equal(messages(p), 1);
	assert_int_equal(set_mode(p, "lab", DP01_NAL, "0"), 200);
	assert_int_equal(messages(p), 2);
	assert_int_equal(count_as(p, "lab", "SELECT * FROM SMS_StatusMessage WHERE "
				  "RecordID = 2 AND MessageID = 40412",
				  STATMSG_ITEM), 1);
	/* A plain Enumerate of the class reads them too, oldest first. */
	char *env = envelope(ACT_ENUM, STATMSG_URI, NULL, "<n:Enumerate>"
			     "<w:OptimizeEnumeration/><w:MaxElements>10"
			     "</w:MaxElements></n:Enumerate>");
	struct http_reply r = post_as(p, "lab", env);
	assert_int_equal(r.status, 200);
	assert_int_equal(xpath_count(r.body, STATMSG_ITEM), 2);
	assert_true(strstr(r.body, "<p:MessageID>40411<") <
		    strstr(r.body, "<p:MessageID>40412<"));
	http_reply_free(&r);
	free(env);
}

/* ---- Get by key ------------------------------------------------------------ */

static void get_by_record_id(void **state)
{
	struct dpsim_proc *p = *state;
	struct http_reply r;
	char *env, *v;

	assert_int_equal(set_mode(p, "lab", DP01_NAL, "1"), 200);
	assert_int_equal(set_mode(p, "lab", DP01_NAL, "0"), 200);
	env = envelope(ACT_GET, STATMSG_URI,
		       "<w:Selector Name=\"RecordID\">2</w:Selector>", NULL);
	r = post_as(p, "lab", env);
	assert_int_equal(r.status, 200);
	assert_message_bytes(p, r.body, 40412, 2);
	http_reply_free(&r);
	free(env);

	env = envelope(ACT_GET, INSSTR_URI,
		       "<w:Selector Name=\"RecordID\">1</w:Selector>"
		       "<w:Selector Name=\"InsStrIndex\">1</w:Selector>", NULL);
	r = post_as(p, "lab", env);
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.body, "<p:InsStrIndex>1</p:InsStrIndex>"
			       "<p:InsStrValue>DP01.contoso.com</p:InsStrValue>"
			       "<p:RecordID>1</p:RecordID>"));
	http_reply_free(&r);
	free(env);

	env = envelope(ACT_GET, STATMSG_URI,
		       "<w:Selector Name=\"RecordID\">3</w:Selector>", NULL);
	r = post_as(p, "lab", env);
	assert_int_equal(r.status, 500);
	v = xpath_text(r.body, "//f:WSManFault/@Code");
	assert_non_null(v);
	assert_string_equal(v, "2147749890");	/* WBEM_E_NOT_FOUND */
	free(v);
	http_reply_free(&r);
	free(env);
}

/* ---- reset, sites, snapshots, restart ---------------------------------------- */

static void reset_clears_them(void **state)
{
	struct dpsim_proc *p = *state;

	assert_int_equal(set_mode(p, "lab", DP01_NAL, "1"), 200);
	assert_int_equal(set_mode(p, "lab", DP02_NAL, "0"), 200);
	assert_int_equal(messages(p), 2);
	json_decref(control_call(p, "POST", "reset?site=PS1", NULL, 200));
	assert_int_equal(messages(p), 0);
	assert_int_equal(count_as(p, "lab", "SELECT * FROM SMS_StatMsgInsStrings",
				  INSSTR_ITEM), 0);

	/* The whole lab: RecordIDs start at 1 again, as in a new database. */
	assert_int_equal(set_mode(p, "lab", DP01_NAL, "1"), 200);
	json_decref(control_call(p, "POST", "reset", NULL, 200));
	assert_int_equal(messages(p), 0);
	assert_int_equal(set_mode(p, "lab", DP01_NAL, "1"), 200);
	assert_int_equal(count_as(p, "lab", "SELECT * FROM SMS_StatusMessage "
				  "WHERE RecordID = 1", STATMSG_ITEM), 1);
}

/* Each site has its own in its own namespace; removing a site removes
 * them, and a site of that code added again starts with none. */
static void sites_keep_their_own(void **state)
{
	struct dpsim_proc *p = *state;
	const char *h[] = { "Content-Type: application/xml", NULL };
	const char *t01 = "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_T01";
	char url[300], *lab, *body = NULL, *env;
	struct http_reply r;
	size_t len;

	lab = read_file(SOURCE_ROOT "/fixtures/lab.xml", &len);
	dpsim_base(p, url, sizeof(url));
	snprintf(url + strlen(url), sizeof(url) - strlen(url),
		 "/_dpsim/sites?code=T01");
	for (int round = 0; round < 2; round++) {
		assert_int_equal(http_request("POST", url, h, lab, len, &r), 0);
		assert_int_equal(r.status, 201);
		http_reply_free(&r);

		assert_true(asprintf(&body, "<n:Enumerate><w:OptimizeEnumeration/>"
				     "<w:MaxElements>100</w:MaxElements><w:Filter "
				     "Dialect=\"http://schemas.microsoft.com/wbem/wsman/"
				     "1/WQL\">SELECT * FROM SMS_StatusMessage</w:Filter>"
				     "</n:Enumerate>") > 0);
		char sel_uri[200];
		snprintf(sel_uri, sizeof(sel_uri), "%s/*", t01);
		env = envelope(ACT_ENUM, sel_uri, NULL, body);
		r = post_as(p, "lab", env);
		assert_int_equal(r.status, 200);
		assert_int_equal(xpath_count(r.body, STATMSG_ITEM), 0);
		http_reply_free(&r);

		/* A change in T01 is T01's message. */
		char *inv = NULL, *nal = "[\"Display=\\\\DP01.contoso.com\\\"]MSWNET:"
			"[\"SMS_SITE=T01\"]\\\\DP01.contoso.com\\";
		char info[200], action[260];
		snprintf(info, sizeof(info), "%s/SMS_DistributionPointInfo", t01);
		snprintf(action, sizeof(action), "%s/SetDPMaintenanceMode", info);
		assert_true(asprintf(&inv, "<p:SetDPMaintenanceMode_INPUT xmlns:p=\"%s\">"
				     "<p:NALPath>%s</p:NALPath><p:Mode>1</p:Mode>"
				     "</p:SetDPMaintenanceMode_INPUT>", info, nal) > 0);
		char *ienv = envelope(action, info, NULL, inv);
		r = post_as(p, "lab", ienv);
		assert_int_equal(r.status, 200);
		http_reply_free(&r);
		r = post_as(p, "lab", env);
		assert_int_equal(xpath_count(r.body, STATMSG_ITEM), 1);
		assert_non_null(strstr(r.body, "<p:SiteCode>T01</p:SiteCode>"));
		http_reply_free(&r);
		assert_int_equal(messages(p), 0);	/* PS1 has none */
		free(inv);
		free(ienv);
		free(env);
		free(body);
		body = NULL;

		json_decref(control_call(p, "DELETE", "sites/T01", NULL, 200));
	}
	free(lab);
}

static void snapshot_restore_brings_them_back(void **state)
{
	struct dpsim_proc *p = *state;

	assert_int_equal(set_mode(p, "lab", DP01_NAL, "1"), 200);
	json_decref(control_call(p, "POST", "snapshots", "{\"name\": \"one\"}", 201));
	assert_int_equal(set_mode(p, "lab", DP01_NAL, "0"), 200);
	assert_int_equal(messages(p), 2);
	json_decref(control_call(p, "POST", "snapshots/one/restore", NULL, 200));
	assert_int_equal(messages(p), 1);
	assert_int_equal(count_as(p, "lab", "SELECT * FROM SMS_StatMsgInsStrings "
				  "WHERE RecordID = 1", INSSTR_ITEM), 2);
}

static void restart_keeps_them(void **state)
{
	struct dpsim_proc *p = *state;
	const char *args[] = { "--db", p->db, NULL };
	struct http_reply r;
	char *first;

	assert_int_equal(dpsim_start(p, args), 0);
	assert_int_equal(set_mode(p, "lab", DP01_NAL, "1"), 200);
	r = wql_as(p, "lab", "SELECT * FROM SMS_StatusMessage");
	first = strdup(strstr(r.body, "<p:SMS_StatusMessage "));
	http_reply_free(&r);
	long pid = (long)p->pid;
	assert_int_equal(dpsim_stop(p), 0);

	assert_int_equal(dpsim_start(p, args), 0);
	r = wql_as(p, "lab", "SELECT * FROM SMS_StatusMessage");
	assert_int_equal(xpath_count(r.body, STATMSG_ITEM), 1);
	/* The same message, ProcessID of the dpsim that wrote it. */
	char *again = strstr(r.body, "<p:SMS_StatusMessage ");
	assert_non_null(again);
	assert_memory_equal(first, again, strlen(first) - strlen(strstr(first, "</w:Items>")));
	char want[64];
	snprintf(want, sizeof(want), "<p:ProcessID>%ld</p:ProcessID>", pid);
	assert_non_null(strstr(r.body, want));
	http_reply_free(&r);
	free(first);
	assert_int_equal(set_mode(p, "lab", DP01_NAL, "0"), 200);
	assert_int_equal(count_as(p, "lab", "SELECT * FROM SMS_StatusMessage "
				  "WHERE RecordID = 2 AND MessageID = 40412",
				  STATMSG_ITEM), 1);
	assert_int_equal(dpsim_stop(p), 0);
}

/* ---- the bound and the scopes ------------------------------------------------ */

static int start_bounded(void **state)
{
	static const char *const args[] = { "--status-messages-max", "2", NULL };

	return harness_start_with(state, args);
}

static void bound_drops_the_oldest(void **state)
{
	struct dpsim_proc *p = *state;

	assert_int_equal(set_mode(p, "lab", DP01_NAL, "1"), 200);
	assert_int_equal(set_mode(p, "lab", DP01_NAL, "0"), 200);
	assert_int_equal(set_mode(p, "lab", DP02_NAL, "0"), 200);
	assert_int_equal(messages(p), 2);
	assert_int_equal(count_as(p, "lab", "SELECT * FROM SMS_StatusMessage "
				  "WHERE RecordID = 1", STATMSG_ITEM), 0);
	assert_int_equal(count_as(p, "lab", "SELECT * FROM SMS_StatusMessage "
				  "WHERE RecordID = 3", STATMSG_ITEM), 1);
	/* Its insertion strings went with it. */
	assert_int_equal(count_as(p, "lab", "SELECT * FROM SMS_StatMsgInsStrings",
				  INSSTR_ITEM), 4);
	assert_int_equal(count_as(p, "lab", "SELECT * FROM SMS_StatMsgInsStrings "
				  "WHERE RecordID = 1", INSSTR_ITEM), 0);
}

/* A message about a DP outside the caller's scopes is hidden, as the DP
 * is; Read-only Analyst (scope All) reads them all. */
static void scopes_hide_other_dps_messages(void **state)
{
	struct dpsim_proc *p = *state;

	assert_int_equal(set_mode(p, "lab", DP01_NAL, "1"), 200);
	assert_int_equal(set_mode(p, "branch", DP03_NAL, "1"), 200);
	assert_int_equal(count_as(p, "analyst", "SELECT * FROM SMS_StatusMessage",
				  STATMSG_ITEM), 2);
	struct http_reply r = wql_as(p, "branch", "SELECT * FROM SMS_StatusMessage");
	assert_int_equal(xpath_count(r.body, STATMSG_ITEM), 1);
	assert_non_null(strstr(r.body, "<p:RecordID>2</p:RecordID>"));
	http_reply_free(&r);
	r = wql_as(p, "branch", "SELECT * FROM SMS_StatMsgInsStrings");
	assert_int_equal(xpath_count(r.body, INSSTR_ITEM), 2);
	assert_non_null(strstr(r.body, "<p:InsStrValue>branch</p:InsStrValue>"));
	assert_null(strstr(r.body, "DP01"));
	http_reply_free(&r);
}

/* ---- the dashboard -------------------------------------------------------- */

static void dashboard_change_and_feed(void **state)
{
	struct dpsim_proc *p = *state;
	const char *h[] = { "Authorization: Basic bGFiOmxhYg==",	/* lab:lab */
			    "Content-Type: application/json", NULL };
	char base[200], url[300], body[600];
	struct http_reply r;
	json_error_t jerr;
	json_t *v, *sm, *e;

	dpsim_base(p, base, sizeof(base));
	snprintf(url, sizeof(url), "%s/dashboard/api/mode", base);
	json_t *req = json_pack("{s:s, s:s, s:i}", "site", "PS1", "nalpath",
				DP02_NAL, "mode", 0);
	char *text = json_dumps(req, 0);
	snprintf(body, sizeof(body), "%s", text);
	free(text);
	json_decref(req);
	assert_int_equal(http_request("POST", url, h, body, strlen(body), &r), 0);
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	assert_int_equal(set_mode(p, "lab", DP01_NAL, "1"), 200);

	snprintf(url, sizeof(url), "%s/dashboard/api/view?site=PS1", base);
	assert_int_equal(http_request("GET", url, h, NULL, 0, &r), 0);
	assert_int_equal(r.status, 200);
	v = json_loads(r.body, 0, &jerr);
	assert_non_null(v);
	sm = json_object_get(v, "status_messages");
	assert_int_equal(json_integer_value(json_object_get(sm, "kept")), 2);
	assert_int_equal(json_array_size(json_object_get(sm, "entries")), 2);
	e = json_array_get(json_object_get(sm, "entries"), 0);	/* oldest */
	assert_int_equal(json_integer_value(json_object_get(e, "record_id")), 1);
	assert_int_equal(json_integer_value(json_object_get(e, "message_id")), 40412);
	assert_string_equal(json_string_value(json_object_get(e, "severity")),
			    "informational");
	assert_string_equal(json_string_value(json_object_get(e, "component")),
			    "SMS Provider");
	assert_string_equal(json_string_value(json_object_get(e, "text")),
			    "lab disabled maintenance mode on distribution point "
			    "DP02.contoso.com.");
	e = json_array_get(json_object_get(sm, "entries"), 1);
	assert_int_equal(json_integer_value(json_object_get(e, "message_id")), 40411);
	assert_string_equal(json_string_value(json_array_get(
		json_object_get(e, "insertion_strings"), 1)), "DP01.contoso.com");
	json_decref(v);
	http_reply_free(&r);
}

#define WITH_DPSIM(f) cmocka_unit_test_setup_teardown(f, harness_start, harness_stop)

int main(void)
{
	const struct CMUnitTest tests[] = {
		WITH_DPSIM(enable_writes_40411_naming_user_and_dp),
		WITH_DPSIM(disable_writes_40412),
		WITH_DPSIM(only_changes_write_one),
		WITH_DPSIM(get_by_record_id),
		WITH_DPSIM(reset_clears_them),
		WITH_DPSIM(sites_keep_their_own),
		WITH_DPSIM(snapshot_restore_brings_them_back),
		cmocka_unit_test_setup_teardown(restart_keeps_them, harness_prepare,
						harness_cleanup),
		cmocka_unit_test_setup_teardown(bound_drops_the_oldest, start_bounded,
						harness_stop),
		WITH_DPSIM(scopes_hide_other_dps_messages),
		WITH_DPSIM(dashboard_change_and_feed),
	};

	curl_global_init(CURL_GLOBAL_ALL);
	xmlInitParser();
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	curl_global_cleanup();
	return rc;
}
