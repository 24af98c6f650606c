/*
 * A roster directory (common/FORMAT.md 11.1): the newest version at the top for stock
 * tools, every version under versions/<n>/ for verifiers, and org.pub.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "vigil/error.h"
#include "vigil/fs.h"
#include "vigil/home.h"
#include "vigil/roster.h"

#define ROSTER_FILE "roster.json"
#define SIG_FILE    "roster.json.minisig"
#define ORG_FILE    "org.pub"
#define VERSIONS    "versions"
#define ORG_PUB_MAX 4096

static int path_of(char *out, const char *dir, const char *a, const char *b)
{
	int n = b != NULL ? snprintf(out, PATH_MAX, "%s/%s/%s", dir, a, b)
			  : snprintf(out, PATH_MAX, "%s/%s", dir, a);

	if (n < 0 || n >= PATH_MAX)
		return vg_error_set(VG_EINVAL, "path too long under '%s'", dir);
	return 0;
}

static int version_path(char *out, const char *dir, uint64_t v, const char *file)
{
	int n = file != NULL
		    ? snprintf(out, PATH_MAX, "%s/" VERSIONS "/%llu/%s", dir, (unsigned long long)v,
			       file)
		    : snprintf(out, PATH_MAX, "%s/" VERSIONS "/%llu", dir, (unsigned long long)v);

	if (n < 0 || n >= PATH_MAX)
		return vg_error_set(VG_EINVAL, "path too long under '%s'", dir);
	return 0;
}

/* Both files of version v (or of the top level when v is 0) into json and sig. */
static int read_pair(struct vg_buf *json, struct vg_buf *sig, const char *dir, uint64_t v)
{
	char pj[PATH_MAX], ps[PATH_MAX];
	int rc;

	vg_buf_clear(json);
	vg_buf_clear(sig);
	if (v == 0) {
		if ((rc = path_of(pj, dir, ROSTER_FILE, NULL)) < 0 ||
		    (rc = path_of(ps, dir, SIG_FILE, NULL)) < 0)
			return rc;
	} else if ((rc = version_path(pj, dir, v, ROSTER_FILE)) < 0 ||
		   (rc = version_path(ps, dir, v, SIG_FILE)) < 0) {
		return rc;
	}
	if ((rc = vg_fs_read_file(json, pj, VG_ROSTER_JSON_MAX)) < 0 ||
	    (rc = vg_fs_read_file(sig, ps, VG_ROSTER_SIG_MAX)) < 0)
		return rc;
	return 0;
}

/* The newest n with versions/1 .. versions/n all present; 0 when there is no versions/1. */
static int count_versions(uint64_t *out, const char *dir)
{
	char p[PATH_MAX];
	struct stat st;
	uint64_t n = 0;
	DIR *d;
	struct dirent *de;
	int rc = 0;

	*out = 0;
	for (;;) {
		if ((rc = version_path(p, dir, n + 1, NULL)) < 0)
			return rc;
		if (lstat(p, &st) < 0) {
			if (errno != ENOENT)
				return vg_error_sys("cannot read '%s'", p);
			break;
		}
		if (!S_ISDIR(st.st_mode))
			return vg_error_set(VG_EFORMAT, "'%s' is not a directory", p);
		n++;
	}
	/* Nothing else may be there: a later version after a gap would go unseen. */
	if ((rc = path_of(p, dir, VERSIONS, NULL)) < 0)
		return rc;
	if ((d = opendir(p)) == NULL) {
		if (errno == ENOENT)
			return 0;
		return vg_error_sys("cannot read '%s'", p);
	}
	while ((de = readdir(d)) != NULL) {
		char *end;
		unsigned long long v;
		if (de->d_name[0] == '.')
			continue; /* ".", "..", and an interrupted write's temporary directory */
		errno = 0;
		v = strtoull(de->d_name, &end, 10);
		if (*end != '\0' || errno != 0 || de->d_name[0] == '0' || v < 1 || v > n) {
			rc = vg_error_set(VG_EFORMAT,
					  "'%s/%.64s' is not one of roster versions 1 to %llu", p,
					  de->d_name, (unsigned long long)n);
			break;
		}
	}
	closedir(d);
	if (rc == 0)
		*out = n;
	return rc;
}

