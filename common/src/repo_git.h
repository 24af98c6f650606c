/*
 * The libgit2 side of a struct vg_repo, for the library's own modules that talk to remotes
 * (sync.c). Not part of the public face.
 */
#ifndef VIGIL_REPO_GIT_H
#define VIGIL_REPO_GIT_H

#include <stdbool.h>
#include <stddef.h>

#include <git2.h>

#include "vigil/buf.h"
#include "vigil/repo.h"

/* Borrowed; valid while r is open. */
git_repository *vg_repo__git(struct vg_repo *r);

/*
 * Look up the blob oid (path names it in messages) after checking, from the object header
 * and before loading it, that it is a blob of at most max bytes (VG_ELIMIT otherwise).
 */
int vg_repo__read_blob(struct vg_repo *r, git_blob **out, const git_oid *oid, size_t max,
		       const char *path) __attribute__((warn_unused_result));

/*
 * Index the pack (len bytes in memory) into the objects of the repository at path, in one
 * append; the pack and its index are fsync'd when fsync of the gitdir is on (vg_init).
 */
int vg_repo__index_pack(const char *path, const void *pack, size_t len)
    __attribute__((warn_unused_result));

/*
 * Push ref of r to the same ref of the bare repository at the path remote, never forced:
 * a pack of exactly what the commits since old add (old NULL: the whole branch, which the
 * remote must not have), indexed into the remote in one append and fsync'd, then the
 * remote's ref moved from old (or created) by compare-and-swap. *rejected = 1 when the
 * remote's ref was not where old says (another writer moved it), 2 when another writer
 * held its lock (it was moving it): nothing is changed but unreferenced objects. old must
 * be known in r.
 */
int vg_repo__push_path(struct vg_repo *r, int *rejected, const char *remote, const char *ref,
		       const uint8_t *old) __attribute__((warn_unused_result));

/*
 * Commit a tree of exactly the n files given (names at its top, mode 100644) on top of ref
 * (a root commit when ref does not exist), its objects in one pack, and move ref from where
 * it was (VG_EEXISTS when another writer moved it). Commits reveal nothing (as appends).
 */
int vg_repo__commit_files(struct vg_repo *r, uint8_t oid_out[VG_REPO_OID_BYTES], const char *ref,
			  const char *const *names, const struct vg_buf *const *files, size_t n)
    __attribute__((warn_unused_result));

/*
 * Remove the lock files a killed writer left in the bare repository at path: "<ref>.lock"
 * under refs/, and config.lock, packed-refs.lock, HEAD.lock. Only for a repository the
 * caller alone writes (the local repository of a home, whose daemon holds the home's
 * lock): any lock there outlived the process that took it, and would make every later
 * update fail. *n (may be NULL) counts the files removed.
 */
int vg_repo__clear_locks(const char *path, unsigned *n) __attribute__((warn_unused_result));

/*
 * Remove "<ref>.lock" in the bare repository at path, if there: the lock a push of the
 * caller's that was killed left on a remote (the caller knows it began that push and never
 * ended it). *removed says whether there was one.
 */
int vg_repo__unlock_ref(const char *path, const char *ref, bool *removed)
    __attribute__((warn_unused_result));

/* A libgit2 failure as a vg_error with code and what, and libgit2's message. */
int vg_repo__fail(int code, const char *what);

/*
 * A commit of tree (parent NULL: a root commit) with vigil's fixed author and committer
 * (FORMAT.md 10) and an empty message, written to git's object database; *out its id.
 * VG_EIO with libgit2's message.
 */
int vg_repo__commit(git_repository *git, git_oid *out, const git_oid *tree, const git_oid *parent)
    __attribute__((warn_unused_result));

#endif
