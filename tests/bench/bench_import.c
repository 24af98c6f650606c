/*
 * Importing N events (default 10,000) as a device does: each sealed to three recipients,
 * signed, stored with its wrapped file key, all in one transaction made durable at commit.
 * Printed beside, in the same run: the raw libsodium seal loop for N entries, and a raw
 * SQLite loop inserting N rows of the same size in one transaction with synchronous=FULL.
 * Not a pass/fail test: figures to quote (target: vigil >= 0.7x the raw seal loop).
 *
 *   bench_import [N]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "bench.h"
#include "vigil/error.h"
#include "vigil/feed.h"
#include "vigil/store.h"
#include "vigil/vigil.h"

#define NRCPT 3
#define CHUNK 500

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000;
	char dir[] = "/tmp/vigil-bench-XXXXXX", path[64], rawpath[64];
	struct vg_minisign_sk *sk = NULL;
	struct vg_age_identity *ids[NRCPT];
	struct vg_age_recipient rcpts[NRCPT];
	struct vg_store *store = NULL;
	struct vg_feed f;
	struct vg_entry_content c = {.type = VG_ENTRY_EVENT, .time = "2017-03-28T10:00:00Z"};
	static struct bench_raw raw;
	uint8_t org[32], *vault_key;
	char notes[600];
	double t, t_ours, t_raw, t_sql;
	sqlite3 *db;
	sqlite3_stmt *st;

	if (n < 1 || vg_init() < 0 || mkdtemp(dir) == NULL || vg_minisign_sk_generate(&sk) < 0)
		return 1;
	for (int i = 0; i < NRCPT; i++) {
		if (vg_age_identity_generate(&ids[i]) < 0)
			return 1;
		vg_age_identity_recipient(&rcpts[i], ids[i]);
	}
	vault_key = sodium_malloc(32);
	randombytes_buf(vault_key, 32);
	memset(org, 1, sizeof(org));
	snprintf(path, sizeof(path), "%s/store.db", dir);
	snprintf(rawpath, sizeof(rawpath), "%s/raw.db", dir);
	memset(notes, 'x', sizeof(notes) - 1);
	notes[sizeof(notes) - 1] = '\0';
	c.body = json_pack("{s:{s:s,s:s,s:s},s:{s:b,s:s},s:s}", "event", "type", "sentenced",
			   "date", "2016-10-06", "sentence", "21 years", "source", "confidential",
			   1, "description", "joint NGO statement", "notes", notes);

	/*
	 * vigil's import (one transaction) and the raw seal loop, in alternating chunks of the
	 * same size, so that load from elsewhere on the machine falls on both alike.
	 */
	if (vg_store_open(&store, path) < 0 ||
	    vg_feed_open(&f, store, sk, vault_key, org, 1, rcpts, NRCPT, 1024) < 0)
		return 1;
	bench_raw_init(&raw, rcpts, NRCPT);
	t_ours = t_raw = 0;
	if (vg_store_begin(store) < 0)
		return 1;
	for (long done = 0; done < n; done += CHUNK) {
		long k = n - done < CHUNK ? n - done : CHUNK;
		t = bench_now();
		for (long i = 0; i < k; i++) {
			randombytes_buf(c.case_id, sizeof(c.case_id));
			if (vg_feed_append(&f, NULL, &c) < 0) {
				fprintf(stderr, "append: %s\n", vg_error_last());
				return 1;
			}
		}
		t_ours += bench_now() - t;
		t = bench_now();
		for (long i = 0; i < k; i++)
			bench_raw_seal(&raw);
		t_raw += bench_now() - t;
	}
	t = bench_now();
	if (vg_store_commit(store) < 0)
		return 1;
	t_ours += bench_now() - t;

	/* Raw SQLite: rows of the same size, one transaction, WAL and synchronous=FULL. */
	if (sqlite3_open(rawpath, &db) != SQLITE_OK ||
	    sqlite3_exec(db,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			 "CREATE TABLE t (id BLOB PRIMARY KEY, age BLOB, sig BLOB, k BLOB)",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, "INSERT INTO t VALUES (?, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		return 1;
	t = bench_now();
	sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
	for (long i = 0; i < n; i++) {
		uint8_t id[32];
		randombytes_buf(id, sizeof(id));
		sqlite3_bind_blob(st, 1, id, 32, SQLITE_STATIC);
		sqlite3_bind_blob(st, 2, raw.age, 1400, SQLITE_STATIC);
		sqlite3_bind_blob(st, 3, raw.ct, 350, SQLITE_STATIC);
		sqlite3_bind_blob(st, 4, raw.ct, 56, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			return 1;
		sqlite3_reset(st);
	}
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	t_sql = bench_now() - t;
	sqlite3_finalize(st);
	sqlite3_close(db);

	printf("import of %ld events (3 recipients, 1 KiB plaintext), one transaction:\n", n);
	printf("  vigil (seal + sign + store + wrapped key): %7.0f events/s  (%.2f s)\n",
	       (double)n / t_ours, t_ours);
	printf("  raw libsodium seal loop:                   %7.0f seals/s   (%.2f s)\n",
	       (double)n / t_raw, t_raw);
	printf("  raw SQLite insert loop (FULL, WAL):        %7.0f rows/s    (%.2f s)\n",
	       (double)n / t_sql, t_sql);
	printf("  ratio vigil / raw seal: %.2f (target >= 0.70); vigil / (raw seal + raw insert): "
	       "%.2f\n",
	       t_raw / t_ours, (t_raw + t_sql) / t_ours);
	vg_feed_release(&f);
	vg_store_close(store);
	json_decref(c.body);
	sodium_free(vault_key);
	vg_minisign_sk_free(sk);
	for (int i = 0; i < NRCPT; i++)
		vg_age_identity_free(ids[i]);
	unlink(path);
	snprintf(path, sizeof(path), "%s/store.db-wal", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/store.db-shm", dir);
	unlink(path);
	unlink(rawpath);
	snprintf(rawpath, sizeof(rawpath), "%s/raw.db-wal", dir);
	unlink(rawpath);
	snprintf(rawpath, sizeof(rawpath), "%s/raw.db-shm", dir);
	unlink(rawpath);
	rmdir(dir);
	return 0;
}
