#include "core/lifecycle.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console/serial.h"
#include "core/errors.h"
#include "core/supervisor.h"
#include <netdb.h>
#include <sys/un.h>

#define START_TIMEOUT_US  (60 * G_USEC_PER_SEC)
#define READY_POLL_MS     20 /* QEMU answers its monitor 40-60 ms after exec under TCG */
#define RESTART_WINDOW_US (60 * G_USEC_PER_SEC)
#define RESTART_MAX       5

typedef struct {
    LifecycleDone done;
    void *data;
} Waiter;

typedef struct VmRun VmRun;

struct Lifecycle {
    Registry *reg;
    char *run_dir, *state_dir, *hypervisor, *uefi_code, *uefi_vars, *qemu_binary;
    bool kvm;
    Network *network;
    GHashTable *runs;   /* VM UUID -> VmRun */
    GArray *autostarts; /* guint source ids */
};

struct VmRun {
    Lifecycle *lc;
    char *uuid;
    const HvDriver *driver;
    char *launch_name;
    char *run_dir;
    guint16 vnc_port;
    Supervised *proc;
    bool stop_requested;
    bool kill_sent; /* by us: tells a kill from a guest poweroff when the status is unknown */
    bool ready_pending;
    gint64 start_deadline;
    guint ready_timer, kill_timer;
    GArray *start_waiters, *stop_waiters;
    gint64 restart_window_start;
    unsigned restarts;
    SerialMux *serial[4]; /* com1..com4, kept across guest reboots */
};

static void free_consoles(VmRun *run);

/* --- helpers --- */

static char *vm_run_dir(Lifecycle *lc, const char *uuid)
{
    return g_build_filename(lc->run_dir, "vm", uuid, NULL);
}

static char *vm_state_dir(Lifecycle *lc, const char *uuid)
{
    return g_build_filename(lc->state_dir, "vm", uuid, NULL);
}

/* A free TCP port on loopback for bhyve's VNC server. */
static guint16 free_loopback_port(void)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(addr);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    guint16 port = 5900;

    if (fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
        getsockname(fd, (struct sockaddr *)&addr, &len) == 0)
        port = ntohs(addr.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static void waiters_finish(GArray *waiters, const GError *error)
{
    /* Taken out first: a callback may queue new requests. */
    g_autoptr(GArray) list = g_array_copy(waiters);

    g_array_set_size(waiters, 0);
    for (guint i = 0; i < list->len; i++) {
        Waiter *w = &g_array_index(list, Waiter, i);
        w->done(error, w->data);
    }
}

static void add_waiter(GArray *waiters, LifecycleDone done, void *data)
{
    if (done)
        g_array_append_val(waiters, ((Waiter){done, data}));
}

static CirObject *run_vm(VmRun *run)
{
    return registry_lookup(run->lc->reg, KIND_VM, run->uuid);
}

static void set_state(VmRun *run, const char *state, const char *exit_reason)
{
    g_autoptr(GError) error = NULL;
    CirObject *vm = run_vm(run);

    if (vm && !registry_set_state(run->lc->reg, vm, state, exit_reason, &error))
        g_warning("Cannot record the state of VM %s: %s", run->uuid, error->message);
}

static VmRun *run_new(Lifecycle *lc, const char *uuid, const HvDriver *driver,
                      const char *launch_name)
{
    VmRun *run = g_new0(VmRun, 1);

    run->lc = lc;
    run->uuid = g_strdup(uuid);
    run->driver = driver;
    run->launch_name = g_strdup(launch_name);
    run->run_dir = vm_run_dir(lc, uuid);
    run->start_waiters = g_array_new(FALSE, FALSE, sizeof(Waiter));
    run->stop_waiters = g_array_new(FALSE, FALSE, sizeof(Waiter));
    g_hash_table_insert(lc->runs, run->uuid, run);
    return run;
}

static void run_clear_timers(VmRun *run)
{
    if (run->ready_timer)
        g_source_remove(run->ready_timer);
    if (run->kill_timer)
        g_source_remove(run->kill_timer);
    run->ready_timer = run->kill_timer = 0;
}

/* Frees run; pending requests fail with error (which must be set when any
 * are pending). */
static void run_free(VmRun *run, const GError *error)
{
    run_clear_timers(run);
    supervised_free(run->proc);
    free_consoles(run);
    waiters_finish(run->start_waiters, error);
    waiters_finish(run->stop_waiters, error);
    g_array_unref(run->start_waiters);
    g_array_unref(run->stop_waiters);
    g_free(run->launch_name);
    g_free(run->run_dir);
    g_free(run->uuid);
    g_free(run);
}

static void run_remove(VmRun *run, const GError *error)
{
    g_hash_table_steal(run->lc->runs, run->uuid);
    run_free(run, error);
}

static HvInstance run_instance(VmRun *run)
{
    return (HvInstance){run->proc ? supervised_pid(run->proc) : 0, run->uuid, run->run_dir,
                        run->launch_name, run->vnc_port};
}

/* A connected socket to "unix:PATH" or "tcp:HOST:PORT", or an opened
 * device for a plain path. */
static int open_endpoint(const char *endpoint, GError **error)
{
    int fd = -1;

    if (g_str_has_prefix(endpoint, "unix:")) {
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        g_strlcpy(addr.sun_path, endpoint + 5, sizeof(addr.sun_path));
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
            close(fd);
            fd = -1;
        }
    } else if (g_str_has_prefix(endpoint, "tcp:")) {
        g_autofree char *host = g_strdup(endpoint + 4);
        char *colon = strrchr(host, ':');
        struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
        if (colon) {
            *colon = '\0';
            if (getaddrinfo(host, colon + 1, &hints, &ai) == 0) {
                fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
                if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
                    close(fd);
                    fd = -1;
                }
                freeaddrinfo(ai);
            }
        }
    } else {
        fd = open(endpoint, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    }
    if (fd < 0)
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "Cannot reach %s: %s", endpoint,
                    g_strerror(errno));
    return fd;
}

