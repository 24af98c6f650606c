#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "agent.h"
#include "vigil/net.h"
#include "vigil/error.h"
#include "vigil/store.h"

/* ---- setup ---- */

static int take_lock(struct vg_agent *a)
{
	a->lock_fd = open(a->lock_path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (a->lock_fd < 0)
		return vg_error_sys("cannot open lock file '%s'", a->lock_path);
	if (flock(a->lock_fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK)
			return vg_error_set(VG_EEXISTS,
					    "another vigild is already running for '%s' (it holds "
					    "'%s')",
					    a->home.data, a->lock_path);
		return vg_error_sys("cannot lock '%s'", a->lock_path);
	}
	return 0;
}

/* dirname of path into out (PATH_MAX). */
static void parent_dir(char *out, const char *path)
{
	const char *slash = strrchr(path, '/');
	size_t n = slash == NULL ? 0 : (size_t)(slash - path);

	if (n == 0) {
		snprintf(out, PATH_MAX, "%s", slash == NULL ? "." : "/");
		return;
	}
	snprintf(out, PATH_MAX, "%.*s", (int)n, path);
}

/*
 * A socket left by a daemon that died (the lock is ours, so no daemon serves it) is
 * removed; anything else at that path was put there by someone else and is refused.
 */
static int remove_stale(struct vg_agent *a)
{
	struct stat st;

	if (lstat(a->sock_path, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		return vg_error_sys("cannot inspect '%s'", a->sock_path);
	}
	if (!S_ISSOCK(st.st_mode) || st.st_uid != a->uid)
		return vg_error_set(VG_EUNSUPPORTED,
				    "'%s' exists and is not a socket of uid %u (%s, owner uid %u): "
				    "refusing to remove it",
				    a->sock_path, (unsigned)a->uid,
				    S_ISLNK(st.st_mode)	   ? "a symlink"
				    : S_ISSOCK(st.st_mode) ? "a socket"
							   : "not a socket",
				    (unsigned)st.st_uid);
	if (unlink(a->sock_path) < 0)
		return vg_error_sys("cannot remove stale socket '%s'", a->sock_path);
	a->removed_stale = true; /* logged once the log is open */
	return 0;
}

static int bind_socket(struct vg_agent *a)
{
	struct stat st;
	int rc;

	if ((rc = vg_ipc_socket_path(a->sock_path, a->home.run)) < 0 ||
	    (rc = vg_ipc_dir_prepare(a->home.run, a->uid)) < 0 || (rc = remove_stale(a)) < 0 ||
	    (rc = vg_ipc_listen(&a->listen_fd, a->sock_path)) < 0)
		return rc;
	if (lstat(a->sock_path, &st) < 0)
		return vg_error_sys("cannot inspect '%s'", a->sock_path);
	a->own_socket = true;
	a->sock_dev = st.st_dev;
	a->sock_ino = st.st_ino;
	return 0;
}

/* systemd socket activation: LISTEN_PID is ours and LISTEN_FDS names fd 3 on. */
static int activated_socket(struct vg_agent *a, int nfds)
{
	char dir[PATH_MAX];
	int rc, fd = 3;

	if (nfds != 1)
		return vg_error_set(VG_EUNSUPPORTED,
				    "systemd passed %d sockets (LISTEN_FDS): vigild takes one",
				    nfds);
	if ((rc = vg_ipc_listen_check(a->sock_path, fd)) < 0)
		return rc;
	parent_dir(dir, a->sock_path);
	if ((rc = vg_ipc_dir_check(dir, a->uid)) < 0)
		return rc;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0 ||
	    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0)
		return vg_error_sys("cannot set up the activated socket");
	a->listen_fd = fd;
	a->activated = true;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	return 0;
}

static int setup_signals(struct vg_agent *a)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return vg_error_sys("cannot block signals");
	a->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (a->signal_fd < 0)
		return vg_error_sys("cannot create a signalfd");
	return 0;
}

int vg_agent_setup(struct vg_agent *a, int listen_fds)
{
	int rc;

	if ((rc = vg_home_path(a->config_path, sizeof(a->config_path), a->home.config,
			       "vigil.conf")) < 0 ||
	    (rc = vg_home_path(a->vault_path, sizeof(a->vault_path), a->home.data, "vault.key")) <
		0 ||
	    (rc = vg_home_path(a->identity_path, sizeof(a->identity_path), a->home.data,
			       "identity.pub")) < 0 ||
	    (rc = vg_home_path(a->lock_path, sizeof(a->lock_path), a->home.data, "vigild.lock")) <
		0 ||
	    (rc = vg_home_path(a->log_path, sizeof(a->log_path), a->home.data, "vigild.log")) < 0)
		return rc;
	if ((rc = vg_config_load(&a->config, a->config_path)) < 0)
		return rc;
	vg_agent_log_level(a->config.log_level);
	if ((rc = vg_home_create(&a->home)) < 0 || (rc = take_lock(a)) < 0)
		return rc;
	if (listen_fds > 0)
		rc = activated_socket(a, listen_fds);
	else
		rc = bind_socket(a);
	if (rc < 0)
		return rc;
	return setup_signals(a);
}

