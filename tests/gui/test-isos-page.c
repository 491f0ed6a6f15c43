/* The ISOs page against a real cirrinad: it lists the daemon's ISO images
 * and follows changes made behind its back; a file imported through the
 * page's import path arrives with equal content and checksum, a cancelled
 * import leaves nothing, a file can be used in place, and edit and delete
 * work from the page. */
#include "storage-test.h"

#include "cirrina-isos-page.h"
#include "cirrina-progress-row.h"

#define ISO     "org.cirrina.ISO"
#define MANAGER "org.cirrina.Manager"
#define MiB     (G_GUINT64_CONSTANT(1) << 20)
#define GiB     (G_GUINT64_CONSTANT(1) << 30)

static GtkListBox *iso_list(CirrinaWindow *window)
{
    return GTK_LIST_BOX(gui_test_find_widget(GTK_WIDGET(window), GTK_TYPE_LIST_BOX, "ISO Images"));
}

static GtkListBox *progress_list(CirrinaWindow *window)
{
    return GTK_LIST_BOX(
        gui_test_find_widget(GTK_WIDGET(window), GTK_TYPE_LIST_BOX, "ISO images in progress"));
}

static gboolean names_are(CirrinaWindow *window, const char *expected)
{
    return storage_test_titles_are(iso_list(window), expected);
}

static GtkWidget *iso_row(CirrinaWindow *window, const char *name)
{
    GtkListBox *list = iso_list(window);

    return list != NULL ? storage_test_row(list, name) : NULL;
}

static gboolean subtitle_has(CirrinaWindow *window, const char *name, const char *text)
{
    GtkWidget *row = iso_row(window, name);

    return row != NULL && strstr(storage_test_row_subtitle(row), text) != NULL;
}

static char *iso_string(const char *path, const char *property)
{
    g_autoptr(GVariant) value = gui_test_get_property(path, ISO, property);

    return value != NULL ? g_variant_dup_string(value, NULL) : NULL;
}

static char *register_iso(const char *name, const char *file)
{
    g_autoptr(GVariant) reply =
        gui_test_call(CIRRINA_OBJECT_PATH, MANAGER, "RegisterISO",
                      g_variant_new_parsed("(%s, %s, @a{sv} {})", name, file));
    char *path = NULL;

    g_variant_get(reply, "(o)", &path);
    return path;
}

static CirrinaWindow *open_page(void)
{
    CirrinaWindow *window = gui_test_window_new();

    GUI_TEST_WAIT_UNTIL(g_strcmp0(cirrina_window_get_visible_page(window), "vms") == 0,
                        "the daemon's pages");
    cirrina_window_show_page(window, "isos");
    return window;
}

static CirrinaIsosPage *isos_page(CirrinaWindow *window)
{
    GtkWidget *page = storage_test_find_type(GTK_WIDGET(window), CIRRINA_TYPE_ISOS_PAGE);

    g_assert_nonnull(page);
    return CIRRINA_ISOS_PAGE(page);
}

