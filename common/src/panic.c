#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "vigil/error.h"
#include "vigil/fs.h"
#include "vigil/id.h"
#include "vigil/panic.h"
#include "vigil/store.h"

/* Deeper than any directory vigil makes; a bound on a hostile tree. */
#define WALK_DEPTH_MAX 8
/* Key files are a few KiB; a larger "key" file is overwritten up to here, then unlinked. */
#define OVERWRITE_MAX (16u * 1024 * 1024)

static int sync_dir(int dirfd)
{
	if (fsync(dirfd) < 0 && errno != EINVAL)
		return vg_error_set(VG_EIO, "cannot sync a directory: %s", strerror(errno));
	return 0;
}

/* The process pid is this user's vigild (not a recycled pid of something else). */
static bool is_our_vigild(pid_t pid)
{
	char path[64], exe[PATH_MAX];
	const char *base;
	struct stat st;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%ld", (long)pid);
	if (stat(path, &st) < 0 || st.st_uid != geteuid())
		return false;
	snprintf(path, sizeof(path), "/proc/%ld/exe", (long)pid);
	if ((n = readlink(path, exe, sizeof(exe) - 1)) <= 0)
		return false;
	exe[n] = '\0';
	base = strrchr(exe, '/');
	base = base != NULL ? base + 1 : exe;
	/* A binary replaced since it started reads "vigild (deleted)". */
	return strcmp(base, "vigild") == 0 || strncmp(base, "vigild (deleted)", 16) == 0;
}

static bool gone(pid_t pid)
{
	char path[64], buf[512];
	FILE *f;
	const char *p;
	bool dead = true;

	snprintf(path, sizeof(path), "/proc/%ld/stat", (long)pid);
	if ((f = fopen(path, "r")) == NULL)
		return true;
	if (fgets(buf, sizeof(buf), f) != NULL && (p = strrchr(buf, ')')) != NULL && p[1] == ' ')
		dead = p[2] == 'Z' || p[2] == 'X'; /* a zombie's memory is released */
	fclose(f);
	return dead;
}

