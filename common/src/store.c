#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "store_db.h"
#include "vigil/error.h"
#include "vigil/store.h"

#define STORE_APPLICATION_ID 0x5647494c /* "VGIL" */
#define STORE_VERSION	     1
#define WRAP_NONCE	     crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
#define WRAP_TAG	     crypto_aead_xchacha20poly1305_ietf_ABYTES
#define WRAPPED_KEY_BYTES    (WRAP_NONCE + VG_AGE_FILE_KEY_BYTES + WRAP_TAG)
#define DRAFT_MAX	     (1024 * 1024)

static const char file_key_ad[] = "vigil-file-key v1";
static const char draft_ad[] = "vigil-draft v1";
static const char case_index_ad[] = "vigil-case-index v1";
#define CASE_INDEX_MAX (512 * 1024 * 1024)

/* Prepared statements are kept for the life of the store (preparing costs more than a
 * small insert); they are keyed by the address of their SQL literal. */
#define STMT_CACHE 32

struct vg_store {
	sqlite3 *db;
	char *path;
	bool failed; /* an I/O error was seen: nothing more is done (vg_store_failed) */
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[STMT_CACHE];
};

/* The schema of FORMAT.md, "Store". Only ciphertext, signatures and public columns. */
static const char schema[] = "CREATE TABLE entries ("
			     " id BLOB PRIMARY KEY CHECK (length(id) = 32),"
			     " author BLOB NOT NULL CHECK (length(author) = 32),"
			     " seq INTEGER NOT NULL CHECK (seq >= 1),"
			     " prev BLOB NOT NULL CHECK (length(prev) = 32),"
			     " roster INTEGER NOT NULL CHECK (roster >= 1),"
			     " age BLOB NOT NULL,"
			     " sig BLOB NOT NULL,"
			     " state INTEGER NOT NULL CHECK (state IN (0, 1, 2)),"
			     " reason TEXT"
			     ") WITHOUT ROWID;"
			     "CREATE INDEX entries_feed ON entries (author, seq);"
			     "CREATE TABLE file_keys ("
			     " id BLOB PRIMARY KEY REFERENCES entries (id),"
			     " wrapped BLOB NOT NULL CHECK (length(wrapped) = 56)"
			     ") WITHOUT ROWID;"
			     "CREATE TABLE drafts (n INTEGER PRIMARY KEY, sealed BLOB NOT NULL);";

/*
 * Sync state (FORMAT.md 16), added to stores of any version when missing: readers that
 * predate it ignore tables they do not know. Public values only: commit ids, sequence
 * numbers, alarm texts that never quote a record.
 */
static const char sync_schema[] =
    "CREATE TABLE IF NOT EXISTS sync_heads ("
    " ref TEXT PRIMARY KEY, oid BLOB NOT NULL CHECK (length(oid) = 20)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS sync_state (key TEXT PRIMARY KEY, value) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS alarms ("
    " kind TEXT NOT NULL, subject TEXT NOT NULL, message TEXT NOT NULL,"
    " blocking INTEGER NOT NULL CHECK (blocking IN (0, 1)), n INTEGER NOT NULL,"
    " PRIMARY KEY (kind, subject)) WITHOUT ROWID;";

/*
 * The daemon's case index, sealed under the vault key (FORMAT.md 9): a cache, added to
 * stores of any version when missing, deleted or ignored without loss.
 */
static const char cases_schema[] = "CREATE TABLE IF NOT EXISTS case_index ("
				   " k INTEGER PRIMARY KEY CHECK (k = 1), sealed BLOB NOT NULL);";

/*
 * Receipts (FORMAT.md 9 and 17), added when missing: the sealed list of delivered cases,
 * the time of each push, and a coordinator's marks.
 */
static const char receipts_schema[] =
    "CREATE TABLE IF NOT EXISTS delivered ("
    " k INTEGER PRIMARY KEY CHECK (k = 1), sealed BLOB NOT NULL);"
    "CREATE TABLE IF NOT EXISTS pushes (seq INTEGER PRIMARY KEY, time INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS receipt_marks ("
    " author BLOB PRIMARY KEY CHECK (length(author) = 32), seq INTEGER NOT NULL,"
    " id BLOB NOT NULL CHECK (length(id) = 32)) WITHOUT ROWID;";
static const char delivered_ad[] = "vigil-delivered v1";

static int db_error(struct vg_store *s, int sqlite_rc, const char *what)
{
	int code = VG_EIO;

	/*
	 * After a failed write or fsync the kernel may have dropped the dirty pages and
	 * cleared the error, so a later fsync can succeed over lost data; the database
	 * cannot be trusted to be what SQLite believes. Nothing more is done on this handle:
	 * the store is verified when it is opened again (vg_store_failed).
	 */
	switch (sqlite_rc & 0xff) {
	case SQLITE_IOERR:
	case SQLITE_FULL:
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		s->failed = true;
		break;
	default:
		break;
	}
	if (sqlite_rc == SQLITE_CORRUPT || sqlite_rc == SQLITE_NOTADB)
		code = VG_EFORMAT;
	else if (sqlite_rc == SQLITE_NOMEM)
		code = VG_ENOMEM;
	else if (sqlite_rc == SQLITE_CONSTRAINT)
		code = VG_EEXISTS;
	return vg_error_set(code, "store '%s': %s: %s", s->path, what,
			    s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(sqlite_rc));
}

