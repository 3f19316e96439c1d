/* A minimal libdpclient program: print a distribution point's maintenance
 * mode.
 *
 *   example-status [ENDPOINT] DP
 *
 * Credentials come from DPCTL_USER / DPCTL_PASSWORD. Exit status 0 when
 * the mode was read, 1 otherwise.
 */
#include <stdio.h>
#include <stdlib.h>

#include "dpclient.h"

int main(int argc, char **argv)
{
	struct dpc_client *client = NULL;
	struct dpc_options opts;
	struct dpc_error err;
	char msg[1024];
	unsigned mode;
	int ret = 1;

	if (argc < 2 || argc > 3) {
		fprintf(stderr, "usage: %s [ENDPOINT] DP\n", argv[0]);
		return 2;
	}
	if (dpc_global_init() != DPC_OK)
		return 1;
	dpc_options_init(&opts);
	if (argc == 3)
		opts.endpoint = argv[1];
	opts.user = getenv("DPCTL_USER");
	opts.password = getenv("DPCTL_PASSWORD");

	if (dpc_client_new(&opts, &client, &err) != DPC_OK ||
	    dpc_get_mode(client, argv[argc - 1], &mode, &err) != DPC_OK) {
		fprintf(stderr, "%s: %s\n", argv[argc - 1],
			dpc_error_format(&err, msg, sizeof(msg)));
	} else {
		printf("%s: maintenance mode %s\n", argv[argc - 1],
		       mode ? "on" : "off");
		ret = 0;
	}
	dpc_client_free(client);
	dpc_global_cleanup();
	return ret;
}
