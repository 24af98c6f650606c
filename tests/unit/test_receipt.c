/*
 * Receipts (FORMAT.md 17): encoding, the strict parser and its refusals, the trusted
 * comment, signing and verifying with forgeries that must fail; and the vault's reseal
 * without passphrase that a key rotation uses (FORMAT.md 8), and a rotation that also
 * replaces the age identity (17.9).
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "testutil.h"
#include "vigil/age.h"
#include "vigil/deliver.h"
#include "vigil/error.h"
#include "vigil/id.h"
#include "vigil/receipt.h"
#include "vigil/store.h"
#include "vigil/vault.h"
#include "vigil/vigil.h"

static int setup(void **state)
{
	(void)state;
	return vg_init();
}

static void sample(struct vg_receipt *r, const struct vg_minisign_sk *sk, size_t members)
{
	struct vg_minisign_pk pk;

	vg_receipt_init(r);
	vg_minisign_sk_public(&pk, sk);
	vg_id_of_key(r->coordinator, &pk);
	memset(r->org, 0x5d, VG_ID_BYTES);
	r->n = 2;
	memset(r->prev, 0xe0, VG_ID_BYTES);
	r->roster = 9;
	for (size_t i = 0; i < members; i++) {
		uint8_t id[VG_ID_BYTES], e[VG_ID_BYTES];
		memset(id, (int)(0x10 + i), sizeof(id));
		memset(e, (int)(0x90 + i), sizeof(e));
		assert_int_equal(vg_receipt_add(r, id, 40 + i, e), 0);
	}
}

static void test_sign_verify(void **state)
{
	struct vg_minisign_sk *sk = NULL, *other = NULL;
	struct vg_minisign_pk pk, opk;
	struct vg_receipt r, got;
	struct vg_buf json = VG_BUF_INIT, sig = VG_BUF_INIT;
	struct vg_receipt_tc tc;
	struct vg_minisig ms;
	uint8_t id[VG_ID_BYTES], org[VG_ID_BYTES];

	(void)state;
	assert_int_equal(vg_minisign_sk_generate(&sk), 0);
	assert_int_equal(vg_minisign_sk_generate(&other), 0);
	vg_minisign_sk_public(&pk, sk);
	vg_minisign_sk_public(&opk, other);
	vg_id_of_key(id, &pk);
	sample(&r, sk, 3);
	memcpy(org, r.org, sizeof(org));
	vg_receipt_init(&got);
	assert_int_equal(vg_receipt_sign(&json, &sig, &r, sk), 0);
	assert_memory_equal(json.ptr, "{\"coordinator\":\"", 16);
	assert_int_equal(json.ptr[json.len - 1], '\n');
	assert_int_equal(
	    vg_receipt_verify(&got, json.ptr, json.len, (char *)sig.ptr, sig.len, org, id, &pk), 0);
	assert_int_equal(got.n, 2);
	assert_int_equal(got.roster, 9);
	assert_int_equal(got.nmembers, 3);
	assert_memory_equal(got.hash, r.hash, VG_ID_BYTES);
	assert_non_null(vg_receipt_find(&got, r.members[1].id));
	assert_int_equal(vg_receipt_find(&got, r.members[1].id)->seq, 41);
	assert_null(vg_receipt_find(&got, org));
	/* The trusted comment: what stock minisign prints, parsed back. */
	assert_int_equal(vg_minisign_sig_parse(&ms, (char *)sig.ptr, sig.len), 0);
	assert_int_equal(strncmp(ms.trusted, "vigil-receipt v=1 org=", 22), 0);
	assert_int_equal(vg_receipt_tc_parse(&tc, ms.trusted, strlen(ms.trusted)), 0);
	assert_int_equal(tc.n, 2);
	assert_memory_equal(tc.hash, r.hash, VG_ID_BYTES);
	/* Forgeries: another signer, another coordinator or organisation, a changed byte. */
	assert_int_equal(
	    vg_receipt_verify(&got, json.ptr, json.len, (char *)sig.ptr, sig.len, org, id, &opk),
	    VG_EMISMATCH);
	org[0] ^= 1;
	assert_int_equal(
	    vg_receipt_verify(&got, json.ptr, json.len, (char *)sig.ptr, sig.len, org, id, &pk),
	    VG_EMISMATCH);
	org[0] ^= 1;
	json.ptr[json.len - 3] ^= 1;
	assert_int_equal(
	    vg_receipt_verify(&got, json.ptr, json.len, (char *)sig.ptr, sig.len, org, id, &pk),
	    VG_EBADSIG);
	json.ptr[json.len - 3] ^= 1;
	/* Signed by the coordinator it does not name. */
	vg_buf_clear(&json);
	vg_buf_clear(&sig);
	assert_int_equal(vg_receipt_sign(&json, &sig, &r, other), VG_EINVAL);
	assert_int_equal(json.len, 0);
	/* Trusted comment refusals. */
	assert_int_equal(vg_receipt_tc_parse(&tc, "vigil-receipt v=1", 17), VG_EFORMAT);
	vg_receipt_release(&r);
	vg_receipt_release(&got);
	vg_buf_release(&json);
	vg_buf_release(&sig);
	vg_minisign_sk_free(sk);
	vg_minisign_sk_free(other);
}

