// SPDX-License-Identifier: BSD-2-Clause
/*
 * sensors.c - owns the BPF side: opens, configures, loads and attaches the
 * proc/net/sched skeletons (a distinct message per step), shares one set
 * of ring buffers and maps between them, and drains the rings into the bus
 * from the event loop.  No libbpf type leaves this file.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/vfs.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "bus.h"
#include "event.h"
#include "log.h"
#include "loop.h"
#include "sensors.h"
#include "sensors_int.h"
#include "proc.skel.h"
#include "net.skel.h"
#include "sched.skel.h"

#define SENSORS_FAMILY_OPS(n)						\
static void *n##_open(void) { return n##_bpf__open(); }			\
static int n##_load(void *s) { return n##_bpf__load(s); }		\
static void n##_destroy(void *s) { n##_bpf__destroy(s); }		\
static struct bpf_object *n##_obj(void *s) { return ((struct n##_bpf *)s)->obj; } \
static struct sensors_maps n##_maps(void *s)				\
{ return SENSORS_MAPS_OF((struct n##_bpf *)s); }

SENSORS_FAMILY_OPS(proc)
SENSORS_FAMILY_OPS(net)
SENSORS_FAMILY_OPS(sched)


static int sensors_verbose;

static int sensors_libbpf_print(enum libbpf_print_level level,
				const char *fmt, va_list ap)
{
	char buf[1024];
	int n;

	if (level == LIBBPF_DEBUG && sensors_verbose < 2)
		return 0;
	if (!sensors_verbose)
		return 0;
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n > 0 && buf[strlen(buf) - 1] == '\n')
		buf[strlen(buf) - 1] = '\0';
	log_msg(level == LIBBPF_WARN ? HMS_LOG_WARNING :
		level == LIBBPF_INFO ? HMS_LOG_INFO : HMS_LOG_DEBUG,
		"libbpf: %s", buf);
	return n;
}

void sensors_opts_default(struct sensors_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->families = SENSORS_ALL;
	o->runq_threshold_ns = 20000ULL * 1000;
	o->bulk_rate_per_sec = 1000;
	o->critical_ring_kb = 256;
	o->bulk_ring_kb = 1024;
	o->bulk_drain_ms = 20;
	o->stats_interval_s = 0;	/* on demand: --json asks for 10 */
}

static uint32_t sensors_ring_bytes(uint32_t kb)
{
	uint32_t bytes = 4096, want = kb * 1024;

	while (bytes < want && bytes < (1u << 30))
		bytes <<= 1;
	return bytes;
}

int sensors_reuse_maps(struct hms_sensors *s, const struct sensors_maps *m)
{
	struct bpf_map *const *mine = (struct bpf_map *const *)&s->maps;
	struct bpf_map *const *theirs = (struct bpf_map *const *)m;
	int err = 0;

	for (size_t i = 0; !err && i < sizeof(*m) / sizeof(*mine); i++)
		if (theirs[i])
			err = bpf_map__reuse_fd(theirs[i],
						bpf_map__fd(mine[i]));
	return err;
}

/* Number of arguments tracepoint tp passes to tp_btf programs (from the
 * btf_trace_<tp> typedef: pointer to a func proto whose first parameter is
 * the context), or -1 when the kernel does not say. */
static int sensors_tp_args(const struct btf *btf, const char *tp)
{
	char name[128];
	const struct btf_type *t;
	__s32 id;

	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id < 0)
		return -1;
	t = btf__type_by_id(btf, id);			/* typedef */
	t = t ? btf__type_by_id(btf, t->type) : NULL;	/* pointer */
	t = t && btf_is_ptr(t) ? btf__type_by_id(btf, t->type) : NULL;
	if (!t || !btf_is_func_proto(t))
		return -1;
	return btf_vlen(t) - 1;
}

/* Programs with a modern and a legacy variant: load exactly one, chosen
 * from what this kernel's tracepoint passes. */
static void sensors_pick_variants(struct sensors_fam *f)
{
	static const struct {
		const char *modern, *legacy, *tp;
		int args;
	} v[] = {
		{ "hms_exit", "hms_exit_legacy", "sched_process_exit", 2 },
		{ "hms_oom", "hms_oom_legacy", "mark_victim", 2 },
	};
	struct btf *btf = btf__load_vmlinux_btf();

	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		int modern = btf && sensors_tp_args(btf, v[i].tp) >= v[i].args;

		if (f->nskip < SENSORS_MAX_SKIP)
			f->skip[f->nskip++] = strdup(modern ? v[i].legacy
							    : v[i].modern);
	}
	btf__free(btf);
}

