/* Unit tests for store: state, journal, schema versions, persistence,
 * thread safety. File databases live in a mkdtemp directory per test. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "completion.h"
#include "store_testing.h"

#define NAL1 "[\"Display=\\\\DP01.contoso.com\\\"]MSWNET:" \
	"[\"SMS_SITE=PS1\"]\\\\DP01.contoso.com\\"
#define NAL1_LOWER "[\"display=\\\\dp01.CONTOSO.com\\\"]mswnet:" \
	"[\"sms_site=ps1\"]\\\\dp01.contoso.com\\"
#define NAL2 "[\"Display=\\\\DP02.contoso.com\\\"]MSWNET:" \
	"[\"SMS_SITE=PS1\"]\\\\DP02.contoso.com\\"

/* Per-test temporary directory and the database path inside it. */
struct tmp {
	char dir[64];
	char db[128];
};

/* Setup for file tests: *state is a struct tmp with a fresh directory.
 * The teardown runs even when a test fails, so nothing is left behind. */
static int tmp_setup(void **state)
{
	struct tmp *t = calloc(1, sizeof(*t));

	if (!t)
		return -1;
	snprintf(t->dir, sizeof(t->dir), "/tmp/dpsim-store-XXXXXX");
	if (!mkdtemp(t->dir)) {
		free(t);
		return -1;
	}
	snprintf(t->db, sizeof(t->db), "%s/state.db", t->dir);
	*state = t;
	return 0;
}

static int tmp_teardown(void **state)
{
	static const char *const suffixes[] = { "", "-wal", "-shm",
						"-journal", ".lock" };
	struct tmp *t = *state;
	char p[160];
	int rc;

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", t->db, suffixes[i]);
		unlink(p);
	}
	rc = rmdir(t->dir);
	free(t);
	return rc;
}

static bool file_exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void write_file(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, len), (ssize_t)len);
	assert_int_equal(close(fd), 0);
}

/* The SQLite header keeps user_version big-endian at offset 60. */
static uint32_t read_user_version(const char *path)
{
	unsigned char b[4];
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, b, 4, 60), 4);
	close(fd);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

static void write_user_version(const char *path, uint32_t v)
{
	unsigned char b[4] = { v >> 24, v >> 16, v >> 8, v };
	int fd = open(path, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, b, 4, 60), 4);
	assert_int_equal(close(fd), 0);
}

static struct store *open_ok(const char *path)
{
	struct store *s = NULL;
	char err[256] = "unset";

	assert_int_equal(store_open(path, &s, err, sizeof(err)), 0);
	assert_non_null(s);
	assert_string_equal(err, "");
	return s;
}

static uint32_t mode_of(struct store *s, const char *site, const char *nal)
{
	uint32_t mode = 99;

	assert_int_equal(store_get_mode(s, site, nal, &mode), 0);
	return mode;
}

/* One DP through store_seed; the mode the store holds afterwards. */
static int seed_one(struct store *s, const char *site, const char *nal,
		    uint32_t mode)
{
	struct store_seed one = { .site = site, .nalpath = nal, .mode = mode };

	return store_seed(s, &one, 1);
}

/* ---- state ------------------------------------------------------------ */

static void test_seed_get_case_insensitive(void **state)
{
	struct store *s = open_ok(":memory:");
	uint32_t mode = 77;

	assert_int_equal(seed_one(s, "PS1", NAL1, 1), 0);
	assert_int_equal(seed_one(s, "PS1", NAL2, 0), 0);
	assert_int_equal(mode_of(s, "PS1", NAL1), 1);
	assert_int_equal(mode_of(s, "ps1", NAL1_LOWER), 1);
	assert_int_equal(mode_of(s, "PS1", NAL2), 0);

	/* Same DP spelled differently: not a second row, state kept. */
	assert_int_equal(seed_one(s, "ps1", NAL1_LOWER, 0), 0);
	assert_int_equal(mode_of(s, "PS1", NAL1), 1);

	assert_int_equal(store_get_mode(s, "PS1", "\\\\nope\\", &mode),
			 -ENOENT);
	assert_int_equal(store_get_mode(s, "PS2", NAL1, &mode), -ENOENT);
	assert_int_equal(mode, 77);
	assert_int_equal(seed_one(s, "PS1", "x", 2), -EINVAL);
	store_free(s);
}

/* A batch is one transaction: the modes come back as stored (a DP known
 * already keeps its own), and a bad seed anywhere adds nothing. */
static void test_seed_batch(void **state)
{
	struct store *s = open_ok(":memory:");
	struct store_seed batch[] = {
		{ .site = "PS1", .nalpath = NAL1, .mode = 0 },
		{ .site = "PS1", .nalpath = NAL2, .mode = 1 },
	};
	struct store_seed bad[] = {
		{ .site = "PS1", .nalpath = "new", .mode = 1 },
		{ .site = "PS1", .nalpath = NULL, .mode = 0 },
	};
	uint32_t mode;

	assert_int_equal(seed_one(s, "PS1", NAL1_LOWER, 1), 0);
	assert_int_equal(store_seed(s, batch, 2), 0);
	assert_int_equal(batch[0].mode, 1);	/* kept from the first seed */
	assert_int_equal(batch[1].mode, 1);
	assert_int_equal(mode_of(s, "PS1", NAL2), 1);

	assert_int_equal(store_seed(s, bad, 2), -EINVAL);
	assert_int_equal(store_get_mode(s, "PS1", "new", &mode), -ENOENT);
	assert_int_equal(store_seed(s, NULL, 0), 0);
	store_free(s);
}

/* store_seed_from: the same digest reads the rows back (the modes the
 * store holds, nothing added); a row missing or another digest seeds.
 * Two sites, each in NAL path order ignoring case. */
static void test_seed_from_digest(void **state)
{
	struct store *s = open_ok(":memory:");
	struct store_seed seeds[] = {
		{ .site = "PS1", .nalpath = "a", .mode = 0 },
		{ .site = "PS1", .nalpath = "B", .mode = 1 },
		{ .site = "PS1", .nalpath = "c", .mode = 0 },
		{ .site = "CAS", .nalpath = "x", .mode = 1 },
	};
	bool skipped = true;

	assert_int_equal(store_seed_from(s, seeds, 4, "d1", &skipped), 0);
	assert_false(skipped);
	struct journal_entry e = {
		.user = "t", .protocol = "wsman", .operation = "invoke",
		.site = "PS1", .nalpath = "b", .old_mode = -1, .new_mode = -1,
	};
	uint32_t old = 9;

	assert_int_equal(store_set_mode(s, "PS1", "b", 0, &e, NULL, &old), 0);
	assert_int_equal(old, 1);
	seeds[1].mode = 1;
	assert_int_equal(store_seed_from(s, seeds, 4, "d1", &skipped), 0);
	assert_true(skipped);
	assert_int_equal(seeds[1].mode, 0);	/* the store's, read back */
	assert_int_equal(seeds[3].mode, 1);

	/* Another digest: seeded as store_seed, state kept all the same. */
	seeds[1].mode = 1;
	assert_int_equal(store_seed_from(s, seeds, 4, "d2", &skipped), 0);
	assert_false(skipped);
	assert_int_equal(seeds[1].mode, 0);
	assert_int_equal(store_seed_from(s, seeds, 4, "d2", &skipped), 0);
	assert_true(skipped);

	/* A site forgotten: its rows are missing, so it seeds again. */
	assert_int_equal(store_reset(s, "CAS", NULL, 0), 0);
	assert_int_equal(store_seed_from(s, seeds, 4, "d2", &skipped), 0);
	assert_false(skipped);
	assert_int_equal(mode_of(s, "CAS", "x"), 1);
	assert_int_equal(store_seed_from(s, seeds, 4, "d2", &skipped), 0);
	assert_true(skipped);
	store_free(s);
}

struct listing {
	int n;
	char names[8][160];
	uint32_t modes[8];
	int stop_at;		/* return 42 at this row, or -1 */
};

static int list_cb(void *ctx, const char *nalpath, uint32_t mode)
{
	struct listing *l = ctx;

	snprintf(l->names[l->n], sizeof(l->names[0]), "%s", nalpath);
	l->modes[l->n] = mode;
	return l->n++ == l->stop_at ? 42 : 0;
}

static void test_foreach_mode(void **state)
{
	struct store *s = open_ok(":memory:");
	struct listing l = { .stop_at = -1 };

	assert_int_equal(seed_one(s, "PS1", "c", 1), 0);
	assert_int_equal(seed_one(s, "PS1", "A", 0), 0);
	assert_int_equal(seed_one(s, "PS1", "b", 1), 0);
	assert_int_equal(seed_one(s, "PS2", "a2", 1), 0);

	assert_int_equal(store_foreach_mode(s, "ps1", list_cb, &l), 0);
	assert_int_equal(l.n, 3);
	/* Ordered case-insensitively, as the column collates. */
	assert_string_equal(l.names[0], "A");
	assert_string_equal(l.names[1], "b");
	assert_string_equal(l.names[2], "c");
	assert_int_equal(l.modes[0], 0);
	assert_int_equal(l.modes[1], 1);
	assert_int_equal(l.modes[2], 1);

	memset(&l, 0, sizeof(l));
	l.stop_at = 1;
	assert_int_equal(store_foreach_mode(s, "PS1", list_cb, &l), 42);
	assert_int_equal(l.n, 2);

	memset(&l, 0, sizeof(l));
	l.stop_at = -1;
	assert_int_equal(store_foreach_mode(s, "PS9", list_cb, &l), 0);
	assert_int_equal(l.n, 0);
	store_free(s);
}

/* ---- set_mode and journal --------------------------------------------- */

struct jlist {
	int n;
	struct journal_entry e[4];
	char text[4][9][200];	/* copies of the strings */
	bool nulls[4][9];
	struct store *s;	/* when set, the callback re-enters the store */
	int64_t inner_count;
};

static const char *keep(struct jlist *l, int i, int k, const char *v)
{
	l->nulls[i][k] = v == NULL;
	if (!v)
		return NULL;
	snprintf(l->text[i][k], sizeof(l->text[0][0]), "%s", v);
	return l->text[i][k];
}

static int jlist_cb(void *ctx, const struct journal_entry *e)
{
	struct jlist *l = ctx;
	int i = l->n;

	if (l->s)
		l->inner_count = store_journal_count(l->s);
	if (i >= 4)
		return 7;
	l->e[i] = *e;
	l->e[i].user = keep(l, i, 0, e->user);
	l->e[i].protocol = keep(l, i, 1, e->protocol);
	l->e[i].operation = keep(l, i, 2, e->operation);
	l->e[i].site = keep(l, i, 3, e->site);
	l->e[i].class_name = keep(l, i, 4, e->class_name);
	l->e[i].method = keep(l, i, 5, e->method);
	l->e[i].nalpath = keep(l, i, 6, e->nalpath);
	l->e[i].params = keep(l, i, 7, e->params);
	l->e[i].effect = keep(l, i, 8, e->effect);
	l->n++;
	return 0;
}

