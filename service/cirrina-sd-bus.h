/* The one place that includes sd-bus: libsystemd on Linux, basu on FreeBSD
 * (basu installs its headers under basu/). */
#pragma once

#include "config.h"

#if HAVE_BASU
#include <basu/sd-bus.h>
#else
#include <systemd/sd-bus.h>
#endif
