/*
 * minisign key and signature files, byte-compatible with stock minisign 0.11.
 *
 * Layouts (all integers little-endian):
 *   public key  "Ed" || keynum (8) || pk (32)                                    42 bytes
 *   signature   "ED" or "Ed" || keynum (8) || sig (64)                           74 bytes
 *   secret key  "Ed" || kdf ("Sc" or 0 0) || "B2" || salt (32) || opslimit (8)
 *               || memlimit (8) || keynum (8) || sk (64) || chk (32)            158 bytes
 * where chk = BLAKE2b-256("Ed" || keynum || sk) and, for kdf "Sc", the 104 bytes from
 * keynum on are XORed with scrypt(passphrase, salt, opslimit, memlimit).
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "vigil/buf.h"
#include "vigil/error.h"
#include "vigil/id.h"
#include "vigil/minisign.h"

#define COMMENT_PREFIX	       "untrusted comment: "
#define TRUSTED_PREFIX	       "trusted comment: "
#define DEFAULT_SIG_COMMENT    "signature from minisign secret key"
#define SK_COMMENT_ENCRYPTED   "minisign encrypted secret key"
#define SK_COMMENT_UNENCRYPTED "minisign secret key"
#define B64_VARIANT	       sodium_base64_VARIANT_ORIGINAL

#define SK_BYTES	 crypto_sign_SECRETKEYBYTES
#define CHK_BYTES	 32
#define SALT_BYTES	 crypto_pwhash_scryptsalsa208sha256_SALTBYTES
#define PK_STRUCT_BYTES	 (2 + VG_MINISIGN_KEYNUM_BYTES + VG_MINISIGN_PK_BYTES)
#define SIG_STRUCT_BYTES (2 + VG_MINISIGN_KEYNUM_BYTES + VG_MINISIGN_SIG_BYTES)

/* Base64 lengths without the NUL. */
#define B64_LEN(n)	(sodium_base64_ENCODED_LEN((n), B64_VARIANT) - 1)
#define SIG_B64_LEN	B64_LEN(SIG_STRUCT_BYTES)
#define GLOBAL_B64_LEN	B64_LEN(VG_MINISIGN_SIG_BYTES)
#define SK_FILE_B64_LEN B64_LEN(sizeof(struct sk_file))

#if defined(VIGIL_TEST_KDF) && VIGIL_TEST_KDF
#define SK_OPSLIMIT crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_INTERACTIVE
#define SK_MEMLIMIT crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_INTERACTIVE
#else
#define SK_OPSLIMIT crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE
#define SK_MEMLIMIT crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE
#endif
/* What stock minisign writes, and so the most a key file may demand. */
#define SK_OPSLIMIT_MAX crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE
#define SK_MEMLIMIT_MAX crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE

struct vg_minisign_sk {
	uint8_t keynum[VG_MINISIGN_KEYNUM_BYTES];
	uint8_t sk[SK_BYTES];
};

/* The decoded secret key file; only uint8_t arrays, so no padding. */
struct sk_file {
	uint8_t sig_alg[2];
	uint8_t kdf_alg[2];
	uint8_t chk_alg[2];
	uint8_t salt[SALT_BYTES];
	uint8_t opslimit[8];
	uint8_t memlimit[8];
	uint8_t keynum[VG_MINISIGN_KEYNUM_BYTES];
	uint8_t sk[SK_BYTES];
	uint8_t chk[CHK_BYTES];
};

#define SK_SEALED_BYTES (VG_MINISIGN_KEYNUM_BYTES + SK_BYTES + CHK_BYTES)
_Static_assert(sizeof(struct sk_file) == 158, "minisign secret key layout");
_Static_assert(offsetof(struct sk_file, chk) + CHK_BYTES ==
		   offsetof(struct sk_file, keynum) + SK_SEALED_BYTES,
	       "keynum, sk and chk are contiguous");

/* Everything secret that reading or writing a key file touches, in one sodium_malloc. */
struct sk_scratch {
	struct sk_file f;
	uint8_t stream[SK_SEALED_BYTES];
	uint8_t chk[CHK_BYTES];
	char b64[SK_FILE_B64_LEN + 1];
	char check[SK_FILE_B64_LEN + 1];
};

static const uint8_t kdf_none[2] = {0, 0};

