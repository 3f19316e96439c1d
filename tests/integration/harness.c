#include "harness.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

/* CA file for https:// (http_set_ca_file); NULL: the system's store. */
static const char *ca_file;

static void die(const char *what)
{
	fprintf(stderr, "harness: %s: %s\n", what, strerror(errno));
	abort();
}

void dpsim_prepare(struct dpsim_proc *p)
{
	memset(p, 0, sizeof(*p));
	p->pid = -1;
	p->out_fd = p->err_fd = -1;
	snprintf(p->dir, sizeof(p->dir), "/tmp/dpsim-test-XXXXXX");
	if (!mkdtemp(p->dir))
		die("mkdtemp");
	snprintf(p->db, sizeof(p->db), "%s/state.db", p->dir);
}

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void dump_stderr(struct dpsim_proc *p)
{
	char buf[4096];
	ssize_t n;
	while ((n = read(p->err_fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		fprintf(stderr, "[dpsim stderr] %s", buf);
	}
}

int dpsim_start(struct dpsim_proc *p, const char *const *extra)
{
	if (dpsim_spawn(p, extra))
		return -1;
	return dpsim_wait_ready(p);
}

/* ---- dpsim's log ---------------------------------------------------------- */

#define LOG_KEEP (16u << 20)

struct dpsim_log {
	pthread_t th;
	int fd;
	char *text;
	size_t len;
};

static void *log_reader(void *arg)
{
	struct dpsim_log *l = arg;
	char buf[65536];

	for (;;) {
		struct pollfd pf = { .fd = l->fd, .events = POLLIN };
		ssize_t n;

		if (poll(&pf, 1, -1) < 0 && errno != EINTR)
			break;
		n = read(l->fd, buf, sizeof(buf));
		if (n == 0)
			break;		/* dpsim exited: end of its stderr */
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			break;
		}
		if (l->len + (size_t)n > LOG_KEEP) {
			/* Keep the newest half: a sanitizer's report, or the
			 * last words, come at the end. */
			size_t drop = l->len - LOG_KEEP / 2;

			memmove(l->text, l->text + drop, l->len - drop);
			l->len -= drop;
		}
		memcpy(l->text + l->len, buf, (size_t)n);
		l->len += (size_t)n;
		l->text[l->len] = '\0';
	}
	return NULL;
}

struct dpsim_log *dpsim_log_start(struct dpsim_proc *p)
{
	struct dpsim_log *l = calloc(1, sizeof(*l));

	if (!l || !(l->text = malloc(LOG_KEEP + 1)))
		die("dpsim_log_start");
	l->text[0] = '\0';
	l->fd = p->err_fd;
	if (pthread_create(&l->th, NULL, log_reader, l))
		die("pthread_create");
	return l;
}

int dpsim_log_stop(struct dpsim_log *l, struct dpsim_proc *p, char **text)
{
	int st;

	if (p->pid > 0)
		kill(p->pid, SIGTERM);
	pthread_join(l->th, NULL);
	st = dpsim_stop(p);		/* reaps it; stderr is read already */
	if (st != 0)
		fprintf(stderr, "[dpsim stderr, exit %d]\n%s", st, l->text);
	if (text)
		*text = l->text;
	else
		free(l->text);
	free(l);
	return st;
}

size_t count_lines_with(const char *text, const char *needle)
{
	size_t n = 0;

	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		const char *hit = strstr(line, needle);

		if (hit && (!end || hit < end))
			n++;
		line = end ? end + 1 : NULL;
	}
	return n;
}

static void url_base(const char *url, char *out, size_t size)
{
	const char *w = strstr(url, "/wsman");

	snprintf(out, size, "%.*s", w ? (int)(w - url) : (int)strlen(url), url);
}

void dpsim_base(const struct dpsim_proc *p, char *out, size_t size)
{
	url_base(p->url, out, size);
}

void dpsim_tls_base(const struct dpsim_proc *p, char *out, size_t size)
{
	url_base(p->tls_url, out, size);
}

