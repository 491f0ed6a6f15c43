/* polkit's CheckAuthorization, asynchronously, on the caller's bus. */
#pragma once

#include <stdbool.h>

#include "cirrina-sd-bus.h"

typedef struct PolkitCheck PolkitCheck;

typedef struct {
    bool authorized;
    bool challenge;    /* polkit would authenticate the user first */
    const char *error; /* polkit could not be asked, or failed */
} PolkitResult;

typedef void (*PolkitAnswered)(const PolkitResult *result, void *data);

/* Asks about the sender of m (subject system-bus-name). answered runs once,
 * from the main loop, unless the check is cancelled first. */
PolkitCheck *polkit_check_start(sd_bus_message *m, const char *action, const char *const *details,
                                bool interactive, PolkitAnswered answered, void *data,
                                sd_bus_error *error);
void polkit_check_cancel(PolkitCheck *check);