static uint64_t le64_load(const uint8_t *p)
{
	uint64_t x = 0;
	for (int i = 7; i >= 0; i--)
		x = (x << 8) | p[i];
	return x;
}

static void le64_store(uint8_t *p, uint64_t x)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(x >> (8 * i));
}

static int has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && memcmp(s, prefix, n) == 0;
}

/*
 * The line starting at *pos: its start and length without the LF. With need_lf the line
 * must end with an LF; without, it may also end at the end of the text. *pos moves past
 * the LF.
 */
static int next_line(const char **line, size_t *linelen, const char *text, size_t len, size_t *pos,
		     int need_lf, const char *what)
{
	const char *start, *lf;
	size_t rest = len - *pos;

	if (rest == 0)
		return vg_error_set(VG_EFORMAT, "malformed %s: missing line", what);
	start = text + *pos;
	lf = memchr(start, '\n', rest);
	if (lf == NULL) {
		if (need_lf)
			return vg_error_set(VG_EFORMAT, "malformed %s: missing newline", what);
		*line = start;
		*linelen = rest;
		*pos = len;
		return 0;
	}
	*line = start;
	*linelen = (size_t)(lf - start);
	*pos += *linelen + 1;
	return 0;
}

/* A comment as read: bounded, no CR, no NUL (LF cannot occur, lines are split on it). */
static int check_comment_read(const char *c, size_t n, const char *what)
{
	if (n > VG_MINISIGN_COMMENT_MAX)
		return vg_error_set(VG_EFORMAT, "malformed %s: comment longer than %d bytes", what,
				    VG_MINISIGN_COMMENT_MAX);
	if (memchr(c, '\r', n) != NULL)
		return vg_error_set(VG_EFORMAT, "malformed %s: carriage return in a comment", what);
	if (memchr(c, '\0', n) != NULL)
		return vg_error_set(VG_EFORMAT, "malformed %s: NUL byte in a comment", what);
	return 0;
}

/* A comment to be written: not NULL, at most max bytes, no CR, LF. */
static int check_comment_write(const char *c, size_t max, const char *what)
{
	size_t n;

	if (c == NULL)
		return vg_error_set(VG_EINVAL, "%s comment is missing", what);
	n = strnlen(c, max + 1);
	if (n > max)
		return vg_error_set(VG_EINVAL, "%s comment longer than %zu bytes", what, max);
	if (memchr(c, '\r', n) != NULL || memchr(c, '\n', n) != NULL)
		return vg_error_set(VG_EINVAL, "%s comment holds a line break", what);
	return 0;
}

/*
 * Decode exactly outlen bytes from the canonical base64 in[0..inlen): the exact length, no
 * characters ignored, and the re-encoding equal to the input (so no bits set in the
 * padding). check must hold B64_LEN(outlen) + 1 bytes; it and out (on failure) are wiped,
 * so both may hold secrets.
 */
static int b64_decode_exact(uint8_t *out, size_t outlen, const char *in, size_t inlen, char *check,
			    const char *what)
{
	size_t binlen = 0;
	const char *end = NULL;
	int rc = 0;

	if (inlen != B64_LEN(outlen)) {
		rc = vg_error_set(VG_EFORMAT, "malformed %s: %zu base64 characters, not %zu", what,
				  inlen, (size_t)B64_LEN(outlen));
		goto done;
	}
	if (sodium_base642bin(out, outlen, in, inlen, NULL, &binlen, &end, B64_VARIANT) != 0 ||
	    end != in + inlen || binlen != outlen) {
		rc = vg_error_set(VG_EFORMAT, "malformed %s: invalid base64", what);
		goto done;
	}
	sodium_bin2base64(check, inlen + 1, out, outlen, B64_VARIANT);
	if (sodium_memcmp(check, in, inlen) != 0)
		rc = vg_error_set(VG_EFORMAT, "malformed %s: non-canonical base64", what);
done:
	sodium_memzero(check, B64_LEN(outlen) + 1);
	if (rc < 0)
		sodium_memzero(out, outlen);
	return rc;
}

static void keynum_chk(uint8_t chk[CHK_BYTES], const struct sk_file *f)
{
	crypto_generichash_state st;

	crypto_generichash_init(&st, NULL, 0, CHK_BYTES);
	crypto_generichash_update(&st, f->sig_alg, sizeof(f->sig_alg));
	crypto_generichash_update(&st, f->keynum, sizeof(f->keynum));
	crypto_generichash_update(&st, f->sk, sizeof(f->sk));
	crypto_generichash_final(&st, chk, CHK_BYTES);
	sodium_memzero(&st, sizeof(st));
}

