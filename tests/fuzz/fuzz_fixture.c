/* fuzz_fixture: fixture_load_memory() on arbitrary bytes -- a --fixture
 * file is operator input, but it is parsed by the same libxml2 set-up as
 * hostile envelopes and must fail with a message, never crash. Every
 * document is validated against the embedded XSD first, so most mutations
 * stop there; the seeds (fixtures/lab.xml, tests/unit/fixtures/) keep
 * the fuzzer near valid documents so the loader's own checks run too.
 * A fixture that loads is merged into the bundled lab, which exercises
 * fixture_merge()'s conflict checks. */
#include <errno.h>

#include "fixture.h"
#include "fuzz_common.h"

static void check_props(const struct fixture_prop *p, size_t n)
{
	FUZZ_CHECK(n == 0 || p != NULL);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(p[i].name != NULL);
		fuzz_touch(p[i].value);
	}
}

static void check_classes(const struct fixture_site *s)
{
	FUZZ_CHECK(s->ngroups == 0 || s->groups != NULL);
	for (size_t i = 0; i < s->ngroups; i++) {
		const struct fixture_boundary_group *g = &s->groups[i];

		FUZZ_CHECK(g->name != NULL);
		fuzz_touch(g->description);
		FUZZ_CHECK(g->ndps == 0 || g->dp_fqdns != NULL);
		for (size_t j = 0; j < g->ndps; j++) {
			FUZZ_CHECK(g->dp_fqdns[j] != NULL);
			fuzz_touch(g->dp_fqdns[j]);
		}
	}
	FUZZ_CHECK(s->nclasses == 0 || s->classes != NULL);
	for (size_t i = 0; i < s->nclasses; i++) {
		const struct fixture_class *c = &s->classes[i];

		FUZZ_CHECK(c->name != NULL);
		fuzz_touch(c->ns);
		FUZZ_CHECK(c->nprops == 0 || c->props != NULL);
		for (size_t j = 0; j < c->nprops; j++) {
			FUZZ_CHECK(c->props[j].name != NULL);
			FUZZ_CHECK(c->props[j].type != NULL);
			fuzz_touch(c->props[j].type);
		}
		FUZZ_CHECK(c->ninstances == 0 || c->instances != NULL);
		for (size_t j = 0; j < c->ninstances; j++)
			check_props(c->instances[j].props,
				    c->instances[j].nprops);
	}
}

static void check_fixture(const struct fixture *f)
{
	FUZZ_CHECK(f->nsites == 0 || f->sites != NULL);
	FUZZ_CHECK(f->nusers == 0 || f->users != NULL);
	fuzz_touch(f->source);
	for (size_t i = 0; i < f->nsites; i++) {
		const struct fixture_site *s = &f->sites[i];

		FUZZ_CHECK(s->code != NULL);
		fuzz_touch(s->code);
		fuzz_touch(s->name);
		fuzz_touch(s->provider);
		FUZZ_CHECK(s->ndps == 0 || s->dps != NULL);
		for (size_t j = 0; j < s->ndps; j++) {
			const struct fixture_dp *dp = &s->dps[j];
			char *nal;

			FUZZ_CHECK(dp->fqdn != NULL && dp->nalpath != NULL);
			FUZZ_CHECK(dp->maintenance <= 1);
			fuzz_touch(dp->kind);
			fuzz_touch(dp->description);
			check_props(dp->props, dp->nprops);
			nal = fixture_nalpath(dp->fqdn, s->code);
			FUZZ_CHECK(nal != NULL);
			free(nal);
		}
		check_classes(s);
	}
	for (size_t i = 0; i < f->nusers; i++) {
		FUZZ_CHECK(f->users[i].name != NULL);
		fuzz_touch(f->users[i].password);
		fuzz_touch(f->users[i].role);
	}
}

/* One-line "NAME:LINE: what" (fixture.h) on failure. */
static void check_error(const char *err, size_t size)
{
	FUZZ_CHECK(memchr(err, '\0', size) != NULL);
	FUZZ_CHECK(err[0] != '\0');
	FUZZ_CHECK(strchr(err, '\n') == NULL);
}

static void merge_into_lab(struct fixture *f)
{
	struct fixture *lab = NULL;
	size_t len;
	const char *xml = fixture_bundled_lab(&len);
	char err[256];
	int rc;

	FUZZ_CHECK(fixture_load_memory("<bundled lab>", xml, len, &lab, err,
				       sizeof(err)) == 0);
	rc = fixture_merge(lab, &f, err, sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc == 0) {
		FUZZ_CHECK(f == NULL);
		check_fixture(lab);
	} else {
		check_error(err, sizeof(err));
	}
	fixture_free(f);
	fixture_free(lab);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_xml_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char poison;
	struct fixture *f = (void *)&poison;
	char err[256];
	int rc;

	memset(err, 'x', sizeof(err));
	rc = fixture_load_memory("fuzz.xml", (const char *)data, size, &f, err,
				 sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc != 0) {
		check_error(err, sizeof(err));
		return 0;
	}
	FUZZ_CHECK(f != NULL);
	check_fixture(f);
	merge_into_lab(f);
	return 0;
}
