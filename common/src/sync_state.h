/*
 * What sync keeps in the store beside the entries (FORMAT.md 16), for sync.c: the
 * queries the acceptance rules need about an author's chain, and state changes of
 * entries. Internal: the public part is in vigil/sync.h.
 */
#ifndef VIGIL_SYNC_STATE_H
#define VIGIL_SYNC_STATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <git2.h>

#include "vigil/buf.h"
#include "vigil/id.h"
#include "vigil/repo.h"
#include "vigil/store.h"

/*
 * The accepted entry of author at seq: *found, its id and its prev (either may be NULL).
 */
int vg_sync__entry_at(struct vg_store *s, bool *found, uint8_t *id, uint8_t *prev,
		      const uint8_t author[VG_ID_BYTES], uint64_t seq)
    __attribute__((warn_unused_result));

/* Whether an entry with this id is in the store, in any state. */
int vg_sync__has_entry(struct vg_store *s, bool *found, const uint8_t id[VG_ID_BYTES])
    __attribute__((warn_unused_result));

/*
 * Ids of author's entries (ascending seq) in state, or with seq > after when state is
 * accepted and after is not 0... : *ids (malloc'd, n of them) belongs to the caller.
 */
int vg_sync__ids(struct vg_store *s, uint8_t (**ids)[VG_ID_BYTES], size_t *n,
		 const uint8_t author[VG_ID_BYTES], enum vg_entry_state state, uint64_t after)
    __attribute__((warn_unused_result));

/* Authors with pending entries: *authors (malloc'd, n) belongs to the caller. */
int vg_sync__pending_authors(struct vg_store *s, uint8_t (**authors)[VG_ID_BYTES], size_t *n)
    __attribute__((warn_unused_result));

/* Change the state (and reason, NULL for none) of an entry. */
int vg_sync__set_state(struct vg_store *s, const uint8_t id[VG_ID_BYTES], enum vg_entry_state state,
		       const char *reason) __attribute__((warn_unused_result));

/* Remove an entry that was pending and turned out refused (no file key is kept for it). */
int vg_sync__drop(struct vg_store *s, const uint8_t id[VG_ID_BYTES])
    __attribute__((warn_unused_result));

/*
 * The roster branch's layout (FORMAT.md 15) at tree: *newest gets the highest version.
 * With bad NULL the first problem is the error (VG_EFORMAT); otherwise each problem goes
 * to bad with its path and the check goes on (a nonzero return of bad stops it).
 */
int vg_sync__roster_layout(git_tree *tree, git_repository *git, uint64_t *newest,
			   vg_repo_bad_fn bad, void *ctx) __attribute__((warn_unused_result));

/* The files of version v (0: the top-level pair) of a roster branch's tree, size-capped. */
int vg_sync__roster_pair(struct vg_repo *repo, struct vg_buf *json, struct vg_buf *sig,
			 git_tree *tree, uint64_t v) __attribute__((warn_unused_result));

/*
 * The receipt files of commit oid (FORMAT.md 17.1): exactly receipt.json and its signature,
 * both mode 100644, size-capped. VG_EFORMAT (layout), VG_ELIMIT (a cap), VG_EIO.
 */
int vg_sync__commit_receipt(struct vg_repo *repo, struct vg_buf *json, struct vg_buf *sig,
			    const uint8_t oid[20]) __attribute__((warn_unused_result));

#endif
