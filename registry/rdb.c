// SPDX-License-Identifier: BSD-2-Clause
/* rdb.c - RocksDB, loaded when a store on disk is first opened.  The
 * registry reaches RocksDB's C API only through the table reg_rdb, filled
 * here by dlopen of the library the build was compiled against
 * (REG_ROCKSDB_SONAME, from the Makefile) and dlsym of each function, so
 * that a program that never opens a store on disk - the daemon, whose
 * copy lives in memory (copy.c) - never maps librocksdb, libstdc++ and
 * the compression libraries: about 10 MB of resident memory before any
 * row is read.  Only the store process (`hms-ebpf registry-serve`) and
 * the tools load it. */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include "internal.h"

#ifndef REG_ROCKSDB_SONAME
#error "REG_ROCKSDB_SONAME: the Makefile passes librocksdb's soname"
#endif

struct reg_rdb reg_rdb;

static pthread_once_t reg_rdb_once = PTHREAD_ONCE_INIT;
static char reg_rdb_err[256];	/* "" once every function was found */

static void reg_rdb_dlopen(void)
{
	void *h = dlopen(REG_ROCKSDB_SONAME, RTLD_NOW | RTLD_LOCAL);
	const char *e;

	if (!h) {
		e = dlerror();
		snprintf(reg_rdb_err, sizeof(reg_rdb_err), "%s",
			 e ? e : "dlopen " REG_ROCKSDB_SONAME " failed");
		return;
	}
#define REG_RDB_SYM(name)						\
	*(void **)&reg_rdb.name = dlsym(h, "rocksdb_" #name);		\
	if (!reg_rdb.name) {						\
		snprintf(reg_rdb_err, sizeof(reg_rdb_err),		\
			 "%s: no symbol rocksdb_%s", REG_ROCKSDB_SONAME,	\
			 #name);					\
		return;							\
	}
	REG_RDB_FUNCS(REG_RDB_SYM)
#undef REG_RDB_SYM
	/* never closed: RocksDB's static state lives as long as we do */
}

int reg_rdb_load(struct hms_registry *reg)
{
	pthread_once(&reg_rdb_once, reg_rdb_dlopen);
	if (reg_rdb_err[0])
		return reg_fail(reg, -ELIBACC, "cannot load RocksDB: %s",
				reg_rdb_err);
	return 0;
}
