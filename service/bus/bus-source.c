#include "bus/bus-source.h"

#include <errno.h>
#include <poll.h>
#include <time.h>

typedef struct {
    GSource source;
    sd_bus *bus;
    gpointer fd_tag;
    GIOCondition events; /* what the fd is polled for now */
} BusSource;

/* sd_bus_get_timeout answers an absolute CLOCK_MONOTONIC time in usec, the
 * clock g_get_monotonic_time uses too; UINT64_MAX means none. */
static gboolean bus_source_prepare(GSource *source, gint *timeout_ms)
{
    BusSource *s = (BusSource *)source;
    uint64_t until;
    int events = sd_bus_get_events(s->bus);
    GIOCondition wanted = events > 0 ? (GIOCondition)events : 0;

    /* Only on a change: g_source_modify_unix_fd wakes the context up, so
     * calling it in every prepare kept the loop spinning (a busy core). */
    if (wanted != s->events) {
        g_source_modify_unix_fd(source, s->fd_tag, wanted);
        s->events = wanted;
    }
    *timeout_ms = -1;
    if (sd_bus_get_timeout(s->bus, &until) >= 0 && until != UINT64_MAX) {
        gint64 now = g_get_monotonic_time();
        if ((gint64)until <= now) {
            *timeout_ms = 0;
            return TRUE;
        }
        *timeout_ms = (gint)MIN((until - (uint64_t)now + 999) / 1000, (uint64_t)G_MAXINT);
    }
    return FALSE;
}

static gboolean bus_source_check(GSource *source)
{
    BusSource *s = (BusSource *)source;
    uint64_t until;

    if (g_source_query_unix_fd(source, s->fd_tag) != 0)
        return TRUE;
    return sd_bus_get_timeout(s->bus, &until) >= 0 && until != UINT64_MAX &&
           (gint64)until <= g_get_monotonic_time();
}

static gboolean bus_source_dispatch(GSource *source, GSourceFunc callback, gpointer data)
{
    BusSource *s = (BusSource *)source;
    int r;

    /* Process everything queued, so no message waits for the next poll. */
    do
        r = sd_bus_process(s->bus, NULL);
    while (r > 0);
    if (r < 0 && r != -EBUSY) {
        g_warning("Lost the bus connection: %s", g_strerror(-r));
        return callback ? callback(data) : G_SOURCE_REMOVE;
    }
    return G_SOURCE_CONTINUE;
}

static void bus_source_finalize(GSource *source)
{
    sd_bus_unref(((BusSource *)source)->bus);
}

static GSourceFuncs bus_source_funcs = {
    .prepare = bus_source_prepare,
    .check = bus_source_check,
    .dispatch = bus_source_dispatch,
    .finalize = bus_source_finalize,
};

GSource *bus_source_new(sd_bus *bus)
{
    GSource *source = g_source_new(&bus_source_funcs, sizeof(BusSource));
    BusSource *s = (BusSource *)source;

    s->bus = sd_bus_ref(bus);
    s->events = G_IO_IN;
    s->fd_tag = g_source_add_unix_fd(source, sd_bus_get_fd(bus), G_IO_IN);
    g_source_set_name(source, "sd-bus");
    return source;
}
