/* store: dpsim's durable state in SQLite. See store.h for the contract.
 *
 * Locking: s->lock guards the main connection and its prepared statements.
 * Callbacks of the foreach functions run with the lock released, on copies
 * of the rows, so a slow consumer (an HTTP response being written) never
 * stalls writers and a callback may call back into the store.
 *
 * The checkpointer thread owns a second connection and runs passive
 * checkpoints, which never block the writer; only to rewind a long WAL
 * does it hold s->lock, for one short pass (ckpt_run). Lock order:
 * s->lock, then ckpt.lock.
 *
 * A file snapshot is copied by a read-only connection of its own, in one
 * read transaction, holding only s->snap_lock (which orders saves, as
 * they share NAME.db.tmp): WAL lets that transaction see one consistent
 * state while the main connection keeps committing.
 */
#include "store.h"
#include "store_testing.h"
#include "store_wal.h"
#include "completion.h"
#include "dblock.h"
#include "log.h"
#include "ratelimit.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* How often the checkpointer looks at the WAL when nothing urges it:
 * often while commits come, so that each pass copies back and syncs a
 * short stretch of the WAL (on the bench machine, passes every 250 ms
 * under load synced some 30 MiB at a time; with 50 ms the p99 of steady
 * Invoke was lower in each of six A/B pairs, at 16 connections 5.5-8.8
 * ms against 6.5-9.7, at 1 connection 2.0-4.6 ms against 2.3-5.5);
 * seldom when idle, so that an idle dpsim hardly wakes. */
#define CKPT_BUSY_PERIOD_MS 50
#define CKPT_PERIOD_MS 250
/* A period's pass copies the WAL back once this many commits came since
 * the last one, or once commits stopped for a period: a few commits'
 * worth of frames is mostly the same hot pages (dp_state's, the journal's
 * newest), copied again at each pass for nothing. */
#define CKPT_MIN_COMMITS 64
/* A WAL this long (frames of about 4 KiB) wakes the checkpointer at once
 * and makes it rewind the WAL (see ckpt_run). Smaller means more frequent
 * writer stalls of a few ms under sustained load; larger, a bigger file:
 * at 20-28k changes/s the WAL peaked at 75-90 MiB with this value. */
#define CKPT_REWIND_FRAMES 8192
/* Unlocked passes before the locked one; enough once a pass lets in no
 * more frames than this. */
#define CKPT_CATCHUP_PASSES 6
#define CKPT_CATCHUP_FRAMES 256
/* A rewound WAL is reused, not shrunk; a file beyond this is truncated by
 * the next commit. Above the usual peak: that truncation runs on a request
 * and cost 10-20 ms at 64 MiB. Bytes, as text for the pragma: 128 MiB. */
#define WAL_SIZE_LIMIT "134217728"
/* A full disk fails every write: one log line per this many ms. */
#define FULL_LOG_INTERVAL_MS 60000
/* Rows copied per lock hold while iterating the journal. */
#define JOURNAL_BATCH 256

/* Migration i upgrades schema version i to i+1; the steps a file needs
 * run in one transaction with the user_version bump (migrate_steps). Add
 * a version by appending one entry and raising STORE_SCHEMA_VERSION.
 * Never edit a shipped entry: files in the field were made by it. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE dp_state("
	" site TEXT NOT NULL COLLATE NOCASE,"
	" nalpath TEXT NOT NULL COLLATE NOCASE,"
	" mode INTEGER NOT NULL CHECK(mode IN (0, 1)),"
	" updated_ms INTEGER,"
	" updated_by TEXT,"
	" PRIMARY KEY(site, nalpath));"
	"CREATE TABLE journal("
	/* No AUTOINCREMENT: it rewrites sqlite_sequence on every insert,
	 * one more page per commit; max(id)+1 is monotonic while the
	 * newest row is kept, which trimming guarantees. */
	" id INTEGER PRIMARY KEY,"
	" time_ms INTEGER NOT NULL,"
	" user TEXT,"
	" protocol TEXT,"
	" operation TEXT,"
	" site TEXT,"
	" class TEXT,"
	" method TEXT,"
	" nalpath TEXT,"
	" params TEXT,"
	" old_mode INTEGER,"
	" new_mode INTEGER,"
	" hresult INTEGER NOT NULL,"
	" latency_us INTEGER);",
	/* 1 -> 2: fault rules in the journal, its per-site bound, and the
	 * table snapshots carry in-memory state in (always empty here). */
	"ALTER TABLE journal ADD COLUMN rule_id INTEGER;"
	"ALTER TABLE journal ADD COLUMN effect TEXT;"
	"ALTER TABLE journal ADD COLUMN return_value INTEGER;"
	"ALTER TABLE journal ADD COLUMN http_status INTEGER;"
	"CREATE INDEX journal_site ON journal(site, id);"
	"CREATE TABLE journal_stats("
	" site TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,"
	" dropped INTEGER NOT NULL);"
	"CREATE TABLE snapshot_meta("
	" key TEXT NOT NULL PRIMARY KEY,"
	" value TEXT);",
	/* 2 -> 3: requests a front end refused before the provider. */
	"ALTER TABLE journal ADD COLUMN refusal TEXT;",
	/* 3 -> 4: the status messages a site writes (SMS_StatusMessage),
	 * their insertion strings in the same row (ins0 is %1; NULL: none),
	 * so that a change adds one row and one index entry. record_id
	 * without AUTOINCREMENT, as the journal's id: trimming keeps the
	 * newest message, so max+1 goes on growing; txn is the
	 * Transaction property (a keyword in SQL). */
	"CREATE TABLE status_message("
	" record_id INTEGER PRIMARY KEY,"
	" site TEXT NOT NULL COLLATE NOCASE,"
	" nalpath TEXT,"
	" time_ms INTEGER NOT NULL,"
	" message_id INTEGER NOT NULL,"
	" severity INTEGER NOT NULL,"
	" message_type INTEGER NOT NULL,"
	" module_name TEXT,"
	" component TEXT,"
	" machine TEXT,"
	" process_id INTEGER NOT NULL,"
	" thread_id INTEGER NOT NULL,"
	" win32_error INTEGER NOT NULL,"
	" report_function INTEGER NOT NULL,"
	" successful_transaction INTEGER NOT NULL,"
	" txn INTEGER NOT NULL,"
	" per_client INTEGER NOT NULL,"
	" top_level_site_code TEXT,"
	" ins0 TEXT, ins1 TEXT, ins2 TEXT, ins3 TEXT, ins4 TEXT,"
	" ins5 TEXT, ins6 TEXT, ins7 TEXT, ins8 TEXT, ins9 TEXT);"
	"CREATE INDEX status_message_site ON status_message(site, record_id);",
	/* 4 -> 5: what the DP rows were seeded from (the fixture's digest),
	 * so a restart with the same fixture skips the seeding. */
	"CREATE TABLE seed_state("
	" key TEXT NOT NULL PRIMARY KEY,"
	" value TEXT);",
};

/* The oldest schema a snapshot can be restored from: snapshots (and
 * snapshot_meta, where their blobs live) came with version 2. */
#define SNAPSHOT_OLDEST_SCHEMA 2

_Static_assert(ARRAY_SIZE(migrations) == STORE_SCHEMA_VERSION,
	       "one migration per schema version");

enum stmt_id {
	ST_BEGIN,
	ST_COMMIT,
	ST_ROLLBACK,
	ST_GET_MODE,
	ST_UPDATE_MODE,
	ST_SEED,
	ST_FOREACH_MODE,
	ST_JOURNAL_ADD,
	ST_JOURNAL_BATCH,
	ST_JOURNAL_COUNT,
	ST_JOURNAL_TRIM,
	ST_JOURNAL_FLOOR,
	ST_STATS_SET,
	ST_STATMSG_ADD,
	ST_STATMSG_OLDEST,
	ST_STATMSG_TRIM,
	ST_COUNT
};

#define JOURNAL_COLS "id, time_ms, user, protocol, operation, site, class, " \
	"method, nalpath, params, old_mode, new_mode, hresult, latency_us, " \
	"rule_id, effect, return_value, http_status, refusal"
/* Whether a journal row is one a reader may see: false for the rows
 * past the bound that are not deleted yet (journal_visible_fn). */
#define JOURNAL_VISIBLE "dpsim_journal_visible(site, id)"

static const char *const stmt_sql[ST_COUNT] = {
	[ST_BEGIN] = "BEGIN IMMEDIATE",
	[ST_COMMIT] = "COMMIT",
	[ST_ROLLBACK] = "ROLLBACK",
	[ST_GET_MODE] =
		"SELECT mode FROM dp_state WHERE site = ?1 AND nalpath = ?2",
	[ST_UPDATE_MODE] =
		/* updated_ms and updated_by: the last change of the mode
		 * (apply_mode_locked). */
		"UPDATE dp_state SET mode = ?3, updated_ms = ?4, updated_by = ?5"
		" WHERE site = ?1 AND nalpath = ?2 AND mode <> ?3",
	[ST_SEED] =
		"INSERT OR IGNORE INTO dp_state(site, nalpath, mode, updated_ms)"
		" VALUES (?1, ?2, ?3, ?4)",
	[ST_FOREACH_MODE] =
		"SELECT nalpath, mode FROM dp_state WHERE site = ?1"
		" ORDER BY nalpath",
	[ST_JOURNAL_ADD] =
		"INSERT INTO journal(time_ms, user, protocol, operation, site,"
		" class, method, nalpath, params, old_mode, new_mode, hresult,"
		" latency_us, rule_id, effect, return_value, http_status,"
		" refusal)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
		" ?13, ?14, ?15, ?16, ?17, ?18)",
	[ST_JOURNAL_BATCH] =
		"SELECT " JOURNAL_COLS " FROM journal WHERE id > ?1"
		" AND " JOURNAL_VISIBLE " ORDER BY id LIMIT ?2",
	[ST_JOURNAL_COUNT] = "SELECT count(*) FROM journal WHERE "
		JOURNAL_VISIBLE,
	/* IS, not =: rows without a site are a site of their own. */
	/* Up to the n-th oldest id, both steps on the (site, id) index: an
	 * IN (SELECT ... LIMIT) builds a temporary table at every call. */
	[ST_JOURNAL_TRIM] =
		"DELETE FROM journal WHERE site IS ?1 AND id <= (SELECT id"
		" FROM journal WHERE site IS ?1 ORDER BY id LIMIT 1 OFFSET ?2 - 1)",
	[ST_JOURNAL_FLOOR] =
		"SELECT id FROM journal WHERE site IS ?1 ORDER BY id"
		" LIMIT 1 OFFSET ?2",
	[ST_STATS_SET] =
		"INSERT INTO journal_stats(site, dropped) VALUES (?1, ?2)"
		" ON CONFLICT(site) DO UPDATE SET dropped = excluded.dropped",
	[ST_STATMSG_ADD] =
		"INSERT INTO status_message(site, nalpath, time_ms, message_id,"
		" severity, message_type, module_name, component, machine,"
		" process_id, thread_id, win32_error, report_function,"
		" successful_transaction, txn, per_client, top_level_site_code,"
		" ins0, ins1, ins2, ins3, ins4, ins5, ins6, ins7, ins8, ins9)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
		" ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24,"
		" ?25, ?26, ?27)",
	/* The bound in two steps, both on the (site, record_id) index:
	 * the newest of the ?2 oldest messages of a site, then every
	 * message of the site up to it. An IN (SELECT ... LIMIT) would
	 * build a temporary table on every change. */
	[ST_STATMSG_OLDEST] =
		"SELECT record_id FROM status_message WHERE site = ?1"
		" ORDER BY record_id LIMIT 1 OFFSET ?2 - 1",
	[ST_STATMSG_TRIM] =
		"DELETE FROM status_message WHERE site = ?1 AND record_id <= ?2",
};

/* Rows per site of one table. */
struct jcount {
	char *site;		/* NULL: rows without a site */
	int64_t rows;		/* in the table, past the bound or not */
	int64_t dropped;	/* the journal's: rows its bound dropped and
				 * deleted (journal_stats) */
	/* The journal's rows past its bound that are not deleted yet
	 * (journal_over): the oldest of the site, ids below floor. floor
	 * is valid while floor_over equals the number past the bound. */
	int64_t floor;
	int64_t floor_over;
};

struct counts {
	struct jcount *v;
	size_t n;
};

struct checkpointer {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	bool stop;		/* under lock */
	bool kick;		/* under lock: the WAL is large, go now */
	sqlite3 *db;		/* used by the thread only */
};

/* A call's write waiting for its commit (see Group commit below). */
struct pending {
	struct pending *next;
	const char *site;		/* a mode change: site, nalpath, mode */
	const char *nalpath;		/* NULL: a journal row alone */
	uint32_t mode;
	struct journal_entry *e;
	struct status_message *m;	/* with a mode change, or NULL */
	uint32_t old;			/* the mode it replaced */
	int rc;				/* 0, -ENOENT, -ENOSPC, -EIO */
	uint64_t seq;			/* its place in commit order */
	/* A queued write (store_set_mode_queue): fired once committed.
	 * NULL: its caller blocks in submit until done. */
	struct completion *fired;
	bool m_if_changed;		/* m only when the mode changes */
	bool done;			/* under qlock */
};

/* A write queued without waiting, with copies of what it writes (the
 * caller's request may be gone by the time it is committed). */
struct store_write {
	struct pending w;
	struct completion done;
	struct journal_entry e;
	struct status_message m;
	char text[];		/* the strings of w, e and m */
};

struct store {
	struct dblock *file_lock;	/* a file database's; NULL in memory */
	/* The queue of writes (Group commit). Lock order: qlock is never
	 * held while taking lock. */
	pthread_mutex_t qlock;
	pthread_cond_t qdone;
	struct pending *qhead, **qtail;
	bool leading;			/* a batch is being committed */
	bool handoff;			/* ... by the committer thread */
	bool cstop;			/* the committer thread ends */
	bool crunning;
	/* store_testing_hold: the next batch waits, and says so, until
	 * released (qdone wakes both sides). */
	bool hold, held;
	pthread_cond_t qwork;		/* wakes the committer thread */
	pthread_t committer;
	uint64_t seq;			/* writes committed (under lock) */
	_Atomic uint64_t reset_seq;	/* seq at the last reset or restore */
	uint64_t batches, batched;	/* for the debug line on close */
	struct ratelimit *full_log;	/* "disk full" log lines */
	pthread_mutex_t lock;
	pthread_mutex_t snap_lock;	/* one file snapshot save at a time */
	sqlite3 *db;
	sqlite3_stmt *st[ST_COUNT];
	char *path;
	bool is_file;
	enum store_durability durability;
	bool ready;		/* fully opened: store_free checkpoints */

	/* Under lock: set by the WAL hook, read by the checkpointer. Plain
	 * fields rather than atomics keep helgrind able to check them. */
	uint64_t commits;
	bool kicked;		/* checkpointer already urged */

	bool ckpt_running;
	struct checkpointer ckpt;

