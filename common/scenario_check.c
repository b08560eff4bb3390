/* scenario_check.c - the scenario rules that need more than one field: an
 * event's at/when and action, keys that only some admission policies use,
 * retry base vs cap, distinct ports, node addresses inside network.allowed,
 * and the defaults that depend on other fields. Single fields are checked by
 * their type's parse operation (scenario_schema.c).
 *
 * A message points at the key that was set (scn_seen_node), falling back to
 * the other key involved, then to the top of the file. */
#include "scenario_internal.h"

#include "scenario_values.h"
#include "units.h"

#include <stdio.h>
#include <string.h>

/* ---- events ---- */

/* The key node of `key` in mapping m, or NULL. */
static const struct tnode *key_node(const struct tnode *m, const char *key)
{
    struct tnode *k = NULL;
    return stree_map_get(m, key, &k) ? k : NULL;
}

/* The server roles of the scenario's architecture, for messages. */
static const char *server_roles(const struct scenario *s)
{
    switch (s->architecture) {
    case ARCH_CENTRAL:
        return "login_server, service, front_door or presence";
    case ARCH_DHT:
        return s->dht.login ? "login_server or dht_bootstrap" : "dht_bootstrap";
    case ARCH_SETTOP:
        return "headend";
    case ARCH_TARGET:
        return "none (architecture: target emulates no server)";
    default:
        return "login_server, service or supernode";
    }
}

static const char *const arch_names_of[] = {"supernode", "central", "dht", "settop", "target"};

/* The architecture a role belongs to, or -1 for roles of several. */
static int role_arch(enum role r)
{
    switch (r) {
    case ROLE_SUPERNODE:
        return ARCH_SUPERNODE;
    case ROLE_FRONT_DOOR:
    case ROLE_PRESENCE:
        return ARCH_CENTRAL;
    case ROLE_DHT_BOOTSTRAP:
        return ARCH_DHT;
    case ROLE_HEADEND:
        return ARCH_SETTOP;
    default:
        return -1;
    }
}

/* The node set by an event's role and datacenter keys (crash, outage,
 * capacity, stall): a role that the architecture has, a data centre that
 * central.datacenters names (e->dc = its index + 1), and e->role =
 * ROLE_COUNT for "every role of the data centre". */
static int check_event_target(struct scn_ctx *c, struct scn_event *e, const struct tnode *act,
                              const char *ipath, const char *kind)
{
    const struct scenario *s = c->s;
    const struct tnode *role = stree_map_get(act, "role", NULL);
    const struct tnode *dcn = stree_map_get(act, "datacenter", NULL);
    bool central = s->architecture == ARCH_CENTRAL;

    if (e->kind != EV_CRASH && e->kind != EV_OUTAGE && e->kind != EV_CAPACITY &&
        e->kind != EV_STALL)
        return 0;
    if (!role && !dcn)
        return scn_fail(c, act, "%s.%s: missing required key '%s.%s.role'%s", ipath, kind, ipath,
                        kind, central && e->kind != EV_CAPACITY ? " (or datacenter)" : "");
    if (dcn) {
        if (!central)
            return scn_fail(c, dcn, "%s.%s.datacenter: only used with architecture: central", ipath,
                            kind);
        e->dc = 0;
        for (uint32_t i = 0; i < s->central.n_dc && i < SCN_MAX_DCS; i++)
            if (!strcmp(s->central.dc[i].name, e->dc_name))
                e->dc = i + 1;
        if (!e->dc) {
            char names[SCN_MAX_DCS * (SCN_DC_NAME_MAX + 2)];
            size_t used = 0;
            names[0] = '\0';
            for (uint32_t i = 0; i < s->central.n_dc && i < SCN_MAX_DCS; i++) {
                int n = snprintf(names + used, sizeof names - used, "%s%s", i ? ", " : "",
                                 s->central.dc[i].name);
                if (n > 0 && (size_t)n < sizeof names - used)
                    used += (size_t)n;
            }
            return scn_fail(c, dcn,
                            "%s.%s.datacenter: no data centre '%s' (central.datacenters: %s)",
                            ipath, kind, e->dc_name, used ? names : "none");
        }
    }
    if (!role) {
        e->role = ROLE_COUNT;
        return 0;
    }
    if (dcn && e->role != ROLE_FRONT_DOOR && e->role != ROLE_PRESENCE)
        return scn_fail(c, role,
                        "%s.%s.role: with a datacenter, must be front_door or presence, got %s",
                        ipath, kind, role_names[e->role]);
    int owner = role_arch(e->role);
    if (owner == ARCH_SUPERNODE && s->architecture != ARCH_SUPERNODE)
        return scn_fail(c, role, "%s.%s.role: supernode, but architecture is %s", ipath, kind,
                        arch_names_of[s->architecture]);
    if (owner >= 0 && owner != (int)s->architecture)
        return scn_fail(c, role, "%s.%s.role: %s is only used with architecture: %s", ipath, kind,
                        role_names[e->role], arch_names_of[owner]);
    if (e->role == ROLE_LOGIN_SERVER && !scn_has_login_servers((const char *)s))
        return scn_fail(c, role, "%s.%s.role: login_server, but %s (no login servers)", ipath, kind,
                        s->architecture == ARCH_SETTOP   ? "architecture is settop"
                        : s->architecture == ARCH_TARGET ? "architecture is target"
                                                         : "dht.login is false");
    return 0;
}

