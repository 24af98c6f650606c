/*
 * Every roster version a verifier has verified, and what follows from them: the resolver
 * entries are verified with and the acceptance rules (common/FORMAT.md 11.5 to 11.7).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vigil/buf.h"
#include "vigil/error.h"
#include "vigil/roster.h"

struct vg_roster_set {
	struct vg_minisign_pk org;
	uint8_t org_id[VG_ID_BYTES];
	struct vg_roster **v; /* v[i] is version i + 1 */
	size_t n, cap;
};

int vg_roster_set_new(struct vg_roster_set **out, const struct vg_minisign_pk *org)
{
	struct vg_roster_set *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL)
		return vg_error_set(VG_ENOMEM, "out of memory");
	s->org = *org;
	vg_id_of_key(s->org_id, org);
	*out = s;
	return 0;
}

void vg_roster_set_free(struct vg_roster_set *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->n; i++)
		vg_roster_free(s->v[i]);
	free(s->v);
	free(s);
}

const struct vg_minisign_pk *vg_roster_set_org(const struct vg_roster_set *s)
{
	return &s->org;
}

const struct vg_roster *vg_roster_set_current(const struct vg_roster_set *s)
{
	return s->n > 0 ? s->v[s->n - 1] : NULL;
}

const struct vg_roster *vg_roster_set_get(const struct vg_roster_set *s, uint64_t v)
{
	return v >= 1 && v <= s->n ? s->v[v - 1] : NULL;
}

int vg_roster_set_add(struct vg_roster_set *s, const uint8_t *json, size_t jlen, const char *sig,
		      size_t siglen, struct vg_roster_changes *changes)
{
	struct vg_roster *r = NULL;
	int rc;

	if (changes != NULL)
		memset(changes, 0, sizeof(*changes));
	if ((rc = vg_roster_verify(&r, json, jlen, sig, siglen, &s->org)) < 0)
		return rc;
	if (r->version <= s->n) {
		rc = memcmp(s->v[r->version - 1]->hash, r->hash, VG_ID_BYTES) == 0
			 ? 0
			 : vg_error_set(VG_EFORK,
					"two different rosters carry version %llu, both signed by "
					"the organisation key (a fork)",
					(unsigned long long)r->version);
		goto done;
	}
	if (r->version > s->n + 1) {
		rc = vg_error_set(VG_ENOTFOUND,
				  "roster version %llu cannot be checked: versions %zu to %llu "
				  "are missing",
				  (unsigned long long)r->version, s->n + 1,
				  (unsigned long long)r->version - 1);
		goto done;
	}
	if (s->n > 0 && (rc = vg_roster_check_next(s->v[s->n - 1], r, changes)) < 0)
		goto done;
	if ((rc = vg_array_reserve(&s->v, &s->cap, s->n, sizeof(*s->v), 8, "roster set")) < 0)
		goto done;
	s->v[s->n++] = r;
	r = NULL;
done:
	vg_roster_free(r);
	return rc;
}

int vg_roster_set_check_offer(const struct vg_roster_set *s, uint64_t version,
			      const uint8_t hash[VG_ID_BYTES])
{
	if (version < s->n)
		return vg_error_set(VG_EROLLBACK,
				    "offered roster version %llu is older than version %zu, "
				    "already verified (a rollback)",
				    (unsigned long long)version, s->n);
	if (version > s->n)
		return vg_error_set(VG_ENOTFOUND, "roster version %llu is newer than version %zu",
				    (unsigned long long)version, s->n);
	if (memcmp(s->v[version - 1]->hash, hash, VG_ID_BYTES) != 0)
		return vg_error_set(VG_EFORK,
				    "offered roster version %llu differs from the one already "
				    "verified (a fork)",
				    (unsigned long long)version);
	return 0;
}

int vg_roster_set_check_fresh(const struct vg_roster_set *s, time_t now)
{
	if (s->n == 0)
		return vg_error_set(VG_ENOTFOUND, "no roster verified yet");
	return vg_roster_check_fresh(s->v[s->n - 1], now);
}

int vg_roster_set_resolve(void *ctx, const struct vg_entry_meta *meta,
			  struct vg_minisign_pk *pk_out, size_t *nstanzas_out)
{
	const struct vg_roster_set *s = ctx;
	const struct vg_roster *r = vg_roster_set_get(s, meta->roster);
	const struct vg_roster_member *m;
	int rc;

