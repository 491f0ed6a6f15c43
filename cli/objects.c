/* The commands every kind of object shares: list, show, create, edit,
 * rename, delete; the NIC commands; host info. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "ctl.h"

/* --- listing --- */

typedef struct {
    const char *header;
    const char *key;
} Column;

static const Column vm_columns[] = {
    {"NAME", "Name"},   {"STATE", "State"},         {"CPUS", "CPUs"}, {"MEMORY", "Memory"},
    {"DISKS", "Disks"}, {"AUTOSTART", "Autostart"}, {"UUID", "UUID"}, {NULL, NULL},
};
static const Column switch_columns[] = {
    {"NAME", "Name"},     {"TYPE", "Type"}, {"INTERFACE", "Interface"},
    {"UPLINK", "Uplink"}, {"UUID", "UUID"}, {NULL, NULL},
};
static const Column disk_columns[] = {
    {"NAME", "Name"}, {"SIZE", "Size"},     {"ALLOCATED", "Allocated"}, {"FORMAT", "Format"},
    {"BUS", "Bus"},   {"VM", "AttachedTo"}, {"UUID", "UUID"},           {NULL, NULL},
};
static const Column iso_columns[] = {
    {"NAME", "Name"}, {"SIZE", "Size"}, {"PATH", "Path"}, {"UUID", "UUID"}, {NULL, NULL},
};
static const Column nic_columns[] = {
    {"MODEL", "Model"},           {"MAC", "MAC"}, {"SWITCH", "Switch"}, {"RATE-IN", "RateLimitIn"},
    {"RATE-OUT", "RateLimitOut"}, {NULL, NULL},
};

static const Column *columns_of(Kind kind)
{
    switch (kind) {
    case KIND_VM:
        return vm_columns;
    case KIND_SWITCH:
        return switch_columns;
    case KIND_DISK:
        return disk_columns;
    case KIND_ISO:
        return iso_columns;
    default:
        return nic_columns;
    }
}

static char *cell(Ctl *ctl, GVariant *props, const char *key)
{
    g_autoptr(GVariant) v = g_variant_lookup_value(props, key, NULL);
    return v ? format_value(ctl, key, v) : g_strdup("");
}

static gint by_name(gconstpointer a, gconstpointer b)
{
    GVariant *pa = *(GVariant *const *)a, *pb = *(GVariant *const *)b;
    const char *na = "", *nb = "";
    g_variant_lookup(pa, "Name", "&s", &na);
    g_variant_lookup(pb, "Name", "&s", &nb);
    return strcmp(na, nb);
}

static int list_objects(Ctl *ctl, Kind kind)
{
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify)g_variant_unref);
    GVariantIter iter;
    const char *path;
    int r = ctl_load_objects(ctl);
    if (r)
        return r;

    g_variant_iter_init(&iter, ctl->objects);
    while (g_variant_iter_next(&iter, "{&o@a{sa{sv}}}", &path, NULL)) {
        GVariant *props = ctl_object_props(ctl, path, kinds[kind].interface);
        if (props)
            g_ptr_array_add(all, props);
    }
    g_ptr_array_sort(all, by_name);

    if (ctl->json) {
        print_json_list(all);
        return 0;
    }
    if (all->len == 0) {
        printf("No %ss.\n", kinds[kind].label);
        return 0;
    }
    const Column *cols = columns_of(kind);
    g_autoptr(GPtrArray) headers = g_ptr_array_new();
    for (const Column *c = cols; c->header; c++)
        g_ptr_array_add(headers, (gpointer)c->header);
    g_ptr_array_add(headers, NULL);
    g_autoptr(Table) t = table_new((const char *const *)headers->pdata);
    for (guint i = 0; i < all->len; i++) {
        GPtrArray *row = g_ptr_array_new();
        for (const Column *c = cols; c->header; c++)
            g_ptr_array_add(row, cell(ctl, all->pdata[i], c->key));
        g_ptr_array_add(row, NULL);
        table_add(t, (char **)g_ptr_array_free(row, FALSE));
    }
    table_print(t);
    return 0;
}

/* --- one object --- */

