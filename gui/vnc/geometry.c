/* The display widget's layout arithmetic (see geometry.h). */
#include "geometry.h"

#include <math.h>

void cirrina_vnc_layout_compute(CirrinaVncLayout *layout, int widget_width, int widget_height,
                                int fb_width, int fb_height, gboolean scale_to_fit)
{
    double scale = 1.0;

    if (fb_width <= 0 || fb_height <= 0) {
        *layout = (CirrinaVncLayout){.scale = 1.0};
        return;
    }
    if (scale_to_fit && widget_width > 0 && widget_height > 0)
        scale = MIN((double)widget_width / fb_width, (double)widget_height / fb_height);

    layout->scale = scale;
    layout->width = fb_width * scale;
    layout->height = fb_height * scale;
    /* Whole units, so that 1:1 lands on the pixel grid and stays sharp. */
    layout->x = MAX(0.0, floor((widget_width - layout->width) / 2));
    layout->y = MAX(0.0, floor((widget_height - layout->height) / 2));
}

static int clamp_pixel(double v, int size, gboolean *inside)
{
    int p = (int)floor(v);

    if (p < 0 || p >= size)
        *inside = FALSE;
    return CLAMP(p, 0, size - 1);
}

gboolean cirrina_vnc_layout_to_framebuffer(const CirrinaVncLayout *layout, int fb_width,
                                           int fb_height, double wx, double wy, int *fx, int *fy)
{
    gboolean inside = TRUE;

    if (fb_width <= 0 || fb_height <= 0 || layout->scale <= 0) {
        *fx = *fy = 0;
        return FALSE;
    }
    *fx = clamp_pixel((wx - layout->x) / layout->scale, fb_width, &inside);
    *fy = clamp_pixel((wy - layout->y) / layout->scale, fb_height, &inside);
    return inside;
}
