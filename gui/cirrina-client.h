/* CirrinaClient: the app's connection to cirrinad (org.cirrina).
 *
 * It opens the bus (system by default, session with --session, or any
 * address), keeps one ObjectManager client on /org/cirrina with a
 * CirrinaObject per VM, NIC, switch, disk, ISO and job, and follows the
 * daemon's name owner: "connected" once cirrinad is on the bus (objects
 * loaded), "disconnected" when it leaves. Nothing polls; the object
 * manager's signals keep the objects current.
 *
 * Method calls go through cirrina_proxy_call(), which lets polkit ask the
 * user for a password (G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION)
 * and does not time out (Start and Stop answer when the VM has started or
 * stopped). cirrina_client_describe_error() turns a failed call's GError
 * into a sentence for a toast. */
#pragma once

#include <gio/gio.h>
#include <gio/gunixfdlist.h>

#include "cirrina-dbus.h"

G_BEGIN_DECLS

#define CIRRINA_BUS_NAME    "org.cirrina"
#define CIRRINA_OBJECT_PATH "/org/cirrina"

typedef enum {
    CIRRINA_CLIENT_BUS_SYSTEM,
    CIRRINA_CLIENT_BUS_SESSION,
    CIRRINA_CLIENT_BUS_ADDRESS, /* a bus given by its address */
} CirrinaClientBus;

#define CIRRINA_TYPE_CLIENT (cirrina_client_get_type())
G_DECLARE_FINAL_TYPE(CirrinaClient, cirrina_client, CIRRINA, CLIENT, GObject)

/* address: only for CIRRINA_CLIENT_BUS_ADDRESS. Connects asynchronously:
 * watch "connected"/"disconnected" or notify::connected. */
CirrinaClient *cirrina_client_new(CirrinaClientBus bus, const char *address);

/* The bus chosen by the environment: CIRRINA_BUS=session|system, or
 * CIRRINA_BUS_ADDRESS=<D-Bus address>; the system bus otherwise. */
CirrinaClient *cirrina_client_new_from_environment(void);

gboolean cirrina_client_get_connected(CirrinaClient *self);

/* Set once the bus itself could not be opened (no session bus, say): the
 * reason, for the "cannot reach" page. NULL otherwise. */
const char *cirrina_client_get_bus_error(CirrinaClient *self);

/* "system bus", "session bus" or the address: for messages. */
const char *cirrina_client_get_bus_description(CirrinaClient *self);
CirrinaClientBus cirrina_client_get_bus(CirrinaClient *self);

/* NULL until the bus is open. */
GDBusConnection *cirrina_client_get_connection(CirrinaClient *self);

/* The ObjectManager client (CirrinaObject items); NULL until the bus is
 * open. Its objects are there while connected. */
GDBusObjectManager *cirrina_client_get_object_manager(CirrinaClient *self);

/* The org.cirrina.Manager proxy for /org/cirrina (CreateVM, ...); NULL
 * until the bus is open. */
CirrinaManager *cirrina_client_get_manager(CirrinaClient *self);

/* Signals, also before the object manager exists (the client forwards its
 * signals; when the daemon leaves, every object is removed, and added again
 * when it comes back):
 *   object-added (CirrinaObject *object)
 *   object-removed (CirrinaObject *object)
 *   connected, disconnected, notify::connected */

/* The object at path, or NULL: transfer full. */
CirrinaObject *cirrina_client_get_object(CirrinaClient *self, const char *path);

/* Calls method on any generated proxy (CirrinaVM, CirrinaDisk, ...) with
 * interactive polkit authorization allowed and no timeout. */
void cirrina_proxy_call(gpointer proxy, const char *method, GVariant *parameters,
                        GCancellable *cancellable, GAsyncReadyCallback callback,
                        gpointer user_data);
GVariant *cirrina_proxy_call_finish(gpointer proxy, GAsyncResult *result, GError **error);

/* The same with file descriptors in and out (OpenConsole, ImportDisk ...). */
void cirrina_proxy_call_with_fds(gpointer proxy, const char *method, GVariant *parameters,
                                 GUnixFDList *fd_list, GCancellable *cancellable,
                                 GAsyncReadyCallback callback, gpointer user_data);
GVariant *cirrina_proxy_call_with_fds_finish(gpointer proxy, GUnixFDList **out_fd_list,
                                             GAsyncResult *result, GError **error);

/* A sentence for the user from a failed call: the daemon's message with the
 * D-Bus error prefix stripped, led by what the error name means ("Not
 * allowed: ...", "Busy: ..."). NULL for a cancelled operation (nothing to
 * tell). */
char *cirrina_client_describe_error(const GError *error);

G_END_DECLS
