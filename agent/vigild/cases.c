/*
 * The monitor's case commands (agent/PROTOCOL.md, "Cases") and the case index.
 *
 * The store holds only ciphertext, so what a case says is read by opening the device's own
 * entries through their wrapped file keys (and its drafts through the vault key). The index
 * is that reading done once per unlock: for every case its entries, each reduced to what
 * the derivation needs (vigil/cases.h: type, superseded ids, an event's date and status, a
 * person's name and country), and the derived state, so that `case list` is a walk over
 * memory and an append re-derives one case. Bodies are read again only for `case show`.
 *
 * The index is plaintext in memory while the vault is unlocked, wiped with it. So that an
 * unlock does not open every entry again, it is kept in the store sealed under the vault
 * key (FORMAT.md 9, case_index) when the vault locks, and read back with the entries
 * appended since. Drafts are never in it: they are few and read afresh.
 *
 * Nothing from a record reaches the log: only counts and outcomes.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "agent.h"
#include "vigil/buf.h"
#include "vigil/cases.h"
#include "vigil/csv.h"
#include "vigil/error.h"
#include "vigil/idmap.h"
#include "vigil/feed.h"
#include "vigil/fs.h"
#include "vigil/id.h"
#include "vigil/record.h"
#include "vigil/roster.h"
#include "vigil/store.h"

#define ROSTER_DIR	  "roster"
#define STORE_FILE	  "store.db"
#define STORE_VERIFY_FILE "store.verify" /* the store must be checked before use */
#define LIST_PAGE_MAX	  2000		 /* cases in one case_list reply */
#define SHOW_PAGE_BYTES	  (1024 * 1024)	 /* plaintext of the events in one case_show reply */
#define PREFIX_MIN	  8		 /* hex digits of an abbreviated id */
#define SAVE_AFTER	  1000		 /* entries opened at unlock that make saving worth it */
#define PROGRESS_EVERY	  2000		 /* entries between progress messages */
#define INDEX_MAGIC	  "vigil-case-index v1\n"
#define INDEX_MAGIC_LEN	  (sizeof(INDEX_MAGIC) - 1)

struct rec {
	uint8_t id[VG_CASE_ID_BYTES];
	struct vg_case_item *items;
	size_t n, cap;
	struct vg_case_state *st; /* NULL when an item was added since */
};

struct vg_agent_cases {
	struct rec **recs; /* at the positions of their case ids in ids */
	size_t n, cap;
	struct vg_idmap ids; /* case ids */
	uint8_t author[VG_ID_BYTES];
	uint64_t head_seq; /* the newest entry of this device's feed in the index */
	uint8_t head_id[VG_ID_BYTES];
	size_t nentries; /* items from the feed (drafts not counted) */
	bool dirty;	 /* entries were added since the sealed copy was written */
};

/* ---- the index in memory ---- */

static struct rec *find_rec(const struct vg_agent_cases *ix, const uint8_t id[VG_CASE_ID_BYTES])
{
	size_t at = vg_idmap_find(&ix->ids, id);

	return at == SIZE_MAX ? NULL : ix->recs[at];
}

static int add_rec(struct rec **out, struct vg_agent_cases *ix, const uint8_t id[VG_CASE_ID_BYTES])
{
	struct rec *r;
	int rc;

	if ((*out = find_rec(ix, id)) != NULL)
		return 0;
	if ((rc = vg_array_reserve(&ix->recs, &ix->cap, ix->n, sizeof(*ix->recs), 64,
				   "case index")) < 0)
		return rc;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return vg_error_set(VG_ENOMEM, "cannot grow the case index");
	if ((rc = vg_idmap_add(&ix->ids, id, NULL)) < 0) {
		free(r);
		return rc;
	}
	memcpy(r->id, id, VG_CASE_ID_BYTES);
	ix->recs[ix->n++] = r;
	*out = r;
	return 0;
}

/* Move *item into r (item is zeroed: r owns what it held). */
static int rec_add(struct rec *r, struct vg_case_item *item)
{
	int rc = vg_array_reserve(&r->items, &r->cap, r->n, sizeof(*r->items), 4, "case index");

	if (rc < 0)
		return rc;
	r->items[r->n++] = *item;
	memset(item, 0, sizeof(*item));
	vg_case_state_free(r->st);
	r->st = NULL;
	return 0;
}

static int rec_state(struct rec *r)
{
	if (r->st != NULL)
		return 0;
	return vg_case_derive(&r->st, r->items, r->n);
}

static void rec_free(struct rec *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		vg_case_item_release(&r->items[i]);
	free(r->items);
	vg_case_state_free(r->st);
	sodium_memzero(r, sizeof(*r));
	free(r);
}

static void index_free(struct vg_agent_cases *ix)
{
	if (ix == NULL)
		return;
	for (size_t i = 0; i < ix->n; i++)
		rec_free(ix->recs[i]);
	free(ix->recs);
	vg_idmap_release(&ix->ids);
	free(ix);
	malloc_trim(0); /* give back what the index and the bodies it read held */
}

/* ---- roster, store, keys ---- */

int vg_agent_store(struct vg_agent *a)
{
	char path[PATH_MAX], mark[PATH_MAX];
	int rc;

	if (a->store != NULL)
		return 0;
	if ((rc = vg_home_path(path, sizeof(path), a->home.data, STORE_FILE)) < 0 ||
	    (rc = vg_home_path(mark, sizeof(mark), a->home.data, STORE_VERIFY_FILE)) < 0 ||
	    (rc = vg_store_open(&a->store, path)) < 0)
		return rc;
	if (access(mark, F_OK) != 0)
		return 0;
	/* The last daemon saw a write fail (vg_agent_store_failed): prove the store first. */
	if ((rc = vg_store_check(a->store)) < 0) {
		vg_agent_error("the store failed its check after a failed write: %s",
			       vg_error_last());
		vg_store_close(a->store);
		a->store = NULL;
		return rc;
	}
	if (unlink(mark) < 0 || vg_fs_sync_parent(mark) < 0)
		return vg_error_sys("cannot remove '%s'", mark);
	vg_agent_log("store verified after a failed write");
	return 0;
}

