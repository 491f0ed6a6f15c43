/* CirrinaNicList: a VM's NICs and the edits waiting for Apply (see
 * cirrina-nic-list.h). */
#include "cirrina-nic-list.h"

#include <string.h>

#include "cirrina-setting-row.h"

#define NIC_INTERFACE    "org.cirrina.NIC"
#define SWITCH_INTERFACE "org.cirrina.Switch"
#define MAX_NICS         8
#define NAT_PATH         "/"

static const char *const models[] = {"virtio-net", "e1000", NULL};
static const char *const model_labels[] = {"VirtIO", "Intel E1000", NULL};

/* The NIC properties besides Switch, edited with the setting rows. */
static const CirrinaSettingSpec nic_specs[] = {
    {.key = "Model",
     .title = "Model",
     .kind = CIRRINA_SETTING_CHOICE,
     .choices = models,
     .labels = model_labels},
    {.key = "MAC",
     .title = "MAC Address",
     .subtitle = "Empty: one is made from the VM's identity",
     .kind = CIRRINA_SETTING_TEXT},
    {.key = "RateLimitIn",
     .title = "Limit to the Guest",
     .subtitle = "kbit/s, 0 for none; NICs on a switch only",
     .kind = CIRRINA_SETTING_UINT64,
     .min = 0,
     .max = 100000000,
     .unit = 1000},
    {.key = "RateLimitOut",
     .title = "Limit from the Guest",
     .subtitle = "kbit/s, 0 for none; NICs on a switch only",
     .kind = CIRRINA_SETTING_UINT64,
     .min = 0,
     .max = 100000000,
     .unit = 1000},
};
#define N_NIC_SPECS G_N_ELEMENTS(nic_specs)

typedef struct {
    CirrinaNicList *list;
    char *path;          /* NULL: a new NIC, made by Apply */
    gboolean remove;     /* an existing NIC that Apply removes */
    GHashTable *changes; /* key -> GVariant: Update's (or AddNIC's) a{sv} */
    gboolean expanded;

    /* its row, remade by rebuild() */
    GtkWidget *row;
    GtkWidget *network;       /* AdwComboRow */
    GPtrArray *network_paths; /* the combo's paths, "/" first */
    CirrinaSetting *settings[N_NIC_SPECS];
} Nic;

struct _CirrinaNicList {
    AdwPreferencesGroup parent_instance;

    CirrinaClient *client;
    CirrinaVM *vm;
    GPtrArray *nics; /* Nic *, in the daemon's order, new ones last */
    GtkWidget *placeholder;
    GtkWidget *add_button;
    GtkWidget *popover_list;
    gboolean loading;
};

G_DEFINE_FINAL_TYPE(CirrinaNicList, cirrina_nic_list, ADW_TYPE_PREFERENCES_GROUP)

enum { SIGNAL_CHANGED, N_SIGNALS };
static guint signals[N_SIGNALS];

static void clear_widgets(Nic *nic)
{
    for (guint i = 0; i < N_NIC_SPECS; i++)
        g_clear_pointer(&nic->settings[i], cirrina_setting_free);
    g_clear_pointer(&nic->network_paths, g_ptr_array_unref);
    nic->network = NULL;
    nic->row = NULL;
}

static void nic_free(Nic *nic)
{
    clear_widgets(nic);
    g_free(nic->path);
    g_hash_table_unref(nic->changes);
    g_free(nic);
}

static Nic *nic_new(CirrinaNicList *list, const char *path)
{
    Nic *nic = g_new0(Nic, 1);

    nic->list = list;
    nic->path = g_strdup(path);
    nic->changes =
        g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_variant_unref);
    return nic;
}

static GDBusProxy *nic_proxy(Nic *nic)
{
    GDBusObjectManager *manager = cirrina_client_get_object_manager(nic->list->client);

    if (nic->path == NULL || manager == NULL)
        return NULL;
    return G_DBUS_PROXY(g_dbus_object_manager_get_interface(manager, nic->path, NIC_INTERFACE));
}

