/* Disks of Format=zvol (FreeBSD): ZFS volumes under the configured dataset,
 * made, grown and destroyed with zfs(8) through the host command runner. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* "<dataset>/<uuid>" and its device, /dev/zvol/<dataset>/<uuid>. */
char *zvol_name(const char *dataset, const char *disk_uuid);
char *zvol_device(const char *dataset, const char *disk_uuid);

/* A sparse volume in device mode (bhyve opens it like a file). */
bool zvol_create(const char *dataset, const char *disk_uuid, uint64_t size, GError **error);
bool zvol_resize(const char *dataset, const char *disk_uuid, uint64_t size, GError **error);
bool zvol_destroy(const char *dataset, const char *disk_uuid, GError **error);
