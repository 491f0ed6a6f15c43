/* sd-bus on the GLib main loop, without sd-event (basu has none). */
#pragma once

#include <glib.h>

#include "cirrina-sd-bus.h"

/* A GSource that processes the bus whenever its fd is ready or its timeout
 * passes; attached to the default context, removed with g_source_destroy. */
GSource *bus_source_new(sd_bus *bus);
