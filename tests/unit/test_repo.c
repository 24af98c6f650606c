/*
 * The local repository layer: entries committed to a member's branch as stock git sees
 * them (fsck --strict, fixed author and time, empty message, packs and no loose objects),
 * walked back since a commit,
 * and a hostile history refused: foreign files, removed or changed entries, oversized
 * blobs, a branch moved by another writer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "testutil.h"
#include "vigil/age.h"
#include "vigil/entry.h"
#include "vigil/error.h"
#include "vigil/id.h"
#include "vigil/minisign.h"
#include "repo_git.h"
#include "vigil/repo.h"
#include "vigil/vigil.h"

static struct {
	struct vg_minisign_sk *sk;
	struct vg_age_recipient r;
	struct vg_entry_meta meta;
	char *dir, *git;
	struct vg_repo *repo;
	char ref[VG_REPO_BRANCH_MAX];
} W;

static int setup(void **state)
{
	struct vg_age_identity *id = NULL;
	struct vg_minisign_pk pk;

	(void)state;
	assert_int_equal(vg_init(), 0);
	assert_int_equal(vg_minisign_sk_generate(&W.sk), 0);
	assert_int_equal(vg_age_identity_generate(&id), 0);
	vg_age_identity_recipient(&W.r, id);
	vg_age_identity_free(id);
	vg_minisign_sk_public(&pk, W.sk);
	memset(&W.meta, 0, sizeof(W.meta));
	vg_id_of_key(W.meta.author, &pk);
	W.meta.roster = 1;
	W.dir = vgt_tmpdir();
	W.git = vgt_path(W.dir, "repo.git");
	assert_int_equal(vg_repo_open(&W.repo, W.git, 1), 0);
	vg_repo_member_ref(W.ref, W.meta.author);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vg_repo_free(W.repo);
	vg_minisign_sk_free(W.sk);
	vgt_rmrf(W.dir);
	free(W.dir);
	free(W.git);
	return 0;
}

static void next_entry(struct vg_entry *e)
{
	struct vg_entry_content c = {.type = VG_ENTRY_EVENT, .time = "2017-03-28T10:00:00Z"};

	c.body = json_pack("{s:i}", "n", (int)W.meta.seq);
	W.meta.seq++;
	vg_entry_init(e);
	assert_int_equal(vg_entry_seal(e, NULL, W.sk, &W.meta, &W.r, 1, 256, &c, NULL), 0);
	memcpy(W.meta.prev, e->id, VG_ID_BYTES);
	json_decref(c.body);
}

struct seen {
	int n;
	uint8_t ids[16][VG_ID_BYTES];
};

static int collect(void *ctx, const uint8_t id[VG_ID_BYTES], const uint8_t *age, size_t agelen,
		   const char *sig, size_t siglen)
{
	struct seen *s = ctx;
	uint8_t computed[VG_ID_BYTES];

	/* What comes back is what was committed: the id recomputes. */
	assert_int_equal(vg_entry_compute_id(computed, age, agelen, sig, siglen), 0);
	assert_memory_equal(computed, id, VG_ID_BYTES);
	memcpy(s->ids[s->n++], id, VG_ID_BYTES);
	return 0;
}

static int git(const char *const *args, struct vg_buf *out)
{
	const char *argv[16] = {"git", "--git-dir", W.git};
	int i = 3;
	for (; *args != NULL; args++)
		argv[i++] = *args;
	argv[i] = NULL;
	return vgt_run(argv, NULL, 0, out, NULL);
}

