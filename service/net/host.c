/* The host's network interfaces, as uplink candidates.
 *
 * An uplink must be able to join a bridge: an Ethernet-like interface
 * (physical, VLAN, bond, veth, dummy, epair ...), not loopback, not a bridge
 * or a tap (the daemon's own or anyone's; also no IFB), not wireless (a
 * station cannot be bridged). Whether it is a port of a bridge or bond
 * already is reported, for the caller to judge (core/network.c knows which
 * bridges are the daemon's). Linux reads /sys/class/net; other systems ask
 * getifaddrs(3) for link-level addresses (FreeBSD: IFT_ETHER and
 * IFT_L2VLAN; bridges are IFT_BRIDGE; taps are named tapN, vmnetN or the
 * daemon's own). */
#include "net/net.h"

#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#ifndef __linux__
#include <ifaddrs.h>
#include <net/if_dl.h>
#include <net/if_types.h>
#include <sys/socket.h>
#endif

static NetIfProbe host_probe;

void net_host_probe_set(NetIfProbe probe)
{
    host_probe = probe;
}

static bool plausible_name(const char *name)
{
    size_t len = strlen(name);

    return len > 0 && len < IFNAMSIZ && !strchr(name, '/') && strcmp(name, ".") != 0 &&
           strcmp(name, "..") != 0;
}

#ifdef __linux__

static bool sys_exists(const char *name, const char *entry)
{
    g_autofree char *path = g_build_filename("/sys/class/net", name, entry, NULL);
    return g_file_test(path, G_FILE_TEST_EXISTS);
}

static NetIfStatus probe_host(const char *name, char **master)
{
    g_autofree char *type_path = g_build_filename("/sys/class/net", name, "type", NULL);
    g_autofree char *type = NULL;

    if (!plausible_name(name) || !sys_exists(name, NULL))
        return NET_IF_ABSENT;
    if (!g_file_get_contents(type_path, &type, NULL, NULL) || atoi(type) != 1 /* ARPHRD_ETHER */)
        return NET_IF_PRESENT;
    if (net_name_is_port(name) || g_str_has_prefix(name, "ifb") || sys_exists(name, "bridge") ||
        sys_exists(name, "tun_flags") || sys_exists(name, "wireless") ||
        sys_exists(name, "phy80211"))
        return NET_IF_PRESENT;
    if (master) {
        g_autofree char *master_link = g_build_filename("/sys/class/net", name, "master", NULL);
        g_autofree char *target = g_file_read_link(master_link, NULL);
        *master = target ? g_path_get_basename(target) : NULL;
    }
    return NET_IF_UPLINK;
}

GPtrArray *net_host_interface_names(void)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) dir = g_dir_open("/sys/class/net", 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir)))
        g_ptr_array_add(names, g_strdup(name));
    return names;
}

#else

/* The link-level entry of name, or none. */
static NetIfStatus probe_host(const char *name, char **master)
{
    struct ifaddrs *all = NULL;
    NetIfStatus status = NET_IF_ABSENT;

    if (master)
        *master = NULL; /* if_bridge members are not told here */
    if (!plausible_name(name) || if_nametoindex(name) == 0)
        return NET_IF_ABSENT;
    status = NET_IF_PRESENT;
    if (getifaddrs(&all) < 0)
        return status;
    for (struct ifaddrs *a = all; a; a = a->ifa_next) {
        if (!a->ifa_addr || a->ifa_addr->sa_family != AF_LINK || strcmp(a->ifa_name, name) != 0)
            continue;
        const struct sockaddr_dl *sdl = (const struct sockaddr_dl *)a->ifa_addr;
        bool ether = sdl->sdl_type == IFT_ETHER || sdl->sdl_type == IFT_L2VLAN;
        bool tap = g_str_has_prefix(name, "tap") || g_str_has_prefix(name, "vmnet");
        if (ether && !tap && !(a->ifa_flags & IFF_LOOPBACK) && !net_name_is_port(name))
            status = NET_IF_UPLINK;
        break;
    }
    freeifaddrs(all);
    return status;
}

GPtrArray *net_host_interface_names(void)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    struct if_nameindex *all = if_nameindex();

    for (struct if_nameindex *i = all; i && i->if_index != 0; i++)
        g_ptr_array_add(names, g_strdup(i->if_name));
    if (all)
        if_freenameindex(all);
    return names;
}

#endif

NetIfStatus net_host_interface_status(const char *name, char **master)
{
    if (master)
        *master = NULL;
    return host_probe ? host_probe(name, master) : probe_host(name, master);
}
