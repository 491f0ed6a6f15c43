/* The QEMU driver: q35 with OVMF (per-VM vars), KVM when it works and TCG
 * otherwise, a QMP socket for powerdown and reset, serial ports and VNC on
 * unix sockets in the VM's run directory. */
#include <string.h>
#include <sys/wait.h>

#include "core/errors.h"
#include "hv/hv.h"
#include "hv/qmp.h"

#define MiB            (UINT64_C(1) << 20)
#define Q35_AHCI_PORTS 6

/* A value inside a QEMU option argument ("key=value,key=value"): QEMU
 * reads ",," as a comma, so a path with a comma stays one value instead
 * of ending early and adding options of its own. Keys are always written
 * out ("vnc=unix:..."): a first value without its key would also end at
 * an '='. */
static char *opt_value(const char *value)
{
    GString *out = g_string_new(NULL);

    for (const char *p = value; *p; p++) {
        if (*p == ',')
            g_string_append_c(out, ',');
        g_string_append_c(out, *p);
    }
    return g_string_free(out, FALSE);
}

/* QEMU's cache modes for bhyve's two block options: nocache is O_DIRECT,
 * direct is O_SYNC. */
static const char *disk_cache(const CirDisk *disk)
{
    if (disk->nocache && disk->direct)
        return "directsync";
    if (disk->nocache)
        return "none";
    if (disk->direct)
        return "writethrough";
    return "writeback";
}

static bool plan_storage(HvPlan *plan, const HvSpec *spec, GError **error)
{
    unsigned ahci_port = 0, boot = 1;

    for (size_t i = 0; i < spec->n_disks; i++) {
        const CirDisk *disk = spec->disks[i].disk;
        bool ahci = strcmp(disk->bus, "ahci-hd") == 0;
        g_autofree char *file = opt_value(spec->disks[i].path);

        if (ahci && ahci_port >= Q35_AHCI_PORTS) {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_NOT_SUPPORTED,
                        "q35 has %d AHCI ports: too many ahci-hd disks and ISOs", Q35_AHCI_PORTS);
            return false;
        }
        hv_plan_add_arg(plan, "-drive");
        hv_plan_add_argf(plan, "file=%s,format=raw,if=none,id=disk%zu,cache=%s,readonly=%s%s", file,
                         i, disk_cache(disk), disk->readonly ? "on" : "off",
                         disk->readonly ? "" : ",discard=unmap");
        hv_plan_add_arg(plan, "-device");
        if (ahci) {
            hv_plan_add_argf(plan, "ide-hd,drive=disk%zu,bus=ide.%u,bootindex=%u", i, ahci_port++,
                             boot++);
        } else if (strcmp(disk->bus, "nvme") == 0) {
            /* NVMe wants a serial; the disk's UUID without dashes, cut to 20. */
            g_autofree char *serial = g_strndup(disk->base.uuid, 20);
            g_strdelimit(serial, "-", '0');
            hv_plan_add_argf(plan, "nvme,drive=disk%zu,serial=%s,bootindex=%u", i, serial, boot++);
        } else {
            hv_plan_add_argf(plan, "virtio-blk-pci,drive=disk%zu,bootindex=%u", i, boot++);
        }
    }
    for (size_t i = 0; i < spec->n_isos; i++) {
        g_autofree char *file = opt_value(spec->isos[i].iso->path);

        if (ahci_port >= Q35_AHCI_PORTS) {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_NOT_SUPPORTED,
                        "q35 has %d AHCI ports: too many ahci-hd disks and ISOs", Q35_AHCI_PORTS);
            return false;
        }
        hv_plan_add_arg(plan, "-drive");
        hv_plan_add_argf(plan, "file=%s,format=raw,if=none,id=cd%zu,media=cdrom,readonly=on", file,
                         i);
        hv_plan_add_arg(plan, "-device");
        hv_plan_add_argf(plan, "ide-cd,drive=cd%zu,bus=ide.%u,bootindex=%u", i, ahci_port++,
                         boot++);
    }
    return true;
}

static bool plan_network(HvPlan *plan, const HvSpec *spec, GError **error)
{
    for (size_t i = 0; i < spec->n_nics; i++) {
        const HvNIC *n = &spec->nics[i];

        hv_plan_add_arg(plan, "-netdev");
        switch (n->backend) {
        case HV_NET_USER:
            hv_plan_add_argf(plan, "user,id=net%zu", i);
            break;
        case HV_NET_TAP: {
            g_autofree char *ifname = opt_value(n->ifname);
            hv_plan_add_argf(plan, "tap,id=net%zu,ifname=%s,script=no,downscript=no", i, ifname);
            break;
        }
        case HV_NET_NETGRAPH:
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_NOT_SUPPORTED,
                        "QEMU cannot join a netgraph switch");
            return false;
        }
        /* romfile= : no iPXE option ROM, so OVMF does not try to boot from
         * the network, and no ROM package is needed. */
        hv_plan_add_arg(plan, "-device");
        hv_plan_add_argf(plan, "%s,netdev=net%zu,mac=%s,romfile=",
                         strcmp(n->nic->model, "e1000") == 0 ? "e1000" : "virtio-net-pci", i,
                         n->nic->mac);
    }
    return true;
}

