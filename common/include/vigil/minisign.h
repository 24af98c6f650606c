/*
 * minisign signatures, byte-compatible with stock minisign 0.11.
 *
 * Algorithm "ED": Ed25519 over the BLAKE2b-512 hash of the message (what `minisign -S`
 * writes by default and `minisign -H -V` requires). The legacy "Ed" (Ed25519 over the
 * message itself) is read only when VG_MINISIGN_ALLOW_LEGACY is passed, for interop tests;
 * entries and rosters never pass it.
 *
 * The global signature is Ed25519 over (signature || trusted comment) and binds the
 * trusted comment to the signature; verification checks both before reporting success.
 *
 * Secret keys live in sodium_malloc memory. All functions are thread-safe on distinct
 * objects.
 */
#ifndef VIGIL_MINISIGN_H
#define VIGIL_MINISIGN_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/buf.h"

#define VG_MINISIGN_KEYNUM_BYTES 8
#define VG_MINISIGN_PK_BYTES	 32
#define VG_MINISIGN_SIG_BYTES	 64
#define VG_MINISIGN_HASH_BYTES	 64 /* BLAKE2b-512 prehash */
/* Longest comment (untrusted or trusted) accepted or written, in bytes, as minisign. */
#define VG_MINISIGN_COMMENT_MAX 1024
/* Length of the base64 public key line ("RW..."), without NUL: base64 of 42 bytes. */
#define VG_MINISIGN_PK_B64_LEN 56
/* Raw secret key as the vault keeps it: key number (8) then Ed25519 secret key (64). */
#define VG_MINISIGN_SK_RAW_BYTES (VG_MINISIGN_KEYNUM_BYTES + 64)

enum vg_minisign_flags {
	VG_MINISIGN_ALLOW_LEGACY = 1 << 0, /* accept "Ed" signatures (not for entries) */
};

struct vg_minisign_pk {
	uint8_t keynum[VG_MINISIGN_KEYNUM_BYTES];
	uint8_t pk[VG_MINISIGN_PK_BYTES];
};

/* A parsed signature file. Comments are NUL-terminated, without their prefixes. */
struct vg_minisig {
	char alg[2]; /* "ED" or "Ed" */
	uint8_t keynum[VG_MINISIGN_KEYNUM_BYTES];
	uint8_t sig[VG_MINISIGN_SIG_BYTES];
	uint8_t global_sig[VG_MINISIGN_SIG_BYTES];
	char untrusted[VG_MINISIGN_COMMENT_MAX + 1];
	char trusted[VG_MINISIGN_COMMENT_MAX + 1];
};

struct vg_minisign_sk; /* opaque; in sodium_malloc memory */

/* A new random key pair with a random key number. */
int vg_minisign_sk_generate(struct vg_minisign_sk **out) __attribute__((warn_unused_result));
/* From the raw form (VG_MINISIGN_SK_RAW_BYTES); checks the embedded public key. */
int vg_minisign_sk_from_raw(struct vg_minisign_sk **out, const uint8_t *raw)
	__attribute__((warn_unused_result));
/* Write the raw form into out, which must hold VG_MINISIGN_SK_RAW_BYTES (guarded memory). */
void vg_minisign_sk_to_raw(uint8_t *out, const struct vg_minisign_sk *sk);
void vg_minisign_sk_public(struct vg_minisign_pk *out, const struct vg_minisign_sk *sk);
void vg_minisign_sk_free(struct vg_minisign_sk *sk);

/*
 * Stock secret key file ("untrusted comment: ...\n" + base64 line): written unencrypted
 * when pass is NULL (as `minisign -G -W`), otherwise encrypted with scrypt as minisign
 * does. Reading refuses a wrong passphrase (checksum mismatch, VG_EAUTH) and scrypt
 * parameters above minisign's own sensitive limits (VG_ELIMIT) before deriving.
 */
int vg_minisign_sk_write(struct vg_buf *out, const struct vg_minisign_sk *sk, const char *pass,
			 size_t passlen) __attribute__((warn_unused_result));
int vg_minisign_sk_parse(struct vg_minisign_sk **out, const char *text, size_t len,
			 const char *pass, size_t passlen) __attribute__((warn_unused_result));

/*
 * Public keys: parse either a whole stock .pub file (comment line then key line) or the
 * bare base64 line ("RW..."), with or without a final newline. Only "Ed" keys exist in
 * minisign's public key format.
 */
int vg_minisign_pk_parse(struct vg_minisign_pk *out, const char *text, size_t len)
	__attribute__((warn_unused_result));
/* The base64 line, NUL-terminated, into out[VG_MINISIGN_PK_B64_LEN + 1]. */
void vg_minisign_pk_encode(char *out, const struct vg_minisign_pk *pk);
/* A whole stock .pub file: "untrusted comment: minisign public key <KEYNUM>\n<b64>\n". */
int vg_minisign_pk_write(struct vg_buf *out, const struct vg_minisign_pk *pk)
	__attribute__((warn_unused_result));

/*
 * Sign msg (algorithm ED) and append a stock signature file to out:
 * "untrusted comment: <untrusted>\n<b64 sig>\ntrusted comment: <trusted>\n<b64 global>\n".
 * Comments must be at most VG_MINISIGN_COMMENT_MAX bytes with no CR, LF or NUL.
 * sign_hashed takes the BLAKE2b-512 of the message instead, for streamed input.
 */
int vg_minisign_sign(struct vg_buf *out, const struct vg_minisign_sk *sk, const uint8_t *msg,
		     size_t len, const char *untrusted, const char *trusted)
	__attribute__((warn_unused_result));
int vg_minisign_sign_hashed(struct vg_buf *out, const struct vg_minisign_sk *sk,
			    const uint8_t hash[VG_MINISIGN_HASH_BYTES], const char *untrusted,
			    const char *trusted) __attribute__((warn_unused_result));

/*
 * Parse a signature file strictly: exactly four LF-terminated lines, the fixed prefixes,
 * canonical base64, a known algorithm. Anything else is VG_EFORMAT. Parsing checks no
 * signature: call vg_minisign_verify before trusting any field.
 */
int vg_minisign_sig_parse(struct vg_minisig *out, const char *text, size_t len)
	__attribute__((warn_unused_result));

/*
 * Verify a parsed signature over msg with pk: key number, algorithm (ED unless flags allow
 * Ed), the signature, then the global signature over the trusted comment. VG_EBADSIG with a
 * message saying which check failed. verify_hashed takes the BLAKE2b-512 of the message and
 * accepts ED only.
 */
int vg_minisign_verify(const struct vg_minisig *sig, const struct vg_minisign_pk *pk,
		       const uint8_t *msg, size_t len, unsigned flags)
	__attribute__((warn_unused_result));
int vg_minisign_verify_hashed(const struct vg_minisig *sig, const struct vg_minisign_pk *pk,
			      const uint8_t hash[VG_MINISIGN_HASH_BYTES])
	__attribute__((warn_unused_result));

/* BLAKE2b-512 of msg, the prehash of algorithm ED. */
void vg_minisign_hash(uint8_t out[VG_MINISIGN_HASH_BYTES], const uint8_t *msg, size_t len);

#endif
