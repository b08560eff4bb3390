/* tls_probe.c - in-process TLS handshake cost (see tls_probe.h). */
#include "tls_probe.h"

#include <stdio.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include "common/pki.h"
#include "tls.h"

static int64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int tls_probe_tickets(SSL_CTX *server)
{
    uint8_t keys[PKI_TICKET_KEYS_LEN];
    int rc = RAND_bytes(keys, sizeof keys) == 1 && tls_server_tickets(server, keys) == 0 ? 0 : -1;
    OPENSSL_cleanse(keys, sizeof keys);
    return rc;
}

/* One step of one side: returns 1 when its handshake is done, 0 when it
 * waits for the other side, -1 on an error. */
static int step(SSL *ssl, int64_t *cpu)
{
    int64_t t0 = thread_cpu_ns();
    int rc = SSL_do_handshake(ssl);
    *cpu += thread_cpu_ns() - t0;
    if (rc == 1)
        return 1;
    int e = SSL_get_error(ssl, rc);
    return e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE ? 0 : -1;
}

struct cost {
    int64_t client, client_new, client_hello, server;
};

/* One handshake; with offer, offering that session (it must resume). With
 * got, the client then reads the server's session ticket and *got is a copy
 * of its session (NULL if none came). */
static int one_handshake(SSL_CTX *cctx, SSL_CTX *sctx, uint32_t ip, struct cost *k,
                         SSL_SESSION *offer, SSL_SESSION **got)
{
    int64_t *ccpu = &k->client, *scpu = &k->server;
    int64_t t0 = thread_cpu_ns();
    SSL *c = tls_client_ssl(cctx, ip); /* the peer creates one per login, too */
    k->client_new += thread_cpu_ns() - t0;
    *ccpu += thread_cpu_ns() - t0;
    t0 = thread_cpu_ns();
    SSL *s = SSL_new(sctx);
    *scpu += thread_cpu_ns() - t0;
    BIO *cb = NULL, *sb = NULL;
    int ok = -1;
    if (!c || !s || BIO_new_bio_pair(&cb, 0, &sb, 0) != 1)
        goto out;
    SSL_set_bio(c, cb, cb);
    SSL_set_bio(s, sb, sb);
    cb = sb = NULL;
    if (offer && SSL_set_session(c, offer) != 1)
        goto out;
    SSL_set_connect_state(c);
    SSL_set_accept_state(s);
    int cd = 0, sd = 0;
    int64_t before = *ccpu;
    if ((cd = step(c, ccpu)) < 0) /* the first flight */
        goto out;
    k->client_hello += *ccpu - before;
    for (int round = 0; round < 16 && !(cd == 1 && sd == 1); round++) {
        if (cd != 1 && (cd = step(c, ccpu)) < 0)
            goto out;
        if (sd != 1 && (sd = step(s, scpu)) < 0)
            goto out;
    }
    ok = cd == 1 && sd == 1 ? 0 : -1;
    if (ok == 0 && offer && SSL_session_reused(c) != 1)
        ok = -1;
    if (ok == 0 && got) {
        /* TLS 1.3 tickets come after the handshake: a read processes them
         * (and finds no data). The copy outlives the SSL's own session, which
         * SSL_free marks not resumable without a close_notify. */
        char b;
        int64_t t1 = thread_cpu_ns();
        if (SSL_read(c, &b, 1) <= 0)
            ERR_clear_error();
        *ccpu += thread_cpu_ns() - t1;
        SSL_SESSION *sess = SSL_get_session(c);
        *got = sess && SSL_SESSION_is_resumable(sess) ? SSL_SESSION_dup(sess) : NULL;
    }
out:
    BIO_free(cb);
    BIO_free(sb);
    t0 = thread_cpu_ns();
    SSL_free(c);
    *ccpu += thread_cpu_ns() - t0;
    SSL_free(s);
    return ok;
}

static void mean(const struct cost *k, int n, struct tls_probe_result *out)
{
    out->client_cpu_ns = n > 0 ? k->client / n : 0;
    out->client_new_ns = n > 0 ? k->client_new / n : 0;
    out->client_hello_ns = n > 0 ? k->client_hello / n : 0;
    out->server_cpu_ns = n > 0 ? k->server / n : 0;
}

int tls_probe_handshakes(SSL_CTX *client, SSL_CTX *server, uint32_t server_ip, int n,
                         struct tls_probe_result *out, char *err, size_t errlen)
{
    struct cost k = {0};
    out->handshakes = 0;
    for (int i = 0; i < n; i++) {
        if (one_handshake(client, server, server_ip, &k, NULL, NULL) < 0) {
            pki_openssl_error(err, errlen, "TLS handshake probe");
            return -1;
        }
        out->handshakes++;
    }
    mean(&k, n, out);
    return 0;
}

int tls_probe_resumed(SSL_CTX *client, SSL_CTX *server, uint32_t server_ip, int n,
                      struct tls_probe_result *out, char *err, size_t errlen)
{
    struct cost full = {0}, k = {0};
    SSL_SESSION *sess = NULL;
    out->handshakes = 0;
    if (one_handshake(client, server, server_ip, &full, NULL, &sess) < 0 || !sess) {
        SSL_SESSION_free(sess);
        pki_openssl_error(err, errlen, "TLS resumption probe: no session ticket");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        SSL_SESSION *next = NULL;
        int rc = one_handshake(client, server, server_ip, &k, sess, &next);
        SSL_SESSION_free(sess);
        sess = next;
        if (rc < 0 || !sess) {
            SSL_SESSION_free(sess);
            pki_openssl_error(err, errlen, "TLS resumption probe");
            return -1;
        }
        out->handshakes++;
    }
    SSL_SESSION_free(sess);
    mean(&k, n, out);
    return 0;
}
