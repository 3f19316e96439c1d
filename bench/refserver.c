/*
 * refserver: the floors dpsim is measured against.
 *
 * A libmicrohttpd server set up the way dpsim's http front is (internal
 * polling thread + epoll, a thread pool of 2, an 8 KiB connection memory
 * pool), in one of two modes:
 *
 *   refserver PORT             answers every POST with the same ~1.5 KB
 *                              SOAP envelope: no parse, no state.  The most
 *                              this machine, MHD and wrk can do.
 *   refserver PORT --pipeline DB
 *                              the least work an Invoke of
 *                              SetDPMaintenanceMode needs: the body is
 *                              parsed with libxml2 (no DTD, no network),
 *                              its NALPath and Mode are read, one upsert of
 *                              the mode is committed to the SQLite file DB
 *                              (WAL, synchronous=NORMAL, one connection
 *                              behind a mutex), and the answer is the
 *                              envelope above with the request's MessageID
 *                              in RelatesTo.  dpsim does this and more
 *                              (auth, headers, journal, fault rules); its
 *                              Invoke figures are reported as a ratio of
 *                              this row's, measured in the same run.
 *
 * Prints "refserver ready http://127.0.0.1:PORT/wsman" once listening and
 * exits 0 on SIGTERM or SIGINT.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <microhttpd.h>
#include <pthread.h>
#include <sqlite3.h>

/* The numbers from the design notes were taken with these settings. */
#define POOL_THREADS	2u
#define CONN_MEMORY	((size_t)8192)

/*
 * Shaped like dpsim's SetDPMaintenanceMode answer (WinRM-style namespace
 * declarations, addressing headers, _OUTPUT body) so the bytes on the wire
 * are comparable.
 */
