/* auth: Basic credential checks against fixture users (clear text and
 * crypt(3) hashes, the memo of accepted passwords), roles, and per-site
 * access with security scopes. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "auth.h"

/* sha512crypt of "analyst" with default rounds, and with 1000 rounds
 * (cheap under valgrind, where yescrypt takes seconds) of "other" and of
 * "secret". */
#define HASH_ANALYST "$6$GbspPu5Q.UiDgana$OenP/qfSqovmul5ipybwWJ/aDsfK.TPOSgb" \
		     "jy65Ig/x.fwZUq1Y2IKhPDmyhmmO8wTvBbrSXdXMtJWP.MfgV21"
#define HASH_OTHER "$6$rounds=1000$UqI2uwYYLkveZsJe$Pp//OwJmY4QqbXk.KMM/10oLzM" \
		   "1rrEooO/.gUrDhDKwEkWEqp5WwnqMg6Kt6TY5iscUK1Nb8Rwha9a6G.ePUg/"
#define HASH_SECRET "$6$rounds=1000$N9/5A/4UEyvxRGSC$PLGdwd.VNxKzL32CAYPrmkf6/" \
		    "bUrFckOBiTGhjsuaDRMbOSBhDxbh5kb37zeJvyidVdRVwR29dqVzmT9Go55W1"

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

/* "Basic base64(user:pass)" into out. */
static void basic(const char *user, const char *pass, char *out, size_t size)
{
	static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	char plain[256];
	size_t n, o;

	n = (size_t)snprintf(plain, sizeof(plain), "%s:%s", user, pass);
	o = (size_t)snprintf(out, size, "Basic ");
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned char)plain[i] << 16;
		if (i + 1 < n)
			v |= (unsigned char)plain[i + 1] << 8;
		if (i + 2 < n)
			v |= (unsigned char)plain[i + 2];
		assert_true(o + 5 < size);
		out[o++] = tbl[(v >> 18) & 63];
		out[o++] = tbl[(v >> 12) & 63];
		out[o++] = i + 1 < n ? tbl[(v >> 6) & 63] : '=';
		out[o++] = i + 2 < n ? tbl[v & 63] : '=';
	}
	out[o] = '\0';
}

static bool accepted(const struct fixture *f, const char *user,
		     const char *pass, const struct fixture_user *want)
{
	char hdr[512];
	const struct fixture_user *u;

	basic(user, pass, hdr, sizeof(hdr));
	u = auth_basic(f, hdr);
	if (u && u != want)
		fail_msg("%s:%s accepted as %s", user, pass, u->name);
	return u != NULL;
}

/* auth_password_hash makes a yescrypt hash auth_basic accepts. Each
 * yescrypt check takes seconds under valgrind: this test has four. */
