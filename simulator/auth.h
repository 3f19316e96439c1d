/* auth: who is calling and what their role lets them do.
 *
 * Users and their ConfigMgr security roles come from the fixture. Changing
 * maintenance mode needs Modify on the Site class, which the built-in Full
 * Administrator and Infrastructure Administrator roles have
 * (docs/configmgr-domain.md, Roles and security scopes); every role may
 * read.
 *
 * A user holds a role either at every site with security scope All (the
 * role attribute), or per site with a list of security scopes (<access>
 * elements). An object is visible to the user when one of its scopes is
 * among the user's, or the user's include All.
 *
 * Passwords are clear text or crypt(3) hashes. A hash costs milliseconds
 * to check and WS-Man clients send their credentials with every request,
 * so a password once accepted is remembered per user as an HMAC-SHA256
 * under a random key (struct auth_memo) and later matched against that.
 */
#ifndef DPSIM_AUTH_H
#define DPSIM_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "fixture.h"
#include "front.h"

/* The authenticated caller of one request. Borrowed strings. */
struct caller {
	const struct fixture_user *account;	/* NULL: not a fixture user */
	const char *user;
	const char *role;
	const char *protocol;	/* "wsman" */
};

/* Decodes an "Authorization: Basic ..." value and checks the credentials
 * against the fixture's users. Timing does not tell which user names
 * exist: every check does the same work (struct auth_work) -- the keyed
 * digest of the password, one constant-time comparison with a memo (a
 * hashed user's last accepted password, a clear-text user's password,
 * a random one for an unknown name), and on a mismatch, when the fixture
 * has hashed users, one hash (the user's own, else one of the fixture's
 * hashes picked by the name, so unknown names cost what known ones do
 * in the same proportions). A wrong password therefore costs the same
 * for a clear-text user, a hashed user and an unknown name; only a right
 * one is faster. Users from the fixture loader all have a memo; one
 * built by hand without it is compared directly. Returns the user, or
 * NULL when the header is malformed or the credentials are wrong.
 * Thread-safe. */
const struct fixture_user *auth_basic(const struct fixture *fx,
				      const char *authorization);

/* ---- who sent a request: the one question every front end asks ---- */

/* The ways a front end lets a request say who sent it. */
enum auth_scheme {
	AUTH_SCHEME_BASIC = 1,		/* a fixture user, HTTP Basic */
	AUTH_SCHEME_ADMIN_BEARER = 2,	/* "Bearer TOKEN", the admin token */
	AUTH_SCHEME_ANONYMOUS_IDENTIFY = 4, /* no credentials, and the header
					 * WinRM's client marks an anonymous
					 * Identify with (WSMANIDENTIFY:
					 * unauthenticated) */
};

/* A front end's rules. No scheme at all means the front end is open:
 * every request is anonymous, whatever it carries. */
struct auth_policy {
	const struct fixture *fx;	/* users, for Basic; borrowed */
	const char *admin_token;	/* for Bearer; borrowed */
	unsigned schemes;		/* enum auth_scheme bits */
};

enum auth_outcome {
	AUTH_USER,		/* a fixture user (*user) */
	AUTH_ADMIN,		/* the admin token */
	AUTH_ANONYMOUS,		/* let in without credentials */
	AUTH_NO_CREDENTIALS,	/* refused: none given */
	AUTH_BAD_CREDENTIALS,	/* refused: wrong, malformed, or a scheme
				 * the policy does not take */
};

/* Who sent rq, from its headers alone (the body is not needed, so a
 * front end asks before reading it). *user is set for AUTH_USER, NULL
 * otherwise. Checks take the time auth_basic() and a constant-time
 * token comparison take, whoever is asking. Thread-safe. */
enum auth_outcome auth_identify(const struct auth_policy *pol,
				const struct front_request *rq,
				const struct fixture_user **user);

/* Whether a request may go on: a user, the admin, or anonymous. */
static inline bool auth_admitted(enum auth_outcome o)
{
	return o == AUTH_USER || o == AUTH_ADMIN || o == AUTH_ANONYMOUS;
}

/* The user name an "Authorization: Basic ..." value claims, for a log
 * line about a refused request (the password is never kept). False, with
 * out "", when the header is not Basic or does not decode. */
bool auth_basic_user_name(const char *authorization, char *out, size_t size);

/* Why a request with outcome who was not let in, one phrase for the log
 * and the journal ("no credentials", "wrong password or unknown user
 * 'NAME'", "credentials neither Basic nor readable"), into why; the user
 * name it tried into name ("" when none). Never the password. */
void auth_refusal_reason(enum auth_outcome who, const char *authorization,
			 char *name, size_t namesize, char *why, size_t whysize);

/* Hashes a clear-text password for a fixture's password-hash attribute,
 * with a fresh random salt (crypt(3), yescrypt). On success returns 0 and
 * *out (malloc'd, the caller frees it); otherwise -errno and one line in
 * err saying why. */
int auth_password_hash(const char *clear, char **out, char *err,
		       size_t errsize);

/* Whether role may change DP state (Modify on Site). */
bool auth_role_can_modify(const char *role);

/* 0 when hash is a crypt(3) hash dpsim accepts for password-hash: one
 * crypt_checksalt() calls CRYPT_SALT_OK (yescrypt, sha512crypt, bcrypt,
 * ...) and whose hash part has the length and alphabet its method
 * produces. Otherwise -EINVAL with the reason in why ("a legacy method",
 * ...). Costs one hash (the structure check hashes a dummy password). */
int auth_hash_check(const char *hash, char *why, size_t whysize);

/* The memo of a user's password: made by the fixture loader for every
 * user, freed with it. A hashed user's holds the password last accepted
 * (auth_basic learns it); a clear-text user's is given the password at
 * load (auth_memo_remember). NULL when out of memory or without random
 * bytes. */
struct auth_memo *auth_memo_new(void);
void auth_memo_free(struct auth_memo *m);
/* Makes pass the memo's password (its keyed digest; pass is not kept).
 * False when gnutls fails. */
bool auth_memo_remember(struct auth_memo *m, const char *pass);

/* The work auth_basic() did on the calling thread since the last call:
 * what makes its time. Tests compare it between known and unknown names
 * (time itself is too noisy to assert on). */
struct auth_work {
	unsigned long digests;	/* keyed digests of the password */
	unsigned long compares;	/* constant-time memo comparisons */
	unsigned long hashes;	/* crypt(3) hashes */
};
void auth_work_take(struct auth_work *out);

/* What a caller may do at one site. */
struct auth_access {
	const char *role;		/* NULL: no access at the site */
	char *const *scopes;		/* its security scopes there */
	size_t nscopes;
	bool all;			/* scopes include All */
};

/* Resolves who's role and scopes at site code (any case) into *out
 * (borrowing from who). A caller without an account (internal callers,
 * tests) has who->role at every site with scope All, as has a user with
 * a role attribute; a user with <access> elements has the one naming the
 * site. Returns false, with out->role NULL, when who has no access there. */
bool auth_access_at(const struct caller *who, const char *site,
		    struct auth_access *out);

/* Whether an object in the security scopes obj (n of them) is visible
 * with a: a.all, or a scope both name (ignoring case). */
bool auth_scopes_cover(const struct auth_access *a, char *const *obj,
		       size_t n);

/* The scopes as "A, B" into out (truncated to size). */
void auth_scopes_text(char *const *scopes, size_t n, char *out, size_t size);

#endif