static void test_set_mode_commits_with_journal(void **state)
{
	struct store *s = open_ok(":memory:");
	struct journal_entry e = {
		.time_ms = 1700000000123, .user = "CONTOSO\\admin",
		.protocol = "wsman", .operation = "invoke", .site = "PS1",
		.class_name = "SMS_DistributionPointInfo",
		.method = "SetDPMaintenanceMode", .nalpath = NAL1_LOWER,
		.params = "NALPath=...;Mode=1", .old_mode = -1, .new_mode = -1,
		.hresult = 0, .latency_us = 321,
	};
	struct jlist l = { 0 };
	uint32_t old = 99;

	assert_int_equal(seed_one(s, "PS1", NAL1, 0), 0);
	assert_int_equal(store_set_mode(s, "ps1", NAL1_LOWER, 1, &e, NULL, &old), 0);
	assert_int_equal(old, 0);
	assert_true(e.id > 0);
	assert_int_equal(e.old_mode, 0);
	assert_int_equal(e.new_mode, 1);
	assert_int_equal(mode_of(s, "PS1", NAL1), 1);
	assert_int_equal(store_journal_count(s), 1);

	assert_int_equal(store_journal_foreach(s, 0, jlist_cb, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.e[0].id, e.id);
	assert_int_equal(l.e[0].time_ms, 1700000000123);
	assert_string_equal(l.e[0].user, "CONTOSO\\admin");
	assert_string_equal(l.e[0].method, "SetDPMaintenanceMode");
	assert_string_equal(l.e[0].nalpath, NAL1_LOWER);
	assert_int_equal(l.e[0].old_mode, 0);
	assert_int_equal(l.e[0].new_mode, 1);
	assert_int_equal(l.e[0].latency_us, 321);

	/* Same mode twice is a change like any other: journaled. */
	e.time_ms = 0;
	assert_int_equal(store_set_mode(s, "PS1", NAL1, 1, &e, NULL, &old), 0);
	assert_int_equal(old, 1);
	assert_int_equal(e.old_mode, 1);
	assert_int_equal(e.new_mode, 1);
	assert_true(e.time_ms > 1700000000123);	/* 0 became "now" */
	assert_int_equal(store_journal_count(s), 2);

	/* A NULL entry and NULL old_mode are tolerated. */
	assert_int_equal(store_set_mode(s, "PS1", NAL1, 0, NULL, NULL, NULL), 0);
	assert_int_equal(mode_of(s, "PS1", NAL1), 0);
	assert_int_equal(store_journal_count(s), 3);
	store_free(s);
}

static void test_set_mode_unknown_writes_nothing(void **state)
{
	struct store *s = open_ok(":memory:");
	struct journal_entry e = { .old_mode = -1, .new_mode = -1 };
	uint32_t old = 55;

	assert_int_equal(seed_one(s, "PS1", NAL1, 0), 0);
	assert_int_equal(store_set_mode(s, "PS1", NAL2, 1, &e, NULL, &old), -ENOENT);
	assert_int_equal(store_set_mode(s, "PS2", NAL1, 1, &e, NULL, &old), -ENOENT);
	assert_int_equal(old, 55);
	assert_int_equal(e.id, 0);
	assert_int_equal(store_journal_count(s), 0);
	assert_int_equal(store_set_mode(s, "PS1", NAL1, 2, &e, NULL, &old), -EINVAL);
	assert_int_equal(store_journal_count(s), 0);
	assert_int_equal(mode_of(s, "PS1", NAL1), 0);

	/* The failed calls left no transaction open behind them. */
	assert_int_equal(store_set_mode(s, "PS1", NAL1, 1, &e, NULL, &old), 0);
	assert_int_equal(store_journal_count(s), 1);
	store_free(s);
}

static void test_journal_round_trip(void **state)
{
	struct store *s = open_ok(":memory:");
	struct journal_entry full = {
		.time_ms = 42, .user = "u\xc3\xa9", .protocol = "wsman",
		.operation = "enumerate", .site = "PS1",
		.class_name = "SMS_DistributionPointInfo", .method = "M",
		.nalpath = "n", .params = "a'b\"c;--", .old_mode = 0,
		.new_mode = 1, .hresult = 0x80041001u, .latency_us = 7,
	};
	struct journal_entry bare = {
		.time_ms = 43, .operation = "get", .old_mode = -1,
		.new_mode = -1, .hresult = 0xffffffffu, .latency_us = -1,
	};
	struct jlist l = { 0 };

	assert_int_equal(store_journal_add(s, &full), 0);
	assert_int_equal(store_journal_add(s, &bare), 0);
	assert_int_equal(bare.id, full.id + 1);
	assert_int_equal(store_journal_count(s), 2);

	assert_int_equal(store_journal_foreach(s, 0, jlist_cb, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.e[0].id, full.id);
	assert_int_equal(l.e[0].time_ms, 42);
	assert_string_equal(l.e[0].user, "u\xc3\xa9");
	assert_string_equal(l.e[0].protocol, "wsman");
	assert_string_equal(l.e[0].operation, "enumerate");
	assert_string_equal(l.e[0].site, "PS1");
	assert_string_equal(l.e[0].class_name, "SMS_DistributionPointInfo");
	assert_string_equal(l.e[0].method, "M");
	assert_string_equal(l.e[0].nalpath, "n");
	assert_string_equal(l.e[0].params, "a'b\"c;--");
	assert_int_equal(l.e[0].old_mode, 0);
	assert_int_equal(l.e[0].new_mode, 1);
	assert_int_equal(l.e[0].hresult, 0x80041001u);
	assert_int_equal(l.e[0].latency_us, 7);

	assert_int_equal(l.e[1].id, bare.id);
	assert_int_equal(l.e[1].time_ms, 43);
	for (int k = 0; k < 8; k++)
		assert_true(l.nulls[1][k] == (k != 2));
	assert_string_equal(l.e[1].operation, "get");
	assert_int_equal(l.e[1].old_mode, -1);
	assert_int_equal(l.e[1].new_mode, -1);
	assert_int_equal(l.e[1].hresult, 0xffffffffu);
	assert_int_equal(l.e[1].latency_us, -1);

	/* after_id is exclusive; a callback may call back into the store. */
	memset(&l, 0, sizeof(l));
	l.s = s;
	assert_int_equal(store_journal_foreach(s, full.id, jlist_cb, &l), 0);
	assert_int_equal(l.n, 1);
	assert_int_equal(l.e[0].id, bare.id);
	assert_int_equal(l.inner_count, 2);

	memset(&l, 0, sizeof(l));
	assert_int_equal(store_journal_foreach(s, bare.id, jlist_cb, &l), 0);
	assert_int_equal(l.n, 0);
	store_free(s);
}

struct seq {
	int64_t next_id;
	int64_t rows;
	int64_t stop_after;
};

static int seq_cb(void *ctx, const struct journal_entry *e)
{
	struct seq *q = ctx;

	assert_int_equal(e->id, q->next_id);
	assert_int_equal(e->latency_us, e->id * 3);
	q->next_id++;
	return ++q->rows == q->stop_after ? -5 : 0;
}

/* More rows than one internal batch, read in order without a gap. */
static void test_journal_foreach_many(void **state)
{
	struct store *s = open_ok(":memory:");
	struct seq q = { .next_id = 1, .stop_after = -1 };

	for (int i = 1; i <= 1000; i++) {
		struct journal_entry e = { .time_ms = i, .old_mode = -1,
					   .new_mode = -1,
					   .latency_us = i * 3 };

		assert_int_equal(store_journal_add(s, &e), 0);
		assert_int_equal(e.id, i);
	}
	assert_int_equal(store_journal_foreach(s, 0, seq_cb, &q), 0);
	assert_int_equal(q.rows, 1000);

	q = (struct seq){ .next_id = 501, .stop_after = 300 };
	assert_int_equal(store_journal_foreach(s, 500, seq_cb, &q), -5);
	assert_int_equal(q.rows, 300);
	store_free(s);
}

/* ids of the rows a query delivers, in order */
struct ids {
	int n;
	int64_t id[16];
};

static int ids_cb(void *ctx, const struct journal_entry *e)
{
	struct ids *x = ctx;

	assert_true(x->n < 16);
	x->id[x->n++] = e->id;
	return 0;
}

/* The newest rows of a site, delivered oldest first; with fewer than the
 * limit after after_id, those; other sites' rows never count. */
static void test_journal_newest(void **state)
{
	struct store *s = open_ok(":memory:");
	struct store_journal_filter f = { .site = "ps1", .limit = 3, .newest = true };
	struct ids x = { 0 };

	for (int i = 1; i <= 12; i++) {
		struct journal_entry e = { .site = i % 3 ? "PS1" : "PS2",
					   .old_mode = -1, .new_mode = -1 };

		assert_int_equal(store_journal_add(s, &e), 0);
	}
	/* PS1 holds 1 2 4 5 7 8 10 11; PS2 3 6 9 12 */
	assert_int_equal(store_journal_query(s, &f, ids_cb, &x), 0);
	assert_int_equal(x.n, 3);
	assert_int_equal(x.id[0], 8);
	assert_int_equal(x.id[1], 10);
	assert_int_equal(x.id[2], 11);

	x.n = 0;
	f.after_id = 9;
	assert_int_equal(store_journal_query(s, &f, ids_cb, &x), 0);
	assert_int_equal(x.n, 2);
	assert_int_equal(x.id[0], 10);
	assert_int_equal(x.id[1], 11);

	x.n = 0;
	f = (struct store_journal_filter){ .site = "PS1", .limit = 3 };
	assert_int_equal(store_journal_query(s, &f, ids_cb, &x), 0);
	assert_int_equal(x.n, 3);	/* without newest: the oldest */
	assert_int_equal(x.id[0], 1);
	assert_int_equal(x.id[2], 4);
	store_free(s);
}

/* ---- files, versions, errors ------------------------------------------ */

static void test_restart_keeps_state(void **state)
{
	struct tmp *t = *state;
	struct store *s;
	struct journal_entry e = { .user = "alice", .operation = "invoke",
				   .old_mode = -1, .new_mode = -1 };
	char wal[160];

	s = open_ok(t->db);
	assert_int_equal(seed_one(s, "PS1", NAL1, 0), 0);
	assert_int_equal(seed_one(s, "PS1", NAL2, 0), 0);
	assert_int_equal(store_set_mode(s, "PS1", NAL1, 1, &e, NULL, NULL), 0);
	store_free(s);

	/* The final checkpoint left everything in the main file. */
	snprintf(wal, sizeof(wal), "%s-wal", t->db);
	assert_false(file_exists(wal));
	assert_int_equal(read_user_version(t->db), STORE_SCHEMA_VERSION);

	s = open_ok(t->db);
	/* A restart seeds the fixture again: known DPs keep their state. */
	assert_int_equal(seed_one(s, "PS1", NAL1_LOWER, 0), 0);
	assert_int_equal(seed_one(s, "PS1", NAL2, 1), 0);
	assert_int_equal(mode_of(s, "PS1", NAL1), 1);
	assert_int_equal(mode_of(s, "PS1", NAL2), 0);
	assert_int_equal(store_journal_count(s), 1);
	store_free(s);
}

/* A 0-byte file (touch) is a valid empty database at version 0. */
static void test_migrate_from_empty_file(void **state)
{
	struct tmp *t = *state;
	struct store *s;

	write_file(t->db, "", 0);
	s = open_ok(t->db);
	assert_int_equal(seed_one(s, "PS1", NAL1, 1), 0);
	assert_int_equal(store_journal_count(s), 0);
	store_free(s);
	assert_int_equal(read_user_version(t->db), STORE_SCHEMA_VERSION);
}

/* The first bytes of an SQLite file with one empty 4096-byte page and
 * user_version 0, as written by SQLite 3.40 (the rest is zero). */
static const unsigned char empty_db_head[] = {
	0x53, 0x51, 0x4c, 0x69, 0x74, 0x65, 0x20, 0x66, 0x6f, 0x72, 0x6d,
	0x61, 0x74, 0x20, 0x33, 0x00, 0x10, 0x00, 0x01, 0x01, 0x00, 0x40,
	0x20, 0x20, 0x00, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x2e, 0x63,
	0x01, 0x0d, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00,
};

static void test_migrate_from_version0_db(void **state)
{
	static unsigned char page[4096];
	struct tmp *t = *state;
	struct store *s;

	memcpy(page, empty_db_head, sizeof(empty_db_head));
	write_file(t->db, page, sizeof(page));
	assert_int_equal(read_user_version(t->db), 0);

	s = open_ok(t->db);
	assert_int_equal(seed_one(s, "PS1", NAL1, 1), 0);
	assert_int_equal(mode_of(s, "PS1", NAL1), 1);
	store_free(s);
	assert_int_equal(read_user_version(t->db), STORE_SCHEMA_VERSION);
}

/* A file already at the current version is opened as is: no migration
 * runs again and its rows survive. */
static void test_open_current_version_keeps_data(void **state)
{
	struct jlist l = { 0 };
	struct tmp *t = *state;
	struct store *s;
	struct journal_entry e = { .user = "bob", .params = "p",
				   .old_mode = -1, .new_mode = -1,
				   .hresult = 0x80041002u };

	s = open_ok(t->db);
	assert_int_equal(seed_one(s, "PS1", NAL1, 1), 0);
	assert_int_equal(seed_one(s, "PS2", NAL2, 0), 0);
	assert_int_equal(store_journal_add(s, &e), 0);
	store_free(s);
	assert_int_equal(read_user_version(t->db), STORE_SCHEMA_VERSION);

	s = open_ok(t->db);
	assert_int_equal(mode_of(s, "PS1", NAL1), 1);
	assert_int_equal(mode_of(s, "PS2", NAL2), 0);
	assert_int_equal(store_journal_foreach(s, 0, jlist_cb, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.e[0].user, "bob");
	assert_string_equal(l.e[0].params, "p");
	assert_int_equal(l.e[0].hresult, 0x80041002u);
	store_free(s);
	assert_int_equal(read_user_version(t->db), STORE_SCHEMA_VERSION);
}

static void test_refuses_newer_schema(void **state)
{
	struct tmp *t = *state;
	struct store *s;
	char err[256], want[256];

	s = open_ok(t->db);
	assert_int_equal(seed_one(s, "PS1", NAL1, 1), 0);
	store_free(s);
	/* As a future dpsim would have left it. */
	write_user_version(t->db, STORE_SCHEMA_VERSION + 1);

	s = (struct store *)t;	/* must be reset to NULL */
	assert_int_equal(store_open(t->db, &s, err, sizeof(err)), -EPROTO);
	assert_null(s);
	snprintf(want, sizeof(want),
		 "database %s was written by a newer dpsim (schema %d, this one"
		 " knows up to %d)", t->db, STORE_SCHEMA_VERSION + 1,
		 STORE_SCHEMA_VERSION);
	assert_string_equal(err, want);
	/* Refusing did not touch it. */
	assert_int_equal(read_user_version(t->db), STORE_SCHEMA_VERSION + 1);
}

static void test_refuses_garbage_file(void **state)
{
	char junk[2048], err[256], want[256];
	struct store *s = NULL;
	struct tmp *t = *state;

	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = "this is not a database\n"[i % 23];
	write_file(t->db, junk, sizeof(junk));

	assert_int_equal(store_open(t->db, &s, err, sizeof(err)), -EPROTO);
	assert_null(s);
	snprintf(want, sizeof(want), "database %s is not an SQLite database",
		 t->db);
	assert_string_equal(err, want);

	/* A short error buffer is filled, not overrun. */
	memset(err, 'x', sizeof(err));
	assert_int_equal(store_open(t->db, &s, err, 16), -EPROTO);
	assert_int_equal(strlen(err), 15);
	assert_memory_equal(err, "database /tmp/d", 15);
	assert_int_equal(err[16], 'x');
	assert_int_equal(store_open(t->db, &s, NULL, 0), -EPROTO);
}

static void test_refuses_missing_directory(void **state)
{
	char path[160], err[256], want[256];
	struct store *s = NULL;
	struct tmp *t = *state;

	snprintf(path, sizeof(path), "%s/no/such/dir.db", t->dir);
	assert_int_equal(store_open(path, &s, err, sizeof(err)), -ENOENT);
	assert_null(s);
	snprintf(want, sizeof(want), "cannot open database %s: ", path);
	assert_memory_equal(err, want, strlen(want));
	assert_true(strlen(err) > strlen(want));

	/* A directory where the file should be. */
	assert_int_equal(store_open(t->dir, &s, err, sizeof(err)), -EIO);
	snprintf(want, sizeof(want), "cannot open database %s: ", t->dir);
	assert_memory_equal(err, want, strlen(want));
}

static void test_refuses_readonly_file(void **state)
{
	char err[256], want[256];
	struct store *s;
	struct tmp *t = *state;

	if (geteuid() == 0)
		skip();	/* root writes through file modes */
	s = open_ok(t->db);
	store_free(s);
	assert_int_equal(chmod(t->db, 0444), 0);
	assert_int_equal(store_open(t->db, &s, err, sizeof(err)), -EACCES);
	snprintf(want, sizeof(want), "cannot open database %s: ", t->db);
	assert_memory_equal(err, want, strlen(want));
}

/* A committed change survives SIGKILL: nothing waits for a checkpoint or
 * a clean close. The parent kills the child once it reports the commit
 * (a signal from outside, as a real kill would be). */
static void test_crash_keeps_committed_change(void **state)
{
	int done[2], hold[2], status;
	struct tmp *t = *state;
	struct store *s;
	char c = 0;
	pid_t pid;

	s = open_ok(t->db);
	assert_int_equal(seed_one(s, "PS1", NAL1, 0), 0);
	store_free(s);

	assert_int_equal(pipe(done), 0);
	assert_int_equal(pipe(hold), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *cs = NULL;
		struct journal_entry e = { .user = "crash", .old_mode = -1,
					   .new_mode = -1 };

		close(done[0]);
		close(hold[1]);
		if (store_open(t->db, &cs, NULL, 0) ||
		    store_set_mode(cs, "PS1", NAL1, 1, &e, NULL, NULL))
			_exit(1);
		if (write(done[1], "k", 1) != 1)
			_exit(1);
		/* Blocks until killed: hold's write end is never written. */
		(void)!read(hold[0], &c, 1);
		_exit(2);
	}
	close(done[1]);
	close(hold[0]);
	assert_int_equal(read(done[0], &c, 1), 1);
	assert_int_equal(c, 'k');
	assert_int_equal(kill(pid, SIGKILL), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	close(done[0]);
	close(hold[1]);

	s = open_ok(t->db);
	assert_int_equal(mode_of(s, "PS1", NAL1), 1);
	assert_int_equal(store_journal_count(s), 1);
	store_free(s);
}


/* ---- schema 1 -> 2 ------------------------------------------------------ */

/* Runs sql through the sqlite3 shell on path; false when there is none. */
static bool sqlite_shell(const struct tmp *t, const char *path,
			 const char *sql)
{
	char cmd[512], file[160];

	if (system("sqlite3 -version >/dev/null 2>&1") != 0)
		return false;
	snprintf(file, sizeof(file), "%s/x.sql", t->dir);
	write_file(file, sql, strlen(sql));
	snprintf(cmd, sizeof(cmd), "sqlite3 '%s' < '%s'", path, file);
	assert_int_equal(system(cmd), 0);
	unlink(file);
	return true;
}

/* The tables of schema 1, as dpsim 0.1 made them. */
#define V1_TABLES \
	"CREATE TABLE dp_state(site TEXT NOT NULL COLLATE NOCASE," \
	" nalpath TEXT NOT NULL COLLATE NOCASE, mode INTEGER NOT NULL" \
	" CHECK(mode IN (0, 1)), updated_ms INTEGER, updated_by TEXT," \
	" PRIMARY KEY(site, nalpath));" \
	"CREATE TABLE journal(id INTEGER PRIMARY KEY AUTOINCREMENT," \
	" time_ms INTEGER NOT NULL, user TEXT, protocol TEXT, operation TEXT," \
	" site TEXT, class TEXT, method TEXT, nalpath TEXT, params TEXT," \
	" old_mode INTEGER, new_mode INTEGER, hresult INTEGER NOT NULL," \
	" latency_us INTEGER);"

/* A database as dpsim 0.1 (schema 1) left it: its rows survive, and the
 * columns schema 2 added read as "none". */
static void test_migrate_from_version1(void **state)
{
	static const char *const v1 = V1_TABLES
		"INSERT INTO dp_state VALUES('PS1', 'x', 1, 0, NULL);"
		"INSERT INTO journal(time_ms, user, site, hresult) VALUES(5, 'old', 'PS1', 0);"
		"PRAGMA user_version=1;";
	struct tmp *t = *state;
	struct jlist l = { 0 };
	struct store *s;
	int64_t rows, dropped;

	if (!sqlite_shell(t, t->db, v1))
		skip();		/* no sqlite3 shell to write the old file */
	assert_int_equal(read_user_version(t->db), 1);

	s = open_ok(t->db);
	assert_int_equal(mode_of(s, "PS1", "x"), 1);
	assert_int_equal(store_journal_foreach(s, 0, jlist_cb, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.e[0].user, "old");
	assert_int_equal(l.e[0].rule_id, 0);
	assert_null(l.e[0].effect);
	assert_false(l.e[0].has_return_value);
	store_journal_stats(s, "PS1", &rows, &dropped);
	assert_int_equal(rows, 1);
	assert_int_equal(dropped, 0);
	store_free(s);
	assert_int_equal(read_user_version(t->db), STORE_SCHEMA_VERSION);
}


/* The steps of an upgrade commit together: a schema 1 file whose last
 * step cannot run (a table of that name is already there) is refused
 * with the versions and the step named, and is left at version 1 with
 * none of the earlier steps' tables, so that a dpsim that can migrate it
 * later starts from where it was. */
static void test_migrate_all_or_nothing(void **state)
{
	static const char *const v1_blocked = V1_TABLES
		/* 4 -> 5 makes this table. */
		"CREATE TABLE seed_state(x);"
		"PRAGMA user_version=1;";
	struct tmp *t = *state;
	struct store *s = NULL;
	char cmd[512], sql[512], err[512];
	char *out = NULL;

	if (!sqlite_shell(t, t->db, v1_blocked))
		skip();		/* no sqlite3 shell to write the old file */

	assert_int_not_equal(store_open(t->db, &s, err, sizeof(err)), 0);
	assert_null(s);
	/* Which step failed, in SQLite's words. */
	snprintf(sql, sizeof(sql), "cannot migrate database %s from schema "
		 "version 1 to %d: step 4 to 5: table seed_state already exists",
		 t->db, STORE_SCHEMA_VERSION);
	assert_string_equal(err, sql);
	assert_int_equal(read_user_version(t->db), 1);
	/* journal_stats is step 1 -> 2's: rolled back with the rest. */
	snprintf(cmd, sizeof(cmd), "sqlite3 '%s' \"SELECT group_concat(name, ' ') "
		 "FROM (SELECT name FROM sqlite_master WHERE type = 'table' "
		 "ORDER BY name)\"", t->db);
	FILE *p = popen(cmd, "r");
	assert_non_null(p);
	char tables[256] = "";
	out = fgets(tables, sizeof(tables), p);
	assert_int_equal(pclose(p), 0);
	assert_non_null(out);
	assert_string_equal(tables, "dp_state journal seed_state sqlite_sequence\n");
}

/* ---- status messages ------------------------------------------------------ */

/* What a query handed back: ids, message ids, sites and the first two
 * insertion strings, copied. */
struct mlist {
	int n;
	int64_t id[400];
	uint32_t message_id[400];
	char site[400][8];
	char ins[400][2][40];
	size_t nins[400];
	int64_t time_ms[400];
	struct store *s;	/* when set, the callback re-enters the store */
};

static int mlist_cb(void *ctx, const struct status_message *m)
{
	struct mlist *l = ctx;
	int i = l->n;

	if (l->s)
		(void)store_statmsg_count(l->s, NULL);
	if (i >= 400)
		return 7;
	l->id[i] = m->record_id;
	l->message_id[i] = m->message_id;
	snprintf(l->site[i], sizeof(l->site[i]), "%s", m->site ? m->site : "");
	for (size_t k = 0; k < 2 && k < m->nins; k++)
		snprintf(l->ins[i][k], sizeof(l->ins[i][k]), "%s",
			 m->ins[k] ? m->ins[k] : "(null)");
	l->nins[i] = m->nins;
	l->time_ms[i] = m->time_ms;
	l->n++;
	return 0;
}

/* A message as the provider writes one (statmsg.c fills the real one;
 * the store keeps whatever it is given). */
static struct status_message msg_for(const char *site, uint32_t id,
				     const char *user, const char *dp)
{
	struct status_message m = {
		.site = site, .nalpath = NAL1, .message_id = id,
		.severity = 0x40000000u, .message_type = 768,
		.module_name = "SMS Provider", .component = "SMS Provider",
		.machine = "CM01.contoso.com", .process_id = 11,
		.thread_id = 12, .top_level_site_code = site,
		.ins = { user, dp }, .nins = 2,
	};

	return m;
}

/* Checks the strings of message 1 as test_statmsg_with_set_mode wrote
 * it and keeps its numbers (ctx: struct status_message). */
static int check_first(void *ctx, const struct status_message *r)
{
	struct status_message *g = ctx;

	assert_int_equal(r->record_id, 1);
	assert_string_equal(r->site, "PS1");
	assert_string_equal(r->nalpath, NAL1);
	assert_string_equal(r->module_name, "SMS Provider");
	assert_string_equal(r->component, "SMS Provider");
	assert_string_equal(r->machine, "CM01.contoso.com");
	assert_string_equal(r->top_level_site_code, "PS1");
	assert_string_equal(r->ins[0], "lab");
	assert_string_equal(r->ins[1], "DP01.contoso.com");
	*g = *r;
	memset(g->ins, 0, sizeof(g->ins));	/* the store's, gone after */
	g->site = g->nalpath = g->module_name = g->component = NULL;
	g->machine = g->top_level_site_code = NULL;
	return 0;
}

static void test_statmsg_with_set_mode(void **state)
{
	struct store *s = open_ok(":memory:");
	struct journal_entry e = { .user = "lab", .site = "PS1",
				   .old_mode = -1, .new_mode = -1 };
	struct status_message m = msg_for("PS1", 40411, "lab", "DP01.contoso.com");
	struct store_statmsg_filter all = { 0 };
	struct mlist l = { 0 };
	uint32_t old;

	assert_int_equal(seed_one(s, "PS1", NAL1, 0), 0);
	assert_int_equal(store_set_mode(s, "PS1", NAL1, 1, &e, &m, &old), 0);
	assert_int_equal(m.record_id, 1);
	assert_int_equal(m.time_ms, e.time_ms);	/* the change's time */
	assert_int_equal(store_statmsg_count(s, "ps1"), 1);
	assert_int_equal(store_statmsg_count(s, NULL), 1);
	assert_int_equal(store_statmsg_count(s, "PS2"), 0);

	/* Everything written comes back. */
	struct status_message got;
	struct store_statmsg_filter one = { .record_id = 1 };
	memset(&got, 0, sizeof(got));
	assert_int_equal(store_statmsg_query(s, &one, check_first, &got), 0);
	assert_int_equal(got.message_id, 40411);
	assert_int_equal(got.severity, 0x40000000u);
	assert_int_equal(got.message_type, 768);
	assert_int_equal(got.process_id, 11);
	assert_int_equal(got.thread_id, 12);
	assert_int_equal(got.time_ms, e.time_ms);
	assert_int_equal(got.nins, 2);

	/* A DP the store does not know: neither the row nor the message. */
	struct status_message m2 = msg_for("PS1", 40411, "lab", "x");
	assert_int_equal(store_set_mode(s, "PS1", NAL2, 1, &e, &m2, &old), -ENOENT);
	assert_int_equal(m2.record_id, 0);
	/* A message the store cannot keep refuses the change whole. */
	m2.nins = STORE_STATMSG_MAX_INS + 1;
	assert_int_equal(store_set_mode(s, "PS1", NAL1, 0, &e, &m2, &old), -EINVAL);
	m2 = msg_for(NULL, 40412, "lab", "x");
	assert_int_equal(store_set_mode(s, "PS1", NAL1, 0, &e, &m2, &old), -EINVAL);
	assert_int_equal(mode_of(s, "PS1", NAL1), 1);

	/* Without a message, the change writes none. */
	assert_int_equal(store_set_mode(s, "PS1", NAL1, 0, &e, NULL, &old), 0);
	/* No insertion strings at all is a message too. */
	m2 = msg_for("PS1", 40411, NULL, NULL);
	m2.nins = 0;
	assert_int_equal(store_set_mode(s, "PS1", NAL1, 1, &e, &m2, &old), 0);
	assert_int_equal(m2.record_id, 2);
	assert_int_equal(store_statmsg_query(s, &all, mlist_cb, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.nins[1], 0);
	store_free(s);
}

/* Oldest first, newest first, a limit, a site (any case), one id; more
 * messages than one batch; a callback may call back into the store and
 * stop the walk. */
static void test_statmsg_query(void **state)
{
	struct store *s = open_ok(":memory:");
	struct mlist *l = calloc(1, sizeof(*l));
	struct journal_entry e = { .user = "lab", .old_mode = -1, .new_mode = -1 };
	uint32_t old;

	assert_non_null(l);
	assert_int_equal(seed_one(s, "PS1", NAL1, 0), 0);
	assert_int_equal(seed_one(s, "PS2", NAL1, 0), 0);
	for (int i = 0; i < 300; i++) {
		const char *site = i % 3 ? "PS1" : "PS2";
		struct status_message m = msg_for(site, i % 2 ? 40412 : 40411,
						  "lab", "DP01.contoso.com");

		e.site = site;
		e.id = 0;
		e.time_ms = 0;
		assert_int_equal(store_set_mode(s, site, NAL1, (uint32_t)(i % 2) ^ 1,
						&e, &m, &old), 0);
	}
	assert_int_equal(store_statmsg_count(s, "PS1"), 200);
	assert_int_equal(store_statmsg_count(s, "PS2"), 100);

	struct store_statmsg_filter f = { .site = "ps1" };
	l->s = s;
	assert_int_equal(store_statmsg_query(s, &f, mlist_cb, l), 0);
	assert_int_equal(l->n, 200);
	for (int i = 1; i < l->n; i++)
		assert_true(l->id[i] > l->id[i - 1]);
	assert_string_equal(l->site[0], "PS1");
	assert_string_equal(l->ins[199][1], "DP01.contoso.com");

	memset(l, 0, sizeof(*l));
	f = (struct store_statmsg_filter){ .limit = 3, .newest_first = true };
	assert_int_equal(store_statmsg_query(s, &f, mlist_cb, l), 0);
	assert_int_equal(l->n, 3);
	assert_int_equal(l->id[0], 300);
	assert_int_equal(l->id[2], 298);

	memset(l, 0, sizeof(*l));
	f = (struct store_statmsg_filter){ .site = "PS2", .newest_first = true };
	assert_int_equal(store_statmsg_query(s, &f, mlist_cb, l), 0);
	assert_int_equal(l->n, 100);
	assert_int_equal(l->id[0], 298);
	assert_int_equal(l->id[99], 1);

	memset(l, 0, sizeof(*l));
	f = (struct store_statmsg_filter){ .record_id = 5 };
	assert_int_equal(store_statmsg_query(s, &f, mlist_cb, l), 0);
	assert_int_equal(l->n, 1);
	assert_int_equal(l->message_id[0], 40411);	/* i = 4 */
	f.site = "PS2";			/* 5 is PS1's */
	memset(l, 0, sizeof(*l));
	assert_int_equal(store_statmsg_query(s, &f, mlist_cb, l), 0);
	assert_int_equal(l->n, 0);

	/* A callback's non-zero return stops the walk and is returned. */
	memset(l, 0, sizeof(*l));
	l->n = 399;
	f = (struct store_statmsg_filter){ 0 };
	assert_int_equal(store_statmsg_query(s, &f, mlist_cb, l), 7);
	free(l);
	store_free(s);
}

static void test_statmsg_bound(void **state)
{
	struct store *s = open_ok(":memory:");
	struct journal_entry e = { .user = "lab", .site = "PS1",
				   .old_mode = -1, .new_mode = -1 };
	struct store_statmsg_filter f = { 0 };
	struct mlist l = { 0 };
	uint32_t old;

	store_set_statmsg_max(s, 2);
	assert_int_equal(seed_one(s, "PS1", NAL1, 0), 0);
	assert_int_equal(seed_one(s, "PS2", NAL1, 0), 0);
	for (int i = 0; i < 5; i++) {
		struct status_message m = msg_for("PS1", 40411, "lab", "DP01");

		assert_int_equal(store_set_mode(s, "PS1", NAL1, (uint32_t)i % 2,
						&e, &m, &old), 0);
	}
	struct status_message other = msg_for("PS2", 40411, "lab", "DP01");
	e.site = "PS2";
	assert_int_equal(store_set_mode(s, "PS2", NAL1, 1, &e, &other, &old), 0);
	assert_int_equal(store_statmsg_count(s, "PS1"), 2);
	assert_int_equal(store_statmsg_count(s, "PS2"), 1);
	assert_int_equal(store_statmsg_query(s, &f, mlist_cb, &l), 0);
	assert_int_equal(l.n, 3);
	assert_int_equal(l.id[0], 4);
	assert_int_equal(l.id[1], 5);
	assert_int_equal(l.id[2], 6);
	assert_string_equal(l.ins[0][0], "lab");

	/* From 64 on, the message past the bound drops down to 1/64 below
	 * it at once, not one per change. */
	store_set_statmsg_max(s, 128);
	e.site = "PS1";
	for (int i = 0; i < 126; i++) {	/* 2 + 126 = 128 */
		struct status_message m = msg_for("PS1", 40411, "lab", "DP01");

		assert_int_equal(store_set_mode(s, "PS1", NAL1, (uint32_t)i % 2,
						&e, &m, &old), 0);
	}
	assert_int_equal(store_statmsg_count(s, "PS1"), 128);
	struct status_message m = msg_for("PS1", 40411, "lab", "DP01");
	assert_int_equal(store_set_mode(s, "PS1", NAL1, 1, &e, &m, &old), 0);
	assert_int_equal(m.record_id, 133);
	assert_int_equal(store_statmsg_count(s, "PS1"), 126);
	memset(&l, 0, sizeof(l));
	f = (struct store_statmsg_filter){ .site = "PS1", .limit = 1 };
	assert_int_equal(store_statmsg_query(s, &f, mlist_cb, &l), 0);
	/* 4, 5 and 7 went (6 is PS2's). */
	assert_int_equal(l.id[0], 8);
	assert_int_equal(store_statmsg_count(s, "PS2"), 1);
	store_free(s);
}

static void test_statmsg_reset(void **state)
{
	struct store *s = open_ok(":memory:");
	struct store_seed seeds[] = { { "PS1", NAL1, 0 } };
	struct journal_entry e = { .user = "lab", .site = "PS1",
				   .old_mode = -1, .new_mode = -1 };
	struct status_message a = msg_for("PS1", 40411, "lab", "DP01");
	struct status_message b = msg_for("PS2", 40411, "lab", "DP01");
	uint32_t old;

	assert_int_equal(seed_one(s, "PS1", NAL1, 0), 0);
	assert_int_equal(seed_one(s, "PS2", NAL1, 0), 0);
	assert_int_equal(store_set_mode(s, "PS1", NAL1, 1, &e, &a, &old), 0);
	e.site = "PS2";
	assert_int_equal(store_set_mode(s, "PS2", NAL1, 1, &e, &b, &old), 0);

	assert_int_equal(store_reset(s, "ps1", seeds, 1), 0);
	assert_int_equal(store_statmsg_count(s, "PS1"), 0);
	assert_int_equal(store_statmsg_count(s, "PS2"), 1);
	/* Forgetting a site forgets its messages. */
	assert_int_equal(store_reset(s, "PS2", NULL, 0), 0);
	assert_int_equal(store_statmsg_count(s, NULL), 0);

	/* With every message gone the next is 1 (max + 1, as the journal
	 * numbers its rows); so after a reset of everything. */
	a = msg_for("PS1", 40412, "lab", "DP01");
	e.site = "PS1";
	assert_int_equal(store_set_mode(s, "PS1", NAL1, 0, &e, &a, &old), 0);
	assert_int_equal(a.record_id, 1);
	a = msg_for("PS1", 40411, "lab", "DP01");
	assert_int_equal(store_set_mode(s, "PS1", NAL1, 1, &e, &a, &old), 0);
	assert_int_equal(a.record_id, 2);
	assert_int_equal(store_reset(s, NULL, seeds, 1), 0);
	assert_int_equal(store_statmsg_count(s, NULL), 0);
	a = msg_for("PS1", 40411, "lab", "DP01");
	assert_int_equal(store_set_mode(s, "PS1", NAL1, 1, &e, &a, &old), 0);
	assert_int_equal(a.record_id, 1);
	store_free(s);
}

/* ---- schema 2 and 3 -> 4 -------------------------------------------------- */

/* The tables of schema 1, 2 and 3 as those releases made them (their
 * migrations, repeated here because files in the field were made by
 * them), with a DP and a journal row. */
static const char *const old_schema[] = {
	"CREATE TABLE dp_state(site TEXT NOT NULL COLLATE NOCASE,"
	" nalpath TEXT NOT NULL COLLATE NOCASE, mode INTEGER NOT NULL"
	" CHECK(mode IN (0, 1)), updated_ms INTEGER, updated_by TEXT,"
	" PRIMARY KEY(site, nalpath));"
	"CREATE TABLE journal(id INTEGER PRIMARY KEY, time_ms INTEGER NOT NULL,"
	" user TEXT, protocol TEXT, operation TEXT, site TEXT, class TEXT,"
	" method TEXT, nalpath TEXT, params TEXT, old_mode INTEGER,"
	" new_mode INTEGER, hresult INTEGER NOT NULL, latency_us INTEGER);",
	"ALTER TABLE journal ADD COLUMN rule_id INTEGER;"
	"ALTER TABLE journal ADD COLUMN effect TEXT;"
	"ALTER TABLE journal ADD COLUMN return_value INTEGER;"
	"ALTER TABLE journal ADD COLUMN http_status INTEGER;"
	"CREATE INDEX journal_site ON journal(site, id);"
	"CREATE TABLE journal_stats(site TEXT NOT NULL PRIMARY KEY COLLATE NOCASE,"
	" dropped INTEGER NOT NULL);"
	"CREATE TABLE snapshot_meta(key TEXT NOT NULL PRIMARY KEY, value TEXT);",
	"ALTER TABLE journal ADD COLUMN refusal TEXT;",
};

/* Writes a dpsim database of schema version (2 or 3) at path, with DP
 * NAL1 of PS1 in mode 1, one journal row and, for a snapshot, its
 * blobs. */
static void write_old_db(const char *path, int version, bool snapshot)
{
	sqlite3 *db = NULL;
	char sql[160];

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA page_size=1024", NULL, NULL,
				      NULL), SQLITE_OK);
	for (int v = 0; v < version; v++)
		assert_int_equal(sqlite3_exec(db, old_schema[v], NULL, NULL,
					      NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
		"INSERT INTO dp_state VALUES('PS1', '" "[\"Display=\\\\DP01.contoso.com"
		"\\\"]MSWNET:[\"SMS_SITE=PS1\"]\\\\DP01.contoso.com\\', 1, 0, NULL);"
		"INSERT INTO journal(time_ms, user, site, hresult) VALUES(5, 'old', 'PS1', 0);",
		NULL, NULL, NULL), SQLITE_OK);
	if (snapshot)
		assert_int_equal(sqlite3_exec(db, "INSERT INTO snapshot_meta"
			" VALUES('sites', '<old/>'), ('created_ms', '1')",
			NULL, NULL, NULL), SQLITE_OK);
	snprintf(sql, sizeof(sql), "PRAGMA application_id=%d;"
		 " PRAGMA user_version=%d", (int)STORE_APPLICATION_ID, version);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_close(db), SQLITE_OK);
}

/* A file of schema 2 or 3 is upgraded: its rows stay, it starts with no
 * status message, and the next change writes one. */
static void migrate_from(struct tmp *t, int version)
{
	struct journal_entry e = { .user = "lab", .site = "PS1",
				   .old_mode = -1, .new_mode = -1 };
	struct status_message m = msg_for("PS1", 40412, "lab", "DP01");
	struct jlist l = { 0 };
	struct store *s;
	uint32_t old;

	write_old_db(t->db, version, false);
	assert_int_equal(read_user_version(t->db), (uint32_t)version);
	s = open_ok(t->db);
	assert_int_equal(mode_of(s, "PS1", NAL1), 1);
	assert_int_equal(store_journal_foreach(s, 0, jlist_cb, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.e[0].user, "old");
	assert_int_equal(store_statmsg_count(s, NULL), 0);
	assert_int_equal(store_set_mode(s, "PS1", NAL1, 0, &e, &m, &old), 0);
	assert_int_equal(m.record_id, 1);
	assert_int_equal(e.id, 2);
	store_free(s);
	assert_int_equal(read_user_version(t->db), STORE_SCHEMA_VERSION);

	s = open_ok(t->db);
	assert_int_equal(store_statmsg_count(s, "PS1"), 1);
	store_free(s);
}

static void test_migrate_from_version2(void **state)
{
	migrate_from(*state, 2);
}

static void test_migrate_from_version3(void **state)
{
	migrate_from(*state, 3);
}

/* Snapshots taken at schema 2 and 3 are restored, upgraded; the live
 * database stays at this schema and keeps writing messages. */
static void test_snapshot_from_older_schema(void **state)
{
	struct tmp *t = *state;
	struct journal_entry e = { .user = "lab", .site = "PS1",
				   .old_mode = -1, .new_mode = -1 };
	struct store *s = open_ok(t->db);
	char dir[200], p[256], *v = NULL;
	uint32_t old;

	snprintf(dir, sizeof(dir), "%s.snapshots", t->db);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(seed_one(s, "PS1", NAL1, 0), 0);
	for (int version = 2; version <= 3; version++) {
		struct status_message m = msg_for("PS1", 40411, "lab", "DP01");

		snprintf(p, sizeof(p), "%s/v%d.db", dir, version);
		write_old_db(p, version, true);
		assert_int_equal(store_set_mode(s, "PS1", NAL1, 0, &e, NULL, &old), 0);
		assert_int_equal(store_set_mode(s, "PS1", NAL1, 1, &e, &m, &old), 0);
		assert_true(store_statmsg_count(s, NULL) > 0);

		snprintf(p, sizeof(p), "v%d", version);
		assert_int_equal(store_snapshot_blob(s, p, "sites", &v), 0);
		assert_string_equal(v, "<old/>");
		free(v);
		assert_int_equal(store_snapshot_restore(s, p), 0);
		assert_int_equal(mode_of(s, "PS1", NAL1), 1);
		assert_int_equal(store_statmsg_count(s, NULL), 0);
		assert_int_equal(store_journal_count(s), 1);
		/* The snapshot file itself is left as it was. */
		snprintf(p, sizeof(p), "%s/v%d.db", dir, version);
		assert_int_equal(read_user_version(p), (uint32_t)version);

		m = msg_for("PS1", 40412, "lab", "DP01");
		assert_int_equal(store_set_mode(s, "PS1", NAL1, 0, &e, &m, &old), 0);
		assert_int_equal(m.record_id, 1);
		unlink(p);
	}
	store_free(s);
	assert_int_equal(read_user_version(t->db), STORE_SCHEMA_VERSION);
	/* A save now is at this schema, with its messages. */
	s = open_ok(t->db);
	assert_int_equal(store_statmsg_count(s, "PS1"), 1);
	assert_int_equal(store_snapshot_save(s, "now", NULL, 0), 0);
	struct status_message m = msg_for("PS1", 40411, "lab", "DP01");
	assert_int_equal(store_set_mode(s, "PS1", NAL1, 1, &e, &m, &old), 0);
	assert_int_equal(store_statmsg_count(s, "PS1"), 2);
	assert_int_equal(store_snapshot_restore(s, "now"), 0);
	assert_int_equal(store_statmsg_count(s, "PS1"), 1);
	store_free(s);
	snprintf(p, sizeof(p), "%s/now.db", dir);
	assert_int_equal(read_user_version(p), STORE_SCHEMA_VERSION);
	unlink(p);
	assert_int_equal(rmdir(dir), 0);
}

/* ---- new journal columns and the bound ------------------------------------ */

static void test_journal_new_columns(void **state)
{
	struct store *s = open_ok(":memory:");
	struct jlist l = { 0 };
	struct journal_entry e = {
		.user = "lab", .operation = "invoke", .site = "PS1",
		.old_mode = -1, .new_mode = -1, .rule_id = 7, .effect = "return",
		.has_return_value = true, .return_value = 0x80041003u,
		.http_status = 0,
	}, h = {
		.user = "lab", .operation = "get", .old_mode = -1, .new_mode = -1,
		.rule_id = 8, .effect = "http", .http_status = 503,
	};

	assert_int_equal(store_journal_add(s, &e), 0);
	assert_int_equal(store_journal_add(s, &h), 0);
	assert_int_equal(store_journal_foreach(s, 0, jlist_cb, &l), 0);
	assert_int_equal(l.n, 2);
	assert_int_equal(l.e[0].rule_id, 7);
	assert_string_equal(l.e[0].effect, "return");
	assert_true(l.e[0].has_return_value);
	assert_int_equal(l.e[0].return_value, 0x80041003u);
	assert_int_equal(l.e[0].http_status, 0);
	assert_int_equal(l.e[1].http_status, 503);
	assert_false(l.e[1].has_return_value);
	assert_null(l.e[1].site);
	store_free(s);
}

/* A change and the drop it causes are one transaction, and a mode
 * change counts against the bound like any row. */
static void test_bound_with_set_mode(void **state)
{
	struct store *s = open_ok(":memory:");
	int64_t rows, dropped;

	store_set_journal_max(s, 3);
	assert_int_equal(seed_one(s, "PS1", NAL1, 0), 0);
	for (int i = 0; i < 10; i++) {
		struct journal_entry e = { .user = "u", .site = "PS1",
					   .old_mode = -1, .new_mode = -1 };

		assert_int_equal(store_set_mode(s, "PS1", NAL1, (uint32_t)i % 2,
						&e, NULL, NULL), 0);
	}
	store_journal_stats(s, "PS1", &rows, &dropped);
	assert_int_equal(rows, 3);
	assert_int_equal(dropped, 7);
	assert_int_equal(store_journal_count(s), 3);
	store_free(s);
}

/* Rows of a site in the file, read past the store (which hides what is
 * over its bound). */
static int64_t rows_in_file(const char *path, const char *site)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM journal"
					    " WHERE site IS ?1", -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_text(st, 1, site, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

static int count_cb(void *ctx, const struct journal_entry *e)
{
	int64_t *first = ctx;

	if (first[1]++ == 0)
		first[0] = e->id;
	return 0;
}

/* A bound of 64 rows or more is kept lazily (store.c, JOURNAL_TRIM_SLACK):
 * rows past it stay in the file for a while, and no count, query or
 * listing shows them; closing deletes them. */
static void test_bound_lazy(void **state)
{
	struct tmp *t = *state;
	struct store *s = open_ok(t->db);
	struct store_journal_filter f = { .site = "PS1" };
	int64_t ids[201], ps2_first = 0, rows, dropped, n, seen[2];

	store_set_journal_max(s, 128);
	for (int i = 0; i < 201; i++) {
		struct journal_entry e = { .site = "PS1", .old_mode = -1,
					   .new_mode = -1 };

		assert_int_equal(store_journal_add(s, &e), 0);
		ids[i] = e.id;
		if (i % 40 == 0) {
			struct journal_entry o = { .site = "PS2",
						   .old_mode = -1,
						   .new_mode = -1 };

			assert_int_equal(store_journal_add(s, &o), 0);
			if (!ps2_first)
				ps2_first = o.id;
		}
	}
	/* Trimmed at 131 rows down to 128, and so on: 201 leaves one row
	 * past the bound in the file. */
	assert_int_equal(rows_in_file(t->db, "PS1"), 129);
	store_journal_stats(s, "PS1", &rows, &dropped);
	assert_int_equal(rows, 128);
	assert_int_equal(dropped, 73);
	store_journal_stats(s, NULL, &rows, &dropped);
	assert_int_equal(rows, 134);	/* and PS2's 6 */
	assert_int_equal(dropped, 73);
	assert_int_equal(store_journal_count(s), 134);
	assert_int_equal(store_journal_count_where(s, &f, &n), 0);
	assert_int_equal(n, 128);

	/* The site's oldest visible row is the 74th, whichever way it is read. */
	seen[0] = seen[1] = 0;
	assert_int_equal(store_journal_query(s, &f, count_cb, seen), 0);
	assert_int_equal(seen[0], ids[73]);
	assert_int_equal(seen[1], 128);
	f.limit = 200;
	f.newest = true;
	seen[0] = seen[1] = 0;
	assert_int_equal(store_journal_query(s, &f, count_cb, seen), 0);
	assert_int_equal(seen[0], ids[73]);
	assert_int_equal(seen[1], 128);
	seen[0] = seen[1] = 0;
	assert_int_equal(store_journal_foreach(s, 0, count_cb, seen), 0);
	assert_int_equal(seen[1], 134);
	assert_int_equal(seen[0], ps2_first);	/* PS1's first is past the bound */

	/* Closed, the file holds the bound; reopened, nothing moved. */
	store_free(s);
	assert_int_equal(rows_in_file(t->db, "PS1"), 128);
	s = open_ok(t->db);
	store_set_journal_max(s, 128);
	store_journal_stats(s, "PS1", &rows, &dropped);
	assert_int_equal(rows, 128);
	assert_int_equal(dropped, 73);
	store_free(s);
}

/* ---- reset ------------------------------------------------------------------ */

static void test_reset_site_and_all(void **state)
{
	struct store *s = open_ok(":memory:");
	struct store_seed ps1[] = { { "PS1", NAL1, 0 }, { "PS1", NAL2, 1 } };
	struct store_seed all[] = { { "PS1", NAL1, 1 } };
	struct journal_entry e = { .user = "u", .site = "PS1", .old_mode = -1,
				   .new_mode = -1 };
	struct journal_entry o = { .user = "u", .site = "PS2", .old_mode = -1,
				   .new_mode = -1 };
	struct jlist l = { 0 };
	uint32_t mode;

	assert_int_equal(seed_one(s, "PS1", NAL1, 1), 0);
	assert_int_equal(seed_one(s, "PS2", NAL1, 1), 0);
	assert_int_equal(store_set_mode(s, "PS1", NAL1, 0, &e, NULL, NULL), 0);
	assert_int_equal(store_journal_add(s, &o), 0);

	/* PS1 only: its rows and journal, not PS2's. */
	assert_int_equal(store_reset(s, "ps1", ps1, 2), 0);
	assert_int_equal(mode_of(s, "PS1", NAL1), 0);
	assert_int_equal(mode_of(s, "PS1", NAL2), 1);
	assert_int_equal(mode_of(s, "PS2", NAL1), 1);
	assert_int_equal(store_journal_foreach(s, 0, jlist_cb, &l), 0);
	assert_int_equal(l.n, 1);
	assert_string_equal(l.e[0].site, "PS2");

	/* Everything: journal ids start at 1 again. */
	assert_int_equal(store_reset(s, NULL, all, 1), 0);
	assert_int_equal(store_get_mode(s, "PS1", NAL2, &mode), -ENOENT);
	assert_int_equal(store_get_mode(s, "PS2", NAL1, &mode), -ENOENT);
	assert_int_equal(mode_of(s, "PS1", NAL1), 1);
	assert_int_equal(store_journal_count(s), 0);
	e.id = 0;
	assert_int_equal(store_journal_add(s, &e), 0);
	assert_int_equal(e.id, 1);

	/* n = 0 forgets a site. */
	assert_int_equal(store_reset(s, "PS1", NULL, 0), 0);
	assert_int_equal(store_get_mode(s, "PS1", NAL1, &mode), -ENOENT);
	struct store_seed bad = { "PS1", NAL1, 2 };
	assert_int_equal(store_reset(s, "PS1", &bad, 1), -EINVAL);
	store_free(s);
}

/* ---- snapshots ---------------------------------------------------------------- */

struct names {
	char text[256];
	int n;
};

static int name_cb(void *ctx, const struct store_snapshot_info *i)
{
	struct names *x = ctx;

	snprintf(x->text + strlen(x->text), sizeof(x->text) - strlen(x->text),
		 "%s%s", x->n++ ? "," : "", i->name);
	assert_true(i->created_ms > 1600000000000LL);
	return 0;
}

static void snapshot_round_trip(const char *path, bool file)
{
	struct store *s = open_ok(path);
	struct store_blob blobs[] = { { "sites", "<xml/>" }, { "faults", "[1]" } };
	struct journal_entry e = { .user = "u", .site = "PS1", .old_mode = -1,
				   .new_mode = -1 };
	struct names nm = { .n = 0 };
	char *v = NULL;
	int64_t rows, dropped;

	store_set_journal_max(s, 2);
	assert_int_equal(seed_one(s, "PS1", NAL1, 0), 0);
	for (int i = 0; i < 3; i++)
		assert_int_equal(store_set_mode(s, "PS1", NAL1, 1, &e, NULL, NULL), 0);
	assert_int_equal(store_snapshot_save(s, "before-test.1", blobs, 2), 0);

	/* Change everything, then go back. */
	assert_int_equal(store_set_mode(s, "PS1", NAL1, 0, &e, NULL, NULL), 0);
	assert_int_equal(seed_one(s, "PS1", NAL2, 1), 0);
	assert_int_equal(store_journal_clear(s, NULL, NULL), 0);
	assert_int_equal(store_snapshot_restore(s, "before-test.1"), 0);
	assert_int_equal(mode_of(s, "PS1", NAL1), 1);
	uint32_t mode;
	assert_int_equal(store_get_mode(s, "PS1", NAL2, &mode), -ENOENT);
	store_journal_stats(s, "PS1", &rows, &dropped);
	assert_int_equal(rows, 2);
	assert_int_equal(dropped, 1);
	assert_int_equal(store_journal_count(s), 2);

	assert_int_equal(store_snapshot_blob(s, "before-test.1", "faults", &v), 0);
	assert_string_equal(v, "[1]");
	free(v);
	assert_int_equal(store_snapshot_blob(s, "before-test.1", "sites", &v), 0);
	assert_string_equal(v, "<xml/>");
	free(v);
	assert_int_equal(store_snapshot_blob(s, "before-test.1", "nope", &v), -ENOENT);
	assert_null(v);
	/* The blobs were not left in the live database. */
	assert_int_equal(store_snapshot_save(s, "b", NULL, 0), 0);
	assert_int_equal(store_snapshot_blob(s, "b", "faults", &v), -ENOENT);

	/* Saving again under a name replaces it. */
	struct store_blob other[] = { { "faults", "[2]" } };
	assert_int_equal(store_snapshot_save(s, "b", other, 1), 0);
	assert_int_equal(store_snapshot_blob(s, "b", "faults", &v), 0);
	assert_string_equal(v, "[2]");
	free(v);

	assert_int_equal(store_snapshot_list(s, name_cb, &nm), 0);
	assert_string_equal(nm.text, "b,before-test.1");
	assert_int_equal(store_snapshot_delete(s, "b"), 0);
	assert_int_equal(store_snapshot_delete(s, "b"), -ENOENT);
	assert_int_equal(store_snapshot_restore(s, "b"), -ENOENT);
	assert_int_equal(store_snapshot_restore(s, "../etc"), -EINVAL);
	assert_int_equal(store_snapshot_save(s, ".hidden", NULL, 0), -EINVAL);
	store_free(s);

	if (file) {
		/* File snapshots outlive the process, as one self-contained file. */
		char p[256];

		snprintf(p, sizeof(p), "%s.snapshots/before-test.1.db", path);
		assert_true(file_exists(p));
		snprintf(p, sizeof(p), "%s.snapshots/before-test.1.db-wal", path);
		assert_false(file_exists(p));
		s = open_ok(path);
		assert_int_equal(store_snapshot_restore(s, "before-test.1"), 0);
		assert_int_equal(mode_of(s, "PS1", NAL1), 1);
		store_free(s);
	}
}

static void test_snapshots_memory(void **state)
{
	snapshot_round_trip(":memory:", false);
}

static void test_snapshots_file(void **state)
{
	struct tmp *t = *state;
	char p[256];

	snapshot_round_trip(t->db, true);
	snprintf(p, sizeof(p), "%s.snapshots/before-test.1.db", t->db);
	unlink(p);
	snprintf(p, sizeof(p), "%s.snapshots", t->db);
	assert_int_equal(rmdir(p), 0);
}

/* A snapshot from another schema version is refused, not loaded. */
static void test_snapshot_other_schema(void **state)
{
	struct tmp *t = *state;
	struct store *s = open_ok(t->db);
	char p[256], *v = NULL;

	assert_int_equal(store_snapshot_save(s, "old", NULL, 0), 0);
	snprintf(p, sizeof(p), "%s.snapshots/old.db", t->db);
	write_user_version(p, 1);
	assert_int_equal(store_snapshot_restore(s, "old"), -EPROTO);
	assert_int_equal(store_snapshot_blob(s, "old", "faults", &v), -EPROTO);
	store_free(s);
	unlink(p);
	snprintf(p, sizeof(p), "%s.snapshots", t->db);
	assert_int_equal(rmdir(p), 0);
}

static int query_page_size(sqlite3 *db, int64_t *page)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, "PRAGMA page_size", -1, &st, NULL);

	if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		*page = sqlite3_column_int64(st, 0);
	else
		rc = SQLITE_ERROR;
	sqlite3_finalize(st);
	return rc;
}

/* A snapshot with pages of another size (1 KiB: taken from a database of
 * an earlier dpsim) is restored: the backup API alone refuses that into
 * a WAL database. No copy is left behind. */
static void test_snapshot_other_page_size(void **state)
{
	struct tmp *t = *state;
	struct journal_entry e = { .user = "lab", .site = "PS1",
				   .old_mode = -1, .new_mode = -1 };
	struct store *s = open_ok(t->db);
	sqlite3 *db = NULL;
	char p[256];
	int64_t page = 0;
	uint32_t old;

	assert_int_equal(seed_one(s, "PS1", NAL1, 0), 0);
	assert_int_equal(store_set_mode(s, "PS1", NAL1, 1, &e, NULL, &old), 0);
	assert_int_equal(store_snapshot_save(s, "small", NULL, 0), 0);
	snprintf(p, sizeof(p), "%s.snapshots/small.db", t->db);
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode=DELETE;"
				      " PRAGMA page_size=1024; VACUUM", NULL,
				      NULL, NULL), SQLITE_OK);
	assert_int_equal(query_page_size(db, &page), 0);
	assert_int_equal(page, 1024);
	sqlite3_close(db);

	assert_int_equal(store_set_mode(s, "PS1", NAL1, 0, &e, NULL, &old), 0);
	assert_int_equal(store_snapshot_restore(s, "small"), 0);
	assert_int_equal(mode_of(s, "PS1", NAL1), 1);
	assert_int_equal(store_journal_count(s), 1);
	snprintf(p, sizeof(p), "%s.snapshots/small.db.tmp-restore", t->db);
	assert_int_equal(access(p, F_OK), -1);
	store_free(s);
	snprintf(p, sizeof(p), "%s.snapshots/small.db", t->db);
	unlink(p);
	snprintf(p, sizeof(p), "%s.snapshots", t->db);
	assert_int_equal(rmdir(p), 0);
}

/* ---- snapshots while the database is in use ----------------------------------- */

struct during {
	struct store *s;
	int calls;		/* of the fixed callback */
	bool wrote;		/* the write made inside the save returned */
	int write_rc;
	uint32_t old_mode;
};

static void *write_one(void *arg)
{
	struct during *d = arg;
	struct journal_entry e = { .user = "during", .site = "PS1",
				   .operation = "invoke", .old_mode = -1,
				   .new_mode = -1 };

	d->write_rc = store_set_mode(d->s, "PS1", NAL1, 1, &e, NULL, &d->old_mode);
	return NULL;
}

/* Runs while the save is under way: a write from another thread must
 * commit now. The bound only ends a run whose save blocks writers. */
static void write_during(void *ctx)
{
	struct during *d = ctx;
	struct timespec limit;
	pthread_t th;

	d->calls++;
	assert_int_equal(pthread_create(&th, NULL, write_one, d), 0);
	clock_gettime(CLOCK_REALTIME, &limit);
	limit.tv_sec += 30;
	if (pthread_timedjoin_np(th, NULL, &limit) == 0)
		d->wrote = true;
	else
		pthread_detach(th);
}

/* A file snapshot copies one read transaction from its own connection:
 * a change committed while it is written is in the live database and
 * not in the copy, and committing it did not wait for the copy. */
static void test_snapshot_write_not_blocked(void **state)
{
	struct tmp *t = *state;
	struct store *s = open_ok(t->db);
	struct during d = { .s = s };
	struct journal_entry e = { .user = "u", .site = "PS1",
				   .old_mode = -1, .new_mode = -1 };
	char p[256];

	assert_int_equal(seed_one(s, "PS1", NAL1, 0), 0);
	assert_int_equal(store_journal_add(s, &e), 0);
	assert_int_equal(store_snapshot_save_notify(s, "during", NULL, 0,
						    write_during, &d), 0);
	assert_int_equal(d.calls, 1);
	assert_true(d.wrote);
	assert_int_equal(d.write_rc, 0);
	assert_int_equal(d.old_mode, 0);
	assert_int_equal(mode_of(s, "PS1", NAL1), 1);
	assert_int_equal(store_journal_count(s), 2);

	/* The copy is the state of when it began. */
	assert_int_equal(store_snapshot_restore(s, "during"), 0);
	assert_int_equal(mode_of(s, "PS1", NAL1), 0);
	assert_int_equal(store_journal_count(s), 1);
	store_free(s);

	snprintf(p, sizeof(p), "%s.snapshots/during.db.tmp", t->db);
	assert_false(file_exists(p));
	snprintf(p, sizeof(p), "%s.snapshots/during.db", t->db);
	assert_int_equal(unlink(p), 0);
	snprintf(p, sizeof(p), "%s.snapshots", t->db);
	assert_int_equal(rmdir(p), 0);
}

static void count_call(void *ctx)
{
	(*(int *)ctx)++;
}

/* The callback runs exactly once whatever happens, so a caller can
 * release a lock in it. */
static void test_snapshot_notify_once(void **state)
{
	struct store *s = open_ok(":memory:");
	int calls = 0;

	assert_int_equal(store_snapshot_save_notify(s, "../x", NULL, 0,
						    count_call, &calls), -EINVAL);
	assert_int_equal(calls, 1);
	assert_int_equal(seed_one(s, "PS1", NAL1, 1), 0);
	assert_int_equal(store_snapshot_save_notify(s, "m", NULL, 0,
						    count_call, &calls), 0);
	assert_int_equal(calls, 2);
	assert_int_equal(store_set_mode(s, "PS1", NAL1, 0, &(struct journal_entry){
		.old_mode = -1, .new_mode = -1 }, NULL, NULL), 0);
	assert_int_equal(store_snapshot_restore(s, "m"), 0);
	assert_int_equal(mode_of(s, "PS1", NAL1), 1);
	store_free(s);
}

/* A crash while a snapshot is written leaves NAME.db.tmp (and SQLite's
 * files beside it): never listed, and removed by the next open, which
 * keeps the finished snapshots and anything else in the directory. */
static void test_snapshot_stale_tmp(void **state)
{
	static const char *const left[] = { "crashed.db.tmp",
		"crashed.db.tmp-wal", "crashed.db.tmp-journal",
		"keep.db.tmp" };
	struct tmp *t = *state;
	struct store *s = open_ok(t->db);
	struct names nm = { .n = 0 };
	char p[256];

	assert_int_equal(seed_one(s, "PS1", NAL1, 1), 0);
	assert_int_equal(store_snapshot_save(s, "keep", NULL, 0), 0);
	for (size_t i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
		snprintf(p, sizeof(p), "%s.snapshots/%s", t->db, left[i]);
		write_file(p, "half", 4);
	}
	snprintf(p, sizeof(p), "%s.snapshots/notes.txt", t->db);
	write_file(p, "mine", 4);
	assert_int_equal(store_snapshot_list(s, name_cb, &nm), 0);
	assert_string_equal(nm.text, "keep");
	store_free(s);

	s = open_ok(t->db);
	for (size_t i = 0; i < sizeof(left) / sizeof(left[0]); i++) {
		snprintf(p, sizeof(p), "%s.snapshots/%s", t->db, left[i]);
		assert_false(file_exists(p));
	}
	snprintf(p, sizeof(p), "%s.snapshots/notes.txt", t->db);
	assert_true(file_exists(p));
	assert_int_equal(unlink(p), 0);
	assert_int_equal(store_set_mode(s, "PS1", NAL1, 0, &(struct journal_entry){
		.old_mode = -1, .new_mode = -1 }, NULL, NULL), 0);
	assert_int_equal(store_snapshot_restore(s, "keep"), 0);
	assert_int_equal(mode_of(s, "PS1", NAL1), 1);
	store_free(s);
	snprintf(p, sizeof(p), "%s.snapshots/keep.db", t->db);
	assert_int_equal(unlink(p), 0);
	snprintf(p, sizeof(p), "%s.snapshots", t->db);
	assert_int_equal(rmdir(p), 0);
}

static void test_snapshot_names(void **state)
{
	assert_true(store_snapshot_name_valid("a"));
	assert_true(store_snapshot_name_valid("Before_Test-1.2"));
	assert_false(store_snapshot_name_valid(""));
	assert_false(store_snapshot_name_valid("-x"));
	assert_false(store_snapshot_name_valid("a/b"));
	assert_false(store_snapshot_name_valid("a b"));
	assert_false(store_snapshot_name_valid(
		"a12345678901234567890123456789012345678901234567890123456789012345"));
	assert_false(store_snapshot_name_valid(NULL));
}

/* ---- threads ---------------------------------------------------------- */

#define N_THREADS 6
#define N_CALLS 150

struct worker {
	struct store *s;
	int idx;
	char own[32];
	int ok;
	int chain_errors;	/* old_mode differed from our last write */
};

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint32_t last = 0;

	for (int k = 0; k < N_CALLS; k++) {
		struct journal_entry e = { .user = w->own, .nalpath = w->own,
					   .old_mode = -1, .new_mode = -1,
					   .latency_us = k };
		uint32_t want = (uint32_t)((k + w->idx) % 2), old;

		/* Only this thread writes its own DP: old is ours. */
		if (store_set_mode(w->s, "PS1", w->own, want, &e, NULL, &old) == 0) {
			w->ok++;
			if (old != last)
				w->chain_errors++;
			last = want;
		}
		/* Everyone fights over the shared one. */
		e = (struct journal_entry){ .user = w->own,
					    .nalpath = "shared",
					    .old_mode = -1, .new_mode = -1 };
		if (store_set_mode(w->s, "PS1", "shared", want ^ 1, &e, NULL,
				   NULL) == 0)
			w->ok++;
	}
	return NULL;
}

