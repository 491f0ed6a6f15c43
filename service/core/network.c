/* Switches and NICs on the host (see core/network.h).
 *
 * Netgraph hooks: a NIC on a netgraph switch is the bridge's hook linkN,
 * N >= 2 (link0 and link1 are the uplink's lower and upper). When its VM
 * starts, the NIC takes its previous hook if that is free on the switch,
 * else the lowest N that no port of a running VM holds on that switch. The
 * hook is part of the port: recorded with it in the VM's run directory,
 * read back when the daemon reattaches, kept across guest reboots, and
 * free again only when the VM has stopped. So it is unique on its switch
 * and stable for as long as the VM runs; nothing but the daemon attaches
 * to its own ng_bridge nodes. */
#include "core/network.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/errors.h"
#include "net/net.h"

#define RECORD_FILE       "network"
#define NG_FIRST_NIC_HOOK 2

struct Network {
    Registry *reg;
    char *host_os;
    char *run_dir;         /* where the switch being made is recorded; NULL: nowhere */
    GHashTable *vms;       /* VM UUID -> GPtrArray of NetPort: the ports of running VMs */
    GHashTable *last_hook; /* NIC UUID -> hook it had when its VM last ran */
};

static const NetBackend *switch_backend(Network *net, const CirSwitch *sw)
{
    return net_backend_for(net->host_os, sw->type);
}

/* --- switches --- */

/* Whether a switch other than self has the kernel object name. */
static bool interface_used(Network *net, const CirSwitch *self, const char *name)
{
    g_autoptr(GPtrArray) all = registry_list(net->reg, KIND_SWITCH);

    for (guint i = 0; i < all->len; i++)
        if (all->pdata[i] != self && strcmp(((CirSwitch *)all->pdata[i])->interface, name) == 0)
            return true;
    return false;
}

/* A host interface can be an uplink of the daemon's switches: a port of
 * one of their bridges (its current uplink) counts as free. */
static NetIfStatus uplink_status(Network *net, const char *name, char **taken_by)
{
    g_autofree char *master = NULL;
    NetIfStatus status = net_host_interface_status(name, &master);

    if (status == NET_IF_UPLINK && master && !interface_used(net, NULL, master)) {
        if (taken_by)
            *taken_by = g_steal_pointer(&master);
        return NET_IF_PRESENT;
    }
    return status;
}

static bool check_uplink(Network *net, const char *uplink, GError **error)
{
    g_autofree char *taken_by = NULL;

    switch (uplink_status(net, uplink, &taken_by)) {
    case NET_IF_UPLINK:
        return true;
    case NET_IF_ABSENT:
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_NOT_FOUND,
                    "Uplink: this host has no interface '%s'", uplink);
        return false;
    default:
        if (taken_by)
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "Uplink: the host interface '%s' is a port of %s, which is not "
                        "Cirrina's; Manager.GetHostInterfaces lists those that can be uplinks",
                        uplink, taken_by);
        else
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "Uplink: the host interface '%s' cannot join a switch (it is not "
                        "Ethernet-like, or it is a loopback, a bridge or a tap); "
                        "Manager.GetHostInterfaces lists those that can",
                        uplink);
        return false;
    }
}

/* The next name for sw's kernel object after its own was taken (by another
 * program or another daemon) between validation and creation. */
static char *next_interface_name(Network *net, const NetBackend *b, const CirSwitch *sw)
{
    const char *prefix = strcmp(sw->type, "netgraph") == 0 ? "cirng" : "cirbr";
    unsigned start = (unsigned)strtoul(sw->interface + strlen(prefix), NULL, 10) + 1;

    for (unsigned n = start; n < 10000; n++) {
        g_autofree char *name = g_strdup_printf("%s%u", prefix, n);
        if (!interface_used(net, sw, name) && !b->exists(name))
            return g_steal_pointer(&name);
    }
    return NULL;
}

