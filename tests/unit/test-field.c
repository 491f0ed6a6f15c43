/* Unit tests of the field tables, value validation and object basics
 * (service/core/field.c, object.c and each kind's checks). */
#include "test-common.h"

/* --- helpers --- */

static const Field *field_of(ObjectKind kind, const char *name)
{
    return find_field(kind, name);
}

/* Validates value (floating or not) against a field; returns the error. */
static GError *validate(ObjectKind kind, const char *name, GVariant *value)
{
    g_autoptr(GVariant) v = g_variant_ref_sink(value);
    GError *error = NULL;
    bool ok = field_validate(field_of(kind, name), v, &error);

    g_assert_true(ok == (error == NULL));
    return error;
}

static void assert_valid(ObjectKind kind, const char *name, GVariant *value)
{
    g_autoptr(GError) error = validate(kind, name, value);
    g_assert_no_error(error);
}

static void assert_invalid(ObjectKind kind, const char *name, GVariant *value)
{
    g_autoptr(GError) error = validate(kind, name, value);

    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    /* Every message names the property it is about, if only as in "Invalid
     * group name" or "share name" (for Shares). */
    g_autofree char *message = g_ascii_strdown(error->message, -1);
    g_autofree char *what = g_ascii_strdown(name, -1);
    if (g_str_has_suffix(what, "s"))
        what[strlen(what) - 1] = '\0';
    if (!strstr(message, what))
        g_error("The error '%s' does not mention %s", error->message, name);
}

static void assert_u32(ObjectKind kind, const char *name, guint32 n, bool valid)
{
    if (valid)
        assert_valid(kind, name, g_variant_new_uint32(n));
    else
        assert_invalid(kind, name, g_variant_new_uint32(n));
}

static void assert_u64(ObjectKind kind, const char *name, guint64 n, bool valid)
{
    if (valid)
        assert_valid(kind, name, g_variant_new_uint64(n));
    else
        assert_invalid(kind, name, g_variant_new_uint64(n));
}

static void assert_str(ObjectKind kind, const char *name, const char *s, bool valid)
{
    if (valid)
        assert_valid(kind, name, g_variant_new_string(s));
    else
        assert_invalid(kind, name, g_variant_new_string(s));
}

static char *repeat(char c, size_t n)
{
    char *s = g_malloc(n + 1);

    memset(s, c, n);
    s[n] = '\0';
    return s;
}

/* --- names --- */

static void assert_name(const char *name, size_t max, bool valid)
{
    g_autoptr(GError) error = NULL;

    g_assert_cmpint(name_is_valid(name, max), ==, valid);
    g_assert_cmpint(check_object_name("VM", name, max, &error), ==, valid);
    if (valid) {
        g_assert_no_error(error);
    } else {
        g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
        assert_error_mentions(error, "Invalid VM name");
    }
}

static void test_name_empty(void)
{
    assert_name("", VM_NAME_MAX, false);
    assert_name("", OBJECT_NAME_MAX, false);
}

static void test_name_slash(void)
{
    assert_name("/", VM_NAME_MAX, false);
    assert_name("a/b", VM_NAME_MAX, false);
    assert_name("vm/", VM_NAME_MAX, false);
    assert_name("\\", VM_NAME_MAX, false);
}

static void test_name_dots(void)
{
    assert_name(".", VM_NAME_MAX, false);
    assert_name("..", VM_NAME_MAX, false);
    assert_name("../etc", VM_NAME_MAX, false);
    assert_name(".hidden", VM_NAME_MAX, false);
    /* Dots inside or at the end are fine. */
    assert_name("a.b", VM_NAME_MAX, true);
    assert_name("a..b", VM_NAME_MAX, true);
    assert_name("vm.", VM_NAME_MAX, true);
}

static void test_name_first_character(void)
{
    assert_name("-vm", VM_NAME_MAX, false);
    assert_name("_vm", VM_NAME_MAX, false);
    assert_name("0vm", VM_NAME_MAX, true);
    assert_name("Vm", VM_NAME_MAX, true);
    assert_name("a", VM_NAME_MAX, true);
    assert_name("a-b_c.D9", VM_NAME_MAX, true);
}

static void test_name_vm_length(void)
{
    g_autofree char *n31 = repeat('v', 31);
    g_autofree char *n32 = repeat('v', 32);

    g_assert_cmpuint(object_class(KIND_VM)->name_max, ==, 31);
    assert_name(n31, object_class(KIND_VM)->name_max, true);
    assert_name(n32, object_class(KIND_VM)->name_max, false);
}

static void test_name_object_length(void)
{
    g_autofree char *n64 = repeat('d', 64);
    g_autofree char *n65 = repeat('d', 65);

    for (ObjectKind k = KIND_SWITCH; k <= KIND_ISO; k++) {
        g_assert_cmpuint(object_class(k)->name_max, ==, OBJECT_NAME_MAX);
        assert_name(n64, object_class(k)->name_max, true);
        assert_name(n65, object_class(k)->name_max, false);
    }
    /* NICs have no names at all. */
    g_assert_cmpuint(object_class(KIND_NIC)->name_max, ==, 0);
    assert_name("a", 0, false);
}

