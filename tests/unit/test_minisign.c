/*
 * minisign keys and signatures: round trips, a known-answer vector made by stock minisign
 * 0.11 with its corruptions, and interoperability both ways with the stock tool.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "testutil.h"
#include "vigil/error.h"
#include "vigil/minisign.h"
#include "vigil/vigil.h"

/*
 * Made once with stock minisign 0.11:
 *   minisign -G -W -p kat.pub -s kat.key; minisign -G -W -p other.pub -s other.key
 *   printf 'vigil minisign known-answer message\n' > msg
 *   minisign -S -s kat.key -m msg -x msg.minisig -t "$(printf 'timestamp:1700000000\t...')"
 *   minisign -S -l -s kat.key -m msg -x msg.legacy.minisig -c 'legacy signature' \
 *           -t 'legacy kat'
 *   printf 'katpass\nkatpass\n' | minisign -G -p enc.pub -s enc.key
 * (0.11 writes the key number in the .pub comment without leading zeros.)
 */
static const char kat_msg[] = "vigil minisign known-answer message\n";
static const char kat_pub[] = "untrusted comment: minisign public key FBB23EF36AB6A07B\n"
			      "RWR7oLZq8z6y+9BgG7ZwdtZvyV3XsfzzA0+a3+l8U+e/tjubatmJUNFZ\n";
static const char kat_pub_line[] = "RWR7oLZq8z6y+9BgG7ZwdtZvyV3XsfzzA0+a3+l8U+e/tjubatmJUNFZ";
static const char kat_key[] =
    "untrusted comment: minisign encrypted secret key\n"
    "RWQAAEIyAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAe6C2avM+svskb9Xn"
    "FTSxACdn72gdo/Q9yEWCMoLEahRWiC7K3S6XqdBgG7ZwdtZvyV3XsfzzA0+a3+l8U+e/tjubatmJUNFZAAAAAAAA"
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
static const char other_pub[] = "untrusted comment: minisign public key BE3B805D3BF1391\n"
				"RWSRE7/TBbjjC35tOS6bWy7JTUThyTPc4nQ9Zxew4gR08j3borsnxafW\n";
static const char kat_trusted[] = "timestamp:1700000000\tfile:msg\tvigil kat";
static const char kat_sig[] =
    "untrusted comment: signature from minisign secret key\n"
    "RUR7oLZq8z6y+9xlekBpM8IX+3qHy/kshBT++nkZNqCQEfwHNuTKB+c3mR7/YCRqy5x59pPILXJFfROX1whVYnL6"
    "KpiHGD6L3gs=\n"
    "trusted comment: timestamp:1700000000\tfile:msg\tvigil kat\n"
    "PzZUhIYACNj50WxODxs7LnN4oiMg7wzzDLP+tjR0w/OL8nKOPLvwi85trAv0YTzmtQvhMEPBH63qnJkon52PBw==\n";
static const char kat_legacy_sig[] =
    "untrusted comment: legacy signature\n"
    "RWR7oLZq8z6y+1Ag7Elg03vxCGsdzsauLv/vhR5FnEXvZEcp5DWR8je4ZDsgSPMXlG+x/NKwxkkSbkcrxK6ubbMF"
    "/i67ns4qvQ8=\n"
    "trusted comment: legacy kat\n"
    "xWCZQyDadoc6pBHe9A1l3/jN2J4kpfoIXoYwg2sZsNvE/KB3KJshiNhMIvV6dnDaiOvJjKhMm0TbStBgamWABQ==\n";
static const char enc_pub[] = "untrusted comment: minisign public key 671807E4A247D0FC\n"
			      "RWT80Eei5AcYZzBwUorQjVhb9Prxwe5PWaG4h1R7Kj9gTYmKCFb8DZCp\n";
static const char enc_key[] =
    "untrusted comment: minisign encrypted secret key\n"
    "RWRTY0Iyrml/4jem9TE5sskWuNWbneMjOwUtVga0e9oIwOkv2OcAAAACAAAAAAAAAEAAAAAAeyoKxM2A4LWVBJIB"
    "ACWSYCfSfFYASAicx66jdItmp1j8A8coRUMdKfGBSGjyDnGQGokX1yBJxYRxLTvEcPdysp2Uy/Xb+NCO1LaN2XEr"
    "QJrI5LRvmqbP+SWfSd1F1MnP3Ya6DG2JxbY=\n";

#define MSG	((const uint8_t *)kat_msg)
#define MSG_LEN (sizeof(kat_msg) - 1)

static int setup(void **state)
{
	(void)state;
	return vg_init();
}

static void parse_pk(struct vg_minisign_pk *pk, const char *text)
{
	int rc = vg_minisign_pk_parse(pk, text, strlen(text));
	if (rc != 0)
		fail_msg("cannot parse public key: %s", vg_error_last());
}

/* Parse then verify; the code of the first step that fails, 0 when both pass. */
static int parse_verify(const char *text, size_t len, const struct vg_minisign_pk *pk,
			const uint8_t *msg, size_t msglen, unsigned flags)
{
	struct vg_minisig sig;
	int rc = vg_minisign_sig_parse(&sig, text, len);
	if (rc < 0)
		return rc;
	return vg_minisign_verify(&sig, pk, msg, msglen, flags);
}

static void assert_error(int rc, int code, const char *needle)
{
	if (rc != code)
		fail_msg("expected %s, got %d (%s): %s", vg_error_name(code), rc, vg_error_name(rc),
			 vg_error_last());
	if (needle != NULL && strstr(vg_error_last(), needle) == NULL)
		fail_msg("message '%s' does not mention '%s'", vg_error_last(), needle);
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t x = 0;
	for (int i = 7; i >= 0; i--)
		x = (x << 8) | p[i];
	return x;
}

/* ---- round trips ---------------------------------------------------------------------- */