static char *serial_log_path(Lifecycle *lc, const char *uuid, unsigned port)
{
    g_autofree char *dir = g_build_filename(lc->run_dir, "vm", uuid, NULL);
    g_autofree char *name = g_strdup_printf("com%u.log", port);
    return g_build_filename(dir, name, NULL);
}

/* Connects cirrinad to every serial port of the running VM. */
static void attach_consoles(VmRun *run)
{
    CirVM *vm = (CirVM *)run_vm(run);
    HvInstance inst = run_instance(run);

    for (unsigned port = 1; vm && port <= vm->serial_ports && port <= 4; port++) {
        g_autoptr(GError) error = NULL;
        g_autofree char *endpoint = run->driver->serial_endpoint(&inst, port);
        g_autofree char *log = serial_log_path(run->lc, run->uuid, port);
        struct stat st;

        if (!run->serial[port - 1])
            run->serial[port - 1] = serial_mux_new(endpoint, log);
        if (serial_mux_has_vm(run->serial[port - 1]))
            continue;
        if (stat(endpoint, &st) == 0 && S_ISSOCK(st.st_mode)) {
            g_autofree char *unix_endpoint = g_strconcat("unix:", endpoint, NULL);
            g_free(endpoint);
            endpoint = g_steal_pointer(&unix_endpoint);
        }
        int fd = open_endpoint(endpoint, &error);
        if (fd < 0)
            g_warning("VM %s: com%u: %s", run->uuid, port, error->message);
        else
            serial_mux_attach_vm(run->serial[port - 1], fd);
    }
}

static void free_consoles(VmRun *run)
{
    for (size_t i = 0; i < G_N_ELEMENTS(run->serial); i++)
        g_clear_pointer(&run->serial[i], serial_mux_free);
}

/* --- the spec of a VM --- */

typedef struct {
    HvSpec spec;
    GPtrArray *strings;
} SpecHolder;

static void spec_holder_clear(SpecHolder *h)
{
    g_free(h->spec.disks);
    g_free(h->spec.isos);
    g_free(h->spec.nics);
    g_clear_pointer(&h->strings, g_ptr_array_unref);
}

static const char *hold(SpecHolder *h, char *s)
{
    g_ptr_array_add(h->strings, s);
    return s;
}

