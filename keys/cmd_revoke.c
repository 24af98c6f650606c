#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "keys.h"
#include "vigil/error.h"
#include "vigil/fs.h"
#include "vigil/id.h"
#include "vigil/identity.h"
#include "vigil/store.h"

/* Looking for the accepted entry of an author with one sequence number. */
struct find {
	uint64_t seq;
	bool found;
	uint8_t id[VG_ID_BYTES];
};

static int find_seq(void *ctx, const struct vg_entry *e, enum vg_entry_state state)
{
	struct find *f = ctx;

	if (state == VG_STATE_ACCEPTED && e->meta.seq == f->seq) {
		f->found = true;
		memcpy(f->id, e->id, VG_ID_BYTES);
	}
	return 0;
}

/*
 * The cutoff: the highest (seq, id) this home verified from the member (0 with nothing
 * verified), or the entry with sequence after_seq when given, which must have been
 * verified. The home's store is where sync keeps what it verified; without a store
 * nothing was.
 */
static int cutoff(uint64_t *seq, uint8_t id[VG_ID_BYTES], const struct vg_keys *k,
		  const struct vg_roster_member *m, const char *after)
{
	struct vg_store *st = NULL;
	struct find f;
	char path[PATH_MAX];
	struct stat sb;
	uint64_t head = 0, want = 0;
	uint8_t head_id[VG_ID_BYTES] = {0};
	int rc;

	*seq = 0;
	memset(id, 0, VG_ID_BYTES);
	if (after != NULL && (rc = vg_keys_uint(&want, after, "--after-seq")) < 0)
		return rc;
	if ((rc = vg_keys_data_path(path, k, "store.db")) < 0)
		return rc;
	if (lstat(path, &sb) == 0) {
		if ((rc = vg_store_open(&st, path)) < 0 ||
		    (rc = vg_store_feed_head(st, &head, head_id, m->id)) < 0)
			goto done;
	}
	if (after == NULL) {
		*seq = head;
		memcpy(id, head_id, VG_ID_BYTES);
		goto done;
	}
	if (want > head) {
		rc = vg_error_set(VG_ENOTFOUND,
				  "sequence %llu of '%s' was never verified here (the highest "
				  "verified is %llu)",
				  (unsigned long long)want, m->pseudonym, (unsigned long long)head);
		goto done;
	}
	if (want == 0)
		goto done;
	f.seq = want;
	f.found = false;
	if ((rc = vg_store_foreach(st, m->id, find_seq, &f)) < 0)
		goto done;
	if (!f.found) {
		rc = vg_error_set(VG_ENOTFOUND, "sequence %llu of '%s' was never verified here",
				  (unsigned long long)want, m->pseudonym);
		goto done;
	}
	*seq = want;
	memcpy(id, f.id, VG_ID_BYTES);
done:
	vg_store_close(st);
	return rc;
}

/*
 * FORMAT.md 11.7: a cutoff never below what a receipt covered. This home's store knows
 * its own receipts (its receipt marks move first, then the receipt is written from them)
 * and, from its syncs, what the other coordinators' verified receipts covered
 * (receipts_seen). Returns 1 (after printing why) when the cutoff is below either.
 */
static int below_receipt(const struct vg_keys *k, const struct vg_roster_set *set,
			 const struct vg_roster_member *m, uint64_t cut_seq)
{
	const struct vg_roster_member *cm;
	struct vg_store *st = NULL;
	struct vg_buf b = VG_BUF_INIT;
	struct vg_identity id;
	char path[PATH_MAX], hex[VG_ID_HEX_LEN + 1] = "", who[VG_PSEUDONYM_MAX + 24];
	uint8_t other[VG_ID_BYTES];
	struct stat sb;
	uint64_t mark = 0, seen = 0, over;
	int rc;

	if ((rc = vg_keys_data_path(path, k, "store.db")) < 0)
		return rc;
	if (lstat(path, &sb) < 0)
		return 0;
	if ((rc = vg_store_open(&st, path)) < 0 ||
	    (rc = vg_store_receipt_mark(st, &mark, m->id)) < 0 ||
	    (rc = vg_store_receipt_seen(st, &seen, other, m->id)) < 0)
		goto done;
	rc = 0;
	if (mark <= cut_seq && seen <= cut_seq)
		goto done;
	if (mark >= seen) {
		over = mark;
		snprintf(who, sizeof(who), "this coordinator");
		if (vg_keys_data_path(path, k, "identity.pub") == 0 &&
		    vg_fs_read_file(&b, path, 4096) == 0 &&
		    vg_identity_parse(&id, (const char *)b.ptr, b.len) == 0) {
			uint8_t a[VG_ID_BYTES];
			vg_id_of_key(a, &id.sign);
			vg_hex_encode(hex, a, VG_ID_BYTES);
		}
		vg_buf_release(&b);
	} else {
		over = seen;
		cm = vg_roster_find(vg_roster_set_current(set), other);
		vg_hex_encode(hex, other, VG_ID_BYTES);
		snprintf(who, sizeof(who), "coordinator '%s'", cm != NULL ? cm->pseudonym : "?");
	}
	vg_keys_fail(
	    VG_EXIT_REFUSED,
	    "the cutoff (sequence %llu) is below sequence %llu of '%s', which a receipt of "
	    "%s covers (refs/heads/receipts/%s): those entries were delivered and "
	    "verified, and a cutoff below them would quarantine delivered evidence "
	    "(auditors report it). Give --below-receipt to revoke there anyway",
	    (unsigned long long)cut_seq, (unsigned long long)over, m->pseudonym, who,
	    hex[0] != '\0' ? hex : "<its id>");
	rc = 1;
done:
	vg_store_close(st);
	return rc;
}