static int sk_alloc(struct vg_minisign_sk **out)
{
	*out = sodium_malloc(sizeof(**out));
	if (*out == NULL)
		return vg_error_set(VG_ENOMEM, "cannot allocate a secret key");
	return 0;
}

/* Rebuild sk from its seed into key and check that the public half is the one given. */
static int sk_from_seed(struct vg_minisign_sk *key, const uint8_t keynum[8],
			const uint8_t sk[SK_BYTES])
{
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];

	memcpy(key->keynum, keynum, VG_MINISIGN_KEYNUM_BYTES);
	if (crypto_sign_seed_keypair(pk, key->sk, sk) != 0 ||
	    sodium_memcmp(pk, sk + crypto_sign_SEEDBYTES, sizeof(pk)) != 0) {
		sodium_memzero(key->sk, sizeof(key->sk));
		return vg_error_set(VG_EFORMAT,
				    "minisign secret key does not match its public key");
	}
	return 0;
}

int vg_minisign_sk_generate(struct vg_minisign_sk **out)
{
	struct vg_minisign_sk *key = NULL;
	uint8_t pk[crypto_sign_PUBLICKEYBYTES];
	int rc;

	*out = NULL;
	if ((rc = sk_alloc(&key)) < 0)
		return rc;
	if (crypto_sign_keypair(pk, key->sk) != 0) {
		sodium_free(key);
		return vg_error_set(VG_ERROR, "cannot generate a key pair");
	}
	vg_id_keynum(key->keynum, pk); /* FORMAT.md section 2: derived, not chosen */
	*out = key;
	return 0;
}

int vg_minisign_sk_from_raw(struct vg_minisign_sk **out, const uint8_t *raw)
{
	struct vg_minisign_sk *key = NULL;
	int rc;

	*out = NULL;
	if ((rc = sk_alloc(&key)) < 0)
		return rc;
	if ((rc = sk_from_seed(key, raw, raw + VG_MINISIGN_KEYNUM_BYTES)) < 0) {
		sodium_free(key);
		return rc;
	}
	*out = key;
	return 0;
}

void vg_minisign_sk_to_raw(uint8_t *out, const struct vg_minisign_sk *sk)
{
	memcpy(out, sk->keynum, VG_MINISIGN_KEYNUM_BYTES);
	memcpy(out + VG_MINISIGN_KEYNUM_BYTES, sk->sk, SK_BYTES);
}

void vg_minisign_sk_public(struct vg_minisign_pk *out, const struct vg_minisign_sk *sk)
{
	memcpy(out->keynum, sk->keynum, VG_MINISIGN_KEYNUM_BYTES);
	crypto_sign_ed25519_sk_to_pk(out->pk, sk->sk);
}

void vg_minisign_sk_free(struct vg_minisign_sk *sk)
{
	sodium_free(sk); /* accepts NULL, wipes */
}

/* scrypt keystream over keynum || sk || chk. */
static int sk_stream(struct sk_scratch *s, const char *pass, size_t passlen)
{
	unsigned long long ops = le64_load(s->f.opslimit);
	unsigned long long mem = le64_load(s->f.memlimit);

	if (crypto_pwhash_scryptsalsa208sha256(s->stream, sizeof(s->stream), pass, passlen,
					       s->f.salt, ops, (size_t)mem) != 0)
		return vg_error_set(VG_ENOMEM,
				    "cannot derive a key from the passphrase (scrypt opslimit "
				    "%llu, memlimit %llu)",
				    ops, mem);
	return 0;
}

static void xor_sealed(struct sk_scratch *s)
{
	uint8_t *p = s->f.keynum;
	for (size_t i = 0; i < SK_SEALED_BYTES; i++)
		p[i] ^= s->stream[i];
}