/* --- the switch being made ---
 *
 * A new switch's kernel object is made before the switch is stored (so a
 * host that refuses it changes nothing). A daemon killed in between would
 * leave an object that no switch owns, and a name alone cannot tell it
 * from the host's own (a bridge may be called cirbr0 by someone else): so
 * the switch being made is recorded in the run directory first, and
 * network_restore() removes what such a record names if its switch was
 * never stored. */

#define BEING_MADE_FILE "switch-being-made"

static char *being_made_path(Network *net)
{
    return net->run_dir ? g_build_filename(net->run_dir, BEING_MADE_FILE, NULL) : NULL;
}

static void being_made_forget(Network *net, const char *uuid)
{
    g_autofree char *path = being_made_path(net);
    g_autofree char *text = NULL;
    g_auto(GStrv) fields = NULL;

    if (!path || !g_file_get_contents(path, &text, NULL, NULL))
        return;
    fields = g_strsplit(g_strstrip(text), " ", 3);
    if ((!uuid || g_strcmp0(fields[0], uuid) == 0) && unlink(path) < 0 && errno != ENOENT)
        g_warning("Failed to remove %s: %s", path, g_strerror(errno));
}

/* Written before the object is made: a line "UUID TYPE NAME". */
static bool being_made_record(Network *net, const CirSwitch *sw, GError **error)
{
    g_autofree char *path = being_made_path(net);
    g_autofree char *text = NULL;

    if (!path)
        return true;
    text = g_strdup_printf("%s %s %s\n", sw->base.uuid, sw->type, sw->interface);
    if (!g_file_set_contents(path, text, -1, error)) {
        g_prefix_error(error, "Cannot record the switch being made: ");
        return false;
    }
    return true;
}

static void being_made_clean_up(Network *net)
{
    g_autofree char *path = being_made_path(net);
    g_autofree char *text = NULL;
    g_auto(GStrv) fields = NULL;

    if (!path || !g_file_get_contents(path, &text, NULL, NULL))
        return;
    fields = g_strsplit(g_strstrip(text), " ", 3);
    if (g_strv_length(fields) == 3 && !registry_lookup(net->reg, KIND_SWITCH, fields[0])) {
        const NetBackend *b = net_backend_for(net->host_os, fields[1]);
        g_autoptr(GError) error = NULL;
        if (b && b->exists(fields[2])) {
            if (b->destroy(fields[2], &error))
                g_message("Removed the %s %s: its switch was being made when cirrinad stopped",
                          b->name, fields[2]);
            else
                g_warning("Cannot remove the %s %s, made for a switch that was never stored: %s",
                          b->name, fields[2], error->message);
        }
    }
    being_made_forget(net, NULL);
}

static bool switch_make(Network *net, const NetBackend *b, CirSwitch *sw, GError **error)
{
    for (unsigned attempt = 0;; attempt++) {
        g_autoptr(GError) local = NULL;
        if (!being_made_record(net, sw, error))
            return false;
        if (b->create(sw->interface, &local))
            break;
        char *other =
            attempt < 8 && b->exists(sw->interface) ? next_interface_name(net, b, sw) : NULL;
        if (!other) {
            g_propagate_prefixed_error(error, g_steal_pointer(&local),
                                       "Cannot create the switch's %s %s: ", b->name,
                                       sw->interface);
            return false;
        }
        g_free(sw->interface);
        sw->interface = other;
    }
    if (sw->uplink[0] && !b->join(sw->interface, sw->uplink, error)) {
        g_prefix_error(error, "Cannot join %s to the switch's %s %s: ", sw->uplink, b->name,
                       sw->interface);
        b->destroy(sw->interface, NULL);
        return false;
    }
    return true;
}

static bool switch_unmake(const NetBackend *b, const CirSwitch *sw, GError **error)
{
    g_autoptr(GError) local = NULL;

    if (!b->exists(sw->interface))
        return true;
    /* Destroying the bridge releases its members; leaving first also
     * restores what joining changed (netgraph: promiscuity). */
    if (sw->uplink[0] && !b->leave(sw->interface, sw->uplink, &local))
        g_warning("Releasing %s from %s: %s", sw->uplink, sw->interface, local->message);
    if (b->destroy(sw->interface, error))
        return true;
    g_prefix_error(error, "Cannot remove the switch's %s %s: ", b->name, sw->interface);
    if (sw->uplink[0])
        b->join(sw->interface, sw->uplink, NULL);
    return false;
}