static int refuse_failed(const struct vg_store *s)
{
	return vg_error_set(
	    VG_EIO,
	    "store '%s': an earlier write failed; nothing more is written until the "
	    "store is opened again and verified (restart vigild)",
	    s->path);
}

static int exec(struct vg_store *s, const char *sql)
{
	int rc;

	if (s->failed)
		return refuse_failed(s);
	rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : db_error(s, rc, "cannot configure");
}

static int prepare(struct vg_store *s, sqlite3_stmt **st, const char *sql)
{
	int rc;

	if (s->failed)
		return refuse_failed(s);
	rc = sqlite3_prepare_v2(s->db, sql, -1, st, NULL);
	return rc == SQLITE_OK ? 0 : db_error(s, rc, "cannot prepare statement");
}

/* A cached statement for sql (a string literal), reset and unbound. */
static int stmt(struct vg_store *s, sqlite3_stmt **st, const char *sql)
{
	size_t i;
	int rc;

	if (s->failed)
		return refuse_failed(s);
	for (i = 0; i < STMT_CACHE && s->cache[i].sql != NULL; i++)
		if (s->cache[i].sql == sql) {
			*st = s->cache[i].st;
			return 0;
		}
	if (i == STMT_CACHE)
		return vg_error_set(VG_ERROR, "store: statement cache full");
	if ((rc = prepare(s, st, sql)) < 0)
		return rc;
	s->cache[i].sql = sql;
	s->cache[i].st = *st;
	return 0;
}

static void stmt_done(sqlite3_stmt *st)
{
	if (st == NULL) /* stmt() failed: nothing to reset (clear_bindings(NULL) would crash) */
		return;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

static int pragma_int(struct vg_store *s, const char *sql, int64_t *out)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prepare(s, &st, sql)) < 0)
		return rc;
	if (sqlite3_step(st) != SQLITE_ROW) {
		rc = db_error(s, sqlite3_errcode(s->db), "cannot read settings");
	} else {
		*out = sqlite3_column_int64(st, 0);
		rc = 0;
	}
	sqlite3_finalize(st);
	return rc;
}

static int configure(struct vg_store *s)
{
	int64_t app = 0, ver = 0, tables = 0;
	sqlite3_stmt *st = NULL;
	int rc;

	sqlite3_db_config(s->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(s->db, SQLITE_DBCONFIG_ENABLE_LOAD_EXTENSION, 0, NULL);
	sqlite3_busy_timeout(s->db, 5000);
	if ((rc = exec(s, "PRAGMA secure_delete = ON; PRAGMA foreign_keys = ON;"
			  "PRAGMA temp_store = MEMORY; PRAGMA cell_size_check = ON;")) < 0)
		return rc;
	if ((rc = pragma_int(s, "PRAGMA application_id", &app)) < 0 ||
	    (rc = pragma_int(s, "PRAGMA user_version", &ver)) < 0 ||
	    (rc = pragma_int(s, "SELECT count(*) FROM sqlite_schema", &tables)) < 0)
		return rc;
	if (app == 0 && ver == 0 && tables == 0) {
		if ((rc = exec(s, "BEGIN")) < 0)
			return rc;
		if ((rc = exec(s, schema)) < 0 ||
		    (rc = exec(s, "PRAGMA application_id = 1447512396; PRAGMA user_version = 1")) <
			0) {
			vg_store_rollback(s);
			return rc;
		}
		if ((rc = exec(s, "COMMIT")) < 0)
			return rc;
	} else if (app != STORE_APPLICATION_ID) {
		return vg_error_set(VG_EFORMAT, "'%s' is not a vigil store", s->path);
	} else if (ver > STORE_VERSION) {
		return vg_error_set(VG_EFORMAT, "store '%s' is from a newer vigil (version %lld)",
				    s->path, (long long)ver);
	}
	if ((rc = exec(s, sync_schema)) < 0 || (rc = exec(s, cases_schema)) < 0 ||
	    (rc = exec(s, receipts_schema)) < 0)
		return rc;
	/* WAL with a full sync per commit: what printed "saved" is on disk (FACTS.md). */
	if ((rc = prepare(s, &st, "PRAGMA journal_mode = WAL")) < 0)
		return rc;
	if (sqlite3_step(st) != SQLITE_ROW ||
	    strcmp((const char *)sqlite3_column_text(st, 0), "wal") != 0) {
		sqlite3_finalize(st);
		return vg_error_set(VG_EIO, "store '%s': cannot switch to WAL", s->path);
	}
	sqlite3_finalize(st);
	return exec(s, "PRAGMA synchronous = FULL");
}

int vg_store_open(struct vg_store **out, const char *path)
{
	struct vg_store *s;
	int fd, rc;

	*out = NULL;
	/* Create the file ourselves so it is 0600 whatever the umask (SQLite copies the
	 * database's mode to its -wal and -shm files). */
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	else if (errno != EEXIST)
		return vg_error_sys("cannot create store '%s'", path);
	if ((s = calloc(1, sizeof(*s))) == NULL || (s->path = strdup(path)) == NULL) {
		free(s);
		return vg_error_set(VG_ENOMEM, "cannot allocate store");
	}
	rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOFOLLOW, NULL);
	if (rc != SQLITE_OK) {
		rc = db_error(s, rc, "cannot open");
		vg_store_close(s);
		return rc;
	}
	if ((rc = configure(s)) < 0) {
		vg_store_close(s);
		return rc;
	}
	*out = s;
	return 0;
}

