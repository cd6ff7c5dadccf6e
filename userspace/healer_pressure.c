// SPDX-License-Identifier: BSD-2-Clause
/* healer_pressure.c - healing before the failure: PSI triggers on a
 * component's cgroup v2 become the failure classes mem_pressure,
 * cpu_pressure and io_pressure.  A spawned component gets a cgroup of its
 * own (daemon.cgroup_parent/NAME) so that its pressure is its own; an
 * adopted one is watched in the cgroup it is found in.  Recovery for these
 * classes is graduated: one action of the chain per failure, each followed
 * by a verification window, the next failure continuing with the next
 * action (so a trailing restart runs only when the gentler steps did not
 * relieve the pressure).  The verification is the pressure itself: after
 * the action's transient (one trigger window plus the 2 s an unprivileged
 * trigger may take to report), the trigger did not fire and the stall
 * measured by the kernel's total counter stayed below the threshold's
 * rate for at least one more window plus 2 s.  The
 * same measure clears `degraded` when no recovery runs.  OOM forensics
 * (the victim's cgroup limit, usage and pressure, and whether a
 * mem_pressure failure came first) are read here when an OOM event
 * arrives. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "healer_int.h"
#include "log.h"
#include "loop.h"
#include "pressure.h"
#include "registry.h"

#define PRES_PRECEDED_NS	(300ull * 1000000000ull)	/* 5 min */

struct hc_pressure {
	struct hcomp *c;
	char dir[CONFIG_PATH_LEN + 64];		/* armed cgroup v2 dir */
	bool created;				/* dir is ours to remove */
	bool made_parent;
	char parent[CONFIG_PATH_LEN + 32];
	struct pressure_trigger *trig[PRESSURE_MAX];
	uint64_t last_fire_ns[PRESSURE_MAX];
	/* measurement window (verification or clearing) */
	uint64_t from_ns;
	uint64_t from_total[PRESSURE_MAX];
	uint64_t settle_until_ns;		/* verification: transient */
	struct hms_timer *clear;
	/* graduated chains */
	int esc_fc, esc_strategy;
	size_t esc_step, run_step;
	/* for OOM forensics */
	uint64_t mem_fail_ns;
	char mem_strategy[HMS_NAME_LEN];
	char mem_done[64];			/* its last action's result */
	/* thresholds in use (tuned by the registry within max_us) */
	uint64_t stall_us[PRESSURE_MAX];
	bool alarm_open[PRESSURE_MAX];		/* a failure awaits its verdict */
	bool acted;				/* this recovery changed
						 * something (not only told) */
};

static void pres_clear_cb(struct hms_timer *t, void *arg);

static int64_t healer_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

bool healer_pressure_class(int fc)
{
	return fc == FAIL_MEM_PRESSURE || fc == FAIL_CPU_PRESSURE ||
	       fc == FAIL_IO_PRESSURE;
}

static bool pres_configured(const struct cfg_component *cc)
{
	for (int r = 0; r < PRESSURE_MAX; r++)
		if (cc->pressure[r].set)
			return true;
	return false;
}

static struct hc_pressure *pres_get(struct hcomp *c)
{
	struct hc_pressure *p = c->pres;

	if (p || !pres_configured(c->cc))
		return p;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->c = c;
	p->esc_fc = -1;
	if (loop_timer_new(c->h->loop, pres_clear_cb, c, &p->clear)) {
		free(p);
		return NULL;
	}
	c->pres = p;
	return p;
}

/* The stall threshold in use: the configured one, or what the registry
 * tuned it to within its bound. */
static uint64_t pres_stall(struct hcomp *c, int r)
{
	const struct cfg_pressure *cp = &c->cc->pressure[r];
	struct hc_pressure *p = c->pres;
	double v = 0;

	if (p->stall_us[r])
		return p->stall_us[r];
	p->stall_us[r] = cp->stall_us;
	if (cp->max_us > cp->stall_us && c->h->reg &&
	    !registry_threshold_get(c->h->reg, c->cc->name,
				    hms_failure_name(FAIL_MEM_PRESSURE + r),
				    (double)cp->stall_us, (double)cp->max_us,
				    &v) && v >= (double)cp->stall_us)
		p->stall_us[r] = (uint64_t)(v + 0.5);
	return p->stall_us[r];
}

