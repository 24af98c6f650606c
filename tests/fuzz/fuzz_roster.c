/*
 * libFuzzer harness for the roster parsers (common/FORMAT.md, section 11). An input is a
 * roster file, optionally followed by a NUL byte and a signature file. The file goes to
 * the strict parser: what it accepts must encode back to exactly the input, and give
 * recipient lists within age's limit. With a signature, vg_roster_verify checks it against
 * the fixed fuzzing key (tests/tools/vg_roster_tool.c signs the seeds in corpus/roster/
 * with it); a version it accepts must re-sign to exactly the same two files (Ed25519 is
 * deterministic) and start a set of versions when it is version 1. The whole input also
 * goes to the trusted comment parser.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "vigil/error.h"
#include "vigil/id.h"
#include "vigil/roster.h"
#include "vigil/vigil.h"

#define FUZZ_SEED "vigil fuzz organisation key 001"

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

static void parsed(const struct vg_roster *r, const uint8_t *json, size_t len)
{
	struct vg_buf again = VG_BUF_INIT;
	struct vg_age_recipient rc[VG_AGE_RECIPIENTS_MAX];
	char tc[VG_MINISIGN_COMMENT_MAX + 1];
	struct vg_roster_tc t;
	size_t n;

	if (vg_roster_encode(&again, r) != 0 || again.len != len ||
	    memcmp(again.ptr, json, len) != 0)
		abort();
	for (size_t i = 0; i < r->nmembers; i++) {
		if (vg_roster_recipients(rc, &n, r, r->members[i].id) != 0 || n < 1 ||
		    n > VG_AGE_RECIPIENTS_MAX ||
		    vg_roster_find(r, r->members[i].id) != &r->members[i])
			abort();
		if (vg_roster_lookup(r, r->members[i].pseudonym) != &r->members[i])
			abort();
	}
	for (size_t i = 0; i < r->nlate; i++)
		if (!vg_roster_is_late_accepted(r, r->late[i]))
			abort();
	if (vg_roster_tc_format(tc, sizeof(tc), r) != 0 ||
	    vg_roster_tc_parse(&t, tc, strlen(tc)) != 0 || t.version != r->version)
		abort();
	check_code(vg_roster_check_fresh(r, 1717243200));
	if (vg_roster_check_next(r, r, NULL) == 0) /* a version never follows itself */
		abort();
	vg_buf_release(&again);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul = memchr(data, 0, size);
	size_t jlen = nul != NULL ? (size_t)(nul - data) : size;
	struct vg_minisign_pk pk;
	struct vg_minisign_sk *sk;
	struct vg_roster *r = NULL, *v = NULL;
	struct vg_roster_tc t;
	int rc;

	if (vg_init() < 0)
		abort();
	sk = fuzz_key(&pk);
	check_code(vg_roster_tc_parse(&t, (const char *)data, size));
	rc = vg_roster_parse(&r, data, jlen);
	check_code(rc);
	if ((rc == 0) != (r != NULL))
		abort();
	if (r != NULL)
		parsed(r, data, jlen);
	if (nul != NULL) {
		const char *sig = (const char *)nul + 1;
		size_t siglen = size - jlen - 1;
		rc = vg_roster_verify(&v, data, jlen, sig, siglen, &pk);
		check_code(rc);
		if ((rc == 0) != (v != NULL) || (rc == 0 && r == NULL))
			abort();
		if (v != NULL) {
			struct vg_buf j = VG_BUF_INIT, s = VG_BUF_INIT;
			struct vg_roster_set *set = NULL;
			if (vg_roster_sign(&j, &s, v, sk) != 0 || j.len != jlen ||
			    memcmp(j.ptr, data, jlen) != 0 || s.len != siglen ||
			    memcmp(s.ptr, sig, siglen) != 0)
				abort();
			if (vg_roster_set_new(&set, &pk) != 0)
				abort();
			rc = vg_roster_set_add(set, data, jlen, sig, siglen, NULL);
			if ((v->version == 1) != (rc == 0))
				abort();
			vg_roster_set_free(set);
			vg_buf_release(&j);
			vg_buf_release(&s);
		}
	}
	vg_roster_free(r);
	vg_roster_free(v);
	return 0;
}