int scn_check_event(struct scn_ctx *c, const struct tnode *it, struct scn_event *e,
                    const char *ipath, uint64_t *injected)
{
    struct scenario *s = c->s;
    char b1[32], b2[32], kinds[160];
    const struct tnode *kat = key_node(it, "at"), *kwhen = key_node(it, "when");

    if (!kat && !kwhen)
        return scn_fail(c, it, "%s: missing required key '%s.at' (or a '%s.when' condition)", ipath,
                        ipath, ipath);
    if (kat && kwhen) {
        const struct tnode *second =
            kat->line > kwhen->line || (kat->line == kwhen->line && kat->col > kwhen->col) ? kat
                                                                                           : kwhen;
        return scn_fail(c, second, "%s: expected exactly one of at and when, got both", ipath);
    }

    /* Exactly one action: the first two action keys in file order. */
    const struct tnode *first = NULL, *second = NULL;
    const struct field *fa = NULL;
    for (size_t i = 0; i + 1 < it->n; i += 2) {
        const struct tnode *k = it->items[i];
        for (const struct field *f = scn_event_fields; f->key; f++) {
            if (f->type != F_ACTION || strcmp(f->key, k->text))
                continue;
            if (!first) {
                first = k;
                fa = f;
            } else if (!second) {
                second = k;
            }
        }
    }
    if (!first) {
        size_t used = 0;
        kinds[0] = '\0';
        for (const struct field *f = scn_event_fields; f->key; f++) {
            if (f->type != F_ACTION)
                continue;
            int n = snprintf(kinds + used, sizeof kinds - used, "%s%s", used ? ", " : "", f->key);
            if (n > 0 && (size_t)n < sizeof kinds - used)
                used += (size_t)n;
        }
        return scn_fail(c, it, "%s: missing action (expected exactly one of: %s)", ipath, kinds);
    }
    if (second)
        return scn_fail(c, second, "%s: expected exactly one action, got both %s and %s", ipath,
                        first->text, second->text);
    e->kind = (enum scn_event_kind)fa->kind;

    const struct tnode *act = stree_map_get(it, fa->key, NULL);
    const struct tnode *role = stree_map_get(act, "role", NULL);
    if (check_event_target(c, e, act, ipath, fa->key) < 0)
        return -1;
    switch (e->kind) {
    case EV_BOOT:
    case EV_REBOOT:
        e->role = ROLE_PEER;
        break;
    case EV_CRASH:
        if (e->dc && !stree_map_get(act, "fraction", NULL))
            e->fraction = 1;
        else if (!stree_map_get(act, "fraction", NULL))
            return scn_fail(c, act, "%s.crash: missing required key '%s.crash.fraction'", ipath,
                            ipath);
        break;
    case EV_OUTAGE:
        if (e->role != ROLE_LOGIN_SERVER && e->role != ROLE_SERVICE && e->role != ROLE_FRONT_DOOR &&
            e->role != ROLE_PRESENCE && e->role != ROLE_DHT_BOOTSTRAP && e->role != ROLE_HEADEND &&
            e->role != ROLE_COUNT)
            return scn_fail(c, role ? role : act, "%s.outage.role: must be %s, got %s", ipath,
                            s->architecture == ARCH_SUPERNODE ? "login_server or service"
                                                              : server_roles(s),
                            role_names[e->role]);
        break;
    case EV_STALL:
        if (e->role == ROLE_PEER)
            return scn_fail(c, role ? role : act, "%s.stall.role: must be %s, got peer", ipath,
                            server_roles(s));
        break;
    case EV_CAPACITY: {
        bool w = stree_map_get(act, "workers", NULL), st = stree_map_get(act, "service_time", NULL),
             q = stree_map_get(act, "queue", NULL);
        if (!st)
            e->service_time = (struct dist){.kind = DIST_KEEP};
        e->queue_set = q;
        if (!w)
            e->workers = 0;
        if (e->role == ROLE_PEER)
            return scn_fail(c, role ? role : act, "%s.capacity.role: must be %s, got peer", ipath,
                            server_roles(s));
        if (!w && !st && !q)
            return scn_fail(c, act,
                            "%s.capacity: expected at least one of workers, service_time, queue",
                            ipath);
        break;
    }
    case EV_INJECT_SN:
        if (s->architecture != ARCH_SUPERNODE)
            return scn_fail(c, act,
                            "%s.inject_supernodes: only used with architecture: supernode "
                            "(architecture is %s)",
                            ipath, arch_names_of[s->architecture]);
        *injected += e->count;
        if (*injected > MAX_COUNT) {
            const struct tnode *n = stree_map_get(act, "count", NULL);
            return scn_fail(
                c, n ? n : act,
                "%s.inject_supernodes.count: the injected supernodes add up to %llu, more "
                "than %u",
                ipath, (unsigned long long)*injected, MAX_COUNT);
        }
        break;
    default:
        break;
    }
    if (e->kind != EV_BOOT && e->kind != EV_REBOOT && e->kind != EV_INJECT_SN &&
        e->role == ROLE_SERVICE && s->nodes.services == 0)
        return scn_fail(c, role ? role : act, "%s.%s.role: service, but nodes.services is 0", ipath,
                        fa->key);

    if (!e->conditional && e->at_ns >= s->duration_ns) {
        const struct tnode *at = stree_map_get(it, "at", NULL);
        scenario_format_duration(s->duration_ns, b1, sizeof b1);
        scenario_format_duration(e->at_ns, b2, sizeof b2);
        return scn_fail(c, at ? at : it, "%s.at: must be < duration (%s), got %s", ipath, b1, b2);
    }
    return 0;
}

