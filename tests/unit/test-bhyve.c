/* Golden tests of the bhyve driver (service/hv/bhyve.c).
 *
 * Each shape builds an HvSpec by hand (fixed UUIDs, fake paths) and compares
 * the plan with two files in tests/data/bhyve-golden/:
 *   <shape>.args  the argv, one argument per line;
 *   <shape>.conf  the bhyve_config(5) file the plan writes to
 *                 <run_dir>/bhyve.conf.
 *
 * To write the golden files instead of comparing (after a deliberate change
 * of the driver's output), run
 *     CIRRINA_UPDATE_GOLDEN=1 meson test -C build test-bhyve
 * and review every changed file by hand against bhyve_config(5): the golden
 * files are the claim of what bhyve is given. Every config file is also
 * checked by lint_config() below: each key must be one bhyve_config(5)
 * documents for its node (so a typo in a key name cannot pass as golden).
 *
 * Equivalents of libvirt's tests/bhyvexml2argvdata cases are named after
 * them and have the same devices and options, with these differences:
 *   - PCI slots: libvirt puts lpc at 1:0 and its devices from slot 2; we put
 *     lpc at 31 (vm-bhyve and bhyve.8's UEFI examples) and devices from
 *     slot 1, so a device libvirt puts in slot N is in slot N-1 here (for
 *     instance libvirt's "-s 2:0,ahci,hd:/tmp/freebsd.img -s 3:0,virtio-net"
 *     is our pci.0.1.0 ahci and pci.0.2.0 virtio-net); lpc is always there.
 *   - Cirrina boots bhyve guests with UEFI only, so every shape has
 *     lpc.bootrom (libvirt's non-UEFI cases use bhyveload instead).
 *   - libvirt passes -u by default; we write rtc.use_localtime=false for
 *     Clock=utc (the default) and true for localtime.
 *   - Host paths are Cirrina's (/var/lib/cirrina/disks/<uuid>.img), taps
 *     are tapN (libvirt's tests use the stub "faketapdev").
 *   - nvme: libvirt's case sets maxq=2,qsz=256 from its XML; Cirrina has no
 *     such properties, so bhyve's defaults apply.
 *   - sound: libvirt's case also records (rec=/dev/dsp0); Cirrina plays only.
 *   - vcpupin: libvirt pins a vCPU to a set of host CPUs; Cirrina pins each
 *     vCPU to one host CPU (-p 0:1 -p 1:0 here).
 *   - 4-consoles: libvirt's com2/com3 are TCP; Cirrina's serial ports are
 *     all nmdm devices.
 *   - input-xhci-tablet: libvirt's case has a tablet without a display;
 *     Cirrina adds the tablet only with a VNC display.
 *   - acpiapic is the same as base: ACPI tables are always generated
 *     (acpi_tables=true) and the local APIC is in bhyve's default xAPIC mode.
 *   - addr-multiple-sata-disks: libvirt's expected args name one image
 *     twice; here the three disks are distinct. */
#include <glib.h>
#include <signal.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hv/hv.h"
#include "hv/runner.h"
#include "test-common.h"

#define LIBVIRT_UUID "df3be7e7-a104-11e3-aeb0-50e5492bd3dc"
#define CIRRINA_UUID "6f1c1e9a-4b8e-4c1e-9a55-2f7d8a9b0c01"
#define UEFI_DIR     "/usr/local/share/uefi-firmware/"
#define MAX_DEVS     40

/* --- building specs --- */

typedef struct {
    CirVM *vm;
    CirObject *objects[3 * MAX_DEVS]; /* disks, ISOs, NICs: freed with the shape */
    size_t n_objects;
    HvDisk disks[MAX_DEVS];
    HvISO isos[MAX_DEVS];
    HvNIC nics[MAX_DEVS];
    GPtrArray *strings; /* paths and names the spec points to */
    HvSpec spec;
} Shape;

static void set_str(char **field, const char *value)
{
    g_free(*field);
    *field = g_strdup(value);
}

static const char *keep(Shape *s, char *owned)
{
    g_ptr_array_add(s->strings, owned);
    return owned;
}

static CirObject *own(Shape *s, ObjectKind kind, const char *uuid)
{
    CirObject *obj = object_new(kind);

    g_assert_cmpuint(s->n_objects, <, G_N_ELEMENTS(s->objects));
    set_str(&obj->uuid, uuid);
    s->objects[s->n_objects++] = obj;
    return obj;
}

/* A VM with object_new()'s defaults, as a fresh Cirrina VM has them, and
 * the daemon's usual firmware and directories. */
static Shape *shape_new(const char *uuid, const char *name)
{
    Shape *s = g_new0(Shape, 1);

    s->strings = g_ptr_array_new_with_free_func(g_free);
    s->vm = (CirVM *)object_new(KIND_VM);
    set_str(&s->vm->base.uuid, uuid);
    set_str(&s->vm->base.name, name);
    s->spec.vm = s->vm;
    s->spec.launch_name = name;
    s->spec.disks = s->disks;
    s->spec.isos = s->isos;
    s->spec.nics = s->nics;
    s->spec.run_dir = keep(s, g_strconcat("/var/run/cirrina/vm/", uuid, NULL));
    s->spec.vm_state_dir = keep(s, g_strconcat("/var/lib/cirrina/vms/", uuid, NULL));
    s->spec.uefi_code = UEFI_DIR "BHYVE_UEFI_CODE.fd";
    s->spec.uefi_vars_template = UEFI_DIR "BHYVE_UEFI_VARS.fd";
    s->spec.vnc_port = 5900;
    return s;
}

static void shape_free(Shape *s)
{
    object_free(&s->vm->base);
    for (size_t i = 0; i < s->n_objects; i++)
        object_free(s->objects[i]);
    g_ptr_array_unref(s->strings);
    g_free(s);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Shape, shape_free)

