/* dpsim on a full disk: its database on a small tmpfs filled to the last
 * page, so SQLite really gets SQLITE_FULL. Every call is then either
 * answered as usual (and journaled) or fails with ERROR_DISK_FULL
 * (0x80070070), never an I/O error; an acknowledged change is committed;
 * the log says "disk full" once a minute at most; freeing space is
 * enough to carry on.
 *
 * Needs root for mount(2); exits 77 (skipped) when it cannot mount. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <libxml/parser.h>

#include "harness.h"

#define DPINFO_URI WMI_NS "/SMS_DistributionPointInfo"
#define DISK_FULL 0x80070070u
/* Far more calls than the filesystem's free space can journal. */
#define MAX_CALLS 20000

static char mnt[64];

/* dpsim's stderr so far, kept whole: read while calls run so that its
 * pipe never fills and stalls it. */
static char *log_text;
static size_t log_len;

static void drain_log(const struct dpsim_proc *p)
{
	char buf[4096];
	ssize_t n;

	while (p->err_fd >= 0 && (n = read(p->err_fd, buf, sizeof(buf))) > 0) {
		log_text = realloc(log_text, log_len + (size_t)n + 1);
		assert_non_null(log_text);
		memcpy(log_text + log_len, buf, (size_t)n);
		log_len += (size_t)n;
		log_text[log_len] = '\0';
	}
}

/* Fills the filesystem of dir: writes until ENOSPC, page by page. */
static void fill(const char *path)
{
	static char page[4096];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ssize_t n;

	assert_true(fd >= 0);
	do
		n = write(fd, page, sizeof(page));
	while (n > 0);
	assert_int_equal(errno, ENOSPC);
	/* Whatever a partial page left. */
	while (write(fd, page, 1) == 1)
		;
	close(fd);
}

enum outcome { OK, FULL };

/* The call's outcome: OK, or FULL when it failed with the disk-full
 * HRESULT; anything else fails the test. */
static enum outcome classify(struct http_reply *r, const char *what)
{
	if (r->status == 200)
		return OK;
	char *code = xpath_text(r->body, "//s:Detail/*[local-name()="
				"'MSFT_WmiError']/*[local-name()='error_Code']");
	char *reason = xpath_text(r->body, "/s:Envelope/s:Body/s:Fault/"
				  "s:Reason/s:Text");
	char want[16];
	snprintf(want, sizeof(want), "%u", DISK_FULL);
	if (r->status != 500 || !code || strcmp(code, want) != 0 || !reason ||
	    !strstr(reason, "There is not enough space on the disk") ||
	    strstr(reason, "Input/output error")) {
		fprintf(stderr, "--- %s response ---\n%s\n", what, r->body);
		fail_msg("%s: HTTP %ld, error_Code %s: not the disk-full fault",
			 what, r->status, code ? code : "(none)");
	}
	char msgid[32];
	snprintf(msgid, sizeof(msgid), "HRESULT 0x%08x", DISK_FULL);
	char *mid = xpath_text(r->body, "//s:Detail/*[local-name()="
			       "'MSFT_WmiError']/*[local-name()='MessageID']");
	assert_non_null(mid);
	assert_string_equal(mid, msgid);
	free(mid);
	free(code);
	free(reason);
	return FULL;
}

static enum outcome set_mode(struct dpsim_proc *p, int mode)
{
	char *body = NULL;
	assert_true(asprintf(&body, "<p:SetDPMaintenanceMode_INPUT xmlns:p=\"%s\">"
			     "<p:NALPath>%s</p:NALPath><p:Mode>%d</p:Mode>"
			     "</p:SetDPMaintenanceMode_INPUT>", DPINFO_URI,
			     DP01_NAL, mode) > 0);
	char *env = envelope(DPINFO_URI "/SetDPMaintenanceMode", DPINFO_URI,
			     NULL, body);
	struct http_reply r;
	assert_int_equal(http_post(p->url, "lab", "lab", NULL, env, strlen(env), &r), 0);
	enum outcome o = classify(&r, "Invoke");
	if (o == OK) {
		char *rv = xpath_text(r.body, "//*[local-name()='ReturnValue']");
		assert_non_null(rv);
		assert_string_equal(rv, "0");
		free(rv);
	}
	http_reply_free(&r);
	free(env);
	free(body);
	return o;
}

/* A WQL Enumerate of DP01 (a read, journaled like any call); *mode its
 * MaintenanceMode when answered. */
static enum outcome get_mode(struct dpsim_proc *p, long *mode)
{
	const char *body = "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>10"
		"</w:MaxElements><w:Filter Dialect=\"http://schemas.microsoft.com/"
		"wbem/wsman/1/WQL\">SELECT MaintenanceMode FROM "
		"SMS_DistributionPointInfo WHERE Name = 'DP01.contoso.com'"
		"</w:Filter></n:Enumerate>";
	char *env = envelope("http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate",
			     WMI_NS "/*", NULL, body);
	struct http_reply r;
	assert_int_equal(http_post(p->url, "lab", "lab", NULL, env, strlen(env), &r), 0);
	enum outcome o = classify(&r, "Enumerate");
	if (o == OK) {
		char *m = xpath_text(r.body, "//*[local-name()='MaintenanceMode']");
		assert_non_null(m);
		*mode = strtol(m, NULL, 10);
		free(m);
	}
	http_reply_free(&r);
	free(env);
	return o;
}

