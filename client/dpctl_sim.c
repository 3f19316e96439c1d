/* dpctl sim: dpsim's control API from the shell, so that a test suite in
 * shell or PowerShell needs neither curl nor jq. Each subcommand prints
 * text, or with --json dpsim's own JSON answer, and exits 0 on success, 1
 * when dpsim said no (a missing site or snapshot, a count that is not
 * the expected one, not ready), 2 for a bad request, 3 when dpsim could
 * not be reached or refused the token. */
#include "dpctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "num.h"

const struct dpctl_opt dpctl_sim_opts[] = {
	{ "admin-token", 0, "TOKEN", "control API token (default $DPSIM_ADMIN_TOKEN)",
	  OPT_ADMIN_TOKEN },
	{ "wait", 0, "DURATION", "health: wait up to this long for ready", OPT_WAIT },
	{ "seed", 0, "N", "reset: restart the fault generators from seed N",
	  OPT_SEED },
	{ "rule", 0, "JSON", "fault add: the whole rule as JSON", OPT_RULE },
	{ "effect", 0, "EFFECT",
	  "fault add: return|fault|http|drop|timeout|delay", OPT_EFFECT },
	{ "hresult", 0, "HRESULT", "fault add: 0x80041001, decimal or a name",
	  OPT_HRESULT },
	{ "status", 0, "N", "fault add: HTTP status of the http effect",
	  OPT_STATUS },
	{ "delay", 0, "DURATION", "fault add: wait before the effect", OPT_DELAY },
	{ "times", 0, "N", "fault add: fire N times, then retire", OPT_TIMES },
	{ "after", 0, "N", "fault add: let the first N matches pass", OPT_AFTER },
	{ "probability", 0, "P", "fault add: fire with probability P (0..1)",
	  OPT_PROBABILITY },
	{ "op", 0, "OP", "match the operation: get|enumerate|invoke (journal: "
	  "also request, a refused request)", OPT_OP },
	{ "class", 'c', "GLOB", "match the class", OPT_CLASS },
	{ "method", 'M', "GLOB", "match the method", OPT_METHOD },
	{ "nal", 'n', "GLOB", "match the NAL path (* and ?, any case)", OPT_NAL },
	{ "mode", 'm', "0|1", "fault add: match the Mode parameter", OPT_MODE },
	{ "for-user", 0, "GLOB", "match the calling user", OPT_FOR_USER },
	{ "protocol", 0, "GLOB", "match the protocol (wsman, adminservice, dashboard)", OPT_PROTOCOL },
	{ "result", 0, "RESULT",
	  "journal: ok|error|fault|return|http|drop|timeout|delay, an HRESULT "
	  "or a refusal's subcode (s:MustUnderstand)",
	  OPT_RESULT },
	{ "since", 0, "TIME", "journal: rows from TIME (ms or ISO 8601 UTC)",
	  OPT_SINCE },
	{ "until", 0, "TIME", "journal: rows before TIME", OPT_UNTIL },
	{ "limit", 0, "N", "journal: at most N rows", OPT_LIMIT },
	{ "expect", 0, "N", "journal count: exit 1 unless the count is N",
	  OPT_EXPECT },
	{ "code", 0, "CODE", "site add: give the document's site this code",
	  OPT_CODE },
	{ NULL, 0, NULL, NULL, 0 },
};

const char dpctl_sim_help[] =
	"Talks to dpsim's control API (/_dpsim/ on the -e endpoint's host and\n"
	"port); --site CODE scopes reset, state, faults and the journal to one\n"
	"site. Subcommands:\n"
	"  health [--wait 10s]          ready? (exit 1 if not)\n"
	"  reset [--seed N]             back to the fixture (all, or --site)\n"
	"  state                        sites, DPs and their modes\n"
	"  fault add OPTIONS|--rule J   add a fault rule; prints its id\n"
	"  fault list                   the rules with their counters\n"
	"  fault clear [ID]             remove one rule, or all (of --site)\n"
	"  journal [FILTERS]            the calls dpsim saw\n"
	"  journal count [FILTERS] [--expect N]\n"
	"  journal clear\n"
	"  snapshot save|restore|rm NAME, snapshot list, restore NAME\n"
	"  site add [CODE] FILE [--code CODE], site rm CODE, site list\n"
	"Filters: --method --class --nal --for-user --op --result --since\n"
	"--until --limit (and --site).\n";

