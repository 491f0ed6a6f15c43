#include "args.h"

#include <string.h>

#include "ctl.h"

static void remove_args(int *argc, char **argv, int at, int count)
{
    memmove(argv + at, argv + at + count, sizeof(char *) * (size_t)(*argc - at - count + 1));
    *argc -= count;
}

int take_option(int *argc, char **argv, const char *name, char short_name, const char **value)
{
    size_t len = strlen(name);
    int found = 0;

    for (int i = 0; i < *argc;) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        bool is_long = strncmp(a, name, len) == 0;
        bool is_short = short_name && a[0] == '-' && a[1] == short_name;
        if (is_long && a[len] == '=') {
            *value = a + len + 1;
            remove_args(argc, argv, i, 1);
            found = 1;
        } else if ((is_long && a[len] == '\0') || (is_short && a[2] == '\0')) {
            if (i + 1 >= *argc) {
                usage_error("option %s needs a value", a);
                return -1;
            }
            *value = argv[i + 1];
            remove_args(argc, argv, i, 2);
            found = 1;
        } else if (is_short && a[2] != '\0') {
            *value = a + 2;
            remove_args(argc, argv, i, 1);
            found = 1;
        } else
            i++;
    }
    return found;
}

bool take_flag(int *argc, char **argv, const char *name)
{
    bool found = false;
    for (int i = 0; i < *argc;) {
        if (strcmp(argv[i], "--") == 0)
            break;
        if (strcmp(argv[i], name) == 0) {
            remove_args(argc, argv, i, 1);
            found = true;
        } else
            i++;
    }
    return found;
}

int check_no_options(int *argc, char **argv)
{
    for (int i = 0; i < *argc; i++) {
        if (strcmp(argv[i], "--") == 0) {
            remove_args(argc, argv, i, 1);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1] != '\0')
            return usage_error("unknown option '%s'", argv[i]);
    }
    return 0;
}
