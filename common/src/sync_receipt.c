/*
 * Receipts in a sync (FORMAT.md 17.4, 17.5): a coordinator advances its marks (decrypting
 * what it is a recipient of), writes its next receipt on refs/heads/receipts/<own id> when
 * they moved, and pushes it; a monitor reads each coordinator's newest receipt, checks it
 * against its roster and its own feed, and destroys the read keys of what valid ones cover
 * (vigil/deliver.h), as well as of what it pushed more than max_key_days ago.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <git2.h>
#include <sodium.h>
#include <sqlite3.h>

#include "repo_git.h"
#include "store_db.h"
#include "sync_receipt.h"
#include "sync_state.h"
#include "vigil/deliver.h"
#include "vigil/entry.h"
#include "vigil/error.h"
#include "vigil/receipt.h"

#define KEY_PUSHED "pushed_seq"

static void say(struct vg_sync__receipts *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void say(struct vg_sync__receipts *x, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	if (x->o->progress == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	x->o->progress(x->o->ctx, msg);
}

static int alarm(struct vg_sync__receipts *x, const char *kind, const char *subject,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int alarm(struct vg_sync__receipts *x, const char *kind, const char *subject,
		 const char *fmt, ...)
{
	char msg[VG_SYNC_ALARM_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	x->rep->alarms++;
	say(x, "ALARM: %s", msg);
	return vg_sync_alarm_raise(x->o->store, kind, subject, false, "%s", msg);
}

static bool is_coordinator(const struct vg_roster *r, const uint8_t id[VG_ID_BYTES])
{
	const struct vg_roster_member *m = r != NULL ? vg_roster_find(r, id) : NULL;

	return m != NULL && !m->revoked && m->role == VG_ROLE_COORDINATOR;
}

static int db_fail(sqlite3 *db, const char *what)
{
	return vg_error_set(VG_EIO, "store: %s: %s", what, sqlite3_errmsg(db));
}

/* ---- reading a receipt from a commit ---- */

/* The receipt files of commit: exactly receipt.json and its signature (FORMAT.md 17.1). */
int vg_sync__commit_receipt(struct vg_repo *repo, struct vg_buf *json, struct vg_buf *sig,
			    const uint8_t oid[20])
{
	git_repository *git = vg_repo__git(repo);
	git_commit *c = NULL;
	git_tree *tree = NULL;
	git_blob *b = NULL;
	git_oid o;
	int rc = 0;

	memcpy(o.id, oid, 20);
	if (git_commit_lookup(&c, git, &o) < 0 || git_commit_tree(&tree, c) < 0) {
		rc = vg_repo__fail(VG_EFORMAT, "not a commit with a tree");
		goto done;
	}
	if (git_tree_entrycount(tree) != 2 ||
	    strcmp(git_tree_entry_name(git_tree_entry_byindex(tree, 0)), VG_RECEIPT_FILE) != 0 ||
	    strcmp(git_tree_entry_name(git_tree_entry_byindex(tree, 1)), VG_RECEIPT_SIG_FILE) !=
		0 ||
	    git_tree_entry_filemode(git_tree_entry_byindex(tree, 0)) != GIT_FILEMODE_BLOB ||
	    git_tree_entry_filemode(git_tree_entry_byindex(tree, 1)) != GIT_FILEMODE_BLOB) {
		rc = vg_error_set(VG_EFORMAT, "a receipts branch holds other files than "
					      "receipt.json and receipt.json.minisig");
		goto done;
	}
	for (int i = 0; i < 2 && rc == 0; i++) {
		struct vg_buf *out = i == 0 ? json : sig;
		vg_buf_clear(out);
		rc = vg_repo__read_blob(repo, &b,
					git_tree_entry_id(git_tree_entry_byindex(tree, (size_t)i)),
					i == 0 ? VG_RECEIPT_JSON_MAX : VG_RECEIPT_SIG_MAX,
					i == 0 ? VG_RECEIPT_FILE : VG_RECEIPT_SIG_FILE);
		if (rc == 0)
			rc = vg_buf_put(out, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
		git_blob_free(b);
		b = NULL;
	}
done:
	git_tree_free(tree);
	git_commit_free(c);
	return rc;
}

/* ---- coordinators: marks and receipts ---- */

struct mark {
	uint64_t seq;
	uint8_t id[VG_ID_BYTES];
};

static int mark_get(struct vg_store *store, struct mark *m, const uint8_t author[VG_ID_BYTES])
{
	sqlite3 *db = vg_store__db(store);
	sqlite3_stmt *st = NULL;
	int rc;

	memset(m, 0, sizeof(*m));
	if (sqlite3_prepare_v2(db, "SELECT seq, id FROM receipt_marks WHERE author = ?", -1, &st,
			       NULL) != SQLITE_OK)
		return db_fail(db, "cannot read a mark");
	sqlite3_bind_blob(st, 1, author, VG_ID_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 1) == VG_ID_BYTES) {
		m->seq = (uint64_t)sqlite3_column_int64(st, 0);
		memcpy(m->id, sqlite3_column_blob(st, 1), VG_ID_BYTES);
	}
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(db, "cannot read a mark");
	sqlite3_finalize(st);
	return rc;
}

