#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "client.h"
#include "vigil/error.h"
#include "vigil/fs.h"
#include "vigil/identity.h"
#include "vigil/minisign.h"

/*
 * Prove that the unlocked vault holds the keys identity.pub names: the daemon signs a fresh
 * nonce, which is checked here with the key from identity.pub, and names the identity it
 * holds. Needs the keys, so a locked vault is unlocked first (or refused).
 */
static int verify(struct vg_client *c, const struct vg_identity *id, const char *line)
{
	uint8_t nonce[VG_IPC_NONCE_BYTES];
	char msg[VG_IPC_CHALLENGE_LEN + 1];
	struct vg_minisig sig;
	json_t *req = NULL, *reply = NULL;
	const char *text, *held;
	int status;

	randombytes_buf(nonce, sizeof(nonce));
	req = vg_ipc_request_new(VG_IPC_CHALLENGE);
	if (req == NULL || vg_ipc_set_base64(req, "nonce", nonce, sizeof(nonce)) < 0) {
		status = vg_client_fail(VG_EXIT_REFUSED, "out of memory");
		goto done;
	}
	if ((status = vg_client_exchange(&reply, c, req, VG_CALL_START | VG_CALL_NEEDS_KEYS)) !=
	    VG_EXIT_OK)
		goto done;
	text = json_string_value(json_object_get(reply, "signature"));
	held = json_string_value(json_object_get(reply, "identity"));
	vg_ipc_challenge_message(msg, nonce);
	if (text == NULL || held == NULL || vg_minisign_sig_parse(&sig, text, strlen(text)) < 0 ||
	    strcmp(sig.trusted, VG_IPC_CHALLENGE_COMMENT) != 0 ||
	    vg_minisign_verify(&sig, &id->sign, (const uint8_t *)msg, strlen(msg), 0) < 0) {
		status = vg_client_fail(
		    VG_EXIT_REFUSED, "identity.pub does not match the vault: its signing key did "
				     "not sign the challenge");
		goto done;
	}
	if (strcmp(held, line) != 0) {
		status =
		    vg_client_fail(VG_EXIT_REFUSED,
				   "identity.pub does not match the vault, which holds '%s'", held);
		goto done;
	}
	status = VG_EXIT_OK;
done:
	json_decref(req);
	json_decref(reply);
	return status;
}

static int run(struct vg_client *c, int argc, char **argv)
{
	static const char *const flags[] = {"--verify", NULL};
	bool set[1];
	struct vg_buf text = VG_BUF_INIT;
	struct vg_identity id;
	char path[PATH_MAX], line[VG_IDENTITY_STR_MAX + 1], fp[VG_FINGERPRINT_LEN + 1];
	int rc, status;

	if ((status = vg_client_options(&vg_cmd_id, argc, argv, flags, set, NULL, NULL)) != 0)
		return status;
	if ((rc = vg_client_data_path(path, c, "identity.pub")) < 0)
		return vg_client_error(rc);
	rc = vg_fs_read_file(&text, path, 4096);
	if (rc == VG_ENOTFOUND) {
		status = vg_client_fail(
		    VG_EXIT_REFUSED, "no identity in '%s': run 'vigil init' first", c->home.data);
		goto done;
	}
	if (rc < 0 || (rc = vg_identity_parse(&id, (const char *)text.ptr, text.len)) < 0) {
		status =
		    vg_client_fail(VG_EXIT_REFUSED, "cannot read '%s': %s", path, vg_error_last());
		goto done;
	}
	vg_identity_format(line, &id);
	vg_fingerprint_member(fp, &id);
	if (set[0] && (status = verify(c, &id, line)) != VG_EXIT_OK)
		goto done;
	status = vg_client_print_identity(c, line, fp);
	if (status == VG_EXIT_OK && set[0] && !c->cli->json)
		fputs("verified: the unlocked vault holds these keys\n", stdout);
done:
	vg_buf_release(&text);
	return status;
}

const struct vg_command vg_cmd_id = {
    "id",
    run,
    "vigil id [--verify]",
    "this device's public identity and fingerprint code",
    "Prints the public identity (one line to share) and its fingerprint code (digits to\n"
    "compare aloud) from <data>/identity.pub. Works while the vault is locked and with no\n"
    "daemon running.\n"
    "\n"
    "  --verify  also prove that the vault holds these keys: the daemon signs a fresh\n"
    "            challenge (needs the keys: a locked vault asks for the passphrase)\n"
    "  --json    {\"identity\": ..., \"fingerprint\": ...}\n",
};
