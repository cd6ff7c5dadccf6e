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
	char path[64], buf[512], *p;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (healer_read_small(path, buf, sizeof(buf)))
		return false;
	p = strrchr(buf, ')');
	return p && p[1] && p[2] != 'Z' && p[2] != 'X' && p[2] != 'x';
}

static bool cgroup_has(pid_t pid, const char *want)
{
	char path[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/cgroup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char *p = strchr(line, ':');

		p = p ? strchr(p + 1, ':') : NULL;
		if (!p)
			continue;
		p[strcspn(p, "\n")] = '\0';
		found = !strcmp(p + 1, want);
	}
	fclose(f);
	return found;
}

/* comm and exe may be NULL: read from /proc. */
bool healer_matches(const struct cfg_component *cc, pid_t pid,
		    const char *comm, const char *exe)
{
	char path[64], buf[256];
	ssize_t n;

	switch (cc->match) {
	case MATCH_COMM:
		if (!comm) {
			snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
			if (healer_read_small(path, buf, sizeof(buf)))
				return false;
			comm = buf;
		}
		return !strncmp(comm, cc->match_value, HMS_COMM_LEN - 1);
	case MATCH_EXE:
		if (!exe) {
			snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
			n = readlink(path, buf, sizeof(buf) - 1);
			if (n <= 0)
				return false;
			buf[n] = '\0';
			exe = buf;
		}
		return !strcmp(exe, cc->match_value);
	case MATCH_CGROUP:
		return cgroup_has(pid, cc->match_value);
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
	char path[64], buf[8192];
	size_t n;
	FILE *f;

	name[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	for (size_t i = 0; i < n; i += strlen(buf + i) + 1)
		if (!strncmp(buf + i, "HMS_COMPONENT=", 14)) {
			snprintf(name, len, "%s", buf + i + 14);
			return;
		}
}

/* An exiting process has dropped its memory before it is a zombie:
 * /proc/PID/statm reads all zeros then. */
static bool proc_has_mm(pid_t pid)
{
	char path[64], buf[128];

	snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
	if (healer_read_small(path, buf, sizeof(buf)))
		return false;
	return strtoul(buf, NULL, 10) != 0;
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
		char path[64], buf[512], name[CONFIG_NAME_LEN], *p;

		if (pid <= 0 || healer_comp_of_pid(c->h, pid) ||
		    actions_watched(c->h->actions, pid))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
		if (healer_read_small(path, buf, sizeof(buf)))
			continue;
		p = strrchr(buf, ')');
		if (!p || atoi(p + 4) != getpid())
			continue;
		if (p[2] == 'Z') {
			(*dying)++;
			continue;
		}
		/* only what this component started: not, say, a tmux server
		 * that daemonized under us */
		env_component(pid, name, sizeof(name));
		if (!name[0] && !proc_has_mm(pid))
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
			char path[64], buf[512], name[CONFIG_NAME_LEN], *p;
			int ppid, pgrp, psid;

			if (pid <= 0)
				continue;
			snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
			if (healer_read_small(path, buf, sizeof(buf)))
				continue;
			p = strrchr(buf, ')');
			if (!p || sscanf(p + 4, "%d %d %d", &ppid, &pgrp,
					 &psid) != 3 || ppid != getpid() ||
			    pgrp == pg)
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

