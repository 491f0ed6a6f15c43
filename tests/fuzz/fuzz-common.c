#include "fuzz-common.h"

#include <glib/gstdio.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static GLogWriterOutput drop_or_abort(GLogLevelFlags level, const GLogField *fields, gsize n_fields,
                                      gpointer data)
{
    if (!(level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR)))
        return G_LOG_WRITER_HANDLED;
    g_log_writer_standard_streams(level, fields, n_fields, data);
    abort();
}

void fuzz_init_logging(void)
{
    static bool done;

    if (done)
        return;
    done = true;
    g_log_set_writer_func(drop_or_abort, NULL, NULL);
}

GVariant *fuzz_variant(const char *type, const uint8_t *data, size_t size)
{
    g_autoptr(GBytes) bytes = g_bytes_new(data, size);

    return g_variant_ref_sink(g_variant_new_from_bytes(G_VARIANT_TYPE(type), bytes, FALSE));
}

void fuzz_note(const char *format, ...)
{
    static int verbose = -1;
    va_list ap;

    if (verbose < 0)
        verbose = g_getenv("FUZZ_VERBOSE") != NULL;
    if (!verbose)
        return;
    va_start(ap, format);
    vfprintf(stderr, format, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static char *tmp_dir;

static void remove_tree(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    const char *name;

    while (dir && (name = g_dir_read_name(dir))) {
        g_autofree char *child = g_build_filename(path, name, NULL);
        if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
            remove_tree(child);
        else
            g_unlink(child);
    }
    g_rmdir(path);
}

static void remove_tmp_dir(void)
{
    remove_tree(tmp_dir);
    g_clear_pointer(&tmp_dir, g_free);
}

const char *fuzz_tmp_dir(void)
{
    if (!tmp_dir) {
        g_autoptr(GError) error = NULL;
        tmp_dir = g_dir_make_tmp("cirrina-fuzz-XXXXXX", &error);
        if (!tmp_dir) {
            fprintf(stderr, "Cannot make a temporary directory: %s\n", error->message);
            abort();
        }
        atexit(remove_tmp_dir);
    }
    return tmp_dir;
}

/* The sanitizers' report goes where libFuzzer keeps it when it silences
 * the harness's stderr (-close_fd_mask=2). */
void __sanitizer_report_error_summary(const char *summary) __attribute__((weak));

void fuzz_fail(const char *file, int line, const char *cond, const char *format, ...)
{
    va_list ap;

    va_start(ap, format);
    g_autofree char *what = g_strdup_vprintf(format, ap);
    va_end(ap);
    g_autofree char *message =
        g_strdup_printf("%s:%d: invariant '%s' does not hold: %s", file, line, cond, what);
    fprintf(stderr, "%s\n", message);
    if (__sanitizer_report_error_summary)
        __sanitizer_report_error_summary(message);
    abort();
}
