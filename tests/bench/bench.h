/*
 * Shared by the benchmarks: timing, medians of alternating rounds, and the raw libsodium
 * loop that does what sealing one entry must do at least (age to n recipients, the
 * minisign prehash and two signatures, the id), to compare vigil against.
 */
#ifndef VIGIL_BENCH_H
#define VIGIL_BENCH_H

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "vigil/age.h"

/* Results the raw loops must not let the compiler drop. */
static volatile int bench_sink;

static inline double bench_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs fn until seconds have passed; returns calls per second. */
static inline double bench_rate(void (*fn)(void *), void *ctx, double seconds)
{
	double start = bench_now(), t;
	long n = 0;

	do {
		for (int i = 0; i < 16; i++)
			fn(ctx);
		n += 16;
		t = bench_now() - start;
	} while (t < seconds);
	return (double)n / t;
}

static inline int bench_cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static inline double bench_median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), bench_cmp_double);
	return v[n / 2];
}

static inline void bench_hkdf(uint8_t out[32], const uint8_t *salt, size_t saltlen,
			      const uint8_t *ikm, size_t ikmlen, const char *info)
{
	static const uint8_t empty[1];
	uint8_t prk[32], one = 1;
	crypto_auth_hmacsha256_state st;

	crypto_auth_hmacsha256_init(&st, salt != NULL ? salt : empty, saltlen);
	crypto_auth_hmacsha256_update(&st, ikm, ikmlen);
	crypto_auth_hmacsha256_final(&st, prk);
	crypto_auth_hmacsha256_init(&st, prk, sizeof(prk));
	crypto_auth_hmacsha256_update(&st, (const uint8_t *)info, strlen(info));
	crypto_auth_hmacsha256_update(&st, &one, 1);
	crypto_auth_hmacsha256_final(&st, out);
}

#define BENCH_RCPT_MAX 8

struct bench_raw {
	uint8_t ed_sk[64], ed_pk[32];
	uint8_t x_pk[BENCH_RCPT_MAX][32];
	int nrcpt;
	uint8_t pt[1024], ct[1024 + 16], age[1400], sig[64];
};

static inline void bench_raw_init(struct bench_raw *r, const struct vg_age_recipient *rcpts, int n)
{
	crypto_sign_keypair(r->ed_pk, r->ed_sk);
	for (int i = 0; i < n && i < BENCH_RCPT_MAX; i++)
		memcpy(r->x_pk[i], rcpts[i].pk, 32);
	r->nrcpt = n;
	randombytes_buf(r->pt, sizeof(r->pt));
	randombytes_buf(r->age, sizeof(r->age));
}

/* What sealing a 1 KiB entry must do at least, with raw libsodium calls. */
static inline void bench_raw_seal(void *ctx)
{
	struct bench_raw *r = ctx;
	uint8_t fk[16], eph_sk[32], eph_pk[32], shared[32], salt[64], wk[32], body[32], k[32];
	uint8_t nonce[16], zero[12] = {0}, mac[32], h[64];
	unsigned long long clen;

	randombytes_buf(fk, sizeof(fk));
	for (int i = 0; i < r->nrcpt; i++) {
		randombytes_buf(eph_sk, sizeof(eph_sk));
		crypto_scalarmult_base(eph_pk, eph_sk);
		if (crypto_scalarmult(shared, eph_sk, r->x_pk[i]) != 0)
			abort();
		memcpy(salt, eph_pk, 32);
		memcpy(salt + 32, r->x_pk[i], 32);
		bench_hkdf(wk, salt, 64, shared, 32, "age-encryption.org/v1/X25519");
		crypto_aead_chacha20poly1305_ietf_encrypt(body, &clen, fk, 16, NULL, 0, NULL, zero,
							  wk);
	}
	bench_hkdf(k, NULL, 0, fk, 16, "header");
	crypto_auth_hmacsha256(mac, r->age, 300, k);
	randombytes_buf(nonce, sizeof(nonce));
	bench_hkdf(k, nonce, 16, fk, 16, "payload");
	crypto_aead_chacha20poly1305_ietf_encrypt(r->ct, &clen, r->pt, sizeof(r->pt), NULL, 0, NULL,
						  zero, k);
	crypto_generichash(h, 64, r->age, sizeof(r->age), NULL, 0);
	crypto_sign_detached(r->sig, NULL, h, 64, r->ed_sk);
	crypto_sign_detached(r->sig, NULL, r->age, 64 + 260, r->ed_sk);
	crypto_generichash(h, 32, r->age, sizeof(r->age), NULL, 0);
	bench_sink += h[0];
}

#endif
