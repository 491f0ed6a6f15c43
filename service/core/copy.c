/* The data movers of import and clone jobs (see copy.h). */
#define _GNU_SOURCE /* copy_file_range, F_SETPIPE_SZ */
#include "core/copy.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef __linux__
#include <linux/fs.h> /* FICLONE */
#endif
#if HAVE_LIBCRYPTO
#include <openssl/evp.h>
#endif

#include "core/errors.h"

#define BUFFER_SIZE (1u << 20)  /* one read or write through memory */
#define RANGE_CHUNK (16u << 20) /* one copy_file_range call: a progress step */
#define ZERO_BLOCK  4096u       /* zeros skipped in units of this */
#define PIPE_SIZE   (1 << 20)   /* asked of a pipe: fewer, larger reads */

/* --- SHA-256 --- */

struct Sha256 {
#if HAVE_LIBCRYPTO
    EVP_MD_CTX *ctx;
#else
    GChecksum *checksum;
#endif
};

Sha256 *sha256_new(void)
{
    Sha256 *h = g_new0(Sha256, 1);
#if HAVE_LIBCRYPTO
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx || EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1)
        g_error("libcrypto cannot compute SHA-256");
#else
    h->checksum = g_checksum_new(G_CHECKSUM_SHA256);
#endif
    return h;
}

void sha256_update(Sha256 *h, const void *data, size_t len)
{
#if HAVE_LIBCRYPTO
    EVP_DigestUpdate(h->ctx, data, len);
#else
    g_checksum_update(h->checksum, data, (gssize)len);
#endif
}

void sha256_finish(Sha256 *h, char hex[65])
{
#if HAVE_LIBCRYPTO
    unsigned char digest[32];
    unsigned int len = 0;
    EVP_DigestFinal_ex(h->ctx, digest, &len);
    for (unsigned i = 0; i < 32; i++)
        g_snprintf(hex + 2 * i, 3, "%02x", digest[i]);
#else
    g_strlcpy(hex, g_checksum_get_string(h->checksum), 65);
#endif
    hex[64] = '\0';
}

void sha256_free(Sha256 *h)
{
    if (!h)
        return;
#if HAVE_LIBCRYPTO
    EVP_MD_CTX_free(h->ctx);
#else
    g_checksum_free(h->checksum);
#endif
    g_free(h);
}

bool sha256_hex_is_valid(const char *s)
{
    size_t n = 0;

    for (; s[n]; n++)
        if (!g_ascii_isxdigit(s[n]))
            return false;
    return n == 64;
}

/* --- helpers --- */

typedef struct {
    Copy *c;
    Sha256 *hash;
    guchar *buffer;
} Run;

static bool fail_errno(GError **error, int e, const char *what)
{
    g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_FAILED, "Failed to %s: %s", what,
                g_strerror(e));
    return false;
}

static bool check_cancelled(const Copy *c, GError **error)
{
    if (!g_cancellable_is_cancelled(c->cancel))
        return true;
    g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_CANCELLED, "Cancelled");
    return false;
}

static void set_progress(Copy *c, uint64_t done)
{
    __atomic_store_n(&c->done, done, __ATOMIC_RELAXED);
}

uint64_t copy_progress(const Copy *c)
{
    return __atomic_load_n(&c->done, __ATOMIC_RELAXED);
}

static bool is_zero(const guchar *p, size_t len)
{
    return len == 0 || (p[0] == 0 && memcmp(p, p + 1, len - 1) == 0);
}

