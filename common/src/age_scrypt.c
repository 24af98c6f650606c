/*
 * age files with one scrypt stanza (common/FORMAT.md, "Passphrase-encrypted identity files").
 *
 * An age payload depends only on the file key (its key is HKDF(file key, nonce)), never on
 * the header. So the payload is produced by age.c's own STREAM code, encrypting to a
 * throwaway X25519 recipient and keeping the file key, and the header is then written
 * here with the file key wrapped in an scrypt stanza and a header MAC of its own. Decryption
 * checks the scrypt header and its MAC here, then hands the payload to age.c behind a
 * stand-in header that carries the same file key's MAC, so the payload is authenticated by
 * the one STREAM implementation.
 */
#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "vigil/age.h"
#include "vigil/age_scrypt.h"
#include "vigil/error.h"

#define INTRO	       "age-encryption.org/v1\n"
#define INTRO_LEN      (sizeof(INTRO) - 1)
#define SCRYPT_LABEL   "age-encryption.org/v1/scrypt"
#define SCRYPT_PREFIX  "-> scrypt "
#define SALT_BYTES     16
#define SALT_B64_LEN   22
#define BODY_BYTES     (VG_AGE_FILE_KEY_BYTES + crypto_aead_chacha20poly1305_IETF_ABYTES)
#define B64_32_LEN     43
#define SCRYPT_R       8
#define SCRYPT_P       1
#define WRAP_KEY_BYTES 32

/* Every secret of one operation, in one guarded block wiped on free. */
struct scrypt_secrets {
	uint8_t file_key[VG_AGE_FILE_KEY_BYTES];
	uint8_t wrap_key[WRAP_KEY_BYTES];
	uint8_t mac_key[32];
	uint8_t prk[32];
	crypto_auth_hmacsha256_state hmac;
};

static const uint8_t zero_nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];

static struct scrypt_secrets *secrets_new(void)
{
	struct scrypt_secrets *s = sodium_malloc(sizeof(*s));

	if (s == NULL) {
		vg_error_set(VG_ENOMEM, "cannot allocate guarded memory");
		return NULL;
	}
	sodium_memzero(s, sizeof(*s));
	return s;
}

/* HKDF-SHA-256 with an empty salt and a 32-byte output, as age's header MAC key needs. */
static void header_mac(uint8_t mac[32], struct scrypt_secrets *s, const uint8_t *hdr, size_t len)
{
	static const uint8_t one = 1, empty[1];

	crypto_auth_hmacsha256_init(&s->hmac, empty, 0);
	crypto_auth_hmacsha256_update(&s->hmac, s->file_key, sizeof(s->file_key));
	crypto_auth_hmacsha256_final(&s->hmac, s->prk);
	crypto_auth_hmacsha256_init(&s->hmac, s->prk, sizeof(s->prk));
	crypto_auth_hmacsha256_update(&s->hmac, (const uint8_t *)"header", 6);
	crypto_auth_hmacsha256_update(&s->hmac, &one, 1);
	crypto_auth_hmacsha256_final(&s->hmac, s->mac_key);
	crypto_auth_hmacsha256(mac, hdr, len, s->mac_key);
	sodium_memzero(s->prk, sizeof(s->prk));
	sodium_memzero(s->mac_key, sizeof(s->mac_key));
	sodium_memzero(&s->hmac, sizeof(s->hmac));
}

/* The wrapping key: scrypt(passphrase, "age-encryption.org/v1/scrypt" || salt, 2^log_n, 8, 1). */
static int derive(struct scrypt_secrets *s, const char *pass, size_t passlen,
		  const uint8_t salt[SALT_BYTES], unsigned log_n)
{
	uint8_t full[sizeof(SCRYPT_LABEL) - 1 + SALT_BYTES];

	memcpy(full, SCRYPT_LABEL, sizeof(SCRYPT_LABEL) - 1);
	memcpy(full + sizeof(SCRYPT_LABEL) - 1, salt, SALT_BYTES);
	if (crypto_pwhash_scryptsalsa208sha256_ll((const uint8_t *)pass, passlen, full,
						  sizeof(full), (uint64_t)1 << log_n, SCRYPT_R,
						  SCRYPT_P, s->wrap_key, sizeof(s->wrap_key)) != 0)
		return vg_error_set(VG_ENOMEM, "scrypt failed (out of memory?)");
	return 0;
}

