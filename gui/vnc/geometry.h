/* Where the VNC framebuffer sits in the display widget, and the way back
 * from a pointer position in the widget to a framebuffer pixel. Pure
 * arithmetic, so tests can check it without a display. */
#pragma once

#include <glib.h>

typedef struct {
    double scale;         /* widget units per framebuffer pixel */
    double x, y;          /* the framebuffer's top-left corner in the widget */
    double width, height; /* its size in the widget */
} CirrinaVncLayout;

/* Scale-to-fit shrinks or grows the framebuffer to the widget keeping its
 * aspect ratio; otherwise it is drawn 1:1. Either way it is centred when the
 * widget is larger, and starts at the top-left corner when it is smaller (a
 * parent scrolls it). */
void cirrina_vnc_layout_compute(CirrinaVncLayout *layout, int widget_width, int widget_height,
                                int fb_width, int fb_height, gboolean scale_to_fit);

/* The framebuffer pixel under widget point (wx, wy), clamped to the
 * framebuffer; FALSE when the point is outside it (the clamped pixel is still
 * set, so a drag that leaves the picture pins to its edge). */
gboolean cirrina_vnc_layout_to_framebuffer(const CirrinaVncLayout *layout, int fb_width,
                                           int fb_height, double wx, double wy, int *fx, int *fy);
