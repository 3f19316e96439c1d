#include "auth.h"

#include <crypt.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>
#include <nettle/hmac.h>
#include <gnutls/gnutls.h>

#include "consttime.h"

#define DIGEST_SIZE 32		/* HMAC-SHA256 */

/* Longest password auth_password_hash() takes: what still fits in the
 * Basic credentials auth_basic() decodes, next to a 64-byte user name. */
#define PASSWORD_MAX 400

/* The work of this thread's checks, for tests (auth_work_take). */
static _Thread_local struct auth_work work;

struct auth_memo {
	pthread_mutex_t lock;
	/* HMAC-SHA256 keyed with a random key that never leaves, set once:
	 * a digest copies it and hashes the password, which costs a few
	 * thousand instructions where keying it at every request (as
	 * gnutls_hmac_fast does) cost four times that, on every call. */
	struct hmac_sha256_ctx keyed;
	unsigned char digest[DIGEST_SIZE];	/* of the accepted password */
	bool valid;
};

/* RFC 4648 base64 decode into out (NUL-terminated). Returns the decoded
 * length or -1 on a malformed input or when out is too small. */
static long base64_decode(const char *in, char *out, size_t outsize)
{
	unsigned acc = 0;
	int bits = 0;
	size_t n = 0, pad = 0;

	for (; *in; in++) {
		unsigned char c = (unsigned char)*in;
		int v;
		if (c >= 'A' && c <= 'Z')
			v = c - 'A';
		else if (c >= 'a' && c <= 'z')
			v = c - 'a' + 26;
		else if (c >= '0' && c <= '9')
			v = c - '0' + 52;
		else if (c == '+')
			v = 62;
		else if (c == '/')
			v = 63;
		else if (c == '=') {
			pad++;
			continue;
		} else
			return -1;
		if (pad)
			return -1;	/* data after padding */
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n + 1 >= outsize)
				return -1;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	if (pad > 2)
		return -1;
	out[n] = '\0';
	return (long)n;
}

/* ---- crypt(3) ------------------------------------------------------ */

/* crypt_rn of phrase with setting (a whole hash works: crypt reads only
 * its setting part) into out; false when libxcrypt refuses. struct
 * crypt_data is 32 KiB: too much for a request thread's stack. */
static bool hash_with(const char *phrase, const char *setting, char *out,
		      size_t size)
{
	struct crypt_data *cd = calloc(1, sizeof(*cd));
	const char *h;
	bool ok = false;

	if (!cd)
		return false;
	h = crypt_rn(phrase, setting, cd, sizeof(*cd));
	if (h && h[0] != '*' && strlen(h) < size) {
		memcpy(out, h, strlen(h) + 1);
		ok = true;
	}
	explicit_bzero(cd, sizeof(*cd));	/* holds the password */
	free(cd);
	return ok;
}

/* Whether phrase hashes to hash; the comparison takes the same time
 * wherever the first difference is. */
static bool hash_matches(const char *phrase, const char *hash)
{
	char out[CRYPT_OUTPUT_SIZE];
	bool ok;

	work.hashes++;
	if (!hash_with(phrase, hash, out, sizeof(out)))
		return false;
	ok = consttime_streq(hash, out);
	explicit_bzero(out, sizeof(out));
	return ok;
}