static CirDisk *add_disk(Shape *s, const char *bus)
{
    g_assert_cmpuint(s->spec.n_disks, <, MAX_DEVS);
    size_t n = s->spec.n_disks++;
    g_autofree char *uuid = g_strdup_printf("0d15c000-0000-4000-8000-%012zx", n + 1);
    CirDisk *disk = (CirDisk *)own(s, KIND_DISK, uuid);

    set_str(&disk->base.name, keep(s, g_strdup_printf("disk%zu", n)));
    set_str(&disk->bus, bus);
    s->disks[n].disk = disk;
    s->disks[n].path = keep(s, g_strdup_printf("/var/lib/cirrina/disks/%s.img", uuid));
    return disk;
}

/* The shape's own (mutable) disk and NIC objects. */
static CirDisk *disk_at(Shape *s, size_t i)
{
    return (CirDisk *)s->disks[i].disk;
}

static CirNIC *nic_at(Shape *s, size_t i)
{
    return (CirNIC *)s->nics[i].nic;
}

static void add_iso(Shape *s, const char *path)
{
    g_assert_cmpuint(s->spec.n_isos, <, MAX_DEVS);
    size_t n = s->spec.n_isos++;
    g_autofree char *uuid = g_strdup_printf("0150c000-0000-4000-8000-%012zx", n + 1);
    CirISO *iso = (CirISO *)own(s, KIND_ISO, uuid);

    set_str(&iso->path, path);
    s->isos[n].iso = iso;
}

static HvNIC *add_nic(Shape *s, const char *model, const char *mac, HvNetBackend backend,
                      const char *ifname)
{
    g_assert_cmpuint(s->spec.n_nics, <, MAX_DEVS);
    size_t n = s->spec.n_nics++;
    g_autofree char *uuid = g_strdup_printf("0a1cc000-0000-4000-8000-%012zx", n + 1);
    CirNIC *nic = (CirNIC *)own(s, KIND_NIC, uuid);

    nic->index = n;
    set_str(&nic->vm, s->vm->base.uuid);
    set_str(&nic->model, model);
    set_str(&nic->mac, mac);
    s->nics[n] = (HvNIC){.nic = nic, .backend = backend, .ifname = ifname};
    return &s->nics[n];
}

static void add_tap(Shape *s, const char *mac)
{
    add_nic(s, "virtio-net", mac, HV_NET_TAP, "tap0");
}

/* The VM of libvirt's "base" case: 1 CPU, 214 MiB, a SATA disk, a virtio
 * NIC on a tap, no display, no serial port, UTC, no -w. */
static Shape *libvirt_base(const char *mac)
{
    Shape *s = shape_new(LIBVIRT_UUID, "bhyve");

    s->vm->memory = 214 * TEST_MiB;
    s->vm->ignore_unknown_msrs = 0;
    s->vm->serial_ports = 0;
    set_str(&s->vm->display, "none");
    add_disk(s, "ahci-hd");
    if (mac)
        add_tap(s, mac);
    return s;
}

/* libvirt's vnc cases: UEFI, a disk, a NIC, VNC on 127.0.0.1:5904. */
static Shape *libvirt_vnc(void)
{
    Shape *s = libvirt_base("52:54:00:00:00:00");

    set_str(&s->vm->display, "vnc");
    s->vm->tablet = 0;
    s->spec.vnc_port = 5904;
    return s;
}

/* --- the shapes --- */

static Shape *shape_base(void)
{
    return libvirt_base("52:54:00:b9:94:02");
}

static Shape *shape_acpiapic(void)
{
    return libvirt_base("52:54:00:81:c4:b1");
}

static Shape *shape_cputopology(void)
{
    Shape *s = libvirt_base("52:54:00:b9:94:02");

    s->vm->cpus = 2;
    s->vm->sockets = 1;
    s->vm->cores = 2;
    s->vm->threads = 1;
    return s;
}

static Shape *shape_vcpupin(void)
{
    Shape *s = libvirt_base("52:54:00:b9:94:02");

    s->vm->cpus = s->vm->sockets = 2;
    /* given out of order: the driver sorts them by vCPU */
    set_value(&s->vm->base, "CPUPins", g_variant_new_parsed("[(uint32 1, uint32 0), (0, 1)]"));
    return s;
}

static Shape *shape_disk_virtio(void)
{
    Shape *s = shape_new(LIBVIRT_UUID, "bhyve");

    s->vm->memory = 214 * TEST_MiB;
    s->vm->ignore_unknown_msrs = 0;
    s->vm->serial_ports = 0;
    set_str(&s->vm->display, "none");
    add_disk(s, "virtio-blk");
    add_tap(s, "52:54:00:bc:85:fe");
    return s;
}

static Shape *shape_disk_cdrom(void)
{
    Shape *s = libvirt_base(NULL);

    s->spec.n_disks = 0; /* the ISO only */
    add_iso(s, "/var/lib/cirrina/isos/cdrom.iso");
    add_tap(s, "52:54:00:e3:ec:9b");
    return s;
}

static Shape *shape_addr_multiple_sata_disks(void)
{
    Shape *s = libvirt_base(NULL);

    add_disk(s, "ahci-hd");
    add_disk(s, "ahci-hd");
    add_tap(s, "52:54:00:b9:94:02");
    return s;
}

static Shape *shape_nvme(void)
{
    Shape *s = libvirt_base(NULL);

    set_str(&disk_at(s, 0)->bus, "nvme");
    return s;
}

static Shape *shape_net_e1000(void)
{
    Shape *s = libvirt_base(NULL);

    add_nic(s, "e1000", "52:54:00:00:00:00", HV_NET_TAP, "tap0");
    return s;
}

static Shape *shape_macaddr(void)
{
    return libvirt_base("52:54:00:22:ee:11");
}

static Shape *shape_slirp(void)
{
    Shape *s = libvirt_base(NULL);

    add_nic(s, "e1000", "52:54:00:00:00:00", HV_NET_USER, NULL);
    return s;
}

/* libvirt's uefi and firmware-efi: a boot ROM without a variable store. */
static Shape *shape_uefi(void)
{
    Shape *s = libvirt_base("52:54:00:00:00:00");

    s->spec.uefi_code = UEFI_DIR "BHYVE_UEFI.fd";
    s->spec.uefi_vars_template = NULL;
    return s;
}