static int pres_arm(struct hcomp *c, struct hc_pressure *p, const char *dir);

/* What the alarm of resource r turned out to be: the registry moves the
 * threshold within its bound, and the trigger is re-armed when it did. */
static void pres_verdict(struct hcomp *c, int r, int alarm)
{
	const struct cfg_pressure *cp = &c->cc->pressure[r];
	struct hc_pressure *p = c->pres;
	uint64_t old, now;
	double v;

	if (alarm != REGISTRY_ALARM_MISSED) {
		if (!p->alarm_open[r])
			return;		/* one verdict per alarm */
		p->alarm_open[r] = false;
	}
	if (cp->max_us <= cp->stall_us || !c->h->reg ||
	    c->h->cfg->daemon.dry_run)
		return;
	old = pres_stall(c, r);
	if (registry_threshold_observe(c->h->reg, c->cc->name,
				       hms_failure_name(FAIL_MEM_PRESSURE + r),
				       (double)cp->stall_us,
				       (double)cp->max_us, alarm, &v)) {
		log_warning("%s: %s pressure threshold not learned: %s",
			    c->cc->name, pressure_resource_name(r),
			    registry_last_error(c->h->reg));
		return;
	}
	now = (uint64_t)(v + 0.5);
	if (now == old)
		return;
	p->stall_us[r] = now;
	healer_alert(c, ALERT_INFO, "%s pressure threshold %.1f -> %.1f ms "
		     "(%s alarm; bounds %.1f..%.1f ms)",
		     pressure_resource_name(r), old / 1000.0, now / 1000.0,
		     alarm == REGISTRY_ALARM_FALSE ? "false" : "missed",
		     cp->stall_us / 1000.0, cp->max_us / 1000.0);
	pressure_trigger_free(p->trig[r]);
	p->trig[r] = NULL;
	if (p->dir[0]) {
		char dir[sizeof(p->dir)];

		memcpy(dir, p->dir, sizeof(dir));	/* pres_arm copies it */
		pres_arm(c, p, dir);
	}
}

int healer_pressure_threshold(struct hcomp *c, int res, uint64_t *stall_us)
{
	if (!c->pres || res < 0 || res >= PRESSURE_MAX ||
	    !c->cc->pressure[res].set)
		return -ENOENT;
	*stall_us = pres_stall(c, res);
	return 0;
}

static void pres_disarm(struct hc_pressure *p)
{
	for (int r = 0; r < PRESSURE_MAX; r++) {
		pressure_trigger_free(p->trig[r]);
		p->trig[r] = NULL;
	}
}

/* stall total (us) of every configured resource, now */
static void pres_mark(struct hc_pressure *p)
{
	const struct cfg_component *cc = p->c->cc;

	p->from_ns = loop_now_ns();
	for (int r = 0; r < PRESSURE_MAX; r++)
		if (!cc->pressure[r].set ||
		    pressure_read(p->dir, r, cc->pressure[r].full, NULL,
				  &p->from_total[r]))
			p->from_total[r] = 0;
}

static uint64_t window_ms(const struct cfg_pressure *cp)
{
	return cp->window_us / 1000;
}

/* Time to watch before saying the pressure is gone: the kernel reports a
 * trigger at most once per window, and unprivileged triggers are checked
 * every 2 s. */
static uint64_t pres_watch_ms(const struct cfg_pressure *cp)
{
	return 2 * window_ms(cp) + 2000;
}

/* The transient after an action: one window, and the 2 s an unprivileged
 * trigger may take to report it. */
static uint64_t pres_settle_ms(const struct cfg_pressure *cp)
{
	return window_ms(cp) + PRESSURE_UNPRIV_STEP_US / 1000;
}

