/*
 * harness.c - see harness.h.  Included into each integration test as a
 * single translation unit (tests are built one source file each).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
#include "harness.h"

static void harness_on_event(const struct hms_event_hdr *ev, void *arg)
{
	struct harness *h = arg;
	struct hms_event_hdr *copy;

	if (ev->type < HMS_EV_TYPE_MAX)
		h->per_type[ev->type]++;
	if (h->n >= HARNESS_MAX_EVENTS)
		return;
	copy = malloc(ev->size);
	if (!copy)
		return;
	memcpy(copy, ev, ev->size);
	h->events[h->n++] = copy;
}

int harness_start(struct harness *h, const struct sensors_opts *opts)
{
	struct sensors_opts def;
	int err;

	memset(h, 0, sizeof(*h));
	h->events = calloc(HARNESS_MAX_EVENTS, sizeof(*h->events));
	if (!h->events)
		return -ENOMEM;
	if (!opts) {
		sensors_opts_default(&def);
		def.bulk_rate_per_sec = 0;
		opts = &def;
	}
	err = loop_new(&h->loop);
	err = err ?: bus_new(&h->bus);
	err = err ?: bus_subscribe(h->bus, BUS_ALL, harness_on_event, h);
	err = err ?: sensors_new(opts, h->loop, h->bus, &h->sensors);
	if (err)
		harness_stop(h);
	return err;
}

void harness_clear(struct harness *h)
{
	for (size_t i = 0; i < h->n; i++)
		free(h->events[i]);
	h->n = 0;
	memset(h->per_type, 0, sizeof(h->per_type));
}

void harness_stop(struct harness *h)
{
	sensors_free(h->sensors);
	bus_free(h->bus);
	loop_free(h->loop);
	if (h->events)
		harness_clear(h);
	free(h->events);
	memset(h, 0, sizeof(*h));
}

const struct hms_event_hdr *harness_wait(struct harness *h, harness_pred p,
					 void *arg, int limit_ms)
{
	uint64_t end = loop_now_ns() + (uint64_t)limit_ms * 1000000ULL;
	size_t seen = 0;

	for (;;) {
		for (; seen < h->n; seen++)
			if (p(h->events[seen], arg))
				return h->events[seen];
		if (loop_now_ns() >= end)
			return NULL;
		loop_run_once(h->loop, 50);
	}
}

void harness_pump(struct harness *h, int ms)
{
	uint64_t end = loop_now_ns() + (uint64_t)ms * 1000000ULL;

	while (loop_now_ns() < end)
		loop_run_once(h->loop, 20);
	sensors_drain(h->sensors);
}

bool harness_match_pred(const struct hms_event_hdr *ev, void *arg)
{
	const struct harness_match *m = arg;

	if (ev->type != m->type)
		return false;
	if (m->tgid && ev->tgid != m->tgid)
		return false;
	if (m->target && ev->type == HMS_EV_SIGNAL &&
	    ((const struct hms_ev_signal *)ev)->target_tgid != m->target)
		return false;
	if (m->target && ev->type == HMS_EV_OOM &&
	    ((const struct hms_ev_oom *)ev)->victim_tgid != m->target)
		return false;
	if (m->port && ev->size >= sizeof(struct hms_ev_net) &&
	    ev->type >= HMS_EV_CONNECT_FAIL &&
	    ev->type <= HMS_EV_TCP_RETRANSMIT) {
		const struct hms_ev_net *n = (const void *)ev;

		if (n->sport != m->port && n->dport != m->port)
			return false;
	}
	return true;
}

pid_t harness_fork(int (*fn)(void *), void *arg)
{
	static const int sigs[] = { SIGSEGV, SIGABRT, SIGBUS, SIGILL, SIGFPE };
	pid_t pid = fork();

	if (pid == 0) {
		/* cmocka catches these in the parent: children must die */
		for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
			signal(sigs[i], SIG_DFL);
		_exit(fn(arg));
	}
	return pid;
}

int harness_reap(pid_t pid)
{
	int status = 0;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

const char *harness_cgroup2_root(void)
{
	static char root[256];
	char dev[64], dir[256], type[64];
	FILE *f;

	if (root[0])
		return root;
	f = fopen("/proc/self/mounts", "re");
	if (!f)
		return NULL;
	while (fscanf(f, "%63s %255s %63s %*[^\n]", dev, dir, type) == 3) {
		if (!strcmp(type, "cgroup2")) {
			snprintf(root, sizeof(root), "%s", dir);
			break;
		}
	}
	fclose(f);
	return root[0] ? root : NULL;
}

int harness_need_root(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "integration tests need root\n");
		return -EPERM;
	}
	return 0;
}
