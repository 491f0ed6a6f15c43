/* Golden tests of the switch backends (service/net/) and their glue
 * (service/core/network.c): the host commands of switches, uplinks and NIC
 * ports, in order, for FreeBSD (if_bridge, netgraph), which cannot run
 * here, and for Linux.
 *
 * Each scenario drives the registry as the bus does (CreateSwitch, Update,
 * Delete) and the network as the lifecycle does (a VM's ports up before its
 * hypervisor runs, down after it exited, reattached after a daemon
 * restart), with a recording runner and a simulated host (which
 * interfaces and netgraph nodes exist), and compares the log with
 * tests/data/net-golden/<scenario>.txt. In the log, {vmN.nicM} stands for
 * the first 8 hex digits of that NIC's UUID (so "ct{vm1.nic0}" is its tap),
 * switches' interfaces are numbered in the order they first appear (as on
 * a host without other cirbrN/cirngN: this one may have some), and
 * "ngctl -f FILE" is followed by FILE's lines.
 *
 * To write the golden files instead of comparing (after a deliberate change
 * of the sequences), run
 *     CIRRINA_UPDATE_GOLDEN=1 meson test -C build test-net
 * and review every changed file against shared/reference/bhyve/NOTES.md
 * (section 4: vm-bhyve's switch and tap commands), ifconfig(8), ngctl(8),
 * ng_bridge(4), ng_ether(4), ng_pipe(4), ip-link(8) and tc-tbf(8). */
#include <glib.h>
#include <string.h>

#include "core/network.h"
#include "hv/runner.h"
#include "net/net.h"
#include "store/store.h"
#include "test-common.h"

/* --- a simulated host and a recording runner --- */

typedef struct {
    char *from, *to;
} Subst;

typedef struct {
    TmpDir *tmp;
    char *db_path, *disk_dir, *iso_dir;
    RegistryPaths paths;
    Store *store;
    Registry *reg;
    Network *net;
    const char *host_os;
    GString *log;
    GHashTable *links;   /* interfaces that exist, besides the uplinks */
    GHashTable *nodes;   /* netgraph nodes that exist */
    GArray *substs;      /* of Subst, applied to each logged line */
    GHashTable *names;   /* actual switch interface -> as shown */
    unsigned shown[2];   /* cirbr, cirng names shown so far */
    const char *fail_on; /* the runner fails the command that contains this */
    char *failed;        /* the command it failed */
} Env;

static Env *current;

static NetIfStatus probe(const char *name, char **master)
{
    if (strcmp(name, "em0") == 0 || strcmp(name, "em1") == 0 || strcmp(name, "igb0") == 0)
        return NET_IF_UPLINK;
    if (strcmp(name, "lo0") == 0 || g_hash_table_contains(current->links, name))
        return NET_IF_PRESENT;
    return NET_IF_ABSENT;
}

static gboolean show_switch_name(const GMatchInfo *match, GString *out, gpointer data)
{
    Env *env = data;
    g_autofree char *actual = g_match_info_fetch(match, 0);
    g_autofree char *prefix = g_match_info_fetch(match, 1);
    const char *shown = g_hash_table_lookup(env->names, actual);

    if (!shown) {
        unsigned *n = &env->shown[strcmp(prefix, "cirng") == 0];
        shown = g_strdup_printf("%s%u", prefix, (*n)++);
        g_hash_table_insert(env->names, g_strdup(actual), (char *)shown);
    }
    g_string_append(out, shown);
    return FALSE;
}

static void log_line(Env *env, const char *line)
{
    g_autoptr(GRegex) re = g_regex_new("\\b(cirbr|cirng)[0-9]+\\b", 0, 0, NULL);
    g_autofree char *shown = g_regex_replace_eval(re, line, -1, 0, 0, show_switch_name, env, NULL);

    for (guint i = 0; i < env->substs->len; i++) {
        Subst *s = &g_array_index(env->substs, Subst, i);
        g_auto(GStrv) parts = g_strsplit(shown, s->from, -1);
        g_free(shown);
        shown = g_strjoinv(s->to, parts);
    }
    g_string_append_printf(env->log, "%s\n", shown);
}

static void note(Env *env, const char *format, ...) G_GNUC_PRINTF(2, 3);
static void note(Env *env, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    g_autofree char *text = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_autofree char *line = g_strconcat("# ", text, NULL);
    log_line(env, line);
}

