/*
 * bench_audit: entries verified per second by the audit (vg_audit_run on a bare
 * repository), beside the raw libsodium loop of what verifying one entry must do at least
 * (the BLAKE2b-512 prehash of the .age file, two Ed25519 verifications: the signature and
 * the global signature, the BLAKE2b-256 id), in the same run; and the audit's peak memory
 * (a fresh process, its ru_maxrss). Prints figures; not a pass/fail test.
 *
 * The repository is written as vigil's syncs write one, a pack per batch of 1,000
 * entries; the auditor is told to audit a `git clone --mirror`, which stock git packs as
 * one pack in tree order, and that is what the ratios are measured on. One audit of the
 * repository as written (a hundred packs for 100,000 entries, read in an order unrelated
 * to theirs) is printed beside them.
 *
 *   bench_audit [N]      N entries (default 100000, or BENCH_AUDIT_N); BENCH_AUDIT_KEEP=1
 *                        keeps the repository (for vigil audit, perf)
 *
 * Targets (issue 11): one thread >= 0.8 x the raw per-entry rate of one core; two threads
 * >= 1.6 x it; peak memory <= 256 MiB for 100,000 entries.
 */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <git2.h>
#include <sodium.h>

#include "bench.h"
#include "vigil/audit.h"
#include "vigil/entry.h"
#include "vigil/error.h"
#include "vigil/repo.h"
#include "vigil/roster.h"
#include "vigil/vigil.h"

#define BATCH 1000

static void die(const char *what)
{
	fprintf(stderr, "bench_audit: %s: %s\n", what, vg_error_last());
	exit(1);
}

/* The roster branch: versions/1..n and the newest at the top, one commit. */
static void roster_branch(const char *repo, struct vg_buf *json, struct vg_buf *sig, int n)
{
	git_repository *g = NULL;
	git_treebuilder *top = NULL, *vers = NULL;
	git_oid oid, tree, commit;
	git_signature *who = NULL;
	git_tree *t = NULL;

	if (git_repository_open_bare(&g, repo) < 0 || git_treebuilder_new(&top, g, NULL) < 0 ||
	    git_treebuilder_new(&vers, g, NULL) < 0)
		die("roster branch");
	for (int v = 0; v < n; v++) {
		git_treebuilder *one = NULL;
		char name[16];
		if (git_treebuilder_new(&one, g, NULL) < 0 ||
		    git_blob_create_from_buffer(&oid, g, json[v].ptr, json[v].len) < 0 ||
		    git_treebuilder_insert(NULL, one, "roster.json", &oid, GIT_FILEMODE_BLOB) < 0 ||
		    (v == n - 1 && git_treebuilder_insert(NULL, top, "roster.json", &oid,
							  GIT_FILEMODE_BLOB) < 0) ||
		    git_blob_create_from_buffer(&oid, g, sig[v].ptr, sig[v].len) < 0 ||
		    git_treebuilder_insert(NULL, one, "roster.json.minisig", &oid,
					   GIT_FILEMODE_BLOB) < 0 ||
		    (v == n - 1 && git_treebuilder_insert(NULL, top, "roster.json.minisig", &oid,
							  GIT_FILEMODE_BLOB) < 0) ||
		    git_treebuilder_write(&oid, one) < 0)
			die("roster version");
		snprintf(name, sizeof(name), "%d", v + 1);
		if (git_treebuilder_insert(NULL, vers, name, &oid, GIT_FILEMODE_TREE) < 0)
			die("versions");
		git_treebuilder_free(one);
	}
	if (git_treebuilder_write(&oid, vers) < 0 ||
	    git_treebuilder_insert(NULL, top, "versions", &oid, GIT_FILEMODE_TREE) < 0 ||
	    git_treebuilder_write(&tree, top) < 0 || git_tree_lookup(&t, g, &tree) < 0 ||
	    git_signature_new(&who, "vigil", "vigil@invalid", 0, 0) < 0 ||
	    git_commit_create(&commit, g, "refs/heads/roster", who, who, NULL, "", t, 0, NULL) < 0)
		die("roster commit");
	git_signature_free(who);
	git_tree_free(t);
	git_treebuilder_free(vers);
	git_treebuilder_free(top);
	git_repository_free(g);
}

