/* Unit tests for simulator/fixture.c: the bundled lab (DPs, boundary
 * groups, declared classes), second good fixtures, every kind of
 * structurally bad fixture (files under tests/unit/fixtures/, each
 * asserting file, line and cause), and merging.
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
#include <nettle/sha2.h>

#include "faults.h"
#include "fixture.h"
#include "hresult.h"

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
	rc = fixture_load_memory(FIXTURE_BUNDLED_LAB, xml, len, &f, err,
				 sizeof(err));
	if (rc)
		fail_msg("bundled lab: %d %s", rc, err);
	assert_non_null(f);
	return f;
}

/* The digest is the SHA-256 of the bytes; a document whose digest is
 * listed as validated skips the schema check, only a whole word of the
 * list counts, and any change to the bytes changes the digest. */
static void test_digest_and_known(void **state)
{
	struct fixture *f = load_bundled(), *g = NULL;
	char err[512], list[300], doc[4096];
	size_t len = 0;
	const char *xml = fixture_bundled_lab(&len);

	assert_int_equal(strlen(f->digest), 64);
	assert_false(f->schema_skipped);
	snprintf(list, sizeof(list), "aaaa %s bbbb", f->digest);
	assert_int_equal(fixture_load_memory_known("<bundled lab>", xml, len, list, &g,
						   err, sizeof(err)), 0);
	assert_true(g->schema_skipped);
	assert_string_equal(g->digest, f->digest);
	fixture_free(g);

	/* A longer word holding the digest is not the digest. */
	snprintf(list, sizeof(list), "x%s", f->digest);
	assert_int_equal(fixture_load_memory_known("<bundled lab>", xml, len, list, &g,
						   err, sizeof(err)), 0);
	assert_false(g->schema_skipped);
	fixture_free(g);

	/* An invalid document is checked unless its own digest is listed:
	 * the bundled lab's does not vouch for it. */
	snprintf(doc, sizeof(doc), "<?xml version=\"1.0\"?>\n<dpsim-fixture "
		 "xmlns=\"urn:dpsim:fixture:1\">\n  <site code=\"PS1\" name=\"x\" "
		 "provider=\"CM01.contoso.com\">\n    <dp fqdn=\"DP01.contoso.com\" "
		 "kind=\"standard\" maintenance=\"7\"/>\n  </site>\n</dpsim-fixture>\n");
	snprintf(list, sizeof(list), "%s", f->digest);
	assert_int_equal(fixture_load_memory_known("bad.xml", doc, strlen(doc), list, &g,
						   err, sizeof(err)), -EINVAL);
	assert_contains(err, "bad.xml:4");
	fixture_free(f);
}

/* fixture_load_bundled_lab skips the schema check on the strength of
 * this test: the bundled lab passes it (load_bundled runs it), and the
 * loader gives the same document's fixture, marked as not checked. */
static void test_bundled_lab_vouched_for(void **state)
{
	(void)state;
	struct fixture *f = load_bundled(), *g = NULL;
	char err[512];

	assert_false(f->schema_skipped);
	assert_int_equal(fixture_load_bundled_lab(&g, err, sizeof(err)), 0);
	assert_true(g->schema_skipped);
	assert_string_equal(g->source, FIXTURE_BUNDLED_LAB);
	assert_string_equal(g->digest, f->digest);
	assert_int_equal(g->nsites, f->nsites);
	assert_int_equal(g->nusers, f->nusers);
	for (size_t i = 0; i < f->nsites; i++) {
		assert_string_equal(g->sites[i].code, f->sites[i].code);
		assert_int_equal(g->sites[i].ndps, f->sites[i].ndps);
	}
	fixture_free(g);
	fixture_free(f);
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

	assert_int_equal(f->nusers, 4);
	assert_string_equal(f->users[0].name, "lab");
	assert_string_equal(f->users[0].password, "lab");
	assert_null(f->users[0].password_hash);
	/* a memo for every user: a check costs the same for any (auth.h) */
	assert_non_null(f->users[0].memo);
	assert_string_equal(f->users[0].role, "Full Administrator");
	assert_int_equal(f->users[0].naccess, 0);
	/* analyst's password "analyst" is stored as a sha512crypt hash. */
	assert_string_equal(f->users[1].name, "analyst");
	assert_null(f->users[1].password);
	assert_non_null(f->users[1].password_hash);
	assert_memory_equal(f->users[1].password_hash, "$6$", 3);
	assert_non_null(f->users[1].memo);
	assert_string_equal(f->users[1].role, "Read-only Analyst");
	assert_string_equal(f->users[2].name, "infra");
	assert_string_equal(f->users[2].password, "infra");
	assert_string_equal(f->users[2].role, "Infrastructure Administrator");
	assert_true(f->users[0].line > 0 && f->users[0].line < s->line);
	/* branch: Infrastructure Administrator at PS1 in scope Branch. */
	assert_string_equal(f->users[3].name, "branch");
	assert_string_equal(f->users[3].password, "branch");
	assert_null(f->users[3].role);
	assert_int_equal(f->users[3].naccess, 1);
	assert_string_equal(f->users[3].access[0].site, "PS1");
	assert_string_equal(f->users[3].access[0].role,
			    "Infrastructure Administrator");
	assert_int_equal(f->users[3].access[0].nscopes, 1);
	assert_string_equal(f->users[3].access[0].scopes[0], "Branch");
	assert_true(f->users[3].access[0].line > f->users[3].line);
	/* DP03 is in scope Branch, every other DP in Default. */
	for (i = 0; i < s->ndps; i++) {
		assert_int_equal(s->dps[i].nscopes, 1);
		assert_string_equal(s->dps[i].scopes[0],
				    strcmp(s->dps[i].fqdn,
					   "DP03.branch.contoso.com")
				    ? "Default" : "Branch");
	}

	fixture_free(f);
}

static const struct fixture_class *find_class(const struct fixture_site *s,
					      const char *name)
{
	size_t i;

	for (i = 0; i < s->nclasses; i++)
		if (strcmp(s->classes[i].name, name) == 0)
			return &s->classes[i];
	return NULL;
}

/* Text of the value of property name in an instance, NULL if unset. */
static const char *inst_value(const struct fixture_instance *in,
			      const char *name)
{
	size_t i;

	for (i = 0; i < in->nprops; i++)
		if (strcmp(in->props[i].name, name) == 0)
			return in->props[i].value;
	return NULL;
}

static const struct fixture_dp *dp_by_nalpath(const struct fixture_site *s,
					      const char *nalpath)
{
	size_t i;

	for (i = 0; nalpath && i < s->ndps; i++)
		if (strcmp(s->dps[i].nalpath, nalpath) == 0)
			return &s->dps[i];
	return NULL;
}

static void test_bundled_lab_groups(void **state)
{
	static const struct {
		const char *name;
		size_t ndps;
		const char *dps[4];
	} want[] = {
		{ "HQ clients", 4, { "DP01.contoso.com", "DP02.contoso.com",
				     "PULLDP01.contoso.com",
				     "PXE01.contoso.com" } },
		{ "Branch office", 2, { "DP03.branch.contoso.com",
					"DP01.contoso.com" } },
		{ "Internet clients", 1, { "CLOUDDP01.cloudapp.net" } },
	};
	struct fixture *f = load_bundled();
	const struct fixture_site *s = &f->sites[0];
	size_t i, j;

	assert_int_equal(s->ngroups, 3);
	for (i = 0; i < s->ngroups; i++) {
		const struct fixture_boundary_group *g = &s->groups[i];

		assert_string_equal(g->name, want[i].name);
		assert_non_null(g->description);
		assert_true(g->line > s->dps[s->ndps - 1].line);
		assert_int_equal(g->ndps, want[i].ndps);
		for (j = 0; j < g->ndps; j++)
			assert_string_equal(g->dp_fqdns[j], want[i].dps[j]);
	}
	fixture_free(f);
}

