/* The bhyve driver: a VM becomes one bhyve_config(5) file and
 * `bhyve [-p VCPU:HOSTCPU ...] -k RUN_DIR/bhyve.conf LAUNCH_NAME`.
 *
 * The config file
 * ---------------
 * One `key=value` per line, no spaces around '=', written in this fixed
 * order so that the same VM always gives the same bytes (the golden tests in
 * tests/unit/test-bhyve.c rely on it):
 *
 *   1. a '#' comment line;
 *   2. globals, each always written with an explicit value, even where it
 *      equals bhyve's default (defaults have changed between releases:
 *      acpi_tables), in this order:
 *        name, uuid, cpus, sockets, cores, threads, memory.size (MiB, "M"
 *        suffix), memory.wired, acpi_tables=true, destroy_on_poweroff=true,
 *        rtc.use_localtime (false for Clock=utc), x86.strictmsr (false for
 *        IgnoreUnknownMSRs), x86.vmexit_on_hlt, x86.vmexit_on_pause=true
 *        (as libvirt and vm-bhyve always pass -P);
 *   3. PCI devices `pci.0.<slot>.0.*` by ascending slot, `device` first;
 *   4. the LPC settings: lpc.bootrom, lpc.bootvars, lpc.com1.path ...
 *
 * CPU topology: all four of cpus, sockets, cores and threads are always
 * written. bhyve.8 says each defaults to 1 and that cpus must equal their
 * product, while bhyve's code derives sockets from cpus when only cpus is
 * given; writing all four is right under either reading. cpus must equal
 * Sockets x Cores x Threads (the VM model keeps it so; checked again here).
 *
 * CPU pinning: bhyve_config(5) documents no key for it (current bhyve keeps
 * -p in an undocumented vcpu.N.cpuset variable), so pins are passed as
 * documented `-p vcpu:hostcpu` options, sorted by vCPU, before `-k`.
 *
 * PCI layout (that of vm-bhyve and bhyve.8's UEFI examples, not libvirt's):
 *   slot 0: hostbridge; slot 31: lpc (always: the UEFI boot ROM and the
 *   serial ports hang off it; Windows also expects it there);
 *   slots 1..30, one device per slot, function 0, in this order:
 *     - disks in boot order: each virtio-blk or nvme disk takes a slot; the
 *       one AHCI controller takes the slot of the first ahci-hd disk (or,
 *       without one, the slot after the disks) and holds every ahci-hd
 *       disk, in boot order, then every ISO as a read-only CD-ROM;
 *     - NICs in order;
 *     - fbuf (Display=vnc), xhci with a USB tablet (Tablet, only with a
 *       display: a pointer without a screen is useless), hda (Sound),
 *       virtio-rnd (RNG), then one virtio-9p per share.
 *   A VM needing more than 30 slots is refused (NOT_SUPPORTED).
 *
 * Values: bhyve expands "%(var)" in values and reads "%%" as "%", so every
 * '%' is written doubled. A value cannot hold a newline or other control
 * character (INVALID_ARGUMENT). Cirrina boots bhyve guests with UEFI only
 * (no bhyveload/grub-bhyve), so a boot ROM is required.
 *
 * Exits (bhyve.8 EXIT STATUS): 0 reboot, 1 poweroff, 2 halt, 3 triple
 * fault, 4 error. After every exit the kernel VM is destroyed with
 * `bhyvectl --vm=NAME --destroy` (see bhyve_cleanup()). Power-down is
 * SIGTERM to bhyve, reset `bhyvectl --vm=NAME --force-reset`. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>

#include "core/errors.h"
#include "core/field.h"
#include "hv/hv.h"
#include "hv/runner.h"

#define MiB            (UINT64_C(1) << 20)
#define PCI_SLOT_FIRST 1  /* 0 is the host bridge */
#define PCI_SLOT_LAST  30 /* 31 is the LPC bridge */
#define PCI_SLOT_LPC   31
#define AHCI_MAX_PORTS 32
#define FBUF_MIN_W     640
#define FBUF_MAX_W     3840
#define FBUF_MIN_H     480
#define FBUF_MAX_H     2160
#define SOUND_DEVICE   "/dev/dsp0"
#define CONFIG_NAME    "bhyve.conf"
#define UEFI_VARS_NAME "uefi-vars.fd"

