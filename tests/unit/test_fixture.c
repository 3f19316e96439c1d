/* Unit tests for simulator/fixture.c: the bundled lab, a second good
 * fixture, every kind of structurally bad fixture (files under
 * tests/unit/fixtures/, each asserting file, line and cause), and merging.
 * Whether a <property> is a real SMS_DistributionPointInfo property with a
 * valid value is the provider's check: see test_provider.c.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libxml/parser.h>

#include "fixture.h"

#define FIXTURE_DIR SOURCE_ROOT "/tests/unit/fixtures/"

#define DP01_NAL "[\"Display=\\\\DP01.contoso.com\\\"]MSWNET:" \
		 "[\"SMS_SITE=PS1\"]\\\\DP01.contoso.com\\"

#define assert_contains(hay, needle) do { \
		const char *h_ = (hay), *n_ = (needle); \
		if (!h_ || !strstr(h_, n_)) \
			fail_msg("\"%s\" does not contain \"%s\"", \
				 h_ ? h_ : "(null)", n_); \
	} while (0)

static struct fixture *load_bundled(void)
{
	struct fixture *f = NULL;
	char err[512];
	size_t len = 0;
	const char *xml = fixture_bundled_lab(&len);
	int rc;

	assert_non_null(xml);
	assert_int_equal(strlen(xml), len);
	rc = fixture_load_memory("<bundled lab>", xml, len, &f, err,
				 sizeof(err));
	if (rc)
		fail_msg("bundled lab: %d %s", rc, err);
	assert_non_null(f);
	return f;
}

static const struct fixture_prop *find_prop(const struct fixture_dp *dp,
					    const char *name)
{
	size_t i;

	for (i = 0; i < dp->nprops; i++)
		if (strcmp(dp->props[i].name, name) == 0)
			return &dp->props[i];
	return NULL;
}

static void test_bundled_lab(void **state)
{
	static const struct {
		const char *fqdn, *kind;
		uint32_t maintenance;
	} want[] = {
		{ "DP01.contoso.com", "standard", 0 },
		{ "DP02.contoso.com", "standard", 1 },
		{ "PULLDP01.contoso.com", "pull", 0 },
		{ "PXE01.contoso.com", "pxe", 0 },
		{ "DP03.branch.contoso.com", "standard", 0 },
		{ "CLOUDDP01.cloudapp.net", "cloud", 0 },
	};
	struct fixture *f = load_bundled();
	const struct fixture_site *s;
	const struct fixture_prop *p;
	char *nal;
	size_t i;

	assert_string_equal(f->source, "<bundled lab>");
	assert_int_equal(f->nsites, 1);
	s = &f->sites[0];
	assert_string_equal(s->code, "PS1");
	assert_string_equal(s->name, "Contoso Lab");
	assert_string_equal(s->provider, "CM01.contoso.com");
	assert_true(s->line > 0);

	assert_int_equal(s->ndps, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < s->ndps; i++) {
		assert_string_equal(s->dps[i].fqdn, want[i].fqdn);
		assert_string_equal(s->dps[i].kind, want[i].kind);
		assert_int_equal(s->dps[i].maintenance, want[i].maintenance);
		assert_non_null(s->dps[i].description);
		assert_true(s->dps[i].line > s->line);
		if (i > 0)
			assert_true(s->dps[i].line > s->dps[i - 1].line);
		nal = fixture_nalpath(want[i].fqdn, "PS1");
		assert_string_equal(s->dps[i].nalpath, nal);
		free(nal);
	}
	assert_string_equal(s->dps[0].nalpath, DP01_NAL);
	assert_string_equal(s->dps[1].nalpath,
			    "[\"Display=\\\\DP02.contoso.com\\\"]MSWNET:"
			    "[\"SMS_SITE=PS1\"]\\\\DP02.contoso.com\\");

	/* PXE01 carries extra properties, as written in the file. */
	p = find_prop(&s->dps[3], "IsMulticast");
	assert_non_null(p);
	assert_string_equal(p->value, "true");
	assert_true(p->line > s->dps[3].line);
	p = find_prop(&s->dps[3], "ResponseDelay");
	assert_non_null(p);
	assert_string_equal(p->value, "0");
	assert_null(find_prop(&s->dps[1], "IsMulticast"));

	assert_int_equal(f->nusers, 3);
	assert_string_equal(f->users[0].name, "lab");
	assert_string_equal(f->users[0].password, "lab");
	assert_string_equal(f->users[0].role, "Full Administrator");
	assert_string_equal(f->users[1].name, "analyst");
	assert_string_equal(f->users[1].password, "analyst");
	assert_string_equal(f->users[1].role, "Read-only Analyst");
	assert_string_equal(f->users[2].name, "infra");
	assert_string_equal(f->users[2].password, "infra");
	assert_string_equal(f->users[2].role, "Infrastructure Administrator");
	assert_true(f->users[0].line > 0 && f->users[0].line < s->line);

	fixture_free(f);
}

