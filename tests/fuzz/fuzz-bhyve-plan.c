/* The bhyve driver's plan (hv/bhyve.c) of a VM made from fuzzed settings
 * (see fuzz-plan.h for the input), on a FreeBSD model: zvol disks and
 * netgraph switches exist there.
 *
 * What must hold of every plan (a refused one must say why):
 * - argv is: bhyve, then -p VCPU:HOSTCPU pairs, then -k CONFIG NAME, with
 *   NAME the VM's name and CONFIG the one file written, in the VM's run
 *   directory;
 * - the config: a '#' comment line, then only "key=value" lines: keys of
 *   [a-z0-9._] only, each once, so no value made a line or a key of its
 *   own; no control character anywhere; every '%' doubled (bhyve expands
 *   "%(var)"); every PCI slot between 0 and 31;
 * - every path it names is one the daemon chose: a disk's image (in the
 *   disk directory or the zvol's device), a registered ISO, a share the VM
 *   was given, the UEFI vars in the VM's state directory, the firmware, an
 *   nmdm device, or a netgraph node;
 * - the plan is the same when made again. */
#include <string.h>

#include "fuzz-common.h"
#include "fuzz-plan.h"

static bool key_is_plain(const char *key, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!(g_ascii_islower(key[i]) || g_ascii_isdigit(key[i]) || key[i] == '.' || key[i] == '_'))
            return false;
    return true;
}

/* The value bhyve reads: "%%" is '%'; a lone '%' is refused. */
static char *unescape_value(const char *value)
{
    GString *out = g_string_new(NULL);

    for (const char *p = value; *p; p++) {
        if (*p == '%') {
            FUZZ_CHECK(p[1] == '%', "a lone '%%' in the value '%s'", value);
            p++;
        }
        g_string_append_c(out, *p);
    }
    return g_string_free(out, FALSE);
}

static bool is_disk_path(FuzzVm *vm, const char *path)
{
    for (guint i = 0; i < vm->disks->len; i++) {
        g_autofree char *own =
            registry_disk_path(vm->m->reg, ((CirObject *)vm->disks->pdata[i])->uuid);
        if (strcmp(path, own) == 0)
            return fuzz_path_is_under(path, vm->m->disk_dir) ||
                   g_str_has_prefix(path, "/dev/zvol/");
    }
    return false;
}

static bool is_iso_path(FuzzVm *vm, const char *path)
{
    for (guint i = 0; i < vm->isos->len; i++)
        if (strcmp(path, ((CirISO *)vm->isos->pdata[i])->path) == 0)
            return fuzz_path_is_under(path, vm->m->files_dir);
    return false;
}

static bool is_share_path(FuzzVm *vm, const char *path)
{
    for (guint i = 0; i < vm->shares->len; i++)
        if (strcmp(path, vm->shares->pdata[i]) == 0)
            return true;
    return false;
}

static void check_path(FuzzVm *vm, const char *key, const char *path, const char *vm_state_dir)
{
    bool ok;

    if (g_str_has_prefix(key, "pci.") && g_str_has_suffix(key, ".path"))
        ok = is_disk_path(vm, path) || is_iso_path(vm, path) || is_share_path(vm, path) ||
             (g_str_has_prefix(path, "cirng") && g_str_has_suffix(path, ":"));
    else if (strcmp(key, "lpc.bootvars") == 0)
        ok = fuzz_path_is_under(path, vm_state_dir);
    else if (strcmp(key, "lpc.bootrom") == 0)
        ok = strcmp(path, "/usr/share/OVMF/OVMF_CODE_4M.fd") == 0;
    else if (g_str_has_prefix(key, "lpc.com"))
        ok = g_str_has_prefix(path, "/dev/nmdm-") && !strchr(path + 1 + 4, '/');
    else
        ok = true;
    FUZZ_CHECK(ok, "%s=%s is no path the daemon chose", key, path);
}