/* --- writing the config file --- */

typedef struct {
    GString *text;
    char prefix[32]; /* "pci.0.S.0." of the device being written */
    GError *error;   /* the first value that cannot be written */
} Conf;

static void conf_set(Conf *c, const char *key, const char *value)
{
    if (c->error)
        return;
    for (const char *p = value; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f) {
            g_autofree char *shown = g_strescape(value, NULL);
            g_set_error(&c->error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "Cannot write %s='%.128s' to a bhyve config file: it holds a newline or "
                        "another control character",
                        key, shown);
            return;
        }
    g_string_append(c->text, key);
    g_string_append_c(c->text, '=');
    for (const char *p = value; *p; p++) {
        if (*p == '%')
            g_string_append_c(c->text, '%');
        g_string_append_c(c->text, *p);
    }
    g_string_append_c(c->text, '\n');
}

static void G_GNUC_PRINTF(3, 4) conf_setf(Conf *c, const char *key, const char *format, ...)
{
    g_autofree char *value = NULL;
    va_list ap;

    va_start(ap, format);
    value = g_strdup_vprintf(format, ap);
    va_end(ap);
    conf_set(c, key, value);
}

static void conf_bool(Conf *c, const char *key, bool value)
{
    conf_set(c, key, value ? "true" : "false");
}

/* Starts the node of the PCI device in slot: writes its device= line. */
static void dev_begin(Conf *c, unsigned slot, const char *model)
{
    g_snprintf(c->prefix, sizeof(c->prefix), "pci.0.%u.0.", slot);
    g_autofree char *key = g_strconcat(c->prefix, "device", NULL);
    conf_set(c, key, model);
}

static void dev_set(Conf *c, const char *key, const char *value)
{
    g_autofree char *full = g_strconcat(c->prefix, key, NULL);
    conf_set(c, full, value);
}

static void G_GNUC_PRINTF(3, 4) dev_setf(Conf *c, const char *key, const char *format, ...)
{
    g_autofree char *value = NULL;
    va_list ap;

    va_start(ap, format);
    value = g_strdup_vprintf(format, ap);
    va_end(ap);
    dev_set(c, key, value);
}

/* Block options bhyve reads from a device or AHCI port node (key_prefix
 * is "" or "port.N."); only those turned on are written. */
static void dev_block_options(Conf *c, const char *key_prefix, const CirDisk *disk)
{
    const struct {
        bool on;
        const char *key;
    } options[] = {
        {disk->nocache, "nocache"}, /* O_DIRECT */
        {disk->direct, "direct"},   /* O_SYNC: an alias of "sync" */
        {disk->readonly, "ro"},
    };

    for (size_t i = 0; i < G_N_ELEMENTS(options); i++)
        if (options[i].on) {
            g_autofree char *key = g_strconcat(key_prefix, options[i].key, NULL);
            dev_set(c, key, "true");
        }
}

/* --- checks --- */

static const char *str(const char *s)
{
    return s ? s : "";
}

static bool G_GNUC_PRINTF(3, 4) fail(GError **error, CirrinaError code, const char *format, ...)
{
    va_list ap;

    va_start(ap, format);
    g_propagate_error(error, g_error_new_valist(CIRRINA_ERROR, code, format, ap));
    va_end(ap);
    return false;
}

