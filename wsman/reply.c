/* reply: WS-Management response envelopes written as text.
 *
 * Every value goes through buf_add_xml. Element names come from class
 * definitions and from request.c's checked method names; they are still
 * passed through add_name() so that no input can ever break the markup.
 * Shapes follow the real WinRM samples in docs/wsman-protocol.md (Response
 * headers, Operations, Faults).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "reply.h"
#include "vocab.h"

#define WMIERROR_URI WSMAN_URI_DMTF_PREFIX "MSFT_WmiError"
#define SMS_EXTSTATUS_URI WSMAN_URI_WMI_PREFIX "root/sms/SMS_ExtendedStatus"

/* error_Category of MSFT_WmiError: the value in the WinRM sample
 * (docs/wsman-protocol.md, WMI error detail);
 * the real mapping from HRESULT to category is not documented. */
#define WMIERROR_CATEGORY 30

static const char envelope_open[] =
	"<s:Envelope xml:lang=\"en-US\""
	" xmlns:s=\"" WSMAN_NS_SOAP "\""
	" xmlns:a=\"" WSMAN_NS_ADDR "\""
	" xmlns:w=\"" WSMAN_NS_WSMAN "\""
	" xmlns:n=\"" WSMAN_NS_ENUM "\""
	" xmlns:x=\"" WSMAN_NS_XFER "\""
	" xmlns:p=\"" WSMAN_NS_MSWSMAN "\""
	" xmlns:b=\"" WSMAN_NS_CIMBIND "\""
	" xmlns:wsmid=\"" WSMAN_NS_IDENT "\""
	" xmlns:cim=\"" WSMAN_NS_CIM "\""
	" xmlns:xsi=\"" WSMAN_NS_XSI "\">";

/* ---- small writers ---------------------------------------------------- */

/* What each byte may be in an XML name (the ASCII subset, every byte of
 * a multi-byte character allowed): a table, since every property of
 * every instance answered passes through add_name twice. */
enum { NAME_START = 1, NAME_REST = 2 };
#define NS (NAME_START | NAME_REST)
static const unsigned char name_class[256] = {
	['-'] = NAME_REST, ['.'] = NAME_REST, ['0' ... '9'] = NAME_REST,
	['_'] = NS,
	['A' ... 'Z'] = NS, ['a' ... 'z'] = NS, [0x80 ... 0xff] = NS,
};
#undef NS

static bool name_char(unsigned char c, bool first)
{
	return name_class[c] & (first ? NAME_START : NAME_REST);
}

/* An XML name: valid names (the normal case) are copied as they are,
 * anything else has its offending bytes replaced by '_'. */
static void add_name(struct buf *b, const char *s)
{
	const unsigned char *u = (const unsigned char *)(s ? s : "");
	size_t i = 0;

	if (name_class[u[0]] & NAME_START)
		for (i = 1; name_class[u[i]] & NAME_REST; i++)
			;
	if (u[i] == '\0' && i > 0) {
		buf_add(b, s, i);
		return;
	}
	if (u[0] == '\0' || !name_char(u[0], true))
		buf_adds(b, "_");
	for (i = 0; u[i] != '\0'; i++)
		buf_add(b, name_char(u[i], false) ? (const char *)u + i : "_",
			1);
}

/* <tag>escaped text</tag>; tag is a literal. */
static void add_elem(struct buf *b, const char *tag, const char *text)
{
	/* Pieces, not buf_addf: a header has several of these per answer. */
	buf_adds(b, "<");
	buf_adds(b, tag);
	buf_adds(b, ">");
	buf_add_xml(b, text ? text : "");
	buf_adds(b, "</");
	buf_adds(b, tag);
	buf_adds(b, ">");
}

static void add_prop_open(struct buf *b, const char *name)
{
	buf_adds(b, "<p:");
	add_name(b, name);
	buf_adds(b, ">");
}

static void add_prop_close(struct buf *b, const char *name)
{
	buf_adds(b, "</p:");
	add_name(b, name);
	buf_adds(b, ">");
}

static void add_prop_nil(struct buf *b, const char *name)
{
	buf_adds(b, "<p:");
	add_name(b, name);
	buf_adds(b, " xsi:nil=\"true\"/>");
}

/* ---- envelope --------------------------------------------------------- */

