/* FreeBSD if_bridge switches, with ifconfig(8) through the runner; the
 * sequences of vm-bhyve's "standard" switches (shared/reference/bhyve/
 * NOTES.md, section 4), with the daemon's own names and group.
 *
 * Switch:   ifconfig bridge create name B group cirrina up / ifconfig B destroy
 * Uplink:   ifconfig B addm IF; ifconfig IF up / ifconfig B deletem IF
 * NIC port: ifconfig tap create name T; ifconfig B addm T; ifconfig T up
 *           / ifconfig T destroy (bhyve opens T: backend=T)
 * Limits:   an ng_pipe node P (T + "p") between the tap's ng_ether hooks:
 *           the tap's "lower" (the guest's side) to the pipe's "lower", the
 *           pipe's "upper" to the tap's "upper" (the bridge's side), so
 *           ng_pipe's downstream (upper to lower) is RateLimitIn and its
 *           upstream RateLimitOut; bandwidth in bits per second, as ours.
 *           Needs ng_ether (kldload -n ng_ether). */
#include <string.h>

#include "hv/runner.h"
#include "net/net.h"

static bool ifb_exists(const char *bridge)
{
    return net_host_interface_status(bridge, NULL) != NET_IF_ABSENT;
}

static bool ifb_create(const char *bridge, GError **error)
{
    return host_runv(error, "ifconfig", "bridge", "create", "name", bridge, "group", "cirrina",
                     "up");
}

static bool ifb_destroy(const char *bridge, GError **error)
{
    return host_runv(error, "ifconfig", bridge, "destroy");
}

static bool ifb_join(const char *bridge, const char *uplink, GError **error)
{
    if (!host_runv(error, "ifconfig", bridge, "addm", uplink))
        return false;
    if (host_runv(error, "ifconfig", uplink, "up"))
        return true;
    host_runv(NULL, "ifconfig", bridge, "deletem", uplink);
    return false;
}

static bool ifb_leave(const char *bridge, const char *uplink, GError **error)
{
    if (net_host_interface_status(uplink, NULL) == NET_IF_ABSENT)
        return true;
    return host_runv(error, "ifconfig", bridge, "deletem", uplink);
}

static void ifb_port_plan(NetPort *port)
{
    g_free(port->tap);
    g_free(port->shaper);
    port->tap = net_tap_name(port->nic);
    port->shaper = port->rate_in || port->rate_out ? net_helper_name(port->nic, 'p') : NULL;
}

static bool ifb_port_remove(const NetPort *port, GError **error)
{
    g_autoptr(GError) first = NULL;

    if (port->shaper) {
        g_autofree char *node = g_strconcat(port->shaper, ":", NULL);
        host_runv(&first, "ngctl", "shutdown", node);
    }
    if (net_host_interface_status(port->tap, NULL) != NET_IF_ABSENT) {
        g_autoptr(GError) e = NULL;
        if (!host_runv(&e, "ifconfig", port->tap, "destroy") && !first)
            first = g_steal_pointer(&e);
    }
    if (first) {
        g_propagate_error(error, g_steal_pointer(&first));
        return false;
    }
    return true;
}

static bool ifb_port_add(const NetPort *port, GError **error)
{
    const char *t = port->tap;

    if (!host_runv(error, "ifconfig", "tap", "create", "name", t))
        return false;
    bool ok = host_runv(error, "ifconfig", port->bridge, "addm", t) &&
              host_runv(error, "ifconfig", t, "up");
    if (ok && port->shaper) {
        g_autofree char *tap_node = g_strconcat(t, ":", NULL);
        g_autofree char *tap_lower = g_strconcat(t, ":lower", NULL);
        g_autofree char *pipe_node = g_strconcat(port->shaper, ":", NULL);
        g_autofree char *config = net_pipe_config(port);
        ok = host_runv(error, "kldload", "-n", "ng_ether") &&
             host_runv(error, "ngctl", "mkpeer", tap_node, "pipe", "lower", "lower") &&
             host_runv(error, "ngctl", "name", tap_lower, port->shaper) &&
             host_runv(error, "ngctl", "connect", tap_node, pipe_node, "upper", "upper") &&
             host_runv(error, "ngctl", "msg", pipe_node, "setcfg", config);
    }
    if (!ok)
        ifb_port_remove(port, NULL);
    return ok;
}

const NetBackend net_if_bridge = {
    .name = "if_bridge",
    .uses_tap = true,
    .exists = ifb_exists,
    .create = ifb_create,
    .destroy = ifb_destroy,
    .join = ifb_join,
    .leave = ifb_leave,
    .port_plan = ifb_port_plan,
    .port_add = ifb_port_add,
    .port_remove = ifb_port_remove,
};