static void test_name_huge(void)
{
    g_autofree char *huge = repeat('x', 10 * 1024);
    g_autoptr(GError) error = NULL;

    g_assert_false(check_object_name("VM", huge, VM_NAME_MAX, &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    /* The message shows a bounded prefix, not 10 kB. */
    g_assert_cmpuint(strlen(error->message), <, 300);
    assert_error_mentions(error, "...'");

    /* Also 10 kB of bytes that need escaping. */
    g_autofree char *binary = repeat('\x01', 10 * 1024);
    g_clear_error(&error);
    g_assert_false(check_object_name("VM", binary, VM_NAME_MAX, &error));
    g_assert_cmpuint(strlen(error->message), <, 300);
    g_assert_true(g_utf8_validate(error->message, -1, NULL));
}

static void test_name_non_ascii(void)
{
    assert_name("caf\xc3\xa9", VM_NAME_MAX, false);
    assert_name("\xc3\xa9t\xc3\xa9", VM_NAME_MAX, false);
    assert_name("vm\xe2\x80\x8b", VM_NAME_MAX, false); /* zero-width space */
    assert_name("vm\xff", VM_NAME_MAX, false);         /* not UTF-8 */

    /* The message stays valid UTF-8 (it travels in a D-Bus string). */
    g_autoptr(GError) error = NULL;
    g_assert_false(check_object_name("VM", "vm\xff\xfe", VM_NAME_MAX, &error));
    g_assert_true(g_utf8_validate(error->message, -1, NULL));
}

static void test_name_spaces(void)
{
    assert_name("my vm", VM_NAME_MAX, false);
    assert_name(" vm", VM_NAME_MAX, false);
    assert_name("vm ", VM_NAME_MAX, false);
    assert_name("vm\t", VM_NAME_MAX, false);
    assert_name("vm\n", VM_NAME_MAX, false);
    assert_name("vm,x", VM_NAME_MAX, false);
    assert_name("vm=x", VM_NAME_MAX, false);
}

/* --- the tables themselves --- */

static void test_tables_consistent(void)
{
    for (ObjectKind k = 0; k < N_KINDS; k++) {
        const ObjectClass *c = object_class(k);
        g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
        g_autoptr(GHashTable) columns = g_hash_table_new(g_str_hash, g_str_equal);

        g_assert_cmpint(c->kind, ==, k);
        g_assert_nonnull(object_class_find_field(c, "UUID"));
        for (size_t i = 0; i < c->n_fields; i++) {
            const Field *f = &c->fields[i];
            g_test_message("%s.%s", c->label, f->name);
            g_assert_true(g_hash_table_add(names, (char *)f->name));
            g_assert_true(object_class_find_field(c, f->name) == f);
            g_assert_true(g_variant_type_string_is_valid(f->dbus_type));
            g_assert_true(g_variant_type_is_definite(field_core_type(f)));
            if (f->flags & FIELD_DERIVED) {
                /* Derived values are computed, never stored. */
                g_assert_null(f->column);
                continue;
            }
            if (f->flags & FIELD_NOT_STORED) {
                g_assert_null(f->column);
                continue;
            }
            g_assert_nonnull(f->column);
            g_assert_true(g_hash_table_add(columns, (char *)f->column));
            if (f->storage == STORAGE_UINT32 || f->storage == STORAGE_UINT64)
                g_assert_cmpuint(f->min, <=, f->max);
            if (f->choices)
                g_assert_cmpint(f->storage, ==, STORAGE_STRING);
        }
        g_assert_null(object_class_find_field(c, "NoSuchField"));
        g_assert_null(object_class_find_field(c, "uuid")); /* names are case-sensitive */
    }
}

static void test_core_type(void)
{
    const Field *sw = field_of(KIND_NIC, "Switch");
    const Field *disks = field_of(KIND_VM, "Disks");
    const Field *pins = field_of(KIND_VM, "CPUPins");

    g_assert_cmpstr(sw->dbus_type, ==, "o");
    g_assert_true(g_variant_type_equal(field_core_type(sw), G_VARIANT_TYPE_STRING));
    g_assert_cmpstr(disks->dbus_type, ==, "ao");
    g_assert_true(g_variant_type_equal(field_core_type(disks), G_VARIANT_TYPE_STRING_ARRAY));
    g_assert_true(g_variant_type_equal(field_core_type(pins), G_VARIANT_TYPE("a(uu)")));
}

/* --- types --- */

/* A value of another type than the field's core type. */
static GVariant *wrong_value_for(const Field *f)
{
    const GVariantType *t = field_core_type(f);

    if (g_variant_type_equal(t, G_VARIANT_TYPE_STRING))
        return g_variant_new_uint32(1);
    if (g_variant_type_equal(t, G_VARIANT_TYPE_UINT32))
        return g_variant_new_uint64(1); /* a wider integer is still wrong */
    if (g_variant_type_equal(t, G_VARIANT_TYPE_UINT64))
        return g_variant_new_uint32(1);
    if (g_variant_type_equal(t, G_VARIANT_TYPE_BOOLEAN))
        return g_variant_new_uint32(1);
    return g_variant_new_string("[]");
}

static void test_type_mismatch(void)
{
    for (ObjectKind k = 0; k < N_KINDS; k++) {
        const ObjectClass *c = object_class(k);
        for (size_t i = 0; i < c->n_fields; i++) {
            const Field *f = &c->fields[i];
            g_autoptr(GVariant) wrong = g_variant_ref_sink(wrong_value_for(f));
            g_autoptr(GError) error = NULL;

            g_test_message("%s.%s", c->label, f->name);
            g_assert_false(field_validate(f, wrong, &error));
            g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
            assert_error_mentions(error, f->name);
            assert_error_mentions(error, g_variant_get_type_string(wrong));
        }
    }
}

static void test_type_references(void)
{
    /* References are UUID strings inside the model: an object path, the bus
     * type, is not accepted here (the bus layer converts it). */
    assert_invalid(KIND_NIC, "Switch", g_variant_new_object_path("/org/cirrina/switch/x"));
    assert_invalid(KIND_VM, "Disks", g_variant_new_objv(NULL, 0));
    assert_valid(KIND_VM, "Disks", g_variant_new_strv(NULL, 0));
    assert_invalid(KIND_VM, "CPUPins", g_variant_new_parsed("[(0, 1)]")); /* a(ii) */
    assert_invalid(KIND_VM, "Shares", g_variant_new_parsed("[('a', '/x')]"));
}

/* --- integer ranges --- */

static void test_vm_cpus(void)
{
    const char *const names[] = {"CPUs", "Sockets", "Cores", "Threads"};

    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        assert_u32(KIND_VM, names[i], 0, false);
        assert_u32(KIND_VM, names[i], 1, true);
        assert_u32(KIND_VM, names[i], 256, true);
        assert_u32(KIND_VM, names[i], 257, false);
        assert_u32(KIND_VM, names[i], G_MAXUINT32, false);
    }
    g_autoptr(GError) error = validate(KIND_VM, "CPUs", g_variant_new_uint32(257));
    assert_error_mentions(error, "CPUs=257 is out of range: it must be from 1 to 256");
}

static void test_vm_memory(void)
{
    assert_u64(KIND_VM, "Memory", 0, false);
    assert_u64(KIND_VM, "Memory", 32 * TEST_MiB - TEST_MiB, false);
    assert_u64(KIND_VM, "Memory", 32 * TEST_MiB - 1, false);
    assert_u64(KIND_VM, "Memory", 32 * TEST_MiB, true);
    assert_u64(KIND_VM, "Memory", 33 * TEST_MiB, true);
    assert_u64(KIND_VM, "Memory", 4 * TEST_TiB - TEST_MiB, true);
    assert_u64(KIND_VM, "Memory", 4 * TEST_TiB, true);
    assert_u64(KIND_VM, "Memory", 4 * TEST_TiB + 1, false);
    assert_u64(KIND_VM, "Memory", 4 * TEST_TiB + TEST_MiB, false);
    assert_u64(KIND_VM, "Memory", G_MAXUINT64, false);
}

static void test_vm_memory_multiple_of_mib(void)
{
    assert_u64(KIND_VM, "Memory", 32 * TEST_MiB + 1, false);
    assert_u64(KIND_VM, "Memory", 32 * TEST_MiB + 512, false);
    assert_u64(KIND_VM, "Memory", TEST_GiB - 4096, false);
    assert_u64(KIND_VM, "Memory", TEST_GiB, true);

    g_autoptr(GError) error = validate(KIND_VM, "Memory", g_variant_new_uint64(32 * TEST_MiB + 1));
    assert_error_mentions(error, "not a multiple of 1 MiB");
}

static void test_vm_other_ranges(void)
{
    assert_u32(KIND_VM, "AutostartDelay", 0, true);
    assert_u32(KIND_VM, "AutostartDelay", 3600, true);
    assert_u32(KIND_VM, "AutostartDelay", 3601, false);
    assert_u32(KIND_VM, "DisplayWidth", 639, false);
    assert_u32(KIND_VM, "DisplayWidth", 640, true);
    assert_u32(KIND_VM, "DisplayWidth", 3840, true);
    assert_u32(KIND_VM, "DisplayWidth", 3841, false);
    assert_u32(KIND_VM, "DisplayHeight", 479, false);
    assert_u32(KIND_VM, "DisplayHeight", 480, true);
    assert_u32(KIND_VM, "DisplayHeight", 2160, true);
    assert_u32(KIND_VM, "DisplayHeight", 2161, false);
    assert_u32(KIND_VM, "SerialPorts", 0, true);
    assert_u32(KIND_VM, "SerialPorts", 4, true);
    assert_u32(KIND_VM, "SerialPorts", 5, false);
}

static void test_disk_size(void)
{
    assert_u64(KIND_DISK, "Size", 0, false);
    assert_u64(KIND_DISK, "Size", 511, false);
    assert_u64(KIND_DISK, "Size", 512, true);
    assert_u64(KIND_DISK, "Size", 513, false);
    assert_u64(KIND_DISK, "Size", 1000, false);
    assert_u64(KIND_DISK, "Size", 1024, true);
    assert_u64(KIND_DISK, "Size", 16 * TEST_TiB - 512, true);
    assert_u64(KIND_DISK, "Size", 16 * TEST_TiB, true);
    assert_u64(KIND_DISK, "Size", 16 * TEST_TiB + 512, false);
    assert_u64(KIND_DISK, "Size", G_MAXUINT64 - 511, false);

    g_autoptr(GError) error = validate(KIND_DISK, "Size", g_variant_new_uint64(513));
    assert_error_mentions(error, "not a multiple of 512");
}

/* --- enumerations --- */

static void test_enum_choices(void)
{
    unsigned n_enums = 0;

    for (ObjectKind k = 0; k < N_KINDS; k++) {
        const ObjectClass *c = object_class(k);
        for (size_t i = 0; i < c->n_fields; i++) {
            const Field *f = &c->fields[i];
            if (!f->choices)
                continue;
            n_enums++;
            g_test_message("%s.%s", c->label, f->name);
            for (const char *const *choice = f->choices; *choice; choice++) {
                assert_valid(k, f->name, g_variant_new_string(*choice));
                /* Choices are case-sensitive. */
                g_autofree char *upper = g_ascii_strup(*choice, -1);
                assert_invalid(k, f->name, g_variant_new_string(upper));
                g_autofree char *padded = g_strconcat(*choice, " ", NULL);
                assert_invalid(k, f->name, g_variant_new_string(padded));
            }
            assert_invalid(k, f->name, g_variant_new_string(""));
            assert_invalid(k, f->name, g_variant_new_string("no-such-choice"));

            /* The message lists what is allowed. */
            g_autoptr(GError) error = validate(k, f->name, g_variant_new_string("bogus"));
            assert_error_mentions(error, f->choices[0]);
        }
    }
    /* VM: RestartPolicy, Clock, Display, DisplayVGA, State; NIC: Model;
     * switch: Type; disk: Format, Bus. */
    g_assert_cmpuint(n_enums, ==, 9);
}

static void test_enum_specific_values(void)
{
    assert_str(KIND_VM, "RestartPolicy", "on-failure", true);
    assert_str(KIND_VM, "RestartPolicy", "unless-stopped", false);
    assert_str(KIND_VM, "Clock", "localtime", true);
    assert_str(KIND_VM, "Display", "spice", false);
    assert_str(KIND_VM, "DisplayVGA", "io", true);
    assert_str(KIND_NIC, "Model", "virtio-net", true);
    assert_str(KIND_NIC, "Model", "rtl8139", false);
    assert_str(KIND_SWITCH, "Type", "netgraph", true); /* host support is the registry's check */
    assert_str(KIND_SWITCH, "Type", "vale", false);
    assert_str(KIND_DISK, "Format", "qcow2", false);
    assert_str(KIND_DISK, "Bus", "ahci-hd", true);
    assert_str(KIND_DISK, "Bus", "ide", false);
}

static void test_enum_bad_value_escaped(void)
{
    g_autofree char *long_bad = repeat('\x01', 5000);
    g_autoptr(GError) error = validate(KIND_VM, "Clock", g_variant_new_string(long_bad));

    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_assert_cmpuint(strlen(error->message), <, 400);
    g_assert_true(g_utf8_validate(error->message, -1, NULL));
}

/* --- NIC --- */

static void test_nic_mac(void)
{
    assert_str(KIND_NIC, "MAC", "0e:c1:00:00:00:01", true);
    assert_str(KIND_NIC, "MAC", "52:54:00:12:34:56", true);
    assert_str(KIND_NIC, "MAC", "02:00:00:00:00:00", true);
    /* Upper case is accepted as written. */
    assert_str(KIND_NIC, "MAC", "0E:C1:AB:CD:EF:01", true);
    assert_str(KIND_NIC, "MAC", "0e:C1:aB:cd:Ef:01", true);
}

static void test_nic_mac_multicast(void)
{
    assert_str(KIND_NIC, "MAC", "01:00:5e:00:00:01", false);
    assert_str(KIND_NIC, "MAC", "33:33:00:00:00:01", false);
    assert_str(KIND_NIC, "MAC", "ff:ff:ff:ff:ff:ff", false);
    assert_str(KIND_NIC, "MAC", "0f:c1:00:00:00:01", false);

    g_autoptr(GError) error = validate(KIND_NIC, "MAC", g_variant_new_string("01:00:5e:00:00:01"));
    assert_error_mentions(error, "multicast");
}

static void test_nic_mac_zero(void)
{
    assert_str(KIND_NIC, "MAC", "00:00:00:00:00:00", false);
    g_autoptr(GError) error = validate(KIND_NIC, "MAC", g_variant_new_string("00:00:00:00:00:00"));
    assert_error_mentions(error, "all-zero");
}

static void test_nic_mac_malformed(void)
{
    const char *const bad[] = {
        "",
        "0e:c1:00:00:00",       /* five octets */
        "0e:c1:00:00:00:01:02", /* seven */
        "0e:c1:00:00:00:1",     /* short last octet */
        "0e:c1:00:00:00:001",   /* long last octet */
        "e:c1:00:00:00:001",    /* 17 characters, colons misplaced */
        "0ec100000001",         /* no colons */
        "0ec1:0000:0001:00",    /* 17 characters, colons misplaced */
        "0e-c1-00-00-00-01",    /* dashes */
        "0e.c1.00.00.00.01",
        "0e:c1:00:00:00:0g", /* not hex */
        " e:c1:00:00:00:01", /* sscanf would skip the space */
        "+e:c1:00:00:00:01", /* ... and accept a sign */
        "0e:c1:00:00:00:01 ",
        "0x:c1:00:00:00:01",
        "0e:c1:00:00:00:01\n",
        "0e:c1::00:00:00:01",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_test_message("MAC '%s'", bad[i]);
        assert_str(KIND_NIC, "MAC", bad[i], false);
    }
}

static void test_nic_rate_limits(void)
{
    const char *const names[] = {"RateLimitIn", "RateLimitOut"};

    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        assert_u64(KIND_NIC, names[i], 0, true); /* unlimited */
        assert_u64(KIND_NIC, names[i], 1, false);
        assert_u64(KIND_NIC, names[i], 7999, false);
        assert_u64(KIND_NIC, names[i], 8000, true);
        assert_u64(KIND_NIC, names[i], G_GUINT64_CONSTANT(100000000000), true);
        assert_u64(KIND_NIC, names[i], G_GUINT64_CONSTANT(100000000001), false);
        assert_u64(KIND_NIC, names[i], G_MAXUINT64, false);
    }
    g_autoptr(GError) error = validate(KIND_NIC, "RateLimitIn", g_variant_new_uint64(7999));
    assert_error_mentions(error, "0 (unlimited)");
}

