/* test_ticket.c - tickets, credentials, and a real supernode refusing a
 * forged or expired ticket over a real socket on 127.0.0.0/8. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "common/clock.h"
#include "common/pki.h"
#include "common/placement.h"
#include "common/scenario.h"
#include "node/host.h"
#include "node/ticket.h"
#include "node/wire.h"

static struct pki pki;

/* The address the test's clients connect from, and their tickets name. */
#define CLIENT_IP 0x7f000001u

static int setup_pki(void **state)
{
    char err[256];
    uint32_t ip = 0x7f090001; /* 127.9.0.1 */
    return pki_generate(&pki, 1, &ip, err, sizeof err);
}

static int teardown_pki(void **state)
{
    pki_free(&pki);
    return 0;
}

static void signed_ticket(struct ticket_keys *k, struct wire_ticket *t, uint64_t user, uint64_t exp)
{
    assert_int_equal(ticket_keys_init(k, pki.ticket_priv, pki.ticket_pub), 0);
    t->user_id = user;
    t->expiry_ms = exp;
    t->addr = CLIENT_IP;
    assert_int_equal(ticket_sign(k, t), 0);
}

static void valid_ticket_verifies(void **state)
{
    struct ticket_keys k;
    struct wire_ticket t;
    signed_ticket(&k, &t, 42, 10000);
    assert_int_equal(ticket_check(&k, &t, 9999, CLIENT_IP), TICKET_VALID);
    ticket_keys_free(&k);
}

static void flipped_signature_bit_is_forged(void **state)
{
    struct ticket_keys k;
    struct wire_ticket t;
    signed_ticket(&k, &t, 42, 10000);
    t.sig[17] ^= 0x01;
    assert_int_equal(ticket_check(&k, &t, 0, CLIENT_IP), TICKET_FORGED);
    ticket_keys_free(&k);
}

static void changed_user_is_forged(void **state)
{
    struct ticket_keys k;
    struct wire_ticket t;
    signed_ticket(&k, &t, 42, 10000);
    t.user_id = 43;
    assert_int_equal(ticket_check(&k, &t, 0, CLIENT_IP), TICKET_FORGED);
    ticket_keys_free(&k);
}

static void extended_expiry_is_forged(void **state)
{
    struct ticket_keys k;
    struct wire_ticket t;
    signed_ticket(&k, &t, 42, 10000);
    t.expiry_ms = 99999999;
    assert_int_equal(ticket_check(&k, &t, 0, CLIENT_IP), TICKET_FORGED);
    ticket_keys_free(&k);
}

static void ticket_from_another_key_is_forged(void **state)
{
    struct pki other;
    char err[256];
    uint32_t ip = 0x7f090001;
    assert_int_equal(pki_generate(&other, 1, &ip, err, sizeof err), 0);
    struct ticket_keys mallory, k;
    assert_int_equal(ticket_keys_init(&mallory, other.ticket_priv, other.ticket_pub), 0);
    assert_int_equal(ticket_keys_init(&k, NULL, pki.ticket_pub), 0);
    struct wire_ticket t = {.user_id = 7, .expiry_ms = 5000};
    assert_int_equal(ticket_sign(&mallory, &t), 0);
    assert_int_equal(ticket_check(&k, &t, 0, CLIENT_IP), TICKET_FORGED);
    ticket_keys_free(&mallory);
    ticket_keys_free(&k);
    pki_free(&other);
}

static void expired_ticket_is_expired(void **state)
{
    struct ticket_keys k;
    struct wire_ticket t;
    signed_ticket(&k, &t, 42, 10000);
    assert_int_equal(ticket_check(&k, &t, 10000, CLIENT_IP), TICKET_EXPIRED);
    assert_int_equal(ticket_check(&k, &t, 20000, CLIENT_IP), TICKET_EXPIRED);
    ticket_keys_free(&k);
}

/* The address is signed with the rest: a ticket is valid only from the
 * address it was issued to, and changing the address breaks the signature. */
