/* control: the test-harness control plane, JSON under /_dpsim/.
 *
 *   GET    health                 ready? (503 until start-up is done)
 *   POST   reset[?site=]          back to the fixture
 *   GET    state[?site=]          sites, DPs and modes, rules, journal sizes
 *   GET    faults[?site=]         the rule list (or one site's rules)
 *   POST   faults[?site=]         add a rule (object) or rules (array)
 *   PUT    faults[?site=]         replace the rules (all, or one site's)
 *   DELETE faults[?site=]         remove the rules (all, or one site's)
 *   GET    faults/ID              one rule with its counters
 *   DELETE faults/ID              remove one rule
 *   GET    journal?FILTERS        rows (journal.h lists the filters)
 *   GET    journal/count?FILTERS  {"count": N, "dropped": D}
 *   DELETE journal[?site=]        empty the journal
 *   GET    snapshots              saved snapshots
 *   POST   snapshots[?name=]      save ({"name": ...} or ?name=)
 *   POST   snapshots/NAME/restore put one back
 *   DELETE snapshots/NAME         forget one
 *   GET    sites                  the sites served
 *   POST   sites[?code=]          add sites from a fixture document (XML)
 *   DELETE sites/CODE             remove a site
 *
 * Answers are JSON; errors are {"error": "..."} with a 4xx/5xx status and
 * a sentence that names the field or parameter at fault. A request that
 * would pass one of dpsim's caps (fault rules, snapshots, sites: options
 * --max-fault-rules, --max-snapshots, --max-sites) is refused whole with
 * 409, {"error": ..., "cap": N, "option": "--max-..."}, and logged; a
 * journal limit above --journal-page-max is a 400 of the same shape. When an admin
 * token is set, every route but health wants "Authorization: Bearer
 * TOKEN" (compared in constant time).
 *
 * Answers are built with json_answer.h, as the dashboard's. Thread-safe.
 */
#ifndef DPSIM_CONTROL_H
#define DPSIM_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "front.h"
#include "provider.h"

struct control;

struct control_options {
	const char *admin_token;	/* NULL: no token needed (copied) */
	const char *version;		/* for health (borrowed, static) */
	/* Rows one GET journal answers (--journal-page-max); 0: no cap. A
	 * larger limit is refused (400); without a limit the answer stops
	 * there and says "more": true, to page on with after=last_id. */
	unsigned journal_page_max;
};

/* NULL on allocation failure. Answers 503 until control_set_ready(). */
struct control *control_new(const struct control_options *o);
void control_free(struct control *c);

/* The model is loaded: start answering. p is borrowed and must outlive
 * every control_handle() call. */
void control_set_ready(struct control *c, struct provider *p);
/* Shutting down: health says so (503) and other routes refuse. */
void control_set_stopping(struct control *c);

/* Answers rq (path after "/_dpsim", "/health") into *rs (always
 * filled: JSON; body NULL only when out of memory, with status 500). */
void control_handle(struct control *c, const struct front_request *rq,
		    struct front_answer *rs);

/* The control API as a front end of the HTTP transport: owns /_dpsim
 * and /_dpsim/...; valid while c lives. */
const struct front *control_front(struct control *c);

/* The fault state as snapshots keep it: fault_json_state_text() and
 * fault_json_state_parse() (fault_json.h), which the provider calls
 * itself; kept here for the tests and fuzzers that drive the control
 * API's formats. */
char *control_faults_text(const struct faults_state *fs);
int control_faults_parse(const char *text, struct faults_state *fs,
			 char *err, size_t errsize);

#endif
