/* internal.h - private to the registry sources: the handle layout, column family
 * numbering, key encoding and the in-memory evidence table.  Nothing here
 * is part of the public API (registry.h is). */
#ifndef HMS_REGISTRY_INTERNAL_H
#define HMS_REGISTRY_INTERNAL_H

#include <stdarg.h>
#include <stdint.h>
#include <jansson.h>
#include <rocksdb/c.h>
#include "registry.h"

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
	REG_NCF,
};

extern const char *const reg_cf_names[REG_NCF];

#define REG_REC_MAX	32	/* recent recovery times kept per evidence */
#define REG_TUNE_KEYS	8	/* tuned parameters per evidence */
#define REG_TUNE_VALS	16	/* distinct values remembered per parameter */

struct reg_tune_val {
	double num;
	char str[16];
	double ok, fail;
};

struct reg_tune {
	char name[32];
	int is_str;
	int nvals;
	struct reg_tune_val vals[REG_TUNE_VALS];
};

struct reg_ev {
	char component[32];
	char failure[32];
	char strategy[32];
	double s, f;		/* decayed to t_ref */
	uint64_t t_ref;		/* ns */
	uint64_t n;		/* outcomes seen, undecayed */
	int nrec;		/* valid entries in rec_ms, oldest first */
	double rec_ms[REG_REC_MAX];
	int ntune;
	struct reg_tune tune[REG_TUNE_KEYS];
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
	int readonly;
	char err[512];
	uint64_t next_id;
	uint32_t seq;
	uint64_t rng[4];
	double half_life;
	uint64_t (*now)(void *arg);
	void *now_arg;
	/* evidence table: array plus open-addressing index of positions+1 */
	struct reg_ev *ev;
	size_t nev, evcap;
	uint32_t *slots;
	size_t nslots;
};

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
int reg_outcome_decode(const char *val, size_t len, struct registry_outcome *o);
json_t *reg_strategy_json(const struct registry_strategy *s);
int reg_strategy_from_json(struct hms_registry *reg, json_t *j,
			   struct registry_strategy *s, const char *where);
int reg_strategy_validate(struct hms_registry *reg,
			  const struct registry_strategy *s, const char *where);
int reg_params_validate(struct hms_registry *reg, const char *params,
			const char *bounds, const char *where);
json_t *reg_ev_json(const struct reg_ev *e);
int reg_ev_from_json(struct hms_registry *reg, json_t *j, struct reg_ev *e,
		     const char *where);

/* the RocksDB store */
int reg_get(struct hms_registry *reg, int cf, const void *key, size_t klen,
	    char **val, size_t *vlen);
uint64_t reg_now(struct hms_registry *reg);
int reg_meta_get(struct hms_registry *reg, const char *key, char *buf,
		 size_t cap);
int reg_write(struct hms_registry *reg, rocksdb_writebatch_t *wb);

/* strategies */
int reg_strategy_put(struct hms_registry *reg, rocksdb_writebatch_t *wb,
		     const struct registry_strategy *s);
int reg_strategy_decode(struct hms_registry *reg, const char *val,
			size_t len, struct registry_strategy *s);

/* schema migration */
int reg_migrate(struct hms_registry *reg, int from);

/* the in-memory evidence table and what it learns */
struct reg_ev *reg_ev_find(struct hms_registry *reg, const char *component,
			   const char *failure, const char *strategy);
struct reg_ev *reg_ev_add(struct hms_registry *reg, const struct reg_ev *e);
int reg_ev_load(struct hms_registry *reg);
/* Fold o into the in-memory evidence (no write). */
int reg_ev_replay(struct hms_registry *reg, const struct registry_outcome *o);
void reg_ev_free(struct hms_registry *reg);
void reg_ev_decay_to(struct hms_registry *reg, struct reg_ev *e, uint64_t t);
void reg_ev_merge(struct hms_registry *reg, struct reg_ev *dst,
		  const struct reg_ev *src);
void reg_ev_tuned(struct hms_registry *reg, const struct reg_ev *e,
		  char *json, size_t len);
int reg_ev_put(struct hms_registry *reg, rocksdb_writebatch_t *wb,
	       const struct reg_ev *e);
double reg_quantile(const double *v, size_t n, double q);

#endif