static bool spec_build(Lifecycle *lc, const CirVM *vm, const char *launch_name, const char *run_dir,
                       guint16 vnc_port, SpecHolder *h, GError **error)
{
    HvSpec *s = &h->spec;
    GPtrArray *nics = registry_vm_nics(lc->reg, vm->base.uuid);
    size_t n_disks = vm->disks ? g_variant_n_children(vm->disks) : 0;
    size_t n_isos = vm->isos ? g_variant_n_children(vm->isos) : 0;

    *h = (SpecHolder){.strings = g_ptr_array_new_with_free_func(g_free)};
    s->vm = vm;
    s->launch_name = launch_name;
    s->run_dir = run_dir;
    s->vm_state_dir = hold(h, vm_state_dir(lc, vm->base.uuid));
    s->uefi_code = lc->uefi_code;
    s->uefi_vars_template = lc->uefi_vars;
    s->qemu_binary = lc->qemu_binary;
    s->kvm = lc->kvm;
    s->vnc_port = vnc_port;
    s->disks = g_new0(HvDisk, n_disks + 1);
    for (size_t i = 0; i < n_disks; i++) {
        const char *uuid;
        g_variant_get_child(vm->disks, i, "&s", &uuid);
        s->disks[s->n_disks].disk = (const CirDisk *)registry_lookup(lc->reg, KIND_DISK, uuid);
        s->disks[s->n_disks++].path = hold(h, registry_disk_path(lc->reg, uuid));
    }
    s->isos = g_new0(HvISO, n_isos + 1);
    for (size_t i = 0; i < n_isos; i++) {
        const char *uuid;
        g_variant_get_child(vm->isos, i, "&s", &uuid);
        s->isos[s->n_isos++].iso = (const CirISO *)registry_lookup(lc->reg, KIND_ISO, uuid);
    }
    s->nics = g_new0(HvNIC, (nics ? nics->len : 0) + 1);
    for (guint i = 0; nics && i < nics->len; i++)
        network_describe_nic(lc->network, nics->pdata[i], &s->nics[s->n_nics++], h->strings);
    for (uint32_t port = 0; port < vm->serial_ports && port < 4; port++)
        s->com_devices[port] = hold(h, hv_nmdm_device(vm->base.uuid, port + 1, 'A'));
    return true;
}

HvPlan *lifecycle_plan(Lifecycle *lc, CirObject *vm, const char *hypervisor, GError **error)
{
    const HvDriver *driver =
        hv_driver_by_name(hypervisor && hypervisor[0] ? hypervisor : lc->hypervisor);
    VmRun *run = g_hash_table_lookup(lc->runs, vm->uuid);
    g_autofree char *run_dir = vm_run_dir(lc, vm->uuid);
    SpecHolder h;

    if (!driver) {
        g_autofree char *shown = g_strescape(hypervisor, NULL);
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "Unknown hypervisor '%.32s': it must be \"qemu\", \"bhyve\" or \"\"", shown);
        return NULL;
    }
    spec_build(lc, (CirVM *)vm, run ? run->launch_name : vm->name, run_dir,
               run && run->vnc_port ? run->vnc_port : 5900, &h, error);
    HvPlan *plan = driver->plan(&h.spec, error);
    spec_holder_clear(&h);
    return plan;
}

/* --- launching --- */

static bool check_files(Lifecycle *lc, const HvSpec *spec, const HvPlan *plan, GError **error)
{
    const char *program = g_ptr_array_index(plan->argv, 0);
    g_autofree char *found = g_find_program_in_path(program);

    if (!found) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_NOT_SUPPORTED,
                    "%s is not installed on this host", program);
        return false;
    }
    if (!g_file_test(lc->uefi_code, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED,
                    "The UEFI firmware %s is missing (set [firmware] UEFICode)", lc->uefi_code);
        return false;
    }
    for (size_t i = 0; i < spec->n_isos; i++)
        if (access(spec->isos[i].iso->path, R_OK) < 0) {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED,
                        "The ISO '%s' (%s) cannot be read: %s", spec->isos[i].iso->base.name,
                        spec->isos[i].iso->path, g_strerror(errno));
            return false;
        }
    for (size_t i = 0; i < spec->n_disks; i++)
        if (access(spec->disks[i].path, R_OK | W_OK) < 0) {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED,
                        "The image of disk '%s' (%s) cannot be used: %s",
                        spec->disks[i].disk->base.name, spec->disks[i].path, g_strerror(errno));
            return false;
        }
    return true;
}

