// SPDX-License-Identifier: BSD-2-Clause
/* view_units.c - numbers as an operator reads them: durations in ms, s,
 * minutes or hours, sizes in KiB/MiB/GiB, counts with k/M/G, never
 * printf's exponent notation ("2.623e+04" is "26.2 s" or "26.2k"). */
#include <math.h>
#include <stdio.h>

#include "view_render.h"

void view_fmt_ms(double ms, char *buf, size_t len)
{
	double s = ms / 1000;

	if (!isfinite(ms) || ms < 0)
		snprintf(buf, len, "-");
	else if (ms == 0)
		snprintf(buf, len, "0 ms");
	else if (ms < 10)
		snprintf(buf, len, "%.1f ms", ms);
	else if (ms < 999.5)
		snprintf(buf, len, "%.0f ms", ms);
	else if (s < 59.95)
		snprintf(buf, len, "%.1f s", s);
	else if (s < 3600)
		snprintf(buf, len, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
	else if (s < 100 * 3600)
		snprintf(buf, len, "%dh%02dm", (int)(s / 3600),
			 (int)fmod(s / 60, 60));
	else
		snprintf(buf, len, "%.0fd", s / 86400);
}

void view_fmt_bytes(double b, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB",
					    "PiB" };
	int u = 0;

	if (!isfinite(b) || b < 0) {
		snprintf(buf, len, "-");
		return;
	}
	while (b >= 1023.95 && u < 5) {
		b /= 1024;
		u++;
	}
	if (!u)
		snprintf(buf, len, "%.0f B", b);
	else
		snprintf(buf, len, "%.1f %s", b, unit[u]);
}

void view_fmt_num(double v, char *buf, size_t len)
{
	double a = fabs(v);

	if (!isfinite(v))
		snprintf(buf, len, "-");
	else if (a == 0)
		snprintf(buf, len, "0");
	else if (a < 0.01)
		snprintf(buf, len, "%s<0.01", v < 0 ? "-" : "");
	else if (a < 10 && a != floor(a))
		snprintf(buf, len, "%.2f", v);
	else if (a < 100 && a != floor(a))
		snprintf(buf, len, "%.1f", v);
	else if (a < 9999.5)
		snprintf(buf, len, "%.0f", v);
	else if (a < 999.95e3)
		snprintf(buf, len, "%.1fk", v / 1e3);
	else if (a < 999.95e6)
		snprintf(buf, len, "%.1fM", v / 1e6);
	else
		snprintf(buf, len, "%.1fG", v / 1e9);
}