static void test_append_and_walk(void **state)
{
	struct vg_entry e[5];
	const struct vg_entry *batch[3];
	uint8_t c1[VG_REPO_OID_BYTES], c2[VG_REPO_OID_BYTES], head[VG_REPO_OID_BYTES];
	struct seen s = {0};
	int yes = 0;

	(void)state;
	for (int i = 0; i < 5; i++)
		next_entry(&e[i]);
	assert_int_equal(vg_repo_head(W.repo, head, W.ref), VG_ENOTFOUND);
	batch[0] = &e[0];
	batch[1] = &e[1];
	assert_int_equal(vg_repo_append(W.repo, c1, W.ref, batch, 2), 0);
	batch[0] = &e[2];
	batch[1] = &e[3];
	batch[2] = &e[4];
	assert_int_equal(vg_repo_append(W.repo, c2, W.ref, batch, 3), 0);
	assert_int_equal(vg_repo_head(W.repo, head, W.ref), 0);
	assert_memory_equal(head, c2, VG_REPO_OID_BYTES);
	assert_int_equal(vg_repo_descends(W.repo, &yes, c2, c1), 0);
	assert_true(yes);
	assert_int_equal(vg_repo_descends(W.repo, &yes, c1, c2), 0);
	assert_false(yes);
	/* Since c1: only the three new entries; since nothing: all five. */
	assert_int_equal(vg_repo_foreach_entry(W.repo, c2, c1, collect, &s), 0);
	assert_int_equal(s.n, 3);
	s.n = 0;
	assert_int_equal(vg_repo_foreach_entry(W.repo, c2, NULL, collect, &s), 0);
	assert_int_equal(s.n, 5);
	/* An entry already there is refused. */
	batch[0] = &e[4];
	assert_int_equal(vg_repo_append(W.repo, c1, W.ref, batch, 1), VG_EEXISTS);
	for (int i = 0; i < 5; i++)
		vg_entry_release(&e[i]);
}

static void test_stock_git_sees_a_clean_repository(void **state)
{
	struct vg_buf out = VG_BUF_INIT;
	char hex[VG_ID_HEX_LEN + 1], want[256];
	const char *fsck[] = {"fsck", "--strict", "--no-dangling", NULL};
	const char *log[] = {"log", "--format=%an <%ae> %at %ct [%s]", W.ref, NULL};
	const char *ls[] = {"ls-tree", "-r", "--name-only", W.ref, NULL};
	const char *count[] = {"count-objects", "-v", NULL};

	(void)state;
	VGT_REQUIRE(vgt_have_tool("git"), "stock git is not installed");
	assert_int_equal(git(fsck, &out), 0);
	vg_buf_clear(&out);
	/* Appends write packs (one fsync each), never loose objects (one fsync per object). */
	assert_int_equal(git(count, &out), 0);
	assert_non_null(strstr((const char *)out.ptr, "count: 0\n"));
	assert_non_null(strstr((const char *)out.ptr, "packs: 2\n"));
	vg_buf_clear(&out);
	assert_int_equal(git(log, &out), 0);
	assert_string_equal((const char *)out.ptr,
			    "vigil <vigil@invalid> 0 0 []\nvigil <vigil@invalid> 0 0 []\n");
	vg_buf_clear(&out);
	/* Two levels of fan-out by the id's first four hex digits. */
	assert_int_equal(git(ls, &out), 0);
	vg_hex_encode(hex, W.meta.prev, VG_ID_BYTES);
	snprintf(want, sizeof(want), "entries/%.2s/%.2s/%s.age\n", hex, hex + 2, hex);
	assert_non_null(strstr((const char *)out.ptr, want));
	vg_buf_release(&out);
}

