/*
 * Passphrase-encrypted age files (common/FORMAT.md, section 14): round trip, the header
 * stock age expects (one scrypt stanza at age's default work factor), a wrong passphrase,
 * altered headers and payloads, the work-factor cap, and that entries still refuse scrypt.
 * Stock age itself opens these files in tests/cli/keys_flow.sh (it reads passphrases from
 * a terminal only).
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "testutil.h"
#include "vigil/age.h"
#include "vigil/age_scrypt.h"
#include "vigil/error.h"
#include "vigil/vigil.h"

#define PASS "correct horse battery staple"
#define TEXT "# vigil recovery identity\nAGE-SECRET-KEY-1EXAMPLE\n"

static struct vg_buf CT = VG_BUF_INIT;

static int setup(void **state)
{
	(void)state;
	assert_int_equal(vg_init(), 0);
	assert_int_equal(
	    vg_age_scrypt_encrypt(&CT, (const uint8_t *)TEXT, strlen(TEXT), PASS, strlen(PASS)), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vg_buf_release(&CT);
	return 0;
}

static void test_round_trip(void **state)
{
	struct vg_buf pt = VG_BUF_INIT_SECURE;
	const char *stanza = "age-encryption.org/v1\n-> scrypt ";
	const char *nl;

	(void)state;
	/* The header stock age writes for `age -p`: one scrypt stanza, work factor 18. */
	assert_memory_equal(CT.ptr, stanza, strlen(stanza));
	nl = strchr((const char *)CT.ptr + strlen(stanza), '\n');
	assert_non_null(nl);
	assert_int_equal(nl - (const char *)CT.ptr, (long)strlen(stanza) + 22 + 3);
	assert_memory_equal(nl - 3, " 18", 3);
	assert_int_equal(vg_age_scrypt_decrypt(&pt, CT.ptr, CT.len, PASS, strlen(PASS)), 0);
	assert_int_equal(pt.len, strlen(TEXT));
	assert_memory_equal(pt.ptr, TEXT, pt.len);
	vg_buf_release(&pt);
	/* Two encryptions differ (salt, file key, nonce). */
	{
		struct vg_buf again = VG_BUF_INIT;
		assert_int_equal(vg_age_scrypt_encrypt(&again, (const uint8_t *)TEXT, strlen(TEXT),
						       PASS, strlen(PASS)),
				 0);
		assert_true(again.len == CT.len && memcmp(again.ptr, CT.ptr, CT.len) != 0);
		vg_buf_release(&again);
	}
}

static void test_refusals(void **state)
{
	struct vg_buf pt = VG_BUF_INIT_SECURE, bad = VG_BUF_INIT;
	struct vg_age_header *h = NULL;
	const char *mac;

	(void)state;
	/* A wrong passphrase, and none. */
	assert_int_equal(vg_age_scrypt_decrypt(&pt, CT.ptr, CT.len, "wrong", 5), VG_EAUTH);
	assert_int_equal(vg_age_scrypt_decrypt(&pt, CT.ptr, CT.len, "", 0), VG_EINVAL);
	assert_int_equal(pt.len, 0);
	/* An altered MAC, an altered payload, a truncated file. */
	assert_int_equal(vg_buf_put(&bad, CT.ptr, CT.len), 0);
	mac = strstr((const char *)bad.ptr, "\n--- ");
	assert_non_null(mac);
	{
		uint8_t *c = &bad.ptr[mac - (const char *)bad.ptr + 6]; /* second MAC character */
		*c = *c == 'A' ? 'B' : 'A';
	}
	assert_int_equal(vg_age_scrypt_decrypt(&pt, bad.ptr, bad.len, PASS, strlen(PASS)), VG_EMAC);
	vg_buf_clear(&bad);
	assert_int_equal(vg_buf_put(&bad, CT.ptr, CT.len), 0);
	bad.ptr[bad.len - 1] ^= 0x01;
	assert_int_equal(vg_age_scrypt_decrypt(&pt, bad.ptr, bad.len, PASS, strlen(PASS)),
			 VG_EPAYLOAD);
	assert_int_equal(vg_age_scrypt_decrypt(&pt, CT.ptr, CT.len - 1, PASS, strlen(PASS)),
			 VG_EPAYLOAD);
	assert_int_equal(pt.len, 0);
	/* A work factor above age's cap is refused before any derivation. */
	vg_buf_clear(&bad);
	assert_int_equal(vg_buf_put(&bad, CT.ptr, CT.len), 0);
	{
		char *wf = strstr((char *)bad.ptr, " 18\n");
		assert_non_null(wf);
		memcpy(wf, " 23\n", 4);
		assert_int_equal(vg_age_scrypt_decrypt(&pt, bad.ptr, bad.len, PASS, strlen(PASS)),
				 VG_ELIMIT);
		memcpy(wf, " 08\n", 4);
		assert_int_equal(vg_age_scrypt_decrypt(&pt, bad.ptr, bad.len, PASS, strlen(PASS)),
				 VG_EFORMAT);
	}
	/* A second stanza beside the scrypt one. */
	vg_buf_clear(&bad);
	{
		const char *body = strchr(strchr((const char *)CT.ptr, '\n') + 1, '\n') + 1;
		const char *end = strchr(body, '\n') + 1;
		size_t head = (size_t)(end - (const char *)CT.ptr);
		assert_int_equal(vg_buf_put(&bad, CT.ptr, head), 0);
		assert_int_equal(vg_buf_puts(&bad, "-> X25519 "
						   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"
						   "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n"),
				 0);
		assert_int_equal(vg_buf_put(&bad, CT.ptr + head, CT.len - head), 0);
		assert_int_equal(vg_age_scrypt_decrypt(&pt, bad.ptr, bad.len, PASS, strlen(PASS)),
				 VG_EFORMAT);
	}
	/* Not passphrase-encrypted at all. */
	{
		struct vg_age_identity *id = NULL;
		struct vg_age_recipient r;
		vg_buf_clear(&bad);
		assert_int_equal(vg_age_identity_generate(&id), 0);
		vg_age_identity_recipient(&r, id);
		assert_int_equal(vg_age_encrypt(&bad, NULL, &r, 1, (const uint8_t *)"x", 1), 0);
		assert_int_equal(vg_age_scrypt_decrypt(&pt, bad.ptr, bad.len, PASS, strlen(PASS)),
				 VG_EUNSUPPORTED);
		/* And the other way: entries (X25519 only) refuse an scrypt file. */
		assert_int_equal(vg_age_decrypt(&pt, id, CT.ptr, CT.len), VG_EUNSUPPORTED);
		vg_age_identity_free(id);
	}
	assert_int_equal(vg_age_header_parse(&h, CT.ptr, CT.len), VG_EUNSUPPORTED);
	assert_int_equal(vg_age_scrypt_decrypt(&pt, (const uint8_t *)"hello", 5, PASS, 4),
			 VG_EFORMAT);
	assert_int_equal(pt.len, 0);
	/* Encryption refuses an empty passphrase. */
	vg_buf_clear(&bad);
	assert_int_equal(vg_age_scrypt_encrypt(&bad, (const uint8_t *)"x", 1, "", 0), VG_EINVAL);
	assert_int_equal(bad.len, 0);
	vg_buf_release(&bad);
	vg_buf_release(&pt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
