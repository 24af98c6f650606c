/*
 * The roster: the organisation's signed list of members (common/FORMAT.md, section 11).
 *
 * One version is a canonical JSON document (roster.json) signed with minisign by the
 * organisation key (roster.json.minisig), so stock `minisign -H -Vm roster.json -p org.pub`
 * verifies it. Versions are numbered and chained by hash; each expires; members are named
 * by pseudonym and author id, with a role, a signing key and (except auditors) an age
 * recipient; a revoked member keeps only its key and the cutoff of its trusted feed.
 *
 * Layers, each usable alone:
 * - struct vg_roster: one version. Parse (strict), encode (canonical), sign, verify.
 * - struct vg_roster_set: every version a verifier has verified, 1 to its newest, with the
 *   rules between versions (hash chain, rollback, fork, expiry), the resolver entries are
 *   verified with, and the acceptance rules for entries (vg_roster_set_accept).
 * - vg_roster_dir_*: a roster directory on disk (roster.json, versions/<n>/...).
 *
 * Nothing here prints; every refusal carries its reason in vg_error_last() or in a
 * verdict. A roster is public: nothing here is secret except the organisation key passed to
 * vg_roster_sign. Objects are not shared between threads.
 */
#ifndef VIGIL_ROSTER_H
#define VIGIL_ROSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "vigil/age.h"
#include "vigil/buf.h"
#include "vigil/entry.h"
#include "vigil/id.h"
#include "vigil/identity.h"
#include "vigil/minisign.h"

#define VG_ROSTER_JSON_MAX	   (8 * 1024 * 1024)
#define VG_ROSTER_SIG_MAX	   VG_ENTRY_SIG_MAX
#define VG_ROSTER_MEMBERS_MAX	   10000
#define VG_ROSTER_LATE_MAX	   65536
#define VG_ROSTER_NAME_MAX	   128 /* bytes of the organisation's name */
#define VG_ROSTER_COORDINATORS_MAX 62  /* coordinators + recovery + author <= age's 64 */
#define VG_ROSTER_KEY_DAYS_DEFAULT 30
#define VG_ROSTER_KEY_DAYS_MAX	   3650
#define VG_ROSTER_EXPIRY_DAYS	   90 /* default lifetime of a new version */
#define VG_ROSTER_DATE_LEN	   10 /* "YYYY-MM-DD" */

enum vg_role {
	VG_ROLE_MONITOR = 1,
	VG_ROLE_COORDINATOR = 2,
	VG_ROLE_AUDITOR = 3,
};

/* "monitor", "coordinator", "auditor"; NULL for anything else. */
const char *vg_role_name(enum vg_role r);
/* 0 and *out, or VG_EINVAL for an unknown name. */
int vg_role_parse(enum vg_role *out, const char *s) __attribute__((warn_unused_result));

struct vg_roster_member {
	char pseudonym[VG_PSEUDONYM_MAX + 1];
	uint8_t id[VG_ID_BYTES]; /* author id: BLAKE2b-256 of key.pk */
	struct vg_minisign_pk key;
	bool revoked;
	/* Active members only. */
	enum vg_role role;
	bool has_age; /* false for auditors */
	struct vg_age_recipient age;
	/* Revoked members only: the last trusted entry of its feed (seq 0, zero id: none). */
	uint64_t cutoff_seq;
	uint8_t cutoff_id[VG_ID_BYTES];
};

struct vg_roster_policy {
	size_t bucket;	       /* padding bucket of entries (FORMAT.md 4.5) */
	bool readback;	       /* monitors are recipients of their own entries */
	unsigned max_key_days; /* most days a device keeps read keys without a receipt */
};

/*
 * One roster version. The fields are the document's; hash is BLAKE2b-256 of its file
 * (filled by vg_roster_parse, vg_roster_verify and vg_roster_sign). Built by hand, with
 * vg_roster_first and vg_roster_next, or parsed. members are sorted by id; late holds
 * entry ids in ascending order.
 */
struct vg_roster {
	uint8_t org[VG_ID_BYTES];
	char name[VG_ROSTER_NAME_MAX + 1];
	uint64_t version;
	uint8_t prev[VG_ID_BYTES]; /* hash of version - 1; zero for version 1 */
	char expires[VG_ROSTER_DATE_LEN + 1];
	struct vg_minisign_pk signer; /* signers.keys[0], the organisation key */
	unsigned threshold;	      /* signers.threshold: 1 in this version */
	struct vg_age_recipient recovery;
	struct vg_roster_policy policy;
	struct vg_roster_member *members;
	size_t nmembers;
	uint8_t (*late)[VG_ID_BYTES];
	size_t nlate;
	uint8_t hash[VG_ID_BYTES];
};

void vg_roster_free(struct vg_roster *r);