static bool same(const struct vg_buf *a, const struct vg_buf *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->ptr, b->ptr, a->len) == 0);
}

/*
 * A write of version n killed after versions/<n> was renamed into place and before both
 * top-level files were replaced (FORMAT.md 11.1): each of them is version n's or n - 1's.
 * The versions are what was verified; the top-level pair is their copy, finished here.
 */
static int finish_top(const char *dir, const struct vg_buf *json, const struct vg_buf *sig,
		      const struct vg_buf *pjson, const struct vg_buf *psig,
		      const struct vg_buf *top, const struct vg_buf *topsig)
{
	char p[PATH_MAX];
	int rc;

	if (pjson->len == 0 || !(same(top, json) || same(top, pjson)) ||
	    !(same(topsig, sig) || same(topsig, psig)))
		return VG_EMISMATCH;
	if ((rc = path_of(p, dir, ROSTER_FILE, NULL)) < 0 ||
	    (rc = vg_fs_write_atomic(p, json->ptr, json->len, 0644, 0)) < 0 ||
	    (rc = path_of(p, dir, SIG_FILE, NULL)) < 0 ||
	    (rc = vg_fs_write_atomic(p, sig->ptr, sig->len, 0644, 0)) < 0)
		return rc;
	return 0;
}

int vg_roster_dir_load(struct vg_roster_set *s, const char *dir, struct vg_roster_changes *changes)
{
	struct vg_buf json = VG_BUF_INIT, sig = VG_BUF_INIT, top = VG_BUF_INIT,
		      topsig = VG_BUF_INIT, pjson = VG_BUF_INIT, psig = VG_BUF_INIT;
	struct vg_roster_changes ch, sum;
	const struct vg_roster *held = vg_roster_set_current(s);
	uint64_t before = held != NULL ? held->version : 0, n;
	int rc;

	memset(&sum, 0, sizeof(sum));
	if (changes != NULL)
		*changes = sum;
	if ((rc = count_versions(&n, dir)) < 0)
		goto done;
	if (n == 0) {
		rc = vg_error_set(VG_ENOTFOUND, "no roster in '%s' (no " VERSIONS "/1)", dir);
		goto done;
	}
	if (n < before) {
		rc = vg_error_set(VG_EROLLBACK,
				  "'%s' holds roster versions up to %llu, older than version %llu, "
				  "already verified (a rollback)",
				  dir, (unsigned long long)n, (unsigned long long)before);
		goto done;
	}
	for (uint64_t v = 1; v <= n; v++) {
		/* Version v - 1's files, kept for finish_top. */
		if (v == n && ((rc = vg_buf_put(&pjson, json.ptr, json.len)) < 0 ||
			       (rc = vg_buf_put(&psig, sig.ptr, sig.len)) < 0))
			goto done;
		if ((rc = read_pair(&json, &sig, dir, v)) < 0 ||
		    (rc = vg_roster_set_add(s, json.ptr, json.len, (const char *)sig.ptr, sig.len,
					    &ch)) < 0) {
			vg_error_prefix(rc, "roster version %llu", (unsigned long long)v);
			goto done;
		}
		sum.coordinators_added += ch.coordinators_added;
		sum.members_added += ch.members_added;
		sum.revoked += ch.revoked;
		sum.late_added += ch.late_added;
	}
	if ((rc = read_pair(&top, &topsig, dir, 0)) < 0)
		goto done;
	if ((!same(&top, &json) || !same(&topsig, &sig)) &&
	    (rc = finish_top(dir, &json, &sig, &pjson, &psig, &top, &topsig)) != VG_EMISMATCH) {
		if (rc < 0)
			goto done;
	} else if (!same(&top, &json) || !same(&topsig, &sig)) {
		rc = vg_error_set(VG_EMISMATCH,
				  "'%s/" ROSTER_FILE "' and its signature are not the newest "
				  "version (" VERSIONS "/%llu)",
				  dir, (unsigned long long)n);
		goto done;
	}
	if (changes != NULL)
		*changes = sum;
done:
	vg_buf_release(&pjson);
	vg_buf_release(&psig);
	vg_buf_release(&json);
	vg_buf_release(&sig);
	vg_buf_release(&top);
	vg_buf_release(&topsig);
	return rc;
}

