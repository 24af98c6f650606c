#include <stdio.h>

#include "client.h"
#include "vigil/error.h"

static int run(struct vg_client *c, int argc, char **argv)
{
	struct vg_buf pass = VG_BUF_INIT_SECURE;
	json_t *req = NULL, *reply = NULL;
	int rc, status;

	if ((status = vg_client_options(&vg_cmd_unlock, argc, argv, NULL, NULL, NULL, NULL)) != 0)
		return status;
	/* Always asked and checked, even when the daemon is unlocked already. */
	if ((rc = vg_client_passphrase(&pass, c, "Passphrase: ", NULL)) < 0) {
		status = vg_client_error(rc);
		goto done;
	}
	req = vg_ipc_request_new(VG_IPC_UNLOCK);
	if (req == NULL || vg_ipc_set_base64(req, "passphrase", pass.ptr, pass.len) < 0) {
		status = vg_client_fail(VG_EXIT_REFUSED, "out of memory");
		goto done;
	}
	vg_buf_release(&pass);
	if ((status = vg_client_exchange(&reply, c, req, VG_CALL_START)) == VG_EXIT_OK)
		status = vg_client_print_outcome(c, "locked", false, "vault unlocked");
done:
	vg_buf_release(&pass);
	json_decref(req);
	json_decref(reply);
	return status;
}

const struct vg_command vg_cmd_unlock = {
    "unlock",
    run,
    "vigil unlock",
    "unlock the vault",
    "Asks for the passphrase (or reads it from --passphrase-fd) and has the daemon open\n"
    "the vault and hold its keys until 'vigil lock', auto-lock or SIGUSR1. The\n"
    "passphrase is always checked, even when the vault is unlocked already: a wrong one\n"
    "is refused (exit 1).\n"
    "\n"
    "  --json  {\"locked\": false}\n",
};
