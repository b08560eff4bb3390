/* http1.c - HTTP/1.1 request writer and response reader (node/http1.h).
 *
 * The response side drives http_parser (2.9.4, Debian) with callbacks that
 * keep counters and the first Retry-After, and pauses it wherever the byte
 * position matters: the end of the final response (so *used is exact and
 * the bytes after it stay the caller's), the start of each response (its
 * "HTTP/"), the end of each chunk-size line (the chunked framing and the
 * trailer section are counted to the byte) and of each chunk's data (its
 * CRLF). The header and trailer budgets are enforced by never feeding
 * http_parser more than what is left of them. So whatever the piece sizes,
 * a response is accepted or refused at the same byte.
 *
 * Debian's build is not strict (HTTP_PARSER_STRICT 0): every byte
 * http_parser consumes outside the body goes through scan() as well, which
 * refuses a CR not followed by LF; the pauses check the rest. */
#include "node/http1.h"

#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <http_parser.h>

_Static_assert(sizeof(http_parser) <= HTTP1_IMPL_BYTES, "HTTP1_IMPL_BYTES too small");
_Static_assert(_Alignof(http_parser) <= 8, "http_parser needs more alignment than impl has");

enum phase {
    PH_HEADERS = 0, /* status lines and headers, 1xx responses included */
    PH_BODY,        /* after the final response's headers */
    PH_TRAILERS,    /* after the last chunk's size line */
    PH_DONE,
    PH_BAD,
};

/* Why http_parser paused. */
enum pause {
    PAUSE_NONE = 0,
    PAUSE_BEGIN,      /* a response's 'H' */
    PAUSE_CHUNK,      /* the end of a chunk-size line */
    PAUSE_CHUNK_DATA, /* the end of a chunk's data and its CRLF */
    PAUSE_DONE,       /* the end of the final response */
};

/* Chunked framing allowed per chunk on top of max_header_bytes: a size line
 * of 16 hex digits, an extension of a few dozen bytes, and two CRLFs. */
#define FRAMING_PER_CHUNK 64

/* ---- requests ---- */

int http1_expand(const char *tpl, uint32_t user_id, char *out, size_t cap)
{
    char id[16];
    size_t idlen = (size_t)snprintf(id, sizeof id, "%" PRIu32, user_id);
    size_t n = 0;

    if (!tpl || !out)
        return -1;
    for (const char *s = tpl; *s;) {
        const char *piece = s;
        size_t plen = 1;

        if (strncmp(s, "{user}", 6) == 0) {
            piece = id;
            plen = idlen;
            s += 6;
        } else {
            s++;
        }
        if (plen >= cap - n) /* n < cap always holds here: room for the NUL too */
            return -1;
        memcpy(out + n, piece, plen);
        n += plen;
    }
    if (n >= cap || n > INT_MAX)
        return -1;
    out[n] = '\0';
    return (int)n;
}

/* A writer into a caller's buffer; overflow is sticky. */
struct outbuf {
    char *buf;
    size_t cap, len;
    bool over;
};

static void put(struct outbuf *o, const char *s, size_t n)
{
    if (o->over || n > o->cap - o->len) {
        o->over = true;
        return;
    }
    memcpy(o->buf + o->len, s, n);
    o->len += n;
}

static void put_str(struct outbuf *o, const char *s)
{
    put(o, s, strlen(s));
}

/* tchar (RFC 9110 5.6.2) */
static bool is_tchar(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static bool is_token(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if (!is_tchar((unsigned char)*s))
            return false;
    return true;
}

/* Non-empty, no space, no control character (a path or a host). */
static bool is_visible(const char *s)
{
    if (!s || !*s)
        return false;
    for (; *s; s++)
        if ((unsigned char)*s <= 0x20 || (unsigned char)*s == 0x7f)
            return false;
    return true;
}

/* A field value: no control character but HTAB. */
static bool is_field_value(const char *s)
{
    if (!s)
        return false;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return false;
    }
    return true;
}

/* Headers http1_format_request writes itself. */
static bool is_own_header(const char *name)
{
    return !strcasecmp(name, "host") || !strcasecmp(name, "content-length") ||
           !strcasecmp(name, "transfer-encoding") || !strcasecmp(name, "connection");
}

