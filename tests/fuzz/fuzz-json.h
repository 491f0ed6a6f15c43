/* Whether text is one JSON value (RFC 8259) in UTF-8: the check of what
 * cirrinactl --json writes for scripts. */
#pragma once

#include <glib.h>
#include <stdbool.h>

bool fuzz_json_is_valid(const char *text, size_t len, const char **why);
