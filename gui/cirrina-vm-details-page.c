/* CirrinaVmDetailsPage: one VM's settings, edited and applied together.
 *
 * What the user changes goes into a draft (property -> value) instead of
 * the daemon; Apply sends the draft as ONE Update call (the daemon applies
 * all of it or none), then a Rename if the name changed, then the NIC calls
 * the NIC list collected (NICs are objects of their own). Revert forgets
 * the draft. Properties that are not in the draft follow the daemon live
 * (PropertiesChanged), so the page never shows stale values, and an edit is
 * never overwritten by one.
 *
 * A failed call is shown twice, so it cannot be missed or lost: as a toast
 * that stays until dismissed (the window's), and on the row it is about
 * (the daemon names the property first in its messages: "CPUs=0 is out of
 * range", "Memory of a VM cannot change while ..."). The draft stays, to be
 * corrected or reverted. */
#include "cirrina-vm-details-page.h"

#include "cirrina-attachment-list.h"
#include "cirrina-entry-row.h"
#include "cirrina-nic-list.h"
#include "cirrina-setting-row.h"
#include "cirrina-share-list.h"
#include "cirrina-window.h"

#define MiB (G_GUINT64_CONSTANT(1) << 20)

typedef enum {
    SECTION_GENERAL,
    SECTION_CPU,
    SECTION_TOPOLOGY, /* an expander row inside SECTION_CPU */
    SECTION_STARTUP,
    SECTION_DISPLAY,
    SECTION_DEVICES,
    SECTION_HYPERVISOR,
    N_SECTIONS
} Section;

typedef struct {
    Section section;
    CirrinaSettingSpec spec;
} VmSettingSpec;

static const char *const restart_policies[] = {"no", "on-failure", "always", NULL};
static const char *const restart_labels[] = {"Never", "After a Crash", "After Any Unasked Exit",
                                             NULL};
static const char *const clocks[] = {"utc", "localtime", NULL};
static const char *const clock_labels[] = {"UTC", "Local Time", NULL};
static const char *const displays[] = {"vnc", "none", NULL};
static const char *const display_labels[] = {"VNC", "None", NULL};
static const char *const vga_modes[] = {"io", "on", "off", NULL};
static const char *const vga_labels[] = {"I/O Ports Only", "On", "Off", NULL};

/* Every writable property of org.cirrina.VM but Disks, ISOs and Shares
 * (lists with widgets of their own), in the order shown. Ranges are the
 * daemon's (service/core/vm.c); it checks them again and says why. */
static const VmSettingSpec vm_settings[] = {
    {SECTION_GENERAL,
     {.key = "Name",
      .title = "Name",
      .subtitle = "1 to 31 letters, digits, “.”, “_” or “-”",
      .kind = CIRRINA_SETTING_TEXT,
      .live = TRUE}},
    {SECTION_GENERAL,
     {.key = "Description", .title = "Description", .kind = CIRRINA_SETTING_TEXT, .live = TRUE}},
    {SECTION_GENERAL,
     {.key = "Group",
      .title = "Group",
      .subtitle = "A name that polkit rules can grant rights to; empty for none",
      .kind = CIRRINA_SETTING_TEXT,
      .live = TRUE}},

    {SECTION_CPU,
     {.key = "CPUs", .title = "Virtual CPUs", .kind = CIRRINA_SETTING_UINT, .min = 1, .max = 256}},
    {SECTION_TOPOLOGY,
     {.key = "Sockets", .title = "Sockets", .kind = CIRRINA_SETTING_UINT, .min = 1, .max = 256}},
    {SECTION_TOPOLOGY,
     {.key = "Cores",
      .title = "Cores per Socket",
      .kind = CIRRINA_SETTING_UINT,
      .min = 1,
      .max = 256}},
    {SECTION_TOPOLOGY,
     {.key = "Threads",
      .title = "Threads per Core",
      .kind = CIRRINA_SETTING_UINT,
      .min = 1,
      .max = 256}},
    {SECTION_CPU,
     {.key = "CPUPins",
      .title = "CPU Pinning",
      .subtitle = "Virtual CPU:host CPU pairs, as in 0:2, 1:3; empty for none",
      .kind = CIRRINA_SETTING_PINS}},
    {SECTION_CPU,
     {.key = "Memory",
      .title = "Memory",
      .subtitle = "MiB",
      .kind = CIRRINA_SETTING_UINT64,
      .min = 32,
      .max = 4 * 1024 * 1024,
      .unit = MiB}},
    {SECTION_CPU,
     {.key = "MemoryWired",
      .title = "Wired Memory",
      .subtitle = "Keep all guest memory in RAM (bhyve -S)",
      .kind = CIRRINA_SETTING_BOOL}},

    {SECTION_DISPLAY,
     {.key = "Display",
      .title = "Display",
      .kind = CIRRINA_SETTING_CHOICE,
      .choices = displays,
      .labels = display_labels}},
    {SECTION_DISPLAY,
     {.key = "DisplayWidth",
      .title = "Width",
      .subtitle = "Pixels",
      .kind = CIRRINA_SETTING_UINT,
      .min = 640,
      .max = 3840}},
    {SECTION_DISPLAY,
     {.key = "DisplayHeight",
      .title = "Height",
      .subtitle = "Pixels",
      .kind = CIRRINA_SETTING_UINT,
      .min = 480,
      .max = 2160}},
    {SECTION_DISPLAY,
     {.key = "DisplayVGA",
      .title = "VGA",
      .subtitle = "bhyve framebuffer VGA mode",
      .kind = CIRRINA_SETTING_CHOICE,
      .choices = vga_modes,
      .labels = vga_labels}},
    {SECTION_DISPLAY,
     {.key = "DisplayWait",
      .title = "Wait for a Console",
      .subtitle = "Boot only once a display client connects",
      .kind = CIRRINA_SETTING_BOOL}},
    {SECTION_DISPLAY,
     {.key = "Tablet",
      .title = "Absolute Pointer",
      .subtitle = "A USB tablet",
      .kind = CIRRINA_SETTING_BOOL}},
    {SECTION_DISPLAY,
     {.key = "DisplayPassword",
      .title = "New VNC Password",
      .subtitle = "1 to 64 printable ASCII characters",
      .kind = CIRRINA_SETTING_PASSWORD}},

    {SECTION_DEVICES,
     {.key = "SerialPorts",
      .title = "Serial Ports",
      .subtitle = "com1 to com4",
      .kind = CIRRINA_SETTING_UINT,
      .min = 0,
      .max = 4}},
    {SECTION_DEVICES,
     {.key = "Sound",
      .title = "Sound",
      .subtitle = "An HD audio device",
      .kind = CIRRINA_SETTING_BOOL}},
    {SECTION_DEVICES,
     {.key = "RNG",
      .title = "Random Number Generator",
      .subtitle = "virtio-rng",
      .kind = CIRRINA_SETTING_BOOL}},

    {SECTION_STARTUP,
     {.key = "Autostart",
      .title = "Start with cirrinad",
      .kind = CIRRINA_SETTING_BOOL,
      .live = TRUE}},
    {SECTION_STARTUP,
     {.key = "AutostartDelay",
      .title = "Delay",
      .subtitle = "Seconds to wait before starting it",
      .kind = CIRRINA_SETTING_UINT,
      .min = 0,
      .max = 3600,
      .live = TRUE}},
    {SECTION_STARTUP,
     {.key = "RestartPolicy",
      .title = "Restart",
      .subtitle = "At most 5 restarts a minute",
      .kind = CIRRINA_SETTING_CHOICE,
      .choices = restart_policies,
      .labels = restart_labels,
      .live = TRUE}},

    {SECTION_HYPERVISOR,
     {.key = "Clock",
      .title = "Real-Time Clock",
      .kind = CIRRINA_SETTING_CHOICE,
      .choices = clocks,
      .labels = clock_labels}},
    {SECTION_HYPERVISOR,
     {.key = "IgnoreUnknownMSRs",
      .title = "Ignore Unknown MSRs",
      .subtitle = "bhyve -w",
      .kind = CIRRINA_SETTING_BOOL}},
    {SECTION_HYPERVISOR,
     {.key = "VMExitOnHLT",
      .title = "Yield Idle CPUs",
      .subtitle = "bhyve -H",
      .kind = CIRRINA_SETTING_BOOL}},
};

