/*
 * The device store: entries and their public columns, wrapped file keys, sealed drafts,
 * file modes, and that nothing readable reaches the database or its WAL.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "testutil.h"
#include "vigil/age.h"
#include "vigil/entry.h"
#include "vigil/error.h"
#include "vigil/id.h"
#include "vigil/minisign.h"
#include "vigil/store.h"
#include "vigil/vigil.h"

#define CANARY "Canary-Zhanbolat-Мамай-7f3a"

struct fixture {
	char *dir, *path;
	struct vg_store *s;
	struct vg_minisign_sk *sk;
	struct vg_age_identity *id;
	struct vg_age_recipient r;
	struct vg_entry_meta meta;
	uint8_t *vault_key;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct vg_minisign_pk pk;

	assert_int_equal(vg_init(), 0);
	f->dir = vgt_tmpdir();
	f->path = vgt_path(f->dir, "store.db");
	assert_int_equal(vg_store_open(&f->s, f->path), 0);
	assert_int_equal(vg_minisign_sk_generate(&f->sk), 0);
	assert_int_equal(vg_age_identity_generate(&f->id), 0);
	vg_age_identity_recipient(&f->r, f->id);
	vg_minisign_sk_public(&pk, f->sk);
	vg_id_of_key(f->meta.author, &pk);
	memset(f->meta.org, 9, VG_ID_BYTES);
	f->meta.roster = 1;
	f->vault_key = sodium_malloc(32);
	randombytes_buf(f->vault_key, 32);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	vg_store_close(f->s);
	vg_minisign_sk_free(f->sk);
	vg_age_identity_free(f->id);
	sodium_free(f->vault_key);
	vgt_rmrf(f->dir);
	free(f->dir);
	free(f->path);
	free(f);
	return 0;
}

/* Seal the next entry of the fixture's feed, with body {"note": note}. */
static void next_entry(struct fixture *f, struct vg_entry *e, uint8_t *fk, const char *note)
{
	struct vg_entry_content c = {.type = VG_ENTRY_EVENT, .time = "2017-03-28T10:00:00Z"};

	c.body = json_pack("{s:s}", "note", note);
	f->meta.seq++;
	vg_entry_init(e);
	assert_int_equal(vg_entry_seal(e, fk, f->sk, &f->meta, &f->r, 1, 256, &c, NULL), 0);
	memcpy(f->meta.prev, e->id, VG_ID_BYTES);
	json_decref(c.body);
}