static bool write_plan_files(const HvPlan *plan, GError **error)
{
    GHashTableIter iter;
    const char *path, *value;

    g_hash_table_iter_init(&iter, plan->copies);
    while (g_hash_table_iter_next(&iter, (gpointer *)&path, (gpointer *)&value)) {
        g_autofree char *contents = NULL;
        gsize len;
        if (g_file_test(path, G_FILE_TEST_EXISTS))
            continue;
        if (!g_file_get_contents(value, &contents, &len, error) ||
            !g_file_set_contents_full(path, contents, (gssize)len, G_FILE_SET_CONTENTS_CONSISTENT,
                                      0600, error)) {
            g_prefix_error(error, "Cannot make the UEFI variable store %s: ", path);
            (*error)->domain = CIRRINA_ERROR;
            (*error)->code = CIRRINA_ERROR_FAILED;
            return false;
        }
    }
    g_hash_table_iter_init(&iter, plan->files);
    while (g_hash_table_iter_next(&iter, (gpointer *)&path, (gpointer *)&value))
        if (!g_file_set_contents_full(path, value, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
                                      error)) {
            (*error)->domain = CIRRINA_ERROR;
            (*error)->code = CIRRINA_ERROR_FAILED;
            return false;
        }
    return true;
}

static void remove_runtime_files(const char *run_dir)
{
    static const char *const stale[] = {"qmp.sock",  "vnc.sock",  "com1.sock", "com2.sock",
                                        "com3.sock", "com4.sock", "process"};

    for (size_t i = 0; i < G_N_ELEMENTS(stale); i++) {
        g_autofree char *path = g_build_filename(run_dir, stale[i], NULL);
        unlink(path);
    }
}

/* The last lines the hypervisor wrote, to say why it failed. */
static char *log_tail(const char *run_dir)
{
    g_autofree char *path = g_build_filename(run_dir, "hypervisor.log", NULL);
    g_autofree char *contents = NULL;
    gsize len;

    if (!g_file_get_contents(path, &contents, &len, NULL) || len == 0)
        return g_strdup("no output");
    const char *start = len > 512 ? contents + len - 512 : contents;
    return g_strstrip(g_strdup(start));
}

static void on_process_exit(Supervised *proc, bool status_known, int status, void *data);
static gboolean ready_poll(gpointer data);

static void became_running(VmRun *run)
{
    set_state(run, "running", NULL);
    attach_consoles(run);
    waiters_finish(run->start_waiters, NULL);
}

static bool launch_process(VmRun *run, GError **error)
{
    Lifecycle *lc = run->lc;
    CirVM *vm = (CirVM *)run_vm(run);
    g_autofree char *state_dir = vm_state_dir(lc, run->uuid);
    g_autoptr(HvPlan) plan = NULL;
    SpecHolder h;

    if (g_mkdir_with_parents(run->run_dir, 0700) < 0 || g_mkdir_with_parents(state_dir, 0700) < 0) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "Cannot create %s: %s",
                    run->run_dir, g_strerror(errno));
        return false;
    }
    if (strcmp(run->driver->name, "bhyve") == 0)
        run->vnc_port = free_loopback_port();
    spec_build(lc, vm, run->launch_name, run->run_dir, run->vnc_port, &h, error);
    plan = run->driver->plan(&h.spec, error);
    bool ok = plan && check_files(lc, &h.spec, plan, error);
    spec_holder_clear(&h);
    if (!ok)
        return false;
    remove_runtime_files(run->run_dir);
    if (!write_plan_files(plan, error))
        return false;

    g_ptr_array_add(plan->argv, NULL);
    g_autofree char *log = g_build_filename(run->run_dir, "hypervisor.log", NULL);
    g_autofree char *record_path = g_build_filename(run->run_dir, "process", NULL);
    SupervisorRecord record = {.vm_uuid = run->uuid,
                               .launch_name = run->launch_name,
                               .driver = (char *)run->driver->name,
                               .vnc_port = run->vnc_port};
    set_state(run, "starting", NULL);
    run->proc = supervisor_spawn((const char *const *)plan->argv->pdata, log, record_path, &record,
                                 on_process_exit, run, error);
    if (!run->proc) {
        set_state(run, "stopped", "error");
        return false;
    }
    run->start_deadline = g_get_monotonic_time() + START_TIMEOUT_US;
    if (run->driver->finish_start)
        run->ready_timer = g_timeout_add(READY_POLL_MS, ready_poll, run);
    else
        became_running(run);
    return true;
}

