/* fountain_cost.c - what a real RaptorQ decode costs a verifying set-top box.
 *
 * `bootstorm-fountain-cost [--symbol T] [--k K1,K2,...] [--runs N]` makes the
 * image of K symbols (node/settop_image.c), encodes it once (the head-end's
 * cost) and decodes it N times from K+2 symbols, every tenth source symbol
 * replaced by a repair one (a box's cost), through node/fountain.c. Prints
 * the CPU of each on this machine and the memory a waiting decoder holds.
 * Under settop.method fountain every verifying box pays one decode, so
 * boxes x verify x decode CPU is the part of a run's CPU the codec takes.
 * A benchmark: it reports, it never judges. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "node/fountain.h"
#include "node/settop_image.h"

static double cpu_s(clockid_t clock)
{
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int usage(void)
{
    fprintf(stderr, "usage: bootstorm-fountain-cost [--symbol T] [--k K1,K2,...] [--runs N]\n");
    return 2;
}

/* One K: returns 0, or -1 when something failed (printed). */
static int measure(uint32_t k, uint32_t symbol, int runs)
{
    uint64_t size = (uint64_t)k * symbol;
    struct settop_image img;
    if (settop_image_make(&img, 1, size, symbol) < 0) {
        fprintf(stderr, "fountain-cost: K %u: cannot make a %llu-byte image\n", k,
                (unsigned long long)size);
        return -1;
    }
    /* The encoder runs on a thread of its own: count the process's CPU. */
    double c0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
    struct fountain_enc *enc = fountain_enc_new(img.bytes, size, symbol);
    double enc_s = cpu_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
    struct fountain_dec *dec = fountain_dec_new(size, symbol, k + 2);
    uint8_t *sym = malloc(symbol), *out = malloc(size);
    int rc = -1;
    if (!enc || !dec || !sym || !out) {
        fprintf(stderr, "fountain-cost: K %u: out of memory or geometry refused\n", k);
        goto done;
    }
    double dec_s = 0;
    int ok = 0;
    for (int r = 0; r < runs; r++) {
        fountain_dec_reset(dec);
        for (uint32_t esi = 0; fountain_dec_count(dec) < k + 2; esi++) {
            if (esi < k && esi % 10 == 0)
                continue;
            if (fountain_enc_symbol(enc, esi, sym) < 0 || fountain_dec_add(dec, esi, sym) < 0)
                goto done;
        }
        c0 = cpu_s(CLOCK_THREAD_CPUTIME_ID);
        int got = fountain_dec_decode(dec, out);
        dec_s += cpu_s(CLOCK_THREAD_CPUTIME_ID) - c0;
        ok += got == 0 && settop_image_verify(&img.d, out);
    }
    printf("%6u %6u %10llu %10.4f %12.4f %8d/%-3d %10zu\n", k, symbol, (unsigned long long)size,
           enc_s, dec_s / runs, ok, runs, fountain_dec_bytes(dec));
    rc = 0;
done:
    free(sym);
    free(out);
    fountain_dec_free(dec);
    fountain_enc_free(enc);
    settop_image_free(&img);
    return rc;
}

int main(int argc, char **argv)
{
    uint32_t symbol = 1024;
    long runs = 3;
    const char *klist = "64,256,1024,2048";
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            return usage();
        if (strcmp(argv[i], "--symbol") == 0)
            symbol = (uint32_t)strtoul(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--k") == 0)
            klist = argv[++i];
        else if (strcmp(argv[i], "--runs") == 0)
            runs = strtol(argv[++i], NULL, 10);
        else
            return usage();
    }
    if (symbol == 0 || symbol % 4 || runs < 1 || runs > 1000)
        return usage();
    char *ks = strdup(klist);
    if (!ks)
        return 1;
    printf("%6s %6s %10s %10s %12s %12s %10s\n", "K", "T", "bytes", "encode_s", "decode_s/box",
           "verified", "dec_bytes");
    int rc = 0;
    for (char *save = NULL, *tok = strtok_r(ks, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        unsigned long k = strtoul(tok, NULL, 10);
        if (k == 0 || k > 56403) {
            fprintf(stderr, "fountain-cost: K %s: not in 1..56403\n", tok);
            rc = 1;
            continue;
        }
        if (measure((uint32_t)k, symbol, (int)runs) < 0)
            rc = 1;
    }
    free(ks);
    return rc;
}
