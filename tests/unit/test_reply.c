/* Tests for wsman/reply.c. Every envelope written is parsed back with
 * libxml2 and checked by namespace URI and local name, the way clients
 * read it, never by comparing text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "reply.h"
#include "request.h"

#define NS_SOAP		"http://www.w3.org/2003/05/soap-envelope"
#define NS_ADDR		"http://schemas.xmlsoap.org/ws/2004/08/addressing"
#define NS_WSMAN	"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd"
#define NS_ENUM		"http://schemas.xmlsoap.org/ws/2004/09/enumeration"
#define NS_MSWSMAN	"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd"
#define NS_CIMBIND	"http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd"
#define NS_IDENT \
	"http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd"
#define NS_CIM		"http://schemas.dmtf.org/wbem/wscim/1/common"
#define NS_XSI		"http://www.w3.org/2001/XMLSchema-instance"
#define NS_WSMANFAULT	"http://schemas.microsoft.com/wbem/wsman/1/wsmanfault"
#define NS_WMIERROR \
	"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/MSFT_WmiError"
#define NS_SMSEXT \
	"http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/" \
	"SMS_ExtendedStatus"
#define ANONYMOUS \
	"http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"

#define CLASS_URI \
	"http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_PS1/" \
	"SMS_DistributionPointInfo"
#define NALPATH \
	"[\"Display=\\\\dp01.contoso.com\\\"]MSWNET:[\"SMS_SITE=PS1\"]" \
	"\\\\dp01.contoso.com\\"
#define MSGID "uuid:AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE"
#define REQID "uuid:d7410c22-949e-40b3-b952-de90c8887c16"
#define HOSTILE "a<b&c\"d'e>"

/* ---- fixture: a class and an instance ---------------------------------- */

struct world {
	struct cim_class *cls;
	struct cim_instance *inst;
	struct buf b;
	xmlDoc *doc;
};

enum { P_NALPATH, P_SITECODE, P_NAME, P_DESC, P_IPS, P_UPDATED, P_MODE,
       P_EMPTY, P_UPTIME };

static int setup(void **state)
{
	struct world *w = calloc(1, sizeof(*w));

	assert_non_null(w);
	w->cls = cim_class_new("root/sms/site_PS1", "SMS_DistributionPointInfo");
	assert_non_null(w->cls);
	assert_int_equal(cim_class_add_property(w->cls, "NALPath", CIM_STRING,
						CIM_PROP_KEY), P_NALPATH);
	assert_int_equal(cim_class_add_property(w->cls, "SiteCode", CIM_STRING,
						CIM_PROP_KEY), P_SITECODE);
	assert_int_equal(cim_class_add_property(w->cls, "Name", CIM_STRING, 0),
			 P_NAME);
	assert_int_equal(cim_class_add_property(w->cls, "Description",
						CIM_STRING, 0), P_DESC);
	assert_int_equal(cim_class_add_property(w->cls, "IPAddresses",
						CIM_STRING, CIM_PROP_ARRAY),
			 P_IPS);
	assert_int_equal(cim_class_add_property(w->cls, "LastUpdated",
						CIM_DATETIME, 0), P_UPDATED);
	assert_int_equal(cim_class_add_property(w->cls, "MaintenanceMode",
						CIM_UINT32, 0), P_MODE);
	assert_int_equal(cim_class_add_property(w->cls, "Empty", CIM_STRING,
						CIM_PROP_ARRAY), P_EMPTY);
	assert_int_equal(cim_class_add_property(w->cls, "Uptime",
						CIM_DATETIME, 0), P_UPTIME);

	w->inst = cim_instance_new(w->cls);
	assert_non_null(w->inst);
	assert_int_equal(cim_instance_set(w->inst, P_NALPATH, NALPATH), 0);
	assert_int_equal(cim_instance_set(w->inst, P_SITECODE, "PS1"), 0);
	assert_int_equal(cim_instance_set(w->inst, P_NAME, HOSTILE), 0);
	assert_int_equal(cim_instance_append(w->inst, P_IPS, "10.0.0.1"), 0);
	assert_int_equal(cim_instance_append(w->inst, P_IPS, "10.0.0.2"), 0);
	assert_int_equal(cim_instance_set(w->inst, P_UPDATED,
					  "2024-05-01T10:00:00Z"), 0);
	assert_int_equal(cim_instance_set(w->inst, P_MODE, "1"), 0);
	/* P_EMPTY stays NULL: a null array is written as nil */
	assert_int_equal(cim_instance_set(w->inst, P_UPTIME, "P0DT0H1M40S"),
			 0);
	buf_init(&w->b, 0);
	*state = w;
	return 0;
}

static int teardown(void **state)
{
	struct world *w = *state;

	xmlFreeDoc(w->doc);
	buf_free(&w->b);
	cim_instance_free(w->inst);
	cim_class_free(w->cls);
	free(w);
	return 0;
}

/* ---- reading the output back -------------------------------------------- */

static xmlDoc *reparse(struct world *w)
{
	assert_int_equal(buf_error(&w->b), 0);
	xmlFreeDoc(w->doc);
	w->doc = xmlReadMemory(buf_ptr(&w->b), (int)buf_len(&w->b), NULL, NULL,
			       XML_PARSE_NONET | XML_PARSE_NOERROR |
			       XML_PARSE_NOWARNING);
	if (w->doc == NULL)
		fail_msg("not well-formed: %s", buf_ptr(&w->b));
	return w->doc;
}

