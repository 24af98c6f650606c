/*
 * The daemon's protocol (agent/PROTOCOL.md) and the checks that keep its socket private.
 *
 * Messages are compact JSON objects, one per line (LF-terminated, at most VG_IPC_MSG_MAX
 * bytes without the LF), over a UNIX stream socket VG_IPC_SOCKET_NAME in the run directory.
 * A client sends one request {"cmd": ...}; the daemon answers with zero or more
 * {"type":"progress",...} and exactly one {"type":"reply","ok":...}. Secrets (passphrases)
 * travel base64-encoded, so any byte works, and are decoded into guarded memory.
 *
 * Call vg_init first: it makes jansson wipe the memory it frees, which holds requests.
 * Nothing here keeps state between calls; a reader or request belongs to one thread.
 */
#ifndef VIGIL_IPC_H
#define VIGIL_IPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "vigil/buf.h"

#define VG_IPC_MSG_MAX 65536 /* longest message, without its LF */
/*
 * Longest message the daemon sends (a reply carrying case records: an entry's plaintext is
 * up to 1 MiB, and JSON may escape a byte as six). Requests stay within VG_IPC_MSG_MAX.
 */
#define VG_IPC_REPLY_MAX   (8 * 1024 * 1024)
#define VG_IPC_SOCKET_NAME "vigild.sock"
#define VG_IPC_SECRET_MAX  1024 /* longest decoded secret member (VG_PASSPHRASE_MAX) */
#define VG_IPC_NONCE_BYTES 32
/* Longest socket path: sizeof(sun_path) less the NUL. */
#define VG_IPC_PATH_MAX 107

/* Request commands. The names are the "cmd" strings of agent/PROTOCOL.md. */
enum vg_ipc_cmd {
	VG_IPC_STATUS = 1,   /* "status" */
	VG_IPC_UNLOCK,	     /* "unlock": passphrase */
	VG_IPC_LOCK,	     /* "lock" */
	VG_IPC_INIT,	     /* "init": passphrase, name (optional) */
	VG_IPC_PASSWD,	     /* "passwd": old, new */
	VG_IPC_SHUTDOWN,     /* "shutdown" */
	VG_IPC_CHALLENGE,    /* "challenge": nonce (32 bytes); needs keys */
	VG_IPC_CASE_NEW,     /* "case_new": body; needs keys */
	VG_IPC_CASE_EVENT,   /* "case_event": case, body; needs keys */
	VG_IPC_CASE_CORRECT, /* "case_correct": case, body; needs keys */
	VG_IPC_CASE_REDACT,  /* "case_redact": case, body; needs keys */
	VG_IPC_CASE_SHOW,    /* "case_show": case, from (optional); needs keys */
	VG_IPC_CASE_LIST,    /* "case_list": country, status, since, from (optional); needs keys */
	VG_IPC_IMPORT,	     /* "import": a spreadsheet passed as a descriptor; needs keys */
	VG_IPC_REMOTE_SHOW,  /* "remote_show"; needs keys (the remote is in the vault) */
	VG_IPC_REMOTE_SET,   /* "remote_set": url, passphrase (the vault is resealed) */
	VG_IPC_SYNC,	     /* "sync"; needs keys */
	VG_IPC_JOIN,	     /* "join": invitation, passphrase */
	VG_IPC_PUBLISH,	     /* "publish"; needs keys */
	VG_IPC_ALARM_CLEAR,  /* "alarm_clear": kind (optional) */
	VG_IPC_CASES,	     /* "cases": from (optional); needs keys; coordinators */
	VG_IPC_DUPLICATES,   /* "duplicates"; needs keys; coordinators */
	VG_IPC_LINK,	     /* "link": case, other; needs keys; coordinators */
	VG_IPC_UNLINK,	     /* "unlink": case, other; needs keys; coordinators */
	VG_IPC_EXPORT,	     /* "export": from (optional); needs keys; coordinators */
	VG_IPC_DURESS_SET,   /* "duress_set": passphrase, duress (the vault is resealed) */
	VG_IPC_DURESS_CLEAR, /* "duress_clear": passphrase (the vault is resealed) */
};

/* The "cmd" string of a command; NULL for a value outside the enum. */
const char *vg_ipc_cmd_name(enum vg_ipc_cmd cmd);

/*
 * Line framing. The buffer is guarded memory (requests carry passphrases) and holds at
 * most max + 1 bytes of an unfinished line, so a peer cannot make it grow further.
 */