/* ---- between sections ---- */

/* The node that set the field at off_a, else at off_b, else the top. */
const struct tnode *scn_first_of(const struct scn_ctx *c, size_t off_a, size_t off_b)
{
    const struct tnode *n = scn_seen_node(c, off_a);
    if (!n)
        n = scn_seen_node(c, off_b);
    return n ? n : c->root;
}

static int check_retry(struct scn_ctx *c, size_t off, const char *path)
{
    struct retry_policy *p =
        (struct retry_policy *)((char *)c->s + off + offsetof(struct scn_retry_cfg, retry));
    size_t roff = off + offsetof(struct scn_retry_cfg, retry);
    size_t o_base = roff + RP(base_ns);
    size_t o_cap = roff + RP(cap_ns);
    size_t o_jit = roff + RP(jitter);
    char b1[32], b2[32];

    if (p->cap_ns < p->base_ns) {
        scenario_format_duration(p->base_ns, b1, sizeof b1);
        scenario_format_duration(p->cap_ns, b2, sizeof b2);
        if (scn_seen_node(c, o_cap))
            return scn_fail(c, scn_seen_node(c, o_cap),
                            "%s.retry.cap: must be >= %s.retry.base (%s), got %s", path, path, b1,
                            b2);
        return scn_fail(c, scn_first_of(c, o_base, o_cap),
                        "%s.retry.base: must be <= %s.retry.cap (%s), got %s", path, path, b2, b1);
    }
    const struct tnode *jn = scn_seen_node(c, o_jit);
    if (!jn) {
        p->jitter = p->kind == RETRY_EXPONENTIAL ? JITTER_FULL : JITTER_NONE;
    } else if (p->kind != RETRY_EXPONENTIAL && p->jitter != JITTER_NONE) {
        return scn_fail(c, jn,
                        "%s.retry.jitter: must be none unless policy is exponential "
                        "(policy is %s), got %s",
                        path, scn_retry_kind_names[p->kind], scn_jitter_names[p->jitter]);
    }
    if (p->throttle_k != 0 && p->throttle_k < 1) {
        char k[40];
        scnv_format_number(p->throttle_k, k, sizeof k);
        return scn_fail(c, scn_first_of(c, roff + RP(throttle_k), roff + RP(throttle_k)),
                        "%s.retry.throttle.k: must be 0 (off) or >= 1, got %s", path, k);
    }
    return 0;
}

/* Admission rules of one capacity block. A key that the admission policy
 * does not use is an error when it is set explicitly, never by default. */
static int check_capacity(struct scn_ctx *c, size_t off, const char *path)
{
    const struct scn_capacity *k = (const struct scn_capacity *)((const char *)c->s + off);
    const char *adm = scn_admission_names[k->admission];
    const struct tnode *nadm = scn_seen_node(c, off + CAP(admission));
    const struct tnode *nrate = scn_seen_node(c, off + CAP(rate));
    const struct tnode *nburst = scn_seen_node(c, off + CAP(burst));
    const struct tnode *nwait = scn_seen_node(c, off + CAP(max_wait_ns));

    if (nrate && !scn_cap_uses_rate((const char *)k))
        return scn_fail(c, nrate,
                        "%s.rate: only used by token-bucket and pace admission (admission is %s)",
                        path, adm);
    if (nburst && !scn_cap_uses_burst((const char *)k))
        return scn_fail(c, nburst,
                        "%s.burst: only used by token-bucket admission (admission is %s)", path,
                        adm);
    if (nwait && !scn_cap_uses_max_wait((const char *)k))
        return scn_fail(c, nwait, "%s.max_wait: only used by shed admission (admission is %s)",
                        path, adm);
    if (scn_cap_uses_rate((const char *)k) && !(k->rate > 0))
        return scn_fail(c,
                        nrate  ? nrate
                        : nadm ? nadm
                               : c->root,
                        "%s.rate: %s admission needs a rate > 0/s", path, adm);
    if (scn_cap_uses_burst((const char *)k) && k->burst < 1)
        return scn_fail(c,
                        nburst ? nburst
                        : nadm ? nadm
                               : c->root,
                        "%s.burst: token-bucket admission needs a burst >= 1", path);
    return 0;
}

