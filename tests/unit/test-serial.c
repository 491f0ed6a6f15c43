/* The serial multiplexer without a VM: a socket pair stands in for the
 * VM's end of the port. */
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "console/serial.h"

typedef struct {
    char *dir;
    char *log;
    SerialMux *mux;
    int vm; /* the guest's side */
} Fixture;

static void fixture_set_up(Fixture *f, gconstpointer data)
{
    int sv[2];

    f->dir = g_dir_make_tmp("cirrina-serial-XXXXXX", NULL);
    f->log = g_build_filename(f->dir, "com1.log", NULL);
    f->mux = serial_mux_new("com1", f->log);
    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
    serial_mux_attach_vm(f->mux, sv[0]);
    f->vm = sv[1];
}

static void fixture_tear_down(Fixture *f, gconstpointer data)
{
    g_autofree char *old = g_strconcat(f->log, ".1", NULL);

    serial_mux_free(f->mux);
    close(f->vm);
    g_unlink(f->log);
    g_unlink(old);
    g_rmdir(f->dir);
    g_free(f->log);
    g_free(f->dir);
}

/* Runs the main loop until cond holds or 5 s pass. */
#define ITERATE_UNTIL(cond)                                                                        \
    do {                                                                                           \
        gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;                             \
        while (!(cond) && g_get_monotonic_time() < deadline)                                       \
            g_main_context_iteration(NULL, FALSE);                                                 \
        g_assert_true(cond);                                                                       \
    } while (0)

static void guest_writes(Fixture *f, const char *text)
{
    g_assert_cmpint(write(f->vm, text, strlen(text)), ==, (ssize_t)strlen(text));
}

/* Reads what is there now from a client, after letting the loop run. */
static GString *drain(int fd, GString *into)
{
    char buf[65536];
    ssize_t n;

    while ((n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT)) > 0)
        g_string_append_len(into, buf, n);
    return into;
}

static bool client_saw(int fd, GString *seen, const char *text)
{
    g_main_context_iteration(NULL, FALSE);
    return strstr(drain(fd, seen)->str, text) != NULL;
}

static bool log_ends_with(const char *log, const char *text)
{
    g_autoptr(GBytes) tail = serial_log_tail(log, strlen(text), NULL);
    gsize len;
    const void *data = tail ? g_bytes_get_data(tail, &len) : NULL;

    return data && len == strlen(text) && memcmp(data, text, len) == 0;
}

static void test_output_reaches_every_client_and_the_log(Fixture *f, gconstpointer data)
{
    int a = serial_mux_open_client(f->mux, 0, NULL), b = serial_mux_open_client(f->mux, 0, NULL);
    g_autoptr(GString) sa = g_string_new(NULL), sb = g_string_new(NULL);

    g_assert_cmpuint(serial_mux_n_clients(f->mux), ==, 2);
    guest_writes(f, "login: ");
    ITERATE_UNTIL(client_saw(a, sa, "login: ") && client_saw(b, sb, "login: "));
    g_autoptr(GBytes) log = serial_log_tail(f->log, 0, NULL);
    g_assert_cmpmem(g_bytes_get_data(log, NULL), g_bytes_get_size(log), "login: ", 7);
    close(a);
    close(b);
    ITERATE_UNTIL(serial_mux_n_clients(f->mux) == 0);
}

static void test_history_comes_first(Fixture *f, gconstpointer data)
{
    g_autoptr(GString) seen = g_string_new(NULL);

    guest_writes(f, "boot line 1\nboot line 2\n");
    ITERATE_UNTIL(log_ends_with(f->log, "boot line 2\n"));
    int c = serial_mux_open_client(f->mux, 12, NULL);
    guest_writes(f, "live\n");
    ITERATE_UNTIL(client_saw(c, seen, "live\n"));
    g_assert_cmpstr(seen->str, ==, "boot line 2\nlive\n");
    close(c);
}

static void test_clients_type_to_the_guest(Fixture *f, gconstpointer data)
{
    int a = serial_mux_open_client(f->mux, 0, NULL), b = serial_mux_open_client(f->mux, 0, NULL);
    char buf[64] = {0};
    ssize_t got = 0;

    g_assert_cmpint(write(a, "ls\r", 3), ==, 3);
    g_assert_cmpint(write(b, "pwd\r", 4), ==, 4);
    g_unix_set_fd_nonblocking(f->vm, TRUE, NULL);
    gint64 deadline = g_get_monotonic_time() + 5 * G_USEC_PER_SEC;
    while (got < 7 && g_get_monotonic_time() < deadline) {
        g_main_context_iteration(NULL, FALSE);
        ssize_t n = read(f->vm, buf + got, sizeof(buf) - 1 - (size_t)got);
        if (n > 0)
            got += n;
    }
    g_assert_cmpint(got, ==, 7);
    g_assert_true(strstr(buf, "ls\r") && strstr(buf, "pwd\r"));
    close(a);
    close(b);
}

