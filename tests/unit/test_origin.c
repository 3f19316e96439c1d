/* origin: the cross-site checks, as pure string rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "origin.h"

static void loopback_hosts(void **unused)
{
	static const char *const ok[] = {
		"127.0.0.1", "127.0.0.1:5985", "127.1.2.3:80", "localhost",
		"LOCALHOST:5985", "dpsim.localhost:5985", "[::1]:5985", "[::1]",
		"[::ffff:127.0.0.1]:1",
	};
	static const char *const bad[] = {
		"evil.example", "evil.example:5985", "10.0.0.1:5985", "", ":5985",
		"localhost.evil.example", "127.0.0.1.evil.example", "[::2]:5985",
		"::1", "[::1", "127.0.0.1:", "127.0.0.1:99999", "127.0.0.1:80x",
		"localhost:0",
	};

	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_true(origin_host_allowed(ok[i], NULL, 0));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(origin_host_allowed(bad[i], NULL, 0));
	assert_false(origin_host_allowed(NULL, NULL, 0));
}

static void allowed_names(void **unused)
{
	static const char *const allow[] = { "lab.example", "dpsim" };

	assert_true(origin_host_allowed("lab.example:5985", allow, 2));
	assert_true(origin_host_allowed("LAB.EXAMPLE", allow, 2));
	assert_true(origin_host_allowed("dpsim:80", allow, 2));
	assert_false(origin_host_allowed("sub.lab.example", allow, 2));
	assert_false(origin_host_allowed("lab.example.evil", allow, 2));
}

static void same_origin(void **unused)
{
	assert_true(origin_is_same("http://127.0.0.1:5985", "http", "127.0.0.1:5985"));
	assert_true(origin_is_same("HTTP://LocalHost:5985", "http", "localhost:5985"));
	/* The default port may be written or left out on either side. */
	assert_true(origin_is_same("http://dpsim", "http", "dpsim:80"));
	assert_true(origin_is_same("https://dpsim:443", "https", "dpsim"));
	assert_true(origin_is_same("http://[::1]:5985", "http", "[::1]:5985"));

	assert_false(origin_is_same("null", "http", "127.0.0.1:5985"));
	assert_false(origin_is_same("http://127.0.0.1:8080", "http", "127.0.0.1:5985"));
	assert_false(origin_is_same("https://127.0.0.1:5985", "http", "127.0.0.1:5985"));
	assert_false(origin_is_same("http://evil.example", "http", "127.0.0.1:80"));
	assert_false(origin_is_same("http://127.0.0.1:5985/", "http", "127.0.0.1:5985"));
	assert_false(origin_is_same("http://127.0.0.1:5985", "http", NULL));
	assert_false(origin_is_same(NULL, "http", "127.0.0.1:5985"));
	assert_false(origin_is_same("http:/127.0.0.1:5985", "http", "127.0.0.1:5985"));
}

static void simple_types(void **unused)
{
	assert_true(origin_simple_content_type(NULL));
	assert_true(origin_simple_content_type(""));
	assert_true(origin_simple_content_type("text/plain"));
	assert_true(origin_simple_content_type("Text/Plain;charset=UTF-8"));
	assert_true(origin_simple_content_type(" application/x-www-form-urlencoded"));
	assert_true(origin_simple_content_type("multipart/form-data; boundary=x"));

	assert_false(origin_simple_content_type("application/json"));
	assert_false(origin_simple_content_type("application/json; charset=utf-8"));
	assert_false(origin_simple_content_type("application/xml"));
	assert_false(origin_simple_content_type("text/plainish"));
	assert_false(origin_simple_content_type("text/xml"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(loopback_hosts),
		cmocka_unit_test(allowed_names),
		cmocka_unit_test(same_origin),
		cmocka_unit_test(simple_types),
	};
	return cmocka_run_group_tests_name("origin", tests, NULL, NULL);
}
