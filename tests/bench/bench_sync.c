/*
 * Sync through a bare repository on a local path, beside stock git in the same run (git is
 * run by fork/exec, with no user or system configuration):
 *
 *   (a) a monitor's first push of a branch of N entries (default 10,000) beside `git push`
 *       of the same branch from the same local repository into another empty remote;
 *       where the time goes, from the sync's progress messages;
 *   (b) a monitor's incremental sync of 10 new entries when its own branch holds 1,000
 *       and the repository holds LARGE / 10 and LARGE entries (default 100,000) in 100
 *       other members' branches, beside `git push` of the same change into a copy of the
 *       remote taken just before; the median of 5 rounds;
 *   (c) a coordinator's fetch and import of 1,000 new entries spread over 50 branches, in
 *       entries per second, beside loops over the same entries: the library's verify
 *       (vg_entry_verify), verify and open (vg_entry_open), and a raw libsodium loop
 *       doing what verifying must do at least.
 *
 * Other members' entries in (b) are random bytes of an entry's size, written with stock
 * `git fast-import` (a monitor never fetches them). Not a pass/fail test: figures to quote.
 * Targets (issue 7): (a) <= 3x git push; (b) <= 2x git push, and the large repository
 * within 1.5x of the small one.
 *
 *   bench_sync [-n N] [-l LARGE] [-p PARTS]      PARTS: any of "abc" (default all)
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "bench.h"
#include "vigil/error.h"
#include "vigil/feed.h"
#include "vigil/fs.h"
#include "vigil/home.h"
#include "vigil/id.h"
#include "vigil/repo.h"
#include "vigil/roster.h"
#include "vigil/store.h"
#include "vigil/sync.h"
#include "vigil/vigil.h"

#define MONITORS      50 /* authors of (c) */
#define C_PER_MONITOR 20
#define B_BRANCHES    100 /* other members' branches in (b) */
#define B_OWN	      1000
#define B_NEW	      10
#define ROUNDS	      5
#define EVENTS_MAX    64

struct device {
	char name[32];
	char home[PATH_MAX], repo[PATH_MAX], roster[PATH_MAX], store_path[PATH_MAX];
	struct vg_store *store;
	struct vg_minisign_sk *sk;
	struct vg_age_identity *age;
	uint8_t id[VG_ID_BYTES];
	uint8_t *vault_key;
};

/* The progress messages of one sync, with their times. */
struct timeline {
	double start;
	int n;
	double t[EVENTS_MAX];
	char msg[EVENTS_MAX][120];
};

static struct {
	char dir[64];
	struct vg_minisign_sk *org;
	struct device coord, me, mons[MONITORS];
	struct vg_roster *r1, *r2;
	struct vg_buf json[2], sig[2];
	size_t age_len, sig_len; /* sizes of a real entry, for the filler */
} W;

static void die(const char *what)
{
	fprintf(stderr, "bench_sync: %s: %s\n", what, vg_error_last());
	exit(1);
}

static void path_join(char *out, const char *a, const char *b)
{
	if ((size_t)snprintf(out, PATH_MAX, "%s/%s", a, b) >= PATH_MAX) {
		fprintf(stderr, "bench_sync: path too long\n");
		exit(1);
	}
}

/* Run argv (from PATH); stdin from in_fd (-1: /dev/null). Exits on failure. */
static void run(const char *const argv[], int in_fd)
{
	pid_t pid = fork();
	int st;

	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		dup2(in_fd >= 0 ? in_fd : null, 0);
		dup2(null, 1);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	if (in_fd >= 0)
		close(in_fd);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench_sync: %s %s failed\n", argv[0], argv[1]);
		exit(1);
	}
}

static double time_run(const char *const argv[])
{
	double t = bench_now();

	run(argv, -1);
	return bench_now() - t;
}

static void git_init_bare(const char *path)
{
	const char *argv[] = {"git", "init", "--quiet", "--bare", path, NULL};
	run(argv, -1);
}

/* `git push` of ref from the repository at from into the repository at to. */
static double git_push(const char *from, const char *to, const char *ref)
{
	char spec[2 * VG_REPO_BRANCH_MAX + 2];
	const char *argv[] = {"git", "--git-dir", from, "push", "--quiet", to, spec, NULL};

	snprintf(spec, sizeof(spec), "%s:%s", ref, ref);
	return time_run(argv);
}

