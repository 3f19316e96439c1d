/* config: dpsim's command line, parsed from one declarative option table
 * that also drives --help and the effective-configuration log line. */
#ifndef DPSIM_CONFIG_H
#define DPSIM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "log.h"

#define CONFIG_MAX_LIST 16

/* A repeatable option's values, in the order given. */
struct config_list {
	char *v[CONFIG_MAX_LIST];
	size_t n;
};

struct config {
	char *listen;			/* "127.0.0.1:5985"; NULL: --listen none */
	char *port_file;		/* NULL = none; the HTTPS port when
					 * plain HTTP is off */
	char *tls_cert;			/* PEM chain file; NULL = no HTTPS */
	char *tls_key;			/* PEM key file; set iff tls_cert */
	char *tls_listen;		/* "127.0.0.1:5986" */
	char *tls_port_file;		/* NULL = none */
	char *db;			/* "dpsim.db" or ":memory:" */
	bool durability_full;		/* --durability full: synchronous=FULL */
	struct config_list fixtures;	/* empty = bundled lab */
	enum log_level log_level;
	bool log_json;
	unsigned threads;		/* MHD thread pool size */
	unsigned max_body_kib;		/* request body cap */
	unsigned max_connections;
	unsigned max_client_connections;	/* from one address */
	unsigned connection_timeout_s;
	unsigned read_timeout_s;	/* to read one whole request */
	struct config_list allow_hosts;	/* Host names besides loopback ones */
	char *admin_token;		/* NULL = none */
	uint64_t seed;			/* fault rules' generator seed */
	bool seed_set;			/* --seed given; else main draws one */
	unsigned journal_max;		/* rows per site; 0 = unbounded */
	unsigned status_messages_max;	/* per site; 0 = unbounded */
	unsigned max_enumerations;	/* open enumeration contexts, total */
	unsigned max_enumerations_per_user; /* of them, one user's */
	unsigned max_fault_rules;	/* rules in the list, all sites */
	unsigned journal_page_max;	/* rows one GET journal answers */
	unsigned max_snapshots;		/* snapshots saved */
	unsigned max_sites;		/* sites served */
	bool allow_unencrypted;		/* Negotiate over HTTP unsealed */
	unsigned adminservice_denied;	/* 404 or 403: WBEM_E_ACCESS_DENIED
					 * on the AdminService route */
};

enum config_result {
	CONFIG_OK,		/* run */
	CONFIG_EXIT,		/* --help / --version printed: exit 0 */
	CONFIG_HASH_PASSWORD,	/* --hash-password: main hashes stdin */
	CONFIG_ERROR,		/* err holds one line: exit 2 */
};

/* Fills c with defaults, then applies argv. Strings in c point into argv
 * or static defaults: argv must outlive c. Also checks that the options
 * make sense together (--tls-cert with --tls-key, something to serve). */
enum config_result config_parse(struct config *c, int argc, char **argv,
				char *err, size_t errsize);

/* The shortest admin token accepted: 16 characters, as for most bearer
 * secrets (`openssl rand -hex 16` gives 32). The token guards fault
 * rules, resets and snapshots; a short one is guessed, one with spaces
 * or control characters was pasted wrong (or is cut by the HTTP header
 * it travels in). */
#define CONFIG_ADMIN_TOKEN_MIN 16

/* Whether tok is an acceptable admin token: at least
 * CONFIG_ADMIN_TOKEN_MIN characters of printable ASCII, no space or
 * control character. 0, or -EINVAL with one line in err naming source
 * ("--admin-token", "DPSIM_ADMIN_TOKEN") and what is wrong, never the
 * token itself. config_parse() checks --admin-token with it; main checks
 * the environment's. */
int config_check_admin_token(const char *source, const char *tok, char *err,
			     size_t errsize);

/* "--listen 127.0.0.1:5985 --db dpsim.db ..." for the start-up log line.
 * Names files, never secrets (the admin token is "(set)"). */
void config_describe(const struct config *c, char *out, size_t size);

/* Splits "HOST:PORT" / "[V6]:PORT" into host (without brackets) and port.
 * 0 or -EINVAL. */
int config_split_hostport(const char *s, char *host, size_t hostsize,
			  uint16_t *port);

#endif
