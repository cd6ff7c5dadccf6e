// SPDX-License-Identifier: BSD-2-Clause
/* metrics_mhd.c - libmicrohttpd, loaded (common/hms_dl.c) by the soname
 * the build found (METRICS_MHD_SONAME, from the Makefile) when the
 * metrics endpoint starts, not linked: it brings GnuTLS and its chain
 * (p11-kit, nettle, gmp, libtasn1, libunistring...), about 2.4 MB
 * resident, which a daemon without metrics.listen never needs. */
#include <stdio.h>
#include "hms_dl.h"
#include "metrics_mhd.h"

#ifndef METRICS_MHD_SONAME
#error "METRICS_MHD_SONAME: the Makefile passes libmicrohttpd's soname"
#endif

struct metrics_mhd metrics_mhd;

int metrics_mhd_load(char *why, size_t len)
{
#define METRICS_MHD_NAME(name) #name,
	static const char *const names[] = {
		METRICS_MHD_FUNCS(METRICS_MHD_NAME)
	};
#undef METRICS_MHD_NAME
	void *syms[sizeof(names) / sizeof(names[0])];
	static int loaded;
	size_t i = 0;
	int err;

	if (loaded)	/* the daemon's one thread: no race */
		return 0;
	err = hms_dl_syms(METRICS_MHD_SONAME, "MHD_", names, syms,
			  sizeof(names) / sizeof(names[0]), why, len);
	if (err)
		return err;
#define METRICS_MHD_SET(name) *(void **)&metrics_mhd.name = syms[i++];
	METRICS_MHD_FUNCS(METRICS_MHD_SET)
#undef METRICS_MHD_SET
	loaded = 1;
	return 0;
}
