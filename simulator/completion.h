/* completion: a one-shot signal that a piece of work has finished, for
 * a caller that waits without holding a thread.
 *
 * The side doing the work fires it once (completion_fire). The side
 * waiting either arms it with a function to run when it fires (http.c
 * resumes a suspended connection from there), or blocks on it
 * (completion_wait). Whoever comes second acts: arming a completion
 * that already fired returns false, and the armer goes on at once.
 *
 * It knows nothing of what the work is (a group commit, store.c) or of
 * who waits (http.c): the front end hands it from one to the other.
 * The struct is embedded in whatever owns the work; it must stay valid
 * until it has fired and its waiter has seen that. */
#ifndef DPSIM_COMPLETION_H
#define DPSIM_COMPLETION_H

#include <stdatomic.h>
#include <stdbool.h>

struct completion {
	atomic_int state;	/* enum in completion.c */
	void (*fn)(void *arg);
	void *arg;
};

/* Not fired, not armed. */
void completion_init(struct completion *c);

/* Once: fn(arg) runs when c fires, on the firing thread. True when
 * armed; false when c had already fired (fn is not called: the caller
 * goes on itself). */
bool completion_arm(struct completion *c, void (*fn)(void *arg), void *arg);

/* Once. Runs the armed function, if any; c is not touched afterwards
 * (its owner may free it as soon as the waiter learns it fired). */
void completion_fire(struct completion *c);

/* Whether c has fired (acquire: what was written before the firing is
 * visible). */
bool completion_fired(struct completion *c);

/* Blocks until c fires; c must not be armed. */
void completion_wait(struct completion *c);

#endif