/* Every node: login servers, services, supernodes, peers, then the
 * supernodes that inject_supernodes events bring up. */
static uint64_t total_nodes(const struct scenario *s)
{
    uint64_t total =
        (uint64_t)s->nodes.login_servers + s->nodes.services + s->nodes.supernodes + s->nodes.peers;
    for (uint32_t i = 0; i < s->n_events && i < SCN_MAX_EVENTS; i++)
        if (s->events[i].kind == EV_INJECT_SN)
            total += s->events[i].count;
    if (s->architecture == ARCH_CENTRAL)
        for (uint32_t i = 0; i < s->central.n_dc && i < SCN_MAX_DCS; i++)
            total += 1 + (uint64_t)s->central.dc[i].max_servers;
    if (s->architecture == ARCH_DHT)
        total += s->dht.bootstrap.nodes;
    if (s->architecture == ARCH_SETTOP)
        total += 1; /* the head-end */
    return total;
}

void scn_format_allowed(const struct scenario *s, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (uint32_t i = 0; i < s->network.n_allowed && i < SCN_MAX_NETS; i++) {
        char cidr[20];
        scnv_format_cidr(&s->network.allowed[i], cidr, sizeof cidr);
        int n = snprintf(out + used, len - used, "%s%s", i ? ", " : "", cidr);
        if (n > 0 && (size_t)n < len - used)
            used += (size_t)n;
    }
}

/* Node addresses count up from network.base over last octets 1..254. Every
 * one of them must lie inside network.allowed: this is the safety interlock,
 * so it is checked here, before anything starts. */
static int check_addresses(struct scn_ctx *c)
{
    struct scenario *s = c->s;
    uint32_t base = s->network.base;
    uint32_t o = base & 0xff;
    const struct tnode *loc = scn_first_of(c, OFF(network.base), OFF(network.allowed));
    if (loc == c->root) /* neither set: blame the node counts that outgrew the default */
        loc = scn_first_of(c, OFF(nodes.peers), OFF(nodes.supernodes));
    char a1[16], a2[16], nets[SCN_NETS_TEXT];
    scn_format_allowed(s, nets, sizeof nets);
    scnv_format_ipv4(base, a1, sizeof a1);
    if (o == 0 || o == 255)
        return scn_fail(c, loc,
                        "network.base: last octet must be 1 to 254 (.0 and .255 are "
                        "skipped), got %s",
                        a1);

    uint64_t total = total_nodes(s);
    uint64_t idx = (o - 1) + total - 1;
    uint64_t block = (uint64_t)(base >> 8) + idx / 254;
    if (block > 0xffffff)
        return scn_fail(c, loc,
                        "network.base: %llu nodes counting up from %s run past "
                        "255.255.255.254",
                        (unsigned long long)total, a1);
    uint32_t last = (uint32_t)(block << 8 | (idx % 254 + 1));

    uint32_t cur = base;
    for (;;) {
        const struct scn_net *in = NULL;
        for (uint32_t i = 0; i < s->network.n_allowed && i < SCN_MAX_NETS; i++) {
            const struct scn_net *n = &s->network.allowed[i];
            if ((cur & scnv_prefix_mask(n->prefix)) == n->addr) {
                in = n;
                break;
            }
        }
        if (!in) {
            scnv_format_ipv4(cur, a2, sizeof a2);
            if (cur == base)
                return scn_fail(c, loc, "network.base: %s is outside network.allowed [%s]", a1,
                                nets);
            uint64_t id = ((uint64_t)(cur >> 8) - (base >> 8)) * 254 + (cur & 0xff) - o;
            return scn_fail(c, loc,
                            "network.base: node %llu would get %s (counting up from %s), "
                            "outside network.allowed [%s]",
                            (unsigned long long)id, a2, a1, nets);
        }
        uint32_t net_last = in->addr | ~scnv_prefix_mask(in->prefix);
        if (net_last >= last)
            return 0;
        cur = net_last + 1;
        if ((cur & 0xff) == 255)
            cur += 2;
        else if ((cur & 0xff) == 0)
            cur += 1;
        if (cur > last)
            return 0;
    }
}

/* The node of a key path in the file (a, then a.b, ...), or NULL. */
const struct tnode *scn_path_key(const struct scn_ctx *c, const char *a, const char *b,
                                 const char *d)
{
    const char *keys[] = {a, b, d};
    const struct tnode *m = c->root, *k = NULL;
    for (int i = 0; i < 3 && keys[i]; i++) {
        if (!m || m->kind != TN_MAP)
            return NULL;
        k = key_node(m, keys[i]);
        m = stree_map_get(m, keys[i], NULL);
        if (!k)
            return NULL;
    }
    return k;
}

