/* The daemon's model without a bus, for the harnesses that create, change
 * and plan objects: a registry on an in-memory database, the switch glue
 * (core/network.c) with a runner that runs nothing, a lifecycle that only
 * plans, and the bus layer's a{sv} reading (bus/object.c) on messages built
 * in memory. Fixed objects with fixed UUIDs are there from the start, so
 * inputs can name them by path. */
#pragma once

#include "bus/object.h"
#include "core/lifecycle.h"
#include "core/network.h"
#include "core/registry.h"
#include "store/store.h"

#define FIX_VM          "00000000-0000-4000-8000-00000000f001"
#define FIX_NIC         "00000000-0000-4000-8000-00000000f401" /* FIX_VM's, NAT */
#define FIX_SWITCH      "00000000-0000-4000-8000-00000000f101"
#define FIX_SWITCH_NG   "00000000-0000-4000-8000-00000000f102" /* FreeBSD models only */
#define FIX_DISK_VIRTIO "00000000-0000-4000-8000-00000000f201"
#define FIX_DISK_NVME   "00000000-0000-4000-8000-00000000f202"
#define FIX_DISK_AHCI   "00000000-0000-4000-8000-00000000f203"
#define FIX_ISO         "00000000-0000-4000-8000-00000000f301"

typedef struct {
    char *dir;
    char *disk_dir, *iso_dir, *run_dir, *state_dir, *files_dir;
    Store *store;
    Registry *reg;
    Network *net;
    Lifecycle *lc;
    sd_bus *bus; /* unconnected: only for making messages */
    Daemon daemon;
    unsigned n_fixtures[N_KINDS];
} FuzzModel;

/* One model per host_os ("linux" or "freebsd") and process, made on first
 * use. */
FuzzModel *fuzz_model(const char *host_os);

/* A method call whose arguments are the children of args (a tuple),
 * sealed and rewound as a received message is; NULL when args cannot go
 * over D-Bus (a GVariant type D-Bus lacks, nesting too deep). */
sd_bus_message *fuzz_model_message(FuzzModel *m, const char *member, GVariant *args);

/* Checks that exactly the fixtures are left: each input cleans up after
 * itself, so the next one starts from the same state. */
void fuzz_model_check_clean(FuzzModel *m);

/* Deletes obj and whatever the input left (NICs of the fixture VM). */
void fuzz_model_delete(FuzzModel *m, CirObject *obj);

/* Checks what a created or changed object must be: every settable value
 * passes its field's check, the kind's whole-object check passes again,
 * the store holds what memory holds, and its bus path leads back to it. */
void fuzz_model_check_object(FuzzModel *m, CirObject *obj);
