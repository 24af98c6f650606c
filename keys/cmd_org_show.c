#include <stdio.h>

#include "keys.h"
#include "vigil/error.h"
#include "vigil/id.h"
#include "vigil/identity.h"

static int run(struct vg_keys *k, int argc, char **argv)
{
	struct vg_keys_opt opts[] = {{NULL, NULL, false, NULL, false}};
	struct vg_minisign_pk pk;
	char dir[PATH_MAX], pks[VG_MINISIGN_PK_B64_LEN + 1], fp[VG_FINGERPRINT_LEN + 1],
	    org[VG_ID_HEX_LEN + 1];
	uint8_t id[VG_ID_BYTES];
	int rc, status;

	if ((status = vg_keys_parse(&vg_keys_org_show, argc, argv, opts, NULL, NULL, 0, 0)) != 0)
		return status;
	if ((rc = vg_keys_data_path(dir, k, VG_KEYS_ROSTER_DIR)) < 0)
		return vg_keys_error(rc);
	rc = vg_roster_dir_org(&pk, dir);
	if (rc == VG_ENOTFOUND)
		return vg_keys_fail(VG_EXIT_REFUSED,
				    "no organisation in '%s' (run 'vigil-keys org init' first)",
				    k->home.data);
	if (rc < 0)
		return vg_keys_error(rc);
	vg_minisign_pk_encode(pks, &pk);
	vg_fingerprint_org(fp, &pk);
	vg_id_of_key(id, &pk);
	vg_hex_encode(org, id, VG_ID_BYTES);
	if (k->cli->json)
		return vg_keys_print_json(
		    json_pack("{s:s, s:s, s:s}", "public_key", pks, "fingerprint", fp, "org", org));
	printf("public key: %s\nfingerprint: %s\norganisation id: %s\n", pks, fp, org);
	return VG_EXIT_OK;
}

const struct vg_keys_command vg_keys_org_show = {
    "org",
    "show",
    run,
    "vigil-keys org show",
    "the organisation's public key and fingerprint code",
    "Prints the organisation's public key (the base64 line of a stock minisign public\n"
    "key), its fingerprint code (digits a member compares aloud when joining) and the\n"
    "organisation id. Needs no passphrase.\n"
    "\n"
    "  --json  {\"public_key\": ..., \"fingerprint\": ..., \"org\": ...}\n",
};
