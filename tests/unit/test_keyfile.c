/*
 * Sealed key files: round trips, the layout checked against libsodium directly (both
 * ways), every bit flip and every truncation, KDF parameters refused before any
 * derivation, files on disk, and the committed seeds as known answers.
 *
 * The suite is meant to run in a VIGIL_TEST_KDF build (derivations of 64 KiB). In a normal
 * build it takes a few minutes and skips the bit flips (an hour at MODERATE).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "testutil.h"
#include "vigil/error.h"
#include "vigil/keyfile.h"
#include "vigil/vigil.h"

/*
 * A second copy of keyfile.c compiled as a normal build compiles it, its public functions
 * renamed normal_keyfile_*, so that a VIGIL_TEST_KDF build can still check the floor and
 * profile that real files get, and that a normal build refuses test files.
 */
#ifdef VIGIL_TEST_KDF
#define KFT_TEST_KDF 1
#undef VIGIL_TEST_KDF
#else
#define KFT_TEST_KDF 0
#endif
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#define vg_keyfile_profile	normal_keyfile_profile
#define vg_keyfile_floor	normal_keyfile_floor
#define vg_keyfile_cap		normal_keyfile_cap
#define vg_keyfile_seal		normal_keyfile_seal
#define vg_keyfile_open		normal_keyfile_open
#define vg_keyfile_write	normal_keyfile_write
#define vg_keyfile_read		normal_keyfile_read
#define vg_keyfile_derive	normal_keyfile_derive
#define vg_keyfile_seal_keyed	normal_keyfile_seal_keyed
#define vg_keyfile_seal_slotkey normal_keyfile_seal_slotkey
#define vg_keyfile_read_slotkey normal_keyfile_read_slotkey
#include "keyfile.c"
#undef vg_keyfile_profile
#undef vg_keyfile_floor
#undef vg_keyfile_cap
#undef vg_keyfile_seal
#undef vg_keyfile_open
#undef vg_keyfile_write
#undef vg_keyfile_read
#undef vg_keyfile_derive
#undef vg_keyfile_seal_keyed
#undef vg_keyfile_seal_slotkey
#undef vg_keyfile_read_slotkey
#pragma GCC diagnostic pop
#if KFT_TEST_KDF
#define VIGIL_TEST_KDF 1
#endif

/* The layout, written out here from the format text rather than taken from keyfile.c. */
#define L_HDR	     24
#define L_SLOT	     88
#define L_SALT	     16
#define L_NONCE	     24
#define L_TAG	     16
#define L_KEY	     32
#define L_FILE(n, l) (L_HDR + (size_t)(n)*L_SLOT + L_NONCE + (size_t)(l) + L_TAG)

#define PASS	   "correct horse battery staple"
#define OTHER_PASS "tr0ub4dor&3"
/* The passphrase of the seeds in tests/fuzz/corpus/keyfile/ (see fuzz_keyfile.c). */
#define SEED_PASS "fuzz passphrase"

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void seal(struct vg_buf *out, enum vg_keyfile_kind kind, unsigned n, const uint8_t *p,
		 size_t len)
{
	int rc = vg_keyfile_seal(out, kind, n, p, len, PASS, strlen(PASS));
	if (rc != 0)
		fail_msg("seal: %d %s", rc, vg_error_last());
}

/* Open f as kind with pass; on failure checks that nothing was appended. */
static int open_with(const uint8_t *f, size_t len, enum vg_keyfile_kind kind, const char *pass,
		     unsigned *slot, struct vg_buf *payload)
{
	size_t before = payload->len;
	int rc = vg_keyfile_open(payload, slot, kind, f, len, pass, strlen(pass));
	if (rc != 0)
		assert_int_equal(payload->len, before);
	return rc;
}

static int open_rc(const uint8_t *f, size_t len, enum vg_keyfile_kind kind)
{
	struct vg_buf p = VG_BUF_INIT_SECURE;
	unsigned slot = 99;
	int rc = open_with(f, len, kind, PASS, &slot, &p);
	if (rc != 0)
		assert_int_equal(slot, 99);
	vg_buf_release(&p);
	return rc;
}

static int in_range(uint32_t ops, uint32_t mem)
{
	struct vg_kdf_params lo, hi;
	vg_keyfile_floor(&lo);
	vg_keyfile_cap(&hi);
	return ops >= lo.opslimit && ops <= hi.opslimit && mem >= lo.memlimit_kib &&
	       mem <= hi.memlimit_kib;
}

static int setup(void **state)
{
	(void)state;
	return vg_init();
}

