/* resource: resource URIs to (namespace, class) and back.
 *
 * WMI form: http://schemas.microsoft.com/wbem/wsman/1/wmi/<ns path>/<Class>
 *           (<Class> may be "*": all classes, used with WQL)
 * DMTF form: http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/<Class>
 *           with the namespace from the __cimnamespace selector
 *           (default root/cimv2).
 */
#ifndef DPSIM_WSMAN_RESOURCE_H
#define DPSIM_WSMAN_RESOURCE_H

#include <stdbool.h>

#include "buf.h"
#include "fault.h"
#include "vocab.h"

enum wsman_uri_form { WSMAN_URI_WMI, WSMAN_URI_DMTF };

struct wsman_resource {
	enum wsman_uri_form form;
	char ns[256];		/* "root/sms/site_PS1": '\' turned into '/' */
	char cls[256];		/* class name, or "*" */
};

/* Splits uri. cimnamespace is the __cimnamespace selector or NULL. A WMI
 * URI whose namespace differs (case-insensitively) from a given
 * __cimnamespace is refused as WinRM does. Returns 0, or -EINVAL with
 * *fault filled (a:DestinationUnreachable / InvalidResourceURI, reason
 * static). */
int wsman_resource_parse(const char *uri, const char *cimnamespace,
			 struct wsman_resource *out, struct wsman_fault *fault);

/* Appends the URI of class cls in namespace ns in the given form: the URI
 * an instance element's xmlns:p carries. */
int wsman_resource_class_uri(struct buf *b, enum wsman_uri_form form,
			     const char *ns, const char *cls);


#endif
