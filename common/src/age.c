#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "bech32.h"
#include "vigil/buf.h"
#include "vigil/age.h"
#include "vigil/error.h"

#define INTRO		    "age-encryption.org/v1\n"
#define INTRO_LEN	    (sizeof(INTRO) - 1)
#define VERSION_PREFIX	    "age-encryption.org/"
#define TAG_BYTES	    crypto_aead_chacha20poly1305_IETF_ABYTES
#define CT_CHUNK_BYTES	    (VG_AGE_CHUNK_BYTES + TAG_BYTES)
#define PAYLOAD_NONCE_BYTES 16
#define MAC_B64_LEN	    43
/* After the MAC'd "---": a space, the base64 MAC and the newline. */
#define MAC_LINE_TAIL	 (1 + MAC_B64_LEN + 1)
#define BODY_LINE_MAX	 64
#define X25519_INFO	 "age-encryption.org/v1/X25519"
#define X25519_TYPE	 "X25519"
#define SCRYPT_TYPE	 "scrypt"
#define HYBRID_TYPE	 "mlkem768x25519"
#define HEADER_READ_SIZE 4096
/* How far into a non-age input to look for a PEM "-----BEGIN" line. */
#define ARMOR_SNIFF 1024

struct vg_age_identity {
	uint8_t sk[VG_AGE_X25519_BYTES];
	uint8_t pk[VG_AGE_X25519_BYTES];
};

/*
 * Every secret of one encryption or decryption, with the chunk buffer that holds plaintext,
 * in one sodium_malloc block (one allocation: each costs several system calls) that is
 * wiped when it is freed, on every path.
 */
struct age_secrets {
	uint8_t file_key[VG_AGE_FILE_KEY_BYTES];
	uint8_t eph[VG_AGE_X25519_BYTES];
	uint8_t shared[VG_AGE_X25519_BYTES];
	uint8_t wrap_key[32];
	uint8_t mac_key[32];
	uint8_t payload_key[32];
	uint8_t prk[32];
	crypto_auth_hmacsha256_state hmac;
	size_t cb_size;
	uint8_t cb[]; /* one chunk (with its tag) and one byte of look-ahead */
};

static const uint8_t zero_nonce[crypto_aead_chacha20poly1305_IETF_NPUBBYTES];

/*
 * HKDF-SHA-256 (RFC 5869) with the 32-byte output that is all age uses. libsodium 1.0.18
 * has no HKDF (crypto_kdf_hkdf_sha256 arrived in 1.0.19), so it is built on its
 * HMAC-SHA-256: PRK = HMAC(salt, ikm), OKM = T(1) = HMAC(PRK, info || 0x01). An empty salt
 * is an empty HMAC key, the same as the RFC's 32 zero bytes since HMAC pads keys with
 * zeros. The intermediate values live in s and are wiped here.
 */
static void hkdf_sha256(uint8_t out[32], const uint8_t *salt, size_t salt_len, const uint8_t *ikm,
			size_t ikm_len, const char *info, struct age_secrets *s)
{
	static const uint8_t one = 1;
	static const uint8_t empty[1];

	crypto_auth_hmacsha256_init(&s->hmac, salt_len > 0 ? salt : empty, salt_len);
	crypto_auth_hmacsha256_update(&s->hmac, ikm, ikm_len);
	crypto_auth_hmacsha256_final(&s->hmac, s->prk);
	crypto_auth_hmacsha256_init(&s->hmac, s->prk, sizeof(s->prk));
	crypto_auth_hmacsha256_update(&s->hmac, (const uint8_t *)info, strlen(info));
	crypto_auth_hmacsha256_update(&s->hmac, &one, 1);
	crypto_auth_hmacsha256_final(&s->hmac, out);
	sodium_memzero(s->prk, sizeof(s->prk));
	sodium_memzero(&s->hmac, sizeof(s->hmac));
}

/*
 * The secrets of one operation: in the caller's reusable guarded workspace when one is given
 * (ws, a secure vg_buf: repeated operations then cost no system call), else in a fresh
 * sodium_malloc block. Released with secrets_free, which wipes either way.
 */
static struct age_secrets *secrets_new(struct vg_buf *ws, size_t cb_size)
{
	size_t align = _Alignof(struct age_secrets), size, pad;
	struct age_secrets *s;

	if (cb_size > SIZE_MAX - sizeof(*s) - 2 * align) {
		vg_error_set(VG_ENOMEM, "age: chunk buffer too large");
		return NULL;
	}
	/*
	 * sodium_malloc puts the end of the block against its guard page, so the start is
	 * aligned only when the size is a multiple of the alignment.
	 */
	size = (sizeof(*s) + cb_size + align - 1) / align * align;
	if (ws != NULL) {
		vg_buf_clear(ws);
		if (vg_buf_grow(ws, size + align) < 0)
			return NULL;
		pad = (align - (uintptr_t)ws->ptr % align) % align;
		s = (struct age_secrets *)(void *)(ws->ptr + pad);
		ws->len = pad + size; /* so that the next clear wipes all of it */
	} else if ((s = sodium_malloc(size)) == NULL) {
		vg_error_set(VG_ENOMEM, "cannot allocate guarded memory");
		return NULL;
	}
	sodium_memzero(s, sizeof(*s));
	s->cb_size = cb_size;
	return s;
}

static void secrets_free(struct vg_buf *ws, struct age_secrets *s)
{
	if (ws != NULL)
		vg_buf_clear(ws); /* wipes */
	else
		sodium_free(s); /* wipes */
}

