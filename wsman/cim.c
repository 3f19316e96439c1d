/* cim: CIM types, canonical value text, classes and instances (cim.h). */
#include "cim.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "num.h"

/* ---- types ------------------------------------------------------------ */

struct cim_type_info {
	const char *name;
	const char *range_why;	/* static reason for out-of-range values */
	uint64_t umax;		/* integers: largest value */
	uint64_t nmax;		/* signed integers: largest magnitude below 0 */
};

static const struct cim_type_info cim_types[] = {
	[CIM_STRING]   = { "string", NULL, 0, 0 },
	[CIM_BOOLEAN]  = { "boolean", NULL, 0, 0 },
	[CIM_UINT8]    = { "uint8", "out of range for uint8", UINT8_MAX, 0 },
	[CIM_SINT8]    = { "sint8", "out of range for sint8", INT8_MAX,
			   (uint64_t)INT8_MAX + 1 },
	[CIM_UINT16]   = { "uint16", "out of range for uint16", UINT16_MAX, 0 },
	[CIM_SINT16]   = { "sint16", "out of range for sint16", INT16_MAX,
			   (uint64_t)INT16_MAX + 1 },
	[CIM_UINT32]   = { "uint32", "out of range for uint32", UINT32_MAX, 0 },
	[CIM_SINT32]   = { "sint32", "out of range for sint32", INT32_MAX,
			   (uint64_t)INT32_MAX + 1 },
	[CIM_UINT64]   = { "uint64", "out of range for uint64", UINT64_MAX, 0 },
	[CIM_SINT64]   = { "sint64", "out of range for sint64", INT64_MAX,
			   (uint64_t)INT64_MAX + 1 },
	[CIM_REAL32]   = { "real32", "out of range for real32", 0, 0 },
	[CIM_REAL64]   = { "real64", "out of range for real64", 0, 0 },
	[CIM_DATETIME] = { "datetime", NULL, 0, 0 },
	[CIM_CHAR16]   = { "char16", NULL, 0, 0 },
};

#define CIM_NTYPES (sizeof(cim_types) / sizeof(cim_types[0]))

static bool cim_type_valid(enum cim_type t)
{
	return (unsigned)t < CIM_NTYPES;
}

const char *cim_type_name(enum cim_type t)
{
	return cim_type_valid(t) ? cim_types[t].name : "unknown";
}

int cim_type_parse(const char *name, enum cim_type *out)
{
	size_t i;

	if (!name)
		return -EINVAL;
	for (i = 0; i < CIM_NTYPES; i++) {
		if (!strcasecmp(name, cim_types[i].name)) {
			*out = (enum cim_type)i;
			return 0;
		}
	}
	return -EINVAL;
}

bool cim_type_is_integer(enum cim_type t)
{
	return t >= CIM_UINT8 && t <= CIM_SINT64;
}

bool cim_type_is_signed(enum cim_type t)
{
	/* Integers only: callers pick i64 vs u64 views with this. */
	return t == CIM_SINT8 || t == CIM_SINT16 || t == CIM_SINT32 ||
	       t == CIM_SINT64;
}

bool cim_type_is_real(enum cim_type t)
{
	return t == CIM_REAL32 || t == CIM_REAL64;
}

/* ---- scalar parsing --------------------------------------------------- */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Parses [+-]digits into a sign and magnitude. Returns 0, -EINVAL on bad
 * syntax or -ERANGE when the magnitude does not fit in 64 bits. */
static int parse_decimal(const char *s, bool *neg, uint64_t *mag)
{
	*neg = false;
	if (*s == '-' || *s == '+')
		*neg = *s++ == '-';
	return num_parse_dec(s, UINT64_MAX, mag);
}

int cim_text_to_i64(const char *s, int64_t *out)
{
	uint64_t mag;
	bool neg;

	if (!s || parse_decimal(s, &neg, &mag))
		return -EINVAL;
	if (neg) {
		if (mag > (uint64_t)INT64_MAX + 1)
			return -EINVAL;
		*out = mag ? -(int64_t)(mag - 1) - 1 : 0;
	} else {
		if (mag > INT64_MAX)
			return -EINVAL;
		*out = (int64_t)mag;
	}
	return 0;
}

