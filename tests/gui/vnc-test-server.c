/* The RFB test server (see vnc-test-server.h). Blocking I/O in its own
 * thread; the test talks to it through a command queue and reads its log. */
#include "vnc-test-server.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define ENCODING_DESKTOP_SIZE  (-223)
#define ENCODING_RICH_CURSOR   (-239)
#define ENCODING_EXT_KEY_EVENT (-258)

typedef struct {
    enum { COMMAND_CUT_TEXT, COMMAND_RESIZE, COMMAND_CURSOR } type;
    int width, height, hot_x, hot_y;
    char *text;
} Command;

struct VncTestServer {
    VncTestServerOptions options;
    int fd;
    int wake[2]; /* a byte per queued command */
    GThread *thread;
    GMutex lock;
    GString *log;    /* under lock */
    GQueue commands; /* under lock */

    /* The thread's own. */
    int width, height;
    gboolean big_endian;
    int shift[3];
    gboolean picture_due; /* the client asked and has not had it */
    gboolean changed;     /* the picture changed since last sent */
};

static gboolean read_all(VncTestServer *s, void *buf, gsize n)
{
    guint8 *p = buf;

    while (n > 0) {
        ssize_t r = recv(s->fd, p, n, 0);

        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return FALSE;
        p += r;
        n -= r;
    }
    return TRUE;
}

static gboolean write_all(VncTestServer *s, const void *buf, gsize n)
{
    const guint8 *p = buf;

    while (n > 0) {
        /* No SIGPIPE when the display has already hung up. */
        ssize_t w = send(s->fd, p, n, MSG_NOSIGNAL);

        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return FALSE;
        p += w;
        n -= w;
    }
    return TRUE;
}

static void put_u16(GByteArray *b, guint16 v)
{
    guint8 bytes[2] = {v >> 8, v & 0xff};

    g_byte_array_append(b, bytes, 2);
}

static void put_u32(GByteArray *b, guint32 v)
{
    guint8 bytes[4] = {v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff};

    g_byte_array_append(b, bytes, 4);
}

static guint16 get_u16(const guint8 *p)
{
    return (guint16)(p[0] << 8 | p[1]);
}

static guint32 get_u32(const guint8 *p)
{
    return (guint32)p[0] << 24 | (guint32)p[1] << 16 | (guint32)p[2] << 8 | p[3];
}

static void log_line(VncTestServer *s, const char *format, ...) G_GNUC_PRINTF(2, 3);
static void log_line(VncTestServer *s, const char *format, ...)
{
    va_list args;

    g_mutex_lock(&s->lock);
    va_start(args, format);
    g_string_append_vprintf(s->log, format, args);
    va_end(args);
    g_string_append_c(s->log, '\n');
    g_mutex_unlock(&s->lock);
}

static char *hex(const guint8 *data, gsize n)
{
    GString *out = g_string_new(NULL);

    for (gsize i = 0; i < n; i++)
        g_string_append_printf(out, "%02x", data[i]);
    return g_string_free(out, FALSE);
}

static void rect_header(GByteArray *b, int x, int y, int w, int h, gint32 encoding)
{
    put_u16(b, x);
    put_u16(b, y);
    put_u16(b, w);
    put_u16(b, h);
    put_u32(b, (guint32)encoding);
}

/* Pixels of the test pattern (left half red, right half blue), width x
 * height, in the client's format. */
static void put_pattern(VncTestServer *s, GByteArray *b, int width, int height)
{
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++) {
            guint32 rgb = x < width / 2 ? VNC_TEST_SERVER_LEFT_RGB : VNC_TEST_SERVER_RIGHT_RGB;
            guint32 pixel = ((rgb >> 16) & 0xff) << s->shift[0] |
                            ((rgb >> 8) & 0xff) << s->shift[1] | (rgb & 0xff) << s->shift[2];
            guint32 wire = s->big_endian ? GUINT32_TO_BE(pixel) : GUINT32_TO_LE(pixel);

            g_byte_array_append(b, (guint8 *)&wire, 4);
        }
}

/* A FramebufferUpdate of one raw rectangle: the whole picture. */
static gboolean send_picture(VncTestServer *s)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    guint8 head[2] = {0, 0};

    g_byte_array_append(b, head, 2);
    put_u16(b, 1);
    rect_header(b, 0, 0, s->width, s->height, 0);
    put_pattern(s, b, s->width, s->height);
    s->picture_due = FALSE;
    s->changed = FALSE;
    return write_all(s, b->data, b->len);
}

/* RichCursor: the hotspot is the rectangle's position; pixels, then a mask
 * of one bit per pixel, rows padded to bytes. */
static gboolean send_cursor(VncTestServer *s, Command *c)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    guint8 head[2] = {0, 0};
    int row = (c->width + 7) / 8;

    g_byte_array_append(b, head, 2);
    put_u16(b, 1);
    rect_header(b, c->hot_x, c->hot_y, c->width, c->height, ENCODING_RICH_CURSOR);
    put_pattern(s, b, c->width, c->height);
    for (int y = 0; y < c->height; y++)
        for (int x = 0; x < row; x++) {
            guint8 bits = y == 0 && x == 0 ? 0x7f : 0xff;

            g_byte_array_append(b, &bits, 1);
        }
    return write_all(s, b->data, b->len);
}