void vg_store_close(struct vg_store *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < STMT_CACHE; i++)
		sqlite3_finalize(s->cache[i].st);
	sqlite3_close_v2(s->db);
	free(s->path);
	free(s);
}

int vg_store_begin(struct vg_store *s)
{
	return exec(s, "BEGIN IMMEDIATE");
}

int vg_store_commit(struct vg_store *s)
{
	int rc = exec(s, "COMMIT");

	/* A COMMIT that failed leaves the transaction open: end it, or the handle stays locked. */
	if (rc < 0)
		vg_store_rollback(s);
	return rc;
}

bool vg_store_failed(const struct vg_store *s)
{
	return s->failed;
}

void vg_store_rollback(struct vg_store *s)
{
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

int vg_store_put_entry(struct vg_store *s, const struct vg_entry *e, enum vg_entry_state state,
		       const char *reason)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = stmt(s, &st,
		       "INSERT INTO entries (id, author, seq, prev, roster, age, sig, state, "
		       "reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")) < 0)
		return rc;
	sqlite3_bind_blob(st, 1, e->id, VG_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, e->meta.author, VG_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)e->meta.seq);
	sqlite3_bind_blob(st, 4, e->meta.prev, VG_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, (sqlite3_int64)e->meta.roster);
	sqlite3_bind_blob64(st, 6, e->age.ptr, e->age.len, SQLITE_STATIC);
	sqlite3_bind_blob64(st, 7, e->sig.ptr, e->sig.len, SQLITE_STATIC);
	sqlite3_bind_int(st, 8, (int)state);
	if (reason != NULL)
		sqlite3_bind_text(st, 9, reason, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : db_error(s, rc, "cannot add entry");
	stmt_done(st);
	return rc;
}

/*
 * Fill e from the columns id, seq, prev, roster, age, sig, author (in that order). The
 * metadata comes from the signed trusted comment (which also names the organisation), and
 * must agree with the columns kept for queries.
 */
static int row_to_entry(struct vg_entry *e, sqlite3_stmt *st)
{
	struct vg_minisig ms;
	int rc;

	if (sqlite3_column_bytes(st, 0) != VG_ID_BYTES ||
	    sqlite3_column_bytes(st, 2) != VG_ID_BYTES ||
	    sqlite3_column_bytes(st, 6) != VG_ID_BYTES)
		return vg_error_set(VG_EFORMAT, "store holds a malformed entry row");
	vg_buf_clear(&e->age);
	vg_buf_clear(&e->sig);
	memcpy(e->id, sqlite3_column_blob(st, 0), VG_ID_BYTES);
	if ((rc = vg_buf_put(&e->age, sqlite3_column_blob(st, 4),
			     (size_t)sqlite3_column_bytes(st, 4))) < 0 ||
	    (rc = vg_buf_put(&e->sig, sqlite3_column_blob(st, 5),
			     (size_t)sqlite3_column_bytes(st, 5))) < 0)
		return rc;
	if (vg_minisign_sig_parse(&ms, (const char *)e->sig.ptr, e->sig.len) < 0 ||
	    vg_entry_tc_parse(&e->meta, ms.trusted, strlen(ms.trusted)) < 0)
		return vg_error_set(VG_EFORMAT, "store holds an entry with a malformed signature");
	if (e->meta.seq != (uint64_t)sqlite3_column_int64(st, 1) ||
	    e->meta.roster != (uint64_t)sqlite3_column_int64(st, 3) ||
	    memcmp(e->meta.prev, sqlite3_column_blob(st, 2), VG_ID_BYTES) != 0 ||
	    memcmp(e->meta.author, sqlite3_column_blob(st, 6), VG_ID_BYTES) != 0)
		return vg_error_set(VG_EFORMAT, "store row does not match its entry's signature");
	return 0;
}

int vg_store_get_entry(struct vg_store *s, struct vg_entry *e, enum vg_entry_state *state_out,
		       const uint8_t id[VG_ID_BYTES])
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = stmt(s, &st,
		       "SELECT id, seq, prev, roster, age, sig, author, state FROM entries "
		       "WHERE id = ?")) < 0)
		return rc;
	sqlite3_bind_blob(st, 1, id, VG_ID_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		rc = row_to_entry(e, st);
		if (rc == 0 && state_out != NULL)
			*state_out = (enum vg_entry_state)sqlite3_column_int(st, 7);
	} else if (rc == SQLITE_DONE) {
		rc = vg_error_set(VG_ENOTFOUND, "no such entry");
	} else {
		rc = db_error(s, rc, "cannot read entry");
	}
	stmt_done(st);
	return rc;
}

