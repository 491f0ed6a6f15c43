/* CirrinaConsolePage (see the header). In this file, in order: the VM
 * followed (state, tabs), the display's connection, the serial tabs, the
 * actions of the toolbar, fullscreen, and the GObject plumbing. */
#include <string.h>

#include "cirrina-console-page.h"

#include "cirrina-vnc-display.h"
#include "cirrina-window.h"

/* After the display closed while the VM still runs (the daemon restarted
 * and took the VM back, or the server turned us away): try again this
 * often, this many times in a row. */
#define REOPEN_DELAY_MS 1000
#define REOPEN_MAX      10
/* How long a display error waits to see whether the VM stopped (then it is
 * no error: the server went with the VM). */
#define DISPLAY_ERROR_SETTLE_MS 2000
#define SERIAL_PORTS_MAX        4

struct _CirrinaConsolePage {
    CirrinaClientPage parent_instance;

    CirrinaObject *vm;
    CirrinaVM *proxy;
    gulong notify_handler;
    /* Calls made for the current VM; cancelled when it changes. */
    GCancellable *cancel;
    gboolean start_pending;

    GtkStack *stack;
    AdwStatusPage *stopped_page;
    GtkWidget *toolbar;
    GtkLabel *name_label;
    GtkWidget *keys_button;
    AdwViewStack *views;
    GtkStack *display_stack;
    GtkSpinner *display_spinner;
    AdwBin *display_holder;
    GtkWidget *display_scroller;
    CirrinaVncDisplay *display;

    gboolean display_opening;
    guint display_reopen;
    guint display_reopen_count;
    char *display_error; /* waiting for DISPLAY_ERROR_SETTLE_MS */
    guint display_error_timeout;
    gboolean display_error_shown; /* one message until the display works again */

    /* CirrinaSerialTerminal, one per port of the VM, in views. */
    GPtrArray *terminals;

    gboolean scale_to_fit;
    gboolean fullscreen;
    GtkWindow *fullscreen_window;
    GtkRevealer *fullscreen_bar;
    GtkWidget *fullscreen_leave;
};

G_DEFINE_FINAL_TYPE(CirrinaConsolePage, cirrina_console_page, CIRRINA_TYPE_CLIENT_PAGE)

enum { PROP_0, PROP_VM, PROP_SCALE_TO_FIT, PROP_FULLSCREEN, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void update(CirrinaConsolePage *self);
static void set_fullscreen(CirrinaConsolePage *self, gboolean fullscreen);

static CirrinaWindow *page_window(CirrinaConsolePage *self)
{
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
    return CIRRINA_IS_WINDOW(root) ? CIRRINA_WINDOW(root) : NULL;
}

static void show_error(CirrinaConsolePage *self, const char *what, const GError *error)
{
    CirrinaWindow *window = page_window(self);

    if (window)
        cirrina_window_show_error(window, what, error);
    else
        g_warning("%s: %s", what, error->message);
}

static const char *vm_state(CirrinaConsolePage *self)
{
    return self->proxy ? cirrina_vm_get_state(self->proxy) : NULL;
}

static gboolean vm_running(CirrinaConsolePage *self)
{
    return g_strcmp0(vm_state(self), "running") == 0;
}

static gboolean vm_has_display(CirrinaConsolePage *self)
{
    return self->proxy && g_strcmp0(cirrina_vm_get_display(self->proxy), "none") != 0;
}

static const char *vm_name(CirrinaConsolePage *self)
{
    const char *name = self->proxy ? cirrina_vm_get_name(self->proxy) : NULL;
    return name ? name : "";
}

/* --- the display's connection --- */

static void on_display_opened(GObject *source, GAsyncResult *result, gpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GUnixFDList) fds = NULL;
    g_autoptr(GVariant) reply = cirrina_proxy_call_with_fds_finish(source, &fds, result, &error);

    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    CirrinaConsolePage *self = data;
    self->display_opening = FALSE;
    if (!reply) {
        /* Stopped again before the call arrived: the next start retries. */
        if (vm_running(self))
            show_error(self, "Cannot open the display", error);
        update(self);
        return;
    }
    gint32 handle = -1;
    g_variant_get(reply, "(h)", &handle);
    int fd = -1;
    if (fds)
        fd = g_unix_fd_list_get(fds, handle, &error);
    else
        g_set_error(&error, G_IO_ERROR, G_IO_ERROR_FAILED, "cirrinad sent no socket");
    if (fd < 0) {
        show_error(self, "Cannot open the display", error);
        return;
    }
    cirrina_vnc_display_open_fd(self->display, fd);
    update(self);
}