static bool check_spec(const HvSpec *spec, GError **error)
{
    const CirVM *vm = spec->vm;

    if (!vm)
        return fail(error, CIRRINA_ERROR_INVALID_ARGUMENT, "bhyve: no VM to plan");
    if (!spec->launch_name || !name_is_valid(spec->launch_name, VM_NAME_MAX))
        return fail(error, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "bhyve: the VM name '%.64s' is not 1 to %d characters from [A-Za-z0-9._-] "
                    "starting with a letter or digit",
                    str(spec->launch_name), VM_NAME_MAX);
    if (!spec->run_dir || !g_path_is_absolute(spec->run_dir))
        return fail(error, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "bhyve: the VM's run directory must be an absolute path");
    if (!vm->base.uuid || !g_uuid_string_is_valid(vm->base.uuid))
        return fail(error, CIRRINA_ERROR_INVALID_ARGUMENT, "bhyve: '%.64s' is not a UUID",
                    str(vm->base.uuid));

    uint64_t product = (uint64_t)vm->sockets * vm->cores * vm->threads;
    if (vm->cpus == 0 || vm->cpus != product)
        return fail(error, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "bhyve needs CPUs = Sockets x Cores x Threads, but CPUs=%u and %u x %u x %u "
                    "= %" G_GUINT64_FORMAT,
                    vm->cpus, vm->sockets, vm->cores, vm->threads, product);
    if (vm->memory == 0 || vm->memory % MiB != 0)
        return fail(error, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "bhyve: Memory=%" G_GUINT64_FORMAT " is not a positive multiple of 1 MiB",
                    vm->memory);

    if (!spec->uefi_code || !spec->uefi_code[0])
        return fail(error, CIRRINA_ERROR_NOT_SUPPORTED,
                    "Cirrina boots bhyve guests with a UEFI boot ROM only, and no UEFI firmware "
                    "(firmware/UEFICode) is configured");
    if (spec->uefi_vars_template && spec->uefi_vars_template[0] &&
        (!spec->vm_state_dir || !g_path_is_absolute(spec->vm_state_dir)))
        return fail(error, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "bhyve: a UEFI variable store needs the VM's state directory");

    const char *clock = str(vm->clock);
    if (strcmp(clock, "utc") != 0 && strcmp(clock, "localtime") != 0)
        return fail(error, CIRRINA_ERROR_NOT_SUPPORTED,
                    "bhyve: Clock='%.32s' is neither 'utc' nor 'localtime'", clock);

    const char *display = str(vm->display);
    if (strcmp(display, "vnc") == 0) {
        const char *vga = str(vm->display_vga);
        const char *password = str(vm->display_password);
        if (spec->vnc_port == 0)
            return fail(error, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "bhyve: Display='vnc' needs a VNC port, and none was chosen");
        if (vm->display_width < FBUF_MIN_W || vm->display_width > FBUF_MAX_W ||
            vm->display_height < FBUF_MIN_H || vm->display_height > FBUF_MAX_H)
            return fail(error, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "bhyve's frame buffer supports %dx%d to %dx%d pixels, not %ux%u",
                        FBUF_MIN_W, FBUF_MIN_H, FBUF_MAX_W, FBUF_MAX_H, vm->display_width,
                        vm->display_height);
        if (strcmp(vga, "io") != 0 && strcmp(vga, "on") != 0 && strcmp(vga, "off") != 0)
            return fail(error, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "bhyve: DisplayVGA='%.32s' is not one of io, on, off", vga);
        /* bhyve's own option parser splits at ',' (and libvirt refuses
         * it too); VNC authentication uses only the first 8 characters. */
        for (const char *p = password; *p; p++)
            if (*p == ',' || *p < 0x20 || *p > 0x7e)
                return fail(error, CIRRINA_ERROR_INVALID_ARGUMENT,
                            "bhyve: the display password may hold only printable ASCII "
                            "characters other than ','");
    } else if (strcmp(display, "none") != 0) {
        return fail(error, CIRRINA_ERROR_NOT_SUPPORTED,
                    "bhyve: Display='%.32s' is not supported (only 'vnc' or 'none')", display);
    }

    if (vm->serial_ports > G_N_ELEMENTS(spec->com_devices))
        return fail(error, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "bhyve has com1 to com4 only, not %u serial ports", vm->serial_ports);
    for (uint32_t i = 0; i < vm->serial_ports; i++)
        if (!spec->com_devices[i] || !spec->com_devices[i][0])
            return fail(error, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "bhyve: no nmdm device was given for com%u", i + 1);

    for (size_t i = 0; i < spec->n_disks; i++) {
        const HvDisk *d = &spec->disks[i];
        const char *bus = d->disk ? str(d->disk->bus) : "";
        if (!d->disk || !d->path || !d->path[0])
            return fail(error, CIRRINA_ERROR_INVALID_ARGUMENT, "bhyve: disk %zu has no image path",
                        i);
        if (strcmp(bus, "virtio-blk") != 0 && strcmp(bus, "nvme") != 0 &&
            strcmp(bus, "ahci-hd") != 0)
            return fail(error, CIRRINA_ERROR_NOT_SUPPORTED,
                        "bhyve: the disk '%.64s' has the bus '%.32s'; bhyve supports virtio-blk, "
                        "nvme and ahci-hd",
                        str(d->disk->base.name), bus);
    }
    for (size_t i = 0; i < spec->n_isos; i++)
        if (!spec->isos[i].iso || !spec->isos[i].iso->path || !spec->isos[i].iso->path[0])
            return fail(error, CIRRINA_ERROR_INVALID_ARGUMENT, "bhyve: ISO %zu has no path", i);

    for (size_t i = 0; i < spec->n_nics; i++) {
        const HvNIC *n = &spec->nics[i];
        const char *model = n->nic ? str(n->nic->model) : "";
        if (!n->nic || (strcmp(model, "virtio-net") != 0 && strcmp(model, "e1000") != 0))
            return fail(error, CIRRINA_ERROR_NOT_SUPPORTED,
                        "bhyve: NIC %zu has the model '%.32s'; bhyve supports virtio-net and "
                        "e1000",
                        i, model);
        switch (n->backend) {
        case HV_NET_USER:
            break;
        case HV_NET_TAP:
            if (!n->ifname || !n->ifname[0])
                return fail(error, CIRRINA_ERROR_INVALID_ARGUMENT,
                            "bhyve: NIC %zu has no tap interface", i);
            break;
        case HV_NET_NETGRAPH:
            if (!n->ifname || !n->ifname[0] || !n->peerhook || !n->peerhook[0])
                return fail(error, CIRRINA_ERROR_INVALID_ARGUMENT,
                            "bhyve: netgraph NIC %zu needs a switch node and a peer hook", i);
            break;
        default:
            return fail(error, CIRRINA_ERROR_NOT_SUPPORTED,
                        "bhyve: NIC %zu has an unknown network backend (%d)", i, n->backend);
        }
    }
    return true;
}