/* ---- connections ---- */

int vg_agent_send(struct vg_agent_conn *c, json_t *msg)
{
	int rc;

	if (msg == NULL)
		return vg_error_set(VG_ENOMEM, "cannot build a message");
	rc = vg_ipc_send_max(c->fd, msg, VG_IPC_REPLY_MAX);
	json_decref(msg);
	return rc;
}

static void conn_free(struct vg_agent_conn *c)
{
	if (c == NULL)
		return;
	if (c->fd >= 0)
		close(c->fd);
	vg_ipc_reader_release(&c->in);
	free(c);
}

static void conn_remove(struct vg_agent *a, size_t i)
{
	conn_free(a->conns[i]);
	a->conns[i] = a->conns[--a->nconns];
	a->conns[a->nconns] = NULL;
}

/* Answered with an error: tell the peer we are done, and discard what it still sends. */
static void conn_drain(struct vg_agent_conn *c, uint64_t now)
{
	shutdown(c->fd, SHUT_WR);
	vg_ipc_reader_release(&c->in);
	c->draining = true;
	c->drained = 0;
	c->deadline = now + VG_AGENT_DRAIN_MS;
}

static void refuse(int fd, const char *code, const char *msg)
{
	json_t *r = vg_ipc_reply_error(code, msg);

	if (r != NULL && vg_ipc_send(fd, r) < 0) {
		/* the peer is gone: nothing to tell it */
	}
	json_decref(r);
}