static void maybe_open_display(CirrinaConsolePage *self)
{
    if (!vm_running(self) || !vm_has_display(self) || self->display_opening ||
        self->display_reopen || cirrina_vnc_display_get_connected(self->display))
        return;
    self->display_opening = TRUE;
    cirrina_proxy_call_with_fds(self->proxy, "OpenDisplay", g_variant_new("(a{sv})", NULL), NULL,
                                self->cancel, on_display_opened, self);
}

static gboolean reopen_display(gpointer data)
{
    CirrinaConsolePage *self = data;

    self->display_reopen = 0;
    maybe_open_display(self);
    return G_SOURCE_REMOVE;
}

static void on_display_connected(CirrinaVncDisplay *display, gpointer data)
{
    CirrinaConsolePage *self = data;

    self->display_reopen_count = 0;
    self->display_error_shown = FALSE;
    update(self);
}

static void on_display_disconnected(CirrinaVncDisplay *display, gpointer data)
{
    CirrinaConsolePage *self = data;

    if (vm_running(self) && !self->display_reopen && self->display_reopen_count < REOPEN_MAX) {
        self->display_reopen_count++;
        self->display_reopen = g_timeout_add(REOPEN_DELAY_MS, reopen_display, self);
    }
    update(self);
}

static gboolean display_error_settled(gpointer data)
{
    CirrinaConsolePage *self = data;
    g_autofree char *message = g_steal_pointer(&self->display_error);

    self->display_error_timeout = 0;
    if (vm_running(self) && !self->display_error_shown) {
        self->display_error_shown = TRUE;
        g_autoptr(GError) error = g_error_new_literal(G_IO_ERROR, G_IO_ERROR_FAILED, message);
        show_error(self, "Display", error);
    }
    return G_SOURCE_REMOVE;
}

/* A VM that stops takes its VNC server along, and its State may say so only
 * after the connection broke: an error counts if the VM still runs a
 * moment later. */
static void on_display_error(CirrinaVncDisplay *display, const char *message, gpointer data)
{
    CirrinaConsolePage *self = data;

    if (!vm_running(self) || self->display_error)
        return;
    self->display_error = g_strdup(message);
    self->display_error_timeout =
        g_timeout_add(DISPLAY_ERROR_SETTLE_MS, display_error_settled, self);
}

static void on_display_password(GObject *source, GAsyncResult *result, gpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = cirrina_proxy_call_finish(source, result, &error);

    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    CirrinaConsolePage *self = data;
    if (!reply) {
        show_error(self, "Cannot get the display's password", error);
        cirrina_vnc_display_close(self->display);
        return;
    }
    const char *password = NULL;
    g_variant_get(reply, "(&s)", &password);
    cirrina_vnc_display_set_password(self->display, password);
}

/* The VNC server asks for the password: the daemon knows it. */
static void on_display_auth(CirrinaVncDisplay *display, gpointer data)
{
    CirrinaConsolePage *self = data;

    if (self->proxy)
        cirrina_proxy_call(self->proxy, "GetDisplayPassword", NULL, self->cancel,
                           on_display_password, self);
}

static void close_display(CirrinaConsolePage *self)
{
    g_clear_handle_id(&self->display_reopen, g_source_remove);
    g_clear_handle_id(&self->display_error_timeout, g_source_remove);
    g_clear_pointer(&self->display_error, g_free);
    self->display_error_shown = FALSE;
    self->display_opening = FALSE;
    self->display_reopen_count = 0;
    cirrina_vnc_display_close(self->display);
}

/* --- the serial tabs --- */

static void on_terminal_error(CirrinaSerialTerminal *terminal, const GError *error, gpointer data)
{
    CirrinaConsolePage *self = data;
    g_autofree char *what = g_strdup_printf("Cannot open the serial console %s",
                                            cirrina_serial_terminal_get_port(terminal));
    show_error(self, what, error);
}

static void remove_terminals(CirrinaConsolePage *self)
{
    for (guint i = 0; i < self->terminals->len; i++) {
        CirrinaSerialTerminal *terminal = self->terminals->pdata[i];
        cirrina_serial_terminal_follow(terminal, NULL, NULL);
        adw_view_stack_remove(self->views, GTK_WIDGET(terminal));
    }
    g_ptr_array_set_size(self->terminals, 0);
}

