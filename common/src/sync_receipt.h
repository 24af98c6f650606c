/*
 * Step 7 of a sync (FORMAT.md 16 and 17), for sync.c: a coordinator writes and pushes its
 * next receipt; a monitor checks every coordinator's newest receipt and destroys the read
 * keys of what valid ones cover (and of what max_key_days covers). Internal.
 */
#ifndef VIGIL_SYNC_RECEIPT_H
#define VIGIL_SYNC_RECEIPT_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/repo.h"
#include "vigil/roster.h"
#include "vigil/sync.h"

struct vg_sync__receipts {
	const struct vg_sync_options *o;
	struct vg_sync_report *rep;
	struct vg_repo *repo;
	const struct vg_roster_set *set;
	enum vg_role role;
	/* Push ref (never forced) from old (the remote's head, NULL: none) to the remote:
	 * *rejected non-zero when refused. sync.c's, for path and network remotes. */
	int (*push)(void *ctx, const char *ref, const uint8_t *old, int *rejected);
	void *push_ctx;
	time_t now;
	/* The remote's refs/heads/receipts/... branches as the fetch listed them. */
	size_t n;
	const char *const *names;
	const uint8_t (*oids)[20];
};

int vg_sync__receipts_step(struct vg_sync__receipts *x) __attribute__((warn_unused_result));

#endif
