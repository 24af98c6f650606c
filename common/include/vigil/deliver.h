/*
 * Write-only devices (common/FORMAT.md 17.5, 17.7, 17.8): destroying the read keys of the
 * device's own entries that a receipt (or the policy's max_key_days) covers, rotating the
 * vault key so that nothing destroyed was ever wrapped under a key the home still holds,
 * truncating the WAL, and recovering from a crash at any point of this at unlock.
 *
 * Ordering, so that a crash anywhere leaves every remaining sealed value of the store
 * openable with the vault key recovery picks: (1) one transaction destroys the file keys,
 * deletes the case index, adds the cases to the sealed delivered list and sets rotate_due;
 * (2) the vault with a new key and generation g + 1 is written to vault.key.new; (3) one
 * transaction rewraps every file key, draft and the delivered list under the new key and
 * records generation g + 1; (4) vault.key.new is renamed over vault.key; (5) the WAL is
 * checkpointed and truncated.
 *
 * The vault is the caller's held vault: rotation replaces its key (and generation) in
 * place. Callers run one of these at a time per home (the daemon is single-threaded).
 */
#ifndef VIGIL_DELIVER_H
#define VIGIL_DELIVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil/id.h"
#include "vigil/roster.h"
#include "vigil/store.h"
#include "vigil/vault.h"

#define VG_DELIVER_NEW_SUFFIX ".new" /* <vault>.new: the vault during a rotation */

/*
 * Destroy the file keys of the listed own entries (ids kept are skipped), in one
 * transaction, then rotate the vault key and truncate the WAL (vg_deliver_finish). Each
 * entry is opened first with its key to add its case to the delivered list (set gives the
 * bucket of its roster version). *destroyed (may be NULL) gets how many keys went.
 */
int vg_deliver_destroy(size_t *destroyed, struct vg_store *s, struct vg_vault *v,
		       const char *vault_path, const struct vg_roster_set *set,
		       const uint8_t (*ids)[VG_ID_BYTES], size_t n)
    __attribute__((warn_unused_result));

/*
 * Complete what a destruction left to do: rotate the vault key when rotate_due is set,
 * then checkpoint and truncate the WAL when that is due. *rotated (may be NULL) says
 * whether a rotation ran. Safe to call at any time (unlock, every sync).
 */
int vg_deliver_finish(bool *rotated, struct vg_store *s, struct vg_vault *v, const char *vault_path)
    __attribute__((warn_unused_result));

/* Rotate the vault key now (FORMAT.md 17.8); the store's generation must be v's. */
int vg_deliver_rotate(struct vg_store *s, struct vg_vault *v, const char *vault_path)
    __attribute__((warn_unused_result));

/*
 * Rotate the vault key and, in the same new vault, the device's age identity (FORMAT.md
 * 17.9: read-back switched off): the old identity is freed from v and gone from the home
 * once vault.key.new is in place; a crash leaves the old vault (redone at the next sync)
 * or the new one (recovery at unlock), as for any rotation. Then the WAL is truncated.
 */
int vg_deliver_rotate_identity(struct vg_store *s, struct vg_vault *v, const char *vault_path)
    __attribute__((warn_unused_result));

/*
 * Recovery at unlock (FORMAT.md 17.8), with *v just read from vault_path with pass: a
 * stale vault.key.new is removed; one whose rotation committed in the store is opened with
 * pass, renamed over vault_path, and replaces *v. Returns 0, or 1 when vault and store
 * disagree in a way no crash explains (*msg filled; the caller logs it and goes on).
 */
int vg_deliver_recover(struct vg_vault **v, struct vg_store *s, const char *vault_path,
		       const char *pass, size_t passlen, char *msg, size_t msgsz)
    __attribute__((warn_unused_result));

/* The store's vault generation (sync_state vault_generation; 0 when absent). */
int vg_deliver_store_generation(struct vg_store *s, uint64_t *out)
    __attribute__((warn_unused_result));

/* Own accepted entries (author self) whose file key was destroyed: "received". */
int vg_deliver_received(struct vg_store *s, const uint8_t self[VG_ID_BYTES], uint64_t *out)
    __attribute__((warn_unused_result));

#endif
