/*
 * The device's own feed: sequence numbers and previous ids without gaps, entries readable
 * through wrapped file keys and verifiable by anyone with the key, bodies checked, batches
 * atomic, and the demo spreadsheets imported as the statement's 18 cases.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "testutil.h"
#include "vigil/csv.h"
#include "vigil/error.h"
#include "vigil/feed.h"
#include "vigil/fs.h"
#include "vigil/id.h"
#include "vigil/record.h"
#include "vigil/vigil.h"

static struct {
	char *dir, *path;
	struct vg_store *store;
	struct vg_minisign_sk *sk;
	struct vg_minisign_pk pk;
	struct vg_age_identity *coord;
	struct vg_age_recipient rcpts[2];
	uint8_t org[VG_ID_BYTES];
	uint8_t *vault_key;
} W;

static int setup(void **state)
{
	struct vg_age_identity *recovery = NULL;

	(void)state;
	assert_int_equal(vg_init(), 0);
	W.dir = vgt_tmpdir();
	W.path = vgt_path(W.dir, "store.db");
	assert_int_equal(vg_store_open(&W.store, W.path), 0);
	assert_int_equal(vg_minisign_sk_generate(&W.sk), 0);
	vg_minisign_sk_public(&W.pk, W.sk);
	assert_int_equal(vg_age_identity_generate(&W.coord), 0);
	assert_int_equal(vg_age_identity_generate(&recovery), 0);
	vg_age_identity_recipient(&W.rcpts[0], W.coord);
	vg_age_identity_recipient(&W.rcpts[1], recovery);
	vg_age_identity_free(recovery);
	memset(W.org, 0x5a, sizeof(W.org));
	W.vault_key = sodium_malloc(32);
	randombytes_buf(W.vault_key, 32);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vg_store_close(W.store);
	vg_minisign_sk_free(W.sk);
	vg_age_identity_free(W.coord);
	sodium_free(W.vault_key);
	vgt_rmrf(W.dir);
	free(W.dir);
	free(W.path);
	return 0;
}

static void open_feed(struct vg_feed *f)
{
	assert_int_equal(vg_feed_open(f, W.store, W.sk, W.vault_key, W.org, 1, W.rcpts, 2, 1024),
			 0);
}

static int resolve(void *ctx, const struct vg_entry_meta *meta, struct vg_minisign_pk *pk,
		   size_t *n)
{
	(void)ctx;
	(void)meta;
	*pk = W.pk;
	*n = 2;
	return 0;
}

struct chain {
	uint64_t next;
	uint8_t prev[VG_ID_BYTES];
};

/* Anyone with the public key verifies each stored entry, and the chain has no gap. */
static int check_chain(void *ctx, const struct vg_entry *e, enum vg_entry_state st)
{
	struct chain *c = ctx;
	struct vg_entry_meta m;
	uint8_t id[VG_ID_BYTES];

	assert_int_equal(st, VG_STATE_ACCEPTED);
	assert_int_equal(vg_entry_verify(&m, id, e->age.ptr, e->age.len, (const char *)e->sig.ptr,
					 e->sig.len, W.org, resolve, NULL, e->id),
			 0);
	assert_int_equal(m.seq, c->next);
	assert_memory_equal(m.prev, c->prev, VG_ID_BYTES);
	memcpy(c->prev, id, VG_ID_BYTES);
	c->next++;
	return 0;
}

