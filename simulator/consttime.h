/* consttime: comparing secrets without telling how much of a guess was
 * right.
 *
 * A comparison that stops at the first difference answers sooner the
 * worse the guess, and a client timing many guesses learns a secret byte
 * by byte. Passwords and their digests (auth.c) and the admin token
 * (control.c) are compared here and nowhere else.
 */
#ifndef DPSIM_CONSTTIME_H
#define DPSIM_CONSTTIME_H

#include <stdbool.h>
#include <stddef.h>

/* Whether the n bytes at a and b are the same. Reads all n bytes of both
 * whatever they hold: the time depends on n only. */
bool consttime_memeq(const void *a, const void *b, size_t n);

/* Whether the strings known (the secret, or what it is checked against)
 * and given (what the caller sent) are equal. The time depends on the
 * lengths only, never on where they first differ: given is read to its
 * end against known repeated, so a short or long guess costs what its
 * length costs and reads nothing past either string. */
bool consttime_streq(const char *known, const char *given);

#endif
