/* dpctl: command-line client of libdpclient.
 *
 *   dpctl [GLOBAL OPTIONS] COMMAND [COMMAND OPTIONS] [ARGS]
 *
 * The option tables in dpctl_cmd.c drive parsing (getopt_long) and --help
 * alike. Global options may also follow the command; a command option of
 * the same name wins there (wait --timeout is the wait, not the HTTP
 * timeout).
 */
#include "dpctl.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "num.h"

#define MAX_OPTS 64
#define LONG_BASE 256

/* ---- values ----------------------------------------------------------- */

/* "30s", "500ms", "2m", "1h", "1.5s" or bare seconds -> milliseconds. */
static int parse_duration(const char *s, unsigned *ms)
{
	char *end;
	double v, unit = 1000.0;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno || v < 0)
		return -EINVAL;
	if (strcmp(end, "ms") == 0)
		unit = 1.0;
	else if (strcmp(end, "s") == 0 || *end == '\0')
		unit = 1000.0;
	else if (strcmp(end, "m") == 0)
		unit = 60000.0;
	else if (strcmp(end, "h") == 0)
		unit = 3600000.0;
	else
		return -EINVAL;
	v *= unit;
	if (v > 4294967295.0)
		return -ERANGE;
	*ms = (unsigned)v;
	return 0;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	uint64_t v;

	if (num_parse_dec(s, max, &v))
		return -EINVAL;
	*out = (unsigned long)v;
	return 0;
}

static int parse_mode(const char *s, int *mode)
{
	if (strcmp(s, "1") == 0 || strcasecmp(s, "on") == 0)
		*mode = 1;
	else if (strcmp(s, "0") == 0 || strcasecmp(s, "off") == 0)
		*mode = 0;
	else
		return -EINVAL;
	return 0;
}

/* NAME=VALUE, split in place (argv strings are ours to modify). */
static int add_param(struct dpctl *d, char *arg, bool uint)
{
	char *eq = strchr(arg, '=');
	struct dpc_param *p;
	unsigned long v;

	if (!eq || eq == arg || d->nparams + 2 >= DPCTL_MAX_PARAMS)
		return -EINVAL;
	*eq = '\0';
	p = &d->params[d->nparams];
	p->name = arg;
	if (uint) {
		if (parse_uint(eq + 1, 0xffffffffUL, &v) < 0)
			return -EINVAL;
		p->type = DPC_PARAM_UINT32;
		p->u32 = (uint32_t)v;
	} else {
		p->type = DPC_PARAM_STRING;
		p->str = eq + 1;
	}
	d->nparams++;
	return 0;
}

/* Keeps a copy of a secret given on the command line and blanks the
 * original, so it does not linger in /proc/PID/cmdline. */
static int take_secret(char **slot, char *arg)
{
	/* A password that came earlier (DPCTL_PASSWORD) leaves no copy. */
	if (*slot)
		explicit_bzero(*slot, strlen(*slot));
	free(*slot);
	*slot = strdup(arg);
	if (!*slot)
		return -ENOMEM;
	memset(arg, 0, strlen(arg));
	return 0;
}

static int parse_probability(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end || errno || !(v >= 0.0 && v <= 1.0))
		return -EINVAL;
	*out = v;
	return 0;
}

