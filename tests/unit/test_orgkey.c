/*
 * The organisation key file (common/FORMAT.md, section 13): round trip, a wrong
 * passphrase, the wrong kind of key file, and every malformed payload refused.
 */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "testutil.h"
#include "vigil/error.h"
#include "vigil/id.h"
#include "vigil/keyfile.h"
#include "vigil/minisign.h"
#include "vigil/orgkey.h"
#include "vigil/vault.h"
#include "vigil/vigil.h"

#define PASS "organisation passphrase"

static int setup(void **state)
{
	(void)state;
	assert_int_equal(vg_init(), 0);
	return 0;
}

static void test_round_trip(void **state)
{
	struct vg_minisign_sk *sk = NULL, *back = NULL;
	struct vg_minisign_pk pk, pk2;
	struct vg_buf file = VG_BUF_INIT;
	char *dir = vgt_tmpdir(), *path = vgt_path(dir, "org.key");

	(void)state;
	assert_int_equal(vg_minisign_sk_generate(&sk), 0);
	assert_int_equal(vg_orgkey_write(path, sk, PASS, strlen(PASS)), 0);
	/* Never overwritten. */
	assert_int_equal(vg_orgkey_write(path, sk, PASS, strlen(PASS)), VG_EEXISTS);
	vgt_read_file(&file, path);
	assert_memory_equal(file.ptr, "VIGILKEY", 8);
	assert_int_equal(file.ptr[9], VG_KEYFILE_ORG);
	assert_int_equal(file.ptr[11], 1); /* one slot */
	assert_int_equal(vg_orgkey_read(&back, path, PASS, strlen(PASS)), 0);
	vg_minisign_sk_public(&pk, sk);
	vg_minisign_sk_public(&pk2, back);
	assert_memory_equal(&pk, &pk2, sizeof(pk));
	vg_minisign_sk_free(back);
	back = NULL;
	assert_int_equal(vg_orgkey_read(&back, path, "wrong", 5), VG_EAUTH);
	assert_null(back);
	vgt_rmrf(dir);
	assert_int_equal(vg_orgkey_read(&back, path, PASS, strlen(PASS)), VG_ENOTFOUND);
	vg_buf_release(&file);
	vg_minisign_sk_free(sk);
	free(path);
	free(dir);
}

static void test_wrong_kind(void **state)
{
	struct vg_vault *v = NULL;
	struct vg_minisign_sk *back = NULL;
	char *dir = vgt_tmpdir(), *path = vgt_path(dir, "vault.key");

	(void)state;
	/* A device's vault is not an organisation key, even with the right passphrase. */
	assert_int_equal(vg_vault_generate(&v, "alice"), 0);
	assert_int_equal(vg_vault_write(path, 1, v, PASS, strlen(PASS)), 0);
	assert_int_equal(vg_orgkey_read(&back, path, PASS, strlen(PASS)), VG_EFORMAT);
	assert_null(back);
	vg_vault_free(v);
	vgt_rmrf(dir);
	free(path);
	free(dir);
}

static void test_payload(void **state)
{
	struct vg_minisign_sk *sk = NULL, *back = NULL;
	struct vg_buf p = VG_BUF_INIT_SECURE, bad = VG_BUF_INIT_SECURE;

	(void)state;
	assert_int_equal(vg_minisign_sk_generate(&sk), 0);
	assert_int_equal(vg_orgkey_encode(&p, sk), 0);
	assert_int_equal(p.len, 3 + VG_MINISIGN_SK_RAW_BYTES);
	assert_int_equal(p.ptr[0], 1);
	assert_int_equal(vg_orgkey_decode(&back, p.ptr, p.len), 0);
	vg_minisign_sk_free(back);
	back = NULL;
	/* Truncated, an extra record, another first record, a wrong length. */
	assert_int_equal(vg_orgkey_decode(&back, p.ptr, p.len - 1), VG_EFORMAT);
	assert_int_equal(vg_orgkey_decode(&back, p.ptr, 2), VG_EFORMAT);
	assert_int_equal(vg_buf_put(&bad, p.ptr, p.len), 0);
	assert_int_equal(vg_buf_put(&bad, "\x05\x00\x00", 3), 0);
	assert_int_equal(vg_orgkey_decode(&back, bad.ptr, bad.len), VG_EFORMAT);
	bad.len = p.len;
	bad.ptr[0] = 2;
	assert_int_equal(vg_orgkey_decode(&back, bad.ptr, bad.len), VG_EFORMAT);
	bad.ptr[0] = 1;
	bad.ptr[1] = 71;
	assert_int_equal(vg_orgkey_decode(&back, bad.ptr, bad.len), VG_EFORMAT);
	bad.ptr[1] = p.ptr[1];
	/* A secret key whose public half does not match its seed. */
	bad.ptr[3 + 8 + 40] ^= 1;
	assert_int_equal(vg_orgkey_decode(&back, bad.ptr, bad.len), VG_EFORMAT);
	bad.ptr[3 + 8 + 40] ^= 1;
	/* A key number not derived from the key (a stock minisign key's random one). */
	bad.ptr[3] ^= 1;
	assert_int_equal(vg_orgkey_decode(&back, bad.ptr, bad.len), VG_EFORMAT);
	assert_null(back);
	vg_buf_release(&p);
	vg_buf_release(&bad);
	vg_minisign_sk_free(sk);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_wrong_kind),
	    cmocka_unit_test(test_payload),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