/* --- switch --- */

static void test_switch_uplink(void)
{
    assert_str(KIND_SWITCH, "Uplink", "", true);
    assert_str(KIND_SWITCH, "Uplink", "eth0", true);
    assert_str(KIND_SWITCH, "Uplink", "enp3s0f1.100", true);
    assert_str(KIND_SWITCH, "Uplink", "abcdefghijklmno", true); /* IFNAMSIZ - 1 */
    assert_str(KIND_SWITCH, "Uplink", "abcdefghijklmnop", false);
    assert_str(KIND_SWITCH, "Uplink", "../eth0", false);
    assert_str(KIND_SWITCH, "Uplink", "a/b", false);
    assert_str(KIND_SWITCH, "Uplink", "eth 0", false);
    assert_str(KIND_SWITCH, "Uplink", ".", false);
}

/* --- VM shares, group, password --- */

static GVariant *one_share(const char *name, const char *path)
{
    return g_variant_new_parsed("[(%s, %s, false)]", name, path);
}

static void test_vm_shares_valid(void)
{
    assert_valid(KIND_VM, "Shares", g_variant_new_parsed("@a(ssb) []"));
    assert_valid(KIND_VM, "Shares", one_share("data", "/srv/data"));
    assert_valid(KIND_VM, "Shares", one_share("root", "/"));
    assert_valid(KIND_VM, "Shares",
                 g_variant_new_parsed("[('a', '/srv/a', true), ('b', '/srv/a', false)]"));
}

