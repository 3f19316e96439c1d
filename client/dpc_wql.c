/* dpc_wql: WQL -> an AdminService class read and $filter (see dpc_wql.h).
 * A recursive-descent reader of WQL's SELECT that writes the OData text
 * as it goes. */
#include "dpc_wql.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "dpc_odata.h"

/* Brackets and NOTs inside each other, at most: the reader recurses on
 * them (dpsim's own WQL reader has the same bound). */
#define MAX_DEPTH 64

enum tok_kind {
	T_END, T_NAME, T_STRING, T_NUMBER, T_OP, T_LPAREN, T_RPAREN,
	T_COMMA, T_STAR,
};

struct parser {
	const char *src;
	size_t pos;		/* where the next token starts */
	/* the current token */
	enum tok_kind kind;
	size_t at;		/* its position, from 1 for messages */
	struct buf text;	/* a name or number as written, a string's
				 * value unescaped, an operator */
	unsigned depth;		/* open '(' and NOT */
	/* the first error */
	int err;
	char *why;
	size_t size;
};

/* Operator precedence of an OData expression, to know when to bracket it
 * as an operand: or < and < a comparison < a call or not (...). */
enum { P_OR = 1, P_AND, P_CMP, P_ATOM };

static void fail(struct parser *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fail(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (p->err)
		return;
	p->err = -EINVAL;
	n = snprintf(p->why, p->size, "position %zu: ", p->at);
	if (n < 0 || (size_t)n >= p->size)
		return;
	va_start(ap, fmt);
	vsnprintf(p->why + n, p->size - (size_t)n, fmt, ap);
	va_end(ap);
}

static void nomem(struct parser *p)
{
	if (!p->err)
		p->err = -ENOMEM;
}

/* What the current token is, for a message: "'FORM'", "the end". A
 * string's control characters are '?', so the message is one line. */
static const char *found(struct parser *p, char *out, size_t size)
{
	if (p->kind == T_END)
		return "the end of the query";
	snprintf(out, size, "'%.40s'", buf_ptr(&p->text));
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return out;
}

static bool is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void lex_number(struct parser *p)
{
	const char *s = p->src + p->pos, *q = s;

	if (*q == '-')
		q++;
	if (q[0] == '0' && (q[1] == 'x' || q[1] == 'X')) {
		fail(p, "hexadecimal numbers have no OData form; write the "
		     "number in decimal");
		return;
	}
	while (is_digit(*q))
		q++;
	if (*q == '.' && is_digit(q[1]))
		for (q++; is_digit(*q); q++)
			;
	if ((*q == 'e' || *q == 'E') &&
	    (is_digit(q[1]) || ((q[1] == '+' || q[1] == '-') &&
				is_digit(q[2]))))
		for (q += 2; is_digit(*q); q++)
			;
	if (is_alpha(*q)) {
		fail(p, "'%.*s' is not a number", (int)strcspn(s, " \t\r\n)"),
		     s);
		return;
	}
	p->kind = T_NUMBER;
	buf_add(&p->text, s, (size_t)(q - s));
	p->pos += (size_t)(q - s);
}

static void lex_string(struct parser *p)
{
	const char *s = p->src + p->pos;
	char quote = *s++;

	for (; *s && *s != quote; s++) {
		if (*s == '\\' && s[1])
			s++;	/* \\ \' \" : the character itself */
		buf_add(&p->text, s, 1);
	}
	if (!*s) {
		fail(p, "a string that starts here has no closing %c", quote);
		return;
	}
	p->kind = T_STRING;
	p->pos = (size_t)(s + 1 - p->src);
}

static void next(struct parser *p)
{
	const char *s;

	if (p->err)
		return;
	buf_reset(&p->text);
	while (p->src[p->pos] == ' ' || p->src[p->pos] == '\t' ||
	       p->src[p->pos] == '\r' || p->src[p->pos] == '\n')
		p->pos++;
	s = p->src + p->pos;
	p->at = p->pos + 1;
	if (!*s) {
		p->kind = T_END;
	} else if (is_alpha(*s)) {
		size_t n = 1;

		while (is_alpha(s[n]) || is_digit(s[n]))
			n++;
		p->kind = T_NAME;
		buf_add(&p->text, s, n);
		p->pos += n;
	} else if (is_digit(*s) || (*s == '-' && is_digit(s[1]))) {
		lex_number(p);
	} else if (*s == '\'' || *s == '"') {
		lex_string(p);
	} else if (strchr("()*,", *s)) {
		p->kind = *s == '(' ? T_LPAREN : *s == ')' ? T_RPAREN
			  : *s == '*' ? T_STAR : T_COMMA;
		buf_add(&p->text, s, 1);
		p->pos++;
	} else if (strncmp(s, "<>", 2) == 0 || strncmp(s, "!=", 2) == 0 ||
		   strncmp(s, "<=", 2) == 0 || strncmp(s, ">=", 2) == 0) {
		p->kind = T_OP;
		buf_add(&p->text, s, 2);
		p->pos += 2;
	} else if (*s == '=' || *s == '<' || *s == '>') {
		p->kind = T_OP;
		buf_add(&p->text, s, 1);
		p->pos++;
	} else if ((unsigned char)*s < 0x20 || *s == 0x7f) {
		fail(p, "unexpected control character 0x%02X",
		     (unsigned)(unsigned char)*s);
	} else {
		fail(p, "unexpected character '%c'", *s);
	}
	if (buf_error(&p->text))
		nomem(p);
}

static bool is_kw(struct parser *p, const char *kw)
{
	return p->kind == T_NAME && strcasecmp(buf_ptr(&p->text), kw) == 0;
}

static bool keyword(const char *s)
{
	static const char *const kws[] = {
		"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "LIKE", "IS",
		"NULL", "TRUE", "FALSE", "ISA",
	};

	for (size_t i = 0; i < sizeof(kws) / sizeof(kws[0]); i++)
		if (strcasecmp(s, kws[i]) == 0)
			return true;
	return false;
}

/* A property or class name; NULL (and an error) when the token is not
 * one. */
static char *name(struct parser *p, const char *what)
{
	char f[64];
	char *n;

	if (p->err)
		return NULL;
	if (p->kind != T_NAME || keyword(buf_ptr(&p->text))) {
		fail(p, "expected %s, found %s", what, found(p, f, sizeof(f)));
		return NULL;
	}
	n = strdup(buf_ptr(&p->text));
	if (!n)
		nomem(p);
	next(p);
	return n;
}

/* "x" bracketed when its precedence is below min. Takes x. */
static char *operand(struct parser *p, char *x, int prec, int min)
{
	char *out;

	if (!x || prec >= min)
		return x;
	if (asprintf(&out, "(%s)", x) < 0) {
		out = NULL;
		nomem(p);
	}
	free(x);
	return out;
}

static char *join(struct parser *p, char *a, const char *op, char *b)
{
	char *out = NULL;

	if (a && b && asprintf(&out, "%s %s %s", a, op, b) < 0) {
		out = NULL;
		nomem(p);
	}
	free(a);
	free(b);
	return out;
}

/* The current token as an OData literal, or NULL (not a literal: no
 * error). */
static char *literal(struct parser *p)
{
	struct buf b;
	char *out;

	if (p->kind == T_NUMBER) {
		out = strdup(buf_ptr(&p->text));
	} else if (p->kind == T_STRING) {
		buf_init(&b, 0);
		dpco_add_string(&b, buf_ptr(&p->text));
		out = buf_take(&b, NULL);
	} else if (is_kw(p, "TRUE") || is_kw(p, "FALSE") || is_kw(p, "NULL")) {
		out = strdup(is_kw(p, "TRUE") ? "true" : is_kw(p, "FALSE")
			     ? "false" : "null");
	} else {
		return NULL;
	}
	if (!out)
		nomem(p);
	else
		next(p);
	return out;
}

/* "=" -> "eq"; flip: the literal came first, so a < b is b > a. NULL
 * when op is none of WQL's. */
static const char *odata_op(const char *op, bool flip)
{
	static const struct {
		const char *wql, *odata, *flipped;
	} ops[] = {
		{ "=", "eq", "eq" }, { "<>", "ne", "ne" }, { "!=", "ne", "ne" },
		{ "<", "lt", "gt" }, { "<=", "le", "ge" }, { ">", "gt", "lt" },
		{ ">=", "ge", "le" },
	};

	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(op, ops[i].wql) == 0)
			return flip ? ops[i].flipped : ops[i].odata;
	return NULL;
}

