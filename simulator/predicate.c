/* predicate: the node tree, literal conversions, three-valued evaluation,
 * LIKE, the sort order and the index hook of predicate.h.
 *
 * The comparison rules were WQL's evaluator (wql.c) before they were
 * shared; they are unchanged, and test_wql still holds them to it.
 */
#include "predicate.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum node_kind {
	NODE_AND, NODE_OR, NODE_NOT, NODE_CMP, NODE_LIKE, NODE_NULL,
	NODE_STRFN, NODE_ANY,
};

/* A literal with every interpretation the evaluator may need. */
struct lit {
	enum predicate_lit kind;
	char *text;		/* string value, number as written, "true" */
	char *datetime;		/* canonical datetime form of text, or NULL */
	bool has_int;		/* text is a decimal integer: neg, mag */
	bool neg;
	uint64_t mag;
	bool has_real;		/* text is a finite number: real */
	double real;
	bool has_bool;		/* true/false, 0/1, 'true'/'false' */
	bool b;
};

struct predicate {
	enum node_kind kind;
	struct predicate **kids;	/* AND/OR: two or more; NOT: one;
					 * ANY: its body, or none */
	size_t nkids;
	char *prop;			/* leaves and ANY */
	size_t pos;
	bool item;
	enum predicate_case xform;
	const struct cim_class *bound;	/* predicate_bind: prop's index */
	int bound_idx;
	enum predicate_op op;		/* NODE_CMP, property on the left */
	bool negate;			/* NOT LIKE; IS NOT NULL */
	enum predicate_strfn fn;	/* NODE_STRFN */
	struct lit lit;			/* CMP value; LIKE pattern and STRFN
					 * text in lit.text */
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char fold(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

/* ---- literals --------------------------------------------------------- */

/* [+-]digits, without the 64-bit range limit of a signed type. */
static bool parse_int(const char *s, bool *neg, uint64_t *mag)
{
	uint64_t v = 0;

	*neg = false;
	if (*s == '+' || *s == '-')
		*neg = *s++ == '-';
	if (!is_digit(*s))
		return false;
	for (; *s; s++) {
		unsigned d = (unsigned)(*s - '0');

		if (!is_digit(*s) || v > (UINT64_MAX - d) / 10)
			return false;
		v = v * 10 + d;
	}
	if (v == 0)
		*neg = false;
	*mag = v;
	return true;
}

static void lit_clear(struct lit *l)
{
	free(l->text);
	free(l->datetime);
	memset(l, 0, sizeof(*l));
}

/* Fills l from a copy of text and works out its conversions. */
static int lit_derive(struct lit *l, enum predicate_lit kind, const char *text)
{
	l->kind = kind;
	if (!(l->text = strdup(text)))
		return -ENOMEM;
	if (kind == PREDICATE_LIT_BOOL) {
		l->has_bool = true;
		l->b = text[0] == 't';
		return 0;
	}
	l->has_int = parse_int(text, &l->neg, &l->mag);
	l->has_real = cim_text_to_double(text, &l->real) == 0;
	if (kind != PREDICATE_LIT_REAL && l->has_int && !l->neg && l->mag <= 1) {
		l->has_bool = true;
		l->b = l->mag == 1;
	}
	if (kind == PREDICATE_LIT_STRING) {
		if (cim_text_to_bool(text, &l->b) == 0)
			l->has_bool = true;
		if (cim_value_canonical(CIM_DATETIME, text, &l->datetime,
					NULL) == -ENOMEM)
			return -ENOMEM;
	}
	return 0;
}

/* ---- building --------------------------------------------------------- */

static struct predicate *node_new(enum node_kind kind)
{
	struct predicate *n = calloc(1, sizeof(*n));

	if (n) {
		n->kind = kind;
		n->bound_idx = -1;
	}
	return n;
}

void predicate_free(struct predicate *p)
{
	size_t i;

	if (!p)
		return;
	for (i = 0; i < p->nkids; i++)
		predicate_free(p->kids[i]);
	free(p->kids);
	free(p->prop);
	lit_clear(&p->lit);
	free(p);
}

/* A leaf on operand o, or NULL. */
static struct predicate *leaf_new(enum node_kind kind,
				  const struct predicate_operand *o)
{
	struct predicate *n = node_new(kind);

	if (!n)
		return NULL;
	if (!(n->prop = strdup(o->prop))) {
		free(n);
		return NULL;
	}
	n->pos = o->pos;
	n->item = o->item;
	n->xform = o->xform;
	return n;
}

/* Finishes a leaf with literal text: n, or NULL (n freed). */
static struct predicate *leaf_lit(struct predicate *n, enum predicate_lit kind,
				  const char *text)
{
	if (n && lit_derive(&n->lit, kind, text)) {
		predicate_free(n);
		return NULL;
	}
	return n;
}

struct predicate *predicate_compare(const struct predicate_operand *o,
				    enum predicate_op op,
				    enum predicate_lit kind, const char *text)
{
	struct predicate *n = leaf_new(NODE_CMP, o);

	if (n)
		n->op = op;
	return leaf_lit(n, kind, text);
}

struct predicate *predicate_like(const struct predicate_operand *o,
				 const char *pattern, bool negate)
{
	struct predicate *n = leaf_new(NODE_LIKE, o);

	if (n)
		n->negate = negate;
	return leaf_lit(n, PREDICATE_LIT_STRING, pattern);
}

struct predicate *predicate_null(const struct predicate_operand *o,
				 bool negate)
{
	struct predicate *n = leaf_new(NODE_NULL, o);

	if (n)
		n->negate = negate;
	return n;
}

struct predicate *predicate_string(const struct predicate_operand *o,
				   enum predicate_strfn fn, const char *text)
{
	struct predicate *n = leaf_new(NODE_STRFN, o);

	if (n)
		n->fn = fn;
	return leaf_lit(n, PREDICATE_LIT_STRING, text);
}

static int node_add(struct predicate *n, struct predicate *kid)
{
	struct predicate **k = realloc(n->kids, (n->nkids + 1) * sizeof(*k));

	if (!k) {
		predicate_free(kid);
		return -ENOMEM;
	}
	n->kids = k;
	n->kids[n->nkids++] = kid;
	return 0;
}

struct predicate *predicate_any(const char *prop, size_t pos,
				struct predicate *body)
{
	struct predicate *n = node_new(NODE_ANY);

	if (!n || !(n->prop = strdup(prop))) {
		free(n);
		predicate_free(body);
		return NULL;
	}
	n->pos = pos;
	if (body && node_add(n, body)) {	/* node_add freed body */
		predicate_free(n);
		return NULL;
	}
	return n;
}

struct predicate *predicate_and(void)
{
	return node_new(NODE_AND);
}

struct predicate *predicate_or(void)
{
	return node_new(NODE_OR);
}

int predicate_add(struct predicate *parent, struct predicate *kid)
{
	if (parent->kind != NODE_AND && parent->kind != NODE_OR) {
		predicate_free(kid);
		return -EINVAL;
	}
	return node_add(parent, kid);
}

struct predicate *predicate_not(struct predicate *kid)
{
	struct predicate *n = node_new(NODE_NOT);

	if (!n) {
		predicate_free(kid);
		return NULL;
	}
	if (node_add(n, kid)) {
		free(n);
		return NULL;
	}
	return n;
}

/* ---- check and bind --------------------------------------------------- */

const char *predicate_check(const struct predicate *p,
			    const struct cim_class *c, size_t *pos)
{
	const char *bad;
	size_t i;

	if (p->prop && cim_class_find_property(c, p->prop) < 0) {
		if (pos)
			*pos = p->pos;
		return p->prop;
	}
	for (i = 0; i < p->nkids; i++)
		if ((bad = predicate_check(p->kids[i], c, pos)))
			return bad;
	return NULL;
}

void predicate_bind(struct predicate *p, const struct cim_class *c)
{
	size_t i;

	if (p->prop) {
		p->bound = c;
		p->bound_idx = cim_class_find_property(c, p->prop);
	}
	for (i = 0; i < p->nkids; i++)
		predicate_bind(p->kids[i], c);
}

/* ---- evaluation ------------------------------------------------------- */

enum tri { TRI_FALSE, TRI_TRUE, TRI_UNKNOWN };

/* The item an `any` is trying, for the leaves of its body; up is the
 * enclosing any's, when anys nest. */
struct binding {
	const char *prop;
	enum cim_type type;
	const char *item;
	const struct binding *up;
};

static bool op_holds(enum predicate_op op, int c)
{
	switch (op) {
	case PREDICATE_EQ: return c == 0;
	case PREDICATE_NE: return c != 0;
	case PREDICATE_LT: return c < 0;
	case PREDICATE_GT: return c > 0;
	case PREDICATE_LE: return c <= 0;
	case PREDICATE_GE: return c >= 0;
	}
	return false;
}

/* Case-insensitive byte order, folding ASCII to lower case as _wcsicmp. */
static int fold_cmp(const char *a, const char *b)
{
	unsigned char x, y;

	do {
		x = (unsigned char)fold(*a++);
		y = (unsigned char)fold(*b++);
	} while (x && x == y);
	return (x > y) - (x < y);
}

static int cmp_sm(bool an, uint64_t am, bool bn, uint64_t bm)
{
	int c;

	if (an != bn)
		return an ? -1 : 1;
	c = (am > bm) - (am < bm);
	return an ? -c : c;
}

static unsigned int_bits(enum cim_type t)
{
	switch (t) {
	case CIM_UINT8: case CIM_SINT8: return 8;
	case CIM_UINT16: case CIM_SINT16: return 16;
	case CIM_UINT32: case CIM_SINT32: return 32;
	default: return 64;
	}
}

/* The type's range as sign-magnitude bounds: [-min_mag, max]. */
static void int_range(enum cim_type t, uint64_t *min_mag, uint64_t *max)
{
	unsigned bits = int_bits(t);

	if (cim_type_is_signed(t)) {
		*min_mag = (uint64_t)1 << (bits - 1);
		*max = *min_mag - 1;
	} else {
		*min_mag = 0;
		*max = bits == 64 ? UINT64_MAX : ((uint64_t)1 << bits) - 1;
	}
}

/* Reads an integer item as sign-magnitude and as a double. */
static bool int_item(enum cim_type t, const char *item, bool *neg,
		     uint64_t *mag, double *d)
{
	int64_t i;
	uint64_t u;

	if (cim_type_is_signed(t)) {
		if (cim_text_to_i64(item, &i))
			return false;
		*neg = i < 0;
		*mag = *neg ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
		*d = (double)i;
	} else {
		if (cim_text_to_u64(item, &u))
			return false;
		*neg = false;
		*mag = u;
		*d = (double)u;
	}
	return true;
}

/* Whether real literal x lies within type t's range. (double)max may
 * round up to 2^bits, so bound by that, exclusive; (max / 2 + 1) * 2 is
 * 2^bits (or 2^(bits-1)) computed exactly. */
static bool real_in_range(enum cim_type t, double x)
{
	uint64_t min_mag, max;

	int_range(t, &min_mag, &max);
	return x >= -(double)min_mag && x < (double)(max / 2 + 1) * 2.0;
}

static bool int_compare(enum cim_type t, const char *item,
			const struct lit *l, enum predicate_op op)
{
	uint64_t min_mag, max, mag;
	bool neg;
	double d;

	int_range(t, &min_mag, &max);
	if (!int_item(t, item, &neg, &mag, &d))
		return false;
	if (l->has_int) {
		if (l->neg ? l->mag > min_mag : l->mag > max)
			return false;
		return op_holds(op, cmp_sm(neg, mag, l->neg, l->mag));
	}
	if (!l->has_real || !real_in_range(t, l->real))
		return false;
	return op_holds(op, (d > l->real) - (d < l->real));
}

static bool item_compare(enum cim_type t, const char *item,
			 const struct lit *l, enum predicate_op op)
{
	double d;
	bool b;

	switch (t) {
	case CIM_STRING:
	case CIM_CHAR16:
		return op_holds(op, fold_cmp(item, l->text));
	case CIM_DATETIME:
		return op_holds(op, fold_cmp(item, l->datetime ? l->datetime :
					     l->text));
	case CIM_BOOLEAN:
		if (!l->has_bool || cim_text_to_bool(item, &b))
			return false;
		return op_holds(op, (int)b - (int)l->b);
	case CIM_REAL32:
	case CIM_REAL64:
		if (!l->has_real || cim_text_to_double(item, &d))
			return false;
		return op_holds(op, (d > l->real) - (d < l->real));
	default:
		return int_compare(t, item, l, op);
	}
}

/* Whether folded needle occurs in folded hay at offset at. */
static bool fold_at(const char *hay, size_t at, const char *needle,
		    size_t nlen)
{
	for (size_t i = 0; i < nlen; i++)
		if (fold(hay[at + i]) != fold(needle[i]))
			return false;
	return true;
}

/* startswith / endswith / contains, folding ASCII case. Byte-wise: a
 * folded ASCII byte never matches part of a UTF-8 sequence, so a match is
 * always on whole characters. */
static bool strfn_holds(enum predicate_strfn fn, const char *item,
			const char *text)
{
	size_t hl = strlen(item), nl = strlen(text), i;

	if (nl > hl)
		return false;
	switch (fn) {
	case PREDICATE_STARTS_WITH:
		return fold_at(item, 0, text, nl);
	case PREDICATE_ENDS_WITH:
		return fold_at(item, hl - nl, text, nl);
	case PREDICATE_CONTAINS:
		for (i = 0; i + nl <= hl; i++)
			if (fold_at(item, i, text, nl))
				return true;
		return false;
	}
	return false;
}

/* One item against a leaf. The operand's case transform is not applied:
 * every comparison here folds ASCII case, so it could change nothing. */
static bool leaf_item(const struct predicate *n, enum cim_type t,
		      const char *item)
{
	switch (n->kind) {
	case NODE_LIKE:
		return predicate_like_match(item, n->lit.text) != n->negate;
	case NODE_STRFN:
		return strfn_holds(n->fn, item, n->lit.text);
	default:
		return item_compare(t, item, &n->lit, n->op);
	}
}

/* The value n's property has in inst: its type and value, or false when
 * inst's class lacks it. */
static bool resolve(const struct predicate *n, const struct cim_instance *inst,
		    enum cim_type *t, const struct cim_value **v)
{
	const struct cim_class *c = cim_instance_class(inst);
	int idx = c == n->bound ? n->bound_idx :
		  cim_class_find_property(c, n->prop);

	if (idx < 0)
		return false;	/* not checked against this class */
	*t = cim_class_property(c, (size_t)idx)->type;
	*v = cim_instance_get(inst, (size_t)idx);
	return true;
}

static const struct binding *find_binding(const struct binding *b,
					  const char *prop)
{
	for (; b; b = b->up)
		if (strcasecmp(b->prop, prop) == 0)
			return b;
	return NULL;
}

static enum tri eval(const struct predicate *n,
		     const struct cim_instance *inst,
		     const struct binding *b);

static enum tri eval_any(const struct predicate *n,
			 const struct cim_instance *inst,
			 const struct binding *up)
{
	const struct cim_value *v;
	struct binding b;
	size_t i;

	if (!resolve(n, inst, &b.type, &v) || !v || v->null || v->count == 0)
		return TRI_FALSE;
	if (n->nkids == 0)
		return TRI_TRUE;
	b.prop = n->prop;
	b.up = up;
	for (i = 0; i < v->count; i++) {
		b.item = v->items[i];
		if (eval(n->kids[0], inst, &b) == TRI_TRUE)
			return TRI_TRUE;
	}
	return TRI_FALSE;
}

static enum tri eval_leaf(const struct predicate *n,
			  const struct cim_instance *inst,
			  const struct binding *b)
{
	const struct cim_value *v;
	enum cim_type t;
	bool absent;
	size_t i;

	if (n->item) {
		if (!(b = find_binding(b, n->prop)))
			return TRI_FALSE;	/* outside its any */
		if (n->kind == NODE_NULL)
			return n->negate ? TRI_TRUE : TRI_FALSE;
		return leaf_item(n, b->type, b->item) ? TRI_TRUE : TRI_FALSE;
	}
	if (!resolve(n, inst, &t, &v))
		return TRI_FALSE;
	absent = !v || v->null || v->count == 0;
	if (n->kind == NODE_NULL)
		return absent != n->negate ? TRI_TRUE : TRI_FALSE;
	if (absent)
		return TRI_UNKNOWN;
	for (i = 0; i < v->count; i++)
		if (leaf_item(n, t, v->items[i]))
			return TRI_TRUE;
	return TRI_FALSE;
}

/* Recursion depth is the tree's, which the parsers bound. */
static enum tri eval(const struct predicate *n,
		     const struct cim_instance *inst,
		     const struct binding *b)
{
	enum tri r, acc;
	size_t i;

	switch (n->kind) {
	case NODE_NOT:
		r = eval(n->kids[0], inst, b);
		if (r == TRI_UNKNOWN)
			return r;
		return r == TRI_TRUE ? TRI_FALSE : TRI_TRUE;
	case NODE_AND:
	case NODE_OR:
		/* AND: FALSE dominates; OR: TRUE dominates; else UNKNOWN
		 * beats the neutral value. */
		acc = n->kind == NODE_AND ? TRI_TRUE : TRI_FALSE;
		for (i = 0; i < n->nkids; i++) {
			r = eval(n->kids[i], inst, b);
			if (r == TRI_UNKNOWN)
				acc = TRI_UNKNOWN;
			else if (r != (n->kind == NODE_AND ? TRI_TRUE :
				       TRI_FALSE))
				return r;
		}
		return acc;
	case NODE_ANY:
		return eval_any(n, inst, b);
	default:
		return eval_leaf(n, inst, b);
	}
}

bool predicate_match(const struct predicate *p,
		     const struct cim_instance *inst)
{
	return eval(p, inst, NULL) == TRI_TRUE;
}

/* ---- sort order ------------------------------------------------------- */

static int real_order(double a, double b)
{
	return (a > b) - (a < b);
}

int predicate_value_order(enum cim_type t, const char *a, const char *b)
{
	bool na, nb, ba, bb;
	uint64_t ma, mb;
	double da, db;
	int c;

	if (cim_type_is_integer(t)) {
		bool oka = int_item(t, a, &na, &ma, &da);
		bool okb = int_item(t, b, &nb, &mb, &db);

		if (oka && okb)
			return cmp_sm(na, ma, nb, mb);
		if (oka != okb)
			return oka ? -1 : 1;
	} else if (cim_type_is_real(t)) {
		bool oka = cim_text_to_double(a, &da) == 0;
		bool okb = cim_text_to_double(b, &db) == 0;

		if (oka && okb && (c = real_order(da, db)))
			return c;
		if (oka != okb)
			return oka ? -1 : 1;
	} else if (t == CIM_BOOLEAN) {
		bool oka = cim_text_to_bool(a, &ba) == 0;
		bool okb = cim_text_to_bool(b, &bb) == 0;

		if (oka && okb)
			return (int)ba - (int)bb;
		if (oka != okb)
			return oka ? -1 : 1;
	} else if ((c = fold_cmp(a, b))) {
		return c;
	}
	c = strcmp(a, b);
	return (c > 0) - (c < 0);
}

/* ---- the index hook --------------------------------------------------- */

/* The length of pattern's literal prefix: up to the first % _ or [. */
static size_t like_prefix(const char *pattern)
{
	return strcspn(pattern, "%_[");
}

/* Whether leaf n gives a term, and which. */
static bool leaf_term(const struct predicate *n,
		      enum predicate_term_kind *kind)
{
	if (n->item)
		return false;
	switch (n->kind) {
	case NODE_CMP:
		*kind = PREDICATE_TERM_EQUAL;
		return n->op == PREDICATE_EQ;
	case NODE_LIKE:
		if (n->negate || like_prefix(n->lit.text) == 0)
			return false;
		*kind = n->lit.text[like_prefix(n->lit.text)] ?
			PREDICATE_TERM_PREFIX : PREDICATE_TERM_EQUAL;
		return true;
	case NODE_STRFN:
		*kind = PREDICATE_TERM_PREFIX;
		return n->fn == PREDICATE_STARTS_WITH;
	default:
		return false;
	}
}

size_t predicate_terms(const struct predicate *p, struct predicate_term *out,
		       size_t max)
{
	const struct predicate *const *kids = &p;
	size_t nkids = 1, n = 0, i;
	enum predicate_term_kind kind;

	if (p->kind == NODE_AND) {
		kids = (const struct predicate *const *)p->kids;
		nkids = p->nkids;
	}
	for (i = 0; i < nkids; i++) {
		if (!leaf_term(kids[i], &kind))
			continue;
		if (n < max) {
			out[n].prop = kids[i]->prop;
			out[n].kind = kind;
			out[n].leaf = kids[i];
		}
		n++;
	}
	return n;
}

/* len bytes of s folded to ASCII lower case, as a new string. */
static char *folded(const char *s, size_t len)
{
	char *k = malloc(len + 1);

	if (!k)
		return NULL;
	for (size_t i = 0; i < len; i++)
		k[i] = fold(s[i]);
	k[len] = '\0';
	return k;
}

/* The canonical integer of type t that literal l equals. */
static int int_key(enum cim_type t, const struct lit *l, char **key)
{
	uint64_t min_mag, max;
	char buf[32];
	bool neg;
	uint64_t mag;

	int_range(t, &min_mag, &max);
	if (l->has_int) {
		neg = l->neg;
		mag = l->mag;
	} else if (l->has_real) {
		/* Items are compared with a real literal as doubles. Below
		 * 2^53 every integer is a double of its own, so one item at
		 * most equals an integral x; from 2^53 on, neighbours round
		 * to the same double and no one key would do. */
		int64_t iv;

		if (l->real >= 9007199254740992.0 ||
		    l->real <= -9007199254740992.0)
			return -EINVAL;
		iv = (int64_t)l->real;
		if ((double)iv != l->real || !real_in_range(t, l->real))
			return -ERANGE;
		neg = iv < 0;
		mag = neg ? (uint64_t)0 - (uint64_t)iv : (uint64_t)iv;
	} else {
		return -ERANGE;
	}
	if (neg ? mag > min_mag : mag > max)
		return -ERANGE;
	snprintf(buf, sizeof(buf), "%s%llu", neg && mag ? "-" : "",
		 (unsigned long long)mag);
	return (*key = strdup(buf)) ? 0 : -ENOMEM;
}

int predicate_term_key(const struct predicate_term *t, enum cim_type t_type,
		       char **key)
{
	const struct predicate *n = t->leaf;
	const struct lit *l = &n->lit;
	const char *text = l->text;

	*key = NULL;
	if (n->kind == NODE_LIKE || n->kind == NODE_STRFN) {
		/* Matched against the canonical text of any type. */
		size_t len = n->kind == NODE_LIKE ? like_prefix(text) :
			     strlen(text);
		return (*key = folded(text, len)) ? 0 : -ENOMEM;
	}
	switch (t_type) {
	case CIM_STRING:
	case CIM_CHAR16:
		break;
	case CIM_DATETIME:
		if (l->datetime)
			text = l->datetime;
		break;
	case CIM_BOOLEAN:
		if (!l->has_bool)
			return -ERANGE;
		text = l->b ? "true" : "false";
		break;
	case CIM_REAL32:
	case CIM_REAL64:
		return -EINVAL;
	default:
		return int_key(t_type, l, key);
	}
	return (*key = folded(text, strlen(text))) ? 0 : -ENOMEM;
}

/* ---- LIKE ------------------------------------------------------------- */

/* Code points for malformed bytes, outside Unicode so they only match
 * themselves. */
#define RAW_BYTE_BASE	0x110000u

/* Decodes one UTF-8 character of s (not at its end); returns its length. */
static size_t u8_next(const char *str, uint32_t *cp)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n, i;
	uint32_t v;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xC2 && s[0] <= 0xDF) {
		n = 2;
		v = s[0] & 0x1Fu;
	} else if (s[0] >= 0xE0 && s[0] <= 0xEF) {
		n = 3;
		v = s[0] & 0x0Fu;
	} else if (s[0] >= 0xF0 && s[0] <= 0xF4) {
		n = 4;
		v = s[0] & 0x07u;
	} else {
		*cp = RAW_BYTE_BASE + s[0];
		return 1;
	}
	/* A NUL is not a continuation byte, so this stops at the end. */
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = RAW_BYTE_BASE + s[0];
			return 1;
		}
		v = (v << 6) | (s[i] & 0x3Fu);
	}
	*cp = v;
	return n;
}

