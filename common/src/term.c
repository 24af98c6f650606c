#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "vigil/error.h"
#include "vigil/term.h"

static int read_line(struct vg_buf *out, int fd, int *got_any)
{
	int rc;

	*got_any = 0;
	for (;;) {
		char c;
		ssize_t n = read(fd, &c, 1);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return vg_error_sys("cannot read passphrase");
		}
		if (n == 0)
			return 0;
		*got_any = 1;
		if (c == '\n')
			return 0;
		if (out->len >= VG_PASSPHRASE_MAX)
			return vg_error_set(VG_ELIMIT, "passphrase longer than %d bytes",
					    VG_PASSPHRASE_MAX);
		if ((rc = vg_buf_putc(out, (uint8_t)c)) < 0)
			return rc;
	}
}

int vg_term_passphrase(struct vg_buf *out, int fd, const char *prompt)
{
	struct termios old, quiet;
	int tty = -1, rc, got_any = 0, restored = 1;

	vg_buf_clear(out);
	if (fd >= 0) {
		rc = read_line(out, fd, &got_any);
		if (rc == 0 && !got_any)
			rc = vg_error_set(VG_ENOTFOUND, "no passphrase on descriptor %d", fd);
		goto done;
	}
	tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (tty < 0)
		return vg_error_set(VG_EINVAL, "no terminal to ask for a passphrase "
					       "(use --passphrase-fd N)");
	if (tcgetattr(tty, &old) == 0) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHONL);
		quiet.c_lflag |= ICANON;
		if (tcsetattr(tty, TCSAFLUSH, &quiet) == 0)
			restored = 0;
	}
	if (write(tty, prompt, strlen(prompt)) < 0) {
		rc = vg_error_sys("cannot write to the terminal");
		goto done;
	}
	rc = read_line(out, tty, &got_any);
	if (write(tty, "\n", 1) < 0) {
		/* the newline is cosmetic */
	}
done:
	if (tty >= 0) {
		if (!restored)
			tcsetattr(tty, TCSAFLUSH, &old);
		close(tty);
	}
	if (rc == 0 && out->len == 0)
		rc = vg_error_set(VG_EINVAL, "empty passphrase");
	if (rc < 0)
		vg_buf_clear(out);
	return rc;
}

/* Length of the UTF-8 sequence at s (1-4), or 0 when invalid; *cp gets the code point. */
static size_t utf8_next(const unsigned char *s, size_t len, unsigned *cp)
{
	unsigned c = s[0], min;
	size_t n;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xe0) == 0xc0) {
		n = 2, *cp = c & 0x1f, min = 0x80;
	} else if ((c & 0xf0) == 0xe0) {
		n = 3, *cp = c & 0x0f, min = 0x800;
	} else if ((c & 0xf8) == 0xf0) {
		n = 4, *cp = c & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len < n)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	if (*cp < min || *cp > 0x10ffff || (*cp >= 0xd800 && *cp <= 0xdfff))
		return 0;
	return n;
}

int vg_term_sanitize(struct vg_buf *out, const char *s, size_t len, bool keep_newlines)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	int rc;

	while (i < len) {
		unsigned cp;
		size_t n = utf8_next(p + i, len - i, &cp);
		if (n == 0) {
			if ((rc = vg_buf_puts(out, "\xef\xbf\xbd")) < 0)
				return rc;
			i++;
			continue;
		}
		int drop = (cp < 0x20 && cp != '\t' && !(cp == '\n' && keep_newlines)) ||
			   cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) ||
			   (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
		if (!drop && (rc = vg_buf_put(out, p + i, n)) < 0)
			return rc;
		i += n;
	}
	return 0;
}
