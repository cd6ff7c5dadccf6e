// SPDX-License-Identifier: BSD-2-Clause
/* healer_index.c - the healer's lookups that must not cost O(components)
 * per event: which component owns a pid, and which components an exec'd
 * process may match (by comm, executable path or inode, cgroup path or
 * the pid a pidfile names).  The match index is built once per config;
 * pidfiles are re-read when they change (one inotify fd for all of them),
 * never on every exec.  healer_scan_all adopts from one pass over the
 * process table for every component that wants it. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include "healer_int.h"
#include "loop.h"
#include "proctable.h"

#define HIDX_BUCKETS	4096

struct hidx_node {
	struct hidx_node *next;
	uint64_t hash;
	size_t *v;		/* component indices, ascending */
	size_t n, cap;
	char key[];
};

struct healer_index {
	/* pid -> component: open addressing, linear probing */
	pid_t *pkeys;
	struct hcomp **pvals;
	size_t pcap, pn;
	/* match key -> components */
	struct hidx_node *b[HIDX_BUCKETS];
	size_t *cand;		/* lookup result, n_comps long */
	size_t n_cand_max;
	char *seen;		/* per component, during a lookup */
	size_t n_poll;		/* pidfile components without a watch */
	size_t *poll;
	int ifd;		/* inotify on the pidfiles' directories */
	struct hms_loop *loop;
};

static uint64_t hidx_hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

static struct hidx_node *hidx_find(const struct healer_index *x,
				   const char *key)
{
	uint64_t h = hidx_hash(key);
	struct hidx_node *n = x->b[h % HIDX_BUCKETS];

	for (; n; n = n->next)
		if (n->hash == h && !strcmp(n->key, key))
			return n;
	return NULL;
}

