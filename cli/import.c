/* disk import / iso import: a file handed to cirrinad
 * (Manager.ImportDisk/ImportISO(s name, h fd, a{sv} options) -> o): the
 * file's own fd, or on a terminal a pipe fed from here with a progress
 * bar. A daemon without the methods gets a clear "not supported". */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctl.h"

typedef struct {
    bool done;
    int code;
    char *path;
} ImportReply;

/* A progress line is on the terminal without its line break. */
static bool progress_open;

static void end_progress(void)
{
    if (progress_open) {
        fputc('\n', stderr);
        progress_open = false;
    }
}

static int on_reply(sd_bus_message *m, void *userdata, sd_bus_error *unused)
{
    ImportReply *state = userdata;
    const sd_bus_error *error = sd_bus_message_get_error(m);
    const char *path;

    state->done = true;
    end_progress();
    if (error) {
        state->code = fail_bus(error, -EIO, "Import");
        return 0;
    }
    if (sd_bus_message_read(m, "o", &path) < 0)
        state->code = fail(EXIT_FAILURE, "Failed to read the imported object's path");
    else
        state->path = g_strdup(path);
    return 0;
}

/* After a synchronous import: the new object for scripts. */
static int imported(Ctl *ctl, Kind kind, sd_bus_message *reply)
{
    const char *path;
    if (sd_bus_message_read(reply, "o", &path) < 0)
        return fail(EXIT_FAILURE, "Failed to read the imported object's path");
    return ctl->json ? object_show_path(ctl, kind, path) : 0;
}

static void progress(const char *name, uint64_t sent, uint64_t total, bool final)
{
    g_autofree char *a = format_size(sent), *b = format_size(total);
    unsigned pct = total ? (unsigned)(sent * 100 / total) : 100;
    char bar[31];
    size_t fill = (size_t)pct * 30 / 100;
    memset(bar, '#', fill);
    memset(bar + fill, '.', 30 - fill);
    bar[30] = '\0';
    fprintf(stderr, "\r%s [%s] %3u%% %s/%s%s", name, bar, pct, a, b, final ? "\n" : "");
    progress_open = !final;
}

