/* api_request: one HTTP request to a JSON front end (the control API and
 * the dashboard), as http.c hands it over. Everything is borrowed for the
 * handler's call; http.c builds it the same way for both. */
#ifndef DPSIM_API_REQUEST_H
#define DPSIM_API_REQUEST_H

#include <stddef.h>

struct api_arg {
	const char *name;
	const char *value;	/* NULL for "?name" without '=' */
};

struct api_request {
	const char *method;	/* "GET", ... */
	const char *path;	/* the part the front end routes on: after
				 * "/_dpsim" for the control API ("/health"),
				 * the whole path for the dashboard */
	const struct api_arg *args;	/* query arguments, decoded */
	size_t nargs;
	const char *body;
	size_t len;
	const char *content_type;	/* NULL when none */
	const char *authorization;	/* the header, NULL when none */
};

#endif
