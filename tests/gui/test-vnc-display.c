/* CirrinaVncDisplay against a real QEMU (TCG, SeaBIOS on the VGA), on a
 * socket connected to QEMU's VNC unix socket, the kind OpenDisplay hands
 * out. Runs under Xvfb (GDK_BACKEND=x11).
 *
 * Keys are checked where QEMU receives them: its trace events
 * vnc_key_event_ext (the scancode the VNC server got) and ps2_put_keycode
 * (what reached the emulated keyboard), and on screen (SeaBIOS's boot menu
 * opens on Esc). */
#include <glib/gstdio.h>
#include <gtk/gtk.h>
#include <linux/input-event-codes.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "geometry.h"
#include "keymap.h"
#include "vnc-test-util.h"

/* ---- Pure functions ------------------------------------------------------ */

static void test_keymap_known_pairs(void)
{
    static const struct {
        guint linux_code;
        guint16 qnum;
    } pairs[] = {
        {KEY_ESC, 0x01},       {KEY_1, 0x02},         {KEY_A, 0x1e},        {KEY_ENTER, 0x1c},
        {KEY_LEFTCTRL, 0x1d},  {KEY_LEFTSHIFT, 0x2a}, {KEY_LEFTALT, 0x38},  {KEY_SPACE, 0x39},
        {KEY_F1, 0x3b},        {KEY_F10, 0x44},       {KEY_KPDOT, 0x53},    {KEY_102ND, 0x56},
        {KEY_F11, 0x57},       {KEY_F12, 0x58},       {KEY_SYSRQ, 0x54},    {KEY_KPENTER, 0x9c},
        {KEY_RIGHTCTRL, 0x9d}, {KEY_KPSLASH, 0xb5},   {KEY_RIGHTALT, 0xb8}, {KEY_HOME, 0xc7},
        {KEY_UP, 0xc8},        {KEY_PAGEUP, 0xc9},    {KEY_LEFT, 0xcb},     {KEY_RIGHT, 0xcd},
        {KEY_END, 0xcf},       {KEY_DOWN, 0xd0},      {KEY_PAGEDOWN, 0xd1}, {KEY_INSERT, 0xd2},
        {KEY_DELETE, 0xd3},    {KEY_PAUSE, 0xc6},     {KEY_LEFTMETA, 0xdb}, {KEY_RIGHTMETA, 0xdc},
        {KEY_COMPOSE, 0xdd},   {KEY_POWER, 0xde},     {KEY_MUTE, 0xa0},     {KEY_VOLUMEUP, 0xb0},
        {KEY_RO, 0x73},        {KEY_YEN, 0x7d},       {KEY_HENKAN, 0x79},
    };

    for (gsize i = 0; i < G_N_ELEMENTS(pairs); i++) {
        g_test_message("Linux key %u", pairs[i].linux_code);
        g_assert_cmphex(cirrina_vnc_keymap_linux_to_qnum(pairs[i].linux_code), ==, pairs[i].qnum);
    }
    /* No scancode: nothing, never a wrong key. */
    g_assert_cmphex(cirrina_vnc_keymap_linux_to_qnum(KEY_RESERVED), ==, 0);
    g_assert_cmphex(cirrina_vnc_keymap_linux_to_qnum(84), ==, 0);
    g_assert_cmphex(cirrina_vnc_keymap_linux_to_qnum(KEY_HANGEUL), ==, 0);
    g_assert_cmphex(cirrina_vnc_keymap_linux_to_qnum(KEY_MICMUTE), ==, 0);
    g_assert_cmphex(cirrina_vnc_keymap_linux_to_qnum(BTN_LEFT), ==, 0);
    g_assert_cmphex(cirrina_vnc_keymap_linux_to_qnum(G_MAXUINT), ==, 0);

    /* X11 evdev / Wayland: keycode 9 is Esc, 38 is A. */
    g_assert_cmpuint(cirrina_vnc_keymap_hardware_to_linux(9), ==, KEY_ESC);
    g_assert_cmpuint(cirrina_vnc_keymap_hardware_to_linux(38), ==, KEY_A);
    g_assert_cmpuint(cirrina_vnc_keymap_hardware_to_linux(3), ==, 0);
}

