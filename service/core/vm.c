/* The VM kind: its properties, defaults and whole-object checks. */
#include <string.h>

#include "core/errors.h"
#include "core/object.h"
#include "core/registry.h"

#define MiB           (UINT64_C(1) << 20)
#define TiB           (UINT64_C(1) << 40)
#define VM_MAX_CPUS   256
#define HOST_MAX_CPUS 1024

static const char *const restart_policies[] = {"no", "on-failure", "always", NULL};
static const char *const clocks[] = {"utc", "localtime", NULL};
static const char *const displays[] = {"vnc", "none", NULL};
static const char *const vga_modes[] = {"io", "on", "off", NULL};
static const char *const states[] = {"stopped", "starting", "running", "stopping", NULL};

static bool check_memory(const Field *f, GVariant *value, GError **error)
{
    uint64_t n = g_variant_get_uint64(value);

    if (n % MiB != 0) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "%s=%" G_GUINT64_FORMAT " is not a multiple of 1 MiB (1048576 bytes)", f->name,
                    n);
        return false;
    }
    return true;
}

static bool check_password(const Field *f, GVariant *value, GError **error)
{
    const char *s = g_variant_get_string(value, NULL);
    size_t n = strlen(s);

    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e || s[i] == ',') {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "%s may hold only printable ASCII characters other than ','", f->name);
            return false;
        }
    if (n > 64) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "%s is %zu characters long; at most 64 are allowed", f->name, n);
        return false;
    }
    return true;
}

static bool path_is_clean_absolute(const char *path)
{
    if (path[0] != '/' || strlen(path) > 1024)
        return false;
    g_auto(GStrv) parts = g_strsplit(path, "/", -1);
    for (char **p = parts; *p; p++)
        if (strcmp(*p, "..") == 0 || strcmp(*p, ".") == 0)
            return false;
    for (const char *c = path; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == ',' || *c == '=')
            return false;
    return true;
}

static bool check_shares(const Field *f, GVariant *value, GError **error)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    GVariantIter iter;
    const char *name, *path;
    gboolean ro;

    if (g_variant_n_children(value) > VM_MAX_SHARES) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "%s lists %zu shares; at most %d are allowed", f->name,
                    g_variant_n_children(value), VM_MAX_SHARES);
        return false;
    }
    g_variant_iter_init(&iter, value);
    while (g_variant_iter_next(&iter, "(&s&sb)", &name, &path, &ro)) {
        if (!check_object_name("share", name, 31, error)) {
            g_prefix_error(error, "%s: ", f->name);
            return false;
        }
        if (!g_hash_table_add(seen, (char *)name)) {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "%s names the share '%s' twice", f->name, name);
            return false;
        }
        if (!path_is_clean_absolute(path)) {
            g_autofree char *shown = g_strescape(path, NULL);
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "%s: the path '%.128s' of share '%s' must be absolute, without '.', '..', "
                        "',' or '=' parts, and at most 1024 bytes",
                        f->name, shown, name);
            return false;
        }
    }
    return true;
}

