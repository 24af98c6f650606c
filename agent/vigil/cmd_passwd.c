#include <stdio.h>

#include "client.h"
#include "vigil/error.h"

static int run(struct vg_client *c, int argc, char **argv)
{
	struct vg_buf old = VG_BUF_INIT_SECURE, new = VG_BUF_INIT_SECURE;
	json_t *req = NULL, *reply = NULL;
	int rc, status;

	if ((status = vg_client_options(&vg_cmd_passwd, argc, argv, NULL, NULL, NULL, NULL)) != 0)
		return status;
	if ((rc = vg_client_passphrase(&old, c, "Current passphrase: ", NULL)) < 0 ||
	    (rc = vg_client_passphrase(&new, c,
				       "New passphrase: ", "Repeat the new passphrase: ")) < 0) {
		status = vg_client_error(rc);
		goto done;
	}
	req = vg_ipc_request_new(VG_IPC_PASSWD);
	if (req == NULL || vg_ipc_set_base64(req, "old", old.ptr, old.len) < 0 ||
	    vg_ipc_set_base64(req, "new", new.ptr, new.len) < 0) {
		status = vg_client_fail(VG_EXIT_REFUSED, "out of memory");
		goto done;
	}
	vg_buf_release(&old);
	vg_buf_release(&new);
	if ((status = vg_client_exchange(&reply, c, req, VG_CALL_START)) != VG_EXIT_OK)
		goto done;
	status = vg_client_print_outcome(c, "changed", true, "passphrase changed");
	if (!c->cli->json)
		fputs(
		    "note: copies of vault.key made before now (backups, a seized disk) still open "
		    "with the old passphrase\n",
		    stderr);
done:
	vg_buf_release(&old);
	vg_buf_release(&new);
	json_decref(req);
	json_decref(reply);
	return status;
}

const struct vg_command vg_cmd_passwd = {
    "passwd",
    run,
    "vigil passwd",
    "change the vault's passphrase",
    "Asks for the current passphrase, then the new one (twice on a terminal; from\n"
    "--passphrase-fd: the current one on the first line, the new one on the second), and\n"
    "reseals <data>/vault.key under the new one, atomically. The keys stay the same, so\n"
    "copies of the file made before (backups, a seized disk) still open with the old\n"
    "passphrase: a passphrase that leaked needs new keys, not a new passphrase.\n"
    "\n"
    "  --json  {\"changed\": true}\n",
};