static void test_generate_sign_verify(void **state)
{
	struct vg_minisign_sk *sk = NULL;
	struct vg_minisign_pk pk;
	struct vg_minisig sig;
	struct vg_buf out = VG_BUF_INIT;
	uint8_t hash[VG_MINISIGN_HASH_BYTES], h[32];
	const uint8_t msg[] = "some message";
	char line[1100];
	(void)state;

	assert_int_equal(vg_minisign_sk_generate(&sk), 0);
	vg_minisign_sk_public(&pk, sk);
	/* Key number: the first 8 bytes of BLAKE2b-256(pk) (FORMAT.md section 2). */
	crypto_generichash(h, sizeof(h), pk.pk, sizeof(pk.pk), NULL, 0);
	assert_memory_equal(pk.keynum, h, VG_MINISIGN_KEYNUM_BYTES);

	assert_int_equal(vg_minisign_sign(&out, sk, msg, sizeof(msg), "u c", "t c"), 0);
	assert_int_equal(vg_minisign_sig_parse(&sig, (char *)out.ptr, out.len), 0);
	assert_memory_equal(sig.alg, "ED", 2);
	assert_string_equal(sig.untrusted, "u c");
	assert_string_equal(sig.trusted, "t c");
	assert_int_equal(vg_minisign_verify(&sig, &pk, msg, sizeof(msg), 0), 0);
	assert_error(vg_minisign_verify(&sig, &pk, msg, sizeof(msg) - 1, 0), VG_EBADSIG,
		     "signature verification failed");
	vg_minisign_hash(hash, msg, sizeof(msg));
	assert_int_equal(vg_minisign_verify_hashed(&sig, &pk, hash), 0);
	hash[0] ^= 1;
	assert_error(vg_minisign_verify_hashed(&sig, &pk, hash), VG_EBADSIG, NULL);

	/* sign_hashed writes the same bytes (Ed25519 is deterministic). */
	hash[0] ^= 1;
	{
		struct vg_buf out2 = VG_BUF_INIT;
		assert_int_equal(vg_minisign_sign_hashed(&out2, sk, hash, "u c", "t c"), 0);
		assert_int_equal(out2.len, out.len);
		assert_memory_equal(out2.ptr, out.ptr, out.len);
		vg_buf_release(&out2);
	}

	/* NULL untrusted: minisign's default. Empty trusted comment is fine. */
	vg_buf_clear(&out);
	assert_int_equal(vg_minisign_sign(&out, sk, msg, 0, NULL, ""), 0);
	assert_true(strncmp((char *)out.ptr,
			    "untrusted comment: signature from minisign secret key\n", 54) == 0);
	assert_int_equal(parse_verify((char *)out.ptr, out.len, &pk, msg, 0, 0), 0);

	/* Comment limits and line breaks, and out is left as it was. */
	vg_buf_clear(&out);
	assert_int_equal(vg_buf_puts(&out, "keep"), 0);
	memset(line, 'a', sizeof(line));
	line[VG_MINISIGN_UNTRUSTED_WRITE_MAX + 1] = '\0';
	assert_error(vg_minisign_sign(&out, sk, msg, 1, line, "t"), VG_EINVAL, "untrusted");
	line[VG_MINISIGN_UNTRUSTED_WRITE_MAX] = '\0';
	assert_int_equal(vg_minisign_sign(&out, sk, msg, 1, line, "t"), 0);
	vg_buf_truncate(&out, 4);
	memset(line, 'a', sizeof(line));
	line[VG_MINISIGN_COMMENT_MAX + 1] = '\0';
	assert_error(vg_minisign_sign(&out, sk, msg, 1, "u", line), VG_EINVAL, "trusted");
	line[VG_MINISIGN_COMMENT_MAX] = '\0';
	assert_int_equal(vg_minisign_sign(&out, sk, msg, 1, "u", line), 0);
	assert_int_equal(parse_verify((char *)out.ptr + 4, out.len - 4, &pk, msg, 1, 0), 0);
	vg_buf_truncate(&out, 4);
	assert_error(vg_minisign_sign(&out, sk, msg, 1, "u", "a\nb"), VG_EINVAL, NULL);
	assert_error(vg_minisign_sign(&out, sk, msg, 1, "u", "a\rb"), VG_EINVAL, NULL);
	assert_error(vg_minisign_sign(&out, sk, msg, 1, "a\nb", "t"), VG_EINVAL, NULL);
	assert_error(vg_minisign_sign(&out, sk, msg, 1, "u", NULL), VG_EINVAL, NULL);
	assert_int_equal(out.len, 4);
	assert_string_equal((char *)out.ptr, "keep");

	vg_buf_release(&out);
	vg_minisign_sk_free(sk);
	vg_minisign_sk_free(NULL);
}

static void test_raw_roundtrip(void **state)
{
	struct vg_minisign_sk *sk = NULL, *sk2 = NULL;
	struct vg_minisign_pk pk, pk2;
	struct vg_buf a = VG_BUF_INIT, b = VG_BUF_INIT;
	uint8_t *raw = sodium_malloc(VG_MINISIGN_SK_RAW_BYTES);
	(void)state;

	assert_non_null(raw);
	assert_int_equal(vg_minisign_sk_generate(&sk), 0);
	vg_minisign_sk_to_raw(raw, sk);
	assert_int_equal(vg_minisign_sk_from_raw(&sk2, raw), 0);
	vg_minisign_sk_public(&pk, sk);
	vg_minisign_sk_public(&pk2, sk2);
	assert_memory_equal(&pk, &pk2, sizeof(pk));
	assert_int_equal(vg_minisign_sign(&a, sk, (const uint8_t *)"m", 1, "u", "t"), 0);
	assert_int_equal(vg_minisign_sign(&b, sk2, (const uint8_t *)"m", 1, "u", "t"), 0);
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.ptr, b.ptr, a.len);
	vg_minisign_sk_free(sk2);
	sk2 = NULL;

	/* The embedded public key must be the seed's. */
	raw[VG_MINISIGN_SK_RAW_BYTES - 1] ^= 0x01;
	assert_error(vg_minisign_sk_from_raw(&sk2, raw), VG_EFORMAT, "public key");
	assert_null(sk2);

	sodium_free(raw);
	vg_buf_release(&a);
	vg_buf_release(&b);
	vg_minisign_sk_free(sk);
}

