/* SPDX-License-Identifier: BSD-2-Clause */
/* metrics.h - the Prometheus text endpoint (libmicrohttpd, driven by the
 * daemon's epoll loop): event, drop and component figures at /metrics. */
#ifndef HMS_METRICS_H
#define HMS_METRICS_H

#include <stddef.h>

struct hms_loop;
struct hms_bus;
struct hms_sensors;
struct hms_proctable;
struct publisher_sources;
struct hms_metrics;

/* listen is "HOST:PORT" (IPv4 address or [IPv6]); -EINVAL when it is not
 * a numeric address, -errno when the port cannot be bound.  sensors, pt
 * and src may be NULL. */
int metrics_new(const char *listen, struct hms_loop *loop,
		struct hms_bus *bus, struct hms_sensors *sensors,
		struct hms_proctable *pt, const struct publisher_sources *src,
		struct hms_metrics **out);
void metrics_free(struct hms_metrics *m);

/* The page as served (malloc'd, NUL-terminated); for tests. */
char *metrics_render(struct hms_metrics *m);

#endif
