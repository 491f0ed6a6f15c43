#include "console/serial.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/errors.h"

#define READ_CHUNK   65536
#define VM_INPUT_MAX 65536 /* typed input waiting for the guest */

typedef struct {
    SerialMux *mux;
    int fd;
    GByteArray *out; /* VM output not yet sent to this client */
    guint watch;
    GIOCondition watching;
} SerialClient;

struct SerialMux {
    char *name;
    char *log_path;
    int log_fd;
    off_t log_size;
    int vm_fd;
    guint vm_watch;
    GIOCondition vm_watching;
    GByteArray *vm_in; /* client input not yet written to the VM */
    GPtrArray *clients;
};

static gboolean client_ready(gint fd, GIOCondition cond, gpointer data);
static gboolean vm_ready(gint fd, GIOCondition cond, gpointer data);

/* --- the log --- */

static void log_open(SerialMux *mux)
{
    struct stat st;

    mux->log_fd = open(mux->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    mux->log_size = mux->log_fd >= 0 && fstat(mux->log_fd, &st) == 0 ? st.st_size : 0;
    if (mux->log_fd < 0)
        g_warning("Cannot open the console log %s: %s", mux->log_path, g_strerror(errno));
}

static void log_write(SerialMux *mux, const guint8 *data, size_t len)
{
    if (mux->log_fd >= 0 && mux->log_size + (off_t)len > SERIAL_LOG_MAX) {
        g_autofree char *old = g_strconcat(mux->log_path, ".1", NULL);
        close(mux->log_fd);
        rename(mux->log_path, old);
        log_open(mux);
    }
    if (mux->log_fd < 0)
        return;
    /* A local file: a short write here does not wait on anyone. */
    ssize_t n = write(mux->log_fd, data, len);
    if (n > 0)
        mux->log_size += n;
}

GBytes *serial_log_tail(const char *log_path, size_t max_bytes, GError **error)
{
    g_autofree char *old_path = g_strconcat(log_path, ".1", NULL);
    g_autofree char *old = NULL, *cur = NULL;
    gsize old_len = 0, cur_len = 0;
    g_autoptr(GError) local = NULL;

    if (!g_file_get_contents(log_path, &cur, &cur_len, &local)) {
        if (!g_error_matches(local, G_FILE_ERROR, G_FILE_ERROR_NOENT)) {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "%s", local->message);
            return NULL;
        }
        cur_len = 0;
    }
    g_file_get_contents(old_path, &old, &old_len, NULL);
    GByteArray *all = g_byte_array_sized_new((guint)(old_len + cur_len));
    if (old)
        g_byte_array_append(all, (const guint8 *)old, (guint)old_len);
    if (cur)
        g_byte_array_append(all, (const guint8 *)cur, (guint)cur_len);
    if (max_bytes && all->len > max_bytes)
        g_byte_array_remove_range(all, 0, all->len - (guint)max_bytes);
    return g_byte_array_free_to_bytes(all);
}

/* --- clients --- */

static void client_watch(SerialClient *c, GIOCondition want)
{
    if (c->watch && c->watching == want)
        return;
    if (c->watch)
        g_source_remove(c->watch);
    c->watching = want;
    c->watch = g_unix_fd_add(c->fd, want, client_ready, c);
}

static void client_free(SerialClient *c)
{
    if (c->watch)
        g_source_remove(c->watch);
    close(c->fd);
    g_byte_array_unref(c->out);
    g_free(c);
}

static void client_remove(SerialClient *c)
{
    g_ptr_array_remove(c->mux->clients, c);
    client_free(c);
}

static void client_queue(SerialClient *c, const guint8 *data, size_t len)
{
    /* Nothing waiting: try to hand it over now, without a loop turn. */
    if (c->out->len == 0) {
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            data += n;
            len -= (size_t)n;
        }
        if (len == 0)
            return;
    }
    g_byte_array_append(c->out, data, (guint)len);
    /* Behind by too much: drop the oldest output, never the newest; a
     * quarter at a time, so a client that never reads costs no copy of
     * its whole backlog per chunk. */
    if (c->out->len > SERIAL_CLIENT_BACKLOG)
        g_byte_array_remove_range(c->out, 0, c->out->len - SERIAL_CLIENT_BACKLOG * 3 / 4);
    client_watch(c, G_IO_IN | G_IO_OUT);
}

static void vm_watch(SerialMux *mux)
{
    GIOCondition want = G_IO_IN | (mux->vm_in->len ? G_IO_OUT : 0);

    if (mux->vm_fd < 0 || (mux->vm_watch && mux->vm_watching == want))
        return;
    if (mux->vm_watch)
        g_source_remove(mux->vm_watch);
    mux->vm_watching = want;
    mux->vm_watch = g_unix_fd_add(mux->vm_fd, want, vm_ready, mux);
}

