/* probe: dpsim --probe, a readiness check by the dpsim binary itself, so
 * that a container image's HEALTHCHECK needs no curl or wget in it. */
#ifndef DPSIM_PROBE_H
#define DPSIM_PROBE_H

#include <stddef.h>

/* The URL target names: "http://HOST[:PORT]/PATH" as it is, or "/PATH" on
 * the address dpsim would --listen on (listen, "ADDR:PORT"; NULL with
 * --listen none), where a wildcard address (0.0.0.0, [::]) is reached on
 * its loopback counterpart. Writes it to url; 0, or -EINVAL with one line
 * in why (https:// is refused: the probe speaks plain HTTP only). */
int probe_url(const char *target, const char *listen, char *url,
	      size_t urlsize, char *why, size_t whysize);

/* GETs url (http:// only) within timeout_ms for the whole exchange. 0 when
 * it answers 2xx with a JSON object whose "status" is "ready" (what
 * /_dpsim/health says once the fixtures are served); otherwise -1 with
 * one line in why: the connection's error, or the status and body's
 * "status" ("HTTP 503, status starting"). */
int probe_get(const char *url, unsigned timeout_ms, char *why, size_t whysize);

#endif
