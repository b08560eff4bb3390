/* scenario_target.c - the rules of architecture: target (docs/targets.md):
 * the peers log in to a real server, so no server is emulated and their keys
 * are refused; target.host is resolved once, here, and the address held to
 * network.allowed before anything starts (the safety interlock); the
 * requests, topics and timers are checked so that a bad field is an error
 * with its key, never a malformed request on the wire. */
#include "scenario_internal.h"

#include "placement.h"
#include "scenario_values.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define T(m) OFF(target.m)

/* Keys of the emulated servers and of the steady workload, which a target
 * replaces (its presence, keepalive and publish keys). */
static int refuse_server_keys(struct scn_ctx *c)
{
    static const char *const keys[][3] = {
        {"login_server", NULL, NULL},
        {"nodes", "login_servers", NULL},
        {"nodes", "services", NULL},
        {"service", NULL, NULL},
        {"peer", "register", NULL},
        {"workload", NULL, NULL},
        {"network", "impair", "login_server"},
        {"network", "impair", "service"},
    };
    char key[64];
    const struct tnode *k = scn_first_set(c, keys, sizeof keys / sizeof keys[0], key, sizeof key);
    if (k)
        return scn_fail(c, k,
                        "%s: not used with architecture: target (no server is emulated: the "
                        "peers log in to target.host, and target.https.presence or "
                        "target.mqtt's keepalive and publish are their steady traffic); remove it",
                        key);
    struct scenario *s = c->s;
    s->nodes.login_servers = 0;
    s->nodes.services = 0;
    s->nodes.supernodes = 0;
    s->nodes.bootstrap = 0;
    return 0;
}

/* A DNS name (letters, digits, hyphens, dots; labels of 1 to 63) or an
 * IPv4 literal. */
static bool host_name_ok(const char *h)
{
    size_t label = 0, n = strlen(h);
    if (n == 0 || n > 253)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = h[i];
        if (ch == '.') {
            if (label == 0)
                return false;
            label = 0;
        } else if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || scnv_is_digit(ch) ||
                   ch == '-' || ch == '_') {
            if (++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return true;
}

/* Where the peers connect: target.address, else target.host as an IPv4
 * literal, else the host's first IPv4 address; then the interlock. */
static int check_address(struct scn_ctx *c)
{
    struct scenario *s = c->s;
    struct scn_target *t = &s->target;
    const struct tnode *khost = scn_first_of(c, T(host), T(host));
    const struct tnode *kaddr = scn_seen_node(c, T(address));
    char a[16], nets[SCN_NETS_TEXT];

    if (!host_name_ok(t->host))
        return scn_fail(c, khost,
                        "target.host: expected a host name (letters, digits, - and .) or an "
                        "IPv4 address, got '%.80s'",
                        t->host);
    struct in_addr in;
    if (kaddr) {
        ; /* given: the host name is only for SNI, Host and the certificate */
    } else if (inet_pton(AF_INET, t->host, &in) == 1) {
        t->address = ntohl(in.s_addr);
    } else {
        struct addrinfo hints = {.ai_family = AF_INET, .ai_socktype = SOCK_STREAM}, *res = NULL;
        int rc = getaddrinfo(t->host, NULL, &hints, &res);
        if (rc != 0 || !res)
            return scn_fail(c, khost,
                            "target.host: cannot resolve '%.80s' to an IPv4 address (%s); set "
                            "target.address",
                            t->host, rc ? gai_strerror(rc) : "no address");
        t->address = ntohl(((const struct sockaddr_in *)res->ai_addr)->sin_addr.s_addr);
        freeaddrinfo(res);
    }
    scnv_format_ipv4(t->address, a, sizeof a);
    const struct tnode *at = kaddr ? kaddr : khost;
    if (t->address == 0 || t->address == 0xffffffffu)
        return scn_fail(c, at, "target.address: %s is not a server's address", a);
    if (!placement_ip_allowed(s, t->address)) {
        scn_format_allowed(s, nets, sizeof nets);
        return scn_fail(c, at,
                        "target.address: %s (target.host %.80s) is outside network.allowed "
                        "[%s]; bootstorm sends no traffic outside the run's allowed networks: "
                        "if you own this server, add its network to network.allowed "
                        "(docs/targets.md)",
                        a, t->host, nets);
    }
    bool loopback = (t->address >> 24) == 127;
    if (s->network.mode == NET_LOOPBACK && !loopback)
        return scn_fail(c, scn_first_of(c, OFF(network.mode), T(address)),
                        "network.mode: loopback gives the peers 127.x addresses, which cannot "
                        "reach target.address %s; set network.mode: host (docs/targets.md)",
                        a);
    return 0;
}

/* An HTTP method is a token; a path starts with / and holds no space. */
static int check_request(struct scn_ctx *c, const struct scn_http_request *r, size_t off,
                         const char *key)
{
    size_t o_method = off + offsetof(struct scn_http_request, method);
    size_t o_path = off + offsetof(struct scn_http_request, path);
    bool ok = r->method[0] != '\0';
    for (const char *p = r->method; *p; p++)
        ok = ok && ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '-' || *p == '_');
    if (!ok)
        return scn_fail(c, scn_first_of(c, o_method, o_method),
                        "%s.method: expected an HTTP method like GET or POST, got '%.40s'", key,
                        r->method);
    ok = r->path[0] == '/';
    for (const char *p = r->path; *p; p++)
        ok = ok && *p != ' ' && (unsigned char)*p < 0x80;
    if (!ok)
        return scn_fail(c, scn_first_of(c, o_path, o_path),
                        "%s.path: expected a path starting with / with no spaces (percent-encode "
                        "them), got '%.80s'",
                        key, r->path);
    return 0;
}

