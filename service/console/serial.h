/* The serial multiplexer: one per serial port of a running VM.
 *
 * cirrinad reads the VM's end of the port (a QEMU chardev socket, or the
 * B side of a bhyve nmdm pair) from the VM's start, whether or not anyone
 * is attached, writes everything to a bounded, rotating log, and copies it
 * to every attached client; what any client writes goes to the guest. A
 * client is one end of a socket pair handed out over D-Bus. Nothing here
 * blocks: a client that falls more than SERIAL_CLIENT_BACKLOG behind loses
 * the oldest part of its backlog, so a slow or vanished client never
 * stalls the guest, the daemon or the other clients. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#define SERIAL_LOG_MAX         (1u << 20) /* per file: the log and one rotated .1 */
#define SERIAL_CLIENT_BACKLOG  (1u << 20) /* bytes a client may fall behind */
#define SERIAL_HISTORY_DEFAULT 16384

typedef struct SerialMux SerialMux;

/* log_path: the port's log (log_path.1 is its predecessor). */
SerialMux *serial_mux_new(const char *name, const char *log_path);
/* Closes the VM's end and every client (they read end-of-file). */
void serial_mux_free(SerialMux *mux);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SerialMux, serial_mux_free)

/* Starts reading the VM's end (takes the fd). */
void serial_mux_attach_vm(SerialMux *mux, int fd);
bool serial_mux_has_vm(const SerialMux *mux);

/* A new client: returns the fd to hand out (the caller owns it), after
 * queueing up to history bytes of recent output for it. */
int serial_mux_open_client(SerialMux *mux, size_t history, GError **error);
unsigned serial_mux_n_clients(const SerialMux *mux);

/* The last max_bytes (0: all) of a port's log, rotated part included. */
GBytes *serial_log_tail(const char *log_path, size_t max_bytes, GError **error);