struct _CirrinaVmDetailsPage {
    CirrinaClientPage parent_instance;

    CirrinaObject *vm;
    CirrinaVM *proxy; /* the VM's org.cirrina.VM, while vm is set */
    gboolean watching_manager;

    /* template */
    AdwPreferencesPage *preferences;
    GtkLabel *name_label;
    GtkLabel *state_label;
    GtkLabel *state_detail_label;
    GtkLabel *changes_label;
    GtkSpinner *apply_spinner;

    /* made in code */
    AdwPreferencesGroup *groups[N_SECTIONS];
    AdwExpanderRow *topology_row;
    GHashTable *settings; /* key -> CirrinaSetting */
    CirrinaAttachmentList *disks;
    CirrinaAttachmentList *isos;
    CirrinaNicList *nics;
    CirrinaShareList *shares;
    GtkWidget *clear_password_button;
    gboolean clear_password;

    GHashTable *draft; /* key -> GVariant: the edits not applied yet */
    gboolean applying;
    GCancellable *cancellable; /* calls about the current VM */
    guint nic_refresh_source;
};

G_DEFINE_FINAL_TYPE(CirrinaVmDetailsPage, cirrina_vm_details_page, CIRRINA_TYPE_CLIENT_PAGE)

enum { PROP_0, PROP_VM, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void update_changes(CirrinaVmDetailsPage *self);
static void load_all(CirrinaVmDetailsPage *self);
static void queue_nic_refresh(CirrinaVmDetailsPage *self);

GtkWidget *cirrina_vm_details_page_new(CirrinaClient *client)
{
    return g_object_new(CIRRINA_TYPE_VM_DETAILS_PAGE, "client", client, NULL);
}

CirrinaObject *cirrina_vm_details_page_get_vm(CirrinaVmDetailsPage *self)
{
    return self->vm;
}

static CirrinaWindow *get_window(CirrinaVmDetailsPage *self)
{
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
    return CIRRINA_IS_WINDOW(root) ? CIRRINA_WINDOW(root) : NULL;
}

static void show_error(CirrinaVmDetailsPage *self, const char *what, const GError *error)
{
    CirrinaWindow *window = get_window(self);

    if (window != NULL)
        cirrina_window_show_error(window, what, error);
    else
        g_warning("%s: %s", what, error->message);
}

static void show_toast(CirrinaVmDetailsPage *self, const char *message)
{
    CirrinaWindow *window = get_window(self);

    if (window != NULL)
        cirrina_window_show_toast(window, message);
}

static const char *vm_name(CirrinaVmDetailsPage *self)
{
    return self->proxy != NULL ? cirrina_vm_get_name(self->proxy) : "";
}

/* --- values: the daemon's and the draft --- */

static GVariant *current_value(CirrinaVmDetailsPage *self, const char *key)
{
    /* The password is never readable: what is "there" is no new one. */
    if (g_strcmp0(key, "DisplayPassword") == 0)
        return g_variant_ref_sink(g_variant_new_string(""));
    if (self->proxy == NULL)
        return NULL;
    return g_dbus_proxy_get_cached_property(G_DBUS_PROXY(self->proxy), key);
}

/* value: floating or not; the caller keeps its own reference. */
static void draft_set(CirrinaVmDetailsPage *self, const char *key, GVariant *new_value)
{
    g_autoptr(GVariant) value = g_variant_ref_sink(new_value);
    g_autoptr(GVariant) current = current_value(self, key);
    gboolean unchanged = current != NULL && g_variant_equal(current, value);

    /* An empty password field means "keep it", unless Remove was pressed. */
    if (g_strcmp0(key, "DisplayPassword") == 0)
        unchanged = unchanged && !self->clear_password;
    if (unchanged)
        g_hash_table_remove(self->draft, key);
    else
        g_hash_table_insert(self->draft, (gpointer)g_intern_string(key), g_variant_ref(value));
}

static CirrinaSetting *find_setting(CirrinaVmDetailsPage *self, const char *key)
{
    return g_hash_table_lookup(self->settings, key);
}

static void show_value(CirrinaVmDetailsPage *self, const char *key, GVariant *value)
{
    CirrinaSetting *setting = find_setting(self, key);

    if (setting != NULL && value != NULL)
        cirrina_setting_set_value(setting, value);
}

static guint spin_value(CirrinaVmDetailsPage *self, const char *key)
{
    CirrinaSetting *setting = find_setting(self, key);
    g_autoptr(GVariant) v = cirrina_setting_get_value(setting, NULL);
    return v != NULL ? g_variant_get_uint32(v) : 1;
}

static void update_topology_subtitle(CirrinaVmDetailsPage *self)
{
    guint sockets = spin_value(self, "Sockets"), cores = spin_value(self, "Cores"),
          threads = spin_value(self, "Threads");
    g_autofree char *subtitle =
        g_strdup_printf("%u socket%s × %u core%s × %u thread%s", sockets, sockets == 1 ? "" : "s",
                        cores, cores == 1 ? "" : "s", threads, threads == 1 ? "" : "s");

    adw_expander_row_set_subtitle(self->topology_row, subtitle);
}

/* CPUs and the topology go together (see org.cirrina.VM): CPUs alone means
 * N sockets of 1 core of 1 thread; a topology means CPUs = the product. The
 * page shows what the daemon will make of it and drafts the four values,
 * which always agree. */
static void couple_topology(CirrinaVmDetailsPage *self, const char *edited)
{
    guint cpus, sockets, cores, threads;

    if (g_strcmp0(edited, "CPUs") == 0) {
        cpus = spin_value(self, "CPUs");
        sockets = cpus;
        cores = threads = 1;
        show_value(self, "Sockets", g_variant_new_uint32(sockets));
        show_value(self, "Cores", g_variant_new_uint32(cores));
        show_value(self, "Threads", g_variant_new_uint32(threads));
    } else {
        sockets = spin_value(self, "Sockets");
        cores = spin_value(self, "Cores");
        threads = spin_value(self, "Threads");
        guint64 product = (guint64)sockets * cores * threads;
        /* Too many is the daemon's to say ("makes 512 CPUs; at most 256"). */
        cpus = (guint)MIN(product, G_MAXUINT32);
        show_value(self, "CPUs", g_variant_new_uint32(MIN(cpus, 256)));
    }
    draft_set(self, "CPUs", g_variant_new_uint32(cpus));
    draft_set(self, "Sockets", g_variant_new_uint32(sockets));
    draft_set(self, "Cores", g_variant_new_uint32(cores));
    draft_set(self, "Threads", g_variant_new_uint32(threads));
    update_topology_subtitle(self);
}

static void clear_errors(CirrinaVmDetailsPage *self)
{
    GHashTableIter iter;
    gpointer setting;

    g_hash_table_iter_init(&iter, self->settings);
    while (g_hash_table_iter_next(&iter, NULL, &setting))
        cirrina_setting_set_error(setting, NULL);
    cirrina_attachment_list_set_error(self->disks, NULL);
    cirrina_attachment_list_set_error(self->isos, NULL);
    cirrina_share_list_set_error(self->shares, NULL);
}

static void on_setting_changed(CirrinaSetting *setting, gpointer user_data)
{
    CirrinaVmDetailsPage *self = user_data;
    const char *key = cirrina_setting_get_spec(setting)->key;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) value = NULL;

