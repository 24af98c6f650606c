#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <sodium.h>

#include "vigil/error.h"
#include "vigil/home.h"
#include "vigil/ipc.h"
#include "vigil/term.h"

_Static_assert(VG_IPC_PATH_MAX + 1 == sizeof(((struct sockaddr_un *)0)->sun_path),
	       "VG_IPC_PATH_MAX follows sun_path");

/* The request schema: each command and the members it takes (agent/PROTOCOL.md). */
enum member_type {
	M_STRING = 1, /* a JSON string of at most max bytes */
	M_SECRET,     /* base64 of 1..max bytes, decoded into guarded memory */
	M_BYTES,      /* base64 of exactly max bytes */
	M_OBJECT,     /* a JSON object (case data: kept as jansson's, wiped when freed) */
	M_UINT,	      /* an integer 0 .. 2^53 - 1 */
};

struct member {
	const char *name;
	enum member_type type;
	size_t max;
	bool required;
};

#define MEMBERS_MAX 5

struct command {
	const char *name;
	enum vg_ipc_cmd cmd;
	struct member members[MEMBERS_MAX];
};

static const struct command commands[] = {
    {"status", VG_IPC_STATUS, {{0}}},
    {"unlock", VG_IPC_UNLOCK, {{"passphrase", M_SECRET, VG_IPC_SECRET_MAX, true}}},
    {"lock", VG_IPC_LOCK, {{0}}},
    {"init",
     VG_IPC_INIT,
     {{"passphrase", M_SECRET, VG_IPC_SECRET_MAX, true}, {"name", M_STRING, 64, false}}},
    {"passwd",
     VG_IPC_PASSWD,
     {{"old", M_SECRET, VG_IPC_SECRET_MAX, true}, {"new", M_SECRET, VG_IPC_SECRET_MAX, true}}},
    {"shutdown", VG_IPC_SHUTDOWN, {{0}}},
    {"challenge", VG_IPC_CHALLENGE, {{"nonce", M_BYTES, VG_IPC_NONCE_BYTES, true}}},
    {"case_new", VG_IPC_CASE_NEW, {{"body", M_OBJECT, 0, true}}},
    {"case_event", VG_IPC_CASE_EVENT, {{"case", M_STRING, 32, true}, {"body", M_OBJECT, 0, true}}},
    {"case_correct",
     VG_IPC_CASE_CORRECT,
     {{"case", M_STRING, 32, true}, {"body", M_OBJECT, 0, true}}},
    {"case_redact",
     VG_IPC_CASE_REDACT,
     {{"case", M_STRING, 32, true}, {"body", M_OBJECT, 0, true}}},
    {"case_show", VG_IPC_CASE_SHOW, {{"case", M_STRING, 32, true}, {"from", M_UINT, 0, false}}},
    {"case_list",
     VG_IPC_CASE_LIST,
     {{"country", M_STRING, 4096, false},
      {"status", M_STRING, 4096, false},
      {"since", M_STRING, 10, false},
      {"from", M_UINT, 0, false}}},
    {"import", VG_IPC_IMPORT, {{0}}},
    {"remote_show", VG_IPC_REMOTE_SHOW, {{0}}},
    {"remote_set",
     VG_IPC_REMOTE_SET,
     {{"url", M_STRING, 1024, true},
      {"passphrase", M_SECRET, VG_IPC_SECRET_MAX, true},
      /* absent: kept; "": removed (--no-pin); else a pin as vg_invite_pin_parse reads */
      {"pin", M_STRING, 80, false},
      /* the new transport credential (vigil/net.h: at most 8 KiB) */
      {"credential", M_SECRET, 8192, false},
      /* 1: remove the credential (--no-credential) */
      {"no_credential", M_UINT, 0, false}}},
    {"sync", VG_IPC_SYNC, {{0}}},
    {"join",
     VG_IPC_JOIN,
     {{"invitation", M_STRING, 60000, true}, {"passphrase", M_SECRET, VG_IPC_SECRET_MAX, true}}},
    {"publish", VG_IPC_PUBLISH, {{0}}},
    {"alarm_clear", VG_IPC_ALARM_CLEAR, {{"kind", M_STRING, 32, false}}},
    {"cases", VG_IPC_CASES, {{"from", M_UINT, 0, false}}},
    {"duplicates", VG_IPC_DUPLICATES, {{0}}},
    {"link", VG_IPC_LINK, {{"case", M_STRING, 32, true}, {"other", M_STRING, 32, true}}},
    {"unlink", VG_IPC_UNLINK, {{"case", M_STRING, 32, true}, {"other", M_STRING, 32, true}}},
    {"export", VG_IPC_EXPORT, {{"from", M_UINT, 0, false}}},
    {"duress_set",
     VG_IPC_DURESS_SET,
     {{"passphrase", M_SECRET, VG_IPC_SECRET_MAX, true},
      {"duress", M_SECRET, VG_IPC_SECRET_MAX, true}}},
    {"duress_clear", VG_IPC_DURESS_CLEAR, {{"passphrase", M_SECRET, VG_IPC_SECRET_MAX, true}}},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

struct vg_ipc_request {
	const struct command *command;
	bool present[MEMBERS_MAX];
	struct vg_buf value[MEMBERS_MAX]; /* secure for every type: simpler, and cheap */
	json_t *json[MEMBERS_MAX];	  /* M_OBJECT and M_UINT members */
};

const char *vg_ipc_cmd_name(enum vg_ipc_cmd cmd)
{
	for (size_t i = 0; i < NCOMMANDS; i++)
		if (commands[i].cmd == cmd)
			return commands[i].name;
	return NULL;
}

/* ---- framing ---- */

void vg_ipc_reader_init(struct vg_ipc_reader *r, size_t max)
{
	memset(r, 0, sizeof(*r));
	vg_buf_init_secure(&r->buf);
	r->max = max;
	r->fd = -1;
}

void vg_ipc_reader_release(struct vg_ipc_reader *r)
{
	vg_buf_release(&r->buf);
	r->start = 0;
	r->scanned = 0;
	vg_ipc_reader_drop_fd(r);
}

int vg_ipc_reader_take_fd(struct vg_ipc_reader *r)
{
	int fd = r->fd;

	r->fd = -1;
	return fd;
}

void vg_ipc_reader_drop_fd(struct vg_ipc_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	r->fd = -1;
}

/* Keep the descriptors of an SCM_RIGHTS message: the last one, the others closed. */
static void keep_fds(struct vg_ipc_reader *r, struct msghdr *mh)
{
	for (struct cmsghdr *cm = CMSG_FIRSTHDR(mh); cm != NULL; cm = CMSG_NXTHDR(mh, cm)) {
		size_t n;
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof(int));
			vg_ipc_reader_drop_fd(r);
			r->fd = fd;
		}
	}
}