int dpsim_spawn(struct dpsim_proc *p, const char *const *extra)
{
	const char *argv[64];
	int n = 0, outp[2], errp[2];
	bool has_db = false, has_tls = false, has_tls_listen = false;

	if (p->dir[0] == '\0')
		dpsim_prepare(p);
	/* DPSIM_WRAPPER (e.g. "valgrind --error-exitcode=3 ...") runs dpsim
	 * under a checker; its findings fail the test through dpsim_stop(). */
	char wrapper[1024] = "";
	const char *w = getenv("DPSIM_WRAPPER");
	if (w && *w) {
		snprintf(wrapper, sizeof(wrapper), "%s", w);
		for (char *tok = strtok(wrapper, " "); tok && n < 30; tok = strtok(NULL, " "))
			argv[n++] = tok;
	}
	argv[n++] = DPSIM_BIN;
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	argv[n++] = "--log-level";
	argv[n++] = "warn";
	for (; extra && *extra && n < 60; extra++) {
		if (strcmp(*extra, "--db") == 0)
			has_db = true;
		if (strcmp(*extra, "--tls-cert") == 0)
			has_tls = true;
		if (strcmp(*extra, "--tls-listen") == 0)
			has_tls_listen = true;
		argv[n++] = *extra;
	}
	if (!has_db) {
		argv[n++] = "--db";
		argv[n++] = ":memory:";
	}
	if (has_tls && !has_tls_listen) {
		argv[n++] = "--tls-listen";
		argv[n++] = "127.0.0.1:0";
	}
	argv[n] = NULL;

	if (pipe2(outp, O_CLOEXEC) || pipe2(errp, O_CLOEXEC))
		die("pipe");
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	if (posix_spawnp(&p->pid, argv[0], &fa, NULL, (char *const *)argv, environ))
		die("posix_spawn dpsim");
	posix_spawn_file_actions_destroy(&fa);
	close(outp[1]);
	close(errp[1]);
	p->out_fd = outp[0];
	p->err_fd = errp[0];
	fcntl(p->err_fd, F_SETFL, O_NONBLOCK);
	return 0;
}

/* "dpsim ready http://H:P/wsman https://H:P/wsman": each URL goes to the
 * field of its scheme. */
static bool parse_ready(struct dpsim_proc *p, const char *line)
{
	char a[128] = "", b[128] = "";
	int n = sscanf(line, "dpsim ready %127s %127s", a, b);

	if (n < 1)
		return false;
	snprintf(p->ready, sizeof(p->ready), "%s", line);
	p->url[0] = p->tls_url[0] = '\0';
	for (int i = 0; i < n; i++) {
		const char *u = i ? b : a;

		if (strncmp(u, "https://", 8) == 0)
			snprintf(p->tls_url, sizeof(p->tls_url), "%s", u);
		else
			snprintf(p->url, sizeof(p->url), "%s", u);
	}
	return true;
}