/*
 * Version 1 of a new organisation: org key, name, recovery recipient, default policy
 * (bucket 1024, write-only monitors, VG_ROSTER_KEY_DAYS_DEFAULT), the first member as an
 * active coordinator, expiry VG_ROSTER_EXPIRY_DAYS after now. VG_EINVAL for a bad name.
 */
int vg_roster_first(struct vg_roster **out, const struct vg_minisign_pk *org, const char *name,
		    const struct vg_age_recipient *recovery, const struct vg_identity *first,
		    time_t now) __attribute__((warn_unused_result));

/*
 * A deep copy of r as the next version: version + 1, prev = r->hash (r must have been
 * signed, parsed or verified), expiry VG_ROSTER_EXPIRY_DAYS after now.
 */
int vg_roster_next(struct vg_roster **out, const struct vg_roster *r, time_t now)
    __attribute__((warn_unused_result));

/* Expiry = the UTC date of now plus days (1 .. 3660). VG_EINVAL otherwise. */
int vg_roster_expire_in(struct vg_roster *r, time_t now, unsigned days)
    __attribute__((warn_unused_result));

/*
 * Add an active member (VG_EEXISTS when its author id, key, pseudonym or age recipient is
 * already in the roster, revoked members included; VG_ELIMIT beyond the caps). An
 * auditor's age recipient is not kept.
 */
int vg_roster_add(struct vg_roster *r, const struct vg_identity *id, enum vg_role role)
    __attribute__((warn_unused_result));

/*
 * Revoke member m of r with the given cutoff (seq 0 with a zero id: nothing trusted).
 * VG_EINVAL for a revoked member or an inconsistent cutoff.
 */
int vg_roster_revoke(struct vg_roster *r, struct vg_roster_member *m, uint64_t seq,
		     const uint8_t id[VG_ID_BYTES]) __attribute__((warn_unused_result));

/* Admit an entry id past a cutoff. VG_EEXISTS when already listed; VG_ELIMIT. */
int vg_roster_late_accept(struct vg_roster *r, const uint8_t id[VG_ID_BYTES])
    __attribute__((warn_unused_result));
bool vg_roster_is_late_accepted(const struct vg_roster *r, const uint8_t id[VG_ID_BYTES]);

/* Members by author id, or by pseudonym or 64-hex author id (a MEMBER on a command line). */
struct vg_roster_member *vg_roster_find(const struct vg_roster *r, const uint8_t id[VG_ID_BYTES]);
struct vg_roster_member *vg_roster_lookup(const struct vg_roster *r, const char *name);

/* Unrevoked coordinators. */
size_t vg_roster_coordinators(const struct vg_roster *r);

/*
 * The recipients of an entry by author under this version (FORMAT.md 11.6): unrevoked
 * coordinators in member order, the recovery recipient, then the author when the policy
 * lets monitors read back and the author is an unrevoked monitor. out holds at least
 * VG_AGE_RECIPIENTS_MAX; *n gets the count. VG_ENOTFOUND when author is not a member.
 * count is the same without the list (out NULL).
 */
int vg_roster_recipients(struct vg_age_recipient *out, size_t *n, const struct vg_roster *r,
			 const uint8_t author[VG_ID_BYTES]) __attribute__((warn_unused_result));

/*
 * The strict parser of one version's file (canonical JSON and its final LF, every rule of
 * FORMAT.md 11.2). Checks no signature: use vg_roster_verify for anything trusted.
 * VG_ELIMIT beyond VG_ROSTER_JSON_MAX or the caps, VG_EFORMAT with the reason (unknown or
 * missing fields, duplicates, order, a bad key), VG_EUNSUPPORTED for a threshold or signer
 * count this version does not implement.
 */
int vg_roster_parse(struct vg_roster **out, const uint8_t *json, size_t len)
    __attribute__((warn_unused_result));

/* The file (canonical JSON and an LF) appended to out; VG_EFORMAT for an invalid roster. */
int vg_roster_encode(struct vg_buf *out, const struct vg_roster *r)
    __attribute__((warn_unused_result));

/* The trusted comment of a version (FORMAT.md 11.3), into out[VG_MINISIGN_COMMENT_MAX + 1]. */
int vg_roster_tc_format(char *out, size_t outsz, const struct vg_roster *r)
    __attribute__((warn_unused_result));
struct vg_roster_tc {
	uint8_t org[VG_ID_BYTES];
	uint64_t version;
	uint8_t prev[VG_ID_BYTES];
	uint8_t hash[VG_ID_BYTES];
};
int vg_roster_tc_parse(struct vg_roster_tc *out, const char *tc, size_t len)
    __attribute__((warn_unused_result));

/*
 * Sign r with the organisation key: encode it, set r->hash, and append the file to
 * json_out and its signature to sig_out. sk must be r->signer's key (VG_EINVAL). On
 * failure both buffers are as they were.
 */
