// SPDX-License-Identifier: BSD-2-Clause
/*
 * main.c - command line of hms-ebpf: parses options and hands over to the
 * daemon, to --check-config, to a dashboard pane (`hms-ebpf view`) or
 * to the command client (`hms-ebpf ctl`).
 * Exit codes: 0 ok, 1 runtime failure, 2 usage or configuration error.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "config.h"
#include "ctl.h"
#include "daemon.h"
#include "event.h"
#include "log.h"
#include "procfs.h"
#include "registry.h"
#include "view.h"

static const char usage_text[] =
"Usage: hms-ebpf [OPTION]...\n"
"       hms-ebpf view NAME [--socket PATH] [--size WxH] [--trace FILE]\n"
"       hms-ebpf ctl [--socket PATH] [--json] [--timeout SEC] COMMAND\n"
"Self-healing host monitor: eBPF sensors see process, socket and scheduler\n"
"failures as they happen; configured components are healed; what worked\n"
"is learned; everything is shown live in tmux.\n"
"\n"
"Options:\n"
"  -c, --config FILE    configuration (default " CONFIG_DEFAULT_PATH ";\n"
"                       the embedded default is used when it does not exist)\n"
"      --check-config   validate the configuration, print every error as\n"
"                       FILE:LINE:COL: key: message, exit 0 or 2; also\n"
"                       checks this host: commands exist and are\n"
"                       executable, users, groups, cwd and cgroup exist\n"
"      --no-host-checks with --check-config: the file only (for a config\n"
"                       meant for another machine)\n"
"  -n, --dry-run        decide and publish recoveries, run none\n"
"  -j, --json           stream every event as one JSON object per line\n"
"                       on stdout (docs/events.md, docs/events.schema.json)\n"
"      --json-file PATH the same lines appended to PATH (reopened on\n"
"                       SIGHUP, for logrotate) instead of stdout\n"
"      --json-types LIST  stream only these event types (comma-separated:\n"
"                       exit,signal,failure; overrides daemon.json_types)\n"
"      --json-exclude LIST  leave these types out (fork,exec,runq_latency;\n"
"                       overrides daemon.json_exclude)\n"
"      --no-tmux        run headless (no tmux session)\n"
"  -a, --attach         attach to the tmux session at once (on a terminal)\n"
"      --layout NAME    dashboard layout (overrides dashboard.layout)\n"
"      --session NAME   tmux session name (overrides dashboard.session)\n"
"      --socket PATH    dashboard socket (overrides daemon.socket)\n"
"      --registry DIR   knowledge registry (overrides daemon.registry)\n"
"  -d, --duration SEC   stop after SEC seconds\n"
"  -v, --verbose        one log level more detail than daemon.log_level\n"
"                       (default info; repeatable: -v from info is debug)\n"
"                       and libbpf warnings (twice: libbpf debug too)\n"
"  -V, --version        print the version and exit\n"
"  -h, --help           print this help and exit\n"
"\n"
"Commands (each has --help):\n"
"  view NAME            a dashboard pane: processes, events, metrics,\n"
"                       strategies\n"
"  ctl COMMAND          ask the running daemon: status [NAME], heal, pause,\n"
"                       resume, reset, start, stop NAME\n"
"  registry-serve DIR   the registry's store process (the daemon starts\n"
"                       it; not for a shell)\n"
"\n"
"Signals: SIGINT/SIGTERM stop cleanly (every BPF program is unloaded),\n"
"SIGHUP reloads the configuration (an invalid one is rejected and the old\n"
"one stays in force) and reopens the --json-file.  Under systemd\n"
"(Type=notify) the daemon reports READY, RELOADING and STOPPING and\n"
"pings the watchdog (WatchdogSec=).\n"
"Prometheus metrics are served at http://LISTEN/metrics when the config\n"
"sets metrics.listen.  Must run as root.\n"
"\n"
"EXIT STATUS\n"
"  0  stopped cleanly (signal or --duration); --check-config: valid\n"
"  1  runtime failure: not root, sensors or healer failed to start,\n"
"     another hms-ebpf runs with the same socket\n"
"  2  usage or configuration error\n"
"\n"
"See hms-ebpf(8), hms.yaml(5), hms-registry(8), README.md and docs/.\n";

enum { OPT_CHECK = 256, OPT_NO_HOST_CHECKS, OPT_NO_TMUX, OPT_LAYOUT, OPT_SESSION, OPT_SOCKET,
       OPT_REGISTRY, OPT_JSON_FILE, OPT_JSON_TYPES, OPT_JSON_EXCLUDE };

static const struct option long_opts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "check-config", no_argument, NULL, OPT_CHECK },
	{ "no-host-checks", no_argument, NULL, OPT_NO_HOST_CHECKS },
	{ "dry-run", no_argument, NULL, 'n' },
	{ "json", no_argument, NULL, 'j' },
	{ "json-file", required_argument, NULL, OPT_JSON_FILE },
	{ "json-types", required_argument, NULL, OPT_JSON_TYPES },
	{ "json-exclude", required_argument, NULL, OPT_JSON_EXCLUDE },
	{ "no-tmux", no_argument, NULL, OPT_NO_TMUX },
	{ "attach", no_argument, NULL, 'a' },
	{ "layout", required_argument, NULL, OPT_LAYOUT },
	{ "session", required_argument, NULL, OPT_SESSION },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "registry", required_argument, NULL, OPT_REGISTRY },
	{ "duration", required_argument, NULL, 'd' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int main_check_config(const char *path, bool host_checks)
{
	struct hms_config *cfg = NULL;
	int err, n;

	/* input libfyaml cannot finish with is an error, not a hang */
	config_parse_deadline(CONFIG_PARSE_LIMIT_S);
	err = config_load(path ? path : CONFIG_DEFAULT_PATH, &cfg, stderr);
	config_parse_deadline(0);
	if (err) {
		if (err != -EINVAL)
			log_error("%s: %s", path ? path : CONFIG_DEFAULT_PATH,
				  strerror(-err));
		return 2;
	}
	n = host_checks ? config_check_host(cfg, stderr) : 0;
	if (n) {
		log_error("%s: %d problem%s on this host (--no-host-checks "
			  "skips these checks)", cfg->path, n,
			  n == 1 ? "" : "s");
		config_free(cfg);
		return 2;
	}
	log_notice("%s: configuration is valid "
		   "(%zu components, %zu strategies)",
		   cfg->path, cfg->n_components, cfg->n_strategies);
	config_free(cfg);
	return 0;
}

