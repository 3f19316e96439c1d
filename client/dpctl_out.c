/* dpctl output: error lines, JSON shapes and text tables. */
#include "dpctl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int dpctl_exit_code(enum dpc_code code)
{
	switch (code) {
	case DPC_OK:
		return DPCTL_EXIT_OK;
	case DPC_E_USAGE:
		return DPCTL_EXIT_USAGE;
	case DPC_E_PROVIDER:
	case DPC_E_NOT_FOUND:
		return DPCTL_EXIT_PROVIDER;
	case DPC_E_TRANSPORT:
	case DPC_E_AUTH:
	case DPC_E_PROTOCOL:
	case DPC_E_NOMEM:
	default:
		return DPCTL_EXIT_TRANSPORT;
	}
}

void dpctl_warn(const struct dpctl *d, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", d->prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void dpctl_report(const struct dpctl *d, const char *subject,
		  const struct dpc_error *err)
{
	char line[1024];
	const struct dpc_sms_status *s = &err->sms;
	char status[24] = "-";

	dpc_error_format(err, line, sizeof(line));
	if (subject)
		fprintf(stderr, "%s: %s: %s\n", d->prog, subject, line);
	else
		fprintf(stderr, "%s: %s\n", d->prog, line);
	if (!d->verbose)
		return;
	/* Every kind of failure gets it: refused connections have no
	 * status or subcode, but their attempts count all the same. */
	if (err->http_status)
		snprintf(status, sizeof(status), "%ld", err->http_status);
	fprintf(stderr, "  %s: http status %s, subcode %s, attempts %u\n",
		dpc_code_name(err->code), status,
		err->subcode[0] ? err->subcode : "-", err->attempts);
	if (err->transport[0])
		fprintf(stderr, "  transport: %s\n", err->transport);
	if (s->present)
		fprintf(stderr, "  %s: ErrorCode %u (0x%08X), Operation %s, "
			"ParameterInfo %s, ProviderName %s\n  %s\n",
			s->class_name, (unsigned)s->error_code,
			(unsigned)s->error_code, s->operation,
			s->parameter_info, s->provider_name, s->description);
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? json_string(s) : json_null();
}

static json_t *hex_or_null(uint32_t v, bool present)
{
	char hex[16];

	if (!present)
		return json_null();
	snprintf(hex, sizeof(hex), "0x%08X", (unsigned)v);
	return json_string(hex);
}

json_t *dpctl_error_json(const struct dpc_error *err)
{
	const struct dpc_sms_status *s = &err->sms;
	json_t *sms = json_null();

	if (s->present)
		sms = json_pack("{s:s, s:I, s:o, s:o, s:o, s:o, s:o}",
				"class", s->class_name,
				"error_code", (json_int_t)s->error_code,
				"status_code", s->has_status_code
					? json_integer(s->status_code)
					: json_null(),
				"description", str_or_null(s->description),
				"operation", str_or_null(s->operation),
				"parameter_info", str_or_null(s->parameter_info),
				"provider_name", str_or_null(s->provider_name));
	return json_pack("{s:s, s:s, s:o, s:o, s:b, s:o, s:o, s:o, s:o}",
			 "code", dpc_code_name(err->code),
			 "message", err->message[0] ? err->message
						    : dpc_strerror(err->code),
			 "hresult", hex_or_null(err->hresult, err->hresult != 0),
			 "hresult_name", str_or_null(err->hresult_name),
			 "return_value", err->from_return_value,
			 "subcode", str_or_null(err->subcode),
			 "http_status", err->http_status
					? json_integer(err->http_status)
					: json_null(),
			 "transport", str_or_null(err->transport),
			 "sms_status", sms ? sms : json_null());
}

json_t *dpctl_dp_json(const struct dpc_dp *dp)
{
	return json_pack("{s:o, s:o, s:o, s:o, s:o}",
			 "name", str_or_null(dp->name),
			 "nalpath", str_or_null(dp->nal_path),
			 "site_code", str_or_null(dp->site_code),
			 "resource_type", str_or_null(dp->resource_type),
			 "maintenance_mode", dp->maintenance_mode < 0
				? json_null()
				: json_integer(dp->maintenance_mode));
}

