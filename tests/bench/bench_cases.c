/*
 * The monitor's commands as a user runs them, through the real `vigil` and `vigild`, with
 * the raw library loops of the same work beside them in the same run:
 *
 *   1. one `vigil case event CASE-ID` from the command line to a durable entry (process
 *      start, socket, seal, SQLite commit with synchronous=FULL), median and p95, beside
 *      one raw libsodium seal plus one raw SQLite FULL commit of a row of the same size
 *      (target: vigil <= 3x);
 *   2. `vigil import` of a generated spreadsheet of N events (default 99,990; 10 events
 *      per case), events per second beside the raw seal loop;
 *   3. a fresh daemon, then `vigil unlock` and `vigil case list` over those N entries
 *      (target: unlock without the key derivation, then list, <= 1 s), with the key
 *      derivation timed on its own;
 *   4. the daemon's resident memory after unlock and after the list (target <= 64 MiB);
 *   5. `vigil panic --force` over those entries (target <= 1 s), beside a raw SQLite delete
 *      of as many wrapped keys and a truncating checkpoint.
 *
 *   bench_cases BUILD-DIR [N]
 *
 * Not a pass/fail test: figures to quote. Build with the release key-derivation profile
 * (no VIGIL_TEST_KDF) for unlock figures a user sees; a test-profile build makes the
 * derivation negligible, which is what "excluding the KDF" asks.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sodium.h>
#include <sqlite3.h>

#include "bench.h"
#include "vigil/age.h"
#include "vigil/vigil.h"

#define PASS	 "bench vault passphrase"
#define ORGPASS	 "bench organisation passphrase"
#define RECPASS	 "bench recovery passphrase"
#define CLI_RUNS 41

static char build[1024], home[256], work[] = "/tmp/vigil-bench-cases-XXXXXX";

/*
 * Run argv (argv[0] relative to the build directory) with stdin from `in`, passphrases
 * (`pass`, may be NULL) on descriptor 3, stdout captured into out (may be NULL).
 * Returns the exit status, or -1.
 */
static int run(char *out, size_t outsz, const char *in, const char *pass, char *const *argv)
{
	int ip[2], pp[2], op[2], st;
	pid_t pid;
	size_t got = 0;
	char exe[1400];

	snprintf(exe, sizeof(exe), "%s/%s", build, argv[0]);
	if (pipe(ip) < 0 || pipe(pp) < 0 || pipe(op) < 0)
		return -1;
	if ((pid = fork()) < 0)
		return -1;
	if (pid == 0) {
		dup2(ip[0], 0);
		dup2(op[1], 1);
		dup2(pp[0], 3);
		for (int fd = 4; fd < 64; fd++)
			close(fd);
		execv(exe, argv);
		_exit(127);
	}
	close(ip[0]);
	close(pp[0]);
	close(op[1]);
	if (pass != NULL && write(pp[1], pass, strlen(pass)) < 0)
		return -1;
	close(pp[1]);
	if (in != NULL) {
		size_t len = strlen(in), off = 0;
		while (off < len) {
			ssize_t w = write(ip[1], in + off, len - off);
			if (w <= 0)
				break;
			off += (size_t)w;
		}
	}
	close(ip[1]);
	for (;;) {
		char buf[4096];
		ssize_t r = read(op[0], buf, sizeof(buf));
		if (r <= 0)
			break;
		if (out != NULL && got + (size_t)r < outsz) {
			memcpy(out + got, buf, (size_t)r);
			got += (size_t)r;
		}
	}
	if (out != NULL)
		out[got] = '\0';
	close(op[0]);
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

#define VIGIL(...)                                                                                 \
	((char *const[]){"agent/vigil", "--home", home, "--passphrase-fd", "3", __VA_ARGS__, NULL})
#define KEYS(...)                                                                                  \
	((char *const[]){"keys/vigil-keys", "--home", home, "--passphrase-fd", "3", __VA_ARGS__,   \
			 NULL})

static double timed(int *rc, const char *in, const char *pass, char *const *argv)
{
	double t = bench_now();
	*rc = run(NULL, 0, in, pass, argv);
	return bench_now() - t;
}

/* The daemon's pid from `vigil status --json`, or -1. */
static long daemon_pid(void)
{
	char out[8192];
	const char *p;

	if (run(out, sizeof(out), NULL, NULL, VIGIL("status", "--json")) != 0 ||
	    (p = strstr(out, "\"pid\":")) == NULL)
		return -1;
	return strtol(p + 6, NULL, 10);
}

/* A line of the daemon's /proc status, in KiB. */
static long proc_kib(const char *field)
{
	char path[64], line[256];
	long pid = daemon_pid(), kib = -1;
	FILE *f;

	if (pid <= 0)
		return -1;
	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, strlen(field)) == 0)
			kib = strtol(line + strlen(field) + 1, NULL, 10);
	fclose(f);
	return kib;
}

