/* CirrinaConsolePage: the console of one VM: its display (CirrinaVncDisplay
 * of gui/vnc/, on the fd from OpenDisplay) and a terminal per serial port
 * (CirrinaSerialTerminal, on the fd from OpenConsole), as tabs under a
 * toolbar: Ctrl+Alt+Del and other key combinations, scale to fit,
 * screenshot, fullscreen.
 *
 * While the VM does not run the page says so and offers Start; it follows
 * the VM's State (PropertiesChanged) and connects by itself once the VM
 * runs, and again after a restart.
 *
 * Keyboard: F11 toggles fullscreen (the display alone in a fullscreen
 * window; leave with F11 or the button at the top edge: Escape goes to the
 * VM). Ctrl+Alt+G takes the keyboard back from the display (which sends
 * every other key to the VM) to the toolbar.
 *
 * Contract with the window (gui/cirrina-window.c):
 * - the window makes one with cirrina_console_page_new(client) at start-up
 *   and keeps it in the "vms" page's leaflet (VM list -> details -> console).
 * - it is shown by cirrina_window_show_console(window, vm) (from the details
 *   page or the list's "vm.console" action); to open it on a serial port,
 *   call cirrina_console_page_show_view(page, "serial-com1") after that.
 * - cirrina_console_page_set_vm() is the only way the window hands a VM
 *   over; NULL when the user goes back (the page lets go of its
 *   connections then).
 * - errors: cirrina_window_show_error() of the window the page is in. */
#pragma once

#include <adwaita.h>

#include "cirrina-client-page.h"
#include "cirrina-client.h"
#include "cirrina-serial-terminal.h"

G_BEGIN_DECLS

#define CIRRINA_TYPE_CONSOLE_PAGE (cirrina_console_page_get_type())
G_DECLARE_FINAL_TYPE(CirrinaConsolePage, cirrina_console_page, CIRRINA, CONSOLE_PAGE,
                     CirrinaClientPage)

GtkWidget *cirrina_console_page_new(CirrinaClient *client);

/* vm: an org.cirrina.VM object of the client, or NULL. */
void cirrina_console_page_set_vm(CirrinaConsolePage *self, CirrinaObject *vm);
CirrinaObject *cirrina_console_page_get_vm(CirrinaConsolePage *self);

/* The tab shown: "display", or "serial-com1" .. "serial-com4" (the VM's
 * serial ports). Unknown names are ignored. */
void cirrina_console_page_show_view(CirrinaConsolePage *self, const char *name);
const char *cirrina_console_page_get_visible_view(CirrinaConsolePage *self);

/* The display as the user sees it: a PNG of the VM's screen. */
gboolean cirrina_console_page_save_screenshot(CirrinaConsolePage *self, const char *png_path,
                                              GError **error);

/* The widgets inside, for tests: the CirrinaVncDisplay, and the terminal
 * of a port ("com1".."com4"; NULL when the VM has no such port). */
GtkWidget *cirrina_console_page_get_display(CirrinaConsolePage *self);
CirrinaSerialTerminal *cirrina_console_page_get_serial_terminal(CirrinaConsolePage *self,
                                                                const char *port);

G_END_DECLS
