/* dpsim when things go wrong around it: killed while a snapshot is being
 * written, and stopped with requests in flight (one SIGTERM drains, a
 * second ends it at once).
 *
 * test_lifecycle.c covers a kill between requests and a clean stop of an
 * idle dpsim; these cover the moments in between. Every wait is on a
 * condition (a file appearing, a log line, a counter, the process ending)
 * bounded by a limit that only a broken run reaches. Where the moment
 * cannot be forced (a snapshot may finish before the kill lands), the
 * test checks afterwards which case happened and repeats a bounded number
 * of times. */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <curl/curl.h>
#include <libxml/parser.h>

#include "harness.h"

/* The dpsim of the running test (see cleanup_proc). */
static struct dpsim_proc the_proc;

#define DPINFO_URI WMI_NS "/SMS_DistributionPointInfo"
#define MAX_DPS 16
#define MAX_HIST 2048
/* Padding that makes a snapshot copy take a while: about 0.4 s natively
 * for 32 MiB, far longer under valgrind, against the microseconds between
 * noticing the copy and killing dpsim. */
#define PAD_MIB 32
#define ATTEMPTS 5

/* ---- the database padding --------------------------------------------------- */

/* Adds a table dpsim does not know of, mib MiB of random blobs, to the
 * database file (creating it), marked with dpsim's application_id
 * (STORE_APPLICATION_ID, "DPSM"): without it, a file whose only table is
 * not dpsim's is another application's, which dpsim refuses to touch.
 * libsqlite3 is loaded at run time: dpsim needs it anyway, and the test
 * then needs neither the sqlite3 program nor a build dependency. */
static void add_padding(const char *db, int mib)
{
	int (*op)(const char *, void **);
	int (*ex)(void *, const char *, void *, void *, char **);
	int (*cl)(void *);
	void *h = dlopen("libsqlite3.so.0", RTLD_NOW | RTLD_LOCAL);
	void *conn = NULL;
	char sql[512];

	assert_non_null(h);
	*(void **)&op = dlsym(h, "sqlite3_open");
	*(void **)&ex = dlsym(h, "sqlite3_exec");
	*(void **)&cl = dlsym(h, "sqlite3_close");
	assert_true(op && ex && cl);
	snprintf(sql, sizeof(sql),
		 "PRAGMA page_size=1024; PRAGMA application_id=1146114893;"
		 " CREATE TABLE padding(b BLOB);"
		 " WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1"
		 " FROM c WHERE x < %d) INSERT INTO padding"
		 " SELECT randomblob(65536) FROM c;", mib * 16);
	assert_int_equal(op(db, &conn), 0);
	assert_int_equal(ex(conn, sql, NULL, NULL, NULL), 0);
	assert_int_equal(cl(conn), 0);
	dlclose(h);
}

/* ---- HTTP ------------------------------------------------------------------- */

/* SetDPMaintenanceMode as lab: 0 acknowledged (200, ReturnValue 0),
 * 1 answered otherwise, -1 no answer at all. Quiet, and safe from any
 * thread (no shared counters). */
static int invoke(const char *url, const char *nal, int mode)
{
	static const char *const hdr[] = {
		"Content-Type: application/soap+xml;charset=UTF-8",
		"Authorization: Basic bGFiOmxhYg==", NULL };
	struct http_reply r;
	char *env = NULL;
	int rc;

	assert_true(asprintf(&env,
		"<?xml version=\"1.0\" encoding=\"utf-8\"?>"
		"<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\""
		" xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\""
		" xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\">"
		"<env:Header><a:To>http://windows-host:5985/wsman</a:To>"
		"<a:ReplyTo><a:Address mustUnderstand=\"true\">"
		"http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
		"</a:Address></a:ReplyTo>"
		"<w:MaxEnvelopeSize mustUnderstand=\"true\">153600</w:MaxEnvelopeSize>"
		"<a:MessageID>uuid:00000000-0000-4000-8000-000000000001</a:MessageID>"
		"<w:OperationTimeout>PT60S</w:OperationTimeout>"
		"<w:ResourceURI mustUnderstand=\"true\">" DPINFO_URI "</w:ResourceURI>"
		"<a:Action mustUnderstand=\"true\">" DPINFO_URI
		"/SetDPMaintenanceMode</a:Action></env:Header><env:Body>"
		"<p:SetDPMaintenanceMode_INPUT xmlns:p=\"" DPINFO_URI "\">"
		"<p:NALPath>%s</p:NALPath><p:Mode>%d</p:Mode>"
		"</p:SetDPMaintenanceMode_INPUT></env:Body></env:Envelope>",
		nal, mode) > 0);
	if (http_request("POST", url, hdr, env, strlen(env), &r) != 0) {
		rc = -1;
	} else {
		char *rv = xpath_text(r.body, "//*[local-name()='ReturnValue']");

		rc = r.status == 200 && rv && strcmp(rv, "0") == 0 ? 0 : 1;
		if (rc)
			fprintf(stderr, "invoke: %ld %s\n", r.status, r.body);
		free(rv);
	}
	http_reply_free(&r);
	free(env);
	return rc;
}

