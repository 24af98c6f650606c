#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <git2.h>
#include <git2/sys/mempack.h>
#include <git2/sys/odb_backend.h>

#include "vigil/error.h"
#include "vigil/id.h"
#include "repo_git.h"
#include "vigil/repo.h"

struct vg_repo {
	git_repository *git;
	char *path;
};

static int git_fail(int code, const char *what)
{
	const git_error *e = git_error_last();
	return vg_error_set(code, "%s: %s", what,
			    e != NULL && e->message != NULL ? e->message : "git error");
}

int vg_repo_open(struct vg_repo **out, const char *path, int create)
{
	struct vg_repo *r;
	int rc;

	*out = NULL;
	if ((r = calloc(1, sizeof(*r))) == NULL || (r->path = strdup(path)) == NULL) {
		free(r);
		return vg_error_set(VG_ENOMEM, "cannot allocate repository");
	}
	rc = git_repository_open_bare(&r->git, path);
	if (rc == GIT_ENOTFOUND && create)
		rc = git_repository_init(&r->git, path, 1);
	if (rc < 0) {
		rc = rc == GIT_ENOTFOUND ? vg_error_set(VG_ENOTFOUND, "no repository at '%s'", path)
					 : git_fail(VG_EIO, "cannot open repository");
		vg_repo_free(r);
		return rc;
	}
	*out = r;
	return 0;
}

void vg_repo_free(struct vg_repo *r)
{
	if (r == NULL)
		return;
	git_repository_free(r->git);
	free(r->path);
	free(r);
}

void vg_repo_member_ref(char *out, const uint8_t author[VG_ID_BYTES])
{
	char hex[VG_ID_HEX_LEN + 1];

	vg_hex_encode(hex, author, VG_ID_BYTES);
	snprintf(out, VG_REPO_BRANCH_MAX, "refs/heads/members/%s", hex);
}

int vg_repo_head(struct vg_repo *r, uint8_t oid_out[VG_REPO_OID_BYTES], const char *ref)
{
	git_oid oid;
	int rc = git_reference_name_to_id(&oid, r->git, ref);

	if (rc == GIT_ENOTFOUND)
		return vg_error_set(VG_ENOTFOUND, "no reference '%s'", ref);
	if (rc < 0)
		return git_fail(VG_EIO, "cannot read reference");
	memcpy(oid_out, oid.id, VG_REPO_OID_BYTES);
	return 0;
}

/* "entries/xx/yy/<id>.age" (or ".age.minisig" with sig) into out. */
static void entry_path(char *out, size_t outsz, const uint8_t id[VG_ID_BYTES], int sig)
{
	char hex[VG_ID_HEX_LEN + 1];

	vg_hex_encode(hex, id, VG_ID_BYTES);
	snprintf(out, outsz, "entries/%.2s/%.2s/%s.age%s", hex, hex + 2, hex,
		 sig ? ".minisig" : "");
}

static int cmp_update(const void *a, const void *b)
{
	return strcmp(((const git_tree_update *)a)->path, ((const git_tree_update *)b)->path);
}

/*
 * Objects of one append, written into memory and then, all together, into one pack of the
 * repository (one fsync of the pack and one of its index when fsync is on, instead of one
 * per loose object: FACTS.md). A second handle on the same repository carries the in-memory
 * backend, so nothing else ever writes into it and loses what it wrote.
 */
struct batch {
	git_repository *git;
	git_odb_backend *mem; /* owned by the handle's object database */
	git_packbuilder *pb;
};

static int batch_open(struct batch *b, const char *path)
{
	git_odb *odb = NULL;
	int rc = 0;

	memset(b, 0, sizeof(*b));
	if (git_repository_open_bare(&b->git, path) < 0 || git_repository_odb(&odb, b->git) < 0 ||
	    git_mempack_new(&b->mem) < 0)
		rc = git_fail(VG_EIO, "cannot open the repository for writing");
	/* Above the loose (1) and packed (2) backends: every new object goes to memory. */
	else if (git_odb_add_backend(odb, b->mem, 1000) < 0) {
		b->mem->free(b->mem);
		b->mem = NULL;
		rc = git_fail(VG_EIO, "cannot open the repository for writing");
	} else if (git_packbuilder_new(&b->pb, b->git) < 0)
		rc = git_fail(VG_EIO, "cannot start a pack");
	git_odb_free(odb);
	return rc;
}

static void batch_close(struct batch *b)
{
	git_packbuilder_free(b->pb);
	git_repository_free(b->git);
}

/*
 * A new object straight into memory. git_odb_write would first look for it in every
 * backend, and a miss rescans the pack directory: once per object.
 */
static int batch_put(struct batch *b, git_oid *out, const void *data, size_t len, git_object_t type)
{
	if (git_odb_hash(out, data, len, type) < 0 ||
	    b->mem->write(b->mem, out, data, len, type) < 0)
		return git_fail(VG_EIO, "cannot write an entry");
	return 0;
}

/*
 * Index a pack held in memory into the repository at path: one call, so the indexer maps
 * and writes the pack once rather than once per object. The pack and its index are
 * fsync'd (with the gitdir: FACTS.md) before this returns.
 */
int vg_repo__index_pack(const char *path, const void *pack, size_t len)
{
	git_indexer *idx = NULL;
	git_indexer_progress stats;
	char dir[PATH_MAX];
	int n = snprintf(dir, sizeof(dir), "%s/objects/pack", path), rc = 0;

	if (n < 0 || (size_t)n >= sizeof(dir))
		return vg_error_set(VG_EINVAL, "repository path too long");
	memset(&stats, 0, sizeof(stats));
	if (git_indexer_new(&idx, dir, 0, NULL, NULL) < 0 ||
	    git_indexer_append(idx, pack, len, &stats) < 0 || git_indexer_commit(idx, &stats) < 0)
		rc = git_fail(VG_EIO, "cannot write the pack");
	git_indexer_free(idx);
	return rc;
}