/* <s:NotUnderstood> must name the header with a prefix bound in scope
 * (SOAP 1.2 §5.4.8): keep the request's prefix and declare it on the
 * element itself (a local rebinding is fine), unless it is the element's
 * own prefix or a reserved one. */
static void add_not_understood(struct buf *b, const char *qname, const char *ns)
{
	static const char *const taken[] = { "s", "xml", "xmlns" };
	const char *colon = strchr(qname, ':');
	const char *local = colon ? colon + 1 : qname;
	size_t plen = colon ? (size_t)(colon - qname) : 0;
	bool own = plen > 0;

	for (size_t i = 0; own && i < sizeof(taken) / sizeof(taken[0]); i++)
		if (strlen(taken[i]) == plen && strncmp(taken[i], qname, plen) == 0)
			own = false;
	buf_adds(b, "<s:NotUnderstood qname=\"");
	if (ns == NULL) {
		buf_add_xml(b, qname);
		buf_adds(b, "\"/>");
		return;
	}
	if (own)
		buf_add_xmln(b, qname, plen);
	else
		buf_adds(b, "nu");
	buf_adds(b, ":");
	buf_add_xml(b, local);
	buf_adds(b, "\" xmlns:");
	if (own)
		buf_add_xmln(b, qname, plen);
	else
		buf_adds(b, "nu");
	buf_adds(b, "=\"");
	buf_add_xml(b, ns);
	buf_adds(b, "\"/>");
}

/* fragment: the expression of a w:FragmentTransfer to echo, or NULL. */
static void begin_envelope(struct buf *b, const char *action,
			   const char *message_id, const char *relates_to,
			   const char *not_understood, const char *not_understood_ns,
			   const char *fragment)
{
	buf_adds(b, envelope_open);
	if (action == NULL) {
		buf_adds(b, "<s:Header/><s:Body>");
		return;
	}
	buf_adds(b, "<s:Header>");
	add_elem(b, "a:Action", action);
	if (message_id != NULL)
		add_elem(b, "a:MessageID", message_id);
	buf_adds(b, "<a:To>" WSMAN_ADDR_ANONYMOUS "</a:To>");
	if (relates_to != NULL)
		add_elem(b, "a:RelatesTo", relates_to);
	if (not_understood != NULL)
		add_not_understood(b, not_understood, not_understood_ns);
	if (fragment != NULL) {
		buf_adds(b, "<w:FragmentTransfer s:mustUnderstand=\"true\">");
		buf_add_xml(b, fragment);
		buf_adds(b, "</w:FragmentTransfer>");
	}
	buf_adds(b, "</s:Header><s:Body>");
}

void wsman_reply_begin(struct buf *b, const char *action,
		       const char *message_id, const char *relates_to)
{
	begin_envelope(b, action, message_id, relates_to, NULL, NULL, NULL);
}

void wsman_reply_begin_fragment(struct buf *b, const char *action,
				const char *message_id, const char *relates_to,
				const char *expression)
{
	begin_envelope(b, action, message_id, relates_to, NULL, NULL,
		       expression);
}

void wsman_reply_end(struct buf *b)
{
	buf_adds(b, "</s:Body></s:Envelope>");
}

void wsman_reply_identify(struct buf *b, const char *product_version)
{
	buf_adds(b, "<wsmid:IdentifyResponse>"
		 "<wsmid:ProtocolVersion>" WSMAN_NS_WSMAN "</wsmid:ProtocolVersion>"
		 "<wsmid:ProductVendor>Microsoft Corporation"
		 "</wsmid:ProductVendor>");
	if (product_version != NULL)
		add_elem(b, "wsmid:ProductVersion", product_version);
	buf_adds(b, "</wsmid:IdentifyResponse>");
}

/* ---- instances -------------------------------------------------------- */

static bool selected(const char *name, const char *const *select,
		     size_t nselect)
{
	for (size_t i = 0; i < nselect; i++)
		if (select[i] != NULL && strcasecmp(select[i], name) == 0)
			return true;
	return false;
}

static void add_item(struct buf *b, enum cim_type type, const char *text)
{
	if (text == NULL)
		text = "";
	if (type != CIM_DATETIME) {
		buf_add_xml(b, text);
		return;
	}
	/* DMTF intervals are written as xs:duration ("P0DT0H1M40S"). */
	if (text[0] == 'P') {
		add_elem(b, "cim:Interval", text);
		return;
	}
	add_elem(b, "cim:Datetime", text);
}