/* The first of n key paths (up to three levels, NULL-padded) set in the
 * file, with its dotted name in name; NULL when none is. */
const struct tnode *scn_first_set(const struct scn_ctx *c, const char *const (*keys)[3], size_t n,
                                  char *name, size_t len)
{
    for (size_t i = 0; i < n; i++) {
        const char *const *p = keys[i];
        const struct tnode *k = scn_path_key(c, p[0], p[1], p[2]);
        if (k) {
            snprintf(name, len, "%s%s%s%s%s", p[0], p[1] ? "." : "", p[1] ? p[1] : "",
                     p[2] ? "." : "", p[2] ? p[2] : "");
            return k;
        }
    }
    return NULL;
}

/* A key of another architecture, set in the file. */
static int not_for_arch(struct scn_ctx *c, const struct tnode *k, const char *key,
                        enum scn_arch owner)
{
    const struct scenario *s = c->s;
    return scn_fail(c, k, "%s: only used with architecture: %s (architecture is %s)", key,
                    arch_names_of[owner], arch_names_of[s->architecture]);
}

/* Refuse the keys of every architecture but the scenario's own. */
static int check_arch_keys(struct scn_ctx *c)
{
    static const struct {
        const char *path[3];
        enum scn_arch owner;
    } keys[] = {
        {{"supernode", NULL, NULL}, ARCH_SUPERNODE},
        {{"nodes", "supernodes", NULL}, ARCH_SUPERNODE},
        {{"nodes", "bootstrap", NULL}, ARCH_SUPERNODE},
        {{"peer", "host_cache", NULL}, ARCH_SUPERNODE},
        {{"network", "impair", "supernode"}, ARCH_SUPERNODE},
        {{"central", NULL, NULL}, ARCH_CENTRAL},
        {{"network", "impair", "front_door"}, ARCH_CENTRAL},
        {{"network", "impair", "presence"}, ARCH_CENTRAL},
        {{"dht", NULL, NULL}, ARCH_DHT},
        {{"network", "impair", "dht_bootstrap"}, ARCH_DHT},
        {{"settop", NULL, NULL}, ARCH_SETTOP},
        {{"network", "impair", "headend"}, ARCH_SETTOP},
        {{"target", NULL, NULL}, ARCH_TARGET},
    };
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        char key[64];
        const struct tnode *k;
        if (keys[i].owner != c->s->architecture &&
            (k = scn_first_set(c, &keys[i].path, 1, key, sizeof key)))
            return not_for_arch(c, k, key, keys[i].owner);
    }
    return 0;
}

/* The first n of an architecture's ports must all differ: the later key of a
 * clash is blamed, at the first of the two set in the file. */
static int distinct_ports(struct scn_ctx *c, const uint16_t *ports, const char *const *keys,
                          const size_t *offs, size_t n)
{
    for (size_t i = 1; i < n; i++)
        for (size_t j = 0; j < i; j++)
            if (ports[i] == ports[j])
                return scn_fail(c, scn_first_of(c, offs[i], offs[j]),
                                "%s: must differ from %s (both are %u)", keys[i], keys[j],
                                (unsigned)ports[i]);
    return 0;
}

