/*
 * Sync through a git repository (common/FORMAT.md 10, 15, 16; DESIGN.md "Sync"): fetch
 * what this member needs from a remote, check that every branch only moved forward from
 * the commit verified last, verify and import every new entry under the roster's
 * acceptance rules, take newer roster versions from the roster branch, commit the device's
 * own new entries to its branch and push it (and, for coordinators, the roster branch) as
 * a fast-forward.
 *
 * Nothing on the remote is trusted: refspecs have no '+', what a remote advertises is
 * compared with the verified heads the store keeps, and a branch that went backwards or
 * was rewritten raises an alarm and changes nothing trusted. Alarms are kept in the store
 * until cleared; a blocking alarm (another copy of this device's key writing its branch)
 * stops the device's feed from growing (vg_feed_open refuses) and its branch from being
 * pushed.
 *
 * The remote is a path to a bare repository or a file:// URL, used in process, or an
 * ssh:// or https:// URL, whose transfers run in the network helper vigil-net
 * (vigil/net.h) with the pin and transport credential the caller gives. The local repository (bare)
 * keeps the device's own branch, the roster branch and what was fetched under refs/vigil/remote/.
 * Caps: new objects and bytes per fetch, blob sizes (from object headers, before loading), a
 * wall-clock budget checked in libgit2's progress callbacks and between branches.
 *
 * Runs on the caller's thread; uses the store and repository given, one sync at a time.
 */
#ifndef VIGIL_SYNC_H
#define VIGIL_SYNC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "vigil/id.h"
#include "vigil/roster.h"
#include "vigil/store.h"
#include "vigil/vault.h"

#define VG_SYNC_ROSTER_REF	"refs/heads/roster"
#define VG_SYNC_TRACKING_PREFIX "refs/vigil/remote/"
#define VG_SYNC_OBJECTS_MAX	1000000			/* new objects per fetch */
#define VG_SYNC_BYTES_MAX	(2048ULL * 1024 * 1024) /* bytes received per fetch */
#define VG_SYNC_SECONDS_DEFAULT 600
#define VG_SYNC_REMOTE_MAX	1024
#define VG_SYNC_ALARM_MAX	512 /* an alarm's message, with its NUL */
#define VG_SYNC_PUSH_RETRIES	3   /* rejected roster pushes resolved before giving up */

/* Called with a short line (ids and counts only) as a sync goes. */
typedef void (*vg_sync_progress_fn)(void *ctx, const char *msg);
/* Called as a counted step goes (done of total, at most every 100 ms and at the end):
 * objects received while fetching, own entries committed. */
typedef void (*vg_sync_count_fn)(void *ctx, const char *what, uint64_t done, uint64_t total);

/*
 * What a network remote needs (ignored for a path remote). helper: a waiting vigil-net
 * the daemon started before unlock, taken by the sync (always freed by it, even on an
 * early error); NULL: one is started (program, NULL: vg_net_program).
 */
struct vg_net;
struct vg_sync_net {
	const uint8_t *pin; /* 32 bytes, NULL: none */
	const uint8_t *cred;
	size_t cred_len;   /* 0: none */
	const char *proxy; /* NULL or "": none */
	struct vg_net *helper;
	const char *program;
	/* Waited on beside the helper: vg_net_params (vigil/net.h) says how. */
	const int *wake_fds;
	size_t nwake;
	bool (*wake)(void *ctx, char *why, size_t whysz);
	void *wake_ctx;
};

struct vg_sync_options {
	const char *repo;	/* the local bare repository, created when missing */
	const char *remote;	/* a path, a file://, ssh:// or https:// URL */
	struct vg_sync_net net; /* for ssh:// and https:// */
	const char *roster_dir; /* trusted roster directory (org.pub, versions): new ones added */
	struct vg_store *store;
	uint8_t self[VG_ID_BYTES]; /* this device's author id */
	uint64_t max_objects;	   /* 0: VG_SYNC_OBJECTS_MAX */
	uint64_t max_bytes;	   /* 0: VG_SYNC_BYTES_MAX */
	unsigned seconds;	   /* wall-clock budget; 0: VG_SYNC_SECONDS_DEFAULT */
	time_t now;		   /* for roster expiry; 0: time(NULL) */
	vg_sync_progress_fn progress;
	vg_sync_count_fn count; /* may be NULL */
	void *ctx;		/* for progress and count */
	/*
	 * Receipts (FORMAT.md 17): the held vault (NULL: none written or honoured) and its
	 * path. A coordinator signs receipts and decrypts with it; a monitor's read keys are
	 * destroyed and its vault key rotated in place (vigil/deliver.h).
	 */
	struct vg_vault *vault;
	const char *vault_path;
};

struct vg_sync_report {
	uint64_t roster_version; /* newest roster version held after the sync */
	size_t roster_taken;	 /* versions taken from the roster branch */
	size_t roster_pushed;	 /* versions pushed to the roster branch */
	size_t branches;	 /* member branches that had moved */
	size_t fetched;		 /* new entries found on them */
	size_t accepted, pending, quarantined, refused;
	size_t promoted;	  /* pending entries accepted once their gap was filled */
	size_t committed;	  /* own entries committed to the local branch */
	size_t pushed;		  /* own entries the remote now holds that it did not */
	size_t alarms;		  /* alarms raised by this sync */
	size_t receipts_written;  /* a coordinator's receipts written */
	size_t receipts_checked;  /* coordinators' receipts branches read (monitors) */
	size_t receipts_honoured; /* receipts that named this device correctly */
	size_t receipts_ignored;  /* receipts not honoured (bad, unknown or revoked signer) */
	size_t received;	  /* own entries whose read keys were destroyed by this sync */
	double seconds;		  /* how long it took */
	bool revoked;		  /* this device is revoked in the newest roster held */
};

