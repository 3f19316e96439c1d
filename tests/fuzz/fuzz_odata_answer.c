/* fuzz_odata_answer: what libdpclient does with whatever an AdminService
 * (dpsim, a real site, or something hostile on the lab network) sends
 * back, and with the WQL a caller hands dpc_query over it. The first
 * byte picks the reader, the rest is the body:
 *   0 dpco_read_instances, all properties, no namespace check
 *   1 dpco_read_instances with a namespace and WQL's property list
 *   2 dpco_read_output    3 dpco_read_error    4 dpco_read_service
 *   5 dpcw_translate (the rest as WQL, to its first NUL)
 * Every string handed back is read; the documented results are checked.
 * Seeds: tests/fuzz/corpus/odata_answer/ (dpsim's recorded answers with
 * their selector byte, and WQL). */
#include <errno.h>

#include "fuzz_common.h"
#include "dpc_error.h"
#include "dpc_odata.h"
#include "dpc_wql.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

static void check_instance(const struct dpc_instance *inst)
{
	FUZZ_CHECK(inst->class_name != NULL);
	fuzz_touch(inst->class_name);
	FUZZ_CHECK(inst->nprops == 0 || inst->props != NULL);
	for (size_t i = 0; i < inst->nprops; i++) {
		const struct dpc_property *p = &inst->props[i];

		FUZZ_CHECK(p->name != NULL);
		/* Annotations and system properties never come through. */
		FUZZ_CHECK(!strchr(p->name, '@'));
		FUZZ_CHECK(strncmp(p->name, "__", 2) != 0);
		FUZZ_CHECK(!p->null || p->nvalues == 0);
		/* An empty array is left out. */
		FUZZ_CHECK(p->null || p->nvalues > 0);
		for (size_t v = 0; v < p->nvalues; v++)
			fuzz_touch(p->values[v]);
		fuzz_touch(dpc_instance_text(inst, p->name));
	}
}

/* A failure's error: a code of the reader's, a message on one line. */
static void check_error(const struct dpc_error *err, enum dpc_code code)
{
	FUZZ_CHECK(err->code == code);
	FUZZ_CHECK(err->message[0] != '\0');
	FUZZ_CHECK(strlen(err->message) < sizeof(err->message));
}

static void instances(const char *body, size_t len, bool narrow)
{
	static const char *const sel[] = { "Name", "maintenancemode" };
	const struct dpco_read how = {
		.cls = "SMS_DistributionPointInfo",
		.ns = narrow ? "root/sms/site_PS1" : NULL,
		.select = narrow ? sel : NULL, .nselect = narrow ? 2 : 0,
	};
	struct dpc_instance_list l = { 0 };
	struct dpc_error err = { 0 };
	char *next = (char *)1;
	enum dpc_code code = dpco_read_instances(body, len, &how, &l, &next,
						 &err);

	FUZZ_CHECK(code == DPC_OK || code == DPC_E_PROTOCOL ||
		   code == DPC_E_NOT_FOUND || code == DPC_E_NOMEM);
	if (code) {
		check_error(&err, code);
		FUZZ_CHECK(next == NULL);
	} else {
		fuzz_touch(next);
	}
	free(next);
	FUZZ_CHECK(l.count == 0 || l.items != NULL);
	for (size_t i = 0; i < l.count; i++)
		check_instance(&l.items[i]);
	dpc_instance_list_clear(&l);
}

static void output(const char *body, size_t len)
{
	struct dpc_instance out;
	struct dpc_error err = { 0 };
	uint32_t rv = 7;
	bool has = true;
	enum dpc_code code = dpco_read_output(body, len, "M", &out, &rv, &has,
					      &err);

	FUZZ_CHECK(code == DPC_OK || code == DPC_E_PROTOCOL ||
		   code == DPC_E_NOMEM);
	if (code) {
		check_error(&err, code);
		FUZZ_CHECK(out.class_name == NULL && out.nprops == 0);
		return;
	}
	FUZZ_CHECK(strcmp(out.class_name, "M_OUTPUT") == 0);
	FUZZ_CHECK(has || rv == 0);
	check_instance(&out);
	dpc_instance_clear(&out);
}

static void error_doc(const char *body, size_t len)
{
	struct dpc_error err = { 0 };
	char line[DPC_MSG_SIZE + 64];
	enum dpc_code code = dpco_read_error(body, len, &err);

	FUZZ_CHECK(code == DPC_OK || code == DPC_E_PROVIDER);
	if (code == DPC_OK) {
		FUZZ_CHECK(err.code == DPC_OK && err.message[0] == '\0');
		return;
	}
	check_error(&err, DPC_E_PROVIDER);
	FUZZ_CHECK(!err.hresult_name || err.hresult);
	fuzz_touch(err.hresult_name);
	fuzz_touch(dpc_error_format(&err, line, sizeof(line)));
}

static void service(const char *body, size_t len)
{
	struct dpc_identity id;
	struct dpc_error err = { 0 };
	enum dpc_code code = dpco_read_service(body, len, NULL, &id, &err);

	FUZZ_CHECK(code == DPC_OK || code == DPC_E_PROTOCOL ||
		   code == DPC_E_NOMEM);
	if (code) {
		check_error(&err, code);
		FUZZ_CHECK(!id.protocol_version);
		return;
	}
	FUZZ_CHECK(strcmp(id.protocol_version, "OData 4.0") == 0);
	dpc_identity_clear(&id);
}

static void wql(const uint8_t *data, size_t size)
{
	char *text = fuzz_strndup(data, size);
	struct dpcw_query q;
	char why[128];
	int r = dpcw_translate(text, &q, why, sizeof(why));

	FUZZ_CHECK(r == 0 || r == -EINVAL || r == -ENOMEM);
	if (r) {
		FUZZ_CHECK(why[0] != '\0' && !strchr(why, '\n'));
		FUZZ_CHECK(!q.cls && !q.filter && !q.props);
	} else {
		FUZZ_CHECK(q.cls != NULL && dpco_is_name(q.cls));
		fuzz_touch(q.filter);
		FUZZ_CHECK(q.nprops == 0 || q.props != NULL);
		for (size_t i = 0; i < q.nprops; i++)
			FUZZ_CHECK(dpco_is_name(q.props[i]));
	}
	dpcw_query_clear(&q);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data + 1;
	size_t len = size ? size - 1 : 0;

	if (!size)
		return 0;
	switch (data[0] % 6) {
	case 0: instances(body, len, false); break;
	case 1: instances(body, len, true); break;
	case 2: output(body, len); break;
	case 3: error_doc(body, len); break;
	case 4: service(body, len); break;
	case 5: wql(data + 1, len); break;
	}
	return 0;
}