/* The canonical file of the sample receipt with text replaced (from -> to, first one). */
static int parse_edited(struct vg_buf *base, const char *from, const char *to)
{
	struct vg_receipt r;
	char buf[4096];
	const char *p = strstr((const char *)base->ptr, from);
	size_t off;
	int rc;

	assert_non_null(p);
	off = (size_t)(p - (const char *)base->ptr);
	snprintf(buf, sizeof(buf), "%.*s%s%s", (int)off, (const char *)base->ptr, to,
		 p + strlen(from));
	vg_receipt_init(&r);
	rc = vg_receipt_parse(&r, (const uint8_t *)buf, strlen(buf));
	vg_receipt_release(&r);
	return rc;
}

static void test_parse_refusals(void **state)
{
	struct vg_minisign_sk *sk = NULL;
	struct vg_receipt r;
	struct vg_buf json = VG_BUF_INIT;
	static const struct {
		const char *from, *to;
		int code;
	} cases[] = {
	    {"\"v\":1", "\"v\":2", VG_EUNSUPPORTED},
	    {"\"v\":1", "\"v\":1,\"x\":1", VG_EFORMAT},		       /* unknown member */
	    {"\"roster\":9,", "", VG_EFORMAT},			       /* missing member */
	    {"\"n\":2", "\"n\":0", VG_EFORMAT},			       /* out of range */
	    {"\"n\":2", "\"n\":1", VG_EFORMAT},			       /* n 1 names a prev */
	    {"\"n\":2", "\"n\":02", VG_EFORMAT},		       /* not JSON */
	    {"\"seq\":40", "\"seq\":0", VG_EFORMAT},		       /* seq 0 */
	    {"\"seq\":40", "\"seq\":40,\"x\":1", VG_EFORMAT},	       /* member field */
	    {"\"id\":\"1010", "\"id\":\"2010", VG_EFORMAT},	       /* order */
	    {"\"org\":\"5d5d", "\"org\":\"5D5d", VG_EFORMAT},	       /* upper-case hex */
	    {"{\"coordinator\"", "{ \"coordinator\"", VG_EFORMAT},     /* not canonical */
	    {"\"roster\":9", "\"roster\":9.0", VG_EFORMAT},	       /* not an integer */
	    {"}\n", "}", VG_EFORMAT},				       /* no final LF */
	    {"}\n", "}\n\n", VG_EFORMAT},			       /* trailing data */
	    {"\"roster\":9", "\"roster\":9,\"roster\":9", VG_EFORMAT}, /* duplicate key */
	};

	(void)state;
	assert_int_equal(vg_minisign_sk_generate(&sk), 0);
	sample(&r, sk, 2);
	assert_int_equal(vg_receipt_encode(&json, &r), 0);
	assert_int_equal(parse_edited(&json, "\"v\":1", "\"v\":1"), 0); /* positive control */
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int rc = parse_edited(&json, cases[i].from, cases[i].to);
		if (rc != cases[i].code)
			fail_msg("case %zu (%s -> %s): %d", i, cases[i].from, cases[i].to, rc);
	}
	/* Above the cap before anything is parsed. */
	{
		struct vg_receipt big;
		uint8_t *b = calloc(1, VG_RECEIPT_JSON_MAX + 1);
		vg_receipt_init(&big);
		assert_non_null(b);
		assert_int_equal(vg_receipt_parse(&big, b, VG_RECEIPT_JSON_MAX + 1), VG_ELIMIT);
		free(b);
	}
	/* Encoding refuses what the parser would: a duplicate member, a seq of 0. */
	memcpy(r.members[1].id, r.members[0].id, VG_ID_BYTES);
	vg_buf_clear(&json);
	assert_int_equal(vg_receipt_encode(&json, &r), VG_EFORMAT);
	r.members[1].id[0] ^= 0x40;
	r.members[1].seq = 0;
	vg_buf_clear(&json);
	assert_int_equal(vg_receipt_encode(&json, &r), VG_EFORMAT);
	vg_receipt_release(&r);
	vg_buf_release(&json);
	vg_minisign_sk_free(sk);
}

