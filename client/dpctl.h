/* dpctl internals: what the option parser (dpctl.c), the commands
 * (dpctl_cmd.c) and the output helpers (dpctl_out.c) share. */
#ifndef DPCTL_H
#define DPCTL_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include "dpclient.h"

/* Exit codes (docs/architecture.md, Interfaces). */
#define DPCTL_EXIT_OK		0
#define DPCTL_EXIT_PROVIDER	1	/* the provider said no, or a DP was
					 * not found / not reached in time */
#define DPCTL_EXIT_USAGE	2
#define DPCTL_EXIT_TRANSPORT	3	/* transport, authentication or a
					 * broken answer */

/* wait --timeout when not given. 0 given means "check once". */
#define DPCTL_WAIT_DEFAULT_MS	30000u

/* One option, the single source for parsing and --help (redis-style). */
struct dpctl_opt {
	const char *name;	/* long name, without "--" */
	char short_name;	/* 0: none */
	const char *arg;	/* metavariable ("URL"); NULL: a flag */
	const char *help;
	int id;			/* enum dpctl_opt_id */
};

enum dpctl_opt_id {
	/* global */
	OPT_ENDPOINT = 1, OPT_USER, OPT_PASSWORD, OPT_AUTH, OPT_SITE,
	OPT_CACERT, OPT_INSECURE, OPT_TIMEOUT, OPT_RETRIES, OPT_JSON,
	OPT_VERBOSE, OPT_HELP, OPT_VERSION, OPT_API_PROTOCOL,
	/* per command */
	OPT_NAL, OPT_MODE, OPT_WAIT_TIMEOUT, OPT_INTERVAL, OPT_NAMESPACE,
	OPT_CLASS, OPT_METHOD, OPT_PARAM, OPT_UINT,
	/* sim (dpsim's control API) */
	OPT_ADMIN_TOKEN, OPT_EFFECT, OPT_HRESULT, OPT_STATUS, OPT_DELAY,
	OPT_TIMES, OPT_AFTER, OPT_PROBABILITY, OPT_OP, OPT_FOR_USER,
	OPT_PROTOCOL, OPT_RULE, OPT_RESULT, OPT_SINCE, OPT_UNTIL, OPT_LIMIT,
	OPT_EXPECT, OPT_WAIT, OPT_CODE, OPT_SEED,
	/* capture */
	OPT_OUTPUT, OPT_ANONYMISE, OPT_DP, OPT_LAB_PASSWORD,
};

#define DPCTL_MAX_PARAMS 32
#define DPCTL_MAX_DP_PATTERNS 64

/* Everything the command line said. */
struct dpctl {
	const char *prog;

	/* global options */
	const char *endpoint;
	enum dpc_protocol api_protocol;	/* --protocol; AUTO: from the
					 * endpoint */
	const char *user;
	char *password;		/* owned copy; wiped at exit */
	enum dpc_auth auth;
	const char *site;
	const char *cacert;
	bool insecure;
	bool json;
	bool verbose;
	unsigned timeout_ms;	/* 0: library default */
	unsigned retries;
	bool retries_set;

	/* command options */
	const char *nal;
	int mode;		/* -1: not given */
	unsigned wait_timeout_ms;	/* DPCTL_WAIT_DEFAULT_MS unless given */
	unsigned interval_ms;
	const char *ns;
	const char *cls;
	const char *method;
	struct dpc_param params[DPCTL_MAX_PARAMS];
	size_t nparams;

	/* sim options; -1 (or NULL) when not given */
	char *admin_token;	/* owned copy; wiped at exit */
	const char *effect;
	const char *hresult;
	long http_status;
	long long delay_ms;
	long long times;
	long long after;
	double probability;	/* < 0: not given */
	const char *op;
	const char *for_user;
	const char *protocol;	/* sim's --protocol GLOB */
	const char *rule;
	const char *result;
	const char *since;
	const char *until;
	long long limit;
	long long expect;
	unsigned wait_ms;	/* 0: do not wait */
	const char *code;
	const char *seed;

	/* capture options */
	const char *output;	/* -o FILE; NULL: stdout */
	bool anonymise;
	const char *dp_patterns[DPCTL_MAX_DP_PATTERNS];	/* --dp, globs */
	size_t ndp_patterns;
	char *lab_password;	/* owned copy; wiped at exit */

