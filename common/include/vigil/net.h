/*
 * Network remotes (FORMAT.md 10.1): what an ssh:// or https:// remote, its pin and its
 * transport credential look like, and the client side of vigil-net, the helper program
 * that does every network transfer of a sync (agent/net/main.c; README "Remotes").
 *
 * The helper is a fresh process (posix_spawn of vigil-net, never a fork of the daemon),
 * not dumpable, that receives over a socket only what the transfer needs: the URL, the
 * pin, the transport credential, the proxy, the caps and the local repository's path.
 * Never the vault key, an identity or a passphrase. One sync uses one helper, which is
 * killed and reaped at its end (libgit2 1.5.1 leaks memory per ssh connection), and every
 * wait on it is bounded by the sync's deadline: at the deadline the helper is killed and
 * the sync fails (libgit2 has no server timeout). What the helper says is not trusted:
 * its records are capped and checked.
 *
 * The protocol between the engine and the helper is internal (both come from one build).
 */
#ifndef VIGIL_NET_H
#define VIGIL_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/buf.h"

#define VG_NET_PROGRAM	    "vigil-net"
#define VG_NET_CRED_MAX	    8192  /* a transport credential, in bytes */
#define VG_NET_PROXY_MAX    256	  /* an http://HOST:PORT proxy */
#define VG_NET_RECORD_MAX   65536 /* one record from the helper */
#define VG_NET_HEADS_MAX    100000
#define VG_NET_REFNAME_MAX  256
#define VG_NET_PIN_TEXT_MAX 72 /* "SHA256:" + 43 base64, or "sha256:" + 64 hex, NUL */

enum vg_remote_kind {
	VG_REMOTE_PATH = 0, /* an absolute path or a file:// URL: in process */
	VG_REMOTE_SSH = 1,  /* ssh://[user@]host[:port]/path */
	VG_REMOTE_HTTPS = 2 /* https://host[:port]/path */
};

/* The kind of a remote vg_sync_remote_check accepted. */
enum vg_remote_kind vg_remote_kind(const char *url);

/* The host of a network remote (without user and port) into out; "" for a path. */
void vg_remote_host(char *out, size_t outsz, const char *url);

/* The user of an ssh remote ("git" when the URL names none). */
void vg_remote_ssh_user(char *out, size_t outsz, const char *url);

/*
 * A pin as people read it: "SHA256:<base64 without padding>" for ssh (what ssh-keygen -lf
 * prints), "sha256:<hex>" for https and path remotes.
 */
void vg_net_pin_text(char out[VG_NET_PIN_TEXT_MAX], enum vg_remote_kind kind,
		     const uint8_t pin[32]);

/*
 * A pin for url's kind (vg_invite_pin_parse's forms): an https pin must be the hex form
 * ("sha256:" and the SHA-256 of the certificate's DER), so that an ssh host key
 * fingerprint ("SHA256:...") given by mistake is refused; ssh takes either. VG_EINVAL.
 */
int vg_net_pin_parse(uint8_t out[32], const char *url, const char *text)
    __attribute__((warn_unused_result));

/*
 * Check that the transport credential (len bytes; len 0: none) and the pin (NULL: none)
 * suit url's kind: ssh needs a pin and an unencrypted OpenSSH Ed25519 private key; https
 * takes "username=NAME\npassword=TOKEN\n" lines or nothing; a path remote takes neither.
 * *kind_out (may be NULL) gets "ssh-ed25519", "https-password" or NULL for none.
 * VG_EINVAL / VG_EUNSUPPORTED / VG_EFORMAT with a message saying what to do.
 */
int vg_net_check(const char *url, const uint8_t *pin, const uint8_t *cred, size_t len,
		 const char **kind_out) __attribute__((warn_unused_result));

/*
 * Parse an unencrypted "openssh-key-v1" private key holding one Ed25519 key: sk (64 bytes,
 * libsodium's seed||public layout) must be guarded memory of the caller's; pk gets the
 * public key. Every intermediate copy is wiped. VG_EUNSUPPORTED for RSA, ECDSA or an
 * encrypted key, VG_EFORMAT otherwise.
 */
int vg_net_ssh_key_parse(uint8_t sk[64], uint8_t pk[32], const uint8_t *file, size_t len)
    __attribute__((warn_unused_result));

/*
 * Split "username=NAME\npassword=TOKEN\n" (git-credential lines; either may be absent,
 * nothing else is allowed) into user and pass (NUL-terminated, guarded buffers of the
 * caller's, each VG_NET_CRED_MAX + 1 bytes). VG_EFORMAT.
 */
int vg_net_https_cred_parse(char *user, char *pass, const uint8_t *cred, size_t len)
    __attribute__((warn_unused_result));

/* Check a proxy setting: "" or http://HOST:PORT. VG_EINVAL. */
int vg_net_proxy_check(const char *proxy) __attribute__((warn_unused_result));

