/*
 * Sealed key files: secrets at rest under Argon2id(passphrase).
 *
 * The byte layout is specified in common/FORMAT.md ("Sealed key files"). A file carries
 * one master key wrapped in 1 to VG_KEYFILE_SLOTS_MAX slots, each under a key derived from
 * a passphrase with its own salt, and a payload encrypted under the master key. Opening
 * always runs the derivation for every slot, so the time taken does not say which slot (if
 * any) opened.
 *
 * The Argon2id parameters are stored in the file and checked against a compiled floor and
 * cap before any allocation or derivation: a hostile file can demand neither gigabytes nor
 * a weakened profile. VIGIL_TEST_KDF builds lower profile and floor for the test suite;
 * files they write are below the floor of a normal build and refused by it.
 *
 * Payloads come back in sodium_malloc memory; passphrases are read, never copied.
 */
#ifndef VIGIL_KEYFILE_H
#define VIGIL_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/buf.h"

#define VG_KEYFILE_SLOTS_MAX   4
#define VG_KEYFILE_PAYLOAD_MAX (1024 * 1024)

/* What the file holds; a file opened as the wrong kind is refused. */
enum vg_keyfile_kind {
	VG_KEYFILE_VAULT = 1,	/* a device's vault (identity, vault key, credentials) */
	VG_KEYFILE_ORG = 2,	/* an organisation signing key */
};

struct vg_kdf_params {
	uint32_t opslimit;
	uint32_t memlimit_kib;
};

/* The compiled profile used for new files, and the accepted floor and cap. */
void vg_keyfile_profile(struct vg_kdf_params *out);
void vg_keyfile_floor(struct vg_kdf_params *out);
void vg_keyfile_cap(struct vg_kdf_params *out);

/*
 * Seal payload (1 to VG_KEYFILE_PAYLOAD_MAX bytes) under a fresh master key into out
 * (appended). Slot 0 opens with pass; slots 1..nslots-1 hold random values under random
 * salts that no passphrase is known for (a later issue gives one a duress passphrase).
 */
int vg_keyfile_seal(struct vg_buf *out, enum vg_keyfile_kind kind, unsigned nslots,
		    const uint8_t *payload, size_t len, const char *pass, size_t passlen)
	__attribute__((warn_unused_result));

/*
 * Open a sealed file held in memory. On success the payload is appended to payload_out
 * (which should be a secure buffer) and *slot_out (may be NULL) says which slot opened.
 * VG_EFORMAT for a malformed or truncated file or the wrong kind, VG_ELIMIT for KDF
 * parameters outside floor and cap, VG_EAUTH for a wrong passphrase or a modified file.
 */
int vg_keyfile_open(struct vg_buf *payload_out, unsigned *slot_out, enum vg_keyfile_kind kind,
		    const uint8_t *file, size_t len, const char *pass, size_t passlen)
	__attribute__((warn_unused_result));

/* Seal and write atomically to path with mode 0600 (see vg_fs_write_atomic). */
int vg_keyfile_write(const char *path, int exclusive, enum vg_keyfile_kind kind,
		     unsigned nslots, const uint8_t *payload, size_t len, const char *pass,
		     size_t passlen) __attribute__((warn_unused_result));

/* Read path (refusing symlinks and oversized files) and open it. */
int vg_keyfile_read(struct vg_buf *payload_out, unsigned *slot_out, const char *path,
		    enum vg_keyfile_kind kind, const char *pass, size_t passlen)
	__attribute__((warn_unused_result));

#endif
