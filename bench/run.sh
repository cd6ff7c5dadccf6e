#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# bench/run.sh - runs every benchmark program (make bench) and prints its
# figures.  Needs root for the BPF benches.  Figures only: no verdicts.
set -u
OUTPUT=${OUTPUT:-.output}
DAEMON=${DAEMON:-$OUTPUT/hms-ebpf}
export OUTPUT DAEMON
for b in "$OUTPUT"/bench/bench_*; do
	[ -x "$b" ] || continue
	echo "== ${b#$OUTPUT/}"
	"$b" || echo "(${b#$OUTPUT/} exited with $?)"
done