static void test_keymap_no_two_keys_alike(void)
{
    /* Two keys sending one scancode would make one of them type the other.
     * The database has one such pair: Apple's ISO section key shares
     * Katakana/Hiragana's code. */
    guint owner[256] = {0};

    for (guint code = 1; code < 768; code++) {
        guint16 qnum = cirrina_vnc_keymap_linux_to_qnum(code);

        if (!qnum)
            continue;
        g_assert_cmphex(qnum, <, 0x100);
        if (owner[qnum] && !(code == KEY_ISO && owner[qnum] == KEY_KATAKANAHIRAGANA))
            g_error("Linux keys %u and %u both map to 0x%x", owner[qnum], code, qnum);
        owner[qnum] = code;
    }
}

static void test_layout_scale_to_fit(void)
{
    CirrinaVncLayout l;
    int fx, fy;

    /* Same aspect ratio: fills the widget. */
    cirrina_vnc_layout_compute(&l, 800, 600, 640, 480, TRUE);
    g_assert_cmpfloat_with_epsilon(l.scale, 1.25, 1e-9);
    g_assert_cmpfloat(l.x, ==, 0);
    g_assert_cmpfloat(l.y, ==, 0);
    g_assert_true(cirrina_vnc_layout_to_framebuffer(&l, 640, 480, 0, 0, &fx, &fy));
    g_assert_cmpint(fx, ==, 0);
    g_assert_cmpint(fy, ==, 0);
    g_assert_true(cirrina_vnc_layout_to_framebuffer(&l, 640, 480, 799.9, 599.9, &fx, &fy));
    g_assert_cmpint(fx, ==, 639);
    g_assert_cmpint(fy, ==, 479);
    g_assert_true(cirrina_vnc_layout_to_framebuffer(&l, 640, 480, 400, 300, &fx, &fy));
    g_assert_cmpint(fx, ==, 320);
    g_assert_cmpint(fy, ==, 240);

    /* Wider widget: bars left and right, the picture centred. */
    cirrina_vnc_layout_compute(&l, 1000, 600, 640, 480, TRUE);
    g_assert_cmpfloat_with_epsilon(l.scale, 1.25, 1e-9);
    g_assert_cmpfloat(l.x, ==, 100);
    g_assert_cmpfloat(l.y, ==, 0);
    g_assert_cmpfloat(l.width, ==, 800);
    g_assert_true(cirrina_vnc_layout_to_framebuffer(&l, 640, 480, 100, 0, &fx, &fy));
    g_assert_cmpint(fx, ==, 0);
    g_assert_true(cirrina_vnc_layout_to_framebuffer(&l, 640, 480, 500, 300, &fx, &fy));
    g_assert_cmpint(fx, ==, 320);
    g_assert_cmpint(fy, ==, 240);
    /* In the bar: outside, pinned to the edge. */
    g_assert_false(cirrina_vnc_layout_to_framebuffer(&l, 640, 480, 50, 300, &fx, &fy));
    g_assert_cmpint(fx, ==, 0);
    g_assert_cmpint(fy, ==, 240);
    g_assert_false(cirrina_vnc_layout_to_framebuffer(&l, 640, 480, 950, 300, &fx, &fy));
    g_assert_cmpint(fx, ==, 639);

    /* Smaller widget: shrinks. 720x400 in 360x400: half size, bars above
     * and below. */
    cirrina_vnc_layout_compute(&l, 360, 400, 720, 400, TRUE);
    g_assert_cmpfloat_with_epsilon(l.scale, 0.5, 1e-9);
    g_assert_cmpfloat(l.x, ==, 0);
    g_assert_cmpfloat(l.y, ==, 100);
    g_assert_true(cirrina_vnc_layout_to_framebuffer(&l, 720, 400, 180, 200, &fx, &fy));
    g_assert_cmpint(fx, ==, 360);
    g_assert_cmpint(fy, ==, 200);
}

