/* CirrinaVncDisplay: the widget (drawing, properties, signals, the public
 * API). The connection is in cirrina-vnc-connection.c, input in
 * cirrina-vnc-input.c, the clipboard in cirrina-vnc-clipboard.c, the pixels
 * in framebuffer.c. */
#include "cirrina-vnc-display-private.h"
#include "geometry.h"

#ifdef __FreeBSD__
#include <dev/evdev/input-event-codes.h>
#else
#include <linux/input-event-codes.h>
#endif
#include <math.h>

/* Smallest size asked for when scaling: the picture can shrink that far. */
#define MIN_SCALED_SIZE 64

enum {
    PROP_0,
    PROP_SCALE_TO_FIT,
    PROP_PASSWORD,
    PROP_CONNECTED,
    PROP_WIDTH,
    PROP_HEIGHT,
    N_PROPS,
};
static GParamSpec *props[N_PROPS];

guint cirrina_vnc_display_signals[CIRRINA_VNC_N_SIGNALS];

G_DEFINE_FINAL_TYPE(CirrinaVncDisplay, cirrina_vnc_display, GTK_TYPE_WIDGET)

void cirrina_vnc_display_state_changed(CirrinaVncDisplay *self)
{
    g_object_freeze_notify(G_OBJECT(self));
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_CONNECTED]);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_WIDTH]);
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_HEIGHT]);
    gtk_widget_queue_resize(GTK_WIDGET(self));
    g_object_thaw_notify(G_OBJECT(self));
}

/* ---- Drawing ------------------------------------------------------------- */

static void cirrina_vnc_display_measure(GtkWidget *widget, GtkOrientation orientation, int for_size,
                                        int *minimum, int *natural, int *minimum_baseline,
                                        int *natural_baseline)
{
    CirrinaVncDisplay *self = CIRRINA_VNC_DISPLAY(widget);
    int size = 0;

    if (self->fb)
        size = orientation == GTK_ORIENTATION_HORIZONTAL
                   ? cirrina_vnc_framebuffer_get_width(self->fb)
                   : cirrina_vnc_framebuffer_get_height(self->fb);
    *natural = size;
    *minimum = self->scale_to_fit ? MIN(size, MIN_SCALED_SIZE) : size;
}

static void cirrina_vnc_display_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
    CirrinaVncDisplay *self = CIRRINA_VNC_DISPLAY(widget);
    int width = gtk_widget_get_width(widget);
    int height = gtk_widget_get_height(widget);
    const GdkRGBA black = {0, 0, 0, 1};
    CirrinaVncLayout layout;

    gtk_snapshot_append_color(snapshot, &black, &GRAPHENE_RECT_INIT(0, 0, width, height));
    if (!self->fb)
        return;
    cirrina_vnc_layout_compute(&layout, width, height, cirrina_vnc_framebuffer_get_width(self->fb),
                               cirrina_vnc_framebuffer_get_height(self->fb), self->scale_to_fit);
    graphene_rect_t bounds = GRAPHENE_RECT_INIT(layout.x, layout.y, layout.width, layout.height);
    GdkTexture *texture = cirrina_vnc_framebuffer_get_texture(self->fb);
#if GTK_CHECK_VERSION(4, 10, 0)
    /* Whole-number scales keep pixels square and text sharp; others blend. */
    GskScalingFilter filter = layout.scale >= 1 && layout.scale == floor(layout.scale)
                                  ? GSK_SCALING_FILTER_NEAREST
                                  : GSK_SCALING_FILTER_LINEAR;
    gtk_snapshot_append_scaled_texture(snapshot, texture, filter, &bounds);
#else
    /* GTK 4.8 scales textures linearly. */
    gtk_snapshot_append_texture(snapshot, texture, &bounds);
#endif
}

/* ---- Public API ---------------------------------------------------------- */

GtkWidget *cirrina_vnc_display_new(void)
{
    return g_object_new(CIRRINA_TYPE_VNC_DISPLAY, NULL);
}

static guint keyval_of_linux_code(CirrinaVncDisplay *self, guint linux_code)
{
    g_autofree guint *keyvals = NULL;
    int n = 0;

    /* The unshifted symbol of that key in the local layout: what a server
     * without scancodes (keysyms only) gets. */
    if (!gdk_display_map_keycode(gtk_widget_get_display(GTK_WIDGET(self)), linux_code + 8, NULL,
                                 &keyvals, &n) ||
        n == 0)
        return 0;
    return keyvals[0];
}

