// SPDX-License-Identifier: BSD-2-Clause
/*
 * sensors_rings.c - moves records from the two BPF ring buffers onto the
 * bus: the critical ring wakes the loop per record, the bulk ring is
 * drained by a short periodic timer (or by a wakeup when its backlog grows
 * past a quarter of the ring).  Also the runtime knobs and the counters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bus.h"
#include "event.h"
#include "loop.h"
#include "sensors_int.h"

/* Records per drain round: past it the round stops and the loop serves
 * its other fds before the next round (a flood cannot starve them). */
#define SENSORS_DRAIN_BUDGET	8192

static int sensors_on_record(void *ctx, void *data, size_t size)
{
	struct hms_sensors *s = ctx;
	int err = event_check(data, size);

	if (err == -ENOENT || err == -EPROTO)
		s->unknown++;
	else if (err)
		s->short_records++;
	else {
		s->delivered++;
		bus_publish(s->bus, data);
	}
	/* libbpf commits this record and stops the round on < 0 */
	return --s->budget ? 0 : -EAGAIN;
}

static int sensors_drain_ring(struct hms_sensors *s, struct ring_buffer *rb)
{
	uint64_t before = s->delivered;
	int n;

	if (!rb)
		return 0;
	s->budget = SENSORS_DRAIN_BUDGET;
	n = ring_buffer__consume(rb);
	if (n == -EAGAIN) {
		/* more is waiting: continue after the loop's other work */
		loop_timer_arm(s->again_timer, 1, 0);
		return (int)(s->delivered - before);
	}
	return n < 0 ? n : (int)(s->delivered - before);
}

int sensors_drain(struct hms_sensors *s)
{
	int a = sensors_drain_ring(s, s->crit_rb);
	int b = sensors_drain_ring(s, s->bulk_rb);

	if (a < 0)
		return a;
	return b < 0 ? b : a + b;
}

static void sensors_on_crit(int fd, uint32_t events, void *arg)
{
	struct hms_sensors *s = arg;

	(void)fd;
	(void)events;
	sensors_drain_ring(s, s->crit_rb);
}

static void sensors_on_bulk(int fd, uint32_t events, void *arg)
{
	struct hms_sensors *s = arg;

	(void)fd;
	(void)events;
	sensors_drain_ring(s, s->bulk_rb);
}

static void sensors_on_drain_timer(struct hms_timer *t, void *arg)
{
	(void)t;
	sensors_drain(arg);
}

static void sensors_on_stats_timer(struct hms_timer *t, void *arg)
{
	(void)t;
	sensors_publish_stats(arg);
}

static int sensors_ring_open(struct hms_sensors *s, struct bpf_map *map,
			     loop_fd_cb cb, struct ring_buffer **out)
{
	*out = ring_buffer__new(bpf_map__fd(map), sensors_on_record, s, NULL);
	if (!*out)
		return -errno;
	return loop_add_fd(s->loop, ring_buffer__epoll_fd(*out), EPOLLIN, cb,
			   s);
}

int sensors_rings_start(struct hms_sensors *s)
{
	uint64_t ms = s->opts.bulk_drain_ms ? s->opts.bulk_drain_ms : 20;
	uint64_t st = s->opts.stats_interval_s ? s->opts.stats_interval_s : 10;
	int err;

	/* separate rings: a bulk flood never delays a crash */
	err = sensors_ring_open(s, s->maps.critical_rb, sensors_on_crit, &s->crit_rb);
	err = err ?: sensors_ring_open(s, s->maps.bulk_rb, sensors_on_bulk,
				       &s->bulk_rb);
	err = err ?: loop_timer_new(s->loop, sensors_on_drain_timer, s,
				    &s->drain_timer);
	err = err ?: loop_timer_arm(s->drain_timer, ms * 1000000ULL,
				    ms * 1000000ULL);
	err = err ?: loop_timer_new(s->loop, sensors_on_drain_timer, s,
				    &s->again_timer);
	err = err ?: loop_timer_new(s->loop, sensors_on_stats_timer, s,
				    &s->stats_timer);
	err = err ?: loop_timer_arm(s->stats_timer, st * 1000000000ULL,
				    st * 1000000000ULL);
	return err;
}

