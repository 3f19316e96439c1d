/* Security against a real dpsim over HTTP: users whose password is a
 * crypt(3) hash, per-site access and security scopes.
 *
 * Each test starts dpsim with a fixture written to its own temp dir: two
 * sites, PS1 (DP01, DP02 in scope Default; DP03 in scope Branch) and PS2
 * (DP21 in Branch), and the users
 *   admin/admin     Full Administrator everywhere (clear text)
 *   hashed          Infrastructure Administrator everywhere, password
 *                   "s3cret pass" stored as a sha512crypt hash
 *   branch/branch   Infrastructure Administrator at PS1 only, scope Branch
 * Every refusal is checked on the wire (fault subcode, HRESULT in the
 * fault detail, as test_faults.c reads them) and in /_dpsim/journal
 * (user, HRESULT). Then `dpsim --hash-password` makes a hash that signs
 * in, and hides what is typed at its prompt; and hostile input (an
 * external entity, values of absurd length, NUL and invalid UTF-8, deep
 * nesting in XML and WQL, a huge HTTP header) gets a fault naming what
 * was wrong while dpsim goes on serving.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <jansson.h>

#include "harness.h"

#define ACT_GET "http://schemas.xmlsoap.org/ws/2004/09/transfer/Get"
#define ACT_ENUM "http://schemas.xmlsoap.org/ws/2004/09/enumeration/Enumerate"
#define WMI_BASE "http://schemas.microsoft.com/wbem/wsman/1/wmi/root/sms/site_"
#define DPINFO_PS1 WMI_BASE "PS1/SMS_DistributionPointInfo"
#define DPINFO_PS2 WMI_BASE "PS2/SMS_DistributionPointInfo"

#define WBEM_E_NOT_FOUND	0x80041002u
#define WBEM_E_ACCESS_DENIED	0x80041003u

/* sha512crypt (1000 rounds: cheap under valgrind) of "s3cret pass". */
#define HASHED_PASS "s3cret pass"
#define HASHED_HASH "$6$rounds=1000$3WofCmmCObX/9eYl$MtVzGoZ.CVXzWl7iTHf6tnuCv" \
		    "4phvgK9FBgUCYGNXGhRx45iY.YgV8amrG/ys14NZiYmTEj/vgzx9S4i/oxuO0"

#define NAL(fqdn, site) "[\"Display=\\\\" fqdn "\\\"]MSWNET:[\"SMS_SITE=" site \
			"\"]\\\\" fqdn "\\"
#define DP01 NAL("DP01.contoso.com", "PS1")
#define DP03 NAL("DP03.branch.contoso.com", "PS1")
#define DP21 NAL("DP21.contoso.com", "PS2")

#define KEYS(nal, site) "<w:Selector Name=\"NALPath\">" nal "</w:Selector>" \
	"<w:Selector Name=\"ResourceType\">Windows NT Server</w:Selector>" \
	"<w:Selector Name=\"SiteCode\">" site "</w:Selector>"

/* The fixture; %s is the hashed user's password-hash. */
static const char fixture_fmt[] =
	"<?xml version=\"1.0\"?>\n"
	"<dpsim-fixture xmlns=\"urn:dpsim:fixture:1\">\n"
	"  <users>\n"
	"    <user name=\"admin\" password=\"admin\" role=\"Full Administrator\"/>\n"
	"    <user name=\"hashed\" password-hash=\"%s\"\n"
	"          role=\"Infrastructure Administrator\"/>\n"
	"    <user name=\"branch\" password=\"branch\">\n"
	"      <access site=\"PS1\" role=\"Infrastructure Administrator\"\n"
	"              scopes=\"Branch\"/>\n"
	"    </user>\n"
	"  </users>\n"
	"  <site code=\"PS1\" name=\"Lab\" provider=\"CM01.contoso.com\">\n"
	"    <dp fqdn=\"DP01.contoso.com\"/>\n"
	"    <dp fqdn=\"DP02.contoso.com\" scopes=\"Default\"/>\n"
	"    <dp fqdn=\"DP03.branch.contoso.com\" scopes=\"Branch\"/>\n"
	"  </site>\n"
	"  <site code=\"PS2\" name=\"Second\" provider=\"CM02.contoso.com\">\n"
	"    <dp fqdn=\"DP21.contoso.com\" scopes=\"Branch\"/>\n"
	"  </site>\n"
	"</dpsim-fixture>\n";

/* Starts dpsim on the fixture with hash as the hashed user's. */
static struct dpsim_proc *start_with_hash(const char *hash)
{
	struct dpsim_proc *p = calloc(1, sizeof(*p));
	char path[400];
	FILE *f;