static int put_b64(struct vg_buf *b, const uint8_t *bin, size_t len)
{
	char tmp[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];

	sodium_bin2base64(tmp, sizeof(tmp), bin, len, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	return vg_buf_puts(b, tmp);
}

/* Exactly slen characters of canonical unpadded base64 of exactly len bytes. */
static int b64_exact(uint8_t *out, size_t len, const char *s, size_t slen)
{
	char again[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];
	size_t got = 0;

	if (slen != sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL_NO_PADDING) - 1 ||
	    sodium_base642bin(out, len, s, slen, NULL, &got, NULL,
			      sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
	    got != len)
		return -1;
	sodium_bin2base64(again, sizeof(again), out, len,
			  sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	return memcmp(again, s, slen) == 0 ? 0 : -1;
}

int vg_age_scrypt_encrypt(struct vg_buf *out, const uint8_t *pt, size_t len, const char *pass,
			  size_t passlen)
{
	struct vg_buf tmp = VG_BUF_INIT, hdr = VG_BUF_INIT;
	struct vg_age_identity *eph = NULL;
	struct vg_age_recipient rcpt;
	struct vg_age_header *h = NULL;
	struct scrypt_secrets *s = NULL;
	uint8_t salt[SALT_BYTES], body[BODY_BYTES], mac[32];
	char logn[8];
	size_t out_len0 = out->len;
	int rc;

	if (pass == NULL || passlen == 0)
		return vg_error_set(VG_EINVAL, "an empty passphrase encrypts nothing");
	if ((pt == NULL && len > 0) || len > VG_AGE_SCRYPT_PLAINTEXT_MAX)
		return vg_error_set(VG_EINVAL, "passphrase-encrypted input larger than %d bytes",
				    VG_AGE_SCRYPT_PLAINTEXT_MAX);
	if ((s = secrets_new()) == NULL)
		return VG_ENOMEM;
	/* The payload, from age.c, under a fresh file key it hands back. */
	if ((rc = vg_age_identity_generate(&eph)) < 0)
		goto done;
	vg_age_identity_recipient(&rcpt, eph);
	if ((rc = vg_age_encrypt(&tmp, s->file_key, &rcpt, 1, pt, len)) < 0 ||
	    (rc = vg_age_header_parse(&h, tmp.ptr, tmp.len)) < 0)
		goto done;

	randombytes_buf(salt, sizeof(salt));
	if ((rc = derive(s, pass, passlen, salt, VG_AGE_SCRYPT_LOG_N)) < 0)
		goto done;
	crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, s->file_key, sizeof(s->file_key),
						  NULL, 0, NULL, zero_nonce, s->wrap_key);
	sodium_memzero(s->wrap_key, sizeof(s->wrap_key));
	snprintf(logn, sizeof(logn), "%d", VG_AGE_SCRYPT_LOG_N);
	if ((rc = vg_buf_puts(&hdr, INTRO SCRYPT_PREFIX)) < 0 ||
	    (rc = put_b64(&hdr, salt, sizeof(salt))) < 0 || (rc = vg_buf_putc(&hdr, ' ')) < 0 ||
	    (rc = vg_buf_puts(&hdr, logn)) < 0 || (rc = vg_buf_putc(&hdr, '\n')) < 0 ||
	    (rc = put_b64(&hdr, body, sizeof(body))) < 0 || (rc = vg_buf_puts(&hdr, "\n---")) < 0)
		goto done;
	header_mac(mac, s, hdr.ptr, hdr.len);
	if ((rc = vg_buf_putc(&hdr, ' ')) < 0 || (rc = put_b64(&hdr, mac, sizeof(mac))) < 0 ||
	    (rc = vg_buf_putc(&hdr, '\n')) < 0 || (rc = vg_buf_put(out, hdr.ptr, hdr.len)) < 0 ||
	    (rc = vg_buf_put(out, tmp.ptr + h->len, tmp.len - h->len)) < 0)
		goto done;
	rc = 0;
done:
	if (rc < 0)
		vg_buf_truncate(out, out_len0);
	sodium_free(s); /* wipes */
	vg_age_identity_free(eph);
	vg_age_header_free(h);
	vg_buf_release(&tmp);
	vg_buf_release(&hdr);
	return rc;
}

/* One LF-terminated line at *off; *line and *n exclude the LF. */
static int next_line(const uint8_t *p, size_t len, size_t *off, const char **line, size_t *n)
{
	const uint8_t *nl;

	if (*off >= len || (nl = memchr(p + *off, '\n', len - *off)) == NULL)
		return -1;
	*line = (const char *)p + *off;
	*n = (size_t)(nl - (p + *off));
	*off += *n + 1;
	return 0;
}

/* "-> scrypt SALT LOGN": the salt and the work factor, strictly. */
static int parse_stanza_line(uint8_t salt[SALT_BYTES], unsigned *log_n, const char *line, size_t n)
{
	const size_t plen = sizeof(SCRYPT_PREFIX) - 1;
	const char *p;
	size_t digits;
	unsigned v = 0;

	if (n < 2 || memcmp(line, "->", 2) != 0)
		return vg_error_set(VG_EFORMAT, "age header: expected a stanza");
	if (n < plen || memcmp(line, SCRYPT_PREFIX, plen) != 0)
		return vg_error_set(VG_EUNSUPPORTED, "age file is not passphrase-encrypted (its "
						     "first stanza is not scrypt)");
	if (n < plen + SALT_B64_LEN + 2 || line[plen + SALT_B64_LEN] != ' ' ||
	    b64_exact(salt, SALT_BYTES, line + plen, SALT_B64_LEN) < 0)
		return vg_error_set(VG_EFORMAT, "age header: scrypt salt is not canonical base64 "
						"of 16 bytes");
	p = line + plen + SALT_B64_LEN + 1;
	digits = n - (size_t)(p - line);
	if (digits == 0 || digits > 2 || p[0] == '0')
		return vg_error_set(VG_EFORMAT, "age header: bad scrypt work factor");
	for (size_t i = 0; i < digits; i++) {
		if (p[i] < '0' || p[i] > '9')
			return vg_error_set(VG_EFORMAT, "age header: bad scrypt work factor");
		v = v * 10 + (unsigned)(p[i] - '0');
	}
	if (v > VG_AGE_SCRYPT_LOG_N_MAX)
		return vg_error_set(VG_ELIMIT, "age scrypt work factor %u is above the cap of %d",
				    v, VG_AGE_SCRYPT_LOG_N_MAX);
	*log_n = v;
	return 0;
}

int vg_age_scrypt_decrypt(struct vg_buf *pt_out, const uint8_t *ct, size_t len, const char *pass,
			  size_t passlen)
{
	struct vg_buf stand_in = VG_BUF_INIT;
	struct scrypt_secrets *s = NULL;
	uint8_t salt[SALT_BYTES], body[BODY_BYTES], mac[32], want[32], zero[32] = {0};
	const char *line;
	size_t off = INTRO_LEN, n, mac_input;
	unsigned log_n = 0;
	int rc;

	if (pass == NULL || passlen == 0)
		return vg_error_set(VG_EINVAL, "no passphrase given");
	if (ct == NULL || len < INTRO_LEN || memcmp(ct, INTRO, INTRO_LEN) != 0)
		return vg_error_set(VG_EFORMAT, "not a binary age v1 file");
	if (len > VG_AGE_SCRYPT_PLAINTEXT_MAX + 4096)
		return vg_error_set(VG_ELIMIT, "passphrase-encrypted file larger than %d bytes",
				    VG_AGE_SCRYPT_PLAINTEXT_MAX + 4096);
	if (next_line(ct, len, &off, &line, &n) < 0)
		return vg_error_set(VG_EFORMAT, "age header: truncated");
	if ((rc = parse_stanza_line(salt, &log_n, line, n)) < 0)
		return rc;
	if (next_line(ct, len, &off, &line, &n) < 0 || b64_exact(body, sizeof(body), line, n) < 0)
		return vg_error_set(VG_EFORMAT, "age header: scrypt stanza body is not canonical "
						"base64 of 32 bytes");
	if (next_line(ct, len, &off, &line, &n) < 0)
		return vg_error_set(VG_EFORMAT, "age header: truncated");
	if (n >= 2 && memcmp(line, "->", 2) == 0)
		return vg_error_set(VG_EFORMAT, "age header: an scrypt stanza must be the only "
						"stanza");
	if (n != 4 + B64_32_LEN || memcmp(line, "--- ", 4) != 0 ||
	    b64_exact(want, sizeof(want), line + 4, B64_32_LEN) < 0)
		return vg_error_set(VG_EFORMAT, "age header: malformed MAC line");
	mac_input = (size_t)(line - (const char *)ct) + 3;

	if ((s = secrets_new()) == NULL)
		return VG_ENOMEM;
	if ((rc = derive(s, pass, passlen, salt, log_n)) < 0)
		goto done;
	if (crypto_aead_chacha20poly1305_ietf_decrypt(s->file_key, NULL, NULL, body, sizeof(body),
						      NULL, 0, zero_nonce, s->wrap_key) != 0) {
		rc = vg_error_set(VG_EAUTH, "wrong passphrase");
		goto done;
	}
	header_mac(mac, s, ct, mac_input);
	if (crypto_verify_32(mac, want) != 0) {
		rc = vg_error_set(VG_EMAC, "age header: MAC mismatch (altered header)");
		goto done;
	}
	/* The payload behind a stand-in header under the same file key (see the top). */
	if ((rc = vg_buf_puts(&stand_in, INTRO "-> X25519 ")) < 0 ||
	    (rc = put_b64(&stand_in, zero, 32)) < 0 || (rc = vg_buf_putc(&stand_in, '\n')) < 0 ||
	    (rc = put_b64(&stand_in, zero, 32)) < 0 || (rc = vg_buf_puts(&stand_in, "\n---")) < 0)
		goto done;
	header_mac(mac, s, stand_in.ptr, stand_in.len);
	if ((rc = vg_buf_putc(&stand_in, ' ')) < 0 ||
	    (rc = put_b64(&stand_in, mac, sizeof(mac))) < 0 ||
	    (rc = vg_buf_putc(&stand_in, '\n')) < 0 ||
	    (rc = vg_buf_put(&stand_in, ct + off, len - off)) < 0)
		goto done;
	rc = vg_age_decrypt_with_key(pt_out, s->file_key, stand_in.ptr, stand_in.len);
done:
	sodium_free(s); /* wipes */
	sodium_memzero(body, sizeof(body));
	vg_buf_release(&stand_in);
	return rc;
}
