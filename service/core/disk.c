/* The disk kind: a disk image the daemon creates and owns. */
#include <string.h>
#include <sys/stat.h>

#include "core/errors.h"
#include "core/object.h"
#include "core/registry.h"

static const char *const disk_formats[] = {"raw", "zvol", NULL};
static const char *const disk_buses[] = {"virtio-blk", "nvme", "ahci-hd", NULL};

static bool check_size(const Field *f, GVariant *value, GError **error)
{
    uint64_t n = g_variant_get_uint64(value);

    if (n % 512 != 0) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "%s=%" G_GUINT64_FORMAT " is not a multiple of 512 bytes", f->name, n);
        return false;
    }
    return true;
}

static const Field disk_fields[] = {
    FIELD_STR("UUID", "s", offsetof(CirObject, uuid), FIELD_CONST, "uuid"),
    FIELD_STR("Name", "s", offsetof(CirObject, name), 0, "name"),
    FIELD_STR("Description", "s", offsetof(CirDisk, description), FIELD_WRITABLE | FIELD_LIVE,
              "description", .check = field_check_description),
    FIELD_U64("Size", offsetof(CirDisk, size), FIELD_CREATE_ONLY, "size", 512, DISK_SIZE_MAX,
              .check = check_size),
    {.name = "Allocated", .dbus_type = "t", .flags = FIELD_DERIVED | FIELD_NO_SIGNAL},
    FIELD_STR("Format", "s", offsetof(CirDisk, format), FIELD_CREATE_ONLY, "format",
              .choices = disk_formats),
    FIELD_STR("Bus", "s", offsetof(CirDisk, bus), FIELD_WRITABLE, "bus", .choices = disk_buses),
    FIELD_BOOL("NoCache", offsetof(CirDisk, nocache), FIELD_WRITABLE, "nocache"),
    FIELD_BOOL("Direct", offsetof(CirDisk, direct), FIELD_WRITABLE, "direct"),
    FIELD_BOOL("ReadOnly", offsetof(CirDisk, readonly), FIELD_WRITABLE, "readonly"),
    {.name = "Path", .dbus_type = "s", .flags = FIELD_DERIVED | FIELD_CONST},
    {.name = "AttachedTo", .dbus_type = "o", .flags = FIELD_DERIVED, .ref_kind = KIND_VM},
};

static void disk_init(CirObject *obj)
{
    CirDisk *disk = (CirDisk *)obj;

    disk->description = g_strdup("");
    disk->format = g_strdup("raw");
    disk->bus = g_strdup("virtio-blk");
}

static bool disk_validate(Registry *reg, CirObject *obj, const CirObject *old, GHashTable *changes,
                          GError **error)
{
    CirDisk *disk = (CirDisk *)obj;

    /* Size is set when a disk is made: by the client (CreateDisk) or by
     * the daemon from the data (imports, clones). */
    if (!old && disk->size == 0) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "Size is required to create a disk");
        return false;
    }
    if (strcmp(disk->format, "zvol") == 0 && strcmp(registry_paths(reg)->host_os, "freebsd") != 0) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_NOT_SUPPORTED,
                    "Format='zvol' exists only on FreeBSD with ZFS; this host runs %s",
                    registry_paths(reg)->host_os);
        return false;
    }
    if (strcmp(disk->format, "zvol") == 0 &&
        !(registry_paths(reg)->zfs_dataset && registry_paths(reg)->zfs_dataset[0])) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_NOT_SUPPORTED,
                    "Format='zvol' needs a ZFS dataset for the volumes: set [storage] "
                    "ZFSDataset in cirrinad.conf");
        return false;
    }
    return true;
}

static GVariant *disk_get_derived(Registry *reg, const CirObject *obj, const Field *f)
{
    if (strcmp(f->name, "AttachedTo") == 0) {
        const char *owner = registry_disk_owner(reg, obj->uuid);
        return g_variant_new_string(owner ? owner : "");
    }
    g_autofree char *path = registry_disk_path(reg, obj->uuid);
    if (strcmp(f->name, "Path") == 0)
        return g_variant_new_string(path);
    /* Allocated: what the sparse file really takes. */
    struct stat st;
    return g_variant_new_uint64(stat(path, &st) == 0 ? (uint64_t)st.st_blocks * 512 : 0);
}

const ObjectClass disk_class = {
    .kind = KIND_DISK,
    .label = "disk",
    .table = "disks",
    .size = sizeof(CirDisk),
    .name_max = OBJECT_NAME_MAX,
    .fields = disk_fields,
    .n_fields = G_N_ELEMENTS(disk_fields),
    .init = disk_init,
    .validate = disk_validate,
    .get_derived = disk_get_derived,
};