    if (self->proxy == NULL)
        return;
    /* Typing clears an old error; input that cannot be read gets its own. */
    value = cirrina_setting_get_value(setting, &error);
    cirrina_setting_set_error(setting, error != NULL ? error->message : NULL);
    if (value == NULL) {
        update_changes(self);
        return;
    }
    if (g_strcmp0(key, "CPUs") == 0 || g_strcmp0(key, "Sockets") == 0 ||
        g_strcmp0(key, "Cores") == 0 || g_strcmp0(key, "Threads") == 0) {
        couple_topology(self, key);
    } else {
        if (g_strcmp0(key, "DisplayPassword") == 0 && *g_variant_get_string(value, NULL))
            self->clear_password = FALSE;
        draft_set(self, key, value);
    }
    update_changes(self);
}

static void on_attachments_changed(CirrinaAttachmentList *list, gpointer user_data)
{
    CirrinaVmDetailsPage *self = user_data;
    const char *key = list == self->disks ? "Disks" : "ISOs";

    cirrina_attachment_list_set_error(list, NULL);
    draft_set(self, key, cirrina_attachment_list_get_value(list));
    update_changes(self);
}

static void on_shares_changed(CirrinaShareList *list, gpointer user_data)
{
    CirrinaVmDetailsPage *self = user_data;

    cirrina_share_list_set_error(list, NULL);
    draft_set(self, "Shares", cirrina_share_list_get_value(list));
    update_changes(self);
}

static void on_nics_changed(CirrinaNicList *list, gpointer user_data)
{
    update_changes(user_data);
}

/* --- showing the daemon's values --- */

static const char *state_title(const char *state)
{
    if (g_strcmp0(state, "running") == 0)
        return "Running";
    if (g_strcmp0(state, "starting") == 0)
        return "Starting";
    if (g_strcmp0(state, "stopping") == 0)
        return "Stopping";
    return "Stopped";
}

static char *exit_reason_text(const char *reason)
{
    static const struct {
        const char *reason, *text;
    } reasons[] = {
        {"poweroff", "The guest powered off"},
        {"halt", "The guest halted"},
        {"reboot", "The guest rebooted"},
        {"killed", "It was forced off"},
        {"triple-fault", "The guest crashed (triple fault)"},
        {"error", "The hypervisor failed"},
        {"exited", "It ended while cirrinad was away"},
    };

    if (reason == NULL || *reason == '\0')
        return g_strdup("It has not run yet");
    for (gsize i = 0; i < G_N_ELEMENTS(reasons); i++)
        if (g_strcmp0(reasons[i].reason, reason) == 0)
            return g_strdup(reasons[i].text);
    return g_strdup_printf("It ended: %s", reason);
}

static void update_header(CirrinaVmDetailsPage *self)
{
    const char *state = self->proxy != NULL ? cirrina_vm_get_state(self->proxy) : "stopped";
    gboolean stopped = g_strcmp0(state, "stopped") == 0;
    gboolean running = g_strcmp0(state, "running") == 0;
    static const char *const states[] = {"stopped", "starting", "running", "stopping"};
    g_autofree char *detail = NULL;

    gtk_label_set_text(self->name_label, vm_name(self));
    gtk_label_set_text(self->state_label, state_title(state));
    for (gsize i = 0; i < G_N_ELEMENTS(states); i++)
        gtk_widget_remove_css_class(GTK_WIDGET(self->state_label), states[i]);
    if (state != NULL)
        gtk_widget_add_css_class(GTK_WIDGET(self->state_label), state);
    if (stopped)
        detail =
            exit_reason_text(self->proxy != NULL ? cirrina_vm_get_exit_reason(self->proxy) : NULL);
    else
        detail = g_strdup("Stop it to change its hardware");
    gtk_label_set_text(self->state_detail_label, detail);

    gtk_widget_action_set_enabled(GTK_WIDGET(self), "details.start", self->proxy && stopped);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "details.stop", self->proxy && running);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "details.kill", self->proxy && !stopped);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "details.reset", self->proxy && running);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "details.console", self->proxy != NULL);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "details.delete", self->proxy && stopped);
}

static void update_password_row(CirrinaVmDetailsPage *self)
{
    gboolean set = self->proxy != NULL && cirrina_vm_get_display_password_set(self->proxy);
    CirrinaSetting *setting = find_setting(self, "DisplayPassword");
    const char *title = self->clear_password ? "VNC Password (removed on Apply)"
                        : set                ? "New VNC Password (one is set)"
                                             : "New VNC Password (none is set)";

    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(cirrina_setting_get_row(setting)), title);
    gtk_widget_set_visible(self->clear_password_button, set && !self->clear_password);
}

static void load_setting(CirrinaVmDetailsPage *self, const char *key)
{
    g_autoptr(GVariant) value = NULL;

    if (g_hash_table_contains(self->draft, key) || find_setting(self, key) == NULL)
        return;
    value = current_value(self, key);
    show_value(self, key, value);
}