static void test_layout_one_to_one(void)
{
    CirrinaVncLayout l;
    int fx, fy;

    /* Larger widget: 1:1, centred. */
    cirrina_vnc_layout_compute(&l, 800, 600, 640, 480, FALSE);
    g_assert_cmpfloat(l.scale, ==, 1);
    g_assert_cmpfloat(l.x, ==, 80);
    g_assert_cmpfloat(l.y, ==, 60);
    g_assert_true(cirrina_vnc_layout_to_framebuffer(&l, 640, 480, 90.5, 80.5, &fx, &fy));
    g_assert_cmpint(fx, ==, 10);
    g_assert_cmpint(fy, ==, 20);

    /* Smaller widget (a parent scrolls): 1:1 from the corner. */
    cirrina_vnc_layout_compute(&l, 320, 200, 640, 480, FALSE);
    g_assert_cmpfloat(l.scale, ==, 1);
    g_assert_cmpfloat(l.x, ==, 0);
    g_assert_cmpfloat(l.y, ==, 0);
    g_assert_true(cirrina_vnc_layout_to_framebuffer(&l, 640, 480, 300, 150, &fx, &fy));
    g_assert_cmpint(fx, ==, 300);
    g_assert_cmpint(fy, ==, 150);

    /* Odd leftover: whole pixels, so 1:1 stays sharp. */
    cirrina_vnc_layout_compute(&l, 641, 481, 640, 480, FALSE);
    g_assert_cmpfloat(l.x, ==, 0);
    g_assert_cmpfloat(l.y, ==, 0);

    /* No framebuffer. */
    cirrina_vnc_layout_compute(&l, 800, 600, 0, 0, TRUE);
    g_assert_false(cirrina_vnc_layout_to_framebuffer(&l, 0, 0, 10, 10, &fx, &fy));
}

static void test_display_closed(void)
{
    GtkWidget *display = g_object_ref_sink(cirrina_vnc_display_new());
    CirrinaVncDisplay *self = CIRRINA_VNC_DISPLAY(display);
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_build_filename(g_get_tmp_dir(), "cirrina-vnc-none.png", NULL);
    g_autofree char *label = NULL;

    g_assert_true(gtk_widget_get_focusable(display));
    g_assert_cmpint(gtk_accessible_get_accessible_role(GTK_ACCESSIBLE(display)), ==,
                    GTK_ACCESSIBLE_ROLE_IMG);
    g_assert_false(cirrina_vnc_display_get_connected(self));
    g_assert_cmpint(cirrina_vnc_display_get_width(self), ==, 0);
    g_assert_null(cirrina_vnc_display_get_texture(self));
    g_assert_false(cirrina_vnc_display_save_screenshot(self, path, &error));
    g_assert_error(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED);
    g_assert_false(g_file_test(path, G_FILE_TEST_EXISTS));
    g_assert_true(cirrina_vnc_display_get_scale_to_fit(self));
    g_object_set(display, "scale-to-fit", FALSE, "password", "secret", NULL);
    g_assert_false(cirrina_vnc_display_get_scale_to_fit(self));
    /* Keys go nowhere, and are not taken from the rest of the window. */
    g_assert_false(cirrina_vnc_display_process_key(self, 9, GDK_KEY_Escape, TRUE));
    cirrina_vnc_display_send_ctrl_alt_del(self);
    cirrina_vnc_display_close(self);
    g_object_unref(display);
}

/* ---- QEMU ---------------------------------------------------------------- */

typedef struct {
    char *dir;
    char *socket_path;
    char *trace_path;
    GSubprocess *process;
} Qemu;

