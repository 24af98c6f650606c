#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "vigil/error.h"
#include "vigil/fs.h"

static int split_dir(char *dir, size_t dirsz, const char *path)
{
	const char *slash = strrchr(path, '/');
	int n;

	if (slash == NULL)
		n = snprintf(dir, dirsz, ".");
	else if (slash == path)
		n = snprintf(dir, dirsz, "/");
	else
		n = snprintf(dir, dirsz, "%.*s", (int)(slash - path), path);
	if (n < 0 || (size_t)n >= dirsz)
		return vg_error_set(VG_EINVAL, "path too long '%s'", path);
	return 0;
}

int vg_fs_sync_parent(const char *path)
{
	char dir[PATH_MAX];
	int fd, rc;

	if ((rc = split_dir(dir, sizeof(dir), path)) < 0)
		return rc;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return vg_error_sys("cannot open directory '%s'", dir);
	if (fsync(fd) < 0) {
		rc = vg_error_sys("cannot sync directory '%s'", dir);
		close(fd);
		return rc;
	}
	close(fd);
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int vg_fs_write_atomic(const char *path, const void *data, size_t len, mode_t mode, int exclusive)
{
	char tmp[PATH_MAX];
	uint8_t rnd[8];
	char hex[17];
	int fd = -1, rc = 0, n;
	struct stat st;

	randombytes_buf(rnd, sizeof(rnd));
	sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
	n = snprintf(tmp, sizeof(tmp), "%s.tmp-%s", path, hex);
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return vg_error_set(VG_EINVAL, "path too long '%s'", path);
	if (exclusive && lstat(path, &st) == 0)
		return vg_error_set(VG_EEXISTS, "'%s' already exists", path);

	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0)
		return vg_error_sys("cannot create '%s'", tmp);
	if (write_all(fd, data, len) < 0) {
		rc = vg_error_sys("cannot write '%s'", tmp);
		goto done;
	}
	if (fsync(fd) < 0) {
		rc = vg_error_sys("cannot sync '%s'", tmp);
		goto done;
	}
	if (close(fd) < 0) {
		fd = -1;
		rc = vg_error_sys("cannot close '%s'", tmp);
		goto done;
	}
	fd = -1;
	if (exclusive) {
		/* link() fails when path exists, closing the race of the lstat above. */
		if (link(tmp, path) < 0) {
			rc = errno == EEXIST ? vg_error_set(VG_EEXISTS, "'%s' already exists", path)
					     : vg_error_sys("cannot create '%s'", path);
			goto done;
		}
		unlink(tmp);
	} else if (rename(tmp, path) < 0) {
		rc = vg_error_sys("cannot rename '%s' to '%s'", tmp, path);
		goto done;
	}
	rc = vg_fs_sync_parent(path);
	return rc;
done:
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return rc;
}

int vg_fs_read_file(struct vg_buf *out, const char *path, size_t max)
{
	struct stat st;
	int fd, rc = 0;
	size_t got = 0;

	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return vg_error_set(VG_ENOTFOUND, "cannot open '%s': %s", path,
					    strerror(errno));
		return vg_error_sys("cannot open '%s'", path);
	}
	if (fstat(fd, &st) < 0) {
		rc = vg_error_sys("cannot stat '%s'", path);
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = vg_error_set(VG_EINVAL, "'%s' is not a regular file", path);
		goto done;
	}
	if ((uintmax_t)st.st_size > max) {
		rc = vg_error_set(VG_ELIMIT, "'%s' is larger than %zu bytes", path, max);
		goto done;
	}
	for (;;) {
		ssize_t n;
		if ((rc = vg_buf_grow(out, 4096)) < 0)
			goto done;
		n = read(fd, out->ptr + out->len, out->cap - out->len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = vg_error_sys("cannot read '%s'", path);
			goto done;
		}
		if (n == 0)
			break;
		got += (size_t)n;
		if (got > max) {
			rc = vg_error_set(VG_ELIMIT, "'%s' is larger than %zu bytes", path, max);
			goto done;
		}
		out->len += (size_t)n;
		out->ptr[out->len] = '\0';
	}
done:
	close(fd);
	return rc;
}
