/*
 * The organisation key: the minisign (Ed25519) key that signs the roster and invitations,
 * sealed in its own key file (kind VG_KEYFILE_ORG, one slot) under a passphrase and meant
 * to live on offline media. Payload layout in common/FORMAT.md ("Organisation key").
 *
 * Secret keys live in sodium_malloc memory (see minisign.h). Call vg_init first.
 */
#ifndef VIGIL_ORGKEY_H
#define VIGIL_ORGKEY_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/buf.h"
#include "vigil/minisign.h"

/* The payload (appended to out, which should be a secure buffer) and its strict parser. */
int vg_orgkey_encode(struct vg_buf *out, const struct vg_minisign_sk *sk)
    __attribute__((warn_unused_result));
/*
 * Exactly one signing-key record and nothing else; the key number must be the one derived
 * from the key (FORMAT.md section 2) and the public half must match the seed. VG_EFORMAT.
 */
int vg_orgkey_decode(struct vg_minisign_sk **out, const uint8_t *payload, size_t len)
    __attribute__((warn_unused_result));

/*
 * Seal sk under pass to path (atomically, mode 0600, refused with VG_EEXISTS when path
 * exists) and open it again. read: VG_EAUTH for a wrong passphrase, VG_ENOTFOUND when
 * there is no file, VG_EFORMAT when it is not an organisation key, and vg_keyfile_read's
 * codes.
 */
int vg_orgkey_write(const char *path, const struct vg_minisign_sk *sk, const char *pass,
		    size_t passlen) __attribute__((warn_unused_result));
int vg_orgkey_read(struct vg_minisign_sk **out, const char *path, const char *pass, size_t passlen)
    __attribute__((warn_unused_result));

#endif
