#include "tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

/* PEM files are small; anything larger is not what was meant. */
#define PEM_MAX (1024 * 1024)

struct tls_material {
	char *cert_pem;		/* NUL-terminated, as MHD wants it */
	char *key_pem;		/* wiped before it is freed */
	size_t key_size;	/* allocated bytes of key_pem */
};

/* Reads path whole into *out (malloc'd, NUL-terminated). opt names the
 * option in the one-line error. */
static int read_pem(const char *opt, const char *path, char **out,
		    size_t *size, char *err, size_t errsize)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, len = 0;
	char *b = NULL;
	int e = 0;

	*out = NULL;
	if (!f) {
		e = errno;
		snprintf(err, errsize, "--%s %s: cannot read it: %s", opt, path,
			 strerror(e));
		return -e;
	}
	for (;;) {
		char *nb = malloc(cap);
		if (!nb) {
			e = ENOMEM;
			break;
		}
		if (b) {
			memcpy(nb, b, len);
			explicit_bzero(b, len);	/* may be key text */
			free(b);
		}
		b = nb;
		len += fread(b + len, 1, cap - len - 1, f);
		if (ferror(f)) {
			e = errno ? errno : EIO;
			break;
		}
		if (feof(f) || len > PEM_MAX)
			break;
		cap *= 2;
	}
	fclose(f);
	if (!e && len > PEM_MAX) {
		snprintf(err, errsize, "--%s %s: larger than %d bytes, not a PEM file",
			 opt, path, PEM_MAX);
		e = EFBIG;
	} else if (e) {
		snprintf(err, errsize, "--%s %s: cannot read it: %s", opt, path,
			 strerror(e));
	}
	if (e) {
		if (b)
			explicit_bzero(b, cap);
		free(b);
		return -e;
	}
	b[len] = '\0';
	*out = b;
	*size = cap;
	return 0;
}

static void format_time(time_t t, char *out, size_t size)
{
	struct tm tm;

	if (t == (time_t)-1 || !gmtime_r(&t, &tm) ||
	    !strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, size, "(unknown)");
}

/* "DNS:localhost IP:127.0.0.1": the names a client checks the host
 * against, so a log reader sees at once why a name does not match. */
static void format_alt_names(gnutls_x509_crt_t crt, char *out, size_t size)
{
	size_t n = 0;

	out[0] = '\0';
	for (unsigned i = 0; n < size; i++) {
		unsigned char v[256];
		size_t vl = sizeof(v) - 1;
		char ip[INET6_ADDRSTRLEN];
		int t = gnutls_x509_crt_get_subject_alt_name(crt, i, v, &vl, NULL);

		if (t == GNUTLS_E_SHORT_MEMORY_BUFFER)
			continue;	/* a name too long to be useful here */
		if (t < 0)
			break;
		if (t == GNUTLS_SAN_DNSNAME) {
			v[vl] = '\0';
			n += (size_t)snprintf(out + n, size - n, "%sDNS:%s",
					      n ? " " : "", (char *)v);
		} else if (t == GNUTLS_SAN_IPADDRESS && (vl == 4 || vl == 16) &&
			   inet_ntop(vl == 4 ? AF_INET : AF_INET6, v, ip, sizeof(ip))) {
			n += (size_t)snprintf(out + n, size - n, "%sIP:%s",
					      n ? " " : "", ip);
		}
	}
	if (!out[0])
		snprintf(out, size, "none");
}

/* Logs who the certificate says the server is and until when; warns
 * when clients will refuse it for its dates. */
static void describe_cert(const char *path, gnutls_x509_crt_t crt, unsigned n)
{
	gnutls_datum_t dn = { NULL, 0 };
	time_t now = time(NULL);
	time_t from = gnutls_x509_crt_get_activation_time(crt);
	time_t until = gnutls_x509_crt_get_expiration_time(crt);
	char sfrom[32], suntil[32], names[512];

	format_time(from, sfrom, sizeof(sfrom));
	format_time(until, suntil, sizeof(suntil));
	format_alt_names(crt, names, sizeof(names));
	if (gnutls_x509_crt_get_dn3(crt, &dn, 0) < 0)
		dn.data = NULL;
	log_info("TLS certificate %s: subject %s; names %s; valid from %s until %s"
		 "; %u certificate(s) in the chain", path,
		 dn.data ? (const char *)dn.data : "(unreadable)", names, sfrom,
		 suntil, n);
	gnutls_free(dn.data);
	if (until != (time_t)-1 && now > until)
		log_warn("TLS certificate %s expired on %s: clients that verify it "
			 "will refuse the connection", path, suntil);
	else if (from != (time_t)-1 && now < from)
		log_warn("TLS certificate %s is not valid before %s: clients that "
			 "verify it will refuse the connection", path, sfrom);
}

