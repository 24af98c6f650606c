/*
 * Public identities, fingerprint codes and the vault payload.
 */
#include <string.h>
#include <sys/stat.h>

#include <sodium.h>

#include "testutil.h"
#include "vigil/error.h"
#include "vigil/identity.h"
#include "vigil/keyfile.h"
#include "vigil/vault.h"
#include "vigil/vigil.h"

static int setup(void **state)
{
	(void)state;
	return vg_init();
}

static void test_pseudonyms(void **state)
{
	static const char *const good[] = {"a", "m-2k9x", "maroon-falcon-17",
					   "abcdefghijklmnopqrstuvwxyz012345"};
	static const char *const bad[] = {
	    "",	  "-a", "a-", "A", "1abc", "a b", "a_b", "ä", "abcdefghijklmnopqrstuvwxyz0123456",
	    "a:b"};
	char r[VG_PSEUDONYM_MAX + 1];

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		assert_true(vg_pseudonym_valid(good[i]));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_false(vg_pseudonym_valid(bad[i]));
	for (int i = 0; i < 100; i++) {
		vg_pseudonym_random(r);
		assert_true(vg_pseudonym_valid(r));
		assert_int_equal(strlen(r), 10);
	}
}

static void test_identity_line(void **state)
{
	struct vg_vault *v = NULL;
	struct vg_identity id, back;
	char line[VG_IDENTITY_STR_MAX + 1], bad[VG_IDENTITY_STR_MAX + 8];

	(void)state;
	assert_int_equal(vg_vault_generate(&v, "maroon-falcon"), 0);
	vg_vault_identity(&id, v);
	vg_identity_format(line, &id);
	assert_true(strncmp(line, "vigil-id:maroon-falcon:RW", 25) == 0);
	assert_non_null(strstr(line, ":age1"));
	assert_null(strchr(line, ' '));
	assert_int_equal(vg_identity_parse(&back, line, strlen(line)), 0);
	assert_memory_equal(&id, &back, sizeof(id));
	/* Surrounding whitespace and a final newline, as pasted from a terminal. */
	snprintf(bad, sizeof(bad), "  %s\n", line);
	assert_int_equal(vg_identity_parse(&back, bad, strlen(bad)), 0);
	/* Refusals: other prefix, extra field, bad pseudonym, damaged key or recipient. */
	snprintf(bad, sizeof(bad), "vigil-ID%s", line + 8);
	assert_int_equal(vg_identity_parse(&back, bad, strlen(bad)), VG_EFORMAT);
	snprintf(bad, sizeof(bad), "%s:x", line);
	assert_int_equal(vg_identity_parse(&back, bad, strlen(bad)), VG_EFORMAT);
	snprintf(bad, sizeof(bad), "vigil-id:Maroon%s", line + 15);
	assert_int_equal(vg_identity_parse(&back, bad, strlen(bad)), VG_EFORMAT);
	/* A damaged key number (vigil derives it from the key, so damage shows). */
	memcpy(bad, line, strlen(line) + 1);
	bad[30] = bad[30] == 'A' ? 'B' : 'A';
	assert_int_equal(vg_identity_parse(&back, bad, strlen(bad)), VG_EFORMAT);
	memcpy(bad, line, strlen(line) + 1);
	bad[strlen(bad) - 1] = bad[strlen(bad) - 1] == 'q' ? 'p' : 'q'; /* bech32 checksum */
	assert_int_equal(vg_identity_parse(&back, bad, strlen(bad)), VG_EFORMAT);
	assert_int_equal(vg_identity_parse(&back, line, 30), VG_EFORMAT);
	vg_vault_free(v);
}

static void test_fingerprints(void **state)
{
	struct vg_identity id;
	char a[VG_FINGERPRINT_LEN + 1], b[VG_FINGERPRINT_LEN + 1];

	(void)state;
	memset(&id, 0, sizeof(id));
	strcpy(id.pseudonym, "x");
	vg_fingerprint_member(a, &id);
	assert_int_equal(strlen(a), VG_FINGERPRINT_LEN);
	for (int i = 0; i < VG_FINGERPRINT_LEN; i++)
		assert_true(i % 6 == 5 ? a[i] == ' ' : (a[i] >= '0' && a[i] <= '9'));
	/* Each key changes the code; the pseudonym does not (it is not a key). */
	id.sign.pk[31] ^= 1;
	vg_fingerprint_member(b, &id);
	assert_string_not_equal(a, b);
	id.sign.pk[31] ^= 1;
	id.age.pk[0] ^= 1;
	vg_fingerprint_member(b, &id);
	assert_string_not_equal(a, b);
	id.age.pk[0] ^= 1;
	strcpy(id.pseudonym, "y");
	vg_fingerprint_member(b, &id);
	assert_string_equal(a, b);
	/*
	 * Known answer, computed independently (Python hashlib.blake2b over the domain string
	 * with its NUL and 64 zero bytes): pins the derivation of FORMAT.md.
	 */
	assert_string_equal(a, "02150 28376 10596 93589 42662");
	/* The organisation code is domain-separated from a member's. */
	vg_fingerprint_org(b, &id.sign);
	assert_string_not_equal(a, b);
	assert_int_equal(strlen(b), VG_FINGERPRINT_LEN);
}

