/*
 * Sync's tables in the store (FORMAT.md 16): verified heads, state values, alarms; and the
 * questions the acceptance rules ask about an author's chain.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "store_db.h"
#include "sync_state.h"
#include "vigil/error.h"
#include "vigil/sync.h"

#define KEY_PUSHED_SEQ "pushed_seq"

static int db_fail(sqlite3 *db, const char *what)
{
	return vg_error_set(VG_EIO, "store: %s: %s", what, sqlite3_errmsg(db));
}

static int prep(sqlite3 *db, sqlite3_stmt **st, const char *sql)
{
	return sqlite3_prepare_v2(db, sql, -1, st, NULL) == SQLITE_OK
		   ? 0
		   : db_fail(db, "cannot prepare statement");
}

/* Run a statement that returns no row. */
static int step_done(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
	int rc = sqlite3_step(st);

	rc = rc == SQLITE_DONE ? 0 : db_fail(db, what);
	sqlite3_finalize(st);
	return rc;
}

int vg_sync_state_int(struct vg_store *s, const char *key, int64_t *out)
{
	sqlite3 *db = vg_store__db(s);
	sqlite3_stmt *st = NULL;
	int rc;

	*out = 0;
	if ((rc = prep(db, &st, "SELECT value FROM sync_state WHERE key = ?")) < 0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int64(st, 0);
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(db, "cannot read sync state");
	sqlite3_finalize(st);
	return rc;
}

int vg_sync_state_set_int(struct vg_store *s, const char *key, int64_t v)
{
	sqlite3 *db = vg_store__db(s);
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prep(db, &st, "INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)")) <
	    0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, v);
	return step_done(db, st, "cannot keep sync state");
}

int vg_sync_state_text(struct vg_store *s, const char *key, char *out, size_t outsz)
{
	sqlite3 *db = vg_store__db(s);
	sqlite3_stmt *st = NULL;
	int rc;

	out[0] = '\0';
	if ((rc = prep(db, &st, "SELECT value FROM sync_state WHERE key = ?")) < 0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_TEXT)
		snprintf(out, outsz, "%s", (const char *)sqlite3_column_text(st, 0));
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(db, "cannot read sync state");
	sqlite3_finalize(st);
	return rc;
}

int vg_sync_state_set_text(struct vg_store *s, const char *key, const char *v)
{
	sqlite3 *db = vg_store__db(s);
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prep(db, &st, "INSERT OR REPLACE INTO sync_state (key, value) VALUES (?, ?)")) <
	    0)
		return rc;
	sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
	return step_done(db, st, "cannot keep sync state");
}

int vg_sync_head(struct vg_store *s, bool *found, uint8_t oid[20], const char *ref)
{
	sqlite3 *db = vg_store__db(s);
	sqlite3_stmt *st = NULL;
	int rc;

	*found = false;
	if ((rc = prep(db, &st, "SELECT oid FROM sync_heads WHERE ref = ?")) < 0)
		return rc;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 20) {
		memcpy(oid, sqlite3_column_blob(st, 0), 20);
		*found = true;
	}
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(db, "cannot read a head");
	sqlite3_finalize(st);
	return rc;
}

int vg_sync_head_set(struct vg_store *s, const char *ref, const uint8_t oid[20])
{
	sqlite3 *db = vg_store__db(s);
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prep(db, &st, "INSERT OR REPLACE INTO sync_heads (ref, oid) VALUES (?, ?)")) < 0)
		return rc;
	sqlite3_bind_text(st, 1, ref, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, oid, 20, SQLITE_STATIC);
	return step_done(db, st, "cannot keep a head");
}

int vg_sync_alarm_raise(struct vg_store *s, const char *kind, const char *subject, bool blocking,
			const char *fmt, ...)
{
	sqlite3 *db = vg_store__db(s);
	sqlite3_stmt *st = NULL;
	char msg[VG_SYNC_ALARM_MAX];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if ((rc =
		 prep(db, &st,
		      "INSERT INTO alarms (kind, subject, message, blocking, n) VALUES (?, ?, ?, "
		      "?, 1) ON CONFLICT (kind, subject) DO UPDATE SET message = excluded.message, "
		      "blocking = max(blocking, excluded.blocking), n = n + 1")) < 0)
		return rc;
	sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, subject, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, msg, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, blocking ? 1 : 0);
	return step_done(db, st, "cannot keep an alarm");
}

