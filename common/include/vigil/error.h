/*
 * Error codes and the thread-local last error message.
 *
 * Every function of the library that can fail returns int: 0 on success or one of the
 * negative codes below. The code is the contract; the message (vg_error_last) explains it
 * for a person, in the style "cannot open store '/x': No such file or directory".
 * The library never prints and never exits.
 */
#ifndef VIGIL_ERROR_H
#define VIGIL_ERROR_H

#include <stdarg.h>

enum vg_error_code {
	VG_OK = 0,
	VG_ERROR = -1,	      /* unclassified failure */
	VG_ENOMEM = -2,	      /* allocation failed */
	VG_EIO = -3,	      /* a system call failed; errno is in the message */
	VG_EINVAL = -4,	      /* the caller passed an invalid argument */
	VG_EFORMAT = -5,      /* malformed or non-canonical input */
	VG_EBADSIG = -6,      /* a signature did not verify */
	VG_EAUTH = -7,	      /* wrong passphrase, or authenticated decryption failed */
	VG_EUNSUPPORTED = -8, /* well-formed but a feature vigil refuses (scrypt, armor) */
	VG_ENOTFOUND = -9,    /* no such file, key, entry */
	VG_EEXISTS = -10,     /* already exists */
	VG_ELIMIT = -11,      /* exceeds a compiled floor or cap */
	VG_ENOKEY = -12,      /* no identity matches any recipient stanza */
	VG_EMAC = -13,	      /* a header MAC did not verify */
	VG_EPAYLOAD = -14,    /* payload decryption or framing failed */
	VG_EMISMATCH = -15,   /* signed metadata and content disagree */
	VG_EROLLBACK = -16,   /* older than what was already verified (a roster rollback) */
	VG_EFORK = -17,	      /* two different histories under one signer (roster or feed) */
	VG_EEXPIRED = -18,    /* past its expiry (a roster a frozen host keeps serving) */
	VG_EDURESS = -19,     /* the duress passphrase was given: the message reads as a wrong
				 passphrase; the caller destroys the keys (vigil duress) */
};

/*
 * The message of the last error set on this thread; never NULL (an empty string when no
 * error was set). Valid until the next call into the library on this thread.
 */
const char *vg_error_last(void);

/* The short name of a code ("bad signature"); never NULL. */
const char *vg_error_name(int code);

/*
 * Record a message for this thread and return code, so that a failing function can say
 * `return vg_error_set(VG_EFORMAT, "bad key file '%s'", path);`.
 */
int vg_error_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int vg_error_vset(int code, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* Like vg_error_set for VG_EIO, appending ": strerror(errno)". Preserves errno. */
int vg_error_sys(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Prefix the current message with "what: ", keeping the code; returns code. */
int vg_error_prefix(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void vg_error_clear(void);

#endif