static bool is_el(const xmlNode *n, const char *ns, const char *local)
{
	return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
	       strcmp((const char *)n->ns->href, ns) == 0 &&
	       strcmp((const char *)n->name, local) == 0;
}

/* First element (document order) under n, n included, with that name. */
static xmlNode *find(xmlNode *n, const char *ns, const char *local)
{
	for (; n != NULL; n = n->next) {
		xmlNode *hit;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (is_el(n, ns, local))
			return n;
		hit = find(n->children, ns, local);
		if (hit != NULL)
			return hit;
	}
	return NULL;
}

static size_t count(xmlNode *n, const char *ns, const char *local)
{
	size_t c = 0;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		c += is_el(n, ns, local);
		c += count(n->children, ns, local);
	}
	return c;
}

static xmlNode *root_of(struct world *w)
{
	return xmlDocGetRootElement(w->doc);
}

static xmlNode *must_find(struct world *w, const char *ns, const char *local)
{
	xmlNode *n = find(root_of(w), ns, local);

	if (n == NULL)
		fail_msg("no {%s}%s in %s", ns, local, buf_ptr(&w->b));
	return n;
}

static xmlNode *child(xmlNode *parent, const char *ns, const char *local)
{
	for (xmlNode *c = parent->children; c != NULL; c = c->next)
		if (is_el(c, ns, local))
			return c;
	return NULL;
}

static size_t elem_children(const xmlNode *n)
{
	size_t c = 0;

	for (const xmlNode *k = n->children; k != NULL; k = k->next)
		c += k->type == XML_ELEMENT_NODE;
	return c;
}

/* Compares the text of n, freeing libxml2's copy. */
static void assert_text(xmlNode *n, const char *want)
{
	xmlChar *t;

	assert_non_null(n);
	t = xmlNodeGetContent(n);
	assert_non_null(t);
	if (strcmp((const char *)t, want) != 0)
		fail_msg("<%s> holds \"%s\", want \"%s\"", n->name, t, want);
	xmlFree(t);
}

static void assert_attr(xmlNode *n, const char *ns, const char *name,
			const char *want)
{
	xmlChar *v = ns ? xmlGetNsProp(n, BAD_CAST name, BAD_CAST ns) :
			  xmlGetNoNsProp(n, BAD_CAST name);

	if (v == NULL)
		fail_msg("<%s> lacks attribute %s", n->name, name);
	assert_string_equal((const char *)v, want);
	xmlFree(v);
}

static bool is_nil(xmlNode *n)
{
	xmlChar *v = xmlGetNsProp(n, BAD_CAST "nil", BAD_CAST NS_XSI);
	bool nil = v != NULL && strcmp((const char *)v, "true") == 0;

	xmlFree(v);
	return nil;
}

/* A QName in text content ("w:InvalidSelectors"), resolved through the
 * in-scope declarations as the OMI client does (docs/wsman-protocol.md,
 * Fault envelope). */
static void assert_qname(xmlNode *n, const char *ns, const char *local)
{
	xmlChar *t = xmlNodeGetContent(n);
	char *colon = strchr((char *)t, ':');
	xmlNs *decl;

	assert_non_null(colon);
	*colon = '\0';
	decl = xmlSearchNs(n->doc, n, t);
	assert_non_null(decl);
	assert_string_equal((const char *)decl->href, ns);
	assert_string_equal(colon + 1, local);
	xmlFree(t);
}

static void assert_header(struct world *w, const char *action,
			  const char *relates_to)
{
	xmlNode *header = must_find(w, NS_SOAP, "Header");

	assert_text(child(header, NS_ADDR, "Action"), action);
	assert_text(child(header, NS_ADDR, "MessageID"), MSGID);
	assert_text(child(header, NS_ADDR, "To"), ANONYMOUS);
	if (relates_to == NULL)
		assert_null(child(header, NS_ADDR, "RelatesTo"));
	else
		assert_text(child(header, NS_ADDR, "RelatesTo"), relates_to);
}

static xmlNode *body_of(struct world *w)
{
	return must_find(w, NS_SOAP, "Body");
}

/* ---- envelope and instances ---------------------------------------------- */

static void test_envelope(void **state)
{
	struct world *w = *state;
	xmlNode *root;
	xmlChar *lang;

	wsman_reply_begin(&w->b, WSMAN_ACTION_GET_RESPONSE, MSGID, REQID);
	wsman_reply_end(&w->b);
	reparse(w);
	root = root_of(w);
	assert_true(is_el(root, NS_SOAP, "Envelope"));
	lang = xmlNodeGetLang(root);
	assert_string_equal((const char *)lang, "en-US");
	xmlFree(lang);
	/* every prefix body writers rely on is declared on the root */
	{
		static const char *const pfx[][2] = {
			{ "s", NS_SOAP }, { "a", NS_ADDR }, { "w", NS_WSMAN },
			{ "n", NS_ENUM }, { "p", NS_MSWSMAN },
			{ "b", NS_CIMBIND }, { "wsmid", NS_IDENT },
			{ "cim", NS_CIM }, { "xsi", NS_XSI },
			{ "x", "http://schemas.xmlsoap.org/ws/2004/09/transfer" },
		};

		for (size_t i = 0; i < sizeof(pfx) / sizeof(*pfx); i++) {
			xmlNs *ns = xmlSearchNs(w->doc, root,
						BAD_CAST pfx[i][0]);

			assert_non_null(ns);
			assert_string_equal((const char *)ns->href, pfx[i][1]);
		}
	}
	assert_header(w, WSMAN_ACTION_GET_RESPONSE, REQID);
	assert_int_equal(elem_children(body_of(w)), 0);

	/* wsl's empty MessageID is echoed as an empty RelatesTo */
	buf_reset(&w->b);
	wsman_reply_begin(&w->b, WSMAN_ACTION_GET_RESPONSE, MSGID, "");
	wsman_reply_end(&w->b);
	reparse(w);
	assert_header(w, WSMAN_ACTION_GET_RESPONSE, "");

	/* a MessageID that needs escaping survives */
	buf_reset(&w->b);
	wsman_reply_begin(&w->b, WSMAN_ACTION_GET_RESPONSE, MSGID, HOSTILE);
	wsman_reply_end(&w->b);
	reparse(w);
	assert_header(w, WSMAN_ACTION_GET_RESPONSE, HOSTILE);

	buf_reset(&w->b);
	wsman_reply_begin(&w->b, WSMAN_ACTION_GET_RESPONSE, MSGID, NULL);
	wsman_reply_end(&w->b);
	reparse(w);
	assert_header(w, WSMAN_ACTION_GET_RESPONSE, NULL);
}

