/* request: WS-Management request envelopes into struct wsman_request.
 *
 * The body comes from the network (and is parsed before authentication),
 * so the parser is built for hostile input:
 * - a linear pre-scan of the raw bytes refuses, before libxml2 runs,
 *   encodings other than UTF-8/UTF-16, elements with more attributes than
 *   any envelope needs (libxml2 2.9 checks them pairwise) and nesting
 *   deeper than max_depth;
 * - libxml2 runs without entity substitution, DTD loading or network
 *   access, and a DOCTYPE stops the parse at once (billion laughs never
 *   gets to declare an entity);
 * - the tree depth is checked again on the tree and every value kept is
 *   capped.
 * Names are matched by namespace URI and local name only; clients
 * disagree on prefixes (docs/wsman-protocol.md, Envelope and headers).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>

#include "request.h"
#include "resource.h"
#include "vocab.h"
#include "xmlcatch.h"

#define DEFAULT_MAX_DEPTH	64
/* Far above anything a real request carries (a WQL query, a NAL path),
 * far below what would let one request pin much memory. */
#define MAX_VALUE_LEN		(64u * 1024u)
#define MAX_ITEMS		1024u	/* selectors, parameters */
#define MAX_METHOD_LEN		256u
/* libxml2 2.9 checks an element's attributes for duplicates pairwise:
 * 50,000 attributes on one element cost seconds. Real envelopes carry a
 * dozen namespace declarations at most. */
#define MAX_ATTRS		64u

/* Reasons used when the caller gave no reason_buf. */
#define TEXT_SCHEMA "The SOAP XML in the message does not match the " \
	"corresponding XML schema definition. Change the XML and retry."
#define TEXT_ACTION "The WS-Management service does not support the " \
	"action in the request."
#define TEXT_MU "The WS-Management service cannot process a SOAP " \
	"header in the request that is marked as mustUnderstand."
#define TEXT_ENCODING "The WS-Management service cannot process the " \
	"request because its character encoding is not supported."
#define TEXT_HEADER "The WS-Management service cannot process a header " \
	"of the request."

/* Headers a request may carry once each (docs/wsman-protocol.md, Request
 * headers); struct parse keeps the one it saw of each. */
enum once_header {
	H_ACTION, H_MESSAGE_ID, H_TO, H_REPLY_TO, H_FAULT_TO, H_FROM,
	H_RESOURCE_URI, H_SELECTOR_SET, H_MAX_ENVELOPE, H_TIMEOUT, H_LOCALE,
	H_OPTION_SET, H_FRAGMENT, H_DATA_LOCALE, H_ACTIVITY_ID, H_COUNT,
};

struct parse {
	struct wsman_request *r;
	struct wsman_fault *fault;
	char *reason_buf;
	size_t reason_size;
	const xmlNode *seen[H_COUNT];	/* in the tree, NULL when absent */

	/* Filled from libxml2's callbacks (ctxt->_private points here). */
	bool saw_dtd;
	bool have_err;
	int err_code;
	int err_line;
	char err_msg[160];
};

/* ---- faults ----------------------------------------------------------- */

/* Drops an incomplete UTF-8 sequence that truncation left at the end, so
 * a clipped reason is still valid text for the XML it ends up in. */
static void utf8_fix_tail(char *s)
{
	size_t n = strlen(s), i = n, need;
	unsigned char c;

	while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80 && n - i < 3)
		i--;
	if (i == 0)
		return;
	c = (unsigned char)s[i - 1];
	if (c < 0x80)
		return;
	need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
	if (need == 0 || n - (i - 1) < need)
		s[i - 1] = '\0';
}