/* architecture: central: the data centres, their servers and ports. */
static int check_central(struct scn_ctx *c)
{
    struct scenario *s = c->s;
    struct scn_central *ct = &s->central;
    s->nodes.supernodes = 0;
    s->nodes.bootstrap = 0;

    const struct tnode *dcs = scn_path_key(c, "central", "datacenters", NULL);
    if (ct->n_dc == 0)
        return scn_fail(c, dcs ? dcs : scn_path_key(c, "architecture", NULL, NULL),
                        "central.datacenters: architecture: central needs at least one data "
                        "centre, like [{name: eu, servers: 4, share: 1}]");
    double sum = 0;
    for (uint32_t i = 0; i < ct->n_dc; i++) {
        struct scn_datacenter *d = &ct->dc[i];
        sum += d->share;
        size_t off = OFF(central.dc) + i * sizeof *d;
        if (d->max_servers == 0) {
            d->max_servers = d->servers;
        } else if (d->max_servers < d->servers) {
            return scn_fail(c, scn_first_of(c, off + DC(max_servers), off + DC(servers)),
                            "central.datacenters.%u.max_servers: must be >= servers (%u), got %u",
                            i, d->servers, d->max_servers);
        }
    }
    if (sum < 1 - 1e-6 || sum > 1 + 1e-6)
        return scn_fail(c, dcs ? dcs : c->root,
                        "central.datacenters: the shares must add up to 1, got %.6g", sum);

    const uint16_t ports[] = {s->login_server.port, ct->presence.port, ct->front_door.port,
                              s->service.port};
    const char *const port_keys[] = {"login_server.port", "central.presence.port",
                                     "central.front_door.port", "service.port"};
    const size_t port_offs[] = {OFF(login_server.port), OFF(central.presence.port),
                                OFF(central.front_door.port), OFF(service.port)};
    if (distinct_ports(c, ports, port_keys, port_offs, s->nodes.services > 0 ? 4 : 3) < 0)
        return -1;

    if (check_capacity(c, OFF(central.presence.cap), "central.presence") < 0 ||
        check_capacity(c, OFF(central.front_door.cap), "central.front_door") < 0)
        return -1;
    const struct scn_overload *o = &ct->presence.overload;
    const size_t o_action = OFF(central.presence.overload.action);
    if (o->action == OVERLOAD_DEMOTE)
        return scn_fail(c, scn_first_of(c, o_action, o_action),
                        "central.presence.overload.action: must be none or shutdown (a presence "
                        "server has nothing to demote to), got demote");
    if (o->action != OVERLOAD_NONE && !(o->load > 0) && o->lag_ns == 0)
        return scn_fail(c, scn_first_of(c, o_action, o_action),
                        "central.presence.overload.action: %s needs overload.load > 0 or "
                        "overload.lag > 0",
                        scn_overload_names[o->action]);
    if (o->load > 0 && ct->presence.max_clients == 0)
        return scn_fail(
            c,
            scn_first_of(c, OFF(central.presence.overload.load), OFF(central.presence.max_clients)),
            "central.presence.overload.load: needs central.presence.max_clients > 0 "
            "(the load is clients / max_clients)");
    const struct scn_autoscale *a = &ct->autoscale;
    if (a->target > 0 && a->scale_in_below >= a->target) {
        char t[40], b[40];
        scnv_format_number(a->target, t, sizeof t);
        scnv_format_number(a->scale_in_below, b, sizeof b);
        return scn_fail(
            c,
            scn_first_of(c, OFF(central.autoscale.scale_in_below), OFF(central.autoscale.target)),
            "central.autoscale.scale_in_below: must be below target (%s), got %s", t, b);
    }
    return 0;
}

/* architecture: dht: no supernodes or services, the login servers only
 * with dht.login, and bounds between the dht keys. */
static int check_dht(struct scn_ctx *c)
{
    struct scenario *s = c->s;
    struct scn_dht *d = &s->dht;
    const struct tnode *k;
    s->nodes.supernodes = 0;
    s->nodes.bootstrap = 0;
    if (s->nodes.services > 0)
        return scn_fail(c, scn_first_of(c, OFF(nodes.services), OFF(nodes.services)),
                        "nodes.services: must be 0 with architecture: dht (the workload is "
                        "lookups between peers), got %u",
                        s->nodes.services);
    static const char *const unused_keys[][3] = {
        {"service", NULL, NULL},
        {"network", "impair", "service"},
        {"workload", "keepalive", NULL},
    };
    char key[64];
    if ((k = scn_first_set(c, unused_keys, sizeof unused_keys / sizeof unused_keys[0], key,
                           sizeof key)))
        return scn_fail(c, k,
                        "%s: not used with architecture: dht (no central service; a DHT node "
                        "keeps no connection alive)",
                        key);
    if (!d->login) {
        static const char *const login_keys[][3] = {
            {"login_server", NULL, NULL},
            {"nodes", "login_servers", NULL},
            {"peer", "login", NULL},
            {"network", "impair", "login_server"},
        };
        if ((k = scn_first_set(c, login_keys, sizeof login_keys / sizeof login_keys[0], key,
                               sizeof key)))
            return scn_fail(c, k, "%s: only used with dht.login: true (dht.login is false)", key);
        s->nodes.login_servers = 0;
    }
    if (d->alpha > d->k)
        return scn_fail(c, scn_first_of(c, OFF(dht.alpha), OFF(dht.k)),
                        "dht.alpha: must be <= dht.k (%u), got %u", d->k, d->alpha);
    if (d->online_contacts >= s->nodes.peers)
        return scn_fail(c, scn_first_of(c, OFF(dht.online_contacts), OFF(nodes.peers)),
                        "dht.online_contacts: must be < nodes.peers (%u): a node can know at most "
                        "the other peers, got %u",
                        s->nodes.peers, d->online_contacts);
    if (d->republish_ns > 0 && d->record_ttl_ns < d->republish_ns) {
        char a[32], b[32];
        scenario_format_duration(d->republish_ns, a, sizeof a);
        scenario_format_duration(d->record_ttl_ns, b, sizeof b);
        return scn_fail(c, scn_first_of(c, OFF(dht.record_ttl_ns), OFF(dht.republish_ns)),
                        "dht.record_ttl: must be >= dht.republish (%s), or records lapse between "
                        "republishes, got %s",
                        a, b);
    }
    const uint16_t ports[] = {d->port, d->bootstrap.port, s->login_server.port};
    const char *const port_keys[] = {"dht.port", "dht.bootstrap.port", "login_server.port"};
    const size_t port_offs[] = {OFF(dht.port), OFF(dht.bootstrap.port), OFF(login_server.port)};
    if (distinct_ports(c, ports, port_keys, port_offs, d->login ? 3 : 2) < 0)
        return -1;
    return check_capacity(c, OFF(dht.bootstrap.cap), "dht.bootstrap");
}