static void test_identify(void **state)
{
	struct world *w = *state;
	xmlNode *resp, *header;

	wsman_reply_begin(&w->b, NULL, MSGID, "x");
	wsman_reply_identify(&w->b, "OS: 0.0.0 SP: 0.0 Stack: 3.0");
	wsman_reply_end(&w->b);
	reparse(w);
	header = must_find(w, NS_SOAP, "Header");
	assert_int_equal(elem_children(header), 0);
	resp = must_find(w, NS_IDENT, "IdentifyResponse");
	assert_text(child(resp, NS_IDENT, "ProtocolVersion"), NS_WSMAN);
	assert_text(child(resp, NS_IDENT, "ProductVendor"),
		    "Microsoft Corporation");
	assert_text(child(resp, NS_IDENT, "ProductVersion"),
		    "OS: 0.0.0 SP: 0.0 Stack: 3.0");

	buf_reset(&w->b);
	wsman_reply_begin(&w->b, NULL, NULL, NULL);
	wsman_reply_identify(&w->b, NULL);
	wsman_reply_end(&w->b);
	reparse(w);
	resp = must_find(w, NS_IDENT, "IdentifyResponse");
	assert_null(child(resp, NS_IDENT, "ProductVersion"));
	assert_non_null(child(resp, NS_IDENT, "ProductVendor"));
}

static void write_get(struct world *w, const char *const *select,
		      size_t nselect)
{
	buf_reset(&w->b);
	wsman_reply_begin(&w->b, WSMAN_ACTION_GET_RESPONSE, MSGID, REQID);
	wsman_reply_instance(&w->b, CLASS_URI, w->inst, select, nselect);
	wsman_reply_end(&w->b);
	reparse(w);
}

static void test_instance(void **state)
{
	struct world *w = *state;
	xmlNode *inst, *n, *dt;
	xmlNs *p;

	write_get(w, NULL, 0);
	inst = must_find(w, CLASS_URI, "SMS_DistributionPointInfo");
	assert_true(inst->parent == body_of(w));
	/* xsi:type="p:<Class>_Type" with p bound to the class URI */
	assert_attr(inst, NS_XSI, "type", "p:SMS_DistributionPointInfo_Type");
	p = xmlSearchNs(w->doc, inst, BAD_CAST "p");
	assert_non_null(p);
	assert_string_equal((const char *)p->href, CLASS_URI);

	/* class order, nulls included */
	{
		static const char *const order[] = {
			"NALPath", "SiteCode", "Name", "Description",
			"IPAddresses", "IPAddresses", "LastUpdated",
			"MaintenanceMode", "Empty", "Uptime",
		};
		size_t i = 0;

		for (n = inst->children; n != NULL; n = n->next) {
			if (n->type != XML_ELEMENT_NODE)
				continue;
			assert_true(i < sizeof(order) / sizeof(*order));
			assert_true(is_el(n, CLASS_URI, order[i]));
			i++;
		}
		assert_int_equal(i, sizeof(order) / sizeof(*order));
	}
	assert_text(child(inst, CLASS_URI, "NALPath"), NALPATH);
	assert_text(child(inst, CLASS_URI, "Name"), HOSTILE);
	assert_text(child(inst, CLASS_URI, "MaintenanceMode"), "1");

	n = child(inst, CLASS_URI, "Description");
	assert_true(is_nil(n));
	assert_null(n->children);
	assert_false(is_nil(child(inst, CLASS_URI, "Name")));
	assert_true(is_nil(child(inst, CLASS_URI, "Empty")));

	n = child(inst, CLASS_URI, "IPAddresses");
	assert_text(n, "10.0.0.1");
	n = n->next;
	assert_true(is_el(n, CLASS_URI, "IPAddresses"));
	assert_text(n, "10.0.0.2");

	n = child(inst, CLASS_URI, "LastUpdated");
	dt = child(n, NS_CIM, "Datetime");
	assert_non_null(dt);
	assert_text(dt, "2024-05-01T10:00:00Z");
	assert_int_equal(elem_children(n), 1);

	n = child(inst, CLASS_URI, "Uptime");
	assert_text(child(n, NS_CIM, "Interval"), "P0DT0H1M40S");
}