	/* Under lock: the journal's bound and its rows per site, and the
	 * status messages' bound and messages per site, kept in memory so
	 * an append need not count; rebuilt from the tables after anything
	 * but a plain append (counts_reload_locked). */
	int64_t journal_max;
	struct counts jrows;
	int64_t statmsg_max;
	struct counts mrows;

	/* Under lock: the snapshots of an in-memory database. */
	struct memsnap *snaps;
	size_t nsnaps;
};


struct memsnap {
	char *name;
	sqlite3 *db;
	int64_t created_ms;
};

static int counts_reload_locked(struct store *s);
static void counts_free(struct counts *c);
static void snapshot_remove_stale(struct store *s);

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_err(char *err, size_t errsize, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errsize, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errsize)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsize, fmt, ap);
	va_end(ap);
}

/* Maps an SQLite failure seen while opening to an errno, using the OS
 * error behind SQLITE_CANTOPEN where SQLite kept it. */
static int open_errno(sqlite3 *db, int rc)
{
	switch (rc & 0xff) {
	case SQLITE_CANTOPEN:
		switch (db ? sqlite3_system_errno(db) : 0) {
		case ENOENT:
		case ENOTDIR:
			return -ENOENT;
		case EACCES:
		case EPERM:
		case EROFS:
			return -EACCES;
		}
		return -EIO;
	case SQLITE_PERM:
	case SQLITE_READONLY:
	case SQLITE_AUTH:
		return -EACCES;
	case SQLITE_NOMEM:
		return -ENOMEM;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return -EBUSY;
	}
	return -EIO;
}

static const char *db_msg(sqlite3 *db, int rc)
{
	return db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
}

static void stmt_done(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* Binds s as text, or NULL; the statement is reset before the caller
 * returns, so the caller's buffer outlives every use. */
static int bind_str(sqlite3_stmt *st, int i, const char *s)
{
	return s ? sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC)
		 : sqlite3_bind_null(st, i);
}

/* -1 means "not applicable"; store it as NULL so SQL sees it that way. */
static int bind_mode(sqlite3_stmt *st, int i, int64_t mode)
{
	return mode < 0 ? sqlite3_bind_null(st, i)
			: sqlite3_bind_int64(st, i, mode);
}

/* Runs a statement that returns no rows, then resets it. */
static int step_done(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	stmt_done(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Every write fails alike until space is freed: say it once a minute,
 * with the number not said. */
static void log_full(struct store *s, const char *what, const char *msg)
{
	uint64_t unsaid;

	if (ratelimit_pass(s->full_log, ratelimit_now_ms(), &unsaid))
		log_error("store %s: disk full: %s: %s; changes and journal"
			  " rows are refused until space is freed (%" PRIu64
			  " more such failures not logged since the last"
			  " report, at most one a minute)", s->path, what,
			  msg, unsaid);
}

static void log_sqlite(struct store *s, const char *what, int rc)
{
	if ((rc & 0xff) == SQLITE_FULL)
		log_full(s, what, sqlite3_errmsg(s->db));
	else
		log_error("store %s: %s: %s (%d)", s->path, what,
			  sqlite3_errmsg(s->db), rc);
}

/* The errno a failed write returns: a full disk is not an I/O error, and
 * the caller tells the client which it was. */
static int write_errno(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_FULL:
		return -ENOSPC;
	case SQLITE_NOMEM:
		return -ENOMEM;
	}
	return -EIO;
}

/* Reads one integer from a single-row statement such as a pragma. */
static int query_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* Turns WAL on and checks it took: some file systems (no shared memory)
 * silently keep the old journal mode, and then a crash loses nothing but
 * the checkpoint design below would be wrong. */
static int enable_wal(sqlite3 *db, const char *path, char *err, size_t errsize)
{
	char mode[16] = "";
	sqlite3_stmt *st;
	int rc;

	rc = sqlite3_prepare_v2(db, "PRAGMA journal_mode=WAL", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			const unsigned char *t = sqlite3_column_text(st, 0);

			snprintf(mode, sizeof(mode), "%s", t ? (const char *)t : "");
			rc = SQLITE_OK;
		}
		sqlite3_finalize(st);
	}
	if (rc != SQLITE_OK) {
		set_err(err, errsize, "cannot open database %s: %s", path,
			sqlite3_errmsg(db));
		return open_errno(db, rc);
	}
	if (strcmp(mode, "wal") != 0) {
		set_err(err, errsize,
			"cannot open database %s: WAL journal mode unavailable"
			" (journal_mode is \"%s\")", path, mode);
		return -EIO;
	}
	return 0;
}

static int configure(sqlite3 *db, const char *path, bool is_file,
		     enum store_durability durability, char *err,
		     size_t errsize)
{
	int rc;

	rc = sqlite3_busy_timeout(db, 5000);
	/* 4 KiB, SQLite's default, set here because databases made before
	 * had 1 KiB pages (a quarter of the bytes per commit). Since a
	 * commit reaches the WAL in one write whatever its size
	 * (store_wal.c), what the page size still changes is the number of
	 * pages a commit touches and the checkpointer reads and writes back
	 * one system call each: 4 KiB pages make about half the system
	 * calls per change, which cost more here than the bytes (Invoke at
	 * 16 connections 18-19k -> 19-22k req/s). Only takes effect on a new
	 * database (before WAL mode is set); an older file keeps its own. */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA page_size=4096", NULL, NULL, NULL);
	if (rc == SQLITE_OK && is_file) {
		rc = enable_wal(db, path, err, errsize);
		if (rc)
			return rc;
		/* Must precede sqlite3_wal_hook: this pragma replaces the hook. */
		rc = sqlite3_exec(db, "PRAGMA wal_autocheckpoint=0;"
				  "PRAGMA journal_size_limit=" WAL_SIZE_LIMIT,
				  NULL, NULL, NULL);
	}
	/* In WAL mode NORMAL syncs only at checkpoints: a commit is in the
	 * OS's hands, safe from a crash of the process but not of the
	 * machine. FULL syncs the WAL on every commit. */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, durability == STORE_DURABILITY_FULL ?
				  "PRAGMA synchronous=FULL" :
				  "PRAGMA synchronous=NORMAL", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA foreign_keys=ON", NULL, NULL,
				  NULL);
	if (rc != SQLITE_OK) {
		set_err(err, errsize, "cannot open database %s: %s", path,
			sqlite3_errmsg(db));
		return open_errno(db, rc);
	}
	return 0;
}

/* The steps from *version to STORE_SCHEMA_VERSION in one write
 * transaction with the user_version bump: a file is at one version or
 * the next, never between, and a new database is made in one commit. The
 * version is read again inside the transaction so that two processes
 * opening the same old file cannot both migrate it. On failure, why
 * (whysize bytes) says which step failed and SQLite's words for it. */
