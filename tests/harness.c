// SPDX-License-Identifier: BSD-2-Clause
/*
 * harness.c - see harness.h.  Included into each integration test as a
 * single translation unit (tests are built one source file each).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>
#include <sys/wait.h>
#include "harness.h"

#define HARNESS_MAX_KIDS	4096

static pid_t kids[HARNESS_MAX_KIDS];
static size_t n_kids;

static bool harness_ours(uint32_t pid)
{
	if (pid == (uint32_t)getpid())
		return true;
	for (size_t i = 0; i < n_kids; i++)
		if ((uint32_t)kids[i] == pid)
			return true;
	return false;
}

/* Record only what concerns this test process and its children (and
 * records with no owner, and derived events): other activity on the host
 * must not fill the record or slow the waits. */
static bool harness_relevant(const struct hms_event_hdr *ev)
{
	if (ev->type >= HMS_EV_STATS || !ev->tgid)
		return true;
	if (harness_ours(ev->tgid) || harness_ours(ev->ppid))
		return true;
	if (ev->type == HMS_EV_SIGNAL)
		return harness_ours(((const struct hms_ev_signal *)ev)->target_tgid);
	if (ev->type == HMS_EV_OOM)
		return harness_ours(((const struct hms_ev_oom *)ev)->victim_tgid);
	if (ev->type == HMS_EV_FORK)
		return harness_ours(((const struct hms_ev_fork *)ev)->child_tgid);
	return false;
}

static void harness_on_event(const struct hms_event_hdr *ev, void *arg)
{
	struct harness *h = arg;
	struct hms_event_hdr *copy;

	if (ev->type < HMS_EV_TYPE_MAX)
		h->per_type[ev->type]++;
	if (!harness_relevant(ev))
		return;
	if (h->n >= HARNESS_MAX_EVENTS) {
		fprintf(stderr, "harness: event record full\n");
		return;
	}
	copy = malloc(ev->size);
	if (!copy)
		return;
	memcpy(copy, ev, ev->size);
	h->events[h->n++] = copy;
}

struct harness *harness_current;

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
	else
		harness_current = h;
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
	if (harness_current == h)
		harness_current = NULL;
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

	if (pid > 0 && n_kids < HARNESS_MAX_KIDS)
		kids[n_kids++] = pid;
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

int harness_test_setup(void **state)
{
	(void)state;
	if (harness_current) {
		sensors_drain(harness_current->sensors);
		harness_clear(harness_current);
	}
	return 0;
}

int harness_group_setup(void **state)
{
	static struct harness h;

	if (harness_need_root())
		return -1;
	*state = &h;
	return harness_start(&h, NULL);
}

int harness_group_teardown(void **state)
{
	harness_stop(*state);
	return 0;
}

static int harness_rm_entry(const char *path, const struct stat *st,
			    int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void harness_rmtree(const char *dir)
{
	nftw(dir, harness_rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

char *harness_slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t len = 0;

	if (!f)
		return strdup("");
	if (getdelim(&buf, &len, '\0', f) < 0) {
		free(buf);
		buf = strdup("");
	}
	fclose(f);
	return buf;
}

int harness_tmux(const char *name, char *out, size_t len,
		 const char *const *args)
{
	const char *argv[32] = { "tmux", "-L", name, "-f", "/dev/null" };
	int p[2], n = 5, status;
	size_t got = 0;
	ssize_t r;
	pid_t pid;

	while (*args && n < 31)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		if (!out)	/* only "no server" noise to hide */
			dup2(open("/dev/null", O_WRONLY), 2);
		close(p[0]);
		execvp("tmux", (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	while (out && got + 1 < len &&
	       (r = read(p[0], out + got, len - 1 - got)) > 0)
		got += r;
	if (out)
		out[got] = '\0';
	close(p[0]);
	status = harness_reap(pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void harness_tmux_unlink(const char *name)
{
	const char *dir = getenv("TMUX_TMPDIR");
	char path[512];

	snprintf(path, sizeof(path), "%s/tmux-%u/%s", dir && *dir ? dir : "/tmp",
		 (unsigned)getuid(), name);
	unlink(path);
}

int harness_need_root(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "integration tests need root\n");
		return -EPERM;
	}
	return 0;
}

json_t *harness_json_path(json_t *o, const char *path)
{
	char key[64];
	const char *dot;

	while (o && (dot = strchr(path, '.'))) {
		snprintf(key, sizeof(key), "%.*s", (int)(dot - path), path);
		o = json_object_get(o, key);
		path = dot + 1;
	}
	return o ? json_object_get(o, path) : NULL;
}

json_t *harness_json_wait(const char *path, int *skip, const char *type,
			  const char *comp, const char *key, const char *sval,
			  long ival, int limit_ms)
{
	for (int waited = 0; waited < limit_ms; waited += 50) {
		char *all = harness_slurp(path), *line, *save = NULL;
		int n = 0;

		for (line = strtok_r(all, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save), n++) {
			json_t *o, *v;
			bool ok;

			if (n < *skip || !strstr(line, type))
				continue;
			o = json_loads(line, 0, NULL);
			if (!o)
				continue;
			v = key ? harness_json_path(o, key) : NULL;
			ok = !strcmp(json_string_value(json_object_get(o,
				"type")) ?: "", type) &&
			     (!comp || !strcmp(json_string_value(
				json_object_get(o, "component")) ?: "", comp)) &&
			     (!key || (v && (sval ? json_is_string(v) &&
				strstr(json_string_value(v), sval) :
				json_is_boolean(v) ? json_is_true(v) == !!ival :
				json_integer_value(v) == ival)));
			if (ok) {
				free(all);
				*skip = n + 1;
				return o;
			}
			json_decref(o);
		}
		free(all);
		usleep(50000);
	}
	return NULL;
}