static void test_profile(void **state)
{
	struct vg_kdf_params p, lo, hi, np, nlo, nhi;
	struct vg_buf f = VG_BUF_INIT;
	(void)state;

	vg_keyfile_profile(&p);
	vg_keyfile_floor(&lo);
	vg_keyfile_cap(&hi);
	normal_keyfile_profile(&np);
	normal_keyfile_floor(&nlo);
	normal_keyfile_cap(&nhi);

	/* What a normal build seals with and accepts: libsodium's MODERATE, nothing less. */
	assert_int_equal(np.opslimit, 3);
	assert_int_equal(np.memlimit_kib, 256 * 1024);
	assert_int_equal(np.opslimit, crypto_pwhash_OPSLIMIT_MODERATE);
	assert_int_equal((size_t)np.memlimit_kib * 1024, crypto_pwhash_MEMLIMIT_MODERATE);
	assert_memory_equal(&nlo, &np, sizeof(np));
	/* The cap is the same in every build. */
	assert_int_equal(nhi.opslimit, 8);
	assert_int_equal(nhi.memlimit_kib, 512 * 1024);
	assert_memory_equal(&hi, &nhi, sizeof(hi));

#ifdef VIGIL_TEST_KDF
	assert_int_equal(p.opslimit, 1);
	assert_int_equal(p.memlimit_kib, 64);
	assert_int_equal(lo.opslimit, 1);
	assert_int_equal(lo.memlimit_kib, 8);
	assert_int_equal((size_t)lo.memlimit_kib * 1024, crypto_pwhash_MEMLIMIT_MIN);
	assert_int_equal(lo.opslimit, crypto_pwhash_OPSLIMIT_MIN);
#else
	assert_memory_equal(&p, &np, sizeof(p));
	assert_memory_equal(&lo, &nlo, sizeof(lo));
#endif

	/* New files carry the profile. */
	seal(&f, VG_KEYFILE_VAULT, 1, (const uint8_t *)"x", 1);
	assert_int_equal(le32(f.ptr + 12), p.opslimit);
	assert_int_equal(le32(f.ptr + 16), p.memlimit_kib);
	vg_buf_release(&f);
}

static void roundtrip(enum vg_keyfile_kind kind, unsigned n, size_t len)
{
	struct vg_buf f = VG_BUF_INIT, p = VG_BUF_INIT_SECURE;
	uint8_t *data = malloc(len);
	unsigned slot = 99;

	assert_non_null(data);
	randombytes_buf(data, len);
	/* seal appends, open appends */
	assert_int_equal(vg_buf_puts(&f, "prefix"), 0);
	assert_int_equal(vg_buf_puts(&p, "before"), 0);
	seal(&f, kind, n, data, len);
	assert_int_equal(f.len, 6 + L_FILE(n, len));
	assert_memory_equal(f.ptr, "prefix", 6);
	assert_memory_equal(f.ptr + 6, "VIGILKEY", 8);
	assert_int_equal(f.ptr[6 + 8], 1);
	assert_int_equal(f.ptr[6 + 9], kind);
	assert_int_equal(f.ptr[6 + 10], 1);
	assert_int_equal(f.ptr[6 + 11], n);
	assert_int_equal(le32(f.ptr + 6 + 20), len);

	assert_int_equal(open_with(f.ptr + 6, f.len - 6, kind, PASS, &slot, &p), 0);
	assert_int_equal(slot, 0);
	assert_true(p.secure);
	assert_int_equal(p.len, 6 + len);
	assert_memory_equal(p.ptr, "before", 6);
	assert_memory_equal(p.ptr + 6, data, len);
	vg_buf_release(&p);
	vg_buf_release(&f);
	free(data);
}

static void test_roundtrip(void **state)
{
	(void)state;
	roundtrip(VG_KEYFILE_VAULT, 1, 1);
	roundtrip(VG_KEYFILE_ORG, 1, 1);
	roundtrip(VG_KEYFILE_VAULT, 1, 200);
	roundtrip(VG_KEYFILE_ORG, 2, 200);
	roundtrip(VG_KEYFILE_VAULT, 1, VG_KEYFILE_PAYLOAD_MAX);
	roundtrip(VG_KEYFILE_ORG, 4, VG_KEYFILE_PAYLOAD_MAX);
}

static void test_multislot(void **state)
{
	struct vg_buf f = VG_BUF_INIT, g = VG_BUF_INIT, p = VG_BUF_INIT_SECURE;
	(void)state;

	for (unsigned n = 1; n <= VG_KEYFILE_SLOTS_MAX; n++) {
		unsigned slot = 99;
		seal(&f, VG_KEYFILE_VAULT, n, (const uint8_t *)"multi", 5);
		assert_int_equal(f.len, L_FILE(n, 5));
		assert_int_equal(open_with(f.ptr, f.len, VG_KEYFILE_VAULT, PASS, &slot, &p), 0);
		assert_int_equal(slot, 0);
		assert_int_equal(p.len, 5);
		assert_memory_equal(p.ptr, "multi", 5);
		vg_buf_clear(&p);
		/* slot_out may be NULL */
		assert_int_equal(open_with(f.ptr, f.len, VG_KEYFILE_VAULT, PASS, NULL, &p), 0);
		vg_buf_clear(&p);
		/* Sealing twice gives different salts, nonces and master keys. */
		seal(&g, VG_KEYFILE_VAULT, n, (const uint8_t *)"multi", 5);
		assert_int_equal(g.len, f.len);
		for (unsigned i = 0; i < n; i++) {
			size_t off = L_HDR + (size_t)i * L_SLOT;
			assert_memory_not_equal(f.ptr + off, g.ptr + off, L_SLOT);
		}
		assert_memory_not_equal(f.ptr + L_HDR + n * L_SLOT, g.ptr + L_HDR + n * L_SLOT,
					f.len - L_HDR - n * L_SLOT);
		vg_buf_clear(&f);
		vg_buf_clear(&g);
	}
	vg_buf_release(&p);
	vg_buf_release(&f);
	vg_buf_release(&g);
}