static void test_instance_select(void **state)
{
	struct world *w = *state;
	static const char *const sel[] = { "name", "MAINTENANCEMODE" };
	xmlNode *inst;

	write_get(w, sel, 2);
	inst = must_find(w, CLASS_URI, "SMS_DistributionPointInfo");
	/* keys always, then the selected ones, nothing else */
	assert_int_equal(elem_children(inst), 4);
	assert_non_null(child(inst, CLASS_URI, "NALPath"));
	assert_non_null(child(inst, CLASS_URI, "SiteCode"));
	assert_text(child(inst, CLASS_URI, "Name"), HOSTILE);
	assert_text(child(inst, CLASS_URI, "MaintenanceMode"), "1");
	assert_null(child(inst, CLASS_URI, "Description"));
}

static void check_epr(xmlNode *epr, const char *ns)
{
	xmlNode *rp, *set, *sel;

	assert_non_null(epr);
	assert_text(child(epr, NS_ADDR, "Address"), ANONYMOUS);
	rp = child(epr, NS_ADDR, "ReferenceParameters");
	assert_non_null(rp);
	assert_text(child(rp, NS_WSMAN, "ResourceURI"), CLASS_URI);
	set = child(rp, NS_WSMAN, "SelectorSet");
	assert_non_null(set);
	assert_int_equal(elem_children(set), ns ? 3 : 2);
	sel = child(set, NS_WSMAN, "Selector");
	assert_attr(sel, NULL, "Name", "NALPath");
	assert_text(sel, NALPATH);
	sel = sel->next;
	assert_attr(sel, NULL, "Name", "SiteCode");
	assert_text(sel, "PS1");
	if (ns != NULL) {
		sel = sel->next;
		assert_attr(sel, NULL, "Name", "__cimnamespace");
		assert_text(sel, ns);
	}
}

static void test_epr_and_items(void **state)
{
	struct world *w = *state;
	xmlNode *item;

	wsman_reply_begin(&w->b, WSMAN_ACTION_GET_RESPONSE, MSGID, REQID);
	wsman_reply_epr(&w->b, CLASS_URI, NULL, w->inst);
	wsman_reply_end(&w->b);
	reparse(w);
	check_epr(must_find(w, NS_ADDR, "EndpointReference"), NULL);

	buf_reset(&w->b);
	wsman_reply_begin(&w->b, WSMAN_ACTION_GET_RESPONSE, MSGID, REQID);
	wsman_reply_item(&w->b, WSMAN_ENUM_EPR, CLASS_URI, "root/sms/site_PS1",
			 w->inst, NULL, 0);
	wsman_reply_end(&w->b);
	reparse(w);
	check_epr(must_find(w, NS_ADDR, "EndpointReference"),
		  "root/sms/site_PS1");
	assert_null(find(root_of(w), CLASS_URI, "SMS_DistributionPointInfo"));

	buf_reset(&w->b);
	wsman_reply_begin(&w->b, WSMAN_ACTION_GET_RESPONSE, MSGID, REQID);
	wsman_reply_item(&w->b, WSMAN_ENUM_OBJECT_AND_EPR, CLASS_URI, NULL,
			 w->inst, NULL, 0);
	wsman_reply_end(&w->b);
	reparse(w);
	item = must_find(w, NS_WSMAN, "Item");
	assert_int_equal(elem_children(item), 2);
	assert_non_null(child(item, CLASS_URI, "SMS_DistributionPointInfo"));
	check_epr(child(item, NS_ADDR, "EndpointReference"), NULL);

	buf_reset(&w->b);
	wsman_reply_begin(&w->b, WSMAN_ACTION_GET_RESPONSE, MSGID, REQID);
	wsman_reply_item(&w->b, WSMAN_ENUM_OBJECTS, CLASS_URI, NULL, w->inst,
			 NULL, 0);
	wsman_reply_end(&w->b);
	reparse(w);
	assert_null(find(root_of(w), NS_ADDR, "EndpointReference"));
	assert_non_null(must_find(w, CLASS_URI, "SMS_DistributionPointInfo"));
}

/* ---- enumeration ----------------------------------------------------- */

static void write_enum(struct world *w, const char *ctx, bool opt,
		       size_t items)
{
	buf_reset(&w->b);
	wsman_reply_begin(&w->b, WSMAN_ACTION_ENUMERATE_RESPONSE, MSGID, REQID);
	wsman_reply_enumerate_open(&w->b, ctx, opt);
	for (size_t i = 0; i < items; i++)
		wsman_reply_item(&w->b, WSMAN_ENUM_OBJECTS, CLASS_URI, NULL,
				 w->inst, NULL, 0);
	wsman_reply_enumerate_close(&w->b, ctx, opt);
	wsman_reply_end(&w->b);
	reparse(w);
}