static void test_pk_encode_parse(void **state)
{
	struct vg_minisign_sk *sk = NULL;
	struct vg_minisign_pk pk, got;
	struct vg_buf file = VG_BUF_INIT;
	char line[VG_MINISIGN_PK_B64_LEN + 1], expect[128], text[256];
	(void)state;

	assert_int_equal(vg_minisign_sk_generate(&sk), 0);
	vg_minisign_sk_public(&pk, sk);
	vg_minisign_pk_encode(line, &pk);
	assert_int_equal(strlen(line), VG_MINISIGN_PK_B64_LEN);
	assert_true(strncmp(line, "RW", 2) == 0);

	assert_int_equal(vg_minisign_pk_write(&file, &pk), 0);
	snprintf(expect, sizeof(expect),
		 "untrusted comment: minisign public key %016" PRIX64 "\n%s\n", le64(pk.keynum),
		 line);
	assert_string_equal((char *)file.ptr, expect);

	/* Whole file, with and without the final LF; bare line with and without. */
	assert_int_equal(vg_minisign_pk_parse(&got, (char *)file.ptr, file.len), 0);
	assert_memory_equal(&got, &pk, sizeof(pk));
	assert_int_equal(vg_minisign_pk_parse(&got, (char *)file.ptr, file.len - 1), 0);
	assert_memory_equal(&got, &pk, sizeof(pk));
	assert_int_equal(vg_minisign_pk_parse(&got, line, strlen(line)), 0);
	assert_memory_equal(&got, &pk, sizeof(pk));
	snprintf(text, sizeof(text), "%s\n", line);
	assert_int_equal(vg_minisign_pk_parse(&got, text, strlen(text)), 0);
	assert_memory_equal(&got, &pk, sizeof(pk));

	/* The known stock key, both forms. */
	parse_pk(&got, kat_pub);
	assert_int_equal(le64(got.keynum), 0xFBB23EF36AB6A07BULL);
	vg_minisign_pk_encode(line, &got);
	assert_string_equal(line, kat_pub_line);
	parse_pk(&got, kat_pub_line);
	assert_int_equal(le64(got.keynum), 0xFBB23EF36AB6A07BULL);

	/* The comment shows the key number as 16 hex digits, leading zeros kept. */
	parse_pk(&got, other_pub);
	assert_int_equal(le64(got.keynum), 0x0BE3B805D3BF1391ULL);
	vg_buf_clear(&file);
	assert_int_equal(vg_minisign_pk_write(&file, &got), 0);
	assert_string_equal((char *)file.ptr,
			    "untrusted comment: minisign public key 0BE3B805D3BF1391\n"
			    "RWSRE7/TBbjjC35tOS6bWy7JTUThyTPc4nQ9Zxew4gR08j3borsnxafW\n");

	/* Refused. */
	static const char *const bad[] = {
	    "",
	    "\n",
	    "RWR7oLZq8z6y+9BgG7ZwdtZvyV3XsfzzA0+a3+l8U+e/tjubatmJUNFZ\r\n",
	    "RWR7oLZq8z6y+9BgG7ZwdtZvyV3XsfzzA0+a3+l8U+e/tjubatmJUNFZ\n\n",
	    "RWR7oLZq8z6y+9BgG7ZwdtZvyV3XsfzzA0+a3+l8U+e/tjubatmJUNFZ \n",
	    " RWR7oLZq8z6y+9BgG7ZwdtZvyV3XsfzzA0+a3+l8U+e/tjubatmJUNFZ",
	    "RWR7oLZq8z6y+9BgG7ZwdtZvyV3XsfzzA0+a3+l8U+e/tjubatmJUNF",
	    "RWR7oLZq8z6y+9BgG7ZwdtZvyV3XsfzzA0+a3+l8U+e/tjubatmJUNFZA",
	    "RWR7oLZq8z6y+9BgG7ZwdtZvyV3XsfzzA0+a3+l8U+e/tjubatmJUNF=", /* short, padded */
	    "RUR7oLZq8z6y+9BgG7ZwdtZvyV3XsfzzA0+a3+l8U+e/tjubatmJUNFZ", /* "ED" key */
	    "RWR7oLZq8z6y-9BgG7ZwdtZvyV3XsfzzA0+a3+l8U+e/tjubatmJUNFZ", /* url-safe */
	    "untrusted comment: minisign public key FBB23EF36AB6A07B\n",
	    "untrusted comment: x\r\nRWR7oLZq8z6y+9BgG7ZwdtZvyV3XsfzzA0+a3+l8U+e/tjubatmJUNFZ\n",
	    "untrusted comment: x\nRWR7oLZq8z6y+9BgG7ZwdtZvyV3XsfzzA0+a3+l8U+e/tjubatmJUNFZ\nx",
	    "untrusted comment x\nRWR7oLZq8z6y+9BgG7ZwdtZvyV3XsfzzA0+a3+l8U+e/tjubatmJUNFZ\n",
	    "untrusted comment: x\n\nRWR7oLZq8z6y+9BgG7ZwdtZvyV3XsfzzA0+a3+l8U+e/tjubatmJUNFZ\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = vg_minisign_pk_parse(&got, bad[i], strlen(bad[i]));
		if (rc != VG_EFORMAT)
			fail_msg("bad public key %zu: got %d", i, rc);
	}
	/* NUL in the comment. */
	{
		static const char nul[] =
		    "untrusted comment: a\0b\n"
		    "RWR7oLZq8z6y+9BgG7ZwdtZvyV3XsfzzA0+a3+l8U+e/tjubatmJUNFZ\n";
		assert_error(vg_minisign_pk_parse(&got, nul, sizeof(nul) - 1), VG_EFORMAT, "NUL");
	}

	vg_buf_release(&file);
	vg_minisign_sk_free(sk);
}

/* Decode the base64 line of a secret key file, let edit change it, re-encode. */
static void sk_file_edit(struct vg_buf *out, const struct vg_buf *in, void (*edit)(uint8_t f[158]))
{
	const char *nl = memchr(in->ptr, '\n', in->len);
	uint8_t f[158];
	char b64[sodium_base64_ENCODED_LEN(158, sodium_base64_VARIANT_ORIGINAL)];
	size_t binlen;

	assert_non_null(nl);
	assert_int_equal(sodium_base642bin(f, sizeof(f), nl + 1, strlen(nl + 1) - 1, NULL, &binlen,
					   NULL, sodium_base64_VARIANT_ORIGINAL),
			 0);
	assert_int_equal(binlen, sizeof(f));
	edit(f);
	sodium_bin2base64(b64, sizeof(b64), f, sizeof(f), sodium_base64_VARIANT_ORIGINAL);
	vg_buf_clear(out);
	assert_int_equal(vg_buf_put(out, in->ptr, (size_t)(nl + 1 - (const char *)in->ptr)), 0);
	assert_int_equal(vg_buf_printf(out, "%s\n", b64), 0);
}

/* Offsets in the decoded secret key. */
#define SKF_KDF	   2
#define SKF_CHKALG 4
#define SKF_SALT   6
#define SKF_OPS	   38
#define SKF_MEM	   46
#define SKF_KEYNUM 54
#define SKF_SK	   62
#define SKF_CHK	   126

static void edit_flip_chk(uint8_t f[158])
{
	f[SKF_CHK] ^= 1;
}
static void edit_zero_chk(uint8_t f[158])
{
	memset(f + SKF_CHK, 0, 32);
}
static void edit_pk_half_zero_chk(uint8_t f[158])
{
	f[SKF_SK + 63] ^= 1;
	memset(f + SKF_CHK, 0, 32);
}
static void edit_kdf(uint8_t f[158])
{
	memcpy(f + SKF_KDF, "Xy", 2);
}
static void edit_chkalg(uint8_t f[158])
{
	memcpy(f + SKF_CHKALG, "B3", 2);
}
static void edit_sigalg(uint8_t f[158])
{
	memcpy(f, "ED", 2);
}
static void edit_ops_above(uint8_t f[158])
{
	uint64_t v = crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE + 1ULL;
	for (int i = 0; i < 8; i++)
		f[SKF_OPS + i] = (uint8_t)(v >> (8 * i));
}
static void edit_mem_above(uint8_t f[158])
{
	uint64_t v = (uint64_t)crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE + 1ULL;
	for (int i = 0; i < 8; i++)
		f[SKF_MEM + i] = (uint8_t)(v >> (8 * i));
}
static void edit_mem_huge(uint8_t f[158])
{
	memset(f + SKF_MEM, 0xff, 8);
}

static void assert_same_key(const struct vg_minisign_sk *a, const struct vg_minisign_sk *b)
{
	uint8_t *ra = sodium_malloc(VG_MINISIGN_SK_RAW_BYTES);
	uint8_t *rb = sodium_malloc(VG_MINISIGN_SK_RAW_BYTES);
	assert_non_null(ra);
	assert_non_null(rb);
	vg_minisign_sk_to_raw(ra, a);
	vg_minisign_sk_to_raw(rb, b);
	assert_memory_equal(ra, rb, VG_MINISIGN_SK_RAW_BYTES);
	sodium_free(ra);
	sodium_free(rb);
}

