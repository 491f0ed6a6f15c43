/* Hypervisor drivers: one small interface, one file per hypervisor.
 *
 * A driver turns a VM (its settings, resolved to host paths by the caller)
 * into a launch plan — the argv it runs and the files it writes — and knows
 * how to stop, kill and reset that VM and what its exit means. Plans are
 * pure: GetLaunchPlan shows them for either driver on any host, and the
 * start path runs the very same plan. Drivers know neither SQL nor D-Bus;
 * host commands go through hv/runner.h so tests can record them. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/object.h"

typedef enum {
    HV_NET_USER,     /* user-mode NAT: qemu -netdev user, bhyve slirp */
    HV_NET_TAP,      /* a tap device, named in ifname */
    HV_NET_NETGRAPH, /* bhyve only: ng socket on the switch in ifname */
} HvNetBackend;

typedef struct {
    const CirDisk *disk;
    const char *path; /* image file or zvol device */
} HvDisk;

typedef struct {
    const CirISO *iso;
} HvISO;

typedef struct {
    const CirNIC *nic;
    HvNetBackend backend;
    const char *ifname;   /* tap name, or netgraph switch node */
    const char *peerhook; /* netgraph: the switch's hook for this NIC, e.g. "link2" */
} HvNIC;

/* Everything a plan depends on; owned by the caller. */
typedef struct {
    const CirVM *vm;
    const char *launch_name; /* bhyve VM name (/dev/vmm/NAME), qemu -name */
    HvDisk *disks;           /* in boot order */
    size_t n_disks;
    HvISO *isos;
    size_t n_isos;
    HvNIC *nics;
    size_t n_nics;
    const char *run_dir;      /* per-VM runtime directory: sockets, config, pid */
    const char *vm_state_dir; /* per-VM persistent directory: UEFI vars */
    const char *uefi_code;
    const char *uefi_vars_template;
    const char *qemu_binary;
    bool kvm;                   /* qemu: KVM works on this host */
    uint16_t vnc_port;          /* bhyve: fbuf TCP port on 127.0.0.1, chosen by the daemon */
    const char *com_devices[4]; /* bhyve: nmdm A sides for com1..com4 */
} HvSpec;

typedef struct {
    GPtrArray *argv;   /* char *, not NULL-terminated (callers append one to exec) */
    GHashTable *files; /* absolute path -> contents (char *) */
    /* Files copied before launch when missing: destination -> source
     * (the per-VM UEFI vars from the template). */
    GHashTable *copies;
} HvPlan;

HvPlan *hv_plan_new(void);
void hv_plan_free(HvPlan *plan);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HvPlan, hv_plan_free)
void hv_plan_add_arg(HvPlan *plan, const char *arg);
void hv_plan_add_argf(HvPlan *plan, const char *format, ...) G_GNUC_PRINTF(2, 3);

/* What a VM's exit means, as the driver reads its status. */
typedef enum {
    HV_EXIT_POWEROFF, /* the guest powered off or halted */
    HV_EXIT_REBOOT,   /* the guest rebooted: start it again */
    HV_EXIT_CRASH,    /* triple fault or hypervisor error */
    HV_EXIT_KILLED,   /* killed by a signal */
} HvExitKind;

typedef struct {
    HvExitKind kind;
    const char *reason; /* for ExitReason: "poweroff", "reboot", "triple-fault", ... */
} HvExit;

/* A running VM's process, as the driver needs it. */
typedef struct {
    int pid;
    const char *vm_uuid;
    const char *run_dir;
    const char *launch_name;
    uint16_t vnc_port;
} HvInstance;

/* Called once an asynchronous request finished; error NULL on success. */
typedef void (*HvDone)(const GError *error, void *data);

typedef struct {
    const char *name; /* "qemu", "bhyve" */
    HvPlan *(*plan)(const HvSpec *spec, GError **error);
    /* Interprets a wait status of the hypervisor process. */
    HvExit (*interpret_exit)(int wait_status);
    /* Host commands to run after the process is gone (bhyve: destroy the
     * kernel VM), through the runner; NULL when there are none. */
    bool (*cleanup)(const char *launch_name, GError **error);
    /* After launch: done runs when the VM is up and configured (qemu: its
     * monitor answers and the VNC password is set); NULL: up at once. */
    bool (*finish_start)(const HvInstance *inst, const CirVM *vm, HvDone done, void *data,
                         GError **error);
    /* Asks the guest to power off through ACPI. */
    bool (*powerdown)(const HvInstance *inst, GError **error);
    /* Resets the VM as a reset button would. */
    bool (*reset)(const HvInstance *inst, GError **error);
    /* The host end of serial port (1-4): a unix socket or a device. */
    char *(*serial_endpoint)(const HvInstance *inst, unsigned port);
    /* The VNC server: "unix:PATH" or "tcp:HOST:PORT". */
    char *(*display_endpoint)(const HvInstance *inst);
} HvDriver;

/* bhyve's nmdm device for a port, side 'A' (bhyve's) or 'B' (ours). */
char *hv_nmdm_device(const char *vm_uuid, unsigned port, char side);

extern const HvDriver hv_qemu_driver;
extern const HvDriver hv_bhyve_driver;

const HvDriver *hv_driver_by_name(const char *name);

/* Whether KVM can run a guest on this host (probed, not assumed). */
bool hv_kvm_usable(void);
