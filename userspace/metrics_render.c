// SPDX-License-Identifier: BSD-2-Clause
/*
 * metrics_render.c - the Prometheus text exposition (format 0.0.4): every
 * family once, with HELP and TYPE, its samples together; base units only
 * (seconds, bytes).  Kernel-side figures come from the sensors' API,
 * component rows from the publisher sources, the rest from the counts
 * metrics.c keeps from the bus.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dirent.h>
#include <sys/resource.h>
#include "bus.h"
#include "event.h"
#include "hms_names.h"
#include "metrics.h"
#include "metrics_int.h"
#include "procfs.h"
#include "proctable.h"
#include "publisher.h"
#include "sensors.h"

struct metrics_buf {
	char *s;
	size_t len, cap;
	int oom;
};

static void mb_printf(struct metrics_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (b->len + n < b->cap) {
			b->len += n;
			return;
		}
		char *s = realloc(b->s, b->cap * 2 + n);

		if (!s) {
			b->oom = 1;
			return;
		}
		b->s = s;
		b->cap = b->cap * 2 + n;
	}
}

/* Label values: backslash, quote and newline escaped; other control
 * bytes dropped. */
static void mb_label(struct metrics_buf *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			mb_printf(b, "\\%c", *v);
		else if (*v == '\n')
			mb_printf(b, "\\n");
		else if ((unsigned char)*v >= 0x20)
			mb_printf(b, "%c", *v);
	}
}

