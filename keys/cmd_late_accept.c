#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "keys.h"
#include "vigil/error.h"
#include "vigil/id.h"
#include "vigil/store.h"

/*
 * When this home's store holds the entry, it must be one a revocation quarantined: by a
 * revoked member, past the cutoff. An entry the store does not hold is admitted on the
 * coordinator's word (the member vouched for it another way).
 */
static int check_known(const struct vg_roster *r, struct vg_store *st,
		       const uint8_t id[VG_ID_BYTES], const char *name)
{
	struct vg_entry e;
	const struct vg_roster_member *m;
	int rc;

	if (st == NULL)
		return 0;
	vg_entry_init(&e);
	rc = vg_store_get_entry(st, &e, NULL, id);
	if (rc == VG_ENOTFOUND) {
		rc = 0;
		goto done;
	}
	if (rc < 0)
		goto done;
	m = vg_roster_find(r, e.meta.author);
	if (m == NULL || !m->revoked)
		rc = vg_error_set(VG_EUNSUPPORTED,
				  "entry %s is not by a revoked member: nothing to admit", name);
	else if (e.meta.seq <= m->cutoff_seq)
		rc = vg_error_set(VG_EUNSUPPORTED, "entry %s is not after the cutoff of '%s'", name,
				  m->pseudonym);
done:
	vg_entry_release(&e);
	return rc;
}

static int run(struct vg_keys *k, int argc, char **argv)
{
	struct vg_keys_opt opts[] = {
	    {"--org-key", NULL, true, NULL, false},
	    {"--days", NULL, true, NULL, false},
	    {NULL, NULL, false, NULL, false},
	};
	struct vg_roster_set *s = NULL;
	struct vg_roster *next = NULL;
	struct vg_store *st = NULL;
	char **ops, path[PATH_MAX];
	struct stat sb;
	unsigned days;
	int n, rc, status;

	if ((status = vg_keys_parse(&vg_keys_late_accept, argc, argv, opts, &ops, &n, 1, -1)) != 0)
		return status;
	if ((rc = vg_keys_days(&days, opts[1].value)) < 0)
		return vg_keys_error(rc);
	for (int i = 0; i < n; i++) {
		uint8_t id[VG_ID_BYTES];
		if (strlen(ops[i]) != VG_ID_HEX_LEN ||
		    vg_hex_decode(id, sizeof(id), ops[i], VG_ID_HEX_LEN) < 0)
			return vg_keys_fail(VG_EXIT_USAGE,
					    "'%s' is not an entry id (64 lower-case hex digits)",
					    ops[i]);
	}
	if ((rc = vg_keys_load(&s, k)) < 0 ||
	    (rc = vg_roster_next(&next, vg_roster_set_current(s), k->now)) < 0 ||
	    (rc = vg_roster_expire_in(next, k->now, days)) < 0 ||
	    (rc = vg_keys_data_path(path, k, "store.db")) < 0)
		goto fail;
	if (lstat(path, &sb) == 0 && (rc = vg_store_open(&st, path)) < 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		uint8_t id[VG_ID_BYTES];
		if ((rc = vg_hex_decode(id, sizeof(id), ops[i], VG_ID_HEX_LEN)) < 0 ||
		    (rc = check_known(next, st, id, ops[i])) < 0)
			goto fail;
		if ((rc = vg_roster_late_accept(next, id)) < 0) {
			vg_error_prefix(rc, "entry %s", ops[i]);
			goto fail;
		}
	}
	if ((rc = vg_keys_sign_next(s, next, k, opts[0].value)) < 0)
		goto fail;
	if (k->cli->json) {
		json_t *ids = json_array();
		for (int i = 0; ids != NULL && i < n; i++)
			json_array_append_new(ids, json_string(ops[i]));
		status = vg_keys_print_json(json_pack("{s:I, s:o, s:s}", "version",
						      (json_int_t)next->version, "admitted", ids,
						      "expires", next->expires));
	} else {
		printf("admitted %d entr%s past a revocation cutoff\n", n, n == 1 ? "y" : "ies");
		printf("roster version %llu signed, expires %s\n",
		       (unsigned long long)next->version, next->expires);
	}
	goto done;
fail:
	status = vg_keys_error(rc);
done:
	vg_store_close(st);
	vg_roster_free(next);
	vg_roster_set_free(s);
	return status;
}

const struct vg_keys_command vg_keys_late_accept = {
    "late-accept",
    NULL,
    run,
    "vigil-keys late-accept [--org-key FILE] [--days N] ENTRY-ID...",
    "admit quarantined entries of a revoked member",
    "Lists the entries given in the next roster version's late_accept: entries a revoked\n"
    "member signed after its cutoff, quarantined until now, which the member vouched for\n"
    "another way (in person, by a call). Every verifier then accepts them, provided they\n"
    "extend the member's chain. An id already admitted is refused; so is an entry this\n"
    "home holds that is not past a revoked member's cutoff.\n"
    "\n"
    "Passphrases: 1. the organisation key's.\n"
    "\n"
    "  --org-key FILE  the organisation key (default: the last one used)\n"
    "  --days N        expiry of the new version, 1 to 366 days (default 90)\n"
    "  --json          {\"version\", \"admitted\": [...], \"expires\"}\n",
};