int vg_store_feed_head(struct vg_store *s, uint64_t *seq_out, uint8_t id_out[VG_ID_BYTES],
		       const uint8_t author[VG_ID_BYTES])
{
	sqlite3_stmt *st = NULL;
	int rc;

	*seq_out = 0;
	memset(id_out, 0, VG_ID_BYTES);
	if ((rc = stmt(s, &st,
		       "SELECT seq, id FROM entries WHERE author = ? AND state = 0 "
		       "ORDER BY seq DESC LIMIT 1")) < 0)
		return rc;
	sqlite3_bind_blob(st, 1, author, VG_ID_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 1) == VG_ID_BYTES) {
		*seq_out = (uint64_t)sqlite3_column_int64(st, 0);
		memcpy(id_out, sqlite3_column_blob(st, 1), VG_ID_BYTES);
		rc = 0;
	} else {
		rc = rc == SQLITE_DONE ? 0 : db_error(s, rc, "cannot read feed head");
	}
	stmt_done(st);
	return rc;
}

int vg_store_count(struct vg_store *s, uint64_t *out, const uint8_t *author,
		   enum vg_entry_state state)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = stmt(s, &st,
		  author != NULL ? "SELECT count(*) FROM entries WHERE state = ? AND author = ?"
				 : "SELECT count(*) FROM entries WHERE state = ?");
	if (rc < 0)
		return rc;
	sqlite3_bind_int(st, 1, (int)state);
	if (author != NULL)
		sqlite3_bind_blob(st, 2, author, VG_ID_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*out = (uint64_t)sqlite3_column_int64(st, 0);
		rc = 0;
	} else {
		rc = db_error(s, rc, "cannot count entries");
	}
	stmt_done(st);
	return rc;
}

/* fn for every row of st (columns as row_to_entry reads them, the state eighth); st is
 * finished. */
static int each_entry(struct vg_store *s, sqlite3_stmt *st, vg_store_entry_fn fn, void *ctx)
{
	struct vg_entry e;
	int rc;

	vg_entry_init(&e);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = row_to_entry(&e, st)) < 0)
			goto done;
		if ((rc = fn(ctx, &e, (enum vg_entry_state)sqlite3_column_int(st, 7))) != 0)
			goto done;
	}
	rc = rc == SQLITE_DONE ? 0 : db_error(s, rc, "cannot read entries");
done:
	vg_entry_release(&e);
	stmt_done(st);
	return rc;
}

int vg_store_foreach_after(struct vg_store *s, const uint8_t author[VG_ID_BYTES], uint64_t after,
			   vg_store_entry_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = stmt(s, &st,
		       "SELECT id, seq, prev, roster, age, sig, author, state FROM entries "
		       "WHERE author = ? AND seq > ? ORDER BY author, seq")) < 0)
		return rc;
	sqlite3_bind_blob(st, 1, author, VG_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)after);
	return each_entry(s, st, fn, ctx);
}

int vg_store_foreach(struct vg_store *s, const uint8_t *author, vg_store_entry_fn fn, void *ctx)
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = stmt(s, &st,
		  author != NULL ? "SELECT id, seq, prev, roster, age, sig, author, state FROM "
				   "entries WHERE author = ? ORDER BY author, seq"
				 : "SELECT id, seq, prev, roster, age, sig, author, state FROM "
				   "entries ORDER BY author, seq");
	if (rc < 0)
		return rc;
	if (author != NULL)
		sqlite3_bind_blob(st, 1, author, VG_ID_BYTES, SQLITE_STATIC);
	return each_entry(s, st, fn, ctx);
}

static void wrap_ad(uint8_t *ad, const char *label, size_t label_len, const uint8_t *id)
{
	memcpy(ad, label, label_len);
	if (id != NULL)
		memcpy(ad + label_len, id, VG_ID_BYTES);
}

int vg_store_put_file_key(struct vg_store *s, const uint8_t id[VG_ID_BYTES],
			  const uint8_t *vault_key, const uint8_t file_key[VG_AGE_FILE_KEY_BYTES])
{
	uint8_t wrapped[WRAPPED_KEY_BYTES], ad[sizeof(file_key_ad) - 1 + VG_ID_BYTES];
	sqlite3_stmt *st = NULL;
	int rc;

	randombytes_buf(wrapped, WRAP_NONCE);
	wrap_ad(ad, file_key_ad, sizeof(file_key_ad) - 1, id);
	crypto_aead_xchacha20poly1305_ietf_encrypt(wrapped + WRAP_NONCE, NULL, file_key,
						   VG_AGE_FILE_KEY_BYTES, ad, sizeof(ad), NULL,
						   wrapped, vault_key);
	if ((rc = stmt(s, &st, "INSERT OR REPLACE INTO file_keys (id, wrapped) VALUES (?, ?)")) < 0)
		return rc;
	sqlite3_bind_blob(st, 1, id, VG_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, wrapped, sizeof(wrapped), SQLITE_STATIC);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : db_error(s, rc, "cannot keep a file key");
	stmt_done(st);
	return rc;
}

