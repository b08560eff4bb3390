/* fountain.c - RaptorQ over liblcrq 0.0.1; see fountain.h.
 *
 * What the library does, found by experiment and by reading its 0.0.1
 * source (the Debian package):
 * - One source block: rq_init(F, T) cuts F bytes into K = ceil(F/T) source
 *   symbols (rq_K) while K <= 56403; rq_KP is K' >= K, the padded block of
 *   RFC 6330's table, internal only. Beyond 56403 it makes several source
 *   blocks (SBN > 0), which this wrapper does not handle: refused.
 * - rq_symbol() makes the symbol of the ESI in the payload id (SBN 0) from
 *   the intermediate symbols, source or repair alike; ESIs below K give the
 *   source bytes back (systematic), the last one zero-padded.
 * - rq_decode(rq, dec, enc, ESI, n) takes any n >= K symbols, source and
 *   repair mixed, in any order, contiguous in enc with their ESIs in ESI[],
 *   and writes all K symbols (K*T bytes, padding included) to dec. It
 *   returns -1 when the matrix is singular (about 1 in 100 at exactly K,
 *   rare from K+2). With fewer than K it reads and writes out of bounds
 *   (valgrind), so that is refused here before the call.
 * - rq_decode leaks its schedule into the context until rq_free, and the
 *   context of a decoder is only F and T: one is made per decode and freed
 *   at once, so a waiting decoder holds only its symbols.
 * - rq_encode keeps a K*T-byte array on the stack: it runs on its own
 *   thread with a stack that fits it (see encode_on_big_stack).
 * - It asserts (compiled in) on T % 4, F == 0 and ESI >= 2^24: checked
 *   here first.
 * Cost: the decoder's Gaussian elimination is about cubic in K (measured,
 * -O2: 28 ms of CPU at K = 256, 0.28 s at 1024, 15 s at 4096) and its
 * matrix is L x L bytes (L a little over K) while it runs. */
#include "fountain.h"

#include <lcrq.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* RFC 6330's largest K' (one source block). */
#define K_MAX 56403
#define ESI_LIMIT (RQ_ESI_MAX + 1u)

struct fountain_enc {
    rq_t *rq;
    uint8_t *data; /* K * symbol bytes: the image, zero-padded */
    uint32_t symbol;
    uint32_t k;
};

struct fountain_dec {
    uint64_t size;
    uint32_t symbol;
    uint32_t k;
    uint32_t max;  /* symbols it may hold */
    uint32_t n;    /* symbols held */
    uint32_t *esi; /* max: the ESIs held, ascending */
    uint8_t *sym;  /* max * symbol bytes: symbol i belongs to esi[i] */
};

/* K for (size, symbol), or 0 when lcrq cannot take it as one block. */
static uint32_t geometry_k(uint64_t size, uint32_t symbol)
{
    if (size == 0 || symbol == 0 || symbol % RQ_AL != 0 || symbol > UINT16_MAX)
        return 0;
    uint64_t k = (size - 1) / symbol + 1;
    return k <= K_MAX ? (uint32_t)k : 0;
}

/* A context for (size, symbol) that agrees with geometry_k. */
static rq_t *context(uint64_t size, uint32_t symbol, uint32_t k)
{
    rq_t *rq = rq_init(size, (uint16_t)symbol);
    if (rq && (rq_Z(rq) != 1 || rq_K(rq) != k)) {
        rq_free(rq);
        rq = NULL;
    }
    return rq;
}

/* ---- encoder ---- */

struct encode_job {
    struct fountain_enc *e;
    uint64_t size;
    int rc;
};

static void *encode_job_run(void *arg)
{
    struct encode_job *j = arg;
    j->rc = rq_encode(j->e->rq, j->e->data, j->size);
    return NULL;
}

/* rq_encode declares a variable-length array of K*T bytes: a 16 MiB image
 * would overflow an 8 MiB main stack. The encoder runs once per run, so a
 * thread whose stack is sized for it costs nothing that matters. */
static int encode_on_big_stack(struct fountain_enc *e, uint64_t size)
{
    struct encode_job job = {.e = e, .size = size, .rc = -1};
    pthread_attr_t attr;
    pthread_t t;
    if (pthread_attr_init(&attr) != 0)
        return -1;
    size_t stack = (size_t)e->k * e->symbol + ((size_t)8 << 20);
    int ok = pthread_attr_setstacksize(&attr, stack) == 0 &&
             pthread_create(&t, &attr, encode_job_run, &job) == 0;
    pthread_attr_destroy(&attr);
    if (!ok || pthread_join(t, NULL) != 0)
        return -1;
    return job.rc;
}