static void test_wrong_passphrase(void **state)
{
	struct vg_buf f = VG_BUF_INIT, p = VG_BUF_INIT_SECURE;
	unsigned slot = 99;
	(void)state;

	seal(&f, VG_KEYFILE_ORG, 3, (const uint8_t *)"secret", 6);
	assert_int_equal(open_with(f.ptr, f.len, VG_KEYFILE_ORG, OTHER_PASS, &slot, &p), VG_EAUTH);
	assert_string_equal(vg_error_last(), "wrong passphrase");
	assert_int_equal(open_with(f.ptr, f.len, VG_KEYFILE_ORG, "", &slot, &p), VG_EAUTH);
	/* a prefix of the passphrase */
	assert_int_equal(
	    vg_keyfile_open(&p, &slot, VG_KEYFILE_ORG, f.ptr, f.len, PASS, strlen(PASS) - 1),
	    VG_EAUTH);
	assert_int_equal(slot, 99);
	assert_int_equal(p.len, 0);
	assert_null(p.ptr);
	vg_buf_release(&f);
}

/* Decode a sealed file with libsodium alone, as the format text says. */
static void test_layout_decode(void **state)
{
	struct vg_buf f = VG_BUF_INIT;
	uint8_t key[L_KEY], master[L_KEY], value[L_KEY], ad[L_HDR + 1], plain[64];
	const char *msg = "decoded by the test";
	size_t len = strlen(msg), pre;
	const unsigned n = 3;
	(void)state;

	seal(&f, VG_KEYFILE_VAULT, n, (const uint8_t *)msg, len);
	pre = L_HDR + n * L_SLOT + L_NONCE;
	memcpy(ad, f.ptr, L_HDR);
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *s = f.ptr + L_HDR + i * L_SLOT;
		assert_int_equal(crypto_pwhash(key, sizeof(key), PASS, strlen(PASS), s,
					       le32(f.ptr + 12), (size_t)le32(f.ptr + 16) * 1024,
					       crypto_pwhash_ALG_ARGON2ID13),
				 0);
		ad[L_HDR] = (uint8_t)i;
		int rc = crypto_aead_xchacha20poly1305_ietf_decrypt(
		    i == 0 ? master : value, NULL, NULL, s + L_SALT + L_NONCE, L_KEY + L_TAG, ad,
		    sizeof(ad), s + L_SALT, key);
		/* Slot 0 opens with the passphrase; decoys do not. */
		assert_int_equal(rc, i == 0 ? 0 : -1);
		if (i == 0) {
			/* The slot's AD ends with its index. */
			ad[L_HDR] = 1;
			assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(
					     value, NULL, NULL, s + L_SALT + L_NONCE, L_KEY + L_TAG,
					     ad, sizeof(ad), s + L_SALT, key),
					 -1);
		}
	}
	assert_int_equal(f.len, pre + len + L_TAG);
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL, f.ptr + pre,
								    len + L_TAG, f.ptr, pre,
								    f.ptr + pre - L_NONCE, master),
			 0);
	assert_memory_equal(plain, msg, len);
	/* The payload's AD is everything before it. */
	assert_int_equal(crypto_aead_xchacha20poly1305_ietf_decrypt(plain, NULL, NULL, f.ptr + pre,
								    len + L_TAG, f.ptr, pre - 1,
								    f.ptr + pre - L_NONCE, master),
			 -1);
	vg_buf_release(&f);
}

/*
 * Build a file with libsodium alone. passes[i] is the passphrase of slot i (NULL: a
 * random key); slot i wraps the master key when wraps_master[i], else a random value.
 */
static void forge_with(struct vg_buf *out, const struct vg_kdf_params *kdf,
		       enum vg_keyfile_kind kind, unsigned n, const char *const *passes,
		       const int *wraps_master, const uint8_t *payload, size_t len)
{
	uint8_t master[L_KEY], key[L_KEY], value[L_KEY], ad[L_HDR + 1], *f;
	struct vg_kdf_params p = *kdf;
	size_t pre = L_HDR + n * L_SLOT + L_NONCE;

	assert_int_equal(vg_buf_grow(out, L_FILE(n, len)), 0);
	f = out->ptr;
	memcpy(f, "VIGILKEY", 8);
	f[8] = 1;
	f[9] = (uint8_t)kind;
	f[10] = 1;
	f[11] = (uint8_t)n;
	put_le32(f + 12, p.opslimit);
	put_le32(f + 16, p.memlimit_kib);
	put_le32(f + 20, (uint32_t)len);
	randombytes_buf(master, sizeof(master));
	memcpy(ad, f, L_HDR);
	for (unsigned i = 0; i < n; i++) {
		uint8_t *s = f + L_HDR + i * L_SLOT;
		randombytes_buf(s, L_SALT + L_NONCE);
		if (passes[i] != NULL)
			assert_int_equal(crypto_pwhash(key, sizeof(key), passes[i],
						       strlen(passes[i]), s, p.opslimit,
						       (size_t)p.memlimit_kib * 1024,
						       crypto_pwhash_ALG_ARGON2ID13),
					 0);
		else
			randombytes_buf(key, sizeof(key));
		randombytes_buf(value, sizeof(value));
		ad[L_HDR] = (uint8_t)i;
		crypto_aead_xchacha20poly1305_ietf_encrypt(s + L_SALT + L_NONCE, NULL,
							   wraps_master[i] ? master : value, L_KEY,
							   ad, sizeof(ad), NULL, s + L_SALT, key);
	}
	randombytes_buf(f + pre - L_NONCE, L_NONCE);
	crypto_aead_xchacha20poly1305_ietf_encrypt(f + pre, NULL, payload, len, f, pre, NULL,
						   f + pre - L_NONCE, master);
	out->len = L_FILE(n, len);
	out->ptr[out->len] = '\0';
}

