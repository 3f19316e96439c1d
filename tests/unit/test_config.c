/* config: the option table, defaults and the one-line errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

static enum config_result parse(struct config *c, char *err, const char *const *args)
{
	char *argv[32] = { "dpsim" };
	int argc = 1;
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	return config_parse(c, argc, argv, err, 256);
}

static void defaults(void **unused)
{
	struct config c;
	char err[256];
	const char *args[] = { NULL };
	assert_int_equal(parse(&c, err, args), CONFIG_OK);
	assert_string_equal(c.listen, "127.0.0.1:5985");
	assert_string_equal(c.db, "dpsim.db");
	assert_null(c.port_file);
	assert_int_equal(c.fixtures.n, 0);
	assert_int_equal(c.threads, 2);
	assert_int_equal(c.log_level, LOG_INFO);
	assert_false(c.log_json);
}

/* Every default comes from the option table, parsed as a user value is:
 * these are the values --help shows. */
static void defaults_from_the_table(void **unused)
{
	struct config c;
	char err[256], line[1024];
	const char *args[] = { NULL };

	assert_int_equal(parse(&c, err, args), CONFIG_OK);
	assert_string_equal(c.tls_listen, "127.0.0.1:5986");
	assert_null(c.tls_cert);
	assert_null(c.admin_token);
	assert_false(c.durability_full);
	assert_false(c.seed_set);
	assert_int_equal(c.seed, 0);
	assert_int_equal(c.allow_hosts.n, 0);
	config_describe(&c, line, sizeof(line));
	assert_string_equal(line,
		"--listen 127.0.0.1:5985 --db dpsim.db --durability normal"
		" --threads 2 --max-body 512 --max-connections 1024"
		" --max-client-connections 256 --connection-timeout 120"
		" --read-timeout 30 --log-level info --journal-max 100000"
		" --status-messages-max 10000"
		" --max-enumerations 1024 --max-enumerations-per-user 256"
		" --enumeration-timeout 60"
		" --max-fault-rules 1000 --journal-page-max 10000"
		" --max-snapshots 64 --max-sites 100"
		" --adminservice-denied 404 --seed 0"
		" (bundled lab fixture)");
	assert_int_equal(c.adminservice_denied, 404);
}

/* --tls-listen given, even with the default's value, is not the default:
 * without a certificate it is refused rather than ignored. */
static void tls_listen_given_is_not_default(void **unused)
{
	struct config c;
	char err[256] = "";
	const char *args[] = { "--tls-listen", "127.0.0.1:5986", NULL };

	assert_int_equal(parse(&c, err, args), CONFIG_ERROR);
	assert_string_equal(err, "--tls-listen needs --tls-cert and --tls-key");
}

static void every_option(void **unused)
{
	struct config c;
	char err[256];
	const char *args[] = { "--listen", "[::1]:0", "--port-file=/tmp/p", "--db", ":memory:",
		"--fixture", "a.xml", "--fixture", "b.xml", "--log-level", "debug",
		"--log-format", "json", "--threads", "4", "--max-body", "64",
		"--max-connections", "10", "--connection-timeout", "5",
		"--status-messages-max", "0", NULL };
	assert_int_equal(parse(&c, err, args), CONFIG_OK);
	assert_string_equal(c.listen, "[::1]:0");
	assert_string_equal(c.port_file, "/tmp/p");
	assert_string_equal(c.db, ":memory:");
	assert_int_equal(c.fixtures.n, 2);
	assert_string_equal(c.fixtures.v[1], "b.xml");
	assert_int_equal(c.log_level, LOG_DEBUG);
	assert_true(c.log_json);
	assert_int_equal(c.threads, 4);
	assert_int_equal(c.max_body_kib, 64);
	assert_int_equal(c.max_connections, 10);
	assert_int_equal(c.connection_timeout_s, 5);
	assert_int_equal(c.status_messages_max, 0);

	const char *denied[] = { "--adminservice-denied", "403", NULL };
	assert_int_equal(parse(&c, err, denied), CONFIG_OK);
	assert_int_equal(c.adminservice_denied, 403);
}

