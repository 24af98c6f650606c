#include <string.h>

#include <sodium.h>

#include "vigil/error.h"
#include "vigil/feed.h"
#include "vigil/id.h"
#include "vigil/record.h"
#include "vigil/sync.h"

int vg_feed_open(struct vg_feed *f, struct vg_store *store, const struct vg_minisign_sk *sk,
		 const uint8_t *vault_key, const uint8_t org[VG_ID_BYTES], uint64_t roster,
		 const struct vg_age_recipient *rcpts, size_t n, size_t bucket)
{
	struct vg_minisign_pk pk;
	char why[VG_SYNC_ALARM_MAX];
	bool blocked;
	int rc;

	memset(f, 0, sizeof(*f));
	f->work = (struct vg_entry_work)VG_ENTRY_WORK_INIT;
	f->store = store;
	f->sk = sk;
	f->vault_key = vault_key;
	f->rcpts = rcpts;
	f->nrcpts = n;
	f->bucket = bucket;
	f->roster = roster;
	memcpy(f->org, org, VG_ID_BYTES);
	vg_minisign_sk_public(&pk, sk);
	vg_id_of_key(f->author, &pk);
	if ((f->file_key = sodium_malloc(VG_AGE_FILE_KEY_BYTES)) == NULL)
		return vg_error_set(VG_ENOMEM, "cannot allocate guarded memory");
	/* Another copy of this key wrote its branch: a new entry would fork the feed. */
	if ((rc = vg_sync_blocked(store, &blocked, why, sizeof(why))) < 0)
		return rc;
	if (blocked)
		return vg_error_set(VG_EFORK, "appending is refused until an alarm is resolved: %s",
				    why);
	return vg_store_feed_head(store, &f->head_seq, f->head_id, f->author);
}

void vg_feed_release(struct vg_feed *f)
{
	if (f == NULL)
		return;
	vg_entry_work_release(&f->work);
	if (f->file_key != NULL)
		sodium_free(f->file_key);
	memset(f, 0, sizeof(*f));
}

int vg_feed_append(struct vg_feed *f, uint8_t *id_out, const struct vg_entry_content *content)
{
	struct vg_entry e;
	struct vg_entry_meta meta;
	uint8_t *fk = f->file_key;
	int rc;

	if ((rc = vg_record_check(content->type, content->body)) < 0)
		return rc;
	if (f->head_seq >= VG_ENTRY_INT_MAX)
		return vg_error_set(VG_ELIMIT, "feed is full");
	memset(&meta, 0, sizeof(meta));
	memcpy(meta.org, f->org, VG_ID_BYTES);
	memcpy(meta.author, f->author, VG_ID_BYTES);
	meta.seq = f->head_seq + 1;
	memcpy(meta.prev, f->head_id, VG_ID_BYTES);
	meta.roster = f->roster;
	vg_entry_init(&e);
	if ((rc = vg_entry_seal(&e, fk, f->sk, &meta, f->rcpts, f->nrcpts, f->bucket, content,
				&f->work)) < 0 ||
	    (rc = vg_store_put_entry(f->store, &e, VG_STATE_ACCEPTED, NULL)) < 0 ||
	    (rc = vg_store_put_file_key(f->store, e.id, f->vault_key, fk)) < 0)
		goto done;
	f->head_seq = meta.seq;
	memcpy(f->head_id, e.id, VG_ID_BYTES);
	if (id_out != NULL)
		memcpy(id_out, e.id, VG_ID_BYTES);
done:
	sodium_memzero(fk, VG_AGE_FILE_KEY_BYTES);
	vg_entry_release(&e);
	return rc;
}

int vg_feed_read(json_t **doc_out, struct vg_store *store, const uint8_t *vault_key,
		 const uint8_t id[VG_ID_BYTES], size_t bucket, struct vg_entry_work *work)
{
	struct vg_entry e;
	uint8_t *fk = sodium_malloc(VG_AGE_FILE_KEY_BYTES);
	int rc;

	if (fk == NULL)
		return vg_error_set(VG_ENOMEM, "cannot allocate guarded memory");
	vg_entry_init(&e);
	if ((rc = vg_store_get_file_key(store, fk, id, vault_key)) == 0 &&
	    (rc = vg_store_get_entry(store, &e, NULL, id)) == 0)
		rc = vg_entry_open(doc_out, &e.meta, e.age.ptr, e.age.len, NULL, fk, bucket, work);
	sodium_free(fk);
	vg_entry_release(&e);
	return rc;
}
