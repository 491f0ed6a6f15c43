/* CirrinaClientPage: what the window's pages have in common, the D-Bus
 * client they show (a construct-only "client" property, held until
 * dispose). Abstract: the VM list, a VM's details and console, and the
 * Switches, Disks and ISOs pages derive from it. */
#pragma once

#include <adwaita.h>

#include "cirrina-client.h"

G_BEGIN_DECLS

#define CIRRINA_TYPE_CLIENT_PAGE (cirrina_client_page_get_type())
G_DECLARE_DERIVABLE_TYPE(CirrinaClientPage, cirrina_client_page, CIRRINA, CLIENT_PAGE, AdwBin)

struct _CirrinaClientPageClass {
    AdwBinClass parent_class;
};

CirrinaClient *cirrina_client_page_get_client(CirrinaClientPage *self);

G_END_DECLS