static int mark_set(struct vg_store *store, const uint8_t author[VG_ID_BYTES], const struct mark *m)
{
	sqlite3 *db = vg_store__db(store);
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(
		db,
		"INSERT OR REPLACE INTO receipt_marks (author, seq, id) VALUES (?, ?, "
		"?)",
		-1, &st, NULL) != SQLITE_OK)
		return db_fail(db, "cannot keep a mark");
	sqlite3_bind_blob(st, 1, author, VG_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)m->seq);
	sqlite3_bind_blob(st, 3, m->id, VG_ID_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(db, "cannot keep a mark");
	sqlite3_finalize(st);
	return rc;
}

/* Authors with accepted entries, ascending. */
static int accepted_authors(struct vg_store *store, uint8_t (**out)[VG_ID_BYTES], size_t *n)
{
	sqlite3 *db = vg_store__db(store);
	sqlite3_stmt *st = NULL;
	uint8_t(*v)[VG_ID_BYTES] = NULL;
	size_t len = 0;
	int rc;

	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(db, "SELECT DISTINCT author FROM entries WHERE state = 0 ORDER BY 1",
			       -1, &st, NULL) != SQLITE_OK)
		return db_fail(db, "cannot list authors");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		void *p;
		if (sqlite3_column_bytes(st, 0) != VG_ID_BYTES)
			continue;
		if ((p = realloc(v, (len + 1) * sizeof(*v))) == NULL) {
			rc = vg_error_set(VG_ENOMEM, "out of memory");
			goto done;
		}
		v = p;
		memcpy(v[len++], sqlite3_column_blob(st, 0), VG_ID_BYTES);
	}
	rc = rc == SQLITE_DONE ? 0 : db_fail(db, "cannot list authors");
done:
	sqlite3_finalize(st);
	if (rc < 0) {
		free(v);
		return rc;
	}
	*out = v;
	*n = len;
	return 0;
}

/*
 * Advance author's mark over the accepted prefix of its feed, decrypting each entry this
 * coordinator is a recipient of (FORMAT.md 17.4, step 1). *moved is set when it moved.
 */
static int advance(struct vg_sync__receipts *x, const uint8_t author[VG_ID_BYTES], bool *moved,
		   struct vg_entry_work *work)
{
	struct vg_store *store = x->o->store;
	uint8_t(*ids)[VG_ID_BYTES] = NULL;
	struct vg_entry e;
	struct mark m;
	size_t n = 0;
	int rc;

