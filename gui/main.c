/* cirrina: the desktop app for cirrinad. */
#include "cirrina-application.h"

int main(int argc, char **argv)
{
    g_autoptr(CirrinaApplication) application = cirrina_application_new();

    return g_application_run(G_APPLICATION(application), argc, argv);
}