/* ---- plumbing ------------------------------------------------------------ */

struct sim {
	struct dpctl *d;
	struct dpc_sim *s;
};

static int sim_open(struct dpctl *d, struct sim *x)
{
	struct dpc_sim_options o;
	struct dpc_error err;
	const char *tok = d->admin_token ? d->admin_token
					 : getenv("DPSIM_ADMIN_TOKEN");

	dpc_sim_options_init(&o);
	o.endpoint = d->endpoint;
	o.admin_token = tok && *tok ? tok : NULL;
	o.ca_file = d->cacert;
	o.insecure = d->insecure;
	if (d->timeout_ms)
		o.timeout_ms = d->timeout_ms;
	x->d = d;
	if (dpc_sim_new(&o, &x->s, &err))
		return dpctl_fail(d, "sim", &err);
	return 0;
}

/* One request whose JSON answer goes to *out (decref it). Returns 0 or
 * the exit code, with the error reported. */
static int call(struct sim *x, const char *method, const char *path,
		const char *ct, const char *body, size_t len, json_t **out)
{
	struct dpc_error err;
	char *reply = NULL;

	*out = NULL;
	if (dpc_sim_request(x->s, method, path, ct, body, len, NULL, &reply, &err))
		return dpctl_fail(x->d, "sim", &err);
	*out = json_loads(reply, 0, NULL);
	free(reply);
	if (!*out) {
		return dpctl_failf(x->d, DPC_E_PROTOCOL,
				   "sim: dpsim's answer to %s %s is not JSON",
				   method, path);
	}
	return 0;
}

/* Appends &name=value (value escaped) to q when value is set. */
static int add_query(char *q, size_t size, const char *name, const char *value)
{
	char *esc;
	size_t used = strlen(q);

	if (!value)
		return 0;
	esc = dpc_url_escape(value);
	if (!esc)
		return -ENOMEM;
	snprintf(q + used, size - used, "%s%s=%s", used ? "&" : "", name, esc);
	free(esc);
	return strlen(q) + 1 >= size ? -E2BIG : 0;
}

/* path?site=... for --site. */
static void site_path(const struct dpctl *d, const char *path, char *out,
		      size_t size)
{
	char q[128] = "";

	add_query(q, sizeof(q), "site", d->site);
	snprintf(out, size, "%s%s%s", path, *q ? "?" : "", q);
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "-";
}

static long long num(json_t *o, const char *key)
{
	return json_integer_value(json_object_get(o, key));
}

/* --json prints dpsim's answer; the text forms are the callers'. */
static int print_json_or(struct sim *x, json_t *o, int (*text)(json_t *o))
{
	int ret;

	if (x->d->json)
		return dpctl_print_json(o);
	ret = text(o);
	json_decref(o);
	return ret;
}

static int no_args(struct sim *x, int argc, const char *usage)
{
	if (argc) {
		return dpctl_failf(x->d, DPC_E_USAGE,
				   "usage: dpctl [OPTIONS] sim %s", usage);
	}
	return 0;
}

/* ---- health, reset, state ------------------------------------------------- */

static int text_health(json_t *o)
{
	/* dpsim shows the seed only to a caller with its admin token. */
	printf("%s: %lld site(s), %lld DP(s)", str(o, "status"), num(o, "sites"),
	       num(o, "dps"));
	if (json_object_get(o, "seed"))
		printf(", seed %lld", num(o, "seed"));
	printf(", journal max %lld\n", num(o, "journal_max"));
	return 0;
}

static int sim_health(struct sim *x, int argc, char **argv)
{
	struct dpc_error err;
	bool ready = false;
	json_t *o;
	int ret;

	if ((ret = no_args(x, argc, "health [--wait DURATION]")))
		return ret;
	if (x->d->wait_ms) {
		if (dpc_sim_wait_ready(x->s, x->d->wait_ms, &err) == DPC_OK)
			ready = true;
		else if (err.code != DPC_E_TRANSPORT)
			return dpctl_fail(x->d, "sim health", &err);
	} else if (dpc_sim_health(x->s, &ready, &err)) {
		return dpctl_fail(x->d, "sim health", &err);
	}
	if (!ready) {
		if (x->d->json)
			dpctl_print_json(json_pack("{s:b}", "ready", 0));
		else
			printf("not ready\n");
		return DPCTL_EXIT_PROVIDER;
	}
	if ((ret = call(x, "GET", "health", NULL, NULL, 0, &o)))
		return ret;
	return print_json_or(x, o, text_health);
}

