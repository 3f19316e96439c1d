/* dpsim as a process: state survives a restart and a crash, shutdown is
 * clean, and bad start-up configuration fails with one line naming the
 * cause. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <libxml/parser.h>

#include "harness.h"

#define DPINFO_URI WMI_NS "/SMS_DistributionPointInfo"

static void set_mode(struct dpsim_proc *p, const char *nal, int mode)
{
	char *body = NULL;
	assert_true(asprintf(&body, "<p:SetDPMaintenanceMode_INPUT xmlns:p=\"%s\"><p:NALPath>%s"
			     "</p:NALPath><p:Mode>%d</p:Mode></p:SetDPMaintenanceMode_INPUT>",
			     DPINFO_URI, nal, mode) > 0);
	char *env = envelope(DPINFO_URI "/SetDPMaintenanceMode", DPINFO_URI, NULL, body);
	struct http_reply r;
	assert_int_equal(http_post(p->url, "lab", "lab", NULL, env, strlen(env), &r), 0);
	assert_int_equal(r.status, 200);
	char *rv = xpath_text(r.body, "//*[local-name()='ReturnValue']");
	assert_string_equal(rv, "0");
	free(rv);
	http_reply_free(&r);
	free(env);
	free(body);
}

static long get_mode(struct dpsim_proc *p, const char *fqdn)
{
	char *body = NULL;
	assert_true(asprintf(&body, "<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>10"
			     "</w:MaxElements><w:Filter Dialect=\"http://schemas.microsoft.com/wbem/"
			     "wsman/1/WQL\">SELECT MaintenanceMode FROM SMS_DistributionPointInfo "
			     "WHERE Name = '%s'</w:Filter></n:Enumerate>", fqdn) > 0);
	char *env = envelope("http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate",
			     WMI_NS "/*", NULL, body);
	struct http_reply r;
	assert_int_equal(http_post(p->url, "lab", "lab", NULL, env, strlen(env), &r), 0);
	assert_int_equal(r.status, 200);
	char *m = xpath_text(r.body, "//*[local-name()='MaintenanceMode']");
	assert_non_null(m);
	long v = strtol(m, NULL, 10);
	free(m);
	http_reply_free(&r);
	free(env);
	free(body);
	return v;
}

static void state_survives_restart(void **unused)
{
	struct dpsim_proc p;
	dpsim_prepare(&p);
	const char *args[] = { "--db", p.db, NULL };

	assert_int_equal(dpsim_start(&p, args), 0);
	assert_int_equal(get_mode(&p, "DP01.contoso.com"), 0);
	assert_int_equal(get_mode(&p, "DP02.contoso.com"), 1);
	set_mode(&p, DP01_NAL, 1);
	set_mode(&p, DP02_NAL, 0);
	assert_int_equal(dpsim_stop(&p), 0);	/* SIGTERM: clean exit */

	/* The fixture says DP01=0, DP02=1; the database wins on restart. */
	assert_int_equal(dpsim_start(&p, args), 0);
	assert_int_equal(get_mode(&p, "DP01.contoso.com"), 1);
	assert_int_equal(get_mode(&p, "DP02.contoso.com"), 0);
	assert_int_equal(dpsim_stop(&p), 0);
	dpsim_cleanup(&p);
}

static void acknowledged_changes_survive_sigkill(void **unused)
{
	struct dpsim_proc p;
	dpsim_prepare(&p);
	const char *args[] = { "--db", p.db, NULL };

	assert_int_equal(dpsim_start(&p, args), 0);
	for (int i = 0; i < 25; i++) {
		set_mode(&p, DP01_NAL, i % 2);
		set_mode(&p, DP02_NAL, (i + 1) % 2);
	}
	dpsim_kill(&p);		/* no chance to checkpoint or close */

	assert_int_equal(dpsim_start(&p, args), 0);
	assert_int_equal(get_mode(&p, "DP01.contoso.com"), 0);	/* last write: i=24 -> 0 */
	assert_int_equal(get_mode(&p, "DP02.contoso.com"), 1);
	assert_int_equal(dpsim_stop(&p), 0);
	dpsim_cleanup(&p);
}

/* Runs dpsim with args expecting a failed start; returns its stderr. */
static char *failed_start(const char *const *extra, int want_status)
{
	const char *argv[16] = { DPSIM_BIN, "--listen", "127.0.0.1:0", "--db", ":memory:" };
	int n = 5;
	for (; *extra; extra++)
		argv[n++] = *extra;
	argv[n] = NULL;
	char *out, *err;
	int st = run_program(argv, NULL, &out, &err);
	assert_int_equal(st, want_status);
	assert_null(strstr(out, "dpsim ready"));
	free(out);
	return err;
}