static const char response_body[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\""
	" xmlns:a=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\""
	" xmlns:w=\"http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd\""
	" xmlns:p=\"http://schemas.microsoft.com/wbem/wsman/1/wsman.xsd\""
	" xmlns:n=\"http://schemas.xmlsoap.org/ws/2004/09/enumeration\""
	" xmlns:x=\"http://schemas.xmlsoap.org/ws/2004/09/transfer\""
	" xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\""
	" xml:lang=\"en-US\">"
	"<s:Header>"
	"<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous"
	"</a:To>"
	"<a:Action>http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/"
	"site_PS1/SMS_DistributionPointInfo/SetDPMaintenanceModeResponse"
	"</a:Action>"
	"<a:MessageID>uuid:6f0c5b1e-3c2a-4d8e-9b7f-2a1d0c9e8f71</a:MessageID>"
	"<a:RelatesTo>uuid:d7410c22-949e-40b3-b952-de90c8887c16</a:RelatesTo>"
	"<w:ResourceURI>http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/"
	"site_PS1/SMS_DistributionPointInfo</w:ResourceURI>"
	"<w:OperationID s:mustUnderstand=\"false\">"
	"uuid:0b6c1f8a-5e47-4c1d-a2f3-9d8e7c6b5a40</w:OperationID>"
	"<p:ActivityId>B2A7C5D1-3E4F-4A6B-8C9D-0E1F2A3B4C5D</p:ActivityId>"
	"<w:Locale s:mustUnderstand=\"false\" xml:lang=\"en-US\"/>"
	"<p:DataLocale s:mustUnderstand=\"false\" xml:lang=\"en-US\"/>"
	"</s:Header>"
	"<s:Body>"
	"<p:SetDPMaintenanceMode_OUTPUT"
	" xmlns:p=\"http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/"
	"site_PS1/SMS_DistributionPointInfo\""
	" xmlns:cim=\"http://schemas.dmtf.org/wbem/wscim/1/common\""
	" xsi:type=\"p:SetDPMaintenanceMode_OUTPUT_Type\">"
	"<p:ReturnValue>0</p:ReturnValue>"
	"</p:SetDPMaintenanceMode_OUTPUT>"
	"</s:Body>"
	"</s:Envelope>\n";

/* ---- pipeline mode ------------------------------------------------------- */

#define MAX_BODY ((size_t)512 * 1024)

static sqlite3 *db;
static sqlite3_stmt *upsert;
static pthread_mutex_t db_lock = PTHREAD_MUTEX_INITIALIZER;

struct body {
	char *data;
	size_t len;
	bool too_large;
};

/* The text of the first element named `name` under n, any namespace. */
static xmlChar *find_text(xmlNode *n, const char *name)
{
	for (; n; n = n->next) {
		xmlChar *t;

		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (xmlStrEqual(n->name, BAD_CAST name))
			return xmlNodeGetContent(n);
		if ((t = find_text(n->children, name)))
			return t;
	}
	return NULL;
}

/* 0 and the answer, or an HTTP status for a request it cannot serve. */
static unsigned pipeline_serve(const struct body *b, char **answer, size_t *alen)
{
	xmlDoc *doc;
	xmlChar *nal, *mode, *msgid;
	unsigned status = 0;
	int rc;

	if (b->too_large)
		return MHD_HTTP_CONTENT_TOO_LARGE;
	doc = xmlReadMemory(b->data ? b->data : "", (int)b->len, NULL, NULL,
			    XML_PARSE_NONET | XML_PARSE_NOBLANKS);
	if (!doc)
		return MHD_HTTP_BAD_REQUEST;
	nal = find_text(xmlDocGetRootElement(doc), "NALPath");
	mode = find_text(xmlDocGetRootElement(doc), "Mode");
	msgid = find_text(xmlDocGetRootElement(doc), "MessageID");
	if (!nal || !mode || !msgid ||
	    (strcmp((char *)mode, "0") != 0 && strcmp((char *)mode, "1") != 0)) {
		status = MHD_HTTP_BAD_REQUEST;
		goto out;
	}
	pthread_mutex_lock(&db_lock);
	sqlite3_bind_text(upsert, 1, (char *)nal, -1, SQLITE_STATIC);
	sqlite3_bind_int(upsert, 2, mode[0] - '0');
	rc = sqlite3_step(upsert);
	sqlite3_reset(upsert);
	sqlite3_clear_bindings(upsert);
	pthread_mutex_unlock(&db_lock);
	if (rc != SQLITE_DONE) {
		status = MHD_HTTP_INTERNAL_SERVER_ERROR;
		goto out;
	}
	/* The template with this request's MessageID as RelatesTo. */
	{
		static const char mark[] = "uuid:d7410c22-949e-40b3-b952-de90c8887c16";
		const char *at = strstr(response_body, mark);
		size_t head = (size_t)(at - response_body);
		size_t idlen = strlen((char *)msgid);
		size_t tail = sizeof(response_body) - 1 - head - (sizeof(mark) - 1);

		*alen = head + idlen + tail;
		*answer = malloc(*alen);
		if (!*answer) {
			status = MHD_HTTP_INTERNAL_SERVER_ERROR;
			goto out;
		}
		memcpy(*answer, response_body, head);
		memcpy(*answer + head, msgid, idlen);
		memcpy(*answer + head + idlen, at + sizeof(mark) - 1, tail);
	}
out:
	xmlFree(nal);
	xmlFree(mode);
	xmlFree(msgid);
	xmlFreeDoc(doc);
	return status;
}

static enum MHD_Result on_pipeline(void *cls, struct MHD_Connection *conn,
				   const char *url, const char *method,
				   const char *version, const char *upload_data,
				   size_t *upload_data_size, void **con_cls)
{
	struct body *b = *con_cls;
	struct MHD_Response *r;
	enum MHD_Result ret;
	char *answer = NULL;
	size_t alen = 0;
	unsigned status;

	if (!b) {
		if (!(b = calloc(1, sizeof(*b))))
			return MHD_NO;
		*con_cls = b;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (b->len + *upload_data_size > MAX_BODY) {
			b->too_large = true;
		} else {
			char *d = realloc(b->data, b->len + *upload_data_size);

			if (!d)
				return MHD_NO;
			memcpy(d + b->len, upload_data, *upload_data_size);
			b->data = d;
			b->len += *upload_data_size;
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	status = strcmp(method, MHD_HTTP_METHOD_POST) == 0 ?
		 pipeline_serve(b, &answer, &alen) : MHD_HTTP_METHOD_NOT_ALLOWED;
	if (status) {
		r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
		if (!r)
			return MHD_NO;
		ret = MHD_queue_response(conn, status, r);
	} else {
		r = MHD_create_response_from_buffer(alen, answer, MHD_RESPMEM_MUST_FREE);
		if (!r) {
			free(answer);
			return MHD_NO;
		}
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
					"application/soap+xml;charset=UTF-8");
		ret = MHD_queue_response(conn, MHD_HTTP_OK, r);
	}
	MHD_destroy_response(r);
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct body *b = *con_cls;

	if (b) {
		free(b->data);
		free(b);
		*con_cls = NULL;
	}
}

static int pipeline_open(const char *path)
{
	if (sqlite3_open(path, &db) != SQLITE_OK ||
	    sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			 "CREATE TABLE IF NOT EXISTS dp_state(nalpath TEXT PRIMARY KEY"
			 " COLLATE NOCASE, mode INTEGER NOT NULL)", NULL, NULL, NULL) ||
	    sqlite3_prepare_v2(db, "INSERT INTO dp_state(nalpath, mode) VALUES (?1, ?2)"
			       " ON CONFLICT(nalpath) DO UPDATE SET mode = excluded.mode",
			       -1, &upsert, NULL) != SQLITE_OK) {
		fprintf(stderr, "refserver: %s: %s\n", path, sqlite3_errmsg(db));
		return -1;
	}
	xmlInitParser();
	return 0;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct MHD_Response *fixed = cls;
	struct MHD_Response *r;
	enum MHD_Result ret;

	/* First call: headers only. Say yes so MHD hands us the body. */
	if (*con_cls == NULL) {
		*con_cls = fixed;	/* any non-NULL marker */
		return MHD_YES;
	}
	/* Body chunks: consume and drop them. */
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (strcmp(method, MHD_HTTP_METHOD_POST) == 0)
		return MHD_queue_response(conn, MHD_HTTP_OK, fixed);

	r = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "POST");
	ret = MHD_queue_response(conn, MHD_HTTP_METHOD_NOT_ALLOWED, r);
	MHD_destroy_response(r);
	return ret;
}