	assert_non_null(p);
	dpsim_prepare(p);
	snprintf(path, sizeof(path), "%s/security.xml", p->dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fprintf(f, fixture_fmt, hash);
	assert_int_equal(fclose(f), 0);
	const char *const extra[] = { "--fixture", path, NULL };
	if (dpsim_start(p, extra)) {
		dpsim_cleanup(p);
		free(p);
		return NULL;
	}
	return p;
}

static int start(void **state)
{
	*state = start_with_hash(HASHED_HASH);
	return *state ? 0 : -1;
}

/* ---- requests --------------------------------------------------------- */

static struct http_reply send_env(struct dpsim_proc *p, const char *user,
				  const char *pass, char *env)
{
	struct http_reply r;

	assert_int_equal(http_post(p->url, user, pass, NULL, env, strlen(env), &r), 0);
	free(env);
	return r;
}

static struct http_reply get_dp(struct dpsim_proc *p, const char *user,
				const char *pass, const char *uri,
				const char *keys)
{
	return send_env(p, user, pass, envelope(ACT_GET, uri, keys, NULL));
}

static struct http_reply enum_dps(struct dpsim_proc *p, const char *user,
				  const char *pass, const char *uri)
{
	return send_env(p, user, pass, envelope(ACT_ENUM, uri, NULL,
		"<n:Enumerate><w:OptimizeEnumeration/><w:MaxElements>50"
		"</w:MaxElements></n:Enumerate>"));
}

static struct http_reply set_mode(struct dpsim_proc *p, const char *user,
				  const char *pass, const char *uri,
				  const char *nal, const char *mode)
{
	char *body = NULL, action[256];

	assert_true(asprintf(&body, "<p:SetDPMaintenanceMode_INPUT xmlns:p=\"%s\">"
			     "<p:NALPath>%s</p:NALPath><p:Mode>%s</p:Mode>"
			     "</p:SetDPMaintenanceMode_INPUT>", uri, nal, mode) > 0);
	snprintf(action, sizeof(action), "%s/SetDPMaintenanceMode", uri);
	char *env = envelope(action, uri, NULL, body);
	free(body);
	return send_env(p, user, pass, env);
}

static void expect_text(const struct http_reply *r, const char *expr,
			const char *want)
{
	char *v = xpath_text(r->body, expr);

	if (!v || strcmp(v, want) != 0) {
		fprintf(stderr, "--- response ---\n%s\n----------------\n", r->body);
		fail_msg("%s: got '%s', want '%s'", expr, v ? v : "(absent)", want);
	}
	free(v);
}

static void expect_reason_has(const struct http_reply *r, const char *part)
{
	char *v = xpath_text(r->body, "/s:Envelope/s:Body/s:Fault/s:Reason/s:Text");

	if (!v || !strstr(v, part))
		fail_msg("Reason '%s' does not mention '%s'", v ? v : "(absent)", part);
	free(v);
}

/* A provider fault: HTTP 500, the subcode, and hr both as the WSManFault
 * Code and as MSFT_WmiError's error_Code. */
static void expect_fault(struct http_reply *r, const char *subcode, uint32_t hr)
{
	char num[16];

	if (r->status != 500) {
		fprintf(stderr, "--- response ---\n%s\n----------------\n", r->body);
		fail_msg("HTTP %ld, want 500", r->status);
	}
	expect_text(r, "/s:Envelope/s:Body/s:Fault/s:Code/s:Subcode/s:Value", subcode);
	snprintf(num, sizeof(num), "%u", hr);
	expect_text(r, "/s:Envelope/s:Body/s:Fault/s:Detail/f:WSManFault/@Code", num);
	expect_text(r, "//s:Detail/*[local-name()='MSFT_WmiError']"
		    "/*[local-name()='error_Code']", num);
}

static void expect_return_value(struct http_reply *r, const char *want)
{
	if (r->status != 200)
		fail_msg("HTTP %ld, want 200: %s", r->status, r->body);
	expect_text(r, "//*[local-name()='SetDPMaintenanceMode_OUTPUT']"
		    "/*[local-name()='ReturnValue']", want);
}

static int count_items(const struct http_reply *r)
{
	return xpath_count(r->body, "//w:Items/*[local-name()="
			   "'SMS_DistributionPointInfo']");
}

/* The journal rows a filter (query string) selects. */
static json_t *journal(struct dpsim_proc *p, const char *query)
{
	char url[512];
	struct http_reply r;
	json_t *j, *entries;

	dpsim_base(p, url, sizeof(url));
	snprintf(url + strlen(url), sizeof(url) - strlen(url),
		 "/_dpsim/journal?%s", query);
	assert_int_equal(http_request("GET", url, NULL, NULL, 0, &r), 0);
	if (r.status != 200)
		fail_msg("GET %s: HTTP %ld: %s", url, r.status, r.body);
	j = json_loads(r.body, 0, NULL);
	http_reply_free(&r);
	assert_non_null(j);
	entries = json_incref(json_object_get(j, "entries"));
	json_decref(j);
	assert_true(json_is_array(entries));
	return entries;
}

static const char *jstr(json_t *row, const char *key)
{
	const char *v = json_string_value(json_object_get(row, key));

	if (!v)
		fail_msg("journal row has no string '%s'", key);
	return v;
}

/* ---- hashed passwords ------------------------------------------------- */

static void hashed_user_reads_and_changes(void **state)
{
	struct dpsim_proc *p = *state;
	struct http_reply r;

	r = get_dp(p, "hashed", HASHED_PASS, DPINFO_PS1, KEYS(DP01, "PS1"));
	assert_int_equal(r.status, 200);
	expect_text(&r, "//*[local-name()='Name']", "DP01.contoso.com");
	expect_text(&r, "//*[local-name()='MaintenanceMode']", "0");
	http_reply_free(&r);

	r = set_mode(p, "hashed", HASHED_PASS, DPINFO_PS1, DP01, "1");
	expect_return_value(&r, "0");
	http_reply_free(&r);

	/* Again (now from the memo of the accepted password): the change
	 * is there. */
	r = get_dp(p, "HASHED", HASHED_PASS, DPINFO_PS1, KEYS(DP01, "PS1"));
	assert_int_equal(r.status, 200);
	expect_text(&r, "//*[local-name()='MaintenanceMode']", "1");
	http_reply_free(&r);

	json_t *rows = journal(p, "user=hashed&method=SetDPMaintenanceMode");
	assert_int_equal(json_array_size(rows), 1);
	assert_string_equal(jstr(json_array_get(rows, 0), "result"), "ok");
	json_decref(rows);
}

static void wrong_password_is_401(void **state)
{
	struct dpsim_proc *p = *state;
	static const char *const bad[][2] = {
		{ "hashed", "s3cret pas" },
		{ "hashed", "" },
		{ "hashed", HASHED_HASH },	/* the hash is no password */
		{ "nobody", HASHED_PASS },
		{ "branch", "Branch" },
	};

	/* A success first, so the memo holds a password: others still fail. */
	struct http_reply r = get_dp(p, "hashed", HASHED_PASS, DPINFO_PS1,
				     KEYS(DP01, "PS1"));
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		r = get_dp(p, bad[i][0], bad[i][1], DPINFO_PS1, KEYS(DP01, "PS1"));
		if (r.status != 401)
			fail_msg("%s:%s: HTTP %ld, want 401", bad[i][0], bad[i][1],
				 r.status);
		assert_non_null(strstr(r.www_authenticate, "Basic"));
		http_reply_free(&r);
	}
	/* Nothing reached the provider; each refusal is a journal row of
	 * its own naming the user tried, never the password. */
	json_t *rows = journal(p, "user=nobody");
	assert_int_equal(json_array_size(rows), 1);
	json_t *row = json_array_get(rows, 0);
	assert_string_equal(jstr(row, "operation"), "request");
	assert_string_equal(jstr(row, "result"), "401");
	assert_string_equal(jstr(row, "params"), "wrong password or unknown user 'nobody'");
	json_decref(rows);
	rows = journal(p, "user=hashed&result=401");
	assert_int_equal(json_array_size(rows), 3);
	for (size_t i = 0; i < 3; i++) {
		char *text = json_dumps(json_array_get(rows, i), 0);
		assert_null(strstr(text, "s3cret"));
		assert_null(strstr(text, HASHED_HASH));
		free(text);
	}
	json_decref(rows);
	rows = journal(p, "operation=get&result=error");
	assert_int_equal(json_array_size(rows), 0);
	json_decref(rows);
}

