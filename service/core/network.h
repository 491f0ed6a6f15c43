/* Switches and NICs on the host: the glue between the model (the
 * registry's switches and NICs) and the switch backends (net/).
 *
 * - Switches: a switch's kernel object is made when the switch is created,
 *   its uplink joined and released as Uplink changes, and the object
 *   removed when the switch is deleted; each as a registry effect, so a
 *   change the host refuses changes nothing, and a change that cannot be
 *   stored is undone on the host. At start, network_restore() remakes what
 *   a host reboot took away, and removes what a daemon killed during
 *   CreateSwitch made for a switch it never stored (recorded in the run
 *   directory, see network_set_run_dir).
 * - NICs: when a VM starts, each NIC on a switch gets a port (a tap joined
 *   to the bridge, or a netgraph hook, with its rate limits); the ports are
 *   recorded in the VM's run directory (file "network"), kept across guest
 *   reboots and restarts of the daemon, and removed once the VM has
 *   stopped, also when it stopped while the daemon was away. */
#pragma once

#include "core/registry.h"
#include "hv/hv.h"

typedef struct Network Network;

/* Installs the switch effects into reg; host_os chooses the backends. */
Network *network_new(Registry *reg, const char *host_os);
void network_free(Network *net);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Network, network_free)

/* Where the switch being made is recorded (until it is stored), so that a
 * restart removes a kernel object made for a switch that never was;
 * without a run directory (unit tests) nothing is recorded. */
void network_set_run_dir(Network *net, const char *run_dir);

/* Removes the kernel object of a switch that was being made when the
 * daemon stopped and was never stored; makes every switch's kernel object
 * (and uplink) that is missing. */
void network_restore(Network *net);

/* Host interfaces that could be a switch's uplink, sorted. */
GPtrArray *network_host_interfaces(Network *net);

/* Ports for the NICs of vm before it runs; nothing is left on failure.
 * A VM whose ports are up already keeps them (a guest reboot). */
bool network_vm_up(Network *net, const CirObject *vm, const char *run_dir, GError **error);
/* Removes the VM's ports (from memory, or from its record in run_dir after
 * a restart of the daemon); failures are logged. */
void network_vm_down(Network *net, const char *vm_uuid, const char *run_dir);
/* The ports of a VM that kept running while the daemon was away. */
void network_vm_reattach(Network *net, const char *vm_uuid, const char *run_dir);

/* How the hypervisor attaches nic: user-mode NAT, a tap, or a netgraph
 * hook; the port of the running VM, or what a start would make. Strings
 * are added to hold. net may be NULL (taps named after the NIC). */
void network_describe_nic(Network *net, const CirNIC *nic, HvNIC *out, GPtrArray *hold);