/* The lab's pull DP copies from DP01; no other DP has a source. */
static void test_bundled_lab_sources(void **state)
{
	struct fixture *f = load_bundled();
	const struct fixture_site *s = &f->sites[0];

	for (size_t i = 0; i < s->ndps; i++) {
		const struct fixture_dp *d = &s->dps[i];

		if (strcmp(d->fqdn, "PULLDP01.contoso.com") != 0) {
			assert_int_equal(d->nsources, 0);
			continue;
		}
		assert_int_equal(d->nsources, 1);
		assert_string_equal(d->sources[0].fqdn, "DP01.contoso.com");
		assert_string_equal(s->dps[d->sources[0].dp].fqdn,
				    "DP01.contoso.com");
		assert_true(d->sources[0].line > d->line);
	}
	fixture_free(f);
}

/* Sources may name a DP further down, in any case; each is stored as
 * the DP's own spelling and index, in document order, with its line. */
static void test_sources(void **state)
{
	struct fixture *f = NULL;
	const struct fixture_site *s;
	const struct fixture_dp *p3, *p1;
	char err[512];

	if (fixture_load_file(FIXTURE_DIR "good_chain.xml", &f, err,
			      sizeof(err)))
		fail_msg("%s", err);
	s = &f->sites[0];
	p3 = &s->dps[0];
	assert_string_equal(p3->fqdn, "PULL03.contoso.com");
	assert_int_equal(p3->nsources, 2);
	assert_string_equal(p3->sources[0].fqdn, "PULL02.contoso.com");
	assert_int_equal(p3->sources[0].dp, 2);
	assert_int_equal(p3->sources[0].line, 20);
	assert_string_equal(p3->sources[1].fqdn, "PULL01.contoso.com");
	assert_int_equal(p3->sources[1].dp, 3);
	assert_int_equal(p3->sources[1].line, 21);
	p1 = &s->dps[3];
	assert_int_equal(p1->nprops, 1);
	assert_int_equal(p1->nsources, 1);
	assert_int_equal(p1->sources[0].dp, 1);
	assert_int_equal(p1->sources[0].line, 29);
	/* the other way round: who copies from whom, in document order */
	const struct fixture_dp *dp01 = &s->dps[1];
	assert_int_equal(dp01->ncopied_by, 2);
	assert_int_equal(dp01->copied_by[0], 2);
	assert_int_equal(dp01->copied_by[1], 3);
	assert_int_equal(p1->ncopied_by, 2);
	assert_int_equal(p1->copied_by[0], 0);
	assert_int_equal(p1->copied_by[1], 8);
	assert_int_equal(s->dps[7].ncopied_by, 0);
	/* a cloud DP can be a source; standard DPs have none */
	assert_string_equal(s->dps[s->dps[5].sources[0].dp].kind, "cloud");
	assert_int_equal(s->dps[1].nsources, 0);
	fixture_free(f);
}

/* The lab's classes: names, shapes, instance counts, and NAL paths that
 * are exactly the DPs' own. Values are converted in test_classes.c. */
static void test_bundled_lab_classes(void **state)
{
	static const struct {
		const char *name;
		size_t nprops, ninstances;
		const char *keys;
	} want[] = {
		{ "SMS_SystemResourceList", 9, 10,
		  "NALPath ResourceType RoleName SiteCode " },
		{ "SMS_SCI_SysResUse", 11, 6,
		  "FileType ItemName ItemType SiteCode " },
		{ "SMS_DistributionPointGroup", 15, 3, "GroupID " },
		{ "SMS_DPGroupMembers", 2, 6, "DPNALPath GroupID " },
	};
	struct fixture *f = load_bundled();
	const struct fixture_site *s = &f->sites[0];
	const struct fixture_class *c, *groups;
	char keys[256];
	size_t i, j, ndp;

	assert_int_equal(s->nclasses, 4);
	for (i = 0; i < s->nclasses; i++) {
		c = &s->classes[i];
		assert_string_equal(c->name, want[i].name);
		assert_null(c->ns);
		assert_int_equal(c->nprops, want[i].nprops);
		assert_int_equal(c->ninstances, want[i].ninstances);
		keys[0] = '\0';
		for (j = 0; j < c->nprops; j++) {
			assert_false(c->props[j].array);
			if (c->props[j].key) {
				strcat(keys, c->props[j].name);
				strcat(keys, " ");
			}
		}
		assert_string_equal(keys, want[i].keys);
		if (i > 0)
			assert_true(c->line > s->classes[i - 1].line);
	}

	/* one "SMS Distribution Point" row per DP, by its NAL path */
	c = find_class(s, "SMS_SystemResourceList");
	for (j = 0, ndp = 0; j < c->ninstances; j++) {
		const char *role = inst_value(&c->instances[j], "RoleName");
		const char *nal = inst_value(&c->instances[j], "NALPath");

		if (strcmp(role, "SMS Distribution Point") != 0) {
			assert_string_equal(inst_value(&c->instances[j],
						       "ServerName"),
					    s->provider);
			continue;
		}
		assert_ptr_equal(dp_by_nalpath(s, nal), &s->dps[ndp]);
		assert_string_equal(inst_value(&c->instances[j],
					       "ServerName"), s->dps[ndp].fqdn);
		ndp++;
	}
	assert_int_equal(ndp, s->ndps);

	c = find_class(s, "SMS_SCI_SysResUse");
	for (j = 0; j < c->ninstances; j++) {
		const struct fixture_instance *in = &c->instances[j];
		char osp[300];

		assert_ptr_equal(dp_by_nalpath(s, inst_value(in, "NALPath")),
				 &s->dps[j]);
		snprintf(osp, sizeof(osp), "\\\\%s", s->dps[j].fqdn);
		assert_string_equal(inst_value(in, "NetworkOSPath"), osp);
		assert_string_equal(inst_value(in, "RoleName"),
				    "SMS Distribution Point");
	}

	/* members name DPs and groups that exist; MemberCount agrees */
	groups = find_class(s, "SMS_DistributionPointGroup");
	assert_string_equal(inst_value(&groups->instances[0], "Name"),
			    "All Datacenter DPs");
	assert_string_equal(inst_value(&groups->instances[1], "Name"),
			    "Branch Offices");
	assert_string_equal(inst_value(&groups->instances[2], "Name"),
			    "Maintenance");
	c = find_class(s, "SMS_DPGroupMembers");
	for (i = 0; i < groups->ninstances; i++) {
		const char *gid = inst_value(&groups->instances[i],
					     "GroupID");
		unsigned members = 0;
		char count[16];

		assert_true(gid[0] == '{');
		for (j = 0; j < c->ninstances; j++) {
			const struct fixture_instance *in = &c->instances[j];

			assert_non_null(dp_by_nalpath(s, inst_value(in,
							"DPNALPath")));
			if (strcmp(inst_value(in, "GroupID"), gid) == 0)
				members++;
		}
		snprintf(count, sizeof(count), "%u", members);
		assert_string_equal(inst_value(&groups->instances[i],
					       "MemberCount"), count);
	}
	assert_string_equal(inst_value(&c->instances[0], "DPNALPath"),
			    DP01_NAL);
	fixture_free(f);
}

/* <fault-rule> elements keep their attributes as text and convert,
 * through the control API's conversion, into the rules dpsim adds. */