static void copy_tree(const char *from, const char *to)
{
	/* Hard links: git never changes a file in place (new packs, refs by rename). */
	const char *argv[] = {"cp", "-al", from, to, NULL};
	run(argv, -1);
}

static void rmrf(const char *path)
{
	const char *argv[] = {"rm", "-rf", path, NULL};
	run(argv, -1);
}

static void device_keys(struct device *d, const char *name)
{
	struct vg_minisign_pk pk;

	snprintf(d->name, sizeof(d->name), "%s", name);
	if (vg_minisign_sk_generate(&d->sk) < 0 || vg_age_identity_generate(&d->age) < 0)
		die("keys");
	vg_minisign_sk_public(&pk, d->sk);
	vg_id_of_key(d->id, &pk);
	d->vault_key = sodium_malloc(32);
	randombytes_buf(d->vault_key, 32);
}

/* A fresh home under the bench directory: store, roster directory (versions 1 and 2). */
static void device_home(struct device *d, const char *world)
{
	char sub[128];

	vg_store_close(d->store);
	d->store = NULL;
	snprintf(sub, sizeof(sub), "%s-%s", world, d->name);
	path_join(d->home, W.dir, sub);
	path_join(d->repo, d->home, "repo.git");
	path_join(d->roster, d->home, "roster");
	path_join(d->store_path, d->home, "store.db");
	if (vg_mkdir_p(d->home, 0700) < 0 || vg_store_open(&d->store, d->store_path) < 0)
		die("home");
	for (int v = 0; v < 2; v++)
		if (vg_roster_dir_write(d->roster, (uint64_t)v + 1, W.json[v].ptr, W.json[v].len,
					(const char *)W.sig[v].ptr, W.sig[v].len,
					&W.r1->signer) < 0)
			die("roster directory");
}

static void identity_of(struct vg_identity *id, const struct device *d)
{
	memset(id, 0, sizeof(*id));
	snprintf(id->pseudonym, sizeof(id->pseudonym), "%s", d->name);
	vg_minisign_sk_public(&id->sign, d->sk);
	vg_age_identity_recipient(&id->age, d->age);
}

static void world_init(void)
{
	struct vg_age_identity *recovery = NULL;
	struct vg_age_recipient rr;
	struct vg_minisign_pk opk;
	struct vg_identity id;
	time_t now = time(NULL);

	snprintf(W.dir, sizeof(W.dir), "/tmp/vigil-bench-sync-XXXXXX");
	if (mkdtemp(W.dir) == NULL || vg_minisign_sk_generate(&W.org) < 0 ||
	    vg_age_identity_generate(&recovery) < 0)
		die("world");
	vg_minisign_sk_public(&opk, W.org);
	vg_age_identity_recipient(&rr, recovery);
	vg_age_identity_free(recovery);
	device_keys(&W.coord, "office");
	device_keys(&W.me, "nadia");
	for (int i = 0; i < MONITORS; i++) {
		char name[32];
		snprintf(name, sizeof(name), "m%02d", i);
		device_keys(&W.mons[i], name);
	}
	identity_of(&id, &W.coord);
	for (int v = 0; v < 2; v++) {
		vg_buf_init(&W.json[v]);
		vg_buf_init(&W.sig[v]);
	}
	/* Version 2 names version 1's hash, known once version 1 is signed. */
	if (vg_roster_first(&W.r1, &opk, "Bench Watch", &rr, &id, now) < 0 ||
	    vg_roster_sign(&W.json[0], &W.sig[0], W.r1, W.org) < 0 ||
	    vg_roster_next(&W.r2, W.r1, now) < 0)
		die("roster");
	identity_of(&id, &W.me);
	if (vg_roster_add(W.r2, &id, VG_ROLE_MONITOR) < 0)
		die("roster");
	for (int i = 0; i < MONITORS; i++) {
		identity_of(&id, &W.mons[i]);
		if (vg_roster_add(W.r2, &id, VG_ROLE_MONITOR) < 0)
			die("roster");
	}
	if (vg_roster_sign(&W.json[1], &W.sig[1], W.r2, W.org) < 0)
		die("roster signature");
}