struct vg_ipc_reader {
	struct vg_buf buf; /* secure */
	size_t start;	   /* first byte not yet handed out by _next */
	size_t scanned;	   /* bytes after start known to hold no LF */
	size_t max;	   /* longest line, without its LF */
	int fd;		   /* a descriptor the peer passed (SCM_RIGHTS), or -1 */
};

void vg_ipc_reader_init(struct vg_ipc_reader *r, size_t max);
/* Wipes and frees the buffer, closes a passed descriptor; the reader may be initialised again. */
void vg_ipc_reader_release(struct vg_ipc_reader *r);

/*
 * The descriptor the peer passed with SCM_RIGHTS (one at a time: a later one replaces an
 * unclaimed one, which is closed), handed to the caller, or -1. _drop_fd closes it.
 */
int vg_ipc_reader_take_fd(struct vg_ipc_reader *r);
void vg_ipc_reader_drop_fd(struct vg_ipc_reader *r);

/* Append bytes as if read from the peer. VG_ENOMEM. */
int vg_ipc_reader_feed(struct vg_ipc_reader *r, const void *data, size_t len)
    __attribute__((warn_unused_result));

/*
 * One recvmsg(2) from fd into the reader, never more than the current line may still need;
 * a descriptor passed alongside is kept (vg_ipc_reader_take_fd). *eof is set when the peer
 * closed its side. Retries EINTR; EAGAIN reads nothing. VG_EIO with errno in the message,
 * VG_ENOMEM.
 */
int vg_ipc_reader_read(struct vg_ipc_reader *r, int fd, bool *eof)
    __attribute__((warn_unused_result));

/*
 * The next complete line: returns 1 and sets *line (not NUL-terminated; no LF) and *len,
 * valid until the next call on r; 0 when more bytes are needed; VG_ELIMIT when the
 * unfinished line is already longer than max (the connection cannot recover from that).
 */
int vg_ipc_reader_next(struct vg_ipc_reader *r, const char **line, size_t *len)
    __attribute__((warn_unused_result));

/* Bytes received and not yet handed out (an unfinished line at end of file). */
size_t vg_ipc_reader_pending(const struct vg_ipc_reader *r);

/*
 * Send msg as one compact line with its LF (MSG_NOSIGNAL: a closed peer is VG_EIO, not
 * SIGPIPE). VG_ELIMIT when longer than VG_IPC_MSG_MAX, VG_EIO, VG_ENOMEM.
 */
int vg_ipc_send(int fd, const json_t *msg) __attribute__((warn_unused_result));
/* The same with another cap (the daemon's replies: VG_IPC_REPLY_MAX). */
int vg_ipc_send_max(int fd, const json_t *msg, size_t max) __attribute__((warn_unused_result));
/* vg_ipc_send with a descriptor passed alongside (SCM_RIGHTS), for "import". */
int vg_ipc_send_fd(int fd, const json_t *msg, int passed) __attribute__((warn_unused_result));

/*
 * Block until one line arrives on fd and parse it as a JSON object into *out (owned by the
 * caller). VG_EIO when the peer closes first, VG_ELIMIT for an overlong line, VG_EFORMAT
 * for anything but a JSON object.
 */
int vg_ipc_recv(json_t **out, struct vg_ipc_reader *r, int fd) __attribute__((warn_unused_result));

/* Requests, as a client builds them: {"cmd": name}. NULL when out of memory. */
json_t *vg_ipc_request_new(enum vg_ipc_cmd cmd);

/*
 * Set member to the base64 of len bytes at p (a passphrase, a nonce). The encoding is built
 * in guarded memory; jansson's copy is wiped when freed (vg_init). VG_ENOMEM.
 */
int vg_ipc_set_base64(json_t *obj, const char *member, const void *p, size_t len)
    __attribute__((warn_unused_result));

/*
 * Requests, as the daemon reads them. Parsing is strict: a JSON object with a known "cmd"
 * and exactly the members that command takes (agent/PROTOCOL.md), each of its type; no
 * duplicate keys. Secret members are decoded from canonical base64 into guarded memory and
 * hold 1 to VG_IPC_SECRET_MAX bytes. VG_EFORMAT for malformed JSON or a bad member,
 * VG_EUNSUPPORTED for an unknown command, VG_ENOMEM; the message never quotes a secret.
 */
