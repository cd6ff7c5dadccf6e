// SPDX-License-Identifier: BSD-2-Clause
/* ctl.c - `hms-ebpf ctl`: scripts and operators ask the running daemon
 * what its components do and tell it what to do, over the same unix
 * socket, newline-delimited JSON protocol and SO_PEERCRED permissions as
 * the dashboard panes (docs/dashboard.md).  One request, one answer that
 * says what happened; a table on a terminal, the daemon's JSON with
 * --json.  Exit codes: 0 done, 1 refused or failed, 2 usage.
 * Like the pane client it includes only common/ (the protocol and the
 * sanitizer), no daemon internals. */
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"
#include "hms_proto.h"
#include "hms_sanitize.h"

static const char ctl_usage_text[] =
"Usage: hms-ebpf ctl [--socket PATH] [--json] [--timeout SEC] COMMAND\n"
"Ask the running hms-ebpf about its components or tell it what to do.\n"
"\n"
"Commands:\n"
"  status [NAME]   state, processes, restarts, last failure and the reason\n"
"                  of the last state change (why it gave up), of every\n"
"                  component or of NAME (with NAME also its pressure\n"
"                  thresholds in use and its last OOM kill: RSS, cgroup\n"
"                  usage and limit, memory pressure, mem_pressure before\n"
"                  it and what was done)\n"
"  heal NAME       run NAME's recovery now (no backoff); refused when\n"
"                  paused or stopped, 'already healthy' when it is\n"
"  pause NAME      no recovery until resume (a pending one is cancelled)\n"
"  resume NAME     heal again; a component that failed meanwhile is\n"
"                  recovered at once\n"
"  reset NAME      clear the restart budget and backoff (out of gave_up)\n"
"  start NAME      start NAME's command (also after stop)\n"
"  stop NAME       stop NAME (stop_signal, SIGKILL after stop_timeout_s);\n"
"                  it is not healed until start\n"
"  pin NAME CLASS STRATEGY\n"
"                  recover NAME's CLASS failures (crash, oom, ...) with\n"
"                  STRATEGY, one of its candidates, whatever the registry\n"
"                  learned (strategy_chosen says reason override); until\n"
"                  unpin or a restart of the daemon (components[].pin in\n"
"                  the config lasts)\n"
"  unpin NAME [CLASS]\n"
"                  the registry chooses again (every class without CLASS)\n"
"\n"
"  -s, --socket PATH   daemon socket (default " HMS_PROTO_SOCKET ")\n"
"  -j, --json          print the daemon's answer as one JSON object\n"
"  -t, --timeout SEC   wait at most SEC seconds for the answer (default 10)\n"
"  -h, --help          print this help and exit\n"
"\n"
"Every answer says what happened: 'restart started: strategy S for C',\n"
"'already healthy', 'refused: paused', 'refused: not permitted', 'no such\n"
"component', ...  Root and members of daemon.socket_group may act;\n"
"daemon.viewer_group may only ask for status.\n"
"\n"
"EXIT STATUS\n"
"  0  done (or nothing was needed: 'already healthy')\n"
"  1  refused, failed, no such component, or no daemon on the socket\n"
"  2  usage error\n";

struct ctl {
	const char *path;
	int json;
	int timeout_ms;
	int fd;
	char buf[1 << 20];
	size_t len;
};

static int ctl_usage(const char *why)
{
	if (why)
		fprintf(stderr, "hms-ebpf ctl: %s\n", why);
	fputs("Try 'hms-ebpf ctl --help'.\n", stderr);
	return 2;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The next message from the daemon, or NULL (EOF, timeout: *why says). */
static json_t *ctl_read(struct ctl *c, long long deadline, const char **why)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);
		struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
		long long left = deadline - now_ms();
		ssize_t n;

		if (nl) {
			size_t l = (size_t)(nl - c->buf) + 1;
			json_t *m = json_loadb(c->buf, l - 1, 0, NULL);

			memmove(c->buf, c->buf + l, c->len - l);
			c->len -= l;
			if (m)
				return m;
			continue;
		}
		if (c->len == sizeof(c->buf)) {
			*why = "answer too long";
			return NULL;
		}
		if (left <= 0) {
			*why = "no answer from the daemon (timed out)";
			return NULL;
		}
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
			*why = strerror(errno);
			return NULL;
		}
		if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = recv(c->fd, c->buf + c->len, sizeof(c->buf) - c->len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*why = "the daemon closed the connection";
			return NULL;
		}
		c->len += (size_t)n;
	}
}