/* The NICs' ports first: the plan names them (netgraph hooks). */
static bool launch(VmRun *run, GError **error)
{
    if (!network_vm_up(run->lc->network, run_vm(run), run->run_dir, error))
        return false;
    if (launch_process(run, error))
        return true;
    network_vm_down(run->lc->network, run->uuid, run->run_dir);
    return false;
}

static void ready_done(const GError *error, void *data)
{
    VmRun *run = data;

    run->ready_pending = false;
    if (!run->proc)
        return; /* exited meanwhile: on_process_exit has answered */
    if (error) {
        /* The monitor is not there yet: ask again shortly. */
        if (g_get_monotonic_time() < run->start_deadline) {
            run->ready_timer = g_timeout_add(READY_POLL_MS, ready_poll, run);
            return;
        }
        g_warning("VM %s did not become ready: %s", run->uuid, error->message);
    }
    became_running(run);
}

static gboolean ready_poll(gpointer data)
{
    VmRun *run = data;
    g_autoptr(GError) error = NULL;
    HvInstance inst = run_instance(run);

    run->ready_timer = 0;
    if (run->driver->finish_start(&inst, (CirVM *)run_vm(run), ready_done, run, &error)) {
        run->ready_pending = true;
    } else if (g_get_monotonic_time() < run->start_deadline) {
        run->ready_timer = g_timeout_add(READY_POLL_MS, ready_poll, run);
    } else {
        g_warning("VM %s: %s", run->uuid, error->message);
        became_running(run);
    }
    return G_SOURCE_REMOVE;
}

static bool restart_allowed(VmRun *run, HvExit exit, const CirVM *vm)
{
    gint64 now = g_get_monotonic_time();

    if (run->stop_requested || !vm)
        return false;
    if (exit.kind != HV_EXIT_REBOOT && !(strcmp(vm->restart_policy, "always") == 0) &&
        !(strcmp(vm->restart_policy, "on-failure") == 0 &&
          (exit.kind == HV_EXIT_CRASH || exit.kind == HV_EXIT_KILLED)))
        return false;
    /* A VM that keeps dying is left stopped. */
    if (now - run->restart_window_start > RESTART_WINDOW_US) {
        run->restart_window_start = now;
        run->restarts = 0;
    }
    return ++run->restarts <= RESTART_MAX;
}

static void on_process_exit(Supervised *proc, bool status_known, int status, void *data)
{
    VmRun *run = data;
    /* A reattached VM is not our child: its status is unknown, but what we
     * asked for says enough. */
    HvExit exit = status_known          ? run->driver->interpret_exit(status)
                  : run->kill_sent      ? (HvExit){HV_EXIT_KILLED, "killed"}
                  : run->stop_requested ? (HvExit){HV_EXIT_POWEROFF, "poweroff"}
                                        : (HvExit){HV_EXIT_POWEROFF, "exited"};
    bool was_starting = run->start_waiters->len > 0;
    g_autoptr(GError) cleanup_error = NULL;
    g_autofree char *record = g_build_filename(run->run_dir, "process", NULL);

    run_clear_timers(run);
    supervised_free(run->proc);
    run->proc = NULL;
    if (run->driver->cleanup && !run->driver->cleanup(run->launch_name, &cleanup_error))
        g_warning("Cleaning up after VM %s: %s", run->uuid, cleanup_error->message);
    unlink(record);

    CirVM *vm = (CirVM *)run_vm(run);
    if (!was_starting && restart_allowed(run, exit, vm)) {
        g_autoptr(GError) error = NULL;
        g_message("VM %s exited (%s): starting it again", run->uuid, exit.reason);
        if (launch(run, &error))
            return;
        g_warning("Cannot restart VM %s: %s", run->uuid, error->message);
    }
    network_vm_down(run->lc->network, run->uuid, run->run_dir);

    g_autoptr(GError) failed = NULL;
    if (was_starting) {
        g_autofree char *tail = log_tail(run->run_dir);
        failed = g_error_new(CIRRINA_ERROR, CIRRINA_ERROR_FAILED,
                             "The VM exited while starting (%s): %s", exit.reason, tail);
    }
    set_state(run, "stopped", was_starting ? "error" : exit.reason);
    waiters_finish(run->start_waiters, failed);
    waiters_finish(run->stop_waiters, NULL);
    run_remove(run, NULL);
}

