// SPDX-License-Identifier: BSD-2-Clause
/* bench_dashboard.c - how fast a bus event reaches a dashboard pane's
 * screen, and what the dashboard costs in CPU.
 *
 * Push latency: one synthetic event at a time is published on the bus;
 * the `events` pane (this binary as `view events`, in a private tmux
 * server, 200x60) appends "frame N" to a FIFO after each redraw
 * ($HMS_VIEW_TRACE); latency = publish -> the frame that includes it.
 * Baseline: a line's round trip over a unix socketpair to a child that
 * echoes it (the IPC floor).  Then the same with 1,000 events/s on the
 * bus (batches and frames coalesced).  Target: p99 <= 100 ms.
 *
 * CPU: 10,000 tracked processes and 1,000 events/s (run-queue waits,
 * resets, refusals, a crash and a fork now and then), first without panes
 * (baseline), then with the default 4-pane layout.  Daemon CPU is this
 * process (it also generates the load); pane CPU is read from
 * /proc/PID/stat of every pane.  Target: daemon + panes <= 5 % of a core.
 *
 * usage: bench_dashboard [--seconds N] [--samples N]
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench_util.h"
#include "bus.h"
#include "dashboard.h"
#include "event.h"
#include "loop.h"
#include "procfs.h"
#include "proctable.h"
#include "publisher.h"
#include "view.h"

#define NPROCS		10000
#define BASE_TGID	3000000u

static struct {
	struct hms_loop *loop;
	struct hms_bus *bus;
	struct hms_proctable *pt;
	struct hms_publisher *pub;
	char dir[64], sock[128], fifo[128], tmux_name[48], self[512];
	int trace;
	unsigned long long frame;	/* highest "frame N" seen */
	uint32_t next_tgid;
	uint64_t rng;
	char per_pane[128];
	double tmux_pct, cmds_pct;
} B;

static uint64_t now_ns(void)
{
	return loop_now_ns();
}

static uint32_t rnd(uint32_t n)
{
	B.rng = B.rng * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(B.rng >> 33) % n;
}

static void on_trace(int fd, uint32_t events, void *arg)
{
	char buf[4096], *p;
	ssize_t n;

	(void)events;
	(void)arg;
	while ((n = read(fd, buf, sizeof(buf) - 1)) > 0) {
		buf[n] = '\0';
		for (p = buf; (p = strstr(p, "frame ")); p += 6) {
			unsigned long long f = strtoull(p + 6, NULL, 10);

			if (f > B.frame)
				B.frame = f;
		}
	}
}

/* ---- synthetic events ---- */

static unsigned long long published;	/* events put on the bus */

static void pub_hdr(struct hms_event_hdr *h, unsigned int type, size_t size,
		    uint32_t tgid, const char *comm)
{
	published++;
	event_init(h, type, size);
	h->tgid = h->tid = tgid;
	h->ppid = 1;
	snprintf(h->comm, sizeof(h->comm), "%s", comm);
}

static void emit_fork(uint32_t child)
{
	struct hms_ev_fork f;

	memset(&f, 0, sizeof(f));
	pub_hdr(&f.hdr, HMS_EV_FORK, sizeof(f), 1, "svc");
	f.child_tgid = f.child_tid = child;
	bus_publish(B.bus, &f.hdr);
}

static void emit_one(uint64_t seq)
{
	uint32_t tgid = B.next_tgid - NPROCS + rnd(NPROCS);
	unsigned int k = seq % 100;

	if (k < 80) {
		struct hms_ev_runq r;

		memset(&r, 0, sizeof(r));
		pub_hdr(&r.hdr, HMS_EV_RUNQ_LATENCY, sizeof(r), tgid, "svc");
		r.latency_ns = (20 + rnd(30000)) * 1000ull;
		bus_publish(B.bus, &r.hdr);
	} else if (k < 98) {
		struct hms_ev_net n;

		memset(&n, 0, sizeof(n));
		pub_hdr(&n.hdr, k < 90 ? HMS_EV_TCP_RESET_RECV :
			HMS_EV_CONNECT_FAIL, sizeof(n), tgid, "svc");
		n.family = 2;
		n.sport = 40000 + rnd(1000);
		n.dport = 8080;
		n.error = 111;
		bus_publish(B.bus, &n.hdr);
	} else if (k == 98) {
		struct hms_ev_exit e;

		memset(&e, 0, sizeof(e));
		pub_hdr(&e.hdr, HMS_EV_EXIT, sizeof(e), tgid, "svc");
		e.signal = 11;
		bus_publish(B.bus, &e.hdr);
	} else {
		emit_fork(B.next_tgid++);
	}
}

