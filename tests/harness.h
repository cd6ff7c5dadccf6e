/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * harness.h - integration-test plumbing: a real event pipeline (loop, bus,
 * real BPF sensors) in the test process, a record of every event seen,
 * and waiting with a generous limit (never a timing assertion).
 */
#ifndef HMS_TEST_HARNESS_H
#define HMS_TEST_HARNESS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bus.h"
#include "event.h"
#include "loop.h"
#include "sensors.h"

#define HARNESS_MAX_EVENTS	65536

struct harness {
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_sensors *sensors;
	struct hms_event_hdr **events;
	size_t n;
	uint64_t per_type[HMS_EV_TYPE_MAX];
};

typedef bool (*harness_pred)(const struct hms_event_hdr *ev, void *arg);

/* Start a pipeline with opts (NULL = defaults). 0 or -errno. */
int harness_start(struct harness *h, const struct sensors_opts *opts);
void harness_stop(struct harness *h);
/* Run the loop until pred matches a recorded event or limit_ms passes;
 * returns the event or NULL. */
const struct hms_event_hdr *harness_wait(struct harness *h, harness_pred p,
					 void *arg, int limit_ms);
/* Forget recorded events. */
void harness_clear(struct harness *h);
/* Run the loop for about ms milliseconds (to let events arrive). */
void harness_pump(struct harness *h, int ms);

/* Common predicates: arg points to a struct harness_match. */
struct harness_match {
	int type;		/* event type */
	uint32_t tgid;		/* 0 = any */
	uint32_t target;	/* signal target / oom victim / 0 = any */
	uint16_t port;		/* net: sport or dport, 0 = any */
};
bool harness_match_pred(const struct hms_event_hdr *ev, void *arg);

/* Fork a child that runs fn(arg) and _exit()s with its return value. */
pid_t harness_fork(int (*fn)(void *), void *arg);
/* Reap pid (ours), return its wait status. */
int harness_reap(pid_t pid);
/* Mount point of the cgroup v2 hierarchy (/sys/fs/cgroup/unified on a
 * hybrid system, /sys/fs/cgroup on a pure v2 one), or NULL. */
const char *harness_cgroup2_root(void);
/* The running pipeline; harness_test_setup (a cmocka per-test setup)
 * drains and forgets its records so every test starts clean. */
extern struct harness *harness_current;
/* cmocka group setup/teardown for tests that need only a default
 * pipeline: *state is the struct harness. */
int harness_group_setup(void **state);
int harness_group_teardown(void **state);
int harness_test_setup(void **state);
/* Remove dir and everything below it (a test's temp dir). */
void harness_rmtree(const char *dir);
/* The whole file at path as a malloc'd string; "" when it cannot be read
 * (NULL only when out of memory). */
char *harness_slurp(const char *path);
/* The member of o at a dotted path ("process.pid", "target.comm"), or
 * NULL (the event JSON's role objects, docs/events.md). */
json_t *harness_json_path(json_t *o, const char *path);
/* Wait up to limit_ms for a line of the --json file at path whose "type"
 * is type, whose "component" is comp (NULL: any) and whose key (a dotted
 * path: "process.pid") is sval (a string, substring match) or ival (an
 * integer or boolean); key NULL: any.  *skip: lines already looked at (updated).  The event (the
 * caller's to json_decref), or NULL. */
json_t *harness_json_wait(const char *path, int *skip, const char *type,
			  const char *comp, const char *key, const char *sval,
			  long ival, int limit_ms);
/* Run tmux -L name -f /dev/null with args (NULL-terminated, argv, no
 * shell); its stdout into out when out is not NULL (then stderr is
 * kept), else both to /dev/null.  Exit status, or -1. */
int harness_tmux(const char *name, char *out, size_t len,
		 const char *const *args);
/* Remove the socket file tmux -L NAME leaves behind after kill-server
 * ($TMUX_TMPDIR or /tmp, then tmux-UID/NAME). */
void harness_tmux_unlink(const char *name);
/* Skip the calling test group when not root. */
int harness_need_root(void);

#endif
