/* tls_probe.h - the CPU cost of one TLS 1.3 handshake, measured in process.
 *
 * Both ends run in this thread over memory BIOs, with the run's own client
 * and server contexts (same certificate type, key-exchange group and
 * verification as the peers and the login servers), and the thread's CPU
 * clock is read around each side's steps. The client's share is what a
 * herd of real clients would spend on their own machines, and what the
 * emulator spends on one shared core (common/attribution.h). */
#ifndef BS_TLS_PROBE_H
#define BS_TLS_PROBE_H

#include <stdint.h>

#include <openssl/ssl.h>

struct tls_probe_result {
    int handshakes;          /* completed */
    int64_t client_cpu_ns;   /* per handshake, mean, all of the client's side: */
    int64_t client_new_ns;   /*   making the SSL object (SSL_new, address check) */
    int64_t client_hello_ns; /*   the first flight: ClientHello with its key share */
    int64_t server_cpu_ns;   /* per handshake, mean */
};

/* Run n full handshakes; the client verifies the server as the address
 * server_ip. Returns 0, or -1 when a handshake fails (err set). */
int tls_probe_handshakes(SSL_CTX *client, SSL_CTX *server, uint32_t server_ip, int n,
                         struct tls_probe_result *out, char *err, size_t errlen);

/* Make a probe's server context issue session tickets, sealed with keys
 * made here and thrown away (no run's server shares them). Returns 0, or -1
 * (OpenSSL's error queue says why). */
int tls_probe_tickets(SSL_CTX *server);

/* Run n resumed handshakes, each offering the ticket of the one before (the
 * first from one full handshake, not counted); the server context must issue
 * tickets (tls_server_tickets). The costs include reading the new ticket.
 * Returns 0, or -1 when a handshake fails or does not resume (err set). */
int tls_probe_resumed(SSL_CTX *client, SSL_CTX *server, uint32_t server_ip, int n,
                      struct tls_probe_result *out, char *err, size_t errlen);

#endif