/* Everything inserted into b->pb, as one pack in the repository. */
static int batch_write(struct batch *b, const char *path)
{
	git_buf pack = {NULL, 0, 0};
	int rc;

	if (git_packbuilder_write_buf(&pack, b->pb) < 0)
		return git_fail(VG_EIO, "cannot build the pack");
	rc = vg_repo__index_pack(path, pack.ptr, pack.size);
	git_buf_dispose(&pack);
	if (rc == 0 && git_mempack_reset(b->mem) < 0)
		rc = git_fail(VG_EIO, "cannot release written objects");
	return rc;
}

/*
 * The trees of tree that contain path's directories ("entries/xx/yy", "entries/xx",
 * "entries") go into the pack; the root is inserted by the caller. Directories already
 * inserted for the previous path (prev, same prefix) are skipped.
 */
static int insert_dirs(struct batch *b, git_tree *tree, const char *path, const char *prev)
{
	char dir[96];
	size_t len = strlen(path);

	if (len >= sizeof(dir))
		return vg_error_set(VG_EINVAL, "path too long");
	memcpy(dir, path, len + 1);
	for (char *slash = strrchr(dir, '/'); slash != NULL; slash = strrchr(dir, '/')) {
		git_tree_entry *te = NULL;
		size_t dl = (size_t)(slash - dir);
		int rc;

		*slash = '\0';
		if (prev != NULL && strncmp(prev, dir, dl) == 0 && prev[dl] == '/')
			break;
		if (git_tree_entry_bypath(&te, tree, dir) < 0)
			return git_fail(VG_EIO, "cannot read the new tree");
		rc = git_packbuilder_insert(b->pb, git_tree_entry_id(te), NULL);
		git_tree_entry_free(te);
		if (rc < 0)
			return git_fail(VG_EIO, "cannot add to the pack");
	}
	return 0;
}

/*
 * Write the batch's pack (on disk and fsync'd before the branch names its commit), then
 * move ref to commit only from where it was (parent; NULL: ref must not exist yet): one
 * writer per branch. VG_EEXISTS when another writer moved it; doing says what for.
 */
/*
 * Written here, not by git_commit_create: libgit2 1.5.1 builds a commit's text in a buffer
 * whose failed allocation an empty message hides (appending "" does not check the
 * buffer), and then writes an empty object as the commit, which a branch would point to
 * and no later sync could read (found by tests/unit/test_oom_lib.c). The bytes are those
 * git and libgit2 write for the same commit.
 */
int vg_repo__commit(git_repository *git, git_oid *out, const git_oid *tree, const git_oid *parent)
{
	char text[256], t[GIT_OID_HEXSZ + 1], p[GIT_OID_HEXSZ + 1] = "";
	git_odb *odb = NULL;
	int n, rc = 0;

	git_oid_tostr(t, sizeof(t), tree);
	if (parent != NULL)
		git_oid_tostr(p, sizeof(p), parent);
	n = snprintf(text, sizeof(text),
		     "tree %s\n%s%s%sauthor vigil <vigil@invalid> 0 +0000\n"
		     "committer vigil <vigil@invalid> 0 +0000\n\n",
		     t, parent != NULL ? "parent " : "", p, parent != NULL ? "\n" : "");
	if (n < 0 || (size_t)n >= sizeof(text))
		return vg_error_set(VG_EINVAL, "commit text too long");
	if (git_repository_odb(&odb, git) < 0 ||
	    git_odb_write(out, odb, text, (size_t)n, GIT_OBJECT_COMMIT) < 0)
		rc = git_fail(VG_EIO, "cannot write the commit");
	git_odb_free(odb);
	return rc;
}

static int batch_commit(struct batch *b, const char *path, const char *ref, const git_oid *commit,
			const git_oid *parent, const char *doing)
{
	git_reference *newref = NULL;
	int rc;

	if ((rc = batch_write(b, path)) < 0)
		return rc;
	rc = parent != NULL ? git_reference_create_matching(&newref, b->git, ref, commit, 1, parent,
							    "vigil commit")
			    : git_reference_create(&newref, b->git, ref, commit, 0, "vigil commit");
	git_reference_free(newref);
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS)
		return vg_error_set(VG_EEXISTS, "branch moved while %s", doing);
	return rc < 0 ? git_fail(VG_EIO, "cannot update the branch") : 0;
}