static int set_fault(struct parse *p, enum wsman_subcode sub, uint32_t code,
		     const char *fallback, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static int header_fault(struct parse *p, enum wsman_subcode sub,
			uint32_t code, const char *detail, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static int vset_fault(struct parse *p, enum wsman_subcode sub, uint32_t code,
		      const char *fallback, const char *fmt, va_list ap)
	__attribute__((format(printf, 5, 0)));

/* Fills the fault; the reason goes to reason_buf when there is one.
 * Reasons put request-derived text last so truncation only clips it. */
static int vset_fault(struct parse *p, enum wsman_subcode sub, uint32_t code,
		      const char *fallback, const char *fmt, va_list ap)
{
	memset(p->fault, 0, sizeof(*p->fault));
	p->fault->subcode = sub;
	p->fault->code = code;
	p->fault->reason = fallback;
	/* The only EncodingLimit the parser raises is about the charset. */
	if (sub == WSMAN_SUB_ENCODING_LIMIT)
		p->fault->detail = WSMAN_DETAIL_CHARACTER_SET;
	if (p->reason_buf != NULL && p->reason_size > 1) {
		vsnprintf(p->reason_buf, p->reason_size, fmt, ap);
		utf8_fix_tail(p->reason_buf);
		p->fault->reason = p->reason_buf;
	}
	return -EINVAL;
}

static int set_fault(struct parse *p, enum wsman_subcode sub, uint32_t code,
		     const char *fallback, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset_fault(p, sub, code, fallback, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* A header WinRM refuses (docs/wsman-protocol.md, Request headers), with
 * its faultDetail (NULL for none). */
static int header_fault(struct parse *p, enum wsman_subcode sub,
			uint32_t code, const char *detail, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset_fault(p, sub, code, TEXT_HEADER, fmt, ap);
	va_end(ap);
	p->fault->detail = detail;
	return -EINVAL;
}

#define schema_error(p, ...) \
	set_fault(p, WSMAN_SUB_SCHEMA_VALIDATION, WSMAN_CODE_SCHEMA_VALIDATION, \
		  TEXT_SCHEMA, __VA_ARGS__)
#define action_error(p, ...) \
	set_fault(p, WSMAN_SUB_ACTION_NOT_SUPPORTED, \
		  WSMAN_CODE_INVALID_ACTIONURI, TEXT_ACTION, __VA_ARGS__)

/* ---- tree helpers ----------------------------------------------------- */

static xmlNode *elem_from(xmlNode *n)
{
	while (n != NULL && n->type != XML_ELEMENT_NODE)
		n = n->next;
	return n;
}

#define for_each_child_elem(c, parent) \
	for (xmlNode *c = elem_from((parent)->children); c != NULL; \
	     c = elem_from(c->next))

static const char *ns_of(const xmlNode *n)
{
	return n->ns != NULL && n->ns->href != NULL ?
		(const char *)n->ns->href : NULL;
}

static bool in_ns(const xmlNode *n, const char *ns)
{
	const char *href = ns_of(n);

	return href != NULL && strcmp(href, ns) == 0;
}

static bool is_el(const xmlNode *n, const char *ns, const char *local)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && in_ns(n, ns) &&
	       strcmp((const char *)n->name, local) == 0;
}

static bool is_xml_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Trims XML whitespace in place. */
static void trim(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n > 0 && is_xml_space(s[n - 1]))
		n--;
	while (i < n && is_xml_space(s[i]))
		i++;
	memmove(s, s + i, n - i);
	s[n - i] = '\0';
}

static bool has_child_elem(const xmlNode *n)
{
	return elem_from(n->children) != NULL;
}

static size_t text_len(const xmlNode *n, size_t acc)
{
	for (const xmlNode *c = n->children; c != NULL && acc <= MAX_VALUE_LEN;
	     c = c->next) {
		if (c->type == XML_TEXT_NODE ||
		    c->type == XML_CDATA_SECTION_NODE) {
			if (c->content != NULL)
				acc += strlen((const char *)c->content);
		} else if (c->type == XML_ELEMENT_NODE) {
			acc = text_len(c, acc);
		}
	}
	return acc;
}

static char *text_copy(const xmlNode *n, char *dst)
{
	for (const xmlNode *c = n->children; c != NULL; c = c->next) {
		if (c->type == XML_TEXT_NODE ||
		    c->type == XML_CDATA_SECTION_NODE) {
			if (c->content != NULL) {
				size_t l = strlen((const char *)c->content);

				memcpy(dst, c->content, l);
				dst += l;
			}
		} else if (c->type == XML_ELEMENT_NODE) {
			dst = text_copy(c, dst);
		}
	}
	return dst;
}

enum text_mode {
	TEXT_VERBATIM,	/* as written: MessageID, selector/parameter values */
	TEXT_TRIM,	/* xs:anyURI, numbers, tokens */
};

/* The text content of n's subtree as a new string. Values with element
 * children (an EPR selector, a cim:Datetime wrapper) are always trimmed:
 * the whitespace around the children is layout, not data. */
static int get_text(struct parse *p, const xmlNode *n, enum text_mode mode,
		    char **out)
{
	size_t len = text_len(n, 0);
	char *s;

	*out = NULL;
	if (len > MAX_VALUE_LEN)
		return schema_error(p, "The request carries a value longer "
				    "than %u bytes in the element: %s",
				    MAX_VALUE_LEN, (const char *)n->name);
	s = malloc(len + 1);
	if (s == NULL)
		return -ENOMEM;
	*text_copy(n, s) = '\0';
	if (mode == TEXT_TRIM || has_child_elem(n))
		trim(s);
	*out = s;
	return 0;
}

/* An attribute by local name: unqualified first (what the schemas say),
 * then in any namespace. Returns a new string or NULL. */
static char *attr_value(const xmlNode *n, const char *local)
{
	const xmlAttr *found = NULL;

	for (const xmlAttr *a = n->properties; a != NULL; a = a->next) {
		if (strcmp((const char *)a->name, local) != 0)
			continue;
		if (a->ns == NULL) {
			found = a;
			break;
		}
		if (found == NULL)
			found = a;
	}
	if (found == NULL)
		return NULL;
	return (char *)xmlNodeListGetString(n->doc, found->children, 1);
}

static bool is_true_text(const xmlChar *v)
{
	char buf[8];
	size_t n;

	if (v == NULL)
		return false;
	n = strlen((const char *)v);
	if (n >= sizeof(buf))
		return false;
	memcpy(buf, v, n + 1);
	trim(buf);
	return strcmp(buf, "true") == 0 || strcmp(buf, "1") == 0;
}

static bool attr_is_true(const xmlNode *n, const xmlAttr *a)
{
	xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
	bool t = is_true_text(v);

	xmlFree(v);
	return t;
}

/* s:mustUnderstand, or the unqualified form pywinrm and Go send. */
static bool must_understand(const xmlNode *n)
{
	for (const xmlAttr *a = n->properties; a != NULL; a = a->next) {
		if (strcmp((const char *)a->name, "mustUnderstand") != 0)
			continue;
		if (a->ns != NULL && (a->ns->href == NULL ||
		    strcmp((const char *)a->ns->href, WSMAN_NS_SOAP) != 0))
			continue;
		if (attr_is_true(n, a))
			return true;
	}
	return false;
}

/* xsi:nil="true". The prefix and even the namespace binding are not
 * trusted: OMI binds xsi to the XSD namespace (docs/wsman-protocol.md,
 * Envelope and headers), and an undeclared
 * prefix leaves libxml2 with a plain "xsi:nil" attribute name. */
static bool is_nil(const xmlNode *n)
{
	for (const xmlAttr *a = n->properties; a != NULL; a = a->next) {
		const char *name = (const char *)a->name;
		size_t l = strlen(name);

		if (a->ns != NULL ? strcmp(name, "nil") != 0 :
		    l < 4 || strcmp(name + l - 4, ":nil") != 0)
			continue;
		if (attr_is_true(n, a))
			return true;
	}
	return false;
}

/* Refuses element nesting deeper than max (the root is depth 1) without
 * recursion, so the check itself cannot be pushed off the stack. */
static bool too_deep(xmlNode *root, unsigned max)
{
	xmlNode *n = root, *c;
	unsigned depth = 1;

	while (n != NULL) {
		if (depth > max)
			return true;
		c = elem_from(n->children);
		if (c != NULL) {
			n = c;
			depth++;
			continue;
		}
		while (n != root && elem_from(n->next) == NULL) {
			n = n->parent;
			depth--;
		}
		if (n == root)
			break;
		n = elem_from(n->next);
	}
	return false;
}

/* ---- scalar values ---------------------------------------------------- */

static int parse_u32(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (*s == '+')
		s++;
	if (*s == '\0')
		return -EINVAL;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > UINT32_MAX)
			return -ERANGE;
	}
	*out = (uint32_t)v;
	return 0;
}