static GVariant *object_props(Ctl *ctl, const char *path, const char *iface)
{
    GVariant *props = ctl_object_props(ctl, path, iface);
    if (!props && ctl_get_all(ctl, path, iface, &props) != 0)
        return NULL;
    return props;
}

int object_show_path(Ctl *ctl, Kind kind, const char *path)
{
    g_autoptr(GVariant) props = object_props(ctl, path, kinds[kind].interface);
    if (!props)
        return EXIT_FAILURE;
    if (ctl->json)
        print_json_object(props);
    else
        print_properties(ctl, props);
    return 0;
}

/* After a create: the new object for scripts, nothing for people. */
static int created(Ctl *ctl, Kind kind, sd_bus_message *reply)
{
    const char *path;
    if (sd_bus_message_read(reply, "o", &path) < 0)
        return fail(EXIT_FAILURE, "Failed to read the new %s's path", kinds[kind].label);
    if (!ctl->json)
        return 0;
    g_autoptr(GVariant) props = NULL;
    int r = ctl_get_all(ctl, path, kinds[kind].interface, &props);
    if (r)
        return r;
    print_json_object(props);
    return 0;
}

static int create_object(Ctl *ctl, Kind kind, int argc, char **argv)
{
    g_autoptr(sd_bus_message) m = NULL, reply = NULL;
    g_autoptr(GVariant) settings = NULL;
    g_autofree char *iso_path = NULL;
    g_autofree char *size_setting = NULL;
    int first_setting = 1;
    int r;

    if (argc < 1)
        return usage_error("%s %s needs a name", kinds[kind].noun,
                           kind == KIND_ISO ? "register" : "create");
    /* disk create NAME SIZE ...; iso register NAME PATH ... */
    if (kind == KIND_DISK && argc >= 2 && !strchr(argv[1], '=')) {
        size_setting = g_strconcat("Size=", argv[1], NULL);
        argv[1] = size_setting;
    }
    if (kind == KIND_ISO) {
        if (argc < 2 || strchr(argv[1], '='))
            return usage_error("iso register needs a name and the image's path");
        iso_path = ctl->host ? g_strdup(argv[1]) : g_canonicalize_filename(argv[1], NULL);
        first_setting = 2;
    }
    r = parse_settings(ctl, kind, NULL, argv + first_setting, argc - first_setting, &settings);
    if (r)
        return r;
    r = ctl_new_call(ctl, CIRRINA_PATH, IFACE_MANAGER, kinds[kind].creator, &m);
    if (r)
        return r;
    if (sd_bus_message_append(m, "s", argv[0]) < 0 ||
        (iso_path && sd_bus_message_append(m, "s", iso_path) < 0) ||
        message_append_variant(m, settings) < 0)
        return fail(EXIT_FAILURE, "Failed to build the %s call", kinds[kind].creator);
    r = ctl_call(ctl, m, 0, &reply);
    if (r)
        return r;
    return created(ctl, kind, reply);
}

static int call_with_settings(Ctl *ctl, Kind kind, const char *path, const char *method,
                              char **args, int n)
{
    g_autoptr(sd_bus_message) m = NULL;
    g_autoptr(GVariant) settings = NULL;
    int r = parse_settings(ctl, kind, path, args, n, &settings);
    if (r)
        return r;
    r = ctl_new_call(ctl, path, kinds[kind].interface, method, &m);
    if (r)
        return r;
    if (message_append_variant(m, settings) < 0)
        return fail(EXIT_FAILURE, "Failed to build the %s call", method);
    return ctl_call(ctl, m, 0, NULL);
}

static int edit_object(Ctl *ctl, Kind kind, int argc, char **argv)
{
    g_autofree char *path = NULL;
    if (argc < 2)
        return usage_error("%s edit needs a name and settings KEY=VALUE", kinds[kind].noun);
    for (int i = 1; i < argc; i++)
        if (!strchr(argv[i], '=') || argv[i][0] == '=')
            return usage_error("expected a setting KEY=VALUE, got '%s'", argv[i]);
    int r = ctl_lookup(ctl, kind, argv[0], &path);
    if (r)
        return r;
    return call_with_settings(ctl, kind, path, "Update", argv + 1, argc - 1);
}