/* Drop what was handed out: the rest moves to the front, the old tail is wiped. */
static void compact(struct vg_ipc_reader *r)
{
	size_t rest;

	if (r->start == 0)
		return;
	rest = r->buf.len - r->start;
	if (rest > 0)
		memmove(r->buf.ptr, r->buf.ptr + r->start, rest);
	vg_buf_truncate(&r->buf, rest);
	r->start = 0;
}

int vg_ipc_reader_feed(struct vg_ipc_reader *r, const void *data, size_t len)
{
	compact(r);
	return vg_buf_put(&r->buf, data, len);
}

size_t vg_ipc_reader_pending(const struct vg_ipc_reader *r)
{
	return r->buf.len - r->start;
}

int vg_ipc_reader_read(struct vg_ipc_reader *r, int fd, bool *eof)
{
	size_t pending, want;
	ssize_t n;
	int rc;

	*eof = false;
	compact(r);
	pending = r->buf.len;
	/*
	 * No more than a line of max bytes and its LF need, at least one byte, and a page at a
	 * time: the buffer is locked memory, so it grows only as far as the message does.
	 */
	want = pending <= r->max ? r->max + 1 - pending : 1;
	if (want > 4096)
		want = 4096;
	if ((rc = vg_buf_grow(&r->buf, want)) < 0)
		return rc;
	for (;;) {
		union {
			struct cmsghdr align;
			char buf[CMSG_SPACE(4 * sizeof(int))];
		} ctl;
		struct iovec iov = {r->buf.ptr + r->buf.len, want};
		struct msghdr mh = {.msg_iov = &iov,
				    .msg_iovlen = 1,
				    .msg_control = ctl.buf,
				    .msg_controllen = sizeof(ctl.buf)};

		n = recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
		if (n < 0 && errno == ENOTSOCK) /* a pipe or file in tests */
			n = read(fd, r->buf.ptr + r->buf.len, want);
		else if (n >= 0)
			keep_fds(r, &mh);
		if (n >= 0 || errno != EINTR)
			break;
	}
	if (n < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return vg_error_sys("cannot read from the socket");
	}
	if (n == 0)
		*eof = true;
	r->buf.len += (size_t)n;
	r->buf.ptr[r->buf.len] = '\0';
	return 0;
}

