/* CirrinaApplication: options (which bus), the client, the window, About. */
#pragma once

#include <adwaita.h>

#include "cirrina-client.h"

G_BEGIN_DECLS

#define CIRRINA_APPLICATION_ID "org.cirrina.Cirrina"

#define CIRRINA_TYPE_APPLICATION (cirrina_application_get_type())
G_DECLARE_FINAL_TYPE(CirrinaApplication, cirrina_application, CIRRINA, APPLICATION, AdwApplication)

CirrinaApplication *cirrina_application_new(void);

/* The client made at the first activation (NULL before). */
CirrinaClient *cirrina_application_get_client(CirrinaApplication *self);

G_END_DECLS
