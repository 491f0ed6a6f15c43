/* Switch backends: how a switch and the NICs of running VMs appear on the
 * host.
 *
 * A backend knows one kind of kernel switch: a Linux bridge
 * (linux-bridge.c), a FreeBSD if_bridge (if-bridge.c) or a FreeBSD netgraph
 * ng_bridge node (netgraph.c). It creates and destroys the switch, joins and
 * releases its uplink, and makes one port per NIC of a running VM: a tap
 * joined to the bridge, or a netgraph hook, with the NIC's rate limits.
 * Every host command goes through hv/runner.h, so tests record the exact
 * sequences (tests/unit/test-net.c, tests/data/net-golden/). Backends know
 * neither SQL nor D-Bus; core/network.c ties them to switches and VMs. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

/* One NIC's port on a switch, for as long as its VM runs. */
typedef struct {
    char *nic;         /* the NIC's UUID */
    uint32_t index;    /* the NIC's index in its VM */
    char *backend;     /* NetBackend.name */
    char *bridge;      /* the switch's interface (or netgraph node) */
    char *tap;         /* tap interface (linux-bridge, if_bridge); NULL for netgraph */
    char *hook;        /* netgraph: the bridge's hook for this NIC ("link2"); else NULL */
    char *shaper;      /* what enforces the rate limits (Linux: an IFB device for
                        * RateLimitOut; FreeBSD: an ng_pipe node); NULL if none */
    char *ng_node;     /* netgraph: where the hypervisor's socket connects ... */
    char *ng_hook;     /* ... and the hook there */
    uint64_t rate_in;  /* bits/s to the guest, 0: unlimited */
    uint64_t rate_out; /* bits/s from the guest, 0: unlimited */
} NetPort;

NetPort *net_port_new(void);
void net_port_free(NetPort *port);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(NetPort, net_port_free)

typedef struct {
    const char *name; /* "linux-bridge", "if_bridge", "netgraph" */
    /* Hypervisors open port->tap; otherwise (netgraph) they connect to
     * port->ng_node at port->ng_hook, and the backend needs port->hook. */
    bool uses_tap;
    /* Whether the switch's kernel object exists. */
    bool (*exists)(const char *bridge);
    bool (*create)(const char *bridge, GError **error);
    bool (*destroy)(const char *bridge, GError **error);
    /* Joins or releases a host interface as the switch's uplink. */
    bool (*join)(const char *bridge, const char *uplink, GError **error);
    bool (*leave)(const char *bridge, const char *uplink, GError **error);
    /* Names what port_add will make (tap, shaper, ng_node, ng_hook) from
     * the NIC, bridge, hook and rates; runs nothing. */
    void (*port_plan)(NetPort *port);
    /* Makes the port; on failure undoes what it made. */
    bool (*port_add)(const NetPort *port, GError **error);
    /* Removes the port, every step even if one fails (the first error is
     * returned). */
    bool (*port_remove)(const NetPort *port, GError **error);
} NetBackend;

extern const NetBackend net_linux_bridge, net_if_bridge, net_netgraph;

/* The backend of a switch of type ("bridge", "netgraph") on host_os
 * ("linux", "freebsd"), or NULL where there is none. */
const NetBackend *net_backend_for(const char *host_os, const char *type);
const NetBackend *net_backend_by_name(const char *name);

/* Names the daemon gives a NIC's kernel objects, from its UUID: "ct" and
 * the UUID's first 8 hex digits (within IFNAMSIZ, never a host's own), with
 * a suffix for helpers ('i': Linux IFB, 'p': FreeBSD ng_pipe). */
char *net_tap_name(const char *nic_uuid);
char *net_helper_name(const char *nic_uuid, char suffix);
/* Whether name is one the daemon gives a NIC's tap or helper. */
bool net_name_is_port(const char *name);

/* Burst size for a rate (bytes): 50 ms of traffic, at least 10 full
 * frames, so that shaping neither stalls nor lets floods through. */
uint64_t net_burst_bytes(uint64_t rate_bps);
/* FreeBSD: ng_pipe's setcfg argument for the port's limits; downstream
 * (the pipe's upper hook to its lower, towards the guest) is RateLimitIn,
 * upstream RateLimitOut, in bits per second; a direction at 0 is left out
 * (unlimited). */
char *net_pipe_config(const NetPort *port);

/* --- the host's interfaces (host.c) --- */

typedef enum {
    NET_IF_ABSENT,  /* no such interface */
    NET_IF_PRESENT, /* exists, but cannot be an uplink */
    NET_IF_UPLINK,  /* could be an uplink: Ethernet-like, not loopback, not a
                     * bridge or tap (the daemon's or anyone's), not wireless */
} NetIfStatus;

/* What the host has under name; for an uplink, *master (when not NULL) is
 * set to the bridge or bond it is a port of, or NULL: one of the
 * daemon's switches' bridges is fine, any other makes it taken. */
NetIfStatus net_host_interface_status(const char *name, char **master);
/* The names of every interface of the host, unordered. */
GPtrArray *net_host_interface_names(void);
/* Tests: answer net_host_interface_status with probe instead; NULL
 * restores. */
typedef NetIfStatus (*NetIfProbe)(const char *name, char **master);
void net_host_probe_set(NetIfProbe probe);
