/* test_resume.c - TLS session resumption (peer.login.resume): login servers
 * issue TLS 1.3 session tickets only when the scenario lets peers resume,
 * and every login server of a run accepts the tickets of the others (their
 * ticket keys come from the run's master, pki_tls_ticket_keys). Fake TLS
 * clients on a real event loop (role_harness.h), holding their session the
 * way a peer does (tls_client_resume, tls_client_keep_session). */
#include "role_harness.h"

#include <openssl/rand.h>

#include "node/tls_probe.h"

#define RESUME_SCENARIO(resume)                                                                    \
    "name: resume-test\n"                                                                          \
    "duration: 60s\n"                                                                              \
    "nodes: {peers: 8, login_servers: 2, supernodes: 1}\n"                                         \
    "login_server: {workers: 2, service_time: 1ms}\n"                                              \
    "peer:\n"                                                                                      \
    "  login: {resume: " resume "}\n"

/* Log in at login server `ls`, offering *slot's session if any; the ticket
 * the server issues (if it does) lands in *slot. Returns whether the
 * handshake resumed. */
static bool login_at(struct rh *r, uint32_t ls, SSL_SESSION **slot)
{
    struct rh_client *c = rh_connect_tls(r, rh_ip(r, ls), rh_port(r, ls));
    SSL *ssl = bufferevent_openssl_get_ssl(c->bev);
    assert_non_null(ssl);
    tls_client_keep_session(ssl, slot);
    if (*slot)
        assert_int_equal(SSL_set_session(ssl, *slot), 1);
    RH_RUN_UNTIL(r, c->connected || c->closed, 3000);
    assert_true(c->connected);
    bool reused = SSL_session_reused(ssl) == 1;
    struct wire_msg m = rh_login_req(r, r->pl.first_peer, true);
    rh_send(c, &m);
    RH_RUN_UNTIL(r, c->n_msg >= 1, 3000);
    assert_int_equal(c->msg[0].type, WIRE_LOGIN_OK);
    rh_close(c); /* no close_notify, as a peer's conn_close */
    return reused;
}

static void test_ticket_from_one_login_server_resumes_at_another(void **state)
{
    struct rh *r = *state;
    rh_start(r, RESUME_SCENARIO("ticket"));
    tls_client_resume(r->tls);
    SSL_SESSION *sess = NULL;
    assert_false(login_at(r, 0, &sess)); /* the first login is a full handshake */
    assert_non_null(sess);               /* and brings a ticket */
    assert_true(SSL_SESSION_is_resumable(sess));
    SSL_SESSION *first = sess;
    assert_true(login_at(r, 1, &sess)); /* resumed at the other server */
    assert_non_null(sess);
    assert_ptr_not_equal(sess, first);  /* with a fresh ticket (the old one freed) */
    assert_true(login_at(r, 0, &sess)); /* and that one works at the first again */
    SSL_SESSION_free(sess);
}

static void test_no_ticket_when_peers_do_not_resume(void **state)
{
    struct rh *r = *state;
    rh_start(r, RESUME_SCENARIO("none"));
    tls_client_resume(r->tls); /* a client that would keep one */
    SSL_SESSION *sess = NULL;
    assert_false(login_at(r, 0, &sess));
    assert_false(login_at(r, 1, &sess));
    assert_null(sess); /* the servers issued none */
}

static void test_ticket_keys_are_the_masters(void **state)
{
    (void)state;
    uint8_t m1[PKI_KEY_LEN] = {1}, m2[PKI_KEY_LEN] = {2};
    uint8_t a[PKI_TICKET_KEYS_LEN], b[PKI_TICKET_KEYS_LEN], c[PKI_TICKET_KEYS_LEN];
    assert_int_equal(pki_tls_ticket_keys(m1, a), 0);
    assert_int_equal(pki_tls_ticket_keys(m1, b), 0);
    assert_int_equal(pki_tls_ticket_keys(m2, c), 0);
    assert_memory_equal(a, b, sizeof a);     /* every login server gets the same */
    assert_memory_not_equal(a, c, sizeof a); /* another run's differ */
    /* The three parts (name, HMAC secret, AES key) are not one block repeated. */
    assert_memory_not_equal(a, a + 32, 32);
    assert_memory_not_equal(a + 16, a + 48, 32);
}

/* The handshake probe measures a resumed handshake as well as a full one,
 * for the emulator share of resumed logins. No timing is asserted (a loaded
 * machine), only that each resumes; the costs are printed. */
static void test_probe_measures_resumed_handshake(void **state)
{
    struct rh *r = *state;
    rh_start(r, RESUME_SCENARIO("ticket"));
    char err[256] = "";
    SSL_CTX *server = tls_server_ctx(r->pki.probe_cert_pem, r->pki.probe_key_pem, err, sizeof err);
    assert_non_null(server);
    uint8_t keys[80];
    assert_int_equal(RAND_bytes(keys, sizeof keys), 1);
    struct tls_probe_result full, res;
    /* Without tickets there is nothing to resume: an error, not a full
     * handshake passed off as a resumed one. */
    assert_int_equal(tls_probe_resumed(r->tls, server, PKI_PROBE_IP, 1, &res, err, sizeof err), -1);
    assert_int_equal(tls_server_tickets(server, keys), 0);
    assert_int_equal(tls_probe_handshakes(r->tls, server, PKI_PROBE_IP, 16, &full, err, sizeof err),
                     0);
    assert_int_equal(tls_probe_resumed(r->tls, server, PKI_PROBE_IP, 16, &res, err, sizeof err), 0);
    assert_int_equal(res.handshakes, 16);
    assert_true(res.client_cpu_ns > 0 && res.server_cpu_ns > 0);
    print_message("full handshake: client %.0f us, server %.0f us; resumed: client %.0f us, "
                  "server %.0f us\n",
                  full.client_cpu_ns / 1e3, full.server_cpu_ns / 1e3, res.client_cpu_ns / 1e3,
                  res.server_cpu_ns / 1e3);
    SSL_CTX_free(server);
}

/* A host whose peers resume measures both costs at start. */
static void test_host_measures_resumed_cost(void **state)
{
    struct rh *r = *state;
    rh_start(r, RESUME_SCENARIO("ticket"));
    assert_true(r->h.client_hs_cpu_ns > 0);
    assert_true(r->h.client_resumed_hs_cpu_ns > 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, rh_setup, rh_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_ticket_from_one_login_server_resumes_at_another),
        T(test_no_ticket_when_peers_do_not_resume),
        T(test_ticket_keys_are_the_masters),
        T(test_probe_measures_resumed_handshake),
        T(test_host_measures_resumed_cost),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
