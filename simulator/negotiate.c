/* negotiate: the server side of HTTP Negotiate (see negotiate.h). */
#include "negotiate.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gssapi/gssapi_ext.h>
#include <gssapi/gssapi_ntlmssp.h>
#include <nettle/base64.h>
#include <nettle/md4.h>

#include "gsslib.h"
#include "log.h"

/* The largest token dpsim reads: an AUTHENTICATE message with NTLMv2's
 * target information is a few hundred bytes, SPNEGO adds little. */
#define MAX_TOKEN 16384

static gss_OID_desc ntlm_oid = { GSS_NTLMSSP_OID_LENGTH,
				 (void *)GSS_NTLMSSP_OID_STRING };
static gss_OID_desc spnego_oid = { 6, (void *)"\x2b\x06\x01\x05\x05\x02" };

struct negotiate {
	const struct gsslib *lib;	/* GSSAPI's calls */
	const struct fixture *fx;
	char dir[256];
	char keyfile[300];
	gss_cred_id_t ntlm;	/* raw NTLM tokens */
	gss_cred_id_t spnego;	/* SPNEGO tokens, NTLM the one mechanism */
	size_t users;
};

struct negotiate_ctx {
	gss_ctx_id_t gss;
	bool spnego;
	bool established;
	bool conf;
	const struct fixture_user *user;
};

/* ---- NT hash ------------------------------------------------------------ */

bool negotiate_nt_hash(const char *clear, char out[33])
{
	size_t inlen = strlen(clear), left = 4 * inlen + 4, cap = left;
	char *wide = malloc(cap), *o = wide, *in = (char *)clear;
	bool ok = false;

	out[0] = '\0';
	if (!wide)
		return false;
	iconv_t cd = iconv_open("UTF-16LE", "UTF-8");
	if (cd != (iconv_t)-1) {
		ok = iconv(cd, &in, &inlen, &o, &left) != (size_t)-1;
		iconv_close(cd);
	}
	if (ok) {
		struct md4_ctx m;
		uint8_t d[MD4_DIGEST_SIZE];

		md4_init(&m);
		md4_update(&m, (size_t)(o - wide), (const uint8_t *)wide);
		md4_digest(&m, sizeof(d), d);
		for (size_t i = 0; i < sizeof(d); i++)
			snprintf(out + 2 * i, 3, "%02X", d[i]);
		explicit_bzero(d, sizeof(d));
	}
	explicit_bzero(wide, cap);
	free(wide);
	return ok;
}

/* ---- the key file ------------------------------------------------------- */

/* Whether name can stand in an smbpasswd line. */
static bool keyfile_name_ok(const char *name)
{
	return name[0] && !strpbrk(name, ":\r\n#");
}

/* Writes the key file: one smbpasswd line per user with an NT secret.
 * 0, or -errno with err set. */
static int write_keyfile(struct negotiate *n, char *err, size_t errsize)
{
	int fd = open(n->keyfile, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errsize, "cannot create the NTLM key file %s: %s",
			 n->keyfile, strerror(e));
		return -e;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		int e = errno;
		close(fd);
		snprintf(err, errsize, "cannot write %s: %s", n->keyfile, strerror(e));
		return -e;
	}
	for (size_t i = 0; i < n->fx->nusers; i++) {
		const struct fixture_user *u = &n->fx->users[i];
		char hash[33];

		if (!keyfile_name_ok(u->name)) {
			log_warn("user '%s' cannot sign in with NTLM: the name has a "
				 "character the key file cannot hold (':', '#' or a "
				 "line break)", u->name);
			continue;
		}
		if (u->nt_hash)
			snprintf(hash, sizeof(hash), "%s", u->nt_hash);
		else if (!u->password || !negotiate_nt_hash(u->password, hash))
			continue;	/* only a crypt hash: said at sign-in */
		/* gss-ntlmssp reads smbpasswd's layout: name, uid, LM hash
		 * (unused), NT hash, account flags, last change. */
		fprintf(f, "%s:1000:XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:%s:"
			"[U          ]:LCT-00000000:\n", u->name, hash);
		explicit_bzero(hash, sizeof(hash));
		n->users++;
	}
	if (fflush(f) || ferror(f)) {
		int e = errno ? errno : EIO;
		fclose(f);
		snprintf(err, errsize, "cannot write %s: %s", n->keyfile, strerror(e));
		return -e;
	}
	fclose(f);
	return 0;
}

/* ---- credentials -------------------------------------------------------- */

