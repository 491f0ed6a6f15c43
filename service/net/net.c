/* What the switch backends share: ports, names, the choice of backend. */
#include "net/net.h"

#include <string.h>

NetPort *net_port_new(void)
{
    return g_new0(NetPort, 1);
}

void net_port_free(NetPort *port)
{
    if (!port)
        return;
    g_free(port->nic);
    g_free(port->backend);
    g_free(port->bridge);
    g_free(port->tap);
    g_free(port->hook);
    g_free(port->shaper);
    g_free(port->ng_node);
    g_free(port->ng_hook);
    g_free(port);
}

const NetBackend *net_backend_for(const char *host_os, const char *type)
{
    if (strcmp(host_os, "linux") == 0)
        return strcmp(type, "bridge") == 0 ? &net_linux_bridge : NULL;
    if (strcmp(host_os, "freebsd") == 0)
        return strcmp(type, "bridge") == 0     ? &net_if_bridge
               : strcmp(type, "netgraph") == 0 ? &net_netgraph
                                               : NULL;
    return NULL;
}

const NetBackend *net_backend_by_name(const char *name)
{
    static const NetBackend *const all[] = {&net_linux_bridge, &net_if_bridge, &net_netgraph};

    for (size_t i = 0; name && i < G_N_ELEMENTS(all); i++)
        if (strcmp(all[i]->name, name) == 0)
            return all[i];
    return NULL;
}

char *net_tap_name(const char *nic_uuid)
{
    return g_strdup_printf("ct%.8s", nic_uuid);
}

char *net_helper_name(const char *nic_uuid, char suffix)
{
    return g_strdup_printf("ct%.8s%c", nic_uuid, suffix);
}

bool net_name_is_port(const char *name)
{
    if (!g_str_has_prefix(name, "ct"))
        return false;
    size_t len = strlen(name);
    if (len != 10 && len != 11)
        return false;
    for (size_t i = 2; i < 10; i++)
        if (!g_ascii_isxdigit(name[i]) || g_ascii_isupper(name[i]))
            return false;
    return len == 10 || name[10] == 'i' || name[10] == 'p';
}

uint64_t net_burst_bytes(uint64_t rate_bps)
{
    uint64_t burst = rate_bps / 8 / 20;

    return burst < 15140 ? 15140 : burst;
}

char *net_pipe_config(const NetPort *port)
{
    GString *s = g_string_new("{");

    if (port->rate_in)
        g_string_append_printf(s, " downstream={ bandwidth=%" G_GUINT64_FORMAT " }", port->rate_in);
    if (port->rate_out)
        g_string_append_printf(s, " upstream={ bandwidth=%" G_GUINT64_FORMAT " }", port->rate_out);
    g_string_append(s, " }");
    return g_string_free(s, FALSE);
}
