/*
 * Invitations (common/FORMAT.md, section 12): round trip with a pin and a credential
 * only the member opens; what stock minisign sees; and every refusal: another signer, an
 * edited field, the trusted comment, unknown fields, non-canonical text, a bad credential,
 * a revoked member, an auditor's credential.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "testutil.h"
#include "vigil/age.h"
#include "vigil/entry.h"
#include "vigil/error.h"
#include "vigil/id.h"
#include "vigil/invite.h"
#include "vigil/minisign.h"
#include "vigil/roster.h"
#include "vigil/vigil.h"

#define NOW ((time_t)1717243200)

static struct vg_minisign_sk *ORG, *OTHER, *MON_SK, *AUD_SK;
static struct vg_minisign_pk ORG_PK;
static struct vg_age_identity *MON_AGE, *AUD_AGE, *REC;
static struct vg_roster *R;

static int setup(void **state)
{
	struct vg_identity c, m, a;
	struct vg_age_recipient rec;
	struct vg_age_identity *cid = NULL;
	struct vg_minisign_sk *csk = NULL;
	struct vg_buf j = VG_BUF_INIT, s = VG_BUF_INIT;

	(void)state;
	assert_int_equal(vg_init(), 0);
	assert_int_equal(vg_minisign_sk_generate(&ORG), 0);
	assert_int_equal(vg_minisign_sk_generate(&OTHER), 0);
	assert_int_equal(vg_minisign_sk_generate(&MON_SK), 0);
	assert_int_equal(vg_minisign_sk_generate(&AUD_SK), 0);
	assert_int_equal(vg_minisign_sk_generate(&csk), 0);
	assert_int_equal(vg_age_identity_generate(&MON_AGE), 0);
	assert_int_equal(vg_age_identity_generate(&AUD_AGE), 0);
	assert_int_equal(vg_age_identity_generate(&REC), 0);
	assert_int_equal(vg_age_identity_generate(&cid), 0);
	vg_minisign_sk_public(&ORG_PK, ORG);
	vg_age_identity_recipient(&rec, REC);
	memset(&c, 0, sizeof(c));
	strcpy(c.pseudonym, "office");
	vg_minisign_sk_public(&c.sign, csk);
	vg_age_identity_recipient(&c.age, cid);
	m = c;
	strcpy(m.pseudonym, "nadia");
	vg_minisign_sk_public(&m.sign, MON_SK);
	vg_age_identity_recipient(&m.age, MON_AGE);
	a = c;
	strcpy(a.pseudonym, "audit-1");
	vg_minisign_sk_public(&a.sign, AUD_SK);
	vg_age_identity_recipient(&a.age, AUD_AGE);
	assert_int_equal(vg_roster_first(&R, &ORG_PK, "Example Watch", &rec, &c, NOW), 0);
	assert_int_equal(vg_roster_add(R, &m, VG_ROLE_MONITOR), 0);
	assert_int_equal(vg_roster_add(R, &a, VG_ROLE_AUDITOR), 0);
	assert_int_equal(vg_roster_sign(&j, &s, R, ORG), 0); /* sets R->hash */
	vg_buf_release(&j);
	vg_buf_release(&s);
	vg_minisign_sk_free(csk);
	vg_age_identity_free(cid);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vg_minisign_sk_free(ORG);
	vg_minisign_sk_free(OTHER);
	vg_minisign_sk_free(MON_SK);
	vg_minisign_sk_free(AUD_SK);
	vg_age_identity_free(MON_AGE);
	vg_age_identity_free(AUD_AGE);
	vg_age_identity_free(REC);
	vg_roster_free(R);
	return 0;
}

static const uint8_t PIN[32] = {1,  2,	3,  4,	5,  6,	7,  8,	9,  10, 11, 12, 13, 14, 15, 16,
				17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};

static void make(struct vg_buf *out, const char *who, const char *remote, const uint8_t *pin,
		 const char *cred)
{
	struct vg_invite inv;

	vg_invite_init(&inv);
	assert_int_equal(vg_invite_prepare(&inv, R, vg_roster_lookup(R, who), remote, pin,
					   (const uint8_t *)cred, cred ? strlen(cred) : 0),
			 0);
	vg_buf_init(out);
	assert_int_equal(vg_invite_write(out, &inv, ORG), 0);
	vg_invite_release(&inv);
}