void cirrina_vnc_display_send_keys(CirrinaVncDisplay *self, const guint *keycodes, gsize n)
{
    g_return_if_fail(CIRRINA_IS_VNC_DISPLAY(self));

    if (!self->initialized)
        return;
    for (gsize i = 0; i < n; i++)
        cirrina_vnc_display_send_key(self, keycodes[i], keyval_of_linux_code(self, keycodes[i]),
                                     TRUE);
    for (gsize i = n; i > 0; i--)
        cirrina_vnc_display_send_key(self, keycodes[i - 1],
                                     keyval_of_linux_code(self, keycodes[i - 1]), FALSE);
}

void cirrina_vnc_display_send_ctrl_alt_del(CirrinaVncDisplay *self)
{
    static const guint keys[] = {KEY_LEFTCTRL, KEY_LEFTALT, KEY_DELETE};

    cirrina_vnc_display_send_keys(self, keys, G_N_ELEMENTS(keys));
}

GdkTexture *cirrina_vnc_display_get_texture(CirrinaVncDisplay *self)
{
    g_return_val_if_fail(CIRRINA_IS_VNC_DISPLAY(self), NULL);

    return self->fb ? g_object_ref(cirrina_vnc_framebuffer_get_texture(self->fb)) : NULL;
}

gboolean cirrina_vnc_display_save_screenshot(CirrinaVncDisplay *self, const char *png_path,
                                             GError **error)
{
    g_autoptr(GdkTexture) texture = cirrina_vnc_display_get_texture(self);
    g_autoptr(GBytes) png = NULL;

    if (!texture) {
        g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_CONNECTED,
                    "There is no virtual machine screen to save");
        return FALSE;
    }
    png = gdk_texture_save_to_png_bytes(texture);
    return g_file_set_contents(png_path, g_bytes_get_data(png, NULL), g_bytes_get_size(png), error);
}

void cirrina_vnc_display_set_scale_to_fit(CirrinaVncDisplay *self, gboolean scale_to_fit)
{
    g_return_if_fail(CIRRINA_IS_VNC_DISPLAY(self));

    scale_to_fit = !!scale_to_fit;
    if (self->scale_to_fit == scale_to_fit)
        return;
    self->scale_to_fit = scale_to_fit;
    gtk_widget_queue_resize(GTK_WIDGET(self));
    g_object_notify_by_pspec(G_OBJECT(self), props[PROP_SCALE_TO_FIT]);
}

gboolean cirrina_vnc_display_get_scale_to_fit(CirrinaVncDisplay *self)
{
    g_return_val_if_fail(CIRRINA_IS_VNC_DISPLAY(self), TRUE);
    return self->scale_to_fit;
}

void cirrina_vnc_display_set_password(CirrinaVncDisplay *self, const char *password)
{
    g_return_if_fail(CIRRINA_IS_VNC_DISPLAY(self));

    g_free(self->password);
    self->password = g_strdup(password);
    cirrina_vnc_connection_answer_credential(self);
}

gboolean cirrina_vnc_display_get_connected(CirrinaVncDisplay *self)
{
    g_return_val_if_fail(CIRRINA_IS_VNC_DISPLAY(self), FALSE);
    return self->initialized;
}

int cirrina_vnc_display_get_width(CirrinaVncDisplay *self)
{
    g_return_val_if_fail(CIRRINA_IS_VNC_DISPLAY(self), 0);
    return self->fb ? cirrina_vnc_framebuffer_get_width(self->fb) : 0;
}

int cirrina_vnc_display_get_height(CirrinaVncDisplay *self)
{
    g_return_val_if_fail(CIRRINA_IS_VNC_DISPLAY(self), 0);
    return self->fb ? cirrina_vnc_framebuffer_get_height(self->fb) : 0;
}

/* ---- GObject ------------------------------------------------------------- */

