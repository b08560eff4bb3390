/* tls_probe.c - in-process TLS handshake cost (see tls_probe.h). */
#include "tls_probe.h"

#include <stdio.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/err.h>

#include "common/pki.h"
#include "tls.h"

static int64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
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

static int one_handshake(SSL_CTX *cctx, SSL_CTX *sctx, uint32_t ip, struct cost *k)
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
out:
    BIO_free(cb);
    BIO_free(sb);
    t0 = thread_cpu_ns();
    SSL_free(c);
    *ccpu += thread_cpu_ns() - t0;
    SSL_free(s);
    return ok;
}

int tls_probe_handshakes(SSL_CTX *client, SSL_CTX *server, uint32_t server_ip, int n,
                         struct tls_probe_result *out, char *err, size_t errlen)
{
    struct cost k = {0};
    out->handshakes = 0;
    for (int i = 0; i < n; i++) {
        if (one_handshake(client, server, server_ip, &k) < 0) {
            pki_openssl_error(err, errlen, "TLS handshake probe");
            return -1;
        }
        out->handshakes++;
    }
    out->client_cpu_ns = n > 0 ? k.client / n : 0;
    out->client_new_ns = n > 0 ? k.client_new / n : 0;
    out->client_hello_ns = n > 0 ? k.client_hello / n : 0;
    out->server_cpu_ns = n > 0 ? k.server / n : 0;
    return 0;
}
