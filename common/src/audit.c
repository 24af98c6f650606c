/*
 * The audit (vigil/audit.h; FORMAT.md 18). Passes, in order:
 *
 *   1. the state file of the last audit, when there is one;
 *   2. the roster branch: layout, every version from 1 with the roster set's rules,
 *      the top-level pair, expiry; rollback and fork against the state;
 *   3. every member branch: descends from the state's head; every file of its tree
 *      (vg_repo_walk), every entry checked on its own (vg_roster_set_check_entry); the
 *      calling thread walks each branch down to entries/<xx> and queues those
 *      directories, which every thread (the caller too) walks and checks with its own
 *      handle on the repository, so reading git is spread over the cores as well;
 *   4. every author's feed, from what the threads kept of the valid entries: duplicate
 *      sequence numbers, links to the previous entry, gaps, the revocation cutoff,
 *      quarantine and late_accept;
 *   5. one .age file in more than one entry;
 *   6. every receipts branch: descends from the state's head; every receipt from the root
 *      (layout, signer, signature, link to the parent's receipt, never covering less than
 *      the one before), every entry any of them names, revocation cutoffs below them;
 *   7. the new state file.
 *
 * Each pass appends findings.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>
#include <sodium.h>

#include "repo_git.h"
#include "sync_state.h"
#include "vigil/audit.h"
#include "vigil/error.h"
#include "vigil/net.h"
#include "vigil/fs.h"
#include "vigil/receipt.h"
#include "vigil/repo.h"
#include "vigil/roster.h"
#include "vigil/sync.h"

#define MEMBERS_PREFIX "refs/heads/members/"
#define STATE_MAGIC    "vigil-audit-state v=1 org="

/* What is kept of every entry valid on its own, for the feed and same-file passes. */
struct rec {
	uint8_t id[VG_ID_BYTES];
	uint8_t prev[VG_ID_BYTES];
	uint8_t age_key[32]; /* the .age file's bytes: its BLAKE2b-512, cut */
	uint64_t seq;
	uint32_t branch;
};

/* One member branch of the repository. */
struct branch {
	uint8_t author[VG_ID_BYTES]; /* first: state_merge reads it there */
	git_oid head;
	const struct vg_roster_member *m; /* in the newest verified version; NULL: none */
	char name[VG_AUDIT_MEMBER_MAX];
	uint64_t entries;
	bool rollback;
};

/* A line of the state file. */
struct state_line {
	uint8_t author[VG_ID_BYTES]; /* zero for the roster line */
	git_oid commit;
};

struct state {
	bool has_roster;
	uint64_t roster_version;
	uint8_t roster_hash[VG_ID_BYTES];
	git_oid roster_commit;
	struct state_line *members;
	size_t n;
	struct state_line *receipts; /* receipts branches' heads, ascending by author */
	size_t nr;
};

/* A receipts branch's head as this audit found it (for the new state). */
struct rhead {
	uint8_t author[VG_ID_BYTES]; /* first: state_merge reads it there */
	git_oid head;
	bool rollback;
};

/* A directory entries/<xx> of a member branch waiting for a thread. */
struct job {
	uint32_t branch;
	uint8_t tree[VG_REPO_OID_BYTES];
	char path[16]; /* "entries/xx" */
};

struct recs {
	struct rec *v;
	size_t n, cap;
};

struct audit {
	const struct vg_audit_options *o;
	struct vg_audit_report *rep;
	struct vg_repo *repo;
	git_repository *git;
	git_odb *odb;
	struct vg_roster_set *set;
	time_t now;
	struct state old;
	bool roster_failed; /* the roster state line is not to be replaced */
	git_oid roster_head;
	bool has_roster_head;
	struct branch *br;
	size_t nbr;
	struct rhead *rh; /* receipts branches, in the order listed (sorted before writing) */
	size_t nrh, caprh;
	const char *path; /* of the repository, for the threads' own handles */

	pthread_mutex_t fmu; /* findings and the report's counters */
	size_t fcap;

	/* The queue of directories. */
	pthread_mutex_t qmu;
	pthread_cond_t qcan_get;
	struct job q[VG_AUDIT_QUEUE];
	size_t qhead, qn, qcap;
	bool qdone;
	int werr;	    /* first error of a thread, */
	char werr_msg[512]; /* and its message (vg_error_last is per thread) */

	struct recs *wrecs; /* one per thread; the calling thread's is [0] */
	unsigned nthreads;
};

/* One thread's side of the walk. */
struct worker {
	struct audit *a;
	struct vg_repo *repo; /* its own handle (the calling thread's: a->repo) */
	struct recs *recs;
	uint32_t branch; /* the branch being walked */
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

const char *vg_audit_severity_name(enum vg_audit_severity s)
{
	return s == VG_AUDIT_FAIL ? "fail" : "info";
}

/* Printable ASCII without spaces: what both tools print of a name from the repository. */
static void clean(char *out, size_t outsz, const char *in)
{
	size_t i = 0;

	for (; in[i] != '\0' && i + 1 < outsz; i++)
		out[i] = in[i] > 0x20 && in[i] < 0x7f ? in[i] : '?';
	out[i] = '\0';
}

static int find(struct audit *a, const char *kind, enum vg_audit_severity sev, const char *member,
		uint64_t seq, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 7, 8)));
static int find(struct audit *a, const char *kind, enum vg_audit_severity sev, const char *member,
		uint64_t seq, const char *path, const char *fmt, ...)
{
	struct vg_audit_report *r = a->rep;
	struct vg_audit_finding *f;
	va_list ap;
	int rc = 0;

	pthread_mutex_lock(&a->fmu);
	if (sev == VG_AUDIT_FAIL)
		r->failures++;
	else
		r->notices++;
	if (r->nfindings == VG_AUDIT_FINDINGS_MAX)
		goto done;
	if (r->nfindings == a->fcap) {
		size_t ncap = a->fcap ? a->fcap * 2 : 64;
		void *nv = realloc(r->findings, ncap * sizeof(*r->findings));
		if (nv == NULL) {
			rc = vg_error_set(VG_ENOMEM, "out of memory");
			goto done;
		}
		r->findings = nv;
		a->fcap = ncap;
	}
	f = &r->findings[r->nfindings++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->severity = sev;
	snprintf(f->member, sizeof(f->member), "%s", member);
	f->seq = seq;
	clean(f->path, sizeof(f->path), path);
	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
done:
	pthread_mutex_unlock(&a->fmu);
	return rc;
}

/* ---- the state file (FORMAT.md 18.3) ---- */

static int hexfield(uint8_t *out, size_t n, const char *p, const char *end)
{
	return end - p == (ptrdiff_t)(2 * n) && vg_hex_decode(out, n, p, 2 * n) == 0 ? 0 : -1;
}

static int decimal(uint64_t *out, const char *p, const char *end)
{
	uint64_t v = 0;

	if (p == end || *p == '0')
		return -1;
	for (; p < end; p++) {
		if (*p < '0' || *p > '9' || v > VG_ENTRY_INT_MAX / 10)
			return -1;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v > VG_ENTRY_INT_MAX)
		return -1;
	*out = v;
	return 0;
}

/* The fields of one line, split at single spaces. */
static size_t split(const char *line, const char *end, const char **f, const char **fe, size_t max)
{
	size_t n = 0;
	const char *p = line;

	while (n < max) {
		const char *sp = memchr(p, ' ', (size_t)(end - p));
		f[n] = p;
		fe[n] = sp != NULL ? sp : end;
		n++;
		if (sp == NULL)
			return n;
		p = sp + 1;
	}
	return max + 1;
}

static int state_read(struct audit *a)
{
	struct vg_buf b = VG_BUF_INIT;
	const uint8_t *org_id;
	uint8_t org[VG_ID_BYTES], prev[VG_ID_BYTES];
	const char *p, *end;
	uint8_t rprev[VG_ID_BYTES];
	size_t lineno = 1, cap = 0, rcap = 0;
	int rc;

	rc = vg_fs_read_file(&b, a->o->state, VG_AUDIT_STATE_MAX);
	if (rc == VG_ENOTFOUND)
		return 0;
	if (rc < 0)
		return vg_error_prefix(rc, "state file '%s'", a->o->state);
	p = (const char *)b.ptr;
	end = p + b.len;
	if (b.len == 0 || p[b.len - 1] != '\n' || memchr(p, '\0', b.len) != NULL ||
	    memchr(p, '\r', b.len) != NULL) {
		rc = VG_EFORMAT;
		goto bad;
	}
	org_id = NULL;
	memset(prev, 0, sizeof(prev));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *f[5], *fe[5];
		size_t nf = split(p, nl, f, fe, 4);

		if (lineno == 1) {
			if ((size_t)(nl - p) != strlen(STATE_MAGIC) + VG_ID_HEX_LEN ||
			    memcmp(p, STATE_MAGIC, strlen(STATE_MAGIC)) != 0 ||
			    hexfield(org, VG_ID_BYTES, p + strlen(STATE_MAGIC), nl) < 0) {
				rc = VG_EFORMAT;
				goto bad;
			}
			org_id = org;
		} else if (lineno == 2 && nf == 4 && fe[0] - f[0] == 6 &&
			   memcmp(f[0], "roster", 6) == 0) {
			if (decimal(&a->old.roster_version, f[1], fe[1]) < 0 ||
			    hexfield(a->old.roster_hash, VG_ID_BYTES, f[2], fe[2]) < 0 ||
			    hexfield(a->old.roster_commit.id, 20, f[3], fe[3]) < 0) {
				rc = VG_EFORMAT;
				goto bad;
			}
			a->old.has_roster = true;
		} else if (nf == 3 && fe[0] - f[0] == 8 && memcmp(f[0], "receipts", 8) == 0) {
			struct state_line *l;
			if (a->old.nr == rcap) {
				size_t ncap = rcap ? rcap * 2 : 16;
				void *nv =
				    realloc(a->old.receipts, ncap * sizeof(*a->old.receipts));
				if (nv == NULL) {
					rc = vg_error_set(VG_ENOMEM, "out of memory");
					goto done;
				}
				a->old.receipts = nv;
				rcap = ncap;
			}
			l = &a->old.receipts[a->old.nr];
			if (hexfield(l->author, VG_ID_BYTES, f[1], fe[1]) < 0 ||
			    hexfield(l->commit.id, 20, f[2], fe[2]) < 0 ||
			    (a->old.nr > 0 && memcmp(rprev, l->author, VG_ID_BYTES) >= 0)) {
				rc = VG_EFORMAT;
				goto bad;
			}
			memcpy(rprev, l->author, VG_ID_BYTES);
			a->old.nr++;
		} else if (a->old.nr == 0 && nf == 3 && fe[0] - f[0] == 6 &&
			   memcmp(f[0], "member", 6) == 0) {
			struct state_line *l;
			if (a->old.n == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				void *nv = realloc(a->old.members, ncap * sizeof(*a->old.members));
				if (nv == NULL) {
					rc = vg_error_set(VG_ENOMEM, "out of memory");
					goto done;
				}
				a->old.members = nv;
				cap = ncap;
			}
			l = &a->old.members[a->old.n];
			if (hexfield(l->author, VG_ID_BYTES, f[1], fe[1]) < 0 ||
			    hexfield(l->commit.id, 20, f[2], fe[2]) < 0 ||
			    (a->old.n > 0 && memcmp(prev, l->author, VG_ID_BYTES) >= 0)) {
				rc = VG_EFORMAT;
				goto bad;
			}
			memcpy(prev, l->author, VG_ID_BYTES);
			a->old.n++;
		} else {
			rc = VG_EFORMAT;
			goto bad;
		}
		p = nl + 1;
		lineno++;
	}
	if (org_id == NULL) {
		rc = VG_EFORMAT;
		goto bad;
	}
	{
		uint8_t want[VG_ID_BYTES];
		vg_id_of_key(want, a->o->org);
		if (memcmp(org, want, VG_ID_BYTES) != 0) {
			rc = vg_error_set(VG_EMISMATCH,
					  "state file '%s' belongs to another organisation",
					  a->o->state);
			goto done;
		}
	}
	a->rep->state_read = true;
	rc = 0;
	goto done;
bad:
	rc =
	    vg_error_set(VG_EFORMAT, "state file '%s': line %zu is malformed", a->o->state, lineno);
done:
	vg_buf_release(&b);
	return rc;
}