static int sensors_fam_skipped(const struct sensors_fam *f, const char *prog)
{
	for (int i = 0; i < f->nskip; i++)
		if (f->skip[i] && !strcmp(f->skip[i], prog))
			return 1;
	return 0;
}

/* Open and configure one family; only_prog limits autoload to one
 * program (used to find which program the kernel refuses). */
static int sensors_fam_open(struct hms_sensors *s, struct sensors_fam *f,
		       const char *only_prog)
{
	struct bpf_program *prog;
	struct bpf_object *obj;
	int err;

	f->skel = f->open();
	if (!f->skel) {
		err = -errno;
		log_error("sensors: open %s: %s", f->name, strerror(-err));
		return err;
	}
	obj = f->obj(f->skel);
	bpf_object__for_each_program(prog, obj) {
		const char *n = bpf_program__name(prog);
		int on = only_prog ? !strcmp(n, only_prog)
				   : !sensors_fam_skipped(f, n);

		bpf_program__set_autoload(prog, on);
	}
	if (f == &s->fam[0]) {
		s->maps = f->maps(f->skel);
		err = bpf_map__set_max_entries(s->maps.critical_rb,
			sensors_ring_bytes(s->opts.critical_ring_kb));
		err = err ?: bpf_map__set_max_entries(s->maps.bulk_rb,
			sensors_ring_bytes(s->opts.bulk_ring_kb));
	} else {
		struct sensors_maps m = f->maps(f->skel);

		err = sensors_reuse_maps(s, &m);
	}
	if (err) {
		log_error("sensors: configure %s: %s", f->name, strerror(-err));
		f->destroy(f->skel);
		f->skel = NULL;
	}
	return err;
}

/* The whole object failed to load: load each program alone to find the
 * ones the kernel refuses, report them and leave them out. */
static int sensors_fam_probe(struct hms_sensors *s, struct sensors_fam *f)
{
	const char *names[SENSORS_MAX_SKIP];
	struct bpf_program *prog;
	int n = 0, err;

	err = sensors_fam_open(s, f, "");
	if (err)
		return err;
	bpf_object__for_each_program(prog, f->obj(f->skel))
		if (n < SENSORS_MAX_SKIP)
			names[n++] = strdup(bpf_program__name(prog));
	f->destroy(f->skel);
	f->skel = NULL;
	for (int i = 0; i < n; i++) {
		if (!names[i] || sensors_fam_open(s, f, names[i]))
			continue;
		err = f->load(f->skel);
		f->destroy(f->skel);
		f->skel = NULL;
		if (err && f->nskip < SENSORS_MAX_SKIP) {
			log_warning("sensors: %s/%s refused by the kernel "
				    "(%s): skipped",
				    f->name, names[i], strerror(-err));
			f->skip[f->nskip++] = names[i];
			s->nskipped++;
			names[i] = NULL;
		}
	}
	for (int i = 0; i < n; i++)
		free((void *)names[i]);
	return 0;
}

static int sensors_fam_load(struct hms_sensors *s, struct sensors_fam *f)
{
	int err = sensors_fam_open(s, f, NULL);

	if (err)
		return err;
	err = f->load(f->skel);
	if (!err)
		return 0;
	f->destroy(f->skel);
	f->skel = NULL;
	err = sensors_fam_probe(s, f);
	if (err)
		return err;
	err = sensors_fam_open(s, f, NULL);
	if (err)
		return err;
	err = f->load(f->skel);
	if (err) {
		log_error("sensors: load %s: %s", f->name, strerror(-err));
		f->destroy(f->skel);
		f->skel = NULL;
	}
	return err;
}

static int sensors_fam_attach(struct hms_sensors *s, struct sensors_fam *f)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, f->obj(f->skel)) {
		struct bpf_link *l;

		if (!bpf_program__autoload(prog))
			continue;
		l = bpf_program__attach(prog);
		if (!l) {
			log_warning("sensors: attach %s/%s: %s: skipped",
				    f->name, bpf_program__name(prog),
				    strerror(errno));
			s->nskipped++;
			continue;
		}
		if (s->nlinks >= SENSORS_MAX_LINKS) {
			bpf_link__destroy(l);
			return -E2BIG;
		}
		s->links[s->nlinks++] = l;
	}
	return 0;
}

#define SENSORS_TRACEFS_MAGIC	0x74726163
#define SENSORS_BPFFS_MAGIC	0xcafe4a11