static void test_enumerate(void **state)
{
	struct world *w = *state;
	xmlNode *resp, *items, *ctx;

	/* optimized, all items fit: the real WinRM shape (docs/wsman-protocol.md,
	 * Enumerate) */
	write_enum(w, NULL, true, 2);
	assert_header(w, WSMAN_ACTION_ENUMERATE_RESPONSE, REQID);
	resp = must_find(w, NS_ENUM, "EnumerateResponse");
	ctx = child(resp, NS_ENUM, "EnumerationContext");
	assert_non_null(ctx);
	assert_text(ctx, "");	/* empty: wsl stops pulling */
	items = child(resp, NS_WSMAN, "Items");
	assert_non_null(items);
	assert_int_equal(count(items->children, CLASS_URI,
			       "SMS_DistributionPointInfo"), 2);
	assert_non_null(child(resp, NS_WSMAN, "EndOfSequence"));
	assert_null(find(root_of(w), NS_ENUM, "Items"));
	assert_null(find(root_of(w), NS_ENUM, "EndOfSequence"));
	/* context, Items, EndOfSequence in that order */
	assert_true(elem_children(resp) == 3 &&
		    ctx->next == items &&
		    is_el(items->next, NS_WSMAN, "EndOfSequence"));

	/* optimized, more to come: a real context, no EndOfSequence */
	write_enum(w, "uuid:CTX-1", true, 1);
	resp = must_find(w, NS_ENUM, "EnumerateResponse");
	assert_text(child(resp, NS_ENUM, "EnumerationContext"), "uuid:CTX-1");
	assert_non_null(child(resp, NS_WSMAN, "Items"));
	assert_null(find(root_of(w), NS_WSMAN, "EndOfSequence"));

	/* not optimized: just the context */
	write_enum(w, "uuid:CTX-2", false, 0);
	resp = must_find(w, NS_ENUM, "EnumerateResponse");
	assert_int_equal(elem_children(resp), 1);
	assert_text(child(resp, NS_ENUM, "EnumerationContext"), "uuid:CTX-2");
	assert_null(find(root_of(w), NS_WSMAN, "Items"));
}

static void write_pull(struct world *w, const char *ctx, size_t items)
{
	buf_reset(&w->b);
	wsman_reply_begin(&w->b, WSMAN_ACTION_PULL_RESPONSE, MSGID, REQID);
	wsman_reply_pull_open(&w->b, ctx);
	for (size_t i = 0; i < items; i++)
		wsman_reply_item(&w->b, WSMAN_ENUM_OBJECTS, CLASS_URI, NULL,
				 w->inst, NULL, 0);
	wsman_reply_pull_close(&w->b, ctx);
	wsman_reply_end(&w->b);
	reparse(w);
}

static void test_pull(void **state)
{
	struct world *w = *state;
	xmlNode *resp, *items;

	write_pull(w, "uuid:CTX-3", 1);
	resp = must_find(w, NS_ENUM, "PullResponse");
	assert_text(child(resp, NS_ENUM, "EnumerationContext"), "uuid:CTX-3");
	items = child(resp, NS_ENUM, "Items");
	assert_non_null(items);
	assert_int_equal(elem_children(items), 1);
	assert_null(find(root_of(w), NS_ENUM, "EndOfSequence"));

	/* the last batch: EndOfSequence and no context at all */
	write_pull(w, NULL, 2);
	resp = must_find(w, NS_ENUM, "PullResponse");
	assert_null(find(root_of(w), NS_ENUM, "EnumerationContext"));
	items = child(resp, NS_ENUM, "Items");
	assert_int_equal(elem_children(items), 2);
	assert_non_null(child(resp, NS_ENUM, "EndOfSequence"));
	assert_null(find(root_of(w), NS_WSMAN, "Items"));
	assert_null(find(root_of(w), NS_WSMAN, "EndOfSequence"));
	assert_header(w, WSMAN_ACTION_PULL_RESPONSE, REQID);
}

static void test_release(void **state)
{
	struct world *w = *state;

	wsman_reply_begin(&w->b, WSMAN_ACTION_RELEASE_RESPONSE, MSGID, REQID);
	wsman_reply_release(&w->b);
	wsman_reply_end(&w->b);
	reparse(w);
	assert_header(w, WSMAN_ACTION_RELEASE_RESPONSE, REQID);
	assert_int_equal(elem_children(body_of(w)), 0);
}

/* ---- invoke ------------------------------------------------------------- */

#define DP_URI \
	"http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_PS1/" \
	"SMS_DistributionPoint"

static void test_invoke(void **state)
{
	struct world *w = *state;
	const struct wsman_kv outs[] = {
		{ .name = "Chained", .value = HOSTILE },
		{ .name = "Nothing", .value = NULL },
	};
	xmlNode *out, *n;

	wsman_reply_begin(&w->b, DP_URI "/SetDPMaintenanceModeResponse",
			  MSGID, REQID);
	wsman_reply_invoke(&w->b, DP_URI, "SetDPMaintenanceMode", 2147749890u,
			   outs, 2);
	wsman_reply_end(&w->b);
	reparse(w);
	assert_header(w, DP_URI "/SetDPMaintenanceModeResponse", REQID);
	out = must_find(w, DP_URI, "SetDPMaintenanceMode_OUTPUT");
	assert_int_equal(elem_children(out), 3);
	n = child(out, DP_URI, "Chained");
	assert_text(n, HOSTILE);
	n = child(out, DP_URI, "Nothing");
	assert_true(is_nil(n));
	/* ReturnValue last, as uint32 decimal */
	n = out->last;
	assert_true(is_el(n, DP_URI, "ReturnValue"));
	assert_text(n, "2147749890");

	/* no out parameters: ReturnValue alone */
	buf_reset(&w->b);
	wsman_reply_begin(&w->b, "a", MSGID, REQID);
	wsman_reply_invoke(&w->b, DP_URI, "SetDPMaintenanceMode", 0, NULL, 0);
	wsman_reply_end(&w->b);
	reparse(w);
	out = must_find(w, DP_URI, "SetDPMaintenanceMode_OUTPUT");
	assert_int_equal(elem_children(out), 1);
	assert_text(child(out, DP_URI, "ReturnValue"), "0");

	/* names that are not XML names cannot break the markup */
	buf_reset(&w->b);
	wsman_reply_begin(&w->b, "a", MSGID, REQID);
	wsman_reply_invoke(&w->b, "urn:x", "1bad<name>&\"", 0, NULL, 0);
	wsman_reply_end(&w->b);
	reparse(w);
	assert_int_equal(elem_children(body_of(w)), 1);
}

