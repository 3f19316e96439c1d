/* response: WS-Management response envelopes parsed for the client side
 * (see response.h). */
#include "response.h"
#include "xmlcatch.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "vocab.h"

struct wsman_response {
	enum wsman_response_kind kind;
	const char *action;
	const char *message_id;
	const char *relates_to;

	bool has_fault;
	struct wsman_fault fault;
	struct wsman_fault_ext ext;
	struct wsman_sms_status sms;

	bool has_identity;
	struct wsman_identity identity;

	struct wsman_object *objs;
	size_t nobjs, objs_cap;

	bool has_output;
	struct wsman_object output;
	const char *method;

	const char *context;
	bool eos;

	/* Every string the accessors hand out, freed together. */
	char **strs;
	size_t nstrs, strs_cap;
	bool oom;
};

/* ---- storage ---------------------------------------------------------- */

/* Takes ownership of s (malloc'd) and returns it, or NULL (and frees s)
 * when it cannot be tracked. NULL in gives NULL out. */
static const char *keep(struct wsman_response *r, char *s)
{
	if (!s)
		return NULL;
	if (r->nstrs == r->strs_cap) {
		size_t cap = r->strs_cap ? r->strs_cap * 2 : 32;
		char **p = realloc(r->strs, cap * sizeof(*p));

		if (!p) {
			free(s);
			r->oom = true;
			return NULL;
		}
		r->strs = p;
		r->strs_cap = cap;
	}
	r->strs[r->nstrs++] = s;
	return s;
}

static const char *keep_dup(struct wsman_response *r, const char *s)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d) {
		r->oom = true;
		return NULL;
	}
	return keep(r, d);
}

static void object_release(struct wsman_object *o)
{
	for (size_t i = 0; i < o->nprops; i++)
		free((void *)o->props[i].values);
	free((void *)o->props);
	o->props = NULL;
	o->nprops = 0;
}

void wsman_response_free(struct wsman_response *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nobjs; i++)
		object_release(&r->objs[i]);
	free(r->objs);
	if (r->has_output)
		object_release(&r->output);
	for (size_t i = 0; i < r->nstrs; i++)
		free(r->strs[i]);
	free(r->strs);
	free(r);
}

/* ---- tree helpers ----------------------------------------------------- */

static bool is_el(const xmlNode *n, const char *ns, const char *local)
{
	return n && n->type == XML_ELEMENT_NODE && n->ns && n->ns->href &&
	       strcmp((const char *)n->ns->href, ns) == 0 &&
	       strcmp((const char *)n->name, local) == 0;
}

static bool has_local(const xmlNode *n, const char *local)
{
	return n && n->type == XML_ELEMENT_NODE &&
	       strcmp((const char *)n->name, local) == 0;
}