/* Returns 0, or an exit code. */
static int apply(struct dpctl *d, const struct dpctl_opt *o, char *arg,
		 bool *help, bool *version)
{
	unsigned long v;

	switch (o->id) {
	case OPT_ENDPOINT: d->endpoint = arg; break;
	case OPT_API_PROTOCOL:
		if (dpc_protocol_parse(arg, &d->api_protocol))
			goto bad;
		break;
	case OPT_USER: d->user = arg; break;
	case OPT_PASSWORD:
		if (take_secret(&d->password, arg) < 0)
			return dpctl_failf(d, DPC_E_NOMEM, "out of memory");
		break;
	case OPT_AUTH:
		if (dpc_auth_parse(arg, &d->auth))
			goto bad;
		break;
	case OPT_SITE: d->site = arg; break;
	case OPT_CACERT: d->cacert = arg; break;
	case OPT_INSECURE: d->insecure = true; break;
	case OPT_TIMEOUT:
		if (parse_duration(arg, &d->timeout_ms) < 0 || !d->timeout_ms)
			goto bad;
		break;
	case OPT_RETRIES:
		if (parse_uint(arg, 100, &v) < 0)
			goto bad;
		d->retries = (unsigned)v;
		d->retries_set = true;
		break;
	case OPT_JSON: d->json = true; break;
	case OPT_VERBOSE: d->verbose = true; break;
	case OPT_HELP: *help = true; break;
	case OPT_VERSION: *version = true; break;
	case OPT_NAL: d->nal = arg; break;
	case OPT_MODE:
		if (parse_mode(arg, &d->mode) < 0)
			goto bad;
		break;
	case OPT_WAIT_TIMEOUT:
		/* 0 is valid: check once (see cmd_wait). */
		if (parse_duration(arg, &d->wait_timeout_ms) < 0)
			goto bad;
		break;
	case OPT_INTERVAL:
		if (parse_duration(arg, &d->interval_ms) < 0 || !d->interval_ms)
			goto bad;
		break;
	case OPT_NAMESPACE: d->ns = arg; break;
	case OPT_CLASS: d->cls = arg; break;
	case OPT_METHOD: d->method = arg; break;
	case OPT_PARAM:
	case OPT_UINT:
		if (add_param(d, arg, o->id == OPT_UINT) < 0)
			goto bad;
		break;
	case OPT_ADMIN_TOKEN:
		if (take_secret(&d->admin_token, arg) < 0)
			return dpctl_failf(d, DPC_E_NOMEM, "out of memory");
		break;
	case OPT_EFFECT: d->effect = arg; break;
	case OPT_HRESULT: d->hresult = arg; break;
	case OPT_STATUS:
		if (parse_uint(arg, 599, &v) < 0)
			goto bad;
		d->http_status = (long)v;
		break;
	case OPT_DELAY: {
		unsigned ms;

		if (parse_duration(arg, &ms) < 0)
			goto bad;
		d->delay_ms = ms;
		break;
	}
	case OPT_TIMES:
	case OPT_AFTER:
	case OPT_LIMIT:
	case OPT_EXPECT:
		if (parse_uint(arg, 0x7fffffffffffffffUL, &v) < 0)
			goto bad;
		*(o->id == OPT_TIMES ? &d->times : o->id == OPT_AFTER ? &d->after
		  : o->id == OPT_LIMIT ? &d->limit : &d->expect) = (long long)v;
		break;
	case OPT_PROBABILITY:
		if (parse_probability(arg, &d->probability) < 0)
			goto bad;
		break;
	case OPT_OP: d->op = arg; break;
	case OPT_FOR_USER: d->for_user = arg; break;
	case OPT_PROTOCOL: d->protocol = arg; break;
	case OPT_RULE: d->rule = arg; break;
	case OPT_RESULT: d->result = arg; break;
	case OPT_SINCE: d->since = arg; break;
	case OPT_UNTIL: d->until = arg; break;
	case OPT_WAIT:
		if (parse_duration(arg, &d->wait_ms) < 0)
			goto bad;
		break;
	case OPT_CODE: d->code = arg; break;
	case OPT_OUTPUT: d->output = arg; break;
	case OPT_ANONYMISE: d->anonymise = true; break;
	case OPT_DP:
		if (d->ndp_patterns >= DPCTL_MAX_DP_PATTERNS || !*arg)
			goto bad;
		d->dp_patterns[d->ndp_patterns++] = arg;
		break;
	case OPT_LAB_PASSWORD:
		if (!*arg)
			goto bad;
		if (take_secret(&d->lab_password, arg) < 0)
			return dpctl_failf(d, DPC_E_NOMEM, "out of memory");
		break;
	case OPT_SEED:
		if (parse_uint(arg, 0x7fffffffffffffffUL, &v) < 0)
			goto bad;
		d->seed = arg;
		break;
	}
	return 0;
bad:
	return dpctl_failf(d, DPC_E_USAGE, "invalid value for --%s: '%s'",
			   o->name, arg);
}

/* ---- parsing ---------------------------------------------------------- */

struct optset {
	const struct dpctl_opt *opt[MAX_OPTS];
	size_t n;
};