/* libvirt's uefi-nvram: a per-VM copy of the variable store template. */
static Shape *shape_uefi_nvram(void)
{
    return libvirt_base("52:54:00:00:00:00");
}

static Shape *shape_vnc(void)
{
    return libvirt_vnc();
}

static Shape *shape_vnc_password(void)
{
    Shape *s = libvirt_vnc();

    set_str(&s->vm->display_password, "s3cr3t");
    return s;
}

static Shape *shape_vnc_resolution(void)
{
    Shape *s = libvirt_vnc();

    s->spec.n_disks = s->spec.n_nics = 0; /* as in libvirt's case */
    s->vm->display_width = 1920;
    s->vm->display_height = 1080;
    return s;
}

static Shape *shape_vnc_wait(void)
{
    Shape *s = libvirt_vnc();

    s->vm->display_wait = 1;
    return s;
}

static Shape *shape_vnc_vgaconf_off(void)
{
    Shape *s = libvirt_vnc();

    set_str(&s->vm->display_vga, "off");
    return s;
}

static Shape *shape_input_xhci_tablet(void)
{
    Shape *s = libvirt_vnc();

    s->spec.n_nics = 0;
    s->vm->tablet = 1;
    return s;
}

static Shape *shape_sound(void)
{
    Shape *s = libvirt_base("52:54:00:b9:94:02");

    s->vm->sound = 1;
    return s;
}

static Shape *shape_virtio_rnd(void)
{
    Shape *s = libvirt_base("52:54:00:b9:94:02");

    s->vm->rng = 1;
    return s;
}

static Shape *shape_fs_9p(void)
{
    Shape *s = libvirt_base("52:54:00:b9:94:02");

    set_value(&s->vm->base, "Shares",
              g_variant_new_parsed("[('shared_dir', '/shared/dir', false)]"));
    return s;
}

static Shape *shape_fs_9p_readonly(void)
{
    Shape *s = libvirt_base("52:54:00:b9:94:02");

    set_value(&s->vm->base, "Shares",
              g_variant_new_parsed("[('shared_dir', '/shared/dir', true)]"));
    return s;
}

static Shape *shape_localtime(void)
{
    Shape *s = libvirt_base("52:54:00:82:ca:a3");

    set_str(&s->vm->clock, "localtime");
    return s;
}

static Shape *shape_msrs(void)
{
    Shape *s = libvirt_base("52:54:00:b9:94:02");

    s->vm->ignore_unknown_msrs = 1;
    return s;
}

static Shape *shape_serial(void)
{
    Shape *s = libvirt_base("52:54:00:4f:f3:5b");

    s->vm->serial_ports = 1;
    s->spec.com_devices[0] = "/dev/nmdm0A";
    return s;
}

static Shape *shape_4_consoles(void)
{
    Shape *s = libvirt_base("52:54:00:b1:42:eb");

    s->vm->serial_ports = 4;
    s->spec.com_devices[0] = "/dev/nmdm" LIBVIRT_UUID "A";
    s->spec.com_devices[1] = "/dev/nmdm1A";
    s->spec.com_devices[2] = "/dev/nmdm2A";
    s->spec.com_devices[3] = "/dev/nmdm0A";
    return s;
}

static Shape *shape_wired(void)
{
    Shape *s = libvirt_base("52:54:00:b9:94:02");

    s->vm->memory_wired = 1;
    return s;
}

/* Cirrina's own shapes. */

/* A VM as created with defaults (1 CPU, 1 GiB, VNC 1024x768 with a tablet,
 * com1, UTC, unknown MSRs ignored, exit on HLT), one disk, one NIC. */
static Shape *shape_defaults(void)
{
    Shape *s = shape_new(CIRRINA_UUID, "web1");

    add_disk(s, "virtio-blk");
    add_tap(s, "0e:c1:5a:11:22:33");
    s->spec.com_devices[0] = "/dev/nmdm-web1.1A";
    return s;
}

/* Display none: no fbuf, and no tablet either though Tablet is true. */
static Shape *shape_headless(void)
{
    Shape *s = shape_defaults();

    set_str(&s->vm->display, "none");
    g_assert_true(s->vm->tablet);
    return s;
}

static Shape *shape_no_hlt_exit(void)
{
    Shape *s = shape_defaults();

    s->vm->vmexit_on_hlt = 0;
    s->vm->ignore_unknown_msrs = 0;
    return s;
}

static Shape *shape_netgraph(void)
{
    Shape *s = shape_new(CIRRINA_UUID, "web1");

    set_str(&s->vm->display, "none");
    s->spec.com_devices[0] = "/dev/nmdm-web1.1A";
    add_disk(s, "virtio-blk");
    add_nic(s, "virtio-net", "0e:c1:5a:11:22:33", HV_NET_NETGRAPH, "cirng0")->peerhook = "link2";
    return s;
}

static Shape *shape_multiple_nics(void)
{
    Shape *s = shape_netgraph();

    add_nic(s, "e1000", "0e:c1:5a:11:22:34", HV_NET_TAP, "tap7");
    add_nic(s, "virtio-net", "0e:c1:5a:11:22:35", HV_NET_USER, NULL);
    return s;
}

static Shape *shape_disk_options(void)
{
    Shape *s = shape_new(CIRRINA_UUID, "web1");
    CirDisk *d;

    set_str(&s->vm->display, "none");
    s->vm->serial_ports = 0;
    d = add_disk(s, "virtio-blk");
    d->nocache = 1;
    d = add_disk(s, "nvme");
    d->direct = d->readonly = 1;
    d = add_disk(s, "ahci-hd");
    d->nocache = d->direct = d->readonly = 1;
    return s;
}

/* Boot order virtio-blk, ahci-hd, nvme, ahci-hd, plus two ISOs: the AHCI
 * controller takes the slot of the first ahci-hd disk and holds both SATA
 * disks, then the CD-ROMs. */
