/* The one place that includes sd-bus: libsystemd on Linux, basu on FreeBSD
 * (basu installs its headers under basu/). */
#pragma once

#include "config.h"

#if HAVE_BASU
#include <basu/sd-bus.h>
#else
#include <systemd/sd-bus.h>
#endif

#include <glib.h>

/* Scope-bound ownership for sd-bus types, GLib style:
 * g_autoptr(sd_bus_message) m = NULL; g_auto(sd_bus_error) e = SD_BUS_ERROR_NULL; */
G_DEFINE_AUTOPTR_CLEANUP_FUNC(sd_bus_message, sd_bus_message_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(sd_bus_slot, sd_bus_slot_unref)
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(sd_bus_error, sd_bus_error_free)
