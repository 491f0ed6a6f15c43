/* Moving bytes into the daemon's image files: the data movers that import
 * and clone jobs run in their worker threads. No registry, no D-Bus, no
 * main loop: a source fd, a destination fd and a GCancellable.
 *
 * Sources are regular files (read whole, from offset 0, with explicit
 * offsets so the fd's shared offset is never used) or pipes (read until
 * the writer closes them). What reaches the destination keeps its holes:
 * a regular file is copied segment by segment (SEEK_DATA/SEEK_HOLE), and
 * blocks of zeros are skipped rather than written, so a disk image stays
 * sparse whatever the source. */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
    /* in */
    int src;           /* a regular file or a pipe, open for reading */
    int dst;           /* a new, empty regular file, open for writing */
    uint64_t expected; /* bytes the source must deliver; 0: whatever it has */
    uint64_t max;      /* most bytes accepted */
    bool try_reflink;  /* share the source's blocks (FICLONE) where possible */
    bool hash;         /* compute the SHA-256 of the data */
    GCancellable *cancel;
    /* progress, read from other threads with copy_progress() */
    uint64_t done;
    /* out */
    uint64_t size;      /* bytes delivered */
    char sha256[65];    /* lower-case hex, when hash */
    const char *method; /* how: "reflink", "copy_file_range", "read/write" */
} Copy;

/* Copies everything; fails with CIRRINA_ERROR_INVALID_ARGUMENT for data
 * of the wrong length (none, more than max, other than expected), with
 * CIRRINA_ERROR_CANCELLED once cancel is triggered, CIRRINA_ERROR_FAILED
 * for I/O errors. The destination's length is left to the caller (it may
 * be shorter than size where the data ends with zeros). */
bool copy_run(Copy *c, GError **error);
uint64_t copy_progress(const Copy *c);

/* SHA-256 of a stream, in lower-case hex: libcrypto's where the build has
 * it (several times faster here), GLib's otherwise. */
typedef struct Sha256 Sha256;
Sha256 *sha256_new(void);
void sha256_update(Sha256 *h, const void *data, size_t len);
/* Writes 64 hex digits and a NUL to hex; h cannot be updated afterwards. */
void sha256_finish(Sha256 *h, char hex[65]);
void sha256_free(Sha256 *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Sha256, sha256_free)

/* Whether s is 64 hex digits. */
bool sha256_hex_is_valid(const char *s);
