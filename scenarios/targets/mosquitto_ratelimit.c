/*
 * mosquitto_ratelimit: a connection-rate limit for mosquitto 2.0 (plugin API
 * version 5), for bootstorm's MQTT target (scenarios/targets/serve mosquitto).
 *
 * mosquitto 2.0.11 has max_connections but no limit on the rate of CONNECTs.
 * This plugin adds one: a token bucket that holds at most `burst` tokens and
 * refills at `rate` tokens per second; each CONNECT takes a token, and a
 * CONNECT that finds the bucket empty is refused. Optionally it also caps the
 * number of clients connected at once (max_clients), counted exactly: the
 * broker's own max_connections drifts in 2.0.11 (see README.md).
 *
 * Options (mosquitto.conf, after the `plugin` line):
 *   plugin_opt_rate R         tokens per second (CONNECTs/s), default 100
 *   plugin_opt_burst B        bucket size, default 100; the bucket starts full
 *   plugin_opt_max_clients N  refuse while N admitted clients are connected
 *                             (0, the default: no cap)
 *   plugin_opt_tls_port P     the port of a TLS listener: refusals there
 *                             close the connection (see below); default none
 *   plugin_opt_refuse MODE    how a refusal looks on the wire:
 *     connack3 (default)  CONNACK return code 3, "server unavailable" (MQTT
 *                         3.1/3.1.1); MQTT 5 gets reason 0x9F "connection rate
 *                         exceeded" (rate) or 0x89 "server busy" (max_clients).
 *                         Then the broker closes the connection.
 *     auth                CONNACK 5, "not authorised" (MQTT 5: 0x87), sent by
 *                         the broker itself.
 *     close               no CONNACK; the broker just closes the connection.
 *
 * Why connack3 writes the CONNACK itself: the only place a plugin can refuse
 * a CONNECT in mosquitto 2.0.11 is the basic-auth hook, and the broker maps
 * its return values to exactly two outcomes (measured, and so reads
 * src/handle_connect.c): MOSQ_ERR_AUTH gives CONNACK 5 and every other error
 * closes the socket without a CONNACK. No return value gives CONNACK 3. So in
 * connack3 mode the plugin sends the 4-byte CONNACK on the client's socket
 * and returns MOSQ_ERR_UNKNOWN, after which the broker closes the socket
 * without sending a CONNACK of its own. The plugin API has no call that gives
 * a client's socket; it is read from the second int of struct mosquitto (the
 * broker built with epoll, as Debian's is: `int ident; mosq_sock_t sock;`),
 * and checked before use: it must be a stream socket whose peer address is
 * the client's address as the broker reports it. If the check fails the
 * refusal falls back to `close` and a warning is logged. This only works on
 * plain (non-TLS) listeners: on a TLS listener the raw bytes would break the
 * TLS stream, so on the listener named by tls_port (the socket's local port)
 * connack3 falls back to `close`.
 *
 * Every refusal is logged at notice level, one line each:
 *   ratelimit: refused client ID from ADDRESS: REASON (ACTION)
 * REASON is `rate` or `max_clients`; ACTION is `connack N` with the code
 * the client was sent (3 or 5; MQTT 5: 159 = 0x9F, 137 = 0x89, 135 = 0x87)
 * or `closed`.
 *
 * Build: cc -shared -fPIC -o mosquitto_ratelimit.so mosquitto_ratelimit.c
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <mosquitto.h>
#include <mosquitto_broker.h>
#include <mosquitto_plugin.h>

enum refuse_mode { REFUSE_CONNACK3, REFUSE_AUTH, REFUSE_CLOSE };

static mosquitto_plugin_id_t *plugin_id;
static double rate = 100.0;  /* tokens per second */
static double burst = 100.0; /* bucket size */
static double tokens;        /* tokens in the bucket now */
static struct timespec last; /* when tokens was last brought up to date */
static long max_clients;     /* 0: no cap */
static long tls_port;        /* 0: no TLS listener */
static enum refuse_mode refuse = REFUSE_CONNACK3;
static int fd_warned;

/* The clients this plugin admitted and that have not disconnected yet: the
 * broker reports a disconnect for every connection, admitted or not. A plain
 * array, searched on disconnect: thousands of entries at most. */
static const struct mosquitto **admitted;
static size_t n_admitted, cap_admitted;

static double seconds_since(const struct timespec *then, const struct timespec *now)
{
    return (double)(now->tv_sec - then->tv_sec) + (double)(now->tv_nsec - then->tv_nsec) / 1e9;
}

/* Adds the tokens earned since the last call, up to the bucket size. */
static void refill(void)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    tokens += seconds_since(&last, &now) * rate;
    if (tokens > burst) {
        tokens = burst;
    }
    last = now;
}