int vg_repo_append(struct vg_repo *r, uint8_t oid_out[VG_REPO_OID_BYTES], const char *ref,
		   const struct vg_entry *const *entries, size_t n)
{
	struct batch b;
	git_oid parent_oid, tree_oid, commit_oid;
	git_commit *parent = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_tree_update *up = NULL;
	char(*paths)[96] = NULL;
	int has_parent, rc = 0;

	if (n == 0 || n > SIZE_MAX / 2 / sizeof(*up))
		return vg_error_set(VG_EINVAL, "nothing to append");
	if ((rc = batch_open(&b, r->path)) < 0)
		goto done;
	rc = git_reference_name_to_id(&parent_oid, b.git, ref);
	if (rc < 0 && rc != GIT_ENOTFOUND) {
		rc = git_fail(VG_EIO, "cannot read reference");
		goto done;
	}
	has_parent = rc == 0;
	rc = 0;
	if (has_parent) {
		if (git_commit_lookup(&parent, b.git, &parent_oid) < 0 ||
		    git_commit_tree(&base, parent) < 0) {
			rc = git_fail(VG_EIO, "cannot read the branch head");
			goto done;
		}
	} else {
		git_treebuilder *tb = NULL;
		git_oid empty;
		if (git_treebuilder_new(&tb, b.git, NULL) < 0 ||
		    git_treebuilder_write(&empty, tb) < 0 ||
		    git_tree_lookup(&base, b.git, &empty) < 0) {
			git_treebuilder_free(tb);
			rc = git_fail(VG_EIO, "cannot make an empty tree");
			goto done;
		}
		git_treebuilder_free(tb);
	}
	if ((up = calloc(2 * n, sizeof(*up))) == NULL ||
	    (paths = calloc(2 * n, sizeof(*paths))) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "cannot allocate tree updates");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		for (int s = 0; s < 2; s++) {
			size_t k = 2 * i + (size_t)s;
			const struct vg_buf *buf = s ? &entries[i]->sig : &entries[i]->age;
			git_tree_entry *existing = NULL;

			entry_path(paths[k], sizeof(paths[k]), entries[i]->id, s);
			if (git_tree_entry_bypath(&existing, base, paths[k]) == 0) {
				git_tree_entry_free(existing);
				rc = vg_error_set(VG_EEXISTS, "entry already in the repository");
				goto done;
			}
			if ((rc = batch_put(&b, &up[k].id, buf->ptr, buf->len, GIT_OBJECT_BLOB)) <
			    0)
				goto done;
			up[k].action = GIT_TREE_UPDATE_UPSERT;
			up[k].filemode = GIT_FILEMODE_BLOB;
			up[k].path = paths[k];
		}
	}
	qsort(up, 2 * n, sizeof(*up), cmp_update);
	for (size_t k = 1; k < 2 * n; k++)
		if (strcmp(up[k - 1].path, up[k].path) == 0) {
			rc = vg_error_set(VG_EEXISTS, "the same entry twice in one append");
			goto done;
		}
	/* Only the new paths are touched: two levels of fan-out keep each tree small. */
	if (git_tree_create_updated(&tree_oid, b.git, base, 2 * n, up) < 0 ||
	    git_tree_lookup(&tree, b.git, &tree_oid) < 0) {
		rc = git_fail(VG_EIO, "cannot write the tree");
		goto done;
	}
	if ((rc = vg_repo__commit(b.git, &commit_oid, &tree_oid, has_parent ? &parent_oid : NULL)) <
	    0)
		goto done;
	/*
	 * The pack holds exactly what this commit adds: the commit, its root tree, the trees
	 * on the new paths and the new files (so no walk of the parent's tree), in the order
	 * a reader wants them. Its directories are new trees: each gained a file.
	 */
	if (git_packbuilder_insert(b.pb, &commit_oid, NULL) < 0 ||
	    git_packbuilder_insert(b.pb, &tree_oid, NULL) < 0) {
		rc = git_fail(VG_EIO, "cannot add to the pack");
		goto done;
	}
	for (size_t k = 0; k < 2 * n; k++)
		if ((rc = insert_dirs(&b, tree, up[k].path, k > 0 ? up[k - 1].path : NULL)) < 0)
			goto done;
	for (size_t k = 0; k < 2 * n; k++)
		if (git_packbuilder_insert(b.pb, &up[k].id, NULL) < 0) {
			rc = git_fail(VG_EIO, "cannot add to the pack");
			goto done;
		}
	if ((rc = batch_commit(&b, r->path, ref, &commit_oid, has_parent ? &parent_oid : NULL,
			       "appending")) < 0)
		goto done;
	memcpy(oid_out, commit_oid.id, VG_REPO_OID_BYTES);
done:
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(parent);
	batch_close(&b);
	free(up);
	free(paths);
	return rc;
}

int vg_repo_descends(struct vg_repo *r, int *yes, const uint8_t descendant[VG_REPO_OID_BYTES],
		     const uint8_t ancestor[VG_REPO_OID_BYTES])
{
	git_oid d, a;
	int rc;

	memcpy(d.id, descendant, VG_REPO_OID_BYTES);
	memcpy(a.id, ancestor, VG_REPO_OID_BYTES);
	if (git_oid_equal(&d, &a)) {
		*yes = 1;
		return 0;
	}
	rc = git_graph_descendant_of(r->git, &d, &a);
	if (rc < 0)
		return git_fail(VG_EIO, "cannot compare commits");
	*yes = rc;
	return 0;
}

static int commit_tree(struct vg_repo *r, git_tree **out, const uint8_t oid[VG_REPO_OID_BYTES])
{
	git_oid o;
	git_commit *c = NULL;
	int rc;

	memcpy(o.id, oid, VG_REPO_OID_BYTES);
	if (git_commit_lookup(&c, r->git, &o) < 0)
		return git_fail(VG_EFORMAT, "not a commit");
	rc = git_commit_tree(out, c) < 0 ? git_fail(VG_EFORMAT, "commit without a tree") : 0;
	git_commit_free(c);
	return rc;
}

