/* faults.c - event expansion over the local nodes (see faults.h). */
#include "faults.h"

#include <stdlib.h>

#include <event2/event.h>
#include <event2/event_struct.h>

#include "common/rng.h"
#include "host.h"
#include "impair.h"
#include "role_table.h"

enum fault_action { ACT_BOOT, ACT_REBOOT, ACT_CRASH, ACT_RESTORE };

struct sweep_item {
    int64_t at_ns; /* run time */
    uint32_t idx;  /* into the host's node set of the role */
};

/* One event's selected nodes of one role, applied in time order. */
struct sweep {
    struct sweep *next;
    struct faults *f;
    enum fault_action action;
    enum role role;
    struct event timer;
    struct sweep_item *items;
    uint32_t n, done;
};

struct faults {
    struct host *h;
    struct sweep *sweeps; /* still in progress */
    struct event *partition_end;
};

static int item_cmp(const void *a, const void *b)
{
    const struct sweep_item *x = a, *y = b;
    if (x->at_ns != y->at_ns)
        return x->at_ns < y->at_ns ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static void sweep_free(struct sweep *s)
{
    struct sweep **pp = &s->f->sweeps;
    while (*pp != s)
        pp = &(*pp)->next;
    *pp = s->next;
    event_del(&s->timer);
    free(s->items);
    free(s);
}

static void apply(const struct role_ops *ops, enum fault_action act, void *node)
{
    bool (*fn)(void *) = act == ACT_BOOT     ? ops->boot
                         : act == ACT_REBOOT ? ops->reboot
                         : act == ACT_CRASH  ? ops->crash
                                             : ops->restore;
    if (fn)
        fn(node);
}

/* One timer walks the event's selected nodes in time order, so an event
 * costs one timer however many nodes it touches. */
static void sweep_tick(evutil_socket_t fd, short what, void *arg)
{
    struct sweep *s = arg;
    struct host *h = s->f->h;
    const struct role_ops *ops = role_table[s->role];
    const struct node_set *set = &h->nodes[s->role];
    int64_t now = host_now(h);
    while (s->done < s->n && s->items[s->done].at_ns <= now)
        apply(ops, s->action, set->v[s->items[s->done++].idx]);
    if (s->done == s->n)
        sweep_free(s);
    else
        host_arm_at(h, &s->timer, s->items[s->done].at_ns);
}

/* Whether node `id` lies in the event's data centre (dc: index + 1; 0:
 * every node of the role). */
static bool in_dc(const struct host *h, uint32_t dc, uint32_t id)
{
    return dc == 0 || placement_dc(&h->pl, id) == dc - 1;
}

/* Select this rank's share of a role (of data centre dc, when not 0),
 * deterministically from (seed, node id, event index), and spread the
 * action over the window. fraction < 0 selects every node, all at once at
 * t0 + over. */
static uint32_t start_sweep(struct faults *f, uint32_t idx, enum role role, uint32_t dc,
                            enum fault_action act, double fraction, int64_t t0, int64_t over)
{
    struct host *h = f->h;
    const struct role_ops *ops = role_table[role];
    const struct node_set *set = &h->nodes[role];
    struct sweep *s = calloc(1, sizeof *s);
    if (!s)
        return 0;
    s->items = malloc(sizeof *s->items * (set->n ? set->n : 1));
    if (!s->items) {
        free(s);
        return 0;
    }
    for (uint32_t i = 0; i < set->n; i++) {
        if (act == ACT_CRASH && ops->crash_candidate && !ops->crash_candidate(set->v[i]))
            continue; /* e.g. a supernode that is dormant or already down */
        uint32_t id = ops->id(set->v[i]);
        if (!in_dc(h, dc, id))
            continue;
        if (fraction >= 0 && rng_hash_unit(h->scn->seed, id, idx, 0) >= fraction)
            continue;
        double u = fraction >= 0 ? rng_hash_unit(h->scn->seed, id, idx, 1) : 1.0;
        s->items[s->n++] = (struct sweep_item){t0 + (int64_t)(u * (double)over), i};
    }
    qsort(s->items, s->n, sizeof *s->items, item_cmp);
    s->f = f;
    s->action = act;
    s->role = role;
    s->next = f->sweeps;
    f->sweeps = s;
    evtimer_assign(&s->timer, h->base, sweep_tick, s);
    uint32_t selected = s->n;
    sweep_tick(-1, 0, s); /* applies everything already due; may free s */
    return selected;
}

static void partition_over(evutil_socket_t fd, short what, void *arg)
{
    impair_partition(arg, NULL);
}

static uint32_t reconfigure_all(struct host *h, const struct scn_event *ev)
{
    const struct role_ops *ops = role_table[ev->role];
    const struct node_set *set = &h->nodes[ev->role];
    for (uint32_t i = 0; i < set->n && ops->reconfigure; i++)
        ops->reconfigure(set->v[i], ev);
    return set->n;
}

/* A stall: every server of the role (in the event's data centre) queues
 * its requests but starts none for `for`. */
static uint32_t stall_all(struct host *h, enum role role, const struct scn_event *ev)
{
    const struct role_ops *ops = role_table[role];
    const struct node_set *set = &h->nodes[role];
    uint32_t n = 0;
    for (uint32_t i = 0; i < set->n && ops->stall; i++)
        if (in_dc(h, ev->dc, ops->id(set->v[i]))) {
            ops->stall(set->v[i], ev->for_ns);
            n++;
        }
    return n;
}

/* The roles an event hits: its role, or with role ROLE_COUNT (a whole data
 * centre) the front door and the presence servers. */
static uint32_t event_roles(const struct scn_event *ev, enum role *out)
{
    if (ev->role != ROLE_COUNT) {
        out[0] = ev->role;
        return 1;
    }
    out[0] = ROLE_FRONT_DOOR;
    out[1] = ROLE_PRESENCE;
    return 2;
}

uint32_t faults_fire(struct faults *f, uint32_t idx, const struct scn_event *ev, int64_t t0)
{
    struct host *h = f->h;
    enum role roles[2];
    uint32_t n = 0, n_roles = event_roles(ev, roles);
    switch (ev->kind) {
    case EV_BOOT:
        return start_sweep(f, idx, ev->role, 0, ACT_BOOT, ev->fraction, t0, ev->over_ns);
    case EV_REBOOT:
        return start_sweep(f, idx, ev->role, 0, ACT_REBOOT, ev->fraction, t0, ev->over_ns);
    case EV_CRASH:
        for (uint32_t r = 0; r < n_roles; r++)
            n += start_sweep(f, idx, roles[r], ev->dc, ACT_CRASH, ev->fraction, t0, ev->over_ns);
        return n;
    case EV_OUTAGE:
        for (uint32_t r = 0; r < n_roles; r++) {
            n += start_sweep(f, idx, roles[r], ev->dc, ACT_CRASH, -1, t0, 0);
            start_sweep(f, idx, roles[r], ev->dc, ACT_RESTORE, -1, t0, ev->for_ns);
        }
        return n;
    case EV_STALL:
        for (uint32_t r = 0; r < n_roles; r++)
            n += stall_all(h, roles[r], ev);
        return n;
    case EV_CAPACITY:
        return reconfigure_all(h, ev);
    case EV_PARTITION:
        impair_partition(h, ev->group_of_rank);
        if (!f->partition_end)
            f->partition_end = evtimer_new(h->base, partition_over, h);
        if (f->partition_end)
            host_arm_at(h, f->partition_end, t0 + ev->for_ns);
        return 1;
    default:
        /* An event kind of one role's own (inject_supernodes). */
        for (int r = 0; r < ROLE_COUNT; r++) {
            int64_t got = role_table[r]->fire ? role_table[r]->fire(h, idx, ev) : -1;
            if (got >= 0)
                return (uint32_t)got;
        }
        return 0;
    }
}

struct faults *faults_new(struct host *h)
{
    struct faults *f = calloc(1, sizeof *f);
    if (f)
        f->h = h;
    return f;
}

void faults_free(struct faults *f)
{
    if (!f)
        return;
    while (f->sweeps)
        sweep_free(f->sweeps); // NOLINT(clang-analyzer-unix.Malloc): sweep_free unlinks it
    if (f->partition_end)
        event_free(f->partition_end);
    free(f);
}
