/* bus-client: the D-Bus client of tests/bench/api-scale, in C with sd-bus,
 * so that the client's own cost is small and the same whichever service it
 * calls (cirrinad or tests/bench/noop-service). It times each call from
 * building the message to reading the reply and prints the samples (ns)
 * as JSON lines on stdout; the bench computes the statistics.
 *
 *   bus-client ADDRESS roundtrip COUNT DEST PATH IFACE METHOD [ARG...]
 *       COUNT calls of METHOD, each ARG a string argument; one line
 *       {"phase": "roundtrip", "wall_ns": ..., "samples": [...]}.
 *   bus-client ADDRESS scale COUNT
 *       against cirrinad: creates COUNT VMs (CreateDisk of 1 GiB, CreateVM
 *       with 2 CPUs, 1 GiB and that disk, AddNIC), lists them
 *       (GetManagedObjects, LIST_ROUNDS times), updates each (Update
 *       Description), deletes each (Delete with DeleteDisks); one line per
 *       phase. After each phase but the last it prints "pause" and waits
 *       for a line on stdin: the bench runs libvirt's same phase meanwhile
 *       (so background load hits both alike) and reads the daemons'
 *       memory.
 *   bus-client ADDRESS mixed CLIENTS CALLS [noop]
 *       CLIENTS threads, each with its own connection, each making CALLS
 *       calls in the fixed MIX below on VMs of its own, started together;
 *       with "noop", every call is the no-op service's Get. One line with
 *       the wall time and the samples by kind of call.
 *
 * Any failed call is reported on stderr and makes the exit status 1. */
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cirrina-sd-bus.h"

#define CIRRINA_NAME  "org.cirrina"
#define CIRRINA_PATH  "/org/cirrina"
#define MANAGER_IFACE "org.cirrina.Manager"
#define VM_IFACE      "org.cirrina.VM"
#define PROPS_IFACE   "org.freedesktop.DBus.Properties"
#define OM_IFACE      "org.freedesktop.DBus.ObjectManager"
#define NOOP_NAME     "org.cirrina.BenchNoop"
#define NOOP_PATH     "/org/cirrina/BenchNoop"
#define NOOP_IFACE    "org.cirrina.BenchNoop"

#define GiB          (UINT64_C(1) << 30)
#define VM_CPUS      2
#define VM_MEMORY    GiB
#define DISK_SIZE    GiB
#define LIST_ROUNDS  5
#define CALL_TIMEOUT (120 * G_USEC_PER_SEC) /* a loaded machine is slow, not stuck */

G_DEFINE_AUTOPTR_CLEANUP_FUNC(sd_bus, sd_bus_flush_close_unref)

static gint64 now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int connect_bus(const char *address, sd_bus **ret)
{
    g_autoptr(sd_bus) bus = NULL;
    int r = sd_bus_new(&bus);

    if (r >= 0)
        r = sd_bus_set_address(bus, address);
    if (r >= 0)
        r = sd_bus_set_bus_client(bus, 1);
    if (r >= 0)
        r = sd_bus_start(bus);
    if (r < 0)
        return r;
    *ret = g_steal_pointer(&bus);
    return 0;
}

/* Sends m and waits for its reply; a D-Bus error is reported and fails. */
static int call(sd_bus *bus, sd_bus_message *m, sd_bus_message **reply)
{
    g_auto(sd_bus_error) error = SD_BUS_ERROR_NULL;
    int r = sd_bus_call(bus, m, CALL_TIMEOUT, &error, reply);

    if (r < 0)
        fprintf(stderr, "bus-client: %s.%s on %s: %s\n", sd_bus_message_get_interface(m),
                sd_bus_message_get_member(m), sd_bus_message_get_path(m),
                sd_bus_error_is_set(&error) ? error.message : strerror(-r));
    return r;
}

