/*
 * Library start-up. Call vg_init once per process before any other vg_ function; it is
 * safe to call again. Returns 0, or VG_ERROR when libsodium cannot initialise.
 */
#ifndef VIGIL_VIGIL_H
#define VIGIL_VIGIL_H

int vg_init(void) __attribute__((warn_unused_result));

/*
 * vg_init without libgit2, for programs that never open a repository (vigil, vigil-keys:
 * the daemon does the git work). libgit2's start-up sets up TLS, which parses the system
 * CA bundle: about 7 ms of every command's start, nearly half of it. Such a process must
 * not call vg_repo_* or vg_sync_*.
 */
int vg_init_without_git(void) __attribute__((warn_unused_result));

const char *vg_version(void);

#endif
