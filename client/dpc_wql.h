/* dpc_wql: a WQL query as the AdminService request that answers it.
 * Internal to libdpclient (not installed), no I/O.
 *
 * The AdminService's WMI route takes no WQL: a class is read with
 * GET /wmi/<Class>?$filter=..., and WQL's property list is applied to the
 * answer by the client (dpc_odata.h, struct dpco_read). This unit reads
 * the part of WQL that has an OData form and writes that form:
 *
 *   SELECT * | Prop[, Prop]... FROM Class [WHERE condition]
 *
 *   WQL                               $filter
 *   A = 'x', <>, !=, <, <=, >, >=     A eq 'x', ne, ne, lt, le, gt, ge
 *   'x' = A (literal first)           A eq 'x' (the operator turned round)
 *   A = 5, A = TRUE, A = NULL         A eq 5, A eq true, A eq null
 *   A IS NULL, A IS NOT NULL          A eq null, A ne null
 *   A LIKE 'x%', '%x', '%x%', 'x'     startswith(A,'x'), endswith(A,'x'),
 *                                     contains(A,'x'), A eq 'x'
 *   A NOT LIKE ...                    not (...)
 *   AND, OR, NOT, parentheses         and, or, not (...), parentheses
 *
 * String literals are in single or double quotes with backslash escapes
 * (dpc_wql_quote's form); in the $filter they are OData literals (a quote
 * doubled). A LIKE pattern may hold literal characters written [%], [_]
 * or [[]; '_', other brackets, or a '%' anywhere but at the ends have no
 * OData form and are refused, as are ISA, ASSOCIATORS OF, REFERENCES OF,
 * comparing two properties, and hexadecimal numbers. Property names go
 * into the $filter as written: OData reads them in the class's spelling
 * (Name, not name), where WQL ignores case. A literal keeps its WQL kind:
 * a number for a string property, or a string for a datetime, is the
 * service's 400.
 */
#ifndef DPC_WQL_H
#define DPC_WQL_H

#include <stddef.h>

struct dpcw_query {
	char *cls;		/* the FROM class */
	char *filter;		/* the $filter; NULL without WHERE */
	char **props;		/* SELECT's property list; NULL for * */
	size_t nprops;
};

/* Reads wql into *q (the caller's, dpcw_query_clear). 0; -EINVAL with
 * why (NUL-terminated, size > 0) saying what and where ("position 10:
 * expected FROM, found 'FORM'"); -ENOMEM. On failure *q is empty. */
int dpcw_translate(const char *wql, struct dpcw_query *q, char *why,
		   size_t size);
void dpcw_query_clear(struct dpcw_query *q);

#endif
