/* wql: a hand-written lexer and recursive-descent parser for the WQL
 * subset in wql.h. The WHERE clause becomes a predicate (predicate.h),
 * which also holds what a comparison means: how a literal converts to the
 * property's type, NULL and three-valued logic, arrays, LIKE. OData's
 * $filter compiles to the same predicates, so the two agree.
 *
 * Decided here:
 * - "= NULL" means IS NULL and "<> NULL" IS NOT NULL, as in WMI; NULL
 *   with another operator is a syntax error.
 * - literal op prop is stored as prop op' literal with the operator
 *   mirrored (5 < Priority is Priority > 5).
 * - String literals: \\ \' \" are escapes; a backslash before any other
 *   character stays, so raw NAL-path backslashes survive in clients that
 *   escape only quotes. Either quote may appear raw inside the other.
 * - Integer literals are PREDICATE_LIT_INT, numbers with '.' or an
 *   exponent PREDICATE_LIT_REAL, TRUE/FALSE PREDICATE_LIT_BOOL.
 */
#include "wql.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "predicate.h"

#define WQL_MAX_LEN	65536
#define WQL_MAX_DEPTH	64
#define WQL_QUOTE_MAX	40	/* bytes of a token quoted in a message */

/* Indexed by enum predicate_op. */
static const char *const op_names[] = { "=", "<>", "<", ">", "<=", ">=" };

/* A literal as written, before the predicate works out its meanings. */
struct wql_lit {
	enum predicate_lit kind;
	char *text;		/* string value, number as written, "true" */
};