static int rename_object(Ctl *ctl, Kind kind, int argc, char **argv)
{
    g_autofree char *path = NULL;
    if (argc != 2)
        return usage_error("%s rename needs the name and the new name", kinds[kind].noun);
    int r = ctl_lookup(ctl, kind, argv[0], &path);
    if (r)
        return r;
    return ctl_call_simple(ctl, path, kinds[kind].interface, "Rename", NULL, "s", argv[1]);
}

static int delete_objects(Ctl *ctl, Kind kind, int argc, char **argv)
{
    bool delete_disks = kind == KIND_VM && take_flag(&argc, argv, "--delete-disks");
    int result = 0;
    int r = check_no_options(&argc, argv);
    if (r)
        return r;
    if (argc < 1)
        return usage_error("%s delete needs a name", kinds[kind].noun);
    for (int i = 0; i < argc; i++) {
        g_autofree char *path = NULL;
        r = ctl_lookup(ctl, kind, argv[i], &path);
        if (!r && kind == KIND_VM)
            r = ctl_call_simple(ctl, path, IFACE_VM, "Delete", NULL, "a{sv}", delete_disks ? 1 : 0,
                                "DeleteDisks", "b", 1);
        else if (!r)
            r = ctl_call_simple(ctl, path, kinds[kind].interface, "Delete", NULL, NULL);
        if (r && !result)
            result = r;
    }
    return result;
}

/* --- storage: methods that come with the storage work --- */

static int not_supported(const char *what, const char *iface, const char *method)
{
    return fail(EXIT_FAILURE, "%s is not supported by this cirrinad (it has no %s.%s)", what, iface,
                method);
}

/* Calls a method the daemon may not have yet; UnknownMethod is "not
 * supported". */
static int call_optional(Ctl *ctl, sd_bus_message *m, const char *what, sd_bus_message **reply)
{
    g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
    int r = sd_bus_call(ctl->bus, m, 10ULL * 60 * 1000 * 1000, &error, reply);
    if (r >= 0)
        return 0;
    if (sd_bus_error_has_name(&error, "org.freedesktop.DBus.Error.UnknownMethod"))
        return not_supported(what, sd_bus_message_get_interface(m), sd_bus_message_get_member(m));
    return fail_bus(&error, r, what);
}

/* disk resize DISK SIZE [--force]: Resize(t size, a{sv} options). */
static int disk_resize(Ctl *ctl, int argc, char **argv)
{
    g_autofree char *path = NULL;
    g_autoptr(sd_bus_message) m = NULL;
    uint64_t size;
    bool force = take_flag(&argc, argv, "--force");
    int r = check_no_options(&argc, argv);
    if (r)
        return r;
    if (argc != 2)
        return usage_error("disk resize needs a disk and a size");
    if (parse_size(argv[1], &size) < 0)
        return fail(EXIT_USAGE, "Size=%s: expected a size in bytes, or with a suffix K, M, G or T",
                    argv[1]);
    r = ctl_lookup(ctl, KIND_DISK, argv[0], &path);
    if (r)
        return r;
    r = api_require_method(ctl, "Resizing disks", IFACE_DISK, path, "Resize", "ta{sv}");
    if (r)
        return r;
    r = ctl_new_call(ctl, path, IFACE_DISK, "Resize", &m);
    if (r)
        return r;
    if (sd_bus_message_append(m, "t", size) < 0 ||
        (force ? sd_bus_message_append(m, "a{sv}", 1, "Force", "b", 1)
               : sd_bus_message_append(m, "a{sv}", 0)) < 0)
        return fail(EXIT_FAILURE, "Failed to build the Resize call");
    return call_optional(ctl, m, "Resizing disks", NULL);
}

/* disk clone DISK NEWNAME [KEY=VALUE...]: Clone(s name, a{sv} options) ->
 * o; the settings override the source's. */
