/* catalog: the built-in class tables, a DP's values by kind, and the one
 * fixture text -> CIM value conversion. The point of the module: a value
 * written for a built-in DP property and the same value written for a
 * fixture-declared class property of the same type are accepted or
 * refused alike, with the same canonical text or the same explanation. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "catalog.h"
#include "classes.h"

#define NS "root/sms/site_PS1"

/* The value sits on line 5 as a DP's <property> and on line 13 as the
 * <value> of a declared class with the same property name and type. */
static struct fixture *load_both(const char *prop, const char *type,
				 const char *value)
{
	struct fixture *fx = NULL;
	char xml[2048], err[512];

	snprintf(xml, sizeof(xml),
		 "<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n"
		 "  <site code=\"PS1\" name=\"Lab\" provider=\"CM01\">\n"
		 "    <dp fqdn=\"DP01.contoso.com\">\n"
		 "      <!-- the built-in property -->\n"
		 "      <property name=\"%s\">%s</property>\n"
		 "    </dp>\n"
		 "    <class name=\"Lab_Same\">\n"
		 "      <property name=\"K\" type=\"string\" key=\"true\"/>\n"
		 "      <property name=\"%s\" type=\"%s\"/>\n"
		 "      <instance>\n"
		 "        <value name=\"K\">k</value>\n"
		 "        <!-- the declared one -->\n"
		 "        <value name=\"%s\">%s</value>\n"
		 "      </instance>\n"
		 "    </class>\n"
		 "  </site>\n"
		 "</dpsim-fixture>\n", prop, value, prop, type, prop, value);
	if (fixture_load_memory("same.xml", xml, strlen(xml), &fx, err,
				sizeof(err)))
		fail_msg("%s", err);
	return fx;
}

struct outcome {
	int rc;
	char value[256];	/* the canonical text, or "(null)" */
	char msg[512];		/* the message after "FILE:LINE: WHAT: " */
};

static void rest_after(const char *err, const char *prefix, char *out,
		       size_t size)
{
	if (strncmp(err, prefix, strlen(prefix)) != 0)
		fail_msg("\"%s\" does not start with \"%s\"", err, prefix);
	snprintf(out, size, "%s", err + strlen(prefix));
}

static void through_dp(const struct fixture *fx, const char *prop,
		       struct outcome *o)
{
	struct cim_class *c = catalog_class_new(CATALOG_DP_INFO, NS);
	struct cim_instance *i = (struct cim_instance *)&i;
	char err[512] = "", prefix[128];

	assert_non_null(c);
	o->rc = catalog_dp_instance(c, fx, &fx->sites[0], &fx->sites[0].dps[0],
				    1, &i, err, sizeof(err));
	o->msg[0] = '\0';
	if (o->rc) {
		assert_null(i);
		snprintf(prefix, sizeof(prefix), "same.xml:5: property '%s': ",
			 prop);
		rest_after(err, prefix, o->msg, sizeof(o->msg));
	} else {
		const char *v = cim_instance_text(i, prop);

		snprintf(o->value, sizeof(o->value), "%s", v ? v : "(null)");
		cim_instance_free(i);
	}
	cim_class_free(c);
}

static void through_declared(const struct fixture *fx, const char *prop,
			     struct outcome *o)
{
	struct cim_class *c = NULL;
	struct cim_instance **insts = NULL;
	size_t n = 0;
	char err[512] = "", prefix[128];

	o->rc = classes_build(fx, &fx->sites[0], &fx->sites[0].classes[0], &c,
			      &insts, &n, err, sizeof(err));
	o->msg[0] = '\0';
	if (o->rc) {
		snprintf(prefix, sizeof(prefix), "same.xml:13: class Lab_Same, "
			 "property %s: ", prop);
		rest_after(err, prefix, o->msg, sizeof(o->msg));
	} else {
		const char *v;

		assert_int_equal(n, 1);
		v = cim_instance_text(insts[0], prop);
		snprintf(o->value, sizeof(o->value), "%s", v ? v : "(null)");
	}
	classes_free_instances(insts, n);
	cim_class_free(c);
}