static gboolean client_ready(gint fd, GIOCondition cond, gpointer data)
{
    SerialClient *c = data;
    SerialMux *mux = c->mux;
    guint8 buf[4096];

    if (cond & G_IO_OUT && c->out->len) {
        ssize_t n = send(fd, c->out->data, c->out->len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0)
            g_byte_array_remove_range(c->out, 0, (guint)n);
        else if (n < 0 && errno != EAGAIN && errno != EINTR)
            goto gone;
    }
    if (cond & G_IO_IN) {
        ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
            goto gone;
        if (n > 0 && mux->vm_fd >= 0 && mux->vm_in->len + (size_t)n <= VM_INPUT_MAX) {
            g_byte_array_append(mux->vm_in, buf, (guint)n);
            vm_watch(mux);
        }
    } else if (cond & (G_IO_HUP | G_IO_ERR)) {
        goto gone;
    }
    GIOCondition want = G_IO_IN | (c->out->len ? G_IO_OUT : 0);
    if (want == c->watching)
        return G_SOURCE_CONTINUE;
    c->watch = 0; /* this source ends; one with what is needed now follows */
    client_watch(c, want);
    return G_SOURCE_REMOVE;

gone:
    c->watch = 0;
    client_remove(c);
    return G_SOURCE_REMOVE;
}

int serial_mux_open_client(SerialMux *mux, size_t history, GError **error)
{
    int sv[2];

    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "Cannot make a socket pair: %s",
                    g_strerror(errno));
        return -1;
    }
    g_unix_set_fd_nonblocking(sv[0], TRUE, NULL);
    SerialClient *c = g_new0(SerialClient, 1);
    c->mux = mux;
    c->fd = sv[0];
    c->out = g_byte_array_new();
    g_ptr_array_add(mux->clients, c);
    if (history) {
        g_autoptr(GBytes) tail = serial_log_tail(mux->log_path, history, NULL);
        gsize len = 0;
        const guint8 *data = tail ? g_bytes_get_data(tail, &len) : NULL;
        if (len)
            g_byte_array_append(c->out, data, (guint)len);
    }
    client_watch(c, G_IO_IN | (c->out->len ? G_IO_OUT : 0));
    return sv[1];
}

unsigned serial_mux_n_clients(const SerialMux *mux)
{
    return mux->clients->len;
}

/* --- the VM's end --- */

static void vm_detach(SerialMux *mux)
{
    if (mux->vm_watch)
        g_source_remove(mux->vm_watch);
    mux->vm_watch = 0;
    if (mux->vm_fd >= 0)
        close(mux->vm_fd);
    mux->vm_fd = -1;
    g_byte_array_set_size(mux->vm_in, 0);
}

static gboolean vm_ready(gint fd, GIOCondition cond, gpointer data)
{
    SerialMux *mux = data;
    guint8 buf[READ_CHUNK];

    if (cond & G_IO_OUT && mux->vm_in->len) {
        ssize_t n = write(fd, mux->vm_in->data, mux->vm_in->len);
        if (n > 0)
            g_byte_array_remove_range(mux->vm_in, 0, (guint)n);
    }
    if (cond & G_IO_IN) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            mux->vm_watch = 0;
            vm_detach(mux);
            return G_SOURCE_REMOVE;
        }
        if (n > 0) {
            log_write(mux, buf, (size_t)n);
            for (guint i = 0; i < mux->clients->len; i++)
                client_queue(mux->clients->pdata[i], buf, (size_t)n);
        }
    } else if (cond & (G_IO_HUP | G_IO_ERR)) {
        mux->vm_watch = 0;
        vm_detach(mux);
        return G_SOURCE_REMOVE;
    }
    if (mux->vm_watching == (G_IO_IN | (mux->vm_in->len ? G_IO_OUT : 0)))
        return G_SOURCE_CONTINUE;
    mux->vm_watch = 0;
    vm_watch(mux);
    return G_SOURCE_REMOVE;
}

void serial_mux_attach_vm(SerialMux *mux, int fd)
{
    vm_detach(mux);
    g_unix_set_fd_nonblocking(fd, TRUE, NULL);
    mux->vm_fd = fd;
    vm_watch(mux);
}

bool serial_mux_has_vm(const SerialMux *mux)
{
    return mux->vm_fd >= 0;
}

SerialMux *serial_mux_new(const char *name, const char *log_path)
{
    SerialMux *mux = g_new0(SerialMux, 1);

    mux->name = g_strdup(name);
    mux->log_path = g_strdup(log_path);
    mux->vm_fd = -1;
    mux->vm_in = g_byte_array_new();
    mux->clients = g_ptr_array_new();
    log_open(mux);
    return mux;
}

void serial_mux_free(SerialMux *mux)
{
    if (!mux)
        return;
    vm_detach(mux);
    for (guint i = 0; i < mux->clients->len; i++)
        client_free(mux->clients->pdata[i]);
    g_ptr_array_unref(mux->clients);
    g_byte_array_unref(mux->vm_in);
    if (mux->log_fd >= 0)
        close(mux->log_fd);
    g_free(mux->log_path);
    g_free(mux->name);
    g_free(mux);
}
