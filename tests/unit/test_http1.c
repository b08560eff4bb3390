/* test_http1.c - unit tests for the HTTP/1.1 client codec (node/http1.c).
 *
 * Templates and requests byte for byte, and every way a request field could
 * inject a header; responses with Content-Length, chunked with trailers,
 * delimited by the close, after 1xx interim responses, fed whole, split at
 * every byte and one byte at a time; Retry-After in both forms (and all
 * three date forms); the header, trailer, framing and body limits; and the
 * malformed and unrequested (an upgrade) responses that must be refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "node/http1.h"

/* cmocka hands every test a state pointer these tests do not need. */
#pragma GCC diagnostic ignored "-Wunused-parameter"

#define NOW 1700000000 /* Tue, 14 Nov 2023 22:13:20 GMT */
#define BIG_HDR 65536
#define BIG_BODY (1u << 20)

/* ---- helpers ---- */

struct fed {
    enum http1_result r;
    size_t consumed; /* bytes the parser took */
    struct http1_response resp;
    char error[64];
};

/* A fresh parser fed s in pieces of `piece` bytes (0: one piece), stopping at
 * the first result other than HTTP1_MORE; then, when eof and still MORE,
 * http1_parser_eof. Checks *used on the way. */
static struct fed feed_lim(const char *s, size_t len, size_t piece, bool eof, size_t max_hdr,
                           uint64_t max_body)
{
    struct http1_parser p;
    struct fed f = {.r = HTTP1_MORE};

    memset(&f.resp, 0x5a, sizeof f.resp);
    http1_parser_init(&p, max_hdr, max_body, NOW);
    if (piece == 0)
        piece = len ? len : 1;
    while (f.consumed < len) {
        size_t n = len - f.consumed < piece ? len - f.consumed : piece, used = 12345;
        f.r = http1_parse(&p, s + f.consumed, n, &used, &f.resp);
        assert_true(used <= n);
        if (f.r == HTTP1_MORE)
            assert_int_equal(used, n);
        f.consumed += used;
        if (f.r != HTTP1_MORE)
            break;
    }
    if (f.r == HTTP1_MORE && eof)
        f.r = http1_parser_eof(&p, &f.resp);
    snprintf(f.error, sizeof f.error, "%s", http1_parser_error(&p));
    return f;
}

static struct fed feed(const char *s, size_t piece, bool eof)
{
    return feed_lim(s, strlen(s), piece, eof, BIG_HDR, BIG_BODY);
}

/* s split in two at k: the same as feed(), with the first piece k bytes. */
static struct fed feed_split(const char *s, size_t k, bool eof)
{
    struct http1_parser p;
    struct fed f = {.r = HTTP1_MORE};
    size_t len = strlen(s), used = 0;

    memset(&f.resp, 0x5a, sizeof f.resp);
    http1_parser_init(&p, BIG_HDR, BIG_BODY, NOW);
    if (k > 0) {
        f.r = http1_parse(&p, s, k, &used, &f.resp);
        f.consumed = used;
    }
    if (f.r == HTTP1_MORE && k < len) {
        f.r = http1_parse(&p, s + k, len - k, &used, &f.resp);
        f.consumed += used;
    }
    if (f.r == HTTP1_MORE && eof)
        f.r = http1_parser_eof(&p, &f.resp);
    snprintf(f.error, sizeof f.error, "%s", http1_parser_error(&p));
    return f;
}

static void assert_same(const struct fed *a, const struct fed *b)
{
    assert_int_equal(a->r, b->r);
    if (a->r != HTTP1_DONE)
        return;
    assert_int_equal(a->consumed, b->consumed);
    assert_int_equal(a->resp.status, b->resp.status);
    assert_int_equal(a->resp.retry_after_ms, b->resp.retry_after_ms);
    assert_int_equal(a->resp.keep_alive, b->resp.keep_alive);
    assert_int_equal(a->resp.body_len, b->resp.body_len);
}

/* Retry-After of a 503 carrying the given header line(s). */
static int64_t retry_after_of(const char *headers)
{
    char buf[512];
    snprintf(buf, sizeof buf, "HTTP/1.1 503 Service Unavailable\r\n%sContent-Length: 0\r\n\r\n",
             headers);
    struct fed f = feed(buf, 0, false);
    assert_int_equal(f.r, HTTP1_DONE);
    assert_int_equal(f.resp.status, 503);
    return f.resp.retry_after_ms;
}

static const char NGINX_200[] = "HTTP/1.1 200 OK\r\n"
                                "Server: nginx/1.22.1\r\n"
                                "Date: Tue, 14 Nov 2023 22:13:20 GMT\r\n"
                                "Content-Type: application/json\r\n"
                                "Content-Length: 16\r\n"
                                "Connection: keep-alive\r\n"
                                "\r\n"
                                "{\"token\":\"abc1\"}";

static const char CHUNKED[] = "HTTP/1.1 200 OK\r\n"
                              "Transfer-Encoding: chunked\r\n"
                              "Trailer: Retry-After\r\n"
                              "\r\n"
                              "5\r\nhello\r\n"
                              "1a;name=value\r\nabcdefghijklmnopqrstuvwxyz\r\n"
                              "0\r\n"
                              "Retry-After: 7\r\n"
                              "X-Checksum: 1234\r\n"
                              "\r\n";

static const char CONTINUE_429[] = "HTTP/1.1 100 Continue\r\n"
                                   "\r\n"
                                   "HTTP/1.1 429 Too Many Requests\r\n"
                                   "Retry-After: 120\r\n"
                                   "Content-Length: 3\r\n"
                                   "\r\n"
                                   "no!";

static const char CLOSE_DELIMITED[] = "HTTP/1.1 200 OK\r\n"
                                      "Content-Type: text/plain\r\n"
                                      "\r\n"
                                      "until the end";

/* ---- http1_expand ---- */

