/* scenario_internal.h - what the scenario loader's files share; not a public
 * API (that is scenario.h).
 *
 *   scenario.c         public entry: load (the walk of the tree over the
 *                      schema), defaults
 *   scenario_schema.c  the field tables, and the type table: one row of
 *                      operations per field type (struct scn_type_ops)
 *   scenario_check.c   rules that need more than one field
 *   scenario_json.c    scenario_to_json
 *   scenario_tree.c    YAML tree and --set overrides
 *   scenario_values.c  scalar parsers and formatters
 *
 * Every walker (defaults, load, JSON) goes through a field's row of the type
 * table instead of switching on its type, so a new type is one row plus its
 * operations. */
#ifndef BS_SCENARIO_INTERNAL_H
#define BS_SCENARIO_INTERNAL_H

#include "scenario.h"
#include "scenario_tree.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define MAX_COUNT 10000000u /* each node count, and all injected supernodes together */
/* RaptorQ's largest source block (RFC 6330, K'max): the most blocks a settop
 * image may have, whatever the method, so that a preset can switch
 * settop.method alone. */
#define SCN_SETTOP_MAX_BLOCKS 56403u

#define MS 1000000LL
#define SEC 1000000000LL
#define OFF(m) offsetof(struct scenario, m)
#define CAP(m) offsetof(struct scn_capacity, m)
#define RP(m) offsetof(struct retry_policy, m)
#define EV(m) offsetof(struct scn_event, m)
#define IMP(m) offsetof(struct scn_impair, m)
#define DC(m) offsetof(struct scn_datacenter, m)

/* ---- schema ---- */

enum ftype {
    F_MAP,           /* nested mapping: sub */
    F_INLINE,        /* sub's keys at this same mapping level (key unused), at off */
    F_NAME,          /* char[SCN_NAME_MAX] */
    F_U64,           /* uint64_t */
    F_U32,           /* uint32_t in [min, max] */
    F_U16,           /* uint16_t in [min, max] */
    F_DURATION,      /* int64_t ns in [min, max] */
    F_DURATION_MS,   /* double ms, written as a duration */
    F_DIST,          /* struct dist */
    F_ENUM,          /* int, index into names */
    F_IPV4,          /* uint32_t, host order */
    F_NETS,          /* struct scn_net[SCN_MAX_NETS] + uint32_t count at off_count */
    F_FRACTION,      /* double in [0, 1] */
    F_NUMBER,        /* double >= min */
    F_RATE,          /* double per second, written "500/s" */
    F_BOOL,          /* bool */
    F_COND,          /* struct scn_cond + bool at off_count, set when present */
    F_EVENTS,        /* struct scn_event[SCN_MAX_EVENTS] + uint32_t count at off_count */
    F_ACTION,        /* event action mapping: sub, sets the event kind */
    F_BANDWIDTH,     /* uint64_t bytes per second, written in bit units ("8mbit") */
    F_GROUPS,        /* partition groups: uint8_t[SCN_MAX_RANKS], group of each rank */
    F_IMPAIR_GROUPS, /* network.impair_groups: struct scn_impair[SCN_MAX_GROUPS] + uint32_t
                      * count at off_count; the group of each rank in
                      * network.impair_group_of_rank (see scn_walk_impair_groups) */
    F_RANKS,         /* an impair group's ranks: stored by scn_walk_impair_groups */
    F_DCNAME,        /* char[SCN_DC_NAME_MAX]: a data centre's name, [a-z0-9_-] */
    F_DATACENTERS,   /* central.datacenters: struct scn_datacenter[SCN_MAX_DCS] + uint32_t
                      * count at off_count */
    F_BYTES,         /* uint64_t bytes in [min, max], written "256KiB" (units_parse_bytes) */
    F_TEXT,          /* char[max]: printable text, no control characters, "" allowed */
    F_HEADERS,       /* HTTP headers, a mapping of name: value, into the struct
                      * scn_http_request at off (at most max) */
    F_TYPE_COUNT
};