/* ---- per-site access -------------------------------------------------- */

static void no_access_at_other_site(void **state)
{
	struct dpsim_proc *p = *state;
	struct http_reply r;

	r = enum_dps(p, "branch", "branch", DPINFO_PS2);
	expect_fault(&r, "w:AccessDenied", WBEM_E_ACCESS_DENIED);
	expect_reason_has(&r, "User 'branch' has no security role at site PS2");
	http_reply_free(&r);

	r = get_dp(p, "branch", "branch", DPINFO_PS2, KEYS(DP21, "PS2"));
	expect_fault(&r, "w:AccessDenied", WBEM_E_ACCESS_DENIED);
	http_reply_free(&r);

	/* Even a DP in the user's scope: no role at PS2 at all. */
	r = set_mode(p, "branch", "branch", DPINFO_PS2, DP21, "1");
	expect_fault(&r, "w:AccessDenied", WBEM_E_ACCESS_DENIED);
	http_reply_free(&r);

	/* The admin reads PS2. */
	r = enum_dps(p, "admin", "admin", DPINFO_PS2);
	assert_int_equal(r.status, 200);
	assert_int_equal(count_items(&r), 1);
	http_reply_free(&r);

	json_t *rows = journal(p, "user=branch&site=PS2");
	assert_int_equal(json_array_size(rows), 3);
	for (size_t i = 0; i < 3; i++) {
		json_t *row = json_array_get(rows, i);

		assert_string_equal(jstr(row, "user"), "branch");
		assert_string_equal(jstr(row, "hresult"), "0x80041003");
		assert_string_equal(jstr(row, "site"), "PS2");
	}
	assert_string_equal(jstr(json_array_get(rows, 0), "operation"), "enumerate");
	assert_string_equal(jstr(json_array_get(rows, 1), "operation"), "get");
	assert_string_equal(jstr(json_array_get(rows, 2), "operation"), "invoke");
	json_decref(rows);
}

