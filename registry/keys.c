// SPDX-License-Identifier: BSD-2-Clause
/* keys.c - key encoding and name validation of the registry (the names
 * themselves are common/hms_names.c's).
 *
 * Times and ids are stored big-endian so that RocksDB's bytewise order is
 * time order: a range scan over a prefix comes out oldest-first and a
 * reverse scan newest-first.  Text prefixes end in a NUL byte so that
 * "api" never matches the keys of "api2". */
#include <errno.h>
#include <string.h>
#include "hms_names.h"
#include "internal.h"

int registry_failure_valid(const char *failure)
{
	return hms_failure_from_name(failure) >= 0;
}

/* Only kinds a strategy chain may hold (not start/stop). */
int registry_action_valid(const char *kind)
{
	return hms_action_is_chain(hms_action_kind_from_name(kind));
}

int registry_name_valid(const char *name)
{
	size_t i;

	if (!name || !name[0])
		return 0;
	for (i = 0; name[i]; i++) {
		char c = name[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			    (c >= '0' && c <= '9');

		if (i >= 31)
			return 0;
		if (!alnum && (i == 0 || (c != '_' && c != '-' && c != '.')))
			return 0;
	}
	return 1;
}

void reg_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = v & 0xff;
}

uint64_t reg_get_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Copy src into dst[cap] with NUL; -ENAMETOOLONG when it does not fit. */
int reg_copy(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= cap) {
		if (cap) {
			memcpy(dst, src, cap - 1);
			dst[cap - 1] = 0;
		}
		return -ENAMETOOLONG;
	}
	memcpy(dst, src ? src : "", n + 1);
	return 0;
}

/* [prefix \0] time(8) id(8); prefix NULL for the plain time index. */
size_t reg_key_index(uint8_t *buf, size_t cap, const char *prefix,
		     uint64_t time_ns, uint64_t id)
{
	size_t n = prefix ? strlen(prefix) + 1 : 0;

	if (n + 16 > cap)
		return 0;
	if (prefix)
		memcpy(buf, prefix, n);
	reg_be64(buf + n, time_ns);
	reg_be64(buf + n + 8, id);
	return n + 16;
}

size_t reg_key_evidence(char *buf, size_t cap, const char *component,
			const char *failure, const char *strategy)
{
	size_t a = strlen(component) + 1, b = strlen(failure) + 1;
	size_t c = strlen(strategy);

	if (a + b + c > cap)
		return 0;
	memcpy(buf, component, a);
	memcpy(buf + a, failure, b);
	memcpy(buf + a + b, strategy, c);
	return a + b + c;
}

/* strategy \0 time(8) incident(8) seq(4) */
size_t reg_key_outcome(uint8_t *buf, size_t cap, const char *strategy,
		       uint64_t time_ns, uint64_t incident, uint32_t seq)
{
	size_t n = strlen(strategy) + 1;

	if (n + 20 > cap)
		return 0;
	memcpy(buf, strategy, n);
	reg_be64(buf + n, time_ns);
	reg_be64(buf + n + 8, incident);
	buf[n + 16] = seq >> 24;
	buf[n + 17] = seq >> 16;
	buf[n + 18] = seq >> 8;
	buf[n + 19] = seq;
	return n + 20;
}