static int new_call(sd_bus *bus, const char *dest, const char *path, const char *iface,
                    const char *member, sd_bus_message **m)
{
    return sd_bus_message_new_method_call(bus, m, dest, path, iface, member);
}

/* A call whose reply is one object path, copied into *path. */
static int call_for_path(sd_bus *bus, sd_bus_message *m, char **path)
{
    g_autoptr(sd_bus_message) reply = NULL;
    const char *p;
    int r = call(bus, m, &reply);

    if (r >= 0)
        r = sd_bus_message_read(reply, "o", &p);
    if (r >= 0)
        *path = g_strdup(p);
    return r;
}

static void json_samples(GString *out, const char *key, GArray *samples)
{
    g_string_append_printf(out, "\"%s\": [", key);
    for (guint i = 0; i < samples->len; i++)
        g_string_append_printf(out, "%s%" G_GINT64_FORMAT, i ? "," : "",
                               g_array_index(samples, gint64, i));
    g_string_append(out, "]");
}

static void print_line(GString *line)
{
    fputs(line->str, stdout);
    fputc('\n', stdout);
    fflush(stdout);
}

/* --- roundtrip --- */

static int cmd_roundtrip(sd_bus *bus, long count, char **spec, int n_args)
{
    g_autoptr(GArray) samples = g_array_sized_new(FALSE, FALSE, sizeof(gint64), (guint)count);
    g_autoptr(GString) line = g_string_new("{\"phase\": \"roundtrip\", ");
    gint64 start = now_ns();

    for (long i = 0; i < count; i++) {
        g_autoptr(sd_bus_message) m = NULL;
        g_autoptr(sd_bus_message) reply = NULL;
        gint64 t0 = now_ns();
        int r = new_call(bus, spec[0], spec[1], spec[2], spec[3], &m);

        for (int a = 0; r >= 0 && a < n_args; a++)
            r = sd_bus_message_append(m, "s", spec[4 + a]);
        if (r >= 0)
            r = call(bus, m, &reply);
        if (r < 0)
            return r;
        gint64 took = now_ns() - t0;
        g_array_append_val(samples, took);
    }
    g_string_append_printf(line, "\"wall_ns\": %" G_GINT64_FORMAT ", ", now_ns() - start);
    json_samples(line, "samples", samples);
    g_string_append(line, "}");
    print_line(line);
    return 0;
}

/* --- scale: the calls --- */

static int create_disk(sd_bus *bus, const char *name, char **path)
{
    g_autoptr(sd_bus_message) m = NULL;
    int r = new_call(bus, CIRRINA_NAME, CIRRINA_PATH, MANAGER_IFACE, "CreateDisk", &m);

    if (r >= 0)
        r = sd_bus_message_append(m, "sa{sv}", name, 1, "Size", "t", DISK_SIZE);
    return r < 0 ? r : call_for_path(bus, m, path);
}

/* disk may be NULL: a VM without disks. */
static int create_vm(sd_bus *bus, const char *name, const char *disk, char **path)
{
    g_autoptr(sd_bus_message) m = NULL;
    int r = new_call(bus, CIRRINA_NAME, CIRRINA_PATH, MANAGER_IFACE, "CreateVM", &m);

    if (r >= 0 && disk)
        r = sd_bus_message_append(m, "sa{sv}", name, 3, "CPUs", "u", VM_CPUS, "Memory", "t",
                                  VM_MEMORY, "Disks", "ao", 1, disk);
    else if (r >= 0)
        r = sd_bus_message_append(m, "sa{sv}", name, 2, "CPUs", "u", VM_CPUS, "Memory", "t",
                                  VM_MEMORY);
    return r < 0 ? r : call_for_path(bus, m, path);
}

static int add_nic(sd_bus *bus, const char *vm)
{
    g_autofree char *nic = NULL;
    g_autoptr(sd_bus_message) m = NULL;
    int r = new_call(bus, CIRRINA_NAME, vm, VM_IFACE, "AddNIC", &m);

    if (r >= 0)
        r = sd_bus_message_append(m, "a{sv}", 0);
    return r < 0 ? r : call_for_path(bus, m, &nic);
}

