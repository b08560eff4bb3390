/* conn.c - sockets, listeners and framed messages (see conn.h). */
#include "conn.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>

#include "host.h"
#include "impair.h"
#include "loop_turn.h"
#include "tls.h"

void conn_sockaddr(uint32_t ip, uint16_t port, struct sockaddr_in *sa)
{
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_addr.s_addr = htonl(ip);
    sa->sin_port = htons(port);
}

int conn_udp_socket(struct host *h, uint32_t ip, uint16_t port)
{
    if (!placement_ip_allowed(h->scn, ip)) {
        errno = EPERM;
        return -1;
    }
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    struct sockaddr_in sa;
    conn_sockaddr(ip, port, &sa);
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* Encode m and send it from fd to ip:port; the checks are the caller's. */
static int send_datagram(struct host *h, int fd, uint32_t ip, uint16_t port,
                         const struct wire_msg *m)
{
    uint8_t buf[WIRE_MAX_DATAGRAM]; /* an IMG_BLOCK is the largest */
    struct sockaddr_in to;
    int n = wire_encode_payload(m, buf, sizeof buf);
    conn_sockaddr(ip, port, &to);
    if (n <= 0 ||
        sendto(fd, buf, (size_t)n, MSG_DONTWAIT, (const struct sockaddr *)&to, sizeof to) != n)
        return -1;
    h->m.c[C_MSGS_SENT]++;
    h->m.c[C_BYTES_SENT] += (uint64_t)n;
    return 0;
}

int conn_send_datagram(struct host *h, enum role role, int fd, uint32_t ip, uint16_t port,
                       const struct wire_msg *m)
{
    if (fd < 0 || !placement_ip_allowed(h->scn, ip) || impair_drop_datagram(h, role, ip))
        return -1;
    return send_datagram(h, fd, ip, port, m);
}

int conn_send_broadcast(struct host *h, int fd, uint32_t ip, uint16_t port,
                        const struct wire_msg *m)
{
    if (fd < 0 || !placement_ip_allowed(h->scn, ip) || impair_cut(h, ip))
        return -1;
    return send_datagram(h, fd, ip, port, m);
}

enum conn_dgram conn_recv_datagram(struct host *h, int fd, struct wire_msg *m, uint32_t *ip,
                                   uint16_t *port)
{
    uint8_t buf[WIRE_MAX_DATAGRAM + 1];
    struct sockaddr_in from;
    socklen_t fl = sizeof from;
    /* MSG_TRUNC: n is the datagram's real length, so an oversized one shows */
    ssize_t n =
        recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC, (struct sockaddr *)&from, &fl);
    if (n < 0)
        return CONN_DGRAM_NONE; /* EAGAIN, or an ICMP error from a vanished peer */
    h->m.c[C_BYTES_RECV] += (uint64_t)n;
    *ip = ntohl(from.sin_addr.s_addr);
    *port = ntohs(from.sin_port);
    if ((size_t)n > WIRE_MAX_DATAGRAM || wire_decode_payload(buf, (size_t)n, m) != WIRE_OK) {
        h->m.c[C_MALFORMED]++;
        return CONN_DGRAM_BAD;
    }
    return CONN_DGRAM_OK;
}

/* A non-blocking TCP socket bound to src_ip (any port), ready to connect to
 * dst_ip. Returns the fd, or -1 with errno set. */