static void plan_devices(HvPlan *plan, const HvSpec *spec)
{
    const CirVM *vm = spec->vm;
    g_autofree char *run_dir = opt_value(spec->run_dir);

    for (uint32_t port = 1; port <= vm->serial_ports; port++) {
        /* cirrinad connects to it from the start and keeps the log. */
        hv_plan_add_arg(plan, "-chardev");
        hv_plan_add_argf(plan, "socket,id=com%u,path=%s/com%u.sock,server=on,wait=off", port,
                         run_dir, port);
        hv_plan_add_arg(plan, "-device");
        hv_plan_add_argf(plan, "isa-serial,chardev=com%u", port);
    }
    if (strcmp(vm->display, "vnc") == 0) {
        hv_plan_add_arg(plan, "-vnc");
        hv_plan_add_argf(plan, "vnc=unix:%s/vnc.sock%s", run_dir,
                         vm->display_password[0] ? ",password=on" : "");
        hv_plan_add_arg(plan, "-device");
        hv_plan_add_argf(plan, "VGA,edid=on,xres=%u,yres=%u", vm->display_width,
                         vm->display_height);
    }
    if (vm->tablet) {
        hv_plan_add_arg(plan, "-device");
        hv_plan_add_arg(plan, "qemu-xhci,id=xhci");
        hv_plan_add_arg(plan, "-device");
        hv_plan_add_arg(plan, "usb-tablet,bus=xhci.0");
    }
    if (vm->sound) {
        hv_plan_add_arg(plan, "-audiodev");
        hv_plan_add_arg(plan, "none,id=sound0");
        hv_plan_add_arg(plan, "-device");
        hv_plan_add_arg(plan, "ich9-intel-hda");
        hv_plan_add_arg(plan, "-device");
        hv_plan_add_arg(plan, "hda-duplex,audiodev=sound0");
    }
    if (vm->rng) {
        hv_plan_add_arg(plan, "-object");
        hv_plan_add_arg(plan, "rng-random,id=rng0,filename=/dev/urandom");
        hv_plan_add_arg(plan, "-device");
        hv_plan_add_arg(plan, "virtio-rng-pci,rng=rng0");
    }
    if (vm->shares) {
        GVariantIter iter;
        const char *name, *path;
        gboolean ro;
        unsigned n = 0;
        g_variant_iter_init(&iter, vm->shares);
        while (g_variant_iter_next(&iter, "(&s&sb)", &name, &path, &ro)) {
            g_autofree char *dir = opt_value(path);
            hv_plan_add_arg(plan, "-fsdev");
            hv_plan_add_argf(plan, "local,id=fs%u,path=%s,security_model=mapped-xattr%s", n, dir,
                             ro ? ",readonly=on" : "");
            hv_plan_add_arg(plan, "-device");
            hv_plan_add_argf(plan, "virtio-9p-pci,fsdev=fs%u,mount_tag=%s", n, name);
            n++;
        }
    }
}