static Shape *shape_mixed_storage(void)
{
    Shape *s = shape_new(CIRRINA_UUID, "web1");

    set_str(&s->vm->display, "none");
    s->vm->serial_ports = 0;
    add_disk(s, "virtio-blk");
    add_disk(s, "ahci-hd");
    add_disk(s, "nvme");
    add_disk(s, "ahci-hd");
    add_iso(s, "/var/lib/cirrina/isos/debian-12.iso");
    add_iso(s, "/var/lib/cirrina/isos/drivers.iso");
    return s;
}

/* An installation: an empty virtio disk, the installer ISO after it, VNC
 * waiting for a client. */
static Shape *shape_install_iso(void)
{
    Shape *s = shape_defaults();

    add_iso(s, "/var/lib/cirrina/isos/FreeBSD-14.3-RELEASE-amd64-disc1.iso");
    s->vm->display_wait = 1;
    return s;
}

static Shape *shape_large(void)
{
    Shape *s = shape_defaults();

    s->vm->cpus = 8;
    s->vm->sockets = s->vm->cores = s->vm->threads = 2;
    s->vm->memory = 64 * TEST_GiB;
    s->vm->memory_wired = 1;
    set_value(&s->vm->base, "CPUPins",
              g_variant_new_parsed("[(uint32 0, uint32 8), (1, 9), (2, 10), (3, 11), (4, 12), "
                                   "(5, 13), (6, 14), (7, 1023)]"));
    return s;
}

/* bhyve expands %(var) in values: every '%' is written as "%%". */
static Shape *shape_percent_in_values(void)
{
    Shape *s = shape_defaults();

    set_str(&s->vm->display_password, "100%(name)");
    set_value(&s->vm->base, "Shares", g_variant_new_parsed("[('data', '/srv/100%', false)]"));
    return s;
}

/* Every kind of device at once. */
static Shape *shape_full(void)
{
    Shape *s = shape_new(CIRRINA_UUID, "full-vm");
    CirDisk *d;

    s->vm->cpus = 4;
    s->vm->sockets = 1;
    s->vm->cores = 4;
    s->vm->memory = 8 * TEST_GiB;
    s->vm->memory_wired = 1;
    set_str(&s->vm->clock, "localtime");
    set_value(&s->vm->base, "CPUPins", g_variant_new_parsed("[(uint32 3, uint32 7), (0, 4)]"));
    s->vm->display_width = 1920;
    s->vm->display_height = 1080;
    s->vm->display_wait = 1;
    set_str(&s->vm->display_vga, "off");
    set_str(&s->vm->display_password, "s3cret!");
    s->vm->sound = s->vm->rng = 1;
    s->vm->serial_ports = 4;
    for (int i = 0; i < 4; i++)
        s->spec.com_devices[i] = keep(s, g_strdup_printf("/dev/nmdm-full-vm.%dA", i + 1));
    set_value(
        &s->vm->base, "Shares",
        g_variant_new_parsed("[('data', '/srv/data', true), ('src', '/home/me/src', false)]"));
    s->spec.vnc_port = 5901;
    d = add_disk(s, "nvme");
    d->nocache = 1;
    add_disk(s, "ahci-hd");
    add_iso(s, "/var/lib/cirrina/isos/debian-12.iso");
    add_tap(s, "0e:c1:5a:11:22:33");
    add_nic(s, "e1000", "0e:c1:5a:11:22:34", HV_NET_NETGRAPH, "cirng1")->peerhook = "link3";
    return s;
}

/* Exactly the 30 PCI slots bhyve has left: 16 virtio disks, 8 NICs, fbuf,
 * xhci, hda, virtio-rnd and 2 shares. */
static Shape *shape_max_pci_devices(void)
{
    Shape *s = shape_new(CIRRINA_UUID, "web1");

    for (int i = 0; i < 16; i++)
        add_disk(s, "virtio-blk");
    for (int i = 0; i < 8; i++)
        add_tap(s, keep(s, g_strdup_printf("0e:c1:5a:00:00:%02x", i)));
    s->vm->sound = s->vm->rng = 1;
    set_value(&s->vm->base, "Shares",
              g_variant_new_parsed("[('a', '/srv/a', false), ('b', '/srv/b', false)]"));
    s->spec.com_devices[0] = "/dev/nmdm-web1.1A";
    return s;
}

typedef struct {
    const char *name;
    Shape *(*build)(void);
} ShapeCase;

static const ShapeCase shapes[] = {
    /* equivalents of libvirt's bhyvexml2argv cases */
    {"base", shape_base},
    {"acpiapic", shape_acpiapic},
    {"cputopology", shape_cputopology},
    {"vcpupin", shape_vcpupin},
    {"disk-virtio", shape_disk_virtio},
    {"disk-cdrom", shape_disk_cdrom},
    {"addr-multiple-sata-disks", shape_addr_multiple_sata_disks},
    {"nvme", shape_nvme},
    {"net-e1000", shape_net_e1000},
    {"macaddr", shape_macaddr},
    {"slirp", shape_slirp},
    {"uefi", shape_uefi},
    {"uefi-nvram", shape_uefi_nvram},
    {"vnc", shape_vnc},
    {"vnc-password", shape_vnc_password},
    {"vnc-resolution", shape_vnc_resolution},
    {"vnc-wait", shape_vnc_wait},
    {"vnc-vgaconf-off", shape_vnc_vgaconf_off},
    {"input-xhci-tablet", shape_input_xhci_tablet},
    {"sound", shape_sound},
    {"virtio-rnd", shape_virtio_rnd},
    {"fs-9p", shape_fs_9p},
    {"fs-9p-readonly", shape_fs_9p_readonly},
    {"localtime", shape_localtime},
    {"msrs", shape_msrs},
    {"serial", shape_serial},
    {"4-consoles", shape_4_consoles},
    {"wired", shape_wired},
    /* Cirrina's own */
    {"defaults", shape_defaults},
    {"headless", shape_headless},
    {"no-hlt-exit", shape_no_hlt_exit},
    {"netgraph", shape_netgraph},
    {"multiple-nics", shape_multiple_nics},
    {"disk-options", shape_disk_options},
    {"mixed-storage", shape_mixed_storage},
    {"install-iso", shape_install_iso},
    {"large", shape_large},
    {"percent-in-values", shape_percent_in_values},
    {"full", shape_full},
    {"max-pci-devices", shape_max_pci_devices},
};

