/*
 * The device's store: one SQLite database holding entries (their .age and .age.minisig
 * bytes and the public columns of common/FORMAT.md, "Store"), the file keys of the device's
 * own entries wrapped under its vault key, and drafts sealed under the vault key. No
 * plaintext field, no index of names, no temporary file in clear.
 *
 * Opened with WAL and synchronous=FULL (a committed transaction is on disk), secure_delete,
 * the defensive configuration, trusted_schema off and temporary storage in memory; the file
 * is created 0600. One struct vg_store belongs to one thread at a time.
 */
#ifndef VIGIL_STORE_H
#define VIGIL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/age.h"
#include "vigil/buf.h"
#include "vigil/entry.h"

/* Where an entry stands; the values are stored. */
enum vg_entry_state {
	VG_STATE_ACCEPTED = 0,	  /* verified and on its author's chain */
	VG_STATE_PENDING = 1,	  /* verified, but its author's chain has a gap before it */
	VG_STATE_QUARANTINED = 2, /* refused by the roster's rules; kept with the reason */
};

struct vg_store;

/* Open (creating 0600 when missing) and bring the schema up to date. VG_EFORMAT when the
 * file is not a vigil store or is from a newer version. */
int vg_store_open(struct vg_store **out, const char *path) __attribute__((warn_unused_result));
void vg_store_close(struct vg_store *s);

/* Transactions; a failed statement inside leaves the transaction to be rolled back. */
int vg_store_begin(struct vg_store *s) __attribute__((warn_unused_result));
int vg_store_commit(struct vg_store *s) __attribute__((warn_unused_result));
void vg_store_rollback(struct vg_store *s);

/*
 * Whether an I/O error (a failed write or fsync, a full disk, a damaged page) was seen on
 * this handle. From then on every statement is refused: after a failed fsync the kernel
 * may have dropped the unwritten pages, so what SQLite holds in memory may not be what is
 * on the disk. The caller closes the store and opens it again, and vg_store_check proves
 * it before anything more is written (vigild stops; its next start does this).
 */
bool vg_store_failed(const struct vg_store *s);

/* Add an entry (VG_EEXISTS when its id is there). reason may be NULL; never plaintext. */
int vg_store_put_entry(struct vg_store *s, const struct vg_entry *e, enum vg_entry_state state,
		       const char *reason) __attribute__((warn_unused_result));

/* Read an entry back by id into e (initialised by the caller). VG_ENOTFOUND. */
int vg_store_get_entry(struct vg_store *s, struct vg_entry *e, enum vg_entry_state *state_out,
		       const uint8_t id[VG_ID_BYTES]) __attribute__((warn_unused_result));

/* The accepted entry with the highest sequence number of author: *seq_out 0 when none. */
int vg_store_feed_head(struct vg_store *s, uint64_t *seq_out, uint8_t id_out[VG_ID_BYTES],
		       const uint8_t author[VG_ID_BYTES]) __attribute__((warn_unused_result));

/*
 * A coordinator's receipt mark of author (receipt_marks, FORMAT.md 9 and 17.4): the
 * sequence its receipts cover, its newest one or the next its sync writes; 0 when none.
 */
int vg_store_receipt_mark(struct vg_store *s, uint64_t *seq_out, const uint8_t author[VG_ID_BYTES])
    __attribute__((warn_unused_result));

/*
 * What other coordinators' receipts said (receipts_seen, FORMAT.md 9): the highest
 * sequence of author a verified receipt of another coordinator covered, and that
 * coordinator's id; *seq_out 0 when none. put keeps the higher of the stored and seq.
 */
int vg_store_receipt_seen(struct vg_store *s, uint64_t *seq_out, uint8_t coordinator[VG_ID_BYTES],
			  const uint8_t author[VG_ID_BYTES]) __attribute__((warn_unused_result));
int vg_store_receipt_seen_put(struct vg_store *s, const uint8_t author[VG_ID_BYTES], uint64_t seq,
			      const uint8_t coordinator[VG_ID_BYTES])
    __attribute__((warn_unused_result));

/* Number of entries of author in a state; author NULL counts all authors. */
int vg_store_count(struct vg_store *s, uint64_t *out, const uint8_t *author,
		   enum vg_entry_state state) __attribute__((warn_unused_result));

/*
 * Call fn for each entry of author (NULL: every author) in (author, seq) order; a nonzero
 * return from fn stops the walk and is returned. fn may call other store functions, but not
 * vg_store_foreach itself.
 */
typedef int (*vg_store_entry_fn)(void *ctx, const struct vg_entry *e, enum vg_entry_state state);
int vg_store_foreach(struct vg_store *s, const uint8_t *author, vg_store_entry_fn fn, void *ctx)
    __attribute__((warn_unused_result));