/* A LIKE pattern as a $filter condition on prop, or NULL (and an error)
 * when it has no OData form: '%' at either end, literal characters
 * between ([x] is x itself). */
static char *like(struct parser *p, const char *prop, const char *pat)
{
	struct buf lit, b;
	bool lead = false, trail = false;
	const char *bad = NULL, *fn;
	char *out;

	buf_init(&lit, 0);
	for (; *pat == '%'; pat++)
		lead = true;
	for (; *pat && !bad; pat++) {
		if (*pat == '%') {
			while (pat[1] == '%')
				pat++;
			if (pat[1])
				bad = "a '%' inside the pattern";
			trail = true;
		} else if (*pat == '_') {
			bad = "'_' (any one character)";
		} else if (*pat == '[') {
			/* [x]: the character x itself. */
			if (!pat[1] || pat[1] == '^' || pat[2] != ']') {
				bad = "a set of characters in []";
				break;
			}
			buf_add(&lit, pat + 1, 1);
			pat += 2;
		} else {
			buf_add(&lit, pat, 1);
		}
	}
	if (bad) {
		buf_free(&lit);
		fail(p, "LIKE pattern: %s has no OData form (only 'abc%%', "
		     "'%%abc', '%%abc%%', and [%%] [_] [[] for those "
		     "characters themselves)", bad);
		return NULL;
	}
	buf_init(&b, 0);
	if ((lead || trail) && !buf_len(&lit)) {
		/* '%' alone: any string, that is, not null. */
		buf_addf(&b, "%s ne null", prop);
	} else if (!lead && !trail) {
		buf_addf(&b, "%s eq ", prop);
		dpco_add_string(&b, buf_ptr(&lit));
	} else {
		fn = lead && trail ? "contains" : lead ? "endswith"
						       : "startswith";
		buf_addf(&b, "%s(%s,", fn, prop);
		dpco_add_string(&b, buf_ptr(&lit));
		buf_adds(&b, ")");
	}
	if (buf_error(&lit)) {
		buf_free(&lit);
		buf_free(&b);
		nomem(p);
		return NULL;
	}
	buf_free(&lit);
	out = buf_take(&b, NULL);
	if (!out)
		nomem(p);
	return out;
}

