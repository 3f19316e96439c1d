/* odata_query: reading the query options of odata_query.h, and applying
 * them.
 *
 * $filter is read by a hand-written lexer and a recursive-descent parser
 * whose levels follow OData's precedence: or < and < comparison (eq ne gt
 * ge lt le, left to right) < not < primary (parentheses, literals,
 * properties, function calls, lambdas). Each level yields a typed
 * expression: a condition (a predicate), a value (a property, an array's
 * item, either under tolower/toupper), a literal, or null; a comparison
 * turns value-and-literal into a predicate leaf, after checking that the
 * literal has the property's type. Types are checked as the OData library
 * does, so what it refuses with a 400 is refused here too; what it would
 * accept but dpsim does not evaluate (arithmetic, most functions) is
 * refused by name.
 *
 * Decided here (docs/adminservice.md, Query options):
 * - A condition may be compared with true or false (startswith(Name,'a')
 *   eq true); "eq false" and "ne true" become NOT.
 * - eq null / ne null are null tests; null with another operator, or
 *   against a condition, is refused.
 * - An array property must be tested through any(); comparing it
 *   directly is refused (OData has no "some item" reading of eq).
 * - A date-time literal needs its offset (Z or +hh:mm); seconds may be
 *   left out, as in OData (10:00Z is 10:00:00Z).
 * - Positions count characters (UTF-8 sequences) of the decoded value,
 *   from 1.
 */
#include "odata_query.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ODATA_MAX_LEN	65536
#define ODATA_MAX_DEPTH	64

struct odata_query {
	const struct cim_class *cls;
	struct predicate *filter;	/* NULL without $filter */
	struct odata_order *order;
	size_t norder;
	bool has_top;
	uint64_t top;
	uint64_t skip;
	bool count;
	size_t *select;			/* class order; NULL: every one */
	size_t nselect;
};

/* ---- errors ----------------------------------------------------------- */

/* The option being read, for messages. */
struct ctx {
	const char *option;	/* its name as the client wrote it */
	const char *text;	/* its decoded value */
	size_t len;
	struct odata_error *err;
};

/* Characters (UTF-8 sequences) of text before byte off, plus one. */
static size_t char_pos(const char *text, size_t off)
{
	size_t n = 1;

	for (size_t i = 0; i < off; i++)
		if (((unsigned char)text[i] & 0xC0) != 0x80)
			n++;
	return n;
}