static void forge(struct vg_buf *out, enum vg_keyfile_kind kind, unsigned n,
		  const char *const *passes, const int *wraps_master, const uint8_t *payload,
		  size_t len)
{
	struct vg_kdf_params p;
	vg_keyfile_profile(&p);
	forge_with(out, &p, kind, n, passes, wraps_master, payload, len);
}

/*
 * Opening derives for every slot whatever the passphrase: with 4 slots, the right
 * passphrase (slot 0 opens at once) takes as long as a wrong one. A test build's
 * derivations are made 16 MiB here so that their time stands out from the noise.
 */
static void test_equal_work(void **state)
{
#if KFT_TEST_KDF
	const struct vg_kdf_params kdf = {1, 16 * 1024};
#else
	struct vg_kdf_params kdf;
	vg_keyfile_floor(&kdf);
#endif
	const char *passes[] = {PASS, NULL, NULL, NULL};
	const int master[] = {1, 0, 0, 0};
	struct vg_buf f = VG_BUF_INIT, p = VG_BUF_INIT_SECURE;
	double right = 1e9, wrong = 1e9, t;
	(void)state;

	assert_true(in_range(kdf.opslimit, kdf.memlimit_kib));
	forge_with(&f, &kdf, VG_KEYFILE_VAULT, 4, passes, master, (const uint8_t *)"w", 1);
	/* Minimum of 5 rounds each: a loaded CI machine only ever adds time. */
	for (int r = 0; r < 5; r++) {
		t = now();
		assert_int_equal(open_with(f.ptr, f.len, VG_KEYFILE_VAULT, PASS, NULL, &p), 0);
		t = now() - t;
		right = t < right ? t : right;
		vg_buf_clear(&p);
		t = now();
		assert_int_equal(open_with(f.ptr, f.len, VG_KEYFILE_VAULT, OTHER_PASS, NULL, &p),
				 VG_EAUTH);
		t = now() - t;
		wrong = t < wrong ? t : wrong;
	}
	print_message("4 slots of %u KiB: right passphrase %.3f s, wrong %.3f s\n",
		      (unsigned)kdf.memlimit_kib, right, wrong);
	/* Stopping at the first match would make it about a quarter; allow for noise. */
	assert_true(right > 0.5 * wrong && wrong > 0.5 * right);
	vg_buf_release(&p);
	vg_buf_release(&f);
}

static void test_layout_encode(void **state)
{
	struct vg_buf f = VG_BUF_INIT, p = VG_BUF_INIT_SECURE;
	unsigned slot = 99;
	(void)state;

	/* The slot that opens is reported, whichever it is. */
	{
		const char *passes[] = {OTHER_PASS, NULL, PASS};
		const int master[] = {1, 0, 1};
		forge(&f, VG_KEYFILE_ORG, 3, passes, master, (const uint8_t *)"forged", 6);
		assert_int_equal(open_with(f.ptr, f.len, VG_KEYFILE_ORG, PASS, &slot, &p), 0);
		assert_int_equal(slot, 2);
		assert_int_equal(p.len, 6);
		assert_memory_equal(p.ptr, "forged", 6);
		vg_buf_clear(&p);
		assert_int_equal(open_with(f.ptr, f.len, VG_KEYFILE_ORG, OTHER_PASS, &slot, &p), 0);
		assert_int_equal(slot, 0);
		vg_buf_clear(&p);
		vg_buf_clear(&f);
	}
	/* Two slots under one passphrase: the first that opens the payload wins. */
	{
		const char *passes[] = {PASS, PASS, PASS, PASS};
		const int master[] = {0, 1, 1, 0};
		forge(&f, VG_KEYFILE_VAULT, 4, passes, master, (const uint8_t *)"two", 3);
		assert_int_equal(open_with(f.ptr, f.len, VG_KEYFILE_VAULT, PASS, &slot, &p), 0);
		assert_int_equal(slot, 1);
		vg_buf_clear(&p);
		vg_buf_clear(&f);
	}
	/*
	 * A slot other than 0 that unwraps under the passphrase to a value that does not open
	 * the payload is a duress slot: VG_EDURESS, with a wrong passphrase's very message,
	 * and the slot named.
	 */
	{
		const char *passes[] = {OTHER_PASS, PASS};
		const int master[] = {1, 0};
		slot = 99;
		forge(&f, VG_KEYFILE_VAULT, 2, passes, master, (const uint8_t *)"duress", 6);
		assert_int_equal(open_with(f.ptr, f.len, VG_KEYFILE_VAULT, PASS, &slot, &p),
				 VG_EDURESS);
		assert_string_equal(vg_error_last(), "wrong passphrase");
		assert_int_equal(slot, 1);
		assert_int_equal(p.len, 0);
		assert_int_equal(open_with(f.ptr, f.len, VG_KEYFILE_VAULT, "nobody", &slot, &p),
				 VG_EAUTH);
		assert_string_equal(vg_error_last(), "wrong passphrase");
		vg_buf_clear(&f);
	}
	vg_buf_release(&p);
	vg_buf_release(&f);
}

/* What flipping bit b of byte off of a sealed file (2 slots) must give. */
static int expect_flip(const uint8_t *flipped, size_t off, const char **msg)
{
	*msg = NULL;
	if (off < 12 || (off >= 20 && off < L_HDR))
		return VG_EFORMAT;
	if (off < 20) {
		if (!in_range(le32(flipped + 12), le32(flipped + 16)))
			return VG_ELIMIT;
		*msg = "wrong passphrase"; /* the header is bound into every slot */
		return VG_EAUTH;
	}
	if (off < L_HDR + L_SLOT)
		*msg = "wrong passphrase";
	else
		*msg = "key file was modified"; /* slot 0 still opens */
	return VG_EAUTH;
}

