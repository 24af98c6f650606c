/*
 * age v1 (C2SP age specification) with X25519 recipients.
 *
 * Written here because no packaged C library implements age. On libsodium 1.0.18:
 * X25519, ChaCha20-Poly1305 IETF, HMAC-SHA-256, and HKDF-SHA-256 built on HMAC-SHA-256
 * (1.0.18 has no HKDF). The payload is STREAM-encrypted in 64 KiB chunks, so the fd
 * functions use bounded memory for any size.
 *
 * Decryption rules: the header MAC is checked (in constant time) before any payload
 * byte is decrypted; once a stanza yields a file key, no other stanza is tried, so a MAC
 * failure is final; an all-zero X25519 shared secret is refused; stanza bodies are exactly
 * 32 bytes; base64 must be canonical; the last-chunk flag is enforced and nothing may
 * follow the last chunk. scrypt, hybrid (post-quantum) and armored files are refused with
 * VG_EUNSUPPORTED; an scrypt stanza beside other stanzas is a malformed header.
 *
 * Result codes for files: VG_EFORMAT header failure, VG_EMAC header MAC failure,
 * VG_EPAYLOAD payload failure, VG_ENOKEY no stanza for this identity, VG_EUNSUPPORTED.
 * Identities live in sodium_malloc memory.
 */
#ifndef VIGIL_AGE_H
#define VIGIL_AGE_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/buf.h"

#define VG_AGE_FILE_KEY_BYTES 16
#define VG_AGE_X25519_BYTES   32
#define VG_AGE_CHUNK_BYTES    65536
/* Longest recipient string "age1..." and identity "AGE-SECRET-KEY-1...", without NUL. */
#define VG_AGE_RECIPIENT_STR_LEN 62
#define VG_AGE_IDENTITY_STR_LEN	 74
/*
 * Longest header accepted, through the MAC line (VG_EFORMAT beyond). Bounds the memory of
 * the streaming functions and the X25519 work an input can cause (about 2,600 stanzas).
 */
#define VG_AGE_HEADER_MAX 262144

struct vg_age_recipient {
	uint8_t pk[VG_AGE_X25519_BYTES];
};

struct vg_age_identity; /* opaque, in sodium_malloc memory */

int vg_age_identity_generate(struct vg_age_identity **out) __attribute__((warn_unused_result));
/*
 * "AGE-SECRET-KEY-1..." (bech32, upper case as age writes it; all lower case accepted;
 * mixed case refused), exactly len bytes with no surrounding whitespace. VG_EFORMAT for
 * anything malformed (the message never quotes the key); VG_EUNSUPPORTED for the
 * post-quantum "AGE-SECRET-KEY-PQ-1..." and plugin "AGE-PLUGIN-..." identities.
 */
int vg_age_identity_parse(struct vg_age_identity **out, const char *s, size_t len)
    __attribute__((warn_unused_result));
/* Appends the "AGE-SECRET-KEY-1..." string to out, which should be a secure buffer. */
int vg_age_identity_encode(struct vg_buf *out, const struct vg_age_identity *id)
    __attribute__((warn_unused_result));
/* Raw X25519 secret scalar (32 bytes), for the vault. */
int vg_age_identity_from_raw(struct vg_age_identity **out, const uint8_t raw[VG_AGE_X25519_BYTES])
    __attribute__((warn_unused_result));
void vg_age_identity_to_raw(uint8_t raw[VG_AGE_X25519_BYTES], const struct vg_age_identity *id);
void vg_age_identity_recipient(struct vg_age_recipient *out, const struct vg_age_identity *id);
void vg_age_identity_free(struct vg_age_identity *id);

/*
 * "age1..." (bech32, lower case only, as age requires). VG_EFORMAT when malformed;
 * VG_EUNSUPPORTED for post-quantum "age1pq1...", plugin or tag "age1<name>1..." and SSH
 * recipients. An X25519 key of low order is accepted here and refused by vg_age_encrypt.
 */
int vg_age_recipient_parse(struct vg_age_recipient *out, const char *s, size_t len)
    __attribute__((warn_unused_result));
/* NUL-terminated into out[VG_AGE_RECIPIENT_STR_LEN + 1]. */
void vg_age_recipient_encode(char *out, const struct vg_age_recipient *r);

