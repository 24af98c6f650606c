/*
 * Sync through temporary bare repositories: a coordinator publishes the roster, a
 * monitor's entries reach the coordinator's store verified; an incremental sync fetches
 * nothing again; a branch rolled back on the remote raises an alarm and changes nothing
 * trusted; a missing remote is "offline" with entries committed locally; remotes this
 * version cannot reach are refused; alarms are kept, cleared, and a blocking one stops
 * the feed; lock files a killed sync leaves are cleared when they are this device's and
 * only then; a roster push that loses a race to another coordinator is resolved (retried,
 * given up for a higher version, or a fork alarm); a revoked device pushes and says so;
 * the audit of what the syncs leave finds the same on one thread and on several.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <git2.h>
#include <sodium.h>

#include "testutil.h"
#include "vigil/audit.h"
#include "vigil/error.h"
#include "vigil/feed.h"
#include "vigil/home.h"
#include "vigil/id.h"
#include "vigil/repo.h"
#include "vigil/roster.h"
#include "vigil/store.h"
#include "vigil/sync.h"
#include "vigil/vigil.h"

struct device {
	char *dir, *repo, *roster, *storepath;
	struct vg_store *store;
	struct vg_minisign_sk *sk;
	struct vg_age_identity *age;
	uint8_t id[VG_ID_BYTES];
	uint8_t *vault_key;
};

static struct {
	char *dir, *remote;
	struct vg_minisign_sk *org;
	struct device coord, mon;
	struct vg_roster *r1, *r2;
} W;

static void device_init(struct device *d, const char *name)
{
	struct vg_minisign_pk pk;

	d->dir = vgt_path(W.dir, name);
	assert_int_equal(vg_mkdir_p(d->dir, 0700), 0);
	d->repo = vgt_path(d->dir, "repo.git");
	d->roster = vgt_path(d->dir, "roster");
	d->storepath = vgt_path(d->dir, "store.db");
	assert_int_equal(vg_store_open(&d->store, d->storepath), 0);
	assert_int_equal(vg_minisign_sk_generate(&d->sk), 0);
	assert_int_equal(vg_age_identity_generate(&d->age), 0);
	vg_minisign_sk_public(&pk, d->sk);
	vg_id_of_key(d->id, &pk);
	d->vault_key = sodium_malloc(32);
	randombytes_buf(d->vault_key, 32);
}

static void device_free(struct device *d)
{
	vg_store_close(d->store);
	vg_minisign_sk_free(d->sk);
	vg_age_identity_free(d->age);
	sodium_free(d->vault_key);
	free(d->dir);
	free(d->repo);
	free(d->roster);
	free(d->storepath);
}

static void identity_of(struct vg_identity *id, const struct device *d, const char *name)
{
	memset(id, 0, sizeof(*id));
	snprintf(id->pseudonym, sizeof(id->pseudonym), "%s", name);
	vg_minisign_sk_public(&id->sign, d->sk);
	vg_age_identity_recipient(&id->age, d->age);
}

/* Sign r and write it into dir. */
static void write_version(const char *dir, struct vg_roster *r)
{
	struct vg_buf json = VG_BUF_INIT, sig = VG_BUF_INIT;

	assert_int_equal(vg_roster_sign(&json, &sig, r, W.org), 0);
	assert_int_equal(vg_roster_dir_write(dir, r->version, json.ptr, json.len,
					     (const char *)sig.ptr, sig.len, &r->signer),
			 0);
	vg_buf_release(&json);
	vg_buf_release(&sig);
}

