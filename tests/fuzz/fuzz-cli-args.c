/* cirrinactl's own option parsing for its commands (cli/args.c), whose
 * options may stand anywhere among the arguments, before a "--".
 *
 * Input: up to 16 arguments separated by NUL bytes, as a command gets
 * them after its name.
 *
 * What must hold: no crash, leak or undefined behaviour; argv stays
 * NULL-terminated and counted; what is left is the input with some
 * arguments taken out, in order; an option's value is an argument, or the
 * part of one after "--history=" or "-p"; before the first "--" no
 * "--port"/"--history" option or "--raw" flag is left; check_no_options()
 * refuses a leftover "-x" before "--" and drops that "--". */
#include <string.h>

#include "args.h"
#include "fuzz-common.h"

#define MAX_ARGS 16

/* Whether left (n) is input (m) with some items taken out, in order. */
static bool is_subsequence(char **left, int n, char **input, int m)
{
    int j = 0;

    for (int i = 0; i < n; i++) {
        while (j < m && left[i] != input[j])
            j++;
        if (j++ == m)
            return false;
    }
    return true;
}

static bool points_into(const char *value, char **input, int m)
{
    for (int i = 0; i < m; i++)
        if (value >= input[i] && value <= input[i] + strlen(input[i]))
            return true;
    return false;
}

static void check_taken(char **argv, int argc, const char *name, char short_name)
{
    size_t len = strlen(name);

    FUZZ_CHECK(argv[argc] == NULL, "argv[%d] is not NULL", argc);
    for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++) {
        const char *a = argv[i];
        FUZZ_CHECK(!(strncmp(a, name, len) == 0 && (a[len] == '\0' || a[len] == '=')),
                   "'%s' is left after taking %s", a, name);
        FUZZ_CHECK(!(short_name && a[0] == '-' && a[1] == short_name),
                   "'%s' is left after taking -%c", a, short_name);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GPtrArray) owned = g_ptr_array_new_with_free_func(g_free);
    char *argv[MAX_ARGS + 1] = {NULL}, *input[MAX_ARGS];
    const char *value = NULL;
    int argc = 0;

    fuzz_init_logging();
    for (size_t i = 0; i < size && argc < MAX_ARGS;) {
        const uint8_t *nul = memchr(data + i, '\0', size - i);
        size_t len = nul ? (size_t)(nul - (data + i)) : size - i;
        g_ptr_array_add(owned, g_strndup((const char *)data + i, len));
        input[argc] = argv[argc] = owned->pdata[owned->len - 1];
        argc++;
        i += len + 1;
    }
    const int m = argc;

    int found = take_option(&argc, argv, "--port", 'p', &value);
    if (found < 0)
        return 0; /* "--port" last, without its value: said so */
    FUZZ_CHECK(found == 0 || (value && points_into(value, input, m)),
               "--port's value is not from the arguments");
    check_taken(argv, argc, "--port", 'p');
    value = NULL;
    found = take_option(&argc, argv, "--history", 0, &value);
    if (found < 0)
        return 0;
    FUZZ_CHECK(found == 0 || (value && points_into(value, input, m)),
               "--history's value is not from the arguments");
    check_taken(argv, argc, "--history", 0);
    take_flag(&argc, argv, "--raw");
    for (int i = 0; i < argc && strcmp(argv[i], "--") != 0; i++)
        FUZZ_CHECK(strcmp(argv[i], "--raw") != 0, "--raw is left");
    FUZZ_CHECK(argc >= 0 && argc <= m && argv[argc] == NULL, "argc %d of %d", argc, m);
    FUZZ_CHECK(is_subsequence(argv, argc, input, m), "the arguments left are not the input's");

    int before = argc;
    int dashes = -1;
    for (int i = 0; i < argc && dashes < 0; i++)
        if (strcmp(argv[i], "--") == 0)
            dashes = i;
    bool option_left = false;
    for (int i = 0; i < (dashes < 0 ? argc : dashes); i++)
        option_left = option_left || (argv[i][0] == '-' && argv[i][1] != '\0');
    int r = check_no_options(&argc, argv);
    FUZZ_CHECK(r == (option_left ? 2 : 0), "check_no_options gave %d", r);
    FUZZ_CHECK(option_left || argc == (dashes < 0 ? before : before - 1),
               "check_no_options left %d of %d", argc, before);
    FUZZ_CHECK(argv[argc] == NULL, "argv is not NULL-terminated");
    return 0;
}