static void ticket_is_bound_to_its_address(void **state)
{
    struct ticket_keys k;
    struct wire_ticket t;
    signed_ticket(&k, &t, 42, 10000);
    assert_int_equal(ticket_check(&k, &t, 0, CLIENT_IP), TICKET_VALID);
    assert_int_equal(ticket_check(&k, &t, 0, CLIENT_IP + 1), TICKET_WRONG_ADDRESS);
    /* the address is checked before the expiry: a replay learns nothing more */
    assert_int_equal(ticket_check(&k, &t, 20000, CLIENT_IP + 1), TICKET_WRONG_ADDRESS);
    t.addr = CLIENT_IP + 1; /* rewritten to match the replayer: forged */
    assert_int_equal(ticket_check(&k, &t, 0, CLIENT_IP + 1), TICKET_FORGED);
    ticket_keys_free(&k);
}

static void credential_checks_user_and_secret(void **state)
{
    uint8_t cred[WIRE_SECRET_LEN];
    assert_int_equal(ticket_credential(pki.master, 5, cred), 0);
    assert_true(ticket_credential_ok(pki.master, 5, cred));
    assert_false(ticket_credential_ok(pki.master, 6, cred));
    cred[0] ^= 0x80;
    assert_false(ticket_credential_ok(pki.master, 5, cred));
}

static void pki_survives_pack_and_unpack(void **state)
{
    uint8_t *blob;
    long n = pki_pack(&pki, &blob);
    assert_true(n > 0);
    struct pki copy;
    assert_int_equal(pki_unpack(&copy, blob, (size_t)n), 0);
    assert_string_equal(copy.ca_pem, pki.ca_pem);
    assert_string_equal(copy.ls_cert_pem[0], pki.ls_cert_pem[0]);
    assert_memory_equal(copy.ticket_pub, pki.ticket_pub, PKI_KEY_LEN);
    pki_free(&copy);
    /* every truncation is refused, never read past the end */
    for (long cut = 0; cut < n; cut += 97)
        assert_int_equal(pki_unpack(&copy, blob, (size_t)cut), -1);
    free(blob);
}

/* A rank with no login server gets no private key, no signing key and no
 * master: only the public parts and its own rank secret. A rank with login
 * server 0 gets that server's key, the signing key and the master. */
static void pki_grant_sends_only_what_a_rank_needs(void **state)
{
    static const uint8_t zero[PKI_KEY_LEN];
    struct pki_grant none = {.rank = 3};
    uint8_t *blob;
    long n = pki_pack_for(&pki, &none, &blob);
    assert_true(n > 0);
    struct pki got;
    assert_int_equal(pki_unpack(&got, blob, (size_t)n), 0);
    pki_blob_free(blob, (size_t)n);
    assert_false(got.has_ticket_priv);
    assert_false(got.has_master);
    assert_memory_equal(got.ticket_priv, zero, PKI_KEY_LEN);
    assert_memory_equal(got.master, zero, PKI_KEY_LEN);
    assert_string_equal(got.ls_key_pem[0], "");
    assert_string_equal(got.ls_cert_pem[0], pki.ls_cert_pem[0]);
    assert_memory_equal(got.ticket_pub, pki.ticket_pub, PKI_KEY_LEN);
    assert_string_equal(got.probe_key_pem, pki.probe_key_pem); /* not a secret of anyone's */
    uint8_t want[PKI_KEY_LEN];
    assert_int_equal(pki_rank_secret(pki.master, 3, want), 0);
    assert_memory_equal(got.rank_secret, want, PKI_KEY_LEN);
    /* rank 3's secret makes rank 3's credentials, which rank 4's cannot */
    uint8_t cred[WIRE_SECRET_LEN], other[PKI_KEY_LEN];
    assert_int_equal(ticket_credential(got.rank_secret, 77, cred), 0);
    assert_int_equal(pki_rank_secret(pki.master, 4, other), 0);
    assert_false(ticket_credential_ok(other, 77, cred));
    assert_true(ticket_credential_ok(want, 77, cred));
    pki_free(&got);

    bool ls0 = true;
    struct pki_grant ls = {.ls_key = &ls0, .ticket_priv = true, .master = true, .rank = 1};
    assert_true((n = pki_pack_for(&pki, &ls, &blob)) > 0);
    assert_int_equal(pki_unpack(&got, blob, (size_t)n), 0);
    pki_blob_free(blob, (size_t)n);
    assert_true(got.has_ticket_priv && got.has_master);
    assert_string_equal(got.ls_key_pem[0], pki.ls_key_pem[0]);
    assert_memory_equal(got.master, pki.master, PKI_KEY_LEN);
    pki_free(&got);
}