static const Field vm_fields[] = {
    FIELD_STR("UUID", "s", offsetof(CirObject, uuid), FIELD_CONST, "uuid"),
    FIELD_STR("Name", "s", offsetof(CirObject, name), 0, "name"),
    FIELD_STR("Description", "s", offsetof(CirVM, description), FIELD_WRITABLE | FIELD_LIVE,
              "description", .check = field_check_description),
    FIELD_STR("Group", "s", offsetof(CirVM, group), FIELD_WRITABLE | FIELD_LIVE, "vm_group",
              .check = field_check_group),
    FIELD_STR("State", "s", offsetof(CirVM, state), FIELD_NOT_STORED, NULL, .choices = states),
    FIELD_STR("ExitReason", "s", offsetof(CirVM, exit_reason), 0, "exit_reason"),
    FIELD_U32("CPUs", offsetof(CirVM, cpus), FIELD_WRITABLE, "cpus", 1, VM_MAX_CPUS),
    FIELD_U32("Sockets", offsetof(CirVM, sockets), FIELD_WRITABLE, "sockets", 1, VM_MAX_CPUS),
    FIELD_U32("Cores", offsetof(CirVM, cores), FIELD_WRITABLE, "cores", 1, VM_MAX_CPUS),
    FIELD_U32("Threads", offsetof(CirVM, threads), FIELD_WRITABLE, "threads", 1, VM_MAX_CPUS),
    FIELD_VAR("CPUPins", "a(uu)", offsetof(CirVM, cpu_pins), FIELD_WRITABLE, "cpu_pins"),
    FIELD_U64("Memory", offsetof(CirVM, memory), FIELD_WRITABLE, "memory", 32 * MiB, 4 * TiB,
              .check = check_memory),
    FIELD_BOOL("MemoryWired", offsetof(CirVM, memory_wired), FIELD_WRITABLE, "memory_wired"),
    FIELD_BOOL("Autostart", offsetof(CirVM, autostart), FIELD_WRITABLE | FIELD_LIVE, "autostart"),
    FIELD_U32("AutostartDelay", offsetof(CirVM, autostart_delay), FIELD_WRITABLE | FIELD_LIVE,
              "autostart_delay", 0, 3600),
    FIELD_STR("RestartPolicy", "s", offsetof(CirVM, restart_policy), FIELD_WRITABLE | FIELD_LIVE,
              "restart_policy", .choices = restart_policies),
    FIELD_STR("Clock", "s", offsetof(CirVM, clock), FIELD_WRITABLE, "clock", .choices = clocks),
    FIELD_BOOL("IgnoreUnknownMSRs", offsetof(CirVM, ignore_unknown_msrs), FIELD_WRITABLE,
               "ignore_unknown_msrs"),
    FIELD_BOOL("VMExitOnHLT", offsetof(CirVM, vmexit_on_hlt), FIELD_WRITABLE, "vmexit_on_hlt"),
    FIELD_STR("Display", "s", offsetof(CirVM, display), FIELD_WRITABLE, "display",
              .choices = displays),
    FIELD_U32("DisplayWidth", offsetof(CirVM, display_width), FIELD_WRITABLE, "display_width", 640,
              3840),
    FIELD_U32("DisplayHeight", offsetof(CirVM, display_height), FIELD_WRITABLE, "display_height",
              480, 2160),
    FIELD_BOOL("DisplayWait", offsetof(CirVM, display_wait), FIELD_WRITABLE, "display_wait"),
    FIELD_STR("DisplayVGA", "s", offsetof(CirVM, display_vga), FIELD_WRITABLE, "display_vga",
              .choices = vga_modes),
    FIELD_STR("DisplayPassword", "s", offsetof(CirVM, display_password),
              FIELD_WRITABLE | FIELD_HIDDEN, "display_password", .check = check_password),
    {.name = "DisplayPasswordSet", .dbus_type = "b", .flags = FIELD_DERIVED},
    FIELD_BOOL("Tablet", offsetof(CirVM, tablet), FIELD_WRITABLE, "tablet"),
    FIELD_BOOL("Sound", offsetof(CirVM, sound), FIELD_WRITABLE, "sound"),
    FIELD_BOOL("RNG", offsetof(CirVM, rng), FIELD_WRITABLE, "rng"),
    FIELD_U32("SerialPorts", offsetof(CirVM, serial_ports), FIELD_WRITABLE, "serial_ports", 0, 4),
    FIELD_VAR("Shares", "a(ssb)", offsetof(CirVM, shares), FIELD_WRITABLE, "shares",
              .check = check_shares),
    /* Lists of references live in join tables named by .column. */
    FIELD_VAR("Disks", "ao", offsetof(CirVM, disks), FIELD_WRITABLE, "vm_disks",
              .ref_kind = KIND_DISK),
    FIELD_VAR("ISOs", "ao", offsetof(CirVM, isos), FIELD_WRITABLE, "vm_isos", .ref_kind = KIND_ISO),
    {.name = "NICs", .dbus_type = "ao", .flags = FIELD_DERIVED, .ref_kind = KIND_NIC},
};

static void vm_init(CirObject *obj)
{
    CirVM *vm = (CirVM *)obj;

    vm->description = g_strdup("");
    vm->group = g_strdup("");
    vm->state = g_strdup("stopped");
    vm->exit_reason = g_strdup("");
    vm->cpus = vm->sockets = vm->cores = vm->threads = 1;
    vm->memory = 1024 * MiB;
    vm->restart_policy = g_strdup("no");
    vm->clock = g_strdup("utc");
    vm->ignore_unknown_msrs = 1;
    vm->vmexit_on_hlt = 1;
    vm->display = g_strdup("vnc");
    vm->display_width = 1024;
    vm->display_height = 768;
    vm->display_vga = g_strdup("io");
    vm->display_password = g_strdup("");
    vm->tablet = 1;
    vm->serial_ports = 1;
}

