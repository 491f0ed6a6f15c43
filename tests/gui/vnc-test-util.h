/* What the VNC display's test programs share: waiting on the main loop, a
 * window holding the display, screenshots. */
#pragma once

#include <gtk/gtk.h>

#include "cirrina-vnc-display-private.h"

/* Generous: QEMU under TCG, maybe under ASan, on a busy machine. */
#define VNC_TEST_TIMEOUT 90

/* Run the main loop until done(data) (checked at least every 50 ms) or the
 * timeout; FALSE on timeout. */
gboolean vnc_test_wait_for(gboolean (*done)(gpointer), gpointer data, guint seconds);
/* Run the main loop for a while. */
void vnc_test_spin(guint milliseconds);
/* Where a screenshot goes: $CIRRINA_SCREENSHOT_DIR (made if needed), or the
 * temporary directory. */
char *vnc_test_screenshot_path(const char *name);

/* A 640x480 window: the display (expanding) above a button (something else
 * to focus), and what the display signalled. */
typedef struct {
    GtkWidget *window;
    GtkWidget *display;
    GtkWidget *button;
    CirrinaVncDisplay *self;
    int connected;
    int disconnected;
    int auth_asked;
    int resized_width, resized_height;
    GPtrArray *errors;
} VncFixture;

void vnc_fixture_init(VncFixture *f);
/* Open the display on fd and wait for "connected". */
void vnc_fixture_open(VncFixture *f, int fd);
void vnc_fixture_wait_connected(VncFixture *f);
/* Close the display, check "disconnected" came once and that gvnc let go of
 * its connection, destroy the window. */
void vnc_fixture_clear(VncFixture *f);

/* Close and wait until gvnc has dropped its connection object (its coroutine
 * ends in later idle callbacks): nothing may be left behind. */
void vnc_test_close_and_wait_for_release(CirrinaVncDisplay *display);