static void test_vm_shares_relative_path(void)
{
    assert_invalid(KIND_VM, "Shares", one_share("data", "srv/data"));
    assert_invalid(KIND_VM, "Shares", one_share("data", ""));
    assert_invalid(KIND_VM, "Shares", one_share("data", "./data"));
    assert_invalid(KIND_VM, "Shares", one_share("data", "~/data"));
}

static void test_vm_shares_dot_parts(void)
{
    assert_invalid(KIND_VM, "Shares", one_share("data", "/srv/../etc"));
    assert_invalid(KIND_VM, "Shares", one_share("data", "/.."));
    assert_invalid(KIND_VM, "Shares", one_share("data", "/srv/data/.."));
    assert_invalid(KIND_VM, "Shares", one_share("data", "/srv/./data"));
    /* '..' inside a name is not a parent reference. */
    assert_valid(KIND_VM, "Shares", one_share("data", "/srv/a..b"));
    assert_valid(KIND_VM, "Shares", one_share("data", "/srv/.config"));

    g_autoptr(GError) error = validate(KIND_VM, "Shares", one_share("data", "/srv/../etc"));
    assert_error_mentions(error, "/srv/../etc");
}

static void test_vm_shares_path_characters(void)
{
    g_autofree char *p1023 = repeat('p', 1023);
    g_autofree char *p1024 = g_strconcat("/", p1023, NULL);
    g_autofree char *p1025 = g_strconcat("/p", p1023, NULL);

    /* ',' and '=' would break the hypervisor's option syntax. */
    assert_invalid(KIND_VM, "Shares", one_share("data", "/srv/a,b"));
    assert_invalid(KIND_VM, "Shares", one_share("data", "/srv/a=b"));
    assert_invalid(KIND_VM, "Shares", one_share("data", "/srv/a\nb"));
    assert_valid(KIND_VM, "Shares", one_share("data", p1024));
    assert_invalid(KIND_VM, "Shares", one_share("data", p1025));
}

