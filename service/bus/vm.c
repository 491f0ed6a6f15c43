/* org.cirrina.VM at /org/cirrina/vm/<uuid>. */
#include <inttypes.h>
#include <string.h>
#include <unistd.h>

#include "bus/object.h"
#include "console/serial.h"

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
    if (!registry_delete(d->reg, vm, delete_disks && g_variant_get_boolean(delete_disks), &gerror))
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

/* "com1".."com4", "" for com1. */
static int parse_port(const char *port, unsigned *number, sd_bus_error *error)
{
    if (port[0] == '\0') {
        *number = 1;
        return 0;
    }
    if (strlen(port) == 4 && g_str_has_prefix(port, "com") && port[3] >= '1' && port[3] <= '4') {
        *number = (unsigned)(port[3] - '0');
        return 0;
    }
    g_autofree char *shown = g_strescape(port, NULL);
    return sd_bus_error_setf(error, CIRRINA_ERROR_NAME_INVALID_ARGUMENT,
                             "port='%.32s' is not one of com1, com2, com3, com4 (or \"\")", shown);
}

static int reply_fd(sd_bus_message *m, int fd)
{
    int r = sd_bus_reply_method_return(m, "h", fd);
    close(fd); /* sd-bus sent its own duplicate */
    return r;
}

#define CONSOLE_HISTORY_MAX (UINT64_C(1) << 20)
#define CONSOLE_LOG_MAX     (UINT64_C(16) << 20)

static int open_console(Daemon *d, sd_bus_message *m, CirObject *vm, sd_bus_error *error)
{
    static const char *const keys[] = {"History", NULL};
    static const char *const types[] = {"t"};
    g_autoptr(GHashTable) options = NULL;
    g_autoptr(GError) gerror = NULL;
    const char *port;
    unsigned number;
    uint64_t history = SERIAL_HISTORY_DEFAULT;
    int r = sd_bus_message_read(m, "s", &port);

    if (r < 0 || (r = parse_port(port, &number, error)) < 0 ||
        (r = bus_read_options(m, keys, types, &options, error)) < 0)
        return r;
    GVariant *h = g_hash_table_lookup(options, "History");
    if (h && (history = g_variant_get_uint64(h)) > CONSOLE_HISTORY_MAX)
        return sd_bus_error_setf(error, CIRRINA_ERROR_NAME_INVALID_ARGUMENT,
                                 "History=%" PRIu64 " is out of range: at most %" PRIu64 " bytes",
                                 history, CONSOLE_HISTORY_MAX);
    int fd = lifecycle_open_console(d->lifecycle, vm, number, (size_t)history, &gerror);
    if (fd < 0)
        return bus_error_from_gerror(error, gerror);
    return reply_fd(m, fd);
}

static int get_console_log(Daemon *d, sd_bus_message *m, CirObject *vm, sd_bus_error *error)
{
    g_autoptr(GError) gerror = NULL;
    g_autoptr(sd_bus_message) reply = NULL;
    const char *port;
    uint64_t max_bytes;
    unsigned number;
    int r = sd_bus_message_read(m, "st", &port, &max_bytes);

    if (r < 0 || (r = parse_port(port, &number, error)) < 0)
        return r;
    if (max_bytes > CONSOLE_LOG_MAX)
        return sd_bus_error_setf(error, CIRRINA_ERROR_NAME_INVALID_ARGUMENT,
                                 "max_bytes=%" PRIu64 " is out of range: at most %" PRIu64,
                                 max_bytes, CONSOLE_LOG_MAX);
    g_autoptr(GBytes) log =
        lifecycle_console_log(d->lifecycle, vm, number, (size_t)max_bytes, &gerror);
    if (!log)
        return bus_error_from_gerror(error, gerror);
    gsize len;
    const void *data = g_bytes_get_data(log, &len);
    r = sd_bus_message_new_method_return(m, &reply);
    if (r >= 0)
        r = sd_bus_message_append_array(reply, 'y', data ? data : "", len);
    return r < 0 ? r : sd_bus_send(NULL, reply, NULL);
}

static int open_display(Daemon *d, sd_bus_message *m, CirObject *vm, sd_bus_error *error)
{
    static const char *const keys[] = {NULL};
    g_autoptr(GHashTable) options = NULL;
    g_autoptr(GError) gerror = NULL;
    int r = bus_read_options(m, keys, NULL, &options, error);

    if (r < 0)
        return r;
    int fd = lifecycle_open_display(d->lifecycle, vm, &gerror);
    if (fd < 0)
        return bus_error_from_gerror(error, gerror);
    return reply_fd(m, fd);
}

static int get_display_password(Daemon *d, sd_bus_message *m, CirObject *vm, sd_bus_error *error)
{
    return sd_bus_reply_method_return(m, "s", ((CirVM *)vm)->display_password);
}

#define CONSOLE_METHOD(name, impl)                                                                 \
    static int name(sd_bus_message *m, void *userdata, sd_bus_error *error)                        \
    {                                                                                              \
        return bus_run_authorized(m, "org.cirrina.vm.console", impl, error);                       \
    }
CONSOLE_METHOD(method_open_console, open_console)
CONSOLE_METHOD(method_get_console_log, get_console_log)
CONSOLE_METHOD(method_open_display, open_display)
CONSOLE_METHOD(method_get_display_password, get_display_password)

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
    SD_BUS_METHOD("OpenConsole", "sa{sv}", "h", method_open_console, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("GetConsoleLog", "st", "ay", method_get_console_log, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("OpenDisplay", "a{sv}", "h", method_open_display, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("GetDisplayPassword", "", "s", method_get_display_password,
                  SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

int bus_vm_register(Daemon *d)
{
    return bus_object_register(d, KIND_VM, "org.cirrina.VM", vm_methods);
}
