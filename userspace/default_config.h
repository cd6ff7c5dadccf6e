/* SPDX-License-Identifier: BSD-2-Clause */
/* default_config.h - the configuration compiled into hms-ebpf, used when
 * /etc/hms-ebpf/hms.yaml does not exist: watch every process for crashes,
 * fatal signals from others and OOM kills, publish them, take no action. */
#ifndef HMS_DEFAULT_CONFIG_H
#define HMS_DEFAULT_CONFIG_H

static const char hms_default_config_yaml[] =
	"# hms-ebpf embedded default configuration\n"
	"version: 1\n"
	"daemon:\n"
	"  registry: /var/lib/hms-ebpf/registry\n"
	"  socket: /run/hms-ebpf/hms.sock\n"
	"  socket_group: hms\n"
	"  dry_run: false\n"
	"sensors:\n"
	"  runq_latency_us: 20000\n"
	"  bulk_rate_per_sec: 1000\n"
	"dashboard:\n"
	"  session: hms\n"
	"  layout: default\n"
	"watch:\n"
	"  all: true\n"
	"  classes: [crash, killed, oom]\n"
	"components: []\n";

#endif