static char *condition(struct parser *p, int *prec);

/* prop op literal, literal op prop, prop [NOT] LIKE 'x', prop IS [NOT]
 * NULL. */
static char *comparison(struct parser *p, int *prec)
{
	char f[64], *prop = NULL, *lit = NULL, *out = NULL;
	const char *op;
	bool flip = false, negate = false;

	*prec = P_CMP;
	lit = literal(p);
	if (p->err) {
		/* The token after the literal may be the bad one. */
		free(lit);
		return NULL;
	}
	if (lit) {
		flip = true;
		if (p->kind != T_OP) {
			free(lit);
			fail(p, "expected a comparison operator after the "
			     "literal, found %s", found(p, f, sizeof(f)));
			return NULL;
		}
	} else {
		prop = name(p, "a property name");
		if (!prop)
			return NULL;
	}
	if (!flip && is_kw(p, "IS")) {
		next(p);
		if (is_kw(p, "NOT")) {
			negate = true;
			next(p);
		}
		if (!is_kw(p, "NULL")) {
			fail(p, "expected NULL after IS, found %s",
			     found(p, f, sizeof(f)));
			free(prop);
			return NULL;
		}
		next(p);
		if (asprintf(&out, "%s %s null", prop, negate ? "ne" : "eq") < 0) {
			out = NULL;
			nomem(p);
		}
		free(prop);
		return out;
	}
	if (!flip && (is_kw(p, "NOT") || is_kw(p, "LIKE"))) {
		if (is_kw(p, "NOT")) {
			negate = true;
			next(p);
			if (!is_kw(p, "LIKE")) {
				fail(p, "expected LIKE after NOT, found %s",
				     found(p, f, sizeof(f)));
				free(prop);
				return NULL;
			}
		}
		next(p);
		if (p->kind != T_STRING) {
			fail(p, "expected a pattern in quotes after LIKE, "
			     "found %s", found(p, f, sizeof(f)));
			free(prop);
			return NULL;
		}
		out = like(p, prop, buf_ptr(&p->text));
		free(prop);
		if (!out)
			return NULL;
		next(p);
		if (negate) {
			char *n = NULL;

			if (asprintf(&n, "not (%s)", out) < 0) {
				n = NULL;
				nomem(p);
			}
			free(out);
			out = n;
			*prec = P_ATOM;
		}
		return out;
	}
	if (is_kw(p, "ISA")) {
		fail(p, "ISA has no OData form");
		free(prop);
		free(lit);
		return NULL;
	}
	op = p->kind == T_OP ? odata_op(buf_ptr(&p->text), flip) : NULL;
	if (!op) {
		fail(p, "expected a comparison (=, <>, <, <=, >, >=, LIKE, "
		     "IS NULL), found %s", found(p, f, sizeof(f)));
		free(prop);
		free(lit);
		return NULL;
	}
	next(p);
	if (flip) {
		prop = name(p, "a property name after the operator");
	} else {
		lit = literal(p);
		if (!lit && !p->err) {
			if (p->kind == T_NAME && !keyword(buf_ptr(&p->text)))
				fail(p, "comparing two properties has no "
				     "OData form");
			else
				fail(p, "expected a literal (a string, a "
				     "number, TRUE, FALSE or NULL), found %s",
				     found(p, f, sizeof(f)));
		}
	}
	if (prop && lit && asprintf(&out, "%s %s %s", prop, op, lit) < 0) {
		out = NULL;
		nomem(p);
	}
	free(prop);
	free(lit);
	return out;
}

