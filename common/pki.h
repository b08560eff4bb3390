/* pki.h - the run's key material, made fresh at start by the coordinator.
 *
 * A run owns: a CA (EC P-256, self-signed), one certificate per login server
 * with the server's IP address as subjectAltName, an Ed25519 ticket-signing
 * key shared by the login servers, and a 32-byte secret from which every
 * peer's login credential is derived. The coordinator serialises it and sends
 * it to every rank over MPI (pki_pack/pki_unpack); nothing touches disk
 * except ca.pem in the results directory. */
#ifndef BS_PKI_H
#define BS_PKI_H

#include <stddef.h>
#include <stdint.h>

#define PKI_KEY_LEN 32

struct pki {
    char *ca_pem; /* CA certificate, PEM */
    uint32_t n_ls;
    char **ls_key_pem;                /* per login server: private key, PEM */
    char **ls_cert_pem;               /* per login server: certificate, PEM */
    uint8_t ticket_priv[PKI_KEY_LEN]; /* Ed25519 raw private key */
    uint8_t ticket_pub[PKI_KEY_LEN];  /* Ed25519 raw public key */
    uint8_t secret[PKI_KEY_LEN];      /* credential derivation secret */
};

/* Generate everything for n_ls login servers at the given IPv4 addresses
 * (host byte order). Returns 0, or -1 with err set. */
int pki_generate(struct pki *p, uint32_t n_ls, const uint32_t *ls_ips, char *err, size_t errlen);
void pki_free(struct pki *p);

/* Format "what: <first queued OpenSSL error>" into err and clear the queue. */
void pki_openssl_error(char *err, size_t len, const char *what);

/* Serialise into one malloc'd blob; returns its length, or -1. */
long pki_pack(const struct pki *p, uint8_t **blob);
/* Rebuild from a blob. Returns 0, or -1 (truncated or inconsistent blob). */
int pki_unpack(struct pki *p, const uint8_t *blob, size_t len);

#endif
