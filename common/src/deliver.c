#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "store_db.h"
#include "vigil/deliver.h"
#include "vigil/entry.h"
#include "vigil/error.h"
#include "vigil/fs.h"
#include "vigil/sync.h"

#define KEY_GENERATION "vault_generation"
#define KEY_ROTATE     "rotate_due"
#define KEY_CHECKPOINT "checkpoint_due"

static int new_path(char *out, size_t outsz, const char *vault_path)
{
	int n = snprintf(out, outsz, "%s" VG_DELIVER_NEW_SUFFIX, vault_path);

	return n < 0 || (size_t)n >= outsz ? vg_error_set(VG_EINVAL, "vault path too long") : 0;
}

int vg_deliver_store_generation(struct vg_store *s, uint64_t *out)
{
	int64_t g = 0;
	int rc = vg_sync_state_int(s, KEY_GENERATION, &g);

	*out = g > 0 ? (uint64_t)g : 0;
	return rc;
}

int vg_deliver_received(struct vg_store *s, const uint8_t self[VG_ID_BYTES], uint64_t *out)
{
	sqlite3 *db = vg_store__db(s);
	sqlite3_stmt *st = NULL;
	int rc;

	*out = 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT count(*) FROM entries e WHERE e.author = ? AND e.state = 0 "
			       "AND NOT EXISTS (SELECT 1 FROM file_keys k WHERE k.id = e.id)",
			       -1, &st, NULL) != SQLITE_OK)
		return vg_error_set(VG_EIO, "store: %s", sqlite3_errmsg(db));
	sqlite3_bind_blob(st, 1, self, VG_ID_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = (uint64_t)sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = vg_error_set(VG_EIO, "store: cannot count received entries: %s",
				  sqlite3_errmsg(db));
	}
	sqlite3_finalize(st);
	return rc;
}

static int cmp_case(const void *a, const void *b)
{
	return memcmp(a, b, VG_CASE_ID_BYTES);
}

/* The case of an own entry, opened with its file key; VG_ENOTFOUND when none is kept. */
static int case_of(uint8_t case_id[VG_CASE_ID_BYTES], struct vg_store *s, const uint8_t *key,
		   const struct vg_roster_set *set, const uint8_t id[VG_ID_BYTES],
		   struct vg_entry_work *work)
{
	struct vg_entry e;
	const struct vg_roster *r;
	uint8_t *fk = sodium_malloc(VG_AGE_FILE_KEY_BYTES);
	json_t *doc = NULL;
	const char *cs;
	int rc;

	if (fk == NULL)
		return vg_error_set(VG_ENOMEM, "cannot allocate guarded memory");
	vg_entry_init(&e);
	if ((rc = vg_store_get_file_key(s, fk, id, key)) < 0 ||
	    (rc = vg_store_get_entry(s, &e, NULL, id)) < 0)
		goto done;
	if ((r = vg_roster_set_get(set, e.meta.roster)) == NULL) {
		rc = vg_error_set(VG_ENOTFOUND, "roster version %llu is not held",
				  (unsigned long long)e.meta.roster);
		goto done;
	}
	if ((rc = vg_entry_open(&doc, &e.meta, e.age.ptr, e.age.len, NULL, fk, r->policy.bucket,
				work)) < 0)
		goto done;
	cs = json_string_value(json_object_get(doc, "case"));
	if (cs == NULL || vg_hex_decode(case_id, VG_CASE_ID_BYTES, cs, strlen(cs)) < 0)
		rc = vg_error_set(VG_EFORMAT, "an entry names no case");
done:
	json_decref(doc);
	vg_entry_release(&e);
	sodium_free(fk);
	return rc;
}