static int update_description(sd_bus *bus, const char *vm, const char *text)
{
    g_autoptr(sd_bus_message) m = NULL;
    g_autoptr(sd_bus_message) reply = NULL;
    int r = new_call(bus, CIRRINA_NAME, vm, VM_IFACE, "Update", &m);

    if (r >= 0)
        r = sd_bus_message_append(m, "a{sv}", 1, "Description", "s", text);
    return r < 0 ? r : call(bus, m, &reply);
}

static int delete_vm(sd_bus *bus, const char *vm, bool with_disks)
{
    g_autoptr(sd_bus_message) m = NULL;
    g_autoptr(sd_bus_message) reply = NULL;
    int r = new_call(bus, CIRRINA_NAME, vm, VM_IFACE, "Delete", &m);

    if (r >= 0 && with_disks)
        r = sd_bus_message_append(m, "a{sv}", 1, "DeleteDisks", "b", 1);
    else if (r >= 0)
        r = sd_bus_message_append(m, "a{sv}", 0);
    return r < 0 ? r : call(bus, m, &reply);
}

/* GetManagedObjects; *n_objects: how many objects it listed. */
static int list_objects(sd_bus *bus, long *n_objects)
{
    g_autoptr(sd_bus_message) m = NULL;
    g_autoptr(sd_bus_message) reply = NULL;
    int r = new_call(bus, CIRRINA_NAME, CIRRINA_PATH, OM_IFACE, "GetManagedObjects", &m);

    if (r >= 0)
        r = call(bus, m, &reply);
    if (r >= 0)
        r = sd_bus_message_enter_container(reply, 'a', "{oa{sa{sv}}}");
    *n_objects = 0;
    while (r >= 0) {
        r = sd_bus_message_skip(reply, "{oa{sa{sv}}}");
        if (r == 0)
            break;
        if (r > 0)
            (*n_objects)++;
    }
    return r < 0 ? r : sd_bus_message_exit_container(reply);
}

/* --- scale: the phases --- */

typedef struct {
    const char *name;
    gint64 start;
    GArray *per_item; /* ns per VM (the sum of its calls) */
    GArray *by_call[3];
    const char *call_names[3];
} Phase;

static void phase_begin(Phase *p, const char *name, const char *const *call_names)
{
    *p = (Phase){.name = name, .start = now_ns()};
    p->per_item = g_array_new(FALSE, FALSE, sizeof(gint64));
    for (int i = 0; i < 3 && call_names[i]; i++) {
        p->call_names[i] = call_names[i];
        p->by_call[i] = g_array_new(FALSE, FALSE, sizeof(gint64));
    }
}

static void phase_end(Phase *p, const char *extra_json)
{
    g_autoptr(GString) line = g_string_new(NULL);

    g_string_append_printf(line, "{\"phase\": \"%s\", \"wall_ns\": %" G_GINT64_FORMAT ", %s",
                           p->name, now_ns() - p->start, extra_json ? extra_json : "");
    json_samples(line, "per_item", p->per_item);
    g_string_append(line, ", \"by_call\": {");
    for (int i = 0; i < 3 && p->call_names[i]; i++) {
        g_string_append(line, i ? ", " : "");
        json_samples(line, p->call_names[i], p->by_call[i]);
        g_array_unref(p->by_call[i]);
    }
    g_string_append(line, "}}");
    print_line(line);
    g_array_unref(p->per_item);
}

/* Times one call of a phase into by_call[i]; adds to *item. */
#define TIMED(p, i, item, expr)                                                                    \
    ({                                                                                             \
        gint64 t0_ = now_ns();                                                                     \
        int r_ = (expr);                                                                           \
        gint64 took_ = now_ns() - t0_;                                                             \
        g_array_append_val((p)->by_call[i], took_);                                                \
        *(item) += took_;                                                                          \
        r_;                                                                                        \
    })