/* The first table wins on a name or short letter both have. */
static void optset_add(struct optset *s, const struct dpctl_opt *t)
{
	for (; t && t->name && s->n < MAX_OPTS; t++) {
		bool dup = false;

		for (size_t i = 0; i < s->n; i++)
			if (strcmp(s->opt[i]->name, t->name) == 0 ||
			    (t->short_name &&
			     s->opt[i]->short_name == t->short_name))
				dup = true;
		if (!dup)
			s->opt[s->n++] = t;
	}
}

/* Parses argv with the options of s. stop: stop at the first non-option
 * (the command). Returns 0 (*next = first unparsed index) or an exit
 * code. */
static int parse(struct dpctl *d, const struct optset *s, int argc,
		 char **argv, bool stop, int *next, bool *help, bool *version)
{
	struct option longs[MAX_OPTS + 1];
	char shorts[MAX_OPTS * 2 + 3];
	size_t ns = 0;
	int c, ret;

	shorts[ns++] = stop ? '+' : ':';
	if (stop)
		shorts[ns++] = ':';
	for (size_t i = 0; i < s->n; i++) {
		const struct dpctl_opt *o = s->opt[i];

		longs[i] = (struct option){ o->name,
			o->arg ? required_argument : no_argument, NULL,
			LONG_BASE + (int)i };
		if (o->short_name) {
			shorts[ns++] = o->short_name;
			if (o->arg)
				shorts[ns++] = ':';
		}
	}
	longs[s->n] = (struct option){ NULL, 0, NULL, 0 };
	shorts[ns] = '\0';
	opterr = 0;
	optind = 0;	/* glibc: full re-initialisation */
	while ((c = getopt_long(argc, argv, shorts, longs, NULL)) != -1) {
		const struct dpctl_opt *o = NULL;

		if (c == '?' || c == ':') {
			const char *what = c == ':' ? "missing argument for"
						    : "unknown";

			if (optopt && optopt < LONG_BASE)
				return dpctl_failf(d, DPC_E_USAGE,
						   "%s option -%c", what,
						   optopt);
			return dpctl_failf(d, DPC_E_USAGE, "%s option %s",
					   what, argv[optind - 1]);
		}
		if (c >= LONG_BASE) {
			o = s->opt[c - LONG_BASE];
		} else {
			for (size_t i = 0; i < s->n && !o; i++)
				if (s->opt[i]->short_name == c)
					o = s->opt[i];
		}
		if (!o)
			return dpctl_failf(d, DPC_E_USAGE, "unknown option");
		ret = apply(d, o, optarg, help, version);
		if (ret)
			return ret;
	}
	*next = optind;
	return 0;
}

/* ---- help ------------------------------------------------------------- */

static void print_opts(FILE *f, const struct dpctl_opt *t)
{
	for (; t && t->name; t++) {
		char left[64];

		if (t->short_name)
			snprintf(left, sizeof(left), "-%c, --%s%s%s",
				 t->short_name, t->name, t->arg ? " " : "",
				 t->arg ? t->arg : "");
		else
			snprintf(left, sizeof(left), "    --%s%s%s", t->name,
				 t->arg ? " " : "", t->arg ? t->arg : "");
		fprintf(f, "  %-26s %s\n", left, t->help);
	}
}

static void print_help(FILE *f)
{
	fprintf(f, "Usage: dpctl [OPTIONS] COMMAND [ARGS]\n\n"
		"Drives distribution point maintenance mode over WS-Management "
		"or the\nAdminService (dpsim or a real SMS Provider).\n\n"
		"Options:\n");
	print_opts(f, dpctl_global_opts);
	fprintf(f, "\nCommands:\n");
	for (const struct dpctl_cmd *c = dpctl_cmds; c->name; c++)
		fprintf(f, "  %-12s %s\n", c->name, c->summary);
	fprintf(f, "\nExit status: 0 success, 1 the provider said no, 2 usage, "
		"3 transport or\nauthentication. Run 'dpctl COMMAND --help' "
		"for a command; see dpctl(1).\n");
}

static void print_cmd_help(FILE *f, const struct dpctl_cmd *c)
{
	fprintf(f, "Usage: dpctl [OPTIONS] %s\n\n%s.\n\n%s", c->usage, c->summary,
		c->help);
	if (c->opts) {
		fprintf(f, "\nOptions:\n");
		print_opts(f, c->opts);
	}
	fprintf(f, "\nGlobal options (see dpctl --help) may come before or "
		"after the command.\n");
}