/* ---- a real supernode ---- */

struct sn_fixture {
    struct scenario scn;
    struct event_base *base;
    struct host host;
};

/* One login server, one supernode, one (idle) peer, all on this process,
 * on 127.9.0.0/24 so no other test's addresses collide. */
static int setup_sn(void **state)
{
    struct sn_fixture *f = calloc(1, sizeof *f);
    char err[512];
    scenario_defaults(&f->scn);
    snprintf(f->scn.name, sizeof f->scn.name, "unit");
    f->scn.duration_ns = 10 * NS_PER_S;
    f->scn.nodes.peers = 1;
    f->scn.nodes.login_servers = 1;
    f->scn.nodes.supernodes = 1;
    f->scn.nodes.bootstrap = 1;
    f->scn.network.base = 0x7f090001;
    f->scn.login_server.port = 24430;
    f->scn.supernode.port = 24431;
    f->base = event_base_new();
    /* t0 = now, so run time is the time since set-up */
    int rc = host_init(&f->host, f->base, &f->scn, &pki, 1, NULL, 0, 0, clock_mono_ns(), err,
                       sizeof err);
    if (rc != 0)
        fprintf(stderr, "host_init: %s\n", err);
    assert_int_equal(rc, 0);
    *state = f;
    return 0;
}

static int teardown_sn(void **state)
{
    struct sn_fixture *f = *state;
    host_destroy(&f->host);
    event_base_free(f->base);
    free(f);
    return 0;
}

static int connect_to_sn(struct sn_fixture *f)
{
    struct sockaddr_in sa = {.sin_family = AF_INET,
                             .sin_port = htons(f->scn.supernode.port),
                             .sin_addr.s_addr = htonl(placement_addr(&f->host.pl, 1))};
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in from = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(CLIENT_IP)};
    assert_int_equal(bind(fd, (struct sockaddr *)&from, sizeof from), 0);
    assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
    return fd;
}

static void send_register(int fd, const struct wire_ticket *t)
{
    struct wire_msg m = {.type = WIRE_REGISTER, .u.ticket = *t};
    uint8_t buf[256];
    int n = wire_encode_payload(&m, buf + 4, sizeof buf - 4);
    assert_true(n > 0);
    uint32_t be = htonl((uint32_t)n);
    memcpy(buf, &be, 4);
    assert_int_equal(write(fd, buf, (size_t)n + 4), n + 4);
}

/* Run the loop until the SN answered (or 5 s pass), then read one frame. */
static void read_reply(struct sn_fixture *f, int fd, struct wire_msg *m)
{
    uint8_t buf[4096];
    size_t have = 0;
    fcntl(fd, F_SETFL, O_NONBLOCK);
    int64_t deadline = clock_mono_ns() + 5 * NS_PER_S;
    while (clock_mono_ns() < deadline) {
        struct timeval tv = {0, 20000};
        event_base_loopexit(f->base, &tv);
        event_base_dispatch(f->base);
        ssize_t n = read(fd, buf + have, sizeof buf - have);
        if (n > 0)
            have += (size_t)n;
        if (have >= 4) {
            uint32_t len;
            memcpy(&len, buf, 4);
            len = ntohl(len);
            if (have >= 4 + len) {
                assert_int_equal(wire_decode_payload(buf + 4, len, m), WIRE_OK);
                return;
            }
        }
    }
    memset(m, 0, sizeof *m); /* fail_msg does not return in cmocka's eyes only */
    fail_msg("the supernode did not answer within 5 s");
}

