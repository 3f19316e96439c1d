/* auth: Basic credential checks against fixture users, and roles. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "auth.h"

static struct fixture_user users[] = {
	{ .name = "lab", .password = "lab", .role = "Full Administrator" },
	{ .name = "analyst", .password = "analyst", .role = "Read-only Analyst" },
	{ .name = "colon", .password = "a:b", .role = "Infrastructure Administrator" },
};
static struct fixture fx = { .source = "test", .users = users, .nusers = 3 };

static void accepts_valid_credentials(void **unused)
{
	/* "lab:lab", "ANALYST:analyst" (user names ignore case), "colon:a:b"
	 * (only the first colon separates). */
	const struct fixture_user *u = auth_basic(&fx, "Basic bGFiOmxhYg==");
	assert_ptr_equal(u, &users[0]);
	assert_ptr_equal(auth_basic(&fx, "basic QU5BTFlTVDphbmFseXN0"), &users[1]);
	assert_ptr_equal(auth_basic(&fx, "Basic Y29sb246YTpi"), &users[2]);
}

static void refuses_everything_else(void **unused)
{
	static const char *const bad[] = {
		NULL, "", "Basic", "Basic ", "Bearer bGFiOmxhYg==",
		"Basic bGFiOndyb25n",		/* lab:wrong */
		"Basic bGFiOmxhYmxhYg==",	/* lab:lablab: longer */
		"Basic bGFiOmxh",		/* lab:la: prefix */
		"Basic bm9ib2R5OmxhYg==",	/* nobody:lab */
		"Basic bGFibGFi",		/* lablab: no colon */
		"Basic bGFiOmxhYg=x",		/* data after padding */
		"Basic bGFi*mxhYg==",		/* not base64 */
		"Basic bGFiOmxhYgBl",		/* lab:lab\0e: NUL inside */
		"Negotiate TlRMTVNTUAABAAAA",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (auth_basic(&fx, bad[i]) != NULL)
			fail_msg("accepted '%s'", bad[i] ? bad[i] : "(null)");
}

static void refuses_oversized_credentials(void **unused)
{
	char hdr[2048] = "Basic ";
	for (size_t i = 6; i < sizeof(hdr) - 1; i++)
		hdr[i] = 'A';
	hdr[sizeof(hdr) - 1] = '\0';
	assert_null(auth_basic(&fx, hdr));
}

static void roles_that_may_modify(void **unused)
{
	assert_true(auth_role_can_modify("Full Administrator"));
	assert_true(auth_role_can_modify("infrastructure administrator"));
	assert_false(auth_role_can_modify("Read-only Analyst"));
	assert_false(auth_role_can_modify("Operations Administrator"));
	assert_false(auth_role_can_modify(NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_valid_credentials),
		cmocka_unit_test(refuses_everything_else),
		cmocka_unit_test(refuses_oversized_credentials),
		cmocka_unit_test(roles_that_may_modify),
	};
	return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
