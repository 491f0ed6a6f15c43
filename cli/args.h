/* Small helpers for the commands' own options, which may stand anywhere
 * among their arguments (before a "--"). */
#pragma once

#include <stdbool.h>

/* Removes "--name VALUE" or "--name=VALUE" (or -s VALUE, if short is
 * given) from argv; sets *value (the last one given) and returns 1, 0 if
 * absent, -1 (with a message) if the value is missing. */
int take_option(int *argc, char **argv, const char *name, char short_name, const char **value);

/* Removes a flag "--name"; true if it was there. */
bool take_flag(int *argc, char **argv, const char *name);

/* After the options are taken: a leftover "-x"/"--x" is an unknown
 * option (exit code 2 printed), "--" is dropped. Returns 0 or 2. */
int check_no_options(int *argc, char **argv);