/* What the daemon has (a new NIC: what AddNIC would make by default). */
static GVariant *current_value(Nic *nic, const char *key)
{
    g_autoptr(GDBusProxy) proxy = nic_proxy(nic);
    GVariant *v = proxy != NULL ? g_dbus_proxy_get_cached_property(proxy, key) : NULL;

    if (v != NULL)
        return v;
    if (g_strcmp0(key, "Switch") == 0)
        return g_variant_ref_sink(g_variant_new_object_path(NAT_PATH));
    if (g_strcmp0(key, "Model") == 0)
        return g_variant_ref_sink(g_variant_new_string("virtio-net"));
    if (g_strcmp0(key, "MAC") == 0)
        return g_variant_ref_sink(g_variant_new_string(""));
    return g_variant_ref_sink(g_variant_new_uint64(0));
}

/* What the user sees: the pending value, else the daemon's. */
static GVariant *shown_value(Nic *nic, const char *key)
{
    GVariant *v = g_hash_table_lookup(nic->changes, key);
    return v != NULL ? g_variant_ref(v) : current_value(nic, key);
}

static char *network_name(CirrinaNicList *self, const char *path)
{
    GDBusObjectManager *manager = cirrina_client_get_object_manager(self->client);

    if (g_strcmp0(path, NAT_PATH) == 0)
        return g_strdup("User-mode NAT");
    g_autoptr(GDBusProxy) proxy =
        manager != NULL
            ? G_DBUS_PROXY(g_dbus_object_manager_get_interface(manager, path, SWITCH_INTERFACE))
            : NULL;
    g_autoptr(GVariant) name =
        proxy != NULL ? g_dbus_proxy_get_cached_property(proxy, "Name") : NULL;
    return name != NULL ? g_strdup_printf("Switch %s", g_variant_get_string(name, NULL))
                        : g_strdup("Missing switch");
}

static guint count_kept(CirrinaNicList *self)
{
    guint n = 0;
    for (guint i = 0; i < self->nics->len; i++)
        n += !((Nic *)self->nics->pdata[i])->remove;
    return n;
}

guint cirrina_nic_list_count_changes(CirrinaNicList *self)
{
    guint n = 0;

    g_return_val_if_fail(CIRRINA_IS_NIC_LIST(self), 0);
    for (guint i = 0; i < self->nics->len; i++) {
        Nic *nic = self->nics->pdata[i];
        n += nic->path == NULL || nic->remove || g_hash_table_size(nic->changes) > 0;
    }
    return n;
}

static void emit_changed(CirrinaNicList *self)
{
    g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

/* Title: the network; subtitle: model, MAC and what Apply will do. */
static void update_labels(Nic *nic)
{
    g_autoptr(GVariant) sw = shown_value(nic, "Switch");
    g_autoptr(GVariant) model = shown_value(nic, "Model");
    g_autoptr(GVariant) mac = shown_value(nic, "MAC");
    g_autofree char *title = network_name(nic->list, g_variant_get_string(sw, NULL));
    const char *mac_text = g_variant_get_string(mac, NULL);
    const char *state = nic->path == NULL                     ? " · new, not applied yet"
                        : nic->remove                         ? " · removed on Apply"
                        : g_hash_table_size(nic->changes) > 0 ? " · changed, not applied yet"
                                                              : "";
    g_autofree char *subtitle = g_strdup_printf("%s%s%s%s", g_variant_get_string(model, NULL),
                                                *mac_text ? " · " : "", mac_text, state);

    if (nic->row == NULL)
        return;
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(nic->row), title);
    adw_expander_row_set_subtitle(ADW_EXPANDER_ROW(nic->row), subtitle);
}

/* new_value: floating or not; the caller keeps its own reference. */
static void set_change(Nic *nic, const char *key, GVariant *new_value)
{
    g_autoptr(GVariant) value = g_variant_ref_sink(new_value);
    g_autoptr(GVariant) current = current_value(nic, key);
    gboolean is_default_mac =
        nic->path == NULL && g_strcmp0(key, "MAC") == 0 && *g_variant_get_string(value, NULL) == 0;

    /* A new NIC takes every value given; an existing one only differences. */
    if ((nic->path != NULL && g_variant_equal(current, value)) || is_default_mac)
        g_hash_table_remove(nic->changes, key);
    else
        g_hash_table_insert(nic->changes, (gpointer)g_intern_string(key), g_variant_ref(value));
    update_labels(nic);
    emit_changed(nic->list);
}