/* What the commands do to the simulated host. */
static bool simulate(Env *env, const char *const *argv)
{
    size_t n = g_strv_length((char **)argv);

    if (n >= 5 && strcmp(argv[0], "ifconfig") == 0 && strcmp(argv[2], "create") == 0 &&
        strcmp(argv[3], "name") == 0) {
        g_hash_table_add(env->links, g_strdup(argv[4]));
    } else if (n == 3 && strcmp(argv[0], "ifconfig") == 0 && strcmp(argv[2], "destroy") == 0) {
        g_hash_table_remove(env->links, argv[1]);
    } else if (n >= 4 && strcmp(argv[0], "ip") == 0 && strcmp(argv[1], "link") == 0 &&
               strcmp(argv[2], "add") == 0) {
        g_hash_table_add(env->links, g_strdup(argv[3]));
    } else if (n >= 5 && strcmp(argv[0], "ip") == 0 && strcmp(argv[1], "tuntap") == 0 &&
               strcmp(argv[2], "add") == 0) {
        g_hash_table_add(env->links, g_strdup(argv[4]));
    } else if (n == 4 && strcmp(argv[0], "ip") == 0 && strcmp(argv[2], "del") == 0) {
        g_hash_table_remove(env->links, argv[3]);
    } else if (n == 3 && strcmp(argv[0], "ngctl") == 0 && strcmp(argv[1], "info") == 0) {
        g_autofree char *node = g_strndup(argv[2], strlen(argv[2]) - 1);
        return g_hash_table_contains(env->nodes, node);
    } else if (n == 3 && strcmp(argv[0], "ngctl") == 0 && strcmp(argv[1], "shutdown") == 0) {
        g_autofree char *node = g_strndup(argv[2], strlen(argv[2]) - 1);
        g_hash_table_remove(env->nodes, node);
    } else if (n == 4 && strcmp(argv[0], "ngctl") == 0 && strcmp(argv[1], "name") == 0) {
        g_hash_table_add(env->nodes, g_strdup(argv[3]));
    }
    return true;
}

static bool record_run(const char *const *argv, void *data, GError **error)
{
    Env *env = data;
    g_autofree char *cmd = g_strjoinv(" ", (char **)argv);
    bool script = g_strv_length((char **)argv) == 3 && strcmp(argv[0], "ngctl") == 0 &&
                  strcmp(argv[1], "-f") == 0;

    if (script) {
        g_autofree char *text = NULL;
        g_assert_true(g_file_get_contents(argv[2], &text, NULL, NULL));
        log_line(env, "ngctl -f FILE");
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        for (size_t i = 0; lines[i] && lines[i][0]; i++) {
            g_autofree char *indented = g_strconcat("    ", lines[i], NULL);
            log_line(env, indented);
            g_auto(GStrv) words = g_strsplit(lines[i], " ", -1);
            if (strcmp(words[0], "name") == 0)
                g_hash_table_add(env->nodes, g_strdup(words[2]));
        }
    } else {
        log_line(env, cmd);
    }
    if (env->fail_on && strstr(cmd, env->fail_on)) {
        log_line(env, "    (fails)");
        g_free(env->failed);
        env->failed = g_strdup(cmd);
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "'%s' failed: test", cmd);
        return false;
    }
    return script || simulate(env, argv);
}

/* --- the environment --- */

static void env_open(Env *env)
{
    g_autoptr(GError) error = NULL;

    env->store = store_open(env->db_path, &error);
    g_assert_no_error(error);
    env->reg = registry_new(env->store, &env->paths);
    g_assert_true(registry_load(env->reg, &error));
    g_assert_no_error(error);
    env->net = network_new(env->reg, env->host_os);
}

static void env_close(Env *env)
{
    g_clear_pointer(&env->net, network_free);
    g_clear_pointer(&env->reg, registry_free);
    g_clear_pointer(&env->store, store_close);
}

