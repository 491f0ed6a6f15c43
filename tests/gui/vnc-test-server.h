/* A small RFB 3.8 server for the VNC display's tests, on one end of a
 * socket pair, in its own thread: what QEMU cannot be made to do on demand
 * (ask for a password, send clipboard text, change size, lack QEMU's
 * extended key event as bhyve does), and an exact record of what the
 * client sent. */
#pragma once

#include <glib.h>

typedef struct VncTestServer VncTestServer;

typedef struct {
    int width, height;
    gboolean password;      /* ask for VNC authentication (any answer passes) */
    gboolean ext_key_event; /* acknowledge QEMU's extended key event */
} VncTestServerOptions;

/* Starts serving; *client_fd is the other end, for the display. */
VncTestServer *vnc_test_server_new(const VncTestServerOptions *options, int *client_fd);
/* Waits for the client to hang up, then frees. */
void vnc_test_server_free(VncTestServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(VncTestServer, vnc_test_server_free)

/* What the client sent, one line per message:
 *   "auth <hex>"                the answer to the password challenge
 *   "pixel-format <bpp> <depth> <big-endian> <red-shift> <green-shift> <blue-shift>"
 *   "encodings <n> <n> ..."
 *   "key <down> 0x<keysym>"
 *   "qkey <down> 0x<keysym> 0x<scancode>"     (QEMU's extended key event)
 *   "pointer <buttons> <x> <y>"
 *   "cut <hex>"                 clipboard text, as sent (Latin-1) */
char *vnc_test_server_get_log(VncTestServer *server);
/* The position of that exact line in the log at or after position from, -1
 * if absent. */
int vnc_test_server_find(VncTestServer *server, const char *line, int from);

/* Send clipboard text (Latin-1 bytes). */
void vnc_test_server_send_cut_text(VncTestServer *server, const char *latin1);
/* Change the screen size (DesktopSize), then send the new picture. */
void vnc_test_server_resize(VncTestServer *server, int width, int height);

/* Send a cursor shape (RichCursor): the picture's colours, every pixel
 * opaque but the top-left one; 0x0 hides the pointer. */
void vnc_test_server_send_cursor(VncTestServer *server, int width, int height, int hot_x,
                                 int hot_y);

/* The picture: the left half red, the right half blue, sent in the client's
 * format with the padding byte 0 (as QEMU does). */
#define VNC_TEST_SERVER_LEFT_RGB  0xff0000u
#define VNC_TEST_SERVER_RIGHT_RGB 0x0000ffu
