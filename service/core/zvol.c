#include "core/zvol.h"

#include "hv/runner.h"

char *zvol_name(const char *dataset, const char *disk_uuid)
{
    return g_strdup_printf("%s/%s", dataset, disk_uuid);
}

char *zvol_device(const char *dataset, const char *disk_uuid)
{
    return g_strdup_printf("/dev/zvol/%s/%s", dataset, disk_uuid);
}

bool zvol_create(const char *dataset, const char *disk_uuid, uint64_t size, GError **error)
{
    g_autofree char *name = zvol_name(dataset, disk_uuid);
    g_autofree char *bytes = g_strdup_printf("%" G_GUINT64_FORMAT, size);

    /* -s: sparse, as raw images are; volmode=dev: a plain device, no GEOM
     * tasting of the guest's partitions on the host. */
    return host_runv(error, "zfs", "create", "-s", "-V", bytes, "-o", "volmode=dev", name);
}

bool zvol_resize(const char *dataset, const char *disk_uuid, uint64_t size, GError **error)
{
    g_autofree char *name = zvol_name(dataset, disk_uuid);
    g_autofree char *volsize = g_strdup_printf("volsize=%" G_GUINT64_FORMAT, size);

    return host_runv(error, "zfs", "set", volsize, name);
}

bool zvol_destroy(const char *dataset, const char *disk_uuid, GError **error)
{
    g_autofree char *name = zvol_name(dataset, disk_uuid);

    return host_runv(error, "zfs", "destroy", name);
}
