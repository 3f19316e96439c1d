/* dashboard: the training-lab page at / and the JSON it polls.
 *
 *   GET  /, /index.html, /dashboard/     the page
 *   GET  /dashboard/app.js, style.css, favicon.svg   its assets
 *   GET  /dashboard/api/whoami           {"user", "role", "can_modify"}
 *   GET  /dashboard/api/view[?site=]     sites, DPs, boundary groups,
 *                                        recent journal rows, the newest
 *                                        status messages, fault rules
 *   POST /dashboard/api/mode             {"site", "nalpath", "mode": 0|1}
 *   POST /dashboard/api/reset            the whole lab back to the fixture
 *
 * The assets are compiled into the binary. The API wants HTTP Basic
 * credentials of a fixture user (any role may read), never the admin
 * token, so the page still works when dpsim is exposed with
 * --admin-token. A maintenance change is the same provider_invoke() call
 * as WS-Man, with caller protocol "dashboard": journaled, subject to the
 * fault rules and to the caller's role. A reset needs Full Administrator.
 *
 * POSTs must carry Content-Type application/json: a cross-site form
 * cannot send that without a CORS preflight, which dpsim never grants.
 * A 401 carries no WWW-Authenticate header, so the browser shows the
 * page's own login form rather than its credential dialog.
 *
 * Thread-safe.
 */
#ifndef DPSIM_DASHBOARD_H
#define DPSIM_DASHBOARD_H

#include <stdbool.h>
#include <stddef.h>

#include "front.h"
#include "fixture.h"
#include "provider.h"

struct dashboard;

struct dashboard_options {
	const char *version;	/* shown on the page (borrowed, static) */
};

/* NULL on allocation failure. The API answers 503 until
 * dashboard_set_ready(); the page itself is served at once. */
struct dashboard *dashboard_new(const struct dashboard_options *o);
void dashboard_free(struct dashboard *d);

/* The model is loaded. fx (users, boundary groups) and p are borrowed and
 * must outlive every dashboard_handle() call. */
void dashboard_set_ready(struct dashboard *d, const struct fixture *fx,
			 struct provider *p);
/* Shutting down: the API refuses (503). */
void dashboard_set_stopping(struct dashboard *d);

/* Whether the URL path url is the dashboard's: "/", "/index.html",
 * "/dashboard" and everything under "/dashboard/". */
bool dashboard_owns_path(const char *url);

/* Answers rq into *rs (always filled; body NULL only when out of memory,
 * with status 500). */
void dashboard_handle(struct dashboard *d, const struct front_request *rq,
		      struct front_answer *rs);

/* The dashboard as a front end of the HTTP transport: owns the paths
 * dashboard_owns_path() names; valid while d lives. */
const struct front *dashboard_front(struct dashboard *d);

#endif
