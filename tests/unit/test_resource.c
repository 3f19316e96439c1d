/* Unit tests for wsman/resource.c. */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cim.h"
#include "resource.h"

#define WMI WSMAN_URI_WMI_PREFIX
#define DMTF WSMAN_URI_DMTF_PREFIX

static void parse_ok(const char *uri, const char *cimns,
		     enum wsman_uri_form form, const char *ns, const char *cls)
{
	struct wsman_resource r;
	struct wsman_fault f;

	memset(&f, 0, sizeof(f));
	if (wsman_resource_parse(uri, cimns, &r, &f))
		fail_msg("\"%s\" (ns %s) refused: %s", uri,
			 cimns ? cimns : "-", f.reason ? f.reason : "?");
	assert_int_equal(r.form, form);
	assert_string_equal(r.ns, ns);
	assert_string_equal(r.cls, cls);
}

/* Checks uri is refused with a DestinationUnreachable fault whose reason
 * contains reason_part; returns nothing, the fault is checked fully. */
static void parse_bad(const char *uri, const char *cimns, uint32_t code,
		      const char *reason_part)
{
	struct wsman_resource r;
	struct wsman_fault f;

	memset(&f, 0, sizeof(f));
	if (!wsman_resource_parse(uri, cimns, &r, &f))
		fail_msg("\"%s\" accepted as %s : %s", uri ? uri : "(null)",
			 r.ns, r.cls);
	assert_int_equal(f.subcode, WSMAN_SUB_DESTINATION_UNREACHABLE);
	assert_int_equal(f.code, code);
	assert_non_null(f.detail);
	assert_string_equal(f.detail, WSMAN_DETAIL_INVALID_RESOURCE_URI);
	assert_false(f.wmi_error);
	assert_non_null(f.reason);
	if (!strstr(f.reason, reason_part))
		fail_msg("reason \"%s\" lacks \"%s\"", f.reason, reason_part);
	/* Nothing half-parsed is left behind. */
	assert_string_equal(r.ns, "");
	assert_string_equal(r.cls, "");
}

static void test_wmi_forms(void **state)
{
	parse_ok(WMI "root/sms/site_PS1/SMS_DistributionPoint", NULL,
		 WSMAN_URI_WMI, "root/sms/site_PS1", "SMS_DistributionPoint");
	parse_ok(WMI "root/sms/site_PS1/SMS_DistributionPointInfo", NULL,
		 WSMAN_URI_WMI, "root/sms/site_PS1",
		 "SMS_DistributionPointInfo");
	parse_ok(WMI "root/sms/site_PS1/*", NULL, WSMAN_URI_WMI,
		 "root/sms/site_PS1", "*");
	parse_ok(WMI "root/cimv2/Win32_OperatingSystem", NULL, WSMAN_URI_WMI,
		 "root/cimv2", "Win32_OperatingSystem");
	parse_ok(WMI "root/SMS_ProviderLocation", NULL, WSMAN_URI_WMI,
		 "root", "SMS_ProviderLocation");
	/* Prefix is case-insensitive; the rest keeps its spelling. */
	parse_ok("HTTP://Schemas.Microsoft.com/WBEM/wsman/1/WMI/"
		 "ROOT/SMS/Site_PS1/sms_distributionpoint", NULL,
		 WSMAN_URI_WMI, "ROOT/SMS/Site_PS1", "sms_distributionpoint");
	/* Backslashes in the path are namespace separators too. */
	parse_ok(WMI "root\\sms\\site_PS1\\SMS_DistributionPoint", NULL,
		 WSMAN_URI_WMI, "root/sms/site_PS1", "SMS_DistributionPoint");
}