	vg_entry_init(&e);
	if ((rc = mark_get(store, &m, author)) < 0 ||
	    (rc = vg_sync__ids(store, &ids, &n, author, VG_STATE_ACCEPTED, m.seq)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		const struct vg_roster *v;
		if ((rc = vg_store_get_entry(store, &e, NULL, ids[i])) < 0)
			goto done;
		if (e.meta.seq != m.seq + 1 || memcmp(e.meta.prev, m.id, VG_ID_BYTES) != 0)
			break; /* a gap: the prefix ends here */
		if ((v = vg_roster_set_get(x->set, e.meta.roster)) == NULL)
			break;
		if (is_coordinator(v, x->o->self)) {
			json_t *doc = NULL;
			rc = vg_entry_open(&doc, &e.meta, e.age.ptr, e.age.len, x->o->vault->age,
					   NULL, v->policy.bucket, work);
			json_decref(doc);
			if (rc == VG_ENOMEM) {
				goto done;
			} else if (rc < 0) {
				char hex[VG_ID_HEX_LEN + 1], eh[VG_ID_HEX_LEN + 1];
				vg_hex_encode(hex, author, VG_ID_BYTES);
				vg_hex_encode(eh, e.id, VG_ID_BYTES);
				rc = alarm(
				    x, "undecryptable", hex,
				    "entry %s (sequence %llu) of member %.16s is validly signed "
				    "but does not open for this coordinator, one of its "
				    "recipients: %s",
				    eh, (unsigned long long)e.meta.seq, hex, vg_error_last());
				if (rc < 0)
					goto done;
				break; /* the mark waits before it */
			}
		}
		m.seq = e.meta.seq;
		memcpy(m.id, e.id, VG_ID_BYTES);
		*moved = true;
	}
	if (*moved)
		rc = mark_set(store, author, &m);
done:
	vg_entry_release(&e);
	free(ids);
	return rc;
}

/* The newest receipt of the local branch into r (n 0 when there is none). */
static int local_receipt(struct vg_sync__receipts *x, struct vg_receipt *r, const char *ref,
			 uint8_t head[20], bool *has)
{
	struct vg_buf json = VG_BUF_INIT, sig = VG_BUF_INIT;
	int rc;

	*has = false;
	rc = vg_repo_head(x->repo, head, ref);
	if (rc == VG_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	*has = true;
	if ((rc = vg_sync__commit_receipt(x->repo, &json, &sig, head)) == 0)
		rc = vg_receipt_parse(r, json.ptr, json.len);
	vg_buf_release(&json);
	vg_buf_release(&sig);
	return rc;
}

/*
 * The next receipt from the marks, merged with the previous one so that no member goes
 * backwards (a store rebuilt from scratch restarts its marks). 1 when it says nothing new.
 */
static int next_receipt(struct vg_sync__receipts *x, struct vg_receipt *next,
			const struct vg_receipt *prev)
{
	sqlite3 *db = vg_store__db(x->o->store);
	sqlite3_stmt *st = NULL;
	const struct vg_roster *cur = vg_roster_set_current(x->set);
	size_t j = 0;
	bool grew = prev->n == 0;
	int rc;

	memcpy(next->org, cur->org, VG_ID_BYTES);
	memcpy(next->coordinator, x->o->self, VG_ID_BYTES);
	next->n = prev->n + 1;
	if (prev->n > 0)
		memcpy(next->prev, prev->hash, VG_ID_BYTES);
	next->roster = cur->version;
	if (sqlite3_prepare_v2(db, "SELECT author, seq, id FROM receipt_marks ORDER BY author", -1,
			       &st, NULL) != SQLITE_OK)
		return db_fail(db, "cannot read the marks");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const uint8_t *a = sqlite3_column_blob(st, 0), *id = sqlite3_column_blob(st, 2);
		uint64_t seq = (uint64_t)sqlite3_column_int64(st, 1);
		const struct vg_receipt_mark *old;

		if (sqlite3_column_bytes(st, 0) != VG_ID_BYTES ||
		    sqlite3_column_bytes(st, 2) != VG_ID_BYTES || seq == 0)
			continue;
		/* Members only the previous receipt named come first, in order. */
		for (; j < prev->nmembers && memcmp(prev->members[j].id, a, VG_ID_BYTES) < 0; j++)
			if ((rc = vg_receipt_add(next, prev->members[j].id, prev->members[j].seq,
						 prev->members[j].entry)) < 0)
				goto done;
		old = j < prev->nmembers && memcmp(prev->members[j].id, a, VG_ID_BYTES) == 0
			  ? &prev->members[j++]
			  : NULL;
		if (old != NULL && old->seq >= seq) {
			rc = vg_receipt_add(next, old->id, old->seq, old->entry);
		} else {
			grew = true;
			rc = vg_receipt_add(next, a, seq, id);
		}
		if (rc < 0)
			goto done;
	}
	if (rc != SQLITE_DONE) {
		rc = db_fail(db, "cannot read the marks");
		goto done;
	}
	for (; j < prev->nmembers; j++)
		if ((rc = vg_receipt_add(next, prev->members[j].id, prev->members[j].seq,
					 prev->members[j].entry)) < 0)
			goto done;
	rc = grew ? 0 : 1;
done:
	sqlite3_finalize(st);
	return rc;
}

static const uint8_t *remote_oid(struct vg_sync__receipts *x, const char *ref)
{
	for (size_t i = 0; i < x->n; i++)
		if (strcmp(x->names[i], ref) == 0)
			return x->oids[i];
	return NULL;
}

static int coordinator_step(struct vg_sync__receipts *x)
{
	struct vg_entry_work work = VG_ENTRY_WORK_INIT;
	struct vg_receipt prev, next;
	struct vg_buf json = VG_BUF_INIT, sig = VG_BUF_INIT;
	uint8_t(*authors)[VG_ID_BYTES] = NULL;
	uint8_t head[20], oid[20];
	char ref[VG_REPO_BRANCH_MAX], hex[VG_ID_HEX_LEN + 1];
	const uint8_t *remote;
	size_t na = 0;
	bool moved = false, has = false;
	int rc, yes = 0, rejected = 0;

	vg_receipt_init(&prev);
	vg_receipt_init(&next);
	vg_hex_encode(hex, x->o->self, VG_ID_BYTES);
	snprintf(ref, sizeof(ref), VG_RECEIPT_REF_PREFIX "%s", hex);
	if ((rc = accepted_authors(x->o->store, &authors, &na)) < 0 ||
	    (rc = vg_store_begin(x->o->store)) < 0)
		goto done;
	for (size_t i = 0; i < na && rc == 0; i++)
		rc = advance(x, authors[i], &moved, &work);
	if (rc < 0 || (rc = vg_store_commit(x->o->store)) < 0) {
		vg_store_rollback(x->o->store);
		goto done;
	}
	if ((rc = local_receipt(x, &prev, ref, head, &has)) < 0) {
		vg_error_prefix(rc, "this coordinator's own receipts branch");
		goto done;
	}
	rc = next_receipt(x, &next, &prev);
	if (rc < 0)
		goto done;
	if (rc == 0 && next.nmembers > 0) {
		const char *names[2] = {VG_RECEIPT_FILE, VG_RECEIPT_SIG_FILE};
		const struct vg_buf *files[2] = {&json, &sig};
		if ((rc = vg_receipt_sign(&json, &sig, &next, x->o->vault->sign)) < 0 ||
		    (rc = vg_repo__commit_files(x->repo, oid, ref, names, files, 2)) < 0)
			goto done;
		memcpy(head, oid, 20);
		has = true;
		x->rep->receipts_written++;
		say(x, "receipt %llu written (%zu members)", (unsigned long long)next.n,
		    next.nmembers);
	}
	rc = 0;
	if (!has)
		goto done;
	remote = remote_oid(x, ref);
	if (remote != NULL && memcmp(remote, head, 20) == 0)
		goto done;
	if (remote != NULL && (vg_repo_descends(x->repo, &yes, head, remote) < 0 || !yes)) {
		rc = alarm(x, "clone", "receipts",
			   "the remote's receipts branch of this coordinator holds receipts this "
			   "device did not write (another copy of its key): none pushed");
		goto done;
	}
	if ((rc = x->push(x->push_ctx, ref, remote, &rejected)) < 0)
		goto done;
	if (rejected)
		rc = alarm(x, "clone", "receipts",
			   "the remote refused this coordinator's receipts (another copy of its "
			   "key pushed first)");
	else
		say(x, "receipts pushed");
done:
	vg_buf_release(&json);
	vg_buf_release(&sig);
	vg_receipt_release(&prev);
	vg_receipt_release(&next);
	vg_entry_work_release(&work);
	free(authors);
	return rc;
}

/* ---- monitors: honouring ---- */

struct idset {
	uint8_t (*v)[VG_ID_BYTES];
	size_t n, cap;
};

static int idset_add(struct idset *s, const uint8_t id[VG_ID_BYTES])
{
	if (s->n == s->cap) {
		size_t nc = s->cap ? 2 * s->cap : 64;
		void *p = realloc(s->v, nc * sizeof(*s->v));
		if (p == NULL)
			return vg_error_set(VG_ENOMEM, "out of memory");
		s->v = p;
		s->cap = nc;
	}
	memcpy(s->v[s->n++], id, VG_ID_BYTES);
	return 0;
}

/*
 * Own accepted entries with seq <= upto that still have a file key, into out; with
 * coordinator not NULL only those whose roster version names it as an unrevoked
 * coordinator (it was a recipient).
 */
static int covered(struct vg_sync__receipts *x, struct idset *out, uint64_t upto,
		   const uint8_t *coordinator)
{
	sqlite3 *db = vg_store__db(x->o->store);
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(
		db,
		"SELECT e.id, e.roster FROM entries e JOIN file_keys k ON k.id = e.id "
		"WHERE e.author = ? AND e.state = 0 AND e.seq <= ? ORDER BY e.seq",
		-1, &st, NULL) != SQLITE_OK)
		return db_fail(db, "cannot list own entries");
	sqlite3_bind_blob(st, 1, x->o->self, VG_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)upto);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != VG_ID_BYTES)
			continue;
		if (coordinator != NULL &&
		    !is_coordinator(
			vg_roster_set_get(x->set, (uint64_t)sqlite3_column_int64(st, 1)),
			coordinator))
			continue;
		if ((rc = idset_add(out, sqlite3_column_blob(st, 0))) < 0)
			goto done;
	}
	rc = rc == SQLITE_DONE ? 0 : db_fail(db, "cannot list own entries");