static int admit(const struct mosquitto *client)
{
    if (n_admitted == cap_admitted) {
        size_t cap = cap_admitted ? cap_admitted * 2 : 1024;
        const struct mosquitto **p = realloc(admitted, cap * sizeof(*p));
        if (!p) {
            return -1;
        }
        admitted = p;
        cap_admitted = cap;
    }
    admitted[n_admitted++] = client;
    return 0;
}

static void forget(const struct mosquitto *client)
{
    for (size_t i = n_admitted; i-- > 0;) {
        if (admitted[i] == client) {
            admitted[i] = admitted[--n_admitted];
            return;
        }
    }
}

/* The client's socket, read from the broker's struct mosquitto (see the top
 * of this file) and checked against the address the broker reports; -1 when
 * the check fails. */
static int client_socket(const struct mosquitto *client)
{
    int fd = ((const int *)(const void *)client)[1];
    const char *want = mosquitto_client_address(client);
    struct sockaddr_storage peer;
    socklen_t len = sizeof(peer);
    char got[INET6_ADDRSTRLEN];
    int type = 0;
    socklen_t tlen = sizeof(type);
    const void *addr;

    if (fd < 0 || !want) {
        return -1;
    }
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) != 0 || type != SOCK_STREAM) {
        return -1;
    }
    if (getpeername(fd, (struct sockaddr *)&peer, &len) != 0) {
        return -1;
    }
    if (peer.ss_family == AF_INET) {
        addr = &((struct sockaddr_in *)&peer)->sin_addr;
    } else if (peer.ss_family == AF_INET6) {
        addr = &((struct sockaddr_in6 *)&peer)->sin6_addr;
    } else {
        return -1;
    }
    if (!inet_ntop(peer.ss_family, addr, got, sizeof(got)) || strcmp(got, want) != 0) {
        return -1;
    }
    return fd;
}

/* Sends the refusing CONNACK on the client's socket; its return code (or
 * MQTT 5 reason code) when it went out, -1 when not. */
static int send_connack(const struct mosquitto *client, int over_rate)
{
    unsigned char v311[] = {0x20, 0x02, 0x00, 0x03};
    unsigned char v5[] = {0x20, 0x03, 0x00, 0x9F, 0x00};
    const unsigned char *pkt = v311;
    size_t len = sizeof(v311);
    int fd = client_socket(client);

    if (fd >= 0 && tls_port > 0) {
        struct sockaddr_storage local;
        socklen_t llen = sizeof(local);
        unsigned port = 0;
        if (getsockname(fd, (struct sockaddr *)&local, &llen) == 0) {
            port = local.ss_family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&local)->sin6_port)
                                               : ntohs(((struct sockaddr_in *)&local)->sin_port);
        }
        if (port == (unsigned)tls_port) {
            return -1; /* TLS: no raw CONNACK */
        }
    }
    if (fd < 0) {
        if (!fd_warned) {
            mosquitto_log_printf(
                MOSQ_LOG_WARNING,
                "ratelimit: cannot find the client's socket (not mosquitto 2.0 "
                "with epoll?); refusals close the connection instead of CONNACK 3");
            fd_warned = 1;
        }
        return -1;
    }
    if (mosquitto_client_protocol_version(client) == 5) {
        v5[3] = over_rate ? 0x9F : 0x89;
        pkt = v5;
        len = sizeof(v5);
    }
    /* A few bytes into a new connection's empty send buffer: all or nothing. */
    return send(fd, pkt, len, MSG_NOSIGNAL) == (ssize_t)len ? pkt[3] : -1;
}

static int refuse_client(const struct mosquitto *client, int over_rate)
{
    const char *id = mosquitto_client_id(client);
    const char *addr = mosquitto_client_address(client);
    const char *reason = over_rate ? "rate" : "max_clients";
    int rc = MOSQ_ERR_UNKNOWN; /* the broker closes without a CONNACK */
    char action[24] = "closed";
    int code;

    if (refuse == REFUSE_AUTH) {
        rc = MOSQ_ERR_AUTH; /* the broker sends CONNACK 5 (MQTT 5: 0x87) */
        code = mosquitto_client_protocol_version(client) == 5 ? 0x87 : 5;
        snprintf(action, sizeof(action), "connack %d", code);
    } else if (refuse == REFUSE_CONNACK3 && (code = send_connack(client, over_rate)) >= 0) {
        snprintf(action, sizeof(action), "connack %d", code);
    }
    mosquitto_log_printf(MOSQ_LOG_NOTICE, "ratelimit: refused client %s from %s: %s (%s)",
                         id ? id : "<none>", addr ? addr : "?", reason, action);
    return rc;
}