static void mb_family(struct metrics_buf *b, const char *name,
		      const char *type, const char *help)
{
	mb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{k0="v0",k1="v1"[,extra]} -- keys NULL-terminated */
static void mb_labels(struct metrics_buf *b, const char *const *keys,
		      const char (*vals)[HMS_NAME_LEN], const char *extra)
{
	int first = 1;

	for (int k = 0; keys[k]; k++) {
		mb_printf(b, "%s%s=\"", first ? "{" : ",", keys[k]);
		mb_label(b, vals[k]);
		mb_printf(b, "\"");
		first = 0;
	}
	if (extra)
		mb_printf(b, "%s%s", first ? "{" : ",", extra);
	if (!first || extra)
		mb_printf(b, "}");
}

static void mb_counters(struct metrics_buf *b, const char *name,
			const char *help, const struct metrics_family *f,
			const char *const *keys)
{
	mb_family(b, name, "counter", help);
	for (size_t i = 0; i < f->n; i++) {
		mb_printf(b, "%s", name);
		mb_labels(b, keys, f->v[i].l, NULL);
		mb_printf(b, " %llu\n", (unsigned long long)f->v[i].n);
	}
}

static void mb_scalar(struct metrics_buf *b, const char *name,
		      const char *type, const char *help, double v)
{
	mb_family(b, name, type, help);
	mb_printf(b, "%s %.15g\n", name, v);
}

static void metrics_process(struct hms_metrics *m, struct metrics_buf *b)
{
	struct rusage ru;
	struct rlimit rl;
	unsigned long long vsz = 0, rss = 0;
	long page = sysconf(_SC_PAGESIZE);
	int fds = 0;
	DIR *d;

	if (procfs_statm_read(getpid(), &vsz, &rss))
		vsz = rss = 0;
	d = opendir("/proc/self/fd");
	if (d) {
		while (readdir(d))
			fds++;
		closedir(d);
		fds -= 3;	/* ".", ".." and the directory's own fd */
	}
	getrusage(RUSAGE_SELF, &ru);
	mb_scalar(b, "process_cpu_seconds_total", "counter",
		  "User and system CPU time spent in seconds.",
		  ru.ru_utime.tv_sec + ru.ru_stime.tv_sec +
		  (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6);
	mb_scalar(b, "process_resident_memory_bytes", "gauge",
		  "Resident memory size in bytes.", (double)rss * page);
	mb_scalar(b, "process_virtual_memory_bytes", "gauge",
		  "Virtual memory size in bytes.", (double)vsz * page);
	mb_scalar(b, "process_start_time_seconds", "gauge",
		  "Start time of the process since unix epoch in seconds.",
		  m->start_time_s);
	mb_scalar(b, "process_open_fds", "gauge",
		  "Number of open file descriptors.", fds > 0 ? fds : 0);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
		mb_scalar(b, "process_max_fds", "gauge",
			  "Maximum number of open file descriptors.",
			  (double)rl.rlim_cur);
}

/* A per-type counter family over [from, to) of a per-type array. */
static void metrics_per_type(struct metrics_buf *b, const char *name,
			     const char *help, const __u64 *v,
			     unsigned int from, unsigned int to)
{
	mb_family(b, name, "counter", help);
	for (unsigned int t = from; t < to; t++)
		if (event_type_name(t))
			mb_printf(b, "%s{type=\"%s\"} %llu\n", name,
				  event_type_name(t),
				  (unsigned long long)v[t]);
}

static void metrics_kernel(struct hms_metrics *m, struct metrics_buf *b)
{
	struct hms_ev_stats *st = calloc(1, sizeof(*st));

	if (!st || !m->sensors || sensors_get_stats(m->sensors, st)) {
		free(st);
		return;
	}
	metrics_per_type(b, "hms_kernel_events_total", "Records written by "
			 "the BPF sensors, by type.", st->events, 1,
			 HMS_EV_STATS);
	metrics_per_type(b, "hms_kernel_drops_total", "Records lost because "
			 "a ring buffer was full, by type.", st->drops, 1,
			 HMS_EV_STATS);
	mb_scalar(b, "hms_kernel_ratelimited_total", "counter", "Bulk records "
		  "left out by the per-process rate limit.", st->ratelimited);
	mb_scalar(b, "hms_kernel_filtered_total", "counter", "Records left "
		  "out by the watch filter.", st->filtered);
	mb_scalar(b, "hms_records_unknown_total", "counter", "Ring buffer "
		  "records of a type or version this daemon does not know.",
		  st->unknown);
	mb_scalar(b, "hms_records_short_total", "counter", "Ring buffer "
		  "records shorter than their type.", st->short_records);
	free(st);
}

/* log2 microsecond slots -> cumulative buckets in seconds: slot k holds
 * waits of [2^k, 2^(k+1)) us (slot 0 also < 1 us), the last slot all
 * longer ones, so it is +Inf. */
static void metrics_runq(struct hms_metrics *m, struct metrics_buf *b)
{
	struct sensors_runq_total t;
	const char *name = "hms_runq_latency_seconds";
	uint64_t cum = 0;

	if (!m->sensors || sensors_runq_total(m->sensors, &t))
		return;
	mb_family(b, name, "histogram", "Run-queue latency of every process "
		  "on the host: time from wakeup or preemption to running.");
	for (int k = 0; k < HMS_HIST_SLOTS - 1; k++) {
		cum += t.slots[k];
		mb_printf(b, "%s_bucket{le=\"%.15g\"} %llu\n", name,
			  (double)(1ULL << (k + 1)) / 1e6,
			  (unsigned long long)cum);
	}
	mb_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.15g\n"
		  "%s_count %llu\n", name, (unsigned long long)t.count, name,
		  t.sum_ns / 1e9, name, (unsigned long long)t.count);
}

struct metrics_cost_ctx {
	struct metrics_buf *b;
	int runs;		/* 1: run counts, 0: run time */
};

static int metrics_cost_one(const struct sensors_prog_cost *c, void *arg)
{
	struct metrics_cost_ctx *x = arg;

	if (x->runs)
		mb_printf(x->b, "hms_bpf_program_runs_total{family=\"%s\","
			  "program=\"%s\"} %llu\n", c->family, c->program,
			  (unsigned long long)c->run_cnt);
	else
		mb_printf(x->b, "hms_bpf_program_run_seconds_total{family="
			  "\"%s\",program=\"%s\"} %.9f\n", c->family,
			  c->program, c->run_time_ns / 1e9);
	return 0;
}

static void metrics_bpf_cost(struct hms_metrics *m, struct metrics_buf *b)
{
	struct metrics_cost_ctx x = { .b = b };

	if (!m->sensors)
		return;
	mb_scalar(b, "hms_bpf_stats_enabled", "gauge", "1 when the kernel "
		  "measures the run time and count of BPF programs "
		  "(BPF_STATS_RUN_TIME), else 0.",
		  sensors_cost_enabled(m->sensors));
	mb_family(b, "hms_bpf_program_run_seconds_total", "counter", "Time "
		  "the kernel spent running each of our BPF programs.");
	sensors_prog_costs(m->sensors, metrics_cost_one, &x);
	mb_family(b, "hms_bpf_program_runs_total", "counter", "Runs of each "
		  "of our BPF programs.");
	x.runs = 1;
	sensors_prog_costs(m->sensors, metrics_cost_one, &x);
}

/* The component families, each in its own pass over the components. */
enum { MC_STATE, MC_UP, MC_RESTARTS, MC_PAUSED };

struct metrics_comp_ctx {
	struct metrics_buf *b;
	int what;
};

static int metrics_component(const struct publisher_component *c, void *arg)
{
	struct metrics_comp_ctx *x = arg;
	struct metrics_buf *b = x->b;

	if (x->what == MC_STATE) {
		/* one series per state, 1 for the current one: a state
		 * change moves a value, it never makes a new series */
		for (unsigned int s = 0; s < HEALER_STATE_MAX; s++) {
			mb_printf(b, "hms_component_state{component=\"");
			mb_label(b, c->name);
			mb_printf(b, "\",state=\"%s\"} %d\n",
				  hms_state_name(s), c->state == s);
		}
		return 0;
	}
	if (x->what == MC_UP) {
		/* up only on evidence: a live process, healthy or degraded */
		mb_printf(b, "hms_component_up{component=\"");
		mb_label(b, c->name);
		mb_printf(b, "\"} %d\n", c->pid &&
			  (c->state == HEALER_HEALTHY ||
			   c->state == HEALER_DEGRADED));
		return 0;
	}
	mb_printf(b, x->what == MC_RESTARTS ? "hms_component_restarts_total"
		  "{component=\"" : "hms_component_paused{component=\"");
	mb_label(b, c->name);
	mb_printf(b, "\"} %u\n", x->what == MC_RESTARTS ? c->restarts
		  : (unsigned int)c->paused);
	return 0;
}

static void metrics_components(struct hms_metrics *m, struct metrics_buf *b)
{
	struct metrics_comp_ctx x = { .b = b };

	if (!m->src || !m->src->components)
		return;
	mb_family(b, "hms_component_state", "gauge", "1 for the state each "
		  "component is in, 0 for the others.");
	x.what = MC_STATE;
	m->src->components(m->src->ctx, metrics_component, &x);
	mb_family(b, "hms_component_up", "gauge", "1 while the component is "
		  "healthy or degraded with a live process, else 0.");
	x.what = MC_UP;
	m->src->components(m->src->ctx, metrics_component, &x);
	mb_family(b, "hms_component_restarts_total", "counter", "Restarts "
		  "of each component by the healer.");
	x.what = MC_RESTARTS;
	m->src->components(m->src->ctx, metrics_component, &x);
	mb_family(b, "hms_component_paused", "gauge", "1 while healing of "
		  "the component is paused by an operator.");
	x.what = MC_PAUSED;
	m->src->components(m->src->ctx, metrics_component, &x);
}

static void metrics_duration(struct metrics_buf *b,
			     const struct metrics_family *f)
{
	static const char *const keys[] = { "component", "class", NULL };
	const char *name = "hms_recovery_duration_seconds";
	char le[64];

	mb_family(b, name, "histogram", "Time from a component's failure to "
		  "a verified recovery, for successful recoveries.");
	for (size_t i = 0; i < f->n; i++) {
		const struct metrics_series *s = &f->v[i];

		for (int k = 0; k < METRICS_DUR_BUCKETS; k++) {
			snprintf(le, sizeof(le), "le=\"%g\"",
				 metrics_dur_bounds[k]);
			mb_printf(b, "%s_bucket", name);
			mb_labels(b, keys, s->l, le);
			mb_printf(b, " %llu\n",
				  (unsigned long long)s->buckets[k]);
		}
		mb_printf(b, "%s_bucket", name);
		mb_labels(b, keys, s->l, "le=\"+Inf\"");
		mb_printf(b, " %llu\n%s_sum", (unsigned long long)s->n, name);
		mb_labels(b, keys, s->l, NULL);
		mb_printf(b, " %.9f\n%s_count", s->sum, name);
		mb_labels(b, keys, s->l, NULL);
		mb_printf(b, " %llu\n", (unsigned long long)s->n);
	}
}

static void metrics_healing(struct hms_metrics *m, struct metrics_buf *b)
{
	mb_counters(b, "hms_failures_total", "Failures attributed to a "
		    "component, by failure class.", &m->failures,
		    (const char *[]){ "component", "class", NULL });
	mb_counters(b, "hms_host_failures_total", "Failures of watched "
		    "host processes that belong to no component (watch.all).",
		    &m->host_failures, (const char *[]){ "class", NULL });
	mb_counters(b, "hms_recoveries_total", "Recovery outcomes, by "
		    "component, failure class, strategy and result.",
		    &m->recoveries, (const char *[]){ "component", "class",
		    "strategy", "result", NULL });
	metrics_duration(b, &m->durations);
	mb_counters(b, "hms_actions_total", "Recovery actions that ended, by "
		    "component, action kind and result (ok, failed, skipped "
		    "in a dry run).", &m->actions, (const char *[]){
		    "component", "kind", "result", NULL });
	mb_counters(b, "hms_component_transitions_total", "State changes of "
		    "each component, by the state entered.", &m->transitions,
		    (const char *[]){ "component", "state", NULL });
	mb_counters(b, "hms_alerts_total", "Alerts raised, by component and "
		    "severity.", &m->alerts, (const char *[]){ "component",
		    "severity", NULL });
	mb_scalar(b, "hms_metrics_series_dropped_total", "counter", "Label "
		  "sets not counted because a family reached its series limit.",
		  m->failures.overflow + m->host_failures.overflow +
		  m->recoveries.overflow + m->durations.overflow +
		  m->actions.overflow + m->transitions.overflow +
		  m->alerts.overflow);
}

/* The registry's store process (registry_proc.h): none without a
 * configured registry. */
static void metrics_registry(struct hms_metrics *m, struct metrics_buf *b)
{
	struct hms_ev_registry r;

	if (!m->src || !m->src->registry || m->src->registry(m->src->ctx, &r))
		return;
	mb_scalar(b, "hms_registry_up", "gauge", "1 while the registry's "
		  "store process runs with its store open.", r.hdr.tgid &&
		  r.state == HMS_REGISTRY_UP);
	mb_scalar(b, "hms_registry_degraded", "gauge", "1 while writes to "
		  "the registry fail or wait (full disk, I/O error, store "
		  "process down); healing goes on.",
		  r.state == HMS_REGISTRY_DEGRADED);
	mb_scalar(b, "hms_registry_writes_pending", "gauge", "Writes queued "
		  "for the registry's store, not stored yet.", r.pending);
	mb_scalar(b, "hms_registry_writes_stored_total", "counter", "Writes "
		  "the registry's store process stored.", r.stored);
	mb_scalar(b, "hms_registry_writes_lost_total", "counter", "Writes "
		  "dropped because the queue was full.", r.lost);
	mb_scalar(b, "hms_registry_restarts_total", "counter", "Store "
		  "processes started again after one ended.", r.restarts);
}

char *metrics_render(struct hms_metrics *m)
{
	struct metrics_buf b = { .s = malloc(16384), .cap = 16384 };

	if (!b.s)
		return NULL;
	b.s[0] = '\0';
	mb_family(&b, "hms_build_info", "gauge", "Always 1; the version of "
		  "hms-ebpf is a label.");
	mb_printf(&b, "hms_build_info{version=\"%s\"} 1\n", HMS_VERSION);
	metrics_process(m, &b);
	metrics_per_type(&b, "hms_events_total", "Events the daemon derived "
			 "and published on its bus (kernel records are "
			 "hms_kernel_events_total), by type.", m->derived,
			 HMS_EV_STATS, HMS_EV_TYPE_MAX);
	if (m->bus)
		mb_scalar(&b, "hms_bus_dropped_total", "counter", "Events "
			  "dropped by the bus (publishes nested too deep).",
			  bus_dropped(m->bus));
	metrics_kernel(m, &b);
	metrics_runq(m, &b);
	metrics_bpf_cost(m, &b);
	if (m->pt)
		mb_scalar(&b, "hms_processes", "gauge", "Processes in the "
			  "daemon's process table.", proctable_count(m->pt));
	metrics_components(m, &b);
	metrics_healing(m, &b);
	metrics_registry(m, &b);
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}
