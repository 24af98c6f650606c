/*
 * Seal, verify and open of 1 KiB entries, each beside a raw libsodium loop doing the same
 * primitive work in the same run; prints rates and the ratio (ours / raw). Not a pass/fail
 * test: figures to quote.
 *
 *   bench_entry [SECONDS-PER-MEASUREMENT]   (default 2)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bench.h"
#include "vigil/age.h"
#include "vigil/entry.h"
#include "vigil/id.h"
#include "vigil/minisign.h"
#include "vigil/vigil.h"

#define NRCPT 3

#define ROUNDS 7

/*
 * Ours and raw measured in alternating short rounds, so that load from elsewhere on the
 * machine falls on both alike; prints the medians and the median of the per-round ratios.
 */
static void compare(const char *what, void (*ours)(void *), void (*raw)(void *), double secs,
		    const char *target)
{
	double o[ROUNDS], r[ROUNDS], q[ROUNDS];

	for (int i = 0; i < ROUNDS; i++) {
		r[i] = bench_rate(raw, NULL, secs / ROUNDS);
		o[i] = bench_rate(ours, NULL, secs / ROUNDS);
		q[i] = o[i] / r[i];
	}
	bench_median(o, ROUNDS);
	bench_median(r, ROUNDS);
	bench_median(q, ROUNDS);
	printf("%-7s vigil %8.0f/s   raw libsodium %8.0f/s   ratio %.2f (range %.2f-%.2f) %s\n",
	       what, o[ROUNDS / 2], r[ROUNDS / 2], q[ROUNDS / 2], q[0], q[ROUNDS - 1], target);
}

static struct {
	struct vg_minisign_sk *sk;
	struct vg_minisign_pk pk;
	struct vg_age_identity *ids[NRCPT];
	struct vg_age_recipient rcpts[NRCPT];
	struct vg_entry_meta meta;
	struct vg_entry_content content;
	struct vg_entry sample;
	struct vg_entry_work work;
	uint8_t org[VG_ID_BYTES];
	/* raw material */
	uint8_t ed_sk[64], ed_pk[32];
	uint8_t x_pk[NRCPT][32], x_sk[32];
	uint8_t pt[1024], ct[1024 + 16], ct_key[32], age[1400], sigbuf[64];
} B;

/* The raw seal loop, with this benchmark's material. */
static struct bench_raw R;

static void raw_seal(void *ctx)
{
	(void)ctx;
	bench_raw_seal(&R);
}

static void our_seal(void *ctx)
{
	struct vg_entry e;
	(void)ctx;
	vg_entry_init(&e);
	if (vg_entry_seal(&e, NULL, B.sk, &B.meta, B.rcpts, NRCPT, 1024, &B.content, &B.work) != 0)
		abort();
	vg_entry_release(&e);
}

/* What verifying must do at least: prehash, two signature checks, the id. */
static void raw_verify_only(void *ctx)
{
	uint8_t h[64];
	(void)ctx;
	crypto_generichash(h, 64, B.sample.age.ptr, B.sample.age.len, NULL, 0);
	bench_sink += crypto_sign_verify_detached(B.sigbuf, h, 64, B.ed_pk);
	bench_sink += crypto_sign_verify_detached(B.sigbuf, B.age, 64 + 260, B.ed_pk);
	crypto_generichash(h, 32, B.sample.age.ptr, B.sample.age.len, NULL, 0);
}

static int resolve(void *ctx, const struct vg_entry_meta *meta, struct vg_minisign_pk *pk,
		   size_t *n)
{
	(void)ctx;
	(void)meta;
	*pk = B.pk;
	*n = NRCPT;
	return 0;
}

static void our_verify(void *ctx)
{
	(void)ctx;
	if (vg_entry_verify(NULL, NULL, B.sample.age.ptr, B.sample.age.len,
			    (const char *)B.sample.sig.ptr, B.sample.sig.len, B.org, resolve, NULL,
			    NULL) != 0)
		abort();
}