static void on_setting_changed(CirrinaSetting *setting, gpointer user_data)
{
    Nic *nic = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) value = cirrina_setting_get_value(setting, &error);

    cirrina_setting_set_error(setting, error != NULL ? error->message : NULL);
    if (value != NULL)
        set_change(nic, cirrina_setting_get_spec(setting)->key, value);
}

static void on_network_selected(GObject *combo, GParamSpec *pspec, gpointer user_data)
{
    Nic *nic = user_data;
    guint selected = adw_combo_row_get_selected(ADW_COMBO_ROW(combo));

    if (nic->list->loading || selected >= nic->network_paths->len)
        return;
    set_change(nic, "Switch", g_variant_new_object_path(nic->network_paths->pdata[selected]));
}

static void on_remove_clicked(GtkButton *button, gpointer user_data)
{
    Nic *nic = user_data;
    guint index;

    if (g_ptr_array_find(nic->list->nics, nic, &index))
        cirrina_nic_list_remove(nic->list, index);
}

/* The switches, sorted by name, after NAT: the choices of a network combo. */
static GPtrArray *list_networks(CirrinaNicList *self)
{
    GDBusObjectManager *manager = cirrina_client_get_object_manager(self->client);
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    GList *objects = manager != NULL ? g_dbus_object_manager_get_objects(manager) : NULL;
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

    for (GList *l = objects; l != NULL; l = l->next) {
        g_autoptr(GDBusInterface) sw = g_dbus_object_get_interface(l->data, SWITCH_INTERFACE);
        if (sw != NULL)
            g_ptr_array_add(names, network_name(self, g_dbus_object_get_object_path(l->data)));
        if (sw != NULL)
            g_ptr_array_add(paths, g_strdup(g_dbus_object_get_object_path(l->data)));
    }
    g_list_free_full(objects, g_object_unref);
    /* sort paths by their names: a small list, insertion sort */
    for (guint i = 1; i < paths->len; i++)
        for (guint j = i; j > 0 && g_strcmp0(names->pdata[j - 1], names->pdata[j]) > 0; j--) {
            gpointer t = names->pdata[j];
            names->pdata[j] = names->pdata[j - 1];
            names->pdata[j - 1] = t;
            t = paths->pdata[j];
            paths->pdata[j] = paths->pdata[j - 1];
            paths->pdata[j - 1] = t;
        }
    g_ptr_array_insert(paths, 0, g_strdup(NAT_PATH));
    return paths;
}

static GtkWidget *build_network_combo(Nic *nic)
{
    g_autoptr(GVariant) shown = shown_value(nic, "Switch");
    const char *shown_path = g_variant_get_string(shown, NULL);
    GtkStringList *labels = gtk_string_list_new(NULL);
    GtkWidget *combo = adw_combo_row_new();
    guint selected = 0;

    nic->network_paths = list_networks(nic->list);
    if (!g_ptr_array_find_with_equal_func(nic->network_paths, shown_path, g_str_equal, &selected)) {
        /* a switch that is gone: still shown, as it is */
        g_ptr_array_add(nic->network_paths, g_strdup(shown_path));
        selected = nic->network_paths->len - 1;
    }
    for (guint i = 0; i < nic->network_paths->len; i++) {
        g_autofree char *name = network_name(nic->list, nic->network_paths->pdata[i]);
        gtk_string_list_append(labels, name);
    }
    adw_combo_row_set_model(ADW_COMBO_ROW(combo), G_LIST_MODEL(labels));
    g_object_unref(labels);
    adw_combo_row_set_selected(ADW_COMBO_ROW(combo), selected);
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(combo), "Network");
    gtk_accessible_update_property(GTK_ACCESSIBLE(combo), GTK_ACCESSIBLE_PROPERTY_LABEL, "Network",
                                   -1);
    g_signal_connect(combo, "notify::selected", G_CALLBACK(on_network_selected), nic);
    return combo;
}

