/*
 * The roster (common/FORMAT.md, section 11): round trips, every refusal of a version (the
 * document's rules, signatures, trusted comment), the rules between versions (chain,
 * fork, rollback, gap, expiry), roster directories, recipients of entries, and the
 * acceptance rules with revocation, quarantine, late_accept and a thief's forks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "testutil.h"
#include "vigil/age.h"
#include "vigil/entry.h"
#include "vigil/error.h"
#include "vigil/fs.h"
#include "vigil/id.h"
#include "vigil/minisign.h"
#include "vigil/roster.h"
#include "vigil/vigil.h"

#define NOW ((time_t)1717243200) /* 2024-06-01T12:00:00Z */
#define DAY ((time_t)86400)

enum { C1, C2, MON, AUD, OUT, NPEOPLE };

struct person {
	const char *name;
	struct vg_minisign_sk *sk;
	struct vg_age_identity *age;
	struct vg_identity id;
	uint8_t author[VG_ID_BYTES];
};

static struct person P[NPEOPLE] = {
    {.name = "office"},	 {.name = "abroad"},   {.name = "nadia"},
    {.name = "audit-1"}, {.name = "outsider"},
};
static struct vg_minisign_sk *ORG, *OTHER;
static struct vg_minisign_pk ORG_PK, OTHER_PK;
static uint8_t ORG_ID[VG_ID_BYTES];
static struct vg_age_identity *RECOVERY;
static struct vg_age_recipient RECOVERY_R;

/* One signed version. */
struct sv {
	struct vg_buf json, sig;
};

static void sv_release(struct sv *v)
{
	vg_buf_release(&v->json);
	vg_buf_release(&v->sig);
}

static void sign_into(struct sv *out, struct vg_roster *r)
{
	vg_buf_init(&out->json);
	vg_buf_init(&out->sig);
	assert_int_equal(vg_roster_sign(&out->json, &out->sig, r, ORG), 0);
}