static int ctl_connect(struct ctl *c)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	if (strlen(c->path) >= sizeof(sa.sun_path)) {
		fprintf(stderr, "hms-ebpf ctl: socket path too long: %s\n",
			c->path);
		return -ENAMETOOLONG;
	}
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", c->path);
	c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c->fd < 0 || connect(c->fd, (struct sockaddr *)&sa, sizeof(sa))) {
		int err = errno;

		fprintf(stderr, "hms-ebpf ctl: cannot connect to %s: %s (is "
			"hms-ebpf running?)\n", c->path, strerror(err));
		return -err;
	}
	return 0;
}

static const char *str_of(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));

	return s ? s : "";
}

/* Untrusted text from the daemon (comm, causes) to the terminal. */
static void put_safe(const char *s, size_t cols)
{
	char safe[512], fit[512];

	sanitize_str(s, safe, sizeof(safe));
	if (cols) {
		sanitize_fit(safe, cols, 1, fit, sizeof(fit));
		fputs(fit, stdout);
	} else {
		fputs(safe, stdout);
	}
}

static void pids_text(json_t *comp, char *out, size_t len)
{
	json_t *pids = json_object_get(comp, "pids"), *v;
	size_t i, off = 0;

	out[0] = '\0';
	json_array_foreach(pids, i, v) {
		int n = snprintf(out + off, len - off, "%s%lld", i ? "," : "",
				 (long long)json_integer_value(v));

		if (n < 0 || (size_t)n >= len - off)
			break;
		off += (size_t)n;
	}
	if (!out[0])
		snprintf(out, len, "-");
}

static double num_of(json_t *o, const char *key)
{
	return json_number_value(json_object_get(o, key));
}

/* Its PSI triggers: the threshold in use, tuned or as configured. */
static void status_pressure(json_t *arr)
{
	json_t *p;
	size_t i;

	json_array_foreach(arr, i, p) {
		fputs(i ? "              " : "pressure:     ", stdout);
		put_safe(str_of(p, "resource"), 0);
		fputs(" ", stdout);
		put_safe(str_of(p, "line"), 0);
		printf(" %.1f ms in %.0f ms", num_of(p, "stall_ms"),
		       num_of(p, "window_ms"));
		if (num_of(p, "max_ms") > 0)
			printf(" (configured %.1f, tuned up to %.1f)",
			       num_of(p, "configured_ms"), num_of(p, "max_ms"));
		if (!json_is_true(json_object_get(p, "armed")))
			fputs(", not armed", stdout);
		fputs("\n", stdout);
	}
}

/* The last OOM kill's forensics: what answers "why was it killed". */
static void status_oom(json_t *m)
{
	json_t *lim;
	time_t t;
	struct tm tm;
	char when[32] = "?";

	if (!json_is_object(m))
		return;
	t = (time_t)(num_of(m, "time_ms") / 1000);
	if (localtime_r(&t, &tm))
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
	printf("last OOM:     pid %lld at %s, rss %.1f MiB\n",
	       (long long)num_of(m, "pid"), when, num_of(m, "rss_kb") / 1024);
	fputs("  cgroup:     ", stdout);
	lim = json_object_get(m, "cgroup_limit_bytes");
	if (!json_is_true(json_object_get(m, "cgroup_read")))
		fputs("not read", stdout);
	else if (json_is_null(lim))
		printf("usage %.1f MiB (peak %.1f MiB), no limit",
		       num_of(m, "cgroup_usage_bytes") / 1048576,
		       num_of(m, "cgroup_peak_bytes") / 1048576);
	else
		printf("usage %.1f MiB of limit %.1f MiB (peak %.1f MiB)",
		       num_of(m, "cgroup_usage_bytes") / 1048576,
		       num_of(m, "cgroup_limit_bytes") / 1048576,
		       num_of(m, "cgroup_peak_bytes") / 1048576);
	fputs("\n  pressure:   ", stdout);
	if (json_object_get(m, "mem_some_avg10"))
		printf("memory avg10 some %.2f%% full %.2f%%",
		       num_of(m, "mem_some_avg10"), num_of(m, "mem_full_avg10"));
	else
		fputs("not read (no cgroup v2 of its own)", stdout);
	fputs("\n  before it:  ", stdout);
	if (json_is_true(json_object_get(m, "mem_pressure_before"))) {
		printf("mem_pressure %.1f s before, strategy ",
		       num_of(m, "mem_pressure_ago_ms") / 1000);
		put_safe(str_of(m, "mem_pressure_strategy")[0] ?
			 str_of(m, "mem_pressure_strategy") : "-", 0);
		fputs(", did: ", stdout);
		put_safe(str_of(m, "mem_pressure_done")[0] ?
			 str_of(m, "mem_pressure_done") : "nothing yet", 0);
	} else {
		fputs("no mem_pressure failure", stdout);
	}
	fputs("\n", stdout);
}