/* vCPU pins as -p options, sorted by vCPU. */
static gint compare_pins(gconstpointer a, gconstpointer b)
{
    const uint32_t *pa = a, *pb = b;

    return pa[0] < pb[0] ? -1 : pa[0] > pb[0];
}

static bool add_pins(HvPlan *plan, const CirVM *vm, GError **error)
{
    g_autoptr(GArray) pins = g_array_new(FALSE, FALSE, 2 * sizeof(uint32_t));
    GVariantIter iter;
    uint32_t pin[2];

    if (!vm->cpu_pins)
        return true;
    g_variant_iter_init(&iter, vm->cpu_pins);
    while (g_variant_iter_next(&iter, "(uu)", &pin[0], &pin[1])) {
        if (pin[0] >= vm->cpus)
            return fail(error, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "bhyve: CPUPins pins virtual CPU %u, but the VM has %u CPUs", pin[0],
                        vm->cpus);
        g_array_append_val(pins, pin);
    }
    g_array_sort(pins, compare_pins);
    for (guint i = 0; i < pins->len; i++) {
        const uint32_t *p = &g_array_index(pins, uint32_t, 2 * i);
        if (i > 0 && p[0] == (p - 2)[0])
            return fail(error, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "bhyve: CPUPins pins virtual CPU %u twice", p[0]);
        hv_plan_add_arg(plan, "-p");
        hv_plan_add_argf(plan, "%u:%u", p[0], p[1]);
    }
    return true;
}

/* --- PCI devices --- */

typedef enum {
    DEV_DISK, /* virtio-blk or nvme: index into spec->disks */
    DEV_AHCI, /* the one AHCI controller */
    DEV_NIC,  /* index into spec->nics */
    DEV_FBUF,
    DEV_XHCI,
    DEV_HDA,
    DEV_RNG,
    DEV_SHARE, /* index into vm->shares */
} DevKind;

typedef struct {
    DevKind kind;
    size_t index;
} PciDev;

static bool disk_on_ahci(const HvDisk *d)
{
    return strcmp(d->disk->bus, "ahci-hd") == 0;
}