static int disk_clone(Ctl *ctl, int argc, char **argv)
{
    g_autofree char *path = NULL;
    g_autoptr(sd_bus_message) m = NULL, reply = NULL;
    g_autoptr(GVariant) settings = NULL;
    if (argc < 2)
        return usage_error("disk clone needs a disk and the new disk's name");
    int r = ctl_lookup(ctl, KIND_DISK, argv[0], &path);
    if (r)
        return r;
    r = api_require_method(ctl, "Cloning disks", IFACE_DISK, path, "Clone", "sa{sv}");
    if (r)
        return r;
    r = parse_settings(ctl, KIND_DISK, path, argv + 2, argc - 2, &settings);
    if (r)
        return r;
    r = ctl_new_call(ctl, path, IFACE_DISK, "Clone", &m);
    if (r)
        return r;
    if (sd_bus_message_append(m, "s", argv[1]) < 0 || message_append_variant(m, settings) < 0)
        return fail(EXIT_FAILURE, "Failed to build the Clone call");
    r = call_optional(ctl, m, "Cloning disks", &reply);
    if (r)
        return r;
    return created(ctl, KIND_DISK, reply);
}

/* --- the command --- */

int cmd_object(Ctl *ctl, Kind kind, int argc, char **argv)
{
    const char *verb = "list";
    int r;

    if (argc > 0) {
        verb = argv[0];
        argc--;
        argv++;
    }
    if (strcmp(verb, "delete") == 0)
        return delete_objects(ctl, kind, argc, argv);
    if (kind == KIND_DISK && strcmp(verb, "resize") == 0)
        return disk_resize(ctl, argc, argv);
    if (kind == KIND_VM) {
        if (strcmp(verb, "start") == 0 || strcmp(verb, "stop") == 0 || strcmp(verb, "kill") == 0 ||
            strcmp(verb, "reset") == 0)
            return vm_power(ctl, verb, argc, argv);
        if (strcmp(verb, "plan") == 0)
            return vm_plan(ctl, argc, argv);
        if (strcmp(verb, "log") == 0)
            return vm_log(ctl, argc, argv);
        if (strcmp(verb, "console") == 0)
            return vm_console(ctl, argc, argv);
    }
    r = check_no_options(&argc, argv);
    if (r)
        return r;
    if (strcmp(verb, "list") == 0) {
        if (argc)
            return usage_error("%s list takes no arguments", kinds[kind].noun);
        return list_objects(ctl, kind);
    }
    if (strcmp(verb, "show") == 0) {
        g_autofree char *path = NULL;
        if (argc != 1)
            return usage_error("%s show needs one name", kinds[kind].noun);
        r = ctl_lookup(ctl, kind, argv[0], &path);
        return r ? r : object_show_path(ctl, kind, path);
    }
    if ((kind != KIND_ISO && strcmp(verb, "create") == 0) ||
        (kind == KIND_ISO && strcmp(verb, "register") == 0))
        return create_object(ctl, kind, argc, argv);
    if (strcmp(verb, "edit") == 0)
        return edit_object(ctl, kind, argc, argv);
    if (strcmp(verb, "rename") == 0)
        return rename_object(ctl, kind, argc, argv);
    if (kind == KIND_DISK && strcmp(verb, "clone") == 0)
        return disk_clone(ctl, argc, argv);
    if ((kind == KIND_DISK || kind == KIND_ISO) && strcmp(verb, "import") == 0)
        return import_file(ctl, kind, argc, argv);
    return usage_error("unknown command '%s %s'", kinds[kind].noun, verb);
}

/* --- NICs: named by their VM and their number (or MAC) --- */

