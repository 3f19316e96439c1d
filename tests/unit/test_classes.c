/* Unit tests for simulator/classes.c: fixture-declared classes built into
 * cim classes and instances. Every CIM type and its canonical text,
 * arrays, nulls, namespaces, values that do not fit their type (with
 * file:line), and the bundled lab's classes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>
#include <libxml/parser.h>

#include "classes.h"

#define HEAD "<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n" \
	     "  <site code=\"PS1\" name=\"Lab\" provider=\"CM01\">\n" \
	     "    <dp fqdn=\"DP01.contoso.com\"/>\n"
#define TAIL "  </site>\n</dpsim-fixture>\n"
#define DMTF_CANON "2024-05-01T10:00:00.000000+01:00"

/* What one test built, freed by teardown() even when an assert fails. */
struct built {
	struct fixture *fx;
	struct cim_class *cls;
	struct cim_instance **insts;
	size_t ninsts;
	char err[512];
};

static int setup(void **state)
{
	struct built *b = calloc(1, sizeof(*b));

	*state = b;
	return b ? 0 : -1;
}

static void release(struct built *b)
{
	classes_free_instances(b->insts, b->ninsts);
	cim_class_free(b->cls);
	fixture_free(b->fx);
	b->insts = NULL;
	b->ninsts = 0;
	b->cls = NULL;
	b->fx = NULL;
}

static int teardown(void **state)
{
	release(*state);
	free(*state);
	return 0;
}

static void load(struct built *b, const char *xml)
{
	if (fixture_load_memory("t.xml", xml, strlen(xml), &b->fx, b->err,
				sizeof(b->err)))
		fail_msg("fixture: %s", b->err);
}

/* Loads xml and builds class ci of its only site: returns rc. */
static int build(struct built *b, const char *xml, size_t ci)
{
	load(b, xml);
	assert_true(ci < b->fx->sites[0].nclasses);
	return classes_build(b->fx, &b->fx->sites[0],
			     &b->fx->sites[0].classes[ci], &b->cls, &b->insts,
			     &b->ninsts, b->err, sizeof(b->err));
}

static const char *text(const struct cim_instance *i, const char *name)
{
	const char *t = cim_instance_text(i, name);

	if (!t)
		fail_msg("property %s is null", name);
	return t;
}

static const struct cim_value *value(const struct cim_instance *i,
				     const char *name)
{
	int idx = cim_class_find_property(cim_instance_class(i), name);

	if (idx < 0)
		fail_msg("no property %s", name);
	return cim_instance_get(i, (size_t)idx);
}

