#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vigil/buf.h"
#include "vigil/error.h"
#include "vigil/idmap.h"

static size_t slot_of(const struct vg_idmap *m, const uint8_t *id, size_t nslots)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v;

	crypto_shorthash(h, id, m->keylen, m->hashkey);
	memcpy(&v, h, sizeof(v));
	return (size_t)(v & (nslots - 1));
}

size_t vg_idmap_find(const struct vg_idmap *m, const uint8_t *id)
{
	if (m->nslots == 0)
		return SIZE_MAX;
	for (size_t s = slot_of(m, id, m->nslots);; s = (s + 1) & (m->nslots - 1)) {
		size_t v = m->slots[s];
		if (v == 0)
			return SIZE_MAX;
		if (memcmp(m->keys + (v - 1) * m->keylen, id, m->keylen) == 0)
			return v - 1;
	}
}

static void place(const struct vg_idmap *m, size_t *slots, size_t nslots, size_t pos)
{
	size_t s = slot_of(m, m->keys + pos * m->keylen, nslots);

	while (slots[s] != 0)
		s = (s + 1) & (nslots - 1);
	slots[s] = pos + 1;
}

int vg_idmap_add(struct vg_idmap *m, const uint8_t *id, size_t *pos)
{
	size_t at = vg_idmap_find(m, id);
	int rc;

	if (at != SIZE_MAX) {
		if (pos != NULL)
			*pos = at;
		return 0;
	}
	if (!m->keyed) {
		crypto_shorthash_keygen(m->hashkey);
		m->keyed = 1;
	}
	if ((rc = vg_array_reserve(&m->keys, &m->cap, m->n, m->keylen, 64, "index of ids")) < 0)
		return rc;
	if (2 * (m->n + 1) > m->nslots) {
		size_t nslots = m->nslots == 0 ? 128 : 2 * m->nslots;
		size_t *slots = calloc(nslots, sizeof(*slots));
		if (slots == NULL)
			return vg_error_set(VG_ENOMEM, "cannot grow an index of ids");
		for (size_t i = 0; i < m->n; i++)
			place(m, slots, nslots, i);
		free(m->slots);
		m->slots = slots;
		m->nslots = nslots;
	}
	memcpy(m->keys + m->n * m->keylen, id, m->keylen);
	place(m, m->slots, m->nslots, m->n);
	if (pos != NULL)
		*pos = m->n;
	m->n++;
	return 1;
}

void vg_idmap_clear(struct vg_idmap *m)
{
	m->n = 0;
	if (m->nslots > 0)
		memset(m->slots, 0, m->nslots * sizeof(*m->slots));
}

void vg_idmap_release(struct vg_idmap *m)
{
	free(m->keys);
	free(m->slots);
	m->keys = NULL;
	m->slots = NULL;
	m->n = m->cap = m->nslots = 0;
}