int vg_deliver_destroy(size_t *destroyed, struct vg_store *s, struct vg_vault *v,
		       const char *vault_path, const struct vg_roster_set *set,
		       const uint8_t (*ids)[VG_ID_BYTES], size_t n)
{
	struct vg_buf list = VG_BUF_INIT_SECURE;
	struct vg_entry_work work = VG_ENTRY_WORK_INIT;
	size_t gone = 0;
	int rc;

	if (destroyed != NULL)
		*destroyed = 0;
	if (n == 0)
		return vg_deliver_finish(NULL, s, v, vault_path);
	if ((rc = vg_store_begin(s)) < 0)
		return rc;
	if ((rc = vg_store_get_delivered(s, &list, v->key)) < 0)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		uint8_t case_id[VG_CASE_ID_BYTES];
		bool deleted;

		/* A key that is gone already, or opens nothing, still goes: only its case is
		 * not listed. */
		rc = case_of(case_id, s, v->key, set, ids[i], &work);
		if (rc == VG_ENOMEM || rc == VG_EIO)
			goto fail;
		if (rc == 0 && (rc = vg_buf_put(&list, case_id, sizeof(case_id))) < 0)
			goto fail;
		if ((rc = vg_store_delete_file_key(s, &deleted, ids[i])) < 0)
			goto fail;
		gone += deleted ? 1 : 0;
	}
	if (gone == 0) {
		vg_store_rollback(s);
		goto finish;
	}
	qsort(list.ptr, list.len / VG_CASE_ID_BYTES, VG_CASE_ID_BYTES, cmp_case);
	{
		size_t k = 0, m = list.len / VG_CASE_ID_BYTES;
		for (size_t i = 0; i < m; i++)
			if (k == 0 ||
			    memcmp(list.ptr + (k - 1) * VG_CASE_ID_BYTES,
				   list.ptr + i * VG_CASE_ID_BYTES, VG_CASE_ID_BYTES) != 0)
				memmove(list.ptr + (k++) * VG_CASE_ID_BYTES,
					list.ptr + i * VG_CASE_ID_BYTES, VG_CASE_ID_BYTES);
		list.len = k * VG_CASE_ID_BYTES;
	}
	/* The case index summarises what was just destroyed: it goes in the same transaction. */
	if ((rc = vg_store_delete_case_index(s)) < 0 ||
	    (rc = vg_store_put_delivered(s, v->key, list.ptr, list.len)) < 0 ||
	    (rc = vg_sync_state_set_int(s, KEY_ROTATE, 1)) < 0 || (rc = vg_store_commit(s)) < 0)
		goto fail;
	if (destroyed != NULL)
		*destroyed = gone;
finish:
	vg_buf_release(&list);
	vg_entry_work_release(&work);
	return vg_deliver_finish(NULL, s, v, vault_path);
fail:
	vg_store_rollback(s);
	vg_buf_release(&list);
	vg_entry_work_release(&work);
	return rc;
}

/* 17.8, and with new_age also 17.9: a fresh age identity in the new vault. */
static int rotate(struct vg_store *s, struct vg_vault *v, const char *vault_path, bool new_age)
{
	struct vg_vault *nv = NULL;
	struct vg_age_identity *swap;
	char path[4096];
	uint64_t g = vg_vault_generation(v), gs;
	int rc;

	if ((rc = new_path(path, sizeof(path), vault_path)) < 0 ||
	    (rc = vg_deliver_store_generation(s, &gs)) < 0)
		return rc;
	if (gs != g)
		return vg_error_set(VG_EMISMATCH,
				    "the store's vault generation (%llu) is not the vault's (%llu)",
				    (unsigned long long)gs, (unsigned long long)g);
	if ((rc = vg_vault_copy(&nv, v)) < 0)
		return rc;
	randombytes_buf(nv->key, VG_VAULT_KEY_BYTES);
	if (new_age) {
		vg_age_identity_free(nv->age);
		nv->age = NULL;
		if ((rc = vg_age_identity_generate(&nv->age)) < 0)
			goto done;
	}
	/* 1. The new vault, sealed under the kept slot key, beside the old one. */
	if ((rc = vg_vault_set_generation(nv, g + 1)) < 0 ||
	    (rc = vg_vault_write(path, 0, nv, NULL, 0)) < 0)
		goto done;
	/* 2. Everything sealed in the store, under the new key, with the new generation. */
	if ((rc = vg_store_begin(s)) < 0)
		goto stale;
	if ((rc = vg_store_rewrap(s, v->key, nv->key)) < 0 ||
	    (rc = vg_sync_state_set_int(s, KEY_GENERATION, (int64_t)(g + 1))) < 0 ||
	    (rc = vg_sync_state_set_int(s, KEY_ROTATE, 0)) < 0 ||
	    (rc = vg_sync_state_set_int(s, KEY_CHECKPOINT, 1)) < 0 ||
	    (rc = vg_store_commit(s)) < 0) {
		vg_store_rollback(s);
		goto stale;
	}
	/* From here the store opens only with the new key: hold it whatever happens next. */
	memcpy(v->key, nv->key, VG_VAULT_KEY_BYTES);
	if (new_age) {
		/* The held identity is the new one; the old one is freed (zeroed) with nv. */
		swap = v->age;
		v->age = nv->age;
		nv->age = swap;
	}
	if ((rc = vg_vault_set_generation(v, g + 1)) < 0)
		goto done;
	/* 3. The new vault in place; a crash before this is completed by recovery. */
	if (rename(path, vault_path) < 0)
		rc = vg_error_sys("cannot move '%s' into place", path);
	else
		rc = vg_fs_sync_parent(vault_path);
	goto done;
stale:
	unlink(path); /* nothing was sealed under its key */
done:
	vg_vault_free(nv);
	return rc;
}