static void gss_why(const struct gsslib *g, OM_uint32 major, OM_uint32 minor,
		    char *out, size_t size)
{
	OM_uint32 mn, ctx = 0;
	gss_buffer_desc b = GSS_C_EMPTY_BUFFER;
	size_t used = 0;

	out[0] = '\0';
	if (g->gss_display_status(&mn, major, GSS_C_GSS_CODE, GSS_C_NO_OID, &ctx,
				  &b) == GSS_S_COMPLETE) {
		used = (size_t)snprintf(out, size, "%.*s", (int)b.length, (char *)b.value);
		g->gss_release_buffer(&mn, &b);
	}
	ctx = 0;
	if (minor && used < size &&
	    g->gss_display_status(&mn, minor, GSS_C_MECH_CODE, GSS_C_NO_OID, &ctx,
				  &b) == GSS_S_COMPLETE) {
		snprintf(out + used, size - used, " (%.*s)", (int)b.length,
			 (char *)b.value);
		g->gss_release_buffer(&mn, &b);
	}
}

static int acquire(struct negotiate *n, gss_OID mech, gss_cred_id_t *out,
		   char *err, size_t errsize)
{
	OM_uint32 major, minor;
	/* A host name without a service: gss-ntlmssp then puts no SPN
	 * (MsvAvTargetName) into its CHALLENGE, as Windows does not, and
	 * a gss-ntlmssp client does not refuse a server whose SPN differs
	 * from the name it dialled (127.0.0.1, a DNS alias). */
	gss_buffer_desc sname = { strlen("@dpsim"), (void *)"@dpsim" };
	gss_name_t name = GSS_C_NO_NAME;
	gss_OID_set_desc mechs = { 1, mech };
	/* gss-ntlmssp reads the key file for a credential with a service
	 * name only. */
	gss_key_value_element_desc kv = { GSS_NTLMSSP_CS_KEYFILE, n->keyfile };
	gss_key_value_set_desc store = { 1, &kv };
	const struct gsslib *g = n->lib;
	char why[256];

	major = g->gss_import_name(&minor, &sname, g->nt_hostbased_service, &name);
	if (!GSS_ERROR(major))
		major = g->gss_acquire_cred_from(&minor, name, GSS_C_INDEFINITE,
						 &mechs, GSS_C_ACCEPT, &store, out,
						 NULL, NULL);
	g->gss_release_name(&minor, &name);
	if (GSS_ERROR(major)) {
		gss_why(g, major, minor, why, sizeof(why));
		snprintf(err, errsize, "cannot set up NTLM sign-in (%s): %s%s",
			 mech == &ntlm_oid ? "NTLM" : "SPNEGO", why,
			 mech == &ntlm_oid ? "; is gss-ntlmssp installed "
			 "(/etc/gss/mech.d)?" : "");
		return -1;
	}
	if (mech == &spnego_oid) {
		/* SPNEGO offers NTLM only: no Kerberos without a keytab. */
		gss_OID_set_desc only = { 1, &ntlm_oid };
		major = g->gss_set_neg_mechs(&minor, *out, &only);
		if (GSS_ERROR(major)) {
			gss_why(g, major, minor, why, sizeof(why));
			snprintf(err, errsize, "cannot limit SPNEGO to NTLM: %s", why);
			return -1;
		}
	}
	return 0;
}

#define DIR_PREFIX "dpsim-ntlm."

/* Removes the key-file directories in dir that a dpsim killed before it
 * could clean up left behind (SIGKILL, a crash): ours (same user, a real
 * directory), named after a process that no longer exists. A pid taken
 * again by another process keeps its directory until that one ends. */