static int text_reset(json_t *o)
{
	printf("reset %s (fault seed %lld)\n", str(o, "reset"), num(o, "seed"));
	return 0;
}

static int sim_reset(struct sim *x, int argc, char **argv)
{
	char q[160] = "", path[200];
	json_t *o;
	int ret;

	if ((ret = no_args(x, argc, "reset [--seed N]")))
		return ret;
	add_query(q, sizeof(q), "site", x->d->site);
	add_query(q, sizeof(q), "seed", x->d->seed);
	snprintf(path, sizeof(path), "reset%s%s", *q ? "?" : "", q);
	if ((ret = call(x, "POST", path, NULL, NULL, 0, &o)))
		return ret;
	return print_json_or(x, o, text_reset);
}

static int text_state(json_t *o)
{
	static const char *const heads[] = { "NAME", "MODE", "KIND", "NALPATH" };
	json_t *sites = json_object_get(o, "sites"), *s, *dp;
	size_t i, k;

	printf("fault seed %lld, %lld fault rule(s), journal %lld row(s) (%lld "
	       "dropped)\n", num(o, "seed"), num(o, "faults"),
	       num(json_object_get(o, "journal"), "rows"),
	       num(json_object_get(o, "journal"), "dropped"));
	json_array_foreach(sites, i, s) {
		struct dpctl_table *t = dpctl_table_new(4, heads);

		printf("\nsite %s \"%s\" (%s), provider %s: %lld fault rule(s), "
		       "journal %lld row(s)\n", str(s, "code"), str(s, "name"),
		       json_is_true(json_object_get(s, "startup")) ? "start-up"
		       : "added", str(s, "provider"), num(s, "faults"),
		       num(json_object_get(s, "journal"), "rows"));
		json_array_foreach(json_object_get(s, "dps"), k, dp) {
			const char *row[4] = {
				str(dp, "name"),
				dpctl_mode_name((int)num(dp, "maintenance_mode")),
				str(dp, "kind"), str(dp, "nalpath"),
			};
			if (t)
				dpctl_table_add(t, row);
		}
		if (t)
			dpctl_table_print(t);
		dpctl_table_free(t);
	}
	return 0;
}

static int sim_state(struct sim *x, int argc, char **argv)
{
	char path[160];
	json_t *o;
	int ret;

	if ((ret = no_args(x, argc, "state")))
		return ret;
	site_path(x->d, "state", path, sizeof(path));
	if ((ret = call(x, "GET", path, NULL, NULL, 0, &o)))
		return ret;
	return print_json_or(x, o, text_state);
}

/* ---- faults ------------------------------------------------------------------ */

/* The rule the options describe, as JSON text (malloc'd). */
static char *rule_from_options(struct dpctl *d)
{
	json_t *o = json_object();
	char *text;

	if (!o)
		return NULL;
	if (d->op)
		json_object_set_new(o, "operation", json_string(d->op));
	if (d->cls)
		json_object_set_new(o, "class", json_string(d->cls));
	if (d->method)
		json_object_set_new(o, "method", json_string(d->method));
	if (d->nal)
		json_object_set_new(o, "nalpath", json_string(d->nal));
	if (d->mode >= 0)
		json_object_set_new(o, "mode", json_integer(d->mode));
	if (d->for_user)
		json_object_set_new(o, "user", json_string(d->for_user));
	if (d->protocol)
		json_object_set_new(o, "protocol", json_string(d->protocol));
	if (d->site)
		json_object_set_new(o, "site", json_string(d->site));
	if (d->effect)
		json_object_set_new(o, "effect", json_string(d->effect));
	if (d->hresult)
		json_object_set_new(o, "hresult", json_string(d->hresult));
	if (d->http_status)
		json_object_set_new(o, "http_status", json_integer(d->http_status));
	if (d->delay_ms >= 0)
		json_object_set_new(o, "delay_ms", json_integer(d->delay_ms));
	if (d->times >= 0)
		json_object_set_new(o, "times", json_integer(d->times));
	if (d->after >= 0)
		json_object_set_new(o, "after", json_integer(d->after));
	if (d->probability >= 0)
		json_object_set_new(o, "probability", json_real(d->probability));
	text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

/* "method=SetDP* nalpath=*DP02*": what a rule matches, in one cell. */
static void match_text(json_t *r, char *out, size_t size)
{
	static const char *const keys[] = {
		"operation", "class", "method", "nalpath", "mode", "user",
		"protocol",
	};
	size_t used = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		json_t *v = json_object_get(r, keys[i]);

		if (json_is_string(v))
			used += (size_t)snprintf(out + used, size - used, "%s%s=%s",
						 used ? " " : "", keys[i],
						 json_string_value(v));
		else if (json_is_integer(v))
			used += (size_t)snprintf(out + used, size - used, "%s%s=%lld",
						 used ? " " : "", keys[i],
						 (long long)json_integer_value(v));
		if (used >= size)
			break;
	}
	if (!*out)
		snprintf(out, size, "*");
}

