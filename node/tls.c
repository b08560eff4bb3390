/* tls.c - OpenSSL contexts (see tls.h). */
#include "tls.h"

#include "common/pki.h"
#include "common/scenario.h"
#include "loop_turn.h"

#include <stdio.h>

#include <arpa/inet.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* A handshake is a node's work: the loop's turn may end after the
 * callback that starts it (loop_turn.h). */
static void on_handshake_step(const SSL *ssl, int where, int ret)
{
    if (where & SSL_CB_HANDSHAKE_START)
        loop_turn_check();
}

static SSL_CTX *base_ctx(const SSL_METHOD *m)
{
    SSL_CTX *ctx = SSL_CTX_new(m);
    if (!ctx)
        return NULL;
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    /* No tickets and no cache unless the scenario lets peers resume
     * (tls_server_tickets, tls_client_resume): by default every login is a
     * full handshake, the cost a boot storm pays when rebooted clients have
     * lost their sessions. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_num_tickets(ctx, 0);
    SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_info_callback(ctx, on_handshake_step);
    return ctx;
}

/* bootstorm's own servers and clients agree on X25519 alone. OpenSSL 3.0
 * offers it first anyway; newer versions default to a hybrid post-quantum
 * group whose key share costs several times as much, and a run must cost
 * the same whichever OpenSSL built it (docs/performance.md). A real server
 * (tls_target_ctx) gets OpenSSL's defaults: it chooses. */
static int pin_key_exchange(SSL_CTX *ctx)
{
    return SSL_CTX_set1_groups_list(ctx, "X25519") == 1 ? 0 : -1;
}

SSL_CTX *tls_server_ctx(const char *cert_pem, const char *key_pem, char *err, size_t errlen)
{
    SSL_CTX *ctx = base_ctx(TLS_server_method());
    BIO *cb = BIO_new_mem_buf(cert_pem, -1), *kb = BIO_new_mem_buf(key_pem, -1);
    X509 *cert = cb ? PEM_read_bio_X509(cb, NULL, NULL, NULL) : NULL;
    EVP_PKEY *key = kb ? PEM_read_bio_PrivateKey(kb, NULL, NULL, NULL) : NULL;
    if (!ctx || !cert || !key || SSL_CTX_use_certificate(ctx, cert) != 1 ||
        SSL_CTX_use_PrivateKey(ctx, key) != 1 || SSL_CTX_check_private_key(ctx) != 1 ||
        pin_key_exchange(ctx) < 0) {
        pki_openssl_error(err, errlen, "login server TLS context");
        SSL_CTX_free(ctx);
        ctx = NULL;
    }
    X509_free(cert);
    EVP_PKEY_free(key);
    BIO_free(cb);
    BIO_free(kb);
    return ctx;
}

SSL_CTX *tls_client_ctx(const char *ca_pem, char *err, size_t errlen)
{
    SSL_CTX *ctx = base_ctx(TLS_client_method());
    BIO *b = BIO_new_mem_buf(ca_pem, -1);
    X509 *ca = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
    if (!ctx || !ca || X509_STORE_add_cert(SSL_CTX_get_cert_store(ctx), ca) != 1 ||
        pin_key_exchange(ctx) < 0) {
        pki_openssl_error(err, errlen, "client TLS context");
        SSL_CTX_free(ctx);
        ctx = NULL;
    } else {
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    }
    X509_free(ca);
    BIO_free(b);
    return ctx;
}

SSL *tls_client_ssl(SSL_CTX *ctx, uint32_t server_ip)
{
    SSL *ssl = SSL_new(ctx);
    if (!ssl)
        return NULL;
    char ip[16];
    snprintf(ip, sizeof ip, "%u.%u.%u.%u", server_ip >> 24, (server_ip >> 16) & 0xff,
             (server_ip >> 8) & 0xff, server_ip & 0xff);
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip) != 1) {
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

SSL_CTX *tls_target_ctx(const char *ca_file, bool verify, char *err, size_t errlen)
{
    SSL_CTX *ctx = base_ctx(TLS_client_method());
    if (!ctx) {
        pki_openssl_error(err, errlen, "target TLS context");
        return NULL;
    }
    if (verify) {
        int ok = *ca_file ? SSL_CTX_load_verify_locations(ctx, ca_file, NULL)
                          : SSL_CTX_set_default_verify_paths(ctx);
        if (ok != 1) {
            char what[SCN_TEXT_MAX + 64];
            snprintf(what, sizeof what, "target.tls.ca_file: cannot load %s",
                     *ca_file ? ca_file : "the system's trust store");
            pki_openssl_error(err, errlen, what);
            SSL_CTX_free(ctx);
            return NULL;
        }
    }
    SSL_CTX_set_verify(ctx, verify ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, NULL);
    return ctx;
}

SSL *tls_target_ssl(SSL_CTX *ctx, const char *host, bool verify)
{
    SSL *ssl = SSL_new(ctx);
    if (!ssl)
        return NULL;
    unsigned char ip[4];
    bool literal = inet_pton(AF_INET, host, ip) == 1;
    /* RFC 6066: SNI carries names, never address literals. */
    int ok = literal || SSL_set_tlsext_host_name(ssl, host) == 1;
    if (ok && verify)
        ok = literal ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1
                     : SSL_set1_host(ssl, host) == 1;
    if (!ok) {
        SSL_free(ssl);
        return NULL;
    }
    return ssl;
}

int tls_server_tickets(SSL_CTX *ctx, const uint8_t keys[PKI_TICKET_KEYS_LEN])
{
    /* Stateless tickets need no server cache: the ticket carries the
     * session, sealed with these keys, and SSL_SESS_CACHE_OFF stays. */
    if (SSL_CTX_set_tlsext_ticket_keys(ctx, (void *)keys, PKI_TICKET_KEYS_LEN) != 1 ||
        SSL_CTX_set_num_tickets(ctx, 1) != 1)
        return -1;
    SSL_CTX_clear_options(ctx, SSL_OP_NO_TICKET);
    return 0;
}

/* A TLS 1.3 ticket arrives after the handshake. The session it makes is the
 * SSL's current one, which SSL_free marks not resumable when the connection
 * ends without close_notify (as conn_close does): keep a copy instead. */
static int on_new_session(SSL *ssl, SSL_SESSION *sess)
{
    SSL_SESSION **slot = SSL_get_app_data(ssl);
    if (!slot)
        return 0;
    SSL_SESSION *copy = SSL_SESSION_dup(sess);
    if (copy) {
        SSL_SESSION_free(*slot);
        *slot = copy;
    }
    return 0; /* the SSL keeps its reference; we hold our copy */
}

void tls_client_resume(SSL_CTX *ctx)
{
    /* The client "cache" is only the callback: nothing stored internally. */
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, on_new_session);
}

void tls_client_keep_session(SSL *ssl, SSL_SESSION **slot)
{
    SSL_set_app_data(ssl, slot);
}
