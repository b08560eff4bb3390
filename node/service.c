/* service.c - the central service (see service.h). */
#include "service.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#include "capacity.h"
#include "conn.h"
#include "host.h"
#include "impair.h"
#include "trace.h"

#define RECV_BATCH 64 /* datagrams per wake-up, so one busy socket cannot starve the loop */

struct svc_req {
    struct cap_item item;
    struct sockaddr_in from;
    uint32_t req_id;
};

/* UP <--crash / restore--> DOWN; svc_set_state alone moves the svc_up gauge. */
enum svc_state { SVC_DOWN = 0, SVC_UP };
static const char *const svc_state_names[] = {"DOWN", "UP"};

struct service {
    struct host *h;
    uint32_t id;
    uint32_t ip;
    enum svc_state state;
    int fd; /* -1 while down */
    struct event *ev;
    struct capacity cap;
};

static void svc_set_state(struct service *s, enum svc_state to)
{
    if (s->state == to)
        return;
    trace_state(s->h, TRACE_SERVICE, "service", s->id, svc_state_names[s->state],
                svc_state_names[to]);
    s->h->m.g[G_SVC_UP] += (to == SVC_UP) - (s->state == SVC_UP);
    s->state = to;
}

static void send_to(struct service *s, const struct sockaddr_in *to, const struct wire_msg *m)
{
    uint8_t buf[64];
    uint32_t dst = ntohl(to->sin_addr.s_addr);
    if (s->fd < 0 || !placement_ip_allowed(s->h->scn, dst))
        return;
    if (impair_drop_datagram(s->h, ROLE_SERVICE, dst))
        return; /* lost on the way */
    int n = wire_encode_payload(m, buf, sizeof buf);
    if (n > 0 &&
        sendto(s->fd, buf, (size_t)n, MSG_DONTWAIT, (const struct sockaddr *)to, sizeof *to) == n) {
        s->h->m.c[C_MSGS_SENT]++;
        s->h->m.c[C_BYTES_SENT] += (uint64_t)n;
    }
}

static void on_served(struct cap_item *it, bool abandoned, void *arg)
{
    struct service *s = arg;
    struct svc_req *r = container_of(it, struct svc_req, item);
    struct wire_msg m = {.type = WIRE_RESPONSE, .u.req.req_id = r->req_id};
    send_to(s, &r->from, &m);
    free(r);
}

static void on_drop(struct cap_item *it, void *arg)
{
    free(container_of(it, struct svc_req, item));
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
    struct service *s = arg;
    struct host *h = s->h;
    for (int i = 0; i < RECV_BATCH; i++) {
        uint8_t buf[WIRE_MAX_FRAME];
        struct sockaddr_in from;
        socklen_t fl = sizeof from;
        ssize_t n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
        if (n < 0)
            return; /* EAGAIN, or an ICMP error from a vanished client */
        h->m.c[C_BYTES_RECV] += (uint64_t)n;
        struct wire_msg m;
        if (wire_decode_payload(buf, (size_t)n, &m) != WIRE_OK || m.type != WIRE_REQUEST) {
            h->m.c[C_MALFORMED]++;
            continue;
        }
        h->m.c[C_MSGS_RECV]++;
        struct svc_req *r = calloc(1, sizeof *r);
        if (!r)
            continue;
        r->from = from;
        r->req_id = m.u.req.req_id;
        uint32_t hint;
        if (cap_submit(&s->cap, &r->item, &hint) == CAP_V_REJECTED) {
            struct wire_msg busy = {.type = WIRE_REQ_BUSY,
                                    .u.req = {.req_id = r->req_id, .retry_after_ms = hint}};
            send_to(s, &from, &busy);
            free(r);
        }
    }
}

static int svc_set_up(struct service *s)
{
    if (s->fd >= 0)
        return 0;
    struct host *h = s->h;
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa;
    conn_sockaddr(s->ip, placement_port(&h->pl, s->id), &sa);
    int one = 1;
    if (fd >= 0)
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        fprintf(stderr, "bootstorm: rank %d: service %u: cannot bind UDP port %u: %s\n", h->rank,
                s->id, placement_port(&h->pl, s->id), strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    s->fd = fd;
    s->ev = event_new(h->base, fd, EV_READ | EV_PERSIST, on_readable, s);
    event_add(s->ev, NULL);
    svc_set_state(s, SVC_UP);
    return 0;
}

static void svc_set_down(struct service *s)
{
    if (s->fd < 0)
        return;
    event_free(s->ev);
    s->ev = NULL;
    close(s->fd);
    s->fd = -1;
    svc_set_state(s, SVC_DOWN);
    cap_clear(&s->cap); /* a crashed server forgets its queue */
}

static struct service *svc_create(struct host *h, uint32_t id, char *err, size_t errlen)
{
    struct service *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    s->h = h;
    s->id = id;
    s->ip = placement_addr(&h->pl, id);
    s->fd = -1;
    if (!placement_ip_allowed(h->scn, s->ip)) {
        snprintf(err, errlen, "service %u: address outside network.allowed", id);
        free(s);
        return NULL;
    }
    struct cap_metrics m = {.g_queue = G_SVC_QUEUE,
                            .g_busy = G_SVC_BUSY,
                            .c_served = C_SVC_SERVED,
                            .c_rejected = C_SVC_REJECTED,
                            .c_wasted = -1,
                            .queue_us = &h->m.svc_queue_us,
                            .service_us = &h->m.svc_service_us,
                            .emu_us = &h->m.svc_emu_us,
                            .c_busy_us = -1};
    cap_init(&s->cap, h, &h->scn->service.cap, id, &m, on_served, on_drop, s);
    if (svc_set_up(s) < 0) {
        snprintf(err, errlen, "service %u: cannot bind its UDP port", id);
        free(s);
        return NULL;
    }
    return s;
}

static void svc_free(struct service *s)
{
    if (!s)
        return;
    svc_set_down(s);
    free(s);
}

/* ---- role operations ---- */

static void *op_create(struct host *h, uint32_t id, char *err, size_t errlen)
{
    return svc_create(h, id, err, errlen);
}

static void op_destroy(void *node)
{
    svc_free(node);
}

static uint32_t op_id(const void *node)
{
    return ((const struct service *)node)->id;
}

static bool op_crash(void *node)
{
    struct service *s = node;
    bool was_up = s->state == SVC_UP;
    svc_set_down(s);
    return was_up;
}

static bool op_restore(void *node)
{
    struct service *s = node;
    return s->state == SVC_DOWN && svc_set_up(s) == 0;
}

static void op_reconfigure(void *node, const struct scn_event *ev)
{
    cap_reconfigure(&((struct service *)node)->cap, ev);
}

static void op_stall(void *node, int64_t for_ns)
{
    cap_stall(&((struct service *)node)->cap, for_ns);
}

const struct role_ops service_role = {
    .role = ROLE_SERVICE,
    .create = op_create,
    .destroy = op_destroy,
    .id = op_id,
    .crash = op_crash,
    .restore = op_restore,
    .reconfigure = op_reconfigure,
    .stall = op_stall,
};