json_t *dpctl_instance_json(const struct dpc_instance *inst)
{
	json_t *props = json_object();

	for (size_t i = 0; props && i < inst->nprops; i++) {
		const struct dpc_property *p = &inst->props[i];
		json_t *v;

		if (p->null) {
			v = json_null();
		} else if (p->nvalues == 1) {
			v = json_string(p->values[0]);
		} else {
			v = json_array();
			for (size_t j = 0; v && j < p->nvalues; j++)
				json_array_append_new(v,
						      json_string(p->values[j]));
		}
		json_object_set_new(props, p->name, v ? v : json_null());
	}
	return json_pack("{s:s, s:o}", "class",
			 inst->class_name ? inst->class_name : "",
			 "properties", props ? props : json_object());
}

int dpctl_print_json(json_t *v)
{
	int ret;

	if (!v) {
		fprintf(stderr, "dpctl: cannot build the JSON output\n");
		return DPCTL_EXIT_TRANSPORT;
	}
	ret = json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(v);
	if (ret < 0 || fputc('\n', stdout) == EOF || fflush(stdout) == EOF)
		return DPCTL_EXIT_TRANSPORT;
	return 0;
}

int dpctl_fail(const struct dpctl *d, const char *subject,
	       const struct dpc_error *err)
{
	if (d->json)
		dpctl_print_json(json_pack("{s:o}", "error",
					   dpctl_error_json(err)));
	dpctl_report(d, subject, err);
	return dpctl_exit_code(err->code);
}

int dpctl_failf(const struct dpctl *d, enum dpc_code code, const char *fmt,
		...)
{
	struct dpc_error err;
	va_list ap;

	memset(&err, 0, sizeof(err));
	err.code = code;
	va_start(ap, fmt);
	vsnprintf(err.message, sizeof(err.message), fmt, ap);
	va_end(ap);
	return dpctl_fail(d, NULL, &err);
}

const char *dpctl_mode_name(int mode)
{
	return mode == 1 ? "on" : mode == 0 ? "off" : "?";
}

/* ---- tables ----------------------------------------------------------- */

struct dpctl_table {
	size_t ncols, nrows, cap;
	char **cells;		/* nrows * ncols, the head row first */
	size_t *width;
};

struct dpctl_table *dpctl_table_new(size_t ncols, const char *const *heads)
{
	struct dpctl_table *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->ncols = ncols;
	t->width = calloc(ncols, sizeof(*t->width));
	if (!t->width || dpctl_table_add(t, heads) < 0) {
		dpctl_table_free(t);
		return NULL;
	}
	return t;
}

int dpctl_table_add(struct dpctl_table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;
		char **p = realloc(t->cells, cap * t->ncols * sizeof(*p));

		if (!p)
			return -ENOMEM;
		t->cells = p;
		t->cap = cap;
	}
	for (size_t i = 0; i < t->ncols; i++) {
		char *s = strdup(cells[i] ? cells[i] : "-");
		size_t n;

		if (!s) {
			for (size_t j = 0; j < i; j++)
				free(t->cells[t->nrows * t->ncols + j]);
			return -ENOMEM;
		}
		t->cells[t->nrows * t->ncols + i] = s;
		n = strlen(s);
		if (n > t->width[i])
			t->width[i] = n;
	}
	t->nrows++;
	return 0;
}

void dpctl_table_print(const struct dpctl_table *t)
{
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t c = 0; c < t->ncols; c++) {
			const char *s = t->cells[r * t->ncols + c];

			/* The last column is not padded: no trailing blanks. */
			if (c + 1 == t->ncols)
				printf("%s", s);
			else
				printf("%-*s  ", (int)t->width[c], s);
		}
		putchar('\n');
	}
}

void dpctl_table_free(struct dpctl_table *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t);
}
