/* num: the one strict parser of whole numbers from text.
 *
 * Option values, query parameters, rule fields, HRESULTs and CIM integers
 * are all "digits and nothing else". strtoul is not that: it skips
 * leading blanks, takes a sign (and wraps "-1" to ULONG_MAX), takes "0x"
 * when asked for base 0, and reports overflow only through errno. Every
 * caller that means "strict" calls this instead of re-checking strtoul's
 * result by hand.
 */
#ifndef DPSIM_WSMAN_NUM_H
#define DPSIM_WSMAN_NUM_H

#include <stdint.h>

/* Parses s as digits of base (10 or 16; hex digits in either case, no
 * "0x" prefix: a caller that takes one strips it) into *out. Nothing
 * else is accepted: no sign, no blanks, no empty string. Returns 0;
 * -EINVAL when s is NULL, empty, or holds anything but digits (or base is
 * neither 10 nor 16); -ERANGE when the value is above max (overflowing
 * 64 bits counts as above max). *out is written only on success. */
int num_parse_u64(const char *s, unsigned base, uint64_t max, uint64_t *out);

/* num_parse_u64(s, 10, max, out) for the usual decimal case. */
int num_parse_dec(const char *s, uint64_t max, uint64_t *out);

#endif
