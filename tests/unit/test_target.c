/* test_target.c - architecture: target (node/target.c and the target parts of
 * node/peer.c) on a real event loop: real peers of a target scenario log in
 * to a FAKE server in this process, which the test plays byte by byte: a
 * plain TCP listener for MQTT, and for HTTPS a TLS 1.3 server with the run's
 * probe certificate (signed by the run's CA, naming 127.0.0.1). The server
 * side is non-blocking socket and SSL calls, pumped from the conditions the
 * loop waits on (role_harness.h), so every byte it sends is the test's
 * choice and every byte it received is there to check. Waits have generous
 * deadlines; timing is only ever checked as a lower bound. */
#define _GNU_SOURCE /* memmem */
#include "role_harness.h"

#include <fcntl.h>
#include <strings.h>

#include "node/peer.h"

#define SRV_IP 0x7f000001u /* the fake server: 127.0.0.1, a port of the kernel's */
#define FC_CAP (512 * 1024)
#define MAX_FC 16
/* The harness's event base may run its timers on a coarse clock (a few ms
 * early by host_now's): a lower bound on a delay allows this much. */
#define CLOCK_SLACK_NS (50 * RH_MS)

/* ---- the fake server ---- */

/* One accepted connection: what it received, and how it ended. */
struct fconn {
    struct rh *r;
    int fd; /* -1 once closed by the test */
    SSL *ssl;
    bool hs_done, hs_failed; /* TLS: the handshake finished, or failed */
    bool eof;                /* the peer closed it (or reset it) */
    char sni[256];           /* the server name the client sent, "" if none */
    size_t len;              /* bytes in buf, not yet taken */
    uint8_t buf[FC_CAP];
};

static struct {
    int lfd;
    uint16_t port;
    SSL_CTX *ctx;   /* the run's probe certificate; NULL: plain TCP (mqtt) */
    SSL_CTX *other; /* a certificate of another CA */
    struct pki other_pki;
    bool have_other_pki;
    char ca_path[64]; /* the run's CA as target.tls.ca_file; "" if none */
    struct fconn *fc[MAX_FC];
    uint32_t n_fc;
} S;

static int tt_setup(void **state)
{
    memset(&S, 0, sizeof S);
    S.lfd = -1;
    return rh_setup(state);
}

static int tt_teardown(void **state)
{
    for (uint32_t i = 0; i < S.n_fc; i++) {
        if (S.fc[i]->ssl)
            SSL_free(S.fc[i]->ssl);
        if (S.fc[i]->fd >= 0)
            close(S.fc[i]->fd);
        free(S.fc[i]);
    }
    if (S.lfd >= 0)
        close(S.lfd);
    SSL_CTX_free(S.ctx);
    SSL_CTX_free(S.other);
    if (S.have_other_pki)
        pki_free(&S.other_pki);
    if (S.ca_path[0])
        unlink(S.ca_path);
    return rh_teardown(state);
}

/* Listen on 127.0.0.1 at a port of the kernel's choosing: before the
 * scenario loads, since target.port names it. */
static uint16_t fs_listen(void)
{
    S.lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(S.lfd >= 0);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(SRV_IP)};
    assert_int_equal(bind(S.lfd, (struct sockaddr *)&sa, sizeof sa), 0);
    assert_int_equal(listen(S.lfd, 16), 0);
    socklen_t sl = sizeof sa;
    assert_int_equal(getsockname(S.lfd, (struct sockaddr *)&sa, &sl), 0);
    S.port = ntohs(sa.sin_port);
    return S.port;
}

/* The TLS server: the run's probe certificate (its CA's, for 127.0.0.1). */
static void fs_tls(struct rh *r)
{
    char err[256];
    S.ctx = tls_server_ctx(r->pki.probe_cert_pem, r->pki.probe_key_pem, err, sizeof err);
    if (!S.ctx)
        fail_msg("server TLS context: %s", err);
}

/* Read what has arrived, and drive the TLS handshake. */
static void fc_pump(struct fconn *c)
{
    if (c->fd < 0 || c->eof || c->hs_failed)
        return;
    if (c->ssl && !c->hs_done) {
        ERR_clear_error();
        int rc = SSL_do_handshake(c->ssl);
        if (rc != 1) {
            int e = SSL_get_error(c->ssl, rc);
            if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                c->hs_failed = true;
            ERR_clear_error();
            return;
        }
        c->hs_done = true;
        const char *sn = SSL_get_servername(c->ssl, TLSEXT_NAMETYPE_host_name);
        snprintf(c->sni, sizeof c->sni, "%s", sn ? sn : "");
    }
    while (c->len < FC_CAP) {
        ssize_t n;
        if (c->ssl) {
            ERR_clear_error();
            int k = SSL_read(c->ssl, c->buf + c->len, (int)(FC_CAP - c->len));
            if (k <= 0) {
                int e = SSL_get_error(c->ssl, k);
                if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                    c->eof = true;
                ERR_clear_error();
                return;
            }
            n = k;
        } else {
            n = recv(c->fd, c->buf + c->len, FC_CAP - c->len, MSG_DONTWAIT);
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                return;
            if (n <= 0) {
                c->eof = true;
                return;
            }
        }
        c->len += (size_t)n;
    }
}

/* Run the loop until cond holds, reading c's side as it goes. */
#define FC_UNTIL(c, cond, ms) RH_RUN_UNTIL((c)->r, (fc_pump(c), (cond)), ms)

/* Wait for the next connection from a peer; TLS with ctx (NULL: plain). */
static struct fconn *fs_accept_ctx(struct rh *r, SSL_CTX *ctx)
{
    int fd = -1;
    RH_RUN_UNTIL(r, (fd = accept(S.lfd, NULL, NULL)) >= 0, 5000);
    assert_int_equal(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK), 0);
    assert_true(S.n_fc < MAX_FC);
    struct fconn *c = calloc(1, sizeof *c);
    assert_non_null(c);
    S.fc[S.n_fc++] = c;
    c->r = r;
    c->fd = fd;
    if (ctx) {
        c->ssl = SSL_new(ctx);
        assert_non_null(c->ssl);
        assert_int_equal(SSL_set_fd(c->ssl, fd), 1);
        SSL_set_accept_state(c->ssl);
        FC_UNTIL(c, c->hs_done || c->hs_failed || c->eof, 5000);
    }
    return c;
}

static struct fconn *fs_accept(struct rh *r)
{
    struct fconn *c = fs_accept_ctx(r, S.ctx);
    if (c->ssl)
        assert_true(c->hs_done);
    return c;
}

/* No connection is waiting to be accepted. */
static bool fs_none_waiting(void)
{
    int fd = accept(S.lfd, NULL, NULL);
    if (fd >= 0) {
        close(fd);
        return false;
    }
    return true;
}

