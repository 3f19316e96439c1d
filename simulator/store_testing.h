/* store_testing: store calls for tests, not for dpsim.
 *
 * dpsim opens its database with store_open_opts (holding the file's lock
 * from before its listeners start) and reads state through the calls in
 * store.h. The calls here exist so tests (unit and fuzz) can open a
 * store in one line and look at everything it holds; no module of dpsim
 * includes this header. Same ownership and thread-safety as store.h.
 */
#ifndef DPSIM_STORE_TESTING_H
#define DPSIM_STORE_TESTING_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* store_open_opts(path, NULL, out, err, errsize). */
int store_open(const char *path, struct store **out, char *err, size_t errsize);

/* Calls cb for every DP of site with its mode; a non-zero return from cb
 * stops and is returned. 0 or -EIO. */
int store_foreach_mode(struct store *s, const char *site,
		       int (*cb)(void *ctx, const char *nalpath, uint32_t mode),
		       void *ctx);

/* Calls cb for each journal row with id > after_id, oldest first. */
int store_journal_foreach(struct store *s, int64_t after_id,
			  int (*cb)(void *ctx, const struct journal_entry *e),
			  void *ctx);
/* Journal rows held, all sites together. */
int64_t store_journal_count(struct store *s);

/* store_snapshot_save_notify without a callback. */
int store_snapshot_save(struct store *s, const char *name,
			const struct store_blob *blobs, size_t n);

/* A commit under way, on demand: after store_testing_hold the next
 * batch to commit waits before it starts (its writer blocked, leading
 * the queue) until store_testing_release, so that a test can queue
 * writes behind it; store_testing_wait_held returns once it waits. */
void store_testing_hold(struct store *s);
void store_testing_wait_held(struct store *s);
void store_testing_release(struct store *s);

#endif