/* ---- DPs, their modes and the journal --------------------------------------- */

struct dps {
	int n;
	char name[MAX_DPS][64];
	char nal[MAX_DPS][160];
	int mode[MAX_DPS];
};

static int dp_index(const struct dps *d, const char *nal)
{
	for (int i = 0; i < d->n; i++)
		if (strcasecmp(d->nal[i], nal) == 0)
			return i;
	return -1;
}

/* The DPs of site PS1 as dpsim reports them (sorted by name). */
static void read_state(const struct dpsim_proc *p, struct dps *d)
{
	json_t *st = control_call(p, "GET", "state?site=PS1", NULL, 200);
	json_t *dps = json_object_get(json_array_get(json_object_get(st, "sites"), 0),
				      "dps");
	size_t i;
	json_t *v;

	assert_true(json_is_array(dps));
	assert_true(json_array_size(dps) <= MAX_DPS);
	d->n = (int)json_array_size(dps);
	json_array_foreach(dps, i, v) {
		snprintf(d->name[i], sizeof(d->name[i]), "%s",
			 json_string_value(json_object_get(v, "name")));
		snprintf(d->nal[i], sizeof(d->nal[i]), "%s",
			 json_string_value(json_object_get(v, "nalpath")));
		d->mode[i] = (int)json_integer_value(json_object_get(v,
							"maintenance_mode"));
	}
	json_decref(st);
}

/* What the test knows was acknowledged, per DP, in order. */
struct history {
	int n[MAX_DPS];
	signed char mode[MAX_DPS][MAX_HIST];
	int total;
	int pending_dp;		/* a write sent but never answered, or -1 */
	int pending_mode;
};

static void hist_add(struct history *h, int dp, int mode)
{
	assert_true(h->n[dp] < MAX_HIST);
	h->mode[dp][h->n[dp]++] = (signed char)mode;
	h->total++;
}

static int last_mode(const struct history *h, const struct dps *base, int dp)
{
	return h->n[dp] ? h->mode[dp][h->n[dp] - 1] : base->mode[dp];
}

/* The journal's Invoke rows per DP are exactly the acknowledged writes in
 * order, plus at most the one write left unanswered. Returns 1 when that
 * one was applied (its row is there), else 0. */
static int check_journal(const struct dpsim_proc *p, const struct dps *d,
			 const struct history *h)
{
	json_t *j = control_call(p, "GET", "journal?operation=invoke", NULL, 200);
	json_t *rows = json_object_get(j, "entries"), *v;
	int seen[MAX_DPS] = { 0 }, extra = 0;
	size_t i;

	assert_int_equal(json_integer_value(json_object_get(j, "dropped")), 0);
	json_array_foreach(rows, i, v) {
		int dp = dp_index(d, json_string_value(json_object_get(v, "nalpath")));
		int m = (int)json_integer_value(json_object_get(v, "new_mode"));

		assert_true(dp >= 0);
		assert_string_equal(json_string_value(json_object_get(v, "result")),
				    "ok");
		if (seen[dp] < h->n[dp]) {
			assert_int_equal(m, h->mode[dp][seen[dp]]);
		} else {
			/* Only the unanswered write may follow. */
			assert_int_equal(dp, h->pending_dp);
			assert_int_equal(m, h->pending_mode);
			extra++;
		}
		seen[dp]++;
	}
	for (int k = 0; k < d->n; k++)
		assert_true(seen[k] >= h->n[k]);
	assert_true(extra <= 1);
	json_decref(j);
	return extra;
}