	struct dpc_client *client;
};

struct dpctl_cmd {
	const char *name;
	const char *usage;	/* after "dpctl [options] " */
	const char *summary;	/* one line for the command list */
	const char *help;	/* the rest of "dpctl CMD --help" */
	const struct dpctl_opt *opts;	/* NULL-named terminated, or NULL */
	int min_args, max_args;	/* positional arguments; max -1: any */
	bool needs_client;
	int (*run)(struct dpctl *d, int argc, char **argv);
};

/* ---- dpctl_cmd.c ------------------------------------------------------ */

extern const struct dpctl_cmd dpctl_cmds[];	/* NULL-named terminated */
extern const struct dpctl_opt dpctl_global_opts[];

/* ---- dpctl_sim.c ------------------------------------------------------ */

/* "sim": dpsim's control API. argv[0] is the first word after "sim". */
extern const struct dpctl_opt dpctl_sim_opts[];
extern const char dpctl_sim_help[];
int dpctl_cmd_sim(struct dpctl *d, int argc, char **argv);

/* ---- dpctl_capture.c -------------------------------------------------- */

/* "capture": reads the site and writes a dpsim fixture of it. */
extern const struct dpctl_opt dpctl_capture_opts[];
extern const char dpctl_capture_help[];
int dpctl_cmd_capture(struct dpctl *d, int argc, char **argv);

/* ---- dpctl_out.c ------------------------------------------------------ */

/* Exit code for a library result. */
int dpctl_exit_code(enum dpc_code code);

/* "dpctl: SUBJECT: WBEM_E_NOT_FOUND (0x80041002): Object cannot be found."
 * on stderr (subject may be NULL). With --verbose, for every error, a
 * detail line (code, HTTP status, subcode, attempts), then the transport
 * message and SMS_ExtendedStatus when there are some. */
void dpctl_report(const struct dpctl *d, const char *subject,
		  const struct dpc_error *err);
/* "dpctl: message" on stderr, printf-style. */
void dpctl_warn(const struct dpctl *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* The error as JSON (always the same keys, null when unknown). New ref. */
json_t *dpctl_error_json(const struct dpc_error *err);
/* A DP as JSON: name, nalpath, site_code, resource_type,
 * maintenance_mode (0, 1 or null). New reference. */
json_t *dpctl_dp_json(const struct dpc_dp *dp);
/* An instance as {"class": ..., "properties": {...}}: a property is null
 * when nil, a string when it has one value, an array otherwise. */
json_t *dpctl_instance_json(const struct dpc_instance *inst);
/* Prints v (and a newline) on stdout and drops the reference. Returns 0,
 * or DPCTL_EXIT_TRANSPORT if it could not be written. */
int dpctl_print_json(json_t *v);
/* With --json: prints {"error": ...} for a failed command. Then reports it
 * on stderr either way and returns the exit code. */
int dpctl_fail(const struct dpctl *d, const char *subject,
	       const struct dpc_error *err);

/* dpctl_fail for a failure of dpctl's own (a usage error: DPC_E_USAGE, and
 * so exit 2): the message is printf-style, the error has no other
 * details. With --json the {"error"} object goes to stdout, as for any
 * failed call; the line on stderr is "dpctl: MESSAGE". Returns the exit
 * code. Not for a command that has already printed its JSON document. */
int dpctl_failf(const struct dpctl *d, enum dpc_code code, const char *fmt,
		...) __attribute__((format(printf, 3, 4)));

/* "on" / "off" / "?" for a maintenance mode. */
const char *dpctl_mode_name(int mode);

/* A text table: columns of left-aligned cells, widths from the content. */
struct dpctl_table;
struct dpctl_table *dpctl_table_new(size_t ncols, const char *const *heads);
/* Adds a row of ncols cells (copied; NULL prints as "-"). 0 or -ENOMEM. */
int dpctl_table_add(struct dpctl_table *t, const char *const *cells);
void dpctl_table_print(const struct dpctl_table *t);
void dpctl_table_free(struct dpctl_table *t);

#endif