done:
	sqlite3_finalize(st);
	return rc;
}

/*
 * One coordinator's receipts branch (FORMAT.md 17.5, steps 1 to 5): what a valid receipt
 * covers is added to destroy.
 */
static int check_branch(struct vg_sync__receipts *x, const char *name, const uint8_t oid[20],
			struct idset *destroy)
{
	const char *hex = name + strlen(VG_RECEIPT_REF_PREFIX);
	const struct vg_roster *cur = vg_roster_set_current(x->set);
	const struct vg_roster_member *m;
	const struct vg_receipt_mark *mine;
	struct vg_buf json = VG_BUF_INIT, sig = VG_BUF_INIT;
	struct vg_receipt r;
	uint8_t c[VG_ID_BYTES], v[20], at[VG_ID_BYTES], head_id[VG_ID_BYTES];
	uint64_t head_seq;
	bool found;
	int rc, yes = 0;

	vg_receipt_init(&r);
	if (strlen(hex) != VG_ID_HEX_LEN || vg_hex_decode(c, VG_ID_BYTES, hex, VG_ID_HEX_LEN) < 0)
		return alarm(x, "foreign", name,
			     "the remote holds a branch '%.80s' outside the layout: ignored", name);
	if ((rc = vg_sync_head(x->o->store, &found, v, name)) < 0)
		return rc;
	if (found && memcmp(v, oid, 20) != 0) {
		git_odb *odb = NULL;
		git_oid vo;
		memcpy(vo.id, v, 20);
		if (git_repository_odb(&odb, vg_repo__git(x->repo)) == 0 &&
		    git_odb_exists(odb, &vo) &&
		    (vg_repo_descends(x->repo, &yes, oid, v) < 0 || !yes)) {
			git_odb_free(odb);
			return alarm(x, "rollback", hex,
				     "the receipts branch of coordinator %.16s moved backwards or "
				     "was rewritten: nothing taken from it",
				     hex);
		}
		git_odb_free(odb);
	}
	if ((rc = vg_sync_head_set(x->o->store, name, oid)) < 0)
		return rc;
	x->rep->receipts_checked++;
	m = vg_roster_find(cur, c);
	if (m == NULL || m->revoked || m->role != VG_ROLE_COORDINATOR) {
		say(x,
		    "receipt of %.16s ignored: not an unrevoked coordinator in roster version %llu",
		    hex, (unsigned long long)cur->version);
		goto ignored;
	}
	if ((rc = vg_sync__commit_receipt(x->repo, &json, &sig, oid)) < 0 ||
	    (rc = vg_receipt_verify(&r, json.ptr, json.len, (const char *)sig.ptr, sig.len,
				    cur->org, c, &m->key)) < 0) {
		if (rc == VG_ENOMEM || rc == VG_EIO)
			goto done;
		say(x, "receipt of %.16s ignored: %s", hex, vg_error_last());
		goto ignored;
	}
	if (r.roster > cur->version) {
		say(x, "receipt of %.16s ignored until roster version %llu arrives", hex,
		    (unsigned long long)r.roster);
		goto ignored;
	}
	if ((mine = vg_receipt_find(&r, x->o->self)) == NULL)
		goto done;
	if ((rc = vg_store_feed_head(x->o->store, &head_seq, head_id, x->o->self)) < 0)
		goto done;
	if (mine->seq > head_seq) {
		rc = alarm(x, "receipt", hex,
			   "receipt %llu of coordinator %.16s names sequence %llu of this device, "
			   "beyond its own feed (%llu): a forgery, or another copy of this "
			   "device's key wrote there; not honoured",
			   (unsigned long long)r.n, hex, (unsigned long long)mine->seq,
			   (unsigned long long)head_seq);
		goto done;
	}
	if ((rc = vg_sync__entry_at(x->o->store, &found, at, NULL, x->o->self, mine->seq)) < 0)
		goto done;
	if (!found || memcmp(at, mine->entry, VG_ID_BYTES) != 0) {
		char eh[VG_ID_HEX_LEN + 1];
		vg_hex_encode(eh, mine->entry, VG_ID_BYTES);
		rc = alarm(x, "receipt", hex,
			   "receipt %llu of coordinator %.16s names entry %s at sequence %llu, "
			   "which is not this device's: a forgery, or another copy of this "
			   "device's key; not honoured",
			   (unsigned long long)r.n, hex, eh, (unsigned long long)mine->seq);
		goto done;
	}
	x->rep->receipts_honoured++;
	rc = covered(x, destroy, mine->seq, c);
	goto done;
ignored:
	x->rep->receipts_ignored++;
	rc = 0;
done:
	vg_receipt_release(&r);
	vg_buf_release(&json);
	vg_buf_release(&sig);
	return rc;
}