static void test_fault_rules(void **state)
{
	const char *path = FIXTURE_DIR "good_fault_rules.xml";
	struct fixture *f = NULL;
	const struct fixture_site *s;
	struct fault_rule r;
	char err[512];

	(void)state;
	if (fixture_load_file(path, &f, err, sizeof(err)))
		fail_msg("%s", err);
	s = &f->sites[0];
	assert_int_equal(s->nrules, 2);
	assert_int_equal(s->rules[0].line, 439);
	assert_int_equal(s->rules[0].nfields, 4);
	assert_string_equal(s->rules[0].fields[2].name, "hresult");
	assert_string_equal(s->rules[0].fields[2].value, "WBEM_E_ACCESS_DENIED");

	assert_int_equal(fixture_fault_rule_build(&s->rules[0], "PS1", &r, err,
						  sizeof(err)), 0);
	assert_string_equal(r.method_glob, "SetDPMaintenanceMode");
	assert_string_equal(r.site, "PS1");
	assert_int_equal(r.effect, FAULT_FAULT);
	assert_int_equal(r.hresult, WBEM_E_ACCESS_DENIED);
	assert_int_equal(r.times, 1);
	assert_int_equal(r.after, 0);
	assert_true(r.probability == 1.0);
	fault_rule_clear(&r);

	assert_int_equal(fixture_fault_rule_build(&s->rules[1], "PS1", &r, err,
						  sizeof(err)), 0);
	assert_int_equal(r.operation, FAULT_OP_GET);
	assert_string_equal(r.class_glob, "SMS_DP*");
	assert_int_equal(r.effect, FAULT_HTTP);
	assert_int_equal(r.http_status, 503);	/* the default */
	assert_int_equal(r.after, 3);
	assert_true(r.probability == 0.5);
	fault_rule_clear(&r);
	fixture_free(f);
}

static void test_bad_fault_rules(void **state)
{
	static const struct { const char *file, *want; } cases[] = {
		{ "bad_rule_effect.xml", "bad_rule_effect.xml:5: fault-rule: "
		  "field 'effect' must be one of return, fault, http, drop, "
		  "timeout, delay" },
		{ "bad_rule_hresult.xml", "bad_rule_hresult.xml:5: fault-rule: "
		  "field 'hresult' must be an HRESULT" },
		{ "bad_rule_probability.xml", "bad_rule_probability.xml:5: "
		  "fault-rule: field 'probability' must be a number from 0 to "
		  "1, not '1.5'" },
		{ "bad_rule_times.xml", "bad_rule_times.xml:5: fault-rule: "
		  "field 'times' must be at least 1" },
		{ "bad_rule_no_effect.xml", "bad_rule_no_effect.xml:5:" },
	};
	char path[512], err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture *f = NULL;
		const char *at;

		snprintf(path, sizeof(path), FIXTURE_DIR "%s", cases[i].file);
		assert_int_equal(fixture_load_file(path, &f, err, sizeof(err)),
				 -EINVAL);
		assert_null(f);
		at = strstr(err, cases[i].file);
		if (!at || strncmp(at, cases[i].want, strlen(cases[i].want)))
			fail_msg("%s: got '%s'", cases[i].file, err);
	}
}

