/* role_table.c - the table of roles (see role_table.h). One row per role. */
#include "role_table.h"

#include "dht_bootstrap.h"
#include "front_door.h"
#include "headend.h"
#include "login_server.h"
#include "peer.h"
#include "presence.h"
#include "service.h"
#include "supernode.h"

const struct role_ops *const role_table[ROLE_COUNT] = {
    [ROLE_PEER] = &peer_role,
    [ROLE_SUPERNODE] = &supernode_role,
    [ROLE_LOGIN_SERVER] = &login_server_role,
    [ROLE_SERVICE] = &service_role,
    [ROLE_FRONT_DOOR] = &front_door_role,
    [ROLE_PRESENCE] = &presence_role,
    [ROLE_DHT_BOOTSTRAP] = &dht_bootstrap_role,
    [ROLE_HEADEND] = &headend_role,
};
