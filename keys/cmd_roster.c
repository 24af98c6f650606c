#include <stdio.h>
#include <string.h>

#include "keys.h"
#include "vigil/error.h"
#include "vigil/fs.h"
#include "vigil/id.h"
#include "vigil/identity.h"

/* The current version at the top of the home's roster directory, its signature checked. */
static int load_top(struct vg_roster **out, struct vg_buf *json, const struct vg_keys *k)
{
	struct vg_buf sig = VG_BUF_INIT;
	struct vg_minisign_pk org;
	char dir[PATH_MAX], p[PATH_MAX];
	int rc;

	if ((rc = vg_keys_data_path(dir, k, VG_KEYS_ROSTER_DIR)) < 0)
		return rc;
	rc = vg_roster_dir_org(&org, dir);
	if (rc == VG_ENOTFOUND)
		return vg_error_set(VG_ENOTFOUND,
				    "no organisation in '%s' (run 'vigil-keys org "
				    "init' first)",
				    k->home.data);
	if (rc < 0 || (rc = vg_home_path(p, sizeof(p), dir, "roster.json")) < 0 ||
	    (rc = vg_fs_read_file(json, p, VG_ROSTER_JSON_MAX)) < 0 ||
	    (rc = vg_home_path(p, sizeof(p), dir, "roster.json.minisig")) < 0 ||
	    (rc = vg_fs_read_file(&sig, p, VG_ROSTER_SIG_MAX)) < 0)
		goto done;
	rc = vg_roster_verify(out, json->ptr, json->len, (const char *)sig.ptr, sig.len, &org);
done:
	vg_buf_release(&sig);
	return rc;
}

static void print_human(const struct vg_roster *r, bool history)
{
	char hex[VG_ID_HEX_LEN + 1], rs[VG_AGE_RECIPIENT_STR_LEN + 1], line[512];

	vg_hex_encode(hex, r->org, VG_ID_BYTES);
	snprintf(line, sizeof(line), "organisation: %s", r->name);
	vg_keys_print(stdout, line);
	printf("organisation id: %s\n", hex);
	vg_hex_encode(hex, r->hash, VG_ID_BYTES);
	printf("roster version %llu, expires %s, hash %s\n", (unsigned long long)r->version,
	       r->expires, hex);
	printf("verified: %s\n", history ? "every version from 1, chain intact, not expired"
					 : "this version's signature (--verify: every version)");
	printf("policy: bucket %zu, monitors %s, read keys kept at most %u days without a "
	       "receipt\n",
	       r->policy.bucket, r->policy.readback ? "read back" : "write-only",
	       r->policy.max_key_days);
	vg_age_recipient_encode(rs, &r->recovery);
	printf("recovery recipient: %s\n", rs);
	printf("members:\n");
	for (size_t i = 0; i < r->nmembers; i++) {
		const struct vg_roster_member *m = &r->members[i];
		vg_hex_encode(hex, m->id, VG_ID_BYTES);
		if (m->revoked)
			printf("  %-20s %-12s %s  cutoff seq %llu\n", m->pseudonym, "revoked", hex,
			       (unsigned long long)m->cutoff_seq);
		else
			printf("  %-20s %-12s %s\n", m->pseudonym, vg_role_name(m->role), hex);
	}
	printf("late_accept: %zu entr%s\n", r->nlate, r->nlate == 1 ? "y" : "ies");
}

static int run(struct vg_keys *k, int argc, char **argv)
{
	struct vg_keys_opt opts[] = {
	    {"--verify", NULL, false, NULL, false},
	    {NULL, NULL, false, NULL, false},
	};
	struct vg_roster_set *s = NULL;
	struct vg_roster *top = NULL;
	struct vg_buf json = VG_BUF_INIT;
	const struct vg_roster *r;
	json_error_t jerr;
	char hex[VG_ID_HEX_LEN + 1];
	int rc, status;

	if ((status = vg_keys_parse(&vg_keys_roster, argc, argv, opts, NULL, NULL, 0, 0)) != 0)
		return status;
	if ((rc = load_top(&top, &json, k)) < 0)
		goto fail;
	r = top;
	if (opts[0].set) {
		/* Every version, the chain between them, the top equal to the newest, expiry. */
		if ((rc = vg_keys_load(&s, k)) < 0 ||
		    (rc = vg_roster_set_check_fresh(s, k->now)) < 0)
			goto fail;
		r = vg_roster_set_current(s);
	}
	if (k->cli->json) {
		json_t *doc = json_loadb((const char *)json.ptr, json.len, 0, &jerr);
		vg_hex_encode(hex, r->hash, VG_ID_BYTES);
		status = vg_keys_print_json(
		    json_pack("{s:I, s:s, s:s, s:s, s:o}", "version", (json_int_t)r->version,
			      "hash", hex, "expires", r->expires, "verified",
			      opts[0].set ? "history" : "signature", "roster", doc));
	} else {
		print_human(r, opts[0].set);
	}
	goto done;
fail:
	status = vg_keys_error(rc);
done:
	vg_buf_release(&json);
	vg_roster_free(top);
	vg_roster_set_free(s);
	return status;
}

const struct vg_keys_command vg_keys_roster = {
    "roster",
    NULL,
    run,
    "vigil-keys roster [--verify]",
    "show the current roster",
    "Shows the current roster version of this home (<data>/roster/roster.json) after\n"
    "checking its signature against the organisation key: members by pseudonym with role\n"
    "and author id, revoked members with their cutoff, the policy, the recovery recipient\n"
    "and the expiry. With --verify, every version from 1 is verified, the hash chain\n"
    "between them, that roster.json is the newest, and that it has not expired; any failure\n"
    "exits 1 with the reason. Needs no passphrase.\n"
    "\n"
    "  --verify  check every version and the expiry, not only the current signature\n"
    "  --json    {\"version\", \"hash\", \"expires\", \"verified\": \"signature\"|\"history\",\n"
    "             \"roster\": the roster document}\n",
};