/* ---- security scopes -------------------------------------------------- */

static void scoped_user_sees_and_changes_its_dps(void **state)
{
	struct dpsim_proc *p = *state;
	struct http_reply r;

	/* Enumerate: DP03 only (DP01, DP02 are in scope Default). */
	r = enum_dps(p, "branch", "branch", DPINFO_PS1);
	assert_int_equal(r.status, 200);
	assert_int_equal(count_items(&r), 1);
	expect_text(&r, "//*[local-name()='Name']", "DP03.branch.contoso.com");
	http_reply_free(&r);
	r = enum_dps(p, "admin", "admin", DPINFO_PS1);
	assert_int_equal(count_items(&r), 3);
	http_reply_free(&r);

	/* Get of an out-of-scope DP: not found, as if it did not exist. */
	r = get_dp(p, "branch", "branch", DPINFO_PS1, KEYS(DP01, "PS1"));
	expect_fault(&r, "w:InvalidSelectors", WBEM_E_NOT_FOUND);
	http_reply_free(&r);
	r = get_dp(p, "branch", "branch", DPINFO_PS1, KEYS(DP03, "PS1"));
	assert_int_equal(r.status, 200);
	expect_text(&r, "//*[local-name()='Name']", "DP03.branch.contoso.com");
	http_reply_free(&r);

	/* SetDPMaintenanceMode out of scope: the fault a DP that does not
	 * exist gets, word for word, so the answer tells the user nothing
	 * about DP01 (neither that it exists nor its scopes); done in
	 * scope. */
	r = set_mode(p, "branch", "branch", DPINFO_PS1,
		     NAL("DP99.contoso.com", "PS1"), "1");
	char *unknown_sub = xpath_text(r.body, "/s:Envelope/s:Body/s:Fault/"
				       "s:Code/s:Subcode/s:Value");
	assert_non_null(unknown_sub);
	expect_fault(&r, unknown_sub, WBEM_E_NOT_FOUND);
	http_reply_free(&r);
	r = set_mode(p, "branch", "branch", DPINFO_PS1, DP01, "1");
	expect_fault(&r, unknown_sub, WBEM_E_NOT_FOUND);
	expect_reason_has(&r, "No distribution point with NAL path '" DP01
			  "' in site PS1.");
	assert_null(strstr(r.body, "DP01.contoso.com:"));
	assert_null(strstr(r.body, "Default"));
	assert_null(strstr(r.body, "scope"));
	free(unknown_sub);
	http_reply_free(&r);
	r = set_mode(p, "branch", "branch", DPINFO_PS1, DP03, "1");
	expect_return_value(&r, "0");
	http_reply_free(&r);
	r = get_dp(p, "admin", "admin", DPINFO_PS1, KEYS(DP01, "PS1"));
	expect_text(&r, "//*[local-name()='MaintenanceMode']", "0");
	http_reply_free(&r);
	r = get_dp(p, "admin", "admin", DPINFO_PS1, KEYS(DP03, "PS1"));
	expect_text(&r, "//*[local-name()='MaintenanceMode']", "1");
	http_reply_free(&r);

	/* The journal: the hidden Get and the refused change as not found
	 * (with user and NAL path), the change. */
	json_t *rows = journal(p, "user=branch&result=WBEM_E_ACCESS_DENIED");
	assert_int_equal(json_array_size(rows), 0);
	json_decref(rows);
	rows = journal(p, "user=branch&result=WBEM_E_NOT_FOUND");
	assert_int_equal(json_array_size(rows), 3);
	assert_string_equal(jstr(json_array_get(rows, 0), "operation"), "get");
	assert_string_equal(jstr(json_array_get(rows, 0), "hresult"), "0x80041002");
	json_t *row = json_array_get(rows, 2);
	assert_string_equal(jstr(row, "hresult_name"), "WBEM_E_NOT_FOUND");
	assert_string_equal(jstr(row, "method"), "SetDPMaintenanceMode");
	assert_string_equal(jstr(row, "nalpath"), DP01);
	json_decref(rows);
	rows = journal(p, "user=branch&method=SetDPMaintenanceMode&result=ok");
	assert_int_equal(json_array_size(rows), 1);
	assert_string_equal(jstr(json_array_get(rows, 0), "nalpath"), DP03);
	json_decref(rows);
}

/* ---- dpsim --hash-password -------------------------------------------- */

/* Runs `printf '%s\n' input | dpsim --hash-password`. */
static int hash_password(const char *input, char **out, char **err)
{
	const char *const argv[] = {
		"/bin/sh", "-c", "printf '%s\\n' \"$1\" | \"$0\" --hash-password",
		DPSIM_BIN, input, NULL
	};
	return run_program(argv, NULL, out, err);
}