int vg_minisign_sk_write(struct vg_buf *out, const struct vg_minisign_sk *sk, const char *pass,
			 size_t passlen)
{
	struct sk_scratch *s = NULL;
	size_t old = out->len;
	int rc = 0;

	if (pass != NULL && passlen == 0)
		return vg_error_set(VG_EINVAL, "empty passphrase for a minisign secret key");
	if ((s = sodium_malloc(sizeof(*s))) == NULL)
		return vg_error_set(VG_ENOMEM, "cannot allocate a secret key");
	sodium_memzero(s, sizeof(*s));
	memcpy(s->f.sig_alg, "Ed", 2);
	memcpy(s->f.chk_alg, "B2", 2);
	memcpy(s->f.keynum, sk->keynum, sizeof(s->f.keynum));
	memcpy(s->f.sk, sk->sk, sizeof(s->f.sk));
	keynum_chk(s->f.chk, &s->f);
	if (pass == NULL) {
		memcpy(s->f.kdf_alg, kdf_none, 2);
	} else {
		memcpy(s->f.kdf_alg, "Sc", 2);
		randombytes_buf(s->f.salt, sizeof(s->f.salt));
		le64_store(s->f.opslimit, SK_OPSLIMIT);
		le64_store(s->f.memlimit, SK_MEMLIMIT);
		if ((rc = sk_stream(s, pass, passlen)) < 0)
			goto done;
		xor_sealed(s);
	}
	sodium_bin2base64(s->b64, sizeof(s->b64), (const uint8_t *)&s->f, sizeof(s->f),
			  B64_VARIANT);
	rc = vg_buf_printf(out, COMMENT_PREFIX "%s\n%s\n",
			   pass != NULL ? SK_COMMENT_ENCRYPTED : SK_COMMENT_UNENCRYPTED, s->b64);
done:
	if (rc < 0)
		vg_buf_truncate(out, old);
	sodium_free(s);
	return rc;
}

int vg_minisign_sk_parse(struct vg_minisign_sk **out, const char *text, size_t len,
			 const char *pass, size_t passlen)
{
	static const char what[] = "minisign secret key";
	struct sk_scratch *s = NULL;
	struct vg_minisign_sk *key = NULL;
	const char *line;
	size_t linelen, pos = 0;
	int rc = 0;

	*out = NULL;
	if ((rc = next_line(&line, &linelen, text, len, &pos, 1, what)) < 0)
		return rc;
	if (!has_prefix(line, linelen, COMMENT_PREFIX))
		return vg_error_set(VG_EFORMAT, "malformed %s: no untrusted comment line", what);
	if ((rc = check_comment_read(line + strlen(COMMENT_PREFIX),
				     linelen - strlen(COMMENT_PREFIX), what)) < 0)
		return rc;
	if ((rc = next_line(&line, &linelen, text, len, &pos, 0, what)) < 0)
		return rc;
	if (pos != len)
		return vg_error_set(VG_EFORMAT, "malformed %s: trailing data", what);

	if ((s = sodium_malloc(sizeof(*s))) == NULL)
		return vg_error_set(VG_ENOMEM, "cannot allocate a secret key");
	if ((rc = b64_decode_exact((uint8_t *)&s->f, sizeof(s->f), line, linelen, s->check, what)) <
	    0)
		goto done;
	if (memcmp(s->f.sig_alg, "Ed", 2) != 0) {
		rc =
		    vg_error_set(VG_EFORMAT, "malformed %s: unsupported signature algorithm", what);
		goto done;
	}
	if (memcmp(s->f.chk_alg, "B2", 2) != 0) {
		rc = vg_error_set(VG_EFORMAT, "malformed %s: unsupported checksum algorithm", what);
		goto done;
	}
	if (memcmp(s->f.kdf_alg, "Sc", 2) == 0) {
		uint64_t ops = le64_load(s->f.opslimit), mem = le64_load(s->f.memlimit);
		if (ops > SK_OPSLIMIT_MAX || mem > SK_MEMLIMIT_MAX) {
			rc = vg_error_set(VG_ELIMIT,
					  "%s demands scrypt opslimit %" PRIu64
					  ", memlimit %" PRIu64 ", above %llu, %zu",
					  what, ops, mem, (unsigned long long)SK_OPSLIMIT_MAX,
					  (size_t)SK_MEMLIMIT_MAX);
			goto done;
		}
		if (pass == NULL) {
			rc = vg_error_set(VG_EAUTH, "%s is encrypted and no passphrase was given",
					  what);
			goto done;
		}
		if ((rc = sk_stream(s, pass, passlen)) < 0)
			goto done;
		xor_sealed(s);
		keynum_chk(s->chk, &s->f);
		if (crypto_verify_32(s->chk, s->f.chk) != 0) {
			rc = vg_error_set(VG_EAUTH, "wrong passphrase for %s", what);
			goto done;
		}
	} else if (memcmp(s->f.kdf_alg, kdf_none, 2) == 0) {
		/* `minisign -G -W` leaves the checksum zero; `minisign -C -W` keeps it. */
		keynum_chk(s->chk, &s->f);
		if (!sodium_is_zero(s->f.chk, sizeof(s->f.chk)) &&
		    crypto_verify_32(s->chk, s->f.chk) != 0) {
			rc = vg_error_set(VG_EFORMAT, "malformed %s: checksum mismatch", what);
			goto done;
		}
	} else {
		rc = vg_error_set(VG_EFORMAT, "malformed %s: unsupported key derivation", what);
		goto done;
	}
	if ((rc = sk_alloc(&key)) < 0)
		goto done;
	if ((rc = sk_from_seed(key, s->f.keynum, s->f.sk)) < 0)
		goto done;
	*out = key;
	key = NULL;
done:
	sodium_free(key);
	sodium_free(s);
	return rc;
}

