/* gsslib: MIT GSSAPI (libgssapi_krb5), loaded the first time Negotiate
 * needs it instead of when the program starts.
 *
 * Linked, the library and the six it brings (krb5, k5crypto, com_err,
 * krb5support, keyutils, resolv) cost every start of dpsim about 2 ms
 * of the dynamic loader's work, a tenth of its start-up, for a sign-in
 * method a run may never see (docs/architecture.md, Measured choices). dpsim
 * loads it on the thread that makes Negotiate's acceptor, beside the
 * rest of start-up; a libdpclient program loads it at its first
 * Negotiate exchange, and one that signs in with Basic never does.
 *
 * Both sides call GSSAPI through the table gsslib_load() returns; each
 * member is named and typed as the gss_* function of gssapi.h it holds,
 * so a call reads g->gss_wrap(...) with the header's own prototype.
 * The library stays loaded until the process ends (the NTLM mechanism
 * it loads in turn keeps state for the process's life), so the table,
 * which this module owns, is never freed.
 */
#ifndef DPSIM_WSMAN_GSSLIB_H
#define DPSIM_WSMAN_GSSLIB_H

#include <stddef.h>

#include <gssapi/gssapi.h>
#include <gssapi/gssapi_ext.h>

/* The library's file name (its soname): Debian's libgssapi-krb5-2. */
#define GSSLIB_SONAME "libgssapi_krb5.so.2"

/* Every GSSAPI call dpsim or libdpclient makes; one line here is all a
 * new one needs. */
#define GSSLIB_CALLS(X)                 \
	X(gss_accept_sec_context)       \
	X(gss_acquire_cred_from)        \
	X(gss_acquire_cred_with_password) \
	X(gss_delete_sec_context)       \
	X(gss_display_name)             \
	X(gss_display_status)           \
	X(gss_import_name)              \
	X(gss_init_sec_context)         \
	X(gss_release_buffer)           \
	X(gss_release_cred)             \
	X(gss_release_name)             \
	X(gss_set_neg_mechs)            \
	X(gss_unwrap)                   \
	X(gss_wrap)

struct gsslib {
#define GSSLIB_MEMBER(f) __typeof__(f) *f;
	GSSLIB_CALLS(GSSLIB_MEMBER)
#undef GSSLIB_MEMBER
	/* The library's name types (GSS_C_NT_HOSTBASED_SERVICE and
	 * GSS_C_NT_USER_NAME of gssapi.h, which are its variables). */
	gss_OID nt_hostbased_service;
	gss_OID nt_user_name;
};

/* The table, loading the library on the first call (once per process,
 * from any thread; later calls cost a pthread_once check). NULL when it
 * cannot be loaded or lacks a call: then, if err is not NULL, err
 * (errsize bytes) says why in one line naming the library, the same
 * line at every call. Code holding a security context made through the
 * table may pass NULL, 0: the library is loaded. */
const struct gsslib *gsslib_load(char *err, size_t errsize);

#endif