static void sweep_stale(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	if (!d)
		return;
	while ((de = readdir(d))) {
		char *end;
		char path[512], file[600];
		struct stat st;

		if (strncmp(de->d_name, DIR_PREFIX, strlen(DIR_PREFIX)))
			continue;
		long pid = strtol(de->d_name + strlen(DIR_PREFIX), &end, 10);
		if (end == de->d_name + strlen(DIR_PREFIX) || *end != '.' || pid <= 0 ||
		    pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (lstat(path, &st) || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
			continue;
		snprintf(file, sizeof(file), "%s/accounts", path);
		unlink(file);
		if (rmdir(path) == 0)
			log_info("removed %s, the NTLM key file of dpsim %ld, which ended "
				 "without removing it", path, pid);
	}
	closedir(d);
}

struct negotiate *negotiate_new(const struct fixture *fx, const char *dir,
				char *err, size_t errsize)
{
	struct negotiate *n = calloc(1, sizeof(*n));
	if (!n) {
		snprintf(err, errsize, "out of memory");
		return NULL;
	}
	n->fx = fx;
	n->ntlm = n->spnego = GSS_C_NO_CREDENTIAL;
	/* Before any file is made: without the library there is no use
	 * for the key file. */
	n->lib = gsslib_load(err, errsize);
	if (!n->lib) {
		free(n);
		return NULL;
	}
	if (!dir)
		dir = getenv("TMPDIR");
	if (!dir || !dir[0])
		dir = "/tmp";
	sweep_stale(dir);
	if ((size_t)snprintf(n->dir, sizeof(n->dir), "%s/" DIR_PREFIX "%ld.XXXXXX", dir,
			     (long)getpid()) >=
	    sizeof(n->dir)) {
		snprintf(err, errsize, "the temporary directory's path is too long: %s",
			 dir);
		free(n);
		return NULL;
	}
	if (!mkdtemp(n->dir)) {	/* mode 0700 */
		snprintf(err, errsize, "cannot make a private directory in %s for the "
			 "NTLM key file: %s", dir, strerror(errno));
		free(n);
		return NULL;
	}
	snprintf(n->keyfile, sizeof(n->keyfile), "%s/accounts", n->dir);
	if (write_keyfile(n, err, errsize) ||
	    acquire(n, &ntlm_oid, &n->ntlm, err, errsize) ||
	    acquire(n, &spnego_oid, &n->spnego, err, errsize)) {
		negotiate_free(n);
		return NULL;
	}
	return n;
}

void negotiate_free(struct negotiate *n)
{
	OM_uint32 minor;

	if (!n)
		return;
	n->lib->gss_release_cred(&minor, &n->ntlm);
	n->lib->gss_release_cred(&minor, &n->spnego);
	unlink(n->keyfile);
	rmdir(n->dir);
	free(n);
}

const char *negotiate_keyfile(const struct negotiate *n)
{
	return n->keyfile;
}

size_t negotiate_users(const struct negotiate *n)
{
	return n->users;
}

/* ---- tokens ------------------------------------------------------------- */

bool negotiate_is_negotiate(const char *authorization)
{
	return authorization && !strncasecmp(authorization, "Negotiate", 9) &&
	       (authorization[9] == ' ' || authorization[9] == '\t');
}

/* The token of a Negotiate header, decoded into out (cap bytes). Its
 * length, or -1 when it is no base64. */
static long token_decode(const char *authorization, unsigned char *out, size_t cap)
{
	const char *b = authorization + 9;
	struct base64_decode_ctx d;
	size_t len, done = 0;

	b += strspn(b, " \t");
	len = strcspn(b, " \t\r\n");
	if (!len || b[len] != '\0' || BASE64_DECODE_LENGTH(len) > cap)
		return -1;
	base64_decode_init(&d);
	if (!base64_decode_update(&d, &done, out, len, b) || !base64_decode_final(&d))
		return -1;
	return (long)done;
}

/* "Negotiate <base64 of tok>", malloc'd, or NULL. */
static char *token_header(const gss_buffer_desc *tok)
{
	size_t n = BASE64_ENCODE_RAW_LENGTH(tok->length);
	char *h = malloc(10 + n + 1);

	if (!h)
		return NULL;
	memcpy(h, "Negotiate ", 10);
	base64_encode_raw(h + 10, tok->length, tok->value);
	h[10 + n] = '\0';
	return h;
}

static uint16_t le16(const unsigned char *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

/* Appends code point c as UTF-8; false when it does not fit. */
static bool put_utf8(char *out, size_t size, size_t *at, uint32_t c)
{
	unsigned char b[4];
	size_t n;

	if (c < 0x80) {
		b[0] = (unsigned char)c;
		n = 1;
	} else if (c < 0x800) {
		b[0] = (unsigned char)(0xC0 | c >> 6);
		b[1] = (unsigned char)(0x80 | (c & 0x3F));
		n = 2;
	} else if (c < 0x10000) {
		b[0] = (unsigned char)(0xE0 | c >> 12);
		b[1] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
		b[2] = (unsigned char)(0x80 | (c & 0x3F));
		n = 3;
	} else {
		b[0] = (unsigned char)(0xF0 | c >> 18);
		b[1] = (unsigned char)(0x80 | (c >> 12 & 0x3F));
		b[2] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
		b[3] = (unsigned char)(0x80 | (c & 0x3F));
		n = 4;
	}
	if (*at + n >= size)
		return false;
	memcpy(out + *at, b, n);
	*at += n;
	return true;
}

#define NTLMSSP_NEGOTIATE_UNICODE 0x00000001u

bool negotiate_token_user(const unsigned char *token, size_t len,
			  char *out, size_t size)
{
	static const unsigned char sig[8] = "NTLMSSP";	/* and its NUL */
	const unsigned char *m = memmem(token, len, sig, sizeof(sig));
	size_t at = 0;

	if (size)
		out[0] = '\0';
	if (!m || !size)
		return false;
	len -= (size_t)(m - token);
	/* MS-NLMP 2.2.1.3: the type, then six (length, room, offset)
	 * fields, UserNameFields the fourth; the flags after them. */
	if (len < 64 || le32(m + 8) != 3)
		return false;
	size_t ulen = le16(m + 36), uoff = le32(m + 40);
	bool unicode = le32(m + 60) & NTLMSSP_NEGOTIATE_UNICODE;

	if (uoff > len || ulen > len - uoff || (unicode && ulen % 2))
		return false;
	const unsigned char *u = m + uoff;
	for (size_t i = 0; i < ulen;) {
		uint32_t c;

		if (!unicode) {
			c = u[i] < 0x80 ? u[i] : '?';
			i++;
		} else {
			c = le16(u + i);
			i += 2;
			if (c >= 0xD800 && c < 0xDC00 && i + 2 <= ulen &&
			    le16(u + i) >= 0xDC00 && le16(u + i) < 0xE000) {
				c = 0x10000 + ((c - 0xD800) << 10) + (le16(u + i) - 0xDC00);
				i += 2;
			} else if (c >= 0xD800 && c < 0xE000) {
				c = 0xFFFD;
			}
		}
		if (c < 0x20 || c == 0x7F)
			c = '?';	/* the name goes into log lines */
		if (!put_utf8(out, size, &at, c)) {
			out[0] = '\0';
			return false;
		}
	}
	out[at] = '\0';
	return at > 0;
}

/* ---- the handshake ------------------------------------------------------ */

void negotiate_ctx_free(void *p)
{
	struct negotiate_ctx *c = p;
	OM_uint32 minor;

	if (!c)
		return;
	/* A context was made through the library: it is loaded. */
	if (c->gss != GSS_C_NO_CONTEXT)
		gsslib_load(NULL, 0)->gss_delete_sec_context(&minor, &c->gss,
							     GSS_C_NO_BUFFER);
	free(c);
}

const struct fixture_user *negotiate_user(const struct negotiate_ctx *c)
{
	return c && c->established ? c->user : NULL;
}

bool negotiate_can_seal(const struct negotiate_ctx *c)
{
	return c && c->established && c->conf;
}

const char *negotiate_kind(const struct negotiate_ctx *c)
{
	return c && c->spnego ? "SPNEGO/NTLM" : "NTLM";
}

gss_ctx_id_t negotiate_gss(const struct negotiate_ctx *c)
{
	return c && c->established ? c->gss : GSS_C_NO_CONTEXT;
}

static const struct fixture_user *find_user(const struct fixture *fx, const char *name)
{
	for (size_t i = 0; i < fx->nusers; i++)
		if (!strcasecmp(fx->users[i].name, name))
			return &fx->users[i];
	return NULL;
}

/* The user part of a GSSAPI name as gss-ntlmssp shows it: "DOMAIN\user",
 * "user@domain" or "user". */
static const char *user_part(char *shown)
{
	char *bs = strrchr(shown, '\\');
	if (bs)
		return bs + 1;
	char *at = strchr(shown, '@');
	if (at)
		*at = '\0';
	return shown;
}

/* Why a sign-in of name failed, for the log and the journal: true when
 * the user has no NT secret at all. */
static bool refusal(const struct negotiate *n, const char *name, const char *gss,
		    char *why, size_t whysize)
{
	const struct fixture_user *u = name[0] ? find_user(n->fx, name) : NULL;

	if (u && !u->password && !u->nt_hash) {
		snprintf(why, whysize, "user '%s' has only a password-hash (crypt), "
			 "which cannot check an NTLM sign-in: give the user an "
			 "nt-hash (dpsim --hash-password prints one) or sign in "
			 "with Basic", u->name);
		return true;
	}
	if (name[0])
		snprintf(why, whysize, "NTLM sign-in failed: wrong password or "
			 "unknown user '%s' (%s)", name, gss);
	else
		snprintf(why, whysize, "NTLM sign-in failed (%s)", gss);
	return false;
}

enum negotiate_step negotiate_accept(struct negotiate *n,
				     struct negotiate_ctx **ctx,
				     const char *authorization, char **reply,
				     char *name, size_t namesize,
				     char *why, size_t whysize)
{
	unsigned char *buf = malloc(MAX_TOKEN);
	struct negotiate_ctx *c = *ctx;
	OM_uint32 major, minor, flags = 0;
	gss_name_t src = GSS_C_NO_NAME;
	gss_buffer_desc out = GSS_C_EMPTY_BUFFER;
	char gwhy[256];
	enum negotiate_step step = NEGOTIATE_REFUSED;
	bool no_secret = false;

	*reply = NULL;
	if (namesize)
		name[0] = '\0';
	why[0] = '\0';
	if (!buf) {
		snprintf(why, whysize, "out of memory");
		goto refused;
	}
	long len = negotiate_is_negotiate(authorization)
			   ? token_decode(authorization, buf, MAX_TOKEN) : -1;
	if (len <= 0) {
		snprintf(why, whysize, "the Negotiate token is not base64 or is "
			 "longer than %d bytes", MAX_TOKEN);
		goto refused;
	}
	negotiate_token_user(buf, (size_t)len, name, namesize);
	/* A token on an established context is a new sign-in, and so is a
	 * first token (bare NEGOTIATE, or GSS-framed SPNEGO) on a
	 * handshake left half-way. */
	bool first = (len >= 12 && !memcmp(buf, "NTLMSSP", 8) && buf[8] == 1) ||
		     buf[0] == 0x60;
	if (c && (c->established || first)) {
		negotiate_ctx_free(c);
		c = *ctx = NULL;
	}
	if (!c) {
		c = calloc(1, sizeof(*c));
		if (!c) {
			snprintf(why, whysize, "out of memory");
			goto refused;
		}
		c->gss = GSS_C_NO_CONTEXT;
		/* Windows sends bare NTLM messages; anything else is
		 * SPNEGO's framing. */
		c->spnego = !(len >= 8 && !memcmp(buf, "NTLMSSP", 8));
		*ctx = c;
	}
	gss_buffer_desc in = { (size_t)len, buf };
	major = n->lib->gss_accept_sec_context(&minor, &c->gss,
					       c->spnego ? n->spnego : n->ntlm,
					       &in, GSS_C_NO_CHANNEL_BINDINGS, &src,
					       NULL, &out, &flags, NULL, NULL);
	if (GSS_ERROR(major)) {
		gss_why(n->lib, major, minor, gwhy, sizeof(gwhy));
		if (refusal(n, namesize ? name : "", gwhy, why, whysize))
			no_secret = true;
		goto refused;
	}
	if (out.length) {
		*reply = token_header(&out);
		if (!*reply) {
			snprintf(why, whysize, "out of memory");
			goto refused;
		}
	}
	if (major & GSS_S_CONTINUE_NEEDED) {
		step = NEGOTIATE_CONTINUE;
		goto done;
	}
	/* Signed in: whose account is it? */
	gss_buffer_desc shown = GSS_C_EMPTY_BUFFER;
	char who[256] = "";
	if (!GSS_ERROR(n->lib->gss_display_name(&minor, src, &shown, NULL))) {
		snprintf(who, sizeof(who), "%.*s", (int)shown.length, (char *)shown.value);
		n->lib->gss_release_buffer(&minor, &shown);
	}
	c->user = who[0] ? find_user(n->fx, user_part(who)) : NULL;
	if (!c->user) {
		snprintf(why, whysize, "NTLM signed in '%s', who is no fixture user", who);
		goto refused;
	}
	if (namesize)
		snprintf(name, namesize, "%s", c->user->name);
	c->established = true;
	c->conf = flags & GSS_C_CONF_FLAG;
	step = NEGOTIATE_DONE;
	goto done;
refused:
	free(*reply);
	*reply = NULL;
	negotiate_ctx_free(*ctx);
	*ctx = NULL;
	if (no_secret)
		step = NEGOTIATE_NO_SECRET;
done:
	n->lib->gss_release_buffer(&minor, &out);
	n->lib->gss_release_name(&minor, &src);
	if (buf) {
		explicit_bzero(buf, MAX_TOKEN);
		free(buf);
	}
	return step;
}