/* n new entries in d's feed, one transaction. */
static void append(struct device *d, long n)
{
	struct vg_age_recipient rcpts[VG_AGE_RECIPIENTS_MAX];
	struct vg_entry_content c;
	struct vg_feed f;
	size_t nr;

	if (vg_roster_recipients(rcpts, &nr, W.r2, d->id) < 0 ||
	    vg_feed_open(&f, d->store, d->sk, d->vault_key, W.r2->org, 2, rcpts, nr,
			 W.r2->policy.bucket) < 0 ||
	    vg_store_begin(d->store) < 0)
		die("feed");
	memset(&c, 0, sizeof(c));
	c.type = VG_ENTRY_OPEN;
	c.time = "2017-03-28T10:00:00Z";
	c.body = json_pack("{s:{s:s,s:s}}", "person", "name", "A. Person", "country", "Testland");
	for (long i = 0; i < n; i++) {
		randombytes_buf(c.case_id, sizeof(c.case_id));
		if (vg_feed_append(&f, NULL, &c) < 0)
			die("append");
	}
	if (vg_store_commit(d->store) < 0)
		die("commit");
	json_decref(c.body);
	vg_feed_release(&f);
}

static void on_progress(void *ctx, const char *msg)
{
	struct timeline *tl = ctx;

	if (tl->n < EVENTS_MAX) {
		tl->t[tl->n] = bench_now() - tl->start;
		snprintf(tl->msg[tl->n], sizeof(tl->msg[0]), "%s", msg);
		tl->n++;
	}
}

/* One sync of d with remote; returns its wall-clock time. */
static double sync_dev(struct vg_sync_report *rep, struct device *d, const char *remote,
		       struct timeline *tl)
{
	struct vg_sync_options o;
	struct timeline local;
	double t;

	if (tl == NULL)
		tl = &local;
	memset(tl, 0, sizeof(*tl));
	memset(&o, 0, sizeof(o));
	o.repo = d->repo;
	o.remote = remote;
	o.roster_dir = d->roster;
	o.store = d->store;
	o.progress = on_progress;
	o.ctx = tl;
	memcpy(o.self, d->id, VG_ID_BYTES);
	t = tl->start = bench_now();
	if (vg_sync_run(rep, &o) < 0)
		die("sync");
	t = bench_now() - t;
	if (rep->alarms != 0) {
		fprintf(stderr, "bench_sync: %s: %zu alarm(s)\n", d->name, rep->alarms);
		exit(1);
	}
	return t;
}

static void print_timeline(const struct timeline *tl, double total)
{
	double prev = 0;

	for (int i = 0; i < tl->n; i++) {
		printf("      %6.3f s  (+%6.3f)  %s\n", tl->t[i], tl->t[i] - prev, tl->msg[i]);
		prev = tl->t[i];
	}
	printf("      %6.3f s  (+%6.3f)  done\n", total, total - prev);
}

/* A fresh bare remote with the roster branch published by the coordinator. */
static void remote_new(char *out, const char *world)
{
	struct vg_sync_report rep;
	char name[64];

	snprintf(name, sizeof(name), "%s-remote.git", world);
	path_join(out, W.dir, name);
	git_init_bare(out);
	device_home(&W.coord, world);
	sync_dev(&rep, &W.coord, out, NULL);
	if (rep.roster_pushed != 2)
		die("publish");
}

static void entry_sizes(void)
{
	struct vg_entry e;
	uint64_t seq = 0;
	uint8_t id[VG_ID_BYTES];

	/* The real sizes of one of W.me's entries, for the filler of (b). */
	vg_entry_init(&e);
	if (vg_store_feed_head(W.me.store, &seq, id, W.me.id) < 0 || seq == 0 ||
	    vg_store_get_entry(W.me.store, &e, NULL, id) < 0)
		die("sizes");
	W.age_len = e.age.len;
	W.sig_len = e.sig.len;
	vg_entry_release(&e);
}

/* ---- (a) ---- */

