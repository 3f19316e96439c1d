/* fuzz_response: wsman_response_parse() on arbitrary bytes -- what dpctl
 * and libdpclient do with whatever a server (dpsim, a real WinRM listener,
 * or something hostile on the lab network) sends back. Every accessor is
 * called and every string it returns is read. Seeds:
 * tests/unit/data/response_NAME.xml. */
#include <errno.h>

#include "fuzz_common.h"
#include "response.h"

static void check_object(const struct wsman_object *o)
{
	FUZZ_CHECK(o != NULL);
	FUZZ_CHECK(o->class_name != NULL);
	fuzz_touch(o->class_name);
	fuzz_touch(o->class_uri);
	FUZZ_CHECK(o->nprops == 0 || o->props != NULL);
	for (size_t i = 0; i < o->nprops; i++) {
		const struct wsman_prop *p = &o->props[i];

		FUZZ_CHECK(p->name != NULL);
		FUZZ_CHECK(!p->nil || p->nvalues == 0);
		FUZZ_CHECK(p->nvalues == 0 || p->values != NULL);
		for (size_t v = 0; v < p->nvalues; v++) {
			FUZZ_CHECK(p->values[v] != NULL);
			fuzz_touch(p->values[v]);
		}
		/* Looking a property up by its own name finds one. */
		FUZZ_CHECK(wsman_object_prop(o, p->name) != NULL);
		fuzz_touch(wsman_object_text(o, p->name));
	}
	FUZZ_CHECK(wsman_object_prop(o, "\x01no such property") == NULL);
	fuzz_touch(wsman_object_text(o, "ReturnValue"));
}

static void check_fault(const struct wsman_response *r)
{
	const struct wsman_fault *f = wsman_response_fault(r);
	const struct wsman_fault_ext *x = wsman_response_fault_ext(r);

	FUZZ_CHECK((f == NULL) == (x == NULL));
	if (!f)
		return;
	FUZZ_CHECK(f->subcode >= WSMAN_SUB_NONE &&
		   f->subcode <= WSMAN_SUB_UNKNOWN);
	FUZZ_CHECK(f->reason != NULL);
	fuzz_touch(f->reason);
	fuzz_touch(f->detail);
	fuzz_touch(f->not_understood);
	if (f->sms) {
		fuzz_touch(f->sms->description);
		fuzz_touch(f->sms->operation);
		fuzz_touch(f->sms->parameter_info);
		fuzz_touch(f->sms->provider_name);
	}
	fuzz_touch(x->code_local);
	fuzz_touch(x->subcode_qname);
	fuzz_touch(x->subcode_ns);
	fuzz_touch(x->subcode_local);
	fuzz_touch(x->detail_uri);
	fuzz_touch(x->machine);
	fuzz_touch(x->wsman_message);
	fuzz_touch(x->provider);
	fuzz_touch(x->wmi_message);
	fuzz_touch(x->wmi_message_id);
	fuzz_touch(x->error_type);
	fuzz_touch(x->windows_error_message);
	fuzz_touch(x->sms_class);
}

static void check_response(const struct wsman_response *r)
{
	enum wsman_response_kind kind = wsman_response_kind(r);
	const struct wsman_identity *id = wsman_response_identity(r);
	const struct wsman_object *out = wsman_response_output(r);
	size_t n = wsman_response_object_count(r);
	uint32_t rv;

	FUZZ_CHECK(kind >= WSMAN_RESP_UNKNOWN && kind <= WSMAN_RESP_INVOKE);
	fuzz_touch(wsman_response_action(r));
	fuzz_touch(wsman_response_message_id(r));
	fuzz_touch(wsman_response_relates_to(r));
	check_fault(r);
	if (kind == WSMAN_RESP_FAULT)
		FUZZ_CHECK(wsman_response_fault(r) != NULL);
	if (id) {
		fuzz_touch(id->protocol_version);
		fuzz_touch(id->product_vendor);
		fuzz_touch(id->product_version);
	}
	for (size_t i = 0; i < n; i++)
		check_object(wsman_response_object(r, i));
	fuzz_touch(wsman_response_context(r));
	(void)wsman_response_end_of_sequence(r);
	fuzz_touch(wsman_response_method(r));
	if (out)
		check_object(out);
	if (wsman_response_return_value(r, &rv))
		FUZZ_CHECK(out != NULL);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_xml_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char poison;
	struct wsman_response *r = (void *)&poison;	/* must become NULL */
	char err[200];
	int rc;

	memset(err, 'x', sizeof(err));
	rc = wsman_response_parse((const char *)data, size, 0, &r, err,
				  sizeof(err));
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM ||
		   rc == -E2BIG);
	FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL);
	if (rc == 0) {
		FUZZ_CHECK(r != NULL);
		check_response(r);
	} else {
		FUZZ_CHECK(r == NULL);
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(strchr(err, '\n') == NULL);
	}
	wsman_response_free(r);
	return 0;
}