static bool is_hash64(char c)
{
	return c == '.' || c == '/' || (c >= '0' && c <= '9') ||
	       (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

int auth_hash_check(const char *hash, char *why, size_t whysize)
{
	char out[CRYPT_OUTPUT_SIZE];
	const char *tail;

	switch (hash ? crypt_checksalt(hash) : CRYPT_SALT_INVALID) {
	case CRYPT_SALT_OK:
		break;
	case CRYPT_SALT_METHOD_LEGACY:
		snprintf(why, whysize, "a legacy method; make a yescrypt hash "
			 "with dpsim --hash-password");
		return -EINVAL;
	case CRYPT_SALT_METHOD_DISABLED:
		snprintf(why, whysize, "a method this libcrypt has disabled");
		return -EINVAL;
	case CRYPT_SALT_TOO_CHEAP:
		snprintf(why, whysize, "too cheap: more rounds are needed");
		return -EINVAL;
	default:
		snprintf(why, whysize, "malformed: libcrypt does not "
			 "recognise it");
		return -EINVAL;
	}
	/* crypt_checksalt reads only the setting: a cut or mistyped hash
	 * part would pass it and then never match any password. Hashing a
	 * dummy password shows the shape the hash part must have. */
	if (!hash_with("dpsim", hash, out, sizeof(out))) {
		snprintf(why, whysize, "libcrypt cannot hash with its setting");
		return -EINVAL;
	}
	tail = strrchr(hash, '$');
	tail = tail ? tail + 1 : hash;
	if (strlen(out) != strlen(hash) ||
	    strncmp(out, hash, (size_t)(tail - hash)) != 0) {
		snprintf(why, whysize, "malformed: its hash part is not the "
			 "%zu characters the method makes",
			 strlen(out) - (size_t)(tail - hash));
		return -EINVAL;
	}
	/* crypt_checksalt checks the alphabet of the methods tried here;
	 * this holds for any it does not. */
	for (; *tail; tail++) {
		if (!is_hash64(*tail)) {
			snprintf(why, whysize, "malformed: '%c' in its hash "
				 "part", *tail);
			return -EINVAL;
		}
	}
	return 0;
}

int auth_password_hash(const char *clear, char **out, char *err,
		       size_t errsize)
{
	char hash[CRYPT_OUTPUT_SIZE];
	char *salt;
	int rc;

	*out = NULL;
	if (!clear || !*clear) {
		snprintf(err, errsize, "the password is empty");
		return -EINVAL;
	}
	if (strlen(clear) > PASSWORD_MAX) {
		snprintf(err, errsize, "the password is longer than %d "
			 "characters", PASSWORD_MAX);
		return -EINVAL;
	}
	/* NULL random bytes: libxcrypt draws them from the system. */
	errno = 0;
	salt = crypt_gensalt_ra("$y$", 0, NULL, 0);
	if (!salt) {
		rc = errno ? -errno : -EIO;
		snprintf(err, errsize, "cannot make a salt: %s",
			 strerror(-rc));
		return rc;
	}
	if (!hash_with(clear, salt, hash, sizeof(hash))) {
		free(salt);
		snprintf(err, errsize, "libcrypt cannot hash with yescrypt");
		return -EIO;
	}
	free(salt);
	*out = strdup(hash);
	explicit_bzero(hash, sizeof(hash));
	if (!*out) {
		snprintf(err, errsize, "out of memory");
		return -ENOMEM;
	}
	return 0;
}

/* ---- the memo of accepted passwords ---------------------------------- */

struct auth_memo *auth_memo_new(void)
{
	struct auth_memo *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	unsigned char key[DIGEST_SIZE];

	if (gnutls_rnd(GNUTLS_RND_KEY, key, sizeof(key)) != 0 ||
	    pthread_mutex_init(&m->lock, NULL) != 0) {
		explicit_bzero(key, sizeof(key));
		explicit_bzero(m, sizeof(*m));
		free(m);
		return NULL;
	}
	hmac_sha256_set_key(&m->keyed, sizeof(key), key);
	explicit_bzero(key, sizeof(key));
	return m;
}

void auth_memo_free(struct auth_memo *m)
{
	if (!m)
		return;
	pthread_mutex_destroy(&m->lock);
	explicit_bzero(m, sizeof(*m));
	free(m);
}

/* d = HMAC(key, pass), from the keyed context (read-only, so callers
 * share it without a lock). */
static void keyed_digest(const struct auth_memo *m, const char *pass,
			 unsigned char d[DIGEST_SIZE])
{
	struct hmac_sha256_ctx c = m->keyed;

	hmac_sha256_update(&c, strlen(pass), (const uint8_t *)pass);
	hmac_sha256_digest(&c, DIGEST_SIZE, d);
	explicit_bzero(&c, sizeof(c));
}

bool auth_memo_remember(struct auth_memo *m, const char *pass)
{
	unsigned char d[DIGEST_SIZE];

	keyed_digest(m, pass, d);
	pthread_mutex_lock(&m->lock);
	memcpy(m->digest, d, DIGEST_SIZE);
	m->valid = true;
	pthread_mutex_unlock(&m->lock);
	explicit_bzero(d, sizeof(d));
	return true;
}

/* The keyed digest of pass under m's key, counted. */
static void memo_digest(struct auth_memo *m, const char *pass,
			unsigned char d[DIGEST_SIZE])
{
	work.digests++;
	keyed_digest(m, pass, d);
}

static bool memo_matches(struct auth_memo *m, const unsigned char *d)
{
	bool same;

	work.compares++;
	pthread_mutex_lock(&m->lock);
	/* Compared even when not valid, so an empty memo costs the same. */
	same = consttime_memeq(m->digest, d, DIGEST_SIZE) && m->valid;
	pthread_mutex_unlock(&m->lock);
	return same;
}

static void memo_store(struct auth_memo *m, const unsigned char *d)
{
	pthread_mutex_lock(&m->lock);
	memcpy(m->digest, d, DIGEST_SIZE);
	m->valid = true;
	pthread_mutex_unlock(&m->lock);
}

/* What an unknown name's password is checked against: a memo holding
 * the digest of a random password nobody knows, so the unknown name
 * pays the digest and the comparison a known one pays. */
static struct auth_memo *nobody_memo;
static pthread_once_t nobody_once = PTHREAD_ONCE_INIT;

static void nobody_init(void)
{
	unsigned char secret[DIGEST_SIZE];
	char hex[2 * DIGEST_SIZE + 1];

	nobody_memo = auth_memo_new();
	if (!nobody_memo ||
	    gnutls_rnd(GNUTLS_RND_KEY, secret, sizeof(secret)) != 0)
		return;
	for (size_t i = 0; i < sizeof(secret); i++)
		snprintf(hex + 2 * i, 3, "%02x", secret[i]);
	auth_memo_remember(nobody_memo, hex);
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(hex, sizeof(hex));
}

void auth_work_take(struct auth_work *out)
{
	*out = work;
	memset(&work, 0, sizeof(work));
}

/* ---- Basic credentials ------------------------------------------------ */

/* The hashed user whose hash an unknown name is checked against: one
 * picked by the name (ignoring case, so a name always costs the same),
 * so that when users' hashes differ in cost, unknown names cost what
 * known ones do, in the same proportions. NULL: no hashed user. */
static const struct fixture_user *decoy_for(const struct fixture *fx,
					    const char *name)
{
	uint32_t h = 2166136261u;	/* FNV-1a */
	size_t nhashed = 0;

	for (size_t i = 0; i < fx->nusers; i++)
		nhashed += fx->users[i].password_hash != NULL;
	if (!nhashed)
		return NULL;
	for (const char *c = name; *c; c++)
		h = (h ^ (uint32_t)tolower((unsigned char)*c)) * 16777619u;
	h %= (uint32_t)nhashed;
	for (size_t i = 0; i < fx->nusers; i++)
		if (fx->users[i].password_hash && h-- == 0)
			return &fx->users[i];
	return NULL;
}

/* The hash an unknown name, or a clear-text user's wrong password, pays
 * for when the fixture has hashed users: a hashed user's wrong password
 * costs one hash, so these must too. */
static void decoy_hash(const struct fixture *fx, const char *name,
		       const char *pass)
{
	const struct fixture_user *decoy = decoy_for(fx, name);

	if (decoy)
		(void)hash_matches(pass, decoy->password_hash);
}

/* Every check does the same work, whoever the name is and whatever kind
 * of password it has: the keyed digest of the password, one constant-time
 * comparison with a memo (a hashed user's last accepted password, a
 * clear-text user's password, or for an unknown name a password nobody
 * has), and on a mismatch one hash when the fixture has hashed users (the
 * user's own, else a decoy picked by the name). So a wrong password costs
 * the same for a known name and an unknown one; only a right password is
 * faster, and whoever sends it knows the name already. */
static bool check_password(const struct fixture *fx, const char *name,
			   const struct fixture_user *u, const char *pass)
{
	struct auth_memo *m = u ? u->memo : nobody_memo;
	unsigned char d[DIGEST_SIZE];
	bool have_digest = m != NULL;
	bool ok = false;

	if (m)
		memo_digest(m, pass, d);
	if (have_digest && memo_matches(m, d)) {
		ok = u != NULL;
	} else if (u && u->password_hash) {
		ok = hash_matches(pass, u->password_hash);
		if (ok && have_digest)
			memo_store(m, d);
	} else if (u && !m) {
		/* A user built without the fixture loader (no memo). */
		ok = u->password && consttime_streq(u->password, pass);
		decoy_hash(fx, name, pass);
	} else {
		decoy_hash(fx, name, pass);
	}
	explicit_bzero(d, sizeof(d));
	return ok;
}

bool auth_basic_user_name(const char *authorization, char *out, size_t size)
{
	char decoded[512] = "";

	if (size)
		out[0] = '\0';
	if (!authorization || strncasecmp(authorization, "Basic ", 6) != 0 || !size)
		return false;
	const char *b64 = authorization + 6;
	while (*b64 == ' ')
		b64++;
	long len = base64_decode(b64, decoded, sizeof(decoded));
	char *colon = len >= 0 ? strchr(decoded, ':') : NULL;
	bool ok = len >= 0 && (size_t)len == strlen(decoded) && colon;
	if (ok) {
		*colon = '\0';
		snprintf(out, size, "%s", decoded);
	}
	explicit_bzero(decoded, sizeof(decoded));
	return ok;
}

const struct fixture_user *auth_basic(const struct fixture *fx,
				      const char *authorization)
{
	const struct fixture_user *found = NULL;
	char decoded[512] = "";
	bool ok = false;

	if (!authorization || strncasecmp(authorization, "Basic ", 6) != 0)
		return NULL;
	pthread_once(&nobody_once, nobody_init);
	const char *b64 = authorization + 6;
	while (*b64 == ' ')
		b64++;
	long len = base64_decode(b64, decoded, sizeof(decoded));
	char *colon = len >= 0 ? strchr(decoded, ':') : NULL;
	/* Malformed, a NUL inside the credentials, or no colon. */
	if (len < 0 || (size_t)len != strlen(decoded) || !colon)
		goto out;
	*colon = '\0';
	const char *name = decoded, *pass = colon + 1;

	for (size_t i = 0; i < fx->nusers; i++) {
		/* User names are case-insensitive, as Windows account names. */
		if (strcasecmp(fx->users[i].name, name) == 0)
			found = &fx->users[i];
	}
	ok = check_password(fx, name, found, pass);
out:
	explicit_bzero(decoded, sizeof(decoded));
	return found && ok ? found : NULL;
}

bool auth_role_can_modify(const char *role)
{
	return role && (strcasecmp(role, "Full Administrator") == 0 ||
			strcasecmp(role, "Infrastructure Administrator") == 0);
}

/* ---- roles and security scopes at a site ------------------------------- */

/* The scope list of a role given at every site. */
static char *const all_scopes[] = { (char *)"All" };

static bool has_all(char *const *scopes, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(scopes[i], "All") == 0)
			return true;
	return false;
}

bool auth_access_at(const struct caller *who, const char *site,
		    struct auth_access *out)
{
	const struct fixture_user *u = who ? who->account : NULL;

	memset(out, 0, sizeof(*out));
	if (!who)
		return false;
	if (!u || !u->naccess) {
		out->role = u ? u->role : who->role;
		out->scopes = all_scopes;
		out->nscopes = 1;
		out->all = true;
		/* An internal caller without a role still reads, as
		 * before sites had access lists; Modify needs the role. */
		return true;
	}
	for (size_t i = 0; site && i < u->naccess; i++) {
		const struct fixture_access *a = &u->access[i];

		if (strcasecmp(a->site, site) != 0)
			continue;
		out->role = a->role;
		out->scopes = a->scopes;
		out->nscopes = a->nscopes;
		out->all = has_all(a->scopes, a->nscopes);
		return true;
	}
	return false;
}

bool auth_scopes_cover(const struct auth_access *a, char *const *obj,
		       size_t n)
{
	if (a->all)
		return true;
	if (!a->role)
		return false;
	for (size_t i = 0; i < a->nscopes; i++)
		for (size_t j = 0; j < n; j++)
			if (strcasecmp(a->scopes[i], obj[j]) == 0)
				return true;
	return false;
}

void auth_scopes_text(char *const *scopes, size_t n, char *out, size_t size)
{
	size_t used = 0;

	if (!size)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++) {
		int w = snprintf(out + used, size - used, "%s%s",
				 i ? ", " : "", scopes[i]);
		if (w < 0)
			break;
		used += (size_t)w;
	}
}

