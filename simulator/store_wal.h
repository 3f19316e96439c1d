/* store_wal: a SQLite VFS that writes a commit's WAL frames to the file in
 * one system call instead of two per page.
 *
 * Part of the store (only store.c opens connections through it). SQLite
 * writes each WAL frame as two pwrite calls, its 24-byte header and then
 * its page; an Invoke commits five or so frames, which made pwrite the
 * most frequent system call of a change. This VFS keeps a connection's
 * frames in memory while it writes them in sequence and hands them to the
 * file in one write when the transaction's commit frame (the one whose
 * header carries the database size) is complete. That write happens
 * inside SQLite's commit, before the commit is published to other
 * connections or reported to the caller, and its error is the commit's
 * error: what is acknowledged is in the operating system's hands exactly
 * as before. Anything other than that pattern of writes (the WAL header,
 * a frame rewritten in place, a read, a sync, a truncation, a size
 * query, a file control, closing) first writes out what is held, so the
 * file is never seen without the bytes written before. Other files are
 * opened by the underlying VFS unchanged.
 *
 * docs/architecture.md, "Group commit", says where this sits. */
#ifndef DPSIM_STORE_WAL_H
#define DPSIM_STORE_WAL_H

/* The VFS's name for sqlite3_open_v2. Registers it (over the default
 * VFS) on the first call; thread-safe. NULL when it could not be
 * registered: open with the default VFS then (slower, same results). */
const char *store_wal_vfs(void);

#endif
