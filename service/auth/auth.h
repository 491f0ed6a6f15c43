/* Authorization of method calls.
 *
 * Every method asks auth_check before it acts; the continuation runs once
 * the caller is allowed — now (root, or the session's own user) or later,
 * when polkit answers an asynchronous CheckAuthorization — so the daemon
 * serves other clients while a check, or a password prompt, is pending. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "cirrina-sd-bus.h"

typedef struct Auth Auth;

typedef enum {
    AUTH_MODE_SYSTEM,  /* root may do anything; others as polkit decides */
    AUTH_MODE_SESSION, /* only the daemon's own user, no polkit */
} AuthMode;

typedef int (*AuthContinuation)(sd_bus_message *m, void *userdata, sd_bus_error *error);

Auth *auth_new(AuthMode mode);
/* Forgets pending checks: their calls are answered with an error. */
void auth_free(Auth *auth);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Auth, auth_free)

/* Runs then(m, userdata) once the sender of m may perform action; details
 * are key, value, ..., NULL for polkit rules. Otherwise m is answered with
 * org.freedesktop.DBus.Error.AccessDenied, or InteractiveAuthorizationRequired
 * when polkit would ask for a password and the caller did not allow that.
 * userdata_free releases userdata once done with. Returns what a method
 * handler returns (a pending check counts as handled). */
int auth_check(Auth *auth, sd_bus_message *m, const char *action, const char *const *details,
               AuthContinuation then, void *userdata, GDestroyNotify userdata_free,
               sd_bus_error *error);

/* Synchronous answers only: whether the sender needs no polkit check for
 * action (root, the session's user), or polkit already allowed it on this
 * connection (see bus/read-access.c). */
bool auth_sender_is_trusted(Auth *auth, sd_bus_message *m);