static void test_wmi_with_selector(void **state)
{
	/* The OMI MI client sends both for WQL: a match must pass. */
	parse_ok(WMI "root/sms/site_PS1/*", "root/sms/site_PS1",
		 WSMAN_URI_WMI, "root/sms/site_PS1", "*");
	parse_ok(WMI "root/sms/site_PS1/*", "root\\sms\\site_PS1",
		 WSMAN_URI_WMI, "root/sms/site_PS1", "*");
	parse_ok(WMI "root/sms/site_PS1/SMS_DistributionPoint",
		 "ROOT\\SMS\\SITE_PS1", WSMAN_URI_WMI, "root/sms/site_PS1",
		 "SMS_DistributionPoint");
	/* An empty selector counts as absent. */
	parse_ok(WMI "root/cimv2/X", "", WSMAN_URI_WMI, "root/cimv2", "X");

	parse_bad(WMI "root/sms/site_PS1/*", "root/cimv2",
		  2150859067u, "__cimnamespace");
	parse_bad(WMI "root/sms/site_PS1/SMS_DistributionPoint",
		  "root/sms/site_PS2", 2150859067u, "different namespaces");
	parse_bad(WMI "root/sms/site_PS1/*", "root/sms",
		  2150859067u, "different namespaces");
}

static void test_dmtf_forms(void **state)
{
	parse_ok(DMTF "SMS_DistributionPoint", "root/sms/site_PS1",
		 WSMAN_URI_DMTF, "root/sms/site_PS1", "SMS_DistributionPoint");
	parse_ok(DMTF "SMS_DistributionPoint", "root\\sms\\site_PS1",
		 WSMAN_URI_DMTF, "root/sms/site_PS1", "SMS_DistributionPoint");
	parse_ok(DMTF "Win32_Service", NULL, WSMAN_URI_DMTF, "root/cimv2",
		 "Win32_Service");
	parse_ok(DMTF "Win32_Service", "", WSMAN_URI_DMTF, "root/cimv2",
		 "Win32_Service");
	parse_ok(DMTF "*", "root/sms/site_PS1", WSMAN_URI_DMTF,
		 "root/sms/site_PS1", "*");
	parse_ok("http://SCHEMAS.DMTF.ORG/wbem/wscim/1/CIM-SCHEMA/2/"
		 "CIM_ComputerSystem", NULL, WSMAN_URI_DMTF, "root/cimv2",
		 "CIM_ComputerSystem");

	parse_bad(DMTF "", NULL, WSMAN_CODE_INVALID_RESOURCE_URI,
		  "class name");
	parse_bad(DMTF "SMS_DistributionPoint/SetDPMaintenanceMode", NULL,
		  WSMAN_CODE_INVALID_RESOURCE_URI, "class name");
	parse_bad(DMTF "SCX_Agent?__cimnamespace=root/scx", NULL,
		  WSMAN_CODE_INVALID_RESOURCE_URI, "class name");
	parse_bad(DMTF "Bad-Name", NULL, WSMAN_CODE_INVALID_RESOURCE_URI,
		  "class name");
	parse_bad(DMTF "**", NULL, WSMAN_CODE_INVALID_RESOURCE_URI,
		  "class name");
	parse_bad(DMTF "SMS_DistributionPoint", "interop",
		  WSMAN_CODE_INVALID_RESOURCE_URI, "namespace");
}

static void test_bad_prefix(void **state)
{
	const char *reason = "resource URI is not valid";

	parse_bad(NULL, NULL, WSMAN_CODE_INVALID_RESOURCE_URI, reason);
	parse_bad("", NULL, WSMAN_CODE_INVALID_RESOURCE_URI, reason);
	parse_bad("http://example.com/wmi/root/cimv2/X", NULL,
		  WSMAN_CODE_INVALID_RESOURCE_URI, reason);
	parse_bad("http://schemas.dmtf.org/wbem/wscim/1/*", NULL,
		  WSMAN_CODE_INVALID_RESOURCE_URI, reason);
	parse_bad("http://schemas.microsoft.com/wbem/wsman/1/config", NULL,
		  WSMAN_CODE_INVALID_RESOURCE_URI, reason);
	parse_bad("http://schemas.microsoft.com/wbem/wsman/1/wmi", NULL,
		  WSMAN_CODE_INVALID_RESOURCE_URI, reason);
	parse_bad("wmi/root/sms/site_PS1/SMS_DistributionPoint", NULL,
		  WSMAN_CODE_INVALID_RESOURCE_URI, reason);
	parse_bad(" " WMI "root/cimv2/X", NULL,
		  WSMAN_CODE_INVALID_RESOURCE_URI, reason);
}