static bool switch_move_uplink(const NetBackend *b, const CirSwitch *from, const CirSwitch *to,
                               GError **error)
{
    if (strcmp(from->uplink, to->uplink) == 0)
        return true;
    if (!b->exists(to->interface) && !b->create(to->interface, error)) {
        g_prefix_error(error, "Cannot create the switch's %s %s: ", b->name, to->interface);
        return false;
    }
    if (from->uplink[0] && !b->leave(from->interface, from->uplink, error)) {
        g_prefix_error(error, "Cannot release %s from %s: ", from->uplink, from->interface);
        return false;
    }
    if (to->uplink[0] && !b->join(to->interface, to->uplink, error)) {
        g_prefix_error(error, "Cannot join %s to %s: ", to->uplink, to->interface);
        if (from->uplink[0])
            b->join(from->interface, from->uplink, NULL);
        return false;
    }
    return true;
}

static bool switch_apply(void *data, const CirObject *old_obj, CirObject *next_obj, GError **error)
{
    Network *net = data;
    const CirSwitch *old = (const CirSwitch *)old_obj;
    CirSwitch *next = (CirSwitch *)next_obj;
    const NetBackend *b = switch_backend(net, next ? next : old);

    if (!b)
        return true; /* no switches on this host: records only */
    if (next && next->uplink[0] && (!old || strcmp(old->uplink, next->uplink) != 0) &&
        !check_uplink(net, next->uplink, error))
        return false;
    if (!old)
        return switch_make(net, b, next, error);
    if (!next) {
        /* Its record (if it was the last one made) must not outlive it. */
        being_made_forget(net, old->base.uuid);
        return switch_unmake(b, old, error);
    }
    return switch_move_uplink(b, old, next, error);
}

static void switch_undo(void *data, const CirObject *old_obj, const CirObject *next_obj)
{
    Network *net = data;
    const CirSwitch *old = (const CirSwitch *)old_obj, *next = (const CirSwitch *)next_obj;
    const NetBackend *b = switch_backend(net, next ? next : old);
    g_autoptr(GError) error = NULL;
    bool ok = true;

    if (!b)
        return;
    if (!old) {
        ok = switch_unmake(b, next, &error);
        being_made_forget(net, next->base.uuid);
    } else if (!next) {
        g_autoptr(CirObject) copy = object_copy(old_obj);
        ok = switch_make(net, b, (CirSwitch *)copy, &error);
    } else {
        ok = switch_move_uplink(b, next, old, &error);
    }
    if (!ok)
        g_warning("Cannot undo a change of the switch '%s' on the host: %s",
                  (next ? next_obj : old_obj)->name, error->message);
}

static const RegistryEffects switch_effects = {
    .apply = switch_apply,
    .undo = switch_undo,
};

static gint compare_objects_by_name(gconstpointer a, gconstpointer b)
{
    return strcmp((*(const CirObject *const *)a)->name, (*(const CirObject *const *)b)->name);
}

void network_restore(Network *net)
{
    g_autoptr(GPtrArray) all = registry_list(net->reg, KIND_SWITCH);

    being_made_clean_up(net);

    g_ptr_array_sort(all, compare_objects_by_name);
    for (guint i = 0; i < all->len; i++) {
        CirSwitch *sw = all->pdata[i];
        const NetBackend *b = switch_backend(net, sw);
        g_autoptr(GError) error = NULL;

        if (!b || b->exists(sw->interface))
            continue;
        if (!b->create(sw->interface, &error))
            g_warning("Switch '%s': cannot create its %s %s: %s", sw->base.name, b->name,
                      sw->interface, error->message);
        else if (sw->uplink[0] && !b->join(sw->interface, sw->uplink, &error))
            g_warning("Switch '%s': cannot join its uplink %s to %s: %s", sw->base.name, sw->uplink,
                      sw->interface, error->message);
        else
            g_message("Switch '%s': made %s %s again", sw->base.name, b->name, sw->interface);
    }
}