/*
 * One sync. Returns 0 when the remote was reached and every step ran (alarms may have
 * been raised: they are in the report and in the store). A device revoked in the roster
 * it holds, or in one the sync takes, still commits and pushes its own entries (those
 * past the cutoff are quarantined by readers), but judges no other branch and pushes no
 * roster; out->revoked tells the caller to destroy the keys then (DESIGN.md "At rest":
 * after pushing what it has not pushed), whether or not the push could be made. VG_ENOTFOUND when
 * the remote is not there (offline: own entries are committed locally and wait), VG_ENOTFOUND also
 * when roster_dir holds no roster (not joined), VG_ELIMIT when a cap or the time budget ran out,
 * VG_EIO, VG_ENOMEM. out is filled as far as the sync got.
 */
int vg_sync_run(struct vg_sync_report *out, const struct vg_sync_options *o)
    __attribute__((warn_unused_result));

/*
 * For `vigil join`: fetch the roster branch of remote into repo and verify every version
 * on it with org (the organisation key from an invitation, whose fingerprint the member
 * compared). *out (owned by the caller) holds every version; head_out the commit read.
 * net (NULL for a path remote) as in vg_sync_options; its helper is always taken.
 * VG_ENOTFOUND when the remote or its roster branch is missing, roster errors otherwise.
 */
int vg_sync_fetch_roster(struct vg_roster_set **out, uint8_t head_out[20], const char *repo,
			 const char *remote, const struct vg_sync_net *net,
			 const struct vg_minisign_pk *org, unsigned seconds)
    __attribute__((warn_unused_result));

/* Write every version of s that dir lacks into dir (vg_roster_dir_write). */
int vg_sync_roster_save(const struct vg_roster_set *s, const char *dir, const char *repo,
			const uint8_t head[20]) __attribute__((warn_unused_result));

/*
 * A remote this version can reach, 1..VG_SYNC_REMOTE_MAX printable ASCII bytes: an
 * absolute path, a file:// URL, ssh://[user@]host[:port]/path or https://host[:port]/path
 * (no scp-like host:path, no password in a URL). VG_EINVAL, VG_EUNSUPPORTED (http://,
 * other schemes).
 */
int vg_sync_remote_check(const char *url) __attribute__((warn_unused_result));

/* ---- what the store keeps (FORMAT.md 16) ---- */

/* A value of sync_state: integer (0 when absent) or text ("" when absent). */
int vg_sync_state_int(struct vg_store *s, const char *key, int64_t *out)
    __attribute__((warn_unused_result));
int vg_sync_state_set_int(struct vg_store *s, const char *key, int64_t v)
    __attribute__((warn_unused_result));
int vg_sync_state_text(struct vg_store *s, const char *key, char *out, size_t outsz)
    __attribute__((warn_unused_result));
int vg_sync_state_set_text(struct vg_store *s, const char *key, const char *v)
    __attribute__((warn_unused_result));

/* The verified head of a branch: *found false when none was verified yet. */
int vg_sync_head(struct vg_store *s, bool *found, uint8_t oid[20], const char *ref)
    __attribute__((warn_unused_result));
int vg_sync_head_set(struct vg_store *s, const char *ref, const uint8_t oid[20])
    __attribute__((warn_unused_result));

/*
 * Alarms: one per (kind, subject), raised again it counts up and keeps the newest message.
 * Kinds: "rollback", "rewrite", "branch", "fork", "clone", "roster", "coordinator",
 * "foreign". blocking: appends to this device's feed are refused until it is cleared.
 */
int vg_sync_alarm_raise(struct vg_store *s, const char *kind, const char *subject, bool blocking,
			const char *fmt, ...) __attribute__((format(printf, 5, 6)));
typedef int (*vg_sync_alarm_fn)(void *ctx, const char *kind, const char *subject,
				const char *message, bool blocking, int64_t count);
int vg_sync_alarm_foreach(struct vg_store *s, vg_sync_alarm_fn fn, void *ctx)
    __attribute__((warn_unused_result));
/* Clear alarms of kind (NULL: every kind). *n (may be NULL) says how many. */
int vg_sync_alarm_clear(struct vg_store *s, const char *kind, size_t *n)
    __attribute__((warn_unused_result));
/* Whether a blocking alarm stands; why (may be NULL) gets its message. */
int vg_sync_blocked(struct vg_store *s, bool *yes, char *why, size_t whysz)
    __attribute__((warn_unused_result));

/* Own entries the remote holds (delivered) and those it does not yet (pending). */
int vg_sync_counts(struct vg_store *s, const uint8_t self[VG_ID_BYTES], uint64_t *pending,
		   uint64_t *delivered) __attribute__((warn_unused_result));

#endif