static void test_wmi_bad_paths(void **state)
{
	const uint32_t c = WSMAN_CODE_INVALID_RESOURCE_URI;

	parse_bad(WMI, NULL, c, "namespace");
	parse_bad(WMI "SMS_DistributionPoint", NULL, c, "namespace");
	parse_bad(WMI "/SMS_DistributionPoint", NULL, c, "namespace");
	parse_bad(WMI "cimv2/Win32_Service", NULL, c, "namespace");
	parse_bad(WMI "rootx/Win32_Service", NULL, c, "namespace");
	parse_bad(WMI "root//sms/X", NULL, c, "namespace");
	parse_bad(WMI "root/sms/", NULL, c, "class name");
	parse_bad(WMI "root/sms/site_PS1/SMS DP", NULL, c, "class name");
	parse_bad(WMI "root/sm s/X", NULL, c, "namespace");
}

static void test_overlong(void **state)
{
	struct wsman_resource r;
	struct wsman_fault f;
	char uri[1024], ns[300], cls[300];

	/* 255 characters fit exactly. */
	memset(cls, 'C', 255);
	cls[255] = '\0';
	snprintf(uri, sizeof(uri), "%sroot/%s", WMI, cls);
	assert_int_equal(wsman_resource_parse(uri, NULL, &r, &f), 0);
	assert_int_equal(strlen(r.cls), 255);

	/* One more is a fault, not a truncated name. */
	memset(cls, 'C', 256);
	cls[256] = '\0';
	snprintf(uri, sizeof(uri), "%sroot/%s", WMI, cls);
	parse_bad(uri, NULL, WSMAN_CODE_INVALID_RESOURCE_URI, "too long");
	snprintf(uri, sizeof(uri), "%s%s", DMTF, cls);
	parse_bad(uri, NULL, WSMAN_CODE_INVALID_RESOURCE_URI, "too long");

	strcpy(ns, "root/");
	memset(ns + 5, 'n', 251);
	ns[256] = '\0';
	snprintf(uri, sizeof(uri), "%s%s/X", WMI, ns);
	parse_bad(uri, NULL, WSMAN_CODE_INVALID_RESOURCE_URI, "too long");
	parse_bad(DMTF "X", ns, WSMAN_CODE_INVALID_RESOURCE_URI, "too long");
	ns[255] = '\0';
	assert_int_equal(wsman_resource_parse(DMTF "X", ns, &r, &f), 0);
	assert_string_equal(r.ns, ns);
}

/* Every ResourceURI real clients sent (fixtures/requests) parses to the
 * site namespace and a known class. */
