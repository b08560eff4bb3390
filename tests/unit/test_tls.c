/* test_tls.c - bootstorm's own TLS contexts (node/tls.c): the key exchange is
 * X25519 alone, whatever OpenSSL would choose, while a context for a real
 * server (architecture: target) keeps OpenSSL's defaults. Both ends run in
 * this thread over a BIO pair. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/obj_mac.h>
#include <openssl/ssl.h>

#include "common/pki.h"
#include "node/tls.h"

static struct pki P;

static int setup(void **state)
{
    char err[256];
    if (pki_generate(&P, 0, NULL, err, sizeof err) < 0) {
        print_error("pki_generate: %s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    pki_free(&P);
    return 0;
}

/* Run both ends until the handshake ends; returns 1 when both completed,
 * 0 when either failed. The client's SSL is left for the caller to read. */
static int handshake(SSL *client, SSL *server)
{
    BIO *cb, *sb;
    assert_int_equal(BIO_new_bio_pair(&cb, 0, &sb, 0), 1);
    SSL_set_bio(client, cb, cb);
    SSL_set_bio(server, sb, sb);
    SSL_set_connect_state(client);
    SSL_set_accept_state(server);
    int c = 0, s = 0;
    for (int round = 0; round < 32 && (c != 1 || s != 1); round++) {
        if (c != 1) {
            c = SSL_do_handshake(client);
            if (c != 1 && SSL_get_error(client, c) != SSL_ERROR_WANT_READ)
                return 0;
        }
        if (s != 1) {
            s = SSL_do_handshake(server);
            if (s != 1 && SSL_get_error(server, s) != SSL_ERROR_WANT_READ)
                return 0;
        }
    }
    return c == 1 && s == 1;
}

static SSL_CTX *our_server(void)
{
    char err[256];
    SSL_CTX *ctx = tls_server_ctx(P.probe_cert_pem, P.probe_key_pem, err, sizeof err);
    assert_non_null(ctx);
    return ctx;
}

static SSL_CTX *our_client(void)
{
    char err[256];
    SSL_CTX *ctx = tls_client_ctx(P.ca_pem, err, sizeof err);
    assert_non_null(ctx);
    return ctx;
}

static void test_ours_agree_on_x25519(void **state)
{
    SSL_CTX *sctx = our_server(), *cctx = our_client();
    SSL *server = SSL_new(sctx), *client = tls_client_ssl(cctx, PKI_PROBE_IP);
    assert_non_null(client);
    assert_int_equal(handshake(client, server), 1);
    assert_int_equal(SSL_get_negotiated_group(client), NID_X25519);
    assert_int_equal(SSL_get_negotiated_group(server), NID_X25519);
    SSL_free(client);
    SSL_free(server);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

/* A client that offers P-256 only finds no group our server accepts: the
 * pin is on the server too, not just the client's preference. */
static void test_our_server_refuses_other_groups(void **state)
{
    SSL_CTX *sctx = our_server(), *cctx = our_client();
    assert_int_equal(SSL_CTX_set1_groups_list(cctx, "P-256"), 1);
    SSL *server = SSL_new(sctx), *client = tls_client_ssl(cctx, PKI_PROBE_IP);
    assert_int_equal(handshake(client, server), 0);
    SSL_free(client);
    SSL_free(server);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

/* A real server chooses: the target context offers OpenSSL's groups, so a
 * server that takes P-256 only still gets a handshake. */
static void test_target_context_is_not_pinned(void **state)
{
    char err[256];
    SSL_CTX *sctx = our_server();
    assert_int_equal(SSL_CTX_set1_groups_list(sctx, "P-256"), 1);
    SSL_CTX *cctx = tls_target_ctx("", false, err, sizeof err);
    assert_non_null(cctx);
    SSL *server = SSL_new(sctx), *client = tls_target_ssl(cctx, "127.0.0.1", false);
    assert_non_null(client);
    assert_int_equal(handshake(client, server), 1);
    assert_int_equal(SSL_get_negotiated_group(client), NID_X9_62_prime256v1);
    SSL_free(client);
    SSL_free(server);
    SSL_CTX_free(cctx);
    SSL_CTX_free(sctx);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ours_agree_on_x25519),
        cmocka_unit_test(test_our_server_refuses_other_groups),
        cmocka_unit_test(test_target_context_is_not_pinned),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
