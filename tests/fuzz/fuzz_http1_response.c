/* fuzz_http1_response - the HTTP/1.1 response reader, http1_parse and
 * http1_parser_eof (node/http1.h), as node/target.c drives it: responses
 * one after another on one connection, a new init after each, the close
 * at the end.
 *
 * Input: byte 0 picks the piece size (0: the whole stream in each call,
 * else 1 to 255 bytes), byte 1 the header and body limits, byte 2 the
 * clock; the rest is the stream. A request is also written from the
 * stream's first bytes (NUL-separated fields).
 * Asserts, besides no crash, leak or timeout under ASan and UBSan:
 *   - *used <= the bytes given, and all of them on HTTP1_MORE;
 *   - a DONE response has a status of 200..599, Retry-After -1 or 0..24 h,
 *     a body within the limit;
 *   - a BAD one has a reason;
 *   - the pieces change nothing: the same responses, ending at the same
 *     bytes, and the same last result as with the stream in one piece;
 *   - the bytes of each DONE response, fed alone, give it again;
 *   - a request that http1_format_request writes has exactly one line per
 *     field: nothing it was given can add a header or a second request. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "node/http1.h"

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz_http1_response: invariant failed: %s\n", #cond);                 \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#define MAX_RESPONSES 64

struct outcome {
    size_t n;                  /* DONE responses */
    size_t end[MAX_RESPONSES]; /* where each ended in the stream */
    struct http1_response r[MAX_RESPONSES];
    enum http1_result last; /* BAD, or what the close gave */
};

static const size_t hdr_limits[8] = {16, 64, 200, 1024, 4096, 65536, 100000, SIZE_MAX};
static const uint64_t body_limits[8] = {0, 1, 16, 256, 4096, 65536, 1u << 20, UINT64_MAX};

static void check_done(const struct http1_response *r, uint64_t max_body)
{
    CHECK(r->status >= 200 && r->status <= 599);
    CHECK(r->retry_after_ms == -1 ||
          (r->retry_after_ms >= 0 && r->retry_after_ms <= HTTP1_RETRY_AFTER_MAX_MS));
    CHECK(r->body_len <= max_body);
}

static void check_bad(const struct http1_parser *p)
{
    const char *why = http1_parser_error(p);
    CHECK(why && *why && strcmp(why, "no error"));
}

/* The stream in pieces of `piece` bytes (0: all that is left at once). */
static void run(const char *s, size_t len, size_t piece, size_t max_hdr, uint64_t max_body,
                int64_t now, struct outcome *o)
{
    struct http1_parser p;
    size_t pos = 0;

    memset(o, 0, sizeof *o);
    http1_parser_init(&p, max_hdr, max_body, now);
    for (;;) {
        enum http1_result r = HTTP1_MORE;
        struct http1_response resp;

        while (pos < len) {
            size_t n = piece && len - pos > piece ? piece : len - pos, used = SIZE_MAX;
            r = http1_parse(&p, s + pos, n, &used, &resp);
            CHECK(used <= n);
            CHECK(r != HTTP1_MORE || used == n);
            pos += used;
            if (r != HTTP1_MORE)
                break;
        }
        if (r == HTTP1_MORE) { /* the stream ended: the connection closes */
            r = http1_parser_eof(&p, &resp);
            CHECK(r == HTTP1_DONE || r == HTTP1_BAD);
            if (r == HTTP1_DONE) {
                check_done(&resp, max_body);
                CHECK(!resp.keep_alive);
                if (o->n < MAX_RESPONSES) {
                    o->end[o->n] = pos;
                    o->r[o->n++] = resp;
                }
            } else {
                check_bad(&p);
            }
            o->last = r;
            return;
        }
        if (r == HTTP1_BAD) {
            check_bad(&p);
            o->last = r;
            return;
        }
        check_done(&resp, max_body);
        if (o->n == MAX_RESPONSES) {
            o->last = HTTP1_DONE;
            return;
        }
        o->end[o->n] = pos;
        o->r[o->n++] = resp;
        http1_parser_init(&p, max_hdr, max_body, now);
    }
}