#define DPI_URI \
	"http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_PS1/" \
	"SMS_DistributionPointInfo"

/* A declared method's output: each out parameter as in an instance (an
 * array as one element per item, an empty array absent, null as nil),
 * then ReturnValue as the method's type writes it. */
static void test_invoke_output(void **state)
{
	static const struct cim_param chain[] = {
		{ "SourceDPNALPath", CIM_STRING, CIM_PARAM_IN },
		{ "ChainedDPs", CIM_STRING, CIM_PARAM_OUT | CIM_PROP_ARRAY },
	};
	static const char *const two[] = { NALPATH, HOSTILE };
	struct world *w = *state;
	const struct cim_method *m;
	struct cim_instance *o;
	xmlNode *out, *n;

	assert_int_equal(cim_class_add_method(w->cls, "GetChainedPullDPs",
					      CIM_SINT32, chain, 2), 0);
	m = cim_class_find_method(w->cls, "GetChainedPullDPs");
	o = cim_instance_new(cim_method_output_class(m));
	assert_non_null(o);
	assert_int_equal(cim_instance_set_array(o, 0, two, 2), 0);
	assert_int_equal(cim_method_set_return(m, o, 0), 0);

	wsman_reply_begin(&w->b, DPI_URI "/GetChainedPullDPsResponse", MSGID,
			  REQID);
	wsman_reply_invoke_output(&w->b, DPI_URI, "GetChainedPullDPs", o);
	wsman_reply_end(&w->b);
	/* The bytes: out parameters first, in order, then ReturnValue. */
	if (!strstr(buf_ptr(&w->b), "<s:Body><p:GetChainedPullDPs_OUTPUT "
		    "xmlns:p=\"" DPI_URI "\"><p:ChainedDPs>[&quot;Display=\\\\"
		    "dp01.contoso.com\\&quot;]MSWNET:[&quot;SMS_SITE=PS1&quot;]"
		    "\\\\dp01.contoso.com\\</p:ChainedDPs><p:ChainedDPs>a&lt;b"
		    "&amp;c&quot;d&apos;e&gt;</p:ChainedDPs><p:ReturnValue>0"
		    "</p:ReturnValue></p:GetChainedPullDPs_OUTPUT></s:Body>"))
		fail_msg("unexpected body: %s", buf_ptr(&w->b));
	reparse(w);
	assert_header(w, DPI_URI "/GetChainedPullDPsResponse", REQID);
	out = must_find(w, DPI_URI, "GetChainedPullDPs_OUTPUT");
	assert_int_equal(elem_children(out), 3);
	assert_int_equal(count(out, DPI_URI, "ChainedDPs"), 2);
	assert_text(child(out, DPI_URI, "ChainedDPs"), NALPATH);
	assert_text(out->last, "0");

	/* an empty chain: no ChainedDPs element at all */
	assert_int_equal(cim_instance_set_array(o, 0, NULL, 0), 0);
	assert_int_equal(cim_method_set_return(m, o, 0x80041001u), 0);
	buf_reset(&w->b);
	wsman_reply_begin(&w->b, "a", MSGID, REQID);
	wsman_reply_invoke_output(&w->b, DPI_URI, "GetChainedPullDPs", o);
	wsman_reply_end(&w->b);
	reparse(w);
	out = must_find(w, DPI_URI, "GetChainedPullDPs_OUTPUT");
	assert_int_equal(elem_children(out), 1);
	n = child(out, DPI_URI, "ReturnValue");
	/* a sint32 HRESULT reads negative */
	assert_text(n, "-2147217407");

	/* a null array (a rule's ReturnValue): nil */
	assert_int_equal(cim_instance_set(o, 0, NULL), 0);
	buf_reset(&w->b);
	wsman_reply_begin(&w->b, "a", MSGID, REQID);
	wsman_reply_invoke_output(&w->b, DPI_URI, "GetChainedPullDPs", o);
	wsman_reply_end(&w->b);
	reparse(w);
	out = must_find(w, DPI_URI, "GetChainedPullDPs_OUTPUT");
	assert_int_equal(elem_children(out), 2);
	assert_true(is_nil(child(out, DPI_URI, "ChainedDPs")));
	cim_instance_free(o);
}

/* ---- faults -------------------------------------------------------------- */

static xmlNode *fault_of(struct world *w)
{
	xmlNode *f = must_find(w, NS_SOAP, "Fault");

	assert_true(f->parent == body_of(w));
	return f;
}

static void check_code(xmlNode *fault, const char *code, const char *sub_ns,
		       const char *sub_local)
{
	xmlNode *c = child(fault, NS_SOAP, "Code");
	xmlNode *sub;

	assert_non_null(c);
	assert_qname(child(c, NS_SOAP, "Value"), NS_SOAP, code);
	sub = child(c, NS_SOAP, "Subcode");
	if (sub_ns == NULL) {
		assert_null(sub);
		return;
	}
	assert_non_null(sub);
	assert_qname(child(sub, NS_SOAP, "Value"), sub_ns, sub_local);
}