static void effect_text(json_t *r, char *out, size_t size)
{
	const char *e = str(r, "effect");
	size_t n = (size_t)snprintf(out, size, "%s", e);

	if (json_is_string(json_object_get(r, "hresult")))
		n += (size_t)snprintf(out + n, size - n, " %s", str(r, "hresult"));
	if (json_is_integer(json_object_get(r, "http_status")))
		n += (size_t)snprintf(out + n, size - n, " %lld", num(r, "http_status"));
	if (num(r, "delay_ms") && n < size)
		n += (size_t)snprintf(out + n, size - n, " +%lldms", num(r, "delay_ms"));
	if (json_is_integer(json_object_get(r, "times")) && n < size)
		n += (size_t)snprintf(out + n, size - n, " x%lld", num(r, "times"));
	if (num(r, "after") && n < size)
		n += (size_t)snprintf(out + n, size - n, " after %lld", num(r, "after"));
	if (json_real_value(json_object_get(r, "probability")) < 1.0 && n < size)
		snprintf(out + n, size - n, " p=%g",
			 json_real_value(json_object_get(r, "probability")));
}

static int text_faults(json_t *o)
{
	static const char *const heads[] = {
		"ID", "SITE", "MATCH", "EFFECT", "FIRED", "MATCHED", "STATE",
	};
	struct dpctl_table *t = dpctl_table_new(7, heads);
	json_t *r;
	size_t i;

	if (!t)
		return DPCTL_EXIT_TRANSPORT;
	json_array_foreach(json_object_get(o, "faults"), i, r) {
		char id[24], fired[24], matched[24], match[512], effect[160];
		json_t *site = json_object_get(r, "site");

		snprintf(id, sizeof(id), "%lld", num(r, "id"));
		snprintf(fired, sizeof(fired), "%lld", num(r, "fired"));
		snprintf(matched, sizeof(matched), "%lld", num(r, "matched"));
		match_text(r, match, sizeof(match));
		effect_text(r, effect, sizeof(effect));
		const char *row[7] = {
			id, json_is_string(site) ? json_string_value(site) : "*",
			match, effect, fired, matched,
			json_is_true(json_object_get(r, "retired")) ? "retired"
								    : "active",
		};
		dpctl_table_add(t, row);
	}
	dpctl_table_print(t);
	dpctl_table_free(t);
	return 0;
}

static int text_added(json_t *o)
{
	printf("%lld\n", num(o, "id"));
	return 0;
}

static int fault_add(struct sim *x, int argc, char **argv)
{
	char *rule = x->d->rule ? strdup(x->d->rule) : rule_from_options(x->d);
	char path[160];
	json_t *o;
	int ret;

	if ((ret = no_args(x, argc, "fault add [--rule JSON | OPTIONS]"))) {
		free(rule);
		return ret;
	}
	if (!rule)
		return dpctl_failf(x->d, DPC_E_NOMEM, "out of memory");
	if (!x->d->rule && !x->d->effect) {
		free(rule);
		return dpctl_failf(x->d, DPC_E_USAGE, "sim fault add: --effect "
				   "is required (return, fault, http, drop, "
				   "timeout, delay), or give --rule");
	}
	/* With --rule the site comes from the rule, or --site as a query. */
	if (x->d->rule)
		site_path(x->d, "faults", path, sizeof(path));
	else
		snprintf(path, sizeof(path), "faults");
	ret = call(x, "POST", path, NULL, rule, strlen(rule), &o);
	free(rule);
	if (ret)
		return ret;
	return print_json_or(x, o, text_added);
}