int import_file(Ctl *ctl, Kind kind, int argc, char **argv)
{
    const char *method = kind == KIND_DISK ? "ImportDisk" : "ImportISO";
    const char *what = kind == KIND_DISK ? "Importing disks" : "Importing ISOs";
    g_autoptr(GVariant) settings = NULL;
    g_autoptr(sd_bus_message) m = NULL;
    g_autoptr(sd_bus_slot) slot = NULL;
    ImportReply state = {0};
    struct stat st;
    int r;

    if (argc < 2)
        return usage_error("%s import needs a name and a file", kinds[kind].noun);
    r = api_require_method(ctl, what, IFACE_MANAGER, CIRRINA_PATH, method, "sha{sv}");
    if (r)
        return r;
    if (ctl->host)
        return fail(EXIT_FAILURE,
                    "%s over --host is not possible: file descriptors cannot cross the ssh "
                    "bridge; copy the file to %s and run cirrinactl there",
                    what, ctl->host);
    r = parse_settings(ctl, kind, NULL, argv + 2, argc - 2, &settings);
    if (r)
        return r;
    int file = open(argv[1], O_RDONLY | O_CLOEXEC);
    if (file < 0)
        return fail(EXIT_FAILURE, "%s: %s", argv[1], g_strerror(errno));
    if (fstat(file, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(file);
        return fail(EXIT_USAGE, "%s: not a regular file", argv[1]);
    }
    /* Without a terminal to show progress on, cirrinad reads the file
     * itself (the fastest way, no copy through here). */
    if (!isatty(STDERR_FILENO)) {
        g_autoptr(sd_bus_message) reply = NULL;
        r = ctl_new_call(ctl, CIRRINA_PATH, IFACE_MANAGER, method, &m);
        if (!r && (sd_bus_message_append(m, "sh", argv[0], file) < 0 ||
                   message_append_variant(m, settings) < 0))
            r = fail(EXIT_FAILURE, "Failed to build the %s call", method);
        close(file);
        if (!r)
            r = ctl_call(ctl, m, UINT64_MAX, &reply);
        return r ? r : imported(ctl, kind, reply);
    }

    /* On a terminal, the data goes through a pipe that this loop fills,
     * counting, with its Size announced: if cirrinactl dies half-way, the
     * import fails instead of keeping half a file. */
    g_autoptr(GVariant) given_size = g_variant_lookup_value(settings, "Size", NULL);
    if (!given_size) {
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        GVariantIter iter;
        GVariant *entry;
        g_variant_iter_init(&iter, settings);
        while ((entry = g_variant_iter_next_value(&iter))) {
            g_variant_builder_add_value(&b, entry);
            g_variant_unref(entry);
        }
        g_variant_builder_add(&b, "{sv}", "Size", g_variant_new_uint64((uint64_t)st.st_size));
        g_variant_unref(settings);
        settings = g_variant_ref_sink(g_variant_builder_end(&b));
    }
    int pipe_fds[2];
    if (pipe(pipe_fds) < 0) {
        close(file);
        return fail(EXIT_FAILURE, "Failed to make a pipe: %s", g_strerror(errno));
    }
    fcntl(pipe_fds[1], F_SETFL, fcntl(pipe_fds[1], F_GETFL) | O_NONBLOCK);
    signal(SIGPIPE, SIG_IGN);

    r = ctl_new_call(ctl, CIRRINA_PATH, IFACE_MANAGER, method, &m);
    if (!r && (sd_bus_message_append(m, "sh", argv[0], pipe_fds[0]) < 0 ||
               message_append_variant(m, settings) < 0))
        r = fail(EXIT_FAILURE, "Failed to build the %s call", method);
    close(pipe_fds[0]); /* the message holds its own copy */
    if (!r && sd_bus_call_async(ctl->bus, &slot, m, on_reply, &state, UINT64_MAX) < 0)
        r = fail(EXIT_FAILURE, "Failed to send the %s call", method);
    if (r) {
        close(file);
        close(pipe_fds[1]);
        return r;
    }

    uint64_t sent = 0, total = (uint64_t)st.st_size;
    char buf[65536];
    size_t have = 0, offset = 0;
    int out = pipe_fds[1];
    time_t last = 0;
    while (!state.done) {
        r = sd_bus_process(ctl->bus, NULL);
        if (r < 0) {
            end_progress();
            state.code = fail(EXIT_FAILURE, "Lost the connection: %s", g_strerror(-r));
            break;
        }
        if (r > 0)
            continue;
        if (out >= 0 && have == offset) {
            ssize_t n = read(file, buf, sizeof buf);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0) { /* all sent (or unreadable: the daemon sees a short file) */
                if (n < 0) {
                    end_progress();
                    fprintf(stderr, "cirrinactl: %s: %s\n", argv[1], g_strerror(errno));
                }
                close(out);
                out = -1;
                progress(argv[0], sent, total, true);
            } else {
                have = (size_t)n;
                offset = 0;
            }
        }
        struct pollfd p[2] = {
            {.fd = sd_bus_get_fd(ctl->bus), .events = (short)sd_bus_get_events(ctl->bus)},
            {.fd = out, .events = POLLOUT},
        };
        if (poll(p, 2, -1) < 0 && errno != EINTR) {
            end_progress();
            state.code = fail(EXIT_FAILURE, "poll: %s", g_strerror(errno));
            break;
        }
        if (out >= 0 && (p[1].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t n = write(out, buf + offset, have - offset);
            if (n < 0 && errno != EAGAIN && errno != EINTR) {
                /* The daemon stopped reading: its reply says why. */
                close(out);
                out = -1;
            } else if (n > 0) {
                offset += (size_t)n;
                sent += (uint64_t)n;
                if (time(NULL) != last) {
                    last = time(NULL);
                    progress(argv[0], sent, total, false);
                }
            }
        }
    }
    if (out >= 0)
        close(out);
    close(file);
    if (state.code || !state.path) {
        g_free(state.path);
        return state.code ? state.code : EXIT_FAILURE;
    }
    r = ctl->json ? object_show_path(ctl, kind, state.path) : 0;
    g_free(state.path);
    return r;
}
