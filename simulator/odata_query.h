/* odata_query: the OData query options of one AdminService request, read
 * against the CIM class the request addresses, and applied to a list of
 * that class's instances.
 *
 *   $filter   a condition, compiled to a predicate (predicate.h): the same
 *             tree, and so the same comparison rules, as a WQL WHERE
 *   $select   Prop[,Prop]... or *
 *   $orderby  Prop [asc|desc][,Prop [asc|desc]]...
 *   $top $skip  whole numbers
 *   $count    true | false
 *
 * The $filter language (docs/adminservice.md has the full account):
 *   operators  eq ne gt ge lt le, and or not, ( )
 *   functions  startswith endswith contains (Prop, 'text'),
 *              tolower toupper (Prop)
 *   lambda     ArrayProp/any(x: condition on x), ArrayProp/any()
 *   literals   'text' ('' is a quote), 12 -3 1.5 2e3, true false null,
 *              2024-05-01T10:00:00Z
 * Keywords, functions and property names are case-sensitive, as the
 * OData library behind the real AdminService reads them by default; a
 * literal must have the property's type (a string for a string, a number
 * for a number, true/false for a boolean, a date-time for a datetime).
 * A boolean property or a condition may stand alone or be compared with
 * true/false. Refused with an error naming what: other functions,
 * arithmetic, `in`, `has`, `all`, casts, parameter aliases, comparing two
 * properties or two constants, typed literals (datetime'...', guid'...').
 *
 * Decoding: the caller (the HTTP layer) splits the query string into
 * name/value pairs and percent-decodes both; '+' must already be a space,
 * as ASP.NET decodes it (a client sends a literal plus as %2B). This
 * module takes the decoded text and never decodes again, so "%41" in a
 * value is the three characters % 4 1.
 *
 * Options: a name starting with '$' must be one of the six above (exact
 * case); $expand, $search, $format, $apply, $skiptoken, $deltatoken,
 * $levels, $compute, $index and $schemaversion are refused as not
 * supported, any other $name as unknown. A name given twice is refused.
 * Names without '$' are the client's own (OData custom options) and are
 * ignored.
 */
#ifndef DPSIM_ODATA_QUERY_H
#define DPSIM_ODATA_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cim.h"
#include "predicate.h"

struct odata_query;

/* One name=value pair of the query string, decoded by the caller. */
struct odata_option {
	const char *name;
	const char *value;	/* NULL: the name came without '=' */
};

#define ODATA_TOKEN_MAX	40	/* bytes of a token kept for a message */

/* Why a request's options were refused: what becomes the 400's message.
 * option is the option's name ("$filter"), pos the 1-based position, in
 * characters of the option's decoded value, of the token that is wrong;
 * pos is 0 when the option as a whole is wrong (unknown, repeated, no
 * value), and the token is then the option's name. message is one
 * sentence that says all three: "$filter at position 6: expected and,
 * or, an operator or the end of $filter but found 'EQ' (OData keywords
 * are lower case: 'eq')". All three strings are NUL-terminated, valid
 * UTF-8 without control characters: bytes of the request that are not
 * text show as '?'. */
struct odata_error {
	char option[ODATA_TOKEN_MAX + 8];
	size_t pos;
	char token[ODATA_TOKEN_MAX + 8];	/* as written; "" for the end
						 * of the value */
	char message[400];
};

/* Reads opts[0..n) against class c (which must outlive the query). On
 * success 0 and *out (odata_query_free). -EINVAL with err filled (err may
 * be NULL), or -ENOMEM; *out NULL on failure. A value longer than 64 KiB,
 * or a $filter nested deeper than 64 parentheses, nots, functions and
 * lambdas, is refused. */
int odata_query_parse(const struct cim_class *c,
		      const struct odata_option *opts, size_t n,
		      struct odata_query **out, struct odata_error *err);
void odata_query_free(struct odata_query *q);

/* What was asked, for a caller that needs more than odata_query_apply.
 * All borrowed from q. */
/* The $filter's predicate, bound to c (predicate_terms() gives an index
 * its conditions); NULL without $filter. */
const struct predicate *odata_query_filter(const struct odata_query *q);

struct odata_order {
	size_t prop;		/* property index in c */
	bool desc;
};
/* The $orderby keys in order; *n 0 without $orderby. */
const struct odata_order *odata_query_orderby(const struct odata_query *q,
					      size_t *n);
/* $top (false without it), $skip (0 without it), $count=true. */
bool odata_query_top(const struct odata_query *q, uint64_t *top);
uint64_t odata_query_skip(const struct odata_query *q);
bool odata_query_count(const struct odata_query *q);

/* The answer: the instances to send, in order, and which properties of
 * each. */
struct odata_result {
	const struct cim_instance **items;	/* borrowed from the input */
	size_t count;
	size_t matched;		/* instances $filter kept, before $skip and
				 * $top: what $count=true reports */
	size_t *props;		/* property indices to write, in class
				 * order: the $select list, or every
				 * property without one (or with *) */
	size_t nprops;
};

/* Filters in[0..n) (instances of c), sorts them by $orderby (stable:
 * equal keys keep their input order; NULL sorts before any value,
 * values by predicate_value_order), skips and takes, and says which
 * properties to write. 0, or -ENOMEM. Thread-safe on a shared q. */
int odata_query_apply(const struct odata_query *q,
		      struct cim_instance *const *in, size_t n,
		      struct odata_result *out);
void odata_result_free(struct odata_result *r);

#endif
