/* store_wal: a commit's WAL frames reach the file before the commit
 * returns, and nothing is lost or reordered by holding frames back:
 * another connection sees each commit at once, and a copy of the files
 * taken while the writer is still open (what a SIGKILL leaves) holds
 * every committed row. A failed write failing the commit is tested with
 * a real full disk by the integration test test_diskfull; the count of
 * writes per commit is a figure of bench/ (system calls per request). */
#include "store_wal.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int setup_vfs(void **state)
{
	(void)state;
	assert_non_null(store_wal_vfs());
	return 0;
}

/* ---- helpers ---------------------------------------------------------- */

struct dir {
	char path[64];
	char db[96];
};

static void dir_make(struct dir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/test_store_wal.XXXXXX");
	assert_non_null(mkdtemp(d->path));
	snprintf(d->db, sizeof(d->db), "%s/t.db", d->path);
}

static void dir_remove(struct dir *d)
{
	char p[128];
	const char *suffix[] = { "", "-wal", "-shm" };

	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", d->db, suffix[i]);
		unlink(p);
	}
	rmdir(d->path);
}

/* A connection as the store opens its own: WAL, NORMAL, no automatic
 * checkpoint; with 1 KiB pages, so that a small commit spans many frames.
 * vfs NULL: the default (counting) one. */
static sqlite3 *open_db(const char *path, const char *vfs)
{
	sqlite3 *db = NULL;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
					 SQLITE_OPEN_CREATE, vfs), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA page_size=1024;"
				      "PRAGMA journal_mode=WAL;"
				      "PRAGMA wal_autocheckpoint=0;"
				      "PRAGMA synchronous=NORMAL", NULL, NULL,
				      NULL), SQLITE_OK);
	return db;
}

static int64_t count_rows(sqlite3 *db)
{
	sqlite3_stmt *st;
	int64_t n;

	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM t", -1,
					    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* PRAGMA integrity_check says "ok" (it reports damage as rows). */
static void assert_intact(sqlite3 *db)
{
	sqlite3_stmt *st;

	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1,
					    &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
}

/* Inserts rows rows of size bytes in one transaction. */
static int insert(sqlite3 *db, int rows, int size)
{
	char sql[160];

	snprintf(sql, sizeof(sql), "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL "
		 "SELECT i + 1 FROM c WHERE i < %d) INSERT INTO t(v) SELECT "
		 "randomblob(%d) FROM c", rows, size);
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* A fresh directory and a writer through store_wal, with table t. */
static sqlite3 *open_writer(struct dir *d)
{
	sqlite3 *w;

	dir_make(d);
	w = open_db(d->db, store_wal_vfs());
	assert_int_equal(sqlite3_exec(w, "CREATE TABLE t(id INTEGER PRIMARY KEY, v)",
				      NULL, NULL, NULL), SQLITE_OK);
	return w;
}

/* Write system calls this thread has made so far (the kernel's count,
 * /proc/thread-self/io "syscw"). */
static long writes_so_far(void)
{
	FILE *f = fopen("/proc/thread-self/io", "r");
	char line[128];
	long n = -1;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "syscw: %ld", &n) == 1)
			break;
	fclose(f);
	assert_true(n >= 0);
	return n;
}

/* ---- tests -------------------------------------------------------------- */

/* Twenty rows, at least seven 1 KiB pages, a commit: SQLite writes
 * fourteen or more pieces to the WAL, and the plain VFS makes a write of
 * each; through store_wal the file gets one write (the kernel counts the
 * thread's writes; a tool such as valgrind adds a few of its own, so the
 * plain VFS's count in the same run is the yardstick). Another
 * connection, on the plain VFS, sees the rows as soon as the commit
 * returns. */