static void expect_refused(const struct vg_buf *b, int code, const char *why)
{
	struct vg_invite inv;
	int rc;

	vg_invite_init(&inv);
	rc = vg_invite_parse(&inv, b->ptr, b->len);
	if (rc != code || strstr(vg_error_last(), why) == NULL)
		fail_msg("got %d '%s', want %d with '%s'", rc, vg_error_last(), code, why);
	assert_int_equal(inv.credential.len, 0);
	vg_invite_release(&inv);
}

static void test_round_trip(void **state)
{
	struct vg_buf b, pt = VG_BUF_INIT_SECURE;
	struct vg_invite inv;
	const struct vg_roster_member *m = vg_roster_lookup(R, "nadia");
	char fp1[VG_FINGERPRINT_LEN + 1], fp2[VG_FINGERPRINT_LEN + 1];
	struct vg_minisig ms;
	const char *nl;

	(void)state;
	make(&b, "nadia", "ssh://git@example.org/watch.git", PIN, "ssh-ed25519 secret for nadia");
	/* One canonical JSON line, then a four-line signature. */
	nl = memchr(b.ptr, '\n', b.len);
	assert_non_null(nl);
	assert_int_equal(
	    vg_minisign_sig_parse(&ms, nl + 1, b.len - (size_t)(nl + 1 - (char *)b.ptr)), 0);
	assert_string_equal(ms.untrusted, VG_SIGNATURE_COMMENT);
	assert_int_equal(strncmp(ms.trusted, "vigil-invitation v=1 org=", 25), 0);
	vg_invite_init(&inv);
	assert_int_equal(vg_invite_parse(&inv, b.ptr, b.len), 0);
	assert_memory_equal(&inv.org_key, &ORG_PK, sizeof(ORG_PK));
	assert_memory_equal(inv.org, R->org, VG_ID_BYTES);
	assert_string_equal(inv.name, "Example Watch");
	assert_memory_equal(inv.member, m->id, VG_ID_BYTES);
	assert_string_equal(inv.pseudonym, "nadia");
	assert_string_equal(inv.remote, "ssh://git@example.org/watch.git");
	assert_true(inv.has_pin);
	assert_memory_equal(inv.pin, PIN, 32);
	assert_int_equal(inv.roster_version, R->version);
	assert_memory_equal(inv.roster_hash, R->hash, VG_ID_BYTES);
	/* The organisation's fingerprint code, to compare aloud. */
	vg_fingerprint_org(fp1, &inv.org_key);
	vg_fingerprint_org(fp2, &ORG_PK);
	assert_string_equal(fp1, fp2);
	/* Only the member opens the credential. */
	assert_int_equal(vg_age_decrypt(&pt, MON_AGE, inv.credential.ptr, inv.credential.len), 0);
	assert_int_equal(pt.len, strlen("ssh-ed25519 secret for nadia"));
	assert_int_equal(vg_age_decrypt(&pt, AUD_AGE, inv.credential.ptr, inv.credential.len),
			 VG_ENOKEY);
	assert_int_equal(vg_age_decrypt(&pt, REC, inv.credential.ptr, inv.credential.len),
			 VG_ENOKEY);
	vg_invite_release(&inv);
	vg_buf_release(&b);
	/* No pin, no credential; an auditor's invitation. */
	make(&b, "audit-1", "/media/usb/watch.git", NULL, NULL);
	vg_invite_init(&inv);
	assert_int_equal(vg_invite_parse(&inv, b.ptr, b.len), 0);
	assert_false(inv.has_pin);
	assert_int_equal(inv.credential.len, 0);
	assert_non_null(strstr((const char *)b.ptr, "\"credential\":null"));
	assert_non_null(strstr((const char *)b.ptr, "\"pin\":null"));
	vg_invite_release(&inv);
	vg_buf_release(&b);
	vg_buf_release(&pt);
}