static void load_list(CirrinaVmDetailsPage *self, const char *key)
{
    if (g_strcmp0(key, "Shares") == 0) {
        g_autoptr(GVariant) shares = NULL;
        if (g_hash_table_contains(self->draft, key))
            return;
        shares = current_value(self, key);
        cirrina_share_list_set_value(self->shares, shares);
        return;
    }
    CirrinaAttachmentList *list = g_strcmp0(key, "Disks") == 0 ? self->disks : self->isos;
    g_autoptr(GVariant) value = NULL;

    if (g_hash_table_contains(self->draft, key))
        return;
    value = current_value(self, key);
    if (value != NULL) {
        g_autofree const char **paths = g_variant_get_objv(value, NULL);
        cirrina_attachment_list_set_paths(list, paths);
    } else {
        cirrina_attachment_list_set_paths(list, NULL);
    }
}

/* Everything not being edited, from the daemon's values. */
static void load_all(CirrinaVmDetailsPage *self)
{
    for (gsize i = 0; i < G_N_ELEMENTS(vm_settings); i++)
        load_setting(self, vm_settings[i].spec.key);
    load_list(self, "Disks");
    load_list(self, "ISOs");
    load_list(self, "Shares");
    update_topology_subtitle(self);
    update_password_row(self);
    update_header(self);
}

static void on_vm_properties_changed(GDBusProxy *proxy, GVariant *changed, GStrv invalidated,
                                     gpointer user_data)
{
    CirrinaVmDetailsPage *self = user_data;
    GVariantIter iter;
    const char *key;

    g_variant_iter_init(&iter, changed);
    while (g_variant_iter_next(&iter, "{&sv}", &key, NULL)) {
        if (g_strcmp0(key, "Disks") == 0 || g_strcmp0(key, "ISOs") == 0 ||
            g_strcmp0(key, "Shares") == 0)
            load_list(self, key);
        else if (g_strcmp0(key, "NICs") == 0)
            queue_nic_refresh(self);
        else
            load_setting(self, key);
    }
    update_topology_subtitle(self);
    update_password_row(self);
    update_header(self);
    update_changes(self);
}

/* NICs and switches change on their own objects. */
static gboolean concerns_nics(CirrinaVmDetailsPage *self, GDBusObject *object)
{
    g_autoptr(GDBusInterface) sw = g_dbus_object_get_interface(object, "org.cirrina.Switch");
    g_autoptr(GDBusInterface) nic = g_dbus_object_get_interface(object, "org.cirrina.NIC");

    if (self->vm == NULL)
        return FALSE;
    return sw != NULL || (nic != NULL &&
                          g_str_has_prefix(g_dbus_object_get_object_path(object),
                                           g_dbus_object_get_object_path(G_DBUS_OBJECT(self->vm))));
}

static gboolean refresh_nics(gpointer user_data)
{
    CirrinaVmDetailsPage *self = user_data;

    self->nic_refresh_source = 0;
    cirrina_nic_list_refresh(self->nics);
    return G_SOURCE_REMOVE;
}

/* Once the object manager is done with its change (a removed object may
 * still be listed while "object-removed" is emitted), and once for a burst
 * of signals. */
static void queue_nic_refresh(CirrinaVmDetailsPage *self)
{
    if (self->nic_refresh_source == 0)
        self->nic_refresh_source = g_idle_add(refresh_nics, self);
}

static void on_object_added_or_removed(CirrinaClient *client, CirrinaObject *object,
                                       gpointer user_data)
{
    CirrinaVmDetailsPage *self = user_data;

    if (concerns_nics(self, G_DBUS_OBJECT(object)))
        queue_nic_refresh(self);
}

static void on_proxy_properties_changed(GDBusObjectManagerClient *manager, GDBusObjectProxy *object,
                                        GDBusProxy *proxy, GVariant *changed, GStrv invalidated,
                                        gpointer user_data)
{
    CirrinaVmDetailsPage *self = user_data;
    const char *iface = g_dbus_proxy_get_interface_name(proxy);

    if ((g_strcmp0(iface, "org.cirrina.NIC") == 0 || g_strcmp0(iface, "org.cirrina.Switch") == 0) &&
        concerns_nics(self, G_DBUS_OBJECT(object)))
        queue_nic_refresh(self);
}

static void watch_manager(CirrinaVmDetailsPage *self)
{
    GDBusObjectManager *manager = cirrina_client_get_object_manager(
        cirrina_client_page_get_client(CIRRINA_CLIENT_PAGE(self)));

    /* The client makes its object manager once, when the bus is open. */
    if (manager == NULL || self->watching_manager)
        return;
    self->watching_manager = TRUE;
    g_signal_connect_object(manager, "interface-proxy-properties-changed",
                            G_CALLBACK(on_proxy_properties_changed), self, 0);
}

/* --- the draft's state --- */

static guint count_changes(CirrinaVmDetailsPage *self)
{
    guint n = cirrina_nic_list_count_changes(self->nics);
    GHashTableIter iter;
    const char *key;

    g_hash_table_iter_init(&iter, self->draft);
    while (g_hash_table_iter_next(&iter, (gpointer *)&key, NULL))
        /* the four of the topology are one change to the user */
        n += g_strcmp0(key, "Sockets") != 0 && g_strcmp0(key, "Cores") != 0 &&
             g_strcmp0(key, "Threads") != 0;
    if (n == 0 && g_hash_table_size(self->draft) > 0)
        n = 1;
    return n;
}

static gboolean has_input_errors(CirrinaVmDetailsPage *self)
{
    GHashTableIter iter;
    gpointer setting;

    g_hash_table_iter_init(&iter, self->settings);
    while (g_hash_table_iter_next(&iter, NULL, &setting)) {
        g_autoptr(GVariant) v = cirrina_setting_get_value(setting, NULL);
        if (v == NULL)
            return TRUE;
    }
    return FALSE;
}

static void update_changes(CirrinaVmDetailsPage *self)
{
    guint n = count_changes(self);
    /* Unreadable input counts as an edit: Apply then says what is wrong,
     * rather than staying grey without a word. */
    gboolean unreadable = self->proxy != NULL && has_input_errors(self);
    g_autofree char *text = NULL;

    if (self->applying)
        text = g_strdup("Applying…");
    else if (unreadable)
        text = g_strdup("A value cannot be read");
    else if (n > 0)
        text = g_strdup_printf(n == 1 ? "%u change not applied" : "%u changes not applied", n);
    gtk_label_set_text(self->changes_label, text != NULL ? text : "");
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "details.apply",
                                  self->proxy != NULL && (n > 0 || unreadable) && !self->applying);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "details.revert",
                                  self->proxy != NULL && (n > 0 || unreadable) && !self->applying);
    gtk_spinner_set_spinning(self->apply_spinner, self->applying);
    gtk_widget_set_visible(GTK_WIDGET(self->apply_spinner), self->applying);
    gtk_widget_set_sensitive(GTK_WIDGET(self->preferences), !self->applying);
}

