/* store: dpsim's durable state in SQLite.
 *
 * Holds each DP's maintenance mode per (site, NAL path), the journal of
 * provider calls (bounded per site, the rows dropped counted), the status
 * messages a site wrote (bounded per site) and named snapshots of the
 * whole database.
 * A mode change, its journal row and its status message are written in
 * one transaction: a change is never reported done before it is
 * committed, nor without its message. WAL with
 * synchronous=NORMAL (durable across a process crash); automatic
 * checkpoints are off and a background thread checkpoints instead, so no
 * request pays for one. One connection behind a mutex: SQLite admits one
 * writer anyway, and its busy handler's sleeps wrecked tail latency when
 * connections were per thread (docs/architecture.md, Measured choices).
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
#define STORE_SCHEMA_VERSION 5
/* PRAGMA application_id of a dpsim database ("DPSM"): how a file is told
 * from another application's SQLite file before anything is written. */
#define STORE_APPLICATION_ID 0x4450534Du

/* One journal row. Strings are borrowed when writing and owned by the
 * store (valid during the callback) when reading. */
struct journal_entry {
	int64_t id;		/* assigned by the store */
	int64_t time_ms;	/* Unix time in ms; 0 = now */
	const char *user;
	const char *protocol;	/* "wsman" */
	const char *operation;	/* "invoke", "get", "enumerate", or
				 * "request" for a request a front end
				 * refused before it reached the provider */
	const char *site;
	const char *class_name;
	const char *method;	/* NULL unless invoke */
	const char *nalpath;	/* NULL when the call names no DP */
	const char *params;	/* request parameters as text, or NULL */
	int64_t old_mode;	/* -1 when not applicable */
	int64_t new_mode;	/* -1 when not applicable */
	uint32_t hresult;	/* 0 on success */
	int64_t latency_us;
	int64_t rule_id;	/* fault rule that fired; 0 = none */
	const char *effect;	/* that rule's effect ("fault", "return",
				 * "http", "drop", "timeout", "delay"), or
				 * NULL */
	bool has_return_value;	/* an Invoke that answered a ReturnValue */
	uint32_t return_value;
	unsigned http_status;	/* injected bare HTTP status, or the status a
				 * refused request was answered; 0 = none */
	const char *refusal;	/* a refused request: the fault subcode
				 * ("s:MustUnderstand") or the HTTP status
				 * ("401") it was refused with; NULL for a
				 * call the provider answered */
};

/* Insertion strings one status message may carry (%1 to %10 of a
 * message text). */
#define STORE_STATMSG_MAX_INS 10

/* One status message and its insertion strings, as a site keeps them
 * (statmsg.h says what dpsim writes and how they become SMS_StatusMessage
 * and SMS_StatMsgInsStrings instances). Strings are borrowed when
 * writing and owned by the store (valid during the callback) when
 * reading. */
struct status_message {
	int64_t record_id;	/* assigned by the store: RecordID */
	int64_t time_ms;	/* Unix time in ms; 0 = the change's time */
	const char *site;	/* SiteCode; also what the bound and a reset
				 * go by */
	const char *nalpath;	/* the DP the message is about, or NULL:
				 * not a property, but what hides a
				 * message from a caller whose security
				 * scopes do not cover that DP */
	uint32_t message_id;
	uint32_t severity;
	uint32_t message_type;
	const char *module_name;
	const char *component;
	const char *machine;	/* MachineName */
	uint32_t process_id;
	uint32_t thread_id;
	uint32_t win32_error;
	uint32_t report_function;
	uint32_t successful_transaction;
	uint32_t transaction;
	uint32_t per_client;
	const char *top_level_site_code;
	const char *ins[STORE_STATMSG_MAX_INS];	/* InsStrIndex 0 first */
	size_t nins;
};

struct dblock;

enum store_durability {
	/* synchronous=NORMAL: a commit survives the process crashing, not
	 * the machine losing power (the last commits may be lost then). */
	STORE_DURABILITY_NORMAL,
	/* synchronous=FULL: every commit syncs the WAL before it is
	 * reported, so it also survives a power cut. */
	STORE_DURABILITY_FULL,
};

struct store_options {
	enum store_durability durability;
	/* The file's lock, taken by the caller with dblock_new(path) so it
	 * is held before anything else starts (dpsim takes it before its
	 * listeners); owned by the store from the call on, also when it
	 * fails. NULL: store_open_opts takes it. */
	struct dblock *lock;
};

