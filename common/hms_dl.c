// SPDX-License-Identifier: BSD-2-Clause
/* hms_dl.c - the one loader of a library at run time.  A library only
 * some processes use is not linked by the program: the daemon would map
 * it (and what it needs) whether it uses it or not.  RocksDB (registry/
 * rdb.c: only the store process and the tools open a store on disk) and
 * libmicrohttpd with its TLS chain (userspace/metrics_mhd.c: only with
 * metrics.listen) are loaded here, by the soname the build found, into a
 * table of function pointers typed from the library's own header. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include "hms_dl.h"

int hms_dl_syms(const char *soname, const char *prefix,
		const char *const *names, void **syms, size_t n, char *why,
		size_t whylen)
{
	void *h = dlopen(soname, RTLD_NOW | RTLD_LOCAL);
	const char *e;
	size_t i;

	if (!h) {
		e = dlerror();
		snprintf(why, whylen, "%s", e ? e : soname);
		return -ELIBACC;
	}
	for (i = 0; i < n; i++) {
		char sym[128];

		snprintf(sym, sizeof(sym), "%s%s", prefix, names[i]);
		syms[i] = dlsym(h, sym);
		if (!syms[i]) {
			snprintf(why, whylen, "%s: no symbol %s", soname, sym);
			return -ELIBACC;
		}
	}
	return 0;	/* never closed: its state lives as long as we do */
}
