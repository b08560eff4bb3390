/* pki.c - run key material with OpenSSL 3 (see pki.h). */
#include "pki.h"

#include "placement.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define CERT_VALID_SECONDS (7L * 24 * 3600)

void pki_openssl_error(char *err, size_t len, const char *what)
{
    char buf[256];
    unsigned long e = ERR_get_error();
    ERR_error_string_n(e, buf, sizeof buf);
    snprintf(err, len, "%s: %s", what, e ? buf : "unknown OpenSSL error");
    ERR_clear_error();
}

static char *bio_to_string(BIO *b)
{
    char *data;
    long n = BIO_get_mem_data(b, &data);
    char *s = malloc((size_t)n + 1);
    if (s) {
        memcpy(s, data, (size_t)n);
        s[n] = '\0';
    }
    return s;
}

static char *cert_pem(X509 *x)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *s = NULL;
    if (b && PEM_write_bio_X509(b, x))
        s = bio_to_string(b);
    BIO_free(b);
    return s;
}

static char *key_pem(EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *s = NULL;
    if (b && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL))
        s = bio_to_string(b);
    BIO_free(b);
    return s;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    if (!ext)
        return -1;
    int ok = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    return ok ? 0 : -1;
}

/* Make a certificate for `key`, signed by issuer_key (self-signed when
 * issuer is NULL). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
                       long serial, const char *san_ip)
{
    X509 *x = X509_new();
    if (!x)
        return NULL;
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), CERT_VALID_SECONDS);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)"bootstorm run", -1,
                               -1, 0);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);

    X509 *iss = issuer ? issuer : x;
    int bad = 0;
    if (!issuer) {
        bad |= add_ext(x, iss, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
        bad |= add_ext(x, iss, NID_key_usage, "critical,keyCertSign,cRLSign");
        bad |= add_ext(x, iss, NID_subject_key_identifier, "hash");
    } else {
        char san[64];
        snprintf(san, sizeof san, "IP:%s", san_ip);
        bad |= add_ext(x, iss, NID_basic_constraints, "critical,CA:FALSE");
        bad |= add_ext(x, iss, NID_key_usage, "critical,digitalSignature");
        bad |= add_ext(x, iss, NID_ext_key_usage, "serverAuth");
        bad |= add_ext(x, iss, NID_subject_alt_name, san);
        bad |= add_ext(x, iss, NID_authority_key_identifier, "keyid:always");
    }
    if (bad || !X509_sign(x, issuer_key, EVP_sha256())) {
        X509_free(x);
        return NULL;
    }
    return x;
}

/* A fresh EC P-256 key and its certificate for ip, signed by the CA. */
static int server_pair(X509 *ca, EVP_PKEY *ca_key, const char *cn, long serial, uint32_t ip,
                       char **key_out, char **cert_out)
{
    char ipbuf[16];
    placement_format_ip(ip, ipbuf, sizeof ipbuf);
    EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    X509 *c = k ? make_cert(k, cn, ca, ca_key, serial, ipbuf) : NULL;
    if (c) {
        *key_out = key_pem(k);
        *cert_out = cert_pem(c);
    }
    X509_free(c);
    EVP_PKEY_free(k);
    return *key_out && *cert_out ? 0 : -1;
}

/* HMAC-SHA256(master, label || suffix) into out (PKI_KEY_LEN bytes); the
 * label's n bytes, without a terminator. Returns 0, or -1 with out wiped. */
static int labelled_hmac(const uint8_t master[PKI_KEY_LEN], const char *label, size_t n,
                         const uint8_t *suffix, size_t suffix_len, uint8_t out[PKI_KEY_LEN])
{
    uint8_t msg[64];
    unsigned int len = PKI_KEY_LEN;
    if (n + suffix_len > sizeof msg)
        return -1;
    memcpy(msg, label, n);
    memcpy(msg + n, suffix, suffix_len);
    if (!HMAC(EVP_sha256(), master, PKI_KEY_LEN, msg, n + suffix_len, out, &len) ||
        len != PKI_KEY_LEN) {
        OPENSSL_cleanse(out, PKI_KEY_LEN);
        return -1;
    }
    return 0;
}

int pki_rank_secret(const uint8_t master[PKI_KEY_LEN], uint32_t rank, uint8_t out[PKI_KEY_LEN])
{
    uint8_t be[4] = {(uint8_t)(rank >> 24), (uint8_t)(rank >> 16), (uint8_t)(rank >> 8),
                     (uint8_t)rank};
    static const char label[] = "bootstorm rank ";
    return labelled_hmac(master, label, sizeof label - 1, be, sizeof be, out);
}