static int hidx_add(struct healer_index *x, const char *key, size_t ci)
{
	struct hidx_node *n = hidx_find(x, key);

	if (!n) {
		uint64_t h = hidx_hash(key);

		n = calloc(1, sizeof(*n) + strlen(key) + 1);
		if (!n)
			return -ENOMEM;
		strcpy(n->key, key);
		n->hash = h;
		n->next = x->b[h % HIDX_BUCKETS];
		x->b[h % HIDX_BUCKETS] = n;
	}
	for (size_t i = 0; i < n->n; i++)
		if (n->v[i] == ci)
			return 0;
	if (n->n == n->cap) {
		size_t cap = n->cap ? 2 * n->cap : 2;
		size_t *v = realloc(n->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		n->v = v;
		n->cap = cap;
	}
	n->v[n->n++] = ci;
	return 0;
}

static void hidx_del(struct healer_index *x, const char *key, size_t ci)
{
	struct hidx_node *n = hidx_find(x, key);

	for (size_t i = 0; n && i < n->n; i++)
		if (n->v[i] == ci) {
			memmove(&n->v[i], &n->v[i + 1],
				(n->n - i - 1) * sizeof(*n->v));
			n->n--;
			return;
		}
}

/* ---- pid -> component ---- */

static size_t pid_slot(const struct healer_index *x, pid_t pid)
{
	return ((uint32_t)pid * 2654435761u) & (x->pcap - 1);
}

static int pid_grow(struct healer_index *x)
{
	size_t cap = x->pcap ? 2 * x->pcap : 256, oc = x->pcap;
	pid_t *ok = x->pkeys;
	struct hcomp **ov = x->pvals;

	x->pkeys = calloc(cap, sizeof(*x->pkeys));
	x->pvals = calloc(cap, sizeof(*x->pvals));
	if (!x->pkeys || !x->pvals) {
		free(x->pkeys);
		free(x->pvals);
		x->pkeys = ok;
		x->pvals = ov;
		return -ENOMEM;
	}
	x->pcap = cap;
	x->pn = 0;
	for (size_t i = 0; i < oc; i++)
		if (ok[i] > 0) {
			size_t s = pid_slot(x, ok[i]);

			while (x->pkeys[s])
				s = (s + 1) & (x->pcap - 1);
			x->pkeys[s] = ok[i];
			x->pvals[s] = ov[i];
			x->pn++;
		}
	free(ok);
	free(ov);
	return 0;
}

void healer_pidmap_set(struct hms_healer *h, pid_t pid, struct hcomp *c)
{
	struct healer_index *x = h->idx;
	size_t s;

	if (!x || pid <= 0)
		return;
	if ((x->pn + 1) * 2 > x->pcap && pid_grow(x))
		return;
	s = pid_slot(x, pid);
	while (x->pkeys[s] && x->pkeys[s] != pid)
		s = (s + 1) & (x->pcap - 1);
	if (!x->pkeys[s])
		x->pn++;
	x->pkeys[s] = pid;
	x->pvals[s] = c;
}

void healer_pidmap_del(struct hms_healer *h, pid_t pid, struct hcomp *c)
{
	struct healer_index *x = h->idx;
	size_t s, j;

	if (!x || !x->pcap || pid <= 0)
		return;
	s = pid_slot(x, pid);
	while (x->pkeys[s] && x->pkeys[s] != pid)
		s = (s + 1) & (x->pcap - 1);
	if (!x->pkeys[s] || (c && x->pvals[s] != c))
		return;
	/* backward-shift deletion: no tombstones */
	x->pkeys[s] = 0;
	x->pvals[s] = NULL;
	x->pn--;
	for (j = (s + 1) & (x->pcap - 1); x->pkeys[j];
	     j = (j + 1) & (x->pcap - 1)) {
		size_t home = pid_slot(x, x->pkeys[j]);
		pid_t k = x->pkeys[j];
		struct hcomp *v = x->pvals[j];

		/* can the entry at j move to the hole at s? */
		if ((j > s && (home <= s || home > j)) ||
		    (j < s && (home <= s && home > j))) {
			x->pkeys[s] = k;
			x->pvals[s] = v;
			x->pkeys[j] = 0;
			x->pvals[j] = NULL;
			s = j;
		}
	}
}

struct hcomp *healer_pidmap_get(const struct hms_healer *h, pid_t pid)
{
	const struct healer_index *x = h->idx;
	size_t s;

	if (!x || !x->pcap || pid <= 0)
		return NULL;
	s = pid_slot(x, pid);
	while (x->pkeys[s] && x->pkeys[s] != pid)
		s = (s + 1) & (x->pcap - 1);
	return x->pkeys[s] ? x->pvals[s] : NULL;
}

/* After the components moved (a reload): every pid again. */
static void pidmap_rebuild(struct hms_healer *h)
{
	struct healer_index *x = h->idx;

	if (x->pcap) {
		memset(x->pkeys, 0, x->pcap * sizeof(*x->pkeys));
		memset(x->pvals, 0, x->pcap * sizeof(*x->pvals));
	}
	x->pn = 0;
	for (size_t i = 0; i < h->n_comps; i++)
		for (size_t k = 0; k < h->comps[i].n_pids; k++)
			healer_pidmap_set(h, h->comps[i].pids[k], &h->comps[i]);
}

/* ---- match keys ---- */

static void key_comm(char *k, size_t len, const char *comm)
{
	snprintf(k, len, "c%.*s", HMS_COMM_LEN - 1, comm);
}

static void key_inode(char *k, size_t len, uint64_t dev, uint64_t ino)
{
	snprintf(k, len, "i%" PRIu64 ":%" PRIu64, dev, ino);
}

static void key_pid(char *k, size_t len, pid_t pid)
{
	snprintf(k, len, "p%d", (int)pid);
}

static pid_t pidfile_read(const char *path)
{
	char buf[32];

	if (healer_read_small(path, buf, sizeof(buf)))
		return 0;
	return (pid_t)atoi(buf);
}

/* Re-read c's pidfile and move its key. */
static void pidfile_update(struct hms_healer *h, struct hcomp *c)
{
	char k[32];
	pid_t pid = pidfile_read(c->cc->match_value);

	if (pid == c->pidfile_pid)
		return;
	if (c->pidfile_pid > 0) {
		key_pid(k, sizeof(k), c->pidfile_pid);
		hidx_del(h->idx, k, (size_t)(c - h->comps));
	}
	c->pidfile_pid = pid;
	if (pid > 0) {
		key_pid(k, sizeof(k), pid);
		hidx_add(h->idx, k, (size_t)(c - h->comps));
	}
}

static void pidfile_on_inotify(int fd, uint32_t events, void *arg)
{
	struct hms_healer *h = arg;
	char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	ssize_t n;

	(void)events;
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		for (char *p = buf; p < buf + n;) {
			const struct inotify_event *e = (const void *)p;
			char k[NAME_MAX + 32];
			struct hidx_node *nd;

			p += sizeof(*e) + e->len;
			if (!e->len)
				continue;
			snprintf(k, sizeof(k), "w%d/%s", e->wd, e->name);
			nd = hidx_find(h->idx, k);
			for (size_t i = 0; nd && i < nd->n; i++) {
				struct hcomp *c = &h->comps[nd->v[i]];

				pidfile_update(h, c);
				if (c->pidfile_pid > 0)
					healer_pidfile_changed(c,
							       c->pidfile_pid);
			}
		}
	}
}