/* ---- the helper, seen from the engine ---- */

struct vg_net;

/* What one network sync needs. */
struct vg_net_params {
	const char *url;
	const uint8_t *pin; /* NULL: none (https then trusts the system CA bundle) */
	const uint8_t *cred;
	size_t cred_len;   /* 0: none */
	const char *proxy; /* NULL or "": none */
	const char *repo;  /* the local bare repository */
	uint64_t max_objects, max_bytes;
	unsigned seconds; /* the sync's time cap, for the stall message (0: from now) */
	/*
	 * Descriptors the caller must not leave unread while it waits on the helper (a
	 * daemon's signals and system bus): when one is readable, wake(wake_ctx, why, whysz)
	 * handles it and returns true when the sync must stop at once (why says why: the
	 * helper is then killed and the operation fails with VG_ELIMIT "sync stopped: why").
	 */
	const int *wake_fds;
	size_t nwake;
	bool (*wake)(void *ctx, char *why, size_t whysz);
	void *wake_ctx;
};

/*
 * The path of vigil-net: beside the running program, else in vigil's libexec directory.
 * false when none is executable.
 */
bool vg_net_program(char *out, size_t outsz);

/* Start a waiting helper (program NULL: vg_net_program). VG_ENOTFOUND, VG_EIO. */
int vg_net_spawn(struct vg_net **out, const char *program) __attribute__((warn_unused_result));

/* Its process id (for tests and logs). */
int vg_net_pid(const struct vg_net *n);

/* Whether it still runs (a waiting helper may have been killed); reaps it when not. */
bool vg_net_alive(struct vg_net *n);

/* Hand the helper what the transfer needs; deadline_ms on CLOCK_MONOTONIC (vg_net_now_ms). */
int vg_net_start(struct vg_net *n, const struct vg_net_params *p, uint64_t deadline_ms)
    __attribute__((warn_unused_result));

uint64_t vg_net_now_ms(void);

/* A head the remote advertised. */
typedef int (*vg_net_head_fn)(void *ctx, const char *name, const uint8_t oid[20]);
/* Objects received so far. */
typedef void (*vg_net_progress_fn)(void *ctx, uint64_t received, uint64_t total);

/*
 * Connect, list (each head given to head_fn), download what the refspecs name into the
 * local repository (refs are not updated: the engine does that). VG_ENOTFOUND when the
 * remote cannot be reached, VG_EAUTH for a refused key or a pin mismatch, VG_ELIMIT for a
 * cap or the deadline (the helper is killed then), VG_EIO.
 */
int vg_net_fetch(struct vg_net *n, const char *const *specs, size_t nspecs, vg_net_head_fn head_fn,
		 vg_net_progress_fn progress_fn, void *ctx, uint64_t deadline_ms)
    __attribute__((warn_unused_result));

/*
 * Push ref to the same ref on the remote, never forced. *rejected true (why says the
 * remote's reason) when the remote refused it or it is not a fast-forward of the remote's.
 */
int vg_net_push(struct vg_net *n, const char *ref, bool *rejected, char *why, size_t whysz,
		uint64_t deadline_ms) __attribute__((warn_unused_result));

/* Ask the helper to quit, then kill and reap it (also when it hangs). NULL is a no-op. */
void vg_net_free(struct vg_net *n);

/*
 * ---- the records both sides exchange (internal; for agent/net) ----
 * A record: u32 big-endian length of what follows, a type byte, then fields, each a u32
 * big-endian length and its bytes. Engine to helper: 'S' setup (url, pin, credential,
 * proxy, repository, max objects, max bytes), 'F' fetch (refspecs), 'P' push (ref), 'Q'
 * quit. Helper to engine: 'H' head (name, 20-byte oid), 'G' progress (received, total),
 * 'L' log line, 'O' done, 'R' rejected (reason), 'E' error (code, message).
 */
struct vg_net_field {
	const uint8_t *p;
	size_t len;
};
#define VG_NET_FIELDS_MAX 16

/* The URL checks of vg_sync_remote_check for what is not a path: the kind, or < 0. */
int vg_net__url_check(const char *url);

/* Send one record of n fields on fd (blocking). VG_EIO. */
int vg_net__send(int fd, char type, const struct vg_net_field *f, size_t n)
    __attribute__((warn_unused_result));
/*
 * Receive one record into rec (cleared first; a guarded buffer when it may hold a
 * secret): at most max bytes, waiting until deadline_ms (0: for ever). *type, fields
 * pointing into rec. VG_ELIMIT past the deadline or the size, VG_EFORMAT, VG_EIO (EOF).
 */
int vg_net__recv(int fd, struct vg_buf *rec, size_t max, uint64_t deadline_ms, char *type,
		 struct vg_net_field *f, size_t *n) __attribute__((warn_unused_result));

#endif