static void check_config(FuzzVm *vm, const char *text)
{
    g_autoptr(GHashTable) keys = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    g_autofree char *state_dir = g_build_filename(vm->m->state_dir, "vm", vm->vm->uuid, NULL);
    g_auto(GStrv) lines = NULL;

    FUZZ_CHECK(g_str_has_prefix(text, "# ") && g_str_has_suffix(text, "\n"),
               "the config is not a comment line and lines");
    for (const char *p = text; *p; p++)
        FUZZ_CHECK(((unsigned char)*p >= 0x20 && *p != 0x7f) || *p == '\n',
                   "a control character 0x%02x in the config", (unsigned char)*p);
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines + 1; *l && **l; l++) {
        const char *eq = strchr(*l, '=');
        FUZZ_CHECK(eq && key_is_plain(*l, (size_t)(eq - *l)), "the line '%s' is not key=value", *l);
        char *key = g_strndup(*l, (gsize)(eq - *l));
        FUZZ_CHECK(g_hash_table_add(keys, key), "the key %s is written twice", key);
        if (g_str_has_prefix(key, "pci.")) {
            guint64 bus, slot;
            g_auto(GStrv) parts = g_strsplit(key, ".", 4);
            FUZZ_CHECK(g_strv_length(parts) == 4 &&
                           g_ascii_string_to_unsigned(parts[1], 10, 0, 0, &bus, NULL) &&
                           g_ascii_string_to_unsigned(parts[2], 10, 0, 31, &slot, NULL) &&
                           g_str_has_prefix(parts[3], "0."),
                       "%s is not pci.0.SLOT.0.*", key);
        }
        g_autofree char *value = unescape_value(eq + 1);
        if (g_str_has_suffix(key, "path") || g_str_has_prefix(key, "lpc.boot"))
            check_path(vm, key, value, state_dir);
        if (strcmp(key, "name") == 0)
            FUZZ_CHECK(strcmp(value, vm->vm->name) == 0, "name=%s, not the VM's", value);
        if (strcmp(key, "uuid") == 0)
            FUZZ_CHECK(strcmp(value, vm->vm->uuid) == 0, "uuid=%s, not the VM's", value);
    }
    FUZZ_CHECK(g_hash_table_contains(keys, "pci.0.31.0.device"), "no LPC in slot 31");
}

static void check_plan(FuzzVm *vm, const HvPlan *plan)
{
    g_autofree char *run_dir = g_build_filename(vm->m->run_dir, "vm", vm->vm->uuid, NULL);
    char **argv = (char **)plan->argv->pdata;
    guint n = plan->argv->len, i = 1;
    GHashTableIter iter;
    gpointer path, contents;

    FUZZ_CHECK(n >= 4 && strcmp(argv[0], "bhyve") == 0, "argv does not start with bhyve");
    for (; i + 1 < n && strcmp(argv[i], "-p") == 0; i += 2) {
        guint32 vcpu, host;
        char tail;
        FUZZ_CHECK(sscanf(argv[i + 1], "%u:%u%c", &vcpu, &host, &tail) == 2,
                   "-p '%s' is not VCPU:HOSTCPU", argv[i + 1]);
    }
    FUZZ_CHECK(i + 3 == n && strcmp(argv[i], "-k") == 0, "argv does not end in -k CONFIG NAME");
    FUZZ_CHECK(strcmp(argv[i + 2], vm->vm->name) == 0, "bhyve's VM name is '%s', not '%s'",
               argv[i + 2], vm->vm->name);
    FUZZ_CHECK(g_hash_table_size(plan->files) == 1, "%u files, not the config alone",
               g_hash_table_size(plan->files));
    contents = g_hash_table_lookup(plan->files, argv[i + 1]);
    FUZZ_CHECK(contents, "-k %s is not the file written", argv[i + 1]);
    FUZZ_CHECK(fuzz_path_is_under(argv[i + 1], run_dir), "the config %s is outside %s", argv[i + 1],
               run_dir);
    check_config(vm, contents);
    g_hash_table_iter_init(&iter, plan->copies);
    while (g_hash_table_iter_next(&iter, &path, NULL))
        FUZZ_CHECK(g_str_has_prefix(path, vm->m->state_dir), "a copy to %s", (char *)path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    FuzzVm vm;

    fuzz_vm_make(&vm, "freebsd", data, size);
    if (vm.vm) {
        g_autoptr(HvPlan) plan = lifecycle_plan(vm.m->lc, vm.vm, "bhyve", &error);
        if (plan) {
            fuzz_note("planned, %u arguments", plan->argv->len);
            check_plan(&vm, plan);
            fuzz_check_plan_is_pure(&vm, "bhyve", plan);
        } else {
            FUZZ_CHECK(error && g_utf8_validate(error->message, -1, NULL),
                       "a refused plan without a readable error");
            fuzz_note("no plan: %s", error->message);
        }
    }
    fuzz_vm_clear(&vm);
    return 0;
}