/* One tab per serial port: "Serial" alone, "Serial 1", "Serial 2" ... */
static void sync_terminals(CirrinaConsolePage *self)
{
    guint n = self->proxy ? MIN(cirrina_vm_get_serial_ports(self->proxy), SERIAL_PORTS_MAX) : 0;

    if (n == self->terminals->len)
        return;
    remove_terminals(self);
    for (guint i = 0; i < n; i++) {
        g_autofree char *port = g_strdup_printf("com%u", i + 1);
        g_autofree char *name = g_strdup_printf("serial-%s", port);
        g_autofree char *title = n == 1 ? g_strdup("Serial") : g_strdup_printf("Serial %u", i + 1);
        CirrinaSerialTerminal *terminal = cirrina_serial_terminal_new();
        g_autofree char *label = g_strdup_printf("Serial console %s", port);
        gtk_accessible_update_property(GTK_ACCESSIBLE(cirrina_serial_terminal_get_vte(terminal)),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
        g_signal_connect_object(terminal, "error", G_CALLBACK(on_terminal_error), self, 0);
        AdwViewStackPage *page =
            adw_view_stack_add_titled(self->views, GTK_WIDGET(terminal), name, title);
        adw_view_stack_page_set_icon_name(page, "utilities-terminal-symbolic");
        g_ptr_array_add(self->terminals, terminal);
        cirrina_serial_terminal_follow(terminal, self->proxy, port);
    }
}

/* --- the VM followed --- */

static gboolean display_tab_shown(CirrinaConsolePage *self)
{
    return g_strcmp0(adw_view_stack_get_visible_child_name(self->views), "display") == 0;
}

static void update_actions(CirrinaConsolePage *self)
{
    GtkWidget *widget = GTK_WIDGET(self);
    gboolean on_display = vm_running(self) && display_tab_shown(self) && vm_has_display(self);
    gboolean connected = on_display && cirrina_vnc_display_get_connected(self->display);
    const char *state = vm_state(self);

    gtk_widget_action_set_enabled(widget, "console.start",
                                  !self->start_pending && g_strcmp0(state, "stopped") == 0);
    gtk_widget_action_set_enabled(widget, "console.send-keys", connected);
    gtk_widget_action_set_enabled(widget, "console.screenshot", connected);
    gtk_widget_action_set_enabled(widget, "console.scale-to-fit", on_display);
    gtk_widget_action_set_enabled(widget, "console.fullscreen", connected || self->fullscreen);
    gtk_widget_action_set_enabled(widget, "console.release-keyboard", self->proxy != NULL);
}

static void update(CirrinaConsolePage *self)
{
    const char *state = vm_state(self);
    gboolean on = g_strcmp0(state, "running") == 0 || g_strcmp0(state, "stopping") == 0;

    if (!on) {
        gboolean starting = self->start_pending || g_strcmp0(state, "starting") == 0;
        adw_status_page_set_title(self->stopped_page,
                                  starting ? "Starting…" : "The VM Is Not Running");
        adw_status_page_set_description(self->stopped_page, vm_name(self));
        if (self->fullscreen)
            set_fullscreen(self, FALSE);
    }
    gtk_stack_set_visible_child_name(self->stack, on ? "console" : "stopped");
    gtk_label_set_label(self->name_label, vm_name(self));

    const char *display_page = "connecting";
    if (!vm_has_display(self))
        display_page = "none";
    else if (cirrina_vnc_display_get_connected(self->display))
        display_page = "screen";
    gtk_stack_set_visible_child_name(self->display_stack, display_page);
    gtk_spinner_set_spinning(self->display_spinner, g_strcmp0(display_page, "connecting") == 0);

    maybe_open_display(self);
    update_actions(self);
}

static void on_vm_notify(GObject *proxy, GParamSpec *pspec, gpointer data)
{
    CirrinaConsolePage *self = data;

    if (g_str_equal(pspec->name, "serial-ports"))
        sync_terminals(self);
    if (g_str_equal(pspec->name, "state")) {
        if (vm_running(self)) {
            self->display_reopen_count = 0;
            self->display_error_shown = FALSE;
        }
        update(self);
    } else if (g_str_equal(pspec->name, "display") || g_str_equal(pspec->name, "name")) {
        update(self);
    }
}

static void drop_vm(CirrinaConsolePage *self)
{
    set_fullscreen(self, FALSE);
    if (self->cancel)
        g_cancellable_cancel(self->cancel);
    g_clear_object(&self->cancel);
    self->start_pending = FALSE;
    close_display(self);
    remove_terminals(self);
    if (self->proxy)
        g_clear_signal_handler(&self->notify_handler, self->proxy);
    g_clear_object(&self->proxy);
    g_clear_object(&self->vm);
}

void cirrina_console_page_set_vm(CirrinaConsolePage *self, CirrinaObject *vm)
{
    g_return_if_fail(CIRRINA_IS_CONSOLE_PAGE(self));
    g_return_if_fail(vm == NULL || CIRRINA_IS_OBJECT(vm));

    if (self->vm == vm)
        return;
    drop_vm(self);
    if (vm) {
        self->vm = g_object_ref(vm);
        self->proxy = cirrina_object_get_vm(vm);
        self->cancel = g_cancellable_new();
    }
    if (self->proxy) {
        self->notify_handler =
            g_signal_connect(self->proxy, "notify", G_CALLBACK(on_vm_notify), self);
        sync_terminals(self);
        /* A VM without a display opens on its first serial port. */
        if (!vm_has_display(self) && self->terminals->len > 0)
            adw_view_stack_set_visible_child_name(self->views, "serial-com1");
        else
            adw_view_stack_set_visible_child_name(self->views, "display");
    }
    update(self);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_VM]);
}