struct shared_walk {
	int64_t rows;
	int64_t last_new;
	int breaks;		/* old_mode != previous new_mode */
};

static int shared_cb(void *ctx, const struct journal_entry *e)
{
	struct shared_walk *w = ctx;

	if (!e->nalpath || strcmp(e->nalpath, "shared") != 0)
		return 0;
	if (e->old_mode != w->last_new)
		w->breaks++;
	w->last_new = e->new_mode;
	w->rows++;
	return 0;
}

static void run_threads(const char *path)
{
	struct worker w[N_THREADS];
	pthread_t th[N_THREADS];
	struct shared_walk walk = { .last_new = 0 };
	struct store *s = open_ok(path);
	int total = 0;

	assert_int_equal(seed_one(s, "PS1", "shared", 0), 0);
	for (int i = 0; i < N_THREADS; i++) {
		w[i] = (struct worker){ .s = s, .idx = i };
		snprintf(w[i].own, sizeof(w[i].own), "\\\\DP%02d\\", i);
		assert_int_equal(seed_one(s, "PS1", w[i].own, 0), 0);
	}
	for (int i = 0; i < N_THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, worker_main,
						&w[i]), 0);
	for (int i = 0; i < N_THREADS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(w[i].ok, 2 * N_CALLS);
		assert_int_equal(w[i].chain_errors, 0);
		total += w[i].ok;
		/* Final mode is this thread's last write. */
		assert_int_equal(mode_of(s, "ps1", w[i].own),
				 (N_CALLS - 1 + i) % 2);
	}
	assert_int_equal(store_journal_count(s), total);

	/* The shared DP's journal is a serial history: every change saw
	 * the mode the previous one left, and the store holds the last. */
	assert_int_equal(store_journal_foreach(s, 0, shared_cb, &walk), 0);
	assert_int_equal(walk.rows, N_THREADS * N_CALLS);
	assert_int_equal(walk.breaks, 0);
	assert_int_equal(mode_of(s, "PS1", "shared"), walk.last_new);
	store_free(s);
}

