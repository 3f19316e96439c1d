/* auth: who is calling and what their role lets them do.
 *
 * Users and their ConfigMgr security roles come from the fixture. Changing
 * maintenance mode needs Modify on the Site class, which the built-in Full
 * Administrator and Infrastructure Administrator roles have
 * (configmgr-domain.md §3); every role may read.
 */
#ifndef DPSIM_AUTH_H
#define DPSIM_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "fixture.h"

/* The authenticated caller of one request. Borrowed strings. */
struct caller {
	const struct fixture_user *account;	/* NULL: not a fixture user */
	const char *user;
	const char *role;
	const char *protocol;	/* "wsman" */
};

/* Decodes an "Authorization: Basic ..." value and checks the credentials
 * against the fixture's users; the password comparison takes the same
 * time wherever the first difference is. Returns the user, or NULL when
 * the header is malformed or the credentials are wrong. */
const struct fixture_user *auth_basic(const struct fixture *fx,
				      const char *authorization);

/* Hashes a clear-text password for a fixture's password-hash attribute,
 * with a fresh random salt (crypt(3), yescrypt). On success returns 0 and
 * *out (malloc'd, the caller frees it); otherwise -errno and one line in
 * err saying why. */
int auth_password_hash(const char *clear, char **out, char *err,
		       size_t errsize);

/* Whether role may change DP state (Modify on Site). */
bool auth_role_can_modify(const char *role);

#endif
