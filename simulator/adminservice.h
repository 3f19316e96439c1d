/* adminservice: the ConfigMgr AdminService's WMI route (REST, OData v4)
 * as a front end of the HTTP transport (front.h), beside WS-Man.
 *
 * Routes, on every listener; "/AdminService" and class, method and key
 * names in any case:
 *
 *   GET  /AdminService/wmi/                   the service document
 *   GET  /AdminService/wmi/$metadata          CSDL (EDMX XML): the classes
 *                                             served, keys, property types,
 *                                             methods as actions
 *   GET  /AdminService/wmi/<Class>            {"@odata.context", "value": [...]}
 *   GET  /AdminService/wmi/<Class>(<key>)     one instance, inside "value"
 *   GET  /AdminService/wmi/<Class>(K1='a',K2=7)
 *   POST /AdminService/wmi/<Class>.<Method>   a static method, parameters
 *   POST /AdminService/wmi/<Class>/AdminService.<Method>  as a JSON object
 *
 * The classes: those of the site's namespace (root/sms/site_<CODE>:
 * SMS_DistributionPointInfo, SMS_DistributionPoint, the fixture's) and
 * root/sms's SMS_ProviderLocation. The method: SetDPMaintenanceMode on
 * SMS_DistributionPointInfo and SMS_DistributionPoint, answered
 * {"@odata.context": ".../$metadata#__PARAMETERS", "ReturnValue": N}.
 *
 * Which site: the real AdminService runs on each SMS Provider machine,
 * so a request is for the site whose fixture provider equals the
 * request's Host name (port left out, any case), else for the first site
 * served.
 *
 * Every call is the provider call WS-Man makes, with caller protocol
 * "adminservice": journaled, subject to the fault rules, roles and
 * scopes. Errors are {"error": {"code": "<status>", "message": "..."}},
 * a provider error with "innererror": {"hresult", "hresult_name",
 * "message"}: 401 with WWW-Authenticate: Basic realm="AdminService"
 * without a fixture user's credentials; WBEM_E_ACCESS_DENIED as 404
 * with a message starting "Access denied" (as a real site answers it),
 * or the status of options.denied_status; 404 for an unknown class, key,
 * method or route; 405 (with Allow) for a wrong HTTP method; 415 for a
 * POST whose body is not declared JSON; 400 for a body, parameter, key
 * or query option that cannot be read, naming what; 413 past --max-body.
 * A request refused before the provider answered it is logged at info
 * and journaled as operation "request", protocol "adminservice", result
 * the HTTP status.
 *
 * docs/adminservice-api.md is the wire format in full. Thread-safe.
 */
#ifndef DPSIM_ADMINSERVICE_H
#define DPSIM_ADMINSERVICE_H

#include <stdbool.h>
#include <stddef.h>

#include "fixture.h"
#include "front.h"
#include "provider.h"

struct adminservice;

struct adminservice_options {
	/* The status WBEM_E_ACCESS_DENIED is answered with: 404, as the
	 * field has seen it (default, also for 0), or 403. */
	unsigned denied_status;
};

/* NULL on allocation failure. Answers 503 until adminservice_set_ready(). */
struct adminservice *adminservice_new(const struct adminservice_options *o);
void adminservice_free(struct adminservice *a);

/* The model is loaded: serve it. fx (the users) and p are borrowed and
 * must outlive a. */
void adminservice_set_ready(struct adminservice *a, const struct fixture *fx,
			    struct provider *p);

/* The front end: owns /AdminService and everything under it. Valid while
 * a lives. */
const struct front *adminservice_front(struct adminservice *a);

#endif