static void test_every_type(void **state)
{
	static const char xml[] = HEAD
		"    <class name=\"Dpsim_AllTypes\">\n"
		"      <property name=\"Id\" type=\"string\" key=\"true\"/>\n"
		"      <property name=\"B\" type=\"Boolean\"/>\n"
		"      <property name=\"U8\" type=\"uint8\"/>\n"
		"      <property name=\"S8\" type=\"sint8\"/>\n"
		"      <property name=\"U16\" type=\"UInt16\"/>\n"
		"      <property name=\"S16\" type=\"sint16\"/>\n"
		"      <property name=\"U32\" type=\"uint32\"/>\n"
		"      <property name=\"S32\" type=\"SINT32\"/>\n"
		"      <property name=\"U64\" type=\"uint64\"/>\n"
		"      <property name=\"S64\" type=\"sint64\"/>\n"
		"      <property name=\"R32\" type=\"real32\"/>\n"
		"      <property name=\"R64\" type=\"real64\"/>\n"
		"      <property name=\"DT\" type=\"datetime\"/>\n"
		"      <property name=\"DMTF\" type=\"datetime\"/>\n"
		"      <property name=\"C\" type=\"char16\"/>\n"
		"      <property name=\"S\" type=\"string\"/>\n"
		"      <instance>\n"
		"        <value name=\"Id\"> a key </value>\n"
		"        <value name=\"b\"> TRUE </value>\n"
		"        <value name=\"U8\">255</value>\n"
		"        <value name=\"S8\">-128</value>\n"
		"        <value name=\"U16\">\n          65535\n        </value>\n"
		"        <value name=\"S16\">-32768</value>\n"
		"        <value name=\"U32\">007</value>\n"
		"        <value name=\"S32\">-2147483648</value>\n"
		"        <value name=\"U64\">18446744073709551615</value>\n"
		"        <value name=\"S64\">-9223372036854775808</value>\n"
		"        <value name=\"R32\">1.5</value>\n"
		"        <value name=\"R64\">-0.25</value>\n"
		"        <value name=\"DT\">2024-05-01T10:00:00Z</value>\n"
		"        <value name=\"DMTF\">20240501100000.000000+060</value>\n"
		"        <value name=\"C\">x</value>\n"
		"        <value name=\"S\"></value>\n"
		"      </instance>\n"
		"    </class>\n" TAIL;
	struct built *b = *state;
	const struct cim_instance *i;
	const struct cim_property *p;

	assert_int_equal(build(b, xml, 0), 0);
	assert_string_equal(b->err, "");
	assert_string_equal(cim_class_name(b->cls), "Dpsim_AllTypes");
	assert_string_equal(cim_class_namespace(b->cls), "root/sms/site_PS1");
	assert_int_equal(cim_class_property_count(b->cls), 16);
	assert_int_equal(cim_class_key_count(b->cls), 1);
	p = cim_class_property(b->cls, 0);
	assert_string_equal(p->name, "Id");
	assert_int_equal(p->type, CIM_STRING);
	assert_int_equal(p->flags, CIM_PROP_KEY);
	assert_int_equal(cim_class_property(b->cls, 1)->type, CIM_BOOLEAN);
	assert_int_equal(cim_class_property(b->cls, 4)->type, CIM_UINT16);
	assert_int_equal(cim_class_property(b->cls, 7)->type, CIM_SINT32);
	assert_int_equal(cim_class_property(b->cls, 12)->type, CIM_DATETIME);
	assert_int_equal(cim_class_property(b->cls, 14)->type, CIM_CHAR16);
	assert_int_equal(cim_class_property(b->cls, 14)->flags, 0);

	assert_int_equal(b->ninsts, 1);
	i = b->insts[0];
	assert_ptr_equal(cim_instance_class(i), b->cls);
	/* strings keep their spaces; typed values lose the layout */
	assert_string_equal(text(i, "Id"), " a key ");
	assert_string_equal(text(i, "B"), "true");
	assert_string_equal(text(i, "U8"), "255");
	assert_string_equal(text(i, "S8"), "-128");
	assert_string_equal(text(i, "U16"), "65535");
	assert_string_equal(text(i, "S16"), "-32768");
	assert_string_equal(text(i, "U32"), "7");
	assert_string_equal(text(i, "S32"), "-2147483648");
	assert_string_equal(text(i, "U64"), "18446744073709551615");
	assert_string_equal(text(i, "S64"), "-9223372036854775808");
	assert_string_equal(text(i, "R32"), "1.5");
	assert_string_equal(text(i, "R64"), "-0.25");
	assert_string_equal(text(i, "DT"), "2024-05-01T10:00:00Z");
	assert_string_equal(text(i, "DMTF"), DMTF_CANON);
	assert_string_equal(text(i, "C"), "x");
	/* an empty string is a value, not null */
	assert_false(value(i, "S")->null);
	assert_int_equal(value(i, "S")->count, 1);
	assert_string_equal(value(i, "S")->items[0], "");
}

/* Arrays keep their items in order, each converted; a property with no
 * <value> is null, scalar or array. */
