/* CirrinaVncDisplay: a GTK 4 widget showing a VM's screen over VNC (libgvnc).
 *
 * Open it on a socket already connected to the VM's VNC server, as
 * org.cirrina.VM.OpenDisplay hands out:
 *
 *   display = cirrina_vnc_display_new();
 *   g_signal_connect(display, "auth-credential", G_CALLBACK(ask_password), vm);
 *   cirrina_vnc_display_open_fd(display, fd);   // the widget now owns fd
 *
 * Properties
 *   scale-to-fit  (gboolean, read/write, default TRUE): shrink or grow the
 *                 picture to the widget keeping its aspect ratio; FALSE shows
 *                 it 1:1 and asks for its full size (put the widget in a
 *                 GtkScrolledWindow).
 *   password      (string, write-only): the VNC password (GetDisplayPassword).
 *                 Set it before opening, or in an "auth-credential" handler,
 *                 or later: a waiting server challenge is answered then.
 *   connected     (gboolean, read-only): the server's screen is being shown.
 *   width, height (int, read-only): the framebuffer's size in pixels, 0 when
 *                 not connected.
 *
 * Signals
 *   connected         ()                   the handshake is done; the first
 *                                          picture is on its way.
 *   disconnected      ()                   the connection ended (server gone,
 *                                          error, or _close()); emitted once
 *                                          per _open_fd().
 *   desktop-resize    (int width, int height)  the guest changed resolution.
 *   error             (const char *message)    something failed; for the
 *                                          user. "disconnected" follows when
 *                                          the connection cannot go on.
 *   auth-credential   ()                   the server asks for a password and
 *                                          none is set: set "password".
 *
 * Input: once focused (a click focuses it), every key goes to the VM
 * (including Tab; application shortcuts, handled before the focused widget,
 * still win). Keys are sent as PC scancodes (QEMU's extended key event), so
 * the guest's keyboard layout applies; servers without it (bhyve) get
 * keysyms. Keys held when focus leaves are released in the VM. The pointer is
 * absolute: exact with a tablet in the VM (the Tablet setting); without one
 * QEMU turns positions into movements, which the guest may accelerate.
 * Buttons 1-3 and the scroll wheel go through; the guest's pointer shape,
 * when the server sends one, becomes the widget's cursor. Clipboard text goes
 * both ways (where the server supports it: QEMU needs its vdagent).
 *
 * Accessibility: role IMG, label "Virtual machine display", focusable. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define CIRRINA_TYPE_VNC_DISPLAY (cirrina_vnc_display_get_type())
G_DECLARE_FINAL_TYPE(CirrinaVncDisplay, cirrina_vnc_display, CIRRINA, VNC_DISPLAY, GtkWidget)

GtkWidget *cirrina_vnc_display_new(void);

/* Start talking VNC on fd, a connected stream socket; the widget takes
 * ownership of fd in every case (it is closed on failure). FALSE (fd closed)
 * if a connection is already open: _close() it first. */
gboolean cirrina_vnc_display_open_fd(CirrinaVncDisplay *self, int fd);

/* End the connection, if any ("disconnected" is emitted if one was open).
 * The last picture is dropped. Safe to call at any time. */
void cirrina_vnc_display_close(CirrinaVncDisplay *self);

/* Press keys in order, then release them in reverse: a key combination.
 * keycodes are Linux input event codes (KEY_LEFTCTRL, KEY_LEFTALT, KEY_F1
 * from <linux/input-event-codes.h>), i.e. physical keys on a PC keyboard,
 * independent of the local layout. Ignored when not connected. */
void cirrina_vnc_display_send_keys(CirrinaVncDisplay *self, const guint *keycodes, gsize n);

/* Ctrl+Alt+Del. */
void cirrina_vnc_display_send_ctrl_alt_del(CirrinaVncDisplay *self);

/* Save the current picture as PNG at png_path. Fails (G_IO_ERROR_NOT_CONNECTED)
 * when there is no picture yet. */
gboolean cirrina_vnc_display_save_screenshot(CirrinaVncDisplay *self, const char *png_path,
                                             GError **error);

/* The current picture (opaque, framebuffer-sized), or NULL when there is
 * none yet. (transfer full): a snapshot that later updates leave as it is;
 * g_object_unref() it. */
GdkTexture *cirrina_vnc_display_get_texture(CirrinaVncDisplay *self);

void cirrina_vnc_display_set_scale_to_fit(CirrinaVncDisplay *self, gboolean scale_to_fit);
gboolean cirrina_vnc_display_get_scale_to_fit(CirrinaVncDisplay *self);
void cirrina_vnc_display_set_password(CirrinaVncDisplay *self, const char *password);
gboolean cirrina_vnc_display_get_connected(CirrinaVncDisplay *self);
int cirrina_vnc_display_get_width(CirrinaVncDisplay *self);
int cirrina_vnc_display_get_height(CirrinaVncDisplay *self);

G_END_DECLS