static int text_deleted(json_t *o)
{
	printf("removed %lld rule(s)\n", num(o, "deleted"));
	return 0;
}

static int sim_fault(struct sim *x, int argc, char **argv)
{
	char path[160];
	json_t *o;
	int ret;

	if (argc < 1)
		goto usage;
	if (!strcmp(argv[0], "add"))
		return fault_add(x, argc - 1, argv + 1);
	if (!strcmp(argv[0], "list")) {
		if ((ret = no_args(x, argc - 1, "fault list")))
			return ret;
		site_path(x->d, "faults", path, sizeof(path));
		if ((ret = call(x, "GET", path, NULL, NULL, 0, &o)))
			return ret;
		return print_json_or(x, o, text_faults);
	}
	if (!strcmp(argv[0], "clear") || !strcmp(argv[0], "rm")) {
		if (argc > 2)
			goto usage;
		if (argc == 2) {
			uint64_t id;

			if (num_parse_dec(argv[1], INT64_MAX, &id) || id == 0)
				return dpctl_failf(x->d, DPC_E_USAGE,
						   "sim fault clear: '%s' is "
						   "not a rule id", argv[1]);
			snprintf(path, sizeof(path), "faults/%llu",
				 (unsigned long long)id);
		} else {
			site_path(x->d, "faults", path, sizeof(path));
		}
		if ((ret = call(x, "DELETE", path, NULL, NULL, 0, &o)))
			return ret;
		return print_json_or(x, o, text_deleted);
	}
usage:
	return dpctl_failf(x->d, DPC_E_USAGE,
			   "usage: dpctl [OPTIONS] sim fault add|list|clear [ID]");
}

/* ---- journal ------------------------------------------------------------------ */

static int journal_query(struct dpctl *d, char *q, size_t size)
{
	char n[32];
	int rc = 0;

	q[0] = '\0';
	rc |= add_query(q, size, "site", d->site);
	rc |= add_query(q, size, "operation", d->op);
	rc |= add_query(q, size, "class", d->cls);
	rc |= add_query(q, size, "method", d->method);
	rc |= add_query(q, size, "nalpath", d->nal);
	rc |= add_query(q, size, "user", d->for_user);
	rc |= add_query(q, size, "protocol", d->protocol);
	rc |= add_query(q, size, "result", d->result);
	rc |= add_query(q, size, "since", d->since);
	rc |= add_query(q, size, "until", d->until);
	if (d->limit >= 0) {
		snprintf(n, sizeof(n), "%lld", d->limit);
		rc |= add_query(q, size, "limit", n);
	}
	return rc;
}

static int text_journal(json_t *o)
{
	static const char *const heads[] = {
		"ID", "TIME", "USER", "OP", "SITE", "CALL", "NALPATH", "RESULT",
		"RULE", "MS",
	};
	struct dpctl_table *t = dpctl_table_new(10, heads);
	json_t *e;
	size_t i;

	if (!t)
		return DPCTL_EXIT_TRANSPORT;
	json_array_foreach(json_object_get(o, "entries"), i, e) {
		char id[24], rule[24], ms[32], callname[160], result[64];
		const char *method = json_string_value(json_object_get(e, "method"));
		const char *time = str(e, "time");
		const char *h = json_string_value(json_object_get(e, "hresult_name"));

		snprintf(id, sizeof(id), "%lld", num(e, "id"));
		snprintf(rule, sizeof(rule), json_is_integer(json_object_get(e, "rule"))
			 ? "%lld" : "-", num(e, "rule"));
		snprintf(ms, sizeof(ms), "%.1f", (double)num(e, "latency_us") / 1000.0);
		snprintf(callname, sizeof(callname), "%s%s%s", str(e, "class"),
			 method ? "." : "", method ? method : "");
		if (h)
			snprintf(result, sizeof(result), "%s %s", str(e, "result"), h);
		else if (!strcmp(str(e, "result"), "return"))
			snprintf(result, sizeof(result), "return %lld",
				 num(e, "return_value"));
		else
			snprintf(result, sizeof(result), "%s", str(e, "result"));
		const char *row[10] = {
			id, strlen(time) > 11 ? time + 11 : time, str(e, "user"),
			str(e, "operation"), str(e, "site"), callname,
			str(e, "nalpath"), result, rule, ms,
		};
		dpctl_table_add(t, row);
	}
	dpctl_table_print(t);
	dpctl_table_free(t);
	if (num(o, "dropped"))
		printf("(%lld older row(s) dropped by --journal-max)\n",
		       num(o, "dropped"));
	return 0;
}

