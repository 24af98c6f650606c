/*
 * Sync through a git repository (vigil/sync.h; FORMAT.md 10, 15, 16). One pass:
 *
 *   1. commit the device's own new entries to its branch in the local repository (works
 *      offline: they wait there);
 *   2. connect, list the remote's references, download what this member needs with
 *      explicit refspecs without '+', under caps on objects, bytes and time;
 *   3. roster branch: it must descend from the head verified last; versions newer than the
 *      device's are verified with the roster set and kept in the roster directory;
 *   4. every member branch: it must descend from its verified head; what it added since is
 *      walked (layout, sizes), each entry verified and judged by the acceptance rules, all
 *      in one store transaction per branch, so a branch with anything refused imports
 *      nothing and raises an alarm;
 *   5. own branch: pushed as a fast-forward; a remote branch this device's history does not
 *      contain means another copy of its key: a blocking alarm;
 *   6. coordinators push roster versions the remote lacks; a rejected push is resolved by
 *      fetching and verifying the remote's, then retried as a fast-forward.
 *
 * The verified heads live in the store, not in references: the refs under
 * refs/vigil/remote/ only record what the remote showed last (for the next negotiation).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <git2.h>
#include <sodium.h>

#include "repo_git.h"
#include "sync_receipt.h"
#include "sync_state.h"
#include "vigil/error.h"
#include "vigil/fs.h"
#include "vigil/home.h"
#include "vigil/minisign.h"
#include "vigil/net.h"
#include "vigil/receipt.h"
#include "vigil/repo.h"
#include "vigil/sync.h"

#define MEMBERS_PREFIX	"refs/heads/members/"
#define HEADS_MAX	100000 /* references a remote may advertise */
#define APPEND_BATCH	1000   /* own entries per commit */
#define KEY_COMMITTED	"committed_seq"
#define KEY_COMMIT_OID	"committed_oid"
#define KEY_PUSHED	"pushed_seq"
#define KEY_ROSTER_SEEN "roster_remote_version"
#define KEY_LAST_SYNC	"last_sync"
#define KEY_PUSHING	"pushing" /* the reference a push was moving, "" when none */
#define ORG_FILE	"org.pub"
#define ROSTER_FILE	"roster.json"
#define ROSTER_SIG_FILE "roster.json.minisig"
#define ORG_PUB_MAX	4096

struct head {
	char name[VG_REPO_BRANCH_MAX];
	git_oid oid;
};