static void test_vm_shares_names(void)
{
    g_autofree char *n31 = repeat('s', 31);
    g_autofree char *n32 = repeat('s', 32);

    assert_valid(KIND_VM, "Shares", one_share(n31, "/srv"));
    assert_invalid(KIND_VM, "Shares", one_share(n32, "/srv"));
    assert_invalid(KIND_VM, "Shares", one_share("", "/srv"));
    assert_invalid(KIND_VM, "Shares", one_share("my share", "/srv"));
    assert_invalid(KIND_VM, "Shares", one_share("..", "/srv"));
}

static void test_vm_shares_duplicates(void)
{
    assert_invalid(KIND_VM, "Shares",
                   g_variant_new_parsed("[('data', '/srv/a', false), ('data', '/srv/b', true)]"));
    g_autoptr(GError) error = validate(
        KIND_VM, "Shares",
        g_variant_new_parsed("[('x', '/a', false), ('data', '/b', false), ('data', '/c', true)]"));
    assert_error_mentions(error, "'data' twice");
}

static GVariant *n_shares(unsigned n)
{
    GVariantBuilder b;

    g_variant_builder_init(&b, G_VARIANT_TYPE("a(ssb)"));
    for (unsigned i = 0; i < n; i++) {
        g_autofree char *name = g_strdup_printf("share%u", i);
        g_autofree char *path = g_strdup_printf("/srv/%u", i);
        g_variant_builder_add(&b, "(ssb)", name, path, FALSE);
    }
    return g_variant_builder_end(&b);
}