/* --- Apply --- */

/* The property an error of the daemon is about: its messages start with the
 * property's name ("CPUs=0 is out of range", "Memory of a VM cannot change
 * while ...", "Disks: there is no disk ..."), or name the group. What is not
 * a property of the page ("Invalid", "The") finds no row. */
static char *error_key(const GError *error)
{
    g_autoptr(GError) stripped = g_error_copy(error);
    const char *m;
    gsize n = 0;

    g_dbus_error_strip_remote_error(stripped);
    m = stripped->message;
    if (g_str_has_prefix(m, "Invalid group name"))
        return g_strdup("Group");
    while (g_ascii_isalnum(m[n]))
        n++;
    if (n > 0 && (m[n] == '=' || m[n] == ':' || m[n] == ' '))
        return g_strndup(m, n);
    return NULL;
}

/* The error on the row it is about, with the same words as the toast. */
static void show_inline_error(CirrinaVmDetailsPage *self, const char *key, const GError *error)
{
    g_autofree char *text = cirrina_client_describe_error(error);

    if (key == NULL || text == NULL)
        return;
    if (g_strcmp0(key, "Disks") == 0)
        cirrina_attachment_list_set_error(self->disks, text);
    else if (g_strcmp0(key, "ISOs") == 0)
        cirrina_attachment_list_set_error(self->isos, text);
    else if (g_strcmp0(key, "Shares") == 0)
        cirrina_share_list_set_error(self->shares, text);
    else if (find_setting(self, key) != NULL)
        cirrina_setting_set_error(find_setting(self, key), text);
}

typedef struct {
    CirrinaVmDetailsPage *self; /* a reference */
    GCancellable *cancellable;  /* the VM's, when the call was made */
    GStrv keys;                 /* what the Update sent */
} ApplyCall;

static ApplyCall *apply_call_new(CirrinaVmDetailsPage *self)
{
    ApplyCall *call = g_new0(ApplyCall, 1);
    call->self = g_object_ref(self);
    call->cancellable = g_object_ref(self->cancellable);
    return call;
}

static void apply_call_free(ApplyCall *call)
{
    g_object_unref(call->self);
    g_object_unref(call->cancellable);
    g_strfreev(call->keys);
    g_free(call);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(ApplyCall, apply_call_free)

static void apply_done(CirrinaVmDetailsPage *self, gboolean success)
{
    self->applying = FALSE;
    load_all(self);
    update_changes(self);
    if (success) {
        g_autofree char *message = g_strdup_printf("Changes to “%s” applied", vm_name(self));
        show_toast(self, message);
    }
}

static void on_nics_applied(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(ApplyCall) call = user_data;
    CirrinaVmDetailsPage *self = call->self;
    g_autoptr(GError) error = NULL;
    g_autofree char *what = NULL;

    if (g_cancellable_is_cancelled(call->cancellable))
        return;
    if (!cirrina_nic_list_apply_finish(CIRRINA_NIC_LIST(source), result, &what, &error)) {
        show_error(self, what, error);
        apply_done(self, FALSE);
        return;
    }
    apply_done(self, TRUE);
}

static void apply_nics(ApplyCall *call)
{
    if (cirrina_nic_list_count_changes(call->self->nics) == 0) {
        apply_done(call->self, TRUE);
        apply_call_free(call);
        return;
    }
    cirrina_nic_list_apply(call->self->nics, on_nics_applied, call);
}

static void on_renamed(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(ApplyCall) call = user_data;
    CirrinaVmDetailsPage *self = call->self;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = cirrina_proxy_call_finish(source, result, &error);

    if (g_cancellable_is_cancelled(call->cancellable))
        return;
    if (reply == NULL) {
        show_error(self, "Could not rename the virtual machine", error);
        show_inline_error(self, "Name", error);
        apply_done(self, FALSE);
        return;
    }
    g_hash_table_remove(self->draft, "Name");
    apply_nics(g_steal_pointer(&call));
}

static void apply_rename(ApplyCall *call)
{
    CirrinaVmDetailsPage *self = call->self;
    GVariant *name = g_hash_table_lookup(self->draft, "Name");

    if (name == NULL) {
        apply_nics(call);
        return;
    }
    cirrina_proxy_call(self->proxy, "Rename", g_variant_new("(@s)", name), call->cancellable,
                       on_renamed, call);
}

static void on_updated(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(ApplyCall) call = user_data;
    CirrinaVmDetailsPage *self = call->self;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = cirrina_proxy_call_finish(source, result, &error);

    if (g_cancellable_is_cancelled(call->cancellable))
        return;
    if (reply == NULL) {
        g_autofree char *key = error_key(error);
        show_error(self, "Could not apply the changes", error);
        show_inline_error(self, key, error);
        apply_done(self, FALSE);
        return;
    }
    /* Applied: these edits are the daemon's values now. */
    for (guint i = 0; call->keys[i] != NULL; i++)
        g_hash_table_remove(self->draft, call->keys[i]);
    if (g_strv_contains((const char *const *)call->keys, "DisplayPassword")) {
        CirrinaSetting *password = find_setting(self, "DisplayPassword");
        self->clear_password = FALSE;
        cirrina_setting_set_value(password, g_variant_new_string(""));
    }
    apply_rename(g_steal_pointer(&call));
}

static void apply(CirrinaVmDetailsPage *self)
{
    GVariantBuilder builder;
    GHashTableIter iter;
    gpointer key, value;
    GHashTableIter settings;
    gpointer setting;
    g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);

    if (self->proxy == NULL || self->applying)
        return;
    /* What was typed into a spin button counts, even without Enter. */
    g_hash_table_iter_init(&settings, self->settings);
    while (g_hash_table_iter_next(&settings, NULL, &setting))
        cirrina_setting_commit(setting);
    if (has_input_errors(self)) {
        show_toast(self, "A value cannot be read: see the field marked in red");
        return;
    }
    if (count_changes(self) == 0)
        return;

    clear_errors(self);
    self->applying = TRUE;
    update_changes(self);

    ApplyCall *call = apply_call_new(self);
    g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
    g_hash_table_iter_init(&iter, self->draft);
    while (g_hash_table_iter_next(&iter, &key, &value)) {
        if (g_strcmp0(key, "Name") == 0)
            continue; /* Rename's, not Update's */
        g_variant_builder_add(&builder, "{sv}", key, value);
        g_ptr_array_add(keys, g_strdup(key));
    }
    g_ptr_array_add(keys, NULL);
    call->keys = (GStrv)g_ptr_array_steal(keys, NULL);
    if (call->keys[0] == NULL) {
        g_variant_builder_clear(&builder);
        apply_rename(call);
        return;
    }
    cirrina_proxy_call(self->proxy, "Update", g_variant_new("(a{sv})", &builder), call->cancellable,
                       on_updated, call);
}