static Qemu qemu;

static gboolean socket_exists(gpointer data)
{
    return g_file_test(qemu.socket_path, G_FILE_TEST_EXISTS);
}

static void die_with_parent(gpointer data)
{
    /* A failed assertion aborts the test: QEMU must not outlive it (nor keep
     * its output open for the test runner to wait on). */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static void qemu_start(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GSubprocessLauncher) launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
    g_autofree char *vnc = NULL;

    if (qemu.process)
        return;
    qemu.dir = g_dir_make_tmp("cirrina-vnc-XXXXXX", &error);
    g_assert_no_error(error);
    qemu.socket_path = g_build_filename(qemu.dir, "vnc.sock", NULL);
    qemu.trace_path = g_build_filename(qemu.dir, "qemu.log", NULL);
    vnc = g_strdup_printf("unix:%s", qemu.socket_path);
    /* SeaBIOS waits up to 65 s at "Press ESC for boot menu"; the empty
     * CD-ROM drive gives the menu an entry. */
    g_subprocess_launcher_set_child_setup(launcher, die_with_parent, NULL, NULL);
    qemu.process = g_subprocess_launcher_spawn(
        launcher, &error, "qemu-system-x86_64", "-nodefaults", "-no-user-config", "-machine",
        "pc,accel=tcg", "-m", "32", "-vga", "std", "-display", "none", "-vnc", vnc, "-drive",
        "if=ide,media=cdrom", "-boot", "menu=on,splash-time=65000", "-serial", "none", "-monitor",
        "none", "-trace", "vnc_key_event_ext", "-trace", "ps2_put_keycode", "-D", qemu.trace_path,
        NULL);
    g_assert_no_error(error);
    g_assert_true(vnc_test_wait_for(socket_exists, NULL, VNC_TEST_TIMEOUT));
}

static void qemu_stop(void)
{
    if (!qemu.process)
        return;
    g_subprocess_send_signal(qemu.process, SIGTERM);
    g_subprocess_wait(qemu.process, NULL, NULL);
    g_clear_object(&qemu.process);
    g_unlink(qemu.socket_path);
    g_unlink(qemu.trace_path);
    g_rmdir(qemu.dir);
    g_clear_pointer(&qemu.dir, g_free);
    g_clear_pointer(&qemu.socket_path, g_free);
    g_clear_pointer(&qemu.trace_path, g_free);
}

/* A socket connected to QEMU's VNC server: what OpenDisplay returns. */
static int qemu_connect(void)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_assert_cmpint(fd, >=, 0);
    g_assert_cmpuint(strlen(qemu.socket_path), <, sizeof(addr.sun_path));
    strcpy(addr.sun_path, qemu.socket_path);
    g_assert_cmpint(connect(fd, (struct sockaddr *)&addr, sizeof(addr)), ==, 0);
    return fd;
}

static char *qemu_trace(void)
{
    char *text = NULL;

    g_assert_true(g_file_get_contents(qemu.trace_path, &text, NULL, NULL));
    return text;
}

/* ---- The display on QEMU ------------------------------------------------- */

static void fixture_setup(VncFixture *f, gconstpointer data)
{
    qemu_start();
    vnc_fixture_init(f);
    vnc_fixture_open(f, qemu_connect());
}

static void fixture_teardown(VncFixture *f, gconstpointer data)
{
    vnc_fixture_clear(f);
}

static gboolean is_null(gpointer data)
{
    return *(gpointer *)data == NULL;
}

static gboolean is_disconnected(gpointer data)
{
    return ((VncFixture *)data)->disconnected > 0;
}

