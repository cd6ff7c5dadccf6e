#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# tests/run.sh [unit|integration|fuzz|all]... - runs every test binary that
# the Makefile built, unit tests first, the fuzz targets last (a few
# seconds each, tests/fuzz/run.sh), and prints each one's cmocka output
# (stderr merged, so the summary lines stay in the log).  Ends with one
# line "tests: N passed, N failed" over all test cases; exits non-zero when
# any test failed or any binary died without a summary.  Several kinds may
# be named (make test TESTS="unit integration" skips the fuzz pass, as the
# second, SANITIZE=1 run of .ci/run does: the fuzzers are the same ASan
# build either way).
set -u
OUTPUT=${OUTPUT:-.output}
DAEMON=${DAEMON:-$OUTPUT/hms-ebpf}
export OUTPUT DAEMON
what=" ${*:-all} "
passed=0
failed=0
broken=""
log=$(mktemp /tmp/hms-test-log.XXXXXX)
trap 'rm -f "$log"' EXIT

# Each test runs in a cgroup of its own when we can make one (root, cgroup
# v2): whatever it leaves behind, daemonized or not, is killed with it.
cg_root=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts 2>/dev/null)
[ "$(id -u)" -eq 0 ] && [ -n "$cg_root" ] && [ -w "$cg_root" ] || cg_root=""
n=0

cg_kill() {
	cg=$1
	[ -d "$cg" ] || return 0
	if [ -e "$cg/cgroup.kill" ]; then
		echo 1 >"$cg/cgroup.kill" 2>/dev/null
	else
		for p in $(cat "$cg/cgroup.procs" 2>/dev/null); do kill -KILL "$p" 2>/dev/null; done
	fi
	i=0
	while [ -s "$cg/cgroup.procs" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	rmdir "$cg" 2>/dev/null
}

run_one() {
	t=$1
	n=$((n + 1))
	echo "== ${t#$OUTPUT/}"
	t0=$(date +%s)
	cg=""
	if [ -n "$cg_root" ]; then
		cg="$cg_root/hms-test-run-$$-$n"
		mkdir "$cg" 2>/dev/null || cg=""
	fi
	# timeout leads its own process group: what the test left running in
	# it is killed afterwards, and the whole cgroup when there is one
	sh -c '[ -n "$1" ] && echo $$ >"$1/cgroup.procs"; shift; exec "$@"' \
		sh "$cg" timeout 600 "$t" >"$log" 2>&1 &
	tpid=$!
	wait "$tpid"
	rc=$?
	kill -KILL -- "-$tpid" 2>/dev/null
	[ -n "$cg" ] && cg_kill "$cg"
	cat "$log"
	echo "== ${t#$OUTPUT/}: $(($(date +%s) - t0)) s"
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test(s), listed below.*/\1/p' "$log" | tail -n 1)
	passed=$((passed + ${p:-0}))
	failed=$((failed + ${f:-0}))
	if [ "$rc" -ne 0 ] && [ -z "$f" ]; then
		# died (signal, sanitizer, timeout) without a cmocka verdict
		failed=$((failed + 1))
		broken="$broken ${t#$OUTPUT/}(rc=$rc)"
	fi
}

run_dir() {
	for t in "$OUTPUT/tests/$1"/test_*; do
		[ -x "$t" ] || continue
		case "$t" in *.o|*.d) continue ;; esac
		run_one "$t"
	done
}

case "$what" in
*" unit "*|*" all "*) run_dir unit ;;
esac
case "$what" in
*" integration "*|*" all "*)
	if [ "$(id -u)" -ne 0 ]; then
		echo "tests/run.sh: integration tests need root (as root: make test): skipped" >&2
	else
		mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
		mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
		run_dir integration
	fi
	;;
esac

case "$what" in
*" fuzz "*|*" all "*)
	# libFuzzer targets (make fuzzers), a few seconds each
	fz=${FUZZ_OUT:-.output/fuzz}
	if ls "$fz"/fuzz_* >/dev/null 2>&1; then
		FUZZ_OUT=$fz FUZZ_SEED=${FUZZ_SEED:-1} \
			"$(dirname "$0")/fuzz/run.sh" "${FUZZ_TEST_SECONDS:-3}" >"$log" 2>&1
		cat "$log"
		p=$(sed -n 's/^fuzz: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p' "$log")
		f=$(sed -n 's/^fuzz: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p' "$log")
		passed=$((passed + ${p:-0}))
		failed=$((failed + ${f:-1}))
	fi
	;;
esac

[ -n "$broken" ] && echo "tests/run.sh: died without a verdict:$broken"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
