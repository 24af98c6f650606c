#include <stdio.h>

#include "client.h"
#include "vigil/error.h"

static int run(struct vg_client *c, int argc, char **argv)
{
	json_t *req = NULL, *reply = NULL;
	int rc, status;

	if ((status = vg_client_options(&vg_cmd_lock, argc, argv, NULL, NULL, NULL, NULL)) != 0)
		return status;
	req = vg_ipc_request_new(VG_IPC_LOCK);
	if (req == NULL)
		return vg_client_fail(VG_EXIT_REFUSED, "out of memory");
	/* No daemon holds no keys: nothing to start for that. */
	rc = vg_client_call(&reply, c, req, 0);
	if (rc < 0 && rc != VG_ENOTFOUND) {
		status = vg_client_error(rc);
		goto done;
	}
	if (rc == 0 && !vg_client_ok(reply)) {
		status = vg_client_refused(reply);
		goto done;
	}
	status = vg_client_print_outcome(c, "locked", true, "vault locked");
done:
	json_decref(req);
	json_decref(reply);
	return status;
}

const struct vg_command vg_cmd_lock = {
    "lock",
    run,
    "vigil lock",
    "wipe the unlocked keys from the daemon's memory",
    "Has the daemon wipe the vault's keys from memory. Commands that need them ask for\n"
    "the passphrase again. Starts no daemon: none running holds no keys.\n"
    "\n"
    "  --json  {\"locked\": true}\n",
};
