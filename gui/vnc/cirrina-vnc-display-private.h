/* What the display widget's files share (cirrina-vnc-display.c: the widget;
 * -connection.c: gvnc; -input.c: keyboard, pointer, focus; -clipboard.c).
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

/* cirrina-vnc-display.c */
enum {
    CIRRINA_VNC_SIGNAL_CONNECTED,
    CIRRINA_VNC_SIGNAL_DISCONNECTED,
    CIRRINA_VNC_SIGNAL_DESKTOP_RESIZE,
    CIRRINA_VNC_SIGNAL_ERROR,
    CIRRINA_VNC_SIGNAL_AUTH_CREDENTIAL,
    CIRRINA_VNC_N_SIGNALS,
};
extern guint cirrina_vnc_display_signals[CIRRINA_VNC_N_SIGNALS];
/* "connected", "width" or "height" may have changed: notify, re-measure. */
void cirrina_vnc_display_state_changed(CirrinaVncDisplay *self);

/* cirrina-vnc-connection.c */
/* Drop the connection and everything shown from it. server_gone: gvnc has
 * already closed it (its "vnc-disconnected"). */
void cirrina_vnc_connection_end(CirrinaVncDisplay *self, gboolean server_gone);
/* Answer a password challenge that waited for "password". */
void cirrina_vnc_connection_answer_credential(CirrinaVncDisplay *self);

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
