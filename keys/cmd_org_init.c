#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "keys.h"
#include "vigil/age.h"
#include "vigil/age_scrypt.h"
#include "vigil/error.h"
#include "vigil/fs.h"
#include "vigil/identity.h"
#include "vigil/orgkey.h"

#define IDENTITY_PUB_MAX 4096

/* This home's public identity, from <data>/identity.pub (written by `vigil init`). */
static int own_identity(struct vg_identity *out, const struct vg_keys *k)
{
	struct vg_buf b = VG_BUF_INIT;
	char p[PATH_MAX];
	int rc;

	if ((rc = vg_keys_data_path(p, k, "identity.pub")) < 0)
		return rc;
	rc = vg_fs_read_file(&b, p, IDENTITY_PUB_MAX);
	if (rc == VG_ENOTFOUND)
		rc = vg_error_set(VG_ENOTFOUND, "no identity in '%s': run 'vigil init' first",
				  k->home.data);
	else if (rc == 0 && (rc = vg_identity_parse(out, (const char *)b.ptr, b.len)) < 0)
		vg_error_prefix(rc, "cannot read '%s'", p);
	vg_buf_release(&b);
	return rc;
}

/* Where a new secret file goes: absolute, not there yet, outside a home unless forced. */
static int place(char *out, const struct vg_keys *k, const char *given, const char *what,
		 bool force)
{
	struct stat st;
	bool inside;
	int rc;

	if ((rc = vg_keys_absolute(out, given)) < 0)
		return rc;
	if (lstat(out, &st) == 0)
		return vg_error_set(VG_EEXISTS, "'%s' already exists: refusing to replace %s", out,
				    what);
	if ((rc = vg_keys_inside_home(&inside, k, out)) < 0)
		return rc;
	if (inside && !force)
		return vg_error_set(VG_EUNSUPPORTED,
				    "'%s' is inside a vigil home: %s belongs on offline media "
				    "(--force to keep it there anyway)",
				    out, what);
	return 0;
}

/* The recovery identity as an age identity file, encrypted under pass. */
static int recovery_file(struct vg_buf *out, const struct vg_age_identity *id,
			 const struct vg_buf *pass)
{
	struct vg_buf text = VG_BUF_INIT_SECURE;
	struct vg_age_recipient r;
	char rs[VG_AGE_RECIPIENT_STR_LEN + 1];
	int rc;

	vg_age_identity_recipient(&r, id);
	vg_age_recipient_encode(rs, &r);
	if ((rc = vg_buf_printf(&text, "# vigil recovery identity\n# public key: %s\n", rs)) < 0 ||
	    (rc = vg_age_identity_encode(&text, id)) < 0 || (rc = vg_buf_putc(&text, '\n')) < 0)
		goto done;
	rc = vg_age_scrypt_encrypt(out, text.ptr, text.len, (const char *)pass->ptr, pass->len);
done:
	vg_buf_release(&text);
	return rc;
}