/* What the raw loop verifies: one entry's files, its key. */
struct raw {
	struct vg_entry *e;
	size_t n, i;
	struct vg_minisign_pk pk;
};

/* The least an entry's verification costs: prehash, two Ed25519 verifications, id. */
static void raw_verify(void *ctx)
{
	struct raw *r = ctx;
	struct vg_entry *e = &r->e[r->i++ % r->n];
	struct vg_minisig ms;
	uint8_t h[64], id[32], buf[64 + VG_MINISIGN_COMMENT_MAX];
	size_t tl;

	if (vg_minisign_sig_parse(&ms, (const char *)e->sig.ptr, e->sig.len) < 0)
		abort();
	crypto_generichash(h, 64, e->age.ptr, e->age.len, NULL, 0);
	tl = strlen(ms.trusted);
	memcpy(buf, ms.sig, 64);
	memcpy(buf + 64, ms.trusted, tl);
	bench_sink += crypto_sign_verify_detached(ms.sig, h, 64, r->pk.pk);
	bench_sink += crypto_sign_verify_detached(ms.global_sig, buf, 64 + tl, r->pk.pk);
	crypto_generichash(id, 32, e->age.ptr, e->age.len, NULL, 0);
	bench_sink += id[0];
}

static void raw_ed25519(void *ctx)
{
	struct raw *r = ctx;
	struct vg_entry *e = &r->e[r->i++ % r->n];
	struct vg_minisig ms;
	uint8_t h[64];

	if (vg_minisign_sig_parse(&ms, (const char *)e->sig.ptr, e->sig.len) < 0)
		abort();
	crypto_generichash(h, 64, e->age.ptr, e->age.len, NULL, 0);
	bench_sink += crypto_sign_verify_detached(ms.sig, h, 64, r->pk.pk);
}

/* The raw loop on two threads at once, each on its own copy of the state: what two cores
 * of this machine give the raw work, the ceiling of any two-thread audit. */
struct raw_thread {
	struct raw r;
	double seconds, rate;
};

static void *raw_thread_main(void *arg)
{
	struct raw_thread *t = arg;

	t->rate = bench_rate(raw_verify, &t->r, t->seconds);
	return NULL;
}

static double raw_rate_2(const struct raw *r, double seconds)
{
	struct raw_thread t[2];
	pthread_t th[2];

	for (int i = 0; i < 2; i++) {
		t[i].r = *r;
		t[i].r.i = (size_t)i * 7;
		t[i].seconds = seconds;
		if (pthread_create(&th[i], NULL, raw_thread_main, &t[i]) != 0)
			die("thread");
	}
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	return t[0].rate + t[1].rate;
}

static double audit_rate(const char *repo, const struct vg_minisign_pk *org, unsigned threads,
			 long n)
{
	struct vg_audit_options o;
	struct vg_audit_report *r = NULL;
	double t, best = 0;

	memset(&o, 0, sizeof(o));
	o.remote = repo;
	o.org = org;
	o.threads = threads;
	for (int round = 0; round < 1; round++) {
		t = bench_now();
		if (vg_audit_run(&r, &o) < 0)
			die("audit");
		t = bench_now() - t;
		if (r->failures != 0 || r->verified != (uint64_t)n) {
			fprintf(stderr, "bench_audit: the audit found %zu failures, %llu valid\n",
				r->failures, (unsigned long long)r->verified);
			exit(1);
		}
		vg_audit_report_free(r);
		if ((double)n / t > best)
			best = (double)n / t;
	}
	return best;
}

/* In a fresh process (argv: --child REPO ORG): one audit on every core. */
static int child(const char *repo, const char *orgline)
{
	struct vg_audit_options o;
	struct vg_audit_report *r = NULL;
	struct vg_minisign_pk org;

	if (vg_init() < 0 || vg_minisign_pk_parse(&org, orgline, strlen(orgline)) < 0)
		die("child");
	memset(&o, 0, sizeof(o));
	o.remote = repo;
	o.org = &org;
	if (vg_audit_run(&r, &o) < 0)
		die("audit");
	vg_audit_report_free(r);
	return 0;
}