void vg_minisign_pk_encode(char *out, const struct vg_minisign_pk *pk)
{
	uint8_t raw[PK_STRUCT_BYTES];

	memcpy(raw, "Ed", 2);
	memcpy(raw + 2, pk->keynum, VG_MINISIGN_KEYNUM_BYTES);
	memcpy(raw + 2 + VG_MINISIGN_KEYNUM_BYTES, pk->pk, VG_MINISIGN_PK_BYTES);
	sodium_bin2base64(out, VG_MINISIGN_PK_B64_LEN + 1, raw, sizeof(raw), B64_VARIANT);
}

_Static_assert(VG_MINISIGN_PK_B64_LEN == B64_LEN(PK_STRUCT_BYTES), "public key line length");

int vg_minisign_pk_write(struct vg_buf *out, const struct vg_minisign_pk *pk)
{
	char b64[VG_MINISIGN_PK_B64_LEN + 1];
	size_t old = out->len;
	int rc;

	vg_minisign_pk_encode(b64, pk);
	rc = vg_buf_printf(out, COMMENT_PREFIX "minisign public key %016" PRIX64 "\n%s\n",
			   le64_load(pk->keynum), b64);
	if (rc < 0)
		vg_buf_truncate(out, old);
	return rc;
}

int vg_minisign_pk_parse(struct vg_minisign_pk *out, const char *text, size_t len)
{
	static const char what[] = "minisign public key";
	uint8_t raw[PK_STRUCT_BYTES];
	char check[VG_MINISIGN_PK_B64_LEN + 1];
	const char *line;
	size_t linelen, pos = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (has_prefix(text, len, COMMENT_PREFIX)) {
		if ((rc = next_line(&line, &linelen, text, len, &pos, 1, what)) < 0)
			return rc;
		if ((rc = check_comment_read(line + strlen(COMMENT_PREFIX),
					     linelen - strlen(COMMENT_PREFIX), what)) < 0)
			return rc;
	}
	if ((rc = next_line(&line, &linelen, text, len, &pos, 0, what)) < 0)
		return rc;
	if (pos != len)
		return vg_error_set(VG_EFORMAT, "malformed %s: trailing data", what);
	if ((rc = b64_decode_exact(raw, sizeof(raw), line, linelen, check, what)) < 0)
		return rc;
	if (memcmp(raw, "Ed", 2) != 0)
		return vg_error_set(VG_EFORMAT, "malformed %s: unsupported signature algorithm",
				    what);
	memcpy(out->keynum, raw + 2, VG_MINISIGN_KEYNUM_BYTES);
	memcpy(out->pk, raw + 2 + VG_MINISIGN_KEYNUM_BYTES, VG_MINISIGN_PK_BYTES);
	return 0;
}

void vg_minisign_hash(uint8_t out[VG_MINISIGN_HASH_BYTES], const uint8_t *msg, size_t len)
{
	crypto_generichash(out, VG_MINISIGN_HASH_BYTES, msg, len, NULL, 0);
}

