/* dblock: one dpsim per database file.
 *
 * Two processes on one database would each serve their own idea of the
 * state (each keeps DP modes in memory) and undo each other's resets, so
 * the first one to start takes an exclusive lock that the second finds.
 *
 * The lock is an open-file-description lock (fcntl F_OFD_SETLK) on a
 * companion file, PATH.lock, beside the database's resolved path: the
 * same file reached through a symbolic link or another relative path
 * finds the same lock. The kernel drops the lock when the process ends,
 * however it ends, so a lock file left behind by a killed process is
 * harmless and is simply locked again; the file itself is never removed
 * (removing it would let two processes lock two different files). The
 * holder writes its PID into the file so that the refusal can name it.
 * The database's own files (-wal, -shm, PATH.snapshots/) are only ever
 * touched by the lock's holder.
 *
 * Not for ":memory:", which no other process can reach.
 */
#ifndef DPSIM_DBLOCK_H
#define DPSIM_DBLOCK_H

#include <stddef.h>

struct dblock;

/* Locks the database at db_path (which need not exist yet; its directory
 * must). Returns 0 and *out (the caller frees it with dblock_free, which
 * releases the lock), or with a one-line reason naming db_path in err:
 * -EBUSY (another process holds it; err names its PID), -ENOENT (no such
 * directory), -EACCES (the lock file cannot be created), -EIO (db_path is
 * a directory, or the lock failed otherwise). */
int dblock_new(const char *db_path, struct dblock **out, char *err,
	       size_t errsize);
/* Releases the lock. NULL is fine. */
void dblock_free(struct dblock *l);
/* The lock file's path (borrowed). */
const char *dblock_path(const struct dblock *l);

#endif