static uint64_t load_seq;

static void on_load(struct hms_timer *t, void *arg)
{
	(void)t;
	(void)arg;
	for (int i = 0; i < 10; i++)	/* 10 per 10 ms = 1,000/s */
		emit_one(load_seq++);
}

/* ---- fake healer and registry for the other panes ---- */

static int fake_comps(void *ctx, publisher_component_cb cb, void *arg)
{
	static const unsigned int st[] = { HEALER_HEALTHY, HEALER_DEGRADED,
					   HEALER_GAVE_UP };
	char name[32];

	(void)ctx;
	for (int i = 0; i < 20; i++) {
		struct publisher_component c = { name, st[i % 3],
			BASE_TGID + i, (uint32_t)i, "crash", "SIGSEGV", false,
			NULL, 0, "", false, NULL, NULL, 0, NULL };

		snprintf(name, sizeof(name), "svc%02d", i);
		if (cb(&c, arg))
			break;
	}
	return 0;
}

static int fake_strats(void *ctx, publisher_strategy_cb cb, void *arg)
{
	char comp[32];

	(void)ctx;
	for (int i = 0; i < 40; i++) {
		struct publisher_strategy s = { comp, "crash",
			i % 2 ? "gentle-restart" : "reload", 5 + i % 7, 1 + i % 3,
			0.7, 8, 100.0 + i * 10, 300.0 + i * 20, i % 2, 0.5 };

		snprintf(comp, sizeof(comp), "svc%02d", i / 2);
		cb(&s, arg);
	}
	return 0;
}

static const struct publisher_sources sources = {
	.components = fake_comps, .strategies = fake_strats,
};

/* ---- helpers ---- */

static void pump_until(int (*done)(void *), void *arg, uint64_t limit_ns)
{
	uint64_t end = now_ns() + limit_ns;

	while (!done(arg) && now_ns() < end)
		loop_run_once(B.loop, 5);
}

static void pump_for(uint64_t ns)
{
	uint64_t end = now_ns() + ns;

	while (now_ns() < end)
		loop_run_once(B.loop, 5);
}

static int frame_reached(void *arg)
{
	return B.frame >= *(unsigned long long *)arg;
}

static int clients_are(void *arg)
{
	return publisher_clients(B.pub) == *(size_t *)arg;
}

static int dash_is_ready(void *arg)
{
	return dashboard_ready(arg) != 0;
}

static int dash_start(const char *layout_view, struct hms_dashboard **d)
{
	static struct dashboard_pane one = { "", 'h', 0, -1 };
	struct dashboard_layout single = { "single", &one, 1 };
	struct dashboard_opts o = { .session = "bench", .self_exe = B.self,
		.socket_path = B.sock, .tmux_socket = B.tmux_name,
		.tmux_config = "/dev/null", .sources = &sources,
		.width = 200, .height = 60, .kill_on_free = true };

	snprintf(one.view, sizeof(one.view), "%s", layout_view);
	o.layouts = &single;
	o.n_layouts = 1;
	o.layout = layout_view ? "single" : "default";
	if (dashboard_new(&o, B.loop, B.bus, d))
		return -1;
	pump_until(dash_is_ready, *d, 10000000000ull);
	return dashboard_ready(*d) > 0 ? 0 : -1;
}

struct tmux_wait {
	int done, rc;
	char *out;
	size_t len;
};

static void tmux_got(struct hms_dashboard *d, int rc, const char *out,
		     void *arg)
{
	struct tmux_wait *w = arg;

	(void)d;
	w->done = 1;
	w->rc = rc;
	snprintf(w->out, w->len, "%s", out);
}