static void test_arrays_and_nulls(void **state)
{
	static const char xml[] = HEAD
		"    <class name=\"Dpsim_Arrays\" namespace=\"root\\cimv2\">\n"
		"      <property name=\"Id\" type=\"uint32\" key=\"true\"/>\n"
		"      <property name=\"Names\" type=\"string\" array=\"true\"/>\n"
		"      <property name=\"Ports\" type=\"uint16\" array=\"1\"/>\n"
		"      <property name=\"Flags\" type=\"boolean\" array=\"true\"/>\n"
		"      <property name=\"Times\" type=\"datetime\" array=\"true\"/>\n"
		"      <property name=\"Note\" type=\"string\"/>\n"
		"      <instance>\n"
		"        <value name=\"Id\">1</value>\n"
		"        <value name=\"Names\">b</value>\n"
		"        <value name=\"Ports\"> 80 </value>\n"
		"        <value name=\"Names\">a</value>\n"
		"        <value name=\"Ports\">0443</value>\n"
		"        <value name=\"names\">b</value>\n"
		"        <value name=\"Flags\">0</value>\n"
		"        <value name=\"Times\">20240501100000.000000+060</value>\n"
		"        <value name=\"Times\">2024-05-02T00:00:00Z</value>\n"
		"      </instance>\n"
		"      <instance>\n"
		"        <value name=\"Id\">2</value>\n"
		"      </instance>\n"
		"    </class>\n" TAIL;
	struct built *b = *state;
	const struct cim_value *v;
	const struct cim_instance *i;

	assert_int_equal(build(b, xml, 0), 0);
	assert_string_equal(cim_class_namespace(b->cls), "root/cimv2");
	assert_int_equal(cim_class_property(b->cls, 1)->flags, CIM_PROP_ARRAY);
	assert_int_equal(cim_class_property(b->cls, 2)->type, CIM_UINT16);
	assert_int_equal(b->ninsts, 2);

	i = b->insts[0];
	v = value(i, "Names");
	assert_false(v->null);
	assert_int_equal(v->count, 3);
	assert_string_equal(v->items[0], "b");
	assert_string_equal(v->items[1], "a");
	assert_string_equal(v->items[2], "b");
	v = value(i, "Ports");
	assert_int_equal(v->count, 2);
	assert_string_equal(v->items[0], "80");
	assert_string_equal(v->items[1], "443");
	v = value(i, "Flags");
	assert_int_equal(v->count, 1);
	assert_string_equal(v->items[0], "false");
	v = value(i, "Times");
	assert_int_equal(v->count, 2);
	assert_string_equal(v->items[0], DMTF_CANON);
	assert_string_equal(v->items[1], "2024-05-02T00:00:00Z");
	assert_true(value(i, "Note")->null);
	assert_null(cim_instance_text(i, "Note"));

	/* only the key given: every other property null */
	i = b->insts[1];
	assert_string_equal(text(i, "Id"), "2");
	assert_true(value(i, "Names")->null);
	assert_true(value(i, "Ports")->null);
	assert_true(value(i, "Times")->null);
	assert_true(value(i, "Note")->null);
}

/* A class with no instances builds, with an empty list. */
static void test_no_instances(void **state)
{
	static const char xml[] = HEAD
		"    <class name=\"Dpsim_Empty\" namespace=\"root/sms\">\n"
		"      <property name=\"K\" type=\"char16\" key=\"true\"/>\n"
		"    </class>\n" TAIL;
	struct built *b = *state;

	assert_int_equal(build(b, xml, 0), 0);
	assert_string_equal(cim_class_namespace(b->cls), "root/sms");
	assert_int_equal(b->ninsts, 0);
	assert_null(b->insts);
}

/* A value that does not fit its type: FILE:LINE: class, property, the
 * value, the type and why, and nothing is handed out. */
static void test_bad_values(void **state)
{
	static const struct {
		const char *type, *array, *value, *msg;
	} cases[] = {
		{ "uint32", "false", "4294967296",
		  "t.xml:9: class Dpsim_Bad, property P: '4294967296' is not "
		  "a valid uint32 (out of range for uint32; use a whole number "
		  "from 0 to 4294967295)" },
		{ "uint8", "true", "-1", "'-1' is not a valid uint8 (" },
		{ "sint8", "false", " -129 ",
		  "'-129' is not a valid sint8 (out of range for sint8; use a "
		  "whole number from -128 to 127)" },
		{ "sint64", "false", "1e3", "is not a valid sint64" },
		{ "boolean", "false", "yes",
		  "t.xml:9: class Dpsim_Bad, property P: 'yes' is not a valid "
		  "boolean (use true, false, 1 or 0)" },
		{ "real64", "false", "abc",
		  "'abc' is not a valid real64 (not a decimal number)" },
		{ "datetime", "false", "yesterday",
		  "'yesterday' is not a valid datetime (not an ISO 8601 or "
		  "DMTF datetime; use ISO 8601 such as 2024-05-01T10:00:00Z or "
		  "DMTF such as 20240501100000.000000+000)" },
		{ "datetime", "true", "20240230100000.000000+000",
		  "is not a valid datetime (not a valid DMTF datetime" },
		{ "char16", "false", "ab",
		  "'ab' is not a valid char16 (not a single character)" },
		{ "uint16", "false", "", "'' is not a valid uint16 (empty "
		  "value" },
	};
	struct built *b = *state;
	char xml[1024];
	size_t k;

	for (k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		snprintf(xml, sizeof(xml), HEAD
			 "    <class name=\"Dpsim_Bad\">\n"
			 "      <property name=\"K\" type=\"string\" "
			 "key=\"true\"/>\n"
			 "      <property name=\"P\" type=\"%s\" array=\"%s\"/>\n"
			 "      <instance>\n"
			 "        <value name=\"K\">one</value>\n"
			 "        <value name=\"P\">%s</value>\n"
			 "      </instance>\n"
			 "    </class>\n" TAIL,
			 cases[k].type, cases[k].array, cases[k].value);
		b->cls = (struct cim_class *)b;		/* must be reset */
		b->ninsts = 99;
		assert_int_equal(build(b, xml, 0), -EINVAL);
		assert_null(b->cls);
		assert_null(b->insts);
		assert_int_equal(b->ninsts, 0);
		if (strncmp(b->err, "t.xml:9: class Dpsim_Bad, property P: ",
			    38) != 0 || !strstr(b->err, cases[k].msg))
			fail_msg("case %zu: \"%s\" lacks \"%s\"", k, b->err,
				 cases[k].msg);
		release(b);
	}
}

