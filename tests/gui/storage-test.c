/* Helpers for the storage and network page tests (see storage-test.h). */
#include "storage-test.h"

#include <fcntl.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "cirrina-entry-row.h"

char *storage_test_row_titles(GtkListBox *list)
{
    g_autoptr(GString) titles = g_string_new(NULL);

    if (list == NULL || !gtk_widget_get_mapped(GTK_WIDGET(list)))
        return g_strdup("");
    for (int i = 0;; i++) {
        GtkListBoxRow *row = gtk_list_box_get_row_at_index(list, i);
        if (row == NULL)
            break;
        if (titles->len > 0)
            g_string_append_c(titles, ',');
        g_string_append(titles, adw_preferences_row_get_title(ADW_PREFERENCES_ROW(row)));
    }
    return g_string_free(g_steal_pointer(&titles), FALSE);
}

gboolean storage_test_titles_are(GtkListBox *list, const char *expected)
{
    g_autofree char *titles = storage_test_row_titles(list);

    return g_strcmp0(titles, expected) == 0;
}

GtkWidget *storage_test_row(GtkListBox *list, const char *title)
{
    for (int i = 0;; i++) {
        GtkListBoxRow *row = gtk_list_box_get_row_at_index(list, i);
        if (row == NULL)
            return NULL;
        if (g_strcmp0(adw_preferences_row_get_title(ADW_PREFERENCES_ROW(row)), title) == 0)
            return GTK_WIDGET(row);
    }
}

const char *storage_test_row_subtitle(GtkWidget *row)
{
    const char *subtitle = adw_action_row_get_subtitle(ADW_ACTION_ROW(row));

    return subtitle != NULL ? subtitle : "";
}

GtkWidget *storage_test_find_type(GtkWidget *root, GType type)
{
    if (!gtk_widget_get_mapped(root))
        return NULL;
    if (g_type_is_a(G_OBJECT_TYPE(root), type))
        return root;
    for (GtkWidget *child = gtk_widget_get_first_child(root); child != NULL;
         child = gtk_widget_get_next_sibling(child)) {
        GtkWidget *found = storage_test_find_type(child, type);
        if (found != NULL)
            return found;
    }
    return NULL;
}

GtkWidget *storage_test_find_row(GtkWidget *root, GType type, const char *title)
{
    if (!gtk_widget_get_mapped(root))
        return NULL;
    if (g_type_is_a(G_OBJECT_TYPE(root), type) && ADW_IS_PREFERENCES_ROW(root) &&
        g_strcmp0(adw_preferences_row_get_title(ADW_PREFERENCES_ROW(root)), title) == 0)
        return root;
    for (GtkWidget *child = gtk_widget_get_first_child(root); child != NULL;
         child = gtk_widget_get_next_sibling(child)) {
        GtkWidget *found = storage_test_find_row(child, type, title);
        if (found != NULL)
            return found;
    }
    return NULL;
}

static gboolean form_shown(void)
{
    GtkWindow *window = gui_test_find_window(CIRRINA_TYPE_FORM_DIALOG);

    /* Mapped and laid out: what the user can see and type into. */
    return window != NULL && gtk_widget_get_mapped(GTK_WIDGET(window)) &&
           gtk_widget_get_width(GTK_WIDGET(window)) > 0;
}

CirrinaFormDialog *storage_test_wait_form(void)
{
    GUI_TEST_WAIT_UNTIL(form_shown(), "a form dialog");
    return CIRRINA_FORM_DIALOG(gui_test_find_window(CIRRINA_TYPE_FORM_DIALOG));
}

void storage_test_form_set_text(CirrinaFormDialog *dialog, const char *title, const char *text)
{
    GtkWidget *row = storage_test_find_row(GTK_WIDGET(dialog), CIRRINA_TYPE_ENTRY_ROW, title);

    if (row == NULL)
        g_error("the form has no entry row “%s”", title);
    gtk_editable_set_text(GTK_EDITABLE(row), text);
}

void storage_test_form_press(CirrinaFormDialog *dialog, const char *button)
{
    GtkWidget *widget = gui_test_find_widget(GTK_WIDGET(dialog), GTK_TYPE_BUTTON, button);

    if (widget == NULL)
        g_error("the form has no button “%s”", button);
    gui_test_click(widget);
}

void storage_test_wait_form_closed(void)
{
    GUI_TEST_WAIT_UNTIL(!form_shown(), "the form dialog to close");
}

