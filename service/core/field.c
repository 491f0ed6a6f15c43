#include "core/field.h"

#include <string.h>

#include "core/errors.h"

#define FIELD_PTR(obj, f) ((char *)(obj) + (f)->offset)

const GVariantType *field_core_type(const Field *f)
{
    if (strcmp(f->dbus_type, "o") == 0)
        return G_VARIANT_TYPE_STRING;
    if (strcmp(f->dbus_type, "ao") == 0)
        return G_VARIANT_TYPE_STRING_ARRAY;
    return G_VARIANT_TYPE(f->dbus_type);
}

GVariant *field_get(const CirObject *obj, const Field *f)
{
    const char *p = field_storage(obj, f);

    switch (f->storage) {
    case STORAGE_STRING: {
        const char *s = *(char *const *)p;
        return g_variant_new_string(s ? s : "");
    }
    case STORAGE_UINT32:
        return g_variant_new_uint32(*(const uint32_t *)p);
    case STORAGE_UINT64:
        return g_variant_new_uint64(*(const uint64_t *)p);
    case STORAGE_BOOL:
        return g_variant_new_boolean(*(const int *)p);
    case STORAGE_VARIANT: {
        GVariant *v = *(GVariant *const *)p;
        return v ? g_variant_ref(v)
                 : g_variant_new_array(g_variant_type_element(field_core_type(f)), NULL, 0);
    }
    }
    g_assert_not_reached();
}

void field_clear(CirObject *obj, const Field *f)
{
    char *p = FIELD_PTR(obj, f);

    if (f->storage == STORAGE_STRING)
        g_clear_pointer((char **)p, g_free);
    else if (f->storage == STORAGE_VARIANT)
        g_clear_pointer((GVariant **)p, g_variant_unref);
}

void field_set(CirObject *obj, const Field *f, GVariant *value)
{
    char *p = FIELD_PTR(obj, f);

    g_return_if_fail(g_variant_is_of_type(value, field_core_type(f)));
    /* Takes over value, floating or not. */
    value = g_variant_take_ref(value);
    switch (f->storage) {
    case STORAGE_STRING:
        g_free(*(char **)p);
        *(char **)p = g_variant_dup_string(value, NULL);
        break;
    case STORAGE_UINT32:
        *(uint32_t *)p = g_variant_get_uint32(value);
        break;
    case STORAGE_UINT64:
        *(uint64_t *)p = g_variant_get_uint64(value);
        break;
    case STORAGE_BOOL:
        *(int *)p = g_variant_get_boolean(value) ? 1 : 0;
        break;
    case STORAGE_VARIANT:
        g_clear_pointer((GVariant **)p, g_variant_unref);
        *(GVariant **)p = value;
        return;
    }
    g_variant_unref(value);
}

static bool choice_is_valid(const char *const *choices, const char *s)
{
    for (; *choices; choices++)
        if (strcmp(*choices, s) == 0)
            return true;
    return false;
}

bool field_validate(const Field *f, GVariant *value, GError **error)
{
    if (!g_variant_is_of_type(value, field_core_type(f))) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "%s must be of type '%s', not '%s'", f->name, f->dbus_type,
                    g_variant_get_type_string(value));
        return false;
    }
    if (f->storage == STORAGE_UINT32 || f->storage == STORAGE_UINT64) {
        uint64_t n = f->storage == STORAGE_UINT32 ? g_variant_get_uint32(value)
                                                  : g_variant_get_uint64(value);
        if (n < f->min || n > f->max) {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "%s=%" G_GUINT64_FORMAT
                        " is out of range: it must be from %" G_GUINT64_FORMAT
                        " to %" G_GUINT64_FORMAT,
                        f->name, n, f->min, f->max);
            return false;
        }
    }
    if (f->choices && !choice_is_valid(f->choices, g_variant_get_string(value, NULL))) {
        g_autofree char *list = g_strjoinv(", ", (char **)f->choices);
        g_autofree char *shown = g_strescape(g_variant_get_string(value, NULL), NULL);
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "%s='%.64s' is not one of: %s", f->name, shown, list);
        return false;
    }
    if (f->check && !f->check(f, value, error))
        return false;
    return true;
}

bool name_is_valid(const char *name, size_t max_len)
{
    size_t n = strlen(name);

    if (n == 0 || n > max_len || !g_ascii_isalnum(name[0]))
        return false;
    for (size_t i = 0; i < n; i++)
        if (!g_ascii_isalnum(name[i]) && !strchr("._-", name[i]))
            return false;
    return true;
}

bool check_object_name(const char *what, const char *name, size_t max_len, GError **error)
{
    if (name_is_valid(name, max_len))
        return true;
    /* Show a bounded, escaped prefix: names may be 10 kB of anything. */
    g_autofree char *shown = g_strescape(name, NULL);
    g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                "Invalid %s name '%.64s%s': it must be 1 to %zu characters from "
                "[A-Za-z0-9._-], starting with a letter or digit",
                what, shown, strlen(shown) > 64 ? "..." : "", max_len);
    return false;
}

#define DESCRIPTION_MAX 1024

bool field_check_description(const Field *f, GVariant *value, GError **error)
{
    const char *s = g_variant_get_string(value, NULL);

    if (strlen(s) > DESCRIPTION_MAX) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "%s is %zu bytes long; at most %d are allowed", f->name, strlen(s),
                    DESCRIPTION_MAX);
        return false;
    }
    for (const char *c = s; *c; c++)
        if ((unsigned char)*c < 0x20 && *c != '\n' && *c != '\t') {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "%s contains the control character 0x%02x", f->name, *c);
            return false;
        }
    return true;
}

bool field_check_group(const Field *f, GVariant *value, GError **error)
{
    const char *s = g_variant_get_string(value, NULL);

    return s[0] == '\0' || check_object_name("group", s, 64, error);
}
