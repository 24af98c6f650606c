#include <sys/stat.h>

#include "client.h"
#include "vigil/error.h"
#include "vigil/identity.h"

static int run(struct vg_client *c, int argc, char **argv)
{
	static const char *const options[] = {"--name", NULL};
	const char *values[1];
	struct vg_buf pass = VG_BUF_INIT_SECURE;
	char vault[PATH_MAX];
	json_t *req = NULL, *reply = NULL;
	struct stat st;
	int rc, status;

	if ((status = vg_client_options(&vg_cmd_init, argc, argv, NULL, NULL, options, values)) !=
	    0)
		return status;
	if (values[0] != NULL && !vg_pseudonym_valid(values[0]))
		return vg_client_fail(VG_EXIT_USAGE,
				      "pseudonym '%s' is not 1 to 32 of a-z, 0-9 and '-' starting "
				      "with a letter and not ending with '-'",
				      values[0]);
	if ((rc = vg_client_data_path(vault, c, "vault.key")) < 0)
		return vg_client_error(rc);
	/* Checked again by the daemon; here so nobody types a passphrase for nothing. */
	if (lstat(vault, &st) == 0)
		return vg_client_fail(VG_EXIT_REFUSED, "a vault already exists at '%s'", vault);
	if ((rc = vg_client_passphrase(
		 &pass, c, "New passphrase for the vault: ", "Repeat the passphrase: ")) < 0) {
		status = vg_client_error(rc);
		goto done;
	}
	req = vg_ipc_request_new(VG_IPC_INIT);
	if (req == NULL || vg_ipc_set_base64(req, "passphrase", pass.ptr, pass.len) < 0 ||
	    (values[0] != NULL && json_object_set_new(req, "name", json_string(values[0])) < 0)) {
		status = vg_client_fail(VG_EXIT_REFUSED, "out of memory");
		goto done;
	}
	vg_buf_release(&pass);
	if ((rc = vg_client_call(&reply, c, req, VG_CALL_START)) < 0) {
		status = vg_client_error(rc);
		goto done;
	}
	status =
	    vg_client_ok(reply)
		? vg_client_print_identity(c, json_string_value(json_object_get(reply, "identity")),
					   json_string_value(json_object_get(reply, "fingerprint")))
		: vg_client_refused(reply);
done:
	vg_buf_release(&pass);
	json_decref(req);
	json_decref(reply);
	return status;
}

const struct vg_command vg_cmd_init = {
    "init",
    run,
    "vigil init [--name PSEUDONYM]",
    "create this device's identity and encrypted vault",
    "Creates this device's keys (a minisign signing key and an age identity) and seals\n"
    "them in <data>/vault.key under a passphrase (asked twice on a terminal, read once\n"
    "from --passphrase-fd). Writes the public identity to <data>/identity.pub, leaves\n"
    "the daemon unlocked, and prints the public identity (one line to share) and its\n"
    "fingerprint code (digits to compare aloud). Refuses when a vault exists.\n"
    "\n"
    "  --name PSEUDONYM  1 to 32 of a-z, 0-9 and '-' (random when omitted)\n"
    "  --json            {\"identity\": ..., \"fingerprint\": ...}\n",
};