int vg_ipc_reader_next(struct vg_ipc_reader *r, const char **line, size_t *len)
{
	size_t pending = r->buf.len - r->start;
	const uint8_t *base = r->buf.ptr + r->start, *lf;

	*line = NULL;
	*len = 0;
	if (pending > r->scanned) {
		lf = memchr(base + r->scanned, '\n', pending - r->scanned);
		if (lf != NULL) {
			size_t n = (size_t)(lf - base);
			if (n > r->max)
				return vg_error_set(VG_ELIMIT, "message longer than %zu bytes",
						    r->max);
			*line = (const char *)base;
			*len = n;
			r->start += n + 1;
			r->scanned = 0;
			return 1;
		}
		r->scanned = pending;
	}
	if (pending > r->max)
		return vg_error_set(VG_ELIMIT, "message longer than %zu bytes", r->max);
	return 0;
}

/* ---- messages ---- */

static int send_all(int fd, const char *p, size_t len)
{
	while (len > 0) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return vg_error_sys("cannot write to the socket");
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The first byte of the line carries the descriptor; the rest follows as usual. */
static int send_fd(int fd, const char *p, int passed)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} ctl;
	struct iovec iov = {(void *)p, 1};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.buf,
			    .msg_controllen = sizeof(ctl.buf)};
	struct cmsghdr *cm;

	memset(&ctl, 0, sizeof(ctl));
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &passed, sizeof(int));
	for (;;) {
		ssize_t n = sendmsg(fd, &mh, MSG_NOSIGNAL);
		if (n == 1)
			return 0;
		if (n < 0 && errno == EINTR)
			continue;
		return vg_error_sys("cannot pass a descriptor on the socket");
	}
}

static int send_msg(int fd, const json_t *msg, size_t max, int passed)
{
	char *text = json_dumps(msg, JSON_COMPACT);
	size_t n;
	int rc;

	if (text == NULL)
		return vg_error_set(VG_ENOMEM, "cannot encode a message");
	n = strlen(text);
	if (n > max) {
		rc = vg_error_set(VG_ELIMIT, "message longer than %zu bytes", max);
	} else if (passed >= 0) {
		text[n] = '\n';
		rc = send_fd(fd, text, passed);
		if (rc == 0)
			rc = send_all(fd, text + 1, n);
		text[n] = '\0';
	} else {
		/* Compact JSON escapes every control character, so text holds no LF. */
		text[n] = '\n';
		rc = send_all(fd, text, n + 1);
		text[n] = '\0';
	}
	free(text); /* jansson's allocator: wiped (vg_init) */
	return rc;
}

int vg_ipc_send(int fd, const json_t *msg)
{
	return send_msg(fd, msg, VG_IPC_MSG_MAX, -1);
}

int vg_ipc_send_max(int fd, const json_t *msg, size_t max)
{
	return send_msg(fd, msg, max, -1);
}

int vg_ipc_send_fd(int fd, const json_t *msg, int passed)
{
	return send_msg(fd, msg, VG_IPC_MSG_MAX, passed);
}

int vg_ipc_recv(json_t **out, struct vg_ipc_reader *r, int fd)
{
	const char *line;
	size_t len;
	json_error_t err;
	json_t *msg;
	bool eof = false;
	int rc;

	*out = NULL;
	for (;;) {
		rc = vg_ipc_reader_next(r, &line, &len);
		if (rc < 0)
			return rc;
		if (rc == 1)
			break;
		if (eof)
			return vg_error_set(VG_EIO, "the daemon closed the connection");
		if ((rc = vg_ipc_reader_read(r, fd, &eof)) < 0)
			return rc;
	}
	msg = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
	if (msg == NULL)
		return vg_error_set(VG_EFORMAT, "malformed message: %s", err.text);
	if (!json_is_object(msg)) {
		json_decref(msg);
		return vg_error_set(VG_EFORMAT, "malformed message: not a JSON object");
	}
	*out = msg;
	return 0;
}