int cim_text_to_u64(const char *s, uint64_t *out)
{
	uint64_t mag;
	bool neg;

	if (!s || parse_decimal(s, &neg, &mag) || (neg && mag))
		return -EINVAL;
	*out = mag;
	return 0;
}

/* strtod takes hex floats, "inf", "nan" and leading blanks; CIM reals are
 * plain decimal, so vet the characters first. */
static bool real_syntax_ok(const char *s)
{
	bool digits = false;

	if (*s == '+' || *s == '-')
		s++;
	for (; *s; s++) {
		if (is_digit(*s))
			digits = true;
		else if (!strchr(".eE+-", *s))
			return false;
	}
	return digits;
}

int cim_text_to_double(const char *s, double *out)
{
	char *end;
	double d;

	if (!s || !real_syntax_ok(s))
		return -EINVAL;
	errno = 0;
	d = strtod(s, &end);
	if (end == s || *end || !isfinite(d))
		return -EINVAL;
	*out = d;
	return 0;
}

int cim_text_to_bool(const char *s, bool *out)
{
	if (!s)
		return -EINVAL;
	if (!strcasecmp(s, "true") || !strcmp(s, "1"))
		*out = true;
	else if (!strcasecmp(s, "false") || !strcmp(s, "0"))
		*out = false;
	else
		return -EINVAL;
	return 0;
}

/* ---- canonical forms -------------------------------------------------- */

static int set_why(const char **why, const char *reason)
{
	if (why)
		*why = reason;
	return -EINVAL;
}

static int dup_out(const char *s, char **out)
{
	*out = strdup(s);
	return *out ? 0 : -ENOMEM;
}

/* Decodes one UTF-8 sequence at s, rejecting overlong forms, surrogates
 * and code points past U+10FFFF. Returns its length or 0 if invalid. */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
	static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t n, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		n = 2;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 3;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 4;
		c = s[0] & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;	/* also stops at the NUL */
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Counts code points; -1 if s is not valid UTF-8. */
static long utf8_count(const char *s, uint32_t *first)
{
	const unsigned char *p = (const unsigned char *)s;
	long count = 0;
	uint32_t cp;
	size_t n;

	while (*p) {
		n = utf8_decode(p, &cp);
		if (!n)
			return -1;
		if (!count && first)
			*first = cp;
		p += n;
		count++;
	}
	return count;
}

static int canon_string(const char *text, char **out, const char **why)
{
	if (utf8_count(text, NULL) < 0)
		return set_why(why, "not valid UTF-8");
	return dup_out(text, out);
}

static int canon_char16(const char *text, char **out, const char **why)
{
	uint32_t cp = 0;
	long n = utf8_count(text, &cp);

	if (n < 0)
		return set_why(why, "not valid UTF-8");
	if (n != 1)
		return set_why(why, "not a single character");
	/* char16 is one UCS-2 unit: nothing outside the BMP fits. */
	if (cp > 0xffff)
		return set_why(why, "outside the range of char16");
	return dup_out(text, out);
}

static int canon_boolean(const char *text, char **out, const char **why)
{
	bool v;

	if (cim_text_to_bool(text, &v))
		return set_why(why, "not a boolean (true/false/1/0)");
	return dup_out(v ? "true" : "false", out);
}

static int canon_integer(enum cim_type t, const char *text, char **out,
			 const char **why)
{
	const struct cim_type_info *ti = &cim_types[t];
	char tmp[24];
	uint64_t mag;
	bool neg;
	int r;

	r = parse_decimal(text, &neg, &mag);
	if (r == -EINVAL)
		return set_why(why, "not a decimal integer");
	if (r == -ERANGE)
		return set_why(why, ti->range_why);
	if (neg && mag == 0)
		neg = false;	/* "-0" is just 0 */
	if (neg ? mag > ti->nmax : mag > ti->umax)
		return set_why(why, ti->range_why);
	snprintf(tmp, sizeof(tmp), "%s%llu", neg ? "-" : "",
		 (unsigned long long)mag);
	return dup_out(tmp, out);
}

/* Prints the shortest "%.Ng" that reads back as the same value, so "0.1"
 * stays "0.1" rather than growing the binary noise %.17g would show. */
