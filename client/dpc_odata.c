/* dpc_odata: OData JSON <-> libdpclient's structs (see dpc_odata.h). */
#include "dpc_odata.h"
#include "dpc_error.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cim_json.h"
#include "hresult.h"

/* ---- writing ------------------------------------------------------------ */

void dpco_add_string(struct buf *b, const char *s)
{
	buf_adds(b, "'");
	for (const char *q; (q = strchr(s, '\'')); s = q + 1) {
		buf_add(b, s, (size_t)(q - s) + 1);
		buf_adds(b, "'");
	}
	buf_adds(b, s);
	buf_adds(b, "'");
}

bool dpco_is_name(const char *s)
{
	if (!s || !((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		    *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

char *dpco_match_filter(const char *prop, enum dpci_match match,
			const char *value)
{
	struct buf b;

	if (match == DPCI_MATCH_ALL)
		return NULL;
	buf_init(&b, 0);
	if (match == DPCI_MATCH_PREFIX)
		buf_addf(&b, "startswith(%s,", prop);
	else
		buf_addf(&b, "%s eq ", prop);
	dpco_add_string(&b, value);
	if (match == DPCI_MATCH_PREFIX)
		buf_adds(&b, ")");
	return buf_take(&b, NULL);
}

char *dpco_key_segment(const char *const *names, const char *const *values,
		       size_t n)
{
	struct buf b, lit;
	char *esc;

	buf_init(&b, 0);
	buf_init(&lit, 0);
	buf_adds(&b, "(");
	for (size_t i = 0; i < n; i++) {
		buf_reset(&lit);
		dpco_add_string(&lit, values[i]);
		esc = buf_error(&lit) ? NULL : dpc_url_escape(buf_ptr(&lit));
		if (!esc) {
			buf_free(&lit);
			buf_free(&b);
			return NULL;
		}
		buf_addf(&b, "%s%s=%s", i ? "," : "", names[i], esc);
		free(esc);
	}
	buf_adds(&b, ")");
	buf_free(&lit);
	return buf_take(&b, NULL);
}

char *dpco_params_body(const struct dpc_param *params, size_t n)
{
	json_t *o = json_object();
	char num[16], *text;

	for (size_t i = 0; o && i < n; i++) {
		const struct dpc_param *p = &params[i];
		json_t *v;

		if (p->type == DPC_PARAM_UINT32) {
			snprintf(num, sizeof(num), "%" PRIu32, p->u32);
			v = cim_json_item(CIM_UINT32, num);
		} else if (p->type == DPC_PARAM_STRING) {
			v = cim_json_item(CIM_STRING, p->str ? p->str : "");
		} else {
			v = json_null();
		}
		if (!v || json_object_set_new(o, p->name, v)) {
			json_decref(o);
			return NULL;
		}
	}
	if (!o)
		return NULL;
	text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return text;
}

/* ---- values --------------------------------------------------------------- */

/* One JSON scalar as the text WS-Man would carry (cim.h's canonical
 * forms), by the JSON kind. malloc'd; NULL when out of memory. */
static char *scalar_text(const json_t *v)
{
	enum cim_type t;
	char *out = NULL;

	switch (json_typeof(v)) {
	case JSON_STRING:
		t = CIM_STRING;
		break;
	case JSON_TRUE:
	case JSON_FALSE:
		t = CIM_BOOLEAN;
		break;
	case JSON_INTEGER:
		t = CIM_SINT64;
		break;
	case JSON_REAL:
		t = CIM_REAL64;
		break;
	default:
		/* An embedded object, or an array inside an array. */
		return json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER |
				     JSON_ENCODE_ANY);
	}
	if (cim_json_to_text(t, v, &out, NULL) == 0)
		return out;
	/* Text the model would not take (a string with a NUL): as is. */
	return json_is_string(v) ? strdup(json_string_value(v))
				 : json_dumps(v, JSON_ENCODE_ANY);
}

static void prop_free(struct dpc_property *p)
{
	for (size_t i = 0; i < p->nvalues; i++)
		free(p->values[i]);
	free(p->values);
	free(p->name);
	memset(p, 0, sizeof(*p));
}

/* name = v as a property; an empty array is no property (*skip). */
static int prop_from_json(const char *name, const json_t *v,
			  struct dpc_property *p, bool *skip)
{
	size_t n = json_is_array(v) ? json_array_size(v) : 1;

	memset(p, 0, sizeof(*p));
	*skip = json_is_array(v) && n == 0;
	if (*skip)
		return 0;
	p->name = strdup(name);
	p->values = calloc(n, sizeof(*p->values));
	if (!p->name || !p->values)
		goto nomem;
	if (json_is_null(v)) {
		p->null = true;
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		p->values[i] = scalar_text(json_is_array(v)
					   ? json_array_get(v, i) : v);
		if (!p->values[i])
			goto nomem;
		p->nvalues = i + 1;
	}
	return 0;
nomem:
	prop_free(p);
	return -ENOMEM;
}

/* A member WinRM would not send: an annotation or a system property. */
static bool hidden_member(const char *name)
{
	return strchr(name, '@') || strncmp(name, "__", 2) == 0;
}

/* Whether __RELPATH (Class.K1="v",K2=7, or Class=@) names key name. */
static bool relpath_has_key(const char *relpath, const char *name)
{
	const char *p = relpath ? strchr(relpath, '.') : NULL;
	size_t n = strlen(name);

	if (!p)
		return false;
	for (p++; *p;) {
		const char *eq = strchr(p, '=');

		if (!eq)
			return false;
		if ((size_t)(eq - p) == n && strncasecmp(p, name, n) == 0)
			return true;
		p = eq + 1;
		if (*p == '"') {
			/* A string key: \" and \\ are escapes inside it. */
			for (p++; *p && *p != '"'; p++)
				if (*p == '\\' && p[1])
					p++;
			if (*p)
				p++;
		} else {
			p += strcspn(p, ",");
		}
		if (*p != ',')
			return false;
		p++;
	}
	return false;
}

static bool selected(const struct dpco_read *how, const char *name,
		     const char *relpath)
{
	for (size_t i = 0; i < how->nselect; i++)
		if (strcasecmp(how->select[i], name) == 0)
			return true;
	return relpath_has_key(relpath, name);
}

/* "root\sms" and "root/SMS" are one namespace. */
static bool same_ns(const char *a, const char *b)
{
	for (; *a && *b; a++, b++) {
		int x = *a == '\\' ? '/' : tolower((unsigned char)*a);
		int y = *b == '\\' ? '/' : tolower((unsigned char)*b);

		if (x != y)
			return false;
	}
	return !*a && !*b;
}

static void ns_backslashes(const char *ns, char *out, size_t size)
{
	snprintf(out, size, "%s", ns);
	for (char *p = out; *p; p++)
		if (*p == '/')
			*p = '\\';
}

/* One item of a collection as an instance. */
static enum dpc_code item_to_instance(const json_t *item,
				      const struct dpco_read *how,
				      struct dpc_instance *out,
				      struct dpc_error *err)
{
	const char *cls = json_string_value(json_object_get(item, "__CLASS"));
	const char *ns = json_string_value(json_object_get(item, "__NAMESPACE"));
	const char *relpath = json_string_value(json_object_get(item,
								"__RELPATH"));
	const char *key;
	json_t *v;

	memset(out, 0, sizeof(*out));
	if (how->ns && ns && !same_ns(how->ns, ns)) {
		char want[128];

		ns_backslashes(how->ns, want, sizeof(want));
		return dpci_fail(err, DPC_E_NOT_FOUND,
				 "%s is in namespace %s on this AdminService, "
				 "not in %s", cls ? cls : how->cls, ns, want);
	}
	for (size_t i = 0; i < how->nselect; i++) {
		bool found = false;

		json_object_foreach((json_t *)item, key, v)
			if (!hidden_member(key) &&
			    strcasecmp(key, how->select[i]) == 0)
				found = true;
		if (!found)
			return dpci_fail(err, DPC_E_NOT_FOUND,
					 "no property '%s' in class %s",
					 how->select[i], cls ? cls : how->cls);
	}
	out->class_name = strdup(cls ? cls : how->cls);
	out->props = calloc(json_object_size(item) + 1, sizeof(*out->props));
	if (!out->class_name || !out->props)
		goto nomem;
	json_object_foreach((json_t *)item, key, v) {
		bool skip;

		if (hidden_member(key) ||
		    (how->select && !selected(how, key, relpath)))
			continue;
		if (prop_from_json(key, v, &out->props[out->nprops], &skip))
			goto nomem;
		if (!skip)
			out->nprops++;
	}
	return DPC_OK;
nomem:
	dpc_instance_clear(out);
	return dpci_fail(err, DPC_E_NOMEM, "out of memory");
}

static json_t *load(const char *body, size_t len, struct dpc_error *err)
{
	json_error_t je;
	json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);

	if (!j)
		dpci_fail(err, DPC_E_PROTOCOL,
			  "unreadable answer: %s (line %d, column %d)", je.text,
			  je.line, je.column);
	return j;
}

enum dpc_code dpco_read_instances(const char *body, size_t len,
				  const struct dpco_read *how,
				  struct dpc_instance_list *out,
				  char **next_link, struct dpc_error *err)
{
	json_t *doc, *value;
	const char *next;
	enum dpc_code code = DPC_OK;
	size_t n;

	if (next_link)
		*next_link = NULL;
	doc = load(body, len, err);
	if (!doc)
		return DPC_E_PROTOCOL;
	value = json_object_get(doc, "value");
	next = json_string_value(json_object_get(doc, "@odata.nextLink"));
	if (!json_is_object(doc) || !json_is_array(value)) {
		json_decref(doc);
		return dpci_fail(err, DPC_E_PROTOCOL,
				 "expected an OData collection, "
				 "{\"value\": [...]}");
	}
	n = json_array_size(value);
	if (n) {
		struct dpc_instance *p = realloc(out->items, (out->count + n) *
						 sizeof(*p));

		if (!p) {
			json_decref(doc);
			return dpci_fail(err, DPC_E_NOMEM, "out of memory");
		}
		out->items = p;
	}
	for (size_t i = 0; i < n && !code; i++) {
		const json_t *item = json_array_get(value, i);

		if (!json_is_object(item))
			code = dpci_fail(err, DPC_E_PROTOCOL,
					 "item %zu of the collection is %s, "
					 "not an object", i,
					 cim_json_kind(item));
		else
			code = item_to_instance(item, how,
						&out->items[out->count], err);
		if (!code)
			out->count++;
	}
	if (!code && next && next_link && !(*next_link = strdup(next)))
		code = dpci_fail(err, DPC_E_NOMEM, "out of memory");
	json_decref(doc);
	return code;
}

/* ReturnValue: a uint32, or a sint32's negative value as its bits. */
static bool return_value(const json_t *v, uint32_t *rv)
{
	json_int_t i;

	if (!json_is_integer(v))
		return false;
	i = json_integer_value(v);
	if (i < INT32_MIN || i > (json_int_t)UINT32_MAX)
		return false;
	*rv = i < 0 ? (uint32_t)(int32_t)i : (uint32_t)i;
	return true;
}

enum dpc_code dpco_read_output(const char *body, size_t len,
			       const char *method, struct dpc_instance *out,
			       uint32_t *rv, bool *has_rv,
			       struct dpc_error *err)
{
	json_t *doc, *v;
	const char *key;
	size_t cls_len = strlen(method) + sizeof("_OUTPUT");

	*rv = 0;
	*has_rv = false;
	if (out)
		memset(out, 0, sizeof(*out));
	doc = load(body, len, err);
	if (!doc)
		return DPC_E_PROTOCOL;
	if (!json_is_object(doc)) {
		json_decref(doc);
		return dpci_fail(err, DPC_E_PROTOCOL,
				 "expected %s's out-parameters object", method);
	}
	v = json_object_get(doc, "ReturnValue");
	if (v && !(*has_rv = return_value(v, rv))) {
		json_decref(doc);
		return dpci_fail(err, DPC_E_PROTOCOL,
				 "%s returned a ReturnValue that is not a number",
				 method);
	}
	if (!out) {
		json_decref(doc);
		return DPC_OK;
	}
	out->class_name = malloc(cls_len);
	out->props = calloc(json_object_size(doc) + 1, sizeof(*out->props));
	if (!out->class_name || !out->props)
		goto nomem;
	snprintf(out->class_name, cls_len, "%s_OUTPUT", method);
	json_object_foreach(doc, key, v) {
		bool skip;

		if (hidden_member(key))
			continue;
		if (prop_from_json(key, v, &out->props[out->nprops], &skip))
			goto nomem;
		if (!skip)
			out->nprops++;
	}
	json_decref(doc);
	return DPC_OK;
nomem:
	json_decref(doc);
	dpc_instance_clear(out);
	return dpci_fail(err, DPC_E_NOMEM, "out of memory");
}

/* "0x80041002" or 2147749890 -> the HRESULT; false when neither. */
static bool hresult_of(const json_t *v, uint32_t *out)
{
	const char *s = json_string_value(v);
	unsigned long long x;
	char *end;

	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);

		if (i < INT32_MIN || i > (json_int_t)UINT32_MAX)
			return false;
		*out = i < 0 ? (uint32_t)(int32_t)i : (uint32_t)i;
		return true;
	}
	if (!s || strncasecmp(s, "0x", 2) != 0 || !s[2])
		return false;
	errno = 0;
	x = strtoull(s + 2, &end, 16);
	if (*end || errno || x > UINT32_MAX)
		return false;
	*out = (uint32_t)x;
	return true;
}