static uint32_t fold_cp(uint32_t c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

static uint32_t upper_cp(uint32_t c)
{
	return c >= 'a' && c <= 'z' ? c - 32 : c;
}

/* p is just after '['; returns the ']' closing the set, or NULL. */
static const char *set_end(const char *p)
{
	if (*p == '^')
		p++;
	if (*p == ']')
		p++;
	p = strchr(p, ']');
	return p;
}

static bool in_range(uint32_t c, uint32_t lo, uint32_t hi)
{
	return (c >= lo && c <= hi) ||
	       (fold_cp(c) >= lo && fold_cp(c) <= hi) ||
	       (upper_cp(c) >= lo && upper_cp(c) <= hi);
}

/* Whether c is in the set [s, end) (the text between '[' and ']'). */
static bool set_match(const char *s, const char *end, uint32_t c)
{
	bool neg = false;
	uint32_t lo, hi;

	if (*s == '^' && s + 1 < end) {
		neg = true;
		s++;
	}
	while (s < end) {
		s += u8_next(s, &lo);
		hi = lo;
		if ((*s == '-' || *s == '=') && s + 1 < end) {
			s++;
			s += u8_next(s, &hi);
		}
		if (in_range(c, lo, hi))
			return !neg;
	}
	return neg;
}

/* Matches one pattern element other than '%' at *pp against the character
 * at *tp (neither at its end); on success advances both past it. */
static bool elem_match(const char **pp, const char **tp)
{
	const char *p = *pp, *end;
	uint32_t tc, pc;
	size_t tn = u8_next(*tp, &tc), pn;

	if (*p == '_') {
		pn = 1;
	} else if (*p == '[' && (end = set_end(p + 1))) {
		if (!set_match(p + 1, end, tc))
			return false;
		pn = (size_t)(end + 1 - p);
	} else {
		pn = u8_next(p, &pc);
		if (fold_cp(pc) != fold_cp(tc))
			return false;
	}
	*pp = p + pn;
	*tp += tn;
	return true;
}

/* Greedy matching that, on a mismatch, lets only the last '%' seen absorb
 * one more character. Every other element consumes exactly one character,
 * so earlier '%'s never need revisiting: O(len(text) * len(pattern)) at
 * worst, with no recursion. */
bool predicate_like_match(const char *text, const char *pattern)
{
	const char *t = text, *p = pattern, *star_p = NULL, *star_t = NULL;
	uint32_t cp;

	if (!text || !pattern)
		return false;
	while (*t) {
		if (*p == '%') {
			while (*p == '%')
				p++;
			if (!*p)
				return true;
			star_p = p;
			star_t = t;
			continue;
		}
		if (*p && elem_match(&p, &t))
			continue;
		if (!star_p)
			return false;
		star_t += u8_next(star_t, &cp);
		t = star_t;
		p = star_p;
	}
	while (*p == '%')
		p++;
	return !*p;
}
