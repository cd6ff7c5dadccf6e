// SPDX-License-Identifier: BSD-2-Clause
/* test_children.c - the one child runner (root): in this process, and
 * through the real daemon ($DAEMON) with real components:
 *   - a component (root, output inherit) of a daemon whose stderr and
 *     controlling terminal are a pty cannot push input into it (TIOCSTI)
 *   - a component's environment is clean (no daemon variable, its user's
 *     HOME/USER/LOGNAME/SHELL, the fixed PATH, its env, HMS_*), it has only
 *     fds 0-2, its own session and its user's groups
 *   - a malformed config ("%\xff") is a config error under --check-config
 *     and a rejected reload under SIGHUP; the daemon still heals
 *   - with the tmux server SIGSTOPped a crash is still healed
 *   - an exec failure is reported through the loop as a failed start, at
 *     the first start and at a restart
 *   - an output file that cannot be opened does not stop a start */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include "harness.h"
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "actions.h"
#include "healer_test.h"

#define LIMIT_MS	30000

struct tc {
	char dir[64];
	char crasher[PATH_MAX];		/* a copy in dir: any user runs it */
	char cfg[128], out[128], err[128];
	pid_t daemon;
	int master, slave;		/* the daemon's terminal */
	char tty[64];
	char *seen;			/* what the daemon wrote to it */
	size_t n_seen;
};

static struct tc T;

static const char *daemon_path(void)
{
	const char *d = getenv("DAEMON");

	return d ? d : ".output/hms-ebpf";
}

static int copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out, err = 0;
	char buf[65536];
	ssize_t n;

	if (in < 0)
		return -1;
	out = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0755);
	if (out < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			err = -1;
	if (n < 0 || fchmod(out, 0755) < 0)
		err = -1;
	close(in);
	close(out);
	return err;
}

