#include <stdio.h>

#include "keys.h"
#include "vigil/error.h"

/* vigil-keys policy: the roster's policy on monitors' read keys (FORMAT.md 11.2, 17.5). */
static int run(struct vg_keys *k, int argc, char **argv)
{
	struct vg_keys_opt opts[] = {
	    {"--org-key", NULL, true, NULL, false},	 {"--days", NULL, true, NULL, false},
	    {"--readback", NULL, false, NULL, false},	 {"--write-only", NULL, false, NULL, false},
	    {"--max-key-days", NULL, true, NULL, false}, {NULL, NULL, false, NULL, false},
	};
	struct vg_roster_set *s = NULL;
	struct vg_roster *next = NULL;
	uint64_t keydays = 0;
	unsigned days;
	int rc, status;

	if ((status = vg_keys_parse(&vg_keys_policy, argc, argv, opts, NULL, NULL, 0, 0)) != 0)
		return status;
	if (opts[2].set && opts[3].set)
		return vg_keys_fail(VG_EXIT_USAGE,
				    "--readback and --write-only exclude each other");
	if (opts[4].set && ((rc = vg_keys_uint(&keydays, opts[4].value, "--max-key-days")) < 0 ||
			    keydays < 1 || keydays > VG_ROSTER_KEY_DAYS_MAX))
		return vg_keys_fail(VG_EXIT_USAGE, "--max-key-days must be 1 to %d",
				    VG_ROSTER_KEY_DAYS_MAX);
	if (!opts[2].set && !opts[3].set && !opts[4].set)
		return vg_keys_fail(VG_EXIT_USAGE,
				    "nothing to change: give --readback, --write-only or "
				    "--max-key-days N");
	if ((rc = vg_keys_days(&days, opts[1].value)) < 0)
		return vg_keys_error(rc);
	if ((rc = vg_keys_load(&s, k)) < 0 ||
	    (rc = vg_roster_next(&next, vg_roster_set_current(s), k->now)) < 0 ||
	    (rc = vg_roster_expire_in(next, k->now, days)) < 0) {
		status = vg_keys_error(rc);
		goto done;
	}
	if (opts[2].set || opts[3].set)
		next->policy.readback = opts[2].set;
	if (opts[4].set)
		next->policy.max_key_days = (unsigned)keydays;
	if ((rc = vg_keys_sign_next(s, next, k, opts[0].value)) < 0) {
		status = vg_keys_error(rc);
		goto done;
	}
	if (k->cli->json)
		status = vg_keys_print_json(json_pack(
		    "{s:I,s:b,s:I}", "version", (json_int_t)next->version, "readback",
		    next->policy.readback, "max_key_days", (json_int_t)next->policy.max_key_days));
	else
		printf("roster version %llu signed: monitors %s, read keys kept at most %u days\n",
		       (unsigned long long)next->version,
		       next->policy.readback ? "read back their entries" : "are write-only",
		       next->policy.max_key_days);
done:
	vg_roster_free(next);
	vg_roster_set_free(s);
	return status;
}

const struct vg_keys_command vg_keys_policy = {
    "policy",
    NULL,
    run,
    "vigil-keys policy [--readback|--write-only] [--max-key-days N] [--days N] [--org-key FILE]",
    "sign the next roster version with another policy on monitors' read keys",
    "Signs the next roster version with the policy changed. Write-only monitors (the\n"
    "default) destroy the keys that read their own entries once a coordinator's receipt\n"
    "confirms delivery, and at the latest N days after they pushed them (the host may\n"
    "withhold receipts). With --readback monitors are also recipients of their own entries\n"
    "and destroy nothing. The change reaches devices when the roster is published.\n"
    "\n"
    "Passphrases: 1. the organisation key's.\n"
    "\n"
    "  --readback        monitors read their own entries back, and destroy nothing\n"
    "  --write-only      monitors destroy read keys of delivered entries (the default)\n"
    "  --max-key-days N  days a device keeps read keys without a receipt, 1 to 3650\n"
    "  --days N          expiry of the new version, 1 to 366 days (default 90)\n"
    "  --org-key FILE    the organisation key (default: the last one used)\n"
    "  --json            {\"version\", \"readback\", \"max_key_days\"}\n",
};
