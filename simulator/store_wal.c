/* store_wal: one write per commit's WAL frames. See store_wal.h.
 *
 * What SQLite 3 does, which this relies on (and checks as it goes: any
 * write that does not fit the pattern is passed through after what is
 * held): a WAL file starts with a 32-byte header; a frame is written as
 * two writes at consecutive offsets, a 24-byte frame header and then the
 * page; bytes 4-7 of a frame header, big-endian, are the database size
 * in pages for the frame that commits a transaction and 0 for any other
 * (the WAL file format, "WAL File Format" in SQLite's documentation).
 *
 * A file object is used by one connection, and SQLite never calls a
 * connection's file methods from two threads at once, so a held buffer
 * needs no lock. */
#include "store_wal.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define VFS_NAME "dpsim-wal"
#define WAL_HEADER 32
#define FRAME_HEADER 24
/* What is held is written out once it would pass this, so a large
 * transaction (seeding a big fixture) goes in pieces of this size. The
 * unix VFS writes at most 128 KiB - 1 bytes in one call (it masks the
 * length), so a piece must stay below that; 64 KiB is about sixty
 * frames, several times an ordinary commit. */
#define HOLD_MAX (64 * 1024)
#define HOLD_MIN (16 * 1024)

struct wal_file {
	sqlite3_file base;	/* pMethods: wal_methods */
	sqlite3_file *real;	/* the underlying VFS's file, after this */
	unsigned char *held;	/* frames not yet written, from offset at */
	size_t len, cap;
	sqlite3_int64 at;
	bool want_page;		/* the last thing held is a frame header */
	bool commit;		/* ... of a commit frame */
};

/* Where the underlying file object starts within ours. */
#define REAL_OFFSET ((sizeof(struct wal_file) + 15) & ~(size_t)15)

static sqlite3_vfs *root;	/* the default VFS, under this one */

/* Writes out what is held. Whatever happens it is not held any more: on
 * failure the transaction those frames belonged to fails with this
 * error, and SQLite writes its next one over the same offsets. */
static int put_out(struct wal_file *f)
{
	int rc = SQLITE_OK;

	if (f->len)
		rc = f->real->pMethods->xWrite(f->real, f->held, (int)f->len,
					       f->at);
	f->len = 0;
	f->want_page = false;
	f->commit = false;
	return rc;
}

/* Appends n bytes written at off to what is held (off follows it).
 * False when that would pass HOLD_MAX or memory is short: the caller
 * writes it out and passes the write through. */
static bool hold(struct wal_file *f, const void *data, size_t n,
		 sqlite3_int64 off)
{
	if (f->len + n > f->cap) {
		size_t cap = f->cap ? f->cap : HOLD_MIN;
		unsigned char *p;

		while (cap < f->len + n)
			cap *= 2;
		if (cap > HOLD_MAX)
			return false;
		p = realloc(f->held, cap);
		if (!p)
			return false;
		f->held = p;
		f->cap = cap;
	}
	if (!f->len)
		f->at = off;
	memcpy(f->held + f->len, data, n);
	f->len += n;
	return true;
}

