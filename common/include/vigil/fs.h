/*
 * Files written the way acknowledged data must be: atomically and durably.
 */
#ifndef VIGIL_FS_H
#define VIGIL_FS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "vigil/buf.h"

/*
 * Replace path with data, atomically and durably: a new temporary file beside it
 * (O_CREAT|O_EXCL|O_NOFOLLOW, the given mode), write, fsync, rename over path, fsync of
 * the directory. After a crash path holds either the old or the new contents, never a
 * mix; a stale temporary file may remain and is ignored. When exclusive is nonzero an
 * existing path is refused (VG_EEXISTS) instead of replaced.
 */
int vg_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, int exclusive)
    __attribute__((warn_unused_result));

/*
 * Read a whole regular file (not following a final symlink) into out, appending.
 * Files larger than max are refused with VG_ELIMIT before they are read.
 */
int vg_fs_read_file(struct vg_buf *out, const char *path, size_t max)
    __attribute__((warn_unused_result));

/* fsync the directory that contains path. */
int vg_fs_sync_parent(const char *path) __attribute__((warn_unused_result));

#endif
