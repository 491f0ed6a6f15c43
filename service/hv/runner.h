/* Host commands (bhyvectl, ifconfig, ngctl, zfs, ip, tc) all run through
 * here, so tests can replace the runner and record what would be run. */
#pragma once

#include <glib.h>
#include <stdbool.h>

typedef bool (*HostRunFunc)(const char *const *argv, void *data, GError **error);

/* Runs argv synchronously (short host commands only), failing with its
 * stderr when it exits non-zero. */
bool host_run(const char *const *argv, GError **error);
#define host_runv(error, ...) host_run((const char *const[]){__VA_ARGS__, NULL}, error)

/* Tests: route every host_run through func instead; NULL restores. */
void host_runner_set(HostRunFunc func, void *data);
