/* Connecting to cirrinad, calling it, and its errors as exit codes;
 * messages converted to and from GVariant so the commands can walk values
 * of any type. Only sd-bus calls that basu has too (see
 * shared/reference/sd-bus-portability.md). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "bus/convert.h"
#include "ctl.h"

const KindInfo kinds[N_KINDS] = {
    [KIND_VM] = {"vm", "VM", IFACE_VM, "GetVM", "CreateVM", CIRRINA_PATH "/vm"},
    [KIND_SWITCH] = {"switch", "switch", IFACE_SWITCH, "GetSwitch", "CreateSwitch",
                     CIRRINA_PATH "/switch"},
    [KIND_DISK] = {"disk", "disk", IFACE_DISK, "GetDisk", "CreateDisk", CIRRINA_PATH "/disk"},
    [KIND_ISO] = {"iso", "ISO", IFACE_ISO, "GetISO", "RegisterISO", CIRRINA_PATH "/iso"},
    [KIND_NIC] = {"nic", "NIC", IFACE_NIC, NULL, "AddNIC", CIRRINA_PATH "/vm"},
};

/* Any call may wait for someone typing a polkit password: calls get ten
 * minutes unless they ask for more (Start, Stop). */
#define CALL_TIMEOUT_USEC (10ULL * 60 * 1000 * 1000)

/* --- errors --- */

/* One line: the daemon's message with its line breaks folded and its
 * other control characters escaped. */
static void print_error_line(const char *msg)
{
    g_autofree char *line = g_strstrip(g_strdup(msg));
    for (char *p = line; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    g_autofree char *shown = escape_text(line, 0);
    fprintf(stderr, "cirrinactl: %s\n", shown);
}

int fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    print_error_line(msg);
    return code;
}

int usage_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    g_autofree char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    print_error_line(msg);
    return EXIT_USAGE;
}

int exit_code_for_error(const sd_bus_error *error)
{
    static const struct {
        const char *name;
        int code;
    } map[] = {
        {"org.cirrina.Error.InvalidArgument", EXIT_USAGE},
        {"org.freedesktop.DBus.Error.InvalidArgs", EXIT_USAGE},
        {"org.freedesktop.DBus.Error.InvalidSignature", EXIT_USAGE},
        {"org.cirrina.Error.NotFound", EXIT_NOT_FOUND},
        {"org.freedesktop.DBus.Error.UnknownObject", EXIT_NOT_FOUND},
        {"org.freedesktop.DBus.Error.AccessDenied", EXIT_DENIED},
        {"org.freedesktop.DBus.Error.InteractiveAuthorizationRequired", EXIT_DENIED},
        {"org.cirrina.Error.Busy", EXIT_CONFLICT},
        {"org.cirrina.Error.Exists", EXIT_CONFLICT},
    };

    for (size_t i = 0; error && error->name && i < G_N_ELEMENTS(map); i++)
        if (strcmp(error->name, map[i].name) == 0)
            return map[i].code;
    return EXIT_FAILURE;
}

/* Prints the error of a failed call and returns its exit code. */
int fail_bus(const sd_bus_error *error, int r, const char *what)
{
    if (error && error->name) {
        if (sd_bus_error_has_name(error, "org.freedesktop.DBus.Error.ServiceUnknown") ||
            sd_bus_error_has_name(error, "org.freedesktop.DBus.Error.NameHasNoOwner"))
            return fail(EXIT_FAILURE, "cirrinad is not running (%s)",
                        error->message ? error->message : error->name);
        if (sd_bus_error_has_name(error,
                                  "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired") &&
            !isatty(STDIN_FILENO))
            return fail(EXIT_DENIED, "%s (run it on a terminal to authenticate)",
                        error->message ? error->message : "Interactive authorization required");
        return fail(exit_code_for_error(error), "%s",
                    error->message && *error->message ? error->message : error->name);
    }
    if (what)
        return fail(EXIT_FAILURE, "%s: %s", what, g_strerror(r < 0 ? -r : r));
    return fail(EXIT_FAILURE, "%s", g_strerror(r < 0 ? -r : r));
}