static void test_sk_file_unencrypted(void **state)
{
	struct vg_minisign_sk *sk = NULL, *got = NULL;
	struct vg_buf file = VG_BUF_INIT_SECURE, ed = VG_BUF_INIT_SECURE;
	uint8_t f[158];
	size_t binlen;
	const char *nl;
	(void)state;

	assert_int_equal(vg_minisign_sk_generate(&sk), 0);
	assert_int_equal(vg_minisign_sk_write(&file, sk, NULL, 0), 0);
	assert_true(strncmp((char *)file.ptr, "untrusted comment: ", 19) == 0);
	nl = memchr(file.ptr, '\n', file.len);
	assert_non_null(nl);
	assert_int_equal(file.len - (size_t)(nl + 1 - (char *)file.ptr), 212 + 1);
	assert_int_equal(file.ptr[file.len - 1], '\n');
	/* Layout as `minisign -G -W`: kdf, salt and limits zero; checksum filled in. */
	assert_int_equal(sodium_base642bin(f, sizeof(f), nl + 1, 212, NULL, &binlen, NULL,
					   sodium_base64_VARIANT_ORIGINAL),
			 0);
	assert_memory_equal(f, "Ed\0\0B2", 6);
	assert_true(sodium_is_zero(f + SKF_SALT, 32 + 16));
	assert_false(sodium_is_zero(f + SKF_CHK, 32));

	assert_int_equal(vg_minisign_sk_parse(&got, (char *)file.ptr, file.len, NULL, 0), 0);
	assert_same_key(sk, got);
	vg_minisign_sk_free(got);
	/* A passphrase is ignored for an unencrypted key; the final LF is optional. */
	assert_int_equal(vg_minisign_sk_parse(&got, (char *)file.ptr, file.len - 1, "x", 1), 0);
	assert_same_key(sk, got);
	vg_minisign_sk_free(got);
	got = NULL;

	/* A zero checksum (as stock -G -W writes) is accepted; a wrong one is not. */
	sk_file_edit(&ed, &file, edit_zero_chk);
	assert_int_equal(vg_minisign_sk_parse(&got, (char *)ed.ptr, ed.len, NULL, 0), 0);
	assert_same_key(sk, got);
	vg_minisign_sk_free(got);
	got = NULL;
	sk_file_edit(&ed, &file, edit_flip_chk);
	assert_error(vg_minisign_sk_parse(&got, (char *)ed.ptr, ed.len, NULL, 0), VG_EFORMAT,
		     "checksum");
	assert_null(got);
	sk_file_edit(&ed, &file, edit_pk_half_zero_chk);
	assert_error(vg_minisign_sk_parse(&got, (char *)ed.ptr, ed.len, NULL, 0), VG_EFORMAT,
		     "public key");
	sk_file_edit(&ed, &file, edit_kdf);
	assert_error(vg_minisign_sk_parse(&got, (char *)ed.ptr, ed.len, NULL, 0), VG_EFORMAT,
		     "key derivation");
	sk_file_edit(&ed, &file, edit_chkalg);
	assert_error(vg_minisign_sk_parse(&got, (char *)ed.ptr, ed.len, NULL, 0), VG_EFORMAT,
		     "checksum algorithm");
	sk_file_edit(&ed, &file, edit_sigalg);
	assert_error(vg_minisign_sk_parse(&got, (char *)ed.ptr, ed.len, NULL, 0), VG_EFORMAT,
		     "signature algorithm");

	/* Framing: truncation at every length, trailing data, CR. */
	for (size_t n = 0; n + 1 < file.len; n++)
		if (vg_minisign_sk_parse(&got, (char *)file.ptr, n, NULL, 0) != VG_EFORMAT)
			fail_msg("secret key truncated to %zu bytes accepted", n);
	assert_int_equal(vg_buf_putc(&file, '\n'), 0);
	assert_error(vg_minisign_sk_parse(&got, (char *)file.ptr, file.len, NULL, 0), VG_EFORMAT,
		     NULL);
	file.ptr[file.len - 2] = '\r';
	assert_error(vg_minisign_sk_parse(&got, (char *)file.ptr, file.len, NULL, 0), VG_EFORMAT,
		     NULL);
	assert_null(got);

	/* The stock -G -W key of the vector: its public half is the stock .pub. */
	{
		struct vg_minisign_pk want, have;
		parse_pk(&want, kat_pub);
		assert_int_equal(vg_minisign_sk_parse(&got, kat_key, strlen(kat_key), NULL, 0), 0);
		vg_minisign_sk_public(&have, got);
		assert_memory_equal(&have, &want, sizeof(want));
		vg_minisign_sk_free(got);
	}

	vg_buf_release(&file);
	vg_buf_release(&ed);
	vg_minisign_sk_free(sk);
}

static void test_sk_file_encrypted(void **state)
{
	struct vg_minisign_sk *sk = NULL, *got = NULL;
	struct vg_buf file = VG_BUF_INIT, ed = VG_BUF_INIT;
	uint8_t f[158];
	size_t binlen;
	const char *nl;
	(void)state;

	assert_int_equal(vg_minisign_sk_generate(&sk), 0);
	assert_error(vg_minisign_sk_write(&file, sk, "", 0), VG_EINVAL, NULL);
	assert_int_equal(file.len, 0);
	assert_int_equal(vg_minisign_sk_write(&file, sk, "correct horse", 13), 0);
	nl = memchr(file.ptr, '\n', file.len);
	assert_non_null(nl);
	assert_int_equal(sodium_base642bin(f, sizeof(f), nl + 1, 212, NULL, &binlen, NULL,
					   sodium_base64_VARIANT_ORIGINAL),
			 0);
	assert_memory_equal(f, "EdScB2", 6);
	assert_false(sodium_is_zero(f + SKF_SALT, 32));
	/* The key number is sealed too: it does not appear in clear. */
	{
		uint8_t raw[VG_MINISIGN_SK_RAW_BYTES];
		vg_minisign_sk_to_raw(raw, sk);
		assert_true(memcmp(f + SKF_KEYNUM, raw, VG_MINISIGN_SK_RAW_BYTES) != 0);
		sodium_memzero(raw, sizeof(raw));
	}

	assert_int_equal(
	    vg_minisign_sk_parse(&got, (char *)file.ptr, file.len, "correct horse", 13), 0);
	assert_same_key(sk, got);
	vg_minisign_sk_free(got);
	got = NULL;

	assert_error(vg_minisign_sk_parse(&got, (char *)file.ptr, file.len, "correct hors", 12),
		     VG_EAUTH, "wrong passphrase");
	assert_null(got);
	assert_error(vg_minisign_sk_parse(&got, (char *)file.ptr, file.len, "correct horsf", 13),
		     VG_EAUTH, "wrong passphrase");
	assert_error(vg_minisign_sk_parse(&got, (char *)file.ptr, file.len, NULL, 0), VG_EAUTH,
		     "no passphrase");

	/* Limits above minisign's sensitive ones are refused before deriving. */
	sk_file_edit(&ed, &file, edit_ops_above);
	assert_error(vg_minisign_sk_parse(&got, (char *)ed.ptr, ed.len, "correct horse", 13),
		     VG_ELIMIT, NULL);
	sk_file_edit(&ed, &file, edit_mem_above);
	assert_error(vg_minisign_sk_parse(&got, (char *)ed.ptr, ed.len, "correct horse", 13),
		     VG_ELIMIT, NULL);
	sk_file_edit(&ed, &file, edit_mem_huge);
	assert_error(vg_minisign_sk_parse(&got, (char *)ed.ptr, ed.len, NULL, 0), VG_ELIMIT, NULL);
	/* A flipped sealed byte reads as a wrong passphrase. */
	sk_file_edit(&ed, &file, edit_flip_chk);
	assert_error(vg_minisign_sk_parse(&got, (char *)ed.ptr, ed.len, "correct horse", 13),
		     VG_EAUTH, NULL);
	assert_null(got);

	vg_buf_release(&file);
	vg_buf_release(&ed);
	vg_minisign_sk_free(sk);
}