int vg_roster_sign(struct vg_buf *json_out, struct vg_buf *sig_out, struct vg_roster *r,
		   const struct vg_minisign_sk *sk) __attribute__((warn_unused_result));

/*
 * Verify one version against the organisation key org (FORMAT.md 11.4): sizes; the
 * signature file strictly, its constant untrusted comment, both signatures (ED) by org
 * before anything of the JSON is parsed; the trusted comment; then the document, its hash
 * and its agreement with the trusted comment and with org. VG_ELIMIT, VG_EFORMAT,
 * VG_EBADSIG (not signed by org: a changed file, a wrong signer), VG_EMISMATCH,
 * VG_EUNSUPPORTED. Expiry and the chain are checked by the set.
 */
int vg_roster_verify(struct vg_roster **out, const uint8_t *json, size_t jlen, const char *sig,
		     size_t siglen, const struct vg_minisign_pk *org)
    __attribute__((warn_unused_result));

/*
 * What a new version changes, for alarms: coordinators added (one more reader of every
 * entry), members added, members revoked, entry ids newly admitted.
 */
struct vg_roster_changes {
	size_t coordinators_added;
	size_t members_added;
	size_t revoked;
	size_t late_added;
};

/*
 * The rules between a version and the next (FORMAT.md 11.5): version + 1, prev equal to
 * the previous hash, the same organisation and signer; every member kept with its id,
 * pseudonym and key; an active member keeps its role and recipient or is revoked; a revoked
 * member keeps its cutoff; every late_accept id kept. VG_EMISMATCH with the reason.
 * changes may be NULL.
 */
int vg_roster_check_next(const struct vg_roster *prev, const struct vg_roster *next,
			 struct vg_roster_changes *changes) __attribute__((warn_unused_result));

/* VG_EEXPIRED when the UTC date of now is after r->expires. */
int vg_roster_check_fresh(const struct vg_roster *r, time_t now)
    __attribute__((warn_unused_result));

/* ---- every verified version ---- */

struct vg_roster_set;

/* An empty set of the organisation whose key is org. */
int vg_roster_set_new(struct vg_roster_set **out, const struct vg_minisign_pk *org)
    __attribute__((warn_unused_result));
void vg_roster_set_free(struct vg_roster_set *s);

/* The organisation key and id of the set. */
const struct vg_minisign_pk *vg_roster_set_org(const struct vg_roster_set *s);
/* The newest version (NULL when empty), version v (NULL when not held). */
const struct vg_roster *vg_roster_set_current(const struct vg_roster_set *s);
const struct vg_roster *vg_roster_set_get(const struct vg_roster_set *s, uint64_t v);

/*
 * Verify a version (vg_roster_verify) and add it. A version already held: 0 when it is
 * the same file, VG_EFORK when it differs (two rosters with one number). The next version:
 * vg_roster_check_next against the newest held (version 1 must name a zero prev). A later
 * version: VG_ENOTFOUND, the versions between are missing. changes (may be NULL) says what
 * an added version changed (zero when nothing was added).
 */
int vg_roster_set_add(struct vg_roster_set *s, const uint8_t *json, size_t jlen, const char *sig,
		      size_t siglen, struct vg_roster_changes *changes)
    __attribute__((warn_unused_result));

/*
 * A source (a remote, a directory) says its newest version is (version, hash): VG_EROLLBACK
 * when that is older than the newest held, VG_EFORK when the held version with that number
 * has another hash, 0 when it is held, VG_ENOTFOUND when it is newer (fetch and add it).
 */
int vg_roster_set_check_offer(const struct vg_roster_set *s, uint64_t version,
			      const uint8_t hash[VG_ID_BYTES]) __attribute__((warn_unused_result));

/* VG_ENOTFOUND when empty; vg_roster_check_fresh of the newest version. */
int vg_roster_set_check_fresh(const struct vg_roster_set *s, time_t now)
    __attribute__((warn_unused_result));

/*
 * A vg_entry_resolve_fn for vg_entry_verify with ctx = a struct vg_roster_set *: the key
 * of the entry's author in the roster version the entry names, and the number of
 * recipients of that version for that author. VG_ENOTFOUND for an unknown version or an
 * author who is not a member of it.
 */
int vg_roster_set_resolve(void *ctx, const struct vg_entry_meta *meta,
			  struct vg_minisign_pk *pk_out, size_t *nstanzas_out)
    __attribute__((warn_unused_result));

/* ---- accepting entries ---- */

enum vg_verdict {
	VG_VERDICT_ACCEPTED = 0,    /* valid, on its author's trusted chain */
	VG_VERDICT_PENDING = 1,	    /* valid so far; wait for a missing entry or roster */
	VG_VERDICT_QUARANTINED = 2, /* signed by a revoked member past its cutoff: kept aside */
	VG_VERDICT_REFUSED = 3,	    /* invalid: not kept; the reason says why */
};