static int tmux_done(void *arg)
{
	return ((struct tmux_wait *)arg)->done;
}

/* A tmux command through the dashboard's queue, pumping the loop until
 * it is done (the bench is not the daemon: it may wait). */
static int bench_tmux(struct hms_dashboard *d, char *out, size_t len,
		      const char *const *args)
{
	struct tmux_wait w = { .out = out, .len = len, .rc = -ETIMEDOUT };

	if (dashboard_tmux(d, 0, tmux_got, &w, args))
		return -1;
	pump_until(tmux_done, &w, 10000000000ull);
	return w.rc;
}

/* utime + stime of pid in ns (clock ticks). */
static uint64_t proc_cpu_ns(pid_t pid)
{
	struct procfs_stat st;

	if (procfs_stat_read(pid, &st))
		return 0;
	return (st.utime + st.stime) * (1000000000ull / sysconf(_SC_CLK_TCK));
}

static uint64_t rusage_ns(int who)
{
	struct rusage ru;

	getrusage(who, &ru);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000ull +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000ull;
}

static uint64_t self_cpu_ns(void)
{
	return rusage_ns(RUSAGE_SELF);
}

/* Pane pids of our private server. */
static int pane_pids(struct hms_dashboard *d, pid_t *pids, int max)
{
	char out[512], *line, *save = NULL;
	int n = 0;

	if (bench_tmux(d, out, sizeof(out), (const char *[]){ "list-panes",
		"-t", "=bench:", "-F", "#{pane_pid}", NULL }))
		return 0;
	for (line = strtok_r(out, "\n", &save); line && n < max;
	     line = strtok_r(NULL, "\n", &save))
		pids[n++] = atoi(line);
	return n;
}

/* ---- the two measurements ---- */

/* Time from publishing one event to the events pane's frame that
 * includes it, samples times; the pane's count of events is what its
 * frames report (every event published since it connected). */
static void latency_samples(uint64_t *lat, int samples,
			    unsigned long long first)
{
	for (int i = 0; i < samples; i++) {
		unsigned long long target;
		struct hms_ev_runq r;
		uint64_t t0;

		memset(&r, 0, sizeof(r));
		pub_hdr(&r.hdr, HMS_EV_RUNQ_LATENCY, sizeof(r), BASE_TGID, "lat");
		target = published - first;
		t0 = now_ns();
		bus_publish(B.bus, &r.hdr);
		pump_until(frame_reached, &target, 5000000000ull);
		lat[i] = now_ns() - t0;
		pump_for((5 + rnd(20)) * 1000000ull);	/* spread phases */
	}
}

static int bench_latency(int samples)
{
	uint64_t *lat = calloc(samples, sizeof(*lat)), *busy, *base;
	struct hms_dashboard *d = NULL;
	unsigned long long first = published;
	struct hms_timer *load;
	size_t want = 1;
	int sv[2], err, i;
	pid_t echo;

	err = dash_start("events", &d);
	if (err) {
		fprintf(stderr, "bench_dashboard: tmux: %s\n", strerror(-err));
		return 1;
	}
	pump_until(clients_are, &want, 10000000000ull);
	pump_for(500000000ull);
	latency_samples(lat, samples, first);
	/* the same while the bus carries 1,000 events/s: a lone event is
	 * drawn at once, one in a busy stream waits for the next batch and
	 * frame */
	busy = calloc(samples, sizeof(*busy));
	loop_timer_new(B.loop, on_load, NULL, &load);
	loop_timer_arm(load, 10000000ull, 10000000ull);
	latency_samples(busy, samples, first);
	loop_timer_free(load);
	dashboard_free(d);
	/* baseline: a line to a child and back over a socketpair */
	base = calloc(samples, sizeof(*base));
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	echo = fork();
	if (echo == 0) {
		char c[64];
		ssize_t n;

		close(sv[0]);
		while ((n = read(sv[1], c, sizeof(c))) > 0)
			if (write(sv[1], c, n) != n)
				break;
		_exit(0);
	}
	close(sv[1]);
	for (i = 0; i < samples; i++) {
		char c[64] = "{\"type\":\"event\"}\n";
		uint64_t t0 = now_ns();

		if (write(sv[0], c, 17) != 17 || read(sv[0], c, sizeof(c)) <= 0)
			break;
		base[i] = now_ns() - t0;
	}
	close(sv[0]);
	waitpid(echo, NULL, 0);
	{
		uint64_t p50 = bench_pct(lat, samples, 50);
		uint64_t p99 = bench_pct(lat, samples, 99);
		uint64_t b50 = bench_pct(base, samples, 50);

		printf("push latency bus->pane redraw (%d samples, 200x60 events "
		       "pane in tmux): p50 %.2f ms  p99 %.2f ms  max %.2f ms "
		       "(target p99 <= 100 ms)\n", samples, p50 / 1e6,
		       p99 / 1e6, lat[samples - 1] / 1e6);
		printf("  baseline socketpair round trip p50 %.3f ms; ratio "
		       "p50/baseline %.0fx\n", b50 / 1e6,
		       b50 ? (double)p50 / b50 : 0);
		p50 = bench_pct(busy, samples, 50);
		p99 = bench_pct(busy, samples, 99);
		printf("  the same under 1000 events/s: p50 %.2f ms  p99 %.2f ms  "
		       "max %.2f ms (target p99 <= 100 ms)\n", p50 / 1e6,
		       p99 / 1e6, busy[samples - 1] / 1e6);
	}
	free(busy);
	free(lat);
	free(base);
	return 0;
}

