/* The pixels gvnc decodes into, and the GdkTexture the widget draws. */
#pragma once

#include <gdk/gdk.h>
#include <gvnc.h>

typedef struct CirrinaVncFramebuffer CirrinaVncFramebuffer;

/* A width x height framebuffer whose pixels gvnc converts from
 * remote_format (the server's) into 32-bit native-endian 0x00RRGGBB. */
CirrinaVncFramebuffer *cirrina_vnc_framebuffer_new(int width, int height,
                                                   const VncPixelFormat *remote_format);
void cirrina_vnc_framebuffer_free(CirrinaVncFramebuffer *fb);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(CirrinaVncFramebuffer, cirrina_vnc_framebuffer_free)

/* What to hand vnc_connection_set_framebuffer(). */
VncFramebuffer *cirrina_vnc_framebuffer_get_vnc(CirrinaVncFramebuffer *fb);
int cirrina_vnc_framebuffer_get_width(CirrinaVncFramebuffer *fb);
int cirrina_vnc_framebuffer_get_height(CirrinaVncFramebuffer *fb);

/* The server changed pixels: the next get_texture() makes a new texture.
 * Any number of updates between two frames cost one texture. */
void cirrina_vnc_framebuffer_invalidate(CirrinaVncFramebuffer *fb);

/* The current picture, opaque; (transfer none), valid until the next
 * get_texture() after an invalidate(). */
GdkTexture *cirrina_vnc_framebuffer_get_texture(CirrinaVncFramebuffer *fb);

/* The local pixel format the server is asked to send. */
const VncPixelFormat *cirrina_vnc_framebuffer_local_format(void);