static void sensors_ring_close(struct hms_sensors *s, struct ring_buffer **rb)
{
	if (!*rb)
		return;
	loop_del_fd(s->loop, ring_buffer__epoll_fd(*rb));
	ring_buffer__free(*rb);
	*rb = NULL;
}

void sensors_rings_stop(struct hms_sensors *s)
{
	loop_timer_free(s->drain_timer);
	loop_timer_free(s->again_timer);
	loop_timer_free(s->stats_timer);
	s->drain_timer = s->again_timer = s->stats_timer = NULL;
	sensors_ring_close(s, &s->crit_rb);
	sensors_ring_close(s, &s->bulk_rb);
}

int sensors_cfg_push(struct hms_sensors *s)
{
	uint32_t zero = 0;

	if (bpf_map_update_elem(bpf_map__fd(s->maps.cfg_map), &zero, &s->cfg,
				BPF_ANY) < 0)
		return -errno;
	return 0;
}

int sensors_set_runq_threshold(struct hms_sensors *s, uint64_t ns)
{
	s->cfg.runq_threshold_ns = ns;
	return sensors_cfg_push(s);
}

int sensors_set_bulk_rate(struct hms_sensors *s, uint32_t per_sec)
{
	s->cfg.bulk_rate_per_sec = per_sec;
	return sensors_cfg_push(s);
}

int sensors_set_watch_filter(struct hms_sensors *s, bool bulk_only_watched,
			     bool critical_only_watched)
{
	s->cfg.watch_filter = bulk_only_watched;
	s->cfg.critical_watched_only = critical_only_watched;
	return sensors_cfg_push(s);
}

static int sensors_watch(struct bpf_map *map, const void *key, bool on)
{
	uint8_t one = 1;
	int fd = bpf_map__fd(map);

	if (on)
		return bpf_map_update_elem(fd, key, &one, BPF_ANY) < 0 ?
		       -errno : 0;
	if (bpf_map_delete_elem(fd, key) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

int sensors_watch_tgid(struct hms_sensors *s, uint32_t tgid, bool on)
{
	return sensors_watch(s->maps.watch_tgids, &tgid, on);
}

int sensors_watch_cgroup(struct hms_sensors *s, uint64_t cgroup_id, bool on)
{
	return sensors_watch(s->maps.watch_cgroups, &cgroup_id, on);
}

int sensors_get_stats(struct hms_sensors *s, struct hms_ev_stats *st)
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(s->maps.counters);
	struct hms_counter *vals;

	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	event_init(&st->hdr, HMS_EV_STATS, sizeof(*st));
	for (uint32_t t = 0; t < HMS_EV_TYPE_MAX; t++) {
		if (bpf_map_lookup_elem(fd, &t, vals) < 0)
			continue;
		for (int c = 0; c < ncpu; c++) {
			st->events[t] += vals[c].events;
			st->drops[t] += vals[c].drops;
			st->ratelimited += vals[c].ratelimited;
			st->filtered += vals[c].filtered;
		}
	}
	free(vals);
	st->unknown = s->unknown;
	st->short_records = s->short_records;
	st->delivered = s->delivered;
	return 0;
}

int sensors_publish_stats(struct hms_sensors *s)
{
	struct hms_ev_stats *st = calloc(1, sizeof(*st));
	int err;

	if (!st)
		return -ENOMEM;
	err = sensors_get_stats(s, st);
	if (!err)
		bus_publish(s->bus, &st->hdr);
	free(st);
	return err;
}

int sensors_runq_hist(struct hms_sensors *s, uint32_t tgid,
		      uint64_t slots[HMS_HIST_SLOTS])
{
	struct hms_runq_hist h;

	if (!s->fam[2].skel)
		return -ENOTSUP;
	if (bpf_map_lookup_elem(bpf_map__fd(s->maps.runq_hists), &tgid, &h) < 0)
		return -ENOENT;
	memcpy(slots, h.slots, sizeof(h.slots));
	return 0;
}
