/* The lifecycle of VMs: start, stop, kill, reset; the state machine
 * (stopped -> starting -> running -> stopping -> stopped) with its signals
 * through the registry; the restart policy; autostart; and recovery of VMs
 * that kept running while the daemon was away. */
#pragma once

#include "core/network.h"
#include "core/registry.h"
#include "hv/hv.h"

typedef struct Lifecycle Lifecycle;

typedef struct {
    const char *run_dir;   /* VMs run in run_dir/vm/<uuid> */
    const char *state_dir; /* VMs keep UEFI vars in state_dir/vm/<uuid> */
    const char *hypervisor;
    const char *uefi_code;
    const char *uefi_vars;
    const char *qemu_binary;
    const char *accelerator; /* qemu: "auto" (probe), "kvm" or "tcg" */
    Network *network;        /* NIC ports on switches; NULL: none made */
} LifecycleConfig;

/* error NULL: done. Runs exactly once per accepted request. */
typedef void (*LifecycleDone)(const GError *error, void *data);

#define LIFECYCLE_STOP_TIMEOUT_DEFAULT 60
#define LIFECYCLE_STOP_TIMEOUT_MAX     3600

Lifecycle *lifecycle_new(Registry *reg, const LifecycleConfig *config);
/* Stops watching (the VMs keep running) and fails pending requests. */
void lifecycle_free(Lifecycle *lc);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Lifecycle, lifecycle_free)

/* Reattaches to recorded VMs that still run, cleans up after the others,
 * then schedules autostarts. */
void lifecycle_recover(Lifecycle *lc);

/* Each returns false with error when the request is refused at once;
 * otherwise done runs later. Start on a running VM and Stop/Kill on a
 * stopped one succeed at once. */
bool lifecycle_start(Lifecycle *lc, CirObject *vm, LifecycleDone done, void *data, GError **error);
/* ACPI power button, then kill after timeout_s seconds (0: the default). */
bool lifecycle_stop(Lifecycle *lc, CirObject *vm, uint32_t timeout_s, LifecycleDone done,
                    void *data, GError **error);
bool lifecycle_kill(Lifecycle *lc, CirObject *vm, LifecycleDone done, void *data, GError **error);
bool lifecycle_reset(Lifecycle *lc, CirObject *vm, GError **error);

/* What a start would run and write, for hypervisor ("" or NULL: the
 * configured one). */
HvPlan *lifecycle_plan(Lifecycle *lc, CirObject *vm, const char *hypervisor, GError **error);

/* A client end of serial port (1-4) of the running VM, after history bytes
 * of recent output; -1 with error otherwise. */
int lifecycle_open_console(Lifecycle *lc, CirObject *vm, unsigned port, size_t history,
                           GError **error);
/* The tail of a port's log; also after the VM stopped. */
GBytes *lifecycle_console_log(Lifecycle *lc, CirObject *vm, unsigned port, size_t max_bytes,
                              GError **error);
/* A socket connected to the running VM's VNC server. */
int lifecycle_open_display(Lifecycle *lc, CirObject *vm, GError **error);

/* Removes what a deleted VM kept on disk (UEFI vars, run directory). */
void lifecycle_forget(Lifecycle *lc, const char *vm_uuid);
bool lifecycle_kvm_available(Lifecycle *lc);
