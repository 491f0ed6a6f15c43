/* cirrinad.conf: where state lives and which hypervisor runs the VMs. */
#pragma once

#include <glib.h>
#include <stdbool.h>

typedef struct {
    bool system;     /* --system, else --session */
    char *state_dir; /* holds cirrina.db */
    char *disk_dir;
    char *iso_dir;
    char *run_dir;
    char *hypervisor; /* resolved: "qemu" or "bhyve" */
    char *host_os;    /* "linux", "freebsd", ... */
    char *uefi_code;
    char *uefi_vars;
    char *qemu_binary;
    char *zfs_dataset;      /* [storage] ZFSDataset: where Format=zvol disks live */
    char *qemu_accelerator; /* auto, kvm, tcg */
} DaemonConfig;

/* Defaults for the mode, then the file: path if given (it must exist),
 * else the mode's default file if there is one. */
DaemonConfig *daemon_config_load(bool system, const char *path, GError **error);
void daemon_config_free(DaemonConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(DaemonConfig, daemon_config_free)