static void test_threads_memory(void **state)
{
	run_threads(":memory:");
}

static void test_threads_file(void **state)
{
	struct tmp *t = *state;

	run_threads(t->db);
}

/* ---- files dpsim refuses, files it adopts, one process per file --------- */

/* A file's bytes and modification time, to show a refusal left it be. */
struct file_image {
	char *data;
	size_t len;
	struct timespec mtime;
};

static void image_take(const char *path, struct file_image *im)
{
	struct stat st;
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	im->len = (size_t)st.st_size;
	im->mtime = st.st_mtim;
	im->data = malloc(im->len + 1);
	assert_non_null(im->data);
	assert_int_equal(read(fd, im->data, im->len), (ssize_t)im->len);
	close(fd);
}

static void assert_unchanged(const char *path, struct file_image *before)
{
	struct file_image now;

	image_take(path, &now);
	assert_int_equal(now.len, before->len);
	assert_memory_equal(now.data, before->data, now.len);
	assert_int_equal(now.mtime.tv_sec, before->mtime.tv_sec);
	assert_int_equal(now.mtime.tv_nsec, before->mtime.tv_nsec);
	free(now.data);
	free(before->data);
}

static uint32_t read_application_id(const char *path)
{
	unsigned char b[4];
	int fd = open(path, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, b, 4, 68), 4);
	close(fd);
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