/* One raw seal and one raw SQLite insert committed with synchronous=FULL. */
struct raw_commit {
	struct bench_raw seal;
	sqlite3 *db;
	sqlite3_stmt *ins;
	long n;
};

static void raw_commit_one(void *ctx)
{
	struct raw_commit *r = ctx;
	bench_raw_seal(&r->seal);
	sqlite3_bind_int64(r->ins, 1, ++r->n);
	sqlite3_bind_blob(r->ins, 2, r->seal.age, sizeof(r->seal.age), SQLITE_STATIC);
	if (sqlite3_step(r->ins) != SQLITE_DONE)
		abort();
	sqlite3_reset(r->ins);
}

static void pct(double *v, int n, double *median, double *p95)
{
	qsort(v, (size_t)n, sizeof(double), bench_cmp_double);
	*median = v[n / 2];
	*p95 = v[(n * 95) / 100 < n ? (n * 95) / 100 : n - 1];
}

int main(int argc, char **argv)
{
	/* 99,990 events: with the header row, within vigil import's 100,000-row cap. */
	long n = argc > 2 ? atol(argv[2]) : 99990;
	static struct raw_commit raw;
	struct vg_age_identity *ids[3];
	struct vg_age_recipient rcpts[3];
	double cli[CLI_RUNS], rawt[CLI_RUNS], m_cli, p_cli, m_raw, p_raw, t, t_import, seal_rate;
	char out[1 << 16], csv[512], rawdb[512], caseid[64], pass2[256];
	char *p;
	FILE *f;
	int rc;

	if (argc < 2 || n < 10 || n > 99999) {
		fprintf(stderr, "usage: bench_cases BUILD-DIR [10 <= N <= 99999]\n");
		return 2;
	}
	if (vg_init() < 0 || mkdtemp(work) == NULL)
		return 1;
	snprintf(build, sizeof(build), "%s", argv[1]);
	snprintf(home, sizeof(home), "%s/home", work);
	snprintf(csv, sizeof(csv), "%s/cases.csv", work);
	snprintf(rawdb, sizeof(rawdb), "%s/raw.db", work);

	/* A device that is also its organisation's coordinator (so it has a roster). */
	snprintf(pass2, sizeof(pass2), "%s\n%s\n", ORGPASS, RECPASS);
	char orgkey[600], recovery[600];
	snprintf(orgkey, sizeof(orgkey), "%s/org.key", work);
	snprintf(recovery, sizeof(recovery), "%s/recovery.age", work);
	if (run(NULL, 0, NULL, PASS "\n", VIGIL("init", "--name", "bench")) != 0 ||
	    run(NULL, 0, NULL, pass2,
		KEYS("org", "init", "--name", "Bench Watch", "--org-key", orgkey, "--recovery",
		     recovery)) != 0) {
		fprintf(stderr, "bench_cases: cannot set up a home in %s\n", work);
		return 1;
	}
	if (run(out, sizeof(out),
		"{\"person\":{\"name\":\"Bench Person\",\"country\":\"Nowhere\"}}", NULL,
		VIGIL("case", "new", "--json")) != 0 ||
	    run(out, sizeof(out), NULL, NULL, VIGIL("case", "list", "--json")) != 0 ||
	    (p = strstr(out, "\"id\":\"")) == NULL) {
		fprintf(stderr, "bench_cases: 'vigil case new' failed\n");
		return 1;
	}
	memcpy(caseid, p + 6, 32);
	caseid[32] = '\0';

	/* 1. One event from the command line, against one raw seal + one FULL commit. */
	for (int i = 0; i < 3; i++)
		rc = run(NULL, 0,
			 "{\"event\":{\"type\":\"detention\",\"date\":\"2017-03-28\"},"
			 "\"source\":{\"confidential\":true,\"type\":\"relative\"}}",
			 NULL, VIGIL("case", "event", caseid));
	if (rc != 0) {
		fprintf(stderr, "bench_cases: 'vigil case event' failed\n");
		return 1;
	}
	for (int i = 0; i < 3; i++) {
		if (vg_age_identity_generate(&ids[i]) < 0)
			return 1;
		vg_age_identity_recipient(&rcpts[i], ids[i]);
	}
	bench_raw_init(&raw.seal, rcpts, 3);
	if (sqlite3_open(rawdb, &raw.db) != SQLITE_OK ||
	    sqlite3_exec(raw.db,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			 "CREATE TABLE t (n INTEGER PRIMARY KEY, b BLOB)",
			 NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(raw.db, "INSERT INTO t VALUES (?, ?)", -1, &raw.ins, NULL) !=
		SQLITE_OK)
		return 1;
	for (int i = 0; i < CLI_RUNS; i++) {
		/* Alternate, so machine noise falls on both. */
		cli[i] = timed(&rc, "{\"event\":{\"type\":\"charge\",\"date\":\"2017-04\"}}", NULL,
			       VIGIL("case", "event", caseid));
		if (rc != 0)
			return 1;
		t = bench_now();
		raw_commit_one(&raw);
		rawt[i] = bench_now() - t;
	}
	pct(cli, CLI_RUNS, &m_cli, &p_cli);
	pct(rawt, CLI_RUNS, &m_raw, &p_raw);
	printf("case event from the command line, durable (%d runs):\n", CLI_RUNS);
	printf("  vigil case event       median %7.2f ms   p95 %7.2f ms\n", m_cli * 1e3,
	       p_cli * 1e3);
	printf("  raw seal + FULL commit median %7.2f ms   p95 %7.2f ms\n", m_raw * 1e3,
	       p_raw * 1e3);
	printf("  ratio (median) %.1fx, (p95) %.1fx   target <= 3x\n", m_cli / m_raw,
	       p_cli / p_raw);

	/* 2. Import of n events, 10 per case. */
	if ((f = fopen(csv, "w")) == NULL)
		return 1;
	fprintf(f, "case_ref,person,country,event,date,place,status,notes\n");
	for (long i = 0; i < n; i++)
		fprintf(f,
			"C%ld,Person %ld,Country %ld,detention,%04ld-%02ld-%02ld,Place %ld,"
			"detained,note %ld of a bench import\n",
			i / 10, i / 10, (i / 10) % 7, 1990 + (i % 30), 1 + (i % 12), 1 + (i % 28),
			i, i);
	fclose(f);
	seal_rate = bench_rate(bench_raw_seal, &raw.seal, 1.0);
	t_import = timed(&rc, NULL, NULL, VIGIL("import", csv));
	if (rc != 0) {
		fprintf(stderr, "bench_cases: import failed (exit %d)\n", rc);
		return 1;
	}
	printf("import of %ld events (%ld cases):\n", n, n / 10);
	printf("  vigil import  %9.0f events/s  (%.1f s; opens included)\n",
	       (double)(n + n / 10) / t_import, t_import);
	printf("  raw seal loop %9.0f entries/s   ratio %.2fx\n", seal_rate,
	       (double)(n + n / 10) / t_import / seal_rate);

	/* 3. A fresh daemon (so its peak memory is the unlock's and the list's), unlock, list. */
	double t_unlock, t_list, t_list2;
	long old = daemon_pid();
	if (old <= 0 || run(NULL, 0, NULL, NULL, VIGIL("shutdown")) != 0)
		return 1;
	while (kill((pid_t)old, 0) == 0) /* until the old daemon is gone */
		usleep(10000);
	if (run(NULL, 0, NULL, NULL, VIGIL("status")) != 0)
		return 1;
	t_unlock = timed(&rc, NULL, PASS "\n", VIGIL("unlock"));
	if (rc != 0)
		return 1;
	long rss_unlocked = proc_kib("VmRSS:");
	t_list = timed(&rc, NULL, NULL, VIGIL("case", "list", "--json"));
	if (rc != 0)
		return 1;
	t_list2 = timed(&rc, NULL, NULL, VIGIL("case", "list", "--json"));
	double t_kdf = timed(&rc, NULL, "wrong passphrase\n", VIGIL("unlock"));
	if (run(NULL, 0, NULL, PASS "\n", VIGIL("unlock")) != 0)
		return 1;
	printf("with %ld entries:\n", n + n / 10 + 2 + CLI_RUNS + 3);
	printf("  vigil unlock %.3f s (of which a failed unlock, the key derivation and a "
	       "process, %.3f s)\n",
	       t_unlock, t_kdf);
	printf("  first case list %.3f s, second %.3f s\n", t_list, t_list2);
	printf("  unlock excluding the key derivation, then list: %.3f s   target <= 1 s\n",
	       t_unlock - t_kdf + t_list);
	printf("  daemon RSS after unlock %ld KiB, after list %ld KiB, peak %ld KiB   target "
	       "<= 65536 KiB\n",
	       rss_unlocked, proc_kib("VmRSS:"), proc_kib("VmHWM:"));

	/*
	 * 5. vigil panic over those entries, daemon running and unlocked (target <= 1 s),
	 * beside the raw SQLite work it cannot avoid: deleting as many 56-byte rows with
	 * secure_delete in one FULL transaction, then a truncating checkpoint.
	 */
	long rows = n + n / 10 + 2 + CLI_RUNS + 3;
	double t_panic = timed(&rc, NULL, NULL, VIGIL("panic", "--force"));
	if (rc != 0) {
		fprintf(stderr, "bench_cases: panic failed (exit %d)\n", rc);
		return 1;
	}
	if (sqlite3_exec(raw.db,
			 "PRAGMA secure_delete=ON; CREATE TABLE k (id INTEGER PRIMARY KEY, w BLOB);"
			 "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) "
			 "INSERT INTO k SELECT x, randomblob(56) FROM c LIMIT 200000;",
			 NULL, NULL, NULL) != SQLITE_OK)
		return 1;
	double t0 = bench_now();
	char del[128];
	snprintf(del, sizeof(del),
		 "DELETE FROM k WHERE id <= %ld; PRAGMA wal_checkpoint(TRUNCATE);", rows);
	if (sqlite3_exec(raw.db, del, NULL, NULL, NULL) != SQLITE_OK)
		return 1;
	double t_rawdel = bench_now() - t0;
	printf("vigil panic --force with %ld entries: %.3f s (process included)   target <= 1 s\n",
	       rows, t_panic);
	printf("  raw SQLite delete of %ld wrapped keys + truncating checkpoint %.3f s   ratio "
	       "%.1fx\n",
	       rows, t_rawdel, t_panic / t_rawdel);

	run(NULL, 0, NULL, NULL, VIGIL("shutdown"));
	sqlite3_finalize(raw.ins);
	sqlite3_close(raw.db);
	for (int i = 0; i < 3; i++)
		vg_age_identity_free(ids[i]);
	printf("(work directory %s left for inspection; remove it)\n", work);
	return 0;
}
