/* metrics_http.h - `bootstorm run --metrics-listen IPV4:PORT`: the
 * coordinator's live metrics over HTTP (docs/metrics.md).
 *
 * GET /metrics answers with the run's metrics as of the latest complete
 * interval, formatted by common/openmetrics.h: OpenMetrics 1.0.0 when the
 * Accept header asks for it (Prometheus does), else the classic Prometheus
 * text format 0.0.4. Any other path is 404. The server is libevent's evhttp
 * on the coordinator's own event loop: it never blocks (a request is
 * answered from memory at once; a client that does not read its answer is
 * dropped after a timeout, its unsent bytes buffered meanwhile).
 *
 * The socket is bound before the run starts (rank 0's start-up), so that
 * an address in use is an error before anything runs; it is served from
 * the start of the event loop until the loop ends, then closed. */
#ifndef BS_METRICS_HTTP_H
#define BS_METRICS_HTTP_H

#include <netinet/in.h>
#include <stddef.h>

struct event_base;
struct om_run;
struct metrics_http;

/* The metrics to serve, as of now (called once per request). */
typedef const struct om_run *(*metrics_http_source)(void *arg);

/* Parse "A.B.C.D:PORT": four decimal octets 0-255 (no leading zeros), a
 * decimal port 1-65535, nothing else (no host name, no IPv6). Returns 0,
 * or -1 with err saying what is wrong (the caller names the option). */
int metrics_listen_parse(const char *text, struct sockaddr_in *out, char *err, size_t len);

/* A non-blocking TCP socket listening on *a (SO_REUSEADDR, close on exec).
 * Returns its fd, or -1 with err ("Address already in use", ...). */
int metrics_listen_open(const struct sockaddr_in *a, char *err, size_t len);

/* Serve fd (taken over: closed by metrics_http_free, or at once on
 * failure) on base. NULL when out of memory. */
struct metrics_http *metrics_http_new(struct event_base *base, int fd, metrics_http_source src,
                                      void *arg);

/* Stop serving: the listening socket and every open connection closed. */
void metrics_http_free(struct metrics_http *m);

#endif