/*
 * File keys of the device's own entries, wrapped under the vault key
 * (XChaCha20-Poly1305, associated data binding the entry id). get writes the key into
 * file_key (guarded memory of the caller); VG_ENOTFOUND when none is kept (destroyed by a
 * receipt, or not the device's entry), VG_EAUTH when it does not unwrap (another vault key).
 */
int vg_store_put_file_key(struct vg_store *s, const uint8_t id[VG_ID_BYTES],
			  const uint8_t *vault_key, const uint8_t file_key[VG_AGE_FILE_KEY_BYTES])
    __attribute__((warn_unused_result));
int vg_store_get_file_key(struct vg_store *s, uint8_t *file_key, const uint8_t id[VG_ID_BYTES],
			  const uint8_t *vault_key) __attribute__((warn_unused_result));

/* Drafts of a device that has not joined an organisation: documents sealed under the vault
 * key. put returns the draft number; foreach opens each into a secure buffer for fn. */
int vg_store_put_draft(struct vg_store *s, int64_t *n_out, const uint8_t *vault_key,
		       const uint8_t *doc, size_t len) __attribute__((warn_unused_result));
typedef int (*vg_store_draft_fn)(void *ctx, int64_t n, const uint8_t *doc, size_t len);
int vg_store_foreach_draft(struct vg_store *s, const uint8_t *vault_key, vg_store_draft_fn fn,
			   void *ctx) __attribute__((warn_unused_result));
int vg_store_delete_draft(struct vg_store *s, int64_t n) __attribute__((warn_unused_result));
/* Open draft n into out (a secure buffer; replaced). VG_ENOTFOUND, VG_EAUTH. */
int vg_store_get_draft(struct vg_store *s, struct vg_buf *out, const uint8_t *vault_key, int64_t n)
    __attribute__((warn_unused_result));

/* vg_store_foreach for author's entries with a sequence number above after. */
int vg_store_foreach_after(struct vg_store *s, const uint8_t author[VG_ID_BYTES], uint64_t after,
			   vg_store_entry_fn fn, void *ctx) __attribute__((warn_unused_result));

/*
 * The daemon's case index (FORMAT.md 9, "case_index"), one blob sealed under the vault key:
 * a cache of what the device's own entries and drafts say, so an unlock need not open every
 * entry. put replaces it; get opens it into out (secure: it is case data), VG_ENOTFOUND,
 * VG_EAUTH (another vault key); delete drops it. Whoever destroys file keys or rotates the
 * vault key deletes it too.
 */
int vg_store_put_case_index(struct vg_store *s, const uint8_t *vault_key, const uint8_t *data,
			    size_t len) __attribute__((warn_unused_result));
int vg_store_get_case_index(struct vg_store *s, struct vg_buf *out, const uint8_t *vault_key)
    __attribute__((warn_unused_result));
int vg_store_delete_case_index(struct vg_store *s) __attribute__((warn_unused_result));

/* PRAGMA integrity_check: 0 when "ok", VG_EFORMAT with the first complaint otherwise. */
int vg_store_check(struct vg_store *s) __attribute__((warn_unused_result));

/*
 * Panic (vigil panic): delete every wrapped file key and every draft in one transaction
 * (secure_delete zeroes their pages), then checkpoint and truncate the WAL so no older page
 * holding them stays in it. *file_keys and *drafts (either may be NULL) get the numbers
 * deleted. Ciphertext and public columns stay.
 */
int vg_store_shred(struct vg_store *s, uint64_t *file_keys, uint64_t *drafts)
    __attribute__((warn_unused_result));

/*
 * Receipts (FORMAT.md 17.7, 17.8). delete_file_key destroys one entry's wrapped key
 * (*deleted says whether there was one). The sealed list of delivered case ids
 * (VG_CASE_ID_BYTES each): get opens it into out (secure; empty when there is none),
 * put replaces it. rewrap opens every file key, draft and the delivered list with old_key
 * and seals them again with new_key, and deletes the case index: call it inside a
 * transaction. checkpoint runs wal_checkpoint(TRUNCATE); VG_EBUSY when it could not
 * complete.
 */
int vg_store_delete_file_key(struct vg_store *s, bool *deleted, const uint8_t id[VG_ID_BYTES])
    __attribute__((warn_unused_result));
int vg_store_get_delivered(struct vg_store *s, struct vg_buf *out, const uint8_t *vault_key)
    __attribute__((warn_unused_result));
int vg_store_put_delivered(struct vg_store *s, const uint8_t *vault_key, const uint8_t *list,
			   size_t len) __attribute__((warn_unused_result));
int vg_store_rewrap(struct vg_store *s, const uint8_t *old_key, const uint8_t *new_key)
    __attribute__((warn_unused_result));
int vg_store_checkpoint(struct vg_store *s) __attribute__((warn_unused_result));

#endif