struct fdef {
    const char *key;
    const char *def;
};

struct field {
    const char *key;
    enum ftype type;
    size_t off;       /* from the enclosing mapping's base */
    size_t off_count; /* F_NETS, F_EVENTS: the count; F_COND: the "present" flag */
    const char *def;  /* default, in file syntax; NULL: none or computed */
    bool req;
    bool nullable;    /* a null value means "not set": the default stays */
    bool below_one;   /* F_FRACTION: must be < 1 */
    int64_t min, max; /* max 0: the type's own maximum */
    const struct field *sub;
    const char *const *names;
    int kind;                /* F_ACTION */
    const struct fdef *defs; /* F_INLINE: defaults that replace the sub-table's */
    /* NULL: the key always matters. Else whether it matters given the rest of
     * the enclosing struct: setting it when it does not is an error (see
     * check_capacity), and scenario_to_json leaves it out. */
    bool (*used)(const char *base);
};

extern const struct field scn_scenario_fields[];
extern const struct field scn_event_fields[];
extern const struct field scn_impair_class_fields[];
extern const struct field scn_impair_group_fields[];
extern const struct field scn_datacenter_fields[];

extern const char *const scn_retry_kind_names[];
extern const char *const scn_jitter_names[];
extern const char *const scn_admission_names[];
extern const char *const scn_overload_names[];

bool scn_cap_uses_rate(const char *base);
bool scn_login_uses_session(const char *base);
bool scn_cap_uses_burst(const char *base);
bool scn_cap_uses_max_wait(const char *base);
/* Whether the scenario (base) runs that architecture. */
bool scn_arch_supernode(const char *base);
bool scn_arch_central(const char *base);
bool scn_arch_dht(const char *base);
bool scn_arch_settop(const char *base);
bool scn_arch_target(const char *base);
/* target.protocol is https / mqtt (base: the scenario). */
bool scn_target_https(const char *base);
bool scn_target_mqtt(const char *base);
/* Whether login servers are emulated: the peers log in, and not to a
 * target. */
bool scn_has_login_servers(const char *base);
/* Whether the peers register after logging in (not with target). */
bool scn_uses_register(const char *base);
/* Whether there is an open-loop request workload (not settop, not target). */
bool scn_uses_requests(const char *base);
/* Whether the peers keep a connection alive (workload.keepalive): not with dht. */
bool scn_uses_keepalive(const char *base);
/* Whether there may be central services (nodes.services, service): supernode
 * and central only. */
bool scn_uses_services(const char *base);
/* Whether the peers log in: always, except with architecture dht and
 * dht.login false, and with settop. */
bool scn_uses_login(const char *base);
extern const char *const scn_balance_names[];
extern const char *const scn_global_names[];

/* The action entry of scn_event_fields for an event kind (its key and
 * table), or NULL. */
const struct field *scn_action_field(enum scn_event_kind kind);

/* The field for a YAML key, looking through F_INLINE sub-tables. *off gets
 * the offset of its base from the table's base. */
const struct field *scn_find_key(const struct field *table, const char *key, size_t *off);

/* Append "a, b, c" (every YAML key of a table, inline ones included) to buf
 * at *used. */
void scn_list_keys(const struct field *table, char *buf, size_t len, size_t *used);

/* Set every default of `table` on the struct at base. */
void scn_apply_defaults(const struct field *table, char *base);

/* What a field's value should look like, for "expected X, got Y". */
const char *scn_field_what(const struct field *f, char *buf, size_t len);

/* Convert the text of a scalar field into *dst (file values, override values
 * and defaults alike), bounds included. False with the reason in `why`. */
bool scn_parse_text(const struct field *f, const char *text, void *dst, char *why, size_t wl);

/* ---- the load walk (scenario.c) and the checks (scenario_check.c) ---- */

/* Enough for every scalar key of the schema, 64 full events included. */
#define SEEN_MAX 2048