static bool vm_validate_topology(CirVM *vm, GHashTable *changes, GError **error)
{
    bool has_cpus = g_hash_table_contains(changes, "CPUs");
    bool has_topology = g_hash_table_contains(changes, "Sockets") ||
                        g_hash_table_contains(changes, "Cores") ||
                        g_hash_table_contains(changes, "Threads");
    uint64_t product = (uint64_t)vm->sockets * vm->cores * vm->threads;

    if (has_cpus && !has_topology) {
        vm->sockets = vm->cpus;
        vm->cores = vm->threads = 1;
        return true;
    }
    if (product > VM_MAX_CPUS) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "Sockets=%u x Cores=%u x Threads=%u makes %" G_GUINT64_FORMAT
                    " CPUs; at most %d are allowed",
                    vm->sockets, vm->cores, vm->threads, product, VM_MAX_CPUS);
        return false;
    }
    if (has_cpus && vm->cpus != product) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "CPUs=%u does not match Sockets=%u x Cores=%u x Threads=%u", vm->cpus,
                    vm->sockets, vm->cores, vm->threads);
        return false;
    }
    vm->cpus = product;
    return true;
}

static bool vm_validate_pins(CirVM *vm, GError **error)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL);
    GVariantIter iter;
    uint32_t vcpu, hostcpu;

    if (!vm->cpu_pins)
        return true;
    g_variant_iter_init(&iter, vm->cpu_pins);
    while (g_variant_iter_next(&iter, "(uu)", &vcpu, &hostcpu)) {
        if (vcpu >= vm->cpus) {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "CPUPins: virtual CPU %u does not exist (CPUs=%u)", vcpu, vm->cpus);
            return false;
        }
        if (hostcpu >= HOST_MAX_CPUS) {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "CPUPins: host CPU %u is out of range (0 to %d)", hostcpu,
                        HOST_MAX_CPUS - 1);
            return false;
        }
        if (!g_hash_table_add(seen, GUINT_TO_POINTER(vcpu + 1))) {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "CPUPins: virtual CPU %u is pinned twice", vcpu);
            return false;
        }
    }
    return true;
}

/* Checks a list of references: each exists, none twice, not too many. */
static bool vm_validate_refs(Registry *reg, CirVM *vm, GVariant *list, ObjectKind kind,
                             const char *field, size_t max, GError **error)
{
    g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
    const ObjectClass *c = object_class(kind);
    GVariantIter iter;
    const char *uuid;

    if (!list)
        return true;
    if (g_variant_n_children(list) > max) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "%s lists %zu %ss; at most %zu are allowed", field, g_variant_n_children(list),
                    c->label, max);
        return false;
    }
    g_variant_iter_init(&iter, list);
    while (g_variant_iter_next(&iter, "&s", &uuid)) {
        CirObject *ref = registry_lookup(reg, kind, uuid);
        if (!ref) {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_NOT_FOUND,
                        "%s: there is no %s with UUID '%s'", field, c->label, uuid);
            return false;
        }
        if (!g_hash_table_add(seen, (char *)uuid)) {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "%s lists the %s '%s' twice", field, c->label, ref->name);
            return false;
        }
        if (kind == KIND_DISK) {
            const char *owner = registry_disk_owner(reg, uuid);
            if (owner && strcmp(owner, vm->base.uuid) != 0) {
                CirObject *other = registry_lookup(reg, KIND_VM, owner);
                g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_BUSY,
                            "%s: the disk '%s' is attached to the VM '%s'", field, ref->name,
                            other ? other->name : owner);
                return false;
            }
        }
    }
    return true;
}

static bool vm_validate(Registry *reg, CirObject *obj, const CirObject *old, GHashTable *changes,
                        GError **error)
{
    CirVM *vm = (CirVM *)obj;

    return vm_validate_topology(vm, changes, error) && vm_validate_pins(vm, error) &&
           vm_validate_refs(reg, vm, vm->disks, KIND_DISK, "Disks", VM_MAX_DISKS, error) &&
           vm_validate_refs(reg, vm, vm->isos, KIND_ISO, "ISOs", VM_MAX_ISOS, error);
}

static GVariant *vm_get_derived(Registry *reg, const CirObject *obj, const Field *f)
{
    const CirVM *vm = (const CirVM *)obj;

    if (strcmp(f->name, "DisplayPasswordSet") == 0)
        return g_variant_new_boolean(vm->display_password && vm->display_password[0]);
    /* NICs, in the order of their index */
    GPtrArray *nics = registry_vm_nics(reg, obj->uuid);
    GVariantBuilder b;
    g_variant_builder_init(&b, G_VARIANT_TYPE_STRING_ARRAY);
    for (guint i = 0; nics && i < nics->len; i++)
        g_variant_builder_add(&b, "s", ((CirObject *)nics->pdata[i])->uuid);
    return g_variant_builder_end(&b);
}

const ObjectClass vm_class = {
    .kind = KIND_VM,
    .label = "VM",
    .table = "vms",
    .size = sizeof(CirVM),
    .name_max = VM_NAME_MAX,
    .fields = vm_fields,
    .n_fields = G_N_ELEMENTS(vm_fields),
    .init = vm_init,
    .validate = vm_validate,
    .get_derived = vm_get_derived,
};