static void errors_name_the_option(void **unused)
{
	static const struct { const char *args[4]; const char *want; } cases[] = {
		{ { "--bogus", NULL }, "unknown option '--bogus'" },
		{ { "--threads", "0", NULL }, "--threads: '0' is not a number from 1 to 64" },
		{ { "--threads", "-1", NULL }, "--threads" },
		{ { "--threads", "2x", NULL }, "--threads" },
		{ { "--db", NULL }, "--db needs a value" },
		{ { "--db", "", NULL }, "--db needs a non-empty value" },
		{ { "--log-level", "loud", NULL }, "--log-level: 'loud'" },
		{ { "--log-format", "xml", NULL }, "--log-format: 'xml' is not text or json" },
		{ { "--listen", "localhost", NULL }, "--listen: 'localhost' is not ADDR:PORT" },
		{ { "--listen", "127.0.0.1:70000", NULL }, "--listen" },
		{ { "stray", NULL }, "unexpected argument 'stray'" },
		{ { "--adminservice-denied", "405", NULL },
		  "--adminservice-denied: '405' is not a number from 403 to 404" },
		{ { "--status-messages-max", "-1", NULL },
		  "--status-messages-max: '-1' is not a number from 0 to 4000000000" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config c;
		char err[256] = "";
		assert_int_equal(parse(&c, err, cases[i].args), CONFIG_ERROR);
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].want);
	}
}

/* A token that is empty, blank, holds whitespace or control characters,
 * or is short is refused at start-up with a line naming what is wrong
 * and never the token. */
