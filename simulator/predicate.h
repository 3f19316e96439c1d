/* predicate: a condition over CIM instances, whatever query language
 * wrote it.
 *
 * WQL's WHERE (wql.c) and OData's $filter (odata_query.c) both compile to
 * a tree of these nodes and match instances through predicate_match(), so
 * the two query paths cannot disagree on what a comparison means. The
 * module knows no query syntax and no wire format: its callers parse,
 * report syntax errors, and decide which constructs their language has.
 *
 * Nodes:
 *   AND, OR           two or more children (kept n-ary, so long chains stay
 *                     flat); NOT one child
 *   compare           operand op literal (op: = <> < > <= >=)
 *   like              operand [NOT] LIKE pattern (WQL's LIKE, below)
 *   null test         property IS [NOT] NULL
 *   string function   startswith / endswith / contains(operand, text)
 *   any               some item of an array property satisfies a body
 *                     (leaves of the body name the item, see operand.item);
 *                     without a body: the array has an item
 *
 * Semantics (WQL's, as WMI evaluates them; docs/adminservice.md explains
 * why $filter gets them too):
 * - A literal is converted to the property's type at match time, from
 *   interpretations worked out once when the node is made (matching never
 *   allocates):
 *     string, char16   the literal's text (a number as written, a boolean
 *                      as "true"/"false"), compared with ASCII case folding;
 *     datetime         the literal's canonical datetime form when it is
 *                      one (so a DMTF literal compares with ISO values),
 *                      else its text; compared as case-folded text;
 *     integers         an integer literal or a string holding one must fit
 *                      the property's type (uint32 = -1 is false); a real
 *                      literal is compared as a double when it lies within
 *                      the type's range;
 *     boolean          a boolean literal, integer 0/1, or a string
 *                      'true'/'false'/'1'/'0'; false < true;
 *     real32/64        any numeric literal or string holding one.
 *   A literal that does not convert makes the comparison false.
 * - Three-valued logic: a compare, like or string function on a NULL (or
 *   empty array) property is UNKNOWN; AND/OR/NOT follow Kleene's rules and
 *   predicate_match() folds UNKNOWN to false, so NOT (Name = 'x') does not
 *   match a NULL Name. A null test and `any` are never UNKNOWN; `any` over
 *   a NULL or empty array is false.
 * - Arrays: a compare, like (NOT LIKE included) or string function on an
 *   array property holds when it holds for at least one item.
 * - String functions compare with ASCII case folding, like everything
 *   else. An operand's case transform (tolower/toupper) is kept in the
 *   tree but changes no outcome: every comparison folds case anyway.
 * - LIKE applies to the canonical text of any type: % any run, _ one
 *   character (one UTF-8 sequence), [abc] [^abc] [a-f] (or a=f) sets; no
 *   escape character, literal metacharacters are written [%] [_] [[]; a
 *   '[' without a closing ']' is an ordinary character; a ']' right after
 *   '[' or '[^' is a set member. Case-insensitive (ASCII).
 *
 * Ownership: every constructor returns a new node (NULL when out of
 * memory) that the caller frees with predicate_free() unless it hands it
 * to another node; a function that takes a child takes it even when it
 * fails. Strings are copied. A finished tree is read-only: matching from
 * several threads at once is safe. Depth is the caller's to bound (the
 * recursion here follows the tree).
 */
#ifndef DPSIM_PREDICATE_H
#define DPSIM_PREDICATE_H

#include <stdbool.h>
#include <stddef.h>

#include "cim.h"

struct predicate;

enum predicate_op {
	PREDICATE_EQ, PREDICATE_NE, PREDICATE_LT, PREDICATE_GT,
	PREDICATE_LE, PREDICATE_GE,
};

/* How the caller's language wrote the literal. */
enum predicate_lit {
	PREDICATE_LIT_STRING,	/* quoted text (also datetime text) */
	PREDICATE_LIT_INT,	/* decimal digits, optional sign */
	PREDICATE_LIT_REAL,	/* a number with '.' or an exponent */
	PREDICATE_LIT_BOOL,	/* text "true" or "false" */
};

enum predicate_strfn {
	PREDICATE_STARTS_WITH, PREDICATE_ENDS_WITH, PREDICATE_CONTAINS,
};

enum predicate_case {
	PREDICATE_CASE_KEEP, PREDICATE_CASE_LOWER, PREDICATE_CASE_UPPER,
};

/* The value a leaf looks at. */
struct predicate_operand {
	const char *prop;	/* property name (copied); resolved against
				 * the instance's class, ignoring case */
	size_t pos;		/* where the caller's text names it; kept only
				 * for predicate_check()'s report */
	bool item;		/* inside an `any` body: the item being tried,
				 * not every item of prop (prop must then be
				 * the any's property) */
	enum predicate_case xform;	/* tolower/toupper around it */
};

