#include "cim_json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cim_json_edm_type(enum cim_type t)
{
	switch (t) {
	case CIM_STRING:
	case CIM_CHAR16:
		return "Edm.String";
	case CIM_BOOLEAN:
		return "Edm.Boolean";
	case CIM_UINT8:
		return "Edm.Byte";
	case CIM_SINT8:
		return "Edm.SByte";
	case CIM_SINT16:
		return "Edm.Int16";
	case CIM_UINT16:
	case CIM_SINT32:
		return "Edm.Int32";
	case CIM_UINT32:
	case CIM_SINT64:
	case CIM_UINT64:
		return "Edm.Int64";
	case CIM_REAL32:
		return "Edm.Single";
	case CIM_REAL64:
		return "Edm.Double";
	case CIM_DATETIME:
		return "Edm.DateTimeOffset";
	}
	return "Edm.String";
}

/* A string JSON can carry: the model's text is UTF-8, but a value that
 * is not must cost a '?' per byte, never the whole answer. */
static json_t *string_item(const char *text)
{
	json_t *s = json_string(text);
	char *copy;

	if (s)
		return s;
	copy = strdup(text);
	if (!copy)
		return NULL;
	for (char *p = copy; *p; p++)
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	s = json_string(copy);
	free(copy);
	return s;
}

json_t *cim_json_item(enum cim_type t, const char *text)
{
	int64_t i;
	uint64_t u;
	double d;
	bool b;

	if (!text)
		return json_null();
	switch (t) {
	case CIM_BOOLEAN:
		if (!cim_text_to_bool(text, &b))
			return json_boolean(b);
		break;
	case CIM_REAL32:
	case CIM_REAL64:
		if (!cim_text_to_double(text, &d))
			return json_real(d);
		break;
	case CIM_UINT8:
	case CIM_UINT16:
	case CIM_UINT32:
	case CIM_UINT64:
		if (!cim_text_to_u64(text, &u)) {
			/* Past Edm.Int64: its digits, as a string. */
			if (u > (uint64_t)INT64_MAX)
				break;
			return json_integer((json_int_t)u);
		}
		break;
	case CIM_SINT8:
	case CIM_SINT16:
	case CIM_SINT32:
	case CIM_SINT64:
		if (!cim_text_to_i64(text, &i))
			return json_integer((json_int_t)i);
		break;
	case CIM_STRING:
	case CIM_CHAR16:
	case CIM_DATETIME:
		break;
	}
	return string_item(text);
}

json_t *cim_json_value(enum cim_type t, bool array, const struct cim_value *v)
{
	json_t *arr;

	if (!v || v->null)
		return json_null();
	if (!array)
		return cim_json_item(t, v->count ? v->items[0] : NULL);
	arr = json_array();
	for (size_t i = 0; arr && i < v->count; i++) {
		json_t *item = cim_json_item(t, v->items[i]);

		if (!item || json_array_append_new(arr, item)) {
			json_decref(arr);
			return NULL;
		}
	}
	return arr;
}

const char *cim_json_kind(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "a number";
	case JSON_REAL: return "a number with a fraction";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	case JSON_NULL: return "null";
	}
	return "a JSON value";
}

static int refuse(const char **why, const char *text)
{
	if (why)
		*why = text;
	return -EINVAL;
}

/* text through the model's own check of type t. */
static int canonical(enum cim_type t, const char *text, char **out,
		     const char **why)
{
	const char *w = NULL;
	int r = cim_value_canonical(t, text, out, &w);

	if (r == -EINVAL)
		return refuse(why, w ? w : "not a valid value");
	return r;
}

int cim_json_to_text(enum cim_type t, const json_t *v, char **out,
		     const char **why)
{
	char num[64];

	*out = NULL;
	if (!v || json_is_null(v))
		return refuse(why, "null");
	switch (t) {
	case CIM_STRING:
	case CIM_CHAR16:
	case CIM_DATETIME:
		if (!json_is_string(v))
			return refuse(why, t == CIM_DATETIME
				      ? "not a string (a datetime is written "
					"as an ISO 8601 string)"
				      : "not a string");
		return canonical(t, json_string_value(v), out, why);
	case CIM_BOOLEAN:
		if (!json_is_boolean(v))
			return refuse(why, "not a boolean (true or false)");
		return canonical(t, json_is_true(v) ? "true" : "false", out, why);
	case CIM_REAL32:
	case CIM_REAL64:
		if (!json_is_number(v))
			return refuse(why, "not a number");
		snprintf(num, sizeof(num), "%.17g", json_number_value(v));
		return canonical(t, num, out, why);
	default:
		/* The digits of a uint64 past Edm.Int64, as written. */
		if (t == CIM_UINT64 && json_is_string(v)) {
			uint64_t u;

			if (cim_text_to_u64(json_string_value(v), &u) ||
			    u <= (uint64_t)INT64_MAX)
				return refuse(why, "not a number");
			return canonical(t, json_string_value(v), out, why);
		}
		if (json_is_real(v))
			return refuse(why, "not a whole number");
		if (!json_is_integer(v))
			return refuse(why, "not a number");
		snprintf(num, sizeof(num), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(v));
		return canonical(t, num, out, why);
	}
}