int http1_format_request(const struct http1_request *r, char *out, size_t cap)
{
    struct outbuf o = {.buf = out, .cap = cap};
    char num[32];

    if (!r || !out || !is_token(r->method) || !is_visible(r->path) || r->path[0] != '/' ||
        !is_visible(r->host) || (r->n_headers && !r->headers) || (r->body_len && !r->body))
        return -1;
    for (size_t i = 0; i < r->n_headers; i++)
        if (!is_token(r->headers[i].name) || !is_field_value(r->headers[i].value) ||
            is_own_header(r->headers[i].name))
            return -1;

    put_str(&o, r->method);
    put_str(&o, " ");
    put_str(&o, r->path);
    put_str(&o, " HTTP/1.1\r\nHost: ");
    put_str(&o, r->host);
    put_str(&o, "\r\n");
    for (size_t i = 0; i < r->n_headers; i++) {
        put_str(&o, r->headers[i].name);
        put_str(&o, ": ");
        put_str(&o, r->headers[i].value);
        put_str(&o, "\r\n");
    }
    if (r->body_len || !strcmp(r->method, "POST") || !strcmp(r->method, "PUT") ||
        !strcmp(r->method, "PATCH")) {
        snprintf(num, sizeof num, "%zu", r->body_len);
        put_str(&o, "Content-Length: ");
        put_str(&o, num);
        put_str(&o, "\r\n");
    }
    put_str(&o, "Connection: keep-alive\r\n\r\n");
    if (r->body_len)
        put(&o, r->body, r->body_len);
    if (o.over || o.len >= cap || o.len > INT_MAX)
        return -1;
    out[o.len] = '\0';
    return (int)o.len;
}

/* ---- Retry-After ---- */

enum { DS_START = 0, DS_DIGITS, DS_TRAIL, DS_BAD };

/* delta-seconds (1*DIGIT) with optional spaces around it, one byte at a time;
 * the seconds saturate just above the cap. */
static void delta_feed(uint8_t *st, uint32_t *secs, unsigned char c)
{
    bool ws = c == ' ' || c == '\t';

    if (c >= '0' && c <= '9' && (*st == DS_START || *st == DS_DIGITS)) {
        *st = DS_DIGITS;
        *secs = *secs * 10 + (c - '0');
        if (*secs > HTTP1_RETRY_AFTER_MAX_MS / 1000)
            *secs = HTTP1_RETRY_AFTER_MAX_MS / 1000 + 1;
    } else if (ws && (*st == DS_START || *st == DS_TRAIL)) {
        /* stay */
    } else if (ws && *st == DS_DIGITS) {
        *st = DS_TRAIL;
    } else {
        *st = DS_BAD;
    }
}

static int64_t delta_ms(uint32_t secs)
{
    if (secs >= HTTP1_RETRY_AFTER_MAX_MS / 1000)
        return HTTP1_RETRY_AFTER_MAX_MS;
    return (int64_t)secs * 1000;
}

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar: years
 * counted from March, so that the leap day is the last day of its year, in
 * eras of 400 years (146097 days). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                   /* 0..399 */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* 0..365 */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* 0..146096 */
    return era * 146097 + doe - 719468;
}