/* ---- the known-answer vector ---------------------------------------------------------- */

static void test_kat_verify(void **state)
{
	struct vg_minisign_pk pk, other;
	struct vg_minisig sig;
	struct vg_minisign_sk *sk = NULL;
	struct vg_buf out = VG_BUF_INIT;
	uint8_t hash[VG_MINISIGN_HASH_BYTES];
	(void)state;

	parse_pk(&pk, kat_pub);
	parse_pk(&other, other_pub);
	assert_int_equal(vg_minisign_sig_parse(&sig, kat_sig, strlen(kat_sig)), 0);
	assert_memory_equal(sig.alg, "ED", 2);
	assert_memory_equal(sig.keynum, pk.keynum, 8);
	assert_string_equal(sig.untrusted, "signature from minisign secret key");
	assert_string_equal(sig.trusted, kat_trusted);
	assert_int_equal(vg_minisign_verify(&sig, &pk, MSG, MSG_LEN, 0), 0);
	vg_minisign_hash(hash, MSG, MSG_LEN);
	assert_int_equal(vg_minisign_verify_hashed(&sig, &pk, hash), 0);

	/* Wrong message, wrong key, a wrong key carrying the right key number. */
	assert_error(vg_minisign_verify(&sig, &pk, MSG, MSG_LEN - 1, 0), VG_EBADSIG,
		     "signature verification failed");
	assert_error(vg_minisign_verify(&sig, &other, MSG, MSG_LEN, 0), VG_EBADSIG,
		     "key id mismatch");
	memcpy(other.keynum, pk.keynum, 8);
	assert_error(vg_minisign_verify(&sig, &other, MSG, MSG_LEN, 0), VG_EBADSIG,
		     "signature verification failed");

	/* A changed trusted comment. */
	memcpy(sig.trusted, "timestamp:1700000001", 20);
	assert_error(vg_minisign_verify(&sig, &pk, MSG, MSG_LEN, 0), VG_EBADSIG,
		     "global signature");
	{
		char text[sizeof(kat_sig) + 1];
		char *p;
		memcpy(text, kat_sig, sizeof(kat_sig));
		p = strstr(text, "vigil kat");
		assert_non_null(p);
		p[0] = 'V';
		assert_error(parse_verify(text, strlen(text), &pk, MSG, MSG_LEN, 0), VG_EBADSIG,
			     "global signature");
		/* Dropping the trusted comment's last byte. */
		memcpy(text, kat_sig, sizeof(kat_sig));
		p = strstr(text, "vigil kat\n");
		memmove(p + 8, p + 9, strlen(p + 9) + 1);
		assert_error(parse_verify(text, strlen(text), &pk, MSG, MSG_LEN, 0), VG_EBADSIG,
			     "global signature");
	}

	/* Signing the vector's message with the stock secret key gives stock's bytes. */
	assert_int_equal(vg_minisign_sk_parse(&sk, kat_key, strlen(kat_key), NULL, 0), 0);
	assert_int_equal(vg_minisign_sign(&out, sk, MSG, MSG_LEN, NULL, kat_trusted), 0);
	assert_string_equal((char *)out.ptr, kat_sig);

	vg_buf_release(&out);
	vg_minisign_sk_free(sk);
}

static void test_kat_legacy(void **state)
{
	struct vg_minisign_pk pk;
	struct vg_minisig sig;
	uint8_t hash[VG_MINISIGN_HASH_BYTES];
	(void)state;

	parse_pk(&pk, kat_pub);
	assert_int_equal(vg_minisign_sig_parse(&sig, kat_legacy_sig, strlen(kat_legacy_sig)), 0);
	assert_memory_equal(sig.alg, "Ed", 2);
	assert_string_equal(sig.untrusted, "legacy signature");
	assert_string_equal(sig.trusted, "legacy kat");
	assert_error(vg_minisign_verify(&sig, &pk, MSG, MSG_LEN, 0), VG_EBADSIG, "legacy");
	assert_int_equal(vg_minisign_verify(&sig, &pk, MSG, MSG_LEN, VG_MINISIGN_ALLOW_LEGACY), 0);
	assert_error(vg_minisign_verify(&sig, &pk, MSG, MSG_LEN - 1, VG_MINISIGN_ALLOW_LEGACY),
		     VG_EBADSIG, "signature verification failed");
	vg_minisign_hash(hash, MSG, MSG_LEN);
	assert_error(vg_minisign_verify_hashed(&sig, &pk, hash), VG_EBADSIG, "hash");

	/* An ED signature relabelled Ed ("RUR" -> "RWR") does not verify as legacy. */
	{
		char text[sizeof(kat_sig)];
		char *p;
		memcpy(text, kat_sig, sizeof(kat_sig));
		p = strstr(text, "\nRUR7");
		assert_non_null(p);
		p[2] = 'W';
		assert_int_equal(vg_minisign_sig_parse(&sig, text, strlen(text)), 0);
		assert_memory_equal(sig.alg, "Ed", 2);
		assert_error(vg_minisign_verify(&sig, &pk, MSG, MSG_LEN, 0), VG_EBADSIG, "legacy");
		assert_error(vg_minisign_verify(&sig, &pk, MSG, MSG_LEN, VG_MINISIGN_ALLOW_LEGACY),
			     VG_EBADSIG, "signature verification failed");
	}
}

/* Which part of the signature file byte i belongs to. */
enum region { R_PREFIX, R_UNTRUSTED, R_SIG, R_TRUSTED, R_GLOBAL };

static enum region region_of(const char *text, size_t i)
{
	const char *l2 = strchr(text, '\n') + 1;
	const char *l3 = strchr(l2, '\n') + 1;
	const char *l4 = strchr(l3, '\n') + 1;
	size_t o2 = (size_t)(l2 - text), o3 = (size_t)(l3 - text), o4 = (size_t)(l4 - text);

	if (i < 19 || i == o2 - 1 || i == o3 - 1 || i == o4 - 1 || i == strlen(text) - 1 ||
	    (i >= o3 && i < o3 + 17))
		return R_PREFIX;
	if (i < o2)
		return R_UNTRUSTED;
	if (i < o3)
		return R_SIG;
	if (i < o4)
		return R_TRUSTED;
	return R_GLOBAL;
}