/* The id named by a path of the layout, or -1; *sig says which of the two files. */
static int parse_path(uint8_t id[VG_ID_BYTES], int *sig, const char *p)
{
	size_t n = strlen(p);
	const char *name;

	/* entries/xx/yy/<64 hex>.age[.minisig] */
	if (strncmp(p, "entries/", 8) != 0 || n < 8 + 6 + VG_ID_HEX_LEN + 4)
		return -1;
	name = p + 14;
	if (p[10] != '/' || p[13] != '/' ||
	    vg_hex_decode(id, VG_ID_BYTES, name, VG_ID_HEX_LEN) < 0 ||
	    memcmp(p + 8, name, 2) != 0 || memcmp(p + 11, name + 2, 2) != 0)
		return -1;
	if (strcmp(name + VG_ID_HEX_LEN, ".age") == 0)
		*sig = 0;
	else if (strcmp(name + VG_ID_HEX_LEN, ".age.minisig") == 0)
		*sig = 1;
	else
		return -1;
	return 0;
}

static int read_blob(struct vg_repo *r, git_blob **out, const git_oid *oid, size_t max,
		     const char *path)
{
	git_odb *odb = NULL;
	size_t len = 0;
	git_object_t type;
	int rc;

	/* The size from the object header, before the object is loaded. */
	if (git_repository_odb(&odb, r->git) < 0)
		return git_fail(VG_EIO, "cannot open the object database");
	rc = git_odb_read_header(&len, &type, odb, oid);
	git_odb_free(odb);
	if (rc < 0)
		return git_fail(VG_EFORMAT, "missing object");
	if (type != GIT_OBJECT_BLOB || len > max)
		return vg_error_set(VG_ELIMIT, "'%s' is larger than an entry can be", path);
	if (git_blob_lookup(out, r->git, oid) < 0)
		return git_fail(VG_EFORMAT, "cannot read an entry");
	return 0;
}

int vg_repo_foreach_entry(struct vg_repo *r, const uint8_t commit[VG_REPO_OID_BYTES],
			  const uint8_t *since, vg_repo_entry_fn fn, void *ctx)
{
	git_diff_options opts;
	git_tree *now = NULL, *before = NULL;
	git_diff *diff = NULL;
	git_blob *age = NULL, *sig = NULL;
	size_t nd;
	int rc;

	/* GIT_DIFF_OPTIONS_INIT leaves fields to zero, which -Wextra dislikes. */
	if (git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION) < 0)
		return git_fail(VG_ERROR, "cannot set up a diff");
	if ((rc = commit_tree(r, &now, commit)) < 0 ||
	    (since != NULL && (rc = commit_tree(r, &before, since)) < 0))
		goto done;
	if (git_diff_tree_to_tree(&diff, r->git, before, now, &opts) < 0) {
		rc = git_fail(VG_EIO, "cannot compare trees");
		goto done;
	}
	nd = git_diff_num_deltas(diff);
	for (size_t i = 0; i < nd; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i), *d2;
		uint8_t id[VG_ID_BYTES], id2[VG_ID_BYTES];
		int is_sig, is_sig2;

		if (d->status != GIT_DELTA_ADDED) {
			rc = vg_error_set(VG_EFORMAT, "'%s' was %s", d->old_file.path,
					  d->status == GIT_DELTA_DELETED ? "removed" : "changed");
			goto done;
		}
		if (parse_path(id, &is_sig, d->new_file.path) < 0 ||
		    d->new_file.mode != GIT_FILEMODE_BLOB) {
			rc = vg_error_set(VG_EFORMAT, "'%s' is not a file the layout allows",
					  d->new_file.path);
			goto done;
		}
		if (is_sig) {
			rc = vg_error_set(VG_EFORMAT, "'%s' is a signature without its entry",
					  d->new_file.path);
			goto done;
		}
		/* Its signature file comes next in path order. */
		d2 = i + 1 < nd ? git_diff_get_delta(diff, i + 1) : NULL;
		if (d2 == NULL || d2->status != GIT_DELTA_ADDED ||
		    parse_path(id2, &is_sig2, d2->new_file.path) < 0 || !is_sig2 ||
		    memcmp(id, id2, VG_ID_BYTES) != 0 || d2->new_file.mode != GIT_FILEMODE_BLOB) {
			rc = vg_error_set(VG_EFORMAT, "'%s' has no signature file beside it",
					  d->new_file.path);
			goto done;
		}
		i++;
		if ((rc = read_blob(r, &age, &d->new_file.id, VG_REPO_BLOB_MAX, d->new_file.path)) <
			0 ||
		    (rc = read_blob(r, &sig, &d2->new_file.id, VG_ENTRY_SIG_MAX,
				    d2->new_file.path)) < 0)
			goto done;
		rc = fn(ctx, id, git_blob_rawcontent(age), (size_t)git_blob_rawsize(age),
			git_blob_rawcontent(sig), (size_t)git_blob_rawsize(sig));
		git_blob_free(age);
		git_blob_free(sig);
		age = sig = NULL;
		if (rc != 0)
			goto done;
	}
	rc = 0;
done:
	git_blob_free(age);
	git_blob_free(sig);
	git_diff_free(diff);
	git_tree_free(now);
	git_tree_free(before);
	return rc;
}

/* ---- the whole tree, every problem reported ---- */

struct twalk {
	struct vg_repo *r;
	git_odb *odb;
	vg_repo_pair_fn fn;
	vg_repo_dir_fn dir; /* NULL: descend into entries/<xx> here */
	vg_repo_bad_fn bad;
	void *ctx;
};

static bool hex2(const char *n)
{
	return strlen(n) == 2 && strspn(n, "0123456789abcdef") == 2;
}

/* The length of "<64 hex>.age", the name of an entry's encrypted file. */
#define LEAF_AGE_LEN (VG_ID_HEX_LEN + 4)

/*
 * Whether name, in the directory dir ("entries/xx/yy"), is "<id>.age" (*sig 0) or
 * "<id>.age.minisig" (1) of an id whose hex begins with xxyy: parse_path's rule, checked
 * without building the path (the walk asks it twice per entry).
 */
