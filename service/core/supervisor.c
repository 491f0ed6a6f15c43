#include "core/supervisor.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <glib-unix.h>

#include "core/errors.h"

struct Supervised {
    pid_t pid;
    bool is_child;
    guint watch; /* child watch, pidfd watch or poll timer */
    int pidfd;
    SupervisedExit on_exit;
    void *data;
};

void supervisor_record_clear(SupervisorRecord *record)
{
    g_clear_pointer(&record->vm_uuid, g_free);
    g_clear_pointer(&record->launch_name, g_free);
    g_clear_pointer(&record->driver, g_free);
}

/* The kernel's start time of pid, so a reused pid is not taken for ours. */
static guint64 process_start_time(pid_t pid)
{
#ifdef __linux__
    g_autofree char *path = g_strdup_printf("/proc/%d/stat", (int)pid);
    g_autofree char *stat = NULL;

    if (!g_file_get_contents(path, &stat, NULL, NULL))
        return 0;
    /* Fields after the command name, which may hold spaces: state is 3rd,
     * starttime the 22nd. */
    const char *p = strrchr(stat, ')');
    if (!p)
        return 0;
    g_auto(GStrv) fields = g_strsplit(p + 2, " ", 0);
    if (g_strv_length(fields) < 20)
        return 0;
    return g_ascii_strtoull(fields[19], NULL, 10);
#else
    return kill(pid, 0) == 0 ? 1 : 0;
#endif
}

/* Whether pid's command line names the VM: a recycled pid would not. */
static bool process_is_vm(pid_t pid, const char *vm_uuid, const char *launch_name)
{
#ifdef __linux__
    g_autofree char *path = g_strdup_printf("/proc/%d/cmdline", (int)pid);
    g_autofree char *cmdline = NULL;
    gsize len;

    if (!g_file_get_contents(path, &cmdline, &len, NULL))
        return false;
    for (gsize i = 0; i + 1 < len; i++)
        if (cmdline[i] == '\0')
            cmdline[i] = ' ';
    return strstr(cmdline, vm_uuid) || strstr(cmdline, launch_name);
#else
    return true;
#endif
}

static void child_exited(GPid pid, gint status, gpointer data)
{
    Supervised *proc = data;

    proc->watch = 0;
    proc->on_exit(proc, true, status, proc->data);
}

static gboolean pidfd_ready(gint fd, GIOCondition condition, gpointer data)
{
    Supervised *proc = data;

    proc->watch = 0;
    proc->on_exit(proc, false, 0, proc->data);
    return G_SOURCE_REMOVE;
}

static gboolean poll_alive(gpointer data)
{
    Supervised *proc = data;

    if (kill(proc->pid, 0) == 0 || errno == EPERM)
        return G_SOURCE_CONTINUE;
    proc->watch = 0;
    proc->on_exit(proc, false, 0, proc->data);
    return G_SOURCE_REMOVE;
}

static void watch_foreign(Supervised *proc)
{
#if defined(__linux__) && defined(SYS_pidfd_open)
    proc->pidfd = (int)syscall(SYS_pidfd_open, proc->pid, 0);
    if (proc->pidfd >= 0) {
        proc->watch = g_unix_fd_add(proc->pidfd, G_IO_IN, pidfd_ready, proc);
        return;
    }
#endif
    proc->watch = g_timeout_add_seconds(1, poll_alive, proc);
}

static bool write_record(const char *record_path, const SupervisorRecord *r, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();

    g_key_file_set_string(kf, "process", "VM", r->vm_uuid);
    g_key_file_set_string(kf, "process", "LaunchName", r->launch_name);
    g_key_file_set_string(kf, "process", "Driver", r->driver);
    g_key_file_set_int64(kf, "process", "PID", r->pid);
    g_key_file_set_uint64(kf, "process", "StartTime", r->start_time);
    g_key_file_set_integer(kf, "process", "VNCPort", r->vnc_port);
    return g_key_file_save_to_file(kf, record_path, error);
}