static void test_expand_replaces_every_placeholder(void **state)
{
    char out[64];

    assert_int_equal(http1_expand("/login/{user}", 42, out, sizeof out), 9);
    assert_string_equal(out, "/login/42");
    assert_int_equal(http1_expand("{user}{user}-{user}", 4294967295u, out, sizeof out), 31);
    assert_string_equal(out, "42949672954294967295-4294967295");
    assert_int_equal(http1_expand("user=0", 7, out, sizeof out), 6);
    assert_string_equal(out, "user=0");
    assert_int_equal(http1_expand("", 7, out, sizeof out), 0);
    assert_string_equal(out, "");
}

static void test_expand_leaves_near_placeholders_alone(void **state)
{
    char out[64];

    assert_int_equal(http1_expand("{use}{User}{user", 5, out, sizeof out), 16);
    assert_string_equal(out, "{use}{User}{user");
    assert_int_equal(http1_expand("{{user}}", 0, out, sizeof out), 3);
    assert_string_equal(out, "{0}");
}

static void test_expand_refuses_what_does_not_fit(void **state)
{
    char out[16];

    /* "id-123456" is 9 bytes: cap 10 holds it and the NUL, 9 does not */
    assert_int_equal(http1_expand("id-{user}", 123456, out, 10), 9);
    assert_string_equal(out, "id-123456");
    for (size_t cap = 0; cap <= 9; cap++)
        assert_int_equal(http1_expand("id-{user}", 123456, out, cap), -1);
    assert_int_equal(http1_expand("", 1, out, 0), -1);
    assert_int_equal(http1_expand("", 1, out, 1), 0);
}

/* ---- http1_format_request ---- */

static void test_format_get_is_byte_exact(void **state)
{
    static const struct http1_header h[] = {{"Accept", "application/json"}, {"X-User", "42"}};
    struct http1_request r = {.method = "GET",
                              .host = "login.example.com:8443",
                              .path = "/v1/login?user=42",
                              .headers = h,
                              .n_headers = 2};
    static const char want[] = "GET /v1/login?user=42 HTTP/1.1\r\n"
                               "Host: login.example.com:8443\r\n"
                               "Accept: application/json\r\n"
                               "X-User: 42\r\n"
                               "Connection: keep-alive\r\n"
                               "\r\n";
    char out[256];

    assert_int_equal(http1_format_request(&r, out, sizeof out), (int)strlen(want));
    assert_string_equal(out, want);
}

static void test_format_post_with_body_is_byte_exact(void **state)
{
    static const struct http1_header h[] = {{"Content-Type", "application/json"}};
    static const char body[] = "{\"user\":42,\"pw\":\"x\\ty\"}";
    struct http1_request r = {.method = "POST",
                              .host = "10.0.0.1",
                              .path = "/login",
                              .headers = h,
                              .n_headers = 1,
                              .body = body,
                              .body_len = strlen(body)};
    static const char want[] = "POST /login HTTP/1.1\r\n"
                               "Host: 10.0.0.1\r\n"
                               "Content-Type: application/json\r\n"
                               "Content-Length: 23\r\n"
                               "Connection: keep-alive\r\n"
                               "\r\n"
                               "{\"user\":42,\"pw\":\"x\\ty\"}";
    char out[256];

    assert_int_equal(strlen(body), 23);
    assert_int_equal(http1_format_request(&r, out, sizeof out), (int)strlen(want));
    assert_string_equal(out, want);
}

static void test_format_body_may_hold_any_byte(void **state)
{
    static const char body[4] = {'\0', '\r', '\n', 'x'};
    struct http1_request r = {
        .method = "PUT", .host = "h", .path = "/", .body = body, .body_len = sizeof body};
    static const char head[] = "PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n"
                               "Connection: keep-alive\r\n\r\n";
    char out[128];
    int n = http1_format_request(&r, out, sizeof out);

    assert_int_equal(n, (int)(strlen(head) + 4));
    assert_memory_equal(out, head, strlen(head));
    assert_memory_equal(out + strlen(head), body, 4);
    assert_int_equal(out[n], '\0');
}

static void test_format_content_length_0_only_for_post_put_patch(void **state)
{
    static const char *const with[] = {"POST", "PUT", "PATCH"};
    static const char *const without[] = {"GET", "DELETE", "OPTIONS", "post"};
    char out[256], want[256];

    for (size_t i = 0; i < 3; i++) {
        struct http1_request r = {.method = with[i], .host = "h", .path = "/a"};
        snprintf(want, sizeof want,
                 "%s /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n"
                 "Connection: keep-alive\r\n\r\n",
                 with[i]);
        assert_int_equal(http1_format_request(&r, out, sizeof out), (int)strlen(want));
        assert_string_equal(out, want);
    }
    for (size_t i = 0; i < 4; i++) {
        struct http1_request r = {.method = without[i], .host = "h", .path = "/a"};
        snprintf(want, sizeof want, "%s /a HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n",
                 without[i]);
        assert_int_equal(http1_format_request(&r, out, sizeof out), (int)strlen(want));
        assert_string_equal(out, want);
    }
    /* a GET with a body says how long it is */
    struct http1_request g = {
        .method = "GET", .host = "h", .path = "/", .body = "ab", .body_len = 2};
    assert_int_equal(http1_format_request(&g, out, sizeof out), 72);
    assert_non_null(strstr(out, "\r\nContent-Length: 2\r\n"));
}