static bool same(const struct http1_response *a, const struct http1_response *b)
{
    return a->status == b->status && a->retry_after_ms == b->retry_after_ms &&
           a->keep_alive == b->keep_alive && a->body_len == b->body_len;
}

/* Lines of a request's head: every CR is part of a CRLF, and there is one
 * line per field. */
static void check_request(const char *in, size_t len)
{
    const char *f[5];
    size_t k = 0;
    char *s = malloc(len + 1); /* the last field NUL-terminated too */

    CHECK(s != NULL);
    memcpy(s, in, len);
    s[len] = '\0';
    for (size_t i = 0, start = 0; i <= len && k < 5; i++)
        if (s[i] == '\0') {
            f[k++] = s + start;
            start = i + 1;
        }
    if (k < 5) {
        free(s);
        return;
    }
    /* method, host, path, a header; the body is what follows the 5th field */
    struct http1_header h = {f[3], f[4]};
    const char *body = f[4] + strlen(f[4]);
    body += body < s + len; /* past its NUL */
    size_t body_len = (size_t)(s + len - body);
    struct http1_request req = {.method = f[0],
                                .host = f[1],
                                .path = f[2],
                                .headers = &h,
                                .n_headers = 1,
                                .body = body,
                                .body_len = body_len};
    static char out[1 << 17];
    int n = http1_format_request(&req, out, sizeof out);
    if (n < 0) {
        free(s);
        return;
    }
    CHECK((size_t)n < sizeof out && out[n] == '\0');
    const char *end = strstr(out, "\r\n\r\n");
    CHECK(end != NULL);
    size_t head = (size_t)(end - out) + 4;
    CHECK((size_t)n == head + body_len && !memcmp(out + head, body, body_len));
    size_t lines = 0;
    for (size_t i = 0; i < head; i++) {
        CHECK(out[i] != '\0');
        if (out[i] == '\r') {
            CHECK(out[i + 1] == '\n');
            lines++;
        } else {
            CHECK(out[i] != '\n' || (i > 0 && out[i - 1] == '\r'));
        }
    }
    bool cl = body_len || !strcmp(f[0], "POST") || !strcmp(f[0], "PUT") || !strcmp(f[0], "PATCH");
    /* request line, Host, the header, [Content-Length], Connection, blank */
    CHECK(lines == 5 + (cl ? 1 : 0));
    CHECK(!strncmp(out, f[0], strlen(f[0])) && out[strlen(f[0])] == ' ');
    free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3)
        return 0;
    size_t piece = data[0];
    size_t max_hdr = hdr_limits[data[1] & 7];
    uint64_t max_body = body_limits[(data[1] >> 3) & 7];
    int64_t now = 1700000000 + ((int64_t)data[2] - 128) * 86400 * 7;
    const char *s = (const char *)data + 3;
    size_t len = size - 3;
    static struct outcome whole, pieces;

    run(s, len, 0, max_hdr, max_body, now, &whole);
    run(s, len, piece, max_hdr, max_body, now, &pieces);
    CHECK(whole.last == pieces.last);
    CHECK(whole.n == pieces.n);
    for (size_t i = 0; i < whole.n; i++) {
        CHECK(whole.end[i] == pieces.end[i]);
        CHECK(same(&whole.r[i], &pieces.r[i]));
    }

    /* each response alone, byte by byte when the pieces were bytes */
    for (size_t i = 0, start = 0; i < whole.n; start = whole.end[i++]) {
        struct outcome one;
        run(s + start, whole.end[i] - start, piece == 1 ? 1 : 0, max_hdr, max_body, now, &one);
        CHECK(one.n >= 1 && one.end[0] == whole.end[i] - start && same(&one.r[0], &whole.r[i]));
    }

    int64_t ra = http1_retry_after_ms(s, len < 64 ? len : 64, now);
    CHECK(ra == -1 || (ra >= 0 && ra <= HTTP1_RETRY_AFTER_MAX_MS));
    check_request(s, len);
    return 0;
}
