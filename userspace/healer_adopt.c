/* healer_adopt.c - finding a component's processes that we did not
 * start: matching by comm, exe, cgroup or pidfile, the children a
 * daemonizing service leaves to us (the subreaper), and what is left
 * behind at shutdown. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include "healer_int.h"
#include "procfs.h"

int healer_read_small(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "re");
	size_t n;

	if (!f)
		return -errno;
	n = fread(buf, 1, len - 1, f);
	fclose(f);
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

/* Running (not a zombie): execs arrive late on the bulk ring, by then
 * the process may be long gone. */
bool healer_proc_alive(pid_t pid)
{
	return procfs_alive(pid);
}

/* comm and exe may be NULL: read from /proc. */
bool healer_matches(const struct cfg_component *cc, pid_t pid,
		    const char *comm, const char *exe)
{
	char buf[256];

	switch (cc->match) {
	case MATCH_COMM:
		if (!comm) {
			if (procfs_comm_read(pid, buf, sizeof(buf)))
				return false;
			comm = buf;
		}
		return !strncmp(comm, cc->match_value, HMS_COMM_LEN - 1);
	case MATCH_EXE:
		if (!exe) {
			if (procfs_exe_read(pid, buf, sizeof(buf)))
				return false;
			exe = buf;
		}
		return !strcmp(exe, cc->match_value);
	case MATCH_CGROUP:
		return procfs_cgroup_contains(pid, cc->match_value);
	case MATCH_PIDFILE:
		if (healer_read_small(cc->match_value, buf, sizeof(buf)))
			return false;
		return atoi(buf) == pid;
	default:
		return false;
	}
}

/* Adopt every running process that matches; 0 or -errno. */
int healer_adopt_scan(struct hcomp *c)
{
	const struct cfg_component *cc = c->cc;
	struct dirent *de;
	char buf[32];
	DIR *d;

	if (cc->match == MATCH_SPAWN)
		return 0;
	if (cc->match == MATCH_PIDFILE) {
		pid_t pid;

		if (healer_read_small(cc->match_value, buf, sizeof(buf)))
			return -ENOENT;
		pid = atoi(buf);
		if (pid <= 0 || !healer_proc_alive(pid))
			return -ESRCH;
		return healer_pid_add(c, pid);
	}
	d = opendir("/proc");
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		pid_t pid = atoi(de->d_name);

		if (pid <= 0 || pid == getpid() || healer_comp_of_pid(c->h, pid) ||
		    actions_watched(c->h->actions, pid))
			continue;
		if (healer_matches(cc, pid, NULL, NULL) && healer_proc_alive(pid))
			healer_pid_add(c, pid);
	}
	closedir(d);
	return 0;
}

/* One pass over /proc: our children nobody tracks are added to c; *dying
 * counts our zombie children (a middle process of a double fork). */
/* The HMS_COMPONENT= a spawned component (and everything it forks)
 * carries in its environment: "" when none. */
static void env_component(pid_t pid, char *name, size_t len)
{
	procfs_environ_get(pid, "HMS_COMPONENT", name, len);
}

static int adopt_pass(struct hcomp *c, int *dying)
{
	struct dirent *de;
	int n = 0;
	DIR *d = opendir("/proc");

	if (!d)
		return 0;
	while ((de = readdir(d))) {
		pid_t pid = atoi(de->d_name);
		char name[CONFIG_NAME_LEN];
		struct procfs_stat st;

		if (pid <= 0 || healer_comp_of_pid(c->h, pid) ||
		    actions_watched(c->h->actions, pid))
			continue;
		if (procfs_stat_read(pid, &st) || st.ppid != getpid())
			continue;
		if (st.state == 'Z') {
			(*dying)++;
			continue;
		}
		/* only what this component started: not, say, a tmux server
		 * that daemonized under us */
		env_component(pid, name, sizeof(name));
		if (!name[0] && !procfs_has_mm(pid))
			(*dying)++;	/* exiting: its memory is gone */
		else if (!strcmp(name, c->cc->name) && !healer_pid_add(c, pid))
			n++;
	}
	closedir(d);
	return n;
}

/* Our children nobody tracks: what a daemonizing service left behind
 * (reparented to us, the subreaper).  Returns how many were taken; *dying
 * counts our children still exiting (a double fork's middle process):
 * their children come to us only once they are zombies. */
int healer_adopt_children(struct hcomp *c, int *dying)
{
	int n = 0;

	for (int pass = 0; pass < 2 && !n; pass++) {
		*dying = 0;
		n = adopt_pass(c, dying);
		if (!*dying)
			break;
	}
	return n;
}

/* At shutdown: children of ours in another process group than ours,
 * carrying one of our components' HMS_COMPONENT, are what spawned
 * components left behind (a double fork in progress while
 * they were stopped, workers of a killed main process).  Kill them, reap them, and look again: a dying middle
 * process hands its child to us. */
void healer_kill_leftovers(struct hms_healer *h)
{
	pid_t pg = getpgrp();

	for (int pass = 0; pass < 8; pass++) {
		struct dirent *de;
		int found = 0;
		DIR *d = opendir("/proc");

		if (!d)
			return;
		while ((de = readdir(d))) {
			pid_t pid = atoi(de->d_name);
			char name[CONFIG_NAME_LEN];
			struct procfs_stat st;

			if (pid <= 0)
				continue;
			if (procfs_stat_read(pid, &st) || st.ppid != getpid() ||
			    st.pgrp == pg)
				continue;
			env_component(pid, name, sizeof(name));
			if (!name[0] || !healer_find(h, name))
				continue;	/* not from a component */
			found++;
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		closedir(d);
		if (!found)
			return;
	}
}

