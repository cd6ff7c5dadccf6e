/* SPDX-License-Identifier: BSD-2-Clause */
/* internal.h - private to the registry sources: the handle layout, column family
 * numbering, key encoding and the in-memory evidence table.  Nothing here
 * is part of the public API (registry.h is). */
#ifndef HMS_REGISTRY_INTERNAL_H
#define HMS_REGISTRY_INTERNAL_H

#include <stdbool.h>
#include <stdarg.h>
#include <stdint.h>
#include <jansson.h>
#include <rocksdb/c.h>
#include "registry.h"

/* RocksDB's C API as one table of function pointers (rdb.c): every call
 * of the registry goes through reg_rdb, filled by reg_rdb_load() when a
 * store on disk is opened; a handle without a store (registry_open_mem)
 * never needs it.  X(name) for each rocksdb_name used. */
#define REG_RDB_FUNCS(X) \
	X(batched_multi_get_cf) X(block_based_options_create) \
	X(block_based_options_destroy) \
	X(block_based_options_set_block_cache) \
	X(block_based_options_set_cache_index_and_filter_blocks) \
	X(block_based_options_set_filter_policy) \
	X(block_based_options_set_pin_l0_filter_and_index_blocks_in_cache) \
	X(cache_create_lru) X(cache_destroy) X(close) \
	X(column_family_handle_destroy) X(compact_range_cf) \
	X(create_iterator_cf) X(filterpolicy_create_bloom_full) X(flush_cf) \
	X(flushoptions_create) X(flushoptions_destroy) \
	X(flushoptions_set_wait) X(free) X(get_cf) X(iter_destroy) \
	X(iter_key) X(iter_next) X(iter_prev) X(iter_seek) \
	X(iter_seek_for_prev) X(iter_seek_to_first) X(iter_seek_to_last) \
	X(iter_valid) X(iter_value) X(list_column_families) \
	X(list_column_families_destroy) X(open_column_families) \
	X(open_for_read_only_column_families) X(options_create) \
	X(options_destroy) X(options_set_block_based_table_factory) \
	X(options_set_compression) X(options_set_create_if_missing) \
	X(options_set_create_missing_column_families) \
	X(options_set_info_log_level) X(options_set_keep_log_file_num) \
	X(options_set_max_file_opening_threads) X(pinnableslice_destroy) \
	X(pinnableslice_value) X(property_value_cf) X(readoptions_create) \
	X(readoptions_destroy) X(readoptions_set_fill_cache) \
	X(readoptions_set_readahead_size) X(write) X(writebatch_clear) \
	X(writebatch_create) X(writebatch_delete_cf) \
	X(writebatch_delete_range_cf) X(writebatch_destroy) \
	X(writebatch_put_cf) X(writeoptions_create) X(writeoptions_destroy)

struct reg_rdb {
#define REG_RDB_PTR(name) __typeof__(rocksdb_##name) *name;
	REG_RDB_FUNCS(REG_RDB_PTR)
#undef REG_RDB_PTR
};
extern struct reg_rdb reg_rdb;
/* Load RocksDB once; 0 or -ELIBACC with the reason in reg->err. */
int reg_rdb_load(struct hms_registry *reg);

enum reg_cf {
	CF_DEFAULT,
	CF_META,
	CF_STRATEGIES,
	CF_INCIDENTS,
	CF_OUTCOMES,
	CF_IDX_COMPONENT,	/* component \0 time id -> version byte */
	CF_IDX_CLASS,		/* failure \0 time id -> version byte */
	CF_IDX_TIME,		/* time id -> version byte (since v2) */
	CF_EVIDENCE,		/* component \0 failure \0 strategy -> JSON */
	CF_PARAMS,		/* component \0 failure \0 strategy \0 name -> JSON */
	CF_FLEET,		/* host \0 component \0 failure \0 strategy -> JSON */
	REG_NCF,
};

extern const char *const reg_cf_names[REG_NCF];

#define REG_REC_MAX	16	/* recent recovery times kept per evidence */
#define REG_COUNT_MAX	1e9	/* bound of any decayed count */
#define REG_N_MAX	(1ull << 53)	/* bound of outcome counters */
#define REG_MS_MAX	1e9	/* bound of a time to recover, ms */
#define REG_T_MAX	(4102444800ull * 1000000000ull)	/* year 2100, ns */