static int check_cert(const char *path, const char *pem, char *err,
		      size_t errsize)
{
	gnutls_datum_t d = { (unsigned char *)pem, (unsigned)strlen(pem) };
	gnutls_x509_crt_t *crts = NULL;
	unsigned n = 0;

	if (!strstr(pem, "-----BEGIN CERTIFICATE-----") &&
	    !strstr(pem, "-----BEGIN X509 CERTIFICATE-----")) {
		snprintf(err, errsize, "--tls-cert %s: not a PEM certificate (%s)",
			 path, strstr(pem, "PRIVATE KEY-----") ?
			 "it holds a private key: swapped with --tls-key?" :
			 "no -----BEGIN CERTIFICATE----- block");
		return -EINVAL;
	}
	int r = gnutls_x509_crt_list_import2(&crts, &n, &d, GNUTLS_X509_FMT_PEM, 0);
	if (r < 0 || n == 0) {
		snprintf(err, errsize, "--tls-cert %s: not a PEM certificate: %s",
			 path, r < 0 ? gnutls_strerror(r) : "no certificate in it");
		return -EINVAL;
	}
	describe_cert(path, crts[0], n);
	for (unsigned i = 0; i < n; i++)
		gnutls_x509_crt_deinit(crts[i]);
	gnutls_free(crts);
	return 0;
}

static int check_key(const char *path, const char *pem, char *err,
		     size_t errsize)
{
	gnutls_datum_t d = { (unsigned char *)pem, (unsigned)strlen(pem) };
	gnutls_x509_privkey_t key;

	if (strstr(pem, "-----BEGIN ENCRYPTED PRIVATE KEY-----") ||
	    strstr(pem, "Proc-Type: 4,ENCRYPTED")) {
		snprintf(err, errsize, "--tls-key %s: the private key is encrypted; "
			 "dpsim needs it unencrypted (openssl pkey -in KEY -out "
			 "plain.pem)", path);
		return -EINVAL;
	}
	if (!strstr(pem, "PRIVATE KEY-----")) {
		snprintf(err, errsize, "--tls-key %s: not a PEM private key (%s)",
			 path, strstr(pem, "-----BEGIN CERTIFICATE-----") ?
			 "it holds a certificate: swapped with --tls-cert?" :
			 "no -----BEGIN PRIVATE KEY----- block");
		return -EINVAL;
	}
	int r = gnutls_x509_privkey_init(&key);
	if (r >= 0) {
		r = gnutls_x509_privkey_import2(key, &d, GNUTLS_X509_FMT_PEM, NULL,
						GNUTLS_PKCS_PLAIN);
		gnutls_x509_privkey_deinit(key);	/* wipes what it parsed */
	}
	if (r < 0) {
		snprintf(err, errsize, "--tls-key %s: not a PEM private key: %s",
			 path, gnutls_strerror(r));
		return -EINVAL;
	}
	return 0;
}

/* The check MHD's own loading makes, done first so that its failure is
 * an error naming both files rather than "cannot start the server". */
static int check_pair(const char *cert_file, const char *key_file,
		      const struct tls_material *t, char *err, size_t errsize)
{
	gnutls_certificate_credentials_t cred;
	gnutls_datum_t c = { (unsigned char *)t->cert_pem, (unsigned)strlen(t->cert_pem) };
	gnutls_datum_t k = { (unsigned char *)t->key_pem, (unsigned)strlen(t->key_pem) };
	int r = gnutls_certificate_allocate_credentials(&cred);

	if (r < 0) {
		snprintf(err, errsize, "cannot load TLS credentials: %s",
			 gnutls_strerror(r));
		return -ENOMEM;
	}
	r = gnutls_certificate_set_x509_key_mem2(cred, &c, &k, GNUTLS_X509_FMT_PEM,
						 NULL, 0);
	gnutls_certificate_free_credentials(cred);
	if (r == GNUTLS_E_CERTIFICATE_KEY_MISMATCH) {
		snprintf(err, errsize, "--tls-key %s does not match the certificate "
			 "in --tls-cert %s", key_file, cert_file);
		return -EINVAL;
	}
	if (r < 0) {
		snprintf(err, errsize, "--tls-cert %s with --tls-key %s: %s",
			 cert_file, key_file, gnutls_strerror(r));
		return -EINVAL;
	}
	return 0;
}

int tls_material_load(const char *cert_file, const char *key_file,
		      struct tls_material **out, char *err, size_t errsize)
{
	struct tls_material *t = calloc(1, sizeof(*t));
	size_t cert_size;
	int r;

	*out = NULL;
	if (!t) {
		snprintf(err, errsize, "out of memory");
		return -ENOMEM;
	}
	r = read_pem("tls-cert", cert_file, &t->cert_pem, &cert_size, err, errsize);
	if (!r)
		r = read_pem("tls-key", key_file, &t->key_pem, &t->key_size, err,
			     errsize);
	if (!r)
		r = check_cert(cert_file, t->cert_pem, err, errsize);
	if (!r)
		r = check_key(key_file, t->key_pem, err, errsize);
	if (!r)
		r = check_pair(cert_file, key_file, t, err, errsize);
	if (r) {
		tls_material_free(t);
		return r;
	}
	*out = t;
	return 0;
}

void tls_material_free(struct tls_material *t)
{
	if (!t)
		return;
	if (t->key_pem)
		explicit_bzero(t->key_pem, t->key_size);
	free(t->key_pem);
	free(t->cert_pem);
	free(t);
}

const char *tls_material_cert_pem(const struct tls_material *t)
{
	return t->cert_pem;
}

const char *tls_material_key_pem(const struct tls_material *t)
{
	return t->key_pem;
}