static int canon_real(enum cim_type t, const char *text, char **out,
		      const char **why)
{
	char tmp[40];
	char *end;
	double d;
	int prec;

	if (!real_syntax_ok(text))
		return set_why(why, "not a decimal number");
	d = strtod(text, &end);
	if (*end)
		return set_why(why, "not a decimal number");
	if (!isfinite(d))
		return set_why(why, cim_types[t].range_why);
	if (t == CIM_REAL32) {
		float f = strtof(text, NULL);

		if (!isfinite(f))
			return set_why(why, cim_types[t].range_why);
		for (prec = 6; prec < 9; prec++) {
			snprintf(tmp, sizeof(tmp), "%.*g", prec, (double)f);
			if (strtof(tmp, NULL) == f)
				break;
		}
		snprintf(tmp, sizeof(tmp), "%.*g", prec, (double)f);
	} else {
		for (prec = 15; prec < 17; prec++) {
			snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
			if (strtod(tmp, NULL) == d)
				break;
		}
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
	}
	return dup_out(tmp, out);
}

/* ---- datetimes -------------------------------------------------------- */

/* Reads exactly n digits; -1 if any is not a digit. */
static long read_digits(const char *s, size_t n)
{
	long v = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

static int days_in_month(long y, long m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				    30, 31 };
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

static bool date_ok(long y, long mo, long d, long h, long mi, long s)
{
	return y >= 0 && mo >= 1 && mo <= 12 && d >= 1 &&
	       d <= days_in_month(y, mo) && h >= 0 && h <= 23 &&
	       mi >= 0 && mi <= 59 && s >= 0 && s <= 59;
}

/* YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM|-HH:MM] */
static bool iso_datetime_ok(const char *s)
{
	long y, mo, d, h, mi, sec, oh, om;

	if (strlen(s) < 19 || s[4] != '-' || s[7] != '-' || s[10] != 'T' ||
	    s[13] != ':' || s[16] != ':')
		return false;
	y = read_digits(s, 4);
	mo = read_digits(s + 5, 2);
	d = read_digits(s + 8, 2);
	h = read_digits(s + 11, 2);
	mi = read_digits(s + 14, 2);
	sec = read_digits(s + 17, 2);
	if (y < 0 || mo < 0 || d < 0 || h < 0 || mi < 0 || sec < 0 ||
	    !date_ok(y, mo, d, h, mi, sec))
		return false;
	s += 19;
	if (*s == '.') {
		if (!is_digit(*++s))
			return false;
		while (is_digit(*s))
			s++;
	}
	if (*s == 'Z')
		return s[1] == '\0';
	if (*s == '+' || *s == '-') {
		if (strlen(s) != 6 || s[3] != ':')
			return false;
		oh = read_digits(s + 1, 2);
		om = read_digits(s + 4, 2);
		return oh >= 0 && oh <= 14 && om >= 0 && om <= 59;
	}
	return *s == '\0';
}

/* xs:duration as cim:Interval carries it: P[nD][T[nH][nM][n[.f]S]], with
 * at least one component and a non-empty T part when T is present. */
static bool iso_duration_ok(const char *s)
{
	static const char units[] = "DHMS";
	bool any = false, in_time = false;
	size_t next = 0;	/* index in units of the next allowed unit */

	if (*s++ != 'P')
		return false;
	while (*s) {
		const char *u;
		bool frac = false;

		if (*s == 'T') {
			if (in_time || !s[1])
				return false;
			in_time = true;
			next = 1;
			s++;
			continue;
		}
		if (!is_digit(*s))
			return false;
		while (is_digit(*s))
			s++;
		if (*s == '.') {
			frac = true;
			if (!is_digit(*++s))
				return false;
			while (is_digit(*s))
				s++;
		}
		u = *s ? strchr(units + next, *s) : NULL;
		if (!u || (u == units) == in_time || (frac && *u != 'S'))
			return false;
		next = (size_t)(u - units) + 1;
		any = true;
		s++;
	}
	return any;
}

/* DMTF datetime yyyymmddHHMMSS.mmmmmmsUUU (25 characters). Timestamps
 * with '*' wildcards have no ISO 8601 spelling, so they are kept as given
 * once their fixed characters check out. Intervals (':' in the sign
 * position, ddddddddHHMMSS.mmmmmm:000) become xs:duration text. */
static int canon_dmtf(const char *s, char **out, const char **why)
{
	static const char *bad = "not a valid DMTF datetime";
	char tmp[128];
	long f[6], frac, off;
	static const int widths[6] = { 4, 2, 2, 2, 2, 2 };
	size_t i, pos = 0;

	for (i = 0; i < 25; i++) {
		if (i == 14 && s[i] != '.')
			return set_why(why, bad);
		if (i == 21 && s[i] != '+' && s[i] != '-' && s[i] != ':')
			return set_why(why, bad);
		if (i != 14 && i != 21 && !is_digit(s[i]) && s[i] != '*')
			return set_why(why, bad);
	}
	if (strchr(s, '*')) {
		if (s[21] == ':')
			return set_why(why, bad);
		return dup_out(s, out);
	}
	if (s[21] == ':') {
		long days = read_digits(s, 8);
		long h = read_digits(s + 8, 2), mi = read_digits(s + 10, 2);
		long sec = read_digits(s + 12, 2);

		if (h > 23 || mi > 59 || sec > 59 || strncmp(s + 22, "000", 3))
			return set_why(why, bad);
		snprintf(tmp, sizeof(tmp), "P%ldDT%ldH%ldM%ld.%.6sS", days, h,
			 mi, sec, s + 15);
		return dup_out(tmp, out);
	}
	for (i = 0; i < 6; i++) {
		f[i] = read_digits(s + pos, widths[i]);
		pos += widths[i];
	}
	frac = read_digits(s + 15, 6);
	off = read_digits(s + 22, 3);
	if (!date_ok(f[0], f[1], f[2], f[3], f[4], f[5]) || frac < 0 ||
	    off > 14 * 60)
		return set_why(why, bad);
	if (off == 0)
		snprintf(tmp, sizeof(tmp),
			 "%04ld-%02ld-%02ldT%02ld:%02ld:%02ld.%06ldZ",
			 f[0], f[1], f[2], f[3], f[4], f[5], frac);
	else
		snprintf(tmp, sizeof(tmp),
			 "%04ld-%02ld-%02ldT%02ld:%02ld:%02ld.%06ld%c%02ld:%02ld",
			 f[0], f[1], f[2], f[3], f[4], f[5], frac, s[21],
			 off / 60, off % 60);
	return dup_out(tmp, out);
}

static int canon_datetime(const char *text, char **out, const char **why)
{
	if (strlen(text) == 25 && text[14] == '.')
		return canon_dmtf(text, out, why);
	if (iso_datetime_ok(text) || iso_duration_ok(text))
		return dup_out(text, out);
	return set_why(why, "not an ISO 8601 or DMTF datetime");
}

int cim_value_canonical(enum cim_type t, const char *text, char **out,
			const char **why)
{
	*out = NULL;
	if (!text)
		return set_why(why, "missing value");
	if (!cim_type_valid(t))
		return set_why(why, "unknown type");
	if (!*text && t != CIM_STRING)
		return set_why(why, "empty value");
	switch (t) {
	case CIM_STRING:
		return canon_string(text, out, why);
	case CIM_CHAR16:
		return canon_char16(text, out, why);
	case CIM_BOOLEAN:
		return canon_boolean(text, out, why);
	case CIM_REAL32:
	case CIM_REAL64:
		return canon_real(t, text, out, why);
	case CIM_DATETIME:
		return canon_datetime(text, out, why);
	default:
		return canon_integer(t, text, out, why);
	}
}

/* ---- classes ---------------------------------------------------------- */

struct cim_method {
	char *name;
	enum cim_type ret;
	struct cim_param *params;	/* names owned (cast from const) */
	size_t nparams;
	struct cim_class *output;	/* out parameters, then ReturnValue */
};

struct cim_class {
	char *ns;
	char *name;
	struct cim_property *props;
	size_t nprops;
	size_t cap;
	size_t nkeys;
	struct cim_method *methods;
	size_t nmethods;
};

static void method_clear(struct cim_method *m)
{
	for (size_t i = 0; i < m->nparams; i++)
		free((char *)m->params[i].name);
	free(m->params);
	free(m->name);
	cim_class_free(m->output);
}

struct cim_class *cim_class_new(const char *ns, const char *name)
{
	struct cim_class *c = calloc(1, sizeof(*c));
	char *p;

	if (!c)
		return NULL;
	c->ns = strdup(ns ? ns : "");
	c->name = strdup(name ? name : "");
	if (!c->ns || !c->name) {
		cim_class_free(c);
		return NULL;
	}
	for (p = c->ns; *p; p++)
		if (*p == '\\')
			*p = '/';
	return c;
}

void cim_class_free(struct cim_class *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->nprops; i++)
		free(c->props[i].name);
	free(c->props);
	for (i = 0; i < c->nmethods; i++)
		method_clear(&c->methods[i]);
	free(c->methods);
	free(c->ns);
	free(c->name);
	free(c);
}