static void hash_round_trip(void **unused)
{
	char err[128] = "", *hash = NULL, *again = NULL;

	assert_int_equal(auth_password_hash("s3cret: with spaces", &hash, err,
					    sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_memory_equal(hash, "$y$", 3);	/* yescrypt, default cost */
	assert_int_equal(strlen(hash), strlen("$y$j9T$") + 22 + 1 + 43);
	/* A fresh salt each time. */
	assert_int_equal(auth_password_hash("s3cret: with spaces", &again, err,
					    sizeof(err)), 0);
	assert_memory_equal(again, "$y$j9T$", 7);
	assert_memory_not_equal(hash, again, strlen("$y$j9T$") + 22);

	struct fixture_user u = { .name = "hashed", .password_hash = hash,
				  .role = "Full Administrator" };
	struct fixture f = { .source = "test", .users = &u, .nusers = 1 };

	assert_true(accepted(&f, "hashed", "s3cret: with spaces", &u));
	assert_false(accepted(&f, "hashed", "s3cret: with space", NULL));
	free(hash);
	free(again);
}

/* Right and wrong passwords of a hashed user among clear-text ones, and
 * unknown users (checked against a hashed user's hash for the time it
 * takes, then refused whatever the password). */
static void hashed_and_clear_users(void **unused)
{
	struct fixture_user u[] = {
		{ .name = "hashed", .password_hash = HASH_SECRET,
		  .role = "Full Administrator", .memo = auth_memo_new() },
		{ .name = "plain", .password = "plain", .role = "Read-only Analyst" },
	};
	struct fixture f = { .source = "test", .users = u, .nusers = 2 };

	assert_non_null(u[0].memo);
	assert_true(accepted(&f, "hashed", "secret", &u[0]));
	assert_true(accepted(&f, "HASHED", "secret", &u[0]));
	assert_false(accepted(&f, "hashed", "Secret", NULL));
	assert_false(accepted(&f, "hashed", "secret ", NULL));
	assert_false(accepted(&f, "hashed", "", NULL));
	assert_false(accepted(&f, "hashed", HASH_SECRET, NULL));
	assert_false(accepted(&f, "nobody", "secret", NULL));
	assert_false(accepted(&f, "nobody", "plain", NULL));
	assert_false(accepted(&f, "hashed:secret", "", NULL));
	assert_true(accepted(&f, "plain", "plain", &u[1]));
	assert_false(accepted(&f, "plain", "secret", NULL));
	assert_false(accepted(&f, "plain", HASH_SECRET, NULL));
	auth_memo_free(u[0].memo);
}

static void hash_refusals(void **unused)
{
	char err[128], *hash = (char *)"x", big[512];

	assert_int_equal(auth_password_hash("", &hash, err, sizeof(err)), -EINVAL);
	assert_null(hash);
	assert_string_equal(err, "the password is empty");
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(auth_password_hash(big, &hash, err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "the password is longer than 400 characters");

	assert_int_equal(auth_hash_check(HASH_ANALYST, err, sizeof(err)), 0);
	assert_int_equal(auth_hash_check("$1$abc$OGyl6dDvZCDiGmIVbeuCq/", err,
					 sizeof(err)), -EINVAL);
	assert_string_equal(err, "a legacy method; make a yescrypt hash with "
			    "dpsim --hash-password");
	assert_int_equal(auth_hash_check("$6$GbspPu5Q.UiDgana$OenP", err,
					 sizeof(err)), -EINVAL);
	assert_string_equal(err, "malformed: its hash part is not the 86 "
			    "characters the method makes");
	assert_int_equal(auth_hash_check("*", err, sizeof(err)), -EINVAL);
	assert_string_equal(err, "malformed: libcrypt does not recognise it");
	assert_int_equal(auth_hash_check(NULL, err, sizeof(err)), -EINVAL);
}

/* After a success the password is remembered: accepted again without
 * the hash (shown by swapping the stored hash for another password's),
 * and only the last accepted password is remembered. */
static void memo_remembers_last_accepted(void **unused)
{
	struct fixture_user u = { .name = "analyst", .password_hash = HASH_ANALYST,
				  .role = "Read-only Analyst",
				  .memo = auth_memo_new() };
	struct fixture f = { .source = "test", .users = &u, .nusers = 1 };

	assert_false(accepted(&f, "analyst", "other", NULL));
	assert_true(accepted(&f, "analyst", "analyst", &u));
	u.password_hash = HASH_OTHER;	/* "analyst" no longer hashes to it */
	assert_true(accepted(&f, "analyst", "analyst", &u));	/* memo */
	assert_false(accepted(&f, "analyst", "analys", NULL));
	assert_false(accepted(&f, "analyst", "analyst ", NULL));
	assert_true(accepted(&f, "analyst", "other", &u));	/* the hash */
	assert_false(accepted(&f, "analyst", "analyst", NULL));	/* forgotten */
	assert_true(accepted(&f, "analyst", "other", &u));

	/* Without a memo every check hashes. */
	auth_memo_free(u.memo);
	u.memo = NULL;
	assert_true(accepted(&f, "analyst", "other", &u));
	assert_false(accepted(&f, "analyst", "analyst", NULL));
}

/* Timing cannot be asserted on (too noisy), so the work is: a wrong
 * password costs the same digest, comparison and hash whether the name
 * is a clear-text user, a hashed user or unknown, in a fixture with
 * hashed users (the bundled lab) and in one without. */
static void expect_work(const struct fixture *f, const char *user,
			const char *pass, bool want_ok, unsigned long hashes)
{
	char hdr[512];
	struct auth_work w;
	const struct fixture_user *u;

	basic(user, pass, hdr, sizeof(hdr));
	auth_work_take(&w);
	u = auth_basic(f, hdr);
	auth_work_take(&w);
	if ((u != NULL) != want_ok)
		fail_msg("%s:%s %s", user, pass, u ? "accepted" : "refused");
	if (w.digests != 1 || w.compares != 1 || w.hashes != hashes)
		fail_msg("%s:%s: %lu digest(s), %lu comparison(s), %lu hash(es); "
			 "want 1, 1, %lu", user, pass, w.digests, w.compares,
			 w.hashes, hashes);
}

static void same_work_for_unknown_names(void **unused)
{
	static const char plain_only[] =
		"<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\"><users>"
		"<user name=\"a\" password=\"pa\" role=\"Full Administrator\"/>"
		"</users><site code=\"PS1\" name=\"x\" provider=\"cm.contoso.com\">"
		"<dp fqdn=\"dp.contoso.com\"/></site></dpsim-fixture>";
	struct fixture *f;
	size_t len;
	const char *lab = fixture_bundled_lab(&len);
	char err[256];

	/* The lab: lab, infra, branch in clear text; analyst hashed. */
	assert_int_equal(fixture_load_memory("lab", lab, len, &f, err,
					     sizeof(err)), 0);
	expect_work(f, "lab", "wrong", false, 1);
	expect_work(f, "analyst", "wrong", false, 1);
	expect_work(f, "nobody", "wrong", false, 1);
	expect_work(f, "nobody", "lab", false, 1);
	expect_work(f, "Nobody-else", "", false, 1);
	/* Right passwords: no hash once the memo holds them. */
	expect_work(f, "lab", "lab", true, 0);
	expect_work(f, "analyst", "analyst", true, 1);	/* learnt now */
	expect_work(f, "analyst", "analyst", true, 0);
	/* The memo holding analyst's password changes nothing for others. */
	expect_work(f, "analyst", "wrong", false, 1);
	expect_work(f, "nobody", "analyst", false, 1);
	fixture_free(f);

	/* Clear text only: nobody pays a hash. */
	assert_int_equal(fixture_load_memory("plain", plain_only,
					     sizeof(plain_only) - 1, &f, err,
					     sizeof(err)), 0);
	expect_work(f, "a", "wrong", false, 0);
	expect_work(f, "nobody", "wrong", false, 0);
	expect_work(f, "a", "pa", true, 0);
	fixture_free(f);
}

struct race {
	const struct fixture *f;
	const struct fixture_user *u;
	int wrong;		/* results that were not as expected */
};

static void *race_thread(void *arg)
{
	struct race *r = arg;
	char good[128], bad[128];

	basic("fast", "secret", good, sizeof(good));
	basic("fast", "Secret", bad, sizeof(bad));
	for (int i = 0; i < 20; i++) {
		r->wrong += auth_basic(r->f, good) != r->u;
		if (i % 5 == 0)
			r->wrong += auth_basic(r->f, bad) != NULL;
	}
	return NULL;
}

/* Requests arrive on several threads: the memo is shared. */
static void memo_is_thread_safe(void **unused)
{
	struct fixture_user u = {
		.name = "fast", .role = "Full Administrator",
		.password_hash = HASH_SECRET,
		.memo = auth_memo_new() };
	struct fixture f = { .source = "test", .users = &u, .nusers = 1 };
	struct race r[4];
	pthread_t t[4];
	char err[128];

	assert_int_equal(auth_hash_check(u.password_hash, err, sizeof(err)), 0);
	for (int i = 0; i < 4; i++) {
		r[i] = (struct race){ .f = &f, .u = &u };
		assert_int_equal(pthread_create(&t[i], NULL, race_thread, &r[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(r[i].wrong, 0);
	}
	auth_memo_free(u.memo);
}

static char *scopes_branch[] = { "Branch" };
static char *scopes_default[] = { "Default" };
static char *scopes_both[] = { "default", "Branch" };
static char *scopes_all[] = { "Branch", "all" };

static void access_per_site(void **unused)
{
	struct fixture_access acc[] = {
		{ .site = "PS1", .role = "Infrastructure Administrator",
		  .scopes = scopes_branch, .nscopes = 1 },
		{ .site = "PS2", .role = "Read-only Analyst",
		  .scopes = scopes_all, .nscopes = 2 },
	};
	struct fixture_user scoped = { .name = "branch", .password = "b",
				       .access = acc, .naccess = 2 };
	struct caller who = { &scoped, "branch", NULL, "wsman" };
	struct auth_access a;

	assert_true(auth_access_at(&who, "ps1", &a));
	assert_string_equal(a.role, "Infrastructure Administrator");
	assert_false(a.all);
	assert_int_equal(a.nscopes, 1);
	assert_string_equal(a.scopes[0], "Branch");
	assert_true(auth_scopes_cover(&a, scopes_branch, 1));
	assert_true(auth_scopes_cover(&a, scopes_both, 2));
	assert_false(auth_scopes_cover(&a, scopes_default, 1));
	assert_false(auth_scopes_cover(&a, NULL, 0));

	assert_true(auth_access_at(&who, "PS2", &a));
	assert_string_equal(a.role, "Read-only Analyst");
	assert_true(a.all);	/* "all" in any case */
	assert_true(auth_scopes_cover(&a, scopes_default, 1));

	assert_false(auth_access_at(&who, "PS3", &a));
	assert_null(a.role);
	assert_false(auth_scopes_cover(&a, scopes_branch, 1));

	/* A role attribute: that role everywhere, scope All. */
	struct fixture_user everywhere = { .name = "infra", .password = "i",
					   .role = "Infrastructure Administrator" };
	struct caller w2 = { &everywhere, "infra", everywhere.role, "wsman" };
	assert_true(auth_access_at(&w2, "XYZ", &a));
	assert_string_equal(a.role, "Infrastructure Administrator");
	assert_true(a.all);
	assert_true(auth_scopes_cover(&a, scopes_default, 1));
	char text[64];
	auth_scopes_text(a.scopes, a.nscopes, text, sizeof(text));
	assert_string_equal(text, "All");

	/* No account (internal callers): who->role, everywhere, All. */
	struct caller internal = { NULL, "dpsim", "Full Administrator", "wsman" };
	assert_true(auth_access_at(&internal, "PS9", &a));
	assert_string_equal(a.role, "Full Administrator");
	assert_true(a.all);

	auth_scopes_text(scopes_both, 2, text, sizeof(text));
	assert_string_equal(text, "default, Branch");
	auth_scopes_text(scopes_both, 2, text, 5);
	assert_string_equal(text, "defa");
}

/* What a refusal says: the user tried, never the password. */
static void refusal_reason_names_the_user(void **unused)
{
	char name[64], why[160];

	(void)unused;
	/* "mallory:s3cret" */
	auth_refusal_reason(AUTH_BAD_CREDENTIALS, "Basic bWFsbG9yeTpzM2NyZXQ=",
			    name, sizeof(name), why, sizeof(why));
	assert_string_equal(name, "mallory");
	assert_string_equal(why, "wrong password or unknown user 'mallory'");
	assert_null(strstr(why, "s3cret"));
	auth_refusal_reason(AUTH_NO_CREDENTIALS, NULL, name, sizeof(name), why,
			    sizeof(why));
	assert_string_equal(name, "");
	assert_string_equal(why, "no credentials");
	auth_refusal_reason(AUTH_BAD_CREDENTIALS, "Negotiate TlRMTVNTUAAB",
			    name, sizeof(name), why, sizeof(why));
	assert_string_equal(name, "");
	assert_string_equal(why, "credentials neither Basic nor readable");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(accepts_valid_credentials),
		cmocka_unit_test(refusal_reason_names_the_user),
		cmocka_unit_test(refuses_everything_else),
		cmocka_unit_test(refuses_oversized_credentials),
		cmocka_unit_test(roles_that_may_modify),
		cmocka_unit_test(hash_round_trip),
		cmocka_unit_test(hashed_and_clear_users),
		cmocka_unit_test(hash_refusals),
		cmocka_unit_test(memo_remembers_last_accepted),
		cmocka_unit_test(memo_is_thread_safe),
		cmocka_unit_test(same_work_for_unknown_names),
		cmocka_unit_test(access_per_site),
	};
	return cmocka_run_group_tests_name("auth", tests, NULL, NULL);
}
