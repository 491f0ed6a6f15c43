/* A minimal asynchronous QMP client: connect to QEMU's monitor socket,
 * negotiate, run a few commands, report once all have answered. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "hv/hv.h"

/* commands: JSON objects ({"execute": ...}), NULL-terminated; may be empty
 * to check that the monitor answers. done runs exactly once, unless this
 * returns false. */
bool qmp_execute(const char *socket_path, const char *const *commands, HvDone done, void *data,
                 GError **error);

/* A JSON string literal for s (quotes included). */
char *qmp_quote(const char *s);