static void child_setup(gpointer data)
{
    /* A session of its own: the VM survives the daemon and its signals. */
    setsid();
}

Supervised *supervisor_spawn(const char *const *argv, const char *log_path, const char *record_path,
                             const SupervisorRecord *record, SupervisedExit on_exit, void *data,
                             GError **error)
{
    int log_fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    int null_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    GPid pid;

    if (log_fd < 0 || null_fd < 0) {
        int e = errno;
        if (log_fd >= 0)
            close(log_fd);
        if (null_fd >= 0)
            close(null_fd);
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "Cannot open %s: %s", log_path,
                    g_strerror(e));
        return NULL;
    }
    bool ok = g_spawn_async_with_pipes_and_fds(
        NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_SEARCH_PATH, child_setup, NULL,
        null_fd, log_fd, log_fd, NULL, NULL, 0, &pid, NULL, NULL, NULL, error);
    close(log_fd);
    close(null_fd);
    if (!ok) {
        g_prefix_error(error, "Cannot start %s: ", argv[0]);
        if (*error) {
            (*error)->domain = CIRRINA_ERROR;
            (*error)->code = CIRRINA_ERROR_FAILED;
        }
        return NULL;
    }

    Supervised *proc = g_new0(Supervised, 1);
    proc->pid = pid;
    proc->is_child = true;
    proc->pidfd = -1;
    proc->on_exit = on_exit;
    proc->data = data;
    proc->watch = g_child_watch_add(pid, child_exited, proc);

    SupervisorRecord r = *record;
    r.pid = pid;
    r.start_time = process_start_time(pid);
    g_autoptr(GError) local = NULL;
    if (!write_record(record_path, &r, &local))
        g_warning("Cannot record VM process %d: %s", (int)pid, local->message);
    return proc;
}

Supervised *supervisor_reattach(const char *record_path, SupervisorRecord *record,
                                SupervisedExit on_exit, void *data, GError **error)
{
    g_autoptr(GKeyFile) kf = g_key_file_new();

    if (!g_key_file_load_from_file(kf, record_path, G_KEY_FILE_NONE, error))
        return NULL;
    record->vm_uuid = g_key_file_get_string(kf, "process", "VM", NULL);
    record->launch_name = g_key_file_get_string(kf, "process", "LaunchName", NULL);
    record->driver = g_key_file_get_string(kf, "process", "Driver", NULL);
    record->pid = (pid_t)g_key_file_get_int64(kf, "process", "PID", NULL);
    record->start_time = g_key_file_get_uint64(kf, "process", "StartTime", NULL);
    record->vnc_port = (guint16)g_key_file_get_integer(kf, "process", "VNCPort", NULL);
    if (!record->vm_uuid || !record->launch_name || !record->driver || record->pid <= 0) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "%s is not a process record",
                    record_path);
        return NULL;
    }
    if (process_start_time(record->pid) != record->start_time ||
        !process_is_vm(record->pid, record->vm_uuid, record->launch_name))
        return NULL;

    Supervised *proc = g_new0(Supervised, 1);
    proc->pid = record->pid;
    proc->pidfd = -1;
    proc->on_exit = on_exit;
    proc->data = data;
    watch_foreign(proc);
    return proc;
}

pid_t supervised_pid(const Supervised *proc)
{
    return proc->pid;
}

bool supervised_signal(Supervised *proc, int sig, GError **error)
{
    if (kill(proc->pid, sig) < 0 && errno != ESRCH) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "Cannot signal process %d: %s",
                    (int)proc->pid, g_strerror(errno));
        return false;
    }
    return true;
}

void supervised_free(Supervised *proc)
{
    if (!proc)
        return;
    if (proc->watch)
        g_source_remove(proc->watch);
    if (proc->pidfd >= 0)
        close(proc->pidfd);
    g_free(proc);
}