static bool leaf_name(uint8_t id[VG_ID_BYTES], int *sig, const char *dir, const char *name)
{
	size_t n = strlen(name);

	if (strlen(dir) != 13 || strncmp(dir, "entries/", 8) != 0 || dir[10] != '/')
		return false;
	if (n == LEAF_AGE_LEN && memcmp(name + VG_ID_HEX_LEN, ".age", 4) == 0)
		*sig = 0;
	else if (n == LEAF_AGE_LEN + 8 && memcmp(name + VG_ID_HEX_LEN, ".age.minisig", 12) == 0)
		*sig = 1;
	else
		return false;
	return memcmp(dir + 8, name, 2) == 0 && memcmp(dir + 11, name + 2, 2) == 0 &&
	       vg_hex_decode(id, VG_ID_BYTES, name, VG_ID_HEX_LEN) == 0;
}

/* dir/name, as findings name a file of a leaf directory; built only for those. */
static const char *leaf_path(char *out, size_t outsz, const char *dir, const char *name)
{
	snprintf(out, outsz, "%.20s/%.200s", dir, name);
	return out;
}

/* A file of an entry as the walk read it: from a backend, or the usual way. */
struct blob {
	git_odb_backend *b;
	void *data;
	size_t len;
	git_odb_object *obj;
};

static void blob_free(struct blob *x)
{
	if (x->obj != NULL)
		git_odb_object_free(x->obj);
	else if (x->data != NULL)
		git_odb_backend_data_free(x->b, x->data);
	memset(x, 0, sizeof(*x));
}

/*
 * A file of an entry, read from the object database's backends (packs, loose objects)
 * directly, and so without libgit2's SHA-1 check of its object id: an entry's two files
 * are authenticated by its signature and by the id in their name (BLAKE2b over both), so
 * that check, about a fifth of an audit's reading, would prove nothing more. Trees and
 * commits, which say what a branch holds, are read the checked way. The size comes from
 * the object header first: a blob larger than max is never loaded. An object no backend
 * has (a pack written since they were listed) is read the usual way.
 */
static int walk_blob(struct twalk *w, struct blob *out, const git_oid *oid, size_t max,
		     const char *dir, const char *name)
{
	size_t n = git_odb_num_backends(w->odb), len = 0;
	git_object_t type = GIT_OBJECT_INVALID;
	char path[256];

	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n; i++) {
		git_odb_backend *b = NULL;
		int e;

		if (git_odb_get_backend(&b, w->odb, i) < 0 || b->read == NULL ||
		    b->read_header == NULL)
			continue;
		e = b->read_header(&len, &type, b, oid);
		if (e == GIT_ENOTFOUND || e == GIT_PASSTHROUGH)
			continue;
		if (e < 0)
			return git_fail(VG_EFORMAT, "cannot read an entry");
		if (type != GIT_OBJECT_BLOB || len > max)
			return vg_error_set(VG_ELIMIT, "'%s' is larger than an entry can be",
					    leaf_path(path, sizeof(path), dir, name));
		if (b->read(&out->data, &out->len, &type, b, oid) < 0)
			return git_fail(VG_EFORMAT, "cannot read an entry");
		out->b = b;
		if (type != GIT_OBJECT_BLOB || out->len != len) {
			blob_free(out);
			return vg_error_set(VG_EFORMAT, "'%s' changed while it was read",
					    leaf_path(path, sizeof(path), dir, name));
		}
		return 0;
	}
	if (git_odb_read_header(&len, &type, w->odb, oid) < 0)
		return git_fail(VG_EFORMAT, "missing object");
	if (type != GIT_OBJECT_BLOB || len > max)
		return vg_error_set(VG_ELIMIT, "'%s' is larger than an entry can be",
				    leaf_path(path, sizeof(path), dir, name));
	if (git_odb_read(&out->obj, w->odb, oid) < 0)
		return git_fail(VG_EFORMAT, "cannot read an entry");
	out->data = (void *)git_odb_object_data(out->obj);
	out->len = git_odb_object_size(out->obj);
	return 0;
}

/* A leaf directory entries/xx/yy: pairs to fn, anything else to bad. */
static int walk_leaves(struct twalk *w, git_tree *t, const char *dir)
{
	size_t n = git_tree_entrycount(t);
	char path[256];
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(t, i), *pe;
		const char *name = git_tree_entry_name(te);
		/* the other file of the pair: "<id>.age" and ".minisig" */
		char other[LEAF_AGE_LEN + 9];
		uint8_t id[VG_ID_BYTES];
		struct blob age, sig;
		int is_sig;

		if (!leaf_name(id, &is_sig, dir, name)) {
			rc = w->bad(w->ctx, leaf_path(path, sizeof(path), dir, name),
				    "is not a file the layout allows");
			continue;
		}
		if (git_tree_entry_filemode(te) != GIT_FILEMODE_BLOB) {
			rc = w->bad(w->ctx, leaf_path(path, sizeof(path), dir, name),
				    "is not a regular file");
			continue;
		}
		memcpy(other, name, LEAF_AGE_LEN);
		if (is_sig) {
			other[LEAF_AGE_LEN] = '\0';
			pe = git_tree_entry_byname(t, other);
			if (pe == NULL || git_tree_entry_filemode(pe) != GIT_FILEMODE_BLOB)
				rc = w->bad(w->ctx, leaf_path(path, sizeof(path), dir, name),
					    "is a signature without its entry");
			continue; /* a good pair is read with its .age */
		}
		memcpy(other + LEAF_AGE_LEN, ".minisig", 9);
		pe = git_tree_entry_byname(t, other);
		if (pe == NULL || git_tree_entry_filemode(pe) != GIT_FILEMODE_BLOB) {
			rc = w->bad(w->ctx, leaf_path(path, sizeof(path), dir, name),
				    "has no signature file beside it");
			continue;
		}
		rc = walk_blob(w, &age, git_tree_entry_id(te), VG_REPO_BLOB_MAX, dir, name);
		if (rc == VG_ELIMIT || rc == VG_EFORMAT) {
			rc = w->bad(w->ctx, leaf_path(path, sizeof(path), dir, name),
				    vg_error_last());
			continue;
		}
		if (rc < 0)
			continue;
		rc = walk_blob(w, &sig, git_tree_entry_id(pe), VG_ENTRY_SIG_MAX, dir, other);
		if (rc == VG_ELIMIT || rc == VG_EFORMAT)
			rc = w->bad(w->ctx, leaf_path(path, sizeof(path), dir, other),
				    vg_error_last());
		else if (rc == 0)
			rc = w->fn(w->ctx, id, age.data, age.len, sig.data, sig.len);
		blob_free(&age);
		blob_free(&sig);
	}
	return rc;
}