int cim_class_add_property(struct cim_class *c, const char *name,
			   enum cim_type type, unsigned flags)
{
	struct cim_property *p;
	char *copy;

	if (!name || !cim_type_valid(type))
		return -EINVAL;
	if (cim_class_find_property(c, name) >= 0)
		return -EEXIST;
	if (c->nprops == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 16;

		p = realloc(c->props, cap * sizeof(*p));
		if (!p)
			return -ENOMEM;
		c->props = p;
		c->cap = cap;
	}
	copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	p = &c->props[c->nprops];
	p->name = copy;
	p->type = type;
	p->flags = flags;
	if (flags & CIM_PROP_KEY)
		c->nkeys++;
	return (int)c->nprops++;
}

const char *cim_class_name(const struct cim_class *c)
{
	return c->name;
}

const char *cim_class_namespace(const struct cim_class *c)
{
	return c->ns;
}

size_t cim_class_property_count(const struct cim_class *c)
{
	return c->nprops;
}

const struct cim_property *cim_class_property(const struct cim_class *c,
					      size_t i)
{
	return i < c->nprops ? &c->props[i] : NULL;
}

int cim_class_find_property(const struct cim_class *c, const char *name)
{
	size_t i;

	if (!name)
		return -1;
	for (i = 0; i < c->nprops; i++)
		if (!strcasecmp(c->props[i].name, name))
			return (int)i;
	return -1;
}