/* Final modes are the last acknowledged write of each DP (the unanswered
 * one counts when check_journal found it applied). */
static void check_modes(const struct dpsim_proc *p, const struct dps *start,
			const struct history *h, int pending_applied)
{
	struct dps now;

	read_state(p, &now);
	assert_int_equal(now.n, start->n);
	for (int k = 0; k < start->n; k++) {
		int want = last_mode(h, start, k);

		if (pending_applied && k == h->pending_dp)
			want = h->pending_mode;
		if (now.mode[k] != want)
			fprintf(stderr, "%s: mode %d, want %d\n", now.name[k],
				now.mode[k], want);
		assert_int_equal(now.mode[k], want);
	}
}

/* ---- processes --------------------------------------------------------------- */

/* Whether pid has ended, without reaping it. */
static bool ended(pid_t pid)
{
	siginfo_t si = { .si_pid = 0 };

	assert_int_equal(waitid(P_PID, (id_t)pid, &si,
				WEXITED | WNOHANG | WNOWAIT), 0);
	return si.si_pid == pid;
}

static bool running(pid_t pid)
{
	return !ended(pid);
}

/* Waits at most ms for pid to end; its status as the harness reports it
 * (exit code, or 128 + signal), or -1 when it is still running. A pidfd
 * says the moment it ends; valgrind knows no pidfd_open, and there the
 * process is looked at every 10 ms instead. */
static int wait_exit(pid_t pid, int ms)
{
	int fd = (int)syscall(SYS_pidfd_open, pid, 0), st;
	long long deadline = harness_now_ms() + ms;

	if (fd >= 0) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int pr;

		do
			pr = poll(&pf, 1, ms);
		while (pr < 0 && errno == EINTR);
		close(fd);
		if (pr == 0)
			return -1;
	} else {
		while (!ended(pid)) {
			if (harness_now_ms() >= deadline)
				return -1;
			poll(NULL, 0, 10);
		}
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* dpsim's stderr as read so far. */
/* After this process reaped dpsim itself: what dpsim_stop would close. */
static void forget_process(struct dpsim_proc *p)
{
	p->pid = -1;
	close(p->out_fd);
	close(p->err_fd);
	p->out_fd = p->err_fd = -1;
}

/* The harness's kill leaves stderr open; a restart opens it anew. */
static void kill_dpsim(struct dpsim_proc *p)
{
	dpsim_kill(p);
	close(p->err_fd);
	p->err_fd = -1;
}

/* Whether dir holds an entry whose name contains ".tmp". */
static bool has_tmp(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool found = false;

	if (!d)
		return false;
	while ((de = readdir(d)))
		if (strstr(de->d_name, ".tmp"))
			found = true;
	closedir(d);
	return found;
}

/* The names GET snapshots lists, comma separated. */
static void snapshot_names(const struct dpsim_proc *p, char *out, size_t size)
{
	json_t *j = control_call(p, "GET", "snapshots", NULL, 200), *v;
	size_t i;

	out[0] = '\0';
	json_array_foreach(json_object_get(j, "snapshots"), i, v)
		snprintf(out + strlen(out), size - strlen(out), "%s%s",
			 i ? "," : "", json_string_value(json_object_get(v, "name")));
	json_decref(j);
}

/* ---- threads ------------------------------------------------------------------ */

/* Wakes the main thread when a writer's write is acknowledged or a save
 * is answered, so it can wait for either without polling. */
static pthread_mutex_t progress_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t progress = PTHREAD_COND_INITIALIZER;

static void progress_signal(void)
{
	pthread_mutex_lock(&progress_lock);
	pthread_cond_broadcast(&progress);
	pthread_mutex_unlock(&progress_lock);
}

/* Saves a snapshot through the control API; status 0 when no answer. */
struct saver {
	pthread_t th;
	char url[256];
	long status;
	atomic_bool done;
};

static void *saver_main(void *arg)
{
	static const char *const json[] = { "Content-Type: application/json", NULL };
	struct saver *s = arg;
	struct http_reply r;

	if (http_request("POST", s->url, json, "", 0, &r) == 0)
		s->status = r.status;
	http_reply_free(&r);
	atomic_store(&s->done, true);
	progress_signal();
	return NULL;
}

static void saver_start(struct saver *s, const struct dpsim_proc *p,
			const char *name)
{
	char base[160];

	dpsim_base(p, base, sizeof(base));
	snprintf(s->url, sizeof(s->url), "%s/_dpsim/snapshots?name=%s", base, name);
	s->status = 0;
	atomic_store(&s->done, false);
	assert_int_equal(pthread_create(&s->th, NULL, saver_main, s), 0);
}

/* Toggles DPs one after another until told to stop or dpsim stops
 * answering; records what was acknowledged. */
struct writer {
	pthread_t th;
	const char *url;
	const struct dps *start;
	struct history *h;	/* the writer's alone while it runs */
	atomic_bool stop;
	atomic_int acked;
	int errors;		/* answered, but not with success */
};

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	int dp = 0;

	while (!atomic_load(&w->stop)) {
		int mode = !last_mode(w->h, w->start, dp), rc;

		w->h->pending_dp = dp;
		w->h->pending_mode = mode;
		rc = invoke(w->url, w->start->nal[dp], mode);
		if (rc < 0)
			break;		/* dpsim is gone: the write stays pending */
		w->h->pending_dp = -1;
		if (rc > 0) {
			w->errors++;
			break;
		}
		hist_add(w->h, dp, mode);
		atomic_fetch_add(&w->acked, 1);
		progress_signal();
		dp = (dp + 1) % w->start->n;
	}
	return NULL;
}