static void test_groups_and_classes(void **state)
{
	const char *path = FIXTURE_DIR "good_classes.xml";
	struct fixture *f = NULL;
	const struct fixture_site *s;
	const struct fixture_class *c;
	const struct fixture_instance *in;
	char err[512];

	if (fixture_load_file(path, &f, err, sizeof(err)))
		fail_msg("%s", err);
	s = &f->sites[0];

	/* members are stored as the DP spells itself */
	assert_int_equal(s->ngroups, 2);
	assert_string_equal(s->groups[0].name, "Branch clients");
	assert_string_equal(s->groups[0].description, "Branch LAN");
	assert_int_equal(s->groups[0].line, 8);
	assert_int_equal(s->groups[0].ndps, 2);
	assert_string_equal(s->groups[0].dp_fqdns[0], "BRDP02.contoso.com");
	assert_string_equal(s->groups[0].dp_fqdns[1], "BRDP01.contoso.com");
	assert_string_equal(s->groups[1].name, "Nobody");
	assert_null(s->groups[1].description);
	assert_int_equal(s->groups[1].ndps, 0);

	assert_int_equal(s->nclasses, 2);
	c = &s->classes[0];
	assert_string_equal(c->name, "Lab_Disk");
	assert_string_equal(c->ns, "root\\cimv2");
	assert_int_equal(c->line, 13);
	assert_int_equal(c->nprops, 4);
	/* types in MOF spelling whatever the case written */
	assert_string_equal(c->props[0].name, "Drive");
	assert_string_equal(c->props[0].type, "char16");
	assert_true(c->props[0].key);
	assert_false(c->props[0].array);
	assert_int_equal(c->props[0].line, 14);
	assert_string_equal(c->props[2].type, "real64");
	assert_false(c->props[2].key);
	assert_string_equal(c->props[3].type, "string");
	assert_true(c->props[3].array);

	/* values as written, names as written, array items in order */
	assert_int_equal(c->ninstances, 2);
	in = &c->instances[0];
	assert_int_equal(in->line, 18);
	assert_int_equal(in->nprops, 5);
	assert_string_equal(in->props[0].name, "drive");
	assert_string_equal(in->props[0].value, "C");
	assert_int_equal(in->props[0].line, 19);
	assert_string_equal(in->props[2].value, " 12.5 ");
	assert_string_equal(in->props[3].name, "Labels");
	assert_string_equal(in->props[3].value, "system");
	assert_string_equal(in->props[4].value, "boot");
	assert_int_equal(c->instances[1].nprops, 2);

	c = &s->classes[1];
	assert_string_equal(c->name, "Lab_Empty");
	assert_null(c->ns);
	assert_string_equal(c->props[0].type, "uint32");
	assert_true(c->props[0].key);
	assert_false(c->props[0].array);
	/* xs:boolean allows layout around the value */
	assert_string_equal(c->props[1].name, "Part");
	assert_true(c->props[1].key);
	assert_int_equal(c->ninstances, 0);
	assert_null(c->instances);
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
	/* docs/configmgr-domain.md, NAL paths: the example is 73 characters */
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
	X(dup_order, 9, "DP 'zz01.contoso.com' duplicates the one at line 6", \
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
	  "namespace urn:dpsim:fixture:1") \
	X(group_member, 8, "boundary group 'HQ clients': member " \
	  "'DP09.contoso.com'", "is not a DP of site PS1") \
	X(dup_group, 8, "boundary group 'hq CLIENTS' duplicates the one at " \
	  "line 6", "(group names ignore case)") \
	X(dup_member, 9, "boundary group 'HQ clients': DP 'DP02.contoso.com'", \
	  "is already a member") \
	X(group_order, 9, "Element 'boundary-group'", "not expected") \
	X(class_no_key, 6, "class Lab_Thing has no key property", \
	  "key=\"true\"") \
	X(class_dup_prop, 9, "class Lab_Thing: property 'SIZE' is already " \
	  "declared at line 8", "property names ignore case") \
	X(class_type, 8, "class Lab_Thing, property Size: unknown type " \
	  "'uint33'", "(use string, boolean, uint8,") \
	X(class_builtin, 6, "class sms_distributionpointinfo is served by " \
	  "dpsim itself", "cannot be declared in a fixture") \
	X(class_dup, 12, "class LAB_THING is already declared at line 6", \
	  "same namespace") \
	X(class_array_key, 8, "class Lab_Thing, property Tags:", \
	  "a key cannot be an array") \
	X(class_name, 6, "attribute 'name'", "'Lab-Thing' is not a class name") \
	X(class_namespace, 6, "attribute 'namespace'", \
	  "'root//cimv2' is not a namespace such as root/sms") \
	X(instance_unknown_value, 10, "class Lab_Thing has no property " \
	  "'Colour'", "declare it with <property>") \
	X(instance_twice, 12, "class Lab_Thing: property 'Size' already has " \
	  "a value at line 11", "(it is not an array)") \
	X(instance_no_key, 13, "class Lab_Thing: instance has no value for " \
	  "key property 'Part'", "Part") \
	X(instance_dup_keys, 17, "class Lab_Thing: instance duplicates the " \
	  "one at line 9", "same key values, ignoring case") \
	X(source_not_dp, 7, "DP 'PULL01.contoso.com': source " \
	  "'DP09.contoso.com' is not a DP of site PS1", \
	  "a source is a <dp> of the pull DP's own site") \
	X(source_other_site, 5, "DP 'PULL01.contoso.com': source " \
	  "'DP01.contoso.com' is not a DP of site PS1", "own site") \
	X(source_not_pull, 7, "DP 'DP02.contoso.com' is a standard DP", \
	  "only a pull DP (kind=\"pull\") copies content from source DPs") \
	X(source_self, 5, "DP 'PULL01.contoso.com':", \
	  "a pull DP cannot be its own source") \
	X(source_twice, 7, "DP 'PULL01.contoso.com': source " \
	  "'DP01.contoso.com' is already listed at line 6", "listed") \
	X(source_loop, 10, "DP 'PULL02.contoso.com': source " \
	  "'PULL01.contoso.com' makes a loop of pull DPs", \
	  "(PULL01.contoso.com copies from PULL03.contoso.com, " \
	  "PULL03.contoso.com copies from PULL02.contoso.com, " \
	  "PULL02.contoso.com copies from PULL01.contoso.com)") \
	X(source_order, 7, "Element 'property'", "not expected")

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


/* ---- users: password hashes, per-site access, security scopes ------- */

/* sha512crypt of "analyst" (as in the lab) and yescrypt of "secret". */
#define HASH_6 "$6$GbspPu5Q.UiDgana$OenP/qfSqovmul5ipybwWJ/aDsfK.TPOSgbjy65I" \
	       "g/x.fwZUq1Y2IKhPDmyhmmO8wTvBbrSXdXMtJWP.MfgV21"
#define HASH_Y "$y$j9T$hbqy2jRmQH5wOoSmml/hu1$z57FdT7GDB.lg/uqD7Lhxr.2Jx92B/" \
	       "A6xHSD7XWQ3Y0"

/* A one-site fixture whose line 3 is users (the <user> elements) and
 * line 5 the only DP's extra attributes. */
static int load_users(const char *users, const char *dp_attrs,
		      struct fixture **f, char *err, size_t errsize)
{
	char *doc = NULL;
	int rc;

	assert_true(asprintf(&doc,
		"<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n"
		"  <users>\n"
		"%s\n"
		"  </users><site code=\"PS1\" name=\"Lab\" provider=\"CM01\">\n"
		"    <dp fqdn=\"DP01.contoso.com\" %s/>\n"
		"  </site>\n"
		"</dpsim-fixture>\n", users, dp_attrs ? dp_attrs : "") > 0);
	rc = fixture_load_memory("u.xml", doc, strlen(doc), f, err, errsize);
	free(doc);
	return rc;
}

static void test_user_access_and_hashes(void **state)
{
	struct fixture *f = NULL;
	char err[512];

	assert_int_equal(load_users(
		"<user name=\"h6\" password-hash=\"" HASH_6 "\" "
		"nt-hash=\"fc525c9683e8fe067095ba2ddc971889\" role=\"Full Administrator\"/>"
		"<user name=\"hy\" password-hash=\"" HASH_Y "\">"
		" <access site=\"PS1\" role=\"Infrastructure Administrator\" scopes=\"Branch Default\"/>"
		" <access site=\"XX9\" role=\"Read-only Analyst\"/>"
		"</user>", "scopes=\"Branch Lab-2\"", &f, err, sizeof(err)), 0);
	assert_string_equal(err, "");
	assert_int_equal(f->nusers, 2);
	assert_null(f->users[0].password);
	assert_string_equal(f->users[0].password_hash, HASH_6);
	/* kept in upper case, as the key file of negotiate.c wants it */
	assert_string_equal(f->users[0].nt_hash, "FC525C9683E8FE067095BA2DDC971889");
	assert_null(f->users[1].nt_hash);
	assert_non_null(f->users[0].memo);
	assert_string_equal(f->users[0].role, "Full Administrator");
	assert_int_equal(f->users[0].naccess, 0);

	const struct fixture_user *u = &f->users[1];
	assert_string_equal(u->password_hash, HASH_Y);
	assert_null(u->role);
	assert_int_equal(u->naccess, 2);
	assert_string_equal(u->access[0].site, "PS1");
	assert_string_equal(u->access[0].role, "Infrastructure Administrator");
	assert_int_equal(u->access[0].nscopes, 2);
	assert_string_equal(u->access[0].scopes[0], "Branch");
	assert_string_equal(u->access[0].scopes[1], "Default");
	/* A site no fixture defines (yet) is allowed; scopes default All. */
	assert_string_equal(u->access[1].site, "XX9");
	assert_int_equal(u->access[1].nscopes, 1);
	assert_string_equal(u->access[1].scopes[0], "All");
	assert_int_equal(u->access[1].line, 3);

	assert_int_equal(f->sites[0].dps[0].nscopes, 2);
	assert_string_equal(f->sites[0].dps[0].scopes[0], "Branch");
	assert_string_equal(f->sites[0].dps[0].scopes[1], "Lab-2");
	fixture_free(f);
}

static void test_bad_users(void **state)
{
	static const struct {
		const char *users, *dp_attrs, *err;
	} cases[] = {
		/* password and password-hash: exactly one */
		{ "<user name=\"a\" role=\"Full Administrator\"/>", NULL,
		  "u.xml:3: user a: give exactly one of password (clear "
		  "text) and password-hash (from dpsim --hash-password)" },
		{ "<user name=\"a\" password=\"a\" password-hash=\"" HASH_6
		  "\" role=\"Full Administrator\"/>", NULL,
		  "u.xml:3: user a: give exactly one of password (clear "
		  "text) and password-hash (from dpsim --hash-password), "
		  "not both" },
		/* nt-hash: 32 hex digits, beside a crypt hash only */
		{ "<user name=\"n\" password=\"n\" "
		  "nt-hash=\"FC525C9683E8FE067095BA2DDC971889\" "
		  "role=\"Full Administrator\"/>", NULL,
		  "u.xml:3: user n: nt-hash goes with password-hash (a clear "
		  "password already serves NTLM)" },
		{ "<user name=\"n\" password-hash=\"" HASH_6 "\" "
		  "nt-hash=\"FC525C9683E8FE067095BA2DDC97188\" "
		  "role=\"Full Administrator\"/>", NULL,
		  "u.xml:3: Element 'user', attribute 'nt-hash': "
		  "The value 'FC525C9683E8FE067095BA2DDC97188' is not "
		  "accepted by the pattern '[0-9A-Fa-f]{32}'." },
		/* hashes libcrypt does not call fit, or malformed */
		{ "<user name=\"md5\" password-hash=\"$1$abc$OGyl6dDvZCDiGmIVbeuCq/\" "
		  "role=\"Full Administrator\"/>", NULL,
		  "u.xml:3: user md5: password-hash is not a crypt(3) hash "
		  "dpsim accepts (a legacy method; make a yescrypt hash with "
		  "dpsim --hash-password)" },
		{ "<user name=\"des\" password-hash=\"abiQ6Ep3EYTHc\" "
		  "role=\"Full Administrator\"/>", NULL,
		  "u.xml:3: user des: password-hash is not a crypt(3) hash "
		  "dpsim accepts (a legacy method; make a yescrypt hash with "
		  "dpsim --hash-password)" },
		{ "<user name=\"cut\" password-hash=\"$6$GbspPu5Q.UiDgana$OenP/qf\" "
		  "role=\"Full Administrator\"/>", NULL,
		  "u.xml:3: user cut: password-hash is not a crypt(3) hash "
		  "dpsim accepts (malformed: its hash part is not the 86 "
		  "characters the method makes)" },
		{ "<user name=\"odd\" password-hash=\"" "$y$j9T$hbqy2jRmQH5wOoSmml/hu1$"
		  "z57FdT7GDB.lg/uqD7Lhxr.2Jx92B/A6xHSD7XWQ3Y!" "\" "
		  "role=\"Full Administrator\"/>", NULL,
		  "u.xml:3: user odd: password-hash is not a crypt(3) hash "
		  "dpsim accepts (malformed: libcrypt does not recognise it)" },
		{ "<user name=\"junk\" password-hash=\"$zz$plain\" "
		  "role=\"Full Administrator\"/>", NULL,
		  "u.xml:3: user junk: password-hash is not a crypt(3) hash "
		  "dpsim accepts (malformed: libcrypt does not recognise it)" },
		/* role attribute or <access>: exactly one */
		{ "<user name=\"b\" password=\"b\"/>", NULL,
		  "u.xml:3: user b: give either a role attribute (that role "
		  "at every site) or <access> elements (a role per site)" },
		{ "<user name=\"b\" password=\"b\" role=\"Full Administrator\">"
		  "<access site=\"PS1\" role=\"Read-only Analyst\"/></user>",
		  NULL, "u.xml:3: user b: give either a role attribute (that "
		  "role at every site) or <access> elements (a role per "
		  "site), not both" },
		/* one <access> per site, ignoring case */
		{ "<user name=\"c\" password=\"c\">"
		  "<access site=\"PS1\" role=\"Read-only Analyst\"/>"
		  "<access site=\"ps1\" role=\"Full Administrator\"/></user>",
		  NULL, "u.xml:3: user c: site 'ps1' already has an <access> "
		  "at line 3 (site codes ignore case)" },
		{ "<user name=\"c\" password=\"c\">"
		  "<access site=\"PS1\" role=\"Read-only Analyst\"/>"
		  "<access site=\"PS1\" role=\"Full Administrator\"/></user>",
		  NULL, "u.xml:3: Element 'access': Duplicate key-sequence "
		  "['PS1'] in unique identity-constraint 'accessSite'." },
		/* bad scopes */
		{ "<user name=\"d\" password=\"d\"><access site=\"PS1\" "
		  "role=\"Read-only Analyst\" scopes=\"Branch branch\"/></user>",
		  NULL, "u.xml:3: user d: <access> to site PS1: security "
		  "scope 'branch' is listed twice (scope names ignore case)" },
		{ "<user name=\"d\" password=\"d\"><access site=\"PS1\" "
		  "role=\"Read-only Analyst\" scopes=\"Branch  Default\"/></user>",
		  NULL, "is not a list of security scope names (letters, "
		  "digits and ._-, separated by single spaces)." },
		{ "<user name=\"d\" password=\"d\"><access site=\"PS1\" "
		  "role=\"Read-only Analyst\" scopes=\"\"/></user>",
		  NULL, "is not a list of security scope names" },
		{ "<user name=\"d\" password=\"d\"><access site=\"PS1\" "
		  "role=\"Site Owner\"/></user>",
		  NULL, "u.xml:3: Element 'access', attribute 'role': "
		  "The value 'Site Owner' is not an element of the set" },
		{ "<user name=\"e\" password=\"e\" role=\"Full Administrator\"/>",
		  "scopes=\"Default All\"",
		  "u.xml:5: DP 'DP01.contoso.com': an object cannot be in "
		  "security scope 'All' (All is given to users to cover "
		  "every object; use Default or a scope of your own)" },
		{ "<user name=\"e\" password=\"e\" role=\"Full Administrator\"/>",
		  "scopes=\"Branch Branch\"",
		  "u.xml:5: DP 'DP01.contoso.com': security scope 'Branch' is "
		  "listed twice (scope names ignore case)" },
	};
	char err[512];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture *f = (struct fixture *)1;

		err[0] = '\0';
		if (load_users(cases[i].users, cases[i].dp_attrs, &f, err,
			       sizeof(err)) != -EINVAL)
			fail_msg("case %zu loaded", i);
		assert_null(f);
		if (!strstr(err, cases[i].err))
			fail_msg("case %zu: \"%s\" does not contain \"%s\"",
				 i, err, cases[i].err);
	}
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
	assert_int_equal(lab->nusers, 5);
	assert_string_equal(lab->users[2].name, "infra");
	assert_string_equal(lab->users[4].name, "ops");
	assert_string_equal(lab->source, "<bundled lab>, " FIXTURE_DIR
			    "good_branch.xml");

	/* Nothing to merge is not an error. */
	assert_int_equal(fixture_merge(lab, &branch, err, sizeof(err)), 0);
	assert_int_equal(lab->nsites, 2);
	fixture_free(lab);
}

