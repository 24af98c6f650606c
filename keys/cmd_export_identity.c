#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "keys.h"
#include "vigil/age.h"
#include "vigil/age_scrypt.h"
#include "vigil/error.h"
#include "vigil/panic.h"
#include "vigil/vault.h"

static int run(struct vg_keys *k, int argc, char **argv)
{
	struct vg_keys_opt opts[] = {
	    {"--output", "-o", true, NULL, false},
	    {NULL, NULL, false, NULL, false},
	};
	struct vg_buf vpass = VG_BUF_INIT_SECURE, xpass = VG_BUF_INIT_SECURE;
	struct vg_buf text = VG_BUF_INIT_SECURE, out = VG_BUF_INIT;
	struct vg_vault *v = NULL;
	struct vg_age_recipient r;
	char path[PATH_MAX], rs[VG_AGE_RECIPIENT_STR_LEN + 1];
	int rc, status;

	if ((status =
		 vg_keys_parse(&vg_keys_export_identity, argc, argv, opts, NULL, NULL, 0, 0)) != 0)
		return status;
	if (k->cli->json && !opts[0].set)
		return vg_keys_fail(VG_EXIT_USAGE, "--json needs -o FILE");
	if ((rc = vg_keys_data_path(path, k, "vault.key")) < 0)
		goto fail;
	if ((rc = vg_keys_passphrase(&vpass, k, "Passphrase of this device's vault: ", NULL)) < 0)
		goto fail;
	rc = vg_vault_read(&v, path, (const char *)vpass.ptr, vpass.len);
	if (rc == VG_EDURESS) {
		/* Answered as a wrong passphrase; then the keys go, as with vigil panic. */
		struct vg_panic_report pr;
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", vg_error_last());
		if (vg_panic(&pr, &k->home) < 0) {
			/* Nothing to tell: the answer stays a wrong passphrase's. */
		}
		rc = vg_error_set(VG_EAUTH, "%s", msg);
	}
	if (rc == VG_ENOTFOUND)
		rc = vg_error_set(VG_ENOTFOUND, "no vault in '%s': run 'vigil init' first",
				  k->home.data);
	if (rc < 0)
		goto fail;
	if ((rc = vg_keys_passphrase(
		 &xpass, k, "New passphrase for the exported identity: ", "Repeat it: ")) < 0)
		goto fail;
	if (xpass.len == vpass.len && sodium_memcmp(xpass.ptr, vpass.ptr, vpass.len) == 0) {
		rc = vg_error_set(VG_EUNSUPPORTED,
				  "the exported identity needs a passphrase of its own, "
				  "not the vault's");
		goto fail;
	}
	vg_age_identity_recipient(&r, v->age);
	vg_age_recipient_encode(rs, &r);
	if ((rc = vg_buf_printf(&text, "# vigil exported identity\n# public key: %s\n", rs)) < 0 ||
	    (rc = vg_age_identity_encode(&text, v->age)) < 0 ||
	    (rc = vg_buf_putc(&text, '\n')) < 0 ||
	    (rc = vg_age_scrypt_encrypt(&out, text.ptr, text.len, (const char *)xpass.ptr,
					xpass.len)) < 0 ||
	    (rc = vg_keys_write_output(opts[0].value, out.ptr, out.len, "an identity")) < 0)
		goto fail;
	if (k->cli->json)
		status = vg_keys_print_json(
		    json_pack("{s:s, s:s}", "file", opts[0].value, "recipient", rs));
	else if (opts[0].set)
		printf("identity of '%s' (%s) written to %s, encrypted with its passphrase\n",
		       v->pseudonym, rs, opts[0].value);
	goto done;
fail:
	status = vg_keys_error(rc);
done:
	vg_buf_release(&vpass);
	vg_buf_release(&xpass);
	vg_buf_release(&text);
	vg_buf_release(&out);
	vg_vault_free(v);
	return status;
}

const struct vg_keys_command vg_keys_export_identity = {
    "export-identity",
    NULL,
    run,
    "vigil-keys export-identity [-o FILE]",
    "this device's age identity, passphrase-encrypted, for stock age",
    "Writes this device's age identity (a coordinator's decryption key) as an age file\n"
    "encrypted with a new passphrase (scrypt), which stock 'age -d' opens:\n"
    "'age -d -i FILE ID.age' decrypts an entry with it, no vigil needed. Without -o the\n"
    "file goes to standard output (never to a terminal). Keep it as you keep the vault.\n"
    "\n"
    "Passphrases, in this order: 1. this device's vault passphrase, 2. the new passphrase\n"
    "of the exported file (another one; asked twice on a terminal).\n"
    "\n"
    "  -o, --output FILE  write it there (never replacing a file)\n"
    "  --json             {\"file\", \"recipient\"} (needs -o)\n",
};