/* Commit a tree made by stock git plumbing on top of the member's branch. */
static void hostile_commit(const char *script, uint8_t oid[VG_REPO_OID_BYTES])
{
	char cmd[4096];
	struct vg_buf out = VG_BUF_INIT;
	const char *argv[] = {"bash", "-c", cmd, NULL};

	snprintf(cmd, sizeof(cmd),
		 "set -e; export GIT_AUTHOR_NAME=x GIT_AUTHOR_EMAIL=x@x GIT_COMMITTER_NAME=x "
		 "GIT_COMMITTER_EMAIL=x@x; export GIT_DIR='%s' GIT_INDEX_FILE='%s/index' "
		 "GIT_WORK_TREE=$(mktemp -d); rm -f "
		 "\"$GIT_INDEX_FILE\";"
		 " git read-tree %s; %s; t=$(git write-tree);"
		 " git commit-tree -p %s -m x \"$t\"",
		 W.git, W.dir, W.ref, script, W.ref);
	assert_int_equal(vgt_run(argv, NULL, 0, &out, NULL), 0);
	assert_int_equal(vg_hex_decode(oid, VG_REPO_OID_BYTES, (const char *)out.ptr, 40), 0);
	vg_buf_release(&out);
}

static int ignore(void *ctx, const uint8_t id[VG_ID_BYTES], const uint8_t *age, size_t agelen,
		  const char *sig, size_t siglen)
{
	(void)ctx, (void)id, (void)age, (void)agelen, (void)sig, (void)siglen;
	return 0;
}

static void test_hostile_histories(void **state)
{
	uint8_t head[VG_REPO_OID_BYTES], bad[VG_REPO_OID_BYTES];
	char hex[VG_ID_HEX_LEN + 1], script[1024], path[200];

	(void)state;
	VGT_REQUIRE(vgt_have_tool("git"), "stock git is not installed");
	assert_int_equal(vg_repo_head(W.repo, head, W.ref), 0);
	vg_hex_encode(hex, W.meta.prev, VG_ID_BYTES);
	snprintf(path, sizeof(path), "entries/%.2s/%.2s/%s.age", hex, hex + 2, hex);

	/* A foreign file. */
	hostile_commit("b=$(echo hello | git hash-object -w --stdin);"
		       " git update-index --add --cacheinfo 100644,$b,README",
		       bad);
	assert_int_equal(vg_repo_foreach_entry(W.repo, bad, head, ignore, NULL), VG_EFORMAT);
	assert_non_null(strstr(vg_error_last(), "README"));
	/* An entry removed. */
	snprintf(script, sizeof(script), "git update-index --force-remove %s %s.minisig", path,
		 path);
	hostile_commit(script, bad);
	assert_int_equal(vg_repo_foreach_entry(W.repo, bad, head, ignore, NULL), VG_EFORMAT);
	assert_non_null(strstr(vg_error_last(), "removed"));
	/* An entry's bytes changed. */
	snprintf(script, sizeof(script),
		 "b=$(echo forged | git hash-object -w --stdin);"
		 " git update-index --cacheinfo 100644,$b,%s",
		 path);
	hostile_commit(script, bad);
	assert_int_equal(vg_repo_foreach_entry(W.repo, bad, head, ignore, NULL), VG_EFORMAT);
	assert_non_null(strstr(vg_error_last(), "changed"));
	/* An entry without its signature, and one filed under the wrong fan-out. */
	hostile_commit(
	    "b=$(echo x | git hash-object -w --stdin); git update-index --add --cacheinfo "
	    "100644,$b,entries/00/00/"
	    "0000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.age",
	    bad);
	assert_int_equal(vg_repo_foreach_entry(W.repo, bad, head, ignore, NULL), VG_EFORMAT);
	hostile_commit(
	    "b=$(echo x | git hash-object -w --stdin); git update-index --add --cacheinfo "
	    "100644,$b,entries/11/00/"
	    "0000aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.age",
	    bad);
	assert_int_equal(vg_repo_foreach_entry(W.repo, bad, head, ignore, NULL), VG_EFORMAT);
	/* An oversized blob is refused from its header, before it is loaded. */
	hostile_commit(
	    "b=$(head -c 2000000 /dev/zero | git hash-object -w --stdin);"
	    " s=$(echo s | git hash-object -w --stdin);"
	    " p=entries/ab/cd/abcd000000000000000000000000000000000000000000000000000000000000;"
	    " git update-index --add --cacheinfo 100644,$b,$p.age"
	    " --cacheinfo 100644,$s,$p.age.minisig",
	    bad);
	assert_int_equal(vg_repo_foreach_entry(W.repo, bad, head, ignore, NULL), VG_ELIMIT);
	/* An executable "entry" is not a plain file. */
	hostile_commit(
	    "b=$(echo x | git hash-object -w --stdin);"
	    " p=entries/ab/cd/abcd000000000000000000000000000000000000000000000000000000000000;"
	    " git update-index --add --cacheinfo 100755,$b,$p.age"
	    " --cacheinfo 100644,$b,$p.age.minisig",
	    bad);
	assert_int_equal(vg_repo_foreach_entry(W.repo, bad, head, ignore, NULL), VG_EFORMAT);
}