/* --- checking config files against bhyve_config(5) --- */

static bool key_in(const char *key, const char *const *keys)
{
    for (; *keys; keys++)
        if (g_pattern_match_simple(*keys, key))
            return true;
    return false;
}

/* The keys bhyve_config(5) (and bhyve.8 for slirp's open) documents, by
 * node; '?' matches one character in g_pattern_match_simple(). */
static const char *const *device_keys(const char *model, GHashTable *node)
{
    static const char *const none[] = {NULL};
    static const char *const block[] = {"path", "nocache", "direct", "ro", NULL};
    static const char *const ahci[] = {"port.?.type",
                                       "port.??.type",
                                       "port.?.path",
                                       "port.??.path",
                                       "port.?.nocache",
                                       "port.??.nocache",
                                       "port.?.direct",
                                       "port.??.direct",
                                       "port.?.ro",
                                       "port.??.ro",
                                       NULL};
    static const char *const tap[] = {"backend", "mac", NULL};
    static const char *const slirp[] = {"backend", "mac", "open", NULL};
    static const char *const netgraph[] = {"backend", "mac", "path", "peerhook", NULL};
    static const char *const fbuf[] = {"rfb", "w", "h", "vga", "wait", "password", NULL};
    static const char *const xhci[] = {"slot.1.device", NULL};
    static const char *const hda[] = {"play", NULL};
    static const char *const p9[] = {"sharename", "path", "ro", NULL};

    if (!strcmp(model, "hostbridge") || !strcmp(model, "lpc") || !strcmp(model, "virtio-rnd"))
        return none;
    if (!strcmp(model, "virtio-blk") || !strcmp(model, "nvme"))
        return block;
    if (!strcmp(model, "ahci"))
        return ahci;
    if (!strcmp(model, "virtio-net") || !strcmp(model, "e1000")) {
        const char *backend = g_hash_table_lookup(node, "backend");
        g_assert_nonnull(backend);
        if (!strcmp(backend, "slirp"))
            return slirp;
        if (!strcmp(backend, "netgraph"))
            return netgraph;
        g_assert_true(g_str_has_prefix(backend, "tap"));
        return tap;
    }
    if (!strcmp(model, "fbuf"))
        return fbuf;
    if (!strcmp(model, "xhci"))
        return xhci;
    if (!strcmp(model, "hda"))
        return hda;
    if (!strcmp(model, "virtio-9p"))
        return p9;
    g_error("unknown device model '%s'", model);
}

static bool is_bool_key(const char *key)
{
    static const char *const bools[] = {
        "memory.wired",
        "acpi_tables",
        "destroy_on_poweroff",
        "rtc.use_localtime",
        "x86.strictmsr",
        "x86.vmexit_on_hlt",
        "x86.vmexit_on_pause",
        "*.nocache",
        "*.direct",
        "*.ro",
        "*.wait",
        "*.open",
        NULL,
    };
    return key_in(key, bools);
}

/* Checks the syntax of a config file (bhyve.8 -k: "key=value", no spaces
 * around '=', '#' comments), that every key is one bhyve reads for its
 * node, booleans are true/false, each key is set once, each PCI node starts
 * with its device= line, slots ascend from 0 (hostbridge) to 31 (lpc). */
static void lint_config(const char *text)
{
    static const char *const globals[] = {
        "name",
        "uuid",
        "cpus",
        "sockets",
        "cores",
        "threads",
        "memory.size",
        "memory.wired",
        "acpi_tables",
        "destroy_on_poweroff",
        "rtc.use_localtime",
        "x86.strictmsr",
        "x86.vmexit_on_hlt",
        "x86.vmexit_on_pause",
        "lpc.bootrom",
        "lpc.bootvars",
        NULL, /* lpc.com1.path .. lpc.com4.path: checked below */
    };
    g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    g_autoptr(GHashTable) node = NULL;
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    const char *model = NULL;
    int last_slot = -1;

    g_assert_true(g_str_has_suffix(text, "\n"));
    for (char **l = lines; *l && **l; l++) {
        if (**l == '#')
            continue;
        const char *eq = strchr(*l, '=');
        g_assert_nonnull(eq);
        g_autofree char *key = g_strndup(*l, eq - *l);
        const char *value = eq + 1;
        if (strchr(key, ' ') || g_str_has_prefix(value, " ") || g_str_has_suffix(value, " "))
            g_error("spaces around '=' in '%s'", *l);
        if (!g_hash_table_insert(seen, g_strdup(key), g_strdup(value)))
            g_error("%s is set twice", key);
        if (is_bool_key(key) && strcmp(value, "true") != 0 && strcmp(value, "false") != 0)
            g_error("%s=%s is not a boolean", key, value);

        unsigned bus, slot, func, len = 0;
        if (sscanf(key, "pci.%u.%u.%u.%n", &bus, &slot, &func, &len) == 3 && len > 0) {
            const char *sub = key + len;
            g_assert_cmpuint(bus, ==, 0);
            g_assert_cmpuint(func, ==, 0);
            g_assert_cmpuint(slot, <=, 31);
            if ((int)slot != last_slot) {
                /* a new node: device= comes first, slots ascend */
                g_assert_cmpint((int)slot, >, last_slot);
                g_assert_cmpstr(sub, ==, "device");
                last_slot = slot;
                g_clear_pointer(&node, g_hash_table_unref);
                node = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
                model = g_intern_string(value);
                if (slot == 0)
                    g_assert_cmpstr(model, ==, "hostbridge");
                if (slot == 31)
                    g_assert_cmpstr(model, ==, "lpc");
                continue;
            }
            g_hash_table_insert(node, g_strdup(sub), g_strdup(value));
            if (!key_in(sub, device_keys(model, node)))
                g_error("%s: bhyve_config(5) has no key '%s' for %s", key, sub, model);
            continue;
        }
        bool com = strlen(key) == 13 && g_str_has_prefix(key, "lpc.com") && key[7] >= '1' &&
                   key[7] <= '4' && g_str_has_suffix(key, ".path");
        if (!com && !key_in(key, globals))
            g_error("bhyve_config(5) has no global key '%s'", key);
    }
    g_assert_cmpint(last_slot, ==, 31);
    g_assert_true(g_hash_table_contains(seen, "pci.0.0.0.device"));
}