	if (r == NULL)
		return vg_error_set(VG_ENOTFOUND,
				    "entry names roster version %llu, which is not "
				    "known (newest verified: %zu)",
				    (unsigned long long)meta->roster, s->n);
	if ((m = vg_roster_find(r, meta->author)) == NULL)
		return vg_error_set(VG_ENOTFOUND,
				    "entry's author is not a member of roster "
				    "version %llu",
				    (unsigned long long)meta->roster);
	if ((rc = vg_roster_recipients(NULL, nstanzas_out, r, meta->author)) < 0)
		return rc;
	*pk_out = m->key;
	return 0;
}

/* ---- acceptance ---- */

const char *vg_verdict_name(enum vg_verdict v)
{
	switch (v) {
	case VG_VERDICT_ACCEPTED:
		return "accepted";
	case VG_VERDICT_PENDING:
		return "pending";
	case VG_VERDICT_QUARANTINED:
		return "quarantined";
	case VG_VERDICT_REFUSED:
		return "refused";
	}
	return "unknown";
}

static int verdict(struct vg_roster_verdict *out, enum vg_verdict v, int code, bool fork,
		   const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static int verdict(struct vg_roster_verdict *out, enum vg_verdict v, int code, bool fork,
		   const char *fmt, ...)
{
	va_list ap;

	out->verdict = v;
	out->code = code;
	out->fork = fork;
	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	return 0;
}

static bool same_id(const uint8_t *a, const uint8_t *b)
{
	return memcmp(a, b, VG_ID_BYTES) == 0;
}

/*
 * The chain rules for an entry that must extend its author's known feed (an unrevoked
 * author, or an entry admitted by late_accept).
 */
static int chain_rules(struct vg_roster_verdict *out, const struct vg_roster_feed *f,
		       const char *accepted_why)
{
	uint64_t seq = out->meta.seq;

	if (f->same != NULL && !same_id(f->same, out->id))
		return verdict(out, VG_VERDICT_REFUSED, VG_EFORK, true,
			       "fork: another entry with sequence %llu of this author is already "
			       "accepted",
			       (unsigned long long)seq);
	if (f->next_prev != NULL && !same_id(f->next_prev, out->id))
		return verdict(out, VG_VERDICT_REFUSED, VG_EFORK, true,
			       "fork: the accepted entry with sequence %llu names another entry "
			       "before it",
			       (unsigned long long)seq + 1);
	if (seq > 1 && f->prev == NULL)
		return verdict(out, VG_VERDICT_PENDING, 0, false,
			       "the entry with sequence %llu of this author is not known yet",
			       (unsigned long long)seq - 1);
	if (seq > 1 && !same_id(f->prev, out->meta.prev))
		return verdict(out, VG_VERDICT_REFUSED, VG_EFORK, true,
			       "fork: its previous entry is not the accepted entry with sequence "
			       "%llu",
			       (unsigned long long)seq - 1);
	return verdict(out, VG_VERDICT_ACCEPTED, 0, false, "%s", accepted_why);
}

/* What vg_entry_verify's resolver saw, to tell a roster not yet fetched from a forgery. */
struct resolve_ctx {
	const struct vg_roster_set *s;
	bool newer_roster;
};

static int resolve_noting(void *ctx, const struct vg_entry_meta *meta,
			  struct vg_minisign_pk *pk_out, size_t *nstanzas_out)
{
	struct resolve_ctx *c = ctx;

	if (meta->roster > c->s->n) {
		c->newer_roster = true;
		return vg_error_set(VG_ENOTFOUND,
				    "entry names roster version %llu, newer than "
				    "the newest verified (%zu)",
				    (unsigned long long)meta->roster, c->s->n);
	}
	return vg_roster_set_resolve((void *)c->s, meta, pk_out, nstanzas_out);
}

int vg_roster_set_check_entry(struct vg_roster_verdict *out, const struct vg_roster_set *s,
			      const uint8_t *age, size_t agelen, const char *sig, size_t siglen,
			      const uint8_t *expected_id)
{
	struct resolve_ctx rc_ctx = {s, false};
	const struct vg_roster_member *then_m;
	struct vg_entry_step step;
	int rc;

	memset(out, 0, sizeof(*out));
	if (s == NULL || s->n == 0)
		return vg_error_set(VG_EINVAL, "no roster verified: nothing can be accepted");
	rc = vg_entry_verify_step(&out->meta, out->id, age, agelen, sig, siglen, s->org_id,
				  resolve_noting, &rc_ctx, expected_id, &step);
	out->failed = step.failed;
	if (rc == 0)
		memcpy(out->age_hash, step.age_hash, sizeof(out->age_hash));
	if (rc == VG_ENOMEM)
		return rc;
	if (rc < 0 && rc_ctx.newer_roster)
		return verdict(out, VG_VERDICT_PENDING, 0, false, "%s: fetch the roster",
			       vg_error_last());
	if (rc < 0)
		return verdict(out, VG_VERDICT_REFUSED, rc, false, "%s", vg_error_last());
	out->verified = true;
	then_m = vg_roster_find(s->v[out->meta.roster - 1], out->meta.author);
	if (then_m == NULL)
		return verdict(out, VG_VERDICT_REFUSED, VG_ENOTFOUND, false,
			       "author is not a member of the roster");
	if (!then_m->revoked && then_m->role == VG_ROLE_AUDITOR) {
		out->auditor = true;
		return verdict(out, VG_VERDICT_REFUSED, VG_EMISMATCH, false,
			       "author '%s' is an auditor, and auditors may not write",
			       then_m->pseudonym);
	}
	return verdict(out, VG_VERDICT_ACCEPTED, 0, false, "valid on its own");
}

int vg_roster_set_accept(struct vg_roster_verdict *out, const struct vg_roster_set *s,
			 const uint8_t *age, size_t agelen, const char *sig, size_t siglen,
			 const uint8_t *expected_id, const struct vg_roster_feed *feed, time_t now)
{
	static const struct vg_roster_feed nothing = {NULL, NULL, NULL};
	const struct vg_roster_feed *f = feed != NULL ? feed : &nothing;
	const struct vg_roster *cur;
	const struct vg_roster_member *now_m;
	uint64_t seq;
	int rc;

	memset(out, 0, sizeof(*out));
	if (s == NULL || s->n == 0)
		return vg_error_set(VG_EINVAL, "no roster verified: nothing can be accepted");
	cur = s->v[s->n - 1];
	if (vg_roster_check_fresh(cur, now) < 0)
		return verdict(out, VG_VERDICT_PENDING, 0, false,
			       "the newest roster (version %llu) expired on %s: waiting for a "
			       "newer one",
			       (unsigned long long)cur->version, cur->expires);
	if ((rc = vg_roster_set_check_entry(out, s, age, agelen, sig, siglen, expected_id)) < 0 ||
	    out->verdict != VG_VERDICT_ACCEPTED)
		return rc;
	seq = out->meta.seq;
	now_m = vg_roster_find(cur, out->meta.author); /* members are never dropped */
	if (now_m == NULL)
		return verdict(out, VG_VERDICT_REFUSED, VG_ENOTFOUND, false,
			       "author is not a member of the roster");
	if (!now_m->revoked)
		return chain_rules(out, f, "on its author's chain");

	/* A revoked author: the cutoff decides (FORMAT.md 11.7). */
	if (seq == now_m->cutoff_seq) {
		if (same_id(out->id, now_m->cutoff_id))
			return verdict(out, VG_VERDICT_ACCEPTED, 0, false,
				       "the last trusted entry of a revoked member");
		return verdict(out, VG_VERDICT_REFUSED, VG_EFORK, true,
			       "fork: sequence %llu of revoked member '%s' is another entry, the "
			       "one its cutoff names",
			       (unsigned long long)seq, now_m->pseudonym);
	}
	if (seq < now_m->cutoff_seq) {
		if (f->next_prev == NULL)
			return verdict(out, VG_VERDICT_PENDING, 0, false,
				       "revoked member '%s': the trusted entry with sequence %llu "
				       "is not known yet, so this one cannot be placed",
				       now_m->pseudonym, (unsigned long long)seq + 1);
		if (same_id(f->next_prev, out->id))
			return verdict(out, VG_VERDICT_ACCEPTED, 0, false,
				       "on the trusted chain of a revoked member, before its "
				       "cutoff");
		return verdict(out, VG_VERDICT_REFUSED, VG_EFORK, true,
			       "fork: not on the trusted chain of revoked member '%s' (sequence "
			       "%llu, below its cutoff %llu)",
			       now_m->pseudonym, (unsigned long long)seq,
			       (unsigned long long)now_m->cutoff_seq);
	}
	if (vg_roster_is_late_accepted(cur, out->id)) {
		out->late = true;
		return chain_rules(out, f, "admitted by late_accept");
	}
	return verdict(out, VG_VERDICT_QUARANTINED, 0, false,
		       "signed by revoked member '%s' after its cutoff (sequence %llu)",
		       now_m->pseudonym, (unsigned long long)now_m->cutoff_seq);
}