static uint64_t sat_add(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

static uint64_t sat_mul(uint64_t a, uint64_t b)
{
	return b != 0 && a > UINT64_MAX / b ? UINT64_MAX : a * b;
}

/* xs:duration ("PT60S", "PT60.000S", "PT1M30S", "P1DT2H") to
 * milliseconds, saturating at UINT32_MAX. Negative durations make no
 * sense for a timeout and are refused. Years and months count as 365
 * and 30 days: nobody sends them, but they are valid xs:duration. */
static int parse_duration_ms(const char *s, uint32_t *out)
{
	static const uint64_t date_ms[] = {
		365ull * 86400000, 30ull * 86400000, 86400000,
	};
	static const uint64_t time_ms[] = { 3600000, 60000, 1000 };
	bool in_time = false, any = false, time_any = false;
	uint64_t total = 0;
	int last = -1;

	if (*s++ != 'P')
		return -EINVAL;
	while (*s != '\0') {
		const char *units = in_time ? "HMS" : "YMD", *u;
		uint64_t v = 0, frac = 0;
		bool digits = false, has_frac = false;
		int idx;

		if (*s == 'T') {
			if (in_time)
				return -EINVAL;
			in_time = true;
			last = -1;
			s++;
			continue;
		}
		for (; *s >= '0' && *s <= '9'; s++) {
			v = sat_add(sat_mul(v, 10), (uint64_t)(*s - '0'));
			digits = true;
		}
		if (*s == '.') {
			unsigned scale = 100;

			has_frac = true;
			for (s++; *s >= '0' && *s <= '9'; s++) {
				frac += (uint64_t)(*s - '0') * scale;
				scale /= 10;
				digits = true;
			}
		}
		if (!digits || *s == '\0' || (u = strchr(units, *s)) == NULL)
			return -EINVAL;
		idx = (int)(u - units);
		if (idx <= last || (has_frac && !(in_time && *s == 'S')))
			return -EINVAL;
		last = idx;
		s++;
		total = sat_add(total, sat_mul(v, in_time ? time_ms[idx] :
					       date_ms[idx]));
		total = sat_add(total, frac);
		any = true;
		time_any |= in_time;
	}
	if (!any || (in_time && !time_any))
		return -EINVAL;
	*out = total > UINT32_MAX ? UINT32_MAX : (uint32_t)total;
	return 0;
}

static int get_u32(struct parse *p, const xmlNode *n, uint32_t *out)
{
	char *s;
	int rc = get_text(p, n, TEXT_TRIM, &s);

	if (rc < 0)
		return rc;
	rc = parse_u32(s, out);
	if (rc < 0)
		rc = schema_error(p, "The value of the element %s is not an "
				  "unsigned 32-bit integer: %s",
				  (const char *)n->name, s);
	free(s);
	return rc;
}

/* ---- selectors and parameters ------------------------------------------ */

/* Appends (name, value), taking both strings. The array grows in powers of
 * two; the count alone tells when (no capacity field in the contract). */
static int kv_push(struct parse *p, struct wsman_kv **arr, size_t *n,
		   char *name, char *value, const char *what)
{
	struct wsman_kv *a;

	if (*n >= MAX_ITEMS) {
		free(name);
		free(value);
		return schema_error(p, "The request carries more than %u %s.",
				    MAX_ITEMS, what);
	}
	if (*n == 0 || (*n >= 4 && (*n & (*n - 1)) == 0)) {
		a = realloc(*arr, (*n < 4 ? 4 : *n * 2) * sizeof(*a));
		if (a == NULL) {
			free(name);
			free(value);
			return -ENOMEM;
		}
		*arr = a;
	}
	(*arr)[*n].name = name;
	(*arr)[*n].value = value;
	(*n)++;
	return 0;
}

/* A value that may be xsi:nil (NULL) or text. */
static int get_value(struct parse *p, const xmlNode *n, char **out)
{
	*out = NULL;
	if (is_nil(n))
		return 0;
	return get_text(p, n, TEXT_VERBATIM, out);
}

static int parse_selector_set(struct parse *p, const xmlNode *set,
			      struct wsman_kv **arr, size_t *n)
{
	for_each_child_elem(c, set) {
		char *name, *value;
		int rc;

		if (!is_el(c, WSMAN_NS_WSMAN, "Selector"))
			continue;
		name = attr_value(c, "Name");
		if (name == NULL)
			return schema_error(p, "A w:Selector has no Name "
					    "attribute.");
		if (strlen(name) > MAX_VALUE_LEN) {
			free(name);
			return schema_error(p, "A w:Selector name is longer "
					    "than %u bytes.", MAX_VALUE_LEN);
		}
		rc = get_value(p, c, &value);
		if (rc < 0) {
			free(name);
			return rc;
		}
		rc = kv_push(p, arr, n, name, value, "selectors");
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* ---- headers ---------------------------------------------------------- */

static const struct {
	const char *ns, *local;
} once_names[H_COUNT] = {
	[H_ACTION] = { WSMAN_NS_ADDR, "Action" },
	[H_MESSAGE_ID] = { WSMAN_NS_ADDR, "MessageID" },
	[H_TO] = { WSMAN_NS_ADDR, "To" },
	[H_REPLY_TO] = { WSMAN_NS_ADDR, "ReplyTo" },
	[H_FAULT_TO] = { WSMAN_NS_ADDR, "FaultTo" },
	[H_FROM] = { WSMAN_NS_ADDR, "From" },
	[H_RESOURCE_URI] = { WSMAN_NS_WSMAN, "ResourceURI" },
	[H_SELECTOR_SET] = { WSMAN_NS_WSMAN, "SelectorSet" },
	[H_MAX_ENVELOPE] = { WSMAN_NS_WSMAN, "MaxEnvelopeSize" },
	[H_TIMEOUT] = { WSMAN_NS_WSMAN, "OperationTimeout" },
	[H_LOCALE] = { WSMAN_NS_WSMAN, "Locale" },
	[H_OPTION_SET] = { WSMAN_NS_WSMAN, "OptionSet" },
	[H_FRAGMENT] = { WSMAN_NS_WSMAN, "FragmentTransfer" },
	[H_DATA_LOCALE] = { WSMAN_NS_MSWSMAN, "DataLocale" },
	[H_ACTIVITY_ID] = { WSMAN_NS_MSWSMAN, "ActivityId" },
};

/* Known headers that may come more than once or that WinRM ignores even
 * when marked mustUnderstand (MS-WSMV 3.1.4.1.11, 3.1.4.1.15). Every
 * p: header is known too: the MS-WSMV extensions (SessionId,
 * OperationID, ...) are optional for a server. */
static bool ignored_header(const xmlNode *h)
{
	return is_el(h, WSMAN_NS_ADDR, "RelatesTo") ||
	       is_el(h, WSMAN_NS_WSMAN, "RequestEPR") ||
	       is_el(h, WSMAN_NS_WSMAN, "RequestTotalItemsCountEstimate") ||
	       in_ns(h, WSMAN_NS_MSWSMAN);
}

static int once_index(const xmlNode *h)
{
	for (int i = 0; i < H_COUNT; i++)
		if (is_el(h, once_names[i].ns, once_names[i].local))
			return i;
	return -1;
}

/* WS-Addressing calls a repeated addressing header invalid; the others
 * break the envelope's schema. */
static int dup_header(struct parse *p, const xmlNode *h)
{
	if (in_ns(h, WSMAN_NS_ADDR))
		return header_fault(p, WSMAN_SUB_INVALID_HEADER,
				    WSMAN_CODE_INVALID_HEADER, NULL,
				    "The request carries the header more "
				    "than once: a:%s", (const char *)h->name);
	return schema_error(p, "The request carries the header more than "
			    "once: %s", (const char *)h->name);
}

static int read_header_value(struct parse *p, enum once_header which,
			     const xmlNode *h)
{
	struct wsman_request *r = p->r;
	char *s;
	int rc;

	switch (which) {
	case H_ACTION:
		return get_text(p, h, TEXT_TRIM, &r->action);
	case H_RESOURCE_URI:
		return get_text(p, h, TEXT_TRIM, &r->resource_uri);
	case H_MAX_ENVELOPE:
		return get_u32(p, h, &r->max_envelope_size);
	case H_SELECTOR_SET:
		return parse_selector_set(p, h, &r->selectors, &r->nselectors);
	case H_FRAGMENT:
		r->fragment_dialect = attr_value(h, "Dialect");
		if (r->fragment_dialect != NULL) {
			trim(r->fragment_dialect);
			if (r->fragment_dialect[0] == '\0') {
				free(r->fragment_dialect);
				r->fragment_dialect = NULL;
			}
		}
		return get_text(p, h, TEXT_TRIM, &r->fragment);
	case H_TIMEOUT:
		rc = get_text(p, h, TEXT_TRIM, &s);
		if (rc < 0)
			return rc;
		/* WinRM's answer to a timeout it cannot read. */
		if (parse_duration_ms(s, &r->operation_timeout_ms) < 0)
			rc = header_fault(p, WSMAN_SUB_INVALID_HEADER,
					  WSMAN_CODE_INVALID_TIMEOUT,
					  WSMAN_DETAIL_INVALID_TIMEOUT,
					  "The w:OperationTimeout value is not "
					  "an xs:duration: %s", s);
		free(s);
		return rc;
	default:
		return 0;	/* checked by check_headers() */
	}
}

/* Reads the headers dpsim uses, notes each once-only header in p->seen,
 * and notes the first one it must refuse (unknown, mustUnderstand) in
 * *not_understood; the caller faults after everything else, MessageID
 * included, has been read. */
static int read_headers(struct parse *p, const xmlNode *header,
			const xmlNode **not_understood)
{
	for_each_child_elem(h, header) {
		int i = once_index(h), rc;

		if (i >= 0) {
			if (p->seen[i] != NULL)
				return dup_header(p, h);
			p->seen[i] = h;
			rc = read_header_value(p, (enum once_header)i, h);
			if (rc < 0)
				return rc;
		} else if (!ignored_header(h) && *not_understood == NULL &&
			   must_understand(h)) {
			*not_understood = h;
		}
	}
	return 0;
}

/* The MessageID first, so that any later fault can carry RelatesTo. */
static int find_message_id(struct parse *p, const xmlNode *header)
{
	for_each_child_elem(h, header)
		if (is_el(h, WSMAN_NS_ADDR, "MessageID"))
			return get_text(p, h, TEXT_VERBATIM,
					&p->r->message_id);
	return 0;
}

/* MS-WSMV 3.1.4.1.5 (<47>) and 3.1.4.1.12: values WinRM takes up to 2 KB. */
#define MAX_HEADER_ID_LEN 2048u

/* a:ReplyTo and a:FaultTo: WinRM answers on the request's connection
 * only (MS-WSMV 3.1.4.1.3, 3.1.4.1.4). */
static int check_reply_address(struct parse *p, const xmlNode *epr)
{
	const xmlNode *addr = NULL;
	char *s;
	int rc;

	for_each_child_elem(c, epr)
		if (is_el(c, WSMAN_NS_ADDR, "Address") && addr == NULL)
			addr = c;
	if (addr == NULL)
		return header_fault(p, WSMAN_SUB_INVALID_HEADER,
				    WSMAN_CODE_INVALID_HEADER, NULL,
				    "The a:%s header has no a:Address.",
				    (const char *)epr->name);
	rc = get_text(p, addr, TEXT_TRIM, &s);
	if (rc < 0)
		return rc;
	if (strcmp(s, WSMAN_ADDR_ANONYMOUS) != 0)
		rc = header_fault(p, WSMAN_SUB_UNSUPPORTED_FEATURE,
				  WSMAN_CODE_ADDRESSING_MODE,
				  WSMAN_DETAIL_ADDRESSING_MODE,
				  "The service answers on the request's own "
				  "connection only: the a:Address of a:%s "
				  "must be " WSMAN_ADDR_ANONYMOUS ", not: %s",
				  (const char *)epr->name, s);
	free(s);
	return rc;
}

/* Locale and DataLocale: xml:lang is required, mustUnderstand refused
 * (MS-WSMV 3.1.4.1.8, 3.1.4.1.9). */
static int check_locale(struct parse *p, const xmlNode *h, const char *detail)
{
	xmlChar *lang = xmlGetNsProp(h, (const xmlChar *)"lang",
				     XML_XML_NAMESPACE);
	bool empty = lang == NULL || lang[0] == '\0';

	xmlFree(lang);
	if (must_understand(h))
		return header_fault(p, WSMAN_SUB_UNSUPPORTED_FEATURE,
				    WSMAN_CODE_LOCALE_MUST_UNDERSTAND, detail,
				    "The service cannot honour a %s header "
				    "marked mustUnderstand=\"true\".",
				    (const char *)h->name);
	if (empty)
		return schema_error(p, "The %s header has no xml:lang "
				    "attribute.", (const char *)h->name);
	return 0;
}

/* The header rules of MS-WSMV 3.1.4.1 that need the request as a whole:
 * run for every operation but Identify, which carries no addressing
 * headers (docs/wsman-protocol.md, Request headers). */
static int check_headers(struct parse *p)
{
	const xmlNode *const *seen = p->seen;
	const char *mid = p->r->message_id;
	int rc;

	if (seen[H_ACTION] == NULL)
		return header_fault(p, WSMAN_SUB_HEADER_REQUIRED,
				    WSMAN_CODE_HEADER_REQUIRED, NULL,
				    "The request has no a:Action header; only "
				    "Identify may go without one.");
	if (p->r->action[0] == '\0')
		return header_fault(p, WSMAN_SUB_INVALID_HEADER,
				    WSMAN_CODE_INVALID_HEADER, NULL,
				    "The a:Action header is empty.");
	/* An empty MessageID passes: wsl sends one (docs/wsman-protocol.md,
	 * What real clients send). */
	if (seen[H_MESSAGE_ID] == NULL)
		return header_fault(p, WSMAN_SUB_INVALID_HEADER,
				    WSMAN_CODE_INVALID_HEADER, NULL,
				    "The request has no a:MessageID header.");
	if (strlen(mid) > MAX_HEADER_ID_LEN)
		return header_fault(p, WSMAN_SUB_INVALID_HEADER,
				    WSMAN_CODE_INVALID_HEADER, NULL,
				    "The a:MessageID is longer than %u bytes.",
				    MAX_HEADER_ID_LEN);
	if (seen[H_REPLY_TO] == NULL)
		return header_fault(p, WSMAN_SUB_HEADER_REQUIRED,
				    WSMAN_CODE_HEADER_REQUIRED, NULL,
				    "The request has no a:ReplyTo header.");
	rc = check_reply_address(p, seen[H_REPLY_TO]);
	if (rc == 0 && seen[H_FAULT_TO] != NULL)
		rc = check_reply_address(p, seen[H_FAULT_TO]);
	if (rc == 0 && seen[H_LOCALE] != NULL)
		rc = check_locale(p, seen[H_LOCALE], WSMAN_DETAIL_LOCALE);
	if (rc == 0 && seen[H_DATA_LOCALE] != NULL)
		rc = check_locale(p, seen[H_DATA_LOCALE],
				  WSMAN_DETAIL_DATA_LOCALE);
	if (rc == 0 && seen[H_ACTIVITY_ID] != NULL &&
	    text_len(seen[H_ACTIVITY_ID], 0) > MAX_HEADER_ID_LEN)
		rc = header_fault(p, WSMAN_SUB_INVALID_HEADER,
				  WSMAN_CODE_INVALID_HEADER, NULL,
				  "The p:ActivityId is longer than %u bytes.",
				  MAX_HEADER_ID_LEN);
	if (rc == 0 && seen[H_FRAGMENT] != NULL &&
	    !must_understand(seen[H_FRAGMENT]))
		rc = header_fault(p, WSMAN_SUB_INVALID_HEADER,
				  WSMAN_CODE_INVALID_HEADER, NULL,
				  "The w:FragmentTransfer header must be marked "
				  "mustUnderstand=\"true\".");
	return rc;
}

static int must_understand_fault(struct parse *p, const xmlNode *h)
{
	static const char lead[] = "The WS-Management service cannot process "
		"a SOAP header in the request that is marked as "
		"mustUnderstand: ";
	const char *prefix = h->ns != NULL && h->ns->prefix != NULL ?
		(const char *)h->ns->prefix : NULL;
	const char *local = (const char *)h->name;
	size_t qlen = (prefix ? strlen(prefix) + 1 : 0) + strlen(local);
	struct wsman_fault *f = p->fault;

	memset(f, 0, sizeof(*f));
	f->subcode = WSMAN_SUB_MUST_UNDERSTAND;
	f->reason = TEXT_MU;
	if (p->reason_buf == NULL || p->reason_size < 2)
		return -EINVAL;
	/* The qname ends the reason so one buffer holds both; when the
	 * whole text does not fit, the qname alone is kept. */
	if (p->reason_size > sizeof(lead) - 1 + qlen) {
		snprintf(p->reason_buf, p->reason_size, "%s%s%s%s", lead,
			 prefix ? prefix : "", prefix ? ":" : "", local);
		f->reason = p->reason_buf;
		f->not_understood = p->reason_buf + sizeof(lead) - 1;
	} else {
		snprintf(p->reason_buf, p->reason_size, "%s%s%s",
			 prefix ? prefix : "", prefix ? ":" : "", local);
		utf8_fix_tail(p->reason_buf);
		f->not_understood = p->reason_buf;
	}
	/* The reply must bind the qname's prefix itself (SOAP 1.2 §5.4.8):
	 * keep the namespace URI after the text when it fits. */
	const char *href = h->ns != NULL && h->ns->href != NULL ?
		(const char *)h->ns->href : NULL;
	size_t used = strlen(p->reason_buf) + 1;
	if (href != NULL && used + strlen(href) < p->reason_size) {
		memcpy(p->reason_buf + used, href, strlen(href) + 1);
		f->not_understood_ns = p->reason_buf + used;
	}
	return -EINVAL;
}

/* ---- body ------------------------------------------------------------- */

static int parse_filter(struct parse *p, const xmlNode *f)
{
	struct wsman_request *r = p->r;
	char *dialect;

	if (r->filter_dialect != NULL)
		return schema_error(p, "The Enumerate request carries more "
				    "than one Filter.");
	dialect = attr_value(f, "Dialect");
	if (dialect != NULL) {
		trim(dialect);
		if (*dialect == '\0') {
			free(dialect);
			dialect = NULL;
		}
	}
	if (dialect == NULL)
		dialect = strdup(WSMAN_DIALECT_XPATH);
	if (dialect == NULL)
		return -ENOMEM;
	r->filter_dialect = dialect;
	if (strlen(dialect) > MAX_VALUE_LEN)
		return schema_error(p, "The filter dialect is longer than %u "
				    "bytes.", MAX_VALUE_LEN);
	if (strcasecmp(dialect, WSMAN_DIALECT_SELECTOR) == 0) {
		for_each_child_elem(c, f)
			if (is_el(c, WSMAN_NS_WSMAN, "SelectorSet"))
				return parse_selector_set(p, c,
						&r->filter_selectors,
						&r->nfilter_selectors);
		return schema_error(p, "The SelectorFilter has no "
				    "w:SelectorSet.");
	}
	return get_text(p, f, TEXT_TRIM, &r->filter_text);
}

static int parse_enum_mode(struct parse *p, const xmlNode *n)
{
	char *s;
	int rc = get_text(p, n, TEXT_TRIM, &s);

	if (rc < 0)
		return rc;
	if (strcmp(s, "EnumerateEPR") == 0)
		p->r->enum_mode = WSMAN_ENUM_EPR;
	else if (strcmp(s, "EnumerateObjectAndEPR") == 0)
		p->r->enum_mode = WSMAN_ENUM_OBJECT_AND_EPR;
	else
		rc = schema_error(p, "The w:EnumerationMode is neither "
				  "EnumerateEPR nor EnumerateObjectAndEPR: "
				  "%s", s);
	free(s);
	return rc;
}

/* n:Expires, n:MaxTime, b:PolymorphismMode and anything else unknown are
 * ignored (WinRM must ignore PolymorphismMode; docs/wsman-protocol.md,
 * Enumerate). */
static int parse_enumerate(struct parse *p, const xmlNode *e)
{
	int rc = 0;

	for_each_child_elem(c, e) {
		if (is_el(c, WSMAN_NS_WSMAN, "OptimizeEnumeration"))
			p->r->optimize = true;
		else if (is_el(c, WSMAN_NS_WSMAN, "MaxElements"))
			rc = get_u32(p, c, &p->r->max_elements);
		else if (is_el(c, WSMAN_NS_WSMAN, "EnumerationMode"))
			rc = parse_enum_mode(p, c);
		else if (is_el(c, WSMAN_NS_WSMAN, "Filter") ||
			 is_el(c, WSMAN_NS_ENUM, "Filter"))
			rc = parse_filter(p, c);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* n:Pull and n:Release: a context, and for Pull n:MaxElements. */
static int parse_context_body(struct parse *p, const xmlNode *e)
{
	int rc = 0;

	for_each_child_elem(c, e) {
		if (is_el(c, WSMAN_NS_ENUM, "EnumerationContext")) {
			if (p->r->context != NULL)
				return schema_error(p, "The request carries "
						    "more than one "
						    "EnumerationContext.");
			rc = get_text(p, c, TEXT_TRIM, &p->r->context);
		} else if (is_el(c, WSMAN_NS_ENUM, "MaxElements")) {
			rc = get_u32(p, c, &p->r->max_elements);
		}
		if (rc < 0)
			return rc;
	}
	if (p->r->context == NULL)
		return schema_error(p, "The request has no "
				    "n:EnumerationContext in its body: %s",
				    (const char *)e->name);
	return 0;
}

/* ---- operation ---------------------------------------------------------- */

static const struct {
	const char *action;
	enum wsman_op op;
	const char *body;	/* n: element the body must hold, or NULL */
} std_actions[] = {
	{ WSMAN_NS_XFER "/Get", WSMAN_OP_GET, NULL },
	{ WSMAN_NS_ENUM "/Enumerate", WSMAN_OP_ENUMERATE, "Enumerate" },
	{ WSMAN_NS_ENUM "/Pull", WSMAN_OP_PULL, "Pull" },
	{ WSMAN_NS_ENUM "/Release", WSMAN_OP_RELEASE, "Release" },
	{ WSMAN_NS_XFER "/Put", WSMAN_OP_OTHER, NULL },
	{ WSMAN_NS_XFER "/Create", WSMAN_OP_OTHER, NULL },
	{ WSMAN_NS_XFER "/Delete", WSMAN_OP_OTHER, NULL },
	{ WSMAN_NS_ENUM "/Renew", WSMAN_OP_OTHER, NULL },
	{ WSMAN_NS_ENUM "/GetStatus", WSMAN_OP_OTHER, NULL },
	{ WSMAN_NS_EVENT "/Subscribe", WSMAN_OP_OTHER, NULL },
	{ WSMAN_NS_EVENT "/Renew", WSMAN_OP_OTHER, NULL },
	{ WSMAN_NS_EVENT "/GetStatus", WSMAN_OP_OTHER, NULL },
	{ WSMAN_NS_EVENT "/Unsubscribe", WSMAN_OP_OTHER, NULL },
};

/* WMI method names are identifiers; anything else cannot be a method and
 * must not reach the reply writer, which makes element names from it. */
static bool valid_method(const char *m)
{
	size_t n = 0;

	if (!((*m >= 'A' && *m <= 'Z') || (*m >= 'a' && *m <= 'z') ||
	      *m == '_'))
		return false;
	for (; *m != '\0'; m++, n++)
		if (!((*m >= 'A' && *m <= 'Z') || (*m >= 'a' && *m <= 'z') ||
		      (*m >= '0' && *m <= '9') || *m == '_'))
			return false;
	return n <= MAX_METHOD_LEN;
}

/* "<X>_INPUT" -> length of X, or 0 when the name has another form. */
static size_t input_stem(const char *local)
{
	size_t n = strlen(local);

	if (n <= 6 || strcasecmp(local + n - 6, "_INPUT") != 0)
		return 0;
	return n - 6;
}

static const char *checked_method(const char *m)
{
	return m != NULL && strchr(m, '/') == NULL && valid_method(m) ? m : NULL;
}

/* The method of a custom action (docs/wsman-protocol.md, Invoke), trying
 * in turn ResourceURI + "/" +
 * M (the URI compared case-insensitively), the DMTF form
 * .../cim-schema/2/<Class>/<M> with any ResourceURI, and any .../<M> whose
 * body is the single element <M>_INPUT. Returns a pointer into the action
 * or NULL. */
static const char *custom_method(const struct wsman_request *r,
				 const xmlNode *body_el, const xmlNode *extra)
{
	const char *a = r->action, *m = NULL, *slash;
	size_t plen = strlen(WSMAN_URI_DMTF_PREFIX), rlen, stem;

	if (r->resource_uri != NULL && (rlen = strlen(r->resource_uri)) > 0 &&
	    strncasecmp(a, r->resource_uri, rlen) == 0 && a[rlen] == '/')
		m = checked_method(a + rlen + 1);
	if (m == NULL && strncmp(a, WSMAN_URI_DMTF_PREFIX, plen) == 0) {
		slash = strchr(a + plen, '/');
		if (slash != NULL && slash != a + plen)
			m = checked_method(slash + 1);
	}
	if (m == NULL && body_el != NULL && extra == NULL &&
	    (slash = strrchr(a, '/')) != NULL &&
	    (stem = input_stem((const char *)body_el->name)) > 0 &&
	    strlen(slash + 1) == stem &&
	    strncasecmp(slash + 1, (const char *)body_el->name, stem) == 0)
		m = checked_method(slash + 1);
	return m;
}

static int parse_invoke(struct parse *p, const xmlNode *body_el,
			const xmlNode *extra)
{
	struct wsman_request *r = p->r;
	const char *m = custom_method(r, body_el, extra);
	const char *local;
	size_t stem;
	int rc;

	if (m == NULL)
		return action_error(p, "The WS-Management service does not "
				    "support the action: %s", r->action);
	r->op = WSMAN_OP_INVOKE;
	r->method = strdup(m);
	if (r->method == NULL)
		return -ENOMEM;
	if (body_el == NULL)
		return 0;	/* a method without parameters */
	local = (const char *)body_el->name;
	if (extra != NULL)
		return schema_error(p, "The body of a method invocation must "
				    "hold one element, %s_INPUT.", r->method);
	stem = input_stem(local);
	if (stem == 0)
		return schema_error(p, "The body of a method invocation must "
				    "be %s_INPUT, not: %s", r->method, local);
	if (stem != strlen(r->method) ||
	    strncasecmp(local, r->method, stem) != 0)
		return schema_error(p, "The body element does not match the "
				    "method %s of the action: %s", r->method,
				    local);
	for_each_child_elem(c, body_el) {
		char *name = strdup((const char *)c->name), *value;

		if (name == NULL)
			return -ENOMEM;
		rc = get_value(p, c, &value);
		if (rc < 0) {
			free(name);
			return rc;
		}
		rc = kv_push(p, &r->params, &r->nparams, name, value,
			     "method parameters");
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int parse_operation(struct parse *p, xmlNode *body)
{
	struct wsman_request *r = p->r;
	xmlNode *body_el = elem_from(body->children);
	xmlNode *extra = body_el != NULL ? elem_from(body_el->next) : NULL;

	if (r->action != NULL && *r->action == '\0') {
		free(r->action);
		r->action = NULL;
	}
	/* check_headers() let no other request through without one */
	if (r->action == NULL) {
		r->op = WSMAN_OP_IDENTIFY;
		return 0;
	}
	for (size_t i = 0; i < sizeof(std_actions) / sizeof(*std_actions);
	     i++) {
		if (strcmp(r->action, std_actions[i].action) != 0)
			continue;
		r->op = std_actions[i].op;
		if (std_actions[i].body == NULL)
			return 0;
		if (!is_el(body_el, WSMAN_NS_ENUM, std_actions[i].body))
			return schema_error(p, "The body of the request must "
					    "be n:%s.", std_actions[i].body);
		if (r->op == WSMAN_OP_ENUMERATE)
			return parse_enumerate(p, body_el);
		return parse_context_body(p, body_el);
	}
	return parse_invoke(p, body_el, extra);
}

/* ---- pre-scan ----------------------------------------------------------- */

/* The raw body as code units: UTF-8 (any ASCII-compatible text) or
 * UTF-16, found the way libxml2 finds it (BOM, or "<?" in UTF-16). */
struct units {
	const unsigned char *s;
	size_t n;		/* units */
	unsigned width;		/* 1 or 2 bytes */
	bool big_endian;
};

static unsigned unit_at(const struct units *u, size_t i)
{
	const unsigned char *c = u->s + i * u->width;

	if (u->width == 1)
		return c[0];
	return u->big_endian ? (unsigned)c[0] << 8 | c[1] :
			       (unsigned)c[1] << 8 | c[0];
}

static bool match_at(const struct units *u, size_t i, const char *lit)
{
	for (; *lit != '\0'; lit++, i++)
		if (i >= u->n || unit_at(u, i) != (unsigned char)*lit)
			return false;
	return true;
}

/* Index just past the next occurrence of lit at or after i, or n. */
static size_t skip_past(const struct units *u, size_t i, const char *lit)
{
	for (; i < u->n; i++)
		if (match_at(u, i, lit))
			return i + strlen(lit);
	return u->n;
}

/* Refuses UCS-4 and EBCDIC, which libxml2 would otherwise detect and
 * decode: dpsim, like the OMI server, reads UTF-8 and (with a BOM or the
 * "<?" pattern) UTF-16 only. */
static int detect_units(struct parse *p, const unsigned char *b, size_t len,
			struct units *u)
{
	static const unsigned char refused[][4] = {
		{ 0x00, 0x00, 0x00, 0x3C }, { 0x3C, 0x00, 0x00, 0x00 },
		{ 0x00, 0x00, 0x3C, 0x00 }, { 0x00, 0x3C, 0x00, 0x00 },
		{ 0x4C, 0x6F, 0xA7, 0x94 }, { 0x00, 0x00, 0xFE, 0xFF },
		{ 0xFF, 0xFE, 0x00, 0x00 },
	};
	size_t skip = 0;

	u->s = b;
	u->n = len;
	u->width = 1;
	u->big_endian = false;
	for (size_t i = 0; len >= 4 && i < sizeof(refused) / 4; i++)
		if (memcmp(b, refused[i], 4) == 0)
			return set_fault(p, WSMAN_SUB_ENCODING_LIMIT,
					 WSMAN_CODE_ENCODING_LIMIT,
					 TEXT_ENCODING, "The request is "
					 "encoded in UCS-4 or EBCDIC; dpsim "
					 "reads UTF-8 and UTF-16 only.");
	if (len >= 2 && b[0] == 0xFF && b[1] == 0xFE) {
		u->width = 2;
		skip = 2;
	} else if (len >= 2 && b[0] == 0xFE && b[1] == 0xFF) {
		u->width = 2;
		u->big_endian = true;
		skip = 2;
	} else if (len >= 4 && memcmp(b, "<\0?\0", 4) == 0) {
		u->width = 2;
	} else if (len >= 4 && memcmp(b, "\0<\0?", 4) == 0) {
		u->width = 2;
		u->big_endian = true;
	} else if (len >= 3 && memcmp(b, "\xEF\xBB\xBF", 3) == 0) {
		skip = 3;
	}
	u->s = b + skip;
	u->n = (len - skip) / u->width;
	return 0;
}

/* The encoding named by the XML declaration, "" when there is none. */
static void declared_encoding(const struct units *u, char *out, size_t size)
{
	size_t end, i, k = 0;
	unsigned q;

	out[0] = '\0';
	if (!match_at(u, 0, "<?xml"))
		return;
	end = skip_past(u, 5, "?>");
	for (i = 5; i < end && !match_at(u, i, "encoding"); i++)
		;
	for (i += 8; i < end && is_xml_space((char)unit_at(u, i)); i++)
		;
	if (i >= end || unit_at(u, i) != '=')
		return;
	for (i++; i < end && is_xml_space((char)unit_at(u, i)); i++)
		;
	q = i < end ? unit_at(u, i) : 0;
	if (q != '"' && q != '\'')
		return;
	for (i++; i < end && unit_at(u, i) != q && k + 1 < size; i++)
		out[k++] = unit_at(u, i) < 0x80 ? (char)unit_at(u, i) : '?';
	out[k] = '\0';
}

static int check_encoding(struct parse *p, const struct units *u)
{
	static const char *const ok[] = {
		"UTF-8", "UTF8", "US-ASCII", "ASCII", "UTF-16", "UTF16",
		"UTF-16LE", "UTF-16BE", NULL,
	};
	char enc[40];

	declared_encoding(u, enc, sizeof(enc));
	if (enc[0] == '\0')
		return 0;
	for (const char *const *e = ok; *e != NULL; e++)
		if (strcasecmp(enc, *e) == 0)
			return 0;
	return set_fault(p, WSMAN_SUB_ENCODING_LIMIT,
			 WSMAN_CODE_ENCODING_LIMIT, TEXT_ENCODING,
			 "The request declares a character encoding dpsim "
			 "cannot read (UTF-8 and UTF-16 are supported): %s",
			 enc);
}

/* Scans one tag from just after its '<' to just past its '>', counting
 * the '=' outside quoted values (one per attribute). *last gets the unit
 * before '>' ('/' for an empty element). Returns the index after '>'. */
static size_t scan_tag(const struct units *u, size_t i, unsigned *attrs,
		       unsigned *last)
{
	unsigned quote = 0, prev = 0;

	*attrs = 0;
	if (u->width == 1) {
		/* the common case: whole quoted values (namespace URIs, most
		 * of an envelope's tags) are skipped with memchr */
		for (; i < u->n; i++) {
			unsigned c = u->s[i];
			const unsigned char *q;

			if (c == '>')
				break;
			if (c == '"' || c == '\'') {
				q = memchr(u->s + i + 1, (int)c, u->n - i - 1);
				if (q == NULL)
					return u->n;
				i = (size_t)(q - u->s);
			} else if (c == '=') {
				(*attrs)++;
			}
			prev = c;
		}
	} else {
		for (; i < u->n; i++) {
			unsigned c = unit_at(u, i);

			if (quote != 0) {
				quote = c == quote ? 0 : quote;
				continue;
			}
			if (c == '>')
				break;
			if (c == '"' || c == '\'')
				quote = c;
			else if (c == '=')
				(*attrs)++;
			prev = c;
		}
	}
	*last = prev;
	return i < u->n ? i + 1 : u->n;
}

/* A linear pass over the raw markup before libxml2 sees it, refusing
 * what would make libxml2 itself slow (many attributes on one element)
 * or what the tree walk would refuse anyway after paying for it (depth).
 * For well-formed XML the counts are exact: quotes, comments, CDATA and
 * processing instructions are skipped. Anything malformed is left for
 * libxml2 to reject. */
static int prescan(struct parse *p, const struct units *u, unsigned max_depth)
{
	unsigned depth = 0, attrs, last, next;
	size_t i = 0;

	while (i < u->n) {
		if (u->width == 1) {
			const unsigned char *lt = memchr(u->s + i, '<', u->n - i);

			if (lt == NULL)
				break;
			i = (size_t)(lt - u->s);
		} else if (unit_at(u, i) != '<') {
			i++;
			continue;
		}
		next = i + 1 < u->n ? unit_at(u, i + 1) : 0;
		if (next == '?') {
			i = skip_past(u, i + 2, "?>");
			continue;
		}
		if (next == '!') {
			if (match_at(u, i, "<!--"))
				i = skip_past(u, i + 4, "-->");
			else if (match_at(u, i, "<![CDATA["))
				i = skip_past(u, i + 9, "]]>");
			else	/* DOCTYPE: refused by the parser */
				i = scan_tag(u, i + 1, &attrs, &last);
			continue;
		}
		i = scan_tag(u, i + 1, &attrs, &last);
		if (attrs > MAX_ATTRS)
			return schema_error(p, "An element of the request "
					    "carries more than %u attributes.",
					    MAX_ATTRS);
		if (next == '/') {
			if (depth > 0)
				depth--;
		} else if (last != '/' && ++depth > max_depth) {
			return schema_error(p, "The request nests elements "
					    "deeper than %u levels.",
					    max_depth);
		}
	}
	return 0;
}

/* ---- libxml2 ---------------------------------------------------------- */

/* Called at "<!DOCTYPE", before the internal subset is read: refusing
 * here means no entity is ever declared, let alone expanded. */
static void refuse_subset(void *ctx, const xmlChar *name,
			  const xmlChar *external_id, const xmlChar *system_id)
{
	xmlParserCtxtPtr ctxt = ctx;
	struct parse *p = ctxt->_private;

	p->saw_dtd = true;
	xmlStopParser(ctxt);
}

/* Keeps the first error for the reason: the caller has no other way to
 * learn it (the codec writes nowhere). */
static void record(struct parse *p, const xmlError *err)
{
	if (p == NULL || p->have_err || err == NULL ||
	    err->level < XML_ERR_ERROR)
		return;
	p->have_err = true;
	p->err_code = err->code;
	/* 0 for an error raised without the parser context (an input
	 * conversion failure): libxml2 decodes ahead of the parser, so the
	 * parser's line would not be where the bad bytes are. */
	p->err_line = err->line;
	/* The message may quote input; keep it plain ASCII and one line. */
	xml_catch_message(err, p->err_msg, sizeof(p->err_msg));
	trim(p->err_msg);
}

/* The parser context's own handler: libxml2 passes the context. */
static void record_error(void *ctx, xmlErrorPtr err)
{
	xmlParserCtxtPtr ctxt = ctx;

	record(ctxt->_private, err);
}

/* The thread's handler while libxml2 runs: errors without a context. */
static void record_stray_error(void *data, xmlErrorPtr err)
{
	record(data, err);
}

/* Names a kept context's dictionary may hold before the context is made
 * anew: the names of the requests dpsim reads are a few dozen, but a
 * client may send any. */
#define PARSER_DICT_MAX 4096

struct wsman_parser {
	xmlParserCtxtPtr ctxt;
};

struct wsman_parser *wsman_parser_new(void)
{
	return calloc(1, sizeof(struct wsman_parser));
}

void wsman_parser_free(struct wsman_parser *ps)
{
	if (!ps)
		return;
	xmlFreeParserCtxt(ps->ctxt);
	free(ps);
}

static int read_document(struct wsman_parser *ps, struct parse *p,
			 const char *body, size_t len, xmlDoc **out)
{
	/* No NOENT, DTDLOAD, DTDATTR, XINCLUDE or HUGE: entities stay
	 * unexpanded, nothing is fetched, libxml2's size limits hold.
	 * IGNORE_ENC: the encoding is the one detect_units() saw (the
	 * declaration was checked against it), so libxml2 cannot decode
	 * anything differently from what the pre-scan read. COMPACT:
	 * the tree is only read, never changed. */
	const int opts = XML_PARSE_NONET | XML_PARSE_NOERROR |
			 XML_PARSE_NOWARNING | XML_PARSE_NOCDATA |
			 XML_PARSE_IGNORE_ENC | XML_PARSE_COMPACT;
	struct xml_catch catch;
	xmlParserCtxtPtr ctxt;
	xmlDoc *doc;
	int rc = 0;

	*out = NULL;
	if (ps && ps->ctxt && ps->ctxt->dict &&
	    xmlDictSize(ps->ctxt->dict) > PARSER_DICT_MAX) {
		xmlFreeParserCtxt(ps->ctxt);
		ps->ctxt = NULL;
	}
	ctxt = ps && ps->ctxt ? ps->ctxt : xmlNewParserCtxt();
	if (ctxt == NULL)
		return -ENOMEM;
	if (ps)
		ps->ctxt = ctxt;	/* xmlCtxtReadMemory resets it */
	ctxt->_private = p;
	ctxt->sax->internalSubset = refuse_subset;
	ctxt->sax->serror = record_error;
	xml_catch_begin(&catch, record_stray_error, p);
	doc = xmlCtxtReadMemory(ctxt, body, (int)len, NULL, NULL, opts);
	xml_catch_end(&catch);
	if (p->saw_dtd || (doc != NULL &&
	    (doc->intSubset != NULL || doc->extSubset != NULL))) {
		rc = schema_error(p, "The request contains a document type "
				  "declaration (DTD); DTDs are not accepted.");
	} else if (doc == NULL || !ctxt->wellFormed) {
		int code = p->have_err ? p->err_code : ctxt->errNo;

		if (code == XML_ERR_NO_MEMORY)
			rc = -ENOMEM;
		else if (code == XML_ERR_UNSUPPORTED_ENCODING)
			rc = set_fault(p, WSMAN_SUB_ENCODING_LIMIT,
				       WSMAN_CODE_ENCODING_LIMIT,
				       TEXT_ENCODING, "The request uses a "
				       "character encoding dpsim cannot read "
				       "(UTF-8 and UTF-16 are supported): %s",
				       p->err_msg);
		else if (p->err_line > 0)
			rc = schema_error(p, "The request is not well-formed "
					  "XML at line %d: %s", p->err_line,
					  p->have_err ? p->err_msg :
					  "parse error");
		else
			rc = schema_error(p, "The request is not well-formed "
					  "XML: %s", p->have_err ? p->err_msg :
					  "parse error");
	}
	ctxt->_private = NULL;
	if (!ps)
		xmlFreeParserCtxt(ctxt);
	if (rc < 0) {
		xmlFreeDoc(doc);
		return rc;
	}
	*out = doc;
	return 0;
}

/* Envelope with an optional Header and a Body, nothing else (SOAP 1.2). */
static int find_parts(struct parse *p, xmlNode *root, xmlNode **header,
		      xmlNode **body)
{
	*header = *body = NULL;
	if (is_el(root, WSMAN_NS_SOAP11, "Envelope"))
		return schema_error(p, "The request is a SOAP 1.1 envelope; "
				    "WS-Management uses SOAP 1.2.");
	if (!is_el(root, WSMAN_NS_SOAP, "Envelope"))
		return schema_error(p, "The root element is not a SOAP 1.2 "
				    "Envelope: %s", (const char *)root->name);
	for_each_child_elem(c, root) {
		if (is_el(c, WSMAN_NS_SOAP, "Header") && *header == NULL &&
		    *body == NULL)
			*header = c;
		else if (is_el(c, WSMAN_NS_SOAP, "Body") && *body == NULL)
			*body = c;
		else
			return schema_error(p, "The SOAP envelope holds an "
					    "unexpected or repeated element: "
					    "%s", (const char *)c->name);
	}
	if (*body == NULL)
		return schema_error(p, "The SOAP envelope has no Body.");
	return 0;
}

/* ---- public ----------------------------------------------------------- */

/* WinRM's Identify: no action (or an empty one) and wsmid:Identify. */
static bool is_identify(const struct wsman_request *r, const xmlNode *body)
{
	return (r->action == NULL || r->action[0] == '\0') &&
	       is_el(elem_from(body->children), WSMAN_NS_IDENT, "Identify");
}

static int parse_envelope(struct parse *p, xmlDoc *doc, unsigned max_depth)
{
	xmlNode *root = xmlDocGetRootElement(doc), *header, *body;
	const xmlNode *not_understood = NULL;
	int rc;

	if (root == NULL)
		return schema_error(p, "The request has no root element.");
	if (too_deep(root, max_depth))
		return schema_error(p, "The request nests elements deeper "
				    "than %u levels.", max_depth);
	rc = find_parts(p, root, &header, &body);
	if (rc < 0)
		return rc;
	if (header != NULL) {
		rc = find_message_id(p, header);
		if (rc < 0)
			return rc;
		rc = read_headers(p, header, &not_understood);
		if (rc < 0)
			return rc;
		if (not_understood != NULL)
			return must_understand_fault(p, not_understood);
	}
	if (!is_identify(p->r, body)) {
		rc = check_headers(p);
		if (rc < 0)
			return rc;
	}
	return parse_operation(p, body);
}

int wsman_request_parse(const char *body, size_t len, unsigned max_depth,
			struct wsman_request **out, struct wsman_fault *fault,
			char *reason_buf, size_t reason_size)
{
	return wsman_request_parse_with(NULL, body, len, max_depth, out, fault,
					reason_buf, reason_size);
}

int wsman_request_parse_with(struct wsman_parser *ps, const char *body,
			     size_t len, unsigned max_depth,
			     struct wsman_request **out, struct wsman_fault *fault,
			     char *reason_buf, size_t reason_size)
{
	struct parse p = {
		.fault = fault,
		.reason_buf = reason_buf,
		.reason_size = reason_size,
	};
	struct units units;
	xmlDoc *doc = NULL;
	int rc;

	*out = NULL;
	memset(fault, 0, sizeof(*fault));
	if (reason_buf != NULL && reason_size > 0)
		reason_buf[0] = '\0';
	if (body == NULL || len == 0)
		return schema_error(&p, "The request body is empty.");
	if (len > INT_MAX)
		return set_fault(&p, WSMAN_SUB_ENCODING_LIMIT,
				 WSMAN_CODE_ENCODING_LIMIT, TEXT_ENCODING,
				 "The request body is too large.");
	if (max_depth == 0)
		max_depth = DEFAULT_MAX_DEPTH;

	rc = detect_units(&p, (const unsigned char *)body, len, &units);
	if (rc == 0)
		rc = check_encoding(&p, &units);
	if (rc == 0)
		rc = prescan(&p, &units, max_depth);
	if (rc == 0)
		rc = read_document(ps, &p, body, len, &doc);
	if (rc < 0)
		return rc;
	p.r = calloc(1, sizeof(*p.r));
	if (p.r == NULL) {
		xmlFreeDoc(doc);
		return -ENOMEM;
	}
	rc = parse_envelope(&p, doc, max_depth);
	xmlFreeDoc(doc);
	if (rc == 0 || (rc == -EINVAL && p.r->message_id != NULL))
		*out = p.r;
	else
		wsman_request_free(p.r);
	return rc;
}

static void free_kvs(struct wsman_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].name);
		free(kv[i].value);
	}
	free(kv);
}

void wsman_request_free(struct wsman_request *r)
{
	if (r == NULL)
		return;
	free(r->action);
	free(r->message_id);
	free(r->resource_uri);
	free_kvs(r->selectors, r->nselectors);
	free(r->fragment);
	free(r->fragment_dialect);
	free(r->filter_dialect);
	free(r->filter_text);
	free_kvs(r->filter_selectors, r->nfilter_selectors);
	free(r->context);
	free(r->method);
	free_kvs(r->params, r->nparams);
	free(r);
}

const char *wsman_request_selector(const struct wsman_request *r,
				   const char *name)
{
	for (size_t i = 0; i < r->nselectors; i++)
		if (strcasecmp(r->selectors[i].name, name) == 0)
			return r->selectors[i].value;
	return NULL;
}