static void check_reason(xmlNode *fault, const char *reason)
{
	xmlNode *r = child(fault, NS_SOAP, "Reason");
	xmlNode *t = child(r, NS_SOAP, "Text");
	xmlChar *lang = xmlNodeGetLang(t);

	assert_text(t, reason);
	assert_string_equal((const char *)lang, "en-US");
	xmlFree(lang);
}

static void check_wsmanfault(xmlNode *detail, const char *code,
			     const char *machine, const char *reason)
{
	xmlNode *wf = child(detail, NS_WSMANFAULT, "WSManFault");

	assert_non_null(wf);
	assert_attr(wf, NULL, "Code", code);
	assert_attr(wf, NULL, "Machine", machine);
	assert_text(child(wf, NS_WSMANFAULT, "Message"), reason);
}

static void test_fault_invalid_selectors(void **state)
{
	struct world *w = *state;
	const struct wsman_fault f = {
		.subcode = WSMAN_SUB_INVALID_SELECTORS,
		.code = WSMAN_CODE_INVALID_SELECTORS,
		.reason = "The request contained invalid selectors: " HOSTILE,
		.detail = WSMAN_DETAIL_INSUFFICIENT_SELECTORS,
	};
	xmlNode *fault, *detail;

	wsman_reply_fault(&w->b, &f, MSGID, REQID, "dp<01>&\"");
	reparse(w);
	assert_header(w, WSMAN_ACTION_WSMAN_FAULT, REQID);
	fault = fault_of(w);
	check_code(fault, "Sender", NS_WSMAN, "InvalidSelectors");
	check_reason(fault, f.reason);
	detail = child(fault, NS_SOAP, "Detail");
	assert_non_null(detail);
	assert_text(child(detail, NS_WSMAN, "FaultDetail"),
		    "http://schemas.dmtf.org/wbem/wsman/1/wsman/faultDetail/"
		    "InsufficientSelectors");
	check_wsmanfault(detail, "2150858843", "dp<01>&\"", f.reason);
	assert_null(find(root_of(w), NS_WMIERROR, "MSFT_WmiError"));
	assert_null(find(root_of(w), NS_SMSEXT, "SMS_ExtendedStatus"));
	assert_null(find(root_of(w), NS_SOAP, "NotUnderstood"));
}

static void test_fault_wmi_error(void **state)
{
	struct world *w = *state;
	const struct wsman_sms_status sms = {
		.description = "NAL path " HOSTILE " is unknown",
		.error_code = 0x40000001u,
		.operation = "ExecMethod",
		.parameter_info = "SMS_DistributionPoint",
		.provider_name = NULL,
	};
	const struct wsman_fault f = {
		.subcode = WSMAN_SUB_INTERNAL_ERROR,
		.code = 0x80041002u,
		.reason = "Not found",
		.wmi_error = true,
		.cim_status = 6,
		.sms = &sms,
	};
	xmlNode *fault, *detail, *err, *n, *ext;

	wsman_reply_fault(&w->b, &f, MSGID, REQID, "dp01");
	reparse(w);
	assert_header(w, WSMAN_ACTION_WSMAN_FAULT, REQID);
	fault = fault_of(w);
	check_code(fault, "Receiver", NS_WSMAN, "InternalError");
	detail = child(fault, NS_SOAP, "Detail");
	assert_null(child(detail, NS_WSMAN, "FaultDetail"));
	check_wsmanfault(detail, "2147749890", "dp01", "Not found");

	err = child(detail, NS_WMIERROR, "MSFT_WmiError");
	assert_non_null(err);
	assert_attr(err, NS_CIMBIND, "IsCIM_Error", "true");
	assert_attr(err, NS_XSI, "type", "p:MSFT_WmiError_Type");
	n = child(err, NS_WMIERROR, "CIMStatusCode");
	assert_text(n, "6");
	assert_attr(n, NS_XSI, "type", "cim:cimUnsignedInt");
	n = child(err, NS_WMIERROR, "error_Code");
	assert_text(n, "2147749890");
	assert_attr(n, NS_XSI, "type", "cim:cimUnsignedInt");
	assert_text(child(err, NS_WMIERROR, "MessageID"), "HRESULT 0x80041002");
	assert_text(child(err, NS_WMIERROR, "error_Type"), "HRESULT");
	assert_text(child(err, NS_WMIERROR, "error_Category"), "30");
	assert_text(child(err, NS_WMIERROR, "Message"), "Not found");
	assert_text(child(err, NS_WMIERROR, "error_WindowsErrorMessage"),
		    "Not found");
	n = child(err, NS_WMIERROR, "CIMStatusCodeDescription");
	assert_true(is_nil(n));
	assert_attr(n, NS_XSI, "type", "cim:cimString");
	assert_true(is_nil(child(err, NS_WMIERROR, "OwningEntity")));
	assert_text(child(err, NS_WMIERROR, "PerceivedSeverity"), "0");
	assert_int_equal(elem_children(err), 17);

	ext = child(detail, NS_SMSEXT, "SMS_ExtendedStatus");
	assert_non_null(ext);
	assert_attr(ext, NS_XSI, "type", "p:SMS_ExtendedStatus_Type");
	assert_text(child(ext, NS_SMSEXT, "Description"), sms.description);
	assert_text(child(ext, NS_SMSEXT, "ErrorCode"), "1073741825");
	assert_text(child(ext, NS_SMSEXT, "Operation"), "ExecMethod");
	assert_text(child(ext, NS_SMSEXT, "ParameterInfo"),
		    "SMS_DistributionPoint");
	assert_true(is_nil(child(ext, NS_SMSEXT, "ProviderName")));
	/* order in the Detail: WSManFault, MSFT_WmiError, SMS_ExtendedStatus */
	assert_true(is_el(detail->children, NS_WSMANFAULT, "WSManFault"));
	assert_true(detail->children->next == err && err->next == ext);
}

