/*
 * The one growable byte buffer.
 *
 * Invariants: len <= cap; ptr is NULL exactly when cap is 0; when ptr is not NULL,
 * ptr[len] is a NUL byte (so text can be handed to C string functions), which is not
 * counted in len. A buffer initialised with vg_buf_init_secure keeps its bytes in
 * sodium_malloc memory (guarded, locked where the limit allows, excluded from core dumps).
 * Every buffer is wiped before its memory is freed or moved, so a buffer may carry
 * plaintext or secrets. A struct vg_buf is not thread-safe.
 */
#ifndef VIGIL_BUF_H
#define VIGIL_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vg_buf {
	uint8_t *ptr;
	size_t len;
	size_t cap;
	bool secure;
};

#define VG_BUF_INIT                                                                                \
	{                                                                                          \
		NULL, 0, 0, false                                                                  \
	}
#define VG_BUF_INIT_SECURE                                                                         \
	{                                                                                          \
		NULL, 0, 0, true                                                                   \
	}

void vg_buf_init(struct vg_buf *b);
void vg_buf_init_secure(struct vg_buf *b);

/* Make room for at least extra more bytes. VG_ENOMEM on overflow or allocation failure. */
int vg_buf_grow(struct vg_buf *b, size_t extra) __attribute__((warn_unused_result));

int vg_buf_put(struct vg_buf *b, const void *data, size_t len) __attribute__((warn_unused_result));
int vg_buf_puts(struct vg_buf *b, const char *s) __attribute__((warn_unused_result));
int vg_buf_putc(struct vg_buf *b, uint8_t c) __attribute__((warn_unused_result));
int vg_buf_printf(struct vg_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), warn_unused_result));

/* Drop the contents (wiped) but keep the memory. */
void vg_buf_clear(struct vg_buf *b);

/* Shorten to len bytes (no-op when len >= b->len); the dropped bytes are wiped. */
void vg_buf_truncate(struct vg_buf *b, size_t len);

/* Wipe and free the contents; the buffer is empty and reusable afterwards. */
void vg_buf_release(struct vg_buf *b);

/*
 * Growable arrays of anything not secret (plain realloc, not wiped): make room in *array
 * (the address of a T * holding *cap elements of elem bytes) for element index n, doubling
 * from first. Nothing changes on failure. VG_ENOMEM with what in the message on overflow or
 * allocation failure.
 */
int vg_array_reserve(void *array, size_t *cap, size_t n, size_t elem, size_t first,
		     const char *what) __attribute__((warn_unused_result));

#endif