CirrinaObject *cirrina_console_page_get_vm(CirrinaConsolePage *self)
{
    g_return_val_if_fail(CIRRINA_IS_CONSOLE_PAGE(self), NULL);
    return self->vm;
}

void cirrina_console_page_show_view(CirrinaConsolePage *self, const char *name)
{
    g_return_if_fail(CIRRINA_IS_CONSOLE_PAGE(self));
    if (name && adw_view_stack_get_child_by_name(self->views, name))
        adw_view_stack_set_visible_child_name(self->views, name);
}

const char *cirrina_console_page_get_visible_view(CirrinaConsolePage *self)
{
    g_return_val_if_fail(CIRRINA_IS_CONSOLE_PAGE(self), NULL);
    return adw_view_stack_get_visible_child_name(self->views);
}

GtkWidget *cirrina_console_page_get_display(CirrinaConsolePage *self)
{
    g_return_val_if_fail(CIRRINA_IS_CONSOLE_PAGE(self), NULL);
    return GTK_WIDGET(self->display);
}

CirrinaSerialTerminal *cirrina_console_page_get_serial_terminal(CirrinaConsolePage *self,
                                                                const char *port)
{
    g_return_val_if_fail(CIRRINA_IS_CONSOLE_PAGE(self), NULL);
    for (guint i = 0; i < self->terminals->len; i++) {
        CirrinaSerialTerminal *terminal = self->terminals->pdata[i];
        if (g_strcmp0(cirrina_serial_terminal_get_port(terminal), port) == 0)
            return terminal;
    }
    return NULL;
}

gboolean cirrina_console_page_save_screenshot(CirrinaConsolePage *self, const char *png_path,
                                              GError **error)
{
    g_return_val_if_fail(CIRRINA_IS_CONSOLE_PAGE(self), FALSE);
    return cirrina_vnc_display_save_screenshot(self->display, png_path, error);
}

/* The tab in front gets the keyboard, so typing goes where the user looks. */
static void on_view_changed(GObject *views, GParamSpec *pspec, gpointer data)
{
    CirrinaConsolePage *self = data;
    GtkWidget *child = adw_view_stack_get_visible_child(self->views);

    update_actions(self);
    if (child && gtk_widget_get_mapped(GTK_WIDGET(self)))
        gtk_widget_grab_focus(display_tab_shown(self) ? GTK_WIDGET(self->display) : child);
}

/* --- actions --- */

