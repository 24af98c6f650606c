#include <stdio.h>

#include "client.h"
#include "vigil/error.h"

static int run(struct vg_client *c, int argc, char **argv)
{
	json_t *req = NULL, *reply = NULL;
	bool was_running = true;
	int rc, status;

	if ((status = vg_client_options(&vg_cmd_shutdown, argc, argv, NULL, NULL, NULL, NULL)) != 0)
		return status;
	req = vg_ipc_request_new(VG_IPC_SHUTDOWN);
	if (req == NULL)
		return vg_client_fail(VG_EXIT_REFUSED, "out of memory");
	rc = vg_client_call(&reply, c, req, 0);
	if (rc == VG_ENOTFOUND) {
		was_running = false;
	} else if (rc < 0) {
		status = vg_client_error(rc);
		goto done;
	} else if (!vg_client_ok(reply)) {
		status = vg_client_refused(reply);
		goto done;
	}
	status = vg_client_print_outcome(c, "was_running", was_running,
					 was_running ? "vigild locked and stopped"
						     : "vigild is not running");
done:
	json_decref(req);
	json_decref(reply);
	return status;
}

const struct vg_command vg_cmd_shutdown = {
    "shutdown",
    run,
    "vigil shutdown",
    "lock the vault and stop the daemon",
    "Has the daemon wipe the keys, remove its socket and exit. The next command that needs\n"
    "the daemon starts it again (locked).\n"
    "\n"
    "  --json  {\"was_running\": true|false}\n",
};
