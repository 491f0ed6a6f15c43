/* The named errors of the API, and how model errors become them. */
#pragma once

#include <glib.h>

#include "cirrina-sd-bus.h"

#define CIRRINA_ERROR_NAME_INVALID_ARGUMENT "org.cirrina.Error.InvalidArgument"
#define CIRRINA_ERROR_NAME_NOT_FOUND        "org.cirrina.Error.NotFound"
#define CIRRINA_ERROR_NAME_EXISTS           "org.cirrina.Error.Exists"
#define CIRRINA_ERROR_NAME_BUSY             "org.cirrina.Error.Busy"
#define CIRRINA_ERROR_NAME_NOT_SUPPORTED    "org.cirrina.Error.NotSupported"
#define CIRRINA_ERROR_NAME_FAILED           "org.cirrina.Error.Failed"
#define CIRRINA_ERROR_NAME_CANCELLED        "org.cirrina.Error.Cancelled"

/* Registers the errno mapping of our names (sd_bus_error_add_map). */
void bus_errors_register(void);

/* Sets error from a model GError and returns the matching negative errno,
 * ready to be returned from a method handler. */
int bus_error_from_gerror(sd_bus_error *error, const GError *gerror);