int vg_minisign_sign_hashed(struct vg_buf *out, const struct vg_minisign_sk *sk,
			    const uint8_t hash[VG_MINISIGN_HASH_BYTES], const char *untrusted,
			    const char *trusted)
{
	uint8_t sig[SIG_STRUCT_BYTES];
	uint8_t global[VG_MINISIGN_SIG_BYTES];
	uint8_t signed_tc[VG_MINISIGN_SIG_BYTES + VG_MINISIGN_COMMENT_MAX];
	char sig_b64[SIG_B64_LEN + 1], global_b64[GLOBAL_B64_LEN + 1];
	size_t tclen, old = out->len;
	int rc;

	if (untrusted == NULL)
		untrusted = DEFAULT_SIG_COMMENT;
	if ((rc = check_comment_write(untrusted, VG_MINISIGN_UNTRUSTED_WRITE_MAX, "untrusted")) <
		0 ||
	    (rc = check_comment_write(trusted, VG_MINISIGN_COMMENT_MAX, "trusted")) < 0)
		return rc;
	tclen = strlen(trusted);

	memcpy(sig, "ED", 2);
	memcpy(sig + 2, sk->keynum, VG_MINISIGN_KEYNUM_BYTES);
	crypto_sign_detached(sig + 2 + VG_MINISIGN_KEYNUM_BYTES, NULL, hash, VG_MINISIGN_HASH_BYTES,
			     sk->sk);
	memcpy(signed_tc, sig + 2 + VG_MINISIGN_KEYNUM_BYTES, VG_MINISIGN_SIG_BYTES);
	memcpy(signed_tc + VG_MINISIGN_SIG_BYTES, trusted, tclen);
	crypto_sign_detached(global, NULL, signed_tc, VG_MINISIGN_SIG_BYTES + tclen, sk->sk);

	sodium_bin2base64(sig_b64, sizeof(sig_b64), sig, sizeof(sig), B64_VARIANT);
	sodium_bin2base64(global_b64, sizeof(global_b64), global, sizeof(global), B64_VARIANT);
	rc = vg_buf_printf(out, COMMENT_PREFIX "%s\n%s\n" TRUSTED_PREFIX "%s\n%s\n", untrusted,
			   sig_b64, trusted, global_b64);
	if (rc < 0)
		vg_buf_truncate(out, old);
	return rc;
}

int vg_minisign_sign(struct vg_buf *out, const struct vg_minisign_sk *sk, const uint8_t *msg,
		     size_t len, const char *untrusted, const char *trusted)
{
	uint8_t hash[VG_MINISIGN_HASH_BYTES];

	vg_minisign_hash(hash, msg, len);
	return vg_minisign_sign_hashed(out, sk, hash, untrusted, trusted);
}

/* Parse "<prefix><comment>\n" at *pos into dst (NUL-terminated). */
static int parse_comment_line(char dst[VG_MINISIGN_COMMENT_MAX + 1], const char *text, size_t len,
			      size_t *pos, const char *prefix, const char *what)
{
	const char *line;
	size_t linelen, n;
	int rc;

	if ((rc = next_line(&line, &linelen, text, len, pos, 1, what)) < 0)
		return rc;
	if (!has_prefix(line, linelen, prefix))
		return vg_error_set(VG_EFORMAT, "malformed %s: line does not start with '%s'", what,
				    prefix);
	n = linelen - strlen(prefix);
	if ((rc = check_comment_read(line + strlen(prefix), n, what)) < 0)
		return rc;
	memcpy(dst, line + strlen(prefix), n);
	dst[n] = '\0';
	return 0;
}

static int sig_parse(struct vg_minisig *out, const char *text, size_t len)
{
	static const char what[] = "minisign signature";
	uint8_t raw[SIG_STRUCT_BYTES];
	char check[SIG_B64_LEN + 1];
	const char *line;
	size_t linelen, pos = 0;
	int rc;

	if ((rc = parse_comment_line(out->untrusted, text, len, &pos, COMMENT_PREFIX, what)) < 0)
		return rc;
	if ((rc = next_line(&line, &linelen, text, len, &pos, 1, what)) < 0 ||
	    (rc = b64_decode_exact(raw, sizeof(raw), line, linelen, check, what)) < 0)
		return rc;
	if (memcmp(raw, "ED", 2) != 0 && memcmp(raw, "Ed", 2) != 0)
		return vg_error_set(VG_EFORMAT, "malformed %s: unknown signature algorithm", what);
	memcpy(out->alg, raw, 2);
	memcpy(out->keynum, raw + 2, VG_MINISIGN_KEYNUM_BYTES);
	memcpy(out->sig, raw + 2 + VG_MINISIGN_KEYNUM_BYTES, VG_MINISIGN_SIG_BYTES);
	if ((rc = parse_comment_line(out->trusted, text, len, &pos, TRUSTED_PREFIX, what)) < 0)
		return rc;
	if ((rc = next_line(&line, &linelen, text, len, &pos, 1, what)) < 0 ||
	    (rc = b64_decode_exact(out->global_sig, sizeof(out->global_sig), line, linelen, check,
				   what)) < 0)
		return rc;
	if (pos != len)
		return vg_error_set(VG_EFORMAT, "malformed %s: data after the fourth line", what);
	return 0;
}