static void add_dev(GArray *devs, DevKind kind, size_t index)
{
    PciDev dev = {kind, index};

    g_array_append_val(devs, dev);
}

/* The devices of slots 1..30, in slot order. */
static GArray *list_devices(const HvSpec *spec, bool vnc)
{
    const CirVM *vm = spec->vm;
    GArray *devs = g_array_new(FALSE, FALSE, sizeof(PciDev));
    bool ahci = false;

    for (size_t i = 0; i < spec->n_disks; i++) {
        if (!disk_on_ahci(&spec->disks[i]))
            add_dev(devs, DEV_DISK, i);
        else if (!ahci)
            add_dev(devs, DEV_AHCI, 0);
        ahci = ahci || disk_on_ahci(&spec->disks[i]);
    }
    if (!ahci && spec->n_isos > 0)
        add_dev(devs, DEV_AHCI, 0);
    for (size_t i = 0; i < spec->n_nics; i++)
        add_dev(devs, DEV_NIC, i);
    if (vnc) {
        add_dev(devs, DEV_FBUF, 0);
        if (vm->tablet)
            add_dev(devs, DEV_XHCI, 0);
    }
    if (vm->sound)
        add_dev(devs, DEV_HDA, 0);
    if (vm->rng)
        add_dev(devs, DEV_RNG, 0);
    for (size_t i = 0; vm->shares && i < g_variant_n_children(vm->shares); i++)
        add_dev(devs, DEV_SHARE, i);
    return devs;
}

static bool check_slots(const HvSpec *spec, GArray *devs, GError **error)
{
    const unsigned free_slots = PCI_SLOT_LAST - PCI_SLOT_FIRST + 1;
    size_t counts[DEV_SHARE + 1] = {0};
    size_t ahci_ports = spec->n_isos;

    for (size_t i = 0; i < spec->n_disks; i++)
        ahci_ports += disk_on_ahci(&spec->disks[i]);
    if (ahci_ports > AHCI_MAX_PORTS)
        return fail(error, CIRRINA_ERROR_NOT_SUPPORTED,
                    "bhyve's AHCI controller has %d ports; this VM needs %zu for its ahci-hd "
                    "disks and ISOs",
                    AHCI_MAX_PORTS, ahci_ports);
    if (devs->len <= free_slots)
        return true;
    for (guint i = 0; i < devs->len; i++)
        counts[g_array_index(devs, PciDev, i).kind]++;
    return fail(error, CIRRINA_ERROR_NOT_SUPPORTED,
                "bhyve has %u free PCI slots (1 to 30; 0 holds the host bridge and 31 the LPC "
                "bridge), but this VM needs %u: %zu virtio-blk/nvme disks, %zu AHCI controller, "
                "%zu NICs, %zu display, %zu USB tablet, %zu sound, %zu RNG and %zu shares",
                free_slots, devs->len, counts[DEV_DISK], counts[DEV_AHCI], counts[DEV_NIC],
                counts[DEV_FBUF], counts[DEV_XHCI], counts[DEV_HDA], counts[DEV_RNG],
                counts[DEV_SHARE]);
}

static void write_disk(Conf *c, unsigned slot, const HvDisk *d)
{
    dev_begin(c, slot, d->disk->bus); /* "virtio-blk" or "nvme" */
    dev_set(c, "path", d->path);
    dev_block_options(c, "", d->disk);
}

static void write_ahci(Conf *c, unsigned slot, const HvSpec *spec)
{
    unsigned port = 0;

    dev_begin(c, slot, "ahci");
    for (size_t i = 0; i < spec->n_disks; i++) {
        if (!disk_on_ahci(&spec->disks[i]))
            continue;
        g_autofree char *p = g_strdup_printf("port.%u.", port++);
        g_autofree char *type = g_strconcat(p, "type", NULL);
        g_autofree char *path = g_strconcat(p, "path", NULL);
        dev_set(c, type, "hd");
        dev_set(c, path, spec->disks[i].path);
        dev_block_options(c, p, spec->disks[i].disk);
    }
    for (size_t i = 0; i < spec->n_isos; i++) {
        g_autofree char *p = g_strdup_printf("port.%u.", port++);
        g_autofree char *type = g_strconcat(p, "type", NULL);
        g_autofree char *path = g_strconcat(p, "path", NULL);
        g_autofree char *ro = g_strconcat(p, "ro", NULL);
        dev_set(c, type, "cd");
        dev_set(c, path, spec->isos[i].iso->path);
        dev_set(c, ro, "true");
    }
}