/* Learning constants (docs/registry.md, "Learning", says why). */
#define REG_GAMMA	0.999	/* discount per incident of the same group */
#define REG_FLOOR	200.0	/* time alone never shrinks below this */
#define REG_STALE_HL	20.0	/* ...until this many half-lives pass */
#define REG_CUSUM_H	7.0	/* change alarm threshold (log-likelihood) */
#define REG_CUSUM_MIN_N	8.0	/* evidence before the detector runs */
#define REG_CUSUM_MIN_F	7.0	/* failures since the change point to alarm */
#define REG_CUSUM_MIN_F_HI 10.0	/* ...from p0 >= REG_CUSUM_HI */
#define REG_CUSUM_HI	0.85
#define REG_RESET_OTHERS 0.0	/* after a change: others keep <= this */
#define REG_PROB_DRAWS	128	/* draws behind a probability of choice */
#define REG_CONFIDENT	0.03	/* leader best with 1 - this: exploit */
#define REG_LOSS_EPS	0.007	/* ... or committing to it loses < this
				 * times sqrt(n / REG_LOSS_MIN_N) */
#define REG_LOSS_MIN_N	25.0	/* (only with this much evidence each) */
#define REG_BEATEN	0.99	/* ...except a candidate worse with this
				 * probability */
#define REG_LOSS_P	0.9	/* (and only when the leader is above each
				 * other one with this probability) */
#define REG_ENOUGH_N	300.0	/* ...or the group has this much evidence
				 * (each not clearly worse REG_LOSS_MIN_N) */
#define REG_LOCK_MIN_N	2	/* never clearly worse before this many seen */
#define REG_THIN_N	10.0	/* a candidate not clearly worse with less
				 * evidence keeps its draws against a known
				 * leader */
#define REG_TOP2_N	100.0	/* top-two sampling below this group evidence */
#define REG_TOP2_CLOSE_N REG_ENOUGH_N	/* ...or below this one while */
#define REG_TOP2_CLOSE	0.05	/* the two highest means are this close */
#define REG_INDISTINCT	0.5	/* means within this many sd: a tie */

/* One (component, failure class, strategy): what was learned. */
struct reg_ev {
	char component[32];
	char failure[32];
	char strategy[32];
	double s, f;		/* local evidence, decayed to t_ref/k_ref */
	double rs, rf;		/* fleet evidence (imports), decayed to rt_ref */
	uint64_t rt_ref;	/* ns */
	uint64_t rn;		/* fleet outcomes */
	uint64_t change_ns;	/* last change detected: older fleet rows void */
	uint64_t t_ref;		/* ns */
	uint64_t k_ref;		/* group incident count at the last decay */
	uint64_t n;		/* outcomes seen here, undecayed, saturating */
	uint64_t trials;	/* parameter trials seen (not in s/f) */
	double cusum;		/* drop detector on this strategy */
	float run_s, run_f;	/* outcomes since the detector was last 0 */
	uint32_t changes;	/* changes detected */
	uint16_t nrec, rec_head;
	float rec_ms[REG_REC_MAX];	/* ring of recent times to recover */
	uint32_t group;		/* index into reg->grp */
	uint32_t pidx[4];	/* its parameter arms in reg->par */
	uint32_t npidx;
	uint32_t written;	/* put since the handle opened (a copy: its
				 * snapshot never replaces it, copy.c) */
};

/* One (component, failure class): counts incidents for the discount. */
struct reg_group {
	char component[32];
	char failure[32];
	uint64_t k;
	uint64_t t_last;	/* time of its last outcome */
};

/* A parameter as its own learning problem: cells of a grid within
 * bounds (numbers) or a set of choices (strings), with discounted
 * success/failure per cell and the current answer. */
#define REG_GRID_MAX	25
#define REG_CHOICES_MAX	8
struct reg_param {
	char component[32];
	char failure[32];
	char strategy[32];
	char name[32];
	int is_str;
	int answer;		/* cell index */
	int fails_in_row;	/* non-trial failures at the answer */
	int ncell;
	double anchor, ratio, lo, hi;	/* numbers: cell i = anchor*ratio^(i-mid) */
	int mid;
	char choice[REG_CHOICES_MAX][16];
	float s[REG_GRID_MAX], f[REG_GRID_MAX];
	uint64_t n;
	int written;		/* as reg_ev.written */
};

