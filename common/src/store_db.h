/*
 * The store's database handle, for the library's own modules that keep their tables in it
 * (sync_state.c). Not part of the public face: agent/ and keys/ use store.h.
 */
#ifndef VIGIL_STORE_DB_H
#define VIGIL_STORE_DB_H

#include <sqlite3.h>

#include "vigil/store.h"

/* Borrowed; valid while s is open. Same threading rule as the store. */
sqlite3 *vg_store__db(struct vg_store *s);

#endif