void storage_test_answer_message(const char *heading, const char *label)
{
    GUI_TEST_WAIT_UNTIL(gui_test_find_window(ADW_TYPE_MESSAGE_DIALOG) != NULL, "a message dialog");
    GtkWidget *dialog = GTK_WIDGET(gui_test_find_window(ADW_TYPE_MESSAGE_DIALOG));
    GUI_TEST_WAIT_UNTIL(gtk_widget_get_mapped(dialog), "the message dialog to show");
    if (gui_test_find_label(dialog, heading) == NULL)
        g_error("the message dialog does not say “%s”", heading);
    GtkWidget *button = gui_test_find_widget(dialog, GTK_TYPE_BUTTON, label);
    if (button == NULL)
        g_error("the message dialog has no button “%s”", label);
    gui_test_click(button);
    GUI_TEST_WAIT_UNTIL(gui_test_find_window(ADW_TYPE_MESSAGE_DIALOG) == NULL,
                        "the message dialog to close");
}

char *storage_test_lookup(const char *kind, const char *name)
{
    g_autofree char *method = g_strdup_printf("Get%s", kind);
    g_autoptr(GError) error = NULL;
    g_autoptr(GVariant) reply = gui_test_try_call(CIRRINA_OBJECT_PATH, "org.cirrina.Manager",
                                                  method, g_variant_new("(s)", name), &error);
    char *path = NULL;

    if (reply == NULL)
        return NULL;
    g_variant_get(reply, "(o)", &path);
    return path;
}

void storage_test_delete_all(const char *interface)
{
    g_autoptr(GVariant) reply = gui_test_call(
        CIRRINA_OBJECT_PATH, "org.freedesktop.DBus.ObjectManager", "GetManagedObjects", NULL);
    g_autoptr(GVariantIter) objects = NULL;
    const char *path;
    GVariant *interfaces;

    g_variant_get(reply, "(a{oa{sa{sv}}})", &objects);
    while (g_variant_iter_loop(objects, "{&o@a{sa{sv}}}", &path, &interfaces)) {
        g_autoptr(GVariant) props = g_variant_lookup_value(interfaces, interface, NULL);
        if (props != NULL)
            g_variant_unref(gui_test_call(path, interface, "Delete", NULL));
    }
}

char *storage_test_make_file(const char *name, gsize size, gboolean sparse)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *dir = g_dir_make_tmp("cirrina-gui-test-XXXXXX", &error);
    char *path;
    int fd;

    g_assert_no_error(error);
    /* The daemon (root) reads what the test made; the test may run as
     * another user. */
    g_chmod(dir, 0755);
    path = g_build_filename(dir, name, NULL);
    fd = g_open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    g_assert_cmpint(fd, >=, 0);
    if (sparse) {
        g_assert_cmpint(ftruncate(fd, (off_t)size), ==, 0);
    } else {
        g_autofree guint32 *chunk = g_new(guint32, 65536 / sizeof(guint32));
        for (gsize done = 0; done < size;) {
            gsize n = MIN(size - done, 65536);
            for (gsize i = 0; i < 65536 / sizeof(guint32); i++)
                chunk[i] = g_random_int();
            g_assert_cmpint(write(fd, chunk, n), ==, (ssize_t)n);
            done += n;
        }
    }
    g_assert_cmpint(close(fd), ==, 0);
    return path;
}

void storage_test_remove_file(const char *path)
{
    g_autofree char *dir = g_path_get_dirname(path);

    g_unlink(path);
    g_rmdir(dir);
}

char *storage_test_file_sha256(const char *path)
{
    g_autoptr(GChecksum) sum = g_checksum_new(G_CHECKSUM_SHA256);
    g_autofree guchar *buffer = g_malloc(1 << 20);
    int fd = g_open(path, O_RDONLY | O_CLOEXEC, 0);
    ssize_t n;

    g_assert_cmpint(fd, >=, 0);
    while ((n = read(fd, buffer, 1 << 20)) > 0)
        g_checksum_update(sum, buffer, n);
    g_assert_cmpint(n, ==, 0);
    close(fd);
    return g_strdup(g_checksum_get_string(sum));
}

static int compare_strings(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

char *storage_test_dir_listing(const char *dir_path)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(GDir) dir = g_dir_open(dir_path, 0, &error);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;

    g_assert_no_error(error);
    while ((name = g_dir_read_name(dir)) != NULL)
        g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, compare_strings);
    g_ptr_array_add(names, NULL);
    return g_strjoinv(",", (char **)names->pdata);
}
