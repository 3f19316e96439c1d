/* provider: the SMS Provider dpsim pretends to be, independent of the
 * protocol that carried the call.
 *
 * Namespaces and classes served:
 *   root                 __Namespace (sms)
 *   root/sms             __Namespace (site_<CODE> per site), SMS_ProviderLocation
 *   root/sms/site_<CODE> SMS_DistributionPointInfo, SMS_DistributionPoint
 *                        (static method SetDPMaintenanceMode on both)
 *
 * Every call returns an HRESULT (0 = success) and, on failure, a message
 * that names what was wrong. The DP maintenance mode is kept in the store
 * and mirrored in memory under a lock: a change is visible to readers only
 * once it is committed.
 */
#ifndef DPSIM_PROVIDER_H
#define DPSIM_PROVIDER_H

#include <stddef.h>
#include <stdint.h>

#include "auth.h"
#include "cim.h"
#include "fixture.h"
#include "request.h"
#include "store.h"
#include "wql.h"

struct provider;

/* A list of instances a call returns; the caller owns it. */
struct instance_list {
	struct cim_instance **items;
	size_t count;
};
void instance_list_free(struct instance_list *l);

/* Builds the classes and instances of fx (borrowed: must outlive the
 * provider) and seeds st with each DP's initial mode unless the store
 * already knows the DP, so state survives a restart. 0, or -errno with a
 * one-line reason in err. */
int provider_new(const struct fixture *fx, struct store *st,
		 struct provider **out, char *err, size_t errsize);
void provider_free(struct provider *p);

/* The machine name faults carry (the first site's provider). Borrowed. */
const char *provider_machine(const struct provider *p);

/* Class c of namespace ns (case-insensitive, '\' or '/'), or NULL with
 * *hresult WBEM_E_INVALID_NAMESPACE or WBEM_E_INVALID_CLASS. Borrowed:
 * valid for the provider's life. */
const struct cim_class *provider_class(struct provider *p, const char *ns,
				       const char *cls, uint32_t *hresult);

/* Get by keys: keys must name exactly the class's key properties (the
 * caller checks that and reports selector faults). *out is a copy the
 * caller frees. WBEM_E_NOT_FOUND when no instance has those key values. */
uint32_t provider_get(struct provider *p, const struct caller *who,
		      const struct cim_class *c, const struct wsman_kv *keys,
		      size_t nkeys, struct cim_instance **out,
		      char *msg, size_t msgsize);

/* All instances of c, or those matching q (already checked against c)
 * when q is not NULL. */
uint32_t provider_enumerate(struct provider *p, const struct caller *who,
			    const struct cim_class *c, const struct wql_query *q,
			    struct instance_list *out, char *msg, size_t msgsize);

/* Runs static method `method` of class c with params. On success returns 0
 * and the method's *return_value (0 = the method succeeded). A non-zero
 * result is the WMI error the provider raises (the call failed), with the
 * reason in msg. */
uint32_t provider_invoke(struct provider *p, const struct caller *who,
			 const struct cim_class *c, const char *method,
			 const struct wsman_kv *params, size_t nparams,
			 uint32_t *return_value, char *msg, size_t msgsize);

#endif