static const char *nonempty(const json_t *v)
{
	const char *s = json_string_value(v);

	return s && *s ? s : NULL;
}

enum dpc_code dpco_read_error(const char *body, size_t len,
			      struct dpc_error *err)
{
	json_t *doc = json_loadb(body, len, 0, NULL);
	json_t *e = json_object_get(doc, "error");
	json_t *inner = json_object_get(e, "innererror");
	const char *msg;
	uint32_t hr = 0;

	if (!json_is_object(e)) {
		json_decref(doc);
		return DPC_OK;
	}
	if (hresult_of(json_object_get(inner, "hresult"), &hr) && hr) {
		err->hresult = hr;
		err->hresult_name = dpci_hresult_name(hr);
	}
	msg = nonempty(json_object_get(inner, "message"));
	if (!msg)
		msg = nonempty(json_object_get(e, "message"));
	if (!msg && hr && hresult_lookup(hr))
		msg = hresult_lookup(hr)->message;
	dpci_fail(err, DPC_E_PROVIDER, "%s",
		  msg ? msg : "The server answered an OData error.");
	json_decref(doc);
	return DPC_E_PROVIDER;
}

enum dpc_code dpco_read_service(const char *body, size_t len,
				const char *odata_version,
				struct dpc_identity *out, struct dpc_error *err)
{
	json_t *doc;
	bool ok;

	memset(out, 0, sizeof(*out));
	doc = load(body, len, err);
	if (!doc)
		return DPC_E_PROTOCOL;
	ok = json_is_string(json_object_get(doc, "@odata.context")) &&
	     json_is_array(json_object_get(doc, "value"));
	json_decref(doc);
	if (!ok)
		return dpci_fail(err, DPC_E_PROTOCOL,
				 "expected the AdminService's service document "
				 "({\"@odata.context\", \"value\"})");
	if (asprintf(&out->protocol_version, "OData %s",
		     odata_version && *odata_version ? odata_version
						     : "4.0") < 0) {
		out->protocol_version = NULL;
		return dpci_fail(err, DPC_E_NOMEM, "out of memory");
	}
	return DPC_OK;
}
