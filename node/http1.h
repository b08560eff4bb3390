/* http1.h - the HTTP/1.1 client codec of the https target (node/target.c).
 *
 * Plain byte buffers in and out: no sockets, no TLS, no libevent. The request
 * side writes one request from plain fields and refuses any field that could
 * inject a header or a second request. The response side wraps http_parser
 * 2.9 (Debian's libhttp-parser) behind a fixed-size state the caller embeds,
 * so nothing here allocates, and keeps only what a login client acts on: the
 * status, Retry-After, whether the connection may carry another request, and
 * how many body bytes went by (the body itself is discarded).
 *
 * Debian builds http_parser without HTTP_PARSER_STRICT, which makes it take
 * any byte after a CR for the LF, "HXYZ/1.1" for "HTTP/1.1", any two bytes
 * after chunk data for its CRLF, and spaces in header names; http1.c makes
 * those checks itself. A lone LF still ends a line (RFC 9112 2.2 allows it).
 *
 * Limits: max_header_bytes bounds the status lines and header sections of
 * the response (every 1xx interim response before it included), and on its
 * own the trailer section of a chunked body; http_parser adds its own cap of
 * 80 KiB per section. The chunked framing (size lines, extensions, CRLFs)
 * may take max_header_bytes plus 64 bytes per chunk. max_body_bytes bounds
 * the body, checked against Content-Length before any of it arrives. */
#ifndef BS_HTTP1_H
#define BS_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Expand a template: copy tpl to out, replacing every "{user}" with the
 * decimal user id. Returns the length written (NUL-terminated), or -1 if it
 * does not fit in cap. */
int http1_expand(const char *tpl, uint32_t user_id, char *out, size_t cap);

struct http1_header {
    const char *name;
    const char *value;
};

struct http1_request {
    const char *method, *host, *path; /* path must start with '/' */
    const struct http1_header *headers;
    size_t n_headers; /* extra headers, already expanded */
    const char *body;
    size_t body_len; /* 0: no body, no Content-Length unless the method is
                      * POST, PUT or PATCH (then Content-Length: 0) */
};

/* Write the request line, Host, the headers, Content-Length when there is a
 * body (or the method is POST, PUT or PATCH), "Connection: keep-alive", the
 * blank line and the body into out, NUL-terminated after the body (so cap
 * must exceed the length). Returns its length, or -1 if it does not fit or
 * a field could inject something: the method or a header name is not a
 * token (RFC 9110 5.6.2); the path does not start with '/' or holds a space
 * or a control character; the host is empty or holds a space or a control
 * character; a header value holds a control character other than HTAB (CR,
 * LF and NUL among them); a header is one this function writes itself (Host,
 * Content-Length, Transfer-Encoding, Connection); body_len is not 0 and body
 * is NULL. */
int http1_format_request(const struct http1_request *r, char *out, size_t cap);

struct http1_response {
    int status;             /* 100..599 (a final one: 200..599, or 1xx never) */
    int64_t retry_after_ms; /* Retry-After as delta-seconds or an HTTP-date relative to
                             * now_unix_s; -1 when absent or unparseable; capped at 24 h */
    bool keep_alive;        /* the connection may carry another request */
    uint64_t body_len;      /* bytes of body seen (the body itself is discarded) */
};

#define HTTP1_RETRY_AFTER_MAX_MS 86400000 /* 24 h */

/* Parse one Retry-After value (RFC 9110 10.2.3): delta-seconds, or an
 * HTTP-date in any of its three forms (IMF-fixdate, rfc850-date, asctime),
 * taken relative to now_unix_s (a date in the past gives 0). Returns
 * milliseconds capped at HTTP1_RETRY_AFTER_MAX_MS, or -1 when v is not one
 * of those. Leading and trailing spaces and tabs are allowed. */
int64_t http1_retry_after_ms(const char *v, size_t len, int64_t now_unix_s);

#define HTTP1_IMPL_BYTES 48 /* >= sizeof(http_parser), checked in http1.c */
#define HTTP1_RA_BYTES 40   /* the longest HTTP-date is 33 bytes */
#define HTTP1_NAME_BYTES 12 /* "retry-after" and one more */

/* The parser's state. Embed it anywhere; its fields are private (use the
 * functions below). Between calls it holds no pointer into the data fed to
 * it, so it may be moved. */
struct http1_parser {
    _Alignas(8) unsigned char impl[HTTP1_IMPL_BYTES]; /* the http_parser */
    size_t max_header_bytes;
    uint64_t max_body_bytes;
    int64_t now_unix_s;
    size_t section_bytes;   /* of the header (with the 1xx before it) or trailer section */
    uint64_t framing_bytes; /* chunked framing seen in the body */
    uint64_t chunks;
    int phase; /* enum in http1.c */
    const char *error;
    struct http1_response resp;
    /* the checks Debian's http_parser (built without HTTP_PARSER_STRICT) skips */
    int pause;                     /* why http_parser paused (enum in http1.c) */
    const char *body_lo, *body_hi; /* the body bytes of the current call, during it */
    unsigned char last[2];         /* the last two bytes consumed */
    bool cr_pending;               /* the last byte outside the body was a CR */
    uint8_t magic;                 /* of "HTTP/" matched at a status line's start, 0: none */
    /* the header being read: its name, and Retry-After's value */
    char name[HTTP1_NAME_BYTES];
    size_t name_len;
    bool in_value;    /* the last piece was a value */
    bool value_is_ra; /* the current header is the first Retry-After */
    bool seen_ra;     /* a Retry-After was seen in this response */
    char ra[HTTP1_RA_BYTES];
    size_t ra_len;       /* bytes of the value; over HTTP1_RA_BYTES only the first are kept */
    uint8_t ra_delta;    /* the value read as delta-seconds so far (a long one is no date) */
    uint32_t ra_delta_s; /* its seconds, saturated above 24 h */
};

/* Start a response: call before the first byte of each response. */
void http1_parser_init(struct http1_parser *p, size_t max_header_bytes, uint64_t max_body_bytes,
                       int64_t now_unix_s);

/* Feed bytes of the response stream. Returns HTTP1_MORE (all consumed, the
 * response not complete), HTTP1_DONE (one complete final response in *out;
 * *used says how many bytes of data were consumed, and the rest belongs to
 * the next response: call http1_parser_init before it), or HTTP1_BAD
 * (malformed, over the limits, or a protocol the client did not ask for,
 * such as an upgrade; http1_parser_error(p) gives a short static reason).
 * 1xx interim responses are skipped, never returned; 101 Switching Protocols
 * is HTTP1_BAD. Content-Length, chunked (with trailers, whose Retry-After is
 * ignored) and a body delimited by the connection's close are handled; the
 * last is finished by http1_parser_eof. 204 and 304 have no body whatever
 * their headers say. A response to HEAD is not supported. After HTTP1_BAD or
 * HTTP1_DONE every further call returns HTTP1_BAD until the next init. */
enum http1_result { HTTP1_MORE = 0, HTTP1_DONE = 1, HTTP1_BAD = -1 };
enum http1_result http1_parse(struct http1_parser *p, const char *data, size_t len, size_t *used,
                              struct http1_response *out);

/* The connection closed: HTTP1_DONE when that ends a close-delimited body
 * (*out filled, keep_alive false), HTTP1_BAD otherwise (nothing received,
 * or a response cut short). */
enum http1_result http1_parser_eof(struct http1_parser *p, struct http1_response *out);

/* Why the last HTTP1_BAD: a static string ("no error" when there was none). */
const char *http1_parser_error(const struct http1_parser *p);

#endif