int main(int argc, char **argv)
{
	struct vg_minisign_sk *org = NULL, *msk = NULL, *csk = NULL;
	struct vg_age_identity *rec = NULL, *cage = NULL, *mage = NULL;
	struct vg_roster *r1 = NULL, *r2 = NULL;
	struct vg_buf json[2] = {VG_BUF_INIT, VG_BUF_INIT}, sig[2] = {VG_BUF_INIT, VG_BUF_INIT};
	struct vg_identity id;
	struct vg_age_recipient rr, rcpts[VG_AGE_RECIPIENTS_MAX];
	struct vg_minisign_pk opk;
	struct vg_entry proto, *es;
	struct vg_entry_content c;
	struct vg_entry_meta m;
	struct vg_repo *repo = NULL;
	struct raw raw;
	char dir[PATH_MAX], repopath[PATH_MAX], written[PATH_MAX], cmd[3 * PATH_MAX],
	    orgline[VG_MINISIGN_PK_B64_LEN + 1];
	long n = argc > 1 ? atol(argv[1])
			  : (getenv("BENCH_AUDIT_N") ? atol(getenv("BENCH_AUDIT_N")) : 100000);
	size_t nr, payload;
	double t, raw1, raw2, ed1, a1, a2, an, aw, ratio1, ratio2;
	unsigned cores = (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
	time_t now = time(NULL);

	if (argc == 4 && strcmp(argv[1], "--child") == 0)
		return child(argv[2], argv[3]);
	if (n < 1000)
		n = 1000;
	if (vg_init() < 0)
		die("init");
	snprintf(dir, sizeof(dir), "/tmp/vigil-bench-audit-XXXXXX");
	if (mkdtemp(dir) == NULL)
		die("mkdtemp");
	snprintf(repopath, sizeof(repopath), "%.200s/remote.git", dir);
	if (vg_minisign_sk_generate(&org) < 0 || vg_minisign_sk_generate(&msk) < 0 ||
	    vg_minisign_sk_generate(&csk) < 0 || vg_age_identity_generate(&rec) < 0 ||
	    vg_age_identity_generate(&cage) < 0 || vg_age_identity_generate(&mage) < 0)
		die("keys");
	vg_minisign_sk_public(&opk, org);
	vg_minisign_pk_encode(orgline, &opk);
	vg_age_identity_recipient(&rr, rec);
	memset(&id, 0, sizeof(id));
	snprintf(id.pseudonym, sizeof(id.pseudonym), "office");
	vg_minisign_sk_public(&id.sign, csk);
	vg_age_identity_recipient(&id.age, cage);
	if (vg_roster_first(&r1, &opk, "Bench Watch", &rr, &id, now) < 0 ||
	    vg_roster_sign(&json[0], &sig[0], r1, org) < 0 || vg_roster_next(&r2, r1, now) < 0)
		die("roster");
	snprintf(id.pseudonym, sizeof(id.pseudonym), "nadia");
	vg_minisign_sk_public(&id.sign, msk);
	vg_age_identity_recipient(&id.age, mage);
	if (vg_roster_add(r2, &id, VG_ROLE_MONITOR) < 0 ||
	    vg_roster_sign(&json[1], &sig[1], r2, org) < 0)
		die("roster");
	if (vg_repo_open(&repo, repopath, 1) < 0)
		die("repository");
	roster_branch(repopath, json, sig, 2);

	/* One sealed .age, its payload (which no audit opens) replaced by random bytes for
	 * each entry, as ciphertext is: git neither compresses nor deltifies them, as in a
	 * real repository. Each is signed as the next entry of nadia's feed. */
	memset(&m, 0, sizeof(m));
	memcpy(m.org, r2->org, 32);
	vg_id_of_key(m.author, &id.sign);
	m.roster = 2;
	m.seq = 1;
	memset(&c, 0, sizeof(c));
	c.type = VG_ENTRY_OPEN;
	c.time = "2017-03-28T10:00:00Z";
	c.body = json_pack("{s:{s:s,s:s}}", "person", "name", "A. Person", "country", "Testland");
	vg_entry_init(&proto);
	if (vg_roster_recipients(rcpts, &nr, r2, m.author) < 0 ||
	    vg_entry_seal(&proto, NULL, msk, &m, rcpts, nr, r2->policy.bucket, &c, NULL) < 0)
		die("seal");
	if ((es = calloc(BATCH, sizeof(*es))) == NULL)
		die("memory");
	{
		/* The payload starts after the header's MAC line ("--- <mac>\n"). */
		const uint8_t *mac = memmem(proto.age.ptr, proto.age.len, "\n--- ", 5);
		const uint8_t *nl =
		    mac != NULL
			? memchr(mac + 1, '\n', proto.age.len - (size_t)(mac + 1 - proto.age.ptr))
			: NULL;
		if (nl == NULL)
			die("age header");
		payload = (size_t)(nl + 1 - proto.age.ptr);
	}
	t = bench_now();
	for (long base = 0; base < n; base += BATCH) {
		const struct vg_entry *ptrs[BATCH];
		long k = n - base < BATCH ? n - base : BATCH;
		uint8_t oid[20];
		for (long i = 0; i < k; i++) {
			struct vg_entry *e = &es[i];
			char tc[VG_MINISIGN_COMMENT_MAX + 1];
			uint64_t seq = (uint64_t)(base + i + 1);
			vg_entry_release(e);
			vg_entry_init(e);
			m.seq = seq;
			if (vg_buf_put(&e->age, proto.age.ptr, proto.age.len) < 0)
				die("memory");
			randombytes_buf(e->age.ptr + payload, e->age.len - payload);
			if (vg_entry_tc_format(tc, sizeof(tc), &m) < 0 ||
			    vg_minisign_sign(&e->sig, msk, e->age.ptr, e->age.len,
					     VG_SIGNATURE_COMMENT, tc) < 0 ||
			    vg_entry_compute_id(e->id, e->age.ptr, e->age.len,
						(const char *)e->sig.ptr, e->sig.len) < 0)
				die("sign");
			e->meta = m;
			memcpy(m.prev, e->id, 32);
			ptrs[i] = e;
		}
		if (vg_repo_append(repo, oid, "refs/heads/members/placeholder", ptrs, (size_t)k) <
		    0)
			die("append");
	}
	{
		/* The branch is the author's: rename the placeholder reference. */
		git_repository *g = NULL;
		git_reference *ref = NULL, *nref = NULL;
		char name[128], hex[65];
		vg_hex_encode(hex, m.author, 32);
		snprintf(name, sizeof(name), "refs/heads/members/%s", hex);
		if (git_repository_open_bare(&g, repopath) < 0 ||
		    git_reference_lookup(&ref, g, "refs/heads/members/placeholder") < 0 ||
		    git_reference_rename(&nref, ref, name, 0, "bench") < 0)
			die("rename");
		git_reference_free(nref);
		git_reference_free(ref);
		git_repository_free(g);
	}
	printf("bench_audit: %ld entries written in %.1f s (%s)\n", n, bench_now() - t, repopath);
	/* The auditor's copy: a mirror clone through the pack protocol (file://), one pack. */
	snprintf(written, sizeof(written), "%s", repopath);
	snprintf(repopath, sizeof(repopath), "%.200s/mirror.git", dir);
	snprintf(cmd, sizeof(cmd), "git clone --quiet --mirror 'file://%s' '%s'", written,
		 repopath);
	t = bench_now();
	if (system(cmd) != 0)
		die("git clone --mirror (stock git is needed)");
	printf("bench_audit: git clone --mirror in %.1f s (%s)\n", bench_now() - t, repopath);

	/* The raw loop on the last batch, in memory. */
	raw.e = es;
	raw.n = (size_t)(n % BATCH ? n % BATCH : BATCH);
	raw.i = 0;
	raw.pk = id.sign;
	/*
	 * Each audit beside a raw loop run for as long, right after it, and the ratio of the
	 * two; the median of 3 rounds (the machine may be shared: only ratios measured side by
	 * side mean anything).
	 */
	{
		double r1v[3], r2v[3], e1v[3], a1v[3], a2v[3], w1v[3], w2v[3];
		for (int round = 0; round < 3; round++) {
			a1v[round] = audit_rate(repopath, &opk, 1, n);
			w1v[round] = bench_rate(raw_verify, &raw, (double)n / a1v[round]);
			r1v[round] = a1v[round] / w1v[round];
			a2v[round] = audit_rate(repopath, &opk, 2, n);
			r2v[round] =
			    a2v[round] / bench_rate(raw_verify, &raw, (double)n / a2v[round]);
			e1v[round] = bench_rate(raw_ed25519, &raw, 1.0);
			w2v[round] = raw_rate_2(&raw, (double)n / a2v[round]) / a2v[round];
		}
		a1 = bench_median(a1v, 3);
		a2 = bench_median(a2v, 3);
		raw1 = bench_median(w1v, 3);
		ed1 = bench_median(e1v, 3);
		ratio1 = bench_median(r1v, 3);
		ratio2 = bench_median(r2v, 3);
		raw2 =
		    1.0 / bench_median(w2v, 3); /* the audit's share of the raw two-thread rate */
	}
	an = cores > 2 ? audit_rate(repopath, &opk, cores, n) : a2;
	aw = audit_rate(written, &opk, 0, n);
	printf("raw Ed25519 verify, one core:           %8.0f /s\n", ed1);
	printf("raw entry verify (2 Ed25519 + hashes):  %8.0f entries/s, one core\n", raw1);
	printf("vigil audit, 1 thread:                  %8.0f entries/s = %.2f x raw per core "
	       "(target >= 0.8)\n",
	       a1, ratio1);
	printf("vigil audit, 2 threads:                 %8.0f entries/s = %.2f x raw single core "
	       "(target >= 1.6)\n",
	       a2, ratio2);
	printf("  (the raw loop itself on two threads: the audit does %.2f of it)\n", raw2);
	if (cores > 2)
		printf("vigil audit, %u threads:                %8.0f entries/s\n", cores, an);
	printf("vigil audit, %u threads, as written (%ld packs): %8.0f entries/s (%.2f x the "
	       "mirror)\n",
	       cores, (n + BATCH - 1) / BATCH, aw, aw / an);
	{
		pid_t pid;
		int status;
		struct rusage ru;
		fflush(stdout);
		if ((pid = fork()) == 0) {
			execl("/proc/self/exe", argv[0], "--child", repopath, orgline,
			      (char *)NULL);
			_exit(127);
		}
		if (pid < 0 || wait4(pid, &status, 0, &ru) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			die("child audit");
		printf("peak memory of an audit of %ld entries: %.1f MiB (target <= 256)\n", n,
		       (double)ru.ru_maxrss / 1024.0);
	}
	for (int i = 0; i < BATCH; i++)
		vg_entry_release(&es[i]);
	free(es);
	vg_entry_release(&proto);
	json_decref(c.body);
	vg_repo_free(repo);
	vg_roster_free(r1);
	vg_roster_free(r2);
	for (int v = 0; v < 2; v++) {
		vg_buf_release(&json[v]);
		vg_buf_release(&sig[v]);
	}
	vg_minisign_sk_free(org);
	vg_minisign_sk_free(msk);
	vg_minisign_sk_free(csk);
	vg_age_identity_free(rec);
	vg_age_identity_free(cage);
	vg_age_identity_free(mage);
	if (getenv("BENCH_AUDIT_KEEP") != NULL) {
		printf("kept: %s and %s (organisation key %s)\n", written, repopath, orgline);
	} else {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "bench_audit: cannot remove %s\n", dir);
	}
	return 0;
}