static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

GPtrArray *network_host_interfaces(Network *net)
{
    g_autoptr(GPtrArray) names = net_host_interface_names();
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; i < names->len; i++)
        if (uplink_status(net, names->pdata[i], NULL) == NET_IF_UPLINK)
            g_ptr_array_add(out, g_strdup(names->pdata[i]));
    g_ptr_array_sort(out, compare_names);
    return out;
}

/* --- ports --- */

static unsigned hook_number(const char *hook)
{
    return hook && g_str_has_prefix(hook, "link") ? (unsigned)atoi(hook + 4) : 0;
}

static bool ports_hold_hook(GPtrArray *ports, const char *bridge, unsigned n)
{
    for (guint i = 0; ports && i < ports->len; i++) {
        const NetPort *p = ports->pdata[i];
        if (p->hook && strcmp(p->bridge, bridge) == 0 && hook_number(p->hook) == n)
            return true;
    }
    return false;
}

/* Whether a running VM's port, or one of more, holds hook n of bridge. */
static bool hook_taken(Network *net, GPtrArray *more, const char *bridge, unsigned n)
{
    GHashTableIter iter;
    GPtrArray *ports;

    if (ports_hold_hook(more, bridge, n))
        return true;
    g_hash_table_iter_init(&iter, net->vms);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&ports))
        if (ports_hold_hook(ports, bridge, n))
            return true;
    return false;
}

static char *allocate_hook(Network *net, GPtrArray *more, const CirNIC *nic, const char *bridge)
{
    unsigned last = hook_number(g_hash_table_lookup(net->last_hook, nic->base.uuid));

    if (last >= NG_FIRST_NIC_HOOK && !hook_taken(net, more, bridge, last))
        return g_strdup_printf("link%u", last);
    for (unsigned n = NG_FIRST_NIC_HOOK;; n++)
        if (!hook_taken(net, more, bridge, n))
            return g_strdup_printf("link%u", n);
}

/* The port a start would make for nic (more: ports of the same start). */
static NetPort *plan_port(Network *net, GPtrArray *more, const CirNIC *nic, const CirSwitch *sw,
                          const NetBackend *b)
{
    NetPort *p = net_port_new();

    p->nic = g_strdup(nic->base.uuid);
    p->index = nic->index;
    p->backend = g_strdup(b->name);
    p->bridge = g_strdup(sw->interface);
    p->rate_in = nic->rate_in;
    p->rate_out = nic->rate_out;
    if (!b->uses_tap)
        p->hook = allocate_hook(net, more, nic, sw->interface);
    b->port_plan(p);
    return p;
}

static void remove_ports(GPtrArray *ports, const char *vm_uuid)
{
    for (guint i = ports->len; i-- > 0;) {
        const NetPort *p = ports->pdata[i];
        const NetBackend *b = net_backend_by_name(p->backend);
        g_autoptr(GError) error = NULL;
        if (b && !b->port_remove(p, &error))
            g_warning("VM %s: removing the port of NIC %u from %s: %s", vm_uuid, p->index,
                      p->bridge, error->message);
    }
}

/* --- the record: one group per port --- */

static const char *const record_keys[] = {"NIC",  "Backend", "Bridge", "Tap",
                                          "Hook", "Shaper",  "NGNode", "NGHook"};

static char **port_field(NetPort *p, size_t i)
{
    char **fields[] = {&p->nic,  &p->backend, &p->bridge,  &p->tap,
                       &p->hook, &p->shaper,  &p->ng_node, &p->ng_hook};
    return fields[i];
}

