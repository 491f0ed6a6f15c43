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
    if (!registry_delete(d->reg, vm, delete_disks && g_variant_get_boolean(delete_disks),
                         &gerror))
        return bus_error_from_gerror(error, gerror);
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
    SD_BUS_VTABLE_END,
};

int bus_vm_register(Daemon *d)
{
    return bus_object_register(d, KIND_VM, "org.cirrina.VM", vm_methods);
}
