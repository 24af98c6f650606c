#include <stdlib.h>
#include <string.h>

#include <git2.h>

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

int vg_repo_append(struct vg_repo *r, uint8_t oid_out[VG_REPO_OID_BYTES], const char *ref,
		   const struct vg_entry *const *entries, size_t n)
{
	git_oid parent_oid, tree_oid, commit_oid;
	git_commit *parent = NULL;
	git_tree *base = NULL, *tree = NULL;
	git_signature *sig = NULL;
	git_reference *newref = NULL;
	git_tree_update *up = NULL;
	char(*paths)[96] = NULL;
	int has_parent, rc = 0;

	if (n == 0 || n > SIZE_MAX / 2 / sizeof(*up))
		return vg_error_set(VG_EINVAL, "nothing to append");
	rc = git_reference_name_to_id(&parent_oid, r->git, ref);
	if (rc < 0 && rc != GIT_ENOTFOUND)
		return git_fail(VG_EIO, "cannot read reference");
	has_parent = rc == 0;
	rc = 0;
	if (has_parent) {
		if (git_commit_lookup(&parent, r->git, &parent_oid) < 0 ||
		    git_commit_tree(&base, parent) < 0) {
			rc = git_fail(VG_EIO, "cannot read the branch head");
			goto done;
		}
	} else {
		git_treebuilder *tb = NULL;
		git_oid empty;
		if (git_treebuilder_new(&tb, r->git, NULL) < 0 ||
		    git_treebuilder_write(&empty, tb) < 0 ||
		    git_tree_lookup(&base, r->git, &empty) < 0) {
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
			const struct vg_buf *b = s ? &entries[i]->sig : &entries[i]->age;
			git_tree_entry *existing = NULL;

			entry_path(paths[k], sizeof(paths[k]), entries[i]->id, s);
			if (git_tree_entry_bypath(&existing, base, paths[k]) == 0) {
				git_tree_entry_free(existing);
				rc = vg_error_set(VG_EEXISTS, "entry already in the repository");
				goto done;
			}
			if (git_blob_create_from_buffer(&up[k].id, r->git, b->ptr, b->len) < 0) {
				rc = git_fail(VG_EIO, "cannot write an entry");
				goto done;
			}
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
	if (git_tree_create_updated(&tree_oid, r->git, base, 2 * n, up) < 0 ||
	    git_tree_lookup(&tree, r->git, &tree_oid) < 0) {
		rc = git_fail(VG_EIO, "cannot write the tree");
		goto done;
	}
	if (git_signature_new(&sig, "vigil", "vigil@invalid", 0, 0) < 0 ||
	    git_commit_create(&commit_oid, r->git, NULL, sig, sig, NULL, "", tree,
			      has_parent ? 1 : 0, (const git_commit **)&parent) < 0) {
		rc = git_fail(VG_EIO, "cannot write the commit");
		goto done;
	}
	/* Move the branch only from where it was: one writer per branch. */
	rc = has_parent
		 ? git_reference_create_matching(&newref, r->git, ref, &commit_oid, 1, &parent_oid,
						 "vigil append")
		 : git_reference_create(&newref, r->git, ref, &commit_oid, 0, "vigil append");
	if (rc < 0) {
		rc = rc == GIT_EMODIFIED || rc == GIT_EEXISTS
			 ? vg_error_set(VG_EEXISTS, "branch moved while appending")
			 : git_fail(VG_EIO, "cannot update the branch");
		goto done;
	}
	rc = 0;
	memcpy(oid_out, commit_oid.id, VG_REPO_OID_BYTES);
done:
	git_reference_free(newref);
	git_signature_free(sig);
	git_tree_free(tree);
	git_tree_free(base);
	git_commit_free(parent);
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
