/* dblock: the exclusive lock on a database file. See dblock.h. */
#include "dblock.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct dblock {
	int fd;
	char *path;
};

/* The path of the file db_path names, symbolic links and "." / ".."
 * resolved, into out (PATH_MAX bytes). A database that does not exist yet
 * is resolved through its directory. 0 or -errno. */
static int resolve(const char *db_path, char *out)
{
	char dir[PATH_MAX], real[PATH_MAX];
	const char *slash, *base;

	if (realpath(db_path, out))
		return 0;
	if (errno != ENOENT)
		return -errno;
	/* A dangling symbolic link: the file it names will be created. */
	slash = strrchr(db_path, '/');
	if (!slash) {
		snprintf(dir, sizeof(dir), ".");
		base = db_path;
	} else {
		snprintf(dir, sizeof(dir), "%.*s",
			 slash == db_path ? 1 : (int)(slash - db_path), db_path);
		base = slash + 1;
	}
	if (!*base)
		return -EISDIR;
	if (!realpath(dir, real))
		return -errno;
	if (snprintf(out, PATH_MAX, "%s%s%s", real,
		     strcmp(real, "/") ? "/" : "", base) >= PATH_MAX)
		return -ENAMETOOLONG;
	return 0;
}

/* The holder's PID as it wrote it, or 0 while it has not yet. */
static long holder_pid(int fd)
{
	char buf[32];
	ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
	char *end;
	long pid;

	if (n <= 0)
		return 0;
	buf[n] = '\0';
	pid = strtol(buf, &end, 10);
	return end != buf && pid > 0 ? pid : 0;
}

static int lock_errno(int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return -ENOENT;
	case EACCES:
	case EPERM:
	case EROFS:
		return -EACCES;
	}
	return -EIO;
}

int dblock_new(const char *db_path, struct dblock **out, char *err,
	       size_t errsize)
{
	char real[PATH_MAX], lockpath[PATH_MAX + 8], pidtext[32];
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct dblock *l;
	struct stat st;
	int fd, rc, n;

	*out = NULL;
	rc = resolve(db_path, real);
	if (rc) {
		snprintf(err, errsize, "cannot open database %s: %s", db_path,
			 strerror(-rc));
		return lock_errno(-rc);
	}
	/* SQLite would refuse it too, but only after we made DIR.lock
	 * beside it. */
	if (stat(real, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errsize, "cannot open database %s: %s", db_path,
			 strerror(EISDIR));
		return -EIO;
	}
	snprintf(lockpath, sizeof(lockpath), "%s.lock", real);
	fd = open(lockpath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		rc = errno;
		snprintf(err, errsize, "cannot lock database %s: cannot open"
			 " %s: %s", db_path, lockpath, strerror(rc));
		return lock_errno(rc);
	}
	if (fcntl(fd, F_OFD_SETLK, &fl) < 0) {
		rc = errno;
		if (rc == EAGAIN || rc == EACCES) {
			long pid = holder_pid(fd);

			if (pid)
				snprintf(err, errsize, "database %s is in use"
					 " by another dpsim (PID %ld, which holds"
					 " %s)", db_path, pid, lockpath);
			else
				snprintf(err, errsize, "database %s is in use"
					 " by another dpsim (still starting: its"
					 " PID is not yet in %s)", db_path,
					 lockpath);
			close(fd);
			return -EBUSY;
		}
		snprintf(err, errsize, "cannot lock database %s: %s: %s",
			 db_path, lockpath, strerror(rc));
		close(fd);
		return -EIO;
	}
	/* Informational only (the lock is the truth), so no fsync. */
	n = snprintf(pidtext, sizeof(pidtext), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) < 0 || pwrite(fd, pidtext, (size_t)n, 0) != n) {
		rc = errno;
		snprintf(err, errsize, "cannot lock database %s: writing %s:"
			 " %s", db_path, lockpath, strerror(rc));
		close(fd);
		return lock_errno(rc);
	}
	l = malloc(sizeof(*l));
	if (!l || !(l->path = strdup(lockpath))) {
		free(l);
		close(fd);
		snprintf(err, errsize, "cannot lock database %s: out of memory",
			 db_path);
		return -ENOMEM;
	}
	l->fd = fd;
	*out = l;
	return 0;
}

void dblock_free(struct dblock *l)
{
	if (!l)
		return;
	/* Closing the last descriptor of the description drops the lock.
	 * The PID stays in the file: a reader that sees it also finds the
	 * file unlocked, and never reports it. */
	close(l->fd);
	free(l->path);
	free(l);
}

const char *dblock_path(const struct dblock *l)
{
	return l->path;
}
