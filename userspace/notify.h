/* SPDX-License-Identifier: BSD-2-Clause */
/* notify.h - tells systemd what the daemon is doing (Type=notify):
 * READY, RELOADING, STOPPING, STATUS, and watchdog pings from the loop.
 * Every call is a no-op when not started by systemd (no NOTIFY_SOCKET). */
#ifndef HMS_NOTIFY_H
#define HMS_NOTIFY_H

struct hms_loop;
struct hms_notify;

/* Arms a watchdog timer at half of WATCHDOG_USEC when systemd asks for
 * one (WatchdogSec=). */
int notify_new(struct hms_loop *loop, struct hms_notify **out);
void notify_free(struct hms_notify *n);

/* READY=1 with STATUS=status. */
void notify_ready(struct hms_notify *n, const char *status);
/* RELOADING=1 (with MONOTONIC_USEC); follow with notify_ready. */
void notify_reloading(struct hms_notify *n);
/* STOPPING=1; watchdog pings go on until notify_free. */
void notify_stopping(struct hms_notify *n);
/* Watchdog interval in ns, 0 when systemd wants no pings. */
unsigned long long notify_watchdog_ns(const struct hms_notify *n);

#endif
