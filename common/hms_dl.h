/* SPDX-License-Identifier: BSD-2-Clause */
/* hms_dl.h - a library loaded at run time, only by the process that needs
 * it, as one table of function pointers (hms_dl.c says why). */
#ifndef HMS_DL_H
#define HMS_DL_H

#include <stddef.h>

/* dlopen soname (never closed) and resolve prefix+names[i] into syms[i]
 * for i < n.  0, or -ELIBACC with the reason in why. */
int hms_dl_syms(const char *soname, const char *prefix,
		const char *const *names, void **syms, size_t n, char *why,
		size_t whylen);

#endif