struct hms_registry {
	rocksdb_t *db;
	rocksdb_options_t *opts;
	rocksdb_cache_t *cache;
	rocksdb_column_family_handle_t *cf[REG_NCF];
	rocksdb_readoptions_t *ro;
	rocksdb_writeoptions_t *wo;
	char *dir;
	char host[64];		/* this machine, for incidents without one */
	char store_id[32];	/* meta created_ns: tells two stores apart */
	int readonly;
	registry_forward_cb fwd;	/* a copy: writes go on from here */
	void *fwd_arg;
	char err[512];
	uint64_t next_id;
	uint32_t seq;
	uint64_t rng[4];
	double half_life;
	uint64_t (*now)(void *arg);
	void *now_arg;
	/* evidence table: array plus open-addressing index of positions+1,
	 * and the positions sorted by key for browsing in pages */
	struct reg_ev *ev;
	size_t nev, evcap;
	uint32_t *slots;
	size_t nslots;
	uint32_t *order;
	struct reg_group *grp;
	size_t ngrp, grpcap;
	uint32_t *gslots;
	size_t ngslots;
	struct reg_param *par;
	size_t npar, parcap;
	uint32_t *pslots;
	size_t npslots;
	uint64_t bad_rows;	/* invalid stored rows skipped at open */
	char bad_first[320];	/* the first of them, for the message */
	/* a handle without a store (db NULL, registry_open_mem): its
	 * strategies, and the snapshot rows until registry_load_end */
	struct registry_strategy *st;
	size_t nst, stcap;
	uint32_t *stslots;
	size_t nstslots;
	struct reg_snap *snap;
};

/* A forwarded registry_threshold_observe (REGISTRY_OP_THRESHOLD). */
struct reg_th_obs {
	char component[32];
	char failure[32];
	double lo, hi;
	int32_t alarm;
	uint32_t _pad;
};

/* A parameter arm the copy set up (new, or reset by a changed config):
 * the store sets up the same, so that it learns from the outcomes that
 * use it and keeps what was tuned across restarts. */
struct reg_param_def {
	char component[32];
	char failure[32];
	char strategy[32];
	char name[32];
	double lo, hi, dflt, ratio;
	uint32_t nchoices;
	uint32_t _pad;
	char choice[REG_CHOICES_MAX][16];
};

int reg_param_define(struct hms_registry *reg, const struct reg_param_def *d);

