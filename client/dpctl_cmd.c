/* dpctl commands. Each run function gets the parsed options in *d and its
 * positional arguments, prints a table or (--json) one JSON document on
 * stdout, reports errors on stderr and returns the exit code. */
#include "dpctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- option tables ---------------------------------------------------- */

const struct dpctl_opt dpctl_global_opts[] = {
	{ "endpoint", 'e', "URL",
	  "http[s]://HOST:PORT/wsman, or .../AdminService for REST (default "
	  "$DPCTL_ENDPOINT or http://127.0.0.1:5985/wsman)", OPT_ENDPOINT },
	{ "protocol", 0, "PROTO",
	  "wsman or adminservice (default: from the endpoint's path)",
	  OPT_API_PROTOCOL },
	{ "user", 'u', "USER", "user name (default $DPCTL_USER)", OPT_USER },
	{ "password", 'p', "PASS",
	  "password (better: $DPCTL_PASSWORD; asked on a terminal)",
	  OPT_PASSWORD },
	{ "auth", 0, "SCHEME", "basic (default), ntlm or negotiate", OPT_AUTH },
	{ "site", 0, "CODE", "site code (default: discovered)", OPT_SITE },
	{ "cacert", 0, "FILE", "CA bundle (PEM) for https", OPT_CACERT },
	{ "insecure", 0, NULL, "do not verify the TLS certificate (labs)",
	  OPT_INSECURE },
	{ "timeout", 0, "DURATION",
	  "operation timeout, e.g. 60s (default 60s)", OPT_TIMEOUT },
	{ "retries", 0, "N",
	  "retries after refused / 503 / w:TimedOut (default 2)", OPT_RETRIES },
	{ "json", 0, NULL, "print one JSON document on stdout", OPT_JSON },
	{ "verbose", 'v', NULL, "show requests, responses and error details "
	  "on stderr", OPT_VERBOSE },
	{ "help", 'h', NULL, "show help (dpctl COMMAND --help: for a command)",
	  OPT_HELP },
	{ "version", 'V', NULL, "print the version", OPT_VERSION },
	{ NULL, 0, NULL, NULL, 0 },
};

static const struct dpctl_opt invoke_opts[] = {
	{ "nal", 'n', "NALPATH", "NAL path of the DP (SetDPMaintenanceMode)",
	  OPT_NAL },
	{ "mode", 'm', "0|1", "maintenance mode to set", OPT_MODE },
	{ "class", 'c', "CLASS",
	  "class of a static method (default SMS_DistributionPointInfo)",
	  OPT_CLASS },
	{ "method", 'M', "METHOD",
	  "method (default SetDPMaintenanceMode)", OPT_METHOD },
	{ "param", 'P', "NAME=TEXT", "string parameter (repeatable)",
	  OPT_PARAM },
	{ "uint", 'U', "NAME=N", "uint32 parameter (repeatable)", OPT_UINT },
	{ "namespace", 0, "NS", "namespace (default root/sms/site_<site>)",
	  OPT_NAMESPACE },
	{ NULL, 0, NULL, NULL, 0 },
};

static const struct dpctl_opt query_opts[] = {
	{ "namespace", 0, "NS", "namespace (default root/sms/site_<site>)",
	  OPT_NAMESPACE },
	{ NULL, 0, NULL, NULL, 0 },
};

static const struct dpctl_opt wait_opts[] = {
	{ "mode", 'm', "0|1", "the mode to wait for (required)", OPT_MODE },
	{ "timeout", 't', "DURATION",
	  "how long to wait (default 30s; 0: check once)", OPT_WAIT_TIMEOUT },
	{ "interval", 'i', "DURATION", "time between reads (default 1s)",
	  OPT_INTERVAL },
	{ NULL, 0, NULL, NULL, 0 },
};

/* ---- helpers ---------------------------------------------------------- */

static int cmp_dp(const void *a, const void *b)
{
	const struct dpc_dp *x = a, *y = b;

	return strcasecmp(x->name ? x->name : "", y->name ? y->name : "");
}

