// SPDX-License-Identifier: BSD-2-Clause
/* healer_chain.c - running a chosen strategy: its actions one after the
 * other (restart waits for the old processes to stop, exec waits for its
 * hook), each an ACTION event; in dry-run only the events.  A finished
 * chain opens the verification window (healer_verify.c); an action that
 * fails ends the chain with a failure outcome and never the daemon. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bus.h"
#include "event.h"
#include "healer_int.h"
#include "loop.h"

static const struct cfg_action *cur_action(struct hcomp *c)
{
	const struct cfg_strategy *s = &c->h->cfg->strategies[c->strategy];

	return c->step < s->n_actions ? &s->actions[c->step] : NULL;
}

void healer_run_recovery(struct hcomp *c)
{
	struct hms_healer *h = c->h;
	const struct cfg_strategy *s;
	char why[96];

	if (!c->busy || c->strategy < 0)
		return;
	if (c->paused || c->held) {
		/* paused (or stopped) while it waited: not run */
		c->busy = false;
		c->fc = -1;
		return;
	}
	s = &h->cfg->strategies[c->strategy];
	if (h->cfg->daemon.dry_run) {
		for (size_t i = 0; i < s->n_actions; i++)
			healer_action_event(c, s->actions[i].kind, 2, 0, 0,
					    "dry run: not executed");
		c->busy = false;
		return;
	}
	if (!c->running && h->running >= h->cfg->daemon.max_concurrent_actions) {
		c->queued = true;
		return;
	}
	if (!c->running) {
		c->running = true;
		h->running++;
	}
	healer_ring_push(c->recov_ts, &c->n_recov, loop_now_ns());
	/* the delay actually waited, which is what the registry learns */
	c->delay_waited_ms = loop_now_ns() > c->fail_ns
			     ? (loop_now_ns() - c->fail_ns) / 1e6 : 0;
	c->factor_applied = false;
	c->signal_sent = 0;
	c->step = healer_pressure_first_step(c);
	c->restart_waiting = false;
	snprintf(why, sizeof(why), "strategy %s for %s", s->name,
		 config_failure_name(c->fc));
	healer_set_state(c, HEALER_RECOVERING, why);
	healer_chain_next(c);
}

void healer_recovery_abort(struct hcomp *c, int err)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "action failed: %s", strerror(-err));
	healer_release_slot(c);
	c->busy = false;
	c->hook = NULL;
	healer_outcome(c, HMS_OUTCOME_FAILURE, msg);
	c->fc = -1;
	healer_set_state(c, c->n_pids ? HEALER_DEGRADED : HEALER_FAILED, msg);
	healer_alert(c, 1, "recovery failed: %s", msg);
	if (!c->n_pids && c->cc->match == MATCH_SPAWN) {
		/* still down: try again, bounded by backoff and budget */
		struct healer_failure f = { .fc = FAIL_MISSING };

		snprintf(f.cause, sizeof(f.cause), "%s", msg);
		healer_failure(c, &f);
	}
}

static void hook_done(int result, const siginfo_t *si, void *arg)
{
	struct hcomp *c = arg;
	char detail[96];

	c->hook = NULL;
	if (result == -ETIMEDOUT)
		snprintf(detail, sizeof(detail), "hook timed out, group killed");
	else if (si->si_code == CLD_EXITED)
		snprintf(detail, sizeof(detail), "hook exited %d",
			 si->si_status);
	else
		snprintf(detail, sizeof(detail), "hook killed by %s",
			 event_signal_name((unsigned)si->si_status));
	healer_action_event(c, ACTION_EXEC, 1, result, si->si_pid, detail);
	c->step++;
	if (result)
		healer_recovery_abort(c, result);
	else
		healer_chain_next(c);
}

static char **hook_env(struct hcomp *c)
{
	const struct healer_failure *f = &c->last;
	size_t n = 0, extra = 0;
	char **env;

	while (c->cc->env && c->cc->env[extra])
		extra++;
	env = calloc(extra + 12, sizeof(*env));
	if (!env)
		return NULL;
	for (size_t i = 0; i < extra; i++)
		env[n++] = strdup(c->cc->env[i]);
#define ENV(fmt, ...) if (asprintf(&env[n], fmt, __VA_ARGS__) >= 0) n++
	ENV("HMS_COMPONENT=%s", c->cc->name);
	ENV("HMS_FAILURE=%s", config_failure_name(c->fc));
	ENV("HMS_PID=%u", f->pid);
	ENV("HMS_SIGNAL=%u", f->signal);
	ENV("HMS_EXIT_CODE=%d", f->exit_code);
	ENV("HMS_SENDER_PID=%u", f->sender);
	ENV("HMS_SENDER_COMM=%.16s", f->sender_comm);
	ENV("HMS_CAUSE=%s", f->cause);
	ENV("HMS_STRATEGY=%s", c->h->cfg->strategies[c->strategy].name);
	ENV("HMS_RESTARTS=%u", c->restarts);
#undef ENV
	return env;
}