json_t *vg_ipc_request_new(enum vg_ipc_cmd cmd)
{
	const char *name = vg_ipc_cmd_name(cmd);

	if (name == NULL)
		return NULL;
	return json_pack("{s:s}", "cmd", name);
}

int vg_ipc_set_base64(json_t *obj, const char *member, const void *p, size_t len)
{
	struct vg_buf b64 = VG_BUF_INIT_SECURE;
	size_t n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_ORIGINAL);
	json_t *s = NULL;
	int rc;

	if ((rc = vg_buf_grow(&b64, n)) < 0)
		return rc;
	sodium_bin2base64((char *)b64.ptr, n, p, len, sodium_base64_VARIANT_ORIGINAL);
	b64.len = n - 1;
	s = json_stringn((const char *)b64.ptr, b64.len);
	if (s == NULL || json_object_set_new(obj, member, s) < 0)
		rc = vg_error_set(VG_ENOMEM, "cannot build a request");
	vg_buf_release(&b64);
	return rc;
}

json_t *vg_ipc_reply_ok(void)
{
	return json_pack("{s:s,s:b}", "type", "reply", "ok", 1);
}

/* msg as one valid UTF-8 line without controls; NULL when out of memory. */
static json_t *clean_string(const char *msg)
{
	struct vg_buf b = VG_BUF_INIT;
	json_t *s = NULL;

	if (vg_term_sanitize(&b, msg, strlen(msg), false) == 0 && vg_buf_putc(&b, 0) == 0)
		s = json_string((const char *)b.ptr);
	vg_buf_release(&b);
	return s;
}

json_t *vg_ipc_reply_error(const char *code, const char *msg)
{
	json_t *m = clean_string(msg);

	if (m == NULL)
		return NULL;
	return json_pack("{s:s,s:b,s:o,s:s}", "type", "reply", "ok", 0, "error", m, "code", code);
}

json_t *vg_ipc_progress(const char *msg)
{
	json_t *m = clean_string(msg);

	if (m == NULL)
		return NULL;
	return json_pack("{s:s,s:o}", "type", "progress", "message", m);
}

int vg_ipc_message_check(const json_t *msg, bool *is_reply)
{
	const char *type = json_string_value(json_object_get(msg, "type"));
	json_t *ok;

	*is_reply = false;
	if (!json_is_object(msg) || type == NULL)
		return vg_error_set(VG_EFORMAT, "malformed message from the daemon: no type");
	if (strcmp(type, "progress") == 0) {
		if (!json_is_string(json_object_get(msg, "message")))
			return vg_error_set(VG_EFORMAT,
					    "malformed progress message from the daemon");
		return 0;
	}
	if (strcmp(type, "reply") != 0)
		return vg_error_set(VG_EFORMAT, "unknown message type from the daemon");
	ok = json_object_get(msg, "ok");
	if (!json_is_boolean(ok))
		return vg_error_set(VG_EFORMAT, "malformed reply from the daemon: no \"ok\"");
	if (json_is_false(ok) && (!json_is_string(json_object_get(msg, "error")) ||
				  !json_is_string(json_object_get(msg, "code"))))
		return vg_error_set(VG_EFORMAT, "malformed error reply from the daemon");
	*is_reply = true;
	return 0;
}

void vg_ipc_challenge_message(char *out, const uint8_t nonce[VG_IPC_NONCE_BYTES])
{
	size_t p = sizeof(VG_IPC_CHALLENGE_PREFIX) - 1;

	memcpy(out, VG_IPC_CHALLENGE_PREFIX, p);
	sodium_bin2hex(out + p, 2 * VG_IPC_NONCE_BYTES + 1, nonce, VG_IPC_NONCE_BYTES);
}

/* ---- request parsing ---- */