static int add_dp_row(struct dpctl_table *t, const struct dpc_dp *dp)
{
	const char *row[4] = {
		dp->name, dpctl_mode_name(dp->maintenance_mode),
		dp->site_code, dp->nal_path,
	};

	return dpctl_table_add(t, row);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* ---- list / status ---------------------------------------------------- */

static int cmd_list(struct dpctl *d, int argc, char **argv)
{
	static const char *const heads[] = { "NAME", "MODE", "SITE", "NALPATH" };
	struct dpc_dp_list l;
	struct dpc_error err;
	struct dpctl_table *t;
	json_t *arr;
	int ret = 0;

	if (dpc_list_dps(d->client, &l, &err))
		return dpctl_fail(d, NULL, &err);
	qsort(l.items, l.count, sizeof(*l.items), cmp_dp);
	if (d->json) {
		arr = json_array();
		for (size_t i = 0; arr && i < l.count; i++)
			json_array_append_new(arr, dpctl_dp_json(&l.items[i]));
		ret = dpctl_print_json(json_pack("{s:s?, s:o}", "site",
			dpc_client_site(d->client), "dps",
			arr ? arr : json_array()));
	} else {
		t = dpctl_table_new(4, heads);
		for (size_t i = 0; t && i < l.count; i++)
			if (add_dp_row(t, &l.items[i]) < 0)
				break;
		if (t)
			dpctl_table_print(t);
		else
			ret = DPCTL_EXIT_TRANSPORT;
		dpctl_table_free(t);
	}
	dpc_dp_list_clear(&l);
	return ret;
}

static int cmd_status(struct dpctl *d, int argc, char **argv)
{
	struct dpc_error err;
	struct dpc_dp dp;
	int ret = 0;

	if (dpc_find_dp(d->client, argv[0], &dp, &err))
		return dpctl_fail(d, argv[0], &err);
	if (d->json) {
		ret = dpctl_print_json(dpctl_dp_json(&dp));
	} else {
		printf("name:             %s\n", dp.name ? dp.name : "-");
		printf("maintenance mode: %s\n",
		       dpctl_mode_name(dp.maintenance_mode));
		printf("site code:        %s\n",
		       dp.site_code ? dp.site_code : "-");
		printf("resource type:    %s\n",
		       dp.resource_type ? dp.resource_type : "-");
		printf("NAL path:         %s\n",
		       dp.nal_path ? dp.nal_path : "-");
	}
	dpc_dp_clear(&dp);
	return ret;
}

/* ---- chain ------------------------------------------------------------ */

/* The pull DPs that copy from a DP: one NAL path a line, so that a
 * script can read them (nothing when none does), or with --json the DP
 * and the list. */
static int cmd_chain(struct dpctl *d, int argc, char **argv)
{
	struct dpc_string_list l;
	struct dpc_error err;
	struct dpc_dp dp;
	json_t *arr;
	int ret = 0;

	if (dpc_find_dp(d->client, argv[0], &dp, &err))
		return dpctl_fail(d, argv[0], &err);
	if (dpc_chained_pull_dps(d->client, dp.nal_path, &l, &err)) {
		ret = dpctl_fail(d, dp.name ? dp.name : argv[0], &err);
		dpc_dp_clear(&dp);
		return ret;
	}
	if (d->json) {
		arr = json_array();
		for (size_t i = 0; arr && i < l.count; i++)
			json_array_append_new(arr, json_string(l.items[i]));
		ret = dpctl_print_json(json_pack("{s:o, s:o, s:I, s:o}",
			"name", dp.name ? json_string(dp.name) : json_null(),
			"nalpath", dp.nal_path ? json_string(dp.nal_path)
					       : json_null(),
			"count", (json_int_t)l.count,
			"chained_dps", arr ? arr : json_array()));
	} else {
		for (size_t i = 0; i < l.count; i++)
			printf("%s\n", l.items[i]);
	}
	dpc_string_list_clear(&l);
	dpc_dp_clear(&dp);
	return ret;
}

/* ---- maintenance ------------------------------------------------------ */

enum outcome { CHANGED, UNCHANGED, FAILED };

/* One DP: read the mode, skip when already there, else set it. */
static enum outcome maintain_one(struct dpctl *d, const char *spec,
				 unsigned mode, struct dpc_dp *dp,
				 struct dpc_error *err)
{
	if (dpc_find_dp(d->client, spec, dp, err))
		return FAILED;
	if (dp->maintenance_mode == (int)mode)
		return UNCHANGED;
	if (dpc_set_mode(d->client, dp->nal_path, mode, err))
		return FAILED;
	return CHANGED;
}

static const char *const outcome_names[] = {
	[CHANGED] = "changed", [UNCHANGED] = "unchanged", [FAILED] = "failed",
};

static int cmd_maintenance(struct dpctl *d, int argc, char **argv)
{
	unsigned mode, counts[3] = { 0, 0, 0 };
	json_t *results = d->json ? json_array() : NULL;
	int worst = DPCTL_EXIT_OK;

	if (strcasecmp(argv[0], "on") == 0) {
		mode = 1;
	} else if (strcasecmp(argv[0], "off") == 0) {
		mode = 0;
	} else {
		json_decref(results);
		return dpctl_failf(d, DPC_E_USAGE,
				   "maintenance: expected on or off, not '%s'",
				   argv[0]);
	}
	for (int i = 1; i < argc; i++) {
		struct dpc_error err = { 0 };
		struct dpc_dp dp;
		enum outcome o = maintain_one(d, argv[i], mode, &dp, &err);
		int code;

		counts[o]++;
		if (o == FAILED) {
			dpctl_report(d, argv[i], &err);
			code = dpctl_exit_code(err.code);
			/* Transport trouble outranks a provider's no. */
			if (code > worst)
				worst = code;
		} else if (!d->json) {
			const char *name = dp.name ? dp.name : argv[i];

			if (o == CHANGED)
				printf("%s: maintenance %s (was %s)\n", name,
				       dpctl_mode_name((int)mode),
				       dpctl_mode_name(dp.maintenance_mode));
			else
				printf("%s: maintenance already %s, skipped\n",
				       name, dpctl_mode_name((int)mode));
		}
		if (results)
			json_array_append_new(results, json_pack(
				"{s:s, s:o, s:o, s:o, s:s, s:o}",
				"dp", argv[i],
				"name", dp.name ? json_string(dp.name)
						: json_null(),
				"nalpath", dp.nal_path
					? json_string(dp.nal_path) : json_null(),
				"previous_mode", dp.maintenance_mode >= 0
					? json_integer(dp.maintenance_mode)
					: json_null(),
				"result", outcome_names[o],
				"error", o == FAILED ? dpctl_error_json(&err)
						     : json_null()));
		dpc_dp_clear(&dp);
	}
	if (results) {
		int ret = dpctl_print_json(json_pack(
			"{s:i, s:o, s:i, s:i, s:i}", "mode", (int)mode,
			"results", results, "changed", (int)counts[CHANGED],
			"unchanged", (int)counts[UNCHANGED],
			"failed", (int)counts[FAILED]));

		if (ret > worst)
			worst = ret;
	}
	return worst;
}

/* ---- invoke ----------------------------------------------------------- */

static int invoke_output(struct dpctl *d, const char *cls, const char *method,
			 const struct dpc_instance *out, uint32_t rv,
			 const struct dpc_error *err, bool failed)
{
	char subject[256];
	json_t *j;
	int ret;

	snprintf(subject, sizeof(subject), "%s.%s", cls, method);
	if (failed && (!err->from_return_value || !d->json))
		return dpctl_fail(d, subject, err);
	if (!d->json) {
		printf("%s.%s: ReturnValue %u\n", cls, method, (unsigned)rv);
		for (size_t i = 0; i < out->nprops; i++) {
			const struct dpc_property *p = &out->props[i];

			if (strcasecmp(p->name, "ReturnValue") == 0)
				continue;
			for (size_t k = 0; k < (p->null ? 1 : p->nvalues); k++)
				printf("  %s = %s\n", p->name,
				       p->null ? "(null)" : p->values[k]);
		}
		return 0;
	}
	j = json_pack("{s:s, s:s, s:o, s:I, s:o, s:o}", "class", cls,
		      "method", method, "nalpath",
		      d->nal ? json_string(d->nal) : json_null(),
		      "return_value", (json_int_t)rv,
		      "output", dpctl_instance_json(out)
		      , "error", failed ? dpctl_error_json(err) : json_null());
	ret = dpctl_print_json(j);
	if (failed) {
		dpctl_report(d, subject, err);
		return dpctl_exit_code(err->code);
	}
	return ret;
}

static int cmd_invoke(struct dpctl *d, int argc, char **argv)
{
	const char *cls = d->cls ? d->cls : "SMS_DistributionPointInfo";
	const char *method = d->method ? d->method : "SetDPMaintenanceMode";
	struct dpc_instance out = { 0 };
	struct dpc_error err;
	enum dpc_code code;
	uint32_t rv = 0;
	int ret;

	if (d->nparams + 2 > DPCTL_MAX_PARAMS)
		return dpctl_failf(d, DPC_E_USAGE,
				   "invoke: too many parameters");
	if (d->nal)
		d->params[d->nparams++] = (struct dpc_param){
			.name = "NALPath", .type = DPC_PARAM_STRING,
			.str = d->nal };
	if (d->mode >= 0)
		d->params[d->nparams++] = (struct dpc_param){
			.name = "Mode", .type = DPC_PARAM_UINT32,
			.u32 = (uint32_t)d->mode };
	if (!d->cls && !d->method && (!d->nal || d->mode < 0))
		return dpctl_failf(d, DPC_E_USAGE,
				   "invoke: --nal and --mode are required "
				   "(or --class/--method with parameters)");
	code = dpc_invoke(d->client, d->ns, cls, method, d->params, d->nparams,
			  &out, &rv, &err);
	ret = invoke_output(d, cls, method, &out, rv, &err, code != DPC_OK);
	dpc_instance_clear(&out);
	return ret;
}

/* ---- query ------------------------------------------------------------ */

static void print_instance(const struct dpc_instance *inst)
{
	size_t w = 0;

	printf("%s\n", inst->class_name);
	for (size_t i = 0; i < inst->nprops; i++)
		if (strlen(inst->props[i].name) > w)
			w = strlen(inst->props[i].name);
	for (size_t i = 0; i < inst->nprops; i++) {
		const struct dpc_property *p = &inst->props[i];

		if (p->null || !p->nvalues) {
			printf("  %-*s  %s\n", (int)w, p->name,
			       p->null ? "(null)" : "{}");
			continue;
		}
		for (size_t k = 0; k < p->nvalues; k++)
			printf("  %-*s  %s\n", (int)w, k ? "" : p->name,
			       p->values[k]);
	}
}

static int cmd_query(struct dpctl *d, int argc, char **argv)
{
	struct dpc_instance_list l;
	struct dpc_error err;
	char ns[64];
	json_t *arr;
	int ret = 0;

	if (dpc_query(d->client, d->ns, argv[0], &l, &err))
		return dpctl_fail(d, NULL, &err);
	if (!d->ns)
		snprintf(ns, sizeof(ns), "root/sms/site_%s",
			 dpc_client_site(d->client));
	if (d->json) {
		arr = json_array();
		for (size_t i = 0; arr && i < l.count; i++)
			json_array_append_new(arr,
					      dpctl_instance_json(&l.items[i]));
		ret = dpctl_print_json(json_pack("{s:s, s:s, s:I, s:o}",
			"namespace", d->ns ? d->ns : ns, "query", argv[0],
			"count", (json_int_t)l.count,
			"instances", arr ? arr : json_array()));
	} else {
		for (size_t i = 0; i < l.count; i++) {
			if (i)
				putchar('\n');
			print_instance(&l.items[i]);
		}
	}
	dpc_instance_list_clear(&l);
	return ret;
}

/* ---- wait ------------------------------------------------------------- */

/* The DP's state now. The first time (dp empty) it is looked up by spec,
 * with a WQL query; after that it is read by its key with a Get, and
 * looked up again only when the Get says it is gone (say, re-created
 * under another key). *relooked: the last read was such a second lookup;
 * if the Get right after it fails so too, that is the answer, or the poll
 * would alternate the two for ever. */
static enum dpc_code wait_read(struct dpctl *d, const char *spec,
			       struct dpc_dp *dp, bool *relooked,
			       struct dpc_error *err)
{
	/* A provider that leaves a key out leaves nothing to Get by. */
	bool lookup = !dp->nal_path || !dp->site_code || !dp->resource_type;
	bool again = false;
	struct dpc_dp next;
	enum dpc_code code = DPC_OK;

	if (!lookup) {
		code = dpc_get_dp(d->client, dp, &next, err);
		if (code == DPC_E_NOT_FOUND && !*relooked)
			lookup = again = true;
	}
	if (lookup)
		code = dpc_find_dp(d->client, spec, &next, err);
	if (code)
		return code;
	*relooked = again;
	dpc_dp_clear(dp);
	*dp = next;
	return DPC_OK;
}

static int cmd_wait(struct dpctl *d, int argc, char **argv)
{
	/* 0 is "check once": the first read decides, as a script that
	 * wants no waiting at all expects (kubectl wait --timeout=0 too). */
	unsigned limit = d->wait_timeout_ms;
	unsigned interval = d->interval_ms ? d->interval_ms : 1000;
	uint64_t start = now_ms(), elapsed;
	struct dpc_error err;
	struct dpc_dp dp = { .maintenance_mode = -1 };
	bool reached, relooked = false;
	int ret;

	if (d->mode < 0)
		return dpctl_failf(d, DPC_E_USAGE,
				   "wait: --mode 0|1 is required");
	for (;;) {
		if (wait_read(d, argv[0], &dp, &relooked, &err)) {
			dpc_dp_clear(&dp);
			return dpctl_fail(d, argv[0], &err);
		}
		elapsed = now_ms() - start;
		reached = dp.maintenance_mode == d->mode;
		if (reached || elapsed >= limit)
			break;
		sleep_ms((unsigned)(limit - elapsed < interval
				    ? limit - elapsed : interval));
	}
	if (d->json) {
		ret = dpctl_print_json(json_pack("{s:o, s:o, s:i, s:o, s:b, s:I}",
			"name", dp.name ? json_string(dp.name) : json_null(),
			"nalpath", dp.nal_path ? json_string(dp.nal_path)
					       : json_null(),
			"mode", d->mode,
			"current_mode", dp.maintenance_mode >= 0
				? json_integer(dp.maintenance_mode) : json_null(),
			"reached", reached, "elapsed_ms", (json_int_t)elapsed));
	} else {
		ret = 0;
		if (reached)
			printf("%s: maintenance %s\n",
			       dp.name ? dp.name : argv[0],
			       dpctl_mode_name(d->mode));
	}
	if (!reached) {
		dpctl_warn(d, "%s: maintenance still %s after %u ms "
			   "(waited for %s)", argv[0],
			   dpctl_mode_name(dp.maintenance_mode), limit,
			   dpctl_mode_name(d->mode));
		ret = DPCTL_EXIT_PROVIDER;
	}
	dpc_dp_clear(&dp);
	return ret;
}

/* ---- identify / site -------------------------------------------------- */

static int cmd_identify(struct dpctl *d, int argc, char **argv)
{
	struct dpc_identity id;
	struct dpc_error err;
	int ret = 0;

	if (dpc_identify(d->client, &id, &err))
		return dpctl_fail(d, NULL, &err);
	if (d->json) {
		ret = dpctl_print_json(json_pack("{s:s?, s:s?, s:s?}",
			"protocol_version", id.protocol_version,
			"product_vendor", id.product_vendor,
			"product_version", id.product_version));
	} else {
		printf("protocol version: %s\n",
		       id.protocol_version ? id.protocol_version : "-");
		printf("product vendor:   %s\n",
		       id.product_vendor ? id.product_vendor : "-");
		printf("product version:  %s\n",
		       id.product_version ? id.product_version : "-");
	}
	dpc_identity_clear(&id);
	return ret;
}

static int cmd_site(struct dpctl *d, int argc, char **argv)
{
	struct dpc_error err;
	char site[16];

	if (dpc_discover_site(d->client, site, sizeof(site), &err))
		return dpctl_fail(d, NULL, &err);
	if (d->json)
		return dpctl_print_json(json_pack("{s:s}", "site", site));
	printf("%s\n", site);
	return 0;
}

/* ---- the command table ------------------------------------------------ */

const struct dpctl_cmd dpctl_cmds[] = {
	{ "list", "list", "list the site's distribution points and their mode",
	  "Enumerates SMS_DistributionPointInfo in root/sms/site_<site>,\n"
	  "sorted by name.\n", NULL, 0, 0, true, cmd_list },
	{ "status", "status DP", "show one DP and its maintenance mode",
	  "DP is an FQDN, a short name (matched as Name LIKE 'short.%') or a\n"
	  "NAL path.\n", NULL, 1, 1, true, cmd_status },
	{ "chain", "chain DP", "list the pull DPs that copy content from a DP",
	  "Calls SMS_DistributionPointInfo.GetChainedPullDPs with the DP's NAL\n"
	  "path (DP as for status) and prints the NAL path of every pull DP that\n"
	  "copies from it, directly or through other pull DPs, one a line in the\n"
	  "provider's order; nothing when none does. Before giving a pull DP a\n"
	  "new source, check that the source is not in its chain: that would\n"
	  "make a loop.\n", NULL, 1, 1, true, cmd_chain },
	{ "maintenance", "maintenance on|off DP...",
	  "turn maintenance mode on or off",
	  "Reads each DP's current mode first and leaves DPs that are already\n"
	  "in the wanted mode alone. Reports per DP; exits 1 if any DP failed\n"
	  "(3 if a failure was transport or authentication).\n",
	  NULL, 2, -1, true, cmd_maintenance },
	{ "invoke", "invoke --nal NALPATH --mode 0|1",
	  "call SetDPMaintenanceMode (or any static method) directly",
	  "Calls SMS_DistributionPointInfo.SetDPMaintenanceMode(NALPath, Mode)\n"
	  "without reading the DP first. With --class/--method and --param /\n"
	  "--uint it calls any static method. A non-zero ReturnValue exits 1.\n",
	  invoke_opts, 0, 0, true, cmd_invoke },
	{ "query", "query WQL", "run a WQL query",
	  "Runs the query with a WQL Enumerate in the site namespace (or\n"
	  "--namespace) and prints every instance.\n",
	  query_opts, 1, 1, true, cmd_query },
	{ "wait", "wait DP --mode 0|1 [--timeout 30s]",
	  "wait until a DP reaches a maintenance mode",
	  "Looks the DP up once, then reads its mode by its key every\n"
	  "--interval until it is --mode; exits 1 when --timeout passes first.\n"
	  "--timeout 0 checks once, without waiting: exit 0 when the DP is in\n"
	  "the mode, 1 when not.\n", wait_opts, 1, 1, true, cmd_wait },
	{ "identify", "identify", "WS-Man Identify of the endpoint",
	  "Sends a WS-Management Identify and prints what the server says.\n",
	  NULL, 0, 0, true, cmd_identify },
	{ "site", "site", "discover the site code",
	  "Asks SMS_ProviderLocation in root/sms, falling back to the\n"
	  "site_<code> child of __Namespace.\n", NULL, 0, 0, true, cmd_site },
	{ "capture", "capture [-o FILE] [--anonymise] [--dp PATTERN]... "
	  "[--lab-password PW]",
	  "write a dpsim fixture of the site (DPs, groups, classes)",
	  dpctl_capture_help, dpctl_capture_opts, 0, 0, true,
	  dpctl_cmd_capture },
	{ "sim", "sim SUBCOMMAND [ARGS]",
	  "drive dpsim's control API: faults, journal, reset, snapshots, sites",
	  dpctl_sim_help, dpctl_sim_opts, 1, -1, false, dpctl_cmd_sim },
	{ NULL, NULL, NULL, NULL, NULL, 0, 0, false, NULL },
};
