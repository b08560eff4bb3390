/* tls.h - TLS 1.3 contexts for login servers and their clients.
 *
 * Clients verify the server's chain against the run's CA and the server's IP
 * address (SSL_VERIFY_PEER alone checks neither name nor address). */
#ifndef BS_TLS_H
#define BS_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

SSL_CTX *tls_server_ctx(const char *cert_pem, const char *key_pem, char *err, size_t errlen);
SSL_CTX *tls_client_ctx(const char *ca_pem, char *err, size_t errlen);
/* A client session that will only accept a certificate for server_ip. */
SSL *tls_client_ssl(SSL_CTX *ctx, uint32_t server_ip);

#endif