/* Waits for the bench's go-ahead (a line on stdin). */
static int pause_phase(void)
{
    char buf[16];

    printf("pause\n");
    fflush(stdout);
    return fgets(buf, sizeof buf, stdin) ? 0 : -EPIPE;
}

static int cmd_scale(sd_bus *bus, long count)
{
    g_autoptr(GPtrArray) vms = g_ptr_array_new_with_free_func(g_free);
    Phase p;
    long n_objects = 0;
    int r = 0;

    phase_begin(&p, "create", (const char *const[]){"CreateDisk", "CreateVM", "AddNIC", NULL});
    for (long i = 0; r >= 0 && i < count; i++) {
        g_autofree char *disk_name = g_strdup_printf("bench-disk-%ld", i);
        g_autofree char *vm_name = g_strdup_printf("bench-vm-%ld", i);
        g_autofree char *disk = NULL;
        char *vm = NULL;
        gint64 item = 0;

        r = TIMED(&p, 0, &item, create_disk(bus, disk_name, &disk));
        if (r >= 0)
            r = TIMED(&p, 1, &item, create_vm(bus, vm_name, disk, &vm));
        if (r >= 0) {
            g_ptr_array_add(vms, vm);
            r = TIMED(&p, 2, &item, add_nic(bus, vm));
        }
        g_array_append_val(p.per_item, item);
    }
    phase_end(&p, NULL);
    if (r >= 0)
        r = pause_phase();
    if (r < 0)
        return r;

    phase_begin(&p, "list", (const char *const[]){"GetManagedObjects", NULL});
    for (int i = 0; r >= 0 && i < LIST_ROUNDS; i++) {
        gint64 item = 0;
        r = TIMED(&p, 0, &item, list_objects(bus, &n_objects));
        g_array_append_val(p.per_item, item);
    }
    g_autofree char *objects = g_strdup_printf("\"objects\": %ld, ", n_objects);
    phase_end(&p, objects);
    if (r >= 0)
        r = pause_phase();
    if (r < 0)
        return r;

    phase_begin(&p, "update", (const char *const[]){"Update", NULL});
    for (guint i = 0; r >= 0 && i < vms->len; i++) {
        g_autofree char *text = g_strdup_printf("updated by the bench, VM %u", i);
        gint64 item = 0;
        r = TIMED(&p, 0, &item, update_description(bus, vms->pdata[i], text));
        g_array_append_val(p.per_item, item);
    }
    phase_end(&p, NULL);
    if (r >= 0)
        r = pause_phase();
    if (r < 0)
        return r;

    phase_begin(&p, "delete", (const char *const[]){"Delete", NULL});
    for (guint i = 0; r >= 0 && i < vms->len; i++) {
        gint64 item = 0;
        r = TIMED(&p, 0, &item, delete_vm(bus, vms->pdata[i], true));
        g_array_append_val(p.per_item, item);
    }
    phase_end(&p, NULL);
    return r;
}

/* --- mixed: concurrent clients --- */

typedef enum { OP_CREATE, OP_GET_VM, OP_GET_ALL, OP_GET_STATE, OP_UPDATE, OP_DELETE } Op;
typedef enum { KIND_READ, KIND_CREATE, KIND_UPDATE, KIND_DELETE, N_OP_KINDS } OpKind;
static const char *const op_kind_names[N_OP_KINDS] = {"read", "create", "update", "delete"};

/* Ten calls, repeated: 5 reads, 2 creates, 2 updates, 1 delete. Each
 * client's VMs grow by one per round, so reads and updates always have
 * one to work on (the newest) and deletes take the oldest. */