/* Refuses path with -EPROTO and exactly want, and leaves it alone (no
 * WAL switch either: that rewrites the header). */
static void assert_refused_untouched(const struct tmp *t, const char *want)
{
	struct file_image before;
	struct store *s = (struct store *)t;
	char err[512];

	image_take(t->db, &before);
	assert_int_equal(store_open(t->db, &s, err, sizeof(err)), -EPROTO);
	assert_null(s);
	assert_string_equal(err, want);
	assert_unchanged(t->db, &before);
}

static void test_refuses_other_application_untouched(void **state)
{
	struct tmp *t = *state;
	char want[256];

	if (!sqlite_shell(t, t->db, "PRAGMA application_id=305419896;"
			  "CREATE TABLE inventory(item TEXT);"
			  "INSERT INTO inventory VALUES('spanner');"))
		skip();
	snprintf(want, sizeof(want), "database %s is an SQLite database of"
		 " another application (application_id 0x12345678)", t->db);
	assert_refused_untouched(t, want);
}

/* Without an application_id, tables that are not dpsim's give it away. */
static void test_refuses_foreign_tables_untouched(void **state)
{
	struct tmp *t = *state;
	char want[256];

	if (!sqlite_shell(t, t->db, "CREATE TABLE inventory(item TEXT);"
			  "PRAGMA user_version=1;"))
		skip();
	snprintf(want, sizeof(want), "database %s is an SQLite database of"
		 " another application (application_id 0x00000000, and tables"
		 " that are not dpsim's)", t->db);
	assert_refused_untouched(t, want);
}