static int conn_socket(struct host *h, uint32_t src_ip, uint32_t dst_ip)
{
    if (!placement_ip_allowed(h->scn, src_ip) || !placement_ip_allowed(h->scn, dst_ip)) {
        errno = EPERM;
        return -1;
    }
    if (impair_cut(h, dst_ip)) { /* a partition holds between us */
        errno = EHOSTUNREACH;
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
    if (fd < 0)
        return -1;
    int one = 1;
    /* Defer the port choice to connect(), so the 4-tuple, not the source
     * address alone, must be unique. */
#ifdef IP_BIND_ADDRESS_NO_PORT
    setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof one);
#endif
    setsockopt(fd, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one, sizeof one);
    struct sockaddr_in sa;
    conn_sockaddr(src_ip, 0, &sa);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

/* ---- listener with EMFILE back-off ---- */

struct listener {
    struct host *h;
    struct evconnlistener *l;
    struct event *resume;
    listener_accept_fn on_accept;
    void *arg;
};

static void listener_accept(struct evconnlistener *el, evutil_socket_t fd, struct sockaddr *sa,
                            int len, void *arg)
{
    struct listener *l = arg;
    loop_turn_check();
    const struct sockaddr_in *from = (const struct sockaddr_in *)sa;
    uint32_t ip = sa && sa->sa_family == AF_INET && len >= (int)sizeof *from
                      ? ntohl(from->sin_addr.s_addr)
                      : 0;
    l->on_accept(l->arg, fd, ip);
}

static void listener_resume(evutil_socket_t fd, short what, void *arg)
{
    struct listener *l = arg;
    evconnlistener_enable(l->l);
}

static void listener_error(struct evconnlistener *el, void *arg)
{
    struct listener *l = arg; /* libevent passes the evconnlistener's own arg: ours */
    l->h->m.c[C_ACCEPT_ERRORS]++;
    /* Out of fds (or a transient error): stop accepting for 100 ms so the
     * loop does not spin on a listener that stays readable. Pending
     * connections wait in the backlog, as on a real overloaded server. */
    evconnlistener_disable(el);
    struct timeval tv = {0, 100000};
    evtimer_add(l->resume, &tv);
}

struct listener *listener_new(struct host *h, uint32_t ip, uint16_t port, int backlog,
                              listener_accept_fn on_accept, void *arg, char *err, size_t errlen)
{
    char ipbuf[16];
    placement_format_ip(ip, ipbuf, sizeof ipbuf);
    if (!placement_ip_allowed(h->scn, ip)) {
        snprintf(err, errlen, "refusing to listen on %s: outside network.allowed", ipbuf);
        return NULL;
    }
    struct listener *l = calloc(1, sizeof *l);
    if (!l) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    struct sockaddr_in sa;
    conn_sockaddr(ip, port, &sa);
    l->h = h;
    l->on_accept = on_accept;
    l->arg = arg;
    l->l =
        evconnlistener_new_bind(h->base, listener_accept, l,
                                LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC,
                                backlog, (struct sockaddr *)&sa, sizeof sa);
    l->resume = evtimer_new(h->base, listener_resume, l);
    if (!l->l || !l->resume) {
        snprintf(err, errlen, "cannot listen on %s:%u: %s", ipbuf, port, strerror(errno));
        listener_free(l);
        return NULL;
    }
    evconnlistener_set_error_cb(l->l, listener_error);
    return l;
}

void listener_free(struct listener *l)
{
    if (!l)
        return;
    if (l->l)
        evconnlistener_free(l->l);
    if (l->resume)
        event_free(l->resume);
    free(l);
}

/* ---- connections ---- */

/* Input capped at two max frames, so a flood cannot grow memory without
 * bound: libevent stops reading until the frames are consumed. */
static void conn_wire(struct host *h, enum role role, struct bufferevent *bev,
                      bufferevent_data_cb read_cb, bufferevent_data_cb write_cb,
                      bufferevent_event_cb event_cb, void *arg)
{
    impair_setup(h, role, bev);
    bufferevent_setcb(bev, read_cb, write_cb, event_cb, arg);
    bufferevent_setwatermark(bev, EV_READ, 0, 2 * (WIRE_MAX_FRAME + 4));
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void conn_setup(struct host *h, enum role role, struct bufferevent *bev,
                       bufferevent_data_cb read_cb, bufferevent_data_cb write_cb,
                       bufferevent_event_cb event_cb, void *arg)
{
    h->m.g[G_OPEN_CONNS]++;
    conn_wire(h, role, bev, read_cb, write_cb, event_cb, arg);
}

enum conn_start conn_connect(struct host *h, enum role role, SSL_CTX *tls_ctx, uint32_t src_ip,
                             uint32_t dst_ip, uint16_t port, bufferevent_data_cb read_cb,
                             bufferevent_data_cb write_cb, bufferevent_event_cb event_cb, void *arg,
                             struct bufferevent **out)
{
    SSL *ssl = NULL;
    if (tls_ctx && !(ssl = tls_client_ssl(tls_ctx, dst_ip))) {
        *out = NULL;
        return CONN_ERR_NOMEM;
    }
    return conn_connect_ssl(h, role, ssl, src_ip, dst_ip, port, read_cb, write_cb, event_cb, arg,
                            out);
}

enum conn_start conn_connect_ssl(struct host *h, enum role role, SSL *ssl, uint32_t src_ip,
                                 uint32_t dst_ip, uint16_t port, bufferevent_data_cb read_cb,
                                 bufferevent_data_cb write_cb, bufferevent_event_cb event_cb,
                                 void *arg, struct bufferevent **out)
{
    *out = NULL;
    int fd = conn_socket(h, src_ip, dst_ip);
    if (fd < 0) {
        int e = errno;
        SSL_free(ssl);
        errno = e;
        return CONN_ERR_SOCKET;
    }
    struct bufferevent *bev;
    if (ssl) {
        bev = bufferevent_openssl_socket_new(h->base, fd, ssl, BUFFEREVENT_SSL_CONNECTING,
                                             BEV_OPT_CLOSE_ON_FREE);
        if (bev) /* a peer that vanishes without close_notify is not an error */
            bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    } else {
        bev = bufferevent_socket_new(h->base, fd, BEV_OPT_CLOSE_ON_FREE);
    }
    if (!bev) { /* with CLOSE_ON_FREE libevent has freed the SSL, not the fd */
        close(fd);
        return CONN_ERR_NOMEM;
    }
    conn_setup(h, role, bev, read_cb, write_cb, event_cb, arg);
    struct sockaddr_in sa;
    conn_sockaddr(dst_ip, port, &sa);
    if (bufferevent_socket_connect(bev, (struct sockaddr *)&sa, sizeof sa) < 0) {
        conn_close(h, bev);
        return CONN_ERR_CONNECT;
    }
    *out = bev;
    return CONN_STARTED;
}

struct bufferevent *conn_accepted(struct host *h, enum role role, SSL_CTX *tls_ctx,
                                  evutil_socket_t fd, bufferevent_data_cb read_cb,
                                  bufferevent_data_cb write_cb, bufferevent_event_cb event_cb,
                                  void *arg)
{
    struct bufferevent *bev = NULL;
    if (tls_ctx) {
        SSL *ssl = SSL_new(tls_ctx);
        if (ssl) {
            bev = bufferevent_openssl_socket_new(h->base, fd, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                                 BEV_OPT_CLOSE_ON_FREE);
            if (bev)
                bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
        }
    } else {
        bev = bufferevent_socket_new(h->base, fd, BEV_OPT_CLOSE_ON_FREE);
    }
    if (!bev) {
        close(fd);
        h->m.c[C_ACCEPT_ERRORS]++;
        return NULL;
    }
    conn_setup(h, role, bev, read_cb, write_cb, event_cb, arg);
    return bev;
}

void conn_close(struct host *h, struct bufferevent *bev)
{
    impair_forget(h, bev);
    bufferevent_free(bev); /* CLOSE_ON_FREE: also frees the SSL and the fd */
    h->m.g[G_OPEN_CONNS]--;
}

/* ---- parking ---- */

bool conn_can_park(struct host *h, struct bufferevent *bev)
{
    return !bufferevent_openssl_get_ssl(bev) && bufferevent_getfd(bev) >= 0 &&
           evbuffer_get_length(bufferevent_get_input(bev)) == 0 &&
           evbuffer_get_length(bufferevent_get_output(bev)) == 0 && !impair_pending(h, bev);
}

struct event *conn_park(struct host *h, struct bufferevent *bev, event_callback_fn on_readable,
                        void *arg)
{
    struct event *parked =
        event_new(h->base, bufferevent_getfd(bev), EV_READ | EV_PERSIST, on_readable, arg);
    if (!parked)
        return NULL;
    impair_forget(h, bev);
    bufferevent_setfd(bev, -1); /* detached: freeing it leaves the fd open */
    bufferevent_free(bev);
    event_add(parked, NULL);
    h->conns_parked++;
    return parked;
}

struct bufferevent *conn_unpark(struct host *h, enum role role, struct event **parked,
                                bufferevent_data_cb read_cb, bufferevent_data_cb write_cb,
                                bufferevent_event_cb event_cb, void *arg)
{
    struct bufferevent *bev =
        bufferevent_socket_new(h->base, event_get_fd(*parked), BEV_OPT_CLOSE_ON_FREE);
    if (!bev)
        return NULL;
    event_free(*parked);
    *parked = NULL;
    h->conns_parked--;
    h->unparks++;
    conn_wire(h, role, bev, read_cb, write_cb, event_cb, arg);
    return bev;
}

void conn_close_parked(struct host *h, struct event **parked)
{
    evutil_socket_t fd = event_get_fd(*parked);
    event_free(*parked);
    *parked = NULL;
    close(fd);
    h->conns_parked--;
    h->m.g[G_OPEN_CONNS]--;
}

/* A parked connection receives little at a time: a keepalive's
 * acknowledgement is a frame of about 10 bytes. More than this and it is
 * not routine: the bufferevent reads it. */
#define PARKED_PEEK_BYTES 256
#define PARKED_FRAMES 8

/* m as a length-prefixed frame in buf; its size, or -1 when it does not
 * fit in cap bytes. */
static int encode_frame(const struct wire_msg *m, uint8_t *buf, size_t cap)
{
    int n = cap > 4 ? wire_encode_payload(m, buf + 4, cap - 4) : -1;
    if (n < 0)
        return -1;
    uint32_t be = htonl((uint32_t)n);
    memcpy(buf, &be, 4);
    return n + 4;
}

int conn_send_parked(struct host *h, enum role role, struct event *parked, const struct wire_msg *m)
{
    if (!impair_passthrough(h, role))
        return 0;
    uint8_t buf[PARKED_PEEK_BYTES];
    int n = encode_frame(m, buf, sizeof buf);
    if (n < 0)
        return 0; /* too large to be routine: the bufferevent sends it */
    ssize_t w = send(event_get_fd(parked), buf, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return 0;
    if (w != n) {
        h->m.c[C_SOCKET_ERRORS]++;
        return -1;
    }
    h->m.c[C_MSGS_SENT]++;
    h->m.c[C_BYTES_SENT] += (uint64_t)n;
    return 1;
}

int conn_read_parked(struct host *h, struct event *parked, enum wire_type only, conn_msg_fn fn,
                     void *arg)
{
    loop_turn_check();
    evutil_socket_t fd = event_get_fd(parked);
    uint8_t buf[PARKED_PEEK_BYTES];
    ssize_t got = recv(fd, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);
    if (got <= 0 || (size_t)got == sizeof buf)
        return 0; /* the EOF, an error, or more than routine */
    struct wire_msg msgs[PARKED_FRAMES];
    int n = 0;
    for (size_t at = 0, len; at < (size_t)got; at += len, n++)
        if (n == PARKED_FRAMES ||
            wire_decode_frame_bytes(buf + at, (size_t)got - at, &msgs[n], &len) != WIRE_OK ||
            msgs[n].type != only)
            return 0;
    if (recv(fd, buf, (size_t)got, MSG_DONTWAIT) != got) /* the bytes just peeked */
        return 0;
    h->m.c[C_BYTES_RECV] += (uint64_t)got;
    h->m.c[C_MSGS_RECV] += (uint64_t)n;
    for (int i = 0; i < n; i++)
        if (fn(arg, &msgs[i]) != 0)
            break; /* fn has closed the connection: the rest goes with it */
    return 1;
}

/* ---- framed messages ---- */

int conn_send(struct host *h, enum role role, struct bufferevent *bev, const struct wire_msg *m)
{
    uint8_t buf[4 + WIRE_MAX_DATAGRAM]; /* an IMG_BLOCK of 1,400 bytes is the largest */
    int n = encode_frame(m, buf, sizeof buf);
    if (n < 0)
        return -1;
    h->m.c[C_MSGS_SENT]++;
    h->m.c[C_BYTES_SENT] += (uint64_t)n;
    return impair_write(h, role, bev, buf, (size_t)n);
}

int conn_send_raw(struct host *h, enum role role, struct bufferevent *bev, const void *data,
                  size_t len)
{
    h->m.c[C_MSGS_SENT]++;
    h->m.c[C_BYTES_SENT] += len;
    return impair_write(h, role, bev, data, len);
}

int conn_read(struct host *h, struct bufferevent *bev, conn_msg_fn fn, void *arg)
{
    loop_turn_check();
    struct evbuffer *in = bufferevent_get_input(bev);
    for (;;) {
        struct wire_msg m;
        size_t n = 0;
        enum wire_status st = wire_decode_frame(in, &m, &n);
        if (st == WIRE_NEED_MORE)
            return 0;
        h->m.c[C_BYTES_RECV] += n;
        if (st == WIRE_ERR_OVERSIZE) {
            h->m.c[C_MALFORMED]++;
            return -1; /* cannot resynchronise the stream */
        }
        if (st != WIRE_OK) {
            h->m.c[C_MALFORMED]++;
            continue;
        }
        h->m.c[C_MSGS_RECV]++;
        if (fn(arg, &m) != 0)
            return 1;
    }
}