static void build_row(Nic *nic, guint number)
{
    GtkWidget *row = adw_expander_row_new();
    g_autofree char *remove_label = g_strdup_printf(
        nic->remove ? "Keep network interface %u" : "Remove network interface %u", number);
    GtkWidget *button =
        gtk_button_new_from_icon_name(nic->remove ? "edit-undo-symbolic" : "list-remove-symbolic");

    nic->row = row;
    adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
    adw_expander_row_add_prefix(ADW_EXPANDER_ROW(row),
                                gtk_image_new_from_icon_name("network-wired-symbolic"));
    gtk_widget_set_valign(button, GTK_ALIGN_CENTER);
    gtk_widget_add_css_class(button, "flat");
    gtk_widget_set_tooltip_text(button, remove_label);
    gtk_accessible_update_property(GTK_ACCESSIBLE(button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   remove_label, -1);
    g_signal_connect(button, "clicked", G_CALLBACK(on_remove_clicked), nic);
    adw_expander_row_add_action(ADW_EXPANDER_ROW(row), button);

    nic->network = build_network_combo(nic);
    adw_expander_row_add_row(ADW_EXPANDER_ROW(row), nic->network);
    for (guint i = 0; i < N_NIC_SPECS; i++) {
        g_autoptr(GVariant) value = shown_value(nic, nic_specs[i].key);
        nic->settings[i] = cirrina_setting_new(&nic_specs[i], on_setting_changed, nic);
        cirrina_setting_set_value(nic->settings[i], value);
        adw_expander_row_add_row(ADW_EXPANDER_ROW(row), cirrina_setting_get_row(nic->settings[i]));
    }
    /* A NIC being removed is not edited any more. */
    adw_expander_row_set_enable_expansion(ADW_EXPANDER_ROW(row), !nic->remove);
    adw_expander_row_set_expanded(ADW_EXPANDER_ROW(row), nic->expanded && !nic->remove);
    if (nic->remove)
        gtk_widget_add_css_class(row, "dim-label");
    update_labels(nic);
}

static void rebuild(CirrinaNicList *self)
{
    self->loading = TRUE;
    for (guint i = 0; i < self->nics->len; i++) {
        Nic *nic = self->nics->pdata[i];
        if (nic->row != NULL) {
            nic->expanded = adw_expander_row_get_expanded(ADW_EXPANDER_ROW(nic->row));
            adw_preferences_group_remove(ADW_PREFERENCES_GROUP(self), nic->row);
        }
        clear_widgets(nic);
    }
    for (guint i = 0; i < self->nics->len; i++) {
        build_row(self->nics->pdata[i], i + 1);
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(self), ((Nic *)self->nics->pdata[i])->row);
    }
    gtk_widget_set_visible(self->placeholder, self->nics->len == 0);
    gtk_widget_set_sensitive(self->add_button, self->vm != NULL && count_kept(self) < MAX_NICS);
    self->loading = FALSE;
}

static Nic *take_nic(GPtrArray *nics, const char *path)
{
    for (guint i = 0; i < nics->len; i++) {
        Nic *nic = nics->pdata[i];
        if (g_strcmp0(nic->path, path) == 0)
            return g_ptr_array_steal_index(nics, i);
    }
    return NULL;
}

/* <vm>/nic/<n>: n, the order the daemon keeps. */
static guint64 nic_number(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash != NULL ? g_ascii_strtoull(slash + 1, NULL, 10) : 0;
}

static int compare_nic_paths(gconstpointer a, gconstpointer b)
{
    guint64 na = nic_number(*(const char **)a), nb = nic_number(*(const char **)b);
    return na < nb ? -1 : na > nb;
}

/* The VM's NICs from the NIC objects themselves: they come and go with
 * InterfacesAdded/Removed, whereas the VM's NICs property is derived and
 * not announced when it changes. */
static GPtrArray *vm_nic_paths(CirrinaNicList *self)
{
    GDBusObjectManager *manager = cirrina_client_get_object_manager(self->client);
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    const char *vm_path =
        self->vm != NULL ? g_dbus_proxy_get_object_path(G_DBUS_PROXY(self->vm)) : NULL;
    GList *objects =
        manager != NULL && vm_path != NULL ? g_dbus_object_manager_get_objects(manager) : NULL;

    for (GList *l = objects; l != NULL; l = l->next) {
        g_autoptr(GDBusInterface) nic = g_dbus_object_get_interface(l->data, NIC_INTERFACE);
        g_autoptr(GVariant) vm =
            nic != NULL ? g_dbus_proxy_get_cached_property(G_DBUS_PROXY(nic), "VM") : NULL;
        if (vm != NULL && g_strcmp0(g_variant_get_string(vm, NULL), vm_path) == 0)
            g_ptr_array_add(paths, g_strdup(g_dbus_object_get_object_path(l->data)));
    }
    g_list_free_full(objects, g_object_unref);
    g_ptr_array_sort(paths, compare_nic_paths);
    return paths;
}

