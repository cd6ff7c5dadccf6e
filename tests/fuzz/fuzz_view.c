// SPDX-License-Identifier: BSD-2-Clause
/* fuzz_view.c - libFuzzer target for the pane's side of the dashboard
 * socket: the input is what a daemon (or whatever listens on the socket
 * path) writes, cut into lines and applied to a pane's tables
 * (view_state_apply_line), then every view is rendered at 80x24 and at
 * a 2x2-grid quarter (33x9), plain and ASCII, with the help and with a
 * filter.  Every line must be exactly w columns, valid UTF-8, with no
 * code point a terminal must not see raw; --json of the same tables
 * must be JSON. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_util.h"
#include "hms_sanitize.h"
#include "view_int.h"

static void fz_render(const struct view_state *st, int kind, int w, int h,
		      int mode)
{
	struct view_ui ui = { .kind = kind, .connected = 1, .help = mode == 1,
			      .ascii = mode == 2, .show_exited = mode == 3 };
	struct view_screen *scr;

	if (mode == 3)
		snprintf(ui.filter, sizeof(ui.filter), "api");
	if (view_screen_new(w, h, &scr))
		abort();
	view_render(st, &ui, scr);
	for (int i = 0; i < h; i++) {
		if (sanitize_width(scr->lines[i].text) != (size_t)w)
			fz_fail("line not w columns", scr->lines[i].text);
		fz_check_safe(scr->lines[i].text, "rendered line");
	}
	view_screen_free(scr);
	if (mode == 0) {
		char *js = view_json(st, &ui);
		json_t *doc = js ? json_loads(js, 0, NULL) : NULL;

		if (!doc)
			fz_fail("--json is not JSON", js ? js : "(null)");
		json_decref(doc);
		free(js);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct view_state *st;
	size_t off = 0;

	if (view_state_new(&st))
		return 0;
	while (off < size) {
		const uint8_t *nl = memchr(data + off, '\n', size - off);
		size_t len = nl ? (size_t)(nl - data) - off : size - off;

		view_state_apply_line(st, (const char *)data + off, len);
		off += len + 1;
	}
	for (int kind = 0; kind < VIEW_KIND_MAX; kind++)
		for (int mode = 0; mode < 4; mode++) {
			fz_render(st, kind, 80, 24, mode);
			fz_render(st, kind, 33, 9, mode);
		}
	view_state_free(st);
	return 0;
}