/* Blocks of HMAC(master, label || block number), cut to length. */
int pki_tls_ticket_keys(const uint8_t master[PKI_KEY_LEN], uint8_t out[PKI_TICKET_KEYS_LEN])
{
    static const char label[] = "bootstorm tls ticket keys ";
    uint8_t block[PKI_KEY_LEN];
    int rc = 0;
    for (size_t done = 0; rc == 0 && done < PKI_TICKET_KEYS_LEN; done += PKI_KEY_LEN) {
        uint8_t i = (uint8_t)(done / PKI_KEY_LEN);
        size_t n =
            PKI_TICKET_KEYS_LEN - done < PKI_KEY_LEN ? PKI_TICKET_KEYS_LEN - done : PKI_KEY_LEN;
        rc = labelled_hmac(master, label, sizeof label - 1, &i, 1, block);
        memcpy(out + done, block, n);
    }
    OPENSSL_cleanse(block, sizeof block);
    if (rc < 0)
        OPENSSL_cleanse(out, PKI_TICKET_KEYS_LEN);
    return rc;
}

int pki_generate(struct pki *p, uint32_t n_ls, const uint32_t *ls_ips, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    EVP_PKEY *ca_key = NULL, *ed = NULL;
    X509 *ca = NULL;
    int rc = -1;

    ca_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
    if (!ca_key || !(ca = make_cert(ca_key, "bootstorm run CA", NULL, ca_key, 1, NULL))) {
        pki_openssl_error(err, errlen, "creating the run CA");
        goto out;
    }
    p->ca_pem = cert_pem(ca);
    p->n_ls = n_ls;
    p->ls_key_pem = calloc(n_ls, sizeof *p->ls_key_pem);
    p->ls_cert_pem = calloc(n_ls, sizeof *p->ls_cert_pem);
    if (!p->ca_pem || !p->ls_key_pem || !p->ls_cert_pem) {
        snprintf(err, errlen, "out of memory creating key material");
        goto out;
    }
    for (uint32_t i = 0; i < n_ls; i++) {
        char cn[32];
        snprintf(cn, sizeof cn, "login-server-%u", i);
        if (server_pair(ca, ca_key, cn, 2 + (long)i, ls_ips[i], &p->ls_key_pem[i],
                        &p->ls_cert_pem[i]) < 0) {
            pki_openssl_error(err, errlen, "creating a login server certificate");
            goto out;
        }
    }
    if (server_pair(ca, ca_key, "handshake-probe", 2 + (long)n_ls, PKI_PROBE_IP, &p->probe_key_pem,
                    &p->probe_cert_pem) < 0) {
        pki_openssl_error(err, errlen, "creating the probe certificate");
        goto out;
    }

    ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    size_t lpriv = PKI_KEY_LEN, lpub = PKI_KEY_LEN;
    if (!ed || !EVP_PKEY_get_raw_private_key(ed, p->ticket_priv, &lpriv) ||
        !EVP_PKEY_get_raw_public_key(ed, p->ticket_pub, &lpub) ||
        RAND_bytes(p->master, sizeof p->master) != 1 ||
        pki_rank_secret(p->master, 0, p->rank_secret) < 0) {
        pki_openssl_error(err, errlen, "creating the ticket key");
        goto out;
    }
    p->has_ticket_priv = p->has_master = true;
    rc = 0;
out:
    EVP_PKEY_free(ed);
    X509_free(ca);
    EVP_PKEY_free(ca_key);
    if (rc != 0)
        pki_free(p);
    return rc;
}

static void free_secret_str(char *s)
{
    if (s)
        OPENSSL_cleanse(s, strlen(s));
    free(s);
}

void pki_free(struct pki *p)
{
    for (uint32_t i = 0; i < p->n_ls; i++) {
        if (p->ls_key_pem)
            free_secret_str(p->ls_key_pem[i]);
        if (p->ls_cert_pem)
            free(p->ls_cert_pem[i]);
    }
    free(p->ls_key_pem);
    free(p->ls_cert_pem);
    free(p->ca_pem);
    free_secret_str(p->probe_key_pem);
    free(p->probe_cert_pem);
    OPENSSL_cleanse(p, sizeof *p); /* the raw keys and secrets */
}

/* ---- serialisation ----
 * u32 n_ls, then length-prefixed strings: the CA, the probe key and
 * certificate, each login server's key ("" when not granted) and
 * certificate; then a flags byte (1: ticket_priv, 2: master) and the raw
 * keys: ticket_priv, ticket_pub, master, rank_secret (zeros when not
 * granted). Both ends are the same binary. */

struct blob {
    uint8_t *buf;
    size_t len, cap;
    int bad;
};