static const Op MIX[] = {OP_CREATE, OP_GET_VM,  OP_GET_ALL, OP_UPDATE, OP_GET_STATE,
                         OP_CREATE, OP_GET_ALL, OP_UPDATE,  OP_GET_VM, OP_DELETE};

static OpKind op_kind(Op op)
{
    switch (op) {
    case OP_CREATE:
        return KIND_CREATE;
    case OP_UPDATE:
        return KIND_UPDATE;
    case OP_DELETE:
        return KIND_DELETE;
    default:
        return KIND_READ;
    }
}

typedef struct {
    const char *address;
    int id;
    long calls;
    bool noop;
    pthread_barrier_t *barrier;
    GArray *samples[N_OP_KINDS];
    int errors;
} Worker;

static int read_call(sd_bus *bus, const char *dest, const char *path, const char *iface,
                     const char *member, const char *arg1, const char *arg2)
{
    g_autoptr(sd_bus_message) m = NULL;
    g_autoptr(sd_bus_message) reply = NULL;
    int r = new_call(bus, dest, path, iface, member, &m);

    if (r >= 0 && arg1)
        r = sd_bus_message_append(m, "s", arg1);
    if (r >= 0 && arg2)
        r = sd_bus_message_append(m, "s", arg2);
    return r < 0 ? r : call(bus, m, &reply);
}

static int mixed_call(Worker *w, sd_bus *bus, Op op, long seq, GPtrArray *names, GPtrArray *paths)
{
    const char *newest = paths->len ? g_ptr_array_index(paths, paths->len - 1) : NULL;
    const char *newest_name = names->len ? g_ptr_array_index(names, names->len - 1) : NULL;
    int r;

    if (w->noop)
        return read_call(bus, NOOP_NAME, NOOP_PATH, NOOP_IFACE, "Get", "bench", NULL);
    switch (op) {
    case OP_CREATE: {
        g_autofree char *name = g_strdup_printf("mix-%d-%ld", w->id, seq);
        char *path = NULL;
        r = create_vm(bus, name, NULL, &path);
        if (r >= 0) {
            g_ptr_array_add(names, g_steal_pointer(&name));
            g_ptr_array_add(paths, path);
        }
        return r;
    }
    case OP_GET_VM:
        return read_call(bus, CIRRINA_NAME, CIRRINA_PATH, MANAGER_IFACE, "GetVM", newest_name,
                         NULL);
    case OP_GET_ALL:
        return read_call(bus, CIRRINA_NAME, newest, PROPS_IFACE, "GetAll", VM_IFACE, NULL);
    case OP_GET_STATE:
        return read_call(bus, CIRRINA_NAME, newest, PROPS_IFACE, "Get", VM_IFACE, "State");
    case OP_UPDATE: {
        g_autofree char *text = g_strdup_printf("update %ld", seq);
        return update_description(bus, newest, text);
    }
    case OP_DELETE:
        r = delete_vm(bus, g_ptr_array_index(paths, 0), false);
        if (r >= 0) {
            g_ptr_array_remove_index(paths, 0);
            g_ptr_array_remove_index(names, 0);
        }
        return r;
    }
    return -EINVAL;
}

static void *worker_run(void *data)
{
    Worker *w = data;
    g_autoptr(sd_bus) bus = NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
    int r = connect_bus(w->address, &bus);

    if (r < 0) {
        fprintf(stderr, "bus-client: client %d cannot connect: %s\n", w->id, strerror(-r));
        w->errors++;
    }
    pthread_barrier_wait(w->barrier);
    for (long i = 0; bus && i < w->calls; i++) {
        Op op = MIX[i % G_N_ELEMENTS(MIX)];
        gint64 t0 = now_ns();

        if (mixed_call(w, bus, op, i, names, paths) < 0) {
            w->errors++;
            continue;
        }
        gint64 took = now_ns() - t0;
        g_array_append_val(w->samples[w->noop ? KIND_READ : op_kind(op)], took);
    }
    pthread_barrier_wait(w->barrier);
    /* What is left is removed after the timing, by each client. */
    for (guint i = 0; bus && i < paths->len; i++)
        if (delete_vm(bus, paths->pdata[i], false) < 0)
            w->errors++;
    return NULL;
}