static void test_vm_shares_count(void)
{
    assert_valid(KIND_VM, "Shares", n_shares(VM_MAX_SHARES));
    assert_invalid(KIND_VM, "Shares", n_shares(VM_MAX_SHARES + 1));
    g_assert_cmpint(VM_MAX_SHARES, ==, 8);
}

static void test_vm_group(void)
{
    g_autofree char *n64 = repeat('g', 64);
    g_autofree char *n65 = repeat('g', 65);

    assert_str(KIND_VM, "Group", "", true);
    assert_str(KIND_VM, "Group", "ops", true);
    assert_str(KIND_VM, "Group", n64, true);
    assert_str(KIND_VM, "Group", n65, false);
    assert_str(KIND_VM, "Group", "my group", false);
    assert_str(KIND_VM, "Group", "../ops", false);
}

static void test_vm_display_password(void)
{
    g_autofree char *p64 = repeat('p', 64);
    g_autofree char *p65 = repeat('p', 65);

    assert_str(KIND_VM, "DisplayPassword", "", true);
    assert_str(KIND_VM, "DisplayPassword", "s3cret! ~", true);
    assert_str(KIND_VM, "DisplayPassword", p64, true);
    assert_str(KIND_VM, "DisplayPassword", p65, false);
    assert_str(KIND_VM, "DisplayPassword", "a,b", false);
    assert_str(KIND_VM, "DisplayPassword", "tab\there", false);
    assert_str(KIND_VM, "DisplayPassword", "del\x7f", false);
    assert_str(KIND_VM, "DisplayPassword", "caf\xc3\xa9", false);

    /* A password is never echoed back in an error. */
    g_autoptr(GError) error =
        validate(KIND_VM, "DisplayPassword", g_variant_new_string("hunter2,x"));
    g_assert_null(strstr(error->message, "hunter2"));
}

/* --- descriptions --- */

static void test_description_length(void)
{
    g_autofree char *d1024 = repeat('d', 1024);
    g_autofree char *d1025 = repeat('d', 1025);
    /* 1024 bytes made of 512 two-byte characters is still 1024 bytes. */
    g_autoptr(GString) utf8 = g_string_new(NULL);
    for (int i = 0; i < 512; i++)
        g_string_append(utf8, "\xc3\xa9");

    for (ObjectKind k = 0; k < N_KINDS; k++) {
        if (!object_class_find_field(object_class(k), "Description"))
            continue;
        g_test_message("%s", object_class(k)->label);
        assert_str(k, "Description", "", true);
        assert_str(k, "Description", d1024, true);
        assert_str(k, "Description", d1025, false);
        assert_str(k, "Description", utf8->str, true);
        g_autofree char *utf8_plus = g_strconcat(utf8->str, "x", NULL);
        assert_str(k, "Description", utf8_plus, false);
    }
    g_autoptr(GError) error = validate(KIND_VM, "Description", g_variant_new_string(d1025));
    assert_error_mentions(error, "1025 bytes");
}

static void test_description_control_characters(void)
{
    for (ObjectKind k = 0; k < N_KINDS; k++) {
        if (!object_class_find_field(object_class(k), "Description"))
            continue;
        assert_str(k, "Description", "two\nlines", true);
        assert_str(k, "Description", "a\ttab", true);
        assert_str(k, "Description", "caf\xc3\xa9 \xe2\x98\x95", true);
        assert_str(k, "Description", "bell\a", false);
        assert_str(k, "Description", "\x1b[31mred", false);
        assert_str(k, "Description", "cr\r\n", false);
        assert_str(k, "Description", "\x01", false);
    }
    g_autoptr(GError) error = validate(KIND_DISK, "Description", g_variant_new_string("x\x1b"));
    assert_error_mentions(error, "0x1b");
}

/* --- objects --- */

/* Fields whose default is not a valid value on its own: they are filled
 * in when the object is created (Disk Size is required, a NIC's MAC is
 * generated, UUIDs and names come from the registry). */
static bool default_may_be_invalid(ObjectKind kind, const char *name)
{
    return (kind == KIND_DISK && strcmp(name, "Size") == 0) ||
           (kind == KIND_NIC && strcmp(name, "MAC") == 0);
}

static void test_object_new_defaults_valid(void)
{
    for (ObjectKind k = 0; k < N_KINDS; k++) {
        const ObjectClass *c = object_class(k);
        g_autoptr(CirObject) obj = object_new(k);

        g_assert_cmpint(obj->kind, ==, k);
        g_assert_true(g_uuid_string_is_valid(obj->uuid));
        g_assert_null(obj->name);
        for (size_t i = 0; i < c->n_fields; i++) {
            const Field *f = &c->fields[i];
            if (f->flags & FIELD_DERIVED || default_may_be_invalid(k, f->name))
                continue;
            g_autoptr(GVariant) v = g_variant_take_ref(field_get(obj, f));
            g_autoptr(GError) error = NULL;
            g_test_message("%s.%s", c->label, f->name);
            g_assert_true(g_variant_is_of_type(v, field_core_type(f)));
            field_validate(f, v, &error);
            g_assert_no_error(error);
        }
    }
}

