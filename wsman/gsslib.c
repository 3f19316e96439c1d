/* gsslib: MIT GSSAPI loaded at run time (see gsslib.h). */
#include "gsslib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct gsslib table;
static const struct gsslib *loaded;
static char why[512];

static void load(void)
{
	/* Local: its symbols serve this table, not the program's other
	 * lookups. Now: a missing call is found here, not at first use. */
	void *h = dlopen(GSSLIB_SONAME, RTLD_NOW | RTLD_LOCAL);
	const char *missing = NULL;
	void *sym;

	if (!h) {
		snprintf(why, sizeof(why), "cannot load MIT GSSAPI (%s, Debian "
			 "package libgssapi-krb5-2): %s", GSSLIB_SONAME,
			 dlerror());
		return;
	}
	/* A function pointer from dlsym's void *, as POSIX allows. */
#define GSSLIB_RESOLVE(f)                                        \
	if (!missing && !(table.f = (__typeof__(table.f))dlsym(h, #f))) \
		missing = #f;
	GSSLIB_CALLS(GSSLIB_RESOLVE)
#undef GSSLIB_RESOLVE
	/* The name types are variables holding an OID pointer. */
	static const struct {
		const char *name;
		gss_OID *slot;
	} names[] = {
		{ "GSS_C_NT_HOSTBASED_SERVICE", &table.nt_hostbased_service },
		{ "GSS_C_NT_USER_NAME", &table.nt_user_name },
	};
	for (size_t i = 0; !missing && i < sizeof(names) / sizeof(names[0]); i++) {
		if ((sym = dlsym(h, names[i].name)))
			*names[i].slot = *(gss_OID *)sym;
		else
			missing = names[i].name;
	}
	if (missing) {
		snprintf(why, sizeof(why), "%s has no %s (MIT GSSAPI 1.11 "
			 "and later have it)", GSSLIB_SONAME, missing);
		dlclose(h);
		return;
	}
	loaded = &table;
}

const struct gsslib *gsslib_load(char *err, size_t errsize)
{
	pthread_once(&once, load);
	if (!loaded && err && errsize)
		snprintf(err, errsize, "%s", why);
	return loaded;
}