/* Opens (creating if needed) the database at path, or an in-memory one for
 * ":memory:". A file is first locked for this process (dblock.h: -EBUSY
 * naming the holder's PID when another has it), then read through a
 * read-only connection: a file that is not an SQLite database, is another
 * application's, or has a newer schema than this build is refused with
 * -EPROTO and left byte for byte as it was. Only then is it switched to
 * WAL, migrated, and marked with STORE_APPLICATION_ID (a dpsim file made
 * before dpsim set one is adopted). On failure returns -errno-style code
 * and writes a one line reason naming path into err. o NULL: all
 * defaults. */
int store_open_opts(const char *path, const struct store_options *o,
		    struct store **out, char *err, size_t errsize);
/* Stops the checkpointer, checkpoints, closes. NULL is fine. */
void store_free(struct store *s);

/* 0 and *mode, -ENOENT when unknown, -EIO. */
int store_get_mode(struct store *s, const char *site, const char *nalpath,
		   uint32_t *mode);

/* Sets the mode of (site, nalpath) and appends e (with old_mode and
 * new_mode filled in) and, when m is not NULL, the status message m (its
 * record_id filled in; its time_ms, when 0, the row's) in one
 * transaction. *old_mode receives the previous mode. Returns 0 once
 * committed, -ENOENT when the DP is unknown (nothing written), -EINVAL
 * (m has more than STORE_STATMSG_MAX_INS insertion strings or no site;
 * nothing written), -ENOSPC (the disk is full: neither the change, the
 * row nor the message was written), -EIO.
 *
 * Writes that fail on a full disk (SQLITE_FULL, here and below) return
 * -ENOSPC, never -EIO, and are logged at most once a minute with the
 * number of such failures not logged. */
int store_set_mode(struct store *s, const char *site, const char *nalpath,
		   uint32_t mode, struct journal_entry *e,
		   struct status_message *m, uint32_t *old_mode);

/* Appends a journal row on its own (calls that changed nothing). 0,
 * -ENOSPC, -ENOMEM or -EIO. */
int store_journal_add(struct store *s, struct journal_entry *e);

/* ---- a change whose caller waits without a thread (Group commit) -------- */

struct completion;
struct store_write;

/* What store_set_mode writes, as one write to queue: copies of site,
 * nalpath, e and m (m NULL: no message) and of the strings they point
 * to, so the caller's may go at once. Unlike store_set_mode, m is
 * written only when the mode changes (judged at commit, in commit
 * order), else its record_id stays 0. With site and nalpath both NULL
 * it is what store_journal_add writes: the row e alone (mode and m
 * ignored), for a read that waits for its row without a thread. 0 and
 * *out (store_write_end frees it), -EINVAL (as store_set_mode) or
 * -ENOMEM. */
int store_write_new(const char *site, const char *nalpath, uint32_t mode,
		    const struct journal_entry *e, const struct status_message *m,
		    struct store_write **out);

/* Queues w for the group commit and returns without waiting for it:
 * its completion fires once the transaction holding it has committed
 * or failed. When no commit is under way the caller commits w itself,
 * with whatever else was queued, before returning (the completion has
 * fired then). */
void store_write_submit(struct store *s, struct store_write *w);

/* Fires once w's transaction is over; valid until store_write_end. */
struct completion *store_write_completion(struct store_write *w);

/* Waits for w's completion (none when it fired), frees w and returns
 * store_set_mode's result for it (0, -ENOENT, -ENOSPC, -EIO), with the
 * mode it replaced and *seq, its place in commit order (1, 2, ...):
 * a mirror of the modes in memory keeps the mode of the highest seq,
 * since two changes of one DP may finish in either order. */
int store_write_end(struct store_write *w, uint32_t *old_mode, uint64_t *seq);

/* The commit order's seq at the last store_reset or snapshot restore:
 * a change with a seq at or below it was undone by that reset. */
uint64_t store_reset_seq(struct store *s);

/* ---- journal queries, bound and statistics ----------------------------- */

/* At most max rows per site (rows without a site count as one more site);
 * each append beyond it drops the oldest row of that site in the same
 * transaction and counts the drop. 0 = unbounded (the default). */
void store_set_journal_max(struct store *s, int64_t max);

enum store_result {
	STORE_RESULT_ANY,
	STORE_RESULT_OK,	/* HRESULT 0, ReturnValue 0 or none, and no
				 * effect but "delay" */
	STORE_RESULT_ERROR,	/* anything else */
	STORE_RESULT_CODE,	/* HRESULT or ReturnValue equals code */
	STORE_RESULT_EFFECT,	/* a rule with this effect fired */
	STORE_RESULT_REFUSAL,	/* refused with this subcode (refusal) */
};