/* How many pixels are not the most common colour (the background). */
static gsize count_lit_pixels(GdkTexture *texture, gboolean *all_opaque)
{
    int width = gdk_texture_get_width(texture);
    int height = gdk_texture_get_height(texture);
    g_autofree guint32 *pixels = g_new(guint32, (gsize)width * height);
    g_autoptr(GHashTable) counts = g_hash_table_new(NULL, NULL);
    guint32 background = 0;
    guint best = 0;
    gsize lit = 0;

    /* Cairo's format: native-endian ARGB32. */
    gdk_texture_download(texture, (guchar *)pixels, width * 4);
    *all_opaque = TRUE;
    for (gsize i = 0; i < (gsize)width * height; i++) {
        guint n = GPOINTER_TO_UINT(g_hash_table_lookup(counts, GUINT_TO_POINTER(pixels[i]))) + 1;

        g_hash_table_insert(counts, GUINT_TO_POINTER(pixels[i]), GUINT_TO_POINTER(n));
        if (n > best) {
            best = n;
            background = pixels[i];
        }
        if (pixels[i] >> 24 != 0xff)
            *all_opaque = FALSE;
    }
    for (gsize i = 0; i < (gsize)width * height; i++)
        if (pixels[i] != background)
            lit++;
    return lit;
}

/* The first row with a pixel unlike the top-left one (the background). */
static int first_lit_row(GdkTexture *texture)
{
    int width = gdk_texture_get_width(texture);
    int height = gdk_texture_get_height(texture);
    g_autofree guint32 *pixels = g_new(guint32, (gsize)width * height);

    gdk_texture_download(texture, (guchar *)pixels, width * 4);
    for (int y = 0; y < height; y++)
        for (int x = 0; x < width; x++)
            if (pixels[(gsize)y * width + x] != pixels[0])
                return y;
    return -1;
}

typedef struct {
    VncFixture *f;
    gsize at_least;
} LitWait;

static gboolean has_lit_pixels(gpointer data)
{
    LitWait *w = data;
    g_autoptr(GdkTexture) texture = cirrina_vnc_display_get_texture(w->f->self);
    gboolean opaque;

    return texture && count_lit_pixels(texture, &opaque) >= w->at_least;
}

typedef struct {
    VncFixture *f;
    gsize last;
    int same;
} Settle;

static gboolean has_settled(gpointer data)
{
    Settle *s = data;
    g_autoptr(GdkTexture) texture = NULL;
    gboolean opaque;
    gsize lit;

    vnc_test_spin(250);
    texture = cirrina_vnc_display_get_texture(s->f->self);
    lit = texture ? count_lit_pixels(texture, &opaque) : 0;
    /* The blinking text cursor is 9x2 pixels: less than twice that is no
     * change. */
    s->same = lit + 36 >= s->last && lit <= s->last + 36 ? s->same + 1 : 0;
    s->last = lit;
    return s->same >= 4;
}

/* Wait until the guest has stopped drawing for a second: SeaBIOS prints
 * one character at a time, slowly under TCG. */
static void wait_for_screen_to_settle(VncFixture *f)
{
    Settle settle = {f, 0, 0};

    g_assert_true(vnc_test_wait_for(has_settled, &settle, VNC_TEST_TIMEOUT));
}

/* What the widget draws, rendered as the window would. */
static GdkTexture *render_widget(GtkWidget *widget)
{
    g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new(widget);
    g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new();
    g_autoptr(GskRenderNode) node = NULL;
    GskRenderer *renderer = gtk_native_get_renderer(gtk_widget_get_native(widget));

    gdk_paintable_snapshot(paintable, snapshot, gtk_widget_get_width(widget),
                           gtk_widget_get_height(widget));
    node = gtk_snapshot_free_to_node(g_steal_pointer(&snapshot));
    g_assert_nonnull(node);
    return gsk_renderer_render_texture(
        renderer, node,
        &GRAPHENE_RECT_INIT(0, 0, gtk_widget_get_width(widget), gtk_widget_get_height(widget)));
}