static void part_a(long n)
{
	struct vg_sync_report rep;
	struct timeline tl;
	char remote[PATH_MAX], remote2[PATH_MAX], ref[VG_REPO_BRANCH_MAX];
	double t_ours, t_git, t_gen;

	printf("(a) a monitor's first push of a branch of %ld entries\n", n);
	remote_new(remote, "a");
	device_home(&W.me, "a");
	t_gen = bench_now();
	append(&W.me, n);
	t_gen = bench_now() - t_gen;
	t_ours = sync_dev(&rep, &W.me, remote, &tl);
	if (rep.committed != (size_t)n || rep.pushed != (size_t)n)
		die("first push");
	path_join(remote2, W.dir, "a-remote2.git");
	git_init_bare(remote2);
	vg_repo_member_ref(ref, W.me.id);
	t_git = git_push(W.me.repo, remote2, ref);
	printf("    (entries made in %.2f s, not counted)\n", t_gen);
	printf("    vigil sync (commit %ld entries + fetch + push): %7.3f s\n", n, t_ours);
	print_timeline(&tl, t_ours);
	printf("    stock git push of the same branch:            %7.3f s\n", t_git);
	printf("    ratio vigil / git push: %.2f (target <= 3)\n\n", t_ours / t_git);
}

/* ---- (b) ---- */

/*
 * Write into remote `total` entries of random bytes (an entry's sizes) on B_BRANCHES
 * branches of random author ids, at most 1000 per commit, with git fast-import.
 */
static void filler(const char *remote, long total)
{
	int fds[2];
	pid_t pid;
	FILE *out;
	uint8_t *age = malloc(W.age_len);
	char *sig = malloc(W.sig_len);
	long per = total / B_BRANCHES;
	int st;

	if (age == NULL || sig == NULL || pipe(fds) < 0)
		exit(1);
	if ((pid = fork()) == 0) {
		const char *argv[] = {"git", "--git-dir", remote, "fast-import", "--quiet", NULL};
		int null = open("/dev/null", O_RDWR);
		close(fds[1]);
		dup2(fds[0], 0);
		dup2(null, 1);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[0]);
	if ((out = fdopen(fds[1], "w")) == NULL)
		exit(1);
	for (int b = 0; b < B_BRANCHES; b++) {
		uint8_t author[VG_ID_BYTES];
		char ref[VG_REPO_BRANCH_MAX];
		long left = per + (b < total % B_BRANCHES ? 1 : 0);

		randombytes_buf(author, sizeof(author));
		vg_repo_member_ref(ref, author);
		for (int first = 1; left > 0; first = 0) {
			long k = left < 1000 ? left : 1000;
			fprintf(out,
				"commit %s\ncommitter vigil <vigil@invalid> 0 +0000\ndata 0\n%s",
				ref, first ? "" : "");
			for (long i = 0; i < k; i++) {
				uint8_t id[VG_ID_BYTES];
				char hex[VG_ID_HEX_LEN + 1];

				randombytes_buf(id, sizeof(id));
				randombytes_buf(age, W.age_len);
				for (size_t j = 0; j < W.sig_len; j++)
					sig[j] = "0123456789abcdef"[age[j % W.age_len] & 15];
				vg_hex_encode(hex, id, VG_ID_BYTES);
				fprintf(out, "M 100644 inline entries/%.2s/%.2s/%s.age\ndata %zu\n",
					hex, hex + 2, hex, W.age_len);
				fwrite(age, 1, W.age_len, out);
				fprintf(out,
					"\nM 100644 inline entries/%.2s/%.2s/%s.age.minisig\n"
					"data %zu\n",
					hex, hex + 2, hex, W.sig_len);
				fwrite(sig, 1, W.sig_len, out);
				fputc('\n', out);
			}
			fputc('\n', out);
			left -= k;
		}
	}
	fclose(out);
	free(age);
	free(sig);
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "bench_sync: git fast-import failed\n");
		exit(1);
	}
}

struct b_result {
	double ours, git, ours_med, git_med;
	struct timeline tl;
};