/* A client that never reads must not hold back the guest or the others:
 * 4 MiB of output go through while it sleeps; it keeps the newest part. */
static void test_a_client_that_never_reads_blocks_nobody(Fixture *f, gconstpointer data)
{
    int sleeper = serial_mux_open_client(f->mux, 0, NULL);
    int reader = serial_mux_open_client(f->mux, 0, NULL);
    g_autoptr(GString) seen = g_string_new(NULL);
    g_autofree char *chunk = g_malloc(65536);
    size_t sent = 0;

    memset(chunk, 'x', 65536);
    g_unix_set_fd_nonblocking(f->vm, TRUE, NULL);
    while (sent < (4u << 20)) {
        ssize_t n = write(f->vm, chunk, 65536);
        if (n > 0)
            sent += (size_t)n;
        g_main_context_iteration(NULL, FALSE);
        drain(reader, seen);
    }
    guest_writes(f, "END");
    ITERATE_UNTIL(client_saw(reader, seen, "END"));
    g_assert_cmpuint(seen->len, ==, sent + 3);

    g_autoptr(GString) late = g_string_new(NULL);
    ITERATE_UNTIL(client_saw(sleeper, late, "END"));
    g_assert_cmpuint(late->len, <, sent);
    g_assert_true(g_str_has_suffix(late->str, "xxxEND"));
    close(sleeper);
    close(reader);
}

static void test_log_is_bounded_and_rotates(Fixture *f, gconstpointer data)
{
    g_autofree char *old = g_strconcat(f->log, ".1", NULL);
    g_autofree char *chunk = g_malloc(65536);
    struct stat cur, prev;

    memset(chunk, 'y', 65536);
    g_unix_set_fd_nonblocking(f->vm, TRUE, NULL);
    for (size_t sent = 0; sent < (3u << 20);) {
        ssize_t n = write(f->vm, chunk, 65536);
        if (n > 0)
            sent += (size_t)n;
        g_main_context_iteration(NULL, FALSE);
    }
    guest_writes(f, "LAST");
    ITERATE_UNTIL(log_ends_with(f->log, "LAST"));
    g_assert_cmpint(stat(f->log, &cur), ==, 0);
    g_assert_cmpint(stat(old, &prev), ==, 0);
    g_assert_cmpint(cur.st_size, <=, SERIAL_LOG_MAX);
    g_assert_cmpint(prev.st_size, <=, SERIAL_LOG_MAX);
    g_autoptr(GBytes) all = serial_log_tail(f->log, 0, NULL);
    g_assert_cmpuint(g_bytes_get_size(all), ==, (gsize)(cur.st_size + prev.st_size));
    g_autoptr(GBytes) tail = serial_log_tail(f->log, 1000, NULL);
    g_assert_cmpuint(g_bytes_get_size(tail), ==, 1000);
}

static void test_guest_gone_closes_clients(Fixture *f, gconstpointer data)
{
    int c = serial_mux_open_client(f->mux, 0, NULL);
    char byte;

    close(f->vm);
    f->vm = -1;
    ITERATE_UNTIL(!serial_mux_has_vm(f->mux));
    serial_mux_free(f->mux);
    f->mux = serial_mux_new("com1", f->log);
    g_assert_cmpint(recv(c, &byte, 1, 0), ==, 0); /* end of file */
    close(c);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
#define ADD(path, fn) g_test_add(path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
    ADD("/serial/output-reaches-every-client-and-the-log",
        test_output_reaches_every_client_and_the_log);
    ADD("/serial/history-comes-first", test_history_comes_first);
    ADD("/serial/clients-type-to-the-guest", test_clients_type_to_the_guest);
    ADD("/serial/a-client-that-never-reads-blocks-nobody",
        test_a_client_that_never_reads_blocks_nobody);
    ADD("/serial/log-is-bounded-and-rotates", test_log_is_bounded_and_rotates);
    ADD("/serial/guest-gone-closes-clients", test_guest_gone_closes_clients);
    return g_test_run();
}