static void hash_password_option(void **state)
{
	char *out = NULL, *err = NULL;
	struct http_reply r;

	assert_int_equal(hash_password("pa55 word", &out, &err), 0);
	assert_string_equal(err, "");
	/* Two lines: a yescrypt hash, then the NT hash (MD4 of the
	 * UTF-16LE password) for nt-hash. */
	assert_memory_equal(out, "$y$", 3);
	char *nl = strchr(out, '\n');
	assert_non_null(nl);
	assert_string_equal(nl, "\n335987CD46541C385E7FFAD730F54194\n");
	*nl = '\0';

	struct dpsim_proc *p = start_with_hash(out);
	assert_non_null(p);
	*state = p;
	r = get_dp(p, "hashed", "pa55 word", DPINFO_PS1, KEYS(DP01, "PS1"));
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	r = get_dp(p, "hashed", "pa55 word", DPINFO_PS1, KEYS(DP01, "PS1"));
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	r = get_dp(p, "hashed", "pa55 wor", DPINFO_PS1, KEYS(DP01, "PS1"));
	assert_int_equal(r.status, 401);
	http_reply_free(&r);
	free(out);
	free(err);

	/* An empty line is refused. */
	assert_int_equal(hash_password("", &out, &err), 2);
	assert_string_equal(out, "");
	assert_non_null(strstr(err, "empty password"));
	free(out);
	free(err);
}

/* ---- hostile input ------------------------------------------------------ */

/* A text of n copies of unit (malloc'd). */
static char *repeat(const char *unit, size_t n)
{
	size_t len = strlen(unit);
	char *out = malloc(len * n + 1);

	assert_non_null(out);
	for (size_t i = 0; i < n; i++)
		memcpy(out + i * len, unit, len);
	out[len * n] = '\0';
	return out;
}

/* env with every "@@" replaced by byte b (for bytes an envelope built
 * with printf cannot hold: NUL, invalid UTF-8); *len its length. */
static char *with_byte(char *env, char b, size_t *len)
{
	char *at;

	*len = strlen(env);
	while ((at = strstr(env, "@@"))) {
		at[0] = b;
		memmove(at + 1, at + 2, strlen(at + 2) + 1);
		(*len)--;
	}
	return env;
}

/* Sends len bytes of env as admin; the answer must be a WS-Man fault with
 * subcode and a Reason mentioning reason_has, and no trace of leak (when
 * given) may appear in it. */
static void expect_refused(struct dpsim_proc *p, char *env, size_t len,
			   const char *subcode, const char *reason_has,
			   const char *leak)
{
	struct http_reply r;

	assert_int_equal(http_post(p->url, "admin", "admin", NULL, env, len, &r), 0);
	free(env);
	if (r.status != 500)
		fail_msg("HTTP %ld, want 500: %.300s", r.status, r.body);
	expect_text(&r, "/s:Envelope/s:Body/s:Fault/s:Code/s:Subcode/s:Value",
		    subcode);
	expect_reason_has(&r, reason_has);
	if (leak)
		assert_null(strstr(r.body, leak));
	http_reply_free(&r);
}

#define WQL_DIALECT "http://schemas.microsoft.com/wbem/wsman/1/WQL"

static char *wql_env(const char *where)
{
	char *body = NULL;

	assert_true(asprintf(&body, "<n:Enumerate><w:Filter Dialect=\""
			     WQL_DIALECT "\">SELECT * FROM "
			     "SMS_DistributionPointInfo WHERE %s</w:Filter>"
			     "</n:Enumerate>", where) > 0);
	char *env = envelope(ACT_ENUM, DPINFO_PS1, NULL, body);
	free(body);
	return env;
}

/* What an attacker on the port can send gets a fault naming what was
 * wrong, reads nothing from disk, and leaves dpsim serving. */
