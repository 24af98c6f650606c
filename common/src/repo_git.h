/*
 * The libgit2 side of a struct vg_repo, for the library's own modules that talk to remotes
 * (sync.c). Not part of the public face.
 */
#ifndef VIGIL_REPO_GIT_H
#define VIGIL_REPO_GIT_H

#include <stddef.h>

#include <git2.h>

#include "vigil/repo.h"

/* Borrowed; valid while r is open. */
git_repository *vg_repo__git(struct vg_repo *r);

/*
 * Look up the blob oid (path names it in messages) after checking, from the object header
 * and before loading it, that it is a blob of at most max bytes (VG_ELIMIT otherwise).
 */
int vg_repo__read_blob(struct vg_repo *r, git_blob **out, const git_oid *oid, size_t max,
		       const char *path) __attribute__((warn_unused_result));

/* A libgit2 failure as a vg_error with code and what, and libgit2's message. */
int vg_repo__fail(int code, const char *what);

#endif