static void test_bitflips(void **state)
{
	struct vg_buf f = VG_BUF_INIT;
	uint8_t *m;
	size_t counts[3] = {0, 0, 0};
	(void)state;

#if !KFT_TEST_KDF
	/* 4096 derivations at MODERATE would take about an hour. */
	print_message("SKIP: needs a VIGIL_TEST_KDF build\n");
	skip();
#endif
	seal(&f, VG_KEYFILE_VAULT, 2, (const uint8_t *)"sixteen bytes!!!", 16);
	assert_int_equal(f.len, L_FILE(2, 16));
	m = malloc(f.len);
	assert_non_null(m);
	assert_int_equal(open_rc(f.ptr, f.len, VG_KEYFILE_VAULT), 0);
	for (size_t off = 0; off < f.len; off++) {
		for (int b = 0; b < 8; b++) {
			const char *msg;
			int want, got;

			memcpy(m, f.ptr, f.len);
			m[off] ^= (uint8_t)(1u << b);
			want = expect_flip(m, off, &msg);
			got = open_rc(m, f.len, VG_KEYFILE_VAULT);
			if (got != want)
				fail_msg("flip of bit %d of byte %zu: got %d (%s), want %d", b, off,
					 got, vg_error_last(), want);
			if (msg != NULL)
				assert_string_equal(vg_error_last(), msg);
			counts[want == VG_EFORMAT ? 0 : want == VG_ELIMIT ? 1 : 2]++;
		}
	}
	/* Every class was reached. */
	assert_true(counts[0] > 0 && counts[1] > 0 && counts[2] > 0);
	print_message("bit flips: %zu format, %zu limit, %zu auth\n", counts[0], counts[1],
		      counts[2]);
	free(m);
	vg_buf_release(&f);
}

static void test_truncation(void **state)
{
	struct vg_buf f = VG_BUF_INIT, big = VG_BUF_INIT;
	uint8_t *payload;
	(void)state;

	seal(&f, VG_KEYFILE_ORG, 2, (const uint8_t *)"truncate me", 11);
	for (size_t len = 0; len < f.len; len++) {
		/* an exact-size copy, so the sanitizer sees any read past the end */
		uint8_t *m = malloc(len > 0 ? len : 1);
		assert_non_null(m);
		memcpy(m, f.ptr, len);
		if (open_rc(m, len, VG_KEYFILE_ORG) != VG_EFORMAT)
			fail_msg("truncated to %zu of %zu bytes: %s", len, f.len, vg_error_last());
		free(m);
	}
	assert_int_equal(open_rc(NULL, 0, VG_KEYFILE_ORG), VG_EFORMAT);
	assert_int_equal(vg_buf_putc(&f, 0), 0);
	assert_int_equal(open_rc(f.ptr, f.len, VG_KEYFILE_ORG), VG_EFORMAT);
	assert_string_equal(vg_error_last(), "key file is too long (252 bytes, expected 251)");
	f.ptr[f.len - 1] = 0xff;
	assert_int_equal(open_rc(f.ptr, f.len, VG_KEYFILE_ORG), VG_EFORMAT);

	payload = calloc(1, VG_KEYFILE_PAYLOAD_MAX);
	assert_non_null(payload);
	seal(&big, VG_KEYFILE_VAULT, 4, payload, VG_KEYFILE_PAYLOAD_MAX);
	assert_int_equal(open_rc(big.ptr, big.len - 1, VG_KEYFILE_VAULT), VG_EFORMAT);
	assert_int_equal(vg_buf_putc(&big, 0), 0);
	assert_int_equal(open_rc(big.ptr, big.len, VG_KEYFILE_VAULT), VG_EFORMAT);
	/* A payload length beyond the maximum, with a file to match. */
	big.len--;
	put_le32(big.ptr + 20, VG_KEYFILE_PAYLOAD_MAX + 1);
	assert_int_equal(vg_buf_putc(&big, 0), 0);
	assert_int_equal(open_rc(big.ptr, big.len, VG_KEYFILE_VAULT), VG_EFORMAT);
	free(payload);
	vg_buf_release(&big);
	vg_buf_release(&f);
}

static void test_kind(void **state)
{
	struct vg_buf f = VG_BUF_INIT;
	(void)state;

	seal(&f, VG_KEYFILE_VAULT, 1, (const uint8_t *)"v", 1);
	assert_int_equal(open_rc(f.ptr, f.len, VG_KEYFILE_ORG), VG_EFORMAT);
	assert_string_equal(vg_error_last(), "key file holds a vault, not an organisation key");
	vg_buf_clear(&f);
	seal(&f, VG_KEYFILE_ORG, 1, (const uint8_t *)"o", 1);
	assert_int_equal(open_rc(f.ptr, f.len, VG_KEYFILE_VAULT), VG_EFORMAT);
	assert_string_equal(vg_error_last(), "key file holds an organisation key, not a vault");
	/* Rewriting the kind byte is refused as unknown, or fails authentication. */
	for (unsigned k = 0; k < 256; k++) {
		f.ptr[9] = (uint8_t)k;
		if (k == VG_KEYFILE_ORG)
			assert_int_equal(open_rc(f.ptr, f.len, VG_KEYFILE_ORG), 0);
		else if (k == VG_KEYFILE_VAULT)
			assert_int_equal(open_rc(f.ptr, f.len, VG_KEYFILE_VAULT), VG_EAUTH);
		else
			assert_int_equal(open_rc(f.ptr, f.len, VG_KEYFILE_VAULT), VG_EFORMAT);
	}
	vg_buf_release(&f);
}