struct sync {
	const struct vg_sync_options *o;
	struct vg_sync_report *rep;
	struct vg_store *store;
	struct vg_repo *repo;
	git_repository *git;
	struct vg_roster_set *set;
	enum vg_role role;
	char self_ref[VG_REPO_BRANCH_MAX];
	char self_hex[VG_ID_HEX_LEN + 1];
	const char *url;
	uint64_t start_ms, deadline_ms, max_objects, max_bytes;
	time_t now;
	char stop[256]; /* why a callback stopped libgit2 */
	struct head *heads;
	size_t nheads;
	bool roster_bad;	/* the roster branch is not to be built on */
	uint64_t roster_remote; /* newest version on the remote's roster branch */
	bool push_rejected;	/* set by the push callback */
	char push_status[256];	/* the remote's reason */
	uint64_t counted_ms;	/* when the count callback was called last */
	enum vg_remote_kind kind;
	const struct vg_sync_net *netopt; /* for ssh and https */
	struct vg_net *net;		  /* the helper, once started */
	size_t heads_cap;
	bool fetch_roster_only;
	const char *repo_path;
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void say(struct sync *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct sync *s, const char *fmt, ...)
{
	char msg[300];
	va_list ap;

	if (s->o->progress == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->o->progress(s->o->ctx, msg);
}

/* A counted step, at most every 100 ms, and always its end. */
static void count(struct sync *s, const char *what, uint64_t done, uint64_t total)
{
	uint64_t t;

	if (s->o->count == NULL || total == 0)
		return;
	t = now_ms();
	if (done < total && t < s->counted_ms + 100)
		return;
	s->counted_ms = t;
	s->o->count(s->o->ctx, what, done, total);
}

static int alarm(struct sync *s, const char *kind, const char *subject, bool blocking,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int alarm(struct sync *s, const char *kind, const char *subject, bool blocking,
		 const char *fmt, ...)
{
	char msg[VG_SYNC_ALARM_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	s->rep->alarms++;
	say(s, "ALARM: %s", msg);
	return vg_sync_alarm_raise(s->store, kind, subject, blocking, "%s", msg);
}

static int out_of_time(struct sync *s)
{
	if (now_ms() <= s->deadline_ms)
		return 0;
	return vg_error_set(VG_ELIMIT, "sync stopped: its time budget of %llu s ran out",
			    (unsigned long long)((s->deadline_ms - s->start_ms) / 1000));
}

static void oid_hex(char out[GIT_OID_HEXSZ + 1], const git_oid *oid)
{
	git_oid_tostr(out, GIT_OID_HEXSZ + 1, oid);
}

/* ---- remotes ---- */

int vg_sync_remote_check(const char *url)
{
	size_t n = strlen(url);
	int rc;

	if (n < 1 || n > VG_SYNC_REMOTE_MAX)
		return vg_error_set(VG_EINVAL, "a remote is 1 to %d characters",
				    VG_SYNC_REMOTE_MAX);
	for (size_t i = 0; i < n; i++)
		if (url[i] < 0x21 || url[i] > 0x7e)
			return vg_error_set(VG_EINVAL,
					    "a remote is printable ASCII without spaces here");
	if (url[0] == '/' || strncmp(url, "file:///", 8) == 0)
		return 0;
	if (strstr(url, "://") != NULL)
		return (rc = vg_net__url_check(url)) < 0 ? rc : 0;
	if (strchr(url, ':') != NULL)
		return vg_error_set(
		    VG_EUNSUPPORTED,
		    "remote '%s': write ssh://[user@]host[:port]/path (the scp-like "
		    "host:path form is not taken)",
		    url);
	return vg_error_set(
	    VG_EINVAL, "remote '%s' must be an absolute path, a file://, ssh:// or https:// URL",
	    url);
}

/* The directory a path remote names. */
static const char *remote_path(const char *url)
{
	return strncmp(url, "file://", 7) == 0 ? url + 7 : url;
}

static int on_transfer(const git_indexer_progress *st, void *payload)
{
	struct sync *s = payload;

	if (st->total_objects > s->max_objects) {
		snprintf(s->stop, sizeof(s->stop),
			 "the remote sends %u objects, more than the cap of %llu",
			 st->total_objects, (unsigned long long)s->max_objects);
		return -1;
	}
	if (st->received_bytes > s->max_bytes) {
		snprintf(s->stop, sizeof(s->stop),
			 "the remote sends more than the cap of %llu bytes",
			 (unsigned long long)s->max_bytes);
		return -1;
	}
	if (now_ms() > s->deadline_ms) {
		snprintf(s->stop, sizeof(s->stop), "the time budget ran out while fetching");
		return -1;
	}
	count(s, "receiving objects", st->received_objects, st->total_objects);
	return 0;
}

/*
 * An anonymous remote (nothing written to any configuration) whose URL no url.*.insteadOf
 * rewrites: the URL is the vault's, byte for byte. (Rewriting also leaks libgit2 1.5's
 * regex match data on every call.)
 */
static int remote_new(git_remote **out, struct sync *s)
{
	git_remote_create_options opts;

	if (git_remote_create_options_init(&opts, GIT_REMOTE_CREATE_OPTIONS_VERSION) < 0)
		return vg_repo__fail(VG_ERROR, "cannot set up a remote");
	opts.repository = s->git;
	opts.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(out, s->url, &opts) < 0)
		return vg_repo__fail(VG_EINVAL, "cannot use the remote");
	return 0;
}

static bool remote_exists(const char *url)
{
	struct stat st;

	return stat(remote_path(url), &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_member_ref(const char *name)
{
	return strncmp(name, MEMBERS_PREFIX, strlen(MEMBERS_PREFIX)) == 0;
}

static int is_receipts_ref(const char *name)
{
	return strncmp(name, VG_RECEIPT_REF_PREFIX, strlen(VG_RECEIPT_REF_PREFIX)) == 0;
}

/* The tracking reference of a remote branch: refs/heads/X -> refs/vigil/remote/X. */
static int tracking_name(char *out, size_t outsz, const char *name)
{
	int n = snprintf(out, outsz, VG_SYNC_TRACKING_PREFIX "%s", name + strlen("refs/heads/"));

	return n < 0 || (size_t)n >= outsz ? vg_error_set(VG_EFORMAT, "reference name too long")
					   : 0;
}

/* Whether this member keeps the advertised head name (roster_only: the roster alone). */
static bool wanted(struct sync *s, const char *name, bool roster_only)
{
	bool want = strcmp(name, VG_SYNC_ROSTER_REF) == 0;

	if (!roster_only && is_member_ref(name))
		want = s->role != VG_ROLE_MONITOR || strcmp(name, s->self_ref) == 0;
	if (!roster_only && is_receipts_ref(name)) /* everyone reads receipts */
		want = true;
	return want && strlen(name) < VG_REPO_BRANCH_MAX;
}

/* The refspecs of a fetch (explicit, without '+'): into specs, their count returned. */
static size_t fetch_specs(struct sync *s, char **specs, char *spec_self, size_t selfsz,
			  bool roster_only)
{
	size_t n = 0;

	specs[n++] = VG_SYNC_ROSTER_REF ":" VG_SYNC_TRACKING_PREFIX "roster";
	if (!roster_only) {
		if (s->role == VG_ROLE_MONITOR)
			snprintf(spec_self, selfsz, "%s:" VG_SYNC_TRACKING_PREFIX "%s", s->self_ref,
				 s->self_ref + strlen("refs/heads/"));
		else
			snprintf(spec_self, selfsz,
				 MEMBERS_PREFIX "*:" VG_SYNC_TRACKING_PREFIX "members/*");
		specs[n++] = spec_self;
		specs[n++] = VG_RECEIPT_REF_PREFIX "*:" VG_SYNC_TRACKING_PREFIX "receipts/*";
	}
	return n;
}

static int heads_add(struct sync *s, const char *name, const uint8_t oid[20])
{
	if (s->nheads == s->heads_cap) {
		size_t nc = s->heads_cap ? 2 * s->heads_cap : 64;
		struct head *p = realloc(s->heads, nc * sizeof(*p));
		if (p == NULL)
			return vg_error_set(VG_ENOMEM, "out of memory");
		s->heads = p;
		s->heads_cap = nc;
	}
	memset(&s->heads[s->nheads], 0, sizeof(s->heads[0]));
	snprintf(s->heads[s->nheads].name, VG_REPO_BRANCH_MAX, "%s", name);
	git_oid_fromraw(&s->heads[s->nheads].oid, oid);
	s->nheads++;
	return 0;
}

static int on_net_head(void *ctx, const char *name, const uint8_t oid[20])
{
	struct sync *s = ctx;

	if (!wanted(s, name, s->fetch_roster_only))
		return 0;
	for (size_t i = 0; i < s->nheads; i++)
		if (strcmp(s->heads[i].name, name) == 0)
			return vg_error_set(VG_EFORMAT, "the remote advertises %s twice", name);
	return heads_add(s, name, oid);
}

static void on_net_progress(void *ctx, uint64_t received, uint64_t total)
{
	count(ctx, "receiving objects", received, total);
}

/* The helper of this sync: the waiting one the caller gave, or a new one; set up once. */
static int net_open(struct sync *s)
{
	struct vg_net_params p;
	int rc;

	if (s->net != NULL)
		return 0;
	if (s->netopt == NULL)
		return vg_error_set(VG_EINVAL, "a network remote needs its pin and credential");
	if (s->netopt->helper != NULL)
		s->net = s->netopt->helper;
	else if ((rc = vg_net_spawn(&s->net, s->netopt->program)) < 0)
		return rc;
	/* A waiting helper that died meanwhile (killed, the machine short of memory) is
	 * replaced once. */
	if (!vg_net_alive(s->net)) {
		vg_net_free(s->net);
		s->net = NULL;
		if ((rc = vg_net_spawn(&s->net, s->netopt->program)) < 0)
			return rc;
	}
	memset(&p, 0, sizeof(p));
	p.url = s->url;
	p.pin = s->netopt->pin;
	p.cred = s->netopt->cred;
	p.cred_len = s->netopt->cred_len;
	p.proxy = s->netopt->proxy;
	p.wake_fds = s->netopt->wake_fds;
	p.nwake = s->netopt->nwake;
	p.wake = s->netopt->wake;
	p.wake_ctx = s->netopt->wake_ctx;
	p.repo = s->repo_path;
	p.max_objects = s->max_objects;
	p.max_bytes = s->max_bytes;
	p.seconds = (unsigned)((s->deadline_ms - s->start_ms) / 1000);
	return vg_net_start(s->net, &p, s->deadline_ms);
}

/*
 * fetch() for ssh and https: the helper connects, lists and downloads into the local
 * repository; the heads it reports are filtered here as the path code does, and the
 * tracking references written here.
 */
static int fetch_net(struct sync *s, bool roster_only, struct head *kept, size_t nkept)
{
	char spec_self[2 * VG_REPO_BRANCH_MAX + 8];
	char *specs[3];
	size_t nspecs;
	int rc;

	s->heads_cap = 0;
	for (size_t i = 0; i < nkept; i++)
		if (strcmp(kept[i].name, VG_SYNC_ROSTER_REF) != 0 &&
		    (rc = heads_add(s, kept[i].name, kept[i].oid.id)) < 0)
			return rc;
	if ((rc = net_open(s)) < 0)
		return rc;
	nspecs = fetch_specs(s, specs, spec_self, sizeof(spec_self), roster_only);
	s->fetch_roster_only = roster_only;
	rc = vg_net_fetch(s->net, (const char *const *)specs, nspecs, on_net_head, on_net_progress,
			  s, s->deadline_ms);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < s->nheads; i++) {
		char track[VG_REPO_BRANCH_MAX + 32];
		git_reference *ref = NULL;

		if (tracking_name(track, sizeof(track), s->heads[i].name) == 0 &&
		    git_reference_create(&ref, s->git, track, &s->heads[i].oid, 1, "vigil fetch") ==
			0)
			git_reference_free(ref);
	}
	return 0;
}

/*
 * Connect, list the remote's references (kept in s->heads: the roster branch and member
 * branches only), download what this member needs, record what the remote showed under
 * refs/vigil/remote/. roster_only: the roster branch alone (join, a rejected roster push).
 */
static int fetch(struct sync *s, bool roster_only)
{
	git_remote *remote = NULL;
	git_remote_callbacks cb;
	git_fetch_options fo;
	const git_remote_head **ls = NULL;
	size_t nls = 0;
	char spec_self[2 * VG_REPO_BRANCH_MAX + 8];
	char *specs[3];
	git_strarray arr = {specs, 0};
	int rc;

	struct head *kept = s->heads;
	size_t nkept = s->nheads;

	/*
	 * A fetch of the roster alone (a rejected roster push being resolved) refreshes the
	 * roster's head only: the other heads, read at the start of the sync, stay what the
	 * later steps compare with (the receipts step pushes from them).
	 */
	s->heads = NULL;
	s->nheads = 0;
	if (!roster_only) {
		free(kept);
		kept = NULL;
		nkept = 0;
	}
	if (s->kind != VG_REMOTE_PATH) {
		rc = fetch_net(s, roster_only, kept, nkept);
		free(kept);
		return rc;
	}
	if (!remote_exists(s->url)) {
		free(kept);
		return vg_error_set(VG_ENOTFOUND,
				    "remote '%s' is not reachable (no repository there)", s->url);
	}
	if ((rc = remote_new(&remote, s)) < 0) {
		free(kept);
		return rc;
	}
	git_remote_init_callbacks(&cb, GIT_REMOTE_CALLBACKS_VERSION);
	cb.transfer_progress = on_transfer;
	cb.payload = s;
	if (git_remote_connect(remote, GIT_DIRECTION_FETCH, &cb, NULL, NULL) < 0) {
		rc = vg_repo__fail(VG_ENOTFOUND, "remote is not reachable");
		goto done;
	}
	if (git_remote_ls(&ls, &nls, remote) < 0) {
		rc = vg_repo__fail(VG_EIO, "cannot list the remote's references");
		goto done;
	}
	if (nls > HEADS_MAX) {
		rc = vg_error_set(VG_ELIMIT, "the remote advertises %zu references (at most %d)",
				  nls, HEADS_MAX);
		goto done;
	}
	if ((s->heads = calloc(nls + nkept + 1, sizeof(*s->heads))) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < nkept; i++)
		if (strcmp(kept[i].name, VG_SYNC_ROSTER_REF) != 0)
			s->heads[s->nheads++] = kept[i];
	for (size_t i = 0; i < nls; i++) {
		const char *name = ls[i]->name;

		if (!wanted(s, name, roster_only))
			continue;
		snprintf(s->heads[s->nheads].name, VG_REPO_BRANCH_MAX, "%s", name);
		git_oid_cpy(&s->heads[s->nheads].oid, &ls[i]->oid);
		s->nheads++;
	}
	/* Explicit refspecs without '+': what the remote says is checked, never followed. */
	arr.count = fetch_specs(s, specs, spec_self, sizeof(spec_self), roster_only);
	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	fo.callbacks = cb;
	fo.prune = GIT_FETCH_NO_PRUNE;
	fo.update_fetchhead = 0;
	fo.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_NONE;
	s->stop[0] = '\0';
	if (git_remote_download(remote, &arr, &fo) < 0) {
		rc = s->stop[0] != '\0' ? vg_error_set(VG_ELIMIT, "fetch stopped: %s", s->stop)
					: vg_repo__fail(VG_EIO, "cannot fetch");
		goto done;
	}
	/* What the remote showed, for the next negotiation (never trusted). */
	for (size_t i = 0; i < s->nheads; i++) {
		char track[VG_REPO_BRANCH_MAX + 32];
		git_reference *ref = NULL;

		if (tracking_name(track, sizeof(track), s->heads[i].name) == 0 &&
		    git_reference_create(&ref, s->git, track, &s->heads[i].oid, 1, "vigil fetch") ==
			0)
			git_reference_free(ref);
	}
	rc = 0;
done:
	free(kept);
	git_remote_disconnect(remote);
	git_remote_free(remote);
	return rc;
}

static const git_oid *remote_head(struct sync *s, const char *name)
{
	for (size_t i = 0; i < s->nheads; i++)
		if (strcmp(s->heads[i].name, name) == 0)
			return &s->heads[i].oid;
	return NULL;
}

/*
 * Push one reference (src:dst, never forced) to the path remote, from the head the remote
 * advertised at the last fetch: 0 pushed, 1 rejected (the remote's branch is not there any
 * more: another writer), < 0 error. Not git_remote_push: its local transport walks the
 * parent's whole tree and hands the remote's indexer the pack a few bytes at a time (a map
 * and unmap each): 3.7 s against stock git's 1.75 s for 10,000 entries (bench_sync).
 */
static int push(struct sync *s, const char *ref)
{
	const git_oid *old = remote_head(s, ref);
	char was[VG_REPO_BRANCH_MAX];
	bool removed;
	int rejected = 0, rc;

	s->push_rejected = false;
	s->push_status[0] = '\0';
	if (s->kind != VG_REMOTE_PATH) {
		bool rej;
		if ((rc = out_of_time(s)) < 0 || (rc = net_open(s)) < 0 ||
		    (rc = vg_net_push(s->net, ref, &rej, s->push_status, sizeof(s->push_status),
				      s->deadline_ms)) < 0)
			return rc;
		s->push_rejected = rej;
		return rej ? 1 : 0;
	}
	if ((rc = out_of_time(s)) < 0 ||
	    (rc = vg_sync_state_text(s->store, KEY_PUSHING, was, sizeof(was))) < 0)
		return rc;
	/*
	 * A push of ref this device began and never finished (killed, the power lost) may
	 * have left the remote's lock of ref behind, which refuses every later update of it.
	 * That lock is this device's: only it writes its own branch (a coordinator clears only
	 * a roster lock its own push left). The mark is durable before the push begins.
	 */
	if (strcmp(was, ref) == 0) {
		if ((rc = vg_repo__unlock_ref(remote_path(s->url), ref, &removed)) < 0)
			return rc;
		if (removed)
			say(s, "removed the lock an interrupted push left on the remote's %s", ref);
	}
	if ((rc = vg_sync_state_set_text(s->store, KEY_PUSHING, ref)) < 0)
		return rc;
	rc = vg_repo__push_path(s->repo, &rejected, remote_path(s->url), ref,
				old != NULL ? old->id : NULL);
	/* Returned, even with an error: libgit2 released whatever lock it had taken. */
	if (vg_sync_state_set_text(s->store, KEY_PUSHING, "") < 0 && rc == 0)
		rc = VG_EIO;
	if (rc < 0 || (rc = out_of_time(s)) < 0)
		return rc;
	if (rejected) {
		s->push_rejected = true;
		snprintf(s->push_status, sizeof(s->push_status), "%s: %s", ref,
			 rejected == 2 ? "another writer was updating the remote's branch"
				       : "the remote's branch moved since it was fetched");
		return 1;
	}
	return 0;
}

/* ---- reading trees ---- */

static int commit_tree(struct sync *s, git_tree **out, const git_oid *commit)
{
	git_commit *c = NULL;
	int rc;

	*out = NULL;
	if (git_commit_lookup(&c, s->git, commit) < 0)
		return vg_repo__fail(VG_EFORMAT, "not a commit");
	rc = git_commit_tree(out, c) < 0 ? vg_repo__fail(VG_EFORMAT, "a commit without a tree") : 0;
	git_commit_free(c);
	return rc;
}

/* The blob at path in tree into out (appended), at most max bytes (from its header). */
static int tree_file(struct vg_repo *repo, struct vg_buf *out, git_tree *tree, const char *path,
		     size_t max)
{
	git_tree_entry *te = NULL;
	git_blob *b = NULL;
	int rc;

	if (git_tree_entry_bypath(&te, tree, path) < 0)
		return vg_error_set(VG_ENOTFOUND, "'%s' is missing", path);
	if (git_tree_entry_filemode(te) != GIT_FILEMODE_BLOB) {
		git_tree_entry_free(te);
		return vg_error_set(VG_EFORMAT, "'%s' is not a regular file", path);
	}
	rc = vg_repo__read_blob(repo, &b, git_tree_entry_id(te), max, path);
	git_tree_entry_free(te);
	if (rc < 0)
		return rc;
	rc = vg_buf_put(out, git_blob_rawcontent(b), (size_t)git_blob_rawsize(b));
	git_blob_free(b);
	return rc;
}

/* A decimal version number 1 .. 2^53 - 1 without leading zeros; 0 otherwise. */
static uint64_t version_name(const char *p)
{
	uint64_t v = 0;

	if (p[0] < '1' || p[0] > '9')
		return 0;
	for (; *p != '\0'; p++) {
		if (*p < '0' || *p > '9' || v > VG_ENTRY_INT_MAX / 10)
			return 0;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	return v <= VG_ENTRY_INT_MAX ? v : 0;
}

/* A layout problem: reported and the walk goes on (bad given), or the error (bad NULL). */
static int layout_bad(vg_repo_bad_fn bad, void *ctx, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int layout_bad(vg_repo_bad_fn bad, void *ctx, const char *path, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (bad == NULL)
		return vg_error_set(VG_EFORMAT, "the roster branch's '%s' %s", path, why);
	return bad(ctx, path, why);
}

int vg_sync__roster_layout(git_tree *tree, git_repository *git, uint64_t *newest,
			   vg_repo_bad_fn bad, void *ctx)
{
	const git_tree_entry *te;
	git_tree *versions = NULL;
	size_t n = git_tree_entrycount(tree), nv, good = 0;
	uint64_t max = 0;
	int rc = 0;

	*newest = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		const char *name;
		te = git_tree_entry_byindex(tree, i);
		name = git_tree_entry_name(te);
		if (strcmp(name, "versions") == 0 && git_tree_entry_type(te) == GIT_OBJECT_TREE)
			continue;
		if ((strcmp(name, ROSTER_FILE) == 0 || strcmp(name, ROSTER_SIG_FILE) == 0 ||
		     strcmp(name, ORG_FILE) == 0) &&
		    git_tree_entry_filemode(te) == GIT_FILEMODE_BLOB)
			continue;
		rc = layout_bad(bad, ctx, name, "is not a file the layout allows");
	}
	if (rc != 0)
		return rc;
	te = git_tree_entry_byname(tree, "versions");
	if (te == NULL || git_tree_entry_type(te) != GIT_OBJECT_TREE)
		return layout_bad(bad, ctx, "versions", "is missing");
	if (git_tree_lookup(&versions, git, git_tree_entry_id(te)) < 0)
		return vg_repo__fail(VG_EFORMAT, "cannot read versions/");
	nv = git_tree_entrycount(versions);
	for (size_t i = 0; i < nv && rc == 0; i++) {
		const git_tree_entry *ve = git_tree_entry_byindex(versions, i);
		uint64_t v = version_name(git_tree_entry_name(ve));
		git_tree *vt = NULL;
		char path[128];

		snprintf(path, sizeof(path), "versions/%.100s", git_tree_entry_name(ve));
		if (v == 0 || git_tree_entry_type(ve) != GIT_OBJECT_TREE) {
			rc = layout_bad(bad, ctx, path, "is not a file the layout allows");
			continue;
		}
		if (git_tree_lookup(&vt, git, git_tree_entry_id(ve)) < 0) {
			rc = vg_repo__fail(VG_EFORMAT, "cannot read a roster version");
			break;
		}
		if (git_tree_entrycount(vt) != 2 ||
		    strcmp(git_tree_entry_name(git_tree_entry_byindex(vt, 0)), ROSTER_FILE) != 0 ||
		    strcmp(git_tree_entry_name(git_tree_entry_byindex(vt, 1)), ROSTER_SIG_FILE) !=
			0)
			rc = layout_bad(bad, ctx, path,
					"holds other files than roster.json and its signature");
		else
			good++;
		git_tree_free(vt);
		if (v > max)
			max = v;
	}
	/* Names are unique in a tree, so n distinct numbers up to max, and max == n: no gap. */
	if (rc == 0 && max != good)
		rc = layout_bad(bad, ctx, "versions", "has a gap: %zu versions, the highest %llu",
				good, (unsigned long long)max);
	git_tree_free(versions);
	if (rc == 0)
		*newest = max;
	return rc;
}

int vg_sync__roster_pair(struct vg_repo *repo, struct vg_buf *json, struct vg_buf *sig,
			 git_tree *tree, uint64_t v)
{
	char pj[64], ps[64];

	vg_buf_clear(json);
	vg_buf_clear(sig);
	if (v == 0) {
		snprintf(pj, sizeof(pj), ROSTER_FILE);
		snprintf(ps, sizeof(ps), ROSTER_SIG_FILE);
	} else {
		snprintf(pj, sizeof(pj), "versions/%llu/" ROSTER_FILE, (unsigned long long)v);
		snprintf(ps, sizeof(ps), "versions/%llu/" ROSTER_SIG_FILE, (unsigned long long)v);
	}
	int rc = tree_file(repo, json, tree, pj, VG_ROSTER_JSON_MAX);
	return rc < 0 ? rc : tree_file(repo, sig, tree, ps, VG_ROSTER_SIG_MAX);
}

/*
 * Verify the roster branch at commit into set: layout, every version from 1 (those held
 * must be byte-identical: vg_roster_set_add says fork otherwise), the top-level pair equal
 * to the newest. *newest gets the branch's newest version; changes sums what was added.
 */
static int roster_read(struct sync *s, struct vg_roster_set *set, uint64_t *newest,
		       const git_oid *commit, struct vg_roster_changes *changes)
{
	struct vg_buf json = VG_BUF_INIT, sig = VG_BUF_INIT, top = VG_BUF_INIT,
		      topsig = VG_BUF_INIT;
	git_tree *tree = NULL;
	int rc;

	memset(changes, 0, sizeof(*changes));
	if ((rc = commit_tree(s, &tree, commit)) < 0 ||
	    (rc = vg_sync__roster_layout(tree, s->git, newest, NULL, NULL)) < 0 ||
	    (rc = vg_sync__roster_pair(s->repo, &top, &topsig, tree, 0)) < 0)
		goto done;
	for (uint64_t v = 1; v <= *newest; v++) {
		struct vg_roster_changes c;

		if ((rc = vg_sync__roster_pair(s->repo, &json, &sig, tree, v)) < 0)
			goto done;
		rc = vg_roster_set_add(set, json.ptr, json.len, (const char *)sig.ptr, sig.len, &c);
		if (rc < 0) {
			vg_error_prefix(rc, "roster version %llu on the roster branch",
					(unsigned long long)v);
			goto done;
		}
		changes->coordinators_added += c.coordinators_added;
		changes->members_added += c.members_added;
		changes->revoked += c.revoked;
		changes->late_added += c.late_added;
	}
	if (top.len != json.len || memcmp(top.ptr, json.ptr, json.len) != 0 ||
	    topsig.len != sig.len || memcmp(topsig.ptr, sig.ptr, sig.len) != 0)
		rc = vg_error_set(VG_EMISMATCH,
				  "the roster branch's roster.json is not its newest version");
done:
	git_tree_free(tree);
	vg_buf_release(&json);
	vg_buf_release(&sig);
	vg_buf_release(&top);
	vg_buf_release(&topsig);
	return rc;
}

/* Write versions from .. to of the roster branch at commit into dir (those missing). */
static int roster_write(struct sync *s, const git_oid *commit, uint64_t from, uint64_t to,
			const char *dir, const struct vg_minisign_pk *org)
{
	struct vg_buf json = VG_BUF_INIT, sig = VG_BUF_INIT;
	git_tree *tree = NULL;
	int rc;

	if ((rc = commit_tree(s, &tree, commit)) < 0)
		return rc;
	for (uint64_t v = from; v <= to && rc == 0; v++) {
		if ((rc = vg_sync__roster_pair(s->repo, &json, &sig, tree, v)) < 0)
			break;
		rc = vg_roster_dir_write(dir, v, json.ptr, json.len, (const char *)sig.ptr, sig.len,
					 org);
		if (rc == VG_EEXISTS)
			rc = 0;
	}
	git_tree_free(tree);
	vg_buf_release(&json);
	vg_buf_release(&sig);
	return rc;
}

/* ---- the roster branch ---- */

static int roster_step(struct sync *s)
{
	const git_oid *r = remote_head(s, VG_SYNC_ROSTER_REF);
	const struct vg_roster *cur = vg_roster_set_current(s->set);
	struct vg_roster_changes ch;
	uint8_t v[20];
	bool found;
	int yes = 0, rc;
	uint64_t newest = 0, before = cur->version;
	int64_t seen;

	s->roster_bad = false;
	if ((rc = vg_sync_state_int(s->store, KEY_ROSTER_SEEN, &seen)) < 0)
		return rc;
	s->roster_remote = (uint64_t)seen;
	if (r == NULL) {
		s->roster_remote = 0;
		return 0;
	}
	if ((rc = vg_sync_head(s->store, &found, v, VG_SYNC_ROSTER_REF)) < 0)
		return rc;
	if (found && memcmp(v, r->id, 20) == 0)
		return 0;
	if (found && (vg_repo_descends(s->repo, &yes, r->id, v) < 0 || !yes)) {
		s->roster_bad = true;
		return alarm(s, "rollback", "roster", false,
			     "the remote's roster branch moved backwards or was rewritten: nothing "
			     "taken from it");
	}
	rc = roster_read(s, s->set, &newest, r, &ch);
	if (rc == VG_EFORK) {
		s->roster_bad = true;
		return alarm(s, "fork", "roster", false,
			     "two roster versions with one number (the organisation key signed two "
			     "histories): %s",
			     vg_error_last());
	}
	if (rc < 0 && rc != VG_ENOMEM && rc != VG_EIO) {
		s->roster_bad = true;
		return alarm(s, "roster", "roster", false, "roster branch refused: %s",
			     vg_error_last());
	}
	if (rc < 0)
		return rc;
	cur = vg_roster_set_current(s->set);
	if (cur->version > before) {
		if ((rc = roster_write(s, r, before + 1, cur->version, s->o->roster_dir,
				       vg_roster_set_org(s->set))) < 0)
			return vg_error_prefix(rc, "cannot keep the new roster versions");
		s->rep->roster_taken += (size_t)(cur->version - before);
		say(s, "roster: took versions %llu to %llu from the remote",
		    (unsigned long long)before + 1, (unsigned long long)cur->version);
		if (ch.coordinators_added > 0)
			alarm(
			    s, "coordinator", "roster", false,
			    "roster version %llu adds %zu coordinator(s): one more person can read "
			    "every later entry",
			    (unsigned long long)cur->version, ch.coordinators_added);
	}
	s->roster_remote = newest;
	if ((rc = vg_sync_head_set(s->store, VG_SYNC_ROSTER_REF, r->id)) < 0 ||
	    (rc = vg_sync_state_set_int(s->store, KEY_ROSTER_SEEN, (int64_t)newest)) < 0)
		return rc;
	return 0;
}

/* Read a file of the roster directory (bytes as signed). */
static int dir_file(struct vg_buf *out, const char *dir, uint64_t v, const char *file, size_t max)
{
	char p[PATH_MAX];
	int n = v == 0 ? snprintf(p, sizeof(p), "%s/%s", dir, file)
		       : snprintf(p, sizeof(p), "%s/versions/%llu/%s", dir, (unsigned long long)v,
				  file);

	if (n < 0 || (size_t)n >= sizeof(p))
		return vg_error_set(VG_EINVAL, "path too long under '%s'", dir);
	return vg_fs_read_file(out, p, max);
}

static int cmp_update(const void *a, const void *b)
{
	return strcmp(((const git_tree_update *)a)->path, ((const git_tree_update *)b)->path);
}

/*
 * A roster branch commit on top of base (NULL: a root commit) adding versions from .. to
 * from the roster directory, with the top-level pair set to version to and org.pub.
 */
static int roster_commit(struct sync *s, git_oid *out, const git_oid *base, uint64_t from,
			 uint64_t to)
{
	size_t n = (size_t)(to - from + 1) * 2 + 3, k = 0;
	git_tree_update *up = calloc(n, sizeof(*up));
	char(*paths)[64] = calloc(n, sizeof(*paths));
	struct vg_buf b = VG_BUF_INIT;
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_treebuilder *tb = NULL;
	git_oid tid, empty;
	int rc = 0;

	if (up == NULL || paths == NULL) {
		rc = vg_error_set(VG_ENOMEM, "out of memory");
		goto done;
	}
	if (base != NULL) {
		if (git_commit_lookup(&parent, s->git, base) < 0 ||
		    git_commit_tree(&tree, parent) < 0) {
			rc = vg_repo__fail(VG_EIO, "cannot read the roster branch");
			goto done;
		}
	} else if (git_treebuilder_new(&tb, s->git, NULL) < 0 ||
		   git_treebuilder_write(&empty, tb) < 0 ||
		   git_tree_lookup(&tree, s->git, &empty) < 0) {
		rc = vg_repo__fail(VG_EIO, "cannot make an empty tree");
		goto done;
	}
	for (uint64_t v = from; v <= to + 1; v++) {
		for (int f = 0; f < 2; f++) {
			const char *file = f ? ROSTER_SIG_FILE : ROSTER_FILE;
			uint64_t src = v <= to ? v : to;

			vg_buf_clear(&b);
			if ((rc = dir_file(&b, s->o->roster_dir, src, file,
					   f ? VG_ROSTER_SIG_MAX : VG_ROSTER_JSON_MAX)) < 0)
				goto done;
			if (v <= to)
				snprintf(paths[k], sizeof(paths[k]), "versions/%llu/%s",
					 (unsigned long long)v, file);
			else
				snprintf(paths[k], sizeof(paths[k]), "%s", file);
			if (git_blob_create_from_buffer(&up[k].id, s->git, b.ptr, b.len) < 0) {
				rc = vg_repo__fail(VG_EIO, "cannot write a roster file");
				goto done;
			}
			up[k].action = GIT_TREE_UPDATE_UPSERT;
			up[k].filemode = GIT_FILEMODE_BLOB;
			up[k].path = paths[k];
			k++;
		}
	}
	vg_buf_clear(&b);
	if ((rc = dir_file(&b, s->o->roster_dir, 0, ORG_FILE, ORG_PUB_MAX)) == 0) {
		snprintf(paths[k], sizeof(paths[k]), ORG_FILE);
		if (git_blob_create_from_buffer(&up[k].id, s->git, b.ptr, b.len) < 0) {
			rc = vg_repo__fail(VG_EIO, "cannot write org.pub");
			goto done;
		}
		up[k].action = GIT_TREE_UPDATE_UPSERT;
		up[k].filemode = GIT_FILEMODE_BLOB;
		up[k].path = paths[k];
		k++;
	} else if (rc != VG_ENOTFOUND) {
		goto done;
	}
	rc = 0;
	qsort(up, k, sizeof(*up), cmp_update);
	if (git_tree_create_updated(&tid, s->git, tree, k, up) < 0) {
		rc = vg_repo__fail(VG_EIO, "cannot write the roster commit");
		goto done;
	}
	rc = vg_repo__commit(s->git, out, &tid, parent != NULL ? git_commit_id(parent) : NULL);
done:
	git_treebuilder_free(tb);
	git_tree_free(tree);
	git_commit_free(parent);
	vg_buf_release(&b);
	free(up);
	free(paths);
	return rc;
}

/*
 * A coordinator pushes the versions the remote lacks. Rejected (another coordinator
 * pushed first): fetch and verify the remote's roster branch; a higher remote version wins,
 * an equal one with another hash is a fork alarm (roster_step), otherwise retry on top of
 * what is there now, as a fast-forward.
 */
static int roster_push(struct sync *s)
{
	for (int attempt = 0; attempt <= VG_SYNC_PUSH_RETRIES; attempt++) {
		const struct vg_roster *cur = vg_roster_set_current(s->set);
		const git_oid *base;
		git_reference *ref = NULL;
		git_oid commit;
		long ms;
		int rc;

		if (s->roster_bad || s->role != VG_ROLE_COORDINATOR ||
		    cur->version <= s->roster_remote)
			return 0;
		base = remote_head(s, VG_SYNC_ROSTER_REF);
		if ((rc = roster_commit(s, &commit, base, s->roster_remote + 1, cur->version)) < 0)
			return rc;
		if (git_reference_create(&ref, s->git, VG_SYNC_ROSTER_REF, &commit, 1,
					 "vigil roster") < 0)
			return vg_repo__fail(VG_EIO, "cannot update the roster branch");
		git_reference_free(ref);
		say(s, "roster: pushing versions %llu to %llu",
		    (unsigned long long)s->roster_remote + 1, (unsigned long long)cur->version);
		if ((rc = push(s, VG_SYNC_ROSTER_REF)) < 0)
			return rc;
		if (rc == 0) {
			s->rep->roster_pushed += (size_t)(cur->version - s->roster_remote);
			say(s, "roster: pushed versions %llu to %llu",
			    (unsigned long long)s->roster_remote + 1,
			    (unsigned long long)cur->version);
			s->roster_remote = cur->version;
			if ((rc = vg_sync_head_set(s->store, VG_SYNC_ROSTER_REF, commit.id)) < 0 ||
			    (rc = vg_sync_state_set_int(s->store, KEY_ROSTER_SEEN,
							(int64_t)cur->version)) < 0)
				return rc;
			return 0;
		}
		say(s, "roster: push rejected (%s): fetching the remote's", s->push_status);
		/* The other writer may still be at it: give it a moment, a random one, so
		 * that two coordinators retrying do not meet again. */
		ms = (50 + (long)randombytes_uniform(150)) * (attempt + 1); /* below 800 */
		nanosleep(&(struct timespec){0, ms * 1000000L}, NULL);
		if ((rc = fetch(s, true)) < 0 || (rc = roster_step(s)) < 0)
			return rc;
	}
	return alarm(s, "roster", "roster-push", false,
		     "the roster push was rejected %d times: try again later",
		     VG_SYNC_PUSH_RETRIES + 1);
}

/* ---- member branches ---- */

struct walk {
	struct sync *s;
	const uint8_t *author;
	size_t n;
	int bad; /* an entry that cannot even be read: its reason is in vg_error */
};

/* Every new file pair of a branch goes into the store as pending, unjudged (the branch's
 * transaction is rolled back if anything is refused). */
static int walk_entry(void *ctx, const uint8_t id[VG_ID_BYTES], const uint8_t *age, size_t agelen,
		      const char *sig, size_t siglen)
{
	struct walk *w = ctx;
	struct vg_minisig ms;
	struct vg_entry e;
	bool found;
	char hex[VG_ID_HEX_LEN + 1];
	int rc;

	if (++w->n > w->s->max_objects)
		return vg_error_set(VG_ELIMIT, "more new entries than the cap of %llu",
				    (unsigned long long)w->s->max_objects);
	vg_hex_encode(hex, id, VG_ID_BYTES);
	vg_entry_init(&e);
	memcpy(e.id, id, VG_ID_BYTES);
	if (vg_minisign_sig_parse(&ms, sig, siglen) < 0 ||
	    vg_entry_tc_parse(&e.meta, ms.trusted, strlen(ms.trusted)) < 0) {
		rc = vg_error_set(VG_EFORMAT, "entry %s: %s", hex, vg_error_last());
		goto done;
	}
	if (memcmp(e.meta.author, w->author, VG_ID_BYTES) != 0) {
		rc = vg_error_set(VG_EMISMATCH, "entry %s is signed as another member's", hex);
		goto done;
	}
	if ((rc = vg_sync__has_entry(w->s->store, &found, id)) < 0 || found)
		goto done;
	if ((rc = vg_buf_put(&e.age, age, agelen)) < 0 ||
	    (rc = vg_buf_put(&e.sig, sig, siglen)) < 0)
		goto done;
	rc = vg_store_put_entry(w->s->store, &e, VG_STATE_PENDING, "not judged yet");
	if (rc == 0)
		w->s->rep->fetched++;
done:
	vg_entry_release(&e);
	return rc;
}

/*
 * Judge author's pending entries in sequence order, again while something changes (a
 * revoked author's chain is placed from its cutoff downwards). strict: stop at the first
 * refusal (VG_EFORK for a fork, VG_EBADSIG otherwise) with the reason in vg_error;
 * otherwise drop refused entries and raise an alarm.
 */
static int judge(struct sync *s, const uint8_t author[VG_ID_BYTES], bool strict)
{
	uint8_t(*ids)[VG_ID_BYTES] = NULL;
	size_t n = 0;
	bool changed = true;
	struct vg_entry e;
	char hex[VG_ID_HEX_LEN + 1];
	int rc = 0;

	vg_entry_init(&e);
	vg_hex_encode(hex, author, VG_ID_BYTES);
	while (changed && rc == 0) {
		changed = false;
		free(ids);
		ids = NULL;
		if ((rc = vg_sync__ids(s->store, &ids, &n, author, VG_STATE_PENDING, 0)) < 0)
			break;
		for (size_t i = 0; i < n && rc == 0; i++) {
			uint8_t prev[VG_ID_BYTES], same[VG_ID_BYTES], next_prev[VG_ID_BYTES];
			struct vg_roster_feed f = {NULL, NULL, NULL};
			struct vg_roster_verdict vd;
			bool fp, fs, fn;

			if ((rc = vg_store_get_entry(s->store, &e, NULL, ids[i])) < 0)
				break;
			if ((rc = vg_sync__entry_at(s->store, &fp, prev, NULL, author,
						    e.meta.seq - 1)) < 0 ||
			    (rc = vg_sync__entry_at(s->store, &fs, same, NULL, author,
						    e.meta.seq)) < 0 ||
			    (rc = vg_sync__entry_at(s->store, &fn, NULL, next_prev, author,
						    e.meta.seq + 1)) < 0)
				break;
			f.prev = fp ? prev : NULL;
			f.same = fs ? same : NULL;
			f.next_prev = fn ? next_prev : NULL;
			if ((rc = vg_roster_set_accept(&vd, s->set, e.age.ptr, e.age.len,
						       (const char *)e.sig.ptr, e.sig.len, ids[i],
						       &f, s->now)) < 0)
				break;
			switch (vd.verdict) {
			case VG_VERDICT_ACCEPTED:
				rc = vg_sync__set_state(s->store, ids[i], VG_STATE_ACCEPTED, NULL);
				s->rep->accepted++;
				changed = true;
				break;
			case VG_VERDICT_PENDING:
				rc = vg_sync__set_state(s->store, ids[i], VG_STATE_PENDING,
							vd.reason);
				break;
			case VG_VERDICT_QUARANTINED:
				rc = vg_sync__set_state(s->store, ids[i], VG_STATE_QUARANTINED,
							vd.reason);
				s->rep->quarantined++;
				changed = true;
				break;
			default: {
				char eh[VG_ID_HEX_LEN + 1];
				vg_hex_encode(eh, ids[i], VG_ID_BYTES);
				s->rep->refused++;
				if (strict) {
					rc =
					    vg_error_set(vd.fork ? VG_EFORK : VG_EBADSIG,
							 "entry %s (sequence %llu) refused: %s", eh,
							 (unsigned long long)e.meta.seq, vd.reason);
					break;
				}
				rc = vg_sync__drop(s->store, ids[i]);
				if (rc == 0)
					rc = alarm(s, vd.fork ? "fork" : "branch", hex, false,
						   "entry %s of member %.16s refused: %s", eh, hex,
						   vd.reason);
				changed = true;
				break;
			}
			}
		}
	}
	vg_entry_release(&e);
	free(ids);
	return rc;
}

/*
 * Quarantined entries the newest roster admits by late_accept (FORMAT.md 11.7: a revoked
 * member's entries delivered after its cutoff, which it vouched for another way) go back
 * to pending, to be judged again by the chain rules with the other pending entries.
 */
static int requeue_late(struct sync *s)
{
	const struct vg_roster *cur = vg_roster_set_current(s->set);
	struct vg_entry e;
	int rc = 0;

	vg_entry_init(&e);
	for (size_t i = 0; i < cur->nlate && rc == 0; i++) {
		enum vg_entry_state st;

		rc = vg_store_get_entry(s->store, &e, &st, cur->late[i]);
		if (rc == VG_ENOTFOUND) {
			rc = 0;
			continue;
		}
		if (rc == 0 && st == VG_STATE_QUARANTINED)
			rc = vg_sync__set_state(s->store, cur->late[i], VG_STATE_PENDING,
						"admitted by late_accept: to be judged again");
	}
	vg_entry_release(&e);
	return rc;
}

static int member_branch(struct sync *s, const struct head *h)
{
	const char *hex = h->name + strlen(MEMBERS_PREFIX);
	uint8_t author[VG_ID_BYTES], v[20];
	struct walk w = {s, author, 0, 0};
	bool found;
	int yes = 0, rc;
	uint64_t before;

	if (strlen(hex) != VG_ID_HEX_LEN ||
	    vg_hex_decode(author, VG_ID_BYTES, hex, VG_ID_HEX_LEN) < 0)
		return alarm(s, "foreign", h->name, false,
			     "the remote holds a branch '%.80s' outside the layout: ignored",
			     h->name);
	if ((rc = vg_sync_head(s->store, &found, v, h->name)) < 0)
		return rc;
	if (found && memcmp(v, h->oid.id, 20) == 0)
		return 0;
	if (found) {
		git_odb *odb = NULL;
		git_oid vo;
		bool have;
		git_oid_fromraw(&vo, v);
		if (git_repository_odb(&odb, s->git) < 0)
			return vg_repo__fail(VG_EIO, "cannot open the object database");
		have = git_odb_exists(odb, &vo) != 0;
		git_odb_free(odb);
		/* A local repository made afresh: everything is walked again (the store skips
		 * what it holds and the chain rules catch another history). */
		if (!have)
			found = false;
	}
	if (found && (vg_repo_descends(s->repo, &yes, h->oid.id, v) < 0 || !yes))
		return alarm(s, "rollback", hex, false,
			     "the branch of member %.16s moved backwards or was rewritten: nothing "
			     "taken from it",
			     hex);
	s->rep->branches++;
	before = s->rep->fetched;
	if ((rc = vg_store_begin(s->store)) < 0)
		return rc;
	rc = vg_repo_foreach_entry(s->repo, h->oid.id, found ? v : NULL, walk_entry, &w);
	if (rc == 0)
		rc = judge(s, author, true);
	if (rc == 0 && (rc = vg_sync_head_set(s->store, h->name, h->oid.id)) == 0)
		rc = vg_store_commit(s->store);
	if (rc == 0) {
		if (s->rep->fetched > before)
			say(s, "member %.16s: %zu new entries verified", hex,
			    s->rep->fetched - before);
		return 0;
	}
	vg_store_rollback(s->store);
	s->rep->fetched = before;
	if (rc == VG_ENOMEM || rc == VG_EIO)
		return rc;
	return alarm(s, rc == VG_EFORK ? "fork" : "branch", hex, false,
		     "the branch of member %.16s is refused, nothing taken from it: %s", hex,
		     vg_error_last());
}

/* ---- own branch ---- */

struct maxseq {
	uint64_t seq;
};

static int walk_max(void *ctx, const uint8_t id[VG_ID_BYTES], const uint8_t *age, size_t agelen,
		    const char *sig, size_t siglen)
{
	struct maxseq *m = ctx;
	struct vg_minisig ms;
	struct vg_entry_meta meta;

	(void)id;
	(void)age;
	(void)agelen;
	if (vg_minisign_sig_parse(&ms, sig, siglen) < 0 ||
	    vg_entry_tc_parse(&meta, ms.trusted, strlen(ms.trusted)) < 0)
		return vg_error_set(VG_EFORMAT, "own branch holds a malformed entry");
	if (meta.seq > m->seq)
		m->seq = meta.seq;
	return 0;
}

/*
 * How far the local branch goes (committed_seq). After a crash between the commit and the
 * store update, the branch is ahead of what the store says: walk what it added.
 */
static int committed(struct sync *s, uint64_t *seq, git_oid *head, bool *has_head)
{
	char hex[GIT_OID_HEXSZ + 1], stored[GIT_OID_HEXSZ + 1];
	int64_t c;
	int rc;

	*has_head = false;
	if ((rc = vg_sync_state_int(s->store, KEY_COMMITTED, &c)) < 0 ||
	    (rc = vg_sync_state_text(s->store, KEY_COMMIT_OID, stored, sizeof(stored))) < 0)
		return rc;
	*seq = (uint64_t)c;
	rc = vg_repo_head(s->repo, head->id, s->self_ref);
	if (rc == VG_ENOTFOUND) {
		*seq = 0;
		return 0;
	}
	if (rc < 0)
		return rc;
	*has_head = true;
	oid_hex(hex, head);
	if (strcmp(hex, stored) != 0) {
		struct maxseq m = {0};
		git_oid so;
		bool known = stored[0] != '\0' && git_oid_fromstr(&so, stored) == 0;

		if ((rc = vg_repo_foreach_entry(s->repo, head->id, known ? so.id : NULL, walk_max,
						&m)) < 0 &&
		    known)
			rc = vg_repo_foreach_entry(s->repo, head->id, NULL, walk_max, &m);
		if (rc < 0)
			return rc;
		if (!known)
			*seq = 0;
		if (m.seq > *seq)
			*seq = m.seq;
		if ((rc = vg_sync_state_set_int(s->store, KEY_COMMITTED, (int64_t)*seq)) < 0 ||
		    (rc = vg_sync_state_set_text(s->store, KEY_COMMIT_OID, hex)) < 0)
			return rc;
	}
	return 0;
}

/* Commit own accepted entries the local branch lacks, APPEND_BATCH per commit. */
static int commit_own(struct sync *s)
{
	uint8_t(*ids)[VG_ID_BYTES] = NULL;
	struct vg_entry *es = NULL;
	const struct vg_entry **ptrs = NULL;
	size_t n = 0;
	uint64_t seq;
	git_oid head;
	bool has;
	char hex[GIT_OID_HEXSZ + 1];
	int rc;

	if ((rc = committed(s, &seq, &head, &has)) < 0 ||
	    (rc = vg_sync__ids(s->store, &ids, &n, s->o->self, VG_STATE_ACCEPTED, seq)) < 0)
		return rc;
	if (n == 0)
		goto done;
	es = calloc(APPEND_BATCH, sizeof(*es));
	ptrs = calloc(APPEND_BATCH, sizeof(*ptrs));
	if (es == NULL || ptrs == NULL) {
		rc = vg_error_set(VG_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < APPEND_BATCH; i++)
		vg_entry_init(&es[i]);
	for (size_t off = 0; off < n && rc == 0; off += APPEND_BATCH) {
		size_t k = n - off < APPEND_BATCH ? n - off : APPEND_BATCH;
		uint8_t oid[VG_REPO_OID_BYTES];

		for (size_t i = 0; i < k && rc == 0; i++) {
			rc = vg_store_get_entry(s->store, &es[i], NULL, ids[off + i]);
			ptrs[i] = &es[i];
		}
		if (rc < 0 || (rc = vg_repo_append(s->repo, oid, s->self_ref, ptrs, k)) < 0)
			break;
		seq = es[k - 1].meta.seq;
		count(s, "committing own entries", off + k, n);
		memcpy(head.id, oid, 20);
		oid_hex(hex, &head);
		if ((rc = vg_sync_state_set_int(s->store, KEY_COMMITTED, (int64_t)seq)) < 0 ||
		    (rc = vg_sync_state_set_text(s->store, KEY_COMMIT_OID, hex)) < 0)
			break;
		s->rep->committed += k;
	}
	if (rc == 0 && s->rep->committed > 0)
		say(s, "committed %zu own entries to the local branch", s->rep->committed);
done:
	if (es != NULL)
		for (size_t i = 0; i < APPEND_BATCH; i++)
			vg_entry_release(&es[i]);
	free(es);
	free(ptrs);
	free(ids);
	return rc;
}

/*
 * The own branch against the remote's: absent or an ancestor of the local one, push; the
 * same, nothing; anything else means another copy of this key wrote there (or this device
 * lost entries it had pushed): a blocking alarm, no push.
 */
static int own_branch(struct sync *s)
{
	const git_oid *r = remote_head(s, s->self_ref);
	git_oid local;
	bool has, blocked;
	uint64_t seq;
	int64_t pushed;
	int yes = 0, rc;

	if ((rc = vg_sync_blocked(s->store, &blocked, NULL, 0)) < 0)
		return rc;
	if (blocked) {
		say(s, "own branch: not pushed while a blocking alarm stands");
		return 0;
	}
	if ((rc = committed(s, &seq, &local, &has)) < 0 ||
	    (rc = vg_sync_state_int(s->store, KEY_PUSHED, &pushed)) < 0)
		return rc;
	if (r != NULL &&
	    (!has || (git_oid_cmp(r, &local) != 0 &&
		      (vg_repo_descends(s->repo, &yes, local.id, r->id) < 0 || !yes)))) {
		int ahead = 0;
		if (has && vg_repo_descends(s->repo, &ahead, r->id, local.id) < 0)
			ahead = 0;
		return alarm(
		    s, "clone", "own-branch", true,
		    ahead || !has
			? "the remote shows this device's key further ahead than its own "
			  "feed (a copy of this key wrote there, or this device was restored "
			  "from a backup): nothing will be appended until this is resolved"
			: "the remote's branch of this device holds another history: another "
			  "copy of this key exists; nothing will be appended until this is "
			  "resolved");
	}
	if (!has || (r != NULL && git_oid_cmp(r, &local) == 0)) {
		if (has && (uint64_t)pushed != seq) {
			if ((rc = vg_sync_state_set_int(s->store, KEY_PUSHED, (int64_t)seq)) < 0 ||
			    (rc = vg_sync_head_set(s->store, s->self_ref, local.id)) < 0)
				return rc;
		}
		return 0;
	}
	if ((rc = push(s, s->self_ref)) < 0)
		return rc;
	if (rc == 1)
		return alarm(s, "clone", "own-branch", true,
			     "the remote refused this device's branch (%s): another copy of this "
			     "key pushed first; nothing will be appended until this is resolved",
			     s->push_status);
	s->rep->pushed += (size_t)(seq - (uint64_t)pushed);
	say(s, "pushed %llu own entries", (unsigned long long)(seq - (uint64_t)pushed));
	if ((rc = vg_sync_state_set_int(s->store, KEY_PUSHED, (int64_t)seq)) < 0 ||
	    (rc = vg_sync_head_set(s->store, s->self_ref, local.id)) < 0)
		return rc;
	return 0;
}

/* ---- receipts (FORMAT.md 17; sync_receipt.c) ---- */

/* A receipts push for sync_receipt.c: as before on a path remote, else the helper's. */
static int push_receipts(void *ctx, const char *ref, const uint8_t *old, int *rejected)
{
	struct sync *s = ctx;
	bool rej = false;
	char why[256];
	int rc;

	*rejected = 0;
	if (s->kind == VG_REMOTE_PATH)
		return vg_repo__push_path(s->repo, rejected, remote_path(s->url), ref, old);
	if ((rc = net_open(s)) < 0 ||
	    (rc = vg_net_push(s->net, ref, &rej, why, sizeof(why), s->deadline_ms)) < 0)
		return rc;
	*rejected = rej ? 1 : 0;
	return 0;
}

/* Step 7: the remote's receipts branches handed to sync_receipt.c. */
static int receipts_step(struct sync *s)
{
	struct vg_sync__receipts x;
	const char **names = NULL;
	uint8_t(*oids)[20] = NULL;
	size_t n = 0;
	int rc;

	if (s->role == VG_ROLE_AUDITOR)
		return 0;
	names = calloc(s->nheads + 1, sizeof(*names));
	oids = calloc(s->nheads + 1, sizeof(*oids));
	if (names == NULL || oids == NULL) {
		rc = vg_error_set(VG_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < s->nheads; i++)
		if (is_receipts_ref(s->heads[i].name)) {
			names[n] = s->heads[i].name;
			memcpy(oids[n++], s->heads[i].oid.id, 20);
		}
	memset(&x, 0, sizeof(x));
	x.o = s->o;
	x.rep = s->rep;
	x.repo = s->repo;
	x.set = s->set;
	x.role = s->role;
	x.push = push_receipts;
	x.push_ctx = s;
	x.now = s->now;
	x.n = n;
	x.names = names;
	x.oids = (const uint8_t(*)[20])oids;
	rc = vg_sync__receipts_step(&x);
done:
	free(names);
	free(oids);
	return rc;
}

/* ---- the whole pass ---- */

static int load_roster(struct vg_roster_set **out, const char *dir)
{
	struct vg_minisign_pk org;
	int rc;

	*out = NULL;
	rc = vg_roster_dir_org(&org, dir);
	if (rc == VG_ENOTFOUND)
		return vg_error_set(VG_ENOTFOUND,
				    "this device has not joined an organisation (no roster in "
				    "'%s'): run 'vigil join' first",
				    dir);
	if (rc < 0 || (rc = vg_roster_set_new(out, &org)) < 0)
		return rc;
	if ((rc = vg_roster_dir_load(*out, dir, NULL)) < 0) {
		vg_error_prefix(rc, "roster in '%s'", dir);
		vg_roster_set_free(*out);
		*out = NULL;
	}
	return rc;
}

static int open_repo(struct vg_repo **out, const char *path)
{
	git_config *cfg = NULL;
	int32_t have = -1;
	int rc;

	/* The daemon is this repository's one writer: a lock file in it was left by a sync
	 * that was killed, and would refuse every later update. */
	if ((rc = vg_repo__clear_locks(path, NULL)) < 0 || (rc = vg_repo_open(out, path, 1)) < 0)
		return rc;
	/*
	 * Ciphertext never deltas: in libgit2 1.5 the threshold above which delta search is
	 * skipped is read from pack.deltaCacheSize (FACTS.md). 0, not 1024: objects of 50 bytes
	 * up to the threshold are still searched, and signatures and small trees are; that
	 * search was 0.4 s of a 2,000-entry commit and saves almost nothing. Written once,
	 * not at every sync (each write is a lock, a file and a rename).
	 */
	if (git_repository_config(&cfg, vg_repo__git(*out)) < 0 ||
	    ((git_config_get_int32(&have, cfg, "pack.deltaCacheSize") < 0 || have != 0) &&
	     git_config_set_int32(cfg, "pack.deltaCacheSize", 0) < 0))
		rc = vg_repo__fail(VG_EIO, "cannot configure the local repository");
	git_config_free(cfg);
	if (rc < 0) {
		vg_repo_free(*out);
		*out = NULL;
	}
	return rc;
}

static void utc_now(char *out, size_t outsz)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, outsz, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int vg_sync_run(struct vg_sync_report *out, const struct vg_sync_options *o)
{
	struct sync s;
	const struct vg_roster_member *me;
	uint8_t(*authors)[VG_ID_BYTES] = NULL;
	size_t nauthors = 0;
	char when[32];
	int rc;

	memset(out, 0, sizeof(*out));
	memset(&s, 0, sizeof(s));
	s.o = o;
	s.rep = out;
	s.store = o->store;
	s.url = o->remote;
	s.kind = vg_remote_kind(o->remote);
	s.netopt = &o->net;
	s.repo_path = o->repo;
	s.start_ms = now_ms();
	s.deadline_ms = s.start_ms + 1000ULL * (o->seconds ? o->seconds : VG_SYNC_SECONDS_DEFAULT);
	s.max_objects = o->max_objects ? o->max_objects : VG_SYNC_OBJECTS_MAX;
	s.max_bytes = o->max_bytes ? o->max_bytes : VG_SYNC_BYTES_MAX;
	s.now = o->now ? o->now : time(NULL);
	vg_repo_member_ref(s.self_ref, o->self);
	vg_hex_encode(s.self_hex, o->self, VG_ID_BYTES);
	if ((rc = vg_sync_remote_check(o->remote)) < 0 ||
	    (rc = load_roster(&s.set, o->roster_dir)) < 0)
		goto done;
	me = vg_roster_find(vg_roster_set_current(s.set), o->self);
	if (me == NULL) {
		rc = vg_error_set(VG_EAUTH, "this device is not in the roster");
		goto done;
	}
	/* Revoked (an earlier sync took that roster and stopped before the keys were
	 * destroyed): it still pushes what it has not pushed, like a monitor. */
	out->revoked = me->revoked;
	s.role = me->revoked ? VG_ROLE_MONITOR : me->role;
	if ((rc = open_repo(&s.repo, o->repo)) < 0)
		goto done;
	s.git = vg_repo__git(s.repo);
	if (s.role != VG_ROLE_AUDITOR && (rc = commit_own(&s)) < 0)
		goto done;
	say(&s, "fetching from %s", o->remote);
	if ((rc = fetch(&s, false)) < 0) {
		if (rc == VG_ENOTFOUND)
			vg_error_prefix(rc, "offline: own entries stay pending");
		goto done;
	}
	if ((rc = roster_step(&s)) < 0)
		goto done;
	me = vg_roster_find(vg_roster_set_current(s.set), o->self);
	if (me != NULL && me->revoked && !out->revoked) {
		out->revoked = true;
		say(&s,
		    "this device is revoked in roster version %llu: pushing what it has not "
		    "pushed",
		    (unsigned long long)vg_roster_set_current(s.set)->version);
	}
	/* A revoked device judges nobody and publishes nothing: it only delivers its own. */
	for (size_t i = 0; i < s.nheads && !out->revoked; i++) {
		if (!is_member_ref(s.heads[i].name) || strcmp(s.heads[i].name, s.self_ref) == 0)
			continue;
		if ((rc = out_of_time(&s)) < 0 || (rc = member_branch(&s, &s.heads[i])) < 0)
			goto done;
	}
	/* A newer roster or newly accepted entries may place what was pending. */
	if (!out->revoked && ((rc = requeue_late(&s)) < 0 ||
			      (rc = vg_sync__pending_authors(s.store, &authors, &nauthors)) < 0))
		goto done;
	for (size_t i = 0; i < nauthors; i++) {
		size_t acc = out->accepted;
		if ((rc = vg_store_begin(s.store)) < 0)
			goto done;
		if ((rc = judge(&s, authors[i], false)) < 0) {
			vg_store_rollback(s.store);
			goto done;
		}
		if ((rc = vg_store_commit(s.store)) < 0)
			goto done;
		out->promoted += out->accepted - acc;
	}
	if (s.role != VG_ROLE_AUDITOR && (rc = out_of_time(&s)) == 0)
		rc = own_branch(&s);
	if (rc == 0 && !out->revoked)
		rc = roster_push(&s);
	if (rc == 0 && (rc = out_of_time(&s)) == 0)
		rc = receipts_step(&s);
	if (rc < 0)
		goto done;
	utc_now(when, sizeof(when));
	rc = vg_sync_state_set_text(s.store, KEY_LAST_SYNC, when);
done:
	if (s.set != NULL)
		out->roster_version = vg_roster_set_current(s.set)->version;
	{
		uint64_t p = 0;
		if (vg_store_count(o->store, &p, NULL, VG_STATE_PENDING) == 0)
			out->pending = (size_t)p;
	}
	out->seconds = (double)(now_ms() - s.start_ms) / 1000.0;
	free(authors);
	free(s.heads);
	vg_roster_set_free(s.set);
	vg_repo_free(s.repo);
	/* One helper per sync, killed and reaped now (and one the caller gave, unused). */
	vg_net_free(s.net != NULL ? s.net : o->net.helper);
	return rc;
}

/* ---- join ---- */

int vg_sync_fetch_roster(struct vg_roster_set **out, uint8_t head_out[20], const char *repo,
			 const char *remote, const struct vg_sync_net *net,
			 const struct vg_minisign_pk *org, unsigned seconds)
{
	struct vg_sync_report rep;
	struct vg_sync_options o;
	struct sync s;
	struct vg_roster_changes ch;
	const git_oid *r;
	uint64_t newest;
	int rc;

	*out = NULL;
	memset(&o, 0, sizeof(o));
	memset(&rep, 0, sizeof(rep));
	memset(&s, 0, sizeof(s));
	s.o = &o;
	s.rep = &rep;
	s.url = remote;
	s.kind = vg_remote_kind(remote);
	s.netopt = net;
	s.repo_path = repo;
	s.role = VG_ROLE_MONITOR;
	s.start_ms = now_ms();
	s.deadline_ms = s.start_ms + 1000ULL * (seconds ? seconds : VG_SYNC_SECONDS_DEFAULT);
	s.max_objects = VG_SYNC_OBJECTS_MAX;
	s.max_bytes = VG_SYNC_BYTES_MAX;
	if ((rc = vg_sync_remote_check(remote)) < 0 || (rc = open_repo(&s.repo, repo)) < 0) {
		vg_net_free(net != NULL ? net->helper : NULL);
		return rc;
	}
	s.git = vg_repo__git(s.repo);
	if ((rc = fetch(&s, true)) < 0)
		goto done;
	if ((r = remote_head(&s, VG_SYNC_ROSTER_REF)) == NULL) {
		rc = vg_error_set(VG_ENOTFOUND,
				  "the remote has no roster branch yet (a coordinator publishes it "
				  "with 'vigil-keys publish')");
		goto done;
	}
	if ((rc = vg_roster_set_new(out, org)) < 0 ||
	    (rc = roster_read(&s, *out, &newest, r, &ch)) < 0)
		goto done;
	memcpy(head_out, r->id, 20);
done:
	if (rc < 0) {
		vg_roster_set_free(*out);
		*out = NULL;
	}
	free(s.heads);
	vg_repo_free(s.repo);
	vg_net_free(s.net != NULL ? s.net : net != NULL ? net->helper : NULL);
	return rc;
}

int vg_sync_roster_save(const struct vg_roster_set *set, const char *dir, const char *repo,
			const uint8_t head[20])
{
	struct vg_sync_options o;
	struct vg_sync_report rep;
	struct sync s;
	git_oid h;
	int rc;

	memset(&o, 0, sizeof(o));
	memset(&s, 0, sizeof(s));
	s.o = &o;
	s.rep = &rep;
	if ((rc = open_repo(&s.repo, repo)) < 0)
		return rc;
	s.git = vg_repo__git(s.repo);
	git_oid_fromraw(&h, head);
	rc = roster_write(&s, &h, 1, vg_roster_set_current(set)->version, dir,
			  vg_roster_set_org(set));
	vg_repo_free(s.repo);
	return rc;
}