static void test_fault_addressing(void **state)
{
	struct world *w = *state;
	const struct wsman_fault f = {
		.subcode = WSMAN_SUB_ACTION_NOT_SUPPORTED,
		.code = WSMAN_CODE_INVALID_ACTIONURI,
		.reason = "The action is not supported: urn:x",
	};
	xmlNode *fault;

	wsman_reply_fault(&w->b, &f, MSGID, "", NULL);
	reparse(w);
	assert_header(w, WSMAN_ACTION_ADDRESSING_FAULT, "");
	fault = fault_of(w);
	check_code(fault, "Sender", NS_ADDR, "ActionNotSupported");
	check_wsmanfault(child(fault, NS_SOAP, "Detail"), "2150858753",
			 "localhost", f.reason);
}

static void test_fault_enum_context(void **state)
{
	struct world *w = *state;
	const struct wsman_fault f = {
		.subcode = WSMAN_SUB_INVALID_ENUM_CONTEXT,
		.code = WSMAN_CODE_INVALID_ENUM_CONTEXT,
		.reason = "The enumeration context is not valid.",
	};

	wsman_reply_fault(&w->b, &f, MSGID, REQID, "m");
	reparse(w);
	/* never the 2004/09 enumeration fault action: libmi rejects it */
	assert_header(w, WSMAN_ACTION_WSMAN_FAULT, REQID);
	check_code(fault_of(w), "Receiver", NS_ENUM,
		   "InvalidEnumerationContext");
}

static void test_fault_must_understand(void **state)
{
	struct world *w = *state;
	const struct wsman_fault f = {
		.subcode = WSMAN_SUB_MUST_UNDERSTAND,
		.reason = "The header is not understood: ext:Extension1",
		.not_understood = "ext:Extension1",
	};
	xmlNode *nu, *fault;

	wsman_reply_fault(&w->b, &f, MSGID, REQID, "m");
	reparse(w);
	/* the recorded WinRM MustUnderstand fault uses the addressing one */
	assert_header(w, WSMAN_ACTION_ADDRESSING_FAULT, REQID);
	nu = must_find(w, NS_SOAP, "NotUnderstood");
	assert_true(nu->parent == must_find(w, NS_SOAP, "Header"));
	assert_attr(nu, NULL, "qname", "ext:Extension1");
	fault = fault_of(w);
	check_code(fault, "MustUnderstand", NULL, NULL);
	check_reason(fault, f.reason);
	assert_null(child(fault, NS_SOAP, "Detail"));
}

/* The whole path: a wsl request with an empty MessageID parsed, refused,
 * and the fault relating to it. */
static void test_fault_from_request(void **state)
{
	struct world *w = *state;
	static const char req[] =
		"<s:Envelope xmlns:s=\"" NS_SOAP "\" xmlns:wsa=\"" NS_ADDR "\">"
		"<s:Header><wsa:Action>urn:unknown</wsa:Action>"
		"<wsa:MessageID/><o:X xmlns:o=\"urn:o\" s:mustUnderstand=\"1\"/>"
		"</s:Header><s:Body/></s:Envelope>";
	struct wsman_request *r;
	struct wsman_fault f;
	char reason[256];

	assert_int_equal(wsman_request_parse(req, sizeof(req) - 1, 0, &r, &f,
					     reason, sizeof(reason)), -EINVAL);
	assert_non_null(r);
	wsman_reply_fault(&w->b, &f, MSGID, r->message_id, "m");
	wsman_request_free(r);
	reparse(w);
	assert_header(w, WSMAN_ACTION_ADDRESSING_FAULT, "");
	xmlNode *nu = must_find(w, NS_SOAP, "NotUnderstood");
	assert_attr(nu, NULL, "qname", "o:X");
	/* The prefix is bound on the element itself, to the header's URI. */
	xmlNs *o = xmlSearchNs(nu->doc, nu, BAD_CAST "o");
	assert_non_null(o);
	assert_string_equal((const char *)o->href, "urn:o");
	check_code(fault_of(w), "MustUnderstand", NULL, NULL);
}

static void test_buffer_limit(void **state)
{
	struct world *w = *state;
	struct buf small;

	/* a response bigger than the buffer's cap fails cleanly */
	buf_init(&small, 256);
	wsman_reply_begin(&small, WSMAN_ACTION_GET_RESPONSE, MSGID, REQID);
	wsman_reply_instance(&small, CLASS_URI, w->inst, NULL, 0);
	wsman_reply_end(&small);
	assert_int_equal(buf_error(&small), -E2BIG);
	assert_true(buf_len(&small) <= 256);
	buf_free(&small);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_envelope),
		T(test_identify),
		T(test_instance),
		T(test_instance_select),
		T(test_epr_and_items),
		T(test_enumerate),
		T(test_pull),
		T(test_release),
		T(test_invoke),
		T(test_invoke_output),
		T(test_fault_invalid_selectors),
		T(test_fault_wmi_error),
		T(test_fault_addressing),
		T(test_fault_enum_context),
		T(test_fault_must_understand),
		T(test_fault_from_request),
		T(test_buffer_limit),
	};
#undef T
	int rc = cmocka_run_group_tests(tests, NULL, NULL);

	xmlCleanupParser();
	return rc;
}