/* --- golden files --- */

static bool updating(void)
{
    return g_strcmp0(g_getenv("CIRRINA_UPDATE_GOLDEN"), "1") == 0;
}

static void check_golden(const char *name, const char *suffix, const char *actual)
{
    g_autofree char *file = g_strconcat(name, suffix, NULL);
    g_autofree char *path = g_build_filename(BHYVE_GOLDEN_DIR, file, NULL);
    g_autoptr(GError) error = NULL;
    g_autofree char *expected = NULL;

    if (updating()) {
        g_file_set_contents(path, actual, -1, &error);
        g_assert_no_error(error);
        return;
    }
    if (!g_file_get_contents(path, &expected, NULL, &error))
        g_error("%s (write it with CIRRINA_UPDATE_GOLDEN=1)", error->message);
    if (strcmp(expected, actual) != 0) {
        g_printerr("--- %s (golden)\n%s--- actual\n%s", path, expected, actual);
        g_assert_cmpstr(actual, ==, expected);
    }
}

static void test_golden(gconstpointer data)
{
    const ShapeCase *c = data;
    g_autoptr(Shape) s = c->build();
    g_autoptr(GError) error = NULL;
    g_autoptr(HvPlan) plan = hv_bhyve_driver.plan(&s->spec, &error);

    g_assert_no_error(error);
    g_assert_nonnull(plan);

    /* argv: bhyve [-p v:h ...] -k RUN_DIR/bhyve.conf NAME */
    g_autofree char *conf_path = g_build_filename(s->spec.run_dir, "bhyve.conf", NULL);
    GPtrArray *argv = plan->argv;
    g_assert_cmpuint(argv->len, >=, 4);
    g_assert_cmpstr(argv->pdata[0], ==, "bhyve");
    g_assert_cmpstr(argv->pdata[argv->len - 3], ==, "-k");
    g_assert_cmpstr(argv->pdata[argv->len - 2], ==, conf_path);
    g_assert_cmpstr(argv->pdata[argv->len - 1], ==, s->spec.launch_name);
    g_autoptr(GString) args = g_string_new(NULL);
    for (guint i = 0; i < argv->len; i++)
        g_string_append_printf(args, "%s\n", (const char *)argv->pdata[i]);

    /* one file, the config; the UEFI vars copied from the template */
    g_assert_cmpuint(g_hash_table_size(plan->files), ==, 1);
    const char *conf = g_hash_table_lookup(plan->files, conf_path);
    g_assert_nonnull(conf);
    if (s->spec.uefi_vars_template) {
        g_autofree char *vars = g_build_filename(s->spec.vm_state_dir, "uefi-vars.fd", NULL);
        g_assert_cmpuint(g_hash_table_size(plan->copies), ==, 1);
        g_assert_cmpstr(g_hash_table_lookup(plan->copies, vars), ==, s->spec.uefi_vars_template);
        g_autofree char *line = g_strdup_printf("\nlpc.bootvars=%s\n", vars);
        g_assert_nonnull(strstr(conf, line));
    } else {
        g_assert_cmpuint(g_hash_table_size(plan->copies), ==, 0);
        g_assert_null(strstr(conf, "lpc.bootvars="));
    }

    lint_config(conf);
    check_golden(c->name, ".args", args->str);
    check_golden(c->name, ".conf", conf);

    /* the same spec always gives the same plan */
    g_autoptr(HvPlan) again = hv_bhyve_driver.plan(&s->spec, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(g_hash_table_lookup(again->files, conf_path), ==, conf);
}

/* --- what bhyve cannot do --- */

typedef struct {
    const char *name;
    void (*spoil)(Shape *s);
    CirrinaError code;
    const char *mentions;
} ErrorCase;

static void spoil_too_many_devices(Shape *s)
{
    add_disk(s, "nvme");
}

static void spoil_password_comma(Shape *s)
{
    set_str(&s->vm->display_password, "a,b");
}

static void spoil_no_uefi(Shape *s)
{
    s->spec.uefi_code = NULL;
}

static void spoil_topology(Shape *s)
{
    s->vm->cpus = 3;
    s->vm->sockets = 2;
}

static void spoil_pin_unknown_vcpu(Shape *s)
{
    set_value(&s->vm->base, "CPUPins", g_variant_new_parsed("[(uint32 1, uint32 0)]"));
}

static void spoil_pin_twice(Shape *s)
{
    s->vm->cpus = s->vm->sockets = 2;
    set_value(&s->vm->base, "CPUPins", g_variant_new_parsed("[(uint32 1, uint32 0), (1, 2)]"));
}

static void spoil_vnc_no_port(Shape *s)
{
    s->spec.vnc_port = 0;
}

static void spoil_resolution(Shape *s)
{
    s->vm->display_width = 320;
}

static void spoil_vga(Shape *s)
{
    set_str(&s->vm->display_vga, "cga");
}

static void spoil_display(Shape *s)
{
    set_str(&s->vm->display, "spice");
}

static void spoil_serial_no_device(Shape *s)
{
    s->vm->serial_ports = 2;
}

static void spoil_disk_bus(Shape *s)
{
    set_str(&disk_at(s, 0)->bus, "virtio-scsi");
}

static void spoil_disk_path(Shape *s)
{
    s->disks[0].path = NULL;
}

static void spoil_nic_model(Shape *s)
{
    set_str(&nic_at(s, 0)->model, "rtl8139");
}

static void spoil_tap_name(Shape *s)
{
    s->nics[0].ifname = NULL;
}

static void spoil_netgraph_hook(Shape *s)
{
    s->nics[0].backend = HV_NET_NETGRAPH;
    s->nics[0].ifname = "cirng0";
}

static void spoil_newline(Shape *s)
{
    s->disks[0].path = "/var/lib/cirrina/disks/x.img\npci.0.9.0.device=passthru";
}

static void spoil_launch_name(Shape *s)
{
    s->spec.launch_name = "../web1";
}

static void spoil_state_dir(Shape *s)
{
    s->spec.vm_state_dir = NULL;
}

static void spoil_memory(Shape *s)
{
    s->vm->memory = 1024 * TEST_MiB + 512;
}

static void spoil_uuid(Shape *s)
{
    set_str(&s->vm->base.uuid, "not-a-uuid");
}

static void spoil_ahci_ports(Shape *s)
{
    for (int i = 0; i < 30; i++)
        add_disk(s, "ahci-hd");
    for (int i = 0; i < 3; i++)
        add_iso(s, "/var/lib/cirrina/isos/x.iso");
}

static const ErrorCase error_cases[] = {
    {"too-many-pci-devices", spoil_too_many_devices, CIRRINA_ERROR_NOT_SUPPORTED, "needs 31"},
    {"password-comma", spoil_password_comma, CIRRINA_ERROR_INVALID_ARGUMENT, "other than ','"},
    {"no-uefi", spoil_no_uefi, CIRRINA_ERROR_NOT_SUPPORTED, "UEFI"},
    {"topology", spoil_topology, CIRRINA_ERROR_INVALID_ARGUMENT, "Sockets x Cores x Threads"},
    {"pin-unknown-vcpu", spoil_pin_unknown_vcpu, CIRRINA_ERROR_INVALID_ARGUMENT, "virtual CPU 1"},
    {"pin-twice", spoil_pin_twice, CIRRINA_ERROR_INVALID_ARGUMENT, "twice"},
    {"vnc-no-port", spoil_vnc_no_port, CIRRINA_ERROR_INVALID_ARGUMENT, "VNC port"},
    {"resolution", spoil_resolution, CIRRINA_ERROR_INVALID_ARGUMENT, "not 320x768"},
    {"vga", spoil_vga, CIRRINA_ERROR_INVALID_ARGUMENT, "DisplayVGA"},
    {"display", spoil_display, CIRRINA_ERROR_NOT_SUPPORTED, "spice"},
    {"serial-no-device", spoil_serial_no_device, CIRRINA_ERROR_INVALID_ARGUMENT, "com2"},
    {"disk-bus", spoil_disk_bus, CIRRINA_ERROR_NOT_SUPPORTED, "virtio-scsi"},
    {"disk-path", spoil_disk_path, CIRRINA_ERROR_INVALID_ARGUMENT, "no image path"},
    {"nic-model", spoil_nic_model, CIRRINA_ERROR_NOT_SUPPORTED, "rtl8139"},
    {"tap-name", spoil_tap_name, CIRRINA_ERROR_INVALID_ARGUMENT, "no tap"},
    {"netgraph-hook", spoil_netgraph_hook, CIRRINA_ERROR_INVALID_ARGUMENT, "peer hook"},
    {"newline", spoil_newline, CIRRINA_ERROR_INVALID_ARGUMENT, "newline"},
    {"launch-name", spoil_launch_name, CIRRINA_ERROR_INVALID_ARGUMENT, "../web1"},
    {"state-dir", spoil_state_dir, CIRRINA_ERROR_INVALID_ARGUMENT, "state directory"},
    {"memory", spoil_memory, CIRRINA_ERROR_INVALID_ARGUMENT, "1 MiB"},
    {"uuid", spoil_uuid, CIRRINA_ERROR_INVALID_ARGUMENT, "not-a-uuid"},
    {"ahci-ports", spoil_ahci_ports, CIRRINA_ERROR_NOT_SUPPORTED, "33"},
};

static void test_error(gconstpointer data)
{
    const ErrorCase *c = data;
    g_autoptr(Shape) s = shape_max_pci_devices();
    g_autoptr(GError) error = NULL;

    /* max-pci-devices has every kind of device and no slot to spare; the
     * cases about one disk or NIC spoil its first one */
    if (c->spoil != spoil_too_many_devices) {
        s->spec.n_disks = 1;
        s->spec.n_nics = 1;
    }
    c->spoil(s);
    g_autoptr(HvPlan) plan = hv_bhyve_driver.plan(&s->spec, &error);
    g_assert_null(plan);
    g_assert_error(error, CIRRINA_ERROR, (gint)c->code);
    assert_error_mentions(error, c->mentions);
}

/* --- exits and cleanup, with a recording runner --- */

static int wait_status_of(int exit_code, int sig)
{
    int status;
    pid_t pid = fork();

    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        if (sig) {
            signal(sig, SIG_DFL);
            kill(getpid(), sig);
        }
        _exit(exit_code);
    }
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    return status;
}

