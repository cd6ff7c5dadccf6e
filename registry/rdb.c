// SPDX-License-Identifier: BSD-2-Clause
/* rdb.c - RocksDB, loaded when a store on disk is first opened.  The
 * registry reaches RocksDB's C API only through the table reg_rdb, filled
 * here (common/hms_dl.c) from the library the build was compiled against
 * (REG_ROCKSDB_SONAME, from the Makefile), so that a program that never
 * opens a store on disk - the daemon, whose copy lives in memory
 * (copy.c) - never maps librocksdb, libstdc++ and the compression
 * libraries: about 10 MB of resident memory before any row is read.  Only
 * the store process (`hms-ebpf registry-serve`) and the tools load it. */
#include <errno.h>
#include <pthread.h>
#include "hms_dl.h"
#include "internal.h"

#ifndef REG_ROCKSDB_SONAME
#error "REG_ROCKSDB_SONAME: the Makefile passes librocksdb's soname"
#endif

struct reg_rdb reg_rdb;

static pthread_once_t reg_rdb_once = PTHREAD_ONCE_INIT;
static int reg_rdb_err;
static char reg_rdb_why[256];

static void reg_rdb_dlopen(void)
{
#define REG_RDB_NAME(name) #name,
	static const char *const names[] = { REG_RDB_FUNCS(REG_RDB_NAME) };
#undef REG_RDB_NAME
	void *syms[sizeof(names) / sizeof(names[0])];
	size_t i = 0;

	reg_rdb_err = hms_dl_syms(REG_ROCKSDB_SONAME, "rocksdb_", names, syms,
				  sizeof(names) / sizeof(names[0]),
				  reg_rdb_why, sizeof(reg_rdb_why));
	if (reg_rdb_err)
		return;
#define REG_RDB_SET(name) *(void **)&reg_rdb.name = syms[i++];
	REG_RDB_FUNCS(REG_RDB_SET)
#undef REG_RDB_SET
}

int reg_rdb_load(struct hms_registry *reg)
{
	pthread_once(&reg_rdb_once, reg_rdb_dlopen);
	if (reg_rdb_err)
		return reg_fail(reg, reg_rdb_err, "cannot load RocksDB: %s",
				reg_rdb_why);
	return 0;
}