static void test_kat_bitflips(void **state)
{
	struct vg_minisign_pk pk;
	size_t len = strlen(kat_sig);
	char *text = malloc(len + 2);
	size_t accepted = 0, refused = 0;
	(void)state;

	assert_non_null(text);
	parse_pk(&pk, kat_pub);
	for (size_t i = 0; i < len; i++) {
		enum region r = region_of(kat_sig, i);
		for (int bit = 0; bit < 8; bit++) {
			struct vg_minisig sig;
			uint8_t c;
			int rc;

			memcpy(text, kat_sig, len);
			text[i] ^= (char)(1 << bit);
			c = (uint8_t)text[i];
			rc = vg_minisign_sig_parse(&sig, text, len);
			if (rc == 0)
				rc = vg_minisign_verify(&sig, &pk, MSG, MSG_LEN, 0);
			switch (r) {
			case R_PREFIX:
				if (rc != VG_EFORMAT)
					fail_msg("byte %zu bit %d: %d, not malformed", i, bit, rc);
				break;
			case R_UNTRUSTED:
				/* Not signed: any byte but LF, CR and NUL is accepted. */
				if (c == '\n' || c == '\r' || c == '\0') {
					if (rc != VG_EFORMAT)
						fail_msg("byte %zu bit %d: %d", i, bit, rc);
				} else if (rc != 0) {
					fail_msg(
					    "byte %zu bit %d: untrusted comment edit refused: %s",
					    i, bit, vg_error_last());
				} else {
					accepted++;
				}
				break;
			case R_SIG:
			case R_GLOBAL:
				if (rc != VG_EFORMAT && rc != VG_EBADSIG)
					fail_msg("byte %zu bit %d: got %d", i, bit, rc);
				if (rc == VG_EBADSIG) {
					const char *why = r == R_GLOBAL ? "global signature"
							  : memcmp(sig.keynum, pk.keynum, 8) != 0
							      ? "key id"
							  : memcmp(sig.alg, "Ed", 2) == 0
							      ? "legacy"
							      : "signature verification failed";
					if (strstr(vg_error_last(), why) == NULL)
						fail_msg("byte %zu bit %d: '%s', not '%s'", i, bit,
							 vg_error_last(), why);
				}
				refused++;
				break;
			case R_TRUSTED:
				if (c == '\n' || c == '\r' || c == '\0') {
					if (rc != VG_EFORMAT)
						fail_msg("byte %zu bit %d: %d", i, bit, rc);
				} else if (rc != VG_EBADSIG ||
					   strstr(vg_error_last(), "global signature") == NULL) {
					fail_msg("byte %zu bit %d: trusted comment edit: %d %s", i,
						 bit, rc, vg_error_last());
				}
				refused++;
				break;
			}
		}
	}
	assert_true(accepted > 0);
	assert_true(refused > 8 * 180);

	/* Truncation at every length, and anything appended. */
	for (size_t n = 0; n < len; n++) {
		struct vg_minisig sig;
		if (vg_minisign_sig_parse(&sig, kat_sig, n) != VG_EFORMAT)
			fail_msg("signature truncated to %zu bytes not refused", n);
	}
	static const char *const tails[] = {"\n", "x", "\r", " "};
	for (size_t t = 0; t < sizeof(tails) / sizeof(tails[0]); t++) {
		struct vg_minisig sig;
		memcpy(text, kat_sig, len);
		text[len] = tails[t][0];
		assert_error(vg_minisign_sig_parse(&sig, text, len + 1), VG_EFORMAT, NULL);
	}
	free(text);
}

/* Replace line `n` (0-based) of kat_sig with repl; parse and verify. */
static int with_line(int n, const char *repl)
{
	struct vg_buf b = VG_BUF_INIT;
	struct vg_minisign_pk pk;
	const char *p = kat_sig;
	int rc;

	parse_pk(&pk, kat_pub);
	for (int i = 0; i < 4; i++) {
		const char *nl = strchr(p, '\n');
		if (i == n)
			assert_int_equal(vg_buf_printf(&b, "%s\n", repl), 0);
		else
			assert_int_equal(vg_buf_put(&b, p, (size_t)(nl + 1 - p)), 0);
		p = nl + 1;
	}
	rc = parse_verify((char *)b.ptr, b.len, &pk, MSG, MSG_LEN, 0);
	vg_buf_release(&b);
	return rc;
}

static void test_sig_strict(void **state)
{
	char line[1100];
	struct vg_minisig sig;
	(void)state;

	/* Untrusted comment: 1024 bytes accepted (it is not signed), 1025 refused. */
	memset(line, 'c', sizeof(line));
	memcpy(line, "untrusted comment: ", 19);
	line[19 + VG_MINISIGN_COMMENT_MAX] = '\0';
	assert_int_equal(with_line(0, line), 0);
	line[19 + VG_MINISIGN_COMMENT_MAX] = 'c';
	line[19 + VG_MINISIGN_COMMENT_MAX + 1] = '\0';
	assert_error(with_line(0, line), VG_EFORMAT, "longer");
	assert_int_equal(with_line(0, "untrusted comment: "), 0);
	assert_error(with_line(0, "untrusted comment:"), VG_EFORMAT, NULL);
	assert_error(with_line(0, "Untrusted comment: x"), VG_EFORMAT, NULL);
	assert_error(with_line(0, "untrusted comment: a\rb"), VG_EFORMAT, "carriage");
	assert_error(with_line(2, "trusted comment: timestamp:1700000000\tfile:msg\tvigil kat\r"),
		     VG_EFORMAT, "carriage");
	assert_error(with_line(2, "trusted comment:timestamp:1700000000\tfile:msg\tvigil kat"),
		     VG_EFORMAT, NULL);
	/* Base64 with whitespace, url-safe alphabet, missing padding. */
	assert_error(with_line(1, "RUR7oLZq8z6y+9xlekBpM8IX+3qHy/kshBT++nkZNqCQEfwHNuTKB+c3mR7/"
				  "YCRqy5x59pPILXJFfROX1whVYnL6KpiHGD6L3gs= "),
		     VG_EFORMAT, NULL);
	assert_error(with_line(1, "RUR7oLZq8z6y-9xlekBpM8IX+3qHy/kshBT++nkZNqCQEfwHNuTKB+c3mR7/"
				  "YCRqy5x59pPILXJFfROX1whVYnL6KpiHGD6L3gs="),
		     VG_EFORMAT, NULL);
	assert_error(with_line(3, "PzZUhIYACNj50WxODxs7LnN4oiMg7wzzDLP+tjR0w/OL8nKOPLvwi85trAv0YTzm"
				  "tQvhMEPBH63qnJkon52PBw"),
		     VG_EFORMAT, NULL);
	/* Bits set in the padding: "Bw==" -> "Bx==" decodes to the same bytes in lax decoders. */
	assert_error(with_line(3, "PzZUhIYACNj50WxODxs7LnN4oiMg7wzzDLP+tjR0w/OL8nKOPLvwi85trAv0YTzm"
				  "tQvhMEPBH63qnJkon52PBx=="),
		     VG_EFORMAT, NULL);
	/* Unknown algorithm "EE". */
	assert_error(with_line(1, "RUV7oLZq8z6y+9xlekBpM8IX+3qHy/kshBT++nkZNqCQEfwHNuTKB+c3mR7/"
				  "YCRqy5x59pPILXJFfROX1whVYnL6KpiHGD6L3gs="),
		     VG_EFORMAT, "algorithm");
	/* CRLF line ends, NUL in a comment, a fifth line. */
	{
		struct vg_buf b = VG_BUF_INIT;
		for (const char *p = kat_sig; *p; p++) {
			if (*p == '\n')
				assert_int_equal(vg_buf_putc(&b, '\r'), 0);
			assert_int_equal(vg_buf_putc(&b, (uint8_t)*p), 0);
		}
		assert_error(vg_minisign_sig_parse(&sig, (char *)b.ptr, b.len), VG_EFORMAT, NULL);
		vg_buf_clear(&b);
		assert_int_equal(vg_buf_puts(&b, kat_sig), 0);
		b.ptr[25] = '\0';
		assert_error(vg_minisign_sig_parse(&sig, (char *)b.ptr, b.len), VG_EFORMAT, "NUL");
		vg_buf_clear(&b);
		assert_int_equal(vg_buf_printf(&b, "%s%s", kat_sig, "untrusted comment: x\n"), 0);
		assert_error(vg_minisign_sig_parse(&sig, (char *)b.ptr, b.len), VG_EFORMAT, NULL);
		vg_buf_release(&b);
	}
	/* A failed parse leaves nothing behind. */
	assert_int_not_equal(vg_minisign_sig_parse(&sig, kat_sig, strlen(kat_sig) - 1), 0);
	assert_string_equal(sig.untrusted, "");
	assert_true(sodium_is_zero(sig.sig, sizeof(sig.sig)));
}