size_t cim_class_key_count(const struct cim_class *c)
{
	return c->nkeys;
}

/* ---- methods ---------------------------------------------------------- */

#define PARAM_FLAGS (CIM_PARAM_IN | CIM_PARAM_OUT | CIM_PROP_ARRAY)

/* The declaration's own checks, before anything is allocated. */
static int method_check(const struct cim_class *c, const char *name,
			enum cim_type ret, const struct cim_param *params,
			size_t n)
{
	if (!name || !*name || !cim_type_valid(ret) || (n && !params))
		return -EINVAL;
	if (cim_class_find_method(c, name))
		return -EEXIST;
	for (size_t i = 0; i < n; i++) {
		const struct cim_param *p = &params[i];

		if (!p->name || !*p->name || !cim_type_valid(p->type) ||
		    !(p->flags & (CIM_PARAM_IN | CIM_PARAM_OUT)) ||
		    (p->flags & ~PARAM_FLAGS))
			return -EINVAL;
		/* ReturnValue is the output's own property. */
		if (!strcasecmp(p->name, "ReturnValue"))
			return -EEXIST;
		for (size_t k = 0; k < i; k++)
			if (!strcasecmp(params[k].name, p->name))
				return -EEXIST;
	}
	return 0;
}

/* The output class: out parameters in order, then ReturnValue. */
static struct cim_class *method_output(const struct cim_class *c,
				       const struct cim_method *m)
{
	struct cim_class *o = cim_class_new(c->ns, "__PARAMETERS");

	for (size_t i = 0; o && i < m->nparams; i++) {
		const struct cim_param *p = &m->params[i];

		if ((p->flags & CIM_PARAM_OUT) &&
		    cim_class_add_property(o, p->name, p->type,
					   p->flags & CIM_PROP_ARRAY) < 0)
			goto fail;
	}
	if (o && cim_class_add_property(o, "ReturnValue", m->ret, 0) < 0)
		goto fail;
	return o;
fail:
	cim_class_free(o);
	return NULL;
}

