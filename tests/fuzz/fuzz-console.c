/* cirrinactl's console (cli/console.c): what is typed goes to the VM up
 * to the escape character Ctrl+] (not in --raw mode), what the VM writes
 * goes to the terminal. stdin and stdout are pipes here, the VM's end a
 * socket pair.
 *
 * Input: byte 0: flags (bit 0 --raw, bit 1 drain: half-close and read on
 * at the end of input, as over ssh); byte 1: how many of the following
 * bytes are typed; the rest is what the VM writes.
 *
 * What must hold: no crash, leak or undefined behaviour; the VM gets a
 * prefix of what was typed, never a byte from the escape character on
 * (in --raw mode the escape character is data); on the escape character
 * it detaches; the terminal gets a prefix of what the VM wrote, all of it
 * when the VM's end closed first. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "ctl.h"
#include "fuzz-common.h"

#define ESCAPE_CHAR 0x1d
#define MAX_OUTPUT  60000 /* fits the pipe standing in for stdout */

static GByteArray *drain(int fd)
{
    GByteArray *all = g_byte_array_new();
    guint8 buf[4096];
    ssize_t n;

    while ((n = read(fd, buf, sizeof(buf))) > 0)
        g_byte_array_append(all, buf, (guint)n);
    return all;
}

static bool is_prefix(const GByteArray *got, const uint8_t *of, size_t len)
{
    return got->len == 0 || (got->len <= len && memcmp(got->data, of, got->len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int in[2], out[2], vm[2];

    fuzz_init_logging();
    if (size < 2)
        return 0;
    unsigned flags = (data[0] & 1 ? CONSOLE_RAW : 0) | (data[0] & 2 ? CONSOLE_DRAIN : 0);
    size_t typed_len = MIN(data[1], size - 2);
    const uint8_t *typed = data + 2, *output = data + 2 + typed_len;
    size_t output_len = MIN(size - 2 - typed_len, MAX_OUTPUT);

    FUZZ_CHECK(pipe2(in, O_CLOEXEC) == 0 && pipe2(out, O_CLOEXEC) == 0 &&
                   socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, vm) == 0,
               "pipes: %s", g_strerror(errno));
    FUZZ_CHECK(write(in[1], typed, typed_len) == (ssize_t)typed_len &&
                   write(vm[1], output, output_len) == (ssize_t)output_len,
               "writing the input: %s", g_strerror(errno));
    close(in[1]);
    shutdown(vm[1], SHUT_WR);

    int saved_in = dup(STDIN_FILENO), saved_out = dup(STDOUT_FILENO);
    dup2(in[0], STDIN_FILENO);
    dup2(out[1], STDOUT_FILENO);
    int result = console_attach(vm[0], flags, "fuzzed VM");
    dup2(saved_in, STDIN_FILENO);
    dup2(saved_out, STDOUT_FILENO);
    close(saved_in);
    close(saved_out);
    close(in[0]);
    close(out[1]);
    close(vm[0]);

    g_autoptr(GByteArray) shown = drain(out[0]);
    g_autoptr(GByteArray) sent = drain(vm[1]);
    close(out[0]);
    close(vm[1]);

    const uint8_t *escape = flags & CONSOLE_RAW ? NULL : memchr(typed, ESCAPE_CHAR, typed_len);
    size_t sendable = escape ? (size_t)(escape - typed) : typed_len;
    FUZZ_CHECK(result == CONSOLE_DETACHED || result == CONSOLE_INPUT_ENDED ||
                   result == CONSOLE_CLOSED,
               "console_attach gave %d", result);
    FUZZ_CHECK(is_prefix(sent, typed, sendable), "the VM got %u bytes that were not typed",
               sent->len);
    FUZZ_CHECK(result != CONSOLE_DETACHED || (escape && sent->len == sendable),
               "detached without the escape character, or before sending what came first");
    FUZZ_CHECK(is_prefix(shown, output, output_len), "the terminal got what the VM did not write");
    FUZZ_CHECK(result != CONSOLE_CLOSED || shown->len == output_len,
               "the VM's end closed, but %u of its %zu bytes were shown", shown->len, output_len);
    fuzz_note("result %d: sent %u of %zu typed, shown %u of %zu", result, sent->len, typed_len,
              shown->len, output_len);
    return 0;
}