static int cmp_rhead(const void *x, const void *y)
{
	return memcmp(((const struct rhead *)x)->author, ((const struct rhead *)y)->author,
		      VG_ID_BYTES);
}

/*
 * The state file's lines of one kind ("member", "receipts"): the heads found now (n
 * records of stride bytes, ascending by the author id at their start, the head and the
 * rollback flag at the offsets given) merged with the old state's (ascending too). A head
 * rolled back, or gone from the host, keeps its old line.
 */
static int state_merge(struct vg_buf *b, const char *kind, const void *now, size_t n, size_t stride,
		       size_t head_off, size_t rollback_off, const struct state_line *old, size_t m)
{
	char hex[VG_ID_HEX_LEN + 1], oid[GIT_OID_HEXSZ + 1], line[200];
	size_t i = 0, j = 0;
	int rc = 0;

	while (rc == 0 && (i < n || j < m)) {
		const uint8_t *rec = (const uint8_t *)now + i * stride;
		int c = i == n ? 1 : j == m ? -1 : memcmp(rec, old[j].author, VG_ID_BYTES);
		const uint8_t *author;
		const git_oid *commit;
		bool rollback = false;

		if (i < n)
			memcpy(&rollback, rec + rollback_off, sizeof(rollback));
		if (c < 0 || (c == 0 && !rollback)) {
			author = rec;
			commit = (const git_oid *)(const void *)(rec + head_off);
		} else {
			author = old[j].author;
			commit = &old[j].commit;
		}
		if (c <= 0)
			i++;
		if (c >= 0)
			j++;
		vg_hex_encode(hex, author, VG_ID_BYTES);
		git_oid_tostr(oid, sizeof(oid), commit);
		snprintf(line, sizeof(line), "%s %s %s\n", kind, hex, oid);
		rc = vg_buf_put(b, line, strlen(line));
	}
	return rc;
}

static int state_write(struct audit *a)
{
	struct vg_buf b = VG_BUF_INIT;
	char hex[VG_ID_HEX_LEN + 1], oid[GIT_OID_HEXSZ + 1], line[256];
	uint8_t org[VG_ID_BYTES];
	int rc;

	vg_id_of_key(org, a->o->org);
	vg_hex_encode(hex, org, VG_ID_BYTES);
	snprintf(line, sizeof(line), STATE_MAGIC "%s\n", hex);
	rc = vg_buf_put(&b, line, strlen(line));
	if (rc == 0 && a->has_roster_head && !a->roster_failed) {
		const struct vg_roster *cur = vg_roster_set_current(a->set);
		vg_hex_encode(hex, cur->hash, VG_ID_BYTES);
		git_oid_tostr(oid, sizeof(oid), &a->roster_head);
		snprintf(line, sizeof(line), "roster %llu %s %s\n",
			 (unsigned long long)cur->version, hex, oid);
		rc = vg_buf_put(&b, line, strlen(line));
	} else if (rc == 0 && a->old.has_roster) {
		vg_hex_encode(hex, a->old.roster_hash, VG_ID_BYTES);
		git_oid_tostr(oid, sizeof(oid), &a->old.roster_commit);
		snprintf(line, sizeof(line), "roster %llu %s %s\n",
			 (unsigned long long)a->old.roster_version, hex, oid);
		rc = vg_buf_put(&b, line, strlen(line));
	}
	/* Both lists are sorted by author: merge. A branch rolled back or gone keeps its old
	 * head, so the next audit reports it again until the host serves it again. */
	if (rc == 0)
		rc = state_merge(&b, "member", a->br, a->nbr, sizeof(*a->br),
				 offsetof(struct branch, head), offsetof(struct branch, rollback),
				 a->old.members, a->old.n);
	/* Receipts branches likewise (FORMAT.md 18.3). */
	if (a->nrh > 1)
		qsort(a->rh, a->nrh, sizeof(*a->rh), cmp_rhead);
	if (rc == 0)
		rc = state_merge(&b, "receipts", a->rh, a->nrh, sizeof(*a->rh),
				 offsetof(struct rhead, head), offsetof(struct rhead, rollback),
				 a->old.receipts, a->old.nr);
	if (rc == 0)
		rc = vg_fs_write_atomic(a->o->state, b.ptr, b.len, 0600, 0);
	if (rc < 0)
		vg_error_prefix(rc, "cannot write the state file '%s'", a->o->state);
	else
		a->rep->state_written = true;
	vg_buf_release(&b);
	return rc;
}

/* Whether commit old (maybe absent from the repository) is now or an ancestor of now. */
static bool descends(struct audit *a, const git_oid *now, const git_oid *old)
{
	int yes = 0;

	return vg_repo_descends(a->repo, &yes, now->id, old->id) == 0 && yes;
}

/* ---- the roster branch ---- */

static int roster_bad(void *ctx, const char *path, const char *why)
{
	return find(ctx, "roster", VG_AUDIT_FAIL, "-", 0, path, "the roster branch's '%s' %s", path,
		    why);
}

