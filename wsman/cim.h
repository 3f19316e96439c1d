/* cim: CIM classes and instances as dpsim serves them, with values kept in
 * their canonical text form.
 *
 * Every value is text because every consumer wants text: the WS-Man writer
 * escapes it into XML, WQL compares it after converting by the property's
 * type, the fixture loader reads it from XML. Canonical forms:
 *   string, char16   as is (UTF-8)
 *   boolean          "true" / "false"
 *   [su]int8..64     decimal, no leading '+' or zeros
 *   real32/64        decimal as printed by "%.17g" (or the fixture's text)
 *   datetime         ISO 8601 as cim:Datetime carries it, e.g.
 *                    "2024-05-01T10:00:00Z" or "2014-04-03T14:45:50.46875+08:00"
 * A property value is NULL (xsi:nil) or a list of items; a scalar has one
 * item, an array any number (an empty array is written as absent).
 */
#ifndef DPSIM_WSMAN_CIM_H
#define DPSIM_WSMAN_CIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cim_type {
	CIM_STRING,
	CIM_BOOLEAN,
	CIM_UINT8, CIM_SINT8,
	CIM_UINT16, CIM_SINT16,
	CIM_UINT32, CIM_SINT32,
	CIM_UINT64, CIM_SINT64,
	CIM_REAL32, CIM_REAL64,
	CIM_DATETIME,
	CIM_CHAR16,
};

/* "string", "boolean", "uint32", ... (the MOF spelling). */
const char *cim_type_name(enum cim_type t);
/* Parses a MOF type name, case-insensitively. 0 or -EINVAL. */
int cim_type_parse(const char *name, enum cim_type *out);
bool cim_type_is_integer(enum cim_type t);
bool cim_type_is_signed(enum cim_type t);
bool cim_type_is_real(enum cim_type t);

/* Converts text to the canonical form of type t.
 * Booleans accept true/false/1/0 in any case; integers must be decimal and
 * in range for the type; datetimes accept ISO 8601 and the DMTF
 * yyyymmddHHMMSS.mmmmmmsUUU form. On success *out is a malloc'd string the
 * caller frees; on failure returns -EINVAL (or -ENOMEM) and, if why is not
 * NULL, points it at a static reason ("out of range for uint32", ...). */
int cim_value_canonical(enum cim_type t, const char *text, char **out,
			const char **why);

/* Integer/real/boolean views of canonical text; 0 or -EINVAL. */
int cim_text_to_i64(const char *s, int64_t *out);
int cim_text_to_u64(const char *s, uint64_t *out);
int cim_text_to_double(const char *s, double *out);
int cim_text_to_bool(const char *s, bool *out);

/* ---- classes ---------------------------------------------------------- */

#define CIM_PROP_KEY	0x1u
#define CIM_PROP_ARRAY	0x2u

struct cim_property {
	char *name;
	enum cim_type type;
	unsigned flags;		/* CIM_PROP_* */
};

struct cim_class;

/* Namespace as given ("root/sms/site_PS1"; '\' is turned into '/'), class
 * name as given. NULL on allocation failure. Free with cim_class_free(). */
struct cim_class *cim_class_new(const char *ns, const char *name);
void cim_class_free(struct cim_class *c);

/* Adds a property; its index is the number of properties before it.
 * Returns the index, -EEXIST if the name (case-insensitively) is taken, or
 * -ENOMEM. */
int cim_class_add_property(struct cim_class *c, const char *name,
			   enum cim_type type, unsigned flags);

const char *cim_class_name(const struct cim_class *c);
const char *cim_class_namespace(const struct cim_class *c);
size_t cim_class_property_count(const struct cim_class *c);
/* Borrowed; valid as long as the class. */
const struct cim_property *cim_class_property(const struct cim_class *c,
					      size_t i);
/* Index of the property named name (case-insensitive) or -1. */
int cim_class_find_property(const struct cim_class *c, const char *name);
size_t cim_class_key_count(const struct cim_class *c);

/* ---- methods ---------------------------------------------------------- */

/* A method parameter's direction; a parameter declared [in, out] has
 * both. Bits apart from CIM_PROP_*, which a parameter shares
 * (CIM_PROP_ARRAY). */
#define CIM_PARAM_IN	0x4u
#define CIM_PARAM_OUT	0x8u