/* "Bearer TOKEN" against the admin token, in constant time
 * (consttime.h): a wrong guess learns nothing from how long it took. */
static bool bearer_ok(const char *want, const char *authorization)
{
	const char *got = authorization + 7;	/* after "Bearer " */

	while (*got == ' ')
		got++;
	return consttime_streq(want, got);
}

enum auth_outcome auth_identify(const struct auth_policy *pol,
				const struct front_request *rq,
				const struct fixture_user **user)
{
	const char *authz = rq->authorization;

	*user = NULL;
	if (!pol->schemes)
		return AUTH_ANONYMOUS;
	if (!authz) {
		const char *ident = front_header(rq, "WSMANIDENTIFY");

		if ((pol->schemes & AUTH_SCHEME_ANONYMOUS_IDENTIFY) && ident &&
		    !strcasecmp(ident, "unauthenticated"))
			return AUTH_ANONYMOUS;
		return AUTH_NO_CREDENTIALS;
	}
	if ((pol->schemes & AUTH_SCHEME_BASIC) && pol->fx &&
	    !strncasecmp(authz, "Basic ", 6)) {
		*user = auth_basic(pol->fx, authz);
		return *user ? AUTH_USER : AUTH_BAD_CREDENTIALS;
	}
	if ((pol->schemes & AUTH_SCHEME_ADMIN_BEARER) && pol->admin_token &&
	    !strncasecmp(authz, "Bearer ", 7))
		return bearer_ok(pol->admin_token, authz) ? AUTH_ADMIN
							  : AUTH_BAD_CREDENTIALS;
	return AUTH_BAD_CREDENTIALS;
}

void auth_refusal_reason(enum auth_outcome who, const char *authorization,
			 char *name, size_t namesize, char *why, size_t whysize)
{
	name[0] = '\0';
	if (who == AUTH_NO_CREDENTIALS)
		snprintf(why, whysize, "no credentials");
	else if (auth_basic_user_name(authorization, name, namesize))
		snprintf(why, whysize, "wrong password or unknown user '%s'", name);
	else
		snprintf(why, whysize, "credentials neither Basic nor readable");
}