/* depth 0: the root (only "entries"); 1: entries/ and 2: entries/xx/ (two hex digits). */
static int walk_dirs(struct twalk *w, git_tree *t, const char *dir, int depth)
{
	size_t n = git_tree_entrycount(t);
	char path[256];
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		const git_tree_entry *te = git_tree_entry_byindex(t, i);
		const char *name = git_tree_entry_name(te);
		git_tree *sub = NULL;
		bool ok = git_tree_entry_type(te) == GIT_OBJECT_TREE &&
			  (depth == 0 ? strcmp(name, "entries") == 0 : hex2(name));

		snprintf(path, sizeof(path), "%.20s%s%.200s", dir, *dir ? "/" : "", name);
		if (!ok) {
			rc = w->bad(w->ctx, path, "is not a file the layout allows");
			continue;
		}
		if (depth == 1 && w->dir != NULL) {
			rc = w->dir(w->ctx, path, git_tree_entry_id(te)->id);
			continue;
		}
		if (git_tree_lookup(&sub, w->r->git, git_tree_entry_id(te)) < 0) {
			rc = git_fail(VG_EFORMAT, "cannot read a directory");
			break;
		}
		rc = depth == 2 ? walk_leaves(w, sub, path) : walk_dirs(w, sub, path, depth + 1);
		git_tree_free(sub);
	}
	return rc;
}

static int walk_start(struct twalk *w, struct vg_repo *r)
{
	w->r = r;
	if (git_repository_odb(&w->odb, r->git) < 0)
		return git_fail(VG_EIO, "cannot open the object database");
	return 0;
}

int vg_repo_walk(struct vg_repo *r, const uint8_t commit[VG_REPO_OID_BYTES], vg_repo_pair_fn fn,
		 vg_repo_dir_fn dir, vg_repo_bad_fn bad, void *ctx)
{
	struct twalk w = {NULL, NULL, fn, dir, bad, ctx};
	git_tree *root = NULL;
	int rc;

	if ((rc = walk_start(&w, r)) < 0)
		return rc;
	if ((rc = commit_tree(r, &root, commit)) == 0)
		rc = walk_dirs(&w, root, "", 0);
	git_tree_free(root);
	git_odb_free(w.odb);
	return rc;
}

int vg_repo_walk_dir(struct vg_repo *r, const uint8_t tree[VG_REPO_OID_BYTES], const char *path,
		     vg_repo_pair_fn fn, vg_repo_bad_fn bad, void *ctx)
{
	struct twalk w = {NULL, NULL, fn, NULL, bad, ctx};
	git_tree *t = NULL;
	git_oid o;
	int rc;

	if ((rc = walk_start(&w, r)) < 0)
		return rc;
	memcpy(o.id, tree, VG_REPO_OID_BYTES);
	if (git_tree_lookup(&t, r->git, &o) < 0)
		rc = git_fail(VG_EFORMAT, "cannot read a directory");
	else
		rc = walk_dirs(&w, t, path, 2);
	git_tree_free(t);
	git_odb_free(w.odb);
	return rc;
}

/* The trees on the way to path in tree (its directories, deepest first) into pb. */
static int insert_path_dirs(git_packbuilder *pb, git_tree *tree, const char *path)
{
	char dir[1024];
	size_t len = strlen(path);

	if (len >= sizeof(dir))
		return vg_error_set(VG_EINVAL, "path too long");
	memcpy(dir, path, len + 1);
	for (char *slash = strrchr(dir, '/'); slash != NULL; slash = strrchr(dir, '/')) {
		git_tree_entry *te = NULL;
		int rc;

		*slash = '\0';
		rc = git_tree_entry_bypath(&te, tree, dir);
		if (rc == GIT_ENOTFOUND) /* a directory whose last file was removed */
			continue;
		if (rc < 0)
			return git_fail(VG_EIO, "cannot read a tree");
		rc = git_packbuilder_insert(pb, git_tree_entry_id(te), NULL);
		git_tree_entry_free(te);
		if (rc < 0)
			return git_fail(VG_EIO, "cannot add to the pack");
	}
	return 0;
}

/*
 * What commit adds to its parent's history, into pb: the commit, its root tree, every
 * tree on the path of a file added, changed or removed, and every new file. Only the
 * subtrees that differ are read (a diff of trees skips equal subtrees by id), so this
 * never walks the whole tree of the parent as libgit2's push does (FACTS.md).
 */
