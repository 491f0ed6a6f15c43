/* What the display widget's files share (cirrina-vnc-display.c: the
 * connection and drawing; -input.c: keyboard, pointer, focus; -clipboard.c).
 * Not for the app; tests use it to drive input without a real keyboard. */
#pragma once

#include <gvnc.h>

#include "cirrina-vnc-display.h"
#include "framebuffer.h"

/* A key pressed in the widget, so its release (or focus leaving) sends the
 * same key to the VM. */
typedef struct {
    guint hardware_keycode;
    guint linux_code;
    guint keyval;
} CirrinaVncHeldKey;

struct _CirrinaVncDisplay {
    GtkWidget parent_instance;

    /* The connection, NULL when closed. */
    VncConnection *conn;
    gboolean conn_started; /* gvnc has taken the fd (its "vnc-connected") */
    gboolean initialized;  /* the handshake is done: the "connected" property */
    CirrinaVncFramebuffer *fb;
    guint update_request_id;
    char *password;
    gboolean credential_pending;
    GdkCursor *remote_cursor;

    gboolean scale_to_fit;

    /* Input (cirrina-vnc-input.c). */
    GArray *held_keys; /* of CirrinaVncHeldKey */
    guint8 button_mask;
    int pointer_x, pointer_y;
    double scroll_dx, scroll_dy;

    /* Clipboard (cirrina-vnc-clipboard.c). */
    GdkClipboard *clipboard;
    GCancellable *clipboard_cancel;
    char *clipboard_last; /* the text last exchanged, so it is not echoed back */
};

/* cirrina-vnc-input.c */
void cirrina_vnc_display_init_input(CirrinaVncDisplay *self);
/* A key event as GDK reports it (hardware keycode, keyval); TRUE if the VM
 * takes it. What the key controller calls; tests call it directly. */
gboolean cirrina_vnc_display_process_key(CirrinaVncDisplay *self, guint hardware_keycode,
                                         guint keyval, gboolean down);
/* One key by Linux code, as scancode or (servers without QEMU's extended key
 * event) keyval. */
void cirrina_vnc_display_send_key(CirrinaVncDisplay *self, guint linux_code, guint keyval,
                                  gboolean down);
/* Release every key and button held in the VM (focus left, or closing). */
void cirrina_vnc_display_release_input(CirrinaVncDisplay *self);

/* cirrina-vnc-clipboard.c */
void cirrina_vnc_clipboard_start(CirrinaVncDisplay *self);
void cirrina_vnc_clipboard_stop(CirrinaVncDisplay *self);
void cirrina_vnc_clipboard_from_server(CirrinaVncDisplay *self, const char *latin1_text);