struct vg_ipc_request;

int vg_ipc_request_parse(struct vg_ipc_request **out, const char *line, size_t len)
    __attribute__((warn_unused_result));
void vg_ipc_request_free(struct vg_ipc_request *r);

enum vg_ipc_cmd vg_ipc_request_cmd(const struct vg_ipc_request *r);
/* A string member, or NULL when absent or not a string member of this command. */
const char *vg_ipc_request_string(const struct vg_ipc_request *r, const char *member);
/* A decoded base64 member (secret or bytes), or NULL when absent. */
const struct vg_buf *vg_ipc_request_bytes(const struct vg_ipc_request *r, const char *member);
/* An object or integer member (borrowed, valid while r lives), or NULL when absent. */
json_t *vg_ipc_request_json(const struct vg_ipc_request *r, const char *member);

/* Replies and progress messages, as the daemon builds them. NULL when out of memory. */
json_t *vg_ipc_reply_ok(void);
/*
 * {"type":"reply","ok":false,"error":msg,"code":code}. msg is made one valid UTF-8 line
 * (controls and invalid bytes dropped or replaced), so any error text can be sent.
 */
json_t *vg_ipc_reply_error(const char *code, const char *msg);
json_t *vg_ipc_progress(const char *msg);

/*
 * Check a message the daemon sent: an object with "type" "progress" (and a string
 * "message") or "reply" (a boolean "ok"; when false, strings "error" and "code").
 * *is_reply tells which. VG_EFORMAT otherwise.
 */
int vg_ipc_message_check(const json_t *msg, bool *is_reply) __attribute__((warn_unused_result));

/*
 * What the daemon signs for a "challenge": a fixed prefix and the nonce in hex, so the
 * signature can never pass for an entry's (entries sign age files, whose first bytes
 * differ). out must hold VG_IPC_CHALLENGE_LEN + 1 bytes.
 */
#define VG_IPC_CHALLENGE_PREFIX	 "vigil identity challenge v1 "
#define VG_IPC_CHALLENGE_LEN	 (sizeof(VG_IPC_CHALLENGE_PREFIX) - 1 + 2 * VG_IPC_NONCE_BYTES)
#define VG_IPC_CHALLENGE_COMMENT "vigil-challenge"
void vg_ipc_challenge_message(char *out, const uint8_t nonce[VG_IPC_NONCE_BYTES]);

/*
 * The socket path in run_dir into out[VG_IPC_PATH_MAX + 1]. VG_ELIMIT with a clear message
 * when it does not fit in sun_path.
 */
int vg_ipc_socket_path(char *out, const char *run_dir) __attribute__((warn_unused_result));

/*
 * Check that dir is a private directory of uid: not a symlink, a directory, owned by uid,
 * no group or other permission bits. VG_ENOTFOUND when it does not exist, VG_EUNSUPPORTED
 * (with the reason) when it is unsafe, VG_EIO.
 */
int vg_ipc_dir_check(const char *dir, uid_t uid) __attribute__((warn_unused_result));

/* Create dir (mode 0700, parents too) when missing, then vg_ipc_dir_check it. */
int vg_ipc_dir_prepare(const char *dir, uid_t uid) __attribute__((warn_unused_result));

/*
 * A listening socket (close-on-exec, non-blocking) bound at path, which must not exist
 * (VG_EEXISTS). Never abstract. VG_ELIMIT for a path too long for sun_path, VG_EIO.
 */
int vg_ipc_listen(int *out, const char *path) __attribute__((warn_unused_result));

/*
 * Check that fd (handed over by systemd) is a listening UNIX stream socket bound to a path,
 * and write that path into out[VG_IPC_PATH_MAX + 1]. VG_EUNSUPPORTED for anything else
 * (an abstract or unnamed socket included), VG_EIO.
 */
int vg_ipc_listen_check(char *out, int fd) __attribute__((warn_unused_result));

/*
 * Connect to the socket at path (blocking, close-on-exec). VG_ENOTFOUND when nothing
 * listens there (no such file, or connection refused), VG_EIO otherwise (permission denied
 * included), VG_ELIMIT when path is too long.
 */
int vg_ipc_connect(int *out, const char *path) __attribute__((warn_unused_result));

/* The uid of the process at the other end of a connected UNIX socket (SO_PEERCRED). */
int vg_ipc_peer_uid(uid_t *out, int fd) __attribute__((warn_unused_result));

#endif
