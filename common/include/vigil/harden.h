/*
 * Process hardening for programs that hold secrets, and what the kernel says about locked
 * memory.
 */
#ifndef VIGIL_HARDEN_H
#define VIGIL_HARDEN_H

/*
 * umask(077), RLIMIT_CORE 0 and PR_SET_DUMPABLE 0. The last is what really keeps secrets
 * out of core files (a core piped to a handler ignores RLIMIT_CORE) and keeps processes of
 * the same uid from attaching with ptrace or reading /proc/<pid>/mem; the kernel also makes
 * root the owner of /proc/<pid>/ files. Call first in main. VG_EIO when a call fails.
 */
int vg_harden_process(void) __attribute__((warn_unused_result));

/* Locked memory of this process, in KiB. */
struct vg_memlock {
	long locked_kib; /* VmLck of /proc/self/status */
	long limit_kib;	 /* soft RLIMIT_MEMLOCK; -1 when unlimited */
};

/*
 * Fill out. sodium_malloc memory is locked only while RLIMIT_MEMLOCK allows it (libsodium
 * ignores a failed mlock), so this is how a program learns whether its secrets could be
 * swapped out. VG_EIO when /proc/self/status cannot be read.
 */
int vg_harden_memlock(struct vg_memlock *out) __attribute__((warn_unused_result));

#endif