/* Which journal rows a query sees. Every field is optional (NULL / 0).
 * The *_like fields are SQL LIKE patterns with '!' as the escape
 * character, compared ignoring ASCII case; journal.c makes them from
 * globs. Strings are borrowed for the call. */
struct store_journal_filter {
	const char *site;	/* equal ignoring case */
	const char *operation;	/* equal ignoring case */
	const char *protocol;	/* equal ignoring case */
	const char *class_like;
	const char *method_like;
	const char *user_like;
	const char *nalpath_like;
	enum store_result result;
	uint32_t code;		/* STORE_RESULT_CODE; a refusal whose
				 * HTTP status is code matches too */
	const char *effect;	/* STORE_RESULT_EFFECT */
	const char *refusal;	/* STORE_RESULT_REFUSAL: the subcode, any
				 * case */
	int64_t rule_id;	/* > 0: only rows of this rule */
	int64_t since_ms;	/* time_ms >= since_ms when > 0 */
	int64_t until_ms;	/* time_ms < until_ms when > 0 */
	int64_t after_id;	/* id > after_id */
	int64_t limit;		/* at most this many rows; 0 = all */
	bool newest;		/* with limit: the newest rows, not the
				 * oldest (still delivered oldest first) */
};

/* Calls cb for each row f lets through, oldest first, with the store's
 * lock released (rows are copied in batches). A non-zero return from cb
 * stops and is returned. 0, -ENOMEM or -EIO. */
int store_journal_query(struct store *s, const struct store_journal_filter *f,
			int (*cb)(void *ctx, const struct journal_entry *e),
			void *ctx);
/* Number of rows f lets through (limit and after_id apply). 0 or -EIO. */
int store_journal_count_where(struct store *s,
			      const struct store_journal_filter *f,
			      int64_t *count);
/* Rows kept and rows dropped by the bound for site (case-insensitive), or
 * summed over every site when site is NULL. */
void store_journal_stats(struct store *s, const char *site, int64_t *rows,
			 int64_t *dropped);
/* Deletes the journal of site (NULL: all of it) and its drop count; the
 * number of rows deleted goes to *deleted if not NULL. 0, -ENOSPC or
 * -EIO. */
int store_journal_clear(struct store *s, const char *site, int64_t *deleted);

/* ---- status messages ------------------------------------------------------ */

/* At most max status messages per site. The message that passes the
 * bound drops, in its own transaction, the oldest of its site down to
 * max - max / 64: one drop per max / 64 messages rather than one per
 * message, which would add the oldest messages' pages to every change
 * (a bound below 64 is kept exactly). 0 = unbounded (the default). */
void store_set_statmsg_max(struct store *s, int64_t max);

/* Which status messages a query sees. Strings are borrowed for the
 * call. */
struct store_statmsg_filter {
	const char *site;	/* equal ignoring case; NULL: every site */
	int64_t record_id;	/* > 0: only this one */
	int64_t limit;		/* at most this many; 0 = all */
	bool newest_first;	/* from the newest back (with limit: the
				 * newest limit messages) */
};

/* Calls cb for each message f lets through, oldest first unless
 * f->newest_first, with the store's lock released (messages are copied
 * in batches). A non-zero return from cb stops and is returned. 0,
 * -ENOMEM or -EIO. */
int store_statmsg_query(struct store *s, const struct store_statmsg_filter *f,
			int (*cb)(void *ctx, const struct status_message *m),
			void *ctx);
/* Messages kept for site (case-insensitive), or for every site when
 * site is NULL. */
int64_t store_statmsg_count(struct store *s, const char *site);

/* ---- sites ------------------------------------------------------------- */

struct store_seed {
	const char *site;
	const char *nalpath;
	uint32_t mode;
};

/* Adds the n DPs of seeds, each with its mode unless (site, nalpath) is
 * known already, so a restart on the same file keeps the state; then sets
 * each seeds[i].mode to the mode the store holds. One transaction, so a
 * site of 100 000 DPs costs one commit, not 100 000. NAL paths compare
 * case-insensitively. 0, -EINVAL (a seed without site or NAL path, or a
 * mode other than 0 or 1), -ENOSPC or -EIO; nothing is added on failure. */
int store_seed(struct store *s, struct store_seed *seeds, size_t n);