void vg_ipc_request_free(struct vg_ipc_request *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < MEMBERS_MAX; i++) {
		vg_buf_release(&r->value[i]);
		json_decref(r->json[i]); /* wiped on free (vg_init) */
	}
	free(r);
}

enum vg_ipc_cmd vg_ipc_request_cmd(const struct vg_ipc_request *r)
{
	return r->command->cmd;
}

static int member_index(const struct vg_ipc_request *r, const char *member)
{
	for (int i = 0; i < MEMBERS_MAX && r->command->members[i].name != NULL; i++)
		if (strcmp(r->command->members[i].name, member) == 0)
			return r->present[i] ? i : -1;
	return -1;
}

const char *vg_ipc_request_string(const struct vg_ipc_request *r, const char *member)
{
	int i = member_index(r, member);

	if (i < 0 || r->command->members[i].type != M_STRING)
		return NULL;
	return (const char *)r->value[i].ptr;
}

const struct vg_buf *vg_ipc_request_bytes(const struct vg_ipc_request *r, const char *member)
{
	int i = member_index(r, member);

	if (i < 0 ||
	    (r->command->members[i].type != M_SECRET && r->command->members[i].type != M_BYTES))
		return NULL;
	return &r->value[i];
}

json_t *vg_ipc_request_json(const struct vg_ipc_request *r, const char *member)
{
	int i = member_index(r, member);

	return i < 0 ? NULL : r->json[i];
}

static int decode_base64(struct vg_buf *out, const char *name, const char *s, size_t len,
			 const struct member *m)
{
	size_t bin_len = 0, room = len / 4 * 3 + 3;
	const char *end = NULL;
	int rc;

	/* Canonical: padded, no whitespace, zero padding bits (libsodium checks those). */
	if (len == 0 || len % 4 != 0)
		goto bad;
	if ((rc = vg_buf_grow(out, room)) < 0)
		return rc;
	if (sodium_base642bin(out->ptr, room, s, len, NULL, &bin_len, &end,
			      sodium_base64_VARIANT_ORIGINAL) != 0 ||
	    end != s + len)
		goto bad;
	out->len = bin_len;
	out->ptr[bin_len] = '\0';
	if (m->type == M_BYTES ? bin_len != m->max : bin_len < 1 || bin_len > m->max) {
		vg_buf_release(out);
		if (m->type == M_BYTES)
			return vg_error_set(VG_EFORMAT, "bad request: '%s' must hold %zu bytes",
					    name, m->max);
		return vg_error_set(VG_EFORMAT, "bad request: '%s' must hold 1 to %zu bytes", name,
				    m->max);
	}
	return 0;
bad:
	vg_buf_release(out);
	return vg_error_set(VG_EFORMAT, "bad request: '%s' is not canonical base64", name);
}

static int parse_member(struct vg_ipc_request *r, int i, const char *key, json_t *val)
{
	const struct member *m = &r->command->members[i];
	const char *s = json_string_value(val);
	size_t len = json_string_length(val);

	if (m->type == M_OBJECT || m->type == M_UINT) {
		if (m->type == M_OBJECT && !json_is_object(val))
			return vg_error_set(VG_EFORMAT, "bad request: '%s' must be an object", key);
		if (m->type == M_UINT && (!json_is_integer(val) || json_integer_value(val) < 0 ||
					  json_integer_value(val) > (json_int_t)9007199254740991LL))
			return vg_error_set(
			    VG_EFORMAT, "bad request: '%s' must be an integer 0 to 2^53 - 1", key);
		r->json[i] = json_incref(val);
		return 0;
	}
	if (!json_is_string(val))
		return vg_error_set(VG_EFORMAT, "bad request: '%s' must be a string", key);
	if (m->type == M_STRING) {
		if (len > m->max)
			return vg_error_set(
			    VG_EFORMAT, "bad request: '%s' is longer than %zu bytes", key, m->max);
		/* jansson refuses \u0000 by default, so s is a C string of len bytes. */
		vg_buf_init(&r->value[i]);
		return vg_buf_put(&r->value[i], s, len);
	}
	/* Base64 of the longest secret: anything longer is refused before decoding. */
	if (len > (m->max + 2) / 3 * 4)
		return vg_error_set(VG_EFORMAT, "bad request: '%s' must hold %s%zu bytes", key,
				    m->type == M_BYTES ? "" : "1 to ", m->max);
	return decode_base64(&r->value[i], key, s, len, m);
}