int dpsim_wait_ready(struct dpsim_proc *p)
{
	const char *w = getenv("DPSIM_WRAPPER");

	/* Read stdout until the ready line: readiness is announced, not
	 * guessed. */
	char line[512];
	size_t used = 0;
	long long deadline = now_ms() + (w && *w ? 60000 : 10000);
	while (now_ms() < deadline && used < sizeof(line) - 1) {
		struct pollfd pf = { .fd = p->out_fd, .events = POLLIN };
		int pr = poll(&pf, 1, (int)(deadline - now_ms()));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			break;
		ssize_t r = read(p->out_fd, line + used, 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (line[used] == '\n') {
			line[used] = '\0';
			if (parse_ready(p, line))
				return 0;
			used = 0;
			continue;
		}
		used++;
	}
	fprintf(stderr, "harness: dpsim did not become ready (%zu bytes: %.*s)\n", used, (int)used, line);
	dpsim_kill(p);
	dump_stderr(p);
	return -1;
}

static int wait_status(pid_t pid)
{
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int dpsim_stop(struct dpsim_proc *p)
{
	if (p->pid <= 0)
		return -1;
	kill(p->pid, SIGTERM);
	int st = wait_status(p->pid);
	p->pid = -1;
	if (st != 0)
		dump_stderr(p);
	close(p->out_fd);
	close(p->err_fd);
	p->out_fd = p->err_fd = -1;
	return st;
}

void dpsim_kill(struct dpsim_proc *p)
{
	if (p->pid <= 0)
		return;
	kill(p->pid, SIGKILL);
	wait_status(p->pid);
	p->pid = -1;
	close(p->out_fd);
	p->out_fd = -1;
}

void dpsim_cleanup(struct dpsim_proc *p)
{
	if (p->pid > 0)
		dpsim_kill(p);
	if (p->err_fd >= 0)
		close(p->err_fd);
	p->err_fd = -1;
	if (p->dir[0]) {
		char cmd[400];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "harness: could not remove %s\n", p->dir);
		p->dir[0] = '\0';
	}
}

static char *slurp_fd(int fd)
{
	size_t cap = 4096, len = 0;
	char *b = malloc(cap);
	ssize_t n;
	if (!b)
		die("malloc");
	while ((n = read(fd, b + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2) {
			cap *= 2;
			b = realloc(b, cap);
			if (!b)
				die("realloc");
		}
	}
	b[len] = '\0';
	return b;
}

int run_program(const char *const *argv, const char *const *env, char **out, char **err)
{
	char outtmp[] = "/tmp/dpsim-run-out-XXXXXX", errtmp[] = "/tmp/dpsim-run-err-XXXXXX";
	int ofd = mkstemp(outtmp), efd = mkstemp(errtmp);
	const char *envp[128];
	size_t n = 0;
	pid_t pid;

	if (ofd < 0 || efd < 0)
		die("mkstemp");
	for (char **e = environ; *e && n < 100; e++)
		envp[n++] = *e;
	for (; env && *env && n < 127; env++)
		envp[n++] = *env;
	envp[n] = NULL;

	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, ofd, 1);
	posix_spawn_file_actions_adddup2(&fa, efd, 2);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	if (posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, (char *const *)envp))
		die("posix_spawn");
	posix_spawn_file_actions_destroy(&fa);
	int st = wait_status(pid);
	lseek(ofd, 0, SEEK_SET);
	lseek(efd, 0, SEEK_SET);
	*out = slurp_fd(ofd);
	*err = slurp_fd(efd);
	close(ofd);
	close(efd);
	unlink(outtmp);
	unlink(errtmp);
	return st;
}

/* ---- HTTP ---------------------------------------------------------------- */

struct sink {
	char *data;
	size_t len;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct sink *s = ud;
	size_t n = size * nmemb;
	char *d = realloc(s->data, s->len + n + 1);
	if (!d)
		return 0;
	memcpy(d + s->len, ptr, n);
	s->data = d;
	s->len += n;
	s->data[s->len] = '\0';
	return n;
}

static void copy_header(const char *line, size_t n, const char *name, char *dst, size_t dsz)
{
	size_t ln = strlen(name);
	if (n <= ln || strncasecmp(line, name, ln) != 0)
		return;
	const char *v = line + ln;
	while (*v == ' ')
		v++;
	size_t vl = n - (size_t)(v - line);
	while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
		vl--;
	if (vl >= dsz)
		vl = dsz - 1;
	memcpy(dst, v, vl);
	dst[vl] = '\0';
}