static int setup(void **state)
{
	struct vg_age_identity *recovery = NULL;
	struct vg_age_recipient rr;
	struct vg_minisign_pk opk;
	struct vg_identity ci, mi;
	struct vg_repo *remote = NULL;

	(void)state;
	assert_int_equal(vg_init(), 0);
	memset(&W, 0, sizeof(W));
	W.dir = vgt_tmpdir();
	W.remote = vgt_path(W.dir, "remote.git");
	assert_int_equal(vg_repo_open(&remote, W.remote, 1), 0);
	vg_repo_free(remote);
	assert_int_equal(vg_minisign_sk_generate(&W.org), 0);
	vg_minisign_sk_public(&opk, W.org);
	assert_int_equal(vg_age_identity_generate(&recovery), 0);
	vg_age_identity_recipient(&rr, recovery);
	vg_age_identity_free(recovery);
	device_init(&W.coord, "office");
	device_init(&W.mon, "nadia");
	identity_of(&ci, &W.coord, "office");
	identity_of(&mi, &W.mon, "nadia");
	assert_int_equal(vg_roster_first(&W.r1, &opk, "Example Watch", &rr, &ci, time(NULL)), 0);
	write_version(W.coord.roster, W.r1);
	assert_int_equal(vg_roster_next(&W.r2, W.r1, time(NULL)), 0);
	assert_int_equal(vg_roster_add(W.r2, &mi, VG_ROLE_MONITOR), 0);
	write_version(W.coord.roster, W.r2);
	/* The monitor joined before (vigil join): it holds the same versions. */
	write_version(W.mon.roster, W.r1);
	write_version(W.mon.roster, W.r2);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	device_free(&W.coord);
	device_free(&W.mon);
	vg_minisign_sk_free(W.org);
	vg_roster_free(W.r1);
	vg_roster_free(W.r2);
	vgt_rmrf(W.dir);
	free(W.dir);
	free(W.remote);
	return 0;
}

static void append(struct device *d, unsigned n)
{
	struct vg_age_recipient rcpts[VG_AGE_RECIPIENTS_MAX];
	struct vg_feed f;
	size_t nr;

	assert_int_equal(vg_roster_recipients(rcpts, &nr, W.r2, d->id), 0);
	assert_int_equal(vg_feed_open(&f, d->store, d->sk, d->vault_key, W.r2->org, 2, rcpts, nr,
				      W.r2->policy.bucket),
			 0);
	for (unsigned i = 0; i < n; i++) {
		struct vg_entry_content c;
		memset(&c, 0, sizeof(c));
		c.type = VG_ENTRY_OPEN;
		randombytes_buf(c.case_id, sizeof(c.case_id));
		c.body = json_pack("{s:{s:s,s:s}}", "person", "name", "A. Person", "country", "X");
		assert_int_equal(vg_feed_append(&f, NULL, &c), 0);
		json_decref(c.body);
	}
	vg_feed_release(&f);
}

static int sync_dev(struct vg_sync_report *rep, struct device *d, const char *remote)
{
	struct vg_sync_options o;

	memset(&o, 0, sizeof(o));
	o.repo = d->repo;
	o.remote = remote;
	o.roster_dir = d->roster;
	o.store = d->store;
	memcpy(o.self, d->id, VG_ID_BYTES);
	return vg_sync_run(rep, &o);
}

static uint64_t accepted(struct device *d, const struct device *author)
{
	uint64_t n = 0;

	assert_int_equal(vg_store_count(d->store, &n, author->id, VG_STATE_ACCEPTED), 0);
	return n;
}

static void test_roundtrip(void **state)
{
	struct vg_sync_report rep;
	uint64_t pending, delivered;

	(void)state;
	/* The coordinator publishes the roster branch. */
	assert_int_equal(sync_dev(&rep, &W.coord, W.remote), 0);
	assert_int_equal(rep.roster_pushed, 2);
	assert_int_equal(rep.alarms, 0);
	append(&W.mon, 3);
	assert_int_equal(vg_sync_counts(W.mon.store, W.mon.id, &pending, &delivered), 0);
	assert_true(pending == 3 && delivered == 0);
	assert_int_equal(sync_dev(&rep, &W.mon, W.remote), 0);
	assert_int_equal(rep.committed, 3);
	assert_int_equal(rep.pushed, 3);
	assert_int_equal(rep.alarms, 0);
	assert_int_equal(vg_sync_counts(W.mon.store, W.mon.id, &pending, &delivered), 0);
	assert_true(pending == 0 && delivered == 3);
	assert_int_equal(sync_dev(&rep, &W.coord, W.remote), 0);
	assert_int_equal(rep.fetched, 3);
	assert_int_equal(rep.accepted, 3);
	assert_int_equal(rep.alarms, 0);
	assert_int_equal(accepted(&W.coord, &W.mon), 3);
	/* Incremental: nothing moved, nothing fetched. */
	assert_int_equal(sync_dev(&rep, &W.coord, W.remote), 0);
	assert_int_equal(rep.fetched, 0);
	assert_int_equal(rep.branches, 0);
	assert_int_equal(sync_dev(&rep, &W.mon, W.remote), 0);
	assert_int_equal(rep.pushed, 0);
}