static void test_both_paths_agree(void **state)
{
	static const struct {
		const char *prop, *type, *value;
		const char *want;	/* canonical text, or NULL: refused */
		const char *msg;	/* when refused */
	} cases[] = {
		{ "Priority", "uint32", " 7 ", "7", NULL },
		{ "Priority", "uint32", "\n 4294967295\n ", "4294967295", NULL },
		{ "Priority", "uint32", "4294967296", NULL,
		  "'4294967296' is not a valid uint32 (out of range for uint32; "
		  "use a whole number from 0 to 4294967295)" },
		{ "Priority", "uint32", " -1 ", NULL,
		  "'-1' is not a valid uint32 (out of range for uint32; use a "
		  "whole number from 0 to 4294967295)" },
		{ "Priority", "uint32", "1.5", NULL,
		  "'1.5' is not a valid uint32 (not a decimal integer; use a "
		  "whole number from 0 to 4294967295)" },
		{ "Priority", "uint32", "   ", NULL,
		  "'' is not a valid uint32 (" },
		{ "IsPXE", "boolean", " TRUE ", "true", NULL },
		{ "IsPXE", "boolean", "0", "false", NULL },
		{ "IsPXE", "boolean", "yes", NULL,
		  "'yes' is not a valid boolean (use true, false, 1 or 0)" },
		{ "IsPXE", "boolean", "", NULL,
		  "'' is not a valid boolean (use true, false, 1 or 0)" },
		{ "ShareName", "string", " SMS_DP$ ", " SMS_DP$ ", NULL },
		{ "ShareName", "string", "", "", NULL },
		{ "ShareName", "string", "a\tb\n", "a\tb\n", NULL },
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		struct fixture *fx = load_both(cases[k].prop, cases[k].type,
					       cases[k].value);
		struct outcome dp, decl;

		through_dp(fx, cases[k].prop, &dp);
		through_declared(fx, cases[k].prop, &decl);
		fixture_free(fx);
		if (dp.rc != decl.rc)
			fail_msg("case %zu: %d (built-in) != %d (declared)", k,
				 dp.rc, decl.rc);
		if (cases[k].want) {
			assert_int_equal(dp.rc, 0);
			assert_string_equal(dp.value, cases[k].want);
			assert_string_equal(decl.value, cases[k].want);
		} else {
			assert_int_equal(dp.rc, -EINVAL);
			assert_string_equal(dp.msg, decl.msg);
			if (strncmp(dp.msg, cases[k].msg, strlen(cases[k].msg)))
				fail_msg("case %zu: \"%s\", want \"%s\"", k,
					 dp.msg, cases[k].msg);
		}
	}
}

/* The conversion on its own: the types DPs do not have. */
static void test_value(void **state)
{
	static const struct {
		enum cim_type t;
		const char *text, *want, *msg;
	} cases[] = {
		/* A char16 keeps its text: a space is a character. */
		{ CIM_CHAR16, " ", " ", NULL },
		{ CIM_CHAR16, " a ", NULL, "f.xml:3: P: ' a ' is not a valid "
		  "char16 (not a single character)" },
		{ CIM_SINT8, " -128\t", "-128", NULL },
		{ CIM_SINT8, "-129", NULL, "f.xml:3: P: '-129' is not a valid "
		  "sint8 (out of range for sint8; use a whole number from -128 "
		  "to 127)" },
		{ CIM_DATETIME, "yesterday", NULL, "f.xml:3: P: 'yesterday' is "
		  "not a valid datetime (not an ISO 8601 or DMTF datetime; use "
		  "ISO 8601 such as 2024-05-01T10:00:00Z or DMTF such as "
		  "20240501100000.000000+000)" },
		{ CIM_REAL64, " 12.5 ", "12.5", NULL },
		{ CIM_UINT8, NULL, NULL, "f.xml:3: P: '' is not a valid uint8 (" },
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
		char *canon = (char *)&canon, err[512] = "";
		int rc = catalog_value(cases[k].t, cases[k].text, "f.xml", 3, "P",
				       &canon, err, sizeof(err));

		if (cases[k].want) {
			if (rc)
				fail_msg("case %zu: %s", k, err);
			assert_string_equal(canon, cases[k].want);
			free(canon);
			continue;
		}
		assert_int_equal(rc, -EINVAL);
		assert_null(canon);
		if (strncmp(err, cases[k].msg, strlen(cases[k].msg)))
			fail_msg("case %zu: \"%s\", want \"%s\"", k, err,
				 cases[k].msg);
	}
	/* No buffer for the message is fine. */
	char *canon = NULL;
	assert_int_equal(catalog_value(CIM_UINT32, "x", "f.xml", 3, "P", &canon,
				       NULL, 0), -EINVAL);
	assert_null(canon);
}