static void test_append_read_chain(void **state)
{
	struct vg_feed f;
	struct vg_entry_content c = {.type = VG_ENTRY_OPEN};
	uint8_t ids[3][VG_ID_BYTES];
	json_t *doc = NULL;
	struct chain ch = {1, {0}};
	json_error_t jerr;

	(void)state;
	open_feed(&f);
	assert_int_equal(f.head_seq, 0);
	randombytes_buf(c.case_id, sizeof(c.case_id));
	c.body = json_loads(
	    "{\"person\":{\"name\":\"Азимжан Аскаров\",\"country\":\"Kyrgyzstan\"}}", 0, &jerr);
	assert_int_equal(vg_feed_append(&f, ids[0], &c), 0);
	json_decref(c.body);
	c.type = VG_ENTRY_EVENT;
	c.body = json_loads("{\"event\":{\"type\":\"arrest\",\"date\":\"2010-06\"}}", 0, &jerr);
	assert_int_equal(vg_feed_append(&f, ids[1], &c), 0);
	json_decref(c.body);
	/* A body its schema refuses stores nothing and leaves the head. */
	c.body = json_loads("{\"event\":{\"date\":\"2010-06\"}}", 0, &jerr);
	assert_int_equal(vg_feed_append(&f, NULL, &c), VG_EFORMAT);
	json_decref(c.body);
	assert_int_equal(f.head_seq, 2);
	vg_feed_release(&f);
	/* Reopened, the feed continues where the store says. */
	open_feed(&f);
	assert_int_equal(f.head_seq, 2);
	assert_memory_equal(f.head_id, ids[1], VG_ID_BYTES);
	c.body = json_loads("{\"event\":{\"type\":\"sentenced\",\"sentence\":\"life\"}}", 0, &jerr);
	assert_int_equal(vg_feed_append(&f, ids[2], &c), 0);
	json_decref(c.body);
	vg_feed_release(&f);
	assert_int_equal(vg_store_foreach(W.store, NULL, check_chain, &ch), 0);
	assert_int_equal(ch.next, 4);
	/* Read back through the wrapped file key, and by the coordinator with X25519. */
	assert_int_equal(vg_feed_read(&doc, W.store, W.vault_key, ids[0], 1024, NULL), 0);
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(json_object_get(doc, "body"), "person"), "name")),
			    "Азимжан Аскаров");
	json_decref(doc);
	{
		struct vg_entry e;
		vg_entry_init(&e);
		assert_int_equal(vg_store_get_entry(W.store, &e, NULL, ids[2]), 0);
		assert_int_equal(
		    vg_entry_open(&doc, &e.meta, e.age.ptr, e.age.len, W.coord, NULL, 1024, NULL),
		    0);
		assert_int_equal(json_integer_value(json_object_get(doc, "seq")), 3);
		json_decref(doc);
		vg_entry_release(&e);
	}
	/* Another vault key reads nothing. */
	{
		uint8_t *other = sodium_malloc(32);
		randombytes_buf(other, 32);
		assert_int_equal(vg_feed_read(&doc, W.store, other, ids[0], 1024, NULL), VG_EAUTH);
		sodium_free(other);
	}
}

static void test_rolled_back_batch(void **state)
{
	struct vg_feed f;
	struct vg_entry_content c = {.type = VG_ENTRY_EVENT};
	uint64_t before;
	json_error_t jerr;

	(void)state;
	open_feed(&f);
	before = f.head_seq;
	c.body = json_loads("{\"event\":{\"type\":\"release\"}}", 0, &jerr);
	assert_int_equal(vg_store_begin(W.store), 0);
	for (int i = 0; i < 5; i++)
		assert_int_equal(vg_feed_append(&f, NULL, &c), 0);
	vg_store_rollback(W.store);
	vg_feed_release(&f);
	json_decref(c.body);
	open_feed(&f);
	assert_int_equal(f.head_seq, before);
	vg_feed_release(&f);
}

static void import_file(struct vg_feed *f, const char *name, size_t *cases, size_t *events)
{
	char path[4096];
	struct vg_buf b = VG_BUF_INIT;
	struct vg_csv *csv = NULL;
	struct vg_import *imp = NULL;

	snprintf(path, sizeof(path), "%s/packaging/demo/%s", getenv("VIGIL_SOURCE_DIR"), name);
	assert_int_equal(vg_fs_read_file(&b, path, VG_CSV_FILE_MAX), 0);
	assert_int_equal(vg_csv_parse(&csv, b.ptr, b.len), 0);
	assert_int_equal(vg_import_from_csv(&imp, csv), 0);
	assert_int_equal(vg_store_begin(W.store), 0);
	for (size_t i = 0; i < imp->ncases; i++) {
		struct vg_entry_content c = {.type = VG_ENTRY_OPEN, .body = imp->cases[i].open};
		randombytes_buf(c.case_id, sizeof(c.case_id));
		assert_int_equal(vg_feed_append(f, NULL, &c), 0);
		c.type = VG_ENTRY_EVENT;
		for (size_t j = 0; j < imp->cases[i].nevents; j++) {
			c.body = imp->cases[i].events[j];
			assert_int_equal(vg_feed_append(f, NULL, &c), 0);
		}
	}
	assert_int_equal(vg_store_commit(W.store), 0);
	*cases += imp->ncases;
	*events += imp->nevents;
	vg_import_free(imp);
	vg_csv_free(csv);
	vg_buf_release(&b);
}

static void test_import_demo(void **state)
{
	struct vg_feed f;
	size_t cases = 0, events = 0;
	uint64_t before = 0, after = 0;

	(void)state;
	assert_int_equal(vg_store_count(W.store, &before, NULL, VG_STATE_ACCEPTED), 0);
	open_feed(&f);
	import_file(&f, "monitor-a.csv", &cases, &events);
	import_file(&f, "monitor-b.csv", &cases, &events);
	vg_feed_release(&f);
	assert_int_equal(cases, 18);
	assert_int_equal(events, 21);
	assert_int_equal(vg_store_count(W.store, &after, NULL, VG_STATE_ACCEPTED), 0);
	assert_int_equal(after - before, 18 + 21);
	assert_int_equal(vg_store_check(W.store), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_append_read_chain),
	    cmocka_unit_test(test_rolled_back_batch),
	    cmocka_unit_test(test_import_demo),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