/* architecture: settop: the boxes (the peers) and one head-end, no other
 * server and no login; the image's blocks, the channel's share and the
 * head-end's ports and capacity. */
static int check_settop(struct scn_ctx *c)
{
    struct scenario *s = c->s;
    struct scn_settop *t = &s->settop;
    const struct tnode *k;
    char key[64], a[32], b[32];

    s->nodes.supernodes = 0;
    s->nodes.bootstrap = 0;
    if (s->nodes.services > 0)
        return scn_fail(c, scn_first_of(c, OFF(nodes.services), OFF(nodes.services)),
                        "nodes.services: must be 0 with architecture: settop (the boxes fetch "
                        "their image from the head-end and register with it), got %u",
                        s->nodes.services);
    static const char *const login_keys[][3] = {
        {"login_server", NULL, NULL},
        {"nodes", "login_servers", NULL},
        {"peer", "login", NULL},
        {"network", "impair", "login_server"},
    };
    if ((k = scn_first_set(c, login_keys, sizeof login_keys / sizeof login_keys[0], key,
                           sizeof key)))
        return scn_fail(c, k,
                        "%s: not used with architecture: settop (no login: the boxes register "
                        "with the head-end, see settop.headend.register); remove it",
                        key);
    s->nodes.login_servers = 0;
    static const char *const service_keys[][3] = {
        {"service", NULL, NULL},
        {"network", "impair", "service"},
        {"workload", "request", NULL},
    };
    if ((k = scn_first_set(c, service_keys, sizeof service_keys / sizeof service_keys[0], key,
                           sizeof key)))
        return scn_fail(c, k,
                        "%s: not used with architecture: settop (no service and no requests: "
                        "an online box sends keepalives only); remove it",
                        key);
    if (s->workload.request_rate > 0) {
        char r[64];
        scnv_format_rate(s->workload.request_rate, r, sizeof r);
        return scn_fail(c, scn_first_of(c, OFF(workload.request_rate), OFF(workload.request_rate)),
                        "workload.request_rate: must be 0/s with architecture: settop (an online "
                        "box sends keepalives only), got %s",
                        r);
    }

    const size_t o_size = OFF(settop.image_bytes), o_block = OFF(settop.block_bytes);
    units_format_bytes(t->image_bytes, a, sizeof a);
    if (t->block_bytes % 4 != 0)
        return scn_fail(c, scn_first_of(c, o_block, o_size),
                        "settop.image.block: must be a multiple of 4 (RaptorQ's symbol "
                        "alignment), got %u",
                        t->block_bytes);
    if (t->block_bytes > t->image_bytes)
        return scn_fail(c, scn_first_of(c, o_block, o_size),
                        "settop.image.block: must be <= settop.image.size (%s), got %u", a,
                        t->block_bytes);
    uint64_t blocks = (t->image_bytes + t->block_bytes - 1) / t->block_bytes;
    if (blocks > SCN_SETTOP_MAX_BLOCKS) {
        /* the smallest block, a multiple of 4, that needs few enough */
        uint64_t least = (t->image_bytes + SCN_SETTOP_MAX_BLOCKS - 1) / SCN_SETTOP_MAX_BLOCKS;
        least = (least + 3) / 4 * 4;
        return scn_fail(c, scn_first_of(c, o_size, o_block),
                        "settop.image.size: %s in blocks of %u bytes is %llu blocks, more than "
                        "%u (RaptorQ's largest source block): raise settop.image.block to at "
                        "least %llu or lower settop.image.size",
                        a, t->block_bytes, (unsigned long long)blocks, SCN_SETTOP_MAX_BLOCKS,
                        (unsigned long long)least);
    }

    const struct tnode *ncar = scn_seen_node(c, OFF(settop.carousel_Bps));
    if (!ncar) {
        t->carousel_Bps = t->channel_Bps;
    } else if (t->carousel_Bps > t->channel_Bps) {
        scnv_format_bandwidth(t->channel_Bps, a, sizeof a);
        scnv_format_bandwidth(t->carousel_Bps, b, sizeof b);
        return scn_fail(c, ncar,
                        "settop.carousel.bitrate: must be <= settop.channel.bitrate (%s): the "
                        "carousel is a share of the channel, got %s",
                        a, b);
    }

    /* In host mode every node has its own port from network.port_base. */
    const uint16_t ports[] = {t->carousel_port, t->headend.port};
    const char *const port_keys[] = {"settop.carousel.port", "settop.headend.port"};
    const size_t port_offs[] = {OFF(settop.carousel_port), OFF(settop.headend.port)};
    if (s->network.mode == NET_LOOPBACK && distinct_ports(c, ports, port_keys, port_offs, 2) < 0)
        return -1;

    if (check_retry(c, OFF(settop.download), "settop.download") < 0)
        return -1;
    return check_capacity(c, OFF(settop.headend.cap), "settop.headend.register");
}