static void add_property(struct buf *b, const struct cim_property *prop,
			 const struct cim_value *v)
{
	if (v == NULL || v->null) {
		add_prop_nil(b, prop->name);
		return;
	}
	/* An empty array is written as absent (docs/wsman-protocol.md,
	 * Instances). */
	for (size_t k = 0; k < v->count; k++) {
		add_prop_open(b, prop->name);
		add_item(b, prop->type, v->items[k]);
		add_prop_close(b, prop->name);
	}
}

void wsman_reply_instance(struct buf *b, const char *class_uri,
			  const struct cim_instance *inst,
			  const char *const *select, size_t nselect)
{
	const struct cim_class *cls = cim_instance_class(inst);
	const char *name = cim_class_name(cls);
	size_t n = cim_class_property_count(cls);

	/* p is redeclared on the element, as WinRM does: the envelope's p
	 * is the MS wsman namespace, the instance's p its class URI. */
	buf_adds(b, "<p:");
	add_name(b, name);
	buf_adds(b, " xmlns:p=\"");
	buf_add_xml(b, class_uri);
	buf_adds(b, "\" xmlns:xsi=\"" WSMAN_NS_XSI "\" xmlns:cim=\"" WSMAN_NS_CIM "\""
		 " xsi:type=\"p:");
	add_name(b, name);
	buf_adds(b, "_Type\">");
	for (size_t i = 0; i < n; i++) {
		const struct cim_property *prop = cim_class_property(cls, i);

		if (select != NULL && !(prop->flags & CIM_PROP_KEY) &&
		    !selected(prop->name, select, nselect))
			continue;
		add_property(b, prop, cim_instance_get(inst, i));
	}
	buf_adds(b, "</p:");
	add_name(b, name);
	buf_adds(b, ">");
}

void wsman_reply_fragment(struct buf *b, const char *class_uri,
			  const struct cim_instance *inst, size_t prop,
			  uint32_t item, bool text)
{
	const struct cim_property *p =
		cim_class_property(cim_instance_class(inst), prop);
	const struct cim_value *v = cim_instance_get(inst, prop);
	size_t first = item ? item - 1 : 0;
	size_t last = v == NULL || v->null ? 0 : item ? item : v->count;

	if (text) {
		buf_adds(b, "<w:XmlFragment>");
		for (size_t k = first; k < last; k++)
			buf_add_xml(b, v->items[k]);
		buf_adds(b, "</w:XmlFragment>");
		return;
	}
	/* p is the class's namespace inside the fragment, as in an
	 * instance; xsi and cim are declared on the envelope. */
	buf_adds(b, "<w:XmlFragment xmlns:p=\"");
	buf_add_xml(b, class_uri);
	buf_adds(b, "\">");
	if (v == NULL || v->null)
		add_prop_nil(b, p->name);
	for (size_t k = first; k < last; k++) {
		add_prop_open(b, p->name);
		add_item(b, p->type, v->items[k]);
		add_prop_close(b, p->name);
	}
	buf_adds(b, "</w:XmlFragment>");
}

static void add_selector(struct buf *b, const char *name, const char *value)
{
	buf_adds(b, "<w:Selector Name=\"");
	buf_add_xml(b, name);
	buf_adds(b, "\">");
	buf_add_xml(b, value ? value : "");
	buf_adds(b, "</w:Selector>");
}

void wsman_reply_epr(struct buf *b, const char *class_uri, const char *ns,
		     const struct cim_instance *inst)
{
	const struct cim_class *cls = cim_instance_class(inst);
	size_t n = cim_class_property_count(cls);

	buf_adds(b, "<a:EndpointReference><a:Address>" WSMAN_ADDR_ANONYMOUS
		 "</a:Address><a:ReferenceParameters>");
	add_elem(b, "w:ResourceURI", class_uri);
	buf_adds(b, "<w:SelectorSet>");
	for (size_t i = 0; i < n; i++) {
		const struct cim_property *prop = cim_class_property(cls, i);
		const struct cim_value *v;

		if (!(prop->flags & CIM_PROP_KEY))
			continue;
		v = cim_instance_get(inst, i);
		add_selector(b, prop->name, v != NULL && !v->null &&
			     v->count > 0 ? v->items[0] : "");
	}
	if (ns != NULL)
		add_selector(b, "__cimnamespace", ns);
	buf_adds(b, "</w:SelectorSet></a:ReferenceParameters>"
		 "</a:EndpointReference>");
}