static Env *env_new(const char *host_os)
{
    Env *env = g_new0(Env, 1);

    env->tmp = tmp_dir_new();
    env->db_path = tmp_path(env->tmp, "cirrina.db");
    env->disk_dir = tmp_path(env->tmp, "disks");
    env->iso_dir = tmp_path(env->tmp, "isos");
    g_assert_cmpint(g_mkdir(env->disk_dir, 0700), ==, 0);
    g_assert_cmpint(g_mkdir(env->iso_dir, 0700), ==, 0);
    env->host_os = host_os;
    env->paths = (RegistryPaths){env->disk_dir, env->iso_dir, host_os};
    env->log = g_string_new(NULL);
    env->links = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    env->nodes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    env->substs = g_array_new(FALSE, FALSE, sizeof(Subst));
    env->names = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    current = env;
    net_host_probe_set(probe);
    host_runner_set(record_run, env);
    env_open(env);
    return env;
}

static void env_free(Env *env)
{
    host_runner_set(NULL, NULL);
    net_host_probe_set(NULL);
    env_close(env);
    for (guint i = 0; i < env->substs->len; i++) {
        g_free(g_array_index(env->substs, Subst, i).from);
        g_free(g_array_index(env->substs, Subst, i).to);
    }
    g_array_unref(env->substs);
    g_hash_table_unref(env->names);
    g_free(env->failed);
    g_hash_table_unref(env->links);
    g_hash_table_unref(env->nodes);
    g_string_free(env->log, TRUE);
    g_free(env->db_path);
    g_free(env->disk_dir);
    g_free(env->iso_dir);
    tmp_dir_free(env->tmp);
    current = NULL;
    g_free(env);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Env, env_free)

static void substitute(Env *env, const char *from, char *to)
{
    Subst s = {g_strdup(from), to};
    g_array_append_val(env->substs, s);
}

/* --- steps, as the bus and the lifecycle take them --- */

static CirObject *create_switch(Env *env, const char *name, const char *type, const char *uplink)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) changes = changes_new();

    changes_put(changes, "Type", g_variant_new_string(type));
    if (uplink)
        changes_put(changes, "Uplink", g_variant_new_string(uplink));
    note(env, "CreateSwitch %s: Type=%s Uplink=%s", name, type, uplink ? uplink : "");
    CirObject *sw = registry_create(env->reg, KIND_SWITCH, name, changes, NULL, &error);
    g_assert_no_error(error);
    g_assert_nonnull(sw);
    return sw;
}

static bool update_switch(Env *env, CirObject *sw, const char *uplink, GError **error)
{
    g_autoptr(GHashTable) changes = changes_of("Uplink", g_variant_new_string(uplink), NULL);

    note(env, "Update %s: Uplink=%s", sw->name, uplink);
    return registry_update(env->reg, sw, changes, error);
}

static void delete_switch(Env *env, CirObject *sw)
{
    g_autoptr(GError) error = NULL;

    note(env, "Delete %s", sw->name);
    g_assert_true(registry_delete(env->reg, sw, false, &error));
    g_assert_no_error(error);
}

static CirObject *create_vm(Env *env, const char *name)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) none = changes_new();
    CirObject *vm = registry_create(env->reg, KIND_VM, name, none, NULL, &error);

    g_assert_no_error(error);
    return vm;
}

static void add_nic(Env *env, CirObject *vm, unsigned vm_number, CirObject *sw, uint64_t in,
                    uint64_t out)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GHashTable) changes = changes_new();

    changes_put(changes, "Switch", g_variant_new_string(sw ? sw->uuid : ""));
    changes_put(changes, "RateLimitIn", g_variant_new_uint64(in));
    changes_put(changes, "RateLimitOut", g_variant_new_uint64(out));
    CirObject *nic = registry_create(env->reg, KIND_NIC, NULL, changes, vm, &error);
    g_assert_no_error(error);
    g_autofree char *hex = g_strndup(nic->uuid, 8);
    substitute(env, hex, g_strdup_printf("{vm%u.nic%u}", vm_number, ((CirNIC *)nic)->index));
}

static char *run_dir(Env *env, const CirObject *vm)
{
    return g_build_filename(env->tmp->path, "run", vm->uuid, NULL);
}