static void bench_cpu_phase(int seconds, struct hms_dashboard *d,
			    double *daemon_pct, double *panes_pct)
{
	pid_t pids[8];
	uint64_t t0, c0, k0, p0[8] = { 0 }, wall;
	int n = d ? pane_pids(d, pids, 7) : 0;
	struct hms_timer *t;
	char spid[32] = "";
	pid_t server = 0;
	uint64_t s0 = 0;

	loop_timer_new(B.loop, on_load, NULL, &t);
	pump_for(1000000000ull);	/* settle */
	for (int i = 0; i < n; i++)
		p0[i] = proc_cpu_ns(pids[i]);
	if (d && !bench_tmux(d, spid, sizeof(spid), (const char *[]){
		"display-message", "-p", "#{pid}", NULL }))
		server = atoi(spid);
	if (server)
		s0 = proc_cpu_ns(server);
	t0 = now_ns();
	c0 = self_cpu_ns();
	k0 = rusage_ns(RUSAGE_CHILDREN);
	loop_timer_arm(t, 10000000ull, 10000000ull);
	pump_for((uint64_t)seconds * 1000000000ull);
	loop_timer_free(t);
	wall = now_ns() - t0;
	*daemon_pct = 100.0 * (self_cpu_ns() - c0) / wall;
	B.tmux_pct = server ? 100.0 * (proc_cpu_ns(server) - s0) / wall : 0;
	B.cmds_pct = 100.0 * (rusage_ns(RUSAGE_CHILDREN) - k0) / wall;
	*panes_pct = 0;
	for (int i = 0; i < n; i++) {
		double pct = 100.0 * (proc_cpu_ns(pids[i]) - p0[i]) / wall;

		*panes_pct += pct;
		snprintf(B.per_pane + strlen(B.per_pane),
			 sizeof(B.per_pane) - strlen(B.per_pane), "%s%.2f",
			 i ? " / " : "", pct);
	}
}

static int bench_cpu(int seconds)
{
	struct hms_dashboard *d = NULL;
	double dm0, pn0, dm, pn;
	size_t want = 4;
	int err;

	for (int i = 0; i < NPROCS; i++)
		emit_fork(B.next_tgid++);
	bench_cpu_phase(seconds, NULL, &dm0, &pn0);
	err = dash_start(NULL, &d);
	if (err) {
		fprintf(stderr, "bench_dashboard: tmux: %s\n", strerror(-err));
		return 1;
	}
	pump_until(clients_are, &want, 10000000000ull);
	bench_cpu_phase(seconds, d, &dm, &pn);
	printf("cpu with %zu tracked processes, 1000 events/s, %d s: daemon "
	       "%.2f %% + 4 panes %.2f %% = %.2f %% of one core (target <= 5 %%)\n",
	       proctable_count(B.pt), seconds, dm, pn, dm + pn);
	printf("  per pane (processes / events / strategies / metrics in tmux "
	       "order): %s %%; the tmux server drawing them: %.2f %%; the "
	       "tmux commands the daemon ran (status line): %.2f %%\n",
	       B.per_pane, B.tmux_pct, B.cmds_pct);
	printf("  baseline without panes: daemon %.2f %% (includes generating "
	       "the load); ratio with/without %.2fx\n", dm0,
	       dm0 > 0 ? (dm + pn) / dm0 : 0);
	dashboard_free(d);
	return 0;
}

