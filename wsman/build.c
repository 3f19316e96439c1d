/* build: client request envelopes (see build.h). */
#include "build.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vocab.h"

#define MU " s:mustUnderstand=\"true\""

#define DEFAULT_MAX_ELEMENTS 32000u

char *wsman_format_uuid(const unsigned char bytes[16],
			char out[WSMAN_UUID_SIZE])
{
	unsigned char u[16];

	static const char hex[] = "0123456789ABCDEF";
	char *o = out;

	memcpy(u, bytes, sizeof(u));
	u[6] = (unsigned char)((u[6] & 0x0f) | 0x40);	/* version 4 */
	u[8] = (unsigned char)((u[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
	/* WSMAN_UUID_FORMAT by hand: the server writes one per answer, and
	 * snprintf of sixteen %02X cost it more than the rest of the
	 * header. */
	memcpy(o, "uuid:", 5);
	o += 5;
	for (int i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			*o++ = '-';
		*o++ = hex[u[i] >> 4];
		*o++ = hex[u[i] & 15];
	}
	*o = '\0';
	return out;
}

/* Method and parameter names become element names: anything that is not
 * a plain XML name would produce a broken (or injected) envelope. */
static bool xml_name_ok(const char *s)
{
	if (!s || !*s)
		return false;
	if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
	      *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' ||
		      *s == '.'))
			return false;
	return true;
}

static bool head_ok(const struct wsman_head *h)
{
	if (!h || !h->to || !h->resource_uri || !h->message_id)
		return false;
	if (h->nselectors && !h->selectors)
		return false;
	for (size_t i = 0; i < h->nselectors; i++)
		if (!h->selectors[i].name || !h->selectors[i].value)
			return false;
	return true;
}

/* xs:duration as MS-WSMV writes it: PT60.000S */
static void add_duration(struct buf *b, uint32_t ms)
{
	buf_addf(b, "PT%u.%03uS", ms / 1000, ms % 1000);
}

/* action_method, when not NULL, is appended to action after a '/': the
 * custom action of an Invoke is <ResourceURI>/<Method>. */
static void open_envelope(struct buf *b, const struct wsman_head *h,
			  const char *action, const char *action_method)
{
	const char *locale = h->locale ? h->locale : "en-US";

	buf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		 "<s:Envelope xmlns:s=\"" WSMAN_NS_SOAP "\""
		 " xmlns:a=\"" WSMAN_NS_ADDR "\""
		 " xmlns:n=\"" WSMAN_NS_ENUM "\""
		 " xmlns:w=\"" WSMAN_NS_WSMAN "\""
		 " xmlns:p=\"" WSMAN_NS_MSWSMAN "\">"
		 "<s:Header><a:To>");
	buf_add_xml(b, h->to);
	buf_adds(b, "</a:To><w:ResourceURI" MU ">");
	buf_add_xml(b, h->resource_uri);
	buf_adds(b, "</w:ResourceURI><a:ReplyTo><a:Address" MU ">"
		 WSMAN_ADDR_ANONYMOUS "</a:Address></a:ReplyTo><a:Action" MU ">");
	buf_add_xml(b, action);
	if (action_method) {
		buf_adds(b, "/");
		buf_add_xml(b, action_method);
	}
	buf_addf(b, "</a:Action><w:MaxEnvelopeSize" MU ">%u"
		 "</w:MaxEnvelopeSize><a:MessageID>",
		 h->max_envelope_size ? h->max_envelope_size
				      : WSMAN_DEFAULT_MAX_ENVELOPE);
	buf_add_xml(b, h->message_id);
	buf_adds(b, "</a:MessageID><w:Locale xml:lang=\"");
	buf_add_xml(b, locale);
	buf_adds(b, "\" s:mustUnderstand=\"false\"/><p:DataLocale xml:lang=\"");
	buf_add_xml(b, locale);
	buf_adds(b, "\" s:mustUnderstand=\"false\"/>");
	if (h->operation_timeout_ms) {
		buf_adds(b, "<w:OperationTimeout>");
		add_duration(b, h->operation_timeout_ms);
		buf_adds(b, "</w:OperationTimeout>");
	}
	if (h->nselectors) {
		buf_adds(b, "<w:SelectorSet>");
		for (size_t i = 0; i < h->nselectors; i++) {
			buf_adds(b, "<w:Selector Name=\"");
			buf_add_xml(b, h->selectors[i].name);
			buf_adds(b, "\">");
			buf_add_xml(b, h->selectors[i].value);
			buf_adds(b, "</w:Selector>");
		}
		buf_adds(b, "</w:SelectorSet>");
	}
	buf_adds(b, "</s:Header><s:Body>");
}