static bool kill_daemon(const struct vg_home *h)
{
	char path[PATH_MAX], buf[32];
	ssize_t n;
	long pid;
	int fd;

	if (vg_home_path(path, sizeof(path), h->data, "vigild.lock") < 0 ||
	    (fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	pid = strtol(buf, NULL, 10);
	/* The daemon itself panics after a duress passphrase: it is stopping anyway. */
	if (pid <= 1 || pid > INT_MAX || pid == (long)getpid() || !is_our_vigild((pid_t)pid))
		return false;
	if (kill((pid_t)pid, SIGKILL) < 0)
		return false;
	/* At most a second: SIGKILL cannot be caught, only a process in D state lingers. */
	for (int i = 0; i < 200 && !gone((pid_t)pid); i++)
		nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
	return true;
}

/* A sealed key file (FORMAT.md 6) or a passphrase-encrypted age identity (FORMAT.md 14). */
static bool is_key_material(int dirfd, const char *name)
{
	static const char age_scrypt[] = "age-encryption.org/v1\n-> scrypt ";
	char head[64];
	ssize_t n;
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return false;
	n = read(fd, head, sizeof(head));
	close(fd);
	if (n < 8)
		return false;
	if (memcmp(head, "VIGILKEY", 8) == 0)
		return true;
	return (size_t)n >= sizeof(age_scrypt) - 1 &&
	       memcmp(head, age_scrypt, sizeof(age_scrypt) - 1) == 0;
}

/*
 * Rename (unless already renamed by an earlier panic), overwrite with random bytes, fsync,
 * unlink, fsync the directory.
 */
static int shred(int dirfd, const char *name, unsigned *count)
{
	char tmp[NAME_MAX + 1], hex[17];
	uint8_t rnd[8], buf[4096];
	const char *victim = name;
	struct stat st;
	off_t left;
	int fd = -1, rc = 0;

	if (strncmp(name, VG_PANIC_SHRED_PREFIX, strlen(VG_PANIC_SHRED_PREFIX)) != 0) {
		randombytes_buf(rnd, sizeof(rnd));
		vg_hex_encode(hex, rnd, sizeof(rnd));
		snprintf(tmp, sizeof(tmp), "%s%s", VG_PANIC_SHRED_PREFIX, hex);
		if (renameat(dirfd, name, dirfd, tmp) < 0)
			return vg_error_set(VG_EIO, "cannot rename '%s' to destroy it: %s", name,
					    strerror(errno));
		if ((rc = sync_dir(dirfd)) < 0)
			return rc;
		victim = tmp;
	}
	fd = openat(dirfd, victim, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
		left = st.st_size < (off_t)OVERWRITE_MAX ? st.st_size : (off_t)OVERWRITE_MAX;
		while (left > 0) {
			size_t chunk = left < (off_t)sizeof(buf) ? (size_t)left : sizeof(buf);
			ssize_t w;
			randombytes_buf(buf, chunk);
			if ((w = write(fd, buf, chunk)) <= 0)
				break; /* a full disk: the unlink below still destroys the name */
			left -= w;
		}
		if (fsync(fd) < 0 && errno != EINVAL)
			rc = vg_error_set(VG_EIO, "cannot sync '%s': %s", name, strerror(errno));
	}
	if (fd >= 0)
		close(fd);
	if (unlinkat(dirfd, victim, 0) < 0 && errno != ENOENT)
		return vg_error_set(VG_EIO, "cannot remove '%s': %s", name, strerror(errno));
	if (rc == 0)
		rc = sync_dir(dirfd);
	(*count)++;
	return rc;
}

/*
 * Destroy every key file under dir (not following symbolic links; the git repository and
 * the socket directory hold none and are skipped). *remaining counts what is left when
 * dry is set (the final check) instead of destroying it.
 */
static int walk(int dirfd, int depth, bool dry, unsigned *count)
{
	DIR *d;
	struct dirent *de;
	int rc = 0, fd;

	if (depth > WALK_DEPTH_MAX || (fd = dup(dirfd)) < 0 || (d = fdopendir(fd)) == NULL)
		return 0;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		struct stat st;
		const char *n = de->d_name;

		if (strcmp(n, ".") == 0 || strcmp(n, "..") == 0 ||
		    fstatat(dirfd, n, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			int sub;
			if (strcmp(n, "repo.git") == 0 || strcmp(n, "run") == 0)
				continue;
			if ((sub = openat(dirfd, n,
					  O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
				continue;
			rc = walk(sub, depth + 1, dry, count);
			close(sub);
		} else if (S_ISREG(st.st_mode) &&
			   (strncmp(n, VG_PANIC_SHRED_PREFIX, strlen(VG_PANIC_SHRED_PREFIX)) == 0 ||
			    strcmp(n, "vault.key") == 0 || is_key_material(dirfd, n))) {
			if (dry)
				(*count)++;
			else
				rc = shred(dirfd, n, count);
		}
	}
	closedir(d);
	return rc;
}

static int walk_path(const char *path, bool dry, unsigned *count)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), rc;

	if (fd < 0)
		return errno == ENOENT
			   ? 0
			   : vg_error_set(VG_EIO, "cannot open '%s': %s", path, strerror(errno));
	rc = walk(fd, 0, dry, count);
	close(fd);
	return rc;
}

static int remove_file(const char *dir, const char *name)
{
	char path[PATH_MAX];
	int rc;

	if ((rc = vg_home_path(path, sizeof(path), dir, name)) < 0)
		return rc;
	if (unlink(path) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 0;
		return vg_error_set(VG_EIO, "cannot remove '%s': %s", path, strerror(errno));
	}
	return vg_fs_sync_parent(path);
}

int vg_panic(struct vg_panic_report *out, const struct vg_home *h)
{
	struct vg_store *s = NULL;
	char path[PATH_MAX];
	unsigned left = 0;
	int rc, first = 0;

	memset(out, 0, sizeof(*out));
	out->daemon_killed = kill_daemon(h);

	/* The vault first: from the rename on, the device's keys are gone for vigil. */
	if ((rc = walk_path(h->data, false, &out->key_files)) < 0)
		first = rc;
	if ((rc = walk_path(h->config, false, &out->key_files)) < 0 && first == 0)
		first = rc;

	if ((rc = vg_home_path(path, sizeof(path), h->data, "store.db")) < 0)
		return rc;
	if (access(path, F_OK) == 0) {
		if (vg_store_open(&s, path) < 0 ||
		    vg_store_shred(s, &out->file_keys, &out->drafts) < 0)
			/* Without the vault key its wrapped keys open nothing; say so. */
			out->store_unreadable = true;
		vg_store_close(s);
	}

	if ((rc = remove_file(h->data, "identity.pub")) < 0 && first == 0)
		first = rc;
	if ((rc = remove_file(h->config, "org-key-path")) < 0 && first == 0)
		first = rc;
	if (first < 0)
		return first;

	/* Never "done" while a usable key remains. */
	if ((rc = walk_path(h->data, true, &left)) < 0 ||
	    (rc = walk_path(h->config, true, &left)) < 0)
		return rc;
	if (left > 0)
		return vg_error_set(VG_EIO, "%u key files remain: run 'vigil panic' again", left);
	return 0;
}
