/* fuzz_request: wsman_request_parse() on arbitrary bytes -- what dpsim
 * does with every HTTP body a client posts to /wsman. Seeds:
 * fixtures/requests/ (real pywinrm, go-winrm and wsl captures). */
#include <errno.h>

#include "fuzz_common.h"
#include "request.h"

static void check_kvs(const struct wsman_kv *kv, size_t n)
{
	FUZZ_CHECK(n == 0 || kv != NULL);
	for (size_t i = 0; i < n; i++) {
		FUZZ_CHECK(kv[i].name != NULL);
		fuzz_touch(kv[i].name);
		fuzz_touch(kv[i].value);
	}
}

/* wsman_request_selector() finds each selector by its own name, in any
 * case, and answers the first of equal names (case-insensitively). */
static void check_selectors(const struct wsman_request *r)
{
	for (size_t i = 0; i < r->nselectors; i++) {
		const char *name = r->selectors[i].name;
		char *upper = strdup(name);
		size_t first = 0;

		FUZZ_CHECK(upper != NULL);
		for (char *c = upper; *c; c++)
			if (*c >= 'a' && *c <= 'z')
				*c = (char)(*c - 'a' + 'A');
		while (strcasecmp(r->selectors[first].name, name) != 0)
			first++;
		FUZZ_CHECK(wsman_request_selector(r, name) ==
			   r->selectors[first].value);
		FUZZ_CHECK(wsman_request_selector(r, upper) ==
			   r->selectors[first].value);
		free(upper);
	}
	fuzz_touch(wsman_request_selector(r, "NALPath"));
	fuzz_touch(wsman_request_selector(r, "__cimnamespace"));
	fuzz_touch(wsman_request_selector(r, ""));
}

static void check_request(const struct wsman_request *r)
{
	FUZZ_CHECK(r->op >= WSMAN_OP_IDENTIFY && r->op <= WSMAN_OP_OTHER);
	FUZZ_CHECK(r->enum_mode >= WSMAN_ENUM_OBJECTS &&
		   r->enum_mode <= WSMAN_ENUM_OBJECT_AND_EPR);
	fuzz_touch(r->action);
	fuzz_touch(r->message_id);
	fuzz_touch(r->resource_uri);
	fuzz_touch(r->filter_dialect);
	fuzz_touch(r->filter_text);
	fuzz_touch(r->context);
	fuzz_touch(r->method);
	check_kvs(r->selectors, r->nselectors);
	check_kvs(r->filter_selectors, r->nfilter_selectors);
	check_kvs(r->params, r->nparams);
	check_selectors(r);
}

/* One parse at the given depth limit, checked against request.h. */
static int parse_once(const uint8_t *data, size_t size, unsigned depth)
{
	struct wsman_request *r = NULL;
	struct wsman_fault f;
	char reason[256];
	int rc;

	memset(&f, 0, sizeof(f));
	memset(reason, 'x', sizeof(reason));
	rc = wsman_request_parse((const char *)data, size, depth, &r, &f,
				 reason, sizeof(reason));
	FUZZ_CHECK(rc == 0 || rc == -EINVAL || rc == -ENOMEM);
	if (rc == 0)
		FUZZ_CHECK(r != NULL);
	if (rc == -EINVAL) {
		FUZZ_CHECK(f.reason != NULL);
		fuzz_touch(f.reason);
		fuzz_touch(f.detail);
		fuzz_touch(f.not_understood);
		if (f.subcode == WSMAN_SUB_MUST_UNDERSTAND)
			FUZZ_CHECK(f.not_understood != NULL);
	}
	if (r)
		check_request(r);
	wsman_request_free(r);
	return rc;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_xml_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The default limit (64), then a tight one so the depth check is
	 * reached by ordinary envelopes, not only by deep junk. */
	if (parse_once(data, size, 0) == 0)
		parse_once(data, size, 6);
	return 0;
}
