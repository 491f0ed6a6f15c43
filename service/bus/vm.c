/* org.cirrina.VM at /org/cirrina/vm/<uuid>. */
#include "bus/object.h"

static int delete_vm(Daemon *d, sd_bus_message *m, CirObject *vm, sd_bus_error *error)
{
    static const char *const keys[] = {"DeleteDisks", NULL};
    static const char *const types[] = {"b"};
    g_autoptr(GHashTable) options = NULL;
    g_autoptr(GError) gerror = NULL;
    int r = bus_read_options(m, keys, types, &options, error);

    if (r < 0)
        return r;
    GVariant *delete_disks = g_hash_table_lookup(options, "DeleteDisks");
    g_autofree char *uuid = g_strdup(vm->uuid);
    if (!registry_delete(d->reg, vm, delete_disks && g_variant_get_boolean(delete_disks),
                         &gerror))
        return bus_error_from_gerror(error, gerror);
    lifecycle_forget(d->lifecycle, uuid);
    return sd_bus_reply_method_return(m, NULL);
}

static int add_nic(Daemon *d, sd_bus_message *m, CirObject *vm, sd_bus_error *error)
{
    g_autoptr(GHashTable) changes = NULL;
    g_autoptr(GError) gerror = NULL;
    int r = bus_read_changes(m, KIND_NIC, &changes, error);

    if (r < 0)
        return r;
    CirObject *nic = registry_create(d->reg, KIND_NIC, NULL, changes, vm, &gerror);
    if (!nic)
        return bus_error_from_gerror(error, gerror);
    return bus_reply_object_path(m, d->reg, nic);
}

/* Power requests answer when done: the message waits in the request. */
static void reply_when_done(const GError *gerror, void *data)
{
    sd_bus_message *m = data;
    int r;

    if (gerror) {
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        bus_error_from_gerror(&error, gerror);
        r = sd_bus_reply_method_error(m, &error);
    } else {
        r = sd_bus_reply_method_return(m, NULL);
    }
    if (r < 0)
        g_debug("Cannot answer a power request: %s", g_strerror(-r));
    sd_bus_message_unref(m);
}

/* Hands m to a request that answers later; answers now if it is refused. */
static int defer_reply(sd_bus_message *m, bool accepted, GError *gerror, sd_bus_error *error)
{
    if (!accepted) {
        sd_bus_message_unref(m);
        return bus_error_from_gerror(error, gerror);
    }
    return 1;
}

static int start_vm(Daemon *d, sd_bus_message *m, CirObject *vm, sd_bus_error *error)
{
    g_autoptr(GError) gerror = NULL;
    sd_bus_message_ref(m);
    bool ok = lifecycle_start(d->lifecycle, vm, reply_when_done, m, &gerror);
    return defer_reply(m, ok, gerror, error);
}

static int stop_vm(Daemon *d, sd_bus_message *m, CirObject *vm, sd_bus_error *error)
{
    g_autoptr(GError) gerror = NULL;
    uint32_t timeout;
    int r = sd_bus_message_read(m, "u", &timeout);

    if (r < 0)
        return r;
    sd_bus_message_ref(m);
    bool ok = lifecycle_stop(d->lifecycle, vm, timeout, reply_when_done, m, &gerror);
    return defer_reply(m, ok, gerror, error);
}

static int kill_vm(Daemon *d, sd_bus_message *m, CirObject *vm, sd_bus_error *error)
{
    g_autoptr(GError) gerror = NULL;
    sd_bus_message_ref(m);
    bool ok = lifecycle_kill(d->lifecycle, vm, reply_when_done, m, &gerror);
    return defer_reply(m, ok, gerror, error);
}

static int reset_vm(Daemon *d, sd_bus_message *m, CirObject *vm, sd_bus_error *error)
{
    g_autoptr(GError) gerror = NULL;

    if (!lifecycle_reset(d->lifecycle, vm, &gerror))
        return bus_error_from_gerror(error, gerror);
    return sd_bus_reply_method_return(m, NULL);
}

static int get_launch_plan(Daemon *d, sd_bus_message *m, CirObject *vm, sd_bus_error *error)
{
    g_autoptr(sd_bus_message) reply = NULL;
    g_autoptr(GError) gerror = NULL;
    const char *hypervisor;
    int r = sd_bus_message_read(m, "s", &hypervisor);

    if (r < 0)
        return r;
    g_autoptr(HvPlan) plan = lifecycle_plan(d->lifecycle, vm, hypervisor, &gerror);
    if (!plan)
        return bus_error_from_gerror(error, gerror);
    g_ptr_array_add(plan->argv, NULL);
    r = sd_bus_message_new_method_return(m, &reply);
    if (r >= 0)
        r = sd_bus_message_append_strv(reply, (char **)plan->argv->pdata);
    if (r >= 0)
        r = sd_bus_message_open_container(reply, 'a', "{ss}");
    GHashTableIter iter;
    const char *path, *contents;
    g_hash_table_iter_init(&iter, plan->files);
    while (r >= 0 && g_hash_table_iter_next(&iter, (gpointer *)&path, (gpointer *)&contents))
        r = sd_bus_message_append(reply, "{ss}", path, contents);
    if (r >= 0)
        r = sd_bus_message_close_container(reply);
    if (r < 0)
        return r;
    return sd_bus_send(NULL, reply, NULL);
}

#define POWER_METHOD(name, impl)                                                                   \
    static int name(sd_bus_message *m, void *userdata, sd_bus_error *error)                        \
    {                                                                                              \
        return bus_run_authorized(m, "org.cirrina.vm.power", impl, error);                         \
    }
POWER_METHOD(method_start, start_vm)
POWER_METHOD(method_stop, stop_vm)
POWER_METHOD(method_kill, kill_vm)
POWER_METHOD(method_reset, reset_vm)

static int method_get_launch_plan(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    /* Plans hold secrets (a bhyve config carries the VNC password). */
    return bus_run_authorized(m, bus_manage_action(KIND_VM), get_launch_plan, error);
}

static int method_delete(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    return bus_run_authorized(m, bus_manage_action(KIND_VM), delete_vm, error);
}

static int method_add_nic(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    return bus_run_authorized(m, bus_manage_action(KIND_VM), add_nic, error);
}

static const sd_bus_vtable vm_methods[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Update", "a{sv}", "", bus_method_update, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Rename", "s", "", bus_method_rename, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Delete", "a{sv}", "", method_delete, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("AddNIC", "a{sv}", "o", method_add_nic, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Start", "", "", method_start, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Stop", "u", "", method_stop, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Kill", "", "", method_kill, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Reset", "", "", method_reset, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("GetLaunchPlan", "s", "asa{ss}", method_get_launch_plan,
                  SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

int bus_vm_register(Daemon *d)
{
    return bus_object_register(d, KIND_VM, "org.cirrina.VM", vm_methods);
}