static HvPlan *qemu_plan(const HvSpec *spec, GError **error)
{
    const CirVM *vm = spec->vm;
    g_autoptr(HvPlan) plan = hv_plan_new();
    g_autofree char *vars = g_build_filename(spec->vm_state_dir, "uefi-vars.fd", NULL);
    g_autofree char *vars_value = opt_value(vars);
    g_autofree char *code_value = opt_value(spec->uefi_code);
    g_autofree char *run_dir = opt_value(spec->run_dir);
    g_autofree char *name = opt_value(spec->launch_name);

    hv_plan_add_arg(plan, spec->qemu_binary);
    hv_plan_add_arg(plan, "-name");
    hv_plan_add_argf(plan, "guest=%s,debug-threads=on", name);
    hv_plan_add_arg(plan, "-uuid");
    hv_plan_add_arg(plan, vm->base.uuid);
    hv_plan_add_arg(plan, "-nodefaults");
    hv_plan_add_arg(plan, "-no-user-config");
    hv_plan_add_arg(plan, "-display");
    hv_plan_add_arg(plan, "none");
    hv_plan_add_arg(plan, "-machine");
    hv_plan_add_argf(plan, "q35,accel=%s", spec->kvm ? "kvm" : "tcg");
    hv_plan_add_arg(plan, "-cpu");
    hv_plan_add_arg(plan, spec->kvm ? "host" : "max");
    hv_plan_add_arg(plan, "-smp");
    hv_plan_add_argf(plan, "%u,sockets=%u,cores=%u,threads=%u", vm->cpus, vm->sockets, vm->cores,
                     vm->threads);
    hv_plan_add_arg(plan, "-m");
    hv_plan_add_argf(plan, "%" G_GUINT64_FORMAT "M", vm->memory / MiB);
    if (vm->memory_wired) {
        hv_plan_add_arg(plan, "-overcommit");
        hv_plan_add_arg(plan, "mem-lock=on");
    }
    hv_plan_add_arg(plan, "-rtc");
    hv_plan_add_argf(plan, "base=%s", vm->clock);
    hv_plan_add_arg(plan, "-drive");
    hv_plan_add_argf(plan, "if=pflash,format=raw,unit=0,readonly=on,file=%s", code_value);
    hv_plan_add_arg(plan, "-drive");
    hv_plan_add_argf(plan, "if=pflash,format=raw,unit=1,file=%s", vars_value);
    g_hash_table_insert(plan->copies, g_strdup(vars), g_strdup(spec->uefi_vars_template));
    hv_plan_add_arg(plan, "-chardev");
    hv_plan_add_argf(plan, "socket,id=qmp,path=%s/qmp.sock,server=on,wait=off", run_dir);
    hv_plan_add_arg(plan, "-mon");
    hv_plan_add_arg(plan, "chardev=qmp,mode=control");
    if (!plan_storage(plan, spec, error) || !plan_network(plan, spec, error))
        return NULL;
    plan_devices(plan, spec);
    return g_steal_pointer(&plan);
}

static HvExit qemu_interpret_exit(int wait_status)
{
    if (WIFEXITED(wait_status) && WEXITSTATUS(wait_status) == 0)
        return (HvExit){HV_EXIT_POWEROFF, "poweroff"};
    if (WIFSIGNALED(wait_status))
        return (HvExit){HV_EXIT_KILLED, WTERMSIG(wait_status) == SIGKILL ? "killed" : "signal"};
    return (HvExit){HV_EXIT_CRASH, "error"};
}

static char *qmp_socket(const HvInstance *inst)
{
    return g_build_filename(inst->run_dir, "qmp.sock", NULL);
}

static bool qemu_finish_start(const HvInstance *inst, const CirVM *vm, HvDone done, void *data,
                              GError **error)
{
    g_autofree char *socket = qmp_socket(inst);
    g_autofree char *password = NULL;
    const char *commands[2] = {NULL, NULL};

    if (strcmp(vm->display, "vnc") == 0 && vm->display_password[0]) {
        g_autofree char *quoted = qmp_quote(vm->display_password);
        password = g_strdup_printf(
            "{\"execute\":\"change-vnc-password\",\"arguments\":{\"password\":%s}}", quoted);
        commands[0] = password;
    }
    return qmp_execute(socket, commands, done, data, error);
}

static void log_failure(const GError *error, void *data)
{
    if (error)
        g_warning("%s: %s", (const char *)data, error->message);
}

static bool qemu_command(const HvInstance *inst, const char *command, GError **error)
{
    g_autofree char *socket = qmp_socket(inst);
    g_autofree char *json = g_strdup_printf("{\"execute\":\"%s\"}", command);
    const char *commands[] = {json, NULL};

    return qmp_execute(socket, commands, log_failure, (void *)command, error);
}

static bool qemu_powerdown(const HvInstance *inst, GError **error)
{
    return qemu_command(inst, "system_powerdown", error);
}

static bool qemu_reset(const HvInstance *inst, GError **error)
{
    return qemu_command(inst, "system_reset", error);
}

static char *qemu_serial_endpoint(const HvInstance *inst, unsigned port)
{
    g_autofree char *name = g_strdup_printf("com%u.sock", port);
    return g_build_filename(inst->run_dir, name, NULL);
}

static char *qemu_display_endpoint(const HvInstance *inst)
{
    return g_strdup_printf("unix:%s/vnc.sock", inst->run_dir);
}

const HvDriver hv_qemu_driver = {
    .name = "qemu",
    .plan = qemu_plan,
    .interpret_exit = qemu_interpret_exit,
    .cleanup = NULL,
    .finish_start = qemu_finish_start,
    .powerdown = qemu_powerdown,
    .reset = qemu_reset,
    .serial_endpoint = qemu_serial_endpoint,
    .display_endpoint = qemu_display_endpoint,
};
