#include "hv/qmp.h"

#include <errno.h>
#include <glib-unix.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "core/errors.h"

#define QMP_TIMEOUT_S 10

/* The longest line read from QEMU's monitor. What we ask for is answered in
 * short lines (QEMU 7.2's greeting is 142 bytes, the reply to each command
 * we send 16), and QEMU's longest reply of all, query-qmp-schema, is about
 * 200 kB. A longer line is a monitor gone wrong: buffering it until a
 * newline would let a misbehaving QEMU grow the daemon without bound. */
#define QMP_LINE_MAX (1024 * 1024)

/* How much of a refusal goes into the error (a log line or a D-Bus error). */
#define QMP_SHOWN_MAX 512

typedef struct {
    int fd;
    guint io_watch, timeout;
    GString *input;
    gsize scanned; /* bytes of input known to hold no newline */
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

/* Replies carry "return" or "error"; the greeting and events do not.
 * Returns false when a line is longer than QMP_LINE_MAX (the partial one
 * at the end included). */
static bool qmp_take_lines(QmpCall *call)
{
    char *nl;

    while (
        (nl = memchr(call->input->str + call->scanned, '\n', call->input->len - call->scanned))) {
        gsize len = (gsize)(nl - call->input->str);
        if (len > QMP_LINE_MAX)
            return false;
        g_autofree char *line = g_strndup(call->input->str, len);
        g_string_erase(call->input, 0, (gssize)len + 1);
        call->scanned = 0;
        if (strstr(line, "\"return\"")) {
            call->answered++;
        } else if (strstr(line, "\"error\"")) {
            call->answered++;
            /* The message goes into D-Bus errors, which must be UTF-8;
             * make_valid also mends a character cut at the end. The line
             * ends at a NUL, as C strings do. */
            size_t text_len = strlen(line);
            g_autofree char *shown = g_utf8_make_valid(line, (gssize)MIN(text_len, QMP_SHOWN_MAX));
            if (!call->failure)
                call->failure =
                    g_error_new(CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "QEMU refused a command: %s%s",
                                shown, text_len > QMP_SHOWN_MAX ? "..." : "");
        }
    }
    call->scanned = call->input->len;
    return call->input->len <= QMP_LINE_MAX;
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
    if (!qmp_take_lines(call)) {
        /* Broken as if it had closed: the caller handles a lost monitor. */
        call->io_watch = 0;
        qmp_finish(call, g_error_new(CIRRINA_ERROR, CIRRINA_ERROR_FAILED,
                                     "QEMU's monitor sent a line longer than %d bytes: "
                                     "closed it as broken",
                                     QMP_LINE_MAX));
        return G_SOURCE_REMOVE;
    }
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
