/* What every harness shares: libFuzzer's entry point (also called by
 * replay.c in builds without libFuzzer), logging that turns GLib's
 * criticals into crashes, inputs as GVariants, and a scratch directory. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Messages, infos and warnings are dropped: the daemon warns about the host
 * (a bridge it could not make), not about bugs, and printing them would slow
 * fuzzing. Criticals (a g_return_if_fail() that failed) and errors abort:
 * they are bugs, as under G_DEBUG=fatal-criticals in the unit tests. */
void fuzz_init_logging(void);

/* The input as a GVariant of type, normal form or not: GLib reads what it
 * can and shows defaults for what it cannot, as for data from the bus. The
 * bytes are copied (libFuzzer's buffer lives for one call only). */
GVariant *fuzz_variant(const char *type, const uint8_t *data, size_t size);

/* FUZZ_VERBOSE=1 in the environment: harnesses say what became of each
 * input (to check that seeds reach what they are meant to). */
void fuzz_note(const char *format, ...) G_GNUC_PRINTF(1, 2);

/* A directory of this process, removed with its contents at exit. */
const char *fuzz_tmp_dir(void);

/* Aborts with a message when an invariant does not hold: the harnesses'
 * own checks, kept in release builds (g_assert may be compiled out). */
#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond))                                                                               \
            fuzz_fail(__FILE__, __LINE__, #cond, __VA_ARGS__);                                     \
    } while (0)
G_NORETURN void fuzz_fail(const char *file, int line, const char *cond, const char *format, ...)
    G_GNUC_PRINTF(4, 5);
