/* SPDX-License-Identifier: BSD-2-Clause */
/* metrics_mhd.h - libmicrohttpd as one table of function pointers,
 * loaded when the metrics endpoint starts (metrics_mhd.c says why). */
#ifndef HMS_METRICS_MHD_H
#define HMS_METRICS_MHD_H

#include <stddef.h>
#include <microhttpd.h>

/* X(name) for each MHD_name the endpoint calls. */
#define METRICS_MHD_FUNCS(X)						\
	X(start_daemon) X(stop_daemon) X(run) X(get_timeout)		\
	X(get_daemon_info) X(create_response_from_buffer)		\
	X(add_response_header) X(queue_response) X(destroy_response)

struct metrics_mhd {
#define METRICS_MHD_PTR(name) __typeof__(MHD_##name) *name;
	METRICS_MHD_FUNCS(METRICS_MHD_PTR)
#undef METRICS_MHD_PTR
};
extern struct metrics_mhd metrics_mhd;

/* Load libmicrohttpd once; 0 or -ELIBACC with the reason in why. */
int metrics_mhd_load(char *why, size_t len);

#endif