static int parse_port(const char *s, unsigned *port)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v > 65535)
		return -EINVAL;
	*port = (unsigned)v;
	return 0;
}

int main(int argc, char **argv)
{
	struct sockaddr_in addr;
	struct MHD_Response *fixed;
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *info;
	sigset_t sigs;
	unsigned port;
	int sig;

	bool pipeline = argc == 4 && strcmp(argv[2], "--pipeline") == 0;

	if ((argc != 2 && !pipeline) || parse_port(argv[1], &port) != 0) {
		fprintf(stderr, "usage: %s PORT [--pipeline DB]   (0 = ephemeral)\n",
			argv[0]);
		return 2;
	}
	if (pipeline && pipeline_open(argv[3]))
		return 1;

	/*
	 * Block the stop signals before MHD starts its threads, so they
	 * inherit the mask and only sigwait() below ever sees them.
	 */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	if (pthread_sigmask(SIG_BLOCK, &sigs, NULL) != 0) {
		fprintf(stderr, "refserver: pthread_sigmask failed\n");
		return 1;
	}

	fixed = MHD_create_response_from_buffer(sizeof(response_body) - 1,
						(void *)response_body,
						MHD_RESPMEM_PERSISTENT);
	if (fixed == NULL ||
	    MHD_add_response_header(fixed, MHD_HTTP_HEADER_CONTENT_TYPE,
			"application/soap+xml;charset=UTF-8") != MHD_YES) {
		fprintf(stderr, "refserver: cannot build the response\n");
		return 1;
	}

	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL |
			     MHD_USE_ERROR_LOG,
			     (uint16_t)port, NULL, NULL,
			     pipeline ? on_pipeline : on_request, fixed,
			     MHD_OPTION_NOTIFY_COMPLETED,
			     pipeline ? on_completed : NULL, NULL,
			     MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
			     MHD_OPTION_THREAD_POOL_SIZE, POOL_THREADS,
			     MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONN_MEMORY,
			     MHD_OPTION_END);
	if (d == NULL) {
		fprintf(stderr, "refserver: cannot listen on 127.0.0.1:%u\n",
			port);
		MHD_destroy_response(fixed);
		return 1;
	}

	info = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (info == NULL || info->port == 0) {
		fprintf(stderr, "refserver: cannot read the bound port\n");
		MHD_stop_daemon(d);
		MHD_destroy_response(fixed);
		return 1;
	}
	printf("refserver ready http://127.0.0.1:%u/wsman\n",
	       (unsigned)info->port);
	fflush(stdout);

	do {
		if (sigwait(&sigs, &sig) != 0)
			sig = SIGTERM;
	} while (sig != SIGTERM && sig != SIGINT);

	MHD_stop_daemon(d);
	MHD_destroy_response(fixed);
	if (pipeline) {
		sqlite3_finalize(upsert);
		sqlite3_close(db);
		xmlCleanupParser();
	}
	return 0;
}