static void status_one(json_t *comp)
{
	char pids[256];

	pids_text(comp, pids, sizeof(pids));
	fputs("name:         ", stdout);
	put_safe(str_of(comp, "name"), 0);
	fputs("\nstate:        ", stdout);
	put_safe(str_of(comp, "state"), 0);
	if (json_is_true(json_object_get(comp, "paused")))
		fputs(" (paused)", stdout);
	if (json_is_true(json_object_get(comp, "stopped_by_operator")))
		fputs(" (stopped by the operator)", stdout);
	printf("\nmain pid:     %lld\npids:         %s\nrestarts:     %lld\n",
	       (long long)json_integer_value(json_object_get(comp, "pid")),
	       pids, (long long)json_integer_value(json_object_get(comp,
							       "restarts")));
	if (str_of(comp, "pinned")[0]) {
		fputs("pinned:       ", stdout);
		put_safe(str_of(comp, "pinned"), 0);
		fputs(" (ctl unpin NAME: the registry chooses)\n", stdout);
	}
	fputs("last failure: ", stdout);
	put_safe(str_of(comp, "last_failure")[0] ?
		 str_of(comp, "last_failure") : "-", 0);
	if (str_of(comp, "last_cause")[0]) {
		fputs(" (", stdout);
		put_safe(str_of(comp, "last_cause"), 0);
		fputs(")", stdout);
	}
	fputs("\nreason:       ", stdout);
	put_safe(str_of(comp, "reason")[0] ? str_of(comp, "reason") : "-", 0);
	fputs("\n", stdout);
	status_pressure(json_object_get(comp, "pressure"));
	status_oom(json_object_get(comp, "last_oom"));
}

static void status_table(json_t *comps)
{
	json_t *v;
	size_t i;

	printf("%-16s %-10s %-20s %8s  %-12s %s\n", "NAME", "STATE", "PIDS",
	       "RESTARTS", "LAST", "REASON");
	json_array_foreach(comps, i, v) {
		char pids[256], state[64];

		pids_text(v, pids, sizeof(pids));
		snprintf(state, sizeof(state), "%s%s", str_of(v, "state"),
			 json_is_true(json_object_get(v, "paused")) ? "*" : "");
		put_safe(str_of(v, "name"), 16);
		fputs(" ", stdout);
		put_safe(state, 10);
		fputs(" ", stdout);
		put_safe(pids, 20);
		printf(" %8lld  ", (long long)json_integer_value(
			json_object_get(v, "restarts")));
		put_safe(str_of(v, "last_failure")[0] ?
			 str_of(v, "last_failure") : "-", 12);
		fputs(" ", stdout);
		put_safe(str_of(v, "reason"), 0);
		fputs("\n", stdout);
	}
}

/* Print the answer; the exit code. */
static int ctl_answer(struct ctl *c, const char *verb, const char *name,
		      json_t *m)
{
	int ok = json_is_true(json_object_get(m, "ok"));

	if (c->json) {
		char *s = json_dumps(m, JSON_COMPACT);

		if (s)
			puts(s);
		free(s);
	} else if (!strcmp(verb, HMS_CMD_STATUS)) {
		json_t *comps = json_object_get(m, "components");

		if (!ok) {
			fputs("status ", stderr);
			fputs(name, stderr);
			fputs(": no such component\n", stderr);
		} else if (name && json_array_size(comps) == 1) {
			status_one(json_array_get(comps, 0));
		} else {
			status_table(comps);
		}
	} else {
		put_safe(str_of(m, "message"), 0);
		fputs("\n", stdout);
	}
	return ok ? 0 : 1;
}

