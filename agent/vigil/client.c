#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "client.h"
#include "vigil/error.h"
#include "vigil/term.h"

extern char **environ;

/*
 * How long to wait for a daemon that was just started to answer: its first process exits
 * once the socket listens, so this is slack for a loaded machine. When it failed (a bad
 * config, an unsafe directory, or another vigild that won a race to start), a short wait
 * covers the race without delaying the report of a real failure much.
 */
#define START_WAIT_MS	     10000
#define START_FAILED_WAIT_MS 1000

void vg_client_print_line(const char *s)
{
	struct vg_buf b = VG_BUF_INIT;

	if (vg_term_sanitize(&b, s, strlen(s), false) == 0 && b.ptr != NULL)
		fputs((const char *)b.ptr, stdout);
	fputc('\n', stdout);
	vg_buf_release(&b);
}

int vg_client_fail(int status, const char *fmt, ...)
{
	char msg[1024];
	struct vg_buf b = VG_BUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (vg_term_sanitize(&b, msg, strlen(msg), false) == 0 && b.ptr != NULL)
		fprintf(stderr, "vigil: %s\n", (const char *)b.ptr);
	else
		fprintf(stderr, "vigil: %s\n", msg);
	vg_buf_release(&b);
	return status;
}

int vg_client_error(int code)
{
	return vg_client_fail(vg_cli_status(code), "%s", vg_error_last());
}

bool vg_client_ok(const json_t *reply)
{
	return json_is_true(json_object_get(reply, "ok"));
}

static bool has_code(const json_t *reply, const char *code)
{
	const char *c = json_string_value(json_object_get(reply, "code"));
	return c != NULL && strcmp(c, code) == 0;
}

int vg_client_refused(const json_t *reply)
{
	const char *msg = json_string_value(json_object_get(reply, "error"));

	return vg_client_fail(has_code(reply, "usage") ? VG_EXIT_USAGE : VG_EXIT_REFUSED, "%s",
			      msg != NULL ? msg : "the daemon refused");
}

int vg_client_data_path(char *out, const struct vg_client *c, const char *name)
{
	return vg_home_path(out, PATH_MAX, c->home.data, name);
}

int vg_client_print_json(const json_t *obj)
{
	json_t *copy = json_copy((json_t *)obj);
	int rc = 0;

	if (copy == NULL)
		return vg_error_set(VG_ENOMEM, "cannot copy the reply");
	json_object_del(copy, "type");
	json_object_del(copy, "ok");
	if (json_dumpf(copy, stdout, JSON_COMPACT) < 0 || fputc('\n', stdout) == EOF)
		rc = vg_error_set(VG_EIO, "cannot write the output");
	json_decref(copy);
	return rc;
}

int vg_client_exchange(json_t **reply, struct vg_client *c, const json_t *req, unsigned flags)
{
	int rc = vg_client_call(reply, c, req, flags);

	if (rc < 0)
		return vg_client_error(rc);
	return vg_client_ok(*reply) ? VG_EXIT_OK : vg_client_refused(*reply);
}

int vg_client_print_outcome(const struct vg_client *c, const char *key, bool value,
			    const char *line)
{
	json_t *out;
	int rc;

	if (!c->cli->json) {
		puts(line);
		return VG_EXIT_OK;
	}
	out = json_pack("{s:b}", key, value);
	rc = out != NULL ? vg_client_print_json(out) : VG_ENOMEM;
	json_decref(out);
	return rc < 0 ? vg_client_fail(VG_EXIT_REFUSED, "cannot write the output") : VG_EXIT_OK;
}

int vg_client_print_identity(const struct vg_client *c, const char *identity,
			     const char *fingerprint)
{
	json_t *obj;
	int rc;

	if (identity == NULL || fingerprint == NULL)
		return vg_client_fail(VG_EXIT_REFUSED, "vigild sent no identity");
	if (!c->cli->json) {
		vg_client_print_line(identity);
		fputs("fingerprint: ", stdout);
		vg_client_print_line(fingerprint);
		return VG_EXIT_OK;
	}
	obj = json_pack("{s:s,s:s}", "identity", identity, "fingerprint", fingerprint);
	if (obj == NULL)
		return vg_client_fail(VG_EXIT_REFUSED, "out of memory");
	rc = vg_client_print_json(obj);
	json_decref(obj);
	return rc < 0 ? vg_client_error(rc) : VG_EXIT_OK;
}

