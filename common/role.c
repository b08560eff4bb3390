/* role.c - role names (see role.h). */
#include "role.h"

const char *const role_names[ROLE_COUNT + 1] = {
    [ROLE_PEER] = "peer",
    [ROLE_SUPERNODE] = "supernode",
    [ROLE_LOGIN_SERVER] = "login_server",
    [ROLE_SERVICE] = "service",
    [ROLE_FRONT_DOOR] = "front_door",
    [ROLE_PRESENCE] = "presence",
    [ROLE_DHT_BOOTSTRAP] = "dht_bootstrap",
    [ROLE_HEADEND] = "headend",
    [ROLE_COUNT] = 0,
};

const char *role_name(enum role r)
{
    return (unsigned)r < ROLE_COUNT ? role_names[r] : "?";
}
