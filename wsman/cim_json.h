/* cim_json: CIM values as OData JSON carries them, and back.
 *
 * The one place that decides how a CIM type looks in JSON, for the
 * AdminService front end (which writes instances and reads method
 * parameters) and for a client that reads AdminService answers:
 *
 *   CIM type                 JSON                     Edm type ($metadata)
 *   string, char16           string                   Edm.String
 *   boolean                  true / false             Edm.Boolean
 *   uint8                    number                   Edm.Byte
 *   sint8                    number                   Edm.SByte
 *   sint16                   number                   Edm.Int16
 *   uint16, sint32           number                   Edm.Int32
 *   uint32, sint64, uint64   number                   Edm.Int64
 *   real32                   number                   Edm.Single
 *   real64                   number                   Edm.Double
 *   datetime                 string, ISO 8601         Edm.DateTimeOffset
 *
 * A NULL value is JSON null, an array a JSON array of its items (an
 * empty array []), each item as its type says. A uint64 above
 * 9223372036854775807 does not fit Edm.Int64 nor a JSON integer that
 * every reader takes: it is written as a string of its digits (as OData
 * writes 64-bit numbers for IEEE754Compatible readers), and read back
 * from one.
 *
 * Reading is strict, as an OData service reads a payload: a number for
 * an integer type (in the type's range, no fraction), a string for a
 * string, true/false for a boolean, a string in ISO 8601 for a
 * datetime; the text "1" is not a number. Uses jansson.
 */
#ifndef DPSIM_WSMAN_CIM_JSON_H
#define DPSIM_WSMAN_CIM_JSON_H

#include <stdbool.h>

#include <jansson.h>

#include "cim.h"

/* "Edm.Int64", ... for a scalar of type t. */
const char *cim_json_edm_type(enum cim_type t);

/* One item in canonical text (cim.h) as JSON of type t: a new
 * reference, NULL when out of memory. Text that is not canonical for t
 * (which the model never holds) is written as a string. */
json_t *cim_json_item(enum cim_type t, const char *text);

/* A property's value: null, one item, or (array) a JSON array of the
 * items. v NULL is null. A new reference, NULL when out of memory. */
json_t *cim_json_value(enum cim_type t, bool array, const struct cim_value *v);

/* A JSON scalar as canonical text of type t (for a method parameter or
 * a key): on success 0 and *out (malloc'd). -EINVAL with *why a static
 * phrase that completes "... is ..." ("a string, not a number", "out of
 * range for uint32", ...), or -ENOMEM. JSON null is -EINVAL here: the
 * caller decides what null means. */
int cim_json_to_text(enum cim_type t, const json_t *v, char **out,
		     const char **why);

/* The JSON type of v in words, for messages: "a string", "a number",
 * "an object", ... */
const char *cim_json_kind(const json_t *v);

#endif