static void put(struct blob *b, const void *data, size_t n)
{
    if (b->bad)
        return;
    if (b->len + n > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 4096) + n;
        uint8_t *nb = realloc(b->buf, cap);
        if (!nb) {
            b->bad = 1;
            return;
        }
        b->buf = nb;
        b->cap = cap;
    }
    memcpy(b->buf + b->len, data, n);
    b->len += n;
}

static void put_str(struct blob *b, const char *s)
{
    uint32_t n = (uint32_t)strlen(s);
    put(b, &n, sizeof n);
    put(b, s, n);
}

void pki_blob_free(uint8_t *blob, size_t len)
{
    if (blob)
        OPENSSL_cleanse(blob, len);
    free(blob);
}

/* Login server i's key goes when all_ls, or when ls_key (may be NULL: none)
 * says so. */
static long pack(const struct pki *p, bool all_ls, const bool *ls_key, bool ticket_priv,
                 bool master, const uint8_t rank_secret[PKI_KEY_LEN], uint8_t **out)
{
    static const uint8_t zero[PKI_KEY_LEN];
    struct blob b = {0};
    put(&b, &p->n_ls, sizeof p->n_ls);
    put_str(&b, p->ca_pem);
    put_str(&b, p->probe_key_pem);
    put_str(&b, p->probe_cert_pem);
    for (uint32_t i = 0; i < p->n_ls; i++) {
        put_str(&b, all_ls || (ls_key && ls_key[i]) ? p->ls_key_pem[i] : "");
        put_str(&b, p->ls_cert_pem[i]);
    }
    ticket_priv = ticket_priv && p->has_ticket_priv;
    master = master && p->has_master;
    uint8_t flags = (uint8_t)(ticket_priv | master << 1);
    put(&b, &flags, 1);
    put(&b, ticket_priv ? p->ticket_priv : zero, PKI_KEY_LEN);
    put(&b, p->ticket_pub, PKI_KEY_LEN);
    put(&b, master ? p->master : zero, PKI_KEY_LEN);
    put(&b, rank_secret, PKI_KEY_LEN);
    if (b.bad) {
        pki_blob_free(b.buf, b.cap);
        return -1;
    }
    *out = b.buf;
    return (long)b.len;
}

long pki_pack(const struct pki *p, uint8_t **out)
{
    return pack(p, true, NULL, true, true, p->rank_secret, out);
}

long pki_pack_for(const struct pki *p, const struct pki_grant *g, uint8_t **out)
{
    uint8_t secret[PKI_KEY_LEN];
    if (!p->has_master || pki_rank_secret(p->master, (uint32_t)g->rank, secret) < 0)
        return -1;
    long n = pack(p, false, g->ls_key, g->ticket_priv, g->master, secret, out);
    OPENSSL_cleanse(secret, sizeof secret);
    return n;
}

static int get(const uint8_t **cur, const uint8_t *end, void *dst, size_t n)
{
    if ((size_t)(end - *cur) < n)
        return -1;
    memcpy(dst, *cur, n);
    *cur += n;
    return 0;
}

static char *get_str(const uint8_t **cur, const uint8_t *end)
{
    uint32_t n;
    if (get(cur, end, &n, sizeof n) || (size_t)(end - *cur) < n)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    memcpy(s, *cur, n);
    s[n] = '\0';
    *cur += n;
    return s;
}

int pki_unpack(struct pki *p, const uint8_t *blob, size_t len)
{
    const uint8_t *cur = blob, *end = blob + len;
    memset(p, 0, sizeof *p);
    uint32_t n;
    if (get(&cur, end, &n, sizeof n) || n > 1u << 20)
        return -1;
    p->ls_key_pem = calloc(n ? n : 1, sizeof *p->ls_key_pem);
    p->ls_cert_pem = calloc(n ? n : 1, sizeof *p->ls_cert_pem);
    p->n_ls = n;
    if (!p->ls_key_pem || !p->ls_cert_pem || !(p->ca_pem = get_str(&cur, end)) ||
        !(p->probe_key_pem = get_str(&cur, end)) || !(p->probe_cert_pem = get_str(&cur, end)))
        goto bad;
    for (uint32_t i = 0; i < n; i++)
        if (!(p->ls_key_pem[i] = get_str(&cur, end)) || !(p->ls_cert_pem[i] = get_str(&cur, end)))
            goto bad;
    uint8_t flags;
    if (get(&cur, end, &flags, 1) || flags > 3 || get(&cur, end, p->ticket_priv, PKI_KEY_LEN) ||
        get(&cur, end, p->ticket_pub, PKI_KEY_LEN) || get(&cur, end, p->master, PKI_KEY_LEN) ||
        get(&cur, end, p->rank_secret, PKI_KEY_LEN) || cur != end)
        goto bad;
    p->has_ticket_priv = flags & 1;
    p->has_master = flags & 2;
    return 0;
bad:
    pki_free(p);
    return -1;
}