static xmlNode *first_el(xmlNode *n)
{
	for (n = n ? n->children : NULL; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

static xmlNode *next_el(xmlNode *n)
{
	for (n = n->next; n; n = n->next)
		if (n->type == XML_ELEMENT_NODE)
			return n;
	return NULL;
}

static xmlNode *child(xmlNode *parent, const char *ns, const char *local)
{
	for (xmlNode *c = first_el(parent); c; c = next_el(c))
		if (is_el(c, ns, local))
			return c;
	return NULL;
}

/* Child with the given local name in any namespace: for fields whose
 * namespace is the instance's own class URI. */
static xmlNode *child_local(xmlNode *parent, const char *local)
{
	for (xmlNode *c = first_el(parent); c; c = next_el(c))
		if (has_local(c, local))
			return c;
	return NULL;
}

static bool blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void trim_in_place(char *s)
{
	size_t n = strlen(s), i = 0;

	while (n && blank((unsigned char)s[n - 1]))
		n--;
	while (i < n && blank((unsigned char)s[i]))
		i++;
	memmove(s, s + i, n - i);
	s[n - i] = '\0';
}

/* Text content of n (all descendant text), copied into r. */
static const char *text_of(struct wsman_response *r, xmlNode *n, bool trim)
{
	xmlChar *x;
	char *s;

	if (!n)
		return NULL;
	x = xmlNodeGetContent(n);
	s = strdup(x ? (const char *)x : "");
	xmlFree(x);
	if (!s) {
		r->oom = true;
		return NULL;
	}
	if (trim)
		trim_in_place(s);
	return keep(r, s);
}

/* Only the text nodes directly under n: an f:Message mixes its own text
 * with nested ProviderFault elements. */
static const char *own_text(struct wsman_response *r, xmlNode *n)
{
	size_t len = 0, at = 0;
	char *s;

	for (xmlNode *c = n->children; c; c = c->next)
		if ((c->type == XML_TEXT_NODE ||
		     c->type == XML_CDATA_SECTION_NODE) && c->content)
			len += strlen((const char *)c->content);
	s = malloc(len + 1);
	if (!s) {
		r->oom = true;
		return NULL;
	}
	for (xmlNode *c = n->children; c; c = c->next) {
		size_t k;

		if ((c->type != XML_TEXT_NODE &&
		     c->type != XML_CDATA_SECTION_NODE) || !c->content)
			continue;
		k = strlen((const char *)c->content);
		memcpy(s + at, c->content, k);
		at += k;
	}
	s[at] = '\0';
	trim_in_place(s);
	return keep(r, s);
}

static const char *attr(struct wsman_response *r, xmlNode *n,
			const char *ns, const char *name)
{
	xmlChar *x = ns ? xmlGetNsProp(n, (const xmlChar *)name,
				       (const xmlChar *)ns)
			: xmlGetNoNsProp(n, (const xmlChar *)name);
	const char *s;

	if (!x)
		return NULL;
	s = keep_dup(r, (const char *)x);
	xmlFree(x);
	return s;
}

static bool is_nil(xmlNode *n)
{
	xmlChar *x = xmlGetNsProp(n, (const xmlChar *)"nil",
				  (const xmlChar *)WSMAN_NS_XSI);
	bool nil = x && (strcmp((const char *)x, "true") == 0 ||
			 strcmp((const char *)x, "1") == 0);

	xmlFree(x);
	return nil;
}

/* Strict decimal uint32 (as WSManFault@Code and error_Code are written);
 * a leading '-' is taken as a sint32 and returned as its bit pattern. */
static bool parse_u32(const char *s, uint32_t *out)
{
	bool neg = false;
	unsigned long long v = 0;

	if (!s)
		return false;
	while (blank((unsigned char)*s))
		s++;
	if (*s == '-') {
		neg = true;
		s++;
	} else if (*s == '+') {
		s++;
	}
	if (*s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		v = v * 10 + (unsigned)(*s - '0');
		if (v > 0xffffffffull)
			return false;
	}
	while (blank((unsigned char)*s))
		s++;
	if (*s)
		return false;
	if (neg) {
		if (v > 0x80000000ull)
			return false;
		*out = (uint32_t)(-(long long)v);
	} else {
		*out = (uint32_t)v;
	}
	return true;
}

/* Resolves the QName text of an s:Value in the scope of that element. */
static void resolve_qname(struct wsman_response *r, xmlNode *value,
			  const char **qname, const char **ns,
			  const char **local)
{
	const char *q = text_of(r, value, true);
	const char *colon;
	xmlNs *xns;
	char *prefix;

	*qname = q;
	*ns = NULL;
	*local = NULL;
	if (!q)
		return;
	colon = strchr(q, ':');
	if (!colon) {
		xns = xmlSearchNs(value->doc, value, NULL);
		*local = q;
	} else {
		prefix = strndup(q, (size_t)(colon - q));
		if (!prefix) {
			r->oom = true;
			return;
		}
		xns = xmlSearchNs(value->doc, value, (const xmlChar *)prefix);
		free(prefix);
		*local = colon + 1;
	}
	if (xns && xns->href)
		*ns = keep_dup(r, (const char *)xns->href);
}

/* ---- instances -------------------------------------------------------- */

/* Arrays grow by doubling without a stored capacity: the capacity is
 * the next power of two at or above the count. */
static bool needs_growth(size_t n)
{
	return n == 0 || (n & (n - 1)) == 0;
}

static int prop_add_value(struct wsman_prop *p, const char *v)
{
	if (needs_growth(p->nvalues)) {
		size_t cap = p->nvalues ? p->nvalues * 2 : 1;
		const char **vals = realloc((void *)p->values,
					    cap * sizeof(*vals));

		if (!vals)
			return -ENOMEM;
		p->values = vals;
	}
	p->values[p->nvalues++] = v;
	return 0;
}

/* Appends a value (or a nil) to property name of o. WS-Man writes an
 * array as consecutive elements of one name, so only the last property
 * is a candidate: that keeps a hostile instance with many properties
 * linear. */
static void object_put(struct wsman_response *r, struct wsman_object *o,
		       const char *name, const char *value, bool nil)
{
	struct wsman_prop *p = NULL, *props;

	if (!name || (!nil && !value)) {
		r->oom = true;
		return;
	}
	if (o->nprops && strcmp(o->props[o->nprops - 1].name, name) == 0)
		p = (struct wsman_prop *)&o->props[o->nprops - 1];
	if (!p) {
		if (needs_growth(o->nprops)) {
			size_t cap = o->nprops ? o->nprops * 2 : 1;

			props = realloc((void *)o->props,
					cap * sizeof(*props));
			if (!props) {
				r->oom = true;
				return;
			}
			o->props = props;
		}
		p = (struct wsman_prop *)&o->props[o->nprops++];
		memset(p, 0, sizeof(*p));
		p->name = name;
		p->nil = nil;
	}
	if (nil)
		return;
	p->nil = false;
	if (prop_add_value(p, value) < 0)
		r->oom = true;
}

/* The text of one property element. Datetimes and intervals come wrapped
 * in cim:Datetime / cim:Interval; references and embedded instances have
 * element content too, and keep their trimmed text. */
static const char *prop_value(struct wsman_response *r, xmlNode *el)
{
	xmlNode *c = first_el(el);

	if (!c)
		return text_of(r, el, false);
	if (has_local(c, "Datetime") || has_local(c, "Interval") ||
	    has_local(c, "Date") || has_local(c, "Time"))
		return text_of(r, c, true);
	return text_of(r, el, true);
}

static void parse_object(struct wsman_response *r, xmlNode *el,
			 struct wsman_object *o)
{
	memset(o, 0, sizeof(*o));
	o->class_name = keep_dup(r, (const char *)el->name);
	o->class_uri = keep_dup(r, el->ns && el->ns->href ?
				   (const char *)el->ns->href : "");
	for (xmlNode *c = first_el(el); c; c = next_el(c)) {
		const char *name = keep_dup(r, (const char *)c->name);

		if (is_nil(c))
			object_put(r, o, name, NULL, true);
		else
			object_put(r, o, name, prop_value(r, c), false);
	}
}

/* An EPR item: the class is the ResourceURI's last segment, the
 * properties are the selectors. */
static void parse_epr(struct wsman_response *r, xmlNode *epr,
		      struct wsman_object *o)
{
	xmlNode *refp = child(epr, WSMAN_NS_ADDR, "ReferenceParameters");
	xmlNode *set;
	const char *uri, *slash;

	memset(o, 0, sizeof(*o));
	o->epr = true;
	if (!refp)
		refp = child(epr, WSMAN_NS_ADDR, "ReferenceProperties");
	uri = text_of(r, child(refp, WSMAN_NS_WSMAN, "ResourceURI"), true);
	o->class_uri = uri ? uri : keep_dup(r, "");
	slash = uri ? strrchr(uri, '/') : NULL;
	o->class_name = keep_dup(r, slash ? slash + 1 : (uri ? uri : ""));
	set = child(refp, WSMAN_NS_WSMAN, "SelectorSet");
	for (xmlNode *s = first_el(set); s; s = next_el(s)) {
		const char *name;

		if (!is_el(s, WSMAN_NS_WSMAN, "Selector"))
			continue;
		name = attr(r, s, NULL, "Name");
		if (name)
			object_put(r, o, name, text_of(r, s, true), false);
	}
}

static struct wsman_object *new_object(struct wsman_response *r)
{
	struct wsman_object *p;

	if (r->nobjs == r->objs_cap) {
		size_t cap = r->objs_cap ? r->objs_cap * 2 : 8;

		p = realloc(r->objs, cap * sizeof(*p));
		if (!p) {
			r->oom = true;
			return NULL;
		}
		r->objs = p;
		r->objs_cap = cap;
	}
	p = &r->objs[r->nobjs++];
	memset(p, 0, sizeof(*p));
	return p;
}

/* One member of w:Items / n:Items: an instance, an EPR, or a w:Item
 * holding both (EnumerateObjectAndEPR), where the instance wins. */
static void parse_item(struct wsman_response *r, xmlNode *it)
{
	struct wsman_object *o;
	xmlNode *inst = NULL, *epr = NULL;

	if (is_el(it, WSMAN_NS_WSMAN, "Item")) {
		for (xmlNode *c = first_el(it); c; c = next_el(c)) {
			if (is_el(c, WSMAN_NS_ADDR, "EndpointReference"))
				epr = epr ? epr : c;
			else
				inst = inst ? inst : c;
		}
	} else if (is_el(it, WSMAN_NS_ADDR, "EndpointReference")) {
		epr = it;
	} else {
		inst = it;
	}
	if (!inst && !epr)
		return;
	o = new_object(r);
	if (!o)
		return;
	if (inst)
		parse_object(r, inst, o);
	else
		parse_epr(r, epr, o);
}

/* ---- bodies ----------------------------------------------------------- */

static void parse_enumeration(struct wsman_response *r, xmlNode *resp)
{
	const char *ctx = NULL;

	for (xmlNode *c = first_el(resp); c; c = next_el(c)) {
		/* Items and EndOfSequence belong to w: in an EnumerateResponse
		 * and to n: in a PullResponse; servers have been seen to mix
		 * them up, and either is unambiguous. */
		if (is_el(c, WSMAN_NS_ENUM, "EnumerationContext")) {
			ctx = text_of(r, c, true);
		} else if (is_el(c, WSMAN_NS_WSMAN, "Items") ||
			   is_el(c, WSMAN_NS_ENUM, "Items")) {
			for (xmlNode *it = first_el(c); it; it = next_el(it))
				parse_item(r, it);
		} else if (is_el(c, WSMAN_NS_WSMAN, "EndOfSequence") ||
			   is_el(c, WSMAN_NS_ENUM, "EndOfSequence")) {
			r->eos = true;
		}
	}
	r->context = (ctx && *ctx && !r->eos) ? ctx : NULL;
}

static void parse_identify(struct wsman_response *r, xmlNode *resp)
{
	r->has_identity = true;
	r->identity.protocol_version =
		text_of(r, child_local(resp, "ProtocolVersion"), true);
	r->identity.product_vendor =
		text_of(r, child_local(resp, "ProductVendor"), true);
	r->identity.product_version =
		text_of(r, child_local(resp, "ProductVersion"), true);
}

static void parse_output(struct wsman_response *r, xmlNode *out)
{
	const char *name = (const char *)out->name;
	size_t n = strlen(name) - strlen("_OUTPUT");
	char *m = strndup(name, n);

	if (!m)
		r->oom = true;
	r->method = keep(r, m);
	parse_object(r, out, &r->output);
	r->has_output = true;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* ---- faults ----------------------------------------------------------- */

struct subcode_name {
	const char *ns;
	const char *local;
	enum wsman_subcode sub;
};

static const struct subcode_name subcode_names[] = {
	{ WSMAN_NS_WSMAN, "InternalError", WSMAN_SUB_INTERNAL_ERROR },
	{ WSMAN_NS_WSMAN, "AccessDenied", WSMAN_SUB_ACCESS_DENIED },
	{ WSMAN_NS_WSMAN, "InvalidSelectors", WSMAN_SUB_INVALID_SELECTORS },
	{ WSMAN_NS_ADDR, "DestinationUnreachable",
	  WSMAN_SUB_DESTINATION_UNREACHABLE },
	{ WSMAN_NS_ADDR, "ActionNotSupported", WSMAN_SUB_ACTION_NOT_SUPPORTED },
	{ WSMAN_NS_WSMAN, "SchemaValidationError", WSMAN_SUB_SCHEMA_VALIDATION },
	{ WSMAN_NS_ENUM, "InvalidEnumerationContext",
	  WSMAN_SUB_INVALID_ENUM_CONTEXT },
	{ WSMAN_NS_ENUM, "CannotProcessFilter", WSMAN_SUB_CANNOT_PROCESS_FILTER },
	{ WSMAN_NS_ENUM, "FilterDialectRequestedUnavailable",
	  WSMAN_SUB_FILTER_DIALECT_UNAVAILABLE },
	{ WSMAN_NS_WSMAN, "TimedOut", WSMAN_SUB_TIMED_OUT },
	{ WSMAN_NS_WSMAN, "EncodingLimit", WSMAN_SUB_ENCODING_LIMIT },
	{ WSMAN_NS_WSMAN, "InvalidParameter", WSMAN_SUB_INVALID_PARAMETER },
	{ WSMAN_NS_WSMAN, "UnsupportedFeature", WSMAN_SUB_UNSUPPORTED_FEATURE },
	{ WSMAN_NS_ADDR, "InvalidMessageInformationHeader",
	  WSMAN_SUB_INVALID_HEADER },
	{ WSMAN_NS_ADDR, "MessageInformationHeaderRequired",
	  WSMAN_SUB_HEADER_REQUIRED },
	{ WSMAN_NS_WSMAN, "CannotProcessFilter", WSMAN_SUB_FRAGMENT_FILTER },
	{ WSMAN_NS_WSMAN, "FragmentDialectNotSupported",
	  WSMAN_SUB_FRAGMENT_DIALECT },
};

static enum wsman_subcode subcode_lookup(const char *ns, const char *local)
{
	if (!ns || !local)
		return WSMAN_SUB_UNKNOWN;
	for (size_t i = 0;
	     i < sizeof(subcode_names) / sizeof(subcode_names[0]); i++)
		if (strcmp(subcode_names[i].ns, ns) == 0 &&
		    strcmp(subcode_names[i].local, local) == 0)
			return subcode_names[i].sub;
	return WSMAN_SUB_UNKNOWN;
}

static bool is_cim_error(xmlNode *n)
{
	xmlChar *x;
	bool yes;

	if (has_local(n, "MSFT_WmiError"))
		return true;
	x = xmlGetNsProp(n, (const xmlChar *)"IsCIM_Error",
			 (const xmlChar *)WSMAN_NS_CIMBIND);
	yes = x && strcasecmp((const char *)x, "true") == 0;
	xmlFree(x);
	return yes;
}

/* Text of field local of an error instance, trimmed (WinRM ends its
 * messages with ". "), NULL when absent or nil. */
static const char *field(struct wsman_response *r, xmlNode *n,
			 const char *local)
{
	xmlNode *c = child_local(n, local);

	if (!c || is_nil(c))
		return NULL;
	return text_of(r, c, true);
}

static void parse_cim_error(struct wsman_response *r, xmlNode *n)
{
	struct wsman_fault_ext *e = &r->ext;
	uint32_t v;

	if (e->has_wmi_error)
		return;
	e->has_wmi_error = true;
	if (parse_u32(field(r, n, "error_Code"), &v)) {
		e->has_error_code = true;
		e->error_code = v;
	}
	if (parse_u32(field(r, n, "CIMStatusCode"), &v) && v <= 0xffff) {
		e->has_cim_status = true;
		e->cim_status = (uint16_t)v;
	}
	e->wmi_message = field(r, n, "Message");
	e->wmi_message_id = field(r, n, "MessageID");
	e->error_type = field(r, n, "error_Type");
	e->windows_error_message = field(r, n, "error_WindowsErrorMessage");
}

/* SMS_ExtendedStatus is what the SMS Provider raises; plain
 * __ExtendedStatus (WMI's own) is taken only when no SMS one is there. */
static void parse_ext_status(struct wsman_response *r, xmlNode *n)
{
	struct wsman_fault_ext *e = &r->ext;
	bool sms = has_local(n, "SMS_ExtendedStatus");
	uint32_t v;

	if (e->has_sms && !sms)
		return;
	if (e->has_sms && strcmp(e->sms_class, "SMS_ExtendedStatus") == 0)
		return;
	memset(&r->sms, 0, sizeof(r->sms));
	e->has_sms = true;
	e->sms_class = keep_dup(r, (const char *)n->name);
	r->sms.description = field(r, n, "Description");
	if (parse_u32(field(r, n, "ErrorCode"), &v))
		r->sms.error_code = v;
	r->sms.operation = field(r, n, "Operation");
	r->sms.parameter_info = field(r, n, "ParameterInfo");
	r->sms.provider_name = field(r, n, "ProviderName");
	e->has_status_code = parse_u32(field(r, n, "StatusCode"), &v);
	e->status_code = e->has_status_code ? v : 0;
}

static void parse_wsman_fault_el(struct wsman_response *r, xmlNode *n)
{
	struct wsman_fault_ext *e = &r->ext;
	uint32_t v;

	/* The outermost one is the fault's own code; nested ones (inside a
	 * ProviderFault) repeat it or carry the provider's. */
	if (e->has_wsman_code || e->machine)
		return;
	if (parse_u32(attr(r, n, NULL, "Code"), &v)) {
		e->has_wsman_code = true;
		e->wsman_code = v;
	}
	e->machine = attr(r, n, NULL, "Machine");
}

/* Walks s:Detail, pre-order, so the innermost f:Message is seen last. */
static void walk_detail(struct wsman_response *r, xmlNode *n)
{
	struct wsman_fault_ext *e = &r->ext;

	for (xmlNode *c = first_el(n); c; c = next_el(c)) {
		if (is_el(c, WSMAN_NS_WSMAN, "FaultDetail")) {
			if (!e->detail_uri)
				e->detail_uri = text_of(r, c, true);
		} else if (is_cim_error(c)) {
			parse_cim_error(r, c);
			continue;
		} else if (has_local(c, "SMS_ExtendedStatus") ||
			   has_local(c, "__ExtendedStatus")) {
			parse_ext_status(r, c);
			continue;
		} else if (is_el(c, WSMAN_NS_WSMANFAULT, "WSManFault")) {
			parse_wsman_fault_el(r, c);
		} else if (is_el(c, WSMAN_NS_WSMANFAULT, "Message")) {
			const char *t = own_text(r, c);

			if (t && *t)
				e->wsman_message = t;
		} else if (is_el(c, WSMAN_NS_WSMANFAULT, "ProviderFault")) {
			if (!e->provider)
				e->provider = attr(r, c, NULL, "provider");
		}
		walk_detail(r, c);
	}
}

static void parse_fault(struct wsman_response *r, xmlNode *fault,
			xmlNode *header)
{
	struct wsman_fault *f = &r->fault;
	struct wsman_fault_ext *e = &r->ext;
	xmlNode *code = child(fault, WSMAN_NS_SOAP, "Code");
	xmlNode *sub = child(code, WSMAN_NS_SOAP, "Subcode");
	xmlNode *reason = child(fault, WSMAN_NS_SOAP, "Reason");
	xmlNode *detail = child(fault, WSMAN_NS_SOAP, "Detail");
	xmlNode *nu = child(header, WSMAN_NS_SOAP, "NotUnderstood");
	const char *q, *ns, *local;

	r->has_fault = true;
	resolve_qname(r, child(code, WSMAN_NS_SOAP, "Value"), &q, &ns, &local);
	e->code_local = local;
	if (sub) {
		resolve_qname(r, child(sub, WSMAN_NS_SOAP, "Value"), &e->subcode_qname,
			      &e->subcode_ns, &e->subcode_local);
		f->subcode = subcode_lookup(e->subcode_ns, e->subcode_local);
	} else if (ns && local && strcmp(ns, WSMAN_NS_SOAP) == 0 &&
		   strcmp(local, "MustUnderstand") == 0) {
		f->subcode = WSMAN_SUB_MUST_UNDERSTAND;
	} else {
		f->subcode = WSMAN_SUB_NONE;
	}
	f->reason = text_of(r, child(reason, WSMAN_NS_SOAP, "Text"), true);
	if (!f->reason)
		f->reason = keep_dup(r, "");
	if (nu)
		f->not_understood = attr(r, nu, NULL, "qname");
	if (detail)
		walk_detail(r, detail);
	if (e->detail_uri) {
		size_t n = strlen(WSMAN_FAULT_DETAIL_PREFIX);

		f->detail = strncmp(e->detail_uri, WSMAN_FAULT_DETAIL_PREFIX, n) == 0
			? e->detail_uri + n : e->detail_uri;
	}
	if (e->has_error_code)
		f->code = e->error_code;
	else if (e->has_wsman_code)
		f->code = e->wsman_code;
	f->wmi_error = e->has_wmi_error;
	f->cim_status = e->has_cim_status ? e->cim_status : 0;
	f->sms = e->has_sms ? &r->sms : NULL;
}

/* ---- envelope --------------------------------------------------------- */

static void set_err(char *err, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	if (!err || !size)
		return;
	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
}

/* Deepest element nesting, iteratively so hostile input cannot use our
 * stack; stops counting once past limit. */
static unsigned tree_depth(xmlNode *root, unsigned limit)
{
	unsigned depth = 1, max = 1;
	xmlNode *n = root;

	while (n) {
		xmlNode *c = first_el(n);

		if (c && depth <= limit) {
			n = c;
			if (++depth > max)
				max = depth;
			continue;
		}
		while (n && n != root && !next_el(n)) {
			n = n->parent;
			depth--;
		}
		if (!n || n == root)
			break;
		n = next_el(n);
	}
	return max;
}

static void parse_header(struct wsman_response *r, xmlNode *header)
{
	r->action = text_of(r, child(header, WSMAN_NS_ADDR, "Action"), true);
	r->message_id = text_of(r, child(header, WSMAN_NS_ADDR, "MessageID"), true);
	r->relates_to = text_of(r, child(header, WSMAN_NS_ADDR, "RelatesTo"), true);
}

static void parse_body(struct wsman_response *r, xmlNode *body,
		       xmlNode *header)
{
	xmlNode *b = first_el(body);

	if (!b) {
		r->kind = r->action && ends_with(r->action, "/ReleaseResponse")
			? WSMAN_RESP_RELEASE : WSMAN_RESP_UNKNOWN;
	} else if (is_el(b, WSMAN_NS_SOAP, "Fault")) {
		r->kind = WSMAN_RESP_FAULT;
		parse_fault(r, b, header);
	} else if (has_local(b, "IdentifyResponse")) {
		/* OMI puts it in the SOAP namespace; the name is enough. */
		r->kind = WSMAN_RESP_IDENTIFY;
		parse_identify(r, b);
	} else if (is_el(b, WSMAN_NS_ENUM, "EnumerateResponse")) {
		r->kind = WSMAN_RESP_ENUMERATE;
		parse_enumeration(r, b);
	} else if (is_el(b, WSMAN_NS_ENUM, "PullResponse")) {
		r->kind = WSMAN_RESP_PULL;
		parse_enumeration(r, b);
	} else if (is_el(b, WSMAN_NS_ENUM, "ReleaseResponse")) {
		r->kind = WSMAN_RESP_RELEASE;
	} else if (ends_with((const char *)b->name, "_OUTPUT") &&
		   strlen((const char *)b->name) > strlen("_OUTPUT")) {
		r->kind = WSMAN_RESP_INVOKE;
		parse_output(r, b);
	} else {
		struct wsman_object *o = new_object(r);

		r->kind = WSMAN_RESP_GET;
		if (o)
			parse_object(r, b, o);
	}
}

static int parse_doc(struct wsman_response *r, xmlDoc *doc,
		     unsigned max_depth, char *err, size_t err_size)
{
	xmlNode *root = xmlDocGetRootElement(doc);
	xmlNode *header, *body;

	/* Without this an internal subset could define entities (billion
	 * laughs) or pull in external ones. */
	if (doc->intSubset || doc->extSubset) {
		set_err(err, err_size, "document type declarations refused");
		return -EINVAL;
	}
	if (!is_el(root, WSMAN_NS_SOAP, "Envelope")) {
		set_err(err, err_size, "not a SOAP 1.2 envelope");
		return -EINVAL;
	}
	if (tree_depth(root, max_depth) > max_depth) {
		set_err(err, err_size, "elements nested deeper than %u",
			max_depth);
		return -EINVAL;
	}
	header = child(root, WSMAN_NS_SOAP, "Header");
	body = child(root, WSMAN_NS_SOAP, "Body");
	if (!body) {
		set_err(err, err_size, "SOAP envelope without a Body");
		return -EINVAL;
	}
	parse_header(r, header);
	parse_body(r, body, header);
	if (r->oom) {
		set_err(err, err_size, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* The first error libxml2 raises during one parse. */
struct first_error {
	char msg[160];
};

static void keep_first_error(void *data, xmlErrorPtr e)
{
	struct first_error *f = data;

	if (f->msg[0] == '\0' && e != NULL && e->level >= XML_ERR_ERROR)
		xml_catch_message(e, f->msg, sizeof(f->msg));
}

int wsman_response_parse(const char *body, size_t len, unsigned max_depth,
			 struct wsman_response **out, char *err,
			 size_t err_size)
{
	/* NONET: no network. No NOENT / DTDLOAD / DTDATTR: entities stay
	 * unexpanded and no external subset is read. */
	const int opts = XML_PARSE_NONET | XML_PARSE_NOERROR |
			 XML_PARSE_NOWARNING | XML_PARSE_NOCDATA;
	struct wsman_response *r;
	struct first_error first;
	struct xml_catch catch;
	xmlParserCtxt *ctxt;
	xmlDoc *doc;
	int ret;

	*out = NULL;
	set_err(err, err_size, "%s", "");
	if (len > INT_MAX) {
		set_err(err, err_size, "response too large");
		return -E2BIG;
	}
	if (!max_depth)
		max_depth = 64;
	r = calloc(1, sizeof(*r));
	ctxt = r ? xmlNewParserCtxt() : NULL;
	if (!ctxt) {
		free(r);
		set_err(err, err_size, "out of memory");
		return -ENOMEM;
	}
	first.msg[0] = '\0';
	xml_catch_begin(&catch, keep_first_error, &first);
	doc = xmlCtxtReadMemory(ctxt, body, (int)len, NULL, NULL, opts);
	xml_catch_end(&catch);
	if (!doc || !ctxt->wellFormed) {
		const xmlError *xe = xmlCtxtGetLastError(ctxt);
		char msg[160];

		/* The first error is the cause (an input conversion failure
		 * is followed by "Premature end of data"); libxml2's text may
		 * span lines and quote raw bytes, the error is promised as one
		 * printable line. */
		if (first.msg[0])
			snprintf(msg, sizeof(msg), "%s", first.msg);
		else
			xml_catch_message(xe && xe->message ? xe : NULL, msg,
					  sizeof(msg));
		if (!strcmp(msg, "unknown error"))
			snprintf(msg, sizeof(msg), "unreadable");
		trim_in_place(msg);
		set_err(err, err_size, "not well-formed XML: %s", msg);
		ret = -EINVAL;
	} else {
		ret = parse_doc(r, doc, max_depth, err, err_size);
	}
	xmlFreeDoc(doc);
	xmlFreeParserCtxt(ctxt);
	if (ret < 0) {
		wsman_response_free(r);
		return ret;
	}
	*out = r;
	return 0;
}

/* ---- accessors -------------------------------------------------------- */

enum wsman_response_kind wsman_response_kind(const struct wsman_response *r)
{
	return r->kind;
}

const char *wsman_response_action(const struct wsman_response *r)
{
	return r->action;
}

const char *wsman_response_message_id(const struct wsman_response *r)
{
	return r->message_id;
}

const char *wsman_response_relates_to(const struct wsman_response *r)
{
	return r->relates_to;
}

const struct wsman_fault *wsman_response_fault(const struct wsman_response *r)
{
	return r->has_fault ? &r->fault : NULL;
}

const struct wsman_fault_ext *
wsman_response_fault_ext(const struct wsman_response *r)
{
	return r->has_fault ? &r->ext : NULL;
}

const struct wsman_identity *
wsman_response_identity(const struct wsman_response *r)
{
	return r->has_identity ? &r->identity : NULL;
}

size_t wsman_response_object_count(const struct wsman_response *r)
{
	return r->nobjs;
}

const struct wsman_object *wsman_response_object(const struct wsman_response *r,
						 size_t i)
{
	return i < r->nobjs ? &r->objs[i] : NULL;
}

const char *wsman_response_context(const struct wsman_response *r)
{
	return r->context;
}

bool wsman_response_end_of_sequence(const struct wsman_response *r)
{
	return r->eos;
}

const char *wsman_response_method(const struct wsman_response *r)
{
	return r->method;
}

const struct wsman_object *wsman_response_output(const struct wsman_response *r)
{
	return r->has_output ? &r->output : NULL;
}

bool wsman_response_return_value(const struct wsman_response *r,
				 uint32_t *out)
{
	const char *v;

	if (!r->has_output)
		return false;
	v = wsman_object_text(&r->output, "ReturnValue");
	return parse_u32(v, out);
}

const struct wsman_prop *wsman_object_prop(const struct wsman_object *o,
					   const char *name)
{
	for (size_t i = 0; i < o->nprops; i++)
		if (strcasecmp(o->props[i].name, name) == 0)
			return &o->props[i];
	return NULL;
}

const char *wsman_object_text(const struct wsman_object *o, const char *name)
{
	const struct wsman_prop *p = wsman_object_prop(o, name);

	if (!p || p->nil || !p->nvalues)
		return NULL;
	return p->values[0];
}