int vg_sync_alarm_foreach(struct vg_store *s, vg_sync_alarm_fn fn, void *ctx)
{
	sqlite3 *db = vg_store__db(s);
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prep(db, &st,
		       "SELECT kind, subject, message, blocking, n FROM alarms ORDER BY blocking "
		       "DESC, kind, subject")) < 0)
		return rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int r = fn(ctx, (const char *)sqlite3_column_text(st, 0),
			   (const char *)sqlite3_column_text(st, 1),
			   (const char *)sqlite3_column_text(st, 2), sqlite3_column_int(st, 3) != 0,
			   sqlite3_column_int64(st, 4));
		if (r != 0) {
			sqlite3_finalize(st);
			return r;
		}
	}
	rc = rc == SQLITE_DONE ? 0 : db_fail(db, "cannot read alarms");
	sqlite3_finalize(st);
	return rc;
}

int vg_sync_alarm_clear(struct vg_store *s, const char *kind, size_t *n)
{
	sqlite3 *db = vg_store__db(s);
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prep(db, &st,
		       kind != NULL ? "DELETE FROM alarms WHERE kind = ?" : "DELETE FROM alarms")) <
	    0)
		return rc;
	if (kind != NULL)
		sqlite3_bind_text(st, 1, kind, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	if (n != NULL)
		*n = (size_t)sqlite3_changes(db);
	rc = rc == SQLITE_DONE ? 0 : db_fail(db, "cannot clear alarms");
	sqlite3_finalize(st);
	return rc;
}

int vg_sync_blocked(struct vg_store *s, bool *yes, char *why, size_t whysz)
{
	sqlite3 *db = vg_store__db(s);
	sqlite3_stmt *st = NULL;
	int rc;

	*yes = false;
	if (why != NULL && whysz > 0)
		why[0] = '\0';
	if ((rc = prep(db, &st, "SELECT message FROM alarms WHERE blocking = 1 LIMIT 1")) < 0)
		return rc;
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*yes = true;
		if (why != NULL && whysz > 0)
			snprintf(why, whysz, "%s", (const char *)sqlite3_column_text(st, 0));
	}
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(db, "cannot read alarms");
	sqlite3_finalize(st);
	return rc;
}

int vg_sync_counts(struct vg_store *s, const uint8_t self[VG_ID_BYTES], uint64_t *pending,
		   uint64_t *delivered)
{
	sqlite3 *db = vg_store__db(s);
	sqlite3_stmt *st = NULL;
	int64_t pushed;
	int rc;

	*pending = *delivered = 0;
	if ((rc = vg_sync_state_int(s, KEY_PUSHED_SEQ, &pushed)) < 0)
		return rc;
	if ((rc = prep(db, &st,
		       "SELECT count(*) FILTER (WHERE seq <= ?2), count(*) FILTER (WHERE seq > "
		       "?2) FROM entries WHERE author = ?1 AND state = 0")) < 0)
		return rc;
	sqlite3_bind_blob(st, 1, self, VG_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, pushed);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		*delivered = (uint64_t)sqlite3_column_int64(st, 0);
		*pending = (uint64_t)sqlite3_column_int64(st, 1);
		rc = 0;
	} else {
		rc = db_fail(db, "cannot count own entries");
	}
	sqlite3_finalize(st);
	return rc;
}

/* ---- internal: the chain questions of the acceptance rules ---- */

int vg_sync__entry_at(struct vg_store *s, bool *found, uint8_t *id, uint8_t *prev,
		      const uint8_t author[VG_ID_BYTES], uint64_t seq)
{
	sqlite3 *db = vg_store__db(s);
	sqlite3_stmt *st = NULL;
	int rc;

	*found = false;
	if ((rc = prep(db, &st,
		       "SELECT id, prev FROM entries WHERE author = ? AND seq = ? AND state = 0 "
		       "LIMIT 1")) < 0)
		return rc;
	sqlite3_bind_blob(st, 1, author, VG_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_bytes(st, 0) == VG_ID_BYTES &&
	    sqlite3_column_bytes(st, 1) == VG_ID_BYTES) {
		*found = true;
		if (id != NULL)
			memcpy(id, sqlite3_column_blob(st, 0), VG_ID_BYTES);
		if (prev != NULL)
			memcpy(prev, sqlite3_column_blob(st, 1), VG_ID_BYTES);
	}
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(db, "cannot read the chain");
	sqlite3_finalize(st);
	return rc;
}