static void test_qemu_screen(VncFixture *f, gconstpointer data)
{
    LitWait text = {f, 500};
    g_autofree char *png = vnc_test_screenshot_path("vnc-display.png");
    g_autofree char *widget_png = vnc_test_screenshot_path("vnc-widget.png");
    g_autoptr(GError) error = NULL;
    g_autoptr(GdkTexture) loaded = NULL;
    g_autoptr(GdkTexture) rendered = NULL;
    g_autoptr(GdkTexture) texture = NULL;
    CirrinaVncLayout layout;
    gboolean opaque = FALSE;
    int width, height;

    g_assert_true(cirrina_vnc_display_get_connected(f->self));
    g_object_get(f->display, "width", &width, "height", &height, NULL);
    g_assert_cmpint(width, >, 0);
    g_assert_cmpint(height, >, 0);

    /* SeaBIOS's banner and prompt: a few hundred pixels of text. */
    g_assert_true(vnc_test_wait_for(has_lit_pixels, &text, VNC_TEST_TIMEOUT));
    wait_for_screen_to_settle(f);
    /* The BIOS may have changed video mode since (a desktop resize). */
    g_object_get(f->display, "width", &width, "height", &height, NULL);
    texture = cirrina_vnc_display_get_texture(f->self);
    g_assert_cmpint(gdk_texture_get_width(texture), ==, cirrina_vnc_display_get_width(f->self));
    g_assert_cmpint(gdk_texture_get_height(texture), ==, cirrina_vnc_display_get_height(f->self));
    g_assert_cmpuint(count_lit_pixels(texture, &opaque), >=, text.at_least);
    g_assert_true(opaque);

    g_assert_true(cirrina_vnc_display_save_screenshot(f->self, png, &error));
    g_assert_no_error(error);
    loaded = gdk_texture_new_from_filename(png, &error);
    g_assert_no_error(error);
    g_assert_cmpint(gdk_texture_get_width(loaded), ==, gdk_texture_get_width(texture));
    g_assert_cmpint(gdk_texture_get_height(loaded), ==, gdk_texture_get_height(texture));
    g_assert_cmpuint(count_lit_pixels(loaded, &opaque), >=, text.at_least);
    g_assert_true(opaque);

    /* Drawn into the widget, scaled to fit: the text is there, opaque, and
     * starts where the layout puts the picture (below a bar: the window is
     * 4:3, the text screen wider). */
    vnc_test_spin(300);
    rendered = render_widget(f->display);
    g_assert_true(gdk_texture_save_to_png(rendered, widget_png));
    g_assert_cmpint(gdk_texture_get_width(rendered), ==, gtk_widget_get_width(f->display));
    g_assert_cmpuint(count_lit_pixels(rendered, &opaque), >=, 100);
    g_assert_true(opaque);
    cirrina_vnc_layout_compute(&layout, gtk_widget_get_width(f->display),
                               gtk_widget_get_height(f->display), width, height, TRUE);
    g_assert_cmpfloat(layout.y, >, 0);
    g_assert_cmpfloat(layout.scale, <, 1);
    g_assert_cmpint(
        abs(first_lit_row(rendered) - (int)(layout.y + first_lit_row(texture) * layout.scale)), <=,
        2);

    /* 1:1: the widget asks for the whole picture, and draws it unscaled. */
    g_object_set(f->display, "scale-to-fit", FALSE, NULL);
    vnc_test_spin(300);
    g_assert_cmpint(gtk_widget_get_width(f->display), >=, width);
    g_assert_cmpint(gtk_widget_get_height(f->display), >=, height);
    g_clear_object(&rendered);
    rendered = render_widget(f->display);
    cirrina_vnc_layout_compute(&layout, gtk_widget_get_width(f->display),
                               gtk_widget_get_height(f->display), width, height, FALSE);
    g_assert_cmpint(first_lit_row(rendered), ==, (int)layout.y + first_lit_row(texture));
    g_assert_cmpuint(f->errors->len, ==, 0);
}

