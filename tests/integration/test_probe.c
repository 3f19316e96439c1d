/* dpsim --probe against a real dpsim (the container image's health
 * check), the environment's DPSIM_<OPTION> settings on the real binary,
 * and --fixture-dir (the image's fixture directory). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"

/* Runs dpsim with args (NULL-terminated) and env; its status, stdout and
 * stderr. */
static int run_dpsim(const char *const *args, const char *const *env,
		     char **out, char **err)
{
	const char *argv[16] = { DPSIM_BIN };
	int n = 1;

	for (; *args; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	return run_program(argv, env, out, err);
}

/* err is exactly one line, and holds want. */
static void one_line_with(const char *err, const char *want)
{
	if (!strstr(err, want))
		fail_msg("stderr '%s' lacks '%s'", err, want);
	assert_ptr_equal(strchr(err, '\n'), err + strlen(err) - 1);
}

static void probe_ready_and_not(void **state)
{
	struct dpsim_proc *p = *state;
	char base[128], url[256], listen_env[160], *out, *err;

	assert_int_equal(dpsim_start(p, (const char *[]){ NULL }), 0);
	dpsim_base(p, base, sizeof(base));

	/* Ready: exit 0, nothing said. */
	snprintf(url, sizeof(url), "%s/_dpsim/health", base);
	assert_int_equal(run_dpsim((const char *[]){ "--probe", url, NULL },
				   NULL, &out, &err), 0);
	assert_string_equal(out, "");
	assert_string_equal(err, "");
	free(out);
	free(err);

	/* A path is probed on the --listen address, here from the
	 * environment as in the image. */
	snprintf(listen_env, sizeof(listen_env), "DPSIM_LISTEN=%s", base + 7);
	assert_int_equal(run_dpsim((const char *[]){ "--probe", "/_dpsim/health",
						     NULL },
				   (const char *[]){ listen_env, NULL }, &out, &err), 0);
	assert_string_equal(err, "");
	free(out);
	free(err);

	/* A route that answers, but not as the health route does. */
	snprintf(url, sizeof(url), "%s/wsman", base);
	assert_int_equal(run_dpsim((const char *[]){ "--probe", url, NULL },
				   NULL, &out, &err), 1);
	one_line_with(err, "not ready: HTTP 405, and the body is not a JSON "
		      "object with a status");
	free(out);
	free(err);

	/* The health route while dpsim is stopping says so: the probe
	 * passes the status on. Stopped: the connection is refused. */
	assert_int_equal(dpsim_stop(p), 0);
	snprintf(url, sizeof(url), "%s/_dpsim/health", base);
	assert_int_equal(run_dpsim((const char *[]){ "--probe", url, NULL },
				   NULL, &out, &err), 1);
	one_line_with(err, "not ready: cannot connect to 127.0.0.1 port ");
	assert_non_null(strstr(err, "Connection refused"));
	free(out);
	free(err);
}

/* A wrong target is a usage error (2), said in one line. */
static void probe_bad_targets(void **unused)
{
	static const struct { const char *args[5]; const char *want; } cases[] = {
		{ { "--probe", "https://127.0.0.1:5986/_dpsim/health" },
		  "--probe speaks plain HTTP only" },
		{ { "--probe", "health" }, "neither an http:// URL nor a path" },
		{ { "--probe", "/_dpsim/health", "--listen", "127.0.0.1:0" },
		  "picks a free port, so the probe cannot know it" },
		{ { "--probe", "" }, "--probe needs a non-empty value" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *out, *err;

		assert_int_equal(run_dpsim(cases[i].args, NULL, &out, &err), 2);
		one_line_with(err, cases[i].want);
		free(out);
		free(err);
	}
	/* Not an http answer at all, from a URL that parses: refused
	 * connection on a port nothing listens on is covered above; a
	 * malformed authority is named. */
	char *out, *err;
	assert_int_equal(run_dpsim((const char *[]){ "--probe", "http://[::1/x",
						     NULL }, NULL, &out, &err), 1);
	one_line_with(err, "is not an http://HOST[:PORT]/PATH URL");
	free(out);
	free(err);
}

static void write_fixture(const char *path, const char *code, const char *dp)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "<?xml version=\"1.0\"?>\n"
		"<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n"
		"  <users><user name=\"u%s\" password=\"p\" role=\"Full Administrator\"/></users>\n"
		"  <site code=\"%s\" name=\"Dir\" provider=\"CM01.dir.test\">\n"
		"    <dp fqdn=\"%s\" kind=\"standard\" maintenance=\"1\"/>\n"
		"  </site>\n</dpsim-fixture>\n", code, code, dp);
	assert_int_equal(fclose(f), 0);
}

/* The sites of dpsim's GET state, "CODE:DP,CODE:DP". */
static void served(struct dpsim_proc *p, char *out, size_t size)
{
	json_t *j = control_call(p, "GET", "state", NULL, 200), *site;
	size_t i, k, n = 0;

	out[0] = '\0';
	json_array_foreach(json_object_get(j, "sites"), i, site) {
		json_t *dp;
		json_array_foreach(json_object_get(site, "dps"), k, dp)
			n += (size_t)snprintf(out + n, size - n, "%s%s:%s",
				n ? "," : "",
				json_string_value(json_object_get(site, "code")),
				json_string_value(json_object_get(dp, "name")));
	}
	json_decref(j);
}

