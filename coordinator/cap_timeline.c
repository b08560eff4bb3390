/* cap_timeline.c - a server class's capacity over the run (see cap_timeline.h). */
#include "cap_timeline.h"

static const struct scn_capacity *base_capacity(const struct scenario *s, enum role role)
{
    switch (role) {
    case ROLE_LOGIN_SERVER:
        return &s->login_server.cap;
    case ROLE_SERVICE:
        return &s->service.cap;
    case ROLE_SUPERNODE:
        return &s->supernode.cap;
    case ROLE_DHT_BOOTSTRAP:
        return &s->dht.bootstrap.cap;
    case ROLE_HEADEND: /* its registration server */
        return &s->settop.headend.cap;
    default:
        return NULL;
    }
}

static uint32_t servers_of(const struct scenario *s, enum role role)
{
    switch (role) {
    case ROLE_LOGIN_SERVER:
        return s->nodes.login_servers;
    case ROLE_SERVICE:
        return s->nodes.services;
    case ROLE_SUPERNODE:
        return s->nodes.supernodes;
    case ROLE_DHT_BOOTSTRAP:
        return s->architecture == ARCH_DHT ? s->dht.bootstrap.nodes : 0;
    case ROLE_HEADEND:
        return s->architecture == ARCH_SETTOP ? 1 : 0;
    default:
        return 0;
    }
}

double cap_timeline_rate(const struct scn_capacity *cap)
{
    double mean_s = dist_mean(&cap->service_time) / 1e9;
    double per = mean_s > 0 ? cap->workers / mean_s : 1e12;
    /* Pace and token-bucket admission serve at most `rate`, whatever the
     * workers could do. */
    if (cap->admission == ADMIT_PACE && cap->rate > 0 && cap->rate < per)
        per = cap->rate;
    if (cap->admission == ADMIT_TOKEN_BUCKET && cap->rate > 0 && cap->rate < per)
        per = cap->rate;
    return per;
}

/* Does event i, of this role, come before event j in the order they take
 * effect? Run time, then scenario order, the order the hosts arm them. */
static bool before(const int64_t *sched_at, uint32_t i, uint32_t j)
{
    return sched_at[i] < sched_at[j] || (sched_at[i] == sched_at[j] && i < j);
}

size_t cap_timeline(const struct scenario *s, const int64_t *sched_at, enum role role,
                    struct cap_point *out)
{
    const struct scn_capacity *base = base_capacity(s, role);
    if (!base) { /* peers serve nothing */
        out[0] = (struct cap_point){0.0, 0.0, 0};
        return 1;
    }
    struct scn_capacity cap = *base;
    uint32_t servers = servers_of(s, role);
    out[0] = (struct cap_point){0.0, cap_timeline_rate(&cap), servers};
    size_t n = 1;
    if (!sched_at)
        return n;

    /* The role's scheduled capacity events in time order: at most
     * SCN_MAX_EVENTS of them, so an insertion sort is plenty. */
    uint32_t order[SCN_MAX_EVENTS], k = 0;
    for (uint32_t i = 0; i < s->n_events && i < SCN_MAX_EVENTS; i++) {
        const struct scn_event *e = &s->events[i];
        if (e->kind != EV_CAPACITY || e->role != role || sched_at[i] < 0)
            continue;
        uint32_t j = k++;
        for (; j > 0 && before(sched_at, i, order[j - 1]); j--)
            order[j] = order[j - 1];
        order[j] = i;
    }
    for (uint32_t m = 0; m < k; m++) {
        const struct scn_event *e = &s->events[order[m]];
        /* the same fields the servers change (node/capacity.c, cap_reconfigure);
         * the queue does not change a rate */
        if (e->workers)
            cap.workers = e->workers;
        if (e->service_time.kind != DIST_KEEP)
            cap.service_time = e->service_time;
        out[n++] = (struct cap_point){sched_at[order[m]] / 1e9, cap_timeline_rate(&cap), servers};
    }
    return n;
}

double cap_timeline_final_rate(const struct scenario *s, const int64_t *sched_at, enum role role)
{
    struct cap_point pts[CAP_TIMELINE_MAX];
    size_t n = cap_timeline(s, sched_at, role, pts);
    return pts[n - 1].per_server_rps;
}

static json_t *points_json(const struct scenario *s, const int64_t *sched_at, enum role role)
{
    struct cap_point pts[CAP_TIMELINE_MAX];
    size_t n = cap_timeline(s, sched_at, role, pts);
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++) {
        json_t *o = json_pack("{s:f,s:f,s:I}", "t_s", pts[i].t_s, "per_server_rps",
                              pts[i].per_server_rps, "servers", (json_int_t)pts[i].servers);
        if (!o || json_array_append_new(a, o) < 0) {
            json_decref(a);
            return NULL;
        }
    }
    return a;
}

json_t *cap_timeline_json(const struct scenario *s, const int64_t *sched_at)
{
    json_t *ls = points_json(s, sched_at, ROLE_LOGIN_SERVER);
    json_t *svc = s->nodes.services > 0 ? points_json(s, sched_at, ROLE_SERVICE) : json_array();
    /* json_object_set_new takes the value even when it fails (and fails on a
     * NULL object or value), so each list is either in o or freed. */
    json_t *o = json_object();
    int bad = json_object_set_new(o, "login_server", ls) < 0;
    bad |= json_object_set_new(o, "service", svc) < 0;
    if (s->architecture == ARCH_SETTOP) /* the head-end's registration server */
        bad |= json_object_set_new(o, "headend", points_json(s, sched_at, ROLE_HEADEND)) < 0;
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}