static bool write_all(int fd, const guchar *p, size_t len, uint64_t offset, GError **error)
{
    while (len > 0) {
        ssize_t n = pwrite(fd, p, len, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail_errno(error, errno, "write the image");
        p += n;
        len -= (size_t)n;
        offset += (uint64_t)n;
    }
    return true;
}

/* Writes buffer data that belongs at offset, leaving out blocks of zeros
 * (aligned to ZERO_BLOCK in the file): the destination is new, so what is
 * not written reads as zeros. */
static bool write_sparse(int fd, const guchar *p, size_t len, uint64_t offset, GError **error)
{
    size_t i = 0;

    while (i < len) {
        size_t block = MIN(len - i, ZERO_BLOCK - (size_t)((offset + i) % ZERO_BLOCK));
        if (is_zero(p + i, block)) {
            i += block;
            continue;
        }
        /* A run of blocks with data. */
        size_t end = i + block;
        while (end < len) {
            size_t next = MIN(len - end, ZERO_BLOCK);
            if (is_zero(p + end, next))
                break;
            end += next;
        }
        if (!write_all(fd, p + i, end - i, offset + i, error))
            return false;
        i = end;
    }
    return true;
}

static void hash_zeros(Run *run, uint64_t len)
{
    static const guchar zeros[64 << 10];

    while (len > 0) {
        size_t n = (size_t)MIN(len, sizeof zeros);
        sha256_update(run->hash, zeros, n);
        len -= n;
    }
}

/* --- regular files --- */

/* [offset, end) through memory: for hashing, or where copy_file_range
 * cannot be used. */
static bool copy_range_through_memory(Run *run, uint64_t offset, uint64_t end, GError **error)
{
    Copy *c = run->c;

    while (offset < end) {
        if (!check_cancelled(c, error))
            return false;
        size_t want = (size_t)MIN(end - offset, BUFFER_SIZE);
        ssize_t n = pread(c->src, run->buffer, want, (off_t)offset);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return fail_errno(error, errno, "read the source");
        if (n == 0) {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "The source file shrank while it was read (at %" G_GUINT64_FORMAT " bytes)",
                        offset);
            return false;
        }
        if (run->hash)
            sha256_update(run->hash, run->buffer, (size_t)n);
        if (!write_sparse(c->dst, run->buffer, (size_t)n, offset, error))
            return false;
        offset += (uint64_t)n;
        set_progress(c, offset);
    }
    return true;
}

/* [offset, end) inside the kernel; false with *fallback set when this
 * file pair cannot, so the caller goes through memory instead. */
static bool copy_range_in_kernel(Run *run, uint64_t offset, uint64_t end, bool *fallback,
                                 GError **error)
{
    Copy *c = run->c;

    while (offset < end) {
        if (!check_cancelled(c, error))
            return false;
        off_t in = (off_t)offset, out = (off_t)offset;
        ssize_t n =
            copy_file_range(c->src, &in, c->dst, &out, (size_t)MIN(end - offset, RANGE_CHUNK), 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 &&
            (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
            *fallback = true;
            return copy_range_through_memory(run, offset, end, error);
        }
        if (n < 0)
            return fail_errno(error, errno, "copy the data");
        if (n == 0) {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "The source file shrank while it was read (at %" G_GUINT64_FORMAT " bytes)",
                        offset);
            return false;
        }
        offset += (uint64_t)n;
        set_progress(c, offset);
    }
    return true;
}

static bool try_reflink(Copy *c)
{
#ifdef FICLONE
    return ioctl(c->dst, FICLONE, c->src) == 0;
#else
    return false;
#endif
}

static bool copy_regular_file(Run *run, uint64_t total, GError **error)
{
    Copy *c = run->c;
    bool through_memory = run->hash != NULL;
    uint64_t offset = 0;

    if (c->try_reflink && !run->hash && try_reflink(c)) {
        c->method = "reflink";
        set_progress(c, total);
        return true;
    }
    c->method = through_memory ? "read/write" : "copy_file_range";
    while (offset < total) {
        if (!check_cancelled(c, error))
            return false;
        /* The next data segment; a file system without SEEK_DATA has one. */
        off_t data = lseek(c->src, (off_t)offset, SEEK_DATA);
        if (data < 0 && errno == ENXIO)
            data = (off_t)total;
        else if (data < 0)
            data = (off_t)offset;
        uint64_t start = MIN((uint64_t)data, total);
        if (run->hash)
            hash_zeros(run, start - offset);
        if (start >= total)
            break;
        off_t hole = lseek(c->src, (off_t)start, SEEK_HOLE);
        uint64_t end = hole < 0 ? total : MIN((uint64_t)hole, total);
        if (end <= start)
            end = total;

        bool fallback = false;
        if (through_memory ? !copy_range_through_memory(run, start, end, error)
                           : !copy_range_in_kernel(run, start, end, &fallback, error))
            return false;
        if (fallback) {
            through_memory = true;
            c->method = "read/write";
        }
        offset = end;
        set_progress(c, offset);
    }
    set_progress(c, total);
    return true;
}

/* --- pipes --- */

/* Fills the buffer from the pipe (poll first, so a cancel ends a wait for
 * a silent writer); *len < BUFFER_SIZE only at the end of the data. */