void wsman_reply_item(struct buf *b, enum wsman_enum_mode mode,
		      const char *class_uri, const char *ns,
		      const struct cim_instance *inst,
		      const char *const *select, size_t nselect)
{
	switch (mode) {
	case WSMAN_ENUM_EPR:
		wsman_reply_epr(b, class_uri, ns, inst);
		break;
	case WSMAN_ENUM_OBJECT_AND_EPR:
		buf_adds(b, "<w:Item>");
		wsman_reply_instance(b, class_uri, inst, select, nselect);
		wsman_reply_epr(b, class_uri, ns, inst);
		buf_adds(b, "</w:Item>");
		break;
	case WSMAN_ENUM_OBJECTS:
	default:
		wsman_reply_instance(b, class_uri, inst, select, nselect);
		break;
	}
}

/* ---- enumeration ------------------------------------------------------ */

/* The context comes first (WS-Enumeration order). A finished optimized
 * enumeration carries an empty context, as the real WinRM sample does
 * (docs/wsman-protocol.md, Enumerate); wsl only keeps pulling on a
 * non-empty one. A response that is
 * not optimized always needs a context element: without items inline, an
 * empty one is the only honest answer for "nothing more". */
void wsman_reply_enumerate_open(struct buf *b, const char *context,
				bool optimized)
{
	buf_adds(b, "<n:EnumerateResponse>");
	add_elem(b, "n:EnumerationContext", context);
	if (optimized)
		buf_adds(b, "<w:Items>");
}

void wsman_reply_enumerate_close(struct buf *b, const char *context,
				 bool optimized)
{
	if (optimized) {
		buf_adds(b, "</w:Items>");
		if (context == NULL)
			buf_adds(b, "<w:EndOfSequence/>");
	}
	buf_adds(b, "</n:EnumerateResponse>");
}

/* The last PullResponse has no context at all (docs/wsman-protocol.md,
 * Pull and Release). */
void wsman_reply_pull_open(struct buf *b, const char *context)
{
	buf_adds(b, "<n:PullResponse>");
	if (context != NULL)
		add_elem(b, "n:EnumerationContext", context);
	buf_adds(b, "<n:Items>");
}

void wsman_reply_pull_close(struct buf *b, const char *context)
{
	buf_adds(b, "</n:Items>");
	if (context == NULL)
		buf_adds(b, "<n:EndOfSequence/>");
	buf_adds(b, "</n:PullResponse>");
}

void wsman_reply_release(struct buf *b)
{
	(void)b;
}

/* ---- invoke ----------------------------------------------------------- */

void wsman_reply_invoke(struct buf *b, const char *resource_uri,
			const char *method, uint32_t return_value,
			const struct wsman_kv *outs, size_t nouts)
{
	buf_adds(b, "<p:");
	add_name(b, method);
	buf_adds(b, "_OUTPUT xmlns:p=\"");
	buf_add_xml(b, resource_uri);
	buf_adds(b, "\">");
	for (size_t i = 0; i < nouts; i++) {
		if (outs[i].value == NULL) {
			add_prop_nil(b, outs[i].name);
			continue;
		}
		add_prop_open(b, outs[i].name);
		buf_add_xml(b, outs[i].value);
		add_prop_close(b, outs[i].name);
	}
	buf_addf(b, "<p:ReturnValue>%u</p:ReturnValue></p:", return_value);
	add_name(b, method);
	buf_adds(b, "_OUTPUT>");
}

void wsman_reply_invoke_output(struct buf *b, const char *resource_uri,
			       const char *method,
			       const struct cim_instance *out)
{
	const struct cim_class *cls = cim_instance_class(out);
	size_t n = cim_class_property_count(cls);

	buf_adds(b, "<p:");
	add_name(b, method);
	buf_adds(b, "_OUTPUT xmlns:p=\"");
	buf_add_xml(b, resource_uri);
	buf_adds(b, "\">");
	for (size_t i = 0; i < n; i++)
		add_property(b, cim_class_property(cls, i),
			     cim_instance_get(out, i));
	buf_adds(b, "</p:");
	add_name(b, method);
	buf_adds(b, "_OUTPUT>");
}

