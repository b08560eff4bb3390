/* presence.c - see presence.h. */
#include "presence.h"

#include <stdio.h>

static void *op_create(struct host *h, uint32_t id, char *err, size_t errlen)
{
    (void)h;
    snprintf(err, errlen, "node %u: the presence role is not built yet", id);
    return NULL;
}

static void op_destroy(void *node)
{
    (void)node;
}

static uint32_t op_id(const void *node)
{
    (void)node;
    return 0;
}

const struct role_ops presence_role = {
    .role = ROLE_PRESENCE,
    .create = op_create,
    .destroy = op_destroy,
    .id = op_id,
};