static int insert_commit_delta(git_repository *git, git_packbuilder *pb, git_commit *c)
{
	git_commit *parent = NULL;
	git_tree *tree = NULL, *ptree = NULL;
	git_diff *diff = NULL;
	git_diff_options opts;
	int rc = 0;

	if (git_diff_options_init(&opts, GIT_DIFF_OPTIONS_VERSION) < 0 ||
	    git_commit_tree(&tree, c) < 0 ||
	    (git_commit_parentcount(c) > 0 &&
	     (git_commit_parent(&parent, c, 0) < 0 || git_commit_tree(&ptree, parent) < 0)) ||
	    git_diff_tree_to_tree(&diff, git, ptree, tree, &opts) < 0) {
		rc = git_fail(VG_EIO, "cannot compare a commit with its parent");
		goto done;
	}
	if (git_packbuilder_insert(pb, git_commit_id(c), NULL) < 0 ||
	    git_packbuilder_insert(pb, git_tree_id(tree), NULL) < 0) {
		rc = git_fail(VG_EIO, "cannot add to the pack");
		goto done;
	}
	for (size_t i = 0, n = git_diff_num_deltas(diff); i < n && rc == 0; i++) {
		const git_diff_delta *d = git_diff_get_delta(diff, i);
		const git_diff_file *f =
		    d->status == GIT_DELTA_DELETED ? &d->old_file : &d->new_file;

		rc = insert_path_dirs(pb, tree, f->path);
		if (rc == 0 && d->status != GIT_DELTA_DELETED &&
		    git_packbuilder_insert(pb, &d->new_file.id, NULL) < 0)
			rc = git_fail(VG_EIO, "cannot add to the pack");
	}
done:
	git_diff_free(diff);
	git_tree_free(ptree);
	git_tree_free(tree);
	git_commit_free(parent);
	return rc;
}

int vg_repo__push_path(struct vg_repo *r, int *rejected, const char *remote, const char *ref,
		       const uint8_t *old)
{
	git_repository *rgit = NULL;
	git_revwalk *walk = NULL;
	git_packbuilder *pb = NULL;
	git_reference *newref = NULL;
	git_buf pack = {NULL, 0, 0};
	git_oid head, o, base;
	int rc = 0;

	*rejected = 0;
	if (git_reference_name_to_id(&head, r->git, ref) < 0)
		return git_fail(VG_EIO, "cannot read reference");
	if (git_revwalk_new(&walk, r->git) < 0 || git_packbuilder_new(&pb, r->git) < 0 ||
	    git_revwalk_push(walk, &head) < 0) {
		rc = git_fail(VG_EIO, "cannot walk the branch");
		goto done;
	}
	if (old != NULL) {
		memcpy(base.id, old, VG_REPO_OID_BYTES);
		if (git_revwalk_hide(walk, &base) < 0) {
			rc = git_fail(VG_EIO, "the remote's head is not known here");
			goto done;
		}
	}
	git_revwalk_sorting(walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_REVERSE);
	while ((rc = git_revwalk_next(&o, walk)) == 0) {
		git_commit *c = NULL;
		if (git_commit_lookup(&c, r->git, &o) < 0) {
			rc = git_fail(VG_EIO, "cannot read a commit");
			goto done;
		}
		rc = insert_commit_delta(r->git, pb, c);
		git_commit_free(c);
		if (rc < 0)
			goto done;
	}
	if (rc != GIT_ITEROVER) {
		rc = git_fail(VG_EIO, "cannot walk the branch");
		goto done;
	}
	rc = 0;
	if (git_repository_open_bare(&rgit, remote) < 0) {
		rc = git_fail(VG_ENOTFOUND, "cannot open the remote repository");
		goto done;
	}
	/* Not where old says already: rejected before anything is written. */
	rc = git_reference_name_to_id(&o, rgit, ref);
	if (rc < 0 && rc != GIT_ENOTFOUND) {
		rc = git_fail(VG_EIO, "cannot read the remote's branch");
		goto done;
	}
	if ((rc == 0) != (old != NULL) || (old != NULL && !git_oid_equal(&o, &base))) {
		*rejected = 1;
		rc = 0;
		goto done;
	}
	if (git_packbuilder_object_count(pb) > 0) {
		if (git_packbuilder_write_buf(&pack, pb) < 0) {
			rc = git_fail(VG_EIO, "cannot build the pack");
			goto done;
		}
		if ((rc = vg_repo__index_pack(git_repository_path(rgit), pack.ptr, pack.size)) < 0)
			goto done;
	}
	/* The objects are on the remote (fsync'd): move its branch, only from where it was. */
	rc = old != NULL
		 ? git_reference_create_matching(&newref, rgit, ref, &head, 1, &base, "vigil push")
		 : git_reference_create(&newref, rgit, ref, &head, 0, "vigil push");
	if (rc == GIT_EMODIFIED || rc == GIT_EEXISTS) {
		*rejected = 1;
		rc = 0;
	} else if (rc == GIT_ELOCKED) {
		/* Another writer holds the ref's lock this very moment: it is moving it. */
		*rejected = 2;
		rc = 0;
	} else if (rc < 0) {
		rc = git_fail(VG_EIO, "cannot update the remote's branch");
	}
done:
	git_buf_dispose(&pack);
	git_reference_free(newref);
	git_packbuilder_free(pb);
	git_revwalk_free(walk);
	git_repository_free(rgit);
	return rc;
}