/* --- requests --- */

bool lifecycle_start(Lifecycle *lc, CirObject *vm, LifecycleDone done, void *data, GError **error)
{
    VmRun *run = g_hash_table_lookup(lc->runs, vm->uuid);
    const HvDriver *driver = hv_driver_by_name(lc->hypervisor);

    if (run) {
        if (run->stop_requested) {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_BUSY,
                        "The VM '%s' is stopping; start it once it has stopped", vm->name);
            return false;
        }
        if (run->start_waiters->len == 0 && strcmp(((CirVM *)vm)->state, "running") == 0) {
            if (done)
                done(NULL, data);
        } else {
            add_waiter(run->start_waiters, done, data);
        }
        return true;
    }
    run = run_new(lc, vm->uuid, driver, vm->name);
    add_waiter(run->start_waiters, done, data);
    if (!launch(run, error)) {
        g_array_set_size(run->start_waiters, 0);
        run_remove(run, NULL);
        return false;
    }
    return true;
}

static gboolean kill_after_timeout(gpointer data)
{
    VmRun *run = data;
    g_autoptr(GError) error = NULL;

    run->kill_timer = 0;
    g_message("VM %s did not power off in time: killing it", run->uuid);
    run->kill_sent = true;
    if (run->proc && !supervised_signal(run->proc, SIGKILL, &error))
        g_warning("%s", error->message);
    return G_SOURCE_REMOVE;
}

bool lifecycle_stop(Lifecycle *lc, CirObject *vm, uint32_t timeout_s, LifecycleDone done,
                    void *data, GError **error)
{
    VmRun *run = g_hash_table_lookup(lc->runs, vm->uuid);
    g_autoptr(GError) local = NULL;

    if (timeout_s > LIFECYCLE_STOP_TIMEOUT_MAX) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "timeout=%u is out of range: it must be from 0 (the default, %d s) to %d s",
                    timeout_s, LIFECYCLE_STOP_TIMEOUT_DEFAULT, LIFECYCLE_STOP_TIMEOUT_MAX);
        return false;
    }
    if (!run) {
        if (done)
            done(NULL, data);
        return true;
    }
    add_waiter(run->stop_waiters, done, data);
    if (run->stop_requested)
        return true;
    run->stop_requested = true;
    set_state(run, "stopping", NULL);
    HvInstance inst = run_instance(run);
    if (!run->driver->powerdown || !run->driver->powerdown(&inst, &local)) {
        g_warning("VM %s: no ACPI power-off (%s): killing it", run->uuid,
                  local ? local->message : "not supported");
        run->kill_sent = true;
        return supervised_signal(run->proc, SIGKILL, error);
    }
    run->kill_timer = g_timeout_add_seconds(timeout_s ? timeout_s : LIFECYCLE_STOP_TIMEOUT_DEFAULT,
                                            kill_after_timeout, run);
    return true;
}

bool lifecycle_kill(Lifecycle *lc, CirObject *vm, LifecycleDone done, void *data, GError **error)
{
    VmRun *run = g_hash_table_lookup(lc->runs, vm->uuid);

    if (!run) {
        if (done)
            done(NULL, data);
        return true;
    }
    add_waiter(run->stop_waiters, done, data);
    if (!run->stop_requested) {
        run->stop_requested = true;
        set_state(run, "stopping", NULL);
    }
    run->kill_sent = true;
    return supervised_signal(run->proc, SIGKILL, error);
}