/* What the hypervisor is told, for each NIC. */
static void describe(Env *env, CirObject *vm)
{
    GPtrArray *nics = registry_vm_nics(env->reg, vm->uuid);
    g_autoptr(GPtrArray) hold = g_ptr_array_new_with_free_func(g_free);

    for (guint i = 0; nics && i < nics->len; i++) {
        HvNIC n;
        network_describe_nic(env->net, nics->pdata[i], &n, hold);
        g_autofree char *line =
            n.backend == HV_NET_USER  ? g_strdup_printf("#   nic%u: user-mode NAT", i)
            : n.backend == HV_NET_TAP ? g_strdup_printf("#   nic%u: backend=%s", i, n.ifname)
                                      : g_strdup_printf("#   nic%u: backend=netgraph,path=%s:,"
                                                        "peerhook=%s",
                                                        i, n.ifname, n.peerhook);
        log_line(env, line);
    }
}

static void vm_up(Env *env, CirObject *vm)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = run_dir(env, vm);

    note(env, "Start %s: ports before the hypervisor", vm->name);
    g_assert_true(network_vm_up(env->net, vm, dir, &error));
    g_assert_no_error(error);
    note(env, "%s's hypervisor is given:", vm->name);
    describe(env, vm);
}

static void vm_down(Env *env, CirObject *vm)
{
    g_autofree char *dir = run_dir(env, vm);

    note(env, "%s exited: its ports go", vm->name);
    network_vm_down(env->net, vm->uuid, dir);
}

/* A new daemon over the same database: running VMs are reattached. */
static void daemon_restart(Env *env, CirObject **vms, size_t n)
{
    g_autoptr(GPtrArray) uuids = g_ptr_array_new_with_free_func(g_free);

    note(env, "cirrinad restarts; the VMs kept running");
    for (size_t i = 0; i < n; i++)
        g_ptr_array_add(uuids, g_strdup(vms[i]->uuid));
    env_close(env);
    env_open(env);
    network_restore(env->net);
    for (size_t i = 0; i < n; i++) {
        vms[i] = registry_lookup(env->reg, KIND_VM, uuids->pdata[i]);
        g_autofree char *dir = run_dir(env, vms[i]);
        network_vm_reattach(env->net, vms[i]->uuid, dir);
    }
}

/* --- golden files --- */

static bool updating(void)
{
    return g_strcmp0(g_getenv("CIRRINA_UPDATE_GOLDEN"), "1") == 0;
}

