/*
 * vigil panic: destroy the device's key material now (common/src/panic.c), without the
 * daemon (absent, hung or locked) and without the passphrase. Never asks a question: it is
 * for the moment the door is being knocked in.
 */
#include <stdio.h>

#include "client.h"
#include "vigil/error.h"
#include "vigil/panic.h"

static int run(struct vg_client *c, int argc, char **argv)
{
	static const char *const flags[] = {"--force", NULL};
	struct vg_panic_report r;
	bool set[1] = {false};
	json_t *out = NULL;
	int rc, status;

	if ((status = vg_client_options(&vg_cmd_panic, argc, argv, flags, set, NULL, NULL)) != 0)
		return status;
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
    "Entries not yet delivered are lost to this device (coordinators can still read what\n"
    "reached them). Interrupted, it is completed by running it again.\n"
    "\n"
    "Flash storage keeps old blocks: this destroys keys, it does not claim to erase data.\n"
    "Set up full-disk encryption too.\n"
    "\n"
    "  --force  never wait for the remote (panic never does before sync exists)\n"
    "  --json   {\"destroyed\": true, \"daemon_killed\", \"key_files\", \"file_keys\",\n"
    "            \"drafts\", \"store_unreadable\"}\n",
};
