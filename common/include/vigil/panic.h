/*
 * Panic: destroy a device's key material at once, without the daemon and without the
 * passphrase (vigil panic). Flash keeps old blocks, so nothing here claims to erase data:
 * it destroys keys (crypto-shredding), so that what stays (ciphertext, public columns, the
 * public roster) decrypts for nobody holding only this device, its passphrase included.
 *
 * In order, each step fsynced before the next:
 *   1. the home's running vigild (by the pid in <data>/vigild.lock, only when that process
 *      is this user's vigild) is killed with SIGKILL, so the keys in its memory are gone;
 *   2. <data>/vault.key (device keys, vault key, transport credentials and pins) and every
 *      other sealed key file or passphrase-encrypted age identity under the home's data
 *      and config directories (organisation keys, recovery or exported identities kept
 *      there with --force), and any file of an interrupted earlier panic: each is first
 *      renamed to ".vigil-shred-*" (from then on no vigil program uses it), overwritten
 *      with random bytes, fsynced and unlinked, and its directory fsynced;
 *   3. every wrapped file key and draft in the store (vg_store_shred);
 *   4. <data>/identity.pub and <config>/org-key-path (which says where the offline
 *      organisation key is kept).
 * Then it checks that no usable key remains. Idempotent: an interrupted panic is completed
 * by running it again, and a half-destroyed file counts as one to destroy.
 */
#ifndef VIGIL_PANIC_H
#define VIGIL_PANIC_H

#include <stdbool.h>
#include <stdint.h>

#include "vigil/home.h"

/* The prefix a file being destroyed is renamed to. */
#define VG_PANIC_SHRED_PREFIX ".vigil-shred-"

struct vg_panic_report {
	bool daemon_killed;    /* a running vigild of this home was killed */
	unsigned key_files;    /* sealed key files and identity files destroyed */
	uint64_t file_keys;    /* wrapped file keys destroyed in the store */
	uint64_t drafts;       /* drafts destroyed in the store */
	bool store_unreadable; /* the store could not be opened: its wrapped keys are
				  useless without the vault key, which is gone */
};

/*
 * Panic the home h. 0 when no usable key remains; a negative code with the reason when
 * something could not be destroyed (run it again). out is filled either way.
 */
int vg_panic(struct vg_panic_report *out, const struct vg_home *h)
    __attribute__((warn_unused_result));

#endif
