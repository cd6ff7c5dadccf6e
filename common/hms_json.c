// SPDX-License-Identifier: BSD-2-Clause
/* hms_json.c - serializes JSON through the one sanitizer (see hms_json.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "hms_json.h"
#include "hms_sanitize.h"

char *hms_json_dumps(const json_t *j, size_t flags)
{
	char *raw = json_dumps(j, flags), *out;
	size_t n;

	if (!raw)
		return NULL;
	n = sanitize_json(raw, NULL, 0);
	if (n == strlen(raw))
		return raw;	/* nothing to escape */
	out = malloc(n + 1);
	if (out)
		sanitize_json(raw, out, n + 1);
	free(raw);
	return out;
}

int hms_json_dumpf(const json_t *j, FILE *f, size_t flags)
{
	char *s = hms_json_dumps(j, flags);
	int err = 0;

	if (!s)
		return -ENOMEM;
	if (fputs(s, f) == EOF)
		err = -EIO;
	free(s);
	return err;
}
