/* org.cirrina.Manager at /org/cirrina, with the ObjectManager. */
#include <unistd.h>

#include "bus/object.h"
#include "config.h"

static int property_get_version(sd_bus *bus, const char *path, const char *interface,
                                const char *property, sd_bus_message *reply, void *userdata,
                                sd_bus_error *error)
{
    return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

static int property_get_hypervisor(sd_bus *bus, const char *path, const char *interface,
                                   const char *property, sd_bus_message *reply, void *userdata,
                                   sd_bus_error *error)
{
    Daemon *d = userdata;
    return sd_bus_message_append(reply, "s", d->config->hypervisor);
}

static int property_get_host_cpus(sd_bus *bus, const char *path, const char *interface,
                                  const char *property, sd_bus_message *reply, void *userdata,
                                  sd_bus_error *error)
{
    return sd_bus_message_append(reply, "u", (uint32_t)g_get_num_processors());
}

static int property_get_host_memory(sd_bus *bus, const char *path, const char *interface,
                                    const char *property, sd_bus_message *reply, void *userdata,
                                    sd_bus_error *error)
{
    long pages = sysconf(_SC_PHYS_PAGES), page_size = sysconf(_SC_PAGESIZE);
    uint64_t bytes = pages > 0 && page_size > 0 ? (uint64_t)pages * (uint64_t)page_size : 0;

    return sd_bus_message_append(reply, "t", bytes);
}

/* Create*: a name, then an a{sv} of settings. */
static int create_object(Daemon *d, sd_bus_message *m, ObjectKind kind, sd_bus_error *error)
{
    g_autoptr(GHashTable) changes = NULL;
    g_autoptr(GError) gerror = NULL;
    const char *name;
    int r = sd_bus_message_read(m, "s", &name);

    if (r < 0)
        return r;
    r = bus_read_changes(m, kind, &changes, error);
    if (r < 0)
        return r;
    CirObject *obj = registry_create(d->reg, kind, name, changes, NULL, &gerror);
    if (!obj)
        return bus_error_from_gerror(error, gerror);
    return bus_reply_object_path(m, d->reg, obj);
}

static int create_vm(Daemon *d, sd_bus_message *m, CirObject *unused, sd_bus_error *error)
{
    return create_object(d, m, KIND_VM, error);
}

static int create_switch(Daemon *d, sd_bus_message *m, CirObject *unused, sd_bus_error *error)
{
    return create_object(d, m, KIND_SWITCH, error);
}

static int create_disk(Daemon *d, sd_bus_message *m, CirObject *unused, sd_bus_error *error)
{
    return create_object(d, m, KIND_DISK, error);
}

static int register_iso(Daemon *d, sd_bus_message *m, CirObject *unused, sd_bus_error *error)
{
    g_autoptr(GHashTable) changes = NULL;
    g_autoptr(GError) gerror = NULL;
    const char *name, *path;
    int r = sd_bus_message_read(m, "ss", &name, &path);

    if (r < 0)
        return r;
    r = bus_read_changes(m, KIND_ISO, &changes, error);
    if (r < 0)
        return r;
    CirObject *obj = registry_register_iso(d->reg, name, path, changes, &gerror);
    if (!obj)
        return bus_error_from_gerror(error, gerror);
    return bus_reply_object_path(m, d->reg, obj);
}

/* Import*: a name, an fd to read, options; answered when the data is in. */
static int import_object(Daemon *d, sd_bus_message *m, ObjectKind kind, sd_bus_error *error)
{
    static const char *const disk_keys[] = {"Size",    "SHA256", "Description", "Bus",
                                            "NoCache", "Direct", "ReadOnly",    NULL};
    static const char *const disk_types[] = {"t", "s", "s", "s", "b", "b", "b"};
    static const char *const iso_keys[] = {"Size", "SHA256", "Description", NULL};
    static const char *const iso_types[] = {"t", "s", "s"};
    g_autoptr(GHashTable) options = NULL;
    const char *name;
    int fd;
    int r = sd_bus_message_read(m, "sh", &name, &fd);

    if (r < 0)
        return r;
    r = bus_read_options(m, kind == KIND_DISK ? disk_keys : iso_keys,
                         kind == KIND_DISK ? disk_types : iso_types, &options, error);
    if (r < 0)
        return r;
    return bus_job_import(d, m, kind, name, fd, options, error);
}

static int import_disk(Daemon *d, sd_bus_message *m, CirObject *unused, sd_bus_error *error)
{
    return import_object(d, m, KIND_DISK, error);
}

static int import_iso(Daemon *d, sd_bus_message *m, CirObject *unused, sd_bus_error *error)
{
    return import_object(d, m, KIND_ISO, error);
}

static int method_create_vm(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    return bus_run_authorized(m, bus_manage_action(KIND_VM), create_vm, error);
}

static int method_create_switch(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    return bus_run_authorized(m, bus_manage_action(KIND_SWITCH), create_switch, error);
}

static int method_create_disk(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    return bus_run_authorized(m, bus_manage_action(KIND_DISK), create_disk, error);
}

static int method_register_iso(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    return bus_run_authorized(m, bus_manage_action(KIND_ISO), register_iso, error);
}

static int method_import_disk(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    return bus_run_authorized(m, bus_manage_action(KIND_DISK), import_disk, error);
}

static int method_import_iso(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    return bus_run_authorized(m, bus_manage_action(KIND_ISO), import_iso, error);
}

/* Get*: reading needs org.cirrina.vm.read, as properties do. */
static int get_object(Daemon *d, sd_bus_message *m, ObjectKind kind, sd_bus_error *error)
{
    g_autoptr(GError) gerror = NULL;
    const char *name;
    int r = sd_bus_message_read(m, "s", &name);

    if (r < 0)
        return r;
    CirObject *obj = registry_find(d->reg, kind, name, &gerror);
    if (!obj)
        return bus_error_from_gerror(error, gerror);
    return bus_reply_object_path(m, d->reg, obj);
}

/* GetHostInterfaces: what could be a switch's uplink; reading, as Get*. */
static int get_host_interfaces(Daemon *d, sd_bus_message *m, CirObject *unused, sd_bus_error *error)
{
    g_autoptr(GPtrArray) names = network_host_interfaces(d->network);
    sd_bus_message *reply = NULL;
    int r;

    g_ptr_array_add(names, NULL);
    r = sd_bus_message_new_method_return(m, &reply);
    if (r >= 0)
        r = sd_bus_message_append_strv(reply, (char **)names->pdata);
    if (r >= 0)
        r = sd_bus_send(NULL, reply, NULL);
    sd_bus_message_unref(reply);
    return r;
}

static int method_get_host_interfaces(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    return bus_run_authorized(m, "org.cirrina.vm.read", get_host_interfaces, error);
}

#define GET_METHOD(name, kind)                                                                     \
    static int get_##name(Daemon *d, sd_bus_message *m, CirObject *unused, sd_bus_error *error)    \
    {                                                                                              \
        return get_object(d, m, kind, error);                                                      \
    }                                                                                              \
    static int method_get_##name(sd_bus_message *m, void *userdata, sd_bus_error *error)           \
    {                                                                                              \
        return bus_run_authorized(m, "org.cirrina.vm.read", get_##name, error);                    \
    }
GET_METHOD(vm, KIND_VM)
GET_METHOD(switch, KIND_SWITCH)
GET_METHOD(disk, KIND_DISK)
GET_METHOD(iso, KIND_ISO)

static const sd_bus_vtable manager_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("Hypervisor", "s", property_get_hypervisor, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("HostCPUs", "u", property_get_host_cpus, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_PROPERTY("HostMemory", "t", property_get_host_memory, 0, SD_BUS_VTABLE_PROPERTY_CONST),
    SD_BUS_METHOD("CreateVM", "sa{sv}", "o", method_create_vm, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("CreateSwitch", "sa{sv}", "o", method_create_switch, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("CreateDisk", "sa{sv}", "o", method_create_disk, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("RegisterISO", "ssa{sv}", "o", method_register_iso, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("ImportDisk", "sha{sv}", "o", method_import_disk, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("ImportISO", "sha{sv}", "o", method_import_iso, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("GetVM", "s", "o", method_get_vm, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("GetSwitch", "s", "o", method_get_switch, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("GetDisk", "s", "o", method_get_disk, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("GetISO", "s", "o", method_get_iso, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("GetHostInterfaces", "", "as", method_get_host_interfaces,
                  SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

int bus_manager_register(Daemon *d)
{
    int r = sd_bus_add_object_vtable(d->bus, NULL, CIRRINA_PATH, "org.cirrina.Manager",
                                     manager_vtable, d);
    if (r < 0)
        return r;
    return sd_bus_add_object_manager(d->bus, NULL, CIRRINA_PATH);
}