/* What opening must do at least: one X25519 unwrap, header MAC, payload decryption. */
static void raw_open(void *ctx)
{
	uint8_t shared[32], salt[64], wk[32], fk[16], k[32], mac[32], zero[12] = {0};
	unsigned long long mlen;

	(void)ctx;
	if (crypto_scalarmult(shared, B.x_sk, B.x_pk[1]) != 0)
		abort();
	memcpy(salt, B.x_pk[1], 32);
	memcpy(salt + 32, B.x_pk[0], 32);
	bench_hkdf(wk, salt, 64, shared, 32, "age-encryption.org/v1/X25519");
	randombytes_buf(fk, 16);
	bench_hkdf(k, NULL, 0, fk, 16, "header");
	crypto_auth_hmacsha256(mac, B.age, 300, k);
	bench_hkdf(k, B.age, 16, fk, 16, "payload");
	/* B.ct was sealed under B.ct_key once, so the MAC verifies and the whole pass runs. */
	if (crypto_aead_chacha20poly1305_ietf_decrypt(B.pt, &mlen, NULL, B.ct, sizeof(B.ct), NULL,
						      0, zero, B.ct_key) != 0)
		abort();
}

static void our_open(void *ctx)
{
	json_t *doc = NULL;
	(void)ctx;
	if (vg_entry_open(&doc, &B.sample.meta, B.sample.age.ptr, B.sample.age.len, B.ids[0], NULL,
			  1024, &B.work) != 0)
		abort();
	json_decref(doc);
}

int main(int argc, char **argv)
{
	double secs = argc > 1 ? atof(argv[1]) : 2.0;
	char filler[600];

	B.work = (struct vg_entry_work)VG_ENTRY_WORK_INIT;
	if (vg_init() < 0 || vg_minisign_sk_generate(&B.sk) < 0)
		return 1;
	vg_minisign_sk_public(&B.pk, B.sk);
	vg_id_of_key(B.org, &B.pk);
	for (int i = 0; i < NRCPT; i++) {
		if (vg_age_identity_generate(&B.ids[i]) < 0)
			return 1;
		vg_age_identity_recipient(&B.rcpts[i], B.ids[i]);
		memcpy(B.x_pk[i], B.rcpts[i].pk, 32);
	}
	randombytes_buf(B.x_sk, sizeof(B.x_sk));
	crypto_sign_keypair(B.ed_pk, B.ed_sk);
	bench_raw_init(&R, B.rcpts, NRCPT);
	randombytes_buf(B.pt, sizeof(B.pt));
	randombytes_buf(B.age, sizeof(B.age));
	memcpy(B.meta.org, B.org, VG_ID_BYTES);
	vg_id_of_key(B.meta.author, &B.pk);
	B.meta.seq = 1;
	B.meta.roster = 1;
	/* A body whose canonical document fills one 1 KiB bucket. */
	memset(filler, 'x', sizeof(filler) - 1);
	filler[sizeof(filler) - 1] = '\0';
	B.content.type = VG_ENTRY_EVENT;
	B.content.time = "2017-03-28T10:00:00Z";
	B.content.body = json_pack("{s:s}", "notes", filler);
	vg_entry_init(&B.sample);
	if (vg_entry_seal(&B.sample, NULL, B.sk, &B.meta, B.rcpts, NRCPT, 1024, &B.content,
			  &B.work) != 0)
		return 1;
	crypto_sign_detached(B.sigbuf, NULL, B.age, 64, B.ed_sk);
	{
		uint8_t zero[12] = {0};
		unsigned long long clen;
		randombytes_buf(B.ct_key, sizeof(B.ct_key));
		crypto_aead_chacha20poly1305_ietf_encrypt(B.ct, &clen, B.pt, sizeof(B.pt), NULL, 0,
							  NULL, zero, B.ct_key);
	}

	printf("entry of %zu bytes (.age), %d recipients, %.1f s per figure; medians of %d "
	       "alternating rounds\n",
	       B.sample.age.len, NRCPT, secs, ROUNDS);
	compare("seal", our_seal, raw_seal, secs, "(target >= 0.80)");
	compare("verify", our_verify, raw_verify_only, secs, "(target >= 0.90)");
	compare("open", our_open, raw_open, secs, "");
	json_decref(B.content.body);
	vg_entry_release(&B.sample);
	vg_entry_work_release(&B.work);
	vg_minisign_sk_free(B.sk);
	for (int i = 0; i < NRCPT; i++)
		vg_age_identity_free(B.ids[i]);
	return 0;
}
