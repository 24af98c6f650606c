/*
 * vigil duress set|clear: a second passphrase that destroys the keys instead of unlocking
 * (agent/vigild/duress.c). The vault always has a duress slot, keyed randomly when none is
 * set, so setting one changes nothing anyone can see.
 */
#include <stdio.h>
#include <string.h>

#include "client.h"
#include "vigil/error.h"

static int run(struct vg_client *c, int argc, char **argv)
{
	struct vg_buf pass = VG_BUF_INIT_SECURE, duress = VG_BUF_INIT_SECURE;
	json_t *req = NULL, *reply = NULL;
	bool set;
	int rc, status;

	if (argc != 2 || (strcmp(argv[1], "set") != 0 && strcmp(argv[1], "clear") != 0)) {
		vg_client_fail(VG_EXIT_USAGE, "usage: %s", vg_cmd_duress.usage);
		return VG_EXIT_USAGE;
	}
	set = strcmp(argv[1], "set") == 0;
	if ((rc = vg_client_passphrase(&pass, c, "Vault passphrase: ", NULL)) < 0 ||
	    (set && (rc = vg_client_passphrase(&duress, c, "Duress passphrase: ",
					       "Repeat the duress passphrase: ")) < 0)) {
		status = vg_client_error(rc);
		goto done;
	}
	req = vg_ipc_request_new(set ? VG_IPC_DURESS_SET : VG_IPC_DURESS_CLEAR);
	if (req == NULL || vg_ipc_set_base64(req, "passphrase", pass.ptr, pass.len) < 0 ||
	    (set && vg_ipc_set_base64(req, "duress", duress.ptr, duress.len) < 0)) {
		status = vg_client_fail(VG_EXIT_REFUSED, "out of memory");
		goto done;
	}
	vg_buf_release(&pass);
	vg_buf_release(&duress);
	if ((status = vg_client_exchange(&reply, c, req, VG_CALL_START)) == VG_EXIT_OK)
		status = vg_client_print_outcome(c, "resealed", true,
						 set ? "duress passphrase set"
						     : "duress passphrase cleared");
done:
	vg_buf_release(&pass);
	vg_buf_release(&duress);
	json_decref(req);
	json_decref(reply);
	return status;
}

const struct vg_command vg_cmd_duress = {
    "duress",
    run,
    "vigil duress set|clear",
    "a second passphrase that destroys the keys instead of unlocking",
    "set: asks for the vault passphrase, then a duress passphrase (twice on a terminal; from\n"
    "--passphrase-fd: the vault passphrase on the first line, the duress one on the\n"
    "second), and reseals the vault. From then on, the duress passphrase given to any\n"
    "command that asks for the vault passphrase is answered exactly as a wrong passphrase\n"
    "(same time, same message), and then every key is destroyed as 'vigil panic' does.\n"
    "clear: asks for the vault passphrase and makes the duress slot random again.\n"
    "\n"
    "The vault always has a duress slot (random until one is set), so nobody can tell from\n"
    "the file, or from the vault opened with its passphrase, whether one is set. What it\n"
    "cannot hide: a disk image taken earlier still opens with the real passphrase; the git\n"
    "host keeps what was pushed; vigil is open source, so its duress feature is known; and\n"
    "destroying data in front of the police can itself be charged.\n"
    "\n"
    "  --json  {\"resealed\": true}\n",
};
