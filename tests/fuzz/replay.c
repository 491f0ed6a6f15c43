/* The corpora as tests: runs every file of the directories given (a
 * harness's seeds and the regressions that crashed it once) through its
 * LLVMFuzzerTestOneInput, with no libFuzzer, so any build (gcc too, and
 * the ASan build) replays them. A crash, a sanitizer report or a failed
 * invariant fails the test; a directory that does not exist is skipped
 * (a harness may have no regressions yet). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz-common.h"

/* Harnesses with state to set up once define it; libFuzzer calls it too. */
int LLVMFuzzerInitialize(int *argc, char ***argv) __attribute__((weak));

static int compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static unsigned replay_file(const char *path)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *data = NULL;
    gsize size;

    if (!g_file_get_contents(path, &data, &size, &error)) {
        fprintf(stderr, "Cannot read %s: %s\n", path, error->message);
        exit(1);
    }
    fprintf(stderr, "replaying %s (%zu bytes)\n", path, (size_t)size);
    LLVMFuzzerTestOneInput((const uint8_t *)data, size);
    return 1;
}

static unsigned replay_dir(const char *path)
{
    g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *name;
    unsigned n = 0;

    if (!dir)
        return 0;
    while ((name = g_dir_read_name(dir)))
        if (name[0] != '.' && strcmp(name, "README.md") != 0)
            g_ptr_array_add(names, g_strdup(name));
    g_ptr_array_sort(names, compare_names);
    for (guint i = 0; i < names->len; i++) {
        g_autofree char *file = g_build_filename(path, names->pdata[i], NULL);
        n += replay_file(file);
    }
    return n;
}

int main(int argc, char **argv)
{
    unsigned n = 0;

    if (LLVMFuzzerInitialize)
        LLVMFuzzerInitialize(&argc, &argv);
    for (int i = 1; i < argc; i++) {
        unsigned here = g_file_test(argv[i], G_FILE_TEST_IS_DIR)   ? replay_dir(argv[i])
                        : g_file_test(argv[i], G_FILE_TEST_EXISTS) ? replay_file(argv[i])
                                                                   : 0;
        printf("%s: %u inputs\n", argv[i], here);
        n += here;
    }
    printf("%u inputs replayed without a failure\n", n);
    return n > 0 ? 0 : 77; /* 77: meson's "skipped", for an empty corpus */
}