bool lifecycle_reset(Lifecycle *lc, CirObject *vm, GError **error)
{
    VmRun *run = g_hash_table_lookup(lc->runs, vm->uuid);

    if (!run || strcmp(((CirVM *)vm)->state, "running") != 0) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_BUSY, "The VM '%s' is %s, not running",
                    vm->name, ((CirVM *)vm)->state);
        return false;
    }
    if (!run->driver->reset) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_NOT_SUPPORTED,
                    "The %s driver cannot reset a VM", run->driver->name);
        return false;
    }
    HvInstance inst = run_instance(run);
    return run->driver->reset(&inst, error);
}

/* --- recovery and autostart --- */

static gboolean autostart_vm(gpointer data)
{
    Lifecycle *lc = ((void **)data)[0];
    const char *uuid = ((void **)data)[1];
    CirObject *vm = registry_lookup(lc->reg, KIND_VM, uuid);
    g_autoptr(GError) error = NULL;

    if (vm && ((CirVM *)vm)->autostart && !lifecycle_start(lc, vm, NULL, NULL, &error))
        g_warning("Cannot autostart VM '%s': %s", vm->name, error->message);
    return G_SOURCE_REMOVE;
}

static void autostart_free(gpointer data)
{
    g_free(((void **)data)[1]);
    g_free(data);
}

void lifecycle_recover(Lifecycle *lc)
{
    g_autoptr(GPtrArray) vms = registry_list(lc->reg, KIND_VM);

    for (guint i = 0; i < vms->len; i++) {
        CirVM *vm = vms->pdata[i];
        g_autofree char *run_dir = vm_run_dir(lc, vm->base.uuid);
        g_autofree char *record_path = g_build_filename(run_dir, "process", NULL);
        SupervisorRecord record = {0};
        g_autoptr(GError) error = NULL;

        if (!g_file_test(record_path, G_FILE_TEST_EXISTS))
            continue;
        VmRun *run = run_new(lc, vm->base.uuid, &hv_qemu_driver, vm->base.name);
        Supervised *proc = supervisor_reattach(record_path, &record, on_process_exit, run, &error);
        const HvDriver *driver = record.driver ? hv_driver_by_name(record.driver) : NULL;
        if (driver)
            run->driver = driver;
        if (record.launch_name) {
            g_free(run->launch_name);
            run->launch_name = g_strdup(record.launch_name);
        }
        if (proc) {
            run->proc = proc;
            run->vnc_port = record.vnc_port;
            g_message("VM '%s' kept running (pid %d): watching it again", vm->base.name,
                      (int)record.pid);
            set_state(run, "running", NULL);
            attach_consoles(run);
            network_vm_reattach(lc->network, run->uuid, run_dir);
        } else {
            /* It died while we were away: clean up as after any exit. */
            g_autoptr(GError) cleanup_error = NULL;
            if (error)
                g_warning("%s", error->message);
            if (driver && driver->cleanup && !driver->cleanup(run->launch_name, &cleanup_error))
                g_warning("Cleaning up after VM %s: %s", run->uuid, cleanup_error->message);
            network_vm_down(lc->network, run->uuid, run_dir);
            unlink(record_path);
            set_state(run, "stopped", "exited");
            run_remove(run, NULL);
        }
        supervisor_record_clear(&record);
    }
    for (guint i = 0; i < vms->len; i++) {
        CirVM *vm = vms->pdata[i];
        if (!vm->autostart || g_hash_table_contains(lc->runs, vm->base.uuid))
            continue;
        void **data = g_new(void *, 2);
        data[0] = lc;
        data[1] = g_strdup(vm->base.uuid);
        guint id = g_timeout_add_seconds_full(G_PRIORITY_DEFAULT, vm->autostart_delay, autostart_vm,
                                              data, autostart_free);
        g_array_append_val(lc->autostarts, id);
    }
}

/* --- the rest --- */

Lifecycle *lifecycle_new(Registry *reg, const LifecycleConfig *config)
{
    Lifecycle *lc = g_new0(Lifecycle, 1);

    lc->reg = reg;
    lc->run_dir = g_strdup(config->run_dir);
    lc->state_dir = g_strdup(config->state_dir);
    lc->hypervisor = g_strdup(config->hypervisor);
    lc->uefi_code = g_strdup(config->uefi_code);
    lc->uefi_vars = g_strdup(config->uefi_vars);
    lc->qemu_binary = g_strdup(config->qemu_binary);
    lc->network = config->network;
    lc->kvm = strcmp(config->accelerator, "kvm") == 0 ||
              (strcmp(config->accelerator, "auto") == 0 && hv_kvm_usable());
    lc->runs = g_hash_table_new(g_str_hash, g_str_equal);
    lc->autostarts = g_array_new(FALSE, FALSE, sizeof(guint));
    return lc;
}

