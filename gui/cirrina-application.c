/* CirrinaApplication: command line, one client, the main window. */
#include "config.h"

#include "cirrina-application.h"

#include "cirrina-mnemonic-names.h"
#include "cirrina-window.h"

struct _CirrinaApplication {
    AdwApplication parent_instance;

    CirrinaClient *client;
};

G_DEFINE_FINAL_TYPE(CirrinaApplication, cirrina_application, ADW_TYPE_APPLICATION)

CirrinaApplication *cirrina_application_new(void)
{
    return g_object_new(CIRRINA_TYPE_APPLICATION, "application-id", CIRRINA_APPLICATION_ID,
                        "resource-base-path", "/org/cirrina/Cirrina", NULL);
}

CirrinaClient *cirrina_application_get_client(CirrinaApplication *self)
{
    return self->client;
}

/* --session, --system and --address choose the bus; without them the
 * environment does (CIRRINA_BUS, CIRRINA_BUS_ADDRESS), then the system bus.
 * They are handled here, in the process that was started: a second
 * instance only raises the first one's window. */
static int cirrina_application_handle_local_options(GApplication *application,
                                                    GVariantDict *options)
{
    CirrinaApplication *self = CIRRINA_APPLICATION(application);
    gboolean session = FALSE, system = FALSE, version = FALSE;
    const char *address = NULL;

    g_variant_dict_lookup(options, "session", "b", &session);
    g_variant_dict_lookup(options, "system", "b", &system);
    g_variant_dict_lookup(options, "address", "&s", &address);
    g_variant_dict_lookup(options, "version", "b", &version);

    if (version) {
        g_print("cirrina %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (session + system + (address != NULL) > 1) {
        g_printerr("cirrina: --session, --system and --address exclude each other\n");
        return 1;
    }
    if (address != NULL)
        self->client = cirrina_client_new(CIRRINA_CLIENT_BUS_ADDRESS, address);
    else if (session)
        self->client = cirrina_client_new(CIRRINA_CLIENT_BUS_SESSION, NULL);
    else if (system)
        self->client = cirrina_client_new(CIRRINA_CLIENT_BUS_SYSTEM, NULL);
    return -1;
}

static void cirrina_application_activate(GApplication *application)
{
    CirrinaApplication *self = CIRRINA_APPLICATION(application);
    GtkWindow *window = gtk_application_get_active_window(GTK_APPLICATION(application));

    if (window == NULL) {
        if (self->client == NULL)
            self->client = cirrina_client_new_from_environment();
        window = GTK_WINDOW(cirrina_window_new(GTK_APPLICATION(application), self->client));
    }
    gtk_window_present(window);
}

static void action_about(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    GtkApplication *application = user_data;
    const char *developers[] = {"Cirrina developers", NULL};
    GtkWidget *about = adw_about_window_new();

    g_object_set(about, "transient-for", gtk_application_get_active_window(application),
                 "application-name", "Cirrina", "application-icon", CIRRINA_APPLICATION_ID,
                 "version", PACKAGE_VERSION, "developer-name", "Cirrina developers", "developers",
                 developers, "license-type", GTK_LICENSE_BSD, "comments",
                 "Virtual machines on bhyve and QEMU", NULL);
    gtk_window_present(GTK_WINDOW(about));
}

static void action_quit(GSimpleAction *action, GVariant *parameter, gpointer user_data)
{
    g_application_quit(G_APPLICATION(user_data));
}

static const GActionEntry app_actions[] = {
    {.name = "about", .activate = action_about},
    {.name = "quit", .activate = action_quit},
};

static void cirrina_application_startup(GApplication *application)
{
    const char *quit_accels[] = {"<Primary>q", NULL};

    G_APPLICATION_CLASS(cirrina_application_parent_class)->startup(application);
    gtk_window_set_default_icon_name(CIRRINA_APPLICATION_ID);
    cirrina_mnemonic_names_install();
    g_action_map_add_action_entries(G_ACTION_MAP(application), app_actions,
                                    G_N_ELEMENTS(app_actions), application);
    gtk_application_set_accels_for_action(GTK_APPLICATION(application), "app.quit", quit_accels);
}

static void cirrina_application_dispose(GObject *object)
{
    CirrinaApplication *self = CIRRINA_APPLICATION(object);

    g_clear_object(&self->client);
    G_OBJECT_CLASS(cirrina_application_parent_class)->dispose(object);
}

static void cirrina_application_class_init(CirrinaApplicationClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GApplicationClass *application_class = G_APPLICATION_CLASS(klass);

    object_class->dispose = cirrina_application_dispose;
    application_class->handle_local_options = cirrina_application_handle_local_options;
    application_class->activate = cirrina_application_activate;
    application_class->startup = cirrina_application_startup;
}

static void cirrina_application_init(CirrinaApplication *self)
{
    const GOptionEntry options[] = {
        {"session", 0, 0, G_OPTION_ARG_NONE, NULL, "Use cirrinad on the session bus", NULL},
        {"system", 0, 0, G_OPTION_ARG_NONE, NULL, "Use cirrinad on the system bus (the default)",
         NULL},
        {"address", 0, 0, G_OPTION_ARG_STRING, NULL, "Use cirrinad on the bus at this address",
         "ADDRESS"},
        {"version", 0, 0, G_OPTION_ARG_NONE, NULL, "Print the version and exit", NULL},
        {NULL},
    };

    g_application_add_main_option_entries(G_APPLICATION(self), options);
}