/* A newer dpsim's file in rollback-journal mode: before the check came
 * first, refusing it had already switched it to WAL. */
static void test_refuses_newer_schema_untouched(void **state)
{
	struct tmp *t = *state;
	char sql[256], want[256];

	snprintf(sql, sizeof(sql), "PRAGMA application_id=%u;"
		 "PRAGMA user_version=%d; CREATE TABLE dp_state(x);"
		 "CREATE TABLE journal(y);", STORE_APPLICATION_ID,
		 STORE_SCHEMA_VERSION + 5);
	if (!sqlite_shell(t, t->db, sql))
		skip();
	snprintf(want, sizeof(want), "database %s was written by a newer dpsim"
		 " (schema %d, this one knows up to %d)", t->db,
		 STORE_SCHEMA_VERSION + 5, STORE_SCHEMA_VERSION);
	assert_refused_untouched(t, want);
}

static void test_refuses_garbage_untouched(void **state)
{
	struct tmp *t = *state;
	char want[256];

	write_file(t->db, "#!/bin/sh\necho not a database\n", 30);
	snprintf(want, sizeof(want), "database %s is not an SQLite database",
		 t->db);
	assert_refused_untouched(t, want);
}

/* A file written by the release before the application_id (same schema,
 * none set) keeps its data and is marked as dpsim's; a new one is marked
 * from the start. */
