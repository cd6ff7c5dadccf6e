// SPDX-License-Identifier: BSD-2-Clause
/* config_pressure.c - the pressure keys: per component
 * `pressure: {memory|cpu|io: {some|full: DURATION, window: DURATION}}`
 * (PSI triggers, with an optional tuning bound `max`), the host's
 * `host: {pressure: ...}` on /proc/pressure/, daemon.cgroup_parent, and
 * durations with a unit.  The
 * kernel's rules for a trigger are checked here, against this process's
 * capabilities, so that --check-config names the line of a window the
 * kernel would refuse (without CAP_SYS_RESOURCE: multiples of 2 s). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "config_int.h"

/* "100ms", "2s", "1.5s", "500us" -> microseconds. */
int cfg_get_duration(struct cfg_ctx *c, struct fy_node *n, uint64_t min_us,
		     uint64_t max_us, uint64_t *us)
{
	const char *s = cfg_plain(c, n, "a duration (e.g. 100ms, 2s)");
	double v, mult;
	char *end;

	if (!s)
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || v != v || v < 0) {
		cfg_error(c, n, "wrong type: expected a duration with a unit "
			  "(us, ms, s), got '%s'", s);
		return -EINVAL;
	}
	if (!strcmp(end, "us"))
		mult = 1;
	else if (!strcmp(end, "ms"))
		mult = 1e3;
	else if (!strcmp(end, "s"))
		mult = 1e6;
	else {
		cfg_error(c, n, "'%s': a duration needs a unit: us, ms or s",
			  s);
		return -EINVAL;
	}
	v *= mult;
	if (v < (double)min_us || v > (double)max_us) {
		cfg_error(c, n, "out of range: %s (allowed %gms..%gs)", s,
			  (double)min_us / 1e3, (double)max_us / 1e6);
		return -ERANGE;
	}
	*us = (uint64_t)(v + 0.5);
	return 0;
}

int cfg_get_cgroup_parent(struct cfg_ctx *c, struct fy_node *n, char *buf,
			  size_t len)
{
	const char *p;

	if (cfg_get_str(c, n, buf, len))
		return -EINVAL;
	for (p = buf; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			    "0123456789_.-/", *p))
			break;
	if (!buf[0] || buf[0] == '/' || *p || strstr(buf, "..") ||
	    strstr(buf, "//") || buf[strlen(buf) - 1] == '/') {
		cfg_error(c, n, "must be a cgroup path relative to the cgroup "
			  "v2 root, of [A-Za-z0-9_.-/], without '..' "
			  "(e.g. hms.slice)");
		buf[0] = '\0';
		return -EINVAL;
	}
	return 0;
}

struct pres_ctx {
	struct cfg_pressure *p;
	struct fy_node *stall_n, *window_n, *max_n;
	bool both;
};

static void trigger_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
			struct fy_node *v, void *obj)
{
	struct pres_ctx *x = obj;

	if (!strcmp(k, "some") || !strcmp(k, "full")) {
		if (x->stall_n) {
			cfg_error(c, kn, "only one of some, full");
			x->both = true;
			return;
		}
		x->stall_n = v;
		x->p->full = k[0] == 'f';
		cfg_get_duration(c, v, 1, PRESSURE_WINDOW_MAX_US,
				 &x->p->stall_us);
	} else if (!strcmp(k, "window")) {
		x->window_n = v;
		cfg_get_duration(c, v, 1, 60000000, &x->p->window_us);
	} else if (!strcmp(k, "max")) {
		x->max_n = v;
		cfg_get_duration(c, v, 1, PRESSURE_WINDOW_MAX_US,
				 &x->p->max_us);
	} else {
		cfg_unknown(c, kn);
	}
}

static void resource_key(struct cfg_ctx *c, const char *k,
			 struct fy_node *kn, struct fy_node *v, void *obj)
{
	struct cfg_pressure *arr = obj;
	struct pres_ctx x = { 0 };
	int res;
	char why[160];

	for (res = 0; res < PRESSURE_MAX; res++)
		if (!strcmp(k, pressure_resource_name(res)))
			break;
	if (res == PRESSURE_MAX) {
		cfg_error(c, kn, "unknown resource '%s' (memory, cpu, io)", k);
		return;
	}
	x.p = &arr[res];
	memset(x.p, 0, sizeof(*x.p));
	x.p->window_us = 2000000;	/* the smallest window for everyone */
	cfg_each_pair(c, v, trigger_key, &x);
	if (!v || fy_node_get_type(v) != FYNT_MAPPING || x.both)
		return;
	if (!x.stall_n) {
		cfg_error(c, v, "one of some, full (a stall time) is required");
		return;
	}
	if (!x.p->stall_us || !x.p->window_us)
		return;		/* reported above */
	if (pressure_check(x.p->stall_us, x.p->window_us,
			   pressure_privileged(), why, sizeof(why))) {
		size_t old = cfg_push(c, ".%s", x.window_n && !strstr(why,
				      "threshold") ? "window" :
				      x.p->full ? "full" : "some");

		cfg_error(c, x.window_n && !strstr(why, "threshold") ?
			  x.window_n : x.stall_n, "%s", why);
		cfg_pop(c, old);
		return;
	}
	if (x.max_n && x.p->max_us &&
	    (x.p->max_us < x.p->stall_us || x.p->max_us > x.p->window_us)) {
		size_t old = cfg_push(c, ".max");

		cfg_error(c, x.max_n, "the tuning bound must be at least the "
			  "stall threshold and at most the window");
		cfg_pop(c, old);
		return;
	}
	x.p->set = true;
}

void cfg_parse_pressure(struct cfg_ctx *c, struct fy_node *n,
			struct cfg_pressure *p)
{
	cfg_each_pair(c, n, resource_key, p);
}

static void host_key(struct cfg_ctx *c, const char *k, struct fy_node *kn,
		     struct fy_node *v, void *obj)
{
	struct hms_config *cfg = obj;

	if (!strcmp(k, "pressure")) {
		cfg_parse_pressure(c, v, cfg->host.pressure);
		for (int r = 0; r < PRESSURE_MAX; r++)
			if (cfg->host.pressure[r].max_us) {
				cfg_error(c, v, "%s: max (threshold tuning) is "
					  "for components only",
					  pressure_resource_name(r));
				cfg->host.pressure[r].set = false;
			}
	} else
		cfg_unknown(c, kn);
}

void cfg_parse_host(struct cfg_ctx *c, struct fy_node *n)
{
	cfg_each_pair(c, n, host_key, c->cfg);
}
