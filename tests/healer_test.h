/* SPDX-License-Identifier: BSD-2-Clause */
/* healer_test.h - shared by the healer's unit and integration tests: a
 * loop + bus + healer in the test process, every derived event recorded,
 * waiting with a generous limit (never a timing assertion), the path of
 * the hms_crasher helper and a config written to a private temp dir. */
#ifndef HMS_HEALER_TEST_H
#define HMS_HEALER_TEST_H

#include <errno.h>
#include <limits.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "bus.h"
#include "config.h"
#include "event.h"
#include "healer.h"
#include "hms_proto.h"
#include "loop.h"

struct ht {
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_config *cfg;
	struct hms_healer *healer;
	/* every derived event and every exec on the host, in order: grown
	 * as needed (a capped array filled with a busy host's execs would
	 * hide the events a test waits for) */
	struct hms_event_hdr **ev;
	size_t n, cap;
	char dir[64];
	char crasher[PATH_MAX];
};

static inline void ht_record(const struct hms_event_hdr *ev, void *arg)
{
	struct ht *t = arg;
	void *copy;

	if (ev->type < HMS_EV_STATS && ev->type != HMS_EV_EXEC)
		return;		/* derived events and execs only */
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4096;
		void *n = realloc(t->ev, cap * sizeof(*t->ev));

		if (!n) {
			fprintf(stderr, "ht_record: out of memory: events "
				"lost\n");
			return;
		}
		t->ev = n;
		t->cap = cap;
	}
	if (getenv("HT_DEBUG") && ev->type != HMS_EV_EXEC) {
		char *js = event_to_json_str(ev);

		fprintf(stderr, "ev: %s\n", js ? js : "?");
		free(js);
	}
	copy = malloc(ev->size);
	if (!copy)
		return;
	memcpy(copy, ev, ev->size);
	t->ev[t->n++] = copy;
}

/* The helper next to this binary: .output/tests/{unit,integration}/x ->
 * .output/tests/helpers/hms_crasher. */
static inline int ht_find_crasher(struct ht *t)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return -1;
	exe[n] = '\0';
	snprintf(t->crasher, sizeof(t->crasher), "%s/../helpers/hms_crasher",
		 dirname(exe));
	return access(t->crasher, X_OK);
}

static inline int ht_init(struct ht *t)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->dir, sizeof(t->dir), "/tmp/hms-healer-XXXXXX");
	if (!mkdtemp(t->dir) || ht_find_crasher(t))
		return -1;
	if (loop_new(&t->loop) || bus_new(&t->bus))
		return -1;
	return bus_subscribe(t->bus, BUS_ALL, ht_record, t);
}

/* printf-style YAML; %1$s in it is the crasher path, %2$s the temp dir */
static inline int ht_config(struct ht *t, const char *yaml)
{
	char path[128], *text = NULL;
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s/hms.yaml", t->dir);
	if (asprintf(&text, yaml, t->crasher, t->dir) < 0)
		return -1;
	f = fopen(path, "w");
	if (!f) {
		free(text);
		return -1;
	}
	fputs(text, f);
	fclose(f);
	free(text);
	config_free(t->cfg);
	t->cfg = NULL;
	err = config_load_file(path, &t->cfg, stderr);
	/* a healer of its own: the default socket is also the identity its
	 * children carry (HMS_DAEMON), and another test's healer with the
	 * same one would take them as its own (tests run side by side) */
	if (!err && !strcmp(t->cfg->daemon.socket, HMS_PROTO_SOCKET))
		snprintf(t->cfg->daemon.socket, sizeof(t->cfg->daemon.socket),
			 "%s/hms.sock", t->dir);
	return err;
}

static inline void ht_clear(struct ht *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->ev[i]);
	t->n = 0;
}

static inline void ht_events_free(struct ht *t)
{
	ht_clear(t);
	free(t->ev);
	t->ev = NULL;
	t->cap = 0;
}

static inline void ht_fini(struct ht *t)
{
	char cmd[128];

	healer_free(t->healer);
	t->healer = NULL;
	ht_events_free(t);
	config_free(t->cfg);
	bus_free(t->bus);
	loop_free(t->loop);
	/* only our own temp dir, by its unique name */
	snprintf(cmd, sizeof(cmd), "%s/hms.yaml", t->dir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/marker", t->dir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/pid", t->dir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/env.txt", t->dir);
	unlink(cmd);
	rmdir(t->dir);
}

typedef bool (*ht_pred)(const struct hms_event_hdr *ev, const void *arg);

/* First recorded event at index >= *from matching pred; runs the loop up
 * to limit_ms.  *from is advanced past the match. */
static inline const struct hms_event_hdr *
ht_wait(struct ht *t, size_t *from, ht_pred pred, const void *arg,
	int limit_ms)
{
	uint64_t end = loop_now_ns() + (uint64_t)limit_ms * 1000000ull;

	for (;;) {
		for (size_t i = *from; i < t->n; i++)
			if (pred(t->ev[i], arg)) {
				*from = i + 1;
				return t->ev[i];
			}
		if (loop_now_ns() > end)
			return NULL;
		loop_run_once(t->loop, 50);
	}
}

static inline void ht_pump(struct ht *t, int ms)
{
	uint64_t end = loop_now_ns() + (uint64_t)ms * 1000000ull;

	while (loop_now_ns() < end)
		loop_run_once(t->loop, 20);
}

static inline bool ht_is_state(const struct hms_event_hdr *ev,
			       const void *arg)
{
	return ev->type == HMS_EV_COMPONENT_STATE &&
	       ((const struct hms_ev_component *)ev)->new_state ==
	       (uint32_t)(intptr_t)arg;
}

static inline bool ht_is_type(const struct hms_event_hdr *ev, const void *arg)
{
	return ev->type == (uint16_t)(intptr_t)arg;
}

static inline bool ht_is_failure(const struct hms_event_hdr *ev,
				 const void *arg)
{
	return ev->type == HMS_EV_FAILURE &&
	       !strcmp(((const struct hms_ev_failure *)ev)->failure, arg);
}

/* ACTION finished of kind (restart, exec, ...) */
static inline bool ht_is_action_done(const struct hms_event_hdr *ev,
				     const void *arg)
{
	const struct hms_ev_action *a = (const void *)ev;

	return ev->type == HMS_EV_ACTION && a->phase == 1 &&
	       a->kind == (uint32_t)(intptr_t)arg;
}

#define HT_ARG(x)	((const void *)(intptr_t)(x))

#endif