static void test_adopts_file_without_application_id(void **state)
{
	struct tmp *t = *state;
	unsigned char zero[4] = { 0 };
	struct store *s;
	int fd;

	s = open_ok(t->db);
	assert_int_equal(seed_one(s, "PS1", NAL1, 1), 0);
	store_free(s);
	assert_int_equal(read_application_id(t->db), STORE_APPLICATION_ID);

	fd = open(t->db, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, zero, 4, 68), 4);
	assert_int_equal(close(fd), 0);
	assert_int_equal(read_application_id(t->db), 0);

	s = open_ok(t->db);
	assert_int_equal(mode_of(s, "PS1", NAL1), 1);
	store_free(s);
	assert_int_equal(read_application_id(t->db), STORE_APPLICATION_ID);
}

/* A second store on the same file, also through another path to it, is
 * refused naming the holder; once freed, the file opens again, and a
 * lock file left behind (a killed process's) is no obstacle. */
static void test_one_process_per_file(void **state)
{
	struct tmp *t = *state;
	char link[160], lockfile[160], err[512], want[64];
	struct store *s, *second = (struct store *)t;

	s = open_ok(t->db);
	snprintf(want, sizeof(want), "(PID %ld,", (long)getpid());
	assert_int_equal(store_open(t->db, &second, err, sizeof(err)), -EBUSY);
	assert_null(second);
	assert_non_null(strstr(err, want));
	assert_non_null(strstr(err, "is in use by another dpsim"));

	snprintf(link, sizeof(link), "%s/alias.db", t->dir);
	assert_int_equal(symlink(t->db, link), 0);
	assert_int_equal(store_open(link, &second, err, sizeof(err)), -EBUSY);
	assert_non_null(strstr(err, want));
	assert_int_equal(chdir(t->dir), 0);
	assert_int_equal(store_open("./state.db", &second, err, sizeof(err)),
			 -EBUSY);
	assert_int_equal(chdir("/"), 0);
	store_free(s);

	snprintf(lockfile, sizeof(lockfile), "%s.lock", t->db);
	write_file(lockfile, "999999\n", 7);
	s = open_ok(link);
	store_free(s);
	unlink(link);
}