static size_t on_header(char *line, size_t size, size_t nmemb, void *ud)
{
	struct http_reply *r = ud;
	size_t n = size * nmemb;
	copy_header(line, n, "Content-Type:", r->content_type, sizeof(r->content_type));
	char v[sizeof(r->challenges)] = "";
	copy_header(line, n, "WWW-Authenticate:", v, sizeof(v));
	if (v[0]) {
		snprintf(r->www_authenticate, sizeof(r->www_authenticate), "%s", v);
		size_t used = strlen(r->challenges);
		snprintf(r->challenges + used, sizeof(r->challenges) - used, "%s%s",
			 used ? " | " : "", v);
	}
	copy_header(line, n, "Allow:", r->allow, sizeof(r->allow));
	return n;
}

static int perform(CURL *c, struct http_reply *r)
{
	struct sink s = { 0 };
	long long start = now_ms();
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
	if (ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
	CURLcode cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	r->body = s.data ? s.data : strdup("");
	r->len = s.len;
	r->curl_code = (int)cc;
	r->seconds = (double)(now_ms() - start) / 1000.0;
	curl_easy_cleanup(c);
	if (cc != CURLE_OK) {
		if (!r->quiet)
			fprintf(stderr, "harness: curl: %s\n", curl_easy_strerror(cc));
		return -1;
	}
	return 0;
}

void http_set_ca_file(const char *path)
{
	ca_file = path;
}

int http_request(const char *method, const char *url,
		 const char *const *headers, const char *body, size_t len,
		 struct http_reply *r)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;

	memset(r, 0, sizeof(*r));
	r->quiet = true;
	for (; headers && *headers; headers++)
		h = curl_slist_append(h, *headers);
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	}
	int rc = perform(c, r);
	curl_slist_free_all(h);
	return rc;
}

int http_post(const char *url, const char *user, const char *pass,
	      const char *ct, const char *body, size_t len, struct http_reply *r)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char cth[160];

	memset(r, 0, sizeof(*r));
	snprintf(cth, sizeof(cth), "Content-Type: %s",
		 ct ? ct : "application/soap+xml;charset=UTF-8");
	h = curl_slist_append(h, cth);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if (user) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, pass);
	}
	int rc = perform(c, r);
	curl_slist_free_all(h);
	return rc;
}

int http_get(const char *url, struct http_reply *r)
{
	CURL *c = curl_easy_init();
	memset(r, 0, sizeof(*r));
	curl_easy_setopt(c, CURLOPT_URL, url);
	return perform(c, r);
}

void http_reply_free(struct http_reply *r)
{
	free(r->body);
	r->body = NULL;
}

char *envelope(const char *action, const char *resource_uri,
	       const char *selectors, const char *body)
{
	static unsigned counter;
	char *out = NULL;
	int n = asprintf(&out,
		"<?xml version=\"1.0\" encoding=\"utf-8\"?>"
		"<env:Envelope xmlns:env=\"http://www.w3.org/2003/05/soap-envelope\""
		" xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\""
		" xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\""
		" xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\""
		" xmlns:p=\"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd\">"
		"<env:Header><a:To>http://windows-host:5985/wsman</a:To>"
		"<a:ReplyTo><a:Address mustUnderstand=\"true\">"
		"http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:Address></a:ReplyTo>"
		"<w:MaxEnvelopeSize mustUnderstand=\"true\">153600</w:MaxEnvelopeSize>"
		"<a:MessageID>uuid:00000000-0000-4000-8000-%012u</a:MessageID>"
		"<w:Locale mustUnderstand=\"false\" xml:lang=\"en-US\"/>"
		"<w:OperationTimeout>PT20S</w:OperationTimeout>"
		"<w:ResourceURI mustUnderstand=\"true\">%s</w:ResourceURI>"
		"<a:Action mustUnderstand=\"true\">%s</a:Action>%s%s%s"
		"</env:Header><env:Body>%s</env:Body></env:Envelope>",
		++counter, resource_uri, action,
		selectors ? "<w:SelectorSet>" : "", selectors ? selectors : "",
		selectors ? "</w:SelectorSet>" : "", body ? body : "");
	if (n < 0)
		die("asprintf");
	return out;
}