/* Run tmux on our private server (argv, no shell) and wait for it. */
static int bench_tmux_run(const char *const *args)
{
	const char *argv[32] = { "tmux", "-L", B.tmux_name, "-f", "/dev/null" };
	int n = 5, status;
	pid_t pid;

	for (int i = 0; args[i] && n < 31; i++)
		argv[n++] = args[i];
	argv[n] = NULL;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		execvp("tmux", (char *const *)argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return -ECHILD;
	return 0;
}

int main(int argc, char **argv)
{
	struct publisher_opts o = { .socket_group = (gid_t)-1,
				    .viewer_group = (gid_t)-1 };
	int seconds = 10, samples = 300, err = 0;
	ssize_t n;

	if (argc > 1 && !strcmp(argv[1], "view"))
		return view_main(argc - 1, argv + 1);
	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seconds"))
			seconds = atoi(argv[i + 1]);
		else if (!strcmp(argv[i], "--samples"))
			samples = atoi(argv[i + 1]);
	}
	if (seconds < 1 || samples < 10) {
		fprintf(stderr, "usage: bench_dashboard [--seconds N] "
			"[--samples N]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	B.rng = 42;
	B.next_tgid = BASE_TGID + 100;
	n = readlink("/proc/self/exe", B.self, sizeof(B.self) - 1);
	snprintf(B.dir, sizeof(B.dir), "/tmp/hms-bench-XXXXXX");
	if (n <= 0 || !mkdtemp(B.dir))
		return 1;
	snprintf(B.sock, sizeof(B.sock), "%s/hms.sock", B.dir);
	snprintf(B.fifo, sizeof(B.fifo), "%s/trace", B.dir);
	snprintf(B.tmux_name, sizeof(B.tmux_name), "hms-bench-%d", getpid());
	mkfifo(B.fifo, 0600);
	/* read-write: we stay a writer, so no EPOLLHUP without panes */
	B.trace = open(B.fifo, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	o.path = B.sock;
	if (loop_new(&B.loop) || bus_new(&B.bus) ||
	    proctable_new(B.bus, &B.pt) ||
	    publisher_new(&o, B.loop, B.bus, B.pt, &sources, &B.pub) ||
	    loop_add_fd(B.loop, B.trace, EPOLLIN, on_trace, NULL)) {
		fprintf(stderr, "bench_dashboard: setup failed\n");
		return 1;
	}
	/* the daemon runs tmux with a clean environment: the panes get the
	 * trace FIFO from the server's global environment, set first */
	if (bench_tmux_run((const char *[]){ "start-server", ";", "set-option",
		"-s", "exit-empty", "off", ";", "set-environment", "-g",
		"HMS_VIEW_TRACE", B.fifo, NULL })) {
		fprintf(stderr, "bench_dashboard: tmux did not start\n");
		return 1;
	}
	err |= bench_latency(samples);
	err |= bench_cpu(seconds);
	bench_tmux_run((const char *[]){ "kill-server", NULL });
	loop_del_fd(B.loop, B.trace);
	close(B.trace);
	publisher_free(B.pub);
	proctable_free(B.pt);
	bus_free(B.bus);
	loop_free(B.loop);
	unlink(B.fifo);
	rmdir(B.dir);
	{	/* tmux leaves its -L socket file behind */
		char path[256];

		snprintf(path, sizeof(path), "/tmp/tmux-%u/%s",
			 (unsigned)getuid(), B.tmux_name);
		unlink(path);
	}
	return err;
}
