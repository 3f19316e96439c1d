/* tls: the certificate chain and private key dpsim serves HTTPS with,
 * read from PEM files and checked with GnuTLS before anything is served,
 * so a bad file is one line naming it and the cause. http.c hands the
 * PEM text to libmicrohttpd. */
#ifndef DPSIM_TLS_H
#define DPSIM_TLS_H

#include <stddef.h>

/* A certificate chain and its private key, read from PEM files and
 * checked with GnuTLS before anything is served. */
struct tls_material;

/* Reads and checks --tls-cert / --tls-key: each file readable, the first
 * a PEM certificate (chain), the second an unencrypted PEM private key
 * that matches it. Logs the certificate's subject, names and expiry at
 * info, and warns when it is expired or not yet valid. On failure
 * returns -errno and one line naming the file and the cause into err. */
int tls_material_load(const char *cert_file, const char *key_file,
		      struct tls_material **out, char *err, size_t errsize);
/* Wipes the key text and frees. NULL is fine. */
void tls_material_free(struct tls_material *t);

/* The PEM text, NUL-terminated, owned by t (valid until
 * tls_material_free). */
const char *tls_material_cert_pem(const struct tls_material *t);
const char *tls_material_key_pem(const struct tls_material *t);

#endif