static int roster_pass(struct audit *a)
{
	struct vg_buf json = VG_BUF_INIT, sig = VG_BUF_INIT, top = VG_BUF_INIT,
		      topsig = VG_BUF_INIT;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	uint64_t newest = 0, v;
	size_t before = a->rep->failures;
	const struct vg_roster *cur;
	char path[64];
	int rc;

	rc = git_reference_name_to_id(&a->roster_head, a->git, VG_SYNC_ROSTER_REF);
	if (rc == GIT_ENOTFOUND) {
		a->roster_failed = true;
		return find(a, "roster", VG_AUDIT_FAIL, "-", 0, VG_SYNC_ROSTER_REF,
			    "the repository has no roster branch: nothing can be verified");
	}
	if (rc < 0)
		return vg_repo__fail(VG_EIO, "cannot read the roster branch");
	a->has_roster_head = true;
	if (a->old.has_roster && !descends(a, &a->roster_head, &a->old.roster_commit) &&
	    (rc = find(a, "rollback", VG_AUDIT_FAIL, "-", 0, VG_SYNC_ROSTER_REF,
		       "the roster branch moved backwards or was rewritten since the last "
		       "audit")) < 0)
		return rc;
	if (git_commit_lookup(&c, a->git, &a->roster_head) < 0 || git_commit_tree(&tree, c) < 0) {
		rc = find(a, "roster", VG_AUDIT_FAIL, "-", 0, VG_SYNC_ROSTER_REF,
			  "the roster branch is not a commit with a tree");
		goto done;
	}
	if ((rc = vg_sync__roster_layout(tree, a->git, &newest, roster_bad, a)) < 0)
		goto done;
	/* Every version from 1, in order, until one is missing (the layout said so) or
	 * refused: later ones cannot be checked without it. */
	for (v = 1;; v++) {
		rc = vg_sync__roster_pair(a->repo, &json, &sig, tree, v);
		if (rc == VG_ENOTFOUND) {
			rc = 0;
			break;
		}
		snprintf(path, sizeof(path), "versions/%llu/roster.json", (unsigned long long)v);
		if (rc == 0)
			rc = vg_roster_set_add(a->set, json.ptr, json.len, (const char *)sig.ptr,
					       sig.len, NULL);
		/* A version held already, under another number: the set took it as a repeat. */
		if (rc == 0 && vg_roster_set_current(a->set)->version != v)
			rc = vg_error_set(VG_EFORMAT, "versions/%llu holds another version",
					  (unsigned long long)v);
		if (rc == VG_ENOMEM || rc == VG_EIO)
			goto done;
		if (rc < 0) {
			rc = find(a, "roster", VG_AUDIT_FAIL, "-", v, path,
				  "roster version %llu refused: %s", (unsigned long long)v,
				  vg_error_last());
			break;
		}
	}
	if (rc < 0)
		goto done;
	cur = vg_roster_set_current(a->set);
	if (cur == NULL) {
		if (a->rep->failures == before)
			rc = find(a, "roster", VG_AUDIT_FAIL, "-", 0, "versions",
				  "the roster branch holds no version");
		goto done;
	}
	a->rep->roster_version = cur->version;
	snprintf(a->rep->roster_expires, sizeof(a->rep->roster_expires), "%s", cur->expires);
	if (cur->version == newest) {
		rc = vg_sync__roster_pair(a->repo, &top, &topsig, tree, 0);
		if (rc == VG_ENOMEM || rc == VG_EIO)
			goto done;
		if (rc < 0 || top.len != json.len || memcmp(top.ptr, json.ptr, json.len) != 0 ||
		    topsig.len != sig.len || memcmp(topsig.ptr, sig.ptr, sig.len) != 0) {
			/* json holds the last version read: newest, or a failed read above */
			rc = vg_sync__roster_pair(a->repo, &json, &sig, tree, newest);
			if (rc == 0 && top.len == json.len &&
			    memcmp(top.ptr, json.ptr, json.len) == 0 && topsig.len == sig.len &&
			    memcmp(topsig.ptr, sig.ptr, sig.len) == 0)
				rc = 0;
			else if ((rc = find(a, "roster", VG_AUDIT_FAIL, "-", 0, "roster.json",
					    "the roster branch's roster.json is not its newest "
					    "version")) < 0)
				goto done;
		}
	}
	if (vg_roster_set_check_fresh(a->set, a->now) < 0 &&
	    (rc = find(a, "expired", VG_AUDIT_FAIL, "-", cur->version, "roster.json",
		       "the newest roster version (%llu) expired on %s: the host may be serving "
		       "an old roster",
		       (unsigned long long)cur->version, cur->expires)) < 0)
		goto done;
	if (a->old.has_roster) {
		const struct vg_roster *same = vg_roster_set_get(a->set, a->old.roster_version);
		if (a->old.roster_version > newest)
			rc = find(
			    a, "rollback", VG_AUDIT_FAIL, "-", a->old.roster_version, "roster.json",
			    "the roster branch's newest version is %llu; the last audit "
			    "verified version %llu",
			    (unsigned long long)newest, (unsigned long long)a->old.roster_version);
		else if (same != NULL && memcmp(same->hash, a->old.roster_hash, VG_ID_BYTES) != 0) {
			snprintf(path, sizeof(path), "versions/%llu/roster.json",
				 (unsigned long long)same->version);
			rc = find(a, "fork", VG_AUDIT_FAIL, "-", same->version, path,
				  "roster version %llu is not the one the last audit verified "
				  "(two histories signed by the organisation key)",
				  (unsigned long long)same->version);
		}
		if (rc < 0)
			goto done;
	}
	rc = 0;
done:
	if (a->rep->failures != before)
		a->roster_failed = true;
	git_tree_free(tree);
	git_commit_free(c);
	vg_buf_release(&json);
	vg_buf_release(&sig);
	vg_buf_release(&top);
	vg_buf_release(&topsig);
	return rc;
}

/* ---- checking entries on their own, on worker threads ---- */

static void entry_path(char *out, size_t outsz, const uint8_t id[VG_ID_BYTES])
{
	char hex[VG_ID_HEX_LEN + 1];

	vg_hex_encode(hex, id, VG_ID_BYTES);
	snprintf(out, outsz, "entries/%.2s/%.2s/%s.age", hex, hex + 2, hex);
}

static int recs_push(struct recs *r, const struct rec *x)
{
	if (r->n == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 1024;
		void *nv = realloc(r->v, ncap * sizeof(*r->v));
		if (nv == NULL)
			return vg_error_set(VG_ENOMEM, "out of memory");
		r->v = nv;
		r->cap = ncap;
	}
	r->v[r->n++] = *x;
	return 0;
}

/* The kind of an entry refused on its own (FORMAT.md 18.2). */
static const char *refusal_kind(const struct vg_roster_verdict *vd)
{
	if (vd->verdict == VG_VERDICT_PENDING)
		return "roster-version";
	if (vd->auditor)
		return "auditor";
	switch (vd->failed) {
	case VG_ENTRY_CHECK_ORG:
		return "org";
	case VG_ENTRY_CHECK_RESOLVE:
		return "not-member";
	case VG_ENTRY_CHECK_SIGNATURE:
		return "signature";
	case VG_ENTRY_CHECK_ID:
		return "id";
	case VG_ENTRY_CHECK_STANZAS:
		return "stanzas";
	case VG_ENTRY_CHECK_NONE:
		return vd->verified ? "not-member" : "malformed";
	case VG_ENTRY_CHECK_FORMAT:
	default:
		return "malformed";
	}
}

static int check_entry(struct audit *a, struct recs *out, uint32_t branch,
		       const uint8_t id[VG_ID_BYTES], const uint8_t *age, size_t agelen,
		       const char *sig, size_t siglen)
{
	const struct branch *b = &a->br[branch];
	struct vg_roster_verdict vd;
	struct vg_minisig ms;
	struct vg_entry_meta meta;
	char path[VG_AUDIT_PATH_MAX];
	struct rec r;
	int rc;

	if ((rc = vg_roster_set_check_entry(&vd, a->set, age, agelen, sig, siglen, id)) < 0)
		return rc;
	if (vd.verdict != VG_VERDICT_ACCEPTED ||
	    memcmp(vd.meta.author, b->author, VG_ID_BYTES) != 0) {
		/* Findings in the order of the checks: the branch's owner first, as a valid
		 * entry of someone else is still out of place. */
		entry_path(path, sizeof(path), id);
		if (vg_minisign_sig_parse(&ms, sig, siglen) < 0 ||
		    vg_entry_tc_parse(&meta, ms.trusted, strlen(ms.trusted)) < 0)
			return find(a, "malformed", VG_AUDIT_FAIL, b->name, 0, path,
				    "malformed signature file: %s", vg_error_last());
		if (memcmp(meta.author, b->author, VG_ID_BYTES) != 0)
			return find(a, "author", VG_AUDIT_FAIL, b->name, meta.seq, path,
				    "an entry signed as another member's, on this member's branch");
		return find(a, refusal_kind(&vd), VG_AUDIT_FAIL, b->name, meta.seq, path, "%s",
			    vd.reason);
	}
	memset(&r, 0, sizeof(r));
	memcpy(r.id, vd.id, VG_ID_BYTES);
	memcpy(r.prev, vd.meta.prev, VG_ID_BYTES);
	memcpy(r.age_key, vd.age_hash, sizeof(r.age_key));
	r.seq = vd.meta.seq;
	r.branch = branch;
	return recs_push(out, &r);
}