int vg_store_get_file_key(struct vg_store *s, uint8_t *file_key, const uint8_t id[VG_ID_BYTES],
			  const uint8_t *vault_key)
{
	uint8_t ad[sizeof(file_key_ad) - 1 + VG_ID_BYTES];
	const uint8_t *w;
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = stmt(s, &st, "SELECT wrapped FROM file_keys WHERE id = ?")) < 0)
		return rc;
	sqlite3_bind_blob(st, 1, id, VG_ID_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = vg_error_set(VG_ENOTFOUND, "no file key kept for this entry");
	} else if (rc != SQLITE_ROW) {
		rc = db_error(s, rc, "cannot read a file key");
	} else if (sqlite3_column_bytes(st, 0) != WRAPPED_KEY_BYTES) {
		rc = vg_error_set(VG_EFORMAT, "store holds a malformed file key");
	} else {
		w = sqlite3_column_blob(st, 0);
		wrap_ad(ad, file_key_ad, sizeof(file_key_ad) - 1, id);
		rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
			 file_key, NULL, NULL, w + WRAP_NONCE, WRAPPED_KEY_BYTES - WRAP_NONCE, ad,
			 sizeof(ad), w, vault_key) == 0
			 ? 0
			 : vg_error_set(VG_EAUTH, "file key does not open with this vault key");
	}
	stmt_done(st);
	return rc;
}

int vg_store_put_draft(struct vg_store *s, int64_t *n_out, const uint8_t *vault_key,
		       const uint8_t *doc, size_t len)
{
	struct vg_buf sealed = VG_BUF_INIT;
	sqlite3_stmt *st = NULL;
	int rc;

	if (len > DRAFT_MAX)
		return vg_error_set(VG_ELIMIT, "draft larger than %d bytes", DRAFT_MAX);
	if ((rc = vg_buf_grow(&sealed, WRAP_NONCE + len + WRAP_TAG)) < 0)
		return rc;
	randombytes_buf(sealed.ptr, WRAP_NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(sealed.ptr + WRAP_NONCE, NULL, doc, len,
						   (const uint8_t *)draft_ad, sizeof(draft_ad) - 1,
						   NULL, sealed.ptr, vault_key);
	sealed.len = WRAP_NONCE + len + WRAP_TAG;
	if ((rc = stmt(s, &st, "INSERT INTO drafts (sealed) VALUES (?)")) < 0)
		goto done;
	sqlite3_bind_blob64(st, 1, sealed.ptr, sealed.len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		*n_out = sqlite3_last_insert_rowid(s->db);
		rc = 0;
	} else {
		rc = db_error(s, rc, "cannot keep a draft");
	}
done:
	stmt_done(st);
	vg_buf_release(&sealed);
	return rc;
}

/* Open a sealed draft (a row's blob) into doc (secure, replaced). */
static int open_draft(struct vg_buf *doc, const uint8_t *w, size_t n, const uint8_t *vault_key)
{
	int rc;

	if (n < WRAP_NONCE + WRAP_TAG || n > WRAP_NONCE + DRAFT_MAX + WRAP_TAG)
		return vg_error_set(VG_EFORMAT, "store holds a malformed draft");
	vg_buf_clear(doc);
	if ((rc = vg_buf_grow(doc, n)) < 0)
		return rc;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(doc->ptr, NULL, NULL, w + WRAP_NONCE,
						       n - WRAP_NONCE, (const uint8_t *)draft_ad,
						       sizeof(draft_ad) - 1, w, vault_key) != 0)
		return vg_error_set(VG_EAUTH, "draft does not open with this vault key");
	doc->len = n - WRAP_NONCE - WRAP_TAG;
	doc->ptr[doc->len] = '\0';
	return 0;
}

int vg_store_get_draft(struct vg_store *s, struct vg_buf *out, const uint8_t *vault_key, int64_t n)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = stmt(s, &st, "SELECT sealed FROM drafts WHERE n = ?")) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, n);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		rc = open_draft(out, sqlite3_column_blob(st, 0),
				(size_t)sqlite3_column_bytes(st, 0), vault_key);
	else if (rc == SQLITE_DONE)
		rc = vg_error_set(VG_ENOTFOUND, "no draft %lld", (long long)n);
	else
		rc = db_error(s, rc, "cannot read a draft");
	stmt_done(st);
	return rc;
}

int vg_store_foreach_draft(struct vg_store *s, const uint8_t *vault_key, vg_store_draft_fn fn,
			   void *ctx)
{
	struct vg_buf doc = VG_BUF_INIT_SECURE;
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = stmt(s, &st, "SELECT n, sealed FROM drafts ORDER BY n")) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((rc = open_draft(&doc, sqlite3_column_blob(st, 1),
				     (size_t)sqlite3_column_bytes(st, 1), vault_key)) < 0)
			goto done;
		if ((rc = fn(ctx, sqlite3_column_int64(st, 0), doc.ptr, doc.len)) != 0)
			goto done;
	}
	rc = rc == SQLITE_DONE ? 0 : db_error(s, rc, "cannot read drafts");
done:
	stmt_done(st);
	vg_buf_release(&doc);
	return rc;
}

int vg_store_delete_draft(struct vg_store *s, int64_t n)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = stmt(s, &st, "DELETE FROM drafts WHERE n = ?")) < 0)
		return rc;
	sqlite3_bind_int64(st, 1, n);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : db_error(s, rc, "cannot delete a draft");
	stmt_done(st);
	return rc;
}

