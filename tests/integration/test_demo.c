/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * test_demo.c - `make demo ARGS=--no-tmux` as a newcomer runs it (root):
 * demo/run.sh headless, bounded by its --duration, with the real daemon,
 * real BPF and the three flaky services of demo/.  It must end 0 saying a
 * crash was healed; the daemon's events must show crashy's crash and a
 * successful outcome (the evidence, not only the script's word); and it
 * must leave nothing behind: no demo service running, its memory cgroup
 * removed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "harness.h"
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* A port nobody listens on now (the kernel's choice). */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/* Processes whose comm starts with "hms-demo-". */
static int demo_procs(void)
{
	DIR *d = opendir("/proc");
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d))) {
		char path[300], comm[32] = "";
		FILE *f;

		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) &&
		    !strncmp(comm, "hms-demo-", 9)) {
			fprintf(stderr, "left running: pid %s %s", e->d_name,
				comm);
			n++;
		}
		fclose(f);
	}
	closedir(d);
	return n;
}

static void test_demo_headless_heals_a_crash(void **state)
{
	char dir[] = "/tmp/hms-demo-test-XXXXXX", out[128], events[128];
	char port[16], *all, *cg, *nl;
	json_t *ev;
	int skip = 0, st;
	pid_t pid;

	(void)state;
	if (access("demo/run.sh", X_OK)) {
		fprintf(stderr, "run from the top of the tree (demo/run.sh)\n");
		fail();
	}
	assert_non_null(mkdtemp(dir));
	snprintf(out, sizeof(out), "%s/run.out", dir);
	snprintf(events, sizeof(events), "%s/events.jsonl", dir);
	snprintf(port, sizeof(port), "%d", free_port());
	pid = fork();
	if (pid == 0) {
		int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 1);
		dup2(fd, 2);
		setenv("HMS_DEMO_PORT", port, 1);
		execl("/bin/sh", "sh", "demo/run.sh", "--no-tmux", "--duration",
		      "100", "--state", dir, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	all = harness_slurp(out);
	fprintf(stderr, "%s", all);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
	assert_non_null(strstr(all, "demo: a crash of crashy was detected and "
				    "healed"));
	/* the evidence behind it, in the daemon's own events */
	ev = harness_json_wait(events, &skip, "failure", "crashy", "failure",
			       "crash", 0, 1000);
	assert_non_null(ev);
	json_decref(ev);
	ev = harness_json_wait(events, &skip, "outcome", "crashy", "success",
			       NULL, 1, 1000);
	assert_non_null(ev);
	json_decref(ev);
	/* nothing left behind */
	cg = strstr(all, "memory cgroup of leaky: ");
	assert_non_null(cg);
	cg += strlen("memory cgroup of leaky: ");
	nl = strchr(cg, '\n');
	assert_non_null(nl);
	*nl = '\0';
	assert_true(!strncmp(cg, "/sys/fs/cgroup/", 15));
	assert_int_equal(access(cg, F_OK), -1);
	assert_int_equal(demo_procs(), 0);
	free(all);
	harness_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demo_headless_heals_a_crash),
	};

	if (geteuid() != 0) {
		fprintf(stderr, "test_demo: needs root, skipped\n");
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