static void test_format_refuses_header_injection(void **state)
{
    static const struct {
        const char *method, *host, *path, *name, *value;
    } bad[] = {
        {"GET", "h", "/a\r\nX-Evil: 1", "X", "v"},   /* CRLF in the path */
        {"GET", "h", "/a\nb", "X", "v"},             /* LF in the path */
        {"GET", "h", "/a b", "X", "v"},              /* a space ends the request target */
        {"GET", "h", "/a\tb", "X", "v"},             /* and a tab */
        {"GET", "h", "/a\x7f", "X", "v"},            /* DEL */
        {"GET", "h", "a", "X", "v"},                 /* no leading '/' */
        {"GET", "h", "", "X", "v"},                  /* empty path */
        {"GET", "h", "*", "X", "v"},                 /* not origin-form */
        {"GET", "h\r\nX-Evil: 1", "/", "X", "v"},    /* CRLF in the host */
        {"GET", "h h", "/", "X", "v"},               /* space in the host */
        {"GET", "", "/", "X", "v"},                  /* empty host */
        {"GET", "h", "/", "X", "v\r\nX-Evil: 1"},    /* CRLF in a value */
        {"GET", "h", "/", "X", "v\n"},               /* LF in a value */
        {"GET", "h", "/", "X", "v\r"},               /* CR in a value */
        {"GET", "h", "/", "X", "\x01"},              /* another control character */
        {"GET", "h", "/", "X-A\r\nX-B", "v"},        /* CRLF in a name */
        {"GET", "h", "/", "X A", "v"},               /* a name is a token: no space */
        {"GET", "h", "/", "X:A", "v"},               /* nor a colon */
        {"GET", "h", "/", "", "v"},                  /* nor empty */
        {"GET", "h", "/", "X\x80", "v"},             /* nor a non-ASCII byte */
        {"G T", "h", "/", "X", "v"},                 /* the method is a token */
        {"GET /x HTTP/1.1\r\n", "h", "/", "X", "v"}, /* a whole request line */
        {"", "h", "/", "X", "v"},                    /* empty method */
        {"GET", "h", "/", "Host", "other"},          /* headers it writes itself */
        {"GET", "h", "/", "content-length", "5"},
        {"GET", "h", "/", "Transfer-Encoding", "chunked"},
        {"GET", "h", "/", "CONNECTION", "close"},
    };
    char out[512];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct http1_header h = {bad[i].name, bad[i].value};
        struct http1_request r = {.method = bad[i].method,
                                  .host = bad[i].host,
                                  .path = bad[i].path,
                                  .headers = &h,
                                  .n_headers = 1};
        if (http1_format_request(&r, out, sizeof out) != -1)
            fail_msg("case %zu was not refused", i);
    }
    /* the same shape with clean fields is accepted: the table tests one thing each */
    struct http1_header ok = {"X-Tab", "a\tb \x80\xff"};
    struct http1_request r = {
        .method = "GET", .host = "h", .path = "/%20?q=1#f", .headers = &ok, .n_headers = 1};
    assert_true(http1_format_request(&r, out, sizeof out) > 0);
}

static void test_format_refuses_null_fields(void **state)
{
    struct http1_header nv = {"X", NULL}, nn = {NULL, "v"};
    char out[128];
    struct http1_request r = {.method = "GET", .host = "h", .path = "/"};

    assert_true(http1_format_request(&r, out, sizeof out) > 0);
    r.method = NULL;
    assert_int_equal(http1_format_request(&r, out, sizeof out), -1);
    r = (struct http1_request){.method = "GET", .host = NULL, .path = "/"};
    assert_int_equal(http1_format_request(&r, out, sizeof out), -1);
    r = (struct http1_request){.method = "GET", .host = "h", .path = NULL};
    assert_int_equal(http1_format_request(&r, out, sizeof out), -1);
    r = (struct http1_request){.method = "GET", .host = "h", .path = "/", .n_headers = 1};
    assert_int_equal(http1_format_request(&r, out, sizeof out), -1);
    r.headers = &nv;
    assert_int_equal(http1_format_request(&r, out, sizeof out), -1);
    r.headers = &nn;
    assert_int_equal(http1_format_request(&r, out, sizeof out), -1);
    r = (struct http1_request){.method = "POST", .host = "h", .path = "/", .body_len = 3};
    assert_int_equal(http1_format_request(&r, out, sizeof out), -1);
}

static void test_format_needs_room_for_the_nul(void **state)
{
    static const struct http1_header h[] = {{"A", "1"}};
    struct http1_request r = {.method = "POST",
                              .host = "host",
                              .path = "/p",
                              .headers = h,
                              .n_headers = 1,
                              .body = "body",
                              .body_len = 4};
    char big[256], out[256];
    int n = http1_format_request(&r, big, sizeof big);

    assert_true(n > 0);
    for (size_t cap = 0; cap <= (size_t)n; cap++) {
        memset(out, '#', sizeof out);
        assert_int_equal(http1_format_request(&r, out, cap), -1);
        for (size_t i = cap; i < sizeof out; i++) /* nothing written past cap */
            assert_int_equal(out[i], '#');
    }
    assert_int_equal(http1_format_request(&r, out, (size_t)n + 1), n);
    assert_memory_equal(out, big, (size_t)n + 1);
}

/* ---- responses: framing ---- */

static void test_parse_content_length_response(void **state)
{
    struct fed f = feed(NGINX_200, 0, false);

    assert_int_equal(f.r, HTTP1_DONE);
    assert_int_equal(f.consumed, strlen(NGINX_200));
    assert_int_equal(f.resp.status, 200);
    assert_int_equal(f.resp.retry_after_ms, -1);
    assert_true(f.resp.keep_alive);
    assert_int_equal(f.resp.body_len, 16);
    assert_string_equal(f.error, "no error");
}

static void test_parse_one_byte_at_a_time_is_done_on_the_last_byte(void **state)
{
    const char *all[] = {NGINX_200, CHUNKED, CONTINUE_429};

    for (size_t i = 0; i < 3; i++) {
        struct http1_parser p;
        struct http1_response out;
        size_t len = strlen(all[i]), used;

        http1_parser_init(&p, BIG_HDR, BIG_BODY, NOW);
        for (size_t k = 0; k + 1 < len; k++) {
            used = 99;
            assert_int_equal(http1_parse(&p, all[i] + k, 1, &used, &out), HTTP1_MORE);
            assert_int_equal(used, 1);
        }
        assert_int_equal(http1_parse(&p, all[i] + len - 1, 1, &used, &out), HTTP1_DONE);
        assert_int_equal(used, 1);
        assert_same(&(struct fed){.r = HTTP1_DONE, .consumed = len, .resp = out},
                    &(struct fed[]){feed(all[i], 0, false)}[0]);
    }
}