void lifecycle_free(Lifecycle *lc)
{
    if (!lc)
        return;
    g_autoptr(GError) error =
        g_error_new(CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "cirrinad is shutting down");
    GHashTableIter iter;
    VmRun *run;

    g_hash_table_iter_init(&iter, lc->runs);
    while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&run)) {
        g_hash_table_iter_steal(&iter);
        run_free(run, error);
    }
    g_hash_table_unref(lc->runs);
    for (guint i = 0; i < lc->autostarts->len; i++)
        g_source_remove(g_array_index(lc->autostarts, guint, i));
    g_array_unref(lc->autostarts);
    g_free(lc->run_dir);
    g_free(lc->state_dir);
    g_free(lc->hypervisor);
    g_free(lc->uefi_code);
    g_free(lc->uefi_vars);
    g_free(lc->qemu_binary);
    g_free(lc);
}

static void remove_tree(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *child = g_build_filename(path, name, NULL);
        if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
            remove_tree(child);
        else
            unlink(child);
    }
    rmdir(path);
}

void lifecycle_forget(Lifecycle *lc, const char *vm_uuid)
{
    g_autofree char *state = vm_state_dir(lc, vm_uuid);
    g_autofree char *run = vm_run_dir(lc, vm_uuid);

    remove_tree(state);
    remove_tree(run);
}

bool lifecycle_kvm_available(Lifecycle *lc)
{
    return lc->kvm;
}

/* --- consoles and displays --- */

static VmRun *running_run(Lifecycle *lc, CirObject *vm, GError **error)
{
    VmRun *run = g_hash_table_lookup(lc->runs, vm->uuid);

    if (!run || !run->proc || strcmp(((CirVM *)vm)->state, "running") != 0) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_BUSY, "The VM '%s' is %s; start it first",
                    vm->name, ((CirVM *)vm)->state);
        return NULL;
    }
    return run;
}

static bool check_port(CirObject *vm, unsigned port, GError **error)
{
    uint32_t ports = ((CirVM *)vm)->serial_ports;

    if (port < 1 || port > ports) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "The VM '%s' has no com%u (SerialPorts=%u)", vm->name, port, ports);
        return false;
    }
    return true;
}

int lifecycle_open_console(Lifecycle *lc, CirObject *vm, unsigned port, size_t history,
                           GError **error)
{
    VmRun *run = running_run(lc, vm, error);

    if (!run || !check_port(vm, port, error))
        return -1;
    SerialMux *mux = run->serial[port - 1];
    if (!mux || !serial_mux_has_vm(mux)) {
        attach_consoles(run);
        mux = run->serial[port - 1];
    }
    if (!mux || !serial_mux_has_vm(mux)) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED,
                    "com%u of the VM '%s' is not connected", port, vm->name);
        return -1;
    }
    return serial_mux_open_client(mux, history, error);
}

GBytes *lifecycle_console_log(Lifecycle *lc, CirObject *vm, unsigned port, size_t max_bytes,
                              GError **error)
{
    g_autofree char *log = serial_log_path(lc, vm->uuid, port);

    if (port < 1 || port > 4) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "There is no com%u: ports are com1 to com4", port);
        return NULL;
    }
    return serial_log_tail(log, max_bytes, error);
}

int lifecycle_open_display(Lifecycle *lc, CirObject *vm, GError **error)
{
    VmRun *run = running_run(lc, vm, error);

    if (!run)
        return -1;
    if (strcmp(((CirVM *)vm)->display, "vnc") != 0) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_NOT_FOUND,
                    "The VM '%s' has no display (Display=%s)", vm->name, ((CirVM *)vm)->display);
        return -1;
    }
    HvInstance inst = run_instance(run);
    g_autofree char *endpoint = run->driver->display_endpoint(&inst);
    return open_endpoint(endpoint, error);
}