static int find_nic(Ctl *ctl, const char *vm_path, const char *vm_name, const char *which,
                    char **ret)
{
    g_autoptr(GVariant) vm = object_props(ctl, vm_path, IFACE_VM);
    g_autofree const char **nics = NULL;
    if (!vm)
        return EXIT_FAILURE; /* said why */
    if (!g_variant_lookup(vm, "NICs", "^a&o", &nics))
        return fail(EXIT_FAILURE, "Failed to read the NICs of VM %s", vm_name);
    for (const char **n = nics; *n; n++) {
        const char *num = g_strrstr(*n, "/nic/");
        if (strcmp(*n, which) == 0 || (num && strcmp(num + 5, which) == 0)) {
            *ret = g_strdup(*n);
            return 0;
        }
    }
    /* Not a number: a MAC. */
    for (const char **n = nics; strchr(which, ':') && *n; n++) {
        g_autoptr(GVariant) props = object_props(ctl, *n, IFACE_NIC);
        const char *mac = "";
        if (props)
            g_variant_lookup(props, "MAC", "&s", &mac);
        if (g_ascii_strcasecmp(mac, which) == 0) {
            *ret = g_strdup(*n);
            return 0;
        }
    }
    return fail(EXIT_NOT_FOUND, "VM %s has no NIC '%s'", vm_name, which);
}

static int list_nics(Ctl *ctl, const char *vm_path)
{
    g_autoptr(GVariant) vm = object_props(ctl, vm_path, IFACE_VM);
    g_autofree const char **nics = NULL;
    if (!vm)
        return EXIT_FAILURE; /* said why */
    if (!g_variant_lookup(vm, "NICs", "^a&o", &nics))
        return fail(EXIT_FAILURE, "Failed to read the NICs of the VM");
    g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify)g_variant_unref);
    for (const char **n = nics; *n; n++) {
        GVariant *props = object_props(ctl, *n, IFACE_NIC);
        if (!props)
            return EXIT_FAILURE;
        g_ptr_array_add(all, props);
    }
    if (ctl->json) {
        print_json_list(all);
        return 0;
    }
    if (all->len == 0) {
        printf("No NICs.\n");
        return 0;
    }
    static const char *const headers[] = {"NIC",     "MODEL",    "MAC", "SWITCH",
                                          "RATE-IN", "RATE-OUT", NULL};
    g_autoptr(Table) t = table_new(headers);
    for (guint i = 0; i < all->len; i++) {
        GPtrArray *row = g_ptr_array_new();
        g_ptr_array_add(row, ctl_describe_path(ctl, nics[i]));
        for (const Column *c = nic_columns; c->header; c++)
            g_ptr_array_add(row, cell(ctl, all->pdata[i], c->key));
        g_ptr_array_add(row, NULL);
        table_add(t, (char **)g_ptr_array_free(row, FALSE));
    }
    table_print(t);
    return 0;
}

int cmd_nic(Ctl *ctl, int argc, char **argv)
{
    g_autofree char *vm = NULL, *nic = NULL;
    int r;

    if (argc < 1)
        return usage_error("nic needs a command: list, show, add, edit or remove");
    const char *verb = argv[0];
    argc--;
    argv++;
    r = check_no_options(&argc, argv);
    if (r)
        return r;
    if (argc < 1)
        return usage_error("nic %s needs a VM", verb);
    if (strcmp(verb, "add") && strcmp(verb, "edit") && strcmp(verb, "remove") &&
        strcmp(verb, "list") && strcmp(verb, "show"))
        return usage_error("unknown command 'nic %s'", verb);
    r = ctl_lookup(ctl, KIND_VM, argv[0], &vm);
    if (r)
        return r;

    if (strcmp(verb, "list") == 0) {
        if (argc != 1)
            return usage_error("nic list takes one VM");
        return list_nics(ctl, vm);
    }
    if (strcmp(verb, "add") == 0) {
        g_autoptr(sd_bus_message) m = NULL, reply = NULL;
        g_autoptr(GVariant) settings = NULL;
        r = parse_settings(ctl, KIND_NIC, NULL, argv + 1, argc - 1, &settings);
        if (r)
            return r;
        r = ctl_new_call(ctl, vm, IFACE_VM, "AddNIC", &m);
        if (r)
            return r;
        if (message_append_variant(m, settings) < 0)
            return fail(EXIT_FAILURE, "Failed to build the AddNIC call");
        r = ctl_call(ctl, m, 0, &reply);
        return r ? r : created(ctl, KIND_NIC, reply);
    }
    if (argc < 2)
        return usage_error("nic %s needs a VM and a NIC (its number or MAC)", verb);
    if (strcmp(verb, "remove") == 0) {
        int result = 0;
        for (int i = 1; i < argc; i++) {
            g_autofree char *path = NULL;
            r = find_nic(ctl, vm, argv[0], argv[i], &path);
            if (!r)
                r = ctl_call_simple(ctl, path, IFACE_NIC, "Remove", NULL, NULL);
            if (r && !result)
                result = r;
        }
        return result;
    }
    r = find_nic(ctl, vm, argv[0], argv[1], &nic);
    if (r)
        return r;
    if (strcmp(verb, "show") == 0) {
        if (argc != 2)
            return usage_error("nic show takes a VM and a NIC");
        return object_show_path(ctl, KIND_NIC, nic);
    }
    if (argc < 3)
        return usage_error("nic edit needs a VM, a NIC and settings KEY=VALUE");
    return call_with_settings(ctl, KIND_NIC, nic, "Update", argv + 2, argc - 2);
}