static void revert(CirrinaVmDetailsPage *self)
{
    if (self->applying)
        return;
    g_hash_table_remove_all(self->draft);
    self->clear_password = FALSE;
    if (self->proxy != NULL)
        cirrina_setting_set_value(find_setting(self, "DisplayPassword"), g_variant_new_string(""));
    clear_errors(self);
    cirrina_nic_list_revert(self->nics);
    load_all(self);
    update_changes(self);
}

static void action_apply(GtkWidget *widget, const char *name, GVariant *parameter)
{
    apply(CIRRINA_VM_DETAILS_PAGE(widget));
}

static void action_revert(GtkWidget *widget, const char *name, GVariant *parameter)
{
    revert(CIRRINA_VM_DETAILS_PAGE(widget));
}

/* Enter in a text field or spin button applies (a switch or a combo row
 * keeps Enter for itself). */
static gboolean on_key_pressed(GtkEventControllerKey *controller, guint keyval, guint keycode,
                               GdkModifierType state, gpointer user_data)
{
    CirrinaVmDetailsPage *self = user_data;
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
    GtkWidget *focus = root != NULL ? gtk_root_get_focus(root) : NULL;

    if (keyval != GDK_KEY_Return && keyval != GDK_KEY_KP_Enter && keyval != GDK_KEY_ISO_Enter)
        return FALSE;
    if (!GTK_IS_TEXT(focus) || (gtk_widget_get_ancestor(focus, GTK_TYPE_SPIN_BUTTON) == NULL &&
                                gtk_widget_get_ancestor(focus, CIRRINA_TYPE_ENTRY_ROW) == NULL))
        return FALSE;
    apply(self);
    return TRUE;
}

/* --- power actions, console, delete --- */

typedef struct {
    CirrinaVmDetailsPage *self;
    char *what;
} PowerCall;

static void on_power_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    PowerCall *call = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = cirrina_proxy_call_finish(source, result, &error);

    if (reply == NULL)
        show_error(call->self, call->what, error);
    g_object_unref(call->self);
    g_free(call->what);
    g_free(call);
}

static void power_call(CirrinaVmDetailsPage *self, const char *method, GVariant *parameters,
                       const char *verb)
{
    PowerCall *call = g_new0(PowerCall, 1);

    if (self->proxy == NULL)
        return;
    call->self = g_object_ref(self);
    call->what = g_strdup_printf("Could not %s “%s”", verb, vm_name(self));
    /* Not the VM's cancellable: a start runs on when the user goes back. */
    cirrina_proxy_call(self->proxy, method, parameters, NULL, on_power_done, call);
}

static void action_power(GtkWidget *widget, const char *name, GVariant *parameter)
{
    CirrinaVmDetailsPage *self = CIRRINA_VM_DETAILS_PAGE(widget);

    if (g_strcmp0(name, "details.start") == 0)
        power_call(self, "Start", NULL, "start");
    else if (g_strcmp0(name, "details.stop") == 0)
        power_call(self, "Stop", g_variant_new("(u)", 0), "shut down");
    else if (g_strcmp0(name, "details.kill") == 0)
        power_call(self, "Kill", NULL, "force off");
    else if (g_strcmp0(name, "details.reset") == 0)
        power_call(self, "Reset", NULL, "reset");
}

static void action_console(GtkWidget *widget, const char *name, GVariant *parameter)
{
    CirrinaVmDetailsPage *self = CIRRINA_VM_DETAILS_PAGE(widget);
    CirrinaWindow *window = get_window(self);

    if (window != NULL && self->vm != NULL)
        cirrina_window_show_console(window, self->vm);
}

static void on_delete_response(AdwMessageDialog *dialog, const char *response, gpointer user_data)
{
    CirrinaVmDetailsPage *self = user_data;
    GtkWidget *check = adw_message_dialog_get_extra_child(dialog);
    gboolean with_disks = check != NULL && gtk_check_button_get_active(GTK_CHECK_BUTTON(check));
    GVariantBuilder options;

    if (g_strcmp0(response, "delete") != 0 || self->proxy == NULL)
        return;
    g_variant_builder_init(&options, G_VARIANT_TYPE_VARDICT);
    if (with_disks)
        g_variant_builder_add(&options, "{sv}", "DeleteDisks", g_variant_new_boolean(TRUE));
    /* The window goes back to the list when the VM's object goes away. */
    power_call(self, "Delete", g_variant_new("(a{sv})", &options), "delete");
}

static void action_delete(GtkWidget *widget, const char *name, GVariant *parameter)
{
    CirrinaVmDetailsPage *self = CIRRINA_VM_DETAILS_PAGE(widget);
    GtkRoot *root = gtk_widget_get_root(widget);
    guint n_disks;
    GtkWidget *dialog;

    if (self->proxy == NULL)
        return;
    n_disks = cirrina_vm_get_disks(self->proxy) != NULL
                  ? g_strv_length((char **)cirrina_vm_get_disks(self->proxy))
                  : 0;
    dialog = adw_message_dialog_new(GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL, NULL, NULL);
    adw_message_dialog_format_heading(ADW_MESSAGE_DIALOG(dialog), "Delete “%s”?", vm_name(self));
    adw_message_dialog_set_body(ADW_MESSAGE_DIALOG(dialog),
                                n_disks > 0 ? "Its network interfaces go with it. Its disks are "
                                              "kept unless you choose otherwise."
                                            : "Its network interfaces go with it.");
    if (n_disks > 0) {
        g_autofree char *label = g_strdup_printf(
            n_disks == 1 ? "Also delete its disk" : "Also delete its %u disks", n_disks);
        adw_message_dialog_set_extra_child(ADW_MESSAGE_DIALOG(dialog),
                                           gtk_check_button_new_with_label(label));
    }
    adw_message_dialog_add_responses(ADW_MESSAGE_DIALOG(dialog), "cancel", "_Cancel", "delete",
                                     "_Delete", NULL);
    adw_message_dialog_set_response_appearance(ADW_MESSAGE_DIALOG(dialog), "delete",
                                               ADW_RESPONSE_DESTRUCTIVE);
    adw_message_dialog_set_default_response(ADW_MESSAGE_DIALOG(dialog), "cancel");
    adw_message_dialog_set_close_response(ADW_MESSAGE_DIALOG(dialog), "cancel");
    g_signal_connect_object(dialog, "response", G_CALLBACK(on_delete_response), self, 0);
    /* The focus starts on Cancel, the default: GTK would give it to the
     * check button, and Enter would tick it instead of cancelling. */
    gtk_window_present(GTK_WINDOW(dialog));
    GtkWidget *cancel = gtk_window_get_default_widget(GTK_WINDOW(dialog));
    if (cancel != NULL)
        gtk_widget_grab_focus(cancel);
}

