/* cirrinad: argument parsing, configuration and wiring; nothing else. */
#include <errno.h>
#include <glib-unix.h>
#include <locale.h>
#include <stdlib.h>

#include "bus/bus-source.h"
#include "bus/object.h"
#include "config.h"
#include "daemon.h"

#define BUS_NAME "org.cirrina"

static gboolean quit_loop(gpointer loop)
{
    g_main_loop_quit(loop);
    return G_SOURCE_CONTINUE;
}

static bool make_directories(const DaemonConfig *c, GError **error)
{
    const char *dirs[] = {c->state_dir, c->disk_dir, c->iso_dir, c->run_dir};

    for (size_t i = 0; i < G_N_ELEMENTS(dirs); i++)
        if (g_mkdir_with_parents(dirs[i], 0700) < 0) {
            int e = errno;
            g_set_error(error, G_FILE_ERROR, g_file_error_from_errno(e), "Cannot create %s: %s",
                        dirs[i], g_strerror(e));
            return false;
        }
    return true;
}

static int bus_setup(Daemon *d)
{
    int r;

    bus_errors_register();
    r = d->config->system ? sd_bus_open_system(&d->bus) : sd_bus_open_user(&d->bus);
    if (r < 0)
        return r;
    sd_bus_set_description(d->bus, "cirrinad");
    bus_objects_init(d);
    if ((r = bus_manager_register(d)) < 0 || (r = bus_vm_register(d)) < 0 ||
        (r = bus_nic_register(d)) < 0 || (r = bus_switch_register(d)) < 0 ||
        (r = bus_disk_register(d)) < 0 || (r = bus_iso_register(d)) < 0 ||
        (r = bus_job_register(d)) < 0)
        return r;
    if (d->config->system && (r = bus_read_access_register(d)) < 0)
        return r;
    /* Owning the name last: once it shows, every object answers. */
    return sd_bus_request_name(d->bus, BUS_NAME, 0);
}

int main(int argc, char **argv)
{
    gboolean system = FALSE, session = FALSE, version = FALSE;
    g_autofree char *config_path = NULL;
    g_autoptr(GError) error = NULL;
    const GOptionEntry options[] = {
        {"system", 0, 0, G_OPTION_ARG_NONE, &system, "Serve the system bus (as root)", NULL},
        {"session", 0, 0, G_OPTION_ARG_NONE, &session,
         "Serve the session bus, for this user only (the default)", NULL},
        {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Read this configuration file",
         "FILE"},
        {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL},
        {NULL},
    };
    g_autoptr(GOptionContext) context = g_option_context_new("- the Cirrina VM manager daemon");

    setlocale(LC_ALL, "");
    g_option_context_add_main_entries(context, options, NULL);
    if (!g_option_context_parse(context, &argc, &argv, &error)) {
        g_printerr("cirrinad: %s\n", error->message);
        return 2;
    }
    if (version) {
        g_print("cirrinad %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (system && session) {
        g_printerr("cirrinad: --system and --session exclude each other\n");
        return 2;
    }

    g_autoptr(DaemonConfig) config = daemon_config_load(system, config_path, &error);
    if (!config || !make_directories(config, &error)) {
        g_printerr("cirrinad: %s\n", error->message);
        return 1;
    }
    g_autofree char *db_path = g_build_filename(config->state_dir, "cirrina.db", NULL);
    g_autoptr(Store) store = store_open(db_path, &error);
    if (!store) {
        g_printerr("cirrinad: %s\n", error->message);
        return 1;
    }
    const RegistryPaths paths = {config->disk_dir, config->iso_dir, config->host_os,
                                 config->zfs_dataset};
    g_autoptr(Registry) reg = registry_new(store, &paths);
    if (!registry_load(reg, &error)) {
        g_printerr("cirrinad: loading %s: %s\n", db_path, error->message);
        return 1;
    }
    g_autoptr(Auth) auth = auth_new(system ? AUTH_MODE_SYSTEM : AUTH_MODE_SESSION);
    /* Switches' bridges follow the model from here on; remade if missing. */
    g_autoptr(Network) network = network_new(reg, config->host_os);
    network_set_run_dir(network, config->run_dir);
    network_restore(network);
    const LifecycleConfig lifecycle_config = {
        .run_dir = config->run_dir,
        .state_dir = config->state_dir,
        .hypervisor = config->hypervisor,
        .uefi_code = config->uefi_code,
        .uefi_vars = config->uefi_vars,
        .qemu_binary = config->qemu_binary,
        .accelerator = config->qemu_accelerator,
        .network = network,
    };
    Lifecycle *lifecycle = lifecycle_new(reg, &lifecycle_config);
    Jobs *jobs = jobs_new(reg);
    Daemon d = {.config = config,
                .reg = reg,
                .auth = auth,
                .lifecycle = lifecycle,
                .network = network,
                .jobs = jobs};

    int r = bus_setup(&d);
    if (r < 0) {
        g_printerr("cirrinad: cannot serve %s on the %s bus: %s\n", BUS_NAME,
                   system ? "system" : "session", g_strerror(-r));
        jobs_free(jobs);
        lifecycle_free(lifecycle);
        sd_bus_flush_close_unref(d.bus);
        bus_objects_finish();
        return 1;
    }
    lifecycle_recover(lifecycle);

    g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
    GSource *source = bus_source_new(d.bus);
    g_source_set_callback(source, quit_loop, loop, NULL);
    g_source_attach(source, NULL);
    guint sigterm = g_unix_signal_add(SIGTERM, quit_loop, loop);
    guint sigint = g_unix_signal_add(SIGINT, quit_loop, loop);

    g_message("cirrinad %s serving %s on the %s bus (hypervisor %s%s, state in %s)",
              PACKAGE_VERSION, BUS_NAME, system ? "system" : "session", config->hypervisor,
              g_str_equal(config->hypervisor, "qemu")
                  ? (lifecycle_kvm_available(lifecycle) ? " with KVM" : " with TCG")
                  : "",
              config->state_dir);
    g_main_loop_run(loop);

    g_source_remove(sigterm);
    g_source_remove(sigint);
    g_source_destroy(source);
    g_source_unref(source);
    sd_bus_release_name(d.bus, BUS_NAME);
    /* VMs keep running; requests still waiting are answered now, imports
     * and clones cancelled (their partial files removed). */
    jobs_free(jobs);
    lifecycle_free(lifecycle);
    /* Calls waiting for polkit too, while the bus is open: their messages
     * must not outlive it. */
    g_clear_pointer(&auth, auth_free);
    d.auth = NULL;
    /* The bus's slots point into the vtables: close it before freeing them. */
    sd_bus_flush_close_unref(d.bus);
    bus_objects_finish();
    return 0;
}
