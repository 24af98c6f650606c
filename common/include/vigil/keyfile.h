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
 * Call vg_init first. The functions share no state (beyond the thread-local error message)
 * and may run on several threads at once.
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
	VG_KEYFILE_VAULT = 1, /* a device's vault (identity, vault key, credentials) */
	VG_KEYFILE_ORG = 2,   /* an organisation signing key */
};

struct vg_kdf_params {
	uint32_t opslimit;
	uint32_t memlimit_kib;
};

/*
 * The compiled profile used for new files, and the accepted floor and cap (all bounds
 * inclusive). Normal builds: profile and floor opslimit 3, 256 MiB (libsodium's MODERATE),
 * cap opslimit 8, 512 MiB. VIGIL_TEST_KDF builds: profile opslimit 1, 64 KiB, floor 1,
 * 8 KiB, same cap.
 */
void vg_keyfile_profile(struct vg_kdf_params *out);
void vg_keyfile_floor(struct vg_kdf_params *out);
void vg_keyfile_cap(struct vg_kdf_params *out);

/*
 * Seal payload (1 to VG_KEYFILE_PAYLOAD_MAX bytes, not pointing into out) under a fresh
 * master key into out (appended; out's contents are unchanged on error). Slot 0 opens with pass
 * (passlen bytes; pass may be NULL only when passlen is 0); slots 1..nslots-1
 * (nslots 1 to VG_KEYFILE_SLOTS_MAX) hold random values under random keys, which look like
 * slots under passphrases nobody knows (a later issue gives one a duress passphrase).
 * Runs one derivation at the compiled profile. VG_EINVAL for a bad argument, VG_ENOMEM.
 */
int vg_keyfile_seal(struct vg_buf *out, enum vg_keyfile_kind kind, unsigned nslots,
		    const uint8_t *payload, size_t len, const char *pass, size_t passlen)
    __attribute__((warn_unused_result));

/*
 * vg_keyfile_seal with slot keyed_slot (1 .. nslots-1) wrapping a random value under a key
 * the caller derived earlier (vg_keyfile_derive) with its salt, instead of a random key:
 * a duress slot, which keeps its passphrase across reseals without knowing it.
 * keyed_slot 0 means none (vg_keyfile_seal).
 */
int vg_keyfile_seal_keyed(struct vg_buf *out, enum vg_keyfile_kind kind, unsigned nslots,
			  const uint8_t *payload, size_t len, const char *pass, size_t passlen,
			  unsigned keyed_slot, const uint8_t salt[16], const uint8_t key[32])
    __attribute__((warn_unused_result));

/*
 * What resealing without the passphrase needs (FORMAT.md 8): slot 0's salt (16), the key
 * Argon2id derived from the passphrase with it (32) and the parameters it used (opslimit
 * and memory in KiB, 4 bytes each, little-endian). Keep it in guarded memory.
 */
#define VG_KEYFILE_SLOTKEY_BYTES 56

/*
 * vg_keyfile_seal_keyed with slot 0 tied to slotkey (VG_KEYFILE_SLOTKEY_BYTES, not NULL):
 * with a passphrase, slot 0 is derived from it with a fresh salt as usual and slotkey
 * receives salt, key and parameters; with pass NULL (passlen 0), slot 0 is sealed under
 * what slotkey holds, without a derivation, so the passphrase it came from opens the file.
 */
int vg_keyfile_seal_slotkey(struct vg_buf *out, enum vg_keyfile_kind kind, unsigned nslots,
			    const uint8_t *payload, size_t len, const char *pass, size_t passlen,
			    uint8_t *slotkey, unsigned keyed_slot, const uint8_t salt[16],
			    const uint8_t key[32]) __attribute__((warn_unused_result));

/*
 * The key a slot derives from pass at the compiled profile, with a fresh random salt:
 * salt_out (16 bytes) and key_out (32 bytes, guarded memory of the caller).
 */
int vg_keyfile_derive(uint8_t salt_out[16], uint8_t *key_out, const char *pass, size_t passlen)
    __attribute__((warn_unused_result));

/*
 * Open a sealed file held in memory. On success the payload is appended to payload_out
 * (which should be a secure buffer) and *slot_out (may be NULL) says which slot opened:
 * the first whose unwrapped value decrypts the payload. On error neither is touched.
 * VG_EFORMAT for a malformed, truncated or overlong file or the wrong kind; VG_ELIMIT for
 * KDF parameters outside floor and cap (both found before anything is allocated or
 * derived); VG_EAUTH "wrong passphrase" when no slot unwraps (a modified header or slot
 * looks the same), "key file was modified" when a slot unwraps but the payload does not
 * decrypt under it; VG_EDURESS, with the message of a wrong passphrase and *slot_out set,
 * when a slot other than 0 unwraps (a duress slot: it never wraps the master key);
 * VG_EINVAL, VG_ENOMEM. Derives for every slot whatever happens: up to
 * VG_KEYFILE_SLOTS_MAX derivations at the file's parameters.
 */
int vg_keyfile_open(struct vg_buf *payload_out, unsigned *slot_out, enum vg_keyfile_kind kind,
		    const uint8_t *file, size_t len, const char *pass, size_t passlen)
    __attribute__((warn_unused_result));

/*
 * Seal and write atomically to path, created with mode 0600 (less if the umask says so;
 * see vg_fs_write_atomic). A symlink at path is replaced or, when exclusive, refused; never
 * followed. VG_EEXISTS when exclusive and path exists; the codes of vg_keyfile_seal and
 * vg_fs_write_atomic.
 */
int vg_keyfile_write(const char *path, int exclusive, enum vg_keyfile_kind kind, unsigned nslots,
		     const uint8_t *payload, size_t len, const char *pass, size_t passlen)
    __attribute__((warn_unused_result));

/*
 * Read path and open it as vg_keyfile_open does; messages name the path. A symlink at path
 * is not followed (VG_EIO); VG_ENOTFOUND when path does not exist, VG_EINVAL when it is not
 * a regular file, VG_ELIMIT when it is larger than any key file can be.
 */
int vg_keyfile_read(struct vg_buf *payload_out, unsigned *slot_out, const char *path,
		    enum vg_keyfile_kind kind, const char *pass, size_t passlen)
    __attribute__((warn_unused_result));
/* vg_keyfile_read that also fills slotkey (may be NULL) for the slot that opened the file. */
int vg_keyfile_read_slotkey(struct vg_buf *payload_out, unsigned *slot_out, uint8_t *slotkey,
			    const char *path, enum vg_keyfile_kind kind, const char *pass,
			    size_t passlen) __attribute__((warn_unused_result));

#endif