static int pidfile_watch(struct hms_healer *h, struct hcomp *c, size_t ci)
{
	struct healer_index *x = h->idx;
	char dir[PATH_MAX], k[NAME_MAX + 32];
	const char *path = c->cc->match_value, *slash = strrchr(path, '/');
	int wd;

	if (!slash || slash == path || (size_t)(slash - path) >= sizeof(dir))
		return -EINVAL;
	if (x->ifd < 0) {
		x->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (x->ifd < 0)
			return -errno;
		if (loop_add_fd(h->loop, x->ifd, EPOLLIN, pidfile_on_inotify,
				h)) {
			close(x->ifd);
			x->ifd = -1;
			return -ENOMEM;
		}
	}
	memcpy(dir, path, slash - path);
	dir[slash - path] = '\0';
	wd = inotify_add_watch(x->ifd, dir, IN_CLOSE_WRITE | IN_MOVED_TO |
			       IN_CREATE | IN_DELETE | IN_MOVED_FROM);
	if (wd < 0)
		return -errno;
	snprintf(k, sizeof(k), "w%d/%s", wd, slash + 1);
	return hidx_add(x, k, ci);
}

static int index_comp(struct hms_healer *h, struct hcomp *c, size_t ci)
{
	const struct cfg_component *cc = c->cc;
	char k[PATH_MAX + 32], real[PATH_MAX];
	struct stat st;
	int err = 0;

	switch (cc->match) {
	case MATCH_COMM:
		key_comm(k, sizeof(k), cc->match_value);
		return hidx_add(h->idx, k, ci);
	case MATCH_EXE:
		/* the path /proc/PID/exe shows, and the inode: either finds
		 * the candidate, the inode check decides (healer_adopt.c) */
		snprintf(k, sizeof(k), "e%s", realpath(cc->match_value, real) ?
			 real : cc->match_value);
		err = hidx_add(h->idx, k, ci);
		if (!err && stat(cc->match_value, &st) == 0) {
			key_inode(k, sizeof(k), st.st_dev, st.st_ino);
			err = hidx_add(h->idx, k, ci);
		}
		return err;
	case MATCH_CGROUP:
		snprintf(k, sizeof(k), "g%s", cc->match_value);
		return hidx_add(h->idx, k, ci);
	case MATCH_PIDFILE:
		c->pidfile_pid = 0;
		if (pidfile_watch(h, c, ci)) {
			/* no directory to watch: read it at every exec */
			h->idx->poll[h->idx->n_poll++] = ci;
			return 0;
		}
		pidfile_update(h, c);
		return 0;
	default:
		return 0;
	}
}

