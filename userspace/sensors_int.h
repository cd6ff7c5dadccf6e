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

struct hms_cfg_user {		/* mirror of struct hms_cfg in BPF */
	uint64_t runq_threshold_ns;
	uint32_t bulk_rate_per_sec;
	uint32_t watch_filter;
	uint32_t critical_watched_only;
	uint32_t bulk_wake_bytes;
};

struct sensors_fam {
	const char *name;
	unsigned int bit;
	int required;
	void *(*open)(void);
	int (*load)(void *skel);
	void (*destroy)(void *skel);
	struct bpf_object *(*obj)(void *skel);
	void *skel;
	const char *skip[SENSORS_MAX_SKIP];
	int nskip;
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
	struct hms_timer *drain_timer;
	struct hms_timer *stats_timer;
	struct hms_cfg_user cfg;
	uint64_t unknown, short_records, delivered;
};

int sensors_map_fd(struct hms_sensors *s, const char *name);
int sensors_rings_start(struct hms_sensors *s);
void sensors_rings_stop(struct hms_sensors *s);
int sensors_cfg_push(struct hms_sensors *s);

#endif
