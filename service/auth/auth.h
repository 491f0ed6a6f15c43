/* Authorization of method calls.
 *
 * Every method asks auth_check before it acts; the continuation runs once
 * the caller is allowed (now, or later when an asynchronous answer comes),
 * so handlers are written the same way whatever decides. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "cirrina-sd-bus.h"

typedef struct Auth Auth;

typedef enum {
    AUTH_MODE_SYSTEM,  /* root may do anything; others as polkit decides */
    AUTH_MODE_SESSION, /* only the daemon's own user */
} AuthMode;

typedef int (*AuthContinuation)(sd_bus_message *m, void *userdata, sd_bus_error *error);

Auth *auth_new(AuthMode mode);
void auth_free(Auth *auth);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Auth, auth_free)

/* Runs then(m, userdata) if the sender of m may perform action, else sets
 * an AccessDenied error. userdata_free releases userdata once it is done
 * with. Returns what a method handler returns. */
int auth_check(Auth *auth, sd_bus_message *m, const char *action, AuthContinuation then,
               void *userdata, GDestroyNotify userdata_free, sd_bus_error *error);