static int sim_journal(struct sim *x, int argc, char **argv)
{
	char q[2048], path[2100];
	bool count = argc && !strcmp(argv[0], "count");
	json_t *o;
	int ret;

	if (argc && !strcmp(argv[0], "clear")) {
		if ((ret = no_args(x, argc - 1, "journal clear")))
			return ret;
		site_path(x->d, "journal", path, sizeof(path));
		if ((ret = call(x, "DELETE", path, NULL, NULL, 0, &o)))
			return ret;
		if (!x->d->json)
			printf("removed %lld row(s)\n", num(o, "deleted"));
		return x->d->json ? dpctl_print_json(o) : (json_decref(o), 0);
	}
	if ((ret = no_args(x, argc - count, "journal [count|clear] [FILTERS]")))
		return ret;
	if (journal_query(x->d, q, sizeof(q)))
		return dpctl_failf(x->d, DPC_E_USAGE,
				   "sim journal: filters too long");
	snprintf(path, sizeof(path), "journal%s%s%s", count ? "/count" : "",
		 *q ? "?" : "", q);
	if ((ret = call(x, "GET", path, NULL, NULL, 0, &o)))
		return ret;
	if (!count)
		return print_json_or(x, o, text_journal);

	long long n = num(o, "count");
	if (x->d->json)
		ret = dpctl_print_json(o);
	else {
		printf("%lld\n", n);
		json_decref(o);
	}
	if (x->d->expect >= 0 && n != x->d->expect) {
		dpctl_warn(x->d, "sim journal count: %lld call(s) matched, expected "
			   "%lld", n, x->d->expect);
		return DPCTL_EXIT_PROVIDER;
	}
	return ret;
}

/* ---- snapshots and sites ---------------------------------------------------------- */

static int text_snapshots(json_t *o)
{
	static const char *const heads[] = { "NAME", "CREATED", "BYTES" };
	struct dpctl_table *t = dpctl_table_new(3, heads);
	json_t *s;
	size_t i;

	if (!t)
		return DPCTL_EXIT_TRANSPORT;
	json_array_foreach(json_object_get(o, "snapshots"), i, s) {
		char bytes[32];

		snprintf(bytes, sizeof(bytes), "%lld", num(s, "bytes"));
		const char *row[3] = { str(s, "name"), str(s, "created"), bytes };
		dpctl_table_add(t, row);
	}
	dpctl_table_print(t);
	dpctl_table_free(t);
	return 0;
}

static int snapshot_op(struct sim *x, const char *op, const char *name)
{
	char *esc = dpc_url_escape(name), path[300];
	json_t *o;
	int ret;

	if (!esc)
		return dpctl_failf(x->d, DPC_E_NOMEM, "out of memory");
	snprintf(path, sizeof(path), "snapshots/%s%s", esc,
		 !strcmp(op, "restore") ? "/restore" : "");
	free(esc);
	ret = call(x, !strcmp(op, "rm") ? "DELETE" : "POST", path, NULL, NULL, 0, &o);
	if (ret)
		return ret;
	if (x->d->json)
		return dpctl_print_json(o);
	printf("snapshot %s %s\n", name, !strcmp(op, "save") ? "saved"
		: !strcmp(op, "restore") ? "restored" : "removed");
	json_decref(o);
	return 0;
}

static int sim_snapshot(struct sim *x, int argc, char **argv)
{
	json_t *o;
	int ret;

	if (argc == 1 && !strcmp(argv[0], "list")) {
		if ((ret = call(x, "GET", "snapshots", NULL, NULL, 0, &o)))
			return ret;
		return print_json_or(x, o, text_snapshots);
	}
	if (argc == 2 && (!strcmp(argv[0], "save") || !strcmp(argv[0], "restore") ||
			  !strcmp(argv[0], "rm")))
		return snapshot_op(x, argv[0], argv[1]);
	return dpctl_failf(x->d, DPC_E_USAGE, "usage: dpctl [OPTIONS] sim snapshot "
			   "save|restore|rm NAME, or snapshot list");
}

