/* SPDX-License-Identifier: BSD-2-Clause */
/* metrics_int.h - state shared by metrics.c (server, bus counting) and
 * metrics_render.c (the text exposition).  Private to the metrics. */
#ifndef HMS_METRICS_INT_H
#define HMS_METRICS_INT_H

#include <stddef.h>
#include <stdint.h>
#include "hms_event.h"

struct hms_loop;
struct hms_bus;
struct hms_sensors;
struct hms_proctable;
struct publisher_sources;
struct hms_timer;
struct MHD_Daemon;

#define METRICS_LABELS		4
#define METRICS_MAX_SERIES	4096	/* per family: config-bounded anyway */
#define METRICS_DUR_BUCKETS	12

/* Upper bounds (seconds) of the recovery-duration histogram. */
extern const double metrics_dur_bounds[METRICS_DUR_BUCKETS];

/* One labelled series: a counter (n) or a histogram (n = count). */
struct metrics_series {
	char l[METRICS_LABELS][HMS_NAME_LEN];
	uint64_t n;
	uint64_t buckets[METRICS_DUR_BUCKETS];	/* histograms only */
	double sum;
};

struct metrics_family {
	struct metrics_series *v;
	size_t n, cap;
	uint64_t overflow;	/* series refused past METRICS_MAX_SERIES */
};

struct hms_metrics {
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_sensors *sensors;
	struct hms_proctable *pt;
	const struct publisher_sources *src;
	struct MHD_Daemon *mhd;
	struct hms_timer *tick;
	int epfd;
	double start_time_s;		/* process start, Unix seconds */
	__u64 derived[HMS_EV_TYPE_MAX];	/* derived events published */
	struct metrics_family failures;		/* component, class */
	struct metrics_family host_failures;	/* class */
	struct metrics_family recoveries;	/* component, class, strategy, result */
	struct metrics_family durations;	/* component, class (histogram) */
	struct metrics_family actions;		/* component, kind, result */
	struct metrics_family transitions;	/* component, state */
	struct metrics_family alerts;		/* component, severity */
};

/* The series with these labels (NULL-terminated up to METRICS_LABELS),
 * created at zero; NULL when the family is full. */
struct metrics_series *metrics_series_get(struct metrics_family *f,
					  const char *const *labels);
void metrics_family_free(struct metrics_family *f);

#endif
