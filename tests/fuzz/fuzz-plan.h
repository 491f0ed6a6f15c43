/* A VM made from fuzzed settings the way clients make one (CreateDisk,
 * RegisterISO, CreateVM, AddNIC: each a{sv} through the bus layer's
 * reading and the registry's checks), for the plan harnesses
 * (fuzz-bhyve-plan.c, fuzz-qemu-plan.c). Only what passed validation is
 * planned: that is all a driver ever sees.
 *
 * Input: a GVariant "(sa{sv}aa{sv}a(sa{sv})aa{sv})":
 *   s            the VM's name
 *   a{sv}        its settings (Disks and ISOs: set to the ones made here)
 *   aa{sv}       disks to make (CreateDisk), attached in this order
 *   a(sa{sv})    ISOs to register: a file name (made in a scratch
 *                directory) and the settings
 *   aa{sv}       NICs to add (AddNIC) */
#pragma once

#include "fuzz-model.h"

typedef struct {
    FuzzModel *m;
    CirObject *vm;     /* NULL when the VM was refused */
    GPtrArray *disks;  /* CirObject *, made */
    GPtrArray *isos;   /* CirObject *, registered */
    GPtrArray *shares; /* char *: share paths the VM was given */
} FuzzVm;

/* Makes the VM of the input (m->reg; host_os chooses the model). */
void fuzz_vm_make(FuzzVm *vm, const char *host_os, const uint8_t *data, size_t size);
/* Deletes what fuzz_vm_make made, and checks that nothing is left. */
void fuzz_vm_clear(FuzzVm *vm);

/* Whether path is dir/NAME or deeper, with no "." or ".." part. */
bool fuzz_path_is_under(const char *path, const char *dir);

/* Checks that a plan is the same when made again (plans are pure). */
void fuzz_check_plan_is_pure(FuzzVm *vm, const char *hypervisor, const HvPlan *plan);