int vg_ipc_request_parse(struct vg_ipc_request **out, const char *line, size_t len)
{
	struct vg_ipc_request *r = NULL;
	json_error_t err;
	json_t *root = NULL, *val;
	const char *cmd, *key;
	int rc = 0;

	*out = NULL;
	if (len > VG_IPC_MSG_MAX)
		return vg_error_set(VG_ELIMIT, "request longer than %d bytes", VG_IPC_MSG_MAX);
	root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL) {
		rc = vg_error_set(VG_EFORMAT, "malformed request: %s (at byte %d)", err.text,
				  err.position);
		goto done;
	}
	if (!json_is_object(root)) {
		rc = vg_error_set(VG_EFORMAT, "malformed request: not a JSON object");
		goto done;
	}
	cmd = json_string_value(json_object_get(root, "cmd"));
	if (cmd == NULL) {
		rc = vg_error_set(VG_EFORMAT, "malformed request: no \"cmd\" string");
		goto done;
	}
	r = calloc(1, sizeof(*r));
	if (r == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot allocate a request");
		goto done;
	}
	for (size_t i = 0; i < MEMBERS_MAX; i++)
		vg_buf_init_secure(&r->value[i]);
	for (size_t i = 0; i < NCOMMANDS && r->command == NULL; i++)
		if (strcmp(commands[i].name, cmd) == 0)
			r->command = &commands[i];
	if (r->command == NULL) {
		rc = vg_error_set(VG_EUNSUPPORTED, "unknown command '%.32s'", cmd);
		goto done;
	}
	json_object_foreach(root, key, val)
	{
		int i;

		if (strcmp(key, "cmd") == 0)
			continue;
		for (i = 0; i < MEMBERS_MAX && r->command->members[i].name != NULL; i++)
			if (strcmp(r->command->members[i].name, key) == 0)
				break;
		if (i == MEMBERS_MAX || r->command->members[i].name == NULL) {
			rc = vg_error_set(VG_EFORMAT, "bad request: '%s' takes no member '%.32s'",
					  r->command->name, key);
			goto done;
		}
		if ((rc = parse_member(r, i, r->command->members[i].name, val)) < 0)
			goto done;
		r->present[i] = true;
	}
	for (int i = 0; i < MEMBERS_MAX && r->command->members[i].name != NULL; i++) {
		if (r->command->members[i].required && !r->present[i]) {
			rc = vg_error_set(VG_EFORMAT, "bad request: '%s' needs '%s'",
					  r->command->name, r->command->members[i].name);
			goto done;
		}
	}
	*out = r;
	r = NULL;
done:
	vg_ipc_request_free(r);
	json_decref(root); /* wiped on free (vg_init) */
	return rc;
}

/* ---- sockets ---- */

int vg_ipc_socket_path(char *out, const char *run_dir)
{
	int n = snprintf(out, VG_IPC_PATH_MAX + 1, "%s/%s", run_dir, VG_IPC_SOCKET_NAME);

	if (n < 0 || n > VG_IPC_PATH_MAX)
		return vg_error_set(VG_ELIMIT,
				    "socket path '%s/%s' is too long (%d bytes, at most %d): use a "
				    "shorter --home or XDG_RUNTIME_DIR",
				    run_dir, VG_IPC_SOCKET_NAME, n, VG_IPC_PATH_MAX);
	return 0;
}

int vg_ipc_dir_check(const char *dir, uid_t uid)
{
	struct stat st;

	if (lstat(dir, &st) < 0) {
		if (errno == ENOENT)
			return vg_error_set(VG_ENOTFOUND, "socket directory '%s' does not exist",
					    dir);
		return vg_error_sys("cannot inspect socket directory '%s'", dir);
	}
	if (S_ISLNK(st.st_mode))
		return vg_error_set(VG_EUNSUPPORTED,
				    "socket directory '%s' is a symlink: refusing to use it", dir);
	if (!S_ISDIR(st.st_mode))
		return vg_error_set(VG_EUNSUPPORTED, "socket directory '%s' is not a directory",
				    dir);
	if (st.st_uid != uid)
		return vg_error_set(VG_EUNSUPPORTED,
				    "socket directory '%s' is owned by uid %u, not by uid %u: "
				    "refusing to use it",
				    dir, (unsigned)st.st_uid, (unsigned)uid);
	if ((st.st_mode & 077) != 0)
		return vg_error_set(VG_EUNSUPPORTED,
				    "socket directory '%s' is accessible by group or others "
				    "(mode %04o): it must be 0700",
				    dir, (unsigned)(st.st_mode & 07777));
	return 0;
}

