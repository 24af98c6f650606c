/*
 * Allocation failure (issue 14): SQLite's allocator is replaced by one that fails the Nth
 * request, for every N from 0 until the whole scenario runs through without reaching N.
 * At each point the store's functions must return an error (no crash, nothing committed
 * lost), and the store must then open, pass integrity_check and hold every committed
 * draft. The sanitized build runs this under LeakSanitizer, so a failure path that leaks
 * fails too. A positive control checks that the scenario does allocate through SQLite.
 *
 * libgit2's allocations and vigil's own are failed by test_oom_lib.c (libgit2 1.5.1 crashes
 * in its own code when some of its allocations fail: that test runs each point in a child).
 *
 * Prints one summary line: reliability: oom-sqlite.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <sqlite3.h>

#include "testutil.h"
#include "vigil/error.h"
#include "vigil/store.h"
#include "vigil/vigil.h"

#define MAX_POINTS 4000 /* far more allocations than either scenario makes */

/* The countdown: the allocation that brings it to 0 fails; below 0 nothing fails. */
static long countdown = -1;
static unsigned long injected;

static int fail_now(void)
{
	if (countdown < 0)
		return 0;
	if (countdown-- == 0) {
		injected++;
		return 1;
	}
	return 0;
}

/* ---- SQLite: wraps the default allocator (SQLITE_CONFIG_GETMALLOC) ---- */

static sqlite3_mem_methods sqlite_default;

static void *sq_malloc(int n)
{
	return fail_now() ? NULL : sqlite_default.xMalloc(n);
}

static void *sq_realloc(void *p, int n)
{
	return fail_now() ? NULL : sqlite_default.xRealloc(p, n);
}

static int group_setup(void **state)
{
	sqlite3_mem_methods m;

	(void)state;
	/* Before SQLite starts: it takes no new allocator afterwards. */
	assert_int_equal(sqlite3_config(SQLITE_CONFIG_GETMALLOC, &sqlite_default), SQLITE_OK);
	m = sqlite_default;
	m.xMalloc = sq_malloc;
	m.xRealloc = sq_realloc;
	assert_int_equal(sqlite3_config(SQLITE_CONFIG_MALLOC, &m), SQLITE_OK);
	assert_int_equal(vg_init(), 0);
	return 0;
}

/* An error a caller can act on: out of memory, or what the library made of it. */
static void assert_clean_error(int rc, long point)
{
	if (rc != VG_ENOMEM && rc != VG_EIO && rc != VG_ERROR && rc != VG_EFORMAT)
		fail_msg("allocation %ld failed: the result was %d (%s)", point, rc,
			 vg_error_last());
}

/* ---- the store ---- */

static const uint8_t vault_key[32] = {7};
static const char doc[] = "{\"draft\":\"a document of a monitor, sealed\"}";

/* Open, write two drafts and a state row in a transaction, read them back, close. */
static int store_scenario(const char *path, int64_t *drafts)
{
	struct vg_store *s = NULL;
	struct vg_buf out = VG_BUF_INIT;
	int64_t n1 = 0, n2 = 0;
	int rc;

	if ((rc = vg_store_open(&s, path)) < 0)
		return rc;
	if ((rc = vg_store_begin(s)) < 0)
		goto done;
	if ((rc = vg_store_put_draft(s, &n1, vault_key, (const uint8_t *)doc, sizeof(doc) - 1)) <
		0 ||
	    (rc = vg_store_put_draft(s, &n2, vault_key, (const uint8_t *)doc, sizeof(doc) - 1)) <
		0) {
		vg_store_rollback(s);
		goto done;
	}
	if ((rc = vg_store_commit(s)) < 0)
		goto done;
	*drafts += 2;
	if ((rc = vg_store_get_draft(s, &out, vault_key, n2)) < 0)
		goto done;
	if (out.len != sizeof(doc) - 1 || memcmp(out.ptr, doc, out.len) != 0)
		fail_msg("a draft read back differs");
	rc = vg_store_check(s);
done:
	vg_buf_release(&out);
	vg_store_close(s);
	return rc;
}

static int count_draft(void *ctx, int64_t n, const uint8_t *d, size_t len)
{
	(void)n, (void)d, (void)len;
	(*(int64_t *)ctx)++;
	return 0;
}

static void test_store_allocation_failures(void **state)
{
	char *dir = vgt_tmpdir(), *path = vgt_path(dir, "store.db");
	int64_t committed = 0, found = 0;
	struct vg_store *s = NULL;
	long n;
	int rc;
	struct timespec t0, t1;

	(void)state;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (n = 0; n < MAX_POINTS; n++) {
		injected = 0;
		countdown = n;
		rc = store_scenario(path, &committed);
		countdown = -1;
		if (rc < 0)
			assert_clean_error(rc, n);
		/* Whatever happened, the store opens, is intact and holds every committed draft
		 * (a commit reported as failed may still have landed: never acknowledged). */
		assert_int_equal(vg_store_open(&s, path), 0);
		found = 0;
		assert_int_equal(vg_store_foreach_draft(s, vault_key, count_draft, &found), 0);
		assert_int_equal(vg_store_check(s), 0);
		vg_store_close(s);
		if (found < committed)
			fail_msg("after a failure at allocation %ld: %lld drafts, %lld committed",
				 n, (long long)found, (long long)committed);
		committed = found;
		if (rc == 0 && injected == 0)
			break; /* ran through without reaching point n: every point is covered */
	}
	print_message("store: %ld allocation points, every one refused cleanly\n", n);
	assert_true(n > 40 && n < MAX_POINTS); /* positive control, and it did finish */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	print_message("reliability: oom-sqlite: %ld tried, 0 failed, %.1f s\n", n + 1,
		      (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	vgt_rmrf(dir);
	free(path);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_store_allocation_failures),
	};
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
