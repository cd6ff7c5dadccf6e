/* SPDX-License-Identifier: BSD-2-Clause */
/* hms_json.h - the one way our programs serialize JSON for the outside
 * (--json, the socket, exports, tool output): jansson's text with the
 * code points a terminal must not see raw (C1, bidi, DEL) escaped, so a
 * hostile comm stays harmless whoever prints the line. */
#ifndef HMS_JSON_H
#define HMS_JSON_H

#include <stdio.h>
#include <jansson.h>

/* json_dumps() then sanitize_json(); malloc'd (free()), NULL on error. */
char *hms_json_dumps(const json_t *j, size_t flags);
/* The same written to f; 0 or -errno. */
int hms_json_dumpf(const json_t *j, FILE *f, size_t flags);

#endif