static void accept_one(struct vg_agent *a, uint64_t now)
{
	struct timeval tv = {VG_AGENT_SEND_TIMEOUT_S, 0};
	struct vg_agent_conn *c;
	char msg[160];
	uid_t peer;
	int fd;

	fd = accept4(a->listen_fd, NULL, NULL, SOCK_CLOEXEC);
	if (fd < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNABORTED)
			vg_agent_warn("cannot accept a connection: %s", strerror(errno));
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	/* Before reading a single byte: only our own uid may talk to the daemon. */
	if (vg_ipc_peer_uid(&peer, fd) < 0) {
		vg_agent_warn("refused a connection: %s", vg_error_last());
		close(fd);
		return;
	}
	if (peer != a->uid) {
		vg_agent_warn("refused a connection from uid %u: not uid %u (SO_PEERCRED)",
			      (unsigned)peer, (unsigned)a->uid);
		snprintf(msg, sizeof(msg),
			 "permission denied: uid %u may not use the daemon of uid %u (SO_PEERCRED)",
			 (unsigned)peer, (unsigned)a->uid);
		refuse(fd, "perm", msg);
		close(fd);
		return;
	}
	if (a->nconns == VG_AGENT_CONNS_MAX) {
		vg_agent_warn("refused a connection: %d already open", VG_AGENT_CONNS_MAX);
		refuse(fd, "busy", "too many connections to the daemon");
		close(fd);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (c == NULL) {
		close(fd);
		return;
	}
	c->fd = fd;
	vg_agent_debug("connection accepted (%zu open)", a->nconns + 1);
	vg_ipc_reader_init(&c->in, VG_IPC_MSG_MAX);
	c->deadline = now + VG_AGENT_IDLE_MS;
	a->conns[a->nconns++] = c;
}

/* Serve what arrived on c. false: close it. */
static bool conn_event(struct vg_agent *a, struct vg_agent_conn *c, uint64_t now)
{
	const char *line;
	size_t len;
	bool eof;
	int rc;

	if (c->draining) {
		char junk[4096];
		ssize_t n = read(c->fd, junk, sizeof(junk));
		if (n < 0 && errno == EINTR)
			return true;
		if (n <= 0)
			return false;
		c->drained += (size_t)n;
		return c->drained <= VG_AGENT_DRAIN_MAX;
	}
	if (vg_ipc_reader_read(&c->in, c->fd, &eof) < 0)
		return false;
	for (;;) {
		rc = vg_ipc_reader_next(&c->in, &line, &len);
		if (rc == 0)
			break;
		if (rc < 0) {
			vg_agent_warn("refused a request longer than %d bytes", VG_IPC_MSG_MAX);
			refuse(c->fd, "usage", "request longer than 65536 bytes");
			conn_drain(c, now);
			return true;
		}
		c->deadline = now + VG_AGENT_IDLE_MS;
		rc = vg_agent_handle(a, c, line, len);
		/* A descriptor belongs to the request it came with: unclaimed, it is closed. */
		vg_ipc_reader_drop_fd(&c->in);
		if (rc != 0) {
			conn_drain(c, now);
			return true;
		}
		if (a->stop)
			return false;
	}
	if (eof) {
		if (vg_ipc_reader_pending(&c->in) > 0) {
			vg_agent_warn("refused an incomplete request");
			refuse(c->fd, "usage", "incomplete request: no newline before the end");
		}
		return false;
	}
	return true;
}

void vg_agent_signals(struct vg_agent *a)
{
	struct signalfd_siginfo si;

	while (read(a->signal_fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGUSR1:
			if (a->vault == NULL)
				vg_agent_log("SIGUSR1: already locked");
			vg_agent_lock(a, "SIGUSR1");
			break;
		default:
			vg_agent_log("stopping (%s)", si.ssi_signo == SIGTERM  ? "SIGTERM"
						      : si.ssi_signo == SIGINT ? "SIGINT"
									       : "SIGHUP");
			a->stop = true;
			break;
		}
	}
}

/* poll's timeout: the nearest of auto-lock, the background sync and the connections'
 * deadlines. */
static int next_timeout(const struct vg_agent *a, uint64_t now)
{
	int64_t t = vg_agent_autolock_in(a, now), b = vg_agent_sched_in(a, now);

	if (b >= 0 && (t < 0 || b < t))
		t = b;

	for (size_t i = 0; i < a->nconns; i++) {
		int64_t d =
		    a->conns[i]->deadline > now ? (int64_t)(a->conns[i]->deadline - now) : 0;
		if (t < 0 || d < t)
			t = d;
	}
	if (t > INT32_MAX)
		t = INT32_MAX;
	return (int)t;
}

static void on_timers(struct vg_agent *a, uint64_t now)
{
	if (vg_agent_autolock_in(a, now) == 0) {
		char why[64];
		snprintf(why, sizeof(why), "idle for %u s", a->config.autolock);
		vg_agent_lock(a, why);
	}
	for (size_t i = a->nconns; i-- > 0;)
		if (a->conns[i]->deadline <= now)
			conn_remove(a, i);
	/* Last: a sync may take a while, and clients waiting meanwhile are served next. */
	if (!a->stop)
		vg_agent_sched_due(a, now);
}

/* A lock asked for while a sync held the vault (vg_agent_lock), done now. */
static void lock_if_pending(struct vg_agent *a)
{
	char why[sizeof(a->lock_pending)];

	if (a->syncing || a->lock_pending[0] == '\0')
		return;
	memcpy(why, a->lock_pending, sizeof(why));
	a->lock_pending[0] = '\0';
	vg_agent_lock(a, why);
}

int vg_agent_run(struct vg_agent *a)
{
	struct pollfd pfd[2 + VG_AGENT_CONNS_MAX + 1];

	vg_agent_logind_open(a);
	while (!a->stop) {
		size_t n = a->nconns;
		uint64_t now = vg_agent_now();
		int rc, timeout;

		vg_agent_sched_arm(a, now);
		pfd[0] = (struct pollfd){.fd = a->signal_fd, .events = POLLIN};
		pfd[1] = (struct pollfd){.fd = a->listen_fd, .events = POLLIN};
		for (size_t i = 0; i < n; i++)
			pfd[2 + i] = (struct pollfd){.fd = a->conns[i]->fd, .events = POLLIN};
		/* Last: the system bus, when logind is watched (fd -1 is skipped by poll). */
		timeout = vg_agent_logind_poll(a, &pfd[2 + n], next_timeout(a, now));
		rc = poll(pfd, 2 + n + 1, timeout);
		if (rc < 0) {
			if (errno == EINTR)
				continue;
			return vg_error_sys("poll failed");
		}
		now = vg_agent_now();
		if (pfd[0].revents != 0)
			vg_agent_signals(a);
		/* Backwards, so that removing one (the last moves into its place) is safe. */
		for (size_t i = n; i-- > 0 && !a->stop;) {
			if (pfd[2 + i].revents == 0)
				continue;
			if (!conn_event(a, a->conns[i], now))
				conn_remove(a, i);
		}
		if (!a->stop && (pfd[1].revents & POLLIN))
			accept_one(a, now);
		vg_agent_logind_process(a);
		lock_if_pending(a);
		on_timers(a, now);
		lock_if_pending(a);
	}
	return 0;
}

void vg_agent_release(struct vg_agent *a)
{
	struct stat st;

	while (a->nconns > 0)
		conn_remove(a, a->nconns - 1);
	vg_agent_lock(a, "stopping");
	vg_agent_logind_close(a);
	vg_net_free(a->net_idle);
	a->net_idle = NULL;
	vg_store_close(a->store);
	a->store = NULL;
	if (a->own_socket && lstat(a->sock_path, &st) == 0 && st.st_dev == a->sock_dev &&
	    st.st_ino == a->sock_ino)
		unlink(a->sock_path);
	if (a->listen_fd >= 0)
		close(a->listen_fd);
	if (a->signal_fd >= 0)
		close(a->signal_fd);
	if (a->lock_fd >= 0)
		close(a->lock_fd); /* releases the lock */
	a->listen_fd = a->signal_fd = a->lock_fd = -1;
}
