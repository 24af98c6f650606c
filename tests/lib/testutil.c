#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

extern char **environ;

int vgt_ci(void)
{
	const char *ci = getenv("CI");
	return ci != NULL && strcmp(ci, "true") == 0;
}

const char *vgt_shared_dir(void)
{
	const char *d = getenv("VIGIL_SHARED_DIR");
	struct stat st;

	if (d == NULL || stat(d, &st) != 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return d;
}

int vgt_have_tool(const char *tool)
{
	const char *path = getenv("PATH");
	char *copy, *dir, *save = NULL;
	int found = 0;

	if (path == NULL)
		return 0;
	copy = strdup(path);
	assert_non_null(copy);
	for (dir = strtok_r(copy, ":", &save); dir != NULL && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		char *p = vgt_path(dir, tool);
		found = access(p, X_OK) == 0;
		free(p);
	}
	free(copy);
	return found;
}

char *vgt_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *t;

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	t = vgt_path(base, "vigil-test-XXXXXX");
	assert_non_null(mkdtemp(t));
	return t;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(p);
}

void vgt_rmrf(const char *dir)
{
	if (dir != NULL)
		nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *vgt_path(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p = malloc(n);
	assert_non_null(p);
	snprintf(p, n, "%s/%s", dir, name);
	return p;
}

void vgt_write_file(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

void vgt_read_file(struct vg_buf *out, const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t chunk[4096];
	size_t n;

	if (f == NULL)
		fail_msg("cannot open '%s': %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(vg_buf_put(out, chunk, n), 0);
	fclose(f);
}

int vgt_run(const char *const argv[], const void *stdin_data, size_t stdin_len, struct vg_buf *out,
	    struct vg_buf *err)
{
	int in[2], o[2], e[2], status;
	posix_spawn_file_actions_t fa;
	pid_t pid;
	size_t off = 0;
	struct pollfd pfd[3];

	if (pipe2(in, O_CLOEXEC) < 0 || pipe2(o, O_CLOEXEC) < 0 || pipe2(e, O_CLOEXEC) < 0)
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, o[1], 1);
	posix_spawn_file_actions_adddup2(&fa, e[1], 2);
	if (posix_spawnp(&pid, argv[0], &fa, NULL, (char *const *)argv, environ) != 0) {
		posix_spawn_file_actions_destroy(&fa);
		return -1;
	}
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(o[1]);
	close(e[1]);
	signal(SIGPIPE, SIG_IGN);
	if (stdin_data == NULL || stdin_len == 0) {
		close(in[1]);
		in[1] = -1;
	}
	pfd[0] = (struct pollfd){.fd = in[1], .events = POLLOUT};
	pfd[1] = (struct pollfd){.fd = o[0], .events = POLLIN};
	pfd[2] = (struct pollfd){.fd = e[0], .events = POLLIN};
	while (pfd[0].fd >= 0 || pfd[1].fd >= 0 || pfd[2].fd >= 0) {
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].fd >= 0 && (pfd[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t n =
			    write(in[1], (const uint8_t *)stdin_data + off, stdin_len - off);
			if (n > 0)
				off += (size_t)n;
			if (n < 0 || off == stdin_len) {
				close(in[1]);
				pfd[0].fd = -1;
			}
		}
		for (int i = 1; i < 3; i++) {
			if (pfd[i].fd >= 0 && (pfd[i].revents & (POLLIN | POLLHUP | POLLERR))) {
				uint8_t chunk[4096];
				ssize_t n = read(pfd[i].fd, chunk, sizeof(chunk));
				struct vg_buf *dst = i == 1 ? out : err;
				if (n <= 0) {
					close(pfd[i].fd);
					pfd[i].fd = -1;
				} else if (dst != NULL) {
					assert_int_equal(vg_buf_put(dst, chunk, (size_t)n), 0);
				}
			}
		}
	}
	if (waitpid(pid, &status, 0) < 0)
		return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + WTERMSIG(status);
}