int vg_sync__has_entry(struct vg_store *s, bool *found, const uint8_t id[VG_ID_BYTES])
{
	sqlite3 *db = vg_store__db(s);
	sqlite3_stmt *st = NULL;
	int rc;

	*found = false;
	if ((rc = prep(db, &st, "SELECT 1 FROM entries WHERE id = ?")) < 0)
		return rc;
	sqlite3_bind_blob(st, 1, id, VG_ID_BYTES, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*found = rc == SQLITE_ROW;
	rc = rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(db, "cannot look up an entry");
	sqlite3_finalize(st);
	return rc;
}

/* Collect the 32-byte first column of every row of st. */
static int collect(sqlite3 *db, sqlite3_stmt *st, uint8_t (**out)[VG_ID_BYTES], size_t *n)
{
	uint8_t(*v)[VG_ID_BYTES] = NULL;
	size_t len = 0, cap = 0;
	int rc;

	*out = NULL;
	*n = 0;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) != VG_ID_BYTES)
			continue;
		if (len == cap) {
			size_t nc = cap ? 2 * cap : 64;
			void *p = realloc(v, nc * sizeof(*v));
			if (p == NULL) {
				free(v);
				sqlite3_finalize(st);
				return vg_error_set(VG_ENOMEM, "out of memory");
			}
			v = p;
			cap = nc;
		}
		memcpy(v[len++], sqlite3_column_blob(st, 0), VG_ID_BYTES);
	}
	rc = rc == SQLITE_DONE ? 0 : db_fail(db, "cannot list entries");
	sqlite3_finalize(st);
	if (rc < 0) {
		free(v);
		return rc;
	}
	*out = v;
	*n = len;
	return 0;
}

int vg_sync__ids(struct vg_store *s, uint8_t (**ids)[VG_ID_BYTES], size_t *n,
		 const uint8_t author[VG_ID_BYTES], enum vg_entry_state state, uint64_t after)
{
	sqlite3 *db = vg_store__db(s);
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prep(db, &st,
		       "SELECT id FROM entries WHERE author = ? AND state = ? AND seq > ? ORDER BY "
		       "seq")) < 0)
		return rc;
	sqlite3_bind_blob(st, 1, author, VG_ID_BYTES, SQLITE_STATIC);
	sqlite3_bind_int(st, 2, (int)state);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)after);
	return collect(db, st, ids, n);
}

int vg_sync__pending_authors(struct vg_store *s, uint8_t (**authors)[VG_ID_BYTES], size_t *n)
{
	sqlite3 *db = vg_store__db(s);
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prep(db, &st, "SELECT DISTINCT author FROM entries WHERE state = 1")) < 0)
		return rc;
	return collect(db, st, authors, n);
}

int vg_sync__set_state(struct vg_store *s, const uint8_t id[VG_ID_BYTES], enum vg_entry_state state,
		       const char *reason)
{
	sqlite3 *db = vg_store__db(s);
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prep(db, &st, "UPDATE entries SET state = ?, reason = ? WHERE id = ?")) < 0)
		return rc;
	sqlite3_bind_int(st, 1, (int)state);
	if (reason != NULL)
		sqlite3_bind_text(st, 2, reason, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, id, VG_ID_BYTES, SQLITE_STATIC);
	return step_done(db, st, "cannot change an entry's state");
}

int vg_sync__drop(struct vg_store *s, const uint8_t id[VG_ID_BYTES])
{
	sqlite3 *db = vg_store__db(s);
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = prep(db, &st, "DELETE FROM entries WHERE id = ? AND state = 1")) < 0)
		return rc;
	sqlite3_bind_blob(st, 1, id, VG_ID_BYTES, SQLITE_STATIC);
	return step_done(db, st, "cannot drop an entry");
}
