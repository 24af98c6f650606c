/*
 * A set of fixed-length ids (case ids, entry ids) numbered 0, 1, 2, ... in the order they
 * were added, so a caller keeps its records in a plain array at the same positions. Open
 * addressing on SipHash-2-4 (libsodium's crypto_shorthash) under a random key per map:
 * ids come from documents other members wrote, so a hostile member cannot choose ids that
 * collide and make every lookup of a coordinator's daemon walk the whole table.
 *
 * Not thread-safe. The ids are copied; nothing is secret.
 */
#ifndef VIGIL_IDMAP_H
#define VIGIL_IDMAP_H

#include <stddef.h>
#include <stdint.h>

#define VG_IDMAP_KEY_MAX 32

struct vg_idmap {
	size_t keylen; /* 1 .. VG_IDMAP_KEY_MAX, set by VG_IDMAP_INIT */
	uint8_t *keys; /* n ids of keylen bytes, in the order added */
	size_t n, cap;
	size_t *slots; /* position + 1; 0 empty */
	size_t nslots; /* a power of two, at least 2n */
	uint8_t hashkey[16];
	int keyed;
};
#define VG_IDMAP_INIT(len)                                                                         \
	{                                                                                          \
		(len), NULL, 0, 0, NULL, 0, {0}, 0                                                 \
	}

/* The position of id, or SIZE_MAX when it is not in the map. */
size_t vg_idmap_find(const struct vg_idmap *m, const uint8_t *id);

/*
 * Add id unless present. *pos (may be NULL) gets its position (the next one, m->n - 1,
 * when added). Returns 1 when added, 0 when it was there, VG_ENOMEM.
 */
int vg_idmap_add(struct vg_idmap *m, const uint8_t *id, size_t *pos)
    __attribute__((warn_unused_result));

/* Forget every id, keeping the memory; the next id added is position 0 again. */
void vg_idmap_clear(struct vg_idmap *m);

/* Free what the map holds; it is empty afterwards (keylen kept). */
void vg_idmap_release(struct vg_idmap *m);

#endif
