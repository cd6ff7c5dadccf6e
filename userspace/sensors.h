/* SPDX-License-Identifier: BSD-2-Clause */
/* sensors.h - loads the BPF sensors (proc, net, sched), drains their ring
 * buffers in the event loop and publishes decoded events on the bus. */
#ifndef HMS_SENSORS_H
#define HMS_SENSORS_H

#include <stdbool.h>
#include <stdint.h>
#include "hms_event.h"

struct hms_loop;
struct hms_bus;
struct hms_sensors;

enum sensors_family {
	SENSORS_PROC	= 1u << 0,
	SENSORS_NET	= 1u << 1,
	SENSORS_SCHED	= 1u << 2,
	SENSORS_ALL	= 0x7,
};

struct sensors_opts {
	unsigned int families;		/* enum sensors_family mask */
	int verbose;			/* libbpf output: 1 warnings, 2 debug */
	uint64_t runq_threshold_ns;	/* report waits longer than this */
	uint32_t bulk_rate_per_sec;	/* per-process bulk limit, 0 = none */
	uint32_t critical_ring_kb;	/* 0 = default (256 KiB) */
	uint32_t bulk_ring_kb;		/* 0 = default (1 MiB) */
	uint32_t bulk_drain_ms;		/* batch drain period while records
					 * come, 0 = 20 ms; idle: no timer */
	uint32_t stats_interval_s;	/* publish HMS_EV_STATS periodically,
					 * 0 = never (on demand only) */
	bool watch_filter;		/* bulk events only for watched */
	bool critical_watched_only;	/* crashes etc. only for watched */
};

void sensors_opts_default(struct sensors_opts *o);

/* Mount tracefs/bpffs if needed, check root and BTF, open, configure,
 * load and attach.  An optional hook the kernel refuses is reported and
 * skipped. */
int sensors_new(const struct sensors_opts *opts, struct hms_loop *loop,
		struct hms_bus *bus, struct hms_sensors **out);
void sensors_free(struct hms_sensors *s);

/* Runtime knobs (also on config reload). */
int sensors_set_runq_threshold(struct hms_sensors *s, uint64_t ns);
int sensors_set_bulk_rate(struct hms_sensors *s, uint32_t per_sec);
int sensors_set_watch_filter(struct hms_sensors *s, bool bulk_only_watched,
			     bool critical_only_watched);
int sensors_watch_tgid(struct hms_sensors *s, uint32_t tgid, bool on);
int sensors_watch_cgroup(struct hms_sensors *s, uint64_t cgroup_id, bool on);

/* The event-driven drain, for tests and benches. */
struct sensors_drain_info {
	bool idle;		/* drain timer stopped, BPF told to wake us */
	bool in_wakeup;		/* now delivering from a ring's wakeup */
	uint64_t idle_entries;	/* times the drain went idle */
	uint64_t timer_rounds;	/* drain timer rounds run */
};
void sensors_drain_info(const struct hms_sensors *s,
			struct sensors_drain_info *info);

/* Drain both rings now; returns records dispatched or -errno. */
int sensors_drain(struct hms_sensors *s);
/* Build and publish an HMS_EV_STATS event now. */
int sensors_publish_stats(struct hms_sensors *s);
/* Fill stats (header included) without publishing. */
int sensors_get_stats(struct hms_sensors *s, struct hms_ev_stats *st);
/* Run-queue latency histogram of tgid (log2 us slots); -ENOENT if none. */
int sensors_runq_hist(struct hms_sensors *s, uint32_t tgid,
		      uint64_t slots[HMS_HIST_SLOTS]);
/* Host-wide run-queue latency histogram since the sensors loaded (every
 * wait of every process; monotonic): log2 us slots, count, sum. */
struct sensors_runq_total {
	uint64_t slots[HMS_HIST_SLOTS];
	uint64_t count;
	uint64_t sum_ns;
};
int sensors_runq_total(struct hms_sensors *s, struct sensors_runq_total *t);

/* What our own BPF programs cost the kernel. */
struct sensors_prog_cost {
	const char *family;		/* "proc", "net", "sched" */
	const char *program;		/* "hms_exit", ... */
	uint64_t run_time_ns;		/* 0 unless run-time stats are on */
	uint64_t run_cnt;
};
typedef int (*sensors_prog_cb)(const struct sensors_prog_cost *c, void *arg);
/* Turn on the kernel's run-time statistics (BPF_STATS_RUN_TIME) for as
 * long as the sensors live: 0, or -errno when the kernel refuses. */
int sensors_cost_enable(struct hms_sensors *s);
/* Stop measuring (the kernel stops when the last holder lets go). */
void sensors_cost_disable(struct hms_sensors *s);
/* 1 when run time and count are being collected (by us or by the
 * kernel.bpf_stats_enabled sysctl), else 0. */
int sensors_cost_enabled(const struct hms_sensors *s);
/* cb for every loaded program (stops when cb returns non-zero). */
int sensors_prog_costs(struct hms_sensors *s, sensors_prog_cb cb, void *arg);

/* Number of hooks attached and skipped. */
int sensors_attached(const struct hms_sensors *s);
int sensors_skipped(const struct hms_sensors *s);

/* Prepare the system: mount tracefs and bpffs when they are not mounted. */
int sensors_mount_fs(void);



/* Synthetic producer for benchmarks and tests (bpf/synth.bpf.c): writes
 * bursts of bulk records through the sensors' own rings.  Never loaded by
 * the daemon. */
struct hms_synth;
int sensors_synth_new(struct hms_sensors *s, struct hms_synth **out);
/* Write count (<= 4096) HMS_EV_RUNQ_LATENCY records with hdr.tgid = tgid;
 * *produced gets how many fitted in the ring. */
int sensors_synth_run(struct hms_synth *y, uint32_t count, uint32_t tgid,
		      uint64_t *produced);
void sensors_synth_free(struct hms_synth *y);

#endif
