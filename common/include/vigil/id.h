/*
 * 32-byte identifiers (author ids, organisation ids, entry ids) and their lower-case hex
 * form (common/FORMAT.md, section 2).
 */
#ifndef VIGIL_ID_H
#define VIGIL_ID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/minisign.h"

#define VG_ID_BYTES   32
#define VG_ID_HEX_LEN 64

/* author id (or organisation id) = BLAKE2b-256 of the Ed25519 public key. */
void vg_id_of_key(uint8_t out[VG_ID_BYTES], const struct vg_minisign_pk *pk);

/* The key number vigil gives the keys it generates: the first 8 bytes of the author id. */
void vg_id_keynum(uint8_t out[VG_MINISIGN_KEYNUM_BYTES], const uint8_t pk[VG_MINISIGN_PK_BYTES]);

/* Lower-case hex, NUL-terminated, into out[2 * len + 1]. */
void vg_hex_encode(char *out, const uint8_t *in, size_t len);

/*
 * Exactly 2 * len lower-case hex digits (no upper case, no separators) from s[0 .. slen)
 * into out. VG_EFORMAT otherwise.
 */
int vg_hex_decode(uint8_t *out, size_t len, const char *s, size_t slen)
    __attribute__((warn_unused_result));

/*
 * An id named by its lower-case hex or a prefix of it, as users abbreviate case and entry
 * ids: among n ids of idlen bytes (id(ctx, i) is the i-th), the one whose hex begins with
 * s, which holds min .. 2 * idlen digits; accept (may be NULL) drops candidates. *pos gets
 * its index. VG_EFORMAT when s is not such hex, VG_EINVAL when it names more than one,
 * VG_ENOTFOUND when none. Sets no message: the caller says what the id stands for.
 */
typedef const uint8_t *(*vg_hex_id_fn)(void *ctx, size_t i);
typedef bool (*vg_hex_accept_fn)(void *ctx, size_t i);
int vg_hex_find(size_t *pos, const char *s, size_t min, size_t n, size_t idlen, vg_hex_id_fn id,
		vg_hex_accept_fn accept, void *ctx) __attribute__((warn_unused_result));

#endif