static void on_started(GObject *source, GAsyncResult *result, gpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = cirrina_proxy_call_finish(source, result, &error);

    if (g_error_matches(error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
    CirrinaConsolePage *self = data;
    self->start_pending = FALSE;
    if (!reply) {
        g_autofree char *what = g_strdup_printf("Cannot start “%s”", vm_name(self));
        show_error(self, what, error);
    }
    update(self);
}

static void action_start(GtkWidget *widget, const char *name, GVariant *parameter)
{
    CirrinaConsolePage *self = CIRRINA_CONSOLE_PAGE(widget);

    if (!self->proxy || self->start_pending)
        return;
    self->start_pending = TRUE;
    cirrina_proxy_call(self->proxy, "Start", NULL, self->cancel, on_started, self);
    update(self);
}

/* Linux input event codes (<linux/input-event-codes.h>), which the display
 * sends as physical PC keys whatever the local layout. */
enum {
    KEY_CODE_BACKSPACE = 14,
    KEY_CODE_LEFTCTRL = 29,
    KEY_CODE_LEFTALT = 56,
    KEY_CODE_F1 = 59, /* F1..F10 are 59..68 */
    KEY_CODE_F11 = 87,
    KEY_CODE_F12 = 88,
    KEY_CODE_DELETE = 111,
};

/* "ctrl-alt-del", "ctrl-alt-backspace", "ctrl-alt-f1".."ctrl-alt-f12": the
 * last key's code, or 0. */
static guint combo_last_key(const char *combo)
{
    if (!g_str_has_prefix(combo, "ctrl-alt-"))
        return 0;
    const char *key = combo + strlen("ctrl-alt-");
    if (g_str_equal(key, "del"))
        return KEY_CODE_DELETE;
    if (g_str_equal(key, "backspace"))
        return KEY_CODE_BACKSPACE;
    guint64 f = 0;
    if (key[0] == 'f' && g_ascii_string_to_unsigned(key + 1, 10, 1, 12, &f, NULL))
        return f <= 10 ? KEY_CODE_F1 + (guint)f - 1 : f == 11 ? KEY_CODE_F11 : KEY_CODE_F12;
    return 0;
}

static void send_combo(CirrinaConsolePage *self, const char *combo)
{
    guint last = combo_last_key(combo);
    if (last == 0) {
        g_warning("Unknown key combination '%s'", combo);
        return;
    }
    const guint keys[] = {KEY_CODE_LEFTCTRL, KEY_CODE_LEFTALT, last};
    cirrina_vnc_display_send_keys(self->display, keys, G_N_ELEMENTS(keys));
}

static void action_send_keys(GtkWidget *widget, const char *name, GVariant *parameter)
{
    send_combo(CIRRINA_CONSOLE_PAGE(widget), g_variant_get_string(parameter, NULL));
}

static void on_screenshot_response(GtkNativeDialog *dialog, int response, gpointer data)
{
    CirrinaConsolePage *self = data;

    if (response == GTK_RESPONSE_ACCEPT) {
        g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(dialog));
        g_autofree char *path = file ? g_file_get_path(file) : NULL;
        g_autoptr(GError) error = NULL;
        if (!path)
            g_set_error(&error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                        "Only local files can be written");
        if (!path || !cirrina_console_page_save_screenshot(self, path, &error))
            show_error(self, "Cannot save the screenshot", error);
    }
    g_object_unref(dialog);
    g_object_unref(self);
}

static void action_screenshot(GtkWidget *widget, const char *name, GVariant *parameter)
{
    CirrinaConsolePage *self = CIRRINA_CONSOLE_PAGE(widget);
    GtkRoot *root = gtk_widget_get_root(widget);
    g_autoptr(GDateTime) now = g_date_time_new_now_local();
    g_autofree char *when = g_date_time_format(now, "%Y-%m-%d %H-%M-%S");
    g_autofree char *file_name = g_strdup_printf("%s %s.png", vm_name(self), when);

    GtkFileChooserNative *dialog = gtk_file_chooser_native_new(
        "Save Screenshot", GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL,
        GTK_FILE_CHOOSER_ACTION_SAVE, "_Save", "_Cancel");
    gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(dialog), TRUE);
    gtk_file_chooser_set_current_name(GTK_FILE_CHOOSER(dialog), file_name);
    g_autoptr(GtkFileFilter) filter = gtk_file_filter_new();
    gtk_file_filter_set_name(filter, "PNG images");
    gtk_file_filter_add_mime_type(filter, "image/png");
    gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(dialog), filter);
    g_signal_connect(dialog, "response", G_CALLBACK(on_screenshot_response), g_object_ref(self));
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(dialog));
}

/* The display takes every key but the application's shortcuts: this one
 * hands the keyboard back to the toolbar (or fullscreen's bar). */
static void action_release_keyboard(GtkWidget *widget, const char *name, GVariant *parameter)
{
    CirrinaConsolePage *self = CIRRINA_CONSOLE_PAGE(widget);

    if (self->fullscreen_window) {
        gtk_revealer_set_reveal_child(self->fullscreen_bar, TRUE);
        gtk_widget_grab_focus(self->fullscreen_leave);
        return;
    }
    gtk_widget_grab_focus(self->keys_button);
}

/* --- fullscreen: the display alone in a fullscreen window --- */

static void fullscreen_leave_clicked(GtkButton *button, gpointer data)
{
    set_fullscreen(CIRRINA_CONSOLE_PAGE(data), FALSE);
}

static void fullscreen_ctrl_alt_del_clicked(GtkButton *button, gpointer data)
{
    send_combo(CIRRINA_CONSOLE_PAGE(data), "ctrl-alt-del");
}

static gboolean fullscreen_close_request(GtkWindow *window, gpointer data)
{
    set_fullscreen(CIRRINA_CONSOLE_PAGE(data), FALSE);
    return TRUE;
}

