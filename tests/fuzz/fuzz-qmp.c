/* QEMU's monitor as the QMP client (hv/qmp.c) hears it: the input is what
 * a QEMU process answers on its socket, fed in pieces through a real unix
 * socket while the client runs in the GLib main loop, as in the daemon;
 * and qmp_quote(), which puts strings (the VNC password) into commands.
 *
 * Input: byte 0: how many commands the client sends after
 * qmp_capabilities (0 to 3); byte 1: the size of the pieces the answer is
 * written in (0: all at once); byte 2: how many bytes of the rest are the
 * string to quote; the rest: the string, then the answer.
 *
 * What must hold: no crash, leak or undefined behaviour; done runs exactly
 * once; an error's message is UTF-8 (it becomes a D-Bus error); and the
 * quoted string is one JSON string literal, without a raw control
 * character (a newline would end the command early and start another),
 * that reads back as the string. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "fuzz-common.h"
#include "hv/qmp.h"

typedef struct {
    unsigned calls;
    GError *error;
} Outcome;

static void on_done(const GError *error, void *data)
{
    Outcome *o = data;

    o->calls++;
    if (error)
        o->error = g_error_copy(error);
}

static int listener(const char **path_out)
{
    static int fd = -1;
    static char *path;

    if (fd < 0) {
        struct sockaddr_un addr = {.sun_family = AF_UNIX};
        path = g_build_filename(fuzz_tmp_dir(), "qmp.sock", NULL);
        g_strlcpy(addr.sun_path, path, sizeof(addr.sun_path));
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        FUZZ_CHECK(fd >= 0 && bind(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0 &&
                       listen(fd, 4) == 0,
                   "listening on %s: %s", path, g_strerror(errno));
    }
    *path_out = path;
    return fd;
}

static void run_pending(void)
{
    while (g_main_context_iteration(NULL, FALSE))
        ;
}

/* Reads a JSON string literal at *p (RFC 8259), or aborts. */
static char *read_json_string(const char *json)
{
    GString *out = g_string_new(NULL);
    const char *p = json;

    FUZZ_CHECK(*p == '"', "'%s' does not start with a quote", json);
    for (p++; *p != '"'; p++) {
        FUZZ_CHECK(*p, "'%s' is not terminated", json);
        FUZZ_CHECK((unsigned char)*p >= 0x20, "a raw control character 0x%02x in %s",
                   (unsigned char)*p, json);
        if (*p != '\\') {
            g_string_append_c(out, *p);
            continue;
        }
        p++;
        if (*p == 'u') {
            unsigned code;
            FUZZ_CHECK(g_ascii_isxdigit(p[1]) && g_ascii_isxdigit(p[2]) && g_ascii_isxdigit(p[3]) &&
                           g_ascii_isxdigit(p[4]) && sscanf(p + 1, "%4x", &code) == 1 &&
                           code < 0x80,
                       "a \\u escape that is not ASCII in %s", json);
            g_string_append_c(out, (char)code);
            p += 4;
            continue;
        }
        static const char escapes[] = "\"\\/bfnrt", decoded[] = "\"\\/\b\f\n\r\t";
        const char *simple = *p ? strchr(escapes, *p) : NULL;
        FUZZ_CHECK(simple, "an unknown escape in %s", json);
        g_string_append_c(out, decoded[simple - escapes]);
    }
    FUZZ_CHECK(p[1] == '\0', "'%s' goes on after the string", json);
    return g_string_free(out, FALSE);
}

static void check_quote(const char *s, size_t len)
{
    g_autofree char *copy = g_strndup(s, len); /* up to a NUL, as C strings go */
    g_autofree char *quoted = qmp_quote(copy);
    g_autofree char *back = read_json_string(quoted);

    FUZZ_CHECK(strcmp(back, copy) == 0, "%s reads back as another string", quoted);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const all_commands[] = {"{\"execute\":\"query-status\"}",
                                               "{\"execute\":\"system_powerdown\"}",
                                               "{\"execute\":\"system_reset\"}", NULL};
    g_autoptr(GError) error = NULL;
    Outcome outcome = {0};
    const char *path;

    fuzz_init_logging();
    if (size < 3)
        return 0;
    unsigned n_commands = data[0] % 4, piece = data[1];
    size_t quote_len = MIN(data[2], size - 3);
    check_quote((const char *)data + 3, quote_len);
    const uint8_t *answer = data + 3 + quote_len;
    size_t answer_len = size - 3 - quote_len;

    const char *commands[4] = {NULL};
    for (unsigned i = 0; i < n_commands; i++)
        commands[i] = all_commands[i];
    int server = listener(&path);
    FUZZ_CHECK(qmp_execute(path, commands, on_done, &outcome, &error), "qmp_execute: %s",
               error->message);
    int peer = accept4(server, NULL, NULL, SOCK_CLOEXEC);
    FUZZ_CHECK(peer >= 0, "accept: %s", g_strerror(errno));
    for (size_t off = 0; off < answer_len && outcome.calls == 0;) {
        size_t n = piece ? MIN(piece, answer_len - off) : answer_len - off;
        ssize_t w = send(peer, answer + off, n, MSG_NOSIGNAL);
        if (w < 0)
            break; /* the client closed: it has its answers */
        off += (size_t)w;
        run_pending();
    }
    close(peer);
    while (outcome.calls == 0)
        g_main_context_iteration(NULL, TRUE);
    run_pending();
    FUZZ_CHECK(outcome.calls == 1, "done ran %u times", outcome.calls);
    if (outcome.error) {
        FUZZ_CHECK(g_utf8_validate(outcome.error->message, -1, NULL),
                   "the error's message is not UTF-8");
        fuzz_note("failed: %s", outcome.error->message);
        g_error_free(outcome.error);
    } else {
        fuzz_note("answered");
    }
    return 0;
}