static void test_stock_minisign(void **state)
{
	struct vg_buf b;
	char *dir, *json, *sig, line[VG_MINISIGN_PK_B64_LEN + 1];
	const char *nl;

	(void)state;
	VGT_REQUIRE(vgt_have_tool("minisign"), "stock minisign is not installed");
	make(&b, "nadia", "/srv/watch.git", NULL, "token");
	dir = vgt_tmpdir();
	json = vgt_path(dir, "inv.json");
	sig = vgt_path(dir, "inv.json.minisig");
	nl = memchr(b.ptr, '\n', b.len);
	vgt_write_file(json, b.ptr, (size_t)(nl + 1 - (const char *)b.ptr));
	vgt_write_file(sig, nl + 1, b.len - (size_t)(nl + 1 - (const char *)b.ptr));
	vg_minisign_pk_encode(line, &ORG_PK);
	{
		const char *argv[] = {"minisign", "-H", "-Vm", json, "-P", line, NULL};
		assert_int_equal(vgt_run(argv, NULL, 0, NULL, NULL), 0);
		vgt_write_file(json, "{}\n", 3);
		assert_int_not_equal(vgt_run(argv, NULL, 0, NULL, NULL), 0);
	}
	vgt_rmrf(dir);
	free(dir);
	free(json);
	free(sig);
	vg_buf_release(&b);
}

/* The invitation with its first line replaced by line (re-signed when sign is true). */
static void relined(struct vg_buf *out, const struct vg_buf *in, const char *line,
		    const char *tc_override, const struct vg_minisign_sk *signer)
{
	const char *nl = memchr(in->ptr, '\n', in->len);
	struct vg_minisig ms;

	assert_int_equal(
	    vg_minisign_sig_parse(&ms, nl + 1, in->len - (size_t)(nl + 1 - (char *)in->ptr)), 0);
	vg_buf_init(out);
	assert_int_equal(vg_buf_puts(out, line), 0);
	assert_int_equal(vg_buf_putc(out, '\n'), 0);
	if (signer == NULL) {
		assert_int_equal(
		    vg_buf_put(out, nl + 1, in->len - (size_t)(nl + 1 - (char *)in->ptr)), 0);
		return;
	}
	assert_int_equal(vg_minisign_sign(out, signer, out->ptr, out->len, VG_SIGNATURE_COMMENT,
					  tc_override != NULL ? tc_override : ms.trusted),
			 0);
}

static char *first_line(const struct vg_buf *b)
{
	const char *nl = memchr(b->ptr, '\n', b->len);
	char *s = strndup((const char *)b->ptr, (size_t)(nl - (const char *)b->ptr));
	assert_non_null(s);
	return s;
}

/* s with the first from replaced by to (malloc'd). */
static char *subst(const char *s, const char *from, const char *to)
{
	const char *at = strstr(s, from);
	char *r;

	assert_non_null(at);
	r = malloc(strlen(s) + strlen(to) + 1);
	assert_non_null(r);
	memcpy(r, s, (size_t)(at - s));
	strcpy(r + (at - s), to);
	strcat(r, at + strlen(from));
	return r;
}