/* Splits at every byte and every piece size give what one piece gives. */
static void test_parse_every_split_gives_the_same_result(void **state)
{
    const char *all[] = {NGINX_200, CHUNKED, CONTINUE_429, CLOSE_DELIMITED};

    for (size_t i = 0; i < 4; i++) {
        size_t len = strlen(all[i]);
        struct fed whole = feed(all[i], 0, true);

        assert_int_equal(whole.r, HTTP1_DONE);
        for (size_t k = 0; k <= len; k++) {
            struct fed two = feed_split(all[i], k, true);
            assert_same(&whole, &two);
        }
        for (size_t piece = 1; piece <= len; piece++) {
            struct fed f = feed(all[i], piece, true);
            assert_same(&whole, &f);
        }
    }
}

static void test_parse_leaves_the_next_response_alone(void **state)
{
    char two[1024];
    struct http1_parser p;
    struct http1_response out;
    size_t used, n1 = strlen(NGINX_200);

    snprintf(two, sizeof two, "%s%s", NGINX_200, CONTINUE_429);
    http1_parser_init(&p, BIG_HDR, BIG_BODY, NOW);
    assert_int_equal(http1_parse(&p, two, strlen(two), &used, &out), HTTP1_DONE);
    assert_int_equal(used, n1);
    assert_int_equal(out.status, 200);
    /* done means done: the next response needs a new init */
    assert_int_equal(http1_parse(&p, two + used, 1, &used, &out), HTTP1_BAD);
    http1_parser_init(&p, BIG_HDR, BIG_BODY, NOW);
    assert_int_equal(http1_parse(&p, two + n1, strlen(two) - n1, &used, &out), HTTP1_DONE);
    assert_int_equal(used, strlen(CONTINUE_429));
    assert_int_equal(out.status, 429);
    assert_int_equal(out.retry_after_ms, 120000);
    assert_int_equal(out.body_len, 3);
}