static int b64_char(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

/*
 * Canonical unpadded standard base64 of exactly s[0..len); -1 otherwise. The alphabet is
 * checked here first because libsodium 1.0.18's sodium_base642bin accepts every byte from
 * 0x80 to 0xff as if it were '/' (found by the header tampering test), which would make
 * headers malleable.
 */
static int b64_decode(uint8_t *out, size_t cap, size_t *out_len, const char *s, size_t len)
{
	const char *end = NULL;

	*out_len = 0;
	for (size_t i = 0; i < len; i++) {
		if (!b64_char((uint8_t)s[i]))
			return -1;
	}
	if (sodium_base642bin(out, cap, s, len, NULL, out_len, &end,
			      sodium_base64_VARIANT_ORIGINAL_NO_PADDING) != 0 ||
	    end != s + len) {
		*out_len = 0;
		return -1;
	}
	return 0;
}

/* ---- input and output: one code path for memory and file descriptors ---- */

struct src {
	int fd; /* or -1: read from mem */
	const uint8_t *mem;
	size_t mem_len, mem_off;
	const uint8_t *pre; /* bytes already read ahead, served first */
	size_t pre_len, pre_off;
};

struct sink {
	int fd; /* or -1: append to buf */
	struct vg_buf *buf;
};

/* Up to want bytes into p; fewer only at the end of the input. */
static int src_read(struct src *s, uint8_t *p, size_t want, size_t *got)
{
	size_t n;

	*got = 0;
	if (s->pre_off < s->pre_len) {
		n = s->pre_len - s->pre_off < want ? s->pre_len - s->pre_off : want;
		memcpy(p, s->pre + s->pre_off, n);
		s->pre_off += n;
		*got += n;
	}
	if (s->fd < 0) {
		n = s->mem_len - s->mem_off < want - *got ? s->mem_len - s->mem_off : want - *got;
		if (n > 0)
			memcpy(p + *got, s->mem + s->mem_off, n);
		s->mem_off += n;
		*got += n;
		return 0;
	}
	while (*got < want) {
		ssize_t r = read(s->fd, p + *got, want - *got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return vg_error_sys("cannot read age input");
		}
		if (r == 0)
			break;
		*got += (size_t)r;
	}
	return 0;
}

/* chunk, or less when a memory source is shorter (so small inputs take small buffers). */
static size_t src_bound(const struct src *s, size_t chunk)
{
	return s->fd < 0 && s->mem_len < chunk ? s->mem_len : chunk;
}

static int sink_write(struct sink *k, const uint8_t *p, size_t n)
{
	if (k->fd < 0)
		return vg_buf_put(k->buf, p, n);
	while (n > 0) {
		ssize_t w = write(k->fd, p, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return vg_error_sys("cannot write age output");
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* ---- keys ---- */

static int identity_alloc(struct vg_age_identity **out)
{
	*out = sodium_malloc(sizeof(**out));
	if (*out == NULL)
		return vg_error_set(VG_ENOMEM, "cannot allocate guarded memory");
	sodium_memzero(*out, sizeof(**out));
	return 0;
}

/* Derive the public key and make the identity read-only; frees it on failure. */
static int identity_finish(struct vg_age_identity **out, struct vg_age_identity *id)
{
	if (crypto_scalarmult_base(id->pk, id->sk) != 0) {
		vg_age_identity_free(id);
		return vg_error_set(VG_EFORMAT, "invalid age identity: degenerate X25519 key");
	}
	sodium_mprotect_readonly(id);
	*out = id;
	return 0;
}

int vg_age_identity_generate(struct vg_age_identity **out)
{
	struct vg_age_identity *id = NULL;
	int rc;

	*out = NULL;
	if ((rc = identity_alloc(&id)) < 0)
		return rc;
	randombytes_buf(id->sk, sizeof(id->sk));
	return identity_finish(out, id);
}

int vg_age_identity_from_raw(struct vg_age_identity **out, const uint8_t raw[VG_AGE_X25519_BYTES])
{
	struct vg_age_identity *id = NULL;
	int rc;

	*out = NULL;
	if (raw == NULL)
		return vg_error_set(VG_EINVAL, "no age identity given");
	if ((rc = identity_alloc(&id)) < 0)
		return rc;
	memcpy(id->sk, raw, sizeof(id->sk));
	return identity_finish(out, id);
}

static int starts_with(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);
	return len >= n && memcmp(s, prefix, n) == 0;
}

static void upper_copy(char *dst, const char *src)
{
	for (; *src != '\0'; src++)
		*dst++ = (*src >= 'a' && *src <= 'z') ? (char)(*src - 'a' + 'A') : *src;
	*dst = '\0';
}

int vg_age_identity_parse(struct vg_age_identity **out, const char *s, size_t len)
{
	char hrp[VG_BECH32_HRP_MAX + 1], shown[VG_BECH32_HRP_MAX + 1];
	uint8_t *data = NULL;
	struct vg_age_identity *id = NULL;
	size_t dlen = 0;
	int rc;

	*out = NULL;
	if (s == NULL)
		return vg_error_set(VG_EINVAL, "no age identity given");
	if (len > VG_BECH32_MAX_LEN)
		return vg_error_set(VG_EFORMAT, "invalid age identity: longer than %d characters",
				    VG_BECH32_MAX_LEN);
	/* The decoded key is secret: decode straight into guarded memory. */
	if ((data = sodium_malloc(len + 1)) == NULL)
		return vg_error_set(VG_ENOMEM, "cannot allocate guarded memory");
	if ((rc = vg_bech32_decode(hrp, data, len + 1, &dlen, NULL, s, len)) < 0) {
		vg_error_prefix(rc, "invalid age identity");
		goto done;
	}
	upper_copy(shown, hrp);
	if (strcmp(hrp, "age-secret-key-pq-") == 0) {
		rc = vg_error_set(VG_EUNSUPPORTED,
				  "unsupported age identity type '%s' (post-quantum ML-KEM-768 + "
				  "X25519): vigil supports X25519 identities only",
				  shown);
		goto done;
	}
	if (strncmp(hrp, "age-plugin-", 11) == 0) {
		rc = vg_error_set(VG_EUNSUPPORTED,
				  "unsupported age identity type '%s' (plugin): vigil supports "
				  "X25519 identities only",
				  shown);
		goto done;
	}
	if (strcmp(hrp, "age-secret-key-") != 0) {
		rc = vg_error_set(VG_EFORMAT, "invalid age identity: unknown type '%s'", shown);
		goto done;
	}
	if (dlen != VG_AGE_X25519_BYTES) {
		rc = vg_error_set(VG_EFORMAT, "invalid age identity: key is %zu bytes, not %d",
				  dlen, VG_AGE_X25519_BYTES);
		goto done;
	}
	if ((rc = identity_alloc(&id)) < 0)
		goto done;
	memcpy(id->sk, data, VG_AGE_X25519_BYTES);
	rc = identity_finish(out, id);
done:
	sodium_free(data);
	return rc;
}

int vg_age_identity_encode(struct vg_buf *out, const struct vg_age_identity *id)
{
	size_t need = vg_bech32_encoded_len(strlen("age-secret-key-"), VG_AGE_X25519_BYTES);
	int rc, n;

	if (out == NULL || id == NULL)
		return vg_error_set(VG_EINVAL, "no age identity given");
	if ((rc = vg_buf_grow(out, need)) < 0)
		return rc;
	n = vg_bech32_encode((char *)out->ptr + out->len, need + 1, "age-secret-key-", id->sk,
			     sizeof(id->sk), 1);
	if (n < 0)
		return n;
	out->len += (size_t)n;
	return 0;
}

void vg_age_identity_to_raw(uint8_t raw[VG_AGE_X25519_BYTES], const struct vg_age_identity *id)
{
	memcpy(raw, id->sk, VG_AGE_X25519_BYTES);
}

void vg_age_identity_recipient(struct vg_age_recipient *out, const struct vg_age_identity *id)
{
	memcpy(out->pk, id->pk, VG_AGE_X25519_BYTES);
}

void vg_age_identity_free(struct vg_age_identity *id)
{
	if (id != NULL)
		sodium_free(id); /* makes it writable again and wipes it */
}

int vg_age_recipient_parse(struct vg_age_recipient *out, const char *s, size_t len)
{
	char hrp[VG_BECH32_HRP_MAX + 1];
	uint8_t data[VG_AGE_X25519_BYTES];
	size_t dlen = 0;
	int upper = 0, rc;

	if (s == NULL)
		return vg_error_set(VG_EINVAL, "no age recipient given");
	if (starts_with(s, len, "ssh-") || starts_with(s, len, "ecdsa-"))
		return vg_error_set(VG_EUNSUPPORTED, "unsupported age recipient type: SSH keys "
						     "are not supported, only X25519 'age1...'");
	/*
	 * Check first and look at the type, so that a long post-quantum or plugin recipient
	 * is reported as unsupported rather than as too long for 32 bytes.
	 */
	if ((rc = vg_bech32_decode(hrp, NULL, 0, &dlen, &upper, s, len)) < 0)
		return vg_error_prefix(rc, "invalid age recipient");
	if (upper)
		return vg_error_set(VG_EFORMAT, "invalid age recipient: must be lower case");
	if (strcmp(hrp, "age1pq") == 0)
		return vg_error_set(
		    VG_EUNSUPPORTED,
		    "unsupported age recipient type 'age1pq' (post-quantum ML-KEM-768 "
		    "+ X25519): vigil supports X25519 recipients only");
	if (strncmp(hrp, "age1", 4) == 0)
		return vg_error_set(VG_EUNSUPPORTED,
				    "unsupported age recipient type '%s' (plugin or hardware key): "
				    "vigil supports X25519 recipients only",
				    hrp);
	if (strcmp(hrp, "age") != 0)
		return vg_error_set(VG_EFORMAT, "invalid age recipient: unknown type '%s'", hrp);
	if ((rc = vg_bech32_decode(hrp, data, sizeof(data), &dlen, NULL, s, len)) < 0)
		return vg_error_prefix(rc, "invalid age recipient");
	if (dlen != VG_AGE_X25519_BYTES)
		return vg_error_set(VG_EFORMAT, "invalid age recipient: key is %zu bytes, not %d",
				    dlen, VG_AGE_X25519_BYTES);
	memcpy(out->pk, data, sizeof(out->pk));
	return 0;
}

void vg_age_recipient_encode(char *out, const struct vg_age_recipient *r)
{
	if (vg_bech32_encode(out, VG_AGE_RECIPIENT_STR_LEN + 1, "age", r->pk, sizeof(r->pk), 0) < 0)
		out[0] = '\0';
}

/* ---- header ---- */

static void stanza_release(struct vg_age_stanza *st)
{
	free(st->type);
	for (size_t i = 0; i < st->nargs; i++)
		free(st->args[i]);
	free(st->args);
	free(st->body);
}

void vg_age_header_free(struct vg_age_header *h)
{
	if (h == NULL)
		return;
	for (size_t i = 0; i < h->nstanzas; i++)
		stanza_release(&h->stanzas[i]);
	free(h->stanzas);
	free(h);
}

struct cursor {
	const uint8_t *p;
	size_t len, off;
	size_t lineno;
};

/* The next line without its '\n'; -1 when the input ends first. */
static int next_line(struct cursor *c, const uint8_t **line, size_t *n)
{
	const uint8_t *nl;

	if (c->off >= c->len)
		return -1;
	nl = memchr(c->p + c->off, '\n', c->len - c->off);
	if (nl == NULL)
		return -1;
	*line = c->p + c->off;
	*n = (size_t)(nl - *line);
	c->off += *n + 1;
	c->lineno++;
	return 0;
}

static int truncated(const struct cursor *c, size_t full_len)
{
	if (c->len < full_len)
		return vg_error_set(VG_EFORMAT, "age header: longer than %d bytes",
				    VG_AGE_HEADER_MAX);
	return vg_error_set(VG_EFORMAT, "age header: truncated before the MAC line");
}

static char *dup_n(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);
	if (s != NULL) {
		memcpy(s, p, n);
		s[n] = '\0';
	}
	return s;
}

/* "-> type args...\n" then body lines, into st (released by the caller on failure). */
static int parse_stanza(struct vg_age_stanza *st, struct cursor *c, const uint8_t *line, size_t n,
			size_t full_len)
{
	struct vg_buf b64 = VG_BUF_INIT;
	size_t start = 3, nb, lineno = c->lineno;
	int rc = 0;

	if (n < 3 || line[2] != ' ')
		return vg_error_set(VG_EFORMAT, "age header: line %zu: stanza without arguments",
				    lineno);
	while (start <= n) {
		size_t end = start;
		char *arg;
		while (end < n && line[end] != ' ')
			end++;
		if (end == start)
			return vg_error_set(VG_EFORMAT,
					    "age header: line %zu: empty stanza argument", lineno);
		for (size_t i = start; i < end; i++) {
			if (line[i] < 33 || line[i] > 126)
				return vg_error_set(VG_EFORMAT,
						    "age header: line %zu: invalid character in "
						    "stanza argument",
						    lineno);
		}
		if ((arg = dup_n(line + start, end - start)) == NULL)
			return vg_error_set(VG_ENOMEM, "out of memory");
		if (st->type == NULL) {
			st->type = arg;
		} else {
			char **args = realloc(st->args, (st->nargs + 1) * sizeof(*args));
			if (args == NULL) {
				free(arg);
				return vg_error_set(VG_ENOMEM, "out of memory");
			}
			st->args = args;
			st->args[st->nargs++] = arg;
		}
		start = end + 1;
	}

	for (;;) {
		const uint8_t *body;
		if (next_line(c, &body, &nb) < 0) {
			rc = truncated(c, full_len);
			goto done;
		}
		if (nb > BODY_LINE_MAX) {
			rc = vg_error_set(VG_EFORMAT,
					  "age header: line %zu: stanza body line longer than %d "
					  "columns",
					  c->lineno, BODY_LINE_MAX);
			goto done;
		}
		for (size_t i = 0; i < nb; i++) {
			if (!b64_char(body[i])) {
				rc = vg_error_set(VG_EFORMAT,
						  "age header: line %zu: invalid character in "
						  "stanza body",
						  c->lineno);
				goto done;
			}
		}
		if ((rc = vg_buf_put(&b64, body, nb)) < 0)
			goto done;
		if (nb < BODY_LINE_MAX)
			break;
	}
	st->body = malloc(b64.len / 4 * 3 + 3);
	if (st->body == NULL) {
		rc = vg_error_set(VG_ENOMEM, "out of memory");
		goto done;
	}
	if (b64_decode(st->body, b64.len / 4 * 3 + 3, &st->body_len, (const char *)b64.ptr,
		       b64.len) < 0)
		rc = vg_error_set(VG_EFORMAT,
				  "age header: stanza at line %zu: body is not canonical base64",
				  lineno);
done:
	vg_buf_release(&b64);
	return rc;
}

/* Checks of the X25519 stanza shape that do not need an identity (age spec, X25519). */
static int check_x25519_stanza(const struct vg_age_stanza *st, size_t idx)
{
	uint8_t share[VG_AGE_X25519_BYTES + 3];
	size_t n;

	if (st->nargs != 1)
		return vg_error_set(VG_EFORMAT,
				    "age header: X25519 stanza %zu has %zu arguments, not 1",
				    idx + 1, st->nargs);
	if (b64_decode(share, sizeof(share), &n, st->args[0], strlen(st->args[0])) < 0 ||
	    n != VG_AGE_X25519_BYTES)
		return vg_error_set(
		    VG_EFORMAT,
		    "age header: X25519 stanza %zu: ephemeral share is not canonical "
		    "base64 of 32 bytes",
		    idx + 1);
	if (st->body_len != 32)
		return vg_error_set(VG_EFORMAT,
				    "age header: X25519 stanza %zu: body is not 32 bytes", idx + 1);
	return 0;
}

/* A PEM "-----BEGIN" near the start: an ASCII-armored age file (or some other PEM). */
static int looks_armored(const uint8_t *data, size_t len)
{
	size_t n = len < ARMOR_SNIFF ? len : ARMOR_SNIFF;

	for (size_t i = 0; i + 5 <= n; i++) {
		size_t j = i + 5;
		if (memcmp(data + i, "-----", 5) != 0)
			continue;
		while (j < n && data[j] == ' ')
			j++;
		if (j + 5 <= n && memcmp(data + j, "BEGIN", 5) == 0)
			return 1;
	}
	return 0;
}

static int header_policy(const struct vg_age_header *h)
{
	size_t scrypt = 0;
	int rc;

	for (size_t i = 0; i < h->nstanzas; i++) {
		const struct vg_age_stanza *st = &h->stanzas[i];
		if (strcmp(st->type, X25519_TYPE) == 0 && (rc = check_x25519_stanza(st, i)) < 0)
			return rc;
		if (strcmp(st->type, SCRYPT_TYPE) == 0)
			scrypt++;
	}
	if (scrypt > 0 && scrypt < h->nstanzas)
		return vg_error_set(VG_EFORMAT,
				    "age header: an scrypt stanza must be the only stanza");
	if (scrypt > 0)
		return vg_error_set(VG_EUNSUPPORTED, "unsupported age file: passphrase-encrypted "
						     "(scrypt) files are not supported");
	return 0;
}

int vg_age_header_parse(struct vg_age_header **out, const uint8_t *data, size_t len)
{
	struct vg_age_header *h = NULL;
	struct cursor c = {data, len < VG_AGE_HEADER_MAX ? len : VG_AGE_HEADER_MAX, 0, 0};
	size_t cap = 0;
	int rc = 0;

	*out = NULL;
	if (data == NULL && len > 0)
		return vg_error_set(VG_EINVAL, "no age header given");
	if (len < INTRO_LEN || memcmp(data, INTRO, INTRO_LEN) != 0) {
		if (looks_armored(data, len))
			return vg_error_set(VG_EUNSUPPORTED,
					    "unsupported age file: ASCII armor (PEM) is not "
					    "supported, only binary age files");
		if (len >= INTRO_LEN && memcmp(data, VERSION_PREFIX, strlen(VERSION_PREFIX)) == 0)
			return vg_error_set(VG_EFORMAT, "age header: unknown version line, only "
							"'age-encryption.org/v1' is supported");
		if (len < INTRO_LEN && len > 0 && memcmp(data, INTRO, len) == 0)
			return vg_error_set(VG_EFORMAT, "age header: truncated version line");
		return vg_error_set(VG_EFORMAT, "age header: not an age file");
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return vg_error_set(VG_ENOMEM, "out of memory");
	c.off = INTRO_LEN;
	c.lineno = 1;

	for (;;) {
		const uint8_t *line;
		size_t n;
		uint8_t mac[32 + 3];
		size_t mac_len;

		if (next_line(&c, &line, &n) < 0) {
			rc = truncated(&c, len);
			goto done;
		}
		if (n >= 3 && memcmp(line, "---", 3) == 0) {
			if (n != 3 + MAC_LINE_TAIL - 1 || line[3] != ' ') {
				rc = vg_error_set(VG_EFORMAT,
						  "age header: line %zu: malformed MAC line",
						  c.lineno);
				goto done;
			}
			if (b64_decode(mac, sizeof(mac), &mac_len, (const char *)line + 4,
				       MAC_B64_LEN) < 0 ||
			    mac_len != sizeof(h->mac)) {
				rc = vg_error_set(VG_EFORMAT,
						  "age header: MAC is not canonical base64 of 32 "
						  "bytes");
				goto done;
			}
			memcpy(h->mac, mac, sizeof(h->mac));
			h->len = c.off;
			break;
		}
		if (n < 2 || line[0] != '-' || line[1] != '>') {
			rc = vg_error_set(VG_EFORMAT,
					  "age header: line %zu: expected a stanza or the MAC line",
					  c.lineno);
			goto done;
		}
		if ((rc = vg_array_reserve(&h->stanzas, &cap, h->nstanzas, sizeof(*h->stanzas), 4,
					   "age header")) < 0)
			goto done;
		memset(&h->stanzas[h->nstanzas], 0, sizeof(h->stanzas[0]));
		h->nstanzas++;
		if ((rc = parse_stanza(&h->stanzas[h->nstanzas - 1], &c, line, n, len)) < 0)
			goto done;
	}
	if (h->nstanzas == 0) {
		rc = vg_error_set(VG_EFORMAT, "age header: no recipient stanza");
		goto done;
	}
	if ((rc = header_policy(h)) < 0)
		goto done;
	*out = h;
	h = NULL;
done:
	vg_age_header_free(h);
	return rc;
}

/* ---- file key: unwrap, MAC ---- */

static int unwrap_x25519(struct age_secrets *s, const struct vg_age_header *h,
			 const struct vg_age_identity *id)
{
	size_t pq = 0, x25519 = 0;

	for (size_t i = 0; i < h->nstanzas; i++) {
		const struct vg_age_stanza *st = &h->stanzas[i];
		uint8_t share[VG_AGE_X25519_BYTES + 3], salt[2 * VG_AGE_X25519_BYTES];
		unsigned long long n = 0;
		size_t sn;
		int ok;

		if (strcmp(st->type, HYBRID_TYPE) == 0)
			pq++;
		if (strcmp(st->type, X25519_TYPE) != 0)
			continue;
		x25519++;
		/* The shape was checked by vg_age_header_parse. */
		if (b64_decode(share, sizeof(share), &sn, st->args[0], strlen(st->args[0])) < 0 ||
		    sn != VG_AGE_X25519_BYTES || st->body_len != 32)
			return vg_error_set(VG_EFORMAT, "age header: malformed X25519 stanza");
		if (crypto_scalarmult(s->shared, id->sk, share) != 0)
			return vg_error_set(VG_EFORMAT,
					    "age header: X25519 stanza %zu: ephemeral share is a "
					    "low-order point (all-zero shared secret)",
					    i + 1);
		memcpy(salt, share, VG_AGE_X25519_BYTES);
		memcpy(salt + VG_AGE_X25519_BYTES, id->pk, VG_AGE_X25519_BYTES);
		hkdf_sha256(s->wrap_key, salt, sizeof(salt), s->shared, sizeof(s->shared),
			    X25519_INFO, s);
		sodium_memzero(s->shared, sizeof(s->shared));
		ok = crypto_aead_chacha20poly1305_ietf_decrypt(s->file_key, &n, NULL, st->body,
							       st->body_len, NULL, 0, zero_nonce,
							       s->wrap_key) == 0 &&
		     n == VG_AGE_FILE_KEY_BYTES;
		sodium_memzero(s->wrap_key, sizeof(s->wrap_key));
		if (ok)
			return 0;
	}
	if (pq > 0)
		return vg_error_set(VG_ENOKEY,
				    "no identity matches the age file (%zu X25519 stanzas; %zu "
				    "post-quantum stanzas are unsupported)",
				    x25519, pq);
	return vg_error_set(VG_ENOKEY, "no identity matches any of the %zu X25519 stanzas", x25519);
}

/* HMAC-SHA-256 over the header through "---", keyed from the file key. */
static void header_mac(uint8_t mac[32], struct age_secrets *s, const uint8_t *hdr,
		       size_t mac_input_len)
{
	hkdf_sha256(s->mac_key, NULL, 0, s->file_key, sizeof(s->file_key), "header", s);
	crypto_auth_hmacsha256(mac, hdr, mac_input_len, s->mac_key);
	sodium_memzero(s->mac_key, sizeof(s->mac_key));
}

/* ---- payload: STREAM over ChaCha20-Poly1305 in 64 KiB chunks ---- */

static void stream_nonce(uint8_t n[12], uint64_t counter, int last)
{
	memset(n, 0, 12);
	for (int i = 0; i < 8; i++)
		n[10 - i] = (uint8_t)(counter >> (8 * i));
	n[11] = last ? 1 : 0;
}

/* Read the header into hb (with whatever payload bytes came along). */
static int read_header(struct vg_buf *hb, struct src *in)
{
	size_t scan = 0;
	int rc;

	for (;;) {
		size_t got;
		const uint8_t *nl;

		while (scan < hb->len &&
		       (nl = memchr(hb->ptr + scan, '\n', hb->len - scan)) != NULL) {
			if (hb->len - scan >= 3 && memcmp(hb->ptr + scan, "---", 3) == 0)
				return 0;
			scan = (size_t)(nl - hb->ptr) + 1;
		}
		/* Not age: let the parser say what it is once it has seen enough. */
		if (hb->len >= ARMOR_SNIFF &&
		    (hb->len < INTRO_LEN || memcmp(hb->ptr, INTRO, INTRO_LEN) != 0))
			return 0;
		if (hb->len > VG_AGE_HEADER_MAX)
			return 0;
		if ((rc = vg_buf_grow(hb, HEADER_READ_SIZE)) < 0)
			return rc;
		if ((rc = src_read(in, hb->ptr + hb->len, HEADER_READ_SIZE, &got)) < 0)
			return rc;
		hb->len += got;
		hb->ptr[hb->len] = '\0';
		if (got < HEADER_READ_SIZE)
			return 0;
	}
}

static int decrypt_payload(struct sink *out, struct age_secrets *s, struct src *in)
{
	uint8_t nonce[PAYLOAD_NONCE_BYTES], n12[12], save = 0, *cb = s->cb;
	size_t got, have = 0;
	uint64_t counter = 0;
	int rc = 0;

	if ((rc = src_read(in, nonce, sizeof(nonce), &got)) < 0)
		return rc;
	if (got < sizeof(nonce))
		return vg_error_set(VG_EFORMAT, "age header: payload nonce missing or short");
	hkdf_sha256(s->payload_key, nonce, sizeof(nonce), s->file_key, sizeof(s->file_key),
		    "payload", s);

	for (;;) {
		unsigned long long mlen = 0;
		size_t clen;
		int last;

		if ((rc = src_read(in, cb + have, s->cb_size - have, &got)) < 0)
			goto done;
		have += got;
		last = have <= CT_CHUNK_BYTES;
		clen = last ? have : CT_CHUNK_BYTES;
		if (clen == 0 && counter == 0) {
			rc = vg_error_set(VG_EPAYLOAD, "age payload: no chunks");
			goto done;
		}
		if (clen < TAG_BYTES) {
			rc = vg_error_set(VG_EPAYLOAD, "age payload: chunk %llu is truncated",
					  (unsigned long long)counter);
			goto done;
		}
		if (last && clen == TAG_BYTES && counter > 0) {
			rc = vg_error_set(VG_EPAYLOAD,
					  "age payload: final chunk is empty after %llu chunks",
					  (unsigned long long)counter);
			goto done;
		}
		if (!last)
			save = cb[CT_CHUNK_BYTES];
		stream_nonce(n12, counter, last);
		if (crypto_aead_chacha20poly1305_ietf_decrypt(cb, &mlen, NULL, cb, clen, NULL, 0,
							      n12, s->payload_key) != 0) {
			rc = vg_error_set(VG_EPAYLOAD,
					  "age payload: chunk %llu does not authenticate (corrupt, "
					  "truncated, or followed by extra data)",
					  (unsigned long long)counter);
			goto done;
		}
		rc = sink_write(out, cb, (size_t)mlen);
		sodium_memzero(cb, (size_t)mlen);
		if (rc < 0 || last)
			goto done;
		if (counter == UINT64_MAX) {
			rc = vg_error_set(VG_EPAYLOAD, "age payload: too many chunks");
			goto done;
		}
		counter++;
		cb[0] = save;
		have = 1;
	}
done:
	sodium_memzero(&save, sizeof(save));
	sodium_memzero(s->payload_key, sizeof(s->payload_key));
	return rc;
}

/* The one decryption path: with an identity, or with a known file key when id is NULL. */
static int decrypt_core(struct vg_buf *ws, struct sink *out, const struct vg_age_identity *id,
			const uint8_t *file_key, struct src *in)
{
	struct vg_buf hb = VG_BUF_INIT;
	struct vg_age_header *h = NULL;
	struct age_secrets *s = NULL;
	uint8_t mac[32];
	int rc;

	if ((s = secrets_new(ws, src_bound(in, CT_CHUNK_BYTES) + 1)) == NULL)
		return VG_ENOMEM;
	if ((rc = read_header(&hb, in)) < 0)
		goto done;
	if ((rc = vg_age_header_parse(&h, hb.ptr, hb.len)) < 0)
		goto done;
	if (id != NULL) {
		if ((rc = unwrap_x25519(s, h, id)) < 0)
			goto done;
	} else {
		memcpy(s->file_key, file_key, sizeof(s->file_key));
	}
	/* From here the file key is fixed: a MAC failure is final, no other stanza tried. */
	header_mac(mac, s, hb.ptr, h->len - MAC_LINE_TAIL);
	if (crypto_verify_32(mac, h->mac) != 0) {
		rc = vg_error_set(VG_EMAC, "age header: MAC mismatch (wrong file key or altered "
					   "header)");
		goto done;
	}
	in->pre = hb.ptr + h->len;
	in->pre_len = hb.len - h->len;
	in->pre_off = 0;
	rc = decrypt_payload(out, s, in);
	in->pre = NULL;
	in->pre_len = in->pre_off = 0;
done:
	sodium_memzero(mac, sizeof(mac));
	vg_age_header_free(h);
	vg_buf_release(&hb);
	secrets_free(ws, s);
	return rc;
}

static int encrypt_payload(struct sink *out, struct age_secrets *s, struct src *in)
{
	uint8_t nonce[PAYLOAD_NONCE_BYTES], n12[12], save = 0, *cb = s->cb;
	size_t got, have = 0, fill = s->cb_size - TAG_BYTES;
	uint64_t counter = 0;
	int rc = 0;

	randombytes_buf(nonce, sizeof(nonce));
	if ((rc = sink_write(out, nonce, sizeof(nonce))) < 0)
		return rc;
	hkdf_sha256(s->payload_key, nonce, sizeof(nonce), s->file_key, sizeof(s->file_key),
		    "payload", s);

	for (;;) {
		unsigned long long clen = 0;
		size_t mlen;
		int last;

		if ((rc = src_read(in, cb + have, fill - have, &got)) < 0)
			goto done;
		have += got;
		/* A full last chunk stays full: no empty chunk follows a multiple of 64 KiB. */
		last = have <= VG_AGE_CHUNK_BYTES;
		mlen = last ? have : VG_AGE_CHUNK_BYTES;
		if (!last)
			save = cb[VG_AGE_CHUNK_BYTES];
		stream_nonce(n12, counter, last);
		crypto_aead_chacha20poly1305_ietf_encrypt(cb, &clen, cb, mlen, NULL, 0, NULL, n12,
							  s->payload_key);
		if ((rc = sink_write(out, cb, (size_t)clen)) < 0 || last)
			goto done;
		if (counter == UINT64_MAX) {
			rc = vg_error_set(VG_EINVAL, "age: input too large");
			goto done;
		}
		counter++;
		cb[0] = save;
		have = 1;
	}
done:
	sodium_memzero(&save, sizeof(save));
	sodium_memzero(s->payload_key, sizeof(s->payload_key));
	return rc;
}

static int put_b64(struct vg_buf *b, const uint8_t *bin, size_t len)
{
	char tmp[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_ORIGINAL_NO_PADDING)];

	sodium_bin2base64(tmp, sizeof(tmp), bin, len, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
	return vg_buf_puts(b, tmp);
}

/* The one encryption path. */
static int encrypt_core(struct vg_buf *ws, struct sink *out, uint8_t *file_key_out,
			const struct vg_age_recipient *rcpts, size_t n, struct src *in)
{
	struct vg_buf hb = VG_BUF_INIT;
	struct age_secrets *s = NULL;
	uint8_t mac[32];
	int rc = 0;

	if (rcpts == NULL || n == 0 || n > VG_AGE_RECIPIENTS_MAX)
		return vg_error_set(VG_EINVAL, "age: between 1 and %d recipients needed, not %zu",
				    VG_AGE_RECIPIENTS_MAX, rcpts == NULL ? 0 : n);
	/* A chunk of plaintext, one byte of look-ahead, room for the tag (in place). */
	if ((s = secrets_new(ws, src_bound(in, VG_AGE_CHUNK_BYTES) + 1 + TAG_BYTES)) == NULL)
		return VG_ENOMEM;
	randombytes_buf(s->file_key, sizeof(s->file_key));
	if ((rc = vg_buf_puts(&hb, INTRO)) < 0)
		goto done;
	for (size_t i = 0; i < n; i++) {
		uint8_t share[VG_AGE_X25519_BYTES], salt[2 * VG_AGE_X25519_BYTES];
		uint8_t body[VG_AGE_FILE_KEY_BYTES + TAG_BYTES];

		randombytes_buf(s->eph, sizeof(s->eph));
		if (crypto_scalarmult_base(share, s->eph) != 0 ||
		    crypto_scalarmult(s->shared, s->eph, rcpts[i].pk) != 0) {
			rc = vg_error_set(VG_EINVAL,
					  "age recipient %zu is not a usable X25519 key (low-order "
					  "point)",
					  i + 1);
			goto done;
		}
		sodium_memzero(s->eph, sizeof(s->eph));
		memcpy(salt, share, VG_AGE_X25519_BYTES);
		memcpy(salt + VG_AGE_X25519_BYTES, rcpts[i].pk, VG_AGE_X25519_BYTES);
		hkdf_sha256(s->wrap_key, salt, sizeof(salt), s->shared, sizeof(s->shared),
			    X25519_INFO, s);
		sodium_memzero(s->shared, sizeof(s->shared));
		crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, s->file_key,
							  sizeof(s->file_key), NULL, 0, NULL,
							  zero_nonce, s->wrap_key);
		sodium_memzero(s->wrap_key, sizeof(s->wrap_key));
		if ((rc = vg_buf_puts(&hb, "-> " X25519_TYPE " ")) < 0 ||
		    (rc = put_b64(&hb, share, sizeof(share))) < 0 ||
		    (rc = vg_buf_putc(&hb, '\n')) < 0 ||
		    (rc = put_b64(&hb, body, sizeof(body))) < 0 ||
		    (rc = vg_buf_putc(&hb, '\n')) < 0)
			goto done;
	}
	if ((rc = vg_buf_puts(&hb, "---")) < 0)
		goto done;
	header_mac(mac, s, hb.ptr, hb.len);
	if ((rc = vg_buf_putc(&hb, ' ')) < 0 || (rc = put_b64(&hb, mac, sizeof(mac))) < 0 ||
	    (rc = vg_buf_putc(&hb, '\n')) < 0)
		goto done;
	if ((rc = sink_write(out, hb.ptr, hb.len)) < 0)
		goto done;
	if ((rc = encrypt_payload(out, s, in)) < 0)
		goto done;
	if (file_key_out != NULL)
		memcpy(file_key_out, s->file_key, sizeof(s->file_key));
done:
	vg_buf_release(&hb);
	secrets_free(ws, s);
	return rc;
}

/* ---- public entry points ---- */

int vg_age_encrypt(struct vg_buf *out, uint8_t *file_key_out, const struct vg_age_recipient *rcpts,
		   size_t n, const uint8_t *pt, size_t len)
{
	return vg_age_encrypt_ws(NULL, out, file_key_out, rcpts, n, pt, len);
}

int vg_age_encrypt_ws(struct vg_buf *ws, struct vg_buf *out, uint8_t *file_key_out,
		      const struct vg_age_recipient *rcpts, size_t n, const uint8_t *pt, size_t len)
{
	struct src in = {.fd = -1, .mem = pt, .mem_len = len};
	struct sink k = {.fd = -1, .buf = out};
	size_t out_len0;
	int rc;

	if (out == NULL || (pt == NULL && len > 0))
		return vg_error_set(VG_EINVAL, "age: no input or output given");
	out_len0 = out->len;
	if ((rc = encrypt_core(ws, &k, file_key_out, rcpts, n, &in)) < 0)
		vg_buf_truncate(out, out_len0);
	return rc;
}

int vg_age_decrypt_ws(struct vg_buf *ws, struct vg_buf *pt_out, const struct vg_age_identity *id,
		      const uint8_t *file_key, const uint8_t *ct, size_t len)
{
	struct src in = {.fd = -1, .mem = ct, .mem_len = len};
	struct sink k = {.fd = -1, .buf = pt_out};
	size_t out_len0;
	int rc;

	if (pt_out == NULL || (ct == NULL && len > 0))
		return vg_error_set(VG_EINVAL, "age: no input or output given");
	out_len0 = pt_out->len;
	if ((id == NULL) == (file_key == NULL))
		return vg_error_set(VG_EINVAL, "age: decrypt with an identity or a file key");
	if ((rc = decrypt_core(ws, &k, id, file_key, &in)) < 0)
		vg_buf_truncate(pt_out, out_len0);
	return rc;
}

int vg_age_decrypt(struct vg_buf *pt_out, const struct vg_age_identity *id, const uint8_t *ct,
		   size_t len)
{
	if (id == NULL)
		return vg_error_set(VG_EINVAL, "no age identity given");
	return vg_age_decrypt_ws(NULL, pt_out, id, NULL, ct, len);
}

int vg_age_decrypt_with_key(struct vg_buf *pt_out, const uint8_t file_key[VG_AGE_FILE_KEY_BYTES],
			    const uint8_t *ct, size_t len)
{
	if (file_key == NULL)
		return vg_error_set(VG_EINVAL, "no age file key given");
	return vg_age_decrypt_ws(NULL, pt_out, NULL, file_key, ct, len);
}

int vg_age_encrypt_fd(int out_fd, const struct vg_age_recipient *rcpts, size_t n, int in_fd)
{
	struct src in = {.fd = in_fd};
	struct sink k = {.fd = out_fd};

	if (in_fd < 0 || out_fd < 0)
		return vg_error_set(VG_EINVAL, "age: bad file descriptor");
	return encrypt_core(NULL, &k, NULL, rcpts, n, &in);
}

int vg_age_decrypt_fd(int out_fd, const struct vg_age_identity *id, int in_fd)
{
	struct src in = {.fd = in_fd};
	struct sink k = {.fd = out_fd};

	if (in_fd < 0 || out_fd < 0)
		return vg_error_set(VG_EINVAL, "age: bad file descriptor");
	if (id == NULL)
		return vg_error_set(VG_EINVAL, "no age identity given");
	return decrypt_core(NULL, &k, id, NULL, &in);
}
