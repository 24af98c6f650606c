/*
 * libFuzzer harness for the receipt parsers (common/FORMAT.md, section 17). An input is a
 * receipt.json, optionally followed by a NUL byte and a receipt.json.minisig. The file goes
 * to the strict parser: what it accepts must encode back to exactly the input. With a
 * signature, vg_receipt_verify checks it against the fixed fuzzing key (the signed seeds in
 * corpus/receipt/ are signed with it); a receipt it accepts must re-sign to exactly the same
 * two files (Ed25519 is deterministic). The whole input also goes to the trusted comment
 * parser and to the lookup of a member.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vigil/error.h"
#include "vigil/id.h"
#include "vigil/receipt.h"
#include "vigil/vigil.h"

#define FUZZ_SEED "vigil fuzz coordinator key 0001"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_code(int rc)
{
	if (rc > 0 || rc < VG_EEXPIRED)
		abort();
}

static struct vg_minisign_sk *fuzz_key(struct vg_minisign_pk *pk)
{
	static struct vg_minisign_sk *sk;
	uint8_t raw[VG_MINISIGN_SK_RAW_BYTES], seed[32], p[32];

	if (sk == NULL) {
		memcpy(seed, FUZZ_SEED, sizeof(seed));
		crypto_sign_seed_keypair(p, raw + VG_MINISIGN_KEYNUM_BYTES, seed);
		vg_id_keynum(raw, p);
		if (vg_minisign_sk_from_raw(&sk, raw) < 0)
			abort();
	}
	vg_minisign_sk_public(pk, sk);
	return sk;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct vg_receipt r;
	struct vg_receipt_tc tc;
	struct vg_minisign_pk pk;
	struct vg_minisign_sk *sk;
	struct vg_buf json = VG_BUF_INIT, sig = VG_BUF_INIT;
	const uint8_t *nul = memchr(data, '\0', size);
	size_t jlen = nul != NULL ? (size_t)(nul - data) : size;
	uint8_t coord[VG_ID_BYTES];
	int rc;

	if (!ready) {
		if (vg_init() < 0)
			abort();
		ready = 1;
	}
	sk = fuzz_key(&pk);
	vg_id_of_key(coord, &pk);
	vg_receipt_init(&r);
	check_code(vg_receipt_tc_parse(&tc, (const char *)data, size));
	rc = vg_receipt_parse(&r, data, jlen);
	check_code(rc);
	if (rc == 0) {
		if (vg_receipt_encode(&json, &r) < 0 || json.len != jlen ||
		    memcmp(json.ptr, data, jlen) != 0)
			abort();
		for (size_t i = 0; i < r.nmembers; i++)
			if (vg_receipt_find(&r, r.members[i].id) != &r.members[i])
				abort();
		vg_buf_clear(&json);
	}
	if (nul != NULL) {
		rc = vg_receipt_verify(&r, data, jlen, (const char *)nul + 1, size - jlen - 1,
				       r.org, coord, &pk);
		check_code(rc);
		if (rc == 0) {
			/* Deterministic signatures: signing what was verified gives the input. */
			if (vg_receipt_sign(&json, &sig, &r, sk) < 0 || json.len != jlen ||
			    memcmp(json.ptr, data, jlen) != 0 || sig.len != size - jlen - 1 ||
			    memcmp(sig.ptr, nul + 1, sig.len) != 0)
				abort();
		}
	}
	vg_receipt_release(&r);
	vg_buf_release(&json);
	vg_buf_release(&sig);
	return 0;
}
