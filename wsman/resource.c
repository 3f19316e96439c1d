/* resource: resource URIs to (namespace, class) and back (resource.h). */
#include "resource.h"
#include "cim.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>
#include <strings.h>

/* ERROR_WSMAN_DIFFERENT_CIM_SELECTOR (0x8033813B): what WinRM reports when
 * a WMI resource URI and __cimnamespace name different namespaces. */
#define CODE_DIFFERENT_CIM_SELECTOR	2150859067u

#define DEFAULT_DMTF_NS	"root/cimv2"

static const char reason_bad_uri[] =
	"The WS-Management service cannot process the request because the "
	"resource URI is not valid or not supported.";
static const char reason_bad_ns[] =
	"The WS-Management service cannot process the request because the "
	"namespace in the resource URI or __cimnamespace selector is not "
	"valid.";
static const char reason_bad_class[] =
	"The WS-Management service cannot process the request because the "
	"class name in the resource URI is not valid.";
static const char reason_too_long[] =
	"The WS-Management service cannot process the request because the "
	"namespace or class name in the resource URI is too long.";
static const char reason_mismatch[] =
	"The WS-Management service cannot process the request because the "
	"resource URI and the __cimnamespace selector name different "
	"namespaces. Remove the selector or use a DMTF resource URI.";

static int resource_fault(struct wsman_fault *f, const char *reason,
			  uint32_t code)
{
	if (f) {
		memset(f, 0, sizeof(*f));
		f->subcode = WSMAN_SUB_DESTINATION_UNREACHABLE;
		f->code = code;
		f->reason = reason;
		f->detail = WSMAN_DETAIL_INVALID_RESOURCE_URI;
	}
	return -EINVAL;
}

static bool has_prefix(const char *s, const char *prefix, size_t *len)
{
	*len = strlen(prefix);
	return !strncasecmp(s, prefix, *len);
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_';
}

/* A class segment is "*" or a CIM identifier; n bytes at s. */
static bool class_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 1 && s[0] == '*')
		return true;
	if (!n)
		return false;
	for (i = 0; i < n; i++)
		if (!ident_char(s[i]))
			return false;
	return true;
}

/* Copies n bytes of a namespace into dst, turning '\' into '/', and checks
 * it is "root" or below it with no empty or odd segments. */
static int ns_copy(char *dst, size_t size, const char *s, size_t n,
		   struct wsman_fault *f)
{
	size_t i;

	if (n >= size)
		return resource_fault(f, reason_too_long,
				      WSMAN_CODE_INVALID_RESOURCE_URI);
	for (i = 0; i < n; i++) {
		char c = s[i] == '\\' ? '/' : s[i];

		if (c != '/' && !ident_char(c))
			return resource_fault(f, reason_bad_ns,
					      WSMAN_CODE_INVALID_RESOURCE_URI);
		if (c == '/' && (i == 0 || dst[i - 1] == '/' || i + 1 == n))
			return resource_fault(f, reason_bad_ns,
					      WSMAN_CODE_INVALID_RESOURCE_URI);
		dst[i] = c;
	}
	dst[n] = '\0';
	if (strncasecmp(dst, "root", 4) || (dst[4] && dst[4] != '/'))
		return resource_fault(f, reason_bad_ns,
				      WSMAN_CODE_INVALID_RESOURCE_URI);
	return 0;
}

static int cls_copy(char *dst, size_t size, const char *s, size_t n,
		    struct wsman_fault *f)
{
	if (n >= size)
		return resource_fault(f, reason_too_long,
				      WSMAN_CODE_INVALID_RESOURCE_URI);
	if (!class_ok(s, n))
		return resource_fault(f, reason_bad_class,
				      WSMAN_CODE_INVALID_RESOURCE_URI);
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

/* .../wmi/<ns path>/<Class>: the class is the last segment (as OMI does
 * it), everything before it is the namespace. */
static int parse_wmi(const char *rest, const char *cimns,
		     struct wsman_resource *out, struct wsman_fault *f)
{
	const char *slash = NULL, *p;
	int r;

	for (p = rest; *p; p++)
		if (*p == '/' || *p == '\\')
			slash = p;
	if (!slash)
		return resource_fault(f, reason_bad_ns,
				      WSMAN_CODE_INVALID_RESOURCE_URI);
	r = ns_copy(out->ns, sizeof(out->ns), rest, (size_t)(slash - rest), f);
	if (r)
		return r;
	r = cls_copy(out->cls, sizeof(out->cls), slash + 1, strlen(slash + 1),
		     f);
	if (r)
		return r;
	/* The OMI MI client sends the selector along with the WMI URI for
	 * WQL, so a matching pair must pass. */
	if (cimns && *cimns && !cim_namespace_equal(out->ns, cimns))
		return resource_fault(f, reason_mismatch,
				      CODE_DIFFERENT_CIM_SELECTOR);
	return 0;
}

static int parse_dmtf(const char *rest, const char *cimns,
		      struct wsman_resource *out, struct wsman_fault *f)
{
	int r;

	r = cls_copy(out->cls, sizeof(out->cls), rest, strlen(rest), f);
	if (r)
		return r;
	if (!cimns || !*cimns)
		cimns = DEFAULT_DMTF_NS;
	return ns_copy(out->ns, sizeof(out->ns), cimns, strlen(cimns), f);
}

int wsman_resource_parse(const char *uri, const char *cimnamespace,
			 struct wsman_resource *out, struct wsman_fault *fault)
{
	size_t len;
	int r;

	memset(out, 0, sizeof(*out));
	if (!uri)
		return resource_fault(fault, reason_bad_uri,
				      WSMAN_CODE_INVALID_RESOURCE_URI);
	if (has_prefix(uri, WSMAN_URI_WMI_PREFIX, &len)) {
		out->form = WSMAN_URI_WMI;
		r = parse_wmi(uri + len, cimnamespace, out, fault);
	} else if (has_prefix(uri, WSMAN_URI_DMTF_PREFIX, &len)) {
		out->form = WSMAN_URI_DMTF;
		r = parse_dmtf(uri + len, cimnamespace, out, fault);
	} else {
		r = resource_fault(fault, reason_bad_uri,
				   WSMAN_CODE_INVALID_RESOURCE_URI);
	}
	if (r)
		memset(out, 0, sizeof(*out));
	return r;
}

int wsman_resource_class_uri(struct buf *b, enum wsman_uri_form form,
			     const char *ns, const char *cls)
{
	const char *p;

	if (form == WSMAN_URI_DMTF) {
		buf_adds(b, WSMAN_URI_DMTF_PREFIX);
		return buf_adds(b, cls);
	}
	buf_adds(b, WSMAN_URI_WMI_PREFIX);
	if (!ns)
		ns = "";
	/* Namespaces may still carry '\' if they came from elsewhere. */
	for (p = ns; *p; p++)
		buf_add(b, *p == '\\' ? "/" : p, 1);
	buf_add(b, "/", 1);
	return buf_adds(b, cls);
}