static int migrate_steps(sqlite3 *db, int64_t *version, char *why,
			 size_t whysize)
{
	char bump[48];
	int64_t v = *version;
	int rc;

	rc = sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = query_int(db, "PRAGMA user_version", &v);
	if (rc == SQLITE_OK && v == *version) {
		for (; v < STORE_SCHEMA_VERSION; v++)
			if ((rc = sqlite3_exec(db, migrations[v], NULL, NULL,
					       NULL)) != SQLITE_OK)
				break;
		/* PRAGMA takes no parameters; v is our own small integer. */
		snprintf(bump, sizeof(bump), "PRAGMA user_version=%" PRId64, v);
		if (rc == SQLITE_OK)
			rc = sqlite3_exec(db, bump, NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		/* Before ROLLBACK, which would overwrite SQLite's message. */
		if (v < STORE_SCHEMA_VERSION)
			set_err(why, whysize, "step %" PRId64 " to %" PRId64
				": %s", v, v + 1, sqlite3_errmsg(db));
		else
			set_err(why, whysize, "%s", sqlite3_errmsg(db));
		if (!sqlite3_get_autocommit(db))
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	*version = v;
	return SQLITE_OK;
}

static int migrate(sqlite3 *db, const char *path, char *err, size_t errsize)
{
	int64_t v;
	int rc;

	rc = query_int(db, "PRAGMA user_version", &v);
	if (rc != SQLITE_OK) {
		set_err(err, errsize, "cannot open database %s: %s", path,
			sqlite3_errmsg(db));
		return open_errno(db, rc);
	}
	if (v < STORE_SCHEMA_VERSION && v >= 0) {
		int64_t from = v;

		char why[256];

		rc = migrate_steps(db, &v, why, sizeof(why));
		if (rc != SQLITE_OK) {
			set_err(err, errsize,
				"cannot migrate database %s from schema version"
				" %" PRId64 " to %d: %s", path, from,
				STORE_SCHEMA_VERSION, why);
			return open_errno(db, rc);
		}
		if (v != from)
			log_info("database %s: schema version %" PRId64, path, v);
	}
	if (v < 0) {
		set_err(err, errsize, "database %s has unknown schema version"
			" %" PRId64, path, v);
		return -EPROTO;
	}
	if (v != STORE_SCHEMA_VERSION) {
		set_err(err, errsize,
			"database %s has schema version %" PRId64
			", newer than this dpsim (%d)", path, v,
			STORE_SCHEMA_VERSION);
		return -EPROTO;
	}
	return 0;
}

/* Runs on the committing thread with s->lock held; keep it cheap. */
static int wal_hook(void *ctx, sqlite3 *db, const char *name, int pages)
{
	struct store *s = ctx;

	s->commits++;
	if (pages >= CKPT_REWIND_FRAMES && !s->kicked) {
		/* Lock order: s->lock, then ckpt.lock. */
		s->kicked = true;
		pthread_mutex_lock(&s->ckpt.lock);
		s->ckpt.kick = true;
		pthread_cond_signal(&s->ckpt.wake);
		pthread_mutex_unlock(&s->ckpt.lock);
	}
	return SQLITE_OK;
}

static void deadline_after_ms(struct timespec *ts, long ms)
{
	clock_gettime(CLOCK_MONOTONIC, ts);
	ts->tv_sec += ms / 1000;
	ts->tv_nsec += (ms % 1000) * 1000000L;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

/* Waits ms or until kicked; false once told to stop. */
static bool ckpt_wait(struct checkpointer *c, long ms)
{
	struct timespec deadline;
	bool go_on;

	deadline_after_ms(&deadline, ms);
	pthread_mutex_lock(&c->lock);
	while (!c->stop && !c->kick) {
		if (pthread_cond_timedwait(&c->wake, &c->lock, &deadline) ==
		    ETIMEDOUT)
			break;
	}
	c->kick = false;
	go_on = !c->stop;
	pthread_mutex_unlock(&c->lock);
	return go_on;
}

static int ckpt_passive(struct store *s, int *log_frames, int *done)
{
	int rc = sqlite3_wal_checkpoint_v2(s->ckpt.db, NULL,
					   SQLITE_CHECKPOINT_PASSIVE,
					   log_frames, done);

	/* BUSY: another connection held the WAL's checkpoint or a read
	 * lock for a moment (a commit's WAL restart, a snapshot opening);
	 * the next pass catches up, so it is no news. */
	if (rc == SQLITE_BUSY)
		log_debug("store %s: checkpoint deferred: %s", s->path,
			  sqlite3_errmsg(s->ckpt.db));
	else if ((rc & 0xff) == SQLITE_FULL)
		log_full(s, "checkpoint", sqlite3_errmsg(s->ckpt.db));
	else if (rc != SQLITE_OK)
		log_warn("store %s: checkpoint: %s (%d)", s->path,
			 sqlite3_errmsg(s->ckpt.db), rc);
	return rc;
}

/* SQLite rewinds the WAL only when a write begins with every frame
 * already copied back, which a passive checkpoint never achieves while
 * commits keep coming: the WAL would grow without bound (1.2 GB after
 * 100k back-to-back changes) and every read would slow down with it.
 * So once it is long, copy the few frames that arrived meanwhile with
 * writers held off by our own mutex, which wakes them the moment it is
 * released, unlike SQLite's sleeping busy handler. */
static void ckpt_run(struct store *s)
{
	int log_frames = 0, done = 0, prev, rc;

	if (ckpt_passive(s, &log_frames, &done) != SQLITE_OK ||
	    log_frames < CKPT_REWIND_FRAMES)
		return;
	/* Catch up unlocked first, so that the locked pass copies (and
	 * fsyncs) only what one short pass let in: measured 2-6 ms held. */
	for (int i = 0; i < CKPT_CATCHUP_PASSES; i++) {
		prev = log_frames;
		if (ckpt_passive(s, &log_frames, &done) != SQLITE_OK)
			return;
		if (log_frames - prev <= CKPT_CATCHUP_FRAMES)
			break;
	}
	struct timespec t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	pthread_mutex_lock(&s->lock);
	rc = ckpt_passive(s, &log_frames, &done);
	pthread_mutex_unlock(&s->lock);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (rc == SQLITE_OK)
		log_debug("store %s: WAL of %d frames copied back, %d done, "
			  "writers held off %.1f ms", s->path, log_frames, done,
			  (double)(t1.tv_sec - t0.tv_sec) * 1e3 +
			  (double)(t1.tv_nsec - t0.tv_nsec) / 1e6);
}

static void *ckpt_main(void *arg)
{
	struct store *s = arg;
	uint64_t seen = 0, last = 0;
	bool busy = false;

	while (ckpt_wait(&s->ckpt, busy ? CKPT_BUSY_PERIOD_MS : CKPT_PERIOD_MS)) {
		uint64_t now;
		bool kicked;

		pthread_mutex_lock(&s->lock);
		now = s->commits;
		kicked = s->kicked;
		s->kicked = false;
		pthread_mutex_unlock(&s->lock);
		/* A kick (the WAL is long) goes at once: ckpt_run then
		 * copies and rewinds. */
		if (now != seen && (now - seen >= CKPT_MIN_COMMITS ||
				    now == last || kicked)) {
			seen = now;
			ckpt_run(s);
		}
		busy = now != last;
		last = now;
	}
	return NULL;
}

static int ckpt_start(struct store *s, char *err, size_t errsize)
{
	struct checkpointer *c = &s->ckpt;
	pthread_condattr_t attr;
	int rc;

	rc = sqlite3_open_v2(s->path, &c->db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(c->db, "PRAGMA wal_autocheckpoint=0",
				  NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		set_err(err, errsize, "cannot open database %s: %s", s->path,
			db_msg(c->db, rc));
		rc = open_errno(c->db, rc);
	} else {
		/* A connection that has never read the file does not know it
		 * is in WAL mode, and its checkpoints silently do nothing. */
		rc = enable_wal(c->db, s->path, err, errsize);
	}
	if (rc) {
		sqlite3_close(c->db);
		c->db = NULL;
		return rc;
	}

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&c->wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_init(&c->lock, NULL);
	c->stop = false;
	c->kick = false;

	rc = pthread_create(&c->thread, NULL, ckpt_main, s);
	if (rc) {
		set_err(err, errsize, "database %s: cannot start checkpointer:"
			" %s", s->path, strerror(rc));
		pthread_cond_destroy(&c->wake);
		pthread_mutex_destroy(&c->lock);
		sqlite3_close(c->db);
		c->db = NULL;
		return -rc;
	}
	s->ckpt_running = true;
	sqlite3_wal_hook(s->db, wal_hook, s);
	return 0;
}

static void ckpt_stop(struct store *s)
{
	struct checkpointer *c = &s->ckpt;

	if (!s->ckpt_running)
		return;
	sqlite3_wal_hook(s->db, NULL, NULL);
	pthread_mutex_lock(&c->lock);
	c->stop = true;
	pthread_cond_signal(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	pthread_cond_destroy(&c->wake);
	pthread_mutex_destroy(&c->lock);
	sqlite3_close(c->db);
	c->db = NULL;
	s->ckpt_running = false;
}

static void journal_visible_fn(sqlite3_context *ctx, int argc,
			       sqlite3_value **argv);
static void journal_trim_all(struct store *s);

static int prepare_all(struct store *s, char *err, size_t errsize)
{
	int frc = sqlite3_create_function_v2(s->db, "dpsim_journal_visible", 2,
					     SQLITE_UTF8 | SQLITE_DIRECTONLY,
					     s, journal_visible_fn, NULL, NULL,
					     NULL);

	if (frc != SQLITE_OK) {
		set_err(err, errsize, "cannot open database %s: %s", s->path,
			sqlite3_errmsg(s->db));
		return open_errno(s->db, frc);
	}
	for (int i = 0; i < ST_COUNT; i++) {
		int rc = sqlite3_prepare_v3(s->db, stmt_sql[i], -1,
					    SQLITE_PREPARE_PERSISTENT,
					    &s->st[i], NULL);

		if (rc != SQLITE_OK) {
			set_err(err, errsize, "cannot open database %s: %s",
				s->path, sqlite3_errmsg(s->db));
			return open_errno(s->db, rc);
		}
	}
	return 0;
}

/* What an existing file is, read through a read-only connection before
 * anything may write to it (WAL mode, a migration, the application_id). */
struct file_kind {
	int64_t app_id;
	int64_t version;	/* user_version */
	bool has_tables;	/* any table at all */
	bool dpsim_tables;	/* dp_state and journal */
};

static int read_kind(sqlite3 *db, struct file_kind *k)
{
	int64_t n = 0;
	int rc;

	/* The first read of the file: SQLITE_NOTADB for anything else. */
	rc = query_int(db, "SELECT count(*) FROM sqlite_master", &n);
	if (rc == SQLITE_OK)
		rc = query_int(db, "PRAGMA application_id", &k->app_id);
	if (rc == SQLITE_OK)
		rc = query_int(db, "PRAGMA user_version", &k->version);
	k->has_tables = n > 0;
	if (rc == SQLITE_OK)
		rc = query_int(db, "SELECT count(*) FROM sqlite_master WHERE"
			       " type = 'table' AND name IN ('dp_state',"
			       " 'journal')", &n);
	k->dpsim_tables = n == 2;
	return rc;
}

/* Refuses, leaving it untouched, a file that is not an SQLite database,
 * is another application's (its application_id, or without one, tables
 * that are not dpsim's) or was written by a newer dpsim. A missing or
 * empty file is a new database; a dpsim file without our application_id
 * (written before dpsim set one) is adopted by open_main. 0 or -EPROTO
 * with a reason naming path, or an open failure. *adopt says whether
 * the file still needs the application_id. */
static int check_file(const char *path, bool *adopt, char *err,
		      size_t errsize)
{
	struct file_kind k = { 0 };
	sqlite3 *db = NULL;
	struct stat st;
	int rc;

	*adopt = true;
	if (stat(path, &st) < 0)
		return 0;	/* new; a real problem shows when opening */
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(db, 5000);
	if (rc == SQLITE_OK)
		rc = read_kind(db, &k);
	if ((rc & 0xff) == SQLITE_NOTADB) {
		set_err(err, errsize, "database %s is not an SQLite database",
			path);
		rc = -EPROTO;
	} else if (rc != SQLITE_OK) {
		set_err(err, errsize, "cannot open database %s: %s", path,
			db_msg(db, rc));
		rc = open_errno(db, rc);
	} else if (k.app_id != STORE_APPLICATION_ID &&
		   (k.app_id != 0 || (k.has_tables && !k.dpsim_tables) ||
		    (!k.has_tables && k.version != 0))) {
		set_err(err, errsize, "database %s is an SQLite database of"
			" another application (application_id 0x%08" PRIX32
			"%s)", path, (uint32_t)k.app_id,
			k.app_id ? "" : ", and tables that are not dpsim's");
		rc = -EPROTO;
	} else if (k.version > STORE_SCHEMA_VERSION) {
		set_err(err, errsize, "database %s was written by a newer dpsim"
			" (schema %" PRId64 ", this one knows up to %d)", path,
			k.version, STORE_SCHEMA_VERSION);
		rc = -EPROTO;
	} else if (k.version < 0) {
		set_err(err, errsize, "database %s has unknown schema version"
			" %" PRId64, path, k.version);
		rc = -EPROTO;
	}
	*adopt = k.app_id != STORE_APPLICATION_ID;
	sqlite3_close(db);
	return rc;
}

/* Marks the file as dpsim's, once its schema is current. SQLite code. */
static int set_application_id(sqlite3 *db)
{
	char sql[48];

	/* PRAGMA takes no parameters; the value is our constant. */
	snprintf(sql, sizeof(sql), "PRAGMA application_id=%" PRId32,
		 (int32_t)STORE_APPLICATION_ID);
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

static int open_main(struct store *s, char *err, size_t errsize)
{
	bool adopt = true;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		    SQLITE_OPEN_NOMUTEX;
	int rc;

	if (s->is_file) {
		rc = check_file(s->path, &adopt, err, errsize);
		if (rc)
			return rc;
	}
	/* Through store_wal: a commit's WAL frames in one write. */
	rc = sqlite3_open_v2(s->path, &s->db, flags, store_wal_vfs());
	if (rc != SQLITE_OK) {
		set_err(err, errsize, "cannot open database %s: %s", s->path,
			db_msg(s->db, rc));
		return open_errno(s->db, rc);
	}
	sqlite3_extended_result_codes(s->db, 1);
	/* SQLite quietly opens a write-protected file read-only; every
	 * later write would then fail, so refuse now. */
	if (sqlite3_db_readonly(s->db, "main") == 1) {
		set_err(err, errsize, "cannot open database %s: %s", s->path,
			sqlite3_errstr(SQLITE_READONLY));
		return -EACCES;
	}
	rc = configure(s->db, s->path, s->is_file, s->durability, err,
		       errsize);
	if (rc == 0)
		rc = migrate(s->db, s->path, err, errsize);
	if (rc == 0 && adopt) {
		int src = set_application_id(s->db);

		if (src != SQLITE_OK) {
			set_err(err, errsize, "cannot open database %s: setting"
				" its application_id: %s", s->path,
				sqlite3_errmsg(s->db));
			return open_errno(s->db, src);
		}
	}
	if (rc == 0)
		rc = prepare_all(s, err, errsize);
	return rc;
}

int store_open(const char *path, struct store **out, char *err, size_t errsize)
{
	return store_open_opts(path, NULL, out, err, errsize);
}

static void *committer_main(void *arg);

int store_open_opts(const char *path, const struct store_options *o,
		    struct store **out, char *err, size_t errsize)
{
	static const struct store_options defaults = { 0 };
	struct store *s;
	int rc;

	*out = NULL;
	if (!o)
		o = &defaults;
	if (err && errsize)
		err[0] = '\0';
	if (!path || !*path) {
		dblock_free(o->lock);
		set_err(err, errsize, "no database path given");
		return -EINVAL;
	}
	s = calloc(1, sizeof(*s));
	if (!s || !(s->path = strdup(path))) {
		free(s);
		dblock_free(o->lock);
		set_err(err, errsize, "cannot open database %s: out of memory",
			path);
		return -ENOMEM;
	}
	s->full_log = ratelimit_new(FULL_LOG_INTERVAL_MS);
	if (!s->full_log) {
		free(s->path);
		free(s);
		dblock_free(o->lock);
		set_err(err, errsize, "cannot open database %s: out of memory",
			path);
		return -ENOMEM;
	}
	s->is_file = strcmp(path, ":memory:") != 0;
	s->durability = o->durability;
	s->file_lock = o->lock;
	pthread_mutex_init(&s->lock, NULL);
	pthread_mutex_init(&s->qlock, NULL);
	pthread_cond_init(&s->qdone, NULL);
	pthread_cond_init(&s->qwork, NULL);
	s->qtail = &s->qhead;
	pthread_mutex_init(&s->snap_lock, NULL);

	/* Before the file is opened: a second dpsim must not so much as
	 * switch it to WAL, nor remove the first's snapshot in progress. */
	rc = 0;
	if (!s->is_file) {
		dblock_free(s->file_lock);
		s->file_lock = NULL;
	} else if (!s->file_lock) {
		rc = dblock_new(path, &s->file_lock, err, errsize);
	}
	if (rc == 0)
		rc = open_main(s, err, errsize);
	if (rc == 0 && s->is_file) {
		snapshot_remove_stale(s);
		rc = ckpt_start(s, err, errsize);
	}
	if (rc == 0) {
		pthread_mutex_lock(&s->lock);
		if (counts_reload_locked(s) != SQLITE_OK) {
			set_err(err, errsize, "cannot read the journal of %s",
				path);
			rc = -EIO;
		}
		pthread_mutex_unlock(&s->lock);
	}
	if (rc == 0 && (rc = -pthread_create(&s->committer, NULL, committer_main, s)))
		set_err(err, errsize, "cannot start the committer of %s: %s", path,
			strerror(-rc));
	if (rc) {
		store_free(s);
		return rc;
	}
	s->crunning = true;
	s->ready = true;
	*out = s;
	return 0;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	if (s->batches)
		log_debug("store: %llu writes in %llu commits (%.1f a commit)",
			  (unsigned long long)s->batched,
			  (unsigned long long)s->batches,
			  (double)s->batched / (double)s->batches);
	if (s->crunning) {
		/* No caller is left (the contract): nothing is queued. */
		pthread_mutex_lock(&s->qlock);
		s->cstop = true;
		pthread_cond_signal(&s->qwork);
		pthread_mutex_unlock(&s->qlock);
		pthread_join(s->committer, NULL);
	}
	if (s->ready)
		journal_trim_all(s);
	ckpt_stop(s);
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(s->st[i]);
	if (s->ready && s->is_file) {
		/* Leave a self-contained file behind for backups and copies. */
		int rc = sqlite3_wal_checkpoint_v2(s->db, NULL,
						   SQLITE_CHECKPOINT_TRUNCATE,
						   NULL, NULL);

		if (rc != SQLITE_OK)
			log_warn("store %s: final checkpoint: %s (%d)",
				 s->path, sqlite3_errmsg(s->db), rc);
	}
	if (sqlite3_close(s->db) != SQLITE_OK)
		log_error("store %s: close: %s", s->path,
			  sqlite3_errmsg(s->db));
	/* Only now: the final checkpoint above still wrote the file. */
	dblock_free(s->file_lock);
	pthread_mutex_destroy(&s->lock);
	pthread_mutex_destroy(&s->qlock);
	pthread_cond_destroy(&s->qdone);
	pthread_cond_destroy(&s->qwork);
	pthread_mutex_destroy(&s->snap_lock);
	counts_free(&s->jrows);
	counts_free(&s->mrows);
	for (size_t i = 0; i < s->nsnaps; i++) {
		sqlite3_close(s->snaps[i].db);
		free(s->snaps[i].name);
	}
	free(s->snaps);
	ratelimit_free(s->full_log);
	free(s->path);
	free(s);
}

/* With s->lock held: 0, -ENOENT or an SQLite code (positive). */
static int get_mode_locked(struct store *s, const char *site,
			   const char *nalpath, uint32_t *mode)
{
	sqlite3_stmt *st = s->st[ST_GET_MODE];
	int rc;

	bind_str(st, 1, site);
	bind_str(st, 2, nalpath);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*mode = (uint32_t)sqlite3_column_int64(st, 0);
		rc = 0;
	} else if (rc == SQLITE_DONE) {
		rc = -ENOENT;
	}
	stmt_done(st);
	return rc;
}

int store_get_mode(struct store *s, const char *site, const char *nalpath,
		   uint32_t *mode)
{
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = get_mode_locked(s, site, nalpath, mode);
	if (rc > 0)
		log_sqlite(s, "get mode", rc);
	pthread_mutex_unlock(&s->lock);
	return rc > 0 ? -EIO : rc;
}

struct mode_row {
	char *nalpath;
	uint32_t mode;
};

static void free_mode_rows(struct mode_row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(rows[i].nalpath);
	free(rows);
}

/* Copies a site's rows under the lock; the callbacks run without it. */
static int load_modes(struct store *s, const char *site,
		      struct mode_row **out, size_t *count)
{
	sqlite3_stmt *st = s->st[ST_FOREACH_MODE];
	struct mode_row *rows = NULL;
	size_t n = 0, cap = 0;
	int rc;

	pthread_mutex_lock(&s->lock);
	bind_str(st, 1, site);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *nal = (const char *)sqlite3_column_text(st, 0);

		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct mode_row *r = realloc(rows, ncap * sizeof(*r));

			if (!r)
				break;
			rows = r;
			cap = ncap;
		}
		rows[n].nalpath = strdup(nal ? nal : "");
		if (!rows[n].nalpath)
			break;
		rows[n].mode = (uint32_t)sqlite3_column_int64(st, 1);
		n++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		log_sqlite(s, "list modes", rc);
	stmt_done(st);
	pthread_mutex_unlock(&s->lock);

	if (rc != SQLITE_DONE) {	/* SQLite error or out of memory */
		free_mode_rows(rows, n);
		return rc == SQLITE_ROW ? -ENOMEM : -EIO;
	}
	*out = rows;
	*count = n;
	return 0;
}

int store_foreach_mode(struct store *s, const char *site,
		       int (*cb)(void *ctx, const char *nalpath, uint32_t mode),
		       void *ctx)
{
	struct mode_row *rows;
	size_t n, i;
	int rc;

	rc = load_modes(s, site, &rows, &n);
	if (rc)
		return rc;
	for (i = 0; i < n && rc == 0; i++)
		rc = cb(ctx, rows[i].nalpath, rows[i].mode);
	free_mode_rows(rows, n);
	return rc;
}

/* ---- journal and status message counts ----------------------------------- */

static struct jcount *jcount_find(struct counts *cs, const char *site)
{
	for (size_t i = 0; i < cs->n; i++) {
		const char *c = cs->v[i].site;

		if ((!c && !site) || (c && site && strcasecmp(c, site) == 0))
			return &cs->v[i];
	}
	return NULL;
}

static struct jcount *jcount_get(struct counts *cs, const char *site)
{
	struct jcount *c = jcount_find(cs, site), *n;

	if (c)
		return c;
	n = realloc(cs->v, (cs->n + 1) * sizeof(*n));
	if (!n)
		return NULL;
	cs->v = n;
	c = &cs->v[cs->n];
	*c = (struct jcount){ .site = site ? strdup(site) : NULL };
	if (site && !c->site)
		return NULL;
	cs->n++;
	return c;
}

static void counts_free(struct counts *cs)
{
	for (size_t i = 0; i < cs->n; i++)
		free(cs->v[i].site);
	free(cs->v);
	cs->v = NULL;
	cs->n = 0;
}

/* Rebuilds the counts from the tables, with s->lock held: after a
 * reset, a restore, a failed transaction. SQLite code. */
static int counts_reload_locked(struct store *s)
{
	static const char *const sql[3] = {
		"SELECT site, count(*) FROM journal GROUP BY site",
		"SELECT site, dropped FROM journal_stats",
		"SELECT site, count(*) FROM status_message GROUP BY site",
	};
	int rc = SQLITE_OK;

	counts_free(&s->jrows);
	counts_free(&s->mrows);
	for (int q = 0; q < 3 && rc == SQLITE_OK; q++) {
		sqlite3_stmt *st;

		rc = sqlite3_prepare_v2(s->db, sql[q], -1, &st, NULL);
		if (rc != SQLITE_OK)
			break;
		while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *site = (const char *)sqlite3_column_text(st, 0);
			struct jcount *c;

			/* journal_stats keeps "no site" as "". */
			if (q == 1 && site && !*site)
				site = NULL;
			c = jcount_get(q == 2 ? &s->mrows : &s->jrows, site);
			if (!c) {
				rc = SQLITE_NOMEM;
				break;
			}
			if (q == 1)
				c->dropped = sqlite3_column_int64(st, 1);
			else
				c->rows += sqlite3_column_int64(st, 1);
		}
		sqlite3_finalize(st);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK)
		log_sqlite(s, "count journal rows and status messages", rc);
	return rc;
}

/* Drops the n oldest rows of c's site and counts them. SQLite code. */
static int trim_locked(struct store *s, struct jcount *c, int64_t n)
{
	sqlite3_stmt *st = s->st[ST_JOURNAL_TRIM];
	int64_t gone;
	int rc;

	bind_str(st, 1, c->site);
	sqlite3_bind_int64(st, 2, n);
	rc = step_done(st);
	if (rc != SQLITE_OK)
		return rc;
	gone = sqlite3_changes64(s->db);
	c->rows -= gone;
	c->dropped += gone;
	st = s->st[ST_STATS_SET];
	bind_str(st, 1, c->site ? c->site : "");
	sqlite3_bind_int64(st, 2, c->dropped);
	return step_done(st);
}

/* With s->lock held and a transaction open. Fills time_ms when 0 and
 * the id; the batch keeps the bound afterwards (trim_over_locked).
 * SQLite code. */
static int journal_insert_locked(struct store *s, struct journal_entry *e)
{
	sqlite3_stmt *st = s->st[ST_JOURNAL_ADD];
	struct jcount *c;
	int rc;

	if (e->time_ms == 0)
		e->time_ms = now_ms();
	sqlite3_bind_int64(st, 1, e->time_ms);
	bind_str(st, 2, e->user);
	bind_str(st, 3, e->protocol);
	bind_str(st, 4, e->operation);
	bind_str(st, 5, e->site);
	bind_str(st, 6, e->class_name);
	bind_str(st, 7, e->method);
	bind_str(st, 8, e->nalpath);
	bind_str(st, 9, e->params);
	bind_mode(st, 10, e->old_mode);
	bind_mode(st, 11, e->new_mode);
	sqlite3_bind_int64(st, 12, e->hresult);
	sqlite3_bind_int64(st, 13, e->latency_us);
	bind_mode(st, 14, e->rule_id > 0 ? e->rule_id : -1);
	bind_str(st, 15, e->effect);
	bind_mode(st, 16, e->has_return_value ? (int64_t)e->return_value : -1);
	bind_mode(st, 17, e->http_status ? (int64_t)e->http_status : -1);
	bind_str(st, 18, e->refusal);
	rc = step_done(st);
	if (rc != SQLITE_OK)
		return rc;
	e->id = sqlite3_last_insert_rowid(s->db);
	c = jcount_get(&s->jrows, e->site);
	if (!c)
		return SQLITE_NOMEM;
	c->rows++;
	return SQLITE_OK;
}

/* The journal's bound, kept lazily. Deleting the oldest row at every
 * call rewrote about four more pages per commit than the insert alone
 * (the oldest table and index pages, the free list, journal_stats):
 * in steady state, measured with 1 KiB pages, 5 to 11 WAL frames a commit
 * instead of 2, all of them copied back again by the checkpointer.
 * So a site's rows past its bound stay in the table until there are
 * more than max / JOURNAL_TRIM_SLACK of them, and are deleted then, in
 * one statement. Until then nobody sees them: the counts
 * (store_journal_stats) are taken as if they were gone, and every read
 * of the table filters them out (JOURNAL_VISIBLE). A bound under
 * JOURNAL_TRIM_SLACK rows is kept at every commit, as before.
 * store_free deletes what is left, so a file holds its bound once
 * closed; after a crash the rows are counted again from the table, so
 * with the same bound a reader sees exactly what it saw before. */
#define JOURNAL_TRIM_SLACK 64

/* Rows of c's site past the journal's bound. Lock held. */
static int64_t journal_over(const struct store *s, const struct jcount *c)
{
	return s->journal_max && c->rows > s->journal_max
		       ? c->rows - s->journal_max
		       : 0;
}

/* Deletes e's site's rows past the bound once there are enough of them
 * (above); lock held, transaction open. SQLite code. */
static int trim_over_locked(struct store *s, const struct journal_entry *e)
{
	struct jcount *c = jcount_find(&s->jrows, e->site);
	int64_t over = c ? journal_over(s, c) : 0;

	if (over == 0 || over <= s->journal_max / JOURNAL_TRIM_SLACK)
		return SQLITE_OK;
	return trim_locked(s, c, over);
}

/* Finds each site's first visible row (its floor) where the rows past
 * the bound moved since the last look; lock held, before any statement
 * that uses JOURNAL_VISIBLE. One step down the (site, id) index per
 * site that changed. SQLite code. */
static int journal_floors_locked(struct store *s)
{
	sqlite3_stmt *st = s->st[ST_JOURNAL_FLOOR];

	for (size_t i = 0; i < s->jrows.n; i++) {
		struct jcount *c = &s->jrows.v[i];
		int64_t over = journal_over(s, c);
		int rc;

		if (over == c->floor_over)
			continue;
		c->floor = 0;
		if (over) {
			bind_str(st, 1, c->site);
			sqlite3_bind_int64(st, 2, over);
			rc = sqlite3_step(st);
			if (rc == SQLITE_ROW)
				c->floor = sqlite3_column_int64(st, 0);
			stmt_done(st);
			if (rc != SQLITE_ROW && rc != SQLITE_DONE)
				return rc;
		}
		c->floor_over = over;
	}
	return SQLITE_OK;
}

/* dpsim_journal_visible(site, id): false for a row of a site past its
 * bound below the site's floor. Runs on the main connection only, with
 * s->lock held and the floors found (journal_floors_locked). The site
 * matches as the trim's DELETE matches it (IS, exactly), so a row is
 * hidden exactly when the next trim would delete it. */
static void journal_visible_fn(sqlite3_context *ctx, int argc,
			       sqlite3_value **argv)
{
	struct store *s = sqlite3_user_data(ctx);
	const char *site = (const char *)sqlite3_value_text(argv[0]);
	int64_t id = sqlite3_value_int64(argv[1]);
	int visible = 1;

	(void)argc;
	for (size_t i = 0; i < s->jrows.n; i++) {
		const struct jcount *c = &s->jrows.v[i];

		if (c->floor_over == 0 || id >= c->floor)
			continue;
		if ((!site && !c->site) ||
		    (site && c->site && strcmp(site, c->site) == 0)) {
			visible = 0;
			break;
		}
	}
	sqlite3_result_int(ctx, visible);
}

/* A site past its bound of status messages is brought down to
 * max - max / STATMSG_TRIM_SLACK (store.h, store_set_statmsg_max). */
#define STATMSG_TRIM_SLACK 64

/* Drops the n oldest messages of c's site. With s->lock held and a
 * transaction open. SQLite code. */
static int trim_statmsg_locked(struct store *s, struct jcount *c, int64_t n)
{
	sqlite3_stmt *st = s->st[ST_STATMSG_OLDEST];
	int64_t upto;
	int rc;

	bind_str(st, 1, c->site);
	sqlite3_bind_int64(st, 2, n);
	rc = sqlite3_step(st);
	upto = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	stmt_done(st);
	if (rc != SQLITE_ROW)
		return rc == SQLITE_DONE ? SQLITE_OK : rc;
	st = s->st[ST_STATMSG_TRIM];
	bind_str(st, 1, c->site);
	sqlite3_bind_int64(st, 2, upto);
	rc = step_done(st);
	if (rc == SQLITE_OK)
		c->rows -= sqlite3_changes64(s->db);
	return rc;
}

/* With s->lock held and a transaction open: m and its insertion
 * strings, record_id filled in; the bound drops the oldest message of
 * its site when m makes one too many. SQLite code. */
static int statmsg_insert_locked(struct store *s, struct status_message *m)
{
	sqlite3_stmt *st = s->st[ST_STATMSG_ADD];
	struct jcount *c;
	int rc;

	bind_str(st, 1, m->site);
	bind_str(st, 2, m->nalpath);
	sqlite3_bind_int64(st, 3, m->time_ms);
	sqlite3_bind_int64(st, 4, m->message_id);
	sqlite3_bind_int64(st, 5, m->severity);
	sqlite3_bind_int64(st, 6, m->message_type);
	bind_str(st, 7, m->module_name);
	bind_str(st, 8, m->component);
	bind_str(st, 9, m->machine);
	sqlite3_bind_int64(st, 10, m->process_id);
	sqlite3_bind_int64(st, 11, m->thread_id);
	sqlite3_bind_int64(st, 12, m->win32_error);
	sqlite3_bind_int64(st, 13, m->report_function);
	sqlite3_bind_int64(st, 14, m->successful_transaction);
	sqlite3_bind_int64(st, 15, m->transaction);
	sqlite3_bind_int64(st, 16, m->per_client);
	bind_str(st, 17, m->top_level_site_code);
	for (size_t i = 0; i < STORE_STATMSG_MAX_INS; i++)
		bind_str(st, 18 + (int)i, i < m->nins ? m->ins[i] : NULL);
	rc = step_done(st);
	if (rc != SQLITE_OK)
		return rc;
	m->record_id = sqlite3_last_insert_rowid(s->db);
	c = jcount_get(&s->mrows, m->site);
	if (!c)
		return SQLITE_NOMEM;
	c->rows++;
	/* Past the bound, down to STATMSG_TRIM_SLACK below it in one go:
	 * dropping one message per change would make every change rewrite
	 * the pages of the oldest ones too. */
	if (s->statmsg_max && c->rows > s->statmsg_max)
		rc = trim_statmsg_locked(s, c, c->rows - s->statmsg_max +
					 s->statmsg_max / STATMSG_TRIM_SLACK);
	return rc;
}

/* With s->lock held and a transaction open: undo it, keeping the log
 * about the error that caused it rather than about the rollback. */
static void rollback_locked(struct store *s)
{
	if (!sqlite3_get_autocommit(s->db)) {
		int rc = step_done(s->st[ST_ROLLBACK]);

		if (rc != SQLITE_OK)
			log_sqlite(s, "rollback", rc);
	}
}

/* One mode change of a batch, with its row and message; lock held,
 * transaction open. 0, -ENOENT (the DP is unknown: nothing written) or
 * an SQLite code. */
static int apply_mode_locked(struct store *s, struct pending *w)
{
	sqlite3_stmt *up = s->st[ST_UPDATE_MODE];
	struct journal_entry *e = w->e;
	int rc;

	if (e->time_ms == 0)
		e->time_ms = now_ms();
	/* The update changes the row only when the mode changes; a mode
	 * is 0 or 1, so a row it changed held the other one, and only a
	 * call that changes nothing pays for a look at the old mode (and
	 * whether the DP is known at all). */
	bind_str(up, 1, w->site);
	bind_str(up, 2, w->nalpath);
	sqlite3_bind_int64(up, 3, w->mode);
	sqlite3_bind_int64(up, 4, e->time_ms);
	bind_str(up, 5, e->user);
	rc = step_done(up);
	if (rc != SQLITE_OK)
		return rc;
	if (sqlite3_changes(s->db) == 1) {
		w->old = !w->mode;
	} else {
		rc = get_mode_locked(s, w->site, w->nalpath, &w->old);
		if (rc)
			return rc;
	}
	e->old_mode = w->old;
	e->new_mode = w->mode;
	rc = journal_insert_locked(s, e);
	/* A queued write's message only when the mode changes, judged
	 * here, in commit order: its caller cannot know what the writes
	 * queued before its own leave. */
	if (rc == SQLITE_OK && w->m && (!w->m_if_changed || w->old != w->mode)) {
		if (w->m->time_ms == 0)
			w->m->time_ms = e->time_ms;
		rc = statmsg_insert_locked(s, w->m);
	} else if (w->m) {
		w->m->record_id = 0;
	}
	return rc;
}

/* Deletes every site's rows past the bound, whatever their number: at
 * close, so that the file holds its bound. */
static void journal_trim_all(struct store *s)
{
	int rc = SQLITE_OK;
	bool begun = false;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->jrows.n && rc == SQLITE_OK; i++) {
		int64_t over = journal_over(s, &s->jrows.v[i]);

		if (!over)
			continue;
		if (!begun) {
			rc = step_done(s->st[ST_BEGIN]);
			begun = rc == SQLITE_OK;
		}
		if (rc == SQLITE_OK)
			rc = trim_locked(s, &s->jrows.v[i], over);
	}
	if (begun && rc == SQLITE_OK)
		rc = step_done(s->st[ST_COMMIT]);
	if (rc != SQLITE_OK) {
		log_sqlite(s, "trim journal", rc);
		if (begun)
			rollback_locked(s);
	}
	pthread_mutex_unlock(&s->lock);
}

/* Commits the batch that starts at b as one transaction and sets each
 * write's rc. A write that fails fails the batch: nothing of it is
 * committed and every caller in it is told so (they all wrote to the
 * same file; a full disk is everyone's). */
static void commit_batch(struct store *s, struct pending *b)
{
	const char *what = "begin";
	struct pending *w;
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = step_done(s->st[ST_BEGIN]);
	for (w = b; w && rc == SQLITE_OK; w = w->next) {
		what = w->nalpath ? "change mode" : "journal";
		w->rc = 0;
		rc = w->nalpath ? apply_mode_locked(s, w)
				: journal_insert_locked(s, w->e);
		if (rc == -ENOENT) {	/* that call's answer, not an error */
			w->rc = -ENOENT;
			rc = SQLITE_OK;
		}
		w->seq = ++s->seq;
	}
	/* The bound is kept once per batch: rows past it are dropped in
	 * the same transaction that added them. */
	for (w = b; w && rc == SQLITE_OK; w = w->next) {
		what = "trim journal";
		if (w->rc == 0)
			rc = trim_over_locked(s, w->e);
	}
	if (rc == SQLITE_OK) {
		what = "commit";
		rc = step_done(s->st[ST_COMMIT]);
	}
	if (rc != SQLITE_OK) {
		log_sqlite(s, what, rc < 0 ? SQLITE_INTERNAL : rc);
		rollback_locked(s);
		counts_reload_locked(s);
		for (w = b; w; w = w->next) {
			w->rc = rc < 0 ? -EIO : write_errno(rc);
			w->e->id = 0;
			if (w->m)
				w->m->record_id = 0;
		}
	}
	pthread_mutex_unlock(&s->lock);
}

/* With qlock held and leading set: takes everything queued, commits it
 * as one batch (qlock released meanwhile), marks the blocked callers
 * done and returns the queued writes of the batch, to be fired once
 * qlock is released (chained through next). */
static struct pending *commit_queued_locked(struct store *s)
{
	struct pending *b, *fire = NULL, **ftail = &fire, *next;

	while (s->hold) {
		s->held = true;
		pthread_cond_broadcast(&s->qdone);
		pthread_cond_wait(&s->qdone, &s->qlock);
	}
	s->held = false;
	b = s->qhead;
	s->qhead = NULL;
	s->qtail = &s->qhead;
	pthread_mutex_unlock(&s->qlock);
	commit_batch(s, b);
	pthread_mutex_lock(&s->qlock);
	s->batches++;
	for (struct pending *x = b; x; x = next) {
		next = x->next;
		s->batched++;
		if (x->fired) {
			x->next = NULL;
			*ftail = x;
			ftail = &x->next;
		} else {
			x->done = true;	/* x may be gone once qlock is released */
		}
	}
	pthread_cond_broadcast(&s->qdone);
	return fire;
}

/* Without qlock: tells the queued writes of a batch they are committed
 * (each may be freed as soon as it is fired). */
static void fire_all(struct pending *f)
{
	for (struct pending *next; f; f = next) {
		next = f->next;
		completion_fire(f->fired);
	}
}

/* The committer thread: takes the batches over from a caller that
 * committed one and found more queued, until the queue is empty. */
static void *committer_main(void *arg)
{
	struct store *s = arg;

	pthread_mutex_lock(&s->qlock);
	while (!s->cstop || s->handoff) {
		if (!s->handoff) {
			pthread_cond_wait(&s->qwork, &s->qlock);
			continue;
		}
		if (!s->qhead) {
			s->handoff = false;
			s->leading = false;
			continue;
		}
		struct pending *fire = commit_queued_locked(s);

		pthread_mutex_unlock(&s->qlock);
		fire_all(fire);
		pthread_mutex_lock(&s->qlock);
	}
	pthread_mutex_unlock(&s->qlock);
	return NULL;
}

/* Queues w. When no batch is being committed, the caller commits the
 * queue itself (w and whatever came with it) as one batch, at once;
 * writes that arrive during a commit make the next batch, which the
 * committer thread takes over, so a caller commits at most one batch
 * and never waits behind others' commits holding its thread. Writes
 * that arrived during a commit share the next one: one commit per
 * batch, not per call.
 *
 * A blocked caller (w->fired NULL) returns once the transaction holding
 * w has committed or failed, with w's result; a queued write returns at
 * once and w->fired fires when its batch is committed (possibly before
 * submit returns: the caller committed it itself). */
static int submit(struct store *s, struct pending *w)
{
	struct pending *fire = NULL;

	pthread_mutex_lock(&s->qlock);
	*s->qtail = w;
	s->qtail = &w->next;
	if (!s->leading) {
		s->leading = true;
		fire = commit_queued_locked(s);
		if (s->qhead) {
			s->handoff = true;	/* leading stays set */
			pthread_cond_signal(&s->qwork);
		} else {
			s->leading = false;
		}
	}
	if (!w->fired)
		while (!w->done)
			pthread_cond_wait(&s->qdone, &s->qlock);
	pthread_mutex_unlock(&s->qlock);
	fire_all(fire);
	return w->fired ? 0 : w->rc;
}

int store_set_mode(struct store *s, const char *site, const char *nalpath,
		   uint32_t mode, struct journal_entry *e,
		   struct status_message *m, uint32_t *old_mode)
{
	struct journal_entry local = { .old_mode = -1, .new_mode = -1 };
	struct pending w = { .site = site, .nalpath = nalpath, .mode = mode,
			     .e = e ? e : &local, .m = m };
	int rc;

	if (mode > 1 || !site || !nalpath)
		return -EINVAL;
	if (m && (!m->site || m->nins > STORE_STATMSG_MAX_INS))
		return -EINVAL;
	rc = submit(s, &w);
	if (rc == 0 && old_mode)
		*old_mode = w.old;
	return rc;
}

void store_testing_hold(struct store *s)
{
	pthread_mutex_lock(&s->qlock);
	s->hold = true;
	pthread_mutex_unlock(&s->qlock);
}

void store_testing_wait_held(struct store *s)
{
	pthread_mutex_lock(&s->qlock);
	while (!s->held)
		pthread_cond_wait(&s->qdone, &s->qlock);
	pthread_mutex_unlock(&s->qlock);
}

void store_testing_release(struct store *s)
{
	pthread_mutex_lock(&s->qlock);
	s->hold = false;
	pthread_cond_broadcast(&s->qdone);
	pthread_mutex_unlock(&s->qlock);
}

int store_journal_add(struct store *s, struct journal_entry *e)
{
	struct pending w = { .e = e };

	return submit(s, &w);
}

/* Copies src into *pos (advanced), NULL stays NULL. */
static const char *text_copy(const char *src, char **pos)
{
	size_t n;
	char *dst = *pos;

	if (!src)
		return NULL;
	n = strlen(src) + 1;
	memcpy(dst, src, n);
	*pos += n;
	return dst;
}

static size_t text_len(const char *t)
{
	return t ? strlen(t) + 1 : 0;
}

int store_write_new(const char *site, const char *nalpath, uint32_t mode,
		    const struct journal_entry *e, const struct status_message *m,
		    struct store_write **out)
{
	const char *je[] = { e->user, e->protocol, e->operation, e->site,
			     e->class_name, e->method, e->nalpath, e->params,
			     e->effect, e->refusal };
	size_t len = text_len(site) + text_len(nalpath);
	struct store_write *w;
	char *pos;

	*out = NULL;
	if (!site != !nalpath || (nalpath && mode > 1))
		return -EINVAL;
	if (!nalpath)		/* the journal row alone */
		m = NULL;
	if (m && (!m->site || m->nins > STORE_STATMSG_MAX_INS))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(je) / sizeof(*je); i++)
		len += text_len(je[i]);
	if (m) {
		len += text_len(m->site) + text_len(m->nalpath) +
		       text_len(m->module_name) + text_len(m->component) +
		       text_len(m->machine) + text_len(m->top_level_site_code);
		for (size_t i = 0; i < m->nins; i++)
			len += text_len(m->ins[i]);
	}
	w = malloc(sizeof(*w) + len);
	if (!w)
		return -ENOMEM;
	pos = w->text;
	w->e = *e;
	w->e.user = text_copy(e->user, &pos);
	w->e.protocol = text_copy(e->protocol, &pos);
	w->e.operation = text_copy(e->operation, &pos);
	w->e.site = text_copy(e->site, &pos);
	w->e.class_name = text_copy(e->class_name, &pos);
	w->e.method = text_copy(e->method, &pos);
	w->e.nalpath = text_copy(e->nalpath, &pos);
	w->e.params = text_copy(e->params, &pos);
	w->e.effect = text_copy(e->effect, &pos);
	w->e.refusal = text_copy(e->refusal, &pos);
	if (m) {
		w->m = *m;
		w->m.site = text_copy(m->site, &pos);
		w->m.nalpath = text_copy(m->nalpath, &pos);
		w->m.module_name = text_copy(m->module_name, &pos);
		w->m.component = text_copy(m->component, &pos);
		w->m.machine = text_copy(m->machine, &pos);
		w->m.top_level_site_code = text_copy(m->top_level_site_code, &pos);
		for (size_t i = 0; i < m->nins; i++)
			w->m.ins[i] = text_copy(m->ins[i], &pos);
	}
	completion_init(&w->done);
	w->w = (struct pending){ .mode = mode, .e = &w->e, .m = m ? &w->m : NULL,
				 .fired = &w->done, .m_if_changed = true };
	w->w.site = text_copy(site, &pos);
	w->w.nalpath = text_copy(nalpath, &pos);
	*out = w;
	return 0;
}

void store_write_submit(struct store *s, struct store_write *w)
{
	submit(s, &w->w);
}

struct completion *store_write_completion(struct store_write *w)
{
	return &w->done;
}

int store_write_end(struct store_write *w, uint32_t *old_mode, uint64_t *seq)
{
	int rc;

	completion_wait(&w->done);	/* at once when it fired */
	rc = w->w.rc;
	if (old_mode)
		*old_mode = w->w.old;
	if (seq)
		*seq = w->w.seq;
	free(w);
	return rc;
}

uint64_t store_reset_seq(struct store *s)
{
	return atomic_load(&s->reset_seq);
}

/* A journal row copied out of SQLite; its strings live in text. */
struct journal_copy {
	struct journal_entry e;
	char *text;
};

static const char *column_copy(sqlite3_stmt *st, int col, char **pos)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	size_t len;
	char *dst = *pos;

	if (!t)
		return NULL;
	len = (size_t)sqlite3_column_bytes(st, col);
	memcpy(dst, t, len);
	dst[len] = '\0';
	*pos = dst + len + 1;
	return dst;
}

