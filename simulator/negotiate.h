/* negotiate: HTTP Negotiate sign-in (NTLM, raw or inside SPNEGO) for the
 * fixture's users, on the server side (docs/wsman-protocol.md,
 * Authentication).
 *
 * MIT GSSAPI with the gss-ntlmssp mechanism does the NTLM work; this
 * module feeds it and keeps what it needs:
 *
 *   - the accounts: gss-ntlmssp looks a user's NT hash up in a key file.
 *     negotiate_new() writes one (smbpasswd lines, one per fixture user
 *     with a clear password or an nt-hash) into a private directory
 *     (0700, the file 0600) and negotiate_free() removes both. The file
 *     reaches the library as the cred-store element "ntlmssp_keyfile"
 *     of gss_acquire_cred_from(), not through the process environment
 *     (NTLM_USER_FILE), so nothing else in the process sees it.
 *     smbpasswd lines carry no domain, so a client may sign in with any
 *     domain name (lab\lab, DPSIMHOST\lab, .\lab, or none);
 *   - one security context per TCP connection (struct negotiate_ctx):
 *     the front end keeps it in the connection's slot (front.h) and the
 *     context seals the connection's bodies (wsman/seal.h) once
 *     established.
 *
 * Windows sends raw NTLM messages in "Authorization: Negotiate";
 * GSSAPI clients wrap them in SPNEGO. The first token of a context
 * decides which, and the answers go back in the same form.
 */
#ifndef DPSIM_NEGOTIATE_H
#define DPSIM_NEGOTIATE_H

#include <stdbool.h>
#include <stddef.h>

#include <gssapi/gssapi.h>

#include "fixture.h"

struct negotiate;
struct negotiate_ctx;

/* The acceptor for fx's users (borrowed; must outlive it): writes the
 * key file and acquires the credentials. dir: where to make the private
 * directory (NULL: $TMPDIR, else /tmp). NULL on failure, with one line
 * in err. Thread-safe once made. */
struct negotiate *negotiate_new(const struct fixture *fx, const char *dir,
				char *err, size_t errsize);
/* Removes the key file and its directory. NULL is fine. */
void negotiate_free(struct negotiate *n);

/* The key file's path (for tests and the debug log). */
const char *negotiate_keyfile(const struct negotiate *n);

/* How many of the fixture's users can sign in with NTLM. */
size_t negotiate_users(const struct negotiate *n);

enum negotiate_step {
	NEGOTIATE_CONTINUE,	/* answer 401 with *reply */
	NEGOTIATE_DONE,		/* signed in: negotiate_user(*ctx); *reply
				 * (may be NULL) goes on the answer */
	NEGOTIATE_REFUSED,	/* why says; *ctx is freed and NULL */
};

/* One step of the handshake on a connection. authorization: the whole
 * header value ("Negotiate <base64>"). *ctx: the connection's context,
 * NULL before its first token (made here); a token on an established
 * context starts a new sign-in. *reply: NULL or a malloc'd
 * WWW-Authenticate value ("Negotiate <base64>") the caller frees. On
 * NEGOTIATE_REFUSED, why is one phrase for the log and the journal
 * ("wrong password or unknown user 'lab'", "user 'ops' has no NTLM
 * secret: ...") and name the user name the client gave ("" when none). */
enum negotiate_step negotiate_accept(struct negotiate *n,
				     struct negotiate_ctx **ctx,
				     const char *authorization, char **reply,
				     char *name, size_t namesize,
				     char *why, size_t whysize);

/* Whether the header is a Negotiate one ("Negotiate" and a token). */
bool negotiate_is_negotiate(const char *authorization);

/* An established context's fixture user; NULL before. */
const struct fixture_user *negotiate_user(const struct negotiate_ctx *c);
/* Whether the client agreed to confidentiality (sealing). */
bool negotiate_can_seal(const struct negotiate_ctx *c);
/* "NTLM" or "SPNEGO/NTLM", for log lines. */
const char *negotiate_kind(const struct negotiate_ctx *c);
/* The GSSAPI context for wsman/seal (established contexts only). */
gss_ctx_id_t negotiate_gss(const struct negotiate_ctx *c);
/* Frees a context (NULL is fine). Matches front.h's slot release. */
void negotiate_ctx_free(void *c);

/* The user name an NTLM AUTHENTICATE message (raw, or inside a SPNEGO
 * token) gives, as UTF-8 into out (size bytes). token: the decoded
 * bytes. False, with out "", when it is no AUTHENTICATE message or the
 * name does not fit. No allocation; fuzzed (fuzz_ntlm_token). */
bool negotiate_token_user(const unsigned char *token, size_t len,
			  char *out, size_t size);

/* The NT hash (MD4 of the UTF-16LE password, MS-NLMP 3.3.1) of a clear
 * password, as 32 upper-case hex digits and a NUL into out. False when
 * the password is not UTF-8. */
bool negotiate_nt_hash(const char *clear, char out[33]);

#endif