/* The remote's branch of the monitor, moved to its first parent. */
static void roll_back(void)
{
	git_repository *g = NULL;
	git_reference *ref = NULL, *nref = NULL;
	git_commit *c = NULL;
	char name[VG_REPO_BRANCH_MAX];

	vg_repo_member_ref(name, W.mon.id);
	assert_int_equal(git_repository_open_bare(&g, W.remote), 0);
	assert_int_equal(git_reference_lookup(&ref, g, name), 0);
	assert_int_equal(git_commit_lookup(&c, g, git_reference_target(ref)), 0);
	assert_int_equal(git_reference_set_target(&nref, ref, git_commit_parent_id(c, 0), "test"),
			 0);
	git_reference_free(nref);
	git_reference_free(ref);
	git_commit_free(c);
	git_repository_free(g);
}

struct seen {
	int rollback;
};

static int count_alarm(void *ctx, const char *kind, const char *subject, const char *message,
		       bool blocking, int64_t count)
{
	struct seen *s = ctx;

	(void)subject;
	(void)count;
	assert_false(blocking);
	assert_non_null(strstr(message, "moved backwards"));
	if (strcmp(kind, "rollback") == 0)
		s->rollback++;
	return 0;
}

static void test_rollback(void **state)
{
	struct vg_sync_report rep;
	struct seen seen = {0};
	bool blocked;
	size_t n;

	(void)state;
	append(&W.mon, 1);
	assert_int_equal(sync_dev(&rep, &W.mon, W.remote), 0);
	assert_int_equal(sync_dev(&rep, &W.coord, W.remote), 0);
	assert_int_equal(accepted(&W.coord, &W.mon), 4);
	roll_back();
	assert_int_equal(sync_dev(&rep, &W.coord, W.remote), 0);
	assert_int_equal(rep.alarms, 1);
	assert_int_equal(rep.fetched, 0);
	assert_int_equal(accepted(&W.coord, &W.mon), 4);
	assert_int_equal(vg_sync_alarm_foreach(W.coord.store, count_alarm, &seen), 0);
	assert_int_equal(seen.rollback, 1);
	assert_int_equal(vg_sync_blocked(W.coord.store, &blocked, NULL, 0), 0);
	assert_false(blocked);
	/* The monitor repairs its branch (a fast-forward from the rolled-back head). */
	assert_int_equal(sync_dev(&rep, &W.mon, W.remote), 0);
	assert_int_equal(rep.alarms, 0);
	assert_int_equal(vg_sync_alarm_clear(W.coord.store, NULL, &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(sync_dev(&rep, &W.coord, W.remote), 0);
	assert_int_equal(rep.alarms, 0);
}

static void test_offline(void **state)
{
	struct vg_sync_report rep;
	char *missing = vgt_path(W.dir, "no-such-stick.git");
	uint64_t pending, delivered;

	(void)state;
	append(&W.mon, 2);
	assert_int_equal(sync_dev(&rep, &W.mon, missing), VG_ENOTFOUND);
	assert_non_null(strstr(vg_error_last(), "offline"));
	assert_int_equal(rep.committed, 2);
	assert_int_equal(vg_sync_counts(W.mon.store, W.mon.id, &pending, &delivered), 0);
	assert_int_equal(pending, 2);
	assert_int_equal(sync_dev(&rep, &W.mon, W.remote), 0);
	assert_int_equal(rep.committed, 0);
	assert_int_equal(rep.pushed, 2);
	free(missing);
}

static void test_remote_check(void **state)
{
	(void)state;
	assert_int_equal(vg_sync_remote_check("/media/usb/vigil.git"), 0);
	assert_int_equal(vg_sync_remote_check("file:///media/usb/vigil.git"), 0);
	assert_int_equal(vg_sync_remote_check("relative/path"), VG_EINVAL);
	assert_int_equal(vg_sync_remote_check("/with space"), VG_EINVAL);
	assert_int_equal(vg_sync_remote_check(""), VG_EINVAL);
	assert_int_equal(vg_sync_remote_check("ssh://host/repo.git"), 0);
	assert_int_equal(vg_sync_remote_check("ssh://git@host:2222/srv/vigil.git"), 0);
	assert_int_equal(vg_sync_remote_check("https://host/repo.git"), 0);
	assert_int_equal(vg_sync_remote_check("https://host:8443/org/vigil.git"), 0);
	/* Refused: scp-like, plain http, other schemes, a password in a URL, no path. */
	assert_int_equal(vg_sync_remote_check("host:repo.git"), VG_EUNSUPPORTED);
	assert_int_equal(vg_sync_remote_check("git@host:repo.git"), VG_EUNSUPPORTED);
	assert_int_equal(vg_sync_remote_check("http://host/repo.git"), VG_EUNSUPPORTED);
	assert_non_null(strstr(vg_error_last(), "in the clear"));
	assert_int_equal(vg_sync_remote_check("git://host/repo.git"), VG_EUNSUPPORTED);
	assert_int_equal(vg_sync_remote_check("ftp://host/repo.git"), VG_EUNSUPPORTED);
	assert_int_equal(vg_sync_remote_check("https://u:tok@host/repo.git"), VG_EINVAL);
	assert_int_equal(vg_sync_remote_check("https://u@host/repo.git"), VG_EINVAL);
	assert_int_equal(vg_sync_remote_check("ssh://host"), VG_EINVAL);
	assert_int_equal(vg_sync_remote_check("ssh://host/"), VG_EINVAL);
	assert_int_equal(vg_sync_remote_check("ssh://host:99999/r.git"), VG_EINVAL);
	assert_int_equal(vg_sync_remote_check("ssh://host:0/r.git"), VG_EINVAL);
	assert_int_equal(vg_sync_remote_check("ssh://host:x/r.git"), VG_EINVAL);
	assert_int_equal(vg_sync_remote_check("ssh://@host/r.git"), VG_EINVAL);
	assert_int_equal(vg_sync_remote_check("ssh://ho$t/r.git"), VG_EINVAL);
	assert_int_equal(vg_sync_remote_check("ssh:///r.git"), VG_EINVAL);
	assert_int_equal(vg_sync_remote_check("ssh://host/a b"), VG_EINVAL);
}

static void test_blocking_alarm(void **state)
{
	struct vg_age_recipient rcpts[VG_AGE_RECIPIENTS_MAX];
	struct vg_feed f;
	size_t nr, n;
	bool blocked;
	char why[VG_SYNC_ALARM_MAX];

	(void)state;
	assert_int_equal(
	    vg_sync_alarm_raise(W.mon.store, "clone", "own-branch", true, "copy %d", 1), 0);
	assert_int_equal(
	    vg_sync_alarm_raise(W.mon.store, "clone", "own-branch", true, "copy %d", 2), 0);
	assert_int_equal(vg_sync_blocked(W.mon.store, &blocked, why, sizeof(why)), 0);
	assert_true(blocked);
	assert_string_equal(why, "copy 2");
	assert_int_equal(vg_roster_recipients(rcpts, &nr, W.r2, W.mon.id), 0);
	assert_int_equal(vg_feed_open(&f, W.mon.store, W.mon.sk, W.mon.vault_key, W.r2->org, 2,
				      rcpts, nr, W.r2->policy.bucket),
			 VG_EFORK);
	vg_feed_release(&f);
	assert_int_equal(vg_sync_alarm_clear(W.mon.store, "clone", &n), 0);
	assert_int_equal(n, 1);
	assert_int_equal(vg_sync_blocked(W.mon.store, &blocked, NULL, 0), 0);
	assert_false(blocked);
}

/* An empty file at dir/name (a lock a killed writer left). */
static void touch(const char *dir, const char *name)
{
	char *p = vgt_path(dir, name);

	vgt_write_file(p, "", 0);
	free(p);
}

static bool exists(const char *dir, const char *name)
{
	char *p = vgt_path(dir, name);
	bool yes = access(p, F_OK) == 0;

	free(p);
	return yes;
}

/*
 * Locks a killed sync leaves: in the local repository (its one writer is the daemon) they
 * are removed; on the remote, the lock of the own branch only when this device's own push
 * was interrupted (the durable "pushing" mark), never a lock it cannot know is its own.
 */
static void test_stale_locks(void **state)
{
	struct vg_sync_report rep;
	char ref[VG_REPO_BRANCH_MAX], lock[VG_REPO_BRANCH_MAX + 8], why[VG_SYNC_ALARM_MAX];
	bool blocked;

	(void)state;
	vg_repo_member_ref(ref, W.mon.id);
	snprintf(lock, sizeof(lock), "%s.lock", ref);
	/* Local: config.lock and the own branch's lock. */
	append(&W.mon, 1);
	touch(W.mon.repo, "config.lock");
	touch(W.mon.repo, lock);
	assert_int_equal(sync_dev(&rep, &W.mon, W.remote), 0);
	assert_int_equal(rep.pushed, 1);
	assert_false(exists(W.mon.repo, "config.lock"));
	assert_false(exists(W.mon.repo, lock));
	/* Remote, without the mark: another writer of this device's branch holds it (a copy
	 * of the key): a blocking alarm, the lock left alone, the entry waits, committed. */
	append(&W.mon, 1);
	touch(W.remote, lock);
	assert_int_equal(sync_dev(&rep, &W.mon, W.remote), 0);
	assert_int_equal(rep.alarms, 1);
	assert_int_equal(rep.pushed, 0);
	assert_int_equal(rep.committed, 1);
	assert_int_equal(vg_sync_blocked(W.mon.store, &blocked, why, sizeof(why)), 0);
	assert_true(blocked);
	assert_non_null(strstr(why, "another writer was updating"));
	assert_true(exists(W.remote, lock));
	/* The rejected push left no mark: after the alarm is cleared, the lock still is not
	 * this device's to remove. */
	assert_int_equal(vg_sync_alarm_clear(W.mon.store, NULL, NULL), 0);
	assert_int_equal(sync_dev(&rep, &W.mon, W.remote), 0);
	assert_int_equal(rep.alarms, 1);
	assert_true(exists(W.remote, lock));
	assert_int_equal(vg_sync_alarm_clear(W.mon.store, NULL, NULL), 0);
	/* Remote, with the mark of an interrupted push of its own: removed, pushed. */
	assert_int_equal(vg_sync_state_set_text(W.mon.store, "pushing", ref), 0);
	assert_int_equal(sync_dev(&rep, &W.mon, W.remote), 0);
	assert_int_equal(rep.pushed, 1);
	assert_false(exists(W.remote, lock));
	assert_int_equal(rep.alarms, 0);
	assert_int_equal(sync_dev(&rep, &W.coord, W.remote), 0);
	assert_int_equal(rep.alarms, 0);
	assert_int_equal(accepted(&W.coord, &W.mon), accepted(&W.mon, &W.mon));
}

/* ---- two coordinators pushing roster versions at once (FORMAT.md 15) ---- */

struct race {
	struct device *other; /* whose sync runs when this device is about to push */
	const char *remote;
	bool fired;
	int rc;
	struct vg_sync_report rep;
};

static int sync_with(struct vg_sync_report *rep, struct device *d, const char *remote,
		     vg_sync_progress_fn progress, void *ctx)
{
	struct vg_sync_options o;

	memset(&o, 0, sizeof(o));
	o.repo = d->repo;
	o.remote = remote;
	o.roster_dir = d->roster;
	o.store = d->store;
	o.progress = progress;
	o.ctx = ctx;
	memcpy(o.self, d->id, VG_ID_BYTES);
	return vg_sync_run(rep, &o);
}

/* Between this device's fetch and its roster push, the other coordinator syncs: the
 * remote's roster branch moves under it, deterministically. */
static void race_hook(void *ctx, const char *msg)
{
	struct race *r = ctx;

	if (r->fired || strncmp(msg, "roster: pushing versions", 24) != 0)
		return;
	r->fired = true;
	r->rc = sync_with(&r->rep, r->other, r->remote, NULL, NULL);
}

struct kinds {
	int fork, other;
};

static int count_kinds(void *ctx, const char *kind, const char *subject, const char *message,
		       bool blocking, int64_t count)
{
	struct kinds *k = ctx;

	(void)message;
	(void)blocking;
	(void)count;
	if (strcmp(kind, "fork") == 0 && strcmp(subject, "roster") == 0)
		k->fork++;
	else
		k->other++;
	return 0;
}

static struct vg_roster *next_version(const struct vg_roster *r, time_t now, const char *dir1,
				      const char *dir2)
{
	struct vg_roster *n = NULL;

	assert_int_equal(vg_roster_next(&n, r, now), 0);
	write_version(dir1, n);
	if (dir2 != NULL)
		write_version(dir2, n);
	return n;
}

/*
 * A push of the roster branch rejected because another coordinator pushed first is
 * resolved by fetching and verifying: the remote's version lower than this device's and
 * on its chain, the push is retried as a fast-forward; higher, it is taken and nothing is
 * pushed; the same number with another hash, a fork alarm and nothing pushed.
 */
static void test_roster_race(void **state)
{
	struct vg_age_identity *recovery = NULL;
	struct vg_age_recipient rr;
	struct vg_minisign_pk opk;
	struct vg_identity ai, bi;
	struct device a, b;
	struct vg_roster *k[8] = {NULL}, *fork_b = NULL;
	struct vg_sync_report rep;
	struct vg_repo *remote = NULL;
	struct race race;
	struct kinds kinds = {0, 0};
	char *rpath = vgt_path(W.dir, "race.git");
	time_t now = time(NULL);

	(void)state;
	assert_int_equal(vg_repo_open(&remote, rpath, 1), 0);
	vg_repo_free(remote);
	vg_minisign_sk_public(&opk, W.org);
	assert_int_equal(vg_age_identity_generate(&recovery), 0);
	vg_age_identity_recipient(&rr, recovery);
	vg_age_identity_free(recovery);
	device_init(&a, "race-a");
	device_init(&b, "race-b");
	identity_of(&ai, &a, "race-a");
	identity_of(&bi, &b, "race-b");
	assert_int_equal(vg_roster_first(&k[1], &opk, "Race Watch", &rr, &ai, now), 0);
	write_version(a.roster, k[1]);
	write_version(b.roster, k[1]);
	assert_int_equal(vg_roster_next(&k[2], k[1], now), 0);
	assert_int_equal(vg_roster_add(k[2], &bi, VG_ROLE_COORDINATOR), 0);
	write_version(a.roster, k[2]);
	write_version(b.roster, k[2]);
	assert_int_equal(sync_with(&rep, &a, rpath, NULL, NULL), 0);
	assert_int_equal(rep.roster_pushed, 2);

	/* Lower on the remote: both hold 3, b also 4; a pushes 3 under b, b retries 4. */
	k[3] = next_version(k[2], now + 1, a.roster, b.roster);
	k[4] = next_version(k[3], now + 2, b.roster, NULL);
	memset(&race, 0, sizeof(race));
	race.other = &a;
	race.remote = rpath;
	assert_int_equal(sync_with(&rep, &b, rpath, race_hook, &race), 0);
	assert_true(race.fired);
	assert_int_equal(race.rc, 0);
	assert_int_equal(race.rep.roster_pushed, 1);
	assert_int_equal(rep.roster_pushed, 1);
	assert_int_equal(rep.roster_version, 4);
	assert_int_equal(rep.alarms, 0);
	assert_int_equal(sync_with(&rep, &a, rpath, NULL, NULL), 0);
	assert_int_equal(rep.roster_taken, 1);
	assert_int_equal(rep.roster_version, 4);
	assert_int_equal(rep.alarms, 0);

	/* Higher on the remote: both hold 5, a also 6; b's push of 5 loses, b takes 6. */
	k[5] = next_version(k[4], now + 3, a.roster, b.roster);
	k[6] = next_version(k[5], now + 4, a.roster, NULL);
	memset(&race, 0, sizeof(race));
	race.other = &a;
	race.remote = rpath;
	assert_int_equal(sync_with(&rep, &b, rpath, race_hook, &race), 0);
	assert_true(race.fired);
	assert_int_equal(race.rc, 0);
	assert_int_equal(race.rep.roster_pushed, 2);
	assert_int_equal(rep.roster_pushed, 0);
	assert_int_equal(rep.roster_taken, 1);
	assert_int_equal(rep.roster_version, 6);
	assert_int_equal(rep.alarms, 0);

	/* The same number, another hash: a fork alarm at b, the remote keeps a's. */
	k[7] = next_version(k[6], now, a.roster, NULL);
	assert_int_equal(vg_roster_next(&fork_b, k[6], now), 0);
	assert_int_equal(vg_roster_expire_in(fork_b, now, 30), 0);
	write_version(b.roster, fork_b);
	assert_memory_not_equal(k[7]->hash, fork_b->hash, VG_ID_BYTES);
	memset(&race, 0, sizeof(race));
	race.other = &a;
	race.remote = rpath;
	assert_int_equal(sync_with(&rep, &b, rpath, race_hook, &race), 0);
	assert_true(race.fired);
	assert_int_equal(race.rep.roster_pushed, 1);
	assert_int_equal(rep.roster_pushed, 0);
	assert_int_equal(rep.alarms, 1);
	assert_int_equal(vg_sync_alarm_foreach(b.store, count_kinds, &kinds), 0);
	assert_int_equal(kinds.fork, 1);
	assert_int_equal(kinds.other, 0);
	/* Never resolved by itself: the next sync says it again and pushes nothing. */
	assert_int_equal(sync_with(&rep, &b, rpath, NULL, NULL), 0);
	assert_int_equal(rep.roster_pushed, 0);
	assert_int_equal(rep.alarms, 1);
	assert_int_equal(sync_with(&rep, &a, rpath, NULL, NULL), 0);
	assert_int_equal(rep.alarms, 0);
	assert_int_equal(rep.roster_version, 7);

	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++)
		vg_roster_free(k[i]);
	vg_roster_free(fork_b);
	device_free(&a);
	device_free(&b);
	free(rpath);
}

/*
 * A device revoked in the roster it holds (an earlier sync took it and stopped before the
 * keys were destroyed) still syncs: it pushes what it has not pushed and says it is
 * revoked, so that its caller wipes it; it judges no other branch and pushes no roster.
 * Last: it leaves the monitor revoked.
 */
/* A file outside the layout at the top of the remote's ref: a new commit, as a host can. */
static void add_foreign(const char *ref)
{
	git_repository *g = NULL;
	git_commit *c = NULL;
	git_tree *t = NULL;
	git_treebuilder *tb = NULL;
	git_signature *who = NULL;
	git_oid head, blob, tree, commit;

	assert_int_equal(git_repository_open_bare(&g, W.remote), 0);
	assert_int_equal(git_reference_name_to_id(&head, g, ref), 0);
	assert_int_equal(git_commit_lookup(&c, g, &head), 0);
	assert_int_equal(git_commit_tree(&t, c), 0);
	assert_int_equal(git_treebuilder_new(&tb, g, t), 0);
	assert_int_equal(git_blob_create_from_buffer(&blob, g, "hello\n", 6), 0);
	assert_int_equal(git_treebuilder_insert(NULL, tb, "notes", &blob, GIT_FILEMODE_BLOB), 0);
	assert_int_equal(git_treebuilder_write(&tree, tb), 0);
	git_tree_free(t);
	assert_int_equal(git_tree_lookup(&t, g, &tree), 0);
	assert_int_equal(git_signature_new(&who, "host", "host@invalid", 0, 0), 0);
	{
		const git_commit *parents[] = {c};
		assert_int_equal(
		    git_commit_create(&commit, g, ref, who, who, NULL, "host\n", t, 1, parents), 0);
	}
	git_signature_free(who);
	git_treebuilder_free(tb);
	git_tree_free(t);
	git_commit_free(c);
	git_repository_free(g);
}

/*
 * An audit of what two devices' syncs leave on the remote finds the same on one thread as
 * on three with a queue of one directory, where the calling thread walks queued directories
 * of one branch in the middle of its walk of the next: every entry is still checked as its
 * own branch's, and a file outside the layout at the top of the branch walked second
 * (after its directories) is reported under that branch's member.
 */
static void test_audit_threads(void **state)
{
	struct vg_sync_report rep;
	struct vg_audit_options o;
	struct vg_audit_report *r[2] = {NULL, NULL};
	struct vg_minisign_pk opk;
	const char *second;
	char ref[VG_REPO_BRANCH_MAX];
	bool layout = false;

	(void)state;
	assert_int_equal(sync_dev(&rep, &W.coord, W.remote), 0);
	append(&W.mon, 150);
	append(&W.coord, 150);
	assert_int_equal(sync_dev(&rep, &W.mon, W.remote), 0);
	assert_int_equal(sync_dev(&rep, &W.coord, W.remote), 0);
	/* Branches are walked in the order of their authors' ids. */
	if (memcmp(W.mon.id, W.coord.id, VG_ID_BYTES) > 0) {
		second = "nadia";
		vg_repo_member_ref(ref, W.mon.id);
	} else {
		second = "office";
		vg_repo_member_ref(ref, W.coord.id);
	}
	add_foreign(ref);
	vg_minisign_sk_public(&opk, W.org);
	memset(&o, 0, sizeof(o));
	o.remote = W.remote;
	o.org = &opk;
	o.threads = 1;
	assert_int_equal(vg_audit_run(&r[0], &o), 0);
	o.threads = 3;
	o.queue = 1;
	assert_int_equal(vg_audit_run(&r[1], &o), 0);
	for (int k = 0; k < 2; k++) {
		assert_int_equal(r[k]->entries, 300);
		assert_int_equal(r[k]->verified, 300);
		assert_int_equal(r[k]->failures, 1);
	}
	assert_int_equal(r[0]->nfindings, r[1]->nfindings);
	for (size_t i = 0; i < r[0]->nfindings; i++) {
		const struct vg_audit_finding *f = &r[0]->findings[i], *g = &r[1]->findings[i];
		assert_string_equal(f->kind, g->kind);
		assert_string_equal(f->member, g->member);
		assert_string_equal(f->path, g->path);
		assert_true(f->seq == g->seq && f->severity == g->severity);
		if (strcmp(f->kind, "layout") == 0) {
			assert_string_equal(f->member, second);
			assert_string_equal(f->path, "notes");
			layout = true;
		}
	}
	assert_true(layout);
	vg_audit_report_free(r[0]);
	vg_audit_report_free(r[1]);
}

static void test_revoked(void **state)
{
	struct vg_roster *r3 = NULL;
	struct vg_sync_report rep;
	uint8_t cut[VG_ID_BYTES];
	uint64_t seq, before;

	(void)state;
	assert_int_equal(sync_dev(&rep, &W.mon, W.remote), 0);
	assert_int_equal(sync_dev(&rep, &W.coord, W.remote), 0);
	assert_int_equal(vg_store_feed_head(W.coord.store, &seq, cut, W.mon.id), 0);
	before = accepted(&W.coord, &W.mon);
	append(&W.mon, 2);
	assert_int_equal(vg_roster_next(&r3, W.r2, time(NULL)), 0);
	assert_int_equal(vg_roster_revoke(r3, vg_roster_find(r3, W.mon.id), seq, cut), 0);
	write_version(W.coord.roster, r3);
	/* The monitor took version 3 already: revoked from the start of its sync. */
	write_version(W.mon.roster, r3);
	assert_int_equal(sync_dev(&rep, &W.coord, W.remote), 0);
	assert_int_equal(rep.roster_pushed, 1);
	assert_false(rep.revoked);
	assert_int_equal(sync_dev(&rep, &W.mon, W.remote), 0);
	assert_true(rep.revoked);
	assert_int_equal(rep.pushed, 2);
	assert_int_equal(rep.roster_pushed, 0);
	/* Again: nothing left to push, still revoked (never refused as before). */
	assert_int_equal(sync_dev(&rep, &W.mon, W.remote), 0);
	assert_true(rep.revoked);
	assert_int_equal(rep.pushed, 0);
	/* The coordinator quarantines the two after the cutoff. */
	assert_int_equal(sync_dev(&rep, &W.coord, W.remote), 0);
	assert_int_equal(rep.quarantined, 2);
	assert_int_equal(rep.alarms, 0);
	assert_int_equal(accepted(&W.coord, &W.mon), before);
	vg_roster_free(r3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_remote_check),   cmocka_unit_test(test_roundtrip),
	    cmocka_unit_test(test_rollback),	   cmocka_unit_test(test_offline),
	    cmocka_unit_test(test_blocking_alarm), cmocka_unit_test(test_stale_locks),
	    cmocka_unit_test(test_roster_race),	   cmocka_unit_test(test_revoked),
	};
	/* On a world of its own: the tests above leave their remote as they need it. */
	const struct CMUnitTest audit[] = {cmocka_unit_test(test_audit_threads)};
	int failed = cmocka_run_group_tests(tests, setup, teardown);

	return failed + cmocka_run_group_tests(audit, setup, teardown);
}