int vg_repo__commit_files(struct vg_repo *r, uint8_t oid_out[VG_REPO_OID_BYTES], const char *ref,
			  const char *const *names, const struct vg_buf *const *files, size_t n)
{
	struct batch b;
	git_oid parent_oid, tree_oid, commit_oid, blob;
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_treebuilder *tb = NULL;
	int has_parent, rc;

	if ((rc = batch_open(&b, r->path)) < 0)
		goto done;
	rc = git_reference_name_to_id(&parent_oid, b.git, ref);
	if (rc < 0 && rc != GIT_ENOTFOUND) {
		rc = git_fail(VG_EIO, "cannot read reference");
		goto done;
	}
	has_parent = rc == 0;
	rc = 0;
	if (has_parent && git_commit_lookup(&parent, b.git, &parent_oid) < 0) {
		rc = git_fail(VG_EIO, "cannot read the branch head");
		goto done;
	}
	if (git_treebuilder_new(&tb, b.git, NULL) < 0) {
		rc = git_fail(VG_EIO, "cannot build a tree");
		goto done;
	}
	for (size_t i = 0; i < n; i++) {
		if ((rc = batch_put(&b, &blob, files[i]->ptr, files[i]->len, GIT_OBJECT_BLOB)) < 0)
			goto done;
		if (git_treebuilder_insert(NULL, tb, names[i], &blob, GIT_FILEMODE_BLOB) < 0 ||
		    git_packbuilder_insert(b.pb, &blob, NULL) < 0) {
			rc = git_fail(VG_EIO, "cannot build a tree");
			goto done;
		}
	}
	if (git_treebuilder_write(&tree_oid, tb) < 0 ||
	    git_tree_lookup(&tree, b.git, &tree_oid) < 0 ||
	    vg_repo__commit(b.git, &commit_oid, &tree_oid, has_parent ? &parent_oid : NULL) < 0 ||
	    git_packbuilder_insert(b.pb, &commit_oid, NULL) < 0 ||
	    git_packbuilder_insert(b.pb, &tree_oid, NULL) < 0) {
		rc = git_fail(VG_EIO, "cannot write the commit");
		goto done;
	}
	if ((rc = batch_commit(&b, r->path, ref, &commit_oid, has_parent ? &parent_oid : NULL,
			       "committing")) < 0)
		goto done;
	memcpy(oid_out, commit_oid.id, VG_REPO_OID_BYTES);
done:
	git_tree_free(tree);
	git_treebuilder_free(tb);
	git_commit_free(parent);
	batch_close(&b);
	return rc;
}

/* Deeper than refs/heads/members/<id> or refs/vigil/remote/members/<id>: a bound. */
#define LOCK_DEPTH_MAX 6

static bool is_lock_name(const char *n)
{
	size_t len = strlen(n);

	return len > 5 && strcmp(n + len - 5, ".lock") == 0;
}

static int unlink_lock(int dirfd, const char *name, unsigned *n)
{
	if (unlinkat(dirfd, name, 0) < 0) {
		if (errno == ENOENT)
			return 0;
		return vg_error_set(VG_EIO, "cannot remove the stale lock '%s': %s", name,
				    strerror(errno));
	}
	(*n)++;
	return 0;
}

/* Every "*.lock" regular file under the directory dirfd (not following links). */
static int clear_dir(int dirfd, int depth, unsigned *n)
{
	DIR *d;
	struct dirent *de;
	int rc = 0, fd;

	if (depth > LOCK_DEPTH_MAX || (fd = dup(dirfd)) < 0)
		return 0;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return 0;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		struct stat st;
		int sub;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 ||
		    fstatat(dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISREG(st.st_mode) && is_lock_name(de->d_name)) {
			rc = unlink_lock(dirfd, de->d_name, n);
		} else if (S_ISDIR(st.st_mode)) {
			sub = openat(dirfd, de->d_name,
				     O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub >= 0) {
				rc = clear_dir(sub, depth + 1, n);
				close(sub);
			}
		}
	}
	closedir(d);
	return rc;
}

int vg_repo__clear_locks(const char *path, unsigned *n)
{
	static const char *const top[] = {"config.lock", "packed-refs.lock", "HEAD.lock"};
	unsigned count = 0;
	int dirfd, refs, rc = 0;

	if ((dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		rc = errno == ENOENT
			 ? 0
			 : vg_error_set(VG_EIO, "cannot open '%s': %s", path, strerror(errno));
		goto done;
	}
	for (size_t i = 0; i < sizeof(top) / sizeof(top[0]) && rc == 0; i++)
		rc = unlink_lock(dirfd, top[i], &count);
	refs = openat(dirfd, "refs", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (rc == 0 && refs >= 0)
		rc = clear_dir(refs, 0, &count);
	if (refs >= 0)
		close(refs);
	close(dirfd);
done:
	if (n != NULL)
		*n = count;
	return rc;
}

int vg_repo__unlock_ref(const char *path, const char *ref, bool *removed)
{
	char lock[PATH_MAX];
	int n = snprintf(lock, sizeof(lock), "%s/%s.lock", path, ref);

	*removed = false;
	if (n < 0 || (size_t)n >= sizeof(lock))
		return vg_error_set(VG_EINVAL, "repository path too long");
	if (unlink(lock) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return vg_error_set(VG_EIO, "cannot remove the stale lock '%s': %s", lock,
				    strerror(errno));
	}
	*removed = true;
	return 0;
}

git_repository *vg_repo__git(struct vg_repo *r)
{
	return r->git;
}

int vg_repo__read_blob(struct vg_repo *r, git_blob **out, const git_oid *oid, size_t max,
		       const char *path)
{
	return read_blob(r, out, oid, max, path);
}

int vg_repo__fail(int code, const char *what)
{
	return git_fail(code, what);
}