static int on_basic_auth(int event, void *event_data, void *userdata)
{
    struct mosquitto_evt_basic_auth *ev = event_data;
    (void)event;
    (void)userdata;

    if (max_clients > 0 && n_admitted >= (size_t)max_clients) {
        return refuse_client(ev->client, 0); /* takes no token */
    }
    refill();
    if (tokens < 1.0) {
        return refuse_client(ev->client, 1);
    }
    tokens -= 1.0;
    if (admit(ev->client) != 0) {
        return MOSQ_ERR_NOMEM;
    }
    /* Not MOSQ_ERR_PLUGIN_DEFER: with a plugin in use, 2.0.11 refuses a
     * deferred CONNECT that carries a username (CONNACK 5). This target lets
     * everyone in who is not over the limits. */
    return MOSQ_ERR_SUCCESS;
}

static int on_disconnect(int event, void *event_data, void *userdata)
{
    struct mosquitto_evt_disconnect *ev = event_data;
    (void)event;
    (void)userdata;

    forget(ev->client);
    return MOSQ_ERR_SUCCESS;
}

/* Parses a positive number; 0 when it is not one. */
static double positive(const char *s)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end || !(v > 0)) {
        return 0;
    }
    return v;
}

int mosquitto_plugin_version(int supported_version_count, const int *supported_versions)
{
    for (int i = 0; i < supported_version_count; i++) {
        if (supported_versions[i] == 5) {
            return 5;
        }
    }
    return -1;
}

int mosquitto_plugin_init(mosquitto_plugin_id_t *identifier, void **userdata,
                          struct mosquitto_opt *options, int option_count)
{
    int rc;
    (void)userdata;

    for (int i = 0; i < option_count; i++) {
        const char *k = options[i].key, *v = options[i].value;
        if (!strcmp(k, "rate")) {
            rate = positive(v);
        } else if (!strcmp(k, "burst")) {
            burst = positive(v);
        } else if (!strcmp(k, "max_clients")) {
            max_clients = strtol(v, NULL, 10);
        } else if (!strcmp(k, "tls_port")) {
            tls_port = strtol(v, NULL, 10);
        } else if (!strcmp(k, "refuse")) {
            if (!strcmp(v, "connack3")) {
                refuse = REFUSE_CONNACK3;
            } else if (!strcmp(v, "auth")) {
                refuse = REFUSE_AUTH;
            } else if (!strcmp(v, "close")) {
                refuse = REFUSE_CLOSE;
            } else {
                mosquitto_log_printf(MOSQ_LOG_ERR,
                                     "ratelimit: refuse must be connack3, auth or close");
                return MOSQ_ERR_INVAL;
            }
        } else {
            mosquitto_log_printf(MOSQ_LOG_ERR, "ratelimit: unknown option plugin_opt_%s", k);
            return MOSQ_ERR_INVAL;
        }
    }
    if (rate <= 0 || burst < 1 || max_clients < 0 || tls_port < 0 || tls_port > 65535) {
        mosquitto_log_printf(MOSQ_LOG_ERR,
                             "ratelimit: rate must be > 0, burst >= 1, max_clients >= 0, "
                             "tls_port 0..65535");
        return MOSQ_ERR_INVAL;
    }
    tokens = burst;
    clock_gettime(CLOCK_MONOTONIC, &last);
    plugin_id = identifier;
    rc = mosquitto_callback_register(identifier, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL, NULL);
    if (rc == MOSQ_ERR_SUCCESS) {
        rc =
            mosquitto_callback_register(identifier, MOSQ_EVT_DISCONNECT, on_disconnect, NULL, NULL);
    }
    mosquitto_log_printf(MOSQ_LOG_NOTICE,
                         "ratelimit: rate %g/s burst %g max_clients %ld tls_port %ld refuse %s",
                         rate, burst, max_clients, tls_port,
                         refuse == REFUSE_CONNACK3 ? "connack3"
                         : refuse == REFUSE_AUTH   ? "auth"
                                                   : "close");
    return rc;
}

int mosquitto_plugin_cleanup(void *userdata, struct mosquitto_opt *options, int option_count)
{
    (void)userdata;
    (void)options;
    (void)option_count;

    mosquitto_callback_unregister(plugin_id, MOSQ_EVT_BASIC_AUTH, on_basic_auth, NULL);
    mosquitto_callback_unregister(plugin_id, MOSQ_EVT_DISCONNECT, on_disconnect, NULL);
    free(admitted);
    admitted = NULL;
    n_admitted = cap_admitted = 0;
    return MOSQ_ERR_SUCCESS;
}