static void test_follows_daemon(void)
{
    storage_test_delete_all(ISO);
    g_autofree char *file = storage_test_make_file("installer.iso", MiB, FALSE);
    g_autoptr(CirrinaWindow) window = open_page();

    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "No ISO Images"), "the empty page");
    g_assert_nonnull(gui_test_find_widget(GTK_WIDGET(window), GTK_TYPE_BUTTON, "Import…"));
    gui_test_screenshot(GTK_WIDGET(window), "isos-empty");

    g_autofree char *debian = register_iso("debian", file);
    g_autofree char *alpine = register_iso("alpine", file);
    GUI_TEST_WAIT_UNTIL(names_are(window, "alpine,debian"), "both images, sorted by name");
    /* A registered image is known by where it lives. */
    g_assert_true(subtitle_has(window, "debian", "1 MiB"));
    g_assert_true(subtitle_has(window, "debian", file));
    GtkWidget *row = iso_row(window, "debian");
    g_assert_nonnull(gui_test_find_widget(row, GTK_TYPE_BUTTON, "Delete ISO image debian"));
    g_assert_nonnull(gui_test_find_widget(row, GTK_TYPE_BUTTON, "Edit ISO image debian"));

    g_variant_unref(gui_test_call(alpine, ISO, "Rename", g_variant_new("(s)", "void")));
    GUI_TEST_WAIT_UNTIL(names_are(window, "debian,void"), "alpine renamed to void, last");
    g_variant_unref(gui_test_call(
        debian, ISO, "Update", g_variant_new_parsed("({'Description': <'Debian 12 netinst'>},)")));
    GUI_TEST_WAIT_UNTIL(subtitle_has(window, "debian", "Debian 12 netinst"),
                        "debian's description");
    g_variant_unref(gui_test_call(alpine, ISO, "Delete", NULL));
    GUI_TEST_WAIT_UNTIL(names_are(window, "debian"), "void gone");
    storage_test_delete_all(ISO);
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "No ISO Images"),
                        "the empty page again");
    /* A registered file is the user's: deleting forgets it only. */
    g_assert_true(g_file_test(file, G_FILE_TEST_IS_REGULAR));
    storage_test_remove_file(file);
    gui_test_window_destroy(g_steal_pointer(&window));
}

static void test_import_edit_delete(void)
{
    storage_test_delete_all(ISO);
    g_autofree char *source = storage_test_make_file("netinst.iso", 5 * MiB, FALSE);
    g_autofree char *source_sum = storage_test_file_sha256(source);
    g_autoptr(GFile) file = g_file_new_for_path(source);
    g_autoptr(CirrinaWindow) window = open_page();

    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "No ISO Images"), "the empty page");
    g_autoptr(CirrinaImport) import =
        g_object_ref(cirrina_isos_page_import_file(isos_page(window), file));
    g_assert_nonnull(storage_test_row(progress_list(window), "Importing netinst.iso as “netinst”"));
    GUI_TEST_WAIT_UNTIL(cirrina_import_is_finished(import), "the import to finish");
    g_assert_cmpint(cirrina_import_get_state(import), ==, CIRRINA_IMPORT_STATE_COMPLETED);
    GUI_TEST_WAIT_UNTIL(names_are(window, "netinst"), "the imported image in the list");
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "Imported ISO image “netinst”"),
                        "the toast");

    /* The daemon's copy is the file, and its checksum says so, also in the
     * list. */
    g_autofree char *path = storage_test_lookup("ISO", "netinst");
    g_autofree char *sha256 = iso_string(path, "SHA256");
    g_assert_cmpstr(sha256, ==, source_sum);
    g_autofree char *image = iso_string(path, "Path");
    g_autofree char *image_sum = storage_test_file_sha256(image);
    g_assert_cmpstr(image_sum, ==, source_sum);
    g_autofree char *short_sum = g_strndup(source_sum, 12);
    g_assert_true(subtitle_has(window, "netinst", short_sum));

    /* Used in place: no copy, the file's own path. */
    g_assert_true(cirrina_isos_page_register_file(isos_page(window), file));
    GUI_TEST_WAIT_UNTIL(names_are(window, "netinst,netinst-2"), "the registered file");
    g_autofree char *in_place = storage_test_lookup("ISO", "netinst-2");
    g_autofree char *in_place_path = iso_string(in_place, "Path");
    g_assert_cmpstr(in_place_path, ==, source);
    gui_test_screenshot(GTK_WIDGET(window), "isos");

    /* Edit: a new name and a description. */
    GtkWidget *row = iso_row(window, "netinst-2");
    gui_test_click(gui_test_find_widget(row, GTK_TYPE_BUTTON, "Edit ISO image netinst-2"));
    CirrinaFormDialog *dialog = storage_test_wait_form();
    storage_test_form_set_text(dialog, "Name", "local");
    storage_test_form_set_text(dialog, "Description", "On the host");
    storage_test_form_press(dialog, "Apply");
    storage_test_wait_form_closed();
    GUI_TEST_WAIT_UNTIL(names_are(window, "local,netinst"), "the renamed image");
    g_autofree char *description = iso_string(in_place, "Description");
    g_assert_cmpstr(description, ==, "On the host");

    /* Delete the imported one: asks first; its copy goes. */
    row = iso_row(window, "netinst");
    gui_test_click(gui_test_find_widget(row, GTK_TYPE_BUTTON, "Delete ISO image netinst"));
    storage_test_answer_message("Delete ISO image “netinst”?", "Delete");
    GUI_TEST_WAIT_UNTIL(names_are(window, "local"), "netinst gone");
    g_assert_false(g_file_test(image, G_FILE_TEST_EXISTS));
    g_assert_true(g_file_test(source, G_FILE_TEST_IS_REGULAR));

    storage_test_delete_all(ISO);
    storage_test_remove_file(source);
    gui_test_window_destroy(g_steal_pointer(&window));
}

