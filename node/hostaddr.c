/* hostaddr.c - this host's address inside network.allowed (see hostaddr.h). */
#include "hostaddr.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "common/placement.h"

uint32_t hostaddr_find(const struct scenario *s)
{
    struct ifaddrs *ifs, *i;
    uint32_t best = 0;
    if (getifaddrs(&ifs) < 0)
        return 0;
    for (i = ifs; i; i = i->ifa_next) {
        if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
            continue;
        uint32_t ip = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
        if (!placement_ip_allowed(s, ip))
            continue;
        bool loop = (ip >> 24) == 127;
        if (!best || ((best >> 24) == 127 && !loop))
            best = ip;
    }
    freeifaddrs(ifs);
    return best;
}
