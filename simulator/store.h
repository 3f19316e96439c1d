/* store: dpsim's durable state in SQLite.
 *
 * Holds each DP's maintenance mode per (site, NAL path) and the journal.
 * A mode change and its journal row are written in one transaction: a
 * change is never reported done before it is committed. WAL with
 * synchronous=NORMAL (durable across a process crash); automatic
 * checkpoints are off and a background thread checkpoints instead, so no
 * request pays for one. One connection behind a mutex: SQLite admits one
 * writer anyway, and its busy handler's sleeps wrecked tail latency when
 * connections were per thread (DESIGN.md, performance notes).
 *
 * The only module that includes sqlite3.h. Thread-safe.
 */
#ifndef DPSIM_STORE_H
#define DPSIM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct store;

/* Current schema version; opening an older file migrates it. */
#define STORE_SCHEMA_VERSION 1

/* One journal row. Strings are borrowed when writing and owned by the
 * store (valid during the callback) when reading. */
struct journal_entry {
	int64_t id;		/* assigned by the store */
	int64_t time_ms;	/* Unix time in ms; 0 = now */
	const char *user;
	const char *protocol;	/* "wsman" */
	const char *operation;	/* "invoke", "get", "enumerate" */
	const char *site;
	const char *class_name;
	const char *method;	/* NULL unless invoke */
	const char *nalpath;	/* NULL when the call names no DP */
	const char *params;	/* request parameters as text, or NULL */
	int64_t old_mode;	/* -1 when not applicable */
	int64_t new_mode;	/* -1 when not applicable */
	uint32_t hresult;	/* 0 on success */
	int64_t latency_us;
};

/* Opens (creating if needed) the database at path, or an in-memory one for
 * ":memory:". Migrates older schemas; refuses a file whose schema is newer
 * than this build. On failure returns -errno-style code and writes a one
 * line reason naming path into err. */
int store_open(const char *path, struct store **out, char *err, size_t errsize);
/* Stops the checkpointer, checkpoints, closes. NULL is fine. */
void store_free(struct store *s);

/* Adds the DP with this mode unless (site, nalpath) is already known, so a
 * restart on the same file keeps the state. NAL paths compare
 * case-insensitively. 0 or -EIO. */
int store_seed_dp(struct store *s, const char *site, const char *nalpath,
		  uint32_t mode);

/* 0 and *mode, -ENOENT when unknown, -EIO. */
int store_get_mode(struct store *s, const char *site, const char *nalpath,
		   uint32_t *mode);

/* Calls cb for every DP of site with its mode; a non-zero return from cb
 * stops and is returned. 0 or -EIO. */
int store_foreach_mode(struct store *s, const char *site,
		       int (*cb)(void *ctx, const char *nalpath, uint32_t mode),
		       void *ctx);

/* Sets the mode of (site, nalpath) and appends e (with old_mode and
 * new_mode filled in) in one transaction. *old_mode receives the previous
 * mode. Returns 0 once committed, -ENOENT when the DP is unknown (nothing
 * written), -EIO. */
int store_set_mode(struct store *s, const char *site, const char *nalpath,
		   uint32_t mode, struct journal_entry *e, uint32_t *old_mode);

/* Appends a journal row on its own (calls that changed nothing). */
int store_journal_add(struct store *s, struct journal_entry *e);

/* Calls cb for each journal row with id > after_id, oldest first. */
int store_journal_foreach(struct store *s, int64_t after_id,
			  int (*cb)(void *ctx, const struct journal_entry *e),
			  void *ctx);
int64_t store_journal_count(struct store *s);

#endif