/* Record when the remote first held own entries up to pushed_seq (FORMAT.md 9, pushes). */
static int note_push(struct vg_sync__receipts *x, uint64_t *expired)
{
	sqlite3 *db = vg_store__db(x->o->store);
	const struct vg_roster *cur = vg_roster_set_current(x->set);
	sqlite3_stmt *st = NULL;
	int64_t pushed = 0;
	int rc;

	*expired = 0;
	if ((rc = vg_sync_state_int(x->o->store, KEY_PUSHED, &pushed)) < 0)
		return rc;
	if (pushed > 0) {
		if (sqlite3_prepare_v2(db, "INSERT OR IGNORE INTO pushes (seq, time) VALUES (?, ?)",
				       -1, &st, NULL) != SQLITE_OK)
			return db_fail(db, "cannot note a push");
		sqlite3_bind_int64(st, 1, pushed);
		sqlite3_bind_int64(st, 2, (sqlite3_int64)x->now);
		rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(db, "cannot note a push");
		sqlite3_finalize(st);
		if (rc < 0)
			return rc;
	}
	if (sqlite3_prepare_v2(db, "SELECT max(seq) FROM pushes WHERE time <= ?", -1, &st, NULL) !=
	    SQLITE_OK)
		return db_fail(db, "cannot read pushes");
	sqlite3_bind_int64(st, 1,
			   (sqlite3_int64)x->now - (sqlite3_int64)cur->policy.max_key_days * 86400);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		*expired = (uint64_t)sqlite3_column_int64(st, 0);
	rc = rc == SQLITE_ROW ? 0 : db_fail(db, "cannot read pushes");
	sqlite3_finalize(st);
	return rc;
}