static void hostile_input_is_a_fault(void **state)
{
	struct dpsim_proc *p = *state;
	struct http_reply r;
	char *env, *big, *sel;
	size_t len;

	/* An external entity naming a local file: refused as a DTD, the
	 * file never read into the answer. */
	env = envelope(ACT_GET, DPINFO_PS1, KEYS(DP01, "PS1"), NULL);
	char *at = strstr(env, "<env:Envelope");
	char *xxe = NULL;
	assert_true(asprintf(&xxe, "%.*s<!DOCTYPE env:Envelope [<!ENTITY x "
			     "SYSTEM \"file:///etc/passwd\">]>%s",
			     (int)(at - env), env, at) > 0);
	free(env);
	char *ref = strstr(xxe, "</env:Body>");
	char *xxe2 = NULL;
	assert_true(asprintf(&xxe2, "%.*s&x;%s", (int)(ref - xxe), xxe, ref) > 0);
	free(xxe);
	expect_refused(p, xxe2, strlen(xxe2), "w:SchemaValidationError", "DTD",
		       "root:");

	/* A selector value of 200 000 bytes. */
	big = repeat("A", 200000);
	assert_true(asprintf(&sel, "<w:Selector Name=\"NALPath\">%s</w:Selector>",
			     big) > 0);
	free(big);
	env = envelope(ACT_GET, DPINFO_PS1, sel, NULL);
	free(sel);
	expect_refused(p, env, strlen(env), "w:SchemaValidationError",
		       "longer than", NULL);

	/* Invalid UTF-8 and a NUL inside a selector value. */
	env = with_byte(envelope(ACT_GET, DPINFO_PS1, "<w:Selector Name=\"Name\">"
				 "DP@@01</w:Selector>", NULL), '\xff', &len);
	expect_refused(p, env, len, "w:SchemaValidationError", "UTF-8", NULL);
	env = with_byte(envelope(ACT_GET, DPINFO_PS1, "<w:Selector Name=\"Name\">"
				 "DP@@01</w:Selector>", NULL), '\0', &len);
	expect_refused(p, env, len, "w:SchemaValidationError", "well-formed",
		       NULL);

	/* WQL: 300 000 bytes, invalid UTF-8, nesting 20 000 deep. */
	big = repeat("x", 300000);
	assert_true(asprintf(&sel, "Name = '%s'", big) > 0);
	free(big);
	env = wql_env(sel);
	free(sel);
	expect_refused(p, env, strlen(env), "w:SchemaValidationError",
		       "longer than", NULL);
	env = with_byte(wql_env("Name = '@@'"), '\xfe', &len);
	expect_refused(p, env, len, "w:SchemaValidationError", "UTF-8", NULL);
	char *open = repeat("(", 20000), *close = repeat(")", 20000);
	assert_true(asprintf(&sel, "%sName = 'DP01'%s", open, close) > 0);
	free(open);
	free(close);
	env = wql_env(sel);
	free(sel);
	expect_refused(p, env, strlen(env), "n:CannotProcessFilter",
		       "nested deeper", NULL);

	/* Elements nested 5 000 deep. */
	open = repeat("<x>", 5000);
	close = repeat("</x>", 5000);
	assert_true(asprintf(&sel, "<n:Enumerate>%s%s</n:Enumerate>", open,
			     close) > 0);
	free(open);
	free(close);
	env = envelope(ACT_ENUM, DPINFO_PS1, NULL, sel);
	free(sel);
	expect_refused(p, env, strlen(env), "w:SchemaValidationError",
		       "deeper than", NULL);

	/* An HTTP header of 100 000 bytes: refused by the HTTP layer. */
	big = repeat("a", 100000);
	char *hdr = NULL;
	assert_true(asprintf(&hdr, "X-Junk: %s", big) > 0);
	free(big);
	const char *const headers[] = { hdr, NULL };
	env = envelope(ACT_ENUM, DPINFO_PS1, NULL, "<n:Enumerate/>");
	assert_int_equal(http_request("POST", p->url, headers, env, strlen(env),
				      &r), 0);
	assert_int_equal(r.status, 431);
	http_reply_free(&r);
	free(env);
	free(hdr);

	/* And dpsim still answers. */
	r = get_dp(p, "admin", "admin", DPINFO_PS1, KEYS(DP01, "PS1"));
	assert_int_equal(r.status, 200);
	expect_text(&r, "//*[local-name()='MaintenanceMode']", "0");
	http_reply_free(&r);
}

/* dpsim --hash-password on a terminal: a pseudo-terminal pair, dpsim on
 * its slave side. Returns dpsim's pid; *master is the test's side. */
static pid_t hash_password_on_pty(int *master)
{
	int m = posix_openpt(O_RDWR | O_NOCTTY);

	assert_true(m >= 0);
	assert_int_equal(grantpt(m), 0);
	assert_int_equal(unlockpt(m), 0);
	const char *slave = ptsname(m);
	assert_non_null(slave);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setsid();
		int s = open(slave, O_RDWR);	/* becomes the controlling tty */
		if (s < 0)
			_exit(127);
		dup2(s, 0);
		dup2(s, 1);
		dup2(s, 2);
		close(m);
		execl(DPSIM_BIN, "dpsim", "--hash-password", (char *)NULL);
		_exit(127);
	}
	*master = m;
	return pid;
}

/* Waits (at most 10 s, polling the terminal's flags) until dpsim has
 * turned echo off: the condition the prompt tests need, not a delay. */
static bool wait_echo_off(int master)
{
	struct termios t;

	for (int i = 0; i < 10000; i++) {
		if (tcgetattr(master, &t) == 0 && !(t.c_lflag & ECHO))
			return true;
		nanosleep(&(struct timespec){ 0, 1000000 }, NULL);
	}
	return false;
}

/* Everything dpsim writes to the terminal until it closes it. */
static char *read_until_eof(int master)
{
	static char text[4096];
	size_t n = 0;
	struct pollfd pfd = { master, POLLIN, 0 };

	while (n + 1 < sizeof(text) && poll(&pfd, 1, 10000) > 0) {
		ssize_t got = read(master, text + n, sizeof(text) - 1 - n);
		if (got <= 0)
			break;	/* EIO once the slave side is closed */
		n += (size_t)got;
	}
	text[n] = '\0';
	return text;
}

/* The password typed at the prompt is not echoed, the hash is printed;
 * Ctrl-C at the prompt leaves the terminal with echo back on. */