static int setup(void **state)
{
	(void)state;
	assert_int_equal(vg_init(), 0);
	assert_int_equal(vg_minisign_sk_generate(&ORG), 0);
	assert_int_equal(vg_minisign_sk_generate(&OTHER), 0);
	vg_minisign_sk_public(&ORG_PK, ORG);
	vg_minisign_sk_public(&OTHER_PK, OTHER);
	vg_id_of_key(ORG_ID, &ORG_PK);
	assert_int_equal(vg_age_identity_generate(&RECOVERY), 0);
	vg_age_identity_recipient(&RECOVERY_R, RECOVERY);
	for (int i = 0; i < NPEOPLE; i++) {
		assert_int_equal(vg_minisign_sk_generate(&P[i].sk), 0);
		assert_int_equal(vg_age_identity_generate(&P[i].age), 0);
		strcpy(P[i].id.pseudonym, P[i].name);
		vg_minisign_sk_public(&P[i].id.sign, P[i].sk);
		vg_age_identity_recipient(&P[i].id.age, P[i].age);
		vg_id_of_key(P[i].author, &P[i].id.sign);
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vg_minisign_sk_free(ORG);
	vg_minisign_sk_free(OTHER);
	vg_age_identity_free(RECOVERY);
	for (int i = 0; i < NPEOPLE; i++) {
		vg_minisign_sk_free(P[i].sk);
		vg_age_identity_free(P[i].age);
	}
	return 0;
}

/*
 * The standard history: v1 the office coordinator, v2 + monitor nadia, v3 + coordinator
 * abroad, v4 + auditor. sv[i] is version i + 1; *last (may be NULL) the newest, signed.
 */
static void history(struct sv sv[4], struct vg_roster **last)
{
	struct vg_roster *r = NULL, *n = NULL;

	assert_int_equal(vg_roster_first(&r, &ORG_PK, "Example Watch", &RECOVERY_R, &P[C1].id, NOW),
			 0);
	sign_into(&sv[0], r);
	assert_int_equal(vg_roster_next(&n, r, NOW), 0);
	vg_roster_free(r);
	r = n;
	assert_int_equal(vg_roster_add(r, &P[MON].id, VG_ROLE_MONITOR), 0);
	sign_into(&sv[1], r);
	assert_int_equal(vg_roster_next(&n, r, NOW), 0);
	vg_roster_free(r);
	r = n;
	assert_int_equal(vg_roster_add(r, &P[C2].id, VG_ROLE_COORDINATOR), 0);
	sign_into(&sv[2], r);
	assert_int_equal(vg_roster_next(&n, r, NOW), 0);
	vg_roster_free(r);
	r = n;
	assert_int_equal(vg_roster_add(r, &P[AUD].id, VG_ROLE_AUDITOR), 0);
	sign_into(&sv[3], r);
	if (last != NULL)
		*last = r;
	else
		vg_roster_free(r);
}

static void load_set(struct vg_roster_set **out, struct sv *sv, size_t n)
{
	assert_int_equal(vg_roster_set_new(out, &ORG_PK), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(vg_roster_set_add(*out, sv[i].json.ptr, sv[i].json.len,
						   (const char *)sv[i].sig.ptr, sv[i].sig.len,
						   NULL),
				 0);
}

static void expect_error(int rc, int code, const char *want)
{
	if (rc != code || strstr(vg_error_last(), want) == NULL)
		fail_msg("got %d '%s', want %d with '%s'", rc, vg_error_last(), code, want);
}

/* ---- one version ---- */

static void test_round_trip(void **state)
{
	struct sv sv[4];
	struct vg_roster *last = NULL, *parsed = NULL, *verified = NULL;
	struct vg_buf again = VG_BUF_INIT;
	struct vg_minisig ms;
	struct vg_roster_tc tc;
	char hex[VG_ID_HEX_LEN + 1], want[VG_MINISIGN_COMMENT_MAX + 1];
	uint8_t h[VG_ID_BYTES];
	const struct vg_roster_member *m;

	(void)state;
	history(sv, &last);
	assert_int_equal(last->version, 4);
	assert_int_equal(last->nmembers, 4);
	assert_string_equal(last->expires, "2024-08-30"); /* 90 days after 2024-06-01 */
	/* The file is canonical JSON and one LF; its hash is BLAKE2b-256 of the file. */
	assert_int_equal(sv[3].json.ptr[sv[3].json.len - 1], '\n');
	assert_null(memchr(sv[3].json.ptr, '\n', sv[3].json.len - 1));
	crypto_generichash(h, sizeof(h), sv[3].json.ptr, sv[3].json.len, NULL, 0);
	assert_memory_equal(h, last->hash, VG_ID_BYTES);
	assert_int_equal(vg_roster_parse(&parsed, sv[3].json.ptr, sv[3].json.len), 0);
	assert_int_equal(vg_roster_encode(&again, parsed), 0);
	assert_int_equal(again.len, sv[3].json.len);
	assert_memory_equal(again.ptr, sv[3].json.ptr, again.len);
	assert_memory_equal(parsed->hash, last->hash, VG_ID_BYTES);
	/* The signature: constant untrusted comment, the trusted comment of 11.3. */
	assert_int_equal(vg_minisign_sig_parse(&ms, (const char *)sv[3].sig.ptr, sv[3].sig.len), 0);
	assert_string_equal(ms.untrusted, VG_SIGNATURE_COMMENT);
	assert_int_equal(vg_roster_tc_format(want, sizeof(want), last), 0);
	assert_string_equal(ms.trusted, want);
	vg_hex_encode(hex, last->hash, VG_ID_BYTES);
	assert_non_null(strstr(ms.trusted, hex));
	assert_int_equal(strncmp(ms.trusted, "vigil-roster v=1 org=", 21), 0);
	assert_int_equal(vg_roster_tc_parse(&tc, ms.trusted, strlen(ms.trusted)), 0);
	assert_int_equal(tc.version, 4);
	crypto_generichash(h, sizeof(h), sv[2].json.ptr, sv[2].json.len, NULL, 0);
	assert_memory_equal(tc.prev, h, VG_ID_BYTES); /* the chain: version 3's hash */
	assert_memory_equal(last->prev, h, VG_ID_BYTES);
	assert_int_equal(vg_roster_verify(&verified, sv[3].json.ptr, sv[3].json.len,
					  (const char *)sv[3].sig.ptr, sv[3].sig.len, &ORG_PK),
			 0);
	assert_string_equal(verified->name, "Example Watch");
	assert_memory_equal(verified->org, ORG_ID, VG_ID_BYTES);
	assert_int_equal(verified->policy.bucket, 1024);
	assert_false(verified->policy.readback);
	assert_int_equal(verified->policy.max_key_days, VG_ROSTER_KEY_DAYS_DEFAULT);
	m = vg_roster_lookup(verified, "nadia");
	assert_non_null(m);
	assert_int_equal(m->role, VG_ROLE_MONITOR);
	assert_memory_equal(m->id, P[MON].author, VG_ID_BYTES);
	vg_hex_encode(hex, P[AUD].author, VG_ID_BYTES);
	m = vg_roster_lookup(verified, hex);
	assert_non_null(m);
	assert_int_equal(m->role, VG_ROLE_AUDITOR);
	assert_false(m->has_age);
	assert_null(vg_roster_lookup(verified, "nobody"));
	assert_int_equal(vg_roster_coordinators(verified), 2);
	/* Members sorted by id. */
	for (size_t i = 1; i < verified->nmembers; i++)
		assert_true(
		    memcmp(verified->members[i - 1].id, verified->members[i].id, VG_ID_BYTES) < 0);
	/* Trusted comment grammar: exact. */
	{
		const char *bad[] = {
		    "vigil-roster v=1 org=", "vigil-roster v=2 org=", "vigil-roster  v=1"};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			assert_int_equal(vg_roster_tc_parse(&tc, bad[i], strlen(bad[i])),
					 VG_EFORMAT);
		strcat(want, " ");
		assert_int_equal(vg_roster_tc_parse(&tc, want, strlen(want)), VG_EFORMAT);
	}
	vg_buf_release(&again);
	vg_roster_free(parsed);
	vg_roster_free(verified);
	vg_roster_free(last);
	for (int i = 0; i < 4; i++)
		sv_release(&sv[i]);
}

static void test_building_refusals(void **state)
{
	struct vg_roster *r = NULL;
	struct vg_identity id;
	uint8_t zero[VG_ID_BYTES] = {0}, one[VG_ID_BYTES];

	(void)state;
	expect_error(vg_roster_first(&r, &ORG_PK, "", &RECOVERY_R, &P[C1].id, NOW), VG_EINVAL,
		     "name");
	expect_error(vg_roster_first(&r, &ORG_PK, "tab\there", &RECOVERY_R, &P[C1].id, NOW),
		     VG_EINVAL, "name");
	expect_error(vg_roster_first(&r, &ORG_PK, "bad \xff utf-8", &RECOVERY_R, &P[C1].id, NOW),
		     VG_EINVAL, "UTF-8");
	assert_null(r);
	assert_int_equal(vg_roster_first(&r, &ORG_PK, "Ёров Watch", &RECOVERY_R, &P[C1].id, NOW),
			 0);
	/* The same member twice, or its pseudonym, key or recipient under another member. */
	expect_error(vg_roster_add(r, &P[C1].id, VG_ROLE_MONITOR), VG_EEXISTS, "author id");
	id = P[MON].id;
	strcpy(id.pseudonym, P[C1].name);
	expect_error(vg_roster_add(r, &id, VG_ROLE_MONITOR), VG_EEXISTS, "pseudonym");
	id = P[MON].id;
	id.age = P[C1].id.age;
	expect_error(vg_roster_add(r, &id, VG_ROLE_MONITOR), VG_EEXISTS, "age recipient");
	id.age = RECOVERY_R;
	expect_error(vg_roster_add(r, &id, VG_ROLE_MONITOR), VG_EEXISTS, "recovery");
	expect_error(vg_roster_add(r, &P[MON].id, (enum vg_role)9), VG_EINVAL, "role");
	/* Revocation: a consistent cutoff, once. */
	memset(one, 1, sizeof(one));
	expect_error(vg_roster_revoke(r, &r->members[0], 3, zero), VG_EINVAL, "cutoff");
	expect_error(vg_roster_revoke(r, &r->members[0], 0, one), VG_EINVAL, "cutoff");
	assert_int_equal(vg_roster_revoke(r, &r->members[0], 3, one), 0);
	expect_error(vg_roster_revoke(r, &r->members[0], 4, one), VG_EINVAL, "already revoked");
	/* late_accept: sorted, no duplicate. */
	assert_int_equal(vg_roster_late_accept(r, one), 0);
	assert_int_equal(vg_roster_late_accept(r, zero), 0);
	expect_error(vg_roster_late_accept(r, one), VG_EEXISTS, "already");
	assert_int_equal(r->nlate, 2);
	assert_memory_equal(r->late[0], zero, VG_ID_BYTES);
	assert_true(vg_roster_is_late_accepted(r, one));
	/* Expiry range. */
	expect_error(vg_roster_expire_in(r, NOW, 0), VG_EINVAL, "days");
	expect_error(vg_roster_expire_in(r, NOW, 4000), VG_EINVAL, "days");
	assert_int_equal(vg_roster_expire_in(r, NOW, 1), 0);
	assert_string_equal(r->expires, "2024-06-02");
	/* Signing with another key than the roster's signer. */
	{
		struct vg_buf j = VG_BUF_INIT, s = VG_BUF_INIT;
		expect_error(vg_roster_sign(&j, &s, r, OTHER), VG_EINVAL, "organisation key");
		assert_int_equal(j.len + s.len, 0);
	}
	vg_roster_free(r);
}

/* A mutation of the document of version 4, re-encoded canonically, and what must refuse it. */
typedef void (*mutate_fn)(json_t *doc);

static json_t *member_of(json_t *doc, const char *pseudonym)
{
	json_t *ms = json_object_get(doc, "members"), *m;
	size_t i;

	json_array_foreach(ms, i, m)
	{
		if (strcmp(json_string_value(json_object_get(m, "pseudonym")), pseudonym) == 0)
			return m;
	}
	fail_msg("no member '%s'", pseudonym);
	return NULL;
}

static void m_extra_top(json_t *d)
{
	json_object_set_new(d, "extra", json_true());
}
static void m_missing(json_t *d)
{
	json_object_del(d, "policy");
}
static void m_extra_member(json_t *d)
{
	json_object_set_new(member_of(d, "nadia"), "note", json_string("x"));
}
static void m_dup_id(json_t *d)
{
	json_t *ms = json_object_get(d, "members");
	json_array_insert_new(ms, 1, json_deep_copy(json_array_get(ms, 1)));
}
static void m_dup_pseudonym(json_t *d)
{
	json_object_set_new(member_of(d, "abroad"), "pseudonym", json_string("nadia"));
}
static void m_dup_age(json_t *d)
{
	json_object_set(member_of(d, "abroad"), "age",
			json_object_get(member_of(d, "nadia"), "age"));
}
static void m_age_recovery(json_t *d)
{
	json_object_set(member_of(d, "nadia"), "age", json_object_get(d, "recovery"));
}
static void m_unsorted(json_t *d)
{
	json_t *ms = json_object_get(d, "members"), *first = json_deep_copy(json_array_get(ms, 0));
	json_array_remove(ms, 0);
	json_array_append_new(ms, first);
}
static void m_id_not_key(json_t *d)
{
	json_object_set(member_of(d, "nadia"), "id", json_object_get(member_of(d, "abroad"), "id"));
}
static void m_auditor_age(json_t *d)
{
	json_object_set(member_of(d, "audit-1"), "age",
			json_object_get(member_of(d, "nadia"), "age"));
}
static void m_monitor_no_age(json_t *d)
{
	json_object_del(member_of(d, "nadia"), "age");
}
static void m_role(json_t *d)
{
	json_object_set_new(member_of(d, "nadia"), "role", json_string("admin"));
}
static void m_v1_prev(json_t *d)
{
	json_object_set_new(d, "version", json_integer(1));
}
static void m_zero_prev(json_t *d)
{
	char z[VG_ID_HEX_LEN + 1];
	memset(z, '0', VG_ID_HEX_LEN);
	z[VG_ID_HEX_LEN] = '\0';
	json_object_set_new(d, "prev", json_string(z));
}
static void m_bad_date(json_t *d)
{
	json_object_set_new(d, "expires", json_string("2023-02-29"));
}
static void m_threshold(json_t *d)
{
	json_object_set_new(json_object_get(d, "signers"), "threshold", json_integer(2));
}
static void m_two_keys(json_t *d)
{
	json_t *keys = json_object_get(json_object_get(d, "signers"), "keys");
	json_array_append_new(keys, json_string(json_string_value(json_array_get(keys, 0))));
}
static void m_v2(json_t *d)
{
	json_object_set_new(d, "v", json_integer(2));
}
static void m_bucket(json_t *d)
{
	json_object_set_new(json_object_get(d, "policy"), "bucket", json_integer(1000));
}
static void m_readback(json_t *d)
{
	json_object_set_new(json_object_get(d, "policy"), "readback", json_integer(1));
}
static void m_key_days(json_t *d)
{
	json_object_set_new(json_object_get(d, "policy"), "max_key_days", json_integer(0));
}
static void m_late_unsorted(json_t *d)
{
	json_t *l = json_object_get(d, "late_accept");
	json_array_append_new(
	    l, json_string("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"));
	json_array_append_new(
	    l, json_string("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}
static void m_late_dup(json_t *d)
{
	json_t *l = json_object_get(d, "late_accept");
	json_array_append_new(
	    l, json_string("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
	json_array_append_new(
	    l, json_string("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}
static void m_late_upper(json_t *d)
{
	json_array_append_new(
	    json_object_get(d, "late_accept"),
	    json_string("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
}
/* nadia, revoked with a cutoff built by f. */
static void revoke_nadia(json_t *d, json_t *revoked, json_int_t seq, const char *id)
{
	json_t *m = member_of(d, "nadia");
	json_object_del(m, "role");
	json_object_del(m, "age");
	json_object_set_new(m, "revoked", revoked);
	json_object_set_new(m, "cutoff", json_pack("{s:I, s:s}", "seq", seq, "id", id));
}
static void m_revoked_false(json_t *d)
{
	revoke_nadia(d, json_false(), 2,
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}
static void m_cutoff_zero_seq(json_t *d)
{
	revoke_nadia(d, json_true(), 0,
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}
static void m_cutoff_negative(json_t *d)
{
	revoke_nadia(d, json_true(), -1,
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
}
static void m_revoked_role(json_t *d)
{
	revoke_nadia(d, json_true(), 2,
		     "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	json_object_set_new(member_of(d, "nadia"), "role", json_string("monitor"));
}
static void m_org(json_t *d)
{
	json_object_set(d, "org", json_object_get(member_of(d, "nadia"), "id"));
}
static void m_name(json_t *d)
{
	json_object_set_new(d, "name", json_string("tab\there"));
}
static void m_version_string(json_t *d)
{
	json_object_set_new(d, "version", json_string("4"));
}
static void m_no_members(json_t *d)
{
	json_array_clear(json_object_get(d, "members"));
}
static void m_keynum(json_t *d)
{
	json_t *m = member_of(d, "nadia");
	uint8_t raw[42];
	char line[VG_MINISIGN_PK_B64_LEN + 1];
	size_t n;
	assert_int_equal(sodium_base642bin(raw, sizeof(raw),
					   json_string_value(json_object_get(m, "key")),
					   VG_MINISIGN_PK_B64_LEN, NULL, &n, NULL,
					   sodium_base64_VARIANT_ORIGINAL),
			 0);
	raw[2] ^= 1; /* the key number */
	sodium_bin2base64(line, sizeof(line), raw, sizeof(raw), sodium_base64_VARIANT_ORIGINAL);
	json_object_set_new(m, "key", json_string(line));
}
static void m_bad_recipient(json_t *d)
{
	json_object_set_new(d, "recovery", json_string("age1notarecipient"));
}

static void test_document_refusals(void **state)
{
	static const struct {
		const char *what;
		mutate_fn fn;
		int code;
		const char *reason;
	} cases[] = {
	    {"an unknown top-level field", m_extra_top, VG_EFORMAT, "unknown field 'extra'"},
	    {"a missing field", m_missing, VG_EFORMAT, "lacks 'policy'"},
	    {"an unknown member field", m_extra_member, VG_EFORMAT, "unknown field 'note'"},
	    {"a duplicate author id", m_dup_id, VG_EFORMAT, "duplicate author id"},
	    {"a duplicate pseudonym", m_dup_pseudonym, VG_EFORMAT, "duplicate pseudonym"},
	    {"a duplicate age recipient", m_dup_age, VG_EFORMAT, "duplicate age recipient"},
	    {"a member with the recovery recipient", m_age_recovery, VG_EFORMAT, "recovery"},
	    {"unsorted members", m_unsorted, VG_EFORMAT, "not sorted"},
	    {"an id that is not the key's", m_id_not_key, VG_EFORMAT, "author id of its key"},
	    {"an auditor with a recipient", m_auditor_age, VG_EFORMAT, "unknown field 'age'"},
	    {"a monitor without a recipient", m_monitor_no_age, VG_EFORMAT, "lacks 'age'"},
	    {"an unknown role", m_role, VG_EFORMAT, "role"},
	    {"version 1 naming a previous version", m_v1_prev, VG_EFORMAT, "version 1"},
	    {"a later version without prev", m_zero_prev, VG_EFORMAT, "previous version"},
	    {"a date that does not exist", m_bad_date, VG_EFORMAT, "expires"},
	    {"threshold 2", m_threshold, VG_EUNSUPPORTED, "threshold"},
	    {"two signing keys", m_two_keys, VG_EUNSUPPORTED, "signing keys"},
	    {"format version 2", m_v2, VG_EUNSUPPORTED, "version 2"},
	    {"a bucket that is not a power of two", m_bucket, VG_EFORMAT, "power of two"},
	    {"readback not a boolean", m_readback, VG_EFORMAT, "readback"},
	    {"max_key_days 0", m_key_days, VG_EFORMAT, "max_key_days"},
	    {"unsorted late_accept", m_late_unsorted, VG_EFORMAT, "late_accept is not sorted"},
	    {"a duplicate late_accept id", m_late_dup, VG_EFORMAT, "duplicate late_accept"},
	    {"an upper-case late_accept id", m_late_upper, VG_EFORMAT, "late_accept 1"},
	    {"revoked: false", m_revoked_false, VG_EFORMAT, "'revoked' is not true"},
	    {"a cutoff of sequence 0 naming an entry", m_cutoff_zero_seq, VG_EFORMAT, "cutoff"},
	    {"a negative cutoff", m_cutoff_negative, VG_EFORMAT, "cutoff"},
	    {"a revoked member with a role", m_revoked_role, VG_EFORMAT, "unknown field 'role'"},
	    {"org not the signer's id", m_org, VG_EFORMAT, "org is not the id"},
	    {"a control character in the name", m_name, VG_EFORMAT, "name"},
	    {"a version as a string", m_version_string, VG_EFORMAT, "'version'"},
	    {"no member", m_no_members, VG_EFORMAT, "members"},
	    {"a key number not derived from the key", m_keynum, VG_EFORMAT, "key number"},
	    {"a bad recovery recipient", m_bad_recipient, VG_EFORMAT, "recovery"},
	};
	struct sv sv[4];
	struct vg_roster *r = NULL;

	(void)state;
	history(sv, NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_error_t jerr;
		json_t *doc =
		    json_loadb((const char *)sv[3].json.ptr, sv[3].json.len - 1, 0, &jerr);
		struct vg_buf b = VG_BUF_INIT;
		int rc;

		assert_non_null(doc);
		cases[i].fn(doc);
		/* jansson's compact sorted form: canonical, and also for what 4.5 forbids. */
		{
			char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
			assert_non_null(text);
			assert_int_equal(vg_buf_puts(&b, text), 0);
			free(text);
		}
		assert_int_equal(vg_buf_putc(&b, '\n'), 0);
		rc = vg_roster_parse(&r, b.ptr, b.len);
		if (rc != cases[i].code || strstr(vg_error_last(), cases[i].reason) == NULL)
			fail_msg("%s: got %d '%s', want %d with '%s'", cases[i].what, rc,
				 vg_error_last(), cases[i].code, cases[i].reason);
		assert_null(r);
		json_decref(doc);
		vg_buf_release(&b);
	}
	for (int i = 0; i < 4; i++)
		sv_release(&sv[i]);
}

/* Replace the first occurrence of from with to in a copy of the file. */
static void edited(struct vg_buf *out, const struct vg_buf *in, const char *from, const char *to)
{
	const char *at = strstr((const char *)in->ptr, from);
	size_t off;

	assert_non_null(at);
	off = (size_t)(at - (const char *)in->ptr);
	vg_buf_init(out);
	assert_int_equal(vg_buf_put(out, in->ptr, off), 0);
	assert_int_equal(vg_buf_puts(out, to), 0);
	assert_int_equal(vg_buf_puts(out, at + strlen(from)), 0);
}

static void test_text_refusals(void **state)
{
	struct sv sv[4];
	struct vg_roster *r = NULL;
	struct vg_buf b;
	uint8_t *big;

	(void)state;
	history(sv, NULL);
	edited(&b, &sv[3].json, "{", "{ ");
	expect_error(vg_roster_parse(&r, b.ptr, b.len), VG_EFORMAT, "canonical");
	vg_buf_release(&b);
	edited(&b, &sv[3].json, "{\"expires\":", "{\"expires\":\"2030-01-01\",\"expires\":");
	expect_error(vg_roster_parse(&r, b.ptr, b.len), VG_EFORMAT, "duplicate");
	vg_buf_release(&b);
	edited(&b, &sv[3].json, "\"name\":\"Example", "\"name\":\"\\u0045xample");
	expect_error(vg_roster_parse(&r, b.ptr, b.len), VG_EFORMAT, "canonical");
	vg_buf_release(&b);
	edited(&b, &sv[3].json, "\"threshold\":1", "\"threshold\":1.0");
	expect_error(vg_roster_parse(&r, b.ptr, b.len), VG_EFORMAT, "threshold");
	vg_buf_release(&b);
	edited(&b, &sv[3].json, "}\n", "}\n{}\n");
	expect_error(vg_roster_parse(&r, b.ptr, b.len), VG_EFORMAT, "not JSON");
	vg_buf_release(&b);
	expect_error(vg_roster_parse(&r, sv[3].json.ptr, sv[3].json.len - 1), VG_EFORMAT,
		     "newline");
	expect_error(vg_roster_parse(&r, (const uint8_t *)"[]\n", 3), VG_EFORMAT,
		     "not a JSON object");
	big = calloc(1, VG_ROSTER_JSON_MAX + 1);
	assert_non_null(big);
	expect_error(vg_roster_parse(&r, big, VG_ROSTER_JSON_MAX + 1), VG_ELIMIT, "larger");
	free(big);
	assert_null(r);
	for (int i = 0; i < 4; i++)
		sv_release(&sv[i]);
}

static void test_verify_refusals(void **state)
{
	struct sv sv[4], forged;
	struct vg_roster *last = NULL, *r = NULL, *copy = NULL;
	struct vg_buf b = VG_BUF_INIT, s = VG_BUF_INIT;
	char tc[VG_MINISIGN_COMMENT_MAX + 1];

	(void)state;
	history(sv, &last);
	/* A member added by editing the JSON: the signature no longer matches. */
	assert_int_equal(vg_roster_next(&copy, last, NOW), 0);
	copy->version = last->version; /* the same version, one more member */
	memcpy(copy->prev, last->prev, VG_ID_BYTES);
	assert_int_equal(vg_roster_add(copy, &P[OUT].id, VG_ROLE_COORDINATOR), 0);
	assert_int_equal(vg_roster_encode(&b, copy), 0);
	expect_error(
	    vg_roster_verify(&r, b.ptr, b.len, (const char *)sv[3].sig.ptr, sv[3].sig.len, &ORG_PK),
	    VG_EBADSIG, "not signed by the organisation key");
	vg_buf_clear(&b);
	/* The right file signed by another key (with a valid trusted comment). */
	assert_int_equal(vg_roster_tc_format(tc, sizeof(tc), last), 0);
	assert_int_equal(
	    vg_minisign_sign(&s, OTHER, sv[3].json.ptr, sv[3].json.len, VG_SIGNATURE_COMMENT, tc),
	    0);
	expect_error(vg_roster_verify(&r, sv[3].json.ptr, sv[3].json.len, (const char *)s.ptr,
				      s.len, &ORG_PK),
		     VG_EBADSIG, "not signed by the organisation key");
	vg_buf_clear(&s);
	/* A whole roster of another organisation key, verified as ours. */
	copy->signer = OTHER_PK;
	vg_id_of_key(copy->org, &OTHER_PK);
	assert_int_equal(vg_roster_sign(&b, &s, copy, OTHER), 0);
	expect_error(vg_roster_verify(&r, b.ptr, b.len, (const char *)s.ptr, s.len, &ORG_PK),
		     VG_EBADSIG, "not signed");
	/* ...and one that names the other key but is signed by ours. */
	vg_buf_clear(&s);
	assert_int_equal(vg_roster_tc_format(tc, sizeof(tc), copy), 0);
	assert_int_equal(vg_minisign_sign(&s, ORG, b.ptr, b.len, VG_SIGNATURE_COMMENT, tc), 0);
	expect_error(vg_roster_verify(&r, b.ptr, b.len, (const char *)s.ptr, s.len, &ORG_PK),
		     VG_EMISMATCH, "another organisation key");
	vg_buf_clear(&b);
	vg_buf_clear(&s);
	/* Trusted comments that disagree with the file. */
	{
		struct vg_roster t = *last;
		t.version = 5;
		assert_int_equal(vg_roster_tc_format(tc, sizeof(tc), &t), 0);
		assert_int_equal(vg_minisign_sign(&s, ORG, sv[3].json.ptr, sv[3].json.len,
						  VG_SIGNATURE_COMMENT, tc),
				 0);
		expect_error(vg_roster_verify(&r, sv[3].json.ptr, sv[3].json.len,
					      (const char *)s.ptr, s.len, &ORG_PK),
			     VG_EMISMATCH, "trusted comment disagree");
		vg_buf_clear(&s);
		t = *last;
		t.hash[0] ^= 1;
		assert_int_equal(vg_roster_tc_format(tc, sizeof(tc), &t), 0);
		assert_int_equal(vg_minisign_sign(&s, ORG, sv[3].json.ptr, sv[3].json.len,
						  VG_SIGNATURE_COMMENT, tc),
				 0);
		expect_error(vg_roster_verify(&r, sv[3].json.ptr, sv[3].json.len,
					      (const char *)s.ptr, s.len, &ORG_PK),
			     VG_EMISMATCH, "hash");
		vg_buf_clear(&s);
		assert_int_equal(vg_minisign_sign(&s, ORG, sv[3].json.ptr, sv[3].json.len,
						  VG_SIGNATURE_COMMENT, "vigil-entry v=1"),
				 0);
		expect_error(vg_roster_verify(&r, sv[3].json.ptr, sv[3].json.len,
					      (const char *)s.ptr, s.len, &ORG_PK),
			     VG_EFORMAT, "trusted comment");
		vg_buf_clear(&s);
	}
	/* Another untrusted comment; a truncated signature file. */
	assert_int_equal(vg_roster_tc_format(tc, sizeof(tc), last), 0);
	assert_int_equal(vg_minisign_sign(&s, ORG, sv[3].json.ptr, sv[3].json.len, NULL, tc), 0);
	expect_error(vg_roster_verify(&r, sv[3].json.ptr, sv[3].json.len, (const char *)s.ptr,
				      s.len, &ORG_PK),
		     VG_EFORMAT, "untrusted comment");
	expect_error(vg_roster_verify(&r, sv[3].json.ptr, sv[3].json.len,
				      (const char *)sv[3].sig.ptr, sv[3].sig.len - 1, &ORG_PK),
		     VG_EFORMAT, "roster signature");
	/* One flipped bit anywhere in the file. */
	for (size_t i = 0; i < sv[3].json.len; i += 97) {
		sv[3].json.ptr[i] ^= 0x20;
		assert_int_not_equal(vg_roster_verify(&r, sv[3].json.ptr, sv[3].json.len,
						      (const char *)sv[3].sig.ptr, sv[3].sig.len,
						      &ORG_PK),
				     0);
		sv[3].json.ptr[i] ^= 0x20;
	}
	assert_null(r);
	/* A valid signature over an invalid document still refuses the document. */
	{
		struct vg_buf bad;
		edited(&bad, &sv[3].json, "\"v\":1", "\"v\":1,\"x\":1");
		memset(&forged, 0, sizeof(forged));
		vg_buf_init(&forged.sig);
		{
			struct vg_roster t = *last;
			crypto_generichash(t.hash, VG_ID_BYTES, bad.ptr, bad.len, NULL, 0);
			assert_int_equal(vg_roster_tc_format(tc, sizeof(tc), &t), 0);
		}
		assert_int_equal(
		    vg_minisign_sign(&forged.sig, ORG, bad.ptr, bad.len, VG_SIGNATURE_COMMENT, tc),
		    0);
		expect_error(vg_roster_verify(&r, bad.ptr, bad.len, (const char *)forged.sig.ptr,
					      forged.sig.len, &ORG_PK),
			     VG_EFORMAT, "unknown field 'x'");
		vg_buf_release(&bad);
		vg_buf_release(&forged.sig);
	}
	vg_buf_release(&b);
	vg_buf_release(&s);
	vg_roster_free(copy);
	vg_roster_free(last);
	for (int i = 0; i < 4; i++)
		sv_release(&sv[i]);
}

/* Stock minisign verifies a roster and refuses it once a member is added by hand. */
static void test_stock_minisign(void **state)
{
	struct sv sv[4];
	char *dir, *json, *sig, line[VG_MINISIGN_PK_B64_LEN + 1];
	struct vg_buf b;

	(void)state;
	VGT_REQUIRE(vgt_have_tool("minisign"), "stock minisign is not installed");
	history(sv, NULL);
	dir = vgt_tmpdir();
	json = vgt_path(dir, "roster.json");
	sig = vgt_path(dir, "roster.json.minisig");
	vgt_write_file(json, sv[3].json.ptr, sv[3].json.len);
	vgt_write_file(sig, sv[3].sig.ptr, sv[3].sig.len);
	vg_minisign_pk_encode(line, &ORG_PK);
	{
		const char *argv[] = {"minisign", "-H", "-Vm", json, "-P", line, NULL};
		struct vg_buf out = VG_BUF_INIT;
		assert_int_equal(vgt_run(argv, NULL, 0, &out, NULL), 0);
		assert_non_null(strstr((const char *)out.ptr, "vigil-roster v=1 org="));
		vg_buf_release(&out);
		edited(&b, &sv[3].json, "\"role\":\"auditor\"", "\"role\":\"coordinator\"");
		vgt_write_file(json, b.ptr, b.len);
		assert_int_not_equal(vgt_run(argv, NULL, 0, NULL, NULL), 0);
		vg_buf_release(&b);
	}
	vgt_rmrf(dir);
	free(dir);
	free(json);
	free(sig);
	for (int i = 0; i < 4; i++)
		sv_release(&sv[i]);
}

/* ---- versions ---- */

static void test_chain_fork_rollback(void **state)
{
	struct sv sv[4], v2b, v5;
	struct vg_roster *last = NULL, *r1 = NULL, *b = NULL, *n = NULL;
	struct vg_roster_set *s = NULL;
	struct vg_roster_changes ch;
	uint8_t other[VG_ID_BYTES];

	(void)state;
	history(sv, &last);
	assert_int_equal(vg_roster_set_new(&s, &ORG_PK), 0);
	assert_null(vg_roster_set_current(s));
	expect_error(vg_roster_set_check_fresh(s, NOW), VG_ENOTFOUND, "no roster");
	/* A gap: version 3 without 1 and 2. */
	expect_error(vg_roster_set_add(s, sv[2].json.ptr, sv[2].json.len,
				       (const char *)sv[2].sig.ptr, sv[2].sig.len, NULL),
		     VG_ENOTFOUND, "missing");
	for (int i = 0; i < 4; i++) {
		assert_int_equal(vg_roster_set_add(s, sv[i].json.ptr, sv[i].json.len,
						   (const char *)sv[i].sig.ptr, sv[i].sig.len, &ch),
				 0);
		/* Version 3 adds a coordinator: one more reader of everything, an alarm. */
		assert_int_equal(ch.coordinators_added, i == 2 ? 1 : 0);
		assert_int_equal(ch.members_added, i == 0 ? 0 : 1);
	}
	assert_int_equal(vg_roster_set_current(s)->version, 4);
	assert_non_null(vg_roster_set_get(s, 2));
	assert_null(vg_roster_set_get(s, 5));
	assert_null(vg_roster_set_get(s, 0));
	/* The same version again is no change. */
	assert_int_equal(vg_roster_set_add(s, sv[1].json.ptr, sv[1].json.len,
					   (const char *)sv[1].sig.ptr, sv[1].sig.len, &ch),
			 0);
	assert_int_equal(ch.members_added, 0);

	/* A fork: another version 2, also signed by the organisation key. */
	assert_int_equal(vg_roster_verify(&r1, sv[0].json.ptr, sv[0].json.len,
					  (const char *)sv[0].sig.ptr, sv[0].sig.len, &ORG_PK),
			 0);
	assert_int_equal(vg_roster_next(&b, r1, NOW), 0);
	assert_int_equal(vg_roster_add(b, &P[OUT].id, VG_ROLE_MONITOR), 0);
	sign_into(&v2b, b);
	expect_error(vg_roster_set_add(s, v2b.json.ptr, v2b.json.len, (const char *)v2b.sig.ptr,
				       v2b.sig.len, NULL),
		     VG_EFORK, "fork");
	/* Rollback, fork and news, as a remote offers its newest version. */
	expect_error(vg_roster_set_check_offer(s, 2, vg_roster_set_get(s, 2)->hash), VG_EROLLBACK,
		     "rollback");
	memcpy(other, vg_roster_set_current(s)->hash, VG_ID_BYTES);
	other[0] ^= 1;
	expect_error(vg_roster_set_check_offer(s, 4, other), VG_EFORK, "fork");
	assert_int_equal(vg_roster_set_check_offer(s, 4, vg_roster_set_current(s)->hash), 0);
	expect_error(vg_roster_set_check_offer(s, 5, other), VG_ENOTFOUND, "newer");

	/* A broken chain: version 5 naming another hash than version 4's. */
	assert_int_equal(vg_roster_next(&n, last, NOW), 0);
	n->prev[5] ^= 1;
	sign_into(&v5, n);
	expect_error(vg_roster_set_add(s, v5.json.ptr, v5.json.len, (const char *)v5.sig.ptr,
				       v5.sig.len, NULL),
		     VG_EMISMATCH, "broken chain");
	assert_int_equal(vg_roster_set_current(s)->version, 4);

	/* Expiry: fresh until the end of its day, expired the day after. */
	assert_int_equal(vg_roster_set_check_fresh(s, NOW), 0);
	assert_int_equal(vg_roster_set_check_fresh(s, NOW + 90 * DAY), 0);
	expect_error(vg_roster_set_check_fresh(s, NOW + 91 * DAY), VG_EEXPIRED, "expired on");

	sv_release(&v2b);
	sv_release(&v5);
	vg_roster_free(r1);
	vg_roster_free(b);
	vg_roster_free(n);
	vg_roster_free(last);
	vg_roster_set_free(s);
	for (int i = 0; i < 4; i++)
		sv_release(&sv[i]);
}

static void test_transition_rules(void **state)
{
	struct sv sv[4];
	struct vg_roster *last = NULL, *n = NULL;
	struct vg_roster_member *m;
	struct vg_roster_changes ch;
	uint8_t one[VG_ID_BYTES];

	(void)state;
	memset(one, 1, sizeof(one));
	history(sv, &last);
#define NEXT()                                                                                     \
	do {                                                                                       \
		vg_roster_free(n);                                                                 \
		assert_int_equal(vg_roster_next(&n, last, NOW), 0);                                \
	} while (0)
	NEXT();
	assert_int_equal(vg_roster_check_next(last, n, &ch), 0);
	/* Revoking and admitting are allowed and counted. */
	assert_int_equal(vg_roster_revoke(n, vg_roster_lookup(n, "nadia"), 2, one), 0);
	assert_int_equal(vg_roster_late_accept(n, one), 0);
	assert_int_equal(vg_roster_check_next(last, n, &ch), 0);
	assert_int_equal(ch.revoked, 1);
	assert_int_equal(ch.late_added, 1);
	/* Not the next number. */
	n->version++;
	expect_error(vg_roster_check_next(last, n, NULL), VG_EMISMATCH, "does not follow");
	/* A member dropped. */
	NEXT();
	memmove(&n->members[0], &n->members[1], (n->nmembers - 1) * sizeof(*n->members));
	n->nmembers--;
	expect_error(vg_roster_check_next(last, n, NULL), VG_EMISMATCH, "drops member");
	/* A role or recipient changed. */
	NEXT();
	vg_roster_lookup(n, "nadia")->role = VG_ROLE_COORDINATOR;
	expect_error(vg_roster_check_next(last, n, NULL), VG_EMISMATCH, "role");
	NEXT();
	vg_roster_lookup(n, "nadia")->age = P[OUT].id.age;
	expect_error(vg_roster_check_next(last, n, NULL), VG_EMISMATCH, "recipient");
	/* A pseudonym changed. */
	NEXT();
	strcpy(vg_roster_lookup(n, "nadia")->pseudonym, "nadia-2");
	expect_error(vg_roster_check_next(last, n, NULL), VG_EMISMATCH, "pseudonym or key");
	/* Another signer. */
	NEXT();
	n->signer = OTHER_PK;
	expect_error(vg_roster_check_next(last, n, NULL), VG_EMISMATCH, "signing keys");
	/* A member added already revoked. */
	NEXT();
	assert_int_equal(vg_roster_add(n, &P[OUT].id, VG_ROLE_MONITOR), 0);
	assert_int_equal(vg_roster_revoke(n, vg_roster_lookup(n, "outsider"), 0,
					  (const uint8_t[VG_ID_BYTES]){0}),
			 0);
	expect_error(vg_roster_check_next(last, n, NULL), VG_EMISMATCH, "adds member");
	/* After a revocation: the cutoff may not move, the member may not come back. */
	NEXT();
	assert_int_equal(vg_roster_revoke(n, vg_roster_lookup(n, "nadia"), 2, one), 0);
	assert_int_equal(vg_roster_late_accept(n, one), 0);
	{
		struct vg_buf j = VG_BUF_INIT, s = VG_BUF_INIT;
		struct vg_roster *after = NULL;
		assert_int_equal(vg_roster_sign(&j, &s, n, ORG), 0);
		assert_int_equal(vg_roster_next(&after, n, NOW), 0);
		m = vg_roster_lookup(after, "nadia");
		m->cutoff_seq = 3;
		expect_error(vg_roster_check_next(n, after, NULL), VG_EMISMATCH, "revocation");
		m->cutoff_seq = 2;
		m->revoked = false;
		m->role = VG_ROLE_MONITOR;
		m->has_age = true;
		m->age = P[MON].id.age;
		expect_error(vg_roster_check_next(n, after, NULL), VG_EMISMATCH, "revocation");
		vg_roster_free(after);
		assert_int_equal(vg_roster_next(&after, n, NOW), 0);
		after->nlate = 0;
		expect_error(vg_roster_check_next(n, after, NULL), VG_EMISMATCH, "late_accept");
		vg_roster_free(after);
		vg_buf_release(&j);
		vg_buf_release(&s);
	}
#undef NEXT
	vg_roster_free(n);
	vg_roster_free(last);
	for (int i = 0; i < 4; i++)
		sv_release(&sv[i]);
}

static void test_directory(void **state)
{
	struct sv sv[4];
	struct vg_roster_set *s = NULL;
	struct vg_roster_changes ch;
	struct vg_minisign_pk pk;
	char *dir, *p;
	struct stat st;

	(void)state;
	history(sv, NULL);
	dir = vgt_tmpdir();
	p = vgt_path(dir, "roster");
	expect_error(vg_roster_dir_org(&pk, p), VG_ENOTFOUND, "org.pub");
	for (int i = 0; i < 4; i++)
		assert_int_equal(vg_roster_dir_write(p, (uint64_t)i + 1, sv[i].json.ptr,
						     sv[i].json.len, (const char *)sv[i].sig.ptr,
						     sv[i].sig.len, &ORG_PK),
				 0);
	expect_error(vg_roster_dir_write(p, 4, sv[3].json.ptr, sv[3].json.len,
					 (const char *)sv[3].sig.ptr, sv[3].sig.len, &ORG_PK),
		     VG_EEXISTS, "already exists");
	assert_int_equal(vg_roster_dir_org(&pk, p), 0);
	assert_memory_equal(&pk, &ORG_PK, sizeof(pk));
	assert_int_equal(vg_roster_set_new(&s, &ORG_PK), 0);
	assert_int_equal(vg_roster_dir_load(s, p, &ch), 0);
	assert_int_equal(vg_roster_set_current(s)->version, 4);
	assert_int_equal(ch.members_added, 3);
	assert_int_equal(ch.coordinators_added, 1);
	/* Loading again is no change. */
	assert_int_equal(vg_roster_dir_load(s, p, &ch), 0);
	assert_int_equal(ch.members_added, 0);
	{
		char *top = vgt_path(p, "roster.json");
		char *v3 = vgt_path(p, "versions/3");
		char *extra = vgt_path(p, "versions/6");
		char *older = vgt_path(dir, "older");
		char *topsig = vgt_path(p, "roster.json.minisig");
		struct vg_buf got = VG_BUF_INIT;
		/* A write of version 4 killed before both top-level files were replaced (the
		 * newest version's file beside the previous signature, or both previous):
		 * the load finishes it. */
		vgt_write_file(topsig, sv[2].sig.ptr, sv[2].sig.len);
		assert_int_equal(vg_roster_dir_load(s, p, NULL), 0);
		vgt_write_file(top, sv[2].json.ptr, sv[2].json.len);
		assert_int_equal(vg_roster_dir_load(s, p, NULL), 0);
		assert_int_equal(vg_fs_read_file(&got, top, 1 << 20), 0);
		assert_int_equal(got.len, sv[3].json.len);
		assert_memory_equal(got.ptr, sv[3].json.ptr, got.len);
		vg_buf_clear(&got);
		assert_int_equal(vg_fs_read_file(&got, topsig, 1 << 20), 0);
		assert_int_equal(got.len, sv[3].sig.len);
		assert_memory_equal(got.ptr, sv[3].sig.ptr, got.len);
		vg_buf_release(&got);
		/* The top-level copy is another version than those two: refused. */
		vgt_write_file(top, sv[1].json.ptr, sv[1].json.len);
		expect_error(vg_roster_dir_load(s, p, NULL), VG_EMISMATCH, "not the newest");
		vgt_write_file(top, sv[3].json.ptr, sv[3].json.len);
		assert_int_equal(vg_roster_dir_load(s, p, NULL), 0);
		/* A version after a gap cannot hide. */
		assert_int_equal(mkdir(extra, 0700), 0);
		expect_error(vg_roster_dir_load(s, p, NULL), VG_EFORMAT, "versions 1 to 4");
		assert_int_equal(rmdir(extra), 0);
		/* A directory whose newest version is older than what was verified. */
		for (int i = 0; i < 2; i++)
			assert_int_equal(vg_roster_dir_write(
					     older, (uint64_t)i + 1, sv[i].json.ptr, sv[i].json.len,
					     (const char *)sv[i].sig.ptr, sv[i].sig.len, &ORG_PK),
					 0);
		expect_error(vg_roster_dir_load(s, older, NULL), VG_EROLLBACK, "rollback");
		/* A missing version directory is a directory with fewer versions. */
		vgt_rmrf(v3);
		expect_error(vg_roster_dir_load(s, p, NULL), VG_EFORMAT, "versions 1 to 2");
		assert_int_equal(stat(p, &st), 0);
		free(top);
		free(topsig);
		free(v3);
		free(extra);
		free(older);
	}
	vg_roster_set_free(s);
	vgt_rmrf(dir);
	free(dir);
	free(p);
	for (int i = 0; i < 4; i++)
		sv_release(&sv[i]);
}

/* ---- entries under a roster ---- */

static void seal_by(struct vg_entry *e, int who, const struct vg_roster *r, uint64_t seq,
		    const uint8_t *prev, const char *event, size_t nrcpts_override)
{
	struct vg_age_recipient rcpts[VG_AGE_RECIPIENTS_MAX];
	struct vg_entry_meta m;
	struct vg_entry_content c;
	json_error_t jerr;
	char body[128];
	size_t n = 0;

	memset(&m, 0, sizeof(m));
	memcpy(m.org, r->org, VG_ID_BYTES);
	memcpy(m.author, P[who].author, VG_ID_BYTES);
	m.seq = seq;
	if (prev != NULL)
		memcpy(m.prev, prev, VG_ID_BYTES);
	m.roster = r->version;
	if (vg_roster_recipients(rcpts, &n, r, P[who].author) < 0) {
		/* not a member: encrypt to the coordinators and recovery of r anyway */
		assert_int_equal(vg_roster_recipients(rcpts, &n, r, P[C1].author), 0);
	}
	if (nrcpts_override > 0)
		n = nrcpts_override;
	memset(&c, 0, sizeof(c));
	c.type = VG_ENTRY_EVENT;
	memset(c.case_id, 0x42, sizeof(c.case_id));
	c.time = "2024-06-01T10:00:00Z";
	snprintf(body, sizeof(body), "{\"event\":{\"type\":\"%s\"}}", event);
	c.body = json_loads(body, 0, &jerr);
	assert_non_null(c.body);
	vg_entry_init(e);
	assert_int_equal(
	    vg_entry_seal(e, NULL, P[who].sk, &m, rcpts, n, r->policy.bucket, &c, NULL), 0);
	json_decref(c.body);
}

static int open_with(const struct vg_entry *e, const struct vg_age_identity *id, size_t bucket)
{
	json_t *doc = NULL;
	int rc = vg_entry_open(&doc, &e->meta, e->age.ptr, e->age.len, id, NULL, bucket, NULL);
	json_decref(doc);
	return rc;
}

static void test_recipients(void **state)
{
	struct sv sv[4], v5;
	struct vg_roster *last = NULL, *rb = NULL;
	struct vg_roster_set *s = NULL;
	struct vg_age_recipient rc[VG_AGE_RECIPIENTS_MAX];
	struct vg_age_header *h = NULL;
	struct vg_entry e;
	struct vg_entry_meta meta;
	size_t n = 0, want;
	const struct vg_roster_member *c_first, *c_second;

	(void)state;
	history(sv, &last);
	/* Coordinators in member order (ascending author id), then the recovery recipient. */
	assert_int_equal(vg_roster_recipients(rc, &n, last, P[MON].author), 0);
	assert_int_equal(n, 3);
	c_first = memcmp(P[C1].author, P[C2].author, VG_ID_BYTES) < 0
		      ? vg_roster_find(last, P[C1].author)
		      : vg_roster_find(last, P[C2].author);
	c_second = c_first == vg_roster_find(last, P[C1].author)
		       ? vg_roster_find(last, P[C2].author)
		       : vg_roster_find(last, P[C1].author);
	assert_memory_equal(rc[0].pk, c_first->age.pk, 32);
	assert_memory_equal(rc[1].pk, c_second->age.pk, 32);
	assert_memory_equal(rc[2].pk, RECOVERY_R.pk, 32);
	/* A coordinator's own entries: no extra stanza; an outsider: not a member. */
	assert_int_equal(vg_roster_recipients(NULL, &n, last, P[C2].author), 0);
	assert_int_equal(n, 3);
	expect_error(vg_roster_recipients(NULL, &n, last, P[OUT].author), VG_ENOTFOUND, "member");

	/*
	 * Sealed under a roster of two coordinators and the recovery key: both coordinators'
	 * and the recovery identities open it; the monitor who wrote it (write-only), the
	 * auditor and an outsider do not; the stanza count is the recipient count.
	 */
	seal_by(&e, MON, last, 1, NULL, "arrest", 0);
	assert_int_equal(open_with(&e, P[C1].age, 1024), 0);
	assert_int_equal(open_with(&e, P[C2].age, 1024), 0);
	assert_int_equal(open_with(&e, RECOVERY, 1024), 0);
	assert_int_equal(open_with(&e, P[MON].age, 1024), VG_ENOKEY);
	assert_int_equal(open_with(&e, P[AUD].age, 1024), VG_ENOKEY);
	assert_int_equal(open_with(&e, P[OUT].age, 1024), VG_ENOKEY);
	assert_int_equal(vg_age_header_parse(&h, e.age.ptr, e.age.len), 0);
	assert_int_equal(h->nstanzas, 3);
	vg_age_header_free(h);
	load_set(&s, sv, 4);
	assert_int_equal(vg_entry_verify(&meta, NULL, e.age.ptr, e.age.len, (const char *)e.sig.ptr,
					 e.sig.len, ORG_ID, vg_roster_set_resolve, s, e.id),
			 0);
	assert_int_equal(vg_roster_set_resolve(s, &meta, &(struct vg_minisign_pk){{0}, {0}}, &want),
			 0);
	assert_int_equal(want, 3);
	{
		struct vg_entry_meta m2 = meta;
		struct vg_minisign_pk pk;
		m2.roster = 9;
		expect_error(vg_roster_set_resolve(s, &m2, &pk, &want), VG_ENOTFOUND, "not known");
		m2.roster = 1; /* nadia joined in version 2 */
		expect_error(vg_roster_set_resolve(s, &m2, &pk, &want), VG_ENOTFOUND,
			     "not a member of roster version 1");
	}
	vg_entry_release(&e);

	/* With read-back on, a monitor is a recipient of its own entries (last). */
	assert_int_equal(vg_roster_next(&rb, last, NOW), 0);
	rb->policy.readback = true;
	sign_into(&v5, rb);
	assert_int_equal(vg_roster_set_add(s, v5.json.ptr, v5.json.len, (const char *)v5.sig.ptr,
					   v5.sig.len, NULL),
			 0);
	assert_int_equal(vg_roster_recipients(rc, &n, rb, P[MON].author), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(rc[3].pk, P[MON].id.age.pk, 32);
	assert_int_equal(vg_roster_recipients(NULL, &n, rb, P[C1].author), 0);
	assert_int_equal(n, 3);
	seal_by(&e, MON, rb, 1, NULL, "arrest", 0);
	assert_int_equal(open_with(&e, P[MON].age, 1024), 0);
	assert_int_equal(open_with(&e, RECOVERY, 1024), 0);
	assert_int_equal(open_with(&e, P[AUD].age, 1024), VG_ENOKEY);
	assert_int_equal(vg_entry_verify(&meta, NULL, e.age.ptr, e.age.len, (const char *)e.sig.ptr,
					 e.sig.len, ORG_ID, vg_roster_set_resolve, s, e.id),
			 0);
	vg_entry_release(&e);

	sv_release(&v5);
	vg_roster_free(rb);
	vg_roster_free(last);
	vg_roster_set_free(s);
	for (int i = 0; i < 4; i++)
		sv_release(&sv[i]);
}

static void expect_verdict(const struct vg_roster_set *s, const struct vg_entry *e,
			   const uint8_t *prev, const uint8_t *same, const uint8_t *next_prev,
			   time_t now, enum vg_verdict want, const char *reason)
{
	struct vg_roster_feed f = {prev, same, next_prev};
	struct vg_roster_verdict v;

	assert_int_equal(vg_roster_set_accept(&v, s, e->age.ptr, e->age.len,
					      (const char *)e->sig.ptr, e->sig.len, e->id, &f, now),
			 0);
	if (v.verdict != want || strstr(v.reason, reason) == NULL)
		fail_msg("entry seq %llu: %s '%s', want %s with '%s'",
			 (unsigned long long)e->meta.seq, vg_verdict_name(v.verdict), v.reason,
			 vg_verdict_name(want), reason);
	if (want == VG_VERDICT_REFUSED)
		assert_int_not_equal(v.code, 0);
	else
		assert_int_equal(v.code, 0);
	if (v.verified) {
		assert_memory_equal(v.id, e->id, VG_ID_BYTES);
		assert_int_equal(v.meta.seq, e->meta.seq);
	}
}

static void test_accept(void **state)
{
	struct sv sv[4];
	struct vg_roster *last = NULL, *v1 = NULL;
	struct vg_roster_set *s = NULL;
	struct vg_entry e1, e2, e3, other2, aud, out, few, future, before, foreign;
	struct vg_roster_verdict v;
	uint8_t junk[VG_ID_BYTES];

	(void)state;
	memset(junk, 0x5a, sizeof(junk));
	history(sv, &last);
	load_set(&s, sv, 4);
	seal_by(&e1, MON, last, 1, NULL, "arrest", 0);
	seal_by(&e2, MON, last, 2, e1.id, "detention", 0);
	seal_by(&e3, MON, last, 3, e2.id, "trial", 0);
	seal_by(&other2, MON, last, 2, e1.id, "release", 0);

	/* The chain: the first entry stands alone, later ones need the one before. */
	expect_verdict(s, &e1, NULL, NULL, NULL, NOW, VG_VERDICT_ACCEPTED, "chain");
	expect_verdict(s, &e2, NULL, NULL, NULL, NOW, VG_VERDICT_PENDING, "sequence 1");
	expect_verdict(s, &e2, e1.id, NULL, NULL, NOW, VG_VERDICT_ACCEPTED, "chain");
	expect_verdict(s, &e3, e2.id, NULL, NULL, NOW, VG_VERDICT_ACCEPTED, "chain");
	expect_verdict(s, &e3, junk, NULL, NULL, NOW, VG_VERDICT_REFUSED, "fork");
	/* Two entries with one sequence number: a fork, with an alarm. */
	expect_verdict(s, &other2, e1.id, e2.id, NULL, NOW, VG_VERDICT_REFUSED, "fork");
	expect_verdict(s, &other2, e1.id, NULL, e3.meta.prev, NOW, VG_VERDICT_REFUSED, "fork");
	{
		struct vg_roster_feed f = {e1.id, e2.id, NULL};
		assert_int_equal(vg_roster_set_accept(&v, s, other2.age.ptr, other2.age.len,
						      (const char *)other2.sig.ptr, other2.sig.len,
						      NULL, &f, NOW),
				 0);
		assert_true(v.fork);
		assert_int_equal(v.code, VG_EFORK);
	}
	/* The same entry again is still accepted (idempotent). */
	expect_verdict(s, &e2, e1.id, e2.id, e3.meta.prev, NOW, VG_VERDICT_ACCEPTED, "chain");

	/* An auditor may not write; an outsider is not a member. */
	seal_by(&aud, AUD, last, 1, NULL, "arrest", 0);
	expect_verdict(s, &aud, NULL, NULL, NULL, NOW, VG_VERDICT_REFUSED,
		       "auditors may not write");
	seal_by(&out, OUT, last, 1, NULL, "arrest", 0);
	expect_verdict(s, &out, NULL, NULL, NULL, NOW, VG_VERDICT_REFUSED, "not a member");
	/* A stanza count that is not the roster's. */
	seal_by(&few, MON, last, 1, NULL, "arrest", 2);
	expect_verdict(s, &few, NULL, NULL, NULL, NOW, VG_VERDICT_REFUSED, "recipients");
	/* A roster version the verifier has not fetched: wait. */
	{
		struct vg_roster *ahead = NULL;
		assert_int_equal(vg_roster_next(&ahead, last, NOW), 0);
		ahead->version = 9;
		seal_by(&future, MON, ahead, 1, NULL, "arrest", 0);
		expect_verdict(s, &future, NULL, NULL, NULL, NOW, VG_VERDICT_PENDING,
			       "fetch the roster");
		vg_roster_free(ahead);
	}
	/* Under a version that did not list the author yet. */
	assert_int_equal(vg_roster_verify(&v1, sv[0].json.ptr, sv[0].json.len,
					  (const char *)sv[0].sig.ptr, sv[0].sig.len, &ORG_PK),
			 0);
	{
		struct vg_roster t = *v1;
		struct vg_age_recipient rc[4];
		size_t n;
		assert_int_equal(vg_roster_recipients(rc, &n, v1, P[C1].author), 0);
		seal_by(&before, MON, &t, 1, NULL, "arrest", n);
		expect_verdict(s, &before, NULL, NULL, NULL, NOW, VG_VERDICT_REFUSED,
			       "not a member of roster version 1");
	}
	/* Another organisation's entry. */
	{
		struct vg_roster t = *last;
		memset(t.org, 0x11, VG_ID_BYTES);
		seal_by(&foreign, MON, &t, 1, NULL, "arrest", 0);
		expect_verdict(s, &foreign, NULL, NULL, NULL, NOW, VG_VERDICT_REFUSED,
			       "another organisation");
	}
	/* A tampered entry: refused by its signature. */
	e1.age.ptr[e1.age.len - 1] ^= 1;
	expect_verdict(s, &e1, NULL, NULL, NULL, NOW, VG_VERDICT_REFUSED, "signature");
	e1.age.ptr[e1.age.len - 1] ^= 1;
	/* The newest roster expired: nothing is accepted until a newer one arrives. */
	expect_verdict(s, &e1, NULL, NULL, NULL, NOW + 200 * DAY, VG_VERDICT_PENDING, "expired");
	/* No roster at all. */
	{
		struct vg_roster_set *empty = NULL;
		assert_int_equal(vg_roster_set_new(&empty, &ORG_PK), 0);
		assert_int_equal(vg_roster_set_accept(&v, empty, e1.age.ptr, e1.age.len,
						      (const char *)e1.sig.ptr, e1.sig.len, NULL,
						      NULL, NOW),
				 VG_EINVAL);
		vg_roster_set_free(empty);
	}

	vg_entry_release(&e1);
	vg_entry_release(&e2);
	vg_entry_release(&e3);
	vg_entry_release(&other2);
	vg_entry_release(&aud);
	vg_entry_release(&out);
	vg_entry_release(&few);
	vg_entry_release(&future);
	vg_entry_release(&before);
	vg_entry_release(&foreign);
	vg_roster_free(v1);
	vg_roster_free(last);
	vg_roster_set_free(s);
	for (int i = 0; i < 4; i++)
		sv_release(&sv[i]);
}

/*
 * A seized laptop: the monitor wrote entries 1 to 4; the coordinator had verified 1 and 2
 * and revokes with cutoff (2, id2). Entries up to the cutoff stay accepted; 3 and 4 are
 * quarantined (kept); the thief's forks below the cutoff are refused as forks; what the
 * thief signs later is quarantined; a later roster admits 3, then 4, by late_accept.
 */
static void test_revocation(void **state)
{
	struct sv sv[4], v5, v6, v7;
	struct vg_roster *last = NULL, *r5 = NULL, *r6 = NULL, *r7 = NULL;
	struct vg_roster_set *s = NULL;
	struct vg_roster_changes ch;
	struct vg_entry e[5], fork1, fork2, thief5;
	struct vg_roster_verdict v;

	(void)state;
	history(sv, &last);
	load_set(&s, sv, 4);
	for (int i = 1; i <= 4; i++)
		seal_by(&e[i], MON, last, (uint64_t)i, i > 1 ? e[i - 1].id : NULL, "detention", 0);
	/* Before the revocation, all of them extend the chain. */
	for (int i = 1; i <= 4; i++)
		expect_verdict(s, &e[i], i > 1 ? e[i - 1].id : NULL, NULL, NULL, NOW,
			       VG_VERDICT_ACCEPTED, "chain");

	assert_int_equal(vg_roster_next(&r5, last, NOW), 0);
	assert_int_equal(vg_roster_revoke(r5, vg_roster_lookup(r5, "nadia"), 2, e[2].id), 0);
	sign_into(&v5, r5);
	assert_int_equal(vg_roster_set_add(s, v5.json.ptr, v5.json.len, (const char *)v5.sig.ptr,
					   v5.sig.len, &ch),
			 0);
	assert_int_equal(ch.revoked, 1);
	/* The revoked record keeps only id, pseudonym, key, revoked and the cutoff. */
	{
		json_error_t jerr;
		json_t *doc = json_loadb((const char *)v5.json.ptr, v5.json.len, 0, &jerr), *m;
		size_t i;
		bool seen = false;
		json_array_foreach(json_object_get(doc, "members"), i, m)
		{
			if (json_object_get(m, "revoked") == NULL)
				continue;
			seen = true;
			assert_int_equal(json_object_size(m), 5);
			assert_null(json_object_get(m, "role"));
			assert_null(json_object_get(m, "age"));
			assert_int_equal(json_integer_value(
					     json_object_get(json_object_get(m, "cutoff"), "seq")),
					 2);
		}
		assert_true(seen);
		json_decref(doc);
	}

	/* Up to the cutoff: accepted, walking back from the entry the cutoff names. */
	expect_verdict(s, &e[2], e[1].id, NULL, NULL, NOW, VG_VERDICT_ACCEPTED, "last trusted");
	expect_verdict(s, &e[2], NULL, NULL, NULL, NOW, VG_VERDICT_ACCEPTED, "last trusted");
	expect_verdict(s, &e[1], NULL, NULL, e[2].meta.prev, NOW, VG_VERDICT_ACCEPTED,
		       "trusted chain");
	expect_verdict(s, &e[1], NULL, NULL, NULL, NOW, VG_VERDICT_PENDING, "cannot be placed");
	/* After it: quarantined, never discarded. */
	expect_verdict(s, &e[3], e[2].id, NULL, NULL, NOW, VG_VERDICT_QUARANTINED,
		       "after its cutoff");
	expect_verdict(s, &e[4], e[3].id, NULL, NULL, NOW, VG_VERDICT_QUARANTINED,
		       "after its cutoff");

	/* The thief's forks below and at the cutoff: refused, reported as forks. */
	seal_by(&fork1, MON, last, 1, NULL, "release", 0);
	expect_verdict(s, &fork1, NULL, NULL, e[2].meta.prev, NOW, VG_VERDICT_REFUSED,
		       "not on the trusted chain");
	assert_int_equal(
	    vg_roster_set_accept(&v, s, fork1.age.ptr, fork1.age.len, (const char *)fork1.sig.ptr,
				 fork1.sig.len, NULL,
				 &(struct vg_roster_feed){NULL, e[1].id, e[2].meta.prev}, NOW),
	    0);
	assert_true(v.fork);
	seal_by(&fork2, MON, last, 2, e[1].id, "release", 0);
	expect_verdict(s, &fork2, e[1].id, NULL, NULL, NOW, VG_VERDICT_REFUSED,
		       "the one its cutoff names");
	/* What the thief signs after the revocation (under version 5) is kept aside. */
	seal_by(&thief5, MON, r5, 5, e[4].id, "release", 0);
	expect_verdict(s, &thief5, e[4].id, NULL, NULL, NOW, VG_VERDICT_QUARANTINED,
		       "after its cutoff");

	/* The monitor vouches for entry 3 another way: version 6 admits it. */
	assert_int_equal(vg_roster_next(&r6, r5, NOW), 0);
	assert_int_equal(vg_roster_late_accept(r6, e[3].id), 0);
	sign_into(&v6, r6);
	assert_int_equal(vg_roster_set_add(s, v6.json.ptr, v6.json.len, (const char *)v6.sig.ptr,
					   v6.sig.len, &ch),
			 0);
	assert_int_equal(ch.late_added, 1);
	expect_verdict(s, &e[3], e[2].id, NULL, NULL, NOW, VG_VERDICT_ACCEPTED, "late_accept");
	expect_verdict(s, &e[3], NULL, NULL, NULL, NOW, VG_VERDICT_PENDING, "not known yet");
	expect_verdict(s, &e[4], e[3].id, NULL, NULL, NOW, VG_VERDICT_QUARANTINED,
		       "after its cutoff");
	/* ...and version 7 entry 4. */
	assert_int_equal(vg_roster_next(&r7, r6, NOW), 0);
	assert_int_equal(vg_roster_late_accept(r7, e[4].id), 0);
	sign_into(&v7, r7);
	assert_int_equal(vg_roster_set_add(s, v7.json.ptr, v7.json.len, (const char *)v7.sig.ptr,
					   v7.sig.len, NULL),
			 0);
	expect_verdict(s, &e[4], e[3].id, NULL, NULL, NOW, VG_VERDICT_ACCEPTED, "late_accept");
	/* Entries up to the cutoff are still what they were; the thief's still are not. */
	expect_verdict(s, &e[2], NULL, NULL, NULL, NOW, VG_VERDICT_ACCEPTED, "last trusted");
	expect_verdict(s, &fork2, e[1].id, NULL, NULL, NOW, VG_VERDICT_REFUSED, "fork");
	expect_verdict(s, &thief5, e[4].id, NULL, NULL, NOW, VG_VERDICT_QUARANTINED, "cutoff");

	/* A revocation with nothing verified (cutoff 0): everything is past it. */
	{
		struct vg_roster *r0 = NULL;
		struct vg_roster_set *s0 = NULL;
		struct sv v5b;
		load_set(&s0, sv, 4);
		assert_int_equal(vg_roster_next(&r0, last, NOW), 0);
		assert_int_equal(vg_roster_revoke(r0, vg_roster_lookup(r0, "nadia"), 0,
						  (const uint8_t[VG_ID_BYTES]){0}),
				 0);
		sign_into(&v5b, r0);
		assert_int_equal(vg_roster_set_add(s0, v5b.json.ptr, v5b.json.len,
						   (const char *)v5b.sig.ptr, v5b.sig.len, NULL),
				 0);
		expect_verdict(s0, &e[1], NULL, NULL, NULL, NOW, VG_VERDICT_QUARANTINED,
			       "after its cutoff (sequence 0)");
		sv_release(&v5b);
		vg_roster_free(r0);
		vg_roster_set_free(s0);
	}

	for (int i = 1; i <= 4; i++)
		vg_entry_release(&e[i]);
	vg_entry_release(&fork1);
	vg_entry_release(&fork2);
	vg_entry_release(&thief5);
	sv_release(&v5);
	sv_release(&v6);
	sv_release(&v7);
	vg_roster_free(r5);
	vg_roster_free(r6);
	vg_roster_free(r7);
	vg_roster_free(last);
	vg_roster_set_free(s);
	for (int i = 0; i < 4; i++)
		sv_release(&sv[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_building_refusals),
	    cmocka_unit_test(test_document_refusals),
	    cmocka_unit_test(test_text_refusals),
	    cmocka_unit_test(test_verify_refusals),
	    cmocka_unit_test(test_stock_minisign),
	    cmocka_unit_test(test_chain_fork_rollback),
	    cmocka_unit_test(test_transition_rules),
	    cmocka_unit_test(test_directory),
	    cmocka_unit_test(test_recipients),
	    cmocka_unit_test(test_accept),
	    cmocka_unit_test(test_revocation),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
