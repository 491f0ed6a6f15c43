/* The daemon's parts, wired together by main.c. */
#pragma once

#include <glib.h>

#include "auth/auth.h"
#include "cirrina-sd-bus.h"
#include "config-file.h"
#include "core/job.h"
#include "core/lifecycle.h"
#include "core/registry.h"

typedef struct {
    const DaemonConfig *config;
    sd_bus *bus;
    Registry *reg;
    Auth *auth;
    Lifecycle *lifecycle;
    Network *network;
    Jobs *jobs;
} Daemon;