/* "accepted", "pending", "quarantined", "refused". */
const char *vg_verdict_name(enum vg_verdict v);

#define VG_VERDICT_REASON_MAX 256

struct vg_roster_verdict {
	enum vg_verdict verdict;
	int code;  /* refused: the vg_error code (VG_EFORK for a fork); otherwise 0 */
	bool fork; /* two histories under the author's key: raise an alarm */
	char reason[VG_VERDICT_REASON_MAX]; /* never quotes a record */
	bool verified;			    /* meta and id hold the verified entry's */
	struct vg_entry_meta meta;
	uint8_t id[VG_ID_BYTES];
	enum vg_entry_check failed; /* refused by vg_entry_verify: the check that failed */
	uint8_t age_hash[VG_MINISIGN_HASH_BYTES]; /* verified: the .age's BLAKE2b-512 */
	bool auditor;				  /* refused because its author is an auditor */
	bool late;				  /* accepted because late_accept lists it */
};

/*
 * What the caller knows of the author's feed around the entry's sequence number s: the id
 * of the entry it accepted at s - 1 (prev), at s (same), and the previous id named by the
 * entry it accepted at s + 1 (next_prev). Each NULL when unknown.
 */
struct vg_roster_feed {
	const uint8_t *prev;
	const uint8_t *same;
	const uint8_t *next_prev;
};

/*
 * The acceptance rules of FORMAT.md 11.7, the one place every part of vigil decides about
 * an entry: verify it (vg_entry_verify with vg_roster_set_resolve: author a member of the
 * version it names, signature, id, stanza count), then: a newest roster past its expiry or
 * a roster version newer than the newest is pending; an auditor may not write; an
 * unrevoked author's entry must extend the known chain (a gap is pending, another history
 * is a fork); a revoked author's entry at or before the cutoff must lie on the chain that
 * ends at the cutoff (a fork otherwise), after it is quarantined unless late_accept lists
 * it. feed may be NULL (nothing known). Returns 0 with the verdict in *out whatever it is;
 * negative only when no verdict could be reached (VG_EINVAL for an empty set, VG_ENOMEM).
 */
int vg_roster_set_accept(struct vg_roster_verdict *out, const struct vg_roster_set *s,
			 const uint8_t *age, size_t agelen, const char *sig, size_t siglen,
			 const uint8_t *expected_id, const struct vg_roster_feed *feed, time_t now)
    __attribute__((warn_unused_result));

/*
 * The checks of one entry on its own (FORMAT.md 11.7 steps 2 to 4), without expiry and
 * without the chain: for a verifier that sees whole feeds at once and judges them itself
 * (the audit, FORMAT.md 18). *out: REFUSED (failed or auditor say why), PENDING (it names
 * a roster version newer than the newest), or ACCEPTED, which here means only "valid on
 * its own". Thread-safe on a set nobody modifies. Returns as vg_roster_set_accept.
 */
int vg_roster_set_check_entry(struct vg_roster_verdict *out, const struct vg_roster_set *s,
			      const uint8_t *age, size_t agelen, const char *sig, size_t siglen,
			      const uint8_t *expected_id) __attribute__((warn_unused_result));

/* ---- roster directories ---- */

/*
 * A roster directory (FORMAT.md 11.1): roster.json and roster.json.minisig (the newest),
 * versions/<n>/roster.json and .minisig for every n from 1, org.pub.
 *
 * load: every version from versions/1 upwards is added to s (vg_roster_set_add: a version
 * s already holds must be the same file, VG_EFORK otherwise); the directory's newest version
 * must not be older than the newest s held before (VG_EROLLBACK), and roster.json and its
 * signature must be that newest version (VG_EMISMATCH). VG_ENOTFOUND when there is no
 * versions/1. On error s may hold the versions added before the failure.
 */
int vg_roster_dir_load(struct vg_roster_set *s, const char *dir, struct vg_roster_changes *changes)
    __attribute__((warn_unused_result));

/*
 * The organisation key of a roster directory, from its org.pub (VG_ENOTFOUND without one).
 */
int vg_roster_dir_org(struct vg_minisign_pk *out, const char *dir)
    __attribute__((warn_unused_result));

/*
 * Write a signed version into dir (created 0700 when missing): versions/<n>/ first (a new
 * directory, renamed into place, so a version is complete or absent; VG_EEXISTS when that
 * version is there), then roster.json and roster.json.minisig, each replaced atomically,
 * and org.pub when missing. version is the document's version number.
 */
int vg_roster_dir_write(const char *dir, uint64_t version, const uint8_t *json, size_t jlen,
			const char *sig, size_t siglen, const struct vg_minisign_pk *org)
    __attribute__((warn_unused_result));

#endif