int vg_store_put_case_index(struct vg_store *s, const uint8_t *vault_key, const uint8_t *data,
			    size_t len)
{
	struct vg_buf sealed = VG_BUF_INIT;
	sqlite3_stmt *st = NULL;
	int rc;

	if (len > CASE_INDEX_MAX)
		return vg_error_set(VG_ELIMIT, "case index larger than %d bytes", CASE_INDEX_MAX);
	if ((rc = vg_buf_grow(&sealed, WRAP_NONCE + len + WRAP_TAG)) < 0)
		return rc;
	randombytes_buf(sealed.ptr, WRAP_NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(
	    sealed.ptr + WRAP_NONCE, NULL, data, len, (const uint8_t *)case_index_ad,
	    sizeof(case_index_ad) - 1, NULL, sealed.ptr, vault_key);
	sealed.len = WRAP_NONCE + len + WRAP_TAG;
	if ((rc = stmt(s, &st, "INSERT OR REPLACE INTO case_index (k, sealed) VALUES (1, ?)")) < 0)
		goto done;
	sqlite3_bind_blob64(st, 1, sealed.ptr, sealed.len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : db_error(s, rc, "cannot keep the case index");
done:
	if (st != NULL)
		stmt_done(st);
	vg_buf_release(&sealed);
	return rc;
}

int vg_store_get_case_index(struct vg_store *s, struct vg_buf *out, const uint8_t *vault_key)
{
	sqlite3_stmt *st = NULL;
	const uint8_t *w;
	size_t n;
	int rc;

	vg_buf_clear(out);
	if ((rc = stmt(s, &st, "SELECT sealed FROM case_index WHERE k = 1")) < 0)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE) {
		rc = vg_error_set(VG_ENOTFOUND, "no case index");
		goto done;
	}
	if (rc != SQLITE_ROW) {
		rc = db_error(s, rc, "cannot read the case index");
		goto done;
	}
	w = sqlite3_column_blob(st, 0);
	n = (size_t)sqlite3_column_bytes(st, 0);
	if (n < WRAP_NONCE + WRAP_TAG || n > WRAP_NONCE + CASE_INDEX_MAX + WRAP_TAG) {
		rc = vg_error_set(VG_EFORMAT, "store holds a malformed case index");
		goto done;
	}
	if ((rc = vg_buf_grow(out, n)) < 0)
		goto done;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		out->ptr, NULL, NULL, w + WRAP_NONCE, n - WRAP_NONCE,
		(const uint8_t *)case_index_ad, sizeof(case_index_ad) - 1, w, vault_key) != 0) {
		rc = vg_error_set(VG_EAUTH, "case index does not open with this vault key");
		goto done;
	}
	out->len = n - WRAP_NONCE - WRAP_TAG;
	out->ptr[out->len] = '\0';
	rc = 0;
done:
	stmt_done(st);
	return rc;
}

int vg_store_delete_case_index(struct vg_store *s)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = stmt(s, &st, "DELETE FROM case_index")) < 0)
		return rc;
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : db_error(s, rc, "cannot delete the case index");
	stmt_done(st);
	return rc;
}

/*
 * integrity_check's first complaint, on one line: its report starts with a header line
 * ("*** in database main ***") and may run to hundreds of lines.
 */
static int damaged(const struct vg_store *s, const char *report)
{
	const char *p = report;
	size_t n;

	if (strncmp(p, "*** ", 4) == 0 && strchr(p, '\n') != NULL)
		p = strchr(p, '\n') + 1;
	n = strcspn(p, "\n");
	if (n > 160)
		n = 160;
	return vg_error_set(VG_EFORMAT, "store '%s' is damaged (integrity_check: %.*s%s)", s->path,
			    (int)n, p, p[n] != '\0' ? ", and more" : "");
}

int vg_store_check(struct vg_store *s)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prepare(s, &st, "PRAGMA integrity_check")) < 0)
		return rc;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		rc = db_error(s, rc, "cannot check integrity");
	else if (strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)
		rc = damaged(s, (const char *)sqlite3_column_text(st, 0));
	else
		rc = 0;
	sqlite3_finalize(st);
	return rc;
}

sqlite3 *vg_store__db(struct vg_store *s)
{
	return s->db;
}

int vg_store_shred(struct vg_store *s, uint64_t *file_keys, uint64_t *drafts)
{
	int64_t keys = 0, docs = 0;
	int rc;

	if ((rc = exec(s, "BEGIN IMMEDIATE")) < 0)
		return rc;
	if ((rc = pragma_int(s, "SELECT count(*) FROM file_keys", &keys)) < 0 ||
	    (rc = pragma_int(s, "SELECT count(*) FROM drafts", &docs)) < 0 ||
	    (rc = exec(s, "DELETE FROM file_keys; DELETE FROM drafts")) < 0 ||
	    (rc = exec(s, "COMMIT")) < 0) {
		vg_store_rollback(s);
		return rc;
	}
	/* TRUNCATE: the WAL file is emptied once its frames are in the database. */
	if ((rc = exec(s, "PRAGMA wal_checkpoint(TRUNCATE)")) < 0)
		return rc;
	if (file_keys != NULL)
		*file_keys = (uint64_t)keys;
	if (drafts != NULL)
		*drafts = (uint64_t)docs;
	return 0;
}