int cim_class_add_method(struct cim_class *c, const char *name,
			 enum cim_type ret, const struct cim_param *params,
			 size_t n)
{
	struct cim_method m = { .ret = ret }, *grown;
	int r = method_check(c, name, ret, params, n);

	if (r)
		return r;
	m.name = strdup(name);
	m.params = calloc(n ? n : 1, sizeof(*m.params));
	if (!m.name || !m.params)
		goto nomem;
	for (size_t i = 0; i < n; i++) {
		m.params[i] = params[i];
		m.params[i].name = strdup(params[i].name);
		if (!m.params[i].name)
			goto nomem;
		m.nparams++;
	}
	m.output = method_output(c, &m);
	grown = m.output ? realloc(c->methods, (c->nmethods + 1) *
				   sizeof(*grown)) : NULL;
	if (!grown)
		goto nomem;
	c->methods = grown;
	c->methods[c->nmethods++] = m;
	return 0;
nomem:
	method_clear(&m);
	return -ENOMEM;
}

size_t cim_class_method_count(const struct cim_class *c)
{
	return c->nmethods;
}

const struct cim_method *cim_class_method(const struct cim_class *c,
					  size_t i)
{
	return i < c->nmethods ? &c->methods[i] : NULL;
}

const struct cim_method *cim_class_find_method(const struct cim_class *c,
					       const char *name)
{
	if (!name)
		return NULL;
	for (size_t i = 0; i < c->nmethods; i++)
		if (!strcasecmp(c->methods[i].name, name))
			return &c->methods[i];
	return NULL;
}

const char *cim_method_name(const struct cim_method *m)
{
	return m->name;
}

enum cim_type cim_method_return_type(const struct cim_method *m)
{
	return m->ret;
}

size_t cim_method_param_count(const struct cim_method *m)
{
	return m->nparams;
}

const struct cim_param *cim_method_param(const struct cim_method *m,
					 size_t i)
{
	return i < m->nparams ? &m->params[i] : NULL;
}

int cim_method_find_param(const struct cim_method *m, const char *name)
{
	if (!name)
		return -1;
	for (size_t i = 0; i < m->nparams; i++)
		if (!strcasecmp(m->params[i].name, name))
			return (int)i;
	return -1;
}

const struct cim_class *cim_method_output_class(const struct cim_method *m)
{
	return m->output;
}

int cim_method_set_return(const struct cim_method *m,
			  struct cim_instance *out, uint32_t rv)
{
	char text[24], *canon = NULL;
	int r;

	if (cim_instance_class(out) != m->output)
		return -EINVAL;
	/* Signed types read the bits as two's complement, as WMI does
	 * with an HRESULT in a sint32. */
	if (cim_type_is_signed(m->ret))
		snprintf(text, sizeof(text), "%d", (int)(int32_t)rv);
	else
		snprintf(text, sizeof(text), "%u", (unsigned)rv);
	r = cim_value_canonical(m->ret, text, &canon, NULL);
	if (r == -EINVAL)
		return -ERANGE;
	if (r)
		return r;
	r = cim_instance_set(out, cim_class_property_count(m->output) - 1,
			     canon);
	free(canon);
	return r;
}

/* ---- instances -------------------------------------------------------- */

struct cim_instance {
	const struct cim_class *cls;
	size_t nvalues;		/* properties the class had at creation */
	struct cim_value *values;
};

static void value_clear(struct cim_value *v)
{
	size_t i;

	for (i = 0; i < v->count; i++)
		free(v->items[i]);
	free(v->items);
	v->items = NULL;
	v->count = 0;
	v->null = true;
}

struct cim_instance *cim_instance_new(const struct cim_class *c)
{
	struct cim_instance *i = calloc(1, sizeof(*i));
	size_t k;

	if (!i)
		return NULL;
	i->cls = c;
	i->nvalues = c->nprops;
	if (i->nvalues) {
		i->values = calloc(i->nvalues, sizeof(*i->values));
		if (!i->values) {
			free(i);
			return NULL;
		}
	}
	for (k = 0; k < i->nvalues; k++)
		i->values[k].null = true;
	return i;
}

void cim_instance_free(struct cim_instance *i)
{
	size_t k;

	if (!i)
		return;
	for (k = 0; k < i->nvalues; k++)
		value_clear(&i->values[k]);
	free(i->values);
	free(i);
}

