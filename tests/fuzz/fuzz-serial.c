/* The serial multiplexer (console/serial.c) with what a guest writes on
 * its serial port, the least trusted input of all, and clients attaching,
 * typing and leaving in between, in the GLib main loop as in the daemon.
 *
 * Input: a series of steps, each a byte (step % 4) and its operands:
 *   0 LEN BYTES   the guest writes BYTES
 *   1 H           a client attaches, asking for H * 64 bytes of history
 *   2 K LEN BYTES client K (of those attached) types BYTES
 *   3 K           client K leaves
 *
 * What must hold: no crash, leak or undefined behaviour; each client gets
 * exactly the last H * 64 bytes of what the guest wrote before it came,
 * then all it wrote while it stayed; the guest gets what was typed, in
 * order; the log holds all the guest wrote. */
#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "console/serial.h"
#include "fuzz-common.h"

#define MAX_CLIENTS 4

typedef struct {
    int fd; /* -1 once it left */
    GByteArray *expected;
} Client;

static void run_pending(void)
{
    for (int round = 0; round < 3; round++)
        while (g_main_context_iteration(NULL, FALSE))
            ;
}

static GByteArray *read_all(int fd)
{
    GByteArray *all = g_byte_array_new();
    guint8 buf[4096];
    ssize_t n;

    while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
        g_byte_array_append(all, buf, (guint)n);
    return all;
}

/* Reads what fd has and what the multiplexer still holds back for it: a
 * socket nobody reads stops polling writable (the kernel counts unread
 * data against the writer), so output waits in the multiplexer, as it
 * should, until the reader reads. */
static GByteArray *read_all_waiting(int fd, guint want)
{
    GByteArray *all = g_byte_array_new();

    for (int round = 0; round < 100 && all->len < want; round++) {
        g_autoptr(GByteArray) more = read_all(fd);
        g_byte_array_append(all, more->data, more->len);
        run_pending();
    }
    return all;
}

static void check_same(const GByteArray *got, const GByteArray *want, const char *what)
{
    FUZZ_CHECK(got->len == want->len && (!got->len || memcmp(got->data, want->data, got->len) == 0),
               "%s: %u bytes, not the %u expected", what, got->len, want->len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autofree char *log_path = g_build_filename(fuzz_tmp_dir(), "com1.log", NULL);
    g_autofree char *old_log = g_strconcat(log_path, ".1", NULL);
    g_autoptr(GByteArray) written = g_byte_array_new(); /* by the guest */
    g_autoptr(GByteArray) typed = g_byte_array_new();
    Client clients[MAX_CLIENTS];
    unsigned n_clients = 0;
    int vm[2];

    fuzz_init_logging();
    g_unlink(log_path);
    g_unlink(old_log);
    FUZZ_CHECK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, vm) == 0, "socketpair");
    SerialMux *mux = serial_mux_new("com1", log_path);
    serial_mux_attach_vm(mux, vm[0]);

    for (size_t i = 0; i < size;) {
        uint8_t step = data[i++] % 4;
        if (step == 0 && i < size) {
            size_t len = MIN(data[i], size - i - 1);
            const uint8_t *bytes = data + i + 1;
            i += 1 + len;
            FUZZ_CHECK(write(vm[1], bytes, len) == (ssize_t)len, "the guest cannot write");
            g_byte_array_append(written, bytes, (guint)len);
            for (unsigned k = 0; k < n_clients; k++)
                if (clients[k].fd >= 0)
                    g_byte_array_append(clients[k].expected, bytes, (guint)len);
        } else if (step == 1 && i < size && n_clients < MAX_CLIENTS) {
            size_t history = (size_t)data[i++] * 64;
            g_autoptr(GError) error = NULL;
            Client *c = &clients[n_clients++];
            c->fd = serial_mux_open_client(mux, history, &error);
            FUZZ_CHECK(c->fd >= 0, "no client: %s", error->message);
            c->expected = g_byte_array_new();
            size_t from = history && history < written->len ? written->len - history : 0;
            if (history && written->len)
                g_byte_array_append(c->expected, written->data + from,
                                    (guint)(written->len - from));
        } else if (step == 2 && i + 1 < size && n_clients > 0) {
            Client *c = &clients[data[i] % n_clients];
            size_t len = MIN(data[i + 1], size - i - 2);
            const uint8_t *bytes = data + i + 2;
            i += 2 + len;
            if (c->fd < 0)
                continue;
            FUZZ_CHECK(write(c->fd, bytes, len) == (ssize_t)len, "a client cannot write");
            g_byte_array_append(typed, bytes, (guint)len);
        } else if (step == 3 && i < size && n_clients > 0) {
            Client *c = &clients[data[i++] % n_clients];
            if (c->fd >= 0) {
                g_autoptr(GByteArray) got = read_all_waiting(c->fd, c->expected->len);
                check_same(got, c->expected, "a client that left");
                close(c->fd);
                c->fd = -1;
            }
        } else {
            i++;
        }
        run_pending();
    }
    run_pending();

    /* The guest reads only now. */
    g_autoptr(GByteArray) to_guest = read_all_waiting(vm[1], typed->len);
    check_same(to_guest, typed, "what the guest got");
    for (unsigned k = 0; k < n_clients; k++) {
        if (clients[k].fd >= 0) {
            g_autoptr(GByteArray) got = read_all_waiting(clients[k].fd, clients[k].expected->len);
            check_same(got, clients[k].expected, "a client");
            close(clients[k].fd);
        }
        g_byte_array_unref(clients[k].expected);
    }
    g_autoptr(GBytes) log = serial_log_tail(log_path, 0, NULL);
    g_autoptr(GByteArray) logged = g_byte_array_new();
    if (log)
        g_byte_array_append(logged, g_bytes_get_data(log, NULL), (guint)g_bytes_get_size(log));
    check_same(logged, written, "the log");
    serial_mux_free(mux);
    close(vm[1]);
    fuzz_note("%u bytes written, %u typed, %u clients", written->len, typed->len, n_clients);
    return 0;
}