/* A parameter as declared: name, type, and CIM_PARAM_IN and/or
 * CIM_PARAM_OUT, with CIM_PROP_ARRAY for an array ("string ChainedDPs[]"). */
struct cim_param {
	const char *name;
	enum cim_type type;
	unsigned flags;
};

struct cim_method;
struct cim_instance;

/* Declares method name on c, with return type ret and the n parameters
 * in MOF order (everything copied). 0, or -EEXIST (c has a method of that
 * name ignoring case, two parameters share a name, or a parameter is
 * named ReturnValue), -EINVAL (no name, an unknown type, a parameter
 * neither in nor out, flags other than these), -ENOMEM. */
int cim_class_add_method(struct cim_class *c, const char *name,
			 enum cim_type ret, const struct cim_param *params,
			 size_t n);
size_t cim_class_method_count(const struct cim_class *c);
/* Borrowed; valid as long as the class. NULL past the end. */
const struct cim_method *cim_class_method(const struct cim_class *c,
					  size_t i);
/* The method named name (ignoring case), or NULL. Borrowed. */
const struct cim_method *cim_class_find_method(const struct cim_class *c,
					       const char *name);

/* The name as declared (not as a caller spelled it). */
const char *cim_method_name(const struct cim_method *m);
enum cim_type cim_method_return_type(const struct cim_method *m);
size_t cim_method_param_count(const struct cim_method *m);
/* Borrowed; valid as long as the class. NULL past the end. */
const struct cim_param *cim_method_param(const struct cim_method *m,
					 size_t i);
/* Index of parameter name (ignoring case), or -1. */
int cim_method_find_param(const struct cim_method *m, const char *name);

/* What a call of m answers, as WMI's out-parameters object
 * (__PARAMETERS): a class with m's out parameters as properties, in
 * declaration order, then ReturnValue of m's return type. A call fills
 * an instance of it (cim_instance_new). Borrowed; valid as long as the
 * class of m. */
const struct cim_class *cim_method_output_class(const struct cim_method *m);
/* Sets ReturnValue of out (an instance of m's output class) to the 32
 * bits rv read as m's return type, so that an HRESULT returned by a
 * sint32 method reads as WMI writes it (0x80041001 is -2147217407).
 * 0, -ERANGE (rv does not fit the type), -EINVAL (out is not an
 * instance of m's output class), -ENOMEM. */
int cim_method_set_return(const struct cim_method *m,
			  struct cim_instance *out, uint32_t rv);

/* ---- instances -------------------------------------------------------- */

struct cim_value {
	bool null;
	size_t count;		/* items; 1 for a non-null scalar */
	char **items;		/* canonical text */
};

struct cim_instance;

/* A new instance of c with every property NULL. The class must outlive the
 * instance. NULL on allocation failure. */
struct cim_instance *cim_instance_new(const struct cim_class *c);
void cim_instance_free(struct cim_instance *i);
/* Deep copy; NULL on allocation failure. */
struct cim_instance *cim_instance_clone(const struct cim_instance *i);

const struct cim_class *cim_instance_class(const struct cim_instance *i);

/* Sets property idx to a single item (copied), or to NULL when text is
 * NULL. The text is stored as given: callers canonicalise first. 0 or
 * -ENOMEM / -EINVAL (bad index). */
int cim_instance_set(struct cim_instance *i, size_t idx, const char *text);
/* Appends an item (copied) to property idx, turning NULL into a one-item
 * list. For arrays. */
int cim_instance_append(struct cim_instance *i, size_t idx, const char *text);
/* Sets property idx to the n items (copied), an array value that is
 * not NULL even when n is 0 (an empty array). 0, -ENOMEM (the old value
 * kept) or -EINVAL (bad index). */
int cim_instance_set_array(struct cim_instance *i, size_t idx,
			   const char *const *items, size_t n);
/* Same as cim_instance_set by property name; -ENOENT if there is none. */
int cim_instance_set_by_name(struct cim_instance *i, const char *name,
			     const char *text);

/* Borrowed; valid until the property is changed or the instance freed. */
const struct cim_value *cim_instance_get(const struct cim_instance *i,
					 size_t idx);
/* First item of property name, or NULL if it is null, empty or unknown. */
const char *cim_instance_text(const struct cim_instance *i, const char *name);

/* Whether two WMI namespace paths name the same namespace: case does
 * not matter, and '\\' equals '/'. NULL equals nothing. */
bool cim_namespace_equal(const char *a, const char *b);

#endif
