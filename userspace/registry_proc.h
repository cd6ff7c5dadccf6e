/* SPDX-License-Identifier: BSD-2-Clause */
/* registry_proc.h - the registry's store in a process of its own, so that
 * nothing the registry does (a full disk, an I/O error, a RocksDB abort)
 * can stop healing.  The daemon chooses from an in-memory copy of the
 * registry; every write the copy accepts is queued (bounded) and sent to
 * the store process (`hms-ebpf registry-serve DIR`, started through the
 * child runner, again with backoff when it ends).  Nothing on the heal
 * path waits for it. */
#ifndef HMS_REGISTRY_PROC_H
#define HMS_REGISTRY_PROC_H

#include <stdint.h>
#include "hms_event.h"

struct hms_loop;
struct hms_bus;
struct hms_registry;
struct hms_regproc;

#define REGPROC_QUEUE_MAX	4096	/* writes waiting for the store */
#define REGPROC_BACKOFF_MIN_MS	100	/* first restart of the store */
#define REGPROC_BACKOFF_MAX_MS	5000	/* restarts at most this far apart */
#define REGPROC_STOP_WAIT_MS	5000	/* at exit: the store's last writes */
#define REGPROC_STALL_MS	10000	/* no answer this long: killed */

/* Queue mem's writes (registry_set_forward) for the store at dir; the
 * store process starts at once (self_exe registry-serve dir) and, the
 * first time it opens, sends the snapshot mem is seeded from.  Events
 * HMS_EV_REGISTRY go to bus. */
int regproc_new(struct hms_loop *loop, struct hms_bus *bus,
		const char *self_exe, const char *dir,
		struct hms_registry *mem, struct hms_regproc **out);
/* Closes the socket, gives the store REGPROC_STOP_WAIT_MS to store what
 * it was sent and close; what was never sent is said in the log.
 * Accepts NULL. */
void regproc_free(struct hms_regproc *rp);
/* cb(arg) once the copy holds the store's snapshot (the dashboard's
 * strategies can be read again). */
void regproc_on_loaded(struct hms_regproc *rp, void (*cb)(void *arg),
		       void *arg);
/* The current state, as the event would carry it. */
void regproc_status(const struct hms_regproc *rp, struct hms_ev_registry *ev);

#endif
