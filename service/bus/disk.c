/* org.cirrina.Disk at /org/cirrina/disk/<uuid>: the shared methods of
 * named objects, Resize and Clone, and the properties of its Field table. */
#include <string.h>

#include "bus/object.h"

static int resize_disk(Daemon *d, sd_bus_message *m, CirObject *disk, sd_bus_error *error)
{
    static const char *const keys[] = {"Force", NULL};
    static const char *const types[] = {"b"};
    g_autoptr(GHashTable) options = NULL;
    g_autoptr(GError) gerror = NULL;
    uint64_t size;
    int r = sd_bus_message_read(m, "t", &size);

    if (r < 0 || (r = bus_read_options(m, keys, types, &options, error)) < 0)
        return r;
    GVariant *force = g_hash_table_lookup(options, "Force");
    if (jobs_disk_is_read(d->jobs, disk->uuid))
        return sd_bus_error_setf(error, CIRRINA_ERROR_NAME_BUSY,
                                 "The disk '%s' is being cloned; resize it once the clone is done",
                                 disk->name);
    if (!registry_resize_disk(d->reg, disk, size, force && g_variant_get_boolean(force), &gerror))
        return bus_error_from_gerror(error, gerror);
    return sd_bus_reply_method_return(m, NULL);
}

static int clone_disk(Daemon *d, sd_bus_message *m, CirObject *disk, sd_bus_error *error)
{
    /* Volumes would want zfs snapshot + clone, not a copy into a file. */
    if (strcmp(((CirDisk *)disk)->format, "raw") != 0)
        return sd_bus_error_setf(error, CIRRINA_ERROR_NAME_NOT_SUPPORTED,
                                 "Cloning a disk of Format='%s' is not supported",
                                 ((CirDisk *)disk)->format);
    static const char *const keys[] = {"Description", "Bus", "NoCache", "Direct", "ReadOnly", NULL};
    static const char *const types[] = {"s", "s", "b", "b", "b"};
    g_autoptr(GHashTable) options = NULL;
    const char *name;
    int r = sd_bus_message_read(m, "s", &name);

    if (r < 0 || (r = bus_read_options(m, keys, types, &options, error)) < 0)
        return r;
    return bus_job_clone_disk(d, m, disk, name, options, error);
}

static int method_resize(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    return bus_run_authorized(m, bus_manage_action(KIND_DISK), resize_disk, error);
}

static int method_clone(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    return bus_run_authorized(m, bus_manage_action(KIND_DISK), clone_disk, error);
}

static const sd_bus_vtable disk_methods[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Update", "a{sv}", "", bus_method_update, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Rename", "s", "", bus_method_rename, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Delete", "", "", bus_method_delete, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Resize", "ta{sv}", "", method_resize, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Clone", "sa{sv}", "o", method_clone, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

int bus_disk_register(Daemon *d)
{
    return bus_object_register(d, KIND_DISK, "org.cirrina.Disk", disk_methods);
}