static void test_captured_uris(void **state)
{
	const char *dir = SOURCE_ROOT "/fixtures/requests";
	DIR *d = opendir(dir);
	struct dirent *e;
	unsigned seen = 0, star = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[512], buf[16384], *p, *end;
		struct wsman_resource r;
		struct wsman_fault f;
		size_t n;
		FILE *fp;

		if (!strstr(e->d_name, ".xml"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		fp = fopen(path, "r");
		assert_non_null(fp);
		n = fread(buf, 1, sizeof(buf) - 1, fp);
		fclose(fp);
		buf[n] = '\0';
		p = strstr(buf, "ResourceURI");
		if (!p || !(p = strchr(p, '>')))
			continue;
		p++;
		while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
			p++;
		end = strchr(p, '<');
		if (!end || end == p)
			continue;	/* Identify has no ResourceURI */
		while (end > p && (end[-1] == ' ' || end[-1] == '\n' ||
				   end[-1] == '\r' || end[-1] == '\t'))
			end--;
		*end = '\0';
		if (wsman_resource_parse(p, NULL, &r, &f))
			fail_msg("%s: \"%s\" refused: %s", e->d_name, p,
				 f.reason);
		assert_int_equal(r.form, WSMAN_URI_WMI);
		assert_string_equal(r.ns, "root/sms/site_PS1");
		if (!strcmp(r.cls, "*"))
			star++;
		else if (strcmp(r.cls, "SMS_DistributionPoint") &&
			 strcmp(r.cls, "SMS_DistributionPointInfo"))
			fail_msg("%s: unexpected class %s", e->d_name, r.cls);
		seen++;
	}
	closedir(d);
	assert_true(seen >= 10);
	assert_true(star >= 2);
}

static void test_class_uri(void **state)
{
	struct buf b;
	struct wsman_resource r;
	struct wsman_fault f;

	buf_init(&b, 0);
	assert_int_equal(wsman_resource_class_uri(&b, WSMAN_URI_WMI,
		"root/sms/site_PS1", "SMS_DistributionPointInfo"), 0);
	assert_string_equal(buf_ptr(&b), WMI
			    "root/sms/site_PS1/SMS_DistributionPointInfo");
	buf_reset(&b);
	assert_int_equal(wsman_resource_class_uri(&b, WSMAN_URI_WMI,
		"root\\sms\\site_PS1", "SMS_DistributionPoint"), 0);
	assert_string_equal(buf_ptr(&b), WMI
			    "root/sms/site_PS1/SMS_DistributionPoint");
	buf_reset(&b);
	assert_int_equal(wsman_resource_class_uri(&b, WSMAN_URI_DMTF,
		"root/sms/site_PS1", "SMS_DistributionPoint"), 0);
	assert_string_equal(buf_ptr(&b), DMTF "SMS_DistributionPoint");

	/* Round trip through the parser. */
	buf_reset(&b);
	wsman_resource_class_uri(&b, WSMAN_URI_WMI, "root/cimv2", "Win32_BIOS");
	assert_int_equal(wsman_resource_parse(buf_ptr(&b), NULL, &r, &f), 0);
	assert_string_equal(r.ns, "root/cimv2");
	assert_string_equal(r.cls, "Win32_BIOS");

	/* Appends, and reports the buffer's failure. */
	buf_free(&b);
	buf_init(&b, 20);
	assert_int_equal(wsman_resource_class_uri(&b, WSMAN_URI_DMTF, "root",
						  "X"), -E2BIG);
	buf_free(&b);
}

static void test_ns_equal(void **state)
{
	assert_true(cim_namespace_equal("root/sms/site_PS1", "root/sms/site_PS1"));
	assert_true(cim_namespace_equal("root\\sms\\site_PS1", "root/sms/site_PS1"));
	assert_true(cim_namespace_equal("ROOT/SMS/SITE_PS1", "root\\sms\\site_ps1"));
	assert_true(cim_namespace_equal("", ""));
	assert_false(cim_namespace_equal("root/sms", "root/sms/site_PS1"));
	assert_false(cim_namespace_equal("root/sms/site_PS1", "root/sms"));
	assert_false(cim_namespace_equal("root/sms/site_PS1", "root/sms/site_PS2"));
	assert_false(cim_namespace_equal("root/cimv2", "root.cimv2"));
	assert_false(cim_namespace_equal(NULL, "root"));
	assert_false(cim_namespace_equal("root", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wmi_forms),
		cmocka_unit_test(test_wmi_with_selector),
		cmocka_unit_test(test_dmtf_forms),
		cmocka_unit_test(test_bad_prefix),
		cmocka_unit_test(test_wmi_bad_paths),
		cmocka_unit_test(test_overlong),
		cmocka_unit_test(test_captured_uris),
		cmocka_unit_test(test_class_uri),
		cmocka_unit_test(test_ns_equal),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