struct predicate *predicate_compare(const struct predicate_operand *o,
				    enum predicate_op op,
				    enum predicate_lit kind, const char *text);
struct predicate *predicate_like(const struct predicate_operand *o,
				 const char *pattern, bool negate);
/* IS NULL (negate: IS NOT NULL); o->item must be false. */
struct predicate *predicate_null(const struct predicate_operand *o,
				 bool negate);
struct predicate *predicate_string(const struct predicate_operand *o,
				   enum predicate_strfn fn, const char *text);
/* Some item of array property prop satisfies body (NULL: there is an
 * item). Takes body. */
struct predicate *predicate_any(const char *prop, size_t pos,
				struct predicate *body);

/* An empty AND or OR; add two or more children with predicate_add. */
struct predicate *predicate_and(void);
struct predicate *predicate_or(void);
/* Appends kid (taken) to an AND or OR. 0, or -ENOMEM (kid freed),
 * -EINVAL when parent is neither (kid freed). */
int predicate_add(struct predicate *parent, struct predicate *kid);
/* NOT kid (taken). */
struct predicate *predicate_not(struct predicate *kid);

void predicate_free(struct predicate *p);

/* The first property p names (depth first, children in order) that class
 * c lacks, with the pos it was made with; NULL when c has them all. */
const char *predicate_check(const struct predicate *p,
			    const struct cim_class *c, size_t *pos);

/* Resolves p's property names against c once, so that matching
 * instances of c skips the look-up by name. Optional; instances of
 * another class are still looked up by name. Call before sharing p. */
void predicate_bind(struct predicate *p, const struct cim_class *c);

/* True when inst satisfies p (UNKNOWN is false). A property inst's class
 * lacks makes its leaf false. */
bool predicate_match(const struct predicate *p,
		     const struct cim_instance *inst);

/* WQL LIKE on its own (the rules above). False when either is NULL. */
bool predicate_like_match(const char *text, const char *pattern);

/* A total order on canonical values of type t, for sorting: numbers by
 * value (text that does not convert sorts after every number, then by
 * bytes), booleans false < true, strings, char16 and datetimes by
 * ASCII-folded bytes and then by bytes, so that values differing only in
 * case still have an order. <0, 0, >0 as strcmp. */
int predicate_value_order(enum cim_type t, const char *a, const char *b);

/* ---- the hook for an index (issue 14) ------------------------------------
 *
 * predicate_terms() lists conditions that every instance matching p
 * satisfies: the leaves of p's top-level AND (or p itself when it is a
 * leaf) of the forms
 *   prop = literal                        PREDICATE_TERM_EQUAL
 *   prop LIKE 'text' (no % _ [)           PREDICATE_TERM_EQUAL
 *   prop LIKE 'text%...', startswith      PREDICATE_TERM_PREFIX (text up to
 *                                          the first % _ or [)
 * on the property itself (not an `any` item), never under NOT, OR or a
 * negated LIKE. It may leave conditions out; it never reports one that is
 * not necessary. So an index can take the candidates that satisfy any one
 * term (the most selective it has) and run predicate_match() on those
 * alone: the answer is the same as scanning every instance.
 *
 * On an array property a term means "some item": an index of scalar
 * properties (Name, NALPath, ServerName, SiteCode, MaintenanceMode) can
 * ignore terms on properties it does not hold.
 */
enum predicate_term_kind { PREDICATE_TERM_EQUAL, PREDICATE_TERM_PREFIX };

struct predicate_term {
	const char *prop;		/* as written; borrowed from p */
	enum predicate_term_kind kind;
	const struct predicate *leaf;	/* the node it came from; borrowed */
};

/* Fills up to max terms into out (out may be NULL when max is 0) and
 * returns how many p has, which may exceed max. */
size_t predicate_terms(const struct predicate *p, struct predicate_term *out,
		       size_t max);

/* The key of term t for a property of type t_type, in the form an index
 * would store the property's canonical values under: for string, char16
 * and datetime the text folded to ASCII lower case (a PREFIX term: the
 * folded prefix); for integers, booleans and reals the canonical text of
 * the value (cim.h). On success 0 and *key (malloc'd; the caller frees).
 * -ERANGE when no value of that type can satisfy the term (uint32 = -1,
 * a prefix term on a number): the index answers "none". -ENOMEM. For a
 * real, -EINVAL: equality of doubles is no key. */
int predicate_term_key(const struct predicate_term *t, enum cim_type t_type,
		       char **key);

#endif