static int close_envelope(struct buf *b)
{
	buf_adds(b, "</s:Body></s:Envelope>");
	return buf_error(b);
}

int wsman_build_identify(struct buf *b)
{
	buf_adds(b, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		 "<s:Envelope xmlns:s=\"" WSMAN_NS_SOAP "\""
		 " xmlns:wsmid=\"" WSMAN_NS_IDENT "\">"
		 "<s:Header/><s:Body><wsmid:Identify/></s:Body></s:Envelope>");
	return buf_error(b);
}

int wsman_build_get(struct buf *b, const struct wsman_head *h)
{
	if (!head_ok(h))
		return -EINVAL;
	open_envelope(b, h, WSMAN_ACTION_GET, NULL);
	return close_envelope(b);
}

int wsman_build_enumerate(struct buf *b, const struct wsman_head *h,
			  const char *dialect, const char *filter,
			  bool optimize, uint32_t max_elements)
{
	if (!head_ok(h) || (!dialect) != (!filter))
		return -EINVAL;
	open_envelope(b, h, WSMAN_ACTION_ENUMERATE, NULL);
	buf_adds(b, "<n:Enumerate>");
	if (optimize)
		buf_addf(b, "<w:OptimizeEnumeration/>"
			 "<w:MaxElements>%u</w:MaxElements>",
			 max_elements ? max_elements : DEFAULT_MAX_ELEMENTS);
	if (filter) {
		buf_adds(b, "<w:Filter Dialect=\"");
		buf_add_xml(b, dialect);
		buf_adds(b, "\">");
		buf_add_xml(b, filter);
		buf_adds(b, "</w:Filter>");
	}
	buf_adds(b, "</n:Enumerate>");
	return close_envelope(b);
}

int wsman_build_pull(struct buf *b, const struct wsman_head *h,
		     const char *context, uint32_t max_elements)
{
	if (!head_ok(h) || !context)
		return -EINVAL;
	open_envelope(b, h, WSMAN_ACTION_PULL, NULL);
	buf_adds(b, "<n:Pull><n:EnumerationContext>");
	buf_add_xml(b, context);
	buf_addf(b, "</n:EnumerationContext><n:MaxElements>%u"
		 "</n:MaxElements></n:Pull>",
		 max_elements ? max_elements : DEFAULT_MAX_ELEMENTS);
	return close_envelope(b);
}

int wsman_build_release(struct buf *b, const struct wsman_head *h,
			const char *context)
{
	if (!head_ok(h) || !context)
		return -EINVAL;
	open_envelope(b, h, WSMAN_ACTION_RELEASE, NULL);
	buf_adds(b, "<n:Release><n:EnumerationContext>");
	buf_add_xml(b, context);
	buf_adds(b, "</n:EnumerationContext></n:Release>");
	return close_envelope(b);
}

int wsman_build_invoke(struct buf *b, const struct wsman_head *h,
		       const char *method, const struct wsman_pair *params,
		       size_t nparams)
{
	if (!head_ok(h) || !xml_name_ok(method) || (nparams && !params))
		return -EINVAL;
	for (size_t i = 0; i < nparams; i++)
		if (!xml_name_ok(params[i].name))
			return -EINVAL;
	open_envelope(b, h, h->resource_uri, method);
	/* p is re-declared as the class URI, as WinRM clients do. */
	buf_addf(b, "<p:%s_INPUT xmlns:p=\"", method);
	buf_add_xml(b, h->resource_uri);
	buf_adds(b, "\">");
	for (size_t i = 0; i < nparams; i++) {
		if (!params[i].value) {
			buf_addf(b, "<p:%s xmlns:xsi=\"" WSMAN_NS_XSI "\""
				 " xsi:nil=\"true\"/>", params[i].name);
			continue;
		}
		buf_addf(b, "<p:%s>", params[i].name);
		buf_add_xml(b, params[i].value);
		buf_addf(b, "</p:%s>", params[i].name);
	}
	buf_addf(b, "</p:%s_INPUT>", method);
	return close_envelope(b);
}