/* Classes in a site's own namespace never meet; one in a namespace
 * given explicitly may be declared by one site only. */
static void test_merge_classes(void **state)
{
	struct fixture *lab = load_bundled();
	struct fixture *more = load_test_file("good_classes.xml");
	struct fixture *other = load_test_file("merge_conflict_class.xml");
	char err[512];

	assert_int_equal(fixture_merge(lab, &more, err, sizeof(err)), 0);
	assert_int_equal(lab->nsites, 2);
	assert_int_equal(lab->sites[0].nclasses, 4);
	assert_int_equal(lab->sites[0].ngroups, 3);
	assert_int_equal(lab->sites[1].nclasses, 2);
	assert_int_equal(lab->sites[1].ngroups, 2);
	assert_string_equal(lab->sites[1].groups[0].dp_fqdns[0],
			    "BRDP02.contoso.com");

	assert_int_equal(fixture_merge(lab, &other, err, sizeof(err)),
			 -EINVAL);
	assert_string_equal(err, FIXTURE_DIR "merge_conflict_class.xml:9: "
			    "class LAB_DISK is already declared in "
			    "<bundled lab>, " FIXTURE_DIR "good_classes.xml "
			    "(line 13)");
	assert_non_null(other);
	assert_int_equal(lab->nsites, 2);
	fixture_free(other);
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
	assert_int_equal(lab->nusers, 4);
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
	assert_int_equal(lab->nusers, 4);
	fixture_free(other);
	fixture_free(lab);
}

/* ---- writing back: load -> write -> load gives the same model -------------- */

static void same_str(const char *a, const char *b, const char *what)
{
	if ((a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0))
		fail_msg("%s: \"%s\" != \"%s\"", what, a ? a : "(null)",
			 b ? b : "(null)");
}

static void same_strv(char *const *a, size_t na, char *const *b, size_t nb,
		      const char *what)
{
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++)
		same_str(a[i], b[i], what);
}

static void same_props(const struct fixture_prop *a, size_t na,
		       const struct fixture_prop *b, size_t nb)
{
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		same_str(a[i].name, b[i].name, "property name");
		same_str(a[i].value, b[i].value, a[i].name);
	}
}

