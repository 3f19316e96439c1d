/* wql: the WMI Query Language subset dpsim evaluates.
 *
 *   SELECT * | prop [, prop]... FROM Class [WHERE expr]
 *   expr:  expr OR expr | expr AND expr | NOT expr | ( expr )
 *        | prop op literal | literal op prop | prop [NOT] LIKE 'pattern'
 *        | prop IS [NOT] NULL
 *   op:    = <> != < > <= >=
 *   literal: 'string' | "string" (backslash escapes \\ \' \" ; a raw "
 *            inside '...' is accepted too), integer, real, TRUE, FALSE, NULL
 *   LIKE:  % any run, _ one character, [abc] [^abc] [a-f] sets
 *
 * Keywords, class and property names are case-insensitive; string
 * comparison is case-insensitive (ASCII folding, as WMI documents).
 * A comparison with a NULL property is false (SQL three-valued logic folded
 * to false at the top), as WMI does.
 */
#ifndef DPSIM_WQL_H
#define DPSIM_WQL_H

#include <stdbool.h>
#include <stddef.h>

#include "cim.h"

struct wql_query;
struct predicate;

struct wql_error {
	size_t pos;		/* byte offset in the query where it went wrong */
	char message[160];	/* "expected FROM after the property list" */
};

/* Parses text. On success returns 0 and *out (wql_query_free). On a syntax
 * error returns -EINVAL and fills *err; -ENOMEM on allocation failure.
 * Queries longer than 64 KiB or nested deeper than 64 are refused. */
int wql_parse(const char *text, struct wql_query **out, struct wql_error *err);
void wql_query_free(struct wql_query *q);

/* The class after FROM, as written. Borrowed. */
const char *wql_query_class(const struct wql_query *q);
/* Selected property names; 0 (and NULL) for "*". Borrowed. */
size_t wql_query_select_count(const struct wql_query *q);
const char *const *wql_query_select(const struct wql_query *q);

/* Checks that every property the query names exists in c (WMI refuses a
 * query naming an unknown property with WBEM_E_INVALID_QUERY). Returns 0,
 * or -ENOENT with err naming the property and its position. */
int wql_query_check(const struct wql_query *q, const struct cim_class *c,
		    struct wql_error *err);

/* True when inst satisfies the WHERE clause (always, without one). The
 * instance's class must have passed wql_query_check(). Values that do not
 * convert to the property's type (e.g. Mode = 'abc' for a uint32) compare
 * false. Thread-safe: a parsed query may be matched from several threads. */
bool wql_query_match(const struct wql_query *q, const struct cim_instance *inst);

/* The query's WHERE as a predicate (predicate.h), NULL without one; for
 * a caller that keeps an index (predicate_terms). Borrowed from q. */
const struct predicate *wql_query_where(const struct wql_query *q);

/* WQL LIKE on its own, case-insensitive; exposed for SelectorFilter and
 * NAL-path globs. */
bool wql_like(const char *text, const char *pattern);

#endif