static bool is_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
    static const int dim[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

static int64_t year_of(int64_t unix_s)
{
    int64_t days = unix_s / 86400 - (unix_s % 86400 < 0);
    int64_t y = 1970 + days * 400 / 146097; /* off by one at most */

    while (days_from_civil(y + 1, 1, 1) <= days)
        y++;
    while (days_from_civil(y, 1, 1) > days)
        y--;
    return y;
}

/* A cursor over the value being parsed. */
struct cur {
    const char *s;
    size_t n, i;
};

static bool lit(struct cur *c, const char *t)
{
    size_t k = strlen(t);

    if (c->n - c->i < k || memcmp(c->s + c->i, t, k))
        return false;
    c->i += k;
    return true;
}

/* Exactly k digits. */
static bool num(struct cur *c, int k, int *v)
{
    *v = 0;
    if (c->n - c->i < (size_t)k)
        return false;
    for (int j = 0; j < k; j++) {
        char d = c->s[c->i + j];
        if (d < '0' || d > '9')
            return false;
        *v = *v * 10 + (d - '0');
    }
    c->i += k;
    return true;
}

/* The index of the name of names[] that comes next (case-sensitive, as RFC
 * 9110 5.6.7 has them), or -1. */
static int name(struct cur *c, const char *const *names, int count)
{
    for (int k = 0; k < count; k++)
        if (lit(c, names[k]))
            return k;
    return -1;
}

static const char *const day_short[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const day_long[7] = {"Monday", "Tuesday",  "Wednesday", "Thursday",
                                        "Friday", "Saturday", "Sunday"};
static const char *const months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

static bool time_of_day(struct cur *c, int *h, int *mi, int *s)
{
    return num(c, 2, h) && lit(c, ":") && num(c, 2, mi) && lit(c, ":") && num(c, 2, s) &&
           *h <= 23 && *mi <= 59 && *s <= 60;
}

/* An HTTP-date (RFC 9110 5.6.7) in v[0..n), as Unix seconds; false when it
 * is none of the three forms. */
static bool http_date(const char *v, size_t n, int64_t now_unix_s, int64_t *out)
{
    struct cur c = {.s = v, .n = n};
    int day, mon, h, mi, s, yy;
    int64_t year;

    if (name(&c, day_long, 7) >= 0) {
        /* rfc850-date: Sunday, 06-Nov-94 08:49:37 GMT */
        if (!lit(&c, ", ") || !num(&c, 2, &day) || !lit(&c, "-") ||
            (mon = name(&c, months, 12)) < 0 || !lit(&c, "-") || !num(&c, 2, &yy) ||
            !lit(&c, " ") || !time_of_day(&c, &h, &mi, &s) || !lit(&c, " GMT"))
            return false;
        /* a year more than 50 years ahead is the last one in the past (9110 5.6.7) */
        int64_t now_y = year_of(now_unix_s);
        year = now_y - now_y % 100 + yy;
        if (year > now_y + 50)
            year -= 100;
    } else if (name(&c, day_short, 7) >= 0) {
        if (lit(&c, ", ")) {
            /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
            int y4;
            if (!num(&c, 2, &day) || !lit(&c, " ") || (mon = name(&c, months, 12)) < 0 ||
                !lit(&c, " ") || !num(&c, 4, &y4) || !lit(&c, " ") ||
                !time_of_day(&c, &h, &mi, &s) || !lit(&c, " GMT"))
                return false;
            year = y4;
        } else {
            /* asctime-date: Sun Nov  6 08:49:37 1994 */
            int y4;
            if (!lit(&c, " ") || (mon = name(&c, months, 12)) < 0 || !lit(&c, " "))
                return false;
            if (lit(&c, " ")) {
                if (!num(&c, 1, &day))
                    return false;
            } else if (!num(&c, 2, &day)) {
                return false;
            }
            if (!lit(&c, " ") || !time_of_day(&c, &h, &mi, &s) || !lit(&c, " ") || !num(&c, 4, &y4))
                return false;
            year = y4;
        }
    } else {
        return false;
    }
    if (c.i != c.n || day < 1 || day > days_in_month(year, mon + 1))
        return false;
    *out = days_from_civil(year, mon + 1, day) * 86400 + h * 3600 + mi * 60 + s;
    return true;
}

/* Keeps now far from the ends of int64_t, so that date - now cannot overflow
 * (dates are years 0..9999: under 2^39 seconds either side of 1970). */
#define NOW_LIMIT ((int64_t)1 << 45)

int64_t http1_retry_after_ms(const char *v, size_t len, int64_t now_unix_s)
{
    uint8_t st = DS_START;
    uint32_t secs = 0;
    int64_t when;

    if (!v)
        return -1;
    if (now_unix_s > NOW_LIMIT)
        now_unix_s = NOW_LIMIT;
    if (now_unix_s < -NOW_LIMIT)
        now_unix_s = -NOW_LIMIT;
    for (size_t i = 0; i < len; i++)
        delta_feed(&st, &secs, (unsigned char)v[i]);
    if (st == DS_DIGITS || st == DS_TRAIL)
        return delta_ms(secs);
    while (len && (*v == ' ' || *v == '\t')) {
        v++;
        len--;
    }
    while (len && (v[len - 1] == ' ' || v[len - 1] == '\t'))
        len--;
    if (!http_date(v, len, now_unix_s, &when))
        return -1;
    if (when <= now_unix_s)
        return 0;
    if (when - now_unix_s >= HTTP1_RETRY_AFTER_MAX_MS / 1000)
        return HTTP1_RETRY_AFTER_MAX_MS;
    return (when - now_unix_s) * 1000;
}

/* ---- responses ---- */

static http_parser *impl(struct http1_parser *p)
{
    return (http_parser *)(void *)p->impl;
}

/* Refuse from a callback: the reason, and a nonzero return that makes
 * http_parser stop with HPE_CB_*. */
static int refuse(struct http1_parser *p, const char *why)
{
    if (!p->error)
        p->error = why;
    return -1;
}

static int on_message_begin(http_parser *hp)
{
    struct http1_parser *p = hp->data;

    p->pause = PAUSE_BEGIN; /* http1_parse checks the "TTP/" after this 'H' */
    http_parser_pause(hp, 1);

    /* a new message: what a 1xx before it said is forgotten */
    p->resp.retry_after_ms = -1;
    p->name_len = 0;
    p->in_value = false;
    p->value_is_ra = false;
    p->seen_ra = false;
    p->ra_len = 0;
    p->ra_delta = DS_START;
    p->ra_delta_s = 0;
    return 0;
}

static int on_header_field(http_parser *hp, const char *at, size_t n)
{
    struct http1_parser *p = hp->data;

    if (p->in_value) { /* a new header */
        p->in_value = false;
        p->name_len = 0;
    }
    for (size_t i = 0; i < n; i++, p->name_len++) {
        char c = at[i];
        if (!is_tchar((unsigned char)c))
            return refuse(p, "header name not a token"); /* "Bad Name:", "X :" */
        if (p->name_len < HTTP1_NAME_BYTES)
            p->name[p->name_len] = (char)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    return 0;
}

static int on_header_value(http_parser *hp, const char *at, size_t n)
{
    struct http1_parser *p = hp->data;
    static const char ra_name[] = "retry-after";

    if (!p->in_value) { /* the first piece of this header's value */
        p->in_value = true;
        p->value_is_ra = p->phase == PH_HEADERS && !p->seen_ra &&
                         p->name_len == sizeof ra_name - 1 &&
                         !memcmp(p->name, ra_name, sizeof ra_name - 1);
        if (p->value_is_ra)
            p->seen_ra = true; /* the first one wins, parseable or not */
    }
    if (!p->value_is_ra)
        return 0;
    for (size_t i = 0; i < n; i++, p->ra_len++) {
        if (p->ra_len < HTTP1_RA_BYTES)
            p->ra[p->ra_len] = at[i];
        delta_feed(&p->ra_delta, &p->ra_delta_s, (unsigned char)at[i]);
    }
    return 0;
}

static int on_headers_complete(http_parser *hp)
{
    struct http1_parser *p = hp->data;
    unsigned status = hp->status_code;

    if (hp->http_major != 1)
        return refuse(p, "not an HTTP/1.x response");
    if (status < 100 || status > 599)
        return refuse(p, "status code out of range");
    if (status == 101 || hp->upgrade)
        return refuse(p, "protocol upgrade not requested");
    if (status < 200)
        return 1; /* interim: skipped, and never has a body */
    p->resp.status = (int)status;
    if (!p->seen_ra)
        p->resp.retry_after_ms = -1;
    else if (p->ra_len <= HTTP1_RA_BYTES)
        p->resp.retry_after_ms = http1_retry_after_ms(p->ra, p->ra_len, p->now_unix_s);
    else if (p->ra_delta == DS_DIGITS || p->ra_delta == DS_TRAIL)
        p->resp.retry_after_ms = delta_ms(p->ra_delta_s);
    else
        p->resp.retry_after_ms = -1; /* too long for a date */
    p->phase = PH_BODY;
    if (status == 204 || status == 304)
        return 1; /* no body, whatever Content-Length says (RFC 9112 6.3) */
    if ((hp->flags & F_CONTENTLENGTH) && hp->content_length > p->max_body_bytes)
        return refuse(p, "Content-Length over the body limit");
    return 0;
}

static int on_body(http_parser *hp, const char *at, size_t n)
{
    struct http1_parser *p = hp->data;

    /* one range per call (a pause ends each chunk); scan() skips it */
    if (!p->body_lo)
        p->body_lo = at;
    p->body_hi = at + n;

    p->resp.body_len += n;
    if (p->resp.body_len > p->max_body_bytes)
        return refuse(p, "body over the limit");
    return 0;
}

static int on_chunk_header(http_parser *hp)
{
    struct http1_parser *p = hp->data;

    p->chunks++;
    if (hp->content_length == 0) { /* the last chunk: trailers follow */
        p->phase = PH_TRAILERS;
        p->section_bytes = 0;
    }
    p->pause = PAUSE_CHUNK; /* http1_parse checks the framing here */
    http_parser_pause(hp, 1);
    return 0;
}

static int on_chunk_complete(http_parser *hp)
{
    struct http1_parser *p = hp->data;

    if (p->phase != PH_BODY)
        return 0;                /* the end of the trailers */
    p->pause = PAUSE_CHUNK_DATA; /* http1_parse checks the CRLF after the data */
    http_parser_pause(hp, 1);
    return 0;
}

static int on_message_complete(http_parser *hp)
{
    struct http1_parser *p = hp->data;

    if (p->phase == PH_HEADERS)
        return 0; /* the end of a 1xx */
    p->resp.keep_alive = http_should_keep_alive(hp) != 0;
    p->phase = PH_DONE;
    p->pause = PAUSE_DONE; /* stop right after its last byte */
    http_parser_pause(hp, 1);
    return 0;
}

static const http_parser_settings settings = {
    .on_message_begin = on_message_begin,
    .on_header_field = on_header_field,
    .on_header_value = on_header_value,
    .on_headers_complete = on_headers_complete,
    .on_body = on_body,
    .on_message_complete = on_message_complete,
    .on_chunk_header = on_chunk_header,
    .on_chunk_complete = on_chunk_complete,
};

void http1_parser_init(struct http1_parser *p, size_t max_header_bytes, uint64_t max_body_bytes,
                       int64_t now_unix_s)
{
    memset(p, 0, sizeof *p);
    http_parser_init(impl(p), HTTP_RESPONSE);
    p->max_header_bytes = max_header_bytes;
    p->max_body_bytes = max_body_bytes;
    p->now_unix_s = now_unix_s;
    p->phase = PH_HEADERS;
    p->resp.retry_after_ms = -1;
}

static enum http1_result bad(struct http1_parser *p, const char *why)
{
    if (!p->error)
        p->error = why;
    p->phase = PH_BAD;
    return HTTP1_BAD;
}

/* Whether the chunked framing so far fits, when `chunks` size lines have
 * been read by the time it is judged. */
static bool framing_fits(const struct http1_parser *p, uint64_t chunks)
{
    uint64_t allowed = (uint64_t)p->max_header_bytes + FRAMING_PER_CHUNK * chunks;

    if (allowed < p->max_header_bytes)
        return true; /* wrapped: no limit */
    return p->framing_bytes <= allowed;
}

/* The bytes http_parser took outside the body, for what its strict mode
 * would have checked: a CR is followed by LF, and a response starts with
 * "HTTP/". Returns the reason to refuse, or NULL. */
static const char *scan_framing(struct http1_parser *p, const char *s, size_t n)
{
    static const char magic[] = "HTTP/";

    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (p->cr_pending && c != '\n')
            return "CR not followed by LF";
        p->cr_pending = c == '\r';
        if (p->magic) {
            if (c != magic[p->magic])
                return "not an HTTP response";
            p->magic = (size_t)p->magic + 1 < sizeof magic - 1 ? p->magic + 1 : 0;
        }
    }
    return NULL;
}

/* Everything one http_parser_execute call took: s[0..n), of which the body
 * is [body_lo, body_hi) when there was any. */
static const char *scan(struct http1_parser *p, const char *s, size_t n)
{
    const char *why;

    if (p->body_lo) {
        if ((why = scan_framing(p, s, (size_t)(p->body_lo - s))) != NULL)
            return why;
        why = scan_framing(p, p->body_hi, (size_t)(s + n - p->body_hi));
    } else {
        why = scan_framing(p, s, n);
    }
    if (n >= 2) {
        p->last[0] = (unsigned char)s[n - 2];
        p->last[1] = (unsigned char)s[n - 1];
    } else if (n == 1) {
        p->last[0] = p->last[1];
        p->last[1] = (unsigned char)s[0];
    }
    return why;
}

enum http1_result http1_parse(struct http1_parser *p, const char *data, size_t len, size_t *used,
                              struct http1_response *out)
{
    http_parser *hp = impl(p);
    size_t off = 0;

    *used = 0;
    if (p->phase == PH_BAD)
        return HTTP1_BAD;
    if (p->phase == PH_DONE)
        return bad(p, "response already complete");
    hp->data = p;
    while (off < len) {
        int phase = p->phase;
        size_t n = len - off;
        uint64_t body_before = p->resp.body_len;
        const char *why;

        if (phase == PH_HEADERS || phase == PH_TRAILERS) {
            if (p->section_bytes >= p->max_header_bytes)
                return bad(p, phase == PH_HEADERS ? "header section over the limit"
                                                  : "trailer section over the limit");
            if (n > p->max_header_bytes - p->section_bytes)
                n = p->max_header_bytes - p->section_bytes;
        }
        p->pause = PAUSE_NONE;
        p->body_lo = p->body_hi = NULL;
        size_t got = http_parser_execute(hp, &settings, data + off, n);
        enum http_errno e = HTTP_PARSER_ERRNO(hp);

        if (e != HPE_OK && e != HPE_PAUSED)
            return bad(p, p->error ? p->error : http_errno_description(e));
        if (e == HPE_OK && got != n)
            return bad(p, "parser stopped early"); /* an upgrade: refused before this */
        why = scan(p, data + off, got);
        p->body_lo = p->body_hi = NULL;
        if (why)
            return bad(p, why);
        off += got;
        *used = off;
        if (phase == p->phase && phase != PH_BODY)
            p->section_bytes += got; /* a header or trailer section goes on */
        if (phase == PH_BODY)
            p->framing_bytes += got - (p->resp.body_len - body_before);

        if (e == HPE_OK) {
            /* inside a size line: it cannot fit when it ends either */
            if (p->phase == PH_BODY && !framing_fits(p, p->chunks + 1))
                return bad(p, "chunked framing over the limit");
            continue;
        }
        switch (p->pause) {
        case PAUSE_DONE:
            *out = p->resp;
            return HTTP1_DONE;
        case PAUSE_BEGIN:
            p->magic = 1; /* the 'H' is in: "TTP/" must follow */
            break;
        case PAUSE_CHUNK:
            if (!framing_fits(p, p->chunks)) /* exact here whatever the pieces */
                return bad(p, "chunked framing over the limit");
            break;
        case PAUSE_CHUNK_DATA:
            if (p->last[0] != '\r' || p->last[1] != '\n')
                return bad(p, "chunk data not followed by CRLF");
            break;
        default:
            return bad(p, "parser paused for no reason");
        }
        http_parser_pause(hp, 0);
    }
    *used = len;
    return HTTP1_MORE;
}

enum http1_result http1_parser_eof(struct http1_parser *p, struct http1_response *out)
{
    http_parser *hp = impl(p);

    if (p->phase == PH_BAD)
        return HTTP1_BAD;
    if (p->phase == PH_DONE)
        return bad(p, "response already complete");
    hp->data = p;
    http_parser_execute(hp, &settings, NULL, 0);
    if (HTTP_PARSER_ERRNO(hp) == HPE_PAUSED && p->phase == PH_DONE) {
        *out = p->resp;
        return HTTP1_DONE;
    }
    if (p->error)
        return bad(p, p->error);
    return bad(p, p->phase == PH_HEADERS ? "connection closed before a final response"
                                         : "connection closed inside the response");
}

const char *http1_parser_error(const struct http1_parser *p)
{
    return p->error ? p->error : "no error";
}
