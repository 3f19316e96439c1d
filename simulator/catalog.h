/* catalog: the classes dpsim has code for, and how fixture text becomes
 * their values.
 *
 * It holds the SMS classes' property lists (names, CIM types, keys, in
 * MOF order) for SMS_DistributionPointInfo, SMS_DistributionPoint,
 * SMS_ProviderLocation, SMS_StatusMessage, SMS_StatMsgInsStrings and
 * __Namespace, and the signatures of the methods dpsim runs; the values a
 * DP gets by its kind
 * and which of its properties a fixture may not set; and catalog_value(),
 * the one conversion of fixture text into a CIM value, used for a DP's
 * <property> and for the <value>s of fixture-declared classes
 * (classes.h) alike, so both accept, refuse and explain the same text
 * the same way. Stateless: tables and pure functions.
 */
#ifndef DPSIM_CATALOG_H
#define DPSIM_CATALOG_H

#include <stddef.h>

#include "cim.h"
#include "fixture.h"

enum catalog_class {
	CATALOG_NAMESPACE,		/* __Namespace: Name (key) */
	CATALOG_PROVIDER_LOCATION,	/* SMS_ProviderLocation: Machine,
					 * NamespacePath, ProviderForLocalSite,
					 * SiteCode (key), in that order */
	CATALOG_DP_INFO,		/* SMS_DistributionPointInfo */
	CATALOG_DP,			/* SMS_DistributionPoint */
	CATALOG_STATUS_MESSAGE,		/* SMS_StatusMessage: RecordID (key) */
	CATALOG_STATMSG_INSSTRINGS,	/* SMS_StatMsgInsStrings: RecordID,
					 * InsStrIndex (keys) */
};

/* The static methods dpsim runs: both on SMS_DistributionPointInfo,
 * SetDPMaintenanceMode on SMS_DistributionPoint too. */
#define CATALOG_SET_DP_MAINTENANCE_MODE "SetDPMaintenanceMode"
#define CATALOG_GET_CHAINED_PULL_DPS "GetChainedPullDPs"

/* A new class `which` in namespace ns with its properties and methods
 * (free with cim_class_free), NULL when out of memory. */
struct cim_class *catalog_class_new(enum catalog_class which, const char *ns);

/* The index of property name (exact spelling) in class `which`, -1 when
 * it has none: for code that sets a property by index. */
int catalog_prop_index(enum catalog_class which, const char *name);

/* Fixture text as a value of CIM type t: the canonical text into *canon
 * (malloc'd, the caller frees it). XML layout around a value ("<value>
 * 7 </value>") is not part of it for any type but string and char16,
 * which keep every character. On a value that does not fit: -EINVAL and
 * "SOURCE:LINE: WHAT: 'TEXT' is not a valid TYPE (REASON)" in err, where
 * WHAT names the property as the caller's messages do ("property
 * 'Priority'", "class Lab_Disk, property FreeGB") and REASON says what to
 * write instead (the range of an integer type, the datetime forms...).
 * -ENOMEM (err untouched). err may be NULL with errsize 0. */
int catalog_value(enum cim_type t, const char *text, const char *source,
		  unsigned line, const char *what, char **canon,
		  char *err, size_t errsize);

/* The SMS_DistributionPointInfo instance of DP d of site s, for class c
 * (made by catalog_class_new(CATALOG_DP_INFO, ...)): the values its kind
 * gives, ID id, then the fixture's <property> values (fx names the file
 * in messages). MaintenanceMode is left unset: it is state. On success
 * 0 and *out (cim_instance_free). -EINVAL with "FILE:LINE: property
 * 'X' ..." in err for a property that is unknown, that the fixture may
 * not set (saying where its value comes from instead) or whose value
 * does not fit; -ENOMEM. *out NULL on failure. */
int catalog_dp_instance(const struct cim_class *c, const struct fixture *fx,
			const struct fixture_site *s, const struct fixture_dp *d,
			unsigned id, struct cim_instance **out,
			char *err, size_t errsize);

/* The same instance, made fast enough to make at every read, so that a
 * site of 100 000 DPs keeps no instance in memory: a shape holds what
 * the DPs of one site share (a template per kind, the indices of the
 * properties each DP fills in), made once per site; catalog_dp_build
 * clones the DP's kind and sets its own values. catalog_dp_check does
 * the checks of catalog_dp_instance without building anything, for
 * start-up; a DP that passed it builds without -EINVAL.
 * The shape borrows c, which must outlive it. */
struct catalog_dp_shape;
int catalog_dp_shape_new(const struct cim_class *c, const struct fixture_site *s,
			 struct catalog_dp_shape **out);
void catalog_dp_shape_free(struct catalog_dp_shape *sh);
int catalog_dp_check(const struct cim_class *c, const struct fixture *fx,
		     const struct fixture_dp *d, char *err, size_t errsize);
int catalog_dp_build(const struct catalog_dp_shape *sh, const struct fixture *fx,
		     const struct fixture_dp *d, unsigned id,
		     struct cim_instance **out, char *err, size_t errsize);

#endif