static gboolean send_pseudo_rect(VncTestServer *s, int width, int height, gint32 encoding)
{
    g_autoptr(GByteArray) b = g_byte_array_new();
    guint8 head[2] = {0, 0};

    g_byte_array_append(b, head, 2);
    put_u16(b, 1);
    rect_header(b, 0, 0, width, height, encoding);
    return write_all(s, b->data, b->len);
}

static gboolean handshake(VncTestServer *s)
{
    guint8 version[12], type, shared, answer[16];
    /* A fixed challenge: the answer then depends on the password only. */
    guint8 challenge[16] = "cirrina-vnc-test";
    guint8 ok[4] = {0, 0, 0, 0};
    g_autoptr(GByteArray) init = g_byte_array_new();
    static const char name[] = "test";

    if (!write_all(s, "RFB 003.008\n", 12) || !read_all(s, version, 12))
        return FALSE;
    type = s->options.password ? 2 : 1;
    if (!write_all(s, (guint8[]){1, type}, 2) || !read_all(s, &type, 1))
        return FALSE;
    if (type == 2) {
        if (!write_all(s, challenge, 16) || !read_all(s, answer, 16))
            return FALSE;
        g_autofree char *answer_hex = hex(answer, 16);
        log_line(s, "auth %s", answer_hex);
    }
    if (!write_all(s, ok, 4) || !read_all(s, &shared, 1))
        return FALSE;

    /* ServerInit: 32 bits per pixel, depth 24, little-endian 0x00RRGGBB. */
    put_u16(init, s->width);
    put_u16(init, s->height);
    g_byte_array_append(init, (guint8[]){32, 24, 0, 1}, 4);
    put_u16(init, 255);
    put_u16(init, 255);
    put_u16(init, 255);
    g_byte_array_append(init, (guint8[]){16, 8, 0, 0, 0, 0}, 6);
    put_u32(init, strlen(name));
    g_byte_array_append(init, (const guint8 *)name, strlen(name));
    return write_all(s, init->data, init->len);
}

static gboolean client_message(VncTestServer *s)
{
    guint8 type, m[20];
    g_autofree guint8 *data = NULL;

    if (!read_all(s, &type, 1))
        return FALSE;
    switch (type) {
    case 0: /* SetPixelFormat */
        if (!read_all(s, m, 19))
            return FALSE;
        s->big_endian = m[5];
        s->shift[0] = m[13];
        s->shift[1] = m[14];
        s->shift[2] = m[15];
        log_line(s, "pixel-format %d %d %d %d %d %d", m[3], m[4], m[5], m[13], m[14], m[15]);
        return TRUE;
    case 2: { /* SetEncodings */
        g_autoptr(GString) line = g_string_new("encodings");
        gboolean ext_key = FALSE;
        guint16 n;

        if (!read_all(s, m, 3))
            return FALSE;
        n = get_u16(m + 1);
        data = g_malloc(n * 4u + 1);
        if (!read_all(s, data, n * 4u))
            return FALSE;
        for (guint i = 0; i < n; i++) {
            gint32 e = (gint32)get_u32(data + 4 * i);

            g_string_append_printf(line, " %d", e);
            ext_key |= e == ENCODING_EXT_KEY_EVENT;
        }
        log_line(s, "%s", line->str);
        /* As QEMU does: a pseudo-rectangle says the extension is there. */
        if (ext_key && s->options.ext_key_event)
            return send_pseudo_rect(s, 0, 0, ENCODING_EXT_KEY_EVENT);
        return TRUE;
    }
    case 3: /* FramebufferUpdateRequest */
        if (!read_all(s, m, 9))
            return FALSE;
        s->picture_due = TRUE;
        /* Incremental with nothing new: hold it until something changes. */
        if (!m[0] || s->changed)
            return send_picture(s);
        return TRUE;
    case 4: /* KeyEvent */
        if (!read_all(s, m, 7))
            return FALSE;
        log_line(s, "key %d 0x%x", m[0], get_u32(m + 3));
        return TRUE;
    case 5: /* PointerEvent */
        if (!read_all(s, m, 5))
            return FALSE;
        log_line(s, "pointer %d %d %d", m[0], get_u16(m + 1), get_u16(m + 3));
        return TRUE;
    case 6: { /* ClientCutText */
        guint32 n;

        if (!read_all(s, m, 7))
            return FALSE;
        n = get_u32(m + 3);
        g_assert_cmpuint(n, <, 1 << 20);
        data = g_malloc(n + 1);
        if (!read_all(s, data, n))
            return FALSE;
        g_autofree char *text_hex = hex(data, n);
        log_line(s, "cut %s", text_hex);
        return TRUE;
    }
    case 255: /* QEMU: subtype 0 is the extended key event */
        if (!read_all(s, m, 11))
            return FALSE;
        g_assert_cmpuint(m[0], ==, 0);
        log_line(s, "qkey %d 0x%x 0x%x", get_u16(m + 1), get_u32(m + 3), get_u32(m + 7));
        return TRUE;
    default:
        log_line(s, "unknown message %d", type);
        return FALSE;
    }
}