struct wql_query {
	char *class_name;
	char **select;		/* NULL for "*" */
	size_t *select_pos;
	size_t nselect;
	struct predicate *where;	/* NULL without WHERE */
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
	enum predicate_op op;	/* TK_OP */
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
	case '=': t->kind = TK_OP; t->op = PREDICATE_EQ; return 0;
	case '<':
		t->kind = TK_OP;
		t->op = PREDICATE_LT;
		if (s[i + 1] == '>' || s[i + 1] == '=') {
			t->op = s[i + 1] == '>' ? PREDICATE_NE : PREDICATE_LE;
			t->len = 2;
		}
		return 0;
	case '>':
		t->kind = TK_OP;
		t->op = PREDICATE_GT;
		if (s[i + 1] == '=') {
			t->op = PREDICATE_GE;
			t->len = 2;
		}
		return 0;
	case '!':
		if (s[i + 1] == '=') {
			t->kind = TK_OP;
			t->op = PREDICATE_NE;
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


static bool tok_is_literal(const struct parser *p)
{
	return p->tok.kind == TK_STRING || p->tok.kind == TK_NUMBER ||
	       tok_is(p, "TRUE") || tok_is(p, "FALSE") || tok_is(p, "NULL");
}

/* The current token (tok_is_literal, not NULL) as a literal: 0, or
 * -ENOMEM. */
static int lit_from_token(const struct parser *p, struct wql_lit *l)
{
	const struct token *t = &p->tok;

	if (t->kind == TK_STRING) {
		l->kind = PREDICATE_LIT_STRING;
		l->text = unescape(p->text + t->pos + 1, t->len - 2);
	} else if (t->kind == TK_NUMBER) {
		l->kind = t->is_real ? PREDICATE_LIT_REAL : PREDICATE_LIT_INT;
		l->text = tok_strdup(p);
	} else {
		l->kind = PREDICATE_LIT_BOOL;
		l->text = strdup(tok_is(p, "TRUE") ? "true" : "false");
	}
	return l->text ? 0 : -ENOMEM;
}

/* ---- parser ----------------------------------------------------------- */

static int parse_or(struct parser *p, struct predicate **out);

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

/* A node just made (NULL: out of memory) becomes *out, and the token after
 * it is read; on failure the node is freed. */
static int finish(struct parser *p, struct predicate *n,
		  struct predicate **out)
{
	int r;

	if (!n)
		return -ENOMEM;
	if ((r = lex(p))) {
		predicate_free(n);
		return r;
	}
	*out = n;
	return 0;
}

/* "= NULL" / "<> NULL" as IS [NOT] NULL; other operators are meaningless
 * with NULL, as in WMI. */
static int null_compare(struct parser *p, const struct predicate_operand *o,
			enum predicate_op op, size_t null_pos,
			struct predicate **out)
{
	if (op != PREDICATE_EQ && op != PREDICATE_NE)
		return fail(p, null_pos,
			    "NULL can only be compared with =, <> or IS");
	return finish(p, predicate_null(o, op == PREDICATE_NE), out);
}

/* prop IS [NOT] NULL, with p->tok after IS. */
static int parse_is(struct parser *p, const struct predicate_operand *o,
		    struct predicate **out)
{
	bool negate = false;
	int r;

	if (tok_is(p, "NOT")) {
		negate = true;
		if ((r = lex(p)))
			return r;
	}
	if (!tok_is(p, "NULL"))
		return expected(p, negate ? "NULL after IS NOT" :
				"NULL or NOT NULL after IS");
	return finish(p, predicate_null(o, negate), out);
}

/* prop [NOT] LIKE 'pattern', with p->tok on LIKE. */
static int parse_like(struct parser *p, const struct predicate_operand *o,
		      bool negate, struct predicate **out)
{
	struct wql_lit l;
	struct predicate *n;
	int r;

	if ((r = lex(p)))
		return r;
	if (p->tok.kind != TK_STRING)
		return expected(p, "a string pattern after LIKE");
	if ((r = lit_from_token(p, &l)))
		return r;
	n = predicate_like(o, l.text, negate);
	free(l.text);
	return finish(p, n, out);
}

/* prop op literal, with p->tok on the operator. */
static int parse_prop_op(struct parser *p, const struct predicate_operand *o,
			 struct predicate **out)
{
	char what[WQL_QUOTE_MAX + 40], q[WQL_QUOTE_MAX + 8];
	enum predicate_op op = p->tok.op;
	struct predicate *n;
	struct wql_lit l;
	int r;

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
		return null_compare(p, o, op, p->tok.pos, out);
	if ((r = lit_from_token(p, &l)))
		return r;
	n = predicate_compare(o, op, l.kind, l.text);
	free(l.text);
	return finish(p, n, out);
}

/* The comparison after a property name, with p->tok after it. */
static int parse_prop_rest(struct parser *p, const struct predicate_operand *o,
			   struct predicate **out)
{
	char what[WQL_QUOTE_MAX + 40], q[WQL_QUOTE_MAX + 8];
	int r;

	if (tok_is(p, "IS")) {
		if ((r = lex(p)))
			return r;
		return parse_is(p, o, out);
	}
	if (tok_is(p, "NOT")) {
		if ((r = lex(p)))
			return r;
		if (!tok_is(p, "LIKE"))
			return expected(p, "LIKE after NOT");
		return parse_like(p, o, true, out);
	}
	if (tok_is(p, "LIKE"))
		return parse_like(p, o, false, out);
	if (p->tok.kind == TK_OP)
		return parse_prop_op(p, o, out);
	if (tok_is(p, "ISA"))
		return fail(p, p->tok.pos, "ISA is not supported");
	quote_text(o->prop, strlen(o->prop), q, sizeof(q));
	snprintf(what, sizeof(what), "a comparison operator after %s", q);
	return expected(p, what);
}

/* literal op prop, with p->tok on the literal: stored mirrored. The
 * literal is *l's until this returns (the caller frees l->text). */
static int literal_first(struct parser *p, struct wql_lit *l, bool is_null,
			 struct predicate **out)
{
	char what[WQL_QUOTE_MAX + 40], lit[WQL_QUOTE_MAX + 8];
	struct predicate_operand o = { 0 };
	size_t null_pos = p->tok.pos;
	enum predicate_op op;
	char *prop;
	int r;

	quote_text(p->text + p->tok.pos, p->tok.len, lit, sizeof(lit));
	if (!is_null && (r = lit_from_token(p, l)))
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
	if (!(prop = tok_strdup(p)))
		return -ENOMEM;
	o.prop = prop;
	o.pos = p->tok.pos;
	if (is_null)
		r = null_compare(p, &o, op, null_pos, out);
	else
		r = finish(p, predicate_compare(&o, mirror(op), l->kind,
						l->text), out);
	free(prop);
	return r;
}

static int parse_literal_first(struct parser *p, struct predicate **out)
{
	struct wql_lit l = { 0 };
	int r = literal_first(p, &l, tok_is(p, "NULL"), out);

	free(l.text);
	return r;
}

static int parse_comparison(struct parser *p, struct predicate **out)
{
	struct predicate_operand o = { 0 };
	char *prop;
	int r;

	if (tok_is_literal(p))
		return parse_literal_first(p, out);
	if (!tok_is_name(p))
		return expected(p, "a property name, NOT or '('");
	if (!(prop = tok_strdup(p)))
		return -ENOMEM;
	o.prop = prop;
	o.pos = p->tok.pos;
	if (!(r = lex(p)))
		r = parse_prop_rest(p, &o, out);
	free(prop);
	return r;
}

/* Entering a '(' or NOT: the bound that keeps every recursion here, in
 * predicate_free and in matching finite. */
static int nest(struct parser *p)
{
	if (++p->depth > WQL_MAX_DEPTH)
		return fail(p, p->tok.pos,
			    "condition nested deeper than %d levels",
			    WQL_MAX_DEPTH);
	return 0;
}

static int parse_primary(struct parser *p, struct predicate **out)
{
	size_t open = p->tok.pos;
	char what[64];
	int r;

	if (p->tok.kind != TK_LPAREN)
		return parse_comparison(p, out);
	if ((r = nest(p)) || (r = lex(p)) || (r = parse_or(p, out)))
		return r;
	if (p->tok.kind != TK_RPAREN) {
		predicate_free(*out);
		*out = NULL;
		snprintf(what, sizeof(what),
			 "')' to close the '(' at offset %zu", open);
		return expected(p, what);
	}
	p->depth--;
	/* The bracketed part is ours until the token after ')' is read. */
	if ((r = lex(p))) {
		predicate_free(*out);
		*out = NULL;
	}
	return r;
}

static int parse_not(struct parser *p, struct predicate **out)
{
	struct predicate *kid;
	int r;

	if (!tok_is(p, "NOT"))
		return parse_primary(p, out);
	if ((r = nest(p)) || (r = lex(p)) || (r = parse_not(p, &kid)))
		return r;
	p->depth--;
	if (!(*out = predicate_not(kid)))
		return -ENOMEM;
	return 0;
}

/* One level of AND or OR, kept n-ary so that a long chain is a wide node,
 * not a deep one. */
static int parse_chain(struct parser *p, struct predicate **out,
		       struct predicate *(*make)(void), const char *kw,
		       int (*sub)(struct parser *, struct predicate **))
{
	struct predicate *n, *kid;
	int r;

	if ((r = sub(p, &kid)))
		return r;
	if (!tok_is(p, kw)) {
		*out = kid;
		return 0;
	}
	if (!(n = make())) {
		predicate_free(kid);
		return -ENOMEM;
	}
	if ((r = predicate_add(n, kid)))
		goto fail;
	while (tok_is(p, kw)) {
		if ((r = lex(p)) || (r = sub(p, &kid)) ||
		    (r = predicate_add(n, kid)))
			goto fail;
	}
	*out = n;
	return 0;
fail:
	predicate_free(n);
	return r;
}

static int parse_and(struct parser *p, struct predicate **out)
{
	return parse_chain(p, out, predicate_and, "AND", parse_not);
}

static int parse_or(struct parser *p, struct predicate **out)
{
	return parse_chain(p, out, predicate_or, "OR", parse_and);
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
	predicate_free(q->where);
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


/* ---- check and match -------------------------------------------------- */

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

int wql_query_check(const struct wql_query *q, const struct cim_class *c,
		    struct wql_error *err)
{
	const char *bad;
	size_t i, pos = 0;
	int r;

	for (i = 0; i < q->nselect; i++)
		if ((r = check_name(q->select[i], q->select_pos[i], c, err)))
			return r;
	if (q->where && (bad = predicate_check(q->where, c, &pos)))
		return check_name(bad, pos, c, err);
	return 0;
}

bool wql_query_match(const struct wql_query *q, const struct cim_instance *inst)
{
	return !q->where || predicate_match(q->where, inst);
}

const struct predicate *wql_query_where(const struct wql_query *q)
{
	return q->where;
}

bool wql_like(const char *text, const char *pattern)
{
	return predicate_like_match(text, pattern);
}
