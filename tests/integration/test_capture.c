/* dpctl capture end to end (issue 17, item 4): a dpsim serves a lab, the
 * built dpctl captures it into a fixture, a second dpsim serves the
 * capture, and everything both serve is compared: WQL SELECT * of every
 * class the first serves (its own classes and the ones the lab declares)
 * as dpctl --json prints it, each DP's maintenance mode (a property of
 * those instances) and each DP's GetChainedPullDPs answer. With
 * --anonymise the first dpsim's answers are compared after the mapping
 * the capture promises (dp0001.example.test ... in ID order), and no
 * name of the original may be left in the file.
 *
 * Under valgrind (DPSIM_WRAPPER) the capture itself runs under it too,
 * and the generated site is smaller. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"

#define MAX_ARGS 48

/* dpsim's own classes in a site namespace, and the lab's declared ones
 * (checked against fixtures/lab.xml by lab_declares_these). */
static const char *const site_classes[] = {
	"SMS_DistributionPointInfo", "SMS_DistributionPoint",
	"SMS_StatusMessage", "SMS_StatMsgInsStrings",
	"SMS_BoundaryGroup", "SMS_BoundaryGroupSiteSystems",
	"SMS_SystemResourceList", "SMS_SCI_SysResUse",
	"SMS_DistributionPointGroup", "SMS_DPGroupMembers", NULL,
};
#define N_DECLARED 4	/* the last four of site_classes */

struct run {
	int status;
	char *out, *err;
};