static gboolean run_command(VncTestServer *s, Command *c)
{
    g_autoptr(GByteArray) b = g_byte_array_new();

    switch (c->type) {
    case COMMAND_CUT_TEXT:
        g_byte_array_append(b, (guint8[]){3, 0, 0, 0}, 4);
        put_u32(b, strlen(c->text));
        g_byte_array_append(b, (const guint8 *)c->text, strlen(c->text));
        return write_all(s, b->data, b->len);
    case COMMAND_RESIZE:
        s->width = c->width;
        s->height = c->height;
        s->changed = TRUE;
        if (!send_pseudo_rect(s, c->width, c->height, ENCODING_DESKTOP_SIZE))
            return FALSE;
        return s->picture_due ? send_picture(s) : TRUE;
    case COMMAND_CURSOR:
        return send_cursor(s, c);
    }
    return FALSE;
}

static void command_free(Command *c)
{
    g_free(c->text);
    g_free(c);
}

static gpointer serve(gpointer data)
{
    VncTestServer *s = data;
    gboolean running = handshake(s);

    while (running) {
        struct pollfd fds[2] = {{s->fd, POLLIN, 0}, {s->wake[0], POLLIN, 0}};

        if (poll(fds, 2, -1) < 0) {
            running = errno == EINTR;
            continue;
        }
        if (fds[1].revents) {
            guint8 byte;
            Command *c;

            running = read(s->wake[0], &byte, 1) == 1;
            g_mutex_lock(&s->lock);
            c = g_queue_pop_head(&s->commands);
            g_mutex_unlock(&s->lock);
            if (c) {
                running = running && run_command(s, c);
                command_free(c);
            }
        }
        if (running && fds[0].revents)
            running = client_message(s);
    }
    return NULL;
}

VncTestServer *vnc_test_server_new(const VncTestServerOptions *options, int *client_fd)
{
    VncTestServer *s = g_new0(VncTestServer, 1);
    int pair[2];

    g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair), ==, 0);
    g_assert_cmpint(pipe(s->wake), ==, 0);
    s->options = *options;
    s->width = options->width;
    s->height = options->height;
    s->shift[0] = 16;
    s->shift[1] = 8;
    s->fd = pair[0];
    *client_fd = pair[1];
    s->log = g_string_new(NULL);
    g_mutex_init(&s->lock);
    g_queue_init(&s->commands);
    s->thread = g_thread_new("vnc-test-server", serve, s);
    return s;
}

void vnc_test_server_free(VncTestServer *s)
{
    if (!s)
        return;
    g_thread_join(s->thread);
    close(s->fd);
    close(s->wake[0]);
    close(s->wake[1]);
    g_queue_clear_full(&s->commands, (GDestroyNotify)command_free);
    g_mutex_clear(&s->lock);
    g_string_free(s->log, TRUE);
    g_free(s);
}

char *vnc_test_server_get_log(VncTestServer *s)
{
    char *copy;

    g_mutex_lock(&s->lock);
    copy = g_strdup(s->log->str);
    g_mutex_unlock(&s->lock);
    return copy;
}

int vnc_test_server_find(VncTestServer *s, const char *line, int from)
{
    g_autofree char *log = vnc_test_server_get_log(s);
    g_autofree char *framed_log = g_strconcat("\n", log, NULL);
    g_autofree char *framed_line = g_strconcat("\n", line, "\n", NULL);
    const char *at;

    if (from < 0 || (gsize)from > strlen(framed_log))
        return -1;
    at = strstr(framed_log + from, framed_line);
    return at ? (int)(at - framed_log) : -1;
}

static void queue_command(VncTestServer *s, Command *c)
{
    g_mutex_lock(&s->lock);
    g_queue_push_tail(&s->commands, c);
    g_mutex_unlock(&s->lock);
    g_assert_cmpint(write(s->wake[1], "c", 1), ==, 1);
}

void vnc_test_server_send_cut_text(VncTestServer *s, const char *latin1)
{
    Command *c = g_new0(Command, 1);

    c->type = COMMAND_CUT_TEXT;
    c->text = g_strdup(latin1);
    queue_command(s, c);
}

void vnc_test_server_resize(VncTestServer *s, int width, int height)
{
    Command *c = g_new0(Command, 1);

    c->type = COMMAND_RESIZE;
    c->width = width;
    c->height = height;
    queue_command(s, c);
}

void vnc_test_server_send_cursor(VncTestServer *s, int width, int height, int hot_x, int hot_y)
{
    Command *c = g_new0(Command, 1);

    c->type = COMMAND_CURSOR;
    c->width = width;
    c->height = height;
    c->hot_x = hot_x;
    c->hot_y = hot_y;
    queue_command(s, c);
}