/* --fixture-dir (here DPSIM_FIXTURE_DIR, as the image sets it): its *.xml
 * files in name order, after any --fixture; hidden files and other
 * names skipped; empty, the bundled lab; missing, an error naming it. */
static void fixture_dir(void **state)
{
	struct dpsim_proc *p = *state;
	char dir[400], path[500], env[500], got[512];

	snprintf(dir, sizeof(dir), "%s/fixtures", p->dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(env, sizeof(env), "DPSIM_FIXTURE_DIR=%s", dir);
	assert_int_equal(setenv("DPSIM_FIXTURE_DIR", dir, 1), 0);

	/* Empty: the bundled lab. */
	assert_int_equal(dpsim_start(p, (const char *[]){ NULL }), 0);
	served(p, got, sizeof(got));
	assert_non_null(strstr(got, "PS1:DP01.contoso.com"));
	assert_int_equal(dpsim_stop(p), 0);

	snprintf(path, sizeof(path), "%s/b.xml", dir);
	write_fixture(path, "BBB", "DP.b.test");
	snprintf(path, sizeof(path), "%s/a.xml", dir);
	write_fixture(path, "AAA", "DP.a.test");
	snprintf(path, sizeof(path), "%s/.hidden.xml", dir);
	write_fixture(path, "HID", "DP.h.test");
	snprintf(path, sizeof(path), "%s/notes.txt", dir);
	write_fixture(path, "TXT", "DP.t.test");
	assert_int_equal(dpsim_start(p, (const char *[]){ NULL }), 0);
	served(p, got, sizeof(got));
	assert_string_equal(got, "AAA:DP.a.test,BBB:DP.b.test");
	assert_int_equal(dpsim_stop(p), 0);

	/* --fixture's files come first. */
	char first[500];
	snprintf(first, sizeof(first), "%s/first.fx", p->dir);
	write_fixture(first, "FFF", "DP.f.test");
	assert_int_equal(dpsim_start(p, (const char *[]){ "--fixture", first,
							  NULL }), 0);
	served(p, got, sizeof(got));
	assert_string_equal(got, "FFF:DP.f.test,AAA:DP.a.test,BBB:DP.b.test");
	assert_int_equal(dpsim_stop(p), 0);
	assert_int_equal(unsetenv("DPSIM_FIXTURE_DIR"), 0);

	/* Missing: named, exit 1. */
	char *out, *err;
	snprintf(env, sizeof(env), "DPSIM_FIXTURE_DIR=%s/nowhere", p->dir);
	assert_int_equal(run_dpsim((const char *[]){ "--listen", "127.0.0.1:0",
						     "--db", ":memory:", "--log-level",
						     "error", NULL },
				   (const char *[]){ env, NULL }, &out, &err), 1);
	one_line_with(err, "--fixture-dir ");
	assert_non_null(strstr(err, "/nowhere: No such file or directory"));
	free(out);
	free(err);
}

/* A bad value in the environment stops the real binary with exit 2 and
 * one line naming the variable; the command line wins over a good one. */
static void env_on_the_binary(void **state)
{
	struct dpsim_proc *p = *state;
	char *out, *err;

	assert_int_equal(run_dpsim((const char *[]){ "--db", ":memory:", NULL },
				   (const char *[]){ "DPSIM_MAX_BODY=lots", NULL },
				   &out, &err), 2);
	assert_string_equal(out, "");
	assert_string_equal(err, "dpsim: DPSIM_MAX_BODY: 'lots' is not a number "
			    "from 1 to 65536\n");
	free(out);
	free(err);

	/* DPSIM_MAX_SITES=1 and the command line's --max-sites 2: two
	 * sites may be served. */
	assert_int_equal(setenv("DPSIM_MAX_SITES", "1", 1), 0);
	assert_int_equal(setenv("DPSIM_JOURNAL_MAX", "7", 1), 0);
	assert_int_equal(dpsim_start(p, (const char *[]){ "--max-sites", "2",
							  NULL }), 0);
	unsetenv("DPSIM_MAX_SITES");
	unsetenv("DPSIM_JOURNAL_MAX");
	json_t *h = control_call(p, "GET", "health", NULL, 200);
	assert_int_equal(json_integer_value(json_object_get(h, "journal_max")), 7);
	json_decref(h);
	/* A second site is accepted (the environment's cap of 1 would
	 * refuse it with 409). */
	char url[256], *lab = read_file(SOURCE_ROOT "/fixtures/lab.xml", NULL);
	struct http_reply r;
	assert_non_null(lab);
	dpsim_base(p, url, sizeof(url));
	strncat(url, "/_dpsim/sites?code=PS2", sizeof(url) - strlen(url) - 1);
	assert_int_equal(http_request("POST", url, (const char *[]){
		"Content-Type: application/xml", NULL }, lab, strlen(lab), &r), 0);
	if (r.status != 201)
		fail_msg("POST sites: %ld %s", r.status, r.body);
	http_reply_free(&r);
	free(lab);
	assert_int_equal(dpsim_stop(p), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(probe_ready_and_not,
						harness_prepare, harness_cleanup),
		cmocka_unit_test(probe_bad_targets),
		cmocka_unit_test_setup_teardown(fixture_dir, harness_prepare,
						harness_cleanup),
		cmocka_unit_test_setup_teardown(env_on_the_binary,
						harness_prepare, harness_cleanup),
	};
	return cmocka_run_group_tests_name("probe", tests, NULL, NULL);
}