static void same_site(const struct fixture_site *a, const struct fixture_site *b)
{
	same_str(a->code, b->code, "site code");
	same_str(a->name, b->name, "site name");
	same_str(a->provider, b->provider, "site provider");
	assert_int_equal(a->ndps, b->ndps);
	for (size_t i = 0; i < a->ndps; i++) {
		const struct fixture_dp *x = &a->dps[i], *y = &b->dps[i];

		same_str(x->fqdn, y->fqdn, "dp fqdn");
		same_str(x->nalpath, y->nalpath, "dp nalpath");
		same_str(x->kind, y->kind, "dp kind");
		assert_int_equal(x->maintenance, y->maintenance);
		same_str(x->description, y->description, "dp description");
		same_props(x->props, x->nprops, y->props, y->nprops);
		same_strv(x->scopes, x->nscopes, y->scopes, y->nscopes,
			  "dp scope");
		assert_int_equal(x->nsources, y->nsources);
		for (size_t k = 0; k < x->nsources; k++) {
			same_str(x->sources[k].fqdn, y->sources[k].fqdn,
				 "dp source");
			assert_int_equal(x->sources[k].dp, y->sources[k].dp);
		}
		assert_int_equal(x->ncopied_by, y->ncopied_by);
		for (size_t k = 0; k < x->ncopied_by; k++)
			assert_int_equal(x->copied_by[k], y->copied_by[k]);
	}
	assert_int_equal(a->ngroups, b->ngroups);
	for (size_t i = 0; i < a->ngroups; i++) {
		same_str(a->groups[i].name, b->groups[i].name, "group name");
		same_str(a->groups[i].description, b->groups[i].description,
			 "group description");
		same_strv(a->groups[i].dp_fqdns, a->groups[i].ndps,
			  b->groups[i].dp_fqdns, b->groups[i].ndps, "member");
	}
	assert_int_equal(a->nclasses, b->nclasses);
	for (size_t i = 0; i < a->nclasses; i++) {
		const struct fixture_class *x = &a->classes[i], *y = &b->classes[i];

		same_str(x->name, y->name, "class name");
		same_str(x->ns, y->ns, "class namespace");
		assert_int_equal(x->nprops, y->nprops);
		for (size_t k = 0; k < x->nprops; k++) {
			same_str(x->props[k].name, y->props[k].name, "class property");
			same_str(x->props[k].type, y->props[k].type, "type");
			assert_int_equal(x->props[k].key, y->props[k].key);
			assert_int_equal(x->props[k].array, y->props[k].array);
		}
		assert_int_equal(x->ninstances, y->ninstances);
		for (size_t k = 0; k < x->ninstances; k++)
			same_props(x->instances[k].props, x->instances[k].nprops,
				   y->instances[k].props, y->instances[k].nprops);
	}
	assert_int_equal(a->nrules, b->nrules);
	for (size_t i = 0; i < a->nrules; i++)
		same_props(a->rules[i].fields, a->rules[i].nfields,
			   b->rules[i].fields, b->rules[i].nfields);
}

static void same_fixture(const struct fixture *a, const struct fixture *b)
{
	assert_int_equal(a->nsites, b->nsites);
	for (size_t i = 0; i < a->nsites; i++)
		same_site(&a->sites[i], &b->sites[i]);
	assert_int_equal(a->nusers, b->nusers);
	for (size_t i = 0; i < a->nusers; i++) {
		const struct fixture_user *x = &a->users[i], *y = &b->users[i];

		same_str(x->name, y->name, "user name");
		same_str(x->password, y->password, "password");
		same_str(x->password_hash, y->password_hash, "password-hash");
		same_str(x->role, y->role, "user role");
		assert_int_equal(x->naccess, y->naccess);
		for (size_t k = 0; k < x->naccess; k++) {
			same_str(x->access[k].site, y->access[k].site, "access site");
			same_str(x->access[k].role, y->access[k].role, "access role");
			same_strv(x->access[k].scopes, x->access[k].nscopes,
				  y->access[k].scopes, y->access[k].nscopes,
				  "access scope");
		}
		assert_true((x->memo == NULL) == (y->memo == NULL));
	}
}

/* Writes f, loads the text, and checks the model is the same; then the
 * sites alone, as a snapshot keeps them. */
static void round_trip(const struct fixture *f)
{
	struct fixture *back = NULL;
	char err[512], *text = fixture_write(f);

	assert_non_null(text);
	if (fixture_load_memory("written.xml", text, strlen(text), &back, err,
				sizeof(err)))
		fail_msg("%s: %s\n%s", f->source, err, text);
	same_fixture(f, back);
	/* Written again: the same text (nothing drifts save after save). */
	char *again = fixture_write(back);
	assert_non_null(again);
	assert_string_equal(text, again);
	free(again);
	free(text);
	fixture_free(back);

	const struct fixture_site **sites = calloc(f->nsites + 1, sizeof(*sites));
	assert_non_null(sites);
	for (size_t i = 0; i < f->nsites; i++)
		sites[i] = &f->sites[i];
	text = fixture_write_sites(sites, f->nsites);
	free(sites);
	assert_non_null(text);
	if (fixture_load_memory("sites.xml", text, strlen(text), &back, err,
				sizeof(err)))
		fail_msg("%s (sites): %s", f->source, err);
	assert_int_equal(back->nusers, 0);
	assert_int_equal(back->nsites, f->nsites);
	for (size_t i = 0; i < f->nsites; i++)
		same_site(&f->sites[i], &back->sites[i]);
	free(text);
	fixture_free(back);
}

static void test_write_round_trip_files(void **state)
{
	static const char *const files[] = {
		SOURCE_ROOT "/fixtures/lab.xml",
		FIXTURE_DIR "good_branch.xml",
		FIXTURE_DIR "good_classes.xml",
		FIXTURE_DIR "good_fault_rules.xml",
		FIXTURE_DIR "good_chain.xml",
	};
	struct fixture *f = load_bundled();

	assert_true(f->nusers > 0 && f->nsites > 0);
	round_trip(f);
	fixture_free(f);
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		char err[512];

		f = NULL;
		if (fixture_load_file(files[i], &f, err, sizeof(err)))
			fail_msg("%s", err);
		round_trip(f);
		fixture_free(f);
	}
}

/* Users with hashes and per-site access, DP scopes, and text a naive
 * writer would lose: tabs and line breaks in attributes, markup
 * characters, layout around values, an empty <property>. */
static void test_write_round_trip_edges(void **state)
{
	static const char xml[] =
		"<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n"
		"  <users>\n"
		"    <user name=\"h6\" password-hash=\"" HASH_6 "\" role=\"Full Administrator\"/>\n"
		"    <user name=\"hy\" password-hash=\"" HASH_Y "\">\n"
		"      <access site=\"PS1\" role=\"Infrastructure Administrator\" scopes=\"Branch Default\"/>\n"
		"      <access site=\"XX9\" role=\"Read-only Analyst\"/>\n"
		"    </user>\n"
		"    <user name=\"amp\" password=\"a&amp;b&lt;&quot;&#9;c\" role=\"Read-only Analyst\"/>\n"
		"  </users>\n"
		"  <site code=\"PS1\" name=\"Lab &amp; &quot;more&quot;\" provider=\"CM01\">\n"
		"    <dp fqdn=\"DP01.contoso.com\" kind=\"pxe\" maintenance=\"1\" "
		"description=\"line one&#10;line&#9;two\" scopes=\"Branch Lab-2\">\n"
		"      <property name=\"ShareName\"> SMS_DP$ &lt;x&gt; </property>\n"
		"      <property name=\"BindExcept\"></property>\n"
		"      <property name=\"BitsEnabled\">\n FALSE\n </property>\n"
		"    </dp>\n"
		"    <dp fqdn=\"DP02.contoso.com\" kind=\"cloud\" "
		"nalpath=\"[&quot;Display=\\\\DP02\\&quot;]MSWNET:\\\\DP02\\\"/>\n"
		"    <boundary-group name=\"HQ\">\n"
		"      <member dp=\"DP02.contoso.com\"/>\n"
		"    </boundary-group>\n"
		"    <class name=\"Lab_Thing\">\n"
		"      <property name=\"K\" type=\"char16\" key=\"true\"/>\n"
		"      <property name=\"L\" type=\"string\" array=\"true\"/>\n"
		"      <instance>\n"
		"        <value name=\"K\"> </value>\n"
		"        <value name=\"L\">a&#9;b</value>\n"
		"        <value name=\"L\"></value>\n"
		"      </instance>\n"
		"    </class>\n"
		"    <fault-rule operation=\"invoke\" method=\"Set*\" effect=\"return\" "
		"hresult=\"WBEM_E_ACCESS_DENIED\" times=\"2\"/>\n"
		"    <fault-rule nalpath=\"*DP02*\" effect=\"delay\" delay_ms=\"5\" "
		"probability=\"0.5\" after=\"1\" user=\"CONTOSO\\*\" protocol=\"http\" mode=\"1\"/>\n"
		"  </site>\n"
		"</dpsim-fixture>\n";
	struct fixture *f = NULL;
	char err[512];

	if (fixture_load_memory("edges.xml", xml, strlen(xml), &f, err,
				sizeof(err)))
		fail_msg("%s", err);
	/* What the round trip has to keep. */
	assert_string_equal(f->users[2].password, "a&b<\"\tc");
	assert_string_equal(f->sites[0].dps[0].description, "line one\nline\ttwo");
	assert_string_equal(f->sites[0].dps[0].props[0].value, " SMS_DP$ <x> ");
	assert_string_equal(f->sites[0].classes[0].instances[0].props[0].value, " ");
	assert_int_equal(f->sites[0].nrules, 2);
	round_trip(f);
	fixture_free(f);
}