/* The text columns of JOURNAL_COLS. */
static const int journal_text_cols[] = { 2, 3, 4, 5, 6, 7, 8, 9, 15, 18 };

static int64_t column_or(sqlite3_stmt *st, int col, int64_t none)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? none :
	       sqlite3_column_int64(st, col);
}

/* Copies the current row; one allocation holds all its strings. */
static int copy_journal_row(sqlite3_stmt *st, struct journal_copy *c)
{
	size_t size = 0;
	char *pos;

	/* sqlite3_column_text before _bytes so the byte count is that of
	 * the text form. */
	for (size_t i = 0; i < ARRAY_SIZE(journal_text_cols); i++) {
		sqlite3_column_text(st, journal_text_cols[i]);
		size += (size_t)sqlite3_column_bytes(st, journal_text_cols[i]) + 1;
	}
	c->text = malloc(size);
	if (!c->text)
		return -ENOMEM;
	pos = c->text;
	memset(&c->e, 0, sizeof(c->e));
	c->e.id = sqlite3_column_int64(st, 0);
	c->e.time_ms = sqlite3_column_int64(st, 1);
	c->e.user = column_copy(st, 2, &pos);
	c->e.protocol = column_copy(st, 3, &pos);
	c->e.operation = column_copy(st, 4, &pos);
	c->e.site = column_copy(st, 5, &pos);
	c->e.class_name = column_copy(st, 6, &pos);
	c->e.method = column_copy(st, 7, &pos);
	c->e.nalpath = column_copy(st, 8, &pos);
	c->e.params = column_copy(st, 9, &pos);
	c->e.old_mode = column_or(st, 10, -1);
	c->e.new_mode = column_or(st, 11, -1);
	c->e.hresult = (uint32_t)sqlite3_column_int64(st, 12);
	c->e.latency_us = sqlite3_column_int64(st, 13);
	c->e.rule_id = column_or(st, 14, 0);
	c->e.effect = column_copy(st, 15, &pos);
	c->e.has_return_value = sqlite3_column_type(st, 16) != SQLITE_NULL;
	c->e.return_value = (uint32_t)column_or(st, 16, 0);
	c->e.http_status = (unsigned)column_or(st, 17, 0);
	c->e.refusal = column_copy(st, 18, &pos);
	return 0;
}

