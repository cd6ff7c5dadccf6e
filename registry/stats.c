/* stats.c - what the store holds and how big it is, for `hms-registry
 * stats` and the dashboard, and manual compaction. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "internal.h"

static uint64_t reg_count(struct hms_registry *reg, int cf)
{
	rocksdb_iterator_t *it;
	uint64_t n = 0;

	if (!reg->cf[cf])
		return 0;
	it = rocksdb_create_iterator_cf(reg->db, reg->ro, reg->cf[cf]);
	for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it);
	     rocksdb_iter_next(it))
		n++;
	rocksdb_iter_destroy(it);
	return n;
}

static uint64_t reg_disk_bytes(const char *dir)
{
	char path[4096];
	struct dirent *d;
	struct stat st;
	uint64_t sum = 0;
	DIR *dp = opendir(dir);

	if (!dp)
		return 0;
	while ((d = readdir(dp))) {
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (!stat(path, &st) && S_ISREG(st.st_mode))
			sum += st.st_size;
	}
	closedir(dp);
	return sum;
}

int registry_get_stats(struct hms_registry *reg, struct registry_stats *st)
{
	char buf[64];

	memset(st, 0, sizeof(*st));
	if (!reg_meta_get(reg, "schema_version", buf, sizeof(buf)))
		st->schema_version = atoi(buf);
	if (!reg_meta_get(reg, "created_ns", buf, sizeof(buf)))
		st->created_ns = strtoull(buf, NULL, 10);
	reg_meta_get(reg, "host", st->host, sizeof(st->host));
	st->incidents = reg_count(reg, CF_INCIDENTS);
	st->outcomes = reg_count(reg, CF_OUTCOMES);
	st->strategies = reg_count(reg, CF_STRATEGIES);
	st->evidence = reg->nev;
	st->disk_bytes = reg_disk_bytes(reg->dir);
	return 0;
}

int registry_compact(struct hms_registry *reg)
{
	int i;

	if (reg->readonly)
		return reg_fail(reg, -EROFS, "store is open read-only");
	for (i = 0; i < REG_NCF; i++)
		if (reg->cf[i])
			rocksdb_compact_range_cf(reg->db, reg->cf[i], NULL, 0,
						 NULL, 0);
	return 0;
}