static void cirrina_vnc_display_get_property(GObject *object, guint prop_id, GValue *value,
                                             GParamSpec *pspec)
{
    CirrinaVncDisplay *self = CIRRINA_VNC_DISPLAY(object);

    switch (prop_id) {
    case PROP_SCALE_TO_FIT:
        g_value_set_boolean(value, self->scale_to_fit);
        break;
    case PROP_CONNECTED:
        g_value_set_boolean(value, self->initialized);
        break;
    case PROP_WIDTH:
        g_value_set_int(value, cirrina_vnc_display_get_width(self));
        break;
    case PROP_HEIGHT:
        g_value_set_int(value, cirrina_vnc_display_get_height(self));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void cirrina_vnc_display_set_property(GObject *object, guint prop_id, const GValue *value,
                                             GParamSpec *pspec)
{
    CirrinaVncDisplay *self = CIRRINA_VNC_DISPLAY(object);

    switch (prop_id) {
    case PROP_SCALE_TO_FIT:
        cirrina_vnc_display_set_scale_to_fit(self, g_value_get_boolean(value));
        break;
    case PROP_PASSWORD:
        cirrina_vnc_display_set_password(self, g_value_get_string(value));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void cirrina_vnc_display_dispose(GObject *object)
{
    CirrinaVncDisplay *self = CIRRINA_VNC_DISPLAY(object);

    cirrina_vnc_connection_end(self, FALSE);
    G_OBJECT_CLASS(cirrina_vnc_display_parent_class)->dispose(object);
}

static void cirrina_vnc_display_finalize(GObject *object)
{
    CirrinaVncDisplay *self = CIRRINA_VNC_DISPLAY(object);

    g_array_unref(self->held_keys);
    g_free(self->password);
    g_free(self->clipboard_last);
    G_OBJECT_CLASS(cirrina_vnc_display_parent_class)->finalize(object);
}

static void cirrina_vnc_display_class_init(CirrinaVncDisplayClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->get_property = cirrina_vnc_display_get_property;
    object_class->set_property = cirrina_vnc_display_set_property;
    object_class->dispose = cirrina_vnc_display_dispose;
    object_class->finalize = cirrina_vnc_display_finalize;
    widget_class->measure = cirrina_vnc_display_measure;
    widget_class->snapshot = cirrina_vnc_display_snapshot;

    props[PROP_SCALE_TO_FIT] =
        g_param_spec_boolean("scale-to-fit", NULL, NULL, TRUE,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    props[PROP_PASSWORD] = g_param_spec_string("password", NULL, NULL, NULL,
                                               G_PARAM_WRITABLE | G_PARAM_STATIC_STRINGS);
    props[PROP_CONNECTED] = g_param_spec_boolean("connected", NULL, NULL, FALSE,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    props[PROP_WIDTH] = g_param_spec_int("width", NULL, NULL, 0, G_MAXINT, 0,
                                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    props[PROP_HEIGHT] = g_param_spec_int("height", NULL, NULL, 0, G_MAXINT, 0,
                                          G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, props);

    cirrina_vnc_display_signals[CIRRINA_VNC_SIGNAL_CONNECTED] =
        g_signal_new("connected", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                     G_TYPE_NONE, 0);
    cirrina_vnc_display_signals[CIRRINA_VNC_SIGNAL_DISCONNECTED] =
        g_signal_new("disconnected", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 0);
    cirrina_vnc_display_signals[CIRRINA_VNC_SIGNAL_DESKTOP_RESIZE] =
        g_signal_new("desktop-resize", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_INT);
    cirrina_vnc_display_signals[CIRRINA_VNC_SIGNAL_ERROR] =
        g_signal_new("error", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                     G_TYPE_NONE, 1, G_TYPE_STRING);
    cirrina_vnc_display_signals[CIRRINA_VNC_SIGNAL_AUTH_CREDENTIAL] =
        g_signal_new("auth-credential", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                     NULL, G_TYPE_NONE, 0);

    gtk_widget_class_set_css_name(widget_class, "cirrina-vnc-display");
    gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void cirrina_vnc_display_init(CirrinaVncDisplay *self)
{
    self->scale_to_fit = TRUE;
    gtk_widget_set_focusable(GTK_WIDGET(self), TRUE);
    gtk_widget_set_focus_on_click(GTK_WIDGET(self), TRUE);
    gtk_widget_set_overflow(GTK_WIDGET(self), GTK_OVERFLOW_HIDDEN);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   "Virtual machine display", -1);
    cirrina_vnc_display_init_input(self);
}