int vg_client_passphrase(struct vg_buf *out, const struct vg_client *c, const char *prompt,
			 const char *confirm)
{
	struct vg_buf again = VG_BUF_INIT_SECURE;
	int rc = vg_term_passphrase(out, c->cli->passphrase_fd, prompt);

	/* A script gives it once on its descriptor; a person types a new one twice. */
	if (rc < 0 || confirm == NULL || c->cli->passphrase_fd >= 0)
		return rc;
	rc = vg_term_passphrase(&again, -1, confirm);
	if (rc == 0 && (again.len != out->len || sodium_memcmp(again.ptr, out->ptr, out->len) != 0))
		rc = vg_error_set(VG_EAUTH, "the passphrases do not match");
	vg_buf_release(&again);
	if (rc < 0)
		vg_buf_clear(out);
	return rc;
}

/* ---- starting and reaching the daemon ---- */

bool vg_client_sibling(char *out, size_t outsz, const char *name)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	char *slash;

	if (n <= 0)
		return false;
	exe[n] = '\0';
	if ((slash = strrchr(exe, '/')) == NULL)
		return false;
	*slash = '\0';
	return snprintf(out, outsz, "%s/%s", exe, name) < (int)outsz && access(out, X_OK) == 0;
}

/* vigild beside this executable, else from PATH. */
static void find_vigild(char *out, size_t outsz)
{
	if (!vg_client_sibling(out, outsz, "vigild"))
		snprintf(out, outsz, "vigild");
}

/* The last non-empty line of text, without a "vigild: " prefix, into out. */
static void last_line(char *out, size_t outsz, char *text)
{
	char *line = NULL, *save = NULL;

	for (char *l = strtok_r(text, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save))
		line = l;
	if (line == NULL) {
		snprintf(out, outsz, "it exited without saying why");
		return;
	}
	if (strncmp(line, "vigild: ", 8) == 0)
		line += 8;
	snprintf(out, outsz, "%s", line);
}

/*
 * Run vigild for this home and wait for its first process, which exits once the socket
 * listens (the daemon itself carries on detached). Its stderr is collected so a refusal
 * (another instance, an unsafe directory, a bad config) can be told in one line.
 */
static int start_daemon(const struct vg_client *c, char *why, size_t whysz)
{
	char path[PATH_MAX], out[4096];
	char *argv[4] = {path, NULL, NULL, NULL};
	posix_spawn_file_actions_t fa;
	size_t got = 0;
	int p[2], status = 0, rc;
	pid_t pid;

	why[0] = '\0';
	find_vigild(path, sizeof(path));
	if (c->cli->home != NULL) {
		argv[1] = "--home";
		argv[2] = (char *)c->cli->home;
	}
	if (pipe2(p, O_CLOEXEC) < 0)
		return vg_error_sys("cannot start vigild");
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDERR_FILENO);
	rc = posix_spawnp(&pid, path, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (rc != 0) {
		close(p[0]);
		errno = rc;
		return vg_error_sys("cannot start '%s'", path);
	}
	for (;;) {
		ssize_t n = read(p[0], out + got, sizeof(out) - 1 - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == sizeof(out) - 1) /* keep the latest lines */
			got = 0;
	}
	out[got] = '\0';
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 0;
	last_line(why, whysz, out);
	return vg_error_set(VG_ERROR, "cannot start vigild: %s", why);
}

static void sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000};

	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int try_connect(int *fd, const struct vg_client *c, const char *sock)
{
	int rc = vg_ipc_dir_check(c->home.run, geteuid());

	if (rc == VG_ENOTFOUND)
		return vg_error_set(VG_ENOTFOUND, "vigild is not running");
	if (rc < 0)
		return rc;
	rc = vg_ipc_connect(fd, sock);
	if (rc == VG_ENOTFOUND)
		return vg_error_set(VG_ENOTFOUND, "vigild is not running");
	return rc;
}