static void hash_password_prompt(void **state)
{
	int master, status;
	struct termios t;
	pid_t pid;

	(void)state;
	pid = hash_password_on_pty(&master);
	assert_true(wait_echo_off(master));
	assert_int_equal(write(master, "typed secret\n", 13), 13);
	char *text = read_until_eof(master);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(text, "Password: "));
	assert_null(strstr(text, "typed secret"));
	assert_non_null(strstr(text, "$y$"));
	close(master);

	pid = hash_password_on_pty(&master);
	assert_true(wait_echo_off(master));
	assert_int_equal(kill(pid, SIGINT), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGINT);
	assert_int_equal(tcgetattr(master, &t), 0);
	assert_true(t.c_lflag & ECHO);
	close(master);
}

/* ---- cross-site requests to the control API and the dashboard ---------- */

/* The control API and the dashboard on a loopback listener answer only
 * Host names that are loopback (localhost, 127.x.x.x, [::1]) or given
 * with --allow-host: a page on a name the attacker controls, rebound to
 * 127.0.0.1 (DNS rebinding), sends its own name and gets 421. */
static long status_with_host(struct dpsim_proc *p, const char *method,
			     const char *path, const char *host,
			     const char *body)
{
	char url[256], hdr[160];
	struct http_reply r;
	const char *headers[3] = { hdr, "Content-Type: application/json", NULL };
	long st;

	dpsim_base(p, url, sizeof(url));
	strncat(url, path, sizeof(url) - strlen(url) - 1);
	snprintf(hdr, sizeof(hdr), "Host: %s", host);
	assert_int_equal(http_request(method, url, headers, body,
				      body ? strlen(body) : 0, &r), 0);
	st = r.status;
	if (st == 421 && !strstr(r.body, host))
		fail_msg("%s %s with Host %s: 421 without naming the host: %s",
			 method, path, host, r.body);
	http_reply_free(&r);
	return st;
}

/* "127.0.0.1:PORT" of p. */
static const char *own_hostport(struct dpsim_proc *p)
{
	static char hp[64];
	char base[160];

	dpsim_base(p, base, sizeof(base));
	snprintf(hp, sizeof(hp), "%s", base + strlen("http://"));
	return hp;
}

static void foreign_host_is_421(void **state)
{
	struct dpsim_proc *p = *state;
	const char *port = strrchr(own_hostport(p), ':');
	char host[64];
	static const char rule[] = "{\"method\": \"SetDPMaintenanceMode\", "
		"\"effect\": \"fault\", \"hresult\": \"0x80041001\"}";

	/* A foreign name, with and without the port. */
	assert_int_equal(status_with_host(p, "GET", "/_dpsim/state",
					  "evil.example", NULL), 421);
	snprintf(host, sizeof(host), "evil.example%s", port);
	assert_int_equal(status_with_host(p, "GET", "/_dpsim/state", host,
					  NULL), 421);
	assert_int_equal(status_with_host(p, "POST", "/_dpsim/faults", host,
					  rule), 421);
	assert_int_equal(status_with_host(p, "POST", "/_dpsim/reset", host,
					  NULL), 421);
	assert_int_equal(status_with_host(p, "GET", "/_dpsim/health", host,
					  NULL), 421);
	assert_int_equal(status_with_host(p, "GET", "/", host, NULL), 421);
	assert_int_equal(status_with_host(p, "GET", "/dashboard/api/whoami",
					  host, NULL), 421);
	/* A name that merely ends like a loopback one is foreign too. */
	snprintf(host, sizeof(host), "localhost.evil.example%s", port);
	assert_int_equal(status_with_host(p, "GET", "/_dpsim/state", host,
					  NULL), 421);
	snprintf(host, sizeof(host), "127.0.0.1.evil.example%s", port);
	assert_int_equal(status_with_host(p, "GET", "/_dpsim/state", host,
					  NULL), 421);

	/* Nothing changed: no fault rule. */
	json_t *j = control_call(p, "GET", "faults", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "faults")), 0);
	json_decref(j);

	/* Loopback names are served. */
	static const char *const loopback[] = { "localhost", "127.0.0.1",
						"127.1.2.3", "[::1]" };
	for (size_t i = 0; i < sizeof(loopback) / sizeof(loopback[0]); i++) {
		snprintf(host, sizeof(host), "%s%s", loopback[i], port);
		if (status_with_host(p, "GET", "/_dpsim/state", host, NULL) != 200)
			fail_msg("Host %s refused", host);
		if (status_with_host(p, "GET", "/", host, NULL) != 200)
			fail_msg("Host %s refused for the dashboard", host);
	}
}

