/* --host [USER@]HOST: D-Bus over `ssh -xT HOST -- systemd-stdio-bridge`,
 * as `busctl -H` does it, but with our own socket pair and fork/exec
 * (basu has neither sd_bus_set_exec nor sd_bus_open_system_remote).
 *
 * $CIRRINA_SSH replaces "ssh" (a command line, split as the shell would),
 * $CIRRINA_REMOTE_BRIDGE the bridge ("systemd-stdio-bridge"; "--user" is
 * added for the session bus) and $CIRRINA_REMOTE_CIRRINACTL the remote
 * cirrinactl that consoles run ("cirrinactl"). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

static GArray *children; /* of pid_t: the ssh processes to reap */

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v && *v ? v : fallback;
}

static char **remote_ssh_argv(const char *host, const char *remote_command)
{
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) ssh = NULL;
    if (!g_shell_parse_argv(env_or("CIRRINA_SSH", "ssh"), NULL, &ssh, &error)) {
        fail(EXIT_FAILURE, "$CIRRINA_SSH: %s", error->message);
        return NULL;
    }
    GPtrArray *argv = g_ptr_array_new();
    for (char **a = ssh; *a; a++)
        g_ptr_array_add(argv, g_strdup(*a));
    /* No X11 forwarding, no pseudo-terminal: a clean byte stream. */
    g_ptr_array_add(argv, g_strdup("-xT"));
    g_ptr_array_add(argv, g_strdup(host));
    g_ptr_array_add(argv, g_strdup("--"));
    g_ptr_array_add(argv, g_strdup(remote_command));
    g_ptr_array_add(argv, NULL);
    return (char **)g_ptr_array_free(argv, FALSE);
}

/* Waits a moment for each ssh to end after its stream closed, then ends
 * it. */
static void reap_children(void)
{
    if (!children)
        return;
    for (guint i = 0; i < children->len; i++) {
        pid_t pid = g_array_index(children, pid_t, i);
        for (int tries = 0; tries < 100; tries++) {
            if (waitpid(pid, NULL, WNOHANG) != 0)
                goto next;
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
    next:;
    }
    g_array_set_size(children, 0);
}

/* Runs ssh with one end of a socket pair as its stdin and stdout. */
static int spawn_ssh(const char *host, const char *remote_command, int *ret_fd, pid_t *ret_pid)
{
    int pair[2];
    g_auto(GStrv) argv = remote_ssh_argv(host, remote_command);
    if (!argv)
        return -EINVAL;
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) < 0)
        return -errno;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(pair[0]);
        close(pair[1]);
        return -e;
    }
    if (pid == 0) {
        signal(SIGPIPE, SIG_DFL);
        if (dup2(pair[1], STDIN_FILENO) < 0 || dup2(pair[1], STDOUT_FILENO) < 0)
            _exit(127);
        execvp(argv[0], argv);
        fprintf(stderr, "cirrinactl: Failed to run %s: %s\n", argv[0], g_strerror(errno));
        _exit(127);
    }
    close(pair[1]);
    if (!children) {
        children = g_array_new(FALSE, FALSE, sizeof(pid_t));
        atexit(reap_children);
    }
    g_array_append_val(children, pid);
    *ret_fd = pair[0];
    if (ret_pid)
        *ret_pid = pid;
    return 0;
}

int remote_open_bus(const char *host, bool system, sd_bus **ret)
{
    g_autofree char *command = g_strdup_printf(
        "%s%s", env_or("CIRRINA_REMOTE_BRIDGE", "systemd-stdio-bridge"), system ? "" : " --user");
    sd_bus *bus = NULL;
    int fd = -1;
    int r = spawn_ssh(host, command, &fd, NULL);
    if (r < 0)
        return r;
    r = sd_bus_new(&bus);
    if (r >= 0)
        r = sd_bus_set_fd(bus, fd, fd);
    if (r >= 0)
        r = sd_bus_set_bus_client(bus, 1);
    if (r >= 0)
        r = sd_bus_start(bus);
    if (r < 0) {
        if (bus)
            sd_bus_unref(bus);
        else
            close(fd);
        return r;
    }
    *ret = bus;
    return 0;
}

/* The console of a VM on another host: `cirrinactl vm console --raw VM`
 * run there over ssh pumps it; here the terminal goes raw and Ctrl+]
 * detaches. */
int remote_console(Ctl *ctl, const char *vm, const char *port, int64_t history)
{
    g_autofree char *quoted_vm = g_shell_quote(vm);
    g_autofree char *quoted_port = g_shell_quote(port);
    g_autofree char *history_text =
        history >= 0 ? g_strdup_printf(" --history %" G_GINT64_FORMAT, history) : g_strdup("");
    g_autofree char *command = g_strdup_printf(
        "%s%s vm console --raw%s%s%s %s", env_or("CIRRINA_REMOTE_CIRRINACTL", "cirrinactl"),
        ctl->bus_choice == BUS_SYSTEM    ? " --system"
        : ctl->bus_choice == BUS_SESSION ? " --session"
                                         : "",
        *port ? " --port " : "", *port ? quoted_port : "", history_text, quoted_vm);
    int fd = -1;
    pid_t pid;
    int r = spawn_ssh(ctl->host, command, &fd, &pid);
    if (r < 0)
        return fail(EXIT_FAILURE, "Failed to reach %s: %s", ctl->host, g_strerror(-r));

    g_autofree char *what =
        g_strdup_printf("VM %s (%s) on %s", vm, *port ? port : "com1", ctl->host);
    r = console_attach(fd, CONSOLE_DRAIN, what);
    close(fd);

    /* Detached: ssh ends here. Otherwise the remote side has ended, and
     * its exit status tells what went wrong there (it said so on stderr,
     * through ssh; 255 is ssh's own failure). */
    int status = 0;
    if (r == CONSOLE_DETACHED || r < 0)
        kill(pid, SIGTERM);
    if (waitpid(pid, &status, 0) == pid) {
        for (guint i = 0; i < children->len; i++)
            if (g_array_index(children, pid_t, i) == pid)
                g_array_remove_index(children, i);
        if (r != CONSOLE_DETACHED && WIFEXITED(status) && WEXITSTATUS(status) != 0)
            return WEXITSTATUS(status) == 255 ? EXIT_FAILURE : WEXITSTATUS(status);
    }
    if (r < 0)
        return fail(EXIT_FAILURE, "Console of %s: %s", what, g_strerror(-r));
    if (r == CONSOLE_CLOSED)
        fprintf(stderr, "cirrinactl: the console of %s was closed\n", what);
    return 0;
}