/*
 * A push to a path: the remote gets a pack of what it lacks and its branch moves from the
 * head given, never from another (a writer that moved it meanwhile: rejected, unchanged).
 */
static void test_push_path(void **state)
{
	char *remote = vgt_path(W.dir, "remote.git");
	struct vg_repo *r = NULL;
	struct vg_entry e;
	const struct vg_entry *batch[1] = {&e};
	uint8_t h1[VG_REPO_OID_BYTES], h2[VG_REPO_OID_BYTES], got[VG_REPO_OID_BYTES];
	struct vg_buf out = VG_BUF_INIT;
	const char *fsck[] = {"git",	  "--git-dir",	   remote, "fsck",
			      "--strict", "--no-dangling", NULL};
	int rejected = 1;

	(void)state;
	assert_int_equal(vg_repo_open(&r, remote, 1), 0);
	assert_int_equal(vg_repo_head(W.repo, h1, W.ref), 0);
	if (vg_repo__push_path(W.repo, &rejected, remote, W.ref, NULL) != 0)
		fail_msg("%s", vg_error_last());
	assert_false(rejected);
	assert_int_equal(vg_repo_head(r, got, W.ref), 0);
	assert_memory_equal(got, h1, VG_REPO_OID_BYTES);
	/* Created only when absent: a second push "from nothing" is rejected. */
	assert_int_equal(vg_repo__push_path(W.repo, &rejected, remote, W.ref, NULL), 0);
	assert_true(rejected);
	next_entry(&e);
	assert_int_equal(vg_repo_append(W.repo, h2, W.ref, batch, 1), 0);
	/* From a head the remote's branch is not at: rejected, nothing moved. */
	assert_int_equal(vg_repo__push_path(W.repo, &rejected, remote, W.ref, h2), 0);
	assert_true(rejected);
	assert_int_equal(vg_repo_head(r, got, W.ref), 0);
	assert_memory_equal(got, h1, VG_REPO_OID_BYTES);
	assert_int_equal(vg_repo__push_path(W.repo, &rejected, remote, W.ref, h1), 0);
	assert_false(rejected);
	vg_repo_free(r);
	assert_int_equal(vg_repo_open(&r, remote, 0), 0);
	assert_int_equal(vg_repo_head(r, got, W.ref), 0);
	assert_memory_equal(got, h2, VG_REPO_OID_BYTES);
	if (vgt_have_tool("git"))
		assert_int_equal(vgt_run(fsck, NULL, 0, &out, NULL), 0);
	vg_entry_release(&e);
	vg_buf_release(&out);
	vg_repo_free(r);
	free(remote);
}

static void test_missing_repository(void **state)
{
	struct vg_repo *other = NULL;
	char *missing = vgt_path(W.dir, "missing.git");

	(void)state;
	assert_int_equal(vg_repo_open(&other, missing, 0), VG_ENOTFOUND);
	assert_null(other);
	free(missing);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_append_and_walk),
	    cmocka_unit_test(test_stock_git_sees_a_clean_repository),
	    cmocka_unit_test(test_hostile_histories),
	    cmocka_unit_test(test_push_path),
	    cmocka_unit_test(test_missing_repository),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
