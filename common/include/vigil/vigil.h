/*
 * Library start-up. Call vg_init once per process before any other vg_ function; it is
 * safe to call again. Returns 0, or VG_ERROR when libsodium cannot initialise.
 */
#ifndef VIGIL_VIGIL_H
#define VIGIL_VIGIL_H

int vg_init(void) __attribute__((warn_unused_result));

const char *vg_version(void);

#endif