static void test_refusals(void **state)
{
	struct vg_buf b, bad;
	char *line, *edit;
	struct vg_invite inv;
	static const struct {
		const char *from, *to;
		int code;
		const char *why;
	} edits[] = {
	    {"\"v\":1", "\"v\":1,\"x\":1", VG_EFORMAT, "unknown field 'x'"},
	    {"\"v\":1", "\"v\":2", VG_EUNSUPPORTED, "version"},
	    {"\"pin\":null", "\"pin\":\"sha256:00\"", VG_EFORMAT, "pin"},
	    {"\"remote\":\"/srv/watch.git\"", "\"remote\":\"/srv/my watch.git\"", VG_EFORMAT,
	     "remote"},
	    {"\"roster\":{", "\"roster\":{\"x\":1,", VG_EFORMAT, "unknown field 'x' in roster"},
	    {"\"pseudonym\":\"nadia\"", "\"pseudonym\":\"Nadia\"", VG_EFORMAT, "pseudonym"},
	    {"\"credential\":\"", "\"credential\":\"=", VG_EFORMAT, "credential"},
	    {"\"v\":1", "\"v\":1 ", VG_EFORMAT, "canonical"},
	};

	(void)state;
	make(&b, "nadia", "/srv/watch.git", NULL, "token");
	line = first_line(&b);
	/* Edited after signing: the signature fails. */
	edit = subst(line, "/srv/watch.git", "/srv/evil.git");
	relined(&bad, &b, edit, NULL, NULL);
	expect_refused(&bad, VG_EBADSIG, "not signed by the organisation key");
	vg_buf_release(&bad);
	free(edit);
	/* Signed by another key than the one it names. */
	relined(&bad, &b, line, NULL, OTHER);
	expect_refused(&bad, VG_EBADSIG, "not signed");
	vg_buf_release(&bad);
	/* A trusted comment that disagrees with the document. */
	relined(&bad, &b, line, "vigil-invitation v=1 org=00 member=00 roster=1", ORG);
	expect_refused(&bad, VG_EMISMATCH, "trusted comment");
	vg_buf_release(&bad);
	/* Each document rule, signed properly so that the rule is what refuses it. */
	for (size_t i = 0; i < sizeof(edits) / sizeof(edits[0]); i++) {
		edit = subst(line, edits[i].from, edits[i].to);
		relined(&bad, &b, edit, NULL, ORG);
		expect_refused(&bad, edits[i].code, edits[i].why);
		vg_buf_release(&bad);
		free(edit);
	}
	/* A credential that is not an age file to one X25519 recipient. */
	{
		char cred[64];
		sodium_bin2base64(cred, sizeof(cred), (const uint8_t *)"not age", 7,
				  sodium_base64_VARIANT_ORIGINAL);
		edit = strdup(line);
		{
			char *q = strstr(edit, "\"credential\":\"") + 14, *end = strchr(q, '"');
			char *n = malloc(strlen(edit) + 64);
			memcpy(n, edit, (size_t)(q - edit));
			strcpy(n + (q - edit), cred);
			strcat(n, end);
			free(edit);
			edit = n;
		}
		relined(&bad, &b, edit, NULL, ORG);
		expect_refused(&bad, VG_EFORMAT, "credential");
		vg_buf_release(&bad);
		free(edit);
	}
	/* The signature file: truncated, another untrusted comment, trailing data. */
	bad = (struct vg_buf)VG_BUF_INIT;
	assert_int_equal(vg_buf_put(&bad, b.ptr, b.len - 1), 0);
	expect_refused(&bad, VG_EFORMAT, "signature");
	vg_buf_clear(&bad);
	assert_int_equal(vg_buf_put(&bad, b.ptr, b.len), 0);
	assert_int_equal(vg_buf_puts(&bad, "x\n"), 0);
	expect_refused(&bad, VG_EFORMAT, "signature");
	vg_buf_clear(&bad);
	assert_int_equal(vg_buf_puts(&bad, "no newline"), 0);
	expect_refused(&bad, VG_EFORMAT, "document line");
	vg_buf_release(&bad);
	/* Preparing: a revoked member, an auditor's credential, a bad remote or pin. */
	vg_invite_init(&inv);
	assert_int_equal(vg_invite_prepare(&inv, R, vg_roster_lookup(R, "audit-1"), "/x", NULL,
					   (const uint8_t *)"t", 1),
			 VG_EINVAL);
	assert_int_equal(
	    vg_invite_prepare(&inv, R, vg_roster_lookup(R, "nadia"), "a b", NULL, NULL, 0),
	    VG_EINVAL);
	assert_int_equal(
	    vg_invite_prepare(&inv, R, vg_roster_lookup(R, "nadia"), "", NULL, NULL, 0), VG_EINVAL);
	{
		struct vg_roster_member gone = *vg_roster_lookup(R, "nadia");
		gone.revoked = true;
		assert_int_equal(vg_invite_prepare(&inv, R, &gone, "/x", NULL, NULL, 0), VG_EINVAL);
	}
	{
		uint8_t pin[32];
		assert_int_equal(vg_invite_pin_parse(pin, "sha256:0102030405060708090a0b0c0d0e0f10"
							  "1112131415161718191a1b1c1d1e1f20"),
				 0);
		assert_memory_equal(pin, PIN, 32);
		assert_int_equal(
		    vg_invite_pin_parse(pin, "SHA256:AQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0eHyA"),
		    0);
		assert_memory_equal(pin, PIN, 32);
		assert_int_equal(vg_invite_pin_parse(pin, "sha256:0102"), VG_EINVAL);
		assert_int_equal(vg_invite_pin_parse(pin, "md5:00"), VG_EINVAL);
	}
	/* Writing with another key than the organisation's. */
	assert_int_equal(
	    vg_invite_prepare(&inv, R, vg_roster_lookup(R, "nadia"), "/x", NULL, NULL, 0), 0);
	bad = (struct vg_buf)VG_BUF_INIT;
	assert_int_equal(vg_invite_write(&bad, &inv, OTHER), VG_EINVAL);
	assert_int_equal(bad.len, 0);
	vg_invite_release(&inv);
	free(line);
	vg_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_stock_minisign),
	    cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
