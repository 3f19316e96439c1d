/* wql: a hand-written lexer and recursive-descent parser for the WQL
 * subset in wql.h, and an evaluator over cim instances.
 *
 * Semantics beyond the header, decided here:
 * - A literal is converted to the property's type at match time (from
 *   interpretations computed once at parse time, so matching never
 *   allocates or writes to the query):
 *     string, char16   the literal's text (a number as written, TRUE/FALSE
 *                      as "true"/"false"), compared with ASCII case folding;
 *     datetime         the literal's canonical datetime form when it is one
 *                      (so a DMTF literal compares with ISO values), else
 *                      its text; compared as case-folded text;
 *     integers         an integer literal or a string holding one must fit
 *                      the property's type (uint32 = -1 is false, as WMI
 *                      cannot convert it); a real literal is compared as a
 *                      double when it lies within the type's range;
 *     boolean          TRUE/FALSE, 0/1, or 'true'/'false'/'1'/'0';
 *                      false < true for the ordering operators;
 *     real32/64        any numeric literal or string holding one.
 *   A literal that does not convert makes the comparison false.
 * - NULL: a comparison or LIKE on a NULL (or empty array) property is
 *   UNKNOWN; AND/OR/NOT follow Kleene's three-valued logic and UNKNOWN is
 *   folded to false at the top, so NOT (Name = 'x') does not match a NULL
 *   Name. "= NULL" means IS NULL and "<> NULL" IS NOT NULL, as in WMI.
 * - Arrays: a comparison (including NOT LIKE and <>) holds when it holds
 *   for at least one item.
 * - LIKE applies to the canonical text of any type. No escape character:
 *   literal metacharacters are written [%] [_] [[]. A '[' without a closing
 *   ']' is an ordinary character. A ']' right after '[' or '[^' is a set
 *   member. Ranges are written a-f or, as WMI's documentation spells it,
 *   a=f. "One character" is one UTF-8 sequence.
 * - String literals: \\ \' \" are escapes; a backslash before any other
 *   character stays, so raw NAL-path backslashes survive in clients that
 *   escape only quotes. Either quote may appear raw inside the other.
 */
#include "wql.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WQL_MAX_LEN	65536
#define WQL_MAX_DEPTH	64
#define WQL_QUOTE_MAX	40	/* bytes of a token quoted in a message */

enum wql_op { OP_EQ, OP_NE, OP_LT, OP_GT, OP_LE, OP_GE };

static const char *const op_names[] = { "=", "<>", "<", ">", "<=", ">=" };

enum lit_kind { LIT_STRING, LIT_INT, LIT_REAL, LIT_BOOL };

/* A literal with every interpretation the evaluator may need. */
struct wql_lit {
	enum lit_kind kind;
	char *text;		/* string value, number as written, "true" */
	char *datetime;		/* canonical datetime form of text, or NULL */
	bool has_int;		/* text is a decimal integer: neg, mag */
	bool neg;
	uint64_t mag;
	bool has_real;		/* text is a finite number: real */
	double real;
	bool has_bool;		/* TRUE/FALSE, 0/1, 'true'/'false' */
	bool b;
};

enum node_kind { NODE_OR, NODE_AND, NODE_NOT, NODE_CMP, NODE_LIKE, NODE_NULL };

struct wql_node {
	enum node_kind kind;
	struct wql_node **kids;	/* OR/AND: two or more; NOT: one */
	size_t nkids;
	char *prop;		/* leaves: property name as written */
	size_t prop_pos;
	enum wql_op op;		/* NODE_CMP, with the property on the left */
	bool negate;		/* NOT LIKE; IS NOT NULL */
	struct wql_lit lit;	/* NODE_CMP value; NODE_LIKE pattern (text) */
};

struct wql_query {
	char *class_name;
	char **select;		/* NULL for "*" */
	size_t *select_pos;
	size_t nselect;
	struct wql_node *where;	/* NULL without WHERE */
};

/* ---- lexer ------------------------------------------------------------ */

enum tok_kind {
	TK_END, TK_IDENT, TK_STRING, TK_NUMBER, TK_STAR, TK_COMMA,
	TK_LPAREN, TK_RPAREN, TK_OP,
};