static void test_class_tables(void **state)
{
	struct cim_class *c = catalog_class_new(CATALOG_DP_INFO, NS);
	const struct cim_property *p;

	assert_non_null(c);
	assert_string_equal(cim_class_name(c), "SMS_DistributionPointInfo");
	assert_string_equal(cim_class_namespace(c), NS);
	assert_int_equal(cim_class_property_count(c), 42);
	assert_int_equal(cim_class_key_count(c), 3);
	p = cim_class_property(c, (size_t)cim_class_find_property(c, "NALPath"));
	assert_true(p->flags & CIM_PROP_KEY);
	assert_int_equal(catalog_prop_index(CATALOG_DP_INFO, "MaintenanceMode"),
			 cim_class_find_property(c, "MaintenanceMode"));
	assert_int_equal(catalog_prop_index(CATALOG_DP_INFO, "Nope"), -1);
	cim_class_free(c);

	c = catalog_class_new(CATALOG_DP, NS);
	assert_string_equal(cim_class_name(c), "SMS_DistributionPoint");
	assert_int_equal(cim_class_key_count(c), 3);
	p = cim_class_property(c, (size_t)cim_class_find_property(c, "ISVData"));
	assert_int_equal(p->type, CIM_UINT8);
	assert_true(p->flags & CIM_PROP_ARRAY);
	cim_class_free(c);

	c = catalog_class_new(CATALOG_PROVIDER_LOCATION, "root/sms");
	assert_int_equal(cim_class_property_count(c), 4);
	assert_string_equal(cim_class_property(c, 0)->name, "Machine");
	assert_string_equal(cim_class_property(c, 3)->name, "SiteCode");
	assert_true(cim_class_property(c, 3)->flags & CIM_PROP_KEY);
	cim_class_free(c);

	c = catalog_class_new(CATALOG_NAMESPACE, "root");
	assert_string_equal(cim_class_name(c), "__Namespace");
	assert_int_equal(cim_class_property_count(c), 1);
	assert_int_equal(cim_class_key_count(c), 1);
	cim_class_free(c);

	/* The SDK pages' properties, in their order; RecordID the key. */
	c = catalog_class_new(CATALOG_STATUS_MESSAGE, NS);
	assert_string_equal(cim_class_name(c), "SMS_StatusMessage");
	assert_int_equal(cim_class_property_count(c), 17);
	assert_int_equal(cim_class_key_count(c), 1);
	assert_string_equal(cim_class_property(c, 0)->name, "Component");
	assert_string_equal(cim_class_property(c, 16)->name, "Win32Error");
	p = cim_class_property(c, (size_t)cim_class_find_property(c, "RecordID"));
	assert_int_equal(p->type, CIM_SINT64);
	assert_true(p->flags & CIM_PROP_KEY);
	p = cim_class_property(c, (size_t)cim_class_find_property(c, "Time"));
	assert_int_equal(p->type, CIM_DATETIME);
	p = cim_class_property(c, (size_t)cim_class_find_property(c, "Severity"));
	assert_int_equal(p->type, CIM_UINT32);
	cim_class_free(c);

	c = catalog_class_new(CATALOG_STATMSG_INSSTRINGS, NS);
	assert_string_equal(cim_class_name(c), "SMS_StatMsgInsStrings");
	assert_int_equal(cim_class_property_count(c), 3);
	assert_int_equal(cim_class_key_count(c), 2);
	assert_string_equal(cim_class_property(c, 0)->name, "InsStrIndex");
	assert_true(cim_class_property(c, 0)->flags & CIM_PROP_KEY);
	assert_int_equal(cim_class_property(c, 0)->type, CIM_UINT32);
	assert_false(cim_class_property(c, 1)->flags & CIM_PROP_KEY);
	assert_int_equal(cim_class_property(c, 2)->type, CIM_SINT64);
	cim_class_free(c);
}