/* One round of acknowledged writes from this thread: every DP toggled. */
static void toggle_all(const struct dpsim_proc *p, const struct dps *start,
		       struct history *h)
{
	for (int k = 0; k < start->n; k++) {
		int mode = !last_mode(h, start, k);

		assert_int_equal(invoke(p->url, start->nal[k], mode), 0);
		hist_add(h, k, mode);
	}
}

/* ---- crash while a snapshot is written ------------------------------------------ */

/* Watches dir for name to be created; returns the inotify descriptor. */
static int watch_for(const char *dir)
{
	int fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);

	assert_true(fd >= 0);
	assert_true(inotify_add_watch(fd, dir, IN_CREATE) >= 0);
	return fd;
}

static bool wait_created(int fd, const char *name)
{
	long long deadline = harness_now_ms() + harness_limit_ms();
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));

	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		long long left = deadline - harness_now_ms();
		ssize_t n;

		if (left <= 0 || poll(&pf, 1, (int)left) == 0)
			return false;
		n = read(fd, buf, sizeof(buf));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		assert_true(n > 0);
		for (char *q = buf; q < buf + n;) {
			struct inotify_event *ev = (struct inotify_event *)q;

			if (ev->len && strcmp(ev->name, name) == 0)
				return true;
			q += sizeof(*ev) + ev->len;
		}
	}
}

#define WRITES_DURING 3

/* Waits until the writer has had `acked` writes acknowledged in all, or
 * the save was answered. */
static void wait_progress(struct writer *w, int acked, struct saver *sv)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += harness_limit_ms() / 1000;
	pthread_mutex_lock(&progress_lock);
	while (atomic_load(&w->acked) < acked && !atomic_load(&sv->done))
		assert_int_equal(pthread_cond_timedwait(&progress,
				 &progress_lock, &until), 0);
	pthread_mutex_unlock(&progress_lock);
}

/* One cycle: writes, snapshot "base" (kept), more writes, then a second
 * save of "base" that is killed as soon as its copy appears. Returns
 * whether the kill landed while the copy was being written (its .tmp was
 * still there once dpsim was dead). The restart checks run either way. */
