/* classes: the WMI classes a fixture declares with <class>, built into
 * the cim classes and instances dpsim serves by Get, Enumerate and WQL
 * (the general mock provider).
 *
 * The fixture loader has checked the declaration's shape (keys present
 * and unique, property names known, types known); this module converts
 * each value to the canonical text of its CIM type and reports a value
 * that does not fit as "FILE:LINE: class X, property Y: ...".
 */
#ifndef DPSIM_CLASSES_H
#define DPSIM_CLASSES_H

#include <stddef.h>

#include "cim.h"
#include "fixture.h"

/* Builds class fc of site (fixture fx, for the file name in errors).
 * Its namespace is fc->ns ('\' turned into '/') or root/sms/site_CODE.
 *
 * On success returns 0 with:
 *   *cls_out    a new class: free with cim_class_free() after its
 *               instances;
 *   *insts_out  a malloc'd array of *ninsts_out new instances of it, in
 *               fixture order (NULL when there are none): free with
 *               classes_free_instances().
 * A property without a <value> is null; an array property holds its
 * <value>s in order. Fixture text around non-string values (layout such
 * as "<value> 7 </value>") is ignored; strings and char16 keep every
 * character.
 * On failure returns -EINVAL (a bad value, or a declaration the loader
 * would not have let through) or -ENOMEM, writes one line into err and
 * leaves the outputs NULL / 0. */
int classes_build(const struct fixture *fx, const struct fixture_site *site,
		  const struct fixture_class *fc, struct cim_class **cls_out,
		  struct cim_instance ***insts_out, size_t *ninsts_out,
		  char *err, size_t errsize);

/* The site's <boundary-group>s as the SMS Provider serves them
 * (docs/configmgr-domain.md, Boundary groups): which = 0 builds
 * SMS_BoundaryGroup, one instance per group, GroupID 16777217, 16777218
 * ... in fixture order; which = 1 SMS_BoundaryGroupSiteSystems, one per
 * member, group by group in order of preference, ServerNALPath the DP's
 * NAL path. Both in root/sms/site_CODE, empty for a site without groups.
 * Outputs as classes_build; 0 or -ENOMEM (err says so). */
int classes_boundary_groups(const struct fixture_site *site, int which,
			    struct cim_class **cls_out,
			    struct cim_instance ***insts_out, size_t *ninsts_out,
			    char *err, size_t errsize);

/* Frees n instances and the array holding them; NULL is fine. */
void classes_free_instances(struct cim_instance **insts, size_t n);

#endif