static bool write_record(const char *run_dir, GPtrArray *ports, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *path = g_build_filename(run_dir, RECORD_FILE, NULL);

    for (guint i = 0; i < ports->len; i++) {
        NetPort *p = ports->pdata[i];
        g_autofree char *group = g_strdup_printf("nic%u", p->index);
        for (size_t k = 0; k < G_N_ELEMENTS(record_keys); k++)
            if (*port_field(p, k))
                g_key_file_set_string(kf, group, record_keys[k], *port_field(p, k));
        g_key_file_set_uint64(kf, group, "RateIn", p->rate_in);
        g_key_file_set_uint64(kf, group, "RateOut", p->rate_out);
    }
    if (g_mkdir_with_parents(run_dir, 0700) < 0) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "Cannot create %s: %s", run_dir,
                    g_strerror(errno));
        return false;
    }
    if (!g_key_file_save_to_file(kf, path, error)) {
        g_prefix_error(error, "Cannot record the VM's network ports: ");
        (*error)->domain = CIRRINA_ERROR;
        (*error)->code = CIRRINA_ERROR_FAILED;
        return false;
    }
    return true;
}

static GPtrArray *read_record(const char *run_dir)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();
    g_autofree char *path = g_build_filename(run_dir, RECORD_FILE, NULL);
    g_autoptr(GError) error = NULL;

    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &error)) {
        if (!g_error_matches(error, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            g_warning("Cannot read %s: %s", path, error->message);
        return NULL;
    }
    GPtrArray *ports = g_ptr_array_new_with_free_func((GDestroyNotify)net_port_free);
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);
    for (size_t g = 0; groups[g]; g++) {
        NetPort *p = net_port_new();
        p->index = (uint32_t)strtoul(groups[g] + 3, NULL, 10);
        for (size_t k = 0; k < G_N_ELEMENTS(record_keys); k++)
            *port_field(p, k) = g_key_file_get_string(kf, groups[g], record_keys[k], NULL);
        p->rate_in = g_key_file_get_uint64(kf, groups[g], "RateIn", NULL);
        p->rate_out = g_key_file_get_uint64(kf, groups[g], "RateOut", NULL);
        if (!p->backend || !p->bridge || !p->nic) {
            g_warning("%s: [%s] is incomplete; left alone", path, groups[g]);
            net_port_free(p);
            continue;
        }
        g_ptr_array_add(ports, p);
    }
    return ports;
}

static void forget_record(const char *run_dir)
{
    g_autofree char *path = g_build_filename(run_dir, RECORD_FILE, NULL);
    unlink(path);
}

/* --- VMs --- */

static void remember_hooks(Network *net, GPtrArray *ports)
{
    for (guint i = 0; i < ports->len; i++) {
        const NetPort *p = ports->pdata[i];
        if (p->hook)
            g_hash_table_insert(net->last_hook, g_strdup(p->nic), g_strdup(p->hook));
    }
}

bool network_vm_up(Network *net, const CirObject *vm, const char *run_dir, GError **error)
{
    if (!net || g_hash_table_contains(net->vms, vm->uuid))
        return true;
    /* Ports a previous run left (a crash before they were removed). */
    network_vm_down(net, vm->uuid, run_dir);

    GPtrArray *nics = registry_vm_nics(net->reg, vm->uuid);
    g_autoptr(GPtrArray) ports = g_ptr_array_new_with_free_func((GDestroyNotify)net_port_free);
    for (guint i = 0; nics && i < nics->len; i++) {
        const CirNIC *nic = nics->pdata[i];
        const CirSwitch *sw =
            nic->sw[0] ? (const CirSwitch *)registry_lookup(net->reg, KIND_SWITCH, nic->sw) : NULL;
        if (!sw)
            continue;
        const NetBackend *b = switch_backend(net, sw);
        if (!b) {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_NOT_SUPPORTED,
                        "NIC %u of the VM '%s' is on the switch '%s', but there are no %s "
                        "switches on %s",
                        nic->index, vm->name, sw->base.name, sw->type, net->host_os);
            goto fail;
        }
        g_autoptr(NetPort) port = plan_port(net, ports, nic, sw, b);
        if (!b->port_add(port, error)) {
            g_prefix_error(error,
                           "Cannot connect NIC %u of the VM '%s' to the switch '%s': ", nic->index,
                           vm->name, sw->base.name);
            goto fail;
        }
        g_ptr_array_add(ports, g_steal_pointer(&port));
    }
    if (ports->len == 0)
        return true;
    if (!write_record(run_dir, ports, error))
        goto fail;
    remember_hooks(net, ports);
    g_hash_table_insert(net->vms, g_strdup(vm->uuid), g_steal_pointer(&ports));
    return true;