static bool fill_from_pipe(Run *run, size_t *len, GError **error)
{
    Copy *c = run->c;
    GPollFD fds[2] = {{.fd = c->src, .events = G_IO_IN | G_IO_HUP | G_IO_ERR}};
    int n_fds = g_cancellable_make_pollfd(c->cancel, &fds[1]) ? 2 : 1;
    bool ok = true;

    *len = 0;
    while (*len < BUFFER_SIZE) {
        if (!(ok = check_cancelled(c, error)))
            break;
        if (g_poll(fds, (guint)n_fds, -1) < 0 && errno != EINTR) {
            ok = fail_errno(error, errno, "wait for data");
            break;
        }
        if (!(ok = check_cancelled(c, error)))
            break;
        if (!(fds[0].revents & (G_IO_IN | G_IO_HUP | G_IO_ERR)))
            continue;
        ssize_t n = read(c->src, run->buffer + *len, BUFFER_SIZE - *len);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0) {
            ok = fail_errno(error, errno, "read the data");
            break;
        }
        if (n == 0)
            break;
        *len += (size_t)n;
        set_progress(c, c->size + *len);
    }
    if (n_fds == 2)
        g_cancellable_release_fd(c->cancel);
    return ok;
}

static bool copy_pipe(Run *run, GError **error)
{
    Copy *c = run->c;
    size_t len;

    c->method = "read/write";
#ifdef F_SETPIPE_SZ
    /* Larger reads; the pipe may refuse (a limit for users), which is fine. */
    if (fcntl(c->src, F_GETPIPE_SZ) < PIPE_SIZE)
        (void)fcntl(c->src, F_SETPIPE_SZ, PIPE_SIZE);
#endif
    do {
        if (!fill_from_pipe(run, &len, error))
            return false;
        uint64_t limit = c->expected ? c->expected : c->max;
        if (len > limit - c->size) {
            if (c->expected)
                g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                            "The data is longer than the %" G_GUINT64_FORMAT
                            " bytes announced (Size)",
                            c->expected);
            else
                g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                            "The data is longer than %" G_GUINT64_FORMAT " bytes, the most allowed",
                            c->max);
            return false;
        }
        if (run->hash)
            sha256_update(run->hash, run->buffer, len);
        if (!write_sparse(c->dst, run->buffer, len, c->size, error))
            return false;
        c->size += len;
        set_progress(c, c->size);
    } while (len == BUFFER_SIZE);
    return true;
}

/* --- the whole copy --- */

bool copy_run(Copy *c, GError **error)
{
    g_autoptr(Sha256) hash = c->hash ? sha256_new() : NULL;
    g_autofree guchar *buffer = g_malloc(BUFFER_SIZE);
    Run run = {.c = c, .hash = hash, .buffer = buffer};
    struct stat st;
    bool ok;

    c->size = 0;
    set_progress(c, 0);
    if (fstat(c->src, &st) < 0)
        return fail_errno(error, errno, "examine the source");
    if (S_ISREG(st.st_mode)) {
        uint64_t total = (uint64_t)st.st_size;
        if (c->expected && total != c->expected) {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "The file holds %" G_GUINT64_FORMAT " bytes, not the %" G_GUINT64_FORMAT
                        " announced (Size)",
                        total, c->expected);
            return false;
        }
        if (total > c->max) {
            g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                        "The file holds %" G_GUINT64_FORMAT
                        " bytes, more than the %" G_GUINT64_FORMAT " allowed",
                        total, c->max);
            return false;
        }
        ok = copy_regular_file(&run, total, error);
        c->size = total;
    } else if (S_ISFIFO(st.st_mode)) {
        ok = copy_pipe(&run, error);
    } else {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "The source is neither a regular file nor a pipe");
        return false;
    }
    if (!ok)
        return false;
    if (c->size == 0) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "There was no data to read (the fd delivered 0 bytes)");
        return false;
    }
    if (c->expected && c->size != c->expected) {
        g_set_error(error, CIRRINA_ERROR, CIRRINA_ERROR_INVALID_ARGUMENT,
                    "The data ended after %" G_GUINT64_FORMAT " of the %" G_GUINT64_FORMAT
                    " bytes announced (Size)",
                    c->size, c->expected);
        return false;
    }
    if (hash)
        sha256_finish(hash, c->sha256);
    return true;
}