/* The first bad value wins, in document order, naming its own line; a
 * NULL err buffer is allowed. */
static void test_first_error_and_no_buffer(void **state)
{
	static const char xml[] = HEAD
		"    <class name=\"Dpsim_Bad\">\n"
		"      <property name=\"K\" type=\"uint32\" key=\"true\"/>\n"
		"      <property name=\"P\" type=\"boolean\"/>\n"
		"      <instance><value name=\"K\">1</value></instance>\n"
		"      <instance>\n"
		"        <value name=\"K\">2</value>\n"
		"        <value name=\"P\">maybe</value>\n"
		"      </instance>\n"
		"      <instance><value name=\"K\">x</value></instance>\n"
		"    </class>\n" TAIL;
	struct built *b = *state;
	const struct fixture_class *fc;
	struct cim_class *cls = NULL;
	struct cim_instance **insts = NULL;
	size_t n = 7;

	assert_int_equal(build(b, xml, 0), -EINVAL);
	assert_string_equal(b->err, "t.xml:10: class Dpsim_Bad, property P: "
			    "'maybe' is not a valid boolean (use true, false, "
			    "1 or 0)");
	fc = &b->fx->sites[0].classes[0];
	assert_int_equal(classes_build(b->fx, &b->fx->sites[0], fc, &cls,
				       &insts, &n, NULL, 0), -EINVAL);
	assert_null(cls);
	assert_null(insts);
	assert_int_equal(n, 0);
}

static const struct fixture_dp *find_dp(const struct fixture_site *s,
					const char *nalpath)
{
	size_t i;

	for (i = 0; i < s->ndps; i++)
		if (strcmp(s->dps[i].nalpath, nalpath) == 0)
			return &s->dps[i];
	return NULL;
}

/* Every class of the bundled lab builds, and agrees with the DPs. */
static void test_bundled_lab(void **state)
{
	static const struct {
		const char *name;
		size_t nprops, nkeys, ninsts;
	} want[] = {
		{ "SMS_SystemResourceList", 9, 4, 10 },
		{ "SMS_SCI_SysResUse", 11, 4, 6 },
		{ "SMS_DistributionPointGroup", 15, 1, 3 },
		{ "SMS_DPGroupMembers", 2, 2, 6 },
	};
	struct built *b = *state;
	const struct fixture_site *s;
	size_t len, k, j, ndp;
	const char *xml = fixture_bundled_lab(&len);

	if (fixture_load_memory("<bundled lab>", xml, len, &b->fx, b->err,
				sizeof(b->err)))
		fail_msg("%s", b->err);
	s = &b->fx->sites[0];
	assert_int_equal(s->nclasses, 4);
	for (k = 0; k < 4; k++) {
		const struct fixture_class *fc = &s->classes[k];

		assert_string_equal(fc->name, want[k].name);
		assert_int_equal(classes_build(b->fx, s, fc, &b->cls,
					       &b->insts, &b->ninsts, b->err,
					       sizeof(b->err)), 0);
		assert_string_equal(cim_class_namespace(b->cls),
				    "root/sms/site_PS1");
		assert_int_equal(cim_class_property_count(b->cls),
				 want[k].nprops);
		assert_int_equal(cim_class_key_count(b->cls), want[k].nkeys);
		assert_int_equal(b->ninsts, want[k].ninsts);

		for (j = 0, ndp = 0; j < b->ninsts; j++) {
			const struct cim_instance *i = b->insts[j];
			const char *nal;

			if (k == 2)
				break;	/* groups: checked below */
			nal = text(i, k == 3 ? "DPNALPath" : "NALPath");
			if (k == 0 && strcmp(text(i, "RoleName"),
					     "SMS Distribution Point") != 0)
				continue;
			/* every DP row names a DP by its exact NAL path */
			if (!find_dp(s, nal))
				fail_msg("%s: '%s' is no DP's NAL path",
					 want[k].name, nal);
			ndp++;
			if (k == 1) {
				char osp[300];

				snprintf(osp, sizeof(osp), "\\\\%s",
					 find_dp(s, nal)->fqdn);
				assert_string_equal(text(i, "NetworkOSPath"),
						    osp);
				assert_string_equal(text(i, "RoleName"),
						    "SMS Distribution Point");
				assert_string_equal(text(i, "NALType"),
						    "Windows NT Server");
				assert_string_equal(text(i, "FileType"), "2");
			}
		}
		if (k != 2)
			assert_int_equal(ndp, k == 3 ? 6 : s->ndps);
		if (k == 2) {
			assert_string_equal(text(b->insts[0], "Name"),
					    "All Datacenter DPs");
			assert_string_equal(text(b->insts[0], "MemberCount"),
					    "4");
			assert_string_equal(text(b->insts[0], "CreatedOn"),
					    "2023-09-14T08:12:00Z");
			assert_string_equal(text(b->insts[0], "HasMember"),
					    "true");
			assert_string_equal(text(b->insts[2], "Name"),
					    "Maintenance");
		}
		classes_free_instances(b->insts, b->ninsts);
		cim_class_free(b->cls);
		b->insts = NULL;
		b->cls = NULL;
	}
}

