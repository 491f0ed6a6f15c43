/* Framebuffer and texture glue for the VNC display.
 *
 * gvnc writes into a plain buffer (VncBaseFramebuffer). A GdkMemoryTexture
 * must not change once made, so each frame that follows server updates copies
 * the buffer into a new texture, once, however many updates came. */
#include "framebuffer.h"

#include <string.h>

struct CirrinaVncFramebuffer {
    VncBaseFramebuffer *vnc;
    guint32 *pixels; /* owned by vnc (object data): gvnc may outlive us */
    int width, height;
    GdkTexture *texture; /* NULL until asked for after a change */
};

/* 0x00RRGGBB in a native-endian 32-bit word: gvnc's fast path. The top
 * byte is padding; see make_texture(). */
static const VncPixelFormat local_format = {
    .bits_per_pixel = 32,
    .depth = 24,
    .byte_order = G_BYTE_ORDER,
    .true_color_flag = 1,
    .red_max = 255,
    .green_max = 255,
    .blue_max = 255,
    .red_shift = 16,
    .green_shift = 8,
    .blue_shift = 0,
};

const VncPixelFormat *cirrina_vnc_framebuffer_local_format(void)
{
    return &local_format;
}

CirrinaVncFramebuffer *cirrina_vnc_framebuffer_new(int width, int height,
                                                   const VncPixelFormat *remote_format)
{
    CirrinaVncFramebuffer *fb = g_new0(CirrinaVncFramebuffer, 1);

    g_return_val_if_fail(width > 0 && height > 0, NULL);
    fb->width = width;
    fb->height = height;
    fb->pixels = g_new0(guint32, (gsize)width * height);
    fb->vnc = vnc_base_framebuffer_new((guint8 *)fb->pixels, width, height, width * 4,
                                       &local_format, remote_format);
    g_object_set_data_full(G_OBJECT(fb->vnc), "cirrina-pixels", fb->pixels, g_free);
    return fb;
}

void cirrina_vnc_framebuffer_free(CirrinaVncFramebuffer *fb)
{
    if (!fb)
        return;
    g_clear_object(&fb->texture);
    g_clear_object(&fb->vnc);
    g_free(fb);
}

VncFramebuffer *cirrina_vnc_framebuffer_get_vnc(CirrinaVncFramebuffer *fb)
{
    return VNC_FRAMEBUFFER(fb->vnc);
}

int cirrina_vnc_framebuffer_get_width(CirrinaVncFramebuffer *fb)
{
    return fb->width;
}

int cirrina_vnc_framebuffer_get_height(CirrinaVncFramebuffer *fb)
{
    return fb->height;
}

void cirrina_vnc_framebuffer_invalidate(CirrinaVncFramebuffer *fb)
{
    g_clear_object(&fb->texture);
}

static GdkTexture *make_texture(CirrinaVncFramebuffer *fb)
{
    gsize n = (gsize)fb->width * fb->height;
    guint32 *copy = g_new(guint32, n);
    g_autoptr(GBytes) bytes = NULL;

    /* When the server's format is ours, gvnc copies its pixels as they come,
     * and QEMU sends the padding byte as 0: an alpha of 0 would make the
     * picture transparent. Set it while copying. */
    for (gsize i = 0; i < n; i++)
        copy[i] = fb->pixels[i] | 0xff000000u;
    bytes = g_bytes_new_take(copy, n * sizeof(guint32));
    /* Opaque, so premultiplied or not is the same; premultiplied is what
     * GTK draws without converting. */
    return gdk_memory_texture_new(fb->width, fb->height,
                                  G_BYTE_ORDER == G_LITTLE_ENDIAN
                                      ? GDK_MEMORY_B8G8R8A8_PREMULTIPLIED
                                      : GDK_MEMORY_A8R8G8B8_PREMULTIPLIED,
                                  bytes, (gsize)fb->width * 4);
}

GdkTexture *cirrina_vnc_framebuffer_get_texture(CirrinaVncFramebuffer *fb)
{
    if (!fb->texture)
        fb->texture = make_texture(fb);
    return fb->texture;
}