static void test_object_new_vm_defaults(void)
{
    g_autoptr(CirObject) vm = object_new(KIND_VM);
    g_autofree char *state = get_string(vm, "State");
    g_autofree char *restart = get_string(vm, "RestartPolicy");
    g_autofree char *display = get_string(vm, "Display");
    g_autoptr(GVariant) disks = get_value(vm, "Disks");
    g_autoptr(GVariant) pins = get_value(vm, "CPUPins");

    g_assert_cmpstr(state, ==, "stopped");
    g_assert_cmpstr(restart, ==, "no");
    g_assert_cmpstr(display, ==, "vnc");
    g_assert_cmpuint(get_uint(vm, "CPUs"), ==, 1);
    g_assert_cmpuint(get_uint(vm, "Sockets") * get_uint(vm, "Cores") * get_uint(vm, "Threads"), ==,
                     get_uint(vm, "CPUs"));
    g_assert_cmpuint(get_uint(vm, "Memory"), ==, TEST_GiB);
    g_assert_cmpuint(get_uint(vm, "SerialPorts"), ==, 1);
    /* Unset lists read as empty lists of the right type. */
    g_assert_cmpstr(g_variant_get_type_string(disks), ==, "as");
    g_assert_cmpuint(g_variant_n_children(disks), ==, 0);
    g_assert_cmpstr(g_variant_get_type_string(pins), ==, "a(uu)");
    g_assert_cmpuint(g_variant_n_children(pins), ==, 0);
}

static void test_object_new_other_defaults(void)
{
    g_autoptr(CirObject) nic = object_new(KIND_NIC);
    g_autoptr(CirObject) sw = object_new(KIND_SWITCH);
    g_autoptr(CirObject) disk = object_new(KIND_DISK);
    g_autoptr(CirObject) iso = object_new(KIND_ISO);
    g_autofree char *model = get_string(nic, "Model");
    g_autofree char *nic_switch = get_string(nic, "Switch");
    g_autofree char *type = get_string(sw, "Type");
    g_autofree char *format = get_string(disk, "Format");
    g_autofree char *bus = get_string(disk, "Bus");
    g_autofree char *path = get_string(iso, "Path");

    g_assert_cmpstr(model, ==, "virtio-net");
    g_assert_cmpstr(nic_switch, ==, ""); /* user-mode NAT */
    g_assert_cmpuint(get_uint(nic, "RateLimitIn"), ==, 0);
    g_assert_cmpstr(type, ==, "bridge");
    g_assert_cmpstr(format, ==, "raw");
    g_assert_cmpstr(bus, ==, "virtio-blk");
    g_assert_cmpuint(get_uint(disk, "Size"), ==, 0);
    g_assert_cmpstr(path, ==, "");
}

static void test_object_new_unique_uuids(void)
{
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

    for (int i = 0; i < 200; i++) {
        g_autoptr(CirObject) obj = object_new(i % N_KINDS);
        g_assert_true(g_hash_table_add(seen, g_strdup(obj->uuid)));
    }
}

static CirObject *new_filled(ObjectKind kind)
{
    const char *const disks[] = {"8d2e4b1a-3f5c-4e6d-8a7b-9c0d1e2f3a02",
                                 "0b7c3a9e-1d2f-4c5b-8e6a-7f8091a2b3c4", NULL};
    const char *const isos[] = {"c3a1f2e4-5b6d-4c7e-9f80-a1b2c3d4e503", NULL};
    CirObject *obj = object_new(kind);

    switch (kind) {
    case KIND_VM:
        fill_vm(obj, disks, isos);
        break;
    case KIND_NIC:
        fill_nic(obj, "5f0c6a3e-6c1d-4b7a-9a51-0d6f3c2b9e01",
                 "e7f8a9b0-c1d2-4e3f-8a4b-5c6d7e8f9004");
        break;
    case KIND_SWITCH:
        fill_switch(obj);
        break;
    case KIND_DISK:
        fill_disk(obj);
        break;
    case KIND_ISO:
        fill_iso(obj);
        break;
    default:
        g_assert_not_reached();
    }
    return obj;
}

/* The fill_*() helpers (used by the store tests too) give every field but
 * the UUID a valid, non-default value: otherwise a round trip could not
 * tell a lost value from a default. */
static void test_fill_helpers_cover_every_field(void)
{
    for (ObjectKind k = 0; k < N_KINDS; k++) {
        const ObjectClass *c = object_class(k);
        g_autoptr(CirObject) def = object_new(k);
        g_autoptr(CirObject) filled = new_filled(k);

        for (size_t i = 0; i < c->n_fields; i++) {
            const Field *f = &c->fields[i];
            if (f->flags & FIELD_DERIVED || strcmp(f->name, "UUID") == 0)
                continue;
            g_autoptr(GVariant) a = g_variant_take_ref(field_get(def, f));
            g_autoptr(GVariant) b = g_variant_take_ref(field_get(filled, f));
            g_autoptr(GError) error = NULL;
            g_test_message("%s.%s", c->label, f->name);
            g_assert_false(g_variant_equal(a, b));
            field_validate(f, b, &error);
            g_assert_no_error(error);
        }
    }
}

static void test_object_copy_equal(void)
{
    for (ObjectKind k = 0; k < N_KINDS; k++) {
        g_autoptr(CirObject) defaults = object_new(k);
        g_autoptr(CirObject) filled = new_filled(k);
        g_autoptr(CirObject) copy_defaults = object_copy(defaults);
        g_autoptr(CirObject) copy_filled = object_copy(filled);

        g_assert_true(copy_filled != filled);
        g_assert_cmpstr(copy_filled->uuid, ==, filled->uuid);
        g_assert_cmpstr(copy_filled->name, ==, filled->name);
        assert_fields_equal(filled, copy_filled, 0);
        assert_fields_equal(defaults, copy_defaults, 0);
    }
}