/* store_seed, remembering what the seeds came from: digest (a string:
 * the fixture's, fixture.h). When the database was last seeded from the
 * same digest, nothing is added: the modes are read back in one walk of
 * each site's rows, and *skipped (when not NULL) is set. The walk
 * checks that every seed has its row; one missing (its site removed
 * since, a snapshot restored) makes it seed as store_seed does. The
 * seeds must then be grouped by site and ordered by NAL path ignoring
 * ASCII case (an order that differs only costs the full seeding). One
 * transaction; the same errors as store_seed. */
int store_seed_from(struct store *s, struct store_seed *seeds, size_t n,
		    const char *digest, bool *skipped);

/* What start-up remembers between runs besides the seeding's digest: a
 * text value by key (the table store_seed_from keeps its digest in).
 * get: *value malloc'd, NULL when none; 0 or -EIO. put: 0, -ENOSPC or
 * -EIO. */
int store_seed_state_get(struct store *s, const char *key, char **value);
int store_seed_state_put(struct store *s, const char *key, const char *value);

/* Puts site (NULL: every site) back to a fresh start in one transaction:
 * deletes its DP rows, journal, drop count and status messages, then
 * adds the n seeds
 * (whose own site fields are used). With n = 0 it forgets the site.
 * 0, -EINVAL (a mode above 1), -ENOSPC or -EIO. */
int store_reset(struct store *s, const char *site,
		const struct store_seed *seeds, size_t n);

/* ---- snapshots ----------------------------------------------------------
 *
 * A snapshot is a copy of the whole database made with SQLite's online
 * backup, plus text blobs the caller keeps with it (state that lives in
 * memory, such as fault rules and run-time sites). A file database keeps
 * them as NAME.db in the directory PATH.snapshots next to it, so they
 * outlive the process; an in-memory database keeps them in memory. */

struct store_blob {
	const char *key;
	const char *value;
};

/* [A-Za-z0-9][A-Za-z0-9_.-]{0,63}: safe as a file name. */
bool store_snapshot_name_valid(const char *name);
/* Saves (or replaces) snapshot name with the n blobs. 0, -EINVAL (bad
 * name), -ENOMEM or -EIO. 0 means durable: the copy is complete, renamed
 * to its name and the directory entry synced, so a crash afterwards keeps
 * it; a crash before keeps the previous snapshot of that name whole.
 * A file database is copied from a read transaction of its own, so writes
 * go on (and commit) while a large copy is written; an in-memory one is
 * copied with the store's lock held.
 *
 * fixed(ctx) is called once the copy's contents are fixed: every change
 * committed before is in the snapshot, none committed after. A caller
 * that holds its own lock to keep its state and the copy consistent can
 * release it there. fixed runs exactly once, on the
 * calling thread, also when the save fails (then possibly before
 * anything was copied); with a file database no store lock is held
 * while it runs, so it may call back into the store. */
int store_snapshot_save_notify(struct store *s, const char *name,
			       const struct store_blob *blobs, size_t n,
			       void (*fixed)(void *ctx), void *ctx);
/* The blob key of snapshot name (*value malloc'd, the caller frees it).
 * 0, -ENOENT (no such snapshot or key), -EPROTO (made by a schema
 * version this dpsim cannot restore), -EINVAL, -ENOMEM, -EIO. */
int store_snapshot_blob(struct store *s, const char *name, const char *key,
			char **value);
/* Replaces the whole database with snapshot name. A snapshot taken at an
 * older schema version (from 2, the first with snapshots) is migrated
 * as an old database file is on opening. The caller reloads whatever it
 * keeps in memory from the database afterwards. 0, -ENOENT, -EPROTO
 * (another application's, or a schema this dpsim does not know), -EINVAL
 * or -EIO. */
int store_snapshot_restore(struct store *s, const char *name);
/* 0, -ENOENT, -EINVAL or -EIO. */
int store_snapshot_delete(struct store *s, const char *name);

struct store_snapshot_info {
	const char *name;	/* borrowed for the callback */
	int64_t created_ms;	/* Unix time in ms */
	int64_t bytes;		/* size of the copy; 0 in memory */
};
/* Calls cb for every snapshot, sorted by name; a non-zero return from cb
 * stops and is returned. A copy still being written (or left half
 * written by a crash, removed by the next store_open_opts) is never
 * listed.
 * 0, -ENOMEM or -EIO. */
int store_snapshot_list(struct store *s,
			int (*cb)(void *ctx, const struct store_snapshot_info *i),
			void *ctx);

#endif