/* Entries of the directory walk: counted, checked into the thread's own records. */
static int on_pair(void *ctx, const uint8_t id[VG_ID_BYTES], const uint8_t *age, size_t agelen,
		   const char *sig, size_t siglen)
{
	struct worker *w = ctx;
	struct audit *a = w->a;

	if (__atomic_add_fetch(&a->rep->entries, 1, __ATOMIC_RELAXED) > VG_AUDIT_ENTRIES_MAX)
		return vg_error_set(VG_ELIMIT, "the repository holds more than %d entries",
				    VG_AUDIT_ENTRIES_MAX);
	__atomic_add_fetch(&a->br[w->branch].entries, 1, __ATOMIC_RELAXED);
	return check_entry(a, w->recs, w->branch, id, age, agelen, sig, siglen);
}

static int on_bad(void *ctx, const char *path, const char *why)
{
	struct worker *w = ctx;

	return find(w->a, "layout", VG_AUDIT_FAIL, w->a->br[w->branch].name, 0, path, "'%s' %s",
		    path, why);
}

static int run_job(struct worker *w, const struct job *j)
{
	w->branch = j->branch;
	return vg_repo_walk_dir(w->repo, j->tree, j->path, on_pair, on_bad, w);
}

/* Keeps the first error of any thread and its message; under qmu. */
static void keep_error(struct audit *a, int rc)
{
	if (a->werr == 0) {
		a->werr = rc;
		snprintf(a->werr_msg, sizeof(a->werr_msg), "%s", vg_error_last());
	}
}

/* The oldest waiting directory into *j, under qmu; false when none waits. */
static bool job_take(struct audit *a, struct job *j)
{
	if (a->qn == 0)
		return false;
	*j = a->q[a->qhead];
	a->qhead = (a->qhead + 1) % VG_AUDIT_QUEUE;
	a->qn--;
	return true;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct audit *a = w->a;

	for (;;) {
		struct job j;
		bool failed;
		int rc;

		pthread_mutex_lock(&a->qmu);
		while (a->qn == 0 && !a->qdone)
			pthread_cond_wait(&a->qcan_get, &a->qmu);
		if (!job_take(a, &j)) {
			pthread_mutex_unlock(&a->qmu);
			return NULL;
		}
		failed = a->werr != 0; /* read under the lock: another thread writes it */
		pthread_mutex_unlock(&a->qmu);
		if (!failed && (rc = run_job(w, &j)) < 0) {
			pthread_mutex_lock(&a->qmu);
			keep_error(a, rc);
			pthread_mutex_unlock(&a->qmu);
		}
	}
}

/*
 * The calling thread's share of the queue: while it is full (or, with all, until it is
 * empty) the calling thread walks the oldest directory itself rather than wait.
 */
static int run_queued(const struct worker *w, bool all)
{
	struct audit *a = w->a;
	struct worker other = *w; /* w->branch is the walk's, which goes on after */
	struct job j;
	int rc;

	pthread_mutex_lock(&a->qmu);
	while (a->werr == 0 && (all || a->qn == a->qcap) && job_take(a, &j)) {
		pthread_mutex_unlock(&a->qmu);
		rc = run_job(&other, &j);
		pthread_mutex_lock(&a->qmu);
		if (rc < 0)
			keep_error(a, rc);
	}
	rc = a->werr;
	pthread_mutex_unlock(&a->qmu);
	return rc != 0 ? vg_error_set(rc, "%s", a->werr_msg) : 0;
}

/* The walk of a branch on the calling thread found entries/<xx>: queued for a thread. */
static int on_dir(void *ctx, const char *path, const uint8_t tree[VG_REPO_OID_BYTES])
{
	struct worker *w = ctx;
	struct audit *a = w->a;
	struct job *j;
	int rc;

	if (strlen(path) >= sizeof(j->path)) /* the walk gives "entries/xx" only */
		return vg_error_set(VG_EINVAL, "'%s': not a directory of the layout", path);
	if ((rc = run_queued(w, false)) < 0)
		return rc;
	pthread_mutex_lock(&a->qmu);
	j = &a->q[(a->qhead + a->qn) % VG_AUDIT_QUEUE];
	j->branch = w->branch;
	memcpy(j->tree, tree, VG_REPO_OID_BYTES);
	snprintf(j->path, sizeof(j->path), "%s", path);
	a->qn++;
	pthread_cond_signal(&a->qcan_get);
	pthread_mutex_unlock(&a->qmu);
	return 0;
}

/* ---- the branches ---- */

static int cmp_branch(const void *x, const void *y)
{
	return memcmp(((const struct branch *)x)->author, ((const struct branch *)y)->author,
		      VG_ID_BYTES);
}

static void member_name(char *out, const struct vg_roster *cur, const uint8_t author[VG_ID_BYTES])
{
	const struct vg_roster_member *m = cur != NULL ? vg_roster_find(cur, author) : NULL;

	if (m != NULL)
		snprintf(out, VG_AUDIT_MEMBER_MAX, "%s", m->pseudonym);
	else
		vg_hex_encode(out, author, VG_ID_BYTES);
}

static int list_branches(struct audit *a)
{
	git_reference_iterator *it = NULL;
	const char *name;
	size_t cap = 0;
	int rc = 0, e;

	if (git_repository_odb(&a->odb, a->git) < 0)
		return vg_repo__fail(VG_EIO, "cannot open the object database");
	if (git_reference_iterator_glob_new(&it, a->git, MEMBERS_PREFIX "*") < 0)
		return vg_repo__fail(VG_EIO, "cannot list the repository's branches");
	while ((e = git_reference_next_name(&name, it)) == 0) {
		const char *hex = name + strlen(MEMBERS_PREFIX);
		uint8_t author[VG_ID_BYTES];
		struct branch *b;
		git_object_t otype = GIT_OBJECT_INVALID;
		size_t osize;
		git_oid oid;

		if (strlen(hex) != VG_ID_HEX_LEN ||
		    strspn(hex, "0123456789abcdef") != VG_ID_HEX_LEN ||
		    vg_hex_decode(author, VG_ID_BYTES, hex, VG_ID_HEX_LEN) < 0) {
			if ((rc = find(a, "foreign", VG_AUDIT_FAIL, "-", 0, name,
				       "a branch name outside the layout")) < 0)
				break;
			continue;
		}
		if (a->nbr == VG_AUDIT_REFS_MAX) {
			rc = vg_error_set(VG_ELIMIT, "more than %d member branches",
					  VG_AUDIT_REFS_MAX);
			break;
		}
		if (git_reference_name_to_id(&oid, a->git, name) < 0 ||
		    git_odb_read_header(&osize, &otype, a->odb, &oid) < 0 ||
		    otype != GIT_OBJECT_COMMIT) {
			char who[VG_AUDIT_MEMBER_MAX];
			member_name(who, vg_roster_set_current(a->set), author);
			if ((rc = find(a, "layout", VG_AUDIT_FAIL, who, 0, name,
				       "a branch that names no commit")) < 0)
				break;
			continue;
		}
		if (a->nbr == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			void *nv = realloc(a->br, ncap * sizeof(*a->br));
			if (nv == NULL) {
				rc = vg_error_set(VG_ENOMEM, "out of memory");
				break;
			}
			a->br = nv;
			cap = ncap;
		}
		b = &a->br[a->nbr++];
		memset(b, 0, sizeof(*b));
		memcpy(b->author, author, VG_ID_BYTES);
		b->head = oid;
	}
	if (rc == 0 && e != GIT_ITEROVER)
		rc = vg_repo__fail(VG_EIO, "cannot list the repository's branches");
	git_reference_iterator_free(it);
	if (rc == 0 && a->nbr > 0)
		qsort(a->br, a->nbr, sizeof(*a->br), cmp_branch);
	return rc;
}

