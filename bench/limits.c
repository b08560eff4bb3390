/* limits.c - this machine's own bounds, with bootstorm's own code and keys.
 *
 * `bootstorm-limits [--json] [--seconds S]` measures, on one core:
 *   - full TLS 1.3 handshakes with both ends in this thread over memory BIOs,
 *     using the run's SSL_CTX settings, certificate type, key-exchange group
 *     and verification (node/tls.c, node/tls_probe.c), and each side's CPU;
 *   - resumed TLS 1.3 handshakes (a session ticket from the handshake before,
 *     as peer.login.resume: ticket does), and each side's CPU;
 *   - loopback TCP connect + accept pairs (non-blocking, both ends here);
 *   - UDP send + receive pairs on loopback;
 *   - Ed25519 ticket signatures and verifications (node/ticket.c).
 * The other benchmarks call it first and print their figures as ratios to
 * these, so that results compare across machines (docs/performance.md).
 * A benchmark: it reports, it never judges. */
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "common/pki.h"
#include "node/ticket.h"
#include "node/tls.h"
#include "node/tls_probe.h"

#define LOOPBACK 0x7f000001u

static double cpu_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Run `one` until `seconds` of CPU have passed; returns operations per CPU
 * second (one core), or -1 when an operation failed. */
static double per_cpu_second(int (*one)(void *), void *arg, double seconds)
{
    double c0 = cpu_s();
    long n = 0;
    while (cpu_s() - c0 < seconds) {
        for (int i = 0; i < 8; i++, n++)
            if (one(arg) < 0)
                return -1;
    }
    return (double)n / (cpu_s() - c0);
}

/* ---- TLS ---- */

struct tls_arg {
    SSL_CTX *client, *server;
    struct tls_probe_result r;
};

static int one_tls(void *p)
{
    struct tls_arg *a = p;
    char err[256];
    return tls_probe_handshakes(a->client, a->server, LOOPBACK, 1, &a->r, err, sizeof err);
}

/* Resumed handshakes per CPU second, both ends: tls_probe_resumed in
 * batches of RESUME_BATCH, each batch started by one full handshake (its
 * ticket), whose CPU (full_hs_s, measured before) is taken off. Fills
 * *split with the last batch's per-side costs; returns -1 on a failure. */
#define RESUME_BATCH 32
static double resumed_per_cpu_second(struct tls_arg *a, double full_hs_s, double seconds,
                                     struct tls_probe_result *split, char *err, size_t errlen)
{
    double c0 = cpu_s();
    long n = 0, batches = 0;
    while (cpu_s() - c0 < seconds) {
        if (tls_probe_resumed(a->client, a->server, LOOPBACK, RESUME_BATCH, split, err, errlen) < 0)
            return -1;
        n += RESUME_BATCH;
        batches++;
    }
    double spent = cpu_s() - c0 - (double)batches * full_hs_s;
    return spent > 0 ? (double)n / spent : -1;
}

/* ---- TCP connect + accept ---- */

struct tcp_arg {
    int lfd;
    struct sockaddr_in sa;
};

static int one_tcp(void *p)
{
    struct tcp_arg *a = p;
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (c < 0)
        return -1;
    struct linger lg = {1, 0}; /* RST on close: no TIME_WAIT pile-up */
    setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    if (connect(c, (struct sockaddr *)&a->sa, sizeof a->sa) < 0 && errno != EINPROGRESS) {
        close(c);
        return -1;
    }
    int s;
    while ((s = accept(a->lfd, NULL, NULL)) < 0 && (errno == EAGAIN || errno == EINTR))
        ;
    if (s < 0) {
        close(c);
        return -1;
    }
    close(s);
    close(c);
    return 0;
}

/* ---- UDP send + receive ---- */

struct udp_arg {
    int tx, rx;
    struct sockaddr_in to;
};

static int one_udp(void *p)
{
    struct udp_arg *a = p;
    char buf[64] = {0};
    if (sendto(a->tx, buf, 40, 0, (struct sockaddr *)&a->to, sizeof a->to) != 40)
        return -1;
    return recv(a->rx, buf, sizeof buf, 0) == 40 ? 0 : -1;
}

/* ---- Ed25519 ---- */

struct sig_arg {
    struct ticket_keys k;
    struct wire_ticket t;
};

static int one_sign(void *p)
{
    struct sig_arg *a = p;
    a->t.user_id++;
    return ticket_sign(&a->k, &a->t);
}

static int one_verify(void *p)
{
    struct sig_arg *a = p;
    return ticket_check(&a->k, &a->t, 0, a->t.addr) == TICKET_VALID ? 0 : -1;
}

/* A socket bound to a free loopback port (listening, for a stream). */
static int listen_loopback(struct sockaddr_in *sa, int type, int flags)
{
    int fd = socket(AF_INET, type | flags, 0);
    memset(sa, 0, sizeof *sa);
    sa->sin_family = AF_INET;
    sa->sin_addr.s_addr = htonl(LOOPBACK);
    socklen_t len = sizeof *sa;
    if (fd < 0 || bind(fd, (struct sockaddr *)sa, sizeof *sa) < 0 ||
        (type == SOCK_STREAM && listen(fd, 4096) < 0) ||
        getsockname(fd, (struct sockaddr *)sa, &len) < 0) {
        perror("bootstorm-limits: loopback socket");
        exit(1);
    }
    return fd;
}