void cirrina_nic_list_refresh(CirrinaNicList *self)
{
    g_return_if_fail(CIRRINA_IS_NIC_LIST(self));
    g_autoptr(GPtrArray) old = self->nics;
    g_autoptr(GPtrArray) paths = vm_nic_paths(self);
    guint before = cirrina_nic_list_count_changes(self);

    self->nics = g_ptr_array_new_with_free_func((GDestroyNotify)nic_free);
    for (guint i = 0; i < paths->len; i++) {
        Nic *nic = take_nic(old, paths->pdata[i]);
        g_ptr_array_add(self->nics, nic != NULL ? nic : nic_new(self, paths->pdata[i]));
    }
    /* new NICs stay pending; NICs that went away take their edits along */
    Nic *pending;
    while ((pending = take_nic(old, NULL)) != NULL)
        g_ptr_array_add(self->nics, pending);
    for (guint i = 0; i < old->len; i++) {
        Nic *gone = old->pdata[i];
        if (gone->row != NULL)
            adw_preferences_group_remove(ADW_PREFERENCES_GROUP(self), gone->row);
    }
    rebuild(self);
    if (cirrina_nic_list_count_changes(self) != before)
        emit_changed(self);
}

void cirrina_nic_list_set_vm(CirrinaNicList *self, CirrinaVM *vm)
{
    g_return_if_fail(CIRRINA_IS_NIC_LIST(self));
    g_set_object(&self->vm, vm);
    cirrina_nic_list_revert(self);
}

void cirrina_nic_list_revert(CirrinaNicList *self)
{
    g_return_if_fail(CIRRINA_IS_NIC_LIST(self));
    for (guint i = 0; i < self->nics->len; i++) {
        Nic *nic = self->nics->pdata[i];
        if (nic->row != NULL)
            adw_preferences_group_remove(ADW_PREFERENCES_GROUP(self), nic->row);
    }
    g_ptr_array_set_size(self->nics, 0);
    cirrina_nic_list_refresh(self);
    emit_changed(self);
}

void cirrina_nic_list_add(CirrinaNicList *self, const char *switch_path)
{
    g_return_if_fail(CIRRINA_IS_NIC_LIST(self));
    Nic *nic = nic_new(self, NULL);

    g_hash_table_insert(nic->changes, (gpointer)g_intern_static_string("Switch"),
                        g_variant_ref_sink(g_variant_new_object_path(switch_path)));
    g_ptr_array_add(self->nics, nic);
    rebuild(self);
    emit_changed(self);
}

void cirrina_nic_list_remove(CirrinaNicList *self, guint index)
{
    g_return_if_fail(CIRRINA_IS_NIC_LIST(self));
    if (index >= self->nics->len)
        return;
    Nic *nic = self->nics->pdata[index];
    if (nic->path == NULL) {
        adw_preferences_group_remove(ADW_PREFERENCES_GROUP(self), nic->row);
        g_ptr_array_remove_index(self->nics, index);
    } else {
        /* the button toggles: remove, or keep after all */
        nic->remove = !nic->remove;
    }
    rebuild(self);
    emit_changed(self);
}

/* --- Apply --- */

typedef struct {
    Nic *nic;
    char *what;
} Step;

static void apply_next(GTask *task);

static gboolean step_nic_alive(CirrinaNicList *self, Nic *nic, guint *index)
{
    return g_ptr_array_find(self->nics, nic, index);
}

