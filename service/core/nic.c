/* The NIC kind: a VM's network interface. */
#include <stdio.h>
#include <string.h>

#include "core/errors.h"
#include "core/object.h"
#include "core/registry.h"

static const char *const nic_models[] = {"virtio-net", "e1000", NULL};

#define RATE_MIN UINT64_C(8000)
#define RATE_MAX UINT64_C(100000000000)

static bool check_rate(const Field *f, GVariant *value, GError **error)
{
    uint64_t n = g_variant_get_uint64(value);

    if (n != 0 && (n < RATE_MIN || n > RATE_MAX)) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "%s=%" G_GUINT64_FORMAT
                    " is out of range: it must be 0 (unlimited) or from %" G_GUINT64_FORMAT
                    " to %" G_GUINT64_FORMAT " bits per second",
                    f->name, n, RATE_MIN, RATE_MAX);
        return false;
    }
    return true;
}

static bool check_mac(const Field *f, GVariant *value, GError **error)
{
    const char *s = g_variant_get_string(value, NULL);
    unsigned b[6];
    char tail;

    if (strlen(s) != 17 || sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4],
                                  &b[5], &tail) != 6) {
        g_autofree char *shown = g_strescape(s, NULL);
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "%s='%.64s' is not of the form xx:xx:xx:xx:xx:xx", f->name, shown);
        return false;
    }
    for (size_t i = 0; i < 17; i++)
        if ((i % 3 == 2) != (s[i] == ':') || (i % 3 != 2 && !g_ascii_isxdigit(s[i]))) {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "%s='%s' is not of the form xx:xx:xx:xx:xx:xx", f->name, s);
            return false;
        }
    if (b[0] & 1) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "%s='%s' is a multicast address; a NIC needs a unicast one", f->name, s);
        return false;
    }
    if ((b[0] | b[1] | b[2] | b[3] | b[4] | b[5]) == 0) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "%s='%s' is the all-zero address", f->name, s);
        return false;
    }
    return true;
}

static const Field nic_fields[] = {
    FIELD_STR("UUID", "s", offsetof(CirObject, uuid), FIELD_CONST | FIELD_HIDDEN, "uuid"),
    FIELD_STR("VM", "o", offsetof(CirNIC, vm), FIELD_CONST, "vm_uuid", .ref_kind = KIND_VM),
    FIELD_U32("Index", offsetof(CirNIC, index), FIELD_CONST | FIELD_HIDDEN, "idx", 0, G_MAXUINT32),
    FIELD_STR("Model", "s", offsetof(CirNIC, model), FIELD_WRITABLE, "model",
              .choices = nic_models),
    FIELD_STR("MAC", "s", offsetof(CirNIC, mac), FIELD_WRITABLE, "mac", .check = check_mac),
    FIELD_STR("Switch", "o", offsetof(CirNIC, sw), FIELD_WRITABLE, "switch_uuid",
              .ref_kind = KIND_SWITCH),
    FIELD_U64("RateLimitIn", offsetof(CirNIC, rate_in), FIELD_WRITABLE, "rate_in", 0, G_MAXUINT64,
              .check = check_rate),
    FIELD_U64("RateLimitOut", offsetof(CirNIC, rate_out), FIELD_WRITABLE, "rate_out", 0,
              G_MAXUINT64, .check = check_rate),
};

static void nic_init(CirObject *obj)
{
    CirNIC *nic = (CirNIC *)obj;

    nic->vm = g_strdup("");
    nic->model = g_strdup("virtio-net");
    nic->mac = g_strdup("");
    nic->sw = g_strdup("");
}

/* A stable MAC under the locally administered prefix 0e:c1, from the VM's
 * UUID and the NIC's index: the same NIC gets the same address after every
 * restart and on every host. */
static char *nic_generate_mac(const char *vm_uuid, uint32_t index)
{
    g_autofree char *seed = g_strdup_printf("%s/%u", vm_uuid, index);
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    guint8 digest[32];
    gsize len = sizeof(digest);

    g_checksum_update(sum, (const guchar *)seed, -1);
    g_checksum_get_digest(sum, digest, &len);
    return g_strdup_printf("0e:c1:%02x:%02x:%02x:%02x", digest[0], digest[1], digest[2], digest[3]);
}

static bool nic_validate(Registry *reg, CirObject *obj, const CirObject *old, GHashTable *changes,
                         GError **error)
{
    CirNIC *nic = (CirNIC *)obj;

    if (nic->sw[0] && !registry_lookup(reg, KIND_SWITCH, nic->sw)) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_NOT_FOUND,
                    "Switch: there is no switch with UUID '%s'", nic->sw);
        return false;
    }
    if (nic->mac[0] == '\0') {
        g_free(nic->mac);
        nic->mac = nic_generate_mac(nic->vm, nic->index);
    }
    return true;
}

static GVariant *nic_get_derived(Registry *reg, const CirObject *obj, const Field *f)
{
    g_assert_not_reached();
}

const ObjectClass nic_class = {
    .kind = KIND_NIC,
    .label = "NIC",
    .table = "nics",
    .size = sizeof(CirNIC),
    .name_max = 0,
    .fields = nic_fields,
    .n_fields = G_N_ELEMENTS(nic_fields),
    .init = nic_init,
    .validate = nic_validate,
    .get_derived = nic_get_derived,
};
