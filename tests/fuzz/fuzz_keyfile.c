/*
 * libFuzzer harness for sealed key files: vg_keyfile_open on any input, as either kind,
 * with a fixed passphrase. The valid seeds in corpus/keyfile/ were sealed with this
 * passphrase by a VIGIL_TEST_KDF build (which fuzz builds are), so mutations get past the
 * header checks into the slots and the payload, and the success path runs too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/buf.h"
#include "vigil/keyfile.h"
#include "vigil/vigil.h"

#define FUZZ_PASS "fuzz passphrase"

/*
 * Inputs whose Argon2id parameters lie between floor and cap but ask for more than this
 * much memory are skipped: a derivation there costs up to seconds of libsodium's time and
 * tells us nothing about our parser, and would slow the fuzzer to a crawl. Parameters
 * outside floor and cap still go through (they must be refused before any derivation).
 */
#define FUZZ_MEM_KIB_MAX 256

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum vg_keyfile_kind kinds[] = {VG_KEYFILE_VAULT, VG_KEYFILE_ORG};
	struct vg_kdf_params lo, hi;

	if (vg_init() < 0)
		abort();
	if (size >= 20) {
		uint32_t ops = le32(data + 12), mem = le32(data + 16);
		vg_keyfile_floor(&lo);
		vg_keyfile_cap(&hi);
		if (ops >= lo.opslimit && ops <= hi.opslimit && mem >= lo.memlimit_kib &&
		    mem <= hi.memlimit_kib && mem > FUZZ_MEM_KIB_MAX)
			return 0;
	}
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		struct vg_buf out = VG_BUF_INIT_SECURE;
		unsigned slot = VG_KEYFILE_SLOTS_MAX;
		int rc = vg_keyfile_open(&out, &slot, kinds[k], data, size, FUZZ_PASS,
					 strlen(FUZZ_PASS));

		/* The contract: 0 with a payload and a slot, or a negative code and nothing. */
		if (rc > 0)
			abort();
		if (rc == 0 && (slot >= VG_KEYFILE_SLOTS_MAX || out.len < 1 ||
				out.len > VG_KEYFILE_PAYLOAD_MAX))
			abort();
		if (rc < 0 && (out.len != 0 || slot != VG_KEYFILE_SLOTS_MAX))
			abort();
		vg_buf_release(&out);
	}
	return 0;
}