/* The compiled-in copy is the file in the tree, byte for byte. */
static void test_lab_file_is_bundled(void **state)
{
	const char *path = SOURCE_ROOT "/fixtures/lab.xml";
	struct fixture *f = NULL, *b = load_bundled();
	char err[512], *data;
	size_t len, blen;
	const char *bundled = fixture_bundled_lab(&blen);
	FILE *fp;
	long size;

	fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	size = ftell(fp);
	rewind(fp);
	assert_true(size > 0);
	data = malloc((size_t)size);
	assert_non_null(data);
	len = fread(data, 1, (size_t)size, fp);
	fclose(fp);
	assert_int_equal(len, blen);
	assert_memory_equal(data, bundled, len);
	free(data);

	assert_int_equal(fixture_load_file(path, &f, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_string_equal(f->source, path);
	assert_int_equal(f->nsites, b->nsites);
	assert_int_equal(f->sites[0].ndps, b->sites[0].ndps);
	assert_int_equal(f->sites[0].dps[5].line, b->sites[0].dps[5].line);
	fixture_free(f);
	fixture_free(b);
}

static void test_defaults_and_raw_values(void **state)
{
	const char *path = FIXTURE_DIR "good_branch.xml";
	struct fixture *f = NULL;
	const struct fixture_site *s;
	const struct fixture_dp *dp;
	char err[512];

	if (fixture_load_file(path, &f, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(f->nusers, 1);
	assert_string_equal(f->users[0].role, "Operations Administrator");
	assert_int_equal(f->nsites, 1);
	s = &f->sites[0];
	assert_string_equal(s->code, "BR1");
	assert_int_equal(s->line, 7);
	assert_int_equal(s->ndps, 2);

	/* No kind, maintenance, description, nalpath: the defaults. */
	dp = &s->dps[0];
	assert_int_equal(dp->line, 8);
	assert_string_equal(dp->kind, "standard");
	assert_int_equal(dp->maintenance, 0);
	assert_null(dp->description);
	assert_int_equal(dp->nprops, 0);
	assert_string_equal(dp->nalpath,
			    "[\"Display=\\\\BRDP01.branch.contoso.com\\\"]"
			    "MSWNET:[\"SMS_SITE=BR1\"]"
			    "\\\\BRDP01.branch.contoso.com\\");

	/* A short name, an explicit NAL path, and <property> names and
	 * values kept exactly as written: the provider, which knows the
	 * class, matches the names and converts the values. */
	dp = &s->dps[1];
	assert_int_equal(dp->line, 9);
	assert_string_equal(dp->fqdn, "BRDP02");
	assert_string_equal(dp->kind, "pull");
	assert_int_equal(dp->maintenance, 1);
	assert_string_equal(dp->description, "Short name, explicit NAL path");
	assert_string_equal(dp->nalpath, "[\"Display=\\\\BRDP02\\\"]MSWNET:"
			    "[\"SMS_SITE=BR1\"]\\\\BRDP02\\");
	assert_int_equal(dp->nprops, 4);
	assert_string_equal(dp->props[0].name, "ispulldp");
	assert_string_equal(dp->props[0].value, " True ");
	assert_int_equal(dp->props[0].line, 12);
	assert_string_equal(dp->props[1].name, "Priority");
	assert_string_equal(dp->props[1].value, "007");
	assert_int_equal(dp->props[1].line, 13);
	assert_string_equal(dp->props[2].name, "IsPXE");
	assert_string_equal(dp->props[2].value, "0");
	assert_string_equal(dp->props[3].name, "Drive");
	assert_string_equal(dp->props[3].value, "E:\\");
	assert_int_equal(dp->props[3].line, 15);
	fixture_free(f);
}

static void test_nalpath(void **state)
{
	char *nal = fixture_nalpath("DP01.contoso.com", "PS1");

	assert_non_null(nal);
	assert_string_equal(nal, "[\"Display=\\\\DP01.contoso.com\\\"]"
			    "MSWNET:[\"SMS_SITE=PS1\"]\\\\DP01.contoso.com\\");
	/* configmgr-domain.md §2: the example is 73 characters */
	assert_int_equal(strlen(nal), 73);
	free(nal);
	assert_null(fixture_nalpath(NULL, "PS1"));
	assert_null(fixture_nalpath("DP01", NULL));
}

/* ---- bad fixtures: file, line, and two phrases about the cause ---- */

struct bad_case {
	const char *file;
	unsigned line;
	const char *cause;
	const char *detail;
};

#define BAD_FIXTURES(X) \
	X(malformed, 6, "not well-formed XML", "tag mismatch: dp line 5") \
	X(unknown_element, 5, "Element 'distribution-point'", \
	  "not expected") \
	X(maintenance, 5, "attribute 'maintenance'", \
	  "'2' is not an element of the set {'0', '1'}") \
	X(site_code, 4, "attribute 'code'", \
	  "'PS-2' is not a site code") \
	X(fqdn, 4, "attribute 'fqdn'", "'DP 01.contoso.com' is not a host") \
	X(role, 4, "attribute 'role'", "'Superuser' is not an element") \
	X(dup_site, 6, "Duplicate key-sequence ['PS1']", "'siteCode'") \
	X(dup_site_case, 6, "site 'ps1' duplicates the one at line 3", \
	  "ignore case") \
	X(dup_fqdn, 6, "DP 'dp01.CONTOSO.com' duplicates the one at line 4", \
	  "same FQDN") \
	X(dup_nalpath, 6, \
	  "DP 'DP01ALIAS.contoso.com' duplicates the one at line 4", \
	  "same NAL path, ignoring case") \
	X(dup_user, 6, "Duplicate key-sequence ['lab']", "'userName'") \
	X(dup_user_case, 5, "user 'LAB' duplicates the one at line 4", \
	  "ignore case") \
	X(dup_property, 7, "property 'ispxe' is already set at line 5", \
	  "(as 'IsPXE'; property names ignore case)") \
	X(dtd, 2, "DOCTYPE (DTD) is not allowed", "no entity declarations") \
	X(external_dtd, 3, "DOCTYPE (DTD) is not allowed", "no DTDs") \
	X(entity, 4, "not well-formed XML", "Entity 'lab' not defined") \
	X(root_namespace, 2, "root element <dpsim-fixture>", \
	  "namespace urn:dpsim:fixture:1")

#define BAD_CASE(name, ln, c, d) \
	static struct bad_case bad_##name = { \
		"bad_" #name ".xml", ln, c, d };
BAD_FIXTURES(BAD_CASE)

static void test_bad_fixture(void **state)
{
	const struct bad_case *bc = *state;
	struct fixture *f = (struct fixture *)&f;	/* must be reset */
	char path[512], where[512], err[512];
	int rc;

	snprintf(path, sizeof(path), "%s%s", FIXTURE_DIR, bc->file);
	rc = fixture_load_file(path, &f, err, sizeof(err));
	assert_int_equal(rc, -EINVAL);
	assert_null(f);
	/* one line, starting with the file as given and the line */
	snprintf(where, sizeof(where), "%s:%u: ", path, bc->line);
	if (strncmp(err, where, strlen(where)) != 0)
		fail_msg("\"%s\" does not start with \"%s\"", err, where);
	assert_null(strchr(err, '\n'));
	assert_contains(err, bc->cause);
	assert_contains(err, bc->detail);
}

/* A repeat spelled the same way names only the first line. */
static void test_dup_property_same_case(void **state)
{
	static const char xml[] =
		"<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n"
		"  <site code=\"PS1\" name=\"Lab\" provider=\"CM01\">\n"
		"    <dp fqdn=\"DP01\">\n"
		"      <property name=\"Priority\">1</property>\n"
		"      <property name=\"Priority\">2</property>\n"
		"    </dp>\n"
		"  </site>\n"
		"</dpsim-fixture>\n";
	struct fixture *f = NULL;
	char err[512];

	assert_int_equal(fixture_load_memory("dup.xml", xml, strlen(xml), &f,
					     err, sizeof(err)), -EINVAL);
	assert_null(f);
	assert_string_equal(err, "dup.xml:5: property 'Priority' is already "
			    "set at line 4");
}

/* The loader knows no class: a property the provider will refuse (see
 * test_provider.c) loads, name and value as written, line recorded. */
static void test_property_checks_left_to_provider(void **state)
{
	static const struct {
		const char *file;
		unsigned dp;
		const char *name, *value;
		unsigned line;
	} cases[] = {
		{ "bad_unknown_property.xml", 0, "IsMultycast", "true", 6 },
		{ "bad_reserved_property.xml", 0, "MaintenanceMode", "1", 5 },
		{ "bad_key_property.xml", 0, "nalpath", "x", 6 },
		{ "bad_description_property.xml", 0, "description", "Main DP",
		  5 },
		{ "bad_bool_property.xml", 1, "IsMulticast", "yes", 8 },
		{ "bad_uint_property.xml", 0, "Priority", "4294967296", 5 },
	};
	char path[512], err[512];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture *f = NULL;
		const struct fixture_dp *dp;
		const struct fixture_prop *p;

		snprintf(path, sizeof(path), "%s%s", FIXTURE_DIR,
			 cases[i].file);
		if (fixture_load_file(path, &f, err, sizeof(err)))
			fail_msg("%s: %s", cases[i].file, err);
		assert_string_equal(err, "");
		assert_true(cases[i].dp < f->sites[0].ndps);
		dp = &f->sites[0].dps[cases[i].dp];
		p = find_prop(dp, cases[i].name);
		if (!p)
			fail_msg("%s: no property '%s'", cases[i].file,
				 cases[i].name);
		assert_string_equal(p->value, cases[i].value);
		assert_int_equal(p->line, cases[i].line);
		fixture_free(f);
	}
}

static void test_missing_file(void **state)
{
	const char *path = FIXTURE_DIR "does_not_exist.xml";
	struct fixture *f = NULL;
	char err[512];

	assert_int_equal(fixture_load_file(path, &f, err, sizeof(err)),
			 -ENOENT);
	assert_null(f);
	assert_string_equal(err, "cannot read fixture " FIXTURE_DIR
			    "does_not_exist.xml: No such file or directory");
}

static void test_directory(void **state)
{
	struct fixture *f = NULL;
	char err[512];

	assert_int_equal(fixture_load_file(FIXTURE_DIR, &f, err,
					   sizeof(err)), -EISDIR);
	assert_null(f);
	assert_string_equal(err, "cannot read fixture " FIXTURE_DIR
			    ": Is a directory");
}

static void test_memory_errors(void **state)
{
	static const char not_xml[] = "site PS1 = Contoso Lab\n";
	static const char truncated[] =
		"<?xml version=\"1.0\"?>\n"
		"<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n"
		"  <site code=\"PS1\" name=\"Lab\" provider=\"CM01\">\n";
	static const char no_site[] =
		"<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n"
		"  <users/>\n"
		"</dpsim-fixture>\n";
	static const char wrong_root[] =
		"<lab xmlns=\"urn:dpsim:fixture:1\"/>";
	struct fixture *f = NULL;
	char err[512], tiny[12];

	assert_int_equal(fixture_load_memory("empty.xml", "", 0, &f, err,
					     sizeof(err)), -EINVAL);
	assert_null(f);
	assert_string_equal(err, "empty.xml:1: not well-formed XML: "
			    "the document is empty");

	assert_int_equal(fixture_load_memory("text.xml", not_xml,
					     strlen(not_xml), &f, err,
					     sizeof(err)), -EINVAL);
	assert_contains(err, "text.xml:1: not well-formed XML: ");

	assert_int_equal(fixture_load_memory("cut.xml", truncated,
					     strlen(truncated), &f, err,
					     sizeof(err)), -EINVAL);
	assert_contains(err, "cut.xml:4: not well-formed XML: ");

	assert_int_equal(fixture_load_memory("nosite.xml", no_site,
					     strlen(no_site), &f, err,
					     sizeof(err)), -EINVAL);
	assert_contains(err, "nosite.xml:1: ");
	assert_contains(err, "Missing child element(s)");
	assert_contains(err, "( site )");

	assert_int_equal(fixture_load_memory("root.xml", wrong_root,
					     strlen(wrong_root), &f, err,
					     sizeof(err)), -EINVAL);
	assert_string_equal(err, "root.xml:1: root element must be "
			    "<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">, "
			    "not <lab>");

	/* Small or absent buffers: truncated, terminated, no overflow. */
	assert_int_equal(fixture_load_memory("text.xml", not_xml,
					     strlen(not_xml), &f, tiny,
					     sizeof(tiny)), -EINVAL);
	assert_string_equal(tiny, "text.xml:1:");
	assert_int_equal(fixture_load_memory("text.xml", not_xml,
					     strlen(not_xml), &f, NULL, 0),
			 -EINVAL);
	assert_null(f);
}

/* ---- merge ---------------------------------------------------------- */

static struct fixture *load_test_file(const char *name)
{
	char path[512], err[512];
	struct fixture *f = NULL;

	snprintf(path, sizeof(path), "%s%s", FIXTURE_DIR, name);
	if (fixture_load_file(path, &f, err, sizeof(err)))
		fail_msg("%s", err);
	return f;
}

static void test_merge(void **state)
{
	struct fixture *lab = load_bundled();
	struct fixture *branch = load_test_file("good_branch.xml");
	char err[512];

	assert_int_equal(fixture_merge(lab, &branch, err, sizeof(err)), 0);
	assert_null(branch);
	assert_string_equal(err, "");
	assert_int_equal(lab->nsites, 2);
	assert_string_equal(lab->sites[0].code, "PS1");
	assert_int_equal(lab->sites[0].ndps, 6);
	assert_string_equal(lab->sites[1].code, "BR1");
	assert_int_equal(lab->sites[1].line, 7);
	assert_int_equal(lab->sites[1].ndps, 2);
	assert_string_equal(lab->sites[1].dps[1].props[0].value, " True ");
	assert_int_equal(lab->nusers, 4);
	assert_string_equal(lab->users[2].name, "infra");
	assert_string_equal(lab->users[3].name, "ops");
	assert_string_equal(lab->source, "<bundled lab>, " FIXTURE_DIR
			    "good_branch.xml");

	/* Nothing to merge is not an error. */
	assert_int_equal(fixture_merge(lab, &branch, err, sizeof(err)), 0);
	assert_int_equal(lab->nsites, 2);
	fixture_free(lab);
}

static void test_merge_conflict(void **state)
{
	struct fixture *lab = load_bundled();
	struct fixture *other = load_test_file("merge_conflict_site.xml");
	char err[512], want[512];

	/* Site codes collide ignoring case; lab stays as it was. */
	assert_int_equal(fixture_merge(lab, &other, err, sizeof(err)),
			 -EINVAL);
	snprintf(want, sizeof(want), "%smerge_conflict_site.xml:4: site "
		 "'ps1' is already defined in <bundled lab> (line %u)",
		 FIXTURE_DIR, lab->sites[0].line);
	assert_string_equal(err, want);
	assert_non_null(other);
	assert_int_equal(other->nsites, 2);
	assert_int_equal(lab->nsites, 1);
	assert_int_equal(lab->nusers, 3);
	assert_string_equal(lab->source, "<bundled lab>");
	fixture_free(other);

	/* User names too. */
	other = load_test_file("merge_conflict_user.xml");
	assert_int_equal(fixture_merge(lab, &other, err, sizeof(err)),
			 -EINVAL);
	snprintf(want, sizeof(want), "%smerge_conflict_user.xml:4: user "
		 "'Analyst' is already defined in <bundled lab> (line %u)",
		 FIXTURE_DIR, lab->users[1].line);
	assert_string_equal(err, want);
	assert_non_null(other);
	assert_int_equal(lab->nsites, 1);
	assert_int_equal(lab->nusers, 3);
	fixture_free(other);
	fixture_free(lab);
}

#define BAD_TEST(name, ln, c, d) \
	{ "bad_" #name, test_bad_fixture, NULL, NULL, &bad_##name },

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bundled_lab),
		cmocka_unit_test(test_lab_file_is_bundled),
		cmocka_unit_test(test_defaults_and_raw_values),
		cmocka_unit_test(test_nalpath),
		BAD_FIXTURES(BAD_TEST)
		cmocka_unit_test(test_dup_property_same_case),
		cmocka_unit_test(test_property_checks_left_to_provider),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_memory_errors),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_merge_conflict),
	};
	int rc;

	xmlInitParser();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