/* Copies up to JOURNAL_BATCH rows after after_id; returns the count or a
 * negative errno. */
static int load_journal_batch(struct store *s, int64_t after_id,
			      struct journal_copy *rows)
{
	sqlite3_stmt *st = s->st[ST_JOURNAL_BATCH];
	int n = 0, rc;

	pthread_mutex_lock(&s->lock);
	sqlite3_bind_int64(st, 1, after_id);
	sqlite3_bind_int(st, 2, JOURNAL_BATCH);
	rc = journal_floors_locked(s);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (copy_journal_row(st, &rows[n]))
			break;
		rc = SQLITE_OK;
		n++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		log_sqlite(s, "read journal", rc);
	stmt_done(st);
	pthread_mutex_unlock(&s->lock);

	if (rc != SQLITE_DONE) {
		for (int i = 0; i < n; i++)
			free(rows[i].text);
		return rc == SQLITE_ROW ? -ENOMEM : -EIO;
	}
	return n;
}

int store_journal_foreach(struct store *s, int64_t after_id,
			  int (*cb)(void *ctx, const struct journal_entry *e),
			  void *ctx)
{
	struct journal_copy *rows = malloc(JOURNAL_BATCH * sizeof(*rows));
	int n, rc = 0;

	if (!rows)
		return -ENOMEM;
	do {
		int i;

		n = load_journal_batch(s, after_id, rows);
		if (n < 0) {
			rc = n;
			break;
		}
		for (i = 0; i < n && rc == 0; i++) {
			rc = cb(ctx, &rows[i].e);
			after_id = rows[i].e.id;
		}
		for (i = 0; i < n; i++)
			free(rows[i].text);
	} while (rc == 0 && n == JOURNAL_BATCH);
	free(rows);
	return rc;
}

