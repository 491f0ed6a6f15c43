#include "bus/convert.h"

#include <string.h>

static int read_basic(sd_bus_message *m, char type, GVariant **out)
{
    union {
        uint8_t y;
        int b;
        int16_t n;
        uint16_t q;
        int32_t i;
        uint32_t u;
        int64_t x;
        uint64_t t;
        double d;
        const char *s;
        int h;
    } v;
    int r = sd_bus_message_read_basic(m, type, &v);

    if (r <= 0)
        return r;
    switch (type) {
    case 'y':
        *out = g_variant_new_byte(v.y);
        break;
    case 'b':
        *out = g_variant_new_boolean(v.b);
        break;
    case 'n':
        *out = g_variant_new_int16(v.n);
        break;
    case 'q':
        *out = g_variant_new_uint16(v.q);
        break;
    case 'i':
        *out = g_variant_new_int32(v.i);
        break;
    case 'u':
        *out = g_variant_new_uint32(v.u);
        break;
    case 'x':
        *out = g_variant_new_int64(v.x);
        break;
    case 't':
        *out = g_variant_new_uint64(v.t);
        break;
    case 'd':
        *out = g_variant_new_double(v.d);
        break;
    case 's':
        *out = g_variant_new_string(v.s);
        break;
    case 'o':
        *out = g_variant_new_object_path(v.s);
        break;
    case 'g':
        *out = g_variant_new_signature(v.s);
        break;
    case 'h':
        /* A passed fd is taken where it is expected, never as a value. */
        *out = g_variant_new_handle(-1);
        break;
    default:
        return -EINVAL;
    }
    return 1;
}

int bus_read_gvariant(sd_bus_message *m, GVariant **out)
{
    const char *contents;
    char type;
    int r = sd_bus_message_peek_type(m, &type, &contents);

    if (r <= 0)
        return r;
    if (!strchr("avre", type))
        return read_basic(m, type, out);

    r = sd_bus_message_enter_container(m, type, contents);
    if (r < 0)
        return r;
    g_autoptr(GPtrArray) children = g_ptr_array_new_with_free_func((GDestroyNotify)g_variant_unref);
    GVariant *child;
    while ((r = bus_read_gvariant(m, &child)) > 0)
        g_ptr_array_add(children, g_variant_ref_sink(child));
    if (r < 0)
        return r;
    r = sd_bus_message_exit_container(m);
    if (r < 0)
        return r;

    GVariant **items = (GVariant **)children->pdata;
    switch (type) {
    case 'a':
        *out = g_variant_new_array(G_VARIANT_TYPE(contents), items, children->len);
        break;
    case 'v':
        if (children->len != 1)
            return -EBADMSG;
        *out = g_variant_new_variant(items[0]);
        break;
    case 'r':
        *out = g_variant_new_tuple(items, children->len);
        break;
    case 'e':
        if (children->len != 2)
            return -EBADMSG;
        *out = g_variant_new_dict_entry(items[0], items[1]);
        break;
    }
    return 1;
}

int bus_append_gvariant(sd_bus_message *m, GVariant *value)
{
    const GVariantType *type = g_variant_get_type(value);
    const char *sig = g_variant_get_type_string(value);
    int r;

    if (g_variant_type_is_basic(type)) {
        switch (sig[0]) {
        case 'y': {
            uint8_t x = g_variant_get_byte(value);
            return sd_bus_message_append_basic(m, 'y', &x);
        }
        case 'b': {
            int x = g_variant_get_boolean(value);
            return sd_bus_message_append_basic(m, 'b', &x);
        }
        case 'n': {
            int16_t x = g_variant_get_int16(value);
            return sd_bus_message_append_basic(m, 'n', &x);
        }
        case 'q': {
            uint16_t x = g_variant_get_uint16(value);
            return sd_bus_message_append_basic(m, 'q', &x);
        }
        case 'i': {
            int32_t x = g_variant_get_int32(value);
            return sd_bus_message_append_basic(m, 'i', &x);
        }
        case 'u': {
            uint32_t x = g_variant_get_uint32(value);
            return sd_bus_message_append_basic(m, 'u', &x);
        }
        case 'x': {
            int64_t x = g_variant_get_int64(value);
            return sd_bus_message_append_basic(m, 'x', &x);
        }
        case 't': {
            uint64_t x = g_variant_get_uint64(value);
            return sd_bus_message_append_basic(m, 't', &x);
        }
        case 'd': {
            double x = g_variant_get_double(value);
            return sd_bus_message_append_basic(m, 'd', &x);
        }
        case 's':
        case 'o':
        case 'g':
            return sd_bus_message_append_basic(m, sig[0], g_variant_get_string(value, NULL));
        default:
            return -EINVAL;
        }
    }

    char container;
    g_autofree char *contents = NULL;
    if (g_variant_type_is_array(type)) {
        container = 'a';
        contents = g_strdup(sig + 1);
    } else if (g_variant_type_is_variant(type)) {
        g_autoptr(GVariant) inner = g_variant_get_variant(value);
        container = 'v';
        contents = g_strdup(g_variant_get_type_string(inner));
    } else if (g_variant_type_is_dict_entry(type)) {
        container = 'e';
        contents = g_strndup(sig + 1, strlen(sig) - 2);
    } else {
        container = 'r';
        contents = g_strndup(sig + 1, strlen(sig) - 2);
    }
    r = sd_bus_message_open_container(m, container, contents);
    if (r < 0)
        return r;
    for (gsize i = 0; i < g_variant_n_children(value); i++) {
        g_autoptr(GVariant) child = g_variant_get_child_value(value, i);
        r = bus_append_gvariant(m, child);
        if (r < 0)
            return r;
    }
    return sd_bus_message_close_container(m);
}