int scn_check_rules(struct scn_ctx *c)
{
    struct scenario *s = c->s;

    if (check_arch_keys(c) < 0)
        return -1;
    if (s->architecture == ARCH_CENTRAL && check_central(c) < 0)
        return -1;
    if (s->architecture == ARCH_DHT && check_dht(c) < 0)
        return -1;
    if (s->architecture == ARCH_SETTOP && check_settop(c) < 0)
        return -1;
    if (s->architecture == ARCH_TARGET && scn_check_target(c) < 0)
        return -1;

    const struct tnode *bn = scn_seen_node(c, OFF(nodes.bootstrap));
    if (s->architecture != ARCH_SUPERNODE)
        ; /* no supernodes (check_central, check_dht, check_settop) */
    else if (!bn)
        s->nodes.bootstrap = s->nodes.supernodes < 4 ? s->nodes.supernodes : 4;
    else if (s->nodes.bootstrap > s->nodes.supernodes)
        return scn_fail(c, bn, "nodes.bootstrap: must be <= nodes.supernodes (%u), got %u",
                        s->nodes.supernodes, s->nodes.bootstrap);

    if (s->architecture == ARCH_SUPERNODE && s->login_server.port == s->supernode.port)
        return scn_fail(c, scn_first_of(c, OFF(supernode.port), OFF(login_server.port)),
                        "supernode.port: must differ from login_server.port (both are %u)",
                        (unsigned)s->supernode.port);
    if (s->architecture == ARCH_SUPERNODE && s->nodes.services > 0 &&
        s->service.port == s->login_server.port)
        return scn_fail(c, scn_first_of(c, OFF(service.port), OFF(login_server.port)),
                        "service.port: must differ from login_server.port (both are %u)",
                        (unsigned)s->service.port);
    if (s->architecture == ARCH_SUPERNODE && s->nodes.services > 0 &&
        s->service.port == s->supernode.port)
        return scn_fail(c, scn_first_of(c, OFF(service.port), OFF(supernode.port)),
                        "service.port: must differ from supernode.port (both are %u)",
                        (unsigned)s->service.port);

    if (check_capacity(c, OFF(login_server.cap), "login_server") < 0 ||
        check_capacity(c, OFF(service.cap), "service") < 0 ||
        check_capacity(c, OFF(supernode.cap), "supernode") < 0)
        return -1;

    if (s->supernode.overload.action != OVERLOAD_NONE && !(s->supernode.overload.load > 0) &&
        s->supernode.overload.lag_ns == 0)
        return scn_fail(
            c, scn_first_of(c, OFF(supernode.overload.action), OFF(supernode.overload.action)),
            "supernode.overload.action: %s needs overload.load > 0 or overload.lag > 0",
            scn_overload_names[s->supernode.overload.action]);
    if (s->supernode.overload.load > 0 && s->supernode.max_clients == 0)
        return scn_fail(c,
                        scn_first_of(c, OFF(supernode.overload.load), OFF(supernode.max_clients)),
                        "supernode.overload.load: needs supernode.max_clients > 0 (the load is "
                        "clients / max_clients)");

    const struct tnode *nsess = scn_seen_node(c, OFF(peer.session_on_reboot));
    if (nsess && !scn_login_uses_session((const char *)s))
        return scn_fail(c, nsess,
                        "peer.login.session_on_reboot: only used with resume: ticket (resume is "
                        "none)");

    if (check_retry(c, OFF(peer.login), "peer.login") < 0 ||
        check_retry(c, OFF(peer.reg), "peer.register") < 0 ||
        check_retry(c, OFF(workload.request), "workload.request") < 0)
        return -1;

    if (s->control.resync_ns != 0 && s->control.resync_ns < 100 * MS) {
        char b[32];
        scenario_format_duration(s->control.resync_ns, b, sizeof b);
        return scn_fail(c, scn_first_of(c, OFF(control.resync_ns), OFF(control.resync_ns)),
                        "control.resync: must be 0s (off) or >= 100ms, got %s", b);
    }

    if (s->workload.request_rate > 0 && s->nodes.services == 0 && s->architecture != ARCH_DHT)
        return scn_fail(c, scn_first_of(c, OFF(workload.request_rate), OFF(nodes.services)),
                        "workload.request_rate: needs nodes.services >= 1 (the requests go to the "
                        "central service)");

    /* In host mode the addresses are the hosts' own, known only when the
     * ranks start; bootstorm checks them against network.allowed then. */
    return s->network.mode == NET_HOST ? 0 : check_addresses(c);
}