/* Enters one more level of '(' or NOT: false (and an error) past
 * MAX_DEPTH. */
static bool deeper(struct parser *p)
{
	if (++p->depth <= MAX_DEPTH)
		return true;
	fail(p, "condition nested deeper than %d levels", MAX_DEPTH);
	return false;
}

static char *primary(struct parser *p, int *prec)
{
	char f[64], *x;

	if (p->kind == T_LPAREN) {
		if (!deeper(p))
			return NULL;
		next(p);
		x = condition(p, prec);
		p->depth--;
		if (x && p->kind != T_RPAREN) {
			fail(p, "expected ')', found %s",
			     found(p, f, sizeof(f)));
			free(x);
			return NULL;
		}
		next(p);
		return x;
	}
	return comparison(p, prec);
}

static char *negation(struct parser *p, int *prec)
{
	char *x, *out = NULL;
	int inner;

	if (!is_kw(p, "NOT"))
		return primary(p, prec);
	if (!deeper(p))
		return NULL;
	next(p);
	x = negation(p, &inner);
	p->depth--;
	*prec = P_ATOM;
	/* OData's not takes what follows it alone: always brackets. */
	if (x && asprintf(&out, "not (%s)", x) < 0) {
		out = NULL;
		nomem(p);
	}
	free(x);
	return out;
}

static char *conjunction(struct parser *p, int *prec)
{
	char *x = negation(p, prec);

	while (x && is_kw(p, "AND")) {
		int rp;
		char *y;

		next(p);
		y = negation(p, &rp);
		x = join(p, operand(p, x, *prec, P_AND), "and",
			 operand(p, y, y ? rp : P_ATOM, P_AND));
		*prec = P_AND;
	}
	return x;
}

static char *condition(struct parser *p, int *prec)
{
	char *x = conjunction(p, prec);

	while (x && is_kw(p, "OR")) {
		int rp;
		char *y;

		next(p);
		y = conjunction(p, &rp);
		x = join(p, x, "or", y);
		*prec = P_OR;
	}
	return x;
}

static int add_prop(struct dpcw_query *q, char *prop)
{
	char **n = realloc(q->props, (q->nprops + 1) * sizeof(*n));

	if (!n) {
		free(prop);
		return -ENOMEM;
	}
	q->props = n;
	q->props[q->nprops++] = prop;
	return 0;
}

static void parse(struct parser *p, struct dpcw_query *q)
{
	char f[64];
	int prec;

	next(p);
	if (!is_kw(p, "SELECT")) {
		if (is_kw(p, "ASSOCIATORS") || is_kw(p, "REFERENCES"))
			fail(p, "%s OF has no OData form", buf_ptr(&p->text));
		else
			fail(p, "expected SELECT, found %s",
			     found(p, f, sizeof(f)));
		return;
	}
	next(p);
	if (p->kind == T_STAR) {
		next(p);
	} else {
		do {
			char *prop;

			if (p->kind == T_COMMA)
				next(p);
			prop = name(p, "* or a property name");
			if (!prop)
				return;
			if (add_prop(q, prop)) {
				nomem(p);
				return;
			}
		} while (p->kind == T_COMMA);
	}
	if (!is_kw(p, "FROM")) {
		fail(p, "expected FROM, found %s", found(p, f, sizeof(f)));
		return;
	}
	next(p);
	q->cls = name(p, "a class name after FROM");
	if (!q->cls)
		return;
	if (is_kw(p, "WHERE")) {
		next(p);
		q->filter = condition(p, &prec);
		if (!q->filter)
			return;
	}
	if (p->kind != T_END)
		fail(p, "expected %sthe end of the query, found %s",
		     q->filter ? "AND, OR or " : "WHERE or ",
		     found(p, f, sizeof(f)));
}

int dpcw_translate(const char *wql, struct dpcw_query *q, char *why,
		   size_t size)
{
	struct parser p = { .src = wql, .why = why, .size = size };

	memset(q, 0, sizeof(*q));
	if (size)
		why[0] = '\0';
	buf_init(&p.text, 0);
	parse(&p, q);
	buf_free(&p.text);
	if (p.err) {
		if (p.err == -ENOMEM && size)
			snprintf(why, size, "out of memory");
		dpcw_query_clear(q);
	}
	return p.err;
}

void dpcw_query_clear(struct dpcw_query *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->nprops; i++)
		free(q->props[i]);
	free(q->props);
	free(q->cls);
	free(q->filter);
	memset(q, 0, sizeof(*q));
}