static int run(struct vg_keys *k, int argc, char **argv)
{
	struct vg_keys_opt opts[] = {
	    {"--name", NULL, true, NULL, false},      {"--org-key", NULL, true, NULL, false},
	    {"--recovery", NULL, true, NULL, false},  {"--force", NULL, false, NULL, false},
	    {"--days", NULL, true, NULL, false},      {"--bucket", NULL, true, NULL, false},
	    {"--readback", NULL, false, NULL, false}, {"--max-key-days", NULL, true, NULL, false},
	    {NULL, NULL, false, NULL, false},
	};
	struct vg_buf orgpass = VG_BUF_INIT_SECURE, recpass = VG_BUF_INIT_SECURE;
	struct vg_buf rec = VG_BUF_INIT, json = VG_BUF_INIT, sig = VG_BUF_INIT;
	struct vg_minisign_sk *sk = NULL;
	struct vg_age_identity *recovery = NULL;
	struct vg_age_recipient rr;
	struct vg_minisign_pk pk;
	struct vg_identity me;
	struct vg_roster *r = NULL;
	char keypath[PATH_MAX], recpath[PATH_MAX], dir[PATH_MAX];
	char pks[VG_MINISIGN_PK_B64_LEN + 1], fp[VG_FINGERPRINT_LEN + 1], org[VG_ID_HEX_LEN + 1],
	    rs[VG_AGE_RECIPIENT_STR_LEN + 1];
	uint64_t bucket = VG_ENTRY_BUCKET_DEFAULT, keydays = VG_ROSTER_KEY_DAYS_DEFAULT;
	unsigned days;
	struct stat st;
	int rc, status;

	if ((status = vg_keys_parse(&vg_keys_org_init, argc, argv, opts, NULL, NULL, 0, 0)) != 0)
		return status;
	if (!opts[0].set)
		return vg_keys_fail(VG_EXIT_USAGE, "org init needs --name ORG");
	if ((rc = vg_keys_days(&days, opts[4].value)) < 0 ||
	    (opts[5].set && (rc = vg_keys_uint(&bucket, opts[5].value, "--bucket")) < 0) ||
	    (opts[7].set && (rc = vg_keys_uint(&keydays, opts[7].value, "--max-key-days")) < 0))
		return vg_keys_error(rc);
	if (bucket < VG_ENTRY_BUCKET_MIN || bucket > VG_ENTRY_BUCKET_MAX || (bucket & (bucket - 1)))
		return vg_keys_fail(VG_EXIT_USAGE, "--bucket must be a power of two, %d to %d",
				    VG_ENTRY_BUCKET_MIN, VG_ENTRY_BUCKET_MAX);
	if (keydays < 1 || keydays > VG_ROSTER_KEY_DAYS_MAX)
		return vg_keys_fail(VG_EXIT_USAGE, "--max-key-days must be 1 to %d",
				    VG_ROSTER_KEY_DAYS_MAX);
	/* Everything that can be refused is, before anybody types a passphrase. */
	if ((rc = own_identity(&me, k)) < 0 ||
	    (rc = vg_keys_data_path(dir, k, VG_KEYS_ROSTER_DIR)) < 0)
		return vg_keys_error(rc);
	if (lstat(dir, &st) == 0)
		return vg_keys_fail(VG_EXIT_REFUSED, "this home already has an organisation ('%s')",
				    dir);
	if ((rc = place(keypath, k, opts[1].set ? opts[1].value : VG_KEYS_DEFAULT_ORGKEY,
			"the organisation key", opts[3].set)) < 0 ||
	    (rc = place(recpath, k, opts[2].set ? opts[2].value : VG_KEYS_DEFAULT_RECOVERY,
			"the recovery identity", opts[3].set)) < 0)
		return vg_keys_error(rc);
	if (strcmp(keypath, recpath) == 0)
		return vg_keys_fail(VG_EXIT_USAGE, "the organisation key and the recovery identity "
						   "need two files");
	if ((rc = vg_minisign_sk_generate(&sk)) < 0 ||
	    (rc = vg_age_identity_generate(&recovery)) < 0)
		goto fail;
	vg_minisign_sk_public(&pk, sk);
	vg_age_identity_recipient(&rr, recovery);
	if ((rc = vg_roster_first(&r, &pk, opts[0].value, &rr, &me, k->now)) < 0 ||
	    (rc = vg_roster_expire_in(r, k->now, days)) < 0)
		goto fail;
	r->policy.bucket = (size_t)bucket;
	r->policy.readback = opts[6].set;
	r->policy.max_key_days = (unsigned)keydays;

	if ((rc = vg_keys_passphrase(
		 &orgpass, k, "New passphrase for the organisation key: ", "Repeat it: ")) < 0 ||
	    (rc = vg_keys_passphrase(
		 &recpass, k, "New passphrase for the recovery identity: ", "Repeat it: ")) < 0)
		goto fail;
	if (orgpass.len == recpass.len &&
	    sodium_memcmp(orgpass.ptr, recpass.ptr, orgpass.len) == 0) {
		rc = vg_error_set(VG_EUNSUPPORTED,
				  "the recovery identity needs a passphrase of its own, "
				  "not the organisation key's");
		goto fail;
	}
	if ((rc = recovery_file(&rec, recovery, &recpass)) < 0 ||
	    (rc = vg_roster_sign(&json, &sig, r, sk)) < 0)
		goto fail;
	if ((rc = vg_orgkey_write(keypath, sk, (const char *)orgpass.ptr, orgpass.len)) < 0 ||
	    (rc = vg_fs_write_atomic(recpath, rec.ptr, rec.len, 0600, 1)) < 0 ||
	    (rc = vg_mkdir_p(k->home.data, 0700)) < 0 ||
	    (rc = vg_roster_dir_write(dir, 1, json.ptr, json.len, (const char *)sig.ptr, sig.len,
				      &pk)) < 0)
		goto fail;
	/* Later commands find the key here unless told otherwise (--org-key). */
	if ((rc = vg_keys_remember_orgkey(k, keypath)) < 0)
		goto fail;

	vg_minisign_pk_encode(pks, &pk);
	vg_fingerprint_org(fp, &pk);
	vg_hex_encode(org, r->org, VG_ID_BYTES);
	vg_age_recipient_encode(rs, &rr);
	if (k->cli->json) {
		status = vg_keys_print_json(json_pack(
		    "{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s}", "org", org, "public_key", pks,
		    "fingerprint", fp, "org_key", keypath, "recovery", recpath,
		    "recovery_recipient", rs, "roster", (json_int_t)1, "expires", r->expires));
	} else {
		printf("organisation '%s' created\n", r->name);
		printf("organisation id: %s\npublic key: %s\nfingerprint: %s\n", org, pks, fp);
		printf("organisation key: %s\n", keypath);
		printf("recovery identity: %s (%s)\n", recpath, rs);
		printf("roster version 1 signed with this device as coordinator, expires %s\n",
		       r->expires);
		printf("move both files to offline media and keep them apart; later commands take "
		       "--org-key FILE\n");
	}
	goto done;
fail:
	status = vg_keys_error(rc);
done:
	vg_buf_release(&orgpass);
	vg_buf_release(&recpass);
	vg_buf_release(&rec);
	vg_buf_release(&json);
	vg_buf_release(&sig);
	vg_minisign_sk_free(sk);
	vg_age_identity_free(recovery);
	vg_roster_free(r);
	return status;
}