/* A reseal without passphrase opens with the passphrase the vault was read with. */
static void test_vault_reseal_kept_key(void **state)
{
	char dir[] = "/tmp/vigil-receipt-XXXXXX", path[256];
	struct vg_vault *v = NULL, *w = NULL;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vault.key", dir);
	assert_int_equal(vg_vault_generate(&v, "m1"), 0);
	assert_int_equal(vg_vault_write(path, 1, v, NULL, 0), VG_EINVAL); /* nothing kept yet */
	assert_int_equal(vg_vault_write(path, 1, v, "pw one", 6), 0);
	assert_int_equal(vg_vault_generation(v), 0);
	randombytes_buf(v->key, VG_VAULT_KEY_BYTES);
	assert_int_equal(vg_vault_set_generation(v, 7), 0);
	assert_int_equal(vg_vault_write(path, 0, v, NULL, 0), 0);
	assert_int_equal(vg_vault_read(&w, path, "pw two", 6), VG_EAUTH);
	assert_int_equal(vg_vault_read(&w, path, "pw one", 6), 0);
	assert_memory_equal(w->key, v->key, VG_VAULT_KEY_BYTES);
	assert_int_equal(vg_vault_generation(w), 7);
	vg_vault_free(v);
	vg_vault_free(w);
	unlink(path);
	rmdir(dir);
}

/*
 * FORMAT.md 17.9: a vault key rotation with a new age identity. The held vault and the file
 * take the new identity (the signing key stays), the store's sealed values open with the
 * new key only, and no vault.key.new is left.
 */
static void test_rotate_identity(void **state)
{
	char dir[] = "/tmp/vigil-receipt-XXXXXX", path[256], db[256], newp[300];
	struct vg_vault *v = NULL, *w = NULL;
	struct vg_store *s = NULL;
	struct vg_buf out = VG_BUF_INIT_SECURE;
	struct vg_age_recipient before, after, onfile;
	uint8_t old_key[VG_VAULT_KEY_BYTES], old_sign[VG_MINISIGN_PK_BYTES];
	struct vg_minisign_pk pk;
	uint64_t gs = 0;
	int64_t n = 0;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/vault.key", dir);
	snprintf(db, sizeof(db), "%s/store.db", dir);
	snprintf(newp, sizeof(newp), "%s.new", path);
	assert_int_equal(vg_vault_generate(&v, "m1"), 0);
	assert_int_equal(vg_vault_write(path, 1, v, "pw", 2), 0);
	assert_int_equal(vg_store_open(&s, db), 0);
	assert_int_equal(vg_store_put_draft(s, &n, v->key, (const uint8_t *)"{}", 2), 0);
	vg_age_identity_recipient(&before, v->age);
	memcpy(old_key, v->key, sizeof(old_key));
	vg_minisign_sk_public(&pk, v->sign);
	memcpy(old_sign, pk.pk, sizeof(old_sign));

	assert_int_equal(vg_deliver_rotate_identity(s, v, path), 0);
	vg_age_identity_recipient(&after, v->age);
	assert_memory_not_equal(before.pk, after.pk, sizeof(before.pk));
	assert_memory_not_equal(old_key, v->key, sizeof(old_key));
	assert_int_equal(vg_vault_generation(v), 1);
	assert_int_equal(vg_deliver_store_generation(s, &gs), 0);
	assert_int_equal(gs, 1);
	assert_int_equal(access(newp, F_OK), -1);
	assert_int_equal(vg_vault_read(&w, path, "pw", 2), 0);
	vg_age_identity_recipient(&onfile, w->age);
	assert_memory_equal(onfile.pk, after.pk, sizeof(after.pk));
	vg_minisign_sk_public(&pk, w->sign);
	assert_memory_equal(pk.pk, old_sign, sizeof(old_sign));
	assert_int_equal(vg_store_get_draft(s, &out, w->key, n), 0);
	assert_int_equal(out.len, 2);
	assert_int_equal(vg_store_get_draft(s, &out, old_key, n), VG_EAUTH);
	vg_buf_release(&out);
	vg_vault_free(v);
	vg_vault_free(w);
	vg_store_close(s);
	vgt_rmrf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sign_verify),
	    cmocka_unit_test(test_parse_refusals),
	    cmocka_unit_test(test_vault_reseal_kept_key),
	    cmocka_unit_test(test_rotate_identity),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