struct token {
	enum tok_kind kind;
	size_t pos;		/* byte offset of the first character */
	size_t len;		/* bytes, quotes included for strings */
	enum wql_op op;		/* TK_OP */
	bool is_real;		/* TK_NUMBER with '.' or an exponent */
};

struct parser {
	const char *text;
	size_t len;
	size_t pos;		/* first byte after tok */
	struct token tok;	/* one token of lookahead */
	unsigned depth;		/* open '(' and NOT */
	struct wql_error *err;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' ||
	       c == '\v';
}

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

static char fold(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

__attribute__((format(printf, 3, 4)))
static int fail(struct parser *p, size_t pos, const char *fmt, ...)
{
	va_list ap;

	p->err->pos = pos;
	va_start(ap, fmt);
	vsnprintf(p->err->message, sizeof(p->err->message), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* Quotes up to WQL_QUOTE_MAX bytes of text for a message, with control
 * bytes replaced so the message is safe to put in a fault. */
static void quote_text(const char *s, size_t len, char *buf, size_t n)
{
	size_t i, o = 0, max = len > WQL_QUOTE_MAX ? WQL_QUOTE_MAX : len;

	/* Do not split a UTF-8 sequence when cutting. */
	if (max < len)
		while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
			max--;
	buf[o++] = '\'';
	for (i = 0; i < max && o + 5 < n; i++) {
		unsigned char c = (unsigned char)s[i];

		buf[o++] = c < 0x20 || c == 0x7F ? '?' : (char)c;
	}
	if (max < len && o + 5 < n) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o++] = '\'';
	buf[o] = '\0';
}

static void describe(const struct parser *p, const struct token *t,
		     char *buf, size_t n)
{
	if (t->kind == TK_END)
		snprintf(buf, n, "the end of the query");
	else
		quote_text(p->text + t->pos, t->len, buf, n);
}

/* "expected <what> but found <current token>" at the current token. */
static int expected(struct parser *p, const char *what)
{
	char found[WQL_QUOTE_MAX + 8];

	describe(p, &p->tok, found, sizeof(found));
	return fail(p, p->tok.pos, "expected %s but found %s", what, found);
}

static int lex_number(struct parser *p, size_t i)
{
	const char *s = p->text;
	size_t start = i;
	bool digits = false, bad = false;

	p->tok.is_real = false;
	if (s[i] == '+' || s[i] == '-')
		i++;
	for (; is_digit(s[i]); i++)
		digits = true;
	if (s[i] == '.') {
		p->tok.is_real = true;
		for (i++; is_digit(s[i]); i++)
			digits = true;
	}
	if (digits && (s[i] == 'e' || s[i] == 'E')) {
		p->tok.is_real = true;
		i++;
		if (s[i] == '+' || s[i] == '-')
			i++;
		if (!is_digit(s[i]))
			bad = true;
		while (is_digit(s[i]))
			i++;
	}
	if (!digits || bad || is_ident_char(s[i]) || s[i] == '.') {
		char q[WQL_QUOTE_MAX + 8];

		while (is_ident_char(s[i]) || s[i] == '.' || s[i] == '+' ||
		       s[i] == '-')
			i++;
		quote_text(s + start, i - start, q, sizeof(q));
		return fail(p, start, "malformed number %s", q);
	}
	p->tok.kind = TK_NUMBER;
	p->tok.len = i - start;
	return 0;
}

static int lex_string(struct parser *p, size_t i)
{
	const char *s = p->text;
	char quote = s[i];
	size_t j = i + 1;

	/* Skipping two bytes after every backslash matches unescape(): the
	 * escaped byte never closes the literal. */
	while (j < p->len && s[j] != quote)
		j += s[j] == '\\' && j + 1 < p->len ? 2 : 1;
	if (j >= p->len)
		return fail(p, i, "unterminated string literal (missing closing %c)",
			    quote);
	p->tok.kind = TK_STRING;
	p->tok.len = j + 1 - i;
	return 0;
}

static int lex_punct(struct parser *p, size_t i)
{
	const char *s = p->text;
	struct token *t = &p->tok;

	t->len = 1;
	switch (s[i]) {
	case '*': t->kind = TK_STAR; return 0;
	case ',': t->kind = TK_COMMA; return 0;
	case '(': t->kind = TK_LPAREN; return 0;
	case ')': t->kind = TK_RPAREN; return 0;
	case '=': t->kind = TK_OP; t->op = OP_EQ; return 0;
	case '<':
		t->kind = TK_OP;
		t->op = OP_LT;
		if (s[i + 1] == '>' || s[i + 1] == '=') {
			t->op = s[i + 1] == '>' ? OP_NE : OP_LE;
			t->len = 2;
		}
		return 0;
	case '>':
		t->kind = TK_OP;
		t->op = OP_GT;
		if (s[i + 1] == '=') {
			t->op = OP_GE;
			t->len = 2;
		}
		return 0;
	case '!':
		if (s[i + 1] == '=') {
			t->kind = TK_OP;
			t->op = OP_NE;
			t->len = 2;
			return 0;
		}
		break;
	default:
		break;
	}
	if ((unsigned char)s[i] > 0x20 && (unsigned char)s[i] < 0x7F)
		return fail(p, i, "unexpected character '%c'", s[i]);
	return fail(p, i, "unexpected byte 0x%02x", (unsigned char)s[i]);
}

/* Reads the next token into p->tok. */
static int lex(struct parser *p)
{
	const char *s = p->text;
	size_t i = p->pos;
	int r;

	while (i < p->len && is_space(s[i]))
		i++;
	p->tok.pos = i;
	p->tok.len = 0;
	if (i >= p->len) {
		p->tok.kind = TK_END;
		p->pos = i;
		return 0;
	}
	if (is_ident_start(s[i])) {
		size_t j = i;

		while (is_ident_char(s[j]))
			j++;
		p->tok.kind = TK_IDENT;
		p->tok.len = j - i;
		r = 0;
	} else if (is_digit(s[i]) || (s[i] == '.' && is_digit(s[i + 1])) ||
		   ((s[i] == '-' || s[i] == '+') &&
		    (is_digit(s[i + 1]) ||
		     (s[i + 1] == '.' && is_digit(s[i + 2]))))) {
		r = lex_number(p, i);
	} else if (s[i] == '\'' || s[i] == '"') {
		r = lex_string(p, i);
	} else {
		r = lex_punct(p, i);
	}
	if (r == 0)
		p->pos = i + p->tok.len;
	return r;
}

static bool tok_is(const struct parser *p, const char *kw)
{
	size_t n = strlen(kw), i;

	if (p->tok.kind != TK_IDENT || p->tok.len != n)
		return false;
	for (i = 0; i < n; i++)
		if (fold(p->text[p->tok.pos + i]) != fold(kw[i]))
			return false;
	return true;
}

static const char *const reserved[] = {
	"SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "LIKE", "IS", "NULL",
	"TRUE", "FALSE",
};

/* An identifier that is not a keyword: a property or class name. */
static bool tok_is_name(const struct parser *p)
{
	size_t i;

	if (p->tok.kind != TK_IDENT)
		return false;
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (tok_is(p, reserved[i]))
			return false;
	return true;
}

static char *tok_strdup(const struct parser *p)
{
	return strndup(p->text + p->tok.pos, p->tok.len);
}

/* ---- literals --------------------------------------------------------- */

/* The value of a string token: \\ \' \" unescaped, other backslashes kept. */
static char *unescape(const char *raw, size_t len)
{
	char *out = malloc(len + 1);
	size_t i, o = 0;

	if (!out)
		return NULL;
	for (i = 0; i < len; i++) {
		if (raw[i] == '\\' && i + 1 < len &&
		    (raw[i + 1] == '\\' || raw[i + 1] == '\'' ||
		     raw[i + 1] == '"'))
			i++;
		out[o++] = raw[i];
	}
	out[o] = '\0';
	return out;
}

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

static void lit_clear(struct wql_lit *l)
{
	free(l->text);
	free(l->datetime);
	memset(l, 0, sizeof(*l));
}

/* Fills l from text (taking ownership) and works out its conversions. */
static int lit_derive(struct wql_lit *l, enum lit_kind kind, char *text)
{
	l->kind = kind;
	l->text = text;
	if (kind == LIT_BOOL) {
		l->has_bool = true;
		l->b = text[0] == 't';
		return 0;
	}
	l->has_int = parse_int(text, &l->neg, &l->mag);
	l->has_real = cim_text_to_double(text, &l->real) == 0;
	if (kind != LIT_REAL && l->has_int && !l->neg && l->mag <= 1) {
		l->has_bool = true;
		l->b = l->mag == 1;
	}
	if (kind == LIT_STRING) {
		if (cim_text_to_bool(text, &l->b) == 0)
			l->has_bool = true;
		if (cim_value_canonical(CIM_DATETIME, text, &l->datetime,
					NULL) == -ENOMEM)
			return -ENOMEM;
	}
	return 0;
}

static bool tok_is_literal(const struct parser *p)
{
	return p->tok.kind == TK_STRING || p->tok.kind == TK_NUMBER ||
	       tok_is(p, "TRUE") || tok_is(p, "FALSE") || tok_is(p, "NULL");
}

/* Converts the current token (tok_is_literal, not NULL) into l. */
static int lit_from_token(const struct parser *p, struct wql_lit *l)
{
	const struct token *t = &p->tok;
	enum lit_kind kind;
	char *text;
	int r;

	memset(l, 0, sizeof(*l));
	if (t->kind == TK_STRING) {
		kind = LIT_STRING;
		text = unescape(p->text + t->pos + 1, t->len - 2);
	} else if (t->kind == TK_NUMBER) {
		kind = t->is_real ? LIT_REAL : LIT_INT;
		text = tok_strdup(p);
	} else {
		kind = LIT_BOOL;
		text = strdup(tok_is(p, "TRUE") ? "true" : "false");
	}
	if (!text)
		return -ENOMEM;
	r = lit_derive(l, kind, text);
	if (r)
		lit_clear(l);
	return r;
}

/* ---- parser ----------------------------------------------------------- */

static void node_free(struct wql_node *n)
{
	size_t i;

	if (!n)
		return;
	for (i = 0; i < n->nkids; i++)
		node_free(n->kids[i]);
	free(n->kids);
	free(n->prop);
	lit_clear(&n->lit);
	free(n);
}

static struct wql_node *node_new(enum node_kind kind)
{
	struct wql_node *n = calloc(1, sizeof(*n));

	if (n)
		n->kind = kind;
	return n;
}

static int node_add(struct wql_node *n, struct wql_node *kid)
{
	struct wql_node **k = realloc(n->kids, (n->nkids + 1) * sizeof(*k));

	if (!k)
		return -ENOMEM;
	n->kids = k;
	n->kids[n->nkids++] = kid;
	return 0;
}

static int parse_or(struct parser *p, struct wql_node **out);

static enum wql_op mirror(enum wql_op op)
{
	switch (op) {
	case OP_LT: return OP_GT;
	case OP_GT: return OP_LT;
	case OP_LE: return OP_GE;
	case OP_GE: return OP_LE;
	default: return op;
	}
}

/* Builds "= NULL" / "<> NULL" as IS [NOT] NULL; other operators are
 * meaningless with NULL, as in WMI. */
static int null_compare(struct parser *p, struct wql_node *n, enum wql_op op,
			size_t null_pos)
{
	if (op != OP_EQ && op != OP_NE)
		return fail(p, null_pos,
			    "NULL can only be compared with =, <> or IS");
	n->kind = NODE_NULL;
	n->negate = op == OP_NE;
	return 0;
}

/* prop IS [NOT] NULL, with p->tok after IS. */
static int parse_is(struct parser *p, struct wql_node *n)
{
	int r;

	n->kind = NODE_NULL;
	if (tok_is(p, "NOT")) {
		n->negate = true;
		if ((r = lex(p)))
			return r;
	}
	if (!tok_is(p, "NULL"))
		return expected(p, n->negate ? "NULL after IS NOT" :
				"NULL or NOT NULL after IS");
	return lex(p);
}

/* prop [NOT] LIKE 'pattern', with p->tok on LIKE. */
static int parse_like(struct parser *p, struct wql_node *n)
{
	int r;

	n->kind = NODE_LIKE;
	if ((r = lex(p)))
		return r;
	if (p->tok.kind != TK_STRING)
		return expected(p, "a string pattern after LIKE");
	if ((r = lit_from_token(p, &n->lit)))
		return r;
	return lex(p);
}

/* prop op literal, with p->tok on the operator. */
static int parse_prop_op(struct parser *p, struct wql_node *n)
{
	char what[WQL_QUOTE_MAX + 40], q[WQL_QUOTE_MAX + 8];
	enum wql_op op = p->tok.op;
	int r;

	n->kind = NODE_CMP;
	n->op = op;
	if ((r = lex(p)))
		return r;
	if (tok_is_name(p)) {
		/* Most often an unquoted string value. */
		quote_text(p->text + p->tok.pos, p->tok.len, q, sizeof(q));
		return fail(p, p->tok.pos,
			    "expected a value after '%s' but found %s (quote string values; comparing two properties is not supported)",
			    op_names[op], q);
	}
	if (!tok_is_literal(p)) {
		snprintf(what, sizeof(what), "a value after '%s'",
			 op_names[op]);
		return expected(p, what);
	}
	if (tok_is(p, "NULL"))
		r = null_compare(p, n, op, p->tok.pos);
	else
		r = lit_from_token(p, &n->lit);
	return r ? r : lex(p);
}

/* The comparison after a property name; n->prop is set, p->tok follows. */
static int parse_prop_rest(struct parser *p, struct wql_node *n)
{
	char what[WQL_QUOTE_MAX + 40], q[WQL_QUOTE_MAX + 8];
	int r;

	if (tok_is(p, "IS")) {
		if ((r = lex(p)))
			return r;
		return parse_is(p, n);
	}
	if (tok_is(p, "NOT")) {
		n->negate = true;
		if ((r = lex(p)))
			return r;
		if (!tok_is(p, "LIKE"))
			return expected(p, "LIKE after NOT");
		return parse_like(p, n);
	}
	if (tok_is(p, "LIKE"))
		return parse_like(p, n);
	if (p->tok.kind == TK_OP)
		return parse_prop_op(p, n);
	if (tok_is(p, "ISA"))
		return fail(p, p->tok.pos, "ISA is not supported");
	quote_text(n->prop, strlen(n->prop), q, sizeof(q));
	snprintf(what, sizeof(what), "a comparison operator after %s", q);
	return expected(p, what);
}

/* literal op prop, with p->tok on the literal: stored mirrored. */
static int parse_literal_first(struct parser *p, struct wql_node *n)
{
	char what[WQL_QUOTE_MAX + 40], lit[WQL_QUOTE_MAX + 8];
	size_t null_pos = p->tok.pos;
	bool is_null = tok_is(p, "NULL");
	enum wql_op op;
	int r;

	n->kind = NODE_CMP;
	quote_text(p->text + p->tok.pos, p->tok.len, lit, sizeof(lit));
	if (!is_null && (r = lit_from_token(p, &n->lit)))
		return r;
	if ((r = lex(p)))
		return r;
	if (tok_is(p, "LIKE") || tok_is(p, "NOT"))
		return fail(p, p->tok.pos,
			    "LIKE needs the property on the left");
	if (p->tok.kind != TK_OP) {
		snprintf(what, sizeof(what), "a comparison operator after %s",
			 lit);
		return expected(p, what);
	}
	op = p->tok.op;
	if ((r = lex(p)))
		return r;
	if (!tok_is_name(p)) {
		snprintf(what, sizeof(what), "a property name after '%s'",
			 op_names[op]);
		return expected(p, what);
	}
	if (!(n->prop = tok_strdup(p)))
		return -ENOMEM;
	n->prop_pos = p->tok.pos;
	n->op = mirror(op);
	if (is_null && (r = null_compare(p, n, op, null_pos)))
		return r;
	return lex(p);
}

static int parse_comparison(struct parser *p, struct wql_node **out)
{
	struct wql_node *n = node_new(NODE_CMP);
	int r;

	if (!n)
		return -ENOMEM;
	if (tok_is_name(p)) {
		n->prop_pos = p->tok.pos;
		if (!(n->prop = tok_strdup(p)))
			r = -ENOMEM;
		else
			r = lex(p);
		if (!r)
			r = parse_prop_rest(p, n);
	} else if (tok_is_literal(p)) {
		r = parse_literal_first(p, n);
	} else {
		r = expected(p, "a property name, NOT or '('");
	}
	if (r) {
		node_free(n);
		return r;
	}
	*out = n;
	return 0;
}

/* Entering a '(' or NOT: the bound that keeps every recursion here, in
 * node_free and in evaluation finite. */
static int nest(struct parser *p)
{
	if (++p->depth > WQL_MAX_DEPTH)
		return fail(p, p->tok.pos,
			    "condition nested deeper than %d levels",
			    WQL_MAX_DEPTH);
	return 0;
}

static int parse_primary(struct parser *p, struct wql_node **out)
{
	size_t open = p->tok.pos;
	char what[64];
	int r;

	if (p->tok.kind != TK_LPAREN)
		return parse_comparison(p, out);
	if ((r = nest(p)) || (r = lex(p)) || (r = parse_or(p, out)))
		return r;
	if (p->tok.kind != TK_RPAREN) {
		node_free(*out);
		*out = NULL;
		snprintf(what, sizeof(what),
			 "')' to close the '(' at offset %zu", open);
		return expected(p, what);
	}
	p->depth--;
	/* The bracketed part is ours until the token after ')' is read. */
	if ((r = lex(p))) {
		node_free(*out);
		*out = NULL;
	}
	return r;
}

static int parse_not(struct parser *p, struct wql_node **out)
{
	struct wql_node *n, *kid;
	int r;

	if (!tok_is(p, "NOT"))
		return parse_primary(p, out);
	if ((r = nest(p)) || (r = lex(p)) || (r = parse_not(p, &kid)))
		return r;
	p->depth--;
	if (!(n = node_new(NODE_NOT)) || node_add(n, kid)) {
		free(n);
		node_free(kid);
		return -ENOMEM;
	}
	*out = n;
	return 0;
}

/* One level of AND or OR, kept n-ary so that a long chain is a wide node,
 * not a deep one. */
static int parse_chain(struct parser *p, struct wql_node **out,
		       enum node_kind kind, const char *kw,
		       int (*sub)(struct parser *, struct wql_node **))
{
	struct wql_node *n, *kid;
	int r;

	if ((r = sub(p, &kid)))
		return r;
	if (!tok_is(p, kw)) {
		*out = kid;
		return 0;
	}
	if (!(n = node_new(kind)) || node_add(n, kid)) {
		free(n);
		node_free(kid);
		return -ENOMEM;
	}
	while (tok_is(p, kw)) {
		if ((r = lex(p)) || (r = sub(p, &kid)))
			goto fail;
		if ((r = node_add(n, kid))) {
			node_free(kid);
			goto fail;
		}
	}
	*out = n;
	return 0;
fail:
	node_free(n);
	return r;
}

static int parse_and(struct parser *p, struct wql_node **out)
{
	return parse_chain(p, out, NODE_AND, "AND", parse_not);
}

static int parse_or(struct parser *p, struct wql_node **out)
{
	return parse_chain(p, out, NODE_OR, "OR", parse_and);
}

static int select_add(struct parser *p, struct wql_query *q)
{
	size_t n = q->nselect + 1;
	char **s = realloc(q->select, n * sizeof(*s));
	size_t *pos;

	if (!s)
		return -ENOMEM;
	q->select = s;
	pos = realloc(q->select_pos, n * sizeof(*pos));
	if (!pos)
		return -ENOMEM;
	q->select_pos = pos;
	if (!(q->select[q->nselect] = tok_strdup(p)))
		return -ENOMEM;
	q->select_pos[q->nselect++] = p->tok.pos;
	return 0;
}

static int parse_select_list(struct parser *p, struct wql_query *q)
{
	int r;

	if (p->tok.kind == TK_STAR)
		return lex(p);
	if (!tok_is_name(p))
		return expected(p, "'*' or a property name after SELECT");
	for (;;) {
		if ((r = select_add(p, q)) || (r = lex(p)))
			return r;
		if (p->tok.kind != TK_COMMA)
			return 0;
		if ((r = lex(p)))
			return r;
		if (!tok_is_name(p))
			return expected(p, "a property name after ','");
	}
}

static bool tok_is_event_clause(const struct parser *p)
{
	return tok_is(p, "WITHIN") || tok_is(p, "GROUP") ||
	       tok_is(p, "HAVING");
}

static int parse_query(struct parser *p, struct wql_query *q)
{
	int r;

	if ((r = lex(p)))
		return r;
	if (tok_is(p, "ASSOCIATORS"))
		return fail(p, p->tok.pos,
			    "ASSOCIATORS OF queries are not supported");
	if (tok_is(p, "REFERENCES"))
		return fail(p, p->tok.pos,
			    "REFERENCES OF queries are not supported");
	if (!tok_is(p, "SELECT"))
		return expected(p, "SELECT at the start of the query");
	if ((r = lex(p)) || (r = parse_select_list(p, q)))
		return r;
	if (!tok_is(p, "FROM"))
		return expected(p, q->nselect ? "FROM after the property list" :
				"FROM after '*'");
	if ((r = lex(p)))
		return r;
	if (!tok_is_name(p))
		return expected(p, "a class name after FROM");
	if (!(q->class_name = tok_strdup(p)))
		return -ENOMEM;
	if ((r = lex(p)))
		return r;
	if (tok_is(p, "WHERE")) {
		if ((r = lex(p)) || (r = parse_or(p, &q->where)))
			return r;
		if (p->tok.kind == TK_END)
			return 0;
		if (tok_is_event_clause(p))
			goto event;
		return expected(p, "AND, OR or the end of the query");
	}
	if (p->tok.kind == TK_END)
		return 0;
	if (tok_is_event_clause(p))
		goto event;
	return expected(p,
			"WHERE or the end of the query after the class name");
event:
	return fail(p, p->tok.pos,
		    "event queries (WITHIN, GROUP, HAVING) are not supported");
}

void wql_query_free(struct wql_query *q)
{
	size_t i;

	if (!q)
		return;
	free(q->class_name);
	for (i = 0; i < q->nselect; i++)
		free(q->select[i]);
	free(q->select);
	free(q->select_pos);
	node_free(q->where);
	free(q);
}

int wql_parse(const char *text, struct wql_query **out, struct wql_error *err)
{
	struct wql_error dummy;
	struct parser p = { 0 };
	struct wql_query *q;
	int r;

	*out = NULL;
	p.err = err ? err : &dummy;
	p.err->pos = 0;
	p.err->message[0] = '\0';
	if (!text)
		return fail(&p, 0, "no query");
	p.text = text;
	p.len = strnlen(text, WQL_MAX_LEN + 1);
	if (p.len > WQL_MAX_LEN)
		return fail(&p, WQL_MAX_LEN, "query longer than %d bytes",
			    WQL_MAX_LEN);
	if (!(q = calloc(1, sizeof(*q))))
		return -ENOMEM;
	r = parse_query(&p, q);
	if (r) {
		if (r == -ENOMEM)
			fail(&p, p.tok.pos, "out of memory");
		wql_query_free(q);
		return r;
	}
	*out = q;
	return 0;
}

const char *wql_query_class(const struct wql_query *q)
{
	return q->class_name;
}

size_t wql_query_select_count(const struct wql_query *q)
{
	return q->nselect;
}

const char *const *wql_query_select(const struct wql_query *q)
{
	return (const char *const *)q->select;
}

/* ---- check ------------------------------------------------------------ */

static int check_name(const char *name, size_t pos, const struct cim_class *c,
		      struct wql_error *err)
{
	if (cim_class_find_property(c, name) >= 0)
		return 0;
	if (err) {
		err->pos = pos;
		snprintf(err->message, sizeof(err->message),
			 "no property '%.60s' in class %.60s", name,
			 cim_class_name(c));
	}
	return -ENOENT;
}

static int check_node(const struct wql_node *n, const struct cim_class *c,
		      struct wql_error *err)
{
	size_t i;
	int r;

	if (n->prop)
		return check_name(n->prop, n->prop_pos, c, err);
	for (i = 0; i < n->nkids; i++)
		if ((r = check_node(n->kids[i], c, err)))
			return r;
	return 0;
}

int wql_query_check(const struct wql_query *q, const struct cim_class *c,
		    struct wql_error *err)
{
	size_t i;
	int r;

	for (i = 0; i < q->nselect; i++)
		if ((r = check_name(q->select[i], q->select_pos[i], c, err)))
			return r;
	return q->where ? check_node(q->where, c, err) : 0;
}

/* ---- evaluation ------------------------------------------------------- */

enum tri { TRI_FALSE, TRI_TRUE, TRI_UNKNOWN };

static bool op_holds(enum wql_op op, int c)
{
	switch (op) {
	case OP_EQ: return c == 0;
	case OP_NE: return c != 0;
	case OP_LT: return c < 0;
	case OP_GT: return c > 0;
	case OP_LE: return c <= 0;
	case OP_GE: return c >= 0;
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

static bool int_compare(enum cim_type t, const char *item,
			const struct wql_lit *l, enum wql_op op)
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
	/* (double)max may round up to 2^bits, so bound by that, exclusive;
	 * (max / 2 + 1) * 2 is 2^bits (or 2^(bits-1)) computed exactly. */
	if (!l->has_real || l->real < -(double)min_mag ||
	    l->real >= (double)(max / 2 + 1) * 2.0)
		return false;
	return op_holds(op, (d > l->real) - (d < l->real));
}

static bool item_compare(enum cim_type t, const char *item,
			 const struct wql_lit *l, enum wql_op op)
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

static enum tri eval_leaf(const struct wql_node *n,
			  const struct cim_instance *inst)
{
	const struct cim_class *c = cim_instance_class(inst);
	const struct cim_property *prop;
	const struct cim_value *v;
	int idx = cim_class_find_property(c, n->prop);
	bool absent;
	size_t i;

	if (idx < 0)
		return TRI_FALSE;	/* not checked against this class */
	prop = cim_class_property(c, (size_t)idx);
	v = cim_instance_get(inst, (size_t)idx);
	absent = !v || v->null || v->count == 0;
	if (n->kind == NODE_NULL)
		return absent != n->negate ? TRI_TRUE : TRI_FALSE;
	if (absent)
		return TRI_UNKNOWN;
	for (i = 0; i < v->count; i++) {
		bool hit;

		if (n->kind == NODE_LIKE)
			hit = wql_like(v->items[i], n->lit.text) != n->negate;
		else
			hit = item_compare(prop->type, v->items[i], &n->lit,
					   n->op);
		if (hit)
			return TRI_TRUE;
	}
	return TRI_FALSE;
}

/* Recursion depth is bounded by the parser's nesting limit. */
static enum tri eval(const struct wql_node *n, const struct cim_instance *inst)
{
	enum tri r, acc;
	size_t i;

	switch (n->kind) {
	case NODE_NOT:
		r = eval(n->kids[0], inst);
		if (r == TRI_UNKNOWN)
			return r;
		return r == TRI_TRUE ? TRI_FALSE : TRI_TRUE;
	case NODE_AND:
	case NODE_OR:
		/* AND: FALSE dominates; OR: TRUE dominates; else UNKNOWN
		 * beats the neutral value. */
		acc = n->kind == NODE_AND ? TRI_TRUE : TRI_FALSE;
		for (i = 0; i < n->nkids; i++) {
			r = eval(n->kids[i], inst);
			if (r == TRI_UNKNOWN)
				acc = TRI_UNKNOWN;
			else if (r != (n->kind == NODE_AND ? TRI_TRUE :
				       TRI_FALSE))
				return r;
		}
		return acc;
	default:
		return eval_leaf(n, inst);
	}
}

bool wql_query_match(const struct wql_query *q, const struct cim_instance *inst)
{
	return !q->where || eval(q->where, inst) == TRI_TRUE;
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
bool wql_like(const char *text, const char *pattern)
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