struct scn_ctx {
    struct scenario *s;
    const struct tnode *root;
    char *err;
    size_t errlen;
    struct {
        size_t off; /* from the start of struct scenario */
        const struct tnode *node;
    } seen[SEEN_MAX];
    size_t n_seen;
    /* the impair group being walked (see scn_walk_impair_groups) */
    const char *group_list_path;
    size_t group_index;
};

/* Report "LOCATION: message" at n; returns -1. */
int scn_fail(struct scn_ctx *c, const struct tnode *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The node a scalar field was set from, or NULL if it kept its default.
 * Containers (mappings, sequences of events) are not recorded, so that an
 * offset names one field. */
const struct tnode *scn_seen_node(const struct scn_ctx *c, size_t off);
/* The node that set the field at off_a, else at off_b, else the top. */
const struct tnode *scn_first_of(const struct scn_ctx *c, size_t off_a, size_t off_b);
/* The node of a key path in the file (a, then a.b, ...), or NULL. */
const struct tnode *scn_path_key(const struct scn_ctx *c, const char *a, const char *b,
                                 const char *d);
/* The first of n key paths (up to three levels, NULL-padded) set in the
 * file, with its dotted name in name; NULL when none is. */
const struct tnode *scn_first_set(const struct scn_ctx *c, const char *const (*keys)[3], size_t n,
                                  char *name, size_t len);
/* architecture: target's rules (scenario_target.c): the target's address
 * resolved and held to network.allowed, its fields, the keys it refuses. */
int scn_check_target(struct scn_ctx *c);
/* network.allowed as "127.0.0.0/8, 10.0.0.0/16", for messages. */
#define SCN_NETS_TEXT (SCN_MAX_NETS * 20)
void scn_format_allowed(const struct scenario *s, char *out, size_t len);

/* Fill the struct at base from the mapping m: unknown and duplicate keys are
 * errors, then every field of `table`. base_off is base's offset in struct
 * scenario (for scn_seen_node), path its YAML path for messages. */
int scn_walk_map(struct scn_ctx *c, const struct tnode *m, const struct field *table, char *base,
                 size_t base_off, const char *path);

/* Checks that need a whole event, after its keys are walked: one of at and
 * when, exactly one action, per-kind rules. *injected adds up the injected
 * supernodes over the events. */
int scn_check_event(struct scn_ctx *c, const struct tnode *it, struct scn_event *e,
                    const char *ipath, uint64_t *injected);

/* The rules between sections, after the whole walk; also sets the defaults
 * that depend on other fields (nodes.bootstrap, retry jitter). */
int scn_check_rules(struct scn_ctx *c);

/* ---- JSON (scenario_json.c) ---- */

struct scn_jctx {
    const struct scenario *s;
    int prec; /* digits that every real written so far needs */
};

/* ---- the type table ---- */

/* One row per field type. NULL operations: see each member. */
struct scn_type_ops {
    /* For "expected X, got Y": `what`, or describe() when the text depends
     * on the field (an enum lists its names). */
    const char *what;
    const char *(*describe)(const struct field *f, char *buf, size_t len);
    /* The type's own maximum, for a field with max 0; 0 here: INT64_MAX. */
    int64_t max;
    /* Scalar text -> value, bounds included. NULL: not written as a scalar. */
    bool (*parse)(const struct field *f, const char *text, void *dst, char *why, size_t wl);
    /* YAML node -> value at base + f->off; records the node for the checks
     * when it names one field. */
    int (*walk)(struct scn_ctx *c, const struct field *f, const struct tnode *v, char *base,
                size_t base_off, const char *path);
    /* Set the field's default. NULL: it has none (or its walk sets it). */
    void (*defaults)(const struct field *f, char *base);
    /* Value -> JSON, in file syntax. NULL: never written on its own (JSON
     * null). */
    json_t *(*to_json)(const struct field *f, const char *base, struct scn_jctx *j);
};

extern const struct scn_type_ops scn_types[F_TYPE_COUNT];

/* Walk operations (scenario.c). */
int scn_walk_scalar(struct scn_ctx *c, const struct field *f, const struct tnode *v, char *base,
                    size_t base_off, const char *path);
int scn_walk_cond(struct scn_ctx *c, const struct field *f, const struct tnode *v, char *base,
                  size_t base_off, const char *path);
int scn_walk_submap(struct scn_ctx *c, const struct field *f, const struct tnode *v, char *base,
                    size_t base_off, const char *path);
int scn_walk_inline(struct scn_ctx *c, const struct field *f, const struct tnode *v, char *base,
                    size_t base_off, const char *path);
int scn_walk_action(struct scn_ctx *c, const struct field *f, const struct tnode *v, char *base,
                    size_t base_off, const char *path);
int scn_walk_nets(struct scn_ctx *c, const struct field *f, const struct tnode *v, char *base,
                  size_t base_off, const char *path);
int scn_walk_events(struct scn_ctx *c, const struct field *f, const struct tnode *v, char *base,
                    size_t base_off, const char *path);
int scn_walk_groups(struct scn_ctx *c, const struct field *f, const struct tnode *v, char *base,
                    size_t base_off, const char *path);
int scn_walk_impair_groups(struct scn_ctx *c, const struct field *f, const struct tnode *v,
                           char *base, size_t base_off, const char *path);
int scn_walk_datacenters(struct scn_ctx *c, const struct field *f, const struct tnode *v,
                         char *base, size_t base_off, const char *path);
int scn_walk_headers(struct scn_ctx *c, const struct field *f, const struct tnode *v, char *base,
                     size_t base_off, const char *path);
int scn_walk_ranks(struct scn_ctx *c, const struct field *f, const struct tnode *v, char *base,
                   size_t base_off, const char *path);

/* JSON operations (scenario_json.c). */
json_t *scn_json_map(const struct field *f, const char *base, struct scn_jctx *j);
json_t *scn_json_name(const struct field *f, const char *base, struct scn_jctx *j);
json_t *scn_json_u64(const struct field *f, const char *base, struct scn_jctx *j);
json_t *scn_json_u32(const struct field *f, const char *base, struct scn_jctx *j);
json_t *scn_json_u16(const struct field *f, const char *base, struct scn_jctx *j);
json_t *scn_json_duration(const struct field *f, const char *base, struct scn_jctx *j);
json_t *scn_json_duration_ms(const struct field *f, const char *base, struct scn_jctx *j);
json_t *scn_json_dist(const struct field *f, const char *base, struct scn_jctx *j);
json_t *scn_json_enum(const struct field *f, const char *base, struct scn_jctx *j);
json_t *scn_json_ipv4(const struct field *f, const char *base, struct scn_jctx *j);
json_t *scn_json_nets(const struct field *f, const char *base, struct scn_jctx *j);
json_t *scn_json_real(const struct field *f, const char *base, struct scn_jctx *j);
json_t *scn_json_rate(const struct field *f, const char *base, struct scn_jctx *j);
json_t *scn_json_bool(const struct field *f, const char *base, struct scn_jctx *j);
json_t *scn_json_cond(const struct field *f, const char *base, struct scn_jctx *j);
json_t *scn_json_events(const struct field *f, const char *base, struct scn_jctx *j);
json_t *scn_json_bandwidth(const struct field *f, const char *base, struct scn_jctx *j);
json_t *scn_json_groups(const struct field *f, const char *base, struct scn_jctx *j);
json_t *scn_json_impair_groups(const struct field *f, const char *base, struct scn_jctx *j);
json_t *scn_json_datacenters(const struct field *f, const char *base, struct scn_jctx *j);
json_t *scn_json_bytes(const struct field *f, const char *base, struct scn_jctx *j);
json_t *scn_json_text(const struct field *f, const char *base, struct scn_jctx *j);
json_t *scn_json_headers(const struct field *f, const char *base, struct scn_jctx *j);

#endif
