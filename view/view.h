/* SPDX-License-Identifier: BSD-2-Clause */
/* view.h - `hms-ebpf view NAME`: one dashboard pane.  It connects to the
 * daemon's socket, subscribes to what its view needs, redraws when the
 * daemon pushes (no polling) and reconnects when the daemon goes away. */
#ifndef HMS_VIEW_H
#define HMS_VIEW_H

/* argv[0] is "view": view NAME [--socket PATH] [--size WxH]
 * [--trace FILE].  Returns an exit code (0, 1 runtime, 2 usage). */
int view_main(int argc, char **argv);

#endif