static int cmd_mixed(const char *address, int clients, long calls, bool noop)
{
    g_autofree Worker *workers = g_new0(Worker, clients);
    g_autofree pthread_t *threads = g_new0(pthread_t, clients);
    g_autoptr(GString) line = g_string_new("{\"phase\": \"mixed\", ");
    pthread_barrier_t barrier;
    gint64 start, wall;
    int errors = 0;

    /* The bench's thread waits at both barriers too: it times the calls
     * from the moment every client is connected until the last is done. */
    pthread_barrier_init(&barrier, NULL, (unsigned)clients + 1);
    for (int i = 0; i < clients; i++) {
        workers[i] = (Worker){
            .address = address, .id = i, .calls = calls, .noop = noop, .barrier = &barrier};
        for (int k = 0; k < N_OP_KINDS; k++)
            workers[i].samples[k] = g_array_new(FALSE, FALSE, sizeof(gint64));
        pthread_create(&threads[i], NULL, worker_run, &workers[i]);
    }
    pthread_barrier_wait(&barrier);
    start = now_ns();
    pthread_barrier_wait(&barrier);
    wall = now_ns() - start;
    for (int i = 0; i < clients; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&barrier);

    g_string_append_printf(line, "\"wall_ns\": %" G_GINT64_FORMAT ", \"samples\": {", wall);
    for (int k = 0; k < N_OP_KINDS; k++) {
        g_autoptr(GArray) all = g_array_new(FALSE, FALSE, sizeof(gint64));
        for (int i = 0; i < clients; i++)
            g_array_append_vals(all, workers[i].samples[k]->data, workers[i].samples[k]->len);
        g_string_append(line, k ? ", " : "");
        json_samples(line, op_kind_names[k], all);
    }
    for (int i = 0; i < clients; i++) {
        errors += workers[i].errors;
        for (int k = 0; k < N_OP_KINDS; k++)
            g_array_unref(workers[i].samples[k]);
    }
    g_string_append_printf(line, "}, \"errors\": %d}", errors);
    print_line(line);
    return errors ? -EIO : 0;
}

static int usage(void)
{
    fprintf(stderr, "usage: bus-client ADDRESS roundtrip COUNT DEST PATH IFACE METHOD [ARG...]\n"
                    "       bus-client ADDRESS scale COUNT\n"
                    "       bus-client ADDRESS mixed CLIENTS CALLS [noop]\n");
    return 2;
}

int main(int argc, char **argv)
{
    g_autoptr(sd_bus) bus = NULL;
    const char *address, *command;
    long count;
    int r;

    if (argc < 4)
        return usage();
    address = argv[1];
    command = argv[2];
    count = strtol(argv[3], NULL, 10);
    if (count < 1)
        return usage();

    if (strcmp(command, "mixed") == 0) {
        long calls = argc > 4 ? strtol(argv[4], NULL, 10) : 0;
        if (calls < 1 || count > 1000)
            return usage();
        r = cmd_mixed(address, (int)count, calls, argc > 5 && strcmp(argv[5], "noop") == 0);
        return r < 0 ? 1 : 0;
    }

    r = connect_bus(address, &bus);
    if (r < 0) {
        fprintf(stderr, "bus-client: cannot connect to %s: %s\n", address, strerror(-r));
        return 1;
    }
    if (strcmp(command, "roundtrip") == 0 && argc >= 8)
        r = cmd_roundtrip(bus, count, argv + 4, argc - 8);
    else if (strcmp(command, "scale") == 0)
        r = cmd_scale(bus, count);
    else
        return usage();
    return r < 0 ? 1 : 0;
}