/* ---- faults ----------------------------------------------------------- */

static bool is_must_understand(const struct wsman_fault *f)
{
	return f->subcode == WSMAN_SUB_MUST_UNDERSTAND ||
	       f->subcode == WSMAN_SUB_NONE;
}

/* The addressing fault action for a:* subcodes and for s:MustUnderstand
 * (a recorded WinRM MustUnderstand fault uses it too), the WS-Man one for
 * everything else, n:InvalidEnumerationContext included: libmi rejects
 * the 2004/09 enumeration fault action (docs/wsman-protocol.md, Fault
 * envelope). */
static const char *fault_action(const struct wsman_fault *f,
				const char *subcode)
{
	/* WinRM's one a: fault under the wsman action: a timeout it cannot
	 * read (its error table, as OMI carries it). */
	if (f->detail != NULL &&
	    strcmp(f->detail, WSMAN_DETAIL_INVALID_TIMEOUT) == 0)
		return WSMAN_ACTION_WSMAN_FAULT;
	if (is_must_understand(f) ||
	    (subcode != NULL && strncmp(subcode, "a:", 2) == 0))
		return WSMAN_ACTION_ADDRESSING_FAULT;
	return WSMAN_ACTION_WSMAN_FAULT;
}

/* One MSFT_WmiError property with its cim: xsi:type; value NULL = nil. */
static void add_wmi_prop(struct buf *b, const char *name, const char *type,
			 const char *value)
{
	buf_addf(b, "<p:%s xsi:type=\"cim:%s\"", name, type);
	if (value == NULL) {
		buf_adds(b, " xsi:nil=\"true\"/>");
		return;
	}
	buf_adds(b, ">");
	buf_add_xml(b, value);
	buf_addf(b, "</p:%s>", name);
}

/* The MSFT_WmiError of docs/wsman-protocol.md (WMI error detail),
 * property by property as in the WinRM sample. */
static void add_wmi_error(struct buf *b, const struct wsman_fault *f,
			  const char *reason)
{
	char num[16], code[16], msgid[32];

	snprintf(num, sizeof(num), "%u", (unsigned)f->cim_status);
	snprintf(code, sizeof(code), "%u", (unsigned)f->code);
	snprintf(msgid, sizeof(msgid), "HRESULT 0x%08x", (unsigned)f->code);
	buf_adds(b, "<p:MSFT_WmiError b:IsCIM_Error=\"true\""
		 " xmlns:xsi=\"" WSMAN_NS_XSI "\" xmlns:b=\"" WSMAN_NS_CIMBIND "\""
		 " xmlns:p=\"" WMIERROR_URI "\" xmlns:cim=\"" WSMAN_NS_CIM "\""
		 " xsi:type=\"p:MSFT_WmiError_Type\">");
	add_wmi_prop(b, "CIMStatusCode", "cimUnsignedInt", num);
	add_wmi_prop(b, "CIMStatusCodeDescription", "cimString", NULL);
	add_wmi_prop(b, "ErrorSource", "cimString", NULL);
	add_wmi_prop(b, "ErrorSourceFormat", "cimUnsignedShort", "0");
	add_wmi_prop(b, "ErrorType", "cimUnsignedShort", "0");
	add_wmi_prop(b, "Message", "cimString", reason);
	add_wmi_prop(b, "MessageID", "cimString", msgid);
	add_wmi_prop(b, "OtherErrorSourceFormat", "cimString", NULL);
	add_wmi_prop(b, "OtherErrorType", "cimString", NULL);
	add_wmi_prop(b, "OwningEntity", "cimString", NULL);
	add_wmi_prop(b, "PerceivedSeverity", "cimUnsignedShort", "0");
	add_wmi_prop(b, "ProbableCause", "cimUnsignedShort", "0");
	add_wmi_prop(b, "ProbableCauseDescription", "cimString", NULL);
	snprintf(num, sizeof(num), "%u", WMIERROR_CATEGORY);
	add_wmi_prop(b, "error_Category", "cimUnsignedInt", num);
	add_wmi_prop(b, "error_Code", "cimUnsignedInt", code);
	add_wmi_prop(b, "error_Type", "cimString", "HRESULT");
	add_wmi_prop(b, "error_WindowsErrorMessage", "cimString", reason);
	buf_adds(b, "</p:MSFT_WmiError>");
}