/* What each kind of DP gets without any <property>. */
static void test_dp_defaults_by_kind(void **state)
{
	static const char xml[] =
		"<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n"
		"  <site code=\"PS1\" name=\"Lab\" provider=\"CM01\">\n"
		"    <dp fqdn=\"STD.contoso.com\" description=\"plain\"/>\n"
		"    <dp fqdn=\"PULL.contoso.com\" kind=\"pull\"/>\n"
		"    <dp fqdn=\"PXE.contoso.com\" kind=\"pxe\"/>\n"
		"    <dp fqdn=\"CLOUD.contoso.com\" kind=\"cloud\"/>\n"
		"  </site>\n"
		"</dpsim-fixture>\n";
	static const struct {
		const char *prop;
		const char *want[4];	/* standard, pull, pxe, cloud */
	} cases[] = {
		{ "IsPullDP", { "false", "true", "false", "false" } },
		{ "IsPXE", { "false", "false", "true", "false" } },
		{ "IsActive", { "false", "false", "true", "false" } },
		{ "ResponseDelay", { NULL, NULL, "0", NULL } },
		{ "SupportUnknownMachines", { NULL, NULL, "false", NULL } },
		{ "Communication", { "0", "0", "0", "1" } },
		{ "InternetFacing", { "false", "false", "false", "true" } },
		{ "Drive", { "E:", "E:", "E:", "" } },
		{ "OperatingSystem", { "Microsoft Windows Server 2022 Standard",
			"Microsoft Windows Server 2022 Standard",
			"Microsoft Windows Server 2022 Standard", NULL } },
		{ "Description", { "plain", NULL, NULL, NULL } },
		{ "ResourceType", { "Windows NT Server", "Windows NT Server",
			"Windows NT Server", "Windows NT Server" } },
		{ "SiteName", { "Lab", "Lab", "Lab", "Lab" } },
		{ "MaintenanceMode", { NULL, NULL, NULL, NULL } },
	};
	struct cim_class *c = catalog_class_new(CATALOG_DP_INFO, NS);
	struct fixture *fx = NULL;
	char err[512];

	if (fixture_load_memory("k.xml", xml, strlen(xml), &fx, err, sizeof(err)))
		fail_msg("%s", err);
	for (unsigned d = 0; d < 4; d++) {
		struct cim_instance *i = NULL;
		char id[8];

		assert_int_equal(catalog_dp_instance(c, fx, &fx->sites[0],
						     &fx->sites[0].dps[d], d + 1,
						     &i, err, sizeof(err)), 0);
		snprintf(id, sizeof(id), "%u", d + 1);
		assert_string_equal(cim_instance_text(i, "ID"), id);
		assert_string_equal(cim_instance_text(i, "Name"),
				    fx->sites[0].dps[d].fqdn);
		assert_string_equal(cim_instance_text(i, "NALPath"),
				    fx->sites[0].dps[d].nalpath);
		for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++) {
			const char *got = cim_instance_text(i, cases[k].prop);
			const char *want = cases[k].want[d];

			if ((got == NULL) != (want == NULL) ||
			    (got && strcmp(got, want)))
				fail_msg("DP %u, %s: \"%s\", want \"%s\"", d,
					 cases[k].prop, got ? got : "(null)",
					 want ? want : "(null)");
		}
		cim_instance_free(i);
	}
	fixture_free(fx);
	cim_class_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_both_paths_agree),
		cmocka_unit_test(test_value),
		cmocka_unit_test(test_class_tables),
		cmocka_unit_test(test_dp_defaults_by_kind),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