json_t *control_call(const struct dpsim_proc *p, const char *method,
		     const char *path, const char *body, long want)
{
	static const char *const hdr[] = { "Content-Type: application/json", NULL };
	char base[160], url[600];
	struct http_reply r;
	json_error_t je;
	json_t *j;

	dpsim_base(p, base, sizeof(base));
	snprintf(url, sizeof(url), "%s/_dpsim/%s", base, path);
	if (http_request(method, url, hdr, body, body ? strlen(body) : 0, &r)) {
		fprintf(stderr, "%s %s: transport error %d\n", method, url,
			r.curl_code);
		abort();
	}
	j = json_loads(r.body, 0, &je);
	if (r.status != want || !j) {
		fprintf(stderr, "%s %s: HTTP %ld (want %ld): %s\n", method, url,
			r.status, want, r.body);
		abort();
	}
	http_reply_free(&r);
	return j;
}

/* ---- XML ----------------------------------------------------------------- */

static xmlXPathObjectPtr eval(const char *xml, const char *expr, xmlDocPtr *doc,
			      xmlXPathContextPtr *ctx)
{
	static const char *const ns[][2] = {
		{ "s", "http://www.w3.org/2003/05/soap-envelope" },
		{ "a", "http://schemas.xmlsoap.org/ws/2004/08/addressing" },
		{ "w", "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd" },
		{ "n", "http://schemas.xmlsoap.org/ws/2004/09/enumeration" },
		{ "f", "http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" },
		{ "b", "http://schemas.dmtf.org/wbem/wsman/1/cimbinding.xsd" },
		{ "wsmid", "http://schemas.dmtf.org/wbem/wsman/identity/1/wsmanidentity.xsd" },
		{ "xsi", "http://www.w3.org/2001/XMLSchema-instance" },
	};
	*doc = xmlReadMemory(xml, (int)strlen(xml), "reply.xml", NULL, XML_PARSE_NONET);
	if (!*doc)
		return NULL;
	*ctx = xmlXPathNewContext(*doc);
	for (size_t i = 0; i < sizeof(ns) / sizeof(ns[0]); i++)
		xmlXPathRegisterNs(*ctx, BAD_CAST ns[i][0], BAD_CAST ns[i][1]);
	return xmlXPathEvalExpression(BAD_CAST expr, *ctx);
}

char *xpath_text(const char *xml, const char *expr)
{
	xmlDocPtr doc = NULL;
	xmlXPathContextPtr ctx = NULL;
	xmlXPathObjectPtr o = eval(xml, expr, &doc, &ctx);
	char *out = NULL;
	if (o && o->type == XPATH_NODESET && o->nodesetval && o->nodesetval->nodeNr > 0) {
		xmlChar *t = xmlNodeGetContent(o->nodesetval->nodeTab[0]);
		out = strdup(t ? (char *)t : "");
		xmlFree(t);
	} else if (o && o->type == XPATH_STRING) {
		out = strdup((char *)o->stringval);
	}
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return out;
}

int xpath_count(const char *xml, const char *expr)
{
	xmlDocPtr doc = NULL;
	xmlXPathContextPtr ctx = NULL;
	xmlXPathObjectPtr o = eval(xml, expr, &doc, &ctx);
	int n = o && o->type == XPATH_NODESET && o->nodesetval ? o->nodesetval->nodeNr : -1;
	xmlXPathFreeObject(o);
	xmlXPathFreeContext(ctx);
	xmlFreeDoc(doc);
	return n;
}