static bool crash_cycle(struct dpsim_proc *p, const char *const *args,
			const struct dps *start, struct history *h, int attempt)
{
	char dir[400], tmp[420], names[256];
	struct dps base_state;
	struct saver sv;
	struct writer w = { .url = p->url, .start = start, .h = h };
	int base_total, ifd, applied;
	long long t0;
	bool landed;

	toggle_all(p, start, h);
	json_decref(control_call(p, "POST", "snapshots?name=base", NULL, 201));
	read_state(p, &base_state);
	for (int k = 0; k < start->n; k++)
		assert_int_equal(base_state.mode[k], last_mode(h, start, k));
	base_total = h->total;
	toggle_all(p, start, h);	/* live state != base from here */

	snprintf(dir, sizeof(dir), "%s.snapshots", p->db);
	snprintf(tmp, sizeof(tmp), "%s/base.db.tmp", dir);
	ifd = watch_for(dir);
	assert_int_equal(pthread_create(&w.th, NULL, writer_main, &w), 0);
	t0 = harness_now_ms();
	saver_start(&sv, p, "base");
	assert_true(wait_created(ifd, "base.db.tmp"));
	int acked_before = atomic_load(&w.acked);
	/* Odd attempts let the writer get WRITES_DURING writes acknowledged
	 * while the copy is written (or the save end first: then writes
	 * wait for snapshots, and the kill misses); even ones kill at once,
	 * which lands either way. */
	if (attempt % 2)
		wait_progress(&w, acked_before + WRITES_DURING, &sv);
	int acked_during = atomic_load(&w.acked) - acked_before;
	kill_dpsim(p);
	/* Decided after the fact: a .tmp that outlived dpsim was never
	 * renamed, so the kill hit the copy being written. */
	landed = access(tmp, F_OK) == 0;
	close(ifd);
	atomic_store(&w.stop, true);
	pthread_join(w.th, NULL);
	pthread_join(sv.th, NULL);
	assert_int_equal(w.errors, 0);
	printf("attempt %d: killed %lld ms after the save began, %s;"
	       " the writer thread had %d writes acknowledged, %d of them"
	       " while the copy was written\n", attempt, harness_now_ms() - t0,
	       landed ? "mid-write" : "after the save finished",
	       atomic_load(&w.acked), acked_during);
	if (landed)
		assert_true(sv.status != 201);

	assert_int_equal(dpsim_start(p, args), 0);
	/* Opening removed the half-written copy; it is never listed. */
	assert_false(has_tmp(dir));
	snapshot_names(p, names, sizeof(names));
	assert_string_equal(names, "base");
	applied = check_journal(p, start, h);
	check_modes(p, start, h, applied);
	if (applied)
		hist_add(h, h->pending_dp, h->pending_mode);
	h->pending_dp = -1;
	if (!landed)
		return false;

	/* The old "base" is whole: restoring it gives the modes and the
	 * journal of the moment it was taken. */
	json_decref(control_call(p, "POST", "snapshots/base/restore", NULL, 200));
	struct dps after;
	read_state(p, &after);
	for (int k = 0; k < start->n; k++)
		assert_int_equal(after.mode[k], base_state.mode[k]);
	json_t *c = control_call(p, "GET", "journal/count?operation=invoke", NULL, 200);
	assert_int_equal(json_integer_value(json_object_get(c, "count")), base_total);
	json_decref(c);
	return true;
}

static void crash_while_snapshot_written(void **unused)
{
	struct dpsim_proc *const pp = &the_proc;
	static struct history h;
	struct dps start;
	bool landed = false;
	long long t0;

	memset(&h, 0, sizeof(h));
	h.pending_dp = -1;
	dpsim_prepare(pp);
	const char *args[] = { "--db", pp->db, NULL };
	add_padding(pp->db, PAD_MIB);
	assert_int_equal(dpsim_start(pp, args), 0);
	read_state(pp, &start);
	assert_true(start.n >= 2);

	/* For information: how long a whole save of this database takes. */
	t0 = harness_now_ms();
	json_decref(control_call(pp, "POST", "snapshots?name=timing", NULL, 201));
	printf("snapshot of a %d MiB database: %lld ms\n", PAD_MIB, harness_now_ms() - t0);
	json_decref(control_call(pp, "DELETE", "snapshots/timing", NULL, 200));

	for (int i = 1; i <= ATTEMPTS && !landed; i++)
		landed = crash_cycle(pp, args, &start, &h, i);
	assert_true(landed);
	assert_int_equal(dpsim_stop(pp), 0);
	dpsim_cleanup(pp);
}