/* A test given a fresh directory (struct tmp in *state). */
#define FILE_TEST(f) cmocka_unit_test_setup_teardown(f, tmp_setup, tmp_teardown)


/* ---- queued writes (group commit) ---------------------------------------- */

/* A queued change commits what store_set_mode would, from copies: the
 * caller's strings may change as soon as store_write_new returns. Its
 * message is written only when the mode changes, judged at commit. */
static void test_queued_write(void **state)
{
	struct store *s = open_ok(":memory:");
	char user[32] = "CONTOSO\\lab";
	struct journal_entry e = {
		.user = user, .protocol = "wsman", .operation = "invoke",
		.site = "PS1", .class_name = "SMS_DistributionPointInfo",
		.method = "SetDPMaintenanceMode", .nalpath = NAL1,
		.old_mode = -1, .new_mode = -1,
	};
	struct status_message m = msg_for("PS1", 40411, user, "DP01.contoso.com");
	struct store_journal_filter f = { 0 };
	struct store_write *w;
	struct jlist l = { 0 };
	uint32_t old = 99;
	uint64_t seq1 = 0, seq2 = 0, seq3 = 0;

	assert_int_equal(seed_one(s, "PS1", NAL1, 0), 0);
	assert_int_equal(store_write_new("PS1", NAL1, 1, &e, &m, &w), 0);
	snprintf(user, sizeof(user), "overwritten");
	store_write_submit(s, w);
	/* Nothing else was committing: the caller committed it itself. */
	assert_true(completion_fired(store_write_completion(w)));
	assert_int_equal(store_write_end(w, &old, &seq1), 0);
	assert_int_equal(old, 0);
	assert_int_equal(store_statmsg_count(s, "PS1"), 1);
	assert_int_equal(store_get_mode(s, "PS1", NAL1, &old), 0);
	assert_int_equal(old, 1);

	/* The same mode again: a row, no message. */
	assert_int_equal(store_write_new("PS1", NAL1, 1, &e, &m, &w), 0);
	store_write_submit(s, w);
	assert_int_equal(store_write_end(w, &old, &seq2), 0);
	assert_int_equal(old, 1);
	assert_true(seq2 > seq1);
	assert_int_equal(store_statmsg_count(s, "PS1"), 1);
	assert_int_equal(store_journal_count(s), 2);
	assert_int_equal(store_journal_query(s, &f, jlist_cb, &l), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.e[0].user, "CONTOSO\\lab");
	assert_int_equal(l.e[0].old_mode, 0);
	assert_int_equal(l.e[0].new_mode, 1);
	assert_int_equal(l.e[1].old_mode, 1);
	assert_int_equal(l.e[1].new_mode, 1);

	/* An unknown DP writes nothing. */
	assert_int_equal(store_write_new("PS1", "nope", 0, &e, NULL, &w), 0);
	store_write_submit(s, w);
	assert_int_equal(store_write_end(w, NULL, &seq3), -ENOENT);
	assert_int_equal(store_journal_count(s), 2);

	/* A reset undoes what was committed before it. */
	assert_true(store_reset_seq(s) < seq2);
	assert_int_equal(store_reset(s, "PS1", NULL, 0), 0);
	assert_true(store_reset_seq(s) >= seq2);
	assert_int_equal(store_write_new("PS1", NAL1, 2, &e, NULL, &w), -EINVAL);
	assert_null(w);

	/* The row alone (a read's): no mode, no message, whatever m says. */
	int64_t rows = store_journal_count(s);
	int64_t msgs = store_statmsg_count(s, "PS1");
	assert_int_equal(store_write_new(NULL, NAL1, 0, &e, NULL, &w), -EINVAL);
	assert_int_equal(store_write_new("PS1", NULL, 0, &e, NULL, &w), -EINVAL);
	e.operation = "get";
	assert_int_equal(store_write_new(NULL, NULL, 7, &e, &m, &w), 0);
	store_write_submit(s, w);
	assert_int_equal(store_write_end(w, NULL, NULL), 0);
	assert_int_equal(store_journal_count(s), rows + 1);
	assert_int_equal(store_statmsg_count(s, "PS1"), msgs);
	store_free(s);
}

struct writer {
	struct store *s;
	int id;
	int n;
	int failed;
};

/* One of several threads queueing changes of its own DP and waiting for
 * each on its completion, as a suspended connection does. */
static void *writer_main(void *arg)
{
	struct writer *wr = arg;
	char nal[64];

	snprintf(nal, sizeof(nal), "DP%02d", wr->id);
	for (int i = 0; i < wr->n; i++) {
		struct journal_entry e = { .user = "lab", .site = "PS1", .nalpath = nal,
					   .operation = "invoke", .old_mode = -1,
					   .new_mode = -1 };
		struct store_write *w;
		uint32_t old = 99;

		if (store_write_new("PS1", nal, (uint32_t)(i + 1) % 2, &e, NULL, &w)) {
			wr->failed++;
			continue;
		}
		store_write_submit(wr->s, w);
		completion_wait(store_write_completion(w));
		if (store_write_end(w, &old, NULL) || old != (uint32_t)i % 2)
			wr->failed++;
	}
	return NULL;
}

/* Writers racing: every change committed once, in order per DP, each
 * told its own result, whoever committed its batch. */
static void test_queued_writes_concurrent(void **state)
{
	enum { THREADS = 6, EACH = 150 };
	struct store *s = open_ok(":memory:");
	struct writer wr[THREADS];
	pthread_t t[THREADS];
	char nal[64];
	uint32_t mode;

	for (int i = 0; i < THREADS; i++) {
		snprintf(nal, sizeof(nal), "DP%02d", i);
		assert_int_equal(seed_one(s, "PS1", nal, 0), 0);
		wr[i] = (struct writer){ .s = s, .id = i, .n = EACH };
	}
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, writer_main, &wr[i]), 0);
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(wr[i].failed, 0);
		snprintf(nal, sizeof(nal), "DP%02d", i);
		assert_int_equal(store_get_mode(s, "PS1", nal, &mode), 0);
		assert_int_equal(mode, EACH % 2);
	}
	assert_int_equal(store_journal_count(s), THREADS * EACH);
	store_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_get_case_insensitive),
		cmocka_unit_test(test_seed_batch),
		cmocka_unit_test(test_seed_from_digest),
		cmocka_unit_test(test_journal_newest),
		cmocka_unit_test(test_foreach_mode),
		cmocka_unit_test(test_set_mode_commits_with_journal),
		cmocka_unit_test(test_set_mode_unknown_writes_nothing),
		cmocka_unit_test(test_journal_round_trip),
		cmocka_unit_test(test_journal_foreach_many),
		FILE_TEST(test_restart_keeps_state),
		FILE_TEST(test_migrate_from_empty_file),
		FILE_TEST(test_migrate_from_version0_db),
		FILE_TEST(test_open_current_version_keeps_data),
		FILE_TEST(test_refuses_newer_schema),
		FILE_TEST(test_refuses_garbage_file),
		FILE_TEST(test_refuses_missing_directory),
		FILE_TEST(test_refuses_readonly_file),
		FILE_TEST(test_crash_keeps_committed_change),
		cmocka_unit_test(test_threads_memory),
		FILE_TEST(test_threads_file),
		FILE_TEST(test_migrate_from_version1),
		FILE_TEST(test_migrate_all_or_nothing),
		cmocka_unit_test(test_journal_new_columns),
		cmocka_unit_test(test_bound_with_set_mode),
		FILE_TEST(test_bound_lazy),
		cmocka_unit_test(test_reset_site_and_all),
		cmocka_unit_test(test_statmsg_with_set_mode),
		cmocka_unit_test(test_statmsg_query),
		cmocka_unit_test(test_statmsg_bound),
		cmocka_unit_test(test_statmsg_reset),
		cmocka_unit_test(test_queued_write),
		cmocka_unit_test(test_queued_writes_concurrent),
		FILE_TEST(test_migrate_from_version2),
		FILE_TEST(test_migrate_from_version3),
		FILE_TEST(test_snapshot_from_older_schema),
		cmocka_unit_test(test_snapshots_memory),
		FILE_TEST(test_snapshots_file),
		FILE_TEST(test_snapshot_other_schema),
		FILE_TEST(test_snapshot_other_page_size),
		cmocka_unit_test(test_snapshot_names),
		FILE_TEST(test_snapshot_write_not_blocked),
		cmocka_unit_test(test_snapshot_notify_once),
		FILE_TEST(test_snapshot_stale_tmp),
		FILE_TEST(test_refuses_other_application_untouched),
		FILE_TEST(test_refuses_foreign_tables_untouched),
		FILE_TEST(test_refuses_newer_schema_untouched),
		FILE_TEST(test_refuses_garbage_untouched),
		FILE_TEST(test_adopts_file_without_application_id),
		FILE_TEST(test_one_process_per_file),
	};

	/* Keep the output to test results (migrations log at info). */
	log_threshold = LOG_WARN;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
