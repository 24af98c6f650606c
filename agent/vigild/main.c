/*
 * vigild: holds one identity home's unlocked keys and answers on its UNIX socket.
 *
 *   vigild [--foreground] [--home DIR]
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"
#include "vigil/cli.h"
#include "vigil/error.h"
#include "vigil/harden.h"
#include "vigil/vigil.h"

#define LOG_ROTATE_BYTES (1024 * 1024)

static const char usage[] =
    "usage: vigild [--foreground] [--home DIR]\n"
    "\n"
    "The vigil daemon: holds this home's unlocked keys and answers 'vigil' on the socket\n"
    "<run>/vigild.sock. 'vigil' starts it on demand; under systemd it is socket-activated.\n"
    "\n"
    "  --foreground  stay attached to the terminal and log to standard error\n"
    "  --home DIR    data, config and socket directory under DIR (or VIGIL_HOME)\n";

/* Sockets systemd passed to this very process (LISTEN_PID, LISTEN_FDS), else 0. */
static int listen_fds(void)
{
	const char *pid = getenv("LISTEN_PID"), *fds = getenv("LISTEN_FDS");
	char *end;
	long p, n;

	if (pid == NULL || fds == NULL)
		return 0;
	p = strtol(pid, &end, 10);
	if (*end != '\0' || p != (long)getpid())
		return 0;
	n = strtol(fds, &end, 10);
	if (*end != '\0' || n < 0 || n > 64)
		return 0;
	return (int)n;
}

/*
 * Descriptors 0-2 open (on /dev/null when closed, so that no socket becomes "stdout"),
 * and nothing else inherited survives: a client's --passphrase-fd, pipes of a shell.
 */
static void clean_fds(int keep_from_3)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) < 0 && errno == EBADF) {
			int n = open("/dev/null", O_RDWR);
			if (n >= 0 && n != fd) {
				dup2(n, fd);
				close(n);
			}
		}
	}
	if (close_range(3 + (unsigned)keep_from_3, ~0U, 0) < 0) {
		for (int fd = 3 + keep_from_3; fd < 1024; fd++)
			close(fd);
	}
}

static int open_log(const struct vg_agent *a, int *out)
{
	char old[PATH_MAX + 8];
	struct stat st;
	int fd;

	*out = -1;
	if (lstat(a->log_path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > LOG_ROTATE_BYTES &&
	    snprintf(old, sizeof(old), "%s.old", a->log_path) < (int)sizeof(old))
		rename(a->log_path, old);
	fd = open(a->log_path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return vg_error_sys("cannot open log '%s'", a->log_path);
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != a->uid) {
		close(fd);
		return vg_error_set(VG_EUNSUPPORTED,
				    "log '%s' is not a regular file of uid %u: refusing it",
				    a->log_path, (unsigned)a->uid);
	}
	*out = fd;
	return 0;
}

/*
 * Leave the terminal: the parent exits once the socket is listening (so 'vigil' can
 * connect as soon as it returns); the child starts a new session with stdin and stdout on
 * /dev/null and stderr on the log, so whatever a library prints lands there too.
 */
static int detach(struct vg_agent *a)
{
	int log = -1, null, rc;
	pid_t pid;

	if ((rc = open_log(a, &log)) < 0)
		return rc;
	null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0) {
		rc = vg_error_sys("cannot open /dev/null");
		close(log);
		return rc;
	}
	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		rc = vg_error_sys("cannot fork");
		close(log);
		close(null);
		return rc;
	}
	if (pid > 0)
		_exit(0); /* the child holds the lock and the socket now */
	setsid();
	dup2(null, STDIN_FILENO);
	dup2(null, STDOUT_FILENO);
	dup2(log, STDERR_FILENO);
	close(null);
	close(log);
	if (chdir("/") < 0) {
		/* only keeps a mount busy */
	}
	return 0;
}

/* The pid in the lock file, for people and scripts (the lock, not the pid, decides). */
static void write_pid(const struct vg_agent *a)
{
	char buf[32];
	int n = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());

	if (ftruncate(a->lock_fd, 0) < 0 || pwrite(a->lock_fd, buf, (size_t)n, 0) < 0)
		vg_agent_error("cannot write the pid into the lock file: %s", strerror(errno));
}

int main(int argc, char **argv)
{
	struct vg_agent a;
	struct vg_cli cli;
	int nfds = listen_fds(), rc;

	clean_fds(nfds);
	memset(&a, 0, sizeof(a));
	a.listen_fd = a.lock_fd = a.signal_fd = -1;
	a.uid = geteuid();
	if (vg_init() < 0 || vg_harden_process() < 0) {
		fprintf(stderr, "vigild: %s\n", vg_error_last());
		return 1;
	}
	if (vg_cli_parse(&cli, argc, argv) < 0) {
		fprintf(stderr, "vigild: %s\n%s", vg_error_last(), usage);
		return 2;
	}
	if (cli.help) {
		fputs(usage, stdout);
		return 0;
	}
	if (cli.version) {
		printf("vigild %s\n", vg_version());
		return 0;
	}
	for (int i = 0; i < cli.argc; i++) {
		if (strcmp(cli.argv[i], "--foreground") == 0 || strcmp(cli.argv[i], "-f") == 0) {
			a.foreground = true;
		} else {
			fprintf(stderr, "vigild: unknown argument '%s'\n%s", cli.argv[i], usage);
			return 2;
		}
	}
	if ((rc = vg_home_resolve(&a.home, cli.home)) < 0 || (rc = vg_agent_setup(&a, nfds)) < 0 ||
	    (!a.foreground && (rc = detach(&a)) < 0)) {
		fprintf(stderr, "vigild: %s\n", vg_error_last());
		vg_agent_release(&a);
		return 1;
	}
	write_pid(&a);
	/* The network helper starts now, before any unlock (and after detaching: it is this
	 * process's child). */
	vg_agent_net_ready(&a);
	vg_agent_log("started (%s, socket %s, auto-lock %s%u s, log level %s)",
		     a.foreground ? "foreground" : "detached",
		     a.activated ? "from systemd" : "bound here",
		     a.config.autolock == 0 ? "off, " : "", a.config.autolock,
		     vg_log_level_name(a.config.log_level));
	if (a.removed_stale)
		vg_agent_log("removed the socket of a daemon that died");
	rc = vg_agent_run(&a);
	if (rc < 0)
		vg_agent_error("%s", vg_error_last());
	vg_agent_release(&a);
	vg_agent_log("stopped");
	return rc < 0 ? 1 : 0;
}