/* The bar shows while the pointer is at the top edge or the bar has the
 * keyboard. */
static void fullscreen_motion(GtkEventControllerMotion *motion, double x, double y, gpointer data)
{
    CirrinaConsolePage *self = data;
    GtkWidget *bar = GTK_WIDGET(self->fullscreen_bar);
    gboolean near_top = y < 4 || (gtk_revealer_get_child_revealed(self->fullscreen_bar) &&
                                  y < gtk_widget_get_height(bar) + 16);

    gtk_revealer_set_reveal_child(self->fullscreen_bar,
                                  near_top || gtk_widget_has_focus(self->fullscreen_leave));
}

static gboolean fullscreen_shortcut(GtkWidget *widget, GVariant *args, gpointer data)
{
    CirrinaConsolePage *self = data;
    const char *what = g_variant_get_string(args, NULL);

    if (g_str_equal(what, "leave"))
        set_fullscreen(self, FALSE);
    else
        action_release_keyboard(GTK_WIDGET(self), NULL, NULL);
    return TRUE;
}

/* F11 and Ctrl+Alt+G before the display sees them. */
static GtkEventController *shortcuts_new(CirrinaConsolePage *self, gboolean fullscreen)
{
    GtkEventController *controller = gtk_shortcut_controller_new();
    gtk_event_controller_set_propagation_phase(controller, GTK_PHASE_CAPTURE);
    if (fullscreen) {
        gtk_shortcut_controller_add_shortcut(
            GTK_SHORTCUT_CONTROLLER(controller),
            gtk_shortcut_new_with_arguments(
                gtk_keyval_trigger_new(GDK_KEY_F11, 0),
                gtk_callback_action_new(fullscreen_shortcut, self, NULL), "s", "leave"));
        gtk_shortcut_controller_add_shortcut(
            GTK_SHORTCUT_CONTROLLER(controller),
            gtk_shortcut_new_with_arguments(
                gtk_keyval_trigger_new(GDK_KEY_g, GDK_CONTROL_MASK | GDK_ALT_MASK),
                gtk_callback_action_new(fullscreen_shortcut, self, NULL), "s", "release"));
        return controller;
    }
    gtk_shortcut_controller_add_shortcut(
        GTK_SHORTCUT_CONTROLLER(controller),
        gtk_shortcut_new(gtk_keyval_trigger_new(GDK_KEY_F11, 0),
                         gtk_named_action_new("console.fullscreen")));
    gtk_shortcut_controller_add_shortcut(
        GTK_SHORTCUT_CONTROLLER(controller),
        gtk_shortcut_new(gtk_keyval_trigger_new(GDK_KEY_g, GDK_CONTROL_MASK | GDK_ALT_MASK),
                         gtk_named_action_new("console.release-keyboard")));
    return controller;
}