/* The stock encrypted key of the vector (scrypt at minisign's sensitive limits: ~1 GiB). */
static void test_kat_stock_encrypted_key(void **state)
{
	struct vg_minisign_sk *sk = NULL;
	struct vg_minisign_pk want, have;
	int rc;
	(void)state;

	parse_pk(&want, enc_pub);
	rc = vg_minisign_sk_parse(&sk, enc_key, strlen(enc_key), "katpass", 7);
	if (rc != 0)
		fail_msg("stock encrypted key refused: %s", vg_error_last());
	vg_minisign_sk_public(&have, sk);
	assert_memory_equal(&have, &want, sizeof(want));
	vg_minisign_sk_free(sk);
}

/* ---- interoperability with stock minisign --------------------------------------------- */

struct dir {
	char *path;
};

static char *dir_file(const struct dir *d, const char *name)
{
	return vgt_path(d->path, name);
}

static void write_buf(const struct dir *d, const char *name, const struct vg_buf *b)
{
	char *p = dir_file(d, name);
	vgt_write_file(p, b->ptr, b->len);
	free(p);
}

static void read_into(struct vg_buf *b, const struct dir *d, const char *name)
{
	char *p = dir_file(d, name);
	vg_buf_clear(b);
	vgt_read_file(b, p);
	free(p);
}

static int run(const char *const argv[], const char *in, struct vg_buf *out)
{
	struct vg_buf err = VG_BUF_INIT;
	int rc = vgt_run(argv, in, in ? strlen(in) : 0, out, &err);
	if (rc != 0)
		print_message("%s exited %d: %s\n", argv[0], rc, err.ptr ? (char *)err.ptr : "");
	vg_buf_release(&err);
	return rc;
}

#define REQUIRE_MINISIGN()                                                                         \
	VGT_REQUIRE(vgt_have_tool("minisign"),                                                     \
		    "stock 'minisign' is not installed (packaging/install-deps.sh installs it)")

static const char interop_msg[] = "interop message\nwith two lines\n";
static const char interop_tc[] = "vigil interop\ttrusted comment 42";

/* Ours signs, stock verifies (and prints our trusted comment); a changed file fails. */
static void test_interop_ours_to_stock(void **state)
{
	struct dir d;
	struct vg_minisign_sk *sk = NULL;
	struct vg_minisign_pk pk;
	struct vg_buf b = VG_BUF_INIT, out = VG_BUF_INIT;
	char *pub, *msg, *sig, *msg2, expect[128];
	(void)state;

	REQUIRE_MINISIGN();
	d.path = vgt_tmpdir();
	pub = dir_file(&d, "k.pub");
	msg = dir_file(&d, "m");
	msg2 = dir_file(&d, "m2");
	sig = dir_file(&d, "m.minisig");

	assert_int_equal(vg_minisign_sk_generate(&sk), 0);
	vg_minisign_sk_public(&pk, sk);
	assert_int_equal(vg_minisign_pk_write(&b, &pk), 0);
	write_buf(&d, "k.pub", &b);
	vgt_write_file(msg, interop_msg, strlen(interop_msg));
	vgt_write_file(msg2, interop_msg, strlen(interop_msg) - 1);
	vg_buf_clear(&b);
	assert_int_equal(vg_minisign_sign(&b, sk, (const uint8_t *)interop_msg, strlen(interop_msg),
					  "vigil signature", interop_tc),
			 0);
	write_buf(&d, "m.minisig", &b);

	{
		const char *argv[] = {"minisign", "-H", "-V", "-p", pub,
				      "-m",	  msg,	"-x", sig,  NULL};
		assert_int_equal(run(argv, NULL, &out), 0);
		snprintf(expect, sizeof(expect), "Trusted comment: %s\n", interop_tc);
		assert_non_null(out.ptr);
		if (strstr((char *)out.ptr, expect) == NULL)
			fail_msg("stock output lacks our trusted comment: %s", (char *)out.ptr);
	}
	{
		const char *argv[] = {"minisign", "-H", "-V", "-p", pub,
				      "-m",	  msg2, "-x", sig,  NULL};
		assert_int_not_equal(vgt_run(argv, NULL, 0, NULL, NULL), 0);
	}
	/* Stock also takes our bare public key line (-P). */
	{
		char line[VG_MINISIGN_PK_B64_LEN + 1];
		vg_minisign_pk_encode(line, &pk);
		const char *argv[] = {"minisign", "-H", "-V", "-P", line,
				      "-m",	  msg,	"-x", sig,  NULL};
		assert_int_equal(vgt_run(argv, NULL, 0, NULL, NULL), 0);
	}

	vg_buf_release(&b);
	vg_buf_release(&out);
	vg_minisign_sk_free(sk);
	free(pub);
	free(msg);
	free(msg2);
	free(sig);
	vgt_rmrf(d.path);
	free(d.path);
}

/* Verify stock's signature of interop_msg in dir with ours, against the stock .pub. */
static void verify_stock_sig(const struct dir *d, const char *pubname, const char *signame)
{
	struct vg_buf b = VG_BUF_INIT;
	struct vg_minisign_pk pk;
	struct vg_minisig sig;

	read_into(&b, d, pubname);
	assert_int_equal(vg_minisign_pk_parse(&pk, (char *)b.ptr, b.len), 0);
	read_into(&b, d, signame);
	if (vg_minisign_sig_parse(&sig, (char *)b.ptr, b.len) != 0)
		fail_msg("stock signature refused: %s", vg_error_last());
	assert_memory_equal(sig.alg, "ED", 2);
	assert_string_equal(sig.trusted, interop_tc);
	if (vg_minisign_verify(&sig, &pk, (const uint8_t *)interop_msg, strlen(interop_msg), 0) !=
	    0)
		fail_msg("stock signature does not verify: %s", vg_error_last());
	assert_int_equal(
	    vg_minisign_verify(&sig, &pk, (const uint8_t *)interop_msg, strlen(interop_msg) - 1, 0),
	    VG_EBADSIG);
	vg_buf_release(&b);
}