static void write_nic(Conf *c, unsigned slot, const HvNIC *n)
{
    dev_begin(c, slot, n->nic->model); /* "virtio-net" or "e1000" */
    switch (n->backend) {
    case HV_NET_TAP:
        dev_set(c, "backend", n->ifname);
        break;
    case HV_NET_USER:
        dev_set(c, "backend", "slirp");
        /* Without "open" the slirp backend only lets the host in (hostfwd);
         * with it, the guest may connect out, as user-mode NAT should. Read
         * since FreeBSD's D53454 (Nov. 2025; libvirt passes it too); older
         * bhyve ignores unknown keys (bhyve_config(5)) and stays closed. */
        dev_set(c, "open", "true");
        break;
    case HV_NET_NETGRAPH:
        dev_set(c, "backend", "netgraph");
        dev_setf(c, "path", "%s:", n->ifname);
        dev_set(c, "peerhook", n->peerhook);
        break;
    }
    if (n->nic->mac && n->nic->mac[0])
        dev_set(c, "mac", n->nic->mac);
}

static void write_fbuf(Conf *c, unsigned slot, const HvSpec *spec)
{
    const CirVM *vm = spec->vm;

    dev_begin(c, slot, "fbuf");
    dev_setf(c, "rfb", "127.0.0.1:%u", spec->vnc_port);
    dev_setf(c, "w", "%u", vm->display_width);
    dev_setf(c, "h", "%u", vm->display_height);
    dev_set(c, "vga", vm->display_vga);
    if (vm->display_wait)
        dev_set(c, "wait", "true");
    if (vm->display_password && vm->display_password[0])
        dev_set(c, "password", vm->display_password);
}

static void write_share(Conf *c, unsigned slot, GVariant *shares, size_t index)
{
    const char *name, *path;
    gboolean ro;

    g_variant_get_child(shares, index, "(&s&sb)", &name, &path, &ro);
    dev_begin(c, slot, "virtio-9p");
    dev_set(c, "sharename", name);
    dev_set(c, "path", path);
    if (ro)
        dev_set(c, "ro", "true");
}

static void write_device(Conf *c, unsigned slot, const PciDev *dev, const HvSpec *spec)
{
    switch (dev->kind) {
    case DEV_DISK:
        write_disk(c, slot, &spec->disks[dev->index]);
        break;
    case DEV_AHCI:
        write_ahci(c, slot, spec);
        break;
    case DEV_NIC:
        write_nic(c, slot, &spec->nics[dev->index]);
        break;
    case DEV_FBUF:
        write_fbuf(c, slot, spec);
        break;
    case DEV_XHCI:
        dev_begin(c, slot, "xhci");
        dev_set(c, "slot.1.device", "tablet");
        break;
    case DEV_HDA:
        dev_begin(c, slot, "hda");
        dev_set(c, "play", SOUND_DEVICE);
        break;
    case DEV_RNG:
        dev_begin(c, slot, "virtio-rnd");
        break;
    case DEV_SHARE:
        write_share(c, slot, spec->vm->shares, dev->index);
        break;
    }
}

/* --- the plan --- */

