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

/* Whether role may change DP state (Modify on Site). */
bool auth_role_can_modify(const char *role);

#endif
