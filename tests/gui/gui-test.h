/* The GUI test harness, C side: helpers for one GTest program per widget or
 * page, linked with the app (cirrina_gui_dep) and run by run-gui-test.py
 * (private system bus + cirrinad, Xvfb, GSETTINGS_BACKEND=memory).
 *
 *   int main(int argc, char **argv)
 *   {
 *       gui_test_init(&argc, &argv);
 *       g_test_add_func("/vm-list/lists-vms", test_lists_vms);
 *       return g_test_run();
 *   }
 *
 * A test drives the real UI: it makes the window (gui_test_window_new()),
 * creates objects with its own D-Bus calls (gui_test_call() etc., on a
 * connection of its own, "behind the app's back"), activates widgets and
 * actions as a user would (gui_test_click(), gtk_widget_activate_action()),
 * waits with GUI_TEST_WAIT_UNTIL() (bounded; the main loop runs meanwhile)
 * and asserts what a user sees (gui_test_find_label(): mapped labels only),
 * saving screenshots (gui_test_screenshot()). */
#pragma once

#include <adwaita.h>

#include "cirrina-client.h"
#include "cirrina-window.h"

G_BEGIN_DECLS

/* gtk_test_init + adw_init, and the test connection. */
void gui_test_init(int *argc, char ***argv);

/* How long GUI_TEST_WAIT_UNTIL waits: 30 s, times CIRRINA_TEST_TIMEOUT_SCALE
 * (e.g. 3 in sanitizer builds). */
guint gui_test_timeout_seconds(void);

/* Runs the main loop until condition holds; fails the test with what after
 * the timeout. */
#define GUI_TEST_WAIT_UNTIL(condition, what)                                                       \
    G_STMT_START                                                                                   \
    {                                                                                              \
        gint64 gui_test_deadline_ =                                                                \
            g_get_monotonic_time() + (gint64)gui_test_timeout_seconds() * G_USEC_PER_SEC;          \
        while (!(condition)) {                                                                     \
            if (g_get_monotonic_time() > gui_test_deadline_)                                       \
                gui_test_fail_timeout(__FILE__, __LINE__, (what));                                 \
            gui_test_iterate();                                                                    \
        }                                                                                          \
    }                                                                                              \
    G_STMT_END

/* One main loop iteration that does not block for more than 50 ms. */
void gui_test_iterate(void);
/* Runs the main loop for about ms milliseconds (animations, a repaint). */
void gui_test_run_for(guint ms);
G_NORETURN void gui_test_fail_timeout(const char *file, int line, const char *what);

/* A window on a fresh client of the system bus (DBUS_SYSTEM_BUS_ADDRESS),
 * presented; the caller owns the ref and calls gui_test_window_destroy(). */
CirrinaWindow *gui_test_window_new(void);
void gui_test_window_destroy(CirrinaWindow *window);

/* ---- the test's own D-Bus connection (not the app's) */

GDBusConnection *gui_test_bus(void);

/* A method call on org.cirrina; fails the test on error. */
GVariant *gui_test_call(const char *path, const char *interface, const char *method,
                        GVariant *parameters);
/* The same, returning the error instead. */
GVariant *gui_test_try_call(const char *path, const char *interface, const char *method,
                            GVariant *parameters, GError **error);
/* CreateVM(name, config): config in GVariant text format ("{}" for none);
 * returns the path. */
char *gui_test_create_vm(const char *name, const char *config);
/* A VM's property, or NULL. */
GVariant *gui_test_get_property(const char *path, const char *interface, const char *name);
/* Kill()s every running VM and Delete()s every VM (the daemon outlives a
 * test case within one program). */
void gui_test_delete_all_vms(void);

/* ---- the world outside: run-gui-test.py's control socket */

/* "start-daemon", "ensure-daemon" (start it unless it runs), "stop-daemon",
 * "kill-daemon", "restart-daemon": returns
 * once done; fails the test if the wrapper could not. */
void gui_test_control(const char *command);

/* ---- what a user sees */

/* The first mapped GtkLabel under root (depth first) whose text contains
 * text, or NULL. Windows other than root are not searched. */
GtkWidget *gui_test_find_label(GtkWidget *root, const char *text);
/* The same in any toplevel window. */
GtkWidget *gui_test_find_label_anywhere(const char *text);
/* The first mapped widget under root of type (or a subtype) whose
 * accessible label (GTK_ACCESSIBLE_PROPERTY_LABEL) is label, or whose
 * button label (mnemonic underscores left out) is label; NULL if none. */
GtkWidget *gui_test_find_widget(GtkWidget *root, GType type, const char *label);
/* A toplevel window of type that is visible, or NULL. */
GtkWindow *gui_test_find_window(GType type);

/* Types accelerator ("Delete", "<Control>n", "<Shift>F10") on the
 * keyboard, through the X server (XTEST), into widget's window, which gets
 * the input focus first; returns once GTK has handled the keys. Real key
 * events: they take the path a user's keys take (focus, key bindings,
 * shortcuts, mnemonics). */
void gui_test_press_keys(GtkWidget *widget, const char *accelerator);

/* Clicks a button as a user would (it must be sensitive and mapped). */
void gui_test_click(GtkWidget *button);

/* Opens the menu button labelled menu_label under root and picks item
 * ("Resize…") once it is enabled, as a user would. */
void gui_test_pick_from_menu(GtkWidget *root, const char *menu_label, const char *item);

/* Whether widget's accessible label (what a screen reader reads) is label. */
gboolean gui_test_has_accessible_label(GtkWidget *widget, const char *label);

/* Saves widget, as drawn, to CIRRINA_GUI_SCREENSHOT_DIR/<name>.png. */
void gui_test_screenshot(GtkWidget *widget, const char *name);

G_END_DECLS
