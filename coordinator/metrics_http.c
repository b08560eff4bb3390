/* metrics_http.c - the live metrics endpoint (see metrics_http.h). */
#include "metrics_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>

#include "common/openmetrics.h"

/* A client that sends nothing, or reads nothing of its answer, for this
 * long is dropped. */
#define IDLE_TIMEOUT_S 10
#define MAX_HEADERS 8192 /* bytes of request headers */

struct metrics_http {
    struct evhttp *http;
    metrics_http_source src;
    void *arg;
};

/* A decimal number of at most max with no sign and no leading zero, at
 * *p up to a character in stop (or the end). */
static int decimal(const char **p, const char *stop, unsigned long max, unsigned long *out)
{
    const char *s = *p;
    unsigned long v = 0;
    size_t n = 0;
    while (s[n] >= '0' && s[n] <= '9') {
        v = v * 10 + (unsigned long)(s[n] - '0');
        if (v > max || ++n > 5)
            return -1;
    }
    if (n == 0 || (n > 1 && s[0] == '0') || (s[n] && !strchr(stop, s[n])))
        return -1;
    *out = v;
    *p = s + n;
    return 0;
}

int metrics_listen_parse(const char *text, struct sockaddr_in *out, char *err, size_t len)
{
    const char *p = text;
    unsigned long oct[4], port = 0;
    memset(out, 0, sizeof *out);
    for (int i = 0; i < 4; i++) {
        if (decimal(&p, i < 3 ? "." : ":", 255, &oct[i]) < 0 || !*p) {
            snprintf(err, len,
                     "'%s' is not IPV4:PORT (four decimal numbers 0-255 separated by dots, a "
                     "colon, a port; e.g. 127.0.0.1:9464; no host names, no IPv6)",
                     text);
            return -1;
        }
        p++; /* the dot, or the colon */
    }
    if (decimal(&p, "", 65535, &port) < 0 || port == 0) {
        snprintf(err, len, "'%s': the port should be a number from 1 to 65535", text);
        return -1;
    }
    out->sin_family = AF_INET;
    out->sin_port = htons((uint16_t)port);
    out->sin_addr.s_addr = htonl((uint32_t)(oct[0] << 24 | oct[1] << 16 | oct[2] << 8 | oct[3]));
    return 0;
}

int metrics_listen_open(const struct sockaddr_in *a, char *err, size_t len)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
        bind(fd, (const struct sockaddr *)a, sizeof *a) < 0 || listen(fd, 64) < 0) {
        snprintf(err, len, "%s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

static void reply_text(struct evhttp_request *req, int code, const char *reason, const char *text)
{
    struct evbuffer *body = evhttp_request_get_output_buffer(req);
    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
                      "text/plain; charset=utf-8");
    evbuffer_add(body, text, strlen(text));
    evhttp_send_reply(req, code, reason, NULL);
}

static void on_request(struct evhttp_request *req, void *arg)
{
    struct metrics_http *m = arg;
    const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
    const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
    if (!path || strcmp(path, "/metrics") != 0) {
        reply_text(req, HTTP_NOTFOUND, "Not Found", "not found: the metrics are at /metrics\n");
        return;
    }
    const char *accept = evhttp_find_header(evhttp_request_get_input_headers(req), "Accept");
    enum om_format f = om_accepts_openmetrics(accept) ? OM_OPENMETRICS : OM_PROMETHEUS;
    const struct om_run *run = m->src(m->arg);
    struct om_buf text = {0};
    if (!run || om_write(&text, f, run, 1) < 0) {
        om_buf_free(&text);
        reply_text(req, HTTP_INTERNAL, "Internal Server Error", "out of memory\n");
        return;
    }
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type",
                      f == OM_OPENMETRICS ? OM_CONTENT_TYPE_OPENMETRICS
                                          : OM_CONTENT_TYPE_PROMETHEUS);
    evhttp_add_header(h, "Cache-Control", "no-store");
    evbuffer_add(evhttp_request_get_output_buffer(req), text.s, text.len);
    om_buf_free(&text);
    evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

struct metrics_http *metrics_http_new(struct event_base *base, int fd, metrics_http_source src,
                                      void *arg)
{
    struct metrics_http *m = calloc(1, sizeof *m);
    if (m)
        m->http = evhttp_new(base);
    if (!m || !m->http || !evhttp_accept_socket_with_handle(m->http, fd)) {
        if (m && m->http)
            evhttp_free(m->http);
        free(m);
        close(fd);
        return NULL;
    }
    /* Only host ranks ignore SIGPIPE (node/host.c); a scraper that hangs
     * up must not end the coordinator. */
    signal(SIGPIPE, SIG_IGN);
    m->src = src;
    m->arg = arg;
    evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_HEAD);
    evhttp_set_timeout(m->http, IDLE_TIMEOUT_S);
    evhttp_set_max_headers_size(m->http, MAX_HEADERS);
    evhttp_set_max_body_size(m->http, 0);
    evhttp_set_gencb(m->http, on_request, m);
    return m;
}

void metrics_http_free(struct metrics_http *m)
{
    if (!m)
        return;
    evhttp_free(m->http);
    free(m);
}