struct fountain_enc *fountain_enc_new(const uint8_t *data, uint64_t size, uint32_t symbol)
{
    uint32_t k = geometry_k(size, symbol);
    if (k == 0 || !data)
        return NULL;
    struct fountain_enc *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->symbol = symbol;
    e->k = k;
    if (!(e->data = calloc(k, symbol)) || !(e->rq = context(size, symbol, k)))
        goto err;
    memcpy(e->data, data, size);
    if (encode_on_big_stack(e, size) != 0)
        goto err;
    return e;
err:
    fountain_enc_free(e);
    return NULL;
}

void fountain_enc_free(struct fountain_enc *e)
{
    if (!e)
        return;
    rq_free(e->rq);
    free(e->data);
    free(e);
}

uint32_t fountain_enc_k(const struct fountain_enc *e)
{
    return e->k;
}

int fountain_enc_symbol(struct fountain_enc *e, uint32_t esi, uint8_t *out)
{
    if (esi >= ESI_LIMIT)
        return -1;
    if (esi < e->k) {
        /* Systematic: a source symbol is the image's own bytes, no need to
         * compute it from the intermediate symbols. */
        memcpy(out, e->data + (size_t)esi * e->symbol, e->symbol);
        return 0;
    }
    rq_pid_t pid = 0;
    pid = rq_pidsetesi(pid, esi);
    return rq_symbol(e->rq, &pid, out, RQ_REPAIR) ? 0 : -1;
}

/* ---- decoder ---- */

struct fountain_dec *fountain_dec_new(uint64_t size, uint32_t symbol, uint32_t max_symbols)
{
    uint32_t k = geometry_k(size, symbol);
    if (k == 0 || max_symbols < k || max_symbols > ESI_LIMIT)
        return NULL;
    /* Ask the library once whether it takes the geometry, rather than
     * learn it at the first decode. */
    rq_t *rq = context(size, symbol, k);
    if (!rq)
        return NULL;
    rq_free(rq);
    struct fountain_dec *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->size = size;
    d->symbol = symbol;
    d->k = k;
    d->max = max_symbols;
    /* All of it up front: what the decoder holds does not change while a
     * box listens, so the box can count it once. */
    if (!(d->esi = malloc((size_t)max_symbols * sizeof *d->esi)) ||
        !(d->sym = malloc((size_t)max_symbols * symbol))) {
        fountain_dec_free(d);
        return NULL;
    }
    return d;
}

void fountain_dec_free(struct fountain_dec *d)
{
    if (!d)
        return;
    free(d->esi);
    free(d->sym);
    free(d);
}

uint32_t fountain_dec_k(const struct fountain_dec *d)
{
    return d->k;
}

uint32_t fountain_dec_count(const struct fountain_dec *d)
{
    return d->n;
}

/* The first position whose ESI is >= esi. */
static uint32_t esi_lower_bound(const struct fountain_dec *d, uint32_t esi)
{
    uint32_t lo = 0, hi = d->n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (d->esi[mid] < esi)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

int fountain_dec_add(struct fountain_dec *d, uint32_t esi, const uint8_t *sym)
{
    if (esi >= ESI_LIMIT)
        return -1;
    /* The head-end sends ESIs in increasing order, so the new one usually
     * goes last; anything else (the 2^24 wrap, a repeat) searches. */
    uint32_t at = d->n;
    if (d->n > 0 && esi <= d->esi[d->n - 1]) {
        at = esi_lower_bound(d, esi);
        if (d->esi[at] == esi)
            return 0;
    }
    if (d->n == d->max)
        return -1;
    if (at < d->n) {
        memmove(d->esi + at + 1, d->esi + at, (size_t)(d->n - at) * sizeof *d->esi);
        memmove(d->sym + (size_t)(at + 1) * d->symbol, d->sym + (size_t)at * d->symbol,
                (size_t)(d->n - at) * d->symbol);
    }
    d->esi[at] = esi;
    memcpy(d->sym + (size_t)at * d->symbol, sym, d->symbol);
    d->n++;
    return 1;
}

int fountain_dec_decode(struct fountain_dec *d, uint8_t *out)
{
    /* Fewer than K: hopeless, and lcrq would write out of bounds. */
    if (d->n < d->k || !out)
        return -1;
    rq_t *rq = context(d->size, d->symbol, d->k);
    if (!rq)
        return -1;
    /* lcrq writes all K symbols, the padding of the last one included. */
    size_t padded = (size_t)d->k * d->symbol;
    uint8_t *dec = padded == d->size ? out : malloc(padded);
    int rc = -1;
    if (dec && rq_decode(rq, dec, d->sym, d->esi, d->n) == 0) {
        if (dec != out)
            memcpy(out, dec, d->size);
        rc = 0;
    }
    if (dec != out)
        free(dec);
    rq_free(rq);
    return rc;
}

void fountain_dec_reset(struct fountain_dec *d)
{
    d->n = 0;
}

size_t fountain_dec_bytes(const struct fountain_dec *d)
{
    return sizeof *d + (size_t)d->max * (sizeof *d->esi + d->symbol);
}
