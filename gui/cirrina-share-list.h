/* CirrinaShareList: the host folders a VM shares with its guest (its Shares
 * property, a(ssb): name, absolute host path, read-only), edited before
 * Apply.
 *
 * Rows show each share; a popover adds one (name, host folder, read-only)
 * and each row's button removes it. The paths are the daemon's host's, so
 * they are typed, not picked from this machine's files; the daemon checks
 * them and the names on Apply. "changed" tells the page, which sends the
 * list as the Shares key of the VM's Update. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define CIRRINA_TYPE_SHARE_LIST (cirrina_share_list_get_type())
G_DECLARE_FINAL_TYPE(CirrinaShareList, cirrina_share_list, CIRRINA, SHARE_LIST, AdwPreferencesGroup)

CirrinaShareList *cirrina_share_list_new(void);

/* Shows shares (a(ssb), floating or not; NULL: none) without "changed". */
void cirrina_share_list_set_value(CirrinaShareList *self, GVariant *shares);

/* The list as the user left it, a(ssb) (floating). */
GVariant *cirrina_share_list_get_value(CirrinaShareList *self);

/* An error about the list from the daemon (NULL clears it). */
void cirrina_share_list_set_error(CirrinaShareList *self, const char *message);

/* The same as the popover's Add and the rows' buttons. */
void cirrina_share_list_add(CirrinaShareList *self, const char *name, const char *path,
                            gboolean read_only);
void cirrina_share_list_remove(CirrinaShareList *self, guint index);

G_END_DECLS
