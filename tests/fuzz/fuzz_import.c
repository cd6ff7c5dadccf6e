// SPDX-License-Identifier: BSD-2-Clause
/* fuzz_import.c - libFuzzer target for `hms-registry import`: the input
 * is an export file, imported into a real RocksDB store in a private
 * temporary directory through the public registry API.  A dry run must
 * accept or refuse it with a message, never crash; what a dry run
 * accepts is imported for real, and then the store must still answer
 * (stats, export) and its export must import again (the round trip the
 * tool promises), so that no accepted number can poison the store. */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "registry.h"

static char fz_dir[256];
static char fz_db[300], fz_in[300], fz_out[300];
static struct hms_registry *fz_reg;

static int fz_rm(const char *path, const struct stat *st, int flag,
		 struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path) ? -1 : 0;
}

static void fz_cleanup(void)
{
	registry_close(fz_reg);
	if (nftw(fz_dir, fz_rm, 16, FTW_DEPTH | FTW_PHYS))
		fprintf(stderr, "fuzz_import: could not remove %s\n", fz_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_mkdtemp(fz_dir, sizeof(fz_dir), "fuzz-import");
	snprintf(fz_db, sizeof(fz_db), "%s/db", fz_dir);
	snprintf(fz_in, sizeof(fz_in), "%s/in.json", fz_dir);
	snprintf(fz_out, sizeof(fz_out), "%s/out.json", fz_dir);
	if (registry_open(fz_db, &fz_reg))
		abort();
	atexit(fz_cleanup);
	return 0;
}

static void fz_write(const char *path, const uint8_t *data, size_t size)
{
	FILE *f = fopen(path, "w");

	if (!f || (size && fwrite(data, size, 1, f) != 1) || fclose(f))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct registry_stats st;
	FILE *f;
	int n;

	fz_write(fz_in, data, size);
	n = registry_import(fz_reg, fz_in, 1);
	if (n < 0) {
		if (!registry_last_error(fz_reg)[0])
			fz_fail("import refused without a message", fz_in);
		return 0;
	}
	if (registry_import(fz_reg, fz_in, 0) != n)
		fz_fail("import differs from its dry run", registry_last_error(fz_reg));
	if (registry_get_stats(fz_reg, &st))
		fz_fail("stats fail after an accepted import", registry_last_error(fz_reg));
	f = fopen(fz_out, "w");
	if (!f)
		abort();
	if (registry_export(fz_reg, f))
		fz_fail("export fails after an accepted import", registry_last_error(fz_reg));
	if (fclose(f))
		abort();
	if (registry_import(fz_reg, fz_out, 1) < 0)
		fz_fail("the store's export does not import", registry_last_error(fz_reg));
	return 0;
}