/*
 * KDF parameters outside floor and cap are refused before any allocation or derivation.
 * The proof: each refusal returns in a small fraction of the time one derivation at the
 * cap takes (the file has 4 slots, so deriving would take four times that), and 4 TiB of
 * memory, which no derivation could get, is VG_ELIMIT and not an allocation failure.
 */
static void test_kdf_limits(void **state)
{
	struct vg_kdf_params lo, hi;
	struct vg_buf f = VG_BUF_INIT, one = VG_BUF_INIT, p = VG_BUF_INIT_SECURE;
	double t, at_cap;
	(void)state;

	vg_keyfile_floor(&lo);
	vg_keyfile_cap(&hi);
	const uint32_t bad[][2] = {
	    {lo.opslimit - 1, lo.memlimit_kib},
	    {lo.opslimit, lo.memlimit_kib - 1},
	    {0, 0},
	    {hi.opslimit + 1, hi.memlimit_kib},
	    {hi.opslimit, hi.memlimit_kib + 1},
	    {hi.opslimit + 1, lo.memlimit_kib},
	    {lo.opslimit, hi.memlimit_kib + 1},
	    {UINT32_MAX, lo.memlimit_kib},
	    {lo.opslimit, UINT32_MAX}, /* 4 TiB */
	    {hi.opslimit, UINT32_MAX},
	    {UINT32_MAX, UINT32_MAX},
	};

	/* The time of one derivation at the cap (a 1-slot file, wrong passphrase). */
	seal(&one, VG_KEYFILE_VAULT, 1, (const uint8_t *)"cap", 3);
	put_le32(one.ptr + 12, hi.opslimit);
	put_le32(one.ptr + 16, hi.memlimit_kib);
	t = now();
	assert_int_equal(open_rc(one.ptr, one.len, VG_KEYFILE_VAULT), VG_EAUTH);
	at_cap = now() - t;
	print_message("one derivation at the cap: %.3f s\n", at_cap);

	seal(&f, VG_KEYFILE_VAULT, 4, (const uint8_t *)"limits", 6);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		unsigned slot = 99;
		put_le32(f.ptr + 12, bad[i][0]);
		put_le32(f.ptr + 16, bad[i][1]);
		t = now();
		int rc =
		    vg_keyfile_open(&p, &slot, VG_KEYFILE_VAULT, f.ptr, f.len, PASS, strlen(PASS));
		t = now() - t;
		if (rc != VG_ELIMIT)
			fail_msg("opslimit %u, %u KiB: got %d (%s)", bad[i][0], bad[i][1], rc,
				 vg_error_last());
		assert_true(t < at_cap / 20);
		assert_null(p.ptr);
		assert_int_equal(slot, 99);
	}
	assert_string_equal(vg_error_last(), "key file demands Argon2id beyond the cap "
					     "(opslimit 4294967295, 4294967295 KiB; cap 8, "
					     "524288 KiB)");

	/*
	 * The floor itself is accepted: the file then opens (a normal build, where the floor
	 * is the profile it was sealed with) or fails only on authentication.
	 */
	put_le32(f.ptr + 12, lo.opslimit);
	put_le32(f.ptr + 16, lo.memlimit_kib);
	assert_int_equal(open_rc(f.ptr, f.len, VG_KEYFILE_VAULT), KFT_TEST_KDF ? VG_EAUTH : 0);

#if KFT_TEST_KDF
	/* A normal build refuses what a test build sealed, before deriving anything. */
	{
		struct vg_buf g = VG_BUF_INIT;
		unsigned slot = 99;
		seal(&g, VG_KEYFILE_VAULT, 1, (const uint8_t *)"weak", 4);
		assert_int_equal(open_rc(g.ptr, g.len, VG_KEYFILE_VAULT), 0);
		assert_int_equal(normal_keyfile_open(&p, &slot, VG_KEYFILE_VAULT, g.ptr, g.len,
						     PASS, strlen(PASS)),
				 VG_ELIMIT);
		assert_null(p.ptr);
		assert_string_equal(vg_error_last(),
				    "key file is sealed below the Argon2id floor (opslimit 1, 64 "
				    "KiB; floor 3, 262144 KiB)");
		vg_buf_release(&g);
	}
#endif
	vg_buf_release(&p);
	vg_buf_release(&one);
	vg_buf_release(&f);
}

