/* A serial console on the terminal, as `virsh console` does it: the
 * terminal in raw mode, bytes copied both ways, Ctrl+] to detach, the
 * terminal restored on every way out (return, exit, fatal signal, stop). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "ctl.h"

#define ESCAPE_CHAR 0x1d /* Ctrl+] */

static struct termios saved_termios, raw_termios;
static volatile sig_atomic_t terminal_raw;
static int tty_fd = -1;

static void restore_terminal(void)
{
    if (terminal_raw) {
        tcsetattr(tty_fd, TCSADRAIN, &saved_termios);
        terminal_raw = 0;
    }
}

/* Only async-signal-safe calls below. */
static void on_fatal_signal(int sig)
{
    restore_terminal();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Stopped (SIGTSTP from kill, SIGTTIN/SIGTTOU): the terminal as it was
 * while stopped, raw again once continued. */
static void on_stop_signal(int sig)
{
    int saved_errno = errno;
    sigset_t set;
    bool was_raw = terminal_raw;

    if (was_raw)
        tcsetattr(tty_fd, TCSADRAIN, &saved_termios);
    signal(sig, SIG_DFL);
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    raise(sig);
    /* Continued. */
    signal(sig, on_stop_signal);
    if (was_raw)
        tcsetattr(tty_fd, TCSADRAIN, &raw_termios);
    errno = saved_errno;
}

static int make_terminal_raw(int fd)
{
    static bool handlers_installed;

    if (tcgetattr(fd, &saved_termios) < 0)
        return -errno;
    raw_termios = saved_termios;
    cfmakeraw(&raw_termios);
    tty_fd = fd;
    if (!handlers_installed) {
        static const int fatal[] = {SIGTERM, SIGHUP, SIGINT, SIGQUIT, SIGABRT, SIGSEGV, SIGBUS};
        static const int stops[] = {SIGTSTP, SIGTTIN, SIGTTOU};
        atexit(restore_terminal);
        for (size_t i = 0; i < G_N_ELEMENTS(fatal); i++)
            signal(fatal[i], on_fatal_signal);
        for (size_t i = 0; i < G_N_ELEMENTS(stops); i++)
            signal(stops[i], on_stop_signal);
        handlers_installed = true;
    }
    terminal_raw = 1;
    if (tcsetattr(fd, TCSADRAIN, &raw_termios) < 0) {
        terminal_raw = 0;
        return -errno;
    }
    return 0;
}

/* Writes all of buf, waiting where fd is non-blocking. */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                struct pollfd p = {.fd = fd, .events = POLLOUT};
                if (poll(&p, 1, -1) < 0 && errno != EINTR)
                    return -errno;
                continue;
            }
            return -errno;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

int console_attach(int fd, unsigned flags, const char *what)
{
    char buf[16384];
    bool raw = flags & CONSOLE_RAW;
    bool on_terminal = !raw && isatty(STDIN_FILENO);
    bool input_ended = false;
    int result;

    signal(SIGPIPE, SIG_IGN);
    if (!raw)
        fprintf(stderr, "Connected to %s.\nEscape character is ^] (Ctrl+]).\n", what);
    if (on_terminal) {
        int r = make_terminal_raw(STDIN_FILENO);
        if (r < 0)
            return r;
    }

    for (;;) {
        struct pollfd p[2] = {
            {.fd = input_ended ? -1 : STDIN_FILENO, .events = POLLIN},
            {.fd = fd, .events = POLLIN},
        };
        if (poll(p, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            result = -errno;
            break;
        }
        /* The guest's output first. */
        if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(fd, buf, sizeof buf);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n < 0 && errno != ECONNRESET) {
                result = -errno;
                break;
            }
            if (n <= 0) {
                result = input_ended ? CONSOLE_INPUT_ENDED : CONSOLE_CLOSED;
                break;
            }
            int r = write_all(STDOUT_FILENO, buf, (size_t)n);
            if (r < 0) {
                result = r;
                break;
            }
        }
        if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
            if (n < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (n < 0) {
                result = -errno;
                break;
            }
            if (n == 0) {
                if (!(flags & CONSOLE_DRAIN)) {
                    result = CONSOLE_INPUT_ENDED;
                    break;
                }
                /* The other side sees the end too, and finishes. */
                shutdown(fd, SHUT_WR);
                input_ended = true;
                continue;
            }
            const char *escape = raw ? NULL : memchr(buf, ESCAPE_CHAR, (size_t)n);
            int r = write_all(fd, buf, escape ? (size_t)(escape - buf) : (size_t)n);
            if (r < 0) {
                result = r == -EPIPE || r == -ECONNRESET ? CONSOLE_CLOSED : r;
                break;
            }
            if (escape) {
                result = CONSOLE_DETACHED;
                break;
            }
        }
    }

    restore_terminal();
    if (on_terminal)
        fputc('\n', stderr);
    return result;
}