static int check_https(struct scn_ctx *c)
{
    struct scenario *s = c->s;
    struct scn_target *t = &s->target;
    const struct tnode *k = scn_path_key(c, "target", "mqtt", NULL);
    if (k)
        return scn_fail(c, k, "target.mqtt: only used with target.protocol: mqtt; remove it");
    k = scn_seen_node(c, T(tls));
    if (k && !t->tls)
        return scn_fail(c, k,
                        "target.tls.enabled: https is always over TLS; remove it or set true");
    t->tls = true;
    if (check_request(c, &t->https.login, T(https.login), "target.https.login") < 0)
        return -1;
    if (t->https.presence.interval_ns > 0 &&
        check_request(c, &t->https.presence, T(https.presence), "target.https.presence") < 0)
        return -1;
    if (t->port == 0)
        t->port = 443;
    return 0;
}

/* An MQTT topic name to publish to has no wildcard; a filter may have + as
 * a whole level and # as the whole last level (MQTT 3.1.1, 4.7). */
static bool topic_ok(const char *topic, bool filter)
{
    if (!*topic)
        return false;
    for (const char *p = topic; *p; p++) {
        if (*p != '+' && *p != '#')
            continue;
        if (!filter)
            return false;
        bool starts = p == topic || p[-1] == '/';
        if (*p == '+' && !(starts && (p[1] == '\0' || p[1] == '/')))
            return false;
        if (*p == '#' && !(starts && p[1] == '\0'))
            return false;
    }
    return true;
}

static int check_mqtt(struct scn_ctx *c)
{
    struct scenario *s = c->s;
    struct scn_target *t = &s->target;
    struct scn_target_mqtt *m = &t->mqtt;
    const struct tnode *k = scn_path_key(c, "target", "https", NULL);
    if (k)
        return scn_fail(c, k, "target.https: only used with target.protocol: https; remove it");
    int64_t ka = m->keepalive_ns;
    if (ka % (1000 * MS) != 0 || ka / (1000 * MS) > 65535)
        return scn_fail(c, scn_first_of(c, T(mqtt.keepalive_ns), T(mqtt.keepalive_ns)),
                        "target.mqtt.keepalive: whole seconds from 0s to 65535s (MQTT's "
                        "keepalive field), got %lld ms",
                        (long long)(ka / MS));
    if (!m->client_id[0] && !m->clean_session)
        return scn_fail(c, scn_first_of(c, T(mqtt.client_id), T(mqtt.clean_session)),
                        "target.mqtt.client_id: empty needs clean_session: true (a server keeps "
                        "no session for a client without an id, MQTT 3.1.3.1)");
    if (m->password[0] && !m->username[0])
        return scn_fail(c, scn_first_of(c, T(mqtt.password), T(mqtt.password)),
                        "target.mqtt.password: needs target.mqtt.username (MQTT 3.1.2.9)");
    if (m->subscribe_topic[0] && !topic_ok(m->subscribe_topic, true))
        return scn_fail(c, scn_first_of(c, T(mqtt.subscribe_topic), T(mqtt.subscribe_topic)),
                        "target.mqtt.subscribe.topic: '%.80s' is not a topic filter (+ is a "
                        "whole level, # the whole last level)",
                        m->subscribe_topic);
    if (m->publish_topic[0] && !topic_ok(m->publish_topic, false))
        return scn_fail(c, scn_first_of(c, T(mqtt.publish_topic), T(mqtt.publish_topic)),
                        "target.mqtt.publish.topic: '%.80s' must not hold a wildcard (+ or #)",
                        m->publish_topic);
    if (t->port == 0)
        t->port = t->tls ? 8883 : 1883;
    if (s->peer.resume == RESUME_TICKET && !t->tls)
        return scn_fail(c, scn_first_of(c, OFF(peer.resume), OFF(peer.resume)),
                        "peer.login.resume: ticket needs TLS: set target.tls.enabled: true");
    return 0;
}

int scn_check_target(struct scn_ctx *c)
{
    struct scenario *s = c->s;
    static const char *const required[][2] = {{"protocol", "https or mqtt"},
                                              {"host", "the server's name or IPv4 address"}};
    for (size_t i = 0; i < 2; i++)
        if (!scn_path_key(c, "target", required[i][0], NULL))
            return scn_fail(c, scn_first_of(c, OFF(architecture), OFF(architecture)),
                            "target.%s: required with architecture: target (%s)", required[i][0],
                            required[i][1]);
    if (refuse_server_keys(c) < 0)
        return -1;
    if (s->target.protocol == TARGET_HTTPS ? check_https(c) < 0 : check_mqtt(c) < 0)
        return -1;
    if (!s->target.tls) {
        static const char *const tls_keys[][3] = {{"target", "tls", "ca_file"},
                                                  {"target", "tls", "verify"}};
        char key[64];
        const struct tnode *k = scn_first_set(c, tls_keys, 2, key, sizeof key);
        if (k)
            return scn_fail(c, k, "%s: only used with TLS: set target.tls.enabled: true", key);
    }
    return check_address(c);
}