static int value_copy(struct cim_value *dst, const struct cim_value *src)
{
	size_t k;

	dst->null = src->null;
	dst->count = 0;
	dst->items = NULL;
	if (!src->count)
		return 0;
	dst->items = calloc(src->count, sizeof(*dst->items));
	if (!dst->items)
		return -ENOMEM;
	for (k = 0; k < src->count; k++) {
		dst->items[k] = strdup(src->items[k]);
		if (!dst->items[k])
			return -ENOMEM;	/* caller clears the partial copy */
		dst->count++;
	}
	return 0;
}

struct cim_instance *cim_instance_clone(const struct cim_instance *i)
{
	struct cim_instance *c = calloc(1, sizeof(*c));
	size_t k;

	if (!c)
		return NULL;
	c->cls = i->cls;
	if (i->nvalues) {
		c->values = calloc(i->nvalues, sizeof(*c->values));
		if (!c->values) {
			free(c);
			return NULL;
		}
	}
	for (k = 0; k < i->nvalues; k++) {
		c->nvalues++;
		if (value_copy(&c->values[k], &i->values[k])) {
			cim_instance_free(c);
			return NULL;
		}
	}
	return c;
}

const struct cim_class *cim_instance_class(const struct cim_instance *i)
{
	return i->cls;
}

int cim_instance_set(struct cim_instance *i, size_t idx, const char *text)
{
	char **items;
	char *copy;

	if (idx >= i->nvalues)
		return -EINVAL;
	if (!text) {
		value_clear(&i->values[idx]);
		return 0;
	}
	/* Allocate first so a failure leaves the old value intact. */
	copy = strdup(text);
	items = malloc(sizeof(*items));
	if (!copy || !items) {
		free(copy);
		free(items);
		return -ENOMEM;
	}
	value_clear(&i->values[idx]);
	items[0] = copy;
	i->values[idx].items = items;
	i->values[idx].count = 1;
	i->values[idx].null = false;
	return 0;
}

int cim_instance_append(struct cim_instance *i, size_t idx, const char *text)
{
	struct cim_value *v;
	char **items;
	char *copy;

	if (idx >= i->nvalues || !text)
		return -EINVAL;
	v = &i->values[idx];
	copy = strdup(text);
	if (!copy)
		return -ENOMEM;
	items = realloc(v->items, (v->count + 1) * sizeof(*items));
	if (!items) {
		free(copy);
		return -ENOMEM;
	}
	items[v->count++] = copy;
	v->items = items;
	v->null = false;
	return 0;
}

int cim_instance_set_array(struct cim_instance *i, size_t idx,
			   const char *const *items, size_t n)
{
	struct cim_value v = { .null = false, .count = n };
	struct cim_value src = { .null = false, .count = n,
				 .items = (char **)items };

	if (idx >= i->nvalues || (n && !items))
		return -EINVAL;
	if (value_copy(&v, &src)) {
		value_clear(&v);
		return -ENOMEM;
	}
	value_clear(&i->values[idx]);
	i->values[idx] = v;
	return 0;
}

int cim_instance_set_by_name(struct cim_instance *i, const char *name,
			     const char *text)
{
	int idx = cim_class_find_property(i->cls, name);

	if (idx < 0 || (size_t)idx >= i->nvalues)
		return -ENOENT;
	return cim_instance_set(i, (size_t)idx, text);
}

const struct cim_value *cim_instance_get(const struct cim_instance *i,
					 size_t idx)
{
	return idx < i->nvalues ? &i->values[idx] : NULL;
}

const char *cim_instance_text(const struct cim_instance *i, const char *name)
{
	int idx = cim_class_find_property(i->cls, name);
	const struct cim_value *v;

	if (idx < 0)
		return NULL;
	v = cim_instance_get(i, (size_t)idx);
	if (!v || v->null || !v->count)
		return NULL;
	return v->items[0];
}

bool cim_namespace_equal(const char *a, const char *b)
{
	if (!a || !b)
		return false;
	for (; *a && *b; a++, b++) {
		char ca = *a == '\\' ? '/' : (char)tolower((unsigned char)*a);
		char cb = *b == '\\' ? '/' : (char)tolower((unsigned char)*b);

		if (ca != cb)
			return false;
	}
	return *a == *b;
}