void healer_index_free(struct hms_healer *h)
{
	struct healer_index *x = h ? h->idx : NULL;

	if (!x)
		return;
	for (size_t i = 0; i < HIDX_BUCKETS; i++) {
		struct hidx_node *n = x->b[i], *next;

		for (; n; n = next) {
			next = n->next;
			free(n->v);
			free(n);
		}
	}
	if (x->ifd >= 0) {
		loop_del_fd(x->loop, x->ifd);
		close(x->ifd);
	}
	free(x->pkeys);
	free(x->pvals);
	free(x->cand);
	free(x->seen);
	free(x->poll);
	free(x);
	h->idx = NULL;
}

/* Once per config (start, reload): the match index from the
 * components, the pid map from their pids. */
int healer_index_build(struct hms_healer *h)
{
	struct healer_index *x, *old = h->idx;
	int err = 0;

	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	x->ifd = -1;
	x->loop = h->loop;
	x->cand = calloc(h->n_comps + 1, sizeof(*x->cand));
	x->seen = calloc(h->n_comps + 1, 1);
	x->poll = calloc(h->n_comps + 1, sizeof(*x->poll));
	if (old) {	/* keep the pid map's storage */
		x->pkeys = old->pkeys;
		x->pvals = old->pvals;
		x->pcap = old->pcap;
		old->pkeys = NULL;
		old->pvals = NULL;
		old->pcap = 0;
		healer_index_free(h);
	}
	h->idx = x;
	if (!x->cand || !x->seen || !x->poll)
		err = -ENOMEM;
	for (size_t i = 0; !err && i < h->n_comps; i++)
		err = index_comp(h, &h->comps[i], i);
	if (err) {
		/* no index: every lookup is a linear search (correct) */
		healer_index_free(h);
		return err;
	}
	pidmap_rebuild(h);
	return 0;
}

static void cand_add_key(struct healer_index *x, const char *key, size_t *n)
{
	struct hidx_node *nd = hidx_find(x, key);

	for (size_t i = 0; nd && i < nd->n; i++)
		if (!x->seen[nd->v[i]]) {
			x->seen[nd->v[i]] = 1;
			x->cand[(*n)++] = nd->v[i];
		}
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* The components a process (its table row) may match, in config order:
 * O(candidates), whatever the number of components.  Without an index
 * (out of memory) every component is a candidate: SIZE_MAX. */
size_t healer_index_candidates(struct hms_healer *h, const struct hms_proc *p,
			       const size_t **out)
{
	struct healer_index *x = h->idx;
	char k[sizeof(p->exe) + 32];
	size_t n = 0;

	*out = NULL;
	if (!x)
		return SIZE_MAX;
	if (!p)
		return 0;
	key_comm(k, sizeof(k), p->comm);
	cand_add_key(x, k, &n);
	if (p->exe[0]) {
		snprintf(k, sizeof(k), "e%s", p->exe);
		cand_add_key(x, k, &n);
	}
	if (p->exe_ino) {
		key_inode(k, sizeof(k), p->exe_dev, p->exe_ino);
		cand_add_key(x, k, &n);
	}
	if (p->cgroup[0]) {
		snprintf(k, sizeof(k), "g%s", p->cgroup);
		cand_add_key(x, k, &n);
	}
	key_pid(k, sizeof(k), (pid_t)p->tgid);
	cand_add_key(x, k, &n);
	for (size_t i = 0; i < x->n_poll; i++)
		if (!x->seen[x->poll[i]]) {
			x->seen[x->poll[i]] = 1;
			x->cand[n++] = x->poll[i];
		}
	for (size_t i = 0; i < n; i++)
		x->seen[x->cand[i]] = 0;
	if (n > 1)
		qsort(x->cand, n, sizeof(*x->cand), cmp_size);
	*out = x->cand;
	return n;
}
