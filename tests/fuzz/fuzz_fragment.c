/* fuzz_fragment: the expression of a w:FragmentTransfer header.
 *
 * The input up to its first NUL is the expression; what follows the NUL,
 * when there is one, is the Dialect attribute. wsman_fragment_parse()
 * must answer 0 or -EINVAL with a fault of the documented subcodes and a
 * NUL-terminated reason; what it accepts must be made of names, and
 * written back in the canonical form it must parse to the same steps.
 * Seeds: tests/fuzz/corpus/fragment/. */
#include <errno.h>
#include <stdbool.h>

#include "fragment.h"
#include "fuzz_common.h"

static bool is_name(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-' ||
		      *s == '.'))
			return false;
	return true;
}

static void check(const char *expr, const char *dialect)
{
	struct wsman_fragment fr, again;
	struct wsman_fault f;
	char reason[512], canon[1100];
	int rc;

	memset(reason, 'x', sizeof(reason));
	rc = wsman_fragment_parse(expr, dialect, &fr, &f, reason, sizeof(reason));
	FUZZ_CHECK(rc == 0 || rc == -EINVAL);
	if (rc != 0) {
		FUZZ_CHECK(f.subcode == WSMAN_SUB_FRAGMENT_FILTER ||
			   f.subcode == WSMAN_SUB_FRAGMENT_DIALECT);
		FUZZ_CHECK(f.reason == reason);
		FUZZ_CHECK(memchr(reason, '\0', sizeof(reason)) != NULL);
		FUZZ_CHECK(reason[0] != '\0');
		return;
	}
	FUZZ_CHECK(is_name(fr.prop));
	FUZZ_CHECK(fr.cls[0] == '\0' || is_name(fr.cls));
	char pos[16] = "";
	if (fr.index)
		snprintf(pos, sizeof(pos), "[%u]", fr.index);
	snprintf(canon, sizeof(canon), "%s%s%s%s%s", fr.cls, fr.cls[0] ? "/" : "", fr.prop,
		 pos, fr.text ? "/text()" : "");
	FUZZ_CHECK(wsman_fragment_parse(canon, NULL, &again, &f, NULL, 0) == 0);
	FUZZ_CHECK(strcmp(again.cls, fr.cls) == 0 && strcmp(again.prop, fr.prop) == 0);
	FUZZ_CHECK(again.index == fr.index && again.text == fr.text);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_strndup(data, size);
	size_t len = strlen(s);
	char *dialect = len < size ? fuzz_strndup(data + len + 1, size - len - 1) : NULL;

	check(s, dialect);
	free(dialect);
	free(s);
	return 0;
}
