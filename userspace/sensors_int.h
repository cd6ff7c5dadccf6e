/* SPDX-License-Identifier: BSD-2-Clause */
/* sensors_int.h - state shared by sensors.c (lifecycle) and
 * sensors_rings.c (draining, counters, knobs).  Private to the sensors. */
#ifndef HMS_SENSORS_INT_H
#define HMS_SENSORS_INT_H

#include <stdint.h>
#include "sensors.h"

struct bpf_object;
struct bpf_link;
struct ring_buffer;
struct hms_timer;

#define SENSORS_MAX_LINKS	32
#define SENSORS_MAX_SKIP	16

/* The maps every family declares (bpf/hms_common.bpf.h), as a family's
 * skeleton names them: proc's are the real ones, the others reuse them. */
struct sensors_maps {
	struct bpf_map *critical_rb, *bulk_rb, *counters, *cfg_map,
		       *watch_tgids, *watch_cgroups, *rate_map, *runq_hists;
};

#define SENSORS_MAPS_OF(skel) (struct sensors_maps){			\
	.critical_rb = (skel)->maps.critical_rb,			\
	.bulk_rb = (skel)->maps.bulk_rb,				\
	.counters = (skel)->maps.counters,				\
	.cfg_map = (skel)->maps.cfg_map,				\
	.watch_tgids = (skel)->maps.watch_tgids,			\
	.watch_cgroups = (skel)->maps.watch_cgroups,			\
	.rate_map = (skel)->maps.rate_map,				\
	.runq_hists = (skel)->maps.runq_hists }

struct sensors_fam {
	const char *name;
	unsigned int bit;
	int required;
	void *(*open)(void);
	int (*load)(void *skel);
	void (*destroy)(void *skel);
	struct bpf_object *(*obj)(void *skel);
	struct sensors_maps (*maps)(void *skel);
	void *skel;
	const char *skip[SENSORS_MAX_SKIP];
	int nskip;
};

/* A ring's consumer/producer positions, mapped read-only. */
struct sensors_ring_pos {
	const unsigned long *cons;
	const unsigned long *prod;
};

struct hms_sensors {
	struct sensors_opts opts;
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct sensors_fam fam[3];
	struct bpf_link *links[SENSORS_MAX_LINKS];
	int nlinks;
	int nskipped;
	int stats_fd;			/* BPF_STATS_RUN_TIME held, or -1 */
	struct ring_buffer *crit_rb;	/* woken per record */
	struct ring_buffer *bulk_rb;	/* batched */
	struct hms_timer *again_timer;	/* a drain hit its budget */
	uint32_t budget;		/* records left in this drain round */
	struct hms_timer *drain_timer;	/* armed only while records come */
	struct hms_timer *stats_timer;
	struct sensors_ring_pos crit_pos, bulk_pos;
	uint64_t drain_rounds;		/* drain timer rounds run */
	uint64_t idle_entries;		/* times the drain went idle */
	bool in_wakeup;			/* draining from a ring fd */
	struct sensors_maps maps;	/* proc's, once it is open */
	struct hms_cfg cfg;
	uint64_t unknown, short_records, delivered;
};

/* Make a dependent object's shared maps (m) use proc's. */
int sensors_reuse_maps(struct hms_sensors *s, const struct sensors_maps *m);
int sensors_rings_start(struct hms_sensors *s);
void sensors_rings_stop(struct hms_sensors *s);
int sensors_cfg_push(struct hms_sensors *s);

#endif