int vg_minisign_sig_parse(struct vg_minisig *out, const char *text, size_t len)
{
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = sig_parse(out, text, len)) < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* Key number, then the signature over m, then the global signature. */
static int verify_parts(const struct vg_minisig *sig, const struct vg_minisign_pk *pk,
			const uint8_t *m, size_t mlen)
{
	uint8_t signed_tc[VG_MINISIGN_SIG_BYTES + VG_MINISIGN_COMMENT_MAX];
	size_t tclen;

	if (crypto_sign_verify_detached(sig->sig, m, mlen, pk->pk) != 0)
		return vg_error_set(VG_EBADSIG, "signature verification failed for key %016" PRIX64,
				    le64_load(pk->keynum));
	tclen = strnlen(sig->trusted, sizeof(sig->trusted));
	if (tclen > VG_MINISIGN_COMMENT_MAX)
		return vg_error_set(VG_EINVAL, "trusted comment is not terminated");
	memcpy(signed_tc, sig->sig, VG_MINISIGN_SIG_BYTES);
	memcpy(signed_tc + VG_MINISIGN_SIG_BYTES, sig->trusted, tclen);
	if (crypto_sign_verify_detached(sig->global_sig, signed_tc, VG_MINISIGN_SIG_BYTES + tclen,
					pk->pk) != 0)
		return vg_error_set(VG_EBADSIG,
				    "global signature over the trusted comment failed for key "
				    "%016" PRIX64,
				    le64_load(pk->keynum));
	return 0;
}

static int check_keynum(const struct vg_minisig *sig, const struct vg_minisign_pk *pk)
{
	if (memcmp(sig->keynum, pk->keynum, VG_MINISIGN_KEYNUM_BYTES) != 0)
		return vg_error_set(
		    VG_EBADSIG, "key id mismatch: signature by %016" PRIX64 ", key is %016" PRIX64,
		    le64_load(sig->keynum), le64_load(pk->keynum));
	return 0;
}

int vg_minisign_verify(const struct vg_minisig *sig, const struct vg_minisign_pk *pk,
		       const uint8_t *msg, size_t len, unsigned flags)
{
	uint8_t hash[VG_MINISIGN_HASH_BYTES];
	int rc;

	if ((rc = check_keynum(sig, pk)) < 0)
		return rc;
	if (memcmp(sig->alg, "ED", 2) == 0) {
		vg_minisign_hash(hash, msg, len);
		return verify_parts(sig, pk, hash, sizeof(hash));
	}
	if (memcmp(sig->alg, "Ed", 2) == 0) {
		if (!(flags & VG_MINISIGN_ALLOW_LEGACY))
			return vg_error_set(VG_EBADSIG,
					    "legacy algorithm 'Ed' (no prehash) is not accepted");
		return verify_parts(sig, pk, msg, len);
	}
	return vg_error_set(VG_EBADSIG, "unknown signature algorithm");
}

int vg_minisign_verify_hashed(const struct vg_minisig *sig, const struct vg_minisign_pk *pk,
			      const uint8_t hash[VG_MINISIGN_HASH_BYTES])
{
	int rc;

	if ((rc = check_keynum(sig, pk)) < 0)
		return rc;
	if (memcmp(sig->alg, "ED", 2) != 0)
		return vg_error_set(VG_EBADSIG, "algorithm '%.2s' cannot be verified from a hash",
				    memcmp(sig->alg, "Ed", 2) == 0 ? "Ed" : "??");
	return verify_parts(sig, pk, hash, VG_MINISIGN_HASH_BYTES);
}