static void bad_configuration_fails_with_a_reason(void **unused)
{
	struct dpsim_proc p;
	dpsim_prepare(&p);
	char path[400], *err;

	/* Unreadable fixture. */
	snprintf(path, sizeof(path), "%s/missing.xml", p.dir);
	const char *a1[] = { "--fixture", path, NULL };
	err = failed_start(a1, 1);
	assert_non_null(strstr(err, "missing.xml"));
	free(err);

	/* Schema violation: file and line named. */
	snprintf(path, sizeof(path), "%s/bad.xml", p.dir);
	FILE *f = fopen(path, "w");
	fputs("<?xml version=\"1.0\"?>\n<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n"
	      "  <site code=\"PS1\" name=\"x\" provider=\"CM01.contoso.com\">\n"
	      "    <dp fqdn=\"DP01.contoso.com\" kind=\"standard\" maintenance=\"7\"/>\n"
	      "  </site>\n</dpsim-fixture>\n", f);
	fclose(f);
	const char *a2[] = { "--fixture", path, NULL };
	err = failed_start(a2, 1);
	assert_non_null(strstr(err, "bad.xml:4"));
	free(err);

	/* Port in use. */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(listen(fd, 1), 0);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	char listen_at[64];
	snprintf(listen_at, sizeof(listen_at), "127.0.0.1:%u", ntohs(sa.sin_port));
	const char *a3[] = { "--listen", listen_at, NULL };
	err = failed_start(a3, 1);
	assert_non_null(strstr(err, "Address already in use"));
	free(err);
	close(fd);

	/* Unwritable database path. */
	const char *a4[] = { "--db", "/nonexistent-dir/x/state.db", NULL };
	err = failed_start(a4, 1);
	assert_non_null(strstr(err, "/nonexistent-dir/x/state.db"));
	free(err);

	/* Usage errors exit 2. */
	const char *a5[] = { "--threads", "zero", NULL };
	err = failed_start(a5, 2);
	assert_non_null(strstr(err, "--threads"));
	free(err);
	const char *a6[] = { "--bogus", NULL };
	err = failed_start(a6, 2);
	assert_non_null(strstr(err, "--bogus"));
	free(err);
	dpsim_cleanup(&p);
}

/* One dpsim per database: a second one on the same file, by whatever
 * path and even on the first's own port, exits before its ready line
 * naming the first's PID; once the first has gone, by SIGTERM or by
 * SIGKILL (which leaves the lock file behind), a new one starts. */
static void second_dpsim_on_the_same_db_is_refused(void **unused)
{
	struct dpsim_proc p;
	dpsim_prepare(&p);
	const char *args[] = { "--db", p.db, NULL };
	char want[64], alias[400], lockfile[400], *err;

	assert_int_equal(dpsim_start(&p, args), 0);
	set_mode(&p, DP01_NAL, 1);
	snprintf(want, sizeof(want), "is in use by another dpsim (PID %ld,",
		 (long)p.pid);

	err = failed_start(args, 1);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, p.db));
	free(err);

	/* Another path to the same file finds the same lock. */
	snprintf(alias, sizeof(alias), "%s/alias.db", p.dir);
	assert_int_equal(symlink(p.db, alias), 0);
	const char *via_link[] = { "--db", alias, NULL };
	err = failed_start(via_link, 1);
	assert_non_null(strstr(err, want));
	free(err);

	/* Asked for the first's port too, it still names the database:
	 * the lock comes before the listeners. */
	char listen_at[64];
	snprintf(listen_at, sizeof(listen_at), "127.0.0.1:%ld",
		 strtol(strrchr(p.url, ':') + 1, NULL, 10));
	const char *same_port[] = { "--db", p.db, "--listen", listen_at, NULL };
	err = failed_start(same_port, 1);
	assert_non_null(strstr(err, want));
	assert_null(strstr(err, "Address already in use"));
	free(err);

	/* The first one was not disturbed. */
	assert_int_equal(get_mode(&p, "DP01.contoso.com"), 1);
	assert_int_equal(dpsim_stop(&p), 0);

	assert_int_equal(dpsim_start(&p, args), 0);
	assert_int_equal(get_mode(&p, "DP01.contoso.com"), 1);
	dpsim_kill(&p);

	/* The killed one's lock file names it still; the lock died with it. */
	snprintf(lockfile, sizeof(lockfile), "%s.lock", p.db);
	assert_int_equal(dpsim_start(&p, via_link), 0);
	assert_int_equal(get_mode(&p, "DP01.contoso.com"), 1);
	char *text = read_file(lockfile, NULL);
	assert_int_equal(strtol(text, NULL, 10), (long)p.pid);
	free(text);
	assert_int_equal(dpsim_stop(&p), 0);
	dpsim_cleanup(&p);
}

static void port_file_names_the_bound_port(void **unused)
{
	struct dpsim_proc p;
	dpsim_prepare(&p);
	char pf[400];
	snprintf(pf, sizeof(pf), "%s/port", p.dir);
	const char *args[] = { "--port-file", pf, NULL };
	assert_int_equal(dpsim_start(&p, args), 0);
	char *text = read_file(pf, NULL);
	char want[160];
	snprintf(want, sizeof(want), "http://127.0.0.1:%ld/wsman", strtol(text, NULL, 10));
	assert_string_equal(p.url, want);
	free(text);
	assert_int_equal(dpsim_stop(&p), 0);
	dpsim_cleanup(&p);
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
	xmlInitParser();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(state_survives_restart),
		cmocka_unit_test(acknowledged_changes_survive_sigkill),
		cmocka_unit_test(bad_configuration_fails_with_a_reason),
		cmocka_unit_test(port_file_names_the_bound_port),
		cmocka_unit_test(second_dpsim_on_the_same_db_is_refused),
	};
	int r = cmocka_run_group_tests_name("lifecycle (integration)", tests, NULL, NULL);
	xmlCleanupParser();
	curl_global_cleanup();
	return r;
}