/* ---- shutdown with requests in flight --------------------------------------- */

/* One SIGTERM: a request a fault rule holds is answered at once with its
 * normal result (its 10 min delay is cut short), dpsim then exits 0 with
 * its "stopped cleanly" line, and the change is in the database file. */
struct held {
	pthread_t th;
	const char *url;
	const char *nal;
	int rc;
};

static void *held_main(void *arg)
{
	struct held *x = arg;

	x->rc = invoke(x->url, x->nal, 1);
	return NULL;
}

/* Waits until rule id has fired n times: dpsim holds the call. */
static void wait_fired(const struct dpsim_proc *p, int id, int n)
{
	long long deadline = harness_now_ms() + harness_limit_ms();
	char path[64];

	snprintf(path, sizeof(path), "faults/%d", id);
	for (;;) {
		json_t *r = control_call(p, "GET", path, NULL, 200);
		json_int_t fired = json_integer_value(json_object_get(r, "fired"));

		json_decref(r);
		if (fired >= n)
			return;
		assert_true(harness_now_ms() < deadline);
		/* Polling a counter: a short pause between looks. */
		poll(NULL, 0, 5);
	}
}

static void sigterm_answers_held_request(void **unused)
{
	struct dpsim_proc *const pp = &the_proc;
	/* Static: an assertion leaves the function without freeing. */
	static struct errlog log;
	struct errlog *e = &log;
	struct held x;
	struct dps start, after;
	int dp, st;

	memset(e, 0, sizeof(*e));
	dpsim_prepare(pp);
	const char *args[] = { "--db", pp->db, "--log-level", "info", NULL };
	assert_int_equal(dpsim_start(pp, args), 0);
	read_state(pp, &start);
	for (dp = 0; dp < start.n && start.mode[dp] != 0; dp++)
		;
	assert_true(dp < start.n);
	json_t *rule = control_call(pp, "POST", "faults",
			   "{\"operation\": \"invoke\", \"effect\": \"delay\","
			   " \"delay_ms\": 600000, \"times\": 1}", 201);
	int id = (int)json_integer_value(json_object_get(rule, "id"));
	json_decref(rule);

	x = (struct held){ .url = pp->url, .nal = start.nal[dp], .rc = -2 };
	assert_int_equal(pthread_create(&x.th, NULL, held_main, &x), 0);
	wait_fired(pp, id, 1);
	kill(pp->pid, SIGTERM);
	st = wait_exit(pp->pid, harness_limit_ms());
	pthread_join(x.th, NULL);
	assert_true(dpsim_wait_stderr(pp, e, "stopped cleanly", harness_limit_ms()));
	forget_process(pp);
	assert_int_equal(st, 0);
	if (x.rc < 0)
		fprintf(stderr, "the held request was closed unanswered at"
			" shutdown: http_server_stop resumes it, then stops MHD"
			" before a worker has answered it\n");
	assert_int_equal(x.rc, 0);	/* answered, and with success */
	assert_non_null(strstr(e->text, "received SIGTERM: finishing requests"
			       " in flight"));
	assert_true(strstr(e->text, "finishing requests") <
		    strstr(e->text, "stopped cleanly"));

	/* The file is whole and holds the change and its journal row. */
	assert_int_equal(dpsim_start(pp, args), 0);
	read_state(pp, &after);
	assert_int_equal(after.mode[dp], 1);
	json_t *j = control_call(pp, "GET", "journal?operation=invoke", NULL, 200);
	json_t *row = json_array_get(json_object_get(j, "entries"), 0);
	assert_int_equal(json_array_size(json_object_get(j, "entries")), 1);
	assert_string_equal(json_string_value(json_object_get(row, "effect")),
			    "delay");
	assert_int_equal(json_integer_value(json_object_get(row, "new_mode")), 1);
	json_decref(j);
	assert_int_equal(dpsim_stop(pp), 0);
	dpsim_cleanup(pp);
}

