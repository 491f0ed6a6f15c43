/* The ISO kind: an installation image, attached to VMs as a CD-ROM. */
#include "core/errors.h"
#include "core/object.h"
#include "core/registry.h"

static const Field iso_fields[] = {
    FIELD_STR("UUID", "s", offsetof(CirObject, uuid), FIELD_CONST, "uuid"),
    FIELD_STR("Name", "s", offsetof(CirObject, name), 0, "name"),
    FIELD_STR("Description", "s", offsetof(CirISO, description), FIELD_WRITABLE, "description",
              .check = field_check_description),
    FIELD_U64("Size", offsetof(CirISO, size), 0, "size", 0, G_MAXUINT64),
    FIELD_STR("Path", "s", offsetof(CirISO, path), FIELD_CONST, "path"),
    FIELD_STR("SHA256", "s", offsetof(CirISO, sha256), 0, "sha256"),
};

static void iso_init(CirObject *obj)
{
    CirISO *iso = (CirISO *)obj;

    iso->description = g_strdup("");
    iso->path = g_strdup("");
    iso->sha256 = g_strdup("");
}

static bool iso_validate(Registry *reg, CirObject *obj, const CirObject *old, GHashTable *changes,
                         GError **error)
{
    return true;
}

static GVariant *iso_get_derived(Registry *reg, const CirObject *obj, const Field *f)
{
    g_assert_not_reached();
}

const ObjectClass iso_class = {
    .kind = KIND_ISO,
    .label = "ISO",
    .table = "isos",
    .size = sizeof(CirISO),
    .name_max = OBJECT_NAME_MAX,
    .fields = iso_fields,
    .n_fields = G_N_ELEMENTS(iso_fields),
    .init = iso_init,
    .validate = iso_validate,
    .get_derived = iso_get_derived,
};
