/*
 * A device's own feed: every change is a new entry with the next sequence number and the
 * previous entry's id, sealed to the recipients of the current roster version, stored with
 * its file key wrapped under the vault key so the device can read it back without X25519.
 *
 * The feed writer holds borrowed keys (owned by the caller's vault) and a guarded
 * workspace reused across appends. Batch appends inside vg_store_begin/commit are durable
 * at commit; a lone append outside a transaction is durable when it returns. After a
 * failed append inside a transaction, roll back and reopen the writer: its head may be
 * ahead of the store.
 */
#ifndef VIGIL_FEED_H
#define VIGIL_FEED_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vigil/age.h"
#include "vigil/entry.h"
#include "vigil/minisign.h"
#include "vigil/store.h"

struct vg_feed {
	struct vg_store *store;
	const struct vg_minisign_sk *sk;
	const uint8_t *vault_key;
	const struct vg_age_recipient *rcpts;
	size_t nrcpts;
	size_t bucket;
	uint64_t roster;
	uint8_t org[VG_ID_BYTES];
	uint8_t author[VG_ID_BYTES];
	uint64_t head_seq; /* 0 when the feed is empty */
	uint8_t head_id[VG_ID_BYTES];
	struct vg_entry_work work;
	uint8_t *file_key; /* guarded scratch, VG_AGE_FILE_KEY_BYTES */
};

/*
 * Start writing the feed of sk's key in store: reads its head. rcpts (n of them) are the
 * recipients of roster version `roster`; everything is borrowed and must outlive f.
 * VG_EFORK while a blocking sync alarm stands (another copy of this key wrote the
 * device's branch: vg_sync_blocked), so the feed does not fork further.
 */
int vg_feed_open(struct vg_feed *f, struct vg_store *store, const struct vg_minisign_sk *sk,
		 const uint8_t *vault_key, const uint8_t org[VG_ID_BYTES], uint64_t roster,
		 const struct vg_age_recipient *rcpts, size_t n, size_t bucket)
    __attribute__((warn_unused_result));
void vg_feed_release(struct vg_feed *f);

/*
 * Seal content (its body checked against the case record schema) as the next entry, store
 * it as accepted with its wrapped file key, and advance the head. id_out may be NULL.
 */
int vg_feed_append(struct vg_feed *f, uint8_t *id_out, const struct vg_entry_content *content)
    __attribute__((warn_unused_result));

/*
 * Read one of the device's own entries back through its wrapped file key: *doc_out gets
 * the plaintext document. VG_ENOTFOUND when the store keeps no key for it (another
 * member's entry, or a key a receipt destroyed). work may be NULL.
 */
int vg_feed_read(json_t **doc_out, struct vg_store *store, const uint8_t *vault_key,
		 const uint8_t id[VG_ID_BYTES], size_t bucket, struct vg_entry_work *work)
    __attribute__((warn_unused_result));

#endif
