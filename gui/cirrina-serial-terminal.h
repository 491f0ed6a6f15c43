/* CirrinaSerialTerminal: a VM's serial port in a VTE terminal.
 *
 * The terminal shows what arrives on a console socket (the fd from
 * org.cirrina.VM.OpenConsole) and writes what the user types to it. There
 * is no pty: the socket joins the terminal straight to the daemon's serial
 * multiplexer, so the guest's tty does the line discipline.
 *
 * Two ways to use it:
 *  - cirrina_serial_terminal_attach(): a socket you opened yourself; the
 *    terminal emits "disconnected" when it closes.
 *  - cirrina_serial_terminal_follow(): a VM object and a port; the terminal
 *    opens the console itself (with History, so the boot output that came
 *    before is shown) whenever the VM runs, and reattaches after the VM or
 *    the daemon restarts. Failures to open go to "error" (a GError; the page
 *    shows it).
 *
 * On reattaching, output that repeats what the terminal already shows (the
 * History replay of the previous run's end) is skipped.
 */
#pragma once

#include <gtk/gtk.h>
#include <vte/vte.h>

#include "cirrina-dbus.h"

G_BEGIN_DECLS

#define CIRRINA_TYPE_SERIAL_TERMINAL (cirrina_serial_terminal_get_type())
G_DECLARE_FINAL_TYPE(CirrinaSerialTerminal, cirrina_serial_terminal, CIRRINA, SERIAL_TERMINAL,
                     GtkWidget)

/* Lines kept above the screen. */
#define CIRRINA_SERIAL_TERMINAL_SCROLLBACK 10000
/* Bytes of earlier output asked for when the console opens. */
#define CIRRINA_SERIAL_TERMINAL_HISTORY (256 * 1024)

CirrinaSerialTerminal *cirrina_serial_terminal_new(void);

/* Shows what arrives on fd and sends typed text to it; takes fd (a
 * connected stream socket). Replaces the current connection, if any. */
void cirrina_serial_terminal_attach(CirrinaSerialTerminal *self, int fd);
/* Closes the connection; the text shown stays. */
void cirrina_serial_terminal_detach(CirrinaSerialTerminal *self);
gboolean cirrina_serial_terminal_get_attached(CirrinaSerialTerminal *self);

/* Follows vm's State: attached to port ("com1".."com4") while it runs. */
void cirrina_serial_terminal_follow(CirrinaSerialTerminal *self, CirrinaVM *vm, const char *port);
const char *cirrina_serial_terminal_get_port(CirrinaSerialTerminal *self);

/* The VTE widget inside (tests read its text; the page focuses it). */
VteTerminal *cirrina_serial_terminal_get_vte(CirrinaSerialTerminal *self);

G_END_DECLS