static HvPlan *bhyve_plan(const HvSpec *spec, GError **error)
{
    if (!check_spec(spec, error))
        return NULL;

    const CirVM *vm = spec->vm;
    const bool vnc = strcmp(vm->display, "vnc") == 0;
    const bool vars = spec->uefi_vars_template && spec->uefi_vars_template[0];
    g_autoptr(HvPlan) plan = hv_plan_new();
    g_autoptr(GArray) devs = list_devices(spec, vnc);
    g_autofree char *conf_path = g_build_filename(spec->run_dir, CONFIG_NAME, NULL);
    g_autofree char *vars_path =
        vars ? g_build_filename(spec->vm_state_dir, UEFI_VARS_NAME, NULL) : NULL;

    if (!check_slots(spec, devs, error))
        return NULL;
    hv_plan_add_arg(plan, "bhyve");
    if (!add_pins(plan, vm, error))
        return NULL;
    hv_plan_add_arg(plan, "-k");
    hv_plan_add_arg(plan, conf_path);
    hv_plan_add_arg(plan, spec->launch_name);

    Conf c = {.text = g_string_new(NULL)};
    g_string_append_printf(
        c.text, "# bhyve_config(5) of VM %s, written by cirrinad at every start\n", vm->base.uuid);
    conf_set(&c, "name", spec->launch_name);
    conf_set(&c, "uuid", vm->base.uuid);
    conf_setf(&c, "cpus", "%u", vm->cpus);
    conf_setf(&c, "sockets", "%u", vm->sockets);
    conf_setf(&c, "cores", "%u", vm->cores);
    conf_setf(&c, "threads", "%u", vm->threads);
    conf_setf(&c, "memory.size", "%" G_GUINT64_FORMAT "M", vm->memory / MiB);
    conf_bool(&c, "memory.wired", vm->memory_wired);
    conf_bool(&c, "acpi_tables", true);
    conf_bool(&c, "destroy_on_poweroff", true);
    conf_bool(&c, "rtc.use_localtime", strcmp(vm->clock, "localtime") == 0);
    conf_bool(&c, "x86.strictmsr", !vm->ignore_unknown_msrs);
    conf_bool(&c, "x86.vmexit_on_hlt", vm->vmexit_on_hlt);
    conf_bool(&c, "x86.vmexit_on_pause", true);

    dev_begin(&c, 0, "hostbridge");
    for (guint i = 0; i < devs->len; i++)
        write_device(&c, PCI_SLOT_FIRST + i, &g_array_index(devs, PciDev, i), spec);
    dev_begin(&c, PCI_SLOT_LPC, "lpc");

    conf_set(&c, "lpc.bootrom", spec->uefi_code);
    if (vars) {
        conf_set(&c, "lpc.bootvars", vars_path);
        g_hash_table_insert(plan->copies, g_strdup(vars_path), g_strdup(spec->uefi_vars_template));
    }
    for (uint32_t i = 0; i < vm->serial_ports; i++) {
        g_autofree char *key = g_strdup_printf("lpc.com%u.path", i + 1);
        conf_set(&c, key, spec->com_devices[i]);
    }

    if (c.error) {
        g_propagate_error(error, c.error);
        g_string_free(c.text, TRUE);
        return NULL;
    }
    g_hash_table_insert(plan->files, g_steal_pointer(&conf_path), g_string_free(c.text, FALSE));
    return g_steal_pointer(&plan);
}

/* --- exits and cleanup --- */

#define SIGNAL_REASON(s)                                                                           \
    {                                                                                              \
        s, "signal-" #s                                                                            \
    }

static const struct {
    int sig;
    const char *reason;
} signal_reasons[] = {
    SIGNAL_REASON(SIGHUP),  SIGNAL_REASON(SIGINT),    SIGNAL_REASON(SIGQUIT),
    SIGNAL_REASON(SIGILL),  SIGNAL_REASON(SIGTRAP),   SIGNAL_REASON(SIGABRT),
    SIGNAL_REASON(SIGBUS),  SIGNAL_REASON(SIGFPE),    SIGNAL_REASON(SIGKILL),
    SIGNAL_REASON(SIGUSR1), SIGNAL_REASON(SIGSEGV),   SIGNAL_REASON(SIGUSR2),
    SIGNAL_REASON(SIGPIPE), SIGNAL_REASON(SIGALRM),   SIGNAL_REASON(SIGTERM),
    SIGNAL_REASON(SIGXCPU), SIGNAL_REASON(SIGXFSZ),   SIGNAL_REASON(SIGSYS),
    SIGNAL_REASON(SIGPROF), SIGNAL_REASON(SIGVTALRM),
};

/* Reasons are static strings; rare ones are interned (a few hundred at
 * most: one per exit code or signal number). */