/* A second SIGTERM ends dpsim at once even while the first is still
 * draining. What keeps a drain busy is a request a worker is executing:
 * a snapshot of a large database (a held fault-rule wait would not do:
 * shutdown cuts those short, see above). The half-written copy it leaves
 * behind is removed on the next start. */
static void second_sigterm_ends_drain(void **unused)
{
	struct dpsim_proc *const pp = &the_proc;
	/* Static: an assertion leaves the function without freeing. */
	static struct errlog log;
	struct errlog *e = &log;
	struct dps start, after;
	char dir[400], tmp[420], names[256];
	bool landed = false, big_saved = false;

	memset(e, 0, sizeof(*e));
	dpsim_prepare(pp);
	const char *args[] = { "--db", pp->db, "--log-level", "info", NULL };
	add_padding(pp->db, PAD_MIB);
	snprintf(dir, sizeof(dir), "%s.snapshots", pp->db);
	snprintf(tmp, sizeof(tmp), "%s/big.db.tmp", dir);
	assert_int_equal(mkdir(dir, 0700), 0);

	for (int attempt = 1; attempt <= ATTEMPTS && !landed; attempt++) {
		struct saver sv;
		int ifd, st;

		e->len = 0;
		e->text[0] = '\0';
		assert_int_equal(dpsim_start(pp, args), 0);
		read_state(pp, &start);
		ifd = watch_for(dir);
		saver_start(&sv, pp, "big");
		assert_true(wait_created(ifd, "big.db.tmp"));
		close(ifd);
		kill(pp->pid, SIGTERM);
		assert_true(dpsim_wait_stderr(pp, e, "received SIGTERM: finishing"
					      " requests in flight", harness_limit_ms()));
		/* Still draining: the save has not been answered. Checked
		 * in this order, so a save answered in between shows as a
		 * finished one. */
		bool draining = !atomic_load(&sv.done) && running(pp->pid);

		if (draining)
			kill(pp->pid, SIGTERM);
		st = wait_exit(pp->pid, harness_limit_ms());
		pthread_join(sv.th, NULL);
		forget_process(pp);
		assert_true(st >= 0);	/* it ended within the bound */
		if (!draining) {
			/* The copy finished first: a plain clean stop. */
			printf("attempt %d: the snapshot finished before the"
			       " second signal\n", attempt);
			assert_int_equal(st, 0);
			assert_int_equal(sv.status, 201);
			big_saved = true;
			continue;
		}
		/* Ended by the signal, without waiting for the copy: its
		 * .tmp is still there and the save was never answered. */
		printf("attempt %d: second SIGTERM landed during the drain\n",
		       attempt);
		assert_int_equal(st, 128 + SIGTERM);
		assert_int_not_equal(sv.status, 201);
		assert_true(access(tmp, F_OK) == 0);
		assert_null(strstr(e->text, "stopped cleanly"));
		landed = true;
	}
	assert_true(landed);

	/* The next start clears the leftover; state is as before. */
	assert_int_equal(dpsim_start(pp, args), 0);
	assert_false(has_tmp(dir));
	snapshot_names(pp, names, sizeof(names));
	/* Only a save that finished (on an earlier attempt) is listed. */
	assert_string_equal(names, big_saved ? "big" : "");
	read_state(pp, &after);
	for (int k = 0; k < start.n; k++)
		assert_int_equal(after.mode[k], start.mode[k]);
	assert_int_equal(dpsim_stop(pp), 0);
	dpsim_cleanup(pp);
}

/* A failed assertion leaves the test function early: stop its dpsim
 * and remove its directory here. */
static int cleanup_proc(void **unused)
{
	if (the_proc.dir[0])
		dpsim_cleanup(&the_proc);
	return 0;
}

int main(void)
{
	curl_global_init(CURL_GLOBAL_ALL);
	xmlInitParser();
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(crash_while_snapshot_written, cleanup_proc),
		cmocka_unit_test_teardown(sigterm_answers_held_request, cleanup_proc),
		cmocka_unit_test_teardown(second_sigterm_ends_drain, cleanup_proc),
	};
	int r = cmocka_run_group_tests_name("reliability (integration)", tests,
					    NULL, NULL);
	xmlCleanupParser();
	curl_global_cleanup();
	return r;
}