static bool is_page_size(int n)
{
	return n >= 512 && n <= 65536 && (n & (n - 1)) == 0;
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static int wal_write(sqlite3_file *pf, const void *data, int n,
		     sqlite3_int64 off)
{
	struct wal_file *f = (struct wal_file *)pf;
	bool follows = !f->len || off == f->at + (sqlite3_int64)f->len;
	int rc;

	if (follows && !f->want_page && n == FRAME_HEADER &&
	    off >= WAL_HEADER && hold(f, data, (size_t)n, off)) {
		f->want_page = true;
		f->commit = be32((const unsigned char *)data + 4) != 0;
		return SQLITE_OK;
	}
	if (follows && f->want_page && is_page_size(n) &&
	    hold(f, data, (size_t)n, off)) {
		f->want_page = false;
		/* The commit frame is whole: the transaction goes to the
		 * file now, before SQLite publishes it. */
		return f->commit ? put_out(f) : SQLITE_OK;
	}
	rc = put_out(f);
	if (rc != SQLITE_OK)
		return rc;
	return f->real->pMethods->xWrite(f->real, data, n, off);
}

static int wal_close(sqlite3_file *pf)
{
	struct wal_file *f = (struct wal_file *)pf;
	int rc = put_out(f);
	int crc = f->real->pMethods->xClose(f->real);

	free(f->held);
	f->held = NULL;
	f->cap = 0;
	return rc != SQLITE_OK ? rc : crc;
}

/* Each of these first writes out what is held, so that the file they
 * look at or change has every byte written before. */
static int wal_read(sqlite3_file *pf, void *data, int n, sqlite3_int64 off)
{
	struct wal_file *f = (struct wal_file *)pf;
	int rc = put_out(f);

	return rc != SQLITE_OK ? rc :
	       f->real->pMethods->xRead(f->real, data, n, off);
}

static int wal_truncate(sqlite3_file *pf, sqlite3_int64 size)
{
	struct wal_file *f = (struct wal_file *)pf;
	int rc = put_out(f);

	return rc != SQLITE_OK ? rc :
	       f->real->pMethods->xTruncate(f->real, size);
}

static int wal_sync(sqlite3_file *pf, int flags)
{
	struct wal_file *f = (struct wal_file *)pf;
	int rc = put_out(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int wal_file_size(sqlite3_file *pf, sqlite3_int64 *size)
{
	struct wal_file *f = (struct wal_file *)pf;
	int rc = put_out(f);

	return rc != SQLITE_OK ? rc :
	       f->real->pMethods->xFileSize(f->real, size);
}

static int wal_lock(sqlite3_file *pf, int level)
{
	struct wal_file *f = (struct wal_file *)pf;
	int rc = put_out(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xLock(f->real, level);
}

static int wal_unlock(sqlite3_file *pf, int level)
{
	struct wal_file *f = (struct wal_file *)pf;
	int rc = put_out(f);

	return rc != SQLITE_OK ? rc :
	       f->real->pMethods->xUnlock(f->real, level);
}

static int wal_check_reserved(sqlite3_file *pf, int *out)
{
	struct wal_file *f = (struct wal_file *)pf;

	return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int wal_file_control(sqlite3_file *pf, int op, void *arg)
{
	struct wal_file *f = (struct wal_file *)pf;
	int rc = put_out(f);

	return rc != SQLITE_OK ? rc :
	       f->real->pMethods->xFileControl(f->real, op, arg);
}

static int wal_sector_size(sqlite3_file *pf)
{
	struct wal_file *f = (struct wal_file *)pf;

	return f->real->pMethods->xSectorSize(f->real);
}

static int wal_device(sqlite3_file *pf)
{
	struct wal_file *f = (struct wal_file *)pf;

	return f->real->pMethods->xDeviceCharacteristics(f->real);
}

/* Version 1: a WAL file has no shared memory and is never mapped (both
 * are the database file's), so SQLite asks neither of it. */
static const sqlite3_io_methods wal_methods = {
	.iVersion = 1,
	.xClose = wal_close,
	.xRead = wal_read,
	.xWrite = wal_write,
	.xTruncate = wal_truncate,
	.xSync = wal_sync,
	.xFileSize = wal_file_size,
	.xLock = wal_lock,
	.xUnlock = wal_unlock,
	.xCheckReservedLock = wal_check_reserved,
	.xFileControl = wal_file_control,
	.xSectorSize = wal_sector_size,
	.xDeviceCharacteristics = wal_device,
};

/* The database file and everything else but the WAL are the underlying
 * VFS's own objects, opened in place (ours is larger than theirs). */
static int vfs_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file,
		    int flags, int *out_flags)
{
	struct wal_file *f = (struct wal_file *)file;
	int rc;

	(void)vfs;
	if (!(flags & SQLITE_OPEN_WAL))
		return root->xOpen(root, name, file, flags, out_flags);
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)((char *)file + REAL_OFFSET);
	f->real->pMethods = NULL;
	rc = root->xOpen(root, name, f->real, flags, out_flags);
	/* SQLite closes a file whose xOpen set pMethods, failed or not. */
	f->base.pMethods = f->real->pMethods ? &wal_methods : NULL;
	return rc;
}

/* The rest is the underlying VFS's, called with its own object. */
static int vfs_delete(sqlite3_vfs *v, const char *name, int sync_dir)
{
	(void)v;
	return root->xDelete(root, name, sync_dir);
}

static int vfs_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	(void)v;
	return root->xAccess(root, name, flags, out);
}

static int vfs_full_pathname(sqlite3_vfs *v, const char *name, int n,
			     char *out)
{
	(void)v;
	return root->xFullPathname(root, name, n, out);
}

static void *vfs_dlopen(sqlite3_vfs *v, const char *name)
{
	(void)v;
	return root->xDlOpen(root, name);
}

static void vfs_dlerror(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	root->xDlError(root, n, out);
}

static void (*vfs_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	(void)v;
	return root->xDlSym(root, h, sym);
}

static void vfs_dlclose(sqlite3_vfs *v, void *h)
{
	(void)v;
	root->xDlClose(root, h);
}

static int vfs_randomness(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return root->xRandomness(root, n, out);
}

static int vfs_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return root->xSleep(root, us);
}

static int vfs_current_time(sqlite3_vfs *v, double *out)
{
	(void)v;
	return root->xCurrentTime(root, out);
}

static int vfs_last_error(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return root->xGetLastError(root, n, out);
}

static int vfs_current_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	(void)v;
	return root->xCurrentTimeInt64(root, out);
}

static sqlite3_vfs wal_vfs = {
	.iVersion = 2,
	.zName = VFS_NAME,
	.xOpen = vfs_open,
	.xDelete = vfs_delete,
	.xAccess = vfs_access,
	.xFullPathname = vfs_full_pathname,
	.xDlOpen = vfs_dlopen,
	.xDlError = vfs_dlerror,
	.xDlSym = vfs_dlsym,
	.xDlClose = vfs_dlclose,
	.xRandomness = vfs_randomness,
	.xSleep = vfs_sleep,
	.xCurrentTime = vfs_current_time,
	.xGetLastError = vfs_last_error,
	.xCurrentTimeInt64 = vfs_current_time64,
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static bool registered;

static void register_vfs(void)
{
	if (sqlite3_initialize() != SQLITE_OK)
		return;
	root = sqlite3_vfs_find(NULL);
	/* Version 2 is what is forwarded; the unix VFS has had it since
	 * SQLite 3.7. */
	if (!root || root->iVersion < 2)
		return;
	wal_vfs.szOsFile = (int)(REAL_OFFSET + (size_t)root->szOsFile);
	wal_vfs.mxPathname = root->mxPathname;
	registered = sqlite3_vfs_register(&wal_vfs, 0) == SQLITE_OK;
}

const char *store_wal_vfs(void)
{
	pthread_once(&once, register_vfs);
	return registered ? VFS_NAME : NULL;
}