static gboolean trace_has(gpointer data)
{
    g_autofree char *trace = qemu_trace();

    return strstr(trace, data) != NULL;
}

/* QEMU logs "vnc_key_event_ext down 1, sym 0xff1b, keycode 0x1 [esc]". */
static void assert_qemu_got_key(guint16 qnum, gboolean down)
{
    g_autofree char *needle = g_strdup_printf("down %d, sym", down ? 1 : 0);
    g_autofree char *code = g_strdup_printf("keycode 0x%x [", qnum);
    gboolean found = FALSE;

    for (int tries = 0; tries < VNC_TEST_TIMEOUT * 10 && !found; tries++) {
        g_autofree char *trace = qemu_trace();
        g_auto(GStrv) lines = g_strsplit(trace, "\n", -1);

        for (char **l = lines; *l && !found; l++)
            found = strstr(*l, "vnc_key_event_ext") && strstr(*l, needle) && strstr(*l, code);
        if (!found)
            vnc_test_spin(100);
    }
    if (!found) {
        g_autofree char *trace = qemu_trace();
        g_error("QEMU did not get scancode 0x%x %s; its trace:\n%s", qnum, down ? "down" : "up",
                trace);
    }
}

static void test_qemu_keys(VncFixture *f, gconstpointer data)
{
    LitWait prompt = {f, 500};
    g_autofree char *png = vnc_test_screenshot_path("vnc-boot-menu.png");
    g_autoptr(GError) error = NULL;
    gboolean opaque;
    g_autoptr(GdkTexture) texture = NULL;
    gsize before;
    LitWait menu;

    g_assert_true(vnc_test_wait_for(has_lit_pixels, &prompt, VNC_TEST_TIMEOUT));
    /* Let the BIOS reach its prompt, then press Esc as a key event from GDK
     * would: X11 keycode 9. */
    wait_for_screen_to_settle(f);
    texture = cirrina_vnc_display_get_texture(f->self);
    before = count_lit_pixels(texture, &opaque);
    gtk_widget_grab_focus(f->display);
    g_assert_true(cirrina_vnc_display_process_key(f->self, 9, GDK_KEY_Escape, TRUE));
    g_assert_true(cirrina_vnc_display_process_key(f->self, 9, GDK_KEY_Escape, FALSE));
    assert_qemu_got_key(0x01, TRUE);
    assert_qemu_got_key(0x01, FALSE);
    /* It reached the VM's PS/2 keyboard (set 2: Esc is 0x76). */
    g_assert_true(vnc_test_wait_for(trace_has, "ps2_put_keycode", VNC_TEST_TIMEOUT));

    /* SeaBIOS lists the boot devices: many more lit pixels than a blinking
     * cursor could make. */
    menu = (LitWait){f, before + 300};
    g_assert_true(vnc_test_wait_for(has_lit_pixels, &menu, VNC_TEST_TIMEOUT));
    wait_for_screen_to_settle(f);
    g_assert_true(cirrina_vnc_display_save_screenshot(f->self, png, &error));
    g_assert_no_error(error);

    /* Extended keys: 0xe0-prefixed, sent as 0x80 | code. */
    g_assert_true(
        cirrina_vnc_display_process_key(f->self, KEY_RIGHTCTRL + 8, GDK_KEY_Control_R, TRUE));
    g_assert_true(
        cirrina_vnc_display_process_key(f->self, KEY_RIGHTCTRL + 8, GDK_KEY_Control_R, FALSE));
    assert_qemu_got_key(0x9d, TRUE);
    assert_qemu_got_key(0x9d, FALSE);

    /* A key still held when focus moves elsewhere is released in the VM. */
    g_assert_true(
        cirrina_vnc_display_process_key(f->self, KEY_LEFTSHIFT + 8, GDK_KEY_Shift_L, TRUE));
    assert_qemu_got_key(0x2a, TRUE);
    gtk_widget_grab_focus(f->button);
    assert_qemu_got_key(0x2a, FALSE);

    /* A release whose press the display never saw stays out of the VM. */
    g_assert_true(cirrina_vnc_display_process_key(f->self, KEY_B + 8, GDK_KEY_b, FALSE));

    /* Ctrl+Alt+Del: pressed in order, released in reverse. */
    cirrina_vnc_display_send_ctrl_alt_del(f->self);
    assert_qemu_got_key(0x1d, TRUE);
    assert_qemu_got_key(0x38, TRUE);
    assert_qemu_got_key(0xd3, TRUE);
    assert_qemu_got_key(0xd3, FALSE);
    assert_qemu_got_key(0x38, FALSE);
    assert_qemu_got_key(0x1d, FALSE);
    {
        g_autofree char *trace = qemu_trace();
        const char *ctrl = strstr(trace, "keycode 0x1d [");
        const char *del = strstr(trace, "keycode 0xd3 [");

        g_assert_nonnull(ctrl);
        g_assert_nonnull(del);
        g_assert_true(ctrl < del);
        g_assert_null(strstr(trace, "keycode 0x30 ["));
    }
}

