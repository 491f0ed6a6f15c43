/* CirrinaSerialTerminal on a socket pair (no daemon, no guest): what the
 * "guest" end writes is what the terminal shows, what the user types
 * reaches that end, the end closing is reported, and reattaching after a
 * restart shows the History replay without repeating what was shown. */
#include <gtk/gtk.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cirrina-serial-terminal.h"

#define WAIT_SECONDS 10

typedef struct {
    GtkWindow *window;
    CirrinaSerialTerminal *term;
    int guest; /* the other end of the socket pair */
    unsigned disconnected;
} Fixture;

static void on_disconnected(CirrinaSerialTerminal *term, gpointer data)
{
    Fixture *f = data;
    f->disconnected++;
}

static int attach_pair(Fixture *f)
{
    int sv[2];
    g_assert_no_errno(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
    cirrina_serial_terminal_attach(f->term, sv[0]);
    f->guest = sv[1];
    return sv[1];
}

static void setup(Fixture *f, gconstpointer data)
{
    f->window = GTK_WINDOW(gtk_window_new());
    gtk_window_set_default_size(f->window, 800, 400);
    f->term = cirrina_serial_terminal_new();
    gtk_window_set_child(f->window, GTK_WIDGET(f->term));
    g_signal_connect(f->term, "disconnected", G_CALLBACK(on_disconnected), f);
    gtk_window_present(f->window);
    attach_pair(f);
}

static void teardown(Fixture *f, gconstpointer data)
{
    if (f->guest >= 0)
        close(f->guest);
    gtk_window_destroy(f->window);
    while (g_main_context_iteration(NULL, FALSE))
        ;
}

/* Everything the terminal holds, scrollback included. */
static char *terminal_text(Fixture *f)
{
    VteTerminal *vte = cirrina_serial_terminal_get_vte(f->term);
    glong rows = vte_terminal_get_row_count(vte);
    glong cursor_row;
    vte_terminal_get_cursor_position(vte, NULL, &cursor_row);
    return vte_terminal_get_text_range(vte, 0, 0, MAX(rows, cursor_row + 1), 0, NULL, NULL, NULL);
}

static unsigned count(const char *haystack, const char *needle)
{
    unsigned n = 0;
    for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* Runs the main loop until the terminal shows needle n times. */
static void wait_for_text(Fixture *f, const char *needle, unsigned n)
{
    gint64 deadline = g_get_monotonic_time() + WAIT_SECONDS * G_USEC_PER_SEC;
    for (;;) {
        g_autofree char *text = terminal_text(f);
        if (count(text, needle) >= n)
            return;
        if (g_get_monotonic_time() > deadline)
            g_error("'%s' not shown %u time(s); the terminal shows:\n%s", needle, n, text);
        g_main_context_iteration(NULL, FALSE);
        g_usleep(5000);
    }
}

static void guest_writes(Fixture *f, const char *text)
{
    g_assert_cmpint(write(f->guest, text, strlen(text)), ==, (ssize_t)strlen(text));
}

/* What the guest end received within the wait, up to want bytes. */
static char *guest_reads(Fixture *f, size_t want)
{
    GString *got = g_string_new(NULL);
    gint64 deadline = g_get_monotonic_time() + WAIT_SECONDS * G_USEC_PER_SEC;
    while (got->len < want && g_get_monotonic_time() < deadline) {
        char buf[256];
        ssize_t n = recv(f->guest, buf, sizeof buf, MSG_DONTWAIT);
        if (n > 0)
            g_string_append_len(got, buf, n);
        g_main_context_iteration(NULL, FALSE);
        g_usleep(2000);
    }
    return g_string_free(got, FALSE);
}

static void test_shows_output(Fixture *f, gconstpointer data)
{
    g_assert_true(cirrina_serial_terminal_get_attached(f->term));
    guest_writes(f, "Booting...\r\nCIRRINA-GUEST-READY\r\n~ # ");
    wait_for_text(f, "CIRRINA-GUEST-READY", 1);
    wait_for_text(f, "Booting...", 1);
}

static void test_typing_reaches_guest(Fixture *f, gconstpointer data)
{
    VteTerminal *vte = cirrina_serial_terminal_get_vte(f->term);
    /* As the keyboard does: VTE turns keys into bytes and commits them. */
    vte_terminal_feed_child(vte, "echo $((6*7))\r", -1);
    g_autofree char *got = guest_reads(f, 14);
    g_assert_cmpstr(got, ==, "echo $((6*7))\r");
}

static void test_scrollback(Fixture *f, gconstpointer data)
{
    VteTerminal *vte = cirrina_serial_terminal_get_vte(f->term);
    g_assert_cmpint(vte_terminal_get_scrollback_lines(vte), ==, 10000);
    /* 3000 lines: far more than a screen, all still there. */
    GString *lines = g_string_new(NULL);
    for (int i = 0; i < 3000; i++)
        g_string_append_printf(lines, "line-%04d\r\n", i);
    guest_writes(f, lines->str);
    g_string_free(lines, TRUE);
    wait_for_text(f, "line-2999", 1);
    g_autofree char *text = terminal_text(f);
    g_assert_nonnull(strstr(text, "line-0000"));
}

static void test_close_reported(Fixture *f, gconstpointer data)
{
    guest_writes(f, "bye\r\n");
    close(f->guest);
    f->guest = -1;
    gint64 deadline = g_get_monotonic_time() + WAIT_SECONDS * G_USEC_PER_SEC;
    while (f->disconnected == 0 && g_get_monotonic_time() < deadline)
        g_main_context_iteration(NULL, TRUE);
    g_assert_cmpuint(f->disconnected, ==, 1);
    g_assert_false(cirrina_serial_terminal_get_attached(f->term));
    /* What was shown stays. */
    wait_for_text(f, "bye", 1);
    /* Typing into a closed console goes nowhere, quietly. */
    vte_terminal_feed_child(cirrina_serial_terminal_get_vte(f->term), "x", 1);
}

/* The VM restarted: the new console's History repeats the previous run's
 * end before the new output; the terminal shows each line once. */
static void test_reattach_skips_replay(Fixture *f, gconstpointer data)
{
    GString *old_run = g_string_new(NULL);
    for (int i = 0; i < 200; i++)
        g_string_append_printf(old_run, "old-%03d\r\n", i);
    g_string_append(old_run, "OLD-END\r\n");
    guest_writes(f, old_run->str);
    wait_for_text(f, "OLD-END", 1);
    close(f->guest);
    while (cirrina_serial_terminal_get_attached(f->term))
        g_main_context_iteration(NULL, TRUE);

    attach_pair(f);
    /* The replay: the last 600 bytes of the old run, then the new run. */
    g_autofree char *replay = g_strconcat(old_run->str + old_run->len - 600, "NEW-BOOT\r\n", NULL);
    guest_writes(f, replay);
    wait_for_text(f, "NEW-BOOT", 1);
    guest_writes(f, "NEW-LIVE\r\n");
    wait_for_text(f, "NEW-LIVE", 1);
    g_autofree char *text = terminal_text(f);
    g_assert_cmpuint(count(text, "OLD-END"), ==, 1);
    g_assert_cmpuint(count(text, "old-150"), ==, 1);
    g_assert_cmpuint(count(text, "NEW-BOOT"), ==, 1);
    g_string_free(old_run, TRUE);
}

/* A replay that starts after what was shown (the new run wrote more than
 * the History holds) is shown whole. */
static void test_reattach_unrelated_replay(Fixture *f, gconstpointer data)
{
    guest_writes(f, "first run\r\n");
    wait_for_text(f, "first run", 1);
    close(f->guest);
    while (cirrina_serial_terminal_get_attached(f->term))
        g_main_context_iteration(NULL, TRUE);

    attach_pair(f);
    guest_writes(f, "second run, line 1\r\n");
    wait_for_text(f, "second run, line 1", 1);
    g_autofree char *text = terminal_text(f);
    g_assert_cmpuint(count(text, "first run"), ==, 1);
}

int main(int argc, char **argv)
{
    gtk_test_init(&argc, &argv, NULL);

#define ADD(name, fn) g_test_add(name, Fixture, NULL, setup, fn, teardown)
    ADD("/serial-terminal/shows-output", test_shows_output);
    ADD("/serial-terminal/typing-reaches-guest", test_typing_reaches_guest);
    ADD("/serial-terminal/scrollback", test_scrollback);
    ADD("/serial-terminal/close-reported", test_close_reported);
    ADD("/serial-terminal/reattach-skips-replay", test_reattach_skips_replay);
    ADD("/serial-terminal/reattach-unrelated-replay", test_reattach_unrelated_replay);
#undef ADD
    return g_test_run();
}
