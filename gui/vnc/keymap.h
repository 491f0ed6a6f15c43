/* Keyboard codes for the VNC display: Linux input event codes (what GDK
 * reports, offset by 8, as the hardware keycode on X11 and Wayland) to the
 * scancodes QEMU's extended key event carries. */
#pragma once

#include <glib.h>

/* The QEMU "qnum" scancode of a Linux input event code (KEY_*): the PC XT
 * set 1 scancode, with the 0xe0 prefix of extended keys folded into the high
 * bit (0xe0 0x1c, keypad Enter, is 0x9c). 0 when the key has none. */
guint16 cirrina_vnc_keymap_linux_to_qnum(guint linux_code);

/* The Linux input event code of a GDK hardware keycode on X11 (evdev) and
 * Wayland, where the two differ by 8; 0 for keycodes below 8. */
guint cirrina_vnc_keymap_hardware_to_linux(guint hardware_keycode);