static void part_b_world(struct b_result *res, long others, const char *world)
{
	struct vg_sync_report rep;
	char remote[PATH_MAX], copy[PATH_MAX], ref[VG_REPO_BRANCH_MAX], name[64];
	double ours[ROUNDS], git[ROUNDS], t;

	remote_new(remote, world);
	device_home(&W.me, world);
	append(&W.me, B_OWN);
	if (W.age_len == 0)
		entry_sizes();
	t = bench_now();
	filler(remote, others);
	printf("    %ld other entries on %d branches written by git fast-import in %.1f s\n",
	       others, B_BRANCHES, bench_now() - t);
	sync_dev(&rep, &W.me, remote, NULL);
	if (rep.pushed != B_OWN)
		die("own branch");
	vg_repo_member_ref(ref, W.me.id);
	snprintf(name, sizeof(name), "%s-copy.git", world);
	path_join(copy, W.dir, name);
	for (int r = 0; r < ROUNDS; r++) {
		copy_tree(remote, copy);
		append(&W.me, B_NEW);
		ours[r] = sync_dev(&rep, &W.me, remote, r == ROUNDS - 1 ? &res->tl : NULL);
		if (rep.pushed != B_NEW)
			die("incremental push");
		git[r] = git_push(W.me.repo, copy, ref);
		rmrf(copy);
	}
	res->ours_med = bench_median(ours, ROUNDS);
	res->git_med = bench_median(git, ROUNDS);
	rmrf(remote);
}

static void part_b(long large)
{
	struct b_result small, big;

	printf("(b) a monitor's incremental sync of %d entries, own branch %d entries, other "
	       "branches %ld and %ld entries (median of %d rounds)\n",
	       B_NEW, B_OWN, large / 10, large, ROUNDS);
	part_b_world(&small, large / 10, "b1");
	part_b_world(&big, large, "b2");
	printf("    repository of %7ld others: vigil sync %.3f s, git push %.3f s, ratio %.2f "
	       "(target <= 2)\n",
	       large / 10, small.ours_med, small.git_med, small.ours_med / small.git_med);
	printf("    repository of %7ld others: vigil sync %.3f s, git push %.3f s, ratio %.2f "
	       "(target <= 2)\n",
	       large, big.ours_med, big.git_med, big.ours_med / big.git_med);
	printf("    vigil large / small: %.2f (target <= 1.5)\n", big.ours_med / small.ours_med);
	printf("    last round in the large repository:\n");
	print_timeline(&big.tl, big.tl.n > 0 ? big.ours_med : 0);
	printf("\n");
}

/* ---- (c) ---- */

struct loaded {
	struct vg_buf age, sig;
};

struct collected {
	struct loaded *e;
	size_t n, max;
};

/* Keep a copy of each entry of another author than the coordinator. */
static int collect(void *ctx, const struct vg_entry *e, enum vg_entry_state state)
{
	struct collected *c = ctx;

	if (state != VG_STATE_ACCEPTED || memcmp(e->meta.author, W.coord.id, VG_ID_BYTES) == 0 ||
	    c->n == c->max)
		return 0;
	vg_buf_init(&c->e[c->n].age);
	vg_buf_init(&c->e[c->n].sig);
	if (vg_buf_put(&c->e[c->n].age, e->age.ptr, e->age.len) < 0 ||
	    vg_buf_put(&c->e[c->n].sig, e->sig.ptr, e->sig.len) < 0)
		return -1;
	c->n++;
	return 0;
}

static void raw_verify(void *ctx)
{
	struct bench_raw *r = ctx;
	uint8_t h[64], id[32];

	/* BLAKE2b-512 prehash of the age file, two Ed25519 verifications, the id. */
	crypto_generichash(h, 64, r->age, sizeof(r->age), NULL, 0);
	bench_sink += crypto_sign_verify_detached(r->sig, h, 64, r->ed_pk);
	bench_sink += crypto_sign_verify_detached(r->sig, r->ct, 64 + 200, r->ed_pk);
	crypto_generichash(id, 32, r->age, sizeof(r->age), NULL, 0);
	bench_sink += id[0];
}