typedef struct {
    GPtrArray *log;        /* what happened, in order */
    const char *fail_with; /* the runner fails with this stderr */
} Recorder;

static bool record_run(const char *const *argv, void *data, GError **error)
{
    Recorder *r = data;
    g_autofree char *cmd = g_strjoinv(" ", (char **)argv);

    g_ptr_array_add(r->log, g_strdup_printf("run %s", cmd));
    if (r->fail_with) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "'%s' failed: %s", cmd,
                    r->fail_with);
        return false;
    }
    return true;
}

/* What the supervisor does when bhyve exits: read the exit, then destroy
 * the kernel VM, every time. */
static void test_exits_and_cleanup(void)
{
    static const struct {
        int code;
        HvExitKind kind;
        const char *reason;
    } exits[] = {
        {0, HV_EXIT_REBOOT, "reboot"}, {1, HV_EXIT_POWEROFF, "poweroff"},
        {2, HV_EXIT_POWEROFF, "halt"}, {3, HV_EXIT_CRASH, "triple-fault"},
        {4, HV_EXIT_CRASH, "error"},
    };
    Recorder r = {.log = g_ptr_array_new_with_free_func(g_free)};

    host_runner_set(record_run, &r);
    for (size_t i = 0; i < G_N_ELEMENTS(exits); i++) {
        g_autoptr(GError) error = NULL;
        HvExit e = hv_bhyve_driver.interpret_exit(wait_status_of(exits[i].code, 0));
        g_ptr_array_add(r.log, g_strdup_printf("exit %d: %d %s", exits[i].code, e.kind, e.reason));
        g_assert_nonnull(hv_bhyve_driver.cleanup);
        g_assert_true(hv_bhyve_driver.cleanup("web1", &error));
        g_assert_no_error(error);
    }
    host_runner_set(NULL, NULL);

    g_assert_cmpuint(r.log->len, ==, 2 * G_N_ELEMENTS(exits));
    for (size_t i = 0; i < G_N_ELEMENTS(exits); i++) {
        g_autofree char *expected =
            g_strdup_printf("exit %d: %d %s", exits[i].code, exits[i].kind, exits[i].reason);
        g_assert_cmpstr(r.log->pdata[2 * i], ==, expected);
        g_assert_cmpstr(r.log->pdata[2 * i + 1], ==, "run bhyvectl --vm=web1 --destroy");
    }
    g_ptr_array_unref(r.log);
}

