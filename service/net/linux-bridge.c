/* Linux bridges, with ip(8) and tc(8) through the runner.
 *
 * Switch:   ip link add B type bridge; ip link set B up
 * Uplink:   ip link set IF master B; ip link set IF up / ip link set IF nomaster
 * NIC port: ip tuntap add dev T mode tap; ip link set T master B; ip link set T up
 *           (a persistent tap that QEMU opens by name: -netdev tap,ifname=T)
 * Limits:   RateLimitIn (to the guest) shapes the tap's egress with tbf;
 *           RateLimitOut (from the guest) redirects the tap's ingress to an
 *           IFB device (T + "i") whose egress tbf shapes it. Shaping rather
 *           than policing: TCP backs off instead of losing packets, and it
 *           needs only tbf, u32, mirred and ifb (no act_police).
 * Removal:  ip link del I; ip link del T (qdiscs go with their devices). */
#include <string.h>

#include "hv/runner.h"
#include "net/net.h"

static bool linux_exists(const char *bridge)
{
    return net_host_interface_status(bridge, NULL) != NET_IF_ABSENT;
}

static bool linux_create(const char *bridge, GError **error)
{
    if (!host_runv(error, "ip", "link", "add", bridge, "type", "bridge"))
        return false;
    if (host_runv(error, "ip", "link", "set", bridge, "up"))
        return true;
    host_runv(NULL, "ip", "link", "del", bridge);
    return false;
}

static bool linux_destroy(const char *bridge, GError **error)
{
    return host_runv(error, "ip", "link", "del", bridge);
}

static bool linux_join(const char *bridge, const char *uplink, GError **error)
{
    if (!host_runv(error, "ip", "link", "set", uplink, "master", bridge))
        return false;
    if (host_runv(error, "ip", "link", "set", uplink, "up"))
        return true;
    host_runv(NULL, "ip", "link", "set", uplink, "nomaster");
    return false;
}

static bool linux_leave(const char *bridge, const char *uplink, GError **error)
{
    /* An uplink that is gone (a removed USB adapter) has nothing to release. */
    if (net_host_interface_status(uplink, NULL) == NET_IF_ABSENT)
        return true;
    return host_runv(error, "ip", "link", "set", uplink, "nomaster");
}

static void linux_port_plan(NetPort *port)
{
    g_free(port->tap);
    g_free(port->shaper);
    port->tap = net_tap_name(port->nic);
    port->shaper = port->rate_out ? net_helper_name(port->nic, 'i') : NULL;
}

static bool tbf(const char *dev, uint64_t rate, GError **error)
{
    g_autofree char *r = g_strdup_printf("%" G_GUINT64_FORMAT "bit", rate);
    g_autofree char *b = g_strdup_printf("%" G_GUINT64_FORMAT, net_burst_bytes(rate));

    return host_runv(error, "tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate", r, "burst", b,
                     "latency", "50ms");
}

static bool linux_port_remove(const NetPort *port, GError **error)
{
    g_autoptr(GError) first = NULL;

    if (port->shaper && net_host_interface_status(port->shaper, NULL) != NET_IF_ABSENT)
        host_runv(&first, "ip", "link", "del", port->shaper);
    if (port->tap && net_host_interface_status(port->tap, NULL) != NET_IF_ABSENT) {
        g_autoptr(GError) e = NULL;
        if (!host_runv(&e, "ip", "link", "del", port->tap) && !first)
            first = g_steal_pointer(&e);
    }
    if (first) {
        g_propagate_error(error, g_steal_pointer(&first));
        return false;
    }
    return true;
}

static bool linux_port_add(const NetPort *port, GError **error)
{
    const char *t = port->tap, *ifb = port->shaper;

    if (!host_runv(error, "ip", "tuntap", "add", "dev", t, "mode", "tap"))
        return false;
    bool ok = host_runv(error, "ip", "link", "set", t, "master", port->bridge) &&
              host_runv(error, "ip", "link", "set", t, "up") &&
              (!port->rate_in || tbf(t, port->rate_in, error));
    if (ok && port->rate_out)
        ok = host_runv(error, "ip", "link", "add", ifb, "type", "ifb") &&
             host_runv(error, "ip", "link", "set", ifb, "up") &&
             host_runv(error, "tc", "qdisc", "add", "dev", t, "handle", "ffff:", "ingress") &&
             host_runv(error, "tc", "filter", "add", "dev", t, "parent", "ffff:", "protocol", "all",
                       "u32", "match", "u32", "0", "0", "action", "mirred", "egress", "redirect",
                       "dev", ifb) &&
             tbf(ifb, port->rate_out, error);
    if (!ok)
        linux_port_remove(port, NULL);
    return ok;
}

const NetBackend net_linux_bridge = {
    .name = "linux-bridge",
    .uses_tap = true,
    .exists = linux_exists,
    .create = linux_create,
    .destroy = linux_destroy,
    .join = linux_join,
    .leave = linux_leave,
    .port_plan = linux_port_plan,
    .port_add = linux_port_add,
    .port_remove = linux_port_remove,
};
