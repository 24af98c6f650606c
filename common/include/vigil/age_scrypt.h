/*
 * Passphrase-encrypted age files (age v1 with one scrypt stanza), for the files a person
 * stores away and opens with stock `age -d`: the organisation's recovery identity and a
 * coordinator's exported identity (common/FORMAT.md, "Passphrase-encrypted identity files").
 *
 * Entries never use this: vg_age_decrypt and vg_entry_verify keep refusing scrypt stanzas.
 *
 * scrypt is libsodium's crypto_pwhash_scryptsalsa208sha256_ll with r = 8, p = 1 and
 * N = 2^VG_AGE_SCRYPT_LOG_N, age's own default work factor (about 256 MiB and half a second
 * to a second per derivation). Decryption accepts work factors up to VG_AGE_SCRYPT_LOG_N_MAX,
 * the cap stock age applies, checked before anything is derived. Secrets stay in guarded
 * memory and are wiped on every path. Call vg_init first.
 */
#ifndef VIGIL_AGE_SCRYPT_H
#define VIGIL_AGE_SCRYPT_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/buf.h"

#define VG_AGE_SCRYPT_LOG_N	18
#define VG_AGE_SCRYPT_LOG_N_MAX 22
/* Largest plaintext these functions handle: identity files are a few hundred bytes. */
#define VG_AGE_SCRYPT_PLAINTEXT_MAX (64 * 1024)

/*
 * Encrypt pt (at most VG_AGE_SCRYPT_PLAINTEXT_MAX bytes) under pass (passlen > 0 bytes)
 * into a binary age file appended to out, with one scrypt stanza at VG_AGE_SCRYPT_LOG_N.
 * VG_EINVAL for an empty passphrase or an oversized input, VG_ENOMEM. On failure out is
 * as it was.
 */
int vg_age_scrypt_encrypt(struct vg_buf *out, const uint8_t *pt, size_t len, const char *pass,
			  size_t passlen) __attribute__((warn_unused_result));

/*
 * Decrypt a file written by vg_age_scrypt_encrypt or `age -p` (binary, exactly one scrypt
 * stanza) into pt_out (a secure buffer; appended). VG_EFORMAT for anything malformed,
 * VG_EUNSUPPORTED for a file that is not passphrase-encrypted, VG_ELIMIT for a work factor
 * above the cap, VG_EAUTH for a wrong passphrase, VG_EMAC, VG_EPAYLOAD. On failure pt_out is
 * as it was.
 */
int vg_age_scrypt_decrypt(struct vg_buf *pt_out, const uint8_t *ct, size_t len, const char *pass,
			  size_t passlen) __attribute__((warn_unused_result));

#endif