int main(int argc, char **argv)
{
    bool json = false;
    double seconds = 1.0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--json"))
            json = true;
        else if (!strcmp(argv[i], "--seconds") && i + 1 < argc) {
            char *end;
            seconds = strtod(argv[++i], &end);
            if (*end)
                seconds = -1; /* refused below */
        } else {
            fprintf(stderr, "usage: bootstorm-limits [--json] [--seconds S]\n");
            return 2;
        }
    }
    if (!(seconds > 0 && seconds <= 60)) {
        fprintf(stderr, "bootstorm-limits: --seconds must be in (0, 60]\n");
        return 2;
    }
    char err[512];
    struct pki pki;
    uint32_t ip = LOOPBACK;
    if (pki_generate(&pki, 1, &ip, err, sizeof err) < 0) {
        fprintf(stderr, "bootstorm-limits: %s\n", err);
        return 1;
    }
    struct tls_arg tls = {tls_client_ctx(pki.ca_pem, err, sizeof err),
                          tls_server_ctx(pki.ls_cert_pem[0], pki.ls_key_pem[0], err, sizeof err)};
    if (!tls.client || !tls.server) {
        fprintf(stderr, "bootstorm-limits: %s\n", err);
        return 1;
    }
    struct tls_probe_result split;
    tls_probe_handshakes(tls.client, tls.server, LOOPBACK, 4, &split, err, sizeof err); /* warm */
    double hs = per_cpu_second(one_tls, &tls, seconds);
    if (tls_probe_handshakes(tls.client, tls.server, LOOPBACK, 64, &split, err, sizeof err) < 0) {
        fprintf(stderr, "bootstorm-limits: %s\n", err);
        return 1;
    }

    /* The same server, now issuing tickets (sealed with throwaway keys), for
     * the resumed handshakes; the full ones above ran without, as a login
     * server with peer.login.resume: none does. */
    struct tls_probe_result rsplit;
    if (tls_probe_tickets(tls.server) < 0) {
        fprintf(stderr, "bootstorm-limits: cannot make the session ticket keys\n");
        return 1;
    }
    double rhs = resumed_per_cpu_second(&tls, 1.0 / hs, seconds, &rsplit, err, sizeof err);
    if (rhs < 0) {
        fprintf(stderr, "bootstorm-limits: %s\n", err);
        return 1;
    }

    struct tcp_arg tcp;
    tcp.lfd = listen_loopback(&tcp.sa, SOCK_STREAM, SOCK_NONBLOCK);
    double tcp_ps = per_cpu_second(one_tcp, &tcp, seconds);
    close(tcp.lfd);

    struct udp_arg udp;
    udp.rx = listen_loopback(&udp.to, SOCK_DGRAM, 0);
    udp.tx = socket(AF_INET, SOCK_DGRAM, 0);
    double udp_ps = per_cpu_second(one_udp, &udp, seconds);
    close(udp.rx);
    close(udp.tx);

    struct sig_arg sig = {0};
    if (ticket_keys_init(&sig.k, pki.ticket_priv, pki.ticket_pub) < 0) {
        fprintf(stderr, "bootstorm-limits: cannot load the ticket keys\n");
        return 1;
    }
    sig.t.expiry_ms = UINT64_MAX / 2;
    double sign_ps = per_cpu_second(one_sign, &sig, seconds);
    double verify_ps = per_cpu_second(one_verify, &sig, seconds);
    ticket_keys_free(&sig.k);

    if (json) {
        printf("{\"tls_handshakes_per_s\": %.1f, \"tls_client_cpu_us\": %.1f, "
               "\"tls_client_new_us\": %.1f, \"tls_client_hello_us\": %.1f, "
               "\"tls_server_cpu_us\": %.1f, \"tls_resumed_per_s\": %.1f, "
               "\"tls_resumed_client_cpu_us\": %.1f, \"tls_resumed_server_cpu_us\": %.1f, "
               "\"tcp_connect_accept_per_s\": %.1f, "
               "\"udp_send_recv_per_s\": %.1f, \"ed25519_sign_per_s\": %.1f, "
               "\"ed25519_verify_per_s\": %.1f}\n",
               hs, split.client_cpu_ns / 1e3, split.client_new_ns / 1e3,
               split.client_hello_ns / 1e3, split.server_cpu_ns / 1e3, rhs,
               rsplit.client_cpu_ns / 1e3, rsplit.server_cpu_ns / 1e3, tcp_ps, udp_ps, sign_ps,
               verify_ps);
    } else {
        printf("bootstorm-limits: one core, bootstorm's own TLS configuration and keys\n");
        printf("  TLS 1.3 full handshakes, both ends   %8.0f /s  (%.2f ms each)\n", hs, 1e3 / hs);
        printf("    client side                        %8.0f us  (SSL object %.0f us, ClientHello "
               "%.0f us)\n",
               split.client_cpu_ns / 1e3, split.client_new_ns / 1e3, split.client_hello_ns / 1e3);
        printf("    server side                        %8.0f us\n", split.server_cpu_ns / 1e3);
        printf(
            "  TLS 1.3 resumed handshakes, both ends%8.0f /s  (%.2f ms each: %.2f of a full one)\n",
            rhs, 1e3 / rhs, hs / rhs);
        printf("    client side                        %8.0f us\n", rsplit.client_cpu_ns / 1e3);
        printf("    server side                        %8.0f us\n", rsplit.server_cpu_ns / 1e3);
        printf("  TCP connect + accept, loopback       %8.0f /s\n", tcp_ps);
        printf("  UDP send + receive, loopback         %8.0f /s\n", udp_ps);
        printf("  Ed25519 ticket signatures            %8.0f /s\n", sign_ps);
        printf("  Ed25519 ticket verifications         %8.0f /s\n", verify_ps);
    }
    SSL_CTX_free(tls.client);
    SSL_CTX_free(tls.server);
    pki_free(&pki);
    return hs > 0 && tcp_ps > 0 && udp_ps > 0 && sign_ps > 0 && verify_ps > 0 ? 0 : 1;
}