static GtkWidget *bar_button(const char *icon, const char *label, const char *tooltip,
                             GCallback clicked, CirrinaConsolePage *self)
{
    GtkWidget *button =
        icon ? gtk_button_new_from_icon_name(icon) : gtk_button_new_with_label(label);
    gtk_widget_set_tooltip_text(button, tooltip);
    gtk_accessible_update_property(GTK_ACCESSIBLE(button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   icon ? tooltip : label, -1);
    g_signal_connect(button, "clicked", clicked, self);
    return button;
}

static void enter_fullscreen(CirrinaConsolePage *self)
{
    GtkRoot *root = gtk_widget_get_root(GTK_WIDGET(self));
    GtkWindow *window = GTK_WINDOW(gtk_window_new());

    gtk_window_set_title(window, vm_name(self));
    if (GTK_IS_WINDOW(root)) {
        gtk_window_set_transient_for(window, GTK_WINDOW(root));
        gtk_window_set_destroy_with_parent(window, TRUE);
        /* The monitor's size also where no window manager makes it
         * fullscreen. */
        GdkSurface *surface = gtk_native_get_surface(GTK_NATIVE(root));
        GdkMonitor *monitor =
            surface ? gdk_display_get_monitor_at_surface(gdk_surface_get_display(surface), surface)
                    : NULL;
        if (monitor) {
            GdkRectangle area;
            gdk_monitor_get_geometry(monitor, &area);
            gtk_window_set_default_size(window, area.width, area.height);
        }
    }

    GtkWidget *bar = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 6);
    gtk_widget_add_css_class(bar, "toolbar");
    gtk_widget_add_css_class(bar, "osd");
    self->fullscreen_leave = bar_button("view-restore-symbolic", NULL, "Leave Fullscreen (F11)",
                                        G_CALLBACK(fullscreen_leave_clicked), self);
    gtk_box_append(GTK_BOX(bar), self->fullscreen_leave);
    gtk_box_append(GTK_BOX(bar), bar_button(NULL, "Ctrl+Alt+Del", NULL,
                                            G_CALLBACK(fullscreen_ctrl_alt_del_clicked), self));
    self->fullscreen_bar = GTK_REVEALER(gtk_revealer_new());
    gtk_revealer_set_transition_type(self->fullscreen_bar, GTK_REVEALER_TRANSITION_TYPE_SLIDE_DOWN);
    gtk_revealer_set_child(self->fullscreen_bar, bar);
    gtk_widget_set_halign(GTK_WIDGET(self->fullscreen_bar), GTK_ALIGN_CENTER);
    gtk_widget_set_valign(GTK_WIDGET(self->fullscreen_bar), GTK_ALIGN_START);

    GtkWidget *overlay = gtk_overlay_new();
    g_object_ref(self->display_scroller);
    adw_bin_set_child(self->display_holder, NULL);
    gtk_overlay_set_child(GTK_OVERLAY(overlay), self->display_scroller);
    g_object_unref(self->display_scroller);
    gtk_overlay_add_overlay(GTK_OVERLAY(overlay), GTK_WIDGET(self->fullscreen_bar));
    gtk_window_set_child(window, overlay);

    GtkEventController *motion = gtk_event_controller_motion_new();
    g_signal_connect(motion, "motion", G_CALLBACK(fullscreen_motion), self);
    gtk_widget_add_controller(overlay, motion);
    gtk_widget_add_controller(GTK_WIDGET(window), shortcuts_new(self, TRUE));
    g_signal_connect(window, "close-request", G_CALLBACK(fullscreen_close_request), self);

    self->fullscreen_window = window;
    gtk_window_fullscreen(window);
    gtk_window_present(window);
    gtk_widget_grab_focus(GTK_WIDGET(self->display));
}

static void leave_fullscreen(CirrinaConsolePage *self)
{
    GtkWindow *window = g_steal_pointer(&self->fullscreen_window);
    GtkWidget *overlay = gtk_window_get_child(window);

    g_object_ref(self->display_scroller);
    gtk_overlay_set_child(GTK_OVERLAY(overlay), NULL);
    adw_bin_set_child(self->display_holder, self->display_scroller);
    g_object_unref(self->display_scroller);
    self->fullscreen_bar = NULL;
    self->fullscreen_leave = NULL;
    g_signal_handlers_disconnect_by_data(window, self);
    gtk_window_destroy(window);
    /* The keyboard stays with the VM (the window maps it back later). */
    gtk_widget_grab_focus(GTK_WIDGET(self->display));
}

static void set_fullscreen(CirrinaConsolePage *self, gboolean fullscreen)
{
    if (self->fullscreen == fullscreen)
        return;
    self->fullscreen = fullscreen;
    if (fullscreen)
        enter_fullscreen(self);
    else
        leave_fullscreen(self);
    update_actions(self);
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_FULLSCREEN]);
}

/* --- GObject --- */

GtkWidget *cirrina_console_page_new(CirrinaClient *client)
{
    return g_object_new(CIRRINA_TYPE_CONSOLE_PAGE, "client", client, NULL);
}