static void on_step_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    CirrinaNicList *self = g_task_get_source_object(task);
    Step *step = g_task_get_task_data(task);
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = cirrina_proxy_call_finish(source, result, &error);
    guint index;

    if (reply == NULL) {
        g_task_return_error(task, g_steal_pointer(&error));
        return;
    }
    /* Done: this edit is no longer pending (the daemon's signals bring the
     * NIC itself, as it now is). */
    if (step_nic_alive(self, step->nic, &index)) {
        Nic *nic = step->nic;
        if (nic->path == NULL || nic->remove) {
            if (nic->row != NULL)
                adw_preferences_group_remove(ADW_PREFERENCES_GROUP(self), nic->row);
            g_ptr_array_remove_index(self->nics, index);
        } else {
            g_hash_table_remove_all(nic->changes);
        }
        rebuild(self);
        emit_changed(self);
    }
    apply_next(g_steal_pointer(&task));
}

static GVariant *changes_to_asv(GHashTable *changes)
{
    GVariantBuilder builder;
    GHashTableIter iter;
    gpointer key, value;

    g_variant_builder_init(&builder, G_VARIANT_TYPE_VARDICT);
    g_hash_table_iter_init(&iter, changes);
    while (g_hash_table_iter_next(&iter, &key, &value))
        g_variant_builder_add(&builder, "{sv}", key, value);
    return g_variant_builder_end(&builder);
}

/* Removals first (they free places: at most 8 NICs), then changes, then
 * new NICs, each in the list's order. */
static Nic *next_nic(CirrinaNicList *self, int *pass)
{
    for (*pass = 0; *pass < 3; (*pass)++)
        for (guint i = 0; i < self->nics->len; i++) {
            Nic *nic = self->nics->pdata[i];
            if ((*pass == 0 && nic->path != NULL && nic->remove) ||
                (*pass == 1 && nic->path != NULL && !nic->remove &&
                 g_hash_table_size(nic->changes) > 0) ||
                (*pass == 2 && nic->path == NULL))
                return nic;
        }
    return NULL;
}

static void apply_next(GTask *task)
{
    CirrinaNicList *self = g_task_get_source_object(task);
    Step *step = g_task_get_task_data(task);
    int pass;
    Nic *nic = next_nic(self, &pass);

    if (nic == NULL || self->vm == NULL) {
        g_task_return_boolean(task, TRUE);
        g_object_unref(task);
        return;
    }
    step->nic = nic;
    g_free(step->what);
    if (pass == 2) {
        g_autoptr(GVariant) sw = shown_value(nic, "Switch");
        g_autofree char *network = network_name(self, g_variant_get_string(sw, NULL));
        step->what = g_strdup_printf("Adding a network interface on %s", network);
        cirrina_proxy_call(self->vm, "AddNIC",
                           g_variant_new("(@a{sv})", changes_to_asv(nic->changes)), NULL,
                           on_step_done, task);
        return;
    }
    g_autoptr(GDBusProxy) proxy = nic_proxy(nic);
    guint index = 0;
    g_ptr_array_find(self->nics, nic, &index);
    step->what = g_strdup_printf(
        pass == 0 ? "Removing network interface %u" : "Changing network interface %u", index + 1);
    if (proxy == NULL) {
        g_task_return_new_error(task, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                                "The network interface is gone");
        g_object_unref(task);
        return;
    }
    if (pass == 0)
        cirrina_proxy_call(proxy, "Remove", NULL, NULL, on_step_done, task);
    else
        cirrina_proxy_call(proxy, "Update", g_variant_new("(@a{sv})", changes_to_asv(nic->changes)),
                           NULL, on_step_done, task);
}

static void step_free(Step *step)
{
    g_free(step->what);
    g_free(step);
}

void cirrina_nic_list_apply(CirrinaNicList *self, GAsyncReadyCallback callback, gpointer user_data)
{
    GTask *task = g_task_new(self, NULL, callback, user_data);

    g_task_set_source_tag(task, cirrina_nic_list_apply);
    g_task_set_task_data(task, g_new0(Step, 1), (GDestroyNotify)step_free);
    apply_next(task);
}

gboolean cirrina_nic_list_apply_finish(CirrinaNicList *self, GAsyncResult *result, char **what,
                                       GError **error)
{
    Step *step = g_task_get_task_data(G_TASK(result));

    if (what != NULL)
        *what = g_strdup(step->what);
    return g_task_propagate_boolean(G_TASK(result), error);
}

/* --- the "Add" popover --- */