static void test_other_exits(void)
{
    HvExit e = hv_bhyve_driver.interpret_exit(wait_status_of(5, 0));
    g_assert_cmpint(e.kind, ==, HV_EXIT_CRASH);
    g_assert_cmpstr(e.reason, ==, "exit-status-5");

    e = hv_bhyve_driver.interpret_exit(wait_status_of(100, 0)); /* bad suspend reason */
    g_assert_cmpint(e.kind, ==, HV_EXIT_CRASH);
    g_assert_cmpstr(e.reason, ==, "exit-status-100");

    e = hv_bhyve_driver.interpret_exit(wait_status_of(0, SIGKILL));
    g_assert_cmpint(e.kind, ==, HV_EXIT_KILLED);
    g_assert_cmpstr(e.reason, ==, "killed");

    e = hv_bhyve_driver.interpret_exit(wait_status_of(0, SIGTERM));
    g_assert_cmpint(e.kind, ==, HV_EXIT_KILLED);
    g_assert_cmpstr(e.reason, ==, "signal-SIGTERM");

    e = hv_bhyve_driver.interpret_exit(wait_status_of(0, SIGHUP));
    g_assert_cmpint(e.kind, ==, HV_EXIT_KILLED);
    g_assert_cmpstr(e.reason, ==, "signal-SIGHUP");
}

static void test_cleanup_failure(void)
{
    Recorder r = {.log = g_ptr_array_new_with_free_func(g_free)};
    g_autoptr(GError) error = NULL;

    /* a real failure is reported */
    r.fail_with = "vm_destroy: Device busy";
    host_runner_set(record_run, &r);
    g_assert_false(hv_bhyve_driver.cleanup("web1", &error));
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED);
    assert_error_mentions(error, "Device busy");
    g_clear_error(&error);

    /* the VM already gone (destroy_on_poweroff) is what cleanup wants */
    r.fail_with = "vm_open: web1 could not be opened: No such file or directory";
    g_assert_true(hv_bhyve_driver.cleanup("web1", &error));
    g_assert_no_error(error);
    host_runner_set(NULL, NULL);

    g_assert_cmpuint(r.log->len, ==, 2);
    g_assert_cmpstr(r.log->pdata[0], ==, "run bhyvectl --vm=web1 --destroy");
    g_assert_cmpstr(r.log->pdata[1], ==, "run bhyvectl --vm=web1 --destroy");
    g_ptr_array_unref(r.log);
}

/* Reset goes through the runner; power-down is SIGTERM to bhyve. */
static void test_reset_and_powerdown(void)
{
    Recorder r = {.log = g_ptr_array_new_with_free_func(g_free)};
    g_autoptr(GError) error = NULL;
    int status;

    host_runner_set(record_run, &r);
    HvInstance inst = {
        .pid = 0, .run_dir = "/var/run/cirrina/vm/" CIRRINA_UUID, .launch_name = "web1"};
    g_assert_true(hv_bhyve_driver.reset(&inst, &error));
    g_assert_no_error(error);
    g_assert_false(hv_bhyve_driver.powerdown(&inst, &error)); /* no process */
    g_assert_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED);
    g_clear_error(&error);
    host_runner_set(NULL, NULL);
    g_assert_cmpuint(r.log->len, ==, 1);
    g_assert_cmpstr(r.log->pdata[0], ==, "run bhyvectl --vm=web1 --force-reset");
    g_ptr_array_unref(r.log);

    pid_t pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        signal(SIGTERM, SIG_DFL);
        for (;;)
            pause();
    }
    inst.pid = pid;
    g_assert_true(hv_bhyve_driver.powerdown(&inst, &error));
    g_assert_no_error(error);
    g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
    g_assert_true(WIFSIGNALED(status));
    g_assert_cmpint(WTERMSIG(status), ==, SIGTERM);
}

/* The driver is found by name and plans through the same entry point. */
static void test_driver_by_name(void)
{
    g_assert_true(hv_driver_by_name("bhyve") == &hv_bhyve_driver);
    g_assert_cmpstr(hv_bhyve_driver.name, ==, "bhyve");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(shapes); i++) {
        g_autofree char *path = g_strconcat("/bhyve/golden/", shapes[i].name, NULL);
        g_test_add_data_func(path, &shapes[i], test_golden);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(error_cases); i++) {
        g_autofree char *path = g_strconcat("/bhyve/error/", error_cases[i].name, NULL);
        g_test_add_data_func(path, &error_cases[i], test_error);
    }
    g_test_add_func("/bhyve/exit/codes-and-cleanup", test_exits_and_cleanup);
    g_test_add_func("/bhyve/exit/other", test_other_exits);
    g_test_add_func("/bhyve/cleanup/failure", test_cleanup_failure);
    g_test_add_func("/bhyve/reset-and-powerdown", test_reset_and_powerdown);
    g_test_add_func("/bhyve/driver-by-name", test_driver_by_name);
    return g_test_run();
}