/* The length of the valid UTF-8 sequence at s[0..avail), or 0. */
static size_t u8_len(const unsigned char *s, size_t avail)
{
	size_t n, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		n = 2;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		n = 3;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		n = 4;
	else
		return 0;
	if (n > avail)
		return 0;
	for (i = 1; i < n; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	/* No overlong forms, surrogates or code points past U+10FFFF. */
	if ((s[0] == 0xE0 && s[1] < 0xA0) || (s[0] == 0xED && s[1] > 0x9F) ||
	    (s[0] == 0xF0 && s[1] < 0x90) || (s[0] == 0xF4 && s[1] > 0x8F))
		return 0;
	return n;
}

/* Up to ODATA_TOKEN_MAX bytes of s into buf, with "..." when cut: whole
 * UTF-8 sequences only, control bytes and bytes that are not UTF-8 as
 * '?', so that a message is always valid UTF-8 text. */
static void clip(const char *s, size_t len, char *buf, size_t n)
{
	size_t max = len > ODATA_TOKEN_MAX ? ODATA_TOKEN_MAX : len, i = 0, o = 0;
	const unsigned char *u = (const unsigned char *)s;

	while (i < max && o + 8 < n) {
		size_t k = u8_len(u + i, len - i);

		if (k > 1 && i + k > max)
			break;	/* do not split a character */
		if (k == 0 || u[i] < 0x20 || u[i] == 0x7F) {
			buf[o++] = '?';
			i++;
			continue;
		}
		memcpy(buf + o, s + i, k);
		o += k;
		i += k;
	}
	max = i;
	if (max < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
}

/* clip() between single quotes. */
static void quote(const char *s, size_t len, char *buf, size_t n)
{
	char c[ODATA_TOKEN_MAX + 8];

	clip(s, len, c, sizeof(c));
	snprintf(buf, n, "'%s'", c);
}

/* The error at bytes [off, off+toklen) of the option's value: "OPTION at
 * position N: " and the sentence. Returns -EINVAL. */
__attribute__((format(printf, 4, 5)))
static int fail_at(struct ctx *x, size_t off, size_t toklen,
		   const char *fmt, ...)
{
	struct odata_error *e = x->err;
	char what[sizeof(e->message)];
	va_list ap;

	clip(x->option, strlen(x->option), e->option, sizeof(e->option));
	e->pos = char_pos(x->text, off);
	clip(x->text + off, toklen, e->token, sizeof(e->token));
	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	snprintf(e->message, sizeof(e->message), "%s at position %zu: %s",
		 e->option, e->pos, what);
	return -EINVAL;
}

/* An error about option name as a whole (position 0). */
__attribute__((format(printf, 3, 4)))
static int fail_option(struct odata_error *e, const char *name,
		       const char *fmt, ...)
{
	va_list ap;

	clip(name, strlen(name), e->option, sizeof(e->option));
	e->pos = 0;
	clip(name, strlen(name), e->token, sizeof(e->token));
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ---- names ------------------------------------------------------------ */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_ident_start(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_ident_char(char c)
{
	return is_ident_start(c) || is_digit(c);
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* Whether s[0..len) is word, exactly. */
static bool word_is(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && memcmp(s, word, len) == 0;
}

/* Whether s[0..len) is word ignoring ASCII case. */
static bool word_is_nocase(const char *s, size_t len, const char *word)
{
	return strlen(word) == len && strncasecmp(s, word, len) == 0;
}

/* Every lower-case word $filter knows, for the case hint. */
static const char *const keywords[] = {
	"and", "or", "not", "eq", "ne", "gt", "ge", "lt", "le", "true",
	"false", "null", "startswith", "endswith", "contains", "tolower",
	"toupper", "any", "all", "asc", "desc", "has", "in", "add", "sub",
	"mul", "div", "divby", "mod",
};

/* " (OData keywords are lower case: 'eq')" when s[0..len) is a keyword
 * in the wrong case, else "". */
static void case_hint(const char *s, size_t len, char *buf, size_t n)
{
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (word_is_nocase(s, len, keywords[i]) &&
		    !word_is(s, len, keywords[i])) {
			snprintf(buf, n, " (OData keywords are lower case: '%s')",
				 keywords[i]);
			return;
		}
}

/* Property s[0..len) of c, spelled exactly; else an error at off. */
static int find_prop(struct ctx *x, const struct cim_class *c, size_t off,
		     size_t len, size_t *idx)
{
	char name[ODATA_TOKEN_MAX + 8], *z = strndup(x->text + off, len);
	const struct cim_property *p;
	int i;

	if (!z)
		return -ENOMEM;
	i = cim_class_find_property(c, z);
	free(z);
	clip(x->text + off, len, name, sizeof(name));
	if (i < 0)
		return fail_at(x, off, len, "no property '%s' in class %s",
			       name, cim_class_name(c));
	p = cim_class_property(c, (size_t)i);
	if (!word_is(x->text + off, len, p->name))
		return fail_at(x, off, len,
			       "no property '%s' in class %s (property names are case-sensitive: '%s')",
			       name, cim_class_name(c), p->name);
	*idx = (size_t)i;
	return 0;
}

/* ---- $filter: lexer --------------------------------------------------- */

enum tok_kind {
	TK_END, TK_IDENT, TK_STRING, TK_NUMBER, TK_DATETIME, TK_LPAREN,
	TK_RPAREN, TK_COMMA, TK_SLASH, TK_COLON,
};

struct token {
	enum tok_kind kind;
	size_t pos;		/* byte offset of the first character */
	size_t len;		/* bytes, quotes included for strings */
	bool is_real;		/* TK_NUMBER with '.' or an exponent */
};

/* A lambda's range variable, innermost first. */
struct scope {
	const char *var;	/* in the filter text, not terminated */
	size_t varlen;
	size_t prop;		/* the array property it ranges over */
	const struct scope *up;
};

struct fparser {
	struct ctx *x;
	const struct cim_class *cls;
	size_t pos;		/* first byte after tok */
	struct token tok;	/* one token of lookahead */
	unsigned depth;		/* open '(', not, functions, lambdas */
	const struct scope *scope;
};

static const char *tok_text(const struct fparser *p)
{
	return p->x->text + p->tok.pos;
}

static bool tok_is(const struct fparser *p, const char *word)
{
	return p->tok.kind == TK_IDENT && word_is(tok_text(p), p->tok.len,
						  word);
}

/* Whether the current token is one of the keywords. */
static bool is_keyword(const struct fparser *p)
{
	for (size_t i = 0; i < sizeof(keywords) / sizeof(keywords[0]); i++)
		if (tok_is(p, keywords[i]))
			return true;
	return false;
}

/* "'token'" or "the end of $filter", with the case hint. */
static void describe(const struct fparser *p, char *buf, size_t n)
{
	char q[ODATA_TOKEN_MAX + 8], hint[64] = "";

	if (p->tok.kind == TK_END) {
		snprintf(buf, n, "the end of %s", p->x->option);
		return;
	}
	if (p->tok.kind == TK_STRING)
		clip(tok_text(p), p->tok.len, q, sizeof(q));
	else
		quote(tok_text(p), p->tok.len, q, sizeof(q));
	if (p->tok.kind == TK_IDENT)
		case_hint(tok_text(p), p->tok.len, hint, sizeof(hint));
	snprintf(buf, n, "%s%s", q, hint);
}

/* "expected WHAT but found TOKEN" at the current token. */
static int expected(struct fparser *p, const char *what)
{
	char found[ODATA_TOKEN_MAX + 80];

	describe(p, found, sizeof(found));
	return fail_at(p->x, p->tok.pos, p->tok.len,
		       "expected %s but found %s", what, found);
}

/* YYYY-MM-DDThh:mm[:ss[.f]](Z|+hh:mm|-hh:mm) from i; its length, or 0. */
static size_t datetime_len(const char *s, size_t i)
{
	static const char shape[] = "dddd-dd-ddTdd:dd";
	size_t j = i, k;

	for (k = 0; shape[k]; k++, j++)
		if (shape[k] == 'd' ? !is_digit(s[j]) : s[j] != shape[k])
			return 0;
	if (s[j] == ':') {
		if (!is_digit(s[j + 1]) || !is_digit(s[j + 2]))
			return 0;
		j += 3;
		if (s[j] == '.') {
			if (!is_digit(s[++j]))
				return 0;
			while (is_digit(s[j]))
				j++;
		}
	}
	if (s[j] == 'Z')
		return j + 1 - i;
	if ((s[j] == '+' || s[j] == '-') && is_digit(s[j + 1]) &&
	    is_digit(s[j + 2]) && s[j + 3] == ':' && is_digit(s[j + 4]) &&
	    is_digit(s[j + 5]))
		return j + 6 - i;
	return 0;
}

static int lex_number(struct fparser *p, size_t i)
{
	const char *s = p->x->text;
	size_t start = i, dt;
	char q[ODATA_TOKEN_MAX + 8];

	p->tok.is_real = false;
	if (is_digit(s[i]) && (dt = datetime_len(s, i))) {
		p->tok.kind = TK_DATETIME;
		p->tok.len = dt;
		return 0;
	}
	if (s[i] == '-')
		i++;
	while (is_digit(s[i]))
		i++;
	if (s[i] == '.' && is_digit(s[i + 1])) {
		p->tok.is_real = true;
		for (i++; is_digit(s[i]); i++)
			;
	}
	if ((s[i] == 'e' || s[i] == 'E') &&
	    (is_digit(s[i + 1]) ||
	     ((s[i + 1] == '+' || s[i + 1] == '-') && is_digit(s[i + 2])))) {
		p->tok.is_real = true;
		for (i += 2; is_digit(s[i]); i++)
			;
	}
	if (is_ident_char(s[i]) || s[i] == '.' || s[i] == '-' ||
	    s[i] == ':') {
		while (is_ident_char(s[i]) || s[i] == '.' || s[i] == '-' ||
		       s[i] == ':' || s[i] == '+')
			i++;
		quote(s + start, i - start, q, sizeof(q));
		if (i - start >= 10 && s[start + 4] == '-' && !strchr(q, 'T'))
			return fail_at(p->x, start, i - start,
				       "%s is not a date-time: write the time and the offset too (2024-05-01T00:00:00Z)",
				       q);
		return fail_at(p->x, start, i - start,
			       "malformed number or date-time %s", q);
	}
	p->tok.kind = TK_NUMBER;
	p->tok.len = i - start;
	return 0;
}

static int lex_string(struct fparser *p, size_t i)
{
	const char *s = p->x->text;
	size_t j = i + 1;

	for (;;) {
		while (j < p->x->len && s[j] != '\'')
			j++;
		if (j >= p->x->len)
			return fail_at(p->x, i, 1,
				       "unterminated string literal (missing closing ')");
		if (s[j + 1] != '\'')
			break;
		j += 2;		/* '' is a quote inside */
	}
	p->tok.kind = TK_STRING;
	p->tok.len = j + 1 - i;
	return 0;
}

static int lex_other(struct fparser *p, size_t i)
{
	static const struct {
		char c;
		const char *hint;
	} hints[] = {
		{ '=', " (write eq for =)" },
		{ '<', " (write lt, le or ne)" },
		{ '>', " (write gt or ge)" },
		{ '!', " (write ne for !=, not for !)" },
		{ '"', " (string literals take single quotes)" },
		{ '@', " (parameter aliases are not supported)" },
		{ '-', " (arithmetic is not supported)" },
		{ '+', " (arithmetic is not supported)" },
		{ '*', " (arithmetic is not supported)" },
		{ '&', " (the query string was not split at '&')" },
	};
	const char *s = p->x->text, *hint = "";
	unsigned char c = (unsigned char)s[i];
	size_t n = 1;

	switch (s[i]) {
	case '(': p->tok.kind = TK_LPAREN; break;
	case ')': p->tok.kind = TK_RPAREN; break;
	case ',': p->tok.kind = TK_COMMA; break;
	case '/': p->tok.kind = TK_SLASH; break;
	case ':': p->tok.kind = TK_COLON; break;
	default:
		for (size_t k = 0; k < sizeof(hints) / sizeof(hints[0]); k++)
			if (hints[k].c == s[i])
				hint = hints[k].hint;
		if (c > 0x20 && c < 0x7F)
			return fail_at(p->x, i, 1, "unexpected character '%c'%s",
				       s[i], hint);
		if (c >= 0x80 && (n = u8_len((const unsigned char *)s + i,
					     p->x->len - i)) > 0)
			return fail_at(p->x, i, n,
				       "unexpected character outside a string literal");
		return fail_at(p->x, i, 1, "unexpected byte 0x%02x", c);
	}
	p->tok.len = 1;
	return 0;
}

/* Reads the next token into p->tok. */
static int lex(struct fparser *p)
{
	const char *s = p->x->text;
	size_t i = p->pos;
	int r;

	while (i < p->x->len && is_blank(s[i]))
		i++;
	p->tok.pos = i;
	p->tok.len = 0;
	if (i >= p->x->len) {
		p->tok.kind = TK_END;
		p->pos = i;
		return 0;
	}
	if (is_ident_start(s[i]) || (s[i] == '$' && is_ident_start(s[i + 1]))) {
		size_t j = i + 1;

		while (is_ident_char(s[j]))
			j++;
		p->tok.kind = TK_IDENT;
		p->tok.len = j - i;
		r = 0;
	} else if (is_digit(s[i]) || (s[i] == '-' && is_digit(s[i + 1]))) {
		r = lex_number(p, i);
	} else if (s[i] == '\'') {
		r = lex_string(p, i);
	} else {
		r = lex_other(p, i);
	}
	if (r == 0)
		p->pos = i + p->tok.len;
	return r;
}

/* The next token's first byte, without reading it. */
static char peek(const struct fparser *p)
{
	size_t i = p->pos;

	while (i < p->x->len && is_blank(p->x->text[i]))
		i++;
	return p->x->text[i];
}

/* ---- $filter: expressions --------------------------------------------- */

enum expr_kind { X_COND, X_VALUE, X_LIT, X_NULL };
enum lit_kind { L_STRING, L_INT, L_REAL, L_BOOL, L_DATETIME };

struct expr {
	enum expr_kind kind;
	size_t pos, len;	/* its first token, for messages */
	struct predicate *pred;	/* X_COND */
	size_t prop;		/* X_VALUE: the property, or the array an
				 * item is of */
	bool item;		/* X_VALUE: a lambda's range variable */
	enum predicate_case xform;
	enum lit_kind lit;	/* X_LIT */
	char *text;		/* X_LIT: its value (a string unquoted) */
};

static void expr_clear(struct expr *e)
{
	predicate_free(e->pred);
	free(e->text);
	memset(e, 0, sizeof(*e));
}

static const struct cim_property *expr_prop(const struct fparser *p,
					    const struct expr *e)
{
	return cim_class_property(p->cls, e->prop);
}

/* An X_VALUE that is a whole array, not one item. */
static bool expr_is_array(const struct fparser *p, const struct expr *e)
{
	return e->kind == X_VALUE && !e->item &&
	       (expr_prop(p, e)->flags & CIM_PROP_ARRAY);
}

/* "'Name' (a string property)", "'t' (an item of Tags, a string)",
 * "'12' (a number)", "a condition". */
static void describe_expr(const struct fparser *p, const struct expr *e,
			  char *buf, size_t n)
{
	static const char *const lits[] = {
		[L_STRING] = "a string", [L_INT] = "a number",
		[L_REAL] = "a number", [L_BOOL] = "a boolean",
		[L_DATETIME] = "a date-time",
	};
	const struct cim_property *prop;
	char q[ODATA_TOKEN_MAX + 8];

	if (e->kind == X_LIT && e->lit == L_STRING)
		clip(p->x->text + e->pos, e->len, q, sizeof(q));
	else
		quote(p->x->text + e->pos, e->len, q, sizeof(q));
	switch (e->kind) {
	case X_COND:
		snprintf(buf, n, "a condition");
		return;
	case X_NULL:
		snprintf(buf, n, "null");
		return;
	case X_LIT:
		snprintf(buf, n, "%s (%s)", q, lits[e->lit]);
		return;
	case X_VALUE:
		break;
	}
	prop = expr_prop(p, e);
	if (e->item)
		snprintf(buf, n, "%s (an item of %s, a %s)", q, prop->name,
			 cim_type_name(prop->type));
	else if (prop->flags & CIM_PROP_ARRAY)
		snprintf(buf, n, "%s (an array of %s)", q,
			 cim_type_name(prop->type));
	else
		snprintf(buf, n, "%s (a %s property)", q,
			 cim_type_name(prop->type));
}

static struct predicate_operand operand(const struct fparser *p,
					const struct expr *e)
{
	struct predicate_operand o = {
		.prop = expr_prop(p, e)->name,
		.pos = e->pos,
		.item = e->item,
		.xform = e->xform,
	};

	return o;
}

/* e as a condition (e is emptied): a condition, or a boolean property or
 * item, which stands for "eq true". */
static int to_cond(struct fparser *p, struct expr *e, struct predicate **out)
{
	char d[ODATA_TOKEN_MAX + 80];
	struct predicate_operand o;

	if (e->kind == X_COND) {
		*out = e->pred;
		e->pred = NULL;
		expr_clear(e);
		return 0;
	}
	describe_expr(p, e, d, sizeof(d));
	if (e->kind == X_VALUE && expr_is_array(p, e))
		return fail_at(p->x, e->pos, e->len,
			       "%s is not a condition; test its items with %s/any(x: ...)",
			       d, expr_prop(p, e)->name);
	if (e->kind == X_VALUE && expr_prop(p, e)->type == CIM_BOOLEAN) {
		o = operand(p, e);
		*out = predicate_compare(&o, PREDICATE_EQ, PREDICATE_LIT_BOOL,
					 "true");
		expr_clear(e);
		return *out ? 0 : -ENOMEM;
	}
	if (e->kind == X_VALUE)
		return fail_at(p->x, e->pos, e->len,
			       "%s is not a condition; compare it with a value",
			       d);
	return fail_at(p->x, e->pos, e->len,
		       "%s is not a condition; one side of a comparison must be a property",
		       d);
}

/* Whether a literal of kind k may be compared with a value of type t. */
static bool lit_fits(enum lit_kind k, enum cim_type t)
{
	switch (k) {
	case L_STRING:
		return t == CIM_STRING || t == CIM_CHAR16;
	case L_INT:
	case L_REAL:
		return cim_type_is_integer(t) || cim_type_is_real(t);
	case L_BOOL:
		return t == CIM_BOOLEAN;
	case L_DATETIME:
		return t == CIM_DATETIME;
	}
	return false;
}

/* How to write a literal for type t, for the mismatch message. */
static const char *lit_advice(enum cim_type t)
{
	if (t == CIM_STRING || t == CIM_CHAR16)
		return "write strings in single quotes";
	if (t == CIM_BOOLEAN)
		return "write true or false";
	if (t == CIM_DATETIME)
		return "write a date-time such as 2024-05-01T10:00:00Z";
	return "write numbers without quotes";
}

static enum predicate_lit lit_kind_of(enum lit_kind k)
{
	switch (k) {
	case L_INT: return PREDICATE_LIT_INT;
	case L_REAL: return PREDICATE_LIT_REAL;
	case L_BOOL: return PREDICATE_LIT_BOOL;
	default: return PREDICATE_LIT_STRING;
	}
}

static const char *const op_words[] = {
	[PREDICATE_EQ] = "eq", [PREDICATE_NE] = "ne", [PREDICATE_LT] = "lt",
	[PREDICATE_GT] = "gt", [PREDICATE_LE] = "le", [PREDICATE_GE] = "ge",
};

static bool tok_op(const struct fparser *p, enum predicate_op *op)
{
	for (size_t i = 0; i < sizeof(op_words) / sizeof(op_words[0]); i++)
		if (tok_is(p, op_words[i])) {
			*op = (enum predicate_op)i;
			return true;
		}
	return false;
}

static enum predicate_op mirror(enum predicate_op op)
{
	switch (op) {
	case PREDICATE_LT: return PREDICATE_GT;
	case PREDICATE_GT: return PREDICATE_LT;
	case PREDICATE_LE: return PREDICATE_GE;
	case PREDICATE_GE: return PREDICATE_LE;
	default: return op;
	}
}

/* value op literal/null, the value in v: the leaf. */
static int compare_value(struct fparser *p, struct expr *v,
			 enum predicate_op op, size_t op_pos,
			 struct expr *lit, struct predicate **out)
{
	const struct cim_property *prop = expr_prop(p, v);
	char dv[ODATA_TOKEN_MAX + 80], dl[ODATA_TOKEN_MAX + 80];
	struct predicate_operand o = operand(p, v);

	describe_expr(p, v, dv, sizeof(dv));
	describe_expr(p, lit, dl, sizeof(dl));
	if (expr_is_array(p, v))
		return fail_at(p->x, v->pos, v->len,
			       "%s cannot be compared as a whole; test its items with %s/any(x: x %s ...)",
			       dv, prop->name, op_words[op]);
	if (lit->kind == X_NULL) {
		if (op != PREDICATE_EQ && op != PREDICATE_NE)
			return fail_at(p->x, op_pos, 2,
				       "null can only be compared with eq or ne, not %s",
				       op_words[op]);
		*out = predicate_null(&o, op == PREDICATE_NE);
		return *out ? 0 : -ENOMEM;
	}
	if (!lit_fits(lit->lit, prop->type))
		return fail_at(p->x, lit->pos, lit->len,
			       "%s cannot be compared with %s; %s",
			       dv, dl, lit_advice(prop->type));
	*out = predicate_compare(&o, op, lit_kind_of(lit->lit), lit->text);
	return *out ? 0 : -ENOMEM;
}

/* left op right, into left (a condition). Both are emptied. */
static int combine(struct fparser *p, struct expr *left, enum predicate_op op,
		   size_t op_pos, struct expr *right)
{
	char dl[ODATA_TOKEN_MAX + 80], dr[ODATA_TOKEN_MAX + 80];
	bool l_const = left->kind == X_LIT || left->kind == X_NULL;
	bool r_const = right->kind == X_LIT || right->kind == X_NULL;
	struct predicate *n = NULL;
	struct expr *v = left, *c = right;
	size_t pos = left->pos;
	int r;

	describe_expr(p, left, dl, sizeof(dl));
	describe_expr(p, right, dr, sizeof(dr));
	if (l_const && r_const)
		return fail_at(p->x, op_pos, 2,
			       "%s %s %s compares two constants; one side must be a property",
			       dl, op_words[op], dr);
	if (!l_const && !r_const)
		return fail_at(p->x, op_pos, 2,
			       "%s %s %s: comparing two properties or conditions is not supported; compare with a constant",
			       dl, op_words[op], dr);
	if (l_const) {
		v = right;
		c = left;
		op = mirror(op);
	}
	if (v->kind == X_VALUE) {
		r = compare_value(p, v, op, op_pos, c, &n);
	} else if (c->kind == X_LIT && c->lit == L_BOOL &&
		   (op == PREDICATE_EQ || op == PREDICATE_NE)) {
		/* eq true / ne false: the condition; eq false / ne true:
		 * its negation. */
		n = v->pred;
		v->pred = NULL;
		if ((op == PREDICATE_EQ) != (c->text[0] == 't'))
			n = predicate_not(n);
		r = n ? 0 : -ENOMEM;
	} else {
		r = fail_at(p->x, op_pos, 2,
			    "a condition can only be compared with true or false, using eq or ne");
	}
	expr_clear(left);
	expr_clear(right);
	if (r)
		return r;
	left->kind = X_COND;
	left->pred = n;
	left->pos = pos;
	left->len = 0;
	return 0;
}

static int parse_or(struct fparser *p, struct expr *e);

/* Entering a '(', not, function or lambda: the bound that keeps every
 * recursion here, in predicate_free and in matching finite. */
static int nest(struct fparser *p)
{
	if (++p->depth > ODATA_MAX_DEPTH)
		return fail_at(p->x, p->tok.pos, p->tok.len,
			       "condition nested deeper than %d levels",
			       ODATA_MAX_DEPTH);
	return 0;
}

/* Expects token kind k (described as what) and reads past it. */
static int expect(struct fparser *p, enum tok_kind k, const char *what)
{
	if (p->tok.kind != k)
		return expected(p, what);
	return lex(p);
}

/* The string value of the current TK_STRING token, quotes undone. */
static char *string_value(const struct fparser *p)
{
	const char *s = tok_text(p) + 1;
	size_t n = p->tok.len - 2, o = 0;
	char *v = malloc(n + 1);

	if (!v)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		v[o++] = s[i];
		if (s[i] == '\'')
			i++;	/* the second of '' */
	}
	v[o] = '\0';
	return v;
}

/* Literal tokens: string, number, date-time, true, false, null. */
static int parse_literal(struct fparser *p, struct expr *e)
{
	e->pos = p->tok.pos;
	e->len = p->tok.len;
	if (tok_is(p, "null")) {
		e->kind = X_NULL;
		return lex(p);
	}
	e->kind = X_LIT;
	switch (p->tok.kind) {
	case TK_STRING:
		e->lit = L_STRING;
		e->text = string_value(p);
		break;
	case TK_NUMBER:
		e->lit = p->tok.is_real ? L_REAL : L_INT;
		e->text = strndup(tok_text(p), p->tok.len);
		break;
	case TK_DATETIME:
		e->lit = L_DATETIME;
		e->text = strndup(tok_text(p), p->tok.len);
		break;
	default:
		e->lit = L_BOOL;
		e->text = strdup(tok_is(p, "true") ? "true" : "false");
		break;
	}
	return e->text ? lex(p) : -ENOMEM;
}

/* For a date-time without seconds, its text with ":00" added, so that
 * the predicate reads it as the same instant. */
static int datetime_seconds(struct expr *e)
{
	char *t = e->text, *z;
	size_t n = strlen(t);

	if (n < 17 || t[16] == ':')
		return 0;
	if (!(z = malloc(n + 4)))
		return -ENOMEM;
	memcpy(z, t, 16);
	memcpy(z + 16, ":00", 3);
	memcpy(z + 19, t + 16, n - 16 + 1);
	free(t);
	e->text = z;
	return 0;
}

/* A date-time literal of the right shape that is no date (month 13,
 * 25 o'clock) is refused, as OData refuses it. */
static int check_datetime(struct fparser *p, const struct expr *e)
{
	char q[ODATA_TOKEN_MAX + 8], *canon = NULL;
	int r = cim_value_canonical(CIM_DATETIME, e->text, &canon, NULL);

	free(canon);
	if (r == -EINVAL) {
		quote(p->x->text + e->pos, e->len, q, sizeof(q));
		return fail_at(p->x, e->pos, e->len,
			       "%s is not a valid date-time", q);
	}
	return r;
}

enum fn_kind { FN_STRING, FN_CASE };

static const struct {
	const char *name;
	enum fn_kind kind;
	int which;		/* enum predicate_strfn or predicate_case */
} functions[] = {
	{ "startswith", FN_STRING, PREDICATE_STARTS_WITH },
	{ "endswith", FN_STRING, PREDICATE_ENDS_WITH },
	{ "contains", FN_STRING, PREDICATE_CONTAINS },
	{ "tolower", FN_CASE, PREDICATE_CASE_LOWER },
	{ "toupper", FN_CASE, PREDICATE_CASE_UPPER },
};

/* OData functions dpsim does not evaluate: named in the refusal. */
static const char *const unsupported_functions[] = {
	"length", "indexof", "substring", "trim", "concat", "matchesPattern",
	"year", "month", "day", "hour", "minute", "second",
	"fractionalseconds", "totalseconds", "date", "time",
	"totaloffsetminutes", "now", "mindatetime", "maxdatetime", "round",
	"floor", "ceiling", "cast", "isof", "hassubset", "hassubsequence",
	"case",
};

/* An argument that must be a string value (a string property, an item of
 * a string array, either under tolower/toupper). */
static int string_arg(struct fparser *p, const struct expr *a,
		      const char *fn)
{
	char d[ODATA_TOKEN_MAX + 80];
	enum cim_type t;

	if (a->kind == X_VALUE && !expr_is_array(p, a)) {
		t = expr_prop(p, a)->type;
		if (t == CIM_STRING || t == CIM_CHAR16)
			return 0;
	}
	describe_expr(p, a, d, sizeof(d));
	return fail_at(p->x, a->pos, a->len,
		       "%s takes a string property, not %s", fn, d);
}

/* name(args), with p->tok on the name and '(' next. */
static int parse_call(struct fparser *p, struct expr *e)
{
	size_t pos = p->tok.pos, len = p->tok.len, i, k;
	char q[ODATA_TOKEN_MAX + 8], hint[64], d[ODATA_TOKEN_MAX + 80];
	const char *name = tok_text(p);
	struct expr a = { 0 }, b = { 0 };
	struct predicate_operand o;
	int r;

	quote(name, len, q, sizeof(q));
	for (k = 0; k < sizeof(functions) / sizeof(functions[0]); k++)
		if (word_is(name, len, functions[k].name))
			break;
	if (k == sizeof(functions) / sizeof(functions[0])) {
		for (i = 0; i < sizeof(unsupported_functions) /
				sizeof(unsupported_functions[0]); i++)
			if (word_is(name, len, unsupported_functions[i]))
				return fail_at(p->x, pos, len,
					       "the function %s is not supported (startswith, endswith, contains, tolower and toupper are)",
					       q);
		if (word_is(name, len, "substringof"))
			return fail_at(p->x, pos, len,
				       "substringof is OData version 3; write contains(Property, 'text')");
		case_hint(name, len, hint, sizeof(hint));
		return fail_at(p->x, pos, len, "unknown function %s%s", q,
			       hint);
	}
	if ((r = nest(p)) || (r = lex(p)) || (r = lex(p)))
		return r;
	if ((r = parse_or(p, &a)))
		goto out;
	if (functions[k].kind == FN_STRING) {
		if ((r = expect(p, TK_COMMA, "',' and a second argument")) ||
		    (r = parse_or(p, &b)))
			goto out;
	}
	if ((r = expect(p, TK_RPAREN, "')' after the arguments")))
		goto out;
	p->depth--;
	if ((r = string_arg(p, &a, functions[k].name)))
		goto out;
	if (functions[k].kind == FN_CASE) {
		*e = a;
		e->xform = (enum predicate_case)functions[k].which;
		e->pos = pos;
		e->len = len;
		return 0;
	}
	if (b.kind != X_LIT || b.lit != L_STRING) {
		describe_expr(p, &b, d, sizeof(d));
		r = fail_at(p->x, b.pos, b.len,
			    "%s takes a string in single quotes second, not %s",
			    functions[k].name, d);
		goto out;
	}
	o = operand(p, &a);
	e->kind = X_COND;
	e->pos = pos;
	e->len = len;
	e->pred = predicate_string(&o, (enum predicate_strfn)functions[k].which,
				   b.text);
	r = e->pred ? 0 : -ENOMEM;
out:
	expr_clear(&a);
	expr_clear(&b);
	return r;
}

static const struct scope *find_scope(const struct fparser *p, const char *s,
				      size_t len)
{
	for (const struct scope *sc = p->scope; sc; sc = sc->up)
		if (sc->varlen == len && memcmp(sc->var, s, len) == 0)
			return sc;
	return NULL;
}

/* Prop/any(...), with e the property and p->tok on "any". */
static int parse_lambda(struct fparser *p, struct expr *e)
{
	const struct cim_property *prop = expr_prop(p, e);
	struct predicate *body = NULL;
	struct expr b = { 0 };
	struct scope sc;
	char d[ODATA_TOKEN_MAX + 80];
	int r;

	describe_expr(p, e, d, sizeof(d));
	if (!expr_is_array(p, e))
		return fail_at(p->x, e->pos, e->len,
			       "%s is not an array; any() needs an array property",
			       d);
	if ((r = nest(p)) || (r = lex(p)) ||
	    (r = expect(p, TK_LPAREN, "'(' after any")))
		return r;
	if (p->tok.kind != TK_RPAREN) {
		if (p->tok.kind != TK_IDENT || is_keyword(p) ||
		    tok_text(p)[0] == '$')
			return expected(p, "a range variable name (any(x: ...))");
		if (find_scope(p, tok_text(p), p->tok.len))
			return fail_at(p->x, p->tok.pos, p->tok.len,
				       "the range variable is already in use by an enclosing any()");
		sc.var = tok_text(p);
		sc.varlen = p->tok.len;
		sc.prop = e->prop;
		sc.up = p->scope;
		if ((r = lex(p)) ||
		    (r = expect(p, TK_COLON, "':' after the range variable")))
			return r;
		p->scope = &sc;
		r = parse_or(p, &b);
		p->scope = sc.up;
		if (r || (r = to_cond(p, &b, &body)))
			goto out;
	}
	if ((r = expect(p, TK_RPAREN, "')' to close any(")))
		goto out;
	p->depth--;
	e->kind = X_COND;
	e->pred = predicate_any(prop->name, e->pos, body);
	body = NULL;
	r = e->pred ? 0 : -ENOMEM;
out:
	expr_clear(&b);
	predicate_free(body);
	return r;
}

/* After a property or range variable: '/' and what follows. */
static int parse_path(struct fparser *p, struct expr *e)
{
	char d[ODATA_TOKEN_MAX + 80];
	int r;

	if ((r = lex(p)))
		return r;
	if (p->tok.kind != TK_SLASH)
		return 0;
	if ((r = lex(p)))
		return r;
	if (tok_is(p, "any") && !e->item)
		return parse_lambda(p, e);
	describe_expr(p, e, d, sizeof(d));
	if (tok_is(p, "all"))
		return fail_at(p->x, p->tok.pos, p->tok.len,
			       "all() is not supported; write not %s/any(x: not ...)",
			       expr_prop(p, e)->name);
	return fail_at(p->x, p->tok.pos, p->tok.len,
		       "%s has no members: paths with '/' are not supported but for Array/any(...)",
		       d);
}

static int parse_identifier(struct fparser *p, struct expr *e)
{
	const char *s = tok_text(p);
	size_t len = p->tok.len;
	const struct scope *sc;
	char q[ODATA_TOKEN_MAX + 8];
	int r;

	if (tok_is(p, "true") || tok_is(p, "false") || tok_is(p, "null"))
		return parse_literal(p, e);
	if (p->x->text[p->tok.pos + len] == '\'')
		return fail_at(p->x, p->tok.pos, len,
			       "typed literals such as %.*s'...' are not supported; write the value itself ('text', 12, 2024-05-01T10:00:00Z)",
			       (int)(len > ODATA_TOKEN_MAX ? ODATA_TOKEN_MAX :
				     len), s);
	if (peek(p) == '(')
		return parse_call(p, e);
	if (s[0] == '$') {
		quote(s, len, q, sizeof(q));
		return fail_at(p->x, p->tok.pos, len, "%s is not supported", q);
	}
	if (is_keyword(p))
		return expected(p, "a property, a value, a function or '('");
	e->kind = X_VALUE;
	e->pos = p->tok.pos;
	e->len = len;
	if ((sc = find_scope(p, s, len))) {
		e->item = true;
		e->prop = sc->prop;
	} else if ((r = find_prop(p->x, p->cls, p->tok.pos, len, &e->prop))) {
		return r;
	}
	return parse_path(p, e);
}

static int parse_primary(struct fparser *p, struct expr *e)
{
	size_t open = p->tok.pos;
	char what[64];
	int r;

	switch (p->tok.kind) {
	case TK_LPAREN:
		if ((r = nest(p)) || (r = lex(p)) || (r = parse_or(p, e)))
			return r;
		if (p->tok.kind != TK_RPAREN) {
			snprintf(what, sizeof(what),
				 "')' to close the '(' at position %zu",
				 char_pos(p->x->text, open));
			return expected(p, what);
		}
		p->depth--;
		return lex(p);
	case TK_STRING:
	case TK_NUMBER:
		return parse_literal(p, e);
	case TK_DATETIME:
		if ((r = parse_literal(p, e)) || (r = datetime_seconds(e)))
			return r;
		return check_datetime(p, e);
	case TK_IDENT:
		return parse_identifier(p, e);
	default:
		return expected(p, "a property, a value, a function or '('");
	}
}

static int parse_unary(struct fparser *p, struct expr *e)
{
	struct predicate *kid;
	struct expr k = { 0 };
	enum predicate_op op;
	size_t pos = p->tok.pos;
	int r;

	if (!tok_is(p, "not"))
		return parse_primary(p, e);
	if ((r = nest(p)) || (r = lex(p)))
		return r;
	if ((r = parse_unary(p, &k)))
		goto fail;
	if (k.kind == X_VALUE && tok_op(p, &op) &&
	    (expr_prop(p, &k)->type != CIM_BOOLEAN || expr_is_array(p, &k))) {
		/* not Name eq 'x': not binds tighter than eq. */
		r = fail_at(p->x, pos, 3,
			    "not applies to %.*s alone, which is not a condition; put the comparison in parentheses: not (... %s ...)",
			    (int)(k.len > ODATA_TOKEN_MAX ? ODATA_TOKEN_MAX :
				  k.len), p->x->text + k.pos, op_words[op]);
		goto fail;
	}
	if ((r = to_cond(p, &k, &kid)))
		goto fail;
	p->depth--;
	e->kind = X_COND;
	e->pos = pos;
	e->len = 3;
	return (e->pred = predicate_not(kid)) ? 0 : -ENOMEM;
fail:
	expr_clear(&k);
	return r;
}

/* OData operators dpsim does not evaluate. */
static const char *const unsupported_ops[] = {
	"in", "has", "add", "sub", "mul", "div", "divby", "mod",
};

/* An operator dpsim does not evaluate, at the current token: refused. */
static int refuse_op(struct fparser *p)
{
	for (size_t i = 0; i < sizeof(unsupported_ops) /
			    sizeof(unsupported_ops[0]); i++)
		if (tok_is(p, unsupported_ops[i]))
			return fail_at(p->x, p->tok.pos, p->tok.len,
				       "the operator %s is not supported (eq, ne, gt, ge, lt, le, and, or and not are)",
				       unsupported_ops[i]);
	return 0;
}

static int parse_compare(struct fparser *p, struct expr *e)
{
	struct expr right = { 0 };
	enum predicate_op op;
	size_t op_pos;
	int r;

	if ((r = parse_unary(p, e)) || (r = refuse_op(p)))
		return r;
	while (tok_op(p, &op)) {
		op_pos = p->tok.pos;
		if ((r = lex(p)) || (r = parse_unary(p, &right)) ||
		    (r = refuse_op(p)) ||
		    (r = combine(p, e, op, op_pos, &right))) {
			expr_clear(&right);
			return r;
		}
	}
	return 0;
}

/* One level of and or or, kept n-ary so that a long chain is a wide node,
 * not a deep one. */
static int parse_chain(struct fparser *p, struct expr *e, const char *kw,
		       struct predicate *(*make)(void),
		       int (*sub)(struct fparser *, struct expr *))
{
	struct predicate *n, *kid;
	struct expr k = { 0 };
	size_t pos;
	int r;

	if ((r = sub(p, e)) || !tok_is(p, kw))
		return r;
	pos = e->pos;
	if ((r = to_cond(p, e, &kid)))
		return r;
	if (!(n = make())) {
		predicate_free(kid);
		return -ENOMEM;
	}
	if ((r = predicate_add(n, kid)))
		goto fail;
	while (tok_is(p, kw)) {
		if ((r = lex(p)) || (r = sub(p, &k)) ||
		    (r = to_cond(p, &k, &kid)) || (r = predicate_add(n, kid)))
			goto fail;
	}
	e->kind = X_COND;
	e->pred = n;
	e->pos = pos;
	e->len = 0;
	return 0;
fail:
	expr_clear(&k);
	predicate_free(n);
	return r;
}

static int parse_and(struct fparser *p, struct expr *e)
{
	return parse_chain(p, e, "and", predicate_and, parse_compare);
}

static int parse_or(struct fparser *p, struct expr *e)
{
	return parse_chain(p, e, "or", predicate_or, parse_and);
}

static int parse_filter(struct ctx *x, struct odata_query *q)
{
	struct fparser p = { .x = x, .cls = q->cls };
	struct expr e = { 0 };
	int r;

	if ((r = lex(&p)))
		return r;
	if ((r = parse_or(&p, &e)))
		goto out;
	if (p.tok.kind != TK_END) {
		r = expected(&p, e.kind == X_COND || e.kind == X_VALUE ?
			     "and, or, an operator or the end of $filter" :
			     "an operator");
		goto out;
	}
	if ((r = to_cond(&p, &e, &q->filter)))
		goto out;
	predicate_bind(q->filter, q->cls);
out:
	expr_clear(&e);
	return r;
}

/* ---- $select and $orderby --------------------------------------------- */

/* The next comma-separated item of x's value from *at: its bytes
 * [*start, *end) without the blanks around it; *at moves past the comma.
 * False at the end. */
static bool next_item(const struct ctx *x, size_t *at, size_t *start,
		      size_t *end)
{
	const char *s = x->text;
	size_t i = *at;

	if (i > x->len)
		return false;
	while (i < x->len && is_blank(s[i]))
		i++;
	*start = i;
	while (i < x->len && s[i] != ',')
		i++;
	*at = i + 1;
	*end = i;
	while (*end > *start && is_blank(s[*end - 1]))
		(*end)--;
	return true;
}

/* A property name at [start, end): checks its form, finds it. */
static int item_prop(struct ctx *x, const struct cim_class *c, size_t start,
		     size_t end, size_t *idx)
{
	const char *s = x->text;
	size_t i = start;

	if (start == end)
		return fail_at(x, start, 0, "expected a property name");
	if (is_ident_start(s[i]))
		while (i < end && is_ident_char(s[i]))
			i++;
	if (i == start || (i < end && s[i] != ' ' && s[i] != '\t')) {
		if (i < end && s[i] == '/')
			return fail_at(x, start, end - start,
				       "paths with '/' are not supported; name a property of %s",
				       cim_class_name(c));
		if (i < end && s[i] == '(')
			return fail_at(x, start, end - start,
				       "expressions are not supported; name a property of %s",
				       cim_class_name(c));
		return fail_at(x, i, 1, "expected a property name, ',' or the end of %s",
			       x->option);
	}
	return find_prop(x, c, start, i - start, idx);
}

static int parse_select(struct ctx *x, struct odata_query *q)
{
	size_t nprops = cim_class_property_count(q->cls), at = 0, start, end;
	size_t idx, i, n = 0;
	bool *want = calloc(nprops ? nprops : 1, sizeof(*want)), all = false;
	int r = 0;

	if (!want)
		return -ENOMEM;
	while (next_item(x, &at, &start, &end)) {
		if (end - start == 1 && x->text[start] == '*') {
			all = true;
			continue;
		}
		if ((r = item_prop(x, q->cls, start, end, &idx)))
			goto out;
		if (end > start + strlen(cim_class_property(q->cls, idx)->name)) {
			r = fail_at(x, start, end - start,
				    "$select takes property names only, one between each pair of commas");
			goto out;
		}
		want[idx] = true;
	}
	if (all)
		goto out;
	for (i = 0; i < nprops; i++)
		n += want[i];
	if (!(q->select = malloc(n * sizeof(*q->select)))) {
		r = -ENOMEM;
		goto out;
	}
	for (i = 0; i < nprops; i++)
		if (want[i])
			q->select[q->nselect++] = i;
out:
	free(want);
	return r;
}

static int parse_orderby(struct ctx *x, struct odata_query *q)
{
	const char *s = x->text;
	size_t at = 0, start, end, idx, i, dir;
	struct odata_order *o;
	char hint[64];
	int r;

	while (next_item(x, &at, &start, &end)) {
		if ((r = item_prop(x, q->cls, start, end, &idx)))
			return r;
		if (cim_class_property(q->cls, idx)->flags & CIM_PROP_ARRAY)
			return fail_at(x, start, end - start,
				       "cannot order by %s: it is an array",
				       cim_class_property(q->cls, idx)->name);
		for (i = 0; i < q->norder; i++)
			if (q->order[i].prop == idx)
				return fail_at(x, start, end - start,
					       "%s is ordered by twice",
					       cim_class_property(q->cls, idx)->name);
		o = realloc(q->order, (q->norder + 1) * sizeof(*o));
		if (!o)
			return -ENOMEM;
		q->order = o;
		o = &q->order[q->norder++];
		o->prop = idx;
		o->desc = false;
		dir = start + strlen(cim_class_property(q->cls, idx)->name);
		while (dir < end && is_blank(s[dir]))
			dir++;
		if (dir == end)
			continue;
		if (word_is(s + dir, end - dir, "desc")) {
			o->desc = true;
		} else if (!word_is(s + dir, end - dir, "asc")) {
			case_hint(s + dir, end - dir, hint, sizeof(hint));
			return fail_at(x, dir, end - dir,
				       "expected asc, desc, ',' or the end of $orderby%s",
				       hint);
		}
	}
	return 0;
}

/* ---- $top, $skip, $count ---------------------------------------------- */

static int parse_whole(struct ctx *x, uint64_t *out)
{
	const char *s = x->text;
	uint64_t v = 0;
	char q[ODATA_TOKEN_MAX + 8];

	quote(s, x->len, q, sizeof(q));
	for (size_t i = 0; i < x->len; i++) {
		if (!is_digit(s[i]))
			return fail_at(x, 0, x->len,
				       "%s is not a whole number of zero or more",
				       q);
		if (v > ((uint64_t)INT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return fail_at(x, 0, x->len,
				       "%s is larger than %" PRId64, q,
				       INT64_MAX);
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	*out = v;
	return 0;
}

static int parse_count(struct ctx *x, struct odata_query *q)
{
	char q2[ODATA_TOKEN_MAX + 8];

	if (strcmp(x->text, "true") == 0 || strcmp(x->text, "false") == 0) {
		q->count = x->text[0] == 't';
		return 0;
	}
	quote(x->text, x->len, q2, sizeof(q2));
	return fail_at(x, 0, x->len, "expected true or false but found %s",
		       q2);
}

/* ---- options ---------------------------------------------------------- */

enum opt { OPT_FILTER, OPT_SELECT, OPT_ORDERBY, OPT_TOP, OPT_SKIP, OPT_COUNT,
	   OPT_N };

static const char *const opt_names[OPT_N] = {
	"$filter", "$select", "$orderby", "$top", "$skip", "$count",
};

/* System query options of OData that dpsim does not take. */
static const char *const unsupported_opts[] = {
	"$expand", "$search", "$format", "$apply", "$skiptoken",
	"$deltatoken", "$levels", "$compute", "$index", "$schemaversion",
	"$id",
};

static int parse_option(enum opt which, struct ctx *x, struct odata_query *q)
{
	switch (which) {
	case OPT_FILTER:
		return parse_filter(x, q);
	case OPT_SELECT:
		return parse_select(x, q);
	case OPT_ORDERBY:
		return parse_orderby(x, q);
	case OPT_TOP:
		q->has_top = true;
		return parse_whole(x, &q->top);
	case OPT_SKIP:
		return parse_whole(x, &q->skip);
	default:
		return parse_count(x, q);
	}
}

/* Which option name is, or an error. */
static int classify(const char *name, enum opt *which, struct odata_error *e)
{
	char shown[ODATA_TOKEN_MAX + 8];
	size_t i;

	for (i = 0; i < OPT_N; i++)
		if (strcmp(name, opt_names[i]) == 0) {
			*which = (enum opt)i;
			return 0;
		}
	for (i = 0; i < sizeof(unsupported_opts) / sizeof(unsupported_opts[0]);
	     i++)
		if (strcmp(name, unsupported_opts[i]) == 0)
			return fail_option(e, name,
					   "the query option %s is not supported (dpsim takes $filter, $select, $orderby, $top, $skip and $count)",
					   name);
	clip(name, strlen(name), shown, sizeof(shown));
	for (i = 0; i < OPT_N; i++)
		if (strcasecmp(name, opt_names[i]) == 0)
			return fail_option(e, name,
					   "unknown query option '%s' (query option names are lower case: %s)",
					   shown, opt_names[i]);
	return fail_option(e, name,
			   "unknown query option '%s' (dpsim takes $filter, $select, $orderby, $top, $skip and $count)",
			   shown);
}

int odata_query_parse(const struct cim_class *c,
		      const struct odata_option *opts, size_t n,
		      struct odata_query **out, struct odata_error *err)
{
	const struct odata_option *seen[OPT_N] = { 0 };
	struct odata_error dummy;
	struct odata_query *q;
	struct ctx x = { .option = "" };
	enum opt which = OPT_FILTER;
	size_t i;
	int r = 0;

	*out = NULL;
	if (!err)
		err = &dummy;
	memset(err, 0, sizeof(*err));
	for (i = 0; i < n; i++) {
		if (opts[i].name[0] != '$')
			continue;	/* the client's own option */
		if ((r = classify(opts[i].name, &which, err)))
			return r;
		if (seen[which])
			return fail_option(err, opts[i].name,
					   "the query option %s is given more than once",
					   opt_names[which]);
		seen[which] = &opts[i];
	}
	if (!(q = calloc(1, sizeof(*q))))
		return -ENOMEM;
	q->cls = c;
	for (i = 0; i < OPT_N && !r; i++) {
		if (!seen[i])
			continue;
		x.option = opt_names[i];
		x.text = seen[i]->value ? seen[i]->value : "";
		x.len = strnlen(x.text, ODATA_MAX_LEN + 1);
		x.err = err;
		if (x.len > ODATA_MAX_LEN)
			r = fail_option(err, opt_names[i],
					"the value of %s is longer than %d bytes",
					opt_names[i], ODATA_MAX_LEN);
		else if (x.len == 0)
			r = fail_option(err, opt_names[i],
					"the query option %s has no value",
					opt_names[i]);
		else
			r = parse_option((enum opt)i, &x, q);
	}
	if (r) {
		if (r == -ENOMEM)
			fail_option(err, x.option, "out of memory");
		odata_query_free(q);
		return r;
	}
	*out = q;
	return 0;
}

void odata_query_free(struct odata_query *q)
{
	if (!q)
		return;
	predicate_free(q->filter);
	free(q->order);
	free(q->select);
	free(q);
}

const struct predicate *odata_query_filter(const struct odata_query *q)
{
	return q->filter;
}

const struct odata_order *odata_query_orderby(const struct odata_query *q,
					      size_t *n)
{
	*n = q->norder;
	return q->order;
}

bool odata_query_top(const struct odata_query *q, uint64_t *top)
{
	if (q->has_top && top)
		*top = q->top;
	return q->has_top;
}

uint64_t odata_query_skip(const struct odata_query *q)
{
	return q->skip;
}

bool odata_query_count(const struct odata_query *q)
{
	return q->count;
}

/* ---- apply ------------------------------------------------------------ */

struct sort_item {
	const struct cim_instance *inst;
	size_t at;		/* input order: the tie-break */
};

/* The first item of property idx, or NULL when it has none. */
static const char *first_item(const struct cim_instance *i, size_t idx)
{
	const struct cim_value *v = cim_instance_get(i, idx);

	return v && !v->null && v->count ? v->items[0] : NULL;
}

static int sort_cmp(const void *a, const void *b, void *arg)
{
	const struct sort_item *x = a, *y = b;
	const struct odata_query *q = arg;
	const char *vx, *vy;
	int c;

	for (size_t k = 0; k < q->norder; k++) {
		size_t idx = q->order[k].prop;

		vx = first_item(x->inst, idx);
		vy = first_item(y->inst, idx);
		if (!vx || !vy)
			c = (vx != NULL) - (vy != NULL);	/* NULL first */
		else
			c = predicate_value_order(
				cim_class_property(q->cls, idx)->type, vx, vy);
		if (c)
			return q->order[k].desc ? -c : c;
	}
	return (x->at > y->at) - (x->at < y->at);
}

int odata_query_apply(const struct odata_query *q,
		      struct cim_instance *const *in, size_t n,
		      struct odata_result *out)
{
	size_t nprops = cim_class_property_count(q->cls), kept = 0, i, first;
	struct sort_item *s = malloc((n ? n : 1) * sizeof(*s));
	uint64_t take;

	memset(out, 0, sizeof(*out));
	out->items = malloc((n ? n : 1) * sizeof(*out->items));
	out->nprops = q->select ? q->nselect : nprops;
	out->props = malloc((out->nprops ? out->nprops : 1) *
			    sizeof(*out->props));
	if (!s || !out->items || !out->props) {
		free(s);
		odata_result_free(out);
		return -ENOMEM;
	}
	for (i = 0; i < out->nprops; i++)
		out->props[i] = q->select ? q->select[i] : i;
	for (i = 0; i < n; i++)
		if (!q->filter || predicate_match(q->filter, in[i])) {
			s[kept].inst = in[i];
			s[kept].at = kept;
			kept++;
		}
	if (q->norder)
		qsort_r(s, kept, sizeof(*s), sort_cmp, (void *)q);
	out->matched = kept;
	first = q->skip < kept ? (size_t)q->skip : kept;
	take = kept - first;
	if (q->has_top && q->top < take)
		take = q->top;
	for (i = 0; i < take; i++)
		out->items[i] = s[first + i].inst;
	out->count = (size_t)take;
	free(s);
	return 0;
}

void odata_result_free(struct odata_result *r)
{
	free(r->items);
	free(r->props);
	memset(r, 0, sizeof(*r));
}
