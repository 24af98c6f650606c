#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vigil/buf.h"
#include "vigil/error.h"

void vg_buf_init(struct vg_buf *b)
{
	*b = (struct vg_buf)VG_BUF_INIT;
}

void vg_buf_init_secure(struct vg_buf *b)
{
	*b = (struct vg_buf)VG_BUF_INIT_SECURE;
}

static void buf_free_mem(uint8_t *p, size_t cap, bool secure)
{
	if (p == NULL)
		return;
	if (secure) {
		sodium_free(p); /* wipes */
	} else {
		sodium_memzero(p, cap + 1);
		free(p);
	}
}

int vg_buf_grow(struct vg_buf *b, size_t extra)
{
	size_t need, cap;
	uint8_t *p;

	if (extra > SIZE_MAX - 1 - b->len)
		return vg_error_set(VG_ENOMEM, "buffer size overflow");
	need = b->len + extra;
	if (need <= b->cap && b->ptr != NULL)
		return 0;
	/*
	 * sodium_malloc maps whole pages plus guard pages and costs several system calls, so a
	 * secure buffer starts at one page and grows rarely.
	 */
	cap = b->cap > 0 ? b->cap : b->secure ? 4096 - 1 : 64;
	while (cap < need) {
		if (cap > (SIZE_MAX - 1) / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	p = b->secure ? sodium_malloc(cap + 1) : malloc(cap + 1);
	if (p == NULL)
		return vg_error_set(VG_ENOMEM, "cannot allocate %zu bytes", cap + 1);
	if (b->ptr != NULL)
		memcpy(p, b->ptr, b->len);
	p[b->len] = '\0';
	buf_free_mem(b->ptr, b->cap, b->secure);
	b->ptr = p;
	b->cap = cap;
	return 0;
}

int vg_buf_put(struct vg_buf *b, const void *data, size_t len)
{
	int rc = vg_buf_grow(b, len);
	if (rc < 0)
		return rc;
	if (len > 0)
		memcpy(b->ptr + b->len, data, len);
	b->len += len;
	b->ptr[b->len] = '\0';
	return 0;
}

int vg_buf_puts(struct vg_buf *b, const char *s)
{
	return vg_buf_put(b, s, strlen(s));
}

int vg_buf_putc(struct vg_buf *b, uint8_t c)
{
	return vg_buf_put(b, &c, 1);
}

int vg_buf_printf(struct vg_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return vg_error_set(VG_EINVAL, "bad format string");
	if ((rc = vg_buf_grow(b, (size_t)n)) < 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)b->ptr + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

void vg_buf_clear(struct vg_buf *b)
{
	vg_buf_truncate(b, 0);
}

void vg_buf_truncate(struct vg_buf *b, size_t len)
{
	if (b->ptr == NULL || len >= b->len)
		return;
	sodium_memzero(b->ptr + len, b->len - len);
	b->len = len;
	b->ptr[len] = '\0';
}

void vg_buf_release(struct vg_buf *b)
{
	bool secure = b->secure;
	buf_free_mem(b->ptr, b->cap, b->secure);
	*b = (struct vg_buf)VG_BUF_INIT;
	b->secure = secure;
}

int vg_array_reserve(void *array, size_t *cap, size_t n, size_t elem, size_t first,
		     const char *what)
{
	size_t ncap = *cap > 0 ? *cap : first > 0 ? first : 1;
	void *p;

	if (n < *cap)
		return 0;
	while (ncap <= n) {
		if (ncap > SIZE_MAX / 2)
			return vg_error_set(VG_ENOMEM, "cannot grow the %s", what);
		ncap *= 2;
	}
	if (elem == 0 || ncap > SIZE_MAX / elem)
		return vg_error_set(VG_ENOMEM, "cannot grow the %s", what);
	/* array holds a T *: read and write it as the pointer it is, without aliasing it. */
	memcpy(&p, array, sizeof(p));
	if ((p = realloc(p, ncap * elem)) == NULL)
		return vg_error_set(VG_ENOMEM, "cannot grow the %s", what);
	memcpy(array, &p, sizeof(p));
	*cap = ncap;
	return 0;
}