static void cirrina_console_page_get_property(GObject *object, guint prop_id, GValue *value,
                                              GParamSpec *pspec)
{
    CirrinaConsolePage *self = CIRRINA_CONSOLE_PAGE(object);

    switch (prop_id) {
    case PROP_VM:
        g_value_set_object(value, self->vm);
        break;
    case PROP_SCALE_TO_FIT:
        g_value_set_boolean(value, self->scale_to_fit);
        break;
    case PROP_FULLSCREEN:
        g_value_set_boolean(value, self->fullscreen);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void cirrina_console_page_set_property(GObject *object, guint prop_id, const GValue *value,
                                              GParamSpec *pspec)
{
    CirrinaConsolePage *self = CIRRINA_CONSOLE_PAGE(object);

    switch (prop_id) {
    case PROP_VM:
        cirrina_console_page_set_vm(self, g_value_get_object(value));
        break;
    case PROP_SCALE_TO_FIT:
        if (self->scale_to_fit != g_value_get_boolean(value)) {
            self->scale_to_fit = g_value_get_boolean(value);
            cirrina_vnc_display_set_scale_to_fit(self->display, self->scale_to_fit);
            g_object_notify_by_pspec(object, pspec);
        }
        break;
    case PROP_FULLSCREEN:
        set_fullscreen(self, g_value_get_boolean(value));
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void cirrina_console_page_dispose(GObject *object)
{
    CirrinaConsolePage *self = CIRRINA_CONSOLE_PAGE(object);

    if (self->display)
        drop_vm(self);
    /* The template's top widget is AdwBin's child: let AdwBin drop it first,
     * or both would unparent it. */
    adw_bin_set_child(ADW_BIN(self), NULL);
    gtk_widget_dispose_template(GTK_WIDGET(self), CIRRINA_TYPE_CONSOLE_PAGE);
    self->display = NULL;
    G_OBJECT_CLASS(cirrina_console_page_parent_class)->dispose(object);
}

static void cirrina_console_page_finalize(GObject *object)
{
    CirrinaConsolePage *self = CIRRINA_CONSOLE_PAGE(object);

    g_ptr_array_unref(self->terminals);
    G_OBJECT_CLASS(cirrina_console_page_parent_class)->finalize(object);
}

static void cirrina_console_page_class_init(CirrinaConsolePageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->get_property = cirrina_console_page_get_property;
    object_class->set_property = cirrina_console_page_set_property;
    object_class->dispose = cirrina_console_page_dispose;
    object_class->finalize = cirrina_console_page_finalize;

    properties[PROP_VM] =
        g_param_spec_object("vm", NULL, NULL, CIRRINA_TYPE_OBJECT,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    properties[PROP_SCALE_TO_FIT] =
        g_param_spec_boolean("scale-to-fit", NULL, NULL, TRUE,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    properties[PROP_FULLSCREEN] =
        g_param_spec_boolean("fullscreen", NULL, NULL, FALSE,
                             G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    g_type_ensure(CIRRINA_TYPE_VNC_DISPLAY);
    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/cirrina/Cirrina/cirrina-console-page.ui");
    gtk_widget_class_bind_template_child(widget_class, CirrinaConsolePage, stack);
    gtk_widget_class_bind_template_child(widget_class, CirrinaConsolePage, stopped_page);
    gtk_widget_class_bind_template_child(widget_class, CirrinaConsolePage, toolbar);
    gtk_widget_class_bind_template_child(widget_class, CirrinaConsolePage, name_label);
    gtk_widget_class_bind_template_child(widget_class, CirrinaConsolePage, keys_button);
    gtk_widget_class_bind_template_child(widget_class, CirrinaConsolePage, views);
    gtk_widget_class_bind_template_child(widget_class, CirrinaConsolePage, display_stack);
    gtk_widget_class_bind_template_child(widget_class, CirrinaConsolePage, display_spinner);
    gtk_widget_class_bind_template_child(widget_class, CirrinaConsolePage, display_holder);
    gtk_widget_class_bind_template_child(widget_class, CirrinaConsolePage, display_scroller);
    gtk_widget_class_bind_template_child(widget_class, CirrinaConsolePage, display);

    gtk_widget_class_install_action(widget_class, "console.start", NULL, action_start);
    gtk_widget_class_install_action(widget_class, "console.send-keys", "s", action_send_keys);
    gtk_widget_class_install_property_action(widget_class, "console.scale-to-fit", "scale-to-fit");
    gtk_widget_class_install_action(widget_class, "console.screenshot", NULL, action_screenshot);
    gtk_widget_class_install_property_action(widget_class, "console.fullscreen", "fullscreen");
    gtk_widget_class_install_action(widget_class, "console.release-keyboard", NULL,
                                    action_release_keyboard);
}

static void cirrina_console_page_init(CirrinaConsolePage *self)
{
    self->terminals = g_ptr_array_new();
    self->scale_to_fit = TRUE;
    gtk_widget_init_template(GTK_WIDGET(self));

    cirrina_vnc_display_set_scale_to_fit(self->display, TRUE);
    g_signal_connect_object(self->display, "connected", G_CALLBACK(on_display_connected), self, 0);
    g_signal_connect_object(self->display, "disconnected", G_CALLBACK(on_display_disconnected),
                            self, 0);
    g_signal_connect_object(self->display, "error", G_CALLBACK(on_display_error), self, 0);
    g_signal_connect_object(self->display, "auth-credential", G_CALLBACK(on_display_auth), self, 0);
    g_signal_connect_object(self->views, "notify::visible-child-name", G_CALLBACK(on_view_changed),
                            self, 0);
    gtk_widget_add_controller(GTK_WIDGET(self), shortcuts_new(self, FALSE));
    update(self);
}