static void run_free(struct run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

/* dpctl -e URL args... as lab/lab; with wrap, under DPSIM_WRAPPER. */
static void dpctl(const struct dpsim_proc *p, bool wrap,
		  const char *const *args, struct run *r)
{
	const char *argv[MAX_ARGS + 40];
	char wrapper[1024] = "";
	const char *w = getenv("DPSIM_WRAPPER");
	const char *env[] = { "DPCTL_USER=lab", "DPCTL_PASSWORD=lab", NULL };
	size_t n = 0;

	if (wrap && w && *w) {
		snprintf(wrapper, sizeof(wrapper), "%s", w);
		for (char *t = strtok(wrapper, " "); t && n < 30;
		     t = strtok(NULL, " "))
			argv[n++] = t;
	}
	argv[n++] = DPCTL_BIN;
	argv[n++] = "-e";
	argv[n++] = p->url;
	for (; *args; args++) {
		assert_true(n < MAX_ARGS + 38);
		argv[n++] = *args;
	}
	argv[n] = NULL;
	r->status = run_program(argv, env, &r->out, &r->err);
}

#define DPCTL(p, wrap, r, ...)                                      \
	do {                                                        \
		const char *const a_[] = { __VA_ARGS__, NULL };     \
		dpctl(p, wrap, a_, r);                              \
	} while (0)

static void expect_status(const struct run *r, int want)
{
	if (r->status != want)
		fprintf(stderr, "dpctl exited %d, wanted %d\n--- stdout\n%.4000s"
			"\n--- stderr\n%s---\n", r->status, want, r->out, r->err);
	assert_int_equal(r->status, want);
}

/* ---- the mapping --anonymise promises ------------------------------------ */

struct pair {
	const char *from, *to;
};

/* Case-insensitive replacement of each pair in order, all occurrences. */
static char *apply_map(const char *text, const struct pair *map)
{
	char *s = strdup(text);

	assert_non_null(s);
	for (; map && map->from; map++) {
		size_t fl = strlen(map->from), tl = strlen(map->to);
		size_t cap = strlen(s) * 2 + 64, o = 0;
		char *out = malloc(cap);

		assert_non_null(out);
		for (const char *p = s; *p;) {
			if (strncasecmp(p, map->from, fl) == 0) {
				if (o + tl + 1 > cap)
					out = realloc(out, cap = cap * 2 + tl);
				memcpy(out + o, map->to, tl);
				o += tl;
				p += fl;
			} else {
				if (o + 2 > cap)
					out = realloc(out, cap *= 2);
				out[o++] = *p++;
			}
			assert_non_null(out);
		}
		out[o] = '\0';
		free(s);
		s = out;
	}
	return s;
}

/* The bundled lab: DPs in ID order become dp0001 ..., the provider
 * srv0001, contoso.com example.test, branch.contoso.com d2.example.test,
 * cloudapp.net d3.example.test, and the organisation's names (CONTOSO\x,
 * "Contoso Lab") example; longest names first. */
static const struct pair lab_map[] = {
	{ "DP03.branch.contoso.com", "dp0005.example.test" },
	{ "CLOUDDP01.cloudapp.net", "dp0006.example.test" },
	{ "PULLDP01.contoso.com", "dp0003.example.test" },
	{ "PXE01.contoso.com", "dp0004.example.test" },
	{ "DP01.contoso.com", "dp0001.example.test" },
	{ "DP02.contoso.com", "dp0002.example.test" },
	{ "CM01.contoso.com", "srv0001.example.test" },
	{ "from DP01", "from dp0001" },
	{ "back to DP01", "back to dp0001" },
	{ "contoso", "example" },
	{ NULL, NULL },
};

/* ---- comparing two dpsims ------------------------------------------------ */

static json_t *query_json(const struct dpsim_proc *p, const char *ns,
			  const char *cls, const struct pair *map)
{
	char wql[160];
	struct run r;
	json_error_t je;
	json_t *doc, *inst;
	char *text;

	snprintf(wql, sizeof(wql), "SELECT * FROM %s", cls);
	if (ns)
		DPCTL(p, false, &r, "--json", "query", "--namespace", ns, wql);
	else
		DPCTL(p, false, &r, "--json", "query", wql);
	/* A class this dpsim does not serve (a generated site declares
	 * none): NULL. */
	if (r.status == 1 && strstr(r.out, "WBEM_E_INVALID_CLASS")) {
		run_free(&r);
		return NULL;
	}
	expect_status(&r, 0);
	text = apply_map(r.out, map);
	doc = json_loads(text, 0, &je);
	if (!doc)
		fprintf(stderr, "%s: %s\n", cls, je.text);
	assert_non_null(doc);
	inst = json_incref(json_object_get(doc, "instances"));
	assert_non_null(inst);
	json_decref(doc);
	free(text);
	run_free(&r);
	return inst;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The instances as sorted compact texts, one string: dpsim answers in
 * key order, which renaming changes. */
static char *canonical(json_t *arr)
{
	size_t n = json_array_size(arr), len = 0;
	char **items = calloc(n + 1, sizeof(*items)), *all;

	assert_non_null(items);
	for (size_t i = 0; i < n; i++) {
		items[i] = json_dumps(json_array_get(arr, i),
				      JSON_COMPACT | JSON_SORT_KEYS);
		assert_non_null(items[i]);
		len += strlen(items[i]) + 1;
	}
	qsort(items, n, sizeof(*items), cmp_str);
	all = calloc(len + 1, 1);
	assert_non_null(all);
	for (size_t i = 0, o = 0; i < n; i++) {
		memcpy(all + o, items[i], strlen(items[i]));
		o += strlen(items[i]);
		all[o++] = '\n';
		free(items[i]);
	}
	free(items);
	return all;
}

static void assert_same(json_t *ia, json_t *ib, const char *cls)
{
	char *x = canonical(ia), *y = canonical(ib);

	if (strcmp(x, y) != 0)
		fprintf(stderr, "%s differs:\nfirst  %.3000s\nsecond %.3000s\n",
			cls, x, y);
	assert_string_equal(x, y);
	free(x);
	free(y);
}

/* Every class a serves, as b serves it, a's answers mapped (each DP's
 * maintenance mode with it). Returns the number of DPs compared. */
static size_t compare_sites(const struct dpsim_proc *a,
			    const struct dpsim_proc *b, const struct pair *map)
{
	json_t *ia, *ib, *dps = NULL;
	size_t ndps;

	for (const char *const *c = site_classes; *c; c++) {
		ia = query_json(a, NULL, *c, map);
		ib = query_json(b, NULL, *c, NULL);
		if (!ia && !ib)
			continue;
		assert_true(ia && ib);
		assert_same(ia, ib, *c);
		if (strcmp(*c, "SMS_DistributionPointInfo") == 0)
			dps = json_incref(ib);
		json_decref(ia);
		json_decref(ib);
	}
	ia = query_json(a, "root/sms", "SMS_ProviderLocation", map);
	ib = query_json(b, "root/sms", "SMS_ProviderLocation", NULL);
	assert_same(ia, ib, "SMS_ProviderLocation");
	json_decref(ia);
	json_decref(ib);
	ia = query_json(a, "root/sms", "__Namespace", map);
	ib = query_json(b, "root/sms", "__Namespace", NULL);
	assert_same(ia, ib, "__Namespace");
	json_decref(ia);
	json_decref(ib);

	ndps = json_array_size(dps);
	json_decref(dps);
	return ndps;
}

/* What the dashboard shows of the site's boundary groups (which DPs a
 * client is offered, in order of preference) is the same on both. */
static void compare_boundary_groups(const struct dpsim_proc *a,
				    const struct dpsim_proc *b,
				    const struct pair *map)
{
	/* lab:lab */
	const char *const hdr[] = { "Authorization: Basic bGFiOmxhYg==", NULL };
	char base[160], url[200];
	struct http_reply ra = { 0 }, rb = { 0 };
	json_t *ja, *jb;
	char *mapped;

	dpsim_base(a, base, sizeof(base));
	snprintf(url, sizeof(url), "%s/dashboard/api/view?site=PS1", base);
	assert_int_equal(http_request("GET", url, hdr, NULL, 0, &ra), 0);
	dpsim_base(b, base, sizeof(base));
	snprintf(url, sizeof(url), "%s/dashboard/api/view?site=PS1", base);
	assert_int_equal(http_request("GET", url, hdr, NULL, 0, &rb), 0);
	assert_int_equal(ra.status, 200);
	assert_int_equal(rb.status, 200);
	mapped = apply_map(ra.body, map);
	ja = json_loads(mapped, 0, NULL);
	jb = json_loads(rb.body, 0, NULL);
	assert_non_null(ja);
	assert_non_null(jb);
	assert_true(json_array_size(json_object_get(json_object_get(ja, "site"),
						    "boundary_groups")) == 3);
	{
		json_t *ga = json_object_get(json_object_get(ja, "site"),
					     "boundary_groups");
		json_t *gb = json_object_get(json_object_get(jb, "site"),
					     "boundary_groups");

		if (!json_equal(ga, gb)) {
			char *x = json_dumps(ga, JSON_COMPACT);
			char *y = json_dumps(gb, JSON_COMPACT);

			fprintf(stderr, "boundary groups differ:\n%s\n%s\n", x, y);
			free(x);
			free(y);
		}
		assert_true(json_equal(ga, gb));
	}
	json_decref(ja);
	json_decref(jb);
	free(mapped);
	http_reply_free(&ra);
	http_reply_free(&rb);
}

/* The chains of a, mapped, equal those of b, DP by DP in a's order. */
static void compare_chains(const struct dpsim_proc *a,
			   const struct dpsim_proc *b, const struct pair *map,
			   const char *const *names_a)
{
	for (size_t i = 0; names_a[i]; i++) {
		struct run ra, rb;
		char *mapped_name = apply_map(names_a[i], map), *mapped_out;

		DPCTL(a, false, &ra, "chain", names_a[i]);
		DPCTL(b, false, &rb, "chain", mapped_name);
		expect_status(&ra, 0);
		expect_status(&rb, 0);
		mapped_out = apply_map(ra.out, map);
		assert_string_equal(mapped_out, rb.out);
		free(mapped_out);
		free(mapped_name);
		run_free(&ra);
		run_free(&rb);
	}
}

static char *tmp_path(const struct dpsim_proc *p, const char *name)
{
	char *s = NULL;

	assert_true(asprintf(&s, "%s/%s", p->dir, name) > 0);
	return s;
}

/* xmllint --schema fixtures/fixture.xsd FILE, when xmllint is there. */
static void validate(const char *file)
{
	const char *argv[] = { "/usr/bin/xmllint", "--noout", "--schema",
			       SOURCE_ROOT "/fixtures/fixture.xsd", file, NULL };
	char *out, *err;
	int st;

	if (access(argv[0], X_OK) != 0)
		return;
	st = run_program(argv, NULL, &out, &err);
	if (st)
		fprintf(stderr, "xmllint: %s%s", out, err);
	assert_int_equal(st, 0);
	free(out);
	free(err);
}

static void start_on(struct dpsim_proc *p, const char *fixture)
{
	const char *args[] = { "--fixture", fixture, NULL };

	dpsim_prepare(p);
	assert_int_equal(dpsim_start(p, fixture ? args : NULL), 0);
}

static void stop(struct dpsim_proc *p)
{
	assert_int_equal(dpsim_stop(p), 0);
	dpsim_cleanup(p);
}

/* The dpsims of the running test, stopped by cleanup() even when an
 * assertion ended the test early (a test's locals are gone by then). */
static struct dpsim_proc procs[2];

static int cleanup(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(procs) / sizeof(procs[0]); i++) {
		if (procs[i].dir[0] || procs[i].pid > 0)
			dpsim_cleanup(&procs[i]);
		memset(&procs[i], 0, sizeof(procs[i]));
		procs[i].err_fd = -1;
	}
	return 0;
}

static const char *const lab_dps[] = {
	"DP01.contoso.com", "DP02.contoso.com", "PULLDP01.contoso.com",
	"PXE01.contoso.com", "DP03.branch.contoso.com",
	"CLOUDDP01.cloudapp.net", NULL,
};

/* ---- tests --------------------------------------------------------------- */

/* The classes compared are every class the lab declares. */
static void lab_declares_these(void **state)
{
	char *lab = read_file(SOURCE_ROOT "/fixtures/lab.xml", NULL);
	size_t n = 0;

	(void)state;
	const char *body = strstr(lab, "<dpsim-fixture");

	assert_non_null(body);
	for (const char *p = body; (p = strstr(p, "\n    <class name=\"")); p++) {
		const char *name = p + strlen("\n    <class name=\"");
		bool listed = false;

		for (size_t k = 0; site_classes[k]; k++)
			listed |= strncmp(name, site_classes[k],
					  strlen(site_classes[k])) == 0 &&
				  name[strlen(site_classes[k])] == '"';
		assert_true(listed);
		n++;
	}
	assert_int_equal(n, N_DECLARED);
	free(lab);
}

static void lab_round_trip(void **state)
{
	struct dpsim_proc *a = &procs[0], *b = &procs[1];
	struct run r;
	char *file, *xml;

	(void)state;
	start_on(a, NULL);
	file = tmp_path(a, "capture.xml");
	DPCTL(a, true, &r, "capture", "--lab-password", "lab", "-o", file);
	expect_status(&r, 0);
	assert_string_equal(r.out, "");
	assert_string_equal(r.err, "");
	run_free(&r);
	validate(file);
	xml = read_file(file, NULL);
	assert_non_null(strstr(xml, "<source dp=\"DP01.contoso.com\"/>"));
	assert_non_null(strstr(xml, "password-hash=\"$y$"));
	assert_null(strstr(xml, "password=\""));
	free(xml);

	start_on(b, file);
	assert_true(compare_sites(a, b, NULL) == 6);
	compare_chains(a, b, NULL, lab_dps);
	compare_boundary_groups(a, b, NULL);

	/* Captured again from the first and from the second, on standard
	 * output and without a user (the hash's salt differs each time):
	 * the same bytes. */
	DPCTL(a, false, &r, "capture");
	expect_status(&r, 0);
	{
		struct run r2;

		DPCTL(b, false, &r2, "capture");
		expect_status(&r2, 0);
		assert_string_equal(r.out, r2.out);
		run_free(&r2);
		/* The same over the AdminService. */
		DPCTL(a, false, &r2, "--protocol", "adminservice", "capture");
		expect_status(&r2, 0);
		assert_string_equal(r.out, r2.out);
		run_free(&r2);
	}
	run_free(&r);
	stop(b);
	free(file);
	stop(a);
}

static void lab_anonymised(void **state)
{
	static const char *const originals[] = {
		"contoso", "cloudapp", "DP01", "DP02", "DP03", "PULLDP0",
		"PXE01", "CLOUDDP", "CM01", NULL,
	};
	struct dpsim_proc *a = &procs[0], *b = &procs[1];
	struct run r;
	char *file, *xml;

	(void)state;
	start_on(a, NULL);
	file = tmp_path(a, "anon.xml");
	DPCTL(a, true, &r, "capture", "--anonymise", "--lab-password", "lab",
	      "-o", file);
	expect_status(&r, 0);
	run_free(&r);
	validate(file);
	xml = read_file(file, NULL);
	assert_non_null(xml);
	for (size_t i = 0; originals[i]; i++) {
		if (strcasestr(xml, originals[i]))
			fprintf(stderr, "'%s' left in:\n%s\n", originals[i],
				xml ? xml : "");
		assert_null(strcasestr(xml, originals[i]));
	}
	assert_non_null(strstr(xml, "fqdn=\"dp0001.example.test\""));
	assert_non_null(strstr(xml, "provider=\"srv0001.example.test\""));
	free(xml);

	start_on(b, file);
	assert_true(compare_sites(a, b, lab_map) == 6);
	compare_chains(a, b, lab_map, lab_dps);
	compare_boundary_groups(a, b, lab_map);
	stop(b);
	free(file);
	stop(a);
}

/* --dp: only the matching DPs, and the rows about them. */
static void lab_some_dps(void **state)
{
	struct dpsim_proc *a = &procs[0], *b = &procs[1];
	struct run r;
	char *file;
	json_t *dps, *members;

	(void)state;
	start_on(a, NULL);
	file = tmp_path(a, "some.xml");
	DPCTL(a, true, &r, "capture", "--dp", "dp0?", "--dp", "*.branch.*",
	      "--lab-password", "lab", "-o", file);
	expect_status(&r, 0);
	run_free(&r);
	validate(file);
	start_on(b, file);
	dps = query_json(b, NULL, "SMS_DistributionPointInfo", NULL);
	assert_int_equal(json_array_size(dps), 3);
	assert_string_equal(json_string_value(json_object_get(json_object_get(
		json_array_get(dps, 2), "properties"), "Name")),
		"DP03.branch.contoso.com");
	json_decref(dps);
	members = query_json(b, NULL, "SMS_DPGroupMembers", NULL);
	/* lab: DP01, DP02, PULLDP01 in group 1, DP03 in 2, DP02 in 3, and
	 * PXE01 ... : the rows of the three DPs kept only */
	for (size_t i = 0; i < json_array_size(members); i++) {
		const char *nal = json_string_value(json_object_get(
			json_object_get(json_array_get(members, i), "properties"),
			"DPNALPath"));

		assert_true(strstr(nal, "\\\\DP01.") || strstr(nal, "\\\\DP02.") ||
			    strstr(nal, "\\\\DP03."));
	}
	assert_true(json_array_size(members) > 0);
	json_decref(members);
	stop(b);
	free(file);
	stop(a);
}

/* A large generated site (bench/gen_fixture.py). */
static void generated_site(void **state)
{
	struct dpsim_proc *a = &procs[0], *b = &procs[1];
	struct run r;
	char *gen, *file, *out, *err;
	const char *n = harness_under_wrapper() ? "300" : "2000";
	const char *argv[] = { "/usr/bin/python3",
			       SOURCE_ROOT "/bench/gen_fixture.py", n, NULL, NULL };

	(void)state;
	dpsim_prepare(a);
	gen = tmp_path(a, "gen.xml");
	argv[3] = gen;
	assert_int_equal(run_program(argv, NULL, &out, &err), 0);
	free(out);
	free(err);
	{
		const char *args[] = { "--fixture", gen, NULL };

		assert_int_equal(dpsim_start(a, args), 0);
	}
	file = tmp_path(a, "capture.xml");
	DPCTL(a, true, &r, "capture", "--lab-password", "lab", "-o", file);
	expect_status(&r, 0);
	run_free(&r);
	validate(file);
	start_on(b, file);
	assert_int_equal(compare_sites(a, b, NULL), strtoul(n, NULL, 10));
	{
		static const char *const some[] = {
			"dp000000.contoso.com", "dp000003.contoso.com",
			"dp000007.contoso.com", NULL,
		};

		compare_chains(a, b, NULL, some);
	}
	stop(b);
	free(file);
	free(gen);
	stop(a);
}

/* Pull-DP chains: sources rebuilt from GetChainedPullDPs. p3 copies from
 * a and from p1, which copies from a itself: the answers cannot tell
 * that a is a direct source of p3 too, so the capture keeps p1 alone,
 * and a's chain holds the same DPs in another order (README, Making the
 * lab look like your site). Every other answer is the same. */
static int cmp_line(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static void sorted_lines(char *text, char **lines, size_t max, size_t *n)
{
	*n = 0;
	for (char *t = strtok(text, "\n"); t && *n < max; t = strtok(NULL, "\n"))
		lines[(*n)++] = t;
	qsort(lines, *n, sizeof(*lines), cmp_line);
}

static void pull_chains(void **state)
{
	static const char fixture[] =
		"<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n"
		"<users><user name=\"lab\" password=\"lab\" "
		"role=\"Full Administrator\"/></users>\n"
		"<site code=\"XY1\" name=\"Chains\" provider=\"cm.corp.example.org\">\n"
		"<dp fqdn=\"a.corp.example.org\"/>\n"
		"<dp fqdn=\"b.corp.example.org\"/>\n"
		"<dp fqdn=\"p1.corp.example.org\" kind=\"pull\">"
		"<source dp=\"a.corp.example.org\"/></dp>\n"
		"<dp fqdn=\"p2.corp.example.org\" kind=\"pull\">"
		"<source dp=\"p1.corp.example.org\"/></dp>\n"
		"<dp fqdn=\"p3.corp.example.org\" kind=\"pull\">"
		"<source dp=\"a.corp.example.org\"/>"
		"<source dp=\"p1.corp.example.org\"/></dp>\n"
		"<dp fqdn=\"p4.corp.example.org\" kind=\"pull\">"
		"<source dp=\"b.corp.example.org\"/>"
		"<source dp=\"a.corp.example.org\"/></dp>\n"
		"</site></dpsim-fixture>\n";
	static const char *const same[] = {
		"b.corp.example.org", "p1.corp.example.org",
		"p2.corp.example.org", "p3.corp.example.org",
		"p4.corp.example.org", NULL,
	};
	struct dpsim_proc *a = &procs[0], *b = &procs[1];
	struct run r, r2;
	char *fx, *file, *xml, *la[8], *lb[8];
	size_t na, nb;

	(void)state;
	dpsim_prepare(a);
	fx = tmp_path(a, "chain.xml");
	{
		FILE *f = fopen(fx, "w");

		assert_non_null(f);
		fputs(fixture, f);
		fclose(f);
	}
	{
		const char *args[] = { "--fixture", fx, NULL };

		assert_int_equal(dpsim_start(a, args), 0);
	}
	file = tmp_path(a, "capture.xml");
	DPCTL(a, true, &r, "capture", "--lab-password", "lab", "-o", file);
	expect_status(&r, 0);
	run_free(&r);
	validate(file);
	xml = read_file(file, NULL);
	assert_non_null(xml);
	/* p4: both sources, in ID order; p3: p1 only */
	assert_non_null(strstr(xml,
		"<dp fqdn=\"p4.corp.example.org\" kind=\"pull\" maintenance=\"0\">"));
	assert_non_null(strstr(xml,
		"      <source dp=\"a.corp.example.org\"/>\n"
		"      <source dp=\"b.corp.example.org\"/>\n"
		"    </dp>\n  </site>"));
	{
		const char *p3 = strstr(xml, "<dp fqdn=\"p3.");
		const char *end = p3 ? strstr(p3, "</dp>") : NULL;
		const char *src = p3 ? strstr(p3, "<source dp=\"p1.") : NULL;

		assert_non_null(end);
		assert_true(src && src < end);
		src = strstr(p3, "<source dp=\"a.");
		assert_true(!src || src > end);
	}
	free(xml);
	start_on(b, file);
	assert_int_equal(compare_sites(a, b, NULL), 6);
	compare_chains(a, b, NULL, same);
	DPCTL(a, false, &r, "chain", "a.corp.example.org");
	DPCTL(b, false, &r2, "chain", "a.corp.example.org");
	expect_status(&r, 0);
	expect_status(&r2, 0);
	sorted_lines(r.out, la, 8, &na);
	sorted_lines(r2.out, lb, 8, &nb);
	assert_int_equal(na, 4);
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++)
		assert_string_equal(la[i], lb[i]);
	run_free(&r);
	run_free(&r2);
	stop(b);
	free(file);
	free(fx);
	stop(a);
}

/* Failures: one line naming what failed, non-zero, and no file. */
static void failures(void **state)
{
	struct dpsim_proc *a = &procs[0];
	struct run r;
	char *file, *old, *bad;
	json_t *rule;
	DIR *dir;
	struct dirent *de;
	size_t entries = 0;

	(void)state;
	start_on(a, NULL);
	file = tmp_path(a, "kept.xml");
	{
		FILE *f = fopen(file, "w");

		assert_non_null(f);
		fputs("old\n", f);
		fclose(f);
	}
	/* A call that fails half-way: the old file stays, no temporary. */
	rule = control_call(a, "POST", "faults",
			    "{\"method\": \"GetChainedPullDPs\", "
			    "\"effect\": \"fault\", "
			    "\"hresult\": \"WBEM_E_ACCESS_DENIED\"}", 201);
	json_decref(rule);
	DPCTL(a, false, &r, "capture", "-o", file);
	expect_status(&r, 1);
	assert_non_null(strstr(r.err, "GetChainedPullDPs of DP01.contoso.com"));
	assert_non_null(strstr(r.err, "WBEM_E_ACCESS_DENIED"));
	assert_int_equal(count_lines_with(r.err, "dpctl:"), 1);
	run_free(&r);
	old = read_file(file, NULL);
	assert_string_equal(old, "old\n");
	free(old);
	dir = opendir(a->dir);
	assert_non_null(dir);
	while ((de = readdir(dir)))
		entries += strstr(de->d_name, ".tmp.") != NULL;
	closedir(dir);
	assert_int_equal(entries, 0);
	json_decref(control_call(a, "DELETE", "faults", NULL, 200));

	/* A directory that is not there. */
	bad = tmp_path(a, "no/such/dir.xml");
	DPCTL(a, false, &r, "capture", "-o", bad);
	expect_status(&r, 3);
	assert_non_null(strstr(r.err, "no/such/dir.xml"));
	run_free(&r);
	free(bad);

	/* No DP matches. */
	DPCTL(a, false, &r, "capture", "--dp", "nothing*");
	expect_status(&r, 1);
	assert_non_null(strstr(r.err, "no DP matches --dp"));
	assert_string_equal(r.out, "");
	run_free(&r);
	free(file);
	stop(a);

	/* Nobody listening. */
	{
		struct dpsim_proc gone = *a;

		DPCTL(&gone, false, &r, "--retries", "0", "capture");
		expect_status(&r, 3);
		assert_non_null(strstr(r.err, "capture: finding the site code"));
		assert_string_equal(r.out, "");
		run_free(&r);
	}
}

/* A value the fixture cannot hold: a declared class whose property the
 * lab declares single-valued holds an array at this site. */
static void inexpressible(void **state)
{
	static const char fixture[] =
		"<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n"
		"<users><user name=\"lab\" password=\"lab\" "
		"role=\"Full Administrator\"/></users>\n"
		"<site code=\"PS1\" name=\"S\" provider=\"cm.example.org\">\n"
		"<dp fqdn=\"dp1.example.org\"/>\n"
		"<class name=\"SMS_DistributionPointGroup\">\n"
		"<property name=\"GroupID\" type=\"string\" key=\"true\"/>\n"
		"<property name=\"Name\" type=\"string\" array=\"true\"/>\n"
		"<instance><value name=\"GroupID\">g1</value>"
		"<value name=\"Name\">a</value><value name=\"Name\">b</value>"
		"</instance>\n</class>\n</site>\n</dpsim-fixture>\n";
	struct dpsim_proc *a = &procs[0];
	struct run r;
	char *fx;

	(void)state;
	dpsim_prepare(a);
	fx = tmp_path(a, "array.xml");
	{
		FILE *f = fopen(fx, "w");

		assert_non_null(f);
		fputs(fixture, f);
		fclose(f);
	}
	{
		const char *args[] = { "--fixture", fx, NULL };

		assert_int_equal(dpsim_start(a, args), 0);
	}
	DPCTL(a, true, &r, "capture");
	expect_status(&r, 1);
	assert_non_null(strstr(r.err, "dpctl: capture: SMS_DistributionPointGroup: "
				      "property Name"));
	assert_string_equal(r.out, "");
	run_free(&r);
	free(fx);
	stop(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(lab_declares_these, cleanup),
		cmocka_unit_test_teardown(lab_round_trip, cleanup),
		cmocka_unit_test_teardown(lab_anonymised, cleanup),
		cmocka_unit_test_teardown(lab_some_dps, cleanup),
		cmocka_unit_test_teardown(generated_site, cleanup),
		cmocka_unit_test_teardown(pull_chains, cleanup),
		cmocka_unit_test_teardown(failures, cleanup),
		cmocka_unit_test_teardown(inexpressible, cleanup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