static int connect_daemon(int *out, const struct vg_client *c, unsigned flags)
{
	char sock[VG_IPC_PATH_MAX + 1], why[512];
	int fd = -1, rc, started;
	uid_t peer;

	*out = -1;
	if ((rc = vg_ipc_socket_path(sock, c->home.run)) < 0)
		return rc;
	rc = try_connect(&fd, c, sock);
	if (rc == VG_ENOTFOUND && (flags & VG_CALL_START)) {
		/* Another vigil may be starting it too: the loser's vigild says so and exits,
		 * and both connect to the winner. */
		started = start_daemon(c, why, sizeof(why));
		long limit = started == 0 ? START_WAIT_MS : START_FAILED_WAIT_MS;
		for (long waited = 0, step = 5; waited < limit; waited += step) {
			rc = try_connect(&fd, c, sock);
			if (rc != VG_ENOTFOUND)
				break;
			sleep_ms(step);
			if (step < 200)
				step *= 2;
		}
		if (rc == VG_ENOTFOUND && started < 0)
			rc = vg_error_set(VG_ERROR, "cannot start vigild: %s", why);
	}
	if (rc < 0)
		return rc;
	/* Cheap, and it catches a socket that someone else's process serves. */
	if ((rc = vg_ipc_peer_uid(&peer, fd)) < 0 ||
	    (peer != geteuid() &&
	     (rc = vg_error_set(VG_EUNSUPPORTED,
				"'%s' is served by uid %u, not by uid %u: refusing it", sock,
				(unsigned)peer, (unsigned)geteuid())) < 0)) {
		close(fd);
		return rc;
	}
	*out = fd;
	return 0;
}

/*
 * A progress message on a terminal: a bar redrawn in place when it counts ("done" of
 * "total"), else a line.
 */
static void show_progress(const json_t *msg)
{
	struct vg_buf b = VG_BUF_INIT;
	const char *m = json_string_value(json_object_get(msg, "message"));
	json_t *done = json_object_get(msg, "done"), *total = json_object_get(msg, "total");
	static bool in_bar;

	if (!isatty(STDERR_FILENO) || vg_term_sanitize(&b, m, strlen(m), false) < 0 ||
	    b.ptr == NULL) {
		vg_buf_release(&b);
		return;
	}
	if (json_is_integer(done) && json_is_integer(total) && json_integer_value(total) > 0) {
		json_int_t d = json_integer_value(done), t = json_integer_value(total);
		int filled = (int)(d >= t ? 30 : d * 30 / t);
		fprintf(stderr, "\r%s [%.*s%*s] %lld/%lld", (const char *)b.ptr, filled,
			"##############################", 30 - filled, "", (long long)d,
			(long long)t);
		if (d >= t)
			fputc('\n', stderr);
		in_bar = d < t;
	} else {
		fprintf(stderr, "%s%s...\n", in_bar ? "\n" : "", (const char *)b.ptr);
		in_bar = false;
	}
	fflush(stderr);
	vg_buf_release(&b);
}

static int call_once(json_t **reply, const struct vg_client *c, const json_t *req, unsigned flags,
		     int passed)
{
	struct vg_ipc_reader r;
	json_t *msg = NULL;
	int fd = -1, rc;
	bool is_reply = false;

	*reply = NULL;
	if ((rc = connect_daemon(&fd, c, flags)) < 0)
		return rc;
	vg_ipc_reader_init(&r, VG_IPC_REPLY_MAX);
	if ((rc = passed >= 0 ? vg_ipc_send_fd(fd, req, passed) : vg_ipc_send(fd, req)) < 0)
		goto done;
	while (!is_reply) {
		json_decref(msg);
		msg = NULL;
		if ((rc = vg_ipc_recv(&msg, &r, fd)) < 0 ||
		    (rc = vg_ipc_message_check(msg, &is_reply)) < 0)
			goto done;
		if (!is_reply)
			show_progress(msg);
	}
	*reply = msg;
	msg = NULL;
done:
	if (rc < 0)
		rc = vg_error_prefix(rc, "vigild");
	json_decref(msg);
	vg_ipc_reader_release(&r);
	close(fd);
	return rc;
}

/* Whether a passphrase can be asked for at all: a descriptor, or a terminal. */
static bool can_ask(const struct vg_client *c)
{
	int tty;

	if (c->cli->passphrase_fd >= 0)
		return true;
	tty = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (tty < 0)
		return false;
	close(tty);
	return true;
}

int vg_client_call(json_t **reply, struct vg_client *c, const json_t *req, unsigned flags)
{
	return vg_client_call_fd(reply, c, req, flags, -1);
}