static void test_vault_round_trip(void **state)
{
	char *dir = vgt_tmpdir(), *path = vgt_path(dir, "vault.key");
	struct vg_vault *v = NULL, *w = NULL;
	struct vg_identity a, b;
	struct vg_buf payload = VG_BUF_INIT_SECURE;
	struct stat st;

	(void)state;
	assert_int_equal(vg_vault_generate(&v, NULL), 0);
	/* A record from a later version is kept verbatim through a reseal. */
	assert_int_equal(vg_buf_put(&v->extra, "\x20\x03\x00xyz", 6), 0);
	assert_int_equal(vg_vault_write(path, 1, v, "pass", 4), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(vg_vault_write(path, 1, v, "pass", 4), VG_EEXISTS);
	assert_int_equal(vg_vault_read(&w, path, "wrong", 5), VG_EAUTH);
	assert_null(w);
	assert_int_equal(vg_vault_read(&w, path, "pass", 4), 0);
	vg_vault_identity(&a, v);
	vg_vault_identity(&b, w);
	assert_memory_equal(&a, &b, sizeof(a));
	assert_memory_equal(v->key, w->key, VG_VAULT_KEY_BYTES);
	/* Record 8 (the duress slot's key, random) and the later version's record, verbatim. */
	assert_int_equal(w->extra.len, v->extra.len);
	assert_memory_equal(w->extra.ptr, v->extra.ptr, v->extra.len);
	assert_non_null(memmem(w->extra.ptr, w->extra.len, "\x20\x03\x00xyz", 6));
	/* The vault is a two-slot key file of kind vault, not an organisation key. */
	assert_int_equal(vg_keyfile_read(&payload, NULL, path, VG_KEYFILE_ORG, "pass", 4),
			 VG_EFORMAT);
	vg_vault_free(v);
	vg_vault_free(w);
	vg_buf_release(&payload);
	vgt_rmrf(dir);
	free(path);
	free(dir);
}

static void test_vault_decode_refusals(void **state)
{
	struct vg_vault *v = NULL, *w = NULL;
	struct vg_buf p = VG_BUF_INIT_SECURE, q = VG_BUF_INIT_SECURE;

	(void)state;
	assert_int_equal(vg_vault_generate(&v, "abc"), 0);
	/* Only the four required records, so that every truncation cuts one. */
	assert_int_equal(vg_vault_record_set(v, VG_VAULT_REC_DURESS, NULL, 0), 0);
	assert_int_equal(vg_vault_encode(&p, v), 0);
	assert_int_equal(vg_vault_decode(&w, p.ptr, p.len), 0);
	vg_vault_free(w);
	/* Every truncation is refused. */
	for (size_t n = 0; n < p.len; n++) {
		assert_int_equal(vg_vault_decode(&w, p.ptr, n), VG_EFORMAT);
		assert_null(w);
	}
	/* A record twice. */
	assert_int_equal(vg_buf_put(&q, p.ptr, p.len), 0);
	assert_int_equal(vg_buf_put(&q, p.ptr, 3 + VG_MINISIGN_SK_RAW_BYTES), 0);
	assert_int_equal(vg_vault_decode(&w, q.ptr, q.len), VG_EFORMAT);
	/* A type-0 record, a wrong-length key, a bad pseudonym. */
	vg_buf_clear(&q);
	assert_int_equal(vg_buf_put(&q, p.ptr, p.len), 0);
	assert_int_equal(vg_buf_put(&q, "\x00\x00\x00", 3), 0);
	assert_int_equal(vg_vault_decode(&w, q.ptr, q.len), VG_EFORMAT);
	vg_buf_clear(&q);
	assert_int_equal(vg_buf_put(&q, p.ptr, p.len), 0);
	q.ptr[q.len - 4] = '-'; /* pseudonym "abc" becomes "-bc" */
	assert_int_equal(vg_vault_decode(&w, q.ptr, q.len), VG_EFORMAT);
	assert_int_equal(vg_vault_generate(&w, "Bad"), VG_EINVAL);
	vg_vault_free(v);
	vg_buf_release(&p);
	vg_buf_release(&q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pseudonyms),
	    cmocka_unit_test(test_identity_line),
	    cmocka_unit_test(test_fingerprints),
	    cmocka_unit_test(test_vault_round_trip),
	    cmocka_unit_test(test_vault_decode_refusals),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