fail:
    remove_ports(ports, vm->uuid);
    return false;
}

void network_vm_down(Network *net, const char *vm_uuid, const char *run_dir)
{
    gpointer key = NULL, ports = NULL;

    if (!net)
        return;
    if (!g_hash_table_steal_extended(net->vms, vm_uuid, &key, &ports))
        ports = read_record(run_dir);
    g_free(key);
    if (ports) {
        remove_ports(ports, vm_uuid);
        g_ptr_array_unref(ports);
    }
    forget_record(run_dir);
}

void network_vm_reattach(Network *net, const char *vm_uuid, const char *run_dir)
{
    GPtrArray *ports = net ? read_record(run_dir) : NULL;

    if (!ports)
        return;
    remember_hooks(net, ports);
    g_hash_table_replace(net->vms, g_strdup(vm_uuid), ports);
}

static const NetPort *running_port(Network *net, const CirNIC *nic)
{
    GPtrArray *ports = g_hash_table_lookup(net->vms, nic->vm);

    for (guint i = 0; ports && i < ports->len; i++)
        if (strcmp(((NetPort *)ports->pdata[i])->nic, nic->base.uuid) == 0)
            return ports->pdata[i];
    return NULL;
}

void network_describe_nic(Network *net, const CirNIC *nic, HvNIC *out, GPtrArray *hold)
{
    *out = (HvNIC){.nic = nic, .backend = HV_NET_USER};
    if (!nic->sw[0])
        return;

    const CirSwitch *sw =
        net ? (const CirSwitch *)registry_lookup(net->reg, KIND_SWITCH, nic->sw) : NULL;
    const NetBackend *b = sw ? switch_backend(net, sw) : NULL;
    const NetPort *port = net ? running_port(net, nic) : NULL;
    g_autoptr(NetPort) planned = NULL;

    if (port)
        b = net_backend_by_name(port->backend);
    else if (b)
        port = planned = plan_port(net, NULL, nic, sw, b);
    if (!port || !b || b->uses_tap) {
        out->backend = HV_NET_TAP;
        out->ifname = port && port->tap ? g_strdup(port->tap) : net_tap_name(nic->base.uuid);
        g_ptr_array_add(hold, (char *)out->ifname);
        return;
    }
    out->backend = HV_NET_NETGRAPH;
    out->ifname = g_strdup(port->ng_node);
    out->peerhook = g_strdup(port->ng_hook);
    g_ptr_array_add(hold, (char *)out->ifname);
    g_ptr_array_add(hold, (char *)out->peerhook);
}

/* --- the rest --- */

Network *network_new(Registry *reg, const char *host_os)
{
    Network *net = g_new0(Network, 1);

    net->reg = reg;
    net->host_os = g_strdup(host_os);
    net->vms =
        g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)g_ptr_array_unref);
    net->last_hook = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    registry_set_effects(reg, KIND_SWITCH, &switch_effects, net);
    return net;
}

void network_set_run_dir(Network *net, const char *run_dir)
{
    g_free(net->run_dir);
    net->run_dir = g_strdup(run_dir);
}

void network_free(Network *net)
{
    if (!net)
        return;
    registry_set_effects(net->reg, KIND_SWITCH, NULL, NULL);
    g_hash_table_unref(net->vms);
    g_hash_table_unref(net->last_hook);
    g_free(net->host_os);
    g_free(net->run_dir);
    g_free(net);
}