static void on_network_activated(GtkListBox *box, GtkListBoxRow *row, gpointer user_data)
{
    CirrinaNicList *self = user_data;
    const char *path = g_object_get_data(G_OBJECT(row), "object-path");

    gtk_menu_button_popdown(GTK_MENU_BUTTON(self->add_button));
    if (path != NULL)
        cirrina_nic_list_add(self, path);
}

static void on_popover_show(GtkWidget *popover, gpointer user_data)
{
    CirrinaNicList *self = user_data;
    g_autoptr(GPtrArray) paths = list_networks(self);
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child(self->popover_list)) != NULL)
        gtk_list_box_remove(GTK_LIST_BOX(self->popover_list), child);
    for (guint i = 0; i < paths->len; i++) {
        g_autofree char *name = network_name(self, paths->pdata[i]);
        GtkWidget *row = adw_action_row_new();
        adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), name);
        if (i == 0)
            adw_action_row_set_subtitle(ADW_ACTION_ROW(row), "Outgoing connections, no setup");
        gtk_list_box_row_set_activatable(GTK_LIST_BOX_ROW(row), TRUE);
        g_object_set_data_full(G_OBJECT(row), "object-path", g_strdup(paths->pdata[i]), g_free);
        gtk_list_box_append(GTK_LIST_BOX(self->popover_list), row);
    }
}

CirrinaNicList *cirrina_nic_list_new(CirrinaClient *client)
{
    CirrinaNicList *self = g_object_new(CIRRINA_TYPE_NIC_LIST, NULL);

    self->client = g_object_ref(client);
    rebuild(self);
    return self;
}

static void cirrina_nic_list_dispose(GObject *object)
{
    CirrinaNicList *self = CIRRINA_NIC_LIST(object);

    if (self->nics != NULL)
        g_ptr_array_set_size(self->nics, 0);
    g_clear_object(&self->vm);
    g_clear_object(&self->client);
    G_OBJECT_CLASS(cirrina_nic_list_parent_class)->dispose(object);
}

static void cirrina_nic_list_finalize(GObject *object)
{
    CirrinaNicList *self = CIRRINA_NIC_LIST(object);

    g_ptr_array_unref(self->nics);
    G_OBJECT_CLASS(cirrina_nic_list_parent_class)->finalize(object);
}

static void cirrina_nic_list_class_init(CirrinaNicListClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->dispose = cirrina_nic_list_dispose;
    object_class->finalize = cirrina_nic_list_finalize;

    signals[SIGNAL_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
                                           0, NULL, NULL, NULL, G_TYPE_NONE, 0);
}

static void cirrina_nic_list_init(CirrinaNicList *self)
{
    GtkWidget *popover = gtk_popover_new();

    self->nics = g_ptr_array_new_with_free_func((GDestroyNotify)nic_free);
    adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(self), "Network Interfaces");

    self->placeholder = adw_action_row_new();
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(self->placeholder), "No network interfaces");
    gtk_widget_add_css_class(self->placeholder, "dim-label");
    adw_preferences_group_add(ADW_PREFERENCES_GROUP(self), self->placeholder);

    self->popover_list = gtk_list_box_new();
    gtk_list_box_set_selection_mode(GTK_LIST_BOX(self->popover_list), GTK_SELECTION_NONE);
    gtk_widget_add_css_class(self->popover_list, "boxed-list");
    gtk_widget_set_size_request(self->popover_list, 260, -1);
    g_signal_connect(self->popover_list, "row-activated", G_CALLBACK(on_network_activated), self);
    gtk_popover_set_child(GTK_POPOVER(popover), self->popover_list);
    g_signal_connect(popover, "show", G_CALLBACK(on_popover_show), self);

    self->add_button = gtk_menu_button_new();
    gtk_menu_button_set_icon_name(GTK_MENU_BUTTON(self->add_button), "list-add-symbolic");
    gtk_menu_button_set_popover(GTK_MENU_BUTTON(self->add_button), popover);
    gtk_widget_add_css_class(self->add_button, "flat");
    gtk_widget_set_valign(self->add_button, GTK_ALIGN_CENTER);
    gtk_widget_set_tooltip_text(self->add_button, "Add network interface");
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->add_button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   "Add network interface", -1);
    adw_preferences_group_set_header_suffix(ADW_PREFERENCES_GROUP(self), self->add_button);
}