static int count_lines(const char *text, const char *needle)
{
	int n = 0;

	for (const char *s = text; s && (s = strstr(s, needle)); s++)
		n++;
	return n;
}

static void full_disk_answers_disk_full(void **unused)
{
	struct dpsim_proc p;
	char db[128], filler[128], want[256];
	long mode = -1, acked = 0;
	int invokes_full = 0, reads_full = 0, calls = 0;
	time_t began = time(NULL);

	dpsim_prepare(&p);
	snprintf(db, sizeof(db), "%s/state.db", mnt);
	snprintf(filler, sizeof(filler), "%s/filler", mnt);
	const char *args[] = { "--db", db, "--log-level", "warn", NULL };
	assert_int_equal(dpsim_start(&p, args), 0);
	assert_int_equal(get_mode(&p, &mode), OK);
	assert_int_equal(mode, 0);	/* the bundled lab's DP01 */

	fill(filler);
	/* Until both a change and a read have met the full disk: SQLite
	 * reuses the WAL's space for a while, so not necessarily at once. */
	while ((!invokes_full || !reads_full) && calls < MAX_CALLS) {
		int next = (int)(acked ^ 1);

		if (set_mode(&p, next) == OK)
			acked = next;
		else
			invokes_full++;
		if (get_mode(&p, &mode) == OK)
			assert_int_equal(mode, acked);
		else
			reads_full++;
		calls += 2;
		drain_log(&p);
	}
	printf("# %d calls: %d changes and %d reads met the full disk\n", calls,
	       invokes_full, reads_full);
	assert_true(invokes_full > 0);
	assert_true(reads_full > 0);
	/* More of the same, for the log's rate limit to hold back. */
	for (int i = 0; i < 10; i++) {
		int next = (int)(acked ^ 1);

		if (set_mode(&p, next) == OK)
			acked = next;
		if (get_mode(&p, &mode) == OK)
			assert_int_equal(mode, acked);
	}

	/* Space again: the next change goes through. */
	assert_int_equal(unlink(filler), 0);
	acked ^= 1;
	assert_int_equal(set_mode(&p, (int)acked), OK);
	assert_int_equal(dpsim_stop(&p), 0);
	drain_log(&p);

	/* One "disk full" line per minute at most, naming the database and
	 * counting what it did not log. */
	int lines = count_lines(log_text, "disk full:");
	int minutes = (int)((time(NULL) - began) / 60);
	if (lines < 1 || lines > 1 + minutes) {
		fprintf(stderr, "--- dpsim log ---\n%s\n", log_text ? log_text : "");
		fail_msg("%d \"disk full\" log lines in %d minute(s)", lines, minutes);
	}
	snprintf(want, sizeof(want), "store %s: disk full: ", db);
	assert_non_null(strstr(log_text, want));
	assert_non_null(strstr(log_text, "(0 more such failures not logged"));
	assert_null(strstr(log_text, "Input/output error"));

	/* Every acknowledged change was committed: a restart serves the
	 * last one. */
	assert_int_equal(dpsim_start(&p, args), 0);
	assert_int_equal(get_mode(&p, &mode), OK);
	assert_int_equal(mode, acked);
	assert_int_equal(dpsim_stop(&p), 0);
	dpsim_cleanup(&p);
	free(log_text);
	log_text = NULL;
	log_len = 0;
}

int main(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "test_diskfull: needs root to mount a small "
			"tmpfs; skipped\n");
		return 77;
	}
	snprintf(mnt, sizeof(mnt), "/tmp/dpsim-full-XXXXXX");
	if (!mkdtemp(mnt)) {
		perror("mkdtemp");
		return 1;
	}
	/* 256 KiB: room for the database and a few thousand journal rows. */
	if (mount("dpsim-full", mnt, "tmpfs", MS_NOSUID | MS_NODEV,
		  "size=256k,mode=0700") != 0) {
		fprintf(stderr, "test_diskfull: cannot mount a tmpfs on %s: %s;"
			" skipped\n", mnt, strerror(errno));
		rmdir(mnt);
		return 77;
	}
	curl_global_init(CURL_GLOBAL_ALL);
	xmlInitParser();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(full_disk_answers_disk_full),
	};
	int r = cmocka_run_group_tests_name("diskfull (integration)", tests, NULL, NULL);
	xmlCleanupParser();
	curl_global_cleanup();
	if (umount2(mnt, MNT_DETACH) != 0)
		fprintf(stderr, "test_diskfull: umount %s: %s\n", mnt, strerror(errno));
	rmdir(mnt);
	return r;
}
