/* fragment: the expression of a w:FragmentTransfer header.
 *
 * WinRM accepts XPath level 1 fragment expressions on a Get of a WMI or
 * DMTF class (MS-WSMV 3.1.4.1.18). dpsim evaluates the part of it that
 * names one property of the instance (docs/wsman-protocol.md, Get of a
 * fragment):
 *
 *   Prop            Class/Prop            the property's element(s)
 *   Prop[n]         Class/Prop[n]         its n-th element (from 1)
 *   Prop/text()     Class/Prop/text()     their text, with [n] too
 *
 * Anything else (an absolute path, a prefix, an attribute, a wildcard,
 * another predicate or function) is refused with the fault WinRM gives
 * for an expression it cannot evaluate. No I/O, no global state: fuzzed
 * directly (tests/fuzz/fuzz_fragment.c).
 */
#ifndef DPSIM_WSMAN_FRAGMENT_H
#define DPSIM_WSMAN_FRAGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fault.h"

#define WSMAN_FRAGMENT_NAME_MAX 256

struct wsman_fragment {
	char cls[WSMAN_FRAGMENT_NAME_MAX + 1];	/* "" when not named */
	char prop[WSMAN_FRAGMENT_NAME_MAX + 1];
	uint32_t index;		/* [n], from 1; 0 when there is none */
	bool text;		/* ends in /text() */
};

/* Parses expr (the header's text) written in dialect (the header's
 * Dialect attribute, NULL when absent: XPath). Returns 0 and fills *out,
 * or -EINVAL and fills *f: w:FragmentDialectNotSupported for another
 * dialect, w:CannotProcessFilter for an expression outside the forms
 * above (empty included). The fault's reason is written to reason_buf
 * (reason_size bytes; a static text when NULL), which must outlive f. */
int wsman_fragment_parse(const char *expr, const char *dialect,
			 struct wsman_fragment *out, struct wsman_fault *f,
			 char *reason_buf, size_t reason_size);

#endif