static const struct dpctl_cmd *find_cmd(const char *name)
{
	for (const struct dpctl_cmd *c = dpctl_cmds; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

/* ---- client ----------------------------------------------------------- */

/* --verbose: "> METHOD URL", the body sent (none for a GET), then
 * "< HTTP status" and the body received. */
static void trace_request(void *data, const char *method, const char *url)
{
	fprintf(stderr, "> %s %s\n", method, url);
}

static void trace(void *data, bool outgoing, long status, const char *body,
		  size_t len)
{
	if (outgoing && !len)
		return;
	if (!outgoing)
		fprintf(stderr, "< HTTP %ld\n", status);
	fwrite(body, 1, len, stderr);
	fputs("\n", stderr);
}

/* Asks on the terminal, without echo; only when there is one. */
static void prompt_password(struct dpctl *d)
{
	struct termios old, quiet;
	char line[256];
	FILE *tty = fopen("/dev/tty", "r+");

	if (!tty)
		return;
	if (tcgetattr(fileno(tty), &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		fprintf(tty, "Password for %s: ", d->user);
		fflush(tty);
		tcsetattr(fileno(tty), TCSAFLUSH, &quiet);
		if (fgets(line, sizeof(line), tty)) {
			line[strcspn(line, "\r\n")] = '\0';
			d->password = strdup(line);
		}
		tcsetattr(fileno(tty), TCSAFLUSH, &old);
		fputc('\n', tty);
		explicit_bzero(line, sizeof(line));
	}
	fclose(tty);
}

/* Whether the credentials need a password: all schemes but Negotiate,
 * which takes Kerberos from the ticket cache, except where libdpclient
 * speaks NTLM inside it itself (WS-Man over plain HTTP with a user). */
static bool needs_password(const struct dpctl *d)
{
	const char *ep = d->endpoint ? d->endpoint : "http://";
	enum dpc_protocol p = d->api_protocol != DPC_PROTOCOL_AUTO
			      ? d->api_protocol
			      : dpc_protocol_of_endpoint(d->endpoint);

	if (d->auth != DPC_AUTH_NEGOTIATE)
		return true;
	return p == DPC_PROTOCOL_WSMAN && strncasecmp(ep, "http://", 7) == 0;
}

static int connect_client(struct dpctl *d)
{
	struct dpc_options o;
	struct dpc_error err;

	if (d->user && !d->password && needs_password(d) &&
	    isatty(STDIN_FILENO))
		prompt_password(d);
	dpc_options_init(&o);
	o.endpoint = d->endpoint;
	o.user = d->user;
	o.password = d->password;
	o.auth = d->auth;
	o.site_code = d->site;
	o.ca_file = d->cacert;
	o.insecure = d->insecure;
	if (d->timeout_ms) {
		o.operation_timeout_ms = d->timeout_ms;
		if (o.connect_timeout_ms > d->timeout_ms)
			o.connect_timeout_ms = d->timeout_ms;
	}
	if (d->retries_set)
		o.retries = d->retries;
	if (d->verbose) {
		o.trace = trace;
		o.trace_data = d;
	}
	if (dpc_client_new_protocol(&o, d->api_protocol, &d->client, &err))
		return dpctl_fail(d, NULL, &err);
	if (d->verbose)
		dpc_client_set_request_trace(d->client, trace_request, d);
	return 0;
}

/* ---- main ------------------------------------------------------------- */

/* Whether option name (len characters: all of it, or a prefix as
 * getopt_long accepts one) or letter short_name takes its value from
 * the next argument, in any table. */
static bool takes_next(const char *name, size_t len, char short_name)
{
	bool any = false, all = true;

	/* Table 0 is the global one, table i the options of command i-1. */
	for (size_t i = 0; i == 0 || dpctl_cmds[i - 1].name; i++) {
		const struct dpctl_opt *t = i ? dpctl_cmds[i - 1].opts
					      : dpctl_global_opts;

		for (; t && t->name; t++) {
			if (short_name) {
				if (t->short_name == short_name)
					return t->arg != NULL;
				continue;
			}
			if (strncmp(t->name, name, len) != 0)
				continue;
			if (t->name[len] == '\0')
				return t->arg != NULL;
			any = true;
			all = all && t->arg;
		}
	}
	return any && all;
}

/* Whether the command line asks for --json anywhere, even past the
 * argument that makes parsing fail: a usage error must then be JSON
 * too. Skips option values, so that "-p --json" is a password. */
static bool wants_json(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (strcmp(a, "--") == 0)
			break;
		if (a[0] != '-' || a[1] == '\0')
			continue;
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t len = eq ? (size_t)(eq - a - 2) : strlen(a + 2);

			/* No other option starts with j: any prefix is it. */
			if (len && len <= 4 && strncmp(a + 2, "json", len) == 0)
				return true;
			if (!eq && len && takes_next(a + 2, len, 0))
				i++;
			continue;
		}
		for (const char *c = a + 1; *c; c++) {
			if (takes_next(NULL, 0, *c)) {
				if (!c[1])
					i++;
				break;
			}
		}
	}
	return false;
}

static int run(struct dpctl *d, int argc, char **argv)
{
	const struct dpctl_cmd *cmd;
	struct optset set = { .n = 0 };
	bool help = false, version = false;
	int next, ret, nargs;

	optset_add(&set, dpctl_global_opts);
	ret = parse(d, &set, argc, argv, true, &next, &help, &version);
	if (ret)
		return ret;
	if (version) {
		printf("dpctl %s\n", DPC_VERSION);
		return 0;
	}
	if (next >= argc) {
		if (help) {
			print_help(stdout);
			return 0;
		}
		return dpctl_failf(d, DPC_E_USAGE,
				   "no command given (try dpctl --help)");
	}
	if (strcmp(argv[next], "help") == 0) {
		cmd = next + 1 < argc ? find_cmd(argv[next + 1]) : NULL;
		if (cmd)
			print_cmd_help(stdout, cmd);
		else
			print_help(stdout);
		return 0;
	}
	cmd = find_cmd(argv[next]);
	if (!cmd) {
		return dpctl_failf(d, DPC_E_USAGE,
				   "unknown command '%s' (try dpctl --help)",
				   argv[next]);
	}
	/* The command's own options first, so they win over globals. */
	set.n = 0;
	optset_add(&set, cmd->opts);
	optset_add(&set, dpctl_global_opts);
	argc -= next;
	argv += next;
	ret = parse(d, &set, argc, argv, false, &next, &help, &version);
	if (ret)
		return ret;
	if (help) {
		print_cmd_help(stdout, cmd);
		return 0;
	}
	nargs = argc - next;
	if (nargs < cmd->min_args ||
	    (cmd->max_args >= 0 && nargs > cmd->max_args)) {
		return dpctl_failf(d, DPC_E_USAGE, "usage: dpctl [OPTIONS] %s",
				   cmd->usage);
	}
	if (cmd->needs_client) {
		ret = connect_client(d);
		if (ret)
			return ret;
	}
	return cmd->run(d, nargs, argv + next);
}

int main(int argc, char **argv)
{
	struct dpctl d = {
		.prog = "dpctl",
		.auth = DPC_AUTH_BASIC,
		.mode = -1,
		.wait_timeout_ms = DPCTL_WAIT_DEFAULT_MS,
		.delay_ms = -1, .times = -1, .after = -1, .limit = -1,
		.expect = -1, .probability = -1.0,
	};
	const char *pw = getenv("DPCTL_PASSWORD");
	int ret;

	/* An empty variable counts as unset, as for most Unix tools. */
	d.endpoint = getenv("DPCTL_ENDPOINT");
	if (d.endpoint && !*d.endpoint)
		d.endpoint = NULL;
	d.user = getenv("DPCTL_USER");
	if (d.user && !*d.user)
		d.user = NULL;
	d.json = wants_json(argc, argv);
	if (pw && !(d.password = strdup(pw)))
		return dpctl_failf(&d, DPC_E_NOMEM, "out of memory");
	if (dpc_global_init()) {
		free(d.password);
		return dpctl_failf(&d, DPC_E_TRANSPORT,
				   "cannot initialise libcurl");
	}
	ret = run(&d, argc, argv);
	dpc_client_free(d.client);
	if (d.password) {
		explicit_bzero(d.password, strlen(d.password));
		free(d.password);
	}
	if (d.admin_token) {
		explicit_bzero(d.admin_token, strlen(d.admin_token));
		free(d.admin_token);
	}
	if (d.lab_password) {
		explicit_bzero(d.lab_password, strlen(d.lab_password));
		free(d.lab_password);
	}
	dpc_global_cleanup();
	return ret;
}
