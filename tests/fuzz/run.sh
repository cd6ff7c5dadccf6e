#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# tests/fuzz/run.sh SECONDS - runs every libFuzzer target built under
# $FUZZ_OUT (.output/fuzz): first over its committed seeds and regression
# cases (tests/fuzz/corpus/NAME, tests/fuzz/regress/NAME: each must pass),
# then for SECONDS of fuzzing from a scratch copy of them (the committed
# corpus is never written).  A crash, leak, timeout or property failure
# leaves its input in the scratch directory, named in the output: copy it
# to tests/fuzz/regress/NAME/ once fixed.  FUZZ_SEED=N makes the mutations
# repeatable (make test uses a fixed seed).  Prints one line per target in
# cmocka's summary form so that tests/run.sh counts it.
set -u
FUZZ_OUT=${FUZZ_OUT:-.output/fuzz}
secs=${1:-3}
here=$(dirname "$0")
passed=0
failed=0
work=$(mktemp -d /tmp/hms-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT

for f in "$FUZZ_OUT"/fuzz_*; do
	[ -x "$f" ] || continue
	case "$f" in *.o|*.d) continue ;; esac
	name=$(basename "$f")
	echo "== fuzz/$name ($secs s)"
	dirs=""
	for d in "$here/corpus/$name" "$here/regress/$name"; do
		[ -d "$d" ] && dirs="$dirs $d"
	done
	scratch="$work/$name"
	export TMPDIR="$scratch"
	mkdir -p "$scratch/corpus" "$scratch/crash"
	ok=1
	# shellcheck disable=SC2086
	if ! "$f" -runs=0 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$scratch/crash/" $dirs >"$scratch/log" 2>&1; then
		ok=0
		echo "fuzz/$name: a committed seed or regression case fails:"
	elif [ "$secs" -gt 0 ]; then
		# shellcheck disable=SC2086
		"$f" -max_total_time="$secs" ${FUZZ_SEED:+-seed=$FUZZ_SEED} -timeout=10 -rss_limit_mb=2048 \
			-max_len=8192 -print_final_stats=0 \
			-artifact_prefix="$scratch/crash/" \
			"$scratch/corpus" $dirs >"$scratch/log" 2>&1 || ok=0
		[ $ok -eq 1 ] || echo "fuzz/$name: found a failing input:"
	fi
	if [ $ok -eq 1 ]; then
		tail -n 1 "$scratch/log"
		passed=$((passed + 1))
		echo "[  PASSED  ] 1 test(s)."
	else
		tail -n 40 "$scratch/log"
		for a in "$scratch"/crash/*; do
			[ -e "$a" ] || continue
			keep="/tmp/hms-fuzz-$name-$(basename "$a")"
			cp "$a" "$keep"
			echo "fuzz/$name: input kept in $keep (base64: $(head -c 300 "$a" | base64 -w0))"
		done
		failed=$((failed + 1))
		echo "[  FAILED  ] 1 test(s), listed below:"
		echo "[  FAILED  ] fuzz/$name"
	fi
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