/* ---- receipts: destroying read keys, rotating the vault key (FORMAT.md 17.7, 17.8) ---- */

int vg_store_delete_file_key(struct vg_store *s, bool *deleted, const uint8_t id[VG_ID_BYTES])
{
	sqlite3_stmt *st = NULL;
	int rc;

	*deleted = false;
	if ((rc = stmt(s, &st, "DELETE FROM file_keys WHERE id = ?")) < 0)
		return rc;
	sqlite3_bind_blob(st, 1, id, VG_ID_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*deleted = rc == SQLITE_DONE && sqlite3_changes(s->db) > 0;
	rc = rc == SQLITE_DONE ? 0 : db_error(s, rc, "cannot destroy a file key");
	stmt_done(st);
	return rc;
}

/* Seal data under key with label as associated data: nonce || ciphertext into out. */
static int seal_blob(struct vg_buf *out, const uint8_t *key, const char *label, size_t label_len,
		     const uint8_t *id, const uint8_t *data, size_t len)
{
	uint8_t ad[64];
	int rc;

	if (label_len + (id != NULL ? VG_ID_BYTES : 0) > sizeof(ad))
		return vg_error_set(VG_EINVAL, "label too long");
	wrap_ad(ad, label, label_len, id);
	vg_buf_clear(out);
	if ((rc = vg_buf_grow(out, WRAP_NONCE + len + WRAP_TAG)) < 0)
		return rc;
	randombytes_buf(out->ptr, WRAP_NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(out->ptr + WRAP_NONCE, NULL, data, len, ad,
						   label_len + (id != NULL ? VG_ID_BYTES : 0), NULL,
						   out->ptr, key);
	out->len = WRAP_NONCE + len + WRAP_TAG;
	return 0;
}

/* Open nonce || ciphertext (n bytes) into out (secure, replaced). VG_EAUTH, VG_EFORMAT. */
static int open_blob(struct vg_buf *out, const uint8_t *key, const char *label, size_t label_len,
		     const uint8_t *id, const uint8_t *w, size_t n)
{
	uint8_t ad[64];
	int rc;

	if (n < WRAP_NONCE + WRAP_TAG)
		return vg_error_set(VG_EFORMAT, "store holds a malformed sealed value");
	wrap_ad(ad, label, label_len, id);
	vg_buf_clear(out);
	if ((rc = vg_buf_grow(out, n)) < 0)
		return rc;
	if (crypto_aead_xchacha20poly1305_ietf_decrypt(
		out->ptr, NULL, NULL, w + WRAP_NONCE, n - WRAP_NONCE, ad,
		label_len + (id != NULL ? VG_ID_BYTES : 0), w, key) != 0)
		return vg_error_set(VG_EAUTH, "a sealed value does not open with this vault key");
	out->len = n - WRAP_NONCE - WRAP_TAG;
	return 0;
}

int vg_store_get_delivered(struct vg_store *s, struct vg_buf *out, const uint8_t *vault_key)
{
	sqlite3_stmt *st = NULL;
	int rc;

	vg_buf_clear(out);
	if ((rc = stmt(s, &st, "SELECT sealed FROM delivered WHERE k = 1")) < 0)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_DONE)
		rc = 0;
	else if (rc != SQLITE_ROW)
		rc = db_error(s, rc, "cannot read the delivered cases");
	else if ((rc = open_blob(out, vault_key, delivered_ad, sizeof(delivered_ad) - 1, NULL,
				 sqlite3_column_blob(st, 0),
				 (size_t)sqlite3_column_bytes(st, 0))) == 0 &&
		 out->len % VG_CASE_ID_BYTES != 0)
		rc = vg_error_set(VG_EFORMAT, "store holds a malformed list of delivered cases");
	stmt_done(st);
	return rc;
}

int vg_store_put_delivered(struct vg_store *s, const uint8_t *vault_key, const uint8_t *list,
			   size_t len)
{
	struct vg_buf sealed = VG_BUF_INIT;
	sqlite3_stmt *st = NULL;
	int rc;

	if (len % VG_CASE_ID_BYTES != 0)
		return vg_error_set(VG_EINVAL, "a list of case ids");
	if ((rc = seal_blob(&sealed, vault_key, delivered_ad, sizeof(delivered_ad) - 1, NULL, list,
			    len)) < 0 ||
	    (rc = stmt(s, &st, "INSERT OR REPLACE INTO delivered (k, sealed) VALUES (1, ?)")) < 0)
		goto done;
	sqlite3_bind_blob64(st, 1, sealed.ptr, sealed.len, SQLITE_STATIC);
	rc = sqlite3_step(st);
	rc = rc == SQLITE_DONE ? 0 : db_error(s, rc, "cannot keep the delivered cases");
	stmt_done(st);
done:
	vg_buf_release(&sealed);
	return rc;
}

/*
 * Rewrap every row of one table: SELECT key, blob; UPDATE ... SET blob = ?1 WHERE key = ?2.
 * The rows are read first, then updated: an update during the scan may move a row ahead
 * of the cursor, which would then meet it again, already under the new key.
 */
static int rewrap_table(struct vg_store *s, const char *select, const char *update,
			const char *label, size_t label_len, bool id_in_ad, const uint8_t *old_key,
			const uint8_t *new_key)
{
	struct vg_buf plain = VG_BUF_INIT_SECURE, sealed = VG_BUF_INIT, rows = VG_BUF_INIT;
	sqlite3_stmt *sel = NULL, *upd = NULL;
	size_t off = 0;
	int rc;

	if ((rc = prepare(s, &sel, select)) < 0 || (rc = prepare(s, &upd, update)) < 0)
		goto done;
	/* rows: for each, key length (8) || key || blob length (8) || blob */
	while ((rc = sqlite3_step(sel)) == SQLITE_ROW) {
		uint64_t lens[2] = {(uint64_t)sqlite3_column_bytes(sel, 0),
				    (uint64_t)sqlite3_column_bytes(sel, 1)};
		if (sqlite3_column_type(sel, 0) == SQLITE_INTEGER) {
			int64_t k = sqlite3_column_int64(sel, 0);
			lens[0] = 8;
			if ((rc = vg_buf_put(&rows, &lens[0], 8)) < 0 ||
			    (rc = vg_buf_put(&rows, &k, 8)) < 0)
				goto done;
		} else if ((rc = vg_buf_put(&rows, &lens[0], 8)) < 0 ||
			   (rc = vg_buf_put(&rows, sqlite3_column_blob(sel, 0), lens[0])) < 0) {
			goto done;
		}
		if ((rc = vg_buf_put(&rows, &lens[1], 8)) < 0 ||
		    (rc = vg_buf_put(&rows, sqlite3_column_blob(sel, 1), lens[1])) < 0)
			goto done;
	}
	if (rc != SQLITE_DONE) {
		rc = db_error(s, rc, "cannot read sealed values");
		goto done;
	}
	rc = 0;
	while (off < rows.len) {
		uint64_t klen, blen;
		const uint8_t *key, *blob;

		memcpy(&klen, rows.ptr + off, 8);
		key = rows.ptr + off + 8;
		memcpy(&blen, key + klen, 8);
		blob = key + klen + 8;
		off += 16 + klen + blen;
		if (id_in_ad && klen != VG_ID_BYTES) {
			rc = vg_error_set(VG_EFORMAT, "store holds a malformed key row");
			goto done;
		}
		if ((rc = open_blob(&plain, old_key, label, label_len, id_in_ad ? key : NULL, blob,
				    (size_t)blen)) < 0 ||
		    (rc = seal_blob(&sealed, new_key, label, label_len, id_in_ad ? key : NULL,
				    plain.ptr, plain.len)) < 0)
			goto done;
		sqlite3_bind_blob64(upd, 1, sealed.ptr, sealed.len, SQLITE_STATIC);
		if (id_in_ad) {
			sqlite3_bind_blob(upd, 2, key, VG_ID_BYTES, SQLITE_STATIC);
		} else {
			int64_t k;
			memcpy(&k, key, 8);
			sqlite3_bind_int64(upd, 2, k);
		}
		rc = sqlite3_step(upd);
		sqlite3_reset(upd);
		sqlite3_clear_bindings(upd);
		if (rc != SQLITE_DONE) {
			rc = db_error(s, rc, "cannot rewrap a sealed value");
			goto done;
		}
		rc = 0;
	}
done:
	sqlite3_finalize(sel);
	sqlite3_finalize(upd);
	vg_buf_release(&plain);
	vg_buf_release(&sealed);
	vg_buf_release(&rows);
	return rc;
}

int vg_store_rewrap(struct vg_store *s, const uint8_t *old_key, const uint8_t *new_key)
{
	int rc;

	if ((rc = rewrap_table(s, "SELECT id, wrapped FROM file_keys",
			       "UPDATE file_keys SET wrapped = ?1 WHERE id = ?2", file_key_ad,
			       sizeof(file_key_ad) - 1, true, old_key, new_key)) < 0 ||
	    (rc = rewrap_table(s, "SELECT n, sealed FROM drafts",
			       "UPDATE drafts SET sealed = ?1 WHERE n = ?2", draft_ad,
			       sizeof(draft_ad) - 1, false, old_key, new_key)) < 0 ||
	    (rc = rewrap_table(s, "SELECT k, sealed FROM delivered",
			       "UPDATE delivered SET sealed = ?1 WHERE k = ?2", delivered_ad,
			       sizeof(delivered_ad) - 1, false, old_key, new_key)) < 0)
		return rc;
	return vg_store_delete_case_index(s);
}

int vg_store_checkpoint(struct vg_store *s)
{
	sqlite3_stmt *st = NULL;
	int rc;

	/* TRUNCATE: every frame into the database, then the WAL file emptied to 0 bytes. */
	if ((rc = prepare(s, &st, "PRAGMA wal_checkpoint(TRUNCATE)")) < 0)
		return rc;
	rc = sqlite3_step(st);
	if (rc != SQLITE_ROW)
		rc = db_error(s, rc, "cannot checkpoint");
	else if (sqlite3_column_int(st, 0) != 0)
		rc = vg_error_set(VG_EIO,
				  "store '%s': the checkpoint could not complete (another "
				  "reader holds the database)",
				  s->path);
	else
		rc = 0;
	sqlite3_finalize(st);
	return rc;
}