/* Stock signs (unencrypted and encrypted keys), ours verifies and reads stock's keys. */
static void test_interop_stock_to_ours(void **state)
{
	struct dir d;
	struct vg_buf b = VG_BUF_INIT_SECURE;
	struct vg_minisign_sk *sk = NULL;
	struct vg_minisign_pk pk, have;
	char *pub, *key, *msg, *sig, *epub, *ekey, *esig;
	(void)state;

	REQUIRE_MINISIGN();
	d.path = vgt_tmpdir();
	pub = dir_file(&d, "k.pub");
	key = dir_file(&d, "k.key");
	msg = dir_file(&d, "m");
	sig = dir_file(&d, "m.minisig");
	epub = dir_file(&d, "e.pub");
	ekey = dir_file(&d, "e.key");
	esig = dir_file(&d, "m.e.minisig");
	vgt_write_file(msg, interop_msg, strlen(interop_msg));

	/* -f: overwrite, as the files may exist when a directory is reused. */
	{
		const char *argv[] = {"minisign", "-G", "-f", "-W", "-p", pub, "-s", key, NULL};
		assert_int_equal(run(argv, NULL, NULL), 0);
	}
	{
		const char *argv[] = {"minisign", "-S", "-s", key,	  "-m", msg,
				      "-x",	  sig,	"-t", interop_tc, NULL};
		assert_int_equal(run(argv, NULL, NULL), 0);
	}
	verify_stock_sig(&d, "k.pub", "m.minisig");
	read_into(&b, &d, "k.key");
	if (vg_minisign_sk_parse(&sk, (char *)b.ptr, b.len, NULL, 0) != 0)
		fail_msg("stock unencrypted key refused: %s", vg_error_last());
	vg_minisign_sk_public(&have, sk);
	vg_minisign_sk_free(sk);
	sk = NULL;
	read_into(&b, &d, "k.pub");
	assert_int_equal(vg_minisign_pk_parse(&pk, (char *)b.ptr, b.len), 0);
	assert_memory_equal(&have, &pk, sizeof(pk));

	/* Stock 0.11 reads passwords from stdin when it is not a terminal. */
	{
		const char *argv[] = {"minisign", "-G", "-f", "-p", epub, "-s", ekey, NULL};
		assert_int_equal(run(argv, "pw 1\npw 1\n", NULL), 0);
	}
	{
		const char *argv[] = {"minisign", "-S", "-s", ekey,	  "-m", msg,
				      "-x",	  esig, "-t", interop_tc, NULL};
		assert_int_equal(run(argv, "pw 1\n", NULL), 0);
	}
	verify_stock_sig(&d, "e.pub", "m.e.minisig");
	read_into(&b, &d, "e.key");
	if (vg_minisign_sk_parse(&sk, (char *)b.ptr, b.len, "pw 1", 4) != 0)
		fail_msg("stock encrypted key refused: %s", vg_error_last());
	vg_minisign_sk_public(&have, sk);
	read_into(&b, &d, "e.pub");
	assert_int_equal(vg_minisign_pk_parse(&pk, (char *)b.ptr, b.len), 0);
	assert_memory_equal(&have, &pk, sizeof(pk));

	vg_buf_release(&b);
	vg_minisign_sk_free(sk);
	free(pub);
	free(key);
	free(msg);
	free(sig);
	free(epub);
	free(ekey);
	free(esig);
	vgt_rmrf(d.path);
	free(d.path);
}

/* Our secret key files (unencrypted and encrypted) drive stock signing; ours verifies. */
static void test_interop_our_key_stock_signs(void **state)
{
	struct dir d;
	struct vg_minisign_sk *sk = NULL;
	struct vg_minisign_pk pk;
	struct vg_buf b = VG_BUF_INIT_SECURE, out = VG_BUF_INIT;
	char *pub, *key, *ekey, *msg, *sig, *esig, *rpub, line[VG_MINISIGN_PK_B64_LEN + 1];
	(void)state;

	REQUIRE_MINISIGN();
	d.path = vgt_tmpdir();
	pub = dir_file(&d, "k.pub");
	key = dir_file(&d, "k.key");
	ekey = dir_file(&d, "e.key");
	rpub = dir_file(&d, "r.pub");
	msg = dir_file(&d, "m");
	sig = dir_file(&d, "m.minisig");
	esig = dir_file(&d, "m.e.minisig");
	vgt_write_file(msg, interop_msg, strlen(interop_msg));

	assert_int_equal(vg_minisign_sk_generate(&sk), 0);
	vg_minisign_sk_public(&pk, sk);
	assert_int_equal(vg_minisign_pk_write(&b, &pk), 0);
	write_buf(&d, "k.pub", &b);
	vg_buf_clear(&b);
	assert_int_equal(vg_minisign_sk_write(&b, sk, NULL, 0), 0);
	write_buf(&d, "k.key", &b);
	vg_buf_clear(&b);
	assert_int_equal(vg_minisign_sk_write(&b, sk, "our pass", 8), 0);
	write_buf(&d, "e.key", &b);

	{
		const char *argv[] = {"minisign", "-S", "-s", key,	  "-m", msg,
				      "-x",	  sig,	"-t", interop_tc, NULL};
		assert_int_equal(run(argv, NULL, NULL), 0);
	}
	verify_stock_sig(&d, "k.pub", "m.minisig");
	{
		const char *argv[] = {"minisign", "-S", "-s", ekey,	  "-m", msg,
				      "-x",	  esig, "-t", interop_tc, NULL};
		assert_int_equal(run(argv, "our pass\n", NULL), 0);
	}
	verify_stock_sig(&d, "k.pub", "m.e.minisig");
	/* A wrong password is refused by stock too. */
	{
		const char *argv[] = {"minisign", "-S", "-s", ekey, "-m", msg, "-x", esig, NULL};
		assert_int_not_equal(vgt_run(argv, "not our pass\n", 13, NULL, NULL), 0);
	}
	/* Stock recreates the same public key line from our secret key file. */
	{
		const char *argv[] = {"minisign", "-R", "-s", key, "-p", rpub, NULL};
		assert_int_equal(run(argv, NULL, NULL), 0);
		read_into(&out, &d, "r.pub");
		vg_minisign_pk_encode(line, &pk);
		if (strstr((char *)out.ptr, line) == NULL)
			fail_msg("stock -R wrote '%s', expected the line %s", (char *)out.ptr,
				 line);
	}

	vg_buf_release(&b);
	vg_buf_release(&out);
	vg_minisign_sk_free(sk);
	free(pub);
	free(key);
	free(ekey);
	free(rpub);
	free(msg);
	free(sig);
	free(esig);
	vgt_rmrf(d.path);
	free(d.path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_generate_sign_verify),
	    cmocka_unit_test(test_raw_roundtrip),
	    cmocka_unit_test(test_pk_encode_parse),
	    cmocka_unit_test(test_sk_file_unencrypted),
	    cmocka_unit_test(test_sk_file_encrypted),
	    cmocka_unit_test(test_kat_verify),
	    cmocka_unit_test(test_kat_legacy),
	    cmocka_unit_test(test_kat_bitflips),
	    cmocka_unit_test(test_sig_strict),
	    cmocka_unit_test(test_kat_stock_encrypted_key),
	    cmocka_unit_test(test_interop_ours_to_stock),
	    cmocka_unit_test(test_interop_stock_to_ours),
	    cmocka_unit_test(test_interop_our_key_stock_signs),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
