/* dpc_negotiate: libdpclient's side of WinRM's Negotiate authentication
 * with message encryption over plain HTTP (MS-WSMV 2.2.9.1;
 * docs/wsman-protocol.md, "Message encryption"). Internal (not
 * installed).
 *
 * What a Windows client does against a workgroup host, and what this
 * module does, one HTTP connection at a time:
 *   1. POST with "Authorization: Negotiate <NTLM NEGOTIATE>" and an empty
 *      body;
 *   2. the server's 401 carries "WWW-Authenticate: Negotiate <CHALLENGE>";
 *   3. POST with "Authorization: Negotiate <AUTHENTICATE>" and the first
 *      envelope sealed under the session key, in the same request;
 *   4. from then on, each envelope sealed, with no Authorization header,
 *      on the same connection, and each answer unsealed (faults too).
 * The tokens are raw NTLM messages, not wrapped in SPNEGO, as Windows
 * sends them. The NTLM mechanism is MIT GSSAPI's gss-ntlmssp plug-in.
 *
 * The security context belongs to the TCP connection: when the transport
 * says a request went out on a new connection, the context is gone and
 * the exchange starts again.
 *
 * This module does no I/O: dpcn_start() says what to send, the caller
 * sends it and hands the answer to dpcn_answer(), which says what to send
 * next or that the answer is final. That is what lets the unit test
 * (tests/unit/test_dpc_negotiate.c) drive it against an in-process
 * acceptor. dpc_http.c drives it over libcurl.
 *
 * A session is used by one thread at a time (its client's).
 */
#ifndef DPC_NEGOTIATE_H
#define DPC_NEGOTIATE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"
#include "dpc_internal.h"

struct dpcn;

/* The request to send next. Every pointer is borrowed from the session
 * and valid until the next dpcn_* call on it. */
struct dpcn_request {
	const char *authorization;	/* the header's value, "Negotiate
					 * <base64>", or NULL: none */
	const char *content_type;	/* the body's */
	const void *body;
	size_t len;			/* 0: an empty body */
};

/* What came back. Pointers are borrowed for the call. */
struct dpcn_answer {
	long status;
	bool new_connection;		/* the request went out on a
					 * connection opened for it */
	const char *www_authenticate;	/* every WWW-Authenticate value,
					 * joined with ", "; NULL: none */
	const char *content_type;	/* NULL: none */
	const void *body;
	size_t len;
};

/* What dpcn_answer() made of an answer. */
struct dpcn_result {
	bool send;		/* send *req next; the answer was a step of
				 * the exchange */
	bool unsealed;		/* the answer is the call's and its envelope
				 * was sealed: it is in plain, its
				 * Content-Type in type */
	char type[128];
	enum dpci_retry retry;	/* after a failure: whether the call may be
				 * tried again */
};

/* A session for user (DOMAIN\user, user@domain or a bare user: the
 * domain goes into the NTLM messages as written, empty for a bare user)
 * with password (NULL: ""), to the server host (for the service name
 * HTTP@host). endpoint names the server in messages. Strings are copied;
 * nothing is acquired yet: the credential is, once, on the first
 * dpcn_start(). DPC_OK or DPC_E_NOMEM. */
enum dpc_code dpcn_new(const char *user, const char *password,
		       const char *host, const char *endpoint,
		       struct dpcn **out, struct dpc_error *err);
/* Frees s, its context and credential; wipes the password. NULL: no-op. */
void dpcn_free(struct dpcn *s);

/* Begins sending the envelope plain (len bytes of Content-Type type,
 * borrowed until the call's final answer). fresh: the request will go on
 * a new connection, so any context is dropped. On DPC_OK *req is the
 * first request: the NEGOTIATE message when there is no context (or a new
 * connection), else the sealed envelope. DPC_E_AUTH when the credential
 * cannot be acquired (no NTLM mechanism, a name GSSAPI refuses). */
enum dpc_code dpcn_start(struct dpcn *s, const char *type, const void *plain,
			 size_t len, bool fresh, struct dpcn_request *req,
			 struct dpc_error *err);

/* Reads the answer to the request last sent. DPC_OK and res->send: send
 * *req. DPC_OK and not res->send: the answer is the call's; when
 * res->unsealed, the envelope is appended to plain (nothing is appended
 * otherwise), else the answer had no sealed body (an empty one, the 401
 * of refused credentials, a 403, a 503, a body that is not SOAP) and the
 * caller reads it as it came. A failure fills err: DPC_E_PROTOCOL for an
 * answer that cannot be unsealed (tampered, replayed, badly framed, a
 * wrong Length) or a SOAP body in the clear, DPC_E_AUTH when no
 * Negotiate challenge is offered or it cannot be answered,
 * DPC_E_TRANSPORT when the connection was lost in the middle of the
 * exchange; res->retry says whether the call may be tried again. */
enum dpc_code dpcn_answer(struct dpcn *s, const struct dpcn_answer *a,
			  struct dpcn_request *req, struct buf *plain,
			  struct dpcn_result *res, struct dpc_error *err);

/* The exchange was cut short (the transfer failed): the context is
 * dropped, as the connection may be. */
void dpcn_abandon(struct dpcn *s);

/* Whether the next exchange should start on a new connection: the last
 * one ended with the context dropped on a connection the server may still
 * hold a context for. */
bool dpcn_wants_fresh(const struct dpcn *s);

/* How many times the credential was acquired (1 once used: the library
 * leaks a little per acquisition, so it happens once per session). */
unsigned dpcn_acquisitions(const struct dpcn *s);

/* How many NTLM exchanges were begun (NEGOTIATE messages made). */
unsigned dpcn_handshakes(const struct dpcn *s);

#endif
