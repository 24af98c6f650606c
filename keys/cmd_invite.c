#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "vigil/error.h"
#include "vigil/fs.h"
#include "vigil/id.h"
#include "vigil/identity.h"
#include "vigil/invite.h"
#include "vigil/net.h"

static int run(struct vg_keys *k, int argc, char **argv)
{
	struct vg_keys_opt opts[] = {
	    {"--remote", NULL, true, NULL, false},  {"--output", "-o", true, NULL, false},
	    {"--pin", NULL, true, NULL, false},	    {"--credential", NULL, true, NULL, false},
	    {"--org-key", NULL, true, NULL, false}, {NULL, NULL, false, NULL, false},
	};
	struct vg_roster_set *s = NULL;
	struct vg_minisign_sk *sk = NULL;
	struct vg_invite inv;
	struct vg_buf cred = VG_BUF_INIT_SECURE, out = VG_BUF_INIT;
	const struct vg_roster *r;
	const struct vg_roster_member *m;
	char **ops, fp[VG_FINGERPRINT_LEN + 1];
	uint8_t pin[32];
	int n, rc, status;

	vg_invite_init(&inv);
	if ((status = vg_keys_parse(&vg_keys_invite, argc, argv, opts, &ops, &n, 1, 1)) != 0)
		return status;
	if (!opts[0].set)
		return vg_keys_fail(VG_EXIT_USAGE, "invite needs --remote URL");
	if (opts[2].set && opts[0].set &&
	    (rc = vg_net_pin_parse(pin, opts[0].value, opts[2].value)) < 0)
		return vg_keys_fail(VG_EXIT_USAGE, "%s", vg_error_last());
	if (k->cli->json && !opts[1].set)
		return vg_keys_fail(VG_EXIT_USAGE, "--json needs -o FILE (the invitation is the "
						   "output otherwise)");
	if (opts[3].set && (rc = vg_fs_read_file(&cred, opts[3].value, 8192)) < 0)
		goto fail;
	/* The remote, pin and credential must suit each other (vigil/net.h): an ssh remote
	 * needs a pin and an Ed25519 key; a path remote takes neither. */
	if ((strstr(opts[0].value, "://") != NULL && strncmp(opts[0].value, "file://", 7) != 0 &&
	     (rc = vg_net__url_check(opts[0].value)) < 0) ||
	    (rc = vg_net_check(opts[0].value, opts[2].set ? pin : NULL, cred.ptr, cred.len, NULL)) <
		0) {
		status = vg_keys_fail(VG_EXIT_USAGE, "%s", vg_error_last());
		goto done;
	}
	if ((rc = vg_keys_load(&s, k)) < 0)
		goto fail;
	r = vg_roster_set_current(s);
	if ((rc = vg_roster_check_fresh(r, k->now)) < 0) {
		vg_error_prefix(rc, "run 'vigil-keys renew' first");
		goto fail;
	}
	if ((m = vg_roster_lookup(r, ops[0])) == NULL) {
		status =
		    vg_keys_fail(VG_EXIT_REFUSED, "'%s' is not a member of roster version %llu",
				 ops[0], (unsigned long long)r->version);
		goto done;
	}
	if (m->revoked || (opts[3].set && !m->has_age)) {
		status = vg_keys_fail(VG_EXIT_REFUSED,
				      m->revoked ? "'%s' is revoked"
						 : "'%s' is an auditor, with no age recipient to "
						   "encrypt a credential to",
				      m->pseudonym);
		goto done;
	}
	if ((rc = vg_invite_prepare(&inv, r, m, opts[0].value, opts[2].set ? pin : NULL,
				    opts[3].set ? cred.ptr : NULL, cred.len)) < 0 ||
	    (rc = vg_keys_open_orgkey(&sk, k, opts[4].value, r)) < 0 ||
	    (rc = vg_invite_write(&out, &inv, sk)) < 0 ||
	    (rc = vg_keys_write_output(opts[1].value, out.ptr, out.len, "an invitation")) < 0)
		goto fail;
	vg_fingerprint_org(fp, &r->signer);
	if (k->cli->json) {
		status = vg_keys_print_json(
		    json_pack("{s:s, s:s, s:s, s:I}", "member", m->pseudonym, "file", opts[1].value,
			      "fingerprint", fp, "roster", (json_int_t)r->version));
	} else {
		FILE *f = opts[1].set ? stdout : stderr;
		fprintf(f, "invitation for '%s' (%s)%s%s\n", m->pseudonym, vg_role_name(m->role),
			opts[1].set ? " written to " : "", opts[1].set ? opts[1].value : "");
		fprintf(f, "organisation fingerprint: %s\n", fp);
		fprintf(f, "the member compares this code aloud with you when joining\n");
	}
	goto done;
fail:
	status = vg_keys_error(rc);
done:
	vg_invite_release(&inv);
	vg_buf_release(&cred);
	vg_buf_release(&out);
	vg_minisign_sk_free(sk);
	vg_roster_set_free(s);
	return status;
}

const struct vg_keys_command vg_keys_invite = {
    "invite",
    NULL,
    run,
    "vigil-keys invite MEMBER --remote URL [-o FILE] [--pin PIN] [--credential FILE]\n"
    "                  [--org-key FILE]",
    "an invitation file for 'vigil join'",
    "Writes an invitation for MEMBER (a pseudonym or author id in the current roster),\n"
    "signed by the organisation key: the organisation key, the remote, an optional pin of\n"
    "the remote's ssh host key or TLS certificate, the current roster version and hash (the\n"
    "oldest the member will accept), and optionally a transport credential encrypted to the\n"
    "member alone. Prints the organisation's fingerprint code, which the member compares\n"
    "aloud with yours when joining. Without -o the invitation goes to standard output.\n"
    "\n"
    "Passphrases: 1. the organisation key's.\n"
    "\n"
    "  --remote URL       where the member syncs: a path, ssh://..., https://...\n"
    "  -o, --output FILE  write the invitation there (never replacing a file)\n"
    "  --pin PIN          the server's key. ssh (required): its host key's 'SHA256:...'\n"
    "                     (ssh-keyscan HOST | ssh-keygen -lf -); https (optional; without,\n"
    "                     the system's certificate authorities): 'sha256:' and the hex\n"
    "                     SHA-256 of its certificate (openssl x509 -outform der | sha256sum)\n"
    "  --credential FILE  the member's transport credential, encrypted to it: for ssh an\n"
    "                     unencrypted OpenSSH Ed25519 key (ssh-keygen -t ed25519 -N '' -f\n"
    "                     KEY; RSA is refused: libssh2 1.10 cannot sign with it), for https\n"
    "                     'username=NAME' and 'password=TOKEN' lines; a path remote takes\n"
    "                     no pin and no credential\n"
    "  --org-key FILE     the organisation key (default: the last one used)\n"
    "  --json             {\"member\", \"file\", \"fingerprint\", \"roster\"} (needs -o)\n",
};
