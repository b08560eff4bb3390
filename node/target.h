/* target.h - a peer's client for a real server (architecture: target,
 * docs/targets.md).
 *
 * The peer (node/peer.c) keeps its states, timer, retry policies, budgets
 * and login counters as with an emulated login server; this module speaks
 * the target's protocol on the peer's one connection:
 *
 *   https  connect, TLS (target.tls), the login request (node/http1.h);
 *          then, with target.https.presence, a presence request on the
 *          same connection every interval, online while they succeed;
 *          without it the connection is closed and the peer stays online
 *   mqtt   connect (TLS optional), CONNECT -> CONNACK (node/mqtt.h); then
 *          SUBSCRIBE once, PINGREQ every keepalive, PUBLISH every interval
 *
 * Each outcome goes back to the peer: peer_target_online (the login worked),
 * peer_target_failed (it did not: why, and a Retry-After hint), or
 * peer_target_lost (an online peer's connection or presence failed). */
#ifndef BS_TARGET_H
#define BS_TARGET_H

struct host;
struct peer;
struct target_client;

struct target_client *target_client_new(struct host *h, struct peer *p);
void target_client_free(struct target_client *t);

/* Open the connection; the login goes out once it is up. Returns 0, or -1
 * when no connection could be started (counted in socket_errors). */
int target_login(struct target_client *t);
/* Close the connection and stop the client's timers (reboot, failure). */
void target_close(struct target_client *t);

#endif