int64_t store_journal_count(struct store *s)
{
	sqlite3_stmt *st = s->st[ST_JOURNAL_COUNT];
	int64_t n = -EIO;
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = journal_floors_locked(s);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	else
		log_sqlite(s, "count journal", rc);
	stmt_done(st);
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* ---- journal queries ------------------------------------------------------ */

void store_set_journal_max(struct store *s, int64_t max)
{
	pthread_mutex_lock(&s->lock);
	s->journal_max = max > 0 ? max : 0;
	pthread_mutex_unlock(&s->lock);
}

/* A statement built from a filter: SQL text and what to bind, in order.
 * Every value a caller gave is bound, never spliced into the text. */
#define QUERY_MAX_BINDS 16

struct query {
	char sql[1024];
	size_t len;
	int nbind;
	struct {
		const char *text;	/* NULL: an integer */
		int64_t num;
	} bind[QUERY_MAX_BINDS];
};

static void q_add(struct query *q, const char *sql)
{
	int n = snprintf(q->sql + q->len, sizeof(q->sql) - q->len, "%s", sql);

	if (n > 0)
		q->len += (size_t)n;
	if (q->len >= sizeof(q->sql))
		q->len = sizeof(q->sql) - 1;
}

/* Appends before, a "?N" placeholder bound to text (or, when text is
 * NULL, to num), then after. */
static void q_bind(struct query *q, const char *before, const char *text,
		   int64_t num, const char *after)
{
	char ph[16];

	if (q->nbind == QUERY_MAX_BINDS)
		return;
	q->bind[q->nbind].text = text;
	q->bind[q->nbind].num = num;
	q->nbind++;
	snprintf(ph, sizeof(ph), "?%d", q->nbind);
	q_add(q, before);
	q_add(q, ph);
	q_add(q, after);
}

#define RESULT_OK_SQL "(hresult = 0 AND coalesce(return_value, 0) = 0 AND " \
	"coalesce(effect, 'delay') = 'delay' AND refusal IS NULL)"

/* " WHERE ..." for f, without limit. */
static void q_where(struct query *q, const struct store_journal_filter *f)
{
	q_add(q, " WHERE " JOURNAL_VISIBLE);
	if (f->site)
		q_bind(q, " AND site = ", f->site, 0, " COLLATE NOCASE");
	if (f->operation)
		q_bind(q, " AND operation = ", f->operation, 0, " COLLATE NOCASE");
	if (f->protocol)
		q_bind(q, " AND protocol = ", f->protocol, 0, " COLLATE NOCASE");
	if (f->class_like)
		q_bind(q, " AND class LIKE ", f->class_like, 0, " ESCAPE '!'");
	if (f->method_like)
		q_bind(q, " AND method LIKE ", f->method_like, 0, " ESCAPE '!'");
	if (f->user_like)
		q_bind(q, " AND user LIKE ", f->user_like, 0, " ESCAPE '!'");
	if (f->nalpath_like)
		q_bind(q, " AND nalpath LIKE ", f->nalpath_like, 0, " ESCAPE '!'");
	switch (f->result) {
	case STORE_RESULT_ANY:
		break;
	case STORE_RESULT_OK:
		q_add(q, " AND " RESULT_OK_SQL);
		break;
	case STORE_RESULT_ERROR:
		q_add(q, " AND NOT " RESULT_OK_SQL);
		break;
	case STORE_RESULT_CODE:
		/* 401 also finds the requests refused with HTTP 401. */
		q_bind(q, " AND (", NULL, f->code, " IN (hresult, return_value)");
		q_bind(q, " OR (refusal IS NOT NULL AND http_status = ", NULL,
		       f->code, "))");
		break;
	case STORE_RESULT_REFUSAL:
		q_bind(q, " AND refusal = ", f->refusal ? f->refusal : "", 0,
		       " COLLATE NOCASE");
		break;
	case STORE_RESULT_EFFECT:
		q_bind(q, " AND effect = ", f->effect ? f->effect : "", 0,
		       " COLLATE NOCASE");
		break;
	}
	if (f->rule_id > 0)
		q_bind(q, " AND rule_id = ", NULL, f->rule_id, "");
	if (f->since_ms > 0)
		q_bind(q, " AND time_ms >= ", NULL, f->since_ms, "");
	if (f->until_ms > 0)
		q_bind(q, " AND time_ms < ", NULL, f->until_ms, "");
}

static int q_prepare(struct store *s, struct query *q, sqlite3_stmt **st)
{
	int rc = sqlite3_prepare_v2(s->db, q->sql, -1, st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	for (int i = 0; i < q->nbind; i++) {
		if (q->bind[i].text)
			sqlite3_bind_text(*st, i + 1, q->bind[i].text, -1,
					  SQLITE_STATIC);
		else
			sqlite3_bind_int64(*st, i + 1, q->bind[i].num);
	}
	return SQLITE_OK;
}

/* q_prepare for a statement on the journal, which uses JOURNAL_VISIBLE;
 * lock held. */
static int q_prepare_journal(struct store *s, struct query *q,
			     sqlite3_stmt **st)
{
	int rc = journal_floors_locked(s);

	return rc == SQLITE_OK ? q_prepare(s, q, st) : rc;
}

/* Copies up to max rows of f after after_id; the count or -errno. */
static int load_filtered_batch(struct store *s,
			       const struct store_journal_filter *f,
			       int64_t after_id, int max,
			       struct journal_copy *rows)
{
	struct query q = { .len = 0 };
	sqlite3_stmt *st = NULL;
	int n = 0, rc;

	q_add(&q, "SELECT " JOURNAL_COLS " FROM journal");
	q_where(&q, f);
	q_bind(&q, " AND id > ", NULL, after_id, "");
	q_bind(&q, " ORDER BY id LIMIT ", NULL, max, "");
	pthread_mutex_lock(&s->lock);
	rc = q_prepare_journal(s, &q, &st);
	while (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (copy_journal_row(st, &rows[n]))
			break;
		rc = SQLITE_OK;
		n++;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		log_sqlite(s, "query journal", rc);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	if (rc != SQLITE_DONE) {
		for (int i = 0; i < n; i++)
			free(rows[i].text);
		return rc == SQLITE_ROW ? -ENOMEM : -EIO;
	}
	return n;
}

/* The id after which f has at most f->limit rows: one step down the
 * (site, id) index from the newest end, instead of counting the rows.
 * 0 or -EIO. */
static int newest_start(struct store *s, const struct store_journal_filter *f,
			int64_t *after)
{
	struct query q = { .len = 0 };
	sqlite3_stmt *st = NULL;
	int rc;

	q_add(&q, "SELECT id FROM journal");
	q_where(&q, f);
	q_bind(&q, " AND id > ", NULL, f->after_id, "");
	q_bind(&q, " ORDER BY id DESC LIMIT 1 OFFSET ", NULL, f->limit, "");
	pthread_mutex_lock(&s->lock);
	rc = q_prepare_journal(s, &q, &st);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		/* the row just older than the newest `limit` */
		*after = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		*after = f->after_id;	/* there are no more than `limit` */
		rc = SQLITE_OK;
	} else {
		log_sqlite(s, "query journal", rc);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return rc == SQLITE_OK ? 0 : -EIO;
}

int store_journal_query(struct store *s, const struct store_journal_filter *f,
			int (*cb)(void *ctx, const struct journal_entry *e),
			void *ctx)
{
	struct journal_copy *rows;
	int64_t after = f->after_id, left = f->limit > 0 ? f->limit : -1;
	int n, rc = 0;

	if (f->newest && f->limit > 0 && newest_start(s, f, &after))
		return -EIO;
	rows = malloc(JOURNAL_BATCH * sizeof(*rows));
	if (!rows)
		return -ENOMEM;
	do {
		int want = left >= 0 && left < JOURNAL_BATCH ? (int)left
							     : JOURNAL_BATCH;
		int i;

		if (want == 0)
			break;
		n = load_filtered_batch(s, f, after, want, rows);
		if (n < 0) {
			rc = n;
			break;
		}
		for (i = 0; i < n && rc == 0; i++) {
			rc = cb(ctx, &rows[i].e);
			after = rows[i].e.id;
		}
		for (i = 0; i < n; i++)
			free(rows[i].text);
		if (left > 0)
			left -= n;
		if (n < want)
			break;
	} while (rc == 0);
	free(rows);
	return rc;
}

int store_journal_count_where(struct store *s,
			      const struct store_journal_filter *f,
			      int64_t *count)
{
	struct query q = { .len = 0 };
	sqlite3_stmt *st = NULL;
	int rc;

	q_add(&q, "SELECT count(*) FROM (SELECT id FROM journal");
	q_where(&q, f);
	q_bind(&q, " AND id > ", NULL, f->after_id, "");
	if (f->limit > 0)
		q_bind(&q, " LIMIT ", NULL, f->limit, "");
	q_add(&q, ")");
	pthread_mutex_lock(&s->lock);
	rc = q_prepare_journal(s, &q, &st);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*count = sqlite3_column_int64(st, 0);
		rc = SQLITE_OK;
	} else {
		log_sqlite(s, "count journal", rc);
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	return rc == SQLITE_OK ? 0 : -EIO;
}

void store_journal_stats(struct store *s, const char *site, int64_t *rows,
			 int64_t *dropped)
{
	int64_t r = 0, d = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->jrows.n; i++) {
		const char *c = s->jrows.v[i].site;

		int64_t over = journal_over(s, &s->jrows.v[i]);

		if (site && (!c || strcasecmp(c, site) != 0))
			continue;
		r += s->jrows.v[i].rows - over;
		d += s->jrows.v[i].dropped + over;
	}
	pthread_mutex_unlock(&s->lock);
	if (rows)
		*rows = r;
	if (dropped)
		*dropped = d;
}

/* ---- status messages -------------------------------------------------------- */

/* Messages copied per lock hold while iterating. */
#define STATMSG_BATCH 256

void store_set_statmsg_max(struct store *s, int64_t max)
{
	pthread_mutex_lock(&s->lock);
	s->statmsg_max = max > 0 ? max : 0;
	pthread_mutex_unlock(&s->lock);
}

int64_t store_statmsg_count(struct store *s, const char *site)
{
	int64_t n = 0;

	pthread_mutex_lock(&s->lock);
	for (size_t i = 0; i < s->mrows.n; i++)
		if (!site || strcasecmp(s->mrows.v[i].site, site) == 0)
			n += s->mrows.v[i].rows;
	pthread_mutex_unlock(&s->lock);
	return n;
}

/* A message's columns, its insertion strings last. */
#define STATMSG_COLS "record_id, time_ms, site, nalpath, message_id," \
	" severity, message_type, module_name, component, machine," \
	" process_id, thread_id, win32_error, report_function," \
	" successful_transaction, txn, per_client, top_level_site_code," \
	" ins0, ins1, ins2, ins3, ins4, ins5, ins6, ins7, ins8, ins9"
#define STATMSG_INS_COL 18

static void statmsg_copy_free(struct status_message *m)
{
	free((char *)m->site);
	free((char *)m->nalpath);
	free((char *)m->module_name);
	free((char *)m->component);
	free((char *)m->machine);
	free((char *)m->top_level_site_code);
	for (size_t i = 0; i < m->nins; i++)
		free((char *)m->ins[i]);
	memset(m, 0, sizeof(*m));
}

/* A copy of text column col, NULL for NULL; *oom set when a copy could
 * not be made. */
static const char *column_dup(sqlite3_stmt *st, int col, bool *oom)
{
	const unsigned char *t = sqlite3_column_text(st, col);
	char *d;

	if (!t)
		return NULL;
	d = strdup((const char *)t);
	if (!d)
		*oom = true;
	return d;
}

static uint32_t column_u32(sqlite3_stmt *st, int col)
{
	return (uint32_t)sqlite3_column_int64(st, col);
}

/* Copies the current row's message into m. */
static void copy_statmsg(sqlite3_stmt *st, struct status_message *m,
			 bool *oom)
{
	memset(m, 0, sizeof(*m));
	m->record_id = sqlite3_column_int64(st, 0);
	m->time_ms = sqlite3_column_int64(st, 1);
	m->site = column_dup(st, 2, oom);
	m->nalpath = column_dup(st, 3, oom);
	m->message_id = column_u32(st, 4);
	m->severity = column_u32(st, 5);
	m->message_type = column_u32(st, 6);
	m->module_name = column_dup(st, 7, oom);
	m->component = column_dup(st, 8, oom);
	m->machine = column_dup(st, 9, oom);
	m->process_id = column_u32(st, 10);
	m->thread_id = column_u32(st, 11);
	m->win32_error = column_u32(st, 12);
	m->report_function = column_u32(st, 13);
	m->successful_transaction = column_u32(st, 14);
	m->transaction = column_u32(st, 15);
	m->per_client = column_u32(st, 16);
	m->top_level_site_code = column_dup(st, 17, oom);
	/* nins: up to the last one given; one left NULL before it reads
	 * as NULL. */
	for (int i = 0; i < STORE_STATMSG_MAX_INS; i++) {
		m->ins[i] = column_dup(st, STATMSG_INS_COL + i, oom);
		if (m->ins[i])
			m->nins = (size_t)i + 1;
	}
}

/* Copies up to max messages of f past cursor (after it, or before it
 * newest first); the count or -errno. */
static int load_statmsg_batch(struct store *s,
			      const struct store_statmsg_filter *f,
			      int64_t cursor, int max,
			      struct status_message *rows)
{
	struct query q = { .len = 0 };
	sqlite3_stmt *st = NULL;
	bool oom = false;
	int n = 0, rc;

	q_add(&q, "SELECT " STATMSG_COLS " FROM status_message WHERE 1");
	if (f->site)
		q_bind(&q, " AND site = ", f->site, 0, "");
	if (f->record_id > 0)
		q_bind(&q, " AND record_id = ", NULL, f->record_id, "");
	q_bind(&q, f->newest_first ? " AND record_id < " : " AND record_id > ",
	       NULL, cursor, "");
	q_bind(&q, f->newest_first ? " ORDER BY record_id DESC LIMIT "
				   : " ORDER BY record_id LIMIT ", NULL, max, "");
	pthread_mutex_lock(&s->lock);
	rc = q_prepare(s, &q, &st);
	while (rc == SQLITE_OK && !oom &&
	       (rc = sqlite3_step(st)) == SQLITE_ROW) {
		copy_statmsg(st, &rows[n++], &oom);
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_DONE && rc != SQLITE_OK)
		log_sqlite(s, "read status messages", rc);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->lock);
	if (rc != SQLITE_DONE || oom) {
		for (int i = 0; i < n; i++)
			statmsg_copy_free(&rows[i]);
		return oom ? -ENOMEM : -EIO;
	}
	return n;
}

int store_statmsg_query(struct store *s, const struct store_statmsg_filter *f,
			int (*cb)(void *ctx, const struct status_message *m),
			void *ctx)
{
	struct status_message *rows = calloc(STATMSG_BATCH, sizeof(*rows));
	int64_t cursor = f->newest_first ? INT64_MAX : 0;
	int64_t left = f->limit > 0 ? f->limit : -1;
	int n, rc = 0;

	if (!rows)
		return -ENOMEM;
	do {
		int want = left >= 0 && left < STATMSG_BATCH ? (int)left
							     : STATMSG_BATCH;
		int i;

		if (want == 0)
			break;
		n = load_statmsg_batch(s, f, cursor, want, rows);
		if (n < 0) {
			rc = n;
			break;
		}
		for (i = 0; i < n && rc == 0; i++) {
			rc = cb(ctx, &rows[i]);
			cursor = rows[i].record_id;
		}
		for (i = 0; i < n; i++)
			statmsg_copy_free(&rows[i]);
		if (left > 0)
			left -= n;
		if (n < want)
			break;
	} while (rc == 0);
	free(rows);
	return rc;
}

/* Runs sql (with ?1 = site when site is not NULL) with s->lock held and
 * a transaction open; *changes gets the rows it touched. */
static int exec_site(struct store *s, const char *sql, const char *site,
		     int64_t *changes)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, sql, -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	if (site)
		sqlite3_bind_text(st, 1, site, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return rc;
	if (changes)
		*changes = sqlite3_changes64(s->db);
	return SQLITE_OK;
}

/* Deletes the journal and drop counts of site (NULL: all). With the lock
 * held and a transaction open. */
static int clear_journal_locked(struct store *s, const char *site,
				int64_t *deleted)
{
	int rc;

	if (site) {
		rc = exec_site(s, "DELETE FROM journal WHERE site = ?1"
			       " COLLATE NOCASE", site, deleted);
		if (rc == SQLITE_OK)
			rc = exec_site(s, "DELETE FROM journal_stats WHERE"
				       " site = ?1", site, NULL);
		return rc;
	}
	/* Ids start again at 1, as in a new database: the next id is
	 * max(id) + 1. */
	rc = exec_site(s, "DELETE FROM journal", NULL, deleted);
	if (rc == SQLITE_OK)
		rc = exec_site(s, "DELETE FROM journal_stats", NULL, NULL);
	return rc;
}

int store_journal_clear(struct store *s, const char *site, int64_t *deleted)
{
	int64_t n = 0;
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = step_done(s->st[ST_BEGIN]);
	if (rc == SQLITE_OK)
		rc = clear_journal_locked(s, site, &n);
	if (rc == SQLITE_OK)
		rc = step_done(s->st[ST_COMMIT]);
	if (rc != SQLITE_OK) {
		log_sqlite(s, "clear journal", rc);
		rollback_locked(s);
	}
	counts_reload_locked(s);
	pthread_mutex_unlock(&s->lock);
	if (rc == SQLITE_OK && deleted)
		*deleted = n;
	return rc == SQLITE_OK ? 0 : write_errno(rc);
}

/* ---- sites ---------------------------------------------------------------- */

/* Deletes the status messages of site (NULL: all). With the lock held
 * and a transaction open. */
static int clear_statmsg_locked(struct store *s, const char *site)
{
	if (site)
		return exec_site(s, "DELETE FROM status_message WHERE site = ?1",
				 site, NULL);
	return exec_site(s, "DELETE FROM status_message", NULL, NULL);
}

/* Adds the seeds the store does not hold and reads back the mode of
 * each; lock held, transaction open. */
static int seed_locked(struct store *s, struct store_seed *seeds, size_t n)
{
	sqlite3_stmt *seed = s->st[ST_SEED];
	int64_t now = now_ms();
	int rc = SQLITE_OK;

	for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
		bind_str(seed, 1, seeds[i].site);
		bind_str(seed, 2, seeds[i].nalpath);
		sqlite3_bind_int64(seed, 3, seeds[i].mode);
		sqlite3_bind_int64(seed, 4, now);
		rc = step_done(seed);
		/* A row just added holds the seed's mode: only a DP known
		 * before has one to read. */
		if (rc == SQLITE_OK && sqlite3_changes(s->db) == 0)
			rc = get_mode_locked(s, seeds[i].site,
					     seeds[i].nalpath, &seeds[i].mode);
	}
	return rc;
}