/* ---- reading while parsing ------------------------------------------
 * The loader builds each DP, group, class and fault rule as soon as it
 * has been read and validated, and indexes a site's DPs after its last
 * one: what a long document, or an error in the same element as another,
 * would show if that went wrong. */

/* A one-site fixture (site PS1 on line 2) of n DPs, DP i on line 3 + i
 * as DP<i>.contoso.com (five digits), then the lines of after, from
 * line 3 + n. */
static char *many_dps(size_t n, const char *after)
{
	char *doc = NULL;
	size_t len = 0;
	FILE *m = open_memstream(&doc, &len);

	assert_non_null(m);
	fprintf(m, "<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n"
		"  <site code=\"PS1\" name=\"Lab\" provider=\"CM01\">\n");
	for (size_t i = 0; i < n; i++)
		fprintf(m, "    <dp fqdn=\"DP%05zu.contoso.com\"/>\n", i);
	fprintf(m, "%s  </site>\n</dpsim-fixture>\n", after);
	assert_int_equal(fclose(m), 0);
	return doc;
}

/* Loads doc (freed) as name: the error, or "" with *f set. */
static int load_doc(const char *name, char *doc, struct fixture **f,
		    char *err, size_t errsize)
{
	int rc = fixture_load_memory(name, doc, strlen(doc), f, err, errsize);

	free(doc);
	return rc;
}

static void assert_load_error(const char *name, char *doc, const char *want)
{
	struct fixture *f = (struct fixture *)&f;
	char err[1024];

	assert_int_equal(load_doc(name, doc, &f, err, sizeof(err)), -EINVAL);
	assert_null(f);
	if (strncmp(err, want, strlen(want)) != 0)
		fail_msg("\"%s\" does not start with \"%s\"", err, want);
}

/* The last DP of many is built too, and names its own line. */
static void test_stream_last_dp(void **state)
{
	assert_load_error("last.xml", many_dps(2000,
		"    <dp fqdn=\"LAST.contoso.com\" scopes=\"Branch branch\"/>\n"),
		"last.xml:2003: DP 'LAST.contoso.com': security scope 'branch' "
		"is listed twice (scope names ignore case)");
}

/* A DP with a build error (a repeated property, line 2004) and a schema
 * error after it (line 2005): the schema's comes first, as it did when
 * the whole document was validated before anything was built. */
static void test_stream_schema_error_first(void **state)
{
	assert_load_error("both.xml", many_dps(2000,
		"    <dp fqdn=\"X.contoso.com\">\n"
		"      <property name=\"IsPXE\">1</property>\n"
		"      <property name=\"ispxe\">0</property>\n"
		"      <bogus/>\n"
		"    </dp>\n"),
		"both.xml:2006: Element 'bogus': This element is not expected.");
	/* Without the schema error, the repeat. */
	assert_load_error("both.xml", many_dps(2000,
		"    <dp fqdn=\"X.contoso.com\">\n"
		"      <property name=\"IsPXE\">1</property>\n"
		"      <property name=\"ispxe\">0</property>\n"
		"    </dp>\n"),
		"both.xml:2005: property 'ispxe' is already set at line 2004");
}

/* Members are looked up in the index of every DP of the site, made
 * after the last one. */
static void test_stream_group_after_many_dps(void **state)
{
	struct fixture *f = NULL;
	char err[512];

	assert_int_equal(load_doc("g.xml", many_dps(3000,
		"    <boundary-group name=\"G\">\n"
		"      <member dp=\"dp02999.CONTOSO.com\"/>\n"
		"      <member dp=\"DP00000.contoso.com\"/>\n"
		"    </boundary-group>\n"), &f, err, sizeof(err)), 0);
	assert_int_equal(f->sites[0].ndps, 3000);
	assert_int_equal(f->sites[0].ngroups, 1);
	assert_int_equal(f->sites[0].groups[0].ndps, 2);
	assert_string_equal(f->sites[0].groups[0].dp_fqdns[0],
			    "DP02999.contoso.com");
	assert_int_equal(f->sites[0].dps[2999].line, 3002);
	fixture_free(f);

	assert_load_error("g.xml", many_dps(3000,
		"    <boundary-group name=\"G\">\n"
		"      <member dp=\"DP00017.contoso.com\"/>\n"
		"      <member dp=\"DP03000.contoso.com\"/>\n"
		"    </boundary-group>\n"),
		"g.xml:3005: boundary group 'G': member 'DP03000.contoso.com' "
		"is not a DP of site PS1");
}

/* The index is made of every DP, so a repeat far from the first one is
 * found, and names the line of the first. */
static void test_stream_dup_fqdn_far_apart(void **state)
{
	assert_load_error("dup.xml", many_dps(5000,
		"    <dp fqdn=\"dp00000.CONTOSO.com\"/>\n"),
		"dup.xml:5003: DP 'dp00000.CONTOSO.com' duplicates the one at "
		"line 3 (same FQDN, ignoring case)");
	/* A NAL path given to one DP, the same as another's made one. */
	assert_load_error("dup.xml", many_dps(5000,
		"    <dp fqdn=\"ALIAS.contoso.com\" nalpath=\"[&quot;Display="
		"\\\\DP04321.contoso.com\\&quot;]MSWNET:[&quot;SMS_SITE=PS1"
		"&quot;]\\\\DP04321.contoso.com\\\"/>\n"),
		"dup.xml:5003: DP 'ALIAS.contoso.com' duplicates the one at "
		"line 4324 (same NAL path, ignoring case)");
}