static int setup(void **state)
{
	struct ht tmp;

	(void)state;
	memset(&T, 0, sizeof(T));
	T.master = T.slave = -1;
	if (harness_need_root() || ht_find_crasher(&tmp))
		return -1;
	snprintf(T.dir, sizeof(T.dir), "/tmp/hms-ch-XXXXXX");
	if (!mkdtemp(T.dir))
		return -1;
	chmod(T.dir, 0755);
	snprintf(T.crasher, sizeof(T.crasher), "%s/hms_crasher", T.dir);
	if (copy_file(tmp.crasher, T.crasher))
		return -1;
	snprintf(T.cfg, sizeof(T.cfg), "%s/hms.yaml", T.dir);
	snprintf(T.out, sizeof(T.out), "%s/out.jsonl", T.dir);
	snprintf(T.err, sizeof(T.err), "%s/err.txt", T.dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (T.daemon > 0) {
		/* TERM first: the daemon stops what it spawned */
		kill(T.daemon, SIGTERM);
		for (int i = 0; i < 200 && !waitpid(T.daemon, NULL, WNOHANG);
		     i++)
			usleep(50000);
		kill(T.daemon, SIGKILL);
		waitpid(T.daemon, NULL, 0);
	}
	if (T.master >= 0)
		close(T.master);
	if (T.slave >= 0)
		close(T.slave);
	free(T.seen);
	if (!getenv("TEST_KEEP"))
		harness_rmtree(T.dir);
	return 0;
}

/* The config: the daemon section, then fmt with %1$s = crasher and
 * %2$s = the temp dir. */
static void write_cfg(const char *fmt)
{
	FILE *f = fopen(T.cfg, "w");

	assert_non_null(f);
	fprintf(f, "daemon: {registry: %s/reg, socket: %s/hms.sock}\n",
		T.dir, T.dir);
	fprintf(f, fmt, T.crasher, T.dir);
	fclose(f);
	chmod(T.cfg, 0644);
}

/* The daemon with args; on the pty (stdin, stderr and controlling
 * terminal) when T.tty is set, else stderr to T.err.  A secret in its
 * environment that no child may see. */
static pid_t run(const char *const *args, const char *tmux_dir)
{
	pid_t pid = fork();

	if (pid == 0) {
		const char *argv[16] = { daemon_path() };
		int n = 1, fd;

		for (; args[n - 1] && n < 15; n++)
			argv[n] = args[n - 1];
		argv[n] = NULL;
		if (T.tty[0]) {
			setsid();
			fd = open(T.tty, O_RDWR);	/* our terminal now */
			dup2(fd, 0);
			dup2(fd, 2);
		} else {
			fd = open(T.err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
			dup2(fd, 2);
		}
		fd = open(T.out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 1);
		setenv("HMS_TEST_SECRET", "s3cret-of-the-daemon", 1);
		unsetenv("JOURNAL_STREAM");
		unsetenv("INVOCATION_ID");
		if (tmux_dir)
			setenv("TMUX_TMPDIR", tmux_dir, 1);
		else
			setenv("HMS_NO_TMUX", "1", 1);
		execv(argv[0], (char **)argv);
		_exit(127);
	}
	return pid;
}

/* Keep reading what the daemon writes to its terminal (it must never
 * block on a full pty). */
static void drain_master(void)
{
	char buf[4096];
	ssize_t n;

	while (T.master >= 0 && (n = read(T.master, buf, sizeof(buf))) > 0) {
		char *p = realloc(T.seen, T.n_seen + (size_t)n + 1);

		if (!p)
			return;
		T.seen = p;
		memcpy(T.seen + T.n_seen, buf, (size_t)n);
		T.n_seen += (size_t)n;
		T.seen[T.n_seen] = '\0';
	}
}

static bool wait_file(const char *path, int limit_ms)
{
	for (int waited = 0; waited < limit_ms; waited += 50) {
		drain_master();
		if (access(path, F_OK) == 0)
			return true;
		usleep(50000);
	}
	return false;
}

static bool wait_text(const char *path, const char *text, int limit_ms)
{
	for (int waited = 0; waited < limit_ms; waited += 50) {
		char *all = harness_slurp(path);
		bool found = all && strstr(all, text) != NULL;

		free(all);
		if (found)
			return true;
		usleep(50000);
	}
	return false;
}

/* The pid of the first --json line after *skip holding every needle;
 * -1 after limit_ms. */
static long wait_line(int *skip, int limit_ms, const char *const *needles)
{
	for (int waited = 0; waited < limit_ms; waited += 50) {
		char *all = harness_slurp(T.out), *line, *save = NULL;
		int n = 0;

		for (line = strtok_r(all, "\n", &save); line;
		     line = strtok_r(NULL, "\n", &save), n++) {
			const char *p;
			bool ok = n >= *skip;

			for (size_t i = 0; ok && needles[i]; i++)
				ok = strstr(line, needles[i]) != NULL;
			if (!ok)
				continue;
			*skip = n + 1;
			p = strstr(line, "\"pid\":");
			n = p ? atoi(p + 6) : 0;
			free(all);
			return n;
		}
		free(all);
		drain_master();
		usleep(50000);
	}
	return -1;
}

static long wait_state(int *skip, const char *comp, const char *state)
{
	char c[96], s[96];

	snprintf(c, sizeof(c), "\"component\":\"%s\"", comp);
	snprintf(s, sizeof(s), "\"new_state\":\"%s\"", state);
	return wait_line(skip, LIMIT_MS, (const char *[]){
		"\"type\":\"component_state\"", c, s, NULL });
}

static bool has_line(const char *all, const char *line)
{
	size_t n = strlen(line);

	for (const char *p = all; (p = strstr(p, line)); p++)
		if ((p == all || p[-1] == '\n') && p[n] == '\n')
			return true;
	return false;
}

static int count_prefix(const char *all, const char *prefix)
{
	int n = 0;

	for (const char *p = all; (p = strstr(p, prefix)); p++)
		if (p == all || p[-1] == '\n')
			n++;
	return n;
}

/* ---- the runner itself ---- */

struct exec_seen {
	int calls, err;
	pid_t pid;
};

static void on_exec(pid_t pid, int err, void *arg)
{
	struct exec_seen *s = arg;

	s->calls++;
	s->err = err;
	s->pid = pid;
}

static void on_orphan(pid_t pid, const siginfo_t *si, void *arg)
{
	(void)pid;
	(void)si;
	(*(int *)arg)++;
}

static void test_runner_async_exec(void **state)
{
	char *bad[] = { "/nonexistent/hms-no-such-program", NULL };
	char *good[] = { "true", NULL };	/* searched in ACTIONS_PATH */
	struct actions_spawn_opts o = { .argv = bad, .exec_cb = on_exec };
	struct exec_seen s = { 0 };
	struct hms_actions *a = NULL;
	struct hms_loop *loop = NULL;
	int orphans = 0;
	pid_t pid = 0;

	(void)state;
	assert_int_equal(loop_new(&loop), 0);
	assert_int_equal(actions_new(loop, &a), 0);
	actions_set_orphan_cb(a, on_orphan, &orphans);
	o.exec_arg = &s;
	/* returns with the pid; the outcome comes through the loop */
	assert_int_equal(actions_spawn(a, &o, &pid), 0);
	assert_true(pid > 0);
	assert_int_equal(s.calls, 0);
	assert_int_equal(actions_pending(a), 1);
	for (int i = 0; i < 200 && !s.calls; i++)
		loop_run_once(loop, 50);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.pid, pid);
	assert_int_equal(s.err, -ENOENT);
	/* the child that never ran is reaped, and reported to nobody */
	for (int i = 0; i < 200 && kill(pid, 0) == 0; i++)
		loop_run_once(loop, 50);
	assert_int_equal(kill(pid, 0), -1);
	assert_int_equal(orphans, 0);
	/* an unknown user: nothing is started */
	o.argv = good;
	o.user = "hms-no-such-user";
	assert_int_equal(actions_spawn(a, &o, &pid), -ESRCH);
	o.user = NULL;
	memset(&s, 0, sizeof(s));
	assert_int_equal(actions_spawn(a, &o, &pid), 0);
	for (int i = 0; i < 200 && !s.calls; i++)
		loop_run_once(loop, 50);
	assert_int_equal(s.calls, 1);
	assert_int_equal(s.err, 0);
	assert_int_equal(actions_pending(a), 0);
	actions_free(a);
	loop_free(loop);
}

/* ---- through the daemon ---- */

static void open_pty(void)
{
	struct termios tio;

	T.master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	assert_true(T.master >= 0);
	assert_int_equal(grantpt(T.master), 0);
	assert_int_equal(unlockpt(T.master), 0);
	snprintf(T.tty, sizeof(T.tty), "%s", ptsname(T.master));
	T.slave = open(T.tty, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	assert_true(T.slave >= 0);
	/* raw: pushed input is readable at once, and not echoed */
	assert_int_equal(tcgetattr(T.slave, &tio), 0);
	cfmakeraw(&tio);
	assert_int_equal(tcsetattr(T.slave, TCSANOW, &tio), 0);
}

/* Input waiting for the terminal's reader (what a shell would run). */
static void read_slave(char *buf, size_t len)
{
	ssize_t n = read(T.slave, buf, len - 1);

	buf[n > 0 ? n : 0] = '\0';
}

static void test_tiocsti_env_fds(void **state)
{
	const char *args[] = { "--config", T.cfg, "--json", "--no-tmux",
			       "--duration", "120", NULL };
	struct passwd *pw = getpwnam("nobody");
	char path[160], want[512], input[256], udir[96];
	char *root, *user;
	gid_t groups[64];
	int ng = 64, skip = 0;

	(void)state;
	assert_non_null(pw);
	snprintf(udir, sizeof(udir), "%s/u", T.dir);
	assert_int_equal(mkdir(udir, 0700), 0);
	assert_int_equal(chown(udir, pw->pw_uid, pw->pw_gid), 0);
	open_pty();
	/* the check can see an injection: root may push into a terminal
	 * that is not even its controlling one */
	assert_int_equal(ioctl(T.slave, TIOCSTI, "z"), 0);
	read_slave(input, sizeof(input));
	assert_string_equal(input, "z");
	write_cfg("components:\n"
		  "  - name: rootprobe\n"
		  "    command: [%1$s, probe, \"%2$s/root.txt\", stay]\n"
		  "    output: inherit\n"
		  "  - name: userprobe\n"
		  "    command: [%1$s, probe, \"%2$s/u/user.txt\", stay]\n"
		  "    user: nobody\n"
		  "    env: {FOO: bar}\n");
	T.daemon = run(args, NULL);
	snprintf(path, sizeof(path), "%s/root.txt", T.dir);
	assert_true(wait_file(path, LIMIT_MS));
	snprintf(path, sizeof(path), "%s/u/user.txt", T.dir);
	assert_true(wait_file(path, LIMIT_MS));
	assert_true(wait_state(&skip, "rootprobe", "healthy") > 0);
	/* nothing reached the terminal's reader, nothing was echoed */
	read_slave(input, sizeof(input));
	drain_master();
	assert_null(strstr(input, "hmspwned"));
	assert_true(!T.seen || !strstr(T.seen, "hmspwned"));
	snprintf(path, sizeof(path), "%s/root.txt", T.dir);
	root = harness_slurp(path);
	snprintf(path, sizeof(path), "%s/u/user.txt", T.dir);
	user = harness_slurp(path);
	assert_non_null(root);
	assert_non_null(user);
	/* no controlling terminal, no terminal fd: every attempt failed */
	assert_false(has_line(root, "devtty=open"));
	for (int i = 0; i < 4; i++) {
		snprintf(want, sizeof(want), "tiocsti%d=ok", i);
		assert_false(has_line(root, want));
	}
	assert_null(strstr(root, "/dev/pts"));
	assert_null(strstr(root, "ptmx"));
	/* only 0-2, in both; the user's default output is its log file */
	assert_int_equal(count_prefix(root, "fd "), 3);
	assert_int_equal(count_prefix(user, "fd "), 3);
	assert_true(has_line(user, "fd 0 /dev/null"));
	snprintf(want, sizeof(want), "fd 1 %s/userprobe.log", T.dir);
	assert_true(has_line(user, want));
	/* its own session */
	{
		int pid = 0, sid = -1;
		const char *p = strstr(user, "pid=");

		assert_non_null(p);
		assert_int_equal(sscanf(p, "pid=%d sid=%d", &pid, &sid), 2);
		assert_int_equal(pid, sid);
	}
	/* the user, its groups, a clean environment */
	snprintf(want, sizeof(want), "uid=%u gid=%u ", (unsigned)pw->pw_uid,
		 (unsigned)pw->pw_gid);
	assert_non_null(strstr(user, want));
	assert_true(getgrouplist("nobody", pw->pw_gid, groups, &ng) >= 0);
	{
		char g[512] = "groups=";

		for (int i = 0; i < ng; i++)
			snprintf(g + strlen(g), sizeof(g) - strlen(g), "%s%u",
				 i ? "," : "", (unsigned)groups[i]);
		assert_true(has_line(user, g));
	}
	assert_null(strstr(user, "HMS_TEST_SECRET"));
	assert_null(strstr(root, "HMS_TEST_SECRET"));
	snprintf(want, sizeof(want), "env HOME=%s", pw->pw_dir);
	assert_true(has_line(user, want));
	assert_true(has_line(user, "env USER=nobody"));
	assert_true(has_line(user, "env LOGNAME=nobody"));
	snprintf(want, sizeof(want), "env SHELL=%s", pw->pw_shell);
	assert_true(has_line(user, want));
	assert_true(has_line(user, "env PATH=" ACTIONS_PATH));
	assert_true(has_line(user, "env FOO=bar"));
	assert_true(has_line(user, "env HMS_COMPONENT=userprobe"));
	assert_int_equal(count_prefix(user, "env HMS_DAEMON="), 1);
	assert_int_equal(count_prefix(user, "env "), 8);
	assert_true(has_line(root, "env HOME=/root"));
	free(root);
	free(user);
}

static void test_malformed_config(void **state)
{
	const char *args[] = { "--config", T.cfg, "--json", "--no-tmux",
			       "--duration", "120", NULL };
	char bad[128], want[160];
	int skip = 0, st = 0;
	long pid, pid2;
	pid_t p;
	FILE *f;

	(void)state;
	/* --check-config: an error with its place, not a hang */
	snprintf(bad, sizeof(bad), "%s/bad.yaml", T.dir);
	f = fopen(bad, "w");
	assert_non_null(f);
	fputs("version: 1\n%\xff\x80 junk\n", f);
	fclose(f);
	chmod(bad, 0644);
	p = fork();
	if (p == 0) {
		int fd = open(T.err, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		dup2(fd, 2);
		execl(daemon_path(), daemon_path(), "--check-config",
		      "--config", bad, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < LIMIT_MS / 50 && waitpid(p, &st, WNOHANG) == 0;
	     i++)
		usleep(50000);
	if (kill(p, 0) == 0) {
		kill(p, SIGKILL);
		waitpid(p, NULL, 0);
		fail_msg("--check-config did not finish");
	}
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 2);
	snprintf(want, sizeof(want), "%s:2:2: (file): invalid text", bad);
	assert_true(wait_text(T.err, want, 1000));
	assert_true(wait_text(T.err, "UTF-8", 1000));
	/* SIGHUP with that file: rejected, the old config heals on */
	write_cfg("components:\n"
		  "  - name: svc\n"
		  "    command: [%1$s, sleep]\n"
		  "    start_grace_s: 0.1\n"
		  "    verify_s: 0.2\n"
		  "    backoff: {initial_ms: 0}\n"
		  "    on: {crash: [restart], killed: [restart]}\n");
	T.daemon = run(args, NULL);
	pid = wait_state(&skip, "svc", "healthy");
	assert_true(pid > 0);
	f = fopen(T.cfg, "w");
	assert_non_null(f);
	fputs("components:\n%\xff\n", f);
	fclose(f);
	kill(T.daemon, SIGHUP);
	assert_true(wait_text(T.err, "UTF-8", LIMIT_MS));
	assert_true(wait_text(T.err, "stays in force", LIMIT_MS));
	assert_int_equal(kill(pid, 0), 0);
	kill(pid, SIGSEGV);
	pid2 = wait_line(&skip, LIMIT_MS, (const char *[]){
		"\"type\":\"outcome\"", "\"success\":true", NULL });
	assert_true(pid2 != -1);
	pid2 = wait_state(&skip, "svc", "healthy");
	assert_true(pid2 > 0 && pid2 != pid);
	assert_int_equal(waitpid(T.daemon, NULL, WNOHANG), 0);
}

/* Output of tmux (our private server under dir) into out. */
static int tmux_out(const char *dir, char *out, size_t len,
		    const char *const *args)
{
	char sock[160];
	const char *argv[16] = { "tmux", "-S", sock };
	int p[2], n = 3, st;
	ssize_t r;
	size_t got = 0;
	pid_t pid;

	snprintf(sock, sizeof(sock), "%s/tmux-0/default", dir);
	while (*args && n < 15)
		argv[n++] = *args++;
	argv[n] = NULL;
	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		execvp("tmux", (char *const *)argv);
		_exit(127);
	}
	close(p[1]);
	while (got + 1 < len && (r = read(p[0], out + got, len - 1 - got)) > 0)
		got += (size_t)r;
	out[got] = '\0';
	close(p[0]);
	waitpid(pid, &st, 0);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void test_tmux_stopped(void **state)
{
	const char *args[] = { "--config", T.cfg, "--json", "--socket", NULL,
			       "--duration", "120", NULL };
	char tdir[96], sock[96], spid[32] = "";
	int skip = 0;
	long pid, pid2;
	pid_t server;

	(void)state;
	snprintf(tdir, sizeof(tdir), "%s/tmux", T.dir);
	snprintf(sock, sizeof(sock), "%s/hms.sock", T.dir);
	args[4] = sock;
	assert_int_equal(mkdir(tdir, 0700), 0);
	write_cfg("dashboard: {session: hmschild}\n"
		  "components:\n"
		  "  - name: svc\n"
		  "    command: [%1$s, sleep]\n"
		  "    start_grace_s: 0.1\n"
		  "    verify_s: 0.2\n"
		  "    backoff: {initial_ms: 0}\n"
		  "    budget: {max: 100, interval_s: 60}\n"
		  "    on: {crash: [restart], killed: [restart]}\n");
	T.daemon = run(args, tdir);
	assert_true(wait_text(T.err, "dashboard ready", LIMIT_MS));
	pid = wait_state(&skip, "svc", "healthy");
	assert_true(pid > 0);
	assert_int_equal(tmux_out(tdir, spid, sizeof(spid), (const char *[]){
		"display-message", "-p", "#{pid}", NULL }), 0);
	server = atoi(spid);
	assert_true(server > 1);
	assert_int_equal(kill(server, SIGSTOP), 0);
	/* crashes while tmux is wedged: each is healed */
	for (int i = 0; i < 3; i++) {
		kill(pid, SIGSEGV);
		pid2 = wait_line(&skip, LIMIT_MS, (const char *[]){
			"\"type\":\"outcome\"", "\"success\":true", NULL });
		assert_true(pid2 != -1);
		pid2 = wait_state(&skip, "svc", "healthy");
		assert_true(pid2 > 0 && pid2 != pid);
		pid = pid2;
	}
	/* tmux was stopped the whole time */
	{
		char st[64], *p = NULL;
		char path[64];

		snprintf(path, sizeof(path), "/proc/%d/stat", (int)server);
		p = harness_slurp(path);
		assert_non_null(p);
		snprintf(st, sizeof(st), "%s", strrchr(p, ')') + 2);
		free(p);
		assert_int_equal(st[0], 'T');
	}
	kill(server, SIGCONT);
	kill(T.daemon, SIGTERM);
	waitpid(T.daemon, NULL, 0);
	T.daemon = 0;
	tmux_out(tdir, spid, sizeof(spid), (const char *[]){ "kill-server",
		NULL });
}

static void test_exec_failure(void **state)
{
	const char *args[] = { "--config", T.cfg, "--json", "--no-tmux",
			       "--duration", "120", NULL };
	char svc[128];
	int skip = 0, skip2;
	long pid;

	(void)state;
	snprintf(svc, sizeof(svc), "%s/svcbin", T.dir);
	assert_int_equal(copy_file(T.crasher, svc), 0);
	write_cfg("components:\n"
		  "  - name: bad\n"
		  "    command: [\"%2$s/no-such-program\"]\n"
		  "    backoff: {initial_ms: 200}\n"
		  "    on: {missing: [restart]}\n"
		  "  - name: gone\n"
		  "    command: [\"%2$s/svcbin\", sleep]\n"
		  "    start_grace_s: 0.1\n"
		  "    backoff: {initial_ms: 0}\n"
		  "    on: {crash: [restart], killed: [restart]}\n");
	T.daemon = run(args, NULL);
	/* the first start: failed, with the reason */
	assert_true(wait_line(&skip, LIMIT_MS, (const char *[]){
		"\"component\":\"bad\"", "\"new_state\":\"failed\"",
		"start failed: No such file or directory", NULL }) != -1);
	skip = 0;
	pid = wait_state(&skip, "gone", "healthy");
	assert_true(pid > 0);
	/* a restart whose exec fails: a failed action, not an exit */
	assert_int_equal(unlink(svc), 0);
	skip2 = skip;
	kill(pid, SIGSEGV);
	assert_true(wait_line(&skip, LIMIT_MS, (const char *[]){
		"\"type\":\"action\"", "\"component\":\"gone\"",
		"\"result\":\"ENOENT\"", "start failed: No such file", NULL }) != -1);
	assert_true(wait_line(&skip2, LIMIT_MS, (const char *[]){
		"\"type\":\"outcome\"", "\"component\":\"gone\"",
		"\"success\":false", NULL }) != -1);
	assert_int_equal(waitpid(T.daemon, NULL, WNOHANG), 0);
}

/* A file output that cannot be opened still starts the component (on
 * /dev/null), and says so; a good file output gets the component's
 * stdout and stderr. */
static void test_output_fallback(void **state)
{
	const char *args[] = { "--config", T.cfg, "--json", "--no-tmux",
			       "--duration", "120", NULL };
	char path[160];
	int skip = 0;
	char *all;

	(void)state;
	write_cfg("components:\n"
		  "  - name: lost\n"
		  "    command: [%1$s, sleep]\n"
		  "    start_grace_s: 0.1\n"
		  "    output: \"file:/proc/hms-no-such-dir/x.log\"\n"
		  "  - name: logged\n"
		  "    command: [%1$s, probe, \"%2$s/p.txt\", stay]\n"
		  "    start_grace_s: 0.1\n"
		  "    output: \"file:%2$s/logs/logged.out\"\n");
	/* logs/ does not exist: an explicit file: is not a state dir */
	snprintf(path, sizeof(path), "%s/logs", T.dir);
	assert_int_equal(mkdir(path, 0700), 0);
	T.daemon = run(args, NULL);
	assert_true(wait_state(&skip, "lost", "healthy") > 0);
	assert_true(wait_text(T.err, "writing to /dev/null instead",
			      LIMIT_MS));
	snprintf(path, sizeof(path), "%s/p.txt", T.dir);
	assert_true(wait_file(path, LIMIT_MS));
	all = harness_slurp(path);
	snprintf(path, sizeof(path), "fd 1 %s/logs/logged.out", T.dir);
	assert_true(has_line(all, path));
	snprintf(path, sizeof(path), "fd 2 %s/logs/logged.out", T.dir);
	assert_true(has_line(all, path));
	free(all);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_runner_async_exec, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tiocsti_env_fds, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_malformed_config, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_tmux_stopped, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_exec_failure, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_output_fallback, setup,
						teardown),
	};

	if (getenv("TEST_FILTER"))
		cmocka_set_test_filter(getenv("TEST_FILTER"));
	return cmocka_run_group_tests(tests, NULL, NULL);
}