/* Reads the mode of every seed in one walk of each site's rows (the
 * primary key's order, which the seeds are in); *all says whether every
 * seed had its row. Lock held, transaction open. */
static int read_back_locked(struct store *s, struct store_seed *seeds, size_t n,
			    bool *all)
{
	sqlite3_stmt *st = s->st[ST_FOREACH_MODE];
	size_t i = 0;
	int rc = SQLITE_OK;

	*all = true;
	while (i < n && *all && rc == SQLITE_OK) {
		size_t end = i;

		while (end < n && sqlite3_stricmp(seeds[end].site, seeds[i].site) == 0)
			end++;
		bind_str(st, 1, seeds[i].site);
		while (i < end && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			const char *nal = (const char *)sqlite3_column_text(st, 0);
			int c = nal ? sqlite3_stricmp(nal, seeds[i].nalpath) : -1;

			if (c < 0)
				continue;	/* a row the seeds do not name */
			if (c > 0)
				break;		/* seeds[i] has no row */
			seeds[i++].mode = (uint32_t)sqlite3_column_int64(st, 1);
		}
		if (rc == SQLITE_ROW || rc == SQLITE_DONE)
			rc = SQLITE_OK;
		stmt_done(st);
		*all = i == end;
	}
	return rc;
}

/* Whether the seed state stored under key is value. */
static int seed_state_is(struct store *s, const char *key, const char *value,
			 bool *same)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, "SELECT value FROM seed_state WHERE key = ?1",
				    -1, &st, NULL);

	*same = false;
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		const char *v = (const char *)sqlite3_column_text(st, 0);

		*same = v && strcmp(v, value) == 0;
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int seed_state_set(struct store *s, const char *key, const char *value)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO seed_state(key, value)"
				    " VALUES (?1, ?2)", -1, &st, NULL);

	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

int store_seed_state_get(struct store *s, const char *key, char **value)
{
	sqlite3_stmt *st;
	int rc;

	*value = NULL;
	pthread_mutex_lock(&s->lock);
	rc = sqlite3_prepare_v2(s->db, "SELECT value FROM seed_state WHERE key = ?1",
				-1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
		rc = sqlite3_step(st);
		if (rc == SQLITE_ROW) {
			const char *v = (const char *)sqlite3_column_text(st, 0);

			rc = SQLITE_DONE;
			if (v && !(*value = strdup(v)))
				rc = SQLITE_NOMEM;
		}
		sqlite3_finalize(st);
	}
	if (rc != SQLITE_DONE)
		log_sqlite(s, "read seed state", rc);
	pthread_mutex_unlock(&s->lock);
	return rc == SQLITE_DONE ? 0 : -EIO;
}

int store_seed_state_put(struct store *s, const char *key, const char *value)
{
	int rc;

	pthread_mutex_lock(&s->lock);
	rc = seed_state_set(s, key, value);
	if (rc != SQLITE_OK)
		log_sqlite(s, "write seed state", rc);
	pthread_mutex_unlock(&s->lock);
	return rc == SQLITE_OK ? 0 : write_errno(rc);
}

int store_seed(struct store *s, struct store_seed *seeds, size_t n)
{
	return store_seed_from(s, seeds, n, NULL, NULL);
}

int store_seed_from(struct store *s, struct store_seed *seeds, size_t n,
		    const char *digest, bool *skipped)
{
	bool same = false, all = false;
	int rc;

	if (skipped)
		*skipped = false;
	for (size_t i = 0; i < n; i++)
		if (!seeds[i].site || !seeds[i].nalpath || seeds[i].mode > 1)
			return -EINVAL;
	pthread_mutex_lock(&s->lock);
	rc = step_done(s->st[ST_BEGIN]);
	if (rc == SQLITE_OK && digest)
		rc = seed_state_is(s, "fixture", digest, &same);
	/* The same fixture seeded this database: its rows are there
	 * unless something removed them since (a site removed, a snapshot
	 * restored), which the walk notices. */
	if (rc == SQLITE_OK && same)
		rc = read_back_locked(s, seeds, n, &all);
	if (rc == SQLITE_OK && !all)
		rc = seed_locked(s, seeds, n);
	if (rc == SQLITE_OK && digest && !all)
		rc = seed_state_set(s, "fixture", digest);
	if (rc == SQLITE_OK)
		rc = step_done(s->st[ST_COMMIT]);
	if (rc != SQLITE_OK) {
		/* -ENOENT would mean the row just inserted is not there */
		log_sqlite(s, "seed", rc < 0 ? SQLITE_INTERNAL : rc);
		rollback_locked(s);
	} else if (skipped) {
		*skipped = all;
	}
	pthread_mutex_unlock(&s->lock);
	return rc == SQLITE_OK ? 0 : rc < 0 ? -EIO : write_errno(rc);
}

int store_reset(struct store *s, const char *site,
		const struct store_seed *seeds, size_t n)
{
	sqlite3_stmt *seed = s->st[ST_SEED];
	int64_t now = now_ms();
	int rc;

	for (size_t i = 0; i < n; i++)
		if (!seeds[i].site || !seeds[i].nalpath || seeds[i].mode > 1)
			return -EINVAL;
	pthread_mutex_lock(&s->lock);
	rc = step_done(s->st[ST_BEGIN]);
	if (rc == SQLITE_OK)
		rc = site ? exec_site(s, "DELETE FROM dp_state WHERE site = ?1",
				      site, NULL)
			  : exec_site(s, "DELETE FROM dp_state", NULL, NULL);
	if (rc == SQLITE_OK)
		rc = clear_journal_locked(s, site, NULL);
	if (rc == SQLITE_OK)
		rc = clear_statmsg_locked(s, site);
	for (size_t i = 0; i < n && rc == SQLITE_OK; i++) {
		bind_str(seed, 1, seeds[i].site);
		bind_str(seed, 2, seeds[i].nalpath);
		sqlite3_bind_int64(seed, 3, seeds[i].mode);
		sqlite3_bind_int64(seed, 4, now);
		rc = step_done(seed);
	}
	if (rc == SQLITE_OK)
		rc = step_done(s->st[ST_COMMIT]);
	if (rc != SQLITE_OK) {
		log_sqlite(s, "reset", rc);
		rollback_locked(s);
	}
	atomic_store(&s->reset_seq, s->seq);
	counts_reload_locked(s);
	pthread_mutex_unlock(&s->lock);
	return rc == SQLITE_OK ? 0 : write_errno(rc);
}

/* ---- snapshots ------------------------------------------------------------ */

#define SNAPSHOT_DIR_SUFFIX ".snapshots"

bool store_snapshot_name_valid(const char *name)
{
	size_t n;

	if (!name || !((name[0] >= 'A' && name[0] <= 'Z') ||
		       (name[0] >= 'a' && name[0] <= 'z') ||
		       (name[0] >= '0' && name[0] <= '9')))
		return false;
	n = strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		   "0123456789_.-");
	return name[n] == '\0' && n <= 64;
}

static void snapshot_path(const struct store *s, const char *name,
			  const char *suffix, char *out, size_t size)
{
	if (name)
		snprintf(out, size, "%s" SNAPSHOT_DIR_SUFFIX "/%s.db%s",
			 s->path, name, suffix);
	else
		snprintf(out, size, "%s" SNAPSHOT_DIR_SUFFIX, s->path);
}

static struct memsnap *memsnap_find(struct store *s, const char *name)
{
	for (size_t i = 0; i < s->nsnaps; i++)
		if (strcmp(s->snaps[i].name, name) == 0)
			return &s->snaps[i];
	return NULL;
}

/* Copies everything in src into dst. SQLite code. */
static int copy_db(sqlite3 *dst, sqlite3 *src)
{
	sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
	int rc;

	if (!b)
		return sqlite3_errcode(dst);
	rc = sqlite3_backup_step(b, -1);
	sqlite3_backup_finish(b);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Writes the blobs into a fresh copy (its snapshot_meta came over empty
 * from the live database). */
static int write_blobs(sqlite3 *db, const struct store_blob *blobs, size_t n,
		       int64_t created)
{
	sqlite3_stmt *st = NULL;
	char when[32];
	int rc;

	snprintf(when, sizeof(when), "%" PRId64, created);
	rc = sqlite3_exec(db, "BEGIN; DELETE FROM snapshot_meta", NULL, NULL,
			  NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO"
					" snapshot_meta(key, value) VALUES (?1, ?2)",
					-1, &st, NULL);
	for (size_t i = 0; i <= n && rc == SQLITE_OK; i++) {
		sqlite3_bind_text(st, 1, i < n ? blobs[i].key : "created_ms", -1,
				  SQLITE_STATIC);
		sqlite3_bind_text(st, 2, i < n ? blobs[i].value : when, -1,
				  SQLITE_STATIC);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc == SQLITE_DONE)
			rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	else
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int save_memory(struct store *s, const char *name,
		       const struct store_blob *blobs, size_t n)
{
	struct memsnap *m = memsnap_find(s, name), *grown;
	int64_t created = now_ms();
	sqlite3 *db = NULL;
	int rc;

	rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = copy_db(db, s->db);
	if (rc == SQLITE_OK)
		rc = write_blobs(db, blobs, n, created);
	if (rc != SQLITE_OK) {
		log_error("snapshot %s: %s", name, sqlite3_errmsg(db));
		sqlite3_close(db);
		return rc == SQLITE_NOMEM ? -ENOMEM : -EIO;
	}
	if (m) {
		sqlite3_close(m->db);
	} else {
		grown = realloc(s->snaps, (s->nsnaps + 1) * sizeof(*grown));
		char *copy = strdup(name);

		if (!grown || !copy) {
			if (grown)
				s->snaps = grown;
			free(copy);
			sqlite3_close(db);
			return -ENOMEM;
		}
		s->snaps = grown;
		m = &s->snaps[s->nsnaps++];
		m->name = copy;
	}
	m->db = db;
	m->created_ms = created;
	return 0;
}

/* Calls a caller's "contents fixed" callback exactly once. */
struct fixed_once {
	void (*fn)(void *ctx);
	void *ctx;
	bool done;
};

static void fixed_now(struct fixed_once *f)
{
	if (!f->done && f->fn)
		f->fn(f->ctx);
	f->done = true;
}

/* Makes a rename or creation in dir durable: without it a crash can
 * forget a directory entry whose file was synced. 0 or -errno. */
static int fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = 0;

	if (fd < 0)
		return -errno;
	if (fsync(fd) < 0)
		rc = -errno;
	close(fd);
	return rc;
}

/* The directory holding path (for syncing its entry), into out. */
static void parent_dir(const char *path, char *out, size_t size)
{
	const char *slash = strrchr(path, '/');

	if (!slash)
		snprintf(out, size, ".");
	else if (slash == path)
		snprintf(out, size, "/");
	else
		snprintf(out, size, "%.*s", (int)(slash - path), path);
}

/* Whether a snapshot directory entry is a copy being written, or the
 * files SQLite keeps beside one: NAME.db.tmp, NAME.db.tmp-wal, ... */
static bool is_tmp_entry(const char *name)
{
	const char *t = strstr(name, ".db.tmp");

	return t && t != name && (t[7] == '\0' || t[7] == '-');
}

/* A crash while a snapshot was written leaves its NAME.db.tmp; nothing
 * will ever finish it, and it may be as big as the database. Run at open,
 * before any save can have started one. */
static void snapshot_remove_stale(struct store *s)
{
	char dir[4096], path[4096 + 300];
	struct dirent *de;
	DIR *d;

	snapshot_path(s, NULL, "", dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!is_tmp_entry(de->d_name))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (unlink(path) == 0)
			log_info("removed %s, left by an interrupted snapshot",
				 path);
		else
			log_warn("cannot remove %s: %s", path, strerror(errno));
	}
	closedir(d);
}

/* Opens a read-only connection on the live file and starts a read
 * transaction on it: from here on it sees the database as committed at
 * this moment, whatever the main connection commits meanwhile (WAL keeps
 * the pages it needs). SQLite code. */
