/* fault_json: fault rules as JSON, both ways. One codec for the rule
 * objects the control API reads and answers and for the fault state a
 * snapshot keeps, so what GET /_dpsim/faults shows is what a snapshot
 * puts back.
 *
 * Parsing is strict: an unknown field, a value of the wrong type or out
 * of range is -EINVAL with a sentence naming the field ("field 'mode'
 * must be a whole number from 0 to 4294967295, not a string"). Values
 * given as text go through fault_rule_set() (faults.h), the conversion
 * fixtures use too.
 */
#ifndef DPSIM_FAULT_JSON_H
#define DPSIM_FAULT_JSON_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "faults.h"

/* r as the control API shows it: every field, null where not set, with
 * its id and counters. A new reference (the caller decrefs it), NULL when
 * out of memory. */
json_t *fault_json_rule(const struct fault_rule *r);

/* A JSON array of n rules (new reference; NULL when out of memory). */
json_t *fault_json_rules(const struct fault_rule *rules, size_t n);

/* Fills r (not initialised; fault_rule_clear it after success) from one
 * JSON object. internal: the object is dpsim's own (a snapshot): the id
 * and counters are read back and the rule is taken as it is; otherwise
 * they are refused and the rule is checked and completed with
 * fault_rule_finish(). null stands for "not given". 0, -EINVAL with err
 * naming the field (r cleared), -ENOMEM (err "out of memory"). */
int fault_json_rule_parse(json_t *o, struct fault_rule *r, bool internal,
			  char *err, size_t errsize);

/* The rules of a control API body: an object (one rule, *single set), an
 * array of them, or {"faults": [...]}. site, if not NULL (the request's
 * ?site=), goes into rules without one; a rule naming another site is
 * refused. On success *out is a malloc'd array of *n rules
 * (fault_rules_free). -EINVAL with the whole sentence to answer in err
 * ("rule 2: field ..." for an array; errsize 1024 keeps every message
 * whole), -ENOMEM; *out NULL then. */
int fault_json_rules_parse(json_t *body, const char *site,
			   struct fault_rule **out, size_t *n, bool *single,
			   char *err, size_t errsize);

/* The whole fault state as compact JSON text: {"seed", "next_id",
 * "rules": [rule objects with counters and from_fixture], "streams":
 * [{"site", "state" (16 hex digits)}]}. malloc'd; NULL when out of
 * memory. */
char *fault_json_state_text(const struct faults_state *fs);

/* Back from fault_json_state_text's text into *fs (faults_state_clear
 * it). 0, or -EINVAL / -ENOMEM with err and *fs empty. */
int fault_json_state_parse(const char *text, struct faults_state *fs,
			   char *err, size_t errsize);

#endif
