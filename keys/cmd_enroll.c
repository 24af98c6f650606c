#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "vigil/error.h"
#include "vigil/id.h"
#include "vigil/identity.h"

static int run(struct vg_keys *k, int argc, char **argv)
{
	struct vg_keys_opt opts[] = {
	    {"--role", NULL, true, NULL, false},    {"--yes", NULL, false, NULL, false},
	    {"--org-key", NULL, true, NULL, false}, {"--days", NULL, true, NULL, false},
	    {NULL, NULL, false, NULL, false},
	};
	struct vg_roster_set *s = NULL;
	struct vg_roster *next = NULL;
	struct vg_identity id;
	enum vg_role role;
	char **ops, fp[VG_FINGERPRINT_LEN + 1], author[VG_ID_HEX_LEN + 1], msg[512];
	uint8_t aid[VG_ID_BYTES];
	unsigned days;
	int n, rc, status;

	if ((status = vg_keys_parse(&vg_keys_enroll, argc, argv, opts, &ops, &n, 1, 1)) != 0)
		return status;
	if (!opts[0].set)
		return vg_keys_fail(VG_EXIT_USAGE,
				    "enroll needs --role monitor|coordinator|auditor");
	if ((rc = vg_role_parse(&role, opts[0].value)) < 0 ||
	    (rc = vg_keys_days(&days, opts[3].value)) < 0)
		return vg_keys_error(rc);
	if ((rc = vg_identity_parse(&id, ops[0], strlen(ops[0]))) < 0)
		return vg_keys_error(rc);
	if ((rc = vg_keys_load(&s, k)) < 0 ||
	    (rc = vg_roster_next(&next, vg_roster_set_current(s), k->now)) < 0 ||
	    (rc = vg_roster_expire_in(next, k->now, days)) < 0 ||
	    (rc = vg_roster_add(next, &id, role)) < 0)
		goto fail;

	vg_fingerprint_member(fp, &id);
	vg_id_of_key(aid, &id.sign);
	vg_hex_encode(author, aid, VG_ID_BYTES);
	if (!opts[1].set) {
		bool yes = false;
		snprintf(msg, sizeof(msg),
			 "enrolling '%s' as %s\nauthor id: %s\nfingerprint: %s\n"
			 "Ask the member to read out the code 'vigil id' shows.\n"
			 "Is it exactly this code? [y/N] ",
			 id.pseudonym, vg_role_name(role), author, fp);
		if ((rc = vg_keys_confirm(&yes, msg)) < 0) {
			status = vg_keys_fail(VG_EXIT_REFUSED,
					      "cannot ask to compare the fingerprint code (no "
					      "terminal): compare it and pass --yes");
			goto done;
		}
		if (!yes) {
			status =
			    vg_keys_fail(VG_EXIT_REFUSED,
					 "not enrolled: the fingerprint codes were not confirmed");
			goto done;
		}
	}
	if ((rc = vg_keys_sign_next(s, next, k, opts[2].value)) < 0)
		goto fail;
	if (role == VG_ROLE_COORDINATOR)
		vg_keys_fail(VG_EXIT_OK,
			     "note: '%s' can read every entry sealed under roster "
			     "version %llu and later; devices raise an alarm for a new "
			     "coordinator",
			     id.pseudonym, (unsigned long long)next->version);
	if (k->cli->json) {
		status = vg_keys_print_json(json_pack(
		    "{s:I, s:s, s:s, s:s, s:s, s:s}", "version", (json_int_t)next->version,
		    "member", id.pseudonym, "id", author, "role", vg_role_name(role), "fingerprint",
		    fp, "expires", next->expires));
	} else {
		printf("enrolled '%s' as %s (author id %s)\n", id.pseudonym, vg_role_name(role),
		       author);
		printf("fingerprint: %s\n", fp);
		printf("roster version %llu signed, expires %s\n",
		       (unsigned long long)next->version, next->expires);
	}
	goto done;
fail:
	status = vg_keys_error(rc);
done:
	vg_roster_free(next);
	vg_roster_set_free(s);
	return status;
}

const struct vg_keys_command vg_keys_enroll = {
    "enroll",
    NULL,
    run,
    "vigil-keys enroll --role monitor|coordinator|auditor [--yes] [--org-key FILE]\n"
    "                  [--days N] PUBLIC-IDENTITY",
    "add a member to the next roster version",
    "Adds the member whose public identity ('vigil-id:...', as 'vigil init' and 'vigil id'\n"
    "print it) is given, with the role given, and signs the next roster version into\n"
    "<data>/roster/. First shows the member's fingerprint code and asks whether the member\n"
    "reads out exactly that code (from 'vigil id', over a channel you trust); --yes skips\n"
    "the question for scripts that compared it themselves. A key, pseudonym or recipient\n"
    "already in the roster (revoked members included) is refused. Monitors and\n"
    "coordinators write; coordinators also read every entry; auditors only verify.\n"
    "\n"
    "Passphrases: 1. the organisation key's.\n"
    "\n"
    "  --role R        monitor, coordinator or auditor\n"
    "  --yes           the fingerprint code was compared already\n"
    "  --org-key FILE  the organisation key (default: the last one used)\n"
    "  --days N        expiry of the new version, 1 to 366 days (default 90)\n"
    "  --json          {\"version\", \"member\", \"id\", \"role\", \"fingerprint\", \"expires\"}\n",
};
