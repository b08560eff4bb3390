/* role_table.h - every role the node host can run, as one table of operations.
 *
 * The host never switches on a role: it creates, destroys and faults nodes
 * through role_table[role], in the manner of an event loop calling the
 * handler stored with each event. A role module (node/peer.c,
 * node/supernode.c, ...) exports one `const struct role_ops`; adding a role
 * means a new module, a row in role_table.c, its scenario keys and its docs
 * (docs/architecture.md, "How to add a role").
 *
 * A node is an opaque pointer owned by its role. Optional operations are
 * NULL: a fault event aimed at a role that lacks the action selects its
 * nodes but does nothing to them (the scenario loader refuses most such
 * events up front). */
#ifndef BS_ROLE_TABLE_H
#define BS_ROLE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/role.h"

struct host;
struct scn_event;

struct role_ops {
    enum role role;
    /* Create node `id`, which the placement puts on this rank, in its
     * initial state (servers listening, peers off). NULL with err set. */
    void *(*create)(struct host *h, uint32_t id, char *err, size_t errlen);
    void (*destroy)(void *node);
    uint32_t (*id)(const void *node);

    /* Fault actions (node/faults.c). Each returns whether the node was
     * affected, and is idempotent: booting a node that is up does nothing. */
    bool (*boot)(void *node);    /* power on a node that is off */
    bool (*reboot)(void *node);  /* down, then boot again */
    bool (*crash)(void *node);   /* down, and stays down */
    bool (*restore)(void *node); /* back up after an outage */
    /* Which nodes a crash event may pick from; NULL: all of the role's nodes
     * (a supernode crash picks among the SNs that are up). */
    bool (*crash_candidate)(const void *node);
    /* A capacity event: new workers, service time or queue. */
    void (*reconfigure)(void *node, const struct scn_event *ev);
    /* A stall event: queue requests but start none for for_ns (cap_stall). */
    void (*stall)(void *node, int64_t for_ns);
    /* An event kind that belongs to this role alone (inject_supernodes).
     * Returns how many local nodes it touched, or -1 when the kind is not
     * this role's. */
    int64_t (*fire)(struct host *h, uint32_t idx, const struct scn_event *ev);
};

/* Indexed by enum role; every entry is non-NULL. */
extern const struct role_ops *const role_table[ROLE_COUNT];

#endif
