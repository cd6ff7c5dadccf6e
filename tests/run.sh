#!/bin/sh
# tests/run.sh [unit|integration|all] - runs every test binary that the
# Makefile built, unit tests first, and prints each one's cmocka output
# (stderr merged, so the summary lines stay in the log).  Ends with one
# line "tests: N passed, N failed" over all test cases; exits non-zero when
# any test failed or any binary died without a summary.
set -u
OUTPUT=${OUTPUT:-.output}
DAEMON=${DAEMON:-$OUTPUT/hms-ebpf}
export OUTPUT DAEMON
what=${1:-all}
passed=0
failed=0
broken=""
log=$(mktemp /tmp/hms-test-log.XXXXXX)
trap 'rm -f "$log"' EXIT

run_one() {
	t=$1
	echo "== ${t#$OUTPUT/}"
	# timeout leads its own process group: whatever the test left
	# running in it is killed afterwards
	timeout 600 "$t" >"$log" 2>&1 &
	tpid=$!
	wait "$tpid"
	rc=$?
	kill -KILL -- "-$tpid" 2>/dev/null
	cat "$log"
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
unit|all) run_dir unit ;;
esac
case "$what" in
integration|all)
	if [ "$(id -u)" -ne 0 ]; then
		echo "tests/run.sh: integration tests need root (sudo make test): skipped" >&2
	else
		mountpoint -q /sys/kernel/tracing || mount -t tracefs tracefs /sys/kernel/tracing
		mountpoint -q /sys/fs/bpf || mount -t bpf bpf /sys/fs/bpf
		run_dir integration
	fi
	;;
esac

[ -n "$broken" ] && echo "tests/run.sh: died without a verdict:$broken"
echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