static void pres_fired(struct pressure_trigger *t, bool gone, void *arg)
{
	struct hcomp *c = arg;
	struct hc_pressure *p = c->pres;
	struct healer_failure f = { 0 };
	const struct cfg_pressure *cp;
	uint64_t now = loop_now_ns();
	double avg = 0;
	int r;

	for (r = 0; r < PRESSURE_MAX && p->trig[r] != t; r++)
		;
	if (r == PRESSURE_MAX)
		return;
	cp = &c->cc->pressure[r];
	if (gone) {
		p->trig[r] = NULL;
		pressure_trigger_free(t);
		healer_alert(c, 1, "%s pressure trigger lost: cgroup %.60s "
			     "is gone", pressure_resource_name(r), p->dir);
		return;
	}
	p->last_fire_ns[r] = now;
	if (r == PRESSURE_MEMORY)
		p->mem_fail_ns = now;
	if (c->stopping || c->busy)
		return;		/* a recovery is running: its window judges */
	if (c->verifying && now < p->settle_until_ns)
		return;		/* the action's own transient: judged later */
	pressure_read(p->dir, r, cp->full, &avg, NULL);
	p->alarm_open[r] = true;
	f.fc = FAIL_MEM_PRESSURE + r;
	f.pid = (uint32_t)c->pid;
	f.ts_ns = now;
	memcpy(f.comm, c->comm, HMS_COMM_LEN);
	snprintf(f.cause, sizeof(f.cause), "%s pressure: %s stall >= %llu ms "
		 "in %llu ms (avg10 %.2f%%)", pressure_resource_name(r),
		 cp->full ? "full" : "some",
		 (unsigned long long)(pres_stall(c, r) / 1000),
		 (unsigned long long)window_ms(cp), avg);
	healer_failure(c, &f);
	/* no recovery (none configured, paused, gave up): clear by measure */
	if (!c->busy && c->state == HEALER_DEGRADED) {
		pres_mark(p);
		loop_timer_arm(p->clear, pres_watch_ms(cp) * 1000000ull, 0);
	}
}

static int pres_arm(struct hcomp *c, struct hc_pressure *p, const char *dir)
{
	const struct cfg_component *cc = c->cc;
	int err, ret = 0;

	if (strcmp(p->dir, dir))
		pres_disarm(p);
	snprintf(p->dir, sizeof(p->dir), "%s", dir);
	for (int r = 0; r < PRESSURE_MAX; r++) {
		const struct cfg_pressure *cp = &cc->pressure[r];

		if (!cp->set || pressure_trigger_alive(p->trig[r]))
			continue;
		pressure_trigger_free(p->trig[r]);
		p->trig[r] = NULL;
		err = pressure_trigger_new(c->h->loop, dir, r, cp->full,
					   pres_stall(c, r), cp->window_us,
					   pres_fired, c, &p->trig[r]);
		if (err) {
			healer_alert(c, 1, "%s pressure trigger on %.60s: %s",
				     pressure_resource_name(r), dir,
				     strerror(-err));
			ret = err;
		}
	}
	return ret;
}

/* mkdir -p below the unified root; *made when the last one was new. */
static int pres_mkdirs(const char *root, const char *rel, bool *made)
{
	char path[CONFIG_PATH_LEN + 64];
	size_t l = (size_t)snprintf(path, sizeof(path), "%s/", root);

	*made = false;
	for (const char *s = rel; ; s++) {
		if (l + 1 >= sizeof(path))
			return -ENAMETOOLONG;
		if (*s == '/' || !*s) {
			path[l] = '\0';
			if (mkdir(path, 0755) == 0)
				*made = true;
			else if (errno != EEXIST)
				return -errno;
			else
				*made = false;
			if (!*s)
				return 0;
		}
		path[l++] = *s;
	}
}