static void test_bad_arguments(void **state)
{
	struct vg_buf f = VG_BUF_INIT, p = VG_BUF_INIT_SECURE;
	const uint8_t *d = (const uint8_t *)"data";
	(void)state;

	assert_int_equal(vg_buf_puts(&f, "keep"), 0);
	assert_int_equal(vg_keyfile_seal(&f, VG_KEYFILE_VAULT, 0, d, 4, PASS, 4), VG_EINVAL);
	assert_int_equal(vg_keyfile_seal(&f, VG_KEYFILE_VAULT, 5, d, 4, PASS, 4), VG_EINVAL);
	assert_int_equal(vg_keyfile_seal(&f, VG_KEYFILE_VAULT, 1, d, 0, PASS, 4), VG_EINVAL);
	assert_int_equal(vg_keyfile_seal(&f, VG_KEYFILE_VAULT, 1, NULL, 4, PASS, 4), VG_EINVAL);
	assert_int_equal(
	    vg_keyfile_seal(&f, VG_KEYFILE_VAULT, 1, d, VG_KEYFILE_PAYLOAD_MAX + 1, PASS, 4),
	    VG_EINVAL);
	assert_int_equal(vg_keyfile_seal(&f, (enum vg_keyfile_kind)0, 1, d, 4, PASS, 4), VG_EINVAL);
	assert_int_equal(vg_keyfile_seal(&f, (enum vg_keyfile_kind)3, 1, d, 4, PASS, 4), VG_EINVAL);
	assert_int_equal(vg_keyfile_seal(&f, VG_KEYFILE_VAULT, 1, d, 4, NULL, 4), VG_EINVAL);
	assert_int_equal(vg_keyfile_seal(NULL, VG_KEYFILE_VAULT, 1, d, 4, PASS, 4), VG_EINVAL);
	assert_int_equal(f.len, 4);
	assert_string_equal((const char *)f.ptr, "keep");

	assert_int_equal(vg_keyfile_seal(&f, VG_KEYFILE_VAULT, 1, d, 4, PASS, strlen(PASS)), 0);
	assert_int_equal(
	    vg_keyfile_open(NULL, NULL, VG_KEYFILE_VAULT, f.ptr + 4, f.len - 4, PASS, strlen(PASS)),
	    VG_EINVAL);
	assert_int_equal(vg_keyfile_open(&p, NULL, VG_KEYFILE_VAULT, f.ptr + 4, f.len - 4, NULL, 4),
			 VG_EINVAL);
	assert_int_equal(vg_keyfile_open(&p, NULL, VG_KEYFILE_VAULT, NULL, 10, PASS, 4), VG_EINVAL);
	assert_int_equal(vg_keyfile_write(NULL, 1, VG_KEYFILE_VAULT, 1, d, 4, PASS, 4), VG_EINVAL);
	assert_int_equal(vg_keyfile_read(&p, NULL, NULL, VG_KEYFILE_VAULT, PASS, 4), VG_EINVAL);
	assert_int_equal(p.len, 0);
	vg_buf_release(&p);
	vg_buf_release(&f);
}

