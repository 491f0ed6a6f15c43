#include "hv/qmp.h"

#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/errors.h"

#define QMP_TIMEOUT_S 10

typedef struct {
    int fd;
    guint io_watch, timeout;
    GString *input;
    unsigned expected, answered;
    GError *failure;
    HvDone done;
    void *data;
} QmpCall;

static void qmp_finish(QmpCall *call, GError *error)
{
    if (call->io_watch)
        g_source_remove(call->io_watch);
    if (call->timeout)
        g_source_remove(call->timeout);
    close(call->fd);
    if (!error && call->failure)
        error = g_steal_pointer(&call->failure);
    call->done(error, call->data);
    g_clear_error(&error);
    g_clear_error(&call->failure);
    g_string_free(call->input, TRUE);
    g_free(call);
}

/* Replies carry "return" or "error"; the greeting and events do not. */
static void qmp_take_lines(QmpCall *call)
{
    char *nl;

    while ((nl = memchr(call->input->str, '\n', call->input->len))) {
        g_autofree char *line = g_strndup(call->input->str, (gsize)(nl - call->input->str));
        g_string_erase(call->input, 0, (gssize)(nl - call->input->str) + 1);
        if (strstr(line, "\"return\"")) {
            call->answered++;
        } else if (strstr(line, "\"error\"")) {
            call->answered++;
            /* The message goes into D-Bus errors, which must be UTF-8. */
            g_autofree char *shown = g_utf8_make_valid(line, -1);
            if (!call->failure)
                call->failure = g_error_new(CIRRINA_ERROR, CIRRINA_ERROR_FAILED,
                                            "QEMU refused a command: %s", shown);
        }
    }
}

static gboolean qmp_readable(gint fd, GIOCondition condition, gpointer data)
{
    QmpCall *call = data;
    char buf[4096];
    ssize_t n = read(fd, buf, sizeof(buf));

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return G_SOURCE_CONTINUE;
    if (n <= 0) {
        call->io_watch = 0;
        qmp_finish(call, call->answered >= call->expected
                             ? NULL
                             : g_error_new(CIRRINA_ERROR, CIRRINA_ERROR_FAILED,
                                           "QEMU closed its monitor before answering"));
        return G_SOURCE_REMOVE;
    }
    g_string_append_len(call->input, buf, n);
    qmp_take_lines(call);
    if (call->answered >= call->expected) {
        call->io_watch = 0;
        qmp_finish(call, NULL);
        return G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static gboolean qmp_timed_out(gpointer data)
{
    QmpCall *call = data;

    call->timeout = 0;
    qmp_finish(call, g_error_new(CIRRINA_ERROR, CIRRINA_ERROR_FAILED,
                                 "QEMU's monitor did not answer within %d s", QMP_TIMEOUT_S));
    return G_SOURCE_REMOVE;
}

bool qmp_execute(const char *socket_path, const char *const *commands, HvDone done, void *data,
                 GError **error)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    g_autoptr(GString) out = g_string_new("{\"execute\":\"qmp_capabilities\"}\n");
    unsigned n = 1;

    if (strlen(socket_path) >= sizeof(addr.sun_path)) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "Socket path too long: %s",
                    socket_path);
        return false;
    }
    strcpy(addr.sun_path, socket_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "Cannot reach QEMU at %s: %s",
                    socket_path, g_strerror(e));
        return false;
    }
    for (; *commands; commands++, n++)
        g_string_append_printf(out, "%s\n", *commands);
    /* A few short lines fit the socket buffer: QEMU reads them in order,
     * so they can all go before the first answer. */
    if (write(fd, out->str, out->len) != (ssize_t)out->len) {
        int e = errno;
        close(fd);
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "Cannot talk to QEMU at %s: %s",
                    socket_path, g_strerror(e));
        return false;
    }

    QmpCall *call = g_new0(QmpCall, 1);
    call->fd = fd;
    call->input = g_string_new(NULL);
    call->expected = n;
    call->done = done;
    call->data = data;
    call->io_watch = g_unix_fd_add(fd, G_IO_IN | G_IO_HUP | G_IO_ERR, qmp_readable, call);
    call->timeout = g_timeout_add_seconds(QMP_TIMEOUT_S, qmp_timed_out, call);
    return true;
}

char *qmp_quote(const char *s)
{
    GString *q = g_string_new("\"");

    for (; *s; s++) {
        /* JSON wants control characters escaped; a raw newline would also
         * end the command line early and start another. */
        if ((unsigned char)*s < 0x20) {
            g_string_append_printf(q, "\\u%04x", (unsigned char)*s);
            continue;
        }
        if (*s == '"' || *s == '\\')
            g_string_append_c(q, '\\');
        g_string_append_c(q, *s);
    }
    g_string_append_c(q, '"');
    return g_string_free(q, FALSE);
}