static void on_clear_password_clicked(GtkButton *button, gpointer user_data)
{
    CirrinaVmDetailsPage *self = user_data;

    self->clear_password = TRUE;
    cirrina_setting_set_value(find_setting(self, "DisplayPassword"), g_variant_new_string(""));
    draft_set(self, "DisplayPassword", g_variant_new_string(""));
    update_password_row(self);
    update_changes(self);
}

/* --- the VM --- */

/* AdwPreferencesPage scrolls in a GtkScrolledWindow of its own (libadwaita
 * 1.2 has no call for this). */
static void scroll_to_top(CirrinaVmDetailsPage *self)
{
    for (GtkWidget *w = gtk_widget_get_first_child(GTK_WIDGET(self->preferences)); w != NULL;
         w = gtk_widget_get_next_sibling(w))
        if (GTK_IS_SCROLLED_WINDOW(w))
            gtk_adjustment_set_value(gtk_scrolled_window_get_vadjustment(GTK_SCROLLED_WINDOW(w)),
                                     0);
}

void cirrina_vm_details_page_set_vm(CirrinaVmDetailsPage *self, CirrinaObject *vm)
{
    g_return_if_fail(CIRRINA_IS_VM_DETAILS_PAGE(self));
    g_return_if_fail(vm == NULL || CIRRINA_IS_OBJECT(vm));

    if (self->vm == vm)
        return;
    /* Leaving a VM with edits not applied: say so rather than lose them
     * silently. */
    if (self->proxy != NULL && count_changes(self) > 0 && !self->applying) {
        g_autofree char *message =
            g_strdup_printf("Changes to “%s” were not applied", vm_name(self));
        show_toast(self, message);
    }
    g_cancellable_cancel(self->cancellable);
    g_clear_object(&self->cancellable);
    self->cancellable = g_cancellable_new();
    if (self->proxy != NULL)
        g_signal_handlers_disconnect_by_data(self->proxy, self);
    g_clear_object(&self->proxy);
    g_set_object(&self->vm, vm);

    self->proxy = vm != NULL ? cirrina_object_get_vm(vm) : NULL;
    if (self->proxy != NULL)
        g_signal_connect(self->proxy, "g-properties-changed", G_CALLBACK(on_vm_properties_changed),
                         self);
    self->applying = FALSE;
    self->clear_password = FALSE;
    g_hash_table_remove_all(self->draft);
    cirrina_setting_set_value(find_setting(self, "DisplayPassword"), g_variant_new_string(""));
    clear_errors(self);
    {
        const char *path = vm != NULL ? g_dbus_object_get_object_path(G_DBUS_OBJECT(vm)) : NULL;
        cirrina_attachment_list_set_vm_path(self->disks, path);
        cirrina_attachment_list_set_vm_path(self->isos, path);
    }
    cirrina_nic_list_set_vm(self->nics, self->proxy);
    watch_manager(self);
    load_all(self);
    update_changes(self);
    /* A new VM starts at the top of the page. */
    if (vm != NULL)
        scroll_to_top(self);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_VM]);
}

/* --- construction --- */

static AdwPreferencesGroup *add_group(CirrinaVmDetailsPage *self, const char *title,
                                      const char *description)
{
    GtkWidget *group = adw_preferences_group_new();

    adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(group), title);
    if (description != NULL)
        adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(group), description);
    adw_preferences_page_add(self->preferences, ADW_PREFERENCES_GROUP(group));
    return ADW_PREFERENCES_GROUP(group);
}

static void build_settings(CirrinaVmDetailsPage *self)
{
    CirrinaClient *client = cirrina_client_page_get_client(CIRRINA_CLIENT_PAGE(self));

    /* The page's order: what a VM is, what it has, how it behaves. */
    self->groups[SECTION_GENERAL] = add_group(self, "General", NULL);
    self->groups[SECTION_CPU] = add_group(self, "Processor and Memory", NULL);
    self->disks = cirrina_attachment_list_new(client, CIRRINA_ATTACHMENT_DISK);
    adw_preferences_group_set_description(ADW_PREFERENCES_GROUP(self->disks),
                                          "The first disk boots first");
    adw_preferences_page_add(self->preferences, ADW_PREFERENCES_GROUP(self->disks));
    self->isos = cirrina_attachment_list_new(client, CIRRINA_ATTACHMENT_ISO);
    adw_preferences_page_add(self->preferences, ADW_PREFERENCES_GROUP(self->isos));
    self->nics = cirrina_nic_list_new(client);
    adw_preferences_page_add(self->preferences, ADW_PREFERENCES_GROUP(self->nics));
    self->shares = cirrina_share_list_new();
    adw_preferences_page_add(self->preferences, ADW_PREFERENCES_GROUP(self->shares));
    self->groups[SECTION_DISPLAY] = add_group(self, "Display", NULL);
    self->groups[SECTION_DEVICES] = add_group(self, "Devices", NULL);
    self->groups[SECTION_STARTUP] =
        add_group(self, "Startup", "These settings can change while the VM runs");
    self->groups[SECTION_HYPERVISOR] = add_group(self, "Hypervisor", NULL);

    for (gsize i = 0; i < G_N_ELEMENTS(vm_settings); i++) {
        const VmSettingSpec *s = &vm_settings[i];
        CirrinaSetting *setting = cirrina_setting_new(&s->spec, on_setting_changed, self);
        GtkWidget *row = cirrina_setting_get_row(setting);

        g_hash_table_insert(self->settings, (gpointer)s->spec.key, setting);
        if (s->section == SECTION_TOPOLOGY) {
            if (self->topology_row == NULL) {
                self->topology_row = ADW_EXPANDER_ROW(adw_expander_row_new());
                adw_preferences_row_set_title(ADW_PREFERENCES_ROW(self->topology_row),
                                              "CPU Topology");
                adw_preferences_group_add(self->groups[SECTION_CPU],
                                          GTK_WIDGET(self->topology_row));
            }
            adw_expander_row_add_row(self->topology_row, row);
        } else {
            adw_preferences_group_add(self->groups[s->section], row);
        }
    }

    /* The password is write-only: a button removes the one that is set. */
    self->clear_password_button = gtk_button_new_from_icon_name("user-trash-symbolic");
    gtk_widget_set_valign(self->clear_password_button, GTK_ALIGN_CENTER);
    gtk_widget_add_css_class(self->clear_password_button, "flat");
    gtk_widget_set_tooltip_text(self->clear_password_button, "Remove the VNC password");
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->clear_password_button),
                                   GTK_ACCESSIBLE_PROPERTY_LABEL, "Remove the VNC password", -1);
    g_signal_connect(self->clear_password_button, "clicked", G_CALLBACK(on_clear_password_clicked),
                     self);
    cirrina_entry_row_add_suffix(
        CIRRINA_ENTRY_ROW(cirrina_setting_get_row(find_setting(self, "DisplayPassword"))),
        self->clear_password_button);

    g_signal_connect(self->disks, "changed", G_CALLBACK(on_attachments_changed), self);
    g_signal_connect(self->isos, "changed", G_CALLBACK(on_attachments_changed), self);
    g_signal_connect(self->nics, "changed", G_CALLBACK(on_nics_changed), self);
    g_signal_connect(self->shares, "changed", G_CALLBACK(on_shares_changed), self);
}