static void add_sms_text(struct buf *b, const char *name, const char *value)
{
	if (value == NULL) {
		add_prop_nil(b, name);
		return;
	}
	add_prop_open(b, name);
	buf_add_xml(b, value);
	add_prop_close(b, name);
}

static void add_sms_status(struct buf *b, const struct wsman_sms_status *s)
{
	buf_adds(b, "<p:SMS_ExtendedStatus xmlns:p=\"" SMS_EXTSTATUS_URI "\""
		 " xmlns:xsi=\"" WSMAN_NS_XSI "\" xmlns:cim=\"" WSMAN_NS_CIM "\""
		 " xsi:type=\"p:SMS_ExtendedStatus_Type\">");
	add_sms_text(b, "Description", s->description);
	buf_addf(b, "<p:ErrorCode>%u</p:ErrorCode>", (unsigned)s->error_code);
	add_sms_text(b, "Operation", s->operation);
	add_sms_text(b, "ParameterInfo", s->parameter_info);
	add_sms_text(b, "ProviderName", s->provider_name);
	buf_adds(b, "</p:SMS_ExtendedStatus>");
}

static void add_fault_code(struct buf *b, const struct wsman_fault *f,
			   const char *subcode)
{
	buf_adds(b, "<s:Code><s:Value>");
	if (is_must_understand(f)) {
		buf_adds(b, "s:MustUnderstand</s:Value></s:Code>");
		return;
	}
	buf_adds(b, subcode == NULL || !wsman_subcode_is_sender(f->subcode) ?
		 "s:Receiver" : "s:Sender");
	buf_adds(b, "</s:Value>");
	if (subcode != NULL) {
		buf_adds(b, "<s:Subcode><s:Value>");
		buf_add_xml(b, subcode);
		buf_adds(b, "</s:Value></s:Subcode>");
	}
	buf_adds(b, "</s:Code>");
}

/* A MustUnderstand fault carries no WSManFault unless given a code: the
 * recorded WinRM one has no s:Detail at all. */
static void add_fault_detail(struct buf *b, const struct wsman_fault *f,
			     const char *reason, const char *machine)
{
	bool wsman_fault = !is_must_understand(f) || f->code != 0;

	if (f->detail == NULL && !wsman_fault && !f->wmi_error &&
	    f->sms == NULL)
		return;
	buf_adds(b, "<s:Detail>");
	if (f->detail != NULL) {
		buf_adds(b, "<w:FaultDetail>" WSMAN_FAULT_DETAIL_PREFIX);
		buf_add_xml(b, f->detail);
		buf_adds(b, "</w:FaultDetail>");
	}
	if (wsman_fault) {
		buf_addf(b, "<f:WSManFault xmlns:f=\"" WSMAN_NS_WSMANFAULT "\""
			 " Code=\"%u\" Machine=\"", (unsigned)f->code);
		buf_add_xml(b, machine != NULL ? machine : "localhost");
		buf_adds(b, "\"><f:Message>");
		buf_add_xml(b, reason);
		buf_adds(b, "</f:Message></f:WSManFault>");
	}
	if (f->wmi_error)
		add_wmi_error(b, f, reason);
	if (f->sms != NULL)
		add_sms_status(b, f->sms);
	buf_adds(b, "</s:Detail>");
}

void wsman_reply_fault(struct buf *b, const struct wsman_fault *f,
		       const char *message_id, const char *relates_to,
		       const char *machine)
{
	const char *subcode = is_must_understand(f) ? NULL :
		wsman_subcode_qname(f->subcode);
	const char *reason = f->reason != NULL ? f->reason :
		"The WS-Management service cannot process the request.";

	begin_envelope(b, fault_action(f, subcode), message_id, relates_to,
		       is_must_understand(f) ? f->not_understood : NULL,
		       is_must_understand(f) ? f->not_understood_ns : NULL, NULL);
	buf_adds(b, "<s:Fault>");
	add_fault_code(b, f, subcode);
	buf_adds(b, "<s:Reason><s:Text xml:lang=\"en-US\">");
	buf_add_xml(b, reason);
	buf_adds(b, "</s:Text></s:Reason>");
	add_fault_detail(b, f, reason, machine);
	buf_adds(b, "</s:Fault>");
	wsman_reply_end(b);
}