static void supernode_refuses_forged_ticket(void **state)
{
    struct sn_fixture *f = *state;
    struct ticket_keys k;
    struct wire_ticket t;
    signed_ticket(&k, &t, 2, 3600 * 1000);
    ticket_keys_free(&k);
    t.sig[0] ^= 0xff;
    int fd = connect_to_sn(f);
    send_register(fd, &t);
    struct wire_msg m;
    read_reply(f, fd, &m);
    assert_int_equal(m.type, WIRE_REGISTER_FAIL);
    assert_int_equal(m.u.reason, WIRE_REASON_FORGED_TICKET);
    assert_int_equal(f->host.m.c[C_SN_REFUSED_FORGED], 1);
    assert_int_equal(f->host.m.c[C_SN_REGISTERED], 0);
    assert_int_equal(f->host.m.g[G_SN_CLIENTS], 0);
    close(fd);
}

static void supernode_refuses_expired_ticket(void **state)
{
    struct sn_fixture *f = *state;
    struct ticket_keys k;
    struct wire_ticket t;
    signed_ticket(&k, &t, 2, 0); /* expired at run time 0 */
    ticket_keys_free(&k);
    int fd = connect_to_sn(f);
    send_register(fd, &t);
    struct wire_msg m;
    read_reply(f, fd, &m);
    assert_int_equal(m.type, WIRE_REGISTER_FAIL);
    assert_int_equal(m.u.reason, WIRE_REASON_EXPIRED_TICKET);
    assert_int_equal(f->host.m.c[C_SN_REFUSED_EXPIRED], 1);
    assert_int_equal(f->host.m.c[C_SN_REGISTERED], 0);
    close(fd);
}

static void supernode_accepts_valid_ticket(void **state)
{
    struct sn_fixture *f = *state;
    struct ticket_keys k;
    struct wire_ticket t;
    signed_ticket(&k, &t, 2, 3600 * 1000);
    ticket_keys_free(&k);
    int fd = connect_to_sn(f);
    send_register(fd, &t);
    struct wire_msg m;
    read_reply(f, fd, &m);
    assert_int_equal(m.type, WIRE_REGISTER_OK);
    assert_int_equal(f->host.m.c[C_SN_REGISTERED], 1);
    assert_int_equal(f->host.m.g[G_SN_CLIENTS], 1);
    close(fd);
}

static void supernode_survives_garbage(void **state)
{
    struct sn_fixture *f = *state;
    int fd = connect_to_sn(f);
    /* a hostile length prefix: 4 GiB */
    uint8_t bad[8] = {0xff, 0xff, 0xff, 0xf0, 1, 2, 3, 4};
    assert_int_equal(write(fd, bad, sizeof bad), (ssize_t)sizeof bad);
    for (int i = 0; i < 20 && f->host.m.c[C_MALFORMED] == 0; i++) {
        struct timeval tv = {0, 20000};
        event_base_loopexit(f->base, &tv);
        event_base_dispatch(f->base);
    }
    assert_int_equal(f->host.m.c[C_MALFORMED], 1);
    close(fd);
    /* and it still serves the next client */
    supernode_accepts_valid_ticket(state);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_ticket_verifies),
        cmocka_unit_test(flipped_signature_bit_is_forged),
        cmocka_unit_test(changed_user_is_forged),
        cmocka_unit_test(extended_expiry_is_forged),
        cmocka_unit_test(ticket_from_another_key_is_forged),
        cmocka_unit_test(expired_ticket_is_expired),
        cmocka_unit_test(ticket_is_bound_to_its_address),
        cmocka_unit_test(credential_checks_user_and_secret),
        cmocka_unit_test(pki_survives_pack_and_unpack),
        cmocka_unit_test(pki_grant_sends_only_what_a_rank_needs),
        cmocka_unit_test_setup_teardown(supernode_refuses_forged_ticket, setup_sn, teardown_sn),
        cmocka_unit_test_setup_teardown(supernode_refuses_expired_ticket, setup_sn, teardown_sn),
        cmocka_unit_test_setup_teardown(supernode_accepts_valid_ticket, setup_sn, teardown_sn),
        cmocka_unit_test_setup_teardown(supernode_survives_garbage, setup_sn, teardown_sn),
    };
    return cmocka_run_group_tests(tests, setup_pki, teardown_pki);
}
