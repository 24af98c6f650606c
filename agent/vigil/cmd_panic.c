/*
 * vigil panic: destroy the device's key material now (common/src/panic.c), without the
 * daemon (absent, hung or locked) and without the passphrase. Never asks a question: it is
 * for the moment the door is being knocked in.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "vigil/error.h"
#include "vigil/panic.h"

/* How long a panic waits for the remote to take undelivered entries (without --force). */
#define PANIC_PUSH_SECONDS 8

/*
 * Entries not yet on the remote are already encrypted to the coordinators: when the
 * daemon runs unlocked with a remote, give them one sync of at most PANIC_PUSH_SECONDS,
 * run as `vigil sync` in a child without a terminal (it can never stop to ask a
 * passphrase), then go on whatever happened; the daemon is killed by the panic itself,
 * which ends a sync still running (an interrupted sync loses nothing: sync_kill.sh).
 * Says what it did on standard error; never fails the panic.
 */
static void push_first(struct vg_client *c)
{
	json_t *req = vg_ipc_request_new(VG_IPC_STATUS), *reply = NULL;
	json_int_t pending;
	struct timespec t0, t;
	pid_t pid;
	int st = 0, rc;

	if (req == NULL)
		return;
	rc = vg_client_call(&reply, c, req, 0); /* a daemon that is not running: no keys */
	json_decref(req);
	if (rc < 0 || !vg_client_ok(reply) || json_is_true(json_object_get(reply, "locked")) ||
	    !json_is_string(json_object_get(reply, "remote"))) {
		json_decref(reply);
		return;
	}
	pending = json_integer_value(json_object_get(reply, "pending"));
	json_decref(reply);
	if (pending <= 0)
		return;
	fprintf(stderr,
		"vigil: pushing %lld undelivered entries first (at most %d s; --force "
		"skips this)\n",
		(long long)pending, PANIC_PUSH_SECONDS);
	if ((pid = fork()) < 0)
		return;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR | O_CLOEXEC);
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			dup2(null, STDERR_FILENO);
		}
		setsid(); /* no controlling terminal: no passphrase prompt */
		if (c->cli->home != NULL)
			execl("/proc/self/exe", "vigil", "--home", c->cli->home, "sync",
			      (char *)NULL);
		else
			execl("/proc/self/exe", "vigil", "sync", (char *)NULL);
		_exit(127);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if ((rc = (int)waitpid(pid, &st, WNOHANG)) == pid)
			break;
		clock_gettime(CLOCK_MONOTONIC, &t);
		if (rc < 0 || t.tv_sec - t0.tv_sec >= PANIC_PUSH_SECONDS) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			fprintf(stderr,
				"vigil: the remote did not take them within %d s: they are "
				"lost to this device\n",
				PANIC_PUSH_SECONDS);
			return;
		}
		nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
	}
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		fputs("vigil: pushed\n", stderr);
	else
		fputs("vigil: the sync failed: undelivered entries are lost to this device\n",
		      stderr);
}

static int run(struct vg_client *c, int argc, char **argv)
{
	static const char *const flags[] = {"--force", NULL};
	struct vg_panic_report r;
	bool set[1] = {false};
	json_t *out = NULL;
	int rc, status;

	if ((status = vg_client_options(&vg_cmd_panic, argc, argv, flags, set, NULL, NULL)) != 0)
		return status;
	if (!set[0])
		push_first(c);
	rc = vg_panic(&r, &c->home);
	if (rc < 0)
		return vg_client_fail(VG_EXIT_REFUSED, "panic incomplete: %s", vg_error_last());
	if (c->cli->json) {
		out = json_pack("{s:b,s:b,s:I,s:I,s:I,s:b}", "destroyed", 1, "daemon_killed",
				r.daemon_killed, "key_files", (json_int_t)r.key_files, "file_keys",
				(json_int_t)r.file_keys, "drafts", (json_int_t)r.drafts,
				"store_unreadable", r.store_unreadable);
		rc = out != NULL ? vg_client_print_json(out) : VG_ENOMEM;
		json_decref(out);
		return rc < 0 ? vg_client_fail(VG_EXIT_REFUSED, "cannot write the output")
			      : VG_EXIT_OK;
	}
	printf("destroyed: %u key file%s, %llu wrapped file key%s, %llu draft%s%s\n", r.key_files,
	       r.key_files == 1 ? "" : "s", (unsigned long long)r.file_keys,
	       r.file_keys == 1 ? "" : "s", (unsigned long long)r.drafts, r.drafts == 1 ? "" : "s",
	       r.daemon_killed ? "; the daemon was killed" : "");
	if (r.store_unreadable)
		puts("the store could not be opened; its wrapped keys open nothing without the "
		     "vault");
	puts("nothing on this device decrypts any more, with or without the passphrase");
	return VG_EXIT_OK;
}

const struct vg_command vg_cmd_panic = {
    "panic",
    run,
    "vigil panic [--force]",
    "destroy all key material now, without the daemon or the passphrase",
    "Destroys this device's keys at once: kills the home's daemon (the unlocked keys in its\n"
    "memory go with it), destroys the vault (device keys, vault key, transport credentials\n"
    "and pins), every organisation key and passphrase-encrypted identity kept in the home,\n"
    "and every wrapped file key and draft in the store; each file is renamed, overwritten,\n"
    "synced and removed. Asks nothing and needs no passphrase. What stays is ciphertext,\n"
    "public columns and the public roster, which nothing on the device decrypts any more.\n"
    "When the daemon runs unlocked and entries have not reached the remote yet, they are\n"
    "first given one sync of at most 8 s (they are already encrypted to the coordinators);\n"
    "whatever is still undelivered after that is lost to this device. Interrupted, it is\n"
    "completed by running it again.\n"
    "\n"
    "Flash storage keeps old blocks: this destroys keys, it does not claim to erase data.\n"
    "Set up full-disk encryption too.\n"
    "\n"
    "  --force  never wait for the remote: destroy at once\n"
    "  --json   {\"destroyed\": true, \"daemon_killed\", \"key_files\", \"file_keys\",\n"
    "            \"drafts\", \"store_unreadable\"}\n",
};