int vg_ipc_dir_prepare(const char *dir, uid_t uid)
{
	int rc = vg_ipc_dir_check(dir, uid);

	if (rc != VG_ENOTFOUND)
		return rc;
	if ((rc = vg_mkdir_p(dir, 0700)) < 0)
		return rc;
	return vg_ipc_dir_check(dir, uid);
}

static int fill_addr(struct sockaddr_un *sa, const char *path)
{
	size_t n = strlen(path);

	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	/* A path never starts with NUL here, so the socket is never abstract. */
	if (n == 0 || n > VG_IPC_PATH_MAX)
		return vg_error_set(VG_ELIMIT, "socket path '%s' is too long (at most %d bytes)",
				    path, VG_IPC_PATH_MAX);
	memcpy(sa->sun_path, path, n);
	return 0;
}

int vg_ipc_listen(int *out, const char *path)
{
	struct sockaddr_un sa;
	int fd, rc;

	*out = -1;
	if ((rc = fill_addr(&sa, path)) < 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return vg_error_sys("cannot create a socket");
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		rc = errno == EADDRINUSE ? vg_error_set(VG_EEXISTS, "'%s' already exists", path)
					 : vg_error_sys("cannot bind '%s'", path);
		close(fd);
		return rc;
	}
	if (listen(fd, 16) < 0) {
		rc = vg_error_sys("cannot listen on '%s'", path);
		close(fd);
		return rc;
	}
	*out = fd;
	return 0;
}

int vg_ipc_listen_check(char *out, int fd)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof(sa);
	int v = 0;
	socklen_t vlen = sizeof(v);

	memset(&sa, 0, sizeof(sa));
	if (getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return vg_error_sys("descriptor %d is not a socket", fd);
	if (sa.sun_family != AF_UNIX)
		return vg_error_set(VG_EUNSUPPORTED, "descriptor %d is not a UNIX socket", fd);
	if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &vlen) < 0 || v != SOCK_STREAM)
		return vg_error_set(VG_EUNSUPPORTED, "descriptor %d is not a stream socket", fd);
	vlen = sizeof(v);
	if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &vlen) < 0 || v == 0)
		return vg_error_set(VG_EUNSUPPORTED, "descriptor %d is not listening", fd);
	if (len <= offsetof(struct sockaddr_un, sun_path) || sa.sun_path[0] == '\0')
		return vg_error_set(VG_EUNSUPPORTED,
				    "descriptor %d is an abstract or unnamed socket: refusing it "
				    "(any uid can reach those)",
				    fd);
	if (memchr(sa.sun_path, '\0', sizeof(sa.sun_path)) == NULL)
		return vg_error_set(VG_EUNSUPPORTED, "descriptor %d has no path", fd);
	memcpy(out, sa.sun_path, sizeof(sa.sun_path));
	return 0;
}

int vg_ipc_connect(int *out, const char *path)
{
	struct sockaddr_un sa;
	int fd, rc;

	*out = -1;
	if ((rc = fill_addr(&sa, path)) < 0)
		return rc;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return vg_error_sys("cannot create a socket");
	while (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		if (errno == EINTR)
			continue;
		if (errno == ENOENT || errno == ECONNREFUSED)
			rc = vg_error_set(VG_ENOTFOUND, "no daemon listens on '%s'", path);
		else
			rc = vg_error_sys("cannot connect to '%s'", path);
		close(fd);
		return rc;
	}
	*out = fd;
	return 0;
}

int vg_ipc_peer_uid(uid_t *out, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0 || len != sizeof(cred))
		return vg_error_sys("cannot read the peer's credentials");
	*out = cred.uid;
	return 0;
}