static int forget_pushes(struct vg_sync__receipts *x, uint64_t upto)
{
	sqlite3 *db = vg_store__db(x->o->store);
	sqlite3_stmt *st = NULL;
	int rc;

	if (sqlite3_prepare_v2(db, "DELETE FROM pushes WHERE seq < ?", -1, &st, NULL) != SQLITE_OK)
		return db_fail(db, "cannot forget pushes");
	sqlite3_bind_int64(st, 1, (sqlite3_int64)upto);
	rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(db, "cannot forget pushes");
	sqlite3_finalize(st);
	return rc;
}

static int monitor_step(struct vg_sync__receipts *x)
{
	const struct vg_roster *cur = vg_roster_set_current(x->set);
	struct idset destroy = {NULL, 0, 0};
	uint64_t expired = 0;
	size_t gone = 0;
	bool blocked;
	int rc;

	if ((rc = vg_sync_blocked(x->o->store, &blocked, NULL, 0)) < 0)
		return rc;
	for (size_t i = 0; i < x->n && rc == 0; i++)
		rc = check_branch(x, x->names[i], x->oids[i], &destroy);
	if (rc < 0 || blocked || cur->policy.readback || x->o->vault == NULL ||
	    x->o->vault_path == NULL)
		goto done;
	if ((rc = note_push(x, &expired)) < 0)
		goto done;
	if (expired > 0 && (rc = covered(x, &destroy, expired, NULL)) < 0)
		goto done;
	if ((rc = vg_deliver_destroy(&gone, x->o->store, x->o->vault, x->o->vault_path, x->set,
				     (const uint8_t(*)[VG_ID_BYTES])destroy.v, destroy.n)) < 0)
		goto done;
	if (expired > 0 && (rc = forget_pushes(x, expired)) < 0)
		goto done;
	x->rep->received += gone;
	if (gone > 0)
		say(x, "%zu delivered entries are no longer readable on this device", gone);
done:
	free(destroy.v);
	return rc;
}

int vg_sync__receipts_step(struct vg_sync__receipts *x)
{
	if (x->role == VG_ROLE_COORDINATOR && x->o->vault != NULL)
		return coordinator_step(x);
	if (x->role == VG_ROLE_MONITOR)
		return monitor_step(x);
	return 0;
}