/* --- connecting --- */

/* 1 when name is on the bus (or bus activation starts it), 0 when not,
 * a negative errno when the bus cannot be reached. */
int bus_name_present(sd_bus *bus, const char *name)
{
    g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
    g_autoptr(sd_bus_message) reply = NULL;
    int has = 0;

    int r = sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                               "org.freedesktop.DBus", "NameHasOwner", &error, &reply, "s", name);
    if (r < 0)
        return r;
    if (sd_bus_message_read(reply, "b", &has) >= 0 && has)
        return 1;

    /* Not running, but started on the first call (bus activation). */
    g_autoptr(sd_bus_message) names = NULL;
    g_auto(GStrv) activatable = NULL;
    sd_bus_error_free(&error);
    if (sd_bus_call_method(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                           "org.freedesktop.DBus", "ListActivatableNames", &error, &names,
                           "") < 0 ||
        sd_bus_message_read_strv(names, &activatable) < 0)
        return 0;
    return activatable && g_strv_contains((const char *const *)activatable, name);
}

static int open_bus(Ctl *ctl, bool system, sd_bus **ret)
{
    if (ctl->host)
        return remote_open_bus(ctl->host, system, ret);
    return system ? sd_bus_open_system(ret) : sd_bus_open_user(ret);
}

/* The system bus when cirrinad is there, else the session bus; --system
 * and --session choose without looking. */
int ctl_connect(Ctl *ctl)
{
    sd_bus *bus = NULL;
    int r;

    if (ctl->bus_choice != BUS_AUTO) {
        ctl->system = ctl->bus_choice == BUS_SYSTEM;
        r = open_bus(ctl, ctl->system, &bus);
    } else {
        ctl->system = true;
        r = open_bus(ctl, true, &bus);
        int present = r < 0 ? r : bus_name_present(bus, CIRRINA_BUS_NAME);
        /* An ssh that fails fails for the session bus too: say so once. */
        if (present < 0 && ctl->host) {
            if (bus)
                sd_bus_flush_close_unref(bus);
            return fail(EXIT_FAILURE,
                        "Failed to reach the system bus of %s: %s (does ssh reach it, and is "
                        "systemd-stdio-bridge installed there?)",
                        ctl->host, g_strerror(-present));
        }
        if (present <= 0) {
            sd_bus *session = NULL;
            int r_session = open_bus(ctl, false, &session);
            if (r_session >= 0 && bus_name_present(session, CIRRINA_BUS_NAME) > 0) {
                if (bus)
                    sd_bus_flush_close_unref(bus);
                bus = session;
                ctl->system = false;
                r = 0;
            } else if (present < 0 && r_session < 0) {
                if (bus)
                    sd_bus_flush_close_unref(bus);
                return fail(EXIT_FAILURE,
                            "Failed to connect to a bus: the system bus: %s; the session bus: %s",
                            g_strerror(-present), g_strerror(-r_session));
            } else if (present < 0) {
                /* No system bus, and the session bus lacks cirrinad too:
                 * the session bus's "not running" is the answer. */
                if (bus)
                    sd_bus_flush_close_unref(bus);
                bus = session;
                ctl->system = false;
                r = r_session;
            } else {
                /* Neither has it: the system bus's "not running". */
                if (session)
                    sd_bus_flush_close_unref(session);
            }
        }
    }
    if (r < 0) {
        if (ctl->host)
            return fail(EXIT_FAILURE, "Failed to reach the %s bus of %s: %s",
                        ctl->system ? "system" : "session", ctl->host, g_strerror(-r));
        return fail(EXIT_FAILURE, "Failed to connect to the %s bus: %s",
                    ctl->system ? "system" : "session", g_strerror(-r));
    }
    /* polkit may ask for a password when someone is there to type it. */
    sd_bus_set_allow_interactive_authorization(bus, isatty(STDIN_FILENO));
    if (ctl->system && !ctl->host)
        polkit_agent_open();
    ctl->bus = bus;
    return 0;
}