const struct vg_keys_command vg_keys_org_init = {
    "org",
    "init",
    run,
    "vigil-keys org init --name ORG [--org-key FILE] [--recovery FILE] [--force]\n"
    "                      [--days N] [--bucket N] [--readback] [--max-key-days N]",
    "create the organisation: key, recovery identity, roster v1",
    "Creates the organisation key (a minisign key sealed under a passphrase in FILE,\n"
    "default ./" VG_KEYS_DEFAULT_ORGKEY "), the offline recovery identity (an age identity\n"
    "encrypted with a passphrase, default ./" VG_KEYS_DEFAULT_RECOVERY ", opened by stock\n"
    "'age -d'), and roster version 1 with this device (from 'vigil init') as its first\n"
    "coordinator, in <data>/roster/. Every entry is also encrypted to the recovery\n"
    "identity, so store it away from the organisation key. Both files belong on offline\n"
    "media: a path inside a vigil home is refused without --force. The key's path is\n"
    "remembered for later commands (a key given with --org-key later is remembered in\n"
    "its place).\n"
    "\n"
    "Passphrases, in this order (one line each on --passphrase-fd; asked twice on a\n"
    "terminal): 1. the new organisation key's, 2. the new recovery identity's (another\n"
    "one).\n"
    "\n"
    "  --name ORG          the organisation's name (1 to 128 bytes)\n"
    "  --org-key FILE      where to write the organisation key\n"
    "  --recovery FILE     where to write the recovery identity\n"
    "  --force             allow either inside a vigil home\n"
    "  --days N            roster expiry, 1 to 366 days (default 90)\n"
    "  --bucket N          padding bucket of entries (default 1024)\n"
    "  --readback          monitors may read their own entries back (default: write-only)\n"
    "  --max-key-days N    days a device keeps read keys without a receipt (default 30)\n"
    "  --json              {\"org\", \"public_key\", \"fingerprint\", \"org_key\", \"recovery\",\n"
    "                       \"recovery_recipient\", \"roster\", \"expires\"}\n",
};
