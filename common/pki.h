/* pki.h - the run's key material, made fresh at start by the coordinator.
 *
 * A run owns: a CA (EC P-256, self-signed), one certificate per login server
 * with the server's IP address as subjectAltName, an Ed25519 ticket-signing
 * key shared by the login servers, a 32-byte master secret from which every
 * peer's login credential is derived, and a throwaway certificate every rank
 * uses to measure a client handshake on itself (node/tls_probe.h).
 *
 * Credentials go through one more step so that a rank can make its own
 * peers' credentials and nobody else's: rank r's secret is
 * pki_rank_secret(master, r), and a peer's credential is
 * HMAC(its rank's secret, user_id). A login server holds the master and
 * derives the rank secret of the user it checks.
 *
 * The coordinator sends each rank only what its nodes need (pki_pack_for):
 * private keys of its own login servers, the signing key and the master
 * only where login servers run; the certificates, the ticket public key and
 * the probe pair everywhere. Nothing touches disk except ca.pem in the
 * results directory, and private material is wiped before it is freed. */
#ifndef BS_PKI_H
#define BS_PKI_H

#include <stddef.h>
#include <stdint.h>

#include <stdbool.h>

#define PKI_KEY_LEN 32
#define PKI_PROBE_IP 0x7f000001u /* the probe certificate's address (never dialled) */

struct pki {
    char *ca_pem; /* CA certificate, PEM */
    uint32_t n_ls;
    char **ls_key_pem;                /* per login server: private key, PEM ("" if not ours) */
    char **ls_cert_pem;               /* per login server: certificate, PEM */
    char *probe_key_pem;              /* the handshake probe's server key and */
    char *probe_cert_pem;             /* certificate, for PKI_PROBE_IP */
    bool has_ticket_priv, has_master; /* whether this copy holds them */
    uint8_t ticket_priv[PKI_KEY_LEN]; /* Ed25519 raw private key (zero if not held) */
    uint8_t ticket_pub[PKI_KEY_LEN];  /* Ed25519 raw public key */
    uint8_t master[PKI_KEY_LEN];      /* credential master secret (zero if not held) */
    uint8_t rank_secret[PKI_KEY_LEN]; /* this rank's: its peers' credentials */
};

/* What one rank receives besides the public parts. */
struct pki_grant {
    const bool *ls_key; /* per login server: send its private key; NULL: none */
    bool ticket_priv;   /* the signing key */
    bool master;        /* the credential master secret */
    int rank;           /* whose rank secret */
};

/* Generate everything for n_ls login servers at the given IPv4 addresses
 * (host byte order). The copy holds every key, and rank 0's secret.
 * Returns 0, or -1 with err set. */
int pki_generate(struct pki *p, uint32_t n_ls, const uint32_t *ls_ips, char *err, size_t errlen);
/* Wipe the private parts, then free. */
void pki_free(struct pki *p);

/* Rank r's credential secret: HMAC-SHA256(master, "bootstorm rank " be32(r)).
 * Returns 0, or -1 (out wiped) if HMAC failed. */
int pki_rank_secret(const uint8_t master[PKI_KEY_LEN], uint32_t rank, uint8_t out[PKI_KEY_LEN]);

/* The TLS session-ticket keys every login server installs (node/tls.h), so
 * that each accepts the tickets of the others: PKI_TICKET_KEYS_LEN bytes of
 * HMAC-SHA256(master, "bootstorm tls ticket keys " i), i = 0, 1, 2, cut to
 * 80 (OpenSSL's layout: key name 16, HMAC secret 32, AES key 32). Returns 0,
 * or -1 (out wiped). */
#define PKI_TICKET_KEYS_LEN 80
int pki_tls_ticket_keys(const uint8_t master[PKI_KEY_LEN], uint8_t out[PKI_TICKET_KEYS_LEN]);

/* Format "what: <first queued OpenSSL error>" into err and clear the queue. */
void pki_openssl_error(char *err, size_t len, const char *what);

/* Serialise what g grants (from a copy that holds it) into one malloc'd
 * blob; returns its length, or -1. Wipe the blob (pki_blob_free) after use. */
long pki_pack_for(const struct pki *p, const struct pki_grant *g, uint8_t **blob);
/* Everything this copy holds, with its own rank secret. */
long pki_pack(const struct pki *p, uint8_t **blob);
void pki_blob_free(uint8_t *blob, size_t len);
/* Rebuild from a blob. Returns 0, or -1 (truncated or inconsistent blob). */
int pki_unpack(struct pki *p, const uint8_t *blob, size_t len);

#endif