static void admin_token_is_checked(void **unused)
{
	static const struct { const char *token; const char *want; } bad[] = {
		{ "", "--admin-token needs a non-empty value" },
		{ " ", "whitespace at character 1" },
		{ "                    ", "whitespace at character 1" },
		{ "x", "1 character long, at least 16" },
		{ "fifteen-chars15", "15 characters long, at least 16" },
		{ "0123456789abcdef ", "whitespace at character 17" },
		{ "0123456789\tabcdef", "whitespace at character 11" },
		{ "0123456789abcdef\n", "a control character at character 17" },
		{ "\x7f" "0123456789abcdef", "a control character at character 1" },
		{ "0123456789abcdef\xc3\xa9", "a non-ASCII byte at character 17" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct config c;
		char err[256] = "";
		const char *args[] = { "--admin-token", bad[i].token, NULL };

		assert_int_equal(parse(&c, err, args), CONFIG_ERROR);
		if (!strstr(err, bad[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, bad[i].want);
		assert_null(strchr(err, '\n'));
		if (strlen(bad[i].token) > 2)
			assert_null(strstr(err, bad[i].token));
	}

	/* 16 printable characters, and the symbols of base64 and hex. */
	static const char *const good[] = {
		"0123456789abcdef", "Zm9vYmFyYmF6cXV4+/==", "a-b_c.d~e!f@g#h$",
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		struct config c;
		char err[256] = "";
		const char *args[] = { "--admin-token", good[i], NULL };

		if (parse(&c, err, args) != CONFIG_OK)
			fail_msg("'%s' refused: %s", good[i], err);
		assert_string_equal(c.admin_token, good[i]);
	}

	/* The environment's token goes through the same check. */
	char err[256];
	assert_int_equal(config_check_admin_token("DPSIM_ADMIN_TOKEN", "short",
						  err, sizeof(err)), -EINVAL);
	assert_non_null(strstr(err, "DPSIM_ADMIN_TOKEN: the token is 5 "
			       "characters long"));
}

static enum config_result parse_env(struct config *c, char *err,
				    const char *const *args,
				    const char *const *env)
{
	char *argv[32] = { "dpsim" };
	int argc = 1;
	for (; *args; args++)
		argv[argc++] = (char *)*args;
	return config_parse_env(c, argc, argv, (char *const *)env, err, 256);
}

/* Every option with a value has its variable, DPSIM_ and the name in
 * capitals: the row's name, not a second list. */
static void env_sets_options(void **unused)
{
	struct config c;
	char err[256] = "";
	const char *args[] = { NULL };
	const char *env[] = { "PATH=/bin", "DPSIM_LISTEN=0.0.0.0:5985",
		"DPSIM_DB=/var/lib/dpsim/dpsim.db", "DPSIM_THREADS=4",
		"DPSIM_LOG_FORMAT=json", "DPSIM_LOG_LEVEL=debug",
		"DPSIM_FIXTURE=a.xml,b.xml", "DPSIM_FIXTURE_DIR=/etc/dpsim/fixtures",
		"DPSIM_ALLOW_HOST=dpsim", "DPSIM_ADMIN_TOKEN=0123456789abcdef",
		"DPSIM_SEED=7", "DPSIM_DURABILITY=full", "DPSIM_MAX_SITES=3",
		"DPSIM_ADMINSERVICE_DENIED=403",
		"DPSIM_MAX_ENUMERATIONS_PER_USER=9",
		/* Not options: ignored, as other programs' variables are. */
		"DPSIM_WRAPPER=valgrind", "DPSIM=http://x", NULL };

	assert_int_equal(parse_env(&c, err, args, env), CONFIG_OK);
	assert_string_equal(c.listen, "0.0.0.0:5985");
	assert_string_equal(c.db, "/var/lib/dpsim/dpsim.db");
	assert_int_equal(c.threads, 4);
	assert_true(c.log_json);
	assert_int_equal(c.log_level, LOG_DEBUG);
	assert_int_equal(c.fixtures.n, 2);
	assert_string_equal(c.fixtures.v[0], "a.xml");
	assert_string_equal(c.fixtures.v[1], "b.xml");
	assert_string_equal(c.fixture_dir, "/etc/dpsim/fixtures");
	assert_int_equal(c.allow_hosts.n, 1);
	assert_string_equal(c.allow_hosts.v[0], "dpsim");
	assert_string_equal(c.admin_token, "0123456789abcdef");
	assert_true(c.seed_set);
	assert_int_equal(c.seed, 7);
	assert_true(c.durability_full);
	assert_int_equal(c.max_sites, 3);
	assert_int_equal(c.adminservice_denied, 403);
	assert_int_equal(c.max_enumerations_per_user, 9);
	config_release(&c);
}

/* The command line wins; a repeatable option given there replaces the
 * environment's list. An empty variable is unset. */
static void argv_wins_over_env(void **unused)
{
	struct config c;
	char err[256] = "";
	const char *args[] = { "--threads", "3", "--fixture", "c.xml", NULL };
	const char *env[] = { "DPSIM_THREADS=4", "DPSIM_FIXTURE=a.xml,b.xml",
		"DPSIM_ALLOW_HOST=h1,h2", "DPSIM_DB=", NULL };

	assert_int_equal(parse_env(&c, err, args, env), CONFIG_OK);
	assert_int_equal(c.threads, 3);
	assert_int_equal(c.fixtures.n, 1);
	assert_string_equal(c.fixtures.v[0], "c.xml");
	assert_int_equal(c.allow_hosts.n, 2);
	assert_string_equal(c.allow_hosts.v[1], "h2");
	assert_string_equal(c.db, "dpsim.db");
	config_release(&c);

	/* The command line's value is checked even where the environment's
	 * was good, and named as an option. */
	const char *bad[] = { "--threads", "0", NULL };
	assert_int_equal(parse_env(&c, err, bad, env), CONFIG_ERROR);
	assert_string_equal(err, "--threads: '0' is not a number from 1 to 64");
	config_release(&c);
}

/* A bad value in the environment is refused with the variable's name,
 * the same checks as the command line's (the token never shown). */
static void env_errors_name_the_variable(void **unused)
{
	static const struct { const char *env[3]; const char *want; } cases[] = {
		{ { "DPSIM_THREADS=0" },
		  "DPSIM_THREADS: '0' is not a number from 1 to 64" },
		{ { "DPSIM_LOG_LEVEL=loud" }, "DPSIM_LOG_LEVEL: 'loud' is not one of" },
		{ { "DPSIM_LISTEN=localhost" },
		  "DPSIM_LISTEN: 'localhost' is not ADDR:PORT" },
		{ { "DPSIM_TLS_LISTEN=x" }, "DPSIM_TLS_LISTEN: 'x' is not ADDR:PORT" },
		{ { "DPSIM_ADMIN_TOKEN=short-token" },
		  "DPSIM_ADMIN_TOKEN: the token is 11 characters long" },
		{ { "DPSIM_TLS_CERT=c.pem" }, "DPSIM_TLS_CERT needs --tls-key" },
		{ { "DPSIM_TLS_KEY=k.pem", "DPSIM_TLS_CERT=c.pem" }, NULL },
		{ { "DPSIM_FIXTURE=a.xml,,b.xml" },
		  "DPSIM_FIXTURE: an empty value in the comma-separated list" },
		{ { "DPSIM_ALLOW_HOST=a," },
		  "DPSIM_ALLOW_HOST: an empty value in the comma-separated list" },
		{ { "DPSIM_SEED=-1" }, "DPSIM_SEED: '-1' is not a number" },
		{ { "DPSIM_DURABILITY=always" },
		  "DPSIM_DURABILITY: 'always' is not normal or full" },
		{ { "DPSIM_LISTEN=none" }, "DPSIM_LISTEN none turns plain HTTP off" },
		{ { "DPSIM_TLS_PORT_FILE=p" }, "DPSIM_TLS_PORT_FILE needs --tls-cert" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct config c;
		char err[256] = "";
		const char *args[] = { NULL };
		enum config_result r = parse_env(&c, err, args, cases[i].env);

		config_release(&c);
		if (!cases[i].want) {
			assert_int_equal(r, CONFIG_OK);
			continue;
		}
		assert_int_equal(r, CONFIG_ERROR);
		if (!strstr(err, cases[i].want))
			fail_msg("case %zu: '%s' lacks '%s'", i, err, cases[i].want);
		assert_null(strstr(err, "short-token"));
	}
}

/* Actions are not settings: their variables are ignored, so that one in
 * a container's environment cannot turn every start into an exit. */
static void actions_have_no_variable(void **unused)
{
	struct config c;
	char err[256] = "";
	const char *none[] = { NULL };
	const char *env[] = { "DPSIM_HELP=1", "DPSIM_VERSION=1",
		"DPSIM_HASH_PASSWORD=1", "DPSIM_PROBE=/_dpsim/health", NULL };

	assert_int_equal(parse_env(&c, err, none, env), CONFIG_OK);
	assert_null(c.probe);
	config_release(&c);

	/* --probe reads the rest of the configuration, the environment's
	 * included, so that a PATH target finds the --listen address. */
	const char *args[] = { "--probe", "/_dpsim/health", NULL };
	const char *listen[] = { "DPSIM_LISTEN=0.0.0.0:5999", NULL };
	assert_int_equal(parse_env(&c, err, args, listen), CONFIG_PROBE);
	assert_string_equal(c.probe, "/_dpsim/health");
	assert_string_equal(c.listen, "0.0.0.0:5999");
	config_release(&c);
}

static void split_hostport(void **unused)
{
	char host[64];
	uint16_t port;
	assert_int_equal(config_split_hostport("127.0.0.1:5985", host, sizeof(host), &port), 0);
	assert_string_equal(host, "127.0.0.1");
	assert_int_equal(port, 5985);
	assert_int_equal(config_split_hostport("[::1]:0", host, sizeof(host), &port), 0);
	assert_string_equal(host, "::1");
	assert_int_equal(port, 0);
	assert_int_not_equal(config_split_hostport(":80", host, sizeof(host), &port), 0);
	assert_int_not_equal(config_split_hostport("[::1]80", host, sizeof(host), &port), 0);
	assert_int_not_equal(config_split_hostport("h:-1", host, sizeof(host), &port), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(defaults),
		cmocka_unit_test(defaults_from_the_table),
		cmocka_unit_test(tls_listen_given_is_not_default),
		cmocka_unit_test(every_option),
		cmocka_unit_test(errors_name_the_option),
		cmocka_unit_test(admin_token_is_checked),
		cmocka_unit_test(split_hostport),
		cmocka_unit_test(env_sets_options),
		cmocka_unit_test(argv_wins_over_env),
		cmocka_unit_test(env_errors_name_the_variable),
		cmocka_unit_test(actions_have_no_variable),
	};
	return cmocka_run_group_tests_name("config", tests, NULL, NULL);
}
