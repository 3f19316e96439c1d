/* auth_timing: what auth_basic() costs for a known user, a wrong password
 * and an unknown name, on the bundled lab (lab/infra/branch in clear
 * text, analyst as a sha512crypt hash). A measurement, not a test: it
 * prints figures and fails nothing.
 *
 *   build/bench/auth_timing [ROUNDS]
 *
 * The cases are interleaved round by round, so a slow spell of the
 * machine falls on all of them alike; each figure is the median and the
 * 90th percentile of ROUNDS (default 2000) single calls, in µs. What
 * must hold: a wrong password costs the same for a known name (either
 * kind) and an unknown one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>

#include "auth.h"
#include "fixture.h"

struct bench_case {
	const char *label;
	const char *user;
	const char *pass;
	double *us;
};

/* "Basic " and user:pass in base64, as a client sends it (GnuTLS's
 * encoder, which dpsim links anyway). */
static void basic(const char *user, const char *pass, char *out, size_t size)
{
	char plain[256];
	int n = snprintf(plain, sizeof(plain), "%s:%s", user, pass);
	gnutls_datum_t in = { (unsigned char *)plain, (unsigned)n }, b64 = { 0 };

	if (gnutls_base64_encode2(&in, &b64) < 0) {
		fprintf(stderr, "auth_timing: base64 failed\n");
		exit(1);
	}
	snprintf(out, size, "Basic %.*s", (int)b64.size, (char *)b64.data);
	gnutls_free(b64.data);
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct bench_case cases[] = {
		{ "known, clear text, right password", "lab", "lab", NULL },
		{ "known, clear text, wrong password", "lab", "wrong", NULL },
		{ "known, hashed, right password (memo)", "analyst", "analyst", NULL },
		{ "known, hashed, wrong password", "analyst", "wrong", NULL },
		{ "unknown name", "nobody", "wrong", NULL },
		{ "unknown name, another", "zz-intruder", "lab", NULL },
	};
	const size_t ncases = sizeof(cases) / sizeof(cases[0]);
	long rounds = argc > 1 ? strtol(argv[1], NULL, 10) : 2000;
	struct fixture *fx;
	char err[256], hdr[600];
	size_t len;
	const char *lab = fixture_bundled_lab(&len);

	if (rounds < 10) {
		fprintf(stderr, "usage: %s [ROUNDS >= 10]\n", argv[0]);
		return 2;
	}
	if (fixture_load_memory("<bundled lab>", lab, len, &fx, err, sizeof(err))) {
		fprintf(stderr, "auth_timing: %s\n", err);
		return 1;
	}
	for (size_t c = 0; c < ncases; c++) {
		cases[c].us = calloc((size_t)rounds, sizeof(double));
		if (!cases[c].us)
			return 1;
		/* warm up: the memo learns analyst's password here */
		basic(cases[c].user, cases[c].pass, hdr, sizeof(hdr));
		(void)auth_basic(fx, hdr);
	}
	for (long r = 0; r < rounds; r++) {
		for (size_t c = 0; c < ncases; c++) {
			basic(cases[c].user, cases[c].pass, hdr, sizeof(hdr));
			double t0 = now_us();
			(void)auth_basic(fx, hdr);
			cases[c].us[r] = now_us() - t0;
		}
	}
	printf("auth_basic() on the bundled lab, %ld rounds, µs per call\n", rounds);
	printf("%-40s %10s %10s\n", "case", "median", "p90");
	for (size_t c = 0; c < ncases; c++) {
		qsort(cases[c].us, (size_t)rounds, sizeof(double), cmp_double);
		printf("%-40s %10.1f %10.1f\n", cases[c].label,
		       cases[c].us[rounds / 2], cases[c].us[rounds * 9 / 10]);
		free(cases[c].us);
	}
	fixture_free(fx);
	return 0;
}