void ctl_disconnect(Ctl *ctl)
{
    if (ctl->bus)
        ctl->bus = sd_bus_flush_close_unref(ctl->bus);
    g_clear_pointer(&ctl->index, g_hash_table_unref);
    g_clear_pointer(&ctl->names, g_hash_table_unref);
    g_clear_pointer(&ctl->objects, g_variant_unref);
    for (int i = 0; i < 2; i++)
        g_clear_pointer(&ctl->idl[i], g_hash_table_unref);
}

/* --- calls --- */

int ctl_new_call(Ctl *ctl, const char *path, const char *iface, const char *method,
                 sd_bus_message **ret)
{
    int r = sd_bus_message_new_method_call(ctl->bus, ret, CIRRINA_BUS_NAME, path, iface, method);
    if (r < 0)
        return fail(EXIT_FAILURE, "Failed to make a %s call: %s", method, g_strerror(-r));
    return 0;
}

/* Sends m and waits; prints the error and returns the exit code if it
 * fails, 0 otherwise. */
int ctl_call(Ctl *ctl, sd_bus_message *m, uint64_t timeout_usec, sd_bus_message **reply)
{
    g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
    int r =
        sd_bus_call(ctl->bus, m, timeout_usec ? timeout_usec : CALL_TIMEOUT_USEC, &error, reply);
    if (r >= 0)
        return 0;
    if ((!error.name || g_str_has_prefix(error.name, "System.Error.")) &&
        (r == -ENOTCONN || r == -ECONNRESET || r == -EPIPE)) {
        if (ctl->host)
            return fail(EXIT_FAILURE,
                        "Lost the connection to the %s bus of %s (does ssh reach it, and is "
                        "systemd-stdio-bridge installed there?)",
                        ctl->system ? "system" : "session", ctl->host);
        return fail(EXIT_FAILURE, "Lost the connection to the %s bus: %s",
                    ctl->system ? "system" : "session", g_strerror(-r));
    }
    return fail_bus(&error, r, sd_bus_message_get_member(m));
}

int ctl_call_simple(Ctl *ctl, const char *path, const char *iface, const char *method,
                    sd_bus_message **reply, const char *types, ...)
{
    g_autoptr(sd_bus_message) m = NULL;
    int r = ctl_new_call(ctl, path, iface, method, &m);
    if (r)
        return r;
    if (types && *types) {
        va_list ap;
        va_start(ap, types);
        r = sd_bus_message_appendv(m, types, ap);
        va_end(ap);
        if (r < 0)
            return fail(EXIT_FAILURE, "Failed to build a %s call: %s", method, g_strerror(-r));
    }
    return ctl_call(ctl, m, 0, reply);
}

/* --- messages as GVariant --- */

/* The conversions are the daemon's own (service/bus/convert.c): one copy. */
int message_read_variant(sd_bus_message *m, GVariant **ret)
{
    GVariant *v = NULL;
    int r = bus_read_gvariant(m, &v);
    if (r < 0)
        return r;
    if (r == 0)
        return -ENXIO;
    *ret = g_variant_ref_sink(v);
    return 0;
}

int message_append_variant(sd_bus_message *m, GVariant *v)
{
    return bus_append_gvariant(m, v);
}

int ctl_get_all(Ctl *ctl, const char *path, const char *iface, GVariant **ret)
{
    g_autoptr(sd_bus_message) reply = NULL;
    int r =
        ctl_call_simple(ctl, path, "org.freedesktop.DBus.Properties", "GetAll", &reply, "s", iface);
    if (r)
        return r;
    if (message_read_variant(reply, ret) < 0)
        return fail(EXIT_FAILURE, "Failed to read the properties of %s", path);
    return 0;
}

/* Everything at once: one GetManagedObjects for listings and for the names
 * of the objects that properties refer to. */