static void fc_write(struct fconn *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t off = 0;
    int64_t deadline = clock_mono_ns() + 10000 * RH_MS;
    assert_true(c->fd >= 0);
    while (off < len) {
        ssize_t n;
        if (c->ssl) {
            ERR_clear_error();
            int k = SSL_write(c->ssl, p + off, (int)(len - off));
            if (k <= 0) {
                int e = SSL_get_error(c->ssl, k);
                if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
                    fail_msg("fake server: SSL_write failed (%d)", e);
                n = 0;
            } else {
                n = k;
            }
        } else {
            n = send(c->fd, p + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                fail_msg("fake server: send: %s", strerror(errno));
            if (n < 0)
                n = 0;
        }
        off += (size_t)n;
        if (off < len) {
            if (clock_mono_ns() > deadline)
                fail_msg("fake server: the client took %zu of %zu bytes", off, len);
            rh_step(c->r); /* let the client read */
        }
    }
}

static void fc_send(struct fconn *c, const char *s)
{
    fc_write(c, s, strlen(s));
}

/* Close the connection: with TLS, after a close_notify when clean, else
 * as a server that just drops the socket. */
static void fc_close(struct fconn *c, bool clean)
{
    if (c->ssl && c->hs_done && clean)
        SSL_shutdown(c->ssl);
    close(c->fd);
    c->fd = -1;
}

static void fc_take(struct fconn *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

/* The length of the whole HTTP request at the head of c's buffer (its head
 * and a Content-Length body), or 0 while it is incomplete. */
static size_t http_req_len(const struct fconn *c)
{
    const uint8_t *end = memmem(c->buf, c->len, "\r\n\r\n", 4);
    if (!end)
        return 0;
    size_t head = (size_t)(end - c->buf) + 4, body = 0;
    char h[4096];
    snprintf(h, sizeof h, "%.*s", (int)(head < sizeof h ? head : sizeof h - 1),
             (const char *)c->buf);
    for (const char *p = h; (p = strstr(p, "\r\n")) != NULL; p += 2)
        if (strncasecmp(p + 2, "content-length:", 15) == 0)
            body = strtoul(p + 17, NULL, 10);
    return c->len >= head + body ? head + body : 0;
}

/* Wait for one whole request; it goes into out (NUL-terminated). */
static size_t fc_request(struct fconn *c, char *out, size_t cap)
{
    FC_UNTIL(c, http_req_len(c) > 0, 5000);
    size_t n = http_req_len(c);
    assert_true(n < cap);
    memcpy(out, c->buf, n);
    out[n] = '\0';
    fc_take(c, n);
    return n;
}

/* The length of the whole MQTT packet at the head of c's buffer, or 0. */
static size_t mqtt_pkt_len(const struct fconn *c)
{
    size_t rem = 0, mult = 1, i = 1;
    for (;;) {
        if (i >= c->len)
            return 0;
        uint8_t b = c->buf[i++];
        rem += (size_t)(b & 127) * mult;
        mult *= 128;
        if (!(b & 128))
            break;
        assert_true(i <= 4);
    }
    return c->len >= i + rem ? i + rem : 0;
}

/* Wait for one whole MQTT packet; it goes into out. */
static size_t fc_packet(struct fconn *c, uint8_t *out, size_t cap)
{
    FC_UNTIL(c, mqtt_pkt_len(c) > 0, 5000);
    size_t n = mqtt_pkt_len(c);
    assert_true(n <= cap);
    memcpy(out, c->buf, n);
    fc_take(c, n);
    return n;
}

/* ---- scenarios ---- */

/* Every scenario has these events, fired by index (their `at` is unused). */
#define EVENTS                                                                                     \
    "events:\n"                                                                                    \
    "  - at: 0s\n"                                                                                 \
    "    boot: {fraction: 1.0, over: 0s}\n"                                                        \
    "  - at: 1s\n"                                                                                 \
    "    reboot: {fraction: 1.0, over: 0s}\n"
enum { IX_BOOT, IX_REBOOT };

/* peer.login: a fixed 10 ms backoff (so a retry comes at once), no jitter. */
#define LOGIN_FAST "{timeout: 30s, retry: {policy: fixed, base: 10ms, jitter: none}}"
/* ... and one that waits 30 s, so a peer that failed stays waiting. */
#define LOGIN_SLOW "{timeout: 30s, retry: {policy: fixed, base: 30s, jitter: none}}"
#define NO_PRESENCE "{interval: 0s}"
#define PRESENCE_200MS "{interval: 200ms, method: GET, path: \"/presence/{user}\"}"
#define NO_VERIFY "{verify: false}"

static char yaml[8192];

static const char *https_yaml(uint32_t peers, const char *host, const char *tls,
                              const char *presence, const char *login)
{
    int n = snprintf(yaml, sizeof yaml,
                     "name: target-test\n"
                     "duration: 120s\n"
                     "architecture: target\n"
                     "nodes: {peers: %u}\n"
                     "target:\n"
                     "  protocol: https\n"
                     "  host: %s\n"
                     "  address: 127.0.0.1\n"
                     "  port: %u\n"
                     "  tls: %s\n"
                     "  https:\n"
                     "    login:\n"
                     "      method: POST\n"
                     "      path: \"/login/{user}\"\n"
                     "      headers:\n"
                     "        Content-Type: application/json\n"
                     "        X-Client-Id: \"dev-{user}\"\n"
                     "      body: '{\"user\": \"device-{user}\"}'\n"
                     "    presence: %s\n"
                     "peer:\n"
                     "  boot_delay: 1ms\n"
                     "  login: %s\n" EVENTS,
                     peers, host, S.port, tls, presence, login);
    assert_true(n > 0 && (size_t)n < sizeof yaml);
    return yaml;
}

/* tls: "" or a whole "  tls: {...}" line */
static const char *mqtt_yaml(const char *tls, const char *mqtt, const char *login)
{
    int n = snprintf(yaml, sizeof yaml,
                     "name: target-test\n"
                     "duration: 120s\n"
                     "architecture: target\n"
                     "nodes: {peers: 1}\n"
                     "target:\n"
                     "  protocol: mqtt\n"
                     "  host: 127.0.0.1\n"
                     "  port: %u\n"
                     "%s"
                     "  mqtt: %s\n"
                     "peer:\n"
                     "  boot_delay: 1ms\n"
                     "  login: %s\n" EVENTS,
                     S.port, tls, mqtt, login);
    assert_true(n > 0 && (size_t)n < sizeof yaml);
    return yaml;
}

/* One https peer, no presence, a fast retry: the usual login test. */
static void start_https(struct rh *r, const char *presence, const char *login)
{
    fs_listen();
    rh_start(r, https_yaml(1, "api.test", NO_VERIFY, presence, login));
    fs_tls(r);
}

static void start_mqtt(struct rh *r, const char *mqtt, const char *login)
{
    fs_listen();
    rh_start(r, mqtt_yaml("", mqtt, login));
}

static struct peer *peer0(struct rh *r)
{
    return rh_node(r, ROLE_PEER, 0);
}

static void boot(struct rh *r)
{
    assert_int_equal(rh_fire(r, IX_BOOT), 1);
}

/* The login request of peer `id`, byte for byte. */
static void expect_login_request(const char *req, uint32_t id, const char *host)
{
    char body[64], want[512];
    snprintf(body, sizeof body, "{\"user\": \"device-%u\"}", id);
    snprintf(want, sizeof want,
             "POST /login/%u HTTP/1.1\r\n"
             "Host: %s\r\n"
             "Content-Type: application/json\r\n"
             "X-Client-Id: dev-%u\r\n"
             "Content-Length: %zu\r\n"
             "Connection: keep-alive\r\n"
             "\r\n"
             "%s",
             id, host, id, strlen(body), body);
    assert_string_equal(req, want);
}

/* Boot the one peer, take its login request and check it. */
static struct fconn *login_request(struct rh *r)
{
    char req[2048];
    boot(r);
    struct fconn *c = fs_accept(r);
    fc_request(c, req, sizeof req);
    expect_login_request(req, 0, "api.test");
    return c;
}

#define OK_200 "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"

/* ---- https: the login's outcomes ---- */

/* Two peers log in: each request is exactly what the scenario says, with
 * {user} its own id; a 200 puts both online; without presence each closes
 * its connection and stays online, sending nothing more. */
static void test_https_200_online(void **state)
{
    struct rh *r = *state;
    fs_listen();
    rh_start(r, https_yaml(2, "api.test", NO_VERIFY, NO_PRESENCE, LOGIN_FAST));
    fs_tls(r);
    assert_int_equal(rh_fire(r, IX_BOOT), 2);
    struct fconn *c[2] = {fs_accept(r), fs_accept(r)};
    bool seen[2] = {false, false};
    for (int i = 0; i < 2; i++) {
        char req[2048];
        fc_request(c[i], req, sizeof req);
        assert_int_equal(strncmp(req, "POST /login/", 12), 0);
        char *end = NULL;
        unsigned long id = strtoul(req + 12, &end, 10);
        assert_true(end != req + 12 && *end == ' ');
        assert_true(id < 2 && !seen[id]);
        seen[id] = true;
        expect_login_request(req, (uint32_t)id, "api.test");
        assert_string_equal(c[i]->sni, "api.test"); /* SNI: the host name */
    }
    assert_int_equal(rh_c(r, C_TGT_REQUESTS), 2);
    assert_int_equal(rh_c(r, C_LOGIN_FULL), 2); /* two full TLS handshakes */
    assert_int_equal(rh_g(r, G_LOGIN_IN_FLIGHT), 2);
    assert_int_equal(rh_c(r, C_LOGIN_OK), 0);

    for (int i = 0; i < 2; i++)
        fc_send(c[i], OK_200);
    RH_RUN_UNTIL(r, rh_g(r, G_ONLINE) == 2, 5000);
    assert_int_equal(rh_c(r, C_LOGIN_OK), 2);
    assert_int_equal(rh_c(r, C_LOGIN_ATTEMPTS), 2);
    assert_int_equal(rh_g(r, G_LOGGING_IN), 0);
    assert_int_equal(rh_g(r, G_LOGIN_IN_FLIGHT), 0);
    assert_int_equal(rh_c(r, C_BYTES_RECV), 2 * strlen(OK_200));
    /* Logged in, nothing more to say: the peers close their connections. */
    for (int i = 0; i < 2; i++)
        FC_UNTIL(c[i], c[i]->eof, 5000);
    assert_int_equal(rh_g(r, G_OPEN_CONNS), 0);
    rh_run_for(r, 300);
    assert_int_equal(rh_g(r, G_ONLINE), 2);
    assert_int_equal(rh_c(r, C_LOGIN_ATTEMPTS), 2);
    assert_int_equal(rh_c(r, C_KEEPALIVES), 0);
    assert_int_equal(rh_c(r, C_ONLINE_LOST), 0);
    assert_int_equal(rh_c(r, C_LOGIN_ERROR) + rh_c(r, C_MALFORMED), 0);
    assert_true(fs_none_waiting());
}

/* 503 with Retry-After: 1, obeyed: login_busy with the hint, and the next
 * attempt (a new connection) not before 1 s after the answer went out,
 * although the policy's own delay is 10 ms. */
static void test_https_503_retry_after_obeyed(void **state)
{
    struct rh *r = *state;
    start_https(r, NO_PRESENCE,
                "{timeout: 30s, retry: {policy: fixed, base: 10ms, jitter: none,"
                " obey_retry_after: true}}");
    struct fconn *c = login_request(r);
    int64_t sent = host_now(&r->h);
    fc_send(c, "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\n"
               "Content-Length: 5\r\n\r\nbusy\n");
    RH_RUN_UNTIL(r, rh_c(r, C_LOGIN_BUSY) == 1, 5000);
    assert_int_equal(rh_c(r, C_TGT_RETRY_AFTER), 1);
    assert_int_equal(rh_c(r, C_RETRY_SLOWED_HINT), 1); /* the hint made the wait longer */
    assert_int_equal(rh_c(r, C_LOGIN_FAIL) + rh_c(r, C_LOGIN_ERROR), 0);
    assert_int_equal(peer0(r)->state, PEER_LOGIN_WAIT);
    assert_int_equal(rh_g(r, G_LOGGING_IN), 1);
    assert_int_equal(rh_g(r, G_LOGIN_IN_FLIGHT), 0);
    FC_UNTIL(c, c->eof, 5000); /* the refused attempt's connection is closed */

    struct fconn *c2 = fs_accept(r);
    assert_int_equal(rh_c(r, C_LOGIN_ATTEMPTS), 2);
    int64_t waited = peer0(r)->attempt_start_ns - sent;
    if (waited < 1000 * RH_MS - CLOCK_SLACK_NS)
        fail_msg("the retry came %.3f s after a Retry-After: 1", (double)waited / 1e9);
    char req[2048];
    fc_request(c2, req, sizeof req);
    expect_login_request(req, 0, "api.test");
    fc_send(c2, OK_200);
    RH_RUN_UNTIL(r, rh_g(r, G_ONLINE) == 1, 5000);
    assert_int_equal(rh_c(r, C_LOGIN_OK), 1);
    assert_int_equal(rh_c(r, C_TGT_REQUESTS), 2);
}

/* 429 without Retry-After: busy, but no hint to obey. */
static void test_https_429_without_retry_after(void **state)
{
    struct rh *r = *state;
    start_https(r, NO_PRESENCE,
                "{timeout: 30s, retry: {policy: fixed, base: 10ms, jitter: none,"
                " obey_retry_after: true}}");
    struct fconn *c = login_request(r);
    fc_send(c, "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n");
    RH_RUN_UNTIL(r, rh_c(r, C_LOGIN_BUSY) == 1, 5000);
    assert_int_equal(rh_c(r, C_TGT_RETRY_AFTER), 0);
    assert_int_equal(rh_c(r, C_RETRY_SLOWED_HINT), 0);
    assert_int_equal(rh_c(r, C_LOGIN_FAIL) + rh_c(r, C_LOGIN_ERROR) + rh_c(r, C_MALFORMED), 0);
    /* The policy's 10 ms, then a new connection and a new request. */
    struct fconn *c2 = fs_accept(r);
    char req[2048];
    fc_request(c2, req, sizeof req);
    expect_login_request(req, 0, "api.test");
    assert_int_equal(rh_c(r, C_LOGIN_ATTEMPTS), 2);
}

/* 401: the server answered no: login_fail, and the peer backs off. */
static void test_https_401_login_fail(void **state)
{
    struct rh *r = *state;
    start_https(r, NO_PRESENCE, LOGIN_SLOW);
    struct fconn *c = login_request(r);
    fc_send(c, "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Bearer\r\nRetry-After: 1\r\n"
               "Content-Length: 0\r\n\r\n");
    RH_RUN_UNTIL(r, rh_c(r, C_LOGIN_FAIL) == 1, 5000);
    assert_int_equal(rh_c(r, C_LOGIN_BUSY) + rh_c(r, C_LOGIN_ERROR) + rh_c(r, C_LOGIN_OK), 0);
    assert_int_equal(rh_c(r, C_TGT_RETRY_AFTER), 0); /* a hint only with 429 and 503 */
    assert_int_equal(rh_c(r, C_MALFORMED), 0);
    assert_int_equal(peer0(r)->state, PEER_LOGIN_WAIT);
    assert_int_equal(rh_g(r, G_ONLINE), 0);
    FC_UNTIL(c, c->eof, 5000);
}

/* Not HTTP: malformed, and the attempt is an error. */
static void test_https_malformed_response(void **state)
{
    struct rh *r = *state;
    start_https(r, NO_PRESENCE, LOGIN_SLOW);
    struct fconn *c = login_request(r);
    fc_send(c, "SMTP/1.0 220 mail.example ready\r\n\r\n");
    RH_RUN_UNTIL(r, rh_c(r, C_LOGIN_ERROR) == 1, 5000);
    assert_int_equal(rh_c(r, C_MALFORMED), 1);
    assert_int_equal(rh_c(r, C_LOGIN_OK) + rh_c(r, C_LOGIN_FAIL) + rh_c(r, C_LOGIN_BUSY), 0);
    assert_int_equal(peer0(r)->state, PEER_LOGIN_WAIT);
    FC_UNTIL(c, c->eof, 5000);
}

/* The 200 arrives one byte per TLS record, the loop running between: the
 * peer waits for the whole response, then is online. */
static void test_https_response_in_1_byte_writes(void **state)
{
    struct rh *r = *state;
    static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                               "Retry-After: 3\r\nContent-Length: 5\r\n\r\nhello";
    start_https(r, NO_PRESENCE, LOGIN_FAST);
    struct fconn *c = login_request(r);
    size_t n = strlen(resp);
    for (size_t i = 0; i + 1 < n; i++) {
        fc_write(c, resp + i, 1);
        rh_step(r);
        rh_step(r);
    }
    rh_run_for(r, 20);
    assert_int_equal(rh_c(r, C_LOGIN_OK), 0); /* one body byte still missing */
    assert_int_equal(rh_g(r, G_LOGIN_IN_FLIGHT), 1);
    fc_write(c, resp + n - 1, 1);
    RH_RUN_UNTIL(r, rh_g(r, G_ONLINE) == 1, 5000);
    assert_int_equal(rh_c(r, C_LOGIN_OK), 1);
    assert_int_equal(rh_c(r, C_BYTES_RECV), n);
    assert_int_equal(rh_c(r, C_MALFORMED) + rh_c(r, C_LOGIN_ERROR), 0);
}

/* The server closes before any answer: with a close_notify, then without
 * (a socket just dropped): each is login_error, never malformed; the third
 * attempt is answered and gets in. */
static void test_https_close_before_answer(void **state)
{
    struct rh *r = *state;
    start_https(r, NO_PRESENCE, LOGIN_FAST);
    struct fconn *c = login_request(r);
    fc_close(c, true);
    RH_RUN_UNTIL(r, rh_c(r, C_LOGIN_ERROR) == 1, 5000);
    assert_int_equal(rh_c(r, C_LOGIN_OK) + rh_c(r, C_MALFORMED), 0);

    char req[2048];
    struct fconn *c2 = fs_accept(r);
    fc_request(c2, req, sizeof req);
    fc_close(c2, false);
    RH_RUN_UNTIL(r, rh_c(r, C_LOGIN_ERROR) == 2, 5000);
    assert_int_equal(rh_c(r, C_LOGIN_OK) + rh_c(r, C_MALFORMED), 0);

    struct fconn *c3 = fs_accept(r);
    fc_request(c3, req, sizeof req);
    fc_send(c3, OK_200);
    RH_RUN_UNTIL(r, rh_g(r, G_ONLINE) == 1, 5000);
    assert_int_equal(rh_c(r, C_LOGIN_ATTEMPTS), 3);
    assert_int_equal(rh_c(r, C_TGT_REQUESTS), 3);
}

/* A 200 whose body runs to the close (no Content-Length, no chunks): the
 * response is complete only when the server closes, cleanly (close_notify). */
static void test_https_body_delimited_by_close(void **state)
{
    struct rh *r = *state;
    start_https(r, NO_PRESENCE, LOGIN_FAST);
    struct fconn *c = login_request(r);
    fc_send(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nwelcome, device");
    rh_run_for(r, 50);
    assert_int_equal(rh_c(r, C_LOGIN_OK), 0); /* the body may go on */
    fc_close(c, true);
    RH_RUN_UNTIL(r, rh_g(r, G_ONLINE) == 1, 5000);
    assert_int_equal(rh_c(r, C_LOGIN_OK), 1);
    assert_int_equal(rh_c(r, C_LOGIN_ERROR) + rh_c(r, C_MALFORMED), 0);
    assert_int_equal(rh_g(r, G_OPEN_CONNS), 0);
}

/* The same with a server that drops the socket without a close_notify:
 * a body delimited by the close is then not known to be complete (RFC 9112
 * 9.8: complete only with a valid closure alert): login_error. */
static void test_https_body_delimited_by_dirty_close(void **state)
{
    struct rh *r = *state;
    start_https(r, NO_PRESENCE, LOGIN_SLOW);
    struct fconn *c = login_request(r);
    fc_send(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nwelcome, device");
    rh_run_for(r, 50);
    assert_int_equal(rh_c(r, C_LOGIN_OK), 0);
    fc_close(c, false);
    RH_RUN_UNTIL(r, rh_c(r, C_LOGIN_OK) + rh_c(r, C_LOGIN_ERROR) >= 1, 5000);
    assert_int_equal(rh_c(r, C_LOGIN_ERROR), 1);
    assert_int_equal(rh_c(r, C_LOGIN_OK), 0);
    assert_int_equal(peer0(r)->state, PEER_LOGIN_WAIT);
}

/* A login left hanging in a body delimited by the close times out; the
 * next attempt's server ends the connection during the TLS handshake with a
 * bare close_notify alert. That close is an error of the new attempt: the
 * old attempt's half-read response must not complete it. */
static void test_https_close_in_handshake_after_a_hanging_body(void **state)
{
    struct rh *r = *state;
    start_https(r, NO_PRESENCE,
                "{timeout: 300ms, retry: {policy: fixed, base: 10ms, jitter: none}}");
    struct fconn *c = login_request(r);
    fc_send(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nwelcome, dev");
    RH_RUN_UNTIL(r, rh_c(r, C_LOGIN_TIMEOUT) == 1, 5000);
    int fd = -1;
    RH_RUN_UNTIL(r, (fd = accept(S.lfd, NULL, NULL)) >= 0, 5000);
    /* An alert record, TLS 1.2 framing: warning (1), close_notify (0). */
    static const uint8_t alert[] = {0x15, 0x03, 0x03, 0x00, 0x02, 0x01, 0x00};
    assert_int_equal(write(fd, alert, sizeof alert), (ssize_t)sizeof alert);
    shutdown(fd, SHUT_WR);
    RH_RUN_UNTIL(r, rh_c(r, C_LOGIN_ERROR) + rh_c(r, C_LOGIN_OK) >= 1, 5000);
    close(fd);
    assert_int_equal(rh_c(r, C_LOGIN_OK), 0);
    assert_int_equal(rh_c(r, C_LOGIN_ERROR), 1);
    assert_int_equal(rh_g(r, G_ONLINE), 0);
}

/* No answer at all: login_timeout after peer.login.timeout. */
static void test_https_no_answer_times_out(void **state)
{
    struct rh *r = *state;
    start_https(r, NO_PRESENCE,
                "{timeout: 300ms, retry: {policy: fixed, base: 30s, jitter: none}}");
    struct fconn *c = login_request(r);
    RH_RUN_UNTIL(r, rh_c(r, C_LOGIN_TIMEOUT) == 1, 5000);
    int64_t took = host_now(&r->h) - peer0(r)->attempt_start_ns;
    assert_true(took >= 300 * RH_MS - CLOCK_SLACK_NS);
    assert_int_equal(rh_c(r, C_LOGIN_ERROR) + rh_c(r, C_LOGIN_OK), 0);
    FC_UNTIL(c, c->eof, 5000); /* the attempt's connection is closed */
    assert_int_equal(rh_g(r, G_OPEN_CONNS), 0);
}

/* ---- https: certificates ---- */

static void write_ca(struct rh *r, void *arg)
{
    (void)arg;
    FILE *f = fopen(S.ca_path, "w");
    assert_non_null(f);
    assert_true(fputs(r->pki.ca_pem, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

/* target.tls.ca_file is the run's CA, to be written once the keys exist. */
static void ca_file_path(void)
{
    snprintf(S.ca_path, sizeof S.ca_path, "/tmp/bs-test-target-ca-XXXXXX");
    int fd = mkstemp(S.ca_path);
    assert_true(fd >= 0);
    close(fd);
}

/* verify: true with the run's CA as ca_file and target.host 127.0.0.1 (the
 * probe certificate's IP SAN). A server with another CA's certificate (also
 * for 127.0.0.1) is refused before any request; the run CA's gets in. */
static void test_https_verify_with_ca_file(void **state)
{
    struct rh *r = *state;
    char tls[160], err[256], req[2048];
    fs_listen();
    ca_file_path();
    snprintf(tls, sizeof tls, "{verify: true, ca_file: \"%s\"}", S.ca_path);
    rh_start_prepared(r, https_yaml(1, "127.0.0.1", tls, NO_PRESENCE, LOGIN_FAST), write_ca, NULL);
    fs_tls(r);
    uint32_t ip = SRV_IP;
    if (pki_generate(&S.other_pki, 0, &ip, err, sizeof err) < 0)
        fail_msg("pki: %s", err);
    S.have_other_pki = true;
    S.other =
        tls_server_ctx(S.other_pki.probe_cert_pem, S.other_pki.probe_key_pem, err, sizeof err);
    assert_non_null(S.other);

    boot(r);
    struct fconn *bad = fs_accept_ctx(r, S.other);
    RH_RUN_UNTIL(r, rh_c(r, C_LOGIN_ERROR) == 1, 5000);
    assert_int_equal(rh_c(r, C_TGT_REQUESTS), 0); /* nothing sent to an unverified server */
    assert_int_equal(rh_c(r, C_LOGIN_OK), 0);
    FC_UNTIL(bad, bad->hs_failed || bad->eof, 5000);
    assert_int_equal(bad->len, 0);

    struct fconn *c = fs_accept(r);
    assert_string_equal(c->sni, ""); /* no SNI for an address (RFC 6066) */
    fc_request(c, req, sizeof req);
    expect_login_request(req, 0, "127.0.0.1");
    fc_send(c, OK_200);
    RH_RUN_UNTIL(r, rh_g(r, G_ONLINE) == 1, 5000);
    assert_int_equal(rh_c(r, C_LOGIN_OK), 1);
    assert_int_equal(rh_c(r, C_LOGIN_ERROR), 1);
    assert_int_equal(rh_c(r, C_LOGIN_ATTEMPTS), 2);
}

/* verify: true and a trusted certificate that does not name target.host
 * (localhost: the probe certificate names only 127.0.0.1): refused. */
static void test_https_verify_refuses_wrong_name(void **state)
{
    struct rh *r = *state;
    char tls[160];
    fs_listen();
    ca_file_path();
    snprintf(tls, sizeof tls, "{verify: true, ca_file: \"%s\"}", S.ca_path);
    rh_start_prepared(r, https_yaml(1, "localhost", tls, NO_PRESENCE, LOGIN_SLOW), write_ca, NULL);
    fs_tls(r);
    boot(r);
    struct fconn *c = fs_accept_ctx(r, S.ctx);
    RH_RUN_UNTIL(r, rh_c(r, C_LOGIN_ERROR) == 1, 5000);
    assert_int_equal(rh_c(r, C_TGT_REQUESTS), 0);
    assert_int_equal(rh_c(r, C_LOGIN_OK), 0);
    FC_UNTIL(c, c->hs_failed || c->eof, 5000);
    assert_int_equal(c->len, 0);
}

/* ---- https: presence ---- */

static void expect_presence(struct fconn *c)
{
    char req[2048];
    fc_request(c, req, sizeof req);
    assert_string_equal(req, "GET /presence/0 HTTP/1.1\r\nHost: api.test\r\n"
                             "Connection: keep-alive\r\n\r\n");
}

/* Presence every 200 ms on the login's connection: the first answered 200,
 * the second 500: tgt_presence_fail and online_lost; the peer backs off
 * and logs in again on a new connection. */
static void test_https_presence_fails_then_logs_in_again(void **state)
{
    struct rh *r = *state;
    start_https(r, PRESENCE_200MS, LOGIN_FAST);
    struct fconn *c = login_request(r);
    fc_send(c, OK_200);
    RH_RUN_UNTIL(r, rh_g(r, G_ONLINE) == 1, 5000);
    int64_t online = peer0(r)->first_online_ns;

    expect_presence(c); /* on the same connection, an interval later */
    assert_true(host_now(&r->h) - online >= 200 * RH_MS - CLOCK_SLACK_NS);
    assert_int_equal(rh_c(r, C_KEEPALIVES), 1);
    fc_send(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    expect_presence(c);
    assert_int_equal(rh_c(r, C_KEEPALIVES), 2);
    assert_int_equal(rh_g(r, G_ONLINE), 1);
    assert_int_equal(rh_c(r, C_TGT_PRESENCE_FAIL), 0);
    fc_send(c, "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops");
    RH_RUN_UNTIL(r, rh_c(r, C_ONLINE_LOST) == 1, 5000);
    assert_int_equal(rh_c(r, C_TGT_PRESENCE_FAIL), 1);
    assert_int_equal(rh_c(r, C_MALFORMED), 0);
    assert_int_equal(rh_c(r, C_LOGIN_OK), 1);
    assert_int_equal(rh_c(r, C_TGT_REQUESTS), 1); /* presence requests are not logins */
    FC_UNTIL(c, c->eof, 5000);

    struct fconn *c2 = fs_accept(r);
    char req[2048];
    fc_request(c2, req, sizeof req);
    expect_login_request(req, 0, "api.test");
    assert_int_equal(rh_c(r, C_LOGIN_ATTEMPTS), 2);
    fc_send(c2, OK_200);
    RH_RUN_UNTIL(r, rh_g(r, G_ONLINE) == 1, 5000);
    assert_int_equal(rh_c(r, C_LOGIN_OK), 2);
    expect_presence(c2); /* and presence goes on, on the new connection */
}

/* A presence nobody answers: the session is lost min(login timeout 30 s,
 * interval 200 ms) after it went out, not at the login timeout. */
static void test_https_presence_unanswered_loses_session(void **state)
{
    struct rh *r = *state;
    start_https(r, PRESENCE_200MS, LOGIN_SLOW);
    struct fconn *c = login_request(r);
    fc_send(c, OK_200);
    RH_RUN_UNTIL(r, rh_g(r, G_ONLINE) == 1, 5000);
    int64_t online = peer0(r)->first_online_ns;
    expect_presence(c);
    RH_RUN_UNTIL(r, rh_c(r, C_ONLINE_LOST) == 1, 10000);
    assert_int_equal(rh_c(r, C_TGT_PRESENCE_FAIL), 1);
    assert_int_equal(rh_c(r, C_KEEPALIVES), 1);
    assert_int_equal(rh_c(r, C_LOGIN_TIMEOUT), 0);
    assert_int_equal(peer0(r)->state, PEER_LOGIN_WAIT);
    /* Lost when the 30 s backoff started: an interval to send the presence,
     * another for its answer. */
    int64_t lost = peer0(r)->timer_due_ns - 30000 * RH_MS;
    assert_true(lost - online >= 400 * RH_MS - CLOCK_SLACK_NS);
    FC_UNTIL(c, c->eof, 5000);
}

/* ---- mqtt ---- */

#define MQTT_BASIC "{client_id: \"dev-{user}\", keepalive: 60s}"

/* Boot, take the CONNECT (checked: MQTT 3.1.1, clean session, keepalive
 * 60, client id dev-0), answer CONNACK rc. */
static struct fconn *mqtt_connect(struct rh *r, uint8_t rc)
{
    static const uint8_t want[] = {0x10, 17, 0, 4, 'M', 'Q', 'T', 'T', 4,  0x02,
                                   0,    60, 0, 5, 'd', 'e', 'v', '-', '0'};
    uint8_t pk[256];
    boot(r);
    struct fconn *c = fs_accept(r);
    size_t n = fc_packet(c, pk, sizeof pk);
    assert_int_equal(n, sizeof want);
    assert_memory_equal(pk, want, sizeof want);
    assert_int_equal(rh_c(r, C_TGT_REQUESTS), 1);
    assert_int_equal(rh_g(r, G_LOGIN_IN_FLIGHT), 1);
    const uint8_t connack[] = {0x20, 2, 0, rc};
    fc_write(c, connack, sizeof connack);
    return c;
}

/* CONNACK 0: online. The CONNECT carries the user name and password; the
 * SUBSCRIBE its topic with {user}; a SUBACK 0x80 counts mqtt_sub_refused and
 * the peer stays online. */
static void test_mqtt_connack_0_online_and_subscribe(void **state)
{
    struct rh *r = *state;
    start_mqtt(r,
               "{client_id: \"dev-{user}\", clean_session: true, keepalive: 60s,"
               " username: fleet, password: s3cret,"
               " subscribe: {topic: \"devices/{user}/cmd\", qos: 1}}",
               LOGIN_FAST);
    static const uint8_t want[] = {0x10, 32,  0,   4,   'M', 'Q', 'T', 'T', 4,   0xc2, 0,   60,
                                   0,    5,   'd', 'e', 'v', '-', '0', 0,   5,   'f',  'l', 'e',
                                   'e',  't', 0,   6,   's', '3', 'c', 'r', 'e', 't'};
    uint8_t pk[256];
    boot(r);
    struct fconn *c = fs_accept(r);
    size_t n = fc_packet(c, pk, sizeof pk);
    assert_int_equal(n, sizeof want);
    assert_memory_equal(pk, want, sizeof want);
    assert_int_equal(rh_c(r, C_TGT_REQUESTS), 1);
    assert_int_equal(rh_c(r, C_LOGIN_OK), 0);
    const uint8_t connack[] = {0x20, 2, 0, 0};
    fc_write(c, connack, sizeof connack);
    RH_RUN_UNTIL(r, rh_g(r, G_ONLINE) == 1, 5000);
    assert_int_equal(rh_c(r, C_LOGIN_OK), 1);
    assert_int_equal(rh_g(r, G_LOGIN_IN_FLIGHT), 0);

    static const char topic[] = "devices/0/cmd";
    n = fc_packet(c, pk, sizeof pk);
    assert_int_equal(n, 2 + 2 + 2 + strlen(topic) + 1);
    assert_int_equal(pk[0], 0x82);
    assert_int_equal(pk[1], n - 2);
    uint16_t id = (uint16_t)(pk[2] << 8 | pk[3]);
    assert_true(id != 0);
    assert_int_equal(pk[4] << 8 | pk[5], strlen(topic));
    assert_memory_equal(pk + 6, topic, strlen(topic));
    assert_int_equal(pk[n - 1], 1); /* qos 1 */

    const uint8_t suback[] = {0x90, 3, pk[2], pk[3], 0x80};
    fc_write(c, suback, sizeof suback);
    RH_RUN_UNTIL(r, rh_c(r, C_MQTT_SUB_REFUSED) == 1, 5000);
    assert_int_equal(rh_c(r, C_MQTT_SUBSCRIBED), 0);
    assert_int_equal(rh_g(r, G_ONLINE), 1);
    assert_int_equal(rh_c(r, C_ONLINE_LOST) + rh_c(r, C_MALFORMED), 0);
}

/* CONNACK 3, server unavailable: busy, without a hint; a new connection
 * after the backoff. */
static void test_mqtt_connack_3_busy(void **state)
{
    struct rh *r = *state;
    start_mqtt(r, MQTT_BASIC, LOGIN_FAST);
    struct fconn *c = mqtt_connect(r, 3);
    RH_RUN_UNTIL(r, rh_c(r, C_LOGIN_BUSY) == 1, 5000);
    assert_int_equal(rh_c(r, C_TGT_RETRY_AFTER), 0);
    assert_int_equal(rh_c(r, C_LOGIN_FAIL) + rh_c(r, C_LOGIN_ERROR) + rh_c(r, C_LOGIN_OK), 0);
    FC_UNTIL(c, c->eof, 5000);
    struct fconn *c2 = fs_accept(r);
    uint8_t pk[256];
    assert_int_equal(fc_packet(c2, pk, sizeof pk), 19);
    assert_int_equal(pk[0], 0x10);
    assert_int_equal(rh_c(r, C_LOGIN_ATTEMPTS), 2);
    assert_int_equal(rh_c(r, C_TGT_REQUESTS), 2);
}

/* CONNACK 5, not authorised: failed. */
static void test_mqtt_connack_5_fail(void **state)
{
    struct rh *r = *state;
    start_mqtt(r, MQTT_BASIC, LOGIN_SLOW);
    struct fconn *c = mqtt_connect(r, 5);
    RH_RUN_UNTIL(r, rh_c(r, C_LOGIN_FAIL) == 1, 5000);
    assert_int_equal(rh_c(r, C_LOGIN_BUSY) + rh_c(r, C_LOGIN_ERROR) + rh_c(r, C_LOGIN_OK), 0);
    assert_int_equal(peer0(r)->state, PEER_LOGIN_WAIT);
    FC_UNTIL(c, c->eof, 5000);
}

/* The broker closes before CONNACK (mosquitto's max_connections): error. */
static void test_mqtt_close_before_connack(void **state)
{
    struct rh *r = *state;
    start_mqtt(r, MQTT_BASIC, LOGIN_SLOW);
    uint8_t pk[256];
    boot(r);
    struct fconn *c = fs_accept(r);
    fc_packet(c, pk, sizeof pk);
    fc_close(c, false);
    RH_RUN_UNTIL(r, rh_c(r, C_LOGIN_ERROR) == 1, 5000);
    assert_int_equal(rh_c(r, C_LOGIN_BUSY) + rh_c(r, C_LOGIN_FAIL) + rh_c(r, C_LOGIN_OK), 0);
    assert_int_equal(rh_c(r, C_MALFORMED), 0);
    assert_int_equal(peer0(r)->state, PEER_LOGIN_WAIT);
}

/* The CONNACK one byte at a time: online, and its 4 bytes counted once. */
static void test_mqtt_connack_in_1_byte_writes(void **state)
{
    struct rh *r = *state;
    start_mqtt(r, "{client_id: \"dev-{user}\", keepalive: 0s}", LOGIN_FAST);
    uint8_t pk[256];
    boot(r);
    struct fconn *c = fs_accept(r);
    fc_packet(c, pk, sizeof pk);
    const uint8_t connack[] = {0x20, 2, 0, 0};
    for (size_t i = 0; i < sizeof connack; i++) {
        assert_int_equal(rh_c(r, C_LOGIN_OK), 0);
        fc_write(c, connack + i, 1);
        rh_run_for(r, 5);
    }
    RH_RUN_UNTIL(r, rh_g(r, G_ONLINE) == 1, 5000);
    assert_int_equal(rh_c(r, C_BYTES_RECV), sizeof connack);
    assert_int_equal(rh_c(r, C_MALFORMED), 0);
}

/* The server publishes: QoS 0 and QoS 1 both count mqtt_received; only the
 * QoS 1 one gets a PUBACK, with its packet identifier. */
static void test_mqtt_publish_qos1_gets_puback(void **state)
{
    struct rh *r = *state;
    start_mqtt(r, MQTT_BASIC, LOGIN_FAST);
    struct fconn *c = mqtt_connect(r, 0);
    RH_RUN_UNTIL(r, rh_g(r, G_ONLINE) == 1, 5000);
    /* PUBLISH qos 0, topic devices/0/cmd, "ping"; then qos 1, id 0x1234, "reboot" */
    const uint8_t pub0[] = {0x30, 19,  0,   13,  'd', 'e', 'v', 'i', 'c', 'e', 's',
                            '/',  '0', '/', 'c', 'm', 'd', 'p', 'i', 'n', 'g'};
    const uint8_t pub1[] = {0x32, 23,  0,   13,  'd',  'e',  'v', 'i', 'c', 'e', 's', '/', '0',
                            '/',  'c', 'm', 'd', 0x12, 0x34, 'r', 'e', 'b', 'o', 'o', 't'};
    fc_write(c, pub0, sizeof pub0);
    fc_write(c, pub1, sizeof pub1);
    RH_RUN_UNTIL(r, rh_c(r, C_MQTT_RECEIVED) == 2, 5000);
    uint8_t pk[64];
    size_t n = fc_packet(c, pk, sizeof pk);
    const uint8_t puback[] = {0x40, 2, 0x12, 0x34};
    assert_int_equal(n, sizeof puback);
    assert_memory_equal(pk, puback, sizeof puback);
    rh_run_for(r, 50);
    fc_pump(c);
    assert_int_equal(c->len, 0); /* nothing for the QoS 0 one */
    assert_int_equal(rh_g(r, G_ONLINE), 1);
    assert_int_equal(rh_c(r, C_MALFORMED), 0);
}

/* A PUBLISH of 200 KB (under the client's 256 KiB packet limit) arrives
 * whole, however the socket splits it. */
static void test_mqtt_large_publish(void **state)
{
    struct rh *r = *state;
    start_mqtt(r, MQTT_BASIC, LOGIN_FAST);
    struct fconn *c = mqtt_connect(r, 0);
    RH_RUN_UNTIL(r, rh_g(r, G_ONLINE) == 1, 5000);
    size_t payload = 200 * 1000, rem = 2 + 13 + payload;
    uint8_t *pub = malloc(rem + 4);
    assert_non_null(pub);
    size_t h = 0;
    pub[h++] = 0x30;
    for (size_t v = rem; v; v >>= 7)
        pub[h++] = (uint8_t)((v & 127) | (v >> 7 ? 128 : 0));
    pub[h++] = 0;
    pub[h++] = 13;
    memcpy(pub + h, "devices/0/cmd", 13);
    memset(pub + h + 13, 'z', payload);
    fc_write(c, pub, h + rem - 2);
    free(pub);
    RH_RUN_UNTIL(r, rh_c(r, C_MQTT_RECEIVED) == 1, 10000);
    assert_int_equal(rh_g(r, G_ONLINE), 1);
    assert_int_equal(rh_c(r, C_MALFORMED), 0);
}

/* keepalive 1 s, login timeout 700 ms: a PINGREQ a second after CONNACK,
 * the next a second after that one (not when its PINGRESP came); the second
 * unanswered for min(login timeout, keepalive) = 700 ms: tgt_presence_fail
 * and online_lost. */
static void test_mqtt_pingreq_without_pingresp(void **state)
{
    struct rh *r = *state;
    start_mqtt(r, "{client_id: \"dev-{user}\", keepalive: 1s}",
               "{timeout: 700ms, retry: {policy: fixed, base: 30s, jitter: none}}");
    static const uint8_t want[] = {0x10, 17, 0, 4, 'M', 'Q', 'T', 'T', 4,  0x02,
                                   0,    1,  0, 5, 'd', 'e', 'v', '-', '0'};
    uint8_t pk[64];
    boot(r);
    struct fconn *c = fs_accept(r);
    assert_int_equal(fc_packet(c, pk, sizeof pk), sizeof want);
    assert_memory_equal(pk, want, sizeof want); /* keepalive 1 in the CONNECT */
    const uint8_t connack[] = {0x20, 2, 0, 0};
    fc_write(c, connack, sizeof connack);
    RH_RUN_UNTIL(r, rh_g(r, G_ONLINE) == 1, 5000);
    int64_t online = peer0(r)->first_online_ns;

    const uint8_t pingreq[] = {0xc0, 0};
    assert_int_equal(fc_packet(c, pk, sizeof pk), 2);
    assert_memory_equal(pk, pingreq, 2);
    assert_true(host_now(&r->h) - online >= 1000 * RH_MS - CLOCK_SLACK_NS);
    assert_int_equal(rh_c(r, C_KEEPALIVES), 1);
    const uint8_t pingresp[] = {0xd0, 0};
    fc_write(c, pingresp, 2);
    assert_int_equal(fc_packet(c, pk, sizeof pk), 2);
    assert_memory_equal(pk, pingreq, 2);
    assert_true(host_now(&r->h) - online >= 2000 * RH_MS - CLOCK_SLACK_NS);
    assert_int_equal(rh_c(r, C_KEEPALIVES), 2);
    assert_int_equal(rh_c(r, C_TGT_PRESENCE_FAIL), 0);
    assert_int_equal(rh_g(r, G_ONLINE), 1);

    RH_RUN_UNTIL(r, rh_c(r, C_ONLINE_LOST) == 1, 10000);
    assert_int_equal(rh_c(r, C_TGT_PRESENCE_FAIL), 1);
    assert_int_equal(rh_c(r, C_MALFORMED) + rh_c(r, C_LOGIN_TIMEOUT), 0);
    assert_int_equal(peer0(r)->state, PEER_LOGIN_WAIT);
    int64_t lost = peer0(r)->timer_due_ns - 30000 * RH_MS;
    assert_true(lost - online >= 2700 * RH_MS - CLOCK_SLACK_NS);
    FC_UNTIL(c, c->eof, 5000);
}

/* publish: {topic with {user}, interval 200 ms, size 16, qos 1}: each
 * PUBLISH carries the topic, a packet id of its own and the payload (the
 * peer's id, a space, filler); the broker's PUBACK counts mqtt_pubacks. */
static void test_mqtt_publishes_at_qos1(void **state)
{
    struct rh *r = *state;
    start_mqtt(r,
               "{client_id: \"dev-{user}\", keepalive: 60s,"
               " publish: {topic: \"devices/{user}/state\", interval: 200ms, size: 16, qos: 1}}",
               LOGIN_FAST);
    struct fconn *c = mqtt_connect(r, 0);
    RH_RUN_UNTIL(r, rh_g(r, G_ONLINE) == 1, 5000);
    static const char topic[] = "devices/0/state", payload[] = "0 xxxxxxxxxxxxxx";
    uint16_t last = 0;
    for (int i = 0; i < 2; i++) {
        uint8_t pk[128];
        size_t n = fc_packet(c, pk, sizeof pk);
        assert_int_equal(n, 2 + 2 + strlen(topic) + 2 + strlen(payload));
        assert_int_equal(pk[0], 0x32); /* PUBLISH, qos 1, no DUP, no RETAIN */
        assert_int_equal(pk[1], n - 2);
        assert_int_equal(pk[2] << 8 | pk[3], strlen(topic));
        assert_memory_equal(pk + 4, topic, strlen(topic));
        uint16_t id = (uint16_t)(pk[4 + strlen(topic)] << 8 | pk[5 + strlen(topic)]);
        assert_true(id != 0 && id != last);
        last = id;
        assert_memory_equal(pk + 6 + strlen(topic), payload, strlen(payload));
        const uint8_t puback[] = {0x40, 2, (uint8_t)(id >> 8), (uint8_t)id};
        fc_write(c, puback, sizeof puback);
        RH_RUN_UNTIL(r, rh_c(r, C_MQTT_PUBACKS) == (uint64_t)i + 1, 5000);
    }
    assert_true(rh_c(r, C_MQTT_PUBLISHED) >= 2);
    assert_int_equal(rh_c(r, C_MALFORMED) + rh_c(r, C_ONLINE_LOST), 0);
}

/* MQTT over TLS (target.tls.enabled, verify false): the same CONNECT after
 * a full handshake. */
static void test_mqtt_over_tls(void **state)
{
    struct rh *r = *state;
    fs_listen();
    rh_start(r, mqtt_yaml("  tls: {enabled: true, verify: false}\n", MQTT_BASIC, LOGIN_FAST));
    fs_tls(r);
    struct fconn *c = mqtt_connect(r, 0);
    assert_non_null(c->ssl);
    RH_RUN_UNTIL(r, rh_g(r, G_ONLINE) == 1, 5000);
    assert_int_equal(rh_c(r, C_LOGIN_FULL), 1);
    assert_int_equal(rh_c(r, C_LOGIN_OK), 1);
}

/* A second CONNACK on an online session breaks the protocol: malformed,
 * and the session is lost (not a presence failure). */
static void test_mqtt_second_connack_loses_session(void **state)
{
    struct rh *r = *state;
    start_mqtt(r, MQTT_BASIC, LOGIN_SLOW);
    struct fconn *c = mqtt_connect(r, 0);
    RH_RUN_UNTIL(r, rh_g(r, G_ONLINE) == 1, 5000);
    const uint8_t connack[] = {0x20, 2, 0, 0};
    fc_write(c, connack, sizeof connack);
    RH_RUN_UNTIL(r, rh_c(r, C_ONLINE_LOST) == 1, 5000);
    assert_int_equal(rh_c(r, C_MALFORMED), 1);
    assert_int_equal(rh_c(r, C_TGT_PRESENCE_FAIL), 0);
    assert_int_equal(rh_c(r, C_LOGIN_OK), 1);
    assert_int_equal(rh_g(r, G_ONLINE), 0);
    assert_int_equal(peer0(r)->state, PEER_LOGIN_WAIT);
    FC_UNTIL(c, c->eof, 5000);
}

/* A reboot while the CONNECT waits for its CONNACK: login_aborted, and the
 * connection is closed at once. */
static void test_mqtt_reboot_while_logging_in(void **state)
{
    struct rh *r = *state;
    start_mqtt(r, MQTT_BASIC, LOGIN_FAST);
    uint8_t pk[256];
    boot(r);
    struct fconn *c = fs_accept(r);
    fc_packet(c, pk, sizeof pk);
    assert_int_equal(rh_g(r, G_LOGIN_IN_FLIGHT), 1);
    assert_int_equal(rh_fire(r, IX_REBOOT), 1);
    assert_int_equal(rh_c(r, C_REBOOTS), 1);
    assert_int_equal(rh_c(r, C_LOGIN_ABORTED), 1);
    assert_int_equal(rh_c(r, C_LOGIN_ATTEMPTS), 1); /* every attempt has its outcome */
    assert_int_equal(rh_g(r, G_LOGIN_IN_FLIGHT), 0);
    assert_int_equal(rh_g(r, G_OPEN_CONNS), 0);
    assert_int_equal(peer0(r)->state, PEER_BOOTING);
    FC_UNTIL(c, c->eof, 5000);
    /* A CONNACK now is too late for anyone. */
    assert_int_equal(rh_c(r, C_LOGIN_OK) + rh_c(r, C_LOGIN_ERROR), 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, tt_setup, tt_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_https_200_online),
        T(test_https_503_retry_after_obeyed),
        T(test_https_429_without_retry_after),
        T(test_https_401_login_fail),
        T(test_https_malformed_response),
        T(test_https_response_in_1_byte_writes),
        T(test_https_close_before_answer),
        T(test_https_body_delimited_by_close),
        T(test_https_body_delimited_by_dirty_close),
        T(test_https_close_in_handshake_after_a_hanging_body),
        T(test_https_no_answer_times_out),
        T(test_https_verify_with_ca_file),
        T(test_https_verify_refuses_wrong_name),
        T(test_https_presence_fails_then_logs_in_again),
        T(test_https_presence_unanswered_loses_session),
        T(test_mqtt_connack_0_online_and_subscribe),
        T(test_mqtt_connack_3_busy),
        T(test_mqtt_connack_5_fail),
        T(test_mqtt_close_before_connack),
        T(test_mqtt_connack_in_1_byte_writes),
        T(test_mqtt_publish_qos1_gets_puback),
        T(test_mqtt_large_publish),
        T(test_mqtt_pingreq_without_pingresp),
        T(test_mqtt_publishes_at_qos1),
        T(test_mqtt_over_tls),
        T(test_mqtt_second_connack_loses_session),
        T(test_mqtt_reboot_while_logging_in),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
