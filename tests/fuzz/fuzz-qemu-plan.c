/* The QEMU driver's plan (hv/qemu.c) of a VM made from fuzzed settings
 * (see fuzz-plan.h for the input), on a Linux model.
 *
 * QEMU reads most options as "key=value,key=value" (QemuOpts), where ",,"
 * stands for a comma inside a value. A path with a comma written as it is
 * would end its value early and smuggle in options of its own
 * ("file=/a.iso,if=pflash"). So every option argument is parsed here the
 * way QEMU parses it, and what must hold is:
 * - every option is one the driver uses, and each of its keys is one that
 *   option takes, given once;
 * - options without keys (-m, -cpu, -uuid, -display) hold no comma;
 * - every path reads back as a path the daemon chose: a disk's image in
 *   the disk directory, a registered ISO, the firmware, the UEFI vars in
 *   the VM's state directory, a share the VM was given, sockets in the
 *   VM's run directory;
 * - the name is the VM's; the plan is the same when made again. */
#include <string.h>

#include "fuzz-common.h"
#include "fuzz-plan.h"
#include "fuzz-qemu-opts.h"

static bool is_disk_path(FuzzVm *vm, const char *path)
{
    for (guint i = 0; i < vm->disks->len; i++) {
        g_autofree char *own =
            registry_disk_path(vm->m->reg, ((CirObject *)vm->disks->pdata[i])->uuid);
        if (strcmp(path, own) == 0)
            return fuzz_path_is_under(path, vm->m->disk_dir);
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

static void check_values(FuzzVm *vm, const char *option, GHashTable *opts)
{
    g_autofree char *run_dir = g_build_filename(vm->m->run_dir, "vm", vm->vm->uuid, NULL);
    g_autofree char *state_dir = g_build_filename(vm->m->state_dir, "vm", vm->vm->uuid, NULL);
    const char *file = g_hash_table_lookup(opts, "file");
    const char *path = g_hash_table_lookup(opts, "path");
    const char *vnc = g_hash_table_lookup(opts, "vnc");
    const char *guest = g_hash_table_lookup(opts, "guest");

    if (strcmp(option, "-drive") == 0)
        FUZZ_CHECK(file && (is_disk_path(vm, file) || is_iso_path(vm, file) ||
                            strcmp(file, "/usr/share/OVMF/OVMF_CODE_4M.fd") == 0 ||
                            fuzz_path_is_under(file, state_dir)),
                   "-drive file=%s is no file the daemon chose", file ? file : "(none)");
    if (strcmp(option, "-fsdev") == 0)
        FUZZ_CHECK(path && is_share_path(vm, path), "-fsdev path=%s is no share of the VM",
                   path ? path : "(none)");
    if (strcmp(option, "-chardev") == 0)
        FUZZ_CHECK(path && fuzz_path_is_under(path, run_dir), "-chardev path=%s is outside %s",
                   path ? path : "(none)", run_dir);
    if (vnc)
        FUZZ_CHECK(g_str_has_prefix(vnc, "unix:") && fuzz_path_is_under(vnc + 5, run_dir),
                   "-vnc %s is not a socket in %s", vnc, run_dir);
    if (guest)
        FUZZ_CHECK(strcmp(guest, vm->vm->name) == 0, "-name guest=%s, not the VM's name", guest);
}

static void check_plan(FuzzVm *vm, const HvPlan *plan)
{
    char **argv = (char **)plan->argv->pdata;
    guint n = plan->argv->len;

    FUZZ_CHECK(n > 0 && strcmp(argv[0], "qemu-system-x86_64") == 0,
               "argv does not start with the QEMU binary");
    FUZZ_CHECK(g_hash_table_size(plan->files) == 0, "the QEMU plan writes files");
    for (guint i = 1; i < n; i++) {
        if (strcmp(argv[i], "-nodefaults") == 0 || strcmp(argv[i], "-no-user-config") == 0)
            continue;
        const QemuOptionSyntax *syntax = fuzz_qemu_option(argv[i]);
        FUZZ_CHECK(syntax, "'%s' is no option the driver uses", argv[i]);
        FUZZ_CHECK(i + 1 < n, "%s has no argument", argv[i]);
        const char *arg = argv[++i];
        if (!syntax->keys) {
            FUZZ_CHECK(!strchr(arg, ','), "%s '%s' holds a comma", syntax->option, arg);
            continue;
        }
        g_autoptr(GHashTable) opts = fuzz_qemu_parse_opts(syntax, arg);
        check_values(vm, syntax->option, opts);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) error = NULL;
    FuzzVm vm;

    fuzz_vm_make(&vm, "linux", data, size);
    if (vm.vm) {
        g_autoptr(HvPlan) plan = lifecycle_plan(vm.m->lc, vm.vm, "qemu", &error);
        if (plan) {
            fuzz_note("planned, %u arguments", plan->argv->len);
            check_plan(&vm, plan);
            fuzz_check_plan_is_pure(&vm, "qemu", plan);
        } else {
            FUZZ_CHECK(error && g_utf8_validate(error->message, -1, NULL),
                       "a refused plan without a readable error");
            fuzz_note("no plan: %s", error->message);
        }
    }
    fuzz_vm_clear(&vm);
    return 0;
}
