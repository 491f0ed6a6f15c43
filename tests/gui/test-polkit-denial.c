/* A polkit denial shows as a message the user can read. The program runs
 * as cirrina-alice against a real polkitd whose rules (polkit-deny-power.rules)
 * let her see and define VMs but not power them: "Start" ends in a toast
 * saying it was not allowed, and the VM stays stopped. */
#include "gui-test.h"

#include <string.h>

static void test_start_denied(void)
{
    g_autofree char *path = gui_test_create_vm("guarded", "{}");
    g_autoptr(CirrinaWindow) window = gui_test_window_new();

    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "guarded"), "the VM's row");
    GtkWidget *start = gui_test_find_widget(GTK_WIDGET(window), GTK_TYPE_BUTTON, "Start guarded");
    g_assert_nonnull(start);
    gui_test_click(start);
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "Not allowed"),
                        "a toast saying it is not allowed");
    GtkWidget *toast_label = gui_test_find_label(GTK_WIDGET(window), "Not allowed");
    g_test_message("toast: %s", gtk_label_get_text(GTK_LABEL(toast_label)));
    g_assert_nonnull(strstr(gtk_label_get_text(GTK_LABEL(toast_label)), "Cannot start “guarded”"));
    gui_test_screenshot(GTK_WIDGET(window), "vm-list-polkit-denied");

    g_autoptr(GVariant) state = gui_test_get_property(path, "org.cirrina.VM", "State");
    g_assert_cmpstr(g_variant_get_string(state, NULL), ==, "stopped");
    g_assert_nonnull(gui_test_find_label(GTK_WIDGET(window), "Stopped"));
    gui_test_window_destroy(g_steal_pointer(&window));
}

int main(int argc, char **argv)
{
    gui_test_init(&argc, &argv);
    g_test_add_func("/polkit/start-denied", test_start_denied);
    return g_test_run();
}
