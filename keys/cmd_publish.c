#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "keys.h"
#include "vigil/error.h"
#include "vigil/ipc.h"
#include "vigil/term.h"

/*
 * vigil-keys signs; the daemon publishes (one writer of the local repository). This asks
 * the home's running vigild to commit the roster directory's new versions to the roster
 * branch and push them, relaying its progress, and prints its reply.
 */
static int ask_daemon(json_t **reply, const struct vg_keys *k)
{
	char sock[VG_IPC_PATH_MAX + 1];
	struct vg_ipc_reader r;
	json_t *req = NULL, *msg = NULL;
	bool is_reply = false;
	uid_t peer;
	int fd = -1, rc;

	*reply = NULL;
	if ((rc = vg_ipc_socket_path(sock, k->home.run)) < 0)
		return rc;
	rc = vg_ipc_dir_check(k->home.run, geteuid());
	if (rc == 0)
		rc = vg_ipc_connect(&fd, sock);
	if (rc == VG_ENOTFOUND)
		return vg_error_set(VG_ENOTFOUND,
				    "vigild is not running for this home: start it with 'vigil "
				    "unlock', then publish again");
	if (rc < 0)
		return rc;
	if ((rc = vg_ipc_peer_uid(&peer, fd)) < 0 ||
	    (peer != geteuid() &&
	     (rc = vg_error_set(VG_EUNSUPPORTED, "'%s' is served by another uid", sock)) < 0)) {
		close(fd);
		return rc;
	}
	vg_ipc_reader_init(&r, VG_IPC_REPLY_MAX);
	if ((req = vg_ipc_request_new(VG_IPC_PUBLISH)) == NULL) {
		rc = vg_error_set(VG_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = vg_ipc_send(fd, req)) < 0)
		goto done;
	while (!is_reply) {
		json_decref(msg);
		msg = NULL;
		if ((rc = vg_ipc_recv(&msg, &r, fd)) < 0 ||
		    (rc = vg_ipc_message_check(msg, &is_reply)) < 0)
			goto done;
		if (!is_reply && isatty(STDERR_FILENO)) {
			struct vg_buf b = VG_BUF_INIT;
			const char *m = json_string_value(json_object_get(msg, "message"));
			if (vg_term_sanitize(&b, m, strlen(m), false) == 0 && b.ptr != NULL)
				fprintf(stderr, "%s...\n", (const char *)b.ptr);
			vg_buf_release(&b);
		}
	}
	*reply = msg;
	msg = NULL;
done:
	json_decref(req);
	json_decref(msg);
	vg_ipc_reader_release(&r);
	close(fd);
	return rc;
}

static int run(struct vg_keys *k, int argc, char **argv)
{
	struct vg_roster_set *s = NULL;
	json_t *reply = NULL;
	const char *err, *code;
	int rc, status;

	if ((status = vg_keys_parse(&vg_keys_publish, argc, argv, NULL, NULL, NULL, 0, 0)) != 0)
		return status;
	/* Check here what is about to be published: every version, by the organisation key. */
	if ((rc = vg_keys_load(&s, k)) < 0 || (rc = ask_daemon(&reply, k)) < 0) {
		status = vg_keys_error(rc);
		goto done;
	}
	if (!json_is_true(json_object_get(reply, "ok"))) {
		err = json_string_value(json_object_get(reply, "error"));
		code = json_string_value(json_object_get(reply, "code"));
		if (code != NULL && strcmp(code, "locked") == 0)
			status =
			    vg_keys_fail(VG_EXIT_REFUSED,
					 "vault is locked: run 'vigil unlock', then publish again");
		else
			status = vg_keys_fail(VG_EXIT_REFUSED, "%s", err != NULL ? err : "refused");
		goto done;
	}
	if (k->cli->json) {
		status = vg_keys_print_json(json_pack(
		    "{s:I,s:I,s:I}", "version", (json_int_t)vg_roster_set_current(s)->version,
		    "pushed", json_integer_value(json_object_get(reply, "roster_pushed")), "alarms",
		    json_integer_value(json_object_get(reply, "alarms_raised"))));
	} else {
		printf("roster version %llu published (%" JSON_INTEGER_FORMAT
		       " version(s) pushed now)\n",
		       (unsigned long long)json_integer_value(json_object_get(reply, "roster")),
		       json_integer_value(json_object_get(reply, "roster_pushed")));
		status = VG_EXIT_OK;
	}
	if (json_integer_value(json_object_get(reply, "alarms_raised")) > 0)
		status = vg_keys_fail(
		    VG_EXIT_REFUSED, "the sync raised alarms: see 'vigil status' and 'vigil sync'");
done:
	json_decref(reply);
	vg_roster_set_free(s);
	return status;
}

const struct vg_keys_command vg_keys_publish = {
    "publish",
    NULL,
    run,
    "vigil-keys publish",
    "hand the latest signed roster to this home's daemon, which pushes it",
    "Checks this home's roster (every version, by the organisation key) and asks this\n"
    "home's running vigild (unlocked: the remote is in its vault) to commit the versions\n"
    "the remote's roster branch lacks and push them, as part of a sync. When another\n"
    "coordinator pushed first, the daemon fetches and verifies theirs: a higher version\n"
    "there wins (take it, then sign on top of it), the same version with another hash is\n"
    "a fork alarm, and otherwise the push is retried as a fast-forward.\n"
    "\n"
    "Passphrases: none.\n"
    "\n"
    "  --json  {\"version\", \"pushed\", \"alarms\"}\n",
};
