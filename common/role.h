/* role.h - the roles a node can play, one enum for the whole program.
 *
 * The scenario (event targets, network.impair.<class>), the placement (which
 * node is what) and the node host's role table (node/role.h) all index by
 * this enum. The numbering is part of the scenario's in-memory form, which
 * every rank receives as bytes: append new roles before ROLE_COUNT. */
#ifndef BS_ROLE_H
#define BS_ROLE_H

enum role {
    ROLE_PEER = 0,
    ROLE_SUPERNODE,
    ROLE_LOGIN_SERVER,
    ROLE_SERVICE,
    ROLE_FRONT_DOOR,    /* central: a data centre's load balancer */
    ROLE_PRESENCE,      /* central: a presence server */
    ROLE_DHT_BOOTSTRAP, /* dht: a well-known node that fresh nodes ask first */
    ROLE_HEADEND,       /* settop: the cable head-end (image, carousel, registration) */
    ROLE_COUNT
};

/* The role's name in scenario files and results ("login_server"), "?" for
 * a value outside the enum. */
const char *role_name(enum role r);

/* The NULL-terminated table of names, indexed by enum role (for parsers). */
extern const char *const role_names[ROLE_COUNT + 1];

#endif
