/*
 * The local git repository that carries entries (common/FORMAT.md, "Repository"): one
 * branch per member, refs/heads/members/<author-id>, holding entries/<xx>/<yy>/<id>.age and
 * <id>.age.minisig; commits with a fixed author and time and an empty message.
 *
 * libgit2 is set up once per process the way this needs (FACTS.md): fsync of the git
 * directory on, the user's and system's git configuration ignored, strict object creation
 * and hash verification on. The network part of sync is elsewhere; this is local work.
 */
#ifndef VIGIL_REPO_H
#define VIGIL_REPO_H

#include <stddef.h>
#include <stdint.h>

#include "vigil/entry.h"

#define VG_REPO_OID_BYTES  20
#define VG_REPO_BRANCH_MAX 128
/* Largest blob read from a repository: an entry's .age file cannot be larger. */
#define VG_REPO_BLOB_MAX VG_ENTRY_AGE_MAX

struct vg_repo;

/* Open the bare repository at path; with create, make it when missing. */
int vg_repo_open(struct vg_repo **out, const char *path, int create)
    __attribute__((warn_unused_result));
void vg_repo_free(struct vg_repo *r);

/* "refs/heads/members/<hex author id>" into out[VG_REPO_BRANCH_MAX]. */
void vg_repo_member_ref(char *out, const uint8_t author[VG_ID_BYTES]);

/* The commit a reference points at; VG_ENOTFOUND when there is no such reference. */
int vg_repo_head(struct vg_repo *r, uint8_t oid_out[VG_REPO_OID_BYTES], const char *ref)
    __attribute__((warn_unused_result));

/*
 * Commit entries on top of ref (a new root commit when ref does not exist yet) and move
 * ref to it, only if ref still points where it did (no other writer moved it). The new
 * tree differs from its parent by exactly the new files; an entry already in the tree is
 * VG_EEXISTS. The commit has author and committer "vigil <vigil@invalid>" at time 0 and an
 * empty message, so it reveals nothing.
 */
int vg_repo_append(struct vg_repo *r, uint8_t oid_out[VG_REPO_OID_BYTES], const char *ref,
		   const struct vg_entry *const *entries, size_t n)
    __attribute__((warn_unused_result));

/* *yes = 1 when ancestor is descendant or one of its ancestors (a fast-forward). */
int vg_repo_descends(struct vg_repo *r, int *yes, const uint8_t descendant[VG_REPO_OID_BYTES],
		     const uint8_t ancestor[VG_REPO_OID_BYTES]) __attribute__((warn_unused_result));

/*
 * Call fn for every entry in commit's tree that is not in since's tree (since NULL: every
 * entry), in path order. Files the layout does not allow (anything but
 * entries/<xx>/<yy>/<id>.age and .age.minisig with xx, yy the id's first hex digits, a
 * .age without its signature or the reverse, a blob over VG_REPO_BLOB_MAX, a file removed
 * or changed since since) stop the walk with VG_EFORMAT naming the path. A nonzero return
 * of fn stops the walk and is returned.
 */
typedef int (*vg_repo_entry_fn)(void *ctx, const uint8_t id[VG_ID_BYTES], const uint8_t *age,
				size_t agelen, const char *sig, size_t siglen);
int vg_repo_foreach_entry(struct vg_repo *r, const uint8_t commit[VG_REPO_OID_BYTES],
			  const uint8_t *since, vg_repo_entry_fn fn, void *ctx)
    __attribute__((warn_unused_result));

/*
 * A whole branch, for a verifier that reports every problem instead of stopping at the
 * first (the audit, FORMAT.md 18): every file of commit's tree in path order, one leaf
 * directory in memory at a time. Each pair entries/<xx>/<yy>/<id>.age and .age.minisig of
 * the layout (FORMAT.md 10) goes to fn with both files' bytes, read without git's check
 * of their object ids (the entry's signature and id authenticate them); every other name is
 * given to bad with its path and why, and the walk goes on: a file or directory outside
 * the layout (nothing below a directory outside it is looked at), a file that is not a
 * regular file, a .age without its signature or the reverse, a blob larger than an entry
 * can be (from the object header, before it is loaded; the pair is not given to fn). A
 * nonzero return of fn or bad stops the walk and is returned.
 */
typedef int (*vg_repo_pair_fn)(void *ctx, const uint8_t id[VG_ID_BYTES], const uint8_t *age,
			       size_t agelen, const char *sig, size_t siglen);
typedef int (*vg_repo_bad_fn)(void *ctx, const char *path, const char *why);
/*
 * With dir not NULL the walk does not go below entries/<xx>: it gives dir each such
 * directory's path and tree id, for vg_repo_walk_dir, which walks one of them the same
 * way on any vg_repo of the same repository. So a verifier spreads a branch over threads,
 * each with its own vg_repo (one is never used by two threads at once).
 */
typedef int (*vg_repo_dir_fn)(void *ctx, const char *path, const uint8_t tree[VG_REPO_OID_BYTES]);
int vg_repo_walk(struct vg_repo *r, const uint8_t commit[VG_REPO_OID_BYTES], vg_repo_pair_fn fn,
		 vg_repo_dir_fn dir, vg_repo_bad_fn bad, void *ctx)
    __attribute__((warn_unused_result));
int vg_repo_walk_dir(struct vg_repo *r, const uint8_t tree[VG_REPO_OID_BYTES], const char *path,
		     vg_repo_pair_fn fn, vg_repo_bad_fn bad, void *ctx)
    __attribute__((warn_unused_result));

#endif