static void cirrina_vm_details_page_constructed(GObject *object)
{
    CirrinaVmDetailsPage *self = CIRRINA_VM_DETAILS_PAGE(object);
    CirrinaClient *client = cirrina_client_page_get_client(CIRRINA_CLIENT_PAGE(self));

    G_OBJECT_CLASS(cirrina_vm_details_page_parent_class)->constructed(object);
    g_return_if_fail(client != NULL);

    build_settings(self);
    g_signal_connect_object(client, "object-added", G_CALLBACK(on_object_added_or_removed), self,
                            0);
    g_signal_connect_object(client, "object-removed", G_CALLBACK(on_object_added_or_removed), self,
                            0);
    g_signal_connect_object(client, "notify::connected", G_CALLBACK(watch_manager), self,
                            G_CONNECT_SWAPPED);
    watch_manager(self);
    load_all(self);
    update_changes(self);
}

static void cirrina_vm_details_page_get_property(GObject *object, guint prop_id, GValue *value,
                                                 GParamSpec *pspec)
{
    CirrinaVmDetailsPage *self = CIRRINA_VM_DETAILS_PAGE(object);

    switch (prop_id) {
    case PROP_VM:
        g_value_set_object(value, self->vm);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void cirrina_vm_details_page_set_property(GObject *object, guint prop_id,
                                                 const GValue *value, GParamSpec *pspec)
{
    CirrinaVmDetailsPage *self = CIRRINA_VM_DETAILS_PAGE(object);

    switch (prop_id) {
    case PROP_VM:
        cirrina_vm_details_page_set_vm(self, g_value_get_object(value));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void cirrina_vm_details_page_dispose(GObject *object)
{
    CirrinaVmDetailsPage *self = CIRRINA_VM_DETAILS_PAGE(object);

    g_cancellable_cancel(self->cancellable);
    g_clear_handle_id(&self->nic_refresh_source, g_source_remove);
    if (self->proxy != NULL)
        g_signal_handlers_disconnect_by_data(self->proxy, self);
    g_clear_object(&self->proxy);
    g_clear_object(&self->vm);
    /* AdwBin 1.2 would unparent its child again after the template did. */
    adw_bin_set_child(ADW_BIN(self), NULL);
    gtk_widget_dispose_template(GTK_WIDGET(self), CIRRINA_TYPE_VM_DETAILS_PAGE);
    /* The settings hold their rows until the rows are out of the page. */
    g_clear_pointer(&self->settings, g_hash_table_unref);
    G_OBJECT_CLASS(cirrina_vm_details_page_parent_class)->dispose(object);
}

static void cirrina_vm_details_page_finalize(GObject *object)
{
    CirrinaVmDetailsPage *self = CIRRINA_VM_DETAILS_PAGE(object);

    g_hash_table_unref(self->draft);
    g_clear_object(&self->cancellable);
    G_OBJECT_CLASS(cirrina_vm_details_page_parent_class)->finalize(object);
}

static void cirrina_vm_details_page_class_init(CirrinaVmDetailsPageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->constructed = cirrina_vm_details_page_constructed;
    object_class->get_property = cirrina_vm_details_page_get_property;
    object_class->set_property = cirrina_vm_details_page_set_property;
    object_class->dispose = cirrina_vm_details_page_dispose;
    object_class->finalize = cirrina_vm_details_page_finalize;

    properties[PROP_VM] =
        g_param_spec_object("vm", NULL, NULL, CIRRINA_TYPE_OBJECT,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/cirrina/Cirrina/cirrina-vm-details-page.ui");
    gtk_widget_class_bind_template_child(widget_class, CirrinaVmDetailsPage, preferences);
    gtk_widget_class_bind_template_child(widget_class, CirrinaVmDetailsPage, name_label);
    gtk_widget_class_bind_template_child(widget_class, CirrinaVmDetailsPage, state_label);
    gtk_widget_class_bind_template_child(widget_class, CirrinaVmDetailsPage, state_detail_label);
    gtk_widget_class_bind_template_child(widget_class, CirrinaVmDetailsPage, changes_label);
    gtk_widget_class_bind_template_child(widget_class, CirrinaVmDetailsPage, apply_spinner);
    /* Only looked up once, in init (no field). */
    gtk_widget_class_bind_template_child_full(widget_class, "console_button", FALSE, 0);

    gtk_widget_class_install_action(widget_class, "details.apply", NULL, action_apply);
    gtk_widget_class_install_action(widget_class, "details.revert", NULL, action_revert);
    gtk_widget_class_install_action(widget_class, "details.start", NULL, action_power);
    gtk_widget_class_install_action(widget_class, "details.stop", NULL, action_power);
    gtk_widget_class_install_action(widget_class, "details.kill", NULL, action_power);
    gtk_widget_class_install_action(widget_class, "details.reset", NULL, action_power);
    gtk_widget_class_install_action(widget_class, "details.console", NULL, action_console);
    gtk_widget_class_install_action(widget_class, "details.delete", NULL, action_delete);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_s, GDK_CONTROL_MASK, "details.apply",
                                        NULL);
}

/* The Console button is named by the template, and its AdwButtonContent
 * labels it by its label too once rooted; GTK 4.8 reads both ("Console
 * Console"). Once realized (rooted), the name alone. */
static void name_once(GtkWidget *button, gpointer user_data)
{
    gtk_accessible_reset_relation(GTK_ACCESSIBLE(button), GTK_ACCESSIBLE_RELATION_LABELLED_BY);
}

static void cirrina_vm_details_page_init(CirrinaVmDetailsPage *self)
{
    GtkEventController *keys = gtk_event_controller_key_new();

    self->settings =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)cirrina_setting_free);
    self->draft =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_variant_unref);
    self->cancellable = g_cancellable_new();
    gtk_widget_init_template(GTK_WIDGET(self));
    g_signal_connect(gtk_widget_get_template_child(GTK_WIDGET(self), CIRRINA_TYPE_VM_DETAILS_PAGE,
                                                   "console_button"),
                     "realize", G_CALLBACK(name_once), NULL);

    gtk_event_controller_set_propagation_phase(keys, GTK_PHASE_CAPTURE);
    g_signal_connect(keys, "key-pressed", G_CALLBACK(on_key_pressed), self);
    gtk_widget_add_controller(GTK_WIDGET(self), keys);
}
