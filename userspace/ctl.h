/* SPDX-License-Identifier: BSD-2-Clause */
/* ctl.h - `hms-ebpf ctl`: one request to the running daemon over the
 * dashboard socket (the panes' protocol and permissions) and its answer,
 * for scripts and operators. */
#ifndef HMS_CTL_H
#define HMS_CTL_H

/* argv[0] is "ctl": ctl [--socket PATH] [--json] [--timeout SEC]
 * status [NAME] | heal|pause|resume|reset|start|stop NAME.
 * Returns the exit code: 0 done, 1 refused or failed, 2 usage. */
int ctl_main(int argc, char **argv);

#endif