static int do_exec(struct hcomp *c, const struct cfg_action *a)
{
	char **env = hook_env(c);
	struct actions_spawn_opts o = {
		.argv = a->argv, .env = env, .user = c->cc->user,
		.group = c->cc->group, .cwd = c->cc->cwd,
	};
	char out[CONFIG_PATH_LEN + CONFIG_NAME_LEN + 8];
	int err;

	healer_output(c, &o.out, out, sizeof(out));
	err = actions_hook_run(c->h->actions, &o, a->timeout_ms, hook_done, c,
			       &c->hook);
	for (size_t i = 0; env && env[i]; i++)
		free(env[i]);
	free(env);
	if (!err)
		healer_action_event(c, ACTION_EXEC, 0, 0,
				    actions_hook_pid(c->hook), a->argv[0]);
	return err;
}

static int do_restart(struct hcomp *c)
{
	char detail[96];
	int err;

	if (c->n_pids) {
		if (!c->restart_waiting)
			healer_action_event(c, ACTION_RESTART, 0, 0, c->pid,
					    "stopping old processes");
		c->restart_waiting = true;
		healer_comp_stop(c);
		return -EINPROGRESS;
	}
	c->restart_waiting = false;
	err = healer_comp_start(c, true);
	if (!err) {
		/* healer_exec_done reports it and goes on with the chain */
		c->exec_pid = c->pid;
		return -EINPROGRESS;
	}
	snprintf(detail, sizeof(detail), "start failed: %s", strerror(-err));
	healer_action_event(c, ACTION_RESTART, 1, err, c->pid, detail);
	return err;
}

/* memory.high = ratio x memory.max in the component's v2 memory cgroup
 * (senpai-style: reclaim starts before the limit).  -EOPNOTSUPP, said in
 * the detail, where memory is not a v2 controller. */
static int do_memory_high(struct hcomp *c, const struct cfg_action *a,
			  char *detail, size_t len)
{
	char dir[CONFIG_PATH_LEN + 64], ctl[128];
	uint64_t high = 0, max = 0;
	int err = -ENOENT;

	if (c->cg[0] && c->cg_v2 &&
	    !(err = actions_cgroup_dir(c->cg, true, dir, sizeof(dir))))
		err = actions_memory_high(dir, a->high_ratio, &high, &max);
	else if (c->cg[0])
		err = -EOPNOTSUPP;
	if (!err) {
		snprintf(detail, len, "memory.high %llu MiB (%.2f x max %llu "
			 "MiB)", (unsigned long long)(high >> 20),
			 a->high_ratio, (unsigned long long)(max >> 20));
		return 0;
	}
	actions_cgroup2_controllers(ctl, sizeof(ctl));
	if (err == -EOPNOTSUPP)
		snprintf(detail, len, "memory.high: no memory controller in "
			 "cgroup v2 here (v2 has: %.30s)", ctl[0] ? ctl :
			 "none");
	else if (err == -EALREADY)
		snprintf(detail, len, "memory.high: memory.max is max, "
			 "nothing to reclaim below");
	else
		snprintf(detail, len, "memory.high of '%.40s': %s", c->cg,
			 strerror(-err));
	return err;
}

static int do_memory(struct hcomp *c, const struct cfg_action *a)
{
	uint64_t oldb = 0, newb = 0;
	char detail[96];
	int err = -ENOENT;

	/* a factor learned by the registry wins over the configured one */
	if (c->factor_used <= 0)
		c->factor_used = a->factor;
	if (a->high_ratio > 0 && c->factor_used <= 1.0) {
		/* memory.high only */
		err = do_memory_high(c, a, detail, sizeof(detail));
		healer_action_event(c, ACTION_MEMORY, 1, err, c->pid, detail);
		return err == -EALREADY ? 0 : err;
	}
	if (c->cg[0])
		err = actions_memory_raise(c->cg, c->cg_v2, c->factor_used,
					   a->max_mb, &oldb, &newb);
	if (!err && oldb) {	/* the factor actually applied (max_mb caps) */
		c->factor_applied = true;
		c->factor_actual = (double)newb / (double)oldb;
	}
	if (!err)
		snprintf(detail, sizeof(detail), "%.40s memory limit %llu -> %llu "
			 "MiB", c->cg, (unsigned long long)(oldb >> 20),
			 (unsigned long long)(newb >> 20));
	else
		snprintf(detail, sizeof(detail), "memory limit of '%.40s': %s",
			 c->cg, strerror(-err));
	if (!err && a->high_ratio > 0) {
		/* then reclaim early below the new limit */
		char hd[96];
		int herr = do_memory_high(c, a, hd, sizeof(hd));

		snprintf(detail + strlen(detail), sizeof(detail) -
			 strlen(detail), "; %s", herr ? "memory.high: "
			 "unsupported here" : "memory.high set");
		if (herr && herr != -EOPNOTSUPP && herr != -EALREADY)
			err = herr;
	}
	healer_action_event(c, ACTION_MEMORY, 1, err, c->pid, detail);
	/* a limit at its cap or absent does not stop the chain */
	return err == -EDQUOT || err == -EALREADY ? 0 : err;
}