static void part_c(void)
{
	struct vg_sync_report rep;
	struct timeline tl;
	struct vg_roster_set *set = NULL;
	struct vg_minisign_pk opk;
	struct vg_age_recipient rr;
	static struct bench_raw raw;
	char remote[PATH_MAX];
	struct collected cl = {NULL, 0, 0};
	long k;
	double t_ours, t, t_verify, t_open, rate_raw;
	long total = (long)MONITORS * C_PER_MONITOR;
	struct loaded *ls;

	printf("(c) a coordinator's fetch and import of %ld new entries on %d branches\n", total,
	       MONITORS);
	remote_new(remote, "c");
	for (int i = 0; i < MONITORS; i++) {
		device_home(&W.mons[i], "c");
		append(&W.mons[i], C_PER_MONITOR);
		sync_dev(&rep, &W.mons[i], remote, NULL);
	}
	t_ours = sync_dev(&rep, &W.coord, remote, &tl);
	if (rep.accepted != (size_t)total)
		die("import");
	printf("    vigil sync (fetch, verify, judge, import): %7.0f entries/s  (%.3f s)\n",
	       (double)total / t_ours, t_ours);
	print_timeline(&tl, t_ours);

	/* The same entries through the library's verify, and verify + open, in loops. */
	vg_minisign_sk_public(&opk, W.org);
	if ((cl.e = calloc((size_t)total, sizeof(*cl.e))) == NULL ||
	    vg_roster_set_new(&set, &opk) < 0 || vg_roster_dir_load(set, W.coord.roster, NULL) < 0)
		die("roster set");
	cl.max = (size_t)total;
	if (vg_store_foreach(W.coord.store, NULL, collect, &cl) < 0)
		die("entries");
	k = (long)cl.n;
	ls = cl.e;
	t = bench_now();
	for (long i = 0; i < k; i++) {
		struct vg_entry_meta meta;
		if (vg_entry_verify(&meta, NULL, ls[i].age.ptr, ls[i].age.len,
				    (const char *)ls[i].sig.ptr, ls[i].sig.len, W.r2->org,
				    vg_roster_set_resolve, set, NULL) < 0)
			die("verify");
	}
	t_verify = bench_now() - t;
	t = bench_now();
	for (long i = 0; i < k; i++) {
		struct vg_entry_meta meta;
		json_t *doc = NULL;
		if (vg_entry_verify(&meta, NULL, ls[i].age.ptr, ls[i].age.len,
				    (const char *)ls[i].sig.ptr, ls[i].sig.len, W.r2->org,
				    vg_roster_set_resolve, set, NULL) < 0 ||
		    vg_entry_open(&doc, &meta, ls[i].age.ptr, ls[i].age.len, W.coord.age, NULL,
				  W.r2->policy.bucket, NULL) < 0)
			die("open");
		json_decref(doc);
	}
	t_open = bench_now() - t;
	vg_age_identity_recipient(&rr, W.coord.age);
	bench_raw_init(&raw, &rr, 1);
	crypto_sign_detached(raw.sig, NULL, raw.age, 64, raw.ed_sk);
	rate_raw = bench_rate(raw_verify, &raw, 0.5);
	printf("    library verify loop (vg_entry_verify):    %7.0f entries/s\n",
	       (double)k / t_verify);
	printf("    library verify + open loop:               %7.0f entries/s\n",
	       (double)k / t_open);
	printf("    raw libsodium verify loop:                %7.0f entries/s\n", rate_raw);
	printf("    ratio vigil sync / verify loop: %.2f\n\n",
	       ((double)k / t_ours) / (k / t_verify));
	for (long i = 0; i < k; i++) {
		vg_buf_release(&ls[i].age);
		vg_buf_release(&ls[i].sig);
	}
	free(ls);
	vg_roster_set_free(set);
}

int main(int argc, char **argv)
{
	long n = 10000, large = 100000;
	const char *parts = "abc";
	int opt;

	while ((opt = getopt(argc, argv, "n:l:p:")) != -1) {
		if (opt == 'n')
			n = atol(optarg);
		else if (opt == 'l')
			large = atol(optarg);
		else if (opt == 'p')
			parts = optarg;
		else {
			fprintf(stderr, "usage: bench_sync [-n N] [-l LARGE] [-p abc]\n");
			return 2;
		}
	}
	if (n < 1 || large < 10 * B_BRANCHES || vg_init() < 0)
		return 2;
	/* Stock git as shipped: no user or system configuration. */
	setenv("GIT_CONFIG_NOSYSTEM", "1", 1);
	setenv("GIT_CONFIG_GLOBAL", "/dev/null", 1);
	setvbuf(stdout, NULL, _IOLBF, 0);
	world_init();
	printf("bench_sync: N = %ld, large repository = %ld entries (scale %.2f of the issue's), "
	       "git %s\n\n",
	       n, large, (double)large / 100000, "from PATH");
	if (strchr(parts, 'a') != NULL)
		part_a(n);
	if (strchr(parts, 'b') != NULL)
		part_b(large);
	if (strchr(parts, 'c') != NULL)
		part_c();
	rmrf(W.dir);
	return 0;
}
