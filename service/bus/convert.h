/* Values between sd-bus messages and GVariant, which the model speaks. */
#pragma once

#include <glib.h>

#include "cirrina-sd-bus.h"

/* Reads the next complete value of the message; 0 at the end of the
 * current container. */
int bus_read_gvariant(sd_bus_message *m, GVariant **out);
/* Appends a value of any D-Bus type. */
int bus_append_gvariant(sd_bus_message *m, GVariant *value);
