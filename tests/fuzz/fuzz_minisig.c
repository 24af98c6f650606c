/*
 * libFuzzer harness for the minisign parsers: every input goes to the signature parser, the
 * public key parser and the secret key parser (no passphrase, so no scrypt runs: encrypted
 * keys stop at VG_EAUTH or VG_ELIMIT). A parsed signature is verified against the fixed
 * known-answer key of tests/unit/test_minisign.c, once as it is and once with its key
 * number, so mutations reach both Ed25519 checks; the seeds in corpus/minisig/ include
 * signatures by that key over FUZZ_MSG. Parsed keys must round-trip and sign verifiably.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/buf.h"
#include "vigil/error.h"
#include "vigil/minisign.h"
#include "vigil/vigil.h"

#define FUZZ_MSG "vigil minisign known-answer message\n"
#define FUZZ_PK	 "RWR7oLZq8z6y+9BgG7ZwdtZvyV3XsfzzA0+a3+l8U+e/tjubatmJUNFZ"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_code(int rc)
{
	if (rc > 0 || rc < VG_EMISMATCH)
		abort();
}

static void fuzz_sig(const char *text, size_t size, const struct vg_minisign_pk *fixed)
{
	static const uint8_t msg[] = FUZZ_MSG;
	struct vg_minisign_pk pk = *fixed;
	struct vg_minisig sig;
	uint8_t hash[VG_MINISIGN_HASH_BYTES];
	int rc = vg_minisign_sig_parse(&sig, text, size);

	check_code(rc);
	if (rc < 0) {
		if (rc != VG_EFORMAT)
			abort();
		return;
	}
	if (strlen(sig.untrusted) > VG_MINISIGN_COMMENT_MAX ||
	    strlen(sig.trusted) > VG_MINISIGN_COMMENT_MAX ||
	    (memcmp(sig.alg, "ED", 2) != 0 && memcmp(sig.alg, "Ed", 2) != 0))
		abort();
	vg_minisign_hash(hash, msg, sizeof(msg) - 1);
	for (int pass = 0; pass < 2; pass++) {
		int a = vg_minisign_verify(&sig, &pk, msg, sizeof(msg) - 1, 0);
		int b =
		    vg_minisign_verify(&sig, &pk, msg, sizeof(msg) - 1, VG_MINISIGN_ALLOW_LEGACY);
		int c = vg_minisign_verify_hashed(&sig, &pk, hash);

		check_code(a);
		check_code(b);
		check_code(c);
		if ((a != 0 && a != VG_EBADSIG) || (b != 0 && b != VG_EBADSIG) ||
		    (c != 0 && c != VG_EBADSIG))
			abort();
		/* ED: the three agree. Ed: only the legacy flag can accept. */
		if (memcmp(sig.alg, "ED", 2) == 0 && (a != b || a != c))
			abort();
		if (memcmp(sig.alg, "Ed", 2) == 0 && (a == 0 || c == 0))
			abort();
		memcpy(pk.keynum, sig.keynum, sizeof(pk.keynum));
	}
}

static void fuzz_pk(const char *text, size_t size)
{
	struct vg_minisign_pk pk, again;
	char line[VG_MINISIGN_PK_B64_LEN + 1];
	struct vg_buf file = VG_BUF_INIT;
	int rc = vg_minisign_pk_parse(&pk, text, size);

	check_code(rc);
	if (rc < 0)
		return;
	vg_minisign_pk_encode(line, &pk);
	if (vg_minisign_pk_parse(&again, line, strlen(line)) != 0 ||
	    memcmp(&pk, &again, sizeof(pk)) != 0)
		abort();
	if (vg_minisign_pk_write(&file, &pk) != 0 ||
	    vg_minisign_pk_parse(&again, (const char *)file.ptr, file.len) != 0 ||
	    memcmp(&pk, &again, sizeof(pk)) != 0)
		abort();
	vg_buf_release(&file);
}

static void fuzz_sk(const char *text, size_t size)
{
	static const uint8_t msg[] = "m";
	struct vg_minisign_sk *sk = NULL;
	struct vg_minisign_pk pk;
	struct vg_minisig sig;
	struct vg_buf out = VG_BUF_INIT;
	int rc = vg_minisign_sk_parse(&sk, text, size, NULL, 0);

	check_code(rc);
	if (rc < 0) {
		if (sk != NULL || (rc != VG_EFORMAT && rc != VG_EAUTH && rc != VG_ELIMIT))
			abort();
		return;
	}
	vg_minisign_sk_public(&pk, sk);
	if (vg_minisign_sign(&out, sk, msg, 1, NULL, "t") != 0 ||
	    vg_minisign_sig_parse(&sig, (const char *)out.ptr, out.len) != 0 ||
	    vg_minisign_verify(&sig, &pk, msg, 1, 0) != 0)
		abort();
	vg_buf_release(&out);
	vg_minisign_sk_free(sk);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vg_minisign_pk fixed;
	const char *text = (const char *)data;

	if (vg_init() < 0 || vg_minisign_pk_parse(&fixed, FUZZ_PK, strlen(FUZZ_PK)) != 0)
		abort();
	fuzz_sig(text, size, &fixed);
	fuzz_pk(text, size);
	fuzz_sk(text, size);
	return 0;
}
