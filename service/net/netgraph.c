/* FreeBSD netgraph switches: an ng_bridge node per switch, with ngctl(8)
 * through the runner. bhyve joins it with its own ng_socket
 * (backend=netgraph,path=NODE:,peerhook=HOOK), so a NIC needs no host
 * command unless it is rate limited.
 *
 * Switch:   one ngctl session (ngctl -f FILE), as the bridge needs a hook to
 *           be born and ngctl's socket goes away with ngctl:
 *               mkpeer . bridge cirrina link0
 *               name .:cirrina B
 *               msg B: setpersistent
 *           (a persistent ng_bridge outlives its last hook); removed with
 *           ngctl shutdown B:. `ngctl info B:` tells whether it exists.
 * Hooks:    link0 and link1 are the uplink's, as in ng_bridge(4)'s example:
 *               kldload -n ng_ether
 *               ngctl connect IF: B: lower link0
 *               ngctl connect IF: B: upper link1
 *               ngctl msg IF: setpromisc 1
 *               ngctl msg IF: setautosrc 0
 *           released with ngctl rmhook B: link0 / link1, setpromisc 0 and
 *           setautosrc 1. NICs get link2 and up, allocated by
 *           core/network.c (see there).
 * Limits:   an ng_pipe node P (the NIC's "ct" name + "p") on the NIC's
 *           hook, its "upper" to the bridge, its "lower" for bhyve
 *           (path=P:,peerhook=lower); downstream is RateLimitIn:
 *               ngctl mkpeer B: pipe linkN upper
 *               ngctl name B:linkN P
 *               ngctl msg P: setcfg { downstream={ bandwidth=IN } upstream={ bandwidth=OUT } }
 *           removed with ngctl shutdown P: after bhyve exits. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "core/errors.h"
#include "hv/runner.h"
#include "net/net.h"

/* Runs script in one ngctl session. */
static bool ngctl_script(const char *script, GError **error)
{
    g_autofree char *path = NULL;
    int fd = g_file_open_tmp("cirrina-ngctl-XXXXXX", &path, error);

    if (fd < 0)
        return false;
    size_t len = strlen(script);
    bool written = write(fd, script, len) == (ssize_t)len;
    int e = errno;
    close(fd);
    bool ok = false;
    if (!written)
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "Cannot write %s: %s", path,
                    g_strerror(e));
    else
        ok = host_runv(error, "ngctl", "-f", path);
    unlink(path);
    return ok;
}

static bool ng_exists(const char *bridge)
{
    g_autofree char *node = g_strconcat(bridge, ":", NULL);
    return host_runv(NULL, "ngctl", "info", node);
}

static bool ng_create(const char *bridge, GError **error)
{
    g_autofree char *script = g_strdup_printf("mkpeer . bridge cirrina link0\n"
                                              "name .:cirrina %s\n"
                                              "msg %s: setpersistent\n",
                                              bridge, bridge);
    return ngctl_script(script, error);
}

static bool ng_destroy(const char *bridge, GError **error)
{
    g_autofree char *node = g_strconcat(bridge, ":", NULL);
    return host_runv(error, "ngctl", "shutdown", node);
}

static bool ng_leave(const char *bridge, const char *uplink, GError **error)
{
    g_autofree char *node = g_strconcat(bridge, ":", NULL);
    g_autofree char *ether = g_strconcat(uplink, ":", NULL);
    g_autoptr(GError) first = NULL;

    /* Every step, whatever failed before: a half-joined uplink is released. */
    host_runv(&first, "ngctl", "rmhook", node, "link0");
    host_runv(first ? NULL : &first, "ngctl", "rmhook", node, "link1");
    host_runv(first ? NULL : &first, "ngctl", "msg", ether, "setpromisc", "0");
    host_runv(first ? NULL : &first, "ngctl", "msg", ether, "setautosrc", "1");
    if (first) {
        g_propagate_error(error, g_steal_pointer(&first));
        return false;
    }
    return true;
}

static bool ng_join(const char *bridge, const char *uplink, GError **error)
{
    g_autofree char *node = g_strconcat(bridge, ":", NULL);
    g_autofree char *ether = g_strconcat(uplink, ":", NULL);

    if (!host_runv(error, "kldload", "-n", "ng_ether"))
        return false;
    if (!host_runv(error, "ngctl", "connect", ether, node, "lower", "link0"))
        return false;
    if (host_runv(error, "ngctl", "connect", ether, node, "upper", "link1") &&
        host_runv(error, "ngctl", "msg", ether, "setpromisc", "1") &&
        host_runv(error, "ngctl", "msg", ether, "setautosrc", "0"))
        return true;
    ng_leave(bridge, uplink, NULL);
    return false;
}

static void ng_port_plan(NetPort *port)
{
    g_free(port->shaper);
    g_free(port->ng_node);
    g_free(port->ng_hook);
    port->shaper = port->rate_in || port->rate_out ? net_helper_name(port->nic, 'p') : NULL;
    port->ng_node = g_strdup(port->shaper ? port->shaper : port->bridge);
    port->ng_hook = g_strdup(port->shaper ? "lower" : port->hook);
}

static bool ng_port_remove(const NetPort *port, GError **error)
{
    if (!port->shaper)
        return true;
    g_autofree char *pipe_node = g_strconcat(port->shaper, ":", NULL);
    return host_runv(error, "ngctl", "shutdown", pipe_node);
}

static bool ng_port_add(const NetPort *port, GError **error)
{
    if (!port->shaper)
        return true;
    g_autofree char *node = g_strconcat(port->bridge, ":", NULL);
    g_autofree char *hook_path = g_strconcat(port->bridge, ":", port->hook, NULL);
    g_autofree char *pipe_node = g_strconcat(port->shaper, ":", NULL);
    g_autofree char *config = net_pipe_config(port);

    if (!host_runv(error, "ngctl", "mkpeer", node, "pipe", port->hook, "upper"))
        return false;
    if (host_runv(error, "ngctl", "name", hook_path, port->shaper) &&
        host_runv(error, "ngctl", "msg", pipe_node, "setcfg", config))
        return true;
    /* Unnamed, the pipe is still the peer of the bridge's hook. */
    host_runv(NULL, "ngctl", "rmhook", node, port->hook);
    return false;
}

const NetBackend net_netgraph = {
    .name = "netgraph",
    .uses_tap = false,
    .exists = ng_exists,
    .create = ng_create,
    .destroy = ng_destroy,
    .join = ng_join,
    .leave = ng_leave,
    .port_plan = ng_port_plan,
    .port_add = ng_port_add,
    .port_remove = ng_port_remove,
};
