/* A minimal libdpclient program: print a distribution point's maintenance
 * mode.
 *
 *   example-status [ENDPOINT] DP
 *
 * DP is an FQDN, a short name or a NAL path. Credentials come from
 * DPCTL_USER / DPCTL_PASSWORD; ENDPOINT defaults to
 * http://127.0.0.1:5985/wsman. Prints "DP01.contoso.com: maintenance mode
 * on" and exits 0, or prints why not on stderr and exits 1 (2 for usage).
 *
 * Build against an installed library (Debian: libdpclient-dev) with
 *   cc status.c $(pkg-config --cflags --libs dpclient)
 * or, in this tree, `ninja -C build client/example-status`.
 */
#include <stdio.h>
#include <stdlib.h>

#include "dpclient.h"

int main(int argc, char **argv)
{
	struct dpc_client *client = NULL;
	struct dpc_options opts;
	struct dpc_error err;
	struct dpc_dp dp;
	enum dpc_code code;
	const char *spec;
	char msg[1024];

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s [ENDPOINT] DP\n", argv[0]);
		return 2;
	}
	spec = argv[argc - 1];
	/* Once per process, before any other thread exists. */
	if (dpc_global_init() != DPC_OK) {
		fprintf(stderr, "%s: cannot initialise libcurl\n", argv[0]);
		return 1;
	}

	dpc_options_init(&opts);
	if (argc == 3)
		opts.endpoint = argv[1];
	opts.user = getenv("DPCTL_USER");
	opts.password = getenv("DPCTL_PASSWORD");

	/* The site code is discovered by the first call that needs it; the
	 * DP struct is ours afterwards, and empty (safe to clear) on
	 * failure. */
	code = dpc_client_new(&opts, &client, &err);
	if (code == DPC_OK)
		code = dpc_find_dp(client, spec, &dp, &err);
	if (code != DPC_OK) {
		/* dpc_strerror says what kind of failure it was; the error
		 * struct says what exactly (HRESULT, provider's message). */
		fprintf(stderr, "%s: %s: %s\n", spec, dpc_strerror(code),
			dpc_error_format(&err, msg, sizeof(msg)));
	} else {
		printf("%s: maintenance mode %s\n", dp.name ? dp.name : spec,
		       dp.maintenance_mode == 1 ? "on"
		       : dp.maintenance_mode == 0 ? "off" : "unknown");
		dpc_dp_clear(&dp);
	}

	dpc_client_free(client);
	dpc_global_cleanup();
	return code == DPC_OK ? 0 : 1;
}