static void test_object_copy_independent(void)
{
    g_autoptr(CirObject) vm = new_filled(KIND_VM);
    g_autoptr(CirObject) copy = object_copy(vm);

    g_assert_true(copy->uuid != vm->uuid);
    g_assert_true(copy->name != vm->name);
    g_assert_true(((CirVM *)copy)->description != ((CirVM *)vm)->description);

    /* Changing the copy leaves the original as it was. */
    g_autoptr(CirObject) before = object_copy(vm);
    set_value(copy, "Name", g_variant_new_string("other"));
    set_value(copy, "Description", g_variant_new_string("changed"));
    set_value(copy, "CPUs", g_variant_new_uint32(1));
    set_value(copy, "Disks", g_variant_new_strv(NULL, 0));
    set_value(copy, "Shares", g_variant_new_parsed("@a(ssb) []"));
    assert_fields_equal(vm, before, 0);
}

static void test_field_set_get_roundtrip(void)
{
    g_autoptr(CirObject) vm = object_new(KIND_VM);
    /* One of each storage: string, uint32, uint64, bool, GVariant. */
    const struct {
        const char *field, *value;
    } cases[] = {
        {"Description", "'new description'"},  {"CPUs", "uint32 4"},
        {"Memory", "uint64 2147483648"},       {"Sound", "true"},
        {"CPUPins", "[(uint32 1, uint32 2)]"},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autoptr(GVariant) expected = g_variant_ref_sink(g_variant_new_parsed(cases[i].value));
        /* A fresh floating value, which field_set() takes over. */
        set_value(vm, cases[i].field, g_variant_new_parsed(cases[i].value));
        g_autoptr(GVariant) got = get_value(vm, cases[i].field);
        g_assert_true(g_variant_equal(expected, got));
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);

    g_test_add_func("/field/name/empty", test_name_empty);
    g_test_add_func("/field/name/slash", test_name_slash);
    g_test_add_func("/field/name/dots", test_name_dots);
    g_test_add_func("/field/name/first-character", test_name_first_character);
    g_test_add_func("/field/name/vm-31-vs-32", test_name_vm_length);
    g_test_add_func("/field/name/object-64-vs-65", test_name_object_length);
    g_test_add_func("/field/name/10k", test_name_huge);
    g_test_add_func("/field/name/non-ascii", test_name_non_ascii);
    g_test_add_func("/field/name/spaces", test_name_spaces);

    g_test_add_func("/field/tables/consistent", test_tables_consistent);
    g_test_add_func("/field/tables/core-type", test_core_type);

    g_test_add_func("/field/type/mismatch-every-field", test_type_mismatch);
    g_test_add_func("/field/type/references", test_type_references);

    g_test_add_func("/field/vm/cpus-range", test_vm_cpus);
    g_test_add_func("/field/vm/memory-range", test_vm_memory);
    g_test_add_func("/field/vm/memory-multiple-of-mib", test_vm_memory_multiple_of_mib);
    g_test_add_func("/field/vm/other-ranges", test_vm_other_ranges);
    g_test_add_func("/field/vm/shares-valid", test_vm_shares_valid);
    g_test_add_func("/field/vm/shares-relative-path", test_vm_shares_relative_path);
    g_test_add_func("/field/vm/shares-dot-parts", test_vm_shares_dot_parts);
    g_test_add_func("/field/vm/shares-path-characters", test_vm_shares_path_characters);
    g_test_add_func("/field/vm/shares-names", test_vm_shares_names);
    g_test_add_func("/field/vm/shares-duplicates", test_vm_shares_duplicates);
    g_test_add_func("/field/vm/shares-at-most-8", test_vm_shares_count);
    g_test_add_func("/field/vm/group", test_vm_group);
    g_test_add_func("/field/vm/display-password", test_vm_display_password);

    g_test_add_func("/field/disk/size-range", test_disk_size);

    g_test_add_func("/field/enum/choices-every-field", test_enum_choices);
    g_test_add_func("/field/enum/specific-values", test_enum_specific_values);
    g_test_add_func("/field/enum/bad-value-escaped", test_enum_bad_value_escaped);

    g_test_add_func("/field/nic/mac-valid", test_nic_mac);
    g_test_add_func("/field/nic/mac-multicast", test_nic_mac_multicast);
    g_test_add_func("/field/nic/mac-zero", test_nic_mac_zero);
    g_test_add_func("/field/nic/mac-malformed", test_nic_mac_malformed);
    g_test_add_func("/field/nic/rate-limits", test_nic_rate_limits);

    g_test_add_func("/field/switch/uplink", test_switch_uplink);

    g_test_add_func("/field/description/length", test_description_length);
    g_test_add_func("/field/description/control-characters", test_description_control_characters);

    g_test_add_func("/field/object/new-defaults-valid", test_object_new_defaults_valid);
    g_test_add_func("/field/object/new-vm-defaults", test_object_new_vm_defaults);
    g_test_add_func("/field/object/new-other-defaults", test_object_new_other_defaults);
    g_test_add_func("/field/object/new-unique-uuids", test_object_new_unique_uuids);
    g_test_add_func("/field/object/fill-helpers-cover-every-field",
                    test_fill_helpers_cover_every_field);
    g_test_add_func("/field/object/copy-equal", test_object_copy_equal);
    g_test_add_func("/field/object/copy-independent", test_object_copy_independent);
    g_test_add_func("/field/object/set-get-roundtrip", test_field_set_get_roundtrip);

    return g_test_run();
}
