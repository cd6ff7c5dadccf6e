// SPDX-License-Identifier: BSD-2-Clause
/*
 * sensors_rings.c - moves records from the two BPF ring buffers onto the
 * bus: the critical ring wakes the loop per record, the bulk ring is
 * drained by a short periodic timer that runs only while records come
 * (or by a wakeup when its backlog grows past a quarter of the ring).
 * When a drain round finds nothing the timer stops and the BPF side is
 * told (hms_cfg.consumer_idle): its next record wakes the loop, so a
 * quiet host costs no wakeups.  Also the runtime knobs and the counters.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <unistd.h>
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

/* Bytes reserved in a ring and not consumed yet (committed or still
 * being written by a BPF program). */
static uint64_t sensors_ring_backlog(const struct sensors_ring_pos *r)
{
	if (!r->cons || !r->prod)
		return 1;	/* unknown: never idle */
	return __atomic_load_n(r->prod, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(r->cons, __ATOMIC_ACQUIRE);
}

/* Drain timer: periodic while records come.  A round that finds none
 * tells the BPF side we are idle, drains once more (a record may have
 * come between) and stops the timer when both rings are empty: a record
 * reserved before the flag was set is still in the backlog here, one
 * reserved after it sees the flag and wakes us. */
static void sensors_on_drain_timer(struct hms_timer *t, void *arg)
{
	struct hms_sensors *s = arg;
	int n = sensors_drain(s);

	(void)t;
	s->drain_rounds++;
	if (n != 0 || loop_timer_armed(s->again_timer))
		return;
	s->cfg.consumer_idle = 1;
	if (sensors_cfg_push(s))
		return;		/* keep polling */
	/* the flag's store before the positions' loads (store-load order:
	 * the BPF side has its full barrier, the counter's atomic add,
	 * between its reserve and its read of the flag) */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	n = sensors_drain(s);
	if (n == 0 && !sensors_ring_backlog(&s->crit_pos) &&
	    !sensors_ring_backlog(&s->bulk_pos) &&
	    !loop_timer_armed(s->again_timer)) {
		loop_timer_disarm(s->drain_timer);
		s->idle_entries++;
	}
}

/* A wakeup (a critical record, the bulk watermark, or the first record
 * after idle): drain now and keep draining while records come. */
static void sensors_drain_start(struct hms_sensors *s)
{
	uint64_t ms = s->opts.bulk_drain_ms ? s->opts.bulk_drain_ms : 20;

	if (!loop_timer_armed(s->drain_timer))
		loop_timer_arm(s->drain_timer, ms * 1000000ULL,
			       ms * 1000000ULL);
}

static void sensors_on_crit(int fd, uint32_t events, void *arg)
{
	struct hms_sensors *s = arg;

	(void)fd;
	(void)events;
	s->in_wakeup = true;
	sensors_drain_ring(s, s->crit_rb);
	s->in_wakeup = false;
	sensors_drain_start(s);
}

static void sensors_on_bulk(int fd, uint32_t events, void *arg)
{
	struct hms_sensors *s = arg;

	(void)fd;
	(void)events;
	s->in_wakeup = true;
	sensors_drain_ring(s, s->bulk_rb);
	s->in_wakeup = false;
	sensors_drain_start(s);
}

void sensors_drain_info(const struct hms_sensors *s,
			struct sensors_drain_info *info)
{
	memset(info, 0, sizeof(*info));
	if (!s)
		return;
	info->idle = !loop_timer_armed(s->drain_timer);
	info->in_wakeup = s->in_wakeup;
	info->idle_entries = s->idle_entries;
	info->timer_rounds = s->drain_rounds;
}

static void sensors_on_again_timer(struct hms_timer *t, void *arg)
{
	(void)t;
	sensors_drain(arg);
	sensors_drain_start(arg);
}

static void sensors_on_stats_timer(struct hms_timer *t, void *arg)
{
	(void)t;
	sensors_publish_stats(arg);
}

/* The ring's consumer and producer positions, read-only (libbpf 1.1
 * has no ring__avail_data_size): page 0 and page 1 of the map. */
static void sensors_ring_map_pos(int fd, struct sensors_ring_pos *r)
{
	long pg = sysconf(_SC_PAGESIZE);
	void *c = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0);
	void *p = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, pg);

	r->cons = c == MAP_FAILED ? NULL : c;
	r->prod = p == MAP_FAILED ? NULL : p;
}

static void sensors_ring_unmap_pos(struct sensors_ring_pos *r)
{
	long pg = sysconf(_SC_PAGESIZE);

	if (r->cons)
		munmap((void *)r->cons, pg);
	if (r->prod)
		munmap((void *)r->prod, pg);
	r->cons = r->prod = NULL;
}

static int sensors_ring_open(struct hms_sensors *s, struct bpf_map *map,
			     loop_fd_cb cb, struct ring_buffer **out,
			     struct sensors_ring_pos *pos)
{
	*out = ring_buffer__new(bpf_map__fd(map), sensors_on_record, s, NULL);
	if (!*out)
		return -errno;
	sensors_ring_map_pos(bpf_map__fd(map), pos);
	return loop_add_fd(s->loop, ring_buffer__epoll_fd(*out), EPOLLIN, cb,
			   s);
}

int sensors_rings_start(struct hms_sensors *s)
{
	int err;

	/* separate rings: a bulk flood never delays a crash */
	err = sensors_ring_open(s, s->maps.critical_rb, sensors_on_crit,
				&s->crit_rb, &s->crit_pos);
	err = err ?: sensors_ring_open(s, s->maps.bulk_rb, sensors_on_bulk,
				       &s->bulk_rb, &s->bulk_pos);
	err = err ?: loop_timer_new(s->loop, sensors_on_drain_timer, s,
				    &s->drain_timer);
	err = err ?: loop_timer_new(s->loop, sensors_on_again_timer, s,
				    &s->again_timer);
	err = err ?: loop_timer_new(s->loop, sensors_on_stats_timer, s,
				    &s->stats_timer);
	/* periodic HMS_EV_STATS only when asked for (--json): a pane or a
	 * scrape asks for the figures when it needs them */
	if (!err && s->opts.stats_interval_s)
		err = loop_timer_arm(s->stats_timer,
				     s->opts.stats_interval_s * 1000000000ULL,
				     s->opts.stats_interval_s * 1000000000ULL);
	/* drain what came before the rings were opened, then go idle */
	if (!err)
		sensors_drain_start(s);
	return err;
}

static void sensors_ring_close(struct hms_sensors *s, struct ring_buffer **rb,
			       struct sensors_ring_pos *pos)
{
	sensors_ring_unmap_pos(pos);
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
	sensors_ring_close(s, &s->crit_rb, &s->crit_pos);
	sensors_ring_close(s, &s->bulk_rb, &s->bulk_pos);
}

/* Every push also says "idle": at worst one spurious wakeup, never a
 * record left waiting while the drain timer is stopped. */
int sensors_cfg_push(struct hms_sensors *s)
{
	uint32_t zero = 0;

	s->cfg.consumer_idle = 1;
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
