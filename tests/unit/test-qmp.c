/* The QMP client (hv/qmp.c) against a unix socket standing in for QEMU's
 * monitor: answers it counts, refusals it reports, and a monitor that
 * sends one endless line, which it must give up on instead of buffering
 * without bound. */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "hv/qmp.h"
#include "test-common.h"

#define GREETING                                                                                   \
    "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 2, \"major\": 7}, "              \
    "\"package\": \"Debian 1:7.2\"}, \"capabilities\": [\"oob\"]}}\r\n"
#define RETURN "{\"return\": {}}\r\n"

typedef struct {
    TmpDir *tmp;
    char *path;
    int listener;
    int peer; /* QEMU's side of the connection */
    unsigned calls;
    GError *error;
} Fixture;

static void on_done(const GError *error, void *data)
{
    Fixture *f = data;

    f->calls++;
    if (error)
        f->error = g_error_copy(error);
}

static void fixture_set_up(Fixture *f, gconstpointer data)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};

    f->tmp = tmp_dir_new();
    f->path = tmp_path(f->tmp, "qmp.sock");
    g_strlcpy(addr.sun_path, f->path, sizeof(addr.sun_path));
    f->listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(f->listener, >=, 0);
    g_assert_cmpint(bind(f->listener, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
    g_assert_cmpint(listen(f->listener, 1), ==, 0);
    f->peer = -1;
}

static void fixture_tear_down(Fixture *f, gconstpointer data)
{
    if (f->peer >= 0)
        close(f->peer);
    close(f->listener);
    g_clear_error(&f->error);
    g_free(f->path);
    tmp_dir_free(f->tmp);
}

/* Starts a call with commands and takes QEMU's end of its connection. */
static void start(Fixture *f, const char *const *commands)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(qmp_execute(f->path, commands, on_done, f, &error));
    g_assert_no_error(error);
    f->peer = accept4(f->listener, NULL, NULL, SOCK_CLOEXEC);
    g_assert_cmpint(f->peer, >=, 0);
}

static void run_pending(void)
{
    while (g_main_context_iteration(NULL, FALSE))
        ;
}

/* Sends text as QEMU would, letting the client read meanwhile (it reads
 * in the main loop, as in the daemon). */
static void qemu_says(Fixture *f, const char *text)
{
    size_t len = strlen(text);

    for (size_t off = 0; off < len;) {
        ssize_t n = send(f->peer, text + off, len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0)
            g_assert_cmpint(errno, ==, EAGAIN);
        else
            off += (size_t)n;
        run_pending();
    }
}

/* Runs the main loop until done has run, or fails after 10 s. */
static void wait_done(Fixture *f)
{
    gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;

    while (f->calls == 0 && g_get_monotonic_time() < deadline)
        g_main_context_iteration(NULL, FALSE);
    g_assert_cmpuint(f->calls, ==, 1);
}

static void test_answered(Fixture *f, gconstpointer data)
{
    const char *const commands[] = {"{\"execute\":\"system_reset\"}", NULL};
    /* An event of 512 kB, longer than QEMU's longest reply, is still read. */
    g_autofree char *long_event = g_strdup_printf(
        "{\"event\": \"RESET\", \"data\": {\"padding\": \"%0*d\"}}\r\n", 512 * 1024, 0);
    char sent[256] = "";

    start(f, commands);
    qemu_says(f, GREETING);
    qemu_says(f, RETURN);
    qemu_says(f, long_event);
    qemu_says(f, RETURN);
    wait_done(f);
    g_assert_no_error(f->error);
    /* What QEMU was asked: negotiation first, then the command. */
    g_assert_cmpint(read(f->peer, sent, sizeof(sent) - 1), >, 0);
    g_assert_cmpstr(sent, ==,
                    "{\"execute\":\"qmp_capabilities\"}\n{\"execute\":\"system_reset\"}\n");
}

static void test_refused(Fixture *f, gconstpointer data)
{
    const char *const commands[] = {"{\"execute\":\"system_powerdown\"}", NULL};
    g_autofree char *refusal = g_strdup_printf(
        "{\"error\": {\"class\": \"GenericError\", \"desc\": \"no %0*d\"}}\r\n", 100000, 0);

    start(f, commands);
    qemu_says(f, GREETING);
    qemu_says(f, RETURN);
    qemu_says(f, refusal);
    wait_done(f);
    assert_error_mentions(f->error,
                          "QEMU refused a command: {\"error\": {\"class\": \"GenericError\"");
    /* A refusal of 100 kB is shown in part: it goes into a log line. */
    g_assert_cmpuint(strlen(f->error->message), <, 1024);
    g_assert_true(g_str_has_suffix(f->error->message, "..."));
}

/* QEMU sends one line that never ends (8 MiB, then it closes). The client
 * must stop at its limit and call the monitor broken, well before the end;
 * without a limit it reads all of it and only learns of the close. */
static void test_endless_line(Fixture *f, gconstpointer data)
{
    const char *const commands[] = {"{\"execute\":\"system_powerdown\"}", NULL};
    const size_t total = 8 * TEST_MiB, chunk = 64 * 1024;
    g_autofree char *junk = g_malloc(chunk);
    size_t sent = 0;

    memset(junk, 'x', chunk);
    start(f, commands);
    qemu_says(f, GREETING);
    while (sent < total && f->calls == 0) {
        ssize_t n = send(f->peer, junk, chunk, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0 && (errno == EPIPE || errno == ECONNRESET))
            break; /* the client hung up */
        if (n < 0)
            g_assert_cmpint(errno, ==, EAGAIN);
        else
            sent += (size_t)n;
        run_pending();
    }
    close(f->peer);
    f->peer = -1;
    wait_done(f);
    assert_error_mentions(f->error, "QEMU's monitor sent a line longer than 1048576 bytes");
    g_test_message("sent %zu bytes before the client gave up", sent);
    g_assert_cmpuint(sent, <, total);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add("/qmp/answered", Fixture, NULL, fixture_set_up, test_answered, fixture_tear_down);
    g_test_add("/qmp/refused", Fixture, NULL, fixture_set_up, test_refused, fixture_tear_down);
    g_test_add("/qmp/endless-line", Fixture, NULL, fixture_set_up, test_endless_line,
               fixture_tear_down);
    return g_test_run();
}