static void test_chunked_with_extensions_and_trailers(void **state)
{
    struct fed f = feed(CHUNKED, 0, false);

    assert_int_equal(f.r, HTTP1_DONE);
    assert_int_equal(f.consumed, strlen(CHUNKED));
    assert_int_equal(f.resp.status, 200);
    assert_int_equal(f.resp.body_len, 5 + 26);
    assert_int_equal(f.resp.retry_after_ms, -1); /* a trailer's Retry-After is not the header's */
    assert_true(f.resp.keep_alive);

    /* no trailers, uppercase hex, a following response left alone */
    static const char plain[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                "A\r\n0123456789\r\n0\r\n\r\nHTTP/1.1 200 OK\r\n";
    f = feed(plain, 0, false);
    assert_int_equal(f.r, HTTP1_DONE);
    assert_int_equal(f.resp.body_len, 10);
    assert_int_equal(f.consumed, strlen(plain) - strlen("HTTP/1.1 200 OK\r\n"));
}

static void test_many_small_chunks_fit_the_framing_limit(void **state)
{
    static char buf[16384];
    size_t n =
        (size_t)snprintf(buf, sizeof buf, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");

    for (int i = 0; i < 1000; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "1\r\nx\r\n");
    n += (size_t)snprintf(buf + n, sizeof buf - n, "0\r\n\r\n");
    struct fed f = feed_lim(buf, n, 0, false, 100, BIG_BODY);
    assert_int_equal(f.r, HTTP1_DONE);
    assert_int_equal(f.resp.body_len, 1000);
    f = feed_lim(buf, n, 7, false, 100, BIG_BODY);
    assert_int_equal(f.r, HTTP1_DONE);
}

static void test_close_delimited_body_ends_at_eof(void **state)
{
    struct http1_parser p;
    struct http1_response out;
    size_t used;

    http1_parser_init(&p, BIG_HDR, BIG_BODY, NOW);
    assert_int_equal(http1_parse(&p, CLOSE_DELIMITED, strlen(CLOSE_DELIMITED), &used, &out),
                     HTTP1_MORE);
    assert_int_equal(used, strlen(CLOSE_DELIMITED));
    assert_int_equal(http1_parse(&p, " and more", 9, &used, &out), HTTP1_MORE);
    assert_int_equal(http1_parser_eof(&p, &out), HTTP1_DONE);
    assert_int_equal(out.status, 200);
    assert_int_equal(out.body_len, strlen("until the end and more"));
    assert_false(out.keep_alive);
    assert_int_equal(out.retry_after_ms, -1);

    /* HTTP/1.0 without a length, and an empty body */
    struct fed f = feed("HTTP/1.0 503 Service Unavailable\r\nRetry-After: 3\r\n\r\n", 0, true);
    assert_int_equal(f.r, HTTP1_DONE);
    assert_int_equal(f.resp.status, 503);
    assert_int_equal(f.resp.body_len, 0);
    assert_int_equal(f.resp.retry_after_ms, 3000);
    assert_false(f.resp.keep_alive);

    /* a transfer coding other than chunked: read until the close too */
    f = feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxyz", 0, true);
    assert_int_equal(f.r, HTTP1_DONE);
    assert_int_equal(f.resp.body_len, 3);
    assert_false(f.resp.keep_alive);
}

static void test_eof_before_the_end_is_bad(void **state)
{
    static const char *const cut[] = {
        "",
        "HTTP/1.1 200 O",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabcd",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nabcde\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: 1\r\n",
        "HTTP/1.1 100 Continue\r\n\r\n",
    };

    for (size_t i = 0; i < sizeof cut / sizeof cut[0]; i++) {
        struct fed f = feed(cut[i], 0, true);
        if (f.r != HTTP1_BAD)
            fail_msg("case %zu: %d, not BAD", i, f.r);
        assert_string_not_equal(f.error, "no error");
    }
    struct fed f = feed("", 0, true);
    assert_string_equal(f.error, "connection closed before a final response");
    f = feed(cut[3], 0, true);
    assert_string_equal(f.error, "connection closed inside the response");
}

static void test_204_and_304_have_no_body(void **state)
{
    static const char r304[] = "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n";
    static const char r204[] = "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n";
    char buf[256];

    snprintf(buf, sizeof buf, "%s%s", r304, NGINX_200);
    struct fed f = feed(buf, 0, false);
    assert_int_equal(f.r, HTTP1_DONE);
    assert_int_equal(f.resp.status, 304);
    assert_int_equal(f.consumed, strlen(r304));
    assert_int_equal(f.resp.body_len, 0);
    assert_true(f.resp.keep_alive);
    f = feed(r204, 1, false);
    assert_int_equal(f.r, HTTP1_DONE);
    assert_int_equal(f.resp.status, 204);
    assert_int_equal(f.consumed, strlen(r204));
}

/* ---- responses: 1xx and upgrades ---- */

static void test_interim_responses_are_skipped(void **state)
{
    struct fed f = feed(CONTINUE_429, 0, false);

    assert_int_equal(f.r, HTTP1_DONE);
    assert_int_equal(f.resp.status, 429);
    assert_int_equal(f.resp.retry_after_ms, 120000);
    assert_int_equal(f.resp.body_len, 3);
    assert_int_equal(f.consumed, strlen(CONTINUE_429));

    /* 102 and 103 with headers (a Retry-After among them) before a 200 that has none */
    static const char two[] = "HTTP/1.1 102 Processing\r\n\r\n"
                              "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n"
                              "Retry-After: 9\r\nContent-Length: 4\r\n\r\n"
                              "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    f = feed(two, 0, false);
    assert_int_equal(f.r, HTTP1_DONE);
    assert_int_equal(f.resp.status, 200);
    assert_int_equal(f.resp.retry_after_ms, -1);
    assert_int_equal(f.resp.body_len, 2);
    assert_int_equal(f.consumed, strlen(two));

    /* a 1xx alone is not a response */
    f = feed("HTTP/1.1 100 Continue\r\n\r\n", 0, false);
    assert_int_equal(f.r, HTTP1_MORE);
}

static void test_upgrades_are_refused(void **state)
{
    static const char *const bad[] = {
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n\0\0",
        "HTTP/1.1 101 Switching Protocols\r\n\r\n",
        "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 101 Switching Protocols\r\n"
        "Upgrade: websocket\r\nConnection: upgrade\r\n\r\n",
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct fed f = feed(bad[i], 0, false);
        assert_int_equal(f.r, HTTP1_BAD);
        assert_string_equal(f.error, "protocol upgrade not requested");
    }
    /* a 200 announcing an upgrade it could do is a plain 200 */
    struct fed f = feed("HTTP/1.1 200 OK\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n"
                        "Content-Length: 2\r\n\r\nok",
                        0, false);
    assert_int_equal(f.r, HTTP1_DONE);
    assert_int_equal(f.resp.body_len, 2);
}

/* ---- responses: malformed ---- */

static void test_malformed_responses_are_bad(void **state)
{
    static const char *const bad[] = {
        "HTTP/1.1 600 Nope\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 099 Low\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 000 Zero\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/2.0 200 OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/0.9 200 OK\r\nContent-Length: 0\r\n\r\n",
        "FOO/1.1 200 OK\r\n\r\n",
        "GET / HTTP/1.1\r\n\r\n", /* a request where a response should be */
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
        "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999999\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\x01z\r\n\r\n",
        "HTTP/1.1 200 OK\rX: 1\r\n\r\n",
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (size_t piece = 0; piece <= 1; piece++) {
            struct fed f = feed(bad[i], piece, true);
            if (f.r != HTTP1_BAD)
                fail_msg("case %zu (piece %zu): %d, not BAD", i, piece, f.r);
            assert_string_not_equal(f.error, "no error");
        }
    }
}

/* Debian's http_parser is built without HTTP_PARSER_STRICT and takes each of
 * these (checked against the library while writing this test); http1.c
 * refuses them itself, fed whole or byte by byte. */
static void test_what_a_lenient_http_parser_takes_is_bad(void **state)
{
    static const struct {
        const char *resp, *why;
    } bad[] = {
        {"HXYZ/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "not an HTTP response"},
        {"HTTP 1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "not an HTTP response"},
        {"HTTP/1.1 100 Continue\r\n\r\nHTTQ/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
         "not an HTTP response"},
        {"HTTP/1.1 200 OK\rZContent-Length: 0\r\n\r\n", "CR not followed by LF"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\rZx", "CR not followed by LF"},
        {"HTTP/1.1 200 OK\r\nX:\rZContent-Length: 1\r\n\r\nx", "CR not followed by LF"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\rZx\r\n0\r\n\r\n",
         "CR not followed by LF"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nxZZ0\r\n\r\n",
         "chunk data not followed by CRLF"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\rZ0\r\n\r\n",
         "CR not followed by LF"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nx\r\n0\r\nT: 1\r\n\rZ",
         "CR not followed by LF"},
        {"HTTP/1.1 200 OK\r\nBad Name: x\r\nContent-Length: 0\r\n\r\n", "header name not a token"},
        {"HTTP/1.1 200 OK\r\nX : y\r\nContent-Length: 0\r\n\r\n", "header name not a token"},
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        for (size_t piece = 0; piece <= 1; piece++) {
            struct fed f = feed(bad[i].resp, piece, true);
            if (f.r != HTTP1_BAD || strcmp(f.error, bad[i].why))
                fail_msg("case %zu (piece %zu): %d, %s", i, piece, f.r, f.error);
        }
    }
    /* lone LFs end lines (RFC 9112 2.2 lets a recipient take them) */
    struct fed f = feed("HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 0, false);
    assert_int_equal(f.r, HTTP1_DONE);
    assert_int_equal(f.resp.body_len, 2);
    f = feed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n\r\r\r\n0\r\n\r\n", 1,
             false);
    assert_int_equal(f.r, HTTP1_DONE); /* CRs in the body are data */
    assert_int_equal(f.resp.body_len, 2);
}

static void test_bad_is_sticky_until_init(void **state)
{
    struct http1_parser p;
    struct http1_response out;
    size_t used = 7;

    http1_parser_init(&p, BIG_HDR, BIG_BODY, NOW);
    assert_string_equal(http1_parser_error(&p), "no error");
    assert_int_equal(http1_parse(&p, "XTTP", 4, &used, &out), HTTP1_BAD);
    const char *why = http1_parser_error(&p);
    assert_string_not_equal(why, "no error");
    assert_int_equal(http1_parse(&p, NGINX_200, strlen(NGINX_200), &used, &out), HTTP1_BAD);
    assert_int_equal(used, 0);
    assert_int_equal(http1_parser_eof(&p, &out), HTTP1_BAD);
    assert_ptr_equal(http1_parser_error(&p), why);
    http1_parser_init(&p, BIG_HDR, BIG_BODY, NOW);
    assert_int_equal(http1_parse(&p, NGINX_200, strlen(NGINX_200), &used, &out), HTTP1_DONE);
    assert_int_equal(http1_parser_eof(&p, &out), HTTP1_BAD); /* after DONE */
}

static void test_empty_feed_changes_nothing(void **state)
{
    struct http1_parser p;
    struct http1_response out;
    size_t used = 7;

    http1_parser_init(&p, BIG_HDR, BIG_BODY, NOW);
    assert_int_equal(http1_parse(&p, "", 0, &used, &out), HTTP1_MORE);
    assert_int_equal(used, 0);
    assert_int_equal(http1_parse(&p, NGINX_200, 20, &used, &out), HTTP1_MORE);
    assert_int_equal(http1_parse(&p, NGINX_200 + 20, 0, &used, &out), HTTP1_MORE);
    assert_int_equal(http1_parse(&p, NGINX_200 + 20, strlen(NGINX_200) - 20, &used, &out),
                     HTTP1_DONE);
    assert_int_equal(out.body_len, 16);
}

/* ---- responses: keep-alive ---- */

static void test_keep_alive_follows_version_and_connection(void **state)
{
    static const struct {
        const char *resp;
        bool keep_alive;
    } cases[] = {
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", true},
        {"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", false},
        {"HTTP/1.1 200 OK\r\nconnection: Close\r\nContent-Length: 0\r\n\r\n", false},
        {"HTTP/1.1 200 OK\r\nConnection: keep-alive, close\r\nContent-Length: 0\r\n\r\n", false},
        {"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", false},
        {"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", true},
        {"HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", true},
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct fed f = feed(cases[i].resp, 0, false);
        assert_int_equal(f.r, HTTP1_DONE);
        if (f.resp.keep_alive != cases[i].keep_alive)
            fail_msg("case %zu: keep_alive %d", i, f.resp.keep_alive);
    }
}

/* ---- responses: limits ---- */

static void test_header_limit_is_exact(void **state)
{
    static const char r[] = "HTTP/1.1 200 OK\r\nX-Pad: 0123456789\r\nContent-Length: 2\r\n\r\nok";
    size_t head = strlen(r) - 2;

    for (size_t piece = 0; piece <= 3; piece++) {
        struct fed f = feed_lim(r, strlen(r), piece, false, head, 2);
        assert_int_equal(f.r, HTTP1_DONE);
        f = feed_lim(r, strlen(r), piece, false, head - 1, 2);
        assert_int_equal(f.r, HTTP1_BAD);
        assert_string_equal(f.error, "header section over the limit");
    }
    /* a 1xx before the final response counts */
    char buf[256];
    snprintf(buf, sizeof buf, "HTTP/1.1 100 Continue\r\n\r\n%s", r);
    assert_int_equal(feed_lim(buf, strlen(buf), 0, false, head + 25, 2).r, HTTP1_DONE);
    assert_int_equal(feed_lim(buf, strlen(buf), 0, false, head + 24, 2).r, HTTP1_BAD);
    /* endless 100s end at the limit */
    size_t n = 0;
    static char many[8192];
    while (n + 25 < sizeof many)
        n += (size_t)snprintf(many + n, sizeof many - n, "HTTP/1.1 100 Continue\r\n\r\n");
    assert_int_equal(feed_lim(many, n, 0, false, 4096, 2).r, HTTP1_BAD);
}

static void test_trailer_limit_is_exact(void **state)
{
    /* the trailers (75 bytes) are longer than the header section (47) */
#define PAD60 "012345678901234567890123456789012345678901234567890123456789"
    static const char r[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                            "3\r\nabc\r\n0\r\nX-Trailer: " PAD60 "\r\n\r\n";
    size_t trailers = strlen("X-Trailer: " PAD60 "\r\n\r\n");

    for (size_t piece = 0; piece <= 2; piece++) {
        assert_int_equal(feed_lim(r, strlen(r), piece, false, trailers, 10).r, HTTP1_DONE);
        struct fed f = feed_lim(r, strlen(r), piece, false, trailers - 1, 10);
        assert_int_equal(f.r, HTTP1_BAD);
        assert_string_equal(f.error, "trailer section over the limit");
    }
}

static void test_chunk_extension_over_the_framing_limit_is_bad(void **state)
{
    char buf[1024];
    size_t n = (size_t)snprintf(buf, sizeof buf,
                                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=");
    memset(buf + n, 'y', 300);
    n += 300;
    n += (size_t)snprintf(buf + n, sizeof buf - n, "\r\nhello\r\n0\r\n\r\n");

    for (size_t piece = 0; piece <= 1; piece++) {
        struct fed f = feed_lim(buf, n, piece, true, 100, BIG_BODY);
        assert_int_equal(f.r, HTTP1_BAD);
        assert_string_equal(f.error, "chunked framing over the limit");
        /* with room for it, the same response is fine */
        assert_int_equal(feed_lim(buf, n, piece, true, 400, BIG_BODY).r, HTTP1_DONE);
    }
}

static void test_body_limit_is_exact(void **state)
{
    static const char cl[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n0123456789";
    static const char ch[] = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "6\r\n012345\r\n4\r\n6789\r\n0\r\n\r\n";
    static const char eof[] = "HTTP/1.1 200 OK\r\n\r\n0123456789";
    const char *all[] = {cl, ch, eof};

    for (size_t i = 0; i < 3; i++) {
        struct fed f = feed_lim(all[i], strlen(all[i]), 0, true, BIG_HDR, 10);
        assert_int_equal(f.r, HTTP1_DONE);
        assert_int_equal(f.resp.body_len, 10);
        f = feed_lim(all[i], strlen(all[i]), 1, true, BIG_HDR, 9);
        assert_int_equal(f.r, HTTP1_BAD);
    }
    /* Content-Length over the limit is refused before any of the body */
    size_t head = strlen(cl) - 10;
    struct fed f = feed_lim(cl, head, 0, false, BIG_HDR, 9);
    assert_int_equal(f.r, HTTP1_BAD);
    assert_string_equal(f.error, "Content-Length over the body limit");
    f = feed_lim(ch, strlen(ch), 0, false, BIG_HDR, 9);
    assert_string_equal(f.error, "body over the limit");
}

/* ---- Retry-After ---- */

static void test_retry_after_delta_seconds(void **state)
{
    assert_int_equal(retry_after_of(""), -1);
    assert_int_equal(retry_after_of("Retry-After: 120\r\n"), 120000);
    assert_int_equal(retry_after_of("Retry-After: 0\r\n"), 0);
    assert_int_equal(retry_after_of("Retry-After:5\r\n"), 5000);
    assert_int_equal(retry_after_of("Retry-After: \t 5 \t\r\n"), 5000);
    assert_int_equal(retry_after_of("retry-after: 7\r\n"), 7000);
    assert_int_equal(retry_after_of("RETRY-AFTER: 8\r\n"), 8000);
    assert_int_equal(retry_after_of("Retry-After: 86400\r\n"), 86400000);
    assert_int_equal(retry_after_of("Retry-After: 86401\r\n"), 86400000);
    assert_int_equal(retry_after_of("Retry-After: 99999999999999999999999999\r\n"), 86400000);
    /* longer than the buffer a date needs */
    assert_int_equal(
        retry_after_of("Retry-After: 0000000000000000000000000000000000000000000000000012\r\n"),
        12000);
    assert_int_equal(
        retry_after_of("Retry-After: 0000000000000000000000000000000000000000000000000012x\r\n"),
        -1);
}

static void test_retry_after_unparseable_is_minus_1(void **state)
{
    static const char *const bad[] = {
        "Retry-After: -1\r\n", "Retry-After: 1.5\r\n",  "Retry-After: 12s\r\n",
        "Retry-After: \r\n",   "Retry-After: 1 2\r\n",  "Retry-After: soon\r\n",
        "Retry-After: +5\r\n", "Retry-After: 0x10\r\n", "Retry-After-Not: 5\r\nX: 1\r\n",
        "Retry-Afte: 5\r\n",   "X-Retry-After: 5\r\n",
    };

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (retry_after_of(bad[i]) != -1)
            fail_msg("case %zu: %s", i, bad[i]);
}

static void test_retry_after_http_date_forms(void **state)
{
    /* IMF-fixdate, 30 s ahead, now, 30 s ago, 2 days ahead */
    assert_int_equal(retry_after_of("Retry-After: Tue, 14 Nov 2023 22:13:50 GMT\r\n"), 30000);
    assert_int_equal(retry_after_of("Retry-After: Tue, 14 Nov 2023 22:13:20 GMT\r\n"), 0);
    assert_int_equal(retry_after_of("Retry-After: Tue, 14 Nov 2023 22:12:50 GMT\r\n"), 0);
    assert_int_equal(retry_after_of("Retry-After: Sun, 06 Nov 1994 08:49:37 GMT\r\n"), 0);
    assert_int_equal(retry_after_of("Retry-After: Thu, 16 Nov 2023 22:13:20 GMT\r\n"), 86400000);
    assert_int_equal(retry_after_of("Retry-After: Tue, 14 Nov 2023 23:13:20 GMT \r\n"), 3600000);
    /* rfc850-date, 90 s ahead; two-digit years more than 50 years ahead are the past */
    assert_int_equal(retry_after_of("Retry-After: Tuesday, 14-Nov-23 22:14:50 GMT\r\n"), 90000);
    assert_int_equal(retry_after_of("Retry-After: Sunday, 06-Nov-94 08:49:37 GMT\r\n"), 0);
    assert_int_equal(retry_after_of("Retry-After: Sunday, 06-Nov-73 08:49:37 GMT\r\n"), 86400000);
    assert_int_equal(retry_after_of("Retry-After: Sunday, 06-Nov-74 08:49:37 GMT\r\n"), 0);
    /* asctime-date, 5 s ahead; a one-digit day has a space before it */
    assert_int_equal(retry_after_of("Retry-After: Tue Nov 14 22:13:25 2023\r\n"), 5000);
    assert_int_equal(retry_after_of("Retry-After: Sat Nov  4 22:13:25 2023\r\n"), 0);
    /* the day name is not checked against the date; the date itself is */
    assert_int_equal(retry_after_of("Retry-After: Mon, 14 Nov 2023 22:13:21 GMT\r\n"), 1000);
    assert_int_equal(retry_after_of("Retry-After: Thu, 29 Feb 2024 00:00:00 GMT\r\n"), 86400000);
}

static void test_retry_after_bad_dates_are_minus_1(void **state)
{
    static const char *const bad[] = {
        "Wed, 29 Feb 2023 00:00:00 GMT", /* not a leap year */
        "Tue, 31 Apr 2023 00:00:00 GMT",     "Tue, 00 Nov 2023 00:00:00 GMT",
        "Tue, 14 Nov 2023 24:00:00 GMT",     "Tue, 14 Nov 2023 22:60:00 GMT",
        "Tue, 14 Nov 2023 22:13:61 GMT",     "Tue, 14 Nov 2023 22:13:50 UTC",
        "Tue, 14 Nov 2023 22:13:50",         "tue, 14 Nov 2023 22:13:50 GMT",
        "Tue, 14 nov 2023 22:13:50 GMT",     "Tue, 4 Nov 2023 22:13:50 GMT",
        "Tue, 14 Nov 23 22:13:50 GMT",       "Tue, 14 Nov 2023 22:13:50 GMTx",
        "Tue,14 Nov 2023 22:13:50 GMT",      "Tues, 14 Nov 2023 22:13:50 GMT",
        "Tuesday, 14-Nov-2023 22:13:50 GMT", "Tuesday, 14 Nov 23 22:13:50 GMT",
        "Tue Nov 4 22:13:25 2023",           "Tue Nov 14 22:13:25 23",
        "Tue Nov 14 22:13:25 2023 GMT",      "2023-11-14T22:13:50Z",
    };
    char line[128];

    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        snprintf(line, sizeof line, "Retry-After: %s\r\n", bad[i]);
        if (retry_after_of(line) != -1)
            fail_msg("case %zu: %s", i, bad[i]);
        assert_int_equal(http1_retry_after_ms(bad[i], strlen(bad[i]), NOW), -1);
    }
}

static void test_retry_after_first_one_wins(void **state)
{
    assert_int_equal(retry_after_of("Retry-After: 5\r\nRetry-After: 10\r\n"), 5000);
    assert_int_equal(retry_after_of("Retry-After: 10\r\nX: y\r\nretry-after: 5\r\n"), 10000);
    /* even when the first cannot be read, or is empty */
    assert_int_equal(retry_after_of("Retry-After: soon\r\nRetry-After: 10\r\n"), -1);
    assert_int_equal(retry_after_of("Retry-After:\r\nRetry-After: 10\r\n"), -1);
    /* an empty header before it does not hide it */
    assert_int_equal(retry_after_of("X-Empty:\r\nRetry-After: 10\r\n"), 10000);
}

/* A Retry-After split in every way over header callbacks reads the same:
 * http_parser hands a header's name and value over in as many pieces as
 * the data came in. */
static void test_retry_after_split_over_pieces(void **state)
{
    static const char r[] = "HTTP/1.1 503 Service Unavailable\r\n"
                            "Retry-After: Tue, 14 Nov 2023 22:13:50 GMT\r\n"
                            "Content-Length: 0\r\n\r\n";
    size_t len = strlen(r);

    for (size_t k = 0; k <= len; k++) {
        struct fed f = feed_split(r, k, false);
        assert_int_equal(f.r, HTTP1_DONE);
        assert_int_equal(f.resp.retry_after_ms, 30000);
    }
    for (size_t piece = 1; piece < 8; piece++)
        assert_int_equal(feed(r, piece, false).resp.retry_after_ms, 30000);
}

static void test_retry_after_function(void **state)
{
    assert_int_equal(http1_retry_after_ms("10", 2, NOW), 10000);
    assert_int_equal(http1_retry_after_ms("10", 1, NOW), 1000); /* only len bytes */
    assert_int_equal(http1_retry_after_ms("", 0, NOW), -1);
    assert_int_equal(http1_retry_after_ms(NULL, 0, NOW), -1);
    assert_int_equal(http1_retry_after_ms("  ", 2, NOW), -1);
    static const char d[] = "Tue, 14 Nov 2023 22:13:50 GMT";
    assert_int_equal(http1_retry_after_ms(d, strlen(d), NOW), 30000);
    assert_int_equal(http1_retry_after_ms(d, strlen(d), NOW + 31), 0);
    assert_int_equal(http1_retry_after_ms(d, strlen(d), 0), 86400000);
    assert_int_equal(http1_retry_after_ms(d, strlen(d), INT64_MIN), 86400000);
    assert_int_equal(http1_retry_after_ms(d, strlen(d), INT64_MAX), 0);
    static const char far[] = "Fri, 31 Dec 9999 23:59:59 GMT";
    assert_int_equal(http1_retry_after_ms(far, strlen(far), NOW), 86400000);
    static const char old[] = "Mon, 01 Jan 0001 00:00:00 GMT";
    assert_int_equal(http1_retry_after_ms(old, strlen(old), NOW), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_expand_replaces_every_placeholder),
        cmocka_unit_test(test_expand_leaves_near_placeholders_alone),
        cmocka_unit_test(test_expand_refuses_what_does_not_fit),

        cmocka_unit_test(test_format_get_is_byte_exact),
        cmocka_unit_test(test_format_post_with_body_is_byte_exact),
        cmocka_unit_test(test_format_body_may_hold_any_byte),
        cmocka_unit_test(test_format_content_length_0_only_for_post_put_patch),
        cmocka_unit_test(test_format_refuses_header_injection),
        cmocka_unit_test(test_format_refuses_null_fields),
        cmocka_unit_test(test_format_needs_room_for_the_nul),

        cmocka_unit_test(test_parse_content_length_response),
        cmocka_unit_test(test_parse_one_byte_at_a_time_is_done_on_the_last_byte),
        cmocka_unit_test(test_parse_every_split_gives_the_same_result),
        cmocka_unit_test(test_parse_leaves_the_next_response_alone),
        cmocka_unit_test(test_chunked_with_extensions_and_trailers),
        cmocka_unit_test(test_many_small_chunks_fit_the_framing_limit),
        cmocka_unit_test(test_close_delimited_body_ends_at_eof),
        cmocka_unit_test(test_eof_before_the_end_is_bad),
        cmocka_unit_test(test_204_and_304_have_no_body),
        cmocka_unit_test(test_interim_responses_are_skipped),
        cmocka_unit_test(test_upgrades_are_refused),
        cmocka_unit_test(test_malformed_responses_are_bad),
        cmocka_unit_test(test_what_a_lenient_http_parser_takes_is_bad),
        cmocka_unit_test(test_bad_is_sticky_until_init),
        cmocka_unit_test(test_empty_feed_changes_nothing),
        cmocka_unit_test(test_keep_alive_follows_version_and_connection),
        cmocka_unit_test(test_header_limit_is_exact),
        cmocka_unit_test(test_trailer_limit_is_exact),
        cmocka_unit_test(test_chunk_extension_over_the_framing_limit_is_bad),
        cmocka_unit_test(test_body_limit_is_exact),

        cmocka_unit_test(test_retry_after_delta_seconds),
        cmocka_unit_test(test_retry_after_unparseable_is_minus_1),
        cmocka_unit_test(test_retry_after_http_date_forms),
        cmocka_unit_test(test_retry_after_bad_dates_are_minus_1),
        cmocka_unit_test(test_retry_after_first_one_wins),
        cmocka_unit_test(test_retry_after_split_over_pieces),
        cmocka_unit_test(test_retry_after_function),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
