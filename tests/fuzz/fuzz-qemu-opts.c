#include "fuzz-qemu-opts.h"

#include <stdbool.h>
#include <string.h>

#include "fuzz-common.h"

static const QemuOptionSyntax options[] = {
    {"-name", NULL, "guest debug-threads"},
    {"-uuid", NULL, NULL},
    {"-display", NULL, NULL},
    {"-machine", "type", "type accel"},
    {"-cpu", NULL, NULL},
    {"-smp", "cpus", "cpus sockets cores threads"},
    {"-m", NULL, NULL},
    {"-overcommit", NULL, "mem-lock"},
    {"-rtc", NULL, "base"},
    {"-drive", NULL, "file format if id cache readonly discard media unit"},
    {"-chardev", "backend", "backend id path server wait"},
    {"-mon", NULL, "chardev mode"},
    {"-netdev", "type", "type id ifname script downscript"},
    {"-device", "driver",
     "driver drive bus bootindex serial netdev mac romfile chardev edid xres yres id rng fsdev "
     "mount_tag audiodev"},
    {"-vnc", "vnc", "vnc password"},
    {"-audiodev", "driver", "driver id"},
    {"-object", "qom-type", "qom-type id filename"},
    {"-fsdev", "fsdriver", "fsdriver id path security_model readonly"},
};

const QemuOptionSyntax *fuzz_qemu_option(const char *option)
{
    for (size_t i = 0; i < G_N_ELEMENTS(options); i++)
        if (strcmp(options[i].option, option) == 0)
            return &options[i];
    return NULL;
}

/* A value up to a single ',' (",," is a comma in it), as QEMU's
 * get_opt_value() reads it. */
static char *read_value(const char **p)
{
    GString *v = g_string_new(NULL);

    for (; **p; (*p)++) {
        if (**p == ',') {
            if ((*p)[1] != ',')
                break;
            (*p)++;
        }
        g_string_append_c(v, **p);
    }
    return g_string_free(v, FALSE);
}

/* key -> value of one option argument, as QemuOpts reads it. */
GHashTable *fuzz_qemu_parse_opts(const QemuOptionSyntax *syntax, const char *arg)
{
    GHashTable *opts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_auto(GStrv) allowed = g_strsplit(syntax->keys, " ", -1);
    const char *p = arg;

    for (bool first = true; *p; first = false) {
        const char *q = p;
        char *key, *value;
        while (*q && *q != '=' && *q != ',')
            q++;
        if (*q == '=') {
            key = g_strndup(p, (gsize)(q - p));
            p = q + 1;
            value = read_value(&p);
        } else if (first && syntax->implied) {
            key = g_strdup(syntax->implied);
            value = read_value(&p);
        } else { /* a bare "flag", read as flag=on */
            key = g_strndup(p, (gsize)(q - p));
            value = g_strdup("on");
            p = q;
        }
        FUZZ_CHECK(g_strv_contains((const char *const *)allowed, key),
                   "%s '%s': the key '%s' is none that %s takes", syntax->option, arg, key,
                   syntax->option);
        FUZZ_CHECK(!g_hash_table_contains(opts, key), "%s '%s' gives %s twice", syntax->option, arg,
                   key);
        g_hash_table_insert(opts, key, value);
        if (*p == ',')
            p++;
    }
    return opts;
}