static int sim_restore(struct sim *x, int argc, char **argv)
{
	if (argc != 1)
		return dpctl_failf(x->d, DPC_E_USAGE,
				   "usage: dpctl [OPTIONS] sim restore NAME");
	return snapshot_op(x, "restore", argv[0]);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	size_t cap = 65536, n = 0, got;
	char *b = f ? malloc(cap) : NULL;

	while (b && (got = fread(b + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (cap - n < 2) {
			char *nb = cap > (64u << 20) ? NULL : realloc(b, cap * 2);

			if (!nb) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
			cap *= 2;
		}
	}
	if (b && ferror(f)) {
		free(b);
		b = NULL;
	}
	if (f && f != stdin)
		fclose(f);
	if (b) {
		b[n] = '\0';
		*len = n;
	}
	return b;
}

static int text_sites(json_t *o)
{
	json_t *s;
	size_t i;

	json_array_foreach(json_object_get(o, "sites"), i, s)
		printf("%s\t%lld DP(s)%s%s\n", str(s, "code"), num(s, "dp_count"),
		       json_object_get(s, "startup") ? "\t" : "",
		       json_object_get(s, "startup")
		       ? (json_is_true(json_object_get(s, "startup")) ? "start-up"
								      : "added")
		       : "");
	return 0;
}

static int sim_site(struct sim *x, int argc, char **argv)
{
	char path[200];
	json_t *o;
	int ret;

	if (argc == 1 && !strcmp(argv[0], "list")) {
		if ((ret = call(x, "GET", "sites", NULL, NULL, 0, &o)))
			return ret;
		return print_json_or(x, o, text_sites);
	}
	if ((argc == 2 || argc == 3) && !strcmp(argv[0], "add")) {
		const char *code = argc == 3 ? argv[1] : x->d->code;
		const char *file = argv[argc - 1];
		char q[64] = "";
		size_t len;
		char *xml = slurp(file, &len);

		if (!xml)
			return dpctl_failf(x->d, DPC_E_USAGE,
					   "sim site add: cannot read %s: %s",
					   file, strerror(errno ? errno : ENOMEM));
		add_query(q, sizeof(q), "code", code);
		snprintf(path, sizeof(path), "sites%s%s", *q ? "?" : "", q);
		ret = call(x, "POST", path, "application/xml", xml, len, &o);
		free(xml);
		if (ret)
			return ret;
		return print_json_or(x, o, text_sites);
	}
	if (argc == 2 && (!strcmp(argv[0], "rm") || !strcmp(argv[0], "remove"))) {
		char *esc = dpc_url_escape(argv[1]);

		if (!esc)
			return dpctl_failf(x->d, DPC_E_NOMEM, "out of memory");
		snprintf(path, sizeof(path), "sites/%s", esc);
		free(esc);
		if ((ret = call(x, "DELETE", path, NULL, NULL, 0, &o)))
			return ret;
		if (x->d->json)
			return dpctl_print_json(o);
		printf("site %s removed\n", argv[1]);
		json_decref(o);
		return 0;
	}
	return dpctl_failf(x->d, DPC_E_USAGE, "usage: dpctl [OPTIONS] sim site "
			   "add [CODE] FILE, site rm CODE, or site list");
}

/* ---- dispatch ------------------------------------------------------------------ */

static const struct {
	const char *name;
	int (*run)(struct sim *x, int argc, char **argv);
} subs[] = {
	{ "health", sim_health },
	{ "reset", sim_reset },
	{ "state", sim_state },
	{ "fault", sim_fault },
	{ "faults", sim_fault },
	{ "journal", sim_journal },
	{ "snapshot", sim_snapshot },
	{ "restore", sim_restore },
	{ "site", sim_site },
};

int dpctl_cmd_sim(struct dpctl *d, int argc, char **argv)
{
	struct sim x = { 0 };
	int ret;

	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		if (strcmp(argv[0], subs[i].name))
			continue;
		ret = sim_open(d, &x);
		if (ret)
			return ret;
		ret = subs[i].run(&x, argc - 1, argv + 1);
		dpc_sim_free(x.s);
		return ret;
	}
	return dpctl_failf(d, DPC_E_USAGE, "sim: unknown subcommand '%s' (health, "
			   "reset, state, fault, journal, snapshot, restore, "
			   "site)", argv[0]);
}