void vg_agent_store_failed(struct vg_agent *a)
{
	char mark[PATH_MAX];
	int fd;

	if (a->store == NULL || !vg_store_failed(a->store))
		return;
	/*
	 * Best effort: on a full or failing disk even this may not be written, and SQLite's
	 * own recovery at the next open is then all there is.
	 */
	if (vg_home_path(mark, sizeof(mark), a->home.data, STORE_VERIFY_FILE) == 0 &&
	    (fd = open(mark, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) >= 0) {
		if (fsync(fd) < 0 || vg_fs_sync_parent(mark) < 0)
			vg_agent_error("cannot record that the store needs a check");
		close(fd);
	}
	vg_agent_error("a write to the store failed: stopping, so that the next start verifies it");
	a->stop = true;
}

/* The home's verified roster versions; *out NULL when the home has none (not joined). */
int vg_agent_roster_load(struct vg_agent *a, struct vg_roster_set **out)
{
	struct vg_minisign_pk org;
	char dir[PATH_MAX];
	int rc;

	*out = NULL;
	if ((rc = vg_home_path(dir, sizeof(dir), a->home.data, ROSTER_DIR)) < 0)
		return rc;
	rc = vg_roster_dir_org(&org, dir);
	if (rc == VG_ENOTFOUND)
		return 0;
	if (rc < 0 || (rc = vg_roster_set_new(out, &org)) < 0)
		return rc;
	rc = vg_roster_dir_load(*out, dir, NULL);
	if (rc == VG_ENOTFOUND) { /* org.pub but no version yet */
		vg_roster_set_free(*out);
		*out = NULL;
		return 0;
	}
	if (rc < 0) {
		vg_error_prefix(rc, "roster in '%s'", dir);
		vg_roster_set_free(*out);
		*out = NULL;
	}
	return rc;
}

static int need_keys(struct vg_agent *a, const char **code)
{
	if (a->vault == NULL) {
		*code = "locked";
		return vg_error_set(VG_EAUTH, "vault is locked");
	}
	return 0;
}

static void progress(struct vg_agent_conn *c, const char *msg, size_t done, size_t total)
{
	json_t *m = vg_ipc_progress(msg);

	if (m != NULL && total > 0 &&
	    (json_object_set_new(m, "done", json_integer((json_int_t)done)) < 0 ||
	     json_object_set_new(m, "total", json_integer((json_int_t)total)) < 0)) {
		json_decref(m);
		m = NULL;
	}
	if (vg_agent_send(c, m) < 0)
		vg_agent_warn("cannot send progress: %s", vg_error_last());
}

static int set(json_t *obj, const char *key, json_t *val)
{
	if (val == NULL || json_object_set_new(obj, key, val) < 0)
		return vg_error_set(VG_ENOMEM, "cannot build the reply");
	return 0;
}

static json_t *hex_string(const uint8_t *p, size_t n)
{
	char s[2 * VG_ID_BYTES + 1];

	vg_hex_encode(s, p, n);
	return json_string(s);
}

static int type_parse(enum vg_entry_type *out, const char *s)
{
	for (int t = VG_ENTRY_OPEN; t <= VG_ENTRY_UNLINK; t++) {
		if (s != NULL && strcmp(vg_entry_type_name((enum vg_entry_type)t), s) == 0) {
			*out = (enum vg_entry_type)t;
			return 0;
		}
	}
	return vg_error_set(VG_EFORMAT, "unknown entry type");
}

/* ---- reading entries and drafts ---- */

struct reader {
	struct vg_agent *a;
	struct vg_agent_conn *conn; /* for progress; may be NULL */
	struct vg_agent_cases *ix;
	struct vg_roster_set *roster;
	struct vg_entry_work work;
	uint8_t *fk; /* guarded */
	size_t opened, unreadable, total;
	bool keep_body;
};

static size_t bucket_of(const struct vg_roster_set *set, uint64_t version)
{
	const struct vg_roster *r = set != NULL ? vg_roster_set_get(set, version) : NULL;

	return r != NULL ? r->policy.bucket : 0;
}

/* Open one of the device's entries with its wrapped file key into *doc_out. */
static int open_entry(json_t **doc_out, struct reader *rd, const struct vg_entry *e)
{
	size_t bucket = bucket_of(rd->roster, e->meta.roster);
	int rc;

	if (bucket == 0)
		return vg_error_set(VG_ENOTFOUND, "roster version %llu is not in this home",
				    (unsigned long long)e->meta.roster);
	if ((rc = vg_store_get_file_key(rd->a->store, rd->fk, e->id, rd->a->vault->key)) < 0)
		return rc;
	rc = vg_entry_open(doc_out, &e->meta, e->age.ptr, e->age.len, NULL, rd->fk, bucket,
			   &rd->work);
	sodium_memzero(rd->fk, VG_AGE_FILE_KEY_BYTES);
	return rc;
}

/* The case, type and body of a document (an entry's plaintext or a draft). */
static int doc_parts(uint8_t case_id[VG_CASE_ID_BYTES], enum vg_entry_type *type, json_t **body,
		     const json_t *doc)
{
	const char *cs = json_string_value(json_object_get(doc, "case"));
	int rc;

	*body = json_object_get(doc, "body");
	if (cs == NULL || vg_hex_decode(case_id, VG_CASE_ID_BYTES, cs, strlen(cs)) < 0 ||
	    *body == NULL)
		return vg_error_set(VG_EFORMAT, "a document names no case or body");
	if ((rc = type_parse(type, json_string_value(json_object_get(doc, "type")))) < 0)
		return rc;
	return 0;
}

static int index_doc(struct reader *rd, const uint8_t id[VG_ID_BYTES], uint64_t order, bool draft,
		     const json_t *doc)
{
	struct vg_case_item item;
	uint8_t case_id[VG_CASE_ID_BYTES];
	enum vg_entry_type type = VG_ENTRY_OPEN;
	json_t *body;
	struct rec *r;
	int rc;

	memset(&item, 0, sizeof(item));
	if ((rc = doc_parts(case_id, &type, &body, doc)) < 0 ||
	    (rc = vg_case_item_init(&item, id, order, type, draft, body, false)) < 0 ||
	    (rc = add_rec(&r, rd->ix, case_id)) < 0 || (rc = rec_add(r, &item)) < 0) {
		vg_case_item_release(&item);
		return rc;
	}
	return 0;
}

static int on_entry(void *ctx, const struct vg_entry *e, enum vg_entry_state state)
{
	struct reader *rd = ctx;
	json_t *doc = NULL;
	int rc;

	if (state != VG_STATE_ACCEPTED)
		return 0;
	rc = open_entry(&doc, rd, e);
	if (rc == VG_ENOTFOUND || rc == VG_EAUTH) {
		/* No key kept (a receipt destroyed it), or not this device's: unreadable. */
		rd->unreadable++;
		rc = 0;
	} else if (rc == 0) {
		rc = index_doc(rd, e->id, e->meta.seq, false, doc);
		if (rc == 0) {
			rd->ix->nentries++;
			rd->opened++;
		}
	}
	json_decref(doc);
	if (rc < 0)
		return rc;
	rd->ix->head_seq = e->meta.seq;
	memcpy(rd->ix->head_id, e->id, VG_ID_BYTES);
	if (rd->conn != NULL && rd->opened % PROGRESS_EVERY == 0 && rd->opened > 0)
		progress(rd->conn, "reading the cases", rd->opened, rd->total);
	return 0;
}

/* A draft document: its members (FORMAT.md 9) and its id. */
static int draft_parse(json_t **doc_out, uint8_t id[VG_ID_BYTES], const uint8_t *text, size_t len)
{
	json_t *doc = json_loadb((const char *)text, len, JSON_REJECT_DUPLICATES, NULL);
	const char *d = json_string_value(json_object_get(doc, "draft"));

	*doc_out = NULL;
	if (doc == NULL || d == NULL || vg_hex_decode(id, VG_ID_BYTES, d, strlen(d)) < 0) {
		json_decref(doc);
		return vg_error_set(VG_EFORMAT, "store holds a malformed draft");
	}
	*doc_out = doc;
	return 0;
}

static int on_draft(void *ctx, int64_t n, const uint8_t *text, size_t len)
{
	struct reader *rd = ctx;
	uint8_t id[VG_ID_BYTES];
	json_t *doc = NULL;
	int rc;

	if ((rc = draft_parse(&doc, id, text, len)) == 0)
		rc = index_doc(rd, id, (uint64_t)n, true, doc);
	json_decref(doc);
	return rc;
}

/* ---- the sealed copy ---- */

static void put_u64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Seal the feed's part of the index into the store. */
static int index_save(struct vg_agent *a)
{
	struct vg_agent_cases *ix = a->cases;
	struct vg_buf b = VG_BUF_INIT_SECURE;
	uint8_t head[VG_ID_BYTES + 8 + VG_ID_BYTES + 8];
	int rc;

	put_u64(head + VG_ID_BYTES, ix->head_seq);
	memcpy(head, ix->author, VG_ID_BYTES);
	memcpy(head + VG_ID_BYTES + 8, ix->head_id, VG_ID_BYTES);
	put_u64(head + 2 * VG_ID_BYTES + 8, ix->nentries);
	if ((rc = vg_buf_put(&b, INDEX_MAGIC, INDEX_MAGIC_LEN)) < 0 ||
	    (rc = vg_buf_put(&b, head, sizeof(head))) < 0)
		goto done;
	for (size_t i = 0; i < ix->n; i++)
		for (size_t j = 0; j < ix->recs[i]->n; j++)
			if (!ix->recs[i]->items[j].draft &&
			    (rc = vg_case_item_encode(&b, ix->recs[i]->id,
						      &ix->recs[i]->items[j])) < 0)
				goto done;
	if ((rc = vg_store_put_case_index(a->store, a->vault->key, b.ptr, b.len)) < 0)
		goto done;
	ix->dirty = false;
	vg_agent_log("case index sealed (%zu cases)", ix->n);
done:
	vg_buf_release(&b);
	return rc;
}

/*
 * Read the sealed copy into ix: 0 when it was read (ix then holds its items), 1 when there
 * is none or it does not fit the store any more (ix untouched: read everything).
 */
static int index_load(struct vg_agent *a, struct vg_agent_cases *ix)
{
	struct vg_buf b = VG_BUF_INIT_SECURE;
	struct vg_entry e;
	enum vg_entry_state state;
	const uint8_t *p;
	size_t left, want;
	uint64_t seq;
	int rc, result = 1;

	vg_entry_init(&e);
	rc = vg_store_get_case_index(a->store, &b, a->vault->key);
	if (rc < 0) {
		if (rc != VG_ENOTFOUND)
			vg_agent_warn("case index not used: %s", vg_error_last());
		goto done;
	}
	left = b.len;
	p = b.ptr;
	if (left < INDEX_MAGIC_LEN + 2 * VG_ID_BYTES + 16 ||
	    memcmp(p, INDEX_MAGIC, INDEX_MAGIC_LEN) != 0 ||
	    memcmp(p + INDEX_MAGIC_LEN, ix->author, VG_ID_BYTES) != 0)
		goto done;
	p += INDEX_MAGIC_LEN + VG_ID_BYTES;
	seq = get_u64(p);
	memcpy(ix->head_id, p + 8, VG_ID_BYTES);
	want = (size_t)get_u64(p + 8 + VG_ID_BYTES);
	p += 16 + VG_ID_BYTES;
	left -= INDEX_MAGIC_LEN + 2 * VG_ID_BYTES + 16;
	/* Its newest entry must still be this feed's entry at that sequence number. */
	if (seq > 0 &&
	    (vg_store_get_entry(a->store, &e, &state, ix->head_id) < 0 || e.meta.seq != seq ||
	     state != VG_STATE_ACCEPTED || memcmp(e.meta.author, ix->author, VG_ID_BYTES) != 0))
		goto done;
	ix->head_seq = seq;
	while (left > 0) {
		struct vg_case_item item;
		uint8_t case_id[VG_CASE_ID_BYTES];
		struct rec *r;

		if ((rc = vg_case_item_decode(&item, case_id, &p, &left)) < 0 ||
		    (rc = add_rec(&r, ix, case_id)) < 0 || (rc = rec_add(r, &item)) < 0) {
			vg_case_item_release(&item);
			vg_agent_warn("case index not used: %s", vg_error_last());
			goto done;
		}
		ix->nentries++;
	}
	if (ix->nentries != want)
		goto done;
	result = 0;
done:
	if (result != 0) { /* start again from nothing */
		for (size_t i = 0; i < ix->n; i++)
			rec_free(ix->recs[i]);
		ix->n = 0;
		ix->nentries = 0;
		ix->head_seq = 0;
		memset(ix->head_id, 0, VG_ID_BYTES);
		vg_idmap_clear(&ix->ids);
	}
	vg_entry_release(&e);
	vg_buf_release(&b);
	return result;
}

void vg_agent_cases_drop(struct vg_agent *a, bool save)
{
	vg_agent_coord_drop(a); /* the coordinator's merged index goes with it */
	if (a->cases == NULL)
		return;
	if (save && a->cases->dirty && a->vault != NULL && a->store != NULL && index_save(a) < 0)
		vg_agent_warn("cannot seal the case index: %s", vg_error_last());
	index_free(a->cases);
	a->cases = NULL;
}

/* Build the index when it is not held: the sealed copy, then what came after it. */
static int cases_ready(struct vg_agent *a, struct vg_agent_conn *c)
{
	struct vg_agent_cases *ix = NULL;
	struct vg_minisign_pk pk;
	struct reader rd;
	uint64_t total = 0;
	int rc, cached;

	if (a->cases != NULL)
		return 0;
	if ((rc = vg_agent_store(a)) < 0)
		return rc;
	memset(&rd, 0, sizeof(rd));
	rd.work = (struct vg_entry_work)VG_ENTRY_WORK_INIT;
	if ((ix = calloc(1, sizeof(*ix))) != NULL)
		ix->ids = (struct vg_idmap)VG_IDMAP_INIT(VG_CASE_ID_BYTES);
	if (ix == NULL || (rd.fk = sodium_malloc(32)) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot build the case index");
		goto done;
	}
	vg_minisign_sk_public(&pk, a->vault->sign);
	vg_id_of_key(ix->author, &pk);
	rd.a = a;
	rd.conn = c;
	rd.ix = ix;
	if ((rc = vg_agent_roster_load(a, &rd.roster)) < 0)
		goto done;
	cached = index_load(a, ix);
	{
		uint8_t head[VG_ID_BYTES];
		if ((rc = vg_store_feed_head(a->store, &total, head, ix->author)) < 0)
			goto done;
	}
	rd.total = total > ix->head_seq ? (size_t)(total - ix->head_seq) : 0;
	if (rd.total >= PROGRESS_EVERY)
		progress(c, "reading the cases", 0, rd.total);
	if ((rc = vg_store_foreach_after(a->store, ix->author, ix->head_seq, on_entry, &rd)) < 0 ||
	    (rc = vg_store_foreach_draft(a->store, a->vault->key, on_draft, &rd)) < 0)
		goto done;
	ix->dirty = rd.opened > 0 || cached != 0;
	vg_agent_log("case index: %zu cases, %zu entries read from the sealed index, %zu opened, "
		     "%zu unreadable",
		     ix->n, ix->nentries - rd.opened, rd.opened, rd.unreadable);
	a->cases = ix;
	ix = NULL;
	if (rd.opened >= SAVE_AFTER && index_save(a) < 0)
		vg_agent_warn("cannot seal the case index: %s", vg_error_last());
done:
	index_free(ix);
	vg_roster_set_free(rd.roster);
	vg_entry_work_release(&rd.work);
	if (rd.fk != NULL)
		sodium_free(rd.fk);
	return rc;
}

/* ---- finding a case and its entries ---- */

static const uint8_t *rec_id(void *ctx, size_t i)
{
	return ((struct vg_agent_cases *)ctx)->recs[i]->id;
}

/* A case by its id or a unique prefix of at least PREFIX_MIN hex digits. */
static int find_case(struct rec **out, struct vg_agent_cases *ix, const char *s, const char **code)
{
	uint8_t id[VG_CASE_ID_BYTES];
	size_t at;
	int rc;

	*out = NULL;
	if (strlen(s) == VG_CASE_ID_HEX && vg_hex_decode(id, sizeof(id), s, VG_CASE_ID_HEX) == 0)
		rc = (*out = find_rec(ix, id)) != NULL ? 0 : VG_ENOTFOUND;
	else if ((rc = vg_hex_find(&at, s, PREFIX_MIN, ix->n, VG_CASE_ID_BYTES, rec_id, NULL,
				   ix)) == 0)
		*out = ix->recs[at];
	if (rc == VG_EFORMAT) {
		*code = "usage";
		return vg_error_set(VG_EINVAL,
				    "'%s' is not a case id (32 hex digits, or at least %d of them)",
				    s, PREFIX_MIN);
	}
	if (rc == VG_EINVAL)
		return vg_error_set(VG_EINVAL, "case id '%s' is ambiguous: give more digits", s);
	if (rc < 0)
		return vg_error_set(VG_ENOTFOUND, "no case '%s' on this device", s);
	return 0;
}

static enum vg_entry_type kind(const struct vg_case_item *it)
{
	if (it->type == VG_ENTRY_CORRECT)
		return it->name != NULL ? VG_ENTRY_OPEN : VG_ENTRY_EVENT;
	return it->type;
}

/*
 * Replace each id of body.supersedes (a full id or a unique prefix) by the full id of an
 * entry of the case, and check what it may name: a person correction names the open entry
 * or person corrections, an event correction events or event corrections, a redaction any
 * entry of the case.
 */
static const uint8_t *item_id(void *ctx, size_t i)
{
	return ((const struct rec *)ctx)->items[i].id;
}

static int resolve_supersedes(json_t *body, enum vg_entry_type type, const struct rec *r,
			      const char *case_hex)
{
	json_t *sup = json_object_get(body, "supersedes"), *v;
	enum vg_entry_type want =
	    json_object_get(body, "person") != NULL ? VG_ENTRY_OPEN : VG_ENTRY_EVENT;
	size_t i;

	if (!json_is_array(sup))
		return 0; /* vg_record_check says what is missing */
	json_array_foreach(sup, i, v)
	{
		const char *s = json_string_value(v);
		char h[2 * VG_ID_BYTES + 1];
		size_t hit;
		int rc = s != NULL ? vg_hex_find(&hit, s, PREFIX_MIN, r->n, VG_ID_BYTES, item_id,
						 NULL, (void *)r)
				   : VG_EFORMAT;

		if (rc == VG_EFORMAT)
			return vg_error_set(
			    VG_EFORMAT,
			    "body.supersedes must list entry ids (64 hex digits, or "
			    "at least %d of them)",
			    PREFIX_MIN);
		if (rc == VG_EINVAL)
			return vg_error_set(VG_EFORMAT,
					    "entry id '%s' is ambiguous: give more digits", s);
		if (rc < 0)
			return vg_error_set(VG_ENOTFOUND, "no entry '%s' in case %s", s, case_hex);
		if (type == VG_ENTRY_CORRECT && kind(&r->items[hit]) != want)
			return vg_error_set(
			    VG_EFORMAT, "entry '%s' is %s: a correction with body.%s replaces %s",
			    s, want == VG_ENTRY_OPEN ? "an event" : "the person",
			    want == VG_ENTRY_OPEN ? "person" : "event",
			    want == VG_ENTRY_OPEN ? "the person (the open entry or a "
						    "person correction)"
						  : "an event");
		vg_hex_encode(h, r->items[hit].id, VG_ID_BYTES);
		if (json_array_set_new(sup, i, json_string(h)) < 0)
			return vg_error_set(VG_ENOMEM, "cannot build the entry");
	}
	return 0;
}

/* Sources are who gets hurt: a source the user did not mark stays confidential. */
static int default_confidential(json_t *body)
{
	json_t *src = json_object_get(body, "source");

	if (json_is_object(src) && json_object_get(src, "confidential") == NULL &&
	    json_object_set_new(src, "confidential", json_true()) < 0)
		return vg_error_set(VG_ENOMEM, "cannot build the entry");
	return 0;
}

/* ---- appending ---- */

/* Where new entries go: the feed (a roster names this device) or drafts (not joined). */
struct sink {
	struct vg_roster_set *roster; /* NULL: drafts */
	struct vg_feed feed;
	bool feed_open;
	struct vg_age_recipient rcpts[VG_AGE_RECIPIENTS_MAX];
};

static void sink_release(struct sink *s)
{
	if (s->feed_open)
		vg_feed_release(&s->feed);
	vg_roster_set_free(s->roster);
	memset(s, 0, sizeof(*s));
}

static int sink_open(struct sink *s, struct vg_agent *a)
{
	const struct vg_roster *cur;
	const struct vg_roster_member *me;
	struct vg_entry_meta meta;
	struct vg_minisign_pk pk;
	size_t n = 0, nst = 0;
	int rc;

	memset(s, 0, sizeof(*s));
	if ((rc = vg_agent_roster_load(a, &s->roster)) < 0 || s->roster == NULL)
		return rc;
	cur = vg_roster_set_current(s->roster);
	memset(&meta, 0, sizeof(meta));
	vg_minisign_sk_public(&pk, a->vault->sign);
	vg_id_of_key(meta.author, &pk);
	me = vg_roster_find(cur, meta.author);
	if (me == NULL)
		return vg_error_set(VG_ENOTFOUND,
				    "this device is not a member of the organisation's roster "
				    "(version %llu)",
				    (unsigned long long)cur->version);
	if (me->revoked)
		return vg_error_set(VG_EUNSUPPORTED,
				    "this device is revoked in roster version %llu",
				    (unsigned long long)cur->version);
	if (me->role == VG_ROLE_AUDITOR)
		return vg_error_set(VG_EUNSUPPORTED, "an auditor's device writes no entries");
	if ((rc = vg_roster_recipients(s->rcpts, &n, cur, meta.author)) < 0)
		return rc;
	/* The stanza count a verifier will expect for this entry is the list just made. */
	memcpy(meta.org, cur->org, VG_ID_BYTES);
	meta.roster = cur->version;
	meta.seq = 1;
	if ((rc = vg_roster_set_resolve(s->roster, &meta, &pk, &nst)) < 0)
		return rc;
	if (nst != n)
		return vg_error_set(VG_EMISMATCH,
				    "roster version %llu names %zu recipients, not %zu",
				    (unsigned long long)cur->version, nst, n);
	if ((rc = vg_feed_open(&s->feed, a->store, a->vault->sign, a->vault->key, cur->org,
			       cur->version, s->rcpts, n, cur->policy.bucket)) < 0) {
		vg_feed_release(&s->feed);
		return rc;
	}
	s->feed_open = true;
	return 0;
}

/* The UTC time now as FORMAT.md 4.5 writes it. */
static void utc_now(char out[21])
{
	struct tm tm;
	time_t t = time(NULL);

	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * Append one change (body checked) to the sink, inside the caller's transaction or alone
 * (then durable on return). id_out and *order_out say what it became.
 */
static int sink_append(struct sink *s, struct vg_agent *a, uint8_t id_out[VG_ID_BYTES],
		       uint64_t *order_out, enum vg_entry_type type,
		       const uint8_t case_id[VG_CASE_ID_BYTES], json_t *body)
{
	struct vg_entry_content content;
	struct vg_buf text = VG_BUF_INIT_SECURE;
	char case_hex[VG_CASE_ID_HEX + 1], id_hex[2 * VG_ID_BYTES + 1], now[21];
	json_t *doc = NULL;
	int64_t n = 0;
	int rc;

	if (s->roster != NULL) {
		memset(&content, 0, sizeof(content));
		content.type = type;
		memcpy(content.case_id, case_id, VG_CASE_ID_BYTES);
		content.body = body;
		if ((rc = vg_feed_append(&s->feed, id_out, &content)) < 0)
			return rc;
		*order_out = s->feed.head_seq;
		return 0;
	}
	/* A draft (FORMAT.md 9): its own random id, sealed under the vault key. */
	if ((rc = vg_record_check(type, body)) < 0)
		return rc;
	randombytes_buf(id_out, VG_ID_BYTES);
	vg_hex_encode(case_hex, case_id, VG_CASE_ID_BYTES);
	vg_hex_encode(id_hex, id_out, VG_ID_BYTES);
	utc_now(now);
	doc = json_pack("{s:O,s:s,s:s,s:s,s:s,s:i}", "body", body, "case", case_hex, "draft",
			id_hex, "time", now, "type", vg_entry_type_name(type), "v", 1);
	if (doc == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot build a draft");
		goto done;
	}
	if ((rc = vg_json_canonical(&text, doc)) < 0 ||
	    (rc = vg_store_put_draft(a->store, &n, a->vault->key, text.ptr, text.len)) < 0)
		goto done;
	*order_out = (uint64_t)n;
done:
	json_decref(doc);
	vg_buf_release(&text);
	return rc;
}

int vg_agent_case_write(struct vg_agent *a, struct vg_agent_conn *c,
			const struct vg_ipc_request *req, json_t *reply, const char **code)
{
	enum vg_ipc_cmd cmd = vg_ipc_request_cmd(req);
	enum vg_entry_type type = cmd == VG_IPC_CASE_NEW       ? VG_ENTRY_OPEN
				  : cmd == VG_IPC_CASE_EVENT   ? VG_ENTRY_EVENT
				  : cmd == VG_IPC_CASE_CORRECT ? VG_ENTRY_CORRECT
							       : VG_ENTRY_REDACT;
	struct sink sink;
	struct vg_case_item item;
	uint8_t case_id[VG_CASE_ID_BYTES], id[VG_ID_BYTES];
	char case_hex[VG_CASE_ID_HEX + 1];
	uint64_t order = 0;
	struct rec *r = NULL;
	json_t *body = NULL;
	int rc;

	memset(&sink, 0, sizeof(sink));
	memset(&item, 0, sizeof(item));
	if ((rc = need_keys(a, code)) < 0 || (rc = cases_ready(a, c)) < 0)
		return rc;
	if ((body = json_deep_copy(vg_ipc_request_json(req, "body"))) == NULL)
		return vg_error_set(VG_ENOMEM, "cannot read the request");
	if (type == VG_ENTRY_OPEN) {
		do
			randombytes_buf(case_id, sizeof(case_id));
		while (find_rec(a->cases, case_id) != NULL);
	} else {
		if ((rc = find_case(&r, a->cases, vg_ipc_request_string(req, "case"), code)) < 0)
			goto done;
		memcpy(case_id, r->id, VG_CASE_ID_BYTES);
	}
	vg_hex_encode(case_hex, case_id, VG_CASE_ID_BYTES);
	if ((rc = default_confidential(body)) < 0 ||
	    (r != NULL && (rc = resolve_supersedes(body, type, r, case_hex)) < 0) ||
	    (rc = vg_record_check(type, body)) < 0)
		goto done;
	if ((rc = sink_open(&sink, a)) < 0)
		goto done;
	/* The entry and its wrapped file key in one transaction: durable at commit. */
	if ((rc = vg_store_begin(a->store)) < 0)
		goto done;
	if ((rc = sink_append(&sink, a, id, &order, type, case_id, body)) < 0 ||
	    (rc = vg_store_commit(a->store)) < 0) {
		vg_store_rollback(a->store);
		goto done;
	}
	/* Saved. The index follows; a failure here only costs a rebuild. */
	if ((rc = vg_case_item_init(&item, id, order, type, sink.roster == NULL, body, false)) <
		0 ||
	    (rc = add_rec(&r, a->cases, case_id)) < 0 || (rc = rec_add(r, &item)) < 0) {
		vg_agent_warn("case index dropped: %s", vg_error_last());
		vg_agent_cases_drop(a, false);
		rc = 0;
	} else if (sink.roster != NULL) {
		a->cases->nentries++;
		a->cases->head_seq = order;
		memcpy(a->cases->head_id, id, VG_ID_BYTES);
		a->cases->dirty = true;
	}
	vg_agent_touch(a);
	if ((rc = set(reply, "case", json_string(case_hex))) < 0 ||
	    (rc = set(reply, "entry", hex_string(id, VG_ID_BYTES))) < 0 ||
	    (rc = set(reply, "draft", json_boolean(sink.roster == NULL))) < 0)
		goto done;
done:
	vg_case_item_release(&item);
	sink_release(&sink);
	json_decref(body);
	return rc;
}

int vg_agent_case_append(struct vg_agent *a, struct vg_agent_conn *c, enum vg_entry_type type,
			 const uint8_t case_id[VG_CASE_ID_BYTES], json_t *body, size_t count,
			 uint8_t (*ids_out)[VG_ID_BYTES])
{
	struct sink sink;
	struct vg_case_item item;
	uint64_t order = 0;
	struct rec *r = NULL;
	int rc;

	memset(&sink, 0, sizeof(sink));
	memset(&item, 0, sizeof(item));
	if ((rc = cases_ready(a, c)) < 0 || (rc = vg_record_check(type, body)) < 0 ||
	    (rc = sink_open(&sink, a)) < 0)
		goto done;
	if (sink.roster == NULL) {
		rc = vg_error_set(VG_EUNSUPPORTED, "this device has not joined an organisation");
		goto done;
	}
	/* Every entry and its wrapped file key in one transaction: durable at commit. */
	if ((rc = vg_store_begin(a->store)) < 0)
		goto done;
	for (size_t i = 0; i < count; i++)
		if ((rc = sink_append(&sink, a, ids_out[i], &order, type, case_id, body)) < 0)
			break;
	if (rc < 0 || (rc = vg_store_commit(a->store)) < 0) {
		vg_store_rollback(a->store);
		goto done;
	}
	/* Saved. The device's own index follows; a failure here only costs a rebuild. */
	for (size_t i = 0; i < count && a->cases != NULL; i++) {
		if (vg_case_item_init(&item, ids_out[i], order - count + 1 + i, type, false, body,
				      false) < 0 ||
		    add_rec(&r, a->cases, case_id) < 0 || rec_add(r, &item) < 0) {
			vg_agent_warn("case index dropped: %s", vg_error_last());
			vg_case_item_release(&item);
			vg_agent_cases_drop(a, false);
			break;
		}
		a->cases->nentries++;
		a->cases->head_seq = order - count + 1 + i;
		memcpy(a->cases->head_id, ids_out[i], VG_ID_BYTES);
		a->cases->dirty = true;
	}
	vg_agent_touch(a);
done:
	vg_case_item_release(&item);
	sink_release(&sink);
	return rc;
}

/* ---- show ---- */

/* Read the body of item it back (an entry through its file key, or a draft). */
static int load_body(struct vg_agent *a, struct reader *rd, struct vg_case_item *it, size_t *bytes)
{
	struct vg_buf text = VG_BUF_INIT_SECURE;
	struct vg_entry e;
	uint8_t id[VG_ID_BYTES];
	json_t *doc = NULL;
	int rc;

	if (it->body != NULL)
		return 0;
	vg_entry_init(&e);
	if (it->draft) {
		if ((rc = vg_store_get_draft(a->store, &text, a->vault->key, (int64_t)it->order)) <
			0 ||
		    (rc = draft_parse(&doc, id, text.ptr, text.len)) < 0)
			goto done;
		*bytes += text.len;
	} else {
		if ((rc = vg_store_get_entry(a->store, &e, NULL, it->id)) < 0 ||
		    (rc = open_entry(&doc, rd, &e)) < 0)
			goto done;
		*bytes += e.age.len;
	}
	it->body = json_incref(json_object_get(doc, "body"));
	if (it->body == NULL)
		rc = vg_error_set(VG_EFORMAT, "a document holds no body");
done:
	json_decref(doc);
	vg_entry_release(&e);
	vg_buf_release(&text);
	return rc;
}

int vg_agent_case_show(struct vg_agent *a, struct vg_agent_conn *c,
		       const struct vg_ipc_request *req, json_t *reply, const char **code)
{
	json_t *from_j = vg_ipc_request_json(req, "from"), *view = NULL;
	struct reader rd;
	struct vg_case_state *st;
	struct rec *r = NULL;
	size_t first, count = 0, bytes = 0;
	int rc;

	memset(&rd, 0, sizeof(rd));
	rd.work = (struct vg_entry_work)VG_ENTRY_WORK_INIT;
	if ((rc = need_keys(a, code)) < 0 || (rc = cases_ready(a, c)) < 0 ||
	    (rc = find_case(&r, a->cases, vg_ipc_request_string(req, "case"), code)) < 0 ||
	    (rc = rec_state(r)) < 0)
		return rc;
	st = r->st;
	first = from_j != NULL ? (size_t)json_integer_value(from_j) : 0;
	if (first > st->nevents)
		first = st->nevents;
	rd.a = a;
	if ((rc = vg_agent_roster_load(a, &rd.roster)) < 0)
		goto done;
	if ((rd.fk = sodium_malloc(32)) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot allocate guarded memory");
		goto done;
	}
	if (st->opened && (rc = load_body(a, &rd, &r->items[st->open], &bytes)) < 0)
		goto done;
	for (size_t i = 0; i < st->npersons; i++)
		if ((rc = load_body(a, &rd, &r->items[st->persons[i].item], &bytes)) < 0)
			goto done;
	/* A page of events, at least one, while their plaintext fits SHOW_PAGE_BYTES. */
	bytes = 0;
	while (first + count < st->nevents && (count == 0 || bytes < SHOW_PAGE_BYTES)) {
		if ((rc = load_body(a, &rd, &r->items[st->events[first + count].item], &bytes)) < 0)
			goto done;
		count++;
	}
	if ((rc = vg_case_view(&view, r->id, r->items, r->n, st, first, count)) < 0)
		goto done;
	if (json_object_update(reply, view) < 0) {
		rc = vg_error_set(VG_ENOMEM, "cannot build the reply");
		goto done;
	}
	if ((rc = set(reply, "delivered", json_false())) < 0 ||
	    (rc = set(reply, "next",
		      first + count < st->nevents ? json_integer((json_int_t)(first + count))
						  : json_null())) < 0)
		goto done;
	vg_agent_touch(a);
done:
	/* Bodies are read for one reply only: the index keeps summaries. */
	for (size_t i = 0; r != NULL && i < r->n; i++) {
		json_decref(r->items[i].body);
		r->items[i].body = NULL;
	}
	json_decref(view);
	vg_roster_set_free(rd.roster);
	vg_entry_work_release(&rd.work);
	if (rd.fk != NULL)
		sodium_free(rd.fk);
	return rc;
}

/* ---- list ---- */

static int cmp_rec(const void *x, const void *y)
{
	const struct rec *a = *(const struct rec *const *)x, *b = *(const struct rec *const *)y;
	const char *na = a->st->name != NULL ? a->st->name : "";
	const char *nb = b->st->name != NULL ? b->st->name : "";
	int c = strcmp(na, nb);

	return c != 0 ? c : memcmp(a->id, b->id, VG_CASE_ID_BYTES);
}

/* Whether a case id is in a sorted list of them (the sealed delivered list). */
static bool in_list(const struct vg_buf *list, const uint8_t id[VG_CASE_ID_BYTES])
{
	size_t lo = 0, hi = list->len / VG_CASE_ID_BYTES;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = memcmp(list->ptr + mid * VG_CASE_ID_BYTES, id, VG_CASE_ID_BYTES);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Filters compare ASCII letters without case; other bytes exactly. */
static bool same_text(const char *x, const char *want)
{
	return want == NULL || (x != NULL && strcasecmp(x, want) == 0);
}

int vg_agent_case_list(struct vg_agent *a, struct vg_agent_conn *c,
		       const struct vg_ipc_request *req, json_t *reply, const char **code)
{
	const char *country = vg_ipc_request_string(req, "country");
	const char *status = vg_ipc_request_string(req, "status");
	const char *since = vg_ipc_request_string(req, "since");
	json_t *from_j = vg_ipc_request_json(req, "from"), *list = NULL;
	struct vg_buf delivered = VG_BUF_INIT_SECURE;
	struct rec **match = NULL;
	size_t n = 0, nd = 0, first, end;
	uint8_t(*only)[VG_CASE_ID_BYTES] = NULL;
	int rc;

	if (since != NULL && !vg_record_date_valid(since)) {
		*code = "usage";
		return vg_error_set(VG_EINVAL,
				    "--since '%s' is not a date YYYY, YYYY-MM or "
				    "YYYY-MM-DD",
				    since);
	}
	if ((rc = need_keys(a, code)) < 0 || (rc = cases_ready(a, c)) < 0)
		return rc;
	if ((match = calloc(a->cases->n + 1, sizeof(*match))) == NULL ||
	    (list = json_array()) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot list the cases");
		goto done;
	}
	for (size_t i = 0; i < a->cases->n; i++) {
		struct rec *r = a->cases->recs[i];
		if ((rc = rec_state(r)) < 0)
			goto done;
		if (r->st->withdrawn || !r->st->opened || !same_text(r->st->country, country) ||
		    !same_text(r->st->status, status) ||
		    (since != NULL && !vg_case_date_since(r->st->last_date, since)))
			continue;
		match[n++] = r;
	}
	qsort(match, n, sizeof(*match), cmp_rec);
	/*
	 * Cases some of whose entries a receipt made unreadable here (FORMAT.md 17.7): marked
	 * delivered; those with nothing readable left follow, by id only (filters cannot
	 * apply to what this device no longer reads).
	 */
	if ((rc = vg_store_get_delivered(a->store, &delivered, a->vault->key)) < 0)
		goto done;
	if ((only = calloc(delivered.len / VG_CASE_ID_BYTES + 1, sizeof(*only))) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot list the cases");
		goto done;
	}
	for (size_t k = 0; k < delivered.len / VG_CASE_ID_BYTES; k++) {
		const uint8_t *id = delivered.ptr + k * VG_CASE_ID_BYTES;
		struct rec *r = find_rec(a->cases, id);
		if ((r == NULL || !r->st->opened) && country == NULL && status == NULL &&
		    since == NULL)
			memcpy(only[nd++], id, VG_CASE_ID_BYTES);
	}
	first = from_j != NULL ? (size_t)json_integer_value(from_j) : 0;
	if (first > n + nd)
		first = n + nd;
	end = n + nd - first > LIST_PAGE_MAX ? first + LIST_PAGE_MAX : n + nd;
	for (size_t i = first; i < end; i++) {
		char hex[2 * VG_CASE_ID_BYTES + 1];
		json_t *s;
		if (i < n) {
			s = vg_case_summary(match[i]->id, match[i]->st, match[i]->n);
			if (s != NULL && json_object_set_new(
					     s, "delivered",
					     json_boolean(in_list(&delivered, match[i]->id))) < 0) {
				json_decref(s);
				s = NULL;
			}
		} else {
			vg_hex_encode(hex, only[i - n], VG_CASE_ID_BYTES);
			s = json_pack("{s:s,s:b}", "id", hex, "delivered", 1);
		}
		if (s == NULL || json_array_append_new(list, s) < 0) {
			json_decref(s);
			rc = vg_error_set(VG_ENOMEM, "cannot list the cases");
			goto done;
		}
	}
	if ((rc = set(reply, "cases", list)) < 0)
		goto done;
	list = NULL;
	if ((rc = set(reply, "total", json_integer((json_int_t)(n + nd)))) < 0 ||
	    (rc = set(reply, "next", end < n + nd ? json_integer((json_int_t)end) : json_null())) <
		0)
		goto done;
	vg_agent_touch(a);
done:
	json_decref(list);
	free(match);
	free(only);
	vg_buf_release(&delivered);
	return rc;
}

/* ---- import ---- */

/* The spreadsheet the client passed: a regular file, read into guarded memory. */
static int read_passed(struct vg_buf *out, int fd)
{
	struct stat st;
	int rc;

	if (fstat(fd, &st) < 0)
		return vg_error_sys("cannot inspect the spreadsheet");
	if (!S_ISREG(st.st_mode))
		return vg_error_set(VG_EINVAL, "the spreadsheet is not a regular file");
	if (st.st_size > VG_CSV_FILE_MAX)
		return vg_error_set(VG_ELIMIT, "the spreadsheet is larger than %d bytes",
				    VG_CSV_FILE_MAX);
	if ((rc = vg_buf_grow(out, (size_t)st.st_size + 1)) < 0)
		return rc;
	for (;;) {
		ssize_t n;
		if (out->len > VG_CSV_FILE_MAX)
			return vg_error_set(VG_ELIMIT, "the spreadsheet is larger than %d bytes",
					    VG_CSV_FILE_MAX);
		if ((rc = vg_buf_grow(out, 65536)) < 0)
			return rc;
		n = read(fd, out->ptr + out->len, 65536);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return vg_error_sys("cannot read the spreadsheet");
		if (n == 0)
			break;
		out->len += (size_t)n;
		out->ptr[out->len] = '\0';
	}
	return 0;
}

static int import_errors(json_t *reply, const struct vg_import *imp)
{
	json_t *errs = json_array();

	if (errs == NULL)
		return vg_error_set(VG_ENOMEM, "cannot build the reply");
	for (size_t i = 0; i < imp->nerrors && i < VG_CSV_ERRORS_MAX; i++)
		if (json_array_append_new(errs, json_pack("{s:I,s:s}", "line",
							  (json_int_t)imp->errors[i].line,
							  "message", imp->errors[i].msg)) < 0) {
			json_decref(errs);
			return vg_error_set(VG_ENOMEM, "cannot build the reply");
		}
	return set(reply, "errors", errs);
}

/* What an import appended, kept until the commit: then it joins the index. */
struct pending {
	struct vg_case_item *items;
	uint8_t (*cases)[VG_CASE_ID_BYTES];
	size_t n;
};

static void pending_release(struct pending *p)
{
	for (size_t i = 0; i < p->n; i++)
		vg_case_item_release(&p->items[i]);
	free(p->items);
	free(p->cases);
	memset(p, 0, sizeof(*p));
}

static int import_one(struct sink *sink, struct vg_agent *a, struct pending *p,
		      enum vg_entry_type type, const uint8_t case_id[VG_CASE_ID_BYTES],
		      json_t *body)
{
	uint8_t id[VG_ID_BYTES];
	uint64_t order = 0;
	int rc;

	if ((rc = sink_append(sink, a, id, &order, type, case_id, body)) < 0)
		return rc;
	memcpy(p->cases[p->n], case_id, VG_CASE_ID_BYTES);
	rc = vg_case_item_init(&p->items[p->n], id, order, type, sink->roster == NULL, body, false);
	p->n++;
	return rc;
}

int vg_agent_import(struct vg_agent *a, struct vg_agent_conn *c, const struct vg_ipc_request *req,
		    json_t *reply, const char **code)
{
	struct vg_buf data = VG_BUF_INIT_SECURE;
	struct vg_csv *csv = NULL;
	struct vg_import *imp = NULL;
	struct sink sink;
	struct pending p;
	size_t total, done_n = 0;
	bool begun = false;
	int fd = vg_ipc_reader_take_fd(&c->in), rc;

	(void)req;
	memset(&sink, 0, sizeof(sink));
	memset(&p, 0, sizeof(p));
	if (fd < 0) {
		*code = "usage";
		return vg_error_set(VG_EINVAL, "'import' needs the spreadsheet passed as a "
					       "descriptor (SCM_RIGHTS) with the request");
	}
	if ((rc = need_keys(a, code)) < 0)
		goto done;
	rc = read_passed(&data, fd);
	close(fd);
	fd = -1;
	if (rc < 0)
		goto done;
	progress(c, "checking every row", 0, 0);
	rc = vg_csv_parse(&csv, data.ptr, data.len);
	if (rc < 0 && rc != VG_EFORMAT)
		goto done;
	vg_buf_release(&data);
	rc = vg_import_from_csv(&imp, csv);
	if (rc == VG_EFORMAT) {
		size_t bad = imp->nerrors;
		if ((rc = import_errors(reply, imp)) == 0)
			rc = vg_error_set(VG_EFORMAT, "%zu bad row%s: nothing imported", bad,
					  bad == 1 ? "" : "s");
		goto done;
	}
	if (rc < 0)
		goto done;
	vg_csv_free(csv);
	csv = NULL;
	if ((rc = cases_ready(a, c)) < 0 || (rc = sink_open(&sink, a)) < 0)
		goto done;
	total = imp->ncases + imp->nevents;
	if ((p.items = calloc(total + 1, sizeof(*p.items))) == NULL ||
	    (p.cases = calloc(total + 1, sizeof(*p.cases))) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot import");
		goto done;
	}
	/* All or nothing: one transaction, durable at its commit. */
	if ((rc = vg_store_begin(a->store)) < 0)
		goto done;
	begun = true;
	for (size_t i = 0; i < imp->ncases; i++) {
		struct vg_import_case *ic = &imp->cases[i];
		uint8_t case_id[VG_CASE_ID_BYTES];

		do
			randombytes_buf(case_id, sizeof(case_id));
		while (find_rec(a->cases, case_id) != NULL);
		if ((rc = import_one(&sink, a, &p, VG_ENTRY_OPEN, case_id, ic->open)) < 0)
			goto done;
		for (size_t j = 0; j < ic->nevents; j++)
			if ((rc = import_one(&sink, a, &p, VG_ENTRY_EVENT, case_id,
					     ic->events[j])) < 0)
				goto done;
		done_n += 1 + ic->nevents;
		if (i + 1 == imp->ncases ||
		    done_n / PROGRESS_EVERY != (done_n - 1 - ic->nevents) / PROGRESS_EVERY)
			progress(c, "importing", done_n, total);
	}
	progress(c, "saving", 0, 0);
	if ((rc = vg_store_commit(a->store)) < 0)
		goto done;
	begun = false;
	vg_agent_log("imported %zu cases and %zu events%s", imp->ncases, imp->nevents,
		     sink.roster == NULL ? " as drafts" : "");
	/* Durable. Now the index; a failure here only costs a rebuild. */
	for (size_t i = 0; i < p.n && a->cases != NULL; i++) {
		struct rec *r;
		bool draft = p.items[i].draft;
		uint64_t order = p.items[i].order;
		uint8_t id[VG_ID_BYTES];
		memcpy(id, p.items[i].id, VG_ID_BYTES);
		if (add_rec(&r, a->cases, p.cases[i]) < 0 || rec_add(r, &p.items[i]) < 0) {
			vg_agent_warn("case index dropped: %s", vg_error_last());
			vg_agent_cases_drop(a, false);
			break;
		}
		if (!draft) {
			a->cases->nentries++;
			a->cases->head_seq = order;
			memcpy(a->cases->head_id, id, VG_ID_BYTES);
			a->cases->dirty = true;
		}
	}
	if (a->cases != NULL && a->cases->dirty && p.n >= SAVE_AFTER && index_save(a) < 0)
		vg_agent_warn("cannot seal the case index: %s", vg_error_last());
	vg_agent_touch(a);
	if ((rc = set(reply, "cases", json_integer((json_int_t)imp->ncases))) < 0 ||
	    (rc = set(reply, "events", json_integer((json_int_t)imp->nevents))) < 0 ||
	    (rc = set(reply, "draft", json_boolean(sink.roster == NULL))) < 0)
		goto done;
done:
	if (begun)
		vg_store_rollback(a->store);
	if (fd >= 0)
		close(fd);
	pending_release(&p);
	sink_release(&sink);
	vg_import_free(imp);
	vg_csv_free(csv);
	vg_buf_release(&data);
	malloc_trim(0);
	return rc;
}