static void test_cancel_import(void)
{
    storage_test_delete_all(ISO);
    g_autofree char *keep_file = storage_test_make_file("keep.iso", MiB, FALSE);
    g_autoptr(GFile) keep = g_file_new_for_path(keep_file);
    g_autofree char *source = storage_test_make_file("huge.iso", 8 * GiB, TRUE);
    g_autoptr(GFile) file = g_file_new_for_path(source);
    g_autoptr(CirrinaWindow) window = open_page();

    /* An imported image first: where the daemon keeps its copies. */
    GUI_TEST_WAIT_UNTIL(gui_test_find_label(GTK_WIDGET(window), "No ISO Images"), "the empty page");
    g_autoptr(CirrinaImport) first =
        g_object_ref(cirrina_isos_page_import_file(isos_page(window), keep));
    GUI_TEST_WAIT_UNTIL(cirrina_import_is_finished(first), "the first import");
    g_autofree char *kept = storage_test_lookup("ISO", "keep");
    g_autofree char *kept_image = iso_string(kept, "Path");
    g_autofree char *iso_dir = g_path_get_dirname(kept_image);
    g_autofree char *before = storage_test_dir_listing(iso_dir);

    g_autoptr(CirrinaImport) import =
        g_object_ref(cirrina_isos_page_import_file(isos_page(window), file));
    CirrinaProgressRow *row = CIRRINA_PROGRESS_ROW(
        storage_test_row(progress_list(window), "Importing huge.iso as “huge”"));
    GUI_TEST_WAIT_UNTIL(cirrina_progress_row_get_fraction(row) > 0.0, "the bar to move");
    gui_test_click(GTK_WIDGET(cirrina_progress_row_get_cancel_button(row)));
    GUI_TEST_WAIT_UNTIL(cirrina_import_is_finished(import), "the import to end");
    g_assert_cmpint(cirrina_import_get_state(import), ==, CIRRINA_IMPORT_STATE_CANCELLED);
    g_autofree char *gone = storage_test_lookup("ISO", "huge");
    g_assert_null(gone);
    g_autofree char *after = storage_test_dir_listing(iso_dir);
    g_assert_cmpstr(after, ==, before);
    GUI_TEST_WAIT_UNTIL(
        progress_list(window) == NULL ||
            storage_test_row(progress_list(window), "Importing huge.iso as “huge”") == NULL,
        "the progress row to go");
    g_assert_true(names_are(window, "keep"));
    g_assert_null(gui_test_find_label(GTK_WIDGET(window), "Could not import"));

    storage_test_delete_all(ISO);
    storage_test_remove_file(source);
    storage_test_remove_file(keep_file);
    gui_test_window_destroy(g_steal_pointer(&window));
}

int main(int argc, char **argv)
{
    gui_test_init(&argc, &argv);
    g_test_add_func("/isos-page/follows-daemon", test_follows_daemon);
    g_test_add_func("/isos-page/import-edit-delete", test_import_edit_delete);
    g_test_add_func("/isos-page/cancel-import", test_cancel_import);
    return g_test_run();
}