static int run(struct vg_keys *k, int argc, char **argv)
{
	struct vg_keys_opt opts[] = {
	    {"--after-seq", NULL, true, NULL, false}, {"--org-key", NULL, true, NULL, false},
	    {"--days", NULL, true, NULL, false},      {"--below-receipt", NULL, false, NULL, false},
	    {NULL, NULL, false, NULL, false},
	};
	struct vg_roster_set *s = NULL;
	struct vg_roster *next = NULL;
	struct vg_roster_member *m;
	char **ops, hex[VG_ID_HEX_LEN + 1], author[VG_ID_HEX_LEN + 1];
	uint8_t cut_id[VG_ID_BYTES];
	uint64_t cut_seq;
	unsigned days;
	int n, rc, status;

	if ((status = vg_keys_parse(&vg_keys_revoke, argc, argv, opts, &ops, &n, 1, 1)) != 0)
		return status;
	if ((rc = vg_keys_days(&days, opts[2].value)) < 0)
		return vg_keys_error(rc);
	if ((rc = vg_keys_load(&s, k)) < 0 ||
	    (rc = vg_roster_next(&next, vg_roster_set_current(s), k->now)) < 0 ||
	    (rc = vg_roster_expire_in(next, k->now, days)) < 0)
		goto fail;
	if ((m = vg_roster_lookup(next, ops[0])) == NULL) {
		status =
		    vg_keys_fail(VG_EXIT_REFUSED, "'%s' is not a member of the roster", ops[0]);
		goto done;
	}
	if (m->revoked) {
		status = vg_keys_fail(VG_EXIT_REFUSED, "'%s' is already revoked", m->pseudonym);
		goto done;
	}
	if (m->role == VG_ROLE_COORDINATOR && vg_roster_coordinators(next) == 1) {
		status = vg_keys_fail(VG_EXIT_REFUSED,
				      "'%s' is the last coordinator: enrol another one first",
				      m->pseudonym);
		goto done;
	}
	if ((rc = cutoff(&cut_seq, cut_id, k, m, opts[0].value)) < 0)
		goto fail;
	if (!opts[3].set && (rc = below_receipt(k, s, m, cut_seq)) != 0) {
		if (rc < 0)
			goto fail;
		status = VG_EXIT_REFUSED;
		goto done;
	}
	if ((rc = vg_roster_revoke(next, m, cut_seq, cut_id)) < 0 ||
	    (rc = vg_keys_sign_next(s, next, k, opts[1].value)) < 0)
		goto fail;
	vg_hex_encode(hex, cut_id, VG_ID_BYTES);
	vg_hex_encode(author, m->id, VG_ID_BYTES);
	if (k->cli->json) {
		status = vg_keys_print_json(json_pack(
		    "{s:I, s:s, s:s, s:{s:I, s:s}, s:s}", "version", (json_int_t)next->version,
		    "member", m->pseudonym, "id", author, "cutoff", "seq", (json_int_t)cut_seq,
		    "id", hex, "expires", next->expires));
	} else {
		printf("revoked '%s' (author id %s)\n", m->pseudonym, author);
		if (cut_seq == 0)
			printf("cutoff: sequence 0: nothing it signed is trusted; every entry it "
			       "signed is quarantined\n");
		else
			printf("cutoff: sequence %llu (entry %s): entries up to it stay valid, "
			       "later ones are quarantined\n",
			       (unsigned long long)cut_seq, hex);
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

const struct vg_keys_command vg_keys_revoke = {
    "revoke",
    NULL,
    run,
    "vigil-keys revoke MEMBER [--after-seq N] [--below-receipt] [--org-key FILE] [--days N]",
    "revoke a member (a seized device) in the next roster version",
    "Revokes MEMBER (pseudonym or author id) and signs the next roster version. The\n"
    "cutoff is the last entry of the member's feed that stays trusted: by default the\n"
    "highest (sequence, id) this home verified from it (sequence 0 when it verified\n"
    "nothing: then nothing the device signed counts). Entries after the cutoff are\n"
    "quarantined, never deleted; 'late-accept' admits those the member vouches for another\n"
    "way. The roster records no time and no reason. --after-seq N picks an earlier cutoff,\n"
    "which must be a sequence this home verified. A cutoff below a sequence that a receipt\n"
    "covers (this coordinator's, or another's that its syncs fetched: delivered, verified\n"
    "evidence) is refused unless --below-receipt is given. The last coordinator cannot be\n"
    "revoked.\n"
    "\n"
    "Passphrases: 1. the organisation key's.\n"
    "\n"
    "  --after-seq N   trust the member's entries up to sequence N only\n"
    "  --below-receipt allow N below what a receipt covered (the device was seized before\n"
    "                  entries a coordinator already received: auditors report it)\n"
    "  --org-key FILE  the organisation key (default: the last one used)\n"
    "  --days N        expiry of the new version, 1 to 366 days (default 90)\n"
    "  --json          {\"version\", \"member\", \"id\", \"cutoff\": {\"seq\", \"id\"}, "
    "\"expires\"}\n",
};