char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		die(path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	if (!b || fread(b, 1, (size_t)n, f) != (size_t)n)
		die(path);
	b[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return b;
}

bool dpsim_wait_stderr(struct dpsim_proc *p, struct errlog *e, const char *needle,
		       int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	long long deadline = (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + ms;

	e->text[e->len] = '\0';
	while (!strstr(e->text, needle)) {
		struct pollfd pf = { .fd = p->err_fd, .events = POLLIN };
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &ts);
		long long left = deadline - ((long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
		if (left <= 0 || poll(&pf, 1, (int)left) == 0)
			return false;
		n = read(p->err_fd, e->text + e->len, sizeof(e->text) - 1 - e->len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return false;
		e->len += (size_t)n;
		e->text[e->len] = '\0';
		if (e->len == sizeof(e->text) - 1)
			return false;
	}
	return true;
}

bool harness_under_wrapper(void)
{
	const char *w = getenv("DPSIM_WRAPPER");

	return w && *w;
}

int harness_limit_ms(void)
{
	return harness_under_wrapper() ? 600000 : 60000;
}

long long harness_now_ms(void)
{
	return now_ms();
}

int harness_start_with(void **state, const char *const *extra)
{
	struct dpsim_proc *p = calloc(1, sizeof(*p));

	if (!p)
		return -1;
	dpsim_prepare(p);
	if (dpsim_start(p, extra)) {
		dpsim_cleanup(p);
		free(p);
		return -1;
	}
	*state = p;
	return 0;
}

int harness_start(void **state)
{
	return harness_start_with(state, NULL);
}

int harness_prepare(void **state)
{
	struct dpsim_proc *p = calloc(1, sizeof(*p));

	if (!p)
		return -1;
	dpsim_prepare(p);
	*state = p;
	return 0;
}

int harness_stop(void **state)
{
	struct dpsim_proc *p = *state;
	int st;

	if (!p)
		return 0;
	st = dpsim_stop(p);
	dpsim_cleanup(p);
	free(p);
	*state = NULL;
	return st == 0 ? 0 : -1;
}

int harness_cleanup(void **state)
{
	struct dpsim_proc *p = *state;

	if (p) {
		dpsim_cleanup(p);
		free(p);
	}
	*state = NULL;
	return 0;
}

void harness_error(struct harness_errors *e, const char *fmt, ...)
{
	va_list ap;

	if (e->count++ == 0) {
		va_start(ap, fmt);
		vsnprintf(e->first, sizeof(e->first), fmt, ap);
		va_end(ap);
	}
}

size_t harness_curl_append(char *ptr, size_t size, size_t nmemb, void *ud)
{
	char **b = ud;
	size_t old = *b ? strlen(*b) : 0, n = size * nmemb;
	char *d = realloc(*b, old + n + 1);

	if (!d)
		return 0;
	memcpy(d + old, ptr, n);
	d[old + n] = '\0';
	*b = d;
	return n;
}

long wsman_read_mode(const struct dpsim_proc *p, const char *fqdn)
{
	char *body = NULL, *env, *m;
	struct http_reply r;
	long v;

	if (asprintf(&body, "<n:Enumerate><w:OptimizeEnumeration/>"
		     "<w:MaxElements>10</w:MaxElements><w:Filter "
		     "Dialect=\"http://schemas.microsoft.com/wbem/"
		     "wsman/1/WQL\">"
		     "SELECT * FROM SMS_DistributionPointInfo WHERE "
		     "Name = '%s'</w:Filter></n:Enumerate>", fqdn) < 0)
		die("asprintf");
	env = envelope("http://schemas.xmlsoap.org/ws/2004/09/enumeration/"
		       "Enumerate", WMI_NS "/*", NULL, body);
	free(body);
	if (http_post(p->url, "lab", "lab", NULL, env, strlen(env), &r)) {
		fprintf(stderr, "harness: reading %s's mode: no answer\n", fqdn);
		abort();
	}
	free(env);
	m = r.status == 200 && xpath_count(r.body, "//w:Items/*") == 1
		    ? xpath_text(r.body, "//*[local-name()='MaintenanceMode']")
		    : NULL;
	if (!m) {
		fprintf(stderr, "harness: reading %s's mode: HTTP %ld, not one "
			"DP with a MaintenanceMode:\n%s\n", fqdn, r.status,
			r.body ? r.body : "");
		abort();
	}
	v = strtol(m, NULL, 10);
	free(m);
	http_reply_free(&r);
	return v;
}
