#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# demo/run.sh - `make demo`: hms-ebpf with demo/demo.yaml.in and three
# flaky services (demo/flaky_*.c): crashy segfaults at random, leaky leaks
# memory until the OOM killer ends it in a small memory cgroup, webby
# refuses connections in bursts.  Within two minutes the dashboard shows
# detection, healing, backoff and the learned strategy changing (crashy's
# first choice, `note-only`, only writes a note and fails its
# verification; the registry learns that `restart` heals).
#
#   demo/run.sh [--no-tmux] [--duration SEC] [--state DIR] [--keep]
#
# With tmux (the default) the dashboard is the tmux session hms-demo,
# attached when this runs on a terminal (detaching, Ctrl-b d, ends the
# demo; without a terminal: `tmux attach -t hms-demo`, Ctrl-C here ends it).
# --no-tmux runs headless for at most --duration seconds (default 120),
# stops as soon as a crash of crashy was healed (from `hms-ebpf ctl`),
# prints a summary and exits 0 when it saw one, 1 otherwise.
# State (config, registry, logs) goes to --state (default /tmp/hms-demo);
# the registry is wiped at start unless --keep.  Everything it started
# (daemon, services, memory cgroup) is removed when it ends.
# Environment: OUTPUT (build dir, default .output), HMS_DEMO_PORT (webby's
# port, default 18080), HMS_DEMO_LEAK_MB (leaky's cgroup limit, 64).
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
OUTPUT=${OUTPUT:-.output}
case "$OUTPUT" in /*) out=$OUTPUT ;; *) out=$top/$OUTPUT ;; esac
daemon=$out/hms-ebpf
tmux=1
duration=""
state=/tmp/hms-demo
keep=0
port=${HMS_DEMO_PORT:-18080}
leak_mb=${HMS_DEMO_LEAK_MB:-64}

usage() {
	sed -n 's/^#   //p' "$0" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case "$1" in
	--no-tmux) tmux=0 ;;
	--duration) [ $# -ge 2 ] || usage; duration=$2; shift ;;
	--state) [ $# -ge 2 ] || usage; state=$2; shift ;;
	--keep) keep=1 ;;
	-h|--help) usage ;;
	*) echo "demo/run.sh: unknown argument $1" >&2; usage ;;
	esac
	shift
done
case "$duration" in ''|*[!0-9]*) [ -z "$duration" ] || usage ;; esac
[ -n "$duration" ] || { [ $tmux -eq 1 ] || duration=120; }

if [ "$(id -u)" -ne 0 ]; then
	echo "demo/run.sh: the demo loads BPF programs: run it as root" \
	     "(sudo make demo, or make demo in a root shell)" >&2
	exit 1
fi
for f in "$daemon" "$out/demo/hms-demo-crash" "$out/demo/hms-demo-leak" \
	 "$out/demo/hms-demo-web" "$out/plugins/example_action.so"; do
	[ -x "$f" ] || [ -f "$f" ] || {
		echo "demo/run.sh: $f missing: build with make demo" >&2
		exit 1
	}
done
if [ $tmux -eq 1 ] && ! command -v tmux >/dev/null; then
	echo "demo/run.sh: tmux missing (apt-get install tmux), or --no-tmux" >&2
	exit 1
fi

if [ $tmux -eq 1 ]; then
	# one tmux demo at a time: the session name hms-demo is shared
	exec 9>/tmp/hms-demo-tmux.lock
	flock -n 9 || {
		echo "demo/run.sh: another make demo runs in tmux session" \
		     "hms-demo; stop it first (or use --no-tmux)" >&2
		exit 1
	}
fi

# ---- the small memory cgroup of leaky (v2 if memory is there, else v1)
cg=""
cg_make() {
	if [ -e /sys/fs/cgroup/cgroup.controllers ] &&
	   grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
		cg=/sys/fs/cgroup/hms-demo-leak-$$
		grep -qw memory /sys/fs/cgroup/cgroup.subtree_control ||
			echo +memory >/sys/fs/cgroup/cgroup.subtree_control
		mkdir -p "$cg" && echo "${leak_mb}M" >"$cg/memory.max" &&
			echo 0 >"$cg/memory.swap.max" 2>/dev/null
	elif [ -d /sys/fs/cgroup/memory ]; then
		cg=/sys/fs/cgroup/memory/hms-demo-leak-$$
		mkdir -p "$cg" &&
			echo "${leak_mb}M" >"$cg/memory.limit_in_bytes" &&
			{ [ ! -e "$cg/memory.memsw.limit_in_bytes" ] ||
			  echo "${leak_mb}M" >"$cg/memory.memsw.limit_in_bytes"; }
	else
		echo "demo/run.sh: no memory cgroup controller found" >&2
		return 1
	fi
}

daemon_pid=""
cleanup() {
	trap - EXIT INT TERM HUP
	if [ -n "$daemon_pid" ] && kill -0 "$daemon_pid" 2>/dev/null; then
		kill -TERM "$daemon_pid" 2>/dev/null	# stops what it spawned
		i=0
		while kill -0 "$daemon_pid" 2>/dev/null && [ $i -lt 100 ]; do
			sleep 0.1; i=$((i + 1))
		done
		kill -KILL "$daemon_pid" 2>/dev/null
		wait "$daemon_pid" 2>/dev/null
	fi
	if [ -n "$cg" ] && [ -d "$cg" ]; then
		for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do
			kill -KILL "$p" 2>/dev/null
		done
		i=0
		while ! rmdir "$cg" 2>/dev/null && [ $i -lt 50 ]; do
			sleep 0.1; i=$((i + 1))
		done
	fi
	[ $tmux -eq 1 ] && tmux kill-session -t hms-demo 2>/dev/null
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

mkdir -p "$state" && chmod 0755 "$state" || exit 1
[ $keep -eq 1 ] || rm -rf "$state/registry"
rm -f "$state/notes.txt" "$state/events.jsonl" "$state/daemon.log"
cg_make || exit 1
sed -e "s|@BIN@|$out/demo|g" -e "s|@PLUGINS@|$out/plugins|g" \
    -e "s|@STATE@|$state|g" -e "s|@CGROUP@|$cg|g" -e "s|@PORT@|$port|g" \
    "$here/demo.yaml.in" >"$state/demo.yaml" && chmod 0644 "$state/demo.yaml" ||
	exit 1
"$daemon" --check-config --config "$state/demo.yaml" || exit 1
ctl() {
	"$daemon" ctl --socket "$state/hms.sock" "$@"
}

if [ $tmux -eq 1 ]; then
	tmux kill-session -t hms-demo 2>/dev/null
	"$daemon" --config "$state/demo.yaml" --session hms-demo --json \
		${duration:+--duration "$duration"} \
		>"$state/events.jsonl" 2>"$state/daemon.log" &
	daemon_pid=$!
	i=0
	until tmux has-session -t hms-demo 2>/dev/null; do
		kill -0 "$daemon_pid" 2>/dev/null && [ $i -lt 300 ] || {
			echo "demo/run.sh: no dashboard; see $state/daemon.log" >&2
			tail -n 5 "$state/daemon.log" >&2
			exit 1
		}
		sleep 0.1
		i=$((i + 1))
	done
	echo "hms-ebpf demo: dashboard in tmux session hms-demo."
	echo "  daemon log: $state/daemon.log; events: $state/events.jsonl"
	echo "  ask it:     $daemon ctl --socket $state/hms.sock status"
	if [ -n "${TMUX:-}" ] && tmux switch-client -t hms-demo 2>/dev/null; then
		echo "  (inside tmux: switched to it; Ctrl-C here stops the demo)"
	elif [ -t 0 ] && [ -t 1 ]; then
		# the client in this terminal; detaching (Ctrl-b d) ends the
		# demo, and so does the daemon's end (--duration): the session
		# goes with it
		(while kill -0 "$daemon_pid" 2>/dev/null; do sleep 1; done
		 tmux kill-session -t hms-demo 2>/dev/null) &
		watcher=$!
		tmux attach -t hms-demo
		kill "$watcher" 2>/dev/null
		echo "dashboard closed (detached, or --duration over): stopping the demo"
		exit 0
	fi
	echo "  attach:     tmux attach -t hms-demo (Ctrl-C here stops the demo)"
	wait "$daemon_pid"
	exit $?
fi

# ---- headless: until crashy's crash is healed, at most $duration s
"$daemon" --config "$state/demo.yaml" --no-tmux --json \
	--duration "$((duration + 30))" \
	>"$state/events.jsonl" 2>"$state/daemon.log" &
daemon_pid=$!
echo "hms-ebpf demo (headless, at most ${duration} s): state in $state"
echo "memory cgroup of leaky: $cg"
healed=0
t=0
while [ $t -lt "$duration" ] && kill -0 "$daemon_pid" 2>/dev/null; do
	sleep 2
	t=$((t + 2))
	st=$(ctl status crashy 2>/dev/null) || continue
	restarts=$(printf '%s\n' "$st" | sed -n 's/^restarts: *\([0-9]*\).*/\1/p')
	# healed: restarted (crashy only ever fails by crashing; the
	# failure after a strategy that did not heal is `missing`) and
	# healthy again now
	if [ "${restarts:-0}" -ge 1 ] &&
	   printf '%s\n' "$st" | grep -q '^state: *healthy'; then
		healed=1
		break
	fi
done
echo "---- hms-ebpf ctl status after ${t} s"
ctl status
echo "---- events seen"
for ty in failure strategy_chosen action outcome alert; do
	printf '%-16s %s\n' "$ty" "$(grep -c "\"type\":\"$ty\"" "$state/events.jsonl")"
done
if [ $healed -eq 1 ]; then
	echo "demo: a crash of crashy was detected and healed (restarts: $restarts)"
	exit 0
fi
echo "demo: no healed crash of crashy within ${duration} s" \
     "(see $state/daemon.log)" >&2
exit 1