/* A site of no DP: its groups and classes are read all the same. */
static void test_stream_site_without_dps(void **state)
{
	static const char head[] =
		"<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n"
		"  <site code=\"PS1\" name=\"Lab\" provider=\"CM01\">\n"
		"    <boundary-group name=\"Empty\"/>\n";
	static const char cls[] =
		"    <class name=\"Lab_Thing\">\n"
		"      <property name=\"Id\" type=\"string\" key=\"true\"/>\n"
		"      <instance><value name=\"Id\">a</value></instance>\n"
		"    </class>\n"
		"    <fault-rule method=\"X\" effect=\"fault\"/>\n"
		"  </site>\n"
		"</dpsim-fixture>\n";
	struct fixture *f = NULL;
	char *doc, err[512];

	assert_true(asprintf(&doc, "%s%s", head, cls) > 0);
	if (load_doc("nodp.xml", doc, &f, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(f->sites[0].ndps, 0);
	assert_int_equal(f->sites[0].ngroups, 1);
	assert_int_equal(f->sites[0].groups[0].ndps, 0);
	assert_int_equal(f->sites[0].nclasses, 1);
	assert_int_equal(f->sites[0].classes[0].ninstances, 1);
	assert_int_equal(f->sites[0].nrules, 1);
	fixture_free(f);

	assert_true(asprintf(&doc, "%s    <boundary-group name=\"G\">\n"
			     "      <member dp=\"DP01.contoso.com\"/>\n"
			     "    </boundary-group>\n%s", head, cls) > 0);
	assert_load_error("nodp.xml", doc, "nodp.xml:5: boundary group 'G': "
			  "member 'DP01.contoso.com' is not a DP of site PS1");
}

/* More DPs than the <dp> tags the loader counts to size its array (these
 * have a prefix), and more sites than it starts with room for. */
static void test_stream_arrays_grow(void **state)
{
	struct fixture *f = NULL;
	char *doc = NULL, err[512];
	size_t len = 0;
	FILE *m = open_memstream(&doc, &len);

	assert_non_null(m);
	fprintf(m, "<f:dpsim-fixture xmlns:f=\"urn:dpsim:fixture:1\">\n");
	for (int s = 0; s < 9; s++) {
		fprintf(m, "<f:site code=\"S%02d\" name=\"n\" provider=\"p\">"
			"<!-- <dp fqdn=\"not.a.dp\"/> -->\n", s);
		for (int i = 0; i < 300; i++)
			fprintf(m, "<f:dp fqdn=\"DP%03d.s%d.contoso.com\"/>\n",
				i, s);
		fprintf(m, "<f:boundary-group name=\"G\"><f:member "
			"dp=\"dp299.S%d.contoso.com\"/></f:boundary-group>\n"
			"</f:site>\n", s);
	}
	fprintf(m, "</f:dpsim-fixture>\n");
	assert_int_equal(fclose(m), 0);
	if (load_doc("grow.xml", doc, &f, err, sizeof(err)))
		fail_msg("%s", err);
	assert_int_equal(f->nsites, 9);
	for (int s = 0; s < 9; s++) {
		char want[64];

		assert_int_equal(f->sites[s].ndps, 300);
		snprintf(want, sizeof(want), "DP299.s%d.contoso.com", s);
		assert_string_equal(f->sites[s].dps[299].fqdn, want);
		assert_string_equal(f->sites[s].groups[0].dp_fqdns[0], want);
	}
	fixture_free(f);
}

/* Two sites of one code, the second with a DP the builder would refuse:
 * the schema's key, on the site's line, is the first problem. */
static void test_stream_repeated_site(void **state)
{
	static const char xml[] =
		"<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n"
		"  <site code=\"PS1\" name=\"Lab\" provider=\"CM01\"/>\n"
		"  <site code=\"PS1\" name=\"Again\" provider=\"CM01\">\n"
		"    <dp fqdn=\"DP01\" scopes=\"All\"/>\n"
		"  </site>\n"
		"</dpsim-fixture>\n";

	assert_load_error("rep.xml", strdup(xml), "rep.xml:3: Element 'site': "
			  "Duplicate key-sequence ['PS1'] in key "
			  "identity-constraint 'siteCode'.");
}

/* A tag cut short: the well-formedness error, not what the schema or the
 * root check make of the part that was read, as when the document was
 * parsed whole before anything else. */
static void test_stream_cut_tag(void **state)
{
	assert_load_error("cut.xml", strdup("<dpsim"),
			  "cut.xml:1: not well-formed XML: ");
	assert_load_error("cut.xml", strdup(
		"<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n"
		"  <site code=\"PS1\" name=\"Lab\" provider=\"CM01\">\n"
		"    <dp"), "cut.xml:3: not well-formed XML: ");
}

/* Content in an element that may have none: libxml2 names the element
 * as the child starts; the line is the element's, as from a tree. */
static void test_stream_content_line(void **state)
{
	assert_load_error("rule.xml", strdup(
		"<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n"
		"  <site code=\"PS1\" name=\"Lab\" provider=\"CM01\">\n"
		"    <fault-rule method=\"X\"\n"
		"                effect=\"fault\"><x/></fault-rule>\n"
		"  </site>\n"
		"</dpsim-fixture>\n"), "rule.xml:3: Element 'fault-rule': "
		"Element content is not allowed, because the content type is "
		"empty.");
}

/* A document whose schema check is skipped (its digest listed) but that
 * does not match the schema: an error, never a crash. */
static void test_stream_known_invalid(void **state)
{
	static const char *const cases[][2] = {
		{ "<dp kind=\"pull\"/>", "k.xml:3: <dp> has no fqdn attribute" },
		{ "<boundary-group name=\"G\"/>\n<dp fqdn=\"A\"/>",
		  "k.xml:4: <dp> after the site's other elements" },
		{ "<boundary-group/>", "k.xml:3: <boundary-group> has no name "
		  "attribute" },
		{ "<dp fqdn=\"A\"><source/></dp>", "k.xml:3: <source> has no "
		  "dp attribute" },
		{ "<class name=\"C\"><property name=\"Id\" key=\"true\"/></class>",
		  "k.xml:3: <property> has no type attribute" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct fixture *f = (struct fixture *)&f;
		struct sha256_ctx sha;
		uint8_t digest[SHA256_DIGEST_SIZE];
		char *doc, hex[2 * SHA256_DIGEST_SIZE + 1], err[512];

		assert_true(asprintf(&doc,
			"<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n"
			"<site code=\"PS1\" name=\"Lab\" provider=\"CM01\">\n"
			"%s\n</site>\n</dpsim-fixture>\n", cases[i][0]) > 0);
		sha256_init(&sha);
		sha256_update(&sha, strlen(doc), (const uint8_t *)doc);
		sha256_digest(&sha, sizeof(digest), digest);
		for (size_t j = 0; j < sizeof(digest); j++)
			sprintf(hex + 2 * j, "%02x", digest[j]);
		assert_int_equal(fixture_load_memory_known("k.xml", doc,
				 strlen(doc), hex, &f, err, sizeof(err)),
				 -EINVAL);
		assert_null(f);
		if (strncmp(err, cases[i][1], strlen(cases[i][1])) != 0)
			fail_msg("case %zu: \"%s\" does not start with \"%s\"",
				 i, err, cases[i][1]);
		free(doc);
	}
}

#define BAD_TEST(name, ln, c, d) \
	{ "bad_" #name, test_bad_fixture, NULL, NULL, &bad_##name },

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bundled_lab),
		cmocka_unit_test(test_digest_and_known),
		cmocka_unit_test(test_bundled_lab_vouched_for),
		cmocka_unit_test(test_bundled_lab_groups),
		cmocka_unit_test(test_bundled_lab_sources),
		cmocka_unit_test(test_sources),
		cmocka_unit_test(test_bundled_lab_classes),
		cmocka_unit_test(test_lab_file_is_bundled),
		cmocka_unit_test(test_groups_and_classes),
		cmocka_unit_test(test_fault_rules),
		cmocka_unit_test(test_bad_fault_rules),
		cmocka_unit_test(test_defaults_and_raw_values),
		cmocka_unit_test(test_nalpath),
		BAD_FIXTURES(BAD_TEST)
		cmocka_unit_test(test_dup_property_same_case),
		cmocka_unit_test(test_property_checks_left_to_provider),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_directory),
		cmocka_unit_test(test_memory_errors),
		cmocka_unit_test(test_user_access_and_hashes),
		cmocka_unit_test(test_bad_users),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_merge_conflict),
		cmocka_unit_test(test_merge_classes),
		cmocka_unit_test(test_write_round_trip_files),
		cmocka_unit_test(test_write_round_trip_edges),
		cmocka_unit_test(test_stream_last_dp),
		cmocka_unit_test(test_stream_schema_error_first),
		cmocka_unit_test(test_stream_group_after_many_dps),
		cmocka_unit_test(test_stream_dup_fqdn_far_apart),
		cmocka_unit_test(test_stream_site_without_dps),
		cmocka_unit_test(test_stream_arrays_grow),
		cmocka_unit_test(test_stream_repeated_site),
		cmocka_unit_test(test_stream_cut_tag),
		cmocka_unit_test(test_stream_content_line),
		cmocka_unit_test(test_stream_known_invalid),
	};
	int rc;

	xmlInitParser();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
