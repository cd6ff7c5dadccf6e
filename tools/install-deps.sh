#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Installs the Debian packages hms-ebpf builds and runs with, and only those
# that are missing: a second run on a complete machine installs nothing.
set -eu

PKGS="make gcc clang llvm pkg-config libbpf-dev bpftool libelf-dev zlib1g-dev \
librocksdb-dev libcmocka-dev tmux libfyaml-dev libjansson-dev libmicrohttpd-dev libsystemd-dev \
libcurl4-openssl-dev"
# test-only: promtool (in Debian's prometheus package) checks the /metrics
# page; systemd-analyze (package systemd) verifies the unit when present;
# alertmanager (prometheus-alertmanager) receives the Alertmanager sink's
# alerts in its test (libcurl4-openssl-dev builds that plugin);
# python3-jsonschema validates the --json lines against
# docs/events.schema.json (tests/schema_validate.py)
# libFuzzer (make fuzz, make test) comes with the compiler-rt package of
# the installed clang (Debian 12: clang 14)
clang_major=$(clang -dumpversion 2>/dev/null | cut -d. -f1)
TEST_PKGS="prometheus prometheus-alertmanager python3-jsonschema libclang-rt-${clang_major:-14}-dev"

missing=""
for p in $PKGS $TEST_PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages:$missing" >&2
	echo "install-deps: run as root (sudo make ...) to install them" >&2
	exit 1
fi

echo "install-deps: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >&2
