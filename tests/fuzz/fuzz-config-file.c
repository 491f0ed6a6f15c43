/* cirrinad.conf (service/config-file.c, a GKeyFile), then the plans of
 * both drivers with what it set: its paths end up in QEMU's options and
 * in bhyve's config file.
 *
 * Input: the file's bytes. Even-sized inputs load in --system mode,
 * odd-sized ones in --session mode.
 *
 * What must hold: no crash, leak or undefined behaviour; a refused file
 * says why; a loaded one has a known hypervisor and accelerator
 * and absolute directories; a QEMU plan reads back (as QEMU parses its
 * options) the firmware, the UEFI vars and the sockets where the file put
 * them, whatever characters its paths hold; a bhyve plan, when made, has
 * one "key=value" per line. */
#define _GNU_SOURCE
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "config-file.h"
#include "fuzz-common.h"
#include "fuzz-model.h"
#include "fuzz-qemu-opts.h"

/* The input as a file, without touching the disk. */
static char *input_file(const uint8_t *data, size_t size)
{
    static int fd = -1;

    if (fd < 0)
        fd = memfd_create("cirrinad.conf", MFD_CLOEXEC);
    FUZZ_CHECK(fd >= 0 && ftruncate(fd, 0) == 0 && pwrite(fd, data, size, 0) == (ssize_t)size,
               "memfd: %s", g_strerror(errno));
    return g_strdup_printf("/proc/self/fd/%d", fd);
}

static void check_qemu_plan(const DaemonConfig *c, const HvPlan *plan, const char *uuid)
{
    g_autofree char *run_dir = g_build_filename(c->run_dir, "vm", uuid, NULL);
    g_autofree char *vars = g_build_filename(c->state_dir, "vm", uuid, "uefi-vars.fd", NULL);
    char **argv = (char **)plan->argv->pdata;
    unsigned pflash = 0;

    FUZZ_CHECK(strcmp(argv[0], c->qemu_binary) == 0, "argv[0] is not [qemu] Binary");
    for (guint i = 1; i + 1 < plan->argv->len; i++) {
        const QemuOptionSyntax *syntax = fuzz_qemu_option(argv[i]);
        if (!syntax || !syntax->keys)
            continue;
        g_autoptr(GHashTable) opts = fuzz_qemu_parse_opts(syntax, argv[++i]);
        const char *file = g_hash_table_lookup(opts, "file");
        const char *unit = g_hash_table_lookup(opts, "unit");
        const char *path = g_hash_table_lookup(opts, "path");
        if (g_strcmp0(g_hash_table_lookup(opts, "if"), "pflash") == 0) {
            const char *want = g_strcmp0(unit, "0") == 0 ? c->uefi_code : vars;
            FUZZ_CHECK(g_strcmp0(file, want) == 0, "pflash unit %s reads as '%s', not '%s'", unit,
                       file, want);
            pflash++;
        }
        if (strcmp(syntax->option, "-chardev") == 0)
            FUZZ_CHECK(path && g_str_has_prefix(path, run_dir) && path[strlen(run_dir)] == '/',
                       "-chardev path=%s is not in %s", path, run_dir);
    }
    FUZZ_CHECK(pflash == 2, "%u pflash drives read back", pflash);
}

static void check_bhyve_plan(const HvPlan *plan)
{
    GHashTableIter iter;
    gpointer text;

    g_hash_table_iter_init(&iter, plan->files);
    while (g_hash_table_iter_next(&iter, NULL, &text)) {
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        for (char **l = lines + 1; *l && **l; l++) {
            const char *eq = strchr(*l, '=');
            FUZZ_CHECK(eq && eq != *l &&
                           strspn(*l, "abcdefghijklmnopqrstuvwxyz0123456789._") ==
                               (size_t)(eq - *l),
                       "the line '%s' is not key=value", *l);
        }
    }
}

static void plan_with(const DaemonConfig *c)
{
    FuzzModel *m = fuzz_model("linux");
    CirObject *vm = registry_lookup(m->reg, KIND_VM, FIX_VM);
    const LifecycleConfig config = {
        .run_dir = c->run_dir,
        .state_dir = c->state_dir,
        .hypervisor = c->hypervisor,
        .uefi_code = c->uefi_code,
        .uefi_vars = c->uefi_vars,
        .qemu_binary = c->qemu_binary,
        .accelerator = "tcg", /* "auto" would probe /dev/kvm every time */
        .network = NULL,
    };
    g_autoptr(Lifecycle) lc = lifecycle_new(m->reg, &config);
    g_autoptr(GError) error = NULL;
    g_autoptr(HvPlan) qemu = lifecycle_plan(lc, vm, "qemu", &error);

    FUZZ_CHECK(qemu, "no QEMU plan: %s", error->message);
    check_qemu_plan(c, qemu, vm->uuid);
    g_autoptr(HvPlan) bhyve = lifecycle_plan(lc, vm, "bhyve", &error);
    if (bhyve)
        check_bhyve_plan(bhyve);
    else
        FUZZ_CHECK(g_utf8_validate(error->message, -1, NULL), "the bhyve error is not UTF-8");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *path = input_file(data, size);
    g_autoptr(GError) error = NULL;

    fuzz_init_logging();
    g_autoptr(DaemonConfig) c = daemon_config_load(size % 2 == 0, path, &error);
    if (!c) {
        /* Only said on stderr at startup: GKeyFile's own messages quote
         * the offending line as it is, UTF-8 or not. */
        FUZZ_CHECK(error && error->message[0], "a refused file without an error");
        fuzz_note("refused: %s", error->message);
        return 0;
    }
    fuzz_note("loaded: hypervisor %s, run dir %s", c->hypervisor, c->run_dir);
    FUZZ_CHECK(strcmp(c->hypervisor, "qemu") == 0 || strcmp(c->hypervisor, "bhyve") == 0,
               "Hypervisor=%s", c->hypervisor);
    FUZZ_CHECK(strcmp(c->qemu_accelerator, "auto") == 0 ||
                   strcmp(c->qemu_accelerator, "kvm") == 0 ||
                   strcmp(c->qemu_accelerator, "tcg") == 0,
               "Accelerator=%s", c->qemu_accelerator);
    const char *dirs[] = {c->state_dir, c->disk_dir, c->iso_dir, c->run_dir};
    for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++)
        FUZZ_CHECK(g_path_is_absolute(dirs[i]), "the directory '%s' is relative", dirs[i]);
    const char *strings[] = {c->uefi_code, c->uefi_vars, c->qemu_binary,
                             c->zfs_dataset ? c->zfs_dataset : ""};
    for (size_t i = 0; i < G_N_ELEMENTS(strings); i++)
        FUZZ_CHECK(g_utf8_validate(strings[i], -1, NULL), "a setting is not UTF-8");
    plan_with(c);
    return 0;
}
