#include <stdio.h>

#include "keys.h"
#include "vigil/error.h"

static int run(struct vg_keys *k, int argc, char **argv)
{
	struct vg_keys_opt opts[] = {
	    {"--org-key", NULL, true, NULL, false},
	    {"--days", NULL, true, NULL, false},
	    {NULL, NULL, false, NULL, false},
	};
	struct vg_roster_set *s = NULL;
	struct vg_roster *next = NULL;
	unsigned days;
	int rc, status;

	if ((status = vg_keys_parse(&vg_keys_renew, argc, argv, opts, NULL, NULL, 0, 0)) != 0)
		return status;
	if ((rc = vg_keys_days(&days, opts[1].value)) < 0)
		return vg_keys_error(rc);
	if ((rc = vg_keys_load(&s, k)) < 0 ||
	    (rc = vg_roster_next(&next, vg_roster_set_current(s), k->now)) < 0 ||
	    (rc = vg_roster_expire_in(next, k->now, days)) < 0 ||
	    (rc = vg_keys_sign_next(s, next, k, opts[0].value)) < 0) {
		status = vg_keys_error(rc);
		goto done;
	}
	if (k->cli->json)
		status = vg_keys_print_json(json_pack(
		    "{s:I, s:s}", "version", (json_int_t)next->version, "expires", next->expires));
	else
		printf("roster version %llu signed, unchanged but for its expiry: %s\n",
		       (unsigned long long)next->version, next->expires);
done:
	vg_roster_free(next);
	vg_roster_set_free(s);
	return status;
}

const struct vg_keys_command vg_keys_renew = {
    "renew",
    NULL,
    run,
    "vigil-keys renew [--days N] [--org-key FILE]",
    "sign the next roster version with a new expiry",
    "Signs the next roster version, unchanged but for its expiry. Rosters expire so that\n"
    "devices notice a host that keeps serving an old one: renew well before the expiry\n"
    "that 'vigil-keys roster' shows (every month, say). Works on an expired roster too.\n"
    "\n"
    "Passphrases: 1. the organisation key's.\n"
    "\n"
    "  --days N        expiry of the new version, 1 to 366 days (default 90)\n"
    "  --org-key FILE  the organisation key (default: the last one used)\n"
    "  --json          {\"version\", \"expires\"}\n",
};