/* ---- Connection lifecycle ------------------------------------------------ */

static void test_close_before_start(void)
{
    VncFixture f;

    qemu_start();
    vnc_fixture_init(&f);
    /* Closed before gvnc even took the fd: "disconnected" once, and the
     * connection still goes away. */
    g_assert_true(cirrina_vnc_display_open_fd(f.self, qemu_connect()));
    g_assert_false(cirrina_vnc_display_open_fd(f.self, dup(0)));
    g_assert_false(cirrina_vnc_display_get_connected(f.self));
    vnc_fixture_clear(&f);
}

static void test_server_gone(void)
{
    VncFixture f;
    gpointer conn;

    qemu_start();
    vnc_fixture_init(&f);
    vnc_fixture_open(&f, qemu_connect());

    /* The VM goes away: the display says so and lets go of the picture and
     * the connection. */
    conn = f.self->conn;
    g_object_add_weak_pointer(conn, &conn);
    qemu_stop();
    g_assert_true(vnc_test_wait_for(is_disconnected, &f, VNC_TEST_TIMEOUT));
    g_assert_false(cirrina_vnc_display_get_connected(f.self));
    g_assert_null(cirrina_vnc_display_get_texture(f.self));
    g_assert_true(vnc_test_wait_for(is_null, &conn, VNC_TEST_TIMEOUT));
    vnc_fixture_clear(&f);
}

int main(int argc, char **argv)
{
    g_autofree char *qemu_binary = g_find_program_in_path("qemu-system-x86_64");
    int status;

    g_setenv("GDK_BACKEND", "x11", FALSE);
    gtk_test_init(&argc, &argv, NULL);

    g_test_add_func("/vnc/keymap/known-pairs", test_keymap_known_pairs);
    g_test_add_func("/vnc/keymap/no-two-keys-alike", test_keymap_no_two_keys_alike);
    g_test_add_func("/vnc/layout/scale-to-fit", test_layout_scale_to_fit);
    g_test_add_func("/vnc/layout/one-to-one", test_layout_one_to_one);
    g_test_add_func("/vnc/display/closed", test_display_closed);
    if (qemu_binary) {
        g_test_add("/vnc/qemu/screen", VncFixture, NULL, fixture_setup, test_qemu_screen,
                   fixture_teardown);
        g_test_add("/vnc/qemu/keys", VncFixture, NULL, fixture_setup, test_qemu_keys,
                   fixture_teardown);
        g_test_add_func("/vnc/qemu/close-before-start", test_close_before_start);
        g_test_add_func("/vnc/qemu/server-gone", test_server_gone);
    } else {
        g_test_message("qemu-system-x86_64 is not installed: the QEMU tests are skipped");
    }
    status = g_test_run();
    qemu_stop();
    return status;
}