/* errors */
int reg_fail(struct hms_registry *reg, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int reg_db_err(struct hms_registry *reg, char *rerr, const char *what);

/* key encoding (big-endian times: range scans are time-ordered) */
void reg_be64(uint8_t *p, uint64_t v);
uint64_t reg_get_be64(const uint8_t *p);
size_t reg_key_index(uint8_t *buf, size_t cap, const char *prefix,
		     uint64_t time_ns, uint64_t id);
size_t reg_key_evidence(char *buf, size_t cap, const char *component,
			const char *failure, const char *strategy);
size_t reg_key_outcome(uint8_t *buf, size_t cap, const char *strategy,
		       uint64_t time_ns, uint64_t incident, uint32_t seq);
int reg_copy(char *dst, size_t cap, const char *src);

/* stored values: encoding, decoding, validation */
#define REG_INCIDENT_MAX	512
size_t reg_incident_encode(const struct registry_incident *in, uint8_t *buf,
			   size_t cap, int version);
int reg_incident_decode(const uint8_t *buf, size_t len,
			struct registry_incident *in, int *version);
char *reg_outcome_encode(const struct registry_outcome *o);
/* replay.c: an exact copy of this record is already stored */
bool reg_outcome_replayed(struct hms_registry *reg,
			  const struct registry_outcome *o);
bool reg_incident_replayed(struct hms_registry *reg,
			   const struct registry_incident *in);
int reg_outcome_decode(const char *val, size_t len, struct registry_outcome *o);
json_t *reg_strategy_json(const struct registry_strategy *s);
int reg_strategy_from_json(struct hms_registry *reg, json_t *j,
			   struct registry_strategy *s, const char *where);
int reg_strategy_validate(struct hms_registry *reg,
			  const struct registry_strategy *s, const char *where);
int reg_params_validate(struct hms_registry *reg, const char *params,
			const char *bounds, const char *where);
json_t *reg_ev_json(const struct reg_ev *e, int fleet);
int reg_ev_from_json(struct hms_registry *reg, json_t *j, struct reg_ev *e,
		     const char *where);

/* the RocksDB store */
int reg_get(struct hms_registry *reg, int cf, const void *key, size_t klen,
	    char **val, size_t *vlen);
uint64_t reg_now(struct hms_registry *reg);
int reg_meta_get(struct hms_registry *reg, const char *key, char *buf,
		 size_t cap);
/* A batch for reg's store, NULL for a handle without one: every put into
 * a NULL batch is skipped and reg_write(reg, NULL) succeeds, so learning
 * runs the same code with or without a store. */
rocksdb_writebatch_t *reg_batch(struct hms_registry *reg);
void reg_batch_free(rocksdb_writebatch_t *wb);	/* accepts NULL */
int reg_write(struct hms_registry *reg, rocksdb_writebatch_t *wb);
/* -EOPNOTSUPP for what only a store on disk does (export, stats...). */
int reg_need_store(struct hms_registry *reg, const char *what);

/* strategies */
int reg_strategy_put(struct hms_registry *reg, rocksdb_writebatch_t *wb,
		     const struct registry_strategy *s);
int reg_strategy_decode(struct hms_registry *reg, const char *val,
			size_t len, struct registry_strategy *s);

/* copy.c: a handle without a store (the snapshot it is loading) */
void reg_copy_free(struct hms_registry *reg);

/* schema migration */
int reg_migrate(struct hms_registry *reg, int from);

/* evtable.c: the in-memory tables */
struct reg_ev *reg_ev_find(struct hms_registry *reg, const char *component,
			   const char *failure, const char *strategy);
struct reg_ev *reg_ev_add(struct hms_registry *reg, const struct reg_ev *e);
struct reg_ev *reg_ev_get(struct hms_registry *reg, const char *component,
			  const char *failure, const char *strategy);
struct reg_group *reg_group_get(struct hms_registry *reg,
				const char *component, const char *failure);
struct reg_param *reg_param_find(struct hms_registry *reg, const char *c,
				 const char *f, const char *s, const char *name);
struct reg_param *reg_param_add(struct hms_registry *reg,
				const struct reg_param *p);
void reg_param_link(struct hms_registry *reg, size_t idx);
int reg_ev_load(struct hms_registry *reg);
void reg_ev_free(struct hms_registry *reg);
/* Mark a row written and queue it into wb (NULL: no store, or memory
 * only). */
int reg_ev_put(struct hms_registry *reg, rocksdb_writebatch_t *wb,
	       struct reg_ev *e);
int reg_param_put(struct hms_registry *reg, rocksdb_writebatch_t *wb,
		  struct reg_param *p);
void reg_bad_row(struct hms_registry *reg, const char *what, const char *key,
		 size_t klen, const char *why);
/* the strategies of a handle without a store (a store has its family) */
int reg_st_put(struct hms_registry *reg, const struct registry_strategy *s);
const struct registry_strategy *reg_st_find(struct hms_registry *reg,
					    const char *name);
void reg_st_free(struct hms_registry *reg);

/* learn.c */
double reg_sat_add(double a, double b);
uint64_t reg_sat_add64(uint64_t a, uint64_t b);
void reg_ev_decay_to(struct hms_registry *reg, struct reg_ev *e, uint64_t t,
		     uint64_t k);
/* Decayed copy of e for now: local + fleet evidence. */
void reg_ev_now(struct hms_registry *reg, const struct reg_ev *e,
		double *s, double *f);
int reg_ev_replay(struct hms_registry *reg, const struct registry_outcome *o);
void reg_ev_rec_push(struct reg_ev *e, double ms);
double reg_ev_median(const struct reg_ev *e);
double reg_ev_p95(const struct reg_ev *e);
double reg_quantile(const double *v, size_t n, double q);

/* param.c */
void reg_param_learn(struct hms_registry *reg, const struct registry_outcome *o,
		     rocksdb_writebatch_t *wb, struct reg_param **touched,
		     struct reg_param *copies, size_t *ntouched);
void reg_param_tuned(struct hms_registry *reg, const char *c, const char *f,
		     const char *s, char *json, size_t len);
json_t *reg_param_json(const struct reg_param *p);
int reg_param_from_json(struct hms_registry *reg, json_t *j,
			struct reg_param *p, const char *where);

/* choose.c */
double reg_uniform(uint64_t *rng);
double reg_beta(uint64_t *rng, double a, double b);
void reg_rng_seed(uint64_t *rng, uint64_t seed);

void reg_time_decay(struct hms_registry *reg, double *s, double *f,
		    uint64_t dt, uint64_t idle);

/* fleet.c */
int reg_fleet_load(struct hms_registry *reg);
void reg_fleet_reset(struct hms_registry *reg);
int reg_fleet_add(struct hms_registry *reg, const struct reg_ev *x);
int reg_host_valid(const char *h);
int reg_source_get(struct hms_registry *reg, const char *host, char *id,
		   size_t idlen, uint64_t *ns);
int reg_source_stage(struct hms_registry *reg, rocksdb_writebatch_t *wb,
		     const char *host, const char *export_id,
		     uint64_t exported_ns, const struct reg_ev *rows, size_t n);
int reg_source_foreach(struct hms_registry *reg,
		       int (*cb)(struct hms_registry *reg, const char *host,
				 const char *id, uint64_t ns, void *arg),
		       void *arg);
int reg_source_rows(struct hms_registry *reg, const char *host,
		    int (*cb)(const struct reg_ev *x, void *arg), void *arg);

#endif