int vg_deliver_rotate(struct vg_store *s, struct vg_vault *v, const char *vault_path)
{
	return rotate(s, v, vault_path, false);
}

int vg_deliver_rotate_identity(struct vg_store *s, struct vg_vault *v, const char *vault_path)
{
	int rc = rotate(s, v, vault_path, true);

	if (rc < 0)
		return rc;
	/* The rotation's step 4: nothing from before it stays in the WAL. */
	return vg_deliver_finish(NULL, s, v, vault_path);
}

int vg_deliver_finish(bool *rotated, struct vg_store *s, struct vg_vault *v, const char *vault_path)
{
	int64_t due = 0, cp = 0;
	int rc;

	if (rotated != NULL)
		*rotated = false;
	if ((rc = vg_sync_state_int(s, KEY_ROTATE, &due)) < 0)
		return rc;
	if (due != 0) {
		if ((rc = vg_deliver_rotate(s, v, vault_path)) < 0)
			return rc;
		if (rotated != NULL)
			*rotated = true;
	}
	if ((rc = vg_sync_state_int(s, KEY_CHECKPOINT, &cp)) < 0 || cp == 0)
		return rc;
	/* No page image from before the destruction may stay in the WAL or the database. */
	if ((rc = vg_store_checkpoint(s)) < 0)
		return rc;
	return vg_sync_state_set_int(s, KEY_CHECKPOINT, 0);
}

int vg_deliver_recover(struct vg_vault **v, struct vg_store *s, const char *vault_path,
		       const char *pass, size_t passlen, char *msg, size_t msgsz)
{
	struct vg_vault *nv = NULL;
	char path[4096];
	struct stat st;
	uint64_t gv = vg_vault_generation(*v), gs;
	bool has_new;
	int rc;

	if (msgsz > 0)
		msg[0] = '\0';
	if ((rc = new_path(path, sizeof(path), vault_path)) < 0 ||
	    (rc = vg_deliver_store_generation(s, &gs)) < 0)
		return rc;
	has_new = lstat(path, &st) == 0;
	if (gs == gv) {
		/* A rotation that stopped before the store took its key: nothing uses it. */
		if (has_new && (unlink(path) < 0 || vg_fs_sync_parent(vault_path) < 0))
			return vg_error_sys("cannot remove '%s'", path);
		return 0;
	}
	if (gs == gv + 1 && has_new) {
		if ((rc = vg_vault_read(&nv, path, pass, passlen)) < 0)
			return vg_error_prefix(rc, "the vault of an interrupted key rotation");
		if (vg_vault_generation(nv) == gs) {
			if (rename(path, vault_path) < 0) {
				vg_vault_free(nv);
				return vg_error_sys("cannot move '%s' into place", path);
			}
			if ((rc = vg_fs_sync_parent(vault_path)) < 0) {
				vg_vault_free(nv);
				return rc;
			}
			vg_vault_free(*v);
			*v = nv;
			return 0;
		}
		vg_vault_free(nv);
	}
	snprintf(msg, msgsz,
		 "the vault (key generation %llu) and the store (generation %llu) disagree: one "
		 "was restored from another time; entries sealed under another key do not open",
		 (unsigned long long)gv, (unsigned long long)gs);
	return 1;
}