static int open_source(struct store *s, sqlite3 **src)
{
	int rc;

	rc = sqlite3_open_v2(s->path, src, SQLITE_OPEN_READONLY |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_busy_timeout(*src, 5000);
	/* BEGIN alone takes no lock; the first read does. */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(*src, "BEGIN; SELECT count(*) FROM"
				  " sqlite_master", NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		log_error("snapshot of %s: cannot read it: %s", s->path,
			  db_msg(*src, rc));
	return rc;
}

/* Creates the snapshot directory; a new one has its entry synced, as
 * the snapshots in it will be. 0 or -errno. */
static int make_snapshot_dir(const char *dir)
{
	char parent[4096];

	if (mkdir(dir, 0700) == 0) {
		parent_dir(dir, parent, sizeof(parent));
		return fsync_dir(parent);
	}
	return errno == EEXIST ? 0 : -errno;
}

/* Fills the copy at tmp from src (in its read transaction) and leaves a
 * closed, self-contained file. SQLite code. */
static int write_copy(const char *tmp, sqlite3 *src,
		      const struct store_blob *blobs, size_t n)
{
	sqlite3 *db = NULL;
	int rc;

	rc = sqlite3_open_v2(tmp, &db, SQLITE_OPEN_READWRITE |
			     SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK)
		rc = copy_db(db, src);
	/* Lets the WAL go back to the checkpointer before the blobs. */
	sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
	if (rc == SQLITE_OK)
		rc = write_blobs(db, blobs, n, now_ms());
	/* The copy took the live file's WAL flag; one self-contained file
	 * is what a snapshot should be. Synchronous FULL (the default of a
	 * new connection) has synced it by the time this returns. */
	if (rc == SQLITE_OK)
		rc = sqlite3_exec(db, "PRAGMA journal_mode=DELETE", NULL, NULL,
				  NULL);
	if (rc != SQLITE_OK)
		log_error("snapshot %s: %s", tmp, db_msg(db, rc));
	if (sqlite3_close(db) != SQLITE_OK && rc == SQLITE_OK)
		rc = SQLITE_IOERR;
	return rc;
}

/* A file snapshot is written beside its final name, renamed over it and
 * the directory synced, so a crash leaves either the old copy or the new
 * one, and a save that returned 0 survives one. With s->snap_lock held,
 * not s->lock: writers carry on meanwhile. */
static int save_file(struct store *s, const char *name,
		     const struct store_blob *blobs, size_t n,
		     struct fixed_once *fixed)
{
	char dir[4096], tmp[4096], final[4096];
	sqlite3 *src = NULL;
	int rc, err;

	snapshot_path(s, NULL, "", dir, sizeof(dir));
	snapshot_path(s, name, ".tmp", tmp, sizeof(tmp));
	snapshot_path(s, name, "", final, sizeof(final));
	err = make_snapshot_dir(dir);
	if (err) {
		log_error("snapshot %s: cannot create %s: %s", name, dir,
			  strerror(-err));
		return err;
	}
	unlink(tmp);	/* a failed save's */
	rc = open_source(s, &src);
	fixed_now(fixed);
	if (rc == SQLITE_OK)
		rc = write_copy(tmp, src, blobs, n);
	sqlite3_close(src);
	if (rc == SQLITE_OK && rename(tmp, final) < 0) {
		log_error("snapshot %s: rename to %s: %s", tmp, final,
			  strerror(errno));
		rc = SQLITE_IOERR;
	}
	if (rc == SQLITE_OK && (err = fsync_dir(dir)) != 0) {
		log_error("snapshot %s: syncing %s: %s", final, dir,
			  strerror(-err));
		return -EIO;
	}
	if (rc != SQLITE_OK) {
		unlink(tmp);
		return rc == SQLITE_NOMEM ? -ENOMEM : -EIO;
	}
	return 0;
}

int store_snapshot_save_notify(struct store *s, const char *name,
			       const struct store_blob *blobs, size_t n,
			       void (*fixed)(void *ctx), void *ctx)
{
	struct fixed_once once = { .fn = fixed, .ctx = ctx };
	int rc;

	if (!store_snapshot_name_valid(name)) {
		fixed_now(&once);
		return -EINVAL;
	}
	if (s->is_file) {
		pthread_mutex_lock(&s->snap_lock);
		rc = save_file(s, name, blobs, n, &once);
		pthread_mutex_unlock(&s->snap_lock);
	} else {
		/* An in-memory copy is quick and needs the main connection. */
		pthread_mutex_lock(&s->lock);
		rc = save_memory(s, name, blobs, n);
		pthread_mutex_unlock(&s->lock);
	}
	fixed_now(&once);
	return rc;
}

int store_snapshot_save(struct store *s, const char *name,
			const struct store_blob *blobs, size_t n)
{
	return store_snapshot_save_notify(s, name, blobs, n, NULL, NULL);
}

/* Opens snapshot name for reading (*own: the caller closes *db) and
 * checks it was made by dpsim with a schema this one can restore: its
 * own or an older one from SNAPSHOT_OLDEST_SCHEMA on (*version). With
 * s->lock held. */
static int open_snapshot(struct store *s, const char *name, sqlite3 **db,
			 bool *own, int64_t *version)
{
	char path[4096];
	int64_t v = -1, app = -1;
	int rc;

	*db = NULL;
	*own = false;
	if (!store_snapshot_name_valid(name))
		return -EINVAL;
	if (!s->is_file) {
		struct memsnap *m = memsnap_find(s, name);

		if (!m)
			return -ENOENT;
		*db = m->db;
	} else {
		snapshot_path(s, name, "", path, sizeof(path));
		if (access(path, F_OK) < 0)
			return -ENOENT;
		rc = sqlite3_open_v2(path, db, SQLITE_OPEN_READONLY |
				     SQLITE_OPEN_NOMUTEX, NULL);
		*own = true;
		if (rc != SQLITE_OK) {
			log_error("snapshot %s: %s", path, sqlite3_errstr(rc));
			sqlite3_close(*db);
			*db = NULL;
			*own = false;
			return -EIO;
		}
	}
	/* 0: a snapshot taken before dpsim set its application_id. */
	if (query_int(*db, "PRAGMA application_id", &app) != SQLITE_OK ||
	    (app != 0 && app != STORE_APPLICATION_ID) ||
	    query_int(*db, "PRAGMA user_version", &v) != SQLITE_OK ||
	    v < SNAPSHOT_OLDEST_SCHEMA || v > STORE_SCHEMA_VERSION) {
		if (*own)
			sqlite3_close(*db);
		*db = NULL;
		*own = false;
		return v < 0 ? -EIO : -EPROTO;
	}
	if (version)
		*version = v;
	return 0;
}

int store_snapshot_blob(struct store *s, const char *name, const char *key,
			char **value)
{
	sqlite3_stmt *st = NULL;
	sqlite3 *db;
	bool own;
	int rc;

	*value = NULL;
	pthread_mutex_lock(&s->lock);
	rc = open_snapshot(s, name, &db, &own, NULL);
	if (rc == 0) {
		rc = sqlite3_prepare_v2(db, "SELECT value FROM snapshot_meta"
					" WHERE key = ?1", -1, &st, NULL);
		if (rc == SQLITE_OK) {
			sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
			rc = sqlite3_step(st);
		}
		if (rc == SQLITE_ROW) {
			const char *t = (const char *)sqlite3_column_text(st, 0);

			*value = strdup(t ? t : "");
			rc = *value ? 0 : -ENOMEM;
		} else {
			rc = rc == SQLITE_DONE ? -ENOENT : -EIO;
		}
		sqlite3_finalize(st);
		if (own)
			sqlite3_close(db);
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

/* A private copy of snapshot src (*out, src_page bytes a page), with
 * pages of page bytes. The
 * backup API copies into a WAL database of the same page size only, and
 * the snapshots of databases made before 4 KiB pages have 1 KiB ones:
 * then the copy is the file tmp (only a file's page size can change;
 * the caller removes it), rewritten at the live database's page size
 * (VACUUM); else it is in memory. 0 or -EIO. */
static int snapshot_copy(const char *what, sqlite3 *src, int64_t src_page,
			 int64_t page, const char *tmp, sqlite3 **out)
{
	char sql[64];
	sqlite3 *db = NULL;
	int rc;

	*out = NULL;
	if (page != src_page && !tmp) {
		log_error("restoring %s: its pages are of %" PRId64 " bytes, "
			  "the database's of %" PRId64, what, src_page, page);
		return -EIO;
	}
	if (page != src_page)
		unlink(tmp);	/* a stale one, left by a crash */
	rc = sqlite3_open_v2(page != src_page ? tmp : ":memory:", &db,
			     SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc == SQLITE_OK) {
		snprintf(sql, sizeof(sql), "PRAGMA page_size=%" PRId64, src_page);
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	if (rc == SQLITE_OK)
		rc = copy_db(db, src);
	if (rc == SQLITE_OK && page != src_page) {
		snprintf(sql, sizeof(sql), "PRAGMA journal_mode=OFF;"
			 " PRAGMA page_size=%" PRId64 "; VACUUM", page);
		rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		log_error("restoring %s: %s", what, db_msg(db, rc));
		sqlite3_close(db);
		return -EIO;
	}
	*out = db;
	return 0;
}

/* A snapshot taken at an older schema, brought to this one as an old
 * file is on opening (the tables later versions added start empty), in
 * a copy in memory (*out), so that a migration that fails leaves the
 * live database as it was. 0 or -EIO. */
static int upgrade_snapshot(const char *what, sqlite3 *src, int64_t src_page,
			    int64_t page, const char *tmp, sqlite3 **out)
{
	char why[512];
	sqlite3 *db = NULL;

	*out = NULL;
	if (snapshot_copy(what, src, src_page, page, tmp, &db))
		return -EIO;
	if (migrate(db, what, why, sizeof(why))) {
		log_error("restoring %s: %s", what, why);
		sqlite3_close(db);
		return -EIO;
	}
	*out = db;
	return 0;
}

int store_snapshot_restore(struct store *s, const char *name)
{
	sqlite3 *db;
	int64_t version = 0, page = 0, snap_page = 0;
	char tmpbuf[4096 + 300], what[128];
	const char *tmp = NULL;
	bool own;
	int rc;

	if (s->is_file) {	/* where a copy at another page size goes */
		snapshot_path(s, name, ".tmp-restore", tmpbuf, sizeof(tmpbuf));
		tmp = tmpbuf;
	}
	snprintf(what, sizeof(what), "snapshot %s", name);
	pthread_mutex_lock(&s->lock);
	rc = open_snapshot(s, name, &db, &own, &version);
	if (rc == 0) {
		int q = query_int(s->db, "PRAGMA page_size", &page);

		if (q == SQLITE_OK)
			q = query_int(db, "PRAGMA page_size", &snap_page);
		if (q != SQLITE_OK) {
			log_error("restoring %s: %s", what, db_msg(db, q));
			rc = -EIO;
			if (own)
				sqlite3_close(db);
		}
	}
	if (rc == 0 && (version < STORE_SCHEMA_VERSION || snap_page != page)) {
		sqlite3 *up = NULL;

		rc = version < STORE_SCHEMA_VERSION
			     ? upgrade_snapshot(what, db, snap_page, page, tmp, &up)
			     : snapshot_copy(what, db, snap_page, page, tmp, &up);
		if (own)
			sqlite3_close(db);
		db = up;
		own = true;
	}
	if (rc == 0) {
		int src = copy_db(s->db, db);

		/* The blobs were for the caller, not for the live database;
		 * the copy brought the snapshot's application_id, which an
		 * old snapshot does not have. */
		if (src == SQLITE_OK)
			src = sqlite3_exec(s->db, "DELETE FROM snapshot_meta",
					   NULL, NULL, NULL);
		if (src == SQLITE_OK)
			src = set_application_id(s->db);
		if (src != SQLITE_OK) {
			log_sqlite(s, "restore snapshot", src);
			rc = -EIO;
		}
		if (own)
			sqlite3_close(db);
		counts_reload_locked(s);
	}
	if (tmp)
		unlink(tmp);	/* if a copy was made there */
	atomic_store(&s->reset_seq, s->seq);
	pthread_mutex_unlock(&s->lock);
	return rc;
}

int store_snapshot_delete(struct store *s, const char *name)
{
	char path[4096];
	int rc = 0;

	if (!store_snapshot_name_valid(name))
		return -EINVAL;
	pthread_mutex_lock(&s->lock);
	if (s->is_file) {
		snapshot_path(s, name, "", path, sizeof(path));
		if (unlink(path) < 0)
			rc = errno == ENOENT ? -ENOENT : -EIO;
	} else {
		struct memsnap *m = memsnap_find(s, name);

		if (!m) {
			rc = -ENOENT;
		} else {
			sqlite3_close(m->db);
			free(m->name);
			*m = s->snaps[--s->nsnaps];
		}
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

struct snap_row {
	char *name;
	int64_t created_ms;
	int64_t bytes;
};

static int cmp_snap(const void *a, const void *b)
{
	return strcmp(((const struct snap_row *)a)->name,
		      ((const struct snap_row *)b)->name);
}

static int push_snap(struct snap_row **rows, size_t *n, const char *name,
		     size_t namelen, int64_t created, int64_t bytes)
{
	struct snap_row *r = realloc(*rows, (*n + 1) * sizeof(*r));

	if (!r)
		return -ENOMEM;
	*rows = r;
	r[*n].name = strndup(name, namelen);
	if (!r[*n].name)
		return -ENOMEM;
	r[*n].created_ms = created;
	r[*n].bytes = bytes;
	(*n)++;
	return 0;
}

static int list_files(struct store *s, struct snap_row **rows, size_t *n)
{
	char dir[4096], path[4096 + 300];
	struct dirent *de;
	DIR *d;
	int rc = 0;

	snapshot_path(s, NULL, "", dir, sizeof(dir));
	d = opendir(dir);
	if (!d)
		return errno == ENOENT ? 0 : -EIO;
	while (rc == 0 && (de = readdir(d))) {
		size_t len = strlen(de->d_name);
		char name[80];
		struct stat sb;

		/* Only finished copies: NAME.db.tmp (being written, or left
		 * by a crash) and SQLite's -wal/-journal files do not end in
		 * ".db". */
		if (len < 4 || len - 3 >= sizeof(name) ||
		    strcmp(de->d_name + len - 3, ".db") != 0)
			continue;
		memcpy(name, de->d_name, len - 3);
		name[len - 3] = '\0';
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (!store_snapshot_name_valid(name) || stat(path, &sb) < 0 ||
		    !S_ISREG(sb.st_mode))
			continue;
		rc = push_snap(rows, n, name, len - 3,
			       (int64_t)sb.st_mtim.tv_sec * 1000 +
			       sb.st_mtim.tv_nsec / 1000000, (int64_t)sb.st_size);
	}
	closedir(d);
	return rc;
}

int store_snapshot_list(struct store *s,
			int (*cb)(void *ctx, const struct store_snapshot_info *i),
			void *ctx)
{
	struct snap_row *rows = NULL;
	size_t n = 0;
	int rc = 0;

	pthread_mutex_lock(&s->lock);
	if (s->is_file)
		rc = list_files(s, &rows, &n);
	for (size_t i = 0; i < s->nsnaps && rc == 0; i++)
		rc = push_snap(&rows, &n, s->snaps[i].name,
			       strlen(s->snaps[i].name), s->snaps[i].created_ms,
			       0);
	pthread_mutex_unlock(&s->lock);
	if (rows)
		qsort(rows, n, sizeof(*rows), cmp_snap);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct store_snapshot_info info = {
			.name = rows[i].name,
			.created_ms = rows[i].created_ms,
			.bytes = rows[i].bytes,
		};

		rc = cb(ctx, &info);
	}
	for (size_t i = 0; i < n; i++)
		free(rows[i].name);
	free(rows);
	return rc;
}
