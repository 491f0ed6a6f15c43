/* CirrinaVncDisplay's input: keys as QEMU scancodes (keysyms for servers
 * without them), the pointer as absolute positions, focus. */
#include "cirrina-vnc-display-private.h"
#include "geometry.h"
#include "keymap.h"

/* VNC pointer buttons are bits 0-6: left, middle, right, then the wheel
 * up, down, left, right as buttons 4-7. */
#define VNC_BUTTON(n) ((guint8)(1u << ((n)-1)))

void cirrina_vnc_display_send_key(CirrinaVncDisplay *self, guint linux_code, guint keyval,
                                  gboolean down)
{
    guint16 qnum;

    if (!self->initialized)
        return;
    if (vnc_connection_get_ext_key_event(self->conn)) {
        qnum = cirrina_vnc_keymap_linux_to_qnum(linux_code);
        /* A key without a PC scancode: the VM has no such key. */
        if (qnum)
            vnc_connection_key_event(self->conn, down, keyval, qnum);
    } else if (keyval) {
        vnc_connection_key_event(self->conn, down, keyval, 0);
    }
}

static gint find_held_key(CirrinaVncDisplay *self, guint hardware_keycode)
{
    for (guint i = 0; i < self->held_keys->len; i++)
        if (g_array_index(self->held_keys, CirrinaVncHeldKey, i).hardware_keycode ==
            hardware_keycode)
            return (gint)i;
    return -1;
}

gboolean cirrina_vnc_display_process_key(CirrinaVncDisplay *self, guint hardware_keycode,
                                         guint keyval, gboolean down)
{
    gint i;
    CirrinaVncHeldKey key;

    if (!self->initialized)
        return FALSE;
    i = find_held_key(self, hardware_keycode);
    if (down) {
        if (i < 0) {
            key = (CirrinaVncHeldKey){
                .hardware_keycode = hardware_keycode,
                .linux_code = cirrina_vnc_keymap_hardware_to_linux(hardware_keycode),
                .keyval = keyval,
            };
            g_array_append_val(self->held_keys, key);
        } else {
            /* Auto-repeat: the VM repeats what was pressed. */
            key = g_array_index(self->held_keys, CirrinaVncHeldKey, i);
        }
        cirrina_vnc_display_send_key(self, key.linux_code, key.keyval, TRUE);
        return TRUE;
    }
    /* A release without its press (the key that opened the console, say)
     * is not the VM's. */
    if (i < 0)
        return TRUE;
    /* The keyval of the press: modifiers may have changed since. */
    key = g_array_index(self->held_keys, CirrinaVncHeldKey, i);
    g_array_remove_index(self->held_keys, i);
    cirrina_vnc_display_send_key(self, key.linux_code, key.keyval, FALSE);
    return TRUE;
}

void cirrina_vnc_display_release_input(CirrinaVncDisplay *self)
{
    /* Otherwise a key held while focus left (Alt of Alt+Tab) stays down in
     * the VM. */
    while (self->held_keys->len > 0) {
        guint last = self->held_keys->len - 1;
        CirrinaVncHeldKey key = g_array_index(self->held_keys, CirrinaVncHeldKey, last);

        g_array_remove_index(self->held_keys, last);
        cirrina_vnc_display_send_key(self, key.linux_code, key.keyval, FALSE);
    }
    if (self->button_mask && self->initialized)
        vnc_connection_pointer_event(self->conn, 0, self->pointer_x, self->pointer_y);
    self->button_mask = 0;
}

static gboolean on_key_pressed(GtkEventControllerKey *controller, guint keyval, guint keycode,
                               GdkModifierType state, gpointer data)
{
    return cirrina_vnc_display_process_key(data, keycode, keyval, TRUE);
}

static void on_key_released(GtkEventControllerKey *controller, guint keyval, guint keycode,
                            GdkModifierType state, gpointer data)
{
    cirrina_vnc_display_process_key(data, keycode, keyval, FALSE);
}

static void on_focus_leave(GtkEventControllerFocus *controller, gpointer data)
{
    cirrina_vnc_display_release_input(data);
}

/* The event's position in widget coordinates. */
static gboolean event_position(CirrinaVncDisplay *self, GdkEvent *event, double *x, double *y)
{
    GtkNative *native = gtk_widget_get_native(GTK_WIDGET(self));
    double ex, ey, nx, ny;

    if (!native || !gdk_event_get_position(event, &ex, &ey))
        return FALSE;
    gtk_native_get_surface_transform(native, &nx, &ny);
#if GTK_CHECK_VERSION(4, 12, 0)
    graphene_point_t p;
    if (!gtk_widget_compute_point(GTK_WIDGET(native), GTK_WIDGET(self),
                                  &GRAPHENE_POINT_INIT(ex - nx, ey - ny), &p))
        return FALSE;
    *x = p.x;
    *y = p.y;
    return TRUE;
#else
    return gtk_widget_translate_coordinates(GTK_WIDGET(native), GTK_WIDGET(self), ex - nx, ey - ny,
                                            x, y);
#endif
}

/* Move the VM's pointer under the event; FALSE when it is off the picture
 * (and no button is held, which pins it to the edge instead). */