/* A site's boundary groups as SMS_BoundaryGroup and
 * SMS_BoundaryGroupSiteSystems: IDs from 16777217 in order, members in
 * order of preference with their DPs' NAL paths, unknown values null. */
static void test_boundary_groups(void **state)
{
	struct built *b = *state;

	load(b, HEAD
	     "    <dp fqdn=\"DP02.contoso.com\" nalpath=\"custom\"/>\n"
	     "    <boundary-group name=\"HQ\" description=\"LAN\">\n"
	     "      <member dp=\"dp02.contoso.com\"/>\n"
	     "      <member dp=\"DP01.contoso.com\"/>\n"
	     "    </boundary-group>\n"
	     "    <boundary-group name=\"Empty\"/>\n" TAIL);
	assert_int_equal(classes_boundary_groups(&b->fx->sites[0], 0, &b->cls,
						 &b->insts, &b->ninsts, b->err,
						 sizeof(b->err)), 0);
	assert_string_equal(cim_class_name(b->cls), "SMS_BoundaryGroup");
	assert_string_equal(cim_class_namespace(b->cls), "root/sms/site_PS1");
	assert_int_equal(cim_class_property_count(b->cls), 11);
	assert_int_equal(b->ninsts, 2);
	assert_string_equal(text(b->insts[0], "GroupID"), "16777217");
	assert_string_equal(text(b->insts[0], "Name"), "HQ");
	assert_string_equal(text(b->insts[0], "Description"), "LAN");
	assert_string_equal(text(b->insts[0], "SiteSystemCount"), "2");
	assert_string_equal(text(b->insts[0], "MemberCount"), "0");
	assert_null(cim_instance_text(b->insts[0], "CreatedBy"));
	assert_string_equal(text(b->insts[1], "GroupID"), "16777218");
	assert_null(cim_instance_text(b->insts[1], "Description"));
	assert_string_equal(text(b->insts[1], "SiteSystemCount"), "0");
	classes_free_instances(b->insts, b->ninsts);
	cim_class_free(b->cls);
	b->insts = NULL;
	b->ninsts = 0;

	assert_int_equal(classes_boundary_groups(&b->fx->sites[0], 1, &b->cls,
						 &b->insts, &b->ninsts, b->err,
						 sizeof(b->err)), 0);
	assert_string_equal(cim_class_name(b->cls),
			    "SMS_BoundaryGroupSiteSystems");
	assert_int_equal(b->ninsts, 2);
	assert_string_equal(text(b->insts[0], "GroupID"), "16777217");
	assert_string_equal(text(b->insts[0], "ServerNALPath"), "custom");
	assert_string_equal(text(b->insts[1], "ServerNALPath"),
			    "[\"Display=\\\\DP01.contoso.com\\\"]MSWNET:"
			    "[\"SMS_SITE=PS1\"]\\\\DP01.contoso.com\\");
	assert_string_equal(text(b->insts[1], "SiteCode"), "PS1");
	assert_string_equal(text(b->insts[1], "Flags"), "0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_every_type, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_arrays_and_nulls, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_no_instances, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_bad_values, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_first_error_and_no_buffer,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_bundled_lab, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_boundary_groups, setup,
						teardown),
	};
	int rc;

	xmlInitParser();
	rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
