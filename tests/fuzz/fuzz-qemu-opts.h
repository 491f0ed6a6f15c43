/* QEMU's option syntax (QemuOpts), read as QEMU reads it: "key=value"
 * parts separated by ',', ",," for a comma inside a value, and a first
 * part without '=' for the option's implied key. The options and keys are
 * those the QEMU driver (hv/qemu.c) writes: one it starts to write must be
 * added here. */
#pragma once

#include <glib.h>

typedef struct {
    const char *option;
    const char *implied; /* the key of a first part without '=' */
    const char *keys;    /* space-separated; NULL: a plain value */
} QemuOptionSyntax;

/* The syntax of an option ("-drive"), or NULL for one the driver never
 * writes. */
const QemuOptionSyntax *fuzz_qemu_option(const char *option);

/* key -> value of an option's argument; fails (aborts) on a key the
 * option does not take or a key given twice. syntax->keys must be set. */
GHashTable *fuzz_qemu_parse_opts(const QemuOptionSyntax *syntax, const char *arg);