/* --- host --- */

/* host interfaces: what a switch's Uplink may be. */
static int host_interfaces(Ctl *ctl)
{
    g_autoptr(sd_bus_message) m = NULL, reply = NULL;
    g_autoptr(GVariant) names = NULL;
    int r = ctl_new_call(ctl, CIRRINA_PATH, IFACE_MANAGER, "GetHostInterfaces", &m);
    if (r)
        return r;
    r = call_optional(ctl, m, "Listing host interfaces", &reply);
    if (r)
        return r;
    if (message_read_variant(reply, &names) < 0 ||
        !g_variant_is_of_type(names, G_VARIANT_TYPE_STRING_ARRAY))
        return fail(EXIT_FAILURE, "Failed to read the host's interfaces");
    if (ctl->json) {
        print_json_object(names);
        return 0;
    }
    g_autofree const char **list = g_variant_get_strv(names, NULL);
    for (const char **n = list; *n; n++) {
        g_autofree char *shown = escape_text(*n, 0);
        printf("%s\n", shown);
    }
    return 0;
}

int cmd_host(Ctl *ctl, int argc, char **argv)
{
    g_autoptr(GVariant) manager = NULL;
    int r;

    if (argc == 1 && strcmp(argv[0], "interfaces") == 0)
        return host_interfaces(ctl);
    if (argc > 1 || (argc == 1 && strcmp(argv[0], "info") != 0))
        return usage_error("unknown command 'host %s'", argv[0]);
    r = ctl_get_all(ctl, CIRRINA_PATH, IFACE_MANAGER, &manager);
    if (r)
        return r;
    r = ctl_load_objects(ctl);
    if (r)
        return r;

    guint32 vms = 0, running = 0;
    GVariantIter iter;
    const char *path;
    g_variant_iter_init(&iter, ctl->objects);
    while (g_variant_iter_next(&iter, "{&o@a{sa{sv}}}", &path, NULL)) {
        g_autoptr(GVariant) props = ctl_object_props(ctl, path, IFACE_VM);
        const char *state = NULL;
        if (!props)
            continue;
        vms++;
        if (g_variant_lookup(props, "State", "&s", &state) && strcmp(state, "stopped") != 0)
            running++;
    }

    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
    g_variant_builder_add(&b, "{sv}", "Host",
                          g_variant_new_string(ctl->host ? ctl->host : g_get_host_name()));
    g_variant_builder_add(&b, "{sv}", "Bus",
                          g_variant_new_string(ctl->system ? "system" : "session"));
    GVariant *value;
    const char *key;
    g_variant_iter_init(&iter, manager);
    while (g_variant_iter_next(&iter, "{&sv}", &key, &value)) {
        g_variant_builder_add(&b, "{sv}", key, value);
        g_variant_unref(value);
    }
    g_variant_builder_add(&b, "{sv}", "VMs", g_variant_new_uint32(vms));
    g_variant_builder_add(&b, "{sv}", "VMsRunning", g_variant_new_uint32(running));
    g_autoptr(GVariant) info = g_variant_ref_sink(g_variant_builder_end(&b));
    if (ctl->json)
        print_json_object(info);
    else
        print_properties(ctl, info);
    return 0;
}