/*
 * Encrypt pt to n recipients (1..VG_AGE_RECIPIENTS_MAX) in memory, appending the age file
 * to out, with stanzas in the order given. When file_key_out is not NULL the random file
 * key is also written there (guarded memory), so a device can keep it wrapped and read its
 * own entries later without an X25519 operation. VG_EINVAL for a bad recipient count or a
 * low-order recipient key. On failure out is as it was and file_key_out untouched.
 */
#define VG_AGE_RECIPIENTS_MAX 64
int vg_age_encrypt(struct vg_buf *out, uint8_t *file_key_out, const struct vg_age_recipient *rcpts,
		   size_t n, const uint8_t *pt, size_t len) __attribute__((warn_unused_result));

/*
 * Decrypt in memory with an identity; plaintext appended to pt_out (a secure buffer). On
 * failure pt_out is as it was (nothing of an unauthenticated file is left in it).
 */
int vg_age_decrypt(struct vg_buf *pt_out, const struct vg_age_identity *id, const uint8_t *ct,
		   size_t len) __attribute__((warn_unused_result));

/*
 * Decrypt in memory with a known file key (header MAC still checked first). Used for a
 * device's own entries, whose file keys it keeps wrapped under its vault key.
 */
int vg_age_decrypt_with_key(struct vg_buf *pt_out, const uint8_t file_key[VG_AGE_FILE_KEY_BYTES],
			    const uint8_t *ct, size_t len) __attribute__((warn_unused_result));

/*
 * The in-memory functions with a reusable workspace: ws is a secure vg_buf
 * (VG_BUF_INIT_SECURE) that the caller keeps across many calls and releases at the end.
 * The operation's secrets (and its chunk buffer) then live there instead of in a fresh
 * guarded allocation per call, which costs several system calls; they are wiped before
 * return either way. ws may be NULL. decrypt_ws takes an identity or a file key (one of
 * them NULL).
 */
int vg_age_encrypt_ws(struct vg_buf *ws, struct vg_buf *out, uint8_t *file_key_out,
		      const struct vg_age_recipient *rcpts, size_t n, const uint8_t *pt, size_t len)
    __attribute__((warn_unused_result));
int vg_age_decrypt_ws(struct vg_buf *ws, struct vg_buf *pt_out, const struct vg_age_identity *id,
		      const uint8_t *file_key, const uint8_t *ct, size_t len)
    __attribute__((warn_unused_result));

/*
 * Streaming forms over file descriptors, bounded memory (the header, at most
 * VG_AGE_HEADER_MAX, and one 64 KiB chunk). Nothing is written before the header MAC has
 * been verified; each chunk is written once it has authenticated, so on a payload failure
 * the output may hold a prefix of the plaintext (as with stock age) that the caller must
 * discard. Read and write errors are VG_EIO. Neither function closes a descriptor.
 */
int vg_age_encrypt_fd(int out_fd, const struct vg_age_recipient *rcpts, size_t n, int in_fd)
    __attribute__((warn_unused_result));
int vg_age_decrypt_fd(int out_fd, const struct vg_age_identity *id, int in_fd)
    __attribute__((warn_unused_result));

/* A parsed header, for callers that count or inspect stanzas (the entry format does). */
struct vg_age_stanza {
	char *type;  /* the first argument, e.g. "X25519" */
	char **args; /* the nargs arguments after the type, NUL-terminated */
	size_t nargs;
	uint8_t *body; /* decoded body */
	size_t body_len;
};

struct vg_age_header {
	struct vg_age_stanza *stanzas;
	size_t nstanzas;
	size_t len; /* bytes of the header, through the MAC line's newline */
	uint8_t mac[32];
};

/*
 * Parse (never decrypt) the header at the start of data; data may go on with the payload.
 * Checks the whole grammar (canonical base64, 64-column body lines, LF only), the shape of
 * every X25519 stanza (one 32-byte share, a 32-byte body) and the scrypt rule. VG_EFORMAT
 * when malformed (including an scrypt stanza beside others); VG_EUNSUPPORTED for an
 * scrypt-only header and for an ASCII-armored file. The MAC is not checked here.
 */
int vg_age_header_parse(struct vg_age_header **out, const uint8_t *data, size_t len)
    __attribute__((warn_unused_result));
void vg_age_header_free(struct vg_age_header *h);

#endif
