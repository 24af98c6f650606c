/*
 * Terminal input and output for the command-line programs: passphrases without echo (or
 * from a numbered file descriptor), and record text made safe to print.
 */
#ifndef VIGIL_TERM_H
#define VIGIL_TERM_H

#include <stdbool.h>
#include <stddef.h>

#include "vigil/buf.h"

#define VG_PASSPHRASE_MAX 1024

/*
 * Read one passphrase into out (a secure buffer; replaced, not appended). When fd >= 0,
 * read one line from fd byte by byte (so the next call reads the next line), without the
 * LF; end of file before any byte is VG_ENOTFOUND ("no passphrase on descriptor N").
 * Otherwise print prompt on /dev/tty and read with echo off; VG_EINVAL when there is no
 * terminal. An empty passphrase is VG_EINVAL; longer than VG_PASSPHRASE_MAX, VG_ELIMIT.
 */
int vg_term_passphrase(struct vg_buf *out, int fd, const char *prompt)
    __attribute__((warn_unused_result));

/*
 * Append s to out with what could deceive a terminal removed: C0 controls other than
 * TAB and LF (LF too unless keep_newlines), DEL, C1 controls, bidirectional overrides and
 * isolates (U+202A-U+202E, U+2066-U+2069), and invalid UTF-8 (replaced by U+FFFD).
 */
int vg_term_sanitize(struct vg_buf *out, const char *s, size_t len, bool keep_newlines)
    __attribute__((warn_unused_result));

#endif
