/*
 * libFuzzer harness for the invitation parser (common/FORMAT.md, section 12). Every input
 * goes to vg_invite_parse; an invitation it accepts is written again with the fixed
 * fuzzing key when it names that key (tests/tools/vg_roster_tool.c signs the seeds in
 * corpus/invite/ with it), and must come out byte for byte the same (canonical JSON,
 * deterministic Ed25519), then parse to the same fields.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vigil/error.h"
#include "vigil/id.h"
#include "vigil/invite.h"
#include "vigil/vigil.h"

#define FUZZ_SEED "vigil fuzz organisation key 001"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	struct vg_minisign_pk pk;
	struct vg_minisign_sk *sk;
	struct vg_invite inv, again;
	struct vg_buf out = VG_BUF_INIT;
	uint8_t id[VG_ID_BYTES];
	int rc;

	if (vg_init() < 0)
		abort();
	sk = fuzz_key(&pk);
	vg_invite_init(&inv);
	vg_invite_init(&again);
	rc = vg_invite_parse(&inv, data, size);
	if (rc > 0 || rc < VG_EEXPIRED)
		abort();
	if (rc < 0) {
		if (inv.credential.len != 0 || inv.credential.ptr != NULL)
			abort(); /* released on failure */
		return 0;
	}
	vg_id_of_key(id, &inv.org_key);
	if (memcmp(id, inv.org, VG_ID_BYTES) != 0 || inv.roster_version < 1 ||
	    inv.credential.len > VG_INVITE_CREDENTIAL_MAX || strlen(inv.remote) < 1)
		abort();
	if (memcmp(&pk, &inv.org_key, sizeof(pk)) == 0) {
		if (vg_invite_write(&out, &inv, sk) != 0 || out.len != size ||
		    memcmp(out.ptr, data, size) != 0)
			abort();
		if (vg_invite_parse(&again, out.ptr, out.len) != 0 ||
		    memcmp(again.member, inv.member, VG_ID_BYTES) != 0 ||
		    strcmp(again.remote, inv.remote) != 0 ||
		    again.credential.len != inv.credential.len)
			abort();
	}
	vg_buf_release(&out);
	vg_invite_release(&inv);
	vg_invite_release(&again);
	return 0;
}
