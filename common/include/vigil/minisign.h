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
/*
 * Longest untrusted comment written into a signature: stock minisign reads that line, with
 * its prefix, LF and NUL, into 1024 bytes and refuses a longer one. Parsing accepts up to
 * VG_MINISIGN_COMMENT_MAX.
 */
#define VG_MINISIGN_UNTRUSTED_WRITE_MAX 1003
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

/*
 * A new random key pair. Its key number is the first 8 bytes of BLAKE2b-256(pk), as
 * FORMAT.md section 2 specifies for the keys vigil generates (minisign itself picks it at
 * random; any value is valid for stock tools).
 */
int vg_minisign_sk_generate(struct vg_minisign_sk **out) __attribute__((warn_unused_result));
/*
 * From the raw form (VG_MINISIGN_SK_RAW_BYTES); checks that the embedded public key is the
 * one the seed derives (VG_EFORMAT otherwise). raw is only read.
 */
int vg_minisign_sk_from_raw(struct vg_minisign_sk **out, const uint8_t *raw)
    __attribute__((warn_unused_result));
/* Write the raw form into out, which must hold VG_MINISIGN_SK_RAW_BYTES (guarded memory). */
void vg_minisign_sk_to_raw(uint8_t *out, const struct vg_minisign_sk *sk);
void vg_minisign_sk_public(struct vg_minisign_pk *out, const struct vg_minisign_sk *sk);
/* Wipes and frees; accepts NULL. */
void vg_minisign_sk_free(struct vg_minisign_sk *sk);

/*
 * Stock secret key file ("untrusted comment: ...\n" + base64 line + "\n"), appended to out.
 *
 * Written unencrypted when pass is NULL (kdf "\0\0", zero salt and limits, as
 * `minisign -G -W`; the checksum is filled in, which stock minisign ignores for such keys),
 * otherwise encrypted as minisign does: scrypt with minisign's sensitive limits (with
 * VIGIL_TEST_KDF, libsodium's interactive ones), a random salt. A passphrase must not be
 * empty (VG_EINVAL). An unencrypted file is a secret: pass an out made with
 * vg_buf_init_secure. On failure out is left as it was.
 *
 * Parsing takes the comment line and the base64 line, the final LF optional, nothing else.
 * An encrypted key needs pass (VG_EAUTH without one) and refuses a wrong passphrase
 * (checksum mismatch, VG_EAUTH); scrypt parameters above minisign's own sensitive limits
 * are refused (VG_ELIMIT) before anything is derived. For an unencrypted key pass is
 * ignored; its checksum must be zero (as `minisign -G -W` writes it) or correct. The
 * embedded public key must match the seed. Anything malformed is VG_EFORMAT.
 */
int vg_minisign_sk_write(struct vg_buf *out, const struct vg_minisign_sk *sk, const char *pass,
			 size_t passlen) __attribute__((warn_unused_result));
int vg_minisign_sk_parse(struct vg_minisign_sk **out, const char *text, size_t len,
			 const char *pass, size_t passlen) __attribute__((warn_unused_result));

/*
 * Public keys: parse either a whole stock .pub file (comment line then key line) or the
 * bare base64 line ("RW..."), with or without a final newline, nothing else (VG_EFORMAT).
 * Only "Ed" keys exist in minisign's public key format. The comment is not interpreted.
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
 * The untrusted comment must be at most VG_MINISIGN_UNTRUSTED_WRITE_MAX bytes (NULL writes
 * minisign's default, "signature from minisign secret key"), the trusted comment (not NULL)
 * at most VG_MINISIGN_COMMENT_MAX, neither with CR, LF or NUL (VG_EINVAL). On failure out
 * is left as it was. sign_hashed takes the BLAKE2b-512 of the message instead, for streamed
 * input.
 */
int vg_minisign_sign(struct vg_buf *out, const struct vg_minisign_sk *sk, const uint8_t *msg,
		     size_t len, const char *untrusted, const char *trusted)
    __attribute__((warn_unused_result));
int vg_minisign_sign_hashed(struct vg_buf *out, const struct vg_minisign_sk *sk,
			    const uint8_t hash[VG_MINISIGN_HASH_BYTES], const char *untrusted,
			    const char *trusted) __attribute__((warn_unused_result));

/*
 * Parse a signature file strictly: exactly four LF-terminated lines, the fixed prefixes,
 * canonical base64, a known algorithm ("ED" or "Ed"), comments of at most
 * VG_MINISIGN_COMMENT_MAX bytes without CR or NUL. Anything else is VG_EFORMAT, and out is
 * zeroed. Parsing checks no signature: call vg_minisign_verify before trusting any field.
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
