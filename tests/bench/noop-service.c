/* noop-service: the floor for a method round trip (tests/bench/api-bench).
 *
 * A D-Bus service that does nothing: it owns a name on the system bus (the
 * bench's private one, from DBUS_SYSTEM_BUS_ADDRESS, reached exactly as
 * cirrinad reaches it) and answers at once:
 *
 *   org.cirrina.BenchNoop at /org/cirrina/BenchNoop
 *     Get(s name) -> (o path)   the shape of Manager.GetVM, a constant path
 *     Ping()                    no arguments, no answer but the return
 *
 * Whatever a call to cirrinad costs beyond a call to this service is
 * cirrinad's own work (its main loop, authorization, lookup, reply); what
 * both cost is the bus and the client.
 *
 * Usage: noop-service [NAME]   (default org.cirrina.BenchNoop)
 * Prints "ready" on stdout once it owns the name; exits 0 on SIGTERM or
 * SIGINT, or when the bus goes away. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "cirrina-sd-bus.h"

#define NOOP_PATH  "/org/cirrina/BenchNoop"
#define NOOP_IFACE "org.cirrina.BenchNoop"

static int method_get(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    const char *name;
    int r = sd_bus_message_read(m, "s", &name);

    if (r < 0)
        return r;
    return sd_bus_reply_method_return(m, "o", NOOP_PATH);
}

static int method_ping(sd_bus_message *m, void *userdata, sd_bus_error *error)
{
    return sd_bus_reply_method_return(m, "");
}

static const sd_bus_vtable noop_vtable[] = {
    SD_BUS_VTABLE_START(0),
    SD_BUS_METHOD("Get", "s", "o", method_get, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_METHOD("Ping", "", "", method_ping, SD_BUS_VTABLE_UNPRIVILEGED),
    SD_BUS_VTABLE_END,
};

/* Milliseconds until sd-bus's next timeout, for poll(); -1 for none. */
static int poll_timeout(sd_bus *bus)
{
    uint64_t until;
    struct timespec ts;

    if (sd_bus_get_timeout(bus, &until) < 0 || until == UINT64_MAX)
        return -1;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t now = (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
    return until <= now ? 0 : (int)MIN((until - now + 999) / 1000, (uint64_t)G_MAXINT);
}

/* Processes the bus until a signal arrives on sigfd or the bus fails. */
static int serve(sd_bus *bus, int sigfd)
{
    for (;;) {
        int r;

        do
            r = sd_bus_process(bus, NULL);
        while (r > 0);
        if (r < 0)
            return r;
        struct pollfd fds[2] = {
            {.fd = sd_bus_get_fd(bus), .events = (short)sd_bus_get_events(bus)},
            {.fd = sigfd, .events = POLLIN},
        };
        if (poll(fds, 2, poll_timeout(bus)) < 0 && errno != EINTR)
            return -errno;
        if (fds[1].revents & POLLIN)
            return 0;
    }
}

int main(int argc, char **argv)
{
    const char *name = argc > 1 ? argv[1] : NOOP_IFACE;
    sd_bus *bus = NULL;
    sigset_t mask;
    int sigfd, r;

    /* Signals arrive through a signalfd, polled with the bus: a clean exit
     * (and LeakSanitizer's report) without a race against poll(). */
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    sigfd = signalfd(-1, &mask, SFD_CLOEXEC);
    if (sigfd < 0) {
        fprintf(stderr, "noop-service: signalfd: %s\n", strerror(errno));
        return 1;
    }

    r = sd_bus_open_system(&bus);
    if (r >= 0)
        r = sd_bus_add_object_vtable(bus, NULL, NOOP_PATH, NOOP_IFACE, noop_vtable, NULL);
    if (r >= 0)
        r = sd_bus_request_name(bus, name, 0);
    if (r < 0) {
        fprintf(stderr, "noop-service: cannot serve %s on the system bus: %s\n", name,
                strerror(-r));
        sd_bus_flush_close_unref(bus);
        close(sigfd);
        return 1;
    }
    printf("ready\n");
    fflush(stdout);

    r = serve(bus, sigfd);
    sd_bus_flush_close_unref(bus);
    close(sigfd);
    if (r < 0) {
        fprintf(stderr, "noop-service: bus: %s\n", strerror(-r));
        return 1;
    }
    return 0;
}