int vg_roster_dir_org(struct vg_minisign_pk *out, const char *dir)
{
	struct vg_buf b = VG_BUF_INIT;
	char p[PATH_MAX];
	int rc;

	if ((rc = path_of(p, dir, ORG_FILE, NULL)) < 0)
		return rc;
	if ((rc = vg_fs_read_file(&b, p, ORG_PUB_MAX)) == 0 &&
	    (rc = vg_minisign_pk_parse(out, (const char *)b.ptr, b.len)) < 0)
		vg_error_prefix(rc, "'%s'", p);
	vg_buf_release(&b);
	return rc;
}

int vg_roster_dir_write(const char *dir, uint64_t version, const uint8_t *json, size_t jlen,
			const char *sig, size_t siglen, const struct vg_minisign_pk *org)
{
	char versions[PATH_MAX], final[PATH_MAX], tmp[PATH_MAX], p[PATH_MAX];
	struct vg_buf pub = VG_BUF_INIT;
	uint8_t rnd[8];
	char rhex[17];
	struct stat st;
	int rc, n, made = 0;

	if (version < 1 || version > VG_ENTRY_INT_MAX)
		return vg_error_set(VG_EINVAL, "bad roster version");
	if ((rc = path_of(versions, dir, VERSIONS, NULL)) < 0 ||
	    (rc = version_path(final, dir, version, NULL)) < 0 ||
	    (rc = vg_mkdir_p(versions, 0700)) < 0)
		return rc;
	if (lstat(final, &st) == 0)
		return vg_error_set(VG_EEXISTS, "roster version %llu already exists in '%s'",
				    (unsigned long long)version, dir);
	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(rhex, sizeof(rhex), rnd, sizeof(rnd));
	n = snprintf(tmp, sizeof(tmp), "%s/.tmp-%llu-%s", versions, (unsigned long long)version,
		     rhex);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return vg_error_set(VG_EINVAL, "path too long under '%s'", dir);
	if (mkdir(tmp, 0700) < 0)
		return vg_error_sys("cannot create '%s'", tmp);
	made = 1;
	if ((rc = path_of(p, tmp, ROSTER_FILE, NULL)) < 0 ||
	    (rc = vg_fs_write_atomic(p, json, jlen, 0644, 1)) < 0 ||
	    (rc = path_of(p, tmp, SIG_FILE, NULL)) < 0 ||
	    (rc = vg_fs_write_atomic(p, sig, siglen, 0644, 1)) < 0)
		goto done;
	/* A directory renames onto a missing name only: a concurrent writer loses here. */
	if (rename(tmp, final) < 0) {
		rc = errno == EEXIST || errno == ENOTEMPTY
			 ? vg_error_set(VG_EEXISTS, "roster version %llu already exists in '%s'",
					(unsigned long long)version, dir)
			 : vg_error_sys("cannot rename '%s' to '%s'", tmp, final);
		goto done;
	}
	made = 0;
	if ((rc = vg_fs_sync_parent(final)) < 0 || (rc = path_of(p, dir, ROSTER_FILE, NULL)) < 0 ||
	    (rc = vg_fs_write_atomic(p, json, jlen, 0644, 0)) < 0 ||
	    (rc = path_of(p, dir, SIG_FILE, NULL)) < 0 ||
	    (rc = vg_fs_write_atomic(p, sig, siglen, 0644, 0)) < 0 ||
	    (rc = path_of(p, dir, ORG_FILE, NULL)) < 0)
		goto done;
	if (lstat(p, &st) < 0 && org != NULL) {
		if ((rc = vg_minisign_pk_write(&pub, org)) < 0 ||
		    (rc = vg_fs_write_atomic(p, pub.ptr, pub.len, 0644, 1)) < 0)
			goto done;
	}
done:
	if (made) {
		char q[PATH_MAX];
		if (path_of(q, tmp, ROSTER_FILE, NULL) == 0)
			unlink(q);
		if (path_of(q, tmp, SIG_FILE, NULL) == 0)
			unlink(q);
		rmdir(tmp);
	}
	vg_buf_release(&pub);
	return rc;
}
