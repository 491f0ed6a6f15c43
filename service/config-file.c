#include "config-file.h"

#include "config.h"
#include "core/errors.h"

#ifdef __FreeBSD__
#define HOST_OS           "freebsd"
#define DEFAULT_UEFI_CODE "/usr/local/share/uefi-firmware/BHYVE_UEFI_CODE.fd"
#define DEFAULT_UEFI_VARS "/usr/local/share/uefi-firmware/BHYVE_UEFI_VARS.fd"
#else
#define HOST_OS           "linux"
#define DEFAULT_UEFI_CODE "/usr/share/OVMF/OVMF_CODE_4M.fd"
#define DEFAULT_UEFI_VARS "/usr/share/OVMF/OVMF_VARS_4M.fd"
#endif

static const char *const known_keys[] = {
    "cirrinad/StateDirectory",
    "cirrinad/DiskDirectory",
    "cirrinad/ISODirectory",
    "cirrinad/RunDirectory",
    "cirrinad/Hypervisor",
    "firmware/UEFICode",
    "firmware/UEFIVars",
    "qemu/Binary",
    "qemu/Accelerator",
    "storage/ZFSDataset",
    NULL,
};

static void take_string(GKeyFile *kf, const char *group, const char *key, char **target)
{
    g_autofree char *value = g_key_file_get_string(kf, group, key, NULL);

    if (value && value[0]) {
        g_free(*target);
        *target = g_steal_pointer(&value);
    }
}

static void warn_unknown_keys(GKeyFile *kf, const char *path)
{
    g_auto(GStrv) groups = g_key_file_get_groups(kf, NULL);

    for (char **g = groups; *g; g++) {
        g_auto(GStrv) keys = g_key_file_get_keys(kf, *g, NULL, NULL);
        for (char **k = keys; keys && *k; k++) {
            g_autofree char *full = g_strconcat(*g, "/", *k, NULL);
            if (!g_strv_contains(known_keys, full))
                g_warning("%s: unknown key %s, ignored", path, full);
        }
    }
}

static bool load_file(DaemonConfig *c, const char *path, char **disk_dir, char **iso_dir,
                      GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();

    if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, error)) {
        g_prefix_error(error, "Cannot read %s: ", path);
        return false;
    }
    warn_unknown_keys(kf, path);
    take_string(kf, "cirrinad", "StateDirectory", &c->state_dir);
    take_string(kf, "cirrinad", "DiskDirectory", disk_dir);
    take_string(kf, "cirrinad", "ISODirectory", iso_dir);
    take_string(kf, "cirrinad", "RunDirectory", &c->run_dir);
    take_string(kf, "cirrinad", "Hypervisor", &c->hypervisor);
    take_string(kf, "firmware", "UEFICode", &c->uefi_code);
    take_string(kf, "firmware", "UEFIVars", &c->uefi_vars);
    take_string(kf, "qemu", "Binary", &c->qemu_binary);
    take_string(kf, "storage", "ZFSDataset", &c->zfs_dataset);
    take_string(kf, "qemu", "Accelerator", &c->qemu_accelerator);
    return true;
}

DaemonConfig *daemon_config_load(bool system, const char *path, GError **error)
{
    g_autoptr(DaemonConfig) c = g_new0(DaemonConfig, 1);
    g_autofree char *disk_dir = NULL, *iso_dir = NULL, *default_path = NULL;

    c->system = system;
    c->host_os = g_strdup(HOST_OS);
    c->hypervisor = g_strdup("auto");
    c->uefi_code = g_strdup(DEFAULT_UEFI_CODE);
    c->uefi_vars = g_strdup(DEFAULT_UEFI_VARS);
    c->qemu_binary = g_strdup("qemu-system-x86_64");
    c->qemu_accelerator = g_strdup("auto");
    if (system) {
        c->state_dir = g_strdup(LOCALSTATEDIR "/lib/cirrina");
        c->run_dir = g_strdup("/run/cirrina");
        default_path = g_build_filename(SYSCONFDIR, "cirrina", "cirrinad.conf", NULL);
    } else {
        c->state_dir = g_build_filename(g_get_user_data_dir(), "cirrina", NULL);
        c->run_dir = g_build_filename(g_get_user_runtime_dir(), "cirrina", NULL);
        default_path = g_build_filename(g_get_user_config_dir(), "cirrina", "cirrinad.conf", NULL);
    }
    if (path) {
        if (!load_file(c, path, &disk_dir, &iso_dir, error))
            return NULL;
    } else if (g_file_test(default_path, G_FILE_TEST_EXISTS)) {
        if (!load_file(c, default_path, &disk_dir, &iso_dir, error))
            return NULL;
    }
    c->disk_dir =
        disk_dir ? g_steal_pointer(&disk_dir) : g_build_filename(c->state_dir, "disks", NULL);
    c->iso_dir = iso_dir ? g_steal_pointer(&iso_dir) : g_build_filename(c->state_dir, "isos", NULL);

    if (g_str_equal(c->hypervisor, "auto")) {
        g_free(c->hypervisor);
        c->hypervisor = g_strdup(g_str_equal(c->host_os, "freebsd") ? "bhyve" : "qemu");
    } else if (!g_str_equal(c->hypervisor, "qemu") && !g_str_equal(c->hypervisor, "bhyve")) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "Hypervisor=%s is not one of: auto, qemu, bhyve", c->hypervisor);
        return NULL;
    }
    if (!g_str_equal(c->qemu_accelerator, "auto") && !g_str_equal(c->qemu_accelerator, "kvm") &&
        !g_str_equal(c->qemu_accelerator, "tcg")) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "[qemu] Accelerator=%s is not one of: auto, kvm, tcg", c->qemu_accelerator);
        return NULL;
    }
    const char *dirs[] = {c->state_dir, c->disk_dir, c->iso_dir, c->run_dir};
    for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++)
        if (!g_path_is_absolute(dirs[i])) {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "The directory '%s' is not an absolute path", dirs[i]);
            return NULL;
        }
    return g_steal_pointer(&c);
}

void daemon_config_free(DaemonConfig *c)
{
    if (!c)
        return;
    g_free(c->state_dir);
    g_free(c->disk_dir);
    g_free(c->iso_dir);
    g_free(c->run_dir);
    g_free(c->hypervisor);
    g_free(c->host_os);
    g_free(c->uefi_code);
    g_free(c->uefi_vars);
    g_free(c->qemu_binary);
    g_free(c->zfs_dataset);
    g_free(c->qemu_accelerator);
    g_free(c);
}