static void test_file_modes_and_schema(void **state)
{
	struct fixture *f = *state;
	char *wal = vgt_path(f->dir, "store.db-wal");
	struct stat st;
	sqlite3 *db;
	sqlite3_stmt *q;
	int64_t n;

	/* The WAL appears with the first write; every file of the store is 0600. */
	assert_int_equal(vg_store_put_draft(f->s, &n, f->vault_key, (const uint8_t *)"{}", 2), 0);
	assert_int_equal(stat(f->path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "wal");
	sqlite3_finalize(q);
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA application_id", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int64(q, 0), 0x5647494c);
	sqlite3_finalize(q);
	sqlite3_close(db);
	free(wal);
}

static void test_entries(void **state)
{
	struct fixture *f = *state;
	struct vg_entry e[3], back;
	enum vg_entry_state st;
	uint8_t head_id[VG_ID_BYTES];
	uint64_t head = 0, n = 0;

	for (int i = 0; i < 3; i++)
		next_entry(f, &e[i], NULL, "x");
	assert_int_equal(vg_store_begin(f->s), 0);
	assert_int_equal(vg_store_put_entry(f->s, &e[0], VG_STATE_ACCEPTED, NULL), 0);
	assert_int_equal(vg_store_put_entry(f->s, &e[1], VG_STATE_ACCEPTED, NULL), 0);
	assert_int_equal(vg_store_put_entry(f->s, &e[2], VG_STATE_QUARANTINED, "after the cutoff"),
			 0);
	assert_int_equal(vg_store_commit(f->s), 0);
	/* An id is stored once. */
	assert_int_equal(vg_store_put_entry(f->s, &e[0], VG_STATE_ACCEPTED, NULL), VG_EEXISTS);
	/* The head is the highest accepted entry, not the quarantined one. */
	assert_int_equal(vg_store_feed_head(f->s, &head, head_id, f->meta.author), 0);
	assert_int_equal(head, 2);
	assert_memory_equal(head_id, e[1].id, VG_ID_BYTES);
	assert_int_equal(vg_store_count(f->s, &n, f->meta.author, VG_STATE_QUARANTINED), 0);
	assert_int_equal(n, 1);
	assert_int_equal(vg_store_count(f->s, &n, NULL, VG_STATE_ACCEPTED), 0);
	assert_int_equal(n, 2);
	/* Read back byte for byte. */
	vg_entry_init(&back);
	assert_int_equal(vg_store_get_entry(f->s, &back, &st, e[2].id), 0);
	assert_int_equal(st, VG_STATE_QUARANTINED);
	assert_int_equal(back.age.len, e[2].age.len);
	assert_memory_equal(back.age.ptr, e[2].age.ptr, back.age.len);
	assert_memory_equal(back.sig.ptr, e[2].sig.ptr, back.sig.len);
	assert_memory_equal(&back.meta.seq, &e[2].meta.seq, sizeof(uint64_t));
	assert_memory_equal(back.meta.prev, e[1].id, VG_ID_BYTES);
	back.id[0] ^= 1;
	assert_int_equal(vg_store_get_entry(f->s, &back, NULL, back.id), VG_ENOTFOUND);
	/* A rolled-back transaction leaves nothing. */
	{
		struct vg_entry e4;
		next_entry(f, &e4, NULL, "y");
		assert_int_equal(vg_store_begin(f->s), 0);
		assert_int_equal(vg_store_put_entry(f->s, &e4, VG_STATE_ACCEPTED, NULL), 0);
		vg_store_rollback(f->s);
		assert_int_equal(vg_store_get_entry(f->s, &back, NULL, e4.id), VG_ENOTFOUND);
		vg_entry_release(&e4);
	}
	/* A row whose public columns were edited no longer matches its signed comment. */
	{
		sqlite3 *db;
		assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
		assert_int_equal(
		    sqlite3_exec(db, "UPDATE entries SET seq = 99 WHERE seq = 2", NULL, NULL, NULL),
		    SQLITE_OK);
		sqlite3_close(db);
		assert_int_equal(vg_store_get_entry(f->s, &back, NULL, e[1].id), VG_EFORMAT);
	}
	vg_entry_release(&back);
	for (int i = 0; i < 3; i++)
		vg_entry_release(&e[i]);
}

static int count_cb(void *ctx, const struct vg_entry *e, enum vg_entry_state st)
{
	uint64_t *want = ctx;
	(void)st;
	assert_int_equal(e->meta.seq, *want);
	(*want)++;
	return 0;
}

static void test_foreach_order(void **state)
{
	struct fixture *f = *state;
	struct vg_entry e[5];
	uint64_t next = 1;

	for (int i = 0; i < 5; i++)
		next_entry(f, &e[i], NULL, "z");
	/* Inserted out of order, walked in feed order. */
	for (int i = 4; i >= 0; i--)
		assert_int_equal(vg_store_put_entry(f->s, &e[i], VG_STATE_ACCEPTED, NULL), 0);
	assert_int_equal(vg_store_foreach(f->s, f->meta.author, count_cb, &next), 0);
	assert_int_equal(next, 6);
	for (int i = 0; i < 5; i++)
		vg_entry_release(&e[i]);
}

static void test_file_keys(void **state)
{
	struct fixture *f = *state;
	struct vg_entry e;
	uint8_t *fk = sodium_malloc(VG_AGE_FILE_KEY_BYTES), *got = sodium_malloc(16);
	uint8_t *other = sodium_malloc(32), unknown[VG_ID_BYTES];
	json_t *doc = NULL;

	next_entry(f, &e, fk, "file key");
	/* A key for an entry the store does not hold is refused (foreign keys are on). */
	memset(unknown, 0x42, sizeof(unknown));
	assert_int_not_equal(vg_store_put_file_key(f->s, unknown, f->vault_key, fk), 0);
	assert_int_equal(vg_store_put_entry(f->s, &e, VG_STATE_ACCEPTED, NULL), 0);
	assert_int_equal(vg_store_put_file_key(f->s, e.id, f->vault_key, fk), 0);
	assert_int_equal(vg_store_get_file_key(f->s, got, e.id, f->vault_key), 0);
	assert_memory_equal(got, fk, 16);
	/* The kept key opens the entry without the identity. */
	assert_int_equal(vg_entry_open(&doc, &e.meta, e.age.ptr, e.age.len, NULL, got, 256, NULL),
			 0);
	json_decref(doc);
	/* Another vault key does not unwrap it; an unknown id has none. */
	randombytes_buf(other, 32);
	assert_int_equal(vg_store_get_file_key(f->s, got, e.id, other), VG_EAUTH);
	assert_int_equal(vg_store_get_file_key(f->s, got, unknown, f->vault_key), VG_ENOTFOUND);
	sodium_free(fk);
	sodium_free(got);
	sodium_free(other);
	vg_entry_release(&e);
}

struct drafts_seen {
	int n;
	char last[64];
};

static int draft_cb(void *ctx, int64_t n, const uint8_t *doc, size_t len)
{
	struct drafts_seen *d = ctx;
	(void)n;
	d->n++;
	snprintf(d->last, sizeof(d->last), "%.*s", (int)len, (const char *)doc);
	return 0;
}

/* Scan a file for a byte string. */
static int file_has(const char *path, const char *needle)
{
	struct vg_buf b = VG_BUF_INIT;
	int found = 0;
	FILE *fp = fopen(path, "rb");

	if (fp == NULL)
		return 0;
	fclose(fp);
	vgt_read_file(&b, path);
	for (size_t i = 0; b.len >= strlen(needle) && i <= b.len - strlen(needle); i++)
		if (memcmp(b.ptr + i, needle, strlen(needle)) == 0)
			found = 1;
	vg_buf_release(&b);
	return found;
}

static void test_drafts_and_secrecy(void **state)
{
	struct fixture *f = *state;
	struct drafts_seen seen = {0};
	struct vg_entry e;
	char *wal = vgt_path(f->dir, "store.db-wal");
	uint8_t *other = sodium_malloc(32);
	int64_t n1, n2;

	assert_int_equal(
	    vg_store_put_draft(f->s, &n1, f->vault_key, (const uint8_t *)"{\"a\":1}", 7), 0);
	assert_int_equal(vg_store_put_draft(f->s, &n2, f->vault_key,
					    (const uint8_t *)"{\"person\":\"" CANARY "\"}",
					    strlen("{\"person\":\"" CANARY "\"}")),
			 0);
	assert_int_equal(vg_store_foreach_draft(f->s, f->vault_key, draft_cb, &seen), 0);
	assert_int_equal(seen.n, 2);
	assert_non_null(strstr(seen.last, CANARY));
	randombytes_buf(other, 32);
	assert_int_equal(vg_store_foreach_draft(f->s, other, draft_cb, &seen), VG_EAUTH);
	/* Case text sealed in entries and drafts is nowhere in the database or its WAL. */
	next_entry(f, &e, NULL, CANARY);
	assert_int_equal(vg_store_put_entry(f->s, &e, VG_STATE_ACCEPTED, NULL), 0);
	assert_false(file_has(f->path, CANARY));
	assert_false(file_has(wal, CANARY));
	/* Positive control: the same scan finds text stored through a clear column. */
	{
		struct vg_entry q;
		next_entry(f, &q, NULL, "q");
		assert_int_equal(vg_store_put_entry(f->s, &q, VG_STATE_QUARANTINED, CANARY), 0);
		assert_true(file_has(f->path, CANARY) || file_has(wal, CANARY));
		vg_entry_release(&q);
	}
	assert_int_equal(vg_store_delete_draft(f->s, n2), 0);
	seen.n = 0;
	assert_int_equal(vg_store_foreach_draft(f->s, f->vault_key, draft_cb, &seen), 0);
	assert_int_equal(seen.n, 1);
	assert_int_equal(vg_store_check(f->s), 0);
	vg_entry_release(&e);
	sodium_free(other);
	free(wal);
}

static void test_refuses_foreign_files(void **state)
{
	struct fixture *f = *state;
	char *p = vgt_path(f->dir, "other.db"), *q = vgt_path(f->dir, "junk.db");
	struct vg_store *s = NULL;
	sqlite3 *db;

	/* Another SQLite database. */
	assert_int_equal(sqlite3_open(p, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(vg_store_open(&s, p), VG_EFORMAT);
	assert_null(s);
	/* A file that is not a database at all. */
	vgt_write_file(q, "this is not a database, just text of some length.......", 56);
	assert_int_not_equal(vg_store_open(&s, q), 0);
	/* A store from a newer version. */
	vg_store_close(f->s);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_int_equal(vg_store_open(&f->s, f->path), VG_EFORMAT);
	assert_non_null(strstr(vg_error_last(), "newer"));
	free(p);
	free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_file_modes_and_schema, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_entries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_foreach_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_file_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_drafts_and_secrecy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refuses_foreign_files, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