/* The component's own cgroup v2 directory, absolute. */
static int pres_own_dir(const struct hcomp *c, char *buf, size_t len)
{
	const char *root = pressure_cgroup2_root();
	const char *cg = c->cc->cgroup;
	size_t rl = strlen(root);
	int n;

	/* a configured cgroup in the unified tree is its own already */
	if (cg[0] && !strncmp(cg, root, rl) && cg[rl] == '/')
		n = snprintf(buf, len, "%s", cg);
	else
		n = snprintf(buf, len, "%s/%s/%s", root,
			     c->h->cfg->daemon.cgroup_parent, c->cc->name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Is the configured cgroup (cc->cgroup) in the unified tree? */
static bool pres_cgroup_is_v2(const struct cfg_component *cc)
{
	const char *root = pressure_cgroup2_root();
	size_t rl = strlen(root);

	return cc->cgroup[0] && !strncmp(cc->cgroup, root, rl) &&
	       cc->cgroup[rl] == '/';
}

const char *healer_pressure_prepare(struct hcomp *c)
{
	struct hc_pressure *p;
	char dir[sizeof(p->dir)];
	bool made;
	int err;

	if (c->cc->match != MATCH_SPAWN || !(p = pres_get(c)))
		return NULL;
	if (pres_own_dir(c, dir, sizeof(dir)))
		return NULL;
	if (!pres_cgroup_is_v2(c->cc)) {
		err = pres_mkdirs(pressure_cgroup2_root(),
				  c->h->cfg->daemon.cgroup_parent, &made);
		if (!err && made) {
			p->made_parent = true;
			snprintf(p->parent, sizeof(p->parent), "%s/%s",
				 pressure_cgroup2_root(),
				 c->h->cfg->daemon.cgroup_parent);
		}
		if (!err && mkdir(dir, 0755) < 0 && errno != EEXIST)
			err = -errno;
		if (err) {
			healer_alert(c, 1, "cgroup %.60s: %s", dir,
				     strerror(-err));
			return NULL;
		}
		p->created = true;
	}
	pres_arm(c, p, dir);
	/* the configured cgroup is joined anyway; ours by the child */
	return pres_cgroup_is_v2(c->cc) ? NULL : p->dir;
}

void healer_pressure_attach(struct hcomp *c)
{
	struct hc_pressure *p;
	char dir[CONFIG_PATH_LEN + 64];
	struct stat st;

	if (!c->pid || !(p = pres_get(c)))
		return;
	if (c->cc->match == MATCH_SPAWN) {
		/* its own cgroup, when it runs there (after a reload) */
		if (pres_own_dir(c, dir, sizeof(dir)) || stat(dir, &st))
			return;
		if (!pres_cgroup_is_v2(c->cc))
			p->created = true;
	} else if (pressure_cgroup_of(c->pid, dir, sizeof(dir))) {
		healer_alert(c, 1, "pressure: pid %d is in the root cgroup "
			     "v2, no pressure of its own", (int)c->pid);
		return;
	}
	pres_arm(c, p, dir);
}

void healer_pressure_release(struct hcomp *c)
{
	struct hc_pressure *p = c->pres;

	if (!p)
		return;
	pres_disarm(p);
	loop_timer_free(p->clear);
	/* empty once its processes are gone; busy (kept by a reload, or
	 * still running) stays */
	if (p->created && rmdir(p->dir) < 0 && errno != ENOENT &&
	    errno != EBUSY)
		log_warning("rmdir %s: %s", p->dir, strerror(errno));
	if (p->made_parent)
		rmdir(p->parent);	/* only when no other is left */
	free(p);
	c->pres = NULL;
}

bool healer_pressure_armed(const struct hcomp *c, int res, const char **dir)
{
	if (!c->pres || res < 0 || res >= PRESSURE_MAX)
		return false;
	if (dir)
		*dir = c->pres->dir;
	return pressure_trigger_alive(c->pres->trig[res]);
}

uint64_t healer_pressure_verify_ms(const struct hcomp *c)
{
	const struct cfg_pressure *cp;
	uint64_t ms = c->cc->verify_ms;

	if (!healer_pressure_class(c->fc) || !c->pres)
		return ms;
	cp = &c->cc->pressure[c->fc - FAIL_MEM_PRESSURE];
	/* the first trigger window after the action is its transient (the
	 * cache refilling, the scheduler settling), and an unprivileged
	 * trigger may report it up to 2 s later: measured from then on */
	pres_mark(c->pres);
	c->pres->settle_until_ns = loop_now_ns() +
				   pres_settle_ms(cp) * 1000000ull;
	loop_timer_arm(c->pres->clear, pres_settle_ms(cp) * 1000000ull, 0);
	return ms > pres_watch_ms(cp) + pres_settle_ms(cp) ?
	       ms : pres_watch_ms(cp) + pres_settle_ms(cp);
}

/* Evidence over [from_ns, now]: a live trigger that did not fire, and
 * the stall measured by the kernel below the threshold's rate. */
static bool pres_below(struct hcomp *c, int r, char *why, size_t len)
{
	struct hc_pressure *p = c->pres;
	const struct cfg_pressure *cp = &c->cc->pressure[r];
	uint64_t now = loop_now_ns(), total = 0, el_us;
	double rate, limit;

	if (!pressure_trigger_alive(p->trig[r])) {
		snprintf(why, len, "%s pressure not measured (no trigger)",
			 pressure_resource_name(r));
		return false;
	}
	if (p->last_fire_ns[r] >= p->from_ns) {
		snprintf(why, len, "%s pressure trigger fired again",
			 pressure_resource_name(r));
		return false;
	}
	el_us = (now - p->from_ns) / 1000;
	if (pressure_read(p->dir, r, cp->full, NULL, &total) || !el_us ||
	    total < p->from_total[r] || !p->from_total[r]) {
		snprintf(why, len, "%s pressure unreadable",
			 pressure_resource_name(r));
		return false;
	}
	rate = (double)(total - p->from_total[r]) / (double)el_us;
	limit = (double)pres_stall(c, r) / (double)cp->window_us;
	snprintf(why, len, "%s pressure %s %.2f%% over %llu ms (threshold "
		 "%.2f%%)", pressure_resource_name(r), cp->full ? "full" :
		 "some", rate * 100, (unsigned long long)(el_us / 1000),
		 limit * 100);
	return rate < limit;
}

bool healer_pressure_relieved(struct hcomp *c, char *why, size_t len)
{
	const struct cfg_pressure *cp;
	int r = c->fc - FAIL_MEM_PRESSURE;

	if (!c->pres) {
		snprintf(why, len, "pressure not measured");
		return false;
	}
	if (pres_below(c, r, why, len))
		return true;
	/* still degraded: cleared by the same measure when it subsides */
	cp = &c->cc->pressure[r];
	pres_mark(c->pres);
	loop_timer_arm(c->pres->clear, pres_watch_ms(cp) * 1000000ull, 0);
	return false;
}

static void pres_clear_cb(struct hms_timer *t, void *arg)
{
	struct hcomp *c = arg;
	struct hc_pressure *p = c->pres;
	const struct cfg_pressure *cp;
	char why[96];
	int r = c->last.fc - FAIL_MEM_PRESSURE;

	(void)t;
	if (p && c->verifying) {
		pres_mark(p);	/* the transient is over: evidence from here */
		return;
	}
	if (!p || c->state != HEALER_DEGRADED || c->busy ||
	    !healer_pressure_class(c->last.fc))
		return;
	cp = &c->cc->pressure[r];
	if (!pres_below(c, r, why, sizeof(why))) {
		/* measure again over the next period */
		pres_mark(p);
		loop_timer_arm(p->clear, pres_watch_ms(cp) * 1000000ull, 0);
		return;
	}
	healer_set_state(c, HEALER_HEALTHY, why);
	/* it went away and nothing was done: a false alarm */
	pres_verdict(c, r, REGISTRY_ALARM_FALSE);
}

size_t healer_pressure_first_step(struct hcomp *c)
{
	struct hc_pressure *p = c->pres;
	size_t n;

	if (!p || !healer_pressure_class(c->fc) || c->strategy < 0)
		return 0;
	n = c->h->cfg->strategies[c->strategy].n_actions;
	p->run_step = 0;
	if (p->esc_fc == c->fc && p->esc_strategy == c->strategy &&
	    p->esc_step < n)
		p->run_step = p->esc_step;
	if (c->fc == FAIL_MEM_PRESSURE) {
		snprintf(p->mem_strategy, sizeof(p->mem_strategy), "%s",
			 c->h->cfg->strategies[c->strategy].name);
		p->mem_done[0] = '\0';
	}
	p->acted = false;
	return p->run_step;
}

void healer_pressure_step_skip(struct hcomp *c)
{
	if (c->pres && healer_pressure_class(c->fc) &&
	    c->step == c->pres->run_step)
		c->pres->run_step++;
}

int healer_pressure_cgroup2(const struct hcomp *c, char *buf, size_t len)
{
	if (c->pres && c->pres->dir[0]) {
		snprintf(buf, len, "%s", c->pres->dir);
		return 0;
	}
	return c->pid ? pressure_cgroup_of(c->pid, buf, len) : -ENOENT;
}

bool healer_pressure_step_done(struct hcomp *c)
{
	struct hc_pressure *p = c->pres;

	if (!p || !healer_pressure_class(c->fc) || c->step <= p->run_step)
		return false;
	/* one step per failure: the next one continues from here */
	p->esc_fc = c->fc;
	p->esc_strategy = c->strategy;
	p->esc_step = c->step;
	return true;
}

void healer_pressure_outcome(struct hcomp *c, bool success)
{
	if (!c->pres)
		return;
	if (success)
		c->pres->esc_fc = -1;	/* relieved: start gently next time */
	if (!healer_pressure_class(c->fc))
		return;
	/* relieved while nothing changed (only told): a false alarm */
	pres_verdict(c, c->fc - FAIL_MEM_PRESSURE,
		     success && !c->pres->acted ? REGISTRY_ALARM_FALSE :
		     REGISTRY_ALARM_TRUE);
}

void healer_pressure_action_note(struct hcomp *c, int kind, uint32_t phase,
				 int result, const char *detail)
{
	struct hc_pressure *p = c->pres;

	if (!p || phase != ACTION_PHASE_FINISHED || !healer_pressure_class(c->fc))
		return;
	if (!result && kind != ACTION_ALERT)
		p->acted = true;
	if (c->fc == FAIL_MEM_PRESSURE)
		snprintf(p->mem_done, sizeof(p->mem_done), "%s %s: %.40s",
			 actions_kind_name(kind), result ? "failed" : "ok",
			 detail ? detail : "");
}

static int read_u64_file(const char *dir, const char *name, uint64_t *v)
{
	char path[CONFIG_PATH_LEN + 96], buf[64];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (healer_read_small(path, buf, sizeof(buf)))
		return -ENOENT;
	*v = !strncmp(buf, "max", 3) ? UINT64_MAX : strtoull(buf, NULL, 10);
	return 0;
}

void healer_pressure_oom(struct hms_healer *h, const struct hms_ev_oom *e,
			 struct healer_oom_info *oi)
{
	struct hcomp *c = healer_comp_of_pid(h, (pid_t)e->victim_tgid);
	char cg[CONFIG_PATH_LEN], dir[CONFIG_PATH_LEN + 64];
	bool v2 = false;
	double some = 0, full = 0;
	uint64_t now = loop_now_ns();

	memset(oi, 0, sizeof(*oi));
	oi->pid = e->victim_tgid;
	oi->wall_ms = healer_wall_ms();
	oi->rss_kb = e->anon_rss_kb + e->file_rss_kb + e->shmem_rss_kb;
	if (c && c->cg[0]) {
		snprintf(cg, sizeof(cg), "%s", c->cg);
		v2 = c->cg_v2;
	} else if (actions_cgroup_of((pid_t)e->victim_tgid, cg, sizeof(cg),
				     &v2)) {
		cg[0] = '\0';
	}
	if (cg[0] && !actions_cgroup_dir(cg, v2, dir, sizeof(dir)) &&
	    !read_u64_file(dir, v2 ? "memory.max" : "memory.limit_in_bytes",
			   &oi->cg_limit) &&
	    !read_u64_file(dir, v2 ? "memory.current" :
			   "memory.usage_in_bytes", &oi->cg_usage)) {
		if (read_u64_file(dir, v2 ? "memory.peak" :
				  "memory.max_usage_in_bytes", &oi->cg_peak))
			oi->cg_peak = oi->cg_usage;
		if (oi->cg_limit >= (1ull << 62))	/* v1: no limit */
			oi->cg_limit = UINT64_MAX;
		oi->flags |= HMS_OOM_F_CGROUP;
	}
	if (c && c->pres && c->pres->dir[0])
		snprintf(dir, sizeof(dir), "%s", c->pres->dir);
	else if (pressure_cgroup_of((int)e->victim_tgid, dir, sizeof(dir)))
		dir[0] = '\0';
	if (dir[0] &&
	    !pressure_read(dir, PRESSURE_MEMORY, false, &some, NULL) &&
	    !pressure_read(dir, PRESSURE_MEMORY, true, &full, NULL)) {
		oi->some_avg10 = (uint32_t)(some * 100 + 0.5);
		oi->full_avg10 = (uint32_t)(full * 100 + 0.5);
		oi->flags |= HMS_OOM_F_PRESSURE;
	}
	if (c && c->pres && c->pres->mem_fail_ns &&
	    now - c->pres->mem_fail_ns < PRES_PRECEDED_NS) {
		oi->flags |= HMS_OOM_F_PRECEDED;
		oi->pressure_ago_ms = (uint32_t)((now - c->pres->mem_fail_ns) /
						 1000000);
		memcpy(oi->strategy, c->pres->mem_strategy,
		       sizeof(oi->strategy));
		memcpy(oi->done, c->pres->mem_done, sizeof(oi->done));
	} else if (c && c->pres && c->cc->pressure[PRESSURE_MEMORY].set) {
		/* killed without the alarm: the threshold was too high */
		pres_verdict(c, PRESSURE_MEMORY, REGISTRY_ALARM_MISSED);
	}
}

void healer_oom_fields(struct hms_ev_failure *ev,
		       const struct healer_failure *f)
{
	const struct healer_oom_info *oi = &f->oom_info;

	if (f->fc != FAIL_OOM)
		return;
	ev->oom_rss_kb = oi->rss_kb;
	ev->oom_cg_limit = oi->cg_limit;
	ev->oom_cg_usage = oi->cg_usage;
	ev->oom_cg_peak = oi->cg_peak;
	ev->oom_flags = oi->flags;
	ev->oom_pressure_ago_ms = oi->pressure_ago_ms;
	ev->oom_mem_some_avg10 = oi->some_avg10;
	ev->oom_mem_full_avg10 = oi->full_avg10;
	memcpy(ev->oom_pressure_strategy, oi->strategy,
	       sizeof(ev->oom_pressure_strategy));
}

/* The cause shown in the processes view and in status: the numbers that
 * answer "why" in one line. */
void healer_oom_cause(const struct healer_oom_info *oi, char *buf,
		      size_t len)
{
	int n = snprintf(buf, len, "OOM kill: rss %lluM",
			 (unsigned long long)(oi->rss_kb >> 10));

	if (n > 0 && (size_t)n < len && (oi->flags & HMS_OOM_F_CGROUP)) {
		if (oi->cg_limit == UINT64_MAX)
			n += snprintf(buf + n, len - (size_t)n,
				      ", cgroup usage %lluM no limit",
				      (unsigned long long)(oi->cg_usage >> 20));
		else
			n += snprintf(buf + n, len - (size_t)n,
				      ", cgroup usage/limit %llu/%lluM",
				      (unsigned long long)(oi->cg_usage >> 20),
				      (unsigned long long)(oi->cg_limit >> 20));
	}
	if (n > 0 && (size_t)n < len && (oi->flags & HMS_OOM_F_PRESSURE))
		n += snprintf(buf + n, len - (size_t)n, ", psi %.1f%%",
			      oi->some_avg10 / 100.0);
	if (n > 0 && (size_t)n < len && (oi->flags & HMS_OOM_F_PRECEDED))
		n += snprintf(buf + n, len - (size_t)n, ", mem_pressure %us "
			      "before (%.24s)", oi->pressure_ago_ms / 1000,
			      oi->strategy);
	else if (n > 0 && (size_t)n < len)
		n += snprintf(buf + n, len - (size_t)n, ", no mem_pressure "
			      "before");
	if (n > 0 && (size_t)n < len && (oi->flags & HMS_OOM_F_PRECEDED) &&
	    oi->done[0])
		snprintf(buf + n, len - (size_t)n, ": %s", oi->done);
}