/* --json-types / --json-exclude LIST */
static int main_json_types(const char *opt, const char *arg, uint64_t bits[2],
			   bool *set)
{
	char bad[64];

	if (event_types_parse(arg, bits, bad, sizeof(bad))) {
		log_error("%s: unknown event type '%s' (the types: exec, fork, "
			  "exit, signal, oom, hang, connect_fail, sock_error, "
			  "tcp_reset_recv, tcp_reset_send, tcp_retransmit, "
			  "runq_latency, stats, component_state, action, "
			  "strategy_chosen, outcome, alert, failure)", opt, bad);
		return -EINVAL;
	}
	*set = true;
	return 0;
}

static int main_duration(const char *arg, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || v == 0 || v > 31536000ULL)
		return -EINVAL;
	*out = v;
	return 0;
}

/* The registry's store process, started by the daemon with the socket
 * as stdin (userspace/registry_proc.c, registry/serve.c). */
static int main_registry_serve(int argc, char **argv)
{
	static const char help[] =
"Usage: hms-ebpf registry-serve DIR\n"
"The knowledge registry's store process: the only process that opens the\n"
"registry DIR on disk while the daemon runs.  The daemon starts it with a\n"
"socket as stdin (and again when it ends); not meant to be run by hand.\n"
"\n"
"EXIT STATUS\n"
"  0   the daemon closed the socket\n"
"  75  the store failed (full disk, I/O error): the daemon starts a new one\n"
"  2   usage error\n";
	int err;

	if (argc == 2 && !strcmp(argv[1], "--help")) {
		fputs(help, stdout);
		return 0;
	}
	if (argc != 2 || argv[1][0] != '/') {
		fputs(help, stderr);
		return 2;
	}
	err = registry_serve(argv[1], 0);
	if (err)
		fprintf(stderr, "hms-ebpf registry-serve %s: %s\n", argv[1],
			strerror(-err));
	return err ? 75 : 0;	/* EX_TEMPFAIL: the daemon starts it again */
}

int main(int argc, char **argv)
{
	struct daemon_opts o = {0};
	char self[4096];
	bool check = false, host_checks = true;
	int err;
	int c;

	if (argc > 1 && !strcmp(argv[1], "view"))
		return view_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "ctl"))
		return ctl_main(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "registry-serve"))
		return main_registry_serve(argc - 1, argv + 1);
	while ((c = getopt_long(argc, argv, "c:njad:vVh", long_opts,
				NULL)) != -1) {
		switch (c) {
		case 'c': o.config_path = optarg; break;
		case OPT_CHECK: check = true; break;
		case OPT_NO_HOST_CHECKS: host_checks = false; break;
		case 'n': o.dry_run = true; break;
		case 'j': o.json = true; break;
		case OPT_JSON_FILE: o.json_file = optarg; break;
		case OPT_JSON_TYPES:
			if (main_json_types("--json-types", optarg,
					    o.json_types, &o.json_types_set))
				return 2;
			break;
		case OPT_JSON_EXCLUDE:
			if (main_json_types("--json-exclude", optarg,
					    o.json_exclude,
					    &o.json_exclude_set))
				return 2;
			break;
		case OPT_NO_TMUX: o.no_tmux = true; break;
		case 'a': o.attach = true; break;
		case OPT_LAYOUT: o.layout = optarg; break;
		case OPT_SESSION: o.session = optarg; break;
		case OPT_SOCKET: o.socket = optarg; break;
		case OPT_REGISTRY: o.registry = optarg; break;
		case 'd':
			if (main_duration(optarg, &o.duration_s)) {
				log_error("--duration wants "
					  "whole seconds (1..31536000), got "
					  "'%s'",
					  optarg);
				return 2;
			}
			break;
		case 'v':
			o.verbose++;
			/* until the config says otherwise */
			log_set_level(log_level_raise(HMS_LOG_INFO,
						      o.verbose));
			break;
		case 'V': printf("hms-ebpf %s\n", HMS_VERSION); return 0;
		case 'h': fputs(usage_text, stdout); return 0;
		default:
			fputs("Try 'hms-ebpf --help'.\n", stderr);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "hms-ebpf: unexpected argument '%s'\n"
			"Try 'hms-ebpf --help'.\n", argv[optind]);
		return 2;
	}
	if ((o.json_types_set || o.json_exclude_set) && !o.json &&
	    !o.json_file) {
		log_error("--json-types and --json-exclude choose what --json "
			  "or --json-file writes: give one of them");
		return 2;
	}
	if (check)
		return main_check_config(o.config_path, host_checks);
	/* panes run this binary: its real path, not /proc/self/exe (which
	 * would name tmux inside the pane) */
	err = procfs_exe_read(getpid(), self, sizeof(self));
	if (err) {
		log_error("cannot resolve /proc/self/exe: %s", strerror(-err));
		return 1;
	}
	o.self_exe = self;
	return daemon_run(&o);
}
