/* tls.h - TLS 1.3 contexts for login servers and their clients.
 *
 * Clients verify the server's chain against the run's CA and the server's IP
 * address (SSL_VERIFY_PEER alone checks neither name nor address). */
#ifndef BS_TLS_H
#define BS_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

#include "common/pki.h"

SSL_CTX *tls_server_ctx(const char *cert_pem, const char *key_pem, char *err, size_t errlen);
SSL_CTX *tls_client_ctx(const char *ca_pem, char *err, size_t errlen);
/* A client session that will only accept a certificate for server_ip. */
SSL *tls_client_ssl(SSL_CTX *ctx, uint32_t server_ip);

/* architecture: target: a client context for a real server (TLS 1.3), whose
 * chain is checked against ca_file's certificates, or the system's trust
 * store when ca_file is "", or not at all when !verify (target.tls.*). */
SSL_CTX *tls_target_ctx(const char *ca_file, bool verify, char *err, size_t errlen);
/* A session to host: SNI (for a name), and when verify, a certificate that
 * names host (its DNS name, or its IPv4 literal as an IP SAN). */
SSL *tls_target_ssl(SSL_CTX *ctx, const char *host, bool verify);

/* Session resumption (peer.login.resume: ticket). Off by default: a server
 * context issues no tickets, a client context keeps no sessions. */

/* Issue one TLS 1.3 session ticket per handshake, sealed with keys
 * (pki_tls_ticket_keys), so that every server given the same keys
 * accepts it. Stateless: the server keeps no session cache. Returns 0 or -1. */
int tls_server_tickets(SSL_CTX *ctx, const uint8_t keys[PKI_TICKET_KEYS_LEN]);

/* Let a client context hand out its sessions: a ticket that arrives on an
 * SSL with tls_client_keep_session set is copied into that slot (the old
 * one freed). */
void tls_client_resume(SSL_CTX *ctx);
/* Where the next ticket of ssl goes; NULL: nowhere. */
void tls_client_keep_session(SSL *ssl, SSL_SESSION **slot);

#endif