static const char *G_GNUC_PRINTF(1, 2) intern_printf(const char *format, ...)
{
    g_autofree char *s = NULL;
    va_list ap;

    va_start(ap, format);
    s = g_strdup_vprintf(format, ap);
    va_end(ap);
    return g_intern_string(s);
}

static HvExit bhyve_interpret_exit(int wait_status)
{
    if (WIFEXITED(wait_status)) {
        switch (WEXITSTATUS(wait_status)) {
        case 0:
            return (HvExit){HV_EXIT_REBOOT, "reboot"};
        case 1:
            return (HvExit){HV_EXIT_POWEROFF, "poweroff"};
        case 2:
            return (HvExit){HV_EXIT_POWEROFF, "halt"};
        case 3:
            return (HvExit){HV_EXIT_CRASH, "triple-fault"};
        case 4:
            return (HvExit){HV_EXIT_CRASH, "error"};
        default:
            return (HvExit){HV_EXIT_CRASH,
                            intern_printf("exit-status-%d", WEXITSTATUS(wait_status))};
        }
    }
    if (WIFSIGNALED(wait_status)) {
        int sig = WTERMSIG(wait_status);
        if (sig == SIGKILL) /* as the QEMU driver says it */
            return (HvExit){HV_EXIT_KILLED, "killed"};
        for (size_t i = 0; i < G_N_ELEMENTS(signal_reasons); i++)
            if (signal_reasons[i].sig == sig)
                return (HvExit){HV_EXIT_KILLED, signal_reasons[i].reason};
        return (HvExit){HV_EXIT_KILLED, intern_printf("signal-%d", sig)};
    }
    return (HvExit){HV_EXIT_CRASH, intern_printf("wait-status-%d", wait_status)};
}

/* Destroys the kernel VM (/dev/vmm/NAME), which outlives bhyve. After a
 * guest poweroff, destroy_on_poweroff has already done so and bhyvectl
 * fails with "vm_open: NAME could not be opened: No such file or
 * directory": that is the wanted state, not a failure. */
static bool bhyve_cleanup(const char *launch_name, GError **error)
{
    g_autofree char *vm_arg = g_strdup_printf("--vm=%s", launch_name);
    GError *local = NULL;

    if (host_runv(&local, "bhyvectl", vm_arg, "--destroy"))
        return true;
    if (strstr(local->message, "could not be opened: No such file or directory")) {
        g_error_free(local);
        return true;
    }
    g_propagate_error(error, local);
    return false;
}

/* bhyve turns SIGTERM into an ACPI power button press (bhyve.8 SIGNAL
 * HANDLING); the guest then powers off and bhyve exits with 1. */
static bool bhyve_powerdown(const HvInstance *inst, GError **error)
{
    if (inst->pid <= 0)
        return fail(error, CIRRINA_ERROR_FAILED, "bhyve: no process to power down");
    if (kill(inst->pid, SIGTERM) < 0) {
        int saved = errno;
        return fail(error, CIRRINA_ERROR_FAILED, "Cannot signal bhyve (pid %d): %s", inst->pid,
                    g_strerror(saved));
    }
    return true;
}

/* bhyve exits with 0 (reboot) after a forced reset, and is started again
 * as after a guest reboot. */
static bool bhyve_reset(const HvInstance *inst, GError **error)
{
    g_autofree char *vm_arg = g_strdup_printf("--vm=%s", inst->launch_name);

    return host_runv(error, "bhyvectl", vm_arg, "--force-reset");
}

/* bhyve opens the A side of each nmdm pair; cirrinad reads the B side. */
static char *bhyve_serial_endpoint(const HvInstance *inst, unsigned port)
{
    return hv_nmdm_device(inst->vm_uuid, port, 'B');
}

static char *bhyve_display_endpoint(const HvInstance *inst)
{
    return g_strdup_printf("tcp:127.0.0.1:%u", inst->vnc_port);
}

const HvDriver hv_bhyve_driver = {
    .name = "bhyve",
    .plan = bhyve_plan,
    .interpret_exit = bhyve_interpret_exit,
    .cleanup = bhyve_cleanup,
    .powerdown = bhyve_powerdown,
    .reset = bhyve_reset,
    .serial_endpoint = bhyve_serial_endpoint,
    .display_endpoint = bhyve_display_endpoint,
};