static gboolean move_pointer(CirrinaVncDisplay *self, GdkEvent *event)
{
    int fb_width = cirrina_vnc_framebuffer_get_width(self->fb);
    int fb_height = cirrina_vnc_framebuffer_get_height(self->fb);
    CirrinaVncLayout layout;
    double x, y;
    int fx, fy;

    if (!event_position(self, event, &x, &y))
        return FALSE;
    cirrina_vnc_layout_compute(&layout, gtk_widget_get_width(GTK_WIDGET(self)),
                               gtk_widget_get_height(GTK_WIDGET(self)), fb_width, fb_height,
                               self->scale_to_fit);
    if (!cirrina_vnc_layout_to_framebuffer(&layout, fb_width, fb_height, x, y, &fx, &fy) &&
        !self->button_mask)
        return FALSE;
    self->pointer_x = fx;
    self->pointer_y = fy;
    return TRUE;
}

static void click(CirrinaVncDisplay *self, guint8 button)
{
    vnc_connection_pointer_event(self->conn, self->button_mask | button, self->pointer_x,
                                 self->pointer_y);
    vnc_connection_pointer_event(self->conn, self->button_mask, self->pointer_x, self->pointer_y);
}

static void scroll(CirrinaVncDisplay *self, GdkEvent *event)
{
    double dx, dy;

    switch (gdk_scroll_event_get_direction(event)) {
    case GDK_SCROLL_UP:
        click(self, VNC_BUTTON(4));
        break;
    case GDK_SCROLL_DOWN:
        click(self, VNC_BUTTON(5));
        break;
    case GDK_SCROLL_LEFT:
        click(self, VNC_BUTTON(6));
        break;
    case GDK_SCROLL_RIGHT:
        click(self, VNC_BUTTON(7));
        break;
    case GDK_SCROLL_SMOOTH:
        /* Touchpads scroll in fractions: one wheel click per whole step. */
        gdk_scroll_event_get_deltas(event, &dx, &dy);
        self->scroll_dx += dx;
        self->scroll_dy += dy;
        for (; self->scroll_dy <= -1; self->scroll_dy += 1)
            click(self, VNC_BUTTON(4));
        for (; self->scroll_dy >= 1; self->scroll_dy -= 1)
            click(self, VNC_BUTTON(5));
        for (; self->scroll_dx <= -1; self->scroll_dx += 1)
            click(self, VNC_BUTTON(6));
        for (; self->scroll_dx >= 1; self->scroll_dx -= 1)
            click(self, VNC_BUTTON(7));
        break;
    }
}

static gboolean on_pointer_event(GtkEventControllerLegacy *controller, GdkEvent *event,
                                 gpointer data)
{
    CirrinaVncDisplay *self = data;
    GdkEventType type = gdk_event_get_event_type(event);
    guint button;
    double x, y;

    if (type == GDK_BUTTON_PRESS)
        gtk_widget_grab_focus(GTK_WIDGET(self));
    if (!self->initialized)
        return FALSE;

    switch (type) {
    case GDK_MOTION_NOTIFY:
        if (move_pointer(self, event))
            vnc_connection_pointer_event(self->conn, self->button_mask, self->pointer_x,
                                         self->pointer_y);
        return TRUE;
    case GDK_BUTTON_PRESS:
    case GDK_BUTTON_RELEASE:
        button = gdk_button_event_get_button(event);
        if (button < 1 || button > 3)
            return FALSE;
        if (type == GDK_BUTTON_PRESS)
            self->button_mask |= VNC_BUTTON(button);
        else
            self->button_mask &= ~VNC_BUTTON(button);
        move_pointer(self, event);
        vnc_connection_pointer_event(self->conn, self->button_mask, self->pointer_x,
                                     self->pointer_y);
        return TRUE;
    case GDK_SCROLL:
        /* GTK 4.8 on X11 gives wheel events no position: the pointer is
         * where the last motion left it. */
        if (!gdk_event_get_position(event, &x, &y) || move_pointer(self, event))
            scroll(self, event);
        return TRUE;
    default:
        return FALSE;
    }
}

void cirrina_vnc_display_init_input(CirrinaVncDisplay *self)
{
    GtkEventController *controller;

    self->held_keys = g_array_new(FALSE, FALSE, sizeof(CirrinaVncHeldKey));

    controller = gtk_event_controller_key_new();
    g_signal_connect(controller, "key-pressed", G_CALLBACK(on_key_pressed), self);
    g_signal_connect(controller, "key-released", G_CALLBACK(on_key_released), self);
    gtk_widget_add_controller(GTK_WIDGET(self), controller);

    controller = gtk_event_controller_focus_new();
    g_signal_connect(controller, "leave", G_CALLBACK(on_focus_leave), self);
    gtk_widget_add_controller(GTK_WIDGET(self), controller);

    /* Raw events: VNC wants every button's press and release as they come,
     * which click gestures do not give. */
    controller = gtk_event_controller_legacy_new();
    g_signal_connect(controller, "event", G_CALLBACK(on_pointer_event), self);
    gtk_widget_add_controller(GTK_WIDGET(self), controller);
}