static const struct state_line *old_head(const struct audit *a, const uint8_t author[VG_ID_BYTES])
{
	for (size_t lo = 0, hi = a->old.n; lo < hi;) {
		size_t mid = (lo + hi) / 2;
		int c = memcmp(a->old.members[mid].author, author, VG_ID_BYTES);
		if (c == 0)
			return &a->old.members[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Threads 1.. of the audit, each with its own handle on the repository. */
static int start_threads(struct audit *a, pthread_t *th, struct worker *ws, unsigned *started)
{
	*started = 0;
	for (unsigned i = 1; i < a->nthreads; i++) {
		int rc;
		ws[i].a = a;
		ws[i].recs = &a->wrecs[i];
		if ((rc = vg_repo_open(&ws[i].repo, a->path, 0)) < 0)
			return rc;
		if (pthread_create(&th[i], NULL, worker_main, &ws[i]) != 0) {
			vg_repo_free(ws[i].repo);
			return vg_error_set(VG_ERROR, "cannot start a verifying thread");
		}
		*started = i;
	}
	return 0;
}

static void stop_threads(struct audit *a, pthread_t *th, struct worker *ws, unsigned started)
{
	pthread_mutex_lock(&a->qmu);
	a->qdone = true;
	pthread_cond_broadcast(&a->qcan_get);
	pthread_mutex_unlock(&a->qmu);
	for (unsigned i = 1; i <= started; i++) {
		pthread_join(th[i], NULL);
		vg_repo_free(ws[i].repo);
	}
}

static int branches_pass(struct audit *a)
{
	const struct vg_roster *cur = vg_roster_set_current(a->set);
	pthread_t th[VG_AUDIT_THREADS_MAX];
	struct worker ws[VG_AUDIT_THREADS_MAX];
	unsigned started = 0;
	int rc = 0;

	/* Branches the last audit verified that are gone. */
	for (size_t j = 0; j < a->old.n; j++) {
		struct branch key;
		char name[VG_AUDIT_MEMBER_MAX], ref[VG_REPO_BRANCH_MAX];
		memcpy(key.author, a->old.members[j].author, VG_ID_BYTES);
		if (a->nbr > 0 && bsearch(&key, a->br, a->nbr, sizeof(*a->br), cmp_branch) != NULL)
			continue;
		member_name(name, cur, key.author);
		vg_repo_member_ref(ref, key.author);
		if ((rc = find(a, "rollback", VG_AUDIT_FAIL, name, 0, ref,
			       "the branch the last audit verified is gone")) < 0)
			return rc;
	}
	ws[0].a = a;
	ws[0].repo = a->repo;
	ws[0].recs = &a->wrecs[0];
	if (a->nthreads > 1 && (rc = start_threads(a, th, ws, &started)) < 0) {
		stop_threads(a, th, ws, started);
		return rc;
	}
	for (size_t i = 0; i < a->nbr && rc == 0; i++) {
		struct branch *b = &a->br[i];
		const struct state_line *old = old_head(a, b->author);
		char ref[VG_REPO_BRANCH_MAX];

		vg_repo_member_ref(ref, b->author);
		member_name(b->name, cur, b->author);
		b->m = cur != NULL ? vg_roster_find(cur, b->author) : NULL;
		if (old != NULL && !descends(a, &b->head, &old->commit)) {
			b->rollback = true;
			rc = find(
			    a, "rollback", VG_AUDIT_FAIL, b->name, 0, ref,
			    "the branch moved backwards or was rewritten since the last audit");
		}
		if (rc < 0)
			break;
		if (cur == NULL)
			continue;
		if (b->m == NULL) {
			rc = find(a, "not-member", VG_AUDIT_FAIL, b->name, 0, ref,
				  "a branch of someone who is not a member of the roster: its "
				  "entries cannot be verified");
			continue;
		}
		ws[0].branch = (uint32_t)i;
		rc = vg_repo_walk(a->repo, b->head.id, on_pair, a->nthreads > 1 ? on_dir : NULL,
				  on_bad, &ws[0]);
	}
	if (rc == 0)
		rc = run_queued(&ws[0], true);
	stop_threads(a, th, ws, started);
	if (rc == 0 && a->werr != 0)
		rc = vg_error_set(a->werr, "%s", a->werr_msg);
	return rc;
}

/* ---- feeds ---- */

static int cmp_rec(const void *x, const void *y)
{
	const struct rec *p = x, *q = y;

	if (p->branch != q->branch)
		return p->branch < q->branch ? -1 : 1;
	if (p->seq != q->seq)
		return p->seq < q->seq ? -1 : 1;
	return memcmp(p->id, q->id, VG_ID_BYTES);
}

static int gap(struct audit *a, const struct branch *b, uint64_t seq)
{
	return find(a, "gap", VG_AUDIT_FAIL, b->name, seq, "-",
		    "the entry with sequence %llu is missing: the feed has a gap",
		    (unsigned long long)seq);
}

/*
 * One author's valid entries, sorted by sequence number (FORMAT.md 18.2, feeds): v[0..n).
 */
static int feed(struct audit *a, struct branch *b, const struct rec *v, size_t n,
		struct vg_audit_member *sum)
{
	const struct vg_roster *cur = vg_roster_set_current(a->set);
	const struct vg_roster_member *m = b->m;
	bool revoked = m->revoked;
	uint64_t c = revoked ? m->cutoff_seq : 0, expect = 1, top;
	size_t i = 0, pg = 0, pn = 0; /* the previous group: v[pg .. pg + pn) */
	char path[VG_AUDIT_PATH_MAX];
	int rc = 0;

	/* Gaps: within 1 .. the highest sequence (unrevoked) or 1 .. the cutoff (revoked). */
	top = revoked ? c : (n > 0 ? v[n - 1].seq : 0);
	for (size_t k = 0; k < n && rc == 0 && expect <= top; k++) {
		if (v[k].seq > expect)
			rc = gap(a, b, expect);
		if (v[k].seq >= expect)
			expect = v[k].seq + 1;
	}
	if (rc == 0 && expect <= top)
		rc = gap(a, b, expect);
	while (i < n && rc == 0) {
		size_t g = i, gn = 0;
		uint64_t s = v[i].seq;

		while (i < n && v[i].seq == s) {
			i++;
			gn++;
		}
		for (size_t k = g; k < g + gn && rc == 0; k++) {
			const struct rec *r = &v[k];
			bool linked = false;

			entry_path(path, sizeof(path), r->id);
			if (gn > 1) {
				rc = find(a, "duplicate", VG_AUDIT_FAIL, b->name, s, path,
					  "%zu entries carry sequence number %llu: two histories "
					  "under one key",
					  gn, (unsigned long long)s);
				continue;
			}
			if (revoked && s > c) {
				if (!vg_roster_is_late_accepted(cur, r->id)) {
					sum->quarantined++;
					rc = find(a, "quarantined", VG_AUDIT_INFO, b->name, s, path,
						  "signed by a revoked member after its cutoff "
						  "(sequence %llu): quarantined",
						  (unsigned long long)c);
					continue;
				}
				sum->late++;
				rc = find(a, "late-accepted", VG_AUDIT_INFO, b->name, s, path,
					  "after the cutoff of a revoked member, admitted by "
					  "late_accept");
				if (rc < 0)
					break;
			}
			if (revoked && s == c && memcmp(r->id, m->cutoff_id, VG_ID_BYTES) != 0) {
				rc = find(a, "fork", VG_AUDIT_FAIL, b->name, s, path,
					  "not the entry the revocation cutoff names");
				continue;
			}
			if (s == 1 || pn == 0 || v[pg].seq != s - 1)
				continue; /* nothing before it, or a gap reported above */
			for (size_t p = pg; p < pg + pn && !linked; p++)
				linked = memcmp(r->prev, v[p].id, VG_ID_BYTES) == 0;
			if (!linked)
				rc = find(a, "fork", VG_AUDIT_FAIL, b->name, s, path,
					  "its previous entry is not the entry with sequence %llu",
					  (unsigned long long)s - 1);
		}
		pg = g;
		pn = gn;
	}
	return rc;
}

static int cmp_age(const void *x, const void *y)
{
	const struct rec *const *p = x, *const *q = y;
	int c = memcmp((*p)->age_key, (*q)->age_key, sizeof((*p)->age_key));

	return c != 0 ? c : cmp_rec(*p, *q);
}

static int cmp_name(const void *x, const void *y)
{
	return strcmp(((const struct vg_audit_member *)x)->name,
		      ((const struct vg_audit_member *)y)->name);
}

static int cmp_finding(const void *x, const void *y)
{
	const struct vg_audit_finding *p = x, *q = y;
	int c = strcmp(p->member, q->member);

	if (c == 0 && p->seq != q->seq)
		c = p->seq < q->seq ? -1 : 1;
	if (c == 0)
		c = strcmp(p->kind, q->kind);
	if (c == 0)
		c = strcmp(p->path, q->path);
	return c;
}

/* The summary of author: members[0..nsorted) are sorted by id, the rest few. */
static struct vg_audit_member *summary(struct vg_audit_report *rep, size_t nsorted,
				       const uint8_t author[VG_ID_BYTES])
{
	for (size_t lo = 0, hi = nsorted; lo < hi;) {
		size_t mid = (lo + hi) / 2;
		int c = memcmp(rep->members[mid].id, author, VG_ID_BYTES);
		if (c == 0)
			return &rep->members[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t k = nsorted; k < rep->nmembers; k++)
		if (memcmp(rep->members[k].id, author, VG_ID_BYTES) == 0)
			return &rep->members[k];
	return NULL;
}

/* ---- receipts (FORMAT.md 17.6, 18.2 pass 7: every receipt of each branch) ---- */

/* Whether the valid entries (all, sorted by cmp_rec) hold (author, seq, id). */
static bool receipted_present(const struct audit *a, const struct recs *all,
			      const uint8_t author[VG_ID_BYTES], uint64_t seq,
			      const uint8_t id[VG_ID_BYTES])
{
	struct branch key, *b;
	struct rec r;

	memcpy(key.author, author, VG_ID_BYTES);
	b = a->nbr > 0 ? bsearch(&key, a->br, a->nbr, sizeof(*a->br), cmp_branch) : NULL;
	if (b == NULL || all->n == 0)
		return false;
	memset(&r, 0, sizeof(r));
	r.branch = (uint32_t)(b - a->br);
	r.seq = seq;
	memcpy(r.id, id, VG_ID_BYTES);
	return bsearch(&r, all->v, all->n, sizeof(*all->v), cmp_rec) != NULL;
}

/* An element some receipt of the branch named, with the lowest roster version naming it. */
struct relem {
	uint8_t id[VG_ID_BYTES];
	uint64_t seq;
	uint8_t entry[VG_ID_BYTES];
	uint64_t roster;
};

struct relems {
	struct relem *v;
	size_t n, cap;
};

static int relem_cmp(const void *x, const void *y)
{
	const struct relem *p = x, *q = y;
	int c = memcmp(p->id, q->id, VG_ID_BYTES);

	if (c == 0)
		c = p->seq < q->seq ? -1 : p->seq > q->seq;
	if (c == 0)
		c = memcmp(p->entry, q->entry, VG_ID_BYTES);
	if (c == 0)
		c = p->roster < q->roster ? -1 : p->roster > q->roster;
	return c;
}

static int relem_add(struct relems *e, const uint8_t id[VG_ID_BYTES], uint64_t seq,
		     const uint8_t entry[VG_ID_BYTES], uint64_t roster)
{
	struct relem *x;

	if (e->n == e->cap) {
		size_t ncap = e->cap ? e->cap * 2 : 64;
		void *nv = realloc(e->v, ncap * sizeof(*e->v));
		if (nv == NULL)
			return vg_error_set(VG_ENOMEM, "out of memory");
		e->v = nv;
		e->cap = ncap;
	}
	x = &e->v[e->n++];
	memset(x, 0, sizeof(*x));
	memcpy(x->id, id, VG_ID_BYTES);
	x->seq = seq;
	if (entry != NULL)
		memcpy(x->entry, entry, VG_ID_BYTES);
	x->roster = roster;
	return 0;
}

/* Sorted, one element per (id, seq, entry) with the lowest roster version. */
static void relem_unique(struct relems *e)
{
	size_t k = 0;

	if (e->n > 1)
		qsort(e->v, e->n, sizeof(*e->v), relem_cmp);
	for (size_t i = 0; i < e->n; i++)
		if (k == 0 || memcmp(e->v[k - 1].id, e->v[i].id, VG_ID_BYTES) != 0 ||
		    e->v[k - 1].seq != e->v[i].seq ||
		    memcmp(e->v[k - 1].entry, e->v[i].entry, VG_ID_BYTES) != 0)
			e->v[k++] = e->v[i];
	e->n = k;
}

/*
 * One receipt of a branch: the commit at position pos (1 at the root, along first
 * parents). Returns 0 with *ok when it verified (r filled), 0 without *ok when a finding
 * was reported, < 0 on an I/O or memory error.
 */
static int receipt_one(struct audit *a, const char *ref, const uint8_t c[VG_ID_BYTES],
		       const char *cname, const struct vg_roster_member *signer, const git_oid *oid,
		       uint64_t pos, struct vg_receipt *r, bool *ok)
{
	const struct vg_roster *at;
	const struct vg_roster_member *sm;
	struct vg_buf json = VG_BUF_INIT, sig = VG_BUF_INIT, pj = VG_BUF_INIT, ps = VG_BUF_INIT;
	uint8_t org[VG_ID_BYTES], ph[VG_ID_BYTES];
	git_commit *commit = NULL;
	unsigned parents;
	int rc;

	*ok = false;
	vg_id_of_key(org, a->o->org);
	rc = vg_sync__commit_receipt(a->repo, &json, &sig, oid->id);
	if (rc == VG_ENOMEM || rc == VG_EIO)
		goto done;
	if (rc < 0) {
		rc = find(a, "receipt", VG_AUDIT_FAIL, cname, pos, ref, "receipt at %llu: %s",
			  (unsigned long long)pos, vg_error_last());
		goto done;
	}
	rc = vg_receipt_verify(r, json.ptr, json.len, (const char *)sig.ptr, sig.len, org, c,
			       &signer->key);
	if (rc == VG_ENOMEM)
		goto done;
	if (rc < 0) {
		rc = find(a, "receipt", VG_AUDIT_FAIL, cname, pos, ref,
			  "receipt at %llu is refused: %s", (unsigned long long)pos,
			  vg_error_last());
		goto done;
	}
	/* The signer: an unrevoked coordinator of the version the receipt names. */
	at = vg_roster_set_get(a->set, r->roster);
	sm = at != NULL ? vg_roster_find(at, c) : NULL;
	if (sm == NULL || sm->revoked || sm->role != VG_ROLE_COORDINATOR) {
		rc = find(a, "receipt-signer", VG_AUDIT_FAIL, cname, pos, ref,
			  "receipt %llu is signed by someone who is not an unrevoked coordinator "
			  "of roster version %llu",
			  (unsigned long long)r->n, (unsigned long long)r->roster);
		goto done;
	}
	*ok = true;
	/* Its link: n its position, a root commit exactly for n = 1, otherwise one parent
	 * whose receipt's hash is prev (FORMAT.md 17.1). */
	if (git_commit_lookup(&commit, a->git, oid) < 0) {
		rc = vg_repo__fail(VG_EIO, "cannot read a receipts commit");
		goto done;
	}
	parents = git_commit_parentcount(commit);
	rc = 0;
	if (parents == 1) {
		rc =
		    vg_sync__commit_receipt(a->repo, &pj, &ps, git_commit_parent_id(commit, 0)->id);
		if (rc == VG_ENOMEM || rc == VG_EIO)
			goto done;
		if (rc == 0)
			crypto_generichash(ph, sizeof(ph), pj.ptr, pj.len, NULL, 0);
	}
	if (r->n != pos || (r->n == 1) != (parents == 0) || parents > 1 ||
	    (parents == 1 && (rc < 0 || memcmp(ph, r->prev, VG_ID_BYTES) != 0)))
		rc = find(a, "receipt-chain", VG_AUDIT_FAIL, cname, pos, ref,
			  "receipt %llu does not follow its commit's parent",
			  (unsigned long long)r->n);
	else
		rc = 0;
done:
	git_commit_free(commit);
	vg_buf_release(&json);
	vg_buf_release(&sig);
	vg_buf_release(&pj);
	vg_buf_release(&ps);
	return rc;
}

/* Receipt r (newer) against p, the branch's previous verified one (17.2: monotone). */
static int receipt_shrunk(struct relems *shrunk, const struct vg_receipt *p,
			  const struct vg_receipt *r)
{
	int rc = 0;

	for (size_t i = 0; i < p->nmembers && rc == 0; i++) {
		const struct vg_receipt_mark *was = &p->members[i];
		const struct vg_receipt_mark *now = vg_receipt_find(r, was->id);
		if (now == NULL || now->seq < was->seq ||
		    (now->seq == was->seq && memcmp(now->entry, was->entry, VG_ID_BYTES) != 0))
			rc = relem_add(shrunk, was->id, was->seq, NULL, 0);
	}
	return rc;
}

/* Every receipt of one branch, whose name is ref and coordinator id c, root first. */
static int receipt_branch(struct audit *a, const struct recs *all, const char *ref,
			  const uint8_t c[VG_ID_BYTES], const git_oid *head)
{
	const struct vg_roster *cur = vg_roster_set_current(a->set);
	const struct vg_roster_member *signer = vg_roster_find(cur, c);
	struct vg_receipt r, p;
	struct relems els = {NULL, 0, 0}, shrunk = {NULL, 0, 0};
	git_revwalk *walk = NULL;
	git_oid oid;
	char cname[VG_AUDIT_MEMBER_MAX];
	uint64_t pos = 0;
	size_t uniq = 0;
	bool have_prev = false;
	int rc = 0, e;

	vg_receipt_init(&r);
	vg_receipt_init(&p);
	member_name(cname, cur, c);
	if (signer == NULL)
		return find(a, "receipt-signer", VG_AUDIT_FAIL, cname, 0, ref,
			    "a receipts branch of someone who is not a member of the roster");
	if (git_revwalk_new(&walk, a->git) < 0 ||
	    git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE) < 0 ||
	    git_revwalk_simplify_first_parent(walk) < 0 || git_revwalk_push(walk, head) < 0) {
		rc = vg_repo__fail(VG_EIO, "cannot walk a receipts branch");
		goto done;
	}
	while (rc == 0 && (e = git_revwalk_next(&oid, walk)) == 0) {
		bool ok;

		pos++;
		if ((rc = receipt_one(a, ref, c, cname, signer, &oid, pos, &r, &ok)) < 0 || !ok)
			continue;
		if (have_prev && (rc = receipt_shrunk(&shrunk, &p, &r)) < 0)
			break;
		for (size_t i = 0; i < r.nmembers && rc == 0; i++)
			rc = relem_add(&els, r.members[i].id, r.members[i].seq, r.members[i].entry,
				       r.roster);
		/* Receipts repeat most of what the one before said: memory follows the
		 * distinct elements, not receipts times members. */
		if (rc == 0 && els.n > 2 * uniq + 4096) {
			relem_unique(&els);
			uniq = els.n;
		}
		/* r becomes the previous one. */
		{
			struct vg_receipt t = p;
			p = r;
			r = t;
		}
		have_prev = true;
	}
	if (rc == 0 && e != GIT_ITEROVER)
		rc = vg_repo__fail(VG_EIO, "cannot walk a receipts branch");
	if (rc < 0)
		goto done;
	relem_unique(&shrunk);
	for (size_t i = 0; i < shrunk.n && rc == 0; i++) {
		char mname[VG_AUDIT_MEMBER_MAX];
		member_name(mname, cur, shrunk.v[i].id);
		rc = find(a, "receipt-monotone", VG_AUDIT_FAIL, mname, shrunk.v[i].seq, ref,
			  "a later receipt covers less of the member than an earlier one did "
			  "(sequence %llu)",
			  (unsigned long long)shrunk.v[i].seq);
	}
	relem_unique(&els);
	for (size_t i = 0; i < els.n && rc == 0; i++) {
		const struct relem *mk = &els.v[i];
		char mname[VG_AUDIT_MEMBER_MAX];

		member_name(mname, cur, mk->id);
		if (!receipted_present(a, all, mk->id, mk->seq, mk->entry) &&
		    (rc = find(a, "receipt-entry", VG_AUDIT_FAIL, mname, mk->seq, ref,
			       "a receipt names an entry the member's branch does not hold "
			       "valid: a forgery, or the host withholds it")) < 0)
			break;
		/* The first version after the receipt's that revokes the member. */
		for (uint64_t v = mk->roster + 1; v <= cur->version; v++) {
			const struct vg_roster *rv = vg_roster_set_get(a->set, v);
			const struct vg_roster_member *m =
			    rv != NULL ? vg_roster_find(rv, mk->id) : NULL;
			if (m == NULL || !m->revoked)
				continue;
			if (mk->seq > m->cutoff_seq)
				rc = find(a, "receipt-cutoff", VG_AUDIT_FAIL, mname, mk->seq, ref,
					  "roster version %llu revokes the member with cutoff "
					  "%llu, below what a receipt of version %llu covered",
					  (unsigned long long)v, (unsigned long long)m->cutoff_seq,
					  (unsigned long long)mk->roster);
			break;
		}
	}
done:
	git_revwalk_free(walk);
	vg_receipt_release(&r);
	vg_receipt_release(&p);
	free(els.v);
	free(shrunk.v);
	return rc;
}

static const struct state_line *old_receipts(const struct audit *a, const uint8_t c[VG_ID_BYTES])
{
	for (size_t j = 0; j < a->old.nr; j++)
		if (memcmp(a->old.receipts[j].author, c, VG_ID_BYTES) == 0)
			return &a->old.receipts[j];
	return NULL;
}

static int receipts_pass(struct audit *a, const struct recs *all)
{
	const struct vg_roster *cur = vg_roster_set_current(a->set);
	git_reference_iterator *it = NULL;
	git_reference *ref;
	int rc = 0, e;

	if (cur == NULL)
		return 0;
	if (git_reference_iterator_glob_new(&it, a->git, VG_RECEIPT_REF_PREFIX "*") < 0)
		return vg_repo__fail(VG_EIO, "cannot list the repository's receipts branches");
	while (rc == 0 && (e = git_reference_next(&ref, it)) == 0) {
		const char *name = git_reference_name(ref);
		const char *hex = name + strlen(VG_RECEIPT_REF_PREFIX);
		const struct state_line *old;
		uint8_t c[VG_ID_BYTES];
		char cname[VG_AUDIT_MEMBER_MAX];
		git_oid oid;

		if (strlen(hex) != VG_ID_HEX_LEN ||
		    strspn(hex, "0123456789abcdef") != VG_ID_HEX_LEN ||
		    vg_hex_decode(c, VG_ID_BYTES, hex, VG_ID_HEX_LEN) < 0) {
			rc = find(a, "foreign", VG_AUDIT_FAIL, "-", 0, name,
				  "a branch name outside the layout");
		} else if (git_reference_name_to_id(&oid, a->git, name) < 0) {
			member_name(cname, cur, c);
			rc = find(a, "receipt", VG_AUDIT_FAIL, cname, 0, name,
				  "a receipts branch that names no commit");
		} else {
			struct rhead *h;
			if (a->nrh == a->caprh) {
				size_t ncap = a->caprh ? a->caprh * 2 : 16;
				void *nv = realloc(a->rh, ncap * sizeof(*a->rh));
				if (nv == NULL) {
					rc = vg_error_set(VG_ENOMEM, "out of memory");
					git_reference_free(ref);
					break;
				}
				a->rh = nv;
				a->caprh = ncap;
			}
			h = &a->rh[a->nrh++];
			memcpy(h->author, c, VG_ID_BYTES);
			h->head = oid;
			h->rollback = false;
			/* 17.6 step 1: the head descends from the one the last audit verified. */
			if ((old = old_receipts(a, c)) != NULL &&
			    !descends(a, &oid, &old->commit)) {
				h->rollback = true;
				member_name(cname, cur, c);
				rc = find(a, "rollback", VG_AUDIT_FAIL, cname, 0, name,
					  "the receipts branch moved backwards or was rewritten "
					  "since the last audit");
			}
			if (rc == 0)
				rc = receipt_branch(a, all, name, c, &oid);
		}
		git_reference_free(ref);
	}
	if (rc == 0 && e != GIT_ITEROVER)
		rc = vg_repo__fail(VG_EIO, "cannot list the repository's receipts branches");
	git_reference_iterator_free(it);
	/* Receipts branches the last audit verified that are gone (or name no commit). */
	for (size_t j = 0; j < a->old.nr && rc == 0; j++) {
		bool seen = false;
		char cname[VG_AUDIT_MEMBER_MAX], hex[VG_ID_HEX_LEN + 1],
		    name[sizeof(VG_RECEIPT_REF_PREFIX) + VG_ID_HEX_LEN];
		for (size_t i = 0; i < a->nrh && !seen; i++)
			seen = memcmp(a->rh[i].author, a->old.receipts[j].author, VG_ID_BYTES) == 0;
		if (seen)
			continue;
		member_name(cname, cur, a->old.receipts[j].author);
		vg_hex_encode(hex, a->old.receipts[j].author, VG_ID_BYTES);
		snprintf(name, sizeof(name), VG_RECEIPT_REF_PREFIX "%s", hex);
		rc = find(a, "rollback", VG_AUDIT_FAIL, cname, 0, name,
			  "the receipts branch the last audit verified is gone");
	}
	return rc;
}

static int feeds_pass(struct audit *a)
{
	const struct vg_roster *cur = vg_roster_set_current(a->set);
	struct recs all = {NULL, 0, 0};
	const struct rec **byage = NULL;
	struct vg_audit_report *rep = a->rep;
	size_t nm = 0, nsorted;
	bool *fed = NULL;
	int rc = 0;

	/* Every member of the newest version, and every branch. */
	rep->members =
	    calloc((cur != NULL ? cur->nmembers : 0) + a->nbr + 1, sizeof(*rep->members));
	if (rep->members == NULL)
		return vg_error_set(VG_ENOMEM, "out of memory");
	for (size_t i = 0; cur != NULL && i < cur->nmembers; i++) {
		struct vg_audit_member *s = &rep->members[nm++];
		const struct vg_roster_member *m = &cur->members[i];
		memcpy(s->id, m->id, VG_ID_BYTES);
		snprintf(s->name, sizeof(s->name), "%s", m->pseudonym);
		s->role = m->revoked ? "revoked" : vg_role_name(m->role);
	}
	nsorted = nm;
	rep->nmembers = nm;
	for (size_t i = 0; i < a->nbr; i++) {
		struct vg_audit_member *s = summary(rep, nsorted, a->br[i].author);
		if (s == NULL) {
			s = &rep->members[nm++];
			memcpy(s->id, a->br[i].author, VG_ID_BYTES);
			snprintf(s->name, sizeof(s->name), "%s", a->br[i].name);
			s->role = "none";
			rep->nmembers = nm;
		}
		s->branch = true;
		s->entries = a->br[i].entries;
	}
	if ((fed = calloc(a->nbr + 1, sizeof(*fed))) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "out of memory");
		goto done;
	}
	/* The threads' records, as one list sorted by branch, sequence, id. */
	for (unsigned t = 0; t < a->nthreads; t++)
		for (size_t k = 0; k < a->wrecs[t].n && rc == 0; k++)
			rc = recs_push(&all, &a->wrecs[t].v[k]);
	for (unsigned t = 0; t < a->nthreads; t++) {
		free(a->wrecs[t].v);
		a->wrecs[t].v = NULL;
		a->wrecs[t].n = a->wrecs[t].cap = 0;
	}
	if (rc < 0)
		goto done;
	rep->verified = all.n;
	if (all.n > 0)
		qsort(all.v, all.n, sizeof(*all.v), cmp_rec);
	for (size_t i = 0; i < all.n && rc == 0;) {
		size_t j = i;
		struct branch *b = &a->br[all.v[i].branch];
		struct vg_audit_member *s = summary(rep, nsorted, b->author);

		while (j < all.n && all.v[j].branch == all.v[i].branch)
			j++;
		fed[all.v[i].branch] = true;
		s->valid = j - i;
		s->head = all.v[j - 1].seq;
		rc = feed(a, b, all.v + i, j - i, s);
		i = j;
	}
	/* Branches of members with no valid entry still have their gaps (a revoked member's
	 * cutoff names entries that must be there). */
	for (size_t i = 0; i < a->nbr && rc == 0; i++) {
		if (!fed[i] && a->br[i].m != NULL) {
			struct vg_audit_member dummy;
			memset(&dummy, 0, sizeof(dummy));
			rc = feed(a, &a->br[i], NULL, 0, &dummy);
		}
	}
	if (rc < 0)
		goto done;
	/* One .age file in more than one entry (FORMAT.md 18.2, same-age). */
	if (all.n > 1) {
		if ((byage = malloc(all.n * sizeof(*byage))) == NULL) {
			rc = vg_error_set(VG_ENOMEM, "out of memory");
			goto done;
		}
		for (size_t i = 0; i < all.n; i++)
			byage[i] = &all.v[i];
		qsort(byage, all.n, sizeof(*byage), cmp_age);
		for (size_t i = 0; i < all.n && rc == 0;) {
			size_t j = i + 1;
			while (j < all.n && memcmp(byage[j]->age_key, byage[i]->age_key,
						   sizeof(byage[i]->age_key)) == 0)
				j++;
			for (size_t k = i; j - i > 1 && k < j && rc == 0; k++) {
				char path[VG_AUDIT_PATH_MAX];
				entry_path(path, sizeof(path), byage[k]->id);
				rc = find(a, "same-age", VG_AUDIT_FAIL,
					  a->br[byage[k]->branch].name, byage[k]->seq, path,
					  "the same .age file is signed in %zu entries", j - i);
			}
			i = j;
		}
	}
	if (rc == 0)
		rc = receipts_pass(a, &all);
done:
	free(fed);
	free(byage);
	free(all.v);
	return rc;
}

/* ---- the whole audit ---- */

static unsigned online_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > VG_AUDIT_THREADS_MAX ? VG_AUDIT_THREADS_MAX : (unsigned)n;
}

int vg_audit_run(struct vg_audit_report **out, const struct vg_audit_options *o)
{
	struct audit a;
	struct vg_audit_report *rep;
	uint64_t start = now_ms();
	const char *path;
	int rc;

	*out = NULL;
	memset(&a, 0, sizeof(a));
	if ((rep = calloc(1, sizeof(*rep))) == NULL)
		return vg_error_set(VG_ENOMEM, "out of memory");
	a.o = o;
	a.rep = rep;
	a.now = o->now ? o->now : time(NULL);
	a.nthreads = o->threads ? o->threads : online_cores();
	if (a.nthreads > VG_AUDIT_THREADS_MAX)
		a.nthreads = VG_AUDIT_THREADS_MAX;
	rep->threads = a.nthreads;
	a.qcap = o->queue > 0 && o->queue < VG_AUDIT_QUEUE ? o->queue : VG_AUDIT_QUEUE;
	pthread_mutex_init(&a.fmu, NULL);
	pthread_mutex_init(&a.qmu, NULL);
	pthread_cond_init(&a.qcan_get, NULL);
	if ((a.wrecs = calloc(a.nthreads, sizeof(*a.wrecs))) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "out of memory");
		goto done;
	}
	/*
	 * Packs are read through mapped windows, which count as resident memory while mapped:
	 * libgit2 keeps up to 8 GiB mapped by default, so an audit reading a whole repository
	 * once would hold all of it. A smaller budget bounds the audit's memory (process-wide;
	 * other users of this process only remap more often). Windows of 1 MiB: the walk reads
	 * entries in id order, which is no pack's order, and a window evicted costs what was
	 * mapped of it (100,000 entries in 100 packs: 25.7 s with 1 MiB windows, 30.1 s with
	 * 16 MiB; one pack 19-20 s against 22 s).
	 */
	if (git_libgit2_opts(GIT_OPT_SET_MWINDOW_SIZE, (size_t)(1024 * 1024)) < 0 ||
	    git_libgit2_opts(GIT_OPT_SET_MWINDOW_MAPPED_LIMIT, (size_t)(32 * 1024 * 1024)) < 0 ||
	    /*
	     * No object cache: the walk reads every tree once (a directory queued for a
	     * thread twice), so caching them cost time and memory for nothing (20,000
	     * entries: 65 MiB peak with a 16 MiB cache, 47 MiB without; libsodium's share
	     * of a one-thread audit 83.8 % with it, 86.2 % without).
	     */
	    git_libgit2_opts(GIT_OPT_ENABLE_CACHING, 0) < 0) {
		rc = vg_error_set(VG_ERROR, "cannot set up libgit2");
		goto done;
	}
	if ((rc = vg_sync_remote_check(o->remote)) < 0)
		goto done;
	if (vg_remote_kind(o->remote) != VG_REMOTE_PATH) {
		rc = vg_error_set(VG_EUNSUPPORTED,
				  "an audit reads a repository on this machine: clone the remote "
				  "(git clone --mirror URL) and audit the clone");
		goto done;
	}
	path = strncmp(o->remote, "file://", 7) == 0 ? o->remote + 7 : o->remote;
	a.path = path;
	if ((rc = vg_repo_open(&a.repo, path, 0)) < 0)
		goto done;
	a.git = vg_repo__git(a.repo);
	if ((rc = vg_roster_set_new(&a.set, o->org)) < 0)
		goto done;
	if (o->state != NULL && (rc = state_read(&a)) < 0)
		goto done;
	if (!rep->state_read &&
	    (rc = find(&a, "no-state", VG_AUDIT_INFO, "-", 0, "-",
		       o->state == NULL
			   ? "no state file: a rollback since an earlier audit cannot be detected"
			   : "no earlier state: a rollback cannot be detected this time; the "
			     "next audit with this state file will")) < 0)
		goto done;
	if ((rc = roster_pass(&a)) < 0 || (rc = list_branches(&a)) < 0 ||
	    (rc = branches_pass(&a)) < 0 || (rc = feeds_pass(&a)) < 0)
		goto done;
	if (rep->nmembers > 1)
		qsort(rep->members, rep->nmembers, sizeof(*rep->members), cmp_name);
	for (size_t i = 0; i < rep->nfindings; i++) {
		struct vg_audit_member key, *m;
		if (rep->findings[i].severity != VG_AUDIT_FAIL || rep->nmembers == 0)
			continue;
		snprintf(key.name, sizeof(key.name), "%s", rep->findings[i].member);
		m = bsearch(&key, rep->members, rep->nmembers, sizeof(key), cmp_name);
		if (m != NULL)
			m->failures++;
	}
	if (rep->nfindings > 1)
		qsort(rep->findings, rep->nfindings, sizeof(*rep->findings), cmp_finding);
	if (o->state != NULL && (rc = state_write(&a)) < 0)
		goto done;
	rc = 0;
done:
	rep->seconds = (double)(now_ms() - start) / 1000.0;
	for (unsigned t = 0; a.wrecs != NULL && t < a.nthreads; t++)
		free(a.wrecs[t].v);
	free(a.wrecs);
	free(a.br);
	free(a.rh);
	free(a.old.members);
	free(a.old.receipts);
	vg_roster_set_free(a.set);
	git_odb_free(a.odb);
	vg_repo_free(a.repo);
	pthread_mutex_destroy(&a.fmu);
	pthread_mutex_destroy(&a.qmu);
	pthread_cond_destroy(&a.qcan_get);
	if (rc < 0) {
		vg_audit_report_free(rep);
		return rc;
	}
	*out = rep;
	return 0;
}

void vg_audit_report_free(struct vg_audit_report *r)
{
	if (r == NULL)
		return;
	free(r->findings);
	free(r->members);
	free(r);
}