/* --allow-host NAME adds a name the control API and dashboard answer. */
static void allow_host_option(void **state)
{
	struct dpsim_proc *p = calloc(1, sizeof(*p));
	const char *const extra[] = { "--allow-host", "lab.example", NULL };
	char host[64];

	assert_non_null(p);
	*state = p;
	assert_int_equal(dpsim_start(p, extra), 0);
	const char *port = strrchr(own_hostport(p), ':');
	snprintf(host, sizeof(host), "lab.example%s", port);
	assert_int_equal(status_with_host(p, "GET", "/_dpsim/state", host,
					  NULL), 200);
	assert_int_equal(status_with_host(p, "GET", "/", host, NULL), 200);
	snprintf(host, sizeof(host), "other.example%s", port);
	assert_int_equal(status_with_host(p, "GET", "/_dpsim/state", host,
					  NULL), 421);
}

/* A state-changing control request needs Content-Type: application/json
 * (415 otherwise: an HTML form or a no-cors fetch cannot send it), and a
 * request with a foreign Origin is refused (403). */
static void cross_site_control_requests_refused(void **state)
{
	struct dpsim_proc *p = *state;
	char url[256], own[200];
	struct http_reply r;
	static const char rule[] = "{\"method\": \"SetDPMaintenanceMode\", "
		"\"effect\": \"fault\", \"hresult\": \"0x80041001\"}";

	dpsim_base(p, url, sizeof(url));
	strcat(url, "/_dpsim/faults");
	static const char *const plain[] = { "Content-Type: text/plain", NULL };
	assert_int_equal(http_request("POST", url, plain, rule, strlen(rule),
				      &r), 0);
	assert_int_equal(r.status, 415);
	assert_non_null(strstr(r.body, "application/json"));
	http_reply_free(&r);
	static const char *const form[] = {
		"Content-Type: application/x-www-form-urlencoded", NULL };
	assert_int_equal(http_request("POST", url, form, rule, strlen(rule),
				      &r), 0);
	assert_int_equal(r.status, 415);
	http_reply_free(&r);

	static const char *const foreign[] = {
		"Content-Type: application/json",
		"Origin: http://evil.example", NULL };
	assert_int_equal(http_request("POST", url, foreign, rule, strlen(rule),
				      &r), 0);
	assert_int_equal(r.status, 403);
	assert_non_null(strstr(r.body, "http://evil.example"));
	http_reply_free(&r);
	/* Another port of the same address is another origin. */
	static const char *const other_port[] = {
		"Content-Type: application/json",
		"Origin: http://127.0.0.1:1", NULL };
	assert_int_equal(http_request("POST", url, other_port, rule,
				      strlen(rule), &r), 0);
	assert_int_equal(r.status, 403);
	http_reply_free(&r);
	/* Reads with a foreign Origin too, and WS-Man. */
	assert_int_equal(http_request("GET", url, foreign, NULL, 0, &r), 0);
	assert_int_equal(r.status, 403);
	http_reply_free(&r);
	char *env = envelope(ACT_GET, DPINFO_PS1, KEYS(DP01, "PS1"), NULL);
	static const char *const wsman_foreign[] = {
		"Content-Type: application/soap+xml;charset=UTF-8",
		"Origin: http://evil.example", NULL };
	assert_int_equal(http_request("POST", p->url, wsman_foreign, env,
				      strlen(env), &r), 0);
	assert_int_equal(r.status, 403);
	http_reply_free(&r);
	free(env);

	/* Nothing was added. */
	json_t *j = control_call(p, "GET", "faults", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "faults")), 0);
	json_decref(j);

	/* dpsim's own origin, and no Origin at all (curl, dpctl), work. */
	snprintf(own, sizeof(own), "Origin: http://%s", own_hostport(p));
	const char *const same[] = { "Content-Type: application/json", own, NULL };
	assert_int_equal(http_request("POST", url, same, rule, strlen(rule),
				      &r), 0);
	assert_int_equal(r.status, 201);
	http_reply_free(&r);
	json_decref(control_call(p, "POST", "faults", rule, 201));
	j = control_call(p, "GET", "faults", NULL, 200);
	assert_int_equal(json_array_size(json_object_get(j, "faults")), 2);
	json_decref(j);
}

static int no_start(void **state)
{
	*state = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(hashed_user_reads_and_changes, start, harness_stop),
		cmocka_unit_test_setup_teardown(wrong_password_is_401, start, harness_stop),
		cmocka_unit_test_setup_teardown(no_access_at_other_site, start, harness_stop),
		cmocka_unit_test_setup_teardown(scoped_user_sees_and_changes_its_dps,
						start, harness_stop),
		cmocka_unit_test_setup_teardown(hash_password_option, no_start, harness_stop),
		cmocka_unit_test(hash_password_prompt),
		cmocka_unit_test_setup_teardown(hostile_input_is_a_fault, start, harness_stop),
		/* These three need the server side of cross-site protection
		 * (Host, Origin and Content-Type checks in http.c). */
		cmocka_unit_test_setup_teardown(foreign_host_is_421, start, harness_stop),
		cmocka_unit_test_setup_teardown(allow_host_option, no_start, harness_stop),
		cmocka_unit_test_setup_teardown(cross_site_control_requests_refused,
						start, harness_stop),
	};
	return cmocka_run_group_tests_name("security", tests, NULL, NULL);
}