static int sensors_mount_one(const char *path, const char *type,
			     long magic)
{
	struct statfs st;

	if (statfs(path, &st) == 0 && (long)st.f_type == magic)
		return 0;
	if (mount(type, path, type, 0, NULL) < 0 && errno != EBUSY) {
		int err = -errno;

		log_error("sensors: cannot mount %s at %s: %s", type, path,
			  strerror(-err));
		return err;
	}
	return 0;
}

int sensors_mount_fs(void)
{
	int err = sensors_mount_one("/sys/kernel/tracing", "tracefs",
				    SENSORS_TRACEFS_MAGIC);

	/* bpffs is not needed to run, only for pinning: best effort */
	sensors_mount_one("/sys/fs/bpf", "bpf", SENSORS_BPFFS_MAGIC);
	return err;
}

static int sensors_preflight(void)
{
	if (geteuid() != 0) {
		log_error("the sensors need root (CAP_BPF, "
			  "CAP_PERFMON): run it as root");
		return -EPERM;
	}
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0) {
		log_error("kernel BTF is missing "
			  "(/sys/kernel/btf/vmlinux): a kernel built with "
			  "CONFIG_DEBUG_INFO_BTF=y is needed");
		return -ENOENT;
	}
	return sensors_mount_fs();
}

int sensors_new(const struct sensors_opts *opts, struct hms_loop *loop,
		struct hms_bus *bus, struct hms_sensors **out)
{
	struct hms_sensors *s;
	int err;

	err = sensors_preflight();
	if (err)
		return err;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->opts = *opts;
	s->stats_fd = -1;
	s->loop = loop;
	s->bus = bus;
#define SENSORS_FAM(n, b, req) (struct sensors_fam){ .name = #n,	\
	.bit = b, .required = req, .open = n##_open, .load = n##_load,	\
	.destroy = n##_destroy, .obj = n##_obj, .maps = n##_maps }
	s->fam[0] = SENSORS_FAM(proc, SENSORS_PROC, 1);
	s->fam[1] = SENSORS_FAM(net, SENSORS_NET, 0);
	s->fam[2] = SENSORS_FAM(sched, SENSORS_SCHED, 0);
	sensors_verbose = opts->verbose;
	if (getenv("HMS_LIBBPF_DEBUG")) {
		sensors_verbose = 2;
		log_set_level(HMS_LOG_DEBUG);
	}
	libbpf_set_print(sensors_libbpf_print);

	/* proc owns the shared maps and is always loaded */
	for (int i = 0; i < 3; i++) {
		struct sensors_fam *f = &s->fam[i];

		if (!f->required && !(opts->families & f->bit))
			continue;
		if (f == &s->fam[0])
			sensors_pick_variants(f);
		err = sensors_fam_load(s, f);
		if (err && f->required)
			goto cleanup;
		if (err) {
			log_warning("sensors: %s sensors unavailable: "
				    "skipped",
				    f->name);
			s->nskipped++;
		}
	}
	s->cfg.runq_threshold_ns = opts->runq_threshold_ns;
	s->cfg.bulk_rate_per_sec = opts->bulk_rate_per_sec;
	s->cfg.watch_filter = opts->watch_filter;
	s->cfg.critical_watched_only = opts->critical_watched_only;
	s->cfg.bulk_wake_bytes = sensors_ring_bytes(opts->bulk_ring_kb) / 4;
	err = sensors_cfg_push(s);
	if (err)
		goto cleanup;
	err = sensors_rings_start(s);
	if (err)
		goto cleanup;
	for (int i = 0; i < 3; i++) {
		if (!s->fam[i].skel)
			continue;
		err = sensors_fam_attach(s, &s->fam[i]);
		if (err)
			goto cleanup;
	}
	*out = s;
	return 0;
cleanup:
	sensors_free(s);
	return err;
}

void sensors_free(struct hms_sensors *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->nlinks; i++)
		bpf_link__destroy(s->links[i]);
	s->nlinks = 0;
	sensors_rings_stop(s);
	if (s->stats_fd >= 0)
		close(s->stats_fd);
	/* dependents first: they hold references to proc's maps */
	for (int i = 2; i >= 0; i--) {
		struct sensors_fam *f = &s->fam[i];

		if (f->skel)
			f->destroy(f->skel);
		for (int j = 0; j < f->nskip; j++)
			free((void *)f->skip[j]);
	}
	free(s);
}

int sensors_attached(const struct hms_sensors *s)
{
	return s->nlinks;
}

int sensors_skipped(const struct hms_sensors *s)
{
	return s->nskipped;
}