static void test_files(void **state)
{
	char *dir = vgt_tmpdir();
	char *path = vgt_path(dir, "vault.key");
	char *lnk = vgt_path(dir, "link.key");
	char *target = vgt_path(dir, "target");
	char *missing = vgt_path(dir, "missing.key");
	struct vg_buf p = VG_BUF_INIT_SECURE, a = VG_BUF_INIT, b = VG_BUF_INIT;
	struct stat st;
	unsigned slot = 99;
	char want[512];
	mode_t old;
	(void)state;

	/* 0600 whatever the umask lets through */
	old = umask(0);
	assert_int_equal(vg_keyfile_write(path, 1, VG_KEYFILE_VAULT, 2, (const uint8_t *)"one", 3,
					  PASS, strlen(PASS)),
			 0);
	umask(old);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, L_FILE(2, 3));
	assert_int_equal(vg_keyfile_read(&p, &slot, path, VG_KEYFILE_VAULT, PASS, strlen(PASS)), 0);
	assert_int_equal(slot, 0);
	assert_int_equal(p.len, 3);
	assert_memory_equal(p.ptr, "one", 3);
	vg_buf_clear(&p);

	/* exclusive refuses an existing file and leaves it alone */
	vgt_read_file(&a, path);
	assert_int_equal(vg_keyfile_write(path, 1, VG_KEYFILE_VAULT, 1, (const uint8_t *)"two", 3,
					  PASS, strlen(PASS)),
			 VG_EEXISTS);
	vgt_read_file(&b, path);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.ptr, b.ptr, a.len);
	/* non-exclusive replaces */
	old = umask(022);
	assert_int_equal(vg_keyfile_write(path, 0, VG_KEYFILE_VAULT, 1, (const uint8_t *)"two", 3,
					  PASS, strlen(PASS)),
			 0);
	umask(old);
	assert_int_equal(lstat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(vg_keyfile_read(&p, NULL, path, VG_KEYFILE_VAULT, PASS, strlen(PASS)), 0);
	assert_memory_equal(p.ptr, "two", 3);
	vg_buf_clear(&p);

	/* messages name the path */
	assert_int_equal(
	    vg_keyfile_read(&p, NULL, path, VG_KEYFILE_VAULT, OTHER_PASS, strlen(OTHER_PASS)),
	    VG_EAUTH);
	snprintf(want, sizeof(want), "wrong passphrase for key file '%s'", path);
	assert_string_equal(vg_error_last(), want);
	assert_int_equal(vg_keyfile_read(&p, NULL, path, VG_KEYFILE_ORG, PASS, strlen(PASS)),
			 VG_EFORMAT);
	snprintf(want, sizeof(want), "key file '%s' holds a vault, not an organisation key", path);
	assert_string_equal(vg_error_last(), want);

	/* A symlink at the path is not followed, though its target is a good key file. */
	assert_int_equal(symlink(path, lnk), 0);
	assert_int_equal(vg_keyfile_read(&p, &slot, lnk, VG_KEYFILE_VAULT, PASS, strlen(PASS)),
			 VG_EIO);
	assert_non_null(strstr(vg_error_last(), lnk));
	assert_int_equal(p.len, 0);
	/* and writing does not go through one */
	assert_int_equal(vg_keyfile_write(lnk, 1, VG_KEYFILE_VAULT, 1, (const uint8_t *)"x", 1,
					  PASS, strlen(PASS)),
			 VG_EEXISTS);
	assert_int_equal(unlink(lnk), 0);
	vgt_write_file(target, "target", 6);
	assert_int_equal(symlink(target, lnk), 0);
	assert_int_equal(vg_keyfile_write(lnk, 0, VG_KEYFILE_VAULT, 1, (const uint8_t *)"x", 1,
					  PASS, strlen(PASS)),
			 0);
	assert_int_equal(lstat(lnk, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	vg_buf_clear(&a);
	vgt_read_file(&a, target);
	assert_int_equal(a.len, 6);
	assert_memory_equal(a.ptr, "target", 6);

	/* missing, not a regular file, larger than any key file, truncated */
	assert_int_equal(vg_keyfile_read(&p, NULL, missing, VG_KEYFILE_VAULT, PASS, 4),
			 VG_ENOTFOUND);
	assert_int_equal(vg_keyfile_read(&p, NULL, dir, VG_KEYFILE_VAULT, PASS, 4), VG_EINVAL);
	vg_buf_clear(&a);
	assert_int_equal(vg_buf_grow(&a, L_FILE(4, VG_KEYFILE_PAYLOAD_MAX) + 1), 0);
	memset(a.ptr, 0, L_FILE(4, VG_KEYFILE_PAYLOAD_MAX) + 1);
	vgt_write_file(missing, a.ptr, L_FILE(4, VG_KEYFILE_PAYLOAD_MAX) + 1);
	assert_int_equal(vg_keyfile_read(&p, NULL, missing, VG_KEYFILE_VAULT, PASS, 4), VG_ELIMIT);
	vgt_write_file(missing, b.ptr, b.len - 1);
	assert_int_equal(vg_keyfile_read(&p, NULL, missing, VG_KEYFILE_VAULT, PASS, 4), VG_EFORMAT);
	assert_non_null(strstr(vg_error_last(), missing));
	assert_int_equal(p.len, 0);

	vg_buf_release(&p);
	vg_buf_release(&a);
	vg_buf_release(&b);
	vgt_rmrf(dir);
	free(missing);
	free(target);
	free(lnk);
	free(path);
	free(dir);
}

/*
 * Known answers: the seeds committed with the fuzz corpus were sealed once and must keep
 * opening (a test build) or be refused as below the floor (a normal build).
 */
static void test_seeds(void **state)
{
	const char *src = getenv("VIGIL_SOURCE_DIR");
	uint8_t org[32], four[200];
	const char *vault = "vigil fuzz seed: vault, one slot";
	struct {
		const char *name;
		enum vg_keyfile_kind kind;
		const uint8_t *payload;
		size_t len;
	} seeds[] = {
	    {"seed-vault-1slot", VG_KEYFILE_VAULT, (const uint8_t *)vault, 32},
	    {"seed-org-2slot", VG_KEYFILE_ORG, org, sizeof(org)},
	    {"seed-vault-4slot", VG_KEYFILE_VAULT, four, sizeof(four)},
	};
	(void)state;

	VGT_REQUIRE(src != NULL, "VIGIL_SOURCE_DIR is not set (run through ctest)");
	for (size_t i = 0; i < sizeof(org); i++)
		org[i] = (uint8_t)i;
	for (size_t i = 0; i < sizeof(four); i++)
		four[i] = (uint8_t)(i * 7);
	for (size_t i = 0; i < sizeof(seeds) / sizeof(seeds[0]); i++) {
		char name[256];
		struct vg_buf f = VG_BUF_INIT, p = VG_BUF_INIT_SECURE;
		unsigned slot = 99;
		int rc;

		snprintf(name, sizeof(name), "%s/tests/fuzz/corpus/keyfile/%s", src, seeds[i].name);
		vgt_read_file(&f, name);
		rc = vg_keyfile_open(&p, &slot, seeds[i].kind, f.ptr, f.len, SEED_PASS,
				     strlen(SEED_PASS));
#if KFT_TEST_KDF
		if (rc != 0)
			fail_msg("%s: %s", seeds[i].name, vg_error_last());
		assert_int_equal(slot, 0);
		assert_int_equal(p.len, seeds[i].len);
		assert_memory_equal(p.ptr, seeds[i].payload, seeds[i].len);
		vg_buf_clear(&p);
		/* and a forgery of the last byte fails */
		f.ptr[f.len - 1] ^= 1;
		assert_int_equal(vg_keyfile_open(&p, &slot, seeds[i].kind, f.ptr, f.len, SEED_PASS,
						 strlen(SEED_PASS)),
				 VG_EAUTH);
#else
		assert_int_equal(rc, VG_ELIMIT);
#endif
		vg_buf_release(&p);
		vg_buf_release(&f);
	}
}

int main(void)
{
	/* clang-format off */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_multislot),
		cmocka_unit_test(test_wrong_passphrase),
		cmocka_unit_test(test_layout_decode),
		cmocka_unit_test(test_layout_encode),
		cmocka_unit_test(test_equal_work),
		cmocka_unit_test(test_bitflips),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_kind),
		cmocka_unit_test(test_kdf_limits),
		cmocka_unit_test(test_bad_arguments),
		cmocka_unit_test(test_files),
		cmocka_unit_test(test_seeds),
	};
	/* clang-format on */
	return cmocka_run_group_tests(tests, setup, NULL);
}
