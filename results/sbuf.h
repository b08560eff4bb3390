/* sbuf.h - a growable text buffer, file helpers and escaping.
 *
 * Every generator in the results tool (tables, SVG, HTML, CSV, JSON) writes
 * into an sbuf, so output is built in memory and written in one go: a failed
 * command never leaves half a report behind. Out of memory is fatal (exit 1):
 * a CLI tool has nothing sensible to fall back to. */
#ifndef BSR_SBUF_H
#define BSR_SBUF_H

#include <stdarg.h>
#include <stddef.h>

struct sbuf {
    char *s;    /* NUL-terminated, NULL until the first write */
    size_t len; /* bytes used, excluding the NUL */
    size_t cap;
};

void sbuf_init(struct sbuf *b);
void sbuf_free(struct sbuf *b);
void sbuf_reset(struct sbuf *b);            /* empty it, keep the memory */
const char *sbuf_str(const struct sbuf *b); /* "" when empty */
void sbuf_add(struct sbuf *b, const char *s);
void sbuf_addn(struct sbuf *b, const char *s, size_t n);
void sbuf_addc(struct sbuf *b, char c);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_vprintf(struct sbuf *b, const char *fmt, va_list ap);
/* Append s escaped for HTML/XML text and attribute values (& < > " '). */
void sbuf_add_html(struct sbuf *b, const char *s);
/* Append s as a CSV field (quoted only if it holds , " CR or LF). */
void sbuf_add_csv(struct sbuf *b, const char *s);
/* Append n spaces. */
void sbuf_pad(struct sbuf *b, size_t n);

/* Display width of UTF-8 text: code points, not bytes (the tool's own
 * output uses no wide characters). */
size_t utf8_width(const char *s);

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);

/* Read a whole file (NUL-terminated; *len excludes the NUL). Returns NULL
 * and fills err with "PATH: reason" on failure. */
char *file_read(const char *path, size_t *len, char *err, size_t errlen);
/* Write text to path via a temporary file and rename, or to stdout when
 * path is NULL or "-". Returns 0, or -1 with err set. */
int file_write(const char *path, const char *text, size_t len, char *err, size_t errlen);

#endif
