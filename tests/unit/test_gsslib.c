/* Unit tests for wsman/gsslib.c: MIT GSSAPI loaded at run time.
 *
 * One program, run three times by meson (tests/unit/meson.build), since
 * a process loads the library once:
 *   test_gsslib real      the installed library: every call and name
 *                         type is there, and they are the library's own
 *   test_gsslib missing   LD_LIBRARY_PATH finds a libgssapi_krb5.so.2
 *                         that lacks a call: the message names it
 *   test_gsslib broken    it finds a file that is no library: the
 *                         message names the library and its package
 * The program links no GSSAPI itself, as dpsim does not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "gsslib.h"

/* 1.2.840.113554.1.2.1.4 and 1.2.840.113554.1.2.1.1 (RFC 2743 4.1,
 * 4.4), DER without tag and length, as gss_OID_desc holds them. */
static const char hostbased[] = "\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x04";
static const char user_name[] = "\x2a\x86\x48\x86\xf7\x12\x01\x02\x01\x01";

static void assert_oid(gss_OID o, const char *der, size_t len)
{
	assert_non_null(o);
	assert_int_equal(o->length, len);
	assert_memory_equal(o->elements, der, len);
}

static void loads_every_call(void **state)
{
	(void)state;
	char err[512] = "untouched";
	const struct gsslib *g = gsslib_load(err, sizeof(err));

	assert_non_null(g);
	assert_string_equal(err, "untouched");
#define CHECK_CALL(f) assert_non_null(g->f);
	GSSLIB_CALLS(CHECK_CALL)
#undef CHECK_CALL
	assert_oid(g->nt_hostbased_service, hostbased, sizeof(hostbased) - 1);
	assert_oid(g->nt_user_name, user_name, sizeof(user_name) - 1);
	/* Once per process: the same table, also without err. */
	assert_ptr_equal(gsslib_load(NULL, 0), g);
}

/* Calls through the table reach the library: a name imported with the
 * library's name type is shown as given, and both are released. */
static void calls_reach_the_library(void **state)
{
	(void)state;
	const struct gsslib *g = gsslib_load(NULL, 0);
	OM_uint32 minor = 0;
	gss_buffer_desc in = { strlen("HTTP@dpsimhost"), (void *)"HTTP@dpsimhost" };
	gss_buffer_desc shown = GSS_C_EMPTY_BUFFER;
	gss_name_t name = GSS_C_NO_NAME;

	assert_non_null(g);
	assert_int_equal(g->gss_import_name(&minor, &in, g->nt_hostbased_service,
					    &name), GSS_S_COMPLETE);
	assert_int_equal(g->gss_display_name(&minor, name, &shown, NULL),
			 GSS_S_COMPLETE);
	assert_int_equal(shown.length, in.length);
	assert_memory_equal(shown.value, in.value, in.length);
	assert_int_equal(g->gss_release_buffer(&minor, &shown), GSS_S_COMPLETE);
	assert_int_equal(g->gss_release_name(&minor, &name), GSS_S_COMPLETE);
}

/* The same failure at every call, and only with err does it say so. */
static void refuses(const char *expected)
{
	char err[512] = "", again[512] = "";

	assert_null(gsslib_load(err, sizeof(err)));
	if (!strstr(err, expected))
		fail_msg("expected \"%s\" in \"%s\"", expected, err);
	assert_null(gsslib_load(again, sizeof(again)));
	assert_string_equal(again, err);
	assert_null(gsslib_load(NULL, 0));
	/* A short buffer holds the start of the line, terminated. */
	char small[16];
	assert_null(gsslib_load(small, sizeof(small)));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, err, sizeof(small) - 1);
}

static void missing_call_is_named(void **state)
{
	(void)state;
	/* The fake has the table's first call, not its second. */
	refuses("libgssapi_krb5.so.2 has no gss_acquire_cred_from (MIT "
		"GSSAPI 1.11 and later have it)");
}

static void unloadable_library_is_named(void **state)
{
	(void)state;
	refuses("cannot load MIT GSSAPI (libgssapi_krb5.so.2, Debian package "
		"libgssapi-krb5-2): ");
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "real";
	const struct CMUnitTest real[] = {
		cmocka_unit_test(loads_every_call),
		cmocka_unit_test(calls_reach_the_library),
	};
	const struct CMUnitTest missing[] = {
		cmocka_unit_test(missing_call_is_named),
	};
	const struct CMUnitTest broken[] = {
		cmocka_unit_test(unloadable_library_is_named),
	};

	if (!strcmp(mode, "real"))
		return cmocka_run_group_tests(real, NULL, NULL);
	if (!strcmp(mode, "missing"))
		return cmocka_run_group_tests(missing, NULL, NULL);
	if (!strcmp(mode, "broken"))
		return cmocka_run_group_tests(broken, NULL, NULL);
	fprintf(stderr, "usage: test_gsslib [real|missing|broken]\n");
	return 2;
}
