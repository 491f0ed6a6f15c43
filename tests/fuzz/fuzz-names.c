/* Names, UUIDs and object paths as clients give them: the checks of
 * object names (core/field.c), Get*'s lookup by name or UUID
 * (registry_find), the object a method call's path names
 * (bus_object_from_path), and GetLaunchPlan's hypervisor argument.
 *
 * Input: byte 0 picks the kind looked up (VM, NIC, switch, disk, ISO); the
 * rest is the string (up to a NUL).
 *
 * What must hold: no crash, leak or undefined behaviour; a name passes the
 * check exactly when it is 1 to max characters from [A-Za-z0-9._-]
 * starting with a letter or digit; a lookup finds only the object with
 * that name, or with that UUID in any case; a path leads only to the
 * object it encodes; every refusal's message can go over D-Bus. */
#include <string.h>

#include "core/errors.h"
#include "fuzz-common.h"
#include "fuzz-model.h"

static void check_error(const GError *error)
{
    FUZZ_CHECK(error && error->domain == CIRRINA_ERROR, "a refusal without a model error");
    FUZZ_CHECK(g_utf8_validate(error->message, -1, NULL), "the message is not UTF-8");
}

static void check_name(const char *s)
{
    size_t n = strlen(s);
    bool expected =
        n >= 1 && n <= OBJECT_NAME_MAX && g_ascii_isalnum(s[0]) &&
        strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == n;
    g_autoptr(GError) error = NULL;

    FUZZ_CHECK(name_is_valid(s, OBJECT_NAME_MAX) == expected, "name_is_valid is %d", !expected);
    if (!check_object_name("VM", s, OBJECT_NAME_MAX, &error))
        check_error(error);
}

static void check_lookup(FuzzModel *m, ObjectKind kind, const char *s)
{
    g_autoptr(GError) error = NULL;
    CirObject *obj = registry_find(m->reg, kind, s, &error);

    if (!obj) {
        check_error(error);
        return;
    }
    FUZZ_CHECK(g_strcmp0(obj->name, s) == 0 || g_ascii_strcasecmp(obj->uuid, s) == 0,
               "'%s' found %s", s, obj->uuid);
}

static void check_path(FuzzModel *m, const char *s)
{
    static const char *const prefixes[N_KINDS] = {
        [KIND_VM] = CIRRINA_PATH "/vm",         [KIND_NIC] = CIRRINA_PATH "/vm",
        [KIND_SWITCH] = CIRRINA_PATH "/switch", [KIND_DISK] = CIRRINA_PATH "/disk",
        [KIND_ISO] = CIRRINA_PATH "/iso",
    };

    if (!g_variant_is_object_path(s)) /* the bus lets only paths through */
        return;
    CirObject *obj = bus_object_from_path(m->reg, s);
    if (!obj)
        return;
    g_autofree char *path = g_strdup(s);
    if (obj->kind == KIND_NIC)
        *g_strrstr(path, "/nic/") = '\0';
    char *id = NULL;
    FUZZ_CHECK(sd_bus_path_decode(path, prefixes[obj->kind], &id) > 0, "%s is no %s path", s,
               object_class(obj->kind)->label);
    const char *want = obj->kind == KIND_NIC ? ((CirNIC *)obj)->vm : obj->uuid;
    FUZZ_CHECK(strcmp(id, want) == 0, "%s leads to %s", s, want);
    free(id);
}

static void check_plan(FuzzModel *m, const char *s)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(HvPlan) plan =
        lifecycle_plan(m->lc, registry_lookup(m->reg, KIND_VM, FIX_VM), s, &error);

    if (!plan)
        check_error(error);
    else
        FUZZ_CHECK(!s[0] || strcmp(s, "qemu") == 0 || strcmp(s, "bhyve") == 0,
                   "a plan for the hypervisor '%s'", s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    g_autofree char *s = g_strndup((const char *)data + 1, size - 1);
    FuzzModel *m = fuzz_model("linux");
    ObjectKind kind = (ObjectKind)(data[0] % N_KINDS);

    check_name(s);
    check_lookup(m, kind, s);
    check_path(m, s);
    check_plan(m, s);
    fuzz_model_check_clean(m);
    return 0;
}