static void check_golden(const char *name, const char *actual)
{
    g_autofree char *file = g_strconcat(name, ".txt", NULL);
    g_autofree char *path = g_build_filename(NET_GOLDEN_DIR, file, NULL);
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

/* --- scenarios --- */

static void switch_life(const char *host_os, const char *type, const char *golden)
{
    g_autoptr(Env) env = env_new(host_os);
    g_autoptr(GError) e1 = NULL, e2 = NULL, e3 = NULL;

    CirObject *lan = create_switch(env, "lan", type, "em0");
    g_assert_true(update_switch(env, lan, "em1", NULL));
    g_assert_true(update_switch(env, lan, "", NULL));
    g_assert_true(update_switch(env, lan, "em0", NULL));

    /* Refused before any command: what the host lacks, what cannot be an
     * uplink, another switch's uplink. */
    CirObject *dmz = create_switch(env, "dmz", type, NULL);
    g_assert_false(update_switch(env, dmz, "em9", &e1));
    g_assert_error(e1, CIRRINA_ERROR, CIRRINA_ERROR_NOT_FOUND);
    g_assert_false(update_switch(env, dmz, "lo0", &e2));
    g_assert_error(e2, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT);
    g_assert_false(update_switch(env, dmz, "em0", &e3));
    g_assert_error(e3, CIRRINA_ERROR, CIRRINA_ERROR_BUSY);

    delete_switch(env, lan);
    delete_switch(env, dmz);
    check_golden(golden, env->log->str);
}

static void test_if_bridge_switch(void)
{
    switch_life("freebsd", "bridge", "if-bridge-switch");
}

static void test_netgraph_switch(void)
{
    switch_life("freebsd", "netgraph", "netgraph-switch");
}

static void test_linux_switch(void)
{
    switch_life("linux", "bridge", "linux-bridge-switch");
}

/* Two VMs on one switch, one NIC limited, one on NAT; a guest reboot keeps
 * the ports; a daemon restart reattaches them; the second VM stops after
 * the first and, on netgraph, a VM started anew reuses free hooks. */
static void vm_life(const char *host_os, const char *type, const char *golden)
{
    g_autoptr(Env) env = env_new(host_os);

    CirObject *lan = create_switch(env, "lan", type, "em0");
    CirObject *vms[2] = {create_vm(env, "web"), NULL};
    add_nic(env, vms[0], 1, lan, 0, 0);
    add_nic(env, vms[0], 1, lan, 1000000, 2000000);
    add_nic(env, vms[0], 1, NULL, 0, 0);
    vms[1] = create_vm(env, "db");
    add_nic(env, vms[1], 2, lan, 0, 500000);

    note(env, "GetLaunchPlan of the stopped web:");
    describe(env, vms[0]);
    vm_up(env, vms[0]);
    vm_up(env, vms[1]);
    note(env, "web's guest reboots: the hypervisor runs again, the ports stay");
    vm_up(env, vms[0]);
    daemon_restart(env, vms, 2);
    note(env, "after the restart, the hypervisors are given the same:");
    describe(env, vms[0]);
    describe(env, vms[1]);
    vm_down(env, vms[0]);
    vm_up(env, vms[0]);
    vm_down(env, vms[1]);
    vm_down(env, vms[0]);
    note(env, "stopped: nothing left to remove");
    vm_down(env, vms[0]);
    check_golden(golden, env->log->str);
}

static void test_if_bridge_vms(void)
{
    vm_life("freebsd", "bridge", "if-bridge-vms");
}

static void test_netgraph_vms(void)
{
    vm_life("freebsd", "netgraph", "netgraph-vms");
}

static void test_linux_vms(void)
{
    vm_life("linux", "bridge", "linux-bridge-vms");
}

static const char *nic_hook(Env *env, CirObject *vm, GPtrArray *hold)
{
    HvNIC n;

    network_describe_nic(env->net, registry_vm_nics(env->reg, vm->uuid)->pdata[0], &n, hold);
    g_assert_cmpint(n.backend, ==, HV_NET_NETGRAPH);
    return n.peerhook;
}

/* Netgraph hooks: unique on their switch among running VMs, the previous
 * one again when it is free, else the lowest free one. */
static void test_netgraph_hooks(void)
{
    g_autoptr(Env) env = env_new("freebsd");
    g_autoptr(GPtrArray) hold = g_ptr_array_new_with_free_func(g_free);
    CirObject *ng = create_switch(env, "ng", "netgraph", NULL);
    CirObject *vms[3];

    for (unsigned i = 0; i < 3; i++) {
        g_autofree char *name = g_strdup_printf("vm%u", i);
        vms[i] = create_vm(env, name);
        add_nic(env, vms[i], i, ng, 0, 0);
    }
    /* In order, then in another order: each VM keeps its hook. */
    static const unsigned orders[2][3] = {{0, 1, 2}, {2, 1, 0}};
    for (unsigned round = 0; round < 2; round++) {
        for (unsigned k = 0; k < 3; k++)
            vm_up(env, vms[orders[round][k]]);
        for (unsigned i = 0; i < 3; i++) {
            g_autofree char *expected = g_strdup_printf("link%u", 2 + i);
            g_assert_cmpstr(nic_hook(env, vms[i], hold), ==, expected);
        }
        for (unsigned i = 0; i < 3; i++)
            vm_down(env, vms[i]);
    }
    /* A new VM while vm1 runs takes the lowest free hook, link2; vm0's
     * link2 is then taken, so vm0 gets the lowest free one, link4. */
    vm_up(env, vms[1]);
    CirObject *fresh = create_vm(env, "fresh");
    add_nic(env, fresh, 9, ng, 0, 0);
    vm_up(env, fresh);
    g_assert_cmpstr(nic_hook(env, fresh, hold), ==, "link2");
    vm_up(env, vms[0]);
    g_assert_cmpstr(nic_hook(env, vms[0], hold), ==, "link4");
    /* Two NICs of one VM on one switch get two hooks. */
    add_nic(env, vms[2], 2, ng, 0, 0);
    vm_up(env, vms[2]);
    GPtrArray *nics = registry_vm_nics(env->reg, vms[2]->uuid);
    HvNIC a, b;
    network_describe_nic(env->net, nics->pdata[0], &a, hold);
    network_describe_nic(env->net, nics->pdata[1], &b, hold);
    g_assert_cmpstr(a.peerhook, ==, "link5"); /* its link4 is vm0's now */
    g_assert_cmpstr(b.peerhook, ==, "link6");
    for (unsigned i = 0; i < 3; i++)
        vm_down(env, vms[i]);
    vm_down(env, fresh);
}

/* Failures leave nothing: a port that cannot be made takes back what it
 * made and the NICs before it; a switch whose uplink cannot join is not
 * made; a name the host took meanwhile gives way to the next. */
static void test_failures(void)
{
    g_autoptr(Env) env = env_new("freebsd");
    g_autoptr(GError) e1 = NULL, e2 = NULL;
    g_autoptr(GHashTable) changes = changes_of("Uplink", g_variant_new_string("igb0"), NULL);

    CirObject *lan = create_switch(env, "lan", "bridge", NULL);
    CirObject *vm = create_vm(env, "web");
    add_nic(env, vm, 1, lan, 0, 0);
    add_nic(env, vm, 1, lan, 1000000, 0);
    g_autofree char *dir = run_dir(env, vm);
    g_autofree char *record = g_build_filename(dir, "network", NULL);
    note(env, "Start web: the limited NIC's pipe cannot be made");
    env->fail_on = "ngctl connect";
    g_assert_false(network_vm_up(env->net, vm, dir, &e1));
    g_assert_error(e1, CIRRINA_ERROR, CIRRINA_ERROR_FAILED);
    assert_error_mentions(e1, "NIC 1");
    g_assert_false(g_file_test(record, G_FILE_TEST_EXISTS));
    g_assert_cmpuint(g_hash_table_size(env->links), ==, 1); /* the bridge only */

    note(env, "CreateSwitch dmz: Uplink=igb0, which cannot join");
    env->fail_on = " addm igb0";
    g_assert_null(registry_create(env->reg, KIND_SWITCH, "dmz", changes, NULL, &e2));
    g_assert_error(e2, CIRRINA_ERROR, CIRRINA_ERROR_FAILED);
    g_assert_null(registry_lookup_name(env->reg, KIND_SWITCH, "dmz"));
    g_assert_cmpuint(g_hash_table_size(env->links), ==, 1);

    /* dmz's name is free again: the next switch is given it, and finds it
     * taken by another program. */
    g_auto(GStrv) words = g_strsplit(env->failed, " ", -1);
    note(env, "CreateSwitch wan: its name is taken on the host meanwhile");
    g_hash_table_add(env->links, g_strdup(words[1]));
    env->fail_on = words[1];
    CirObject *wan = create_switch(env, "wan", "bridge", NULL);
    g_assert_cmpstr(((CirSwitch *)wan)->interface, !=, words[1]);
    g_assert_true(g_hash_table_contains(env->links, ((CirSwitch *)wan)->interface));
    env->fail_on = NULL;
    check_golden("failures", env->log->str);
}

/* After a host reboot the bridges are gone: a starting daemon makes them
 * again, with their uplinks; what exists is left alone. */
static void test_restore(void)
{
    g_autoptr(Env) env = env_new("freebsd");

    create_switch(env, "lan", "bridge", "em0");
    create_switch(env, "ng", "netgraph", "em1");
    CirObject *kept = create_switch(env, "kept", "bridge", NULL);
    note(env, "the host reboots: only kept's bridge survives");
    g_hash_table_remove_all(env->nodes);
    g_hash_table_remove_all(env->links);
    g_hash_table_add(env->links, g_strdup(((CirSwitch *)kept)->interface));
    env_close(env);
    env_open(env);
    note(env, "cirrinad starts");
    network_restore(env->net);
    check_golden("restore", env->log->str);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/net/if-bridge/switch", test_if_bridge_switch);
    g_test_add_func("/net/if-bridge/vms", test_if_bridge_vms);
    g_test_add_func("/net/netgraph/switch", test_netgraph_switch);
    g_test_add_func("/net/netgraph/vms", test_netgraph_vms);
    g_test_add_func("/net/netgraph/hooks", test_netgraph_hooks);
    g_test_add_func("/net/linux-bridge/switch", test_linux_switch);
    g_test_add_func("/net/linux-bridge/vms", test_linux_vms);
    g_test_add_func("/net/failures", test_failures);
    g_test_add_func("/net/restore", test_restore);
    return g_test_run();
}
