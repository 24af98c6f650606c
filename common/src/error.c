#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "vigil/error.h"

#define VG_ERROR_MSG_MAX 512

static _Thread_local char last_msg[VG_ERROR_MSG_MAX];

/* last_msg = "a: b", cut with "..." when it does not fit (a message, not data). */
static void join(const char *a, const char *b)
{
	int n = snprintf(last_msg, sizeof(last_msg), "%s: %s", a, b);
	if (n < 0 || (size_t)n >= sizeof(last_msg))
		memcpy(last_msg + sizeof(last_msg) - 4, "...", 4);
}

const char *vg_error_last(void)
{
	return last_msg;
}

const char *vg_error_name(int code)
{
	switch (code) {
	case VG_OK:
		return "success";
	case VG_ENOMEM:
		return "out of memory";
	case VG_EIO:
		return "input/output error";
	case VG_EINVAL:
		return "invalid argument";
	case VG_EFORMAT:
		return "malformed input";
	case VG_EBADSIG:
		return "bad signature";
	case VG_EAUTH:
		return "authentication failed";
	case VG_EUNSUPPORTED:
		return "unsupported";
	case VG_ENOTFOUND:
		return "not found";
	case VG_EEXISTS:
		return "already exists";
	case VG_ELIMIT:
		return "limit exceeded";
	case VG_ENOKEY:
		return "no matching key";
	case VG_EMAC:
		return "header MAC mismatch";
	case VG_EPAYLOAD:
		return "payload failure";
	case VG_EMISMATCH:
		return "content does not match its signed metadata";
	case VG_EROLLBACK:
		return "rollback";
	case VG_EFORK:
		return "fork";
	case VG_EEXPIRED:
		return "expired";
	case VG_EDURESS:
		return "wrong passphrase";
	default:
		return "error";
	}
}

int vg_error_vset(int code, const char *fmt, va_list ap)
{
	int n = vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	if (n < 0)
		snprintf(last_msg, sizeof(last_msg), "%s", vg_error_name(code));
	return code;
}

int vg_error_set(int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vg_error_vset(code, fmt, ap);
	va_end(ap);
	return code;
}

int vg_error_sys(const char *fmt, ...)
{
	int saved = errno;
	char what[VG_ERROR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	join(what, strerror(saved));
	errno = saved;
	return saved == ENOMEM ? VG_ENOMEM : VG_EIO;
}

int vg_error_prefix(int code, const char *fmt, ...)
{
	char prefix[VG_ERROR_MSG_MAX];
	char old[VG_ERROR_MSG_MAX];
	va_list ap;

	memcpy(old, last_msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	if (old[0] != '\0')
		join(prefix, old);
	else
		memcpy(last_msg, prefix, sizeof(last_msg));
	return code;
}

void vg_error_clear(void)
{
	last_msg[0] = '\0';
}