static void commit_is_one_write_visible_at_once(void **state)
{
	struct dir d, p;
	sqlite3 *w = open_writer(&d), *r = open_db(d.db, NULL), *plain;
	long before, pieces;

	(void)state;
	dir_make(&p);
	plain = open_db(p.db, NULL);
	assert_int_equal(sqlite3_exec(plain, "CREATE TABLE t(id INTEGER PRIMARY KEY, v)",
				      NULL, NULL, NULL), SQLITE_OK);
	before = writes_so_far();
	assert_int_equal(insert(plain, 20, 300), SQLITE_OK);
	pieces = writes_so_far() - before;
	assert_true(pieces >= 14);
	for (int round = 1; round <= 5; round++) {
		before = writes_so_far();
		assert_int_equal(insert(w, 20, 300), SQLITE_OK);
		assert_true((writes_so_far() - before) * 4 <= pieces);
		assert_int_equal(count_rows(r), 20 * round);
	}
	sqlite3_close(plain);
	sqlite3_close(r);
	sqlite3_close(w);
	dir_remove(&p);
	dir_remove(&d);
}

/* A transaction past the buffer's bound is written in pieces, in order:
 * every row reads back, from this connection and from a fresh one after
 * both are closed (as a restart would). */
static void large_transaction_reads_back(void **state)
{
	struct dir d;
	sqlite3 *w = open_writer(&d), *r;

	(void)state;
	assert_int_equal(insert(w, 6000, 700), SQLITE_OK);	/* ~5 MiB */
	assert_int_equal(count_rows(w), 6000);
	r = open_db(d.db, NULL);
	assert_int_equal(count_rows(r), 6000);
	sqlite3_close(r);
	sqlite3_close(w);
	r = open_db(d.db, NULL);
	assert_intact(r);
	assert_int_equal(count_rows(r), 6000);
	sqlite3_close(r);
	dir_remove(&d);
}

static void copy_file(const char *from, const char *to)
{
	char buf[65536];
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	size_t n;

	assert_non_null(out);
	if (in) {	/* a -wal that was never made is no file */
		while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
			assert_int_equal(fwrite(buf, 1, n, out), n);
		fclose(in);
	}
	assert_int_equal(fclose(out), 0);
}

/* The files as a killed process leaves them: copied while the writer
 * is still open, its last commits only in the WAL. Opened afresh, the
 * copy has every committed row. */
static void committed_rows_survive_a_kill(void **state)
{
	struct dir d, k;
	sqlite3 *w, *r;
	char from[128], to[128];
	const char *suffix[] = { "", "-wal" };

	(void)state;
	w = open_writer(&d);
	dir_make(&k);
	for (int i = 0; i < 50; i++)
		assert_int_equal(insert(w, 3, 150), SQLITE_OK);
	for (size_t i = 0; i < 2; i++) {
		snprintf(from, sizeof(from), "%s%s", d.db, suffix[i]);
		snprintf(to, sizeof(to), "%s%s", k.db, suffix[i]);
		copy_file(from, to);
	}
	r = open_db(k.db, NULL);
	assert_int_equal(count_rows(r), 150);
	assert_intact(r);
	sqlite3_close(r);
	sqlite3_close(w);
	dir_remove(&k);
	dir_remove(&d);
}

/* A transaction that spills pages to the WAL before it commits (a cache
 * of a few pages) rewrites frames in place and reads them back: all
 * passed through in order, and the result is whole. */
static void spilled_transaction_is_whole(void **state)
{
	struct dir d;
	sqlite3 *w = open_writer(&d), *r;

	(void)state;
	assert_int_equal(sqlite3_exec(w, "PRAGMA cache_size=10; BEGIN", NULL,
				      NULL, NULL), SQLITE_OK);
	assert_int_equal(insert(w, 500, 200), SQLITE_OK);
	assert_int_equal(sqlite3_exec(w, "UPDATE t SET v = randomblob(210)",
				      NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(w, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	r = open_db(d.db, NULL);
	assert_int_equal(count_rows(r), 500);
	assert_intact(r);
	sqlite3_close(r);
	sqlite3_close(w);
	dir_remove(&d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(commit_is_one_write_visible_at_once),
		cmocka_unit_test(large_transaction_reads_back),
		cmocka_unit_test(committed_rows_survive_a_kill),
		cmocka_unit_test(spilled_transaction_is_whole),
	};

	return cmocka_run_group_tests(tests, setup_vfs, NULL);
}