int ctl_load_objects(Ctl *ctl)
{
    g_autoptr(sd_bus_message) reply = NULL;

    if (ctl->objects)
        return 0;
    int r = ctl_call_simple(ctl, CIRRINA_PATH, "org.freedesktop.DBus.ObjectManager",
                            "GetManagedObjects", &reply, NULL);
    if (r)
        return r;
    if (message_read_variant(reply, &ctl->objects) < 0 ||
        !g_variant_is_of_type(ctl->objects, G_VARIANT_TYPE("a{oa{sa{sv}}}"))) {
        g_clear_pointer(&ctl->objects, g_variant_unref);
        return fail(EXIT_FAILURE, "Failed to read the objects of cirrinad");
    }
    /* Path -> interfaces, so that a listing of many objects that refer to
     * each other stays linear. The keys point into ctl->objects. */
    ctl->index =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_variant_unref);
    GVariantIter iter;
    const char *path;
    GVariant *ifaces;
    g_variant_iter_init(&iter, ctl->objects);
    while (g_variant_iter_next(&iter, "{&o@a{sa{sv}}}", &path, &ifaces))
        g_hash_table_replace(ctl->index, (gpointer)path, ifaces);
    return 0;
}

GVariant *ctl_object_props(Ctl *ctl, const char *path, const char *iface)
{
    GVariant *ifaces = ctl->index ? g_hash_table_lookup(ctl->index, path) : NULL;
    return ifaces ? g_variant_lookup_value(ifaces, iface, G_VARIANT_TYPE("a{sv}")) : NULL;
}

/* How people see an object a property refers to: its name, a NIC by its
 * number, "/" as NULL (none). From the loaded objects, or asked one by one
 * (a "show" refers to few objects; GetManagedObjects grows with all). */
char *ctl_describe_path(Ctl *ctl, const char *path)
{
    if (!path || strcmp(path, "/") == 0)
        return NULL;
    const char *nic = g_strrstr(path, "/nic/");
    if (nic && g_str_has_prefix(path, CIRRINA_PATH "/vm/"))
        return g_strdup(nic + 5);
    for (int k = 0; k < N_KINDS; k++) {
        if (k == KIND_NIC || !g_str_has_prefix(path, kinds[k].prefix) ||
            path[strlen(kinds[k].prefix)] != '/')
            continue;
        if (ctl->index) {
            g_autoptr(GVariant) props = ctl_object_props(ctl, path, kinds[k].interface);
            const char *name = NULL;
            if (props && g_variant_lookup(props, "Name", "&s", &name))
                return g_strdup(name);
            break;
        }
        if (!ctl->names)
            ctl->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
        const char *known = g_hash_table_lookup(ctl->names, path);
        if (known)
            return g_strdup(known);
        g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
        char *name = NULL;
        if (sd_bus_get_property_string(ctl->bus, CIRRINA_BUS_NAME, path, kinds[k].interface, "Name",
                                       &error, &name) < 0)
            break;
        g_hash_table_replace(ctl->names, g_strdup(path), g_strdup(name));
        char *copy = g_strdup(name);
        free(name);
        return copy;
    }
    return g_strdup(path);
}

/* An object's path from its name or UUID (or its path itself). */
int ctl_lookup(Ctl *ctl, Kind kind, const char *name, char **path)
{
    g_autoptr(sd_bus_message) reply = NULL;
    const char *p;

    if (g_str_has_prefix(name, kinds[kind].prefix) && name[strlen(kinds[kind].prefix)] == '/') {
        *path = g_strdup(name);
        return 0;
    }
    int r =
        ctl_call_simple(ctl, CIRRINA_PATH, IFACE_MANAGER, kinds[kind].getter, &reply, "s", name);
    if (r)
        return r;
    if (sd_bus_message_read(reply, "o", &p) < 0)
        return fail(EXIT_FAILURE, "Failed to read the reply of %s", kinds[kind].getter);
    *path = g_strdup(p);
    return 0;
}