/* io.weight of the component's cgroup v2, else its v1 blkio weight. */
static int do_io(struct hcomp *c, const struct cfg_action *a)
{
	char dir[CONFIG_PATH_LEN + 64], detail[96], ctl[128];
	const char *where = "";
	int err;

	if (healer_pressure_cgroup2(c, dir, sizeof(dir)))
		dir[0] = '\0';
	/* its cgroup outlives its processes: the weight holds for the
	 * next ones too */
	err = c->pid || dir[0] ? actions_io_weight(c->pid, dir, a->io_weight,
						   &where) : -ESRCH;
	if (!err) {
		snprintf(detail, sizeof(detail), "%s %u", where, a->io_weight);
	} else if (err == -EOPNOTSUPP) {
		actions_cgroup2_controllers(ctl, sizeof(ctl));
		snprintf(detail, sizeof(detail), "io weight: no io controller "
			 "in cgroup v2 (has: %.16s), no v1 blkio weight",
			 ctl[0] ? ctl : "none");
	} else {
		snprintf(detail, sizeof(detail), "io weight %u: %s",
			 a->io_weight, strerror(-err));
	}
	healer_action_event(c, ACTION_IO, 1, err, c->pid, detail);
	return err;
}

/* One synchronous action; -EINPROGRESS when it continues later. */
static int do_action(struct hcomp *c, const struct cfg_action *a)
{
	char detail[96];
	int err = 0;

	switch (a->kind) {
	case ACTION_RESTART:
		return do_restart(c);
	case ACTION_EXEC:
		err = do_exec(c, a);
		if (!err)
			return -EINPROGRESS;
		healer_action_event(c, ACTION_EXEC, 1, err, 0, strerror(-err));
		return err;
	case ACTION_MEMORY:
		return do_memory(c, a);
	case ACTION_IO:
		return do_io(c, a);
	case ACTION_PLUGIN:
		return healer_plugin_action(c, a);
	case ACTION_SIGNAL: {
		/* alternatives: the one the registry's learner chose */
		int sig = a->n_signals > 1 && c->signal_used ? c->signal_used
							     : a->signal;

		err = c->n_pids ? 0 : -ESRCH;
		for (size_t i = 0; i < c->n_pids; i++)
			if (actions_signal(c->pids[i], sig) < 0)
				err = -errno;
		if (a->n_signals > 1 && !c->signal_sent && !err)
			c->signal_sent = sig;	/* what the outcome records */
		snprintf(detail, sizeof(detail), "%s to %zu processes",
			 event_signal_name((unsigned)sig), c->n_pids);
		break;
	}
	case ACTION_CPU:
		err = c->n_pids ? 0 : -ESRCH;
		for (size_t i = 0; i < c->n_pids; i++) {
			err = actions_cpu_raise(c->pids[i], a->cpu_weight,
						a->nice);
			if (!err && (a->slice_us || a->rt_priority))
				err = actions_cpu_sched(c->pids[i], a->nice,
							a->slice_us,
							a->rt_priority);
		}
		snprintf(detail, sizeof(detail), "weight %u nice %d slice %u "
			 "us rt %u", a->cpu_weight, a->nice, a->slice_us,
			 a->rt_priority);
		break;
	case ACTION_ALERT:
		healer_alert(c, a->severity, "%s",
			     a->message[0] ? a->message : c->last_cause);
		snprintf(detail, sizeof(detail), "alert");
		break;
	default:
		err = -EINVAL;
		break;
	}
	healer_action_event(c, a->kind, 1, err, c->pid, detail);
	return err;
}

void healer_chain_next(struct hcomp *c)
{
	const struct cfg_action *a;
	int err;

	while ((a = cur_action(c)) && !healer_pressure_step_done(c)) {
		err = do_action(c, a);
		if (err == -EINPROGRESS)
			return;
		if (err == -EOPNOTSUPP) {
			/* this host cannot do it (said in the action's
			 * detail): on to the next step at once */
			healer_pressure_step_skip(c);
			err = 0;
		}
		if (err) {
			healer_recovery_abort(c, err);
			return;
		}
		c->step++;
	}
	/* chain done: the verification window decides (healer_verify.c) */
	healer_release_slot(c);
	c->busy = false;
	healer_verify_begin(c);
}
