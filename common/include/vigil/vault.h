/*
 * The vault: a device's secrets, sealed in one key file (kind VG_KEYFILE_VAULT, two
 * slots) under the owner's passphrase. Payload layout in common/FORMAT.md ("Vault").
 *
 * Holds the device's signing key (minisign, Ed25519), its age identity (X25519), the
 * vault key (32 random bytes that wrap the file keys of the device's own entries and its
 * drafts), its pseudonym, and records later parts add (transport credentials, pins, the
 * remote), which are kept verbatim when the vault is resealed. Everything secret is in
 * sodium_malloc memory and wiped by vg_vault_free.
 */
#ifndef VIGIL_VAULT_H
#define VIGIL_VAULT_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/age.h"
#include "vigil/buf.h"
#include "vigil/identity.h"
#include "vigil/keyfile.h"
#include "vigil/minisign.h"

#define VG_VAULT_KEY_BYTES 32
#define VG_VAULT_SLOTS	   2

struct vg_vault {
	char pseudonym[VG_PSEUDONYM_MAX + 1];
	struct vg_minisign_sk *sign;
	struct vg_age_identity *age;
	uint8_t *key;	     /* VG_VAULT_KEY_BYTES, guarded */
	struct vg_buf extra; /* secure; records of types this version does not use */
	/*
	 * Guarded, VG_KEYFILE_SLOTKEY_BYTES + 1: the slot key of the file this vault was read
	 * from or last written to (FORMAT.md 8, resealing without the passphrase); its last
	 * byte is 1 when one is kept, 0 for a vault never read or written.
	 */
	uint8_t *slotkey;
};

/* New keys; pseudonym NULL picks a random one. VG_EINVAL for an invalid pseudonym. */
int vg_vault_generate(struct vg_vault **out, const char *pseudonym)
    __attribute__((warn_unused_result));
void vg_vault_free(struct vg_vault *v);

/* The public identity of the vault's keys. */
void vg_vault_identity(struct vg_identity *out, const struct vg_vault *v);

/* The payload (appended to out, a secure buffer) and its strict parser. */
int vg_vault_encode(struct vg_buf *out, const struct vg_vault *v)
    __attribute__((warn_unused_result));
int vg_vault_decode(struct vg_vault **out, const uint8_t *payload, size_t len)
    __attribute__((warn_unused_result));

/*
 * Records of types 5..255 kept in v->extra (FORMAT.md 8): the remote URL, the transport
 * credential, the pin. get points *val (borrowed, valid until the vault changes) at the
 * first record of that type; VG_ENOTFOUND when there is none. set replaces every record
 * of that type with one holding len bytes (0 .. 65535), or removes them when val is NULL.
 * VG_EINVAL for a type below 5.
 */
#define VG_VAULT_REC_REMOTE	5 /* where this device syncs: 1..1024 printable ASCII bytes */
#define VG_VAULT_REC_CREDENTIAL 6 /* the transport credential from the invitation */
#define VG_VAULT_REC_PIN	7 /* SHA-256 of the remote's host key or certificate (32) */
#define VG_VAULT_REC_DURESS	8 /* the duress slot's salt (16) and key (32) */
#define VG_VAULT_DURESS_BYTES	48
#define VG_VAULT_REC_GENERATION 9 /* the vault key's generation (8, LE): FORMAT.md 17.8 */
int vg_vault_record_get(const struct vg_vault *v, uint8_t type, const uint8_t **val, size_t *len)
    __attribute__((warn_unused_result));
int vg_vault_record_set(struct vg_vault *v, uint8_t type, const uint8_t *val, size_t len)
    __attribute__((warn_unused_result));

/*
 * The duress slot (slot 1 of the vault file, FORMAT.md 8): set keys it with a passphrase
 * (one derivation at the compiled profile); clear keys it randomly, as every new vault is.
 * Either way record 8 holds a salt and a key, so nothing, not even the payload, tells
 * whether a duress passphrase is set. Both change only v: write it to take effect.
 */
int vg_vault_duress_set(struct vg_vault *v, const char *pass, size_t passlen)
    __attribute__((warn_unused_result));
int vg_vault_duress_clear(struct vg_vault *v) __attribute__((warn_unused_result));

/*
 * Seal to path (atomically, 0600; slot 1 keyed from record 8) and open from path. VG_EAUTH
 * for a wrong passphrase; VG_EDURESS (with a wrong passphrase's message) for the duress
 * passphrase: the caller destroys the keys. Both keep slot 0's key in v->slotkey; write
 * with pass NULL (passlen 0) reseals under that kept key, without a derivation, so the
 * same passphrase opens the file (VG_EINVAL when none is kept).
 */
int vg_vault_write(const char *path, int exclusive, const struct vg_vault *v, const char *pass,
		   size_t passlen) __attribute__((warn_unused_result));
int vg_vault_read(struct vg_vault **out, const char *path, const char *pass, size_t passlen)
    __attribute__((warn_unused_result));

/* The vault key's generation (record 9; 0 when absent) and setting it. */
uint64_t vg_vault_generation(const struct vg_vault *v);
int vg_vault_set_generation(struct vg_vault *v, uint64_t g) __attribute__((warn_unused_result));

/* A deep copy of v (keys, records and the kept slot key) into *out. */
int vg_vault_copy(struct vg_vault **out, const struct vg_vault *v)
    __attribute__((warn_unused_result));

#endif
