/* Errors of the model, independent of D-Bus: bus/errors.c maps each code to
 * a named org.cirrina.Error. */
#pragma once

#include <glib.h>

#define CIRRINA_ERROR (cirrina_error_quark())

typedef enum {
    CIRRINA_ERROR_INVALID_ARGUMENT,
    CIRRINA_ERROR_NOT_FOUND,
    CIRRINA_ERROR_EXISTS,
    CIRRINA_ERROR_BUSY,
    CIRRINA_ERROR_NOT_SUPPORTED,
    CIRRINA_ERROR_FAILED,
    CIRRINA_ERROR_CANCELLED, /* a job cancelled by a client, or by the daemon's shutdown */
} CirrinaError;

GQuark cirrina_error_quark(void);
