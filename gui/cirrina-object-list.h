/* CirrinaObjectList: a live list of one kind of cirrinad object, for a page.
 *
 * A GListModel of the interface proxies (CirrinaSwitch, CirrinaDisk,
 * CirrinaISO, CirrinaJob ...) that the client's object manager holds for
 * one D-Bus interface, kept sorted by their Name property (jobs, which have
 * none, by object path). It follows the object manager's object-added and
 * object-removed signals, and a rename moves the item to its new place (an
 * items-changed of one removal and one addition), so a GtkListBox bound to
 * it stays in order. When the daemon leaves, the object manager drops its
 * objects and the list empties; it fills again when the daemon returns. */
#pragma once

#include <gio/gio.h>

#include "cirrina-client.h"

G_BEGIN_DECLS

#define CIRRINA_TYPE_OBJECT_LIST (cirrina_object_list_get_type())
G_DECLARE_FINAL_TYPE(CirrinaObjectList, cirrina_object_list, CIRRINA, OBJECT_LIST, GObject)

/* interface_name: "org.cirrina.Disk" and so on. */
CirrinaObjectList *cirrina_object_list_new(CirrinaClient *client, const char *interface_name);

/* The proxy with this object path, or NULL (transfer none). */
GDBusProxy *cirrina_object_list_lookup(CirrinaObjectList *self, const char *object_path);

/* The proxy whose Name is name, or NULL (transfer none). */
GDBusProxy *cirrina_object_list_find_by_name(CirrinaObjectList *self, const char *name);

G_END_DECLS