static int ctl_run(struct ctl *c, const char *verb, const char *name,
		   const char *failure, const char *strategy)
{
	long long deadline = now_ms() + c->timeout_ms;
	const char *why = NULL;
	json_t *m, *req;
	char *line;
	int rc = 1;

	if (ctl_connect(c))
		return 1;
	/* the greeting says whether we may talk at all */
	m = ctl_read(c, deadline, &why);
	if (!m) {
		fprintf(stderr, "hms-ebpf ctl: %s\n", why);
		return 1;
	}
	if (!strcmp(str_of(m, HMS_PROTO_KEY_TYPE), HMS_MSG_ERROR)) {
		if (c->json) {
			json_object_set_new(m, "ok", json_false());
			ctl_answer(c, "error", NULL, m);
		} else {
			fputs("refused: ", stdout);
			put_safe(str_of(m, "message"), 0);
			fputs("\n", stdout);
		}
		json_decref(m);
		return 1;
	}
	json_decref(m);
	req = json_pack("{ss si}", HMS_PROTO_KEY_CMD, verb, "id", 1);
	if (name)
		json_object_set_new(req, "component", json_string(name));
	if (failure)
		json_object_set_new(req, HMS_PROTO_KEY_FAILURE,
				    json_string(failure));
	if (strategy)
		json_object_set_new(req, HMS_PROTO_KEY_STRATEGY,
				    json_string(strategy));
	line = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (!line || send(c->fd, line, strlen(line), MSG_NOSIGNAL) < 0 ||
	    send(c->fd, "\n", 1, MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "hms-ebpf ctl: cannot send: %s\n",
			strerror(errno));
		free(line);
		return 1;
	}
	free(line);
	while ((m = ctl_read(c, deadline, &why))) {
		const char *type = str_of(m, HMS_PROTO_KEY_TYPE);

		if ((!strcmp(type, HMS_MSG_RESULT) ||
		     !strcmp(type, HMS_MSG_STATUS)) &&
		    json_integer_value(json_object_get(m, "id")) == 1) {
			rc = ctl_answer(c, verb, name, m);
			json_decref(m);
			return rc;
		}
		json_decref(m);
	}
	fprintf(stderr, "hms-ebpf ctl: %s\n", why);
	return 1;
}

int ctl_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "json", no_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const verbs[] = { HMS_CMD_STATUS, HMS_VERB_HEAL,
		HMS_VERB_PAUSE, HMS_VERB_RESUME, HMS_VERB_RESET, HMS_VERB_START,
		HMS_VERB_STOP, HMS_VERB_PIN, HMS_VERB_UNPIN };
	/* arguments after the command: at least, at most */
	int min_args, max_args, nargs;
	struct ctl *c = calloc(1, sizeof(*c));
	const char *verb, *name;
	bool known = false;
	char *end;
	long t;
	int o, rc;

	if (!c)
		return 1;
	c->path = HMS_PROTO_SOCKET;
	c->timeout_ms = 10000;
	c->fd = -1;
	optind = 1;
	while ((o = getopt_long(argc, argv, "s:jt:h", opts, NULL)) != -1) {
		switch (o) {
		case 's': c->path = optarg; break;
		case 'j': c->json = 1; break;
		case 't':
			t = strtol(optarg, &end, 10);
			if (*end || t < 1 || t > 3600) {
				free(c);
				return ctl_usage("--timeout wants 1..3600 "
						 "seconds");
			}
			c->timeout_ms = (int)t * 1000;
			break;
		case 'h':
			fputs(ctl_usage_text, stdout);
			free(c);
			return 0;
		default:
			free(c);
			return ctl_usage(NULL);
		}
	}
	if (optind >= argc) {
		free(c);
		return ctl_usage("a command is needed");
	}
	verb = argv[optind];
	name = optind + 1 < argc ? argv[optind + 1] : NULL;
	nargs = argc - optind - 1;
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		known |= !strcmp(verb, verbs[i]);
	min_args = !strcmp(verb, HMS_CMD_STATUS) ? 0 :
		   !strcmp(verb, HMS_VERB_PIN) ? 3 : 1;
	max_args = !strcmp(verb, HMS_VERB_PIN) ? 3 :
		   !strcmp(verb, HMS_VERB_UNPIN) ? 2 : 1;
	rc = -1;
	if (!known)
		rc = ctl_usage("unknown command");
	else if (nargs > max_args)
		rc = ctl_usage("too many arguments");
	else if (!name && min_args)
		rc = ctl_usage("a component NAME is needed");
	else if (nargs < min_args)
		rc = ctl_usage("pin wants NAME CLASS STRATEGY");
	if (rc < 0)
		rc = ctl_run(c, verb, name, nargs > 1 ? argv[optind + 2] : NULL,
			     nargs > 2 ? argv[optind + 3] : NULL);
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	return rc;
}