/*
 * The connection broke: when the daemon stopped because a write to its store failed (it
 * leaves <data>/store.verify, agent/vigild/cases.c), say so instead of the socket error.
 */
static int broken(int rc, const struct vg_client *c)
{
	char mark[PATH_MAX];

	if (rc != VG_EIO || vg_client_data_path(mark, c, "store.verify") < 0 ||
	    access(mark, F_OK) != 0)
		return rc;
	return vg_error_set(
	    VG_EIO, "vigild stopped: a write to its store failed (a damaged or full disk?); "
		    "its next start checks the store first (see vigild.log)");
}

int vg_client_call_fd(json_t **reply, struct vg_client *c, const json_t *req, unsigned flags,
		      int passed)
{
	struct vg_buf pass = VG_BUF_INIT_SECURE;
	json_t *unlock = NULL, *ur = NULL;
	const char *code;
	int rc;

	rc = call_once(reply, c, req, flags, passed);
	if (rc < 0 || !(flags & VG_CALL_NEEDS_KEYS) || vg_client_ok(*reply))
		return broken(rc, c);
	code = json_string_value(json_object_get(*reply, "code"));
	if (code == NULL || strcmp(code, "locked") != 0)
		return 0;
	if (!can_ask(c) ||
	    vg_client_passphrase(&pass, c, "Passphrase to unlock the vault: ", NULL) < 0) {
		/* No passphrase to be had: the refusal stands, as CLI.md says. */
		char msg[600];
		if (can_ask(c))
			snprintf(msg, sizeof(msg), "vault is locked: %s", vg_error_last());
		else
			snprintf(msg, sizeof(msg), "vault is locked");
		json_decref(*reply);
		*reply = vg_ipc_reply_error("locked", msg);
		rc = *reply != NULL ? 0 : vg_error_set(VG_ENOMEM, "out of memory");
		goto done;
	}
	if ((unlock = vg_ipc_request_new(VG_IPC_UNLOCK)) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = vg_ipc_set_base64(unlock, "passphrase", pass.ptr, pass.len)) < 0)
		goto done;
	vg_buf_release(&pass);
	if ((rc = call_once(&ur, c, unlock, flags, -1)) < 0)
		goto done;
	json_decref(*reply);
	*reply = NULL;
	if (!vg_client_ok(ur)) {
		*reply = ur;
		ur = NULL;
		goto done;
	}
	rc = call_once(reply, c, req, flags, passed);
done:
	vg_buf_release(&pass);
	json_decref(unlock); /* wiped on free (vg_init) */
	json_decref(ur);
	rc = broken(rc, c);
	if (rc < 0 && *reply != NULL) {
		json_decref(*reply);
		*reply = NULL;
	}
	return rc;
}

int vg_client_options(const struct vg_command *cmd, int argc, char **argv, const char *const *flags,
		      bool *sets, const char *const *options, const char **values)
{
	for (size_t i = 0; flags != NULL && flags[i] != NULL; i++)
		sets[i] = false;
	for (size_t i = 0; options != NULL && options[i] != NULL; i++)
		values[i] = NULL;
	for (int a = 1; a < argc; a++) {
		const char *arg = argv[a];
		bool known = false;

		for (size_t i = 0; flags != NULL && flags[i] != NULL && !known; i++) {
			if (strcmp(arg, flags[i]) == 0) {
				sets[i] = true;
				known = true;
			}
		}
		for (size_t i = 0; options != NULL && options[i] != NULL && !known; i++) {
			size_t n = strlen(options[i]);
			if (strncmp(arg, options[i], n) != 0 || (arg[n] != '\0' && arg[n] != '='))
				continue;
			known = true;
			if (arg[n] == '=') {
				values[i] = arg + n + 1;
			} else if (a + 1 < argc) {
				values[i] = argv[++a];
			} else {
				vg_client_fail(VG_EXIT_USAGE, "%s needs a value", options[i]);
				fprintf(stderr, "usage: %s\n", cmd->usage);
				return VG_EXIT_USAGE;
			}
		}
		if (!known) {
			vg_client_fail(VG_EXIT_USAGE, "'%s' is not an option of 'vigil %s'", arg,
				       cmd->name);
			fprintf(stderr, "usage: %s\n", cmd->usage);
			return VG_EXIT_USAGE;
		}
	}
	return 0;
}
